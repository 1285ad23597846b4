"""What promosim writes, moves and reads back stays safe against files planted beside it.

Folders and caches travel through shared repositories and team folders: whoever can write
there must not be able to run code (a pickle in the replication cache), move files (a link
posing as a leftover hidden folder), have promosim overwrite what it did not write, or leave
half a file after a failed write.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import resource
import signal
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from typer.testing import CliRunner

from sim import outputs
from sim.calibrate import MAX_EXPORT_BYTES
from sim.cli import app
from sim.experiment import arms_of, run_replication
from sim.files import UnreadableFile, read_bounded
from sim.loading import MAX_BYTES, load_scenario
from sim.metrics import ReplicationMetrics
from sim.outputs import DiskCache, OutputError, clean_leftovers, hidden_folder
from sim.report import data as report_data
from tests.conftest import ROOT, tiny_scenario
from tests.test_calibrate import CONTACTS, ORDERS

runner = CliRunner()


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (links not followed): file bytes, link targets, folders."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            out[key] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            out[key] = "dir"
        else:
            out[key] = path.read_bytes()
    return out


def write_scenario(path: Path, **overrides: Any) -> Path:
    path.write_text(json.dumps(tiny_scenario(**overrides)), encoding="utf-8")
    return path


class _MakesMarker:
    """Unpickling this creates a folder: proof that a planted file ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def hostile_pickle(marker: Path) -> bytes:
    return pickle.dumps(_MakesMarker(marker)) + pickle.dumps(_MakesMarker(marker))


# --------------------------------------------------------------------------- replication cache


@pytest.mark.slow
def test_a_planted_pickle_in_the_cache_never_runs(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "tiny.yaml")
    digest = load_scenario(scenario).hash
    marker = tmp_path / "pwned"
    cache = tmp_path / "runs" / ".promosim-cache" / digest
    cache.mkdir(parents=True)
    for r in (0, 1):  # where the pickle cache was read, and where the data-only one is
        (cache / f"rep-{r}.pkl").write_bytes(hostile_pickle(marker))
        (cache / f"rep-{r}.npz").write_bytes(hostile_pickle(marker))
    planted = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "runs" / "a")])
    assert planted.exit_code == 0, planted.output
    assert not marker.exists()
    assert "not a promosim cache file; recomputed" in planted.output
    assert "resumed" not in planted.output
    clean = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "clean" / "a")])
    assert clean.exit_code == 0, clean.output
    for name in ("summary.json", "replications.csv", "intervals.csv", "daily.csv"):
        got = (tmp_path / "runs" / "a" / name).read_bytes()
        assert got == (tmp_path / "clean" / "a" / name).read_bytes(), name
    assert not (tmp_path / "runs" / ".promosim-cache").exists()  # the planted files went too


