"""Shrinkage (``staffing.shrinkage``): agents on staggered breaks, paid but off contacts.

- Exact: c agents with shrinkage s where c(1 − s) = m is whole are m agents taking
  contacts: the same fate for every contact as a run of m agents, and Erlang C's waits.
- Conservation: break agent-time per interval is exactly shrinkage × scheduled agent-time
  when every break can begin on time (no contact in hand); with contacts a break begins
  when its agent is free, so never more is on break than the rota says, and less in total.
- Shifts: an agent on break keeps its crew and goes off duty when the crew's shift ends;
  nobody stays on duty past the shift but to finish a contact (overtime).
- Metrics: agent-hours stay paid time, occupancy is of the time available for contacts,
  break hours are reported; with shrinkage 0 nothing changes (tests/test_golden.py).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import staffing
from sim.catalog import lookup
from sim.center import (
    CenterResult,
    ScheduleLevels,
    break_steps,
    schedule_levels,
    simulate_center,
    stream_center,
)
from sim.config import Exponential, PoissonArrivals, Scenario
from sim.demand import Contacts, first_contacts
from sim.experiment import run_scenario
from sim.loading import load_scenario
from sim.localtime import LocalClock
from sim.metrics import overlap, replication_metrics
from sim.rng import Streams
from sim.stats import ci_halfwidth
from tests.conftest import tiny_scenario
from tests.test_center import check_invariants
from tests.test_streaming import slices
from tests.test_validation import ATOL

VALIDATION = Path(__file__).resolve().parent.parent / "configs" / "validation"


def simulate(data: dict[str, Any], replication: int = 0) -> tuple[Scenario, Contacts, CenterResult]:
    s = Scenario.model_validate(data)
    streams = Streams(s.seed, replication)
    contacts = first_contacts(s, streams)
    return s, contacts, simulate_center(s, contacts, streams.issues, named=streams)


def levels_of(s: Scenario) -> list[ScheduleLevels]:
    offset = LocalClock.of(s.calendar.start).offset
    return [
        schedule_levels(
            g.schedule, s.calendar.horizon_seconds, s.calendar.interval_seconds, offset=offset
        )
        for g in s.staffing.groups
    ]


def per_interval(s: Scenario, r: CenterResult) -> tuple[np.ndarray, np.ndarray]:
    """Per group and calendar interval (from 0): break agent-time, and the rota's target."""
    horizon, width = s.calendar.horizon_seconds, s.calendar.interval_seconds
    edges = np.append(np.arange(math.ceil(horizon / width - 1e-9)) * width, horizon)
    assert r.breaks is not None
    got, want = [], []
    for gi, lv in enumerate(levels_of(s)):
        mine = r.breaks[r.breaks[:, 1] == gi]
        got.append(overlap(mine[:, 2], mine[:, 3], np.ones(len(mine)), edges))
        ends = np.append(lv.times[1:], horizon)
        want.append(s.staffing.shrinkage * overlap(lv.times, ends, lv.agents, edges))
    return np.array(got), np.array(want)


def on_break(r: CenterResult, group: int, t: np.ndarray) -> np.ndarray:
    """Agents of ``group`` on break at each time in ``t`` (spans are ``[start, end)``)."""
    assert r.breaks is not None
    mine = r.breaks[r.breaks[:, 1] == group]
    starts, ends = np.sort(mine[:, 2]), np.sort(mine[:, 3])
    return np.searchsorted(starts, t, side="right") - np.searchsorted(ends, t, side="right")


def check_breaks(s: Scenario, c: Contacts, r: CenterResult) -> None:
    """What breaks promise, on one replication."""
    assert r.breaks is not None
    if r.contacts is not None:
        c = r.contacts
    horizon = s.calendar.horizon_seconds
    brk = r.breaks
    assert np.all(brk[:, 2] <= brk[:, 3]) and np.all(brk[:, 3] <= horizon)
    # a break lies inside its agent's spell on duty
    spells = {int(a): (on, off) for a, _, on, off in r.spells}
    for a, _, start, end in brk:
        on, off = spells[int(a)]
        assert on <= start and end <= off
    # never more on break than the rota says, nor than on duty
    for gi, lv in enumerate(levels_of(s)):
        steps = break_steps(lv, s.staffing.shrinkage, horizon, s.calendar.interval_seconds)
        times = np.array([t for t, _ in steps] + [0.0])
        mine = brk[brk[:, 1] == gi]
        probe = np.unique(np.concatenate([times, mine[:, 2], mine[:, 3]]))
        probe = probe[probe < horizon]
        k = np.searchsorted(times[:-1], probe, side="right") - 1
        target = np.where(k >= 0, np.array([n for _, n in steps] + [0])[k], 0)
        assert np.all(on_break(r, gi, probe) <= target)
        sp = r.spells[r.spells[:, 1] == gi]
        duty = np.searchsorted(np.sort(sp[:, 2]), probe, side="right") - np.searchsorted(
            np.sort(sp[:, 3]), probe, side="right"
        )
        assert np.all(on_break(r, gi, probe) <= duty)
    # no contact in hand during a break
    ans = r.agent >= 0
    for a, _, start, end in brk:
        mine = ans & (r.agent == int(a))
        s0 = r.answer_seconds[mine]
        e0 = s0 + c.handle_seconds[mine]
        assert np.all((e0 <= start + 1e-9) | (s0 >= end - 1e-9))
    # at most what the rota says, per interval
    got, want = per_interval(s, r)
    assert np.all(got <= want + 1e-6)


