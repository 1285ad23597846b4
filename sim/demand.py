"""Demand: orders, fulfilment and promotion mechanics → contacts, drawn up front with numpy.

Contacts come from two sources:

- direct ``arrivals`` streams (a forecast of contacts, or a validation case);
- orders: each order may bring contacts for each ``contact_reason`` and for the reasons its
  promotion's mechanic creates, at a lag after an anchor (order, ship, delivery, expected
  delivery, price drop).

Everything exogenous to the queue is drawn here, before the contact centre runs: arrival
times, channel, customer type, and one uniform per contact for its handle time and one for
its patience. The engine decides only what depends on the queue.

**Common random numbers between arms.** The *baseline* arm is the scenario without its
promotion. Both arms are drawn from the same candidate orders: orders are generated in
*layers* of one base order rate each (layer 0, 1, 2, …), per day, every (layer, day) block
from its own named streams, and each candidate carries a uniform *mark* y. A candidate of
layer k belongs to an arm whose order-rate multiplier at its time is m(t) iff
``k + y < m(t)``: thinning of a Poisson process, so each arm's orders are exactly Poisson
with rate m(t) × base rate, and an arm with a higher multiplier holds every order of an arm
with a lower one. Every attribute of a candidate (fulfilment times, customer type, whether
and when each reason brings a contact, the contact's uniforms) is drawn for the candidate
whatever the arm, so the same order behaves the same in both arms. With an uplift of at
least 1, the baseline's contacts are a subset of the promotion arm's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from sim.config import (
    ContactReason,
    Coupon,
    FlashSale,
    PoissonArrivals,
    PriceProtection,
    ProfileArrivals,
    Promotion,
    Scenario,
    SecondItemDiscount,
    ThresholdDiscount,
    promotion_reasons,
)
from sim.distributions import draw, quantile
from sim.rng import Streams

Arm = Literal["promotion", "baseline"]
"""The scenario as written, or the same scenario without its promotion."""

_T = TypeVar("_T", bound=np.generic)

DECISIONS = 10
"""Uniforms each contact carries for what happens after it (see :mod:`sim.center`):
resolve, insist, escalate, repeat, redial, switch, silent, review, revise, churn."""

DAY = 86400.0
HOUR = 3600.0


@dataclass(frozen=True)
class Contacts:
    """Contacts of one replication and arm, sorted by arrival time; index ``i`` is contact ``i``.

    Attributes:
        arrival_seconds: Arrival time, seconds from the start of the horizon.
        channel: Index into ``channels``.
        reason: Index into ``reasons``.
        customer_type: Index into ``customer_types``.
        order: Id of the order that caused it (-1 for direct arrivals).
        handle_seconds: Agent time the contact holds one slot once answered.
        patience_seconds: Time the customer waits before abandoning (``inf``: never).
        channels: Channel names, in the scenario's order.
        reasons: Reason names: direct arrivals' reasons, then ``contact_reasons``, then the
            promotion's.
        promo_reasons: Per reason, whether the promotion's mechanic causes it.
        after_sale_reasons: Per reason, whether it comes after the purchase.
        customer_types: Customer type names (``("any",)`` without a customers section).
    """

    arrival_seconds: NDArray[np.float64]
    channel: NDArray[np.int32]
    reason: NDArray[np.int32]
    handle_seconds: NDArray[np.float64]
    patience_seconds: NDArray[np.float64]
    channels: tuple[str, ...]
    reasons: tuple[str, ...]
    customer_type: NDArray[np.int32] | None = None
    order: NDArray[np.int64] | None = None
    promo_reasons: tuple[bool, ...] = ()
    after_sale_reasons: tuple[bool, ...] = ()
    customer_types: tuple[str, ...] = ("any",)
    decide: NDArray[np.float64] | None = None
    """Per contact, ``DECISIONS`` uniforms for the journey (``n × DECISIONS``)."""
    issue_key: NDArray[np.int64] | None = None
    """Per contact, a number that names its issue the same way in every arm."""
    delivery_seconds: NDArray[np.float64] | None = None
    """Per contact, when its order's parcel arrives (``nan`` for direct arrivals)."""

    def __len__(self) -> int:
        return int(self.arrival_seconds.size)

    @property
    def promo(self) -> NDArray[np.bool_]:
        """Per contact: caused by the promotion's mechanic."""
        flags = np.asarray(self.promo_reasons or (False,) * len(self.reasons), dtype=bool)
        return flags[self.reason] if len(self) else np.zeros(0, dtype=bool)

    @property
    def after_sale(self) -> NDArray[np.bool_]:
        """Per contact: after the purchase (not a pre-sale question)."""
        flags = np.asarray(self.after_sale_reasons or (True,) * len(self.reasons), dtype=bool)
        return flags[self.reason] if len(self) else np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class OrderRows:
    """Every order of one arm with its fulfilment times, for the event log (seconds).

    Attributes:
        id: The order's id (the same in every arm; contacts' ``order`` refers to it).
        created_seconds: When it was placed (negative: in the lead-in).
        ship_seconds: When it shipped.
        delivery_seconds: When its parcel arrived.
        in_window: Placed inside the promotion's window.
    """

    id: NDArray[np.int64]
    created_seconds: NDArray[np.float64]
    ship_seconds: NDArray[np.float64]
    delivery_seconds: NDArray[np.float64]
    in_window: NDArray[np.bool_]


