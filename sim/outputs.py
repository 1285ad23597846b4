"""Run folders: the only module that writes files.

A run folder (DESIGN §4) is written atomically: every file goes into a hidden temporary
folder beside the target, which is renamed into place at the end. An interrupted run leaves
no half-written folder, and an existing run folder is never written into.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import functools
import hashlib
import io
import json
import math
import os
import pickle
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from sim.compare import Comparison, Sweep
from sim.eventlog import EventLog
from sim.experiment import RunResult, paired_daily
from sim.loading import LoadedScenario, resolved_yaml
from sim.metrics import GLOSSARY, INTERVAL_METRICS, glossary_key
from sim.stats import Stat, describe, describe_columns

DEPENDENCIES = ("simpy", "numpy", "scipy", "pydantic", "typer", "rich", "plotly", "PyYAML")


class OutputError(Exception):
    """A run folder could not be written where asked."""


def default_run_dir(root: Path, loaded: LoadedScenario, now: dt.datetime, kind: str = "") -> Path:
    """``<root>/<name>/<YYYYmmdd-HHMMSS>-<hash8>[-kind]``, with a suffix if that exists."""
    tail = f"-{kind}" if kind else ""
    base = root / loaded.scenario.name / f"{now:%Y%m%d-%H%M%S}-{loaded.hash[:8]}{tail}"
    candidate, k = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{k}")
        k += 1
    return candidate


OUTPUT_MARKERS = ("manifest.json", "comparison.csv", "sweep.csv", "staffing.csv")
"""Files by which a folder is known as one promosim wrote (run, compare, sweep, staff)."""


def check_target(target: Path, force: bool = False) -> None:
    """Refuse a target that exists and is not an empty folder (nothing is overwritten).

    With ``force`` a non-empty folder may be replaced, but only one that promosim wrote
    (it holds one of :data:`OUTPUT_MARKERS`) and that does not hold the working directory:
    ``--force`` never deletes a folder of the user's own files.
    """
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder")
    if not any(target.iterdir()):
        return
    if not force:
        raise OutputError(
            f"{target}: folder exists and is not empty; choose another --out, "
            "or add --force to replace a folder promosim wrote"
        )
    if not any((target / m).is_file() for m in OUTPUT_MARKERS):
        raise OutputError(
            f"{target}: --force replaces only a folder promosim wrote (with "
            f"{', '.join(OUTPUT_MARKERS)}); this one is not, so it is left alone"
        )
    here, there = Path.cwd().resolve(), target.resolve()
    if there == here or there in here.parents:
        raise OutputError(f"{target}: holds the working directory; --force will not replace it")


def write_report(path: Path, content: str | bytes) -> Path:
    """Write a report file (HTML, or a picture) atomically: a temporary file renamed over it.

    Reports are rebuilt from a folder's own files, so replacing one changes nothing but
    its language or layout.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a report from colleagues
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_new_file(path: Path, text: str) -> Path:
    """Write ``text`` to a file that must not exist yet (nothing is overwritten).

    Raises:
        OutputError: ``path`` exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="") as f:
            f.write(text)
    except FileExistsError:
        raise OutputError(f"{path}: exists; choose another name or folder") from None
    return path


def replace_file(path: Path, text: str) -> Path:
    """Replace an existing file's content atomically (``promosim migrate``).

    The text goes to a temporary file beside the target, which is renamed over it: an
    interruption leaves the old file whole. The file keeps its permissions; a symbolic
    link stays a link (the file it points to is replaced).

    Raises:
        OutputError: ``path`` is not an existing file, or cannot be replaced.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot replace it: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot replace it: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


FileContent = str | bytes | Iterator[str]
"""A file's text, bytes, or text made piece by piece as it is written (an event log)."""


