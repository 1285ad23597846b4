"""The ``promosim`` command line: parses, calls the library, maps errors to exit codes.

Exit codes: 0 ok, 1 runtime failure, 2 bad input (scenario problems, bad options, an output
folder that is not empty).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from sim import catalog, commands
from sim import console_text as words
from sim.labels import Labels
from sim.text import json_dumps, shown

if TYPE_CHECKING:  # a command imports what it runs: `promosim --help` loads none of them
    import numpy as np
    from numpy.typing import NDArray

    from sim import compare as comparelib
    from sim import staffing
    from sim.config import Scenario
    from sim.experiment import RunResult
    from sim.loading import LoadedScenario
    from sim.stats import Stat

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


class _Session:
    """The language of this command's console (``--lang``, else $PROMOSIM_LANG, else en)."""

    lang = "en"


_session = _Session()


@app.callback()
def _language() -> None:
    # every command: the environment's default language, until its --lang is checked
    env = os.environ.get(words.LANG_ENV, "en")
    _session.lang = env if env in commands.LANGS else "en"


def _t(en: str, /, **fields: object) -> str:
    """The console's text ``en`` in this command's language (:mod:`sim.console_text`)."""
    return words.text(_session.lang, en, **fields)


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


@contextlib.contextmanager
def _bad_inputs() -> Iterator[None]:
    """A command's bad input becomes its message on stderr and exit code 2."""
    try:
        yield
    except commands.BadInput as e:
        raise _bad_input(str(e)) from None


class _Console(commands.Listener):
    """A command's progress bar and notices on stderr (no bar with ``--quiet``)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def say(self, line: str) -> None:
        err.print(shown(words.line(_session.lang, line)), markup=False, highlight=False)

    def start(self, description: str, total: int) -> None:
        description = words.progress(_session.lang, description)
        if self._progress is None or self._task is None:
            self._progress = _progress(self.quiet)
            self._progress.start()
            self._task = self._progress.add_task(shown(description), total=total)
        else:
            self._progress.reset(self._task, description=shown(description), total=total)

    def advance(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def written(self, folder: Path) -> None:
        _written.append(folder)


def _load(path: Path, overrides: list[str]) -> LoadedScenario:
    with _bad_inputs():
        return commands.load(path, overrides, _Console())


def _check_work(runs: list[tuple[Scenario, int]], yes: bool) -> None:
    """Refuse (exit 2) or warn before simulating work this large (:mod:`sim.worksize`)."""
    with _bad_inputs():
        commands.check_work(runs, yes, _Console())


def _notices(loaded: LoadedScenario) -> None:
    """Tell the user which files were upgraded on load, and the scenario's warnings."""
    commands.notices(loaded, _Console())


# --------------------------------------------------------------------------- run


def _ci_words(n: int | None) -> str:
    """What a table's cells are: mean ± 95% CI, or one replication's value (then no CI)."""
    return _t("one replication: no CI") if n == 1 else _t("mean ± 95% CI")


def _fmt(stat: Stat | None, kind: catalog.Format, diff: bool = False) -> str:
    """A mean ± its 95% CI half-width, in the catalog's format ``kind``.

    ``diff``: a difference of two arms — signed, and a share's in percentage points (pp).
    Money is written −¥9,090, never ¥-9,090. A share's CI is cut at 0 and 100%: then the
    bounds are shown (``97.6% [93.5%–100%]``) instead of a half-width reaching past them.
    """
    if stat is None:
        return "–"
    mean = stat["mean"]
    ci = stat.get("ci95")
    half = (ci[1] - ci[0]) / 2 if ci else None
    sign = "+" if diff else ""

    def money(x: float, digits: int) -> str:
        text = signed(x, digits)
        return text[0] + "¥" + text[1:] if text[:1] in ("−", "+") else "¥" + text

    def signed(x: float, digits: int) -> str:
        lead = "−" if x < 0 else sign if x > 0 else ""
        return f"{lead}{abs(x):,.{digits}f}"

    if kind == "share":
        if diff:
            text = f"{signed(mean * 100, 1)} pp"
            return text + (f" ± {half * 100:.1f}" if half is not None else "")
        text = f"{mean:.1%}"
        if ci is None or half is None:
            return text
        if ci[0] < 0 or ci[1] > 1:
            lo, hi = max(0.0, ci[0]), min(1.0, ci[1])
            return f"{text} [{lo:.1%}–{hi:.1%}]".replace(".0%]", "%]")
        return f"{text} ± {half:.1%}"
    if kind in ("yuan", "yuan_cents"):
        digits = 2 if kind == "yuan_cents" else 0
        return money(mean, digits) + (f" ± {half:,.{digits}f}" if half is not None else "")
    digits = {"cents": 2, "decimal": 1}.get(kind, 0)
    text = signed(mean, digits)
    return text + (f" ± {half:,.{digits}f}" if half is not None else "")


def headline_table(result: RunResult) -> Table:
    """The service view: one column per channel and one for all, mean ± 95% CI half-width."""
    s = result.scenario
    summary = result.summary
    n = s.replications
    lang, names = _session.lang, Labels(_session.lang, s)
    arm = _t(" · with the promotion") if s.promotion is not None else ""
    reps = words.plural(lang, "{n} replication", n)
    table = Table(
        title=f"{shown(names('scenario', s.name))}{arm} · "
        + (_ci_words(n) if n == 1 else f"{reps} · {_ci_words(n)}")
    )
    table.add_column(_t("metric"))
    columns = [*s.channels, "all"] if len(s.channels) > 1 else list(s.channels)
    for c in columns:
        label = names("channel", c)
        if c != "all":
            label += f" ({_t('SL ≤ {s}s', s=f'{s.channels[c].service_level_seconds:g}')})"
        table.add_column(shown(label), justify="right")
    for key in catalog.CHANNEL_TABLE:
        m = catalog.CATALOG[key]
        table.add_row(m.label(lang), *(_fmt(summary.get(f"{c}.{key}"), m.fmt) for c in columns))
    if any(f"{c}.{key}" not in summary for c in columns for key in catalog.CHANNEL_TABLE):
        table.caption = _t(ABSENT)
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
    lang, names = _session.lang, Labels(_session.lang, s)
    reasons = [k.removeprefix("contacts.") for k in result.summary if k.startswith("contacts.")]
    views: dict[str, list[Row]] = {}
    for view in catalog.VIEWS:
        rows: list[Row] = []
        keys = catalog.VIEW_ROWS[view]
        for key, _ in catalog.expand(
            keys, s.channels, [g.name for g in s.staffing.groups], reasons
        ):
            m = catalog.lookup(key)
            assert m is not None  # every display key is in the catalog (tests/test_catalog.py)
            label = names.metric(key)
            if key.startswith("contacts."):
                label = f"  {label}"  # under the contacts row
            rows.append((key, label, m.fmt))
        views[catalog.VIEW_LABELS[view][catalog.LANGS.index(lang)]] = rows
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
        _t(" · promotion vs baseline, paired on common random numbers") if len(arms) > 1 else ""
    ) + f" · {_ci_words(result.scenario.replications)}"
    tables = []
    for view, rows in _view_rows(result).items():
        table = Table(title=view + suffix)
        table.add_column(_t("metric"))
        for name, _ in arms:
            table.add_column(_t(name), justify="right")
        for key, label, kind in rows:
            if not any(key in stats for _, stats in arms):
                continue
            table.add_row(
                shown(label),
                *(_fmt(stats.get(key), kind, name == "difference") for name, stats in arms),
            )
            if any(key not in stats for _, stats in arms):
                table.caption = _t(ABSENT)
        tables.append(table)
    return tables