@dataclass(frozen=True)
class Demand:
    """What one arm of one replication brings: its orders and its contacts.

    Attributes:
        contacts: The contacts, inside the horizon.
        order_seconds: Time of every order of the arm (negative: in the lead-in).
        order_in_window: Per order, placed inside the promotion's window.
    """

    contacts: Contacts
    order_seconds: NDArray[np.float64]
    order_in_window: NDArray[np.bool_]
    promotion_active: bool = False
    """The arm runs the scenario's promotion (False in the baseline arm)."""
    rows: OrderRows | None = None
    """The arm's orders with their ids and fulfilment times, only when asked for
    (``generate(..., order_rows=True)``): the event log's orders."""


# --------------------------------------------------------------------------- reasons


NEVER, IF_INSIST, ALWAYS = 0, 1, 2
"""Refund policies of a reason."""


@dataclass(frozen=True)
class Reason:
    """A reason as the engine uses it: factors and journey rules, by channel index.

    Attributes:
        name: The reason's name.
        handle_time_factor: Multiplier on the channel's handle time.
        promo: Caused by the promotion's mechanic.
        after_sale: Comes after the purchase.
        resolution: Per channel, probability that an answered contact resolves the issue.
        refund_policy: ``NEVER``, ``IF_INSIST`` or ``ALWAYS``.
        refund_yuan: Refund per granted issue.
        redial_probability: Overrides the journey's, or None.
        mix: Per channel, the reason's channel shares (where a repeat may switch to);
            all zero for direct arrivals' reasons, which never switch.
    """

    name: str
    handle_time_factor: float
    promo: bool
    after_sale: bool
    resolution: tuple[float, ...]
    refund_policy: int
    refund_yuan: float
    redial_probability: float | None
    mix: tuple[float, ...]


_POLICY = {"never": NEVER, "if_insist": IF_INSIST, "always": ALWAYS}


def _money_at_stake(scenario: Scenario, field: str | None) -> float:
    """Default refund of a promotion's reason: what the customer feels owed."""
    promo, orders = scenario.promotion, scenario.orders
    price = orders.item_price_yuan if orders is not None else 0.0
    match promo:
        case SecondItemDiscount() if field == "price_difference":
            return max(0.0, price - promo.second_item_price_yuan)
        case PriceProtection() if field == "claim":
            return promo.price_drop_yuan
        case ThresholdDiscount() if field == "discount_not_applied":
            return promo.discount_yuan
    return 0.0


def _rules(scenario: Scenario, spec: ContactReason, promo: bool, field: str | None) -> Reason:
    channels = tuple(scenario.channels)
    by = spec.resolution_by_channel or {}
    return Reason(
        name=spec.name,
        handle_time_factor=spec.handle_time_factor,
        promo=promo,
        after_sale=spec.after_sale,
        resolution=tuple(by.get(c, spec.resolution_probability) for c in channels),
        refund_policy=_POLICY[spec.refund_policy],
        refund_yuan=(
            spec.refund_yuan if spec.refund_yuan is not None else _money_at_stake(scenario, field)
        ),
        redial_probability=spec.redial_probability,
        mix=tuple(spec.channel_mix.get(c, 0.0) for c in channels),
    )


def all_reasons(scenario: Scenario) -> list[Reason]:
    """Every reason of the scenario (promotion arm), in contact-index order."""
    n_channels = len(scenario.channels)
    out = [
        Reason(name, 1.0, False, True, (1.0,) * n_channels, NEVER, 0.0, None, (0.0,) * n_channels)
        for name in dict.fromkeys(a.reason for a in scenario.arrivals)
    ]
    out += [_rules(scenario, r, False, None) for r in scenario.contact_reasons]
    if scenario.promotion is not None:
        out += [
            _rules(scenario, r, True, field)
            for field, r in promotion_reasons(scenario.promotion, tuple(scenario.channels))
        ]
    return out


