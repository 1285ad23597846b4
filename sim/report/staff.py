"""The staffing report: agents, short and surplus by day and hour, targets, roster and bill."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import catalog
from sim.labels import Labels
from sim.report.data import Booked, ReportError, StaffingData, num
from sim.report.figures import (
    PALETTE,
    axes,
    axis_format,
    band,
    clip,
    hline,
    on,
    style,
    subplots,
)
from sim.report.labels import Text
from sim.report.page import (
    Fig,
    Plots,
    fmt,
    listed,
    note_html,
    page,
    plotly_text,
    round_array,
    rounded,
    section_html,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

SOURCES = ("in_house", "overtime", "temp", "cloud", "outsource")
"""The built-in sources of extra shifts, in the order the report lists them."""

SOURCE_COLORS = {
    "in_house": PALETTE[0],
    "overtime": PALETTE[1],
    "temp": PALETTE[2],
    "cloud": PALETTE[4],
    "outsource": PALETTE[5],
}
OTHER_COLORS = (PALETTE[6], PALETTE[7], PALETTE[8], PALETTE[9], PALETTE[3])
"""Colours of a user's own sources, in the order they first appear."""

MAX_BARS = 3000
"""The most booked shifts the roster chart draws (the first by start); the bill counts all."""

PATTERNS = ("", "/", ".", "x", "-", "|", "+", "\\")
"""Bar patterns telling the groups apart in the bill's chart (colour is the source's)."""

SHORT_COLOR = "#c0392b"
SURPLUS_COLOR = PALETTE[0]
NO_INTERVAL = "#e8e8e8"
"""The heatmaps' background: an hour without an interval (zero is white)."""
BAND_COLOR = "rgba(76,120,168,0.25)"


def _source_name(source: str, t: Text) -> str:
    """A source as the page names it: a built-in one translated, a user's own as written."""
    return t(f"source_{source}") if source in SOURCES else source


def _sources(roster: Sequence[Booked]) -> list[str]:
    """The roster's sources: built-in ones first in :data:`SOURCES` order, then a user's own."""
    seen = dict.fromkeys(b.source for b in roster)
    return [s for s in SOURCES if s in seen] + [s for s in seen if s not in SOURCES]


def _source_colors(sources: Sequence[str]) -> dict[str, str]:
    others = itertools.cycle(OTHER_COLORS)
    return {s: SOURCE_COLORS[s] if s in SOURCE_COLORS else next(others) for s in sources}


def _roster_groups(s: StaffingData, roster: Sequence[Booked]) -> list[str]:
    """The roster's groups: the plan's order first, then any other in file order."""
    seen = dict.fromkeys(b.group for b in roster)
    return [g for g in s.groups if g in seen] + [g for g in seen if g not in s.groups]


def _number(value: Any) -> float | None:
    """A JSON number as a float; None for anything else (booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _numbers(values: Mapping[Any, Any]) -> dict[str, float]:
    """A JSON object's number values by key as text; anything else left out."""
    return {str(k): x for k, v in values.items() if (x := _number(v)) is not None}


def _rounded(values: Sequence[float | None]) -> list[float | None]:
    """:func:`~sim.report.page.rounded` of a long series, on an array: the same numbers."""
    array = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    return listed(round_array(array))


def _level(s: StaffingData) -> str:
    """The fresh check's confidence as a percentage (99 when staffing.json has none)."""
    conf = _number(s.info.get("confidence"))
    return f"{100 * conf:g}" if conf is not None and 0 < conf < 1 else "99"


# --------------------------------------------------------------------------- cards


def _card(
    label: str,
    value: str,
    lines: Sequence[str] = (),
    *,
    good: bool | None = None,
    sub: str = "extra",
) -> str:
    """One card: ``label``, ``value`` and ``lines`` below it, all escaped here.

    ``good`` colours it (None: neither good nor bad); ``sub`` is the lines' class.
    """
    state = "" if good is None else (" good" if good else " bad")
    return (
        f'<div class="card{state}"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div>'
        f'<div class="{sub}">{"<br>".join(html.escape(x) for x in lines)}</div></div>'
    )


