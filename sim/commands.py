"""The commands: one function per ``promosim`` command, with plain arguments and no console.

A simulating command (:func:`run`, :func:`compare`, :func:`sweep`, :func:`staff`) refuses a
taken ``--out`` and too much work, runs its arms on one backend with a cache of finished
replications, and returns a :class:`Folder`: the files of its kind (:data:`sim.outputs.FOLDERS`),
where they go, and the results to show. :func:`write` puts a folder on disk through
:mod:`sim.outputs`, with its report. Nothing here prints: lines for the user and progress go
to a :class:`Listener`, and bad input is a :class:`BadInput` whose message the command line
prints before exit code 2.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from sim import catalog
from sim.catalog import EFFECT_PREFIX

if TYPE_CHECKING:  # the simulation's modules: each command imports what it runs
    from sim import compare as comparelib
    from sim import lab as lablib
    from sim import staffing
    from sim.calibrate import Fit
    from sim.compare import Comparison, Sweep, TornadoBar
    from sim.config import Scenario
    from sim.demand import Arm
    from sim.experiment import Runner, RunResult
    from sim.funnel import FunnelFit
    from sim.loading import LoadedScenario
    from sim.outputs import DiskCache, FileContent
    from sim.staffing import QueueFigures, StaffPlan, Target

CACHE_FOLDER = ".promosim-cache"
"""Where finished replications wait, beside the command's folder, until it is written."""

LANGS = ("en", "zh")
"""The languages of reports."""


class BadInput(Exception):
    """The command's input is bad: the message to show, and exit code 2."""


class Listener:
    """What a command tells its user while it works; every method does nothing here."""

    def say(self, line: str) -> None:
        """A line for the user: a notice, a warning, a note (never a result)."""

    def start(self, description: str, total: int) -> None:
        """A count of ``total`` replications begins (a later call starts the next stage)."""

    def advance(self) -> None:
        """One replication more is finished (cached ones included)."""

    def stop(self) -> None:
        """The simulations are over, finished or not."""

    def written(self, folder: Path) -> None:
        """``folder`` is complete on disk (an interruption from now on loses nothing)."""


class _Once(Listener):
    """Passes everything on to ``inner``, each line said only the first time.

    ``lab`` loads the scenario once per variant: a warning of the scenario as written
    would otherwise be printed once per variant.
    """

    def __init__(self, inner: Listener) -> None:
        self.inner = inner
        self.said: set[str] = set()

    def say(self, line: str) -> None:
        if line not in self.said:
            self.said.add(line)
            self.inner.say(line)


@dataclass(frozen=True)
class Out:
    """Where a command's folder goes and how its report is made."""

    folder: Path | None = None
    """``--out``; None: a new folder under :attr:`root` named after the scenario and time."""
    force: bool = False
    """Replace a non-empty :attr:`folder` that promosim wrote."""
    root: Path = Path("outputs")
    lang: str = "en"
    """The report's language."""
    images: str | None = None
    """Also write each figure as a picture of this format (png or svg)."""

    @property
    def cache_root(self) -> Path:
        """Where finished replications wait until the command's folder is written."""
        return (self.folder.parent if self.folder else self.root) / CACHE_FOLDER


@dataclass(frozen=True)
class Options:
    """How a simulating command runs its replications."""

    workers: int | None = None
    """Worker processes; None: one per core (a run: at most one per replication)."""
    backend: str = "local"
    """``local`` (a process pool) or ``dask``."""
    address: str | None = None
    """A Dask scheduler; None: a LocalCluster."""
    yes: bool = False
    """Run even when the work-size estimate is above the refusal threshold."""
    command: tuple[str, ...] = ()
    """The command line, for the manifest (empty: this process's ``sys.argv``)."""

    @property
    def argv(self) -> list[str]:
        """The command line the manifest records."""
        return list(self.command or sys.argv)


T = TypeVar("T")


@dataclass
class Folder(Generic[T]):
    """A command's folder before it is written: its files, where it goes, what to show."""

    kind: str
    """A key of :data:`sim.outputs.FOLDERS`."""
    files: dict[str, FileContent]
    """Name → content; the report is added by :func:`write` unless it is here already."""
    target: Path
    """``--out``, or the default folder (then a taken name gets a suffix)."""
    out: Out
    result: T
    """What the command shows: a :class:`RunResult`, :class:`Comparison`, … ."""
    caches: list[DiskCache] = field(default_factory=list)
    """Finished replications, removed once the folder is written."""

    @property
    def manifest(self) -> dict[str, Any]:
        """The folder's ``manifest.json``."""
        from sim.outputs import MANIFEST

        data: dict[str, Any] = json.loads(str(self.files[MANIFEST]))
        return data


# --------------------------------------------------------------------------- shared steps


def check_lang(lang: str) -> None:
    """Refuse a report language promosim has no labels for."""
    if lang not in LANGS:
        raise BadInput(f"--lang: {lang!r} is not en or zh")


def check_backend(backend: str) -> Literal["local", "dask"]:
    """``local`` or ``dask``; anything else is bad input."""
    if backend not in ("local", "dask"):
        raise BadInput(f"--backend: {backend!r} is not local or dask")
    return "dask" if backend == "dask" else "local"


def load(path: Path, overrides: Sequence[str], listener: Listener) -> LoadedScenario:
    """Load a scenario; the files upgraded from an older format are told to the listener."""
    from sim.loading import ScenarioError, load_scenario

    try:
        loaded = load_scenario(path, list(overrides))
    except ScenarioError as e:
        raise BadInput(str(e)) from None
    notices(loaded, listener)
    return loaded


