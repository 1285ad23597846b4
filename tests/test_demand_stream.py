"""DemandStream against generate(): the same contacts, handed out segment by segment.

generate() is the stream in one segment; every other segmentation must give its contacts
byte for byte (concatenated), and the stream's order tally the one computed from its orders.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import sim.demand
from sim import uniforms
from sim.config import Scenario
from sim.demand import (
    Arm,
    Contacts,
    Demand,
    DemandStream,
    OrderTally,
    generate,
    order_tally,
)
from sim.distributions import quantile
from sim.loading import load_scenario
from sim.rng import IssueDraws, Streams, stream_key
from tests.conftest import CONFIGS, tiny_scenario

DAY = 86400.0
HOUR = 3600.0
COLUMNS = (
    "arrival_seconds",
    "channel",
    "reason",
    "handle_seconds",
    "patience_seconds",
    "customer_type",
    "order",
    "decide",
    "issue_key",
    "delivery_seconds",
)
METADATA = ("channels", "reasons", "promo_reasons", "after_sale_reasons", "customer_types")


@cache
def bundled(stem: str, overrides: tuple[str, ...] = ()) -> Scenario:
    return load_scenario(CONFIGS / f"{stem}.yaml", list(overrides)).scenario


@cache
def generated(stem: str, arm: Arm, replication: int) -> Demand:
    s = bundled(stem)
    return generate(s, Streams(s.seed, replication), arm)


def arms(path: Path) -> list[Arm]:
    return ["promotion", "baseline"] if bundled(path.stem).promotion else ["promotion"]


CASES = [
    (path.stem, arm, replication)
    for path in sorted(CONFIGS.glob("*.yaml"))
    for arm in arms(path)
    # the promotion configs' baseline arms draw what baseline.yaml draws: one replication
    for replication in ((0, 1) if arm == "promotion" else (0,))
]


def every(step: float) -> Callable[[Scenario, int], list[float]]:
    """Cut points every ``step`` seconds to the horizon's end."""

    def cuts(s: Scenario, replication: int) -> list[float]:
        n = math.ceil(s.calendar.horizon_seconds / step - 1e-9)
        return [float(x) for x in np.arange(1, n + 1) * step]

    return cuts


def fine(s: Scenario, replication: int) -> list[float]:
    """Every midnight, every hour of the first day and a half, random points, one twice.

    Holding every midnight, it is at least as strict as taking day by day: a contact
    arriving before its day's lookahead bound would break the partition here too.
    """
    rng = np.random.default_rng(1000 + replication)
    horizon = s.calendar.horizon_seconds
    extra = rng.uniform(0.0, horizon, 6)
    cuts = np.sort(np.concatenate([every(DAY)(s, replication), every(HOUR)(s, 0)[:36], extra]))
    return [float(c) for c in np.insert(cuts, 3, cuts[3])]


SEGMENTATIONS: dict[str, Callable[[Scenario, int], list[float]]] = {
    "fine": fine,
    "hour": every(HOUR),
    "day": every(DAY),
    "week": every(7 * DAY),
    "whole": lambda s, r: [],
}
"""Cut points of ``take`` calls, then ``take(inf)``."""


def same_bytes(a: NDArray[Any] | None, b: NDArray[Any] | None) -> bool:
    """Equal dtype, shape and bytes (NaN delivery times of direct arrivals included)."""
    assert a is not None and b is not None
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def streamed(stream: DemandStream, cuts: list[float]) -> list[Contacts]:
    """Segments of ``stream`` at ``cuts`` and a last one to the end; each checked in range."""
    out, low = [], -math.inf
    for before in [*cuts, math.inf]:
        part = stream.take(before)
        assert ((part.arrival_seconds >= low) & (part.arrival_seconds < before)).all()
        for name in METADATA:
            assert getattr(part, name) == getattr(stream, name), name
        out.append(part)
        low = before
    return out


