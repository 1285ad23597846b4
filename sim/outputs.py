"""Run folders: the only module that writes files.

A run folder (docs/commands.md#run-folder) is written atomically: every file goes into a
hidden temporary folder beside the target, which is renamed into place at the end. An
interrupted run leaves no half-written folder, and an existing run folder is never written
into.
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
import platform
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from numpy.typing import NDArray

from sim.catalog import ALL_CHANNELS, ALL_CHANNELS_DEFINITION, GLOSSARY, glossary_key
from sim.columns import CONTACT_COLUMNS, INTERVAL_METRICS, ORDER_COLUMNS, ROSTER_COLUMNS
from sim.localtime import day_label
from sim.scorecard import SCORECARD_COLUMNS, scorecard
from sim.stats import Stat, describe, describe_columns

if TYPE_CHECKING:  # the simulation's modules: their writers import them when called
    from sim.compare import Comparison, Sweep, TornadoBar
    from sim.demand import Arm
    from sim.eventlog import EventLog
    from sim.experiment import RunResult
    from sim.lab import Ranked
    from sim.loading import LoadedScenario
    from sim.metrics import ReplicationMetrics
    from sim.staffing import StaffPlan, Target

DEPENDENCIES = (
    "simpy",
    "numpy",
    "scipy",
    "pydantic",
    "typer",
    "rich",
    "plotly",
    "PyYAML",
    "openpyxl",
)


class OutputError(Exception):
    """A run folder could not be written where asked."""


def default_run_dir(root: Path, loaded: LoadedScenario, now: dt.datetime, kind: str = "") -> Path:
    """``<root>/<name>/<YYYYmmdd-HHMMSS>-<hash8>[-kind]``, with a suffix if that exists.

    ``kind`` is a key of :data:`FOLDERS` (its :attr:`FolderKind.tail`); empty: a run's.
    """
    tail = FOLDERS[kind].tail if kind else ""
    base = root / loaded.scenario.name / f"{now:%Y%m%d-%H%M%S}-{loaded.hash[:8]}{tail}"
    candidate, k = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{k}")
        k += 1
    return candidate


TOOL = "promosim"
"""The ``tool`` of every manifest.json promosim writes."""

MANIFEST = "manifest.json"
"""Every folder's provenance: ``"tool": "promosim"``, its ``kind``, the command, versions."""
REPORT = "report.html"
"""Every folder's self-contained report, built from its other files."""
WORKBOOK = "results.xlsx"
"""Every folder's tables as one Excel workbook (:mod:`sim.workbook`), built from its CSVs."""
VARIED = "*"
"""In a table's declared columns: one column per varied path (sweep) or target metric (staff)."""

REPLICATIONS_COLUMNS = ("arm", "replication", "metric", "value")
INTERVALS_COLUMNS = (
    "arm",
    "interval_start",
    "channel",
    *(c for m in INTERVAL_METRICS for c in (m, f"{m}_ci95_lo", f"{m}_ci95_hi")),
)
DAILY_COLUMNS = ("day", "series", "arm", "mean", "ci95_lo", "ci95_hi")
HOURLY_COLUMNS = ("hour", "series", "arm", "mean", "ci95_lo", "ci95_hi")
HOURLY_SERIES = ("lost_orders",)
"""Whole-run interval series (no channel) that ``hourly.csv`` sums per hour."""
LAB_COLUMNS = (
    "rank",
    "arm",
    "variant",
    "metric",
    "mean",
    "ci95_lo",
    "ci95_hi",
    "diff_mean",
    "diff_ci95_lo",
    "diff_ci95_hi",
    "significant",
    "gap_to_next",
    "gap_ci95_lo",
    "gap_ci95_hi",
    "gap_significant",
)
"""lab.csv: per variant (by rank) and metric, its figure, its paired difference to the
reference arm, and (on the ranking metric's row) its paired gap to the next variant."""
COMPARISON_COLUMNS = (
    "metric",
    "arm",
    "mean",
    "ci95_lo",
    "ci95_hi",
    "diff_mean",
    "diff_ci95_lo",
    "diff_ci95_hi",
    "significant",
)
SWEEP_COLUMNS = (VARIED, "metric", "mean", "ci95_lo", "ci95_hi")
STAFFING_COLUMNS = (
    "interval_start",
    "group",
    "required_agents",
    "scheduled_agents",
    "short_agents",
    "surplus_agents",
    VARIED,
)


@dataclass(frozen=True)
class FolderKind:
    """What one kind of folder holds: its files and the columns of its tables."""

    kind: str
    """The manifest's ``kind``."""
    files: tuple[str, ...]
    """The files every folder of this kind holds (the manifest and the report included)."""
    optional: tuple[str, ...] = ()
    """Files written on request (an event log, a tornado, pictures of the figures) or when
    the run has what they hold (``hourly.csv``: pre-sale inquiries)."""
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Table → its header; :data:`VARIED` stands for the columns that depend on the run."""
    mark: str = ""
    """The file that tells this kind in a folder without a manifest (written by 0.1.0)."""
    tail: str = ""
    """The end of a default folder's name, ``…-<hash8><tail>``."""