def daily_effect_table(result: RunResult) -> Table | None:
    """Extra contacts per day (promotion − baseline) by reason, mean ± 95% CI."""
    import numpy as np

    from sim.experiment import paired_daily
    from sim.localtime import day_label
    from sim.stats import describe

    if "baseline" not in result.arms:
        return None
    diffs = paired_daily(result.arms["promotion"], result.arms["baseline"])
    keys = [k for k in diffs if k.startswith("contacts.") and np.any(diffs[k] != 0)]
    lang, names = _session.lang, Labels(_session.lang, result.scenario)
    title = (
        f"{_t('Extra contacts per day · promotion − baseline')} · "
        f"{_ci_words(result.scenario.replications)}"
    )
    table = Table(title=title)
    table.add_column(_t("day"))
    table.add_column(names("channel", "all"), justify="right")
    for k in keys:
        table.add_column(shown(names("reason", k.removeprefix("contacts."))), justify="right")
    cal = result.scenario.calendar
    first_day = int(cal.warmup_seconds // 86400.0)
    for d in range(diffs["contacts"].shape[1]):
        day = words.day(lang, day_label(cal.start, first_day + d, short=True))
        cells = [
            _fmt(describe(diffs[k][:, d]), catalog.fmt_of(k), diff=True)
            for k in ["contacts", *keys]
        ]
        table.add_row(day, *cells)
    return table


def _day_stat(values: NDArray[np.float64]) -> Stat | None:
    """Mean and 95% CI of one day's replication values (a ratio's days without one left out)."""
    import numpy as np

    from sim.stats import describe

    finite = values[np.isfinite(values)]
    return describe(finite) if finite.size else None


def net_split_table(result: RunResult) -> Table | None:
    """The net in two parts: hard money, each modelled cost with what it rests on, the net.

    Rows :data:`sim.catalog.NET_SPLIT`; with a promotion each arm and the difference, whose
    hard net and net are the promotion's hard net impact and net impact.
    """
    from sim.economics import modelled_parts

    promo = result.summary
    if "hard_net_yuan" not in promo:
        return None
    base, effect = result.baseline_summary, result.effect_summary
    arms = (
        [("promotion", promo), ("baseline", base), ("difference", effect)]
        if base is not None and effect is not None
        else [("value", promo)]
    )
    lang = _session.lang
    rests = {
        p.key: ", ".join(
            catalog.assumption_text(a.field, a.value, a.grade, lang) for a in p.assumptions
        )
        for p in modelled_parts(result.scenario.economics)
    }
    rests["hard_net_yuan"] = _t("counted: orders, payroll, platform and bot charges, refunds")
    table = Table(
        title=_t(
            "Net in two parts · hard money moves; modelled costs rest on assumptions "
            "([X]: ours) · {ci}",
            ci=_ci_words(result.scenario.replications),
        )
    )
    table.add_column(_t("metric"))
    for name, _ in arms:
        table.add_column(_t(name), justify="right")
    table.add_column(_t("rests on"))
    for key in catalog.NET_SPLIT:
        m = catalog.CATALOG[key]
        text = m.label(lang)
        label = text if key in ("hard_net_yuan", "net_yuan") else f"− {text}"
        if key == "modelled_cost_yuan":
            label = f"= {text}"
        cells = [_fmt(stats.get(key), "yuan", name == "difference") for name, stats in arms]
        table.add_row(shown(label), *cells, rests.get(key, ""), end_section=key.startswith("mod"))
    stats = effect if effect is not None else promo
    parts = [stats.get(k) for k in ("net_yuan", "hard_net_yuan", "modelled_cost_yuan")]
    if all(p is not None for p in parts):
        net, hard, modelled = (_fmt({"mean": p["mean"], "n": p["n"]}, "yuan") for p in parts if p)
        what = catalog.capital(
            catalog.label("net_impact_yuan" if effect is not None else "net_yuan", lang)
        )
        table.caption = _t(
            "{what} {net} = hard money {hard} − modelled costs {modelled}, resting on "
            "{reviews}, {churn} and the agent time valued at the hourly cost.",
            what=what,
            net=net,
            hard=hard,
            modelled=modelled,
            reviews=rests["bad_review_cost_yuan"],
            churn=rests["churn_cost_yuan"],
        )
    return table


def presale_daily_table(result: RunResult) -> Table | None:
    """Pre-sale inquiries and the bot per day (:data:`sim.catalog.PRESALE_DAILY`), mean ± 95% CI.

    A row per day and arm: with a promotion the promotion, the baseline and their paired
    difference. None when the run has neither a bot nor pre-sale inquiries.
    """
    import numpy as np

    from sim.experiment import paired_daily
    from sim.localtime import day_label

    reps = result.arms["promotion"]
    keys = [k for k in catalog.PRESALE_DAILY if k in reps[0].daily]
    if not keys:
        return None
    arms: list[tuple[str, dict[str, NDArray[np.float64]]]] = [
        (name, {k: np.stack([r.daily[k] for r in result.arms[arm]]) for k in keys})
        for name, arm in (("promotion", "promotion"), ("baseline", "baseline"))
        if arm in result.arms
    ]
    if "baseline" in result.arms:
        arms.append(("difference", paired_daily(reps, result.arms["baseline"])))
    else:
        arms[0] = ("value", arms[0][1])
    lang = _session.lang
    title = _t("Pre-sale and bot per day")
    if len(arms) > 1:
        title += _t(" · promotion vs baseline, paired on common random numbers")
    table = Table(title=f"{title} · {_ci_words(result.scenario.replications)}")
    table.add_column(_t("day"))
    table.add_column(_t("arm"))
    for k in keys:
        table.add_column(catalog.label(k, lang), justify="right")
    cal = result.scenario.calendar
    first_day = int(cal.warmup_seconds // 86400.0)
    for d in range(arms[0][1][keys[0]].shape[1]):
        day = words.day(lang, day_label(cal.start, first_day + d, short=True))
        for i, (name, series) in enumerate(arms):
            cells = [
                _fmt(_day_stat(series[k][:, d]), catalog.fmt_of(k), name == "difference")
                for k in keys
            ]
            table.add_row(day if i == 0 else "", _t(name), *cells, end_section=i == len(arms) - 1)
    return table


_MARKS = {"met": "✓", "at_risk": "?", "breach": "✗", "": ""}
_STYLES = {"met": "green", "at_risk": "yellow", "breach": "bold red", "": ""}


def scorecard_table(result: RunResult) -> Table | None:
    """The platform KPIs per day, the scenario as written: mean ± 95% CI, judged (✓ ? ✗)."""
    from sim.localtime import day_label
    from sim.scorecard import ALL_DAYS, Score, scorecard

    rules = result.scenario.platform
    scores = [s for s in scorecard(result) if s.arm in ("promotion", "scenario")]
    if rules is None or not scores:
        return None
    title = _t(
        "Platform KPIs · {platform} (rules checked {checked})",
        platform=shown(rules.title or rules.name),
        checked=rules.checked,
    )
    table = Table(title=f"{title} · {_ci_words(result.scenario.replications)}")
    table.add_column(_t("day"))
    for kpi in rules.kpis.values():
        t = kpi.threshold
        op = {">=": "≥", "<=": "≤"}
        bar = "" if t is None else f" {op[t.op]} {_kpi_value(kpi.measure, t.value)}"
        grade = "" if t is None else f" [{rules.sources[t.source].grade}]"
        table.add_column(Text(shown(kpi.label) + bar + grade), justify="right")
    cal = result.scenario.calendar
    first_day = int(cal.warmup_seconds // 86400.0)
    by_day: dict[str, list[Score]] = {}
    for sc in scores:
        by_day.setdefault(sc.day, []).append(sc)
    for d, (day, row) in enumerate(by_day.items()):
        label = (
            _t("whole run")
            if day == ALL_DAYS
            else words.day(_session.lang, day_label(cal.start, first_day + d, short=True))
        )
        cells = []
        for sc in row:
            if not math.isfinite(sc.mean):
                cells.append(Text("–"))
                continue
            half = (sc.high - sc.low) / 2 if math.isfinite(sc.low) else None
            text = _kpi_value(sc.rule.measure, sc.mean)
            if half is not None:
                text += f" ± {_kpi_value(sc.rule.measure, half)}"
            mark = _MARKS[sc.status]
            cells.append(Text(text + (f" {mark}" if mark else ""), style=_STYLES[sc.status]))
        table.add_row(label, *cells, end_section=day == ALL_DAYS)
    table.caption = _t(
        "✓ the CI meets the bar · ? it straddles it · ✗ it misses it; [X]: a bar that is our "
        "assumption (scorecard.csv has both arms and the sessions counted)"
    )
    return table


MAX_BREACHES = 12
"""The most breached spans the console lists (hourly.csv holds every hour)."""


def breach_lines(result: RunResult) -> list[str]:
    """The hours in which a platform KPI's mean misses its bar, one line per span."""
    from sim.scorecard import run_breaches

    found = run_breaches(result)
    if not found:
        return []
    lines = [
        _t("Hours missing a platform bar ({n} span(s), means over replications):", n=len(found))
    ]
    rules = result.scenario.platform
    assert rules is not None
    for b in found[:MAX_BREACHES]:
        rule = rules.kpis[b.kpi]
        t = rule.threshold
        assert t is not None
        op = {">=": "≥", "<=": "≤"}[t.op]
        day = words.day(_session.lang, b.start.strftime("%m-%d %a"))
        end = "24:00" if b.end.time() == dt.time() else b.end.strftime("%H:%M")
        text = _t(
            "{label} {op} {bar}: {day} {start}–{end}, {value} over {sessions} sessions",
            label=shown(rule.label),
            op=op,
            bar=_kpi_value(rule.measure, t.value),
            day=day,
            start=f"{b.start:%H:%M}",
            end=end,
            value=_kpi_value(rule.measure, b.value),
            sessions=f"{b.sessions:,.0f}",
        )
        lines.append(f"  {text}")
    if len(found) > MAX_BREACHES:
        lines.append(
            _t("  … {n} more (hourly.csv: platform.* series)", n=len(found) - MAX_BREACHES)
        )
    return lines


def _kpi_value(measure: str, x: float) -> str:
    return f"{x:.1%}" if measure == "answered_within" else f"{x:,.0f} s"


LangOption = Annotated[
    str,
    typer.Option(
        envvar=words.LANG_ENV,
        help="Language of the console and report.html: en or zh (default: $PROMOSIM_LANG, "
        "else en).",
    ),
]


def _check_lang(lang: str) -> None:
    if lang not in commands.LANGS and os.environ.get(words.LANG_ENV) == lang:
        raise _bad_input(f"{words.LANG_ENV}: {lang!r} is not en or zh")
    with _bad_inputs():
        commands.check_lang(lang)
    _session.lang = lang


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
    with _bad_inputs():
        commands.check_backend(backend)
    _check_lang(lang)
    loaded = _load(scenario, commands.overrides(set_, replications, seed))
    listener = _Console(quiet)
    with _bad_inputs():
        folder = commands.run(
            loaded,
            out=commands.Out(out_dir, force, lang=lang, images=images),
            options=_options(workers, backend, address, yes),
            listener=listener,
            event_log=event_log,
        )
        target = commands.write(folder, listener)
    result = folder.result
    if not quiet:
        out.print(headline_table(result))
        extras = [
            *view_tables(result),
            net_split_table(result),
            daily_effect_table(result),
            presale_daily_table(result),
            scorecard_table(result),
        ]
        for extra in extras:
            if extra is not None:
                out.print(extra)
        for line in breach_lines(result):
            out.print(line, highlight=False)
    out.print(_t("run folder: {path}", path=shown(target)), highlight=False)


def _options(workers: int | None, backend: str, address: str | None, yes: bool) -> commands.Options:
    return commands.Options(workers, backend, address, yes, command=tuple(sys.argv))


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
    with _bad_inputs():
        target = commands.report(run_dir, lang, out_file, images, force)
    out.print(_t("report: {path}", path=shown(target)), highlight=False)


@app.command()
def brief(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by promosim run.")],
    lang: LangOption = "en",
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print brief.pdf (one A4 page) with Chromium.")
    ] = False,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the brief here instead of RUN_DIR/brief.html."),
    ] = None,
    replications: Annotated[
        int,
        typer.Option(
            help="Replications per point of the assumptions' sensitivity (0: none).", min=0
        ),
    ] = commands.BRIEF_REPLICATIONS,
    staff_dir: Annotated[
        Path | None,
        typer.Option("--staff", help="A staff folder of the same scenario: shortfall, roster."),
    ] = None,
    compare_dir: Annotated[
        Path | None,
        typer.Option("--compare", help="A compare or lab folder: the alternatives side by side."),
    ] = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --out or brief.pdf.")
    ] = False,
) -> None:
    """One printable page for the negotiation: the three views, the money, the assumptions.

    Every number is a mean with its 95% CI. The assumptions are the unsourced [X]
    parameters that move the net impact most, each taken alone to the ends of its range
    (the sensitivity is kept in RUN_DIR/sensitivity.json and reused by the next brief).
    """
    _check_lang(lang)
    listener = _Console(quiet)
    with _bad_inputs():
        done = commands.brief(
            run_dir,
            lang,
            pdf=pdf,
            out_file=out_file,
            force=force,
            replications=replications,
            staff_folder=staff_dir,
            compare_folder=compare_dir,
            options=_options(workers, "local", None, True),
            listener=listener,
        )
    if done.reused:
        out.print("sensitivity: reused from sensitivity.json", highlight=False)
    out.print(f"brief: {shown(done.html)}", highlight=False)
    if done.pdf is not None:
        out.print(f"brief (pdf): {shown(done.pdf)}", highlight=False)


