"""One uniform's quantile in Python floats is the array quantile's double, for every kind."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import Deterministic, Distribution, Empirical, Exponential, Gamma, Lognormal
from sim.distributions import quantile, quantile_fn, quantile_one

KINDS: list[Distribution] = [
    Exponential(dist="exponential", mean=300.0),
    Exponential(dist="exponential", mean=0.0),
    Lognormal(dist="lognormal", mean=540.0, cv=1.0),
    Lognormal(dist="lognormal", median=8.0, sigma=1.4),
    Gamma(dist="gamma", mean=120.0, cv=0.5),
    Deterministic(dist="deterministic", value=42.0),
    Empirical(dist="empirical", values=[1.0, 2.5, 7.0]),
]


@pytest.mark.parametrize("d", KINDS, ids=lambda d: type(d).__name__)
def test_the_scalar_quantile_is_the_array_quantile_bit_for_bit(d: Distribution) -> None:
    rng = np.random.default_rng(17)
    u = np.concatenate([rng.random(20_000), [0.0, 1e-300, 0.5, 1 - 2**-53]])
    want = quantile(d, u)
    got = np.array([quantile_one(d, x) for x in u.tolist()])
    assert want.tobytes() == got.tobytes()


@pytest.mark.parametrize("d", KINDS, ids=lambda d: type(d).__name__)
def test_the_quantile_function_is_the_scalar_quantile_bit_for_bit(d: Distribution) -> None:
    rng = np.random.default_rng(18)
    u = np.concatenate([rng.random(5_000), [0.0, 1e-300, 0.5, 1 - 2**-53]]).tolist()
    q = quantile_fn(d)
    assert (
        np.array([q(x) for x in u]).tobytes() == np.array([quantile_one(d, x) for x in u]).tobytes()
    )