def assert_same_contacts(parts: list[Contacts], want: Contacts) -> None:
    for name in COLUMNS:
        got = np.concatenate([getattr(p, name) for p in parts])
        assert same_bytes(got, getattr(want, name)), name
    for name in METADATA:
        assert getattr(parts[0], name) == getattr(want, name), name


# A stream run costs a generate() (the same draws): "fine" for every bundled scenario and
# arm, the others on a direct-arrival scenario, the baseline and a price drop.
RUNS = [
    *[(*case, "fine") for case in CASES],
    *[(stem, "promotion", 0, seg) for stem in ("default", "baseline") for seg in SEGMENTATIONS],
    ("price_protection", "promotion", 0, "week"),
]


@pytest.mark.parametrize(("stem", "arm", "replication", "segmentation"), RUNS)
def test_stream_partitions_generate(
    stem: str, arm: Arm, replication: int, segmentation: str
) -> None:
    s = bundled(stem)
    want = generated(stem, arm, replication)
    stream = DemandStream(s, Streams(s.seed, replication), arm)
    # day by day this also shows the lookahead bound holds (the stream asserts it)
    parts = streamed(stream, SEGMENTATIONS[segmentation](s, replication))
    assert_same_contacts(parts, want.contacts)
    assert stream.promotion_active == want.promotion_active
    if s.orders is None:
        assert stream.orders is None
    else:
        assert stream.orders == order_tally(s, want)
    assert stream.take(math.inf).arrival_seconds.size == 0


def test_order_tally_counts_the_orders_as_the_metrics_do() -> None:
    """Placed orders by day, with a warm-up and a horizon ending mid-day."""
    s = Scenario.model_validate(presale(days=2.5, warmup_hours=30))
    demand = generate(s, Streams(s.seed, 0))
    tally = order_tally(s, demand)
    t = demand.order_seconds
    placed = [x for x in t.tolist() if 30 * HOUR <= x < 2.5 * DAY]
    assert tally.placed == len(placed) > 0
    assert tally.placed_in_window == 0  # no promotion
    # days 1 and 2 of the horizon: the warm-up ends in day 1
    assert tally.per_day.dtype == np.float64
    assert tally.per_day.tolist() == [
        sum(1 for x in placed if 1 * DAY <= x < 2 * DAY),
        sum(1 for x in placed if 2 * DAY <= x < 3 * DAY),
    ]
    promo = bundled("second_item_1yuan")
    with_window = order_tally(promo, generated("second_item_1yuan", "promotion", 0))
    assert 0 < with_window.placed_in_window < with_window.placed
    assert with_window != OrderTally(0, 0, np.zeros(0))
    # a stream that keeps its orders (generate's) counts them when asked, the same
    kept = DemandStream(promo, Streams(promo.seed, 0), keep_orders=True)
    assert kept.orders == with_window


# --------------------------------------------------------------------------- lookahead


def presale(lag: dict[str, Any] | None = None, **calendar: Any) -> dict[str, Any]:
    """Orders with a pre-sale question ``lag`` before each order, and a direct stream."""
    data = tiny_scenario(calendar={"days": 3, **calendar})
    data["arrivals"][0]["contacts_per_hour"] = 5
    data["orders"] = {"per_day": 2000, "lead_in_days": 1}
    data["customers"] = {"types": {"calm": {"share": 0.7}, "cross": {"share": 0.3}}}
    data["contact_reasons"] = [
        {
            "name": "question",
            "rate_per_order": 0.2,
            "anchor": "order",
            "before_anchor": True,
            "lag_hours": lag or {"dist": "deterministic", "value": 2},
            "channel_mix": {"phone": 1.0},
        },
        {
            "name": "wismo",
            "rate_per_order": 0.1,
            "anchor": "delivery",
            "lag_hours": {"dist": "exponential", "mean": 12},
            "channel_mix": {"phone": 1.0},
        },
    ]
    return data


