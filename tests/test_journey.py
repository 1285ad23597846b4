"""The customer journey: repeats, redials, escalation, silent abandonment, refunds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import staffing
from sim.center import (
    ABANDONED,
    ANSWERED,
    ESCALATION,
    FIRST,
    REDIAL,
    REPEAT,
    CenterResult,
    simulate_center,
)
from sim.center.journey import Ending, Kind, Rules, fate, fate_one
from sim.config import Scenario
from sim.demand import Contacts, generate
from sim.experiment import run_scenario
from sim.rng import Streams
from sim.stats import ci_halfwidth
from sim.uniforms import DECISIONS
from tests.conftest import tiny_scenario


def order_scenario(**journey: Any) -> dict[str, Any]:
    """Orders with one reason on phone, plenty of agents, no abandonment."""
    data = tiny_scenario(calendar={"days": 3}, arrivals=[], replications=20)
    data["channels"]["phone"]["patience_seconds"] = None
    data["channels"]["chat"] = {"handle_time_seconds": {"dist": "exponential", "mean": 200}}
    data["staffing"]["groups"][0]["schedule"]["agents"] = 40
    data["staffing"]["groups"].append(
        {"name": "chat", "channels": ["chat"], "schedule": {"kind": "constant", "agents": 40}}
    )
    data["orders"] = {"per_day": 20000}
    data["contact_reasons"] = [
        {
            "name": "question",
            "rate_per_order": 0.1,
            "anchor": "order",
            "lag_hours": {"dist": "exponential", "mean": 1},
            "channel_mix": {"phone": 0.5, "chat": 0.5},
            "resolution_probability": 0.6,
        }
    ]
    data["journey"] = journey
    return data


def simulate(data: dict[str, Any], replication: int = 0) -> tuple[Contacts, CenterResult]:
    s = Scenario.model_validate(data)
    streams = Streams(s.seed, replication)
    demand = generate(s, streams)
    return demand.contacts, simulate_center(s, demand.contacts, streams.issues)


@pytest.mark.slow
def test_contacts_per_issue_follow_the_geometric_law() -> None:
    """With resolution r, repeat p and no abandonment: E[contacts] = 1 / (1 − (1 − r)·p)."""
    r, p = 0.6, 0.5
    data = order_scenario(
        repeat_probability=p, repeat_lag_hours={"dist": "exponential", "mean": 0.5}
    )
    horizon = 3 * 86400.0
    per_rep = []
    for rep in range(20):
        _, res = simulate(data, rep)
        assert res.issue is not None and res.kind is not None and res.contacts is not None
        assert np.all(res.outcome == ANSWERED)
        first = res.kind == FIRST
        # issues that start a day before the horizon: their repeats cannot be cut off
        # (a chain of ten 0.5 h lags and 300 s calls is far shorter than a day)
        early = np.zeros(int(res.issue.max()) + 1, dtype=bool)
        early[res.issue[first]] = res.contacts.arrival_seconds[first] < horizon - 86400.0
        counts = np.bincount(res.issue[early[res.issue]], minlength=early.size)
        per_rep.append(counts[early].mean())
    values = np.array(per_rep)
    expected = 1.0 / (1.0 - (1.0 - r) * p)
    assert abs(values.mean() - expected) <= ci_halfwidth(values, 0.99) + 0.002, (
        values.mean(),
        expected,
    )


def test_repeats_switch_channels_as_often_as_configured() -> None:
    data = order_scenario(
        repeat_probability=1.0,
        channel_switch_probability=0.3,
        repeat_lag_hours={"dist": "exponential", "mean": 0.2},
    )
    _, res = simulate(data)
    assert res.issue is not None and res.kind is not None and res.contacts is not None
    repeats = np.flatnonzero(res.kind == REPEAT)
    # the contact each repeat follows is the issue's previous one
    prev = {}
    is_repeat = set(repeats.tolist())
    for k in np.argsort(res.contacts.arrival_seconds, kind="stable").tolist():
        i = int(res.issue[k])
        if k in is_repeat:
            assert i in prev
        prev[i] = k
    assert repeats.size > 1000
    # with two channels, "another channel" is the other one: 30% of repeats switch
    by_issue_first_channel = np.full(int(res.issue.max()) + 1, -1)
    first = res.kind == FIRST
    by_issue_first_channel[res.issue[first]] = res.contacts.channel[first]
    attempt = res.attempt
    assert attempt is not None
    second = repeats[attempt[repeats] == 1]
    switched = res.contacts.channel[second] != by_issue_first_channel[res.issue[second]]
    share = float(switched.mean())
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / second.size)


@pytest.mark.slow
def test_redials_raise_offered_contacts_to_the_fixed_point() -> None:
    """Stationary Erlang A with redials: offered λ* = λ + λ*·P_ab(λ*)·p_redial.

    The fixed point treats redials as a Poisson stream independent of the congestion they
    left; that is exact in the limit of long redial lags, so the check uses a 3-hour mean
    lag (with 30 minutes redials return to the same busy spell and abandonment is ~3%
    higher than the fixed point says). λ* is found by iterating Erlang A.
    """
    lam, aht, patience, agents, p = 100.0, 300.0, 120.0, 8, 0.6
    data = tiny_scenario(calendar={"days": 4, "warmup_hours": 4}, replications=20)
    data["arrivals"][0]["contacts_per_hour"] = lam
    data["channels"]["phone"]["handle_time_seconds"] = {"dist": "exponential", "mean": aht}
    data["channels"]["phone"]["patience_seconds"] = {"dist": "exponential", "mean": patience}
    data["staffing"]["groups"][0]["schedule"]["agents"] = agents
    data["journey"] = {
        "redial_probability": p,
        "redial_lag_minutes": {"dist": "exponential", "mean": 180},
    }
    res = run_scenario(Scenario.model_validate(data))
    rate = lam
    for _ in range(200):
        rate = lam + rate * staffing.erlang_a(rate, aht, patience, agents, 20).abandon_rate * p
    exact = staffing.erlang_a(rate, aht, patience, agents, 20)
    hours = 4 * 24 - 4
    offered = np.array([r.overall["phone.offered"] for r in res.replications]) / hours
    abandon = np.array([r.overall["phone.abandon_rate"] for r in res.replications])
    assert rate > lam * 1.15  # redials matter here
    assert abs(offered.mean() - rate) <= ci_halfwidth(offered, 0.99) + 0.005 * rate
    assert abs(abandon.mean() - exact.abandon_rate) <= ci_halfwidth(abandon, 0.99) + 0.005
    assert all(r.overall["redials"] > 0 for r in res.replications)


def test_escalations_go_to_the_second_tier_with_longer_handling() -> None:
    data = order_scenario(
        escalation_probability=0.5,
        escalation_channel="chat",
        escalation_handle_time_factor=2.0,
        escalation_resolution_probability=0.0,
        platform_intervention_probability=0.4,
    )
    data["contact_reasons"][0]["channel_mix"] = {"phone": 1.0}
    _, res = simulate(data)
    assert res.kind is not None and res.contacts is not None and res.platform is not None
    esc = res.kind == ESCALATION
    assert esc.sum() > 500
    assert np.all(res.contacts.channel[esc] == res.contacts.channels.index("chat"))
    # first contacts fail with 0.4 (r = 0.6); half of those are escalated
    first = res.kind == FIRST
    assert abs(esc.sum() / first.sum() - 0.4 * 0.5) < 0.02
    # handle: the channel's exponential (mean 200) x 2: mean 400
    assert abs(res.contacts.handle_seconds[esc].mean() - 400) < 4 * 400 / np.sqrt(esc.sum())
    answered_esc = esc & (res.outcome == ANSWERED) & (res.resolved >= 0)  # type: ignore[operator]
    platform_share = res.platform[answered_esc].mean()
    assert abs(platform_share - 0.4) < 4 * np.sqrt(0.24 / answered_esc.sum())
    # no repeats here, so every transfer follows the issue's first contact: the second
    # tier never escalates again
    assert res.attempt is not None
    assert np.all(res.attempt[esc] == 1)


@pytest.mark.parametrize("policy", ["always", "if_insist", "never"])
def test_refund_policy(policy: str) -> None:
    data = order_scenario()
    data["contact_reasons"][0].update(refund_policy=policy, refund_yuan=58.0)
    data["customers"] = {
        "types": {
            "easygoing": {"share": 0.5, "refund_insistence": 0.2},
            "stubborn": {"share": 0.5, "refund_insistence": 0.9},
        }
    }
    _, res = simulate(data)
    assert res.refunded is not None and res.contacts is not None and res.resolved is not None
    # decided when the contact ends: those still in service at the horizon are undecided
    answered = (res.outcome == ANSWERED) & (res.resolved >= 0)
    share = res.refunded[answered].mean()
    if policy == "always":
        assert share == 1.0
        assert np.all(res.resolved[answered] == 1)
    elif policy == "never":
        assert share == 0.0
    else:
        ctype = res.contacts.customer_type
        assert ctype is not None
        for k, insist in ((0, 0.2), (1, 0.9)):
            mine = answered & (ctype == k)
            got = res.refunded[mine].mean()
            assert abs(got - insist) < 4 * np.sqrt(insist * (1 - insist) / mine.sum())


def test_silent_abandoners_hold_a_slot_for_the_detection_time() -> None:
    data = tiny_scenario(calendar={"days": 1}, replications=1)
    data["arrivals"] = [{"kind": "poisson", "channel": "chat", "contacts_per_hour": 120}]
    data["channels"] = {
        "chat": {
            "handle_time_seconds": {"dist": "exponential", "mean": 300},
            "patience_seconds": {"dist": "exponential", "mean": 60},
            "concurrency": 2,
            "silent_abandon_share": 0.7,
            "silent_detect_seconds": 90,
        }
    }
    data["staffing"] = {
        "groups": [
            {"name": "g", "channels": ["chat"], "schedule": {"kind": "constant", "agents": 4}}
        ]
    }
    _, res = simulate(data)
    assert res.ghosts is not None and res.contacts is not None
    abandoned = int((res.outcome == ABANDONED).sum())
    assert abandoned > 100
    ghosts = res.ghosts
    assert ghosts.shape[0] > 0.5 * abandoned  # most abandoners were silent and found
    assert np.allclose(ghosts[:, 3] - ghosts[:, 2], 90.0)
    assert np.allclose(ghosts[:, 4], 0.5)  # one of two chat slots
    # capacity holds with the ghosts counted: per agent at most 2 chats or ghosts at once
    # (ghosts are recorded per group; the group's slots are 4 agents x 2)
    ans = res.outcome == ANSWERED
    starts = np.concatenate([res.answer_seconds[ans], ghosts[:, 2]])
    ends = np.concatenate(
        [res.answer_seconds[ans] + res.contacts.handle_seconds[ans], ghosts[:, 3]]
    )
    times = np.concatenate([starts, ends])
    delta = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    order = np.lexsort((delta, times))
    assert np.cumsum(delta[order]).max() <= 8


def test_redials_only_come_from_abandoned_contacts_at_their_deadline() -> None:
    data = tiny_scenario(calendar={"days": 1}, replications=1)
    data["arrivals"][0]["contacts_per_hour"] = 60
    data["journey"] = {
        "redial_probability": 1.0,
        "redial_lag_minutes": {"dist": "deterministic", "value": 10},
    }
    _, res = simulate(data)
    assert res.kind is not None and res.issue is not None and res.contacts is not None
    redial = np.flatnonzero(res.kind == REDIAL)
    assert redial.size > 20
    # each redial comes 10 minutes after the previous contact of its issue abandoned
    for k in redial:
        issue = res.issue[k]
        earlier = np.flatnonzero(
            (res.issue == issue) & (res.contacts.arrival_seconds < res.contacts.arrival_seconds[k])
        )
        last = earlier[-1]
        assert res.outcome[last] == ABANDONED
        assert res.leave_queue_seconds[last] + 600 == pytest.approx(res.contacts.arrival_seconds[k])


def test_every_abandoner_of_a_priority_channel_may_redial() -> None:
    """Regression: a priority channel's head timer fires at the head's deadline too.

    When it looked at the queue first, the customer was dropped without calling back.
    """
    data = tiny_scenario(calendar={"days": 1}, replications=1)
    data["arrivals"] = [
        {"kind": "poisson", "channel": "phone", "contacts_per_hour": 40},
        {"kind": "poisson", "channel": "chat", "contacts_per_hour": 40},
    ]
    data["channels"]["chat"] = {
        "handle_time_seconds": {"dist": "exponential", "mean": 300},
        "patience_seconds": {"dist": "exponential", "mean": 120},
    }
    data["staffing"] = {
        "groups": [
            {
                "name": "mixed",
                "channels": ["phone", "chat"],
                "schedule": {"kind": "constant", "agents": 5},
            }
        ],
        "channel_priority": ["phone", "chat"],
    }
    data["journey"] = {
        "redial_probability": 1.0,
        "redial_lag_minutes": {"dist": "deterministic", "value": 10},
        "max_contacts_per_issue": 100,
    }
    _, res = simulate(data)
    assert res.kind is not None and res.issue is not None and res.contacts is not None
    horizon = 86400.0
    phone = res.contacts.channels.index("phone")
    for c in (phone, 1 - phone):
        mine = res.contacts.channel == c
        abandoned = mine & (res.outcome == ABANDONED) & (res.leave_queue_seconds + 600 < horizon)
        assert abandoned.sum() > 20, c
        # with redial probability 1 every abandoner comes back 10 minutes later
        came_back = {int(res.issue[k]) for k in np.flatnonzero(res.kind == REDIAL)}
        missing = [k for k in np.flatnonzero(abandoned) if int(res.issue[k]) not in came_back]
        assert missing == [], (c, len(missing), int(abandoned.sum()))


def test_an_issue_behaves_the_same_in_both_arms() -> None:
    """CRN: a baseline issue's whole history is in the promotion arm when nothing queues."""
    data = order_scenario(
        repeat_probability=0.7, repeat_lag_hours={"dist": "exponential", "mean": 2}
    )
    data["promotion"] = {
        "kind": "coupon",
        "start": "2026-11-02T00:00:00",
        "end": "2026-11-03T00:00:00",
        "order_uplift": 1.5,
    }
    data["calendar"]["start"] = "2026-11-01T00:00:00"
    s = Scenario.model_validate(data)
    runs = {}
    for arm in ("promotion", "baseline"):
        streams = Streams(s.seed, 0)
        demand = generate(s, streams, arm)
        res = simulate_center(s, demand.contacts, streams.issues)
        assert res.contacts is not None and res.contacts.issue_key is not None
        runs[arm] = {
            (int(k), round(float(t), 6), int(ch))
            for k, t, ch in zip(
                res.contacts.issue_key,
                res.contacts.arrival_seconds,
                res.contacts.channel,
                strict=True,
            )
        }
    assert runs["baseline"] <= runs["promotion"]
    assert len(runs["promotion"]) > len(runs["baseline"])


