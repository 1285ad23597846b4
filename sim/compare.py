"""Comparisons and sweeps of scenarios on common random numbers (docs/architecture.md#experiments).

**Compare.** Several scenarios are run as the *arms* of one experiment: every arm is
simulated with the first scenario's seed and number of replications, so replication ``r``
of every arm draws from the same named random streams (``Streams(seed, r)``). Differences
between arms are then taken per replication (arm − first arm) and summarised with a
Student-t interval over replications: a paired comparison, much sharper than two
independent runs because the arms share their orders, arrivals and handle times.

**Sweep.** One base scenario is varied along one or more field paths (``--vary``): as the
full grid of the values, or one path at a time around the base scenario's own values. Every
point is loaded like ``promosim run SCENARIO --set path=value`` (so it is validated the
same way and a bad value gets the same error), and runs on the base scenario's seed, so the
points too differ by their parameters and not by their random numbers.

Both run every replication of every scenario on one pool of worker processes, and report
progress through ``on_done(k)``, called after each finished replication with ``k`` the
number finished so far (1 to the plan's ``total_replications``). Results do not depend on
the number of workers nor on the order in which replications finish.

Nothing here writes files; the CSV text of both lives in :mod:`sim.outputs`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from sim import catalog
from sim.config import Scenario
from sim.demand import Arm
from sim.experiment import Runner, RunResult, arms_of, paired
from sim.loading import (
    SET,
    LoadedScenario,
    Problem,
    ScenarioError,
    config_hash,
    load_scenario,
    parse_override,
)
from sim.metrics import ReplicationMetrics
from sim.stats import Stat, summarise, t_quantile

__all__ = [
    "HEADLINE_METRICS",
    "MODES",
    "RECOVERED",
    "VARY",
    "Comparison",
    "ComparisonPlan",
    "DiffStat",
    "HeadlineCell",
    "HeadlineRow",
    "Mode",
    "Sweep",
    "SweepPlan",
    "SweepPoint",
    "TornadoBar",
    "Vary",
    "compare",
    "design",
    "headline",
    "parse_vary",
    "plan_comparison",
    "plan_sweep",
    "ratio_of_means",
    "recovered_margin",
    "run_comparison",
    "run_sweep",
    "sweep",
    "tornado",
    "yaml_value",
]

OnDone = Callable[[int], None]
"""Progress callback: called with the number of replications finished so far."""

VARY = "--vary"
"""The ``file`` of problems located in a ``--vary`` option."""

Mode = Literal["grid", "one-at-a-time"]
MODES: tuple[Mode, ...] = ("grid", "one-at-a-time")

EFFECT_PREFIX = "effect."
"""Prefix of a sweep point's paired promotion − baseline metrics (``effect.contacts``)."""

MAX_RANGE_VALUES = 10_000
"""Most values one ``lo:hi:n`` range may hold."""

HEADLINE_METRICS: tuple[str, ...] = catalog.COMPARE_TABLE
"""The metrics :func:`headline` shows unless told otherwise (those a run has)."""


# --------------------------------------------------------------------------- running


_Job = tuple[Scenario, tuple[Arm, ...]]


def _run_jobs(
    jobs: Sequence[_Job],
    *,
    runner: Runner,
    on_done: OnDone | None,
    on_job: Callable[[int, dict[Arm, list[ReplicationMetrics]]], None],
) -> None:
    """Run every replication of every job; ``on_job(j, arms)`` when job ``j`` is complete.

    All replications of all jobs go to one runner (one pool, or Dask), so a sweep of many
    small points keeps every worker busy; a job's replications are handed on, and let go,
    as soon as it is complete.
    """
    done = 0

    def tick(_j: int, _r: int) -> None:
        nonlocal done
        done += 1
        if on_done is not None:
            on_done(done)

    def complete(j: int, reps: list[dict[Arm, ReplicationMetrics]]) -> None:
        on_job(j, {arm: [rep[arm] for rep in reps] for arm in jobs[j][1]})

    runner.run(jobs, on_done=tick, on_job=complete)


# --------------------------------------------------------------------------- compare


