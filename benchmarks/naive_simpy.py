"""A naive simpy M/M/c+M (Erlang A) model: the reference promosim's engine is timed against.

Written the way simpy's own bank-renege example does it: one process per contact, which
requests an agent from a ``simpy.Resource`` and waits for ``request | timeout(patience)``;
if the timeout fires first the customer abandons, otherwise it holds the agent for its
handle time. A source process creates the contacts at exponential interarrival times.

Inputs are drawn up front from a seeded numpy ``Generator`` (arrays, not one call per
contact), so the reference pays only for the simulation itself, and :func:`simulate` can be
given the very same contacts promosim sees (then both must give the same per-contact
answers, not only the same averages).

    .venv/bin/python benchmarks/naive_simpy.py [--contacts N] [--seed S] [--horizon SECONDS]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray


@dataclass(frozen=True)
class Inputs:
    """Per contact: arrival time, handle time and patience, seconds."""

    arrival: NDArray[np.float64]
    handle: NDArray[np.float64]
    patience: NDArray[np.float64]


@dataclass(frozen=True)
class Outputs:
    """Per contact: when an agent took it (``nan`` unless answered) and whether it abandoned.

    A contact neither answered nor abandoned was still waiting at the horizon.
    """

    answer: NDArray[np.float64]
    abandoned: NDArray[np.bool_]


def draw(
    contacts: int,
    rate_per_second: float,
    mean_handle: float,
    mean_patience: float,
    seed: int,
) -> Inputs:
    """``contacts`` Poisson arrivals with exponential handle time and patience."""
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1.0 / rate_per_second, contacts))
    handle = rng.exponential(mean_handle, contacts)
    patience = rng.exponential(mean_patience, contacts)
    return Inputs(arrival, handle, patience)


def simulate(inputs: Inputs, agents: int, horizon: float) -> Outputs:
    """Run the contacts through ``agents`` agents until ``horizon`` (seconds)."""
    env = simpy.Environment()
    counter = simpy.Resource(env, capacity=agents)
    n = inputs.arrival.size
    answer = np.full(n, np.nan)
    abandoned = np.zeros(n, dtype=bool)
    # plain lists: indexing numpy arrays from Python costs more than the lists
    arrival = inputs.arrival.tolist()
    handle = inputs.handle.tolist()
    patience = inputs.patience.tolist()

    def customer(i: int) -> Generator[simpy.Event, Any, None]:
        with counter.request() as req:
            results = yield req | env.timeout(patience[i])
            if req in results:
                answer[i] = env.now
                yield env.timeout(handle[i])
            else:
                abandoned[i] = True

    def source() -> Generator[simpy.Event, Any, None]:
        for i in range(n):
            yield env.timeout(arrival[i] - env.now)
            env.process(customer(i))

    env.process(source())
    env.run(until=horizon)
    return Outputs(answer, abandoned)


def main() -> None:
    """Time one run from the command line."""
    script(simulate, __doc__.splitlines()[0])


def script(run: Callable[[Inputs, int, float], Outputs], description: str) -> None:
    """The command line of a model's script: draw, ``run`` and time it, print the result.

    Shared by this reference and the benchmark's anchors (:mod:`benchmarks.bare_simpy`,
    :mod:`benchmarks.heapq_loop`).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--horizon", type=float, default=None, help="seconds (default: the last arrival's)"
    )
    args = parser.parse_args()
    rate = 48.0 / 300.0
    t0 = time.perf_counter()
    inputs = draw(args.contacts, rate, 300.0, 180.0, args.seed)
    horizon = float(inputs.arrival[-1]) + 1.0 if args.horizon is None else args.horizon
    out = run(inputs, args.agents, horizon)
    seconds = time.perf_counter() - t0
    print(
        f"{args.contacts:,} contacts in {seconds:.2f} s "
        f"({seconds / args.contacts * 1e6:.1f} µs per contact); "
        f"abandon rate {out.abandoned.mean():.4f}"
    )


if __name__ == "__main__":
    main()
