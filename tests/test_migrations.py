"""schema_version and migrations: v0 files load with a notice, run, and `promosim migrate`."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim import migrations
from sim.cli import app
from sim.config import SCHEMA_VERSION, Scenario
from sim.experiment import run_scenario
from sim.loading import Problem, ScenarioError, is_platform_pack, load_scenario, migrate_file
from sim.migrations import Change, Conflict, VersionError, file_version, rename_key, upgrade
from sim.outputs import OutputError, replace_file
from tests.conftest import CONFIGS

runner = CliRunner()

V0 = """\
# A pre-release scenario, written before the names were settled.
schema_version: 0                 # the draft format
name: tiny-v0
calendar: {days: 0.25, interval_minutes: 30}
seed: 7
replications: 2
arrivals:
  - {kind: poisson, channel: phone, contacts_per_hour: 30}
orders:
  per_day: 400
  arrival_overdispersion: 20      # day-to-day noise
channels:
  phone:
    handle_time_seconds: {dist: exponential, mean: 300}
    patience_seconds: {dist: exponential, mean: 120}
    concurrency_cap: 1            # one call at a time
  chat:
    handle_time_seconds: {dist: exponential, mean: 240}
    concurrency_cap: 3            # three chats at once
staffing:
  groups:
    - name: agents
      channels: [phone, chat]
      schedule: {kind: constant, agents: 3}   # a small team
