"""Workload (f): ``promosim staff`` on the bundled 第二件1元 scenario with two targets.

    .venv/bin/python -m benchmarks.bench_staff [--quick] [--workers N]

Times the command a manager types, in a child process (imports, the search, the fresh
checks, the roster and its check, the files and the report):

    promosim staff configs/second_item_1yuan.yaml
        --target 'chat.service_level>=0.9' --target 'phone.service_level>=0.8'

against two references, alternately, fastest of ``repeats`` each: ``promosim run`` of the
same scenario (both arms, the scenario's replications, the same workers), and the naive
simpy Erlang A script on :data:`PROBE_CONTACTS` contacts (``benchmarks.naive_simpy``), which
does not change when promosim gets faster. The target, 30 s on this machine, is held as a
multiple of that probe (:data:`PROBE_TARGET`): a loaded or slower host moves both alike,
and promosim's own speed-ups do not move the bar (they would if it were a multiple of
``run``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "configs" / "second_item_1yuan.yaml"
TARGETS = ("chat.service_level>=0.9", "phone.service_level>=0.8")
QUICK = (
    "--set",
    "calendar.start=2026-11-11T00:00:00",
    "--set",
    "calendar.days=1",
    "--replications",
    "2",
)
"""The smoke test: 11.11 alone, two replications (the search, its fresh check and the
roster all still run; their figures are not the benchmark's)."""

PROBE_CONTACTS = 200_000
"""Contacts of the host-speed probe: the naive simpy script, one process, about 5 s."""

PROBE_TARGET = 6.4
"""30 s as a multiple of the probe: the probe took 4.66 s (fastest of 3) on this machine on
2026-12-04, and 30 / 4.66 ≈ 6.4."""


@dataclass
class Measured:
    """Fastest wall-clock seconds of each command, and what the staff run did."""

    staff_seconds: float
    run_seconds: float
    probe_seconds: float
    simulations: int
    fresh_passed: bool
    roster_passed_where_covered: bool | None
    short_agent_hours: float

    @property
    def ratio(self) -> float:
        """Staff seconds ÷ run seconds."""
        return self.staff_seconds / self.run_seconds

    @property
    def probe_ratio(self) -> float:
        """Staff seconds ÷ probe seconds: the target's measure (:data:`PROBE_TARGET`)."""
        return self.staff_seconds / self.probe_seconds


def _timed(args: list[str], module: str = "sim") -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", module, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def measure(workers: int, *, quick: bool = False, repeats: int = 1) -> Measured:
    """Run staff and run alternately ``repeats`` times each; the fastest of each."""
    common = [*(QUICK if quick else ()), "--workers", str(workers), "--quiet"]
    staff_times: list[float] = []
    run_times: list[float] = []
    probe_times: list[float] = []
    probe = ["--contacts", str(PROBE_CONTACTS // 10 if quick else PROBE_CONTACTS), "--seed", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            out = Path(tmp) / f"staff{i}"
            targets = [x for t in TARGETS for x in ("--target", t)]
            staff_times.append(
                _timed(["staff", str(SCENARIO), *targets, *common, "--out", str(out)])
            )
            run_times.append(_timed(["run", str(SCENARIO), *common, "--out", f"{tmp}/run{i}"]))
            probe_times.append(_timed(probe, "benchmarks.naive_simpy"))
        info = json.loads((out / "staffing.json").read_text(encoding="utf-8"))
    roster = info.get("roster") or {}
    check = roster.get("check") or {}
    return Measured(
        staff_seconds=min(staff_times),
        run_seconds=min(run_times),
        probe_seconds=min(probe_times),
        simulations=int(info["simulations"]),
        fresh_passed=bool(info["fresh_check"]["passed"]),
        roster_passed_where_covered=check.get("passed_where_covered"),
        short_agent_hours=float(info["total_short_agent_hours"]),
    )


def stages(workers: int, *, quick: bool = False) -> list[tuple[str, int, float]]:
    """Where the same search's time goes: ``(stage, replications, seconds)`` per simulation.

    :func:`sim.staffing.staff` in this process on a pool of ``workers``, timed from the
    end of the previous simulation to the end of this one's last replication (the work in
    between, the Erlang start or the roster's booking, counts with the simulation after it;
    the pool's start with the first).
    """
    from sim.experiment import Runner
    from sim.loading import load_scenario
    from sim.staffing import parse_target, staff

    options = dict(zip(QUICK[::2], QUICK[1::2], strict=True)) if quick else {}
    sets = [v for flag, v in zip(QUICK[::2], QUICK[1::2], strict=True) if flag == "--set"]
    scenario = load_scenario(SCENARIO, sets if quick else []).scenario
    if "--replications" in options:
        scenario = scenario.model_copy(update={"replications": int(options["--replications"])})
    ends: dict[str, float] = {}
    counts: dict[str, int] = {}
    t0 = time.perf_counter()

    def done(stage: str, _: int, replications: int) -> None:
        ends[stage] = time.perf_counter() - t0
        counts[stage] = replications

    with Runner(workers=workers) as runner:
        staff(scenario, [parse_target(t) for t in TARGETS], runner=runner, on_done=done)
    out, before = [], 0.0
    for stage, end in ends.items():
        out.append((stage, counts[stage], end - before))
        before = end
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="11.11 alone, two replications")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    m = measure(args.workers, quick=args.quick, repeats=args.repeats)
    print(
        f"staff {m.staff_seconds:.1f} s ({m.simulations} simulations), run {m.run_seconds:.1f} s "
        f"({m.ratio:.2f}× a run), probe {m.probe_seconds:.2f} s ({m.probe_ratio:.2f}× the probe; "
        f"target ≤ {PROBE_TARGET:g}×, 30 s on this machine)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
