"""Extra shifts' sources in the engine: temps ramp up, outsourced agents resolve less.

An agent of a booked extra shift (a ``shifts`` group's crew) serves with its source's
factors (``sim.config.serve_factors``): the contact's drawn handle time times the handle
factor, its resolution probability times the resolution factor, from the same uniforms.
Checked contact by contact against the draws, by direction under common random numbers,
and for factors 1: the same results, to the bit, as the group's own agents.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sim.center import ANSWERED, CenterResult, group_rota, simulate_center
from sim.center.presale import orders_of_inquiries
from sim.config import (
    CloudSource,
    OutsourceSource,
    OvertimeSource,
    Scenario,
    TempSource,
    serve_factors,
)
from sim.demand import Contacts, generate, inquiry_reason
from sim.economics import outsource_contacts_per_hour
from sim.experiment import run_arm
from sim.loading import load_text
from sim.rng import Streams
from sim.uniforms import U_RESOLVE
from tests.conftest import tiny_scenario
from tests.test_center import check_invariants, scenarios
from tests.test_presale import shop
from tests.test_streaming import assert_same_fates

HOUR = 3600.0
DAY = 86400.0
REPLICATIONS = 6

# the booked shift: 10:00-19:00 with an unpaid hour from 14:00, so two crews a date
SHIFT = {"start": "10:00", "end": "19:00", "break_start": "14:00", "break_minutes": 60}


def _data(
    source: dict[str, Any] | None, schedule: str = "shifts", agents: int = 3
) -> dict[str, Any]:
    """Four days of calls from 2026-11-10; two own agents 08:00-20:00, ``agents`` extra ones.

    ``source``: the extra shifts' source as ``staffing.sources.extra`` (None: ``in_house``).
    Every answered contact resolves (the arrivals' reason), and 70% of unresolved ones come
    back: repeats count the answers that a resolution factor turned.
    """
    data = tiny_scenario(
        calendar={"start": "2026-11-10T00:00:00", "days": 4, "interval_minutes": 30},
        arrivals=[{"kind": "poisson", "channel": "phone", "contacts_per_hour": 36}],
        journey={"repeat_probability": 0.7, "repeat_lag_hours": {"dist": "exponential", "mean": 2}},
    )
    data["replications"] = REPLICATIONS
    group = data["staffing"]["groups"][0]
    if schedule == "shifts":
        group["schedule"] = {
            "kind": "shifts",
            "shifts": [{"start": "08:00", "end": "20:00", "agents": 2}],
        }
    else:
        group["schedule"] = {"kind": "constant", "agents": 2}
    group["extra_shifts"] = [
        {
            "source": "extra" if source is not None else "in_house",
            "first_day": "2026-11-10",
            "last_day": "2026-11-13",
            "agents": agents,
            **SHIFT,
        }
    ]
    if source is not None:
        data["staffing"]["sources"] = {"extra": {"lead_days": 0, **source}}
    return data


def _load(data: dict[str, Any]) -> Scenario:
    return load_text(yaml.safe_dump(data, allow_unicode=True)).scenario


TEMP = {"kind": "temp", "ramp_days": 2}
TEMP_FLAT = {**TEMP, "ramp_handle_time_factor": 1.0, "ramp_resolution_factor": 1.0}


def _run(s: Scenario, replication: int = 0) -> tuple[Contacts, CenterResult]:
    streams = Streams(s.seed, replication)
    contacts = generate(s, streams).contacts
    return contacts, simulate_center(s, contacts, streams.issues, named=streams)


def _extra_day(r: CenterResult) -> NDArray[np.int64]:
    """Per agent id, the date (0: the first) of the extra shift it works, −1 for the own.

    The own crews come on at 08:00, the extra ones at 10:00 and 15:00 (after the break).
    """
    on = np.full(int(r.spells[:, 0].max()) + 1, np.nan)
    on[r.spells[:, 0].astype(np.int64)] = r.spells[:, 2]
    clock = np.mod(on, DAY)
    extra = (clock == 10 * HOUR) | (clock == 15 * HOUR)
    return np.where(extra, (on // DAY).astype(np.int64), -1)


def _fields(r: CenterResult) -> dict[str, Any]:
    """Every field of a result, the contacts' columns spread out."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(r):
        value = getattr(r, f.name)
        if isinstance(value, Contacts):
            out |= {f"contacts.{k}": v for k, v in dataclasses.asdict(value).items()}
        else:
            out[f.name] = value
    return out


def _assert_identical(a: CenterResult, b: CenterResult) -> None:
    fa, fb = _fields(a), _fields(b)
    assert fa.keys() == fb.keys()
    for name, value in fa.items():
        other = fb[name]
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype, name
            assert value.tobytes() == other.tobytes(), name
        elif isinstance(value, tuple) and value and hasattr(value[0], "times"):
            for x, y in zip(value, other, strict=True):
                assert x.times.tobytes() == y.times.tobytes(), name
                assert x.agents.tobytes() == y.agents.tobytes(), name
        else:
            assert value == other, name


# --------------------------------------------------------------------------- the factors


def test_serve_factors_by_source_and_date() -> None:
    temp = TempSource(kind="temp", ramp_days=2, ramp_handle_time_factor=1.5)
    assert serve_factors(temp, 0) == serve_factors(temp, 1) == (1.5, 0.9)
    assert serve_factors(temp, 2) == serve_factors(temp, 30) == (1.0, 1.0)
    assert serve_factors(TempSource(kind="temp", ramp_days=0), 0) == (1.0, 1.0)
    out = OutsourceSource(kind="outsource", handle_time_factor=1.1, resolution_factor=0.5)
    assert serve_factors(out, 0) == serve_factors(out, 9) == (1.1, 0.5)
    assert serve_factors(OutsourceSource(kind="outsource"), 3) == (1.0, 0.9)
    assert serve_factors(CloudSource(kind="cloud", handle_time_factor=1.2), 5) == (1.2, 1.0)
    assert serve_factors(CloudSource(kind="cloud"), 0) == (1.0, 1.0)
    assert serve_factors(OvertimeSource(kind="overtime"), 0) == (1.0, 1.0)
    assert serve_factors(None, 0) == (1.0, 1.0)  # in_house


def test_each_extra_crew_knows_its_shift_and_date() -> None:
    s = _load(_data(TEMP))
    actions, worked = group_rota(s.staffing.groups[0], s.calendar)
    on = {c for _, acts in actions for kind, c, _ in acts if kind == "on"}
    assert len(worked) == 2 * 4 and set(worked) <= on  # two parts a date, four dates
    assert sorted(x.day for x in worked.values()) == [0, 0, 1, 1, 2, 2, 3, 3]
    level = _load(_data(TEMP, schedule="constant"))
    assert group_rota(level.staffing.groups[0], level.calendar)[1] == {}


# --------------------------------------------------------------------------- (a) contact by contact


def test_temps_serve_slower_and_less_sure_on_their_ramp_dates_only() -> None:
    s = _load(_data(TEMP))
    streams = Streams(s.seed, 0)
    contacts = generate(s, streams).contacts
    drawn = contacts.handle_seconds.copy()
    r = simulate_center(s, contacts, streams.issues, named=streams)
    # the draws are the contacts' own: the engine leaves its inputs alone
    assert contacts.handle_seconds.tobytes() == drawn.tobytes()
    assert r.contacts is not None and r.contacts.decide is not None and r.resolved is not None
    n = len(contacts)
    answered = r.outcome[:n] == ANSWERED
    day = np.where(answered, _extra_day(r)[r.agent[:n]], -2)
    ramp, after, own = (day == 0) | (day == 1), (day == 2) | (day == 3), day == -1
    assert ramp.sum() > 100 and after.sum() > 100 and own.sum() > 100
    served = r.contacts.handle_seconds[:n]
    assert served[ramp].tobytes() == (drawn[ramp] * 1.3).tobytes()
    assert served[after | own].tobytes() == drawn[after | own].tobytes()
    assert served[~answered].tobytes() == drawn[~answered].tobytes()
    # the arrivals' reason always resolves: a ramping temp's answer resolves when u < 0.9
    u = r.contacts.decide[:n, U_RESOLVE]
    ended = r.resolved[:n] >= 0
    assert np.array_equal(r.resolved[:n][ramp & ended] == 1, u[ramp & ended] < 0.9)
    assert np.all(r.resolved[:n][(after | own) & ended] == 1)
    assert np.any(r.resolved[:n][ramp & ended] == 0)
    check_invariants(s, contacts, r)


@pytest.mark.parametrize(
    "source",
    [
        {"kind": "outsource", "handle_time_factor": 1.25, "resolution_factor": 0.5},
        {"kind": "cloud", "handle_time_factor": 0.8},
    ],
)
def test_outsourced_and_cloud_agents_serve_with_their_factors_on_every_date(
    source: dict[str, Any],
) -> None:
    s = _load(_data(source))
    contacts, r = _run(s)
    assert r.contacts is not None and r.contacts.decide is not None and r.resolved is not None
    n = len(contacts)
    answered = r.outcome[:n] == ANSWERED
    extra = answered & (_extra_day(r)[r.agent[:n]] >= 0)
    assert extra.sum() > 200
    factor = source["handle_time_factor"]
    served = r.contacts.handle_seconds[:n]
    drawn = contacts.handle_seconds
    assert served[extra].tobytes() == (drawn[extra] * factor).tobytes()
    assert served[~extra].tobytes() == drawn[~extra].tobytes()
    p = source.get("resolution_factor", 1.0)
    ended = extra & (r.resolved[:n] >= 0)
    u = r.contacts.decide[:n, U_RESOLVE]
    assert np.array_equal(r.resolved[:n][ended] == 1, u[ended] < p)
    check_invariants(s, contacts, r)


def test_a_paced_replication_streams_contact_by_contact() -> None:
    s = _load(_data({"kind": "outsource", "handle_time_factor": 1.25, "resolution_factor": 0.5}))
    assert_same_fates(s, 1, HOUR, 0)
    assert_same_fates(_load(_data(TEMP)), 0, 4321.5, 7)


# --------------------------------------------------------------------------- (b), (c) directions


def test_ramping_temps_raise_aht_and_repeats_paired() -> None:
    slow, flat = _load(_data(TEMP)), _load(_data(TEMP_FLAT))
    for rep in range(REPLICATIONS):
        a, b = run_arm(slow, rep).overall, run_arm(flat, rep).overall
        assert a["phone.aht_seconds"] > b["phone.aht_seconds"], rep
        assert a["repeat_contacts"] > b["repeat_contacts"], rep


def test_a_lower_outsourced_resolution_factor_raises_repeats_paired() -> None:
    repeats = {
        f: [
            run_arm(_load(_data({"kind": "outsource", "resolution_factor": f})), rep).overall[
                "repeat_contacts"
            ]
            for rep in range(REPLICATIONS)
        ]
        for f in (0.5, 0.9, 1.0)
    }
    for rep in range(REPLICATIONS):
        assert repeats[0.5][rep] > repeats[0.9][rep] > repeats[1.0][rep] == 0, rep


# --------------------------------------------------------------------------- (d) factors 1


@pytest.mark.parametrize(
    "source",
    [
        TEMP_FLAT,
        {**TEMP, "ramp_days": 0},
        {"kind": "outsource", "resolution_factor": 1.0},
        {"kind": "cloud"},
        {"kind": "overtime"},
    ],
)
def test_factors_of_one_give_the_own_agents_results_to_the_bit(source: dict[str, Any]) -> None:
    own = _load(_data(None))
    other = _load(_data(source))
    for rep in (0, 1):
        _assert_identical(_run(own, rep)[1], _run(other, rep)[1])


def test_a_level_groups_extra_shifts_serve_at_factor_one() -> None:
    """A level's agents are interchangeable (any of them may leave when it falls): no pace."""
    own = _load(_data(None, schedule="constant"))
    for source in (TEMP, {"kind": "outsource", "resolution_factor": 0.5}):
        _assert_identical(_run(own)[1], _run(_load(_data(source, schedule="constant")))[1])


def test_the_outsourcer_is_priced_on_its_slower_contacts_per_hour() -> None:
    s = _load(_data({"kind": "outsource"}))
    base = OutsourceSource(kind="outsource")
    slow = OutsourceSource(kind="outsource", handle_time_factor=2.0)
    assert outsource_contacts_per_hour(s, "agents", base) == 3600 / 300 * 0.8
    assert outsource_contacts_per_hour(s, "agents", slow) == pytest.approx(3600 / 600 * 0.8)


# --------------------------------------------------------------------------- any scenario


@st.composite
def booked(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario of ``tests.test_center.scenarios`` with extra shifts of paced sources."""
    data = draw(scenarios())
    data["staffing"]["sources"] = {
        "temp": {
            "kind": "temp",
            "lead_days": 0,
            "ramp_days": draw(st.integers(1, 2)),
            "ramp_handle_time_factor": draw(st.sampled_from([0.5, 1.0, 1.7])),
            "ramp_resolution_factor": draw(st.sampled_from([0.0, 0.6, 1.0])),
        },
        "bpo": {
            "kind": "outsource",
            "lead_days": 0,
            "handle_time_factor": draw(st.sampled_from([1.0, 1.3])),
            "resolution_factor": draw(st.sampled_from([0.5, 1.0])),
        },
    }
    if draw(st.integers(0, 3)):  # crews of their own: the paced case
        shifts = [{"start": "00:00", "end": "23:00", "agents": draw(st.integers(0, 3))}]
        data["staffing"]["groups"][0]["schedule"] = {"kind": "shifts", "shifts": shifts}
    hours = min(24, round(data["calendar"]["days"] * 24))  # a shift of the first day
    for g in data["staffing"]["groups"]:
        start = draw(st.integers(0, hours - 2))
        g["extra_shifts"] = [
            {
                "source": draw(st.sampled_from(["temp", "bpo", "temp", "bpo", "in_house"])),
                "first_day": "2026-11-01",
                "last_day": "2026-11-01",
                "start": f"{start:02d}:00",
                "end": f"{min(24, start + draw(st.integers(1, 3))):02d}:00",
                "agents": draw(st.integers(1, 3)),
            }
        ]
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(booked(), st.sampled_from([900.0, 3600.0]), st.sampled_from([0, 7]))
def test_paced_agents_keep_every_invariant_and_stream_alike(
    data: dict[str, Any], segment: float, batch: int
) -> None:
    s = Scenario.model_validate(data)
    contacts, r = _run(s)
    check_invariants(s, contacts, r)
    assert_same_fates(s, 0, segment, batch)


# --------------------------------------------------------------------------- pre-sale conversion


def _shop(conversion: float | None) -> Scenario:
    """``tests.test_presale.shop`` on a crew rota, with two extra agents by day.

    Two own agents round the clock and two of an extra shift 08:00-20:00 each date,
    outsourced with ``conversion`` (None: in-house).
    """
    source = {"kind": "outsource", "lead_days": 0, "resolution_factor": 1.0}
    extra = {
        "source": "bpo" if conversion is not None else "in_house",
        "first_day": "2026-01-05",
        "last_day": "2026-01-07",
        "start": "08:00",
        "end": "20:00",
        "agents": 2,
    }
    group = {
        "name": "chat",
        "channels": ["chat"],
        "schedule": {"kind": "shifts", "shifts": [{"start": "00:00", "end": "24:00", "agents": 2}]},
        "extra_shifts": [extra],
    }
    changes: dict[str, Any] = {"staffing__groups": [group]}
    if conversion is not None:
        changes["staffing__sources"] = {"bpo": {**source, "conversion_factor": conversion}}
    return shop(**changes)


def test_an_outsourced_answer_lifts_the_chance_to_order_by_its_conversion_factor() -> None:
    s = _shop(0.5)
    p = s.presale
    assert p is not None
    streams = Streams(s.seed, 0)
    contacts = generate(s, streams).contacts
    r = simulate_center(s, contacts, streams.issues, named=streams)
    assert r.agent_conversion is not None and r.contacts is not None
    assert set(np.unique(r.agent_conversion)) == {0.5, 1.0}
    j, kept = orders_of_inquiries(p, inquiry_reason(s), r)
    c = r.contacts
    assert c.placed_seconds is not None and c.keep_draw is not None
    answered = (r.outcome[j] == ANSWERED) & (r.answer_seconds[j] <= c.placed_seconds[j])
    if r.left is not None:
        answered &= ~r.left[j]
    factor = r.agent_conversion[r.agent[j]]
    outsourced, own = answered & (factor == 0.5), answered & (factor == 1.0)
    assert outsourced.sum() > 50 and own.sum() > 50
    # contact by contact: floor + (1 − floor) · c · e^(−λw) against the inquiry's uniform
    wait = r.answer_seconds[j] - c.arrival_seconds[j]
    lift = (1 - p.keep_floor) * np.exp(-(p.keep_per_minute / 60) * wait)
    for mask, f in ((outsourced, 0.5), (own, 1.0)):
        want = c.keep_draw[j][mask] < p.keep_floor + lift[mask] * f
        assert np.array_equal(kept[mask], want)
    check_invariants(s, contacts, r)
    # the engine voids a lost order's later contacts on the same decision, streamed alike
    assert_same_fates(s, 0, 3 * HOUR, 7)


def test_a_lower_conversion_factor_keeps_fewer_orders_paired() -> None:
    kept = {
        f: [run_arm(_shop(f), rep).overall["orders_from_inquiries"] for rep in range(3)]
        for f in (0.3, 0.8, 1.0)
    }
    own = [run_arm(_shop(None), rep).overall["orders_from_inquiries"] for rep in range(3)]
    for rep in range(3):
        assert kept[0.3][rep] < kept[0.8][rep] < kept[1.0][rep] == own[rep], rep
    # factor 1: the outsourced crew's results are the own agents', to the bit
    _assert_identical(_run(_shop(None))[1], _run(_shop(1.0))[1])
