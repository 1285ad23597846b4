"""Valid extremes: each runs to the end through ``promosim run``.

Zero agents in some intervals (or all), no arrivals at all, 100× overload with and without
patience, zero patience, chat with concurrency 1, a 365-day horizon, one replication, no
orders under a promotion. For every one: contacts are conserved per channel and
replication (offered = answered + abandoned + open), ``summary.json`` parses with a strict
JSON parser (no NaN, no infinity) and no file holds ``nan`` or ``inf``; a metric without a
denominator is absent, never zero-filled.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import tiny_scenario

runner = CliRunner()
CONSOLE: list[str] = []
"""What each run printed, latest last."""


def _reject(constant: str) -> Any:
    raise ValueError(f"summary.json holds {constant}")


def strict_json(text: str) -> Any:
    """Parse JSON, refusing NaN and ±Infinity (which json.loads would accept)."""
    return json.loads(text, parse_constant=_reject)


def finite_numbers(node: Any, where: str = "") -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            finite_numbers(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            finite_numbers(v, f"{where}[{i}]")
    elif isinstance(node, float):
        assert math.isfinite(node), where


def run(tmp_path: Path, data: dict[str, Any], *extra: str) -> dict[str, Any]:
    """``promosim run`` the scenario; check the files; return summary.json."""
    scenario = tmp_path / "extreme.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--workers", "1", *extra])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = strict_json((out / "summary.json").read_text("utf-8"))
    finite_numbers(summary)
    # the console's tables say why a cell shows – (an absent metric) instead of a number
    cells = {c.strip() for line in result.stdout.splitlines() for c in line.split("│")}
    assert ("–" in cells) == ("– absent: no value" in result.stdout), result.stdout
    CONSOLE.append(result.stdout)
    for name in ("replications.csv", "intervals.csv", "daily.csv"):
        for row in csv.reader(io.StringIO((out / name).read_text("utf-8"))):
            bad = [c for c in row if c.strip().lower() in ("nan", "inf", "-inf", "infinity")]
            assert not bad, (name, row)
    check_conservation(out, list(data["channels"]))
    return summary


def check_conservation(out: Path, channels: list[str]) -> None:
    """Per arm and replication: offered = answered + abandoned + open, per channel and all."""
    reps: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    with (out / "replications.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            reps[(row["arm"], row["replication"])][row["metric"]] = float(row["value"])
    assert reps
    for m in reps.values():
        for c in [*channels, "all"]:
            parts = m[f"{c}.answered"] + m[f"{c}.abandoned"] + m[f"{c}.open"]
            assert m[f"{c}.offered"] == parts, c
        assert m["all.offered"] == sum(m[f"{c}.offered"] for c in channels)
        assert m["contacts"] == m["all.offered"]


def scenario(**overrides: Any) -> dict[str, Any]:
    """The tiny phone scenario, three replications, with fields replaced."""
    data = tiny_scenario(replications=3)
    data.update(overrides)
    return data


def phone(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data["channels"]["phone"].update(fields)
    return data


# --------------------------------------------------------------------------- the extremes


def test_zero_agents_in_some_intervals(tmp_path: Path) -> None:
    data = scenario(calendar={"days": 1, "interval_minutes": 60})
    agents = [0] * 8 + [3] * 12 + [0] * 4
    data["staffing"]["groups"][0]["schedule"] = {"kind": "hourly", "agents": agents}
    m = run(tmp_path, data)["metrics"]
    assert m["phone.offered"]["mean"] > 0
    assert 0 < m["phone.occupancy"]["mean"] <= 1
    text = (tmp_path / "run" / "intervals.csv").read_text("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["channel"] == "phone"]
    assert len(rows) == 24
    # nobody staffed (agents finishing a contact after 20:00 count as staffed overtime):
    # occupancy has no denominator, so it is blank, never 0
    unstaffed = [h for h, r in enumerate(rows) if float(r["agents"]) == 0]
    assert len(unstaffed) >= 6 and all(agents[h] == 0 for h in unstaffed)
    for h, row in enumerate(rows):
        assert (row["occupancy"] == "") == (h in unstaffed), h


def test_zero_agents_all_the_time(tmp_path: Path) -> None:
    data = scenario()
    data["staffing"]["groups"][0]["schedule"]["agents"] = 0
    m = run(tmp_path, data)["metrics"]
    assert m["phone.answered"]["mean"] == 0
    assert m["phone.offered"]["mean"] == m["phone.abandoned"]["mean"] + m["phone.open"]["mean"]
    for absent in ("phone.occupancy", "phone.asa_seconds", "phone.aht_seconds", "all.occupancy"):
        assert absent not in m, absent
    assert m["phone.service_level"]["mean"] == 0  # it has a denominator: every one failed
    assert m["agent_hours"]["mean"] == 0


@pytest.mark.parametrize(
    "arrivals",
    [[], [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 0}]],
    ids=["no-streams", "zero-rate"],
)
def test_no_arrivals_at_all(arrivals: list[dict[str, Any]], tmp_path: Path) -> None:
    m = run(tmp_path, scenario(arrivals=arrivals))["metrics"]
    assert m["contacts"]["mean"] == 0 and m["phone.offered"]["mean"] == 0
    for c in ("phone", "all"):
        for absent in ("abandon_rate", "service_level", "asa_seconds", "aht_seconds"):
            assert f"{c}.{absent}" not in m, f"{c}.{absent}"
        assert m[f"{c}.occupancy"]["mean"] == 0  # agents were staffed and idle
    assert "csat_mean" not in m and "fcr" not in m
    # the console and the report show why, rather than a zero
    assert "– absent: no value in any replication (no denominator" in CONSOLE[-1]
    page = (tmp_path / "run" / "report.html").read_text("utf-8")
    assert 'class="card absent"' in page and "no denominator" in page


@pytest.mark.parametrize("patience", [{"dist": "exponential", "mean": 120}, None])
def test_a_hundred_times_overload(patience: dict[str, Any] | None, tmp_path: Path) -> None:
    data = scenario(calendar={"days": 0.25, "interval_minutes": 30})
    data["arrivals"][0]["contacts_per_hour"] = 30 * 100
    phone(data, patience_seconds=patience)
    m = run(tmp_path, data)["metrics"]
    assert m["phone.occupancy"]["mean"] > 0.95
    if patience is None:  # nobody leaves: the queue is still there at the horizon
        assert m["phone.abandoned"]["mean"] == 0
        assert m["phone.open"]["mean"] > 0.9 * m["phone.offered"]["mean"]
    else:
        assert m["phone.abandon_rate"]["mean"] > 0.9


def test_zero_patience(tmp_path: Path) -> None:
    data = phone(scenario(), patience_seconds={"dist": "deterministic", "value": 0})
    m = run(tmp_path, data)["metrics"]
    assert m["phone.abandoned"]["mean"] > 0
    assert m["phone.open"]["mean"] == 0
    assert m["phone.asa_seconds"]["mean"] == 0  # only those who found an agent free
    # answered at once or not at all: service level is everyone not abandoned
    assert m["phone.service_level"]["mean"] == pytest.approx(1 - m["phone.abandon_rate"]["mean"])


def test_chat_with_concurrency_one(tmp_path: Path) -> None:
    data = scenario()
    data["channels"] = {
        "chat": {
            "handle_time_seconds": {"dist": "exponential", "mean": 300},
            "patience_seconds": {"dist": "exponential", "mean": 300},
            "service_level_seconds": 180,
            "concurrency": 1,
            "silent_abandon_share": 0.7,
        }
    }
    data["arrivals"][0]["channel"] = "chat"
    data["staffing"]["groups"][0]["channels"] = ["chat"]
    m = run(tmp_path, data)["metrics"]
    assert 0 < m["chat.occupancy"]["mean"] <= 1
    assert m["chat.offered"]["mean"] > 0


def test_one_replication(tmp_path: Path) -> None:
    summary = run(tmp_path, scenario(replications=1))
    for stat in summary["metrics"].values():
        assert stat["n"] == 1 and "ci95" not in stat and "sd" not in stat


def test_a_promotion_without_orders(tmp_path: Path) -> None:
    data = scenario(
        calendar={"start": "2026-11-03T00:00:00", "days": 1, "interval_minutes": 60},
        arrivals=[],  # every contact comes from orders, and there are none
        orders={"per_day": 0},
        contact_reasons=[
            {"name": "wismo", "rate_per_order": 0.05, "anchor": "ship", "channel_mix": {"phone": 1}}
        ],
        promotion={
            "kind": "second_item_discount",
            "start": "2026-11-03T00:00:00",
            "end": "2026-11-03T12:00:00",
            "order_uplift": 1.5,
        },
    )
    summary = run(tmp_path, data)
    m, e = summary["metrics"], summary["effect"]
    assert m["orders"]["mean"] == 0 and m["contacts"]["mean"] == 0
    for absent in ("contacts_per_100_orders", "promo_share_after_sale"):
        assert absent not in m, absent
    for absent in ("service_cost_per_promo_order_yuan", "break_even_miss_rate"):
        assert absent not in e, absent


@pytest.mark.slow
def test_a_365_day_horizon(tmp_path: Path) -> None:
    data = scenario(
        calendar={"start": "2026-01-01T00:00:00", "days": 365, "interval_minutes": 60},
        replications=2,
    )
    data["arrivals"][0]["contacts_per_hour"] = 2
    data["staffing"]["groups"][0]["schedule"]["agents"] = 1
    summary = run(tmp_path, data)
    m = summary["metrics"]
    assert m["phone.offered"]["mean"] == pytest.approx(2 * 24 * 365, rel=0.05)
    rows = (tmp_path / "run" / "daily.csv").read_text("utf-8").splitlines()
    assert rows[-1].startswith("2026-12-31,")
    intervals = (tmp_path / "run" / "intervals.csv").read_text("utf-8").splitlines()
    assert len(intervals) == 1 + 2 * 24 * 365  # the channel and the group, every hour


# --------------------------------------------------------------------------- beyond the bounds


def _located_refusal(tmp_path: Path, data: dict[str, Any], where: str) -> str:
    """``promosim run`` of ``data`` exits 2 before running, naming ``file:line: where``."""
    scenario = tmp_path / "extreme.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert re.search(rf"extreme\.yaml:\d+: {re.escape(where)}: ", result.output), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert not out.exists()
    return result.output


@pytest.mark.parametrize(
    ("dist", "field"),
    [
        ({"dist": "lognormal", "median": 300, "sigma": 1000}, "sigma"),  # an infinite mean
        ({"dist": "lognormal", "mean": 300, "cv": 1e6}, "cv"),
        ({"dist": "gamma", "mean": 300, "cv": 1e-300}, "cv"),  # shape 1/cv² divides by zero
        ({"dist": "gamma", "mean": 300, "cv": 1000}, "cv"),  # shape 1e-6: every draw 0
    ],
)
def test_distribution_parameters_beyond_finite_draws_are_located(
    dist: dict[str, Any], field: str, tmp_path: Path
) -> None:
    data = phone(scenario(), handle_time_seconds=dist)
    _located_refusal(tmp_path, data, f"channels.phone.handle_time_seconds.{field}")


@pytest.mark.parametrize("start", ["9999-12-31T12:00:00", "0001-01-01T00:00:00"])
def test_a_horizon_at_the_end_of_the_calendar_is_located(start: str, tmp_path: Path) -> None:
    data = scenario(calendar={"start": start, "days": 1, "interval_minutes": 30})
    output = _located_refusal(tmp_path, data, "calendar.start")
    assert "between 1900-01-01 and 3000-01-01" in output


def test_a_promotion_at_the_end_of_the_calendar_is_located(tmp_path: Path) -> None:
    data = scenario(
        calendar={"start": "2026-11-03T00:00:00", "days": 1, "interval_minutes": 60},
        orders={"per_day": 100},
        promotion={
            "kind": "second_item_discount",
            "start": "2026-11-03T00:00:00",
            "end": "9999-12-31T23:00:00",
            "peak_day": "9999-12-31",
        },
    )
    _located_refusal(tmp_path, data, "promotion.end")


def test_an_overlong_extends_path_is_located(tmp_path: Path) -> None:
    output = _located_refusal(tmp_path, {"extends": "a" * 6000 + ".yaml", **scenario()}, "extends")
    assert "a" * 100 not in output


@pytest.mark.parametrize("where", ["channel", "shift"])
def test_a_name_or_time_with_a_trailing_newline_is_refused(where: str, tmp_path: Path) -> None:
    data = scenario()
    if where == "channel":
        data["channels"] = {"phone\n": data["channels"]["phone"]}
        data["arrivals"][0]["channel"] = "phone\n"
        data["staffing"]["groups"][0]["channels"] = ["phone\n"]
        _located_refusal(tmp_path, data, "channels")
    else:
        shifts = [{"start": "08:00\n", "end": "16:00", "agents": 3}]
        data["staffing"]["groups"][0]["schedule"] = {"kind": "shifts", "shifts": shifts}
        _located_refusal(tmp_path, data, "staffing.groups.0.schedule.shifts.0.start")
