"""The run report: one self-contained page built only from a run folder's files.

``promosim report RUN_DIR`` rewrites exactly what ``promosim run`` wrote: headline cards
(:data:`sim.catalog.HEADLINE`), the desk by channel, the platform KPIs (runs with platform
rules: :mod:`.kpis`), contacts by reason, interval figures per channel, occupancy,
abandonment, pre-sale inquiries by day and sales lost by hour (runs with pre-sale inquiries
or a bot only), satisfaction, the money waterfall and the glossary.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sim import catalog
from sim.config import Economics
from sim.economics import modelled_parts
from sim.labels import Labels
from sim.report import kpis
from sim.report.data import RunData, num, read_run
from sim.report.figures import (
    LIGHT,
    PALETTE,
    YL_OR_RD,
    axes,
    band,
    clip,
    error_bars,
    hline,
    legend_on_top,
    merge,
    on,
    style,
    subplots,
)
from sim.report.labels import Text
from sim.report.page import (
    Fig,
    Plots,
    ci_cell,
    fmt,
    listed,
    page,
    round_array,
    rounded,
    signed,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go


def _ci_text(stat: Mapping[str, Any], kind: str, t: Text) -> str:
    ci = stat.get("ci95")
    if not ci:
        return ""
    return f"{t('ci95')} [{fmt(ci[0], kind)}, {fmt(ci[1], kind)}]"


def _card(label: str, main: Mapping[str, Any], kind: str, extra: str, t: Text) -> str:
    return (
        '<div class="card">'
        f'<div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(fmt(main["mean"], kind))}</div>'
        f'<div class="ci">{html.escape(_ci_text(main, kind, t))}</div>'
        f'<div class="extra">{extra}</div>'
        "</div>"
    )


def _absent_card(label: str, t: Text) -> str:
    """A headline metric the run does not have, and why."""
    return (
        '<div class="card absent">'
        f'<div class="label">{html.escape(label)}</div>'
        '<div class="value">–</div>'
        f'<div class="extra">{html.escape(t("absent_card"))}</div>'
        "</div>"
    )


def _partial(run: RunData, stat: Mapping[str, Any], t: Text) -> str:
    """A note when a metric exists in only some replications (HTML, may be empty)."""
    n, m = stat.get("n"), run.summary.get("replications")
    if isinstance(n, int) and isinstance(m, int) and n < m:
        return f"<div>{html.escape(t('partial_card', n=n, m=m))}</div>"
    return ""


EFFECT_ONLY = frozenset({"net_impact_yuan", "hard_net_impact_yuan"})
"""Headline metrics of a promotion's effect only (promotion − baseline)."""


def _modelled_note(run: RunData, key: str, t: Text) -> str:
    """Under the net impact: how much of it is modelled costs (HTML, may be empty)."""
    modelled = run.stat("effect", "modelled_cost_yuan")
    if key != "net_impact_yuan" or modelled is None:
        return ""
    text = f"{t('modelled_cost_yuan')} {signed(modelled['mean'], 'yuan')} ({t('see_net_split')})"
    return html.escape(text)


def _cards(run: RunData, t: Text) -> str:
    """The headline cards (:data:`sim.catalog.HEADLINE`), by view."""
    parts = []
    for view in catalog.VIEWS:
        items = []
        for key in catalog.HEADLINE:
            m = catalog.lookup(key)
            if m is None or m.view != view:
                continue
            label, kind = m.key, m.fmt
            if key in EFFECT_ONLY:  # the effect of a promotion: no card without one
                if not run.promo:
                    continue
                eff = run.stat("effect", key)
                if eff is not None:
                    items.append(_card(t(label), eff, kind, _modelled_note(run, key, t), t))
                continue
            main = run.stat("metrics", key)
            if main is None:
                items.append(_absent_card(t(label), t))
                continue
            extra = _partial(run, main, t)
            if run.promo:
                base, eff = run.stat("baseline", key), run.stat("effect", key)
                bits = []
                if base is not None:
                    bits.append(f"{t('arm_baseline')} {fmt(base['mean'], kind)}")
                if eff is not None:
                    bits.append(f"{t('arm_effect')} {signed(eff['mean'], kind)}")
                    ci = eff.get("ci95")
                    if ci:
                        bits[-1] += f" [{fmt(ci[0], kind)}, {fmt(ci[1], kind)}]"
                extra += html.escape(" · ".join(bits))
            items.append(_card(t(label), main, kind, extra, t))
        body = "".join(items) or f'<p class="note">{html.escape(t("not_available"))}</p>'
        parts.append(f'<h3>{html.escape(t(f"view_{view}"))}</h3><div class="cards">{body}</div>')
    return "".join(parts)


