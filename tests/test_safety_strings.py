r"""Strings from shared files reach YAML, HTML and terminals only as text.

Scenario files, run folders and shop exports are written by whoever can write to the
repository or folder they travel through. Their strings must not become YAML structure in
the fitted fragment (a reason value ``x\\neconomics: …`` would set the economics of every
scenario extending the fit), live links or styles in the fit report, or terminal control
sequences (OSC 52 clipboard writes, window titles, screen clears) and rich markup on the
console.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from sim import calibrate as cal
from sim.cli import app
from sim.experiment import event_log_of
from sim.loading import load_scenario, load_text
from sim.text import json_dumps, shown
from tests.conftest import tiny_scenario
from tests.test_calibrate import scenario_data

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # no table cell wraps, so markup can be looked for whole

ESCAPES = (
    "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: write the clipboard
    "\x1b]0;owned\x07"  # set the window title
    "\x1b[2J"  # clear the screen
    "\x9b31m"  # C1 CSI
    "\x85\u2028\u202e\x00\r"  # NEL, line separator, right-to-left override, NUL, CR
)
MARKUP = "[b]X[/b][link=https://evil.example]L[/link]"
HOSTILE = f"{MARKUP} {ESCAPES} end"
"""Planted in every field a command prints."""
NAME_MARKUP = "[bold red]X[link=https:evil.example]"
"""Markup a file name can hold (no slash)."""


def assert_clean(*texts: str) -> None:
    """No control character but newline and tab, nothing that is not printable."""
    for text in texts:
        bad = sorted({c for c in text if c not in "\n\t" and not c.isprintable()})
        assert not bad, f"unsafe characters {bad!r} reach the terminal in:\n{text!r}"


def assert_shown(result: Result, *literals: str) -> None:
    """Clean output on both streams, and the planted rich markup shown as typed."""
    assert "Traceback" not in result.output, result.output
    assert_clean(result.stdout, result.stderr)
    for literal in literals or (MARKUP,):
        assert literal in result.output, result.output


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), env=WIDE)


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def hostile_scenario(tmp_path: Path) -> Path:
    data = tiny_scenario(title=HOSTILE, version=HOSTILE, description=HOSTILE, replications=1)
    return write(tmp_path / "tiny.yaml", data)


def hostile_dir(parent: Path, name: str = "out") -> Path:
    """A folder name holding escapes and markup (any file name may, on Linux)."""
    return parent / f"{name} {NAME_MARKUP} \x1b]0;t\x07\x1b[2J"


# --------------------------------------------------------------------------- the one rule


def test_shown_escapes_every_unsafe_character_and_keeps_the_rest() -> None:
    assert shown("chat 退差价 [b]x[/b]") == "chat 退差价 [b]x[/b]"
    assert shown(ESCAPES) == (
        "\\x1b]52;c;cHduZWQ=\\x07\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x85\\u2028\\u202e\\x00\\r"
    )
    assert shown("a\nb\x1b", lines=True) == "a\nb\\x1b"
    assert shown(shown(HOSTILE)) == shown(HOSTILE)
    value = {"title": HOSTILE, "k": ["\x1b", "\U000e0001"]}
    text = json_dumps(value, indent=2)
    assert_clean(text)
    assert json.loads(text) == value


# --------------------------------------------------------------------------- terminals


def test_run_prints_title_escaped_and_markup_as_typed(
    hostile_scenario: Path, tmp_path: Path
) -> None:
    result = invoke("run", str(hostile_scenario), "--out", str(hostile_dir(tmp_path)))
    assert result.exit_code == 0, result.output
    assert_shown(result, MARKUP, NAME_MARKUP)
    assert "\\x1b]52;c;cHduZWQ=\\x07" in result.stdout  # the title, visible as text


def _planted_run(root: Path) -> Path:
    folder = root / "tiny" / f"20260101-000000-{NAME_MARKUP}\x1b]0;t\x07"
    folder.mkdir(parents=True)
    manifest = {
        "tool": "promosim",
        "name": HOSTILE,
        "title": HOSTILE,
        "version": HOSTILE,
        "config_hash": "\x1b[2J" + "0" * 60,
        "created_at": "2026-01-01T00:00:00+00:00\x1b]0;x\x07",
        "command": [HOSTILE],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    summary = {"metrics": {"contacts": {"mean": 1.0}}}
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


def test_runs_and_show_print_planted_manifest_fields_escaped(tmp_path: Path) -> None:
    folder = _planted_run(tmp_path / "outputs")
    result = invoke("runs", "--root", str(tmp_path / "outputs"))
    assert result.exit_code == 0, result.output
    assert_shown(result, MARKUP, NAME_MARKUP)
    readable = invoke("show", str(folder))
    assert readable.exit_code == 0, readable.output
    assert_shown(readable)
    shown_json = invoke("show", str(folder), "--json")
    assert shown_json.exit_code == 0, shown_json.output
    assert_shown(shown_json)
    info = json.loads(shown_json.stdout)  # still JSON, with the planted values unchanged
    assert info["version"] == HOSTILE and info["folder"] == str(folder)


def test_diff_in_every_format_prints_values_escaped(hostile_scenario: Path, tmp_path: Path) -> None:
    other = write(tmp_path / "other.yaml", tiny_scenario())
    for fmt in ("table", "markdown", "json"):
        result = invoke("diff", str(other), str(hostile_scenario), "--format", fmt)
        assert result.exit_code == 1, result.output
        assert_shown(result)
        if fmt == "json":
            rows = {r["path"]: r for r in json.loads(result.stdout)}
            assert rows["title"]["b"] == HOSTILE


def test_validate_and_migrate_print_file_names_escaped(tmp_path: Path) -> None:
    good = write(hostile_dir(tmp_path, "good"), tiny_scenario())
    bad = write(hostile_dir(tmp_path, "bad"), {**tiny_scenario(), HOSTILE: 1})
    result = invoke("validate", str(good), str(bad))
    assert result.exit_code == 2
    assert_shown(result, NAME_MARKUP)
    migrated = invoke("migrate", "--check", str(good))
    assert_shown(migrated, NAME_MARKUP)


def test_compare_sweep_staff_print_paths_and_values_escaped(
    hostile_scenario: Path, tmp_path: Path
) -> None:
    other = write(tmp_path / "other.yaml", tiny_scenario(name="other", replications=1))
    common = ("--workers", "1")
    result = invoke(
        "compare",
        str(hostile_scenario),
        str(other),
        "--out",
        str(hostile_dir(tmp_path, "c")),
        *common,
    )
    assert result.exit_code == 0, result.output
    assert_shown(result, NAME_MARKUP)
    result = invoke(
        "sweep",
        str(hostile_scenario),
        "--vary",
        f"description='{MARKUP}',\"\\e]0;t\\a\"",  # YAML's escapes for ESC and BEL
        "--one-at-a-time",
        "--metric",
        "phone.service_level",
        "--out",
        str(hostile_dir(tmp_path, "s")),
        *common,
    )
    assert result.exit_code == 0, result.output
    assert_shown(result, MARKUP, NAME_MARKUP)  # the tornado's values
    result = invoke(
        "staff",
        str(hostile_scenario),
        "--target",
        "phone.service_level>=0.5",
        "--overall",
        "--out",
        str(hostile_dir(tmp_path, "f")),
        *common,
    )
    assert result.exit_code == 0, result.output
    assert_shown(result, NAME_MARKUP)
    bad_target = invoke("staff", str(hostile_scenario), "--target", HOSTILE)
    assert bad_target.exit_code == 2
    assert_clean(bad_target.stdout, bad_target.stderr)


def test_report_and_init_print_paths_escaped(hostile_scenario: Path, tmp_path: Path) -> None:
    run = hostile_dir(tmp_path, "run")
    assert invoke("run", str(hostile_scenario), "--out", str(run), "--quiet").exit_code == 0
    result = invoke("report", str(run), "--out", str(hostile_dir(tmp_path, "page")) + ".html")
    assert result.exit_code == 0, result.output
    assert_shown(result, NAME_MARKUP)
    missing = invoke("report", str(hostile_dir(tmp_path, "nowhere")))
    assert missing.exit_code == 2
    assert_shown(missing, NAME_MARKUP)
    folder = hostile_dir(tmp_path, "init")
    folder.mkdir()
    made = invoke("init", "new-campaign", "--from", "baseline", "--dir", str(folder))
    assert made.exit_code == 0, made.output
    assert_shown(made, NAME_MARKUP)
    bad_name = invoke("init", HOSTILE, "--from", "baseline", "--dir", str(folder))
    assert bad_name.exit_code == 2
    assert_shown(bad_name)


# --------------------------------------------------------------------------- calibrate


INJECTION = "zz\neconomics: {value_of_bad_review_yuan: 0}\n#"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """orders.csv and contacts.csv of a week of a small shop (two reasons, two channels)."""
    d = scenario_data()
    d["calendar"]["days"] = 7
    d["orders"]["per_day"] = 300
    log = event_log_of(load_text(yaml.safe_dump(d)).scenario)
    root = tmp_path_factory.mktemp("exports")
    (root / "orders.csv").write_text(log.orders_csv, encoding="utf-8")
    (root / "contacts.csv").write_text(log.contacts_csv, encoding="utf-8")
    return root


def _replace_column(contacts: str, column: str, old: str, new: str, every: int = 3) -> str:
    """Every ``every``-th row's ``column`` value ``old`` replaced by ``new`` (CSV-quoted)."""
    lines = contacts.splitlines()
    index = lines[0].split(",").index(column)
    out, seen = [lines[0]], 0
    for line in lines[1:]:
        cells = line.split(",")
        if cells[index] == old:
            seen += 1
            if seen % every == 0:
                cells[index] = '"' + new.replace('"', '""') + '"'
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def _calibrate(root: Path, contacts: str, out: Path, *extra: str) -> Result:
    (root / "hostile.csv").write_text(contacts, encoding="utf-8")
    args = ["--orders", str(root / "orders.csv"), "--contacts", str(root / "hostile.csv")]
    return invoke("calibrate", *args, "--out", str(out), *extra)


