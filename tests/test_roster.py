"""Tests of sim.roster (the MILP roster), the extra-shift scenario fields and their rota.

The roster is checked against an exhaustive search on tiny cases (every integer combination,
by dynamic programming over the columns), then rule by rule: templates, breaks, per-day
limits, caps, lead times, what it cannot cover. A roster's ``extra_shifts`` block pasted into
a scenario must add at least the shortfall to its scheduled agents, cost what the roster
said in the payroll, and run in the engine.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
import yaml
from numpy.typing import NDArray

from sim.center import extra_spans, group_actions, group_levels, schedule_levels
from sim.config import (
    DEFAULT_SHIFT_TEMPLATES,
    AnySource,
    CloudSource,
    OutsourceSource,
    OvertimeSource,
    Scenario,
    ShiftsSchedule,
    ShiftTemplate,
    TempSource,
    break_start_minute,
)
from sim.economics import ShiftRate, outsource_contacts_per_hour, source_rates
from sim.experiment import run_arm
from sim.loading import ScenarioError, load_text
from sim.metrics import extra_shift_payroll, overlap
from sim.roster import (
    Grid,
    ShiftEdges,
    book,
    book_for,
    default_headcount,
    extra_shifts_block,
    roster_csv,
    uncovered_spans,
)
from tests.conftest import tiny_scenario

HOUR = 3600.0

# --------------------------------------------------------------------------- brute force

# A morning of four hourly intervals, 08:00 to 12:00 on 2026-11-02.
TINY = Grid(dt.datetime(2026, 11, 2, 8, 0), HOUR, 4)


def _tiny_shapes() -> list[tuple[int, int, list[int], int]]:
    """(template index, paid hours, intervals covered, start hour) of the tiny templates.

    Written from the rules, not from sim.roster: template 0 lasts 1 or 2 hours from 08..11;
    template 1 lasts 3 hours from 08 or 09 with its 60-minute break in its second hour.
    """
    shapes = []
    for s in range(8, 12):
        for length in (1, 2):
            shapes.append((0, length, [h - 8 for h in range(s, min(s + length, 12))], s))
    for s in (8, 9):
        shapes.append((1, 2, [h - 8 for h in (s, s + 2) if h < 12], s))
    return shapes


def _exhaustive(
    short: list[int],
    costs: dict[str, tuple[float, float]],
    caps: dict[str, int | None],
    tpl0_cap: int | None,
) -> tuple[int, float]:
    """(fewest agent-intervals left short, least cost with that) over every integer roster.

    ``costs``: source → (¥ per shift, ¥ per paid hour); ``caps``: source → most agents.
    Dynamic programming over the columns; a state is (remaining shortfall, agents used
    per source, template-0 agents used).
    """
    names = list(costs)
    columns = [(tpl, paid, cover, src) for tpl, paid, cover, _ in _tiny_shapes() for src in names]
    State = tuple[tuple[int, ...], tuple[int, ...], int]
    states: dict[State, float] = {(tuple(short), (0,) * len(names), 0): 0.0}
    for tpl, paid, cover, src in columns:
        per_shift, per_hour = costs[src]
        unit = per_shift + per_hour * paid
        i = names.index(src)
        nxt: dict[State, float] = {}
        for (need, used, tpl0), cost in states.items():
            for c in range(max(short) + 1):
                u2 = (*used[:i], used[i] + c, *used[i + 1 :])
                p2 = tpl0 + (c if tpl == 0 else 0)
                cap = caps[src]
                if (cap is not None and u2[i] > cap) or (tpl0_cap is not None and p2 > tpl0_cap):
                    break
                left = tuple(max(0, n - c) if k in cover else n for k, n in enumerate(need))
                key = (left, u2, p2)
                value = cost + c * unit
                if value < nxt.get(key, math.inf):
                    nxt[key] = value
        states = nxt
    best = min(states.items(), key=lambda kv: (sum(kv[0][0]), kv[1]))
    return sum(best[0][0]), best[1]


Case = tuple[list[int], dict[str, tuple[float, float]], dict[str, int | None], int | None]


def _tiny_case(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    short = [int(v) for v in rng.integers(0, 3, 4)]
    costs = {
        "temp": (float(rng.integers(50, 200)), 0.0),
        "cloud": (0.0, float(rng.integers(20, 90))),
    }
    caps: dict[str, int | None] = {
        name: None if rng.random() < 0.3 else int(rng.integers(0, 4)) for name in costs
    }
    tpl0_cap = None if rng.random() < 0.3 else int(rng.integers(0, 4))
    return short, costs, caps, tpl0_cap


def _tiny_book(case: Case) -> Any:
    short, costs, caps, tpl0_cap = case
    templates = [
        ShiftTemplate(
            name="a", hours=[1, 2], earliest="08:00", latest="11:00", max_per_day=tpl0_cap
        ),
        ShiftTemplate(
            name="b", hours=[3], earliest="08:00", latest="09:00", unpaid_break_minutes=60
        ),
    ]
    sources: dict[str, AnySource] = {
        "temp": TempSource(kind="temp", min_shift_hours=1, lead_days=0, max_agents=caps["temp"]),
        "cloud": CloudSource(kind="cloud", min_hours=1, lead_days=0, max_agents=caps["cloud"]),
    }
    rates = {
        ("g", "temp"): ShiftRate(per_shift=costs["temp"][0]),
        ("g", "cloud"): ShiftRate(per_hour=costs["cloud"][1], whole_hours=True),
    }
    return book({"g": np.array(short, dtype=np.int64)}, TINY, templates, sources, rates)


SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_roster_is_the_exhaustive_optimum(seed: int) -> None:
    case = _tiny_case(seed)
    short = case[0]
    uncovered, cost = _exhaustive(*case)
    roster = _tiny_book(case)
    assert roster.status == "optimal"
    assert int(roster.uncovered["g"].sum()) == uncovered, case
    assert roster.cost_yuan == pytest.approx(cost, abs=1e-6), case
    # what it books covers what it says it covers
    cover = np.zeros(4, dtype=np.int64)
    for b in roster.bookings:
        s = int(b.start[:2])
        (shape,) = [
            sh
            for sh in _tiny_shapes()
            if sh[3] == s and sh[0] == (b.template == "b") and sh[1] == round(b.paid_hours)
        ]
        cover[shape[2]] += b.agents
    assert (cover + roster.uncovered["g"] >= short).all()


def test_the_tiny_cases_include_capped_and_uncoverable_ones() -> None:
    cases = [_tiny_case(seed) for seed in SEEDS]
    found = [_exhaustive(*c)[0] for c in cases]
    assert any(n > 0 for n in found)
    assert any(n == 0 and sum(c[0]) > 0 for n, c in zip(found, cases, strict=True))
    assert any(c[3] is not None and c[3] < 2 for c in cases)


# --------------------------------------------------------------------------- the rules

DAY_GRID = Grid(dt.datetime(2026, 11, 10), 1800.0, 3 * 48)  # 11-10 .. 11-12, 30-min


def _short(pattern: dict[int, int], n: int = 3 * 48) -> NDArray[np.int64]:
    out = np.zeros(n, dtype=np.int64)
    for k, v in pattern.items():
        out[k] = v
    return out


def _cover(bookings: Any, grid: Grid, group: str) -> NDArray[np.float64]:
    """Agents on duty for the whole of each interval, from the bookings' clock times."""
    out = np.zeros(grid.n_intervals)
    w = grid.interval_seconds
    for b in bookings:
        if b.group != group:
            continue
        day = (b.date - grid.start.date()).days
        s = int(b.start[:2]) * 60 + int(b.start[3:])
        e = int(b.end[:2]) * 60 + int(b.end[3:])
        length = (e - s) % 1440 or 1440
        a = day * 86400 + s * 60 - grid.offset
        spans = [(a, a + length * 60)]
        if b.break_start is not None:
            p = a + ((int(b.break_start[:2]) * 60 + int(b.break_start[3:]) - s) % 1440) * 60
            spans = [(a, p), (p + b.break_minutes * 60, a + length * 60)]
        for lo, hi in spans:
            for k in range(grid.n_intervals):
                if k * w >= lo and (k + 1) * w <= hi:
                    out[k] += b.agents
    return out


