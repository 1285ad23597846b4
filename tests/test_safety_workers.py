"""Worker processes when things go wrong: a killed main process, a failing Dask cluster.

A main process killed by SIGKILL (the OOM killer's way) must not leave its workers, or
multiprocessing's resource tracker, running. A Dask cluster that loses its scheduler or
every worker, or cannot be reached, ends the run in bounded time with one line and exit 1,
the finished replications kept for the next run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sim.experiment import (
    DASK_TIMEOUT_ENV,
    ClusterError,
    _cluster_errors,
    _dask_timeout,
    _foreign_logs_quiet,
)
from tests.conftest import PROCESSES
from tests.test_interrupt import PROMOSIM, descendants, heavy, running, write

pytestmark = PROCESSES

LINUX = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def long_scenario(folder: Path) -> Path:
    """A scenario whose run lasts far longer than any of these tests waits."""
    return write(folder / "long.yaml", {**heavy(), "name": "long", "replications": 400})


def cached(work: Path) -> list[Path]:
    """Replications a command has finished (in a cache beside its output folder)."""
    return sorted(work.glob("**/.promosim-cache/*/rep-*"))


def start(args: list[str], work: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*PROMOSIM, *args],
        cwd=work,
        env=env or ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as from a terminal
    )


def wait_for(
    what: str, ready: Callable[[], object], proc: subprocess.Popen[str], seconds: float = 60
) -> None:
    """Poll ``ready()`` until true; fail if ``proc`` ends first or time runs out."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{what} did not happen in {seconds} s"
        time.sleep(0.05)


