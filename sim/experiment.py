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

import contextlib
import dataclasses
import hashlib
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from sim.center import stream_center
from sim.config import Scenario
from sim.demand import Arm, Contacts, DemandStream, OrderTally, orders_by_day
from sim.eventlog import ContactLines, EventLog, order_lines
from sim.mechanics import mechanic_of
from sim.metrics import ReplicationMetrics, Tally
from sim.rng import Streams
from sim.stats import Stat, summarise
from sim.worksize import estimate

ARMS: tuple[Arm, ...] = ("promotion", "baseline")


def arms_of(scenario: Scenario) -> tuple[Arm, ...]:
    """The arms a scenario runs: both with a promotion, else just the scenario."""
    return ARMS if scenario.promotion is not None else ("promotion",)


def run_arm(
    scenario: Scenario, replication: int, arm: Arm = "promotion", memo: DemandMemo | None = None
) -> ReplicationMetrics:
    """Simulate one arm of replication ``replication`` (from 0) of ``scenario``.

    Streamed: orders are drawn a day at a time, the contact centre runs a day at a time and
    hands out the issues that are over (:func:`sim.center.stream_center`), and the metrics
    count them as they come, so memory holds what is going on (queues, agents, open issues,
    contacts drawn but not yet arrived), not the horizon's orders and contacts.

    With ``memo``, the arm's demand is taken from it when an earlier simulation in this
    process drew it (same scenario but for its staffing, same seed, replication and arm),
    and kept there otherwise: the same contacts, not drawn again (see :class:`DemandMemo`).
    """
    return _tallied((scenario,), replication, arm, memo)[0]


TALLY_ONLY: frozenset[str] = frozenset({"economics", "satisfaction"})
"""Scenario sections that neither the demand nor the contact centre reads, only the tally
(money and the customer's view): scenarios that differ in nothing else simulate the same
orders and contacts, with the same fates, in every replication."""


def simulated_key(scenario: Scenario) -> str:
    """What a replication simulates, as a hash: the scenario but for :data:`TALLY_ONLY`.

    Two scenarios of the same key (and seed, which the key holds) give the same contacts
    and outcomes in replication r, whatever their money or satisfaction parameters; their
    replications are simulated once and tallied for each (:func:`run_replications`).
    """
    text = scenario.model_dump_json(exclude={*TALLY_ONLY, "replications"})
    return hashlib.sha256(text.encode()).hexdigest()


def demand_key(scenario: Scenario) -> str:
    """What a replication's demand draws from, as a hash: also without the ``staffing``.

    No order or contact depends on the agents (:class:`DemandMemo` relies on it too):
    scenarios of one key draw the same demand in replication r, and a task running
    several of them draws it once (:func:`run_replications`).
    """
    text = scenario.model_dump_json(exclude={*TALLY_ONLY, "staffing", "replications"})
    return hashlib.sha256(text.encode()).hexdigest()


def _tallied(
    scenarios: Sequence[Scenario], replication: int, arm: Arm, memo: DemandMemo | None
) -> list[ReplicationMetrics]:
    """:func:`run_arm` of scenarios of one :func:`simulated_key`: one simulation, a tally each.

    The first scenario's demand and contact centre run; every scenario's own tally counts
    each result handed out (a tally reads its results and never writes to them).
    """
    scenario = scenarios[0]
    streams = Streams(scenario.seed, replication)
    demand: DemandStream | _Replay = (
        DemandStream(scenario, streams, arm)
        if memo is None
        else memo.demand(scenario, replication, arm)
    )
    tallies = [Tally(s) for s in scenarios]
    for result in stream_center(scenario, demand.take, streams.issues, named=streams):
        for tally in tallies:
            tally.add(result)
    # the last result carries the agents' overtime
    return [t.finish(result, demand.orders, demand.promotion_active) for t in tallies]


