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

**Streaming.** :class:`DemandStream` hands an arm's contacts out in arrival order, a
segment at a time, drawing each order day only when its contacts may be due and counting
orders (:class:`OrderTally`) instead of keeping them, so memory does not grow with the
horizon. Pre-sale lags are bounded (:func:`lag_bound_hours`), so a segment once handed out
is final. :func:`generate`, the whole arm at once, is the stream taken in one segment.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from sim.config import (
    ContactReason,
    DeliveryWindow,
    Distribution,
    Empirical,
    Inquiry,
    PoissonArrivals,
    ProfileArrivals,
    Promotion,
    Scenario,
)
from sim.distributions import draw, quantile
from sim.localtime import LocalClock
from sim.mechanics import mechanic_of, promotion_reasons, seconds
from sim.rng import Streams, stream_key
from sim.uniforms import (
    DECISIONS,
    DIRECT_DECISIONS,
    DIRECT_HANDLE,
    DIRECT_PATIENCE,
    DIRECT_ROWS,
    DIRECT_TYPE,
    FIRST_BOT,
    FIRST_CHANNEL,
    FIRST_DECISIONS,
    FIRST_DRAW,
    FIRST_HANDLE,
    FIRST_KEEP,
    FIRST_LAG,
    FIRST_PATIENCE,
    FIRST_ROWS,
    FIRST_SESSION,
    ORDER_CHANNEL,
    ORDER_HANDLE,
    ORDER_PATIENCE,
    ORDER_ROWS,
)

Arm = Literal["promotion", "baseline"]
"""The scenario as written, or the same scenario without its promotion."""

_T = TypeVar("_T", bound=np.generic)

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
    """Per contact, its decision uniforms (``n × DECISIONS``; columns in :mod:`sim.uniforms`)."""
    issue_key: NDArray[np.int64] | None = None
    """Per contact, a number that names its issue the same way in every arm."""
    delivery_seconds: NDArray[np.float64] | None = None
    """Per contact, when its order's parcel arrives (``nan`` for direct arrivals)."""
    bot: NDArray[np.int8] | None = None
    """Per contact, its bot stage: ``NO_BOT``, ``SETTLED`` (the bot settled it; its arrival
    is when it wrote) or ``HANDED_OVER`` (its arrival is the hand-over to the human queue).
    None: no channel has a bot and there are no pre-sale inquiries."""
    bot_seconds: NDArray[np.float64] | None = None
    """Per contact, seconds with the bot (0 without one): a handed-over contact wrote at
    ``arrival_seconds − bot_seconds``."""
    keep_draw: NDArray[np.float64] | None = None
    """Per pre-sale inquiry of an order, the uniform its order's keeping is decided with
    (``nan`` for every other contact)."""
    placed_seconds: NDArray[np.float64] | None = None
    """Per pre-sale inquiry of an order, when the order would be placed (``nan`` otherwise)."""
    last_seconds: NDArray[np.float64] | None = None
    """Per pre-sale inquiry of an order, when the last contact of its order arrives in the arm
    (``nan`` otherwise): after it nothing of a lost order needs voiding."""

    def __len__(self) -> int:
        return int(self.arrival_seconds.size)

    @property
    def asked_seconds(self) -> NDArray[np.float64]:
        """When each contact was written: before the bot for a handed-over one."""
        if self.bot_seconds is None:
            return self.arrival_seconds
        return self.arrival_seconds - np.where(self.bot == HANDED_OVER, self.bot_seconds, 0.0)

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
    """Orders of one arm with their fulfilment times, for the event log (seconds).

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
    served: tuple[tuple[NDArray[np.float64], float], ...] = ()
    """Issues the buyers settled alone: their times and refund each (see :class:`OrderTally`)."""


# --------------------------------------------------------------------------- reasons


NEVER, IF_INSIST, ALWAYS = 0, 1, 2
"""Refund policies of a reason."""

NO_BOT, SETTLED, HANDED_OVER = 0, 1, 2
"""A contact's bot stage: no bot on its channel (or a follow-up), settled by the bot, handed
over to the human queue."""

MORE_BOT, MORE_BOT_SECONDS, MORE_KEEP, MORE_PLACED, MORE_LAST = 0, 1, 2, 3, 4
"""Columns of a chunk's ``more``: bot stage, seconds with the bot, and a pre-sale inquiry's
keep uniform, order time and the arrival of its order's last contact."""
MORE = 5

PRESALE = "presale"
"""The field name under which the pre-sale inquiry reason is listed with the order reasons."""


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
    refund_seconds: float = 0.0
    """Agent seconds a granted refund adds to its contact (the reason's ``refund_route``)."""


_POLICY = {"never": NEVER, "if_insist": IF_INSIST, "always": ALWAYS}


def _money_at_stake(scenario: Scenario, field: str | None) -> float:
    """Default refund of a promotion's reason: what the customer feels owed (its mechanic's)."""
    promo, orders = scenario.promotion, scenario.orders
    if promo is None or field is None:
        return 0.0
    price = orders.item_price_yuan if orders is not None else 0.0
    return mechanic_of(promo).stake_yuan(promo, field, price)


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
        refund_seconds=(
            scenario.platform.refund_routes[spec.refund_route].handle_seconds
            if spec.refund_route is not None and scenario.platform is not None
            else 0.0
        ),
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
    if scenario.presale is not None:
        out.append(_rules(scenario, scenario.presale.inquiry, False, None))
    return out


def inquiry_reason(scenario: Scenario) -> int:
    """Index of the pre-sale inquiry reason (-1 without a presale block)."""
    if scenario.presale is None:
        return -1
    return len(all_reasons(scenario)) - 1


def reasons_of(scenario: Scenario) -> tuple[str, ...]:
    """Reason names of a scenario, in contact-index order."""
    return tuple(r.name for r in all_reasons(scenario))


# --------------------------------------------------------------------------- the promotion