def scenario(shrinkage: float, agents: int, **kw: Any) -> dict[str, Any]:
    data = tiny_scenario(**kw)
    data["staffing"]["groups"][0]["schedule"] = {"kind": "constant", "agents": agents}
    data["staffing"]["shrinkage"] = shrinkage
    return data


# --------------------------------------------------------------------------- exact


def test_whole_agents_on_break_are_fewer_agents_contact_for_contact() -> None:
    # 10 agents with 20% shrinkage: 2 on break throughout, 8 take contacts
    for replication in range(3):
        base = {"calendar": {"days": 1, "warmup_hours": 1}, "seed": 5}
        s, c, shrunk = simulate(scenario(0.2, 10, **base), replication)
        s8, c8, plain = simulate(scenario(0.0, 8, **base), replication)
        assert np.array_equal(c.arrival_seconds, c8.arrival_seconds)  # same contacts
        assert np.array_equal(shrunk.outcome, plain.outcome)  # same fates
        assert shrunk.answer_seconds.tobytes() == plain.answer_seconds.tobytes()
        assert shrunk.overtime.size == 0
        assert shrunk.breaks is not None and len(shrunk.breaks) == 2
        m, m8 = (
            replication_metrics(s, c, shrunk).overall,
            replication_metrics(s8, c8, plain).overall,
        )
        for key in ("phone.asa_seconds", "phone.service_level", "phone.abandon_rate"):
            assert m[key] == m8[key], key
        # paid for 10, available for 8: occupancy is of the 8
        assert m["phone.occupancy"] == pytest.approx(m8["phone.occupancy"], rel=1e-12)
        assert m["agent_hours"] == pytest.approx(10 / 8 * m8["agent_hours"], rel=1e-12)
        assert m["break_hours"] == pytest.approx(2 / 8 * m8["agent_hours"], rel=1e-12)
        assert m["group.agents.break_hours"] == m["break_hours"]
        assert m["phone.agents"] == pytest.approx(10 / 8 * m8["phone.agents"], rel=1e-12)
        check_invariants(s, c, shrunk)
        check_breaks(s, c, shrunk)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("filename", "shrinkage"), [("erlang_c_light.yaml", 0.2), ("erlang_c_heavy.yaml", 0.3)]
)
def test_shrunk_stationary_queue_matches_erlang_c(filename: str, shrinkage: float) -> None:
    """``c`` agents, shrinkage ``s``, ``c(1 − s) = m`` whole: Erlang C with ``m`` servers."""
    loaded = load_scenario(VALIDATION / filename).scenario
    group = loaded.staffing.groups[0]
    assert group.schedule.kind == "constant"
    m = group.schedule.agents
    c = round(m / (1 - shrinkage))
    assert c * (1 - shrinkage) == pytest.approx(m)
    data = loaded.model_dump(mode="json")
    data["staffing"]["groups"][0]["schedule"]["agents"] = c
    data["staffing"]["shrinkage"] = shrinkage
    s = Scenario.model_validate(data)
    (arr,) = s.arrivals
    channel = s.channels["phone"]
    assert isinstance(arr, PoissonArrivals) and isinstance(arr.contacts_per_hour, float | int)
    assert isinstance(channel.handle_time_seconds, Exponential)
    exact = staffing.erlang_a(
        arr.contacts_per_hour,
        channel.handle_time_seconds.mean,
        None,
        m,
        channel.service_level_seconds,
    )
    result = run_scenario(s)
    failures = []
    for metric, atol in ATOL.items():
        values = np.array([r.overall[f"phone.{metric}"] for r in result.replications])
        expected = getattr(exact, metric)
        mean, half = float(values.mean()), ci_halfwidth(values, 0.99)
        if abs(mean - expected) > half + atol:
            failures.append(f"{metric}: simulated {mean:.5f} ± {half:.5f}, exact {expected:.5f}")
    assert not failures, failures
    hours = np.array(
        [r.overall["break_hours"] / r.overall["agent_hours"] for r in result.replications]
    )
    assert np.allclose(hours, shrinkage, rtol=1e-9)


