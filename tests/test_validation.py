"""Theory tells us: the engine reproduces exact queueing results.

- Stationary Poisson arrivals, exponential handle time, exponential or no patience and a
  constant number of agents: Erlang C (M/M/c) and Erlang A (M/M/c+M). The simulated
  figures must match ``sim.staffing``'s exact ones within the replications' 99% confidence
  interval plus a small absolute tolerance for the bias of starting empty and stopping at
  the horizon. A chat channel with concurrency k and n agents is M/M/(n·k)+M.
- Time-varying arrivals: M_t/M/∞ with a sinusoidal rate held constant per interval; the
  mean number in service m(t) (Eick, Massey & Whitt 1993) is exact for any rate function,
  and is checked at times on and between interval boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from sim import commands, staffing
from sim.center import ANSWERED, simulate_center
from sim.config import Exponential, PoissonArrivals, ProfileArrivals, Scenario
from sim.demand import first_contacts
from sim.experiment import RunResult, run_scenario
from sim.loading import load_scenario
from sim.rng import Streams
from sim.stats import ci_halfwidth

VALIDATION = Path(__file__).resolve().parent.parent / "configs" / "validation"
ERLANG = sorted(p.name for p in VALIDATION.glob("erlang_*.yaml"))

# Absolute slack on top of the 99% CI: the bias of an empty start after a short warm-up and
# of contacts cut off at the horizon, both far below what a planner would read off.
ATOL = {
    "abandon_rate": 0.003,
    "service_level": 0.005,
    "asa_seconds": 0.5,
    "mean_wait_seconds": 0.5,
    "occupancy": 0.003,
}


@pytest.fixture(scope="module")
def erlang_run() -> Callable[[str], tuple[Scenario, RunResult]]:
    """A validation scenario and its run, once per file (two tests check erlang_a_heavy)."""

    @cache
    def run(filename: str) -> tuple[Scenario, RunResult]:
        s = load_scenario(VALIDATION / filename).scenario
        return s, run_scenario(s)

    return run


def test_every_validation_scenario_is_covered() -> None:
    assert len(ERLANG) >= 6
    names = " ".join(ERLANG)
    assert "erlang_c_" in names and "overloaded" in names and "chat" in names


def _desk(s: Scenario) -> tuple[str, float, float, float | None, int, float, int]:
    """A validation scenario's desk: channel, rate/h, AHT, patience, agents, SL s, concurrency."""
    (arr,) = s.arrivals
    assert isinstance(arr, PoissonArrivals) and arr.channel is not None
    channel = s.channels[arr.channel]
    assert isinstance(channel.handle_time_seconds, Exponential)
    patience = channel.patience_seconds
    assert patience is None or isinstance(patience, Exponential)
    (group,) = s.staffing.groups
    assert group.schedule.kind == "constant"
    return (
        arr.channel,
        arr.contacts_per_hour,
        channel.handle_time_seconds.mean,
        None if patience is None else patience.mean,
        group.schedule.agents,
        channel.service_level_seconds,
        channel.concurrency,
    )


@pytest.mark.parametrize("filename", ERLANG)
def test_the_erlang_command_gives_the_figures_the_simulation_is_held_to(filename: str) -> None:
    """`promosim erlang --concurrency k`: n agents are n·k servers, as the chat desk runs."""
    _, rate, aht, patience, agents, threshold, k = _desk(
        load_scenario(VALIDATION / filename).scenario
    )
    ((n, shown),) = commands.erlang(rate, aht, str(agents), patience, threshold, concurrency=k)
    assert n == agents
    assert shown == staffing.erlang_a(rate, aht, patience, agents * k, threshold)
    if k > 1:  # the chat desk: 4 agents × 3 slots are 12 single-contact agents
        ((_, single),) = commands.erlang(rate, aht, str(agents * k), patience, threshold)
        assert shown == single