def multiplier(
    scenario: Scenario, promotion: Promotion | None, t: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Order-rate multiplier of an arm at times ``t`` (1 without a promotion)."""
    m = np.ones(t.shape)
    if promotion is None:
        return m
    start, end = seconds(scenario, promotion.start), seconds(scenario, promotion.end)
    inside = (t >= start) & (t < end)
    m[inside] = promotion.order_uplift
    if promotion.peak_day is not None:
        day0 = seconds(scenario, dt.datetime.combine(promotion.peak_day, dt.time()))
        m[inside & (t >= day0) & (t < day0 + DAY)] *= promotion.peak_day_factor
    shape = mechanic_of(promotion).order_multiplier(scenario, promotion, t[inside])
    if shape is not None:
        m[inside] *= shape
    for moment in promotion.moments:
        at = seconds(scenario, moment.at)
        m[(t >= at) & (t < at + moment.hours * HOUR)] *= moment.orders_factor
    for stream in promotion.live_streams:
        at = seconds(scenario, stream.at)
        end = at + stream.hours * HOUR
        m[(t >= at) & (t < end)] *= stream.orders_factor
        if stream.tail_hours > 0:
            tail = (t >= end) & (t < end + stream.tail_hours * HOUR)
            left = 1.0 - (t[tail] - end) / (stream.tail_hours * HOUR)
            m[tail] *= 1.0 + (stream.orders_factor - 1.0) * left
    return m


def live_factor(
    scenario: Scenario,
    promotion: Promotion | None,
    t: NDArray[np.float64],
    name: Literal["inquiry_factor", "rule_question_factor", "miss_factor"],
) -> NDArray[np.float64] | float:
    """Per time, the live streams' factor ``name`` (``1.0`` itself without a stream).

    During a stream (and its tail, for inquiries) the stream's factor, else 1.
    """
    if promotion is None or not promotion.live_streams:
        return 1.0
    f = np.ones(t.shape)
    for stream in promotion.live_streams:
        at = seconds(scenario, stream.at)
        end = at + stream.hours * HOUR
        if name == "inquiry_factor":
            end += stream.tail_hours * HOUR
        f[(t >= at) & (t < end)] *= getattr(stream, name)
    return f


def _breakpoints(scenario: Scenario, promotion: Promotion | None) -> list[float]:
    """Times where an arm's multiplier may jump; its maximum on a day is at one of them."""
    if promotion is None:
        return []
    points = [seconds(scenario, promotion.start), seconds(scenario, promotion.end)]
    if promotion.peak_day is not None:
        points.append(seconds(scenario, dt.datetime.combine(promotion.peak_day, dt.time())))
    for moment in promotion.moments:
        at = seconds(scenario, moment.at)
        points += [at, at + moment.hours * HOUR]
    for stream in promotion.live_streams:
        at = seconds(scenario, stream.at)
        points += [at, at + stream.hours * HOUR, at + (stream.hours + stream.tail_hours) * HOUR]
    return points


def mechanic_probability(
    scenario: Scenario,
    promotion: Promotion,
    field: str,
    t: NDArray[np.float64],
    delivery: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Probability per order placed at ``t`` that the promotion's reason ``field`` brings an issue.

    Rule questions come from orders of the promotion's window at ``rule_question_rate``
    (times the mechanic's factor); the mechanic's own reasons from orders of its span it
    says may bring them (``protected``, which may read the orders' ``delivery``) at its
    rate (:class:`sim.mechanics.Mechanic`). An issue is a contact unless the buyer settles
    it alone (:meth:`sim.mechanics.Mechanic.self_service_share`).
    """
    mechanic = mechanic_of(promotion)
    lo, hi = _mechanic_span(scenario, promotion, field)
    inside = (t >= lo) & (t < hi)
    if field == "rule_question":
        p = promotion.rule_question_rate * mechanic.rule_question_factor(promotion)
        live = live_factor(scenario, promotion, t, "rule_question_factor")
    else:
        p = mechanic.rate(promotion, field)
        live = live_factor(scenario, promotion, t, "miss_factor")
        mask = mechanic.protected(scenario, promotion, field, t, delivery)
        if mask is not None:
            inside &= mask
    return np.where(inside, np.minimum(1.0, p * live), 0.0)


def _mechanic_span(scenario: Scenario, promotion: Promotion, field: str) -> tuple[float, float]:
    """Order times ``[lo, hi)`` outside which the promotion's reason ``field`` never fires.

    Rule questions come from orders of the promotion's window, the mechanic's reasons from
    its span (the window, but for 价保's claim window before the drop).
    """
    if field == "rule_question":
        return seconds(scenario, promotion.start), seconds(scenario, promotion.end)
    return mechanic_of(promotion).order_span(scenario, promotion, field)


# --------------------------------------------------------------------------- contacts by source


@dataclass(frozen=True)
class _Chunk:
    """Contacts before sorting: of a direct stream, of a reason of one block, or several."""

    time: NDArray[np.float64]
    channel: NDArray[np.int32]
    reason: NDArray[np.int32]
    u_type: NDArray[np.float64]  # uniform for the customer type
    order: NDArray[np.int64]
    u_handle: NDArray[np.float64]
    u_patience: NDArray[np.float64]
    decide: NDArray[np.float64]  # n × DECISIONS
    key: NDArray[np.int64]
    delivery: NDArray[np.float64]
    ascending: bool
    """``time`` is sorted (direct streams are): split by bisection, without a copy."""
    more: NDArray[np.float64] | None = None
    """``n × MORE`` (bot stage, bot seconds, keep uniform, order time), or None where the
    scenario has no bot and no pre-sale inquiries."""

    def __len__(self) -> int:
        return int(self.time.size)

    def split(self, before: float) -> tuple[_Chunk, _Chunk]:
        """The contacts arriving before ``before`` (seconds) and the others, each in order."""
        if self.ascending:
            k = int(np.searchsorted(self.time, before, side="left"))
            return self._pick(slice(0, k)), self._pick(slice(k, None))
        early = self.time < before
        return self._pick(early), self._pick(~early)

    def by_time(self) -> _Chunk:
        """The same contacts sorted by arrival time (stable: ties keep their order)."""
        if self.ascending:
            return self
        return replace(self._pick(np.argsort(self.time, kind="stable")), ascending=True)

    def _pick(self, index: slice | NDArray[np.bool_] | NDArray[np.intp]) -> _Chunk:
        if not isinstance(index, slice):
            if index.dtype == np.bool_:
                return self._take(np.flatnonzero(index))
            return self._take(np.asarray(index, dtype=np.intp))
        return _Chunk(
            self.time[index],
            self.channel[index],
            self.reason[index],
            self.u_type[index],
            self.order[index],
            self.u_handle[index],
            self.u_patience[index],
            self.decide[index],
            self.key[index],
            self.delivery[index],
            self.ascending,
            None if self.more is None else self.more[index],
        )

    def _take(self, index: NDArray[np.intp]) -> _Chunk:
        # np.take gathers rows of C-ordered 2-d columns several times as fast as indexing
        take = np.take
        return _Chunk(
            take(self.time, index),
            take(self.channel, index),
            take(self.reason, index),
            take(self.u_type, index),
            take(self.order, index),
            take(self.u_handle, index),
            take(self.u_patience, index),
            take(self.decide, index, axis=0),
            take(self.key, index),
            take(self.delivery, index),
            self.ascending,
            None if self.more is None else take(self.more, index, axis=0),
        )

    @staticmethod
    def merge(a: _Chunk, b: _Chunk) -> _Chunk:
        """Two chunks sorted by time in one sorted by time: ``join((a, b)).by_time()``.

        On a tie ``a``'s contacts come first, as a stable sort of ``a``'s then ``b``'s puts
        them. A NaN time (never a contact's) has no place: then the two are joined and sorted.
        """
        if not (len(a) and len(b)) or np.isnan(a.time[-1]) or np.isnan(b.time[-1]):
            return _Chunk.join((a, b)).by_time()
        na, nb = len(a), len(b)
        # each contact's place: after the other's contacts before it, a's first on a tie
        source = np.empty(na + nb, dtype=np.intp)
        source[np.searchsorted(b.time, a.time, side="left") + np.arange(na)] = np.arange(na)
        source[np.searchsorted(a.time, b.time, side="right") + np.arange(nb)] = np.arange(
            na, na + nb
        )

        def merged(x: NDArray[_T], y: NDArray[_T]) -> NDArray[_T]:
            # gathering rows of a C-ordered array: np.take's fast path
            return np.take(np.concatenate((x, y)), source, axis=0)

        return _Chunk(
            merged(a.time, b.time),
            merged(a.channel, b.channel),
            merged(a.reason, b.reason),
            merged(a.u_type, b.u_type),
            merged(a.order, b.order),
            merged(a.u_handle, b.u_handle),
            merged(a.u_patience, b.u_patience),
            merged(a.decide, b.decide),
            merged(a.key, b.key),
            merged(a.delivery, b.delivery),
            True,
            None if a.more is None or b.more is None else merged(a.more, b.more),
        )

    @staticmethod
    def join(chunks: Sequence[_Chunk]) -> _Chunk:
        """The chunks' contacts in one chunk, in the chunks' order."""
        if len(chunks) == 1:
            return chunks[0]
        return _Chunk(
            np.concatenate([c.time for c in chunks]),
            np.concatenate([c.channel for c in chunks]),
            np.concatenate([c.reason for c in chunks]),
            np.concatenate([c.u_type for c in chunks]),
            np.concatenate([c.order for c in chunks]),
            np.concatenate([c.u_handle for c in chunks]),
            np.concatenate([c.u_patience for c in chunks]),
            np.concatenate([c.decide for c in chunks]),
            np.concatenate([c.key for c in chunks]),
            np.concatenate([c.delivery for c in chunks]),
            False,
            _more_of(chunks),
        )


def _chunk(
    time: NDArray[np.float64],
    channel: NDArray[np.int32],
    reason: int,
    u_type: NDArray[np.float64],
    order: NDArray[np.int64],
    u_handle: NDArray[np.float64],
    u_patience: NDArray[np.float64],
    decide: NDArray[np.float64],
    key: NDArray[np.int64],
    delivery: NDArray[np.float64] | None = None,
    more: NDArray[np.float64] | None = None,
) -> _Chunk:
    """A chunk from its columns (``decide``: ``n × DECISIONS``; ``more``: ``n × MORE``)."""
    return _Chunk(
        time,
        channel,
        np.full(time.size, reason, dtype=np.int32),
        u_type,
        order,
        u_handle,
        u_patience,
        decide,
        key,
        np.full(time.size, np.nan) if delivery is None else delivery,
        bool(np.all(time[1:] >= time[:-1])),
        more,
    )


def _more_of(chunks: Sequence[_Chunk]) -> NDArray[np.float64] | None:
    """The chunks' ``more`` rows in one array (None: they have none)."""
    if not chunks or chunks[0].more is None:
        return None
    return np.concatenate([c.more for c in chunks if c.more is not None])


def carries_more(scenario: Scenario) -> bool:
    """Contacts of ``scenario`` carry the bot and pre-sale columns (a bot or ``presale``)."""
    return scenario.presale is not None or any(
        c.bot is not None for c in scenario.channels.values()
    )


class _Bots:
    """The channels' bots, as the demand applies them to first contacts (exogenous).

    A bot has no capacity limit, so whether it settles a contact and how long the session
    takes depend on the contact's own uniforms only: drawn here, up front, and a handed-over
    contact arrives at the human queue ``bot_seconds`` after it wrote.
    """

    def __init__(self, scenario: Scenario) -> None:
        channels = scenario_channels(scenario)
        reasons = reasons_of(scenario)
        self.specs = [scenario.channels[c].bot for c in channels]
        self.has = np.array([b is not None for b in self.specs], dtype=bool)
        self.any = bool(self.has.any())
        self.more = carries_more(scenario)
        """Contacts carry ``more`` columns."""
        self.containment = np.array(
            [[b.containment_of(r) if b is not None else 0.0 for r in reasons] for b in self.specs]
        ).reshape(len(channels), len(reasons))

    def stage(
        self,
        time: NDArray[np.float64],
        channel: NDArray[np.int32],
        reason: int,
        u: NDArray[np.float64] | None,
        keep: NDArray[np.float64] | None = None,
        placed: NDArray[np.float64] | None = None,
        last: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The contacts' arrival at the human queue, and their ``more`` rows.

        ``u``: ``2 × n`` uniforms (containment, session time), None without any bot.
        """
        n = time.size
        more = np.zeros((n, MORE))
        more[:, MORE_KEEP] = np.nan if keep is None else keep
        more[:, MORE_PLACED] = np.nan if placed is None else placed
        more[:, MORE_LAST] = np.nan if last is None else last
        if u is None or n == 0:
            return time, more
        has = self.has[channel]
        contained = has & (u[0] < self.containment[channel, reason])
        seconds = np.zeros(n)
        for ci, bot in enumerate(self.specs):
            m = channel == ci
            if bot is not None and m.any():
                seconds[m] = quantile(bot.session_seconds, u[1, m])
        more[:, MORE_BOT] = np.where(has, np.where(contained, SETTLED, HANDED_OVER), NO_BOT)
        more[:, MORE_BOT_SECONDS] = seconds
        return np.where(has & ~contained, time + seconds, time), more


# --------------------------------------------------------------------------- clocks


class ActivityClock:
    """The buyers' clock: time weighted by a 24-hour activity profile, mean rate 1.

    ``A(t)`` (:meth:`forward`) grows in local hour ``h`` at ``24 w[h] / sum(w)`` activity
    seconds per second, so a day holds 86400 of them and a flat profile gives ``A(t) = t``
    up to a constant. A lag of ``L`` activity seconds after ``t0`` ends at
    ``A⁻¹(A(t0) + L)`` (:meth:`after`), before it at ``A⁻¹(A(t0) − L)`` (:meth:`before`):
    hours of weight 0 pass in no activity time, so no contact arrives in them (the inverse
    maps their instant to the next hour that has weight). Piecewise linear, vectorised.

    Args:
        weights: 24 non-negative weights, hour 00 to 23, not all zero.
        offset: Seconds from local midnight to time 0 (:attr:`LocalClock.offset`).
    """

    def __init__(self, weights: Sequence[float], offset: float = 0.0) -> None:
        w = np.asarray(weights, dtype=np.float64)
        cum = np.concatenate([[0.0], np.cumsum(w)]) / w.sum() * DAY
        cum[-1] = DAY  # exact: the last hour with weight ends the day
        self.cum: NDArray[np.float64] = cum
        """Activity seconds at each local hour's start (25 values, 0 to 86400)."""
        self.width: NDArray[np.float64] = np.diff(cum)
        """Activity seconds in each local hour (0 for an hour without weight)."""
        self.offset = float(offset)
        self.local = LocalClock(self.offset)

    @staticmethod
    def of(weights: Sequence[float] | None, offset: float = 0.0) -> ActivityClock | None:
        """The clock of ``weights``; None where it is the identity (absent or flat)."""
        if weights is None or len(set(weights)) == 1:
            return None
        return ActivityClock(weights, offset)

    def forward(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """``A(t)``: activity seconds from local midnight of the start date (finite ``t``)."""
        day, s = self.local.split(t)
        h = np.minimum((s // HOUR).astype(np.int64), 23)
        a: NDArray[np.float64] = day * DAY + self.cum[h] + self.width[h] * ((s - h * HOUR) / HOUR)
        return a

    def inverse(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        """``A⁻¹(a)``: the earliest time at which ``A`` passes ``a`` (finite ``a``)."""
        day = np.floor(a / DAY)
        r = a - day * DAY
        wrap = r >= DAY  # rounding at a day's end
        if wrap.any():
            day, r = np.where(wrap, day + 1, day), np.where(wrap, r - DAY, r)
        # the first hour ending after r: it has weight, and starts at or before r
        h = np.minimum(np.searchsorted(self.cum[1:], r, side="right"), 23)
        s = h * HOUR + (r - self.cum[h]) / self.width[h] * HOUR
        t: NDArray[np.float64] = day * DAY + s - self.offset
        return t

    def after(self, t0: NDArray[np.float64], lag: NDArray[np.float64]) -> NDArray[np.float64]:
        """When a lag of ``lag`` activity seconds from ``t0`` ends (never before ``t0``)."""
        ok = np.isfinite(t0) & np.isfinite(lag)
        if ok.all():  # the usual case: no masking needed
            done: NDArray[np.float64] = np.maximum(t0, self.inverse(self.forward(t0) + lag))
            return done
        t, x = np.where(ok, t0, 0.0), np.where(ok, lag, 0.0)
        out = np.maximum(t, self.inverse(self.forward(t) + x))
        result: NDArray[np.float64] = np.where(ok, out, t0 + lag)
        return result

    def before(self, t0: NDArray[np.float64], lag: NDArray[np.float64]) -> NDArray[np.float64]:
        """When a lag of ``lag`` activity seconds ending at ``t0`` starts (never after ``t0``)."""
        ok = np.isfinite(t0) & np.isfinite(lag)
        if ok.all():
            done: NDArray[np.float64] = np.minimum(t0, self.inverse(self.forward(t0) - lag))
            return done
        t, x = np.where(ok, t0, 0.0), np.where(ok, lag, 0.0)
        out = np.minimum(t, self.inverse(self.forward(t) - x))
        result: NDArray[np.float64] = np.where(ok, out, t0 - lag)
        return result


def next_opening(
    t: NDArray[np.float64], window: DeliveryWindow | None, offset: float = 0.0
) -> NDArray[np.float64]:
    """Times ``t`` moved into a daily window: outside it, to the next opening, exactly.

    Args:
        t: Times, seconds from time 0.
        window: The window (None: ``t`` unchanged).
        offset: Seconds from local midnight to time 0 (:attr:`LocalClock.offset`).
    """
    if window is None or (window.start_seconds == 0 and window.end_seconds == DAY):
        return t
    start, end = window.start_seconds, window.end_seconds
    ok = np.isfinite(t)
    local = LocalClock(offset)
    day, s = local.split(np.where(ok, t, 0.0))
    out = np.where(ok & (s < start), local.at(day, start), t)
    moved: NDArray[np.float64] = np.where(ok & (s >= end), local.at(day + 1, start), out)
    return moved


# --------------------------------------------------------------------------- orders

_Rows = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]
"""One block's orders of the arm: ids, ship and delivery times."""


class _Picker:
    """A channel mix's channel of each uniform: its tables made once, used per block."""

    def __init__(self, mix: dict[str, float], channels: tuple[str, ...]) -> None:
        self.idx = np.array([channels.index(c) for c in mix], dtype=np.int32)
        cum = np.cumsum(np.array(list(mix.values()), dtype=np.float64))
        cum /= cum[-1]
        self.cum = cum

    def __call__(self, u: NDArray[np.float64]) -> NDArray[np.int32]:
        idx = self.idx
        if idx.size == 1:
            return np.full(u.shape, idx[0], dtype=np.int32)
        return idx[np.minimum(np.searchsorted(self.cum, u, side="right"), idx.size - 1)]


def _pick_channel(
    mix: dict[str, float], channels: tuple[str, ...], u: NDArray[np.float64]
) -> NDArray[np.int32]:
    return _Picker(mix, channels)(u)


class _Cdf:
    """``cdf.searchsorted(u, side="right")`` for uniforms ``u`` in [0, 1), by table.

    numpy's binary search takes about 25 ns a key in a short table. The table splits [0, 1)
    into ``CELLS`` equal cells: a key in a cell that no value of ``cdf`` splits has the
    cell's answer, one look-up; the others (a few in a thousand) are searched.

    Args:
        cdf: Non-decreasing values.
    """

    CELLS = 4096

    def __init__(self, cdf: NDArray[np.float64]) -> None:
        self.cdf = cdf
        edges = np.arange(self.CELLS + 1) / self.CELLS  # exact: multiples of 2⁻¹²
        self.lo: NDArray[np.intp] = np.searchsorted(cdf, edges[:-1], side="right")
        """Per cell, the answer at its left edge: the least in the cell."""
        self.sure = self.lo == np.searchsorted(cdf, edges[1:], side="left")
        """Per cell, no value of ``cdf`` in it: every key in it has the answer ``lo``."""

    def __call__(self, u: NDArray[np.float64]) -> NDArray[np.intp]:
        cell = (u * self.CELLS).astype(np.intp)  # exact: a power of two
        out = self.lo[cell]
        unsure = np.flatnonzero(~self.sure[cell])
        if unsure.size:
            out[unsure] = np.searchsorted(self.cdf, u[unsure], side="right")
        return out


def _float32_columns(
    rng: np.random.Generator, n: int, cols: NDArray[np.intp]
) -> NDArray[np.float64]:
    """``rng.random((DECISIONS, n), dtype=np.float32)[:, cols].T``, as float64.

    Only the columns ``cols`` are made into floats: numpy makes a float32 of 32 bits of its
    bit generator, the top 24 of them times 2⁻²⁴, and PCG64 gives 64 bits a step, the low
    half first. Its raw steps cost about half of making every float
    (tests/test_demand_stream.py checks the floats against numpy's).

    Args:
        rng: A fresh generator of a PCG64 stream (nothing drawn from it yet).
        n: The draw's columns.
        cols: The columns wanted, as indices.
    """
    assert isinstance(rng.bit_generator, np.random.PCG64)
    raw = rng.bit_generator.random_raw((DECISIONS * n + 1) // 2)
    # (column, row) → its place in the draw, row after row; C order (np.take's fast path)
    flat = cols[:, None] + np.arange(DECISIONS, dtype=np.intp) * n
    word = raw[flat >> 1] >> ((flat & 1) << 5).astype(np.uint64)
    floats: NDArray[np.float64] = ((word & 0xFFFF_FFFF) >> 8) * (1.0 / (1 << 24))
    return floats


RUNS = 4
"""Sorted runs a :class:`DemandStream` keeps pending at most (each take bisects every one)."""

FIXED_ANCHORS = frozenset({"price_drop"})
"""Anchors at one time for every order, set by the mechanic (the others are per order)."""

TAIL = 1e-12
"""Chance per contact that a lag before its anchor, drawn from its distribution, is cut to
:func:`lag_bound_hours`."""


def lag_bound_hours(d: Distribution) -> float:
    """The longest lag (hours) of a contact before its anchor: ``d``'s ``1 - TAIL`` quantile.

    Such lags (``before_anchor``: pre-sale questions, claims before a price drop) are drawn
    from ``d`` cut at this bound (a longer draw, a chance of ``TAIL``, becomes the bound),
    so a day's contacts arrive no earlier than :meth:`_OrderDays.earliest` says and can be
    streamed. Deterministic and empirical lags never exceed it.
    """
    if isinstance(d, Empirical):
        return max(d.values)  # its quantile function reads the values as listed, unsorted
    return float(quantile(d, np.array([1.0 - TAIL]))[0])


@dataclass(frozen=True)
class _Day:
    """One calendar day's (layer, day) blocks of an arm, per layer where it says so."""

    chunks: list[_Chunk]
    times: list[NDArray[np.float64]]  # the arm's orders, per layer
    in_window: list[NDArray[np.bool_]]
    rows: list[_Rows]  # empty unless asked for
    served: list[tuple[NDArray[np.float64], float]]
    """Issues the buyer settled alone (one-click claims): their times and refund each, ¥."""


class _OrderDays:
    """An arm's orders and the contacts they cause, drawable one calendar day at a time.

    Every (layer, day) block draws from its own named streams, so a day's draws do not
    depend on which days were drawn before it, nor in which order.

    Args:
        scenario: The scenario as written.
        streams: The replication's streams; the day noise is drawn here, for every day.
        arm: The arm.
        first_reason: Index of the first contact reason (after the direct arrivals').
    """

    def __init__(self, scenario: Scenario, streams: Streams, arm: Arm, first_reason: int) -> None:
        orders = scenario.orders
        assert orders is not None
        self.scenario, self.streams, self.first_reason = scenario, streams, first_reason
        self.promotion = scenario.promotion if arm == "promotion" else None
        self.reasons: list[tuple[ContactReason, str | None]] = [
            (r, None) for r in scenario.contact_reasons
        ]
        if scenario.promotion is not None:
            # listed in both arms so that reason indices agree between arms
            self.reasons += [
                (r, field)
                for field, r in promotion_reasons(scenario.promotion, tuple(scenario.channels))
            ]
        self.presale = scenario.presale
        if self.presale is not None:
            self.reasons.append((self.presale.inquiry, PRESALE))
        self.bots = _Bots(scenario)
        self.served = [
            (
                mechanic_of(scenario.promotion).self_service_share(
                    scenario, scenario.promotion, field
                ),
                r.refund_yuan if r.refund_yuan is not None else _money_at_stake(scenario, field),
            )
            if scenario.promotion is not None and field not in (None, PRESALE)
            else (0.0, 0.0)
            for r, field in self.reasons
        ]
        """Per reason, the share of its issues the buyer settles alone, and their refund, ¥."""
        channels = scenario_channels(scenario)
        self.first_draws = [FIRST_DRAW | stream_key(r.name) << 8 for r, _ in self.reasons]
        """Per reason, the counter of its first contacts' first draw (:mod:`sim.uniforms`)."""
        self.pickers = [_Picker(r.channel_mix, channels) for r, _ in self.reasons]
        """Per reason, its channel mix's picker."""
        self.bound = [
            min(
                lag_bound_hours(r.lag_hours),
                r.max_lag_hours if isinstance(r, Inquiry) else math.inf,
            )
            if r.before_anchor
            else math.inf
            for r, _ in self.reasons
        ]
        """Per reason, the longest lag (hours) before the anchor: :func:`lag_bound_hours`, and
        an inquiry's ``max_lag_hours`` (the stream looks no further ahead)."""
        self.local = LocalClock.of(scenario.calendar.start)
        """The shop's clock: order days are its local dates."""
        self.offset = self.local.offset
        shared = scenario.customers.activity_profile if scenario.customers else None
        self.clocks = [
            ActivityClock.of(
                r.activity_profile if r.activity_profile is not None else shared, self.offset
            )
            for r, _ in self.reasons
        ]
        """Per reason, the buyers' clock its lag runs on (None: real time)."""
        self.window = scenario.fulfilment.delivery_window
        self.lead = orders.lead_in_days
        self.days = np.arange(
            -self.lead, math.ceil(scenario.calendar.days + self.offset / DAY - 1e-9)
        )
        """Order days, local dates from the first lead-in day (negative; day 0 is the start
        date, whole, also before ``calendar.start``) to the one the horizon ends in."""
        self.noise = (
            streams("orders.day_noise").gamma(
                orders.overdispersion_shape, 1.0 / orders.overdispersion_shape, self.days.size
            )
            if orders.overdispersion_shape is not None
            else np.ones(self.days.size)
        )
        weights = np.asarray(orders.intraday_profile, dtype=np.float64)
        self.weights = weights / weights.sum()
        cdf = self.weights.cumsum()
        cdf /= cdf[-1]  # as Generator.choice makes it
        self.hours = _Cdf(cdf)
        """A candidate's hour of the day from its uniform: ``rng.choice(24, n, p=self.weights)``
        is ``self.hours(rng.random(n))``, the same draws and the same hours."""
        self.breaks = _breakpoints(scenario, self.promotion)
        self.horizon = scenario.calendar.horizon_seconds
        # the window is the scenario's, in both arms: order_in_window pairs across arms
        self.win = (
            (
                seconds(scenario, scenario.promotion.start),
                seconds(scenario, scenario.promotion.end),
            )
            if scenario.promotion is not None
            else (math.inf, math.inf)
        )
        shipping = self.promotion.presale_shipping if self.promotion is not None else None
        self.presale_ship = (
            None
            if shipping is None
            else (
                seconds(scenario, shipping.placed_before),
                seconds(scenario, shipping.ships_from),
            )
        )
        """The promotion arm's presale (its end, its shipping start), seconds; None: none."""
        self.fixed: dict[str, float] = (
            mechanic_of(self.promotion).anchors(scenario, self.promotion)
            if self.promotion is not None
            else {}
        )
        """The mechanic's fixed anchor times (价保's price drop), by anchor name."""

    def __len__(self) -> int:
        return int(self.days.size)

    def draw(self, di: int, rows: bool = False) -> _Day:
        """Every (layer, day) block of day index ``di``; with ``rows``, the orders' rows."""
        scenario, streams, promotion, orders = (
            self.scenario,
            self.streams,
            self.promotion,
            self.scenario.orders,
        )
        assert orders is not None
        issues = streams.issues
        d = self.days[di]
        out = _Day([], [], [], [], [])
        day0 = self.local.at(float(d), 0.0)  # local midnight: the profile's hours are local
        probe = np.array([day0, *[b for b in self.breaks if day0 <= b < day0 + DAY]])
        layers = max(1, math.ceil(float(multiplier(scenario, promotion, probe).max()) - 1e-12))
        rate = orders.per_day * orders.weekday_factors[self.local.weekday(int(d))] * self.noise[di]
        for k in range(layers):
            block = f"orders.L{k}.D{int(d)}"
            rng = streams(block)
            n = int(rng.poisson(rate))
            hours = self.hours(rng.random(n))
            t = day0 + (hours + rng.random(n)) * HOUR
            mark = rng.random(n)
            inside = k + mark < multiplier(scenario, promotion, t)
            ids = (
                (np.int64(k) << 40) + (np.int64(d + self.lead) << 24) + np.arange(n, dtype=np.int64)
            )
            u_type = streams(f"{block}.type").random(n)
            # the clock an order's shipping runs from: its own time, or a presale's opening
            base = t if self.presale_ship is None else self._shipping_base(t)
            ship = (
                base
                + draw(scenario.fulfilment.ship_delay_hours, streams(f"{block}.ship"), n) * HOUR
            )
            transit = draw(scenario.fulfilment.transit_delay_hours, streams(f"{block}.transit"), n)
            in_window = (t >= self.win[0]) & (t < self.win[1])
            if promotion is not None and promotion.transit_delay_factor != 1.0:
                transit = np.where(in_window, transit * promotion.transit_delay_factor, transit)
            delivery = next_opening(ship + transit * HOUR, self.window, self.offset)
            expected = base + scenario.fulfilment.promised_delivery_hours * HOUR
            promised_ship = base + scenario.fulfilment.promised_ship_hours * HOUR
            out.times.append(t[inside])
            out.in_window.append(in_window[inside])
            if rows:
                out.rows.append((ids[inside], ship[inside], delivery[inside]))
            # per candidate, its latest contact so far (the inquiry, listed last, reads it)
            last = np.full(n, -math.inf) if self.presale is not None else None
            for ri, (reason, field) in enumerate(self.reasons):
                if field is None:
                    p: NDArray[np.float64] | float = reason.rate_per_order
                elif field == PRESALE:
                    p = self._inquiry_share(in_window, t)
                elif promotion is None:
                    continue  # the baseline arm: the mechanic's reasons never fire
                else:
                    p = mechanic_probability(scenario, promotion, field, t, delivery)
                if not (inside.any() and np.max(p) > 0.0):
                    # no candidate can have the issue (a uniform is never below 0): nothing
                    # of this reason's streams would be read, so they are not drawn
                    continue
                # whether each candidate has the issue: one uniform each
                u_issue = streams(f"{block}.{reason.name}.issue").random(n)
                # the candidates with the issue; only their arrival is worked out (every
                # step is element by element: the same bits as over the whole block)
                fire = np.flatnonzero(inside & (u_issue < p))
                # its first contact's uniforms: its order's draws under the reason's name,
                # computed for the issues that happen
                v = issues.uniforms(ids[fire], self.first_draws[ri], FIRST_ROWS)
                lag = quantile(reason.lag_hours, v[:, FIRST_LAG])
                if reason.before_anchor:
                    # the model's lag before an anchor is cut at its bound: no contact arrives
                    # before earliest() (a change below TAIL per contact, none in any bundled run)
                    lag = np.minimum(lag, self.bound[ri])
                lag = lag * HOUR
                if reason.anchor in FIXED_ANCHORS:
                    anchor = np.full(fire.size, self.fixed.get(reason.anchor, math.nan))
                else:
                    anchor = {
                        "order": t,
                        "ship": ship,
                        "delivery": delivery,
                        "expected_delivery": expected,
                        "promised_ship": promised_ship,
                    }[reason.anchor][fire]
                clock = self.clocks[ri]
                if clock is None:
                    when = anchor - lag if reason.before_anchor else anchor + lag
                elif reason.before_anchor:
                    when = clock.before(anchor, lag)
                else:
                    when = clock.after(anchor, lag)
                due = (when >= 0) & (when < self.horizon)
                if reason.only_if_undelivered:
                    due &= when < delivery[fire]
                if reason.only_if_unshipped:
                    due &= when < ship[fire]
                fire, when, v = fire[due], when[due], v[due]
                share, stake = self.served[ri]
                if share > 0.0:
                    # one uniform decides the issue and how it is settled: the contacts are
                    # those of share 0 thinned, the same in every arm and staffing
                    p_fire = p if isinstance(p, float) else p[fire]
                    alone = u_issue[fire] >= p_fire * (1.0 - share)
                    out.served.append((when[alone], stake))
                    handed = ~alone
                    fire, when, v = fire[handed], when[handed], v[handed]
                if not fire.size:
                    continue
                decide = v[:, FIRST_DECISIONS:]
                channel = self.pickers[ri](v[:, FIRST_CHANNEL])
                more = None
                if self.bots.more:
                    asks = field == PRESALE
                    when, more = self.bots.stage(
                        when,
                        channel,
                        self.first_reason + ri,
                        v[:, [FIRST_BOT, FIRST_SESSION]].T if self.bots.any else None,
                        v[:, FIRST_KEEP] if asks else None,
                        t[fire] if asks else None,
                        None if last is None or not asks else np.maximum(last[fire], when),
                    )
                    if last is not None:
                        np.maximum.at(last, fire, when)
                order = ids[fire]
                out.chunks.append(
                    _chunk(
                        when,
                        channel,
                        self.first_reason + ri,
                        u_type[fire],
                        order,
                        v[:, FIRST_HANDLE],
                        v[:, FIRST_PATIENCE],
                        decide,
                        # an issue is (order, reason): the same in every arm
                        (order << 6) | (self.first_reason + ri),
                        delivery[fire],
                        more,
                    )
                )
            if self.presale is not None:
                self._browsers(out, block, k, int(d), day0, rate)
        return out

    def _shipping_base(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per order, when its shipping clock starts (seconds).

        A presale order's at the presale's shipping start (or its own time if later), any
        other order's at its own time.
        """
        assert self.presale_ship is not None
        placed_before, ships_from = self.presale_ship
        presale = (t >= self.win[0]) & (t < placed_before)
        return np.where(presale, np.maximum(t, ships_from), t)

    def _inquiry_share(
        self, in_window: NDArray[np.bool_], t: NDArray[np.float64]
    ) -> NDArray[np.float64] | float:
        """Per order, the probability that its buyer asks first.

        The promotion's window raises it, and a live stream's hours more.
        """
        assert self.presale is not None
        share = self.presale.inquiry.rate_per_order
        live = live_factor(self.scenario, self.promotion, t, "inquiry_factor")
        if self.promotion is None or (
            self.presale.promotion_inquiry_factor == 1.0 and isinstance(live, float)
        ):
            return share
        factor = self.presale.promotion_inquiry_factor
        return np.minimum(1.0, np.where(in_window, share * factor, share) * live)

    def _bot_draws(
        self, name: str, n: int, fire: NDArray[np.bool_] | NDArray[np.intp]
    ) -> NDArray[np.float64] | None:
        """The bot's uniforms (containment, session) of a block's candidates, or None."""
        if not self.bots.any:
            return None
        return self.streams(f"{name}.bot").random((2, n))[:, fire]

    def _browsers(self, out: _Day, block: str, k: int, d: int, day0: float, rate: float) -> None:
        """Layer ``k``'s inquiries of buyers who never order, on day ``d`` (local).

        Candidates at the highest rate either arm can have (``browser_ratio`` × the inquiry
        share × the day's order rate, × the promotion's inquiry factor if above 1), thinned
        like orders by the arm's multiplier and by its inquiry factor: an arm with more
        orders and questions holds every browser of one with fewer.
        """
        presale, scenario, streams = self.presale, self.scenario, self.streams
        assert presale is not None
        factor = presale.promotion_inquiry_factor if scenario.promotion is not None else 1.0
        # the most the scenario's live streams raise it (the same in both arms: pairs)
        streams_top = (
            max((s.inquiry_factor for s in scenario.promotion.live_streams), default=1.0)
            if scenario.promotion is not None
            else 1.0
        )
        top = max(1.0, factor) * max(1.0, streams_top)
        rng = streams(f"{block}.browsers")
        n = int(rng.poisson(rate * presale.inquiry.rate_per_order * presale.browser_ratio * top))
        hours = self.hours(rng.random(n))
        t = day0 + (hours + rng.random(n)) * HOUR
        mark = rng.random(n)
        v = rng.random(n)
        in_window = (t >= self.win[0]) & (t < self.win[1])
        wanted = np.where(in_window & (self.promotion is not None), factor, 1.0) * live_factor(
            scenario, self.promotion, t, "inquiry_factor"
        )
        fire = (
            (k + mark < multiplier(scenario, self.promotion, t))
            & (v * top < wanted)
            & (t >= 0)
            & (t < self.horizon)
        )
        if not fire.any():
            return
        ri = len(self.reasons) - 1
        u = streams(f"{block}.browsers.u").random((ORDER_ROWS, n))[:, fire]
        u_type = streams(f"{block}.browsers.type").random(n)[fire]
        decide = _float32_columns(streams(f"{block}.browsers.decide"), n, np.flatnonzero(fire))
        channel = self.pickers[ri](u[ORDER_CHANNEL])
        when, more = self.bots.stage(
            t[fire], channel, self.first_reason + ri, self._bot_draws(f"{block}.browsers", n, fire)
        )
        # a browser's id: bit 55 set, then the candidate's place (no order has bit 55)
        head = (np.int64(1) << 55) | (np.int64(k) << 40) | (np.int64(d + self.lead) << 24)
        ids = head + np.flatnonzero(fire).astype(np.int64)
        out.chunks.append(
            _chunk(
                when,
                channel,
                self.first_reason + ri,
                u_type,
                np.full(when.size, -1, dtype=np.int64),
                u[ORDER_HANDLE],
                u[ORDER_PATIENCE],
                decide,
                (ids << 6) | (self.first_reason + ri),
                None,
                more,
            )
        )

    def earliest(self, di: int) -> float:
        """A lower bound (seconds) of the arrivals of the contacts of day index ``di``.

        Every anchor but the price drop comes at or after the order (delays are never
        negative), so a reason's contacts arrive from the day's start on; a pre-sale
        reason's (``before_anchor``) up to :func:`lag_bound_hours` earlier. A reason that
        cannot fire on the day (no rate, a mechanic outside its span, the baseline arm)
        sets no bound. ``inf``: the day brings no contact.
        """
        day0 = self.local.at(float(self.days[di]), 0.0)
        low = math.inf
        for (reason, field), bound, clock in zip(
            self.reasons, self.bound, self.clocks, strict=True
        ):
            if field is None or field == PRESALE:
                if reason.rate_per_order <= 0:
                    continue
            elif self.promotion is None:
                continue
            else:
                lo, hi = _mechanic_span(self.scenario, self.promotion, field)
                # closed on both ends: an order time may round up onto the next midnight
                if not (day0 <= hi and day0 + DAY >= lo):
                    continue
            if reason.anchor in FIXED_ANCHORS:
                base = self.fixed.get(reason.anchor, math.nan)
                if math.isnan(base):
                    continue  # no such time, no contact
            else:
                base = day0
            if reason.before_anchor:
                if clock is None:
                    base -= bound * HOUR
                else:
                    # A⁻¹ is monotone: no lag within the bound from an anchor at or after
                    # base starts earlier; a second's margin covers the rounding
                    base = float(clock.before(np.array([base]), np.array([bound * HOUR]))[0])
                    base -= 1.0
            low = min(low, base)
        return max(low, 0.0)  # contacts before the horizon's start are dropped


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
    if rates.size * width == DAY:
        # a day's profile, on the shop's clock, repeated every day
        local = LocalClock.of(cal.start)
        steps = local.steps(width, cal.horizon_seconds)
        j = np.arange(steps.start, steps.stop)
        begin = j * width - local.offset
        rates = rates[j % rates.size]
    else:  # one rate per interval of the whole horizon, from time 0
        begin = np.arange(math.ceil(cal.horizon_seconds / width - 1e-9)) * width
        rates = np.resize(rates, begin.size)
    start = np.maximum(begin, 0.0)  # a step begun before time 0 counts from it
    lengths = np.minimum(width - (start - begin), cal.horizon_seconds - start)
    # Ciw's PoissonIntervals: a Poisson count per step, spread uniformly inside it.
    counts = rng.poisson(rates * lengths / HOUR)
    starts = np.repeat(start, counts)
    times = starts + rng.uniform(0.0, 1.0, starts.size) * np.repeat(lengths, counts)
    return np.sort(times)


class _Direct:
    """One ``arrivals`` stream of an arm, handed out in arrival order.

    Its times are drawn whole (a sorted sample of the horizon: 8 bytes a contact); every
    other column when handed out, from the stream's generators moved on to the contacts'
    place (``PCG64.advance``: each double is one step of the generator, so these are the
    very numbers drawing them all at once gives).
    """

    def __init__(self, scenario: Scenario, streams: Streams, i: int, bots: _Bots) -> None:
        spec = scenario.arrivals[i]
        channels = scenario_channels(scenario)
        self.i = i
        self.reason = list(dict.fromkeys(a.reason for a in scenario.arrivals)).index(spec.reason)
        self.times = _stream_times(spec, scenario, streams(f"arrivals.{i}.times"))
        self.mix = spec.mix
        self.channels = channels
        self.picker = _Picker(spec.mix, channels)
        # the generators' states (PCG64's dicts), to draw from any place later
        self.channel_state: Any = (
            streams(f"arrivals.{i}.channel").bit_generator.state if len(self.mix) > 1 else None
        )
        self.u_state: Any = streams(f"arrivals.{i}.u").bit_generator.state
        self.bots = bots
        self.bot_state: Any = (
            streams(f"arrivals.{i}.bot").bit_generator.state if self.bots.any else None
        )
        self.done = 0
        """Contacts handed out."""

    def __len__(self) -> int:
        """Contacts not handed out yet."""
        return int(self.times.size) - self.done

    def take(self, before: float) -> _Chunk:
        """The contacts arriving before ``before`` (seconds) not handed out yet."""
        n = self.times.size
        a = self.done
        b = n if before == math.inf else int(np.searchsorted(self.times, before, side="left"))
        b = max(a, b)
        self.done = b
        m = b - a
        if self.channel_state is None:
            chan = np.full(m, self.channels.index(next(iter(self.mix))), dtype=np.int32)
        else:
            chan = self.picker(_draws(self.channel_state, a, m))
        # the uniforms were drawn as one DIRECT_ROWS × n array, row after row
        u = np.stack([_draws(self.u_state, r * n + a, m) for r in range(DIRECT_ROWS)])
        time, more = self.times[a:b], None
        if self.bots.more:
            # the bot's uniforms were drawn as one 2 × n array, row after row
            bot = (
                np.stack([_draws(self.bot_state, r * n + a, m) for r in range(2)])
                if self.bot_state is not None
                else None
            )
            time, more = self.bots.stage(time, chan, self.reason, bot)
        return _chunk(
            time,
            chan,
            self.reason,
            u[DIRECT_TYPE],
            np.full(m, -1, dtype=np.int64),
            u[DIRECT_HANDLE],
            u[DIRECT_PATIENCE],
            np.ascontiguousarray(u[DIRECT_DECISIONS:].T),  # C order: np.take's fast path
            (np.int64(1) << 62) | (np.int64(self.i) << 32) | np.arange(a, b, dtype=np.int64),
            None,
            more,
        )


def _draws(state: Any, skip: int, count: int) -> NDArray[np.float64]:
    """``count`` doubles of a PCG64 stream from its ``state``, after ``skip`` of them."""
    bits = np.random.PCG64()
    bits.state = state
    bits.advance(skip)
    return np.random.Generator(bits).random(count)


# --------------------------------------------------------------------------- assembly


class _Layout:
    """What turns chunks into :class:`Contacts`: the metadata and per-contact factors."""

    def __init__(self, scenario: Scenario) -> None:
        reasons = all_reasons(scenario)
        self.channels = scenario_channels(scenario)
        self.specs = [scenario.channels[name] for name in self.channels]
        self.reasons = tuple(r.name for r in reasons)
        self.promo_reasons = tuple(r.promo for r in reasons)
        self.after_sale_reasons = tuple(r.after_sale for r in reasons)
        self.customer_types = tuple(scenario.customers.types) if scenario.customers else ("any",)
        self.type_cum = _type_cum(scenario)
        self.types = _Cdf(self.type_cum)
        self.reason_factor = np.array([r.handle_time_factor for r in reasons] or [1.0])
        types = list(scenario.customers.types.values()) if scenario.customers else []
        self.type_handle = np.array([t.handle_time_factor for t in types] or [1.0])
        self.type_patience = np.array([t.patience_factor for t in types] or [1.0])
        self.more = carries_more(scenario)

    def contacts(self, chunks: Sequence[_Chunk], before: float = math.inf) -> Contacts:
        """The chunks' contacts before ``before`` (seconds), sorted as :func:`generate` does."""
        order_key = _cat([c.order for c in chunks], np.int64)
        reason_key = _cat([c.reason for c in chunks], np.int32)
        time_key = _cat([c.time for c in chunks], np.float64)
        sort = _arrival_order(time_key, order_key, reason_key)
        time = time_key[sort]
        if before < math.inf:
            # a stable sort of a subset is the subset of the sort: cut after sorting, once
            due = np.flatnonzero(time < before)
            if due.size < time.size:
                sort, time = sort[due], time[due]
        channel = np.take(_cat([c.channel for c in chunks], np.int32), sort)
        reason = np.take(reason_key, sort)
        u_handle = np.take(_cat([c.u_handle for c in chunks], np.float64), sort)
        u_patience = np.take(_cat([c.u_patience for c in chunks], np.float64), sort)
        decide = (
            np.take(np.concatenate([c.decide for c in chunks]), sort, axis=0)
            if chunks
            else np.zeros((0, DECISIONS))
        )
        u_type = np.take(_cat([c.u_type for c in chunks], np.float64), sort)
        joined = _more_of(chunks) if self.more else None
        more = np.take(joined, sort, axis=0) if joined is not None else None
        if self.more and more is None:
            more = np.zeros((0, MORE))
        ctype = np.minimum(self.types(u_type), len(self.customer_types) - 1).astype(np.int32)
        handle = np.empty(time.size)
        patience = np.full(time.size, np.inf)
        for ci, spec in enumerate(self.specs):
            mask = channel == ci
            handle[mask] = quantile(spec.handle_time_seconds, u_handle[mask])
            if spec.patience_seconds is not None:
                patience[mask] = quantile(spec.patience_seconds, u_patience[mask])
        handle *= self.reason_factor[reason] * self.type_handle[ctype]
        patience *= self.type_patience[ctype]
        return Contacts(
            arrival_seconds=time,
            channel=channel,
            reason=reason,
            handle_seconds=handle,
            patience_seconds=patience,
            channels=self.channels,
            reasons=self.reasons,
            customer_type=ctype,
            order=np.take(order_key, sort),
            promo_reasons=self.promo_reasons,
            after_sale_reasons=self.after_sale_reasons,
            customer_types=self.customer_types,
            decide=decide,
            issue_key=np.take(_cat([c.key for c in chunks], np.int64), sort),
            delivery_seconds=np.take(_cat([c.delivery for c in chunks], np.float64), sort),
            bot=None if more is None else more[:, MORE_BOT].astype(np.int8),
            bot_seconds=None if more is None else more[:, MORE_BOT_SECONDS],
            keep_draw=None if more is None else more[:, MORE_KEEP],
            placed_seconds=None if more is None else more[:, MORE_PLACED],
            last_seconds=None if more is None else more[:, MORE_LAST],
        )


def _arrival_order(
    time: NDArray[np.float64], order: NDArray[np.int64], reason: NDArray[np.int32]
) -> NDArray[np.intp]:
    """The contacts' order: by time, then order, reason and place (:func:`numpy.lexsort`).

    Ties (a deterministic lag) are broken by order and reason, never by draw order. Times of
    order-caused contacts seldom tie: with none tied, the order by time alone is the only one,
    and a plain argsort, about half lexsort's time, finds it.
    """
    sort = np.argsort(time)
    ts = time[sort]
    if not (ts[1:] > ts[:-1]).all():  # a tie, or a NaN (sorted last, never greater)
        sort = np.lexsort((reason, order, time))
    return sort


def _first_reason(scenario: Scenario) -> int:
    """Index of the first order-caused reason: after the direct arrivals' reasons."""
    return len(dict.fromkeys(a.reason for a in scenario.arrivals))


def generate(scenario: Scenario, streams: Streams, arm: Arm = "promotion") -> Demand:
    """Orders and contacts of one arm of one replication, whole: the stream taken at once.

    Args:
        scenario: The scenario as written (the promotion arm).
        streams: A fresh set of the replication's streams (one per arm).
        arm: ``"promotion"``, or ``"baseline"`` for the same scenario without its promotion.
    """
    stream = DemandStream(scenario, streams, arm, keep_orders=True)
    contacts = stream.take(math.inf)
    assert stream._kept is not None
    times, window = stream._kept
    return Demand(
        contacts,
        _cat(times, np.float64),
        _cat(window, np.bool_),
        stream.promotion_active,
        tuple(stream._served),
    )


def orders_by_day(
    scenario: Scenario, streams: Streams, arm: Arm = "promotion"
) -> Iterator[tuple[float, OrderRows]]:
    """The arm's orders with their ids and fulfilment times, a calendar day at a time.

    For the event log. Yields ``(end, rows)`` per order day from the first lead-in day:
    ``end`` (seconds) is the day's end, and no later day has an order placed before it. The
    same draws as :func:`generate` (the same streams): concatenated, ``created_seconds`` is
    its ``order_seconds``; the contacts drawn alongside are dropped.
    """
    if scenario.orders is None:
        return
    days = _OrderDays(scenario, streams, arm, _first_reason(scenario))
    for di in range(len(days)):
        day = days.draw(di, rows=True)
        yield (
            days.local.at(float(days.days[di] + 1), 0.0),
            OrderRows(
                id=_cat([r[0] for r in day.rows], np.int64),
                created_seconds=_cat(day.times, np.float64),
                ship_seconds=_cat([r[1] for r in day.rows], np.float64),
                delivery_seconds=_cat([r[2] for r in day.rows], np.float64),
                in_window=_cat(day.in_window, np.bool_),
            ),
        )


def _cat(xs: Sequence[NDArray[_T]], dtype: type[_T]) -> NDArray[_T]:
    return np.concatenate(xs).astype(dtype, copy=False) if xs else np.zeros(0, dtype=dtype)


def first_contacts(scenario: Scenario, streams: Streams) -> Contacts:
    """The first contact of every issue of the scenario as written (its promotion arm)."""
    return generate(scenario, streams).contacts


# --------------------------------------------------------------------------- orders tally


@dataclass(frozen=True)
class OrderTally:
    """What the metrics need of an arm's orders: counts, not the orders.

    Attributes:
        placed: Orders placed after the warm-up and inside the horizon
            (``warmup_seconds <= t < horizon_seconds``).
        placed_in_window: Of those, placed inside the promotion's window.
        per_day: Placed orders per day of 24 hours from the horizon's start, from the
            warm-up's day (index ``int(t // 86400) - int(warmup_seconds // 86400)``; a
            local date only at a midnight start: :func:`sim.localtime.day_label`).
    """

    placed: int
    placed_in_window: int
    per_day: NDArray[np.float64]
    self_served: int = 0
    """Issues the buyers settled alone (one-click 价保 claims), arriving after the warm-up
    and inside the horizon: no contact, a refund each."""
    self_served_yuan: float = 0.0
    """Their refunds, ¥."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrderTally):
            return NotImplemented
        return (
            self.placed == other.placed
            and self.placed_in_window == other.placed_in_window
            and np.array_equal(self.per_day, other.per_day)
            and self.self_served == other.self_served
            and self.self_served_yuan == other.self_served_yuan
        )

    __hash__ = None  # type: ignore[assignment]  # holds an array


class _Counts:
    """Running counts of :class:`OrderTally`, fed one batch of orders at a time."""

    def __init__(self, scenario: Scenario) -> None:
        cal = scenario.calendar
        self.warmup, self.horizon = cal.warmup_seconds, cal.horizon_seconds
        self.first_day = int(self.warmup // DAY)
        self.placed = self.in_window = self.served = 0
        self.served_yuan = 0.0
        self.per_day = np.zeros(math.ceil(self.horizon / DAY - 1e-9) - self.first_day, np.int64)

    def add_served(self, served: Sequence[tuple[NDArray[np.float64], float]]) -> None:
        """Count issues settled alone at the given times, each with its refund (¥)."""
        for when, stake in served:
            n = int(((when >= self.warmup) & (when < self.horizon)).sum())
            self.served += n
            self.served_yuan += n * stake

    def add(self, t: NDArray[np.float64], in_window: NDArray[np.bool_]) -> None:
        """Count the orders placed at times ``t`` (seconds)."""
        placed = (t >= self.warmup) & (t < self.horizon)
        self.placed += int(placed.sum())
        self.in_window += int((placed & in_window).sum())
        day = (t[placed] // DAY).astype(np.int64) - self.first_day
        counts = np.bincount(day, minlength=self.per_day.size)
        if counts.size > self.per_day.size:  # cannot happen with t < horizon; keep bincount's
            self.per_day = np.pad(self.per_day, (0, counts.size - self.per_day.size))
        self.per_day[: counts.size] += counts

    def tally(self) -> OrderTally:
        return OrderTally(
            self.placed,
            self.in_window,
            self.per_day.astype(np.float64),
            self.served,
            self.served_yuan,
        )


def order_tally(scenario: Scenario, demand: Demand) -> OrderTally:
    """The tally of a whole arm's orders (all zero without an orders section)."""
    counts = _Counts(scenario)
    counts.add(demand.order_seconds, demand.order_in_window)
    counts.add_served(demand.served)
    return counts.tally()


# --------------------------------------------------------------------------- streaming


class DemandStream:
    """One arm of one replication's contacts, handed out in arrival order, segment by segment.

    The same draws as :func:`generate` (same named streams), and the same contacts in the
    same order: successive :meth:`take` calls partition ``generate(...).contacts``. Memory
    holds only the contacts drawn but not yet handed out, and counts of the orders.

    :func:`generate` is the stream taken once, to ``inf``: one path draws every contact.

    Orders are drawn one calendar day at a time (every layer of the day), as late as
    possible: before handing out the contacts before ``t``, every day whose contacts may
    arrive before ``t`` (:meth:`_OrderDays.earliest`) is drawn. Lead-in days may bring
    contacts from the horizon's start, so they are drawn at the first take. Pre-sale lags
    are bounded (:func:`lag_bound_hours`), so no day drawn later holds a contact before a
    time already handed out. A pre-sale reason with a heavy-tailed lag looks further ahead
    (a lognormal's bound is about e^(7σ) medians): still exact, less lazy.

    Direct ``arrivals``: each stream's times are drawn whole at construction (a sorted sample
    of the horizon, 8 bytes a contact, counted in :attr:`peak_buffered`), the rest of their
    columns as they are handed out (:class:`_Direct`).

    Args:
        scenario: The scenario as written (the promotion arm).
        streams: A fresh set of the replication's streams, used up as :func:`generate` would.
        arm: ``"promotion"``, or ``"baseline"``.
        keep_orders: Keep every order's time and window flag (:func:`generate`'s
            :class:`Demand`): memory then grows with the horizon's orders.
    """

    def __init__(
        self,
        scenario: Scenario,
        streams: Streams,
        arm: Arm = "promotion",
        *,
        keep_orders: bool = False,
    ) -> None:
        self._scenario = scenario
        self._layout = _Layout(scenario)
        self.channels = self._layout.channels
        self.reasons = self._layout.reasons
        self.promo_reasons = self._layout.promo_reasons
        self.after_sale_reasons = self._layout.after_sale_reasons
        self.customer_types = self._layout.customer_types
        self.promotion_active = arm == "promotion" and scenario.promotion is not None
        """The arm runs the scenario's promotion (as :attr:`Demand.promotion_active`)."""
        # Ties of (time, order, reason) can only be between direct arrivals (an order's
        # contacts differ by reason, orders by id), so only the direct streams' relative
        # order matters to the stable sort: they stay first and in the scenario's order.
        bots = _Bots(scenario)
        self._direct = [_Direct(scenario, streams, i, bots) for i in range(len(scenario.arrivals))]
        self._pending: list[_Chunk] = []
        """Order-caused contacts drawn and not handed out, in the order drawn."""
        self._runs = 0
        """Leading entries of ``_pending`` that are runs sorted by time (the rest: added)."""
        self._days = (
            _OrderDays(scenario, streams, arm, _first_reason(scenario))
            if scenario.orders is not None
            else None
        )
        n = len(self._days) if self._days is not None else 0
        self._earliest = np.array(
            [self._days.earliest(di) for di in range(n)] if self._days is not None else []
        )
        self._drawn = np.zeros(n, dtype=bool)
        self._counts = _Counts(scenario)
        self._kept: tuple[list[NDArray[np.float64]], list[NDArray[np.bool_]]] | None = (
            ([], []) if keep_orders else None
        )
        """With ``keep_orders``: the orders' times and window flags, per (layer, day) block."""
        self._served: list[tuple[NDArray[np.float64], float]] = []
        """Issues settled alone, as drawn (see :class:`OrderTally`)."""
        self._handed = -math.inf
        self._bots = bots.any
        self._horizon = scenario.calendar.horizon_seconds
        self.peak_buffered = 0
        """The most contacts held at once: drawn, not yet handed out."""
        self._held()

    def take(self, before: float) -> Contacts:
        """Every contact arriving before ``before`` (seconds) not handed out yet, in order.

        Raises:
            ValueError: ``before`` is smaller than a previous call's (or NaN).
        """
        if not before >= self._handed:
            raise ValueError(f"take({before}) after take({self._handed}): times must not go back")
        wanted = ~self._drawn if before == math.inf else ~self._drawn & (self._earliest < before)
        for di in np.flatnonzero(wanted):
            self._draw(int(di))
        self._held()
        out = [head for d in self._direct if len(head := d.take(before))]
        if self._bots:
            # a direct contact handed over by a bot reaches the queue later: it may be due
            # after ``before``, and waits with the order-caused ones
            late = [c.split(before)[1] for c in out if not c.ascending]
            out = [c if c.ascending else c.split(before)[0] for c in out]
            self._pending += [c for c in late if len(c)]
        if before == math.inf:
            # everything goes: the contacts' own sort orders them, no need to sort twice
            out += self._pending
            self._pending, self._runs = [], 0
        elif self._pending:
            # a few runs sorted by time: a take is a bisection of each and views. What was
            # added since the last take (days drawn, late direct contacts) becomes one run,
            # sorted alone; past RUNS, the two oldest (the smallest: their days' contacts
            # are mostly out) are merged. A run before another puts its contacts first on a
            # tie, as a stable sort of the whole pending list would.
            runs = self._pending[: self._runs]
            if len(self._pending) > self._runs:
                runs.append(_Chunk.join(self._pending[self._runs :]).by_time())
            while len(runs) > RUNS:
                runs[:2] = [_Chunk.merge(runs[0], runs[1])]
            parts = [run.split(before) for run in runs]
            out += [head for head, _ in parts if len(head)]
            self._pending = [rest for _, rest in parts if len(rest)]
            self._runs = len(self._pending)
        self._handed = before
        # with a bot, one handed over after the horizon was still with the bot at its end
        return self._layout.contacts(out, self._horizon if self._bots else math.inf)

    @property
    def orders(self) -> OrderTally | None:
        """The arm's order tally (None without an orders section).

        Draws the days not drawn yet; their contacts wait for :meth:`take`.
        """
        if self._days is None:
            return None
        for di in np.flatnonzero(~self._drawn):
            self._draw(int(di))
        self._held()
        if self._kept is not None:
            counts = _Counts(self._scenario)
            counts.add(_cat(self._kept[0], np.float64), _cat(self._kept[1], np.bool_))
            counts.add_served(self._served)
            return counts.tally()
        return self._counts.tally()

    def _held(self) -> None:
        held = sum(len(c) for c in self._direct) + sum(len(c) for c in self._pending)
        self.peak_buffered = max(self.peak_buffered, held)

    def _draw(self, di: int) -> None:
        assert self._days is not None
        day = self._days.draw(di)
        # earliest() bounds every anchor and lag: a day drawn now starts after what is out
        assert all(chunk.time.min() >= self._handed for chunk in day.chunks), di
        if self._kept is not None:  # counted when asked (orders): one count, not one a block
            self._kept[0].extend(day.times)
            self._kept[1].extend(day.in_window)
            self._served.extend(day.served)
        else:  # counts add up: one count for the day's layers
            self._counts.add(_cat(day.times, np.float64), _cat(day.in_window, np.bool_))
            self._counts.add_served(day.served)
        self._drawn[di] = True
        self._pending += day.chunks