def test_every_short_interval_is_covered_and_templates_are_kept() -> None:
    rng = np.random.default_rng(3)
    short = {
        "chat": _short({k: int(rng.integers(0, 5)) for k in range(20, 80)}),
        "phone": _short({k: int(rng.integers(0, 3)) for k in range(60, 80)}),
    }
    templates = list(DEFAULT_SHIFT_TEMPLATES)
    sources: dict[str, AnySource] = {
        "temp": TempSource(kind="temp", lead_days=0),
        "cloud": CloudSource(kind="cloud", lead_days=0),
    }
    rates = {(g, "temp"): ShiftRate(per_shift=190.0) for g in short} | {
        (g, "cloud"): ShiftRate(per_hour=40.0, whole_hours=True) for g in short
    }
    roster = book(short, DAY_GRID, templates, sources, rates)
    assert roster.covered and roster.status == "optimal"
    for g, need in short.items():
        assert (_cover(roster.bookings, DAY_GRID, g) >= need).all()
    by_name = {t.name: t for t in templates}
    for b in roster.bookings:
        t = by_name[b.template]
        s = int(b.start[:2]) * 60 + int(b.start[3:])
        e = int(b.end[:2]) * 60 + int(b.end[3:])
        assert s in t.start_minutes
        assert (e - s) % 1440 in {m % 1440 for m in t.lengths_minutes}
        assert b.break_minutes == t.unpaid_break_minutes
        assert b.paid_hours * 60 == pytest.approx(((e - s) % 1440 or 1440) - b.break_minutes)
        if b.source == "temp":
            assert b.paid_hours >= 4 and b.cost_yuan == pytest.approx(190.0 * b.agents)
        else:
            assert b.cost_yuan == pytest.approx(40.0 * math.ceil(b.paid_hours) * b.agents)
    assert roster.cost_yuan == pytest.approx(sum(b.cost_yuan for b in roster.bookings))
    assert sum(roster.cost_by_source.values()) == pytest.approx(roster.cost_yuan)
    # the peak day gets shifts, the quiet third day none
    assert {b.date for b in roster.bookings} <= {dt.date(2026, 11, 10), dt.date(2026, 11, 11)}