class _Replay:
    """An arm's whole demand handed out again as :class:`DemandStream` hands it out.

    ``take(before)`` gives the contacts arriving before ``before`` not handed out yet: the
    stream's takes partition its contacts by arrival time, so a bisection of the whole,
    sorted, gives the same pieces. Each piece is a copy: the engine may write to its input.
    """

    def __init__(
        self, contacts: Contacts, orders: OrderTally | None, promotion_active: bool
    ) -> None:
        self._contacts = contacts
        self._arrays = [
            f.name
            for f in dataclasses.fields(contacts)
            if isinstance(getattr(contacts, f.name), np.ndarray)
        ]
        self._orders = orders
        self.promotion_active = promotion_active
        self._at = 0

    def take(self, before: float) -> Contacts:
        c = self._contacts
        end = int(np.searchsorted(c.arrival_seconds, before, side="left"))
        a, self._at = self._at, max(self._at, end)
        return dataclasses.replace(
            c, **{name: getattr(c, name)[a : self._at].copy() for name in self._arrays}
        )

    @property
    def orders(self) -> OrderTally | None:
        o = self._orders
        return None if o is None else dataclasses.replace(o, per_day=o.per_day.copy())

    def again(self) -> _Replay:
        """The same demand, handed out again from its start."""
        return _Replay(self._contacts, self._orders, self.promotion_active)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self._contacts, name).nbytes for name in self._arrays)


class DemandMemo:
    """Arms' demand kept in one process, for simulations that differ only in their staffing.

    ``staff`` simulates one scenario many times with other agents on the same seed (common
    random numbers): the orders and contacts are the same every time, and drawing them is
    about a third of a replication. The memo keeps each arm's whole demand under a key of
    the scenario without its ``staffing`` and ``replications`` (nothing the demand reads),
    its seed, the replication and the arm, and hands it out again through :class:`_Replay`:
    the same contacts bit for bit. Least recently used entries go beyond ``max_bytes``.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple[str, int, str], _Replay] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def demand(self, scenario: Scenario, replication: int, arm: Arm) -> _Replay:
        """The arm's demand: kept, or drawn whole now (and kept if it fits)."""
        key = (demand_key(scenario), replication, arm)
        kept = self._kept.get(key)
        if kept is not None:
            self.hits += 1
            self._kept.move_to_end(key)
            return kept.again()
        self.misses += 1
        stream = DemandStream(scenario, Streams(scenario.seed, replication), arm)
        drawn = _Replay(stream.take(math.inf), stream.orders, stream.promotion_active)
        if drawn.nbytes <= self.max_bytes:
            self._kept[key] = drawn
            while sum(r.nbytes for r in self._kept.values()) > self.max_bytes:
                self._kept.popitem(last=False)
        return drawn.again()


def event_log_of(scenario: Scenario, replication: int = 0, arm: Arm = "promotion") -> EventLog:
    """The orders and contacts of one arm of one replication, as calibrate's CSV files.

    The replication is simulated again here, in the calling process, rather than carried
    back from the workers: a run without ``--event-log`` keeps nothing per order or contact,
    and the log is the same whatever the number of workers (replication r depends only on
    the scenario and r). Each file is made as it is written, streamed like a replication
    (orders a day at a time; contacts as the engine hands out issues that are over), so
    the log of a long run is never held whole.
    """
    active = arm == "promotion" and scenario.promotion is not None

    def orders() -> Iterator[str]:
        streams = Streams(scenario.seed, replication)
        yield from order_lines(scenario, orders_by_day(scenario, streams, arm), active, streams)

    def contacts() -> Iterator[str]:
        lines = ContactLines(scenario, Streams(scenario.seed, replication))
        yield lines.header()
        streams = Streams(scenario.seed, replication)
        demand = DemandStream(scenario, streams, arm)

        def take(before: float) -> Contacts:
            return lines.inputs(demand.take(before))

        for result in stream_center(scenario, take, streams.issues, named=streams):
            yield lines.add(result)
        yield lines.close()

    return EventLog(orders, contacts)


def run_replication(
    scenario: Scenario,
    replication: int,
    arms: tuple[Arm, ...] | None = None,
    memo: DemandMemo | None = None,
) -> dict[Arm, ReplicationMetrics]:
    """The arms (by default every arm) of one replication; a worker's unit of work.

    ``memo``: where the arms' demand is kept and taken from (see :func:`run_arm`).
    """
    return run_replications((scenario,), replication, arms, memo)[0]


