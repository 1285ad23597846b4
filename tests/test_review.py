"""Review helpers: diff of resolved scenarios, run listing, ``init`` templates."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.loading import ScenarioError, load_scenario
from sim.review import (
    MISSING,
    DiffRow,
    diff_json,
    diff_markdown,
    diff_resolved,
    diff_table_rows,
    init_scenario,
    is_run_folder,
    list_runs,
    resolved_of,
    show_run,
    template_names,
)
from tests.conftest import CONFIGS, tiny_scenario

runner = CliRunner()


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two run folders of the tiny scenario under ``<root>/tiny/``: seed 1, then seed 2."""
    root = tmp_path_factory.mktemp("outputs")
    scenario = write(root.parent / "tiny.yaml", tiny_scenario())
    folders = []
    for seed in (1, 2):
        out = root / "tiny" / f"run-seed{seed}"
        args = ["run", str(scenario), "--set", f"seed={seed}", "--out", str(out)]
        result = runner.invoke(app, [*args, "--workers", "1", "--quiet"])
        assert result.exit_code == 0, result.output
        folders.append(out)
    return folders[0], folders[1]


# --------------------------------------------------------------------------- diff


def test_diff_flat_nested_lists_and_missing() -> None:
    a = {"x": 1, "n": {"p": [1, 2, 3], "q": None}, "only_a": {"k": "v"}, "e": []}
    b = {"x": 1, "n": {"p": [1, 5], "q": {"r": 2}}, "e": [], "z": 1.0}
    rows = diff_resolved(a, b)
    assert rows == [
        DiffRow("n.p.1", 2, 5),
        DiffRow("n.p.2", 3, MISSING),
        DiffRow("n.q", None, MISSING),
        DiffRow("n.q.r", MISSING, 2),
        DiffRow("only_a.k", "v", MISSING),
        DiffRow("z", MISSING, 1.0),
    ]
    assert diff_resolved(a, a) == []


def test_diff_compares_like_the_hash() -> None:
    # 1, 1.0 and true hash differently, so they differ here too
    rows = diff_resolved({"a": 1, "b": 1, "c": [0] * 12}, {"a": 1.0, "b": True, "c": [0] * 11})
    assert [r.path for r in rows] == ["a", "b", "c.11"]  # indexes sort numerically


def test_diff_against_extends_parent_lists_the_overridden_fields() -> None:
    child, child_label = resolved_of(CONFIGS / "second_item_1yuan.yaml")
    parent, _ = resolved_of(CONFIGS / "baseline.yaml")
    assert child_label == str(CONFIGS / "second_item_1yuan.yaml")
    rows = diff_resolved(parent, child)
    paths = {r.path for r in rows}
    promotion_leaves = {
        "promotion." + ".".join(str(s) for s in p) for p in _leaf_paths(child["promotion"])
    }
    # version is the same in both files (2026-11-r1); baseline has no promotion (null); the
    # deal's reasons join the chat bot's lists
    bot = {
        "channels.chat.bot.containment.rule_question",
        "channels.chat.bot.never",
        "channels.chat.bot.never.0",
    }
    assert paths == {"name", "title", "description", "promotion"} | promotion_leaves | bot
    by_path = {r.path: r for r in rows}
    assert by_path["promotion"] == DiffRow("promotion", None, MISSING)
    assert by_path["promotion.kind"] == DiffRow("promotion.kind", MISSING, "second_item_discount")
    assert by_path["name"] == DiffRow("name", "baseline", "second-item-1-yuan")
    assert [r.path for r in rows] == sorted(paths)


def _leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(value, list) and value:
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def test_diff_of_two_runs_is_the_set_value(two_runs: tuple[Path, Path]) -> None:
    one, two = two_runs
    a, a_label = resolved_of(one)
    b, _ = resolved_of(two)
    assert a_label == str(one)
    assert diff_resolved(a, b) == [DiffRow("seed", 1, 2)]
    # the resolved file reads back to the very scenario that was run
    manifest = json.loads((one / "manifest.json").read_text(encoding="utf-8"))
    assert load_scenario(one / "scenario.resolved.yaml").hash == manifest["config_hash"]
    # a run against the scenario file with the same --set: no difference
    same, label = resolved_of(one.parent.parent.parent / "tiny.yaml", ["seed=1"])
    assert diff_resolved(a, same) == []
    assert label.endswith("--set seed=1")
    # overrides apply to run folders too
    b2, _ = resolved_of(two, ["seed=1", "replications=3"])
    assert diff_resolved(a, b2) == [DiffRow("replications", 2, 3)]


def test_resolved_of_rejects_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a run folder"):
        resolved_of(tmp_path)
    with pytest.raises(ScenarioError, match="file not found"):
        resolved_of(tmp_path / "nope.yaml")
    assert not is_run_folder(tmp_path)