# --------------------------------------------------------------------------- compare, sweep


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
    from sim import compare as comparelib

    _check_lang(lang)
    overrides = commands.overrides(set_, replications, seed)
    loaded = [_load(p, overrides) for p in scenarios]
    listener = _Console(quiet)
    with _bad_inputs():
        folder = commands.compare(
            loaded,
            out=commands.Out(out_dir, force, lang=lang, images=images),
            options=_options(workers, backend, address, yes),
            listener=listener,
        )
        target_dir = commands.write(folder, listener)
    result = folder.result
    plan = result.plan
    if not quiet:
        table = Table(
            title=_t(
                "Compare · {n} replications on common random numbers · {ci}; Δ to "
                "the first arm, * where its CI excludes 0",
                n=plan.replications,
                ci=_ci_words(plan.replications),
            )
        )
        table.add_column(_t("metric"))
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
                    cells.append(_fmt(cell.diff, kind, diff=True) + mark)
            metric = row.metric if _session.lang == "en" else Labels("zh").metric(row.metric)
            table.add_row(shown(metric), *cells)
        out.print(table)
    out.print(_t("comparison folder: {path}", path=shown(target_dir)), highlight=False)


@app.command()
def lab(
    scenario: Annotated[Path, typer.Argument(help="A scenario with a promotion.")],
    mechanics: Annotated[
        str | None,
        typer.Option(
            help="Built-in variants to run, comma-separated (default: all this deal has; "
            "as-written always runs)."
        ),
    ] = None,
    variant: Annotated[
        list[str] | None,
        typer.Option(help="Your own variant: 'NAME: path=value; path=value' (repeatable)."),
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(
            help="A target the short agent-hours are counted against, as staff takes it "
            "(repeatable; default: service_level>=0.8 on every customer-facing channel)."
        ),
    ] = None,
    set_: SetOption = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write the lab's folder here (new or empty)."),
    ] = None,
    quiet: QuietOption = False,
    backend: BackendOption = "local",
    address: AddressOption = None,
    lang: LangOption = "en",
    images: ImagesOption = None,
    force: ForceOption = False,
    yes: YesOption = False,
) -> None:
    """Rank ways of running the same deal by net, on common random numbers.

    Each variant keeps the promotion's window, uplift and peak (the sales goal) and changes
    how the deal works: the cart's auto-apply, a checkout nudge, a make-up link, clear
    rules, a bot FAQ, or your own --variant. Ranked by the promotion arm's net; each gap to
    the next variant is paired, * where its 95% CI excludes 0. A compare folder with lab.csv.
    """
    _check_lang(lang)
    overrides = commands.overrides(set_, replications, seed)
    only = [m.strip() for m in (mechanics or "").split(",") if m.strip()]
    listener = _Console(quiet)
    with _bad_inputs():
        folder = commands.lab(
            scenario,
            overrides,
            variant or [],
            only=only,
            targets=target or [],
            out=commands.Out(out_dir, force, lang=lang, images=images),
            options=_options(workers, backend, address, yes),
            listener=listener,
        )
        target_dir = commands.write(folder, listener)
    if not quiet:
        out.print(lab_table(folder.result))
    out.print(_t("lab folder: {path}", path=shown(target_dir)), highlight=False)


