"""Draws from the scenario's distribution blocks, vectorised with numpy."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from sim import fmath
from sim.config import Deterministic, Distribution, Empirical, Exponential, Gamma, Lognormal


def draw(d: Distribution, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
    """``size`` independent draws of ``d``, in the unit of the field that holds it."""
    match d:
        case Exponential(mean=m):
            return rng.exponential(m, size) if m > 0 else np.zeros(size)
        case Lognormal():
            mu, sigma = d.mu_sigma
            return rng.lognormal(mu, sigma, size)
        case Gamma(mean=m, cv=cv):
            shape = 1.0 / cv**2
            return rng.gamma(shape, m / shape, size)
        case Deterministic(value=v):
            return np.full(size, float(v))
        case Empirical(values=vs):
            return rng.choice(np.asarray(vs, dtype=np.float64), size)
    raise TypeError(d)  # pragma: no cover


def variance(d: Distribution) -> float:
    """The variance of ``d`` (for moment checks and analytic comparisons)."""
    match d:
        case Exponential(mean=m):
            return m * m
        case Lognormal():
            mu, sigma = d.mu_sigma
            return (math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)
        case Gamma(mean=m, cv=cv):
            return (m * cv) ** 2
        case Deterministic():
            return 0.0
        case Empirical(values=vs):
            return float(np.var(np.asarray(vs, dtype=np.float64)))
    raise TypeError(d)  # pragma: no cover


def quantile(d: Distribution, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """The inverse CDF of ``d`` at ``u`` in [0, 1): a draw from one uniform.

    Drawing through one uniform per contact keeps common random numbers exact: the same
    contact gets the same quantile of its handle time in every arm, even when the arms give
    it different distributions (another channel, a handle-time factor).
    """
    match d:
        case Exponential(mean=m):
            return -m * fmath.log1p(-u)
        case Lognormal():
            mu, sigma = d.mu_sigma
            return fmath.exp(
                mu + sigma * np.asarray(fmath.scipy_special().ndtri(u), dtype=np.float64)
            )
        case Gamma(mean=m, cv=cv):
            shape = 1.0 / cv**2
            return np.asarray(
                fmath.scipy_special().gammaincinv(shape, u) * (m / shape), dtype=np.float64
            )
        case Deterministic(value=v):
            return np.full(u.shape, float(v))
        case Empirical(values=vs):
            values = np.asarray(vs, dtype=np.float64)
            return values[np.minimum((u * values.size).astype(np.int64), values.size - 1)]
    raise TypeError(d)  # pragma: no cover


def quantile_one(d: Distribution, u: float) -> float:
    """:func:`quantile` at one uniform, in Python floats: the same double, a tenth of the time.

    ``math``'s functions are the C library's, which :mod:`sim.fmath` returns element for
    element, and scipy's special functions are the same C code on a scalar: every kind
    gives :func:`quantile`'s bits (tests/test_distributions_scalar.py).
    """
    match d:
        case Exponential(mean=m):
            return -m * math.log1p(-u)
        case Lognormal():
            mu, sigma = d.mu_sigma
            return math.exp(mu + sigma * float(fmath.scipy_special().ndtri(u)))
        case Gamma(mean=m, cv=cv):
            shape = 1.0 / cv**2
            return float(fmath.scipy_special().gammaincinv(shape, u)) * (m / shape)
        case Deterministic(value=v):
            return float(v)
        case Empirical(values=vs):
            return float(vs[min(int(u * len(vs)), len(vs) - 1)])
    raise TypeError(d)  # pragma: no cover


def quantile_fn(d: Distribution) -> Callable[[float], float]:
    """:func:`quantile_one` of ``d`` as a function of the uniform: the same doubles.

    The distribution's parameters are worked out once (a lognormal's μ and σ, a gamma's
    shape and scale), for callers that take many quantiles of one distribution one at a time.
    """
    match d:
        case Exponential(mean=m):
            scale = -m
            return lambda u: scale * math.log1p(-u)
        case Lognormal():
            mu, sigma = d.mu_sigma
            ndtri = fmath.scipy_special().ndtri
            return lambda u: math.exp(mu + sigma * float(ndtri(u)))
        case Gamma(mean=m, cv=cv):
            shape = 1.0 / cv**2
            scale = m / shape
            inverse = fmath.scipy_special().gammaincinv
            return lambda u: float(inverse(shape, u)) * scale
        case Deterministic(value=v):
            value = float(v)
            return lambda u: value
        case Empirical(values=vs):
            values = [float(x) for x in vs]
            last = len(values) - 1
            return lambda u: values[min(int(u * len(values)), last)]
    raise TypeError(d)  # pragma: no cover
