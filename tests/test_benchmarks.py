"""The benchmark suite runs end to end (``python -m benchmarks --quick``).

Only that it runs, prints its table, writes its results file and that promosim and the
naive simpy reference give the same Erlang A answers: no timing is asserted here (timings
belong in the benchmark's own output; on a shared machine they would make the test flaky).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.run import main


@pytest.mark.slow
def test_quick_suite_prints_the_table_and_writes_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "RESULTS.md"
    assert main(["--quick", "--out", str(out), "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| workload | promosim | reference | ratio | target | result |")
    expected = ["| a. Erlang A", "| a‴. not promosim", "| a⁗. not promosim", "| b. default"]
    expected += ["| c. demand", "| d. peak memory", "| e. 8-run"]
    for row in (*expected, "| f. staff", "| g. report of a 21-day run"):
        assert row in printed, row
    text = out.read_text(encoding="utf-8")
    assert "CPU:" in text and "numpy" in text and "simpy" in text
    # the Erlang A answers: each metric agrees between promosim and the reference
    answers = text.split("### (a) Erlang A answers", 1)[1].split("###", 1)[0]
    rows = [
        line
        for line in answers.splitlines()
        if line.startswith("| ") and not line.startswith(("| metric", "| ---"))
    ]
    names = [r.split("|")[1].strip() for r in rows]
    assert names == ["abandon_rate", "asa_seconds", "service_level"]
    assert all(r.rstrip(" |").endswith("yes") for r in rows), rows
    assert "the same outcome for every contact" in answers
    # the ceiling's anchors simulate the same queue, and the ceiling is stated
    ceiling = text.split("### (a) the ceilings", 1)[1].split("###", 1)[0]
    assert "every contact the reference's answer (bit for bit)" in ceiling
    assert "would reach" in ceiling and "with no fixed costs at all" in ceiling
