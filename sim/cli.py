"""The ``promosim`` command line: parses, calls the library, maps errors to exit codes.

Exit codes: 0 ok, 1 runtime failure, 2 bad input (scenario problems, bad options, an output
folder that is not empty).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from sim import catalog, review, staffing, worksize
from sim import compare as comparelib
from sim.config import SCHEMA_VERSION, Scenario, scenario_json_schema
from sim.demand import Arm
from sim.experiment import (
    ClusterError,
    Runner,
    RunResult,
    arms_of,
    event_log_of,
    paired_daily,
    run_scenario,
    silence_foreign_logs,
)
from sim.loading import (
    LoadedScenario,
    ScenarioError,
    config_hash,
    load_data_file,
    load_scenario,
    migrate_file,
    resolved_yaml,
)
from sim.outputs import (
    DiskCache,
    FileContent,
    OutputError,
    check_file_target,
    check_paths,
    check_target,
    clean_leftovers,
    comparison_csv,
    default_run_dir,
    folder_manifest,
    replace_file,
    run_files,
    schedule_yaml,
    sweep_csv,
    write_file,
    write_new_file,
    write_report,
    write_run,
)
from sim.stats import Stat, describe
from sim.text import json_dumps, shown

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
"""The bundled scenarios (a checkout's configs/ folder)."""

app = typer.Typer(
    name="promosim",
    help="Simulate how a promotion creates customer-service contacts, and what they cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: a `file:line: field: message` line or a hash must never be broken by the width;
# emoji off: rich would print `file.yaml:100: …` as `file.yaml💯 …`;
# markup off: a name or title from a shared file holding `[link=…]` or `[bold red]` is shown
# as typed, never as a link or a style (control characters: every such string is `shown`)
out = Console(soft_wrap=True, emoji=False, markup=False)
err = Console(stderr=True, soft_wrap=True, emoji=False, markup=False)


SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="Override a field: path=value (repeatable).")
]
ReplicationsOption = Annotated[
    int | None, typer.Option(help="Replications (overrides the file's).")
]
SeedOption = Annotated[int | None, typer.Option(help="Seed (overrides the file's).")]
WorkersOption = Annotated[
    int | None, typer.Option(help="Worker processes (default: one per core).", min=1)
]
QuietOption = Annotated[bool, typer.Option(help="No progress bar and no tables.")]
BackendOption = Annotated[
    str, typer.Option(help="Where replications run: local (process pool) or dask.")
]


def _check_address(address: str | None) -> str | None:
    """``--address`` as Dask reads it, ``[tcp|tls://]host:port``; bad input otherwise."""
    if address is not None and not re.fullmatch(_ADDRESS, address):
        raise typer.BadParameter(
            f"{address[:60]!r} is not a Dask scheduler address tcp://host:port (port 1-65535)"
        )
    if address is not None and not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise typer.BadParameter(f"{address!r}: the port must be 1 to 65535")
    return address


_ADDRESS = (
    r"(?:(?:tcp|tls)://)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}"
)
AddressOption = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler tcp://host:port (default: a LocalCluster).",
        callback=_check_address,
    ),
]
YesOption = Annotated[
    bool,
    typer.Option(
        "--yes", help="Run even when the work-size estimate is above the refusal threshold."
    ),
]
ImagesOption = Annotated[
    str | None,
    typer.Option(help="Also write each figure as a picture: png or svg (needs Chromium)."),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace a non-empty --out folder that promosim wrote (the new one is written "
        "in full first, then swapped in).",
    ),
]


def _bad_input(message: str) -> typer.Exit:
    err.print(shown(message, lines=True), markup=False, highlight=False)
    return typer.Exit(code=2)


def _load(path: Path, overrides: list[str]) -> LoadedScenario:
    try:
        loaded = load_scenario(path, overrides)
    except ScenarioError as e:
        raise _bad_input(str(e)) from None
    _notices(loaded)
    return loaded


def _check_work(runs: list[tuple[Scenario, int]], yes: bool) -> None:
    """Refuse (exit 2) or warn before simulating work this large (:mod:`sim.worksize`)."""
    decision, line = worksize.assess(runs)
    if decision == "refuse" and not yes:
        raise _bad_input(f"promosim: refused: too large to simulate: {line}; add --yes to run it")
    if decision != "ok":
        err.print(f"warning: a large run: {shown(line)}", markup=False, highlight=False)


def _notices(loaded: LoadedScenario) -> None:
    """Tell the user which files were upgraded from an older format on load."""
    for notice in loaded.notices:
        err.print(f"notice: {shown(notice)}", markup=False, highlight=False)


# --------------------------------------------------------------------------- run


def _fmt(stat: Stat | None, kind: catalog.Format) -> str:
    """A mean ± its 95% CI half-width, in the catalog's format ``kind``."""
    if stat is None:
        return "–"
    mean = stat["mean"]
    ci = stat.get("ci95")
    half = (ci[1] - ci[0]) / 2 if ci else None
    if kind == "share":
        text = f"{mean:.1%}"
        return text + (f" ± {half:.1%}" if half is not None else "")
    if kind == "yuan":
        text = f"¥{mean:,.0f}"
        return text + (f" ± {half:,.0f}" if half is not None else "")
    if kind == "yuan_cents":
        text = f"¥{mean:,.2f}"
        return text + (f" ± {half:,.2f}" if half is not None else "")
    if kind == "cents":
        text = f"{mean:,.2f}"
        return text + (f" ± {half:,.2f}" if half is not None else "")
    if kind == "decimal":
        text = f"{mean:,.1f}"
        return text + (f" ± {half:,.1f}" if half is not None else "")
    text = f"{mean:,.0f}"
    return text + (f" ± {half:,.0f}" if half is not None else "")


