"""The run report: every section, deterministic, translated, self-contained and small."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.report import LABELS, build_report, used_labels
from tests.conftest import tiny_scenario
from tests.test_cli import promo_scenario

runner = CliRunner()

SECTIONS = (
    "sec_headline",
    "sec_contacts",
    "sec_sl",
    "sec_asa",
    "sec_queue",
    "sec_occupancy",
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
        assert LABELS[key]["en"] in titles, key
    waterfall = "sec_waterfall_promo" if name == "promo" else "sec_waterfall"
    assert LABELS[waterfall]["en"] in page
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
        assert LABELS["net_impact_yuan"]["en"] in titles
        assert "¥" in page
        # promotion-caused contacts stacked on the baseline's, by reason
        assert "wismo · caused by the promotion" in titles
        assert "wismo · baseline" in titles


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
    for key, texts in LABELS.items():
        assert set(texts) == {"en", "zh"} and texts["zh"].strip(), key
    used = used_labels(runs[name], "zh")
    assert used <= set(LABELS)
    assert used == used_labels(runs[name], "en")
    page = build_report(runs[name], "zh")
    titles = _titles(page)
    for key in used:
        en, zh = LABELS[key]["en"], LABELS[key]["zh"]
        assert en != zh, key
        en_text = en.split("{")[0].strip()
        assert all(en_text not in title for title in titles), (key, en_text)
    assert any(LABELS["sec_contacts"]["zh"] == title for title in titles)
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