def test_a_fractional_break_lies_between_its_whole_neighbours() -> None:
    # 5 agents at 10%: one on break half of every interval; waits between 5 and 4 agents
    base = {"calendar": {"days": 2, "warmup_hours": 1}, "seed": 9, "replications": 6}
    base["arrivals"] = [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 40}]
    asa = {}
    for key, (shrink, agents) in {"five": (0.0, 5), "half": (0.1, 5), "four": (0.0, 4)}.items():
        reps = run_scenario(Scenario.model_validate(scenario(shrink, agents, **base))).replications
        asa[key] = np.mean([r.overall["phone.asa_seconds"] for r in reps])
    assert asa["five"] < asa["half"] < asa["four"]


# --------------------------------------------------------------------------- conservation


def hourly(shrinkage: float, rate: float, **kw: Any) -> dict[str, Any]:
    data = tiny_scenario(calendar={"days": 2, "interval_minutes": 30}, seed=3, **kw)
    data["arrivals"][0]["contacts_per_hour"] = rate
    levels = [2, 2, 2, 2, 2, 2, 3, 5, 7, 9, 9, 9, 8, 8, 9, 9, 9, 8, 6, 5, 4, 3, 3, 2]
    data["staffing"]["groups"][0]["schedule"] = {"kind": "hourly", "agents": levels}
    data["staffing"]["shrinkage"] = shrinkage
    return data


def test_break_steps_average_shrinkage_times_the_level_in_every_interval() -> None:
    s = Scenario.model_validate(hourly(0.17, 0))
    horizon, width = s.calendar.horizon_seconds, s.calendar.interval_seconds
    (lv,) = levels_of(s)
    steps = break_steps(lv, 0.17, horizon, width)
    times = np.array([t for t, _ in steps])
    counts = np.array([n for _, n in steps], dtype=np.float64)
    edges = np.append(np.arange(math.ceil(horizon / width)) * width, horizon)
    got = overlap(times, np.append(times[1:], horizon), counts, edges)
    want = 0.17 * overlap(lv.times, np.append(lv.times[1:], horizon), lv.agents, edges)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-9)
    # whole numbers of agents, never more than scheduled, and deterministic
    level_at = lv.agents[np.searchsorted(lv.times, times, side="right") - 1]
    assert np.all(counts <= level_at) and np.all(counts >= 0)
    assert steps == break_steps(lv, 0.17, horizon, width)
    # a level of 9 at 17%: 1.53 on break, 2 for the first 53% of the interval, then 1
    at_noon = [n for t, n in steps if 10 * 3600 <= t < 11 * 3600]
    assert at_noon == [2, 1, 2, 1]


def test_with_nobody_busy_breaks_are_exactly_the_shrinkage() -> None:
    s, c, r = simulate(hourly(0.17, 0))
    got, want = per_interval(s, r)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-6)
    assert r.overtime.size == 0
    check_breaks(s, c, r)
    m = replication_metrics(s, c, r).overall
    assert m["break_hours"] == pytest.approx(0.17 * m["agent_hours"], rel=1e-9)


def test_with_contacts_breaks_wait_for_free_agents_and_add_up_to_less() -> None:
    for rule in ("random", "oldest_call", "newest_call"):
        data = hourly(0.17, 60)  # up to 5 Erlang on 9 agents
        data["channels"]["phone"]["handle_time_seconds"] = {
            "dist": "lognormal",
            "mean": 300,
            "cv": 1.2,
        }
        data["staffing"]["leaver"] = rule
        s, c, r = simulate(data)
        check_invariants(s, c, r)
        check_breaks(s, c, r)
        got, want = per_interval(s, r)
        # most breaks begin on time or soon after: a free agent goes first
        assert 0.95 * want.sum() < got.sum() < want.sum()
        m = replication_metrics(s, c, r).overall
        assert m["phone.occupancy"] > 0
        assert m["break_hours"] == pytest.approx(got.sum() / 3600, rel=1e-9)


# --------------------------------------------------------------------------- shifts