def lab_table(result: commands.Lab) -> Table:
    """The lab's ranking: figures, paired differences to as-written, gaps to the next."""
    from sim import lab as lablib

    c = result.comparison
    lang = _session.lang
    names = Labels(lang)
    table = Table(
        title=_t(
            "Mechanic lab · {n} replications on common random numbers · ranked by net; "
            "{ci}, Δ to as-written (* its CI excludes 0)",
            n=c.plan.replications,
            ci=_ci_words(c.plan.replications),
        )
    )
    table.add_column("#", justify="right")
    table.add_column(_t("variant"))
    shown_metrics = (
        "net_yuan",
        "contacts",
        "lost_orders",
        "refunds_yuan",
        lablib.SHORT_HOURS,
        lablib.BREACH_DAYS,
    )
    metrics = [m for m in shown_metrics if m in result.ranking[0].figures]
    own = {lablib.BREACH_DAYS: "KPI breach days", lablib.SHORT_HOURS: "short agent-hours"}
    for m in metrics:
        table.add_column(_t(own[m]) if m in own else catalog.label(m, lang), justify="right")
    table.add_column(_t("gap to next"), justify="right")
    for r in result.ranking:
        cells = []
        for m in metrics:
            kind = "decimal" if m in own else catalog.fmt_of(m)
            mean, lo, hi = r.figures[m]
            stat: Stat | None = None
            if math.isfinite(mean):
                stat = {"mean": mean, "n": 0}
                if math.isfinite(lo):
                    stat["ci95"] = [lo, hi]
            text = _fmt(stat, kind)
            d = r.vs_reference.get(m)
            if d is not None and math.isfinite(d[0]):
                dstat: Stat = {"mean": d[0], "n": 0}
                if math.isfinite(d[1]):
                    dstat["ci95"] = [d[1], d[2]]
                text += f"\nΔ {_fmt(dstat, kind, diff=True)}{' *' if d[3] else ''}"
            cells.append(text)
        gap = r.gap_to_next
        gap_text = "–"
        if gap is not None:
            gstat: Stat = {"mean": gap[0], "n": 0}
            if math.isfinite(gap[1]):
                gstat["ci95"] = [gap[1], gap[2]]
            gap_text = _fmt(gstat, "yuan", diff=True) + (" *" if gap[3] else "")
        table.add_row(
            str(r.rank), shown(names("variant", r.arm)), *cells, gap_text, end_section=True
        )
    legend = "; ".join(
        f"{shown(names('variant', r.arm))}: {shown(r.variant.title)}"
        if lang == "en" or names("variant", r.arm) == r.arm
        else shown(names("variant", r.arm))
        for r in result.ranking
    )
    table.caption = _t(
        "{legend}. net: the promotion arm's net (the baseline is common to every variant); short "
        "agent-hours: short of the targets by Erlang on each replication's load ({targets}); "
        "kpi_breach_days: days × platform KPIs missing their bar; lab.csv has every figure",
        legend=legend,
        targets=", ".join(str(t) for t in result.targets),
    )
    return table


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
    listener = _Console(quiet)
    with _bad_inputs():
        folder = commands.sweep(
            scenario,
            vary,
            one_at_a_time=one_at_a_time,
            metric=metric,
            overrides=commands.overrides(set_, replications, seed),
            out=commands.Out(out_dir, force, lang=lang, images=images),
            options=_options(workers, backend, address, yes),
            listener=listener,
        )
        target_dir = commands.write(folder, listener)
    bars = folder.result.bars
    n_points = len(folder.result.sweep.points)
    if not quiet:
        out.print(sweep_table(folder.result.sweep, metric))
        if bars:
            out.print(tornado_table(bars, metric, folder.result.sweep))
    out.print(
        _t("sweep folder: {path} ({n} points)", path=shown(target_dir), n=n_points),
        highlight=False,
    )


MAX_SWEEP_ROWS = 60
"""The most points a grid's console table lists (sweep.csv holds them all)."""

TORNADO_WIDTH = 16
"""The widest tornado bar, characters (the widest swing)."""


def _sweep_label(key: str) -> str:
    """A sweep column's label: an ``effect.`` metric is the promotion − baseline difference."""
    if key.startswith(catalog.EFFECT_PREFIX):
        return f"{_metric_label(key.removeprefix(catalog.EFFECT_PREFIX))} {_t('(Δ promotion)')}"
    return _metric_label(key)


