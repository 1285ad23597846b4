"""Benchmark: demand generation for about a million orders.

Times :func:`sim.demand.generate` on a 20-day scenario with five contact reasons, five
customer types, two channels and a 第二件X元 promotion (with rule questions), sized so that
the promotion arm holds about 1,000,000 orders. Prints orders, contacts and the median
seconds per million orders over a few repeats, for each arm.

Run::

    .venv/bin/python benchmarks/bench_demand.py [--repeats 5] [--profile]

Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import statistics
import time
from typing import Any

from sim.config import Scenario
from sim.demand import Arm, generate
from sim.rng import Streams

START = dt.datetime(2026, 11, 2)
DAYS = 20
UPLIFT = 1.4
WINDOW_DAYS = 5
LEAD_IN_DAYS = 3
# ≈ 1,000,000 orders in the promotion arm, lead-in included
PER_DAY = round(1_000_000 / (DAYS + LEAD_IN_DAYS + (UPLIFT - 1) * WINDOW_DAYS))
MIX = {"chat": 0.85, "phone": 0.15}
# fmt: off
PROFILE = [1.5, 0.8, 0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 2.0, 4.0, 6.0, 6.0,
           4.0, 5.0, 6.0, 6.0, 6.0, 5.0, 5.0, 6.0, 8.0, 9.0, 8.0, 5.0]  # evening peak
# fmt: on


def _reason(name: str, rate: float, anchor: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "rate_per_order": rate, "anchor": anchor, "channel_mix": MIX, **fields}


def scenario(scale: float = 1.0) -> Scenario:
    """The benchmark scenario; ``scale`` multiplies the orders (1: about a million)."""
    return Scenario.model_validate(
        {
            "name": "bench-demand",
            "calendar": {"start": START, "days": DAYS},
            "seed": 20261102,
            "orders": {
                "per_day": float(PER_DAY) * scale,
                "intraday_profile": PROFILE,
                "weekday_factors": [1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1],
                "overdispersion_shape": 50.0,
                "lead_in_days": LEAD_IN_DAYS,
            },
            "contact_reasons": [
                _reason(
                    "wismo",
                    0.0125,
                    "expected_delivery",
                    only_if_undelivered=True,
                    handle_time_factor=0.6,
                ),
                _reason(
                    "returns",
                    0.03,
                    "delivery",
                    lag_hours={"dist": "lognormal", "median": 48, "sigma": 1.0},
                ),
                _reason("product_question", 0.02, "delivery"),
                _reason(
                    "presale",
                    0.04,
                    "order",
                    before_anchor=True,
                    lag_hours={"dist": "exponential", "mean": 1},
                ),
                _reason("shipping", 0.01, "ship", lag_hours={"dist": "gamma", "mean": 12, "cv": 1}),
            ],
            "promotion": {
                "kind": "second_item_discount",
                "start": START + dt.timedelta(days=5),
                "end": START + dt.timedelta(days=5 + WINDOW_DAYS),
                "order_uplift": UPLIFT,
                "rule_question_rate": 0.02,
                "bundle_clarity": "confusing",
            },
            "customers": {
                "types": {
                    "easygoing": {"share": 0.5, "patience_factor": 1.3, "handle_time_factor": 0.8},
                    "stubborn": {"share": 0.2, "handle_time_factor": 1.3},
                    "domineering": {"share": 0.1, "handle_time_factor": 1.5},
                    "vain": {"share": 0.1},
                    "irritable": {"share": 0.1, "patience_factor": 0.5},
                }
            },
            "channels": {
                "phone": {
                    "handle_time_seconds": {"dist": "lognormal", "mean": 300, "cv": 1.0},
                    "patience_seconds": {"dist": "exponential", "mean": 90},
                },
                "chat": {
                    "handle_time_seconds": {"dist": "lognormal", "mean": 240, "cv": 1.0},
                    "patience_seconds": {"dist": "exponential", "mean": 300},
                    "concurrency": 3,
                },
            },
            "staffing": {
                "groups": [
                    {
                        "name": "agents",
                        "channels": ["phone", "chat"],
                        "schedule": {"kind": "constant", "agents": 50},
                    }
                ]
            },
        }
    )


def measure(s: Scenario, arm: Arm, repeats: int) -> tuple[int, int, list[float]]:
    """Orders, contacts and seconds of ``repeats`` generations of one arm (replications 0, 1, …)."""
    seconds: list[float] = []
    orders = contacts = 0
    for r in range(repeats):
        t0 = time.perf_counter()
        demand = generate(s, Streams(s.seed, r), arm)
        seconds.append(time.perf_counter() - t0)
        orders, contacts = demand.order_seconds.size, len(demand.contacts)
    return orders, contacts, seconds


def bench(s: Scenario, arm: Arm, repeats: int) -> None:
    """Time ``repeats`` generations of one arm and print the median."""
    orders, contacts, seconds = measure(s, arm, repeats)
    median = statistics.median(seconds)
    per_million = median / orders * 1e6
    print(
        f"{arm:>9}: {orders:>9,} orders  {contacts:>7,} contacts  "
        f"median {median:6.3f} s  = {per_million:6.3f} s per million orders  "
        f"(runs: {', '.join(f'{x:.3f}' for x in seconds)})"
    )


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one promotion arm")
    args = parser.parse_args()
    s = scenario()
    print(
        f"per_day {PER_DAY:,} × {DAYS} days (+{LEAD_IN_DAYS} lead-in), "
        f"uplift {UPLIFT} on {WINDOW_DAYS} days"
    )
    generate(s, Streams(s.seed, 999))  # warm-up: imports, caches
    arms: tuple[Arm, ...] = ("promotion", "baseline")
    for arm in arms:
        bench(s, arm, args.repeats)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        generate(s, Streams(s.seed, 0))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
