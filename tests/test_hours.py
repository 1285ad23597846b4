"""The buyers' clock (``activity_profile``) and the couriers' hours (``delivery_window``).

A contact's lag runs on the buyers' clock: ``arrival = A⁻¹(A(trigger) ± lag)``, ``A`` the
cumulative activity with mean rate 1. The tests compute ``A`` on their own (linear
interpolation between hourly knots) and check the demand against it; absent or flat
settings must leave every contact's bytes as they are.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats
from typer.testing import CliRunner

from sim.cli import app
from sim.config import CHAT_ACTIVITY_CN, DeliveryWindow, Scenario
from sim.demand import ActivityClock, DemandStream, generate, next_opening, orders_by_day
from sim.loading import ScenarioError, config_hash, load_text
from sim.rng import Streams
from tests.test_demand_stream import (
    COLUMNS,
    assert_same_contacts,
    every,
    presale,
    same_bytes,
    streamed,
)

DAY = 86400.0
HOUR = 3600.0
NIGHT_OFF = [0.0] * 7 + [2.0, 4.0, 6.0, 6.0, 5.0, 5.0, 5.0, 5.0] + [5.0] * 5 + [8.0, 9.0, 8.0, 4.0]
"""A profile with no activity 00:00–07:00."""


def activity(weights: list[float] | tuple[float, ...], t: NDArray[np.float64]) -> NDArray[Any]:
    """``A(t)`` by interpolation between hourly knots, days -30 to 60 (mean rate 1)."""
    w = np.asarray(weights, dtype=np.float64)
    hours = np.arange(-30 * 24, 60 * 24 + 1)
    per_hour = np.resize(w / w.mean(), hours.size - 1) * HOUR
    knots = np.concatenate([[0.0], np.cumsum(per_hour)])
    # the knots start at day -30's midnight: hour index k is hour k mod 24 of its day
    return np.asarray(np.interp(t, hours * HOUR, knots))


def hour_of(t: NDArray[np.float64]) -> NDArray[np.int64]:
    return ((t % DAY) // HOUR).astype(np.int64)


# --------------------------------------------------------------------------- the clock


@pytest.mark.parametrize("weights", [NIGHT_OFF, list(CHAT_ACTIVITY_CN)])
@pytest.mark.parametrize("trigger_hour", [2.5, 9.25, 22.0])
def test_exponential_lags_on_the_clock_have_the_time_changed_distribution(
    weights: list[float], trigger_hour: float
) -> None:
    """From one trigger, P(arrival ≤ t) = 1 − exp(−(A(t) − A(t0)) / mean)."""
    clock = ActivityClock(weights)
    t0, mean = trigger_hour * HOUR + 2 * DAY, 5 * HOUR
    lags = np.random.default_rng(11).exponential(mean, 20_000)
    arrival = clock.after(np.full(lags.size, t0), lags)
    a0 = activity(weights, np.array([t0]))[0]

    def cdf(t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(-np.expm1(-np.maximum(activity(weights, t) - a0, 0.0) / mean))

    assert stats.kstest(arrival, cdf).pvalue > 1e-3
    if weights is NIGHT_OFF:
        # the real-time lag would not pass: the clock changes the distribution
        assert stats.kstest(t0 + lags, cdf).pvalue < 1e-6
        assert not np.isin(hour_of(arrival), np.arange(7)).any()  # no arrival at night
    back = clock.before(np.full(lags.size, t0), lags)  # the same, run backwards

    def cdf_back(t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.exp(-np.maximum(a0 - activity(weights, t), 0.0) / mean))

    assert stats.kstest(back, cdf_back).pvalue > 1e-3


def test_the_clock_round_trips_and_a_flat_profile_is_no_clock() -> None:
    clock = ActivityClock(NIGHT_OFF, offset=1800.0)
    t = np.linspace(-2 * DAY, 5 * DAY, 10_001)
    day = hour_of(t + 1800.0) >= 7  # hours with activity, on the local clock
    assert np.allclose(clock.inverse(clock.forward(t))[day], t[day], rtol=0, atol=1e-6)
    # a night instant maps to the next 07:00 (local), 06:30 from time 0's clock
    assert clock.inverse(clock.forward(np.array([3 * HOUR])))[0] == pytest.approx(6.5 * HOUR)
    assert ActivityClock.of(None) is None
    assert ActivityClock.of([2.0] * 24) is None
    assert ActivityClock.of(NIGHT_OFF) is not None
    nan = clock.after(np.array([math.nan, 0.0]), np.array([1.0, math.inf]))
    assert math.isnan(nan[0]) and nan[1] == math.inf


# --------------------------------------------------------------------------- the demand


def shop(
    profile: list[float] | None = None, window: dict[str, str] | None = None, **reason: Any
) -> Scenario:
    """Orders over 8 days, a delivery-anchored and a long-lag order-anchored reason."""
    data = presale(days=8)
    data["orders"] = {"per_day": 3000, "lead_in_days": 2}
    data["contact_reasons"] = [
        {
            "name": "wismo",
            "rate_per_order": 0.2,
            "anchor": "delivery",
            "lag_hours": {"dist": "exponential", "mean": 6},
            "channel_mix": {"phone": 1.0},
        },
        {
            "name": "later",
            "rate_per_order": 0.5,
            "anchor": "order",
            "lag_hours": {"dist": "exponential", "mean": 72},
            "channel_mix": {"phone": 1.0},
            **reason,
        },
        {
            "name": "question",
            "rate_per_order": 0.1,
            "anchor": "order",
            "before_anchor": True,
            "lag_hours": {"dist": "exponential", "mean": 3},
            "channel_mix": {"phone": 1.0},
        },
    ]
    if profile is not None:
        data["customers"]["activity_profile"] = profile
    if window is not None:
        data["fulfilment"] = {"delivery_window": window}
    return Scenario.model_validate(data)


def test_each_hour_s_share_of_a_long_lag_reason_follows_the_profile() -> None:
    s = shop(list(CHAT_ACTIVITY_CN))
    c = generate(s, Streams(s.seed, 0)).contacts
    later = c.arrival_seconds[c.reason == c.reasons.index("later")]
    assert later.size > 8_000
    share = np.bincount(hour_of(later), minlength=24) / later.size
    want = np.asarray(CHAT_ACTIVITY_CN) / 100
    assert np.abs(share - want).max() < 0.012  # 3.5 standard errors at 8% share
    # without the clock the shares follow the (flat) order profile instead
    flat = generate(shop(), Streams(s.seed, 0)).contacts
    real = flat.arrival_seconds[flat.reason == flat.reasons.index("later")]
    assert np.abs(np.bincount(hour_of(real), minlength=24) / real.size - want).max() > 0.02


def test_order_caused_contacts_follow_the_time_change_per_contact() -> None:
    """(A(arrival) − A(order)) of an order-anchored reason is its exponential lag."""
    s = shop(NIGHT_OFF, lag_hours={"dist": "exponential", "mean": 4})
    c = generate(s, Streams(s.seed, 0)).contacts
    assert c.order is not None
    placed = {
        int(i): t
        for _, rows in orders_by_day(s, Streams(s.seed, 0))
        for i, t in zip(rows.id.tolist(), rows.created_seconds.tolist(), strict=True)
    }
    later = c.reason == c.reasons.index("later")
    order_t = np.array([placed[i] for i in c.order[later].tolist()])
    early = (order_t >= 0) & (order_t < 5 * DAY)  # 3 days before the horizon's end: no cut
    lag = activity(NIGHT_OFF, c.arrival_seconds[later]) - activity(NIGHT_OFF, order_t)
    assert early.sum() > 3000
    assert stats.kstest(lag[early] / HOUR, stats.expon(scale=4).cdf).pvalue > 1e-3
    night = np.isin(hour_of(c.arrival_seconds), np.arange(7))
    assert not night[c.order >= 0].any()  # no order-caused contact at night
    assert night[c.order < 0].any()  # the direct stream's contacts keep their own times


def test_a_reason_s_profile_overrides_the_customers() -> None:
    s = shop([1.0] * 24, activity_profile=NIGHT_OFF)
    c = generate(s, Streams(s.seed, 0)).contacts
    night = np.isin(hour_of(c.arrival_seconds), np.arange(7))
    assert not night[c.reason == c.reasons.index("later")].any()
    assert night[c.reason == c.reasons.index("wismo")].any()  # on the shared, flat clock


@pytest.mark.parametrize(
    "lag", [{"dist": "exponential", "mean": 3}, {"dist": "deterministic", "value": 2}]
)
def test_a_profile_stream_is_the_one_piece_demand(lag: dict[str, Any]) -> None:
    """Pre-sale lags stretched over a night without activity still stream exactly.

    Buyers who write only 09:00–18:00: two activity hours before an order at night start
    at 17:15 the day before, further back than two hours before the order's day, which a
    real-time lookahead would miss.
    """
    office = [0.0] * 9 + [1.0] * 9 + [0.0] * 6
    data = shop(office, {"start": "08:00", "end": "21:00"}).model_dump()
    data["contact_reasons"][2]["lag_hours"] = lag
    s = Scenario.model_validate(data)
    want = generate(s, Streams(s.seed, 0)).contacts
    question = want.arrival_seconds[want.reason == want.reasons.index("question")]
    assert question.size > 1000
    stream = DemandStream(s, Streams(s.seed, 0))
    assert_same_contacts(streamed(stream, every(HOUR)(s, 0)), want)


def test_the_window_opens_at_start_and_closes_at_end() -> None:
    window = DeliveryWindow(start="08:00", end="21:00")
    t = np.array([8, 21, 20.5, 7.5, 23, -1, math.nan]) * HOUR + DAY
    got = next_opening(t, window) / HOUR - 24
    assert got[:6].tolist() == [8.0, 32.0, 20.5, 8.0, 32.0, 8.0] and math.isnan(got[6])
    # time 0 at 06:00 local: local 08:00 is 2 hours in
    assert next_opening(np.array([0.0]), window, offset=6 * HOUR).tolist() == [2 * HOUR]
    assert next_opening(t, None) is t


def test_deliveries_outside_the_window_land_at_the_next_opening_exactly() -> None:
    window = {"start": "08:00", "end": "21:00"}
    plain, windowed = shop(), shop(window=window)
    before = np.concatenate(
        [r.delivery_seconds for _, r in orders_by_day(plain, Streams(plain.seed, 0))]
    )
    after = np.concatenate(
        [r.delivery_seconds for _, r in orders_by_day(windowed, Streams(windowed.seed, 0))]
    )
    local = before % DAY
    midnight = before - local
    want = np.where(
        local < 8 * HOUR,
        midnight + 8 * HOUR,
        np.where(local >= 21 * HOUR, midnight + DAY + 8 * HOUR, before),
    )
    moved = want != before
    assert 0.3 < moved.mean() < 0.7
    assert np.array_equal(after, want)
    assert ((after % DAY >= 8 * HOUR) & (after % DAY < 21 * HOUR)).all()
    # delivery-anchored contacts count from the delivery as the couriers make it
    c = generate(windowed, Streams(windowed.seed, 0)).contacts
    assert c.delivery_seconds is not None
    wismo = c.reason == c.reasons.index("wismo")
    assert np.isin(c.delivery_seconds[wismo], after).all()
    assert (c.arrival_seconds[wismo] >= c.delivery_seconds[wismo]).all()


# --------------------------------------------------------------------------- neutral


@pytest.mark.parametrize(
    "neutral",
    [
        {"profile": [1.0] * 24},
        {"profile": [3.5] * 24, "activity_profile": [2.0] * 24},
        {"window": {"start": "00:00", "end": "24:00"}},
    ],
)
def test_flat_profiles_and_a_whole_day_window_are_the_absent_ones_byte_for_byte(
    neutral: dict[str, Any],
) -> None:
    absent = shop()
    set_ = shop(**neutral)
    for arm in ("promotion", "baseline"):
        a = generate(absent, Streams(absent.seed, 1), arm).contacts
        b = generate(set_, Streams(set_.seed, 1), arm).contacts
        assert len(a) > 1000
        for name in COLUMNS:
            assert same_bytes(getattr(a, name), getattr(b, name)), name


def test_unset_fields_stay_out_of_the_resolved_form() -> None:
    """A scenario without the new fields keeps its resolved form and its config hash."""
    absent = shop()
    dumped = absent.model_dump(mode="json")
    assert "delivery_window" not in dumped["fulfilment"]
    assert "activity_profile" not in dumped["customers"]
    assert all("activity_profile" not in r for r in dumped["contact_reasons"])
    assert config_hash(absent) != config_hash(shop([1.0] * 24))  # set: part of the hash
    again = Scenario.model_validate(
        shop(NIGHT_OFF, {"start": "08:00", "end": "21:00"}).model_dump()
    )
    assert again.fulfilment.delivery_window is not None
    assert again.customers is not None and again.customers.activity_profile == NIGHT_OFF


# --------------------------------------------------------------------------- validation

BAD = """\
name: bad
orders: {per_day: 10}
customers:
  types: {a: {share: 1}}
  activity_profile: [1, 2, 3]