def test_a_crew_ends_with_its_agents_on_break() -> None:
    data = tiny_scenario(calendar={"days": 3, "interval_minutes": 30}, seed=21)
    data["arrivals"][0]["contacts_per_hour"] = 50
    data["staffing"]["groups"][0]["schedule"] = {
        "kind": "shifts",
        "shifts": [
            {"start": "08:00", "end": "17:00", "agents": 6},
            {"start": "13:00", "end": "22:00", "agents": 4},
        ],
    }
    data["staffing"]["shrinkage"] = 0.3
    s, c, r = simulate(data)
    check_invariants(s, c, r)
    check_breaks(s, c, r)
    assert r.breaks is not None
    length = 9 * 3600.0
    overtime = sorted((start, end) for _, start, end in r.overtime.tolist())
    late = []
    for a, _, on, off in r.spells:
        shift_end = on + length
        assert off >= shift_end  # on duty the whole shift
        if off > shift_end:
            late.append((shift_end, off))  # finishing a contact: overtime
        # no break after its shift
        mine = r.breaks[r.breaks[:, 0] == a]
        assert np.all(mine[:, 3] <= shift_end)
    assert sorted(late) == overtime
    # some agents were on break when their shift ended: they went off duty from the break,
    # on time
    spells = {int(a): (on, off) for a, _, on, off in r.spells}
    ended_on_break = [
        int(a)
        for a, _, _, end in r.breaks
        if end == spells[int(a)][1] and end < s.calendar.horizon_seconds
    ]
    assert ended_on_break
    assert all(spells[a][1] == spells[a][0] + length for a in ended_on_break)


# --------------------------------------------------------------------------- property


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    levels=st.lists(st.integers(0, 6), min_size=24, max_size=24),
    shrinkage=st.floats(0, 0.6),
    rate=st.sampled_from([0, 10, 40]),
    concurrency=st.sampled_from([1, 2]),
    rule=st.sampled_from(["random", "oldest_call", "newest_call"]),
    shifts=st.booleans(),
)
def test_breaks_keep_every_invariant(
    levels: list[int], shrinkage: float, rate: int, concurrency: int, rule: str, shifts: bool
) -> None:
    data = tiny_scenario(calendar={"days": 1, "interval_minutes": 15})
    data["arrivals"][0]["contacts_per_hour"] = rate
    data["channels"]["phone"]["concurrency"] = concurrency
    schedule: dict[str, Any] = {"kind": "hourly", "agents": levels}
    if shifts:
        schedule = {
            "kind": "shifts",
            "shifts": [
                {"start": f"{h:02d}:20", "end": f"{(h + 7) % 24:02d}:50", "agents": n}
                for h, n in enumerate(levels[:4])
            ],
        }
    data["staffing"]["groups"][0]["schedule"] = schedule
    data["staffing"]["shrinkage"] = shrinkage
    data["staffing"]["leaver"] = rule
    s, c, r = simulate(data)
    check_invariants(s, c, r)
    check_breaks(s, c, r)
    if rate == 0:  # nobody busy: every break on time
        got, want = per_interval(s, r)
        assert np.allclose(got, want, rtol=1e-9, atol=1e-6)


def test_break_hours_are_in_the_catalog() -> None:
    s, c, r = simulate(hourly(0.2, 20))
    keys = replication_metrics(s, c, r).overall
    assert "break_hours" in keys and "group.agents.break_hours" in keys
    assert lookup("break_hours") is not None and lookup("group.agents.break_hours") is not None
    s0, c0, plain = simulate(hourly(0.0, 20))
    assert "break_hours" not in replication_metrics(s0, c0, plain).overall


def test_streamed_in_segments_the_breaks_are_the_same() -> None:
    data = hourly(0.23, 60)
    s = Scenario.model_validate(data)
    streams = Streams(s.seed, 1)
    contacts = first_contacts(s, streams)
    whole = simulate_center(s, contacts, streams.issues, named=streams)
    streams = Streams(s.seed, 1)
    first_contacts(s, streams)  # the same streams handed out as above
    parts = list(
        stream_center(s, slices(contacts), streams.issues, 3600.0, batch_contacts=0, named=streams)
    )
    assert len(parts) > 10
    assert whole.breaks is not None and parts[-1].breaks is not None
    assert len(whole.breaks) > 50
    assert whole.breaks.tobytes() == parts[-1].breaks.tobytes()
    assert all(p.breaks is not None and p.breaks.size == 0 for p in parts[:-1])
    assert whole.overtime.tobytes() == parts[-1].overtime.tobytes()