def write_run(
    target: Path,
    files: Mapping[str, FileContent],
    *,
    force: bool = False,
    unique: bool = False,
    finish: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``files`` (name → content) as the folder ``target``, atomically; return it.

    Every file goes into a hidden temporary folder beside ``target``, which is renamed into
    place only when complete; an interruption or failure removes it.

    Args:
        target: The folder to create.
        files: Its files, name → content (pieces of text are written as they come).
        force: Replace ``target`` if it is a folder promosim wrote (see
            :func:`check_target`): the new folder is written in full first, then the old
            one is moved aside, the new one renamed into place, and the old one deleted.
        unique: ``target`` is a default name: if it is taken (another run in the same
            second), use ``<target>-2``, ``-3`` … instead, never an existing folder.
        finish: Called with the temporary folder once the files are in it, to add files
            built from them (a report) before the folder appears.

    Raises:
        OutputError: ``target`` exists and is not an empty folder (without ``force``).
    """
    if not unique:
        check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_hidden_prefix(target), suffix=".tmp", dir=target.parent))
    # mkdtemp's 0700 would keep a run folder from colleagues; honour the umask like mkdir
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        for name, content in files.items():
            path = tmp / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            elif isinstance(content, str):
                path.write_text(content, encoding="utf-8", newline="")
            else:
                with path.open("w", encoding="utf-8", newline="") as f:
                    for piece in content:
                        f.write(piece)
        if finish is not None:
            finish(tmp)
        if unique:
            return _rename_unique(tmp, target)
        check_target(target, force)
        if target.exists() and any(target.iterdir()):
            _swap(tmp, target)
        else:
            if target.exists():
                target.rmdir()  # empty, checked above; rename cannot replace it on every OS
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _host() -> str:
    """This machine's name as a token of a hidden folder's name (letters, digits, _)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname().split(".")[0]) or "host"


def _hidden_prefix(target: Path) -> str:
    """``.<name>.<host>-<pid>.``: who owns a hidden folder, for :func:`clean_leftovers`."""
    return f".{target.name}.{_host()}-{os.getpid()}."