_EVENT_LOG = {"orders.csv": ORDER_COLUMNS, "contacts.csv": CONTACT_COLUMNS}
FOLDERS: Mapping[str, FolderKind] = {
    "run": FolderKind(
        kind="run",
        files=(
            MANIFEST,
            "scenario.resolved.yaml",
            "summary.json",
            "replications.csv",
            "intervals.csv",
            "daily.csv",
            REPORT,
            WORKBOOK,
        ),
        optional=(*_EVENT_LOG, "hourly.csv", "scorecard.csv", "images"),
        columns={
            "replications.csv": REPLICATIONS_COLUMNS,
            "intervals.csv": INTERVALS_COLUMNS,
            "daily.csv": DAILY_COLUMNS,
            "hourly.csv": HOURLY_COLUMNS,
            "scorecard.csv": SCORECARD_COLUMNS,
            **_EVENT_LOG,
        },
        mark="summary.json",
    ),
    "compare": FolderKind(
        kind="compare",
        files=(MANIFEST, "comparison.csv", "arms.json", REPORT, WORKBOOK),
        optional=("lab.csv", "images"),
        columns={"comparison.csv": COMPARISON_COLUMNS, "lab.csv": LAB_COLUMNS},
        mark="comparison.csv",
        tail="-compare",
    ),
    "sweep": FolderKind(
        kind="sweep",
        files=(MANIFEST, "sweep.csv", REPORT, WORKBOOK),
        optional=("tornado.json", "images"),
        columns={"sweep.csv": SWEEP_COLUMNS},
        mark="sweep.csv",
        tail="-sweep",
    ),
    "staff": FolderKind(
        kind="staff",
        files=(
            MANIFEST,
            "staffing.csv",
            "staffing.json",
            "roster.csv",  # folders of versions before the roster lack it
            "schedule.yaml",
            "scenario.resolved.yaml",
            REPORT,
            WORKBOOK,
        ),
        optional=("images",),
        columns={"staffing.csv": STAFFING_COLUMNS, "roster.csv": ROSTER_COLUMNS},
        mark="staffing.csv",
        tail="-staff",
    ),
}
"""Every kind of folder promosim writes (docs/commands.md#run-folder), by ``kind``."""

KINDS = tuple(FOLDERS)
"""The folder kinds promosim writes; each holds a manifest.json with its ``kind``."""


def folder_workbook(kind: str, files: Mapping[str, FileContent], lang: str = "en") -> bytes:
    """``results.xlsx`` of a folder of ``kind``: a sheet per table among its ``files``.

    The tables are the CSVs :data:`FOLDERS` declares for the kind, as the folder holds them
    (the event log, raw and often longer than a sheet, is left to its CSVs); the header's
    labels are in ``lang``.
    """
    from sim.workbook import workbook  # openpyxl only when a folder is written

    declared = FOLDERS[kind].columns
    tables = {
        name: text
        for name, text in files.items()
        if name in declared and name not in _EVENT_LOG and isinstance(text, str)
    }
    text = files.get("summary.json")
    if kind == "run" and isinstance(text, str):
        # the figures a manager looks for first: the summary's, as its own first sheet
        tables = {SUMMARY_SHEET: summary_table(json.loads(text)), **tables}
    return workbook(tables, lang)


SUMMARY_SHEET = "summary.csv"
SUMMARY_COLUMNS = ("arm", "metric", "mean", "ci95_lo", "ci95_hi", "replications")


def summary_table(summary: Mapping[str, Any]) -> str:
    """summary.json's statistics as a long CSV: one row per arm and metric, as it holds them.

    Arms: ``metrics`` (the scenario as written: ``promotion`` with a promotion, else
    ``scenario``), ``baseline`` and ``effect`` (paired promotion − baseline). Numbers are
    written with ``repr`` (exactly summary.json's); a CI is empty with one replication.
    """
    promo = "effect" in summary
    arms = (
        ("metrics", "promotion" if promo else "scenario"),
        ("baseline", "baseline"),
        ("effect", "effect"),
    )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SUMMARY_COLUMNS)
    for block, arm in arms:
        for key, got in (summary.get(block) or {}).items():
            if not isinstance(got, Mapping) or not isinstance(got.get("mean"), int | float):
                continue
            ci = got.get("ci95")
            bounds = [repr(x) for x in ci] if ci else ["", ""]
            w.writerow([arm, key, repr(got["mean"]), *bounds, got.get("n", "")])
    return buf.getvalue()


def header(columns: Sequence[str], varied: Sequence[str] = ()) -> list[str]:
    """A table's header: its declared ``columns`` with :data:`VARIED` replaced by ``varied``."""
    return [name for c in columns for name in (varied if c == VARIED else (c,))]


REPORT_GENERATOR = '<meta name="generator" content="promosim">'
"""The mark in the head of every HTML report promosim writes."""

FRAGMENT_FIRST_LINE = "# generated by promosim calibrate"
"""How every fragment ``promosim calibrate`` writes begins."""

_MANIFEST_MAX_BYTES = 1 << 20
_HEAD_BYTES = 4096


def folder_manifest(kind: str, command: Sequence[str], created: dt.datetime, workers: int) -> str:
    """manifest.json of a compare, sweep or staff folder: who wrote it, what, when, how."""
    return _json(
        {
            "tool": TOOL,
            "kind": kind,
            "command": list(command),
            "workers": workers,
            "created_at": created.isoformat(timespec="seconds"),
            "versions": _versions(),
        }
    )


