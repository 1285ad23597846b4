"""The roster: which extra shifts to book to cover a staffing shortfall, at the least cost.

``promosim staff`` finds the agents each group needs per calendar interval; where the
scenario's schedule has fewer, the difference is the *shortfall*. :func:`book` turns a
shortfall into extra shifts from the scenario's sources (overtime, temps, cloud agents, an
outsourcer, docs/model.md#booking-extra-shifts), each on one of the shift templates, by a
mixed-integer linear program solved to optimality by HiGHS (``scipy.optimize.milp``)::

    minimise   Σ_j cost_j · x_j                      x_j ∈ {0, 1, 2, …}
    subject to Σ_j cover_jk · x_j ≥ short_gk         each group g and interval k short
               Σ x_j (template t, date d) ≤ max_per_day_t
               Σ x_j (source s, date d) ≤ max_agents_s
               Σ x_j (overtime s, group g, date d) ≤ headcount_sg
               Σ paid_hours_j · x_j (overtime s, group g, month m) ≤ cap_s · headcount_sg

A column ``j`` is one agent of one source working one template length from one allowed
start on one local date for one group, and ``x_j`` how many are booked. The rules:

- A shift covers an interval (``cover_jk`` = 1) only if its agent is on duty for the whole
  interval: not before the start, not after the end, not on the unpaid break.
- A shift starts inside the horizon (at or after its first instant); one running past the
  horizon's end covers up to the end and is paid in full.
- A group's shift is never on duty in an interval where nobody of the group can work
  (``closed``: every channel it serves is closed then).
- A source is offered to a group only with a rate for the pair (``rates``), on the
  templates that list it (or list none), on dates at least its ``lead_days`` after
  ``book_on``. Overtime takes shifts of at most ``cap_hours_per_agent_day`` paid hours
  (one agent's extension), next to the group's own shifts when it has them (staying on
  after a shift's end or coming in before its start, at most that shift's agents), at
  most ``headcount`` agents per group and date, and at most
  ``cap_hours_per_agent_month`` × headcount hours per group in each calendar month of the
  dates (assuming none was worked earlier in the month). Temps and the outsourcer take
  shifts of at least ``min_shift_hours`` paid hours, cloud agents of at least
  ``min_hours``.
- Cost of one agent's shift: :meth:`sim.economics.ShiftRate.cost_yuan` of its paid
  minutes (a temp's day costs the same at any length; cloud hours are billed whole).

Where some shortfall cannot be covered (no source reaches a date in time, caps run out),
:func:`book` covers all it can: it first minimises the agent-intervals left uncovered, then
the cost with that many uncovered, and returns what is left in :attr:`Roster.uncovered`.
A surplus (agents beyond the shortfall) is allowed; it only costs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix, hstack, vstack

from sim.center.rota import schedule_levels
from sim.columns import ROSTER_COLUMNS
from sim.config import (
    IN_HOUSE,
    AnySource,
    Calendar,
    CloudSource,
    OutsourceSource,
    OvertimeSource,
    Scenario,
    ShiftsSchedule,
    ShiftTemplate,
    TempSource,
    break_start_minute,
)
from sim.economics import ShiftRate, source_rates
from sim.localtime import LocalClock

_DAY = 86400.0
_EPS = 1e-9


@dataclass(frozen=True)
class Grid:
    """The calendar as the roster sees it.

    Attributes:
        start: Local date-time of time 0 (``calendar.start``).
        interval_seconds: Length of a calendar interval, s (whole minutes).
        n_intervals: Intervals in the horizon.
    """

    start: dt.datetime
    interval_seconds: float
    n_intervals: int

    @staticmethod
    def of(calendar: Calendar) -> Grid:
        """The grid of a scenario's calendar."""
        return Grid(calendar.start, calendar.interval_seconds, calendar.n_intervals)

    @property
    def offset(self) -> float:
        """Seconds from the start date's midnight to time 0."""
        return LocalClock.of(self.start).offset

    @property
    def horizon_seconds(self) -> float:
        """Length of the horizon, s."""
        return self.n_intervals * self.interval_seconds

    @property
    def days(self) -> int:
        """Local dates the horizon touches."""
        return math.floor((self.horizon_seconds + self.offset) / _DAY - _EPS) + 1