@pytest.fixture(scope="module")
def replication(tmp_path_factory: pytest.TempPathFactory) -> dict[Any, ReplicationMetrics]:
    path = write_scenario(tmp_path_factory.mktemp("scenario") / "tiny.yaml")
    s = load_scenario(path).scenario  # no promotion: one arm
    return run_replication(s, 0, arms_of(s))


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def test_the_cache_gives_back_exactly_what_it_kept(
    tmp_path: Path, replication: dict[Any, ReplicationMetrics]
) -> None:
    # two arms, in an order other than the usual one: kept in their order
    arms: dict[Any, ReplicationMetrics] = {
        "baseline": replication["promotion"],
        "promotion": ReplicationMetrics(
            {"b": 1, "a": -0.0, "nan": float("nan"), "inf": float("-inf"), "big": 2**62},
            np.array([0.1, 1e-300]),
            {"z.x": np.array([np.nan, 5e-324])},
            {"contacts": np.array([3.0, 0.0])},
        ),
    }
    DiskCache(tmp_path, "h").put(3, arms)
    got = DiskCache(tmp_path, "h", ("baseline", "promotion")).get(3)
    assert got is not None and list(got) == list(arms)
    for arm, want in arms.items():
        have = got[arm]
        assert list(have.overall) == list(want.overall)
        for key, value in want.overall.items():
            assert type(have.overall[key]) is type(value), key
            assert _bits(have.overall[key]) == _bits(value) if type(value) is float else True
            assert have.overall[key] == value or value != value
        pairs: list[tuple[NDArray[Any], NDArray[Any]]] = [
            (have.interval_starts, want.interval_starts)
        ]
        for section in ("intervals", "daily"):
            h, w = getattr(have, section), getattr(want, section)
            assert list(h) == list(w)
            pairs += [(h[k], w[k]) for k in w]
        for a, b in pairs:
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _tampered(arrays: dict[str, NDArray[Any]], how: str, marker: Path) -> dict[str, Any]:
    meta = json.loads(arrays["meta"].tobytes())
    out: dict[str, Any] = dict(arrays)

    def set_meta(m: dict[str, Any]) -> None:
        out["meta"] = np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)

    if how == "object array":  # a pickle inside the npz: never unpickled
        out["a0.of"] = np.array([_MakesMarker(marker)], dtype=object)
    elif how == "wrong dtype":
        out["a0.of"] = arrays["a0.of"].astype(np.float32)
    elif how == "2-d":
        out["a0.starts"] = arrays["a0.starts"].reshape(1, -1)
    elif how == "extra array":
        out["extra"] = np.zeros(1)
    elif how == "missing array":
        del out["a0.i0"]
    elif how == "short overall":
        out["a0.of"] = arrays["a0.of"][:-1]
    elif how == "unknown arm":
        meta["arms"][0]["arm"] = "__import__('os')"
        set_meta(meta)
    elif how == "other replication":
        meta["replication"] = 1
        set_meta(meta)
    elif how == "extra meta field":
        meta["x"] = 1
        set_meta(meta)
    elif how == "meta not json":
        out["meta"] = np.frombuffer(b"\x80not json", dtype=np.uint8)
    elif how == "overall kinds":
        meta["arms"][0]["overall"][0][1] = "o"
        set_meta(meta)
    return out


TAMPERINGS = [
    "object array",
    "wrong dtype",
    "2-d",
    "extra array",
    "missing array",
    "short overall",
    "unknown arm",
    "other replication",
    "extra meta field",
    "meta not json",
    "overall kinds",
]


@pytest.mark.parametrize("how", TAMPERINGS)
def test_a_cache_file_that_does_not_check_out_is_recomputed_with_a_notice(
    tmp_path: Path, replication: dict[Any, ReplicationMetrics], how: str
) -> None:
    cache = DiskCache(tmp_path, "h", ("promotion",))
    arrays: dict[str, Any] = outputs._encode_arms(cache._header(0), replication)
    marker = tmp_path / "pwned"
    cache.folder.mkdir()
    with (cache.folder / "rep-0.npz").open("wb") as f:
        np.savez(f, **_tampered(arrays, how, marker))
    assert cache.get(0) is None and cache.hits == 0
    assert len(cache.notices) == 1 and "rep-0.npz" in cache.notices[0]
    assert not marker.exists()
    with (cache.folder / "rep-0.npz").open("wb") as f:  # the same, untampered, is used
        np.savez(f, **arrays)
    assert cache.get(0) is not None and cache.hits == 1


def test_compressed_linked_or_special_cache_files_are_not_read(
    tmp_path: Path, replication: dict[Any, ReplicationMetrics]
) -> None:
    cache = DiskCache(tmp_path, "h", ("promotion",))
    arrays: dict[str, Any] = outputs._encode_arms(cache._header(0), replication)
    cache.folder.mkdir()
    with (cache.folder / "rep-0.npz").open("wb") as f:
        np.savez_compressed(f, **arrays)  # a zip bomb could expand without bound
    good = tmp_path / "good.npz"
    with good.open("wb") as f:
        np.savez(f, **arrays)
    (cache.folder / "rep-1.npz").symlink_to(good)
    os.mkfifo(cache.folder / "rep-2.npz")  # would block a plain open for ever
    for r in (0, 1, 2):
        assert cache.get(r) is None
    assert len(cache.notices) == 3 and cache.hits == 0


def test_clearing_the_cache_removes_only_its_own_files(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / ".promosim-cache", "h")
    cache.folder.mkdir(parents=True)
    (cache.folder / "rep-0.npz").write_bytes(b"x")
    (cache.folder / "notes.txt").write_text("mine")
    cache.clear()
    assert sorted(p.name for p in cache.folder.iterdir()) == ["notes.txt"]


