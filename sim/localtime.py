"""The shop's clock: the local time of day and the date of simulation time ``t``.

Every time of day in a scenario is the shop's local clock time (no time zone, days of 24
hours): shifts, ``hourly`` and one-day ``intervals`` schedules, 24-hour and one-day
``profile`` arrivals, ``orders.intraday_profile`` and ``weekday_factors``, the buyers'
activity profile and the couriers' delivery window. ``calendar.start`` fixes it: time 0 is
that local date-time, so time ``t`` is ``calendar.start + t`` on the shop's clock. A horizon
that starts at 20:00 starts in hour 20 of its start date, on that date's weekday.

Lists with one value per calendar interval of the *whole horizon* (``profile`` arrivals,
``intervals`` schedules) count from time 0, not from a midnight. A list exactly one day
long is a day's profile, even when the horizon is one day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import NDArray

DAY = 86400.0


@dataclass(frozen=True)
class LocalClock:
    """The shop's clock seen from time 0.

    Attributes:
        offset: Seconds from the start date's midnight to time 0, in ``[0, 86400)``.
        weekday0: The start date's weekday, Monday 0.
    """

    offset: float = 0.0
    weekday0: int = 0

    @staticmethod
    def of(start: dt.datetime) -> LocalClock:
        """The clock of a horizon starting at local date-time ``start`` (``calendar.start``)."""
        midnight = dt.datetime.combine(start.date(), dt.time())
        return LocalClock((start - midnight).total_seconds(), start.weekday())

    @overload
    def split(self, t: float) -> tuple[float, float]: ...

    @overload
    def split(self, t: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...

    def split(
        self, t: float | NDArray[np.float64]
    ) -> tuple[float | NDArray[np.float64], float | NDArray[np.float64]]:
        """Local day and time of day of times ``t`` (seconds from time 0).

        Returns:
            The local day (0: the start date, negative before it; whole numbers as floats)
            and the seconds after that day's midnight, in ``[0, 86400)``.
        """
        tau = t + self.offset
        day = np.floor(tau / DAY)
        return day, tau - day * DAY

    def weekday(self, day: int) -> int:
        """Weekday of local day ``day`` (0: the start date), Monday 0."""
        return (self.weekday0 + day) % 7

    @overload
    def at(self, day: float, second: float) -> float: ...

    @overload
    def at(self, day: NDArray[np.float64], second: float) -> NDArray[np.float64]: ...

    def at(self, day: float | NDArray[np.float64], second: float) -> float | NDArray[np.float64]:
        """The time (seconds from time 0) of local ``second`` after local day ``day``'s midnight.

        Exact for whole seconds: ``day × 86400 + (second − offset)``.
        """
        return day * DAY + (second - self.offset)

    def steps(self, width: float, horizon: float, slack: float = 1e-9) -> range:
        """The local steps of ``width`` seconds that overlap the horizon ``[0, horizon)``.

        Step ``j`` is ``[j × width, (j + 1) × width)`` after the start date's midnight, from
        time ``j × width − offset`` (the first one may start before time 0); with ``width``
        dividing a day, ``j mod (86400 / width)`` is its place in its day. A step starting
        within ``slack`` steps of the horizon's end is left out.
        """
        return range(
            math.floor(self.offset / width),
            math.ceil((horizon + self.offset) / width - slack),
        )


def day_label(start: dt.datetime, day: int, short: bool = False) -> str:
    """How outputs name day ``day`` of the horizon: the 24 hours from ``start + day`` days.

    Daily figures count 24 hours from the horizon's start (``day = t // 86400``). At a
    midnight start that is a local date, named by it (``2026-11-11``; ``short``:
    ``11-11 Wed``); a horizon that starts at, say, 20:00 has days from 20:00 to 20:00, named
    by their first instant (``2026-11-11T20:00:00``; ``short``: ``11-11 Wed 20:00``).
    """
    first = start + dt.timedelta(days=day)
    midday = first.time() != dt.time()
    if short:
        return first.strftime("%m-%d %a %H:%M" if midday else "%m-%d %a")
    return first.isoformat() if midday else first.date().isoformat()
