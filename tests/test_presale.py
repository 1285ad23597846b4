"""Bots first, and pre-sale inquiries that can be lost.

Small shops with a flat order curve, so each rule is seen on its own: conservation of
inquiries, bot sessions and orders per replication; a flat keep curve loses nothing; more
agents or a better bot never make things worse under common random numbers; and the
conversion of an M/M/c desk matches E[keep(W)] under Erlang C exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import yaml

from sim import staffing
from sim.center import ANSWERED, CONTAINED, FIRST, OPEN, CenterResult, simulate_center
from sim.center.presale import orders_of_inquiries, settled, settled_many
from sim.config import Scenario
from sim.demand import HANDED_OVER, NO_BOT, SETTLED, first_contacts, generate, inquiry_reason
from sim.experiment import run_arm
from sim.loading import load_text
from sim.rng import Streams
from sim.stats import ci_halfwidth

HOUR = 3600.0


def _group(agents: int) -> dict[str, Any]:
    """The chat group with a constant number of agents."""
    schedule = {"kind": "constant", "agents": agents}
    return {"name": "chat", "channels": ["chat"], "schedule": schedule}


def shop(**changes: Any) -> Scenario:
    """Three days of a small shop: 1,200 orders a day, WISMO after delivery, a chat desk."""
    doc: dict[str, Any] = {
        "name": "shop",
        "calendar": {"start": "2026-01-05T00:00:00", "days": 3, "interval_minutes": 60},
        "seed": 11,
        "replications": 1,
        "orders": {"per_day": 1200, "intraday_profile": [1.0] * 24, "item_price_yuan": 50},
        "fulfilment": {
            "ship_delay_hours": {"dist": "exponential", "mean": 6},
            "transit_delay_hours": {"dist": "exponential", "mean": 12},
        },
        "contact_reasons": [
            {
                "name": "wismo",
                "rate_per_order": 0.2,
                "anchor": "ship",
                "lag_hours": {"dist": "exponential", "mean": 4},
                "channel_mix": {"chat": 1.0},
            }
        ],
        "channels": {
            "chat": {
                "handle_time_seconds": {"dist": "exponential", "mean": 300},
                "patience_seconds": {"dist": "exponential", "mean": 600},
                "service_level_seconds": 180,
                "asynchronous": True,
                "left_answer": "full",
            },
        },
        "presale": {
            "inquiry": {"channel_mix": {"chat": 1.0}, "rate_per_order": 0.4},
            "browser_ratio": 0.5,
            "keep_floor": 0.4,
            "keep_per_minute": 0.2,
        },
        "staffing": {
            "groups": [
                {
                    "name": "chat",
                    "channels": ["chat"],
                    "schedule": {"kind": "constant", "agents": 4},
                }
            ]
        },
    }
    for path, value in changes.items():
        node: Any = doc
        *parents, leaf = path.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return load_text(yaml.safe_dump(doc, allow_unicode=True)).scenario


BOT = {
    "containment": {"wismo": 0.6, "inquiry": 0.3},
    "session_seconds": {"dist": "exponential", "mean": 60},
}


def run(s: Scenario, replication: int = 0) -> tuple[Any, CenterResult]:
    streams = Streams(s.seed, replication)
    contacts = first_contacts(s, streams)
    return contacts, simulate_center(s, contacts, streams.issues)


def test_inquiries_bot_sessions_and_orders_are_conserved_in_every_replication() -> None:
    s = shop(channels__chat__bot=BOT)
    inquiry = inquiry_reason(s)
    for rep in range(3):
        _, result = run(s, rep)
        c = result.contacts
        assert c is not None and c.bot is not None and result.kind is not None
        first = result.kind == FIRST
        asks = first & (c.reason == inquiry)
        # inquiries = settled by the bot + handed over; nothing else meets the bot
        contained = asks & (c.bot == SETTLED)
        handed = asks & (c.bot == HANDED_OVER)
        assert asks.sum() == contained.sum() + handed.sum() > 0
        assert np.all(result.outcome[contained] == CONTAINED)
        assert np.all(c.bot[~first] == NO_BOT)
        # handed over to an asynchronous channel: answered or still open (left ⊂ answered)
        out = result.outcome[handed]
        assert np.all((out == ANSWERED) | (out == OPEN))
        assert result.left is not None and not np.any(result.left[handed] & (out != ANSWERED))
        m = run_arm(s, rep).overall
        assert m["bot_sessions"] == m["bot_contained"] + (m["bot_sessions"] - m["bot_contained"])
        assert m["presale_inquiries"] == int(asks.sum())
        assert m["presale_bot_contained"] == int(contained.sum())
        # orders = from inquiries + without inquiry; lost = asked − kept
        would_be = generate(s, Streams(s.seed, rep))
        placed = would_be.order_seconds
        placed = placed[(placed >= 0) & (placed < s.calendar.horizon_seconds)]
        without = placed.size - m["orders_with_inquiry"]
        assert m["orders"] == m["orders_with_inquiry"] - m["lost_orders"] + without
        assert m["lost_orders"] > 0


def test_a_lost_order_brings_no_contact_after_its_buyer_decided() -> None:
    s = shop(
        staffing__groups=[
            {"name": "chat", "channels": ["chat"], "schedule": {"kind": "constant", "agents": 3}}
        ]
    )
    inquiry = inquiry_reason(s)
    contacts, result = run(s)
    c = result.contacts
    assert c is not None and c.order is not None and c.placed_seconds is not None
    m = run_arm(s, 0).overall
    assert m["lost_orders"] > 20
    # every wismo issue of the demand is in the result unless its order was lost before it
    assert s.presale is not None
    asks, k = orders_of_inquiries(s.presale, inquiry_reason(s), result)
    lost = set(c.order[asks][~k].tolist())
    # the streamed run (a day at a time, inquiries handed out and decided at compaction)
    # loses the same orders
    placed = c.placed_seconds[asks][~k]
    assert m["lost_orders"] == int((placed < s.calendar.horizon_seconds).sum())
    assert m["contacts.wismo"] == int((c.reason == c.reasons.index("wismo")).sum())
    wanted = (contacts.reason != inquiry) & (contacts.order >= 0)
    have = set(c.order[(c.reason != inquiry) & (c.order >= 0)].tolist())
    for order in contacts.order[wanted].tolist():
        assert (order in have) != (order in lost), order
    assert lost & set(contacts.order[wanted].tolist())  # some wismo of lost orders was void


def test_a_flat_keep_curve_loses_nothing_and_keeps_the_orders_and_their_contacts() -> None:
    flat = shop(presale__keep_floor=1.0)
    none = shop(presale=None)
    for rep in range(2):
        a, b = run_arm(flat, rep).overall, run_arm(none, rep).overall
        assert a["lost_orders"] == 0 and a["lost_gmv_yuan"] == 0
        assert a["orders"] == b["orders"] and a["gmv_yuan"] == b["gmv_yuan"]
        assert a["contacts.wismo"] == b["contacts.wismo"]
        assert a["orders_from_inquiries"] == a["orders_with_inquiry"]
        ca = first_contacts(flat, Streams(flat.seed, rep))
        cb = first_contacts(none, Streams(none.seed, rep))
        mine = ca.reason != inquiry_reason(flat)
        np.testing.assert_array_equal(ca.arrival_seconds[mine], cb.arrival_seconds)
        np.testing.assert_array_equal(ca.order[mine], cb.order)  # type: ignore[index]


def _kept_orders(s: Scenario, rep: int) -> set[int]:
    _, result = run(s, rep)
    assert s.presale is not None
    asks, k = orders_of_inquiries(s.presale, inquiry_reason(s), result)
    assert result.contacts is not None
    order = result.contacts.order
    assert order is not None
    return set(order[asks][k].tolist())


def test_one_more_agent_never_loses_an_order_more_in_any_replication() -> None:
    """Stationary FCFS without redials or repeats: every wait is no longer (Kiefer–Wolfowitz)."""
    base = {"contact_reasons": [], "calendar__days": 2}
    for rep in range(4):
        fewer = shop(**base, staffing__groups=[_group(2)])
        more = shop(**base, staffing__groups=[_group(3)])
        kept_fewer, kept_more = _kept_orders(fewer, rep), _kept_orders(more, rep)
        assert kept_fewer <= kept_more
        a, b = run_arm(fewer, rep).overall, run_arm(more, rep).overall
        assert b["lost_orders"] <= a["lost_orders"]
        assert b["lost_margin_yuan"] <= a["lost_margin_yuan"]
    assert a["lost_orders"] > b["lost_orders"]  # and the difference is real


def test_a_better_bot_never_sends_more_first_contacts_to_the_humans() -> None:
    weak = shop(channels__chat__bot={**BOT, "containment": {"wismo": 0.3, "inquiry": 0.1}})
    strong = shop(channels__chat__bot={**BOT, "containment": {"wismo": 0.6, "inquiry": 0.4}})
    for rep in range(3):
        a = first_contacts(weak, Streams(weak.seed, rep))
        b = first_contacts(strong, Streams(strong.seed, rep))
        assert a.bot is not None and b.bot is not None and a.issue_key is not None
        human_a = set(a.issue_key[a.bot != SETTLED].tolist())
        human_b = set(b.issue_key[b.bot != SETTLED].tolist())  # type: ignore[index]
        assert human_b <= human_a and len(human_b) < len(human_a)


def test_the_bot_s_never_list_and_the_hand_over_clock() -> None:
    bot = {**BOT, "containment": {}, "default_containment": 0.9, "never": ["wismo"]}
    s = shop(channels__chat__bot=bot)
    c = first_contacts(s, Streams(s.seed, 0))
    assert c.bot is not None and c.bot_seconds is not None
    wismo = c.reason == c.reasons.index("wismo")
    assert np.all(c.bot[wismo] == HANDED_OVER)
    assert 0.85 < np.mean(c.bot[~wismo] == SETTLED) < 0.95
    # the human queue sees a handed-over contact when the bot lets it go
    handed = c.bot == HANDED_OVER
    assert np.all(c.asked_seconds[handed] == c.arrival_seconds[handed] - c.bot_seconds[handed])
    assert np.all(np.diff(c.arrival_seconds) >= 0)


def test_conversion_of_an_m_m_c_desk_is_the_expected_keep_under_erlang_c() -> None:
    """Poisson inquiries, M/M/c, keep(w) = f + (1 − f)·e^(−θw), every answer before the order.

    Under Erlang C the wait is 0 with probability 1 − C and exponential with rate cμ − λ
    otherwise, so E[keep(W)] = f + (1 − f)·(1 − C + C·(cμ − λ)/(cμ − λ + θ)).
    """
    per_hour, mean_handle, agents, floor, per_minute = 30.0, 300.0, 3, 0.3, 0.2
    s = shop(
        calendar__days=12,
        calendar__warmup_hours=4,
        orders__per_day=per_hour * 24,
        contact_reasons=[],
        channels__chat={
            "handle_time_seconds": {"dist": "exponential", "mean": mean_handle},
            "service_level_seconds": 20,
        },
        presale={
            "inquiry": {
                "channel_mix": {"chat": 1.0},
                "rate_per_order": 1.0,
                "lag_hours": {"dist": "deterministic", "value": 12},
            },
            "browser_ratio": 0.0,
            "keep_floor": floor,
            "keep_per_minute": per_minute,
        },
        staffing__groups=[_group(agents)],
    )
    exact = staffing.erlang_a(per_hour, mean_handle, None, agents, 20)
    c_wait, rate = exact.prob_wait, agents / mean_handle - per_hour / HOUR
    theta = per_minute / 60.0
    expected = floor + (1 - floor) * (1 - c_wait + c_wait * rate / (rate + theta))
    values = []
    for rep in range(10):
        m = run_arm(s, rep).overall
        # the last 12 hours' orders are past the horizon: their inquiries count too
        values.append(m["inquiry_conversion"])
    v = np.array(values)
    mean, half = float(v.mean()), ci_halfwidth(v, 0.99)
    assert abs(mean - expected) <= half, (mean, half, expected)
    assert not math.isclose(expected, 1.0, abs_tol=0.05)  # waits matter in this case


def test_the_bots_inquiries_are_decided_alike_one_by_one_and_in_bulk() -> None:
    p = shop().presale
    assert p is not None
    g = np.random.default_rng(4)
    arrival = g.uniform(0, 1e5, 5000)
    bot_seconds = g.exponential(60, 5000)
    placed = arrival + g.normal(60, 40, 5000)
    placed[:10] = arrival[:10] + bot_seconds[:10]  # the session ends as the order comes
    draw = g.random(5000)
    moment, keeps = settled_many(p, arrival, bot_seconds, placed, draw)
    one = [settled(p, *row) for row in zip(arrival, bot_seconds, placed, draw, strict=True)]
    assert moment.tolist() == [m for m, _ in one]
    assert keeps.tolist() == [k for _, k in one]