@pytest.mark.slow
@pytest.mark.parametrize("filename", ERLANG)
def test_stationary_queue_matches_erlang(
    filename: str, erlang_run: Callable[[str], tuple[Scenario, RunResult]]
) -> None:
    s, result = erlang_run(filename)
    name, rate, aht, patience, agents, threshold, k = _desk(s)
    exact = staffing.erlang_a(rate, aht, patience, agents * k, threshold)
    assert exact.stable
    failures = []
    for metric, atol in ATOL.items():
        values = np.array([r.overall[f"{name}.{metric}"] for r in result.replications])
        expected = getattr(exact, metric)
        mean = float(values.mean())
        half = ci_halfwidth(values, 0.99)
        if abs(mean - expected) > half + atol:
            failures.append(f"{metric}: simulated {mean:.5f} ± {half:.5f}, exact {expected:.5f}")
    assert not failures, f"{filename}: " + "; ".join(failures)


def exact_mean_in_service(
    rates_per_hour: np.ndarray, step_seconds: float, mean_service: float, t: np.ndarray
) -> np.ndarray:
    """m(t) of M_t/M/∞ from empty at 0, rate constant on each step (exact integral)."""
    mu = 1.0 / mean_service
    a = np.arange(rates_per_hour.size) * step_seconds
    b = a + step_seconds
    lam = rates_per_hour / 3600.0
    out = np.zeros(t.size)
    for k in range(lam.size):
        started = t > a[k]
        upper = np.minimum(b[k], t)
        out += np.where(
            started, lam[k] / mu * (np.exp(-mu * (t - upper)) - np.exp(-mu * (t - a[k]))), 0.0
        )
    return out


@pytest.mark.slow
def test_time_varying_infinite_server_matches_mt_m_infinity() -> None:
    s = load_scenario(VALIDATION / "mt_m_infinity.yaml").scenario
    (arr,) = s.arrivals
    assert isinstance(arr, ProfileArrivals)
    handle = s.channels["phone"].handle_time_seconds
    assert isinstance(handle, Exponential)
    cal = s.calendar
    step = cal.interval_seconds
    # on every boundary, and a third of the way into every interval
    t = np.sort(
        np.concatenate(
            [np.arange(1, cal.n_intervals) * step, np.arange(cal.n_intervals) * step + step / 3]
        )
    )
    counts = []
    for r in range(s.replications):
        contacts = first_contacts(s, Streams(s.seed, r))
        res = simulate_center(s, contacts)
        assert np.all(res.outcome == ANSWERED), "infinite-server case: nobody may wait"
        start = res.answer_seconds
        end = start + contacts.handle_seconds
        assert np.allclose(start, contacts.arrival_seconds)
        counts.append(
            np.searchsorted(np.sort(start), t, side="right")
            - np.searchsorted(np.sort(end), t, side="right")
        )
    sims = np.array(counts, dtype=float)
    rates = np.resize(np.asarray(arr.contacts_per_hour), cal.n_intervals)
    exact = exact_mean_in_service(rates, step, handle.mean, t)
    mean = sims.mean(axis=0)
    half = np.array([ci_halfwidth(sims[:, k], 0.99) for k in range(t.size)])
    bad = np.abs(mean - exact) > half + 0.25
    # pointwise 99% intervals over hundreds of time points: a handful may miss by chance,
    # but a systematic error (a lag, a boundary slip) misses in whole stretches
    assert bad.mean() <= 0.03, [(float(t[k]), mean[k], exact[k]) for k in np.flatnonzero(bad)]
    # and the whole path is right on average, as are its rising and falling halves (a lead
    # or lag would push those two apart): per replication, the path's mean error is one
    # value, and the replications' 99% CI of it must cover 0
    rising = np.gradient(exact) > 0
    for part in (np.ones(t.size, dtype=bool), rising, ~rising):
        err = (sims[:, part] - exact[part]).mean(axis=1)
        assert abs(float(err.mean())) <= ci_halfwidth(err, 0.99) + 0.02, part.sum()


@pytest.mark.slow
def test_erlang_a_identity_abandonment_equals_theta_times_mean_wait(
    erlang_run: Callable[[str], tuple[Scenario, RunResult]],
) -> None:
    """Exponential patience: P(abandon) = θ·E[wait over all offered] (Mandelbaum–Zeltyn)."""
    s, result = erlang_run("erlang_a_heavy.yaml")
    patience = s.channels["phone"].patience_seconds
    assert isinstance(patience, Exponential)
    d = np.array(
        [
            r.overall["phone.abandon_rate"] - r.overall["phone.mean_wait_seconds"] / patience.mean
            for r in result.replications
        ]
    )
    assert abs(float(d.mean())) <= ci_halfwidth(d, 0.99) + 0.002