def sweep_table(sweep: comparelib.Sweep, metric: str) -> Table:
    """The sweep's points: each path's value, then --metric and the headline, mean ± 95% CI.

    One at a time, the base point comes first.
    """
    promo = any(p.effect for p in sweep.points)
    keys = list(
        dict.fromkeys(
            [
                metric,
                "contacts",
                "all.service_level",
                "effect.net_impact_yuan" if promo else "net_yuan",
            ]
        )
    )
    n = sweep.points[0].loaded.scenario.replications if sweep.points else None
    table = Table(
        title=_t(
            "Sweep · {mode} · {n} points · {ci}",
            mode=_t(sweep.mode),
            n=len(sweep.points),
            ci=_ci_words(n),
        )
    )
    for path in sweep.paths:
        table.add_column(shown(path), overflow="fold")
    for key in keys:
        table.add_column(shown(_sweep_label(key)), justify="right")
    kinds = [catalog.fmt_of(k) for k in keys]
    for point in sweep.points[:MAX_SWEEP_ROWS]:
        stats = point.stats
        table.add_row(
            *(shown(point.values.get(path, "")) for path in sweep.paths),
            *(
                _fmt(stats.get(k), kind, k.startswith(catalog.EFFECT_PREFIX))
                for k, kind in zip(keys, kinds, strict=True)
            ),
        )
    notes = []
    if sweep.mode == "one-at-a-time":
        notes.append(_t("the first row is the base; each other varies one path"))
    if len(sweep.points) > MAX_SWEEP_ROWS:
        notes.append(_t("the first {n} points; sweep.csv has every one", n=MAX_SWEEP_ROWS))
    table.caption = "; ".join(notes) or None
    return table


def tornado_table(
    bars: Sequence[comparelib.TornadoBar], metric: str, sweep: comparelib.Sweep
) -> Table:
    """The tornado: ``metric`` at each path's lowest and highest value, widest swing first."""
    kind = catalog.fmt_of(metric)
    diff = metric.startswith(catalog.EFFECT_PREFIX)

    def value(x: float | None) -> str:
        return "–" if x is None else _mean(x, metric, diff)

    base = next((b.base_mean for b in bars if b.base_mean is not None), None)
    table = Table(
        title=_t(
            "Tornado · {metric} at each path's lowest and highest value · base {base} · means",
            metric=shown(_sweep_label(metric)),
            base=value(base),
        )
    )
    table.add_column(_t("path"), overflow="fold")
    for col in ("lowest value", "highest value", "swing"):
        table.add_column(_t(col), justify="right")
    table.add_column("", no_wrap=True, min_width=TORNADO_WIDTH)
    widest = max((b.swing for b in bars if b.swing is not None), default=0.0)
    for b in bars:
        swing = "–"
        if b.swing is not None:
            # a swing is a difference of two means: a share's in pp
            swing = _fmt({"mean": b.swing, "n": 1}, kind, diff=True).lstrip("+")
        length = round(TORNADO_WIDTH * b.swing / widest) if b.swing and widest > 0 else 0
        table.add_row(
            shown(b.path),
            f"{shown(b.low_value)} → {value(b.low_mean)}",
            f"{shown(b.high_value)} → {value(b.high_mean)}",
            swing,
            "█" * length,
        )
    table.caption = _t(
        "each path varied alone, the others at their base values; sweep.csv has every point ({n})",
        n=len(sweep.points),
    )
    return table


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


def _days_text(by_day: Mapping[str, float], most: int = 6) -> str:
    """Dates as MM-DD ranges ("11-01–11-05, 11-11"); past ``most`` ranges, how many more."""
    from sim import staffing

    ranges = staffing.date_ranges(list(by_day))
    parts = [a[5:] if a == b else f"{a[5:]}–{b[5:]}" for a, b in ranges]
    more = _t(" and {n} more ranges", n=len(parts) - most) if len(parts) > most else ""
    return ", ".join(parts[:most]) + more


def _staff_answer(plan: staffing.StaffPlan) -> list[str]:
    """The answer first: per planned group what to add and what could go, never netted."""
    lines = []
    roster = plan.roster
    names = Labels(_session.lang, plan.scenario)
    for g in plan.required:
        short = plan.by_day(plan.short_agents(g))
        name = names("group", g)
        if short:
            agents, date, start, end = plan.peak_short(g)
            line = _t(
                "{g}: add up to {agents} agents on {days} (the most on {date} {start}–{end}): "
                "{hours} agent-hours short",
                g=name,
                agents=agents,
                days=_days_text(short),
                date=date[5:],
                start=start,
                end=end,
                hours=f"{plan.short_agent_hours(g):,.0f}",
            )
            if roster is not None:
                mine = [b for b in roster.bookings if b.group == g]
                cost: dict[str, float] = {}
                for b in mine:
                    cost[b.source] = cost.get(b.source, 0.0) + b.cost_yuan
                parts = ", ".join(
                    f"{names('source', src)} ¥{v:,.0f}" for src, v in sorted(cost.items())
                )
                total = math.fsum(cost.values())
                hours = math.fsum(b.agent_hours for b in mine)
                line += _t(
                    "; the roster books {hours} agent-hours for ¥{cost}",
                    hours=f"{hours:,.0f}",
                    cost=f"{total:,.0f}",
                )
                line += f" ({parts})" if parts else ""
            else:
                line += _t(
                    ", about ¥{cost} at ¥{rate} an hour",
                    cost=f"{plan.short_cost_yuan(g):,.0f}",
                    rate=f"{plan.hourly_cost_yuan[g]:,.1f}",
                )
            lines.append(line)
            waiting, at = plan.peak_backlog(g)
            if waiting > 0:
                lines.append(
                    _t(
                        "{g}: at {at} on {date} the desk opens on about {waiting} messages "
                        "written while it was closed: that is the peak; opening earlier that "
                        "day would spread them",
                        g=name,
                        at=at,
                        date=date[5:],
                        waiting=f"{waiting:,.0f}",
                    )
                )
        else:
            lines.append(
                _t("{g}: no shortfall: the schedule covers the plan in every interval", g=name)
            )
        surplus = plan.by_day(plan.surplus_agents(g))
        if surplus:
            lines.append(
                _t(
                    "{g}: you could release {hours} agent-hours on {days}",
                    g=name,
                    hours=f"{plan.surplus_agent_hours(g):,.0f}",
                    days=_days_text(surplus),
                )
            )
    return lines


def _roster_table(plan: staffing.StaffPlan, most: int = 20) -> Table | None:
    """The roster's bookings, consecutive dates merged, at most ``most`` rows."""
    from sim.roster import extra_shifts_block

    roster = plan.roster
    if roster is None or not roster.bookings:
        return None
    names = Labels(_session.lang, plan.scenario)
    table = Table(
        title=_t(
            "Extra shifts to book (¥{cost} in all; roster.csv)", cost=f"{roster.cost_yuan:,.0f}"
        )
    )
    for col in ("group", "dates", "source", "shift", "agents"):
        # "agents" is a metric's key too: its zh text here is the agents booked
        header = col if _session.lang == "en" else _t("agents booked" if col == "agents" else col)
        table.add_column(header, justify="right" if col == "agents" else "left")
    rows = [(g, e) for g in plan.required for e in extra_shifts_block(roster, g)]
    for g, e in rows[:most]:
        first, last = str(e["first_day"])[5:], str(e["last_day"])[5:]
        dates = first if first == last else f"{first}–{last}"
        table.add_row(
            shown(names("group", g)),
            dates,
            shown(names("source", str(e["source"]))),
            f"{e['start']}–{e['end']}",
            str(e["agents"]),
        )
    if len(rows) > most:
        table.caption = _t("and {n} more rows in schedule.yaml and roster.csv", n=len(rows) - most)
    return table