def notices(loaded: LoadedScenario, listener: Listener) -> None:
    """Tell which files were upgraded from an older format on load, and its warnings."""
    for notice in loaded.notices:
        listener.say(f"notice: {notice}")
    for warning in loaded.warnings:
        listener.say(f"warning: {warning}")


def overrides(set_: Sequence[str] | None, replications: int | None, seed: int | None) -> list[str]:
    """``--set`` values, then ``--replications`` and ``--seed`` as overrides."""
    out = list(set_ or [])
    if replications is not None:
        out.append(f"replications={replications}")
    if seed is not None:
        out.append(f"seed={seed}")
    return out


def check_out(out: Out, inputs: Sequence[Path] = ()) -> None:
    """Refuse a ``--out`` folder that exists and is not empty (unless forced), before any work.

    Nor may it be (or hold) one of the command's inputs.
    """
    from sim.outputs import OutputError, check_paths, check_target

    try:
        if out.folder is not None:
            check_paths([out.folder], inputs)
            check_target(out.folder, out.force)
    except OutputError as e:
        raise BadInput(f"promosim: {e}") from None


def check_work(runs: Sequence[tuple[Scenario, int]], yes: bool, listener: Listener) -> None:
    """Refuse (unless ``yes``) or warn before simulating work this large (:mod:`sim.worksize`)."""
    from sim import worksize

    decision, line = worksize.assess(list(runs))
    if decision == "refuse" and not yes:
        raise BadInput(f"promosim: refused: too large to simulate: {line}; add --yes to run it")
    if decision != "ok":
        listener.say(f"warning: a large run: {line}")


FEW_REPLICATIONS = 5
"""Below this many replications a 95% CI rests on too few values to be read closely."""


def few_replications(n: int) -> str | None:
    """The warning for a run of ``n`` replications, if fewer than :data:`FEW_REPLICATIONS`."""
    if n >= FEW_REPLICATIONS:
        return None
    why = "no CI can be drawn from one" if n == 1 else "its 95% CIs rest on very few values"
    return (
        f"warning: {n} replication{'s' * (n != 1)}: {why}; run {2 * FEW_REPLICATIONS} or "
        "more (--replications) before deciding on the figures"
    )


FEW_CHECK_REPLICATIONS = 10
"""Below this many replications ``staff``'s fresh checks prove little (:func:`few_for_staff`)."""


def few_for_staff(n: int) -> str | None:
    """The warning for ``staff`` on ``n`` replications (fewer than :data:`FEW_CHECK_REPLICATIONS`).

    A fresh check calls an interval missed only when its 99% CI lies wholly on the wrong
    side: on few replications the CIs are so wide that hardly any miss is significant,
    and a passing check says little about the plan.
    """
    if n >= FEW_CHECK_REPLICATIONS:
        return None
    return (
        f"warning: {n} replication{'s' * (n != 1)}: the fresh checks' 99% CIs are too wide "
        "to find a miss, so a plan that passes them may still miss its targets; staff with "
        f"{FEW_CHECK_REPLICATIONS} or more (--replications; the default is 20)"
    )


def check_replications(n: int, listener: Listener) -> None:
    """Warn the listener of a run of too few replications to read its CIs."""
    warning = few_replications(n)
    if warning is not None:
        listener.say(warning)


class _Engine:
    """One backend for a command's replications, and a cache folder per job.

    A job (a scenario and its arms) is cached under ``key(scenario, arms)``: by default its
    config hash and arms; every cache is cleared once the command's folder is written.
    """

    def __init__(
        self,
        options: Options,
        out: Out,
        listener: Listener,
        *,
        workers: int,
        key: Callable[[Scenario, tuple[Arm, ...]], str] | None = None,
    ) -> None:
        from sim.experiment import Runner
        from sim.loading import config_hash
        from sim.outputs import DiskCache

        backend = check_backend(options.backend)
        self.listener = listener
        self.caches: list[DiskCache] = []
        root = out.cache_root

        def cache_for(scenario: Scenario, arms: tuple[Arm, ...]) -> DiskCache:
            name = key(scenario, arms) if key else f"{config_hash(scenario)}-{'+'.join(arms)}"
            cache = DiskCache(root, name, arms)
            self.caches.append(cache)
            return cache

        self.runner = Runner(
            workers=workers, backend=backend, address=options.address, cache_for=cache_for
        )

    @contextmanager
    def running(self, description: str, total: int) -> Iterator[Runner]:
        """The runner, open, with the listener counting ``total`` replications.

        On an interruption or failure the workers stop at once (:meth:`Runner.close`).
        Afterwards the listener hears which finished replications were reused.
        """
        try:
            self.listener.start(description, total)
            with self.runner:
                yield self.runner
        finally:
            self.listener.stop()
        self._resumed()

    def _resumed(self) -> None:
        for cache in self.caches:
            for notice in cache.notices:
                self.listener.say(f"notice: {notice}")
        hits = sum(c.hits for c in self.caches)
        if hits:
            self.listener.say(
                f"resumed: {hits} replication(s) finished by an interrupted run were reused"
            )


def _folder(
    kind: str,
    files: dict[str, FileContent],
    out: Out,
    named_by: LoadedScenario,
    created: dt.datetime,
    result: T,
    engine: _Engine,
) -> Folder[T]:
    from sim.outputs import default_run_dir

    target = out.folder or default_run_dir(out.root, named_by, created.astimezone(), kind)
    return Folder(kind, files, target, out, result, engine.caches)