def test_the_break_sits_in_the_middle_on_the_interval_grid() -> None:
    assert break_start_minute(8 * 60, 9 * 60, 60, 30) == 12 * 60  # 08:00-17:00: 12:00
    assert break_start_minute(8 * 60 + 30, 9 * 60, 60, 60) == 12 * 60  # 12:30 → 12:00 (tie)
    assert break_start_minute(9 * 60, 9 * 60, 45, 15) == 13 * 60  # 13:07:30 → 13:00 (tie)
    assert break_start_minute(9 * 60, 9 * 60, 40, 15) == 13 * 60 + 15  # 13:10 → 13:15
    # a day shift's agent covers nothing on the break: a need only then is not met by it
    day = ShiftTemplate(
        name="day", hours=[9], earliest="08:00", latest="08:00", unpaid_break_minutes=60
    )
    temp = {"temp": TempSource(kind="temp", lead_days=0)}
    rates = {("g", "temp"): ShiftRate(per_shift=100.0)}
    need = _short(dict.fromkeys(range(16, 34), 1))  # 08:00-17:00 on 11-10
    roster = book({"g": need}, DAY_GRID, [day], temp, rates)
    assert int(roster.uncovered["g"].sum()) == 2  # 12:00-13:00
    assert roster.bookings[0].break_start == "12:00"


def test_per_day_template_limit_and_source_cap() -> None:
    need = _short(dict.fromkeys(range(20, 28), 5))  # 5 agents 10:00-14:00
    part = ShiftTemplate(name="part", hours=[4], earliest="10:00", latest="10:00", max_per_day=3)
    ext = ShiftTemplate(name="ext", hours=[4], earliest="10:00", latest="10:00")
    sources: dict[str, AnySource] = {
        "temp": TempSource(kind="temp", lead_days=0, max_agents=2),
        "cloud": CloudSource(kind="cloud", lead_days=0),
    }
    rates = {("g", "temp"): ShiftRate(per_shift=50.0), ("g", "cloud"): ShiftRate(per_hour=30.0)}
    roster = book({"g": need}, DAY_GRID, [part, ext], sources, rates)
    assert roster.covered
    per_template: dict[str, int] = {}
    per_source: dict[str, int] = {}
    for b in roster.bookings:
        per_template[b.template] = per_template.get(b.template, 0) + b.agents
        per_source[b.source] = per_source.get(b.source, 0) + b.agents
    assert per_template.get("part", 0) <= 3
    assert per_source == {"temp": 2, "cloud": 3}  # the cheap temps up to their cap
    assert roster.cost_yuan == pytest.approx(2 * 50 + 3 * 4 * 30)