def headline_table(result: RunResult) -> Table:
    """The service view: one column per channel and one for all, mean ± 95% CI half-width."""
    s = result.scenario
    summary = result.summary
    n = s.replications
    arm = " · with the promotion" if s.promotion is not None else ""
    table = Table(
        title=f"{shown(s.title or s.name)}{arm} · {n} replication{'s' * (n != 1)} · mean ± 95% CI"
    )
    table.add_column("metric")
    columns = [*s.channels, "all"] if len(s.channels) > 1 else list(s.channels)
    for c in columns:
        label = c if c == "all" else f"{c} (SL ≤ {s.channels[c].service_level_seconds:g}s)"
        table.add_column(shown(label), justify="right")
    for key in catalog.CHANNEL_TABLE:
        m = catalog.CATALOG[key]
        table.add_row(m.en, *(_fmt(summary.get(f"{c}.{key}"), m.fmt) for c in columns))
    if any(f"{c}.{key}" not in summary for c in columns for key in catalog.CHANNEL_TABLE):
        table.caption = ABSENT
    return table


ABSENT = (
    "– absent: no value in any replication (no denominator: nothing offered, answered or "
    "staffed; a break-even miss rate outside [0, 1])"
)
"""Why a cell shows – instead of a number (a metric without a denominator is absent)."""


Row = tuple[str, str, catalog.Format]


def _view_rows(result: RunResult) -> dict[str, list[Row]]:
    """The three views (docs/model.md#causal-chain): operations, service, customer.

    Each view's rows are the catalog's :data:`sim.catalog.VIEW_ROWS`, with the scenario's
    channels, groups and the run's contact reasons filled in.
    """
    s = result.scenario
    reasons = [k.removeprefix("contacts.") for k in result.summary if k.startswith("contacts.")]
    views: dict[str, list[Row]] = {}
    for view in catalog.VIEWS:
        rows: list[Row] = []
        keys = catalog.VIEW_ROWS[view]
        for key, name in catalog.expand(
            keys, s.channels, [g.name for g in s.staffing.groups], reasons
        ):
            m = catalog.lookup(key)
            assert m is not None  # every display key is in the catalog (tests/test_catalog.py)
            if key.startswith("contacts."):
                label = f"  {name}"  # under the contacts row
            else:
                label = f"{name} {m.en}" if name else m.en
            rows.append((key, label, m.fmt))
        views[catalog.VIEW_LABELS[view][0]] = rows
    return views


def view_tables(result: RunResult) -> list[Table]:
    """Operations, service and customer views; with a promotion each arm and the difference."""
    promo = result.summary
    base, effect = result.baseline_summary, result.effect_summary
    arms = (
        [("promotion", promo), ("baseline", base), ("difference", effect)]
        if base is not None and effect is not None
        else [("value", promo)]
    )
    suffix = (
        " · promotion vs baseline, paired on common random numbers · mean ± 95% CI"
        if len(arms) > 1
        else " · mean ± 95% CI"
    )
    tables = []
    for view, rows in _view_rows(result).items():
        table = Table(title=view + suffix)
        table.add_column("metric")
        for name, _ in arms:
            table.add_column(name, justify="right")
        for key, label, kind in rows:
            if not any(key in stats for _, stats in arms):
                continue
            table.add_row(shown(label), *(_fmt(stats.get(key), kind) for _, stats in arms))
            if any(key not in stats for _, stats in arms):
                table.caption = ABSENT
        tables.append(table)
    return tables


