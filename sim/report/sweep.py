"""The sweep report: the tornado (one at a time) and the response curves of its metric."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim import catalog
from sim.report.data import ReportError, SweepData, num
from sim.report.figures import (
    PALETTE,
    axes,
    axis_format,
    error_bars,
    on,
    style,
    subplot_grid,
    subplots,
    top_legend,
    vline,
)
from sim.report.labels import Text
from sim.report.page import Fig, Plots, fmt, note_html, page, rounded, section_html

if TYPE_CHECKING:
    import plotly.graph_objects as go


def _value_key(text: str) -> tuple[int, float, str]:
    """Sort numbers by value, anything else after them by text."""
    try:
        return 0, float(text), text
    except ValueError:
        return 1, 0.0, text


def _tornado_figure(s: SweepData, t: Text) -> Fig | None:
    bars = [b for b in (s.tornado or {}).get("bars") or [] if isinstance(b, dict)]
    if not bars:
        return None
    bars = sorted(bars, key=lambda b: -float(b.get("swing") or 0.0))
    paths = [str(b["path"]) for b in bars]
    base = float(bars[0]["base_mean"])
    kind = catalog.fmt_of(s.metric)
    fig: Fig = {"data": [], "layout": {}}
    for end, label, color in (("low", "at_low", PALETTE[0]), ("high", "at_high", PALETTE[1])):
        means = [float(b[f"{end}_mean"]) for b in bars]
        bases = [float(b["base_mean"]) for b in bars]
        fig_x = [m - b for m, b in zip(means, bases, strict=True)]
        fig["data"].append(
            {
                "base": rounded(bases, 6),
                "hovertemplate": "%{y}: %{text}<extra></extra>",
                "marker": {"color": color},
                "name": t(label),
                "orientation": "h",
                "text": [
                    f"{b[f'{end}_value']} → {fmt(m, kind)}"
                    for b, m in zip(bars, means, strict=True)
                ],
                "textposition": "auto",
                "x": rounded(fig_x, 6),
                "y": paths,
                "type": "bar",
            }
        )
    vline(fig, base, {"color": "#222", "width": 1.5})
    fig["data"].append(
        {
            "line": {"color": "#222", "width": 1.5},
            "mode": "lines",
            "name": f"{t('base')} {fmt(base, kind)}",
            "x": [None],
            "y": [None],
            "type": "scatter",
        }
    )
    style(fig, 140 + 50 * len(bars), barmode="overlay", bargap=0.35)
    axes(fig, "y", autorange="reversed", automargin=True)
    axes(fig, "x", title={"text": s.metric})
    axis_format(fig, kind, which="x")
    return fig


def _response_figure(s: SweepData, t: Text) -> Fig | None:
    rows = [r for r in s.rows if r["metric"] == s.metric]
    if not rows or not s.paths:
        return None
    n_rows, n_cols = subplot_grid(len(s.paths), 2)
    fig = subplots(
        n_rows,
        n_cols,
        titles=s.paths,
        v_spacing=0.4 / n_rows if n_rows > 1 else 0.0,
        h_spacing=0.1,
    )
    kind = catalog.fmt_of(s.metric)
    shown: list[str] = []
    for k, path in enumerate(s.paths, start=1):
        others = [p for p in s.paths if p != path]
        lines: dict[tuple[str, ...], list[dict[str, str]]] = {}
        for r in rows:
            lines.setdefault(tuple(r[p] for p in others), []).append(r)
        if any(len(v) > 1 for v in lines.values()):  # one-at-a-time: drop the single points
            lines = {key: v for key, v in lines.items() if len(v) > 1}
        numeric = all(_value_key(r[path])[0] == 0 for r in rows)
        for key in sorted(lines, key=lambda x: [_value_key(v) for v in x]):
            line = sorted(lines[key], key=lambda r: _value_key(r[path]))
            name = ", ".join(f"{p}={v}" for p, v in zip(others, key, strict=True)) or s.metric
            mean = [num(r["mean"]) for r in line]
            lo = [num(r["ci95_lo"]) for r in line]
            hi = [num(r["ci95_hi"]) for r in line]
            x: list[float] | list[str] = (
                [float(r[path]) for r in line] if numeric else [r[path] for r in line]
            )
            trace = {
                "error_y": error_bars(mean, lo, hi, kind),
                "legendgroup": name,
                "line": {"color": PALETTE[len(shown) % len(PALETTE)]},
                "mode": "lines+markers",
                "name": name,
                "showlegend": True,
                "x": x,
                "y": rounded(mean),
                "type": "scatter",
            }
            fig["data"].append(on(trace, k))
            shown.append(name)
        axis_format(fig, kind, [k])
        axes(fig, "y", [k], title={"text": s.metric})
    style(fig, 120 + 320 * n_rows)
    top_legend(fig, (len(shown) + 2) // 3)
    return fig


def build_with_labels(
    folder: Path, lang: str, figures: dict[str, go.Figure] | None = None
) -> tuple[str, set[str]]:
    """The sweep page and the label keys it used."""
    t = Text(lang)
    s = SweepData(folder)
    plot = Plots(t, figures)
    try:
        tornado = _tornado_figure(s, t)
    except (KeyError, TypeError, ValueError) as e:
        raise ReportError(f"{folder}: tornado.json has an unreadable bar: {e!r}") from None
    body = [
        section_html(
            "tornado",
            t("sec_tornado"),
            note_html(t("tornado_note")) + plot(tornado, "fig-tornado")
            if tornado is not None
            else note_html(t("no_tornado")),
        ),
        section_html(
            "response",
            t("sec_response"),
            note_html(t("response_note")) + plot(_response_figure(s, t), "fig-response"),
        ),
    ]
    meta = f"{t('metric')} {s.metric} · {t('points')} {s.points}"
    return page(t("sweep_title"), meta, [t("note_ci")], body, t), t.used


def build_sweep_report(
    folder: Path, lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The self-contained HTML report of a ``promosim sweep`` folder.

    Built from ``sweep.csv`` and, if present, ``tornado.json``: the tornado chart and the
    response curves of the tornado's metric (``all.service_level`` without a tornado).

    Raises:
        ReportError: ``folder`` is not a readable sweep folder, or ``lang`` is unknown.
    """
    return build_with_labels(folder, lang, figures)[0]
