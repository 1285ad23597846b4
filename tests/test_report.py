"""The run report: every section, deterministic, translated, self-contained and small."""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.catalog import CATALOG
from sim.cli import app
from sim.report import (
    LABELS,
    METRIC_TEXTS,
    ReportError,
    build_compare_report,
    build_report,
    build_staff_report,
    build_sweep_report,
    used_folder_labels,
    used_labels,
)
from tests.conftest import ROOT, tiny_scenario
from tests.test_cli import promo_scenario

runner = CliRunner()

TEXTS = {**LABELS, **METRIC_TEXTS}
"""Every text key of the reports: their own words and the catalog's."""

SECTIONS = (
    "sec_headline",
    "sec_channels",
    "sec_contacts",
    "sec_sl",
    "sec_asa",
    "sec_queue",
    "sec_occupancy",
    "sec_offered",
    "sec_abandonment",
    "sec_csat",
    "sec_glossary",
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A promotion run and a run without a promotion, written by the CLI."""
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for name, data in (("promo", promo_scenario()), ("tiny", tiny_scenario())):
        scenario = root / f"{name}.yaml"
        scenario.write_text(json.dumps(data), encoding="utf-8")
        folder = root / name
        result = runner.invoke(
            app, ["run", str(scenario), "--out", str(folder), "--workers", "1", "--quiet"]
        )
        assert result.exit_code == 0, result.output
        out[name] = folder
    return out


def _non_library(page: str) -> str:
    """The page without the embedded plotly.js bundle (the only large script)."""
    return re.sub(r"<script[^>]*>/\*\*\s*\* plotly\.js.*?</script>", "", page, flags=re.S)


def _titles(page: str) -> list[str]:
    """Every label-bearing text of the page: headings, card labels, figure texts, names."""
    rest = _non_library(page)
    texts = re.findall(r"<h[1-3]>(.*?)</h[1-3]>", rest)
    texts += re.findall(r'<div class="label">(.*?)</div>', rest)
    texts += re.findall(r"<th>(.*?)</th>", rest)
    texts += re.findall(r'<p class="note">(.*?)</p>', rest)
    for key in ("text", "name"):
        for raw in re.findall(rf'"{key}":("(?:[^"\\]|\\.)*")', rest):
            texts.append(json.loads(raw))
    return texts


@pytest.mark.parametrize("name", ["promo", "tiny"])
def test_the_run_writes_a_report_with_every_section(runs: dict[str, Path], name: str) -> None:
    page = (runs[name] / "report.html").read_text(encoding="utf-8")
    titles = _titles(page)
    for key in SECTIONS:
        assert TEXTS[key]["en"] in titles, key
    waterfall = "sec_waterfall_promo" if name == "promo" else "sec_waterfall"
    assert TEXTS[waterfall]["en"] in page
    for div_id in ("contacts", "service-level", "asa", "queue", "occupancy"):
        assert f'id="fig-{div_id}"' in page
    labels = ["Contacts", "Service level", "Abandon rate", "Occupancy"]
    if name == "promo":  # the tiny scenario has no orders
        labels += ["Orders", "Gross profit", "Net", "Bad reviews"]
    for label in labels:
        assert f'<div class="label">{label}</div>' in page
    assert "CSAT (share satisfied)" in page
    if name == "promo":
        assert 'id="fig-waterfall"' in page
        assert html.escape(TEXTS["net_impact_yuan"]["en"]) in titles
        assert "¥" in page
        # promotion-caused contacts stacked on the baseline's, by reason
        assert "wismo · caused by the promotion" in titles
        assert "wismo · baseline" in titles


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_desk_table_shows_the_asynchronous_chat_s_metrics_with_their_denominators(
    tmp_path: Path, lang: str
) -> None:
    """A chat desk open 08:00–24:00, asynchronous, with KPI hours; a hotline in office hours."""
    data = tiny_scenario(
        calendar={"days": 1, "interval_minutes": 30},
        arrivals=[
            {"kind": "poisson", "channel": "phone", "contacts_per_hour": 10},
            {"kind": "poisson", "channel": "chat", "contacts_per_hour": 30},
        ],
    )
    data["channels"]["phone"]["hours"] = {"open": "09:00", "close": "18:00"}
    data["channels"]["chat"] = {
        "handle_time_seconds": {"dist": "exponential", "mean": 300},
        "patience_seconds": {"dist": "exponential", "mean": 300},
        "service_level_seconds": 180,
        "concurrency": 3,
        "asynchronous": True,
        "hours": {"open": "08:00", "close": "24:00"},
        "kpi_hours": {"open": "08:00", "close": "24:00"},
    }
    data["staffing"]["groups"].append(
        {"name": "chat", "channels": ["chat"], "schedule": {"kind": "constant", "agents": 2}}
    )
    scenario = tmp_path / "desk.yaml"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    folder = tmp_path / "desk"
    args = ["run", str(scenario), "--out", str(folder), "--workers", "1", "--quiet"]
    result = runner.invoke(app, [*args, "--lang", lang])
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text(encoding="utf-8")
    table = re.search(r'<table class="channels">(.*?)</table>', page, flags=re.S)
    assert table is not None
    rows = dict(re.findall(r"<tr><th>(.*?)</th>(.*?)</tr>", table.group(1), flags=re.S))
    for key in ("left_before_answer", "first_response_seconds", "kpi_service_level", "closed"):
        label = html.escape(METRIC_TEXTS[key][lang])
        assert label in rows, (key, list(rows))
        denominator = CATALOG[key].denominator
        if denominator:
            assert html.escape(denominator) in rows[label]
    # the hotline closes at 18:00: calls after it are counted as closed, the chat has none
    closed = re.findall(r"<td>(.*?)</td>", rows[html.escape(METRIC_TEXTS["closed"][lang])])
    assert closed[1] == "–" and closed[0] != "–"  # columns: phone, chat, all, denominator


def test_report_command_rebuilds_the_same_bytes(runs: dict[str, Path], tmp_path: Path) -> None:
    for folder in runs.values():
        written = (folder / "report.html").read_bytes()
        copy = tmp_path / f"{folder.name}.html"
        result = runner.invoke(app, ["report", str(folder), "--out", str(copy)])
        assert result.exit_code == 0, result.output
        assert copy.read_bytes() == written
        result = runner.invoke(app, ["report", str(folder)])
        assert result.exit_code == 0, result.output
        assert (folder / "report.html").read_bytes() == written


def test_plotly_js_is_embedded_once_and_the_page_is_small(runs: dict[str, Path]) -> None:
    for folder in runs.values():
        page = (folder / "report.html").read_text(encoding="utf-8")
        assert len(re.findall(r"\* plotly\.js v\d", page)) == 1
        assert "<script src=" not in page  # nothing loaded from elsewhere: works offline
        assert len(page.encode()) < 10_000_000


@pytest.mark.slow
def test_the_default_scenario_report_is_under_10_mb(configs: Path, tmp_path: Path) -> None:
    out = tmp_path / "default"
    result = runner.invoke(
        app,
        [
            "run",
            str(configs / "default.yaml"),
            "--replications",
            "2",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").stat().st_size < 10_000_000


@pytest.mark.parametrize("name", ["promo", "tiny"])
def test_the_chinese_report_has_no_untranslated_label(runs: dict[str, Path], name: str) -> None:
    for key, texts in TEXTS.items():
        assert set(texts) == {"en", "zh"} and texts["zh"].strip(), key
    used = used_labels(runs[name], "zh")
    assert used <= set(TEXTS)
    assert used == used_labels(runs[name], "en")
    page = build_report(runs[name], "zh")
    titles = _titles(page)
    for key in used:
        en, zh = TEXTS[key]["en"], TEXTS[key]["zh"]
        assert en != zh, key
        en_text = en.split("{")[0].strip()
        assert all(en_text not in title for title in titles), (key, en_text)
    assert any(TEXTS["sec_contacts"]["zh"] == title for title in titles)
    assert '<html lang="zh-CN">' in page


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "not a run folder" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "summary.json is missing" in result.output


def test_report_refuses_an_unknown_language(runs: dict[str, Path]) -> None:
    result = runner.invoke(app, ["report", str(runs["tiny"]), "--lang", "fr"])
    assert result.exit_code == 2
    assert "--lang" in result.output


# --------------------------------------------------------------------------- compare, sweep, staff

FOLDER_SECTIONS = {
    "compare": ("sec_compare_arms", "sec_compare_diff", "sec_compare_table"),
    "sweep": ("sec_tornado", "sec_response"),
    "staff": ("sec_staff_cards", "sec_staff_agents", "sec_staff_targets"),
}
FOLDER_PLOTS = {
    "compare": ("compare-arms", "compare-diff"),
    "sweep": ("tornado", "response"),
    "staff": ("staff-agents", "staff-targets"),
}
BUILDERS = {
    "compare": build_compare_report,
    "sweep": build_sweep_report,
    "staff": build_staff_report,
}


def command_folders(root: Path) -> dict[str, Path]:
    """A compare, a one-at-a-time sweep and a staff folder of tiny scenarios, by the CLI."""
    light, heavy = root / "light.yaml", root / "heavy.yaml"
    light.write_text(json.dumps(tiny_scenario(name="light")), encoding="utf-8")
    heavy_data = tiny_scenario(name="heavy")
    heavy_data["arrivals"][0]["contacts_per_hour"] = 45
    heavy.write_text(json.dumps(heavy_data), encoding="utf-8")
    common = ["--replications", "2", "--workers", "1", "--quiet"]
    commands = {
        "compare": ["compare", str(light), str(heavy)],
        "sweep": [
            "sweep",
            str(light),
            "--vary",
            "staffing.groups.0.schedule.agents=2:4:3",
            "--vary",
            "arrivals.0.contacts_per_hour=20,40",
            "--one-at-a-time",
            "--metric",
            "phone.service_level",
        ],
        "staff": ["staff", str(light), "--target", "phone.service_level>=0.8"],
    }
    out = {}
    for name, args in commands.items():
        folder = root / name
        result = runner.invoke(app, [*args, *common, "--out", str(folder)])
        assert result.exit_code == 0, result.output
        out[name] = folder
    return out


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return command_folders(tmp_path_factory.mktemp("commands"))


@pytest.mark.parametrize("kind", ["compare", "sweep", "staff"])
def test_command_reports_have_every_section_and_are_deterministic(
    folders: dict[str, Path], kind: str
) -> None:
    build = BUILDERS[kind]
    page = build(folders[kind])
    assert page == build(folders[kind])
    titles = _titles(page)
    for key in FOLDER_SECTIONS[kind]:
        assert TEXTS[key]["en"] in titles, key
    for div_id in FOLDER_PLOTS[kind]:
        assert f'id="fig-{div_id}"' in page, div_id
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1
    assert "<script src=" not in page
    assert len(page.encode()) < 10_000_000


def test_the_compare_report_shows_arms_differences_and_every_metric(
    folders: dict[str, Path],
) -> None:
    page = build_compare_report(folders["compare"])
    rest = _non_library(page)
    titles = _titles(page)
    for label in ("contacts", "service_level", "abandon_rate", "asa_seconds", "occupancy"):
        assert TEXTS[label]["en"] in titles, label
    assert "heavy − light" in titles
    assert TEXTS["significant"]["en"] in titles
    metrics = {
        line.split(",")[0]
        for line in (folders["compare"] / "comparison.csv").read_text().splitlines()[1:]
    }
    for metric in metrics:
        assert f"<td>{metric}</td>" in rest, metric
    # more contacts in the heavy arm: a significant difference, marked in the table
    assert re.search(r"<td>contacts</td>(<td[^>]*>[^<]*</td>){2}<td[^>]*>[^<]* \*</td>", rest)


def test_the_sweep_report_draws_a_tornado_widest_on_top_or_says_there_is_none(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    page = build_sweep_report(folders["sweep"])
    tornado = json.loads((folders["sweep"] / "tornado.json").read_text())
    widest = max(tornado["bars"], key=lambda b: b["swing"])["path"]
    bars = re.search(r'"orientation":"h".*?"y":(\[[^\]]*\])', _non_library(page))
    assert bars is not None
    assert json.loads(bars.group(1))[0] == widest
    assert "phone.service_level" in page
    # a grid sweep has no tornado.json: response curves of all.service_level only
    grid = tmp_path / "grid"
    grid.mkdir()
    (grid / "sweep.csv").write_text((folders["sweep"] / "sweep.csv").read_text())
    page = build_sweep_report(grid)
    assert TEXTS["no_tornado"]["en"] in _titles(page)
    assert 'id="fig-tornado"' not in page
    assert 'id="fig-response"' in page
    assert "all.service_level" in page


def test_the_staff_report_shows_short_and_surplus_cost_and_target(
    folders: dict[str, Path],
) -> None:
    page = build_staff_report(folders["staff"])
    info = json.loads((folders["staff"] / "staffing.json").read_text())
    titles = _titles(page)
    for label in ("short_agent_hours", "surplus_agent_hours", "short_cost_yuan"):
        assert f"{TEXTS[label]['en']} · {TEXTS['total']['en']}" in titles
    assert TEXTS["required_agents"]["en"] in titles
    assert TEXTS["scheduled_agents"]["en"] in titles
    assert "target >= 0.8" in titles
    assert f"{info['total_short_agent_hours']:,.1f}" in page
    assert f"{info['total_surplus_agent_hours']:,.1f}" in page
    assert "¥" in page


@pytest.mark.parametrize("kind", ["compare", "sweep", "staff"])
def test_the_chinese_command_reports_have_no_untranslated_label(
    folders: dict[str, Path], kind: str
) -> None:
    used = used_folder_labels(folders[kind], kind, "zh")
    assert used <= set(TEXTS)
    assert used == used_folder_labels(folders[kind], kind, "en")
    page = BUILDERS[kind](folders[kind], "zh")
    titles = _titles(page)
    for key in used:
        en, zh = TEXTS[key]["en"], TEXTS[key]["zh"]
        assert en != zh, key
        en_text = en.split("{")[0].strip()
        if en_text:
            assert all(en_text not in title for title in titles), (key, en_text)
    assert TEXTS[FOLDER_SECTIONS[kind][0]]["zh"] in titles
    assert '<html lang="zh-CN">' in page


@pytest.mark.parametrize("kind", ["compare", "sweep", "staff"])
def test_command_reports_refuse_a_wrong_folder(folders: dict[str, Path], kind: str) -> None:
    with pytest.raises(ReportError, match="no such folder"):
        BUILDERS[kind](folders[kind] / "missing")
    other = "sweep" if kind != "sweep" else "staff"
    with pytest.raises(ReportError, match="is missing"):
        BUILDERS[kind](folders[other])
    with pytest.raises(ReportError, match="language"):
        BUILDERS[kind](folders[kind], "fr")


def test_an_absent_headline_metric_says_why_and_a_partial_one_says_over_how_many(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    # the tiny scenario has no orders: the card is there, with no number and the reason
    page = (runs["tiny"] / "report.html").read_text(encoding="utf-8")
    card = re.search(
        r'<div class="card absent"><div class="label">Orders</div>(.*?)</div></div>', page
    )
    assert card is not None
    assert '<div class="value">–</div>' in card.group(0)
    assert TEXTS["absent_card"]["en"] in card.group(0)
    # a contact every 10 hours over 6 hours: some replications offer nothing, so the service
    # level exists in only some of them and its card says over how many
    data = tiny_scenario(replications=12)
    data["arrivals"][0]["contacts_per_hour"] = 0.1
    scenario = tmp_path / "sparse.yaml"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "sparse"
    result = runner.invoke(
        app, ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    n = json.loads((out / "summary.json").read_text())["metrics"]["all.service_level"]["n"]
    assert 0 < n < 12
    page = (out / "report.html").read_text(encoding="utf-8")
    assert TEXTS["partial_card"]["en"].format(n=n, m=12) in page


def plotly_importers(sim: Path) -> list[str]:
    """Modules under ``sim`` outside its report package that import plotly."""
    found = []
    for path in sorted(sim.rglob("*.py")):
        if "report" in path.relative_to(sim).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "plotly" or n.startswith("plotly.") for n in names):
                found.append(str(path.relative_to(sim)))
    return found


def test_only_the_report_package_imports_plotly(tmp_path: Path) -> None:
    assert (ROOT / "sim" / "report" / "page.py").exists()
    assert plotly_importers(ROOT / "sim") == []
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "run.py").write_text("import plotly.graph_objects as go\n")
    (tmp_path / "cli.py").write_text("def f():\n    from plotly.subplots import make_subplots\n")
    (tmp_path / "outputs.py").write_text("import plotly\n")
    assert plotly_importers(tmp_path) == ["cli.py", "outputs.py"]