def run_replications(
    scenarios: Sequence[Scenario],
    replication: int,
    arms: tuple[Arm, ...] | None = None,
    memo: DemandMemo | None = None,
) -> list[dict[Arm, ReplicationMetrics]]:
    """:func:`run_replication` of each scenario, all of one :func:`demand_key`.

    Each arm's demand is drawn once; the contact centre runs once per
    :func:`simulated_key` among them (staffing variants each run their own), and every
    scenario's own tally counts its results: the same metrics, bit for bit, as a
    replication of each alone.
    """
    groups: dict[str, list[int]] = {}
    for k, s in enumerate(scenarios):
        groups.setdefault(simulated_key(s) if len(scenarios) > 1 else "", []).append(k)
    out: list[dict[Arm, ReplicationMetrics]] = [{} for _ in scenarios]
    for arm in arms or arms_of(scenarios[0]):
        # this arm's demand drawn once for the staffing variants, let go after them
        shared = memo if memo is not None or len(groups) == 1 else DemandMemo()
        for members in groups.values():
            group = [scenarios[k] for k in members]
            for k, m in zip(members, _tallied(group, replication, arm, shared), strict=True):
                out[k][arm] = m
    return out


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
    """The operations view of one replication's paired difference (docs/metrics.md names)."""
    out: dict[str, float] = {}
    if "gross_profit_yuan" in diff:
        out["promo_gross_profit_yuan"] = diff["gross_profit_yuan"]
    if "net_yuan" in diff:
        out["net_impact_yuan"] = diff["net_yuan"]
    if "hard_net_yuan" in diff:
        out["hard_net_impact_yuan"] = diff["hard_net_yuan"]
    in_window = promo.get("orders_in_window", 0)
    if in_window and "service_cost_yuan" in diff:
        extra = diff["service_cost_yuan"] + diff.get("refunds_yuan", 0.0)
        out["service_cost_per_promo_order_yuan"] = extra / in_window
    if scenario.promotion is not None:  # the mechanic's own figures (第二件X元: break-even)
        out.update(mechanic_of(scenario.promotion).effect_figures(scenario, diff, promo))
    return out


class ReplicationCache(Protocol):
    """Where finished replications are kept, so an interrupted run resumes (see outputs)."""

    def get(self, replication: int) -> dict[Arm, ReplicationMetrics] | None:
        """The replication's arms if it finished before, else None."""

    def put(self, replication: int, arms: dict[Arm, ReplicationMetrics]) -> None:
        """Keep a finished replication."""


Backend = Literal["local", "dask"]
"""Where replications run: a local process pool, or Dask distributed."""


Job = tuple[Scenario, tuple[Arm, ...]]
"""A scenario and the arms to run of each of its replications."""

SHARED_DEMAND_CONTACTS = 300_000
"""Contacts a replication may hold (:func:`sim.worksize.estimate`) for its staffing
variants to share one draw of its demand: the task holds that draw whole while they run
(≈ 170 bytes a contact, so ≈ 50 MB at most), where a replication alone streams it."""

_Task = tuple[tuple[int, ...], int]
"""Jobs (their indices) whose replication r (the second item) runs as one task."""


def _shared(jobs: Sequence[Job], todo: Sequence[tuple[int, int]], workers: int = 1) -> list[_Task]:
    """The ``(job, replication)`` pairs to run, grouped where one task serves several.

    Jobs of one :func:`demand_key` and the same arms share replication r's demand (up to
    :data:`SHARED_DEMAND_CONTACTS`), and those also of one :func:`simulated_key` its
    simulation (a sweep of staffing draws the orders once a replication; one of a money or
    satisfaction parameter simulates once).
    While there are fewer tasks than ``workers``, the largest splits between its
    simulations, so the cores stay busy. Tasks come in the order of their first pair.
    """
    if len(jobs) <= 1:
        return [((j,), r) for j, r in todo]
    simulated = [simulated_key(s) for s, _ in jobs]
    demand = [
        demand_key(s) if estimate(s).contacts <= SHARED_DEMAND_CONTACTS else simulated[j]
        for j, (s, _) in enumerate(jobs)
    ]
    groups: dict[tuple[str, tuple[Arm, ...], int], dict[str, list[int]]] = {}
    for j, r in todo:
        group = groups.setdefault((demand[j], jobs[j][1], r), {})
        group.setdefault(simulated[j], []).append(j)
    tasks = [(list(g.values()), r) for (_, _, r), g in groups.items()]
    while len(tasks) < workers:
        k = max(range(len(tasks)), key=lambda i: len(tasks[i][0]), default=-1)
        if k < 0 or len(tasks[k][0]) < 2:
            break
        parts, r = tasks[k]
        half = len(parts) // 2
        tasks[k : k + 1] = [(parts[:half], r), (parts[half:], r)]
    return [(tuple(j for part in parts for j in part), r) for parts, r in tasks]