def _child(folder: Path, fragment: str, channels: tuple[str, str] = ("phone", "chat")) -> Any:
    """A scenario extending ``fragment`` that adds what exports cannot know."""
    child = copy.deepcopy(scenario_data())
    for key in ("orders", "contact_reasons", "fulfilment", "journey"):
        del child[key]
    child["channels"] = {
        c: {"service_level_seconds": 20, "handle_time_seconds": {"dist": "exponential", "mean": 1}}
        for c in channels
    }
    child["staffing"]["groups"][0]["channels"] = list(channels)
    child["extends"] = fragment
    return load_scenario(write(folder / f"child-{fragment}", child)).scenario


@pytest.mark.parametrize(
    ("column", "old", "value"),
    [
        ("reason", "wismo", INJECTION),
        ("channel", "chat", "chat\neconomics: {value_of_bad_review_yuan: 0}\n#"),
        ("reason", "returns", "退差价"),
        ("reason", "returns", "<a href='https://evil.example'>x</a>"),
        ("channel", "phone", "all"),
    ],
)
def test_calibrate_refuses_export_values_that_are_not_names(
    exports: Path, tmp_path: Path, column: str, old: str, value: str
) -> None:
    contacts = (exports / "contacts.csv").read_text(encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    result = _calibrate(exports, _replace_column(contacts, column, old, value), out)
    assert result.exit_code == 2, result.output
    assert not out.exists() and not (tmp_path / "fitted.report.html").exists()
    problems = result.stderr.splitlines()
    assert len(problems) == 1, result.stderr  # one line per distinct value, not per row
    assert re.match(rf"\S*hostile\.csv:\d+: {column}: ['\"]", problems[0]), problems[0]
    assert "--map-file" in problems[0] and re.search(r"and \d+ more rows\)$", problems[0])
    assert_clean(result.stderr)


def test_calibrate_refuses_a_mapping_to_a_value_that_is_not_a_name(
    exports: Path, tmp_path: Path
) -> None:
    contacts = (exports / "contacts.csv").read_text(encoding="utf-8")
    mapping = write(tmp_path / "map.yaml", {"reasons": {"wismo": INJECTION}})
    result = _calibrate(exports, contacts, tmp_path / "f.yaml", "--map-file", str(mapping))
    assert result.exit_code == 2, result.output
    assert "(mapped from 'wismo')" in result.stderr
    assert_clean(result.stderr)
    assert not (tmp_path / "f.yaml").exists()


def test_names_that_look_like_other_yaml_round_trip_into_a_scenario(
    exports: Path, tmp_path: Path
) -> None:
    """``true``, ``null``, ``on`` and ``no`` are names: they stay names in the fragment."""
    contacts = (exports / "contacts.csv").read_text(encoding="utf-8")
    mapping = {
        "reasons": {"wismo": "true", "returns": "null"},
        "channels": {"chat": "on", "phone": "no"},
    }
    map_file = write(tmp_path / "map.yaml", mapping)
    out = tmp_path / "fitted.yaml"
    result = _calibrate(exports, contacts, out, "--map-file", str(map_file))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert [r["name"] for r in data["contact_reasons"]] == ["null", "true"]
    assert set(data["channels"]) == {"no", "on"}
    s = _child(tmp_path, out.name, ("no", "on"))
    assert {r.name for r in s.contact_reasons} == {"null", "true"}
    assert all(set(r.channel_mix or {}) <= {"no", "on"} for r in s.contact_reasons)
    assert s.channels["on"].patience_seconds is not None


def _fit(exports: Path) -> cal.Fit:
    return cal.fit(cal.load_exports(exports / "orders.csv", exports / "contacts.csv"))


def _renamed(f: cal.Fit, reason: str, channel: str) -> cal.Fit:
    """The fit with its first reason and the chat channel renamed, past the name check."""
    first = f.reasons[0]
    mixed = {channel if c == "chat" else c: e for c, e in first.channel_mix.items()}
    reasons = [dataclasses.replace(first, name=reason, channel_mix=mixed), *f.reasons[1:]]
    handle = {channel if c == "chat" else c: h for c, h in f.handle.items()}
    patience = {channel if c == "chat" else c: p for c, p in f.patience.items()}
    notes = [*f.notes, f"reason {reason}: planted"]
    return dataclasses.replace(f, reasons=reasons, handle=handle, patience=patience, notes=notes)


def test_the_fragment_writes_any_name_as_text_and_reads_back_as_the_fit(
    exports: Path, tmp_path: Path
) -> None:
    """Past the export check too, strings are YAML scalars and comments stay comments."""
    clean = _fit(exports)
    hostile = _renamed(clean, INJECTION, "chat\x85economics: {x: 1}\u2028#")
    text = cal.fragment_yaml(hostile, source=f"orders.csv\n{INJECTION}")
    data = yaml.safe_load(text)
    sections = {"orders", "fulfilment", "contact_reasons", "channels", "journey", "satisfaction"}
    assert set(data) == sections  # no "economics", nor anything else a value planted
    assert data["contact_reasons"][0]["name"] == INJECTION
    assert data == cal.fragment_data(hostile)
    for line in text.splitlines():  # every comment line is whole
        assert line.isprintable(), line
    # the clean fit's fragment is read by the scenario loader as the same numbers
    (tmp_path / "clean.yaml").write_text(cal.fragment_yaml(clean), encoding="utf-8")
    s = _child(tmp_path, "clean.yaml")
    assert s.orders is not None
    assert s.orders.per_day == cal.fragment_data(clean)["orders"]["per_day"]


def test_the_fragment_is_checked_against_the_fit_before_it_is_written(
    exports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that forgets the emitter is caught: an internal error, nothing returned."""
    hostile = _renamed(_fit(exports), INJECTION, "chat")
    monkeypatch.setattr(cal, "_str", lambda s: s)
    with pytest.raises(RuntimeError, match="does not read back"):
        cal.fragment_yaml(hostile)


def test_the_fit_report_shows_export_strings_as_text(exports: Path) -> None:
    from sim.report import build_calibration_report

    link = "<a href='https://evil.example/x'>click</a>"
    style = '<span style="font-size:90px">big</span>'
    hostile = _renamed(_fit(exports), f"<b>{link}</b>", style)
    page = build_calibration_report(hostile, "en")
    # the figures' JSON escapes < as \u003c: read it as plotly.js will
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), page)
    for planted in (link, style, "<b><a"):
        assert planted not in decoded
    assert "&lt;a href='https://evil.example/x'&gt;" in decoded  # shown as typed in a title
    assert "&lt;span style=" in decoded