class DiffStat(Stat):
    """A paired difference over replications, and whether its 95% CI excludes 0."""

    significant: bool


def _diff_stat(stat: Stat) -> DiffStat:
    ci = stat.get("ci95")
    significant = ci is not None and (ci[0] > 0 or ci[1] < 0)
    return cast(DiffStat, {**stat, "significant": significant})


RECOVERED = catalog.MARGIN_RECOVERED
"""A later arm's gross profit gained per agent-hour added over the first arm (¥/hour)."""


def ratio_of_means(numerator: Sequence[float], denominator: Sequence[float]) -> DiffStat | None:
    """ȳ ÷ x̄ of paired replication values, with its 95% CI by the delta method.

    R = ȳ/x̄ is the ratio of the means (not the mean of the per-replication ratios, which
    is biased and unstable when a replication's x is small). Its standard error is
    s/(|x̄|·√n), s the standard deviation (n − 1) of the linearised values yᵣ − R·xᵣ; the
    interval is R ± t(0.95, n − 1)·SE, as :func:`sim.stats.describe` gives a mean's.
    ``sd`` is s/|x̄|. None when x̄ is 0; without a CI for one replication.
    """
    y = np.asarray(numerator, dtype=np.float64)
    x = np.asarray(denominator, dtype=np.float64)
    n = int(y.size)
    x_bar = math.fsum(x.tolist()) / n if n else 0.0
    if x_bar == 0.0:
        return None
    r = math.fsum(y.tolist()) / n / x_bar
    if n < 2:
        return cast(DiffStat, {"mean": r, "n": n, "significant": False})
    sd = float(np.std(y - r * x, ddof=1)) / abs(x_bar)
    half = t_quantile(0.95, n) * sd / math.sqrt(n)
    return _diff_stat({"mean": r, "ci95": [r - half, r + half], "sd": sd, "n": n})


def recovered_margin(
    arm: Sequence[ReplicationMetrics], first: Sequence[ReplicationMetrics]
) -> DiffStat | None:
    """¥ of margin an arm keeps per agent-hour it adds over the first arm (:data:`RECOVERED`).

    Per replication (paired: the same seed and replication number), y = Δ gross_profit_yuan
    and x = Δ agent_hours (staffed, overtime included), arm − first; the statistic is
    :func:`ratio_of_means`. Gross profit counts only the orders kept, so with the same
    demand its difference is the margin lost to slow answers that the arm wins back
    (lost_margin_yuan of the first − of the arm). None unless both arms have pre-sale
    inquiries (``lost_margin_yuan``) in every replication and their rotas differ (scheduled
    agent-hours, overtime left out, whose rounding alone must not make a ratio).
    """
    pairs = list(zip(arm, first, strict=True))
    keys = ("lost_margin_yuan", "gross_profit_yuan", "agent_hours", "overtime_hours")
    if not pairs or any(k not in r.overall for p in pairs for r in p for k in keys):
        return None
    scheduled = [
        (a.overall["agent_hours"] - a.overall["overtime_hours"])
        - (b.overall["agent_hours"] - b.overall["overtime_hours"])
        for a, b in pairs
    ]
    if abs(math.fsum(scheduled)) / len(pairs) < 1e-6:
        return None
    return ratio_of_means(
        [a.overall["gross_profit_yuan"] - b.overall["gross_profit_yuan"] for a, b in pairs],
        [a.overall["agent_hours"] - b.overall["agent_hours"] for a, b in pairs],
    )


@dataclass(frozen=True)
class ComparisonPlan:
    """What :func:`run_comparison` runs: each arm's scenario on common random numbers."""

    arms: tuple[str, ...]
    """Arm names, unique: each scenario's ``name`` (``-2``, ``-3``… on repeats); the first
    arm is the reference of every difference."""
    sources: dict[str, LoadedScenario]
    """Per arm, the scenario as loaded."""
    scenarios: dict[str, Scenario]
    """Per arm, the scenario as run: its seed and replications are the first scenario's."""
    seed: int
    replications: int
    notes: tuple[str, ...]
    """What was overridden to keep the arms on common random numbers."""

    @property
    def total_replications(self) -> int:
        """Replications to run over all arms (the length of the progress bar)."""
        return self.replications * len(self.arms)