def test_overtime_caps_per_day_and_month() -> None:
    # three days of 3 agents short 18:00-21:00; 2 may work overtime, 6 h a month each
    need = np.zeros(3 * 48, dtype=np.int64)
    for d in range(3):
        need[d * 48 + 36 : d * 48 + 42] = 3
    templates = list(DEFAULT_SHIFT_TEMPLATES)
    sources: dict[str, AnySource] = {
        "ot": OvertimeSource(kind="overtime", cap_hours_per_agent_month=6.0),
        "temp": TempSource(kind="temp", lead_days=0),
    }
    rates = {("g", "ot"): ShiftRate(per_hour=10.0), ("g", "temp"): ShiftRate(per_shift=500.0)}
    roster = book({"g": need}, DAY_GRID, templates, sources, rates, headcount={"g": 2})
    assert roster.covered
    ot = [b for b in roster.bookings if b.source == "ot"]
    assert all(b.paid_hours <= 3 for b in ot)
    for d in range(3):
        date = DAY_GRID.start.date() + dt.timedelta(days=d)
        assert sum(b.agents for b in ot if b.date == date) <= 2
    # 2 agents × 6 h: 3 h each on two dates; a temp covers the third agent, and all three
    # on the third date (a shorter overtime would not save a temp's day)
    assert sum(b.agent_hours for b in ot) == pytest.approx(12.0)
    assert sum(b.agents for b in roster.bookings if b.source == "temp") == 5
    # the source's own headcount overrides the default; none: no overtime at all
    none: dict[str, AnySource] = {
        "ot": OvertimeSource(kind="overtime", headcount={"g": 0}),
        "temp": sources["temp"],
    }
    roster = book({"g": need}, DAY_GRID, templates, none, rates, headcount={"g": 2})
    assert {b.source for b in roster.bookings} == {"temp"}
    # 3 h a month each: 11-30 and 12-01 each have their own cap, 11-28 and 11-29 share one
    tight: dict[str, AnySource] = {
        "ot": OvertimeSource(kind="overtime", cap_hours_per_agent_month=3.0),
        "temp": sources["temp"],
    }
    need2 = np.zeros(2 * 48, dtype=np.int64)
    need2[36:42] = need2[48 + 36 : 48 + 42] = 2
    for first, hours in ((dt.datetime(2026, 11, 30), 12.0), (dt.datetime(2026, 11, 28), 6.0)):
        grid = Grid(first, 1800.0, 2 * 48)
        roster = book({"g": need2}, grid, templates, tight, rates, headcount={"g": 2})
        ot = [b for b in roster.bookings if b.source == "ot"]
        assert sum(b.agent_hours for b in ot) == pytest.approx(hours), first


def test_overtime_only_next_to_the_group_s_own_shifts() -> None:
    """Staying on after 17:00 or coming in before 08:00; 21:00 is nobody's shift edge."""
    edges = {
        "g": ShiftEdges.of(
            ShiftsSchedule.model_validate(
                {"kind": "shifts", "shifts": [{"start": "08:00", "end": "17:00", "agents": 2}]}
            )
        )
    }
    assert edges["g"].ends == {17 * 60: 2} and edges["g"].starts == {8 * 60: 2}
    need = np.zeros(DAY_GRID.n_intervals, dtype=np.int64)
    need[34:38] = 3  # 17:00-19:00: three short, but only the two of the day shift stay on
    need[14:16] = 1  # 07:00-08:00: one comes in early
    need[42:44] = 1  # 21:00-22:00: nobody's edge
    templates = list(DEFAULT_SHIFT_TEMPLATES)
    sources: dict[str, AnySource] = {
        "ot": OvertimeSource(kind="overtime"),
        "temp": TempSource(kind="temp", lead_days=0),
    }
    rates = {("g", "ot"): ShiftRate(per_hour=10.0), ("g", "temp"): ShiftRate(per_shift=500.0)}
    roster = book(
        {"g": need}, DAY_GRID, templates, sources, rates, headcount={"g": 5}, shift_edges=edges
    )
    assert roster.covered
    ot = [b for b in roster.bookings if b.source == "ot"]
    assert {(b.start, b.end, b.agents) for b in ot} == {
        ("17:00", "19:00", 2),
        ("07:00", "08:00", 1),
    }
    temps = [b for b in roster.bookings if b.source == "temp"]
    # one temp's day covers the third agent at 17:00 and the one at 21:00
    assert len(temps) == 1 and temps[0].agents == 1
    assert temps[0].start <= "17:00" and temps[0].template == "day"
    # without the edges (a level schedule) overtime goes anywhere, up to the headcount
    anywhere = book({"g": need}, DAY_GRID, templates, sources, rates, headcount={"g": 5})
    assert {b.source for b in anywhere.bookings} == {"ot"}


def test_lead_days_and_what_cannot_be_covered() -> None:
    need = np.zeros(3 * 48, dtype=np.int64)
    for d in range(3):
        need[d * 48 + 20 : d * 48 + 28] = 2  # 10:00-14:00 each day
    part = ShiftTemplate(name="part", hours=[4], earliest="10:00", latest="10:00")
    sources = {"temp": TempSource(kind="temp", lead_days=2)}
    rates = {("g", "temp"): ShiftRate(per_shift=100.0)}
    roster = book({"g": need}, DAY_GRID, [part], sources, rates)
    assert {b.date for b in roster.bookings} == {dt.date(2026, 11, 12)}
    assert not roster.covered
    assert roster.uncovered["g"].sum() == 2 * 16
    spans = uncovered_spans(roster, DAY_GRID)
    assert spans == [
        ("g", dt.datetime(2026, 11, 10, 10), dt.datetime(2026, 11, 10, 14), 2),
        ("g", dt.datetime(2026, 11, 11, 10), dt.datetime(2026, 11, 11, 14), 2),
    ]
    # booked two days earlier, every date is in time
    early = book({"g": need}, DAY_GRID, [part], sources, rates, book_on=dt.date(2026, 11, 8))
    assert early.covered and early.cost_yuan == pytest.approx(6 * 100.0)
    # a source without a rate for the group is not offered
    none = book({"g": need}, DAY_GRID, [part], sources, {}, book_on=dt.date(2026, 11, 8))
    assert not none.bookings and (none.uncovered["g"] == need).all()


