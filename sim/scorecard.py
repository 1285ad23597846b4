"""The platform KPI scorecard: each KPI of the scenario's platform rules per day, judged.

A platform scores a shop by its own KPIs (Taobao's 三分钟响应率, JD's 咚咚首次30秒应答率,
…), not by a contact centre's service level. The replications count each KPI's sessions per
day (:class:`sim.metrics.Tally`, ``platform.<kpi>`` series); here each day's value is the
mean over replications with its 95% CI, set against the rule's threshold:

- ``met``: the CI lies wholly on the right side of the bar (with one replication: the
  value meets it);
- ``breach``: the CI lies wholly on the wrong side (one replication: the value misses);
- ``at_risk``: the CI straddles the bar;
- empty: the rule publishes no bar, or the day has no session.

Model code: no I/O; :mod:`sim.outputs` writes ``scorecard.csv``, the console and the report
show it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from sim.localtime import day_label
from sim.stats import describe

if TYPE_CHECKING:  # the report reads this module without the simulation's imports
    from sim.config import KpiThreshold, PlatformKpi, Scenario
    from sim.demand import Arm
    from sim.experiment import RunResult

Status = Literal["met", "at_risk", "breach", ""]

SCORECARD_COLUMNS = (
    "day",
    "arm",
    "platform",
    "kpi",
    "label",
    "measure",
    "mean",
    "ci95_lo",
    "ci95_hi",
    "sessions",
    "threshold",
    "status",
    "kpi_grade",
    "threshold_grade",
)
"""scorecard.csv's columns (written by :mod:`sim.outputs`, read by the report)."""

ALL_DAYS = "all"
"""The ``day`` of a scorecard row over the whole run (after the warm-up)."""


@dataclass(frozen=True)
class Score:
    """One KPI on one day (or :data:`ALL_DAYS`) in one arm."""

    day: str
    arm: str
    kpi: str
    rule: PlatformKpi
    mean: float
    """Mean over replications with sessions that day (nan: none had any)."""
    low: float
    high: float
    """95% CI of the mean, within the KPI's range (nan with fewer than two replications)."""
    sessions: float
    """Mean sessions per replication the KPI counted (its denominator)."""
    status: Status


def status(threshold: KpiThreshold | None, mean: float, low: float, high: float) -> Status:
    """A value's standing against a bar (see the module's text)."""
    if threshold is None or not math.isfinite(mean):
        return ""
    bar: Bar = (threshold.op, threshold.value)
    if not (math.isfinite(low) and math.isfinite(high)):
        return "met" if _meets(bar, mean) else "breach"
    low_meets, high_meets = _meets(bar, low), _meets(bar, high)
    if low_meets and high_meets:
        return "met"
    return "at_risk" if low_meets or high_meets else "breach"


