"""Golden regression: the default scenario's summary, as committed.

Any change to the model's behaviour changes these numbers; that must be a deliberate change,
reviewed and committed with the regenerated file:

    PROMOSIM_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim.experiment import run_scenario
from sim.loading import load_scenario
from sim.outputs import summary
from tests.conftest import CONFIGS

GOLDEN = Path(__file__).parent / "golden" / "default_summary.json"


def test_default_scenario_summary_is_unchanged() -> None:
    loaded = load_scenario(CONFIGS / "default.yaml", ["replications=3"])
    got = json.loads(json.dumps(summary(loaded, run_scenario(loaded.scenario))))
    if os.environ.get("PROMOSIM_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got["config_hash"] == want["config_hash"]
    assert got["metrics"].keys() == want["metrics"].keys()
    for key, stat in want["metrics"].items():
        # last-digit differences of libm between machines are allowed; nothing more
        assert got["metrics"][key]["mean"] == pytest.approx(stat["mean"], rel=1e-9, abs=1e-12), key
        assert got["metrics"][key].get("ci95") == pytest.approx(
            stat.get("ci95"), rel=1e-9, abs=1e-12
        ), key