def test_caps_that_bind_leave_the_least_uncovered_and_say_so() -> None:
    need = _short(dict.fromkeys(range(20, 28), 4))
    part = ShiftTemplate(name="part", hours=[4], earliest="10:00", latest="10:00")
    sources = {"temp": TempSource(kind="temp", lead_days=0, max_agents=3)}
    rates = {("g", "temp"): ShiftRate(per_shift=100.0)}
    roster = book({"g": need}, DAY_GRID, [part], sources, rates)
    assert roster.status == "optimal"
    assert roster.bookings[0].agents == 3
    assert roster.uncovered["g"].sum() == 8  # one agent short in each of 8 intervals


def test_shifts_start_inside_the_horizon_and_may_run_past_it() -> None:
    grid = Grid(dt.datetime(2026, 11, 10, 20, 0), 1800.0, 8)  # 20:00-24:00
    need = np.zeros(8, dtype=np.int64)
    need[-2:] = 1  # 23:00-24:00
    t = ShiftTemplate(name="part", hours=[4], earliest="00:00", latest="23:00")
    sources = {"cloud": CloudSource(kind="cloud", lead_days=0)}
    roster = book({"g": need}, grid, [t], sources, {("g", "cloud"): ShiftRate(per_hour=10.0)})
    (b,) = roster.bookings
    assert b.start in {"20:00", "21:00", "22:00", "23:00"} and b.paid_hours == 4
    assert b.cost_yuan == pytest.approx(40.0)


def test_bad_input_is_refused() -> None:
    t = ShiftTemplate(name="part", hours=[4], sources=["nope"])
    with pytest.raises(ValueError, match="unknown source"):
        book({"g": np.zeros(144, dtype=np.int64)}, DAY_GRID, [t], {}, {})
    with pytest.raises(ValueError, match="144 values"):
        book({"g": np.zeros(10, dtype=np.int64)}, DAY_GRID, [], {}, {})


def test_the_default_size_solves_fast() -> None:
    """21 days of 30-minute intervals, 2 groups, the default templates, 4 sources."""
    days = 21
    grid = Grid(dt.datetime(2026, 10, 28), 1800.0, days * 48)
    rng = np.random.default_rng(1)
    short = {}
    for g in ("chat", "phone"):
        s = np.zeros(days * 48, dtype=np.int64)
        for d in range(0, days, 3):
            s[d * 48 + 40 : d * 48 + 46] = rng.integers(0, 3, 6)
        s[13 * 48 + 40 : 14 * 48 + 48] += rng.integers(2, 12, 56)
        short[g] = s
    sources: dict[str, AnySource] = {
        "overtime": OvertimeSource(kind="overtime"),
        "temp": TempSource(kind="temp", max_agents=20),
        "cloud": CloudSource(kind="cloud", max_agents=15),
        "outsource": OutsourceSource(kind="outsource"),
    }
    rates = {}
    for g in short:
        rates[(g, "overtime")] = ShiftRate(per_hour=60.0)
        rates[(g, "temp")] = ShiftRate(per_shift=190.0)
        rates[(g, "cloud")] = ShiftRate(per_hour=40.0, whole_hours=True)
        rates[(g, "outsource")] = ShiftRate(per_hour=35.0)
    roster = book(
        short, grid, DEFAULT_SHIFT_TEMPLATES, sources, rates, headcount={"chat": 6, "phone": 3}
    )
    assert roster.status == "optimal"
    for g, need in short.items():
        assert (_cover(roster.bookings, grid, g) + roster.uncovered[g] >= need).all()


# --------------------------------------------------------------------------- outputs


def test_csv_and_the_extra_shifts_block_merge_consecutive_dates() -> None:
    need = np.zeros(3 * 48, dtype=np.int64)
    for d in range(3):
        need[d * 48 + 20 : d * 48 + 28] = 2
    part = ShiftTemplate(name="part", hours=[4], earliest="10:00", latest="10:00")
    sources = {"temp": TempSource(kind="temp", lead_days=0)}
    rates = {("g", "temp"): ShiftRate(per_shift=100.0)}
    roster = book({"g": need}, DAY_GRID, [part], sources, rates)
    text = roster_csv(roster)
    lines = text.splitlines()
    assert lines[0] == "date,group,source,start,end,agents,cost_yuan"
    assert lines[1] == "2026-11-10,g,temp,10:00,14:00,2,200.00"
    assert len(lines) == 4
    assert extra_shifts_block(roster, "g") == [
        {
            "source": "temp",
            "first_day": "2026-11-10",
            "last_day": "2026-11-12",
            "start": "10:00",
            "end": "14:00",
            "agents": 2,
        }
    ]
    assert extra_shifts_block(roster, "other") == []