def write(folder: Folder[Any], listener: Listener | None = None) -> Path:
    """Write a command's folder atomically, its report and workbook built from its files.

    A default folder name that is taken gets a suffix; a taken ``--out`` is bad input.
    The folder's caches of finished replications are removed once it is written. Returns
    the folder.
    """
    from sim.outputs import (
        REPORT,
        WORKBOOK,
        OutputError,
        clean_leftovers,
        folder_workbook,
        write_run,
    )

    listener = listener or Listener()
    out = folder.out
    for line in clean_leftovers(folder.target.parent):
        listener.say(f"notice: {line}")

    def report_in(tmp: Path) -> None:
        add_report(tmp, out.lang, out.images)

    # the report (and its pictures) go in before the folder appears, unless it is a file
    # already (a run's, built from the files in memory) and there are no pictures
    finish = report_in if out.images is not None or REPORT not in folder.files else None
    files = {**folder.files, WORKBOOK: folder_workbook(folder.kind, folder.files, out.lang)}
    try:
        written = write_run(
            folder.target,
            files,
            force=out.force,
            unique=out.folder is None,
            finish=finish,
        )
    except OutputError as e:
        raise BadInput(f"promosim: {e}") from None
    listener.written(written)
    for cache in folder.caches:
        cache.clear()
    return written


# --------------------------------------------------------------------------- run


def run(
    loaded: LoadedScenario,
    *,
    out: Out = Out(),
    options: Options = Options(),
    listener: Listener | None = None,
    event_log: bool = False,
) -> Folder[RunResult]:
    """Simulate a scenario (both arms with a promotion): a run folder.

    Args:
        loaded: The scenario.
        out: Where its folder goes; its report's language.
        options: Workers, backend, the refusal override, the command line.
        listener: Told of progress, notices and warnings.
        event_log: Also hold ``orders.csv`` and ``contacts.csv`` of replication 0.
    """
    from sim.experiment import RunResult, arms_of, event_log_of
    from sim.outputs import run_files

    listener = listener or Listener()
    s = loaded.scenario
    check_out(out, loaded.files)
    check_work([(s, s.replications)], options.yes, listener)
    check_replications(s.replications, listener)
    workers = options.workers or min(os.cpu_count() or 1, s.replications)
    arms = arms_of(s)
    engine = _Engine(
        options,
        out,
        listener,
        workers=min(workers, s.replications),
        key=lambda _s, _a: loaded.hash,
    )
    with engine.running(f"{s.name}: replications", s.replications) as runner:
        (reps,) = runner.run([(s, arms)], lambda _j, _r: listener.advance())
    result = RunResult(s, {arm: [d[arm] for d in reps] for arm in arms})
    created = dt.datetime.now(dt.UTC)
    files = run_files(
        loaded,
        result,
        command=options.argv,
        created=created,
        workers=workers,
        report_lang=out.lang,
        event_log=event_log_of(s) if event_log else None,
    )
    return _folder("run", files, out, loaded, created, result, engine)


# --------------------------------------------------------------------------- compare, sweep


def compare(
    loaded: Sequence[LoadedScenario],
    *,
    out: Out = Out(),
    options: Options = Options(),
    listener: Listener | None = None,
    named_by: LoadedScenario | None = None,
) -> Folder[Comparison]:
    """Scenarios as the arms of one experiment on common random numbers: a compare folder.

    ``named_by``: the scenario the default folder is named after (the first arm's).
    """
    from sim import compare as comparelib
    from sim.outputs import compare_files, folder_manifest

    listener = listener or Listener()
    check_out(out, [f for one in loaded for f in one.files])
    plan = comparelib.plan_comparison(loaded)
    for note in plan.notes:
        listener.say(f"note: {note}")
    check_work([(sc, plan.replications) for sc in plan.scenarios.values()], options.yes, listener)
    check_replications(plan.replications, listener)
    workers = options.workers or (os.cpu_count() or 1)
    engine = _Engine(options, out, listener, workers=workers)
    with engine.running("compare: replications", plan.total_replications) as runner:
        result = comparelib.run_comparison(
            plan, on_done=lambda _: listener.advance(), runner=runner
        )
    created = dt.datetime.now(dt.UTC)
    files = compare_files(result, folder_manifest("compare", options.argv, created, workers))
    return _folder("compare", files, out, named_by or loaded[0], created, result, engine)


@dataclass(frozen=True)
class Lab:
    """A mechanic lab: the comparison of its variants and their ranking."""

    comparison: comparelib.Comparison
    variants: list[lablib.Variant]
    ranking: list[lablib.Ranked]
    targets: tuple[staffing.Target, ...] = ()
    """What the ranking's short agent-hours are counted against."""


