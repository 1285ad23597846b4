"""The shop's clock (:mod:`sim.localtime`): every time of day in a scenario is local.

``calendar.start`` is time 0 and the local date-time it stands for. A horizon that starts
at 20:00 on a Sunday has its 08:00 shift 12 hours in, its orders' hour 09 from 13 to 14
hours in, and its first 4 hours on Sunday. Per-horizon lists count from time 0. Scenarios
that start at midnight are unchanged byte for byte (``tests/test_golden.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from sim.center import schedule_actions, schedule_levels, simulate_center
from sim.config import HourlySchedule, IntervalSchedule, Scenario, ShiftsSchedule
from sim.demand import DemandStream, first_contacts, generate
from sim.localtime import LocalClock, day_label
from sim.rng import Streams
from sim.staffing import CONFIDENCE, FreshCheck, StaffPlan, scheduled_agents
from tests.conftest import tiny_scenario
from tests.test_demand_stream import assert_same_contacts, every, presale, streamed

DAY = 86400.0
HOUR = 3600.0
START = dt.datetime(2026, 11, 8, 20)  # a Sunday, 20:00
CLOCK = LocalClock.of(START)


def scenario(days: float = 2, start: dt.datetime = START, **extra: Any) -> Scenario:
    data = tiny_scenario(calendar={"start": start.isoformat(), "days": days})
    data.update(extra)
    return Scenario.model_validate(data)


def local_hour(t: NDArray[np.float64], start: dt.datetime = START) -> NDArray[np.int64]:
    """Hour of the shop's clock of times ``t``, computed here from the date-times."""
    return np.array([(start + dt.timedelta(seconds=float(x))).hour for x in t], dtype=np.int64)


def test_the_clock_of_a_start_at_20_00_on_a_sunday() -> None:
    assert CLOCK == LocalClock(offset=20 * HOUR, weekday0=6)
    day, second = CLOCK.split(np.array([0.0, 4 * HOUR, 12 * HOUR, -21 * HOUR]))
    assert day.tolist() == [0, 1, 1, -1] and (second / HOUR).tolist() == [20, 0, 8, 23]
    assert [CLOCK.weekday(d) for d in (-1, 0, 1)] == [5, 6, 0]  # Sat, Sun, Mon
    assert CLOCK.at(1, 8 * HOUR) == 12 * HOUR
    assert LocalClock.of(dt.datetime(2026, 11, 9)) == LocalClock(0.0, 0)
    # 30-minute steps overlapping a 2-day horizon: from local 20:00 (step 40) to 20:00
    assert CLOCK.steps(1800.0, 2 * DAY) == range(40, 40 + 96)


# --------------------------------------------------------------------------- the rota


def test_an_08_00_shift_starts_at_local_08_00() -> None:
    """Starting at 20:00, the 08:00–17:00 shift is on duty from 12 h to 21 h, and again."""
    shift = {"kind": "shifts", "shifts": [{"start": "08:00", "end": "17:00", "agents": 4}]}
    s = scenario(staffing={"groups": [{"name": "a", "channels": ["phone"], "schedule": shift}]})
    # the staffing module reads the scenario's start: 30-minute intervals 24–41 are 08–17
    want = np.zeros(96)
    want[24:42] = want[72:90] = 4
    assert scheduled_agents(s)["a"].tolist() == want.tolist()
    sched = ShiftsSchedule.model_validate(shift)
    horizon = s.calendar.horizon_seconds
    actions = schedule_actions(sched, horizon, offset=CLOCK.offset)
    assert actions == [
        (12 * HOUR, [("on", 0, 4)]),
        (21 * HOUR, [("off", 0, 4)]),
        (36 * HOUR, [("on", 1, 4)]),
        (45 * HOUR, [("off", 1, 4)]),
    ]
    lv = schedule_levels(sched, horizon, offset=CLOCK.offset)
    assert lv.times.tolist() == [0.0, 12 * HOUR, 21 * HOUR, 36 * HOUR, 45 * HOUR]
    assert lv.agents.tolist() == [0, 4, 0, 4, 0]


