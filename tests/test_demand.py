"""Order-driven demand against exact expectations (the demand issue's "Must show").

Every statistical check compares a mean over replications (or one big sample) with a number
computed exactly from the scenario's parameters: closed forms, or the exact distribution of a
sum of delays by numerical convolution, never a Monte Carlo run of the same model. Intervals
are 99% Student-t intervals (:func:`sim.stats.ci_halfwidth`), Bonferroni-corrected where one
test makes several comparisons; goodness-of-fit checks use ``p > 0.01``. Seeds are fixed once
and never tuned.

Scenario-level identities under common random numbers (same seed ⇒ same candidate orders and
the same uniforms per order and reason) are checked exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, signal, stats

from sim.config import Scenario, SecondItemDiscount
from sim.demand import Arm, Contacts, Demand, generate, multiplier
from sim.rng import Streams
from sim.stats import ci_halfwidth
from tests.conftest import tiny_scenario

DAY = 86400.0
HOUR = 3600.0
LEVEL = 0.99
START = dt.datetime(2026, 11, 2)  # a Monday: weekday_factors[0] is day 0's factor

CHANNELS: dict[str, Any] = {
    "phone": {
        "handle_time_seconds": {"dist": "exponential", "mean": 300},
        "patience_seconds": {"dist": "exponential", "mean": 90},
    },
    "chat": {
        "handle_time_seconds": {"dist": "lognormal", "mean": 240, "cv": 1.0},
        "patience_seconds": {"dist": "exponential", "mean": 300},
        "concurrency": 3,
    },
}
STAFFING: dict[str, Any] = {
    "groups": [
        {
            "name": "agents",
            "channels": ["phone", "chat"],
            "schedule": {"kind": "constant", "agents": 5},
        }
    ]
}
MIX = {"chat": 0.8, "phone": 0.2}
SHIP: dict[str, Any] = {"dist": "lognormal", "median": 24, "sigma": 0.6}
TRANSIT: dict[str, Any] = {"dist": "lognormal", "median": 48, "sigma": 0.5}


def build(**overrides: Any) -> Scenario:
    """A two-channel, order-driven scenario (no direct arrivals) with ``overrides`` on top."""
    data = tiny_scenario(
        calendar={"start": START, "days": 7},
        arrivals=[],
        channels=CHANNELS,
        staffing=STAFFING,
    )
    data.update(overrides)
    return Scenario.model_validate(data)


def reason(name: str, rate: float, anchor: str = "order", **fields: Any) -> dict[str, Any]:
    """A contact reason block."""
    return {"name": name, "rate_per_order": rate, "anchor": anchor, "channel_mix": MIX, **fields}


def marker(name: str, anchor: str) -> dict[str, Any]:
    """A reason every order has, exactly at its anchor: exposes each order's anchor time."""
    return reason(name, 1.0, anchor, lag_hours={"dist": "deterministic", "value": 0})


def of(c: Contacts, name: str) -> NDArray[np.bool_]:
    """Mask of the contacts of reason ``name``."""
    return np.asarray(c.reason == c.reasons.index(name))