@dataclass(frozen=True)
class Comparison:
    """Arms run on common random numbers, their statistics and paired differences."""

    plan: ComparisonPlan
    runs: dict[str, list[ReplicationMetrics]]
    """Per arm, its replications in order (the scenario as written: with a promotion, the
    promotion arm)."""
    metrics: tuple[str, ...]
    """Every overall metric of any arm: the first arm's in its order, then the others'."""
    stats: dict[str, dict[str, Stat]]
    """metric → arm → mean, 95% CI, sd, n over replications (arms lacking it are absent)."""
    diffs: dict[str, dict[str, DiffStat]]
    """metric → arm (after the first) → paired difference arm − first arm per replication,
    then its mean, 95% CI and significance (absent where either arm lacks the metric).
    :data:`RECOVERED` is here only (no arm has it alone): see :func:`recovered_margin`."""

    @property
    def arms(self) -> tuple[str, ...]:
        """Arm names; the first is the reference."""
        return self.plan.arms

    @property
    def notes(self) -> tuple[str, ...]:
        """What was overridden to keep the arms on common random numbers."""
        return self.plan.notes

    @property
    def hashes(self) -> dict[str, str]:
        """Per arm, the config hash of the scenario as run."""
        return {arm: config_hash(s) for arm, s in self.plan.scenarios.items()}


def _unique_names(names: Sequence[str]) -> list[str]:
    """Names made unique with ``-2``, ``-3``…, never taking another scenario's own name."""
    taken = set(names)
    out: list[str] = []
    for name in names:
        candidate, k = name, 2
        while candidate in out or (candidate != name and candidate in taken):
            candidate, k = f"{name}-{k}", k + 1
        out.append(candidate)
    return out


def plan_comparison(loaded: Sequence[LoadedScenario]) -> ComparisonPlan:
    """The arms of a comparison, all on the first scenario's seed and replications.

    Raises:
        ValueError: No scenario given.
    """
    if not loaded:
        raise ValueError("compare needs at least one scenario")
    first = loaded[0].scenario
    seed, n = first.seed, first.replications
    names = _unique_names([ls.scenario.name for ls in loaded])
    notes: list[str] = []
    scenarios: dict[str, Scenario] = {}
    for name, ls in zip(names, loaded, strict=True):
        s = ls.scenario
        changed: list[str] = []
        if s.seed != seed:
            changed.append(f"seed {s.seed} → {seed}")
        if s.replications != n:
            changed.append(f"replications {s.replications} → {n}")
        if changed:
            notes.append(
                f"{name} ({ls.source}): {', '.join(changed)}, the first scenario's, "
                "so that every arm runs on common random numbers"
            )
            s = s.model_copy(update={"seed": seed, "replications": n})
        scenarios[name] = s
    return ComparisonPlan(
        arms=tuple(names),
        sources=dict(zip(names, loaded, strict=True)),
        scenarios=scenarios,
        seed=seed,
        replications=n,
        notes=tuple(notes),
    )


