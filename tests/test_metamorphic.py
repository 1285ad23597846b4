"""Metamorphic relations under common random numbers.

Both arms of each comparison use the same seed, so they see the same arrivals, handle times
and patience draws; only the changed parameter differs, and its effect shows sharply.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.config import Scenario
from sim.experiment import run_scenario
from tests.conftest import tiny_scenario


def busy_day(agents: int, **channel: Any) -> Scenario:
    data = tiny_scenario(calendar={"days": 1, "warmup_hours": 1}, replications=8)
    data["arrivals"][0]["contacts_per_hour"] = 180  # 15 Erlang
    data["staffing"]["groups"][0]["schedule"]["agents"] = agents
    data["channels"]["phone"].update(channel)
    return Scenario.model_validate(data)


def means(s: Scenario, *keys: str) -> dict[str, float]:
    reps = run_scenario(s).replications
    return {k: float(np.mean([r.overall[k] for r in reps])) for k in keys}


KEYS = (
    "phone.mean_wait_seconds",
    "phone.asa_seconds",
    "phone.abandon_rate",
    "phone.service_level",
    "phone.offered",
)


def test_one_more_agent_never_makes_waiting_worse() -> None:
    before = means(busy_day(15), *KEYS)
    after = means(busy_day(16), *KEYS)
    assert after["phone.offered"] == before["phone.offered"]  # same contacts (CRN)
    assert after["phone.mean_wait_seconds"] < before["phone.mean_wait_seconds"]
    assert after["phone.asa_seconds"] < before["phone.asa_seconds"]
    assert after["phone.abandon_rate"] < before["phone.abandon_rate"]
    assert after["phone.service_level"] > before["phone.service_level"]


def test_more_patience_means_fewer_abandon() -> None:
    short = busy_day(15, patience_seconds={"dist": "exponential", "mean": 60})
    long = busy_day(15, patience_seconds={"dist": "exponential", "mean": 600})
    a, b = means(short, *KEYS), means(long, *KEYS)
    assert b["phone.abandon_rate"] < a["phone.abandon_rate"]
    assert b["phone.asa_seconds"] > a["phone.asa_seconds"]  # those who stay wait longer


def test_longer_handle_time_raises_occupancy_and_waits() -> None:
    keys = ("phone.occupancy", "phone.mean_wait_seconds")
    quick = means(busy_day(16, handle_time_seconds={"dist": "exponential", "mean": 270}), *keys)
    slow = means(busy_day(16, handle_time_seconds={"dist": "exponential", "mean": 300}), *keys)
    assert slow["phone.occupancy"] > quick["phone.occupancy"]
    assert slow["phone.mean_wait_seconds"] > quick["phone.mean_wait_seconds"]