@dataclass(frozen=True)
class ShiftEdges:
    """Where a group's own daily shifts end and start, for overtime next to them.

    Attributes:
        ends: Minute of the local day (0–1439) → agents whose shift ends then.
        starts: Minute of the local day → agents whose shift starts then.
    """

    ends: dict[int, int]
    starts: dict[int, int]

    @staticmethod
    def of(schedule: ShiftsSchedule) -> ShiftEdges:
        """The edges of a ``shifts`` schedule."""
        ends: dict[int, int] = {}
        starts: dict[int, int] = {}
        for sh in schedule.shifts:
            if sh.agents:
                end = (sh.start_minute + sh.length_minutes) % 1440
                ends[end] = ends.get(end, 0) + sh.agents
                starts[sh.start_minute] = starts.get(sh.start_minute, 0) + sh.agents
        return ShiftEdges(ends, starts)


@dataclass(frozen=True)
class Booking:
    """Agents of one source booked on one shift on one local date for one group.

    Attributes:
        date: Local date the shift starts on.
        group: Group name.
        source: Source name.
        template: The shift template's name.
        start: Local start ``HH:MM``.
        end: Local end ``HH:MM`` (at or before ``start``: the next day; ``24:00``: midnight).
        break_start: Local start of the unpaid break (None: no break).
        break_minutes: Unpaid break, min.
        agents: Agents booked.
        paid_hours: One agent's paid hours (length less the break), h.
        cost_yuan: What all ``agents`` cost, ¥.
    """

    date: dt.date
    group: str
    source: str
    template: str
    start: str
    end: str
    break_start: str | None
    break_minutes: int
    agents: int
    paid_hours: float
    cost_yuan: float

    @property
    def agent_hours(self) -> float:
        """Paid agent-hours of the booking, h."""
        return self.agents * self.paid_hours


@dataclass(frozen=True)
class Roster:
    """Extra shifts to book, what they cost, and the shortfall they leave.

    Attributes:
        bookings: By date, group, start, source.
        cost_yuan: Total cost, ¥.
        cost_by_source: Source → ¥.
        agent_hours_by_source: Source → paid agent-hours, h.
        uncovered: Group → agents still short per calendar interval (zeros: covered).
        status: ``optimal``, or ``time limit`` (the best roster found in the time given).
    """

    bookings: tuple[Booking, ...]
    cost_yuan: float
    cost_by_source: dict[str, float]
    agent_hours_by_source: dict[str, float]
    uncovered: dict[str, NDArray[np.int64]]
    status: str

    @property
    def covered(self) -> bool:
        """Whether the roster covers the whole shortfall."""
        return not any(u.any() for u in self.uncovered.values())


@dataclass
class _Columns:
    """The MILP's columns, one list entry per column."""

    group: list[int]
    day: list[int]
    template: list[int]
    length: list[int]
    start: list[int]
    source: list[str]
    paid: list[int]
    cost: list[float]
    upper: list[int]
    # on-duty interval ranges [k0, k1) of each column (one or two)
    seg_col: list[int]
    seg_k0: list[int]
    seg_k1: list[int]
    # an overtime column next to a shift: (limit key, agents of that shift edge)
    edge: list[tuple[tuple[Any, ...], int] | None] = field(default_factory=list)


