"""Where replications run does not change what they compute; interrupted runs resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.config import Scenario
from sim.experiment import run_scenario
from sim.loading import load_scenario
from sim.outputs import DiskCache, summary
from tests.conftest import PROCESSES
from tests.test_cli import promo_scenario

pytestmark = PROCESSES  # Dask clusters and worker pools
runner = CliRunner()


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_summary_as_the_local_pool(tmp_path: Path) -> None:
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    outs = {}
    for name, args in {
        "local": ["--workers", "1"],
        "dask": ["--backend", "dask", "--workers", "2"],
    }.items():
        out = tmp_path / name
        result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet", *args])
        assert result.exit_code == 0, result.output
        outs[name] = out
    for file in ("summary.json", "daily.csv", "intervals.csv", "replications.csv"):
        assert (outs["local"] / file).read_bytes() == (outs["dask"] / file).read_bytes(), file
    manifest = json.loads((outs["dask"] / "manifest.json").read_text())
    assert "--backend" in manifest["command"] or manifest["workers"] == 2


class Interrupting:
    """A cache that lets a few replications finish, then interrupts like Ctrl-C."""

    def __init__(self, inner: DiskCache, after: int) -> None:
        self.inner = inner
        self.after = after

    def get(self, replication: int) -> Any:
        return self.inner.get(replication)

    def put(self, replication: int, arms: Any) -> None:
        self.inner.put(replication, arms)
        self.after -= 1
        if self.after == 0:
            raise KeyboardInterrupt


def test_an_interrupted_run_resumes_with_identical_results(tmp_path: Path) -> None:
    path = write(tmp_path / "promo.yaml", {**promo_scenario(), "replications": 5})
    loaded = load_scenario(path)
    s: Scenario = loaded.scenario
    cache = DiskCache(tmp_path / "cache", loaded.hash)
    with pytest.raises(KeyboardInterrupt):
        run_scenario(s, cache=Interrupting(cache, after=3))
    assert sorted(p.name for p in cache.folder.iterdir()) == ["rep-0.npz", "rep-1.npz", "rep-2.npz"]
    fresh: list[int] = []
    resumed = run_scenario(s, cache=cache, on_done=fresh.append)
    assert sorted(fresh) == [0, 1, 2, 3, 4]  # progress counts the cached ones too
    straight = run_scenario(s)
    assert json.dumps(summary(loaded, resumed)) == json.dumps(summary(loaded, straight))


def test_a_cache_of_another_scenario_is_never_used(tmp_path: Path) -> None:
    a = load_scenario(write(tmp_path / "a.yaml", promo_scenario()))
    b = load_scenario(write(tmp_path / "b.yaml", {**promo_scenario(), "seed": 99}))
    assert a.hash != b.hash
    cache_a = DiskCache(tmp_path / "cache", a.hash)
    run_scenario(a.scenario, cache=cache_a)
    assert DiskCache(tmp_path / "cache", b.hash).get(0) is None
    # a damaged file is recomputed, not trusted
    (cache_a.folder / "rep-1.npz").write_bytes(b"not a pickle")
    assert cache_a.get(1) is None


@pytest.mark.slow
def test_the_cli_resumes_from_kept_replications_and_cleans_up(tmp_path: Path) -> None:
    path = write(tmp_path / "promo.yaml", promo_scenario())
    loaded = load_scenario(path)
    out = tmp_path / "run"
    cache = DiskCache(tmp_path / ".promosim-cache", loaded.hash)
    # as if an earlier run had finished replication 1 before being stopped
    from sim.experiment import run_replication

    cache.put(1, run_replication(loaded.scenario, 1))
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".promosim-cache").exists()  # cleaned once the folder is written
    straight = tmp_path / "straight"
    result = runner.invoke(app, ["run", str(path), "--out", str(straight), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").read_bytes() == (straight / "summary.json").read_bytes()


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_and_dask_agrees(tmp_path: Path) -> None:
    from sim.compare import plan_sweep, run_sweep
    from sim.experiment import Runner
    from sim.loading import config_hash
    from sim.outputs import sweep_csv

    base = write(tmp_path / "base.yaml", promo_scenario())
    plan = plan_sweep(base, ["replications=2"], ["orders.per_day=1500,2500"], "grid")
    straight = sweep_csv(run_sweep(plan))
    root = tmp_path / "cache"
    budget = {"left": 3}

    def interrupting(scenario: Scenario, arms: tuple[str, ...]) -> Any:
        cache = DiskCache(root, f"{config_hash(scenario)}-{'+'.join(arms)}")

        class Once(Interrupting):
            def put(self, replication: int, result: Any) -> None:
                self.inner.put(replication, result)
                budget["left"] -= 1
                if budget["left"] == 0:
                    raise KeyboardInterrupt

        return Once(cache, after=-1)

    with pytest.raises(KeyboardInterrupt), Runner(cache_for=interrupting) as runner:
        run_sweep(plan, runner=runner)
    kept = sorted(p.name for p in root.rglob("rep-*.npz"))
    assert len(kept) == 3

    def plain(scenario: Scenario, arms: tuple[str, ...]) -> DiskCache:
        return DiskCache(root, f"{config_hash(scenario)}-{'+'.join(arms)}")

    ran: list[int] = []
    with Runner(cache_for=plain) as runner:
        resumed = sweep_csv(run_sweep(plan, runner=runner, on_done=ran.append))
    assert resumed == straight
    assert len(ran) == plan.total_replications  # cached ones count for progress too
    with Runner(workers=2, backend="dask") as runner:
        assert sweep_csv(run_sweep(plan, runner=runner)) == straight