def test_after_the_second_tier_the_customer_comes_back_through_the_front() -> None:
    data = order_scenario(
        escalation_probability=1.0,
        escalation_channel="chat",
        escalation_resolution_probability=0.0,
        platform_intervention_probability=0.0,
        repeat_probability=1.0,
        repeat_lag_hours={"dist": "exponential", "mean": 0.5},
        max_contacts_per_issue=3,
    )
    data["contact_reasons"][0]["channel_mix"] = {"phone": 1.0}
    _, res = simulate(data)
    assert res.kind is not None and res.contacts is not None and res.attempt is not None
    repeats = res.kind == REPEAT
    assert repeats.sum() > 100
    # the issue went phone → second tier (chat) → back on phone, its reason's channel
    assert np.all(res.contacts.channel[repeats] == res.contacts.channels.index("phone"))
    assert np.all(res.attempt[repeats] == 2)


@pytest.mark.parametrize("policy", ["always", "if_insist", "never"])
def test_the_journey_rule_gives_the_same_fates_in_bulk_and_one_at_a_time(policy: str) -> None:
    """One rule, two ways: the same fate for every contact.

    The engine applies ``fate`` to first contacts in bulk (numpy arrays) and to each
    follow-up alone (Python scalars).
    """
    data = order_scenario(
        repeat_probability=0.4,
        escalation_probability=0.3,
        escalation_channel="chat",
        escalation_resolution_probability=0.5,
        platform_intervention_probability=0.3,
        redial_probability=0.5,
    )
    data["channels"]["chat"]["silent_abandon_share"] = 0.4
    data["contact_reasons"][0].update(refund_policy=policy, refund_yuan=20.0)
    data["customers"] = {
        "types": {
            "calm": {"share": 0.5, "refund_insistence": 0.2, "escalation_factor": 0.5},
            "pushy": {"share": 0.5, "refund_insistence": 0.9, "escalation_factor": 2.5},
        }
    }
    s = Scenario.model_validate(data)
    rules = Rules.of(s)
    rng = np.random.default_rng(16)
    n = 4000
    u = rng.random((n, DECISIONS))
    channel = rng.integers(0, len(s.channels), n)
    reason = rng.integers(0, len(rules.redial), n)
    ctype = rng.integers(0, 2, n)
    kind = rng.integers(0, len(Kind), n)
    may_refund = rng.random(n) < 0.8
    room = rng.random(n) < 0.8
    bulk = fate(rules, u.T, channel, reason, ctype, kind, may_refund, room)
    for k in range(n):
        for tables in (rules, rules.scalars()):  # the engine's follow-ups read the scalars
            got = fate_one(
                tables,
                u[k].tolist(),
                int(channel[k]),
                int(reason[k]),
                int(ctype[k]),
                int(kind[k]),
                bool(may_refund[k]),
                bool(room[k]),
            )
            assert got == (bulk.silent[k], bulk.redial[k], bulk.ending[k]), k
    # every way an answered contact can end is reached
    endings = set(np.unique(bulk.ending).tolist())
    expected = {
        0,
        Ending.RESOLVE,
        Ending.RESOLVE | Ending.PLATFORM,
        Ending.ESCALATE,
        Ending.REPEAT,
    }
    if policy != "never":
        expected.add(Ending.RESOLVE | Ending.REFUND)
    assert expected <= endings
    assert bulk.silent.any() and bulk.redial.any()