def daily_effect_table(result: RunResult) -> Table | None:
    """Extra contacts per day (promotion − baseline) by reason, mean ± 95% CI."""
    if "baseline" not in result.arms:
        return None
    diffs = paired_daily(result.arms["promotion"], result.arms["baseline"])
    keys = [k for k in diffs if k.startswith("contacts.") and np.any(diffs[k] != 0)]
    table = Table(title="Extra contacts per day · promotion − baseline · mean ± 95% CI")
    table.add_column("day")
    table.add_column("all", justify="right")
    for k in keys:
        table.add_column(shown(k.removeprefix("contacts.")), justify="right")
    cal = result.scenario.calendar
    first_day = int(cal.warmup_seconds // 86400.0)
    for d in range(diffs["contacts"].shape[1]):
        day = (cal.start + dt.timedelta(days=first_day + d)).strftime("%m-%d %a")
        cells = [_fmt(describe(diffs[k][:, d]), catalog.fmt_of(k)) for k in ["contacts", *keys]]
        table.add_row(day, *cells)
    return table


LangOption = Annotated[str, typer.Option(help="Language of report.html: en or zh.")]


def _check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise _bad_input(f"--lang: {lang!r} is not en or zh")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    set_: SetOption = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write the run's files into this new or empty folder."),
    ] = None,
    quiet: QuietOption = False,
    backend: BackendOption = "local",
    address: AddressOption = None,
    lang: LangOption = "en",
    images: ImagesOption = None,
    force: ForceOption = False,
    yes: YesOption = False,
    event_log: Annotated[
        bool,
        typer.Option(
            "--event-log",
            help="Also write orders.csv and contacts.csv (calibrate's formats) of replication 0.",
        ),
    ] = False,
) -> None:
    """Simulate a scenario and write its run folder.

    Finished replications are kept until the run folder is written, so running the same
    command again after an interruption resumes where it stopped.
    """
    if backend not in ("local", "dask"):
        raise _bad_input(f"--backend: {backend!r} is not local or dask")
    _check_lang(lang)
    loaded = _load(scenario, _overrides(set_, replications, seed))
    s = loaded.scenario
    _check_out(out_dir, force, loaded.files)
    _check_work([(s, s.replications)], yes)
    n_workers = workers or min(os.cpu_count() or 1, s.replications)
    with _progress(quiet) as progress:
        task = progress.add_task(f"{shown(s.name)}: replications", total=s.replications)
        cache_root = (out_dir.parent if out_dir else Path("outputs")) / ".promosim-cache"
        cache = DiskCache(cache_root, loaded.hash, arms_of(s))
        result = run_scenario(
            s,
            workers=n_workers,
            on_done=lambda _: progress.advance(task),
            backend="dask" if backend == "dask" else "local",
            address=address,
            cache=cache,
        )
    _note_resumed([cache])
    created = dt.datetime.now(dt.UTC)
    target = out_dir or default_run_dir(Path("outputs"), loaded, created.astimezone())
    files = run_files(
        loaded,
        result,
        command=sys.argv,
        created=created,
        workers=n_workers,
        report_lang=lang,
        event_log=event_log_of(s) if event_log else None,
    )
    # with --images: the same report.html, and its pictures, in the folder before it appears
    finish = None if images is None else (lambda tmp: _add_report(tmp, lang, images))
    target = _write(target, files, force=force, unique=out_dir is None, finish=finish)
    cache.clear()
    if not quiet:
        out.print(headline_table(result))
        for extra in [*view_tables(result), daily_effect_table(result)]:
            if extra is not None:
                out.print(extra)
    out.print(f"run folder: {shown(target)}", highlight=False)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by promosim run.")],
    lang: LangOption = "en",
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the report here instead of RUN_DIR/report.html."),
    ] = None,
    images: ImagesOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing --out file that is a promosim report."),
    ] = False,
) -> None:
    """Rebuild a folder's report.html from its files (the same bytes the command wrote).

    Works on the folders of run, compare, sweep and staff.
    """
    _check_lang(lang)
    target = out_file or run_dir / "report.html"
    if out_file is not None:
        inputs = list(run_dir.iterdir()) if run_dir.is_dir() else []
        try:
            check_paths([out_file], [p for p in inputs if p.name != "report.html"])
            check_file_target(out_file, "report", force=force)
        except OutputError as e:
            raise _bad_input(f"promosim: {e}") from None
    _add_report(run_dir, lang, images, target, replace=out_file is None or force)
    out.print(f"report: {shown(target)}", highlight=False)


def _build_report(folder: Path, lang: str, figures: dict[str, Any] | None = None) -> str:
    """The report of any command's folder, by what it holds (plotly only when called)."""
    from sim import report as reports

    try:
        if (folder / "comparison.csv").exists():
            return reports.build_compare_report(folder, lang, figures)
        if (folder / "sweep.csv").exists():
            return reports.build_sweep_report(folder, lang, figures)
        if (folder / "staffing.csv").exists():
            return reports.build_staff_report(folder, lang, figures)
        return reports.build_report(folder, lang, figures)
    except reports.ReportError as e:
        raise _bad_input(f"promosim: {e}") from None


def _add_report(
    folder: Path,
    lang: str,
    images: str | None = None,
    target: Path | None = None,
    replace: bool = True,
) -> None:
    """Write a folder's report (to ``target``, by default its report.html).

    With ``images``, each figure is also written as a picture in ``images/`` beside it.
    Without ``replace`` no existing file is written over.
    """
    from sim import report as reports

    target = target or folder / "report.html"
    # the figures are kept only for pictures: a year's figures hold tens of MB
    figures: dict[str, Any] | None = {} if images is not None else None
    try:
        write_report(target, _build_report(folder, lang, figures), replace=replace)
    except OutputError as e:
        raise _bad_input(f"promosim: {e}") from None
    if images is not None and figures is not None:
        try:
            pictures = reports.figure_images(figures, images)
        except reports.ReportError as e:
            raise _bad_input(f"promosim: {e}") from None
        for name, content in pictures.items():
            try:
                write_report(target.parent / "images" / name, content, replace=replace)
            except OutputError as e:
                raise _bad_input(f"promosim: {e}") from None


# --------------------------------------------------------------------------- compare, sweep


class _Backend:
    """The CLI's runner: backend options plus an on-disk cache of finished replications.

    Every job (a scenario and its arms) gets its own cache folder, keyed by the resolved
    scenario's hash; all of them are cleared once the command's folder is written.
    """

    def __init__(self, workers: int, backend: str, address: str | None, root: Path) -> None:
        if backend not in ("local", "dask"):
            raise _bad_input(f"--backend: {backend!r} is not local or dask")
        self.caches: list[DiskCache] = []

        def cache_for(scenario: Scenario, arms: tuple[Arm, ...]) -> DiskCache:
            cache = DiskCache(root, f"{config_hash(scenario)}-{'+'.join(arms)}", arms)
            self.caches.append(cache)
            return cache

        self.runner = Runner(
            workers=workers,
            backend="dask" if backend == "dask" else "local",
            address=address,
            cache_for=cache_for,
        )

    def clear(self) -> None:
        for cache in self.caches:
            cache.clear()


