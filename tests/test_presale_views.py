"""Pre-sale inquiries and the bot in a run's outputs and in compare.

Daily series, the console's table, hourly.csv and the report's sections; compare's margin
recovered per added agent-hour and its delta-method interval.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from sim import catalog
from sim.cli import _view_rows, app, presale_daily_table
from sim.compare import RECOVERED, compare, ratio_of_means
from sim.config import Scenario
from sim.experiment import run_scenario
from sim.loading import load_scenario
from sim.stats import t_quantile
from tests.conftest import tiny_scenario
from tests.test_cli import promo_scenario

runner = CliRunner()

DAILY = (
    "bot_sessions",
    "bot_contained",
    "presale_inquiries",
    "presale_bot_contained",
    "orders_from_inquiries",
    "lost_orders",
    "lost_margin_yuan",
)
"""The daily series that add up to their whole-run metric."""


def presale_promo(chat_agents: int = 3, **changes: Any) -> dict[str, Any]:
    """Two days of the CLI's promotion scenario with pre-sale inquiries and a chat bot."""
    data: dict[str, Any] = promo_scenario()
    data["calendar"] = {"start": "2026-11-03T00:00:00", "days": 2}
    data["replications"] = 2
    data["orders"] = {**data["orders"], "item_price_yuan": 80}  # not 0: a lost order loses margin
    data["channels"]["chat"]["bot"] = {"containment": {"wismo": 0.6, "inquiry": 0.3}}
    data["presale"] = {"inquiry": {"channel_mix": {"chat": 1.0}, "rate_per_order": 0.2}}
    data["staffing"]["groups"][-1]["schedule"]["agents"] = chat_agents
    data.update(changes)
    return data


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A run folder of :func:`presale_promo` and the console's output."""
    tmp = tmp_path_factory.mktemp("presale")
    out = tmp / "run"
    scenario = _write(tmp / "presale.yaml", presale_promo())
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_daily_series_add_up_to_the_run_and_are_absent_without_presale() -> None:
    result = run_scenario(Scenario.model_validate(presale_promo()))
    for reps in result.arms.values():
        for rep in reps:
            for key in DAILY:
                assert math.isclose(rep.daily[key].sum(), rep.overall[key], abs_tol=1e-6), key
            asked, kept = rep.daily["presale_inquiries"], rep.daily["orders_from_inquiries"]
            with np.errstate(invalid="ignore", divide="ignore"):
                assert np.allclose(rep.daily["inquiry_conversion"], kept / asked, equal_nan=True)
    table = presale_daily_table(result)
    assert table is not None and len(table.rows) == 2 * 3  # days × promotion, baseline, Δ
    plain = run_scenario(Scenario.model_validate(promo_scenario()))
    assert not set(plain.arms["promotion"][0].daily) & {*DAILY, "inquiry_conversion"}
    assert presale_daily_table(plain) is None


def test_the_console_shows_pre_sale_per_day_and_the_views_rows(ran: tuple[Path, str]) -> None:
    _, output = ran
    assert "Pre-sale and bot per day" in output
    plain = runner.invoke(
        app, ["run", str(_write(Path(ran[0]).parent / "p.yaml", promo_scenario())), "--quiet"]
    )
    assert plain.exit_code == 0 and "Pre-sale" not in plain.output
    ops = [k for k, _ in catalog.expand(catalog.VIEW_ROWS["operations"], [], [], [])]
    # the effect's lost margin sits beside the deal's gross profit
    assert ops.index("promo_gross_profit_yuan") - ops.index("lost_margin_yuan") == 1
    result = run_scenario(Scenario.model_validate(presale_promo()))
    service = [key for key, _, _ in _view_rows(result)["Service"]]
    assert {"inquiry_conversion", "chat.first_response_seconds"} <= set(service)


