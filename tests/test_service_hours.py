"""The desk's hours: channels that open and close, and messages that are never lost.

Calls outside the hours hear "closed"; asynchronous (chat) channels keep every message; the
KPI hours are the ones platforms count a response rate in.

Small scenarios with direct Poisson streams, so each rule is seen on its own; the Erlang C
check of an asynchronous channel is exact (patience only marks who left).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import yaml

from sim import staffing
from sim.center import ABANDONED, ANSWERED, CLOSED, OPEN, REDIAL, CenterResult, simulate_center
from sim.config import Hours, Scenario
from sim.demand import first_contacts
from sim.experiment import run_scenario
from sim.hours import is_open, next_opening, open_spans
from sim.loading import ScenarioError, load_text
from sim.metrics import replication_metrics
from sim.outcomes import issue_table
from sim.rng import Streams
from sim.stats import ci_halfwidth

DAY = 86400.0
HOUR = 3600.0


def group(name: str, channels: list[str], agents: int) -> dict[str, Any]:
    """A staffing group with a constant number of agents."""
    return {"name": name, "channels": channels, "schedule": {"kind": "constant", "agents": agents}}


def desk(**changes: Any) -> Scenario:
    """Two days of chat (and a phone line) around the clock, 60 contacts an hour each."""
    doc: dict[str, Any] = {
        "name": "desk",
        "calendar": {"start": "2026-01-05T00:00:00", "days": 2, "interval_minutes": 30},
        "seed": 7,
        "replications": 1,
        "arrivals": [
            {"kind": "poisson", "channel": "chat", "contacts_per_hour": 60},
            {"kind": "poisson", "channel": "phone", "contacts_per_hour": 20},
        ],
        "channels": {
            "chat": {
                "handle_time_seconds": {"dist": "exponential", "mean": 300},
                "patience_seconds": {"dist": "exponential", "mean": 600},
                "service_level_seconds": 180,
                "concurrency": 2,
            },
            "phone": {
                "handle_time_seconds": {"dist": "exponential", "mean": 200},
                "patience_seconds": {"dist": "exponential", "mean": 90},
            },
        },
        "journey": {"redial_probability": 0.0},
        "staffing": {
            "groups": [
                group("chat", ["chat"], 6),
                group("hotline", ["phone"], 3),
            ]
        },
    }
    for path, value in changes.items():
        node: Any = doc
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
        node[leaf] = value
    return load_text(yaml.safe_dump(doc, allow_unicode=True)).scenario


def run(s: Scenario, replication: int = 0) -> CenterResult:
    streams = Streams(s.seed, replication)
    contacts = first_contacts(s, streams)
    return simulate_center(s, contacts, streams.issues)


def local_hour(t: np.ndarray) -> np.ndarray:
    return (t % DAY) / HOUR


# --------------------------------------------------------------------------- spans


def test_daily_hours_become_spans_and_the_next_opening_is_exact() -> None:
    s = desk()
    spans = open_spans(Hours(open="08:00", close="24:00"), s.calendar)
    assert spans.tolist() == [[8 * HOUR, DAY], [DAY + 8 * HOUR, 2 * DAY]]
    t = np.array([0.0, 8 * HOUR - 1e-6, 8 * HOUR, 12 * HOUR, DAY - 1e-9, DAY, 1.5 * DAY])
    assert is_open(spans, t).tolist() == [False, False, True, True, True, False, True]
    assert next_opening(spans, t).tolist() == [
        8 * HOUR, 8 * HOUR, 8 * HOUR, 12 * HOUR, DAY - 1e-9, DAY + 8 * HOUR, 1.5 * DAY
    ]  # fmt: skip
    # after the last closing there is no opening inside the horizon
    assert next_opening(spans, [2 * DAY + 1.0]).tolist() == [math.inf]


def test_hours_over_midnight_per_weekday_and_a_start_in_the_evening() -> None:
    # 2026-01-05 is a Monday; the horizon starts at 20:00 local time
    s = desk(calendar__start="2026-01-05T20:00:00")
    late = Hours(open="22:00", close="02:00")
    spans = open_spans(late, s.calendar)
    # Monday 22:00 is 2 h after time 0; Sunday's span (before time 0) ended at 02:00
    assert spans.tolist() == [[2 * HOUR, 6 * HOUR], [DAY + 2 * HOUR, DAY + 6 * HOUR]]
    week: list[Hours | None] = [Hours(open="09:00", close="18:00")] * 5 + [None, None]
    monday_on = open_spans(week, desk().calendar)
    assert monday_on.tolist() == [[9 * HOUR, 18 * HOUR], [DAY + 9 * HOUR, DAY + 18 * HOUR]]
    saturday = desk(calendar__start="2026-01-10T00:00:00")  # Saturday and Sunday: closed
    assert open_spans(week, saturday.calendar).shape == (0, 2)
    assert open_spans(Hours(open="00:00", close="24:00"), s.calendar).shape == (1, 2)


def test_bad_hours_and_settings_are_reported_at_once() -> None:
    text = """\
