"""The event log: a replication's orders and contacts as a shop's own exports would show them.

``promosim run --event-log`` writes ``orders.csv`` and ``contacts.csv`` in exactly the formats
``promosim calibrate`` reads (README, "Calibration from a shop's own history"), so a fit can
be checked on the model's own output. This module builds their text; it reads and writes no
file (:mod:`sim.outputs` does).

What the model does not decide per order or per customer is drawn here, from streams of
their own (``eventlog.orders``, ``eventlog.csat``), so asking for the log shifts no draw of
the simulation:

- items and amount of an order: a realisation of the expectations of
  :func:`sim.economics.order_margin` (e.g. 第二件X元: a two-unit buyer gets the bundle, 2
  items at P + X, or misses it and pays 2P);
- a CSAT score per customer issue: the issue is satisfied with the probability of the
  satisfaction model (domain model §5.2); the score (5 satisfied, 1 not, since the model
  decides only that) is on the issue's last contact. Every issue whose contacts all ended
  before the horizon is surveyed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.center import ABANDONED, ANSWERED, ESCALATION, CenterResult
from sim.config import Coupon, FlashSale, Scenario, SecondItemDiscount, ThresholdDiscount
from sim.demand import Demand
from sim.rng import Streams
from sim.satisfaction import satisfaction_probability

ORDER_COLUMNS = ("order_id", "created", "items", "amount_yuan", "promotion", "shipped", "delivered")
"""``orders.csv`` columns, in order."""

CONTACT_COLUMNS = (
    "contact_id",
    "order_id",
    "customer_id",
    "channel",
    "reason",
    "arrived",
    "answered",
    "ended",
    "resolved",
    "csat",
    "refunded",
)
"""``contacts.csv`` columns, in order (``refunded`` is optional on input)."""

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""How times are written (local shop time, to the second); ISO 8601 is read too."""

SATISFIED_SCORE, DISSATISFIED_SCORE = 5, 1
"""CSAT scores the log writes; calibrate counts a score ≥ 4 as satisfied by default."""


@dataclass(frozen=True)
class EventLog:
    """The two CSV files' text.

    Attributes:
        orders_csv: ``orders.csv``: one row per order of the arm (lead-in orders included).
        contacts_csv: ``contacts.csv``: one row per contact, first contacts and follow-ups,
            by arrival.
    """

    orders_csv: str
    contacts_csv: str


def _times(scenario: Scenario, seconds: NDArray[np.float64]) -> list[str]:
    """Seconds from the horizon's start as shop-time strings (empty for ``nan``)."""
    start = np.datetime64(scenario.calendar.start.replace(tzinfo=None), "s")
    ok = np.isfinite(seconds)
    whole = np.where(ok, np.round(np.where(ok, seconds, 0.0)), 0.0).astype(np.int64)
    text = np.datetime_as_string(start + whole.astype("timedelta64[s]"), unit="s")
    return [
        s.replace("T", " ") if k else "" for s, k in zip(text.tolist(), ok.tolist(), strict=True)
    ]