def lab(
    path: Path,
    base: Sequence[str],
    extra: Sequence[str],
    *,
    only: Sequence[str] = (),
    targets: Sequence[str] = (),
    out: Out = Out(),
    options: Options = Options(),
    listener: Listener | None = None,
) -> Folder[Lab]:
    """The scenario's promotion under each mechanic variant on common random numbers.

    ``base``: overrides of every arm (``--set``, ``--replications``, ``--seed``);
    ``extra``: ``--variant`` texts; ``only``: the built-in variants to keep (all if empty;
    ``as-written`` is always the reference); ``targets``: what the short agent-hours are
    counted against (``--target`` texts; default :func:`sim.lab.default_targets`). A
    compare folder with ``lab.csv``.
    """
    from sim import lab as lablib
    from sim import staffing
    from sim.loading import ScenarioError
    from sim.outputs import lab_csv

    listener = listener or Listener()
    once = _Once(listener)
    reference = load(path, base, once)
    try:
        builtin = lablib.builtin_variants(reference.scenario)
        mine = [lablib.parse_variant(text) for text in extra]
    except ValueError as e:
        raise BadInput(f"promosim lab: {e}") from None
    try:
        goals = (
            [staffing.parse_target(text) for text in targets]
            if targets
            else lablib.default_targets(reference.scenario)
        )
        staffing.check_targets(reference.scenario, goals)
    except ScenarioError as e:
        raise BadInput(str(e)) from None
    known = [v.name for v in builtin]
    unknown = [name for name in only if name not in known]
    if unknown:
        raise BadInput(
            f"--mechanics: unknown variant(s) {', '.join(unknown)}; "
            f"this scenario's: {', '.join(known)}"
        )
    keep = {"as-written", *only} if only else set(known)
    variants = [v for v in builtin if v.name in keep] + mine
    names = [v.name for v in variants]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BadInput(f"--variant: the name(s) {', '.join(repeated)} are taken")
    loaded = [load(path, [*base, *v.sets, f"name={v.name}"], once) for v in variants]
    folder = compare(loaded, out=out, options=options, listener=listener, named_by=reference)
    ranking = lablib.rank(folder.result, variants, goals)
    files = {**folder.files, "lab.csv": lab_csv(ranking)}
    lab = Lab(folder.result, variants, ranking, tuple(goals))
    return Folder(folder.kind, files, folder.target, out, lab, folder.caches)


@dataclass(frozen=True)
class Swept:
    """A sweep and, one at a time, its tornado."""

    sweep: Sweep
    metric: str
    """The tornado's metric."""
    bars: list[TornadoBar]
    """The tornado's bars, widest first (none for a grid)."""


def sweep(
    scenario: Path,
    vary: Sequence[str],
    *,
    one_at_a_time: bool = False,
    metric: str = "all.service_level",
    overrides: Sequence[str] = (),
    out: Out = Out(),
    options: Options = Options(),
    listener: Listener | None = None,
) -> Folder[Swept]:
    """A scenario over a grid, or one path at a time (tornado of ``metric``): a sweep folder."""
    from sim import compare as comparelib
    from sim.loading import ScenarioError
    from sim.outputs import folder_manifest, sweep_files

    listener = listener or Listener()
    mode: comparelib.Mode = "one-at-a-time" if one_at_a_time else "grid"
    try:
        plan = comparelib.plan_sweep(scenario, list(overrides), list(vary), mode)
    except ScenarioError as e:
        raise BadInput(str(e)) from None
    notices(plan.base, listener)
    check_metric(metric, plan.base.scenario)  # the tornado's metric, and a grid's column
    check_out(out, plan.base.files)
    runs = [(ls.scenario, ls.scenario.replications) for ls in plan.loaded]
    check_work(runs, options.yes, listener)
    check_replications(min(n for _, n in runs), listener)
    workers = options.workers or (os.cpu_count() or 1)
    engine = _Engine(options, out, listener, workers=workers)
    description = f"sweep: {len(plan.points)} points"
    with engine.running(description, plan.total_replications) as runner:
        result = comparelib.run_sweep(plan, on_done=lambda _: listener.advance(), runner=runner)
    created = dt.datetime.now(dt.UTC)
    bars = comparelib.tornado(result, metric) if one_at_a_time else []
    files = sweep_files(
        result,
        folder_manifest("sweep", options.argv, created, workers),
        (metric, bars) if one_at_a_time else None,
    )
    swept = Swept(result, metric, bars)
    return _folder("sweep", files, out, plan.loaded[0], created, swept, engine)


def check_metric(metric: str, scenario: Scenario) -> None:
    """Refuse a ``--metric`` no run of ``scenario`` can hold, before anything is simulated."""
    from sim.demand import reasons_of

    key = metric.removeprefix(EFFECT_PREFIX)
    if key != metric and scenario.promotion is None:
        raise BadInput(f"--metric {metric!r}: effect.… needs a scenario with a promotion")
    kpis = list(scenario.platform.kpis) if scenario.platform is not None else []
    keys = catalog.metric_keys(
        scenario.channels,
        [g.name for g in scenario.staffing.groups],
        reasons_of(scenario),
        kpis,
    )
    if key in keys:
        return
    head = key.split(".", 1)[0]
    if head in ("csat_dist", "issues_with", "csat_lost") and catalog.lookup(key) is not None:
        return
    prefix = metric[: len(metric) - len(key)]  # effect., if given: the suggestions keep it
    close = [prefix + k for k in difflib.get_close_matches(key, keys, n=3, cutoff=0.6)]
    hint = f"; did you mean {', '.join(close)}?" if close else " (docs/metrics.md lists them)"
    raise BadInput(f"--metric {metric!r} is not a metric of this scenario{hint}")


# --------------------------------------------------------------------------- staff


@dataclass(frozen=True)
class Staffed:
    """A staffing plan, the targets it meets and the schedule blocks to paste."""

    plan: StaffPlan
    targets: list[Target]
    blocks: dict[str, dict[str, Any]]
    """Group → its ``extra_shifts`` to book and its plan as an ``intervals`` ``schedule``."""


