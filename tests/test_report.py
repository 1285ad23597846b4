"""The run report: every section, deterministic, translated, self-contained and small."""

from __future__ import annotations

import ast
import csv
import html
import io
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
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
    staff,
    used_folder_labels,
    used_labels,
)
from sim.report.data import MAX_BYTES, StaffingData
from sim.report.page import fmt
from sim.report.staff import hour_grids
from tests.conftest import CONFIGS, ROOT, tiny_scenario
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
    "staff": (
        "sec_staff_cards",
        "sec_staff_agents",
        "sec_staff_heatmap",
        "sec_staff_targets",
        "sec_staff_roster",
    ),
}
FOLDER_PLOTS = {
    "compare": ("compare-arms", "compare-diff"),
    "sweep": ("tornado", "response"),
    "staff": ("staff-agents", "staff-heatmap", "staff-targets"),
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


ROSTER = """date,group,source,start,end,agents,cost_yuan
2026-11-01,agents,overtime,18:00,22:00,2,480.00
2026-11-01,agents,overtime,20:00,24:00,1,240.00
2026-11-01,agents,temp,22:00,06:00,3,900.50
2026-11-01,chat,outsource,09:30,13:00,4,700.25
2026-11-01,chat,<b>vendor</b>,10:00,14:00,2,400.00
"""
"""A roster.csv: past midnight, up to 24:00, a second group, a user's own source (markup)."""


def with_roster(folder: Path, dest: Path, roster: str = ROSTER) -> Path:
    """A copy of a staff folder with ``roster`` as its roster.csv.

    Hand-written: staffing.json keeps no roster summary, so the report sums the CSV.
    """
    shutil.copytree(folder, dest)
    (dest / "roster.csv").write_text(roster, encoding="utf-8")
    info = json.loads((dest / "staffing.json").read_text())
    info.pop("roster", None)
    (dest / "staffing.json").write_text(json.dumps(info))
    return dest


def _shift_hours(start: str, end: str) -> float:
    """Hours from start to end clock times (HH:MM), past midnight when end <= start."""
    (sh, sm), (eh, em) = (map(int, x.split(":")) for x in (start, end))
    minutes = (eh * 60 + em - sh * 60 - sm) % 1440
    return (minutes or 1440) / 60


def test_the_staff_heatmap_holds_short_and_surplus_apart_by_date_and_hour(
    folders: dict[str, Path],
) -> None:
    s = StaffingData(folders["staff"])
    info = json.loads((folders["staff"] / "staffing.json").read_text())
    grids = hour_grids(s)
    assert list(grids) == s.groups == ["agents"]
    grid = grids["agents"]
    # 6 hours of 30-minute intervals from 2026-11-01 00:00: one date, hours 0-5
    assert grid.dates == ["2026-11-01"]
    assert all(v is None for v in grid.short[0][6:]) and None not in grid.short[0][:6]
    for kind in ("short", "surplus"):
        cells = [v for line in getattr(grid, kind) for v in line if v is not None]
        assert all(v >= 0 for v in cells)
        # each cell is shown to 4 significant digits
        assert sum(cells) == pytest.approx(info[f"total_{kind}_agent_hours"], rel=1e-3, abs=1e-9)
        column = [float(r[f"{kind}_agents"]) for r in s.rows]
        peaks = [v for line in getattr(grid, f"peak_{kind}") for v in line if v is not None]
        assert max(peaks) == pytest.approx(max(column), rel=1e-3)
    figures: dict[str, go.Figure] = {}
    page = build_staff_report(folders["staff"], figures=figures)
    heat = [tr for tr in figures["fig-staff-heatmap"].data if tr.type == "heatmap"]
    assert [tr.coloraxis for tr in heat] == ["coloraxis", "coloraxis2"]
    assert TEXTS["peak_short"]["en"] in heat[0].hovertemplate
    assert html.escape(TEXTS["heatmap_note"]["en"]) in page


def _fresh_line(check: dict[str, Any], target: str) -> str:
    """The card's line for ``target`` of a staffing.json fresh check (en, 99%)."""
    return TEXTS["fresh_target"]["en"].format(
        target=target,
        met=check["met"][target],
        judged=check["judged"][target],
        within=check["within_ci"][target],
        missed=check["missed"][target],
        level="99",
    )


def test_the_staff_targets_figure_draws_the_fresh_ci_and_the_cards_the_fresh_check(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    # staff writes roster.csv and its summary: the card shows staffing.json's cost, the bill
    # the CSV's rows
    written = build_staff_report(folders["staff"])
    booked = json.loads((folders["staff"] / "staffing.json").read_text())["roster"]
    assert booked["bookings"] > 0
    assert f'<div class="value">{fmt(booked["cost_yuan"], "yuan")}</div>' in written
    assert 'id="fig-staff-roster"' in written and 'id="bill"' in written
    # a folder from before the roster has neither
    folder = shutil.copytree(folders["staff"], tmp_path / "staff")
    (folder / "roster.csv").unlink()
    info = json.loads((folder / "staffing.json").read_text())
    del info["roster"]
    (folder / "staffing.json").write_text(json.dumps(info))
    figures: dict[str, go.Figure] = {}
    page = build_staff_report(folder, figures=figures)
    bands = [tr for tr in figures["fig-staff-targets"].data if tr.fill == "toself"]
    assert [tr.name for tr in bands] == ["99% CI"]
    assert min(y for y in bands[0].y if y is not None) >= 0  # a share's band is clipped
    assert max(y for y in bands[0].y if y is not None) <= 1
    fresh = info["fresh_check"]
    target = info["targets"][0]
    assert html.escape(_fresh_line(fresh, target)) in page
    verdict = "fresh_passed" if fresh["passed"] else "fresh_failed"
    assert f'<div class="value">{TEXTS[verdict]["en"]}</div>' in page
    # no roster.csv: one line says so, no chart and no bill
    assert TEXTS["no_roster"]["en"] in _titles(page)
    assert 'id="fig-staff-roster"' not in page and 'id="bill"' not in page
    assert TEXTS["roster_cost"]["en"] not in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_staff_report_draws_the_roster_by_source_and_its_bill(
    folders: dict[str, Path], tmp_path: Path, lang: str
) -> None:
    folder = with_roster(folders["staff"], tmp_path / "staff")
    figures: dict[str, go.Figure] = {}
    page = build_staff_report(folder, lang, figures=figures)
    assert page == build_staff_report(folder, lang)
    rest = _non_library(page)
    rows = list(csv.DictReader(io.StringIO(ROSTER)))
    # one bar per row, from its start to its end (the next date past midnight)
    bars = [
        (tr.name, b, x, n)
        for tr in figures["fig-staff-roster"].data
        for b, x, n in zip(tr.base, tr.x, tr.text, strict=True)
    ]
    assert len(bars) == len(rows)
    expected = sorted(
        (
            f"{r['date']}T{r['start']}:00",
            _shift_hours(r["start"], r["end"]) * 3_600_000,
            r["agents"],
        )
        for r in rows
    )
    assert sorted((b, x, n) for _, b, x, n in bars) == expected
    want = {"en": {"overtime", "temp", "outsource"}, "zh": {"加班", "临时工", "外包"}}[lang]
    assert {name for name, *_ in bars} == {*want, "&lt;b&gt;vendor&lt;/b&gt;"}
    # markup in a name is shown as typed, never live
    assert "<b>vendor" not in rest and "&lt;b&gt;vendor&lt;/b&gt;" in rest
    # the bill: per source and group, per source over both groups, and the total
    t = {k: v[lang] for k, v in TEXTS.items()}
    hours = [int(r["agents"]) * _shift_hours(r["start"], r["end"]) for r in rows]
    total_hours, total_cost = math.fsum(hours), math.fsum(float(r["cost_yuan"]) for r in rows)
    agents = sum(int(r["agents"]) for r in rows)
    assert (
        f'<td>{t["total"]}</td><td></td><td class="num">{len(rows)}</td>'
        f'<td class="num">{agents}</td><td class="num">{total_hours:,.1f}</td>'
        f'<td class="num">¥{total_cost:,.2f}</td>'
    ) in rest
    overtime = [
        (h, float(r["cost_yuan"]))
        for h, r in zip(hours, rows, strict=True)
        if r["source"] == "overtime"
    ]
    over_h, over_cost = sum(h for h, _ in overtime), sum(c for _, c in overtime)
    assert (
        f'<td>{t["source_overtime"]}</td><td>{t["all_groups"]}</td><td class="num">2</td>'
        f'<td class="num">3</td><td class="num">{over_h:,.1f}</td>'
        f'<td class="num">¥{over_cost:,.2f}</td>'
    ) in rest
    chat = {"en": "chat", "zh": "在线客服组"}[lang]  # the group's built-in label
    assert f"<td>&lt;b&gt;vendor&lt;/b&gt;</td><td>{chat}</td>" in rest
    # the card: the roster's cost (staffing.json has none here: roster.csv's sum)
    assert f"{t['roster_cost']} · {t['total']}" in _titles(page)
    assert f"¥{total_cost:,.0f}" in rest
    assert [tr.type for tr in figures["fig-staff-bill"].data] == ["bar", "bar"]
    if lang == "zh":
        used = used_folder_labels(folder, "staff", "zh")
        assert used == used_folder_labels(folder, "staff", "en")
        _assert_translated(used, page)


def test_the_staff_report_takes_the_roster_s_cost_and_paid_hours_from_staffing_json(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = with_roster(folders["staff"], tmp_path / "staff")
    info = json.loads((folder / "staffing.json").read_text())
    info["roster"] = {
        "cost_yuan": 2000.0,
        "cost_yuan_by_source": {"overtime": 720.0, "temp": 900.5},
        "agent_hours_by_source": {"overtime": 11.0, "temp": 21.0},
    }
    (folder / "staffing.json").write_text(json.dumps(info))
    page = build_staff_report(folder)
    assert "overtime ¥720 · temp ¥900" in page
    assert TEXTS["bill_paid"]["en"].format(hours="overtime 11.0 · temp 21.0") in page
    # roster.csv adds up to more than staffing.json says: the bill says so
    mismatch = TEXTS["bill_mismatch"]["en"].format(json="¥2,000.00", csv="¥2,720.75")
    assert html.escape(mismatch) in page


def test_the_staff_report_checks_and_bounds_roster_csv(
    folders: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = ROSTER.splitlines()[0] + "\n"
    empty = with_roster(folders["staff"], tmp_path / "empty", header)
    assert TEXTS["roster_empty"]["en"] in _titles(build_staff_report(empty))
    for bad, what in (
        ("2026-11-01,agents,temp,9:00,18:00,1,10", "HH:MM"),
        ("2026-11-01,agents,temp,09:00,24:30,1,10", "HH:MM"),
        ("2026-13-01,agents,temp,09:00,18:00,1,10", "ISO date"),
        ("2026-11-01,agents,temp,09:00,18:00,1.5,10", "whole number"),
        ("2026-11-01,agents,temp,09:00,18:00,-1,10", "at least 0"),
        ("2026-11-01,agents,temp,09:00,18:00,1,nan", "finite"),
        ("2026-11-01,,temp,09:00,18:00,1,10", "empty"),
    ):
        folder = with_roster(
            folders["staff"],
            tmp_path / str(len(list(tmp_path.iterdir()))),
            header + ROSTER.splitlines()[1] + "\n" + bad + "\n",
        )
        with pytest.raises(ReportError, match=rf"roster\.csv, row 3: .*{what}"):
            build_staff_report(folder)
    with pytest.raises(ReportError, match=r"roster\.csv has no column cost_yuan"):
        build_staff_report(
            with_roster(folders["staff"], tmp_path / "cols", "date,group,source,start,end,agents\n")
        )
    folder = with_roster(folders["staff"], tmp_path / "big")
    monkeypatch.setitem(MAX_BYTES, "roster.csv", 100)
    with pytest.raises(ReportError, match=r"roster\.csv is larger than"):
        build_staff_report(folder)
    monkeypatch.undo()
    # a long roster: the chart draws the first shifts by start, the bill counts every one
    monkeypatch.setattr(staff, "MAX_BARS", 2)
    figures: dict[str, go.Figure] = {}
    page = build_staff_report(folder, figures=figures)
    assert sum(len(tr.base) for tr in figures["fig-staff-roster"].data) == 2
    assert TEXTS["roster_capped"]["en"].format(shown="2", total="5") in page
    assert '<td class="num">5</td>' in page


def test_an_older_staff_folder_without_short_surplus_and_ci_still_builds(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    old = tmp_path / "old"
    old.mkdir()
    rows = list(csv.DictReader(io.StringIO((folders["staff"] / "staffing.csv").read_text())))
    keep = ["interval_start", "group", "required_agents", "scheduled_agents", "phone.service_level"]
    out = io.StringIO()
    writer = csv.DictWriter(out, keep, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (old / "staffing.csv").write_text(out.getvalue())
    info = json.loads((folders["staff"] / "staffing.json").read_text())
    for key in (
        "fresh_check",
        "confidence",
        "short_agent_hours_by_day",
        "surplus_agent_hours_by_day",
        "roster",
    ):
        del info[key]
    (old / "staffing.json").write_text(json.dumps(info))
    figures: dict[str, go.Figure] = {}
    page = build_staff_report(old, figures=figures)
    assert TEXTS["sec_staff_heatmap"]["en"] in _titles(page)
    assert TEXTS["fresh_check"]["en"] not in page
    assert not any(tr.fill == "toself" for tr in figures["fig-staff-targets"].data)
    # short and surplus from required − scheduled, as the newer columns hold them
    new, older = hour_grids(StaffingData(folders["staff"])), hour_grids(StaffingData(old))
    assert older["agents"] == new["agents"]


def _assert_translated(used: set[str], page: str) -> None:
    """Every label key of a Chinese page is translated, and no English text of one shows."""
    assert used <= set(TEXTS)
    titles = _titles(page)
    for key in used:
        en, zh = TEXTS[key]["en"], TEXTS[key]["zh"]
        assert en != zh, key
        en_text = en.split("{")[0].strip()
        if en_text:
            assert all(en_text not in title for title in titles), (key, en_text)
    assert '<html lang="zh-CN">' in page


@pytest.mark.parametrize("kind", ["compare", "sweep", "staff"])
def test_the_chinese_command_reports_have_no_untranslated_label(
    folders: dict[str, Path], kind: str
) -> None:
    used = used_folder_labels(folders[kind], kind, "zh")
    assert used == used_folder_labels(folders[kind], kind, "en")
    page = BUILDERS[kind](folders[kind], "zh")
    _assert_translated(used, page)
    assert TEXTS[FOLDER_SECTIONS[kind][0]]["zh"] in _titles(page)


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


def test_the_staff_report_cards_the_rostered_rota_s_fresh_check(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    t = {k: v["en"] for k, v in TEXTS.items()}
    check = json.loads((folders["staff"] / "staffing.json").read_text())["roster"]["check"]
    page = build_staff_report(folders["staff"])
    # one simulation judges the plan as booked: one card for staffing.json's two entries
    assert t["roster_check"] in _titles(page) and t["fresh_check"] not in _titles(page)
    target = next(iter(check["judged"]))
    assert html.escape(_fresh_line(check, target)) in page
    # a roster that could not book everything: its misses there are said apart, and a check
    # whose every significant miss lies there is not a failure of the booked shifts
    folder = shutil.copytree(folders["staff"], tmp_path / "staff")
    info = json.loads((folder / "staffing.json").read_text())
    info["roster"]["uncovered_agent_hours"] = {"agents": 2.5}
    info["roster"]["check"].update(
        passed=False,
        passed_where_covered=True,
        missed={target: 3},
        missed_uncovered={target: 3},
    )
    (folder / "staffing.json").write_text(json.dumps(info))
    page = build_staff_report(folder)
    assert html.escape(t["roster_uncovered"].format(hours="2.5", missed="3")) in page
    assert t["fresh_check"] in _titles(page)  # an older folder's two checks: two cards
    card = page.split(html.escape(t["roster_check"]), 1)[0].rsplit('<div class="card', 1)[1]
    assert card.startswith(' good"')
    # one check of the plan as booked had the plan's agents where nothing could be booked:
    # a miss there is the plan's, no excuse
    info["fresh_check"].update(passed=False, missed={target: 3})
    (folder / "staffing.json").write_text(json.dumps(info))
    page = build_staff_report(folder)
    assert t["fresh_check"] not in _titles(page)
    card = page.split(html.escape(t["roster_check"]), 1)[0].rsplit('<div class="card', 1)[1]
    assert not card.startswith(' good"')


# --------------------------------------------------------------------------- platform KPIs

PLATFORM_RUN = [
    "--set",
    "calendar.start=2026-11-09T00:00:00",
    "--set",
    "calendar.days=4",
    "--replications",
    "3",
]
"""The 1-yuan second item over 11-09…11-12 (platform: tmall): 11-12's 3-minute rate misses."""


def platform_folder(out: Path) -> tuple[Path, str]:
    """A run folder with scorecard.csv and hourly.csv's platform series, and its console."""
    scenario = CONFIGS / "second_item_1yuan.yaml"
    result = runner.invoke(
        app,
        ["run", str(scenario), *PLATFORM_RUN, "--out", str(out), "--workers", "1"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def platform_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return platform_folder(tmp_path_factory.mktemp("platform") / "run")


def _scorecard(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "scorecard.csv").read_text("utf-8"))))


def _spans_from_hourly(folder: Path, kpi: str, bar: float) -> list[tuple[str, str, float, float]]:
    """Consecutive hours whose rate (mean total ÷ mean sessions) is under ``bar``.

    Recomputed from hourly.csv's promotion arm: (first hour, last hour, rate, sessions).
    """
    rows = list(csv.DictReader(io.StringIO((folder / "hourly.csv").read_text("utf-8"))))
    hours = list(dict.fromkeys(r["hour"] for r in rows))
    cells = {(r["hour"], r["series"]): float(r["mean"]) for r in rows if r["arm"] == "promotion"}
    out: list[tuple[str, str, float, float]] = []
    span: list[str] = []
    for hour in [*hours, ""]:
        n = cells.get((hour, f"platform.{kpi}.sessions"), 0.0)
        if n > 0 and cells[hour, f"platform.{kpi}.total"] / n < bar:
            span.append(hour)
            continue
        if span:
            sessions = sum(cells[h, f"platform.{kpi}.sessions"] for h in span)
            total = sum(cells[h, f"platform.{kpi}.total"] for h in span)
            out.append((span[0], span[-1], total / sessions, sessions))
            span = []
    return out


def test_the_platform_section_shows_each_kpi_by_day_its_bar_and_the_hours_missing_it(
    platform_run: tuple[Path, str], tmp_path: Path
) -> None:
    folder, console = platform_run
    figures: dict[str, go.Figure] = {}
    page = build_report(folder, figures=figures)
    assert page == (folder / "report.html").read_text("utf-8")  # what run wrote, byte for byte
    titles = _titles(page)
    assert TEXTS["sec_platform"]["en"] in titles
    kpis = {"response_3min_rate": "三分钟响应率", "human_response_seconds": "旺旺人工平响时长"}
    ids = [f"fig-platform-{k.replace('_', '-')}" for k in kpis]
    assert [i for i in figures if i.startswith("fig-platform-")] == ids
    for i in ids:
        assert f'id="{i}"' in page

    # the table: a row per day and the whole run, each KPI's value ± half its CI and a mark
    section = re.search(r'<section id="platform">(.*?)</section>', page, re.S)
    assert section is not None
    table = re.search(r"<tbody>(.*?)</tbody>", section[1], re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table[1], re.S)
    scores = [r for r in _scorecard(folder) if r["arm"] == "promotion"]
    days = list(dict.fromkeys(r["day"] for r in scores))
    assert days[-1] == "all" and len(days) == 5
    assert len(rows) == len(days)
    marks = {"met": "✓", "at_risk": "?", "breach": "✗", "": ""}
    for day, row in zip(days, rows, strict=True):
        label = "whole run" if day == "all" else day
        assert row.startswith(f"<td>{label}</td>"), row
        for r in (r for r in scores if r["day"] == day):
            mean, lo, hi = (float(r[c]) for c in ("mean", "ci95_lo", "ci95_hi"))
            if r["measure"] == "answered_within":
                text = f"{mean:.1%} ± {(hi - lo) / 2:.1%}"
            else:
                text = f"{mean:,.0f} s ± {(hi - lo) / 2:,.0f} s"
            assert html.escape(f"{text} {marks[r['status']]}".strip()) in row, (day, r["kpi"])
            assert f"{float(r['sessions']):,.0f} sessions" in row
    assert any(r["status"] == "breach" for r in scores)  # 11-12's rate: the run misses the bar
    for label in kpis.values():
        assert f"<th>{label}<br>" in section[1]
    assert "bar ≥ 80% [X]" in section[1] and "bar none published" in section[1]

    # the figure: the promotion's band and line, the baseline dotted, the bar and the misses
    fig = figures[ids[0]]
    names = [tr.name for tr in fig.data]
    assert names[:3] == ["95% CI", "promotion", "baseline"]
    assert fig.data[2].line.dash == "dot"
    breached = [
        r["day"] for r in scores if r["kpi"] == "response_3min_rate" and r["status"] == "breach"
    ]
    assert list(fig.data[names.index(TEXTS["status_breach"]["en"])].x) == breached
    assert fig.layout.shapes[0].y0 == 0.8
    assert fig.layout.annotations[0].text == "bar ≥ 80% [X]"

    # the warnings: the spans of hours hourly.csv puts under the bar, as the console lists them
    spans = _spans_from_hourly(folder, "response_3min_rate", 0.8)
    assert spans and spans[0][0].startswith("2026-11-12")
    listed = re.findall(r"<li>(.*?)</li>", section[1])
    assert len(listed) == min(len(spans), 12) + (len(spans) > 12)
    for (first, last, rate, sessions), line in zip(spans, listed, strict=False):
        end = f"{int(last[11:13]) + 1:02d}:00"
        when = f"{first[5:10]} {first[11:16]}–{end}"
        assert line == (
            f"三分钟响应率 below 80% on {when} ({rate:.1%}, {sessions:,.0f} sessions)"
        ), line
        assert f"三分钟响应率 ≥ 80.0%: {first[5:10]}" in console
        assert f"{first[11:16]}–{end}, {rate:.1%} over {sessions:,.0f} sessions" in console
    assert "三分钟响应率 below 80% on 11-12 08:00–24:00" in listed[0]


def test_the_platform_section_in_chinese(platform_run: tuple[Path, str]) -> None:
    folder, _ = platform_run
    used = used_labels(folder, "zh")
    assert used == used_labels(folder, "en")
    assert {"sec_platform", "platform_below", "platform_marks"} <= used
    page = build_report(folder, "zh")
    _assert_translated(used, page)
    assert TEXTS["sec_platform"]["zh"] in _titles(page)
    assert "三分钟响应率 低于 80%：11-12 08:00–24:00（" in page
    assert "<td>全程</td>" in page


def _copy_run(folder: Path, dest: Path) -> Path:
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("report.html"))
    return dest


def test_a_run_folder_without_a_scorecard_or_its_hourly_series_still_builds(
    platform_run: tuple[Path, str], tmp_path: Path
) -> None:
    old = _copy_run(platform_run[0], tmp_path / "old")
    (old / "scorecard.csv").unlink()
    page = build_report(old)
    assert TEXTS["sec_platform"]["en"] not in page
    assert 'id="fig-platform-' not in page
    # scorecard.csv from before hourly.csv had the platform series: no hours are listed
    mid = _copy_run(platform_run[0], tmp_path / "mid")
    hourly = (mid / "hourly.csv").read_text("utf-8").splitlines(keepends=True)
    (mid / "hourly.csv").write_text(
        "".join(line for line in hourly if ",platform." not in line), encoding="utf-8"
    )
    page = build_report(mid)
    assert TEXTS["sec_platform"]["en"] in page
    assert html.escape(TEXTS["platform_no_hourly"]["en"]) in page
    assert "<li>" not in page
    # platform rules without pre-sale inquiries: hourly.csv has no sales lost, no such section
    kpis_only = _copy_run(platform_run[0], tmp_path / "kpis-only")
    (kpis_only / "hourly.csv").write_text(
        "".join(line for line in hourly if ",lost_orders," not in line), encoding="utf-8"
    )
    page = build_report(kpis_only)
    assert TEXTS["sec_lost_hourly"]["en"] not in page
    assert "<li>" in page and TEXTS["sec_lost_hourly"]["en"] in build_report(platform_run[0])


def test_strings_of_the_scorecard_are_shown_as_text(
    platform_run: tuple[Path, str], tmp_path: Path
) -> None:
    folder = _copy_run(platform_run[0], tmp_path / "run")
    text = (folder / "scorecard.csv").read_text("utf-8")
    evil = '<b onclick="x()">KPI</b>&amp;'
    (folder / "scorecard.csv").write_text(
        text.replace("三分钟响应率", evil.replace('"', '""').join('""')).replace(
            ",human_response_seconds,", ',"x""><script>alert(1)</script>",'
        ),
        encoding="utf-8",
    )
    figures: dict[str, go.Figure] = {}
    page = build_report(folder, figures=figures)
    rest = _non_library(page)
    assert "<b onclick" not in rest and "<script>alert" not in rest
    assert html.escape(evil) in rest  # the table's header, the heading, the warnings
    assert "fig-platform-x-script-alert-1-script" in figures  # an id of letters and hyphens
    assert figures["fig-platform-response-3min-rate"].layout.annotations[0].text == (
        "bar ≥ 80% [X]"
    )


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ("2026-11-10,", "2026-11-31,", r"row 6: day is neither an ISO date nor all"),
        (",answered_within,", ",share,", r"row 2: measure must be one of"),
        (",>=0.8,", ",>=eighty,", r"row 2: threshold must be empty or"),
        (",>=0.8,", ",>=1e999,", r"row 2: threshold must be empty or"),
        (",met,", ",fine,", r"row 2: status must be"),
        (",C,X", ",C,Z", r"row 2: kpi_grade and threshold_grade"),
        (",tmall,response_3min_rate,", ",tmall,,", r"row 2: arm and kpi must not be empty"),
    ],
)
def test_a_malformed_scorecard_is_refused_naming_its_row(
    platform_run: tuple[Path, str], tmp_path: Path, old: str, new: str, what: str
) -> None:
    folder = _copy_run(platform_run[0], tmp_path / "run")
    text = (folder / "scorecard.csv").read_text("utf-8")
    assert old in text
    (folder / "scorecard.csv").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ReportError, match=rf"scorecard\.csv, {what}"):
        build_report(folder)


def test_a_scorecard_row_is_checked_cell_by_cell_and_against_the_kpi_s_first_row(
    platform_run: tuple[Path, str], tmp_path: Path
) -> None:
    folder = _copy_run(platform_run[0], tmp_path / "run")
    lines = (folder / "scorecard.csv").read_text("utf-8").splitlines()
    cells = [next(csv.reader([line])) for line in lines]
    header = cells[0]

    def refused(rows: list[list[str]], what: str) -> None:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        (folder / "scorecard.csv").write_text(out.getvalue(), encoding="utf-8")
        with pytest.raises(ReportError, match=what):
            build_report(folder)

    for column, value, what in (
        ("mean", "nan", "mean is not finite"),
        ("ci95_lo", "low", "ci95_lo is not a number"),
        ("sessions", "-1", "sessions must be at least 0"),
        ("label", "another name", r"the KPI's .* differ from its first row's \(row 2\)"),
    ):
        bad = [list(c) for c in cells]
        bad[5][header.index(column)] = value  # row 6: 11-10, the 3-minute rate, promotion
        refused(bad, rf"scorecard\.csv, row 6: {what}")
    refused([*cells, cells[1]], rf"scorecard\.csv, row {len(cells) + 1}: the same day, KPI")
    refused(
        [[c for c in row if c != row[header.index("status")]] for row in cells[:1]],
        "no column status",
    )
    (folder / "scorecard.csv").unlink()
    (folder / "scorecard.csv").symlink_to(platform_run[0] / "scorecard.csv")
    with pytest.raises(ReportError, match=r"scorecard\.csv is a link"):
        build_report(folder)