# --------------------------------------------------------------------------- leftovers


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _foreign(tmp_path: Path) -> Path:
    foreign = tmp_path / "foreign"
    (foreign / "inner").mkdir(parents=True)
    (foreign / "inner" / "secret.txt").write_text("theirs")
    return foreign


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["old", "tmp"])
@pytest.mark.parametrize("forged", [False, True])
def test_a_symlinked_leftover_never_moves_anything(tmp_path: Path, kind: str, forged: bool) -> None:
    foreign = _foreign(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    host, pid, token = outputs._host(), _dead_pid(), "0123456789abcdef"
    name = f".inner.{host}-{pid}.{token if forged else 'y'}.{kind}"
    if forged:  # the marker copied too: a link is still never followed
        marker = {"tool": "promosim", "host": host, "pid": pid, "token": token, "name": "inner"}
        (foreign / outputs.HIDDEN_MARKER).write_text(json.dumps(marker))
    (runs / name).symlink_to(foreign, target_is_directory=True)
    before = snapshot(foreign)
    assert clean_leftovers(runs) == []
    assert snapshot(foreign) == before
    assert [p.name for p in runs.iterdir()] == [name]
    scenario = write_scenario(tmp_path / "tiny.yaml")
    result = runner.invoke(app, ["run", str(scenario), "--out", str(runs / "a"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "restored" not in result.output and "removed" not in result.output
    assert snapshot(foreign) == before
    assert sorted(p.name for p in runs.iterdir()) == sorted([name, "a"])


@pytest.mark.parametrize("marker", ["none", "other token", "not json", "a link"])
def test_an_unmarked_hidden_folder_is_left_alone(tmp_path: Path, marker: str) -> None:
    runs = tmp_path / "runs"
    host, pid, token = outputs._host(), _dead_pid(), "0123456789abcdef"
    entry = runs / f".inner.{host}-{pid}.{token}.old"
    (entry / "inner").mkdir(parents=True)
    (entry / "inner" / "file.txt").write_text("kept")
    content = {"tool": "promosim", "host": host, "pid": pid, "token": "f" * 16, "name": "inner"}
    if marker == "other token":
        (entry / outputs.HIDDEN_MARKER).write_text(json.dumps(content))
    elif marker == "not json":
        (entry / outputs.HIDDEN_MARKER).write_text("{")
    elif marker == "a link":
        real = tmp_path / "marker.json"
        real.write_text(json.dumps({**content, "token": token}))
        (entry / outputs.HIDDEN_MARKER).symlink_to(real)
    before = snapshot(runs)
    assert clean_leftovers(runs) == []
    assert snapshot(runs) == before


def test_a_marked_leftover_whose_folder_is_a_link_restores_nothing(tmp_path: Path) -> None:
    foreign = _foreign(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    aside = hidden_folder(runs / "inner", "old")
    os.rename(aside, aside.with_name(aside.name.replace(f"-{os.getpid()}.", f"-{_dead_pid()}.")))
    # the marker names the live pid: re-mark it as a dead process's, as a killed one left it
    moved = next(runs.iterdir())
    marker = json.loads((moved / outputs.HIDDEN_MARKER).read_text())
    marker["pid"] = int(moved.name.split("-")[-1].split(".")[0])
    (moved / outputs.HIDDEN_MARKER).write_text(json.dumps(marker))
    (moved / "inner").symlink_to(foreign / "inner", target_is_directory=True)
    before = snapshot(foreign)
    done = clean_leftovers(runs)
    assert len(done) == 1 and done[0].startswith("removed"), done
    assert snapshot(foreign) == before
    assert list(runs.iterdir()) == []


# --------------------------------------------------------------------------- --force


def _run_folder(tmp_path: Path, name: str = "a") -> Path:
    scenario = write_scenario(tmp_path / "tiny.yaml", replications=1)
    out = tmp_path / "runs" / name
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def test_force_refuses_a_foreign_folder_with_a_manifest(tmp_path: Path) -> None:
    extension = tmp_path / "extension"
    extension.mkdir()
    (extension / "manifest.json").write_text('{"manifest_version": 3, "name": "ext"}')
    (extension / "background.js").write_text("// theirs")
    before = snapshot(extension)
    scenario = write_scenario(tmp_path / "tiny.yaml", replications=1)
    result = runner.invoke(app, ["run", str(scenario), "--out", str(extension), "--force"])
    assert result.exit_code == 2, result.output
    assert "--force replaces only a folder promosim wrote" in result.output
    assert snapshot(extension) == before


def test_force_refuses_an_output_folder_holding_the_scenario(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path)
    before = snapshot(folder)
    scenario = folder / "scenario.resolved.yaml"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(folder), "--force"])
    assert result.exit_code == 2, result.output
    assert "an input of this command" in result.output
    assert snapshot(folder) == before


@pytest.mark.slow
def test_every_folder_kind_carries_a_promosim_manifest(tmp_path: Path) -> None:
    run_dir = _run_folder(tmp_path)
    assert outputs.promosim_kind(run_dir) == "run"
    a = write_scenario(tmp_path / "a.yaml", replications=1)
    b = write_scenario(tmp_path / "b.yaml", replications=1, name="tiny-b")
    out = tmp_path / "cmp"
    for _ in range(2):  # the second time --force replaces the comparison promosim wrote
        result = runner.invoke(
            app, ["compare", str(a), str(b), "--out", str(out), "--quiet", "--force"]
        )
        assert result.exit_code == 0, result.output
    assert outputs.promosim_kind(out) == "compare"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tool"] == "promosim" and manifest["kind"] == "compare"


def test_promosim_kind_reads_only_a_small_real_manifest(tmp_path: Path) -> None:
    good = '{"tool": "promosim", "kind": "sweep"}'
    for name, text in [("ok", good), ("other", '{"tool": "x", "kind": "run"}'), ("bad", "{")]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text(text)
    (tmp_path / "huge").mkdir()
    (tmp_path / "huge" / "manifest.json").write_text(good + " " * (2 << 20))
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "manifest.json").symlink_to(tmp_path / "ok" / "manifest.json")
    kinds = {n: outputs.promosim_kind(tmp_path / n) for n in ("ok", "other", "bad", "huge", "link")}
    assert kinds == {"ok": "sweep", "other": None, "bad": None, "huge": None, "link": None}


@pytest.fixture
def exports(tmp_path: Path) -> tuple[Path, Path]:
    orders, contacts = tmp_path / "orders.csv", tmp_path / "contacts.csv"
    orders.write_text(ORDERS, encoding="utf-8")
    contacts.write_text(CONTACTS, encoding="utf-8")
    return orders, contacts


def _calibrate(exports: tuple[Path, Path], *args: str) -> Any:
    orders, contacts = exports
    inputs = ["--orders", str(orders), "--contacts", str(contacts)]
    return runner.invoke(app, ["calibrate", *inputs, *args])


def test_calibrate_never_writes_over_its_own_export(
    tmp_path: Path, exports: tuple[Path, Path]
) -> None:
    before = snapshot(tmp_path)
    for export in exports:
        result = _calibrate(exports, "--out", str(export), "--force")
        assert result.exit_code == 2, result.output
        assert "an input of this command" in result.output
        result = _calibrate(exports, "--out", str(tmp_path / "f.yaml"), "--report", str(export))
        assert result.exit_code == 2, result.output
    assert snapshot(tmp_path) == before


def test_calibrate_never_writes_two_outputs_to_one_file(
    tmp_path: Path, exports: tuple[Path, Path]
) -> None:
    before = snapshot(tmp_path)
    fit = str(tmp_path / "f.yaml")
    result = _calibrate(exports, "--out", fit, "--report", fit, "--force")
    assert result.exit_code == 2, result.output
    assert "two of the command's outputs" in result.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("which", ["fragment", "report"])
def test_calibrate_force_replaces_only_what_promosim_wrote(
    tmp_path: Path, exports: tuple[Path, Path], which: str
) -> None:
    fit, report = tmp_path / "f.yaml", tmp_path / "f.report.html"
    assert _calibrate(exports, "--out", str(fit)).exit_code == 0
    assert fit.read_text().startswith(outputs.FRAGMENT_FIRST_LINE)
    assert outputs.REPORT_GENERATOR in report.read_text()
    forced = _calibrate(exports, "--out", str(fit), "--force")
    assert forced.exit_code == 0, forced.output
    (fit if which == "fragment" else report).write_text("mine\n")
    before = snapshot(tmp_path)
    refused = _calibrate(exports, "--out", str(fit), "--force")
    assert refused.exit_code == 2, refused.output
    assert f"--force replaces only a {which} promosim wrote" in refused.output
    assert snapshot(tmp_path) == before


def test_report_out_replaces_only_a_promosim_report_with_force(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path)
    mine = tmp_path / "notes.html"
    mine.write_text("<p>mine</p>")
    for extra in ([], ["--force"]):
        result = runner.invoke(app, ["report", str(folder), "--out", str(mine), *extra])
        assert result.exit_code == 2, result.output
        assert mine.read_text() == "<p>mine</p>"
    fresh = tmp_path / "fresh.html"
    assert runner.invoke(app, ["report", str(folder), "--out", str(fresh)]).exit_code == 0
    again = runner.invoke(app, ["report", str(folder), "--out", str(fresh)])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(app, ["report", str(folder), "--out", str(fresh), "--force"])
    assert forced.exit_code == 0, forced.output
    # the folder's own report is rebuilt in place, as before
    assert runner.invoke(app, ["report", str(folder)]).exit_code == 0


def test_report_out_never_writes_over_the_folders_files(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path)
    before = snapshot(folder)
    for name in ("summary.json", "manifest.json"):
        for extra in ([], ["--force"]):
            out = str(folder / name)
            result = runner.invoke(app, ["report", str(folder), "--out", out, *extra])
            assert result.exit_code == 2, result.output
    assert snapshot(folder) == before


def test_check_file_target_refuses_links(tmp_path: Path) -> None:
    real = tmp_path / "real.html"
    real.write_text(f"<html><head>{outputs.REPORT_GENERATOR}</head></html>")
    (tmp_path / "link.html").symlink_to(real)
    with pytest.raises(OutputError, match="not a regular file"):
        outputs.check_file_target(tmp_path / "link.html", "report", force=True)
    outputs.check_file_target(real, "report", force=True)


# --------------------------------------------------------------------------- atomic writes


def _limit_file_size() -> None:
    # writes past 1 KiB fail with EFBIG, as they would on a full disk
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


def test_calibrate_on_a_full_disk_leaves_no_part_of_the_fragment(
    tmp_path: Path, exports: tuple[Path, Path]
) -> None:
    fit = tmp_path / "out" / "fitted.yaml"
    fit.parent.mkdir()
    orders, contacts = exports
    args = ["calibrate", "--orders", str(orders), "--contacts", str(contacts), "--out", str(fit)]
    child = subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,
    )
    assert child.returncode != 0, child.stdout
    assert "Traceback" not in child.stderr
    assert list(fit.parent.iterdir()) == []  # no fragment, whole or partial, no temporary file


class _FailingFile:
    """A file whose writes stop after ``room`` bytes with ENOSPC (a full disk)."""

    def __init__(self, f: Any, room: int) -> None:
        self.f, self.room = f, room

    def write(self, data: bytes) -> int:
        self.f.write(data[: self.room])
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return len(data)

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


@pytest.mark.parametrize("replace", [False, True])
def test_a_write_that_fails_midway_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replace: bool
) -> None:
    target = tmp_path / "report.html"
    if replace:
        target.write_text("old")
    real = os.fdopen
    monkeypatch.setattr(outputs, "_fdopen", lambda fd, *a, **k: _FailingFile(real(fd, *a, **k), 10))
    with pytest.raises(OSError, match="No space"):
        outputs.write_file(target, "x" * 100, replace=replace)
    assert [p.name for p in tmp_path.iterdir()] == (["report.html"] if replace else [])
    if replace:
        assert target.read_text() == "old"