name: bad
journey: {closed_redial_probability: 0.8, closed_switch_probability: 0.4}
arrivals: [{kind: poisson, channel: chat, contacts_per_hour: 1}]
channels:
  chat:
    handle_time_seconds: {dist: exponential, mean: 60}
    asynchronous: true
    hours: {open: "25:00", close: "08:00"}
    kpi_hours: [1, 2]
  phone:
    handle_time_seconds: {dist: exponential, mean: 60}
    hours: [{open: "09:00", close: "18:00"}]
staffing:
  groups: [{name: g, channels: [chat, phone], schedule: {kind: constant, agents: 1}}]
"""
    with pytest.raises(ScenarioError) as e:
        load_text(text, "bad.yaml")
    message = str(e.value)
    for where in (
        "journey.closed_switch_probability",
        "channels.chat.hours",
        "channels.chat.kpi_hours",
        "channels.phone.hours",
    ):
        assert where in message, (where, message)


def test_an_asynchronous_channel_has_no_silent_abandoners() -> None:
    with pytest.raises(ScenarioError, match=r"channels\.chat\.silent_abandon_share"):
        desk(channels__chat__asynchronous=True, channels__chat__silent_abandon_share=0.7)


# --------------------------------------------------------------------------- neutral


def test_round_the_clock_hours_and_synchronous_channels_change_nothing() -> None:
    absent = desk(journey__redial_probability=0.5)
    whole = desk(
        journey__redial_probability=0.5,
        channels__chat__hours={"open": "00:00", "close": "24:00"},
        channels__phone__hours=[{"open": "00:00", "close": "24:00"}] * 7,
    )
    a, b = run(absent), run(whole)
    assert len(a.outcome) > 3000
    for name in ("outcome", "answer_seconds", "leave_queue_seconds", "agent", "kind"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.left is None and b.left is None


# --------------------------------------------------------------------------- closed calls


@pytest.mark.parametrize(("redial", "switch"), [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.5, 0.3)])
def test_calls_outside_hours_hear_closed_and_come_back_as_the_journey_says(
    redial: float, switch: float
) -> None:
    s = desk(
        channels__phone__hours={"open": "09:00", "close": "18:00"},
        journey__closed_redial_probability=redial,
        journey__closed_switch_probability=switch,
        # calls of an order-caused reason that may also come by chat (a switch goes there;
        # direct arrivals' reasons never switch)
        arrivals=[{"kind": "poisson", "channel": "chat", "contacts_per_hour": 60}],
        orders={"per_day": 1500},
        contact_reasons=[
            {
                "name": "calls",
                "rate_per_order": 0.4,
                "anchor": "order",
                "lag_hours": {"dist": "exponential", "mean": 1},
                "channel_mix": {"phone": 0.8, "chat": 0.2},
            }
        ],
    )
    r = run(s)
    c = r.contacts
    assert c is not None and r.kind is not None and r.issue is not None
    phone, chat = c.channels.index("phone"), c.channels.index("chat")
    hour = local_hour(c.arrival_seconds)
    on_phone = c.channel == phone
    inside = (hour >= 9) & (hour < 18)
    # every call outside the hours is closed; none inside is
    assert np.all(r.outcome[on_phone & ~inside] == CLOSED)
    assert not np.any(r.outcome[on_phone & inside] == CLOSED)
    assert not np.any(r.outcome[~on_phone] == CLOSED)
    answered_phone = on_phone & (r.outcome == ANSWERED)
    assert np.all(local_hour(r.answer_seconds[answered_phone]) >= 9)
    assert np.all(local_hour(r.answer_seconds[answered_phone]) < 18)
    # the last evening's closed calls could only come back after the horizon
    closed = np.flatnonzero((r.outcome == CLOSED) & (c.arrival_seconds < 2 * DAY - 6 * HOUR))
    assert closed.size > 250
    # what each closed call led to: the next contact of its issue
    follow = {int(r.issue[k]): k for k in np.flatnonzero(r.kind == REDIAL)}
    came_back = np.array([int(r.issue[k]) in follow for k in closed])
    share = came_back.mean()
    assert abs(share - (redial + switch)) < 0.06
    spans = open_spans(s.channels["phone"].hours, s.calendar)
    for k in closed[came_back]:
        j = follow[int(r.issue[k])]
        if c.channel[j] == phone:  # a redial after the opening
            assert c.arrival_seconds[j] >= next_opening(spans, [c.arrival_seconds[k]])[0]
        else:  # written at once on another channel
            assert c.channel[j] == chat
            assert c.arrival_seconds[j] == c.arrival_seconds[k]
    metrics = replication_metrics(s, c, r).overall
    assert metrics["phone.closed"] == int(((r.outcome == CLOSED) & on_phone).sum())
    assert metrics["phone.offered"] == int((on_phone & (r.outcome != CLOSED)).sum())
    assert "chat.closed" not in metrics  # a channel without hours closes nothing


# --------------------------------------------------------------------------- asynchronous


def async_desk(**changes: Any) -> Scenario:
    return desk(
        channels__chat__asynchronous=True,
        channels__chat__hours={"open": "08:00", "close": "24:00"},
        **changes,
    )


def test_an_asynchronous_channel_loses_no_message() -> None:
    s = async_desk(staffing__groups__0__schedule={"kind": "constant", "agents": 3})
    result = run_scenario(s.model_copy(update={"replications": 3}))
    for rep in result.replications:
        m = rep.overall
        assert m["chat.abandoned"] == 0
        assert m["chat.offered"] == m["chat.answered"] + m["chat.open"]
        assert m["chat.left_before_answer"] > 0  # patience still says who left
        assert m["chat.left_rate"] == m["chat.left_before_answer"] / m["chat.offered"]
        assert m["chat.first_response_seconds"] == m["chat.asa_seconds"]


def test_off_hours_messages_wait_for_the_opening_and_plenty_of_agents_answer_them_at_once() -> None:
    s = async_desk(staffing__groups__0__schedule={"kind": "constant", "agents": 400})
    r = run(s)
    c = r.contacts
    assert c is not None
    chat = c.channel == c.channels.index("chat")
    night = chat & (local_hour(c.arrival_seconds) < 8)
    assert night.sum() > 500
    assert np.all(r.outcome[night] == ANSWERED)
    opening = np.floor(c.arrival_seconds[night] / DAY) * DAY + 8 * HOUR
    # answered at the opening: no agent serves a closed channel, plenty serve it then
    assert np.allclose(r.answer_seconds[night], opening, rtol=0, atol=1e-6)
    day = chat & ~night
    assert np.all(r.answer_seconds[day] == c.arrival_seconds[day])
    # those whose patience (mean 10 min) ran out overnight had left: a short session
    left = r.left
    assert left is not None
    assert left[night].mean() > 0.9 and not left[day].any()
    detect = s.channels["chat"].silent_detect_seconds
    assert np.all(c.handle_seconds[left] == detect)


def test_an_answer_to_a_buyer_who_left_resolves_with_the_channel_s_factor() -> None:
    common: dict[str, Any] = {
        "staffing__groups__0__schedule": {"kind": "constant", "agents": 400},
        "journey__repeat_probability": 0.0,
    }
    outcomes = {}
    for factor in (0.0, 1.0):
        s = async_desk(channels__chat__left_resolution_factor=factor, **common)
        r = run(s)
        assert r.left is not None and r.resolved is not None
        outcomes[factor] = r.resolved[r.left]
    assert outcomes[0.0].size > 500
    assert np.all(outcomes[0.0] == 0)  # a reason's resolution probability is 1 by default
    assert np.all(outcomes[1.0] == 1)


def test_the_wait_for_satisfaction_starts_at_the_opening_unless_told_otherwise() -> None:
    base = {"staffing__groups__0__schedule": {"kind": "constant", "agents": 400}}
    for start, expect_zero in (("opening", True), ("message", False)):
        s = async_desk(satisfaction__off_hours_wait_from=start, **base)
        r = run(s)
        c = r.contacts
        assert c is not None
        table = issue_table(s, c, r, since=0.0)
        assert table is not None
        night = (local_hour(table.first_arrival) < 8) & (table.first_channel == 0)
        assert night.sum() > 500
        if expect_zero:
            assert np.allclose(table.first_wait[night], 0.0, atol=1e-6)
        else:
            assert np.all(table.first_wait[night] > 0)


def test_kpi_service_level_counts_only_arrivals_in_the_kpi_hours() -> None:
    s = async_desk(
        channels__chat__kpi_hours={"open": "08:00", "close": "24:00"},
        staffing__groups__0__schedule={"kind": "constant", "agents": 4},
    )
    r = run(s)
    c = r.contacts
    assert c is not None
    m = replication_metrics(s, c, r).overall
    chat = (c.channel == c.channels.index("chat")) & (r.outcome != CLOSED)
    inside = chat & (local_hour(c.arrival_seconds) >= 8)
    wait = r.answer_seconds - c.arrival_seconds
    within = (r.outcome == ANSWERED) & (wait <= 180)
    assert m["chat.kpi_service_level"] == (within & inside).sum() / inside.sum()
    assert m["chat.service_level"] == (within & chat).sum() / chat.sum()
    assert m["chat.kpi_service_level"] > m["chat.service_level"]  # the night's backlog
    assert "phone.kpi_service_level" not in m


def test_at_the_horizon_a_waiting_message_is_open_not_abandoned() -> None:
    s = async_desk(staffing__groups__0__schedule={"kind": "constant", "agents": 1})
    r = run(s)
    assert r.contacts is not None
    chat = r.contacts.channel == r.contacts.channels.index("chat")
    assert np.any(r.outcome[chat] == OPEN)
    assert not np.any(r.outcome[chat] == ABANDONED)


# --------------------------------------------------------------------------- Erlang C


def test_an_asynchronous_channel_round_the_clock_is_erlang_c_for_the_first_response() -> None:
    """Patience only marks who left: waits are M/M/c's, left ÷ offered = P(patience < wait).

    With ``left_answer: full`` every answer takes its own (exponential) handle time, so the
    queue is M/M/c whatever the patience. Under Erlang C the wait is 0 with probability
    1 − C and exponential with rate cμ − λ otherwise, so with exponential patience of rate θ
    P(patience < wait) = C·θ / (cμ − λ + θ).
    """
    lam, mean_handle, agents, patience = 228.0, 300.0, 21, 60.0
    s = desk(
        calendar__days=3,
        calendar__warmup_hours=4,
        replications=12,
        arrivals=[{"kind": "poisson", "channel": "chat", "contacts_per_hour": lam}],
        channels__chat={
            "handle_time_seconds": {"dist": "exponential", "mean": mean_handle},
            "patience_seconds": {"dist": "exponential", "mean": patience},
            "service_level_seconds": 20,
            "concurrency": 1,
            "asynchronous": True,
            "left_answer": "full",
        },
        staffing__groups=[
            group("chat", ["chat"], agents),
            group("hotline", ["phone"], 1),
        ],
    )
    exact = staffing.erlang_a(lam, mean_handle, None, agents, 20)
    mu, rate = 1 / mean_handle, lam / 3600
    c_wait = exact.prob_wait
    theta = 1 / patience
    left_exact = c_wait * theta / (agents * mu - rate + theta)
    result = run_scenario(s)
    checks = {
        "service_level": (exact.service_level, 0.005),
        "asa_seconds": (exact.asa_seconds, 0.5),
        "left_rate": (left_exact, 0.003),
        "abandon_rate": (0.0, 0.0),
    }
    failures = []
    for metric, (expected, atol) in checks.items():
        values = np.array([r.overall[f"chat.{metric}"] for r in result.replications])
        mean, half = float(values.mean()), ci_halfwidth(values, 0.99)
        if abs(mean - expected) > half + atol:
            failures.append(f"{metric}: simulated {mean:.5f} ± {half:.5f}, exact {expected:.5f}")
    assert not failures, "; ".join(failures)


def test_the_interval_queue_shows_the_night_s_backlog_and_its_clearing() -> None:
    """What the report's queue-length chart draws: messages pile up overnight, then clear."""
    s = async_desk(staffing__groups__0__schedule={"kind": "constant", "agents": 8})
    r = run(s)
    assert r.contacts is not None
    m = replication_metrics(s, r.contacts, r)
    queue = m.intervals["chat.queue_length"]
    per_hour = 2  # 30-minute intervals
    before_opening, late_morning = queue[7 * per_hour + 1], queue[11 * per_hour]
    assert before_opening > 200  # about 7.5 h of 60 messages an hour
    assert late_morning < 0.05 * before_opening
    assert queue[1] < queue[7 * per_hour + 1]  # it grows through the night