@app.command()
def compare(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files; the first is the reference.")
    ],
    set_: SetOption = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write comparison.csv into this new or empty folder."),
    ] = None,
    quiet: QuietOption = False,
    backend: BackendOption = "local",
    address: AddressOption = None,
    lang: LangOption = "en",
    images: ImagesOption = None,
    force: ForceOption = False,
    yes: YesOption = False,
) -> None:
    """Scenarios side by side on common random numbers, with paired differences to the first.

    Every arm runs with the first scenario's seed and replications, so replication r of
    every arm sees the same draws; differences marked * have a 95% CI that excludes 0.
    """
    _check_lang(lang)
    overrides = _overrides(set_, replications, seed)
    loaded = [_load(p, overrides) for p in scenarios]
    _check_out(out_dir, force, [f for one in loaded for f in one.files])
    plan = comparelib.plan_comparison(loaded)
    for note in plan.notes:
        err.print(f"note: {shown(note)}", markup=False, highlight=False)
    _check_work([(sc, plan.replications) for sc in plan.scenarios.values()], yes)
    n_workers = workers or (os.cpu_count() or 1)
    engine = _Backend(n_workers, backend, address, _cache_root(out_dir))
    with _progress(quiet) as progress, engine.runner:
        task = progress.add_task("compare: replications", total=plan.total_replications)
        result = comparelib.run_comparison(
            plan, on_done=lambda _: progress.advance(task), runner=engine.runner
        )
    _note_resumed(engine.caches)
    created = dt.datetime.now(dt.UTC)
    target_dir = out_dir or default_run_dir(
        Path("outputs"), loaded[0], created.astimezone(), kind="compare"
    )
    files = {
        "manifest.json": folder_manifest("compare", sys.argv, created, n_workers),
        "comparison.csv": comparison_csv(result),
        "arms.json": json.dumps(
            {"arms": list(result.arms), "hashes": result.hashes, "notes": list(result.notes)},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
    }
    target_dir = _write(
        target_dir,
        files,
        force=force,
        unique=out_dir is None,
        finish=lambda tmp: _add_report(tmp, lang, images),
    )
    engine.clear()
    if not quiet:
        table = Table(
            title=f"Compare · {plan.replications} replications on common random numbers · "
            "mean ± 95% CI; Δ to the first arm, * where its CI excludes 0"
        )
        table.add_column("metric")
        for i, arm in enumerate(result.arms):
            table.add_column(shown(arm), justify="right")
            if i:
                table.add_column(f"Δ {shown(arm)}", justify="right")
        for row in comparelib.headline(result):
            kind = catalog.fmt_of(row.metric)
            cells = []
            for i, cell in enumerate(row.cells):
                cells.append(_fmt(cell.stat, kind))
                if i:
                    mark = " *" if cell.diff is not None and cell.diff["significant"] else ""
                    cells.append(_fmt(cell.diff, kind) + mark)
            table.add_row(shown(row.metric), *cells)
        out.print(table)
    out.print(f"comparison folder: {shown(target_dir)}", highlight=False)


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Base scenario file.")],
    vary: Annotated[
        list[str],
        typer.Option(help="path=lo:hi:n or path=a,b,c (repeatable)."),
    ],
    one_at_a_time: Annotated[
        bool,
        typer.Option(
            "--one-at-a-time/--grid",
            help="Vary each path alone around the base (tornado), or the full grid.",
        ),
    ] = False,
    metric: Annotated[
        str, typer.Option(help="Output metric for the tornado (effect.<metric> for a promotion).")
    ] = "all.service_level",
    set_: SetOption = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write sweep.csv into this new or empty folder."),
    ] = None,
    quiet: QuietOption = False,
    backend: BackendOption = "local",
    address: AddressOption = None,
    lang: LangOption = "en",
    images: ImagesOption = None,
    force: ForceOption = False,
    yes: YesOption = False,
) -> None:
    """Run a scenario over a grid, or one parameter at a time (sensitivity, tornado)."""
    _check_lang(lang)
    overrides = _overrides(set_, replications, seed)
    mode: comparelib.Mode = "one-at-a-time" if one_at_a_time else "grid"
    try:
        plan = comparelib.plan_sweep(scenario, overrides, vary, mode)
    except ScenarioError as e:
        raise _bad_input(str(e)) from None
    _notices(plan.base)
    _check_out(out_dir, force, plan.base.files)
    _check_work([(ls.scenario, ls.scenario.replications) for ls in plan.loaded], yes)
    n_workers = workers or (os.cpu_count() or 1)
    engine = _Backend(n_workers, backend, address, _cache_root(out_dir))
    with _progress(quiet) as progress, engine.runner:
        task = progress.add_task(f"sweep: {len(plan.points)} points", total=plan.total_replications)
        result = comparelib.run_sweep(
            plan, on_done=lambda _: progress.advance(task), runner=engine.runner
        )
    _note_resumed(engine.caches)
    created = dt.datetime.now(dt.UTC)
    files = {
        "manifest.json": folder_manifest("sweep", sys.argv, created, n_workers),
        "sweep.csv": sweep_csv(result),
    }
    bars = comparelib.tornado(result, metric) if one_at_a_time else []
    if one_at_a_time:
        files["tornado.json"] = (
            json.dumps(
                {
                    "metric": metric,
                    "bars": [
                        {
                            "path": b.path,
                            "low_value": b.low_value,
                            "high_value": b.high_value,
                            "base_value": b.base_value,
                            "low_mean": b.low_mean,
                            "high_mean": b.high_mean,
                            "base_mean": b.base_mean,
                            "swing": b.swing,
                        }
                        for b in bars
                    ],
                },
                ensure_ascii=False,
                indent=2,
                default=str,
            )
            + "\n"
        )
    base = plan.loaded[0]
    target_dir = out_dir or default_run_dir(
        Path("outputs"), base, created.astimezone(), kind="sweep"
    )
    target_dir = _write(
        target_dir,
        files,
        force=force,
        unique=out_dir is None,
        finish=lambda tmp: _add_report(tmp, lang, images),
    )
    engine.clear()
    if not quiet and bars:
        table = Table(title=f"Tornado · {shown(metric)} at each path's lowest and highest value")
        for col in ("path", "low", "high", "swing"):
            table.add_column(col, justify="left" if col == "path" else "right")
        for b in bars:

            def num(x: float | None) -> str:
                return "–" if x is None else f"{x:,.4g}"

            table.add_row(
                shown(b.path),
                f"{shown(b.low_value)} → {num(b.low_mean)}",
                f"{shown(b.high_value)} → {num(b.high_mean)}",
                num(b.swing),
            )
        out.print(table)
    out.print(f"sweep folder: {shown(target_dir)} ({len(plan.points)} points)", highlight=False)


