"""Parallel speed-up of a 64-run sweep (issue 5): target ≥ 0.8 × the number of workers.

A grid of 8 staffing levels × 8 arrival rates of a one-day, two-channel scenario, one
replication per point (64 runs), timed serially and on ``--workers`` processes in the same
run; the ratio is what counts, not the seconds. The results of both are checked equal.

    .venv/bin/python benchmarks/bench_sweep.py [--workers N] [--replications R]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

from sim.compare import plan_sweep, run_sweep
from sim.outputs import sweep_csv

SCENARIO = {
    "name": "bench-sweep",
    "calendar": {"days": 1, "interval_minutes": 30},
    "seed": 11,
    "replications": 1,
    "arrivals": [
        {"kind": "poisson", "channel": "phone", "contacts_per_hour": 240},
        {"kind": "poisson", "channel": "chat", "contacts_per_hour": 600},
    ],
    "channels": {
        "phone": {
            "handle_time_seconds": {"dist": "lognormal", "mean": 300, "cv": 1.0},
            "patience_seconds": {"dist": "exponential", "mean": 90},
        },
        "chat": {
            "handle_time_seconds": {"dist": "lognormal", "mean": 540, "cv": 1.0},
            "patience_seconds": {"dist": "exponential", "mean": 300},
            "concurrency": 3,
            "service_level_seconds": 180,
        },
    },
    "staffing": {
        "groups": [
            {
                "name": "hotline",
                "channels": ["phone"],
                "schedule": {"kind": "constant", "agents": 22},
            },
            {"name": "chat", "channels": ["chat"], "schedule": {"kind": "constant", "agents": 32}},
        ]
    },
}


def main() -> None:
    """Time the sweep serially and in parallel; print the speed-up per worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--replications", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.yaml"
        base.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
        varies = [
            "staffing.groups.0.schedule.agents=18:25:8",
            "arrivals.1.contacts_per_hour=400:750:8",
        ]
        plan = plan_sweep(base, [f"replications={args.replications}"], varies, "grid")
        assert len(plan.points) == 64
        timings = {}
        csv = {}
        for workers in (1, args.workers):
            t = time.perf_counter()
            result = run_sweep(plan, workers=workers)
            timings[workers] = time.perf_counter() - t
            csv[workers] = sweep_csv(result)
    assert csv[1] == csv[args.workers], "results differ between serial and parallel runs"
    speedup = timings[1] / timings[args.workers]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"64-run sweep, {args.replications} replication(s) per point")
    print(f"  serial:      {timings[1]:7.2f} s")
    print(f"  {args.workers} workers:   {timings[args.workers]:7.2f} s")
    print(
        f"  speed-up {speedup:.2f}× = {speedup / args.workers:.2f} × workers "
        f"(target ≥ 0.80) {'OK' if speedup >= 0.8 * args.workers else 'BELOW TARGET'}"
    )


if __name__ == "__main__":
    main()
