"""Workload (a): Erlang A, promosim against the naive simpy reference, in the same run.

M/M/50+M: Poisson arrivals at 576 an hour (9.6 a minute), exponential handle time with mean
5 minutes, exponential patience with mean 3 minutes, 50 agents: 48 Erlang offered. The
horizon holds the requested number of contacts on average (1,000,000 ≈ 72 days).

Both sides draw their own contacts from their own seeds and are timed on the same workload;
each side's answers (abandon rate, ASA, service level within 20 s) get a 99% confidence
interval by batch means (20 batches of arrival time after a 2-hour warm-up) and are set
beside the exact Erlang A figures of :func:`sim.staffing.erlang_a`. Then promosim's engine
runs once more on the reference's very contacts, which must give the same outcome for every
contact (answer times equal to a microsecond).

What is timed:

- promosim: ``sim.demand.generate`` + ``sim.center.simulate_center`` (the simulation, what
  the reference does); the replication's full metrics (``replication_metrics``: intervals,
  journey, satisfaction, money) are timed apart and reported as well.
- reference: drawing the inputs + the simpy run (:mod:`benchmarks.naive_simpy`).
- the anchors: drawing the inputs + :mod:`benchmarks.bare_simpy`, the same queue as bare
  simpy events, and + :mod:`benchmarks.heapq_loop`, the same events on a hand-written heap;
  each must answer every contact as the reference does.

Each side runs ``repeats`` times, alternately, and the fastest run counts (the least
disturbed by other work on a shared machine).

:func:`whole` times the commands as users run them, each in a child process (interpreter
start, imports and all): ``promosim run`` of the scenario written as a YAML file (one
replication, one worker: demand, engine, metrics, every file of the run folder, the
report) against :mod:`benchmarks.naive_simpy` run as a script on the same horizon, both
from Python's bytecode cache as an installed package runs (see :func:`_env`), and a
``promosim run`` of :data:`FIXED_CONTACTS` contacts: the command's fixed costs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from benchmarks import bare_simpy, heapq_loop, naive_simpy
from sim.center import ABANDONED, ANSWERED, simulate_center
from sim.config import Scenario
from sim.demand import Contacts, generate
from sim.metrics import replication_metrics
from sim.rng import Streams
from sim.staffing import erlang_a
from sim.stats import ci_halfwidth

RATE_PER_HOUR = 576.0
HANDLE = 300.0
PATIENCE = 180.0
AGENTS = 50
THRESHOLD = 20.0
WARMUP_HOURS = 2.0
BATCHES = 20
LEVEL = 0.99
METRICS = ("abandon_rate", "asa_seconds", "service_level")


ROOT = Path(__file__).resolve().parent.parent

FIXED_CONTACTS = 2000
"""Contacts of the small ``promosim run`` that measures the command's fixed costs (its
simulation takes about 10 ms of them)."""


def spec(contacts: int, seed: int = 20261122) -> dict[str, Any]:
    """The promosim scenario as a file holds it.

    Its horizon (whole 30-minute intervals) holds ``contacts`` on average.
    """
    intervals = max(8, round(contacts / RATE_PER_HOUR * 2))
    return {
        "name": "bench-erlang-a",
        "calendar": {
            "days": intervals / 48,
            "warmup_hours": WARMUP_HOURS,
            "interval_minutes": 30,
        },
        "seed": seed,
        "replications": 1,
        "arrivals": [{"kind": "poisson", "channel": "phone", "contacts_per_hour": RATE_PER_HOUR}],
        "channels": {
            "phone": {
                "handle_time_seconds": {"dist": "exponential", "mean": HANDLE},
                "patience_seconds": {"dist": "exponential", "mean": PATIENCE},
                "service_level_seconds": THRESHOLD,
            }
        },
        "staffing": {
            "groups": [
                {
                    "name": "agents",
                    "channels": ["phone"],
                    "schedule": {"kind": "constant", "agents": AGENTS},
                }
            ]
        },
    }


def scenario(contacts: int, seed: int = 20261122) -> Scenario:
    """The promosim scenario: the horizon (whole 30-minute intervals) holds ``contacts``."""
    return Scenario.model_validate(spec(contacts, seed))


@dataclass(frozen=True)
class Estimate:
    """A metric's batch-means estimate: mean and half-width of its 99% CI."""

    mean: float
    half: float


