"""The contact centre's invariants, by example and as hypothesis properties.

Invariants: contacts are conserved; waits are never negative and never exceed patience
for an answered contact; an agent never holds more than its capacity and works only while
on duty; FCFS within a channel; occupancy in [0, 1]; work conservation (nobody waits while
an agent who could take the contact has room).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.center import (
    ABANDONED,
    ANSWERED,
    CLOSED,
    OPEN,
    CenterResult,
    schedule_levels,
    simulate_center,
)
from sim.config import HourlySchedule, Scenario, ShiftsSchedule
from sim.demand import Contacts, first_contacts
from sim.hours import is_open, open_spans
from sim.metrics import replication_metrics
from sim.rng import Streams
from tests.conftest import tiny_scenario


def simulate(data: dict[str, Any], replication: int = 0) -> tuple[Scenario, Contacts, CenterResult]:
    s = Scenario.model_validate(data)
    contacts = first_contacts(s, Streams(s.seed, replication))
    return s, contacts, simulate_center(s, contacts)


def check_invariants(s: Scenario, c: Contacts, r: CenterResult) -> None:
    """Every invariant the engine promises, on one replication (follow-ups included)."""
    if r.contacts is not None:
        c = r.contacts
    horizon = s.calendar.horizon_seconds
    assert set(np.unique(r.outcome)) <= {ANSWERED, ABANDONED, OPEN, CLOSED}
    ans, ab, op = r.outcome == ANSWERED, r.outcome == ABANDONED, r.outcome == OPEN
    specs = [s.channels[name] for name in c.channels]
    keeps = np.array([spec.asynchronous for spec in specs])[c.channel]
    spans = [open_spans(spec.hours, s.calendar) for spec in specs]
    left = r.left if r.left is not None else np.zeros(len(c), dtype=bool)
    assert not np.any(left & ~keeps) and not np.any(left & ~ans)
    # waits: answered within patience, abandoned exactly at the deadline, open still patient
    wait = r.leave_queue_seconds - c.arrival_seconds
    assert np.all(wait[ans | ab] >= 0)
    # answered before patience ran out, or at once on arrival (zero patience); on an
    # asynchronous channel after it, to a buyer who left
    waited_out = wait >= c.patience_seconds
    assert np.all((wait[ans] < c.patience_seconds[ans]) | (wait[ans] == 0) | left[ans])
    assert np.array_equal(left[ans], (waited_out & (wait > 0) & keeps)[ans])
    assert np.array_equal(r.leave_queue_seconds[ab], (c.arrival_seconds + c.patience_seconds)[ab])
    assert np.all(r.leave_queue_seconds[ab] <= horizon)
    assert not np.any(ab & keeps)  # an asynchronous channel loses no message
    assert np.all((c.arrival_seconds[op] + c.patience_seconds[op] > horizon) | keeps[op])
    assert np.all(np.isnan(r.leave_queue_seconds[op]))
    # service hours: answers only while open; closed calls came while closed, left at once
    closed = r.outcome == CLOSED
    for ci, sp in enumerate(spans):
        of_c = c.channel == ci
        # [open, close), but an agent freed at the closing instant itself may still take a
        # contact then: its end (recorded exactly) is handled before the closing, which
        # waits for the clock's own step to reach that instant
        answers = r.answer_seconds[ans & of_c]
        assert np.all(is_open(sp, answers) | np.isin(answers, sp[:, 1]))
        assert not np.any(is_open(sp, c.arrival_seconds[closed & of_c]))
        if specs[ci].asynchronous or specs[ci].hours is None:
            assert not np.any(closed & of_c)
    assert np.array_equal(r.leave_queue_seconds[closed], c.arrival_seconds[closed])
    assert np.all(r.answer_seconds[ans] < horizon)
    assert np.all(r.agent[ans] >= 0) and np.all(r.agent[~ans] == -1)

    # FCFS within a channel: when a contact is answered, every contact of its channel that
    # arrived before it has already left the queue
    for ci in range(len(c.channels)):
        idx = np.flatnonzero(c.channel == ci)
        idx = idx[np.argsort(c.arrival_seconds[idx], kind="stable")]  # follow-ups come last
        leave = np.where(op[idx], np.inf, r.leave_queue_seconds[idx])
        before = np.concatenate([[-np.inf], np.maximum.accumulate(leave)[:-1]])
        mine = ans[idx]
        assert np.all(before[mine] <= r.answer_seconds[idx][mine] + 1e-9)

    # capacity and duty: per agent, units in service never exceed capacity, and every
    # contact is taken while its agent is on duty and not leaving
    spells = {int(a): (int(g), on, off) for a, g, on, off in r.spells}
    for agent in np.unique(r.agent[ans]):
        mine = np.flatnonzero(r.agent == agent)
        g, on, off = spells[int(agent)]
        start = r.answer_seconds[mine]
        assert np.all(start >= on) and np.all(start <= off)
        end = start + c.handle_seconds[mine]
        times = np.concatenate([start, end])
        delta = np.concatenate([r.units[mine], -r.units[mine]])
        order = np.lexsort((delta, times))  # at equal times, ends before starts
        assert np.cumsum(delta[order]).max() <= r.group_capacity[g]

    # occupancy in [0, 1] overall and per interval; conservation in the metrics
    m = replication_metrics(s, c, r)
    for key, value in m.overall.items():
        if key.endswith("occupancy") or key.endswith("_rate") or key.endswith("service_level"):
            assert 0.0 <= value <= 1.0 + 1e-12, key
    for key, values in m.intervals.items():
        if key.endswith("occupancy") or key.endswith("service_level"):
            finite = values[np.isfinite(values)]
            assert np.all((finite >= 0) & (finite <= 1 + 1e-12)), key
    for ch in [*c.channels, "all"]:
        o = m.overall
        assert o[f"{ch}.offered"] == o[f"{ch}.answered"] + o[f"{ch}.abandoned"] + o[f"{ch}.open"]


# --------------------------------------------------------------------------- examples


def test_tiny_scenario_keeps_every_invariant() -> None:
    check_invariants(*simulate(tiny_scenario(calendar={"days": 1})))


def test_work_conservation_single_channel() -> None:
    """A contact waits only while every slot of every agent is taken."""
    data = tiny_scenario(calendar={"days": 1})
    data["arrivals"][0]["contacts_per_hour"] = 40
    _, c, r = simulate(data)
    ans = r.outcome == ANSWERED
    start = r.answer_seconds[ans]
    end = start + c.handle_seconds[ans]
    waited = np.flatnonzero(ans | (r.outcome == ABANDONED))
    waited = waited[(r.leave_queue_seconds[waited] - c.arrival_seconds[waited]) > 0]
    assert waited.size > 50
    t = c.arrival_seconds[waited]
    in_service = np.searchsorted(np.sort(start), t, side="right") - np.searchsorted(
        np.sort(end), t, side="right"
    )
    assert np.all(in_service == 3)


def test_chat_concurrency_fills_slots_and_phone_needs_a_free_agent() -> None:
    data = tiny_scenario(
        calendar={"days": 1},
        arrivals=[
            {"kind": "poisson", "channel": "phone", "contacts_per_hour": 10},
            {"kind": "poisson", "channel": "chat", "contacts_per_hour": 60},
        ],
        channels={
            "phone": {"handle_time_seconds": {"dist": "exponential", "mean": 300}},
            "chat": {"handle_time_seconds": {"dist": "exponential", "mean": 240}, "concurrency": 3},
        },
        staffing={
            "groups": [
                {
                    "name": "mixed",
                    "channels": ["phone", "chat"],
                    "schedule": {"kind": "constant", "agents": 3},
                }
            ],
            "channel_priority": ["phone", "chat"],
        },
    )
    s, c, r = simulate(data)
    check_invariants(s, c, r)
    assert r.group_capacity == (3,)
    phone = c.channel == c.channels.index("phone")
    chat = ~phone
    ans = r.outcome == ANSWERED
    assert set(r.units[ans & phone]) == {3} and set(r.units[ans & chat]) == {1}
    # somebody held more than one chat at a time: concurrency is used
    start = r.answer_seconds[ans & chat]
    end = start + c.handle_seconds[ans & chat]
    per_agent = r.agent[ans & chat]
    overlapping = any(
        np.any(start[per_agent == a][1:] < np.maximum.accumulate(end[per_agent == a])[:-1])
        for a in np.unique(per_agent)
    )
    assert overlapping


def test_shift_end_finishes_the_contact_in_hand_as_overtime() -> None:
    data = tiny_scenario(
        calendar={"days": 1},
        arrivals=[{"kind": "poisson", "channel": "phone", "contacts_per_hour": 60}],
        channels={"phone": {"handle_time_seconds": {"dist": "deterministic", "value": 1800}}},
        staffing={
            "groups": [
                {
                    "name": "day",
                    "channels": ["phone"],
                    "schedule": {
                        "kind": "shifts",
                        "shifts": [{"start": "00:00", "end": "06:10", "agents": 2}],
                    },
                }
            ]
        },
    )
    s, c, r = simulate(data)
    check_invariants(s, c, r)
    end_of_shift = 6 * 3600 + 600
    ans = r.outcome == ANSWERED
    # nobody is answered after the shift ends, and work in hand then is finished
    assert np.all(r.answer_seconds[ans] < end_of_shift)
    finish = r.answer_seconds[ans] + c.handle_seconds[ans]
    late = finish[finish > end_of_shift]
    assert late.size == 2  # both agents were busy at the shift's end
    assert sorted(r.overtime[:, 2]) == pytest.approx(sorted(late))
    assert np.all(r.overtime[:, 1] == end_of_shift)
    m = replication_metrics(s, c, r)
    assert m.overall["overtime_hours"] == pytest.approx(float((late - end_of_shift).sum()) / 3600)
    # every later contact waits until its patience runs out or the horizon
    assert np.all(r.outcome[c.arrival_seconds > end_of_shift] != ANSWERED)


def test_hourly_level_drop_prefers_idle_agents_and_returns_leavers() -> None:
    levels = [4] * 24
    levels[2] = 1
    sched = HourlySchedule(kind="hourly", agents=levels)
    lv = schedule_levels(sched, 86400.0)
    assert list(lv.times) == [0.0, 7200.0, 10800.0]
    assert list(lv.agents) == [4, 1, 4]
    data = tiny_scenario(calendar={"days": 1})
    data["staffing"]["groups"][0]["schedule"] = {"kind": "hourly", "agents": levels}
    check_invariants(*simulate(data))


def test_shifts_crossing_midnight_cover_the_first_hours() -> None:
    sched = ShiftsSchedule.model_validate(
        {"kind": "shifts", "shifts": [{"start": "22:00", "end": "06:00", "agents": 3}]}
    )
    lv = schedule_levels(sched, 2 * 86400.0)
    assert list(lv.times) == [0.0, 6 * 3600.0, 22 * 3600.0, 30 * 3600.0, 46 * 3600.0]
    assert list(lv.agents) == [3, 0, 3, 0, 3]


def test_zero_agents_everyone_waits_or_abandons() -> None:
    data = tiny_scenario()
    data["staffing"]["groups"][0]["schedule"] = {"kind": "constant", "agents": 0}
    s, c, r = simulate(data)
    check_invariants(s, c, r)
    assert not np.any(r.outcome == ANSWERED)
    m = replication_metrics(s, c, r)
    assert "phone.occupancy" not in m.overall  # no staffed time: no denominator
    assert "phone.asa_seconds" not in m.overall


def test_zero_patience_is_answered_only_on_arrival() -> None:
    data = tiny_scenario(calendar={"days": 1})
    data["channels"]["phone"]["patience_seconds"] = {"dist": "deterministic", "value": 0}
    s, c, r = simulate(data)
    check_invariants(s, c, r)
    ans = r.outcome == ANSWERED
    assert np.all(r.answer_seconds[ans] == c.arrival_seconds[ans])
    assert np.any(r.outcome == ABANDONED)


def test_no_arrivals_at_all() -> None:
    data = tiny_scenario(arrivals=[])
    s, c, r = simulate(data)
    assert len(c) == 0
    m = replication_metrics(s, c, r)
    assert m.overall["contacts"] == 0
    assert "all.service_level" not in m.overall
    assert m.overall["all.occupancy"] == 0.0


# --------------------------------------------------------------------------- properties

dists = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(10, 900)),
    st.builds(lambda v: {"dist": "deterministic", "value": v}, st.sampled_from([0.0, 60.0, 300.0])),
    st.builds(
        lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv},
        st.floats(30, 600),
        st.floats(0.2, 2),
    ),
    st.builds(
        lambda m, cv: {"dist": "gamma", "mean": m, "cv": cv}, st.floats(30, 600), st.floats(0.2, 2)
    ),
)


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["constant", "hourly", "shifts"]))
    if kind == "constant":
        return {"kind": kind, "agents": draw(st.integers(0, 6))}
    if kind == "hourly":
        return {"kind": kind, "agents": draw(st.lists(st.integers(0, 6), min_size=24, max_size=24))}
    hhmm = st.builds(
        lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 45])
    )
    shifts = st.lists(
        st.builds(
            lambda a, b, n: {"start": a, "end": b, "agents": n}, hhmm, hhmm, st.integers(0, 4)
        ),
        min_size=1,
        max_size=4,
    )
    return {"kind": kind, "shifts": draw(shifts)}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.sampled_from([["phone"], ["chat"], ["phone", "chat"]]))
    channels = {
        n: {
            "handle_time_seconds": draw(dists),
            "patience_seconds": draw(st.one_of(st.none(), dists)),
            "service_level_seconds": draw(st.sampled_from([0, 20, 180])),
            "concurrency": draw(st.integers(1, 3)) if n == "chat" else 1,
        }
        for n in names
    }
    arrivals = [
        {"kind": "poisson", "channel": n, "contacts_per_hour": draw(st.floats(0, 120))}
        for n in names
    ]
    if draw(st.booleans()):
        arrivals.append(
            {
                "kind": "profile",
                "channel": names[0],
                "contacts_per_hour": draw(st.lists(st.floats(0, 80), min_size=24, max_size=24)),
            }
        )
    split = len(names) == 2 and draw(st.booleans())
    groups = (
        [
            {"name": f"g{i}", "channels": [n], "schedule": draw(schedules())}
            for i, n in enumerate(names)
        ]
        if split
        else [{"name": "g", "channels": list(names), "schedule": draw(schedules())}]
    )
    if len(names) == 2 and draw(st.booleans()):
        groups.append(
            {"name": "extra", "channels": list(reversed(names)), "schedule": draw(schedules())}
        )
    if "chat" in channels and draw(st.booleans()):
        channels["chat"]["silent_abandon_share"] = draw(st.sampled_from([0.3, 1.0]))
        channels["chat"]["silent_detect_seconds"] = draw(st.sampled_from([0.0, 90.0]))
    elif "chat" in channels and draw(st.booleans()):
        channels["chat"]["asynchronous"] = True
        channels["chat"]["left_answer"] = draw(st.sampled_from(["detect", "full"]))
    for n in names:
        hours = draw(st.sampled_from([None, None, ("02:00", "10:00"), ("20:00", "03:00")]))
        if hours is not None:
            channels[n]["hours"] = {"open": hours[0], "close": hours[1]}
    journey = {
        "repeat_probability": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "repeat_lag_hours": {"dist": "exponential", "mean": 0.2},
        "channel_switch_probability": draw(st.sampled_from([0.0, 0.5])),
        "redial_probability": draw(st.sampled_from([0.0, 0.6])),
        "redial_lag_minutes": {"dist": "exponential", "mean": 5},
        "max_contacts_per_issue": draw(st.integers(1, 4)),
    }
    return {
        "journey": journey,
        "calendar": {
            "days": draw(st.sampled_from([0.25, 0.5, 1.0])),
            "warmup_hours": draw(st.sampled_from([0, 1])),
        },
        "seed": draw(st.integers(0, 2**32)),
        "replications": 1,
        "arrivals": arrivals,
        "channels": channels,
        "staffing": {
            "groups": groups,
            "channel_priority": draw(st.permutations(names)) if draw(st.booleans()) else None,
        },
    }


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_hold_for_any_scenario(data: dict[str, Any]) -> None:
    check_invariants(*simulate(data))


def test_a_redial_with_no_patience_whose_deadline_rounds_before_now_abandons() -> None:
    """Found by hypothesis: deadline − now came out −1.1e-13 s and the timer refused it."""
    data = {
        "journey": {
            "repeat_probability": 0.0,
            "channel_switch_probability": 0.0,
            "redial_probability": 0.6,
            "redial_lag_minutes": {"dist": "exponential", "mean": 5},
            "max_contacts_per_issue": 2,
        },
        "calendar": {"days": 1.0, "warmup_hours": 0},
        "seed": 190,
        "replications": 1,
        "arrivals": [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 21.0}],
        "channels": {
            "phone": {
                "handle_time_seconds": {"dist": "exponential", "mean": 10.0},
                "patience_seconds": {"dist": "deterministic", "value": 0.0},
                "service_level_seconds": 0,
                "concurrency": 1,
            }
        },
        "staffing": {
            "groups": [
                {"name": "g", "channels": ["phone"], "schedule": {"kind": "constant", "agents": 0}}
            ],
            "channel_priority": None,
        },
    }
    s, c, r = simulate(data)
    check_invariants(s, c, r)
    assert (r.outcome == ABANDONED).all()  # no agent: every contact, redials too, abandons
    assert r.contacts is not None and len(r.outcome) > len(c.arrival_seconds)  # redials came


def test_a_slot_freed_by_a_silent_abandoner_is_not_taken_before_its_contact_ended() -> None:
    """Found by hypothesis: a ghost closed at the clock, before its slot's contact ended.

    An agent finding a silent abandoner (0 s to notice) closed it at the clock, a hair
    before the end of the contact whose slot it had taken, and the next contact started
    then: 3 chats on an agent of concurrency 2 for 2e-12 s.
    """
    data = {
        "journey": {
            "repeat_probability": 0.0,
            "repeat_lag_hours": {"dist": "exponential", "mean": 0.2},
            "channel_switch_probability": 0.0,
            "redial_probability": 0.0,
            "redial_lag_minutes": {"dist": "exponential", "mean": 5},
            "max_contacts_per_issue": 2,
        },
        "calendar": {"days": 0.25, "warmup_hours": 0},
        "seed": 128,
        "replications": 1,
        "arrivals": [
            {"kind": "poisson", "channel": "chat", "contacts_per_hour": 45.0},
            {"kind": "profile", "channel": "chat", "contacts_per_hour": [0.0] * 24},
        ],
        "channels": {
            "chat": {
                "handle_time_seconds": {"dist": "exponential", "mean": 38.0},
                "patience_seconds": {"dist": "exponential", "mean": 15.0},
                "service_level_seconds": 0,
                "concurrency": 2,
                "silent_abandon_share": 0.3,
                "silent_detect_seconds": 0.0,
                "hours": {"open": "02:00", "close": "10:00"},
            }
        },
        "staffing": {
            "groups": [
                {"name": "g", "channels": ["chat"], "schedule": {"kind": "constant", "agents": 2}}
            ],
            "channel_priority": None,
        },
    }
    check_invariants(*simulate(data))
