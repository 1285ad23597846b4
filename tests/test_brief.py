"""``promosim brief``: the one-page negotiation brief, its sensitivity, and its A4 print."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim import assumptions as alib
from sim import commands
from sim.cli import app
from sim.commands import BadInput, print_pdf
from sim.loading import load_scenario
from sim.outputs import run_files, write_run
from sim.report import brief as brieflib
from sim.report.page import fmt
from tests.conftest import BUNDLED_RUNS, bundled_run
from tests.test_cli import promo_scenario

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


def _run(tmp_path: Path, data: dict[str, Any], name: str = "run", *sets: str) -> Path:
    scenario = tmp_path / f"{name}.yaml"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / name
    args = ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def _pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


# --------------------------------------------------------------------------- assumptions


def test_the_assumptions_a_scenario_holds() -> None:
    def paths(config: str) -> set[str]:
        resolved = load_scenario(ROOT / "configs" / config).resolved
        return {a.path for a in alib.applicable(resolved)}

    second = paths("second_item_1yuan.yaml")
    assert {"promotion.bundle_miss_rate", "promotion.notice_probability"} <= second
    assert "promotion.claim_rate" not in second
    protection = paths("price_protection.yaml")
    assert {"promotion.claim_rate", "promotion.self_service_share"} <= protection
    assert "promotion.bundle_miss_rate" not in protection
    plain = paths("default.yaml")  # no promotion
    assert not any(p.startswith("promotion.") for p in plain)
    assert "economics.value_of_bad_review_yuan" in plain


def test_every_assumption_is_an_unsourced_parameter_of_the_model_docs() -> None:
    """Each varied field is on a docs/model.md line graded [X], and its range is a range."""
    lines = (ROOT / "docs" / "model.md").read_text(encoding="utf-8").splitlines()
    for a in alib.ASSUMPTIONS:
        field = a.path.split(".")[-1]
        if field == "mean":  # a distribution's mean: the docs name the distribution
            field = a.path.split(".")[-2]
        named = re.compile(rf"[`.]{re.escape(field)}`")
        assert any(named.search(ln) and "[X]" in ln for ln in lines), a.path
        assert a.low < a.high, a.path


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def promo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("brief"), promo_scenario(), "promo")


def test_brief_sensitivity_is_exactly_the_runs_at_each_end(promo_run: Path) -> None:
    """A sensitivity point is the same scenario run with the one field set (same seed)."""
    result = CliRunner().invoke(
        app, ["brief", str(promo_run), "--replications", "2", "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    sens = json.loads((promo_run / "sensitivity.json").read_text(encoding="utf-8"))
    assert sens["replications"] == 2 and sens["metric"] == "effect.net_impact_yuan"
    points = {p["path"]: p for p in sens["points"]}
    path, high = "economics.value_of_bad_review_yuan", 2000
    again = _run(
        promo_run.parent,
        promo_scenario(),
        "again",
        "replications=2",
        f"{path}={high}",
    )
    summary = json.loads((again / "summary.json").read_text(encoding="utf-8"))
    assert points[path]["high"]["mean"] == summary["effect"]["net_impact_yuan"]["mean"]
    # a dearer 差评 can only lower the promotion's net impact when it brings bad reviews
    bad = summary["effect"]["bad_reviews"]["mean"]
    assert bad > 0
    assert points[path]["high"]["mean"] < points[path]["low"]["mean"]
    page = (promo_run / "brief.html").read_text(encoding="utf-8")
    assert "value of a 差评 [X]" in page


def test_a_second_brief_reuses_the_sensitivity_and_a_stale_one_is_not_read(
    promo_run: Path,
) -> None:
    args = ["brief", str(promo_run), "--replications", "2", "--workers", "1", "--quiet"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    zh = CliRunner().invoke(app, [*args, "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "reused" in zh.output
    assert "谈判简报" in (promo_run / "brief.html").read_text(encoding="utf-8")
    sens = promo_run / "sensitivity.json"
    data = json.loads(sens.read_text(encoding="utf-8"))
    planted = {**data, "points": [{"path": "x", "low": [1], "high": "<b>"}]}
    sens.write_text(json.dumps(planted), encoding="utf-8")  # a malformed point: not read
    fourth = CliRunner().invoke(app, args)
    assert fourth.exit_code == 0, fourth.output
    assert "reused" not in fourth.output and "Traceback" not in fourth.output
    data["config_hash"] = "0" * 64  # another scenario's: run again, not read
    sens.write_text(json.dumps(data), encoding="utf-8")
    third = CliRunner().invoke(app, args)
    assert third.exit_code == 0, third.output
    assert "reused" not in third.output
    assert json.loads(sens.read_text(encoding="utf-8"))["config_hash"] != "0" * 64


def test_a_foreign_sensitivity_file_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _run(tmp_path, promo_scenario(), "promo", "replications=2")
    (run / "sensitivity.json").write_text('{"mine": true}\n', encoding="utf-8")

    def no_simulation(*args: object, **kwargs: object) -> None:
        raise AssertionError("refused only after simulating")

    monkeypatch.setattr(commands, "_run_sensitivity", no_simulation)
    result = CliRunner().invoke(
        app, ["brief", str(run), "--replications", "1", "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 2
    assert "not promosim's" in result.output
    assert (run / "sensitivity.json").read_text(encoding="utf-8") == '{"mine": true}\n'


def test_brief_bad_input_is_one_line_and_exit_2(tmp_path: Path, promo_run: Path) -> None:
    missing = CliRunner().invoke(app, ["brief", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "Traceback" not in missing.output and "not a run folder" in missing.output
    other = tmp_path / "other.html"
    other.write_text("<p>mine</p>", encoding="utf-8")
    taken = CliRunner().invoke(
        app, ["brief", str(promo_run), "--replications", "0", "--out", str(other), "--force"]
    )
    assert taken.exit_code == 2 and "left alone" in taken.output
    assert other.read_text(encoding="utf-8") == "<p>mine</p>"


def test_a_compare_folder_is_an_alternative_not_the_brief(tmp_path: Path) -> None:
    scenario = tmp_path / "promo.yaml"
    scenario.write_text(json.dumps(promo_scenario()), encoding="utf-8")
    args = ["--replications", "2", "--workers", "1", "--quiet"]
    lab = tmp_path / "lab"
    done = CliRunner().invoke(app, ["lab", str(scenario), *args, "--out", str(lab)])
    assert done.exit_code == 0, done.output
    refused = CliRunner().invoke(app, ["brief", str(lab)])
    assert refused.exit_code == 2 and "--compare" in refused.output
    run = _run(tmp_path, promo_scenario(), "run", "replications=2")
    brief = CliRunner().invoke(
        app, ["brief", str(run), "--replications", "0", "--compare", str(lab), "--lang", "zh"]
    )
    assert brief.exit_code == 0, brief.output
    page = (run / "brief.html").read_text(encoding="utf-8")
    assert "备选方案" in page and page.count("<tr><td>") >= 4  # the lab's variants


def test_no_chromium_is_a_clear_message(
    tmp_path: Path, promo_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PROMOSIM_CHROMIUM", raising=False)
    with pytest.raises(BadInput, match="Chromium"):
        print_pdf(promo_run / "report.html", tmp_path / "x.pdf")


def test_a_planted_staff_folder_cannot_crash_the_brief(tmp_path: Path, promo_run: Path) -> None:
    summary = json.loads((promo_run / "summary.json").read_text(encoding="utf-8"))
    staff = tmp_path / "staff"
    staff.mkdir()
    planted = {
        "config_hash": summary["config_hash"],
        "total_short_agent_hours": "<b>many</b>",
        "total_surplus_agent_hours": [1],
        "targets": "chat.service_level>=0.9",
        "roster": {"cost_yuan": True, "cost_yuan_by_source": [1, 2], "check": "yes"},
    }
    (staff / "staffing.json").write_text(json.dumps(planted), encoding="utf-8")
    out = tmp_path / "b.html"
    result = CliRunner().invoke(
        app,
        ["brief", str(promo_run), "--replications", "0", "--staff", str(staff), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<b>many" not in page and "not passed" in page


def test_the_brief_escapes_what_it_reads(tmp_path: Path) -> None:
    data = promo_scenario()
    data["title"] = "<script>alert(1)</script>"
    run = _run(tmp_path, data, "escaped", "replications=2")
    page = brieflib.build_brief(run, "en", sensitivity=None)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


# --------------------------------------------------------------------------- one A4 page


def _sensitivity_like(run: Path) -> brieflib.Sensitivity:
    """Five assumption rows carrying the run's own net-impact statistics (layout only)."""
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    stat = summary["effect"]["net_impact_yuan"]
    resolved = yaml.safe_load((run / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    rows = tuple(
        brieflib.AssumptionRow(a.path, a.label(lang), a.unit, a.low, a.high, stat, stat)
        for lang in ("zh",)
        for a in alib.applicable(resolved)
    )
    return brieflib.Sensitivity("effect.net_impact_yuan", 3, rows)


@pytest.fixture(scope="module")
def bundled_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``promosim run configs/second_item_1yuan.yaml --replications 2`` writes.

    Its files are built by the code the command writes them with (``run_files``, report in
    English) from the golden files' run of the same scenario (``bundled_run``, computed once
    a worker: results do not depend on the workers), instead of simulating it once more.
    """
    loaded, result = bundled_run("second_item_1yuan", 2)
    files = run_files(loaded, result, command=["promosim", "run"], report_lang="en")
    return write_run(tmp_path_factory.mktemp("bundled") / "run", files)


@BUNDLED_RUNS
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install -y chromium fonts-noto-cjk")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_bundled_scenarios_brief_prints_on_one_a4_page(
    lang: str, bundled_folder: Path, tmp_path: Path
) -> None:
    """The bundled 第二件1元 run: one A4 page, every figure with its CI, both nets."""
    page = brieflib.build_brief(bundled_folder, lang, sensitivity=_sensitivity_like(bundled_folder))
    html_file = tmp_path / "brief.html"
    html_file.write_text(page, encoding="utf-8")
    pdf = print_pdf(html_file, tmp_path / "brief.pdf")
    assert _pages(pdf) == 1
    assert commands._our_pdf(pdf)  # --force may replace it; not any other PDF
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.4\n% a PDF promosim did not print\n")
    assert not commands._our_pdf(other)
    # every estimate carries its CI (2 replications: one can be estimated)
    figures = [c for c in re.findall(r"<td class=n>(.*?)</td>", page) if c != "–"]
    assert len(figures) > 30
    assert all('class="ci"' in c for c in figures), figures
    # both nets, each with its CI: the money that moves and the one with modelled costs
    nets = re.findall(r'<p class="big">([+\u2212]¥[^<]*)<span class="ci">\[', page)
    assert len(nets) == 2, nets
    assert "hard_net_impact_yuan" not in page and brieflib.TEXTS["hard"][lang] in page


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install -y chromium fonts-noto-cjk")
def test_pdf_is_printed_and_only_promosims_is_replaced(tmp_path: Path) -> None:
    run = _run(tmp_path, promo_scenario(), "promo", "replications=2")
    args = ["brief", str(run), "--replications", "0", "--pdf"]
    foreign = b"%PDF-1.4\n% someone else's\n"
    (run / "brief.pdf").write_bytes(foreign)
    refused = CliRunner().invoke(app, [*args, "--force"])
    assert refused.exit_code == 2 and "left alone" in refused.output
    assert (run / "brief.pdf").read_bytes() == foreign
    (run / "brief.pdf").unlink()
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert _pages(run / "brief.pdf") == 1
    taken = CliRunner().invoke(app, args)
    assert taken.exit_code == 2 and "exists" in taken.output
    again = CliRunner().invoke(app, [*args, "--force", "--lang", "zh"])
    assert again.exit_code == 0, again.output


def test_a_staff_folder_of_the_same_scenario_brings_the_shortfall_and_the_bill(
    tmp_path: Path,
) -> None:
    run = _run(tmp_path, promo_scenario(), "promo", "replications=2")
    scenario = tmp_path / "promo.yaml"
    staff = tmp_path / "staff"
    done = CliRunner().invoke(
        app,
        ["staff", str(scenario), "--set", "replications=2", "--target",
         "chat.service_level>=0.8", "--workers", "1", "--quiet", "--out", str(staff)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    result = CliRunner().invoke(
        app, ["brief", str(run), "--replications", "0", "--staff", str(staff), "--lang", "zh"]
    )
    assert result.exit_code == 0, result.output
    page = (run / "brief.html").read_text(encoding="utf-8")
    plan = json.loads((staff / "staffing.json").read_text(encoding="utf-8"))
    short = fmt(plan["total_short_agent_hours"], "decimal")
    assert f"人力缺口（人时）</td><td class=d>{short}<" in page
    assert "在线服务水平 ≥ 80.0%" in page and "chat.service_level" not in page
    other = _run(tmp_path, promo_scenario(), "other", "replications=3")
    refused = CliRunner().invoke(app, ["brief", str(other), "--staff", str(staff)])
    assert refused.exit_code == 2 and "another scenario" in refused.output


@pytest.mark.parametrize(
    ("value", "kind", "lang", "diff", "text"),
    [
        (-9090.0, "yuan", "en", True, "\u2212¥9,090"),
        (9090.0, "yuan", "en", True, "+¥9,090"),
        (16_883_419.0, "yuan", "en", False, "¥16.88M"),
        (16_883_419.0, "yuan", "zh", False, "¥1,688.3万"),
        (-0.627, "share", "en", True, "\u221262.7 pp"),
        (0.251, "share", "zh", False, "25.1%"),
        (96_661.0, "count", "en", False, "96,661"),
        (-0.0, "yuan", "en", True, "+¥0"),
    ],
)
def test_numbers_read_as_a_manager_reads_them(
    value: float, kind: str, lang: str, diff: bool, text: str
) -> None:
    assert brieflib._text(value, kind, lang, diff=diff, signed=diff) == text