# --------------------------------------------------------------------------- staff


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
    )


def _check_out(out_dir: Path | None, force: bool = False, inputs: Sequence[Path] = ()) -> None:
    """Refuse an --out folder that exists and is not empty (unless --force), before any work.

    Nor may it be (or hold) one of the command's inputs.
    """
    try:
        if out_dir is not None:
            check_paths([out_dir], inputs)
            check_target(out_dir, force)
    except OutputError as e:
        raise _bad_input(f"promosim: {e}") from None


def _write(
    target: Path,
    files: Mapping[str, FileContent],
    *,
    force: bool = False,
    unique: bool = False,
    finish: Callable[[Path], None] | None = None,
) -> Path:
    """Write a command's folder atomically and return it; a taken --out is bad input.

    ``unique`` for a default folder name (a taken one gets a suffix); ``finish`` adds files
    built from the others (the report) before the folder appears.
    """
    for line in clean_leftovers(target.parent):
        err.print(f"notice: {shown(line)}", markup=False, highlight=False)
    try:
        written = write_run(target, files, force=force, unique=unique, finish=finish)
    except OutputError as e:
        raise _bad_input(f"promosim: {e}") from None
    _written.append(written)
    return written


def _note_resumed(caches: list[DiskCache]) -> None:
    """Say so when finished replications of an interrupted run were reused (or ignored)."""
    for cache in caches:
        for notice in cache.notices:
            err.print(f"notice: {shown(notice)}", markup=False, highlight=False)
    hits = sum(c.hits for c in caches)
    if hits:
        err.print(
            f"resumed: {hits} replication(s) finished by an interrupted run were reused",
            highlight=False,
        )


def _cache_root(out_dir: Path | None) -> Path:
    """Where finished replications wait until the command's folder is written."""
    return (out_dir.parent if out_dir else Path("outputs")) / ".promosim-cache"


def _overrides(set_: list[str] | None, replications: int | None, seed: int | None) -> list[str]:
    overrides = list(set_ or [])
    if replications is not None:
        overrides.append(f"replications={replications}")
    if seed is not None:
        overrides.append(f"seed={seed}")
    return overrides


