"""Reading a folder's files for a report: run, comparison, sweep and staffing folders.

No plotly here: only parsing, into columns kept small (a year of 15-minute intervals is a
few MB).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import operator
import os
import re
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from sim.config import KpiMeasure
from sim.files import UnreadableFile, read_bounded
from sim.loading import ScenarioError, load_data_text
from sim.scorecard import SCORECARD_COLUMNS
from sim.text import text_lines


class ReportError(Exception):
    """A folder is missing or does not hold what its report needs, or a language is unknown."""


REQUIRED = ("summary.json", "scenario.resolved.yaml", "intervals.csv", "daily.csv")
OPTIONAL = ("hourly.csv", "scorecard.csv")
"""Run files a report reads when the folder has them (``hourly.csv``: pre-sale runs and
runs with platform rules; ``scorecard.csv``: runs with platform rules)."""


MAX_BYTES = {
    "summary.json": 64 * 2**20,
    "scenario.resolved.yaml": 16 * 2**20,
    "intervals.csv": 512 * 2**20,
    "daily.csv": 64 * 2**20,
    "hourly.csv": 512 * 2**20,
    "scorecard.csv": 64 * 2**20,
    "comparison.csv": 64 * 2**20,
    "arms.json": 16 * 2**20,
    "sweep.csv": 256 * 2**20,
    "tornado.json": 16 * 2**20,
    "lab.csv": 16 * 2**20,
    "staffing.csv": 256 * 2**20,
    "staffing.json": 16 * 2**20,
    "roster.csv": 16 * 2**20,
}
"""The most a report reads of each file of a folder, bytes; a larger one is refused unread.

Several times what promosim writes for a year of 15-minute intervals (intervals.csv of one
channel and both arms is about 36 MB; staffing.csv of ten groups about 70 MB; a roster
row about 50 bytes; a scorecard row about 150 bytes, a few per KPI and day).
"""

LAB_COLUMNS = ("rank", "arm", "variant", "metric", "mean", "ci95_lo", "ci95_hi", "diff_mean")
"""lab.csv's columns the report reads (``promosim lab`` writes more)."""


def read_run(run_dir: Path) -> dict[str, str]:
    """The run folder's files a report is built from, by name.

    Raises:
        ReportError: the folder or one of its files is missing, or a file is not one the
            report reads (see :func:`read_file`).
    """
    files = read_folder(run_dir, "run", REQUIRED)
    for name in OPTIONAL:
        if os.path.lexists(run_dir / name):
            files[name] = read_file(run_dir, name, "run")
    return files