def run_comparison(
    plan: ComparisonPlan,
    *,
    workers: int = 1,
    on_done: OnDone | None = None,
    runner: Runner | None = None,
) -> Comparison:
    """Run a comparison's arms and summarise them; see :func:`compare`."""
    runs: dict[str, list[ReplicationMetrics]] = {}
    jobs: list[_Job] = [(plan.scenarios[a], ("promotion",)) for a in plan.arms]

    def keep(j: int, arms: dict[Arm, list[ReplicationMetrics]]) -> None:
        runs[plan.arms[j]] = arms["promotion"]

    with contextlib.ExitStack() as stack:
        r = runner or stack.enter_context(Runner(workers=workers))
        _run_jobs(jobs, runner=r, on_done=on_done, on_job=keep)
    runs = {a: runs[a] for a in plan.arms}
    per_arm = {a: summarise(r.overall for r in reps) for a, reps in runs.items()}
    first = plan.arms[0]
    per_diff = {a: summarise(paired(runs[a], runs[first])) for a in plan.arms[1:]}
    metrics = tuple(dict.fromkeys(k for a in plan.arms for k in per_arm[a]))
    stats = {m: {a: per_arm[a][m] for a in plan.arms if m in per_arm[a]} for m in metrics}
    diffs = {
        m: {a: _diff_stat(per_diff[a][m]) for a in plan.arms[1:] if m in per_diff[a]}
        for m in metrics
    }
    recovered = {a: recovered_margin(runs[a], runs[first]) for a in plan.arms[1:]}
    ratios = {a: stat for a, stat in recovered.items() if stat is not None}
    if ratios:  # an arm-to-arm figure: no arm's own statistics, only the "difference"
        metrics += (RECOVERED,)
        stats[RECOVERED], diffs[RECOVERED] = {}, ratios
    return Comparison(plan=plan, runs=runs, metrics=metrics, stats=stats, diffs=diffs)


def compare(
    loaded: Sequence[LoadedScenario],
    *,
    workers: int = 1,
    on_done: OnDone | None = None,
) -> Comparison:
    """Run scenarios as the arms of one experiment on common random numbers.

    Every scenario is run with the FIRST scenario's seed and replications, so replication
    ``r`` of every arm draws from the same random streams; a scenario that sets another
    seed or number of replications is overridden, and the comparison's ``notes`` say so.
    Each arm is its scenario as written (with a promotion: the promotion arm; no baseline
    is run). Per overall metric the comparison holds each arm's mean and 95% CI, and for
    every arm after the first the paired difference arm − first arm per replication: its
    mean, 95% CI and whether that CI excludes 0.

    Args:
        loaded: The scenarios; the first is the reference arm. Arms are named by each
            scenario's ``name``, made unique with ``-2``, ``-3``….
        workers: Worker processes; 1 runs in this process.
        on_done: Called after each finished replication with the number finished so far
            (of ``len(loaded) × replications``).

    Raises:
        ValueError: No scenario given.
    """
    return run_comparison(plan_comparison(loaded), workers=workers, on_done=on_done)


@dataclass(frozen=True)
class HeadlineCell:
    """One arm's figure of a metric, and its paired difference to the first arm."""

    arm: str
    stat: Stat | None
    """Mean and 95% CI, or None when the arm lacks the metric."""
    diff: DiffStat | None
    """arm − first arm; None for the first arm or when either arm lacks the metric."""


@dataclass(frozen=True)
class HeadlineRow:
    """One metric of a comparison's console table, one cell per arm."""

    metric: str
    cells: tuple[HeadlineCell, ...]


def headline(c: Comparison, metrics: Sequence[str] = HEADLINE_METRICS) -> list[HeadlineRow]:
    """Rows of a console table: per metric (in the order given) each arm and its difference.

    Metrics no arm has are left out.
    """
    rows = []
    for m in metrics:
        stats, diffs = c.stats.get(m, {}), c.diffs.get(m, {})
        if not stats and not diffs:
            continue
        cells = tuple(HeadlineCell(a, stats.get(a), diffs.get(a)) for a in c.arms)
        rows.append(HeadlineRow(m, cells))
    return rows


# --------------------------------------------------------------------------- --vary


@dataclass(frozen=True)
class Vary:
    """One ``--vary path=…``: a field path and the values it takes, in the order given."""

    path: str
    """Dotted field path as ``--set`` takes it (list items by index)."""
    values: tuple[Any, ...]
    text: str
    """The option as given."""


_NUMBER = re.compile(r"^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")


def _vary_error(text: str, path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(VARY, None, path, f"{text!r}: {message}")])


