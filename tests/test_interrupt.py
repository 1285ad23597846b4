"""Interruption: SIGINT or SIGTERM to a real ``promosim`` process.

Each case starts a command as a subprocess, waits until the replication cache holds a
finished replication, sends the signal and checks that the process stops promptly with a
short message, leaves no folder (and no temporary folder) and no worker process behind.
Running the same command again resumes from the cache and writes files identical to an
uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from sim import outputs
from sim.cli import app
from sim.metrics import ReplicationMetrics
from sim.outputs import DiskCache, write_run
from tests.conftest import PROCESSES, tiny_scenario

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")

PROMOSIM = [sys.executable, "-m", "sim"]
MANIFEST = '{"tool": "promosim", "kind": "run"}\n'
"""The manifest of a folder promosim wrote (``--force`` may replace it)."""

MANIFEST_VOLATILE = ("created_at", "command", "workers")
"""Manifest fields that say when and how a folder was written, not what it holds."""


def heavy(agents: int = 60) -> dict[str, object]:
    """A phone scenario whose replications take a noticeable fraction of a second."""
    data = tiny_scenario(name="heavy", replications=6)
    data["calendar"] = {"days": 1, "interval_minutes": 60}
    data["arrivals"][0]["contacts_per_hour"] = 700
    data["staffing"]["groups"][0]["schedule"]["agents"] = agents
    return data


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def descendants(pid: int) -> list[int]:
    """Every process started by ``pid`` (workers, the resource tracker), from /proc."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parent[int(stat.parent.name)] = int(fields[1])
    out, frontier = [], [pid]
    while frontier:
        kids = [c for c, p in parent.items() if p in frontier]
        out += kids
        frontier = kids
    return out


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cached(root: Path) -> list[Path]:
    return sorted((root / ".promosim-cache").glob("*/rep-*.npz"))


