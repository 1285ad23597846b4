"""The run report's figures as plain dicts, and what building a report imports.

Laid out and written as plotly would lay them out and write them; a long run drawn by day
with every interval one click away.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots
from typer.testing import CliRunner

from sim.cli import app
from sim.report import build_report, run, used_labels
from sim.report.data import dict_rows
from sim.report.figures import subplots
from sim.report.page import PLOTLY_CONFIG, figure_html, plotly_template, round_array, rounded
from sim.text import text_lines
from tests import test_report
from tests.test_presale_views import presale_promo
from tests.test_report import TEXTS, _titles

runner = CliRunner()

LONG_DAYS = run.DAILY_FROM_DAYS + 2
INTERVAL_FIGURES = ("fig-offered", "fig-service-level", "fig-asa", "fig-queue")


def long_folder(root: Path) -> Path:
    """``root/run``: a pre-sale promotion run, longer than a report draws by interval."""
    start = "2026-10-20T00:00:00"
    data = presale_promo(calendar={"start": start, "days": LONG_DAYS, "interval_minutes": 60})
    data["orders"]["per_day"] = 300
    scenario = root / "long.yaml"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    out = root / "run"
    result = runner.invoke(
        app, ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_folder(tmp_path_factory.mktemp("long"))


@pytest.fixture(scope="module")
def long_figures(long_run: Path) -> dict[str, go.Figure]:
    figures: dict[str, go.Figure] = {}
    build_report(long_run, figures=figures)
    return figures


@pytest.fixture(scope="module")
def interval_figures(long_run: Path) -> dict[str, go.Figure]:
    """The same folder's figures drawn interval by interval, as a shorter run's are."""
    figures: dict[str, go.Figure] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run, "DAILY_FROM_DAYS", LONG_DAYS)
        build_report(long_run, figures=figures)
    return figures


def _intervals(folder: Path, arm: str, channel: str) -> list[dict[str, str]]:
    text = (folder / "intervals.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return [r for r in rows if r["arm"] == arm and r["channel"] == channel]


def _close(a: float | None, b: float | None) -> bool:
    """Equal to the report's four significant digits."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)


def test_a_long_run_draws_days_first_and_every_interval_behind_a_button(
    long_figures: dict[str, go.Figure], interval_figures: dict[str, go.Figure]
) -> None:
    for div_id in INTERVAL_FIGURES:
        fig, fine = long_figures[div_id], interval_figures[div_id]
        (menu,) = fig.layout.updatemenus
        by_day, every = menu.buttons
        assert (by_day.label, every.label) == ("By day", "Every interval")
        day_shown, fine_shown = by_day.args[0]["visible"], every.args[0]["visible"]
        assert len(day_shown) == len(fine_shown) == len(fig.data)
        # the interval figure's traces, each as it was, hidden until its button is pressed
        hidden = [tr for tr in fig.data if tr.visible is False]
        assert [tr.to_plotly_json() for tr in hidden] == [
            tr.to_plotly_json() | {"visible": False}
            for tr in fine.data
            if tr.name != TEXTS["sl_reference"]["en"]
        ]
        for trace, day, every_interval in zip(fig.data, day_shown, fine_shown, strict=True):
            assert day == (trace.visible is not False)
            reference = trace.name == TEXTS["sl_reference"]["en"]
            assert every_interval == (trace.visible is False or reference)
        assert {tr.xperiodalignment for tr in fig.data if tr.visible is not False} >= {"middle"}
    assert not interval_figures["fig-offered"].layout.updatemenus


def test_a_day_is_its_intervals_mean_weighted_by_the_ratio_s_denominator_and_their_range(
    long_run: Path, long_figures: dict[str, go.Figure]
) -> None:
    for metric, weight, div_id in (
        ("service_level", "offered", "fig-service-level"),
        ("asa_seconds", "answered", "fig-asa"),
        ("queue_length", None, "fig-queue"),
    ):
        fig = long_figures[div_id]
        for k, channel in enumerate(("phone", "chat"), start=1):
            axis = "y" if k == 1 else f"y{k}"
            days = [tr for tr in fig.data if tr.visible is not False and tr.yaxis == axis]
            band, main, base = days[:3]
            for arm, line in (("promotion", main), ("baseline", base)):
                by_day: dict[str, list[tuple[float, float]]] = {}
                for r in _intervals(long_run, arm, channel):
                    if r[metric]:
                        w = float(r[weight]) if weight else 1.0
                        by_day.setdefault(r["interval_start"][:10], []).append(
                            (float(r[metric]), w)
                        )
                assert list(line.x) == sorted(by_day)
                for day, y in zip(line.x, line.y, strict=True):
                    pairs = [(v, w) for v, w in by_day[day] if w > 0]
                    want = sum(v * w for v, w in pairs) / sum(w for _, w in pairs)
                    assert _close(y, want), (metric, channel, arm, day)
                if arm == "promotion":
                    lows = {d: min(v for v, _ in vs) for d, vs in by_day.items()}
                    highs = {d: max(v for v, _ in vs) for d, vs in by_day.items()}
                    n = len(by_day)
                    assert list(band.x[:n]) == sorted(by_day)  # out along the highs, back
                    assert all(_close(band.y[i], highs[d]) for i, d in enumerate(band.x[:n]))
                    back = list(band.x[n : 2 * n])
                    assert back == sorted(by_day, reverse=True)
                    assert all(_close(band.y[n + i], lows[d]) for i, d in enumerate(back))