def test_hourly_csv_adds_up_to_the_lost_orders(ran: tuple[Path, str]) -> None:
    out, _ = ran
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = list(csv.DictReader((out / "hourly.csv").read_text(encoding="utf-8").splitlines()))
    assert len({r["hour"] for r in rows}) == 48
    for arm, block in (("promotion", "metrics"), ("baseline", "baseline"), ("effect", "effect")):
        total = sum(float(r["mean"]) for r in rows if r["arm"] == arm)
        assert math.isclose(total, summary[block]["lost_orders"]["mean"], abs_tol=1e-9), arm


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_has_the_pre_sale_sections_only_for_a_pre_sale_run(
    ran: tuple[Path, str], lang: str, tmp_path: Path
) -> None:
    out, _ = ran
    page = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(out), "--lang", lang, "--out", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    heading = {"en": "Sales lost by hour", "zh": "因响应慢流失的订单（按小时）"}[lang]
    assert heading in text and 'id="fig-lost-hourly"' in text
    assert '<section id="presale-daily">' in text
    assert catalog.CATALOG["inquiry_conversion"].label(lang) in text
    plain = tmp_path / "plain"
    scenario = _write(tmp_path / "tiny.yaml", tiny_scenario())
    assert runner.invoke(app, ["run", str(scenario), "--out", str(plain), "--quiet"]).exit_code == 0
    assert not (plain / "hourly.csv").exists()
    assert "lost-hourly" not in (plain / "report.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- compare


def test_ratio_of_means_is_the_delta_method_interval() -> None:
    y = [120.0, 95.0, 140.0, 110.0]
    x = [1.0, 0.9, 1.2, 1.1]
    got = ratio_of_means(y, x)
    assert got is not None
    n, r = 4, (sum(y) / 4) / (sum(x) / 4)
    resid = [a - r * b for a, b in zip(y, x, strict=True)]
    m = sum(resid) / n
    s = math.sqrt(sum((v - m) ** 2 for v in resid) / (n - 1))
    se = s / (sum(x) / n) / math.sqrt(n)
    half = t_quantile(0.95, n) * se
    assert math.isclose(got["mean"], r)
    assert got["ci95"] == pytest.approx([r - half, r + half], rel=1e-12)
    assert got["significant"] and got["n"] == n
    assert ratio_of_means([1.0, 2.0], [1.0, -1.0]) is None  # no hours added on average


def test_more_chat_agents_recover_margin_per_agent_hour(tmp_path: Path) -> None:
    lean = load_scenario(_write(tmp_path / "lean.yaml", presale_promo(1, name="lean")))
    more = load_scenario(_write(tmp_path / "more.yaml", presale_promo(3, name="more")))
    c = compare([lean, more])
    assert RECOVERED in c.metrics and c.stats[RECOVERED] == {}
    got = c.diffs[RECOVERED]["more"]
    gp, hours = c.diffs["gross_profit_yuan"]["more"], c.diffs["agent_hours"]["more"]
    ratio = gp["mean"] / hours["mean"]
    assert got["mean"] > 0 and math.isclose(got["mean"], ratio)
    assert got["ci95"][0] <= ratio <= got["ci95"][1]
    # with the same demand the gross profit kept is the lost margin won back
    lost = c.diffs["lost_margin_yuan"]["more"]
    assert math.isclose(gp["mean"], -lost["mean"], rel_tol=1e-9)
    # the same rota, or no pre-sale inquiries: no figure
    assert RECOVERED not in compare([lean, lean]).metrics
    plain = load_scenario(_write(tmp_path / "plain.yaml", promo_scenario()))
    assert RECOVERED not in compare([plain, more]).metrics


def test_compare_shows_the_recovered_margin(tmp_path: Path) -> None:
    lean = _write(tmp_path / "lean.yaml", presale_promo(1, name="lean"))
    more = _write(tmp_path / "more.yaml", presale_promo(3, name="more"))
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(lean), str(more), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "margin_rec" in result.output  # the row (its name may wrap at 80 columns)
    rows = list(csv.DictReader((out / "comparison.csv").read_text(encoding="utf-8").splitlines()))
    mine = [r for r in rows if r["metric"] == RECOVERED]
    assert [r["arm"] for r in mine] == ["lean", "more"] and float(mine[1]["diff_mean"]) > 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="recovered">' in page
