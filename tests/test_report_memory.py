"""The run report's memory and page grow by a few words per plotted value, not per CSV row.

A year of configs/baseline.yaml (30-minute intervals) once took ``promosim report`` to 325 MB:
a dict of strings per row of intervals.csv, ``io.StringIO``'s four-byte copy of the file, the
page copied once per ``+``. These tests build the reports of a short and a long run of the
same many-interval scenario and bound what the longer horizon adds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.report import _times, read_run, report_from_files
from tests.conftest import tiny_scenario

INTERVAL_FIGURES = ("fig-offered", "fig-service-level", "fig-asa", "fig-queue")


def _run(root: Path, name: str, days: float) -> Path:
    """A run folder of the tiny scenario in 1-minute intervals (CIs: two replications)."""
    scenario = root / f"{name}.yaml"
    data = tiny_scenario(name=name, calendar={"days": days, "interval_minutes": 1})
    scenario.write_text(json.dumps(data), encoding="utf-8")
    out = root / name
    result = CliRunner().invoke(
        app, ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("many-intervals")
    return {"short": _run(root, "short", 0.25), "long": _run(root, "long", 3)}


@pytest.fixture(scope="module")
def figures(folders: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Each folder's figures by div id (building them also does plotly's lazy imports)."""
    out: dict[str, dict[str, Any]] = {}
    for name, folder in folders.items():
        out[name] = {}
        report_from_files(read_run(folder), "en", out[name])
    return out


def _values(figures: dict[str, Any]) -> int:
    """How many values the figures plot: every trace's y, and every heatmap cell."""
    n = 0
    for fig in figures.values():
        for trace in fig.data:
            if getattr(trace, "z", None) is not None:
                n += sum(len(row) for row in trace.z)
            elif trace.y is not None:
                n += len(trace.y)
    return n


def _peak(folder: Path) -> int:
    """The report's peak traced allocation, built as ``promosim run`` builds it."""
    files = read_run(folder)
    tracemalloc.start()
    try:
        report_from_files(files, "en")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_the_report_peak_grows_by_a_few_bytes_per_plotted_value(
    folders: dict[str, Path], figures: dict[str, dict[str, Any]]
) -> None:
    short, long = _peak(folders["short"]), _peak(folders["long"])
    short_values, long_values = _values(figures["short"]), _values(figures["long"])
    assert long_values > short_values + 30_000  # 12 x the intervals: the horizon dominates
    # What each further value adds to the peak. The page holds a value as ~16 characters (a
    # 4-digit number; a CI band's time string) at two bytes a character (plotly.js makes the
    # page UCS-2): the build measures ~22 bytes. The old parse (a dict of strings per row of
    # intervals.csv, io.StringIO's 4-byte copy of the file) and its page, copied once per +,
    # took ~520.
    per_value = (long - short) / (long_values - short_values)
    assert per_value < 8 * 8, f"{per_value:.0f} bytes per plotted value"


def _starts(folder: Path, arm: str, channel: str) -> list[str]:
    text = (folder / "intervals.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return [r["interval_start"] for r in rows if r["arm"] == arm and r["channel"] == channel]


def test_interval_lines_give_their_times_as_x0_and_dx_at_the_same_points(
    folders: dict[str, Path], figures: dict[str, dict[str, Any]]
) -> None:
    page = (folders["long"] / "report.html").read_text(encoding="utf-8")
    starts = _starts(folders["long"], "scenario", "phone")
    assert len(starts) == 3 * 24 * 60
    for div_id in INTERVAL_FIGURES:
        band, line = figures["long"][div_id].data[:2]
        assert line.x is None and line.y is not None and len(line.y) == len(starts)
        # plotly.js puts point i at x0 + i * dx (ms): exactly the interval's start
        x0 = dt.datetime.fromisoformat(line.x0)
        step = dt.timedelta(milliseconds=line.dx)
        assert [(x0 + i * step).isoformat() for i in range(len(starts))] == starts
        # the band keeps its time strings: it goes out along the upper bound and back
        assert band.x is not None and set(band.x) - {None} <= set(starts)
    # the page no longer repeats a time string per point of every line
    assert page.count(f'"{starts[len(starts) // 2]}"') <= 2 * len(INTERVAL_FIGURES)


def test_times_keeps_x_unless_evenly_spaced_naive_iso_times() -> None:
    even = ["2026-11-03T00:00:00", "2026-11-03T00:15:00", "2026-11-03T00:30:00"]
    assert _times(even, 3) == {"x0": even[0], "dx": 15 * 60 * 1000}
    uneven = [*even[:2], "2026-11-03T00:45:00"]
    assert _times(uneven, 3) == {"x": uneven}
    assert _times(even, 2) == {"x": even}  # another number of points than times
    assert _times(even[:1], 1) == {"x": even[:1]}
    backwards = list(reversed(even))
    assert _times(backwards, 3) == {"x": backwards}
    aware = [t + "+08:00" for t in even]
    assert _times(aware, 3) == {"x": aware}
    assert _times([t[:10] for t in even], 3) == {"x": [t[:10] for t in even]}
    # a clock change in the strings (none in a run's naive times) is uneven: x is kept
    dst = ["2026-03-29T01:00:00", "2026-03-29T03:00:00", "2026-03-29T04:00:00"]
    assert _times(dst, 3) == {"x": dst}


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing")
def test_x0_and_dx_draw_the_same_lines_as_the_time_strings(
    figures: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """In Chromium, each interval figure as built and with its lines' times spelled out."""
    sync_api = pytest.importorskip("playwright.sync_api")
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    divs = []
    for div_id in INTERVAL_FIGURES:
        built = figures["short"][div_id]
        spelled = go.Figure(built)
        for trace in spelled.data:
            if trace.x0 is not None and trace.x is None:
                x0 = dt.datetime.fromisoformat(trace.x0)
                step = dt.timedelta(milliseconds=trace.dx)
                times = [(x0 + i * step).isoformat() for i in range(len(trace.y))]
                trace.update(x=times, x0=None, dx=None)
        assert spelled.to_json() != built.to_json()
        for suffix, fig in (("built", built), ("spelled", spelled)):
            divs.append(
                fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"{div_id}-{suffix}")
            )
    page = tmp_path / "lines.html"
    page.write_text(
        f"<html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
        f"<body>{''.join(divs)}</body></html>",
        encoding="utf-8",
    )
    drawn = r"""(id) => {
        const gd = document.getElementById(id);
        const axes = Object.keys(gd._fullLayout).filter(k => /^[xy]axis\d*$/.test(k))
            .map(k => [k, gd._fullLayout[k].type, gd._fullLayout[k].range]);
        const points = gd.calcdata.map(cd => cd.map(p => [p.x, p.y]));
        const paths = Array.from(gd.querySelectorAll("path")).map(p => p.getAttribute("d"));
        return JSON.stringify([axes, points, paths]);
    }"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(page.as_uri())
            for div_id in INTERVAL_FIGURES:
                got = {}
                for suffix in ("built", "spelled"):
                    tab.wait_for_selector(f"#{div_id}-{suffix} .main-svg", state="attached")
                    got[suffix] = tab.evaluate(drawn, f"{div_id}-{suffix}")
                assert got["built"] == got["spelled"], div_id
                assert re.search(r'"date"', got["built"]), div_id  # a date axis, as before
        finally:
            browser.close()
    assert errors == []