# --------------------------------------------------------------------------- scenarios


def _scenario(**staffing: Any) -> dict[str, Any]:
    """tiny_scenario over two days of 30-minute intervals from 2026-11-10, a shift rota."""
    data = tiny_scenario(
        calendar={"start": "2026-11-10T00:00:00", "days": 2, "interval_minutes": 30}
    )
    data["replications"] = 1
    group = data["staffing"]["groups"][0]
    group["schedule"] = {
        "kind": "shifts",
        "shifts": [{"start": "08:00", "end": "17:00", "agents": 3}],
    }
    data["staffing"].update(staffing)
    return data


def _load(data: dict[str, Any]) -> Scenario:
    return load_text(yaml.safe_dump(data, allow_unicode=True)).scenario


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        _load(data)
    return [f"{p.path}: {p.message}" for p in info.value.problems]


def _per_interval(levels: Any, cal: Any) -> NDArray[np.float64]:
    edges = np.arange(cal.n_intervals + 1, dtype=np.float64) * cal.interval_seconds
    ends = np.concatenate([levels.times[1:], [cal.horizon_seconds]])
    out: NDArray[np.float64] = overlap(levels.times, ends, levels.agents, edges) / np.diff(edges)
    return out


@pytest.mark.parametrize("schedule", ["shifts", "constant"])
def test_a_pasted_roster_adds_the_shortfall_and_runs(schedule: str) -> None:
    data = _scenario(
        sources={
            "temp": {"kind": "temp", "lead_days": 0, "max_agents": 2},
            "cloud": {"kind": "cloud", "lead_days": 0},
            "ot": {"kind": "overtime"},
        }
    )
    if schedule == "constant":
        data["staffing"]["groups"][0]["schedule"] = {"kind": "constant", "agents": 2}
    base = _load(data)
    cal = base.calendar
    short = np.zeros(cal.n_intervals, dtype=np.int64)
    short[36:46] = [1, 2, 3, 3, 4, 4, 3, 2, 1, 1]  # 18:00-23:00 on 11-10
    short[48 + 16 : 48 + 34] = 2  # 08:00-17:00 on 11-11 (around a break)
    roster = book_for(base, {"agents": short})
    assert roster.covered, roster
    block = extra_shifts_block(roster, "agents")
    data["staffing"]["groups"][0]["extra_shifts"] = block
    booked = _load(data)
    group = booked.staffing.groups[0]
    added = _per_interval(group_levels(group, cal), cal) - _per_interval(
        schedule_levels(group.schedule, cal.horizon_seconds, cal.interval_seconds), cal
    )
    assert (added >= short - 1e-9).all()
    # the payroll charges each extra shift at its source's rate, as the roster priced it
    hours, cost = extra_shift_payroll(booked, 0.0, cal.horizon_seconds)
    assert cost["agents"] == pytest.approx(roster.cost_yuan)
    assert hours["agents"] == pytest.approx(sum(b.agent_hours for b in roster.bookings))
    # the engine brings them on duty
    before = run_arm(base, 0).overall
    after = run_arm(booked, 0).overall
    assert after["agent_hours"] - before["agent_hours"] >= hours["agents"] - 1e-6
    assert after["payroll_yuan"] > before["payroll_yuan"]


def test_extra_shift_crews_are_distinct_and_breaks_split_them() -> None:
    data = _scenario()
    data["staffing"]["groups"][0]["extra_shifts"] = [
        {
            "source": "in_house",
            "first_day": "2026-11-10",
            "last_day": "2026-11-11",
            "start": "12:00",
            "end": "21:00",
            "agents": 2,
            "break_start": "16:00",
            "break_minutes": 60,
        },
        {
            "source": "temp",
            "first_day": "2026-11-11",
            "last_day": "2026-11-11",
            "start": "22:00",
            "end": "02:00",
            "agents": 1,
        },
    ]
    sc = _load(data)
    group, cal = sc.staffing.groups[0], sc.calendar
    actions = group_actions(group, cal)
    crews_on = [c for _, acts in actions for kind, c, _ in acts if kind == "on"]
    assert all(c is not None for c in crews_on) and len(set(crews_on)) == len(crews_on)
    assert len(crews_on) == 2 + 2 * 2 + 1  # schedule × 2 days, 2 parts × 2 days, 1
    lv = group_levels(group, cal)
    at = dict(zip(lv.times.tolist(), lv.agents.tolist(), strict=True))
    assert at[12 * HOUR] == 5 and at[16 * HOUR] == 3 and at[17 * HOUR] == 0 + 2
    assert at[21 * HOUR] == 0
    # the shift over midnight runs to the horizon's end and is clipped there
    assert lv.agents[-1] == 1 and lv.times[-1] == (24 + 22) * HOUR
    spans = extra_spans(group, cal)
    assert [s.paid_seconds for s in spans] == [8 * HOUR, 8 * HOUR, 4 * HOUR]
    # in_house at the group's rate: 8 h × 2 agents × 2 days
    hours, cost = extra_shift_payroll(sc, 0.0, cal.horizon_seconds)
    rate = source_rates(sc)
    assert hours["agents"] == pytest.approx(32 + 2)  # the temp's 2 h before the end
    assert cost["agents"] == pytest.approx(
        32 * rate[("agents", "in_house")].per_hour + 190.0 * 2 / 4
    )