def _read_head(path: Path, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of a regular file, never through a link; None if it is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return f.read(limit + 1)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a planted FIFO must not block the read


def _read_json(path: Path, limit: int) -> Any:
    """The JSON in a regular file of at most ``limit`` bytes (never through a link), or None."""
    data = _read_head(path, limit)
    if data is None or len(data) > limit:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return None


def promosim_kind(folder: Path) -> str | None:
    """The kind of a folder promosim wrote (its manifest.json says so), else None.

    Strict, for ``--force``: only a manifest with promosim's ``tool`` mark counts.
    """
    manifest = _read_json(folder / MANIFEST, _MANIFEST_MAX_BYTES)
    if not isinstance(manifest, dict) or manifest.get("tool") != TOOL:
        return None
    kind = manifest.get("kind")
    return kind if isinstance(kind, str) and kind in KINDS else None


def folder_kind(folder: Path) -> str | None:
    """The kind of folder to read ``folder`` as (``report``, ``runs``), else None.

    Its manifest's ``kind``. Before manifests named their kind only run folders had one, so
    a manifest without it is a run's; a folder without a manifest (compare, sweep and staff
    folders of 0.1.0) is known by its kind's :attr:`FolderKind.mark` file.
    """
    manifest = _read_json(folder / MANIFEST, _MANIFEST_MAX_BYTES)
    if isinstance(manifest, dict):
        kind = manifest.get("kind", "run")
        return kind if isinstance(kind, str) and kind in FOLDERS else None
    if os.path.lexists(folder / MANIFEST):
        return None  # there, but not a manifest promosim could have written
    return next((k.kind for k in FOLDERS.values() if (folder / k.mark).is_file()), None)


def _promosim_file(path: Path, what: str) -> bool:
    """Whether ``path`` is a regular file promosim wrote as ``what`` (report or fragment)."""
    head = _read_head(path, _HEAD_BYTES)
    if head is None:
        return False
    if what == "report":
        return REPORT_GENERATOR.encode() in head[:_HEAD_BYTES]
    return head.startswith(FRAGMENT_FIRST_LINE.encode())


def check_target(target: Path, force: bool = False) -> None:
    """Refuse a folder target that exists and is not an empty folder (nothing is overwritten).

    With ``force`` a non-empty folder may be replaced, but only one that promosim wrote (its
    manifest.json names promosim and a kind of folder, :func:`promosim_kind`), that is not a
    link and that does not hold the working directory: ``--force`` never deletes a folder of
    the user's own files.
    """
    if not os.path.lexists(target):
        return
    if target.is_symlink():
        raise OutputError(f"{target}: is a symbolic link; choose another --out")
    if not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder")
    if not any(target.iterdir()):
        return
    if not force:
        raise OutputError(
            f"{target}: folder exists and is not empty; choose another --out, "
            "or add --force to replace a folder promosim wrote"
        )
    if promosim_kind(target) is None:
        raise OutputError(
            f"{target}: --force replaces only a folder promosim wrote (its manifest.json "
            f'says "tool": "{TOOL}"); this one is not, so it is left alone'
        )
    here, there = Path.cwd().resolve(), target.resolve()
    if there == here or there in here.parents:
        raise OutputError(f"{target}: holds the working directory; --force will not replace it")


def check_file_target(path: Path, what: str, *, force: bool = False) -> None:
    """Refuse to write the file ``path`` over anything but what promosim wrote, with --force.

    Args:
        path: The file to write.
        what: ``report`` (an HTML report, known by :data:`REPORT_GENERATOR`) or ``fragment``
            (a calibrate fragment, known by :data:`FRAGMENT_FIRST_LINE`).
        force: An existing file may be replaced (only one promosim wrote as ``what``).

    Raises:
        OutputError: ``path`` exists and may not be replaced.
    """
    if not os.path.lexists(path):
        return
    if not force:
        raise OutputError(f"{path}: exists; choose another name or folder, or add --force")
    if path.is_symlink() or not path.is_file():
        raise OutputError(f"{path}: is not a regular file; --force will not replace it")
    if not _promosim_file(path, what):
        raise OutputError(
            f"{path}: --force replaces only a {what} promosim wrote; this file is not, "
            "so it is left alone"
        )


def _same(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (or would: the same resolved path)."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def check_paths(outputs: Sequence[Path], inputs: Sequence[Path] = ()) -> None:
    """Refuse a command whose outputs collide: with each other, or with one of its inputs.

    An output folder may not hold an input either (``--force`` would delete it).

    Raises:
        OutputError: Two outputs are the same path, or an output is (or holds) an input.
    """
    for i, a in enumerate(outputs):
        for b in outputs[i + 1 :]:
            if _same(a, b):
                raise OutputError(f"{b}: named for two of the command's outputs; choose another")
        for source in inputs:
            if _same(a, source):
                raise OutputError(f"{a}: is an input of this command; choose another output")
            inside = Path(os.path.realpath(source))
            if Path(os.path.realpath(a)) in inside.parents:
                raise OutputError(f"{a}: holds {source}, an input of this command; choose another")


_fdopen = os.fdopen
"""Opens the temporary file of :func:`write_file` (a test makes its writes fail)."""


def write_file(path: Path, content: str | bytes, *, replace: bool = False) -> Path:
    """Write a file atomically: a temporary file beside it, then linked or renamed into place.

    The file appears whole or not at all (a full disk leaves no part of it). Without
    ``replace`` it must not exist (a hard link, which fails if it does, puts it in place);
    with ``replace`` an existing file (or link: the link itself) is replaced. Permissions
    follow the umask, as ``open`` would give them.

    Raises:
        OutputError: ``path`` exists (without ``replace``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with _fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide a file from colleagues
        if replace:
            os.replace(tmp, path)
        else:
            _link_new(Path(tmp), path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _link_new(tmp: Path, path: Path) -> None:
    """Put the complete file ``tmp`` at ``path``, which must not exist."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError(f"{path}: exists; choose another name or folder") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # a file system without hard links: claim the name, then rename the whole file on it
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise OutputError(f"{path}: exists; choose another name or folder") from None
        os.replace(tmp, path)


def write_report(path: Path, content: str | bytes, *, replace: bool = True) -> Path:
    """Write a report file (HTML, or a picture) atomically (see :func:`write_file`).

    Reports are rebuilt from a folder's own files, so replacing one changes nothing but
    its language or layout; the command checks first that an existing file may be replaced.
    """
    return write_file(path, content, replace=replace)


def write_new_file(path: Path, text: str) -> Path:
    """Write ``text`` to a file that must not exist yet, atomically (nothing is overwritten).

    Raises:
        OutputError: ``path`` exists.
    """
    return write_file(path, text)


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
        with _fdopen(fd, "w", encoding="utf-8", newline="") as f:
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

    Every file goes into a folder inside a hidden temporary folder beside ``target`` (see
    :func:`hidden_folder`), which is renamed into place only when complete; an
    interruption or failure removes it.

    Args:
        target: The folder to create.
        files: Its files, name → content (pieces of text are written as they come).
        force: Replace ``target`` if it is a folder promosim wrote (see
            :func:`check_target`): the new folder is written in full first, then the old
            one is moved aside, the new one renamed into place, and the old one deleted.
        unique: ``target`` is a default name: if it is taken (another run in the same
            second), use ``<target>-2``, ``-3`` … instead, never an existing folder.
        finish: Called with the folder being written once the files are in it, to add files
            built from them (a report) before the folder appears.

    Raises:
        OutputError: ``target`` exists and is not an empty folder (without ``force``).
    """
    if not unique:
        check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    hidden = hidden_folder(target, "tmp")
    try:
        tmp = hidden / target.name
        tmp.mkdir()  # with the umask's permissions, like any folder the user makes
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
        if os.path.lexists(target) and any(target.iterdir()):
            _swap(tmp, target)
        else:
            if os.path.lexists(target):
                target.rmdir()  # empty, checked above; rename cannot replace it on every OS
            os.rename(tmp, target)
    finally:
        shutil.rmtree(hidden, ignore_errors=True)
    return target


def _host() -> str:
    """This machine's name as a token of a hidden folder's name (letters, digits, _)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname().split(".")[0]) or "host"


HIDDEN_MARKER = ".promosim-hidden"
"""The file in every hidden folder promosim makes: its host, process and random token."""

_HIDDEN = re.compile(
    r"\.(?P<name>.+)\.(?P<host>\w+)-(?P<pid>\d+)\.(?P<token>[0-9a-f]{16})\.(?P<kind>tmp|old)"
)


def hidden_folder(target: Path, kind: str) -> Path:
    """Make ``.<name>.<host>-<pid>.<token>.<kind>`` beside ``target``, marked as promosim's.

    ``kind`` is ``tmp`` (a folder being written, inside it under the target's name) or
    ``old`` (a folder moved aside by ``--force``, inside it under its own name). The marker
    file inside repeats host, process and token: :func:`clean_leftovers` touches only
    folders whose marker matches their name, so nothing planted there is ever moved.
    """
    host, pid = _host(), os.getpid()
    while True:
        token = secrets.token_hex(8)
        folder = target.parent / f".{target.name}.{host}-{pid}.{token}.{kind}"
        try:
            folder.mkdir(mode=0o700)
            break
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
    marker = {"tool": TOOL, "host": host, "pid": pid, "token": token, "name": target.name}
    (folder / HIDDEN_MARKER).write_text(_json(marker), encoding="utf-8")
    return folder


def _marked(entry: Path, m: re.Match[str]) -> bool:
    """Whether ``entry`` is a real folder promosim made with the name it has (not a link)."""
    if entry.is_symlink() or not entry.is_dir():
        return False
    marker = _read_json(entry / HIDDEN_MARKER, _HEAD_BYTES)
    expected = {
        "tool": TOOL,
        "host": m["host"],
        "pid": int(m["pid"]),
        "token": m["token"],
        "name": m["name"],
    }
    return isinstance(marker, dict) and marker == expected


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

    Only real folders promosim made (:func:`hidden_folder`, never a link nor a folder
    without a matching marker), of this machine, whose process is gone, are touched: a
    temporary folder (``.tmp``) is deleted; a folder moved aside by ``--force`` (``.old``)
    is put back when the new one never arrived, and deleted when it did. Returns what was
    done, one line each.
    """
    done: list[str] = []
    if folder.is_symlink() or not folder.is_dir():
        return done
    host = _host()
    for entry in sorted(folder.iterdir()):
        m = _HIDDEN.fullmatch(entry.name)
        if m is None or m["host"] != host or _alive(int(m["pid"])) or not _marked(entry, m):
            continue
        if m["kind"] == "tmp":
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed {entry}, left half-written by a stopped command")
            continue
        kept, back = entry / m["name"], folder / m["name"]
        if not kept.is_symlink() and kept.is_dir() and not os.path.lexists(back):
            os.rename(kept, back)
            done.append(f"restored {back}, moved aside by an interrupted --force")
        else:
            done.append(f"removed {entry}, the old folder a --force had replaced")
        shutil.rmtree(entry, ignore_errors=True)
    return done


def _rename_unique(tmp: Path, target: Path) -> Path:
    """Rename ``tmp`` to ``target``, or to the first of ``target-2``, ``-3`` … not taken."""
    candidate, k = target, 2
    while True:
        if not os.path.lexists(candidate):
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
    aside = hidden_folder(target, "old")
    os.rename(target, aside / target.name)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(aside / target.name, target)  # the old folder stays as it was
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _flow(entry: Mapping[str, Any]) -> str:
    """One YAML flow mapping of plain values; strings quoted (clock times, names)."""
    parts = []
    for k, v in entry.items():
        shown = json.dumps(v, ensure_ascii=False) if isinstance(v, str) else str(v)
        parts.append(f"{k}: {shown}")
    return "{" + ", ".join(parts) + "}"


def schedule_yaml(blocks: Mapping[str, Mapping[str, Any]]) -> str:
    """Per group the roster's ``extra_shifts`` and the plan as a ``schedule``, to paste.

    ``blocks``: group → ``{"extra_shifts": [...], "schedule": {...}}`` (either may be
    absent). The extra shifts go under the group beside its own schedule; the plan's
    ``intervals`` schedule replaces that schedule instead.
    """
    lines = [
        "# promosim staff: per group, the extra shifts to book (paste under the group, beside",
        "# its schedule), then the plan itself as an intervals schedule (replaces the schedule)",
    ]
    for group, kinds in blocks.items():
        shifts = kinds.get("extra_shifts")
        if shifts is not None:
            lines.append(f"# group {group}: extra shifts to book")
            if shifts:
                lines.append("extra_shifts:")
                lines += [f"  - {_flow(entry)}" for entry in shifts]
            else:
                lines.append("extra_shifts: []")
        block = kinds.get("schedule")
        if block is not None:
            lines.append(f"# group {group}: the plan, agents per calendar interval of the horizon")
            lines.append("schedule:")
            lines.append(f"  kind: {block['kind']}")
            lines.append(f"  agents: {list(block['agents'])}")
    text = "\n".join(lines) + "\n"
    assert yaml.safe_load(text) is not None  # well-formed
    return text


# --------------------------------------------------------------------------- replication cache

CACHE_VERSION = 3
CACHE_FORMAT = "promosim replication cache"

_CACHE_META_MAX_BYTES = 16 << 20
_ARMS: tuple[Arm, ...] = ("promotion", "baseline")


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


class CacheFileError(Exception):
    """A cache file is not one promosim wrote for this replication (it is recomputed)."""


class _Stale(CacheFileError):
    """A promosim cache file of other code or another scenario or replication."""


def _encode_arms(
    header: dict[str, Any], arms: Mapping[Arm, ReplicationMetrics]
) -> dict[str, NDArray[Any]]:
    """The arrays of a cache file: ``meta`` (JSON: header, names in order) and the numbers."""
    arrays: dict[str, NDArray[Any]] = {}
    described = []
    for k, (arm, rep) in enumerate(arms.items()):
        kinds = []
        for key, value in rep.overall.items():
            if type(value) not in (float, int):
                raise TypeError(f"cache: {arm}.overall[{key!r}] is {type(value).__name__}")
            kinds.append([key, "f" if type(value) is float else "i"])
        arrays[f"a{k}.of"] = np.array([v for v in rep.overall.values() if type(v) is float])
        arrays[f"a{k}.oi"] = np.array(
            [v for v in rep.overall.values() if type(v) is int], dtype=np.int64
        )
        arrays[f"a{k}.starts"] = rep.interval_starts
        for section, series in (("i", rep.intervals), ("d", rep.daily)):
            for n, values in enumerate(series.values()):
                arrays[f"a{k}.{section}{n}"] = values
        described.append(
            {
                "arm": arm,
                "overall": kinds,
                "intervals": list(rep.intervals),
                "daily": list(rep.daily),
            }
        )
    for name, values in arrays.items():
        if values.ndim != 1 or values.dtype != (np.int64 if name.endswith(".oi") else np.float64):
            raise TypeError(f"cache: {name} is not a column of numbers")
    meta = json.dumps({**header, "arms": described}, ensure_ascii=False).encode("utf-8")
    return {"meta": np.frombuffer(meta, dtype=np.uint8), **arrays}


def _names(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CacheFileError(f"{what} is not a list of names")
    if len(set(value)) != len(value):
        raise CacheFileError(f"{what} repeats a name")
    return value


def _decode_arms(
    npz: Any, header: dict[str, Any], expected: tuple[Arm, ...] | None
) -> dict[Arm, ReplicationMetrics]:
    """The arms of an opened cache file, every field checked (:class:`CacheFileError`)."""
    from sim.metrics import ReplicationMetrics

    for info in npz.zip.infolist():
        # stored, not compressed: nothing expands beyond the file's own size
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > info.compress_size:
            raise CacheFileError(f"{info.filename} is compressed")
    if "meta" not in npz.files or npz.zip.getinfo("meta.npy").file_size > _CACHE_META_MAX_BYTES:
        raise CacheFileError("no meta")
    raw = npz["meta"]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise CacheFileError("meta is not text")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except ValueError:
        raise CacheFileError("meta is not JSON") from None
    if not isinstance(meta, dict) or set(meta) != {*header, "arms"}:
        raise CacheFileError("meta has other fields")
    if meta.get("format") != CACHE_FORMAT:
        raise CacheFileError("not a cache file")
    if {k: meta[k] for k in header} != header:
        raise _Stale("other code, scenario or replication")
    described = meta["arms"]
    if not isinstance(described, list) or not described:
        raise CacheFileError("no arms")
    arms = [d.get("arm") if isinstance(d, dict) else None for d in described]
    if any(a not in _ARMS for a in arms) or len(set(arms)) != len(arms):
        raise CacheFileError("unknown arms")
    if expected is not None and tuple(arms) != tuple(expected):
        raise _Stale("other arms")
    wanted: set[str] = {"meta"}
    out: dict[Arm, ReplicationMetrics] = {}

    def column(name: str, dtype: type[np.generic] = np.float64) -> NDArray[Any]:
        wanted.add(name)
        if name not in npz.files:
            raise CacheFileError(f"{name} missing")
        values: NDArray[Any] = npz[name]
        if values.ndim != 1 or values.dtype != dtype:
            raise CacheFileError(f"{name} is not a column of {dtype.__name__}")
        return values

    for k, d in enumerate(described):
        if set(d) != {"arm", "overall", "intervals", "daily"}:
            raise CacheFileError(f"arm {k} has other fields")
        kinds = d["overall"]
        if not isinstance(kinds, list) or not all(
            isinstance(x, list) and len(x) == 2 and isinstance(x[0], str) and x[1] in ("f", "i")
            for x in kinds
        ):
            raise CacheFileError(f"arm {k}: overall is not names and kinds")
        keys = _names([x[0] for x in kinds], f"arm {k}: overall")
        of, oi = column(f"a{k}.of"), column(f"a{k}.oi", np.int64)
        n_floats = sum(x[1] == "f" for x in kinds)
        if len(of) != n_floats or len(oi) != len(kinds) - n_floats:
            raise CacheFileError(f"arm {k}: overall has other lengths")
        floats, ints = iter(of.tolist()), iter(oi.tolist())  # Python floats and ints, as kept
        overall = {
            key: next(floats) if kind == "f" else next(ints)
            for key, (_, kind) in zip(keys, kinds, strict=True)
        }
        intervals = {
            key: column(f"a{k}.i{n}")
            for n, key in enumerate(_names(d["intervals"], f"arm {k}: intervals"))
        }
        daily = {
            key: column(f"a{k}.d{n}") for n, key in enumerate(_names(d["daily"], f"arm {k}: daily"))
        }
        out[d["arm"]] = ReplicationMetrics(overall, column(f"a{k}.starts"), intervals, daily)
    if set(npz.files) != wanted:
        raise CacheFileError("other arrays")
    return out


class DiskCache:
    """Finished replications of one scenario on disk, so an interrupted run resumes.

    ``<root>/<config hash>/rep-<r>.npz``, each written atomically. A replication depends
    only on the resolved scenario (its hash), its number and the code (its fingerprint), so
    a cached one is exactly what a new run would compute. The files hold data only (numbers,
    and names in JSON), read without pickle and checked field by field: a file that is not
    one promosim wrote for this replication is ignored, with a notice, and recomputed.
    """

    def __init__(self, root: Path, config_hash: str, arms: tuple[Arm, ...] | None = None) -> None:
        self.folder = root / config_hash
        self.config_hash = config_hash
        self.arms = arms
        """The arms every cached replication must hold (None: any)."""
        self.hits = 0
        """Replications found here (finished by an earlier, interrupted run)."""
        self.notices: list[str] = []
        """Cache files ignored, one line each (for the user)."""

    def _path(self, replication: int) -> Path:
        return self.folder / f"rep-{replication}.npz"

    def _header(self, replication: int) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "version": CACHE_VERSION,
            "code": code_fingerprint(),
            "config": self.config_hash,
            "replication": replication,
        }

    def get(self, replication: int) -> dict[Arm, ReplicationMetrics] | None:
        """The cached arms of a replication, or None (none, or not usable: see notices)."""
        path = self._path(replication)
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError:  # a link, or unreadable
            self.notices.append(f"{path}: not a promosim cache file; recomputed")
            return None
        try:
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    raise CacheFileError("not a regular file")
                with np.load(f, allow_pickle=False) as npz:
                    arms = _decode_arms(npz, self._header(replication), self.arms)
        except _Stale:
            self.notices.append(f"{path}: cached by other code or for another scenario; recomputed")
            return None
        except Exception:  # whatever the file holds, it is only data: never trusted, recomputed
            self.notices.append(f"{path}: not a promosim cache file; recomputed")
            return None
        self.hits += 1
        return arms

    def put(self, replication: int, arms: Mapping[Arm, ReplicationMetrics]) -> None:
        """Keep a finished replication (atomically: a temporary file renamed)."""
        arrays = _encode_arms(self._header(replication), arms)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".rep-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                columns: dict[str, Any] = arrays  # numbers only: checked by _encode_arms
                np.savez(f, **columns)
            os.replace(tmp, self._path(replication))
        finally:
            Path(tmp).unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget this scenario's replications (after its run folder is written).

        Only the cache's own files are removed (never through a link), then the folders if
        that leaves them empty.
        """
        if self.folder.is_symlink() or not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if re.fullmatch(r"rep-\d+\.(npz|pkl)|\.rep-\w+\.tmp", entry.name) and (
                entry.is_symlink() or not entry.is_dir()
            ):
                entry.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()
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
        "tool": TOOL,
        "kind": "run",
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
    if any(m.startswith("all.") for m in metrics):
        out["glossary"][ALL_CHANNELS] = ALL_CHANNELS_DEFINITION
    return out


def replications_csv(result: RunResult) -> str:
    """One row per arm × replication × metric."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REPLICATIONS_COLUMNS)
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
    w.writerow(INTERVALS_COLUMNS)
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
    difference promotion − baseline per replication). A day is 24 hours from the horizon's
    start: named by its date at a midnight start, else by its first instant
    (:func:`sim.localtime.day_label`).
    """
    from sim.experiment import paired_daily

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
    w.writerow(DAILY_COLUMNS)
    series = list(next(iter(arms.values())))
    n_days = next(iter(arms.values()))[series[0]].shape[1]
    for d in range(n_days):
        day = day_label(scenario.calendar.start, first_day + d)
        for key in series:
            for arm, data in arms.items():
                if key in data:
                    w.writerow([day, key, arm, *_stat_cells(data[key][:, d])])
    return buf.getvalue()


def scorecard_csv(result: RunResult) -> str | None:
    """Per day (and ``all``: the whole run) × platform KPI × arm: mean, 95% CI, judged.

    None without platform rules. ``sessions`` is the KPI's denominator, mean per
    replication; ``threshold`` the rule's bar (``>=0.8``); ``status`` ``met``, ``at_risk``
    or ``breach`` (:mod:`sim.scorecard`); the grades are those of the sources of the KPI's
    definition and of its bar.
    """
    rows = scorecard(result)
    if not rows:
        return None
    rules = result.scenario.platform
    assert rules is not None
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SCORECARD_COLUMNS)
    for s in rows:
        t = s.rule.threshold
        w.writerow(
            [
                s.day,
                s.arm,
                rules.name,
                s.kpi,
                s.rule.label,
                s.rule.measure,
                _cell(s.mean),
                _cell(s.low),
                _cell(s.high),
                _cell(s.sessions),
                "" if t is None else f"{t.op}{t.value:g}",
                s.status,
                rules.sources[s.rule.source].grade,
                "" if t is None else rules.sources[t.source].grade,
            ]
        )
    return buf.getvalue()