CacheFor = Callable[[Scenario, tuple[Arm, ...]], ReplicationCache | None]
"""Gives the cache of a job (or None): finished replications are kept there."""


def _start_worker() -> None:
    """A pool worker's initializer: Ctrl-C left to the main process; exit when it is gone."""
    _ignore_sigint()
    _watch_parent()


def _ignore_sigint() -> None:
    """In a worker: leave Ctrl-C to the main process, which stops the workers itself.

    A terminal sends SIGINT to the whole process group; a worker would otherwise die with a
    traceback of its own. Workers start with SIGINT blocked (see :func:`_sigint_blocked`),
    so one that arrives while a worker starts up is discarded here, not raised.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


PARENT_CHECK_SECONDS = 0.5
"""How often a pool worker's watchdog looks for its parent besides waiting on its pipe."""


def _parent_gone(wait: float = 0.0) -> bool:
    """Whether this worker's parent (the main process) has ended; waits up to ``wait`` s.

    A spawned worker holds the read end of a pipe whose write end only the parent holds
    (``multiprocessing.parent_process().sentinel``): it becomes ready when the parent
    dies, however it dies (SIGKILL, the OOM killer). A changed parent pid (the worker
    handed to init or a subreaper) is checked too, in case the pipe is not there.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child: nothing to watch
        return False
    if multiprocessing.connection.wait([parent.sentinel], timeout=wait):
        return True
    return parent.pid is not None and os.getppid() != parent.pid


def _watch_parent() -> None:
    """In a worker: a daemon thread ends the process at once when the main process is gone.

    Without it, a main process killed by SIGKILL leaves its workers (and, through them,
    multiprocessing's resource tracker) running their replications and then waiting for
    work for ever. ``os._exit``: nothing of the worker's is worth cleaning up.
    """

    def watch() -> None:
        while not _parent_gone(PARENT_CHECK_SECONDS):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="promosim-parent-watch", daemon=True).start()


_WORKER_MEMO: DemandMemo | None = None
"""A pool worker's demand memo, made at its first replication asking for one; it goes
with the worker (the pool ends with its :class:`Runner`)."""


def _pool_replications(
    scenarios: tuple[Scenario, ...],
    replication: int,
    arms: tuple[Arm, ...],
    memo: bool = False,
) -> list[dict[Arm, ReplicationMetrics]]:
    """:func:`run_replications` in a pool worker, which first checks its parent is alive."""
    global _WORKER_MEMO
    if _parent_gone():
        os._exit(1)
    if memo and _WORKER_MEMO is None:
        _WORKER_MEMO = DemandMemo()
    return run_replications(scenarios, replication, arms, _WORKER_MEMO if memo else None)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Hold SIGINT back in this thread (and in processes started meanwhile), then deliver it."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


THREAD_LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""Thread pools of numpy's linear-algebra libraries, set to 1 in worker processes."""


@contextlib.contextmanager
def _single_threaded_children() -> Iterator[None]:
    """Processes started meanwhile get one BLAS/OpenMP thread each (unless the user chose).

    Each replication is one thread of work; a pool of worker processes that each start a
    BLAS thread per core oversubscribes the cores (measured: a 64-run sweep on 2 workers
    went from 0.62 to 0.85 × workers). The variables are read when numpy is imported, so
    they must be in the children's environment from the start; this process keeps its own.
    """
    added = [k for k in THREAD_LIMITS if k not in os.environ]
    for k in added:
        os.environ[k] = "1"
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


DASK_TIMEOUT_SECONDS = 30.0
"""How long a Dask run waits to reach its scheduler, and for a worker when none is left."""

DASK_TIMEOUT_ENV = "PROMOSIM_DASK_TIMEOUT"
"""Environment variable that replaces :data:`DASK_TIMEOUT_SECONDS` (seconds)."""

FOREIGN_LOGGERS = ("distributed", "tornado", "bokeh", "asyncio")
"""Libraries under Dask whose log lines (and tracebacks) would otherwise reach the console."""


class ClusterError(RuntimeError):
    """The Dask cluster failed: scheduler unreachable or lost, no workers, workers killed.

    The message is one line. Replications finished before the failure are in the cache.
    """


@contextlib.contextmanager
def _foreign_logs_quiet() -> Iterator[None]:
    """Dask's loggers write nowhere meanwhile; they are given back as they were.

    A lost scheduler makes the client log a 35-line traceback to stderr before the run can
    say in one line what happened; the failure is reported as a :class:`ClusterError`.
    """
    manager = logging.Logger.manager
    names = {
        name
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
        and logger.handlers
        and name.split(".")[0] in FOREIGN_LOGGERS
    }
    saved = []
    for name in sorted(names | set(FOREIGN_LOGGERS)):
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers, logger.propagate))
        # a NullHandler, not none: a record no handler takes goes to stderr (lastResort)
        logger.handlers = [logging.NullHandler()]
        logger.propagate = False
    try:
        yield
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers = handlers
            logger.propagate = propagate


