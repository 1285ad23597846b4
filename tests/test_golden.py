"""Golden regression: every bundled scenario's run-folder files, byte for byte.

For each ``configs/*.yaml`` the test runs the scenario with ``replications=2`` (horizon as
written) and builds the run folder's files with :func:`sim.outputs.run_files`, the code
``promosim run`` writes them with. ``summary.json``, ``daily.csv``, ``intervals.csv``,
``replications.csv`` (both arms where there is a promotion) and, for a scenario naming its
platform, ``scorecard.csv`` must equal the files under
``tests/golden/<scenario file stem>/`` byte for byte. ``manifest.json`` and
``scenario.resolved.yaml`` hold times and paths and are not compared. ``intervals.csv`` is
stored gzipped (about 2 MB of text per 21-day scenario); it is compared as text.

Any change to the model's behaviour changes these files; that must be a deliberate change,
reviewed and committed with the regenerated files:

    PROMOSIM_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

The flagship pair (第二件1元 and its auto-apply variant) also has its headline numbers written
out below, so a reviewer sees what a regeneration changed; update those by hand.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sim.outputs import run_files
from tests.conftest import BUNDLED_RUNS, CONFIGS, bundled_run

pytestmark = BUNDLED_RUNS

GOLDEN = Path(__file__).parent / "golden"
REPLICATIONS = 2
COMPARED = ("summary.json", "daily.csv", "intervals.csv", "replications.csv", "scorecard.csv")
OPTIONAL = frozenset({"scorecard.csv"})
"""Compared where the scenario writes it (a scenario naming its platform)."""
GZIPPED = frozenset({"intervals.csv"})
SCENARIOS = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
UPDATE = bool(os.environ.get("PROMOSIM_UPDATE_GOLDEN"))
# a fixed time: the compared files must not depend on it (manifest.json, not compared, does)
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _files(stem: str) -> dict[str, str]:
    """The compared files of ``configs/<stem>.yaml`` run with ``REPLICATIONS``, name → text."""
    loaded, result = bundled_run(stem, REPLICATIONS)
    files = run_files(loaded, result, command=["promosim"], created=CREATED)
    out = {}
    for name in COMPARED:
        if name in OPTIONAL and name not in files:
            continue
        text = files[name]
        assert isinstance(text, str), name
        out[name] = text
    return out


def _golden_path(stem: str, name: str) -> Path:
    return GOLDEN / stem / (f"{name}.gz" if name in GZIPPED else name)


def _read_golden(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _write_golden(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name: the same text gives the same stored bytes
    path.write_bytes(
        gzip.compress(data, compresslevel=9, mtime=0) if path.suffix == ".gz" else data
    )


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON value as ``a.b.c`` → leaf (lists indexed as ``[i]``)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flat(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def mismatch(name: str, want: bytes, got: bytes, *, context: int = 3, limit: int = 12) -> str:
    """Why ``got`` is not ``want`` (empty when equal): the first differing lines, and the keys.

    For a ``.json`` file the differing keys (``metrics.contacts.mean``) are listed as well.
    """
    if want == got:
        return ""
    w_lines = want.decode("utf-8", "replace").splitlines()
    g_lines = got.decode("utf-8", "replace").splitlines()
    first = next(
        (i for i, (a, b) in enumerate(zip(w_lines, g_lines, strict=False)) if a != b),
        min(len(w_lines), len(g_lines)),
    )
    lines = [
        f"{name} differs from its golden file: {len(want)} bytes expected, {len(got)} got; "
        f"first difference at line {first + 1}"
    ]
    diff = difflib.unified_diff(
        w_lines, g_lines, "golden/" + name, "now/" + name, n=context, lineterm=""
    )
    shown = [line[:300] for _, line in zip(range(limit + 4), diff, strict=False)]
    lines += shown
    if name.endswith(".json"):
        try:
            a, b = _flat(json.loads(want)), _flat(json.loads(got))
        except ValueError:
            lines.append("(not valid JSON on one side)")
        else:
            keys = sorted(k for k in a.keys() | b.keys() if a.get(k, ...) != b.get(k, ...))
            lines.append(f"{len(keys)} differing keys: " + ", ".join(keys[:limit]))
            lines += [
                f"  {k}: golden {a.get(k, '(none)')!r}, now {b.get(k, '(none)')!r}"
                for k in keys[:limit]
            ]
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("stem", SCENARIOS)
def test_run_files_match_golden(stem: str) -> None:
    files = _files(stem)
    local = (str(CONFIGS.resolve()), str(Path(__file__).resolve().parents[1]))
    for name, text in files.items():
        for folder in local:
            assert folder not in text, f"{stem}/{name} holds a local path {folder!r}"
    problems = []
    for name, text in files.items():
        path = _golden_path(stem, name)
        got = text.encode("utf-8")
        if UPDATE:
            _write_golden(path, got)
        if not path.exists():
            problems.append(f"{path} is missing; regenerate with PROMOSIM_UPDATE_GOLDEN=1")
            continue
        problems.append(mismatch(f"{stem}/{name}", _read_golden(path), got))
    message = "\n\n".join(p for p in problems if p)
    assert not message, message


def _stat(summary: dict[str, Any], part: str, key: str) -> float:
    value = summary[part][key]["mean"]
    assert isinstance(value, float | int)
    return float(value)


@pytest.mark.slow
def test_flagship_headline_numbers() -> None:
    """第二件1元 over 双11: what the promotion adds (promotion − baseline, 2 replications).

    Written out so a regeneration that moves them is visible in review; update by hand.
    """
    plain = json.loads(_files("second_item_1yuan")["summary.json"])
    auto = json.loads(_files("second_item_1yuan_autoapply")["summary.json"])
    faq = json.loads(_files("second_item_1yuan_botfaq")["summary.json"])
    assert _stat(plain, "effect", "contacts") == 47686.5
    assert _stat(plain, "effect", "promo_contacts") == 12335.5
    assert _stat(plain, "effect", "contacts.price_difference") == 687.5
    assert _stat(plain, "effect", "refunds_yuan") == 17545.0
    assert _stat(plain, "effect", "promo_gross_profit_yuan") == 2752270.1920000007
    assert _stat(plain, "effect", "lost_orders") == 8598.5
    assert _stat(plain, "effect", "lost_margin_yuan") == 244548.29300000053
    assert _stat(plain, "effect", "net_impact_yuan") == 1092998.0653932625

    assert _stat(auto, "effect", "contacts") == 44478.0
    assert _stat(auto, "effect", "promo_contacts") == 5888.5
    assert _stat(auto, "effect", "refunds_yuan") == 2958.0
    assert _stat(auto, "effect", "net_impact_yuan") == 1152700.6091822898

    assert _stat(faq, "effect", "contacts") == 32286.5
    assert _stat(faq, "effect", "lost_orders") == 6690.0
    assert _stat(faq, "effect", "net_impact_yuan") == 1533384.6022047251

    # the cart applying the bundle saves contacts and 退差价 refunds, and earns more net
    for key in ("contacts", "promo_contacts", "contacts.price_difference", "refunds_yuan"):
        assert _stat(auto, "effect", key) < _stat(plain, "effect", key), key
    assert _stat(auto, "effect", "net_impact_yuan") > _stat(plain, "effect", "net_impact_yuan")
    # the trained bot leaves the 退差价 refunds (it may not refund) but takes the questions:
    # fewer contacts reach the agents, fewer orders are lost, more net than either
    assert _stat(faq, "effect", "refunds_yuan") > _stat(auto, "effect", "refunds_yuan")
    for key in ("contacts", "lost_orders", "lost_margin_yuan"):
        assert _stat(faq, "effect", key) < _stat(auto, "effect", key), key
    assert _stat(faq, "effect", "net_impact_yuan") > _stat(auto, "effect", "net_impact_yuan")


def test_mismatch_names_the_file_the_line_and_the_keys() -> None:
    want = json.dumps({"metrics": {"contacts": {"mean": 1.0}, "orders": {"mean": 2.0}}}, indent=2)
    got = want.replace("1.0", "1.5")
    message = mismatch("x/summary.json", want.encode(), got.encode())
    assert "x/summary.json differs" in message
    assert "first difference at line 4" in message
    assert '-      "mean": 1.0' in message and '+      "mean": 1.5' in message
    assert "1 differing keys: metrics.contacts.mean" in message
    assert mismatch("a.csv", b"a\nb\n", b"a\nb\n") == ""
    assert "first difference at line 3" in mismatch("a.csv", b"a\nb\n", b"a\nb\nc\n")
    assert mismatch("a.csv", b"a\n", b"a") != ""  # a missing final newline is a difference


def test_gzipped_golden_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "intervals.csv.gz"
    _write_golden(path, b"arm,x\npromotion,1.0\n")
    first = path.read_bytes()
    _write_golden(path, b"arm,x\npromotion,1.0\n")
    assert path.read_bytes() == first  # no time or name in the stored bytes
    assert _read_golden(path) == b"arm,x\npromotion,1.0\n"