def _check_lines(check: staffing.FreshCheck, where: str) -> list[str]:
    def missed(t: str) -> str:
        n, left = check.missed[t], check.uncovered.get(t, 0)
        return _t("{n} miss significantly", n=n) + (
            _t(" ({n} where the roster left agents short)", n=left) if left else ""
        )

    return [
        _t(
            "  {t}: {met}/{judged} {where} meet it, {within} miss within the CI, {missed}",
            t=t,
            met=check.met[t],
            judged=judged,
            where=_t(where),
            within=check.within[t],
            missed=missed(t),
        )
        for t, judged in check.judged.items()
    ]


def _paste_line(blocks: Mapping[str, Mapping[str, Any]]) -> str:
    """Where the blocks to paste are: schedule.yaml (a horizon's plan is no console read)."""
    shifts = sum(len(b.get("extra_shifts") or ()) for b in blocks.values())
    return _t(
        "to paste, in schedule.yaml: per group its extra_shifts ({n} entries in all) beside its "
        "schedule, or the plan as an intervals schedule instead of it",
        n=f"{shifts:,}",
    )


def _fresh_lines(plan: staffing.StaffPlan) -> list[str]:
    """How the plan as booked (surplus released, roster added) fared on fresh seeds."""
    f = plan.fresh
    where = "intervals" if plan.per_interval else "run"
    lines = [
        _t(
            "fresh-seed check of the plan as booked ({n} replications, {rounds}, {level} "
            "intervals):",
            n=f.replications,
            rounds=words.plural(_session.lang, "{n} round", f.rounds),
            level=f"{f.confidence:.0%}",
        ),
        *_check_lines(f, where),
    ]
    roster = plan.roster
    if roster is not None and not roster.covered:
        left = sum(float(u.sum()) for u in roster.uncovered.values())
        hours = left * plan.interval_seconds / 3600
        lines.append(
            _t(
                "the roster leaves {hours} agent-hours uncovered: no source reaches them "
                "(lead days, caps); see staffing.json",
                hours=f"{hours:,.0f}",
            )
        )
    n = plan.simulations
    if plan.met:
        lines.append(_t("targets met after {n} simulations", n=n))
    elif not f.passed:
        lines.append(_t("targets NOT met on fresh seeds after {n} simulations", n=n))
    else:
        lines.append(_t("targets NOT met (iteration cap reached) after {n} simulations", n=n))
    return lines


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
        typer.Option(
            help="Book only shifts of these lengths, hours (repeatable); they replace the "
            "lengths of staffing.shift_templates."
        ),
    ] = None,
    search_replications: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=10_000,
            help="Replications of the search's simulations (default 10, at most the "
            "scenario's); the fresh-seed check runs all of the scenario's.",
        ),
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
    judges the plan on fresh seeds, then books the shortfall as extra shifts at least cost
    and checks the rostered rota on fresh seeds. Says first what to add (agents short, by
    date, and their cost) and apart what could be released; writes staffing.csv, staffing.json,
    roster.csv and schedule.yaml (extra_shifts and the plan per interval) to paste.
    """
    _check_lang(lang)
    loaded = _load(scenario, commands.overrides(set_, replications, seed))
    listener = _Console(quiet)
    with _bad_inputs():
        folder = commands.staff(
            loaded,
            target,
            per_interval=not overall,
            shift_hours=tuple(shift_hours) if shift_hours else None,
            search_replications=search_replications,
            out=commands.Out(out_dir, force, lang=lang, images=images),
            options=_options(workers, backend, address, yes),
            listener=listener,
        )
        target_dir = commands.write(folder, listener)
    plan, targets, blocks = folder.result.plan, folder.result.targets, folder.result.blocks
    if not quiet:
        for line in _staff_answer(plan):
            out.print(shown(line), highlight=False)
        table = Table(
            title=_t("Staffing for {targets}", targets=", ".join(shown(t) for t in targets))
        )
        for col in ("group", "plan agent-hours", "scheduled", "short", "surplus", "short at ¥/h"):
            table.add_column(_t(col), justify="left" if col == "group" else "right")
        names = Labels(_session.lang, plan.scenario)
        for g in plan.required:
            table.add_row(
                shown(names("group", g)),
                f"{plan.required_agent_hours(g):,.0f}",
                f"{plan.scheduled_agent_hours(g):,.0f}",
                f"{plan.short_agent_hours(g):,.0f}",
                f"{plan.surplus_agent_hours(g):,.0f}",
                f"¥{plan.short_cost_yuan(g):,.0f}",
            )
        out.print(table)
        booked = _roster_table(plan)
        if booked is not None:
            out.print(booked)
        for line in _fresh_lines(plan):
            out.print(shown(line), highlight=False)
        out.print(_paste_line(blocks), highlight=False)
    out.print(_t("staffing folder: {path}", path=shown(target_dir)), highlight=False)


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
    from sim import review
    from sim.loading import ScenarioError

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


MAX_FOLDER = 36
"""The widest folder path ``runs`` prints, characters (its scenario folder cut to fit)."""


def _short(text: str, most: int = MAX_FOLDER) -> str:
    """``text`` cut in its middle to at most ``most`` characters (both ends say most)."""
    if len(text) <= most:
        return text
    head = (most - 1) // 3
    return text[:head] + "…" + text[len(text) - (most - 1 - head) :]


def _short_folder(rel: str, most: int = MAX_FOLDER) -> str:
    """A run folder's path under the root, its scenario folder cut to fit ``most``.

    The run's own folder name is kept whole: it is what tells two runs apart.
    """
    parent, sep, own = rel.rpartition("/")
    if len(rel) <= most or not sep:
        return rel
    return _short(parent, max(most - len(own) - 1, 6)) + sep + own


def _wrapped(label: str, width: int) -> str:
    """``label`` in lines of at most ``width`` terminal cells (a Chinese character takes 2).

    Words are kept whole (a longer word takes its own line); Chinese text, which has no
    spaces, breaks between characters.
    """
    lines: list[str] = []
    line, used = "", 0
    for piece in re.findall(r"[\u2e80-\uffef]|[^\s\u2e80-\uffef]+|\s+", label):
        if piece.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        size = cell_len(piece)
        if line and used + size > width:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + piece, used + size
    lines.append(line.rstrip())
    return "\n".join(lines)


def _when(created: str) -> str:
    """An ISO time as local ``YYYY-MM-DD HH:MM`` (as written if it is no ISO time)."""
    try:
        t = dt.datetime.fromisoformat(created)
    except ValueError:
        return created
    return f"{t.astimezone() if t.tzinfo else t:%Y-%m-%d %H:%M}"


def _metric_label(key: str) -> str:
    """A summary key's label, its channel or group named (``all channels service level``)."""
    lang = _session.lang
    m = catalog.lookup(key)
    label = catalog.label(key, lang)
    head = key.split(".", 1)[0]
    if m is not None and key.count(".") == 1 and head not in ("contacts", "platform"):
        channel = _t("all channels") if head == "all" else Labels(lang)("channel", head)
        label = f"{channel}{'' if lang == 'zh' else ' '}{label}"
    return label


def _mean(value: float, key: str, diff: bool = False) -> str:
    """A mean alone, in ``key``'s catalog format (a difference signed)."""
    return _fmt({"mean": value, "n": 1}, catalog.fmt_of(key), diff)


