"""exp, log, log1p, expm1 and dot over arrays that give the same numbers on every CPU.

numpy chooses the inner loop of ``np.exp``, ``np.log``, ``np.log1p``, ``np.expm1``,
``np.power`` and the other transcendental ufuncs when it is imported, by the CPU's SIMD
features. On a CPU with AVX-512 its float64 loops (numpy's own, or Intel's SVML) differ from
the C library in the last bit for a few elements in a hundred; on other CPUs numpy calls the
C library. A handle time, a satisfaction probability or a demand spike, and so every
figure after it, would then depend on the machine a replication ran on, and a run spread
over mixed machines (a Dask cluster) would not be byte-identical to a local one.

The functions here return, element for element, what the C library (Python's :mod:`math`)
returns, whatever SIMD features the CPU has. They use scipy's Box–Cox ufuncs at λ = 0,
plain compiled loops without run-time CPU dispatch that call the C library's function for
each element: ``boxcox(x, 0) = log(x)``, ``boxcox1p(x, 0) = log1p(x)``,
``inv_boxcox(x, 0) = exp(x)`` and ``inv_boxcox1p(x, 0) = expm1(x)``. That costs 5–25 ns
an element (numpy's SIMD loop: about 1 ns; a Python loop over :mod:`math`: about 80 ns).
``tests/test_fmath.py`` checks every function against :mod:`math` on many values, and that
a run gives the same bytes with numpy's SIMD loops switched off. What remains is the C
library's own choice: glibc runs an FMA build of exp and log on CPUs with FMA (x86-64 since
2013), and another C library (musl, macOS, Windows) may round a few results differently.

Model code calls these, never the numpy ufuncs (``tests/test_fmath.py`` checks that too).
Outside the domain they give numpy's values (``log(0) = -inf``, ``log(-1) = nan``,
``exp(1000) = inf``, the same bits) but no floating-point warnings. Arguments are taken as
float64; results are float64 arrays (a numpy float64 for a scalar, as numpy's ufuncs give).

IEEE arithmetic (``+ - * /``, ``np.sqrt``), numpy's sums, means and cumulative sums and the
samplers of ``numpy.random.Generator`` give the same bits with numpy's SIMD loops on or
off; ``scipy.special``'s functions (``ndtr``, ``ndtri``, ``gammaincinv``, ``betainc``) are
compiled loops without run-time dispatch. BLAS and LAPACK (``@``, ``np.dot``, ``np.linalg``)
do depend on the CPU: the bundled OpenBLAS picks its kernels by CPU; :func:`dot` is the
1-d product without it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["dot", "exp", "expm1", "log", "log1p", "scipy_special"]


@functools.cache
def scipy_special() -> Any:
    """``scipy.special``, imported at the first call (about 0.14 s).

    Commands that read scenarios without simulating them (``validate``, ``diff``) import
    this module and :mod:`sim.distributions` but never call them.
    """
    from scipy import special

    return special


_LAMBDA = np.zeros(())
"""Box–Cox λ = 0 as a float64 array: a Python 0.0 would cost a conversion on every call."""
_LAMBDA.flags.writeable = False


def exp(x: ArrayLike) -> NDArray[np.float64]:
    """The exponential ``e**x``, as ``math.exp`` (overflow gives ``inf``)."""
    y: NDArray[np.float64] = scipy_special().inv_boxcox(x, _LAMBDA, dtype=np.float64)
    return y


def expm1(x: ArrayLike) -> NDArray[np.float64]:
    """``exp(x) − 1``, accurate near 0, as ``math.expm1`` (overflow gives ``inf``)."""
    y: NDArray[np.float64] = scipy_special().inv_boxcox1p(x, _LAMBDA, dtype=np.float64)
    return y


def log(x: ArrayLike) -> NDArray[np.float64]:
    """Natural logarithm, as ``math.log``; ``-inf`` at 0 and ``nan`` below, like ``np.log``."""
    y: NDArray[np.float64] = scipy_special().boxcox(x, _LAMBDA, dtype=np.float64)
    return y


def log1p(x: ArrayLike) -> NDArray[np.float64]:
    """``log(1 + x)``, accurate near 0, as ``math.log1p``; ``-inf`` at −1, ``nan`` below."""
    y: NDArray[np.float64] = scipy_special().boxcox1p(x, _LAMBDA, dtype=np.float64)
    return y


def dot(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Σ a_i·b_i of two 1-d arrays of one length, by numpy's pairwise sum, not BLAS.

    ``a @ b`` calls BLAS, whose kernels (and so the order of the additions) the bundled
    OpenBLAS picks by CPU.
    """
    return float(np.add.reduce(np.multiply(a, b)))
