"""Fuzzing the command line: any input file gives a valid run or exit 2.

Hypothesis writes arbitrary bytes, text, random YAML documents and near-valid mutations of
the bundled scenarios (deleted keys, wrong types, negative, huge and non-finite numbers,
unknown keys, bad dates, bad ``extends`` paths and cycles, object-constructing tags, alias
bombs) and feeds them to ``promosim validate`` and, for small scenarios, ``promosim run``
through typer's CliRunner, in this process. The only outcomes allowed are exit 0, or exit
2 with every line of stderr in ``file[:line]: [field: ]message`` form; never a traceback,
another exit code, an internal error or a hang.

Hostile strings (terminal escapes, newlines, YAML-looking values, rich markup, HTML) go into
every field that is printed or written (title, version, description, names, reasons,
channels, groups, ``--set`` values, the export columns ``calibrate`` reads): nothing but
printable characters, newlines and tabs may reach the terminal, and a fitted fragment holds
only the sections a fit writes.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import re
import shutil
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from sim import calibrate as cal
from sim.cli import app
from sim.experiment import event_log_of
from sim.loading import load_text
from tests.conftest import CONFIGS
from tests.test_calibrate import scenario_data

runner = CliRunner()

BASELINE: dict[str, Any] = yaml.safe_load((CONFIGS / "baseline.yaml").read_text("utf-8"))
MINIMAL_FILE = Path(__file__).parent / "data" / "good" / "minimal.yaml"
MINIMAL: dict[str, Any] = yaml.safe_load(MINIMAL_FILE.read_text("utf-8"))

PYTAG = "__python_tag__"
"""Replaced in the dumped text by a tag that would run a shell command if constructed."""


# --------------------------------------------------------------------------- strategies


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _names(data: dict[str, Any]) -> list[str]:
    return sorted({str(p[-1]) for p in _paths(data) if p and isinstance(p[-1], str)})


HOSTILE = [
    "\x1b]52;c;cHduZWQ=\x07",  # OSC 52: write the clipboard
    "\x1b]0;title\x07",  # set the window title
    "\x1b[2J\x1b[H",  # clear the screen
    "\x9b31m\x85\u2028\u202e\r\x00",  # C1 CSI, NEL, line separator, RTL override, CR, NUL
    "a\nb: 1",
    "zz\neconomics: {value_of_bad_review_yuan: 0}\n#",
    "{x: 1}",
    "&a",
    "*a",
    "!!python/object/apply:os.system ['touch {marker}']",
    "[bold red]red[/]",
    "[link=https://evil.example]link[/link]",
    "<a href='https://evil.example'>x</a>",
    '<span style="font-size:90px">big</span>',
    "yes",
    "null",
    "1e3",
    "~",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=3).map("".join),
    st.text(st.characters(max_codepoint=0x2030), max_size=12),
)
"""Strings that would act if shown or written raw."""

nasty_numbers = st.sampled_from(
    [-1, -0.0, 0, -(10**40), 10**40, 1e308, -1e308, 5e-324, 2**63, 10**9 + 1]
)
nonfinite_text = st.sampled_from([".nan", ".inf", "-.inf", "nan", "inf", "-inf", "Infinity"])
bad_dates = st.sampled_from(
    ["2026-13-45T00:00:00", "2026-02-30", "yesterday", "20261301", "0000-00-00", "9999-99-99"]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    nasty_numbers,
    nonfinite_text,
    bad_dates,
    st.datetimes(),
    st.just(PYTAG),
    st.sampled_from(["phone", "chat", "constant", "hourly", "poisson", "lognormal"]),
    hostile_text,
)


def documents(names: list[str]) -> st.SearchStrategy[Any]:
    keys = st.one_of(
        st.sampled_from(names), st.text(max_size=8), st.integers(), st.booleans(), hostile_text
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=20,
    )


def mutated(
    base: dict[str, Any], values: st.SearchStrategy[Any], most: int = 4
) -> st.SearchStrategy[Any]:
    """``base`` with one to ``most`` random edits: replaced, deleted or added fields."""
    paths = [p for p in _paths(base) if p]
    names = _names(base)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        data = copy.deepcopy(base)
        for _ in range(draw(st.integers(min_value=1, max_value=most))):
            path = draw(st.sampled_from(paths))
            parent: Any = data
            try:
                for seg in path[:-1]:
                    parent = parent[seg]
                action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
                if action == "replace":
                    parent[path[-1]] = draw(values)
                elif action == "delete":
                    del parent[path[-1]]
                elif isinstance(parent, dict):
                    parent[draw(st.sampled_from(names) | st.text(max_size=8))] = draw(values)
            except (KeyError, IndexError, TypeError):
                pass  # an earlier edit removed or replaced the way there
        return data

    return build()


EXTENDS = [
    *("self", "cycle", "missing", "directory", "binary", "absolute", "empty", "none"),
    *("fifo", "device"),  # reading either would wait forever (or read without end)
]


def billion_laughs(levels: int, fanout: int) -> str:
    """An alias bomb: ``fanout ** levels`` values from a few lines, under a real field."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join(f"*a{i - 1}" for _ in range(fanout))
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"description: *a{levels}")
    return "\n".join(lines) + "\n"