@app.command()
def runs(
    name: Annotated[str | None, typer.Option(help="Only this scenario's runs.")] = None,
    root: Annotated[Path, typer.Option(help="Where run folders live.")] = Path("outputs"),
    lang: LangOption = "en",
) -> None:
    """Past runs, newest first: folder, scenario, version, created, headline means.

    A promotion run's net impact is its promotion − baseline difference; the full figures,
    with their CIs, are in `promosim show FOLDER`.
    """
    from sim import review

    _check_lang(lang)
    if not root.is_dir():
        raise _bad_input(
            f"promosim runs: {shown(root)} is not a folder: run folders are written under "
            "outputs/ (or the --root a run's --out sits in); `promosim run SCENARIO` makes one"
        )
    found = review.list_runs(root, name)
    if not found:
        what = _t("runs of {name}", name=shown(name)) if name is not None else _t("run folders")
        names = sorted({i.name for i in review.list_runs(root)}) if name is not None else []
        others = _t("; runs of: {names}", names=", ".join(shown(n) for n in names)) if names else ""
        out.print(
            _t("no {what} under {root}", what=what, root=shown(root)) + others, highlight=False
        )
        return
    rows = []
    for run_info in found:
        # every field is read from a folder anyone with write access may have planted
        folder = run_info.folder
        try:
            rel = str(folder.relative_to(root))
        except ValueError:
            rel = str(folder)
        reps = run_info.replications
        lines = [
            _short_folder(rel),
            " · ".join(p for p in (run_info.title or run_info.name, run_info.version) if p),
            " · ".join(
                p
                for p in (
                    _when(run_info.created_at),
                    "" if reps is None else words.plural(_session.lang, "{n} replication", reps),
                )
                if p
            ),
        ]
        cells = [
            _mean(run_info.metrics[m], m, m in run_info.effects) if m in run_info.metrics else "–"
            for m in review.HEADLINE_METRICS
        ]
        rows.append(("\n".join(shown(line) for line in lines if line), cells))
    table = Table(
        title=_t(
            "{n} run(s) under {root} · means over replications", n=len(found), root=shown(root)
        )
    )
    table.add_column(_t("run folder"), overflow="fold", min_width=20)
    for i, m in enumerate(review.HEADLINE_METRICS):
        # the numbers are never cut: the headers wrap to them and the run column gives way
        label = _metric_label(m)
        width = max(8, *(len(cells[i]) for _, cells in rows))
        table.add_column(_wrapped(label, width), justify="right", no_wrap=True)
    for about, cells in rows:
        table.add_row(Text(about), *cells, end_section=True)
    table.caption = _t(
        "– absent: no value (no promotion for a net impact; nothing offered for a service "
        "level); `promosim show FOLDER`: the CIs and the baseline"
    )
    out.print(table)


@app.command()
def show(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the manifest and means as JSON instead.")
    ] = False,
    lang: LangOption = "en",
) -> None:
    """One run: what, when, from which files and commit, and its headline with 95% CIs."""
    from sim import review

    _check_lang(lang)
    if not run_dir.is_dir():
        raise _bad_input(f"promosim show: {shown(run_dir)} is not a folder")
    try:
        info = review.show_run(run_dir)
    except ValueError as e:
        raise _bad_input(f"promosim: {e}") from None
    if as_json:
        sys.stdout.write(json_dumps(info, indent=2, default=str) + "\n")
        return
    for line in _manifest_lines(info):
        out.print(shown(line), highlight=False)
    reps = info.get("replications")
    n = reps if isinstance(reps, int) and not isinstance(reps, bool) else None
    table = show_table(review.headline_stats(run_dir), n)
    if table is None:
        out.print(_t("no headline metrics (summary.json missing or unreadable)"), highlight=False)
    else:
        out.print(table)
    warning = commands.few_replications(n) if n is not None else None
    if warning is not None:
        out.print(warning, highlight=False)


def _manifest_lines(info: Mapping[str, Any]) -> list[str]:
    """A manifest's provenance as labelled lines (a field that is missing is left out)."""

    def text(key: str) -> str:
        value = info.get(key)
        return value if isinstance(value, str) else ""

    def listed(key: str) -> str:
        value = info.get(key)
        return ", ".join(str(v) for v in value) if isinstance(value, list) else ""

    name, title, version = text("name"), text("title"), text("version")
    scenario = f"{title} ({name})" if title and name not in title else title or name
    versions, git = info.get("versions"), info.get("git")
    tool = versions.get("promosim") if isinstance(versions, dict) else None
    commit = git.get("commit") if isinstance(git, dict) else None
    dirty = isinstance(git, dict) and git.get("dirty") is True
    created = " · ".join(
        part
        for part in (
            _when(text("created_at")),
            f"promosim {tool}" if isinstance(tool, str) else "",
            f"commit {commit[:8]}{' (uncommitted changes)' if dirty else ''}"
            if isinstance(commit, str)
            else "",
        )
        if part
    )
    seed, reps = info.get("seed"), info.get("replications")
    run = " · ".join(
        part
        for part in (
            f"seed {seed}" if isinstance(seed, int) else "",
            f"{reps:,} replication{'s' * (reps != 1)}" if isinstance(reps, int) else "",
            f"config hash {text('config_hash')[:12]}" if text("config_hash") else "",
        )
        if part
    )
    command = info.get("command")
    rows = [
        ("folder", text("folder")),
        ("scenario", scenario + (f" · version {version}" if version else "")),
        ("kind", text("kind") if text("kind") not in ("", "run") else ""),
        ("created", created),
        ("files", listed("scenario_files") or text("scenario_file")),
        ("overrides", listed("overrides")),
        ("run", run),
        ("command", " ".join(str(c) for c in command) if isinstance(command, list) else ""),
    ]
    return [f"{label:<10}{value}" for label, value in rows if value]


def show_table(stats: Mapping[str, Mapping[str, Any]], n: int | None) -> Table | None:
    """A run's headline (:data:`sim.review.SHOW_METRICS`): each arm and the effect.

    None when summary.json holds none of them.
    """
    from sim import review

    promo, base, effect = (stats.get(arm, {}) for arm in review.ARMS)
    arms = (
        [("promotion", promo), ("baseline", base), ("difference", effect)]
        if base or effect
        else [("value", promo)]
    )
    keys = [k for k in review.SHOW_METRICS if any(k in a for _, a in arms)]
    if not keys:
        return None
    vs = _t(" · promotion vs baseline, paired") if len(arms) > 1 else ""
    table = Table(title=f"{_t('Headline')}{vs} · {_ci_words(n)}")
    table.add_column(_t("metric"))
    for arm, _ in arms:
        table.add_column(_t(arm), justify="right")
    for key in keys:
        kind = catalog.fmt_of(key)
        table.add_row(
            shown(_metric_label(key)),
            *(_fmt(a.get(key), kind, arm == "difference") for arm, a in arms),
        )
    return table


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="The new scenario's name (a slug).")],
    from_: Annotated[
        str,
        typer.Option(
            "--from", help="Scenario to extend: a bundled one (second_item_1yuan) or a file."
        ),
    ],
    folder: Annotated[Path, typer.Option("--dir", help="Where to write NAME.yaml.")] = Path("."),
    title: Annotated[
        str | None, typer.Option(help="The campaign's title, any language (default: NAME).")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="The campaign-review label (default: draft).")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="First day of the calendar, YYYY-MM-DD; the promotion's dates move."),
    ] = None,
) -> None:
    """Write a new scenario that extends another, with its own name, title, version, calendar.

    The fields a campaign usually changes are listed commented with the parent's values.
    """
    with _bad_inputs():
        dest = commands.init(
            name, from_, CONFIGS, folder, title=title, version=version, start=start
        )
    out.print(f"wrote {shown(dest)}", highlight=False)


