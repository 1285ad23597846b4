"""Shared fixtures: paths of bundled configs and a tiny valid scenario."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

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

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
SCENARIO_FILES = sorted(p for p in CONFIGS.rglob("*.yaml") if "platforms" not in p.parts)
"""The bundled scenario files (configs/platforms/ holds platform rule packs, not scenarios)."""


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