def _channel_table(run: RunData, t: Text) -> str:
    """The desk by channel (:data:`sim.catalog.CHANNEL_TABLE`), each row with its denominator.

    Mean and 95% CI per channel and for all; a row no channel has is left out.
    """
    channels = [*run.channels, "all"] if len(run.channels) > 1 else list(run.channels)
    head = "".join(f"<th>{html.escape(t.name('channel', c))}</th>" for c in channels)
    rows = []
    for key in catalog.CHANNEL_TABLE:
        m = catalog.CATALOG[key]
        cells = []
        for c in channels:
            stat = run.stat("metrics", f"{c}.{key}")
            if stat is None:
                cells.append("<td>–</td>")
                continue
            text = fmt(stat["mean"], m.fmt)
            ci = stat.get("ci95")
            if ci:
                text += f" [{fmt(ci[0], m.fmt)}, {fmt(ci[1], m.fmt)}]"
            cells.append(f"<td>{html.escape(text)}</td>")
        if all(cell == "<td>–</td>" for cell in cells):
            continue
        denominator = m.denominator or t("channel_table_count")
        rows.append(
            f"<tr><th>{html.escape(t(key))}</th>{''.join(cells)}"
            f"<td>{html.escape(denominator)}</td></tr>"
        )
    return (
        f'<p class="note">{html.escape(t("channel_table_note"))}</p>'
        f'<table class="channels"><thead><tr><th>{html.escape(t("glossary_metric"))}</th>'
        f"{head}<th>{html.escape(t('channel_table_denominator'))}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _contacts_figure(run: RunData, t: Text) -> Fig | None:
    rows = [r for r in run.daily if r["series"].startswith("contacts.")]
    if not rows:
        return None
    reasons = list(dict.fromkeys(r["series"].removeprefix("contacts.") for r in rows))
    days = run.days

    def series(key: str, arm: str, col: str = "mean") -> list[float | None]:
        return _daily(run, key, arm)[1][col]

    data: list[dict[str, Any]] = []
    stack_arm = "baseline" if run.promo else "scenario"
    for i, reason in enumerate(reasons):
        color = PALETTE[i % len(PALETTE)]
        label = t.name("reason", reason)
        name = label if not run.promo else f"{label} · {t('arm_baseline')}"
        data.append(
            {
                "type": "bar",
                "x": days,
                "y": series(f"contacts.{reason}", stack_arm),
                "name": name,
                "legendgroup": reason,
                "marker": {"color": color},
            }
        )
    if run.promo:
        for i, reason in enumerate(reasons):
            y = series(f"contacts.{reason}", "effect")
            if not any(v for v in y):
                continue
            data.append(
                {
                    "type": "bar",
                    "x": days,
                    "y": y,
                    "name": f"{t.name('reason', reason)} · {t('promo_caused')}",
                    "legendgroup": reason,
                    "marker": {
                        "color": PALETTE[i % len(PALETTE)],
                        "pattern": {"shape": "/", "fgcolor": "white", "solidity": 0.4},
                    },
                }
            )
    mean = series("contacts", run.main_arm)
    lo = series("contacts", run.main_arm, "ci95_lo")
    hi = series("contacts", run.main_arm, "ci95_hi")
    up = [None if m is None or h is None else h - m for m, h in zip(mean, hi, strict=True)]
    down = [None if m is None or w is None else m - w for m, w in zip(mean, lo, strict=True)]
    data.append(
        {
            "type": "scatter",
            "x": days,
            "y": mean,
            "mode": "markers",
            "name": f"{t('total_contacts')} ({t('ci95')})",
            "marker": {"color": "#222", "size": 6, "symbol": "diamond"},
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": up,
                "arrayminus": down,
                "color": "#222",
            },
        }
    )
    fig: Fig = {"data": data, "layout": {}}
    style(fig, 460, barmode="relative", bargap=0.15)
    axes(fig, "x", title={"text": t("axis_day")}, tickformat="%m-%d")
    axes(fig, "y", title={"text": t("axis_contacts")})
    return fig


def _interval_column(
    run: RunData, arm: str, channel: str, column: str, upper: float | None = -1.0
) -> list[float | None]:
    """One column of a channel's intervals, rounded (:func:`rounded`); ``None``: no value.

    ``upper``: unless -1, the values are held to [0, ``upper``] (None: no upper bound), as
    :func:`clip` holds a CI's bounds to the possible range.
    """
    s = run.intervals.series.get((arm, channel))
    if s is None:
        return []
    values = round_array(s.values(column))
    if upper != -1.0:
        values = np.clip(values, 0.0, np.inf if upper is None else upper)
    return listed(values)


def _starts(run: RunData, arm: str, channel: str) -> list[str]:
    s = run.intervals.series.get((arm, channel))
    return [] if s is None else s.starts


_NAIVE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _times(x: Sequence[str], n: int) -> dict[str, Any]:
    """A line's times as plotly's ``x0`` and ``dx`` if they are evenly spaced, else as ``x``.

    plotly.js places point ``i`` at ``x0 + i·dx`` (``dx`` in ms on a date axis), exactly where
    the time strings put it, so the figure is the same; the page no longer repeats a
    22-byte string per point (0.4 MB a line for a year of 30-minute intervals). ``n`` is the
    line's number of points: any other count, or any time not a naive ISO time to the
    second, keeps ``x``.
    """
    if n != len(x) or n < 2:
        return {"x": x}
    step = _step(tuple(x))
    return {"x": x} if step is None else {"x0": x[0], "dx": step}


@functools.lru_cache(maxsize=16)
def _step(x: tuple[str, ...]) -> int | None:
    """The step of evenly spaced naive ISO times, ms; None if they are not (:func:`_times`).

    Remembered: a channel's lines in four figures share their times.
    """
    if not all(_NAIVE_TIME.fullmatch(v) for v in x):
        return None
    times = [dt.datetime.fromisoformat(v) for v in x]
    step = times[1] - times[0]
    if step <= dt.timedelta(0) or any(b - a != step for a, b in itertools.pairwise(times)):
        return None
    return step // dt.timedelta(milliseconds=1)


