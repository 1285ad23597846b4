"""sim.fmath gives the C library's exp, log, log1p and expm1, so results do not depend on the CPU.

numpy's own loops for these ufuncs depend on the CPU's SIMD features (AVX-512 loops differ
from the C library by an ulp now and then); ``sim.fmath`` must equal :mod:`math` element for
element, a run must give the same bytes with numpy's SIMD loops switched off, and model code
must not call the numpy ufuncs directly.
"""

from __future__ import annotations

import ast
import importlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from sim import fmath
from tests.conftest import CONFIGS, ROOT
from tests.test_golden import mismatch

TINY = np.nextafter(0.0, 1.0)
BIG = np.finfo(np.float64).max
EDGES = [
    *[0.0, -0.0, TINY, -TINY, 1e-310, -1e-310, np.finfo(np.float64).tiny, 1e-300, 1e-20],
    *[1e-16, -1e-16, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, math.e, -1.0 + 1e-16, -1.0 - 1e-16],
    *[709.78, 709.79, 710.0, -708.4, -745.13, -745.14, -746.0, 1e300, -1e300, BIG, -BIG],
    *[math.inf, -math.inf, math.nan],
]
FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[..., NDArray[np.float64]]]] = {
    "exp": (math.exp, fmath.exp),
    "expm1": (math.expm1, fmath.expm1),
    "log": (math.log, fmath.log),
    "log1p": (math.log1p, fmath.log1p),
}


def samples() -> NDArray[np.float64]:
    """Edge cases and 240,000 values spread over every range the functions care about."""
    rng = np.random.default_rng(20260511)
    n = 40_000
    parts = [
        np.array(EDGES),
        rng.normal(0.0, 3.0, n),  # around 0: exp of a logit, a lognormal's exponent
        rng.uniform(-750.0, 750.0, n),  # the whole of exp's range and past it
        -rng.uniform(0.0, 1.0, n),  # log1p(-u) of exponential quantiles
        rng.uniform(0.0, 10.0, n),
        np.ldexp(rng.uniform(1.0, 2.0, n), rng.integers(-1074, 1024, n)),  # every binade
        rng.uniform(-1.0, 1.0, n) * 1e-8,  # where log1p and expm1 differ from log and exp
    ]
    return np.concatenate(parts)


def reference(f: Callable[[float], float], name: str, x: float) -> float:
    """``f(x)`` of :mod:`math`, or numpy's value where :mod:`math` raises."""
    try:
        return f(x)
    except OverflowError:
        return math.inf
    except ValueError:  # outside the domain: -inf at the pole, nan below it
        pole = -1.0 if name == "log1p" else 0.0
        return -math.inf if x == pole else math.nan


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_equals_the_c_library_element_for_element(name: str) -> None:
    f, ours = FUNCTIONS[name]
    x = samples()
    want = np.array([reference(f, name, v) for v in x.tolist()])
    got = ours(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), x[np.isnan(got) != nan][:5]
    # bits, so that a signed zero counts too
    differ = got[~nan].view(np.uint64) != want[~nan].view(np.uint64)
    assert not differ.any(), (
        f"{int(differ.sum())} of {differ.size} differ, e.g. {name}({x[~nan][differ][:3]}): "
        f"{got[~nan][differ][:3]} against {want[~nan][differ][:3]}"
    )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_scalars_lists_and_integers_are_taken_as_float64(name: str) -> None:
    f, ours = FUNCTIONS[name]
    assert np.shape(ours(0.25)) == () and float(ours(0.25)) == f(0.25)
    assert ours([1, 2]).tolist() == [f(1.0), f(2.0)]
    assert ours(np.float32(0.1)).tolist() == f(float(np.float32(0.1)))
    single = ours(np.array([0.1, 0.7], dtype=np.float32))
    assert single.dtype == np.float64
    assert single.tolist() == [f(float(np.float32(v))) for v in (0.1, 0.7)]
    empty = ours(np.zeros(0))
    assert empty.dtype == np.float64 and empty.shape == (0,)
    strided = np.linspace(0.1, 3.0, 20)[::3]
    assert ours(strided).tolist() == [f(v) for v in strided.tolist()]


def test_outside_the_domain_like_numpy_and_silent() -> None:
    with np.errstate(all="raise"):
        assert fmath.log(np.array([0.0, -1.0])).tolist()[0] == -math.inf
        assert math.isnan(float(fmath.log(-1.0)))
        assert float(fmath.log1p(-1.0)) == -math.inf and math.isnan(float(fmath.log1p(-2.0)))
        assert float(fmath.exp(1000.0)) == math.inf and float(fmath.expm1(1000.0)) == math.inf
        assert float(fmath.exp(-1000.0)) == 0.0 and float(fmath.expm1(-1000.0)) == -1.0


# ---------------------------------------------------------------- a run on another CPU

_RUN = """
import datetime as dt, hashlib, json, sys
from pathlib import Path
try:
    from numpy._core import _multiarray_umath as umath
except ImportError:  # numpy 1.x
    from numpy.core import _multiarray_umath as umath
from sim.experiment import run_scenario
from sim.loading import load_scenario
from sim.outputs import run_files

loaded = load_scenario(Path(sys.argv[1]), sys.argv[2:])
files = run_files(
    loaded, run_scenario(loaded.scenario), command=["promosim"],
    created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
)
names = ("summary.json", "daily.csv", "intervals.csv", "replications.csv")
print(json.dumps({
    "features": sorted(f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)),
    "files": {n: hashlib.sha256(str(files[n]).encode()).hexdigest() for n in names},
    "summary": files["summary.json"],
}))
"""


