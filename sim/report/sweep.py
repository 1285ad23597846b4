"""The sweep report: the tornado (one at a time) and the response curves of its metric."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from sim import catalog
from sim.report.data import ReportError, SweepData, num
from sim.report.figures import PALETTE, axis_format, error_bars, layout, subplot_grid, top_legend
from sim.report.labels import Text
from sim.report.page import Plots, fmt, note_html, page, rounded, section_html


def _value_key(text: str) -> tuple[int, float, str]:
    """Sort numbers by value, anything else after them by text."""
    try:
        return 0, float(text), text
    except ValueError:
        return 1, 0.0, text


def _tornado_figure(s: SweepData, t: Text) -> go.Figure | None:
    bars = [b for b in (s.tornado or {}).get("bars") or [] if isinstance(b, dict)]
    if not bars:
        return None
    bars = sorted(bars, key=lambda b: -float(b.get("swing") or 0.0))
    paths = [str(b["path"]) for b in bars]
    base = float(bars[0]["base_mean"])
    kind = catalog.fmt_of(s.metric)
    fig = go.Figure()
    for end, label, color in (("low", "at_low", PALETTE[0]), ("high", "at_high", PALETTE[1])):
        means = [float(b[f"{end}_mean"]) for b in bars]
        bases = [float(b["base_mean"]) for b in bars]
        fig_x = [m - b for m, b in zip(means, bases, strict=True)]
        fig.add_trace(
            go.Bar(
                y=paths,
                x=rounded(fig_x, 6),
                base=rounded(bases, 6),
                orientation="h",
                name=t(label),
                marker={"color": color},
                text=[
                    f"{b[f'{end}_value']} → {fmt(m, kind)}"
                    for b, m in zip(bars, means, strict=True)
                ],
                textposition="auto",
                hovertemplate="%{y}: %{text}<extra></extra>",
            )
        )
    fig.add_vline(x=base, line={"color": "#222", "width": 1.5})
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            line={"color": "#222", "width": 1.5},
            name=f"{t('base')} {fmt(base, kind)}",
        )
    )
    layout(fig, 140 + 50 * len(bars), barmode="overlay", bargap=0.35)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=s.metric)
    if kind == "share":
        fig.update_xaxes(tickformat=".0%")
    elif kind in ("yuan", "yuan_cents"):
        fig.update_xaxes(tickprefix="¥", tickformat=",.0f")
    return fig


def _response_figure(s: SweepData, t: Text) -> go.Figure | None:
    from plotly.subplots import make_subplots

    rows = [r for r in s.rows if r["metric"] == s.metric]
    if not rows or not s.paths:
        return None
    n_rows, n_cols = subplot_grid(len(s.paths), 2)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=s.paths,
        vertical_spacing=0.4 / n_rows if n_rows > 1 else 0.0,
        horizontal_spacing=0.1,
    )
    kind = catalog.fmt_of(s.metric)
    shown: list[str] = []
    for k, path in enumerate(s.paths):
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
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=rounded(mean),
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=True,
                    line={"color": PALETTE[len(shown) % len(PALETTE)]},
                    error_y=error_bars(mean, lo, hi, kind),
                ),
                row=k // n_cols + 1,
                col=k % n_cols + 1,
            )
            shown.append(name)
        axis_format(fig, kind, row=k // n_cols + 1, col=k % n_cols + 1)
        fig.update_yaxes(title_text=s.metric, row=k // n_cols + 1, col=k % n_cols + 1)
    layout(fig, 120 + 320 * n_rows)
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
