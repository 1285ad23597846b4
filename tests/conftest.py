"""Shared fixtures: paths of bundled configs and a tiny valid scenario."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from sim.experiment import RunResult
    from sim.loading import LoadedScenario

# CI runs the same examples every time (a random failure would block a landing without
# pointing at a change); on a developer's machine hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, and rich
# reads them once, when sim.cli's consoles are made at import: every console output in a
# worker would then be 80 columns wide, whatever a test's CliRunner env says. Without them
# the consoles read the size when they print, as in a serial run.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Run on every core by default (pytest-xdist), tests of one ``xdist_group`` together.

    Set here rather than in ``addopts`` so that ``-p no:xdist`` still works; ``-n 0`` runs
    in one process and ``--pdb`` turns the workers off. Runs before xdist's own hook (a
    conftest registers after the plugin), which turns ``auto`` into the number of cores.
    """
    if not config.pluginmanager.has_plugin("xdist"):
        return
    if hasattr(config, "workerinput"):
        # a worker parses the command line, not the options set here: it learns the mode
        # from pytest_configure_node, to put the groups into the test ids it reports
        if config.workerinput.get("promosim_dist") == "loadgroup":
            config.option.loadgroup = True
        return
    if config.option.numprocesses is None:
        config.option.numprocesses = "auto"
    if config.option.dist == "no" and config.option.numprocesses != 0:
        # xdist_group keeps tests that must not overlap (or that share a module's costly
        # fixture) on one worker; everything else goes wherever a worker is free
        config.option.dist = "loadgroup"


ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
SCENARIO_FILES = sorted(p for p in CONFIGS.rglob("*.yaml") if "platforms" not in p.parts)
"""The bundled scenario files (configs/platforms/ holds platform rule packs, not scenarios)."""


BUNDLED_RUNS = pytest.mark.xdist_group("bundled_runs")
"""Mark of the tests calling :func:`bundled_run`: on one worker, each scenario runs once."""

PROCESSES = pytest.mark.xdist_group("processes")
"""Mark of the tests that start worker pools, Dask clusters or whole commands and wait on
them with timeouts: one at a time, so they never compete with each other for the cores."""


@functools.cache
def bundled_run(stem: str, replications: int = 2) -> tuple[LoadedScenario, RunResult]:
    """``configs/<stem>.yaml`` run with ``replications`` (horizon as written), once a worker.

    The golden files and the bundled scenarios' effect tests read the same runs.
    """
    from sim.experiment import run_scenario
    from sim.loading import load_scenario

    loaded = load_scenario(CONFIGS / f"{stem}.yaml", [f"replications={replications}"])
    return loaded, run_scenario(loaded.scenario)


def tiny_scenario(**overrides: Any) -> dict[str, Any]:
    """A small valid scenario as a dict: one phone channel, 3 agents, 30 calls an hour."""
    data: dict[str, Any] = {
        "name": "tiny",
        "calendar": {"days": 0.25, "interval_minutes": 30},
        "seed": 7,
        "replications": 2,
        "arrivals": [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 30}],
        "channels": {
            "phone": {
                "handle_time_seconds": {"dist": "exponential", "mean": 300},
                "patience_seconds": {"dist": "exponential", "mean": 120},
                "service_level_seconds": 20,
            }
        },
        "staffing": {
            "groups": [
                {
                    "name": "agents",
                    "channels": ["phone"],
                    "schedule": {"kind": "constant", "agents": 3},
                }
            ]
        },
    }
    data.update(overrides)
    return data


@pytest.fixture
def configs() -> Path:
    return CONFIGS


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker the distribution mode the controller runs (see above)."""
    node.workerinput["promosim_dist"] = node.config.option.dist


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests sharing a costly fixture on one worker, so it is computed once.

    A module-scoped fixture of ours groups its module's tests that use it; a session-scoped
    one groups its users across modules. An explicit ``xdist_group`` mark wins.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        shared = sorted(
            f"{d.baseid or '<builtin>'}::{name}" if d.scope == "session" else d.baseid
            for name, defs in info.name2fixturedefs.items()
            for d in defs[-1:]
            if d.scope in ("module", "session") and d.baseid.startswith("tests")
        )
        if shared:
            item.add_marker(pytest.mark.xdist_group(shared[0]))


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reports the ids
def pytest_collection_finish(session: pytest.Session) -> None:
    """Put each test's ``xdist_group`` into its id, in a worker, where xdist did not.

    xdist groups by an ``@group`` suffix of the test ids its workers report; pytest 9.2 made
    ``nodeid`` read ``_id``, so xdist 3.8's suffix (set on ``_nodeid``) no longer shows and
    every group falls apart. Runs after xdist's own attempt; does nothing where that worked.
    """
    if not getattr(session.config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # an older pytest, where xdist's suffix works
        return
    for item in session.items:
        names = sorted({str(m.args[0]) for m in item.iter_markers("xdist_group") if m.args})
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)