def _items_amount(
    scenario: Scenario, in_window: NDArray[np.bool_], active: bool, u: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Items and amount (yuan) per order, one uniform each (see the module docstring)."""
    n = in_window.size
    price = scenario.orders.item_price_yuan if scenario.orders is not None else 0.0
    items = np.ones(n, dtype=np.int64)
    amount = np.full(n, price)
    promo = scenario.promotion
    on = in_window & active
    match promo:
        case SecondItemDiscount():
            two = promo.eligible_share * promo.two_unit_intent
            bundle = on & (u < two * (1.0 - promo.miss_rate))
            missed = on & ~bundle & (u < two)
            items[bundle | missed] = 2
            amount[bundle] = price + promo.second_item_price_yuan
            amount[missed] = 2 * price
        case ThresholdDiscount():
            amount[on & (u < promo.qualifying_share)] -= min(promo.discount_yuan, price)
        case Coupon():
            works = promo.coupon_use_share * (1.0 - promo.failure_probability)
            amount[on & (u < works)] -= min(promo.coupon_value_yuan, price)
        case FlashSale():
            amount[on] -= min(promo.discount_yuan, price)
    return items, amount


def _orders_csv(scenario: Scenario, demand: Demand, streams: Streams) -> str:
    rows = demand.rows
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ORDER_COLUMNS)
    if rows is None or rows.id.size == 0:
        return buf.getvalue()
    u = streams("eventlog.orders").random(rows.id.size)
    items, amount = _items_amount(scenario, rows.in_window, demand.promotion_active, u)
    flag = (rows.in_window & demand.promotion_active).astype(np.int64)
    by_time = np.lexsort((rows.id, rows.created_seconds))
    # in blocks: a Python string per field of every order at once would take several times
    # the memory of the text itself
    for k in range(0, by_time.size, ORDER_BLOCK):
        idx = by_time[k : k + ORDER_BLOCK]
        w.writerows(
            zip(
                rows.id[idx].tolist(),
                _times(scenario, rows.created_seconds[idx]),
                items[idx].tolist(),
                [f"{a:.2f}" for a in amount[idx].tolist()],
                flag[idx].tolist(),
                _times(scenario, rows.ship_seconds[idx]),
                _times(scenario, rows.delivery_seconds[idx]),
                strict=True,
            )
        )
    return buf.getvalue()


ORDER_BLOCK = 50_000
"""Orders formatted at a time."""


def _csat(
    scenario: Scenario, result: CenterResult, ended: NDArray[np.float64], u: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Per contact, the CSAT score on its issue's last contact (0: none)."""
    c = result.contacts
    assert c is not None and result.issue is not None and result.resolved is not None
    issue, n = result.issue, result.issue.size
    n_issues = int(issue.max()) + 1 if n else 0
    arrival = c.arrival_seconds
    horizon = result.horizon_seconds
    count = np.bincount(issue, minlength=n_issues)
    # an issue is surveyed once every contact of it has ended before the horizon
    done = np.isfinite(ended) & (ended <= horizon)
    closed = np.bincount(issue, weights=done.astype(np.float64), minlength=n_issues) == count
    last = np.full(n_issues, -1, dtype=np.int64)
    order = np.lexsort((np.arange(n), arrival))
    last[issue[order]] = order  # the latest arrival of each issue wins
    first = np.flatnonzero(np.arange(n) == issue)  # an issue is named by its first contact

    def anyof(flags: NDArray[np.bool_]) -> NDArray[np.float64]:
        hits = np.bincount(issue, weights=flags.astype(np.float64), minlength=n_issues)
        return (hits > 0).astype(np.float64)

    sat = scenario.satisfaction
    tolerance = np.array(
        [
            sat.wait_tolerance_seconds.get(ch, sat.default_wait_tolerance_seconds)
            for ch in c.channels
        ]
    )
    types = list(scenario.customers.types.values()) if scenario.customers else []
    shift = np.array([t.satisfaction_shift for t in types] or [0.0])
    ctype = c.customer_type if c.customer_type is not None else np.zeros(n, dtype=np.int32)
    refunded = result.refunded if result.refunded is not None else np.zeros(n, dtype=bool)
    kind = result.kind if result.kind is not None else np.zeros(n, dtype=np.int8)
    wait = result.leave_queue_seconds - arrival
    p = satisfaction_probability(
        sat,
        resolved=anyof(result.resolved == 1)[first],
        refund=anyof(refunded)[first],
        first_wait_seconds=np.nan_to_num(wait[first]),
        tolerance_seconds=tolerance[c.channel[first]],
        contacts=count[first],
        escalated=anyof(kind == ESCALATION)[first],
        abandoned_any=anyof(result.outcome == ABANDONED)[first],
        type_shift=shift[ctype[first]],
    )
    score = np.zeros(n, dtype=np.int64)
    ok = closed[first]
    satisfied = u < p
    score[last[first[ok]]] = np.where(satisfied[ok], SATISFIED_SCORE, DISSATISFIED_SCORE)
    return score


def _contacts_csv(scenario: Scenario, result: CenterResult, streams: Streams) -> str:
    c = result.contacts
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CONTACT_COLUMNS)
    if c is None or result.issue is None or len(c) == 0:
        return buf.getvalue()
    n = len(c)
    answered = result.outcome == ANSWERED
    abandoned = result.outcome == ABANDONED
    ended = np.where(
        answered,
        result.answer_seconds + c.handle_seconds,
        np.where(abandoned, result.leave_queue_seconds, np.nan),
    )
    first = np.flatnonzero(np.arange(n) == result.issue)
    u = streams("eventlog.csat").random(first.size)
    score = _csat(scenario, result, ended, u)
    order = c.order if c.order is not None else np.full(n, -1, dtype=np.int64)
    key = c.issue_key if c.issue_key is not None else result.issue
    # one customer per order; a direct arrival's customer is its issue
    customer = np.where(order >= 0, order, key)
    arrived = _times(scenario, c.arrival_seconds)
    answered_at = _times(scenario, np.where(answered, result.answer_seconds, np.nan))
    ended_at = _times(scenario, ended)
    resolved = result.resolved if result.resolved is not None else np.full(n, -1, np.int8)
    refunded = result.refunded if result.refunded is not None else np.zeros(n, dtype=bool)
    by_time = np.lexsort((np.arange(n), c.arrival_seconds))
    for cid, i in enumerate(by_time.tolist(), start=1):
        decided = answered[i] and resolved[i] >= 0
        w.writerow(
            (
                cid,
                int(order[i]) if order[i] >= 0 else "",
                int(customer[i]),
                c.channels[c.channel[i]],
                c.reasons[c.reason[i]],
                arrived[i],
                answered_at[i],
                ended_at[i],
                int(resolved[i]) if decided else "",
                int(score[i]) if score[i] else "",
                int(refunded[i]) if decided else "",
            )
        )
    return buf.getvalue()


def event_log(
    scenario: Scenario, demand: Demand, result: CenterResult, streams: Streams
) -> EventLog:
    """The orders and contacts of one simulated arm, as CSV text.

    Args:
        scenario: The scenario.
        demand: The arm's demand, generated with ``order_rows=True``.
        result: What the contact centre did with its contacts.
        streams: The replication's streams (only ``eventlog.*`` are drawn from).
    """
    return EventLog(
        orders_csv=_orders_csv(scenario, demand, streams),
        contacts_csv=_contacts_csv(scenario, result, streams),
    )
