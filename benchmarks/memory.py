"""Workload (d): peak memory of ``promosim run`` on the baseline scenario, by horizon.

Each run is a fresh child process (``python -m sim run configs/baseline.yaml --set
calendar.days=D --replications 1 --workers 1 --quiet --out TMP``) that reports its own peak
resident set (``VmHWM`` of ``/proc/self/status`` at exit): the whole command, imports,
demand, engine, metrics and report included. Not ``ru_maxrss`` of the child: on Linux it
keeps the high-water mark of the forked parent from before ``exec``, which would count this
process's memory too. Run once per horizon, and for the 90-day horizon once more
with ``--event-log`` if the command line has that option. The contacts and orders of each
run come from its ``summary.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.yaml"


# runs the command line in the child and writes its VmHWM (kB) to $PROMOSIM_BENCH_PEAK at exit
_CHILD = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["PROMOSIM_BENCH_PEAK"], "w") as f:
        f.write(kb)
atexit.register(_peak)
sys.argv = ["promosim", *sys.argv[1:]]
runpy.run_module("sim", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class Peak:
    """One run: horizon, peak resident memory (MB), contacts and orders it simulated."""

    days: float
    event_log: bool
    mb: float
    contacts: float
    orders: float
    seconds: float


def has_event_log() -> bool:
    """Whether ``promosim run`` has an ``--event-log`` option in this tree."""
    out = subprocess.run(
        [sys.executable, "-m", "sim", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    return "--event-log" in out.stdout


# runs one replication of the baseline (sim.experiment.run_arm: demand, engine, metrics; no
# command line, no files, no report) and writes its VmHWM (kB) and contacts
_SIMULATION = """
import json, os, sys
from pathlib import Path
from sim.experiment import run_arm
from sim.loading import load_scenario
scenario = load_scenario(Path(sys.argv[1]), sys.argv[2:]).scenario
m = run_arm(scenario, 0)
with open("/proc/self/status") as f:
    kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
with open(os.environ["PROMOSIM_BENCH_PEAK"], "w") as f:
    json.dump({"kb": float(kb), **{k: m.overall[k] for k in ("contacts", "orders")}}, f)
"""


def peak(days: float, event_log: bool = False, per_day: float | None = None) -> Peak:
    """Run the baseline scenario over ``days`` in a child process; its peak memory.

    ``per_day``: orders a day instead of the scenario's (more contacts, same intervals).
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        argv = [
            sys.executable,
            "-c",
            _CHILD,
            "run",
            str(BASELINE),
            "--set",
            f"calendar.days={days:g}",
            *(["--set", f"orders.per_day={per_day:g}"] if per_day is not None else []),
            "--replications",
            "1",
            "--workers",
            "1",
            "--quiet",
            "--out",
            str(out),
        ]
        if event_log:
            argv.append("--event-log")
        peak_file = Path(tmp) / "peak"
        env = {**os.environ, "PROMOSIM_BENCH_PEAK": str(peak_file)}
        child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise RuntimeError(f"promosim {' '.join(argv[3:])} failed: exit {child.returncode}")
        metrics = json.loads((out / "summary.json").read_text(encoding="utf-8"))["metrics"]
        kb = float(peak_file.read_text(encoding="utf-8"))
    return Peak(
        days=days,
        event_log=event_log,
        mb=kb / 1024.0,
        contacts=float(metrics["contacts"]["mean"]),
        orders=float(metrics["orders"]["mean"]) if "orders" in metrics else float("nan"),
        seconds=usage.ru_utime + usage.ru_stime,
    )


def simulation_peak(days: float, per_day: float | None = None) -> Peak:
    """Peak memory of the simulation alone: one replication in a fresh child process.

    What ``promosim run`` adds (files, the plotly report: both grow with the horizon's
    intervals, not its contacts) is left out.
    """
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        argv = [sys.executable, "-c", _SIMULATION, str(BASELINE), f"calendar.days={days:g}"]
        if per_day is not None:
            argv.append(f"orders.per_day={per_day:g}")
        env = {**os.environ, "PROMOSIM_BENCH_PEAK": str(peak_file)}
        child = subprocess.Popen(argv, cwd=ROOT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise RuntimeError(f"simulation of {days:g} days failed: exit {child.returncode}")
        got = json.loads(peak_file.read_text(encoding="utf-8"))
    return Peak(
        days=days,
        event_log=False,
        mb=got["kb"] / 1024.0,
        contacts=float(got["contacts"]),
        orders=float(got["orders"]),
        seconds=usage.ru_utime + usage.ru_stime,
    )


def slope_mb_per_100k(points: list[Peak], per: str = "contacts") -> float:
    """Least-squares growth of peak memory, MB per 100,000 contacts (or orders)."""
    xs = [float(getattr(p, per)) for p in points]
    ys = [p.mb for p in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return float("nan")
    sxy: float = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / sxx * 100_000
