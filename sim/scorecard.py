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

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sim.config import KpiThreshold, PlatformKpi, Scenario
from sim.experiment import RunResult
from sim.localtime import day_label
from sim.stats import describe

Status = Literal["met", "at_risk", "breach", ""]

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
    """95% CI of the mean (nan with fewer than two replications)."""
    sessions: float
    """Mean sessions per replication the KPI counted (its denominator)."""
    status: Status


def status(threshold: KpiThreshold | None, mean: float, low: float, high: float) -> Status:
    """A value's standing against a bar (see the module's text)."""
    if threshold is None or not math.isfinite(mean):
        return ""

    def meets(x: float) -> bool:
        return x >= threshold.value if threshold.op == ">=" else x <= threshold.value

    if not (math.isfinite(low) and math.isfinite(high)):
        return "met" if meets(mean) else "breach"
    if meets(low) and meets(high):
        return "met"
    if not meets(low) and not meets(high):
        return "breach"
    return "at_risk"


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