def hourly_csv(result: RunResult) -> str | None:
    """Per hour × series (:data:`HOURLY_SERIES`) × arm: mean and 95% CI of the hour's sum.

    With platform rules also each KPI's ``platform.<kpi>.sessions`` and ``.total`` (its
    sessions, and those answered in time or their capped seconds): the hour's KPI is
    total ÷ sessions. None when the run has none of the series. An interval longer than an
    hour, or one that does not divide it, is its own row. With a promotion the arms are
    ``promotion``, ``baseline`` and ``effect`` (promotion − baseline per replication).
    ``hour`` is the hour's first instant (the warm-up's end, if it ends inside the first
    hour).
    """
    first = result.arms["promotion"][0]
    series = [k for k in HOURLY_SERIES if k in first.intervals]
    series += [k for k in first.intervals if k.startswith("platform.")]
    if not series:
        return None
    cal = result.scenario.calendar
    width = cal.interval_seconds
    bucket = 3600.0 if 3600.0 % width == 0 else width
    starts = first.interval_starts
    index = (starts // bucket).astype(np.int64)
    index -= index[0]
    n = int(index[-1]) + 1 if index.size else 0
    hour_start = np.full(n, np.inf)
    np.minimum.at(hour_start, index, np.maximum(starts, cal.warmup_seconds))

    def per_hour(reps: list[ReplicationMetrics], key: str) -> NDArray[np.float64]:
        return np.stack([np.bincount(index, weights=r.intervals[key], minlength=n) for r in reps])

    arms: dict[str, dict[str, NDArray[np.float64]]] = {
        _arm_label(result, arm): {k: per_hour(reps, k) for k in series}
        for arm, reps in result.arms.items()
    }
    if "baseline" in result.arms:
        arms["effect"] = {k: arms["promotion"][k] - arms["baseline"][k] for k in series}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HOURLY_COLUMNS)
    for h in range(n):
        hour = (cal.start + dt.timedelta(seconds=float(hour_start[h]))).isoformat()
        for key in series:
            for arm, data in arms.items():
                w.writerow([hour, key, arm, *_stat_cells(data[key][:, h])])
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
    from sim.loading import resolved_yaml

    created = created or dt.datetime.now(dt.UTC)
    files: dict[str, FileContent] = {
        MANIFEST: _json(manifest(loaded, command or sys.argv, created, workers)),
        "scenario.resolved.yaml": resolved_yaml(loaded),
        "summary.json": _json(summary(loaded, result)),
        "replications.csv": replications_csv(result),
        "intervals.csv": intervals_csv(result),
        "daily.csv": daily_csv(result),
    }
    hourly = hourly_csv(result)
    if hourly is not None:
        files["hourly.csv"] = hourly
    scores = scorecard_csv(result)
    if scores is not None:
        files["scorecard.csv"] = scores
    if report_html is None and report_lang is not None:
        from sim.report import report_from_files  # plotly only when a report is wanted

        report_html = report_from_files(
            {k: v for k, v in files.items() if isinstance(v, str)}, report_lang
        )
    if event_log is not None:
        files["orders.csv"] = event_log.orders()
        files["contacts.csv"] = event_log.contacts()
    if report_html is not None:
        files[REPORT] = report_html
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
    w.writerow(COMPARISON_COLUMNS)
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
    w.writerow(header(SWEEP_COLUMNS, s.paths))
    metrics = s.metrics
    for point in s.points:
        values = [_value_cell(point.values[p]) for p in s.paths]
        stats = point.stats
        for metric in metrics:
            w.writerow([*values, metric, *_stat_row(stats.get(metric))])
    return buf.getvalue()


