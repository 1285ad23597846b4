"""The run report in a real browser: no console errors, every plot draws."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.report import build_compare_report, build_staff_report, build_sweep_report
from tests.conftest import tiny_scenario
from tests.test_cli import promo_scenario
from tests.test_report import command_folders, platform_folder, with_roster

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: apt-get install -y chromium fonts-noto-cjk",
    ),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_draws_every_plot_without_console_errors(
    lang: str, browser: Any, tmp_path: Path
) -> None:
    pytest.importorskip("playwright.sync_api")
    scenario = tmp_path / "promo.yaml"
    scenario.write_text(json.dumps(promo_scenario()), encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    report = out / "report.html"
    if lang != "en":
        result = CliRunner().invoke(app, ["report", str(out), "--lang", lang])
        assert result.exit_code == 0, result.output
    plot_ids = re.findall(r'<div id="(fig-[a-z-]+)" class="plotly-graph-div"', report.read_text())
    assert plot_ids == [
        "fig-contacts",
        "fig-offered",
        "fig-service-level",
        "fig-asa",
        "fig-queue",
        "fig-occupancy",
        "fig-abandonment",
        "fig-satisfaction",
        "fig-waterfall",
    ]

    shot = tmp_path / f"report-{lang}.png"
    errors = _open_in_browser(browser, report, plot_ids, shot)
    assert errors == []
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_pre_sale_run_draws_its_sales_lost_by_hour(
    lang: str, browser: Any, tmp_path: Path
) -> None:
    pytest.importorskip("playwright.sync_api")
    from tests.test_presale_views import presale_promo

    scenario = tmp_path / "presale.yaml"
    scenario.write_text(json.dumps(presale_promo()), encoding="utf-8")
    out = tmp_path / "run"
    args = ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--lang", lang])
    assert result.exit_code == 0, result.output
    report = out / "report.html"
    text = report.read_text(encoding="utf-8")
    assert {"en": "Sales lost by hour", "zh": "因响应慢流失的订单（按小时）"}[lang] in text
    plot_ids = re.findall(r'<div id="(fig-[a-z-]+)" class="plotly-graph-div"', text)
    assert "fig-lost-hourly" in plot_ids
    shot = tmp_path / f"presale-{lang}.png"
    assert _open_in_browser(browser, report, plot_ids, shot) == []
    assert shot.stat().st_size > 10_000


def test_a_platform_run_draws_its_kpis_by_day(browser: Any, tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    out, _ = platform_folder(tmp_path / "run")
    for lang in ("en", "zh"):
        report = tmp_path / f"report-{lang}.html"
        result = CliRunner().invoke(app, ["report", str(out), "--lang", lang, "--out", str(report)])
        assert result.exit_code == 0, result.output
        text = report.read_text(encoding="utf-8")
        assert {"en": "Platform KPIs", "zh": "平台考核指标"}[lang] in text
        plot_ids = re.findall(r'<div id="(fig-[a-z0-9-]+)" class="plotly-graph-div"', text)
        kpis = ["fig-platform-response-3min-rate", "fig-platform-human-response-seconds"]
        assert plot_ids[:2] == kpis
        # a row per day and the whole run; the bar drawn as a line with its label
        counts = {
            "#platform tbody tr": 5,
            f"#{kpis[0]} .shapelayer path": 1,
            f"#{kpis[0]} .annotation": 1,
        }
        shot = tmp_path / f"platform-{lang}.png"
        assert _open_in_browser(browser, report, plot_ids, shot, counts) == [], lang
        assert shot.stat().st_size > 10_000


def test_a_long_run_s_buttons_switch_its_figures_to_every_interval(
    browser: Any, tmp_path: Path
) -> None:
    pytest.importorskip("playwright.sync_api")
    from tests.test_report_figures import long_folder

    report = long_folder(tmp_path) / "report.html"
    plot_ids = re.findall(
        r'<div id="(fig-[a-z0-9-]+)" class="plotly-graph-div"', report.read_text()
    )
    switched = ("fig-service-level", "fig-lost-hourly")
    assert set(switched) <= set(plot_ids)
    shown = "(id) => document.getElementById(id).data.map(t => t.visible !== false)"
    changed = (
        "([id, was]) => document.getElementById(id).data"
        ".some((t, i) => (t.visible !== false) !== was[i])"
    )
    errors: list[str] = []
    with _drawn(browser, report, plot_ids, errors) as page:
        for div_id in switched:
            days: list[bool] = page.evaluate(shown, div_id)
            assert any(days) and not all(days), div_id
            buttons = page.locator(f"#{div_id} .updatemenu-button")
            assert buttons.count() == 2, div_id
            buttons.nth(1).click()
            page.wait_for_function(changed, arg=[div_id, days])
            detail: list[bool] = page.evaluate(shown, div_id)
            # each trace in one view; in both only the service level's 80% reference
            both = sum(d and v for d, v in zip(days, detail, strict=True))
            assert both == (div_id == "fig-service-level"), div_id
            assert all(d or v for d, v in zip(days, detail, strict=True)), div_id
            assert page.locator(f"#{div_id} .scatterlayer .trace").count() == sum(detail)
            buttons.nth(0).click()
            page.wait_for_function(changed, arg=[div_id, detail])
            assert page.evaluate(shown, div_id) == days, div_id
    assert errors == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module's pages: a launch costs about a second, a page little."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def _drawn(browser: Any, report: Path, plot_ids: list[str], errors: list[str]) -> Iterator[Any]:
    """A page of ``browser`` (a context of its own) with ``report`` open, every plot drawn.

    The page's console errors and uncaught exceptions are appended to ``errors``.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        for div_id in plot_ids:
            page.wait_for_selector(f"#{div_id} .main-svg", state="attached", timeout=30_000)
        yield page
    finally:
        page.context.close()