def test_write_file_replaces_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    outputs.write_file(target, "one")
    with pytest.raises(OutputError, match="exists"):
        outputs.write_file(target, "two")
    assert target.read_text() == "one" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    outputs.write_file(target, "two", replace=True)
    assert target.read_text() == "two"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---- reading folders, exports and scenarios from elsewhere: bounded, no links, no pipes


def test_read_bounded_reads_only_a_regular_file_within_its_limit(tmp_path: Path) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_bytes(b"x" * 10)
    assert read_bounded(ok, 10) == b"x" * 10
    with pytest.raises(UnreadableFile, match="larger than"):
        read_bounded(ok, 9)
    link = tmp_path / "link.csv"
    link.symlink_to(ok)
    with pytest.raises(UnreadableFile, match="a link"):
        read_bounded(link, 10)
    assert read_bounded(link, 10, links=True) == b"x" * 10  # a path the user typed
    os.mkfifo(tmp_path / "pipe.csv")  # a plain open would wait for a writer for ever
    for special in (tmp_path / "pipe.csv", Path("/dev/zero")):
        with pytest.raises(UnreadableFile, match="not a regular file"):
            read_bounded(special, 10, links=True)
    with pytest.raises(UnreadableFile, match="a folder"):
        read_bounded(tmp_path, 10)
    with pytest.raises(UnreadableFile, match="no such file"):
        read_bounded(tmp_path / "none.csv", 10)


