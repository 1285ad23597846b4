"""Shared fixtures: paths of bundled configs and a tiny valid scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


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