def interrupt(args: list[str], cwd: Path, cache_root: Path, sig: signal.Signals) -> str:
    """Run ``promosim ARGS``; signal it once a replication is cached; return its stderr."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [*PROMOSIM, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 60
        while not cached(cache_root):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no replication was cached in 60 s"
            time.sleep(0.02)
        workers = descendants(proc.pid)
        assert workers, "the local pool's processes were not found"
        assert proc.poll() is None, "the command finished before it could be interrupted"
        # Ctrl-C reaches the whole foreground group; kill(1) and schedulers signal the process
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        sent = time.monotonic()
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert time.monotonic() - sent < 15, "the process did not stop promptly"
    assert proc.returncode == 128 + sig.value, (proc.returncode, stderr)
    assert "Traceback" not in stderr, stderr
    assert "interrupted" in stderr and len(stderr.strip().splitlines()) <= 2, stderr
    until = time.monotonic() + 10
    while any(running(w) for w in workers) and time.monotonic() < until:
        time.sleep(0.05)
    assert not [w for w in workers if running(w)], "worker processes left running"
    return stderr


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_same_files(got: Path, want: Path) -> None:
    """Every file byte-identical, the manifest apart from when and how it was written."""
    assert listing(got) == listing(want)
    for name in listing(want):
        if name == "manifest.json":
            a, b = (json.loads((d / name).read_text(encoding="utf-8")) for d in (got, want))
            for key in MANIFEST_VOLATILE:
                a.pop(key)
                b.pop(key)
            assert a == b
        else:
            assert (got / name).read_bytes() == (want / name).read_bytes(), name


def reference(args: list[str], out: Path) -> Path:
    """The same command, uninterrupted, in this process with one worker."""
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    return out


# Each case: the command's arguments after the subcommand's name, and the scenario files.
CASES = {
    "run": (["run", "{a}"], "SIGINT"),
    "compare": (["compare", "{a}", "{b}"], "SIGTERM"),
    "sweep": (
        ["sweep", "{a}", "--vary", "staffing.groups.0.schedule.agents=58,62"],
        "SIGINT",
    ),
    "staff": (
        [
            "staff",
            "{a}",
            "--target",
            "phone.service_level>=0.8",
            "--overall",
            "--set",
            "replications=4",
        ],
        "SIGTERM",
    ),
}


@PROCESSES
@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(CASES))
def test_interrupted_command_leaves_nothing_and_resumes_identically(
    command: str, tmp_path: Path
) -> None:
    template, sig_name = CASES[command]
    sig = signal.Signals[sig_name]
    a = write(tmp_path / "heavy.yaml", heavy())
    b = write(tmp_path / "more.yaml", {**heavy(agents=64), "name": "more"})
    args = [x.format(a=a, b=b) for x in template]
    work = tmp_path / "work"
    work.mkdir()
    # run writes its default folder under outputs/, the others into --out
    outputs = work / "outputs"
    out = work / "out"
    cmd = [*args, "--workers", "2", "--quiet"]
    if command != "run":
        cmd += ["--out", str(out)]
    cache_root = outputs if command == "run" else work

    interrupt(cmd, work, cache_root, sig)
    # no folder, no temporary folder: only the finished replications
    if command == "run":
        assert listing(work) == ["outputs"]
        assert listing(outputs) == [".promosim-cache"]
    else:
        assert listing(work) == [".promosim-cache"]
    n_cached = len(cached(cache_root))

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    rerun = subprocess.run(
        [*PROMOSIM, *cmd], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    resumed = [ln for ln in rerun.stderr.splitlines() if ln.startswith("resumed: ")]
    assert resumed and int(resumed[0].split()[1]) >= n_cached, rerun.stderr
    if command == "run":  # the cache is cleared once the folder is written
        assert listing(outputs) == ["heavy"]
        (got,) = (outputs / "heavy").iterdir()
    else:
        assert listing(work) == ["out"]
        got = out

    want = reference(args, tmp_path / "reference" / "out")
    assert_same_files(got, want)


# --------------------------------------------------------------------------- nothing overwritten

runner = CliRunner()

COMMANDS = {
    "run": ["run", "{a}"],
    "compare": ["compare", "{a}", "{b}"],
    "sweep": ["sweep", "{a}", "--vary", "staffing.groups.0.schedule.agents=3,4"],
    "staff": ["staff", "{a}", "--target", "phone.service_level>=0.5", "--overall"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_into_a_taken_folder_needs_force_which_replaces_it_whole(
    command: str, tmp_path: Path
) -> None:
    a = write(tmp_path / "tiny.yaml", tiny_scenario())
    b = write(tmp_path / "b.yaml", tiny_scenario(name="b", seed=8))
    args = [x.format(a=a, b=b) for x in COMMANDS[command]]
    out = tmp_path / "out"
    first = runner.invoke(app, [*args, "--out", str(out), "--workers", "1", "--quiet"])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (out / "stale.txt").write_text("from an older run")

    refused = runner.invoke(app, [*args, "--out", str(out), "--workers", "1", "--quiet"])
    assert refused.exit_code == 2, refused.output
    assert "not empty" in refused.output and "--force" in refused.output
    assert {p.name for p in out.iterdir() if p.is_file()} == {*before, "stale.txt"}

    forced = runner.invoke(app, [*args, "--out", str(out), "--workers", "1", "--quiet", "--force"])
    assert forced.exit_code == 0, forced.output
    now = {p.name for p in out.iterdir()}
    assert now == set(before)  # the old folder is gone as a whole, not written into
    assert listing(tmp_path) == ["b.yaml", "out", "tiny.yaml"]  # nothing left aside


def test_force_never_replaces_a_folder_promosim_did_not_write(tmp_path: Path) -> None:
    a = write(tmp_path / "tiny.yaml", tiny_scenario())
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("years of work")
    result = runner.invoke(app, ["run", str(a), "--out", str(mine), "--force", "--quiet"])
    assert result.exit_code == 2
    assert "left alone" in result.output
    assert listing(mine) == ["chapter1.tex"]


def test_force_never_replaces_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write(tmp_path / "tiny.yaml", tiny_scenario())
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(a), "--out", str(out), "--quiet"]).exit_code == 0
    monkeypatch.chdir(out)
    result = runner.invoke(app, ["run", str(a), "--out", ".", "--force", "--quiet"])
    assert result.exit_code == 2 and "working directory" in result.output
    assert "summary.json" in listing(out)


def test_default_folders_of_the_same_second_and_hash_never_collide(tmp_path: Path) -> None:
    target = tmp_path / "outputs" / "tiny" / "20261122-230000-abcdef12"
    got = [write_run(target, {"summary.json": f"{i}\n"}, unique=True) for i in range(3)]
    assert [p.name for p in got] == [target.name, f"{target.name}-2", f"{target.name}-3"]
    assert [(p / "summary.json").read_text() for p in got] == ["0\n", "1\n", "2\n"]


def test_a_default_folder_taken_at_the_last_moment_is_not_written_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "run"
    real_rename = os.rename

    def racing_rename(src: str | Path, dst: str | Path) -> None:
        # another process renames its complete folder into place just before this one
        if Path(dst) == target and not target.exists():
            target.mkdir()
            (target / "summary.json").write_text("theirs\n")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", racing_rename)
    got = write_run(target, {"summary.json": "mine\n"}, unique=True)
    assert got == tmp_path / "run-2"
    assert (target / "summary.json").read_text() == "theirs\n"
    assert (got / "summary.json").read_text() == "mine\n"


def test_an_interrupted_write_leaves_nothing_and_keeps_the_old_folder(tmp_path: Path) -> None:
    def interrupted(_tmp: Path) -> None:
        raise KeyboardInterrupt

    target = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        write_run(target, {"summary.json": "new\n"}, finish=interrupted)
    assert listing(tmp_path) == []
    write_run(target, {"manifest.json": MANIFEST, "summary.json": "old\n"})
    with pytest.raises(KeyboardInterrupt):
        write_run(target, {"summary.json": "new\n"}, force=True, finish=interrupted)
    assert listing(tmp_path) == ["run"]
    assert (target / "summary.json").read_text() == "old\n"
    write_run(target, {"summary.json": "new\n"}, force=True)
    assert listing(tmp_path) == ["run"] and listing(target) == ["summary.json"]
    assert (target / "summary.json").read_text() == "new\n"


def test_calibrate_out_needs_force_which_replaces_the_file(tmp_path: Path) -> None:
    from tests.test_calibrate import CONTACTS, ORDERS

    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    (tmp_path / "c.csv").write_text(CONTACTS, encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    mine = "# generated by promosim calibrate: an earlier fit\n"
    out.write_text(mine, encoding="utf-8")
    args = ["calibrate", "--orders", str(tmp_path / "o.csv"), "--contacts", str(tmp_path / "c.csv")]
    refused = runner.invoke(app, [*args, "--out", str(out)])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert out.read_text(encoding="utf-8") == mine
    forced = runner.invoke(app, [*args, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "orders" in yaml.safe_load(out.read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "c.csv",
        "fitted.report.html",
        "fitted.yaml",
        "o.csv",
    ]


def test_replications_cached_by_other_code_are_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arms: dict[Any, ReplicationMetrics] = {
        "promotion": ReplicationMetrics({"offered": 3}, np.zeros(2), {}, {})
    }
    cache = DiskCache(tmp_path, "hash")
    cache.put(0, arms)
    got = DiskCache(tmp_path, "hash").get(0)
    assert got is not None and got["promotion"].overall == {"offered": 3}
    outputs.code_fingerprint.cache_clear()
    monkeypatch.setattr(outputs, "__file__", str(tmp_path / "elsewhere" / "outputs.py"))
    assert outputs.code_fingerprint() != ""
    other = DiskCache(tmp_path, "hash")
    assert other.get(0) is None and other.hits == 0  # the model's code changed: run it again
    outputs.code_fingerprint.cache_clear()


def _killed_writer(code: str) -> None:
    """Run ``code`` (outputs' hidden-folder steps) in a process that is then SIGKILLed."""
    child = subprocess.Popen(
        [sys.executable, "-c", f"import os, signal, sys\n{code}\nos.kill(os.getpid(), 9)"],
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert child.wait(timeout=60) == -signal.SIGKILL


@PROCESSES
@pytest.mark.slow
def test_a_killed_command_leaves_hidden_folders_the_next_one_tidies(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "done").mkdir()
    (runs / "done" / "manifest.json").write_text("{}")
    # SIGKILL while writing, and while --force had the old folder moved aside
    _killed_writer(
        "from pathlib import Path\nfrom sim import outputs\n"
        f"runs = Path({str(runs)!r})\n"
        "tmp = outputs.hidden_folder(runs / 'new', 'tmp') / 'new'\n"
        "tmp.mkdir()\n"
        "Path(tmp, 'summary.json').write_text('{')\n"
        "aside = outputs.hidden_folder(runs / 'done', 'old')\n"
        "os.rename(runs / 'done', aside / 'done')",
    )
    hidden = sorted(p.name for p in runs.iterdir())
    assert len(hidden) == 2 and all(n.startswith(".") for n in hidden), hidden
    # a live process's hidden folders are never touched
    mine = outputs.hidden_folder(runs / "x", "tmp")
    done = outputs.clean_leftovers(runs)
    assert len(done) == 2, done
    assert any(line.startswith("removed") and ".tmp" in line for line in done)
    assert any(line.startswith(f"restored {runs / 'done'}") for line in done)
    assert sorted(p.name for p in runs.iterdir()) == sorted(["done", mine.name])
    assert (runs / "done" / "manifest.json").read_text() == "{}"
    assert outputs.clean_leftovers(runs) == []


@PROCESSES
@pytest.mark.slow
def test_the_next_run_says_what_it_tidied(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "a"
    out.parent.mkdir()
    _killed_writer(
        "from pathlib import Path\nfrom sim import outputs\n"
        f"outputs.hidden_folder(Path({str(out)!r}), 'tmp')",
    )
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(json.dumps(tiny_scenario()), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "notice: removed" in result.output
    assert [p.name for p in out.parent.iterdir()] == ["a"]