def staff(
    loaded: LoadedScenario,
    targets: Sequence[str],
    *,
    per_interval: bool = True,
    shift_hours: Sequence[float] | None = None,
    search_replications: int | None = None,
    out: Out = Out(),
    options: Options = Options(),
    listener: Listener | None = None,
) -> Folder[Staffed]:
    """Agents per interval and group meeting every target at the least agent-hours."""
    from sim import staffing
    from sim.loading import ScenarioError
    from sim.outputs import folder_manifest, staff_files
    from sim.roster import extra_shifts_block

    listener = listener or Listener()
    s = loaded.scenario
    try:
        parsed = [staffing.parse_target(t) for t in targets]
        staffing.check_targets(s, parsed)
    except ScenarioError as e:
        raise BadInput(str(e)) from None
    check_out(out, loaded.files)
    check_work([(s, s.replications)], options.yes, listener)  # per simulation; staff runs several
    warning = few_for_staff(s.replications)
    if warning is not None:
        listener.say(warning)
    search = min(s.replications, search_replications or staffing.SEARCH_REPLICATIONS)
    workers = options.workers or min(os.cpu_count() or 1, s.replications)
    engine = _Engine(options, out, listener, workers=workers)
    stage = "load"

    def on_done(now: str, _: int, total: int) -> None:
        nonlocal stage
        if now != stage:
            stage = now
            listener.start(f"{s.name}: {now}", total)
        listener.advance()

    with engine.running("load", min(search, staffing.LOAD_REPLICATIONS)) as runner:
        plan = staffing.staff(
            s,
            parsed,
            per_interval=per_interval,
            on_done=on_done,
            runner=runner,
            search_replications=search,
            shift_hours=shift_hours,
        )
    roster = plan.roster
    blocks = {
        g: {
            "extra_shifts": extra_shifts_block(roster, g) if roster is not None else [],
            "schedule": staffing.plan_block(plan, g),
        }
        for g in plan.required
    }
    created = dt.datetime.now(dt.UTC)
    files = staff_files(
        loaded,
        plan,
        parsed,
        per_interval=per_interval,
        blocks=blocks,
        manifest_json=folder_manifest("staff", options.argv, created, workers),
    )
    staffed = Staffed(plan, parsed, blocks)
    return _folder("staff", files, out, loaded, created, staffed, engine)


# --------------------------------------------------------------------------- report


def build_report(folder: Path, lang: str, figures: dict[str, Any] | None = None) -> str:
    """The report of any command's folder, by its kind (plotly only when called)."""
    from sim import report as reports
    from sim.outputs import folder_kind

    builders = {
        "run": reports.build_report,
        "compare": reports.build_compare_report,
        "sweep": reports.build_sweep_report,
        "staff": reports.build_staff_report,
    }
    # a folder of no known kind is read as a run folder: its report says what is missing
    kind = folder_kind(folder) or "run"
    try:
        html: str = builders[kind](folder, lang, figures)
    except reports.ReportError as e:
        raise BadInput(f"promosim: {e}") from None
    return html


def add_report(
    folder: Path,
    lang: str,
    images: str | None = None,
    target: Path | None = None,
    replace: bool = True,
) -> Path:
    """Write a folder's report (to ``target``, by default its report.html); return where.

    With ``images``, each figure is also written as a picture in ``images/`` beside it.
    Without ``replace`` no existing file is written over.
    """
    from sim import report as reports
    from sim.outputs import REPORT, OutputError, write_report

    target = target or folder / REPORT
    # the figures are kept only for pictures: a year's figures hold tens of MB
    figures: dict[str, Any] | None = {} if images is not None else None
    try:
        write_report(target, build_report(folder, lang, figures), replace=replace)
    except OutputError as e:
        raise BadInput(f"promosim: {e}") from None
    if images is not None and figures is not None:
        try:
            pictures = reports.figure_images(figures, images)
        except reports.ReportError as e:
            raise BadInput(f"promosim: {e}") from None
        for name, content in pictures.items():
            try:
                write_report(target.parent / "images" / name, content, replace=replace)
            except OutputError as e:
                raise BadInput(f"promosim: {e}") from None
    return target


def report(
    folder: Path,
    lang: str = "en",
    out_file: Path | None = None,
    images: str | None = None,
    force: bool = False,
) -> Path:
    """Rebuild a folder's report from its files (the same bytes its command wrote)."""
    from sim.outputs import REPORT, OutputError, check_file_target, check_paths

    check_lang(lang)
    target = out_file or folder / REPORT
    if out_file is not None:
        inputs = list(folder.iterdir()) if folder.is_dir() else []
        try:
            check_paths([out_file], [p for p in inputs if p.name != REPORT])
            check_file_target(out_file, "report", force=force)
        except OutputError as e:
            raise BadInput(f"promosim: {e}") from None
    return add_report(folder, lang, images, target, replace=out_file is None or force)


# --------------------------------------------------------------------------- brief

BRIEF = "brief.html"
BRIEF_PDF = "brief.pdf"
SENSITIVITY = "sensitivity.json"
_SENSITIVITY_GENERATOR = "promosim brief"
BRIEF_REPLICATIONS = 3
"""Replications per point of a brief's sensitivity: a quick ranking, not a study (a sweep
of the same paths is the study)."""


@dataclass(frozen=True)
class Briefed:
    """What ``promosim brief`` wrote."""

    html: Path
    pdf: Path | None
    sensitivity: Path | None
    reused: bool
    """The sensitivity was read from the folder's sensitivity.json (same scenario, same
    paths and ranges, same replications), not run again."""


def _sensitivity_key(
    config_hash: str, metric: str, replications: int, assumptions: Sequence[Any]
) -> dict[str, Any]:
    return {
        "generator": _SENSITIVITY_GENERATOR,
        "config_hash": config_hash,
        "metric": metric,
        "replications": replications,
        "paths": [[a.path, a.low, a.high] for a in assumptions],
    }