@pytest.mark.parametrize(
    "lag",
    [
        {"dist": "deterministic", "value": 2},
        {"dist": "empirical", "values": [30, 0.5, 7]},  # the largest first
        {"dist": "exponential", "mean": 3},
    ],
)
def test_pre_sale_contacts_stream_exactly(lag: dict[str, Any]) -> None:
    """Contacts before their order's day, some of a lead-in day's, streamed by the hour."""
    s = Scenario.model_validate(presale(lag))
    want = generate(s, Streams(s.seed, 0))
    c = want.contacts
    assert c.order is not None
    order_day = (c.order >> 24 & 0xFFFF) - 1  # an id holds its day + lead_in_days
    early = (c.reason == c.reasons.index("question")) & (c.arrival_seconds // DAY < order_day)
    assert early.any()  # contacts of day d (id day d + lead) arrive before day d
    stream = DemandStream(s, Streams(s.seed, 0))
    assert_same_contacts(streamed(stream, every(HOUR)(s, 0)), want.contacts)
    assert stream.orders == order_tally(s, want)


TOP = np.array([1.0 - 1e-17, np.nextafter(1.0, 0.0)])
"""Uniforms at the very top: 1 − 1e-17 rounds to 1 (an infinite lag), the largest float below 1."""


@pytest.mark.parametrize(
    "lag",
    [
        {"dist": "exponential", "mean": 2},
        {"dist": "lognormal", "mean": 3, "cv": 0.5},
        {"dist": "gamma", "mean": 3, "cv": 0.7},
    ],
)
def test_a_lag_before_its_anchor_never_exceeds_its_bound(
    lag: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pre-sale lags drawn at their distribution's very top are cut to the bound.

    So a day's contacts arrive no earlier than its lookahead says: streamed by the hour,
    the contacts are still the one-piece ones.
    """
    s = Scenario.model_validate(presale(lag, days=6))  # bounds of 2 to 3 days
    question = s.contact_reasons[0]
    real = IssueDraws.uniforms
    lags = uniforms.FIRST_DRAW | stream_key(question.name) << 8  # the question's first draw

    def top(draws: IssueDraws, keys: NDArray[np.int64], start: int, count: int) -> Any:
        u = real(draws, keys, start, count)
        if start == lags:
            u[:, uniforms.FIRST_LAG] = np.resize(TOP, len(u))
        return u

    monkeypatch.setattr(IssueDraws, "uniforms", top)
    bound = sim.demand.lag_bound_hours(question.lag_hours) * HOUR
    assert quantile(question.lag_hours, TOP[1:])[0] * HOUR > bound  # cut, not kept
    with np.errstate(divide="ignore"):  # the quantile at 1 is inf
        want = generate(s, Streams(s.seed, 0))
    c = want.contacts
    assert c.order is not None
    asked = c.reason == c.reasons.index("question")
    placed = {
        int(i): t
        for _, rows in sim.demand.orders_by_day(s, Streams(s.seed, 0))
        for i, t in zip(rows.id.tolist(), rows.created_seconds.tolist(), strict=True)
    }
    created = np.array([placed[i] for i in c.order[asked].tolist()])
    assert asked.sum() > 100
    # every lag is the bound: the infinite ones and the finite ones beyond it alike
    assert np.array_equal(c.arrival_seconds[asked], created - bound)
    stream = DemandStream(s, Streams(s.seed, 0))
    with np.errstate(divide="ignore"):
        assert_same_contacts(streamed(stream, every(HOUR)(s, 0)), c)


def test_time_must_not_go_back() -> None:
    s = Scenario.model_validate(presale())
    stream = DemandStream(s, Streams(s.seed, 0))
    stream.take(DAY)
    assert len(stream.take(DAY)) == 0  # the same point again: nothing new
    with pytest.raises(ValueError, match="must not go back"):
        stream.take(DAY - 1)
    with pytest.raises(ValueError, match="must not go back"):
        stream.take(math.nan)


def test_streams_are_used_up_as_generate_uses_them() -> None:
    s = bundled("baseline")
    streams = Streams(s.seed, 0)
    DemandStream(s, streams).take(math.inf)
    with pytest.raises(ValueError, match="already handed out"):
        generate(s, streams)


# --------------------------------------------------------------------------- memory


def test_memory_does_not_grow_with_the_horizon() -> None:
    """Day by day, the stream holds a few days of contacts, whatever the horizon."""
    peaks, per_day = {}, {}
    for days in (30, 90):
        s = bundled("baseline", (f"calendar.days={days}",))
        stream = DemandStream(s, Streams(s.seed, 0))
        total = sum(len(stream.take(d * DAY)) for d in range(1, days + 1))
        total += len(stream.take(math.inf))
        peaks[days], per_day[days] = stream.peak_buffered, total / days
    # orders to contact: ~3.5 days to delivery, a day's lag, and the lead-in week
    assert peaks[90] < 8 * per_day[90]
    assert peaks[90] < 1.5 * peaks[30]


def test_direct_streams_drawn_piece_by_piece_are_the_streams_drawn_at_once() -> None:
    """A direct stream's columns, drawn when handed out (PCG64 moved on), are its draws."""
    s = bundled("default")
    streams = Streams(s.seed, 1)
    direct = sim.demand._Direct(s, streams, 0, sim.demand._Bots(s))
    n = direct.times.size
    pieces = [direct.take(t * 3600.0) for t in (0.5, 0.5, 2.0, 7.25)] + [direct.take(math.inf)]
    assert len(direct) == 0 and sum(len(p) for p in pieces) == n > 100
    again = Streams(s.seed, 1)
    again("arrivals.0.times")
    u = again("arrivals.0.u").random((uniforms.DIRECT_ROWS, n))  # as drawn at once
    got = sim.demand._Chunk.join(pieces)
    assert np.array_equal(got.u_type, u[uniforms.DIRECT_TYPE])
    assert np.array_equal(got.u_handle, u[uniforms.DIRECT_HANDLE])
    assert np.array_equal(got.u_patience, u[uniforms.DIRECT_PATIENCE])
    assert np.array_equal(got.decide, u[uniforms.DIRECT_DECISIONS :].T)
    assert np.array_equal(got.time, direct.times)


def test_a_direct_stream_s_channel_mix_drawn_piece_by_piece() -> None:
    data = tiny_scenario(calendar={"days": 1})
    data["channels"]["chat"] = {"handle_time_seconds": {"dist": "exponential", "mean": 200}}
    data["staffing"]["groups"][0]["channels"] = ["phone", "chat"]
    data["arrivals"] = [
        {"kind": "poisson", "channel_mix": {"phone": 0.3, "chat": 0.7}, "contacts_per_hour": 60}
    ]
    s = Scenario.model_validate(data)
    direct = sim.demand._Direct(s, Streams(s.seed, 0), 0, sim.demand._Bots(s))
    n = direct.times.size
    pieces = [direct.take(h * 3600.0) for h in (1.0, 6.5, 6.5, 20.0)] + [direct.take(math.inf)]
    again = Streams(s.seed, 0)
    u = again("arrivals.0.channel").random(n)
    want = sim.demand._pick_channel({"phone": 0.3, "chat": 0.7}, ("phone", "chat"), u)
    got = np.concatenate([p.channel for p in pieces])
    assert np.array_equal(got, want) and 0 < (got == 0).sum() < n


def test_the_hour_and_type_tables_are_numpy_s_search_and_choice() -> None:
    """_Cdf gives searchsorted's answers; with rng.random it is Generator.choice, draw for draw.

    The orders' hours were drawn with choice, so the same seeds must give the same hours.
    """
    rng = np.random.default_rng(7)
    profiles = [
        np.asarray(bundled("baseline").orders.intraday_profile, dtype=np.float64),  # type: ignore[union-attr]
        np.ones(24),
        np.r_[np.zeros(8), rng.random(16)],  # hours of weight 0
        np.r_[rng.random(23), 0.0],
        np.full(5, 1 / 3),  # 1/3 rounds: the cdf's values are not multiples of 2⁻¹²
    ]
    for w in profiles:
        p = w / w.sum()
        cdf = p.cumsum()
        cdf /= cdf[-1]
        table = sim.demand._Cdf(cdf)
        for seed in range(20):
            a, b = np.random.default_rng(seed), np.random.default_rng(seed)
            n = 5000 + seed
            want = a.choice(p.size, n, p=p)
            got = table(b.random(n))
            assert got.dtype == want.dtype and np.array_equal(got, want)
            assert a.random() == b.random()  # the generators stand at the same place
        # keys on the cells' edges and on the cdf's own values
        inner = cdf[cdf < 1]
        keys = np.r_[np.arange(4096) / 4096, inner, np.nextafter(inner, 0), 1 - 2**-53]
        assert np.array_equal(table(keys), np.searchsorted(cdf, keys, side="right"))


def test_decision_floats_from_raw_steps_are_numpy_s_float32_draws() -> None:
    """_float32_columns: the chosen columns of ``random((DECISIONS, n), dtype=float32)``."""
    for n in (0, 1, 2, 7, 1000, 1001):
        for seed in range(5):
            streams = Streams(seed, 3)
            want = streams("x").random((uniforms.DECISIONS, n), dtype=np.float32)
            cols = np.flatnonzero(np.random.default_rng(seed).random(n) < 0.3)
            got = sim.demand._float32_columns(Streams(seed, 3)("x"), n, cols)
            assert got.dtype == np.float64 and got.shape == (cols.size, uniforms.DECISIONS)
            assert np.array_equal(got, want[:, cols].T.astype(np.float64))


def test_arrival_order_is_lexsort_with_and_without_ties() -> None:
    """The argsort shortcut gives lexsort's order; ties, NaN and signed zeros fall back to it."""
    rng = np.random.default_rng(3)
    n = 2000
    order = rng.integers(0, 50, n).astype(np.int64)
    reason = rng.integers(0, 4, n).astype(np.int32)
    distinct = rng.random(n) * 1e6
    tied = np.round(distinct / 1e4) * 1e4
    cases = [distinct, tied, np.r_[distinct[:-2], np.nan, np.nan], np.r_[distinct[:-2], 0.0, -0.0]]
    for t in [*cases, distinct[:0], distinct[:1]]:
        m = t.size
        want = np.lexsort((reason[:m], order[:m], t))
        assert np.array_equal(sim.demand._arrival_order(t, order[:m], reason[:m]), want)


def test_merging_sorted_pending_contacts_is_joining_and_sorting_them() -> None:
    """_Chunk.merge is a stable sort of the two joined: ties in either and across included."""
    s = bundled("second_item_1yuan")
    days = sim.demand._OrderDays(s, Streams(s.seed, 0), "promotion", 0)
    whole = sim.demand._Chunk.join(days.draw(20).chunks + days.draw(21).chunks)
    rounded = dataclasses.replace(whole, time=np.round(whole.time / 600.0) * 600.0)  # ties
    for c in (whole, rounded):
        half = len(c) // 2
        a = c._pick(np.arange(half)).by_time()
        b = c._pick(np.arange(half, len(c))).by_time()
        empty = a._pick(slice(0, 0))
        for x, y in ((a, b), (b, a), (a, a), (a, empty), (empty, b)):
            got = sim.demand._Chunk.merge(x, y)
            want = sim.demand._Chunk.join((x, y)).by_time()
            assert got.ascending and len(got) == len(x) + len(y)
            for f in dataclasses.fields(got):
                u, v = getattr(got, f.name), getattr(want, f.name)
                if isinstance(u, np.ndarray):
                    assert u.dtype == v.dtype and u.tobytes() == v.tobytes(), f.name  # bits
                else:
                    assert u == v, f.name