@st.composite
def scenario_files(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """What to write: the main file's bytes, and how its ``extends`` (if any) is set up."""
    kind = draw(
        st.sampled_from(["bytes", "text", "document", "mutated", "mutated", "mutated", "bomb"])
    )
    extends = draw(st.sampled_from(EXTENDS))
    if kind == "bytes":
        return {"data": draw(st.binary(max_size=300)), "extends": "none"}
    if kind == "text":
        text = draw(st.text(max_size=300))
        return {"data": text.encode("utf-8", "surrogatepass"), "extends": "none"}
    if kind == "document":
        doc = draw(documents(_names(base)))
    else:
        doc = draw(mutated(base, scalars | documents(_names(base))))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    text = text.replace(PYTAG, '!!python/object/apply:os.system ["touch {marker}"]')
    if kind == "bomb":
        text += billion_laughs(draw(st.integers(4, 12)), draw(st.integers(5, 12)))
    if extends != "none" and isinstance(doc, dict):
        text = f"extends: {{extends}}\n{text}"
    return {"data": text.encode("utf-8", "surrogatepass"), "extends": extends}


# --------------------------------------------------------------------------- harness


class Hang(Exception):
    """An example ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def alarm(_signum: int, _frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def write_example(folder: Path, example: dict[str, Any]) -> Path:
    """Write the example's files into ``folder`` (emptied first); return the main file."""
    for p in folder.iterdir():
        if p.is_dir():
            p.rmdir()
        else:
            p.unlink()
    main = folder / "scenario.yaml"
    marker = folder / "PWNED"
    data: bytes = example["data"]
    target = {
        "self": "scenario.yaml",
        "cycle": "parent.yaml",
        "missing": "nowhere/parent.yaml",
        "directory": "sub",
        "binary": "parent.yaml",
        "absolute": str(MINIMAL_FILE),
        "fifo": "parent.yaml",
        "device": "/dev/zero",
        "empty": "''",
        "none": "",
    }[example["extends"]]
    data = data.replace(b"{marker}", str(marker).encode()).replace(b"{extends}", target.encode())
    main.write_bytes(data)
    if example["extends"] == "cycle":
        (folder / "parent.yaml").write_text("extends: scenario.yaml\nseed: 3\n", "utf-8")
    elif example["extends"] == "binary":
        (folder / "parent.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    elif example["extends"] == "directory":
        (folder / "sub").mkdir()
    elif example["extends"] == "fifo":
        os.mkfifo(folder / "parent.yaml")
    return main


LINE = re.compile(r"(?::\d+)?: .")
"""After the file's name: an optional ``:line``, then ``": "`` and the field or message."""


def assert_printable(result: Result) -> None:
    """Only printable characters, newlines and tabs reach the terminal."""
    for text in (result.stdout, result.stderr):
        bad = sorted({c for c in text if c not in "\n\t" and not c.isprintable()})
        assert not bad, f"unsafe characters {bad!r} reach the terminal:\n{text!r}"


MORE = re.compile(r"… and \d+ more problems")
"""The last line of a list of problems cut at its first few (calibrate's exports)."""


def check_outcome(result: Result, folder: Path) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    assert not (folder / "PWNED").exists(), "a YAML tag ran a command"
    assert_printable(result)
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert lines, result.output
        files = sorted({str(p) for p in folder.rglob("*")} | {"--set"}, key=len, reverse=True)
        if len(lines) > 1 and MORE.fullmatch(lines[-1]):  # a long list is cut, and says so
            lines = lines[:-1]
        for line in lines:
            prefix = next((f for f in files if line.startswith(f)), None)
            assert prefix is not None, f"not file:line: field: message: {line!r}"
            assert LINE.match(line, len(prefix)), f"not file:line: field: message: {line!r}"


# --------------------------------------------------------------------------- the tests


PATHS = sorted(
    {".".join(map(str, p)) for p in _paths(BASELINE) if p}
    | {"calendar.days", "seed", "replications", "staffing.groups.0.schedule.agents", "x.y"}
)
override_values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["7", "-1", "1e400", ".nan", "null", "[1, 2]", "{a: 1}", "!!python/none ''"]),
    st.sampled_from(["&a [*a]", "2026-02-30", "'", "{", "0x10", "1_000", "~"]),
    hostile_text,
    hostile_text.map(json.dumps),  # the same, as a YAML string that reads back as it
)
overrides = st.lists(
    st.one_of(
        st.text(max_size=16),
        st.builds(
            lambda k, v: f"{k}={v}", st.sampled_from(PATHS) | st.text(max_size=8), override_values
        ),
    ),
    max_size=2,
)
"""``--set`` arguments: arbitrary text, or a field path (real or not) and any value."""


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(example=scenario_files(BASELINE), overrides=overrides)
def test_validate_any_file_is_ok_or_exit_2_with_located_problems(
    example: dict[str, Any], overrides: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = _folder(tmp_path_factory, "validate")
    main = write_example(folder, example)
    sets = [f"--set={o}" for o in overrides]
    with time_limit(20):
        result = runner.invoke(app, ["validate", str(main), *sets])
    check_outcome(result, folder)
    event(f"exit {result.exit_code}")


plausible = st.one_of(st.integers(0, 60), st.floats(0.01, 600, allow_nan=False))
small_values = st.one_of(
    plausible,
    plausible,
    plausible,
    plausible,
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(-1000, 1000),
    st.text(max_size=8),
    nonfinite_text,
    bad_dates,
    st.just(PYTAG),
    st.sampled_from(["phone", "chat", "constant", "hourly", "poisson", "exponential"]),
    hostile_text,
)


@st.composite
def small_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Near-valid mutations of the minimal scenario whose numbers keep a run small."""
    doc = draw(mutated(MINIMAL, small_values, most=2))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    text = text.replace(PYTAG, '!!python/object/apply:os.system ["touch {marker}"]')
    return {"data": text.encode("utf-8", "surrogatepass"), "extends": "none"}


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(example=small_scenarios())
def test_run_any_small_file_is_a_run_or_exit_2(
    example: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = _folder(tmp_path_factory, "run")
    main = write_example(folder, example)
    out = tmp_path_factory.getbasetemp() / "fuzz-run-out"
    if out.exists():
        for p in out.iterdir():
            p.unlink()
        out.rmdir()
    args = ["run", str(main), "--set", "calendar.days=0.25", "--replications", "1"]
    with time_limit(60):
        result = runner.invoke(app, [*args, "--workers", "1", "--quiet", "--out", str(out)])
    check_outcome(result, folder)
    event(f"exit {result.exit_code}")
    if result.exit_code == 0:
        assert (out / "summary.json").is_file()
    else:
        assert not out.exists()


def _folder(factory: pytest.TempPathFactory, name: str) -> Path:
    folder = factory.getbasetemp() / f"fuzz-{name}"
    folder.mkdir(exist_ok=True)
    return folder


NASTY = [
    billion_laughs(12, 12) + "name: x\n",
    "name: !!python/object/apply:os.system ['touch {marker}']\n",
    "!!python/object/new:os.system ['touch {marker}']\n",
    "name: !!python/name:os.system\n",
    "seed: !!binary aGVsbG8=\n",
    "calendar: {start: 2026-13-45T00:00:00}\n",
    "replications: .nan\nseed: .inf\n",
    "replications: 1e400\n",
    "a: &x [*x]\n",
    "\ufeff\x00",
    "\n" * 99 + "replications: -1\n",  # line 100: rich once printed it as an emoji
    '"a\\nb\\x1d\\u2028": 1\n',  # a key that would split the line
]


@pytest.mark.parametrize(
    ("text", "extends"),
    [(text, "none") for text in NASTY]
    + [("extends: {extends}\nname: cyc\n", e) for e in ("cycle", "fifo", "device", "self")],
)
def test_known_nasty_files_exit_2(text: str, extends: str, tmp_path: Path) -> None:
    example = {"data": text.encode("utf-8"), "extends": extends}
    main = write_example(tmp_path, example)
    with time_limit(20):
        result = runner.invoke(app, ["validate", str(main)])
    assert result.exit_code == 2, result.output
    check_outcome(result, tmp_path)


# --------------------------------------------------------------------------- hostile strings

PRINTED: list[tuple[Any, ...]] = [
    ("title",),
    ("version",),
    ("description",),
    ("name",),
    ("arrivals", 0, "reason"),
    ("arrivals", 0, "channel"),
    ("staffing", "groups", 0, "name"),
    ("staffing", "groups", 0, "channels", 0),
]
"""Fields a command prints (in tables, titles, progress, messages) or writes."""


@st.composite
def hostile_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """The minimal scenario with hostile strings in printed fields, a channel key or both."""
    doc = copy.deepcopy(MINIMAL)
    doc["replications"] = 1
    doc["calendar"]["days"] = 0.25
    for path in draw(st.lists(st.sampled_from(PRINTED), min_size=1, max_size=3, unique=True)):
        parent: Any = doc
        for seg in path[:-1]:
            parent = parent[seg]
        parent[path[-1]] = draw(hostile_text)
    if draw(st.booleans()):
        doc["channels"][draw(hostile_text)] = doc["channels"]["phone"]
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    return {"data": text.encode("utf-8", "surrogatepass"), "extends": "none"}


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(example=hostile_scenarios())
def test_hostile_strings_in_printed_fields_never_reach_the_terminal_raw(
    example: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = _folder(tmp_path_factory, "hostile")
    main = write_example(folder, example)
    out = tmp_path_factory.getbasetemp() / "fuzz-hostile-out"
    shutil.rmtree(out, ignore_errors=True)
    with time_limit(60):
        checked = runner.invoke(app, ["validate", str(main)])
        ran = runner.invoke(app, ["run", str(main), "--workers", "1", "--out", str(out)])
    check_outcome(checked, folder)
    check_outcome(ran, folder)
    assert ran.exit_code == checked.exit_code, ran.output
    event(f"exit {ran.exit_code}")


SECTIONS = {"orders", "fulfilment", "contact_reasons", "channels", "journey", "satisfaction"}
"""Everything a fitted fragment may set."""


@pytest.fixture(scope="module")
def small_exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[list[str]]]:
    """orders.csv's text and contacts.csv's rows (header first) of a week of a small shop."""
    d = scenario_data()
    d["calendar"]["days"] = 7
    d["orders"]["per_day"] = 300
    log = event_log_of(load_text(yaml.safe_dump(d)).scenario)
    rows = list(csv.reader(io.StringIO(log.contacts_csv)))
    return log.orders_csv, rows


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    values=st.lists(st.tuples(st.sampled_from(["channel", "reason"]), hostile_text), max_size=3),
    mapped=st.dictionaries(st.sampled_from(["wismo", "returns"]), hostile_text, max_size=1),
)
def test_calibrate_any_export_strings_are_refused_or_stay_names(
    values: list[tuple[str, str]],
    mapped: dict[str, str],
    small_exports: tuple[str, list[list[str]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = _folder(tmp_path_factory, "calibrate")
    for p in folder.iterdir():
        p.unlink()
    orders, rows = small_exports
    rows = [list(r) for r in rows]
    for k, (column, value) in enumerate(values):  # every 7th row from k on gets the value
        index = rows[0].index(column)
        for row in rows[1 + k :: 7]:
            row[index] = value
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    (folder / "orders.csv").write_text(orders, encoding="utf-8")
    (folder / "contacts.csv").write_text(text.getvalue(), encoding="utf-8", errors="surrogatepass")
    (folder / "map.yaml").write_text(json.dumps({"reasons": mapped}), encoding="utf-8")
    args = ["--orders", str(folder / "orders.csv"), "--contacts", str(folder / "contacts.csv")]
    args += ["--map-file", str(folder / "map.yaml"), "--out", str(folder / "fitted.yaml")]
    with time_limit(60):
        result = runner.invoke(app, ["calibrate", *args])
    check_outcome(result, folder)
    event(f"exit {result.exit_code}")
    if result.exit_code == 2:
        assert not (folder / "fitted.yaml").exists()
        return
    fragment = yaml.safe_load((folder / "fitted.yaml").read_text(encoding="utf-8"))
    assert set(fragment) <= SECTIONS
    names = [r["name"] for r in fragment.get("contact_reasons", [])]
    names += list(fragment.get("channels", {}))
    assert all(isinstance(n, str) and cal.NAME.fullmatch(n) for n in names), names
    page = (folder / "fitted.report.html").read_text(encoding="utf-8")
    assert "evil.example" not in page
