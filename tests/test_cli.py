"""The command line through typer's CliRunner: exit codes, files, messages."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from sim import commands, staffing
from sim import compare as comparelib
from sim.cli import MAX_FOLDER, TORNADO_WIDTH, _fmt, _short, _short_folder, app
from sim.loading import load_scenario
from sim.review import show_run
from sim.stats import Stat
from tests.conftest import CONFIGS, SCENARIO_FILES, tiny_scenario

runner = CliRunner()


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write(tmp_path / "tiny.yaml", tiny_scenario())


def test_a_run_folder_is_readable_like_any_folder_the_user_makes(
    tiny: Path, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        out = tmp_path / "run"
        result = runner.invoke(app, ["run", str(tiny), "--out", str(out), "--workers", "1"])
        assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in out.iterdir())


def test_run_writes_every_file_of_the_run_folder(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(tiny), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "manifest.json",
        "scenario.resolved.yaml",
        "summary.json",
        "replications.csv",
        "intervals.csv",
    } <= names
    summary = json.loads((out / "summary.json").read_text())
    metrics = summary["metrics"]
    for key in (
        "offered",
        "answered",
        "abandoned",
        "abandon_rate",
        "service_level",
        "asa_seconds",
        "mean_wait_seconds",
        "occupancy",
        "aht_seconds",
    ):
        assert f"phone.{key}" in metrics and f"all.{key}" in metrics, key
        assert set(metrics[f"phone.{key}"]) >= {"mean", "ci95", "sd", "n"}
    assert "contacts" in metrics and "agent_hours" in metrics
    assert summary["glossary"]["service_level"].endswith("count as failures)")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config_hash"] == summary["config_hash"]
    assert manifest["replications"] == 2 and manifest["seed"] == 7
    assert "numpy" in manifest["versions"] and manifest["created_at"]
    # the console shows the headline table
    assert "service level" in result.output and "phone" in result.output
    # intervals.csv: a row per interval and channel, blanks where there is no denominator
    rows = (out / "intervals.csv").read_text().splitlines()
    assert rows[0].startswith("arm,interval_start,channel,offered,offered_ci95_lo")
    assert len(rows) == 1 + 12 + 12  # 6 hours of 30-minute intervals: the channel, the group
    assert rows[-1].split(",")[2] == "group.agents"


@pytest.mark.slow
def test_same_seed_same_summary_whatever_the_workers(tiny: Path, tmp_path: Path) -> None:
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = runner.invoke(
            app,
            [
                "run",
                str(tiny),
                "--out",
                str(out),
                "--workers",
                str(workers),
                "--quiet",
                "--replications",
                "3",
            ],
        )
        assert result.exit_code == 0, result.output
        outs.append(out)
    assert (outs[0] / "summary.json").read_bytes() == (outs[1] / "summary.json").read_bytes()
    assert (outs[0] / "intervals.csv").read_bytes() == (outs[1] / "intervals.csv").read_bytes()
    assert (outs[0] / "replications.csv").read_bytes() == (
        outs[1] / "replications.csv"
    ).read_bytes()


@pytest.mark.slow
def test_seed_and_set_change_the_result_and_the_hash(tiny: Path, tmp_path: Path) -> None:
    def summary(name: str, *args: str) -> dict[str, object]:
        out = tmp_path / name
        result = runner.invoke(app, ["run", str(tiny), "--out", str(out), "--quiet", *args])
        assert result.exit_code == 0, result.output
        loaded: dict[str, object] = json.loads((out / "summary.json").read_text())
        return loaded

    base = summary("base")
    other_seed = summary("seed", "--seed", "8")
    more_agents = summary("agents", "--set", "staffing.groups.0.schedule.agents=5")
    assert other_seed["config_hash"] != base["config_hash"]
    assert other_seed["metrics"] != base["metrics"]
    assert more_agents["config_hash"] != base["config_hash"]
    resolved = yaml.safe_load((tmp_path / "agents" / "scenario.resolved.yaml").read_text())
    assert resolved["staffing"]["groups"][0]["schedule"]["agents"] == 5


@pytest.mark.slow
def test_run_default_folder_is_named_after_scenario_and_hash(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        result = runner.invoke(app, ["run", str(tiny), "--quiet"])
        assert result.exit_code == 0, result.output
    runs = sorted((tmp_path / "outputs" / "tiny").iterdir())
    assert len(runs) == 2  # a second run never writes into the first one's folder
    assert all(re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{8}(-\d+)?", p.name) for p in runs)
    assert not [p for p in (tmp_path / "outputs" / "tiny").iterdir() if p.name.startswith(".")]


def test_out_into_a_non_empty_folder_is_refused(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["run", str(tiny), "--out", str(out)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_out_into_an_empty_folder_is_fine(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    result = runner.invoke(app, ["run", str(tiny), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").exists()


def test_bad_file_exits_2_with_file_line_and_field(tmp_path: Path) -> None:
    data = tiny_scenario()
    data["channels"]["phone"]["handle_time_seconds"] = {"dist": "weibull", "mean": 3}
    data["staffing"]["groups"][0]["schedule"]["agents"] = -1
    bad = write(tmp_path / "bad.yaml", data)
    result = runner.invoke(app, ["run", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith(str(bad))]
    assert len(lines) == 2, result.output
    assert any("channels.phone.handle_time_seconds" in ln for ln in lines)
    assert any("staffing.groups.0.schedule.agents" in ln for ln in lines)
    assert all(re.match(re.escape(str(bad)) + r":\d+: ", ln) for ln in lines)


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output


def test_validate_prints_hash_and_flags_bad_files(tiny: Path, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["validate", str(tiny)])
    assert ok.exit_code == 0
    assert re.search(r"ok [0-9a-f]{64}", ok.output)
    bad = write(tmp_path / "bad.yaml", {**tiny_scenario(), "replicatons": 3})
    result = runner.invoke(app, ["validate", str(tiny), str(bad)])
    assert result.exit_code == 2
    assert "replicatons" in result.output and "ok" in result.output


def test_every_bundled_scenario_validates() -> None:
    files = SCENARIO_FILES
    assert len(files) >= 8
    result = runner.invoke(app, ["validate", *map(str, files)])
    assert result.exit_code == 0, result.output


def test_schema_is_json_with_the_scenario_fields() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"calendar", "arrivals", "channels", "staffing"} <= set(schema["properties"])


def test_erlang_prints_exact_figures() -> None:
    # Call Centre Helper's worked example: 200 calls/h, 180 s, 14 agents -> SL 88.8 % in 20 s
    result = runner.invoke(app, ["erlang", "--rate", "200", "--aht", "180", "--agents", "13:15"])
    assert result.exit_code == 0, result.output
    assert "88.8" in result.output or "88.9" in result.output
    result = runner.invoke(
        app, ["erlang", "--rate", "360", "--aht", "300", "--agents", "20", "--patience", "120"]
    )
    assert result.exit_code == 0, result.output
    assert "Erlang A" in result.output
    unstable = runner.invoke(app, ["erlang", "--rate", "360", "--aht", "300", "--agents", "20"])
    assert unstable.exit_code == 0 and "unstable" in unstable.output
    bad = runner.invoke(app, ["erlang", "--rate", "10", "--aht", "300", "--agents", "x"])
    assert bad.exit_code == 2


def test_erlang_concurrency_makes_each_agent_k_servers() -> None:
    """4 chat agents at concurrency 3 print the figures of 12 servers (the validation desk)."""
    args = ["erlang", "--rate", "150", "--aht", "240", "--patience", "300", "--threshold", "60"]

    def row(result: Result, agents: str) -> list[str]:
        assert result.exit_code == 0, result.output
        (line,) = [x for x in result.output.splitlines() if x.split("│")[1:2] == [f" {agents:>6} "]]
        return [cell.strip() for cell in line.split("│")[2:-1]]

    chat = runner.invoke(
        app, [*args, "--agents", "4", "--concurrency", "3"], env={"COLUMNS": "200"}
    )
    servers = runner.invoke(app, [*args, "--agents", "12"], env={"COLUMNS": "200"})
    assert "concurrency 3" in chat.output and "concurrency" not in servers.output
    exact = staffing.erlang_a(150, 240, 300, 12, 60)
    assert row(chat, "4") == row(servers, "12")
    assert row(chat, "4")[:3] == [
        f"{exact.prob_wait:.4f}",
        f"{exact.service_level:.2%}",
        f"{exact.abandon_rate:.2%}",
    ]
    for bad in ("0", "21", "1.5"):
        refused = runner.invoke(app, [*args, "--agents", "4", "--concurrency", bad])
        assert refused.exit_code == 2, bad


MINIMAL = (Path(__file__).parent / "data" / "good" / "minimal.yaml").read_text(encoding="utf-8")

# Each bad file of the foundation issue: (what to replace in minimal.yaml, with what,
# the field path the message must name, the text of the line it must point at).
BAD_FILES = {
    "unknown key": (
        "contacts_per_hour: 30",
        "contacts_per_hourr: 30",
        "arrivals.0.contacts_per_hourr",
        "contacts_per_hourr",
    ),
    "wrong type": (
        "agents: 3",
        "agents: many",
        "staffing.groups.0.schedule.agents",
        "agents: many",
    ),
    "negative rate": (
        "contacts_per_hour: 30",
        "contacts_per_hour: -5",
        "arrivals.0.contacts_per_hour",
        "contacts_per_hour: -5",
    ),
    "shares not summing to 1": (
        "  - channel: phone",
        "  - channel_mix: {phone: 0.7}",
        "arrivals.0.channel_mix",
        "channel_mix",
    ),
    "schedule of the wrong length": (
        "kind: constant\n        agents: 3",
        "kind: hourly\n        agents: [3, 3, 3]",
        "staffing.groups.0.schedule.agents",
        "agents: [3, 3, 3]",
    ),
    "missing extends target": (
        "schema_version: 1",
        "schema_version: 1\nextends: nowhere.yaml",
        "extends",
        "extends: nowhere.yaml",
    ),
    "YAML syntax error": ("agents: 3", "agents: [3", "", "agents: [3"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_each_kind_of_bad_file_exits_2_naming_file_line_and_field(
    case: str, tmp_path: Path
) -> None:
    old, new, field, line_text = BAD_FILES[case]
    assert old in MINIMAL
    text = MINIMAL.replace(old, new)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["run", str(bad), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    found = [
        re.match(re.escape(str(bad)) + r":(\d+): (.*)", ln) for ln in result.output.splitlines()
    ]
    assert found and all(found), result.output  # every line is file:line: ...
    lines = text.splitlines()
    if case == "YAML syntax error":  # the parser notices at the next line or the end
        line = int(found[0].group(1))  # type: ignore[union-attr]
        assert line >= next(i for i, t in enumerate(lines, 1) if line_text in t)
        return
    named = [m for m in found if m and m.group(2).startswith(f"{field}: ")]
    assert named, result.output
    line = int(named[0].group(1))
    assert line_text in lines[line - 1], (line, lines[line - 1])


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_an_empty_file_exits_2(text: str, tmp_path: Path) -> None:
    bad = tmp_path / "empty.yaml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["run", str(bad)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{bad}:1: ") and "empty" in result.output


def promo_scenario() -> dict[str, object]:
    data = tiny_scenario(
        name="promo",
        calendar={"start": "2026-11-03T00:00:00", "days": 3},
        arrivals=[],
        replications=3,
    )
    data["channels"]["chat"] = {
        "handle_time_seconds": {"dist": "exponential", "mean": 240},
        "concurrency": 3,
        "service_level_seconds": 180,
    }
    data["staffing"]["groups"].append(
        {"name": "chat", "channels": ["chat"], "schedule": {"kind": "constant", "agents": 3}}
    )
    data["orders"] = {"per_day": 2000, "lead_in_days": 2}
    data["contact_reasons"] = [
        {
            "name": "wismo",
            "rate_per_order": 0.05,
            "anchor": "ship",
            "channel_mix": {"chat": 0.8, "phone": 0.2},
        },
    ]
    data["promotion"] = {
        "kind": "second_item_discount",
        "start": "2026-11-03T00:00:00",
        "end": "2026-11-04T12:00:00",
        "order_uplift": 1.5,
        "rule_question_rate": 0.05,
    }
    return data


def test_a_promotion_runs_both_arms_and_reports_the_paired_effect(tmp_path: Path) -> None:
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    out = tmp_path / "outputs" / "promo" / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert {"metrics", "baseline", "effect"} <= set(summary)
    m, b, e = summary["metrics"], summary["baseline"], summary["effect"]
    assert m["promo_contacts"]["mean"] > 0 and b["promo_contacts"]["mean"] == 0
    assert e["orders"]["mean"] == pytest.approx(m["orders"]["mean"] - b["orders"]["mean"])
    assert e["contacts"]["mean"] > 0
    # common random numbers: in every replication the promotion arm holds every baseline
    # order and contact (uplift ≥ 1), so the paired differences are never negative
    rows = [ln.split(",") for ln in (out / "replications.csv").read_text().splitlines()[1:]]
    by = {(arm, rep, key): float(v) for arm, rep, key, v in rows}
    for rep in ("0", "1", "2"):
        for key in ("orders", "contacts", "contacts.wismo"):
            assert by[("promotion", rep, key)] >= by[("baseline", rep, key)], (rep, key)
    for title in ("Operations", "Service", "Customer", "Extra contacts per day"):
        assert title in result.output, title
    assert "promotion vs baseline" in result.output
    daily = (out / "daily.csv").read_text().splitlines()
    assert daily[0] == "day,series,arm,mean,ci95_lo,ci95_hi"
    assert {ln.split(",")[2] for ln in daily[1:]} == {"promotion", "baseline", "effect"}
    assert any(ln.startswith("2026-11-03,contacts.rule_question,effect,") for ln in daily)
    arms = {ln.split(",")[0] for ln in (out / "intervals.csv").read_text().splitlines()[1:]}
    assert arms == {"promotion", "baseline"}
    # runs and show name the promotion's net impact (it lives under "effect" only)
    shown_run = show_run(out)
    assert shown_run["metrics"]["net_impact_yuan"] == e["net_impact_yuan"]["mean"]
    # … as a manager reads them: labels, grouped digits, a signed ¥ difference, no 2.6e+04
    impact = _fmt({"mean": e["net_impact_yuan"]["mean"], "n": 1}, "yuan", diff=True)
    listed = runner.invoke(app, ["runs", "--root", str(tmp_path / "outputs")])
    assert listed.exit_code == 0, listed.output
    assert "promo/run" in listed.output and impact in listed.output
    assert "net impact" in listed.output and "service level" in listed.output
    assert not re.search(r"\de[+-]\d", listed.output)
    shown = runner.invoke(app, ["show", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "promotion vs baseline" in shown.output and impact in shown.output
    assert " pp ± " in shown.output  # a difference of shares is in percentage points
    assert "warning: 3 replications" in shown.output
    assert not re.search(r"\d\.\d{5}", shown.output)  # no 0.7040042365681385
    raw = runner.invoke(app, ["show", str(out), "--json"])
    assert json.loads(raw.output)["metrics"]["net_impact_yuan"] == e["net_impact_yuan"]["mean"]


@pytest.mark.slow
def test_promotion_runs_are_identical_whatever_the_workers(tmp_path: Path) -> None:
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    outs = [tmp_path / "a", tmp_path / "b"]
    for out, workers in zip(outs, ("1", "2"), strict=True):
        result = runner.invoke(
            app, ["run", str(scenario), "--out", str(out), "--workers", workers, "--quiet"]
        )
        assert result.exit_code == 0, result.output
    for name in ("summary.json", "daily.csv", "intervals.csv", "replications.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_staff_writes_a_plan_and_a_pasteable_schedule(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(
        app,
        [
            "staff",
            str(tiny),
            "--target",
            "phone.service_level>=0.8",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {"staffing.csv", "staffing.json", "schedule.yaml"}
    plan = json.loads((out / "staffing.json").read_text())
    assert plan["targets"] == ["phone.service_level>=0.8"] and plan["met"] is True
    blocks = (out / "schedule.yaml").read_text()
    # each block validates pasted into the scenario: the extra shifts beside the group's
    # own schedule, the plan's schedule instead of it
    pasted = 0
    for block in blocks.split("# group")[1:]:
        body = yaml.safe_load(block.split("\n", 1)[1])
        data = tiny_scenario()
        data["staffing"]["groups"][0].update(body)
        write(tmp_path / "pasted.yaml", data)
        check = runner.invoke(app, ["validate", str(tmp_path / "pasted.yaml")])
        assert check.exit_code == 0, check.output
        pasted += 1
    assert pasted == 2
    assert (out / "roster.csv").read_text().startswith("date,group,source,start,end,agents")
    # the answer first: what to add, what could go, never netted; then the fresh check
    lines = [x for x in result.stdout.splitlines() if not x.startswith("tiny: ")]
    assert lines[0].startswith(("agents: add up to ", "agents: no shortfall"))
    assert "fresh-seed check" in result.output and "miss significantly" in result.output
    # the blocks stay in schedule.yaml: a horizon's plan per interval is no console read
    assert "to paste, in schedule.yaml" in result.output and "kind: intervals" not in result.output
    assert plan["fresh_check"]["passed"] is True


def test_staff_on_few_replications_says_its_checks_prove_little(tiny: Path, tmp_path: Path) -> None:
    few = runner.invoke(
        app,
        ["staff", str(tiny), "--target", "phone.service_level>=0.8", "--out", str(tmp_path / "a")],
    )
    assert few.exit_code == 0, few.output
    assert "warning: 2 replications: the fresh checks' 99% CIs are too wide" in few.output
    enough = runner.invoke(
        app,
        [
            "staff",
            str(tiny),
            "--target",
            "phone.service_level>=0.8",
            "--replications",
            "10",
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert enough.exit_code == 0, enough.output
    assert "fresh checks' 99% CIs" not in enough.output


def test_staff_rejects_a_bad_target(tiny: Path) -> None:
    result = runner.invoke(app, ["staff", str(tiny), "--target", "phone.service_level<=0.8"])
    assert result.exit_code == 2
    assert result.output.startswith("--target")
    result = runner.invoke(app, ["staff", str(tiny), "--target", "fax.service_level>=0.8"])
    assert result.exit_code == 2


def test_compare_marks_significant_differences_and_writes_the_csv(
    tiny: Path, tmp_path: Path
) -> None:
    more = write(
        tmp_path / "more.yaml",
        {
            **tiny_scenario(name="more"),
            "staffing": {
                "groups": [
                    {
                        "name": "agents",
                        "channels": ["phone"],
                        "schedule": {"kind": "constant", "agents": 6},
                    }
                ]
            },
        },
    )
    out = tmp_path / "cmp"
    result = runner.invoke(
        app,
        [
            "compare",
            str(tiny),
            str(more),
            "--out",
            str(out),
            "--workers",
            "1",
            "--replications",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = (out / "comparison.csv").read_text().splitlines()
    assert rows[0].startswith("metric,arm,mean,ci95_lo,ci95_hi,diff_mean")
    asa = [r.split(",") for r in rows if r.startswith("all.asa_seconds,more,")]
    assert asa and float(asa[0][5]) < 0 and asa[0][-1] == "true"
    assert " *" in result.output
    # the folder has its report, and `report` rebuilds the same bytes
    written = (out / "report.html").read_bytes()
    rebuilt = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "again.html")])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert (tmp_path / "again.html").read_bytes() == written


def test_sweep_one_at_a_time_writes_the_tornado(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    result = runner.invoke(
        app,
        [
            "sweep",
            str(tiny),
            "--vary",
            "staffing.groups.0.schedule.agents=2:5:4",
            "--vary",
            "arrivals.0.contacts_per_hour=20,40",
            "--one-at-a-time",
            "--metric",
            "phone.asa_seconds",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    tornado = json.loads((out / "tornado.json").read_text())
    assert next(b["path"] for b in tornado["bars"]) in (
        "staffing.groups.0.schedule.agents",
        "arrivals.0.contacts_per_hour",
    )
    header = (out / "sweep.csv").read_text().splitlines()[0]
    assert header.startswith(
        "staffing.groups.0.schedule.agents,arrivals.0.contacts_per_hour,metric"
    )
    bad = runner.invoke(app, ["sweep", str(tiny), "--vary", "staffing.groups.0.schedule.agents"])
    assert bad.exit_code == 2 and bad.output.startswith("--vary")
    # a value the field rejects is reported as the --vary's, like a --set's
    bad = runner.invoke(app, ["sweep", str(tiny), "--vary", "staffing.groups.0.schedule.agents=x"])
    assert bad.exit_code == 2 and bad.output.startswith("--vary: staffing.groups.0.schedule")


def test_diff_of_a_scenario_and_its_parent_and_exit_codes(tmp_path: Path) -> None:
    child, parent = CONFIGS / "second_item_1yuan.yaml", CONFIGS / "baseline.yaml"
    same = runner.invoke(app, ["diff", str(parent), str(parent)])
    assert same.exit_code == 0 and "no differences" in same.output
    result = runner.invoke(app, ["diff", str(parent), str(child), "--format", "json"])
    assert result.exit_code == 1
    paths = {row["path"] for row in json.loads(result.output)}
    assert "promotion.kind" in paths and "name" in paths
    assert not any(p.startswith(("staffing", "orders")) for p in paths)
    assert {p for p in paths if p.startswith("channels")} <= {
        "channels.chat.bot.containment.rule_question",
        "channels.chat.bot.never",
        "channels.chat.bot.never.0",
    }
    md = runner.invoke(app, ["diff", str(parent), str(child), "--format", "markdown"])
    assert md.exit_code == 1 and md.output.startswith("|")
    bad = runner.invoke(app, ["diff", str(parent), str(tmp_path / "nope.yaml")])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_runs_show_and_init(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for seed in ("1", "2"):
        result = runner.invoke(app, ["run", str(tiny), "--quiet", "--seed", seed])
        assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["runs"])
    assert listed.exit_code == 0 and "2 run(s)" in listed.output
    folder = next((tmp_path / "outputs" / "tiny").iterdir())
    shown = runner.invoke(app, ["show", str(folder), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["name"] == "tiny"
    mine = tmp_path / "mine"
    made = runner.invoke(
        app, ["init", "my-deal", "--from", "second_item_1yuan", "--dir", str(mine)]
    )
    assert made.exit_code == 0, made.output
    check = runner.invoke(app, ["validate", str(mine / "my-deal.yaml")])
    assert check.exit_code == 0, check.output
    again = runner.invoke(
        app, ["init", "my-deal", "--from", "second_item_1yuan", "--dir", str(mine)]
    )
    assert again.exit_code == 2  # nothing is overwritten
    unknown = runner.invoke(app, ["init", "x", "--from", "nope"])
    assert unknown.exit_code == 2


def test_a_misspelt_sweep_metric_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("simulated before checking --metric")

    monkeypatch.setattr(comparelib, "run_sweep", never)
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    args = ["sweep", str(scenario), "--vary", "replications=2,3", "--one-at-a-time"]
    result = runner.invoke(app, [*args, "--metric", "phnoe.asa_secnods"])
    assert result.exit_code == 2, result.output
    assert "did you mean phone.asa_seconds" in result.output
    assert not (tmp_path / "outputs").exists()
    known = [
        "effect.net_impact_yuan",
        "chat.service_level",
        "contacts.wismo",
        "group.agents.occupancy",
    ]
    for metric in known:
        commands.check_metric(metric, load_scenario(scenario).scenario)  # no BadInput
    plain = write(tmp_path / "plain.yaml", tiny_scenario())
    result = runner.invoke(app, ["sweep", str(plain), *args[2:], "--metric", "effect.contacts"])
    assert result.exit_code == 2 and "needs a scenario with a promotion" in result.output


def test_a_grid_sweep_prints_a_table_of_its_points(tiny: Path, tmp_path: Path) -> None:
    args = ["sweep", str(tiny), "--vary", "replications=2,3", "--vary", "seed=1,2"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "Sweep · grid · 4 points" in result.output
    rows = [ln for ln in result.output.splitlines() if ln.startswith("│")]
    assert len(rows) == 4 and all("%" in ln for ln in rows)  # every point, its service level


def test_runs_says_when_there_is_nothing_to_list(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["runs", "--root", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "is not a folder" in missing.output
    empty = runner.invoke(app, ["runs", "--root", str(tmp_path)])
    assert empty.exit_code == 0 and f"no run folders under {tmp_path}" in empty.output
    (tmp_path / "a").mkdir()
    none = runner.invoke(app, ["runs", "--root", str(tmp_path), "--name", "a"])
    assert none.exit_code == 0 and "no runs of a under" in none.output
    gone = runner.invoke(app, ["show", str(tmp_path / "nowhere")])
    assert gone.exit_code == 2 and "is not a folder" in gone.output


def test_a_long_folder_name_is_cut_in_its_middle() -> None:
    name = "second-item-1-yuan-with-a-long-name/20261203-120011-66f6b7bf"
    cut = _short_folder(name)
    assert len(cut) == MAX_FOLDER and cut.endswith("/20261203-120011-66f6b7bf") and "…" in cut
    assert _short_folder("baseline/b1") == "baseline/b1"
    assert _short("x" * 50) == "x" * 11 + "…" + "x" * 24


def test_a_misspelt_grid_metric_or_vary_is_refused_before_any_simulation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.experiment import Runner

    def never(*_: object, **__: object) -> None:
        raise AssertionError("simulated before checking the options")

    monkeypatch.setattr(Runner, "run", never)
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    args = ["sweep", str(scenario), "--vary", "replications=2,3", "--out", str(tmp_path / "s")]
    metric = runner.invoke(app, [*args, "--metric", "all.servce_level"])
    assert metric.exit_code == 2, metric.output
    assert "did you mean all.service_level" in metric.output
    vary = runner.invoke(app, [*args, "--vary", "promotoin.order_uplift=1,2"])
    assert vary.exit_code == 2, vary.output
    assert "--vary: promotoin: unknown field; did you mean 'promotion'?" in vary.output
    assert not (tmp_path / "s").exists()


def test_a_misspelt_metric_is_refused_in_less_time_than_one_replication(tmp_path: Path) -> None:
    """The bundled deal: refusing --metric costs a load, far less than one replication."""
    from sim.experiment import run_replication

    path = CONFIGS / "second_item_1yuan.yaml"
    args = ["sweep", str(path), "--vary", "promotion.order_uplift=1.2,1.5"]
    start = time.perf_counter()
    refused = runner.invoke(app, [*args, "--metric", "effect.net_impcat_yuan"])
    refusing = time.perf_counter() - start
    assert refused.exit_code == 2 and "did you mean effect.net_impact_yuan" in refused.output
    start = time.perf_counter()
    run_replication(load_scenario(path).scenario, 0)
    one = time.perf_counter() - start
    assert refusing < one / 2, (refusing, one)


def test_one_replication_has_no_ci_and_few_are_warned_of(tiny: Path, tmp_path: Path) -> None:
    one = runner.invoke(
        app, ["run", str(tiny), "--replications", "1", "--out", str(tmp_path / "a")]
    )
    assert one.exit_code == 0, one.output
    assert "one replication: no CI" in one.output and "95% CI" not in one.output
    assert "warning: 1 replication: no CI can be drawn from one" in one.output
    five = runner.invoke(
        app, ["run", str(tiny), "--replications", "5", "--out", str(tmp_path / "b")]
    )
    assert five.exit_code == 0, five.output
    assert "mean ± 95% CI" in five.output and "warning: 5" not in five.output


def test_one_at_a_time_prints_its_points_and_the_tornado(tiny: Path, tmp_path: Path) -> None:
    args = ["sweep", str(tiny), "--vary", "channels.phone.service_level_seconds=10,40"]
    result = runner.invoke(
        app, [*args, "--one-at-a-time", "--out", str(tmp_path / "s"), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "Sweep · one-at-a-time · 3 points" in result.output
    assert "Tornado · all channels service level" in result.output
    # the swing of a share is in percentage points, its bar the widest
    assert re.search(rf"│ \d+\.\d pp │ █{{{TORNADO_WIDTH}}} ", result.output), result.output


def test_console_numbers_read_as_a_manager_writes_them() -> None:
    one: Stat = {"mean": -9090.4, "n": 1}
    assert _fmt(one, "yuan") == "−¥9,090"  # no CI with one replication
    assert _fmt({"mean": 5000.0, "ci95": [4000.0, 6000.0], "n": 5}, "yuan", diff=True) == (
        "+¥5,000 ± 1,000"
    )
    assert _fmt({"mean": -0.021, "ci95": [-0.031, -0.011], "n": 5}, "share", diff=True) == (
        "−2.1 pp ± 1.0"
    )
    assert _fmt({"mean": 0.976, "ci95": [0.935, 1.017], "n": 2}, "share") == "97.6% [93.5%–100%]"
    assert _fmt({"mean": 0.5, "ci95": [0.4, 0.6], "n": 5}, "share") == "50.0% ± 10.0%"
    assert _fmt({"mean": -3.0, "n": 1}, "count", diff=True) == "−3"
    assert _fmt(None, "count") == "–"


HEAVY = ("plotly", "scipy", "distributed", "dask", "openpyxl", "simpy", "numpy")
"""What `promosim --help` must not import: each command imports what it runs, when it runs
(pydantic it may: typer reads a command's options with it)."""

_LOADED = """
import json, sys
from sim import cli
try:
    cli.app(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("\\n" + json.dumps(sorted(sys.modules)))
"""


def _imported(*args: str) -> list[str]:
    """The modules a fresh interpreter has after importing sim.cli and running ``args``."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stderr.rsplit("\n", 1)[-1])
    return loaded


@pytest.mark.parametrize("args", [(), ("--help",), ("run", "--help"), ("report", "--help")])
def test_the_command_line_imports_no_heavy_module_before_a_command_runs(
    args: tuple[str, ...],
) -> None:
    loaded = _imported(*args)
    assert "sim.cli" in loaded and "typer" in loaded
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert heavy == []
    assert not any(m.startswith(("sim.center", "sim.experiment", "sim.config")) for m in loaded)


@pytest.mark.parametrize(
    "args",
    [
        ("validate", str(CONFIGS / "second_item_1yuan.yaml")),
        ("diff", str(CONFIGS / "second_item_1yuan.yaml"), str(CONFIGS / "baseline.yaml")),
    ],
    ids=["validate", "diff"],
)
def test_reading_scenarios_imports_no_scipy(args: tuple[str, ...]) -> None:
    """The commands that check scenarios (plausibility, work size) simulate nothing."""
    loaded = _imported(*args)
    assert "sim.plausibility" in loaded and "sim.distributions" in loaded  # they did the work
    assert [m for m in loaded if m.split(".")[0] == "scipy"] == []