"""

V1 = (
    V0.replace("schema_version: 0", "schema_version: 1")
    .replace("arrival_overdispersion", "overdispersion_shape")
    .replace("concurrency_cap", "concurrency")
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


# --------------------------------------------------------------------------- the must-show


def test_a_v0_file_loads_with_a_notice_and_runs(tmp_path: Path) -> None:
    path = write(tmp_path / "old.yaml", V0)
    loaded = load_scenario(path)

    assert loaded.notices[0].startswith(f"{path}:{line_of(V0, 'schema_version')}: schema_version")
    assert "0 is an older file format, upgraded to 1" in loaded.notices[0]
    assert f"promosim migrate {path}" in loaded.notices[0]
    assert loaded.notices[1:] == (
        f"{path}:{line_of(V0, 'arrival_overdispersion')}: orders.arrival_overdispersion: "
        "renamed to overdispersion_shape",
        f"{path}:{line_of(V0, 'concurrency_cap')}: channels.phone.concurrency_cap: "
        "renamed to concurrency",
        f"{path}:{line_of(V0, 'concurrency_cap', 2)}: channels.chat.concurrency_cap: "
        "renamed to concurrency",
    )
    assert loaded.scenario.channels["chat"].concurrency == 3
    assert loaded.scenario.orders is not None
    assert loaded.scenario.orders.overdispersion_shape == 20
    assert loaded.hash == load_scenario(write(tmp_path / "new.yaml", V1)).hash

    result = run_scenario(load_scenario(path, ["replications=1"]).scenario)
    assert result.summary["phone.offered"]["mean"] > 0


def test_migrate_rewrites_the_file_keeping_its_comments(tmp_path: Path) -> None:
    path = write(tmp_path / "old.yaml", V0)
    before = load_scenario(path)

    check = runner.invoke(app, ["migrate", "--check", str(path)])
    assert check.exit_code == 1, check.output
    assert "needs upgrading from schema_version 0 to 1" in check.stdout
    assert path.read_text(encoding="utf-8") == V0  # --check writes nothing

    done = runner.invoke(app, ["migrate", str(path)])
    assert done.exit_code == 0, done.output
    assert "upgraded from schema_version 0 to 1" in done.stdout
    assert "channels.chat.concurrency_cap: renamed to concurrency" in done.stdout
    text = path.read_text(encoding="utf-8")
    # the renamed keys and the version are the only edits: comments, order, flow style and
    # spacing stay as written
    assert text == V1
    assert comments(text) == comments(V0)

    after = load_scenario(path)
    assert after.notices == ()
    assert after.hash == before.hash
    again = runner.invoke(app, ["migrate", "--check", str(path)])
    assert again.exit_code == 0, again.output
    assert "schema_version 1 is current" in again.stdout


def test_the_cli_prints_notices_to_stderr(tmp_path: Path) -> None:
    path = write(tmp_path / "old.yaml", V0)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: ok" in result.stdout
    assert "notice:" not in result.stdout
    assert f"notice: {path}:2: schema_version: 0 is an older file format" in result.stderr
    assert "channels.phone.concurrency_cap: renamed to concurrency" in result.stderr


# --------------------------------------------------------------------------- extends


def test_a_v0_parent_is_upgraded_through_extends(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.yaml", V0)
    child_text = "# a campaign on the old parent\nname: child\nextends: parent.yaml\nseed: 9\n"
    child = write(tmp_path / "child.yaml", child_text)
    write(tmp_path / "parent1.yaml", V1)
    child1 = write(tmp_path / "child1.yaml", child_text.replace("parent.yaml", "parent1.yaml"))

    loaded = load_scenario(child)
    assert loaded.hash == load_scenario(child1).hash
    assert loaded.notices, "the parent's upgrade must be told"
    assert all(n.startswith(f"{parent}:") for n in loaded.notices)
    assert loaded.scenario.schema_version == SCHEMA_VERSION


def test_a_v0_child_renames_its_own_partial_fields(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", V1)
    child = write(
        tmp_path / "child.yaml",
        "schema_version: 0\nextends: parent.yaml\nchannels:\n  chat:\n    concurrency_cap: 5\n",
    )
    loaded = load_scenario(child)
    assert loaded.scenario.channels["chat"].concurrency == 5
    assert loaded.scenario.channels["phone"].concurrency == 1
    assert loaded.notices[1] == f"{child}:5: channels.chat.concurrency_cap: renamed to concurrency"


def test_errors_after_a_migration_point_into_the_file_as_written(tmp_path: Path) -> None:
    bad = V0.replace("concurrency_cap: 3 ", "concurrency_cap: 50")
    parent = write(tmp_path / "parent.yaml", bad)
    child = write(tmp_path / "child.yaml", "extends: parent.yaml\nreplications: 0\n")
    found = [str(p) for p in problems_of(child)]
    assert len(found) == 2, found
    assert found[0].startswith(f"{child}:2: replications: ")
    line = line_of(bad, "concurrency_cap", 2)
    assert found[1].startswith(f"{parent}:{line}: channels.chat.concurrency: "), found


# --------------------------------------------------------------------------- bad versions


@pytest.mark.parametrize(
    ("version", "words"),
    [
        ("2", "2 is newer than this promosim supports"),
        ("99", "upgrade promosim"),
        ("-1", "unknown version -1"),
        ("one", "must be a whole number"),
        ("true", "must be a whole number"),
        ("1.0", "must be a whole number"),
    ],
)
def test_an_unreadable_version_is_a_located_error(tmp_path: Path, version: str, words: str) -> None:
    text = V1.replace("schema_version: 1", f"schema_version: {version}")
    path = write(tmp_path / "s.yaml", text)
    (problem,) = problems_of(path)
    assert str(problem).startswith(f"{path}:2: schema_version: "), problem
    assert words in problem.message

    for args in (
        ["validate", str(path)],
        ["migrate", str(path)],
        ["migrate", "--check", str(path)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert f"{path}:2: schema_version: " in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_problems_of_every_file_come_at_once(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", V1.replace("schema_version: 1", "schema_version: 7"))
    child = write(tmp_path / "child.yaml", "schema_version: 3\nextends: parent.yaml\n")
    found = [str(p) for p in problems_of(child)]
    assert [f.split(": ", 2)[:2] for f in found] == [
        [f"{child}:1", "schema_version"],
        [f"{tmp_path / 'parent.yaml'}:2", "schema_version"],
    ]


def test_a_missing_version_means_the_current_format(tmp_path: Path) -> None:
    text = V1.replace("schema_version: 1                 # the draft format\n", "")
    assert "schema_version" not in text
    path = write(tmp_path / "s.yaml", text)
    loaded = load_scenario(path)
    assert loaded.notices == ()
    assert loaded.hash == load_scenario(write(tmp_path / "v1.yaml", V1)).hash
    result = runner.invoke(app, ["migrate", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == text


def test_old_and_new_name_together_is_a_conflict(tmp_path: Path) -> None:
    text = V0.replace("concurrency_cap: 1 ", "concurrency: 1\n    concurrency_cap: 1 ")
    path = write(tmp_path / "s.yaml", text)
    (problem,) = problems_of(path)
    line = line_of(text, "concurrency_cap")
    assert str(problem).startswith(f"{path}:{line}: channels.phone.concurrency_cap: ")
    assert "keep only 'concurrency'" in problem.message
    result = runner.invoke(app, ["migrate", str(path)])
    assert result.exit_code == 2
    assert path.read_text(encoding="utf-8") == text


def test_migrate_reports_unreadable_files(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.yaml", "schema_version: 0\nname: [unclosed\n")
    missing = tmp_path / "missing.yaml"
    good = write(tmp_path / "good.yaml", V0)
    result = runner.invoke(app, ["migrate", str(broken), str(missing), str(good)])
    assert result.exit_code == 2
    assert f"{broken}:" in result.stderr and "invalid YAML" in result.stderr
    assert f"{missing}: file not found" in result.stderr
    assert "Traceback" not in result.output
    # the good file is still upgraded: every file gets its own verdict
    assert good.read_text(encoding="utf-8") == V1


def test_the_bundled_scenarios_are_current() -> None:
    files = [str(p) for p in sorted(CONFIGS.rglob("*.yaml"))]
    packs = [f for f in files if is_platform_pack(f)]
    assert packs  # the bundled packs are among them, and are not scenarios to migrate
    result = runner.invoke(app, ["migrate", "--check", *files])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("is current") == len(files) - len(packs)
    assert result.stdout.count("a platform rule pack, nothing to migrate") == len(packs)


# --------------------------------------------------------------------------- rewriting


def test_keys_written_in_flow_style_or_quoted_are_renamed_in_place(tmp_path: Path) -> None:
    text = V0.replace("    concurrency_cap: 1 ", '    "concurrency_cap": 1 ').replace(
        "handle_time_seconds: {dist: exponential, mean: 240}\n    concurrency_cap: 3",
        "{handle_time_seconds: {dist: exponential, mean: 240}, 'concurrency_cap': 3}",
    )
    text = text.replace("  chat:\n    {", "  chat: {")
    path = write(tmp_path / "s.yaml", text)
    done = migrate_file(path)
    assert done.migrated == (
        text.replace("schema_version: 0", "schema_version: 1")
        .replace("arrival_overdispersion", "overdispersion_shape")
        .replace("concurrency_cap", "concurrency")
    )


def test_an_oddly_written_key_falls_back_to_round_trip_output(tmp_path: Path) -> None:
    # an escape in a quoted key: the text holds no "concurrency_cap" to replace
    text = V0.replace("    concurrency_cap: 1 ", '    "concurrency\\x5fcap": 1 ')
    path = write(tmp_path / "s.yaml", text)
    done = migrate_file(path)
    assert done.migrated != text
    assert comments(done.migrated) == comments(V0)
    after = write(tmp_path / "after.yaml", done.migrated)
    assert load_scenario(after).notices == ()
    assert load_scenario(after).hash == load_scenario(path).hash


def test_replace_file_is_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "old\n")
    os.chmod(path, 0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(path.name)
    replace_file(link, "new\n")
    assert link.is_symlink()
    assert path.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(OutputError, match="cannot replace it"):
        replace_file(tmp_path / "absent.yaml", "x")


# --------------------------------------------------------------------------- the framework


def test_migrations_form_a_chain_to_the_current_version() -> None:
    assert migrations.CURRENT == SCHEMA_VERSION
    assert Scenario.model_fields["schema_version"].default == SCHEMA_VERSION
    assert [m.source for m in migrations.MIGRATIONS] == list(
        range(migrations.OLDEST, migrations.CURRENT)
    )


def test_upgrade_is_a_pure_edit_of_a_plain_mapping() -> None:
    doc: dict[str, Any] = {
        "schema_version": 0,
        "name": "x",
        "channels": {"chat": {"handle_time_seconds": 1, "concurrency_cap": 3, "z": 1}},
        "orders": {"per_day": 1, "arrival_overdispersion": 20},
    }
    done = upgrade(doc)
    assert done.needed and done.source == 0 and done.conflicts == ()
    assert doc == {
        "schema_version": 1,
        "name": "x",
        "channels": {"chat": {"handle_time_seconds": 1, "concurrency": 3, "z": 1}},
        "orders": {"per_day": 1, "overdispersion_shape": 20},
    }
    assert list(doc["channels"]["chat"]) == ["handle_time_seconds", "concurrency", "z"]
    assert done.changes == (
        Change(
            ("channels", "chat", "concurrency_cap"),
            ("channels", "chat", "concurrency"),
            "renamed to concurrency",
        ),
        Change(
            ("orders", "arrival_overdispersion"),
            ("orders", "overdispersion_shape"),
            "renamed to overdispersion_shape",
        ),
    )
    current = {"schema_version": 1, "channels": {"chat": {"concurrency_cap": 3}}}
    assert not upgrade(current).needed
    assert current["channels"] == {"chat": {"concurrency_cap": 3}}  # v1 files are not touched


def test_upgrade_leaves_what_it_does_not_understand_to_validation() -> None:
    doc: dict[str, Any] = {"schema_version": 0, "channels": ["chat"], "orders": None}
    assert upgrade(doc).changes == ()
    assert doc == {"schema_version": 1, "channels": ["chat"], "orders": None}


def test_a_conflict_stops_the_upgrade() -> None:
    doc: dict[str, Any] = {"schema_version": 0, "orders": {"arrival_overdispersion": 1}}
    doc["orders"]["overdispersion_shape"] = 2
    done = upgrade(doc)
    assert done.conflicts == (
        Conflict(
            ("orders", "arrival_overdispersion"),
            "the old name of 'overdispersion_shape', which is given too; "
            "keep only 'overdispersion_shape'",
        ),
    )
    assert doc["schema_version"] == 0


def test_file_version() -> None:
    assert file_version({}) == SCHEMA_VERSION
    assert file_version({"schema_version": 0}) == 0
    for bad in (2, -1, "1", True, 1.0, None):
        with pytest.raises(VersionError):
            file_version({"schema_version": bad})


def test_rename_key_keeps_the_position() -> None:
    m = {"a": 1, "b": 2, "c": 3}
    rename_key(m, "b", "x")
    assert list(m.items()) == [("a", 1), ("x", 2), ("c", 3)]


def test_a_version_written_oddly_is_still_upgraded(tmp_path: Path) -> None:
    # ``00`` is 0; splicing "1" over its first digit would make it 10
    text = V0.replace("schema_version: 0 ", "schema_version: 00")
    path = write(tmp_path / "s.yaml", text)
    done = migrate_file(path)
    after = write(tmp_path / "after.yaml", done.migrated)
    assert load_scenario(after).notices == ()
    assert comments(done.migrated) == comments(V0)
