"""Replications and arms: run a scenario's replications, serially or on worker processes.

A replication depends only on the scenario and its number (its random streams come from
``SeedSequence(seed, spawn_key=(replication, stream))``), so results are the same whatever
the number of workers or the order in which replications finish; they are always returned
in replication order.

A scenario with a promotion runs two *arms* in every replication: ``promotion`` (the
scenario as written) and ``baseline`` (the same scenario without its promotion), on common
random numbers (see :mod:`sim.demand`). Their paired differences per replication give the
promotion's effect with a confidence interval much tighter than two independent runs.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from sim.center import simulate_center
from sim.config import Scenario, SecondItemDiscount
from sim.demand import Arm, generate
from sim.economics import break_even_miss_rate, miss_slope_second_item
from sim.metrics import ReplicationMetrics, replication_metrics
from sim.rng import Streams
from sim.stats import Stat, summarise

ARMS: tuple[Arm, ...] = ("promotion", "baseline")


def arms_of(scenario: Scenario) -> tuple[Arm, ...]:
    """The arms a scenario runs: both with a promotion, else just the scenario."""
    return ARMS if scenario.promotion is not None else ("promotion",)


def run_arm(scenario: Scenario, replication: int, arm: Arm = "promotion") -> ReplicationMetrics:
    """Simulate one arm of replication ``replication`` (from 0) of ``scenario``."""
    streams = Streams(scenario.seed, replication)
    demand = generate(scenario, streams, arm)
    result = simulate_center(scenario, demand.contacts, streams.issue)
    return replication_metrics(scenario, demand.contacts, result, demand)


def run_replication(scenario: Scenario, replication: int) -> dict[Arm, ReplicationMetrics]:
    """Every arm of one replication."""
    return {arm: run_arm(scenario, replication, arm) for arm in arms_of(scenario)}


def paired(a: list[ReplicationMetrics], b: list[ReplicationMetrics]) -> list[dict[str, float]]:
    """Per replication, the differences a − b of every overall metric both arms have."""
    return [
        {k: v - y.overall[k] for k, v in x.overall.items() if k in y.overall}
        for x, y in zip(a, b, strict=True)
    ]


def paired_daily(
    a: list[ReplicationMetrics], b: list[ReplicationMetrics]
) -> dict[str, NDArray[np.float64]]:
    """Per daily series, the replications × days matrix of differences a − b."""
    return {
        key: np.stack([x.daily[key] - y.daily[key] for x, y in zip(a, b, strict=True)])
        for key in a[0].daily
        if key in b[0].daily
    }


@dataclass(frozen=True)
class RunResult:
    """All replications of one scenario, per arm and in replication order."""

    scenario: Scenario
    arms: dict[Arm, list[ReplicationMetrics]]

    @property
    def replications(self) -> list[ReplicationMetrics]:
        """The scenario as written (the promotion arm)."""
        return self.arms["promotion"]

    @cached_property
    def summary(self) -> dict[str, Stat]:
        """Every overall metric of the scenario as written: mean, ci95, sd, n."""
        return summarise(r.overall for r in self.replications)

    @cached_property
    def baseline_summary(self) -> dict[str, Stat] | None:
        """The same for the baseline arm, if the scenario has a promotion."""
        if "baseline" not in self.arms:
            return None
        return summarise(r.overall for r in self.arms["baseline"])

    @cached_property
    def effect_summary(self) -> dict[str, Stat] | None:
        """Paired differences promotion − baseline, over replications."""
        if "baseline" not in self.arms:
            return None
        diffs = paired(self.arms["promotion"], self.arms["baseline"])
        for d, promo in zip(diffs, self.arms["promotion"], strict=True):
            d.update(_effect_figures(self.scenario, d, promo.overall))
        return summarise(diffs)


def _effect_figures(
    scenario: Scenario, diff: dict[str, float], promo: dict[str, float]
) -> dict[str, float]:
    """The operations view of one replication's paired difference (DESIGN §4 names)."""
    out: dict[str, float] = {}
    if "gross_profit_yuan" in diff:
        out["promo_gross_profit_yuan"] = diff["gross_profit_yuan"]
    if "net_yuan" in diff:
        out["net_impact_yuan"] = diff["net_yuan"]
    in_window = promo.get("orders_in_window", 0)
    if in_window and "service_cost_yuan" in diff:
        extra = diff["service_cost_yuan"] + diff.get("refunds_yuan", 0.0)
        out["service_cost_per_promo_order_yuan"] = extra / in_window
    promotion = scenario.promotion
    cost_key = "reason.price_difference.cost_per_issue_yuan"
    if isinstance(promotion, SecondItemDiscount) and cost_key in promo and "net_yuan" in diff:
        slope = miss_slope_second_item(
            scenario,
            in_window,
            promo[cost_key],
            promo["reason.price_difference.refund_share"],
        )
        root = break_even_miss_rate(
            net_at_current=diff["net_yuan"],
            miss_current=promotion.miss_rate,
            net_slope_per_miss=slope,
        )
        if root is not None:
            out["break_even_miss_rate"] = root
    return out