def test_formatters() -> None:
    rows = [
        DiffRow("promotion", None, MISSING),
        DiffRow("promotion.kind", MISSING, "coupon"),
        DiffRow("title", "a|b", "`x` 双11"),
        DiffRow("staffing.groups.0.channels", ["chat"], ["chat", "phone"]),
    ]
    assert diff_table_rows(rows) == [
        ("promotion", "null", "(missing)"),
        ("promotion.kind", "(missing)", '"coupon"'),
        ("title", '"a|b"', '"`x` 双11"'),
        ("staffing.groups.0.channels", '["chat"]', '["chat", "phone"]'),
    ]
    assert json.loads(diff_json(rows)) == [
        {"path": "promotion", "a": None},
        {"path": "promotion.kind", "b": "coupon"},
        {"path": "title", "a": "a|b", "b": "`x` 双11"},
        {"path": "staffing.groups.0.channels", "a": ["chat"], "b": ["chat", "phone"]},
    ]
    md = diff_markdown(rows, "base|line", "promo")
    lines = md.splitlines()
    assert lines[0] == "| field | base\\|line | promo |"
    assert lines[1] == "| --- | --- | --- |"
    assert lines[2] == "| `promotion` | `null` | (missing) |"
    assert lines[4] == '| `title` | `"a\\|b"` | ``"`x` 双11"`` |'
    assert lines[5] == '| `staffing.groups.0.channels` | `["chat"]` | `["chat", "phone"]` |'
    # every row has exactly three cells (no unescaped pipe)
    assert all(len(re.split(r"(?<!\\)\|", line)) == 5 for line in lines)
    assert "No differences" in diff_markdown([], "a", "b")


# --------------------------------------------------------------------------- runs


