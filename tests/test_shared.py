"""Scenarios that differ only in money or satisfaction share each replication's simulation.

A sweep, a comparison or a brief's sensitivity over ``economics`` or ``satisfaction``
simulates each replication once and tallies it for every scenario; staffing variants draw
the replication's demand once and simulate it each. The metrics must be those of each
scenario run alone, bit for bit.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import sim.center
import sim.demand
import sim.experiment
from sim.config import Scenario
from sim.demand import Arm
from sim.experiment import (
    Runner,
    _shared,
    arms_of,
    run_replication,
    run_replications,
    simulated_key,
)
from sim.loading import load_scenario
from sim.metrics import ReplicationMetrics
from tests.conftest import CONFIGS, tiny_scenario
from tests.test_center import scenarios
from tests.test_streaming import _other_staffing


def _bytes(arms: dict[Arm, ReplicationMetrics]) -> bytes:
    return pickle.dumps(arms)


def _money_and_mood(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenario, one with a dearer 差评 and margin, one with gloomier buyers."""
    dearer = copy.deepcopy(data)
    dearer.setdefault("economics", {}).update(
        {"value_of_bad_review_yuan": 1500.0, "clv_margin_yuan": 400.0}
    )
    gloomier = copy.deepcopy(data)
    gloomier.setdefault("satisfaction", {}).update({"b0": -1.2, "k_dissatisfied": 4.0})
    return [data, dearer, gloomier]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_one_simulation_tallied_for_each_is_each_run_alone(data: dict[str, Any]) -> None:
    group = [Scenario.model_validate(d) for d in _money_and_mood(data)]
    assert len({simulated_key(s) for s in group}) == 1
    # a staffing variant: the same demand, drawn once, its own simulation
    group.append(Scenario.model_validate(_other_staffing(data)))
    shared = run_replications(group, 0)
    assert [_bytes(m) for m in shared] == [_bytes(run_replication(s, 0)) for s in group]


def test_the_bundled_deal_tallied_three_ways_is_each_run_alone() -> None:
    """Orders, bots, both arms: the shared tallies equal lone runs, and differ from each other."""
    loaded = [
        load_scenario(CONFIGS / "second_item_1yuan.yaml", ["calendar.days=8", *sets]).scenario
        for sets in (
            [],
            ["economics.value_of_bad_review_yuan=1500", "economics.clv_margin_yuan=400"],
            ["satisfaction.b0=-1.2", "satisfaction.k_dissatisfied=4"],
        )
    ]
    shared = run_replications(loaded, 1)
    for s, m in zip(loaded, shared, strict=True):
        assert set(m) == set(arms_of(s))
        assert _bytes(m) == _bytes(run_replication(s, 1))
    base, dearer, gloomier = (m["promotion"].overall for m in shared)
    # the same contacts, told apart by what each tally reads
    assert base["contacts"] == dearer["contacts"] == gloomier["contacts"]
    assert dearer["net_yuan"] != base["net_yuan"]
    assert gloomier["bad_reviews"] != base["bad_reviews"]


def test_the_runner_simulates_a_replication_once_for_scenarios_of_one_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three money/satisfaction variants share a simulation; a staffing variant its demand."""
    small = tiny_scenario(replications=3)
    small["calendar"] = {"days": 1, "interval_minutes": 60}
    data = _money_and_mood(small)
    other = _other_staffing(data[0])
    promotion: tuple[Arm, ...] = ("promotion",)
    jobs = [(Scenario.model_validate(d), promotion) for d in [*data, other]]
    calls = draws = 0
    real = sim.center.stream_center
    real_demand = sim.demand.DemandStream

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    def drawn(*args: Any, **kwargs: Any) -> Any:
        nonlocal draws
        draws += 1
        return real_demand(*args, **kwargs)

    monkeypatch.setattr(sim.experiment, "stream_center", counted)
    monkeypatch.setattr(sim.experiment, "DemandStream", drawn)
    done: list[tuple[int, int]] = []
    with Runner(workers=1) as runner:
        out = runner.run(jobs, on_done=lambda j, r: done.append((j, r)))
    replications = jobs[0][0].replications
    assert calls == 2 * replications  # one simulation per replication and key, not four
    assert draws == replications  # the staffing variant's orders too are drawn once
    assert sorted(done) == [(j, r) for j in range(4) for r in range(replications)]
    for (s, arms), reps in zip(jobs, out, strict=True):
        assert [_bytes(m) for m in reps] == [
            _bytes(run_replication(s, r, arms)) for r in range(replications)
        ]


def test_tasks_split_between_simulations_to_keep_the_workers_busy() -> None:
    """One replication, two simulations' worth of jobs: two tasks on two workers, not one."""
    small = tiny_scenario(replications=1)
    data = _money_and_mood(small)
    other = _other_staffing(small)
    promotion: tuple[Arm, ...] = ("promotion",)
    jobs = [(Scenario.model_validate(d), promotion) for d in [*data, other]]
    todo = [(j, 0) for j in range(4)]
    assert _shared(jobs, todo, 1) == [((0, 1, 2, 3), 0)]
    assert _shared(jobs, todo, 2) == [((0, 1, 2), 0), ((3,), 0)]
    # a simulation's tallies are never split: no more tasks than simulations
    assert _shared(jobs, todo, 8) == [((0, 1, 2), 0), ((3,), 0)]
    assert _shared(jobs[:1], [(0, 0)], 2) == [((0,), 0)]


def test_a_large_replication_s_staffing_variants_stream_their_demand_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sharing demand holds it whole: beyond the bound each simulation streams its own."""
    small = tiny_scenario(replications=1)
    other = _other_staffing(small)
    promotion: tuple[Arm, ...] = ("promotion",)
    jobs = [(Scenario.model_validate(d), promotion) for d in [*_money_and_mood(small), other]]
    todo = [(j, 0) for j in range(4)]
    assert _shared(jobs, todo, 1) == [((0, 1, 2, 3), 0)]
    monkeypatch.setattr(sim.experiment, "SHARED_DEMAND_CONTACTS", 0)
    assert _shared(jobs, todo, 1) == [((0, 1, 2), 0), ((3,), 0)]
