"""Service hours as spans of simulation time: when a channel is open, and its next opening.

A channel's ``hours`` (:class:`sim.config.Hours`, or seven of them Monday to Sunday) are
local clock times; :func:`open_spans` turns them into ``[open, close)`` spans of simulation
seconds over the horizon, on the shop's clock (``calendar.start`` fixes which local time
simulation time 0 is). Nothing here depends on the queue: the engine reads the spans to
open and close its channels, the metrics to count KPI hours, the outcomes stage to start an
off-hours wait at the opening.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sim.config import Calendar, Hours, ServiceHours
from sim.localtime import DAY, LocalClock

ALWAYS = np.array([[-math.inf, math.inf]])
"""The spans of a channel without hours: open round the clock."""


def open_spans(hours: ServiceHours | None, calendar: Calendar) -> NDArray[np.float64]:
    """The ``[open, close)`` spans of ``hours`` in simulation seconds, sorted and merged.

    Every span that overlaps the horizon is there (one that began before time 0 starts
    before 0; one that ends after the horizon ends after it); spans that touch are merged,
    so a channel open round the clock has one span. ``None``: :data:`ALWAYS`.

    Args:
        hours: The same hours every day, or seven (Monday to Sunday; None: closed that day).
        calendar: The scenario's calendar (its start fixes local time and weekday of time 0).

    Returns:
        A ``(k, 2)`` array of opening and closing times; ``k`` may be 0 (never open).
    """
    if hours is None:
        return ALWAYS.copy()
    clock = LocalClock.of(calendar.start)
    last_day = math.ceil((calendar.horizon_seconds + clock.offset) / DAY)
    spans: list[list[float]] = []
    # the day before time 0 too: its hours may run past midnight into the horizon
    for day in range(-1, last_day + 1):
        h = hours if isinstance(hours, Hours) else hours[clock.weekday(day)]
        if h is None:
            continue
        start = clock.at(day, h.open_seconds)
        end = start + h.length_seconds
        if end <= 0 or start >= calendar.horizon_seconds:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return np.array(spans, dtype=np.float64).reshape(-1, 2)


def is_open(spans: NDArray[np.float64], t: ArrayLike) -> NDArray[np.bool_]:
    """Whether each time of ``t`` lies in one of ``spans`` (a span includes its opening)."""
    times = np.asarray(t, dtype=np.float64)
    k = np.searchsorted(spans[:, 0], times, side="right") - 1
    inside = k >= 0
    inside[inside] = times[inside] < spans[k[inside], 1]
    return inside


def next_opening(spans: NDArray[np.float64], t: ArrayLike) -> NDArray[np.float64]:
    """For each time of ``t``: itself if open, else the next opening (``inf``: none)."""
    times = np.asarray(t, dtype=np.float64)
    nxt = np.searchsorted(spans[:, 0], times, side="right")
    later = np.append(spans[:, 0], math.inf)[nxt]
    return np.where(is_open(spans, times), times, later)