_HIDDEN = re.compile(r"^\.(?P<name>.+)\.(?P<host>\w+)-(?P<pid>\d+)\.\w+\.(?P<kind>tmp|old)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def clean_leftovers(folder: Path) -> list[str]:
    """Tidy the hidden folders a killed command (SIGKILL, power loss) left in ``folder``.

    Only folders of this machine whose process is gone are touched: a temporary folder
    (``.tmp``) is deleted; a folder moved aside by ``--force`` (``.old``) is put back when
    the new one never arrived, and deleted when it did. Returns what was done, one line each.
    """
    done: list[str] = []
    if not folder.is_dir():
        return done
    host = _host()
    for entry in sorted(folder.iterdir()):
        m = _HIDDEN.match(entry.name)
        if m is None or m["host"] != host or _alive(int(m["pid"])) or not entry.is_dir():
            continue
        if m["kind"] == "tmp":
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed {entry}, left half-written by a stopped command")
            continue
        kept = next((p for p in entry.iterdir() if p.is_dir()), None)
        if kept is not None and not (folder / kept.name).exists():
            os.rename(kept, folder / kept.name)
            done.append(f"restored {folder / kept.name}, moved aside by an interrupted --force")
        else:
            done.append(f"removed {entry}, the old folder a --force had replaced")
        shutil.rmtree(entry, ignore_errors=True)
    return done


def _rename_unique(tmp: Path, target: Path) -> Path:
    """Rename ``tmp`` to ``target``, or to the first of ``target-2``, ``-3`` … not taken."""
    candidate, k = target, 2
    while True:
        if not candidate.exists() and not candidate.is_symlink():
            try:
                os.rename(tmp, candidate)
                return candidate
            except OSError as e:  # taken between the check and the rename
                if e.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
                    raise
        candidate = target.with_name(f"{target.name}-{k}")
        k += 1


def _swap(tmp: Path, target: Path) -> None:
    """Put the complete folder ``tmp`` in the place of the folder ``target`` (--force)."""
    aside = Path(tempfile.mkdtemp(prefix=_hidden_prefix(target), suffix=".old", dir=target.parent))
    os.rename(target, aside / target.name)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(aside / target.name, target)  # the old folder stays as it was
        aside.rmdir()
        raise
    shutil.rmtree(aside, ignore_errors=True)


def schedule_yaml(blocks: Mapping[str, Mapping[str, Any]]) -> str:
    """Schedule blocks per group as YAML to paste under ``staffing.groups[].schedule``."""
    lines = ["# promosim staff: paste one block per group as its `schedule:`"]
    for group, kinds in blocks.items():
        for kind, block in kinds.items():
            lines.append(f"# group {group}, as {kind}:")
            lines.append("schedule:")
            lines.append(f"  kind: {block['kind']}")
            if "agents" in block:
                lines.append(f"  agents: {list(block['agents'])}")
            for shift in block.get("shifts", []):
                if not lines[-1].startswith(("  shifts:", "    - ")):
                    lines.append("  shifts:")
                lines.append(
                    f'    - {{start: "{shift["start"]}", end: "{shift["end"]}", '
                    f"agents: {shift['agents']}}}"
                )
    text = "\n".join(lines) + "\n"
    assert yaml.safe_load(text) is not None  # well-formed
    return text


# --------------------------------------------------------------------------- replication cache

CACHE_VERSION = 2


@functools.cache
def code_fingerprint() -> str:
    """sha256 of the ``sim`` package's source files.

    A replication cached by other code (an upgrade, an edit between an interruption and
    the resumed run) is not reused: results never mix two versions of the model.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class DiskCache:
    """Finished replications of one scenario on disk, so an interrupted run resumes.

    ``<root>/<config hash>/rep-<r>.pkl``, each written atomically. A replication depends
    only on the resolved scenario (its hash), its number and the code (its fingerprint), so
    a cached one is exactly what a new run would compute. Only promosim writes these files;
    they are read back with pickle, so the folder must not take files from elsewhere.
    """

    def __init__(self, root: Path, config_hash: str) -> None:
        self.folder = root / config_hash
        self.config_hash = config_hash
        self.hits = 0
        """Replications found here (finished by an earlier, interrupted run)."""

    def _path(self, replication: int) -> Path:
        return self.folder / f"rep-{replication}.pkl"

    def get(self, replication: int) -> Any:
        """The cached arms of a replication, or None."""
        path = self._path(replication)
        try:
            with path.open("rb") as f:
                if pickle.load(f) != self._header(replication):
                    return None  # another scenario, format or version of the code
                arms = pickle.load(f)
        except Exception:  # unreadable, truncated, or classes that no longer exist
            return None
        self.hits += 1
        return arms

    def _header(self, replication: int) -> tuple[int, str, str, int]:
        return (CACHE_VERSION, code_fingerprint(), self.config_hash, replication)

    def put(self, replication: int, arms: Any) -> None:
        """Keep a finished replication (atomically: a temporary file renamed)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".rep-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(self._header(replication), f)
                pickle.dump(arms, f)
            os.replace(tmp, self._path(replication))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        """Forget this scenario's replications (after its run folder is written)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.folder.parent.rmdir()  # only if no other scenario's cache is left


# --------------------------------------------------------------------------- file contents


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def git_state(path: Path) -> dict[str, Any] | None:
    """Commit and dirtiness of the git repository holding ``path``, if there is one."""
    try:
        cwd = path.resolve().parent
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", str(path.resolve())],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("promosim", *DEPENDENCIES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(
    loaded: LoadedScenario, command: Sequence[str], created: dt.datetime, workers: int
) -> dict[str, Any]:
    """Provenance of a run: what was run, with what, when, from which files."""
    s = loaded.scenario
    return {
        "name": s.name,
        "title": s.title,
        "version": s.version,
        "config_hash": loaded.hash,
        "seed": s.seed,
        "replications": s.replications,
        "scenario_file": str(loaded.source),
        "scenario_files": [str(p) for p in loaded.files],
        "overrides": list(loaded.overrides),
        "command": list(command),
        "workers": workers,
        "created_at": created.isoformat(timespec="seconds"),
        "versions": _versions(),
        "git": git_state(loaded.source),
        "platform": platform.platform(),
    }


def _arm_label(result: RunResult, arm: str) -> str:
    return arm if "baseline" in result.arms else "scenario"


def summary(loaded: LoadedScenario, result: RunResult) -> dict[str, Any]:
    """The stable ``summary.json``: every metric over replications, with its definition.

    ``metrics`` is the scenario as written. With a promotion, ``baseline`` holds the same
    scenario without it, and ``effect`` the paired differences promotion − baseline (per
    replication, then mean and CI), on common random numbers. Holds nothing that depends
    on when, where or with how many workers the run happened.
    """
    s = loaded.scenario
    metrics = result.summary
    out: dict[str, Any] = {
        "name": s.name,
        "title": s.title,
        "version": s.version,
        "config_hash": loaded.hash,
        "seed": s.seed,
        "replications": s.replications,
        "metrics": metrics,
    }
    if result.baseline_summary is not None:
        out["baseline"] = result.baseline_summary
        out["effect"] = result.effect_summary
    keys = {glossary_key(m) for m in metrics}
    out["glossary"] = {k: v for k, v in GLOSSARY.items() if k in keys}
    return out


def replications_csv(result: RunResult) -> str:
    """One row per arm × replication × metric."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["arm", "replication", "metric", "value"])
    for arm, reps in result.arms.items():
        for r, rep in enumerate(reps):
            for key, value in rep.overall.items():
                w.writerow([_arm_label(result, arm), r, key, repr(float(value))])
    return buf.getvalue()


def _cell(x: float) -> str:
    return "" if not np.isfinite(x) else repr(float(x))


def _stat_cells(values: NDArray[np.float64]) -> list[str]:
    """Mean, CI low, CI high of the finite values (blanks where there are none)."""
    col = values[np.isfinite(values)]
    if col.size == 0:
        return ["", "", ""]
    d = describe(col)
    lo, hi = d.get("ci95", [math.nan, math.nan])
    return [_cell(d["mean"]), _cell(lo), _cell(hi)]


def intervals_csv(result: RunResult) -> str:
    """Per arm × channel × interval: each metric's mean over replications and its 95% CI.

    Each staffing group also gets rows (``channel`` = ``group.<name>``) with its occupancy.
    """
    scenario = result.scenario
    t0 = scenario.calendar.start
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = ["arm", "interval_start", "channel"]
    for m in INTERVAL_METRICS:
        header += [m, f"{m}_ci95_lo", f"{m}_ci95_hi"]
    w.writerow(header)
    for arm, reps in result.arms.items():
        starts = reps[0].interval_starts
        for name in scenario.channels:
            stacked = {
                m: np.stack([r.intervals[f"{name}.{m}"] for r in reps]) for m in INTERVAL_METRICS
            }
            columns = {m: describe_columns(stacked[m]) for m in INTERVAL_METRICS}
            for k, start in enumerate(starts):
                row = [
                    _arm_label(result, arm),
                    (t0 + dt.timedelta(seconds=float(start))).isoformat(),
                    name,
                ]
                for m in INTERVAL_METRICS:
                    row += [_cell(float(col[k])) for col in columns[m]]
                w.writerow(row)
        for g in scenario.staffing.groups:
            # a group's own row: only its occupancy (the other columns are per channel)
            occ = describe_columns(
                np.stack([r.intervals[f"group.{g.name}.occupancy"] for r in reps])
            )
            for k, start in enumerate(starts):
                row = [
                    _arm_label(result, arm),
                    (t0 + dt.timedelta(seconds=float(start))).isoformat(),
                    f"group.{g.name}",
                ]
                for m in INTERVAL_METRICS:
                    row += (
                        [_cell(float(col[k])) for col in occ] if m == "occupancy" else ["", "", ""]
                    )
                w.writerow(row)
    return buf.getvalue()


def daily_csv(result: RunResult) -> str:
    """Per day × series (orders, contacts, contacts by reason) × arm: mean and 95% CI.

    With a promotion the arms are ``promotion``, ``baseline`` and ``effect`` (the paired
    difference promotion − baseline per replication).
    """
    scenario = result.scenario
    first_day = int(scenario.calendar.warmup_seconds // 86400.0)
    arms: dict[str, dict[str, NDArray[np.float64]]] = {
        _arm_label(result, arm): {
            key: np.stack([r.daily[key] for r in reps]) for key in reps[0].daily
        }
        for arm, reps in result.arms.items()
    }
    if "baseline" in result.arms:
        arms["effect"] = paired_daily(result.arms["promotion"], result.arms["baseline"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["day", "series", "arm", "mean", "ci95_lo", "ci95_hi"])
    series = list(next(iter(arms.values())))
    n_days = next(iter(arms.values()))[series[0]].shape[1]
    for d in range(n_days):
        day = (scenario.calendar.start + dt.timedelta(days=first_day + d)).date().isoformat()
        for key in series:
            for arm, data in arms.items():
                if key in data:
                    w.writerow([day, key, arm, *_stat_cells(data[key][:, d])])
    return buf.getvalue()


def run_files(
    loaded: LoadedScenario,
    result: RunResult,
    *,
    command: Sequence[str] = (),
    created: dt.datetime | None = None,
    workers: int = 1,
    report_html: str | None = None,
    report_lang: str | None = None,
    event_log: EventLog | None = None,
) -> dict[str, FileContent]:
    """Every file of a run folder, by name.

    With ``report_lang`` (and no ``report_html``), ``report.html`` is built from the other
    files in that language, exactly as ``promosim report`` rebuilds it from the folder.
    With ``event_log``, ``orders.csv`` and ``contacts.csv`` (calibrate's formats) are added,
    as pieces of text made while they are written.
    """
    created = created or dt.datetime.now(dt.UTC)
    files: dict[str, FileContent] = {
        "manifest.json": _json(manifest(loaded, command or sys.argv, created, workers)),
        "scenario.resolved.yaml": resolved_yaml(loaded),
        "summary.json": _json(summary(loaded, result)),
        "replications.csv": replications_csv(result),
        "intervals.csv": intervals_csv(result),
        "daily.csv": daily_csv(result),
    }
    if report_html is None and report_lang is not None:
        from sim.report import report_from_files  # plotly only when a report is wanted

        report_html = report_from_files(
            {k: v for k, v in files.items() if isinstance(v, str)}, report_lang
        )
    if event_log is not None:
        files["orders.csv"] = event_log.orders()
        files["contacts.csv"] = event_log.contacts()
    if report_html is not None:
        files["report.html"] = report_html
    return files


# --------------------------------------------------------------------------- compare and sweep


def _stat_row(stat: Stat | None) -> list[str]:
    """Mean, CI low, CI high of a statistic (blanks where missing)."""
    if stat is None:
        return ["", "", ""]
    lo, hi = stat.get("ci95", [math.nan, math.nan])
    return [_cell(stat["mean"]), _cell(lo), _cell(hi)]


def comparison_csv(c: Comparison) -> str:
    """One row per metric × arm: mean and 95% CI, and the paired difference to the first arm.

    The difference columns are blank for the first arm; ``significant`` is ``true`` when the
    difference's 95% CI excludes 0. Metrics in the comparison's order, numbers as repr().
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "metric",
            "arm",
            "mean",
            "ci95_lo",
            "ci95_hi",
            "diff_mean",
            "diff_ci95_lo",
            "diff_ci95_hi",
            "significant",
        ]
    )
    for metric in c.metrics:
        stats, diffs = c.stats[metric], c.diffs[metric]
        for arm in c.arms:
            diff = diffs.get(arm)
            significant = "" if diff is None else str(diff["significant"]).lower()
            w.writerow([metric, arm, *_stat_row(stats.get(arm)), *_stat_row(diff), significant])
    return buf.getvalue()


def _value_cell(value: Any) -> str:
    """A varied value as a CSV cell: numbers as Python writes them, text as is."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


def sweep_csv(s: Sweep) -> str:
    """One row per point × metric: the varied values (a column per path), then mean and CI.

    The mean and 95% CI are blank where the point lacks the metric.
    With a promotion the paired differences promotion − baseline are metrics
    ``effect.<metric>``.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*s.paths, "metric", "mean", "ci95_lo", "ci95_hi"])
    metrics = s.metrics
    for point in s.points:
        values = [_value_cell(point.values[p]) for p in s.paths]
        stats = point.stats
        for metric in metrics:
            w.writerow([*values, metric, *_stat_row(stats.get(metric))])
    return buf.getvalue()