@app.command()
def staff(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    target: Annotated[
        list[str],
        typer.Option(help="A target, e.g. 'chat.service_level>=0.9' (repeatable)."),
    ],
    overall: Annotated[
        bool,
        typer.Option(
            "--overall/--per-interval",
            help="Meet the targets over the whole run, or in every interval (default).",
        ),
    ] = False,
    set_: SetOption = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write the plan's files into this new or empty folder."),
    ] = None,
    quiet: QuietOption = False,
    shift_hours: Annotated[
        list[float] | None,
        typer.Option(help="Allowed shift lengths for the shifts block, hours (repeatable)."),
    ] = None,
    backend: BackendOption = "local",
    address: AddressOption = None,
    lang: LangOption = "en",
    images: ImagesOption = None,
    force: ForceOption = False,
    yes: YesOption = False,
) -> None:
    """Agents per interval and group meeting every target at the least agent-hours.

    Starts from Erlang A per interval, refines by simulation under common random numbers,
    and writes staffing.csv (interval × group), the extra agent-hours and their cost against
    the scenario's own schedule, and schedule blocks (hourly and shifts) to paste into it.
    """
    _check_lang(lang)
    loaded = _load(scenario, _overrides(set_, replications, seed))
    s = loaded.scenario
    try:
        targets = [staffing.parse_target(t) for t in target]
        staffing.check_targets(s, targets)
    except ScenarioError as e:
        raise _bad_input(str(e)) from None
    _check_out(out_dir, force, loaded.files)
    _check_work([(s, s.replications)], yes)  # per simulation; staff runs several
    n_workers = workers or min(os.cpu_count() or 1, s.replications)
    with _progress(quiet) as progress:
        task = progress.add_task("as-is", total=s.replications)
        current = {"stage": "as-is"}

        def on_done(stage: str, _: int) -> None:
            if stage != current["stage"]:
                current["stage"] = stage
                progress.reset(
                    task, description=f"{shown(s.name)}: {shown(stage)}", total=s.replications
                )
            progress.advance(task)

        engine = _Backend(n_workers, backend, address, _cache_root(out_dir))
        with engine.runner:
            plan = staffing.staff(
                s, targets, per_interval=not overall, on_done=on_done, runner=engine.runner
            )
    _note_resumed(engine.caches)
    blocks = {
        g: {
            "hourly": staffing.schedule_block(plan, g),
            "shifts": staffing.shifts_block(plan, g, tuple(shift_hours or (8, 9))),
        }
        for g in plan.required
    }
    summary = {
        "name": s.name,
        "config_hash": loaded.hash,
        "targets": [str(t) for t in targets],
        "per_interval": not overall,
        "met": plan.met,
        "simulations": plan.simulations,
        "overall": plan.overall,
        "intervals_met_share": {str(t): plan.intervals_met_share(t) for t in targets},
        "extra_agent_hours": plan.extra_agent_hours,
        "extra_cost_yuan": plan.extra_cost_yuan,
        "total_extra_agent_hours": plan.total_extra_agent_hours,
        "total_extra_cost_yuan": plan.total_extra_cost_yuan,
    }
    created = dt.datetime.now(dt.UTC)
    target_dir = out_dir or default_run_dir(
        Path("outputs"), loaded, created.astimezone(), kind="staff"
    )
    files = {
        "manifest.json": folder_manifest("staff", sys.argv, created, n_workers),
        "staffing.csv": staffing.staffing_csv(plan),
        "staffing.json": json.dumps(summary, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
        "schedule.yaml": schedule_yaml(blocks),
        "scenario.resolved.yaml": resolved_yaml(loaded),
    }
    target_dir = _write(
        target_dir,
        files,
        force=force,
        unique=out_dir is None,
        finish=lambda tmp: _add_report(tmp, lang, images),
    )
    engine.clear()
    if not quiet:
        table = Table(title=f"Staffing for {', '.join(shown(t) for t in targets)}")
        for col in ("group", "plan agent-hours", "scheduled", "extra", "extra cost (¥)"):
            table.add_column(col, justify="left" if col == "group" else "right")
        for g in plan.required:
            table.add_row(
                shown(g),
                f"{plan.required_agent_hours(g):,.0f}",
                f"{plan.scheduled_agent_hours(g):,.0f}",
                f"{plan.extra_agent_hours[g]:+,.0f}",
                f"{plan.extra_cost_yuan[g]:+,.0f}",
            )
        out.print(table)
        verdict = "met" if plan.met else "NOT met (iteration cap reached)"
        out.print(f"targets {verdict} after {plan.simulations} simulations", highlight=False)
        out.print(shown(schedule_yaml(blocks), lines=True), markup=False, highlight=False)
    out.print(f"staffing folder: {shown(target_dir)}", highlight=False)


# --------------------------------------------------------------------------- review


@app.command()
def diff(
    a: Annotated[Path, typer.Argument(help="Scenario file or run folder.")],
    b: Annotated[Path, typer.Argument(help="Scenario file or run folder.")],
    set_: SetOption = None,
    format_: Annotated[
        str, typer.Option("--format", help="table, json or markdown (pastes into a review).")
    ] = "table",
) -> None:
    """Resolved parameters that differ (after extends, defaults, overrides); exit 1 if any.

    Like diff(1): exit 0 when the two resolve to the same scenario, 1 when they differ,
    2 for bad input.
    """
    if format_ not in ("table", "json", "markdown"):
        raise _bad_input(f"--format: {format_!r} is not table, json or markdown")
    try:
        loaded_a, label_a = review.load_target(a, list(set_ or []))
        loaded_b, label_b = review.load_target(b, list(set_ or []))
    except ScenarioError as e:
        raise _bad_input(str(e)) from None
    _notices(loaded_a)
    _notices(loaded_b)
    rows = review.diff_resolved(loaded_a.resolved, loaded_b.resolved)
    if format_ == "json":
        sys.stdout.write(review.diff_json(rows))
    elif format_ == "markdown":
        sys.stdout.write(review.diff_markdown(rows, label_a, label_b))
    elif rows:
        table = Table(title=f"{len(rows)} resolved field(s) differ")
        for col in ("field", label_a, label_b):
            table.add_column(shown(col), overflow="fold")
        for path, va, vb in review.diff_table_rows(rows):
            table.add_row(shown(path), shown(va), shown(vb))
        out.print(table)
    else:
        out.print("no differences", highlight=False)
    if rows:
        raise typer.Exit(code=1)


@app.command()
def runs(
    name: Annotated[str | None, typer.Option(help="Only this scenario's runs.")] = None,
    root: Annotated[Path, typer.Option(help="Where run folders live.")] = Path("outputs"),
) -> None:
    """Past runs, newest first: name, version label, hash, created, headline metrics."""
    found = review.list_runs(root, name)
    table = Table(title=f"{len(found)} run(s) under {shown(root)}")
    for col in ("folder", "name", "version", "hash", "created", *review.HEADLINE_METRICS):
        table.add_column(col, overflow="fold")
    for run_info in found:
        # every field is read from a folder anyone with write access may have planted
        table.add_row(
            shown(run_info.folder),
            shown(run_info.name),
            shown(run_info.version),
            shown(run_info.config_hash[:8]),
            shown(run_info.created_at),
            *(
                f"{run_info.metrics[m]:,.4g}" if m in run_info.metrics else "–"
                for m in review.HEADLINE_METRICS
            ),
        )
    out.print(table)


@app.command()
def show(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
) -> None:
    """One run: its manifest (what, when, from which files and commit) and headline metrics."""
    try:
        info = review.show_run(run_dir)
    except ValueError as e:
        raise _bad_input(f"promosim: {e}") from None
    sys.stdout.write(json_dumps(info, indent=2, default=str) + "\n")


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="The new scenario's name (a slug).")],
    from_: Annotated[
        str, typer.Option("--from", help="Bundled scenario to extend, e.g. second_item_1yuan.")
    ],
    folder: Annotated[Path, typer.Option("--dir", help="Where to write NAME.yaml.")] = Path("."),
) -> None:
    """Write a new scenario that extends a bundled one, its usual campaign fields commented."""
    dest = folder / f"{name}.yaml"
    try:
        text = review.init_scenario(name, from_, CONFIGS, dest)
        write_new_file(dest, text)
    except ValueError as e:
        raise _bad_input(f"promosim: {e}") from None
    except OutputError as e:
        raise _bad_input(f"promosim: {e}") from None
    out.print(f"wrote {shown(dest)}", highlight=False)


