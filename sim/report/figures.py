"""What the reports' figures share: colours, layout, legends, grids, axes and error bars.

Every report builds its figures as plain :data:`Fig` dicts that nothing validates: plotly
checks every value of a ``go`` trace one by one, which took seconds for a run's interval
figures and a year's staffing plan. The helpers here lay a figure out as plotly's ``go``
methods do (:func:`subplots` as ``make_subplots``, :func:`axes` as ``update_xaxes``,
:func:`hline` and :func:`vline` as ``add_hline`` and ``add_vline``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sim.report.page import Fig, rounded

PALETTE = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#b279a2",
    "#eeca3b",
    "#9d755d",
    "#ff9da6",
    "#bab0ac",
)


YL_OR_RD = [
    [0.0, "rgb(255,255,204)"],
    [0.125, "rgb(255,237,160)"],
    [0.25, "rgb(254,217,118)"],
    [0.375, "rgb(254,178,76)"],
    [0.5, "rgb(253,141,60)"],
    [0.625, "rgb(252,78,42)"],
    [0.75, "rgb(227,26,28)"],
    [0.875, "rgb(189,0,38)"],
    [1.0, "rgb(128,0,38)"],
]
"""plotly's ``YlOrRd`` colour scale, pale to dark red (plotly.js's own ``YlOrRd`` runs dark
to pale): for a dict figure, which plotly does not resolve."""


LIGHT = ("#a5bcd4", "#fac28b", "#a9d0a5", "#f1abaa", "#b8dbd8", "#d8bcd0")
"""Lighter PALETTE colours, for a baseline beside its promotion arm."""


def look(height: int, **extra: Any) -> dict[str, Any]:
    """The reports' common look as layout properties.

    Template, height, margins, legend on top, fonts; ``extra``: more properties, or ones to
    replace.
    """
    return {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 70, "r": 30, "t": 40, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "font": {"family": "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"},
        **extra,
    }


def legend_on_top(lines: int) -> dict[str, Any]:
    """Layout properties that put the legend at the very top, clear of subplot titles."""
    return {
        "legend": {"yref": "container", "y": 1.0, "yanchor": "top"},
        "margin": {"t": 50 + 22 * lines},
    }


def merge(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """Properties of ``patch`` into ``target``, nested dicts merged (as plotly's ``update``)."""
    for key, value in patch.items():
        old = target.get(key)
        if isinstance(value, Mapping) and isinstance(old, dict):
            merge(old, value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value


def style(fig: Fig, height: int, **extra: Any) -> None:
    """The reports' common look (:func:`look`) on a dict figure."""
    merge(fig["layout"], look(height, **extra))


def top_legend(fig: Fig, lines: int) -> None:
    """The legend at the very top of a figure of subplots (:func:`legend_on_top`)."""
    merge(fig["layout"], legend_on_top(lines))


_AXIS = {"x": re.compile(r"xaxis\d*"), "y": re.compile(r"yaxis\d*")}


def axes(fig: Fig, which: str, ids: Sequence[int] = (), **props: Any) -> None:
    """Properties of a dict figure's ``x`` or ``y`` axes.

    Those numbered ``ids`` (1 is the first), or every one it has (as plotly's
    ``update_xaxes`` without ``row`` and ``col``).
    """
    lay = fig["layout"]
    names = (
        [f"{which}axis{i if i > 1 else ''}" for i in ids]
        or [k for k in lay if _AXIS[which].fullmatch(k)]
        or [f"{which}axis"]
    )
    for name in names:
        merge(lay.setdefault(name, {}), props)


def hline(
    fig: Fig, y: float, line: Mapping[str, Any], subplots: int = 1, ids: Sequence[int] = ()
) -> None:
    """A horizontal line at ``y`` across each of the first ``subplots`` subplots.

    Or across those numbered ``ids`` (1 is the first). As plotly's ``add_hline`` draws it:
    a shape from edge to edge of the subplot's x domain.
    """
    shapes = fig["layout"].setdefault("shapes", [])
    for i in ids or range(1, subplots + 1):
        k = "" if i == 1 else str(i)
        shapes.append(
            {
                "line": dict(line),
                "type": "line",
                "x0": 0,
                "x1": 1,
                "xref": f"x{k} domain",
                "y0": y,
                "y1": y,
                "yref": f"y{k}",
            }
        )


def vline(fig: Fig, x: float | str, line: Mapping[str, Any]) -> None:
    """A vertical line at ``x`` from the bottom to the top of a figure without subplots.

    As plotly's ``add_vline`` draws it: a shape across the y axis' domain.
    """
    fig["layout"].setdefault("shapes", []).append(
        {
            "line": dict(line),
            "type": "line",
            "x0": x,
            "x1": x,
            "xref": "x",
            "y0": 0,
            "y1": 1,
            "yref": "y domain",
        }
    )


def subplots(
    rows: int,
    cols: int,
    *,
    titles: Sequence[str] = (),
    shared_x: bool = False,
    shared_y: bool = False,
    h_spacing: float | None = None,
    v_spacing: float | None = None,
    column_widths: Sequence[float] = (),
    row_heights: Sequence[float] = (),
    secondary_y: bool = False,
) -> Fig:
    """An empty dict figure laid out as plotly's ``make_subplots`` lays out its grid.

    Subplot ``k`` (row by row from the top left, 1 first) draws on axes ``x{k}``/``y{k}``
    (:func:`on`); ``shared_x`` matches each column's x axes to its bottom one (ticks only
    there), ``shared_y`` each row's y axes to its first; ``column_widths`` and
    ``row_heights`` (top first) are relative; ``secondary_y`` (one subplot) adds a
    right-hand ``y2``.
    """
    h = (0.4 if secondary_y else 0.2) / cols if h_spacing is None else h_spacing
    v = (0.5 if titles else 0.3) / rows if v_spacing is None else v_spacing
    max_width = 0.94 if secondary_y else 1.0
    total = float(sum(column_widths)) if column_widths else 0.0
    widths = (
        [(max_width - h * (cols - 1)) * (w / total) for w in column_widths]
        if column_widths
        else [(max_width - h * (cols - 1)) / cols] * cols
    )
    total_h = float(sum(row_heights)) if row_heights else 0.0
    heights = (  # bottom first, as plotly keeps them
        [(1.0 - v * (rows - 1)) * (h / total_h) for h in row_heights][::-1]
        if row_heights
        else [(1.0 - v * (rows - 1)) / rows] * rows
    )
    lay: dict[str, Any] = {}
    notes: list[dict[str, Any]] = []
    for r in range(rows):
        y0 = sum(heights[: rows - 1 - r]) + (rows - 1 - r) * v
        # as plotly: bounds a rounding error puts past 0 or 1 are held to them
        y_domain = [min(1.0, max(0.0, y)) for y in (y0, y0 + heights[-1 - r])]
        for c in range(cols):
            k = r * cols + c + 1
            x0 = sum(widths[:c]) + c * h
            x_domain = [x0, x0 + widths[c]]
            n = "" if k == 1 else str(k)
            domain = [max(0.0, x_domain[0]), min(1.0, x_domain[1])]  # the title: unheld
            lay[f"xaxis{n}"] = {"anchor": f"y{n}", "domain": domain}
            lay[f"yaxis{n}"] = {"anchor": f"x{n}", "domain": y_domain}
            if shared_x and r < rows - 1:
                bottom = (rows - 1) * cols + c + 1
                lay[f"xaxis{n}"] |= {"matches": _ref("x", bottom), "showticklabels": False}
            if shared_y and c > 0:
                first = r * cols + 1
                lay[f"yaxis{n}"] |= {"matches": _ref("y", first), "showticklabels": False}
            if k <= len(titles) and titles[k - 1]:
                notes.append(
                    {
                        "font": {"size": 16},
                        "showarrow": False,
                        "text": titles[k - 1],
                        "x": sum(x_domain) / 2.0,
                        "xanchor": "center",
                        "xref": "paper",
                        "y": y_domain[1],
                        "yanchor": "bottom",
                        "yref": "paper",
                    }
                )
    if secondary_y:
        lay["yaxis2"] = {"anchor": "x", "overlaying": "y", "side": "right"}
    if notes:
        lay["annotations"] = notes
    return {"data": [], "layout": lay}


def _ref(which: str, k: int) -> str:
    return which if k == 1 else f"{which}{k}"


def on(trace: dict[str, Any], k: int, y: int | None = None) -> dict[str, Any]:
    """A trace drawn in subplot ``k`` of :func:`subplots` (on y axis ``y`` if given)."""
    return trace | {"xaxis": _ref("x", k), "yaxis": _ref("y", k if y is None else y)}


def subplot_grid(n: int, cols: int) -> tuple[int, int]:
    """Rows and columns of a grid of ``n`` subplots, at most ``cols`` wide."""
    cols = max(1, min(cols, n))
    return (n + cols - 1) // cols, cols


def axis_format(fig: Fig, kind: str, ids: Sequence[int] = (), which: str = "y") -> None:
    """Percent or ¥ ticks by the metric's format, on the ``which`` axes numbered ``ids``.

    Every one of the figure's ``which`` axes when ``ids`` is empty (as :func:`axes`).
    """
    if kind == "share":
        axes(fig, which, ids, tickformat=".0%")
    elif kind in ("yuan", "yuan_cents"):
        axes(fig, which, ids, tickprefix="¥", tickformat=",.0f")


def clip(values: list[float | None], lo: float, hi: float | None) -> list[float | None]:
    """Values held within [lo, hi] (``hi`` None: no upper bound); ``None`` kept."""
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
        else:
            out.append(max(lo, v) if hi is None else min(hi, max(lo, v)))
    return out


def error_bars(
    mean: Sequence[float | None],
    lo: Sequence[float | None],
    hi: Sequence[float | None],
    kind: str = "",
) -> dict[str, Any]:
    """Asymmetric plotly error bars from means and CI bounds (shares clipped to [0, 1])."""
    if kind == "share":
        lo, hi = clip(list(lo), 0.0, 1.0), clip(list(hi), 0.0, 1.0)
    elif kind == "count":
        lo = clip(list(lo), 0.0, None)
    up = [None if m is None or h is None else h - m for m, h in zip(mean, hi, strict=True)]
    down = [None if m is None or w is None else m - w for m, w in zip(mean, lo, strict=True)]
    return {"type": "data", "symmetric": False, "array": rounded(up), "arrayminus": rounded(down)}


def _band(
    x: Sequence[str], lo: Sequence[float | None], hi: Sequence[float | None]
) -> tuple[list[str | None], list[float | None]]:
    """A CI band as closed shapes, one per run of intervals where both bounds exist."""
    bx: list[str | None] = []
    by: list[float | None] = []
    k = 0
    while k < len(x):
        if lo[k] is None or hi[k] is None:
            k += 1
            continue
        end = k
        while end < len(x) and lo[end] is not None and hi[end] is not None:
            end += 1
        bx += [*x[k:end], *reversed(x[k:end]), None]
        by += [*hi[k:end], *reversed(lo[k:end]), None]
        k = end
    return bx, by


def band(
    x: Sequence[str],
    lo: Sequence[float | None],
    hi: Sequence[float | None],
    color: str,
    name: str,
    **more: Any,
) -> dict[str, Any]:
    """A band from ``lo`` to ``hi`` over ``x`` as a dict trace: filled, without hover."""
    band_x, band_y = _band(x, lo, hi)
    return {
        "fill": "toself",
        "fillcolor": color,
        "hoverinfo": "skip",
        "line": {"width": 0},
        "mode": "lines",
        "name": name,
        "x": band_x,
        "y": band_y,
        "type": "scatter",
        **more,
    }