def read_file(folder: Path, name: str, what: str) -> str:
    """A folder's file as text, read within :data:`MAX_BYTES` (see :mod:`sim.files`).

    Raises:
        ReportError: It is missing, a link, not a regular file, larger than its limit, or
            not UTF-8.
    """
    try:
        data = read_bounded(folder / name, MAX_BYTES.get(name, 16 * 2**20))
    except UnreadableFile as e:
        if str(e) == "no such file":
            raise ReportError(f"{folder}: not a {what} folder ({name} is missing)") from None
        raise ReportError(f"{folder}: {name} is {e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportError(f"{folder}: {name} is not UTF-8 text") from None
    # newlines as a text file reads them (universal newlines), as the CSV readers expect
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def dict_rows(text: str) -> list[dict[str, Any]]:
    """A CSV text's rows as ``csv.DictReader`` reads them, a few times faster.

    Keyed by the header's names; a short row's missing cells are None, a long row's extra
    cells a list under None; empty rows are skipped.
    """
    reader = csv.reader(text_lines(text))
    names = next(reader, [])
    n = len(names)
    out: list[dict[str, Any]] = []
    for row in reader:
        if len(row) == n and row:
            out.append(dict(zip(names, row, strict=True)))
        elif row:
            d: dict[Any, Any] = dict(zip(names, row, strict=False))
            if len(row) > n:
                d[None] = row[n:]
            else:
                d.update(dict.fromkeys(names[len(row) :]))
            out.append(d)
    return out


def num(cell: str) -> float | None:
    """A CSV cell as a number, ``None`` when empty."""
    return float(cell) if cell else None


DRAWN_INTERVAL_METRICS = ("offered", "service_level", "asa_seconds", "queue_length")
"""The intervals.csv metrics with a figure per interval, each with its CI (``_ci95_lo/hi``)."""


CHANNEL_COLUMNS = (
    *(f"{m}{end}" for m in DRAWN_INTERVAL_METRICS for end in ("", "_ci95_lo", "_ci95_hi")),
    "answered",
)
"""The numeric columns the report reads from a channel's rows of intervals.csv (``answered``
weighs a day's ASA when a long run is drawn by day)."""


GROUP_COLUMNS = ("occupancy",)
"""The numeric columns the report reads from a staffing group's rows (``group.NAME``)."""


class Series:
    """One arm's and channel's rows of intervals.csv, in file order, column by column.

    Only the columns the report draws are kept (:data:`CHANNEL_COLUMNS`, or
    :data:`GROUP_COLUMNS` for a staffing group), as 8-byte doubles, NaN for an empty cell;
    interval starts are one shared string per interval. A year of 15-minute rows costs a few
    MB, where a dict of strings per row cost over a kB a row.
    """

    __slots__ = ("_cells", "_flat", "_index", "_table", "_width", "starts")

    def __init__(self, columns: Sequence[str], pos: Mapping[str, int]) -> None:
        self.starts: list[str] = []
        kept = [c for c in columns if c in pos]
        self._index = {c: j for j, c in enumerate(kept)}
        at = [pos[c] for c in kept]
        self._cells = operator.itemgetter(*at, 0)  # 0: a tuple even for one column
        self._width = max(at, default=0) + 1
        self._flat = array("d")
        """The kept cells row after row (a row's cells together: one extend a row)."""
        self._table: NDArray[np.float64] | None = None

    def add(self, start: str, row: Sequence[str]) -> None:
        """Append one row of intervals.csv (its start and cells)."""
        self.starts.append(start)
        if len(row) < self._width:  # a short row's missing cells are empty
            row = [*row, *[""] * (self._width - len(row))]
        cells = self._cells(row)[:-1]
        try:
            values = list(map(float, cells))
        except ValueError:  # an empty cell (no value), or not a number
            values = [float(cell) if cell else math.nan for cell in cells]
        self._flat.extend(values)

    def values(self, name: str) -> NDArray[np.float64]:
        """A numeric column, NaN where the cell is empty (a view: nothing is copied)."""
        j = self._index.get(name)
        if j is None:
            raise ReportError(f"intervals.csv: no column {name} (or not one kept for these rows)")
        if self._table is None:  # the rows are all in: the flat cells as a table
            self._table = np.frombuffer(self._flat, dtype=np.float64).reshape(
                len(self.starts), len(self._index)
            )
        return self._table[:, j]

    def column(self, name: str) -> list[float | None]:
        """A numeric column, ``None`` where the cell is empty."""
        return [None if math.isnan(v) else v for v in self.values(name).tolist()]


class Intervals:
    """intervals.csv, parsed once into a :class:`Series` per arm and channel."""

    def __init__(self, text: str) -> None:
        reader = csv.reader(text_lines(text))
        header = next(reader, [])
        pos = {name: i for i, name in enumerate(header)}  # a repeated name: the last wins
        keys = ("arm", "channel", "interval_start")
        missing = [k for k in keys if k not in pos]
        at = [pos.get(k, 0) for k in keys]
        self.series: dict[tuple[str, str], Series] = {}
        """By (arm, channel), in the order of their first rows."""
        starts: dict[str, str] = {}
        where = operator.itemgetter(*at)
        width = max(at) + 1
        for row in reader:
            if not row:
                continue
            if missing:
                raise ReportError(f"intervals.csv has no column {', '.join(missing)}")
            arm, channel, start = where(row) if len(row) >= width else where([*row, "", "", ""])
            series = self.series.get((arm, channel))
            if series is None:
                group = channel.startswith("group.")
                series = Series(GROUP_COLUMNS if group else CHANNEL_COLUMNS, pos)
                self.series[arm, channel] = series
            series.add(starts.setdefault(start, start), row)
        self.channels = {c for _, c in self.series}
        """Every channel with a row, in any arm."""
        self.n_days = len({s[:10] for s in starts})
        """Days with a row, in any arm or channel."""


class RunData:
    """The parsed contents of a run folder."""

    def __init__(self, files: Mapping[str, str]) -> None:
        try:
            self.summary: dict[str, Any] = json.loads(files["summary.json"])
            self.scenario: dict[str, Any] = load_data_text(
                files["scenario.resolved.yaml"], "scenario.resolved.yaml"
            )
            self.intervals = Intervals(files["intervals.csv"])
            self.daily = dict_rows(files["daily.csv"])
            self.days = list(dict.fromkeys(r["day"] for r in self.daily))
            self.daily_rows = {(r["day"], r["series"], r["arm"]): r for r in self.daily}
            hourly = dict_rows(files.get("hourly.csv", ""))
            self.hours = list(dict.fromkeys(r["hour"] for r in hourly))
            """Hours of hourly.csv (none without the file)."""
            self.hourly_rows = {(r["hour"], r["series"], r["arm"]): r for r in hourly}
        except ScenarioError as e:
            raise ReportError(f"not a readable run folder: {e.problems[0]}") from None
        except (KeyError, ValueError) as e:
            raise ReportError(f"not a readable run folder: {e}") from None
        if not isinstance(self.summary, dict) or "metrics" not in self.summary:
            raise ReportError("summary.json has no metrics")
        self.promo = "effect" in self.summary and "baseline" in self.summary
        self.main_arm = "promotion" if self.promo else "scenario"
        self.channels: list[str] = list((self.scenario or {}).get("channels") or {})
        self.scorecard = Scorecard(files["scorecard.csv"]) if "scorecard.csv" in files else None
        """The platform KPIs per day (None: the folder has no scorecard.csv)."""

    def stat(self, arm: str, key: str) -> dict[str, Any] | None:
        """A summary block's statistics of one metric (``None`` when absent)."""
        block = self.summary.get(arm) or {}
        value = block.get(key)
        return value if isinstance(value, dict) else None


def read_folder(folder: Path, what: str, required: Sequence[str]) -> dict[str, str]:
    """The named files of a command's output folder, each read by :func:`read_file`."""
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a {what} folder (no such folder)")
    return {name: read_file(folder, name, what) for name in required}


def read_json(folder: Path, name: str, what: str, text: str | None = None) -> dict[str, Any]:
    """A folder's JSON file holding an object (a description of ``what``).

    ``text``: the file's text when it was read already.
    """
    try:
        data = json.loads(read_file(folder, name, what) if text is None else text)
    except ValueError as e:
        raise ReportError(f"{folder}: {name} is not readable JSON: {e}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{folder}: {name} does not hold a {what} description")
    return data


def read_csv(text: str, name: str, columns: Sequence[str]) -> list[dict[str, str]]:
    """The rows of a CSV text, which must have ``columns``."""
    rows = list(csv.DictReader(text_lines(text)))
    header = csv.DictReader(text_lines(text)).fieldnames or []
    missing = [c for c in columns if c not in header]
    if missing:
        raise ReportError(f"{name} has no column {', '.join(missing)}")
    return rows


class ComparisonData:
    """A ``promosim compare`` folder: comparison.csv by (metric, arm), and arms.json."""

    def __init__(self, folder: Path) -> None:
        files = read_folder(folder, "comparison", ("comparison.csv", "arms.json"))
        self.info = read_json(folder, "arms.json", "comparison", files["arms.json"])
        rows = read_csv(
            files["comparison.csv"],
            "comparison.csv",
            ("metric", "arm", "mean", "ci95_lo", "ci95_hi", "diff_mean", "significant"),
        )
        arms = [str(a) for a in self.info.get("arms") or []]
        self.arms = arms or list(dict.fromkeys(r["arm"] for r in rows))
        if not self.arms:
            raise ReportError(f"{folder}: comparison.csv has no arms")
        self.metrics = list(dict.fromkeys(r["metric"] for r in rows))
        self.rows = {(r["metric"], r["arm"]): r for r in rows}
        self.lab: list[dict[str, str]] | None = None
        """lab.csv's rows (a ``promosim lab`` folder); None without it."""
        if os.path.lexists(folder / "lab.csv"):
            text = read_file(folder, "lab.csv", "comparison")
            lab = read_csv(text, "lab.csv", LAB_COLUMNS)
            for n, r in enumerate(lab, start=2):
                if not r["rank"].isdigit() or r["arm"] not in self.arms:
                    raise ReportError(f"lab.csv, row {n}: its rank or arm is not the run's")
            self.lab = lab


class SweepData:
    """A ``promosim sweep`` folder: sweep.csv's rows and paths, tornado.json if any."""

    def __init__(self, folder: Path) -> None:
        files = read_folder(folder, "sweep", ("sweep.csv",))
        rows = read_csv(files["sweep.csv"], "sweep.csv", ("metric", "mean", "ci95_lo", "ci95_hi"))
        header = csv.DictReader(text_lines(files["sweep.csv"])).fieldnames or []
        self.paths = list(header[: header.index("metric")])
        self.rows = rows
        self.tornado = (
            read_json(folder, "tornado.json", "tornado")
            if os.path.lexists(folder / "tornado.json")
            else None
        )
        metric = (self.tornado or {}).get("metric")
        self.metric = str(metric) if metric else "all.service_level"
        self.points = len({tuple(r[p] for p in self.paths) for r in rows})


TARGET = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*$")


ROSTER_COLUMNS = ("date", "group", "source", "start", "end", "agents", "cost_yuan")
"""roster.csv's columns: one row per booked extra shift."""

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Booked:
    """One row of roster.csv: agents booked on a shift of one source, on one local date.

    ``start`` and ``end`` are local date-times; an ``end`` clock time at or before the
    ``start`` one (or ``24:00``) falls on the next date.
    """

    date: str
    group: str
    source: str
    start: dt.datetime
    end: dt.datetime
    agents: int
    cost_yuan: float

    @property
    def hours(self) -> float:
        """The shift's length from start to end, h (breaks included: the CSV has none)."""
        return (self.end - self.start).total_seconds() / 3600.0

    @property
    def agent_hours(self) -> float:
        """Agents × :attr:`hours`, agent-hours."""
        return self.agents * self.hours


def _clock(cell: str) -> dt.timedelta | None:
    """An ``HH:MM`` clock time as the time from midnight, ``24:00`` included; None if not one."""
    m = _CLOCK.match(cell)
    if m is None:
        return None
    h, minute = int(m[1]), int(m[2])
    if minute > 59 or h > 24 or (h == 24 and minute):
        return None
    return dt.timedelta(hours=h, minutes=minute)


def _booked(row: Mapping[str, str], line: int) -> Booked:
    """A roster.csv row, checked: ``line`` numbers it in the file's rows (header = 1)."""

    def bad(what: str) -> ReportError:
        return ReportError(f"roster.csv, row {line}: {what}")

    try:
        date = dt.date.fromisoformat(row["date"] or "")
    except ValueError:
        raise bad("date is not an ISO date") from None
    start, end = _clock(row["start"] or ""), _clock(row["end"] or "")
    if start is None or end is None:
        raise bad("start and end must be HH:MM clock times")
    if end <= start:  # crosses midnight
        end += dt.timedelta(days=1)
    try:
        agents = int(row["agents"] or "")
        cost = float(row["cost_yuan"] or "")
    except ValueError:
        raise bad("agents must be a whole number and cost_yuan a number") from None
    if agents < 0 or not math.isfinite(cost):
        raise bad("agents must be at least 0 and cost_yuan finite")
    group, source = row["group"] or "", row["source"] or ""
    if not group or not source:
        raise bad("group and source must not be empty")
    midnight = dt.datetime.combine(date, dt.time())
    return Booked(date.isoformat(), group, source, midnight + start, midnight + end, agents, cost)


class StaffingData:
    """A ``promosim staff`` folder: staffing.csv, staffing.json, targets, roster.csv if any.

    Raises:
        ReportError: a file is missing, larger than :data:`MAX_BYTES`, or unreadable.
    """

    def __init__(self, folder: Path) -> None:
        files = read_folder(folder, "staffing", ("staffing.csv", "staffing.json"))
        self.info = read_json(folder, "staffing.json", "staffing", files["staffing.json"])
        fixed = ("interval_start", "group", "required_agents", "scheduled_agents")
        self.rows = read_csv(files["staffing.csv"], "staffing.csv", fixed)
        header = csv.DictReader(text_lines(files["staffing.csv"])).fieldnames or []
        # folders before short and surplus were apart had neither column nor CI columns
        apart = ("short_agents", "surplus_agents")
        self.apart = all(c in header for c in apart)
        """Whether staffing.csv has short_agents and surplus_agents."""
        self.metrics = [
            c
            for c in header
            if c not in fixed and c not in apart and not c.endswith(("_low", "_high"))
        ]
        self.groups = list(dict.fromkeys(r["group"] for r in self.rows))
        self.targets: list[tuple[str, str, float]] = []
        for text in self.info.get("targets") or []:
            m = TARGET.match(str(text))
            if m:
                self.targets.append((m[1], m[2], float(m[3])))
        self.roster: list[Booked] | None = None
        """roster.csv's rows in file order; None without the file."""
        if os.path.lexists(folder / "roster.csv"):
            text = read_file(folder, "roster.csv", "staffing")
            rows = read_csv(text, "roster.csv", ROSTER_COLUMNS)
            self.roster = [_booked(r, n) for n, r in enumerate(rows, start=2)]
        self.scenario: dict[str, Any] | None = None
        """scenario.resolved.yaml (its ``label:`` fields name the groups); None without it."""
        if os.path.lexists(folder / "scenario.resolved.yaml"):
            text = read_file(folder, "scenario.resolved.yaml", "staffing")
            try:
                self.scenario = load_data_text(text, "scenario.resolved.yaml")
            except ScenarioError as e:
                raise ReportError(f"{folder}: {e}") from None


KPI_MEASURES = ("answered_within", "mean_response")
"""A KPI's measure: a share of sessions (0..1), or seconds."""

KPI_STATUSES = ("met", "at_risk", "breach", "")
GRADES = ("A", "B", "C", "X", "")
MAX_KPIS = 32
"""The most KPIs a scorecard may hold (a platform scores two or three)."""

_BAR = re.compile(r"^(>=|<=)([0-9][0-9.eE+-]*)$")


@dataclass(frozen=True)
class KpiRule:
    """What scorecard.csv says of one KPI: the same on every row of it."""

    kpi: str
    platform: str
    label: str
    """The platform's own name for it (三分钟响应率)."""
    measure: KpiMeasure
    bar: tuple[Literal[">=", "<="], float] | None
    """The platform's bar: ``>=`` or ``<=`` and its value (a share, or seconds); None: none."""
    kpi_grade: str
    bar_grade: str


@dataclass(frozen=True)
class KpiScore:
    """One row of scorecard.csv: a KPI on one day (or ``all``, the whole run) in one arm."""

    day: str
    arm: str
    kpi: str
    mean: float | None
    low: float | None
    high: float | None
    """95% CI of the mean (None with one replication)."""
    sessions: float | None
    """The KPI's sessions (its denominator), mean per replication."""
    status: str
    """One of :data:`KPI_STATUSES`."""


class Scorecard:
    """scorecard.csv, checked row by row: each KPI's rule and its scores by day and arm.

    Raises:
        ReportError: a column is missing, or a row is malformed (naming it: header = row 1).
    """

    def __init__(self, text: str) -> None:
        self.rules: dict[str, KpiRule] = {}
        """By KPI, in the order of their first rows."""
        self.scores: dict[tuple[str, str, str], KpiScore] = {}
        """By (day, kpi, arm)."""
        first: dict[str, int] = {}
        seen: dict[tuple[str, str, str], int] = {}
        reader = csv.DictReader(text_lines(text))
        n = 0
        try:
            header = reader.fieldnames or []
            n = 1
            missing = [c for c in SCORECARD_COLUMNS if c not in header]
            if missing:
                raise ReportError(f"scorecard.csv has no column {', '.join(missing)}")
            for n, row in enumerate(reader, start=2):
                rule, score = _score(row, n)
                known = self.rules.setdefault(rule.kpi, rule)
                if known != rule:
                    raise ReportError(
                        f"scorecard.csv, row {n}: the KPI's platform, label, measure, threshold "
                        f"or grades differ from its first row's (row {first[rule.kpi]})"
                    )
                first.setdefault(rule.kpi, n)
                if len(self.rules) > MAX_KPIS:
                    raise ReportError(f"scorecard.csv, row {n}: more than {MAX_KPIS} KPIs")
                key = (score.day, score.kpi, score.arm)
                if key in seen:
                    raise ReportError(
                        f"scorecard.csv, row {n}: the same day, KPI and arm as row {seen[key]}"
                    )
                seen[key] = n
                self.scores[key] = score
        except csv.Error as e:
            raise ReportError(f"scorecard.csv, row {n + 1}: {e}") from None
        self.days = list(dict.fromkeys(d for d, _, _ in self.scores if d != "all"))
        """The dates with a row, in file order (``all`` left out)."""

    def get(self, day: str, kpi: str, arm: str) -> KpiScore | None:
        """One KPI's score on a day (or ``all``) in an arm, None when the file has none."""
        return self.scores.get((day, kpi, arm))


def _score(row: Mapping[str, str | None], line: int) -> tuple[KpiRule, KpiScore]:
    """A scorecard.csv row, checked: ``line`` numbers it in the file's rows (header = 1)."""

    def bad(what: str) -> ReportError:
        return ReportError(f"scorecard.csv, row {line}: {what}")

    cell = {c: row.get(c) or "" for c in SCORECARD_COLUMNS}
    day = cell["day"]
    if day != "all":
        try:
            day = dt.date.fromisoformat(day).isoformat()
        except ValueError:
            raise bad("day is neither an ISO date nor all") from None
    if not cell["arm"] or not cell["kpi"]:
        raise bad("arm and kpi must not be empty")
    if cell["measure"] not in KPI_MEASURES:
        raise bad(f"measure must be one of {', '.join(KPI_MEASURES)}")
    if cell["status"] not in KPI_STATUSES:
        raise bad("status must be met, at_risk, breach or empty")
    if cell["kpi_grade"] not in GRADES or cell["threshold_grade"] not in GRADES:
        raise bad("kpi_grade and threshold_grade must be A, B, C, X or empty")
    values: list[float | None] = []
    for c in ("mean", "ci95_lo", "ci95_hi", "sessions"):
        try:
            v = float(cell[c]) if cell[c] else None
        except ValueError:
            raise bad(f"{c} is not a number") from None
        if v is not None and not math.isfinite(v):
            raise bad(f"{c} is not finite")
        values.append(v)
    mean, low, high, sessions = values
    if sessions is not None and sessions < 0:
        raise bad("sessions must be at least 0")
    bar: tuple[Literal[">=", "<="], float] | None = None
    if cell["threshold"]:
        m = _BAR.match(cell["threshold"])
        try:
            value = float(m[2]) if m else math.nan
        except ValueError:
            value = math.nan
        if m is None or not math.isfinite(value):
            raise bad("threshold must be empty or >= or <= a number (>=0.8)")
        bar = (">=" if m[1] == ">=" else "<=", value)
    rule = KpiRule(
        kpi=cell["kpi"],
        platform=cell["platform"],
        label=cell["label"] or cell["kpi"],
        measure=cast(KpiMeasure, cell["measure"]),
        bar=bar,
        kpi_grade=cell["kpi_grade"],
        bar_grade=cell["threshold_grade"],
    )
    return rule, KpiScore(day, cell["arm"], cell["kpi"], mean, low, high, sessions, cell["status"])