# --------------------------------------------------------------------------- validate, schema


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    set_: SetOption = None,
) -> None:
    """Check scenario files; print each one's config hash. Exit 2 if any is invalid."""
    bad = False
    for path in scenarios:
        try:
            loaded = load_scenario(path, list(set_ or []))
        except ScenarioError as e:
            err.print(shown(e, lines=True), markup=False, highlight=False)
            bad = True
            continue
        _notices(loaded)
        out.print(f"{shown(path)}: ok {loaded.hash}", markup=False, highlight=False)
        s = loaded.scenario
        decision, line = worksize.assess([(s, s.replications)])
        verdict = {"ok": "", "warn": " (a large run: warned)", "refuse": " (refused without --yes)"}
        out.print(f"{shown(path)}: work: {line}{verdict[decision]}", markup=False, highlight=False)
    if bad:
        raise typer.Exit(code=2)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors and validators).

    It checks a file as written: a file that extends another may leave any field to its
    parent, so none is required here; `promosim validate` checks the resolved scenario.
    """
    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n")


@app.command()
def migrate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a file needs upgrading.")
    ] = False,
) -> None:
    """Upgrade scenario files to the current schema_version in place, keeping comments.

    Only the files named are rewritten (a parent named by extends is migrated on its own).
    Exit 0 when every file is current or was upgraded, 1 with --check when one needs
    upgrading (for CI), 2 for bad input (that file is left as it was).
    """
    bad = stale = False
    for path in files:
        try:
            done = migrate_file(path)
        except ScenarioError as e:
            err.print(shown(e, lines=True), markup=False, highlight=False)
            bad = True
            continue
        if not done.needed:
            out.print(
                f"{shown(path)}: schema_version {done.source} is current",
                markup=False,
                highlight=False,
            )
            continue
        what = "needs upgrading" if check else "upgraded"
        out.print(
            f"{shown(path)}: {what} from schema_version {done.source} to {SCHEMA_VERSION}",
            markup=False,
            highlight=False,
        )
        for notice in done.notices:
            out.print(f"  {shown(notice)}", markup=False, highlight=False)
        if check:
            stale = True
            continue
        try:
            replace_file(path, done.migrated)
        except OutputError as e:
            err.print(f"promosim: {shown(e)}", markup=False, highlight=False)
            bad = True
    if bad:
        raise typer.Exit(code=2)
    if stale:
        raise typer.Exit(code=1)


# --------------------------------------------------------------------------- erlang


def _agent_counts(text: str) -> list[int]:
    try:
        if ":" in text:
            lo, hi = (int(x) for x in text.split(":", 1))
            counts = list(range(lo, hi + 1))
        else:
            counts = [int(text)]
    except ValueError:
        raise _bad_input(f"--agents: {text!r} is not a number or a range lo:hi") from None
    if not counts or min(counts) < 1:
        raise _bad_input(f"--agents: {text!r} must be at least 1 agent")
    return counts


@app.command()
def erlang(
    rate: Annotated[float, typer.Option(help="Contacts offered per hour.", min=0)],
    aht: Annotated[float, typer.Option(help="Mean handle time, seconds.", min=0)],
    agents: Annotated[str, typer.Option(help="Agents: a number, or a range lo:hi.")],
    patience: Annotated[
        float | None,
        typer.Option(help="Mean patience, seconds (Erlang A); omit for Erlang C.", min=0),
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Service-level threshold, seconds.", min=0)
    ] = 20.0,
) -> None:
    """Exact Erlang C (no abandonment) or Erlang A (exponential patience) figures."""
    if aht <= 0:
        raise _bad_input("--aht: must be greater than 0 seconds")
    if patience is not None and patience <= 0:
        raise _bad_input("--patience: must be greater than 0 seconds (omit it for Erlang C)")
    model = "Erlang C" if patience is None else f"Erlang A (patience {patience:g} s)"
    load = rate * aht / 3600.0
    table = Table(
        title=f"{model} · {rate:g} contacts/h · AHT {aht:g} s · load {load:.2f} Erlang · "
        f"SL threshold {threshold:g} s"
    )
    for col in (
        "agents",
        "P(wait)",
        "service level",
        "abandon rate",
        "ASA (s)",
        "mean wait (s)",
        "occupancy",
    ):
        table.add_column(col, justify="right")
    for n in _agent_counts(agents):
        f = staffing.erlang_a(rate, aht, patience, n, threshold)
        if not f.stable:
            table.add_row(
                str(n), "1", "unstable: load ≥ agents and nobody abandons", "", "", "", ""
            )
            continue
        table.add_row(
            str(n),
            f"{f.prob_wait:.4f}",
            f"{f.service_level:.2%}",
            f"{f.abandon_rate:.2%}",
            f"{f.asa_seconds:.1f}" if math.isfinite(f.asa_seconds) else "–",
            f"{f.mean_wait_seconds:.1f}",
            f"{f.occupancy:.2%}",
        )
    out.print(table)


# --------------------------------------------------------------------------- calibrate


@app.command()
def calibrate(
    orders: Annotated[Path, typer.Option("--orders", help="orders.csv export.")],
    contacts: Annotated[Path, typer.Option("--contacts", help="contacts.csv export.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="Write the fitted scenario fragment here (new file).")
    ],
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="Fit report (default: beside --out, .report.html)."),
    ] = None,
    map_orders: Annotated[
        list[str] | None,
        typer.Option("--map-orders", help="column=export header for orders.csv (repeatable)."),
    ] = None,
    map_contacts: Annotated[
        list[str] | None,
        typer.Option("--map-contacts", help="column=export header for contacts.csv (repeatable)."),
    ] = None,
    map_file: Annotated[
        Path | None,
        typer.Option("--map-file", help="YAML: orders, contacts, channels, reasons mappings."),
    ] = None,
    satisfied_from: Annotated[
        float | None, typer.Option(help="A CSAT score at least this is satisfied (default 4).")
    ] = None,
    lang: LangOption = "en",
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing --out (and report) file atomically."),
    ] = False,
) -> None:
    """Fit a scenario fragment to a shop's orders and contacts exports.

    The fragment (orders, contact reasons, channels' handle time and patience, journey,
    satisfaction; each value with its 95% CI and n in a comment) is for a scenario to
    `extends`; the report shows fitted against observed.
    """
    from sim import calibrate as cal
    from sim import report as reports

    _check_lang(lang)
    report_path = report_file or out_file.with_name(out_file.stem + ".report.html")
    try:
        check_paths([out_file, report_path], [orders, contacts, *([map_file] if map_file else [])])
        check_file_target(out_file, "fragment", force=force)
        check_file_target(report_path, "report", force=force)
    except OutputError as e:
        raise _bad_input(f"promosim: {e}") from None
    try:
        data = None
        if map_file is not None:
            try:
                data = load_data_file(map_file)
            except ScenarioError as e:
                raise cal.ExportError([str(p) for p in e.problems]) from None
        mapping = cal.column_map(
            data, map_orders or [], map_contacts or [], satisfied_from, str(map_file)
        )
        exports = cal.load_exports(orders, contacts, mapping)
    except cal.ExportError as e:
        raise _bad_input(str(e)) from None
    fitted = cal.fit(exports, satisfied_from=mapping.satisfied_from)
    fragment = cal.fragment_yaml(fitted, f"{orders}, {contacts}")
    try:  # whole or not at all: a temporary file linked (new) or renamed (--force) into place
        write_file(out_file, fragment, replace=force)
        write_report(report_path, reports.build_calibration_report(fitted, lang), replace=force)
    except OutputError as e:
        raise _bad_input(f"promosim: {e}") from None
    out.print(
        f"fitted {fitted.n_orders} orders and {fitted.n_contacts} contacts "
        f"(contacts observed {fitted.window_start:%Y-%m-%d} to {fitted.window_end:%Y-%m-%d})",
        highlight=False,
    )
    for why, k in fitted.excluded.items():
        out.print(f"excluded: {k} {shown(why)}", markup=False, highlight=False)
    for note in fitted.notes:
        out.print(f"note: {shown(note)}", markup=False, highlight=False)
    out.print(f"fragment: {shown(out_file)}\nreport: {shown(report_path)}", highlight=False)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwind (workers stop, temporary folders go), then exit.

    Not a KeyboardInterrupt: typer would turn that into a silent exit 130 before
    :func:`main` could say what was kept.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signal = signal.Signals(signum)


_written: list[Path] = []
"""Folders this command has written (an interruption after that loses nothing)."""


def _on_signal(signum: int, _frame: object) -> None:
    # a second SIGTERM must not cut the cleanup short; a second Ctrl-C still stops at once
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise Interrupted(signum)


def main() -> None:
    """Console-script entry point: exit 130 on Ctrl-C, 1 on a runtime failure, no traceback.

    SIGTERM (a scheduler or ``kill`` stopping the command) is handled like Ctrl-C: worker
    processes are stopped, the temporary folder is removed, finished replications stay in
    the cache, and the exit code is 128 + the signal's number (130, 143).

    Set ``PROMOSIM_DEBUG=1`` to see the traceback of a runtime failure.
    """
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        app()
    except (Interrupted, KeyboardInterrupt) as e:
        received = e.signal if isinstance(e, Interrupted) else signal.SIGINT
        kept = (
            f"the folder {shown(_written[-1])} was already complete and is kept"
            if _written
            else "no folder was written"
        )
        err.print(
            f"promosim: interrupted ({received.name}); {kept}. Finished replications are "
            "kept: run the same command again to resume.",
            markup=False,
            highlight=False,
        )
        sys.exit(128 + received.value)
    except ClusterError as e:  # Dask's traceback is no help: say what failed, in one line
        silence_foreign_logs()  # Dask's late complaints about its own tasks included
        err.print(
            f"promosim: {shown(e)}. Finished replications are kept: "
            "run the same command again to resume.",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
    except Exception as e:  # the last line of defence: report, don't dump a traceback
        if os.environ.get("PROMOSIM_DEBUG"):
            raise
        err.print(
            f"promosim: runtime failure: {type(e).__name__}: {shown(e)}",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