DAILY_FROM_DAYS = 31
"""A run of more days draws its interval and hourly figures by day, every interval (or hour)
one click away on the figure's buttons: a year of 30-minute intervals is 17,520 points a
line, far more than a screen shows."""

DAY_WEIGHTS = {"service_level": "offered", "asa_seconds": "answered"}
"""A day's mean of a ratio's interval values is weighted by the ratio's denominator."""

_DAY_MS = 86_400_000
_BY_DAY = {"xperiod": _DAY_MS, "xperiodalignment": "middle"}
"""A date's value drawn at the middle of its day, where that day's intervals are."""

CI_FILL = "rgba(76,120,168,0.25)"
RANGE_FILL = "rgba(76,120,168,0.15)"
REFERENCE = {"color": "#e45756", "dash": "dash", "width": 1}


def _by_day(
    starts: Sequence[str],
    values: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
) -> tuple[list[str], list[float | None], list[float | None], list[float | None]]:
    """Each date's mean of the values at its times, and the lowest and highest of them.

    Dates in order; NaN is no value. ``weights`` (a ratio's denominators, per time) weight
    the mean; a date without a value (or, weighted, without weight) has None.
    """
    days, which = np.unique(np.array([s[:10] for s in starts]), return_inverse=True)
    n = len(days)
    present = ~np.isnan(values)
    w = present.astype(np.float64)
    if weights is not None:
        w = np.where(present & (weights > 0), weights, 0.0)
    total = np.bincount(which, weights=w, minlength=n)
    sums = np.bincount(which, weights=np.where(w > 0, values, 0.0) * w, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(total > 0, sums / total, np.nan)
    lows, highs = np.full(n, np.inf), np.full(n, -np.inf)
    np.fmin.at(lows, which, values)  # fmin and fmax pass over NaN
    np.fmax.at(highs, which, values)
    lows[np.isinf(lows)] = np.nan
    highs[np.isinf(highs)] = np.nan
    return (
        [str(d) for d in days],
        listed(round_array(means)),
        listed(round_array(lows)),
        listed(round_array(highs)),
    )


def _line(
    x: Sequence[str], y: Sequence[float | None], line: Mapping[str, Any], name: str, **more: Any
) -> dict[str, Any]:
    """A line over times, given as ``x0``/``dx`` where evenly spaced (:func:`_times`)."""
    return {
        "type": "scatter",
        **_times(x, len(y)),
        "y": y,
        "mode": "lines",
        "line": dict(line),
        "name": name,
        **more,
    }


def _day_lines(
    run: RunData, t: Text, channel: str, metric: str, first: bool
) -> list[dict[str, Any]]:
    """A channel's interval metric by day.

    The range of the main arm's intervals of each day, its days' means
    (:data:`DAY_WEIGHTS`) and the baseline's.
    """
    arms = [run.main_arm, "baseline"] if run.promo else [run.main_arm]
    out = []
    for arm in arms:
        s = run.intervals.series.get((arm, channel))
        if s is None:
            continue
        weight = DAY_WEIGHTS.get(metric)
        days, mean, low, high = _by_day(
            s.starts, s.values(metric), s.values(weight) if weight else None
        )
        if arm == run.main_arm:
            out.append(
                band(
                    days,
                    low,
                    high,
                    RANGE_FILL,
                    t("day_range"),
                    showlegend=first,
                    legendgroup="range",
                    **_BY_DAY,
                )
            )
            line = {"color": PALETTE[0], "width": 1.5}
            name, group = t(f"arm_{arm}"), "main"
        else:
            line = {"color": "#888", "width": 1, "dash": "dot"}
            name, group = t("arm_baseline"), "base"
        out.append(
            {
                "type": "scatter",
                "x": days,
                "y": mean,
                "mode": "lines",
                "line": line,
                "name": name,
                "showlegend": first,
                "legendgroup": group,
                **_BY_DAY,
            }
        )
    return out


def _views(
    fig: Fig,
    views: Sequence[bool | None],
    t: Text,
    detail: str,
    day_layout: Mapping[str, Any],
    detail_layout: Mapping[str, Any],
) -> None:
    """Buttons between a figure drawn by day (shown first) and its detail.

    ``views``: per trace, True for the days only, False for the detail only, None for both;
    ``detail``: the detail button's label key; the layouts: what each view changes.
    """
    day = [v is not False for v in views]
    fine = [v is not True for v in views]
    for trace, shown in zip(fig["data"], day, strict=True):
        if not shown:
            trace["visible"] = False
    fig["layout"]["updatemenus"] = [
        {
            "type": "buttons",
            "direction": "left",
            "active": 0,
            "showactive": True,
            "x": 1,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
            "pad": {"t": 0, "r": 0},
            "buttons": [
                {
                    "label": t("view_by_day"),
                    "method": "update",
                    "args": [{"visible": day}, dict(day_layout)],
                },
                {
                    "label": t(detail),
                    "method": "update",
                    "args": [{"visible": fine}, dict(detail_layout)],
                },
            ],
        }
    ]


def _interval_figure(
    run: RunData, t: Text, metric: str, axis: str, upper: float | None, reference: bool
) -> Fig | None:
    channels = [c for c in run.channels if c in run.intervals.channels]
    if not channels:
        return None
    thresholds = {
        c: (run.scenario["channels"][c] or {}).get("service_level_seconds") for c in channels
    }

    def title(c: str) -> str:
        s = thresholds[c]
        if metric == "service_level" and isinstance(s, int | float):
            return f"{t.name('channel', c)} · {t('sl_threshold', s=f'{s:g}')}"
        return t.name("channel", c)

    fig = subplots(
        len(channels),
        1,
        titles=[title(c) for c in channels],
        shared_x=True,
        v_spacing=0.08 if len(channels) > 1 else 0.0,
    )
    by_day = run.intervals.n_days > DAILY_FROM_DAYS
    views: list[bool | None] = []
    arm_name = t(f"arm_{run.main_arm}")
    for row, c in enumerate(channels, start=1):
        first = row == 1
        if by_day:
            days = _day_lines(run, t, c, metric, first)
            fig["data"] += [on(tr, row) for tr in days]
            views += [True] * len(days)
        x = _starts(run, run.main_arm, c)
        lo, hi = (
            _interval_column(run, run.main_arm, c, f"{metric}_ci95_{end}", upper)
            for end in ("lo", "hi")
        )
        traces = [
            band(
                x,
                lo,
                hi,
                CI_FILL,
                t("ci95"),
                showlegend=first,
                legendgroup="ci",
            ),
            _line(
                x,
                _interval_column(run, run.main_arm, c, metric),
                {"color": PALETTE[0], "width": 1.5},
                arm_name,
                showlegend=first,
                legendgroup="main",
            ),
        ]
        if run.promo:
            traces.append(
                _line(
                    x,
                    _interval_column(run, "baseline", c, metric),
                    {"color": "#888", "width": 1, "dash": "dot"},
                    t("arm_baseline"),
                    showlegend=first,
                    legendgroup="base",
                )
            )
        fig["data"] += [on(tr, row) for tr in traces]
        views += [False if by_day else None] * len(traces)
        axes(fig, "y", [row], title={"text": t(axis)})
        if metric == "service_level":
            axes(fig, "y", [row], tickformat=".0%", range=[0, 1.05])
    if reference:
        hline(fig, 0.8, REFERENCE, len(channels))
        fig["data"].append(
            on(
                {
                    "type": "scatter",
                    "x": [None],
                    "y": [None],
                    "mode": "lines",
                    "line": dict(REFERENCE),
                    "name": t("sl_reference"),
                },
                1,
            )
        )
        views.append(None)
    times = "%m-%d %H:%M"
    axes(fig, "x", tickformat="%m-%d" if by_day else times)
    axes(fig, "x", [len(channels)], title={"text": t("axis_time")})
    style(fig, 120 + 230 * len(channels), hovermode="x unified")
    if by_day:
        names = [k for k in fig["layout"] if k.startswith("xaxis")]
        _views(
            fig,
            views,
            t,
            "view_intervals",
            {f"{k}.tickformat": "%m-%d" for k in names},
            {f"{k}.tickformat": times for k in names},
        )
    return fig


def _occupancy_figure(run: RunData, t: Text) -> Fig | None:
    groups = [c for a, c in run.intervals.series if c.startswith("group.") and a == run.main_arm]
    if not groups:
        return None
    fig = subplots(
        1,
        len(groups),
        titles=[f"{t('group')} {t.name('group', g.removeprefix('group.'))}" for g in groups],
        shared_y=True,
        h_spacing=0.03,
    )
    long = run.intervals.n_days > DAILY_FROM_DAYS
    for col, g in enumerate(groups, start=1):
        cells: dict[tuple[str, int], list[float]] = {}
        series = run.intervals.series[run.main_arm, g]
        for start, occupancy in zip(series.starts, series.column("occupancy"), strict=True):
            if occupancy is None:
                continue
            day, clock = start.split("T")
            cells.setdefault((day, int(clock[:2])), []).append(occupancy)
        days = sorted({d for d, _ in cells})
        hours = sorted({h for _, h in cells})
        z = [
            rounded(
                [
                    sum(cells[(d, h)]) / len(cells[(d, h)]) if (d, h) in cells else None
                    for h in hours
                ],
                3,
            )
            for d in days
        ]
        heat = {
            "type": "heatmap",
            "x": hours,
            "y": days,
            "z": z,
            "zmin": 0,
            "zmax": 1,
            "colorscale": YL_OR_RD,
            "showscale": col == 1,
            "colorbar": {"tickformat": ".0%", "title": {"text": t("occupancy")}},
            "hovertemplate": "%{y|%Y-%m-%d} %{x}:00 · %{z:.0%}<extra></extra>"
            if long
            else "%{y} %{x}:00 · %{z:.0%}<extra></extra>",
        }
        fig["data"].append(on(heat, col))
        axes(fig, "x", [col], title={"text": t("axis_hour")}, dtick=3, range=[-0.5, 23.5])
    # a row a day; over a long run the days are a date axis, not a label per row
    axes(fig, "y", type="date" if long else "category", autorange="reversed")
    axes(fig, "y", [1], title={"text": t("axis_day")})
    style(fig, max(260, 140 + 22 * min(run.intervals.n_days, DAILY_FROM_DAYS)))
    return fig


WATERFALL_STEPS = catalog.WATERFALL


def _net_split(run: RunData, t: Text) -> str:
    """The net in two parts (:data:`sim.catalog.NET_SPLIT`) per arm, with what each rests on.

    A modelled cost's parameters (value and grade) from the folder's resolved scenario; empty
    for a folder written before the split.
    """
    arms = ["metrics", "baseline", "effect"] if run.promo else ["metrics"]
    if run.stat("metrics", "hard_net_yuan") is None:
        return ""
    try:
        e = Economics.model_validate((run.scenario or {}).get("economics") or {})
    except ValueError:
        e = Economics()
    rests = {
        p.key: ", ".join(
            catalog.assumption_text(a.field, a.value, a.grade, t.lang) for a in p.assumptions
        )
        for p in modelled_parts(e)
    }
    names = {"metrics": run.main_arm, "baseline": "baseline", "effect": "effect"}
    head = "".join(f"<th>{html.escape(t(f'arm_{names[a]}'))}</th>" for a in arms)
    rows = []
    for key in catalog.NET_SPLIT:
        cells = []
        for a in arms:
            stat = run.stat(a, key)
            if stat is None:
                cells.append("<td>–</td>")
                continue
            text = (signed if a == "effect" else fmt)(stat["mean"], "yuan")
            ci = stat.get("ci95")
            if ci:
                text += f" [{fmt(ci[0], 'yuan')}, {fmt(ci[1], 'yuan')}]"
            cells.append(f"<td>{html.escape(text)}</td>")
        rest = rests.get(key, t("net_split_paid") if key == "hard_net_yuan" else "")
        label = t(key) if key in ("hard_net_yuan", "net_yuan") else "− " + t(key)
        if key == "modelled_cost_yuan":
            label = "= " + t(key)
        rows.append(
            f"<tr><th>{html.escape(label)}</th>{''.join(cells)}<td>{html.escape(rest)}</td></tr>"
        )
    return (
        f'<p class="note">{html.escape(t("net_split_note"))}</p>'
        f'<table class="channels"><thead><tr><th>{html.escape(t("glossary_metric"))}</th>'
        f"{head}<th>{html.escape(t('net_split_rests_on'))}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _waterfall_figure(run: RunData, t: Text) -> Fig | None:
    """Gross profit to net; split at the hard net where the folder has it.

    The hard steps (:data:`sim.catalog.WATERFALL_HARD`) lead to the hard net, a total; the
    modelled costs (:data:`sim.catalog.WATERFALL_MODELLED`) from there to the net. A folder
    written before the split has the steps of :data:`sim.catalog.WATERFALL`.
    """
    if run.promo:
        arm, start, hard, end = (
            "effect",
            "promo_gross_profit_yuan",
            "hard_net_impact_yuan",
            "net_impact_yuan",
        )
    else:
        arm, start, hard, end = "metrics", "gross_profit_yuan", "hard_net_yuan", "net_yuan"
    if run.stat(arm, start) is None or run.stat(arm, end) is None:
        return None
    split = run.stat(arm, hard) is not None
    steps: list[tuple[str, str]] = [(start, "absolute")]
    if split:
        steps += [(k, "relative") for k in catalog.WATERFALL_HARD if run.stat(arm, k)]
        steps.append((hard, "total"))
        steps += [(k, "relative") for k in catalog.WATERFALL_MODELLED if run.stat(arm, k)]
    else:
        steps += [(k, "relative") for k in WATERFALL_STEPS]
    steps.append((end, "total"))
    keys = [k for k, _ in steps]
    stats = {k: run.stat(arm, k) for k in keys}
    values = [0.0 if stats[k] is None else float(stats[k]["mean"]) for k in keys]  # type: ignore[index]
    y = [v if m != "relative" else -v for v, (_, m) in zip(values, steps, strict=True)]
    fall = {
        "type": "waterfall",
        "x": [t(k) for k in keys],
        "y": rounded(y, 8),
        "measure": [m for _, m in steps],
        "text": [fmt(v, "yuan") for v in y],
        "textposition": "outside",
        "connector": {"line": {"color": "#aaa"}},
        "increasing": {"marker": {"color": PALETTE[2]}},
        "decreasing": {"marker": {"color": PALETTE[3]}},
        "totals": {"marker": {"color": PALETTE[0]}},
        "cliponaxis": False,
    }
    fig: Fig = {"data": [fall], "layout": {}}
    style(fig, 420, showlegend=False)
    axes(fig, "y", title={"text": t("axis_yuan")}, tickprefix="¥", tickformat=",.0f")
    return fig


def _daily(run: RunData, key: str, arm: str) -> tuple[list[str], dict[str, list[float | None]]]:
    """Days and the ``mean``, ``ci95_lo``, ``ci95_hi`` columns of one daily series."""
    rows = [run.daily_rows.get((d, key, arm)) for d in run.days]
    cols = {
        c: rounded([num(row[c]) if row else None for row in rows])
        for c in ("mean", "ci95_lo", "ci95_hi")
    }
    return run.days, cols


def _abandonment_figure(run: RunData, t: Text) -> Fig | None:
    if not any(r["series"] == "abandoned" for r in run.daily):
        return None
    fig = subplots(1, 1, secondary_y=True)
    arms = [run.main_arm, "baseline"] if run.promo else [run.main_arm]
    for k, series in enumerate(("abandoned", "redials")):
        for arm in arms:
            days, col = _daily(run, series, arm)
            if all(v is None for v in col["mean"]):
                continue
            name = t(series) + (f" · {t(f'arm_{arm}')}" if run.promo else "")
            bar = {
                "type": "bar",
                "x": days,
                "y": col["mean"],
                "name": name,
                "marker": {"color": PALETTE[3 + k] if arm == run.main_arm else LIGHT[3 + k]},
                "error_y": error_bars(col["mean"], col["ci95_lo"], col["ci95_hi"], "count"),
            }
            fig["data"].append(on(bar, 1))
    for arm in arms:
        days, ab = _daily(run, "abandoned", arm)
        _, n = _daily(run, "contacts", arm)
        share = [
            None if a is None or c is None or c <= 0 else a / c
            for a, c in zip(ab["mean"], n["mean"], strict=True)
        ]
        line = {
            "type": "scatter",
            "x": days,
            "y": rounded(share),
            "mode": "lines+markers",
            "name": t("abandoned_share") + (f" · {t(f'arm_{arm}')}" if run.promo else ""),
            "line": {"color": "#222", "dash": "solid" if arm == run.main_arm else "dot"},
        }
        fig["data"].append(on(line, 1, y=2))
    style(fig, 420, barmode="group", bargap=0.15)
    axes(fig, "x", title={"text": t("axis_day")}, tickformat="%m-%d")
    axes(fig, "y", [1], title={"text": t("axis_per_day")}, rangemode="tozero")
    axes(
        fig,
        "y",
        [2],
        title={"text": t("abandoned_share")},
        tickformat=".0%",
        rangemode="tozero",
        tickmode="auto",
        showgrid=False,
    )
    return fig


def _hourly(run: RunData, key: str, arm: str) -> tuple[list[float | None], ...]:
    """Mean, CI low and CI high of one hourly.csv series, one per hour (``None``: no value)."""
    rows = [run.hourly_rows.get((h, key, arm)) for h in run.hours]
    return tuple(
        rounded([num(row[c]) if row else None for row in rows])
        for c in ("mean", "ci95_lo", "ci95_hi")
    )


def _lost_hourly_figure(run: RunData, t: Text) -> Fig | None:
    """Orders lost to slow answers per hour, each arm with its CI band.

    Over a long run (:data:`DAILY_FROM_DAYS`) daily.csv's orders lost per day come first,
    the hours one click away.
    """
    if not any(k[1] == "lost_orders" for k in run.hourly_rows):
        return None
    fig: Fig = {"data": [], "layout": {}}
    x = run.hours
    arms = [run.main_arm, "baseline"] if run.promo else [run.main_arm]
    styles = {
        run.main_arm: (PALETTE[3], "rgba(228,87,86,0.22)", "solid"),
        "baseline": ("#888", "rgba(136,136,136,0.22)", "dot"),
    }
    by_day = run.intervals.n_days > DAILY_FROM_DAYS and any(
        r["series"] == "lost_orders" for r in run.daily
    )
    views: list[bool | None] = []
    for detail in (False, True) if by_day else (True,):
        for arm in arms:
            line, fill, dash = styles[arm]
            at: Sequence[str]
            if detail:
                at, period = x, {}
                mean, lo, hi = _hourly(run, "lost_orders", arm)
                where = _times(x, len(mean))
            else:
                at, cols = _daily(run, "lost_orders", arm)
                mean, lo, hi = cols["mean"], cols["ci95_lo"], cols["ci95_hi"]
                where, period = {"x": at}, _BY_DAY
            ci = f"{t('ci95')} · {t(f'arm_{arm}')}"
            fig["data"] += [
                band(
                    at,
                    clip(lo, 0.0, None),
                    clip(hi, 0.0, None),
                    fill,
                    ci,
                    legendgroup=arm,
                    **period,
                ),
                {
                    "type": "scatter",
                    **where,
                    **period,
                    "y": mean,
                    "mode": "lines",
                    "line": {"color": line, "width": 1.5, "dash": dash},
                    "name": t(f"arm_{arm}"),
                    "legendgroup": arm,
                },
            ]
            views += [not detail if by_day else None] * 2
    style(fig, 380, hovermode="x unified")
    times = "%m-%d %H:%M"
    axes(fig, "x", title={"text": t("axis_time")}, tickformat="%m-%d" if by_day else times)
    per_hour = t("axis_lost_orders")
    axes(
        fig, "y", title={"text": t("axis_lost_per_day") if by_day else per_hour}, rangemode="tozero"
    )
    if by_day:
        _views(
            fig,
            views,
            t,
            "view_hours",
            {"xaxis.tickformat": "%m-%d", "yaxis.title.text": t("axis_lost_per_day")},
            {"xaxis.tickformat": times, "yaxis.title.text": per_hour},
        )
    return fig


def _presale_daily_table(run: RunData, t: Text) -> str | None:
    """Pre-sale inquiries and the bot by day (:data:`sim.catalog.PRESALE_DAILY`), each arm.

    None when daily.csv has none of the series.
    """
    have = {r["series"] for r in run.daily}
    keys = [k for k in catalog.PRESALE_DAILY if k in have]
    if not keys:
        return None
    arms = [run.main_arm, "baseline", "effect"] if run.promo else [run.main_arm]
    head = "".join(
        f"<th>{html.escape(h)}</th>"
        for h in (t("axis_day"), catalog.capital(t("arm")), *(catalog.capital(t(k)) for k in keys))
    )
    rows = []
    for day in run.days:
        for i, arm in enumerate(arms):
            cells = [
                ci_cell(run.daily_rows.get((day, k, arm)) or {}, "", catalog.fmt_of(k))
                for k in keys
            ]
            label = html.escape(day) if i == 0 else ""
            body = "".join(f'<td class="num">{html.escape(c)}</td>' for c in cells)
            arm_cell = f'<td style="white-space:nowrap">{html.escape(t(f"arm_{arm}"))}</td>'
            rows.append(f"<tr><td>{label}</td>{arm_cell}{body}</tr>")
    return (
        f'<p class="note">{html.escape(t("presale_daily_note"))}</p>'
        # a wide table scrolls inside its section rather than past the page
        f'<div style="overflow-x:auto"><table class="glossary"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _driver_label(run: RunData, t: Text, driver: str) -> str:
    """A driver's name over the share of issues it touched (promotion / baseline)."""
    blocks = ("metrics", "baseline") if run.promo else ("metrics",)
    shares = [run.stat(b, f"issues_with.{driver}") for b in blocks]
    share = " / ".join(fmt(s["mean"] if s else None, "share") for s in shares)
    return f"{t(f'driver_{driver}')}<br><sub>{t('issues_touched', share=share)}</sub>"


def _stat_columns(
    run: RunData, block: str, keys: Sequence[str]
) -> tuple[list[float | None], list[float | None], list[float | None]]:
    """Mean, CI low and CI high of summary metrics (``None`` where absent)."""
    stats = [run.stat(block, k) or {} for k in keys]
    cis = [s.get("ci95") or [None, None] for s in stats]
    return [s.get("mean") for s in stats], [c[0] for c in cis], [c[1] for c in cis]


def _csat_figure(run: RunData, t: Text) -> Fig | None:
    bands = [k for k in (run.summary.get("metrics") or {}) if k.startswith("csat_dist.")]
    drivers = [k for k in (run.summary.get("metrics") or {}) if k.startswith("csat_lost.")]
    if not bands:
        return None
    fig = subplots(
        1,
        2,
        titles=(t("csat_distribution"), t("csat_drivers")),
        h_spacing=0.2,
        column_widths=[0.55, 0.45],
    )
    arms = (
        [("metrics", run.main_arm), ("baseline", "baseline")]
        if run.promo
        else [("metrics", run.main_arm)]
    )
    for i, (block, arm) in enumerate(arms):
        color = PALETTE[0] if i == 0 else "#9aa5b1"
        name = t(f"arm_{arm}")
        mean, lo, hi = _stat_columns(run, block, bands)
        labels = [
            "–".join(str(int(b)) for b in k.removeprefix("csat_dist.").split("-")) + "%"
            for k in bands
        ]
        bar: dict[str, Any] = {
            "type": "bar",
            "x": labels,
            "y": rounded(mean),
            "name": name,
            "legendgroup": arm,
            "marker": {"color": color},
            "error_y": error_bars(mean, lo, hi, "share"),
        }
        fig["data"].append(on(bar, 1))
        if not drivers:
            continue
        mean, lo, hi = _stat_columns(run, block, drivers)
        bar = {
            "type": "bar",
            "y": [_driver_label(run, t, k.removeprefix("csat_lost.")) for k in drivers],
            "x": rounded(mean),
            "orientation": "h",
            "name": name,
            "legendgroup": arm,
            "showlegend": False,
            "marker": {"color": color},
            "error_x": error_bars(mean, lo, hi),
        }
        fig["data"].append(on(bar, 2))
    style(fig, 440, barmode="group", bargap=0.2)
    axes(fig, "x", [1], title={"text": t("axis_p_satisfied")})
    axes(fig, "y", [1], title={"text": t("axis_issue_share")}, tickformat=".0%")
    axes(fig, "x", [2], title={"text": t("axis_csat_lost")}, tickformat=".1%")
    axes(fig, "y", [2], autorange="reversed")
    merge(fig["layout"], legend_on_top(1))
    return fig


def _glossary(run: RunData, t: Text) -> str:
    """The folder's glossary: in English as summary.json has it, in Chinese by label."""
    glossary = run.summary.get("glossary") or {}
    if t.lang == "zh":
        pairs = [
            (
                catalog.label(str(k), "zh"),
                catalog.ALL_CHANNELS_DEFINITION_ZH
                if k == catalog.ALL_CHANNELS
                else catalog.DEFINITIONS_ZH.get(str(k), str(v)),
            )
            for k, v in glossary.items()
        ]
    else:
        pairs = [(str(k), str(v)) for k, v in glossary.items()]
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in pairs)
    return (
        f'<p class="note">{html.escape(t("glossary_note"))}</p>'
        '<table class="glossary"><thead><tr>'
        f"<th>{html.escape(t('glossary_metric'))}</th>"
        f"<th>{html.escape(t('glossary_definition'))}</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _render(
    run: RunData, t: Text, figures: dict[str, go.Figure] | None = None
) -> tuple[str, str, list[str], list[str]]:
    """The page's heading, meta line, notes and sections (for :func:`page`)."""
    plot = Plots(t, figures)

    s = run.summary
    title = str(s.get("title") or s.get("name") or "")
    meta = " · ".join(
        [
            str(s.get("name", "")),
            f"{t('seed')} {s.get('seed', '')}",
            f"{t('replications')} {s.get('replications', '')}",
            f"{t('config_hash')} {str(s.get('config_hash', ''))[:12]}",
        ]
    )
    sections: list[tuple[str, str, Callable[[], str]]] = [
        ("headline", "sec_headline", lambda: _cards(run, t)),
        ("channels", "sec_channels", lambda: _channel_table(run, t)),
        ("contacts", "sec_contacts", lambda: plot(_contacts_figure(run, t), "fig-contacts")),
        (
            "offered",
            "sec_offered",
            lambda: (
                (f'<p class="note">{html.escape(t("offered_note"))}</p>' if run.promo else "")
                + plot(
                    _interval_figure(run, t, "offered", "contacts", None, False),
                    "fig-offered",
                )
            ),
        ),
        (
            "service-level",
            "sec_sl",
            lambda: (
                f'<p class="note">{html.escape(t("sl_note"))} {html.escape(t("band_note"))}</p>'
                + plot(
                    _interval_figure(run, t, "service_level", "service_level", 1.0, True),
                    "fig-service-level",
                )
            ),
        ),
        (
            "asa",
            "sec_asa",
            lambda: plot(
                _interval_figure(run, t, "asa_seconds", "asa_seconds", None, False), "fig-asa"
            ),
        ),
        (
            "queue",
            "sec_queue",
            lambda: plot(
                _interval_figure(run, t, "queue_length", "axis_queue", None, False), "fig-queue"
            ),
        ),
        (
            "occupancy",
            "sec_occupancy",
            lambda: (
                f'<p class="note">{html.escape(t("occupancy_note"))}</p>'
                + plot(_occupancy_figure(run, t), "fig-occupancy")
            ),
        ),
        (
            "abandonment",
            "sec_abandonment",
            lambda: (
                f'<p class="note">{html.escape(t("abandonment_note"))}</p>'
                + plot(_abandonment_figure(run, t), "fig-abandonment")
            ),
        ),
    ]
    if kpis.has_section(run):  # how the platform judges the desk: after the desk by channel
        sections.insert(2, ("platform", "sec_platform", lambda: kpis.section(run, t, plot)))
    presale_table = _presale_daily_table(run, t)
    if presale_table is not None:
        sections.append(("presale-daily", "sec_presale_daily", lambda: presale_table))
    if any(k[1] == "lost_orders" for k in run.hourly_rows):  # not with platform series only
        sections.append(
            (
                "lost-hourly",
                "sec_lost_hourly",
                lambda: (
                    f'<p class="note">{html.escape(t("lost_hourly_note"))}</p>'
                    + plot(_lost_hourly_figure(run, t), "fig-lost-hourly")
                ),
            )
        )
    sections += [
        (
            "satisfaction",
            "sec_csat",
            lambda: (
                f'<p class="note">{html.escape(t("csat_note"))}</p>'
                + plot(_csat_figure(run, t), "fig-satisfaction")
            ),
        ),
        (
            "waterfall",
            "sec_waterfall_promo" if run.promo else "sec_waterfall",
            lambda: plot(_waterfall_figure(run, t), "fig-waterfall"),
        ),
        ("glossary", "sec_glossary", lambda: _glossary(run, t)),
    ]
    split = _net_split(run, t)
    if split:  # beside the waterfall it explains
        sections.insert(-1, ("net-split", "sec_net_split", lambda: split))
    body = []
    for anchor, key, render in sections:
        body.append(f'<section id="{anchor}"><h2>{html.escape(t(key))}</h2>{render()}</section>')
    notes = [t("note_ci")] + ([t("note_paired")] if run.promo else [])
    if run.intervals.n_days > DAILY_FROM_DAYS:
        notes.append(t("note_by_day", days=run.intervals.n_days))
    return f"{title} · {t('report_title')}", meta, notes, body


def report_from_files(
    files: Mapping[str, str], lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The report of a run folder given as its files' contents (name → text).

    ``figures``, if given, receives every figure by its div id (for pictures).
    """
    return _build(files, lang, figures)[0]


def _build(
    files: Mapping[str, str],
    lang: str,
    figures: dict[str, go.Figure] | None = None,
    owned: bool = False,
) -> tuple[str, set[str]]:
    """The page and the label keys it used.

    With ``owned`` (``files`` is the caller's own dict, read for this report), the files'
    texts are dropped once parsed. The parsed run is dropped before the page is joined: the
    join, the page's one full copy, is the build's peak.
    """
    t = Text(lang)
    run = RunData(files)
    t.names = Labels(lang, run.scenario)
    if owned and isinstance(files, dict):
        files.clear()
    heading, meta, notes, body = _render(run, t, figures)
    del run
    return page(heading, meta, notes, body, t), t.used


def build_report(
    run_dir: Path, lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The self-contained HTML report of a run folder, built only from its files.

    Raises:
        ReportError: ``run_dir`` is not a readable run folder, or ``lang`` is unknown.
    """
    return _build(read_run(run_dir), lang, figures, owned=True)[0]


def used_labels(run_dir: Path, lang: str = "en") -> set[str]:
    """The label keys a run folder's report uses (for checking the translations)."""
    return _build(read_run(run_dir), lang, owned=True)[1]