def batch_means(
    arrival: NDArray[np.float64],
    answer: NDArray[np.float64],
    abandoned: NDArray[np.bool_],
    horizon: float,
) -> dict[str, Estimate]:
    """Abandon rate, ASA and service level with 99% CIs from batches of arrival time.

    Contacts arriving in the warm-up are left out; the rest of the horizon is cut into
    ``BATCHES`` equal spans, each span's contacts give one value per metric. Contacts still
    waiting at the horizon count as offered and not answered (as in promosim's metrics).
    """
    start = WARMUP_HOURS * 3600.0
    keep = (arrival >= start) & (arrival < horizon)
    batch = ((arrival[keep] - start) / (horizon - start) * BATCHES).astype(np.int64)
    wait = answer[keep] - arrival[keep]
    answered = ~np.isnan(wait)
    offered = np.bincount(batch, minlength=BATCHES).astype(np.float64)
    gave_up = np.bincount(batch, weights=abandoned[keep], minlength=BATCHES)
    n_answered = np.bincount(batch, weights=answered, minlength=BATCHES)
    wait_sum = np.bincount(batch[answered], weights=wait[answered], minlength=BATCHES)
    within = np.bincount(batch, weights=answered & (wait <= THRESHOLD), minlength=BATCHES)
    values = {
        "abandon_rate": gave_up / offered,
        "asa_seconds": wait_sum / n_answered,
        "service_level": within / offered,
    }
    return {k: Estimate(float(v.mean()), ci_halfwidth(v, LEVEL)) for k, v in values.items()}


@dataclass(frozen=True)
class Result:
    """Timings (fastest run, seconds), sizes and answers of both sides."""

    contacts: int
    reference_contacts: int
    promosim_seconds: float
    metrics_seconds: float
    reference_seconds: float
    bare_seconds: float
    """Drawing + :mod:`benchmarks.bare_simpy` on the reference's contacts."""
    heapq_seconds: float
    """Drawing + :mod:`benchmarks.heapq_loop` on the reference's contacts."""
    promosim: dict[str, Estimate]
    reference: dict[str, Estimate]
    exact: dict[str, float]
    same_inputs_identical: bool
    anchors_identical: bool
    """Both anchors gave every reference contact the reference's answer."""

    @property
    def ratio(self) -> float:
        """Reference time per contact ÷ promosim time per contact (simulation only)."""
        return (self.reference_seconds / self.reference_contacts) / (
            self.promosim_seconds / self.contacts
        )

    @property
    def bare_ratio(self) -> float:
        """Reference time ÷ bare-events time (the same contacts)."""
        return self.reference_seconds / self.bare_seconds

    @property
    def heapq_ratio(self) -> float:
        """Reference time ÷ heapq-loop time (the same contacts)."""
        return self.reference_seconds / self.heapq_seconds

    @property
    def ratio_with_metrics(self) -> float:
        """The same with promosim's full replication metrics counted in."""
        return (self.reference_seconds / self.reference_contacts) / (
            (self.promosim_seconds + self.metrics_seconds) / self.contacts
        )

    def agree(self, metric: str) -> bool:
        """Whether both sides' estimates differ by less than the 99% CI of the difference."""
        a, b = self.promosim[metric], self.reference[metric]
        return abs(a.mean - b.mean) <= math.hypot(a.half, b.half)

    def near_exact(self, side: dict[str, Estimate], metric: str) -> bool:
        """Whether a side's 99% CI holds the exact Erlang A figure."""
        return abs(side[metric].mean - self.exact[metric]) <= side[metric].half

    @property
    def answers_agree(self) -> bool:
        """Every metric agrees between the two sides, and both identical on same inputs."""
        return all(self.agree(m) for m in METRICS) and self.same_inputs_identical


def _same_inputs(
    s: Scenario, inputs: naive_simpy.Inputs, ref: naive_simpy.Outputs, horizon: float
) -> bool:
    """Run the engine on the reference's own contacts: the same outcome per contact?"""
    n = inputs.arrival.size
    contacts = Contacts(
        arrival_seconds=inputs.arrival,
        channel=np.zeros(n, dtype=np.int32),
        reason=np.zeros(n, dtype=np.int32),
        handle_seconds=inputs.handle,
        patience_seconds=inputs.patience,
        channels=("phone",),
        reasons=("general",),
    )
    mine = simulate_center(s, contacts)
    inside = inputs.arrival < horizon
    answered = mine.outcome == ANSWERED
    same_answered = np.array_equal(answered[inside], ~np.isnan(ref.answer[inside]))
    # a contact still waiting at the horizon whose deadline is exactly the horizon is the
    # only case where the two may differ; it does not happen with continuous times
    same_abandoned = np.array_equal((mine.outcome == ABANDONED)[inside], ref.abandoned[inside])
    same_times = bool(
        np.allclose(
            mine.answer_seconds[inside & answered],
            ref.answer[inside & answered],
            rtol=0.0,
            atol=1e-6,
        )
    )
    return same_answered and same_abandoned and same_times


