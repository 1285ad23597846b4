"""What the reports' figures share: colours, layout, legends, grids, axes and error bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from sim.report.page import rounded

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


LIGHT = ("#a5bcd4", "#fac28b", "#a9d0a5", "#f1abaa", "#b8dbd8", "#d8bcd0")
"""Lighter PALETTE colours, for a baseline beside its promotion arm."""


def layout(fig: go.Figure, height: int, **extra: Any) -> None:
    """The reports' common look: template, height, margins, legend on top, fonts."""
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 70, "r": 30, "t": 40, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        font={"family": "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"},
        **extra,
    )


def top_legend(fig: go.Figure, lines: int) -> None:
    """The legend at the very top of a figure of subplots, clear of their titles."""
    fig.update_layout(
        legend={"yref": "container", "y": 1.0, "yanchor": "top"},
        margin={"t": 50 + 22 * lines},
    )


def subplot_grid(n: int, cols: int) -> tuple[int, int]:
    """Rows and columns of a grid of ``n`` subplots, at most ``cols`` wide."""
    cols = max(1, min(cols, n))
    return (n + cols - 1) // cols, cols


def axis_format(fig: go.Figure, kind: str, **where: Any) -> None:
    """Percent or ¥ ticks on y axes, by the metric's format."""
    if kind == "share":
        fig.update_yaxes(tickformat=".0%", **where)
    elif kind in ("yuan", "yuan_cents"):
        fig.update_yaxes(tickprefix="¥", tickformat=",.0f", **where)


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
    x: list[str], lo: list[float | None], hi: list[float | None]
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


def band_trace(
    x: list[str],
    lo: list[float | None],
    hi: list[float | None],
    color: str,
    name: str,
    **more: Any,
) -> go.Scatter:
    """A CI band from ``lo`` to ``hi`` over ``x``, filled, without hover."""
    band_x, band_y = _band(x, lo, hi)
    return go.Scatter(
        x=band_x,
        y=band_y,
        mode="lines",
        line={"width": 0},
        fill="toself",
        fillcolor=color,
        name=name,
        hoverinfo="skip",
        **more,
    )