def orders_of(c: Contacts, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    assert c.order is not None
    return np.asarray(c.order[mask])


def run(s: Scenario, replications: int, seed: int, arm: Arm = "promotion") -> list[Demand]:
    """Replications 0 … n − 1 of one arm."""
    return [generate(s, Streams(seed, r), arm) for r in range(replications)]


def assert_mean(
    values: Sequence[float] | NDArray[np.float64],
    expected: float,
    what: str,
    level: float = LEVEL,
) -> None:
    """The mean of iid ``values`` is ``expected`` within its ``level`` Student-t interval."""
    x = np.asarray(values, dtype=np.float64)
    half = ci_halfwidth(x, level)
    mean = float(x.mean())
    assert abs(mean - expected) <= half + 1e-9, (
        f"{what}: mean {mean:.6g} ± {half:.3g} ({level:.4%} CI) vs exact {expected:.6g}"
    )


# --------------------------------------------------------------------------- exact delays


Frozen = Any  # a frozen scipy.stats distribution (scipy is untyped)


def frozen(spec: dict[str, Any]) -> Frozen:
    """The scipy distribution of a distribution block (hours)."""
    if spec["dist"] == "lognormal":
        return stats.lognorm(s=spec["sigma"], scale=spec["median"])
    if spec["dist"] == "exponential":
        return stats.expon(scale=spec["mean"])
    raise ValueError(spec)


def sum_cdf(
    parts: Sequence[Frozen], step: float = 0.01, upper: float = 1200.0
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """Exact CDF of a sum of independent non-negative delays, by convolution on a grid.

    Each delay's probability mass per cell ``[i·step, (i+1)·step)`` (from its exact CDF) is put
    at the cell's midpoint; the masses are convolved, so the sum of ``k`` delays sits on the
    lattice ``(j + k/2)·step``. The CDF is interpolated linearly between lattice points, an
    error of the order of ``step × density`` (≲ 1e-4 here; checked against nested quadrature
    in :func:`test_sum_cdf_agrees_with_quadrature`).
    """
    edges = np.arange(0.0, upper + step, step)
    mass = np.ones(1)
    for d in parts:
        cell = np.diff(np.asarray(d.cdf(edges), dtype=np.float64))
        mass = signal.fftconvolve(mass, cell)[: edges.size - 1]
    mass = np.clip(mass, 0.0, None)
    points = (np.arange(mass.size) + len(parts) / 2) * step
    cdf = np.cumsum(mass)

    def f(y: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.interp(y, points, cdf, left=0.0, right=cdf[-1]), dtype=np.float64)

    return f


def lognormal_pdf(median: float, sigma: float) -> Callable[[float], float]:
    """The lognormal density as a plain function (fast inside adaptive quadrature)."""
    mu, norm = math.log(median), 1.0 / (sigma * math.sqrt(2 * math.pi))

    def pdf(x: float) -> float:
        if x <= 0:
            return 0.0
        z = (math.log(x) - mu) / sigma
        return norm / x * math.exp(-z * z / 2)

    return pdf


def nested_quad_cdf(
    ship: dict[str, Any], transit: dict[str, Any], lag_mean: float, y: float
) -> float:
    """P(S + T + L ≤ y) by nested adaptive quadrature, independent of the grid.

    S, T lognormal and L exponential: ∫ f_S(s) ∫ f_T(t) (1 − e^{−(y − s − t)/mean}) dt ds.
    """
    f_s = lognormal_pdf(ship["median"], ship["sigma"])
    f_t = lognormal_pdf(transit["median"], transit["sigma"])

    def inner(s: float) -> float:
        z = y - s
        value, _ = integrate.quad(
            lambda t: f_t(t) * -math.expm1(-(z - t) / lag_mean), 0.0, z, epsabs=1e-12, limit=200
        )
        return f_s(s) * float(value)

    value, _ = integrate.quad(inner, 0.0, y, epsabs=1e-10, limit=200)
    return float(value)


def test_sum_cdf_agrees_with_quadrature() -> None:
    """The grid convolution used as the exact reference matches nested quadrature."""
    f = sum_cdf([frozen(SHIP), frozen(TRANSIT), stats.expon(scale=8.0)])
    for y in (50.0, 90.0, 160.0, 400.0):
        assert abs(float(f(np.array([y]))[0]) - nested_quad_cdf(SHIP, TRANSIT, 8.0, y)) < 2e-4


# --------------------------------------------------------------------------- 1. Poisson orders


def exp_window_integral(a: float, b: float, horizon: float, mean: float) -> float:
    """∫_a^b P(0 ≤ t + L < horizon) dt for L ~ Exp(mean), with [a, b] on one side of 0."""
    assert b <= horizon and (b <= 0 or a >= 0)
    late = mean * (math.exp(-(horizon - b) / mean) - math.exp(-(horizon - a) / mean))
    if a >= 0:
        return (b - a) - late
    return mean * (math.exp(b / mean) - math.exp(a / mean)) - late


@pytest.mark.slow
def test_poisson_orders_and_contacts_match_exact_expectation() -> None:
    """Orders per day = per_day × weekday factor; contacts = Σ orders × rate × P(in horizon).

    One reason anchored at the order with an Exp(12 h) lag; a 2-day lead-in; a non-flat
    intraday profile. The probability that an order placed at t brings its contact inside
    [0, H) is integrated exactly per hour of every day (lead-in included).
    """
    profile = [1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 8, 9, 9, 8, 7, 8, 10, 12, 12, 8, 3]
    weekday = [1.2, 1.0, 1.0, 0.9, 1.1, 0.8, 0.7]
    per_day, rate, lag_mean, lead, days = 3000.0, 0.05, 12.0, 2, 7
    s = build(
        calendar={"start": START, "days": days},
        orders={
            "per_day": per_day,
            "intraday_profile": [float(w) for w in profile],
            "weekday_factors": weekday,
            "lead_in_days": lead,
        },
        contact_reasons=[
            reason("question", rate, "order", lag_hours={"dist": "exponential", "mean": lag_mean})
        ],
    )
    horizon, mean = days * DAY, lag_mean * HOUR
    w = np.asarray(profile, dtype=np.float64) / sum(profile)
    expected = 0.0
    for d in range(-lead, days):
        for h in range(24):
            a = d * DAY + h * HOUR
            p_in = exp_window_integral(a, a + HOUR, horizon, mean) / HOUR
            expected += per_day * weekday[d % 7] * w[h] * rate * p_in

    reps = run(s, 200, seed=101)
    assert_mean([len(r.contacts) for r in reps], expected, "contacts per replication")

    day_of = [np.floor(r.order_seconds / DAY).astype(np.int64) for r in reps]
    n_days = days + lead
    for d in range(-lead, days):
        counts = [float(np.sum(x == d)) for x in day_of]
        assert_mean(counts, per_day * weekday[d % 7], f"orders on day {d}", 1 - 0.01 / n_days)

    # given the total, hours of the day are multinomial with the profile's proportions
    hours = np.concatenate([(r.order_seconds % DAY) // HOUR for r in reps]).astype(np.int64)
    observed = np.bincount(hours, minlength=24)
    chi = stats.chisquare(observed, observed.sum() * w)
    assert chi.pvalue > 0.01


# --------------------------------------------------------------------------- 2. 第二件X元


def second_item(auto_apply: bool) -> Scenario:
    """A 4-day 第二件X元 window (days 2–6) inside a 14-day horizon."""
    return build(
        calendar={"start": START, "days": 14},
        orders={"per_day": 4000.0},
        fulfilment={"ship_delay_hours": SHIP, "transit_delay_hours": TRANSIT},
        contact_reasons=[reason("returns", 0.02, "delivery")],
        promotion={
            "kind": "second_item_discount",
            "start": START + dt.timedelta(days=2),
            "end": START + dt.timedelta(days=6),
            "order_uplift": 1.5,
            "eligible_share": 0.8,
            "two_unit_intent": 0.7,
            "bundle_miss_rate": 0.2,
            "notice_probability": 0.6,
            "contact_probability": 0.5,
            "makeup_link": True,
            "makeup_link_self_serve": 0.4,
            "auto_apply": auto_apply,
            "auto_apply_miss_rate": 0.05,
            "price_difference": reason(
                "price_difference", 0.0, "delivery", lag_hours={"dist": "exponential", "mean": 6}
            ),
        },
    )


@pytest.mark.slow
def test_second_item_discount_price_difference_contacts() -> None:
    """第二件X元: price-difference contacts, and what auto-apply does to them.

    Expected contacts = window orders × eligible × intent × miss × notice × (1 − self-serve)
    × contact × P(contact inside the horizon); auto-apply scales them by
    auto_apply_miss_rate / bundle_miss_rate, and its contacts are a subset under CRN.

    The contact comes at order + ship + transit + Exp(6 h) lag; P(inside the horizon) is the
    exact CDF of that sum at (H − order time), averaged over the window (orders there are
    uniform in time: flat profile and weekday factors). It is ≈ 0.999, not assumed to be 1.
    """
    manual, auto = second_item(False), second_item(True)
    share = 0.8 * 0.7 * 0.2 * 0.6 * (1 - 0.4) * 0.5
    ratio = 0.05 / 0.2
    assert isinstance(manual.promotion, SecondItemDiscount)
    assert isinstance(auto.promotion, SecondItemDiscount)
    assert manual.promotion.contact_share == pytest.approx(share, rel=1e-12)
    assert auto.promotion.contact_share == pytest.approx(share * ratio, rel=1e-12)

    window_orders = 4000.0 * 1.5 * 4
    f = sum_cdf([frozen(SHIP), frozen(TRANSIT), stats.expon(scale=6.0)])
    t = np.linspace(2 * DAY, 6 * DAY, 40_001)
    in_horizon = float(integrate.trapezoid(f((14 * DAY - t) / HOUR), t) / (4 * DAY))
    assert 0.99 < in_horizon < 1.0
    expected = window_orders * share * in_horizon

    n, seed = 60, 202
    man = run(manual, n, seed)
    aut = run(auto, n, seed)
    assert_mean([float(r.order_in_window.sum()) for r in man], window_orders, "window orders")
    pd_man = [of(r.contacts, "price_difference") for r in man]
    pd_aut = [of(r.contacts, "price_difference") for r in aut]
    assert_mean([float(m.sum()) for m in pd_man], expected, "price-difference contacts")
    assert_mean([float(m.sum()) for m in pd_aut], expected * ratio, "auto-apply contacts")

    kept = total = 0
    for rm, ra, mm, ma in zip(man, aut, pd_man, pd_aut, strict=True):
        # same orders in both configurations; auto-apply's contacts ⊂ the manual cart's
        assert np.array_equal(rm.order_seconds, ra.order_seconds)
        when_m = dict(
            zip(orders_of(rm.contacts, mm).tolist(), rm.contacts.arrival_seconds[mm], strict=True)
        )
        for o, when in zip(
            orders_of(ra.contacts, ma).tolist(), ra.contacts.arrival_seconds[ma], strict=True
        ):
            assert when_m[o] == when
        kept += int(ma.sum())
        total += int(mm.sum())
        # the other reason does not notice the mechanic's setting
        rm_ret, ra_ret = of(rm.contacts, "returns"), of(ra.contacts, "returns")
        assert np.array_equal(
            rm.contacts.arrival_seconds[rm_ret], ra.contacts.arrival_seconds[ra_ret]
        )
    # each manual-cart contact survives auto-apply independently with probability `ratio`
    assert stats.binomtest(kept, total, ratio).pvalue > 0.01


# --------------------------------------------------------------------------- 3. delays


def test_delivery_anchored_contacts_follow_the_delay_convolution() -> None:
    """Contact − order time ~ ship + transit + lag (lognormal + lognormal + exponential).

    KS test against the exact CDF of the sum (grid convolution). Only orders placed at least
    1,000 h before the horizon's end are used (selection on order time, independent of the
    delays); P(sum > 1,000 h) < 1e-7, so truncation does not bite. Order times come from a
    marker reason (rate 1, zero lag at the order).
    """
    days = 60
    s = build(
        calendar={"start": START, "days": days},
        orders={"per_day": 600.0},
        fulfilment={"ship_delay_hours": SHIP, "transit_delay_hours": TRANSIT},
        contact_reasons=[
            marker("placed", "order"),
            reason("damaged", 0.5, "delivery", lag_hours={"dist": "exponential", "mean": 8}),
        ],
    )
    c = generate(s, Streams(303, 0)).contacts
    placed = of(c, "placed")
    order_time = dict(
        zip(orders_of(c, placed).tolist(), c.arrival_seconds[placed].tolist(), strict=True)
    )
    damaged = of(c, "damaged")
    t0 = np.array([order_time[o] for o in orders_of(c, damaged).tolist()])
    delay = (c.arrival_seconds[damaged] - t0) / HOUR
    early = t0 <= days * DAY - 1000 * HOUR
    sample = delay[early]
    assert sample.size > 4000
    f = sum_cdf([frozen(SHIP), frozen(TRANSIT), stats.expon(scale=8.0)])
    assert 1 - float(f(np.array([1000.0]))[0]) < 1e-7
    assert stats.kstest(sample, f).pvalue > 0.01


def test_wismo_only_if_undelivered_fires_only_for_late_parcels() -> None:
    """only_if_undelivered WISMO fires only for late parcels, before their delivery.

    WISMO comes at expected delivery + Exp(24 h). With CRN the flagged reason's contacts are
    exactly the unflagged reason's contacts that arrive before delivery, and their count,
    given each order's delivery time, matches its exact (Poisson-binomial) expectation.
    """
    days = 60

    def scenario(flag: bool) -> Scenario:
        return build(
            calendar={"start": START, "days": days},
            orders={"per_day": 800.0},
            fulfilment={
                "ship_delay_hours": SHIP,
                "transit_delay_hours": TRANSIT,
                "promised_delivery_hours": 96,
            },
            contact_reasons=[
                marker("placed", "order"),
                marker("delivered", "delivery"),
                reason(
                    "wismo",
                    0.6,
                    "expected_delivery",
                    lag_hours={"dist": "exponential", "mean": 24},
                    only_if_undelivered=flag,
                ),
            ],
        )

    flagged = generate(scenario(True), Streams(404, 0)).contacts
    plain = generate(scenario(False), Streams(404, 0)).contacts

    def times(c: Contacts, name: str) -> dict[int, float]:
        m = of(c, name)
        return dict(zip(orders_of(c, m).tolist(), c.arrival_seconds[m].tolist(), strict=True))

    placed, delivered = times(flagged, "placed"), times(flagged, "delivered")
    wismo, wismo_plain = times(flagged, "wismo"), times(plain, "wismo")
    assert wismo
    for o, when in wismo.items():
        # a delivery after the horizon is later than any contact inside it
        delivery = delivered.get(o, math.inf)
        assert when < delivery
        assert delivery > placed[o] + 96 * HOUR  # late
    before = {o for o, w in wismo_plain.items() if w < delivered.get(o, math.inf)}
    assert set(wismo) == before
    assert len(before) < len(wismo_plain)  # the flag does remove contacts

    # rate, given each order's delivery D: WISMO fires iff L < D − t − 96 h (and the issue
    # uniform says so), probability 0.6 × F_L(D − t − 96 h), independently per order. Among
    # orders ≥ 1,000 h before the end (no truncation), the count is Poisson-binomial.
    early = [o for o, t in placed.items() if t <= days * DAY - 1000 * HOUR]
    slack_h = np.array([(delivered[o] - placed[o]) / HOUR - 96.0 for o in early])
    p = 0.6 * stats.expon(scale=24.0).cdf(slack_h)
    hits = sum(o in wismo for o in early)
    z = (hits - p.sum()) / math.sqrt(float((p * (1 - p)).sum()))
    assert abs(z) < stats.norm.ppf(1 - 0.01 / 2), f"WISMO count z = {z:.2f}"


def test_ship_urges_come_before_the_promise_and_only_for_unshipped_parcels() -> None:
    """催发货: asked an Exp(12 h) lag before the ship-by promise, only if not shipped yet.

    Given each order's ship time S (order at t, promise t + 48 h), it fires iff the lag L
    exceeds the slack t + 48 h − S (always when the parcel ships after the promise), with
    the reason's probability 0.3: 0.3 × P(L > slack), independently per order.
    """
    days = 30
    s = build(
        calendar={"start": START, "days": days},
        orders={"per_day": 800.0},
        fulfilment={"ship_delay_hours": SHIP, "promised_ship_hours": 48},
        contact_reasons=[
            marker("placed", "order"),
            marker("shipped", "ship"),
            reason(
                "ship_urge",
                0.3,
                "promised_ship",
                before_anchor=True,
                lag_hours={"dist": "exponential", "mean": 12},
                only_if_unshipped=True,
            ),
        ],
    )
    c = generate(s, Streams(515, 0)).contacts

    def times(name: str) -> dict[int, float]:
        m = of(c, name)
        return dict(zip(orders_of(c, m).tolist(), c.arrival_seconds[m].tolist(), strict=True))

    placed, shipped, urges = times("placed"), times("shipped"), times("ship_urge")
    assert urges
    for o, when in urges.items():
        assert when < shipped.get(o, math.inf)  # still in the shop
        assert when <= placed[o] + 48 * HOUR  # before the promise
    # orders well inside the horizon: their urge and shipment both fall in it
    inner = [o for o, t in placed.items() if 48 * HOUR <= t <= days * DAY - 200 * HOUR]
    slack_h = np.array([(placed[o] + 48 * HOUR - shipped[o]) / HOUR for o in inner])
    p = 0.3 * stats.expon(scale=12.0).sf(np.maximum(slack_h, 0.0))
    hits = sum(o in urges for o in inner)
    z = (hits - p.sum()) / math.sqrt(float((p * (1 - p)).sum()))
    assert abs(z) < stats.norm.ppf(1 - 0.01 / 2), f"ship urge count z = {z:.2f}"
    late = [o for o, h in zip(inner, slack_h, strict=True) if h < 0]
    assert late and sum(o in urges for o in late) > 0.2 * len(late)  # past the promise: 0.3


def test_presale_orders_ship_from_the_presale_shipping_start() -> None:
    """预售: orders of the presale ship their own delay after ``ships_from``; others as before.

    Common random numbers against the same scenario without the presale: every order keeps
    its ship delay, only its start moves; the baseline arm does not change at all.
    """
    sale = {
        "kind": "coupon",
        "start": START + dt.timedelta(days=1),
        "end": START + dt.timedelta(days=3),
        "order_uplift": 1.5,
    }
    presale = {
        "placed_before": START + dt.timedelta(days=2),
        "ships_from": START + dt.timedelta(days=2, hours=12),
    }

    def scenario(with_presale: bool) -> Scenario:
        return build(
            calendar={"start": START, "days": 6},
            orders={"per_day": 400.0},
            fulfilment={"ship_delay_hours": SHIP},
            contact_reasons=[marker("placed", "order"), marker("shipped", "ship")],
            promotion={**sale, **({"presale_shipping": presale} if with_presale else {})},
        )

    def times(c: Contacts, name: str) -> dict[int, float]:
        m = of(c, name)
        return dict(zip(orders_of(c, m).tolist(), c.arrival_seconds[m].tolist(), strict=True))

    a, b = scenario(True), scenario(False)
    pa, pb = generate(a, Streams(8, 0)).contacts, generate(b, Streams(8, 0)).contacts
    placed, shipped, shipped_b = times(pa, "placed"), times(pa, "shipped"), times(pb, "shipped")
    assert placed == times(pb, "placed")  # the same orders
    start, end, ships_from = 1 * DAY, 2 * DAY, 2.5 * DAY
    presale_orders = [o for o, t in placed.items() if start <= t < end and o in shipped]
    assert len(presale_orders) > 300
    for o, t in placed.items():
        if o not in shipped:
            continue
        if start <= t < end:
            assert shipped[o] >= ships_from
            delay = shipped_b[o] - t  # the order's own drawn delay
            assert shipped[o] == pytest.approx(ships_from + delay, abs=1e-6)
        else:
            assert shipped[o] == shipped_b[o]
    base_a = generate(a, Streams(8, 0), "baseline").contacts
    base_b = generate(b, Streams(8, 0), "baseline").contacts
    assert np.array_equal(base_a.arrival_seconds, base_b.arrival_seconds)


# --------------------------------------------------------------------------- 4. CRN subset

TEMPLATES: list[dict[str, Any]] = [
    reason(
        "wismo",
        0.2,
        "expected_delivery",
        lag_hours={"dist": "exponential", "mean": 24},
        only_if_undelivered=True,
    ),
    reason(
        "presale", 0.1, "order", before_anchor=True, lag_hours={"dist": "exponential", "mean": 1}
    ),
    reason("returns", 0.1, "delivery", lag_hours={"dist": "lognormal", "median": 48, "sigma": 1}),
    reason("shipping", 0.1, "ship", lag_hours={"dist": "gamma", "mean": 12, "cv": 0.5}),
    reason("product", 0.15, "order", lag_hours={"dist": "empirical", "values": [1, 5, 30]}),
]
KINDS = ["second_item_discount", "flash_sale", "threshold_discount", "coupon", "price_protection"]
rates = st.floats(0.0, 0.5)


@st.composite
def promotion_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.integers(2, 5))
    lead = draw(st.integers(0, 2))
    start = START + dt.timedelta(hours=draw(st.integers(-24 * lead, 24 * days - 1)))
    end = start + dt.timedelta(hours=draw(st.integers(1, 72)))
    kind = draw(st.sampled_from(KINDS))
    promo: dict[str, Any] = {
        "kind": kind,
        "start": start,
        "end": end,
        "order_uplift": draw(st.floats(1.0, 3.0)),
        "rule_question_rate": draw(st.sampled_from([0.0, 0.1])),
    }
    if draw(st.booleans()):
        # a day that overlaps the window: from start's date to the date of its last instant
        span = ((end - dt.timedelta(microseconds=1)).date() - start.date()).days
        promo["peak_day"] = start.date() + dt.timedelta(days=draw(st.integers(0, span)))
        promo["peak_day_factor"] = draw(st.floats(1.0, 3.0))
    if kind == "second_item_discount":
        promo |= {
            "eligible_share": 1.0,
            "two_unit_intent": 1.0,
            "notice_probability": 1.0,
            "contact_probability": draw(rates),
            "bundle_miss_rate": draw(rates),
            "auto_apply": draw(st.booleans()),
            "makeup_link": draw(st.booleans()),
            "checkout_nudge": draw(st.booleans()),
        }
    elif kind == "flash_sale":
        promo |= {
            "spike_factor": draw(st.floats(1.0, 20.0)),
            "spike_decay_minutes": draw(st.floats(5.0, 180.0)),
            "oversell_rate": draw(rates),
            "payment_issue_rate": draw(rates),
            "order_change_rate": draw(rates),
        }
    elif kind == "threshold_discount":
        promo |= {"near_miss_share": draw(rates), "partial_return_rate": draw(rates)}
    elif kind == "coupon":
        promo |= {
            "coupon_use_share": draw(rates),
            "failure_rates": {"expired": draw(rates), "stacking": draw(rates)},
            "contact_probability": draw(rates),
        }
    else:
        drop_hour = draw(st.integers(-24 * lead, 24 * days))
        promo |= {
            "price_drop_at": START + dt.timedelta(hours=drop_hour),
            "claim_window_days": draw(st.floats(0.5, 5.0)),
            "claim_rate": draw(rates),
        }
    picked = draw(st.lists(st.sampled_from(range(len(TEMPLATES))), min_size=1, unique=True))
    reasons = [TEMPLATES[i] | {"rate_per_order": draw(rates)} for i in picked]
    customers = None
    if draw(st.booleans()):
        customers = {
            "types": {
                "easygoing": {"share": 0.6, "patience_factor": draw(st.floats(0.5, 2.0))},
                "irritable": {"share": 0.4, "handle_time_factor": draw(st.floats(0.5, 2.0))},
            }
        }
    shape = draw(st.one_of(st.none(), st.floats(2.0, 50.0)))
    return {
        "calendar": {"start": START, "days": days},
        "seed": draw(st.integers(0, 2**32)),
        "orders": {
            "per_day": draw(st.floats(20.0, 300.0)),
            "intraday_profile": [
                0.01 + x for x in draw(st.lists(st.floats(0, 1), min_size=24, max_size=24))
            ],
            "weekday_factors": draw(st.lists(st.floats(0.5, 1.5), min_size=7, max_size=7)),
            "overdispersion_shape": shape,
            "lead_in_days": lead,
        },
        "promotion": promo,
        "contact_reasons": reasons,
        "customers": customers,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(promotion_scenarios())
def test_baseline_is_a_subset_of_the_promotion_arm(data: dict[str, Any]) -> None:
    """Under CRN the baseline arm is a subset of the promotion arm.

    With uplift ≥ 1, peak factor ≥ 1 and no transit change, every baseline order and contact
    is in the promotion arm, identical; the baseline has no promotion contacts.
    """
    s = build(**data)
    base = generate(s, Streams(s.seed, 0), "baseline")
    promo = generate(s, Streams(s.seed, 0), "promotion")
    assert np.isin(base.order_seconds, promo.order_seconds).all()
    b, p = base.contacts, promo.contacts
    assert b.reasons == p.reasons
    assert not b.promo.any()
    assert b.order is not None and p.order is not None
    assert b.customer_type is not None and p.customer_type is not None
    index = {(int(o), int(r)): i for i, (o, r) in enumerate(zip(p.order, p.reason, strict=True))}
    assert len(index) == len(p)  # at most one contact per (order, reason)
    for i, (o, r) in enumerate(zip(b.order.tolist(), b.reason.tolist(), strict=True)):
        j = index[(o, r)]
        assert p.arrival_seconds[j] == b.arrival_seconds[i]
        assert p.channel[j] == b.channel[i]
        assert p.customer_type[j] == b.customer_type[i]
        assert p.handle_seconds[j] == b.handle_seconds[i]
        assert p.patience_seconds[j] == b.patience_seconds[i]


def test_orders_follow_the_arms_multiplier() -> None:
    """Order counts per stretch = per_day × multiplier(t) × length.

    A window ending mid-day on its peak day with uplift < 1: the multiplier *rises* at the
    window's end, so the number of candidate layers must account for the end as well.
    """
    s = build(
        calendar={"start": START, "days": 4},
        orders={"per_day": 2000.0},
        promotion={
            "kind": "coupon",
            "start": START + dt.timedelta(days=1),
            "end": START + dt.timedelta(days=2, hours=12),
            "order_uplift": 0.5,
            "peak_day": (START + dt.timedelta(days=2)).date(),
            "peak_day_factor": 3.0,
        },
    )
    stretches = [(0.0, 1.0), (1.0, 2.0), (2.0, 2.5), (2.5, 3.0), (3.0, 4.0)]
    reps = run(s, 40, seed=505)
    for a, b in stretches:
        m = float(multiplier(s, s.promotion, np.array([(a + b) / 2 * DAY]))[0])
        counts = [
            float(np.sum((r.order_seconds >= a * DAY) & (r.order_seconds < b * DAY))) for r in reps
        ]
        assert_mean(counts, 2000.0 * m * (b - a), f"orders in days [{a}, {b})", 1 - 0.01 / 5)


def test_orders_per_hour_follow_the_campaign_moments() -> None:
    """Orders per hour = per_day × profile[h] ÷ Σ profile × uplift × each moment's factor.

    The analytic rate, hour by hour over two days: 定金 opening at 20:00 for 2 h (×4), 尾款
    at 0:00 for 1 h (×8), a flash half-hour dip (×0.5) inside the window, and a moment
    before the window (a presale hour) where the uplift is 1. Baseline: no moment at all.
    """
    profile = [1.0] * 8 + [3.0] * 14 + [2.0] * 2  # quiet nights, busy days
    start = START + dt.timedelta(days=1)
    s = build(
        calendar={"start": START, "days": 3},
        orders={"per_day": 1200.0, "intraday_profile": profile},
        promotion={
            "kind": "coupon",
            "start": start,
            "end": START + dt.timedelta(days=3),
            "order_uplift": 1.5,
            "moments": [
                {
                    "name": "presale",
                    "at": START + dt.timedelta(hours=10),
                    "hours": 1,
                    "orders_factor": 3.0,
                },
                {
                    "name": "deposit",
                    "at": start + dt.timedelta(hours=20),
                    "hours": 2,
                    "orders_factor": 4.0,
                },
                {
                    "name": "balance",
                    "at": start + dt.timedelta(days=1),
                    "hours": 1,
                    "orders_factor": 8.0,
                },
                {
                    "name": "dip",
                    "at": start + dt.timedelta(days=1, hours=13),
                    "hours": 0.5,
                    "orders_factor": 0.5,
                },
            ],
        },
    )
    reps = run(s, 30, seed=909)
    base = run(s, 30, seed=909, arm="baseline")
    per_hour = 1200.0 / sum(profile)
    hours = 72
    level = 1 - 0.01 / (2 * hours)  # every hour of both arms at a 1% family level
    for h in range(hours):
        a, b = h * HOUR, (h + 1) * HOUR
        rate = per_hour * profile[h % 24]
        halves = multiplier(s, s.promotion, np.array([a + HOUR / 4, a + 3 * HOUR / 4]))
        want = rate * float(halves.mean())
        got = [float(np.sum((r.order_seconds >= a) & (r.order_seconds < b))) for r in reps]
        assert_mean(got, want, f"promotion orders in hour {h}", level)
        got = [float(np.sum((r.order_seconds >= a) & (r.order_seconds < b))) for r in base]
        assert_mean(got, rate, f"baseline orders in hour {h}", level)
    # the moments themselves, in the analytic rate
    at = [10, 24 + 20, 24 + 21, 48, 48 + 13]
    factors = [3.0, 1.5 * 4, 1.5 * 4, 1.5 * 8, 1.5 * (0.5 + 1) / 2]
    for h, f in zip(at, factors, strict=True):
        mid = multiplier(s, s.promotion, np.array([h * HOUR + HOUR / 4, h * HOUR + 3 * HOUR / 4]))
        assert float(mid.mean()) == pytest.approx(f)


def test_a_live_stream_bursts_orders_inquiries_and_rule_questions_per_hour() -> None:
    """Per hour, each kind of contact at its analytic rate around a 直播.

    Lags of 0 put every contact at its order's time, so the expected count per hour is the
    order rate × the arm's multiplier (×4 during the stream, falling to 1 over its hour of
    tail) × the reason's probability: inquiries ×2 during and after the stream (orders'
    and browsers'), rule questions ×3 and the second-item misses ×2 during it only.
    """
    zero = {"dist": "deterministic", "value": 0}
    day = START + dt.timedelta(days=1)
    s = build(
        calendar={"start": START, "days": 2},
        orders={"per_day": 2400.0},
        promotion={
            "kind": "second_item_discount",
            "start": START,
            "end": START + dt.timedelta(days=2),
            "rule_question_rate": 0.05,
            "rule_question": {
                "name": "rule_question",
                "anchor": "order",
                "lag_hours": zero,
                "channel_mix": MIX,
            },
            "price_difference": {
                "name": "price_difference",
                "anchor": "order",
                "lag_hours": zero,
                "channel_mix": MIX,
            },
            "eligible_share": 1.0,
            "two_unit_intent": 1.0,
            "bundle_miss_rate": 0.2,
            "notice_probability": 1.0,
            "contact_probability": 0.5,
            "live_streams": [
                {
                    "name": "evening_show",
                    "at": day + dt.timedelta(hours=20),
                    "hours": 2,
                    "orders_factor": 4.0,
                    "tail_hours": 1.0,
                    "inquiry_factor": 2.0,
                    "rule_question_factor": 3.0,
                    "miss_factor": 2.0,
                },
            ],
        },
        presale={
            "inquiry": {"rate_per_order": 0.1, "lag_hours": zero, "channel_mix": MIX},
            "browser_ratio": 1.0,
            "promotion_inquiry_factor": 1.0,
        },
    )
    reps = run(s, 24, seed=313)
    rate = 100.0  # orders an hour
    hours = range(24 + 16, 48)  # 16:00 to 24:00 of the stream's day: before, during, after
    level = 1 - 0.01 / (3 * len(hours))
    for h in hours:
        a, b = h * HOUR, (h + 1) * HOUR
        mid = np.array([a + HOUR / 4, a + 3 * HOUR / 4])
        orders = rate * float(multiplier(s, s.promotion, mid).mean())
        during, after = 44 <= h < 46, h == 46
        expected = {
            "inquiry": 2 * orders * 0.1 * (2.0 if during or after else 1.0),
            "rule_question": orders * 0.05 * (3.0 if during else 1.0),
            "price_difference": orders * 0.1 * (2.0 if during else 1.0),
        }
        for name, want in expected.items():
            got = [
                float(
                    np.sum(
                        of(r.contacts, name)
                        & (r.contacts.arrival_seconds >= a)
                        & (r.contacts.arrival_seconds < b)
                    )
                )
                for r in reps
            ]
            assert_mean(got, want, f"{name} in hour {h}", level)
    # the stream itself: ×4 for its two hours, half-way back at its tail's middle
    at = (24 + 20) * HOUR
    m = multiplier(s, s.promotion, np.array([at - 1, at, at + 2 * HOUR - 1, at + 2.5 * HOUR]))
    assert m.tolist() == pytest.approx([1.0, 4.0, 4.0, 2.5])


# --------------------------------------------------------------------------- 5. day noise


@pytest.mark.slow
def test_gamma_poisson_day_noise_variance() -> None:
    """Daily order counts: mean = per_day, variance = mean + mean² / shape (Poisson: mean).

    Each replication's sample variance over 100 iid days (flat weekday factors) is unbiased
    for the variance; the 99% CI of its mean over 40 replications must hold the exact value.
    """
    per_day, shape, days = 800.0, 10.0, 100

    def daily(shape: float | None, seed: int) -> list[NDArray[np.float64]]:
        s = build(
            calendar={"start": START, "days": days},
            orders={"per_day": per_day, "overdispersion_shape": shape},
        )
        return [
            np.bincount((r.order_seconds // DAY).astype(np.int64), minlength=days).astype(
                np.float64
            )
            for r in run(s, 40, seed)
        ]

    noisy = daily(shape, 606)
    exact = per_day + per_day**2 / shape
    assert_mean([float(x.mean()) for x in noisy], per_day, "mean daily orders")
    variances = [float(x.var(ddof=1)) for x in noisy]
    assert_mean(variances, exact, "variance of daily orders (gamma-Poisson)")
    assert abs(np.mean(variances) - per_day) > ci_halfwidth(variances, LEVEL)  # power

    plain = daily(None, 607)
    assert_mean([float(x.var(ddof=1)) for x in plain], per_day, "variance (pure Poisson)")


# --------------------------------------------------------------------------- 6. customers

TYPES: dict[str, dict[str, float]] = {
    "easygoing": {"share": 0.40, "patience_factor": 1.3, "handle_time_factor": 0.8},
    "stubborn": {"share": 0.25, "patience_factor": 1.0, "handle_time_factor": 1.3},
    "domineering": {"share": 0.15, "patience_factor": 0.9, "handle_time_factor": 1.5},
    "vain": {"share": 0.12, "patience_factor": 1.1, "handle_time_factor": 1.1},
    "irritable": {"share": 0.08, "patience_factor": 0.5, "handle_time_factor": 1.2},
}


def customers_scenario(factors: bool) -> Scenario:
    types = {name: t if factors else {"share": t["share"]} for name, t in TYPES.items()}
    return build(
        calendar={"start": START, "days": 4},
        orders={"per_day": 5000.0},
        contact_reasons=[
            marker("placed", "order"),
            reason(
                "returns",
                0.3,
                "order",
                lag_hours={"dist": "exponential", "mean": 10},
                handle_time_factor=1.7 if factors else 1.0,
            ),
        ],
        customers={"types": types},
    )


def test_customer_type_shares_and_factors() -> None:
    """Customer types: shares, and exact scaling of handle and patience by their factors.

    Shares: χ² over one marker contact per order. With CRN, handle and patience scale by
    exactly the type's (and the reason's) factors; unscaled draws follow the channels'
    distributions (KS).
    """
    plain = generate(customers_scenario(False), Streams(707, 0)).contacts
    scaled = generate(customers_scenario(True), Streams(707, 0)).contacts
    assert plain.customer_type is not None and scaled.customer_type is not None

    placed = of(plain, "placed")
    shares = np.array([t["share"] for t in TYPES.values()])
    observed = np.bincount(plain.customer_type[placed], minlength=len(TYPES))
    assert stats.chisquare(observed, observed.sum() * shares).pvalue > 0.01

    # every contact of an order has the order's type
    assert plain.order is not None
    type_of = dict(
        zip(plain.order[placed].tolist(), plain.customer_type[placed].tolist(), strict=True)
    )
    returns = of(plain, "returns")
    assert all(
        type_of[o] == k
        for o, k in zip(
            plain.order[returns].tolist(), plain.customer_type[returns].tolist(), strict=True
        )
    )

    assert np.array_equal(plain.arrival_seconds, scaled.arrival_seconds)
    assert np.array_equal(plain.customer_type, scaled.customer_type)
    handle = np.array([t["handle_time_factor"] for t in TYPES.values()])[scaled.customer_type]
    patience = np.array([t["patience_factor"] for t in TYPES.values()])[scaled.customer_type]
    reason_factor = np.where(of(scaled, "returns"), 1.7, 1.0)
    np.testing.assert_allclose(
        scaled.handle_seconds, plain.handle_seconds * handle * reason_factor, rtol=1e-12
    )
    np.testing.assert_allclose(
        scaled.patience_seconds, plain.patience_seconds * patience, rtol=1e-12
    )
    assert set(scaled.customer_type.tolist()) == set(range(len(TYPES)))

    phone = plain.channel == plain.channels.index("phone")
    chat = plain.channel == plain.channels.index("chat")
    sigma = math.sqrt(math.log(2.0))
    checks = [
        stats.kstest(plain.handle_seconds[phone], "expon", args=(0, 300.0)),
        stats.kstest(plain.patience_seconds[phone], "expon", args=(0, 90.0)),
        stats.kstest(
            plain.handle_seconds[chat],
            "lognorm",
            args=(sigma, 0, 240.0 * math.exp(-(sigma**2) / 2)),
        ),
    ]
    assert all(c.pvalue > 0.01 / len(checks) for c in checks)


# --------------------------------------------------------------------------- 7. streams


def test_adding_a_reason_leaves_the_others_alone() -> None:
    """A new reason (listed first, so every index shifts) changes no other reason's contacts."""
    reasons = [
        reason("wismo", 0.1, "expected_delivery", only_if_undelivered=True),
        reason("returns", 0.05, "delivery"),
    ]
    extra = reason("warranty", 0.3, "delivery", lag_hours={"dist": "exponential", "mean": 200})
    common = {
        "calendar": {"start": START, "days": 5},
        "orders": {"per_day": 2000.0, "overdispersion_shape": 20.0, "lead_in_days": 3},
        "customers": {
            "types": {
                "easygoing": {"share": 0.7, "patience_factor": 1.3},
                "irritable": {"share": 0.3, "handle_time_factor": 1.4},
            }
        },
    }
    a = generate(build(contact_reasons=reasons, **common), Streams(808, 3))
    b = generate(build(contact_reasons=[extra, *reasons], **common), Streams(808, 3))
    assert np.array_equal(a.order_seconds, b.order_seconds)
    assert b.contacts.reasons == ("warranty", "wismo", "returns")
    for name in ("wismo", "returns"):
        ma, mb = of(a.contacts, name), of(b.contacts, name)
        assert ma.sum() > 0
        for field in (
            "arrival_seconds",
            "channel",
            "customer_type",
            "order",
            "handle_seconds",
            "patience_seconds",
        ):
            assert np.array_equal(getattr(a.contacts, field)[ma], getattr(b.contacts, field)[mb])