def silence_foreign_logs() -> None:
    """Dask's (and asyncio's) loggers write nowhere for the rest of the process.

    For a command that has failed on a :class:`ClusterError` and is about to exit: a gather
    timed out while the worker holding a result was lost leaves one of Dask's internal
    tasks behind (``distributed.utils.All`` does not cancel its children), and that task
    fails with ``AllExit`` when the client closes. asyncio logs it, with a traceback, as
    "Task exception was never retrieved" whenever the task is collected, which may be at
    interpreter exit, after :class:`Runner` has given the loggers back.
    """
    for name in FOREIGN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [logging.NullHandler()]
        logger.propagate = False


class _NoWorkers:
    """Raises :class:`ClusterError` once the cluster has had no worker for ``timeout`` s.

    A scheduler whose workers have all died keeps the tasks and waits for workers for ever;
    asked at most once a second (one message to the scheduler).
    """

    def __init__(self, client: Any, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        self.since: float | None = None
        self.next_check = 0.0

    def check(self) -> None:
        now = time.monotonic()
        if now < self.next_check:
            return
        self.next_check = now + min(1.0, self.timeout / 4)
        if sum(self.client.nthreads().values()) > 0:
            self.since = None
        elif self.since is None:
            self.since = now
        elif now - self.since >= self.timeout:
            raise ClusterError(f"the Dask cluster has had no worker for {self.timeout:g} s")


def _dask_timeout() -> float:
    """:data:`DASK_TIMEOUT_SECONDS`, or the environment's :data:`DASK_TIMEOUT_ENV`."""
    raw = os.environ.get(DASK_TIMEOUT_ENV)
    if raw is None:
        return DASK_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ValueError(f"{DASK_TIMEOUT_ENV}={raw!r} is not a positive number of seconds")
    return value


class Runner:
    """Runs jobs' replications on one backend, kept open across calls (staff iterates).

    ``local`` with one worker runs in this process; with more, on a pool of spawned
    processes; ``dask`` on a LocalCluster of ``workers`` processes or the scheduler at
    ``address``. A replication depends only on its scenario and number, so the results
    are the same on every backend and in any order.

    Pool workers exit by themselves when this process dies (even by SIGKILL), and so do a
    LocalCluster's (Dask's worker processes watch their nanny, which runs in this
    process). A Dask run fails with a one-line :class:`ClusterError` if the scheduler
    cannot be reached or is lost, or the cluster has no worker for ``dask_timeout``
    seconds (default :data:`DASK_TIMEOUT_SECONDS`, or :data:`DASK_TIMEOUT_ENV`);
    Dask's own log lines stay off the console while the run is open.
    """

    def __init__(
        self,
        *,
        workers: int = 1,
        backend: Backend = "local",
        address: str | None = None,
        cache_for: CacheFor | None = None,
        dask_timeout: float | None = None,
    ) -> None:
        self.workers = workers
        self.backend = backend
        self.address = address
        self.cache_for = cache_for
        self.dask_timeout = dask_timeout
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._cluster: Any = None
        self._quiet = contextlib.ExitStack()
        self._memo: DemandMemo | None = None
        """The demand memo of replications run in this process (one worker)."""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(abort=exc_type is not None)

    def close(self, abort: bool = False) -> None:
        """Shut the pool or the Dask client and cluster down.

        With ``abort`` (an interruption or a failure), the local workers are terminated at
        once instead of finishing the replications they hold: nothing is left running.
        """
        if self._pool is not None:
            if abort:
                workers = list((self._pool._processes or {}).values())
                manager: threading.Thread | None = getattr(
                    self._pool, "_executor_manager_thread", None
                )
                self._pool.shutdown(wait=False, cancel_futures=True)
                for process in workers:
                    process.terminate()
                for process in workers:
                    process.join(timeout=10)
                # let the pool's manager thread close its wake-up pipe now: at interpreter exit
                # Python 3.11 would race it, writing to the closed pipe ("Exception ignored …
                # Bad file descriptor" with a traceback after the one-line message)
                if manager is not None:
                    manager.join(timeout=10)
            else:
                self._pool.shutdown(cancel_futures=True)
            self._pool = None
        self._memo = None
        try:
            if self._client is not None:
                client, self._client = self._client, None
                with contextlib.suppress(OSError, TimeoutError, CancelledError):
                    client.close()
            if self._cluster is not None:
                cluster, self._cluster = self._cluster, None
                cluster.close()
        finally:
            self._quiet.close()

    def run(
        self,
        jobs: Sequence[Job],
        on_done: Callable[[int, int], None] | None = None,
        on_job: Callable[[int, list[dict[Arm, ReplicationMetrics]]], None] | None = None,
        *,
        memo: bool = False,
    ) -> list[list[dict[Arm, ReplicationMetrics]]]:
        """Every replication of every job: ``out[j][r]`` maps arm to metrics.

        ``on_done(j, r)`` is called as each finishes (cached ones first). With ``on_job``,
        each job's replications go to ``on_job(j, reps)`` as soon as the job is complete
        and are not kept (``out[j]`` is empty): a sweep of many points stays small.
        ``memo``: keep each replication's demand where it runs, for later calls that run
        the same scenario with other staffing (:class:`DemandMemo`; the local backend: in
        this process or in each pool worker, which lives as long as the runner).
        """
        out: list[list[dict[Arm, ReplicationMetrics] | None]] = [
            [None] * s.replications for s, _ in jobs
        ]
        left = [s.replications for s, _ in jobs]

        def complete(j: int) -> None:
            left[j] -= 1
            if left[j] == 0 and on_job is not None:
                reps = [x for x in out[j] if x is not None]
                out[j] = []
                on_job(j, reps)

        caches = [self.cache_for(s, arms) if self.cache_for else None for s, arms in jobs]
        todo: list[tuple[int, int]] = []
        for j, (s, _) in enumerate(jobs):
            for r in range(s.replications):
                cache = caches[j]
                hit = cache.get(r) if cache is not None else None
                if hit is not None:
                    out[j][r] = hit
                    if on_done:
                        on_done(j, r)
                    complete(j)
                else:
                    todo.append((j, r))

        def done(task: _Task, results: list[dict[Arm, ReplicationMetrics]]) -> None:
            members, r = task
            for j, arms in zip(members, results, strict=True):
                out[j][r] = arms
                cache = caches[j]
                if cache is not None:
                    cache.put(r, arms)
                if on_done:
                    on_done(j, r)
                complete(j)

        tasks = _shared(jobs, todo, self.workers)

        def scenarios(task: _Task) -> tuple[Scenario, ...]:
            return tuple(jobs[j][0] for j in task[0])

        if self.backend == "dask":
            self._run_dask(jobs, tasks, done)
        elif self.workers <= 1 or len(tasks) <= 1:
            if memo and self._memo is None:
                self._memo = DemandMemo()
            for task in tasks:
                members, r = task
                arms = jobs[members[0]][1]
                done(task, run_replications(scenarios(task), r, arms, self._memo if memo else None))
        else:
            if self._pool is None:
                # spawn: workers start clean, with no state inherited from this process
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=ctx, initializer=_start_worker
                )
            # workers start (on submit) with Ctrl-C held back and one BLAS thread each
            with _sigint_blocked(), _single_threaded_children():
                futures = {
                    self._pool.submit(
                        _pool_replications, scenarios(task), task[1], jobs[task[0][0]][1], memo
                    ): task
                    for task in tasks
                }
            for future in as_completed(futures):
                done(futures[future], future.result())
        result = []
        for row in out:
            finished = [x for x in row if x is not None]
            assert len(finished) == len(row)
            result.append(finished)
        return result

    def _run_dask(
        self,
        jobs: Sequence[Job],
        tasks: list[_Task],
        done: Callable[[_Task, list[dict[Arm, ReplicationMetrics]]], None],
    ) -> None:
        try:
            from distributed import Client, LocalCluster
            from distributed import as_completed as dask_completed
        except ImportError as e:  # pragma: no cover - the optional extra is missing
            raise RuntimeError(
                "the dask backend needs the optional extra: pip install 'promosim[dask]'"
            ) from e
        timeout = self.dask_timeout or _dask_timeout()
        if self._client is None:
            self._quiet.enter_context(_foreign_logs_quiet())
            if not self.address:
                self._cluster = LocalCluster(
                    n_workers=max(1, self.workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.CRITICAL,
                )
                self._client = Client(self._cluster)
            else:
                try:
                    self._client = Client(self.address, timeout=timeout)
                except (OSError, TimeoutError) as e:
                    raise ClusterError(
                        f"cannot reach the Dask scheduler at {self.address} within {timeout:g} s"
                    ) from e
        where = f"the Dask scheduler at {self.address}" if self.address else "the LocalCluster"
        futures = {
            self._client.submit(
                run_replications,
                tuple(jobs[j][0] for j in task[0]),
                task[1],
                jobs[task[0][0]][1],
                pure=False,
            ): task
            for task in tasks
        }
        pending = dask_completed(list(futures))
        no_workers = _NoWorkers(self._client, timeout)
        while not pending.is_empty():
            batch = pending.next_batch(block=False)
            if not batch:
                with _cluster_errors(where):
                    no_workers.check()
                time.sleep(0.05)
            for future in batch:
                done(futures[future], _dask_result(future, where, no_workers))


@contextlib.contextmanager
def _cluster_errors(where: str) -> Iterator[None]:
    """Dask's failures of the cluster itself, as a one-line :class:`ClusterError`."""
    from distributed import KilledWorker

    try:
        yield
    except KilledWorker as e:
        raise ClusterError(
            f"the Dask workers running a replication died {e.allowed_failures + 1} times "
            "(out of memory?)"
        ) from e
    except (OSError, TimeoutError, CancelledError) as e:
        raise ClusterError(f"lost the connection to {where}") from e


def _dask_result(
    future: Any, where: str, no_workers: _NoWorkers
) -> list[dict[Arm, ReplicationMetrics]]:
    """A finished task's arms per scenario; an error of the replication's own is raised as is.

    Fetched a second at a time: a result still on a worker that has died is computed
    again, which never happens if no worker is left.
    """
    from distributed import KilledWorker

    if future.status == "error" and not isinstance(future.exception(), KilledWorker):
        future.result()  # raises the replication's exception, with its traceback
    with _cluster_errors(where):
        while True:
            try:
                result: list[dict[Arm, ReplicationMetrics]] = future.result(timeout=1)
            except TimeoutError:
                no_workers.check()
            else:
                return result


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
    arms = arms_of(scenario)
    with Runner(
        workers=min(workers, scenario.replications),
        backend=backend,
        address=address,
        cache_for=(lambda _s, _a: cache) if cache is not None else None,
    ) as runner:
        (reps,) = runner.run([(scenario, arms)], (lambda _j, r: on_done(r)) if on_done else None)
    return RunResult(scenario, {arm: [d[arm] for d in reps] for arm in arms})
