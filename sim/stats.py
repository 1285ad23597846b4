"""Statistics over replications: means, standard deviations, confidence intervals.

Replications are independent and identically distributed, so a metric's 95% confidence
interval is the Student-t interval of its replication values. Values that are absent in a
replication (the metric had no denominator there) are left out, and ``n`` says how many
replications the figure rests on.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import NotRequired, TypedDict

import numpy as np
from numpy.typing import NDArray


class Stat(TypedDict):
    """A metric over replications: mean, 95% CI, standard deviation, replications used."""

    mean: float
    ci95: NotRequired[list[float]]
    sd: NotRequired[float]
    n: int


@functools.cache
def t_quantile(level: float, n: int) -> float:
    """Two-sided Student-t multiplier for ``level`` confidence from ``n`` values."""
    # scipy.special's stdtrit is what scipy.stats.t.ppf evaluates, without the half second
    # scipy.stats takes to import on every command that states a CI
    from scipy import special

    return float(special.stdtrit(n - 1, 0.5 + level / 2))


def describe(values: Sequence[float] | NDArray[np.float64]) -> Stat:
    """``{"mean", "ci95": [lo, hi], "sd", "n"}`` of replication values.

    With one value, ``sd`` and ``ci95`` are absent (no spread can be estimated).
    """
    x = np.asarray(values, dtype=np.float64)
    n = int(x.size)
    mean = math.fsum(x.tolist()) / n
    if n < 2:
        return {"mean": mean, "n": n}
    sd = float(np.std(x, ddof=1))
    half = t_quantile(0.95, n) * sd / math.sqrt(n)
    return {"mean": mean, "ci95": [mean - half, mean + half], "sd": sd, "n": n}


def describe_columns(
    values: NDArray[np.float64], level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per column of a replications × k matrix: mean, CI low, CI high over finite values.

    The CI is the Student-t interval at ``level``; ``nan`` where a column has no finite
    value (mean) or fewer than two (CI).
    """
    finite = np.isfinite(values)
    n = finite.sum(axis=0)
    x = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.sum(axis=0) / n
        dev = np.where(finite, values - mean, 0.0)
        sd = np.sqrt((dev**2).sum(axis=0) / (n - 1))
        q = np.array([t_quantile(level, int(k)) if k > 1 else np.nan for k in n])
        half = q * sd / np.sqrt(n)
    mean = np.where(n > 0, mean, np.nan)
    return mean, mean - half, mean + half


def ci_halfwidth(values: Sequence[float] | NDArray[np.float64], level: float) -> float:
    """Half-width of the Student-t confidence interval of the mean at ``level``."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return math.inf
    return t_quantile(level, int(x.size)) * float(np.std(x, ddof=1)) / math.sqrt(x.size)


def summarise(per_replication: Iterable[Mapping[str, float]]) -> dict[str, Stat]:
    """Statistics of every metric over replications, keys in first-seen order."""
    columns: dict[str, list[float]] = {}
    for rep in per_replication:
        for key, value in rep.items():
            columns.setdefault(key, []).append(value)
    return {key: describe(vals) for key, vals in columns.items()}