def _open_in_browser(
    browser: Any,
    report: Path,
    plot_ids: list[str],
    shot: Path,
    counts: dict[str, int] | None = None,
) -> list[str]:
    """Open a report, wait for an svg in every plot, take a screenshot: the console errors.

    ``counts``: CSS selector → how many elements it must find once drawn (a miss is
    returned as an error).
    """
    errors: list[str] = []
    with _drawn(browser, report, plot_ids, errors) as page:
        for selector, n in (counts or {}).items():
            found = page.locator(selector).count()
            if found != n:
                errors.append(f"{selector}: {found} drawn, not {n}")
        page.screenshot(path=str(shot), full_page=True)
    return errors


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A compare, a sweep and a staff folder, made once for both languages.

    The staff one has booked extra shifts: its roster chart and bill draw too.
    """
    found = command_folders(tmp_path_factory.mktemp("commands"))
    found["staff"] = with_roster(found["staff"], tmp_path_factory.mktemp("roster") / "staff")
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_sweep_and_staff_reports_draw_every_plot(
    lang: str, folders: dict[str, Path], browser: Any, tmp_path: Path
) -> None:
    pytest.importorskip("playwright.sync_api")
    builders = {
        "compare": build_compare_report,
        "sweep": build_sweep_report,
        "staff": build_staff_report,
    }
    expected = {
        "compare": ["fig-compare-arms", "fig-compare-diff"],
        "sweep": ["fig-tornado", "fig-response"],
        "staff": [
            "fig-staff-agents",
            "fig-staff-heatmap",
            "fig-staff-targets",
            "fig-staff-roster",
            "fig-staff-bill",
        ],
    }
    for kind, build in builders.items():
        report = tmp_path / f"{kind}-{lang}.html"
        report.write_text(build(folders[kind], lang), encoding="utf-8")
        plot_ids = re.findall(
            r'<div id="(fig-[a-z-]+)" class="plotly-graph-div"', report.read_text()
        )
        assert plot_ids == expected[kind], kind
        shot = tmp_path / f"{kind}-{lang}.png"
        # every booked shift a bar, and per group a heatmap of short and one of surplus
        counts = (
            {"#fig-staff-roster .bars .point": 5, "#fig-staff-heatmap .hm": 2}
            if kind == "staff"
            else None
        )
        assert _open_in_browser(browser, report, plot_ids, shot, counts) == [], kind
        assert shot.stat().st_size > 10_000, kind


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's Chromium")
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_images_writes_every_figure_as_a_picture(tmp_path: Path, fmt: str) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(tiny_scenario()), encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", str(scenario), "--out", str(out), "--quiet", "--workers", "1", "--images", fmt]
    )
    assert result.exit_code == 0, result.output
    pictures = sorted((out / "images").iterdir())
    html_ids = (out / "report.html").read_text(encoding="utf-8")
    assert pictures and all(f'id="{p.stem}"' in html_ids for p in pictures)
    head = pictures[0].read_bytes()[:8]
    assert (
        head.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in pictures[0].read_bytes()[:200]
    )
    bad = CliRunner().invoke(app, ["report", str(out), "--images", "gif"])
    assert bad.exit_code == 2