def _scalar(text: str, path: str, item: str) -> Any:
    """``item`` read as YAML, exactly as ``--set path=item`` would read it."""
    try:
        _, value = parse_override(f"{path}={item}")
    except ScenarioError as exc:
        raise ScenarioError(
            [Problem(VARY, None, p.path, f"{text!r}: {p.message}") for p in exc.problems]
        ) from None
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range(text: str, path: str, lo_text: str, hi_text: str, n_text: str) -> tuple[Any, ...]:
    lo, hi = _scalar(text, path, lo_text), _scalar(text, path, hi_text)
    n = _scalar(text, path, n_text)
    if not (_is_number(lo) and _is_number(hi)) or not (math.isfinite(lo) and math.isfinite(hi)):
        raise _vary_error(text, path, "lo and hi of lo:hi:n must be finite numbers")
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise _vary_error(text, path, "n of lo:hi:n must be a whole number of values, 2 or more")
    if n > MAX_RANGE_VALUES:
        raise _vary_error(text, path, f"n of lo:hi:n must be at most {MAX_RANGE_VALUES}")
    if lo == hi:
        raise _vary_error(text, path, "lo and hi of lo:hi:n are equal; give one value instead")
    if isinstance(lo, int) and isinstance(hi, int) and (hi - lo) % (n - 1) == 0:
        step = (hi - lo) // (n - 1)
        return tuple(lo + i * step for i in range(n))
    # 12 significant digits: 0.1:0.3:3 gives 0.2, not 0.20000000000000004
    inner = (float(f"{lo + (hi - lo) * i / (n - 1):.12g}") for i in range(1, n - 1))
    return (float(lo), *inner, float(hi))


def parse_vary(text: str) -> Vary:
    """Parse ``path=lo:hi:n`` or ``path=a,b,c`` (the value of a ``--vary`` option).

    ``lo:hi:n`` is ``n`` evenly spaced values from ``lo`` to ``hi``, both included: whole
    numbers when ``lo`` and ``hi`` are and the step is whole (``10:14:5`` is 10, 11, … 14),
    else floats. ``a,b,c`` lists the values, each read as a YAML scalar exactly as
    ``--set path=a`` reads it (``7``, ``0.5``, ``null``, ``true``, text). A single value is
    a one-value list.

    Raises:
        ScenarioError: The text is malformed; its problem's file is ``--vary``.
    """
    if not isinstance(text, str):
        raise _vary_error(str(text), "", "a --vary is a string path=lo:hi:n or path=a,b,c")
    name, eq, rest = text.partition("=")
    segments = [s.strip() for s in name.split(".")]
    path = ".".join(segments)
    if not eq or not path:
        raise _vary_error(text, "", "expected path=lo:hi:n or path=a,b,c, e.g. seed=1:5:5")
    if any(not s for s in segments):
        raise _vary_error(text, path, "empty name in the field path")
    rest = rest.strip()
    if not rest:
        raise _vary_error(text, path, "no values after '='")
    parts = rest.split(":")
    if "," not in rest and len(parts) == 3 and all(_NUMBER.fullmatch(p.strip()) for p in parts[:2]):
        return Vary(path, _range(text, path, *(p.strip() for p in parts)), text)
    values: list[Any] = []
    for item in (i.strip() for i in rest.split(",")):
        if not item:
            raise _vary_error(text, path, "empty value in the list a,b,c")
        value = _scalar(text, path, item)
        if isinstance(value, dict | list):
            raise _vary_error(text, path, f"{item!r} is not a single value (number, text, null)")
        if any(_same(value, v) for v in values):
            raise _vary_error(text, path, f"the value {item!r} is given twice")
        values.append(value)
    return Vary(path, tuple(values), text)


def yaml_value(value: Any) -> str:
    """``value`` as YAML text that ``--set path=…`` reads back as the same value."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    # JSON is YAML's flow style: numbers, true/false/null, quoted text, lists, mappings
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _same(a: Any, b: Any) -> bool:
    """Whether two values of a path are the same: a date and its ISO text are, 1 and true not."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(_plain(a) == _plain(b))


_MISSING = object()


def _lookup(resolved: Any, path: str) -> Any:
    node = resolved
    for seg in path.split("."):
        if isinstance(node, dict) and seg in node:
            node = node[seg]
        elif isinstance(node, list) and seg.isdigit() and int(seg) < len(node):
            node = node[int(seg)]
        else:
            return _MISSING
    return node