def test_a_level_schedule_nets_changes_at_one_instant() -> None:
    data = _scenario()
    data["staffing"]["groups"][0]["schedule"] = {"kind": "hourly", "agents": [1] * 12 + [3] * 12}
    data["staffing"]["groups"][0]["extra_shifts"] = [
        {
            "source": "in_house",
            "first_day": "2026-11-10",
            "last_day": "2026-11-10",
            "start": "09:00",
            "end": "12:00",
            "agents": 2,
        }
    ]
    sc = _load(data)
    actions = group_actions(sc.staffing.groups[0], sc.calendar)
    at = dict(actions)
    assert at[9 * HOUR] == [("on", None, 2)]
    assert 12 * HOUR not in at  # −2 of the shift and +2 of the hourly level cancel
    assert all(c is None for _, acts in actions for _, c, _ in acts)


def test_without_the_new_fields_nothing_changes() -> None:
    sc = _load(_scenario())
    group, cal = sc.staffing.groups[0], sc.calendar
    assert group_actions(group, cal) == [
        (t, a)
        for t, a in __import__("sim.center", fromlist=["schedule_actions"]).schedule_actions(
            group.schedule, cal.horizon_seconds, cal.interval_seconds
        )
    ]
    dumped = sc.model_dump(mode="json")["staffing"]
    assert set(dumped) == {"groups", "channel_priority"}
    assert "extra_shifts" not in dumped["groups"][0]
    assert extra_shift_payroll(sc, 0.0, cal.horizon_seconds) == ({}, {})
    assert set(sc.staffing.sources_in_force) == {"overtime", "temp"}
    assert sc.staffing.templates_in_force == DEFAULT_SHIFT_TEMPLATES


def test_rates_and_defaults_of_the_sources() -> None:
    data = _scenario(
        sources={
            "ot": {"kind": "overtime"},
            "ot2": {"kind": "overtime", "premium": 2.0, "headcount": {"agents": 1}},
            "temp": {"kind": "temp"},
            "cloud": {"kind": "cloud", "cost_yuan_per_hour": 35},
            "out": {"kind": "outsource"},
            "out2": {"kind": "outsource", "contacts_per_agent_hour": 10},
        }
    )
    sc = _load(data)
    rates = source_rates(sc)
    hourly = rates[("agents", "in_house")].per_hour
    assert rates[("agents", "ot")].per_hour == pytest.approx(1.5 * hourly)
    assert rates[("agents", "ot2")].per_hour == pytest.approx(2.0 * hourly)
    assert rates[("agents", "temp")] == ShiftRate(per_shift=190.0)
    assert rates[("agents", "cloud")] == ShiftRate(per_hour=35.0, whole_hours=True)
    # phone: 300 s mean handle time, concurrency 1, occupancy 0.8 → 9.6 contacts an hour
    out = sc.staffing.sources_in_force["out"]
    assert isinstance(out, OutsourceSource)
    assert outsource_contacts_per_hour(sc, "agents", out) == pytest.approx(9.6)
    assert outsource_contacts_per_hour(sc, "agents", out, {"phone": 600.0}) == pytest.approx(4.8)
    assert rates[("agents", "out")].per_hour == pytest.approx(1.2 * 9.6)
    assert rates[("agents", "out2")].per_hour == pytest.approx(12.0)
    assert ShiftRate(per_hour=10.0, whole_hours=True).cost_yuan(61) == pytest.approx(20.0)
    assert default_headcount(sc) == {"agents": 3}


# --------------------------------------------------------------------------- validation


