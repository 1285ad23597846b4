"""Tests of sim.loading: located errors, extends, --set overrides, hashing, robustness."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import Scenario
from sim.loading import (
    LoadedScenario,
    Problem,
    ScenarioError,
    config_hash,
    load_scenario,
    load_text,
    parse_override,
    resolved_yaml,
)

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
MINIMAL = GOOD / "minimal.yaml"
MINIMAL_TEXT = MINIMAL.read_text(encoding="utf-8")


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of ``text`` containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not in text"
    return hits[nth - 1]


def problems(path: str | Path, overrides: tuple[str, ...] = ()) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    assert info.value.problems, "a ScenarioError must carry problems"
    return info.value.problems


def only_problem(path: str | Path, overrides: tuple[str, ...] = ()) -> Problem:
    found = problems(path, overrides)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def variant(tmp_path: Path, old: str, new: str, name: str = "scenario.yaml") -> tuple[str, str]:
    """minimal.yaml with ``old`` replaced by ``new``, written to tmp_path: (path, text)."""
    assert MINIMAL_TEXT.count(old) == 1, old
    text = MINIMAL_TEXT.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path), text


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def assert_at(problem: Problem, file: str, line: int | None, path: str, word: str) -> None:
    where = file if line is None else f"{file}:{line}"
    prefix = f"{where}: {path}: " if path else f"{where}: "
    assert str(problem).startswith(prefix), f"{problem} does not start with {prefix!r}"
    assert word.lower() in problem.message.lower(), f"{word!r} not in {problem.message!r}"


# --------------------------------------------------------------------------- valid files


def test_minimal_scenario_loads() -> None:
    loaded = load_scenario(MINIMAL)
    assert isinstance(loaded.scenario, Scenario)
    assert loaded.scenario.name == "minimal"
    assert loaded.scenario.staffing.groups[0].schedule.kind == "constant"
    assert loaded.source == MINIMAL
    assert loaded.files == (MINIMAL,)
    assert loaded.overrides == ()
    assert loaded.resolved == loaded.scenario.model_dump(mode="json")
    assert "extends" not in loaded.resolved


def test_bundled_validation_configs_load(configs: Path) -> None:
    for path in sorted((configs / "validation").glob("*.yaml")):
        load_scenario(path)


def test_problem_str() -> None:
    assert str(Problem("a.yaml", 3, "seed", "bad")) == "a.yaml:3: seed: bad"
    assert str(Problem("a.yaml", None, "seed", "bad")) == "a.yaml: seed: bad"
    assert str(Problem("a.yaml", 1, "", "bad")) == "a.yaml:1: bad"
    error = ScenarioError([Problem("a", 1, "x", "m"), Problem("a", 2, "y", "n")])
    assert str(error) == "a:1: x: m\na:2: y: n"


# --------------------------------------------------------------------------- located errors


def test_unknown_key(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "contacts_per_hour: 30", "contacts_per_hourr: 30")
    found = problems(path)
    typo = [p for p in found if p.path == "arrivals.0.contacts_per_hourr"]
    assert len(typo) == 1
    assert_at(typo[0], path, line_of(text, "contacts_per_hourr"), typo[0].path, "unknown")
    assert "did you mean 'contacts_per_hour'" in typo[0].message
    # the field it should have been is missing: reported at the line of its mapping
    missing = [p for p in found if p.path == "arrivals.0.contacts_per_hour"]
    assert_at(missing[0], path, line_of(text, "- channel: phone"), missing[0].path, "missing")


def test_wrong_type(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "agents: 3", "agents: many")
    p = only_problem(path)
    assert_at(
        p, path, line_of(text, "agents: many"), "staffing.groups.0.schedule.agents", "integer"
    )
    assert "many" in p.message


def test_negative_rate(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "contacts_per_hour: 30", "contacts_per_hour: -30")
    p = only_problem(path)
    assert_at(
        p,
        path,
        line_of(text, "contacts_per_hour"),
        "arrivals.0.contacts_per_hour",
        "greater than or equal",
    )


def test_channel_mix_not_summing_to_one(tmp_path: Path) -> None:
    # the stream's validator names the field relative to the stream (PathErrors)
    path, text = variant(tmp_path, "- channel: phone", "- channel_mix: {phone: 0.6}")
    p = only_problem(path)
    assert_at(p, path, line_of(text, "channel_mix"), "arrivals.0.channel_mix", "sum to 1")


def test_hourly_schedule_needs_24_values(tmp_path: Path) -> None:
    hours = ", ".join(["2"] * 23)
    path, text = variant(
        tmp_path, "kind: constant\n        agents: 3", f"kind: hourly\n        agents: [{hours}]"
    )
    p = only_problem(path)
    assert_at(p, path, line_of(text, "agents: ["), "staffing.groups.0.schedule.agents", "24")
    assert "got 23" in p.message


def test_unknown_distribution_names_the_field(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "dist: exponential, mean: 300", "dist: weibull, mean: 300")
    p = only_problem(path)
    line = line_of(text, "weibull")
    assert_at(p, path, line, "channels.phone.handle_time_seconds.dist", "weibull")
    assert "lognormal" in p.message  # says what is allowed


def test_missing_distribution_name(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "dist: exponential, mean: 300", "mean: 300")
    p = only_problem(path)
    line = line_of(text, "handle_time_seconds")
    assert_at(p, path, line, "channels.phone.handle_time_seconds.dist", "missing")


def test_lognormal_mean_without_cv(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "dist: exponential, mean: 300", "dist: lognormal, mean: 300")
    p = only_problem(path)
    line = line_of(text, "handle_time_seconds")
    assert_at(p, path, line, "channels.phone.handle_time_seconds", "mean and cv")
    assert not p.message.startswith("Value error")


def test_distribution_that_is_not_a_mapping(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "{dist: exponential, mean: 300}", "300")
    p = only_problem(path)
    assert_at(
        p,
        path,
        line_of(text, "handle_time_seconds"),
        "channels.phone.handle_time_seconds",
        "mapping",
    )


def test_unknown_channel_of_an_arrival_stream(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "- channel: phone", "- channel: chat")
    p = only_problem(path)
    assert_at(p, path, line_of(text, "channel: chat"), "arrivals.0.channel", "unknown channel")


def test_unknown_channel_of_a_group(tmp_path: Path) -> None:
    path, text = variant(
        tmp_path, "channels: [phone]", "channels:\n        - phone\n        - chat"
    )
    p = only_problem(path)
    assert_at(p, path, line_of(text, "- chat"), "staffing.groups.0.channels.1", "unknown channel")


def test_several_reference_problems_each_at_its_line(tmp_path: Path) -> None:
    path, text = variant(
        tmp_path,
        "service_level_seconds: 20\n",
        "service_level_seconds: 20\n"
        "  chat:\n"
        "    handle_time_seconds: {dist: exponential, mean: 1}\n",
    )
    text = text.replace("- channel: phone", "- channel: email")
    Path(path).write_text(text, encoding="utf-8")
    found = problems(path)
    assert [str(p) for p in found] == [
        f"{path}:{line_of(text, 'channel: email')}: arrivals.0.channel: unknown channel 'email'",
        f"{path}:{line_of(text, 'chat:')}: channels.chat: no staffing group serves this channel",
    ]


def test_three_problems_at_once() -> None:
    path = str(BAD / "three_problems.yaml")
    text = Path(path).read_text(encoding="utf-8")
    found = problems(path)
    assert len(found) == 3, "\n".join(map(str, found))
    assert_at(found[0], path, line_of(text, "name:"), "name", "not a name")
    assert_at(found[1], path, line_of(text, "replication:"), "replication", "unknown")
    assert_at(
        found[2],
        path,
        line_of(text, "service_level_seconds"),
        "channels.phone.service_level_seconds",
        "greater than or equal",
    )
    assert [p.line for p in found] == sorted(p.line or 0 for p in found)


def test_nan_and_infinity_are_rejected(tmp_path: Path) -> None:
    for value in (".nan", ".inf", "-.inf"):
        path, text = variant(tmp_path, "contacts_per_hour: 30", f"contacts_per_hour: {value}")
        p = only_problem(path)
        assert_at(p, path, line_of(text, "contacts_per_hour"), "arrivals.0.contacts_per_hour", "")
    path, _ = variant(tmp_path, "days: 1", "days: .nan")
    assert only_problem(path).path == "calendar.days"


# --------------------------------------------------------------------------- YAML-level errors


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "channels: [phone]", "channels: [phone")
    p = only_problem(path)
    assert p.file == path
    assert p.line is not None and line_of(text, "[phone") <= p.line <= line_of(text, "[phone") + 1
    assert p.path == ""
    assert "invalid YAML" in p.message


def test_yaml_syntax_error_line_is_exact(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: x\nseed: 1\n  bad indentation: 2\n")
    assert_at(only_problem(path), path, 3, "", "invalid YAML")


def test_empty_file(tmp_path: Path) -> None:
    for text in ("", "\n\n", "# only a comment\n"):
        path = write(tmp_path, "empty.yaml", text)
        assert_at(only_problem(path), path, 1, "", "empty")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n", "null\n"])
def test_document_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "list.yaml", text)
    assert_at(only_problem(path), path, 1, "", "mapping")


def test_duplicate_key(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "seed: 7\n", "seed: 7\nreplications: 3\n")
    p = only_problem(path)
    assert_at(p, path, line_of(text, "replications", 2), "replications", "duplicate")
    assert f"line {line_of(text, 'replications')}" in p.message


def test_duplicate_nested_key(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "        agents: 3", "        agents: 3\n        agents: 4")
    p = only_problem(path)
    assert_at(p, path, line_of(text, "agents: 4"), "staffing.groups.0.schedule.agents", "duplicate")


def test_python_tags_are_rejected_and_not_executed(tmp_path: Path) -> None:
    path = str(BAD / "python_object.yaml")
    text = Path(path).read_text(encoding="utf-8")
    assert_at(only_problem(path), path, line_of(text, "!!python"), "seed", "not allowed")

    marker = tmp_path / "executed"
    evil = [
        f'seed: !!python/object/apply:os.system ["touch {marker}"]',
        "seed: !!python/object/apply:pathlib.Path.touch "
        f"[!!python/object/apply:pathlib.Path [{marker}]]",
        "seed: !!python/name:os.system",
        "seed: !!python/object:sim.config.Scenario {}",
        f"? !!python/object/apply:os.system ['touch {marker}']\n: 1",
        "seed: !custom 3",
        "seed: !!set {a, b}",
    ]
    for line in evil:
        found = problems(write(tmp_path, "evil.yaml", f"name: evil\n{line}\n"))
        assert any("not allowed" in p.message for p in found), found
        assert all(p.line == 2 for p in found)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("key", "word"),
    [
        ("1", "number"),
        ("null", "null"),
        ("~", "null"),
        ("true", "boolean"),
        ("2026-01-01", "date"),
        ("[a]", "not a list"),
        ("{a: 1}", "not a list"),
    ],
)
def test_keys_that_are_not_names(tmp_path: Path, key: str, word: str) -> None:
    path = write(tmp_path, "keys.yaml", f"name: x\n{key}: value\n")
    assert_at(only_problem(path), path, 2, "", word)


def test_quoted_keys_are_names(tmp_path: Path) -> None:
    path = write(tmp_path, "keys.yaml", "name: x\n'true': value\non: value\n")
    assert {p.path for p in problems(path) if "unknown field" in p.message} == {"true", "on"}
    found = [p for p in problems(path) if p.path == "true"]
    assert_at(found[0], path, 2, "true", "unknown field")


def test_several_documents(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", MINIMAL_TEXT + "---\nname: second\n")
    p = only_problem(path)
    assert_at(p, path, line_of(MINIMAL_TEXT + "---\n", "---"), "", "document")


def test_unreadable_files(tmp_path: Path) -> None:
    assert_at(
        only_problem(tmp_path / "nope.yaml"), str(tmp_path / "nope.yaml"), None, "", "not found"
    )
    assert_at(only_problem(tmp_path), str(tmp_path), None, "", "directory")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\ntitle: caf\xe9\n")
    assert_at(only_problem(path), str(path), 2, "", "UTF-8")
    path.write_bytes(b"\x00\x01\x02binary\xff\xfe")
    assert only_problem(path).file == str(path)
    path.write_bytes(b"name: x\ntitle: a\x00b\n")
    assert_at(only_problem(path), str(path), 2, "", "not allowed")


def test_utf8_bom_and_chinese_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    text = MINIMAL_TEXT.replace("Minimal phone scenario", "第二件1元 · 双11预热")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_scenario(path).scenario.title == "第二件1元 · 双11预热"


def test_deep_nesting_and_alias_bombs_are_problems() -> None:
    for depth in (100, 5000):
        found = problems_of_text("name: x\nseed: " + "[" * depth + "]" * depth + "\n")
        assert any("deep" in p.message for p in found), found
    bomb = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        bomb.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    found = problems_of_text("\n".join(bomb) + "\n")
    assert any("more than" in p.message for p in found), found


def problems_of_text(text: str, name: str = "t.yaml") -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_text(text, name)
    return info.value.problems


def test_huge_integer_is_a_problem(tmp_path: Path) -> None:
    path, text = variant(tmp_path, "seed: 7", "seed: " + "9" * 5000)
    assert_at(only_problem(path), path, line_of(text, "seed:"), "seed", "")
    path, text = variant(tmp_path, "seed: 7", "seed: " + "9" * 40)
    assert_at(only_problem(path), path, line_of(text, "seed:"), "seed", "less than")


def test_yaml_merge_keys_and_anchors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "anchors.yaml",
        """\