def _one_check(info: Mapping[str, object]) -> bool:
    """Whether the roster's check is the plan's own: one card for both, then.

    Since one simulation judges the plan as booked, the two entries of staffing.json are
    one check; older folders hold two (the plan alone, then the rota with its roster),
    and where those two agree in every figure, one card says all of both.
    """
    fresh, roster = info.get("fresh_check"), info.get("roster")
    check = roster.get("check") if isinstance(roster, dict) else None
    if not isinstance(fresh, dict) or not isinstance(check, dict):
        return False
    keys = ("seed", "replications", "judged", "met", "within_ci", "missed")
    return all(fresh.get(k) == check.get(k) for k in keys)


def _roster_check_card(s: StaffingData, t: Text) -> str:
    """The plan as booked (an older folder: the rota with its roster), on fresh seeds.

    Misses where no shift could be booked are said apart.
    """
    roster = s.info.get("roster")
    check = roster.get("check") if isinstance(roster, dict) else None
    if not isinstance(roster, dict) or not isinstance(check, dict):
        return ""
    more = []
    uncovered = _numbers(roster.get("uncovered_agent_hours") or {})
    hours = math.fsum(uncovered.values())
    left = _numbers(check.get("missed_uncovered") or {})
    if hours > 0:
        more.append(
            t("roster_uncovered", hours=fmt(hours, "decimal"), missed=f"{sum(left.values()):,.0f}")
        )
    where_covered = check.get("passed_where_covered")
    # an older folder's rota check had nobody where the roster could not book, so misses
    # there were no failure of the shifts; the plan as booked has the plan's agents there
    excused = where_covered is True and hours > 0 and not _one_check(s.info)
    good = check.get("passed") is True or excused
    return _fresh_card(s, t, check, "roster_check", good=good, more=more)