def test_good_new_fields_load() -> None:
    data = _scenario(
        book_on="2026-11-01",
        shift_templates=[
            {
                "name": "early",
                "hours": [4, 8.5],
                "earliest": "06:00",
                "latest": "10:00",
                "step_minutes": 30,
                "unpaid_break_minutes": 30,
                "max_per_day": 5,
                "sources": ["temp"],
            },
        ],
        sources={"temp": {"kind": "temp", "cost_yuan_per_day": 220, "ramp_days": 3}},
    )
    data["staffing"]["groups"][0]["extra_shifts"] = [
        {
            "source": "temp",
            "first_day": "2026-11-10",
            "last_day": "2026-11-11",
            "start": "06:00",
            "end": "14:30",
            "agents": 2,
            "break_start": "10:00",
            "break_minutes": 30,
        },
    ]
    sc = _load(data)
    (t,) = sc.staffing.templates_in_force
    assert t.lengths_minutes == [240, 510]
    assert t.start_minutes == list(range(360, 601, 30))
    assert sc.staffing.book_on == dt.date(2026, 11, 1)
    x = sc.staffing.groups[0].extra_shifts[0]
    assert (x.length_minutes, x.paid_minutes, x.days) == (510, 480, 2)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"shift_templates": [{"name": "a", "hours": [4.01]}]}, "whole minutes"),
        ({"shift_templates": [{"name": "a", "hours": [13]}]}, "less than or equal to 12"),
        ({"shift_templates": [{"name": "a", "hours": [4], "latest": "24:00"}]}, "before 24:00"),
        (
            {
                "shift_templates": [
                    {"name": "a", "hours": [4], "earliest": "09:00", "latest": "08:00"}
                ]
            },
            "latest: must not be before earliest",
        ),
        (
            {"shift_templates": [{"name": "a", "hours": [1], "unpaid_break_minutes": 60}]},
            "shorter than every length",
        ),
        (
            {"shift_templates": [{"name": "a", "hours": [4]}, {"name": "a", "hours": [6]}]},
            "repeated: a",
        ),
        (
            {"shift_templates": [{"name": "a", "hours": [4], "sources": ["zz"]}]},
            "unknown source 'zz'",
        ),
        (
            {"sources": {"temp": {"kind": "temp", "cost_yuan_per_day": -1}}},
            "greater than or equal to 0",
        ),
        ({"sources": {"x": {"kind": "agency"}}}, "agency"),
        ({"sources": {"in_house": {"kind": "temp"}}}, "own agents"),
        ({"sources": {"ot": {"kind": "overtime", "headcount": {"nobody": 2}}}}, "unknown group"),
        (
            {"sources": {"ot": {"kind": "overtime", "cap_hours_per_agent_day": True}}},
            "valid number",
        ),
        ({"book_on": "2026-13-01"}, "date"),
    ],
)
def test_bad_new_fields_are_reported(change: dict[str, Any], expected: str) -> None:
    found = _problems(_scenario(**change))
    assert any(expected in p for p in found), found
    assert all(p.startswith("staffing.") for p in found), found


@pytest.mark.parametrize(
    ("shift", "path", "expected"),
    [
        ({"source": "nope"}, "source", "unknown source 'nope' (known: overtime, temp, in_house)"),
        ({"first_day": "2026-11-09"}, "first_day", "before the horizon's first date 2026-11-10"),
        ({"last_day": "2026-11-12"}, "last_day", "after the horizon's last date 2026-11-11"),
        ({"first_day": "2026-11-11", "last_day": "2026-11-10"}, "last_day", "must not be before"),
        ({"break_start": "12:00"}, "break_minutes", "together"),
        ({"break_start": "07:00", "break_minutes": 30}, "break_start", "inside the shift"),
        ({"break_start": "13:45", "break_minutes": 30}, "break_start", "inside the shift"),
        ({"agents": -1}, "agents", "greater than or equal to 0"),
        ({"start": "25:00"}, "start", "not a time of day"),
    ],
)
def test_bad_extra_shifts_are_reported_at_their_field(
    shift: dict[str, Any], path: str, expected: str
) -> None:
    data = _scenario()
    entry = {
        "source": "temp",
        "first_day": "2026-11-10",
        "last_day": "2026-11-11",
        "start": "10:00",
        "end": "14:00",
        "agents": 1,
    } | shift
    data["staffing"]["groups"][0]["extra_shifts"] = [entry]
    found = _problems(data)
    assert any(
        p.startswith(f"staffing.groups.0.extra_shifts.0.{path}: ") and expected in p for p in found
    ), found


def test_errors_point_at_the_line() -> None:
    text = yaml.safe_dump(
        _scenario(sources={"temp": {"kind": "temp", "lead_days": 400}}), sort_keys=False
    )
    with pytest.raises(ScenarioError) as info:
        load_text(text, name="s.yaml")
    (p,) = info.value.problems
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "lead_days" in t)
    assert str(p).startswith(f"s.yaml:{line}: staffing.sources.temp.lead_days: ")