def run(contacts: int, repeats: int = 2, seed: int = 20261122) -> Result:
    """Time both sides ``repeats`` times, alternately; estimate and compare their answers."""
    s = scenario(contacts, seed)
    horizon = s.calendar.horizon_seconds
    rate = RATE_PER_HOUR / 3600.0
    # the reference draws a few more contacts than promosim's horizon holds on average (so
    # that arrivals run to the horizon); those past it are not simulated
    n_ref = round(horizon * rate * 1.01) + 1000
    best_p = best_m = best_r = best_b = best_h = math.inf
    n_p = 0
    promosim: dict[str, Estimate] = {}
    reference: dict[str, Estimate] = {}
    inputs = naive_simpy.draw(n_ref, rate, HANDLE, PATIENCE, seed)
    out = bare = heap = naive_simpy.Outputs(np.zeros(0), np.zeros(0, dtype=np.bool_))
    for _ in range(repeats):
        streams = Streams(s.seed, 0)
        t0 = time.perf_counter()
        demand = generate(s, streams)
        result = simulate_center(s, demand.contacts, streams.issues)
        t1 = time.perf_counter()
        replication_metrics(s, demand.contacts, result, demand)
        t2 = time.perf_counter()
        best_p, best_m = min(best_p, t1 - t0), min(best_m, t2 - t1)
        n_p = len(demand.contacts)
        promosim = batch_means(
            demand.contacts.arrival_seconds,
            result.answer_seconds,
            result.outcome == ABANDONED,
            horizon,
        )
        del demand, result
        t0 = time.perf_counter()
        inputs = naive_simpy.draw(n_ref, rate, HANDLE, PATIENCE, seed)
        out = naive_simpy.simulate(inputs, AGENTS, horizon)
        best_r = min(best_r, time.perf_counter() - t0)
        reference = batch_means(inputs.arrival, out.answer, out.abandoned, horizon)
        t0 = time.perf_counter()
        bare = bare_simpy.simulate(
            naive_simpy.draw(n_ref, rate, HANDLE, PATIENCE, seed), AGENTS, horizon
        )
        best_b = min(best_b, time.perf_counter() - t0)
        t0 = time.perf_counter()
        heap = heapq_loop.simulate(
            naive_simpy.draw(n_ref, rate, HANDLE, PATIENCE, seed), AGENTS, horizon
        )
        best_h = min(best_h, time.perf_counter() - t0)
    exact = erlang_a(RATE_PER_HOUR, HANDLE, PATIENCE, AGENTS, THRESHOLD)
    return Result(
        contacts=n_p,
        reference_contacts=int(np.count_nonzero(inputs.arrival < horizon)),
        promosim_seconds=best_p,
        metrics_seconds=best_m,
        reference_seconds=best_r,
        bare_seconds=best_b,
        heapq_seconds=best_h,
        promosim=promosim,
        reference=reference,
        exact={m: float(getattr(exact, m)) for m in METRICS},
        same_inputs_identical=_same_inputs(s, inputs, out, horizon),
        anchors_identical=all(
            np.array_equal(x.abandoned, out.abandoned)
            and np.array_equal(x.answer, out.answer, equal_nan=True)
            for x in (bare, heap)
        ),
    )