fulfilment:
  delivery_window: {start: "21:00", end: "08:00"}
contact_reasons:
  - name: r
    rate_per_order: 0.1
    channel_mix: {phone: 1}
    activity_profile: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
  - name: s
    rate_per_order: 0.1
    channel_mix: {phone: 1}
    activity_profile: [1, 1, 1, -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, .nan]
channels:
  phone:
    handle_time_seconds: {dist: exponential, mean: 300}
staffing:
  groups:
    - {name: g, channels: [phone], schedule: {kind: constant, agents: 1}}
"""


def test_bad_profiles_and_windows_are_reported_at_once_with_their_lines() -> None:
    with pytest.raises(ScenarioError) as info:
        load_text(BAD, "bad.yaml")
    text = str(info.value)
    for want in (
        "bad.yaml:5: customers.activity_profile: needs 24 values, one per hour of the day, got 3",
        "bad.yaml:7: fulfilment.delivery_window.end: must be after start (21:00); a window "
        "over midnight is not supported",
        "bad.yaml:12: contact_reasons.0.activity_profile: needs at least one positive weight",
        "bad.yaml:16: contact_reasons.1.activity_profile.3: Input should be greater than or "
        "equal to 0 (got -1)",
        "bad.yaml:16: contact_reasons.1.activity_profile.23: Input should be a finite number "
        "(got nan)",
    ):
        assert want in text.splitlines(), text
    bad_time = BAD.replace('"21:00", end: "08:00"', '"8:00", end: "25:00"')
    with pytest.raises(ScenarioError) as info:
        load_text(bad_time, "bad.yaml")
    lines = str(info.value).splitlines()
    assert any(
        line.startswith("bad.yaml:7: fulfilment.delivery_window.start:") and "'8:00'" in line
        for line in lines
    ), lines
    assert any(line.startswith("bad.yaml:7: fulfilment.delivery_window.end:") for line in lines)


def test_promosim_validate_rejects_a_bad_profile(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "bad.yaml:5: customers.activity_profile" in result.output