def test_hourly_and_a_day_of_intervals_are_local_a_horizon_of_intervals_is_not() -> None:
    hours = [0] * 24
    hours[8] = 5  # 08:00–09:00
    lv = schedule_levels(HourlySchedule(kind="hourly", agents=hours), DAY, offset=CLOCK.offset)
    assert lv.times.tolist() == [0.0, 12 * HOUR, 13 * HOUR]
    assert lv.agents.tolist() == [0, 5, 0]
    day = [0] * 48
    day[16] = 2  # 08:00–08:30
    lv = schedule_levels(
        IntervalSchedule(kind="intervals", agents=day), DAY, 1800.0, offset=CLOCK.offset
    )
    assert lv.times.tolist() == [0.0, 12 * HOUR, 12.5 * HOUR]
    assert lv.agents.tolist() == [0, 2, 0]
    whole = [0] * 96  # two days: one value per interval from time 0
    whole[16] = 2
    lv = schedule_levels(
        IntervalSchedule(kind="intervals", agents=whole), 2 * DAY, 1800.0, offset=CLOCK.offset
    )
    assert lv.times.tolist() == [0.0, 8 * HOUR, 8.5 * HOUR]


def test_a_start_off_the_hour_cuts_the_first_hour() -> None:
    """From 20:10, hour 20's level holds for 50 minutes, hour 21's from 0:50 on."""
    hours = list(range(24))
    clock = LocalClock.of(dt.datetime(2026, 11, 8, 20, 10))
    lv = schedule_levels(HourlySchedule(kind="hourly", agents=hours), 3 * HOUR, offset=clock.offset)
    assert lv.times.tolist() == [0.0, 50 * 60.0, 110 * 60.0, 170 * 60.0]
    assert lv.agents.tolist() == [20, 21, 22, 23]


def test_the_engine_s_agents_come_on_duty_at_local_08_00() -> None:
    shift = {"kind": "shifts", "shifts": [{"start": "08:00", "end": "17:00", "agents": 4}]}
    s = scenario(staffing={"groups": [{"name": "a", "channels": ["phone"], "schedule": shift}]})
    r = simulate_center(s, first_contacts(s, Streams(s.seed, 0)))
    assert r.scheduled[0].times.tolist()[:3] == [0.0, 12 * HOUR, 21 * HOUR]


def test_a_staffing_plan_s_day_is_the_shop_s_day() -> None:
    """A requirement 12 hours after a 20:00 start is an 08:00 requirement of the next date."""
    s = scenario(days=1)
    need = np.zeros(48, dtype=np.int64)
    need[24] = 3  # the interval from 12 h: local 08:00–08:30
    plan = StaffPlan(
        scenario=s,
        targets=(),
        per_interval=True,
        interval_starts=np.arange(48, dtype=np.float64) * 1800.0,
        interval_seconds=1800.0,
        required={"agents": need},
        unplanned=(),
        erlang={},
        scheduled={"agents": np.zeros(48)},
        metrics={},
        low={},
        high={},
        overall={},
        overall_ci={},
        met=True,
        fresh=FreshCheck(1, 1, 1, CONFIDENCE, {}, {}, {}, {}),
        iterations=0,
        simulations=0,
        scale=None,
        hourly_cost_yuan={},
    )
    next_day = (s.calendar.start.date() + dt.timedelta(days=1)).isoformat()
    assert plan.peak_short("agents") == (3, next_day, "08:00", "08:30")
    assert plan.by_day(plan.short_agents("agents")) == {next_day: 1.5}


# --------------------------------------------------------------------------- demand


def orders_scenario(**orders: Any) -> Scenario:
    return scenario(days=3, orders={"per_day": 3000, **orders})


