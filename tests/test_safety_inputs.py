"""What promosim reads from a shared folder cannot exhaust it, leak a file, or crash it.

Size bombs (a huge flow list, an oversized file, an alias bomb) stop before the document is
built, in seconds and a bounded amount of memory; a file that is not a scenario is refused
without echoing a line of it; calibrate's odd exports (UTF-16, Latin-1, a giant cell, no
spread in handle times) are located bad input or a fit with a notice, never a traceback;
an enormous but valid scenario is refused before it starts, stating the estimate.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from sim import worksize
from sim.cli import _check_work, app
from sim.loading import MAX_BYTES, MAX_NODES, ScenarioError, load_data_file, load_scenario
from tests.conftest import CONFIGS, PROCESSES, ROOT, SCENARIO_FILES, tiny_scenario

runner = CliRunner()


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- size bombs

MEASURED = """
import resource, subprocess, sys, time
t = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(done.returncode, round(time.monotonic() - t, 1), rss // 1024)
sys.stderr.write(done.stdout + done.stderr)
"""
"""Runs a command in a fresh process, so its peak memory is the command's alone (kB→MB)."""


def measured(*args: str) -> tuple[int, float, int, str]:
    """``promosim ARGS`` as a subprocess: exit code, seconds, peak RSS in MB, its output."""
    cmd = [sys.executable, "-c", MEASURED, sys.executable, "-m", "sim", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=ROOT)
    code, seconds, mb = done.stdout.split()
    return int(code), float(seconds), int(mb), done.stderr


@PROCESSES  # timed and measured subprocesses
@pytest.mark.slow
def test_a_flow_list_of_a_million_items_stops_while_composing(tmp_path: Path) -> None:
    n = (MAX_BYTES - 100) // 2
    path = tmp_path / "flows.yaml"
    path.write_text("name: t\narrivals: [" + ",".join(["1"] * n) + "]\n", encoding="utf-8")
    code, seconds, mb, output = measured("validate", str(path))
    assert code == 2, output
    assert f"{path}:2: the document holds more than {MAX_NODES:,} values" in output
    assert "Traceback" not in output
    # generous bounds on a shared machine: the old loader took minutes and gigabytes
    assert seconds < 60 and mb < 300, (seconds, mb)


@PROCESSES  # timed and measured subprocesses
@pytest.mark.slow
def test_an_oversized_file_is_not_read_and_an_alias_bomb_stops(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:  # 64 MiB, sparse: reading it whole would show in the RSS
        f.truncate(64 * 2**20)
    child = tmp_path / "child.yaml"
    child.write_text("name: t\nextends: big.yaml\n", encoding="utf-8")
    code, seconds, mb, output = measured("validate", str(child))
    assert code == 2, output
    assert f"{big}:1: the file is larger than 2 MiB" in output
    assert seconds < 60 and mb < 300, (seconds, mb)

    bomb = ['a0: &a0 ["lol"]']
    for i in range(1, 10):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("name: t\n" + "\n".join(bomb) + "\ndescription: *a9\n", encoding="utf-8")
    code, seconds, mb, output = measured("validate", str(path))
    assert code == 2, output
    assert re.search(rf"laughs\.yaml:\d+: the document holds more than {MAX_NODES:,}", output)
    assert seconds < 60 and mb < 300, (seconds, mb)


def test_set_values_and_map_files_have_the_same_limits(tmp_path: Path) -> None:
    bomb = "[" + ", ".join(["*a"] * 400) + "]"
    path = write(tmp_path / "tiny.yaml", tiny_scenario())
    with pytest.raises(ScenarioError) as e:
        load_scenario(path, [f"description=[&a [{', '.join(['1'] * 400)}], {bomb}]"])
    assert "more than" in str(e.value) and str(e.value).startswith("--set")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "a: &a [" + ", ".join(["1"] * 400) + "]\nreasons: " + bomb + "\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=r"map\.yaml:2: the document holds more than"):
        load_data_file(mapping)
    args = ["--orders", "o.csv", "--contacts", "c.csv", "--out", str(tmp_path / "f")]
    result = runner.invoke(app, ["calibrate", *args, "--map-file", str(mapping)])
    assert result.exit_code == 2 and "map.yaml:2: the document holds more than" in result.output


# --------------------------------------------------------------------------- echoed files

SHADOW = [
    "root:$6$k2PnIq0v$QwErTy0123456789abcdefABCDEF/.uvwxyzQWERTYabc:19000:0:99999:7:::",
    "daemon:*:19000:0:99999:7:::",
    "bin:*:19000:0:99999:7:::",
    "alice:$6$sAlT$hAsH/hash.HASH.0123456789abcdefghijklmnop:19100:0:99999:7:::",
]


@pytest.mark.parametrize("how", ["extends", "directly", "run"])
def test_a_shadow_like_file_is_refused_without_echoing_it(how: str, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text("\n".join(SHADOW) + "\n", encoding="utf-8")
    child = write(tmp_path / "child.yaml", {**tiny_scenario(), "extends": "shadow"})
    target = shadow if how == "directly" else child
    command = "run" if how == "run" else "validate"
    result = runner.invoke(app, [command, str(target), "--quiet"][: 3 if how == "run" else 2])
    assert result.exit_code == 2, result.output
    shown = result.output.replace(str(tmp_path), "")  # pytest's folder names "root"
    for line in SHADOW:
        for part in [line, *line.split(":")]:
            if len(part) > 3:
                assert part not in shown, part
    assert "Traceback" not in result.output
    problems = [ln for ln in result.output.splitlines() if ln.strip()]
    assert problems == [f"{shadow}:1: " + problems[0].split(":1: ", 1)[1]], problems
    assert "not a scenario" in problems[0]


def test_keys_of_a_scenario_are_echoed_cut_to_40_characters(tmp_path: Path) -> None:
    key = "k" * 200
    path = write(tmp_path / "s.yaml", {**tiny_scenario(), key: 1, "title": 5})
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "unknown field" in result.output and key not in result.output
    assert "k" * 39 + "…" in result.output


# --------------------------------------------------------------------------- located errors


def test_a_bad_address_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path / "tiny.yaml", tiny_scenario())
    for address in ("not a url", "tcp://host", "tcp://host:99999"):
        result = runner.invoke(app, ["run", str(path), "--address", address, "--quiet"])
        assert result.exit_code == 2, result.output
        assert "--address" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "outputs").exists()


ORDERS = (
    "order_id,created,items,amount_yuan,promotion,shipped,delivered\n"
    "1,2026-03-02 10:00:00,1,50,0,2026-03-03 10:00:00,2026-03-05 10:00:00\n"
)
CONTACTS = (
    "contact_id,order_id,customer_id,channel,reason,arrived,answered,ended,resolved,csat\n"
    + "".join(
        f"{i},1,{i},chat,wismo,2026-03-04 09:0{i}:00,2026-03-04 09:0{i}:30,"
        f"2026-03-04 09:0{i}:50,1,5\n"
        for i in range(1, 6)
    )
)


def calibrate(tmp_path: Path, contacts: bytes) -> tuple[int, str]:
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    (tmp_path / "c.csv").write_bytes(contacts)
    args = ["--orders", str(tmp_path / "o.csv"), "--contacts", str(tmp_path / "c.csv")]
    result = runner.invoke(app, ["calibrate", *args, "--out", str(tmp_path / "f.yaml")])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-16", "c.csv:1: UTF-16 text"), ("latin-1", "c.csv:2: neither UTF-8 nor GB18030")],
)
def test_exports_in_another_encoding_name_the_file(
    encoding: str, expected: str, tmp_path: Path
) -> None:
    code, output = calibrate(tmp_path, CONTACTS.replace("wismo", "wismé").encode(encoding))
    assert code == 2, output
    assert expected in output and "UTF-8" in output