# --------------------------------------------------------------------------- validate, schema


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    set_: SetOption = None,
) -> None:
    """Check scenario files; print each one's config hash. Exit 2 if any is invalid.

    A platform rule pack (configs/platforms/NAME.yaml) is checked as a pack.
    """
    from sim import worksize
    from sim.loading import ScenarioError, is_platform_pack, load_platform_pack, load_scenario

    bad = False
    for path in scenarios:
        if is_platform_pack(path):
            try:
                rules = load_platform_pack(path)
            except ScenarioError as e:
                err.print(shown(e, lines=True), markup=False, highlight=False)
                bad = True
            else:
                kpis = ", ".join(rules.kpis)
                line = f"{shown(path)}: ok, platform pack {shown(rules.name)}: {shown(kpis)}"
                out.print(line, markup=False, highlight=False)
            continue
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
    from sim.config import scenario_json_schema

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
    from sim.config import SCHEMA_VERSION
    from sim.loading import ScenarioError, is_platform_pack, migrate_file
    from sim.outputs import OutputError, replace_file

    bad = stale = False
    for path in files:
        if is_platform_pack(path):
            # a pack has no schema_version of its own: it is part of the scenario naming it
            out.print(
                f"{shown(path)}: a platform rule pack, nothing to migrate",
                markup=False,
                highlight=False,
            )
            continue
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
    concurrency: Annotated[
        int,
        typer.Option(
            help="Contacts one agent holds at once (chat, as channels.<c>.concurrency): "
            "N agents are N × this servers.",
            min=1,
        ),
    ] = 1,
) -> None:
    """Exact Erlang C (no abandonment) or Erlang A (exponential patience) figures.

    With --concurrency K (a chat desk) each agent holds K contacts at once: N agents are
    N·K servers, as `promosim staff` plans a chat channel.
    """
    with _bad_inputs():
        figures = commands.erlang(rate, aht, agents, patience, threshold, concurrency)
    model = "Erlang C" if patience is None else f"Erlang A (patience {patience:g} s)"
    load = rate * aht / 3600.0
    desk = (
        "" if concurrency == 1 else f" · concurrency {concurrency} (agents × {concurrency} slots)"
    )
    table = Table(
        title=f"{model} · {rate:g} contacts/h · AHT {aht:g} s · load {load:.2f} Erlang · "
        f"SL threshold {threshold:g} s{desk}"
    )
    metrics = ("service_level", "abandon_rate", "asa_seconds", "mean_wait_seconds")
    for col in ("agents", "P(wait)", *(catalog.label(k) for k in metrics), "occupancy"):
        table.add_column(col, justify="right")
    for n, f in figures:
        if not f.stable:
            servers = "agents" if concurrency == 1 else "slots"
            table.add_row(
                str(n), "1", f"unstable: load ≥ {servers} and nobody abandons", "", "", "", ""
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
    out_file: Annotated[
        Path, typer.Option("--out", help="Write the fitted scenario fragment here (new file).")
    ],
    orders: Annotated[
        Path | None, typer.Option("--orders", help="orders.csv export (with --contacts).")
    ] = None,
    contacts: Annotated[
        Path | None, typer.Option("--contacts", help="contacts.csv export (with --orders).")
    ] = None,
    funnel: Annotated[
        Path | None,
        typer.Option(
            "--funnel",
            help="Hourly service export (生意参谋/赤兔/千牛): fits presale and the bot's "
            "containment; alone or with --orders/--contacts.",
        ),
    ] = None,
    funnel_channel: Annotated[
        str,
        typer.Option("--funnel-channel", help="The channel the hourly export's service is."),
    ] = "chat",
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
    map_funnel: Annotated[
        list[str] | None,
        typer.Option("--map-funnel", help="column=export header for --funnel (repeatable)."),
    ] = None,
    map_file: Annotated[
        Path | None,
        typer.Option(
            "--map-file", help="YAML: orders, contacts, funnel, channels, reasons mappings."
        ),
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
    """Fit a scenario fragment to a shop's exports.

    From orders and contacts exports: orders, contact reasons, channels' handle time and
    patience, journey, satisfaction. From an hourly service export (--funnel): presale
    (inquiry share, browsers, keep curve) and the channel's bot containment. Each value has
    its 95% CI and n in a comment; the fragment is for a scenario to `extends`; the report
    shows fitted against observed.
    """
    with _bad_inputs():
        done = commands.calibrate(
            orders,
            contacts,
            out_file,
            funnel=funnel,
            funnel_channel=funnel_channel,
            report_file=report_file,
            map_orders=map_orders or [],
            map_contacts=map_contacts or [],
            map_funnel=map_funnel or [],
            map_file=map_file,
            satisfied_from=satisfied_from,
            lang=lang,
            force=force,
        )
    fitted, report_path = done.fit, done.report
    if fitted is not None:
        out.print(
            f"fitted {fitted.n_orders} orders and {fitted.n_contacts} contacts (contacts "
            f"observed {fitted.window_start:%Y-%m-%d} to {fitted.window_end:%Y-%m-%d})",
            highlight=False,
        )
        _fit_notes(fitted.excluded, fitted.notes)
    ff = done.funnel
    if ff is not None:
        out.print(
            f"fitted {ff.n_hours} hours of service data "
            f"({ff.first_hour:%Y-%m-%d %H:00} to {ff.last_hour:%Y-%m-%d %H:00})",
            highlight=False,
        )
        _fit_notes(ff.excluded, ff.notes)
    out.print(f"fragment: {shown(out_file)}\nreport: {shown(report_path)}", highlight=False)


def _fit_notes(excluded: Mapping[str, int], notes: Sequence[str]) -> None:
    """A fit's excluded rows by reason, and its notes."""
    for why, k in excluded.items():
        out.print(f"excluded: {k} {shown(why)}", markup=False, highlight=False)
    for note in notes:
        out.print(f"note: {shown(note)}", markup=False, highlight=False)


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
    except Exception as e:  # the last line of defence: report, don't dump a traceback
        if _cluster_error(e):  # Dask's traceback is no help: say what failed, in one line
            from sim.experiment import silence_foreign_logs

            silence_foreign_logs()  # Dask's late complaints about its own tasks included
            err.print(
                f"promosim: {shown(e)}. Finished replications are kept: "
                "run the same command again to resume.",
                markup=False,
                highlight=False,
            )
            sys.exit(1)
        if os.environ.get("PROMOSIM_DEBUG"):
            raise
        err.print(
            f"promosim: runtime failure: {type(e).__name__}: {shown(e)}",
            markup=False,
            highlight=False,
        )
        sys.exit(1)


def _cluster_error(e: Exception) -> bool:
    """Whether ``e`` is :class:`sim.experiment.ClusterError`.

    Only a command that imported sim.experiment can raise one; no other imports it here.
    """
    if "sim.experiment" not in sys.modules:
        return False
    from sim.experiment import ClusterError

    return isinstance(e, ClusterError)