def test_an_intraday_profile_in_hour_09_puts_every_order_in_local_09_00() -> None:
    profile = [0.0] * 24
    profile[9] = 1.0
    s = orders_scenario(intraday_profile=profile, lead_in_days=1)
    t = generate(s, Streams(s.seed, 0)).order_seconds
    assert t.size > 8000
    assert (local_hour(t) == 9).all()
    assert ((t >= 13 * HOUR) & (t < 14 * HOUR)).any()  # day 1's 09:00 is 13 h in


def test_weekday_factors_follow_the_local_date() -> None:
    """From Sunday 20:00, only the first 4 hours of the horizon are Sunday."""
    sunday = [0.0] * 6 + [1.0]
    s = orders_scenario(weekday_factors=sunday)
    t = generate(s, Streams(s.seed, 0)).order_seconds
    # the whole start date is drawn, its hours before 20:00 as lead-in
    assert t.size > 2000 and t.min() >= -20 * HOUR and t.max() < 4 * HOUR
    assert ((t >= 0) & (t < 4 * HOUR)).sum() > 300
    monday = [1.0] + [0.0] * 6
    t = generate(orders_scenario(weekday_factors=monday), Streams(s.seed, 0)).order_seconds
    assert t.size > 2000 and t.min() >= 4 * HOUR and t.max() < 28 * HOUR


@pytest.mark.parametrize("per_day", [24, 48])
def test_a_day_s_arrival_profile_is_local_a_horizon_s_counts_from_time_0(per_day: int) -> None:
    rates = [0.0] * per_day
    rates[9 * per_day // 24] = 600.0  # 09:00 to 10:00 (hourly) or 09:30 (half-hourly)
    arrivals = [{"kind": "profile", "channel": "phone", "contacts_per_hour": rates}]
    s = scenario(arrivals=arrivals)
    t = first_contacts(s, Streams(s.seed, 0)).arrival_seconds
    assert t.size > 200 and (local_hour(t) == 9).all()
    whole = [0.0] * 96
    whole[0] = 600.0  # the first 30 minutes of the horizon
    s = scenario(arrivals=[{**arrivals[0], "contacts_per_hour": whole}])
    t = first_contacts(s, Streams(s.seed, 0)).arrival_seconds
    assert t.size > 200 and t.max() < 1800.0


def test_an_arrival_profile_from_a_start_off_the_hour() -> None:
    """From 20:10, hour 20 of a flat hourly profile lasts 50 minutes: every step is local."""
    rates = [0.0] * 24
    rates[20] = 3600.0
    start = dt.datetime(2026, 11, 8, 20, 10)
    s = scenario(
        days=1,
        start=start,
        arrivals=[{"kind": "profile", "channel": "phone", "contacts_per_hour": rates}],
    )
    t = first_contacts(s, Streams(s.seed, 0)).arrival_seconds
    assert (local_hour(t, start) == 20).all()
    first = t < 50 * 60.0
    assert 2500 < first.sum() < 3500 and (t[~first] >= 23 * HOUR + 50 * 60.0).all()


def test_a_stream_from_20_00_is_the_one_piece_demand() -> None:
    """Order days from local midnights still stream exactly, pre-sale lags included."""
    data = presale({"dist": "exponential", "mean": 3}, start=START.isoformat())
    data["orders"]["intraday_profile"] = [1.0] * 8 + [3.0] * 16
    s = Scenario.model_validate(data)
    want = generate(s, Streams(s.seed, 0)).contacts
    assert len(want) > 1000
    stream = DemandStream(s, Streams(s.seed, 0))
    assert_same_contacts(streamed(stream, every(HOUR)(s, 0)), want)


# --------------------------------------------------------------------------- outputs


def test_a_day_is_named_by_its_date_or_by_its_first_instant() -> None:
    midnight = dt.datetime(2026, 11, 8)
    assert day_label(midnight, 1) == "2026-11-09"
    assert day_label(midnight, 1, short=True) == "11-09 Mon"
    assert day_label(START, 1) == "2026-11-09T20:00:00"
    assert day_label(START, 0, short=True) == "11-08 Sun 20:00"