@dataclass(frozen=True)
class Whole:
    """The whole commands, each in a child process.

    Timings (fastest run, wall seconds), and the run's answers beside its contacts' batch
    means and the exact figures.
    """

    contacts: int
    reference_contacts: int
    promosim_seconds: float
    reference_seconds: float
    fixed_seconds: float
    """``promosim run`` of :data:`FIXED_CONTACTS` contacts: what the command costs besides
    its contacts (start-up, imports, reading the scenario, the files and the report)."""
    figures: dict[str, float]
    """The run's own figures (``summary.json``, one replication)."""
    promosim: dict[str, Estimate]
    """Batch means of the same contacts (the same scenario and seed, in this process)."""
    exact: dict[str, float]
    repeats: int

    @property
    def ratio(self) -> float:
        """Reference time per contact ÷ promosim time per contact (whole commands)."""
        return (self.reference_seconds / self.reference_contacts) / (
            self.promosim_seconds / self.contacts
        )

    def ceiling(self, us: float) -> float:
        """The ratio a whole command would reach with a simulation of ``us`` µs a contact.

        The reference's µs a contact ÷ (``us`` + this command's fixed seconds spread over
        its contacts): what promosim's whole run could reach if its demand, engine and
        metrics together cost no more than an anchor's events without a model.
        """
        fixed_us = self.fixed_seconds / self.contacts * 1e6
        return (self.reference_seconds / self.reference_contacts * 1e6) / (us + fixed_us)

    def holds(self, metric: str) -> bool:
        """The run's figure and the exact one both lie in its contacts' 99% CI."""
        e = self.promosim[metric]
        return all(abs(x - e.mean) <= e.half for x in (self.figures[metric], self.exact[metric]))

    @property
    def answers_agree(self) -> bool:
        """Every metric :meth:`holds`."""
        return all(self.holds(m) for m in METRICS)


def _env(pycache: Path) -> dict[str, str]:
    """The children's environment: Python's bytecode cache on, in ``pycache``.

    An installed promosim runs from compiled bytecode (pip compiles it when it installs);
    a host that turns the cache off (``PYTHONDONTWRITEBYTECODE``) would have every run
    compile promosim's sources again, a cost users do not pay, and the short script hardly.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _child(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of a child process running ``argv`` (which must succeed)."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr}")
    return seconds


def whole(contacts: int, repeats: int = 2, seed: int = 20261122) -> Whole:
    """Time ``promosim run`` and the naive script, alternately, ``repeats`` times each."""
    s = scenario(contacts, seed)
    horizon = s.calendar.horizon_seconds
    rate = RATE_PER_HOUR / 3600.0
    n_ref = round(horizon * rate * 1.01) + 1000
    best_p = best_r = best_f = math.inf
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp) / "pycache")

        def run(contacts: int, out: Path) -> list[str]:
            path = Path(tmp) / f"erlang_a_{contacts}.yaml"
            text = yaml.safe_dump(spec(contacts, seed), sort_keys=False)
            path.write_text(text, encoding="utf-8")
            options = ["--replications", "1", "--workers", "1", "--out", str(out), "--quiet"]
            return [sys.executable, "-m", "sim", "run", str(path), *options]

        def ref(n: int, until: float) -> list[str]:
            options = ["--contacts", str(n), "--seed", str(seed), "--horizon", repr(until)]
            return [sys.executable, "-m", "benchmarks.naive_simpy", *options]

        # untimed small runs of both: the bytecode cache filled, as after installing
        _child(run(FIXED_CONTACTS, Path(tmp) / "warm-up"), env)
        _child(ref(1000, 3600.0), env)
        for k in range(repeats):
            out = Path(tmp) / f"run{k}"
            best_p = min(best_p, _child(run(contacts, out), env))
            best_r = min(best_r, _child(ref(n_ref, horizon), env))
            best_f = min(best_f, _child(run(FIXED_CONTACTS, Path(tmp) / f"fixed{k}"), env))
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    figures = {m: float(summary["metrics"][f"all.{m}"]["mean"]) for m in METRICS}
    streams = Streams(s.seed, 0)
    demand = generate(s, streams)
    result = simulate_center(s, demand.contacts, streams.issues)
    estimates = batch_means(
        demand.contacts.arrival_seconds, result.answer_seconds, result.outcome == ABANDONED, horizon
    )
    inputs = naive_simpy.draw(n_ref, rate, HANDLE, PATIENCE, seed)
    exact = erlang_a(RATE_PER_HOUR, HANDLE, PATIENCE, AGENTS, THRESHOLD)
    return Whole(
        contacts=len(demand.contacts),
        reference_contacts=int(np.count_nonzero(inputs.arrival < horizon)),
        promosim_seconds=best_p,
        reference_seconds=best_r,
        fixed_seconds=best_f,
        figures=figures,
        promosim=estimates,
        exact={m: float(getattr(exact, m)) for m in METRICS},
        repeats=repeats,
    )