_P = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0.0, 1.0)
"""Probabilities: the edges (never, always) and anything between."""


@settings(max_examples=300, deadline=None)
@given(
    p=st.lists(_P, min_size=9, max_size=9),
    policy=st.sampled_from(["always", "if_insist", "never"]),
    u=st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=DECISIONS, max_size=DECISIONS),
    kind=st.sampled_from(list(Kind)),
    may_refund=st.booleans(),
    room=st.booleans(),
    tier2=st.sampled_from([-1, 0]),
)
def test_fate_one_is_the_bulk_rule_for_any_probabilities(
    p: list[float],
    policy: str,
    u: list[float],
    kind: Kind,
    may_refund: bool,
    room: bool,
    tier2: int,
) -> None:
    """The engine's rule for one contact agrees with the bulk rule, edges included.

    Probabilities of 0 and 1 (a share that never or always applies) and every kind of
    contact, with and without a second tier: the short cuts of ``fate_one`` skip only draws
    whose answer cannot matter.
    """
    rules = Rules(
        silent_share=np.array([p[0]]),
        redial=np.array([p[1]]),
        always=np.array([policy == "always"]),
        if_insist=np.array([policy == "if_insist"]),
        resolution=np.array([[p[2]]]),
        insist=np.array([p[3]]),
        escalation_factor=np.array([4.0 * p[4]]),
        escalation=p[5],
        escalation_resolution=p[6],
        platform=p[7],
        repeat=p[8],
        tier2=tier2,
    )
    bulk = fate(rules, np.array(u)[:, None], 0, 0, 0, int(kind), may_refund, room)
    expected = (bool(bulk.silent[0]), bool(bulk.redial[0]), int(bulk.ending[0]))
    assert fate_one(rules.scalars(), u, 0, 0, 0, int(kind), may_refund, room) == expected