def simd_targets() -> tuple[list[str], list[str]]:
    """The SIMD targets numpy may dispatch to at run time, and those in use here."""
    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # numpy 1.x
        umath = importlib.import_module("numpy.core._multiarray_umath")
    targets: list[str] = sorted(umath.__cpu_dispatch__)
    features: dict[str, bool] = umath.__cpu_features__
    return targets, [t for t in targets if features.get(t)]


def run_elsewhere(disable: list[str], *args: str) -> dict[str, object]:
    """Run a scenario in a fresh interpreter, with numpy's ``disable`` SIMD targets off if any."""
    env = dict(os.environ)
    if disable:
        # each is named: turning X86_V3 off leaves X86_V4, which implies it, on
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disable)
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, object] = json.loads(done.stdout)
    return out


@pytest.mark.slow
def test_a_run_gives_the_same_bytes_without_numpys_simd_loops() -> None:
    """The default day, 1 replication: with every SIMD target off, numpy runs baseline loops.

    On a CPU with AVX-512 this failed while the model called np.exp and np.log1p.
    """
    targets, used = simd_targets()
    if not used:
        pytest.skip("numpy runs none of its dispatched SIMD targets here")
    args = (str(CONFIGS / "default.yaml"), "replications=1")
    here = run_elsewhere([], *args)
    baseline = run_elsewhere(targets, *args)
    assert here["features"] == used
    assert baseline["features"] == [], "NPY_DISABLE_CPU_FEATURES was not applied"
    summary = [str(r["summary"]).encode() for r in (baseline, here)]
    assert here["files"] == baseline["files"], mismatch("summary.json", *summary) or here["files"]


# ------------------------------------------------------------ no CPU-dependent call in the model

UNSAFE = frozenset(
    "exp exp2 expm1 log log2 log10 log1p logaddexp logaddexp2 power float_power cbrt hypot "
    "sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh sinc "
    "deg2rad rad2deg".split()
)
"""numpy functions whose results may depend on the CPU's SIMD features (sqrt is exact)."""
BLAS = frozenset("dot vdot inner matmul tensordot einsum linalg".split())
"""numpy functions that call BLAS or LAPACK, whose kernels OpenBLAS picks by CPU."""
BLAS_ALLOWED = frozenset({Path("calibrate.py"), Path("funnel.py")})
"""Files that may call BLAS: calibrate's (and the funnel's) least squares and Newton steps
need LAPACK; what they fit is written rounded to 6 significant digits, and a run never calls
them."""


def cpu_dependent_calls(sim: Path) -> list[str]:
    """``file:line: what`` for each CPU-dependent call in ``sim`` outside ``fmath.py``.

    That is a use of an :data:`UNSAFE` numpy function, of ``**`` with another exponent than
    the literal 2 (``x**2`` is a product; ``a ** 3`` of an array is ``np.power``), or of
    BLAS (:data:`BLAS`, ``a @ b``) outside :data:`BLAS_ALLOWED`.
    """
    found = []
    for path in sorted(sim.rglob("*.py")):
        where = path.relative_to(sim)
        if where == Path("fmath.py"):
            continue
        unsafe = UNSAFE if where in BLAS_ALLOWED else UNSAFE | BLAS
        tree = ast.parse(path.read_text(encoding="utf-8"))
        numpy_names = {"numpy"} | {
            a.asname or a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
            if a.name == "numpy"
        }
        for node in ast.walk(tree):
            what = ""
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in numpy_names
                and node.attr in unsafe
            ):
                what = f"{node.value.id}.{node.attr}"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numpy":
                what = ", ".join(a.name for a in node.names if a.name in unsafe)
            elif (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Pow)
                and not (isinstance(node.right, ast.Constant) and node.right.value == 2)
                and not all(isinstance(s, ast.Constant) for s in (node.left, node.right))
            ):
                what = f"** {ast.unparse(node.right)}"
            elif (
                isinstance(node, ast.BinOp | ast.AugAssign)
                and isinstance(node.op, ast.MatMult)
                and where not in BLAS_ALLOWED
            ):
                what = "@"
            if what:
                found.append(f"{where}:{getattr(node, 'lineno', 0)}: {what}")
    return sorted(found)


def test_model_code_calls_fmath_not_cpu_dependent_numpy(tmp_path: Path) -> None:
    assert cpu_dependent_calls(ROOT / "sim") == []
    (tmp_path / "report").mkdir()
    (tmp_path / "fmath.py").write_text("import numpy as np\ny = np.exp(1.0) + a @ b\n")
    (tmp_path / "a.py").write_text("import numpy as xp\ny = xp.log1p(x)\nz = x**2 + 2**30\n")
    (tmp_path / "report" / "b.py").write_text("from numpy import sqrt, power\n")
    (tmp_path / "c.py").write_text("import numpy as np\ny = np.log.reduce(x) + x**3 + x**s\n")
    (tmp_path / "d.py").write_text("import numpy as np\ny = a @ b + np.linalg.inv(m)\nc @= d\n")
    (tmp_path / "calibrate.py").write_text("import numpy as np\ny = np.linalg.inv(a @ b)\n")
    assert cpu_dependent_calls(tmp_path) == [
        "a.py:2: xp.log1p",
        "c.py:2: ** 3",
        "c.py:2: ** s",
        "c.py:2: np.log",
        "d.py:2: @",
        "d.py:2: np.linalg",
        "d.py:3: @",
        "report/b.py:1: power",
    ]


def test_dot_sums_without_blas() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=1001), rng.normal(size=1001)
    assert fmath.dot(a, b) == float(np.sum(a * b))
    assert abs(fmath.dot(a, b) - math.fsum((a * b).tolist())) < 1e-12
    assert fmath.dot(np.zeros(0), np.zeros(0)) == 0.0