def workers_of(pid: int) -> list[int]:
    """``pid``'s descendants that multiprocessing spawned (pool or Dask worker processes)."""
    out = []
    for child in descendants(pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
    return out


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


COMMANDS = {
    "run": ["run", "{a}"],
    "compare": ["compare", "{a}", "{a}", "--out", "out"],
    "sweep": ["sweep", "{a}", "--vary", "staffing.groups.0.schedule.agents=58,62", "--out", "out"],
    "staff": ["staff", "{a}", "--target", "phone.service_level>=0.8", "--overall", "--out", "out"],
}
"""Every command that runs replications on worker processes, on a long scenario."""


@pytest.mark.slow
@LINUX
@pytest.mark.parametrize(
    ("command", "backend"), [*((c, "local") for c in COMMANDS), ("run", "dask")]
)
def test_sigkill_of_the_main_process_leaves_no_process_behind(
    command: str, backend: str, tmp_path: Path
) -> None:
    scenario = long_scenario(tmp_path)
    args = [x.format(a=scenario) for x in COMMANDS[command]]
    proc = start([*args, "--quiet", "--workers", "2", "--backend", backend], tmp_path)
    left: list[int] = []
    try:
        wait_for("a finished replication", lambda: cached(tmp_path), proc)
        wait_for("two workers", lambda: len(workers_of(proc.pid)) >= 2, proc)
        left = descendants(proc.pid)  # the workers and the resource tracker
        proc.kill()  # SIGKILL: no handler runs, nothing is cleaned up by the main process
        proc.wait()
        deadline = time.monotonic() + 10
        while any(running(p) for p in left) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [p for p in left if running(p)], "processes outlived the main one"
    finally:
        kill_all([proc.pid, *left])
        proc.communicate()


# --------------------------------------------------------------------------- Dask faults


Cluster = tuple[str, "subprocess.Popen[bytes]", list["subprocess.Popen[bytes]"]]


def daemon(module: str, *args: str) -> subprocess.Popen[bytes]:
    """``python -m module args`` in its own session, its output discarded."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2) -> Iterator[Cluster]:
    """A scheduler and ``workers`` workers (without nannies) on the loopback interface."""
    file = folder / "scheduler.json"
    scheduler = daemon(
        "distributed.cli.dask_scheduler",
        *("--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)),
    )
    started = [scheduler]
    try:
        deadline = time.monotonic() + 60
        address = ""
        while not address:
            assert scheduler.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
            with contextlib.suppress(OSError, ValueError, KeyError):
                address = json.loads(file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        pool = [
            daemon(
                "distributed.cli.dask_worker",
                address,
                *("--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"),
            )
            for _ in range(workers)
        ]
        started += pool
        yield address, scheduler, pool
    finally:
        for p in started:
            with contextlib.suppress(OSError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def failed_run(fault: str, tmp_path: Path) -> str:
    """``promosim run --address`` on a cluster that meets ``fault`` mid-run; its stderr."""
    scenario = long_scenario(tmp_path)
    env = {**ENV, "PROMOSIM_DASK_TIMEOUT": "3"}
    with dask_cluster(tmp_path) as (address, scheduler, pool):
        args = ["run", str(scenario), "--quiet", "--backend", "dask", "--address", address]
        proc = start(args, tmp_path, env)
        try:
            wait_for("a finished replication", lambda: cached(tmp_path), proc)
            for p in pool if fault == "workers" else [scheduler]:
                os.killpg(p.pid, signal.SIGKILL)
            _, stderr = proc.communicate(timeout=45)
        finally:
            kill_all([proc.pid])
            proc.communicate()
    assert proc.returncode == 1, stderr
    assert cached(tmp_path), "the finished replications were not kept"
    return stderr


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@LINUX
@pytest.mark.slow
def test_a_cluster_whose_workers_all_die_fails_in_one_line(tmp_path: Path) -> None:
    line = one_line(failed_run("workers", tmp_path))
    assert "no worker for 3 s" in line and "run the same command again" in line, line


@LINUX
@pytest.mark.slow
def test_a_lost_scheduler_fails_in_one_line(tmp_path: Path) -> None:
    line = one_line(failed_run("scheduler", tmp_path))
    assert "lost the connection to the Dask scheduler" in line, line


@pytest.mark.slow
@LINUX
def test_an_unreachable_scheduler_fails_in_bounded_time_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # 10 replications: fewer add a warning line (none runs: the scheduler is never reached)
    scenario = write(tmp_path / "tiny.yaml", {**heavy(), "replications": 10})
    env = {**ENV, "PROMOSIM_DASK_TIMEOUT": "2"}
    address = f"tcp://127.0.0.1:{port}"
    args = ["run", str(scenario), "--quiet", "--backend", "dask", "--address", address]
    proc = start(args, tmp_path, env)
    try:
        _, stderr = proc.communicate(timeout=60)
    finally:
        kill_all([proc.pid])
        proc.communicate()
    assert proc.returncode == 1, stderr
    line = one_line(stderr)
    assert f"cannot reach the Dask scheduler at {address} within 2 s" in line, line


def test_dask_failures_become_one_line_and_a_replications_own_error_does_not() -> None:
    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    last = type("WorkerState", (), {"address": "tcp://127.0.0.1:1"})()
    with pytest.raises(ClusterError, match=r"^the Dask workers running a replication died 3 "):
        with _cluster_errors("the LocalCluster"):
            raise KilledWorker("run_replication-0", last, 2)
    for lost in (CommClosedError("in <TCP>: Stream is closed"), TimeoutError("30 s")):
        with pytest.raises(ClusterError, match=r"^lost the connection to the LocalCluster$"):
            with _cluster_errors("the LocalCluster"):
                raise lost
    with pytest.raises(ZeroDivisionError), _cluster_errors("the LocalCluster"):
        raise ZeroDivisionError


def handlers_reached(name: str) -> list[logging.Handler]:
    """The handlers a record logged on ``name`` reaches (its logger's, then its parents')."""
    out: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        out += logger.handlers
        logger = logger.parent if logger.propagate else None
    return out


def test_dask_log_lines_stay_off_the_console_and_are_given_back() -> None:
    import distributed  # noqa: F401 - sets up its loggers' console handler

    names = ["distributed.client", "distributed.comm.tcp", "tornado.application", "asyncio"]
    before = {n: handlers_reached(n) for n in names}
    assert any(isinstance(h, logging.StreamHandler) for h in before["distributed.client"])
    with _foreign_logs_quiet():
        for name in names:
            reached = handlers_reached(name)
            # a record no handler takes would go to logging.lastResort, i.e. stderr
            assert reached and all(isinstance(h, logging.NullHandler) for h in reached), name
    assert {n: handlers_reached(n) for n in names} == before


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "inf", "nan"])
def test_a_bad_dask_timeout_in_the_environment_is_refused(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DASK_TIMEOUT_ENV, raw)
    with pytest.raises(ValueError, match=DASK_TIMEOUT_ENV):
        _dask_timeout()
    monkeypatch.setenv(DASK_TIMEOUT_ENV, "2.5")
    assert _dask_timeout() == 2.5


ORPHAN = """
import asyncio, atexit, gc
import sim.cli as cli
from sim.experiment import ClusterError

def app():
    raise ClusterError("the Dask cluster has had no worker for 3 s")

async def orphan():  # as Dask's gather leaves one behind: failed, never awaited
    raise RuntimeError("AllExit")

loop = asyncio.new_event_loop()
left = [loop.create_task(orphan())]
loop.run_until_complete(asyncio.sleep(0))

def collect():  # the task is collected after main() has printed its line
    left.clear()
    gc.collect()

atexit.register(collect)
cli.app = app
cli.main()
"""


def test_a_cluster_failure_stays_one_line_when_a_task_dask_left_fails_at_exit() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", ORPHAN], env=ENV, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    line = one_line(proc.stderr)
    assert line.startswith("promosim: the Dask cluster has had no worker for 3 s."), line