def _base_values(varies: Sequence[Vary], base: LoadedScenario) -> dict[str, Any]:
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for v in varies:
        value = _lookup(base.resolved, v.path)
        if value is _MISSING:
            message = (
                f"{v.text!r}: the base scenario has no value at {v.path}, so one-at-a-time "
                "has nothing to vary around (is the path right?)"
            )
            problems.append(Problem(VARY, None, v.path, message))
        out[v.path] = value
    if problems:
        raise ScenarioError(problems)
    return out


def _check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise ValueError(f"unknown sweep mode {mode!r}; expected one of: {', '.join(MODES)}")
    return mode


def _check_varies(varies: Sequence[Vary]) -> None:
    if not varies:
        raise ScenarioError([Problem(VARY, None, "", "a sweep needs at least one --vary")])
    seen: dict[str, str] = {}
    problems = []
    for v in varies:
        if v.path in seen:
            message = f"{v.text!r}: {v.path} is already varied by {seen[v.path]!r}"
            problems.append(Problem(VARY, None, v.path, message))
        seen.setdefault(v.path, v.text)
    if problems:
        raise ScenarioError(problems)


def design(varies: Sequence[Vary], mode: Mode, base: LoadedScenario) -> list[dict[str, Any]]:
    """The points of a sweep, each a mapping path → value (every varied path).

    ``grid``: the cartesian product of the values, the first path varying slowest.
    ``one-at-a-time``: the base point first (every path at the base scenario's own value,
    read from ``base.resolved``), then each path alone through its values, the others at
    their base values; a value equal to the base value is the base point, included once.

    Raises:
        ScenarioError: No vary, a path varied twice, or (one-at-a-time) a path the base
            scenario has no value at; the problems' file is ``--vary``.
        ValueError: An unknown mode.
    """
    mode = _check_mode(mode)
    _check_varies(varies)
    paths = [v.path for v in varies]
    if mode == "grid":
        product = itertools.product(*(v.values for v in varies))
        return [dict(zip(paths, combo, strict=True)) for combo in product]
    base_point = _base_values(varies, base)
    points = [dict(base_point)]
    for v in varies:
        points += [{**base_point, v.path: x} for x in v.values if not _same(x, base_point[v.path])]
    return points


# --------------------------------------------------------------------------- sweep


@dataclass(frozen=True)
class SweepPlan:
    """The validated points of a sweep, ready to run."""

    base: LoadedScenario
    varies: tuple[Vary, ...]
    mode: Mode
    points: tuple[dict[str, Any], ...]
    """Per point, every varied path → its value there, as validated (in the resolved
    scenario's form: a float field's ``20`` reads ``20.0``, a date is ISO text)."""
    varied: tuple[str | None, ...]
    """Per point (one-at-a-time), the path varied there; None for the base point and in
    a grid."""
    overrides: tuple[tuple[str, ...], ...]
    """Per point, the ``--set`` strings added to the base overrides to load it."""
    loaded: tuple[LoadedScenario, ...]
    """Per point, the scenario loaded (validated) with those overrides."""
    base_values: dict[str, Any]
    """One-at-a-time: every path's base value; empty for a grid."""

    @property
    def paths(self) -> tuple[str, ...]:
        """The varied paths, in the order given."""
        return tuple(v.path for v in self.varies)

    @property
    def total_replications(self) -> int:
        """Replications to run over all points (the length of the progress bar).

        A replication of a point with a promotion runs both its arms in one piece of work.
        """
        return sum(ls.scenario.replications for ls in self.loaded)


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep and its results."""

    values: dict[str, Any]
    """Every varied path → its value at this point."""
    varied: str | None
    """One-at-a-time: the path varied here (None at the base point); None in a grid."""
    loaded: LoadedScenario
    summary: dict[str, Stat]
    """Every overall metric of the scenario as written."""
    baseline: dict[str, Stat] | None = None
    """With a promotion: the same without it."""
    effect: dict[str, Stat] | None = None
    """With a promotion: paired differences promotion − baseline."""

    @property
    def stats(self) -> dict[str, Stat]:
        """``summary`` and, with a promotion, ``effect`` as ``effect.<metric>``."""
        out = dict(self.summary)
        out.update({EFFECT_PREFIX + k: v for k, v in (self.effect or {}).items()})
        return out


@dataclass(frozen=True)
class Sweep:
    """The points of a sweep, in design order, with their results."""

    plan: SweepPlan
    points: tuple[SweepPoint, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """The varied paths, in the order given."""
        return self.plan.paths

    @property
    def mode(self) -> Mode:
        """``grid`` or ``one-at-a-time``."""
        return self.plan.mode

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric of any point (``effect.<metric>`` too), in first-seen order."""
        return tuple(dict.fromkeys(k for p in self.points for k in p.stats))