def _fits(src: AnySource, paid_minutes: int) -> bool:
    """Whether a source takes a shift of ``paid_minutes`` paid minutes."""
    match src:
        case OvertimeSource():
            return paid_minutes <= src.cap_hours_per_agent_day * 60 + _EPS
        case CloudSource():
            return paid_minutes >= src.min_hours * 60
        case TempSource() | OutsourceSource():
            return paid_minutes >= src.min_shift_hours * 60 - _EPS
    raise TypeError(src)  # pragma: no cover


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def book(
    short: Mapping[str, NDArray[np.int64]],
    grid: Grid,
    templates: Sequence[ShiftTemplate],
    sources: Mapping[str, AnySource],
    rates: Mapping[tuple[str, str], ShiftRate],
    *,
    headcount: Mapping[str, int] | None = None,
    book_on: dt.date | None = None,
    closed: Mapping[str, NDArray[np.bool_]] | None = None,
    shift_edges: Mapping[str, ShiftEdges] | None = None,
    time_limit_seconds: float = 60.0,
) -> Roster:
    """The cheapest extra shifts covering a shortfall (see the module docstring).

    Args:
        short: Group → agents short per calendar interval (``grid.n_intervals`` values ≥ 0).
        grid: The calendar.
        templates: Shift templates.
        sources: Source name → source.
        rates: (group, source) → what one agent's shift costs; a pair without a rate is
            not offered (and a rate of a source not in ``sources`` is ignored).
        headcount: Group → agents who may work overtime, where an overtime source's own
            ``headcount`` does not name the group (absent: 0, no overtime).
        book_on: The booking date lead days count from (default: the horizon's first date).
        closed: Group → per interval, whether nobody of it can work then (every channel it
            serves closed throughout): no shift of the group is on duty in such an
            interval.
        shift_edges: Group → where its own shifts end and start (:class:`ShiftEdges`):
            overtime of such a group only extends a shift (starts at its end, or ends at
            its start) with at most that shift's agents; a group not in it (a level
            schedule) takes overtime at any hour.
        time_limit_seconds: HiGHS's time limit per solve.

    Returns:
        The roster; :attr:`Roster.uncovered` holds what no allowed shift could cover.

    Raises:
        ValueError: A shortfall of the wrong length or negative, or a template naming an
            unknown source.
        RuntimeError: HiGHS found no roster within the time limit.
    """
    n, w = grid.n_intervals, grid.interval_seconds
    if abs(w / 60 - round(w / 60)) > _EPS or w <= 0:
        raise ValueError(f"the interval must be whole minutes, got {w!r} s")
    names = list(short)
    need = np.zeros((len(names), n), dtype=np.int64)
    for gi, g in enumerate(names):
        arr = np.asarray(short[g])
        if arr.shape != (n,) or (arr < 0).any():
            raise ValueError(
                f"group {g!r}: the shortfall needs {n} values ≥ 0 (one per interval), "
                f"got shape {arr.shape}"
            )
        need[gi] = arr
    for t in templates:
        for r in t.sources or []:
            if r not in sources:
                raise ValueError(f"template {t.name!r} names unknown source {r!r}")
    day0 = grid.start.date()
    booked_on = day0 if book_on is None else book_on
    offset, horizon = grid.offset, grid.horizon_seconds
    interval_minutes = round(w / 60)

    def staff(g: str, r: str, src: AnySource) -> int:
        if isinstance(src, OvertimeSource) and src.headcount and g in src.headcount:
            return src.headcount[g]
        return (headcount or {}).get(g, 0)

    cols = _Columns([], [], [], [], [], [], [], [], [], [], [], [])
    for d in range(grid.days):
        date = day0 + dt.timedelta(days=d)
        offered = [
            (r, src)
            for r, src in sources.items()
            if (date - booked_on).days >= src.lead_days  # date ≥ book_on + lead_days
        ]
        if not offered:
            continue
        for ti, t in enumerate(templates):
            brk = t.unpaid_break_minutes
            for length in t.lengths_minutes:
                paid = length - brk
                for s in t.start_minutes:
                    a = d * _DAY + s * 60.0 - offset
                    if a < -_EPS or a >= horizon - _EPS:
                        continue
                    if brk:
                        b0 = break_start_minute(s, length, brk, interval_minutes)
                        p = a + (b0 - s) * 60.0
                        spans = [(a, p), (p + brk * 60.0, a + length * 60.0)]
                    else:
                        spans = [(a, a + length * 60.0)]
                    ranges = []
                    for lo, hi in spans:
                        k0 = max(math.ceil(lo / w - _EPS), 0)
                        k1 = min(math.floor(hi / w + _EPS), n)
                        if k1 > k0:
                            ranges.append((k0, k1))
                    if not ranges:
                        continue
                    for gi, g in enumerate(names):
                        upper = max(int(need[gi, k0:k1].max()) for k0, k1 in ranges)
                        if upper == 0:
                            continue
                        shut = None if closed is None else closed.get(g)
                        if shut is not None and any(shut[k0:k1].any() for k0, k1 in ranges):
                            continue
                        for r, src in offered:
                            if (g, r) not in rates or (
                                t.sources is not None and r not in t.sources
                            ):
                                continue
                            if not _fits(src, paid):
                                continue
                            # (upper bound, edge limit) of each column to add
                            variants: list[tuple[int, tuple[tuple[Any, ...], int] | None]]
                            if isinstance(src, OvertimeSource):
                                hc = staff(g, r, src)
                                edges = None if shift_edges is None else shift_edges.get(g)
                                if edges is None:
                                    variants = [(min(upper, hc), None)]
                                else:
                                    # staying on after a shift, or coming in before one
                                    late = edges.ends.get(s % 1440, 0)
                                    e = s + length
                                    early = edges.starts.get(e % 1440, 0)
                                    variants = [
                                        (min(upper, hc, late), (("late", g, d, s), late)),
                                        (
                                            min(upper, hc, early),
                                            (("early", g, d + e // 1440, e % 1440), early),
                                        ),
                                    ]
                            else:
                                variants = [(upper, None)]
                            for upper_j, edge in variants:
                                if upper_j <= 0:
                                    continue
                                j = len(cols.group)
                                cols.group.append(gi)
                                cols.day.append(d)
                                cols.template.append(ti)
                                cols.length.append(length)
                                cols.start.append(s)
                                cols.source.append(r)
                                cols.paid.append(paid)
                                cols.cost.append(rates[(g, r)].cost_yuan(paid))
                                cols.upper.append(upper_j)
                                cols.edge.append(edge)
                                for k0, k1 in ranges:
                                    cols.seg_col.append(j)
                                    cols.seg_k0.append(k0)
                                    cols.seg_k1.append(k1)
    x, status, left = _solve(cols, need, names, templates, sources, day0, staff, time_limit_seconds)
    return _roster(cols, x, status, left, names, templates, day0, interval_minutes)


def _solve(
    cols: _Columns,
    need: NDArray[np.int64],
    names: list[str],
    templates: Sequence[ShiftTemplate],
    sources: Mapping[str, AnySource],
    day0: dt.date,
    staff: Callable[[str, str, AnySource], int],
    time_limit: float,
) -> tuple[NDArray[np.int64], str, NDArray[np.int64]]:
    """Agents per column, the solver's status, and the agents left short per (group, k)."""
    n_groups, n = need.shape
    m = len(cols.group)
    left = need.copy()
    if m == 0:
        return np.zeros(0, dtype=np.int64), "optimal", left
    # coverage entries (column, group × n + interval) of every on-duty range
    seg_col = np.asarray(cols.seg_col, dtype=np.int64)
    k0 = np.asarray(cols.seg_k0, dtype=np.int64)
    lengths = np.asarray(cols.seg_k1, dtype=np.int64) - k0
    first = np.cumsum(lengths) - lengths
    col_of = np.repeat(seg_col, lengths)
    k = np.arange(int(lengths.sum())) - np.repeat(first, lengths) + np.repeat(k0, lengths)
    flat = np.asarray(cols.group, dtype=np.int64)[col_of] * n + k
    keep = need.ravel()[flat] > 0
    col_of, flat = col_of[keep], flat[keep]
    rows_needed = np.unique(flat)
    row_of = np.full(n_groups * n, -1, dtype=np.int64)
    row_of[rows_needed] = np.arange(len(rows_needed))
    n_cover = len(rows_needed)
    cover = coo_matrix((np.ones(len(col_of)), (row_of[flat], col_of)), shape=(n_cover, m)).tocsr()
    # what no column reaches stays short; what some column reaches must be covered
    reached = np.zeros(n_groups * n, dtype=bool)
    reached[rows_needed] = True
    left.ravel()[reached] = 0
    cover_lb = need.ravel()[rows_needed].astype(np.float64)
    # limits: (key) → columns (and coefficients), with an upper bound
    limits: dict[tuple[Any, ...], tuple[list[int], list[float], float]] = {}

    def limit(key: tuple[Any, ...], j: int, coef: float, ub: float) -> None:
        entry = limits.setdefault(key, ([], [], ub))
        entry[0].append(j)
        entry[1].append(coef)

    for j in range(m):
        d, r = cols.day[j], cols.source[j]
        t = templates[cols.template[j]]
        if t.max_per_day is not None:
            limit(("template", cols.template[j], d), j, 1.0, t.max_per_day)
        src = sources[r]
        if not isinstance(src, OvertimeSource):
            if src.max_agents is not None:
                limit(("source", r, d), j, 1.0, src.max_agents)
            continue
        g = names[cols.group[j]]
        hc = staff(g, r, src)
        limit(("overtime day", r, g, d), j, 1.0, hc)
        edge = cols.edge[j]
        if edge is not None:
            limit(("overtime edge", r, *edge[0]), j, 1.0, edge[1])
        date = day0 + dt.timedelta(days=d)
        limit(
            ("overtime month", r, g, date.year, date.month),
            j,
            cols.paid[j] / 60.0,
            src.cap_hours_per_agent_month * hc,
        )
    rows, data, cidx, ubs = [], [], [], []
    for i, (js, coefs, bound) in enumerate(limits.values()):
        rows += [i] * len(js)
        cidx += js
        data += coefs
        ubs.append(bound)
    extra = coo_matrix((data, (rows, cidx)), shape=(len(ubs), m)).tocsr()
    a = vstack([cover, extra]).tocsr()
    lb = np.concatenate([cover_lb, np.full(len(ubs), -np.inf)])
    ub = np.concatenate([np.full(n_cover, np.inf), np.asarray(ubs, dtype=np.float64)])
    cost = np.asarray(cols.cost, dtype=np.float64)
    upper = np.asarray(cols.upper, dtype=np.float64)
    options = {"time_limit": time_limit, "mip_rel_gap": 1e-7}
    res = milp(
        cost,
        integrality=np.ones(m),
        bounds=Bounds(np.zeros(m), upper),
        constraints=LinearConstraint(a, lb, ub),
        options=options,
    )
    if res.status == 2:  # infeasible: cover the most agent-intervals, then the cheapest way
        slack = vstack([csr_matrix(np.eye(n_cover)), csr_matrix((len(ubs), n_cover))])
        a2 = hstack([a, slack]).tocsr()
        bounds = Bounds(np.zeros(m + n_cover), np.concatenate([upper, cover_lb]))
        ints = np.ones(m + n_cover)
        phase1 = milp(
            np.concatenate([np.zeros(m), np.ones(n_cover)]),
            integrality=ints,
            bounds=bounds,
            constraints=LinearConstraint(a2, lb, ub),
            options=options,
        )
        if phase1.x is None:
            raise RuntimeError(
                f"no roster found within {time_limit:g} s: raise the time limit or book "
                "fewer dates at once"
            )
        worst = round(phase1.fun)
        cap = csr_matrix(np.concatenate([np.zeros(m), np.ones(n_cover)])[None, :])
        res = milp(
            np.concatenate([cost, np.zeros(n_cover)]),
            integrality=ints,
            bounds=bounds,
            constraints=[LinearConstraint(a2, lb, ub), LinearConstraint(cap, -np.inf, worst)],
            options=options,
        )
        if res.x is None:
            res = phase1
        u = np.round(res.x[m:]).astype(np.int64)
        left.ravel()[rows_needed] = u
    if res.x is None:
        raise RuntimeError(
            f"no roster found within {time_limit:g} s: raise the time limit or book fewer "
            "dates at once"
        )
    x = np.round(res.x[:m]).astype(np.int64)
    return x, "optimal" if res.status == 0 else "time limit", left


def _roster(
    cols: _Columns,
    x: NDArray[np.int64],
    status: str,
    left: NDArray[np.int64],
    names: list[str],
    templates: Sequence[ShiftTemplate],
    day0: dt.date,
    interval_minutes: int,
) -> Roster:
    bookings = []
    for j in np.flatnonzero(x).tolist():
        t = templates[cols.template[j]]
        s, length, brk = cols.start[j], cols.length[j], t.unpaid_break_minutes
        end = (s + length) % 1440
        agents = int(x[j])
        bookings.append(
            Booking(
                date=day0 + dt.timedelta(days=cols.day[j]),
                group=names[cols.group[j]],
                source=cols.source[j],
                template=t.name,
                start=_hhmm(s),
                end="24:00" if end == 0 else _hhmm(end),
                break_start=_hhmm(break_start_minute(s, length, brk, interval_minutes) % 1440)
                if brk
                else None,
                break_minutes=brk,
                agents=agents,
                paid_hours=cols.paid[j] / 60.0,
                cost_yuan=agents * cols.cost[j],
            )
        )
    bookings.sort(key=lambda b: (b.date, names.index(b.group), b.start, b.source, b.template))
    by_source: dict[str, list[float]] = {}
    hours: dict[str, list[float]] = {}
    for b in bookings:
        by_source.setdefault(b.source, []).append(b.cost_yuan)
        hours.setdefault(b.source, []).append(b.agent_hours)
    return Roster(
        bookings=tuple(bookings),
        cost_yuan=math.fsum(b.cost_yuan for b in bookings),
        cost_by_source={r: math.fsum(v) for r, v in sorted(by_source.items())},
        agent_hours_by_source={r: math.fsum(v) for r, v in sorted(hours.items())},
        uncovered={g: left[gi].copy() for gi, g in enumerate(names)},
        status=status,
    )


def default_headcount(scenario: Scenario) -> dict[str, int]:
    """Group → the most agents its own schedule has on duty at once (overtime's default)."""
    cal = scenario.calendar
    offset = LocalClock.of(cal.start).offset
    out = {}
    for g in scenario.staffing.groups:
        lv = schedule_levels(g.schedule, cal.horizon_seconds, cal.interval_seconds, offset=offset)
        out[g.name] = int(lv.agents.max()) if len(lv.agents) else 0
    return out


def book_for(
    scenario: Scenario,
    short: Mapping[str, NDArray[np.int64]],
    *,
    aht_seconds: Mapping[str, float] | None = None,
    lengths_hours: Sequence[float] | None = None,
    closed: Mapping[str, NDArray[np.bool_]] | None = None,
    time_limit_seconds: float = 60.0,
) -> Roster:
    """:func:`book` with the scenario's templates, sources, rates, headcount and book_on.

    Every source in force is offered to every group (``in_house`` is not: extra regular
    agents for a day are not bookable); a group on a ``shifts`` schedule takes overtime
    only next to its own shifts (:class:`ShiftEdges`). ``aht_seconds``: measured mean
    handle times by
    channel, for the outsourcer's rate (:func:`sim.economics.source_rates`).
    ``lengths_hours``: shift lengths that replace every template's ``hours`` (a template
    whose unpaid break is not shorter than one of them is left out). ``closed``: as
    :func:`book`'s.
    """
    st = scenario.staffing
    rates = {k: v for k, v in source_rates(scenario, aht_seconds).items() if k[1] != IN_HOUSE}
    templates = st.templates_in_force
    if lengths_hours is not None:
        hours = list(dict.fromkeys(float(h) for h in lengths_hours))
        templates = tuple(
            ShiftTemplate.model_validate({**t.model_dump(), "hours": hours})
            for t in templates
            if all(t.unpaid_break_minutes < h * 60 for h in hours)
        )
    return book(
        short,
        Grid.of(scenario.calendar),
        templates,
        st.sources_in_force,
        rates,
        headcount=default_headcount(scenario),
        book_on=st.book_on,
        closed=closed,
        shift_edges={
            g.name: ShiftEdges.of(g.schedule)
            for g in st.groups
            if isinstance(g.schedule, ShiftsSchedule)
        },
        time_limit_seconds=time_limit_seconds,
    )


def uncovered_spans(roster: Roster, grid: Grid) -> list[tuple[str, dt.datetime, dt.datetime, int]]:
    """The shortfall a roster leaves, in runs of consecutive intervals.

    Returns:
        (group, local start, local end, most agents short in the run), by group and time.
    """
    out = []
    step = dt.timedelta(seconds=grid.interval_seconds)
    for g, left in roster.uncovered.items():
        k = 0
        while k < len(left):
            if left[k] == 0:
                k += 1
                continue
            k1 = k
            while k1 < len(left) and left[k1] > 0:
                k1 += 1
            out.append((g, grid.start + k * step, grid.start + k1 * step, int(left[k:k1].max())))
            k = k1
    return out


def roster_csv(roster: Roster) -> str:
    """The bookings as CSV: ``date,group,source,start,end,agents,cost_yuan`` (¥, 2 decimals)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(ROSTER_COLUMNS)
    for b in roster.bookings:
        out.writerow(
            [b.date.isoformat(), b.group, b.source, b.start, b.end, b.agents, f"{b.cost_yuan:.2f}"]
        )
    return buf.getvalue()


def extra_shifts_block(roster: Roster, group: str) -> list[dict[str, Any]]:
    """A group's bookings as YAML-ready ``staffing.groups[].extra_shifts`` entries.

    Bookings of one shift (source, start, end, break) on one date add up; the same shift
    with the same agents on consecutive dates becomes one ``first_day``..``last_day`` range.
    Dates are ISO strings.
    """
    agents: dict[tuple[str, str, str, str | None, int], dict[dt.date, int]] = {}
    for b in roster.bookings:
        if b.group == group:
            key = (b.source, b.start, b.end, b.break_start, b.break_minutes)
            per_day = agents.setdefault(key, {})
            per_day[b.date] = per_day.get(b.date, 0) + b.agents
    runs = []
    for key, per_day in agents.items():
        dates = sorted(per_day)
        first = last = dates[0]
        for date in [*dates[1:], None]:
            if (
                date is not None
                and date - last == dt.timedelta(days=1)
                and per_day[date] == per_day[last]
            ):
                last = date
                continue
            runs.append((first, key, last, per_day[first]))
            if date is not None:
                first = last = date
    out = []
    runs.sort(key=lambda run: (run[0], run[1][1], run[1][0], run[1][2], run[1][3] or "", run[1][4]))
    for first, (source, start, end, brk_start, brk), last, n in runs:
        entry: dict[str, Any] = {
            "source": source,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "start": start,
            "end": end,
            "agents": n,
        }
        if brk_start is not None:
            entry["break_start"] = brk_start
            entry["break_minutes"] = brk
        out.append(entry)
    return out