def test_a_giant_cell_is_located(tmp_path: Path) -> None:
    lines = CONTACTS.splitlines()
    giant = lines[2].replace("wismo", "x" * 140_000)
    code, output = calibrate(tmp_path, "\n".join([*lines[:2], "", giant]).encode())
    assert code == 2, output
    assert "c.csv:4: reason: cell longer than 131,072 characters" in output


def test_identical_handle_times_are_a_fit_with_a_notice(tmp_path: Path) -> None:
    code, output = calibrate(tmp_path, CONTACTS.encode())  # five contacts, 20 s each
    assert code == 0, output
    assert "the 5 answered chat contacts have no spread (20 s): not fitted" in output
    assert "handle_time_seconds: {" not in (tmp_path / "f.yaml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- work size


def enormous() -> dict[str, object]:
    data = tiny_scenario(calendar={"start": "2026-01-05T00:00:00", "days": 3660})
    data["arrivals"] = [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 1e7}]
    return data


def test_an_enormous_scenario_is_refused_before_it_starts(tmp_path: Path) -> None:
    path = write(tmp_path / "huge.yaml", enormous())
    result = runner.invoke(app, ["run", str(path), "--quiet", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    assert "refused" in result.output and "--yes" in result.output
    assert "8.78e+11 contacts per replication" in result.output  # 1e7 an hour, 87,840 hours
    assert "warn above 10.0 million, refuse above 200.0 million" in result.output
    assert not (tmp_path / "run").exists()
    check = runner.invoke(app, ["validate", str(path)])
    assert check.exit_code == 0 and "refused without --yes" in check.output
    s = load_scenario(path).scenario
    _check_work([(s, s.replications)], yes=True)  # --yes: not refused at this stage
    with pytest.raises(typer.Exit) as refused:
        _check_work([(s, s.replications)], yes=False)
    assert refused.value.exit_code == 2


def test_the_estimate_counts_orders_reasons_and_the_promotion() -> None:
    s = load_scenario(CONFIGS / "baseline.yaml").scenario
    size = worksize.estimate(s)
    assert s.orders is not None
    assert size.orders == pytest.approx(8000 * 7.0 / 7 * (21 + 7))  # weekday factors sum 7
    first = size.orders * 0.1175  # the five reasons' rates per order
    assert size.contacts == pytest.approx(first * (1 + 0.7 + 0.5 + 0.1))
    flash = worksize.estimate(load_scenario(CONFIGS / "flash_sale.yaml").scenario)
    assert flash.orders > size.orders and flash.contacts > size.contacts


def test_bundled_scenarios_pass_without_a_warning() -> None:
    files = SCENARIO_FILES
    result = runner.invoke(app, ["validate", *map(str, files)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": work: about") == len(files)
    assert "warn" not in result.output.replace("warn above", "")
    assert "refused" not in result.output
    for f in files:
        s = load_scenario(f).scenario
        assert worksize.assess([(s, s.replications)])[0] == "ok", f