def test_a_long_run_s_sales_lost_are_daily_csv_s_days_with_the_hours_behind_a_button(
    long_run: Path, long_figures: dict[str, go.Figure]
) -> None:
    fig = long_figures["fig-lost-hourly"]
    (menu,) = fig.layout.updatemenus
    assert menu.buttons[1].label == "Every hour"
    assert fig.layout.yaxis.title.text == "Orders lost per day"
    assert menu.buttons[1].args[1]["yaxis.title.text"] == "Orders lost per hour"
    daily = [
        r
        for r in csv.DictReader(io.StringIO((long_run / "daily.csv").read_text("utf-8")))
        if r["series"] == "lost_orders" and r["arm"] == "promotion"
    ]
    line = fig.data[1]
    assert line.visible is not False and list(line.x) == [r["day"] for r in daily]
    assert all(_close(y, float(r["mean"])) for y, r in zip(line.y, daily, strict=True))
    hours = [tr for tr in fig.data if tr.visible is False]
    assert len(hours) == 4 and hours[1].x0 is not None  # promotion and baseline, band and line


def test_a_long_run_s_page_says_how_it_is_drawn_in_both_languages(long_run: Path) -> None:
    page = build_report(long_run)
    note = TEXTS["note_by_day"]["en"].format(days=LONG_DAYS)
    assert html.escape(note) in _titles(page)
    used = used_labels(long_run, "zh")
    assert {"note_by_day", "day_range", "view_by_day", "view_intervals", "view_hours"} <= used
    assert used <= set(TEXTS) and used == used_labels(long_run, "en")
    zh = build_report(long_run, "zh")
    for key in ("view_by_day", "view_intervals", "day_range"):
        assert json.dumps(TEXTS[key]["zh"]) in zh and TEXTS[key]["en"] not in zh


def test_a_long_run_s_occupancy_is_a_date_axis_of_bounded_height(
    long_figures: dict[str, go.Figure], interval_figures: dict[str, go.Figure]
) -> None:
    long, short = long_figures["fig-occupancy"], interval_figures["fig-occupancy"]
    assert long.layout.yaxis.type == "date" and short.layout.yaxis.type == "category"
    assert long.layout.height == 140 + 22 * run.DAILY_FROM_DAYS < short.layout.height
    assert [tr.z for tr in long.data] == [tr.z for tr in short.data]


@pytest.mark.parametrize(
    ("plotly", "ours"),
    [
        (
            {"rows": 3, "cols": 1, "shared_xaxes": True, "vertical_spacing": 0.08},
            {"rows": 3, "cols": 1, "shared_x": True, "v_spacing": 0.08},
        ),
        (
            {"rows": 1, "cols": 1, "shared_xaxes": True, "vertical_spacing": 0.0},
            {"rows": 1, "cols": 1, "shared_x": True, "v_spacing": 0.0},
        ),
        (
            {"rows": 1, "cols": 4, "shared_yaxes": True, "horizontal_spacing": 0.03},
            {"rows": 1, "cols": 4, "shared_y": True, "h_spacing": 0.03},
        ),
        ({"specs": [[{"secondary_y": True}]]}, {"rows": 1, "cols": 1, "secondary_y": True}),
        (
            {"rows": 1, "cols": 2, "column_widths": [0.55, 0.45], "horizontal_spacing": 0.2},
            {"rows": 1, "cols": 2, "column_widths": [0.55, 0.45], "h_spacing": 0.2},
        ),
        ({"rows": 2, "cols": 3}, {"rows": 2, "cols": 3}),
        (
            {
                "rows": 3,
                "cols": 2,
                "row_heights": [0.2, 0.5, 0.3],
                "vertical_spacing": 0.07,
                "horizontal_spacing": 0.1,
            },
            {
                "rows": 3,
                "cols": 2,
                "row_heights": [0.2, 0.5, 0.3],
                "v_spacing": 0.07,
                "h_spacing": 0.1,
            },
        ),
    ],
)
def test_subplots_lay_out_their_grid_as_make_subplots(
    plotly: dict[str, Any], ours: dict[str, Any]
) -> None:
    n = 1 if "specs" in plotly else plotly["rows"] * plotly["cols"]
    titles = [f"title {k}" for k in range(n)] if n > 1 else []
    expected = make_subplots(**plotly, subplot_titles=titles or None).to_dict()["layout"]
    expected.pop("template")
    rows, cols = ours.pop("rows"), ours.pop("cols")
    assert subplots(rows, cols, titles=titles, **ours)["layout"] == expected