def _as_vary(v: Vary | str) -> Vary:
    return v if isinstance(v, Vary) else parse_vary(v)


def _from_vary(problem: Problem, varies: Sequence[Vary]) -> Problem:
    """A point's problem with a varied path is the ``--vary``'s, not a ``--set``'s."""
    if problem.file != SET:
        return problem
    for v in varies:
        if problem.path and (
            v.path == problem.path
            or v.path.startswith(problem.path + ".")
            or problem.path.startswith(v.path + ".")
        ):
            return replace(problem, file="--vary")
    return problem


def plan_sweep(
    base_path: str | Path,
    overrides: Sequence[str],
    varies: Sequence[Vary | str],
    mode: Mode = "grid",
) -> SweepPlan:
    """Design a sweep and load (validate) every point before anything runs.

    Each point is ``load_scenario(base_path, [*overrides, "path=value", …])``, so it is
    validated like a ``--set``; the problems of every point are reported together.

    Raises:
        ScenarioError: The base scenario, a ``--vary`` or a point is invalid.
        ValueError: An unknown mode.
    """
    mode = _check_mode(mode)
    vs = tuple(_as_vary(v) for v in varies)
    base = load_scenario(base_path, overrides)
    points = design(vs, mode, base)
    base_values = _base_values(vs, base) if mode == "one-at-a-time" else {}
    varied: list[str | None] = []
    sets: list[tuple[str, ...]] = []
    for point in points:
        if mode == "grid":
            changed = list(point)
            varied.append(None)
        else:
            changed = [p for p, x in point.items() if not _same(x, base_values[p])]
            varied.append(changed[0] if changed else None)
        sets.append(tuple(f"{p}={yaml_value(point[p])}" for p in changed))
    loaded: list[LoadedScenario] = []
    problems: list[Problem] = []
    for extra in sets:
        if not extra:
            loaded.append(base)
            continue
        try:
            loaded.append(load_scenario(base_path, [*overrides, *extra]))
        except ScenarioError as exc:
            problems += [_from_vary(p, vs) for p in exc.problems]
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    # each point's values as validated (20 for a float field reads 20.0, like the base's)
    as_run = [
        {p: x if (v := _lookup(ls.resolved, p)) is _MISSING else v for p, x in point.items()}
        for point, ls in zip(points, loaded, strict=True)
    ]
    return SweepPlan(
        base=base,
        varies=vs,
        mode=mode,
        points=tuple(as_run),
        varied=tuple(varied),
        overrides=tuple(sets),
        loaded=tuple(loaded),
        base_values=base_values,
    )


def run_sweep(
    plan: SweepPlan,
    *,
    workers: int = 1,
    on_done: OnDone | None = None,
    runner: Runner | None = None,
) -> Sweep:
    """Run every point of a sweep; see :func:`sweep`."""
    results: dict[int, SweepPoint] = {}
    jobs: list[_Job] = [(ls.scenario, arms_of(ls.scenario)) for ls in plan.loaded]

    def keep(j: int, arms: dict[Arm, list[ReplicationMetrics]]) -> None:
        # summarise now and let the replications go: a sweep can have many points
        result = RunResult(plan.loaded[j].scenario, arms)
        results[j] = SweepPoint(
            values=plan.points[j],
            varied=plan.varied[j],
            loaded=plan.loaded[j],
            summary=result.summary,
            baseline=result.baseline_summary,
            effect=result.effect_summary,
        )

    with contextlib.ExitStack() as stack:
        r = runner or stack.enter_context(Runner(workers=workers))
        _run_jobs(jobs, runner=r, on_done=on_done, on_job=keep)
    return Sweep(plan=plan, points=tuple(results[j] for j in range(len(jobs))))