def _fresh_card(
    s: StaffingData,
    t: Text,
    fresh: object = None,
    label: str = "fresh_check",
    *,
    good: bool | None = None,
    more: Sequence[str] = (),
) -> str:
    """A fresh-seed check (the plan's by default): passed or not, per target how it fared."""
    fresh = s.info.get("fresh_check") if fresh is None else fresh
    if not isinstance(fresh, dict) or not isinstance(fresh.get("passed"), bool):
        return ""
    passed = fresh["passed"]
    level = _level(s)

    def count(key: str, target: str) -> int | None:
        counts = fresh.get(key)
        value = counts.get(target) if isinstance(counts, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    lines = []
    judged = fresh.get("judged")
    for target in judged if isinstance(judged, dict) else {}:
        n, met, within, missed = (
            count(k, target) for k in ("judged", "met", "within_ci", "missed")
        )
        if n is None or met is None or within is None or missed is None:
            continue
        if s.info.get("per_interval") is False:
            verdict = "fresh_met" if met else "fresh_within" if within else "fresh_missed"
            lines.append(t("fresh_run", target=target, verdict=t(verdict)))
        else:
            lines.append(
                t(
                    "fresh_target",
                    target=target,
                    met=f"{met:,}",
                    judged=f"{n:,}",
                    within=f"{within:,}",
                    missed=f"{missed:,}",
                    level=level,
                )
            )
    seed, reps = fresh.get("seed"), fresh.get("replications")
    rounds = fresh.get("rounds", fresh.get("bookings"))
    if all(isinstance(v, int) and not isinstance(v, bool) for v in (seed, rounds, reps)):
        lines.append(t("fresh_seed", seed=seed, rounds=rounds, n=reps))
    lines += more
    verdict = t("fresh_passed" if passed else "fresh_failed")
    return _card(t(label), verdict, lines, good=passed if good is None else good)


def _roster_card(s: StaffingData, t: Text) -> str:
    """What the booked extra shifts cost: staffing.json's figure, else roster.csv's sum."""
    info = s.info.get("roster")
    info = info if isinstance(info, dict) else {}
    total = _number(info.get("cost_yuan"))
    by_source: dict[str, float] = {}
    given = info.get("cost_yuan_by_source")
    if isinstance(given, dict):
        by_source = _numbers(given)
    if s.roster is not None and total is None:
        total = math.fsum(b.cost_yuan for b in s.roster)
        for source in _sources(s.roster):
            by_source[source] = math.fsum(b.cost_yuan for b in s.roster if b.source == source)
    if total is None:
        return ""
    extra = " · ".join(f"{_source_name(k, t)} {fmt(v, 'yuan')}" for k, v in by_source.items())
    return _card(f"{t('roster_cost')} · {t('total')}", fmt(total, "yuan"), [extra])


def _staff_cards(s: StaffingData, t: Text) -> str:
    info = s.info
    met = bool(info.get("met"))
    targets = " · ".join(str(x) for x in info.get("targets") or [])
    cards = [
        _card(
            t("target"),
            t("targets_met" if met else "targets_not_met"),
            [targets],
            good=met,
            sub="ci",
        ),
        *([] if _one_check(s.info) else [_fresh_card(s, t)]),
        _roster_check_card(s, t),
    ]
    for label, total, per_group, kind in (
        (
            "short_agent_hours",
            info.get("total_short_agent_hours"),
            info.get("short_agent_hours") or {},
            "decimal",
        ),
        (
            "surplus_agent_hours",
            info.get("total_surplus_agent_hours"),
            info.get("surplus_agent_hours") or {},
            "decimal",
        ),
        (
            "short_cost_yuan",
            info.get("total_short_cost_yuan"),
            info.get("short_cost_yuan") or {},
            "yuan",
        ),
    ):
        if not isinstance(total, int | float) or not isinstance(per_group, dict):
            continue
        extra = " · ".join(
            f"{t('group')} {t.name('group', str(g))} {fmt(float(v), kind)}"
            for g, v in per_group.items()
            if isinstance(v, int | float)
        )
        cards.append(_card(f"{t(label)} · {t('total')}", fmt(float(total), kind), [extra]))
    cards.append(_roster_card(s, t))
    for metric, value in (info.get("overall") or {}).items():
        if isinstance(value, int | float):
            shown = fmt(float(value), catalog.fmt_of(str(metric)))
            cards.append(_card(str(metric), shown, [t("overall_value")]))
    return f'<div class="cards">{"".join(cards)}</div>'


# --------------------------------------------------------------------------- agents


def _staff_agents_figure(s: StaffingData, t: Text) -> Fig | None:
    if not s.groups:
        return None
    n = len(s.groups)
    fig = subplots(
        n,
        1,
        titles=[f"{t('group')} {plotly_text(t.name('group', g))}" for g in s.groups],
        shared_x=True,
        v_spacing=0.08 if n > 1 else 0.0,
    )
    for k, g in enumerate(s.groups, start=1):
        rows = [r for r in s.rows if r["group"] == g]
        x = [r["interval_start"] for r in rows]
        for col, label, line in (
            ("required_agents", "required_agents", {"color": PALETTE[3], "width": 2}),
            ("scheduled_agents", "scheduled_agents", {"color": PALETTE[0], "dash": "dash"}),
        ):
            trace = {
                "legendgroup": label,
                "line": {**line, "shape": "hv"},
                "mode": "lines",
                "name": t(label),
                "showlegend": k == 1,
                "x": x,
                "y": _rounded([num(r[col]) for r in rows]),
                "type": "scatter",
            }
            fig["data"].append(on(trace, k))
        axes(fig, "y", [k], title={"text": t("axis_agents")}, rangemode="tozero")
    axes(fig, "x", tickformat="%m-%d %H:%M")
    axes(fig, "x", [n], title={"text": t("axis_time")})
    style(fig, 120 + 230 * n, hovermode="x unified")
    return fig


# --------------------------------------------------------------------------- day × hour


@dataclass
class HourGrid:
    """A group's short and surplus per local date and clock hour.

    ``short`` and ``surplus`` are agent-hours in the hour (agents × the part of each
    interval inside it, summed apart); ``peak_*`` the most agents short or of surplus in
    one interval overlapping it. Rows follow ``dates``; columns are hours 0–23; None where
    no interval overlaps the hour.
    """

    dates: list[str]
    short: list[list[float | None]] = field(default_factory=list)
    surplus: list[list[float | None]] = field(default_factory=list)
    peak_short: list[list[float | None]] = field(default_factory=list)
    peak_surplus: list[list[float | None]] = field(default_factory=list)


def _cell(row: Mapping[str, str | None], column: str) -> float | None:
    """A staffing.csv cell as a finite number, None when empty or absent."""
    text = row.get(column) or ""
    try:
        value = float(text) if text else None
    except ValueError:
        raise ReportError(f"staffing.csv: {column} {text[:40]!r} is not a number") from None
    return value if value is not None and math.isfinite(value) else None


def _short_surplus(s: StaffingData, row: Mapping[str, str | None]) -> tuple[float, float]:
    """An interval's agents short and of surplus (from required − scheduled in old folders)."""
    if s.apart:
        short, surplus = _cell(row, "short_agents"), _cell(row, "surplus_agents")
        if short is not None and surplus is not None:
            return max(short, 0.0), max(surplus, 0.0)
    required, scheduled = _cell(row, "required_agents"), _cell(row, "scheduled_agents")
    if required is None or scheduled is None:
        return 0.0, 0.0
    return max(required - scheduled, 0.0), max(scheduled - required, 0.0)


def _starts(s: StaffingData) -> tuple[dict[str, dt.datetime], dt.timedelta | None]:
    """Every interval start, parsed (local clock), and the interval length (None: one start)."""
    parsed: dict[str, dt.datetime] = {}
    for r in s.rows:
        text = r["interval_start"] or ""
        if text not in parsed:
            try:
                parsed[text] = dt.datetime.fromisoformat(text).replace(tzinfo=None)
            except ValueError:
                raise ReportError(
                    f"staffing.csv: interval_start {text[:40]!r} is not an ISO time"
                ) from None
    ordered = sorted(set(parsed.values()))
    step = min((b - a for a, b in itertools.pairwise(ordered)), default=None)
    if step is not None and step > dt.timedelta(days=1):  # no scenario's interval is longer
        raise ReportError("staffing.csv: its intervals are more than a day apart")
    return parsed, step


def hour_grids(s: StaffingData) -> dict[str, HourGrid]:
    """Each planned group's :class:`HourGrid`; none when the interval length is unknown."""
    parsed, step = _starts(s)
    if step is None:
        return {}
    hour = dt.timedelta(hours=1)
    # each interval's pieces, once for all groups: ((date, hour), part of an hour in it)
    pieces: dict[str, list[tuple[tuple[str, int], float]]] = {}
    for text, at in parsed.items():
        end, mine = at + step, []
        while at < end:
            cut = min(end, at.replace(minute=0, second=0, microsecond=0) + hour)
            mine.append(((at.date().isoformat(), at.hour), (cut - at) / hour))
            at = cut
        pieces[text] = mine
    # per group, (date, hour) → [short h, surplus h, peak short, peak surplus]
    by_group: dict[str, dict[tuple[str, int], list[float]]] = {g: {} for g in s.groups}
    for r in s.rows:
        cells = by_group[r["group"]]
        short, surplus = _short_surplus(s, r)
        for key, part in pieces[r["interval_start"] or ""]:
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = [0.0, 0.0, 0.0, 0.0]
            cell[0] += short * part
            cell[1] += surplus * part
            cell[2] = max(cell[2], short)
            cell[3] = max(cell[3], surplus)
    grids = {}
    for g, cells in by_group.items():
        grid = HourGrid(sorted({d for d, _ in cells}))
        row_of = {d: i for i, d in enumerate(grid.dates)}
        table = np.full((4, len(grid.dates), 24), np.nan)
        for (date, h), cell in cells.items():
            table[:, row_of[date], h] = cell
        for k, out in enumerate((grid.short, grid.surplus, grid.peak_short, grid.peak_surplus)):
            out += (listed(line) for line in round_array(table[k].ravel()).reshape(table[k].shape))
        grids[g] = grid
    return grids


def _heatmap_figure(s: StaffingData, t: Text) -> Fig | None:
    """Per group, agent-hours short (left) and of surplus (right) by local date and hour."""
    grids = hour_grids(s)
    if not grids:
        return None
    heights = [min(max(18 * len(g.dates), 160), 900) for g in grids.values()]
    gap = 70
    total = sum(heights) + gap * (len(heights) - 1)
    titles = []
    for g in grids:
        name = f"{t('group')} {plotly_text(t.name('group', g))}"
        titles += [f"{name} · {t('heat_short')}", f"{name} · {t('heat_surplus')}"]
    fig = subplots(
        len(grids),
        2,
        titles=titles,
        h_spacing=0.1,
        v_spacing=gap / total if len(grids) > 1 else 0.0,
        row_heights=[h / sum(heights) for h in heights],
    )
    unit = t("agent_hours")  # the catalog's word

    def hover(kind: str) -> str:
        return (
            f"{t('axis_day')} %{{y}} · {t('axis_hour')} %{{x}}<br>"
            f"{t(f'heat_{kind}')} · {unit} %{{z:.2f}}<br>"
            f"{t(f'peak_{kind}')} %{{customdata:.1f}}<extra></extra>"
        )

    top = {"short": 0.0, "surplus": 0.0}
    hours = list(range(24))
    for row, grid in enumerate(grids.values()):
        for col, kind, z, peak in (
            (1, "short", grid.short, grid.peak_short),
            (2, "surplus", grid.surplus, grid.peak_surplus),
        ):
            top[kind] = max([top[kind], *(v for line in z for v in line if v is not None)])
            heat = {
                "coloraxis": "coloraxis" if kind == "short" else "coloraxis2",
                "customdata": peak,
                "hovertemplate": hover(kind),
                "name": t(f"heat_{kind}"),
                "x": hours,
                "xgap": 1,
                "y": grid.dates,
                "ygap": 1,
                "z": z,
                "type": "heatmap",
            }
            fig["data"].append(on(heat, 2 * row + col))
        axes(fig, "y", [2 * row + 2], showticklabels=False)
    axes(fig, "y", type="category", autorange="reversed")
    axes(fig, "x", range=[-0.5, 23.5], dtick=2)
    axes(fig, "x", [2 * len(grids) - 1, 2 * len(grids)], title={"text": t("axis_hour")})

    def scale(color: str, peak: float, x: float) -> dict[str, Any]:
        return {
            "colorscale": [[0.0, "#ffffff"], [1.0, color]],
            "cmin": 0.0,
            "cmax": peak if peak > 0 else 1.0,
            "colorbar": {"title": {"text": unit}, "x": x, "xanchor": "left", "thickness": 12},
        }

    style(
        fig,
        100 + total,
        coloraxis=scale(SHORT_COLOR, top["short"], 0.455),
        coloraxis2=scale(SURPLUS_COLOR, top["surplus"], 1.01),
        plot_bgcolor=NO_INTERVAL,
    )
    return fig


# --------------------------------------------------------------------------- targets


def _staff_targets_figure(s: StaffingData, t: Text) -> Fig | None:
    if not s.metrics:
        return None
    n = len(s.metrics)
    fig = subplots(
        n,
        1,
        titles=[plotly_text(m) for m in s.metrics],
        shared_x=True,
        v_spacing=0.08 if n > 1 else 0.0,
    )
    shown = False
    for k, metric in enumerate(s.metrics, start=1):
        kind = catalog.fmt_of(metric)
        # the metric repeats on every group's row of an interval: the first with a value
        values: dict[str, tuple[float | None, float | None, float | None]] = {}
        for r in s.rows:
            if values.get(r["interval_start"], (None,))[0] is None:
                values[r["interval_start"]] = (
                    _cell(r, metric),
                    _cell(r, f"{metric}_low"),
                    _cell(r, f"{metric}_high"),
                )
        x = list(values)
        mean, lo, hi = ([v[i] for v in values.values()] for i in range(3))
        if kind == "share":
            lo, hi = clip(lo, 0.0, 1.0), clip(hi, 0.0, 1.0)
        if any(a is not None and b is not None for a, b in zip(lo, hi, strict=True)):
            ci = band(
                x,
                _rounded(lo),
                _rounded(hi),
                BAND_COLOR,
                t("ci_level", level=_level(s)),
                showlegend=not shown,
                legendgroup="ci",
            )
            fig["data"].append(on(ci, k))
            shown = True
        trace = {
            "line": {"color": PALETTE[0]},
            "marker": {"size": 4},
            "mode": "lines+markers",
            "name": plotly_text(metric),
            "showlegend": False,
            "x": x,
            "y": _rounded(mean),
            "type": "scatter",
        }
        fig["data"].append(on(trace, k))
        for target, op, level in s.targets:
            if target != metric:
                continue
            line = {"color": PALETTE[3], "dash": "dash", "width": 1.5}
            hline(fig, level, line, ids=[k])
            entry = {
                "line": line,
                "mode": "lines",
                "name": f"{t('target')} {op} {level:g}",
                "x": [None],
                "y": [None],
                "type": "scatter",
            }
            fig["data"].append(on(entry, k))
            shown = True
        axis_format(fig, kind, [k])
        if kind == "share":
            axes(fig, "y", [k], range=[0, 1.05])
    axes(fig, "x", tickformat="%m-%d %H:%M")
    axes(fig, "x", [n], title={"text": t("axis_time")})
    style(fig, 120 + 230 * n, showlegend=shown)
    return fig


def _has_band(s: StaffingData) -> bool:
    return any(f"{m}_low" in r and f"{m}_high" in r for m in s.metrics for r in s.rows[:1])


# --------------------------------------------------------------------------- roster


def _clock_text(b: Booked) -> str:
    """``HH:MM–HH:MM`` of a booked shift, ``(+1)`` when it ends on the next date."""
    days = (b.end.date() - b.start.date()).days
    return f"{b.start:%H:%M}–{b.end:%H:%M}" + (f" (+{days})" if days else "")


def _roster_figure(s: StaffingData, t: Text) -> Fig | None:
    """The first :data:`MAX_BARS` booked shifts as bars in time, a lane per group and source."""
    roster = s.roster or []
    if not roster:
        return None
    drawn = sorted(roster, key=lambda b: (b.start, b.end))[:MAX_BARS]
    groups, sources = _roster_groups(s, drawn), _sources(drawn)
    colors = _source_colors(sources)
    # overlapping shifts of one group and source go to lanes of their own
    lane_of: dict[int, str] = {}
    lanes: list[str] = []
    for g in groups:
        for source in sources:
            ends: list[dt.datetime] = []
            name = f"{plotly_text(t.name('group', g))} · {plotly_text(_source_name(source, t))}"
            for i, b in enumerate(drawn):
                if b.group != g or b.source != source:
                    continue
                k = next((k for k, end in enumerate(ends) if end <= b.start), len(ends))
                if k == len(ends):
                    ends.append(b.end)
                    lanes.append(name if k == 0 else f"{name} ({k + 1})")
                ends[k] = b.end
                lane_of[i] = name if k == 0 else f"{name} ({k + 1})"
    hover = (
        "%{customdata[0]} · %{customdata[1]}<br>%{customdata[2]} %{customdata[3]}<br>"
        f"{t('axis_agents')} %{{customdata[4]}} · {t('agent_hours')} %{{customdata[5]:.1f}}"
        "<br>¥%{customdata[6]:,.2f}<extra></extra>"
    )
    fig: Fig = {"data": [], "layout": {}}
    for source in sources:
        mine = [(i, b) for i, b in enumerate(drawn) if b.source == source]
        fig["data"].append(
            {
                "base": [b.start.isoformat() for _, b in mine],
                "customdata": [
                    [
                        plotly_text(t.name("group", b.group)),
                        plotly_text(_source_name(source, t)),
                        b.date,
                        _clock_text(b),
                        b.agents,
                        rounded([b.agent_hours])[0],
                        round(b.cost_yuan, 2),
                    ]
                    for _, b in mine
                ],
                "hovertemplate": hover,
                "insidetextanchor": "middle",
                "marker": {"color": colors[source]},
                "name": plotly_text(_source_name(source, t)),
                "orientation": "h",
                "text": [str(b.agents) for _, b in mine],
                "textposition": "inside",
                "x": [(b.end - b.start) // dt.timedelta(milliseconds=1) for _, b in mine],
                "y": [lane_of[i] for i, _ in mine],
                "type": "bar",
            }
        )
    axes(fig, "x", type="date", title={"text": t("axis_time")})
    axes(fig, "y", type="category", categoryorder="array", categoryarray=lanes)
    axes(fig, "y", autorange="reversed")
    style(fig, max(260, 140 + 26 * len(lanes)), barmode="overlay", bargap=0.25)
    return fig


@dataclass
class BillLine:
    """One line of the bill: a source and group (``group`` None: all groups)."""

    source: str
    group: str | None
    shifts: int
    agents: int
    agent_hours: float
    cost_yuan: float


def bill(s: StaffingData) -> list[BillLine]:
    """roster.csv's bookings summed by source and group.

    Per source also over all groups (``group`` None) when the roster has more than one
    group; last, the total (``source`` empty, ``group`` None).
    """
    roster = s.roster or []

    def line(source: str, group: str | None, rows: list[Booked]) -> BillLine:
        return BillLine(
            source,
            group,
            len(rows),
            sum(b.agents for b in rows),
            math.fsum(b.agent_hours for b in rows),
            math.fsum(b.cost_yuan for b in rows),
        )

    groups = _roster_groups(s, roster)
    out = []
    for source in _sources(roster):
        for g in groups:
            rows = [b for b in roster if b.source == source and b.group == g]
            if rows:
                out.append(line(source, g, rows))
        if len(groups) > 1:
            out.append(line(source, None, [b for b in roster if b.source == source]))
    out.append(line("", None, list(roster)))
    return out


def _bill_html(s: StaffingData, t: Text) -> str:
    """The bill as a table, with its note, staffing.json's paid hours and any mismatch."""
    head = [t("source"), t("group"), t("bill_shifts"), t("bill_agents"), t("bill_hours")]
    head += [t("bill_cost"), t("bill_rate")]
    body = []
    lines = bill(s)
    for n, b in enumerate(lines):
        last = n == len(lines) - 1
        source = t("total") if last else _source_name(b.source, t)
        group = "" if last else t.name("group", b.group) if b.group is not None else t("all_groups")
        rate = b.cost_yuan / b.agent_hours if b.agent_hours > 0 else None
        cells = [
            f"<td>{html.escape(source)}</td><td>{html.escape(group)}</td>",
            *(
                f'<td class="num">{html.escape(fmt(v, kind))}</td>'
                for v, kind in (
                    (b.shifts, "count"),
                    (b.agents, "count"),
                    (b.agent_hours, "decimal"),
                    (b.cost_yuan, "yuan_cents"),
                    (rate, "yuan_cents"),
                )
            ),
        ]
        strong = last or b.group is None
        row = "".join(cells)
        body.append(f'<tr style="font-weight:600">{row}</tr>' if strong else f"<tr>{row}</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    notes = [note_html(t("bill_note"))]
    info = s.info.get("roster")
    info = info if isinstance(info, dict) else {}
    paid = info.get("agent_hours_by_source")
    if isinstance(paid, dict) and paid:
        hours = " · ".join(
            f"{_source_name(str(k), t)} {fmt(v, 'decimal')}" for k, v in _numbers(paid).items()
        )
        notes.append(note_html(t("bill_paid", hours=hours)))
    given, summed = _number(info.get("cost_yuan")), lines[-1].cost_yuan
    # roster.csv writes each cost to the cent: its rows may round apart by half a cent each
    if given is not None and abs(given - summed) > 0.005 * (lines[-1].shifts + 1):
        notes.append(
            note_html(
                t("bill_mismatch", json=fmt(given, "yuan_cents"), csv=fmt(summed, "yuan_cents"))
            )
        )
    return (
        "".join(notes)
        + f'<table class="glossary"><thead><tr>{header}</tr></thead>'
        + f"<tbody>{''.join(body)}</tbody></table>"
    )


def _bill_figure(s: StaffingData, t: Text) -> Fig | None:
    """The cost by source, in the roster chart's source colours; groups stacked, patterned."""
    lines = [b for b in bill(s)[:-1] if b.group is not None]
    if not lines:
        return None
    sources = list(dict.fromkeys(b.source for b in lines))
    colors = _source_colors(sources)
    names = [plotly_text(_source_name(x, t)) for x in sources]
    groups = list(dict.fromkeys(b.group for b in lines))
    fig: Fig = {"data": [], "layout": {}}
    for k, g in enumerate(groups):
        mine = {b.source: b for b in lines if b.group == g}
        group = f"{t('group')} {plotly_text(t.name('group', str(g)))}"
        fig["data"].append(
            {
                "customdata": [
                    rounded([mine[x].agent_hours])[0] if x in mine else None for x in sources
                ],
                "hovertemplate": (
                    f"%{{x}} · {group}<br>¥%{{y:,.2f}} · "
                    f"{t('agent_hours')} %{{customdata:.1f}}<extra></extra>"
                ),
                "marker": {
                    "color": [colors[x] for x in sources],
                    "line": {"color": "#ffffff", "width": 1},
                    "pattern": {"shape": PATTERNS[k % len(PATTERNS)]},
                },
                "name": group,
                "x": names,
                "y": [round(mine[x].cost_yuan, 2) if x in mine else None for x in sources],
                "type": "bar",
            }
        )
    axes(fig, "y", title={"text": t("axis_cost")}, tickprefix="¥", tickformat=",.0f")
    style(fig, 360, barmode="stack", showlegend=len(groups) > 1)
    return fig


def _roster_sections(s: StaffingData, t: Text, plot: Plots) -> list[str]:
    """The roster chart and the bill; a note when the folder has no roster."""
    if s.roster is None:
        return [section_html("roster", t("sec_staff_roster"), note_html(t("no_roster")))]
    if not s.roster:
        return [section_html("roster", t("sec_staff_roster"), note_html(t("roster_empty")))]
    notes = note_html(t("roster_note"))
    if len(s.roster) > MAX_BARS:
        notes += note_html(t("roster_capped", shown=f"{MAX_BARS:,}", total=f"{len(s.roster):,}"))
    return [
        section_html(
            "roster", t("sec_staff_roster"), notes + plot(_roster_figure(s, t), "fig-staff-roster")
        ),
        section_html(
            "bill",
            t("sec_staff_bill"),
            _bill_html(s, t) + plot(_bill_figure(s, t), "fig-staff-bill"),
        ),
    ]


def build_with_labels(
    folder: Path, lang: str, figures: dict[str, go.Figure] | None = None
) -> tuple[str, set[str]]:
    """The staffing page and the label keys it used."""
    t = Text(lang)
    s = StaffingData(folder)
    t.names = Labels(lang, s.scenario)
    plot = Plots(t, figures)
    targets_note = note_html(t("targets_note", level=_level(s))) if _has_band(s) else ""
    body = [
        section_html("extra", t("sec_staff_cards"), _staff_cards(s, t)),
        section_html(
            "agents",
            t("sec_staff_agents"),
            note_html(t("staff_note")) + plot(_staff_agents_figure(s, t), "fig-staff-agents"),
        ),
        section_html(
            "heatmap",
            t("sec_staff_heatmap"),
            note_html(t("heatmap_note")) + plot(_heatmap_figure(s, t), "fig-staff-heatmap"),
        ),
        section_html(
            "targets",
            t("sec_staff_targets"),
            targets_note + plot(_staff_targets_figure(s, t), "fig-staff-targets"),
        ),
        *_roster_sections(s, t, plot),
    ]
    info = s.info
    meta = " · ".join(
        [str(info.get("name", "")), f"{t('config_hash')} {str(info.get('config_hash', ''))[:12]}"]
    )
    title = f"{info['name']} · {t('staff_title')}" if info.get("name") else t("staff_title")
    return page(title, meta, [], body, t), t.used


def build_staff_report(
    folder: Path, lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The self-contained HTML report of a ``promosim staff`` folder.

    Built from ``staffing.csv`` and ``staffing.json`` (and ``roster.csv`` when the folder
    has one): required against scheduled agents per interval and group, short and surplus
    agent-hours by local date and hour, the target metrics per interval with their fresh-seed
    CI and targets, the fresh-seed check, the extra agent-hours and their cost, and the booked
    extra shifts by source with their bill.

    Raises:
        ReportError: ``folder`` is not a readable staffing folder, or ``lang`` is unknown.
    """
    return build_with_labels(folder, lang, figures)[0]
