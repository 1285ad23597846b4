"""The rota: a group's schedule as on/off actions over the horizon, and as levels.

``constant``, ``hourly`` and ``intervals`` schedules are levels: when the level falls, idle
agents leave first, then the least loaded busy ones (``staffing.leaver`` says which of equal
load). ``shifts`` are crews: the agents of a shift leave when it ends. Either way an agent
who must leave while busy takes no new contact, finishes what it holds, then leaves
(:mod:`sim.center.acd`); the time from its scheduled end to then is *overtime*.

Shrinkage (``staffing.shrinkage``) is a number of agents on break, also a step function
(:func:`break_steps`): the rota sets it like a level, and the ACD sends that many of the
scheduled agents off contacts (and back), without a process per break.

A group's booked ``extra_shifts`` come on top of its schedule (:func:`group_actions`): with a
``shifts`` schedule as crews of their own, each part of a shift around its unpaid break a
crew; with a level schedule they raise its level while they work (agents of a level are
interchangeable, and a level's leaver may be any agent, so crews cannot be mixed in).
:func:`group_rota` also names the crew of each extra shift's span, so that its agents can
serve with their source's factors (:func:`sim.config.serve_factors`); a level's agents
cannot be told apart, so a level group's extra shifts serve like its own agents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import (
    Calendar,
    ConstantSchedule,
    Group,
    HourlySchedule,
    IntervalSchedule,
    Schedule,
    ShiftsSchedule,
)
from sim.localtime import LocalClock


@dataclass(frozen=True)
class ScheduleLevels:
    """Scheduled agents of one group as a step function of time.

    ``agents[k]`` agents are scheduled from ``times[k]`` to ``times[k+1]`` (the last step
    runs to the horizon). ``times[0]`` is 0.
    """

    times: NDArray[np.float64]
    agents: NDArray[np.float64]


# An action at one instant: ("on", crew, n) brings n agents of a crew on duty; ("off", crew,
# n) sends a crew's agents off (crew None: a level, n agents); ("break", None, n) sets the
# number of agents on break. Offs run before ons, breaks last.
Action = tuple[str, int | None, int]


def schedule_actions(
    schedule: Schedule,
    horizon: float,
    interval_seconds: float | None = None,
    *,
    offset: float = 0.0,
) -> list[tuple[float, list[Action]]]:
    """The on/off actions of a schedule over ``[0, horizon)``, by time.

    ``interval_seconds`` is the calendar's interval, which an ``intervals`` schedule needs
    (its levels change at interval boundaries); the other kinds ignore it. ``offset``:
    seconds from the start date's midnight to time 0 (:attr:`LocalClock.offset` of
    ``calendar.start``): hours, shifts and a day's intervals are the shop's clock times
    (:mod:`sim.localtime`); a whole horizon's intervals count from time 0.

    Raises:
        ValueError: For an ``intervals`` schedule without ``interval_seconds``, or whose
            length is neither one day's nor the whole horizon's intervals.
    """
    at: dict[float, list[Action]] = {}
    local = LocalClock(offset)

    def add(t: float, action: Action) -> None:
        at.setdefault(t, []).append(action)

    match schedule:
        case ConstantSchedule(agents=n):
            if n:
                add(0.0, ("on", None, n))
        case HourlySchedule(agents=levels):
            level = 0
            # every hour that starts before the horizon's end, however close
            for h in local.steps(3600.0, horizon, slack=0.0):
                want = levels[h % 24]
                t = max(h * 3600.0 - offset, 0.0)
                if want > level:
                    add(t, ("on", None, want - level))
                elif want < level:
                    add(t, ("off", None, level - want))
                level = want
        case IntervalSchedule(agents=levels):
            if interval_seconds is None or interval_seconds <= 0:
                raise ValueError("an intervals schedule needs the calendar's interval length")
            steps = math.ceil(horizon / interval_seconds - 1e-9)
            daily = len(levels) * interval_seconds == 86400.0
            if not daily and len(levels) < steps:
                raise ValueError(
                    f"an intervals schedule needs {round(86400.0 / interval_seconds)} or "
                    f"{steps} values, got {len(levels)}"
                )
            level = 0
            # a day's levels on the shop's clock, a whole horizon's from time 0
            shift = offset if daily else 0.0
            for k in local.steps(interval_seconds, horizon) if daily else range(steps):
                want = levels[k % len(levels)]
                t = max(k * interval_seconds - shift, 0.0)
                if want > level:
                    add(t, ("on", None, want - level))
                elif want < level:
                    add(t, ("off", None, level - want))
                level = want
        case ShiftsSchedule(shifts=shifts):
            crew = 0
            for day in range(-1, math.ceil((horizon + offset) / 86400.0) + 1):
                for s in shifts:
                    start = local.at(day, s.start_minute * 60.0)
                    end = start + s.length_minutes * 60.0
                    if end <= 0 or start >= horizon or s.agents == 0:
                        continue
                    add(max(start, 0.0), ("on", crew, s.agents))
                    if end < horizon:
                        add(end, ("off", crew, s.agents))
                    crew += 1
    out = []
    for t in sorted(at):
        actions = sorted(at[t], key=lambda a: a[0] != "off")
        out.append((t, actions))
    return out


def schedule_levels(
    schedule: Schedule,
    horizon: float,
    interval_seconds: float | None = None,
    *,
    offset: float = 0.0,
) -> ScheduleLevels:
    """The scheduled number of agents of a schedule as a step function.

    ``interval_seconds``: the calendar's interval, needed by an ``intervals`` schedule;
    ``offset``: the local clock's (:func:`schedule_actions`).
    """
    return _levels(schedule_actions(schedule, horizon, interval_seconds, offset=offset))


def _levels(timed: list[tuple[float, list[Action]]]) -> ScheduleLevels:
    times, agents, level = [0.0], [0.0], 0
    for t, actions in timed:
        for kind, _, n in actions:
            level += n if kind == "on" else -n
        if t == times[-1]:
            agents[-1] = level
        else:
            times.append(t)
            agents.append(level)
    return ScheduleLevels(np.array(times), np.array(agents, dtype=np.float64))


@dataclass(frozen=True)
class ExtraSpan:
    """One booked extra shift on one local date.

    Attributes:
        source: The shift's source name.
        agents: Agents on it.
        spans: Its on-duty ``(start, end)`` spans in seconds from time 0, the unpaid break
            left out; not clipped to the horizon.
        paid_seconds: One agent's paid time of the whole shift, s.
        day: The date's place in its ``extra_shifts`` entry (0: its ``first_day``).
    """

    source: str
    agents: int
    spans: tuple[tuple[float, float], ...]
    paid_seconds: float
    day: int = 0


def extra_spans(group: Group, calendar: Calendar) -> list[ExtraSpan]:
    """Every date's instance of a group's ``extra_shifts`` (no agents: none), in order."""
    clock = LocalClock.of(calendar.start)
    day0 = calendar.start.date()
    out = []
    for x in group.extra_shifts:
        if not x.agents:
            continue
        for d in range(x.days):
            a = clock.at((x.first_day - day0).days + d, x.start_minute * 60.0)
            b = a + x.length_minutes * 60.0
            if x.break_minutes:
                p = a + x.break_offset_minutes * 60.0
                spans: tuple[tuple[float, float], ...] = ((a, p), (p + x.break_minutes * 60.0, b))
            else:
                spans = ((a, b),)
            out.append(ExtraSpan(x.source, x.agents, spans, x.paid_minutes * 60.0, d))
    return out


def group_actions(group: Group, calendar: Calendar) -> list[tuple[float, list[Action]]]:
    """The on/off actions of a group's schedule and its booked extra shifts, by time.

    Without ``extra_shifts`` exactly :func:`schedule_actions` of the schedule. Extra shifts
    are clipped to the horizon; with a ``shifts`` schedule each on-duty span is a crew
    numbered after the schedule's crews, with a level schedule it raises the level (the
    level's changes at one instant are netted).
    """
    return group_rota(group, calendar)[0]


def group_rota(
    group: Group, calendar: Calendar
) -> tuple[list[tuple[float, list[Action]]], dict[int, ExtraSpan]]:
    """:func:`group_actions`, and the extra shift each extra crew works (crew → shift).

    The crews are those of a ``shifts`` schedule's extra shifts inside the horizon; a level
    schedule has none.
    """
    horizon = calendar.horizon_seconds
    offset = LocalClock.of(calendar.start).offset
    base = schedule_actions(group.schedule, horizon, calendar.interval_seconds, offset=offset)
    extras = extra_spans(group, calendar)
    worked: dict[int, ExtraSpan] = {}
    if not extras:
        return base, worked
    at: dict[float, list[Action]] = {}
    for t, actions in base:
        at.setdefault(t, []).extend(actions)
    crews = isinstance(group.schedule, ShiftsSchedule)
    crew = 1 + max((c for _, acts in base for _, c, _ in acts if c is not None), default=-1)
    for x in extras:
        for start, end in x.spans:
            if end <= 0 or start >= horizon:
                continue
            at.setdefault(max(start, 0.0), []).append(("on", crew if crews else None, x.agents))
            if end < horizon:
                at.setdefault(end, []).append(("off", crew if crews else None, x.agents))
            if crews:
                worked[crew] = x
            crew += 1
    out = []
    for t in sorted(at):
        actions = at[t]
        if not crews:
            net = sum(n if kind == "on" else -n for kind, _, n in actions)
            actions = [("on" if net > 0 else "off", None, abs(net))] if net else []
        if actions:
            out.append((t, sorted(actions, key=lambda a: a[0] != "off")))
    return out, worked


def group_levels(group: Group, calendar: Calendar) -> ScheduleLevels:
    """The scheduled agents of a group, extra shifts included, as a step function."""
    return _levels(group_actions(group, calendar))


def break_steps(
    levels: ScheduleLevels, shrinkage: float, horizon: float, interval_seconds: float
) -> list[tuple[float, int]]:
    """Agents on break as a step function: ``(time, agents)`` at each change, from time 0.

    In every piece of a calendar interval (from time 0, ``interval_seconds`` long) where the
    scheduled level ``L`` is constant, ``b = shrinkage × L`` agents are on break on
    average: ``floor(b)`` throughout, and one more over the piece's first ``frac(b)`` of its
    length. So break agent-time is exactly ``shrinkage`` × scheduled agent-time in every
    interval (up to float rounding), never more than ``L`` agents are on break
    (``shrinkage < 1``), and nothing is random. A level that is constant over an interval
    gives one piece: the interval itself.
    """
    edges = np.arange(math.ceil(horizon / interval_seconds - 1e-9)) * interval_seconds
    cuts = np.union1d(edges, levels.times[levels.times < horizon])
    ends = np.append(cuts[1:], horizon)
    level = levels.agents[np.searchsorted(levels.times, cuts, side="right") - 1]
    out: list[tuple[float, int]] = []

    def put(t: float, n: int) -> None:
        if (out[-1][1] if out else 0) != n:
            out.append((t, n))

    for a, b, n in zip(cuts.tolist(), ends.tolist(), level.tolist(), strict=True):
        away = shrinkage * n
        whole = round(away) if abs(away - round(away)) < 1e-9 else math.floor(away)
        switch = a + (away - whole) * (b - a)
        if away - whole > 0 and switch < b:
            put(a, whole + 1)
            put(switch, whole)
        else:
            put(a, whole)
    return out