def test_a_dict_figure_is_written_as_plotly_writes_it() -> None:
    fig: dict[str, Any] = {
        "data": [
            {"type": "scatter", "x": [1, 2], "y": [0.5, math.nan], "name": "a</script><b>"},
            {"type": "bar", "x": ["是"], "y": [math.inf]},
        ],
        "layout": {"template": "plotly_white", "height": 300, "title": {"text": "x/y"}},
    }
    written = {**fig, "layout": {**fig["layout"], "template": plotly_template("plotly_white")}}
    for first in (True, False):
        ours = figure_html(fig, "fig-a", get_plotlyjs() if first else None)
        theirs = pio.to_html(
            written,
            validate=False,
            full_html=False,
            include_plotlyjs=first,
            div_id="fig-a",
            config=PLOTLY_CONFIG,
        )
        assert ours == theirs
    assert "</script><b>" not in figure_html(fig, "fig-a")


def test_round_array_gives_rounded_s_numbers() -> None:
    rng = random.Random(5)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-12, 12) for _ in range(20_000)]
    values += [round(rng.uniform(0, 100), rng.randint(1, 5)) for _ in range(20_000)]
    values += [0.0, -0.0, 0.12345, 9.99995, 99995.0, 5e-324, 2.2e-308, 1.7e308, 1e22, 1e25]
    ours = round_array(np.array(values)).tolist()
    assert ours == rounded(values)
    assert [math.copysign(1, v) for v in ours[-10:-8]] == [1, -1]
    odd = round_array(np.array([math.nan, math.inf, -math.inf])).tolist()
    assert math.isnan(odd[0]) and odd[1:] == [math.inf, -math.inf]


def test_text_lines_and_dict_rows_read_as_a_text_file_and_dictreader() -> None:
    rng = random.Random(7)
    cells = ["a", "", "b", '"x,y"', '"p\nq"', "\u2028", "\x0c", "é"]
    for _ in range(2_000):
        lines = [
            ",".join(rng.choice(cells) for _ in range(rng.randint(0, 5)))
            for _ in range(rng.randint(0, 6))
        ]
        text = "\n".join(lines) + rng.choice(["", "\n"])
        assert list(text_lines(text)) == list(io.StringIO(text, newline="\n"))
        assert dict_rows(text) == list(csv.DictReader(io.StringIO(text, newline="")))


LOADED = """
import json, sys
from pathlib import Path
from sim import commands
commands.report(Path(sys.argv[1]), out_file=Path(sys.argv[2]))
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by_report(folder: Path, page: Path) -> list[str]:
    """The modules ``promosim report`` of ``folder`` loads, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED, str(folder), str(page)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert page.stat().st_size > 0
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_building_a_report_imports_neither_the_simulation_nor_plotly_s_validators(
    long_run: Path, tmp_path: Path
) -> None:
    folder = shutil.copytree(long_run, tmp_path / "run")
    loaded = _loaded_by_report(folder, tmp_path / "page.html")
    assert "sim.report.run" in loaded
    roots = {m.split(".")[0] for m in loaded}
    assert not roots & {"scipy", "simpy", "distributed", "dask", "openpyxl", "narwhals"}
    assert "plotly.basedatatypes" not in loaded  # go figures' validation: not for this one
    simulation = ("sim.center", "sim.demand", "sim.experiment", "sim.metrics", "sim.roster")
    assert not [m for m in loaded if m.startswith(simulation)]


@pytest.fixture(scope="module")
def command_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A compare, a sweep and a staff folder, the staff one with a roster (chart and bill)."""
    folders = test_report.command_folders(tmp_path_factory.mktemp("commands"))
    folders["staff"] = test_report.with_roster(
        folders["staff"], tmp_path_factory.mktemp("roster") / "staff"
    )
    return folders


@pytest.mark.parametrize("kind", ["compare", "sweep", "staff"])
def test_a_command_s_report_is_built_without_plotly_s_figure_classes(
    command_folders: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    folder = command_folders[kind]
    loaded = _loaded_by_report(folder, tmp_path / "page.html")
    assert f"sim.report.{kind}" in loaded
    assert not [m for m in loaded if m.startswith(("plotly.graph_objs", "plotly.subplots"))]
    assert "plotly.basedatatypes" not in loaded
    # with figures asked for (pictures, tests): plotly takes each as written, unchanged
    figures: dict[str, go.Figure] = {}
    page = test_report.BUILDERS[kind](folder, figures=figures)
    written = _page_figures(page)
    assert list(written) == list(figures) and written
    for div_id, fig in figures.items():
        assert written[div_id] == json.loads(pio.to_json(fig, validate=False)), div_id


def _page_figures(page: str) -> dict[str, dict[str, Any]]:
    """Each figure of a page by its div id, as ``{"data": …, "layout": …}``."""
    decoder = json.JSONDecoder()
    out = {}
    for m in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', page):
        data, end = decoder.raw_decode(page, m.end())
        end = page.index(",", end) + 1
        layout, _ = decoder.raw_decode(page, end + len(page[end:]) - len(page[end:].lstrip()))
        out[m.group(1)] = {"data": data, "layout": layout}
    return out