def test_list_runs_newest_first_with_headline_metrics(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    root = tmp_path / "outputs"
    shutil.copytree(two_runs[0].parent.parent, root)
    one, two = root / "tiny" / "run-seed1", root / "tiny" / "run-seed2"
    # make run-seed1 the newer one, so the order is not the folder names'
    manifest = json.loads((one / "manifest.json").read_text(encoding="utf-8"))
    manifest["created_at"] = "2099-01-01T00:00:00+00:00"
    (one / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # skipped: hidden folders, folders without a manifest, unreadable manifests
    (root / ".promosim-cache" / "abc").mkdir(parents=True)
    (root / ".promosim-cache" / "abc" / "manifest.json").write_text("{}")
    (root / "tiny" / ".run.tmp").mkdir()
    (root / "tiny" / ".run.tmp" / "manifest.json").write_text("{}")
    (root / "tiny" / "empty").mkdir()
    (root / "other" / "broken").mkdir(parents=True)
    (root / "other" / "broken" / "manifest.json").write_text("{not json")
    (root / "stray.txt").write_text("x")

    runs = list_runs(root)
    assert [r.folder for r in runs] == [one, two]
    first = runs[0]
    assert (first.name, first.seed, first.replications) == ("tiny", 1, 2)
    assert first.config_hash == load_scenario(one / "scenario.resolved.yaml").hash
    assert first.created_at == "2099-01-01T00:00:00+00:00"
    assert set(first.metrics) == {"contacts", "all.service_level", "csat_mean", "net_yuan"}
    summary = json.loads((one / "summary.json").read_text(encoding="utf-8"))
    assert first.metrics["contacts"] == summary["metrics"]["contacts"]["mean"]
    assert runs[1].seed == 2

    assert [r.folder for r in list_runs(root, name="tiny")] == [one, two]
    assert list_runs(root, name="nope") == []
    assert list_runs(tmp_path / "missing") == []


def test_show_run(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    shown = show_run(two_runs[1])
    assert shown["folder"] == str(two_runs[1])
    assert shown["name"] == "tiny"
    assert shown["seed"] == 2
    assert shown["overrides"] == ["seed=2"]
    assert set(shown["metrics"]) == {"contacts", "all.service_level", "csat_mean", "net_yuan"}
    with pytest.raises(ValueError, match="not a run folder"):
        show_run(tmp_path)


# --------------------------------------------------------------------------- init


def _uncomment(text: str) -> str:
    """Uncomment every commented-out field below the ``extends`` line."""
    head, body = text.split("\nextends:", 1)
    body = "\n".join(line[2:] if line.startswith("# ") else line for line in body.split("\n"))
    return head + "\nextends:" + body


@pytest.mark.parametrize("template", template_names(CONFIGS))
def test_init_loads_as_the_template_with_its_own_name_title_and_version(
    template: str, tmp_path: Path
) -> None:
    configs = tmp_path / "configs"  # a copy: the new file goes next to the configs
    shutil.copytree(CONFIGS, configs)
    dest = configs / "my-campaign.yaml"
    original = load_scenario(configs / f"{template}.yaml")
    text = init_scenario("my-campaign", template, configs, dest, title="大促 · 618")
    assert "\nname: my-campaign\n" in text
    assert f'\nextends: "{template}.yaml"\n' in text
    dest.write_text(text, encoding="utf-8")
    loaded = load_scenario(dest)
    sets = ["name=my-campaign", "title=大促 · 618", "version=draft"]
    renamed = load_scenario(configs / f"{template}.yaml", sets)
    assert loaded.hash == renamed.hash
    changed = {r.path for r in diff_resolved(original.resolved, loaded.resolved)}
    assert changed == {"name", "title", "version"} - (
        {"version"} if original.resolved["version"] == "draft" else set()
    )
    # every commented value is the template's: uncommented, nothing changes
    dest.write_text(_uncomment(text), encoding="utf-8")
    assert load_scenario(dest).hash == renamed.hash


def test_init_with_a_start_moves_the_calendar_and_the_promotions_dates(tmp_path: Path) -> None:
    """A 618 from the 双11 file: the calendar and the window move together, all else stays."""
    dest = tmp_path / "my-618.yaml"
    start = dt.date(2026, 6, 4)
    text = init_scenario("my-618", "second_item_1yuan", CONFIGS, dest, start=start)
    dest.write_text(text, encoding="utf-8")
    parent = load_scenario(CONFIGS / "second_item_1yuan.yaml").resolved
    loaded = load_scenario(dest).resolved
    days = (start - dt.date(2026, 10, 28)).days
    assert days == -146
    moved = {
        r.path: (r.a, r.b)
        for r in diff_resolved(parent, loaded)
        if r.path not in ("name", "title", "version")
    }
    assert moved == {
        "calendar.start": ("2026-10-28T00:00:00", "2026-06-04T00:00:00"),
        "promotion.start": ("2026-11-01T00:00:00", "2026-06-08T00:00:00"),
        "promotion.end": ("2026-11-12T00:00:00", "2026-06-19T00:00:00"),
        "promotion.peak_day": ("2026-11-11", "2026-06-18"),
    }
    # uncommented, the rest is still the parent's
    dest.write_text(_uncomment(text), encoding="utf-8")
    assert load_scenario(dest).resolved == loaded


def test_init_from_a_users_own_file(tmp_path: Path) -> None:
    mine = tmp_path / "team" / "double11.yaml"
    mine.parent.mkdir()
    init_text = init_scenario("double11", "flash_sale", CONFIGS, mine, title="秒杀 · 双11")
    mine.write_text(init_text, encoding="utf-8")
    dest = tmp_path / "next" / "spring.yaml"
    dest.parent.mkdir()
    text = init_scenario("spring", str(mine), CONFIGS, dest)
    assert '\nextends: "../team/double11.yaml"\n' in text
    assert 'parent: "秒杀 · 双11"' in text
    dest.write_text(text, encoding="utf-8")
    assert load_scenario(dest).scenario.name == "spring"
    with pytest.raises(ValueError, match="no such scenario file"):
        init_scenario("x", str(tmp_path / "nope.yaml"), CONFIGS, dest)


def test_init_lists_the_campaign_fields() -> None:
    text = init_scenario("x", "second_item_1yuan.yaml", CONFIGS, CONFIGS / "x.yaml")
    for field in ("start", "end", "peak_day", "order_uplift", "second_item_price_yuan"):
        assert re.search(rf"^#   {field}: .+  # \S", text, re.M), field
    assert re.search(r"^#   per_day: 8000\.0  # ", text, re.M)
    assert text.count("#       schedule:") == 3  # baseline's three groups
    assert "#           - {" in text  # their shifts


def test_init_extends_relative_to_the_new_file(tmp_path: Path) -> None:
    dest = tmp_path / "campaigns" / "double-11.yaml"
    dest.parent.mkdir()
    text = init_scenario("double-11", "flash_sale", CONFIGS, dest)
    dest.write_text(text, encoding="utf-8")
    loaded = load_scenario(dest)
    assert loaded.files[1].resolve() == (CONFIGS / "flash_sale.yaml").resolve()
    assert loaded.scenario.name == "double-11"


@pytest.mark.parametrize("name", ["My Campaign", "a_b", "-a", "a--b", "", "双11"])
def test_init_rejects_a_bad_name(name: str) -> None:
    with pytest.raises(ValueError, match="not a slug"):
        init_scenario(name, "baseline", CONFIGS, CONFIGS / "x.yaml")


def test_init_rejects_an_unknown_template() -> None:
    with pytest.raises(ValueError, match=r"unknown template 'nope'; available: baseline, .* file"):
        init_scenario("x", "nope", CONFIGS, CONFIGS / "x.yaml")
    assert "erlang_c_light" not in template_names(CONFIGS)  # validation/ is not a template