class ReplicationCache(Protocol):
    """Where finished replications are kept, so an interrupted run resumes (see outputs)."""

    def get(self, replication: int) -> dict[Arm, ReplicationMetrics] | None:
        """The replication's arms if it finished before, else None."""

    def put(self, replication: int, arms: dict[Arm, ReplicationMetrics]) -> None:
        """Keep a finished replication."""


Backend = Literal["local", "dask"]
"""Where replications run: a local process pool, or Dask distributed."""


def run_scenario(
    scenario: Scenario,
    *,
    workers: int = 1,
    on_done: Callable[[int], None] | None = None,
    backend: Backend = "local",
    address: str | None = None,
    cache: ReplicationCache | None = None,
) -> RunResult:
    """Run every replication (and arm) of ``scenario``.

    Results do not depend on the backend, the number of workers or the order replications
    finish in: replication r depends only on the scenario and r.

    Args:
        scenario: The validated scenario.
        workers: Worker processes (local) or workers of the LocalCluster (dask without an
            address); 1 runs locally in this process.
        on_done: Called with the replication number as each one finishes (for progress),
            cached ones included.
        backend: ``local`` (a process pool) or ``dask`` (the ``promosim[dask]`` extra).
        address: A Dask scheduler, ``tcp://host:port``; without it a LocalCluster.
        cache: Finished replications are taken from and given to it.
    """
    n = scenario.replications
    results: list[dict[Arm, ReplicationMetrics] | None] = [None] * n
    todo = []
    for r in range(n):
        hit = cache.get(r) if cache is not None else None
        if hit is not None:
            results[r] = hit
            if on_done:
                on_done(r)
        else:
            todo.append(r)

    def done(r: int, arms: dict[Arm, ReplicationMetrics]) -> None:
        results[r] = arms
        if cache is not None:
            cache.put(r, arms)
        if on_done:
            on_done(r)

    if backend == "dask":
        _run_dask(scenario, todo, workers, address, done)
    elif workers <= 1 or len(todo) <= 1:
        for r in todo:
            done(r, run_replication(scenario, r))
    else:
        # spawn: workers start clean, with no state inherited from the parent process
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx) as pool:
            futures = {pool.submit(run_replication, scenario, r): r for r in todo}
            for future in as_completed(futures):
                done(futures[future], future.result())
    finished = [r for r in results if r is not None]
    assert len(finished) == n
    return RunResult(scenario, {arm: [d[arm] for d in finished] for arm in arms_of(scenario)})


def _run_dask(
    scenario: Scenario,
    todo: list[int],
    workers: int,
    address: str | None,
    done: Callable[[int, dict[Arm, ReplicationMetrics]], None],
) -> None:
    """Run replications on Dask distributed: a scheduler at ``address``, or a LocalCluster."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as e:  # pragma: no cover - the optional extra is missing
        raise RuntimeError(
            "the dask backend needs the optional extra: pip install 'promosim[dask]'"
        ) from e
    cluster = (
        None
        if address
        else LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    )
    try:
        with Client(address or cluster) as client:
            futures = {
                client.submit(run_replication, scenario, r, pure=False, key=f"replication-{r}"): r
                for r in todo
            }
            for future in dask_completed(list(futures)):
                done(futures[future], future.result())
    finally:
        if cluster is not None:
            cluster.close()