FOLDER_FILES = {
    "run": ("intervals.csv", ("summary.json", "scenario.resolved.yaml", "daily.csv")),
    "compare": ("comparison.csv", ("arms.json",)),
    "sweep": ("sweep.csv", ()),
    "staff": ("staffing.csv", ("staffing.json",)),
}


def planted_folder(tmp_path: Path, kind: str, how: str) -> tuple[Path, str]:
    """A folder of ``kind`` whose file named in :data:`FOLDER_FILES` is planted ``how``."""
    planted, others = FOLDER_FILES[kind]
    folder = tmp_path / f"{kind}-{how}"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"tool": "promosim", "kind": kind}))
    for name in others:
        (folder / name).write_text("{}" if name.endswith(".json") else "a,b\n")
    target = folder / planted
    if how == "link":
        secret = tmp_path / "secret.txt"
        secret.write_text("private-key-material\n")
        target.symlink_to(secret)
    elif how == "pipe":
        os.mkfifo(target)
    else:
        with target.open("wb") as f:  # sparse: nothing of it is read
            f.truncate(report_data.MAX_BYTES[planted] + 1)
    return folder, planted


@pytest.mark.parametrize("how", ["link", "pipe", "big"])
@pytest.mark.parametrize("kind", sorted(FOLDER_FILES))
def test_a_report_never_reads_a_planted_file(tmp_path: Path, kind: str, how: str) -> None:
    """A link (whose target would land in the report), a pipe (a hang) or a huge file."""
    folder, planted = planted_folder(tmp_path, kind, how)
    done = subprocess.run(
        [sys.executable, "-m", "sim", "report", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    why = {"link": "a link", "pipe": "not a regular file", "big": "larger than"}[how]
    assert f"{planted} is {why}" in done.stderr, done.stderr
    assert "private-key-material" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert not (folder / "report.html").exists()


def test_a_report_stops_an_alias_bomb_in_the_resolved_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    bomb = ['a0: &a0 ["lol"]']
    for i in range(1, 10):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    (folder / "scenario.resolved.yaml").write_text("\n".join(bomb) + "\n")
    for name in ("summary.json", "intervals.csv", "daily.csv"):
        (folder / name).write_text("{}" if name.endswith(".json") else "a,b\n")
    with pytest.raises(report_data.ReportError, match="holds more than"):
        report_data.RunData(report_data.read_run(folder))


@pytest.mark.parametrize("how", ["pipe", "big"])
def test_scenarios_and_exports_that_are_pipes_or_too_large_are_refused(
    tmp_path: Path, how: str
) -> None:
    def plant(path: Path, limit: int) -> Path:
        if how == "pipe":
            os.mkfifo(path)
        else:
            with path.open("wb") as f:
                f.truncate(limit + 1)
        return path

    scenario = plant(tmp_path / "s.yaml", MAX_BYTES)
    orders = plant(tmp_path / "orders.csv", MAX_EXPORT_BYTES)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS)
    why = "not a regular file" if how == "pipe" else "larger than"
    for args in (
        ["validate", str(scenario)],
        ["calibrate", "--orders", str(orders), "--contacts", str(contacts), "--out", "f.yaml"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "sim", *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert why in done.stderr and "Traceback" not in done.stderr, done.stderr