def arms_json(c: Comparison) -> str:
    """``arms.json`` of a compare folder: the arms, their config hashes, the plan's notes."""
    return (
        json.dumps(
            {"arms": list(c.arms), "hashes": c.hashes, "notes": list(c.notes)},
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def lab_csv(ranking: Sequence[Ranked]) -> str:
    """The mechanic lab's ranking (:func:`sim.lab.rank`), a row per variant and metric."""
    from sim.lab import RANK_METRIC

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LAB_COLUMNS)
    for r in ranking:
        for metric, (mean, lo, hi) in r.figures.items():
            diff = r.vs_reference.get(metric)
            gap = r.gap_to_next if metric == RANK_METRIC else None
            w.writerow(
                [
                    r.rank,
                    r.arm,
                    r.variant.title,
                    metric,
                    _cell(mean),
                    _cell(lo),
                    _cell(hi),
                    *(["", "", "", ""] if diff is None else [*map(_cell, diff[:3]), int(diff[3])]),
                    *(["", "", "", ""] if gap is None else [*map(_cell, gap[:3]), int(gap[3])]),
                ]
            )
    return buf.getvalue()


def compare_files(c: Comparison, manifest_json: str) -> dict[str, FileContent]:
    """Every file of a compare folder but its report, by name."""
    return {MANIFEST: manifest_json, "comparison.csv": comparison_csv(c), "arms.json": arms_json(c)}


def tornado_json(metric: str, bars: Sequence[TornadoBar]) -> str:
    """``tornado.json`` of a one-at-a-time sweep: ``metric`` at each path's extremes."""
    return (
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


def sweep_files(
    s: Sweep, manifest_json: str, tornado: tuple[str, Sequence[TornadoBar]] | None = None
) -> dict[str, FileContent]:
    """Every file of a sweep folder but its report; ``tornado`` is (metric, bars) if any."""
    files: dict[str, FileContent] = {MANIFEST: manifest_json, "sweep.csv": sweep_csv(s)}
    if tornado is not None:
        files["tornado.json"] = tornado_json(*tornado)
    return files


# --------------------------------------------------------------------------- staff


def _number(x: float) -> float | None:
    """``x`` for JSON: None where it is not finite (no value, or a CI from one replication)."""
    return x if math.isfinite(x) else None


def staffing_json(
    loaded: LoadedScenario, plan: StaffPlan, targets: Sequence[Target], per_interval: bool
) -> str:
    """``staffing.json`` of a staff folder: the targets, the fresh check, short and surplus.

    Short and surplus agent-hours are kept apart, per group and per local date: a surplus
    in quiet hours never offsets a shortfall at the peak.
    """
    groups = list(plan.required)
    fresh = plan.fresh
    summary = {
        "name": loaded.scenario.name,
        "config_hash": loaded.hash,
        "targets": [str(t) for t in targets],
        "per_interval": per_interval,
        "met": plan.met,
        "simulations": plan.simulations,
        "confidence": fresh.confidence,
        "fresh_check": {
            "seed": fresh.seed,
            "rounds": fresh.rounds,
            "replications": fresh.replications,
            "passed": fresh.passed,
            "judged": fresh.judged,
            "met": fresh.met,
            "within_ci": fresh.within,
            "missed": fresh.missed,
        },
        "overall": {m: _number(x) for m, x in plan.overall.items()},
        "overall_ci": {m: [_number(x) for x in ci] for m, ci in plan.overall_ci.items()},
        "intervals_met_share": {str(t): plan.intervals_met_share(t) for t in targets},
        "short_agent_hours": {g: plan.short_agent_hours(g) for g in groups},
        "surplus_agent_hours": {g: plan.surplus_agent_hours(g) for g in groups},
        "short_cost_yuan": {g: plan.short_cost_yuan(g) for g in groups},
        "hourly_cost_yuan": plan.hourly_cost_yuan,
        "total_short_agent_hours": math.fsum(plan.short_agent_hours(g) for g in groups),
        "total_surplus_agent_hours": math.fsum(plan.surplus_agent_hours(g) for g in groups),
        "total_short_cost_yuan": math.fsum(plan.short_cost_yuan(g) for g in groups),
        "short_agent_hours_by_day": {g: plan.by_day(plan.short_agents(g)) for g in groups},
        "surplus_agent_hours_by_day": {g: plan.by_day(plan.surplus_agents(g)) for g in groups},
    }
    roster, check = plan.roster, plan.roster_check
    if roster is not None and check is not None:
        summary["roster"] = {
            "cost_yuan": roster.cost_yuan,
            "cost_yuan_by_source": roster.cost_by_source,
            "agent_hours_by_source": roster.agent_hours_by_source,
            "bookings": len(roster.bookings),
            "covered": roster.covered,
            "uncovered_agent_hours": {
                g: float(left.sum()) * plan.interval_seconds / 3600.0
                for g, left in roster.uncovered.items()
            },
            "solver": roster.status,
            "check": {
                "seed": check.seed,
                "bookings": check.rounds,
                "replications": check.replications,
                "passed": check.passed,
                "judged": check.judged,
                "met": check.met,
                "within_ci": check.within,
                "missed": check.missed,
                "missed_uncovered": check.uncovered,
                "passed_where_covered": check.passed_where_covered,
            },
        }
    return json.dumps(summary, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


_NO_ROSTER = ",".join(ROSTER_COLUMNS) + "\n"


def staff_files(
    loaded: LoadedScenario,
    plan: StaffPlan,
    targets: Sequence[Target],
    *,
    per_interval: bool,
    blocks: Mapping[str, Mapping[str, Any]],
    manifest_json: str,
) -> dict[str, FileContent]:
    """Every file of a staff folder but its report; ``blocks`` are the schedule blocks."""
    from sim.loading import resolved_yaml
    from sim.roster import roster_csv
    from sim.staffing import staffing_csv

    return {
        MANIFEST: manifest_json,
        "staffing.csv": staffing_csv(plan),
        "staffing.json": staffing_json(loaded, plan, targets, per_interval),
        "roster.csv": roster_csv(plan.roster) if plan.roster is not None else _NO_ROSTER,
        "schedule.yaml": schedule_yaml(blocks),
        "scenario.resolved.yaml": resolved_yaml(loaded),
    }