def _read_sensitivity(folder: Path) -> dict[str, Any] | None:
    """The folder's sensitivity.json as read (None: there is none, or it is unreadable)."""
    from sim.report.data import ReportError, read_json

    if not os.path.lexists(folder / SENSITIVITY):
        return None
    try:
        return read_json(folder, SENSITIVITY, "sensitivity")
    except ReportError:
        return None


def _answers(data: dict[str, Any], key: dict[str, Any]) -> bool:
    """Whether a read sensitivity.json is promosim's and answers ``key``."""
    if any(data.get(k) != v for k, v in key.items()):
        return False
    points = data.get("points")
    # not what a brief writes: run the sensitivity again
    return isinstance(points, list) and all(_sensitivity_point(p) for p in points)


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _sensitivity_point(point: Any) -> bool:
    """Whether ``point`` is a sensitivity.json point as a brief writes it."""
    if not isinstance(point, dict) or not isinstance(point.get("path"), str):
        return False
    for end in ("low", "high"):
        stat = point.get(end)
        if not isinstance(stat, dict):
            return False
        if stat and not _number(stat.get("mean")):
            return False
        ci = stat.get("ci95")
        if ci is not None and not (isinstance(ci, list) and len(ci) == 2 and all(map(_number, ci))):
            return False
    return True


def _run_sensitivity(
    folder: Path,
    metric: str,
    replications: int,
    assumptions: Sequence[Any],
    options: Options,
    listener: Listener,
) -> list[dict[str, Any]]:
    """Per assumption, ``metric``'s statistics at its low and its high end."""
    from sim import assumptions as alib
    from sim import compare as comparelib
    from sim.loading import ScenarioError

    try:
        plan = comparelib.plan_sweep(
            folder / "scenario.resolved.yaml",
            [f"replications={replications}"],
            alib.vary_options(assumptions),
            "one-at-a-time",
        )
    except ScenarioError as e:
        raise BadInput(f"promosim: the run's scenario cannot be varied: {e}") from None
    workers = options.workers or (os.cpu_count() or 1)
    engine = _Engine(options, Out(root=folder.parent), listener, workers=workers)
    description = f"brief: {len(assumptions)} assumptions, {len(plan.points)} points"
    try:
        with engine.running(description, plan.total_replications) as runner:
            result = comparelib.run_sweep(plan, on_done=lambda _: listener.advance(), runner=runner)
    finally:
        for cache in engine.caches:
            cache.clear()
    base = next(p for p in result.points if p.varied is None)

    def at(path: str, value: float) -> dict[str, Any]:
        for p in result.points:
            if p.varied == path and float(p.values[path]) == value:
                return dict(p.stats.get(metric) or {})
        return dict(base.stats.get(metric) or {})  # the end is the base value itself

    out = []
    for a in assumptions:
        at_low, at_high = at(a.path, a.low), at(a.path, a.high)
        out.append({"path": a.path, "low": at_low, "high": at_high})
    return out