def _stat(values: NDArray[np.float64]) -> tuple[float, float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan, math.nan
    d = describe(finite)
    low, high = d.get("ci95", [math.nan, math.nan])
    return float(d["mean"]), float(low), float(high)


def scorecard(result: RunResult) -> list[Score]:
    """Every KPI per day and over the whole run, per arm; empty without platform rules.

    Rows run day by day (the whole run last), each day's KPIs in the rules' order, the
    promotion arm before the baseline.
    """
    scenario: Scenario = result.scenario
    rules = scenario.platform
    if rules is None:
        return []
    arms = {
        ("scenario" if "baseline" not in result.arms else arm): reps
        for arm, reps in result.arms.items()
    }
    first_day = int(scenario.calendar.warmup_seconds // 86400.0)
    n_days = next(iter(arms.values()))[0].daily[f"platform.{next(iter(rules.kpis))}"].size
    rows: list[Score] = []
    days = [day_label(scenario.calendar.start, first_day + d) for d in range(n_days)]
    for d, day in [*enumerate(days), (None, ALL_DAYS)]:
        for name, rule in rules.kpis.items():
            for arm, reps in arms.items():
                if d is None:
                    values = np.array([r.overall.get(f"platform.{name}", math.nan) for r in reps])
                    sessions = np.array([r.overall[f"platform.{name}.sessions"] for r in reps])
                else:
                    values = np.array([r.daily[f"platform.{name}"][d] for r in reps])
                    sessions = np.array([r.daily[f"platform.{name}.sessions"][d] for r in reps])
                mean, low, high = _stat(values)
                # the t-interval is symmetric: a share's stays in [0, 1], a mean response's
                # in [0, its cap] (a value outside can never be observed)
                top = 1.0 if rule.measure == "answered_within" else rule.cap_seconds or math.inf
                low, high = max(low, 0.0), min(high, top)
                rows.append(
                    Score(
                        day=day,
                        arm=arm,
                        kpi=name,
                        rule=rule,
                        mean=mean,
                        low=low,
                        high=high,
                        sessions=float(np.mean(sessions)),
                        status=status(rule.threshold, mean, low, high),
                    )
                )
    return rows


Bar = tuple[Literal[">=", "<="], float]
"""A KPI's bar: its comparison and value (``(">=", 0.8)``)."""


@dataclass(frozen=True)
class Breach:
    """Consecutive hours in which a KPI's mean misses its bar."""

    kpi: str
    start: dt.datetime
    """The first hour's start, shop time."""
    end: dt.datetime
    """The last hour's end."""
    value: float
    """The KPI over those hours: their answered-in-time (or capped seconds) ÷ sessions."""
    sessions: float
    """Sessions in those hours, mean per replication."""


def bar_of(rule: PlatformKpi) -> Bar | None:
    """A rule's bar (None: the platform publishes none)."""
    t = rule.threshold
    return None if t is None else (t.op, t.value)


def breaches(
    kpi: str,
    bar: Bar | None,
    hours: Sequence[dt.datetime],
    sessions: Sequence[float],
    totals: Sequence[float],
    hour_seconds: float = 3600.0,
) -> list[Breach]:
    """The spans of consecutive hours whose KPI (mean total ÷ mean sessions) misses ``bar``.

    ``hours`` are the hours' starts in order; an hour without sessions (outside the KPI's
    hours) ends a span. Empty without a bar.
    """
    if bar is None:
        return []
    out: list[Breach] = []
    run: list[int] = []

    def close() -> None:
        if run:
            n = sum(sessions[i] for i in run)
            value = sum(totals[i] for i in run) / n
            end = hours[run[-1]] + dt.timedelta(seconds=hour_seconds)
            out.append(Breach(kpi, hours[run[0]], end, value, n))
            run.clear()

    for i, (n, total) in enumerate(zip(sessions, totals, strict=True)):
        missing = n > 0 and not _meets(bar, total / n)
        if missing and run and hours[i] != hours[run[-1]] + dt.timedelta(seconds=hour_seconds):
            close()
        if missing:
            run.append(i)
        else:
            close()
    close()
    return out


def _meets(bar: Bar, x: float) -> bool:
    op, value = bar
    return x >= value if op == ">=" else x <= value


def run_breaches(result: RunResult, arm: Arm = "promotion") -> list[Breach]:
    """Every KPI's breached hours in ``arm`` (means over replications), by KPI then time."""
    rules = result.scenario.platform
    if rules is None:
        return []
    reps = result.arms[arm]
    cal = result.scenario.calendar
    width = cal.interval_seconds
    starts = reps[0].interval_starts
    bucket = 3600.0 if 3600.0 % width == 0 else width
    index = (starts // bucket).astype(np.int64)
    index -= index[0]
    n = int(index[-1]) + 1 if index.size else 0
    first = np.full(n, np.inf)
    np.minimum.at(first, index, np.maximum(starts, cal.warmup_seconds))
    hours = [cal.start + dt.timedelta(seconds=float(x)) for x in first]
    out = []
    for name, rule in rules.kpis.items():

        def per_hour(key: str) -> list[float]:
            sums = [np.bincount(index, weights=r.intervals[key], minlength=n) for r in reps]
            return [float(x) for x in np.mean(np.stack(sums), axis=0)]

        sessions = per_hour(f"platform.{name}.sessions")
        totals = per_hour(f"platform.{name}.total")
        out += breaches(name, bar_of(rule), hours, sessions, totals, bucket)
    return out