def sweep(
    base_path: str | Path,
    overrides: Sequence[str],
    varies: Sequence[Vary | str],
    mode: Mode = "grid",
    *,
    workers: int = 1,
    on_done: OnDone | None = None,
) -> Sweep:
    """Run a scenario at every point of a grid or of a one-at-a-time design.

    Every point is the base scenario loaded with ``overrides`` and the point's
    ``path=value`` strings (validated like ``--set``; all points are validated before any
    runs), on the base scenario's seed and replications unless a ``--vary`` changes them,
    so the points share their random numbers. Each point keeps its summary and, with a
    promotion, its baseline and paired effect.

    Args:
        base_path: The base scenario file.
        overrides: ``--set`` strings applied to every point.
        varies: ``Vary`` objects or ``--vary`` strings.
        mode: ``grid`` or ``one-at-a-time``.
        workers: Worker processes; 1 runs in this process.
        on_done: Called after each finished replication (of every point and arm) with the
            number finished so far; the total is ``plan_sweep(...).total_replications``.

    Raises:
        ScenarioError: The base scenario, a ``--vary`` or a point is invalid.
        ValueError: An unknown mode.
    """
    plan = plan_sweep(base_path, overrides, varies, mode)
    return run_sweep(plan, workers=workers, on_done=on_done)


# --------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class TornadoBar:
    """One path of a one-at-a-time sweep: the metric at its lowest and highest value."""

    path: str
    low_value: Any
    high_value: Any
    base_value: Any
    low_mean: float | None
    """The metric's mean at ``low_value`` (None where the point lacks the metric)."""
    high_mean: float | None
    base_mean: float | None
    swing: float | None
    """``|high_mean − low_mean|``; None when either is missing."""


def _ends(values: Sequence[Any]) -> tuple[int, int]:
    """Indexes of the lowest and highest number; else of the first and last value."""
    if all(_is_number(v) for v in values):
        order = sorted(range(len(values)), key=values.__getitem__)
        return order[0], order[-1]
    return 0, len(values) - 1


def tornado(s: Sweep, metric: str) -> list[TornadoBar]:
    """Per varied path, ``metric``'s mean at the path's lowest and highest value.

    For a one-at-a-time sweep. The lowest and highest are of the values the ``--vary``
    gave (numbers by value, anything else first and last as given); the base value may lie
    between them or not. Bars are sorted by swing ``|high − low|``, widest first (bars
    without a swing last). ``metric`` may be ``effect.<metric>`` for a promotion's effect.

    Raises:
        ValueError: The sweep is a grid.
    """
    if s.mode != "one-at-a-time":
        raise ValueError("a tornado needs a one-at-a-time sweep")
    base = next(p for p in s.points if p.varied is None)

    def mean(point: SweepPoint) -> float | None:
        stat = point.stats.get(metric)
        return None if stat is None else stat["mean"]

    bars = []
    for v in s.plan.varies:
        base_value = s.plan.base_values[v.path]
        # the path's points, in the order of its values (the base value is the base point)
        line = iter(p for p in s.points if p.varied == v.path)
        at = {i: base if _same(x, base_value) else next(line) for i, x in enumerate(v.values)}
        lo, hi = _ends(v.values)
        lo_mean, hi_mean = mean(at[lo]), mean(at[hi])
        swing = None if lo_mean is None or hi_mean is None else abs(hi_mean - lo_mean)
        bars.append(
            TornadoBar(
                v.path, v.values[lo], v.values[hi], base_value, lo_mean, hi_mean, mean(base), swing
            )
        )
    return sorted(bars, key=lambda b: (b.swing is None, -(b.swing or 0.0)))
