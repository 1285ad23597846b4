"""Tests of sim.staffing: published figures, independent exact methods, properties."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, stats
from scipy.special import hyp1f1

from sim.staffing import (
    QueueFigures,
    _tagged,
    agents_for_targets,
    erlang_a,
    erlang_b,
    erlang_c,
)

# --------------------------------------------------------------------- published: Erlang C

# Call Centre Helper's worked example (callcentrehelper.com/erlang-c-formula-example-121281.htm):
# 100 calls per 30 minutes, AHT 180 s, 80% in 20 s, max occupancy 85%. The figures pinned
# below are those asserted in pyworkforce's test suite for this example
# (github.com/rodrigo-arenas/pyworkforce, pyworkforce/queuing/tests/test_erlang.py), which
# states the target time as asa=0.33 minutes, i.e. 19.8 s.
CCH_RATE_PER_HOUR = 200.0
CCH_AHT_SECONDS = 180.0
CCH_THRESHOLD_SECONDS = 0.33 * 60


def test_published_erlang_c_14_agents() -> None:
    f = erlang_c(CCH_RATE_PER_HOUR, CCH_AHT_SECONDS, 14, CCH_THRESHOLD_SECONDS)
    assert f.offered_load_erlangs == pytest.approx(10.0)
    assert round(f.service_level, 3) == 0.888  # pyworkforce test_expected_erlangc_results
    assert round(f.occupancy, 3) == 0.714  # same test
    assert round(f.prob_wait, 3) == 0.174  # same test ("waiting_probability")
    # The 20 s of the Call Centre Helper page gives the same rounded service level.
    assert round(erlang_c(200.0, 180.0, 14, 20.0).service_level, 3) == 0.888


def test_published_erlang_c_15_agents() -> None:
    f = erlang_c(CCH_RATE_PER_HOUR, CCH_AHT_SECONDS, 15, CCH_THRESHOLD_SECONDS)
    assert round(f.service_level, 3) == 0.941  # pyworkforce test_over_occupancy_erlangc
    assert round(f.occupancy, 3) == 0.667  # same test
    assert round(f.prob_wait, 3) == 0.102  # same test


def test_published_erlang_c_required_agents() -> None:
    # pyworkforce test_expected_erlangc_results: raw_positions == 14 for SL 80%, occ <= 85%;
    # test_over_occupancy_erlangc: raw_positions == 15 when occupancy is capped at 70%.
    kwargs = {"min_service_level": 0.8, "max_occupancy": 0.85}
    assert agents_for_targets(200.0, 180.0, None, CCH_THRESHOLD_SECONDS, **kwargs) == 14
    kwargs = {"min_service_level": 0.8, "max_occupancy": 0.7}
    assert agents_for_targets(200.0, 180.0, None, CCH_THRESHOLD_SECONDS, **kwargs) == 15


def test_erlang_c_textbook_closed_forms() -> None:
    # M/M/1: P(wait) = ρ, E[Wq] = ρ/(μ − λ), P(Wq > t) = ρ e^{−(μ−λ)t}.
    f = erlang_c(36.0, 60.0, 1, 30.0)  # λ = 0.01/s, μ = 1/60 /s, ρ = 0.6
    lam, mu, rho = 0.01, 1 / 60, 0.6
    assert f.prob_wait == pytest.approx(rho, rel=1e-12)
    assert f.asa_seconds == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert f.mean_queue_length == pytest.approx(rho**2 / (1 - rho), rel=1e-12)
    assert f.service_level == pytest.approx(1 - rho * math.exp(-(mu - lam) * 30.0), rel=1e-12)
    # M/M/2 with a = 1: C(2, 1) = 1/3 (P0 = 1/3, P(wait) = 2P0·a²/2!/(2 − a)... = 1/3).
    assert erlang_c(60.0, 60.0, 2, 0.0).prob_wait == pytest.approx(1 / 3, rel=1e-12)


# --------------------------------------------------------------------- published: Erlang B


def test_published_erlang_b() -> None:
    # Westbay Engineers' Erlang calculator manual
    # (erlang.com/calculatormanual/howmuchtrafficcanatrunkgrouphandle.htm): 15 lines at 1%
    # blocking carry 8.108 Erlangs. Published to 3 decimals, so the 1% point lies within
    # ±0.0005 E of 8.108.
    assert erlang_b(8.108 - 0.0005, 15) < 0.01 < erlang_b(8.108 + 0.0005, 15)
    # Wolfram Mathematica 9 "Enhanced core algorithms": 30 lines offered 25 Erlangs block
    # "approximately 0.05".
    assert round(erlang_b(25.0, 30), 2) == 0.05
    # pyworkforce test_erlang_b.py: B(1, A=1) = 0.5, B(2, A=1) = 0.2 (exact), and 17 trunks
    # are the fewest with blocking <= 2% at 10 Erlangs.
    assert erlang_b(1.0, 1) == pytest.approx(0.5, abs=1e-15)
    assert erlang_b(1.0, 2) == pytest.approx(0.2, abs=1e-15)
    assert erlang_b(10.0, 17) <= 0.02 < erlang_b(10.0, 16)


@pytest.mark.parametrize(("load", "agents"), [(0.5, 3), (48.0, 55), (900.0, 1000), (5000, 5000)])
def test_erlang_b_matches_poisson_ratio(load: float, agents: int) -> None:
    # B(c, a) = P(X = c) / P(X <= c) for X ~ Poisson(a): an independent exact route that
    # also exercises thousands of agents.
    expected = stats.poisson.pmf(agents, load) / stats.poisson.cdf(agents, load)
    assert erlang_b(load, agents) == pytest.approx(float(expected), rel=1e-10)


def test_erlang_b_edges() -> None:
    assert erlang_b(0.0, 0) == 1.0
    assert erlang_b(3.0, 0) == 1.0
    assert erlang_b(0.0, 4) == 0.0
    with pytest.raises(ValueError):
        erlang_b(-1.0, 3)
    with pytest.raises(ValueError):
        erlang_b(1.0, -1)
    with pytest.raises(ValueError):
        erlang_b(math.inf, 3)


# --------------------------------------------------------------------- published: Erlang A


def test_published_erlang_a_pyworkforce_snapshot() -> None:
    # pyworkforce's ErlangA (github.com/rodrigo-arenas/pyworkforce,
    # pyworkforce/queuing/tests/test_abandonment.py, test_erlanga_regression_metrics): an
    # independent exact implementation (birth–death chain + uniformisation of the tagged
    # customer). 100 calls per 30 min, AHT 3 min, patience 5 min, 20 s target, 14 agents.
    f = erlang_a(200.0, 180.0, 300.0, 14, 20.0)
    assert round(f.prob_wait, 5) == 0.14526
    assert round(f.abandon_rate, 6) == 0.013984
    assert round(f.occupancy, 6) == 0.704297
    # pyworkforce's "average_speed_of_answer" is E[Q]/λ in minutes: our mean over all offered.
    assert round(f.mean_wait_seconds / 60, 6) == 0.069919
    assert round(f.service_level, 6) == 0.916792


# ------------------------------------------------------------------ Erlang A: exact checks


def test_erlang_a_without_patience_is_erlang_c() -> None:
    for agents in (0, 5, 10, 11, 14, 40):
        c = erlang_c(200.0, 180.0, agents, 20.0)
        assert erlang_a(200.0, 180.0, None, agents, 20.0) == c
        assert erlang_a(200.0, 180.0, math.inf, agents, 20.0) == c


@pytest.mark.parametrize("agents", [11, 14, 30])
def test_erlang_a_converges_to_erlang_c(agents: int) -> None:
    c = erlang_c(200.0, 180.0, agents, 20.0)
    a = erlang_a(200.0, 180.0, 1e10, agents, 20.0)
    assert a.abandon_rate < 1e-7
    for name in ("prob_wait", "service_level", "occupancy"):
        assert getattr(a, name) == pytest.approx(getattr(c, name), abs=1e-6)
    for name in ("asa_seconds", "mean_wait_seconds", "mean_queue_length"):
        assert getattr(a, name) == pytest.approx(getattr(c, name), rel=1e-5)


@pytest.mark.parametrize(
    ("rate", "aht", "patience", "agents"),
    [(200.0, 180.0, 300.0, 14), (100.0, 240.0, 60.0, 1), (900.0, 300.0, 120.0, 60)],
)
def test_erlang_a_kummer_closed_forms(
    rate: float, aht: float, patience: float, agents: int
) -> None:
    # Independent closed forms of the chain: past c the weights are
    # w_j = Π_{k<=j} λ/(cμ + kθ) = z^j/(b)_j with z = λ/θ, b = 1 + cμ/θ, so
    # Σ w_j = M = 1F1(1; b; z) and Σ j·w_j = (z/b)·1F1(2; b+1; z) (Kummer's function; the
    # incomplete-gamma form of Mandelbaum & Zeltyn's Palm/Erlang-A notes). Below c the
    # weights are a^n/n!, whose sum relative to a^c/c! is 1/B − 1 (B = Erlang B). Hence
    # P(W > 0) = B·M / (1 + (M − 1)·B) and E[Q] = P(W > 0)·(z/b)·1F1(2; b+1; z)/M.
    lam, mu, theta = rate / 3600, 1 / aht, 1 / patience
    z, b = lam / theta, 1 + agents * mu / theta
    m = float(hyp1f1(1.0, b, z))
    blocking = erlang_b(lam / mu, agents)
    prob_wait = blocking * m / (1 + (m - 1) * blocking)
    mean_queue = prob_wait * (z / b) * float(hyp1f1(2.0, b + 1, z)) / m
    f = erlang_a(rate, aht, patience, agents, 20.0)
    assert f.prob_wait == pytest.approx(prob_wait, rel=1e-10)
    assert f.mean_queue_length == pytest.approx(mean_queue, rel=1e-10)
    assert f.abandon_rate == pytest.approx(theta * mean_queue / lam, rel=1e-10)
    assert f.mean_wait_seconds == pytest.approx(mean_queue / lam, rel=1e-10)


def test_mm1_plus_m_closed_form() -> None:
    # M/M/1+M: P(W > 0) = a·M / (1 + a·M), M = 1F1(1; 1 + μ/θ; λ/θ); one agent's
    # throughput μ·P(busy) equals λ·(1 − P(ab)).
    lam, mu, theta = 0.01, 1 / 120, 1 / 90
    m = float(hyp1f1(1.0, 1 + mu / theta, lam / theta))
    a = lam / mu
    prob_wait = a * m / (1 + a * m)
    f = erlang_a(lam * 3600, 120.0, 90.0, 1, 30.0)
    assert f.prob_wait == pytest.approx(prob_wait, rel=1e-12)
    assert f.occupancy == pytest.approx(prob_wait, rel=1e-12)
    assert f.abandon_rate == pytest.approx(1 - mu * prob_wait / lam, rel=1e-10)


def test_patience_equal_to_handle_time_is_poisson() -> None:
    # With θ = μ every contact in system leaves at rate μ whether waiting or served, so N is
    # exactly Poisson(a) (M/M/∞). Overloaded: load = 1.5 × agents.
    agents, load = 100, 150.0
    f = erlang_a(load / 300 * 3600, 300.0, 300.0, agents, 20.0)
    n = np.arange(0, 1000)
    pmf = stats.poisson.pmf(n, load)
    assert f.prob_wait == pytest.approx(float(stats.poisson.sf(agents - 1, load)), rel=1e-10)
    expected_queue = float(np.maximum(n - agents, 0) @ pmf)
    assert f.mean_queue_length == pytest.approx(expected_queue, rel=1e-10)
    assert f.occupancy == pytest.approx(float(np.minimum(n, agents) @ pmf) / agents, rel=1e-12)
    # Fluid limit of an overload: the excess λ − cμ abandons, P(ab) → 1 − c/load.
    assert f.abandon_rate == pytest.approx(1 - agents / load, abs=1e-3)
    assert f.occupancy < 1.0


def test_overload_other_patience() -> None:
    agents, load = 100, 150.0
    f = erlang_a(load / 300 * 3600, 300.0, 600.0, agents, 20.0)
    assert f.abandon_rate == pytest.approx(1 - agents / load, abs=0.01)
    assert 0.99 < f.occupancy < 1.0
    assert f.prob_wait > 0.99
    assert f.mean_queue_length == pytest.approx(f.abandon_rate * (load / 300) * 600, rel=1e-12)


def test_heavy_overload_many_agents() -> None:
    f = erlang_a(2 * 1000 / 300 * 3600, 300.0, 120.0, 1000, 20.0)
    assert f.abandon_rate == pytest.approx(0.5, abs=1e-3)
    assert 0.0 <= f.service_level < 1e-20
    assert math.isfinite(f.asa_seconds)
    assert f.occupancy == pytest.approx(1.0, abs=1e-9)


def test_erlang_a_speed() -> None:
    # 200 agents at load 400 (2×) and at load 190: well under 0.1 s each.
    for rate in (400 / 300 * 3600, 190 / 300 * 3600):
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            erlang_a(rate, 300.0, 180.0, 200, 20.0)
            best = min(best, time.perf_counter() - start)
        assert best < 0.1


# ----------------------------------------------------------- tagged customer, brute force


def _hypoexponential_density(rates: NDArray[np.float64], v: float) -> float:
    """Density of Σ Exp(rates[i]) at v (distinct rates), by partial fractions."""
    total = 0.0
    for i, r in enumerate(rates):
        others = np.delete(rates, i)
        total += float(np.prod(others / (others - r))) * r * math.exp(-r * v)
    return total


@pytest.mark.parametrize(
    ("agents", "ahead", "threshold"), [(1, 0, 20.0), (2, 3, 45.0), (5, 6, 10.0)]
)
def test_threshold_probability_against_quadrature(
    agents: int, ahead: int, threshold: float
) -> None:
    mu, theta = 1 / 60, 1 / 30
    answered, within, wait = _tagged(agents, mu, theta, ahead, threshold)
    rates = agents * mu + theta * np.arange(ahead + 1, dtype=np.float64)
    value, _ = integrate.quad(
        lambda v: _hypoexponential_density(rates, v) * math.exp(-theta * v),
        0.0,
        threshold,
        epsabs=1e-14,
        epsrel=1e-12,
    )
    assert within[ahead] == pytest.approx(value, abs=1e-9)
    mean, _ = integrate.quad(
        lambda v: v * _hypoexponential_density(rates, v) * math.exp(-theta * v),
        0.0,
        np.inf,
        epsabs=1e-12,
        epsrel=1e-12,
    )
    assert wait[ahead] == pytest.approx(mean, rel=1e-9)
    assert answered[ahead] == pytest.approx(float(np.prod(rates / (rates + theta))), rel=1e-12)


def test_threshold_probability_monte_carlo() -> None:
    # Brute-force simulation of the tagged contact: j ahead, agents c.
    agents, ahead, mu, theta, threshold = 2, 3, 1 / 60, 1 / 30, 45.0
    rng = np.random.default_rng(20261101)
    size = 400_000
    rates = agents * mu + theta * np.arange(ahead + 1, dtype=np.float64)
    virtual_wait = rng.exponential(1 / rates, size=(size, ahead + 1)).sum(axis=1)
    patience = rng.exponential(1 / theta, size=size)
    answered = patience > virtual_wait
    hit = float(np.mean(answered & (virtual_wait <= threshold)))
    p_answered, within, wait = _tagged(agents, mu, theta, ahead, threshold)
    p = float(within[ahead])
    assert abs(hit - p) < 5 * math.sqrt(p * (1 - p) / size)
    q = float(p_answered[ahead])
    assert abs(float(np.mean(answered)) - q) < 5 * math.sqrt(q * (1 - q) / size)
    sample = virtual_wait * answered
    assert abs(float(sample.mean()) - float(wait[ahead])) < 5 * float(sample.std()) / math.sqrt(
        size
    )


def _brute_force(
    rate: float, aht: float, patience: float, agents: int, threshold: float, top: int
) -> dict[str, float]:
    """Every figure from dense matrices: generator null space, expm, phase-type moments."""
    lam, mu, theta, c = rate / 3600, 1 / aht, 1 / patience, agents
    q = np.zeros((top + 1, top + 1))
    for n in range(top + 1):
        if n < top:
            q[n, n + 1] = lam
        if n > 0:
            q[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        q[n, n] = -q[n].sum()
    # Stationary law: π Q = 0, Σ π = 1 (replace one balance equation by the normalisation).
    lhs = q.T.copy()
    lhs[-1, :] = 1.0
    rhs = np.zeros(top + 1)
    rhs[-1] = 1.0
    pi = np.linalg.solve(lhs, rhs)
    n_idx = np.arange(top + 1)
    # Tagged contact: transient states j = 0..J (contacts ahead), then served, abandoned.
    big_j = top - c
    size = big_j + 3
    gen = np.zeros((size, size))
    served, abandoned = big_j + 1, big_j + 2
    for j in range(big_j + 1):
        if j > 0:
            gen[j, j - 1] = c * mu + j * theta
        else:
            gen[j, served] = c * mu
        gen[j, abandoned] = theta
        gen[j, j] = -gen[j].sum()
    within = scipy.linalg.expm(gen * threshold)[: big_j + 1, served]
    sub = gen[: big_j + 1, : big_j + 1]
    exit_served = gen[: big_j + 1, served]
    first = np.linalg.solve(-sub, exit_served)  # P(served | j)
    second = np.linalg.solve(-sub, first)  # E[V·1{served} | j] = ((−T)^{-2} s)_j
    ahead = pi[c:]
    p_answered = float(pi[:c].sum() + ahead @ first)
    return {
        "prob_wait": float(ahead.sum()),
        "abandon_rate": float(ahead @ (1 - first)),
        "service_level": float(pi[:c].sum() + ahead @ within),
        "asa_seconds": float(ahead @ second) / p_answered,
        "mean_queue_length": float(np.maximum(n_idx - c, 0) @ pi),
        "occupancy": float(np.minimum(n_idx, c) @ pi) / c,
    }


@pytest.mark.parametrize(
    ("rate", "aht", "patience", "agents", "threshold", "top"),
    [
        (180.0, 50.0, 40.0, 3, 20.0, 150),
        (60.0, 120.0, 300.0, 1, 30.0, 200),
        (500.0, 60.0, 45.0, 6, 15.0, 200),  # load 8.3 on 6 agents: overloaded
    ],
)
def test_erlang_a_against_dense_brute_force(
    rate: float, aht: float, patience: float, agents: int, threshold: float, top: int
) -> None:
    expected = _brute_force(rate, aht, patience, agents, threshold, top)
    f = erlang_a(rate, aht, patience, agents, threshold)
    for name, value in expected.items():
        got = getattr(f, name)
        assert got == pytest.approx(value, abs=1e-9, rel=1e-9), name


# ------------------------------------------------------------------------ edge behaviour


def test_unstable_erlang_c() -> None:
    for agents in (0, 9, 10):
        f = erlang_c(200.0, 180.0, agents, 20.0)
        assert f.offered_load_erlangs == pytest.approx(10.0)
        assert dataclasses.replace(f, offered_load_erlangs=10.0) == QueueFigures(
            agents=agents,
            offered_load_erlangs=10.0,
            prob_wait=1.0,
            abandon_rate=0.0,
            service_level=0.0,
            asa_seconds=math.inf,
            mean_wait_seconds=math.inf,
            occupancy=1.0,
            mean_queue_length=math.inf,
            stable=False,
        )


def test_erlang_a_zero_agents() -> None:
    f = erlang_a(200.0, 180.0, 300.0, 0, 20.0)
    assert f.stable
    assert f.prob_wait == pytest.approx(1.0)
    assert f.abandon_rate == pytest.approx(1.0)
    assert f.service_level == 0.0
    assert f.occupancy == 0.0
    assert math.isnan(f.asa_seconds)
    assert f.mean_wait_seconds == pytest.approx(300.0)  # everyone waits out its patience
    assert f.mean_queue_length == pytest.approx(200 / 3600 * 300)


def test_no_arrivals() -> None:
    f = erlang_a(0.0, 180.0, 300.0, 3, 20.0)
    assert (f.prob_wait, f.abandon_rate, f.service_level, f.asa_seconds) == (0, 0, 1, 0)
    assert (f.mean_wait_seconds, f.occupancy, f.mean_queue_length) == (0, 0, 0)
    g = erlang_a(0.0, 180.0, 300.0, 0, 20.0)
    assert (g.abandon_rate, g.service_level, g.mean_wait_seconds) == (1, 0, 300)
    h = erlang_c(0.0, 180.0, 2, 20.0)
    assert h.stable and h.service_level == 1.0 and h.asa_seconds == 0.0 and h.occupancy == 0.0


def test_threshold_extremes() -> None:
    f0 = erlang_a(200.0, 180.0, 300.0, 12, 0.0)
    assert f0.service_level == pytest.approx(1 - f0.prob_wait, abs=1e-15)
    f_inf = erlang_a(200.0, 180.0, 300.0, 12, math.inf)
    assert f_inf.service_level == pytest.approx(1 - f_inf.abandon_rate, abs=1e-12)
    c_inf = erlang_c(200.0, 180.0, 12, math.inf)
    assert c_inf.service_level == 1.0


@pytest.mark.parametrize(
    "args",
    [
        (-1.0, 180.0, 300.0, 10, 20.0),
        (math.nan, 180.0, 300.0, 10, 20.0),
        (200.0, 0.0, 300.0, 10, 20.0),
        (200.0, -5.0, 300.0, 10, 20.0),
        (200.0, 180.0, 0.0, 10, 20.0),
        (200.0, 180.0, -3.0, 10, 20.0),
        (200.0, 180.0, 300.0, -1, 20.0),
        (200.0, 180.0, 300.0, 10, -1.0),
        (200.0, 180.0, 300.0, True, 20.0),
        (200.0, 180.0, 300.0, 2.5, 20.0),
    ],
)
def test_erlang_a_rejects_bad_input(args: tuple[float, float, float, int, float]) -> None:
    with pytest.raises(ValueError):
        erlang_a(*args)


def test_erlang_c_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        erlang_c(-1.0, 180.0, 10, 20.0)
    with pytest.raises(ValueError):
        erlang_c(200.0, 180.0, 10, math.nan)


def test_state_space_guard() -> None:
    # Patience of ~300 years on a 2× overload: the queue would hold ~10^10 contacts.
    with pytest.raises(ValueError, match="state space"):
        erlang_a(2 * 10 / 180 * 3600, 180.0, 1e10, 10, 20.0)


# --------------------------------------------------------------------------- properties

rates = st.floats(min_value=1.0, max_value=2000.0)
handle_times = st.floats(min_value=30.0, max_value=900.0)
patiences = st.one_of(st.none(), st.floats(min_value=5.0, max_value=3000.0))
thresholds = st.floats(min_value=0.0, max_value=600.0)


@settings(max_examples=150, deadline=None)
@given(rates, handle_times, patiences, st.integers(min_value=0, max_value=80), thresholds)
def test_figures_are_consistent(
    rate: float, aht: float, patience: float | None, agents: int, threshold: float
) -> None:
    f = erlang_a(rate, aht, patience, agents, threshold)
    for p in (f.prob_wait, f.abandon_rate, f.service_level, f.occupancy):
        assert 0.0 <= p <= 1.0
    assert f.offered_load_erlangs == pytest.approx(rate * aht / 3600)
    if not f.stable:
        assert patience is None and f.offered_load_erlangs >= agents
        return
    assert f.service_level <= 1 - f.abandon_rate + 1e-12
    assert f.service_level >= 1 - f.prob_wait - 1e-12  # answered at once count as in time
    assert f.mean_wait_seconds >= 0 and f.mean_queue_length >= 0
    if agents > 0:
        assert f.asa_seconds >= 0
        # E[W·1{answered}] <= E[W]: answered contacts carry part of the total wait.
        assert (1 - f.abandon_rate) * f.asa_seconds <= f.mean_wait_seconds * (1 + 1e-9) + 1e-12
        # Each answered contact brings one handle time of work.
        expected = f.offered_load_erlangs * (1 - f.abandon_rate) / agents
        assert f.occupancy == pytest.approx(expected, abs=1e-9)
    if patience is not None:
        # Abandonment at rate θQ: P(ab) = θ·E[Q]/λ = E[W over all]/mean patience.
        assert f.abandon_rate == pytest.approx(f.mean_wait_seconds / patience, rel=1e-9)
        g = erlang_a(rate, aht, patience, agents, math.inf)
        assert g.service_level == pytest.approx(1 - g.abandon_rate, abs=1e-12)
    else:
        assert f.asa_seconds == f.mean_wait_seconds


@settings(max_examples=100, deadline=None)
@given(rates, handle_times, patiences, st.integers(min_value=0, max_value=60), thresholds)
def test_more_agents_never_hurt(
    rate: float, aht: float, patience: float | None, agents: int, threshold: float
) -> None:
    f = erlang_a(rate, aht, patience, agents, threshold)
    g = erlang_a(rate, aht, patience, agents + 1, threshold)
    assert g.service_level >= f.service_level - 1e-12
    assert g.abandon_rate <= f.abandon_rate + 1e-12
    assert g.prob_wait <= f.prob_wait + 1e-12
    assert g.mean_wait_seconds <= f.mean_wait_seconds * (1 + 1e-9) + 1e-12
    if agents > 0:
        assert g.occupancy <= f.occupancy + 1e-12
        assert g.asa_seconds <= f.asa_seconds * (1 + 1e-9) + 1e-12


# ------------------------------------------------------------------------------ staffing


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=10.0, max_value=3000.0),
    handle_times,
    patiences,
    st.floats(min_value=0.0, max_value=120.0),
    st.one_of(st.none(), st.floats(min_value=0.5, max_value=0.99)),
    st.one_of(st.none(), st.floats(min_value=0.005, max_value=0.2)),
    st.one_of(st.none(), st.floats(min_value=1.0, max_value=120.0)),
    st.one_of(st.none(), st.floats(min_value=0.5, max_value=1.0)),
)
def test_agents_for_targets_is_least(
    rate: float,
    aht: float,
    patience: float | None,
    threshold: float,
    min_sl: float | None,
    max_ab: float | None,
    max_asa: float | None,
    max_occ: float | None,
) -> None:
    if min_sl is None and max_ab is None and max_asa is None and max_occ is None:
        min_sl = 0.8

    def meets(f: QueueFigures) -> bool:
        return (
            f.stable
            and (min_sl is None or f.service_level >= min_sl)
            and (max_ab is None or f.abandon_rate <= max_ab)
            and (max_asa is None or f.asa_seconds <= max_asa)
            and (max_occ is None or f.occupancy <= max_occ)
        )

    n = agents_for_targets(
        rate,
        aht,
        patience,
        threshold,
        min_service_level=min_sl,
        max_abandon_rate=max_ab,
        max_asa_seconds=max_asa,
        max_occupancy=max_occ,
    )
    assert meets(erlang_a(rate, aht, patience, n, threshold))
    if n > 0:
        assert not meets(erlang_a(rate, aht, patience, n - 1, threshold))


def test_agents_for_targets_erlang_a_example() -> None:
    # pyworkforce's ErlangA example (test_abandonment.py): SL 80% in 20 s, occupancy <= 85%,
    # abandonment <= 5%. Its required_positions starts at ceil(load) = 10; we start at 0.
    n = agents_for_targets(
        200.0,
        180.0,
        300.0,
        20.0,
        min_service_level=0.8,
        max_abandon_rate=0.05,
        max_occupancy=0.85,
    )
    f = erlang_a(200.0, 180.0, 300.0, n, 20.0)
    assert f.service_level >= 0.8 and f.abandon_rate <= 0.05 and f.occupancy <= 0.85
    g = erlang_a(200.0, 180.0, 300.0, n - 1, 20.0)
    assert g.service_level < 0.8 or g.abandon_rate > 0.05 or g.occupancy > 0.85


def test_agents_for_targets_errors() -> None:
    with pytest.raises(ValueError, match="at least one target"):
        agents_for_targets(200.0, 180.0, 300.0, 20.0)
    with pytest.raises(ValueError):
        agents_for_targets(200.0, 180.0, 300.0, 20.0, min_service_level=1.5)
    with pytest.raises(ValueError):
        agents_for_targets(200.0, 180.0, 300.0, 20.0, max_occupancy=0.0)
    with pytest.raises(ValueError):
        agents_for_targets(200.0, 180.0, 300.0, 20.0, max_asa_seconds=-1.0)
    with pytest.raises(ValueError):
        agents_for_targets(-200.0, 180.0, 300.0, 20.0, min_service_level=0.8)
    with pytest.raises(ValueError, match="not met"):
        # 10 Erlangs at occupancy <= 1e-6 needs 10^7 agents: beyond the search limit.
        agents_for_targets(200.0, 180.0, None, 20.0, max_occupancy=1e-6)