def reasons_of(scenario: Scenario) -> tuple[str, ...]:
    """Reason names of a scenario, in contact-index order."""
    return tuple(r.name for r in all_reasons(scenario))


# --------------------------------------------------------------------------- the promotion


def _seconds(scenario: Scenario, t: dt.datetime) -> float:
    return (t - scenario.calendar.start).total_seconds()


def multiplier(
    scenario: Scenario, promotion: Promotion | None, t: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Order-rate multiplier of an arm at times ``t`` (1 without a promotion)."""
    m = np.ones(t.shape)
    if promotion is None:
        return m
    start, end = _seconds(scenario, promotion.start), _seconds(scenario, promotion.end)
    inside = (t >= start) & (t < end)
    m[inside] = promotion.order_uplift
    if promotion.peak_day is not None:
        day0 = _seconds(scenario, dt.datetime.combine(promotion.peak_day, dt.time()))
        m[inside & (t >= day0) & (t < day0 + DAY)] *= promotion.peak_day_factor
    if isinstance(promotion, FlashSale):
        spike = 1 + (promotion.spike_factor - 1) * np.exp(
            -(t[inside] - start) / (promotion.spike_decay_minutes * 60.0)
        )
        m[inside] *= spike
    return m


def _breakpoints(scenario: Scenario, promotion: Promotion | None) -> list[float]:
    """Times where an arm's multiplier may jump; its maximum on a day is at one of them."""
    if promotion is None:
        return []
    points = [_seconds(scenario, promotion.start), _seconds(scenario, promotion.end)]
    if promotion.peak_day is not None:
        points.append(_seconds(scenario, dt.datetime.combine(promotion.peak_day, dt.time())))
    return points


def _mechanic_probability(
    scenario: Scenario, promotion: Promotion, field: str, t: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Probability per order that the mechanic's reason ``field`` brings a contact."""
    start, end = _seconds(scenario, promotion.start), _seconds(scenario, promotion.end)
    in_window = (t >= start) & (t < end)
    p = 0.0
    if field == "rule_question":
        p = promotion.rule_question_rate
        if isinstance(promotion, SecondItemDiscount) and promotion.auto_apply:
            p *= promotion.auto_apply_rule_question_factor
    else:
        match promotion:
            case SecondItemDiscount():
                p = promotion.contact_share
            case ThresholdDiscount():
                p = (
                    promotion.near_miss_share * promotion.near_miss_contact_probability
                    if field == "discount_not_applied"
                    else promotion.qualifying_share
                    * promotion.partial_return_rate
                    * promotion.dispute_probability
                )
            case Coupon():
                p = (
                    promotion.coupon_use_share
                    * promotion.failure_probability
                    * promotion.contact_probability
                )
            case FlashSale():
                p = {
                    "stock_issue": promotion.oversell_rate,
                    "payment_issue": promotion.payment_issue_rate,
                    "order_change": promotion.order_change_rate,
                }[field]
            case PriceProtection():
                drop = _seconds(scenario, promotion.price_drop_at)
                window = promotion.claim_window_days * DAY
                return np.where((t >= drop - window) & (t < drop), promotion.claim_rate, 0.0)
    return np.where(in_window, min(1.0, p), 0.0)


# --------------------------------------------------------------------------- orders


@dataclass
class _Parts:
    """Contacts collected from several sources before sorting."""

    time: list[NDArray[np.float64]]
    channel: list[NDArray[np.int32]]
    reason: list[NDArray[np.int32]]
    ctype: list[NDArray[np.float64]]  # uniforms for the customer type
    order: list[NDArray[np.int64]]
    u_handle: list[NDArray[np.float64]]
    u_patience: list[NDArray[np.float64]]
    u_decide: list[NDArray[np.float64]]
    key: list[NDArray[np.int64]]
    delivery: list[NDArray[np.float64]]

    def add(
        self,
        time: NDArray[np.float64],
        channel: NDArray[np.int32],
        reason: int,
        ctype: NDArray[np.float64],
        order: NDArray[np.int64],
        u: NDArray[np.float64],
        key: NDArray[np.int64],
        delivery: NDArray[np.float64] | None = None,
    ) -> None:
        self.time.append(time)
        self.channel.append(channel)
        self.reason.append(np.full(time.size, reason, dtype=np.int32))
        self.ctype.append(ctype)
        self.order.append(order)
        self.u_handle.append(u[0])
        self.u_patience.append(u[1])
        self.u_decide.append(u[2:].T)
        self.key.append(key)
        self.delivery.append(np.full(time.size, np.nan) if delivery is None else delivery)


def _pick_channel(
    mix: dict[str, float], channels: tuple[str, ...], u: NDArray[np.float64]
) -> NDArray[np.int32]:
    idx = np.array([channels.index(c) for c in mix], dtype=np.int32)
    cum = np.cumsum(np.array(list(mix.values()), dtype=np.float64))
    cum /= cum[-1]
    return idx[np.minimum(np.searchsorted(cum, u, side="right"), idx.size - 1)]


def _order_contacts(
    scenario: Scenario,
    streams: Streams,
    arm: Arm,
    parts: _Parts,
    first_reason: int,
    rows: list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Add every order-caused contact of the arm to ``parts``; return the arm's orders.

    With ``rows``, each (layer, day) block also appends its arm's order ids, ship and
    delivery times there (no extra draws: they are drawn for every candidate anyway).
    """
    orders = scenario.orders
    assert orders is not None
    cal = scenario.calendar
    promotion = scenario.promotion if arm == "promotion" else None
    reasons: list[tuple[ContactReason, str | None]] = [(r, None) for r in scenario.contact_reasons]
    if scenario.promotion is not None:
        # listed in both arms so that reason indices agree between arms
        reasons += [
            (r, field)
            for field, r in promotion_reasons(scenario.promotion, tuple(scenario.channels))
        ]
    lead = orders.lead_in_days
    n_days = math.ceil(cal.days - 1e-9)
    days = np.arange(-lead, n_days)
    noise = (
        streams("orders.day_noise").gamma(
            orders.overdispersion_shape, 1.0 / orders.overdispersion_shape, days.size
        )
        if orders.overdispersion_shape is not None
        else np.ones(days.size)
    )
    weights = np.asarray(orders.intraday_profile, dtype=np.float64)
    weights = weights / weights.sum()
    weekday0 = cal.start.weekday()
    breaks = _breakpoints(scenario, promotion)
    horizon = cal.horizon_seconds
    # the window is the scenario's, in both arms: order_in_window pairs across arms
    win = (
        (_seconds(scenario, scenario.promotion.start), _seconds(scenario, scenario.promotion.end))
        if scenario.promotion is not None
        else (math.inf, math.inf)
    )
    drop = (
        _seconds(scenario, promotion.price_drop_at)
        if isinstance(promotion, PriceProtection)
        else math.nan
    )
    arm_times: list[NDArray[np.float64]] = []
    arm_window: list[NDArray[np.bool_]] = []

    for di, d in enumerate(days):
        day0 = float(d) * DAY
        probe = np.array([day0, *[b for b in breaks if day0 <= b < day0 + DAY]])
        layers = max(1, math.ceil(float(multiplier(scenario, promotion, probe).max()) - 1e-12))
        rate = orders.per_day * orders.weekday_factors[(weekday0 + int(d)) % 7] * noise[di]
        for k in range(layers):
            block = f"orders.L{k}.D{int(d)}"
            rng = streams(block)
            n = int(rng.poisson(rate))
            hours = rng.choice(24, n, p=weights)
            t = day0 + (hours + rng.random(n)) * HOUR
            mark = rng.random(n)
            inside = k + mark < multiplier(scenario, promotion, t)
            ids = (np.int64(k) << 40) + (np.int64(d + lead) << 24) + np.arange(n, dtype=np.int64)
            u_type = streams(f"{block}.type").random(n)
            ship = (
                t + draw(scenario.fulfilment.ship_delay_hours, streams(f"{block}.ship"), n) * HOUR
            )
            transit = draw(scenario.fulfilment.transit_delay_hours, streams(f"{block}.transit"), n)
            in_window = (t >= win[0]) & (t < win[1])
            if promotion is not None and promotion.transit_delay_factor != 1.0:
                transit = np.where(in_window, transit * promotion.transit_delay_factor, transit)
            delivery = ship + transit * HOUR
            expected = t + scenario.fulfilment.promised_delivery_hours * HOUR
            arm_times.append(t[inside])
            arm_window.append(in_window[inside])
            if rows is not None:
                rows.append((ids[inside], ship[inside], delivery[inside]))
            for ri, (reason, field) in enumerate(reasons):
                if field is None:
                    p: NDArray[np.float64] | float = reason.rate_per_order
                elif promotion is None:
                    continue  # the baseline arm: the mechanic's reasons never fire
                else:
                    p = _mechanic_probability(scenario, promotion, field, t)
                # issue, channel, handle and patience uniforms: one stream, one shape; the
                # journey's decisions need no more than float32's 24 bits, at half the cost
                u = streams(f"{block}.{reason.name}.u").random((4, n))
                lag = draw(reason.lag_hours, streams(f"{block}.{reason.name}.lag"), n) * HOUR
                anchor = {
                    "order": t,
                    "ship": ship,
                    "delivery": delivery,
                    "expected_delivery": expected,
                    "price_drop": np.full(n, drop),
                }[reason.anchor]
                when = anchor - lag if reason.before_anchor else anchor + lag
                fire = inside & (u[0] < p) & (when >= 0) & (when < horizon)
                if reason.only_if_undelivered:
                    fire &= when < delivery
                if not fire.any():
                    continue
                decide = streams(f"{block}.{reason.name}.decide").random(
                    (DECISIONS, n), dtype=np.float32
                )[:, fire]
                parts.add(
                    when[fire],
                    _pick_channel(reason.channel_mix, scenario_channels(scenario), u[1][fire]),
                    first_reason + ri,
                    u_type[fire],
                    ids[fire],
                    np.concatenate([u[2:, fire], decide]),
                    # an issue is (order, reason): the same in every arm
                    (ids[fire] << 6) | (first_reason + ri),
                    delivery[fire],
                )
    times = np.concatenate(arm_times) if arm_times else np.zeros(0)
    window = np.concatenate(arm_window) if arm_window else np.zeros(0, dtype=bool)
    return times, window


def scenario_channels(scenario: Scenario) -> tuple[str, ...]:
    """Channel names in the scenario's order."""
    return tuple(scenario.channels)


def _type_cum(scenario: Scenario) -> NDArray[np.float64]:
    if scenario.customers is None:
        return np.ones(1)
    cum = np.cumsum([t.share for t in scenario.customers.types.values()])
    return np.asarray(cum / cum[-1], dtype=np.float64)


# --------------------------------------------------------------------------- direct arrivals


def _stream_times(
    spec: PoissonArrivals | ProfileArrivals, scenario: Scenario, rng: np.random.Generator
) -> NDArray[np.float64]:
    cal = scenario.calendar
    if isinstance(spec, PoissonArrivals):
        n = rng.poisson(spec.contacts_per_hour / HOUR * cal.horizon_seconds)
        return np.sort(rng.uniform(0.0, cal.horizon_seconds, n))
    rates = np.asarray(spec.contacts_per_hour, dtype=np.float64)
    width = HOUR if rates.size == 24 else cal.interval_seconds
    steps = math.ceil(cal.horizon_seconds / width - 1e-9)
    rates = np.resize(rates, steps)  # a day's profile repeats; a whole horizon's fits already
    lengths = np.minimum(width, cal.horizon_seconds - np.arange(steps) * width)
    # Ciw's PoissonIntervals: a Poisson count per step, spread uniformly inside it.
    counts = rng.poisson(rates * lengths / HOUR)
    starts = np.repeat(np.arange(steps) * width, counts)
    times = starts + rng.uniform(0.0, 1.0, starts.size) * np.repeat(lengths, counts)
    return np.sort(times)


def _direct_contacts(scenario: Scenario, streams: Streams, parts: _Parts) -> None:
    channels = scenario_channels(scenario)
    names = list(dict.fromkeys(a.reason for a in scenario.arrivals))
    for i, spec in enumerate(scenario.arrivals):
        times = _stream_times(spec, scenario, streams(f"arrivals.{i}.times"))
        mix = spec.mix
        if len(mix) == 1:
            chan = np.full(times.size, channels.index(next(iter(mix))), dtype=np.int32)
        else:
            chan = _pick_channel(mix, channels, streams(f"arrivals.{i}.channel").random(times.size))
        u = streams(f"arrivals.{i}.u").random((3 + DECISIONS, times.size))
        parts.add(
            times,
            chan,
            names.index(spec.reason),
            u[0],
            np.full(times.size, -1, dtype=np.int64),
            u[1:],
            (np.int64(1) << 62) | (np.int64(i) << 32) | np.arange(times.size, dtype=np.int64),
        )


# --------------------------------------------------------------------------- assembly


def generate(
    scenario: Scenario, streams: Streams, arm: Arm = "promotion", *, order_rows: bool = False
) -> Demand:
    """Orders and contacts of one arm of one replication.

    Args:
        scenario: The scenario as written (the promotion arm).
        streams: A fresh set of the replication's streams (one per arm).
        arm: ``"promotion"``, or ``"baseline"`` for the same scenario without its promotion.
        order_rows: Also keep every order's id, ship and delivery times (``Demand.rows``),
            for the event log; the draws are the same either way.
    """
    reasons = all_reasons(scenario)
    channels = scenario_channels(scenario)
    parts = _Parts([], [], [], [], [], [], [], [], [], [])
    _direct_contacts(scenario, streams, parts)
    kept: list[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]] | None = (
        [] if order_rows else None
    )
    if scenario.orders is not None:
        n_direct = len(dict.fromkeys(a.reason for a in scenario.arrivals))
        order_seconds, order_in_window = _order_contacts(
            scenario, streams, arm, parts, n_direct, kept
        )
    else:
        order_seconds, order_in_window = np.zeros(0), np.zeros(0, dtype=bool)
    rows = (
        OrderRows(
            id=_cat([k[0] for k in kept], np.int64),
            created_seconds=order_seconds,
            ship_seconds=_cat([k[1] for k in kept], np.float64),
            delivery_seconds=_cat([k[2] for k in kept], np.float64),
            in_window=order_in_window,
        )
        if kept is not None
        else None
    )

    order_key = _cat(parts.order, np.int64)
    reason_key = _cat(parts.reason, np.int32)
    time_key = _cat(parts.time, np.float64)
    # time first; ties (a deterministic lag) broken by order and reason, never by draw order
    sort = np.lexsort((reason_key, order_key, time_key))
    time = time_key[sort]
    channel = _cat(parts.channel, np.int32)[sort]
    reason = reason_key[sort]
    order = order_key[sort]
    u_type = _cat(parts.ctype, np.float64)[sort]
    u_handle = _cat(parts.u_handle, np.float64)[sort]
    u_patience = _cat(parts.u_patience, np.float64)[sort]
    decide = np.concatenate(parts.u_decide)[sort] if parts.u_decide else np.zeros((0, DECISIONS))
    issue_key = _cat(parts.key, np.int64)[sort]
    delivery = _cat(parts.delivery, np.float64)[sort]

    ctype = np.minimum(
        np.searchsorted(_type_cum(scenario), u_type, side="right"), _n_types(scenario) - 1
    ).astype(np.int32)
    handle = np.empty(time.size)
    patience = np.full(time.size, np.inf)
    reason_factor = np.array([r.handle_time_factor for r in reasons] or [1.0])
    types = list(scenario.customers.types.values()) if scenario.customers else []
    type_handle = np.array([t.handle_time_factor for t in types] or [1.0])
    type_patience = np.array([t.patience_factor for t in types] or [1.0])
    for ci, name in enumerate(channels):
        mask = channel == ci
        spec = scenario.channels[name]
        handle[mask] = quantile(spec.handle_time_seconds, u_handle[mask])
        if spec.patience_seconds is not None:
            patience[mask] = quantile(spec.patience_seconds, u_patience[mask])
    handle *= reason_factor[reason] * type_handle[ctype]
    patience *= type_patience[ctype]
    contacts = Contacts(
        arrival_seconds=time,
        channel=channel,
        reason=reason,
        handle_seconds=handle,
        patience_seconds=patience,
        channels=channels,
        reasons=tuple(r.name for r in reasons),
        customer_type=ctype,
        order=order,
        promo_reasons=tuple(r.promo for r in reasons),
        after_sale_reasons=tuple(r.after_sale for r in reasons),
        customer_types=tuple(scenario.customers.types) if scenario.customers else ("any",),
        decide=decide,
        issue_key=issue_key,
        delivery_seconds=delivery,
    )
    active = arm == "promotion" and scenario.promotion is not None
    return Demand(contacts, order_seconds, order_in_window, active, rows)


def _cat(xs: Sequence[NDArray[_T]], dtype: type[_T]) -> NDArray[_T]:
    return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype=dtype)


def _n_types(scenario: Scenario) -> int:
    return len(scenario.customers.types) if scenario.customers else 1


def first_contacts(scenario: Scenario, streams: Streams) -> Contacts:
    """The first contact of every issue of the scenario as written (its promotion arm)."""
    return generate(scenario, streams).contacts