def brief(
    folder: Path,
    lang: str = "en",
    *,
    pdf: bool = False,
    out_file: Path | None = None,
    force: bool = False,
    replications: int = BRIEF_REPLICATIONS,
    staff_folder: Path | None = None,
    compare_folder: Path | None = None,
    options: Options = Options(),
    listener: Listener | None = None,
) -> Briefed:
    """Write a run folder's one-page brief (HTML; PDF through Chromium with ``pdf``).

    The sensitivity (``replications`` per point; 0: none) is kept in the folder's
    sensitivity.json and reused by the next brief of the same run (another language).
    """
    from sim import assumptions as alib
    from sim.outputs import OutputError, check_file_target, check_paths, write_report
    from sim.report import brief as brieflib
    from sim.report.data import ReportError

    listener = listener or Listener()
    check_lang(lang)
    if replications < 0:
        raise BadInput("--replications: must be 0 (no sensitivity) or more")
    from sim.outputs import folder_kind

    kind = folder_kind(folder) if folder.is_dir() else None
    if kind is not None and kind != "run":
        hint = (
            "; pass a run folder of the reference scenario and this one with --compare"
            if kind == "compare"
            else ""
        )
        raise BadInput(f"promosim: {folder}: a {kind} folder, and a brief is of a run{hint}")
    try:
        run = brieflib.read_brief_run(folder)
    except ReportError as e:
        raise BadInput(f"promosim: {e}") from None
    target = out_file or folder / BRIEF
    pdf_target = target.with_suffix(".pdf") if pdf else None
    try:
        inputs = [p for p in folder.iterdir() if p.name not in (BRIEF, BRIEF_PDF, SENSITIVITY)]
        check_paths([target, *([pdf_target] if pdf_target else [])], inputs)
        if out_file is not None or os.path.lexists(target):
            # the folder's own brief.html is replaced like report.html, but only promosim's
            check_file_target(target, "report", force=force or out_file is None)
        if pdf_target is not None and os.path.lexists(pdf_target):
            if not force:
                raise OutputError(f"{pdf_target}: exists; choose another name, or add --force")
            if not _our_pdf(pdf_target):
                raise OutputError(
                    f"{pdf_target}: --force replaces only a brief promosim printed; this file "
                    "is not, so it is left alone"
                )
    except OutputError as e:
        raise BadInput(f"promosim: {e}") from None

    sens: brieflib.Sensitivity | None = None
    sens_path = folder / SENSITIVITY if replications else None
    reused = False
    metric = brieflib.brief_metric(run)
    if sens_path is not None:
        chosen = alib.applicable(run.scenario or {})
        key = _sensitivity_key(
            str(run.summary.get("config_hash", "")), metric, replications, chosen
        )
        found = _read_sensitivity(folder)
        if found is not None and _answers(found, key):
            cached, reused = found, True
        else:
            # refused before the simulations, not after them
            if os.path.lexists(sens_path) and (
                found is None or found.get("generator") != _SENSITIVITY_GENERATOR
            ):
                raise BadInput(f"promosim: {sens_path}: exists and is not promosim's; left alone")
            points = _run_sensitivity(folder, metric, replications, chosen, options, listener)
            cached = {**key, "points": points}
            text = json.dumps(cached, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
            try:
                write_report(sens_path, text)
            except OutputError as e:
                raise BadInput(f"promosim: {e}") from None
        by_path = {p.get("path"): p for p in cached["points"] if isinstance(p, dict)}
        rows = []
        for a in chosen:
            p = by_path.get(a.path)
            if p is None:
                continue
            rows.append(
                brieflib.AssumptionRow(
                    a.path, a.label(lang), a.unit, a.low, a.high, p["low"], p["high"]
                )
            )
        sens = brieflib.Sensitivity(metric, replications, tuple(rows))
    try:
        page = brieflib.build_brief(
            folder,
            lang,
            sensitivity=sens,
            staff_folder=staff_folder,
            compare_folder=compare_folder,
            run=run,
        )
        write_report(target, page)
    except ReportError as e:
        raise BadInput(f"promosim: {e}") from None
    except OutputError as e:
        raise BadInput(f"promosim: {e}") from None
    if pdf_target is not None:
        print_pdf(target, pdf_target)
    return Briefed(target, pdf_target, sens_path, reused)


def _our_pdf(path: Path) -> bool:
    """Whether ``path`` is a regular file holding a PDF brief promosim printed (its title)."""
    from sim.files import UnreadableFile, read_bounded
    from sim.report.brief import PDF_MARK

    if path.is_symlink() or not path.is_file():
        return False
    try:
        data = read_bounded(path, 64 * 2**20)
    except UnreadableFile:
        return False
    utf16 = PDF_MARK.encode("utf-16-be").hex().upper().encode()
    return data.startswith(b"%PDF-") and (
        f"{PDF_MARK})".encode() in data or utf16 + b">" in data.upper()
    )


def chromium() -> str:
    """The system's Chromium (``PROMOSIM_CHROMIUM``, else chromium on the PATH).

    Raises:
        BadInput: None is installed.
    """
    import shutil

    named = os.environ.get("PROMOSIM_CHROMIUM")
    for candidate in ([named] if named else []) + ["chromium", "chromium-browser"]:
        found = shutil.which(candidate)
        if found:
            return found
    raise BadInput(
        "promosim: --pdf prints with Chromium, and none was found "
        "(install it: apt-get install chromium, or set PROMOSIM_CHROMIUM)"
    )


def print_pdf(html_file: Path, pdf_file: Path) -> Path:
    """Print an HTML file to PDF (A4, its own @page margins) with headless Chromium."""
    import subprocess
    import tempfile

    exe = chromium()
    with tempfile.TemporaryDirectory(prefix="promosim-pdf-") as tmp:
        out = Path(tmp) / "brief.pdf"
        args = [
            exe,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            html_file.resolve().as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses root without it
        try:
            done = subprocess.run(args, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise BadInput(f"promosim: Chromium could not print the brief: {e}") from None
        if done.returncode != 0 or not out.is_file():
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise BadInput(
                f"promosim: Chromium could not print the brief (exit {done.returncode}"
                f"{': ' + tail[0] if tail else ''})"
            )
        from sim.outputs import OutputError, write_report

        try:
            write_report(pdf_file, out.read_bytes())
        except OutputError as e:
            raise BadInput(f"promosim: {e}") from None
    return pdf_file


# ------------------------------------------------------------------- init, erlang, calibrate


def init(
    name: str,
    template: str,
    configs: Path,
    folder: Path,
    *,
    title: str | None = None,
    version: str | None = None,
    start: str | None = None,
) -> Path:
    """Write ``folder/<name>.yaml``, a new scenario extending ``template`` (bundled or a file).

    ``start`` (YYYY-MM-DD): the new calendar's first day; the promotion's dates move with it.
    """
    from sim import review
    from sim.loading import ScenarioError
    from sim.outputs import OutputError, write_new_file

    day = None
    if start is not None:
        try:
            day = dt.date.fromisoformat(start)
        except ValueError:
            raise BadInput(f"--start: {start!r} is not a date YYYY-MM-DD") from None
    dest = folder / f"{name}.yaml"
    try:
        text = review.init_scenario(
            name, template, configs, dest, title=title, version=version, start=day
        )
        write_new_file(dest, text)
    except (ValueError, OutputError) as e:
        raise BadInput(f"promosim: {e}") from None
    except ScenarioError as e:
        raise BadInput(f"promosim: --from {template}: {e}") from None
    return dest


def agent_counts(text: str) -> list[int]:
    """``--agents``: a number, or a range ``lo:hi`` (both included), each at least 1."""
    try:
        if ":" in text:
            lo, hi = (int(x) for x in text.split(":", 1))
            counts = list(range(lo, hi + 1))
        else:
            counts = [int(text)]
    except ValueError:
        raise BadInput(f"--agents: {text!r} is not a number or a range lo:hi") from None
    if not counts or min(counts) < 1:
        raise BadInput(f"--agents: {text!r} must be at least 1 agent")
    return counts


def erlang(
    rate: float,
    aht: float,
    agents: str,
    patience: float | None,
    threshold: float,
    concurrency: int = 1,
) -> list[tuple[int, QueueFigures]]:
    """Exact Erlang C (``patience`` None) or Erlang A figures for each agent count.

    With ``concurrency`` k each agent holds k contacts at once (chat): ``n`` agents are
    ``n·k`` servers, each contact one slot for its handle time, as ``staff`` plans a chat
    desk. The figures' ``agents`` are then the servers; their occupancy is busy slots ÷
    slots, the same as busy agent-time ÷ agent-time with a chat counted 1/k of an agent.
    """
    from sim import staffing
    from sim.config import MAX_CONCURRENCY

    if aht <= 0:
        raise BadInput("--aht: must be greater than 0 seconds")
    if patience is not None and patience <= 0:
        raise BadInput("--patience: must be greater than 0 seconds (omit it for Erlang C)")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise BadInput(f"--concurrency: {concurrency} is not from 1 to {MAX_CONCURRENCY}")
    return [
        (n, staffing.erlang_a(rate, aht, patience, n * concurrency, threshold))
        for n in agent_counts(agents)
    ]


@dataclass(frozen=True)
class Calibration:
    """A fit written as a fragment and its report."""

    fit: Fit | None
    """The orders and contacts fit (None: an hourly export alone)."""
    fragment: Path
    report: Path
    funnel: FunnelFit | None = None
    """The hourly export's fit (None: no ``--funnel``)."""


def calibrate(
    orders: Path | None,
    contacts: Path | None,
    out_file: Path,
    *,
    funnel: Path | None = None,
    funnel_channel: str = "chat",
    report_file: Path | None = None,
    map_orders: Sequence[str] = (),
    map_contacts: Sequence[str] = (),
    map_funnel: Sequence[str] = (),
    map_file: Path | None = None,
    satisfied_from: float | None = None,
    lang: str = "en",
    force: bool = False,
) -> Calibration:
    """Fit a scenario fragment to a shop's exports; write it and its fit report.

    The exports are ``orders`` with ``contacts``, an hourly service export (``funnel``), or
    all three; the fragment holds what each fits.
    """
    from sim import calibrate as cal
    from sim import funnel as fun
    from sim import report as reports
    from sim.loading import ScenarioError, load_data_file
    from sim.outputs import OutputError, check_file_target, check_paths, write_file, write_report

    check_lang(lang)
    if (orders is None) != (contacts is None):
        raise BadInput("calibrate: --orders and --contacts go together")
    if orders is None and funnel is None:
        raise BadInput("calibrate: give --orders and --contacts, or --funnel, or all three")
    if not cal.NAME.fullmatch(funnel_channel) or funnel_channel in cal.RESERVED_CHANNELS:
        raise BadInput(
            f"--funnel-channel: {cal._quoted(funnel_channel)} is not a channel name (a "
            "lower-case letter, then lower-case letters, digits or _; not "
            f"{', '.join(cal.RESERVED_CHANNELS)})"
        )
    report_path = report_file or out_file.with_name(out_file.stem + ".report.html")
    inputs = [p for p in (orders, contacts, funnel, map_file) if p is not None]
    try:
        check_paths([out_file, report_path], inputs)
        check_file_target(out_file, "fragment", force=force)
        check_file_target(report_path, "report", force=force)
    except OutputError as e:
        raise BadInput(f"promosim: {e}") from None
    problems: list[str] = []
    exports = hourly = None
    try:
        data = None
        if map_file is not None:
            try:
                data = load_data_file(map_file)
            except ScenarioError as e:
                raise cal.ExportError([str(p) for p in e.problems]) from None
        mapping = cal.column_map(
            data,
            list(map_orders),
            list(map_contacts),
            satisfied_from,
            str(map_file),
            list(map_funnel),
        )
    except cal.ExportError as e:
        raise BadInput(str(e)) from None
    # every export's problems at once
    if orders is not None and contacts is not None:
        try:
            exports = cal.load_exports(orders, contacts, mapping)
        except cal.ExportError as e:
            problems += e.problems
    if funnel is not None:
        try:
            hourly = fun.load_funnel(funnel, mapping.funnel)
        except cal.ExportError as e:
            problems += e.problems
    if problems:
        raise BadInput(str(cal.ExportError(problems)))
    fitted = cal.fit(exports, satisfied_from=mapping.satisfied_from) if exports else None
    funnel_fit = fun.fit_funnel(hourly, funnel_channel) if hourly is not None else None
    if fitted is not None:
        fragment = cal.fragment_yaml(fitted, f"{orders}, {contacts}", funnel_fit, str(funnel or ""))
    else:
        assert funnel_fit is not None
        fragment = fun.funnel_yaml(funnel_fit, str(funnel))
    page = reports.build_calibration_report(fitted, lang, funnel_fit)
    try:  # whole or not at all: a temporary file linked (new) or renamed (--force) into place
        write_file(out_file, fragment, replace=force)
        write_report(report_path, page, replace=force)
    except OutputError as e:
        raise BadInput(f"promosim: {e}") from None
    return Calibration(fitted, out_file, report_path, funnel_fit)


__all__ = [
    "BadInput",
    "Calibration",
    "Folder",
    "Listener",
    "Options",
    "Out",
    "Staffed",
    "Swept",
    "add_report",
    "agent_counts",
    "build_report",
    "calibrate",
    "check_lang",
    "check_out",
    "check_replications",
    "check_work",
    "compare",
    "erlang",
    "few_for_staff",
    "few_replications",
    "init",
    "load",
    "overrides",
    "report",
    "run",
    "staff",
    "sweep",
    "write",
]