name: anchors
channels:
  phone: &voice
    handle_time_seconds: {dist: exponential, mean: 300}
    service_level_seconds: 20
  chat:
    <<: *voice
    concurrency: 3
    service_level_seconds: 180
staffing:
  groups:
    - {name: frontline, channels: [phone, chat], schedule: {kind: constant, agents: 3}}
""",
    )
    chat = load_scenario(path).scenario.channels["chat"]
    assert (chat.concurrency, chat.service_level_seconds) == (3, 180)
    assert chat.handle_time_seconds.dist == "exponential"

    bad = Path(path).read_text(encoding="utf-8").replace("mean: 300", "mean: -1")
    found = problems(write(tmp_path, "anchors.yaml", bad))
    # the merged-in value is located where it was written (the anchor's line)
    assert {p.path for p in found} == {
        "channels.phone.handle_time_seconds.mean",
        "channels.chat.handle_time_seconds.mean",
    }
    assert {p.line for p in found} == {4}


# --------------------------------------------------------------------------- extends


def test_missing_extends_target() -> None:
    path = str(BAD / "missing_parent.yaml")
    text = Path(path).read_text(encoding="utf-8")
    p = only_problem(path)
    assert_at(p, path, line_of(text, "extends:"), "extends", "not found")
    assert "no_such_baseline.yaml" in p.message


def test_extends_cycle() -> None:
    a, b = str(BAD / "cycle_a.yaml"), str(BAD / "cycle_b.yaml")
    p = only_problem(a)
    assert_at(p, b, 2, "extends", "cycle")
    assert p.message.endswith(f"{a} → {b} → {a}")


def test_extends_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "self.yaml", "name: x\nextends: self.yaml\n")
    assert_at(only_problem(path), path, 2, "extends", "cycle")


def test_extends_must_be_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: x\nextends: [a.yaml]\n")
    assert_at(only_problem(path), path, 2, "extends", "path")


def test_error_located_in_the_parent_file() -> None:
    child = str(BAD / "parent_error_child.yaml")
    parent = str(BAD / "parent_error_base.yaml")
    text = Path(parent).read_text(encoding="utf-8")
    p = only_problem(child)
    assert_at(
        p, parent, line_of(text, "agents: many"), "staffing.groups.0.schedule.agents", "integer"
    )


def test_yaml_problems_of_child_and_parent_come_together(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "name: base\nseed: 1\nseed: 2\n")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: a\nname: b\n")
    found = problems(child)
    assert [(p.file, p.line, p.path) for p in found] == [
        (child, 3, "name"),
        (str(tmp_path / "base.yaml"), 3, "seed"),
    ]


def test_extends_deep_merge() -> None:
    base = load_scenario(GOOD / "baseline.yaml").scenario
    loaded = load_scenario(GOOD / "campaign.yaml")
    s = loaded.scenario
    assert loaded.files == (GOOD / "campaign.yaml", GOOD / "baseline.yaml")
    assert s.name == "campaign"
    # a nested field overridden, its siblings kept from the parent
    assert s.channels["chat"].concurrency == 2
    assert s.channels["chat"].service_level_seconds == 180
    assert s.channels["chat"].patience_seconds == base.channels["chat"].patience_seconds
    assert s.channels["phone"] == base.channels["phone"]
    assert s.calendar == base.calendar
    assert s.staffing == base.staffing
    # a list replaces the parent's list
    assert len(s.arrivals) == 1
    assert s.arrivals[0].channel == "chat"
    assert s.arrivals[0].contacts_per_hour == 200
    # a mapping whose dist changed replaces the parent's (no stale median/sigma)
    assert s.channels["chat"].handle_time_seconds.dist == "exponential"


def test_extends_locates_each_value_in_its_own_file(tmp_path: Path) -> None:
    parent_text = (GOOD / "baseline.yaml").read_text(encoding="utf-8")
    write(tmp_path, "baseline.yaml", parent_text.replace("agents: 10", "agents: -1"))
    child = write(
        tmp_path,
        "child.yaml",
        "extends: baseline.yaml\nchannels:\n  phone:\n    service_level_seconds: -2\n",
    )
    found = problems(child)
    assert [str(p).split(": ")[0] for p in found] == [
        f"{child}:4",
        f"{tmp_path / 'baseline.yaml'}:{line_of(parent_text, 'agents: 10')}",
    ]


def test_extends_relative_to_the_working_directory_for_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(GOOD)
    text = (GOOD / "split_child.yaml").read_text(encoding="utf-8")
    loaded = load_text(text, "from-string")
    assert loaded.files == (Path("from-string"), Path("split_base.yaml"))
    assert loaded.hash == load_scenario(MINIMAL).hash


# --------------------------------------------------------------------------- --set


def test_set_overrides_are_applied_and_recorded() -> None:
    sets = (
        "seed=11",
        "staffing.groups.0.schedule.agents=12",
        "channels.phone.patience_seconds=null",
        "calendar.warmup_hours=1.5",
        "description=第二件1元",
    )
    loaded = load_scenario(MINIMAL, sets)
    s = loaded.scenario
    assert s.seed == 11
    assert s.staffing.groups[0].schedule.agents == 12  # type: ignore[union-attr]
    assert s.channels["phone"].patience_seconds is None
    assert s.calendar.warmup_hours == 1.5
    assert s.description == "第二件1元"
    assert loaded.overrides == sets
    assert loaded.hash != load_scenario(MINIMAL).hash


def test_set_creates_missing_mappings_and_replaces_lists() -> None:
    hourly = ", ".join(["5"] * 24)
    loaded = load_scenario(
        GOOD / "split_child.yaml",
        (
            "calendar.days=2",  # no calendar in the files: created
            "arrivals.0.kind=profile",
            f"arrivals.0.contacts_per_hour=[{hourly}]",
        ),
    )
    assert loaded.scenario.calendar.days == 2
    assert loaded.scenario.arrivals[0].contacts_per_hour == [5.0] * 24


def test_set_value_is_validated() -> None:
    p = only_problem(MINIMAL, ("staffing.groups.0.schedule.agents=-1",))
    assert_at(p, "--set", None, "staffing.groups.0.schedule.agents", "greater than or equal")


def test_set_unknown_field() -> None:
    p = only_problem(MINIMAL, ("arrivals.0.contacts_per_hourr=3",))
    assert_at(p, "--set", None, "arrivals.0.contacts_per_hourr", "unknown field")


def test_set_problems_and_file_problems_come_together(tmp_path: Path) -> None:
    path, _ = variant(tmp_path, "agents: 3", "agents: many")
    found = problems(path, ("seed=-1",))
    assert [(p.file, p.path) for p in found] == [
        (path, "staffing.groups.0.schedule.agents"),
        ("--set", "seed"),
    ]


@pytest.mark.parametrize(
    ("override", "path", "word"),
    [
        ("staffing.groups.3.name=x", "staffing.groups.3.name", "out of range"),
        ("staffing.groups.x.name=x", "staffing.groups.x.name", "index"),
        ("seed.x=1", "seed.x", "inside seed"),
        ("name.0=1", "name.0", "text"),
    ],
)
def test_set_path_problems(override: str, path: str, word: str) -> None:
    assert_at(only_problem(MINIMAL, (override,)), "--set", None, path, word)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b.0.c=value", (["a", "b", 0, "c"], "value")),
        ("seed=7", (["seed"], 7)),
        ("channels.phone.patience_seconds=null", (["channels", "phone", "patience_seconds"], None)),
        ("arrivals.0.contacts_per_hour=[1,2,3]", (["arrivals", 0, "contacts_per_hour"], [1, 2, 3])),
        ("title=a=b", (["title"], "a=b")),
        ("name='007'", (["name"], "007")),
        ("x=", (["x"], None)),
        (" x.y = {a: 1} ", (["x", "y"], {"a": 1})),
    ],
)
def test_parse_override(text: str, expected: tuple[list[str | int], Any]) -> None:
    assert parse_override(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "seed",
        "=3",
        "a..b=1",
        ".a=1",
        "x=[1, 2",
        "x=!!python/name:os.system",
        "x={a: 1, a: 2}",
        "x=1\n---\n2",
    ],
)
def test_parse_override_rejects_malformed(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_override(text)
    assert all(p.file == "--set" and p.line is None for p in info.value.problems)
    with pytest.raises(ScenarioError):
        load_scenario(MINIMAL, (text,))


# --------------------------------------------------------------------------- hashing


def test_hash_ignores_comments_key_order_layout_and_stated_defaults() -> None:
    hashes = {
        load_scenario(GOOD / name).hash
        for name in ("minimal.yaml", "minimal_reordered.yaml", "split_child.yaml")
    }
    assert len(hashes) == 1


def test_hash_is_sha256_of_canonical_json() -> None:
    loaded = load_scenario(MINIMAL)
    canonical = json.dumps(
        loaded.scenario.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert loaded.hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert loaded.hash == config_hash(loaded.scenario)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("contacts_per_hour: 30", "contacts_per_hour: 30.5"),
        ("seed: 7", "seed: 8"),
        ("title: Minimal phone scenario", "title: Minimal phone scenario."),
        ("agents: 3", "agents: 4"),
        ("mean: 90}", "mean: 90.001}"),
    ],
)
def test_hash_changes_with_any_value(tmp_path: Path, old: str, new: str) -> None:
    path, _ = variant(tmp_path, old, new)
    assert load_scenario(path).hash != load_scenario(MINIMAL).hash


def test_hash_changes_with_an_override() -> None:
    assert load_scenario(MINIMAL, ("replications=3",)).hash != load_scenario(MINIMAL).hash
    # an override that restates the file's value changes nothing
    assert load_scenario(MINIMAL, ("seed=7",)).hash == load_scenario(MINIMAL).hash


@pytest.mark.parametrize(
    ("path", "overrides"),
    [
        (MINIMAL, ()),
        (GOOD / "campaign.yaml", ()),
        (MINIMAL, ("title='第二件1元: \"引号\" # not a comment'", "version=2026-11-r2", "seed=0")),
    ],
)
def test_resolved_yaml_round_trips(path: Path, overrides: tuple[str, ...]) -> None:
    loaded = load_scenario(path, overrides)
    text = resolved_yaml(loaded)
    first = text.splitlines()[0]
    assert first.startswith("# generated") and loaded.hash in first
    again = load_text(text, "resolved.yaml")
    assert again.hash == loaded.hash
    assert again.resolved == loaded.resolved
    # model field order is kept (a field added later is left out while at its default)
    fields = [f for f in Scenario.model_fields if f not in Scenario.unset_omitted]
    assert list(yaml.safe_load(text)) == fields


def test_loaded_scenario_is_frozen() -> None:
    loaded = load_scenario(MINIMAL)
    assert isinstance(loaded, LoadedScenario)
    with pytest.raises(AttributeError):
        loaded.hash = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- robustness


def _all_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _all_paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _all_paths(v, (*prefix, i))
    return out


MINIMAL_DATA: dict[str, Any] = yaml.safe_load(MINIMAL_TEXT)
MINIMAL_PATHS = [p for p in _all_paths(MINIMAL_DATA) if p]
FIELD_NAMES = sorted({str(p[-1]) for p in MINIMAL_PATHS if isinstance(p[-1], str)})

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["phone", "chat", "constant", "hourly", "poisson", "lognormal", "exponential"]),
    st.datetimes(),
)
names = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
keys = st.one_of(names, names, names, names, st.integers(), st.none(), st.booleans())
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
values = st.one_of(scalars, scalars, scalars, documents)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def near_valid(draw: st.DrawFn) -> str:
    data = copy.deepcopy(MINIMAL_DATA)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(MINIMAL_PATHS))
        parent: Any = data
        try:
            for seg in path[:-1]:
                parent = parent[seg]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(values)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(names)] = draw(values)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced the way there
    return _dump(data)


yaml_ish = st.text(alphabet=list("ab1.:-[]{}&*!|>'\"#\n ,?%@`~<=\t"), max_size=80)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents.map(_dump), near_valid(), st.text(max_size=200), yaml_ish))
def test_any_text_loads_or_raises_scenario_error(text: str) -> None:
    try:
        loaded = load_text(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.problems
        assert all(isinstance(p, Problem) and p.file == "fuzz.yaml" for p in exc.problems)
        assert not any("internal error" in p.message for p in exc.problems), str(exc)
        assert str(exc)
    else:
        assert loaded.hash == config_hash(loaded.scenario)
        assert load_text(resolved_yaml(loaded)).hash == loaded.hash


def test_set_values_are_yaml() -> None:
    p = only_problem(MINIMAL, ("description=[a, b]",))
    assert_at(p, "--set", None, "description", "string")
    loaded = load_scenario(MINIMAL, ("description=yes", "title='a: b # c'", "seed=1_000"))
    assert loaded.scenario.description == "yes"
    assert loaded.scenario.title == "a: b # c"
    assert loaded.scenario.seed == 1000


def test_yaml_1_2_scalars(tmp_path: Path) -> None:
    # yes/no/on/off are text and 10:30 is not the base-60 number 630: shift times and
    # names need no quotes. 1e1 is a number, but not a whole number of agents.
    path, _ = variant(
        tmp_path,
        "kind: constant\n        agents: 3",
        "kind: shifts\n"
        "        shifts:\n"
        "          - {start: 08:00, end: 16:30, agents: 10}\n"
        "          - {start: 16:30, end: 01:00, agents: 2}",
    )
    text = (
        Path(path)
        .read_text(encoding="utf-8")
        .replace("title: Minimal phone scenario", "title: yes")
    )
    loaded = load_scenario(write(tmp_path, "shifts.yaml", text))
    shifts = loaded.scenario.staffing.groups[0].schedule.shifts  # type: ignore[union-attr]
    assert [(x.start, x.end, x.agents) for x in shifts] == [
        ("08:00", "16:30", 10),
        ("16:30", "01:00", 2),
    ]
    assert loaded.scenario.title == "yes"
    assert load_text(resolved_yaml(loaded)).hash == loaded.hash
    with pytest.raises(ScenarioError, match="agents: Input should be a valid integer"):
        load_scenario(write(tmp_path, "float.yaml", text.replace("agents: 10", "agents: 1e1")))


@pytest.mark.parametrize(
    "value", ["yes", "off", "10:30", "1e3", "1_000", "0x1f", "null", "~", "2026-11-01", "=", "<<"]
)
def test_resolved_yaml_keeps_text_that_looks_like_other_types(value: str) -> None:
    loaded = load_scenario(
        MINIMAL, (f"version={json.dumps(value)}", f"description={json.dumps(value)}")
    )
    assert loaded.scenario.version == value
    again = load_text(resolved_yaml(loaded))
    assert again.scenario.version == value
    assert again.hash == loaded.hash
    assert yaml.safe_load(resolved_yaml(loaded))["version"] == value  # plain YAML 1.1 agrees
