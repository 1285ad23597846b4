"""Plausibility warnings: values a scenario may hold that look like a slip, with their source.

Not errors: a scenario with them is valid and runs as written. Each warning names a field
and the sourced range its value falls outside of, with the range's grade and the section
of docs/model.md that cites it (:class:`Sourced`): a percentage typed where a factor is
expected (``order_uplift: 50`` for +50%), a peak factor, weekday factor, transit factor,
chat concurrency or shrinkage outside what the sources report, and agents far too few for
the load. :mod:`sim.loading` locates each at its file and line. Model code: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim import fmath
from sim.config import Scenario, dist_mean

FieldPath = tuple[str | int, ...]
"""A field's path in the scenario, keys and list indexes (``("orders", "weekday_factors", 3)``)."""


@dataclass(frozen=True)
class Sourced:
    """A parameter's range as docs/model.md sources it."""

    lo: float
    """Lowest plausible value."""
    hi: float
    """Highest plausible value."""
    source: str
    """Who reports it, with the grade: ``dabeicloud [C]``."""
    section: str
    """Where docs/model.md cites it: ``timing``."""

    def holds(self, x: float) -> bool:
        """Whether ``x`` is inside the range."""
        return self.lo <= x <= self.hi

    def __str__(self) -> str:
        return f"{self.lo:g}–{self.hi:g} ({self.source}, docs/model.md#{self.section})"


ORDER_UPLIFT = Sourced(1, 17, "11.11 brings ×17 a normal day's orders [C]", "contact-rates")
PEAK_DAY_FACTOR = Sourced(3, 20, "dabeicloud [C]", "timing")
WEEKDAY_FACTOR = Sourced(0.5, 1.4, "weekday multipliers [C]", "timing")
TRANSIT_DELAY_FACTOR = Sourced(1, 2, "×1.5–2 on 11.11, Cainiao, China Daily [B]", "timing")
CONCURRENCY = Sourced(1, 5, "chats per agent [C]; Goes et al. 2018 [A]", "handling")
SHRINKAGE = Sourced(0, 0.35, "30–35% in total, ICMI, OpsDog, GoTo [C]", "shrinkage")
OCCUPANCY = Sourced(0.75, 0.9, "target occupancy [C]", "handling")
LOAD_MARGIN = 2.0
"""How far the estimated work may exceed the agents' time before the load warning: the
estimate (:func:`load_per_agent`) is rough — first contacts at the channels' shortest
handle time, bots not deducted — so only a load twice what the agents could carry at 100%
occupancy, which no desk carries, is told."""


def _range(path: FieldPath, x: float, sourced: Sourced) -> tuple[FieldPath, str] | None:
    """A warning that ``x`` at ``path`` is outside ``sourced``; a percentage's reading."""
    if sourced.holds(x):
        return None
    text = f"{x:g} is outside {sourced}"
    if x >= 10:  # typed as a percentage? say what it would be as a factor
        readings = [f"{x:g}% is {x / 100:g}"] if sourced.holds(x / 100) else []
        readings += [f"+{x:g}% is {1 + x / 100:g}"] if sourced.holds(1 + x / 100) else []
        if readings:
            text += f"; a factor, not a percentage: {', '.join(readings)}"
    return path, text


def load_per_agent(scenario: Scenario) -> float:
    """Estimated agent-time the contacts need ÷ the agents' time, over the whole horizon.

    The first contacts of :func:`sim.worksize.estimate` (its contacts without the journey's
    repeats, redials and escalations), each at the shortest mean handle time of any
    channel per slot (handle time ÷ concurrency), against every group's scheduled
    agent-time less ``staffing.shrinkage``. ``inf`` with contacts and no agent; 0 without
    contacts.
    """
    # the rota and demand modules (simpy's import) only once a scenario is loaded
    from sim.center.rota import group_levels
    from sim.worksize import estimate

    cal = scenario.calendar
    j = scenario.journey
    follow = 1.0 + j.repeat_probability + j.redial_probability + j.escalation_probability
    first = estimate(scenario).contacts / min(follow, float(j.max_contacts_per_issue))
    per_contact = min(
        (dist_mean(c.handle_time_seconds) / c.concurrency for c in scenario.channels.values()),
        default=0.0,
    )
    work = first * per_contact
    agent_seconds = 0.0
    for g in scenario.staffing.groups:
        levels = group_levels(g, cal)
        ends = np.append(levels.times[1:], cal.horizon_seconds)
        agent_seconds += fmath.dot(levels.agents, ends - levels.times)
    agent_seconds *= 1.0 - scenario.staffing.shrinkage
    if work <= 0:
        return 0.0
    return work / agent_seconds if agent_seconds > 0 else math.inf


def warnings(scenario: Scenario) -> list[tuple[FieldPath, str]]:
    """The plausibility warnings of a valid scenario: (field path, message), in field order."""
    out: list[tuple[FieldPath, str] | None] = []
    o = scenario.orders
    if o is not None:
        for k, f in enumerate(o.weekday_factors):
            out.append(_range(("orders", "weekday_factors", k), f, WEEKDAY_FACTOR))
    p = scenario.promotion
    if p is not None:
        out.append(_range(("promotion", "order_uplift"), p.order_uplift, ORDER_UPLIFT))
        if p.peak_day is not None:
            out.append(_range(("promotion", "peak_day_factor"), p.peak_day_factor, PEAK_DAY_FACTOR))
        transit = p.transit_delay_factor
        out.append(_range(("promotion", "transit_delay_factor"), transit, TRANSIT_DELAY_FACTOR))
    for name, ch in scenario.channels.items():
        out.append(_range(("channels", name, "concurrency"), ch.concurrency, CONCURRENCY))
    out.append(_range(("staffing", "shrinkage"), scenario.staffing.shrinkage, SHRINKAGE))
    load = load_per_agent(scenario)
    if load > LOAD_MARGIN:
        need = (
            "no agent is scheduled, but contacts come"
            if math.isinf(load)
            else f"the first contacts alone need about {load:.1f}× the agents' time over the "
            "horizon (estimated, at the shortest handle time)"
        )
        carry = f"no desk carries more than 1× (planned occupancy {OCCUPANCY})"
        out.append((("staffing", "groups"), f"far too few agents for the load: {need}; {carry}"))
    return [w for w in out if w is not None]
