"""Replications: run a scenario's replications, serially or on a pool of worker processes.

A replication depends only on the scenario and its number (its random streams come from
``SeedSequence(seed, spawn_key=(replication, stream))``), so results are the same whatever
the number of workers or the order in which replications finish; they are always returned
in replication order.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from sim.center import simulate_center
from sim.config import Scenario
from sim.demand import direct_contacts
from sim.metrics import ReplicationMetrics, replication_metrics
from sim.rng import Streams
from sim.stats import Stat, summarise


def run_replication(scenario: Scenario, replication: int) -> ReplicationMetrics:
    """Simulate replication ``replication`` (from 0) of ``scenario``."""
    streams = Streams(scenario.seed, replication)
    contacts = direct_contacts(scenario, streams)
    result = simulate_center(scenario, contacts)
    return replication_metrics(scenario, contacts, result)


@dataclass(frozen=True)
class RunResult:
    """All replications of one scenario, in replication order, and their summary."""

    scenario: Scenario
    replications: list[ReplicationMetrics]

    @property
    def summary(self) -> dict[str, Stat]:
        """Every overall metric over replications: mean, ci95, sd, n."""
        return summarise(r.overall for r in self.replications)


def run_scenario(
    scenario: Scenario,
    *,
    workers: int = 1,
    on_done: Callable[[int], None] | None = None,
) -> RunResult:
    """Run every replication of ``scenario``.

    Args:
        scenario: The validated scenario.
        workers: Worker processes; 1 runs in this process.
        on_done: Called with the replication number as each one finishes (for progress).
    """
    n = scenario.replications
    results: list[ReplicationMetrics | None] = [None] * n
    if workers <= 1 or n == 1:
        for r in range(n):
            results[r] = run_replication(scenario, r)
            if on_done:
                on_done(r)
    else:
        # spawn: workers start clean, with no state inherited from the parent process
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, n), mp_context=ctx) as pool:
            futures = {pool.submit(run_replication, scenario, r): r for r in range(n)}
            for future in as_completed(futures):
                r = futures[future]
                results[r] = future.result()
                if on_done:
                    on_done(r)
    done = [r for r in results if r is not None]
    assert len(done) == n
    return RunResult(scenario, done)
