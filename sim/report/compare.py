"""The compare report: the arms side by side, each later arm's paired difference, every metric."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim import catalog
from sim.report.data import ComparisonData, num
from sim.report.figures import (
    PALETTE,
    axes,
    axis_format,
    error_bars,
    hline,
    on,
    style,
    subplot_grid,
    subplots,
    top_legend,
)
from sim.report.labels import Text
from sim.report.page import (
    Fig,
    Plots,
    ci_cell,
    note_html,
    page,
    rounded,
    section_html,
    table_html,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

RECOVERED = catalog.MARGIN_RECOVERED


def _grid(t: Text, metrics: Sequence[tuple[str, str]]) -> tuple[Fig, int]:
    """An empty figure of a subplot per metric, three abreast, and its rows."""
    n_rows, n_cols = subplot_grid(len(metrics), 3)
    fig = subplots(
        n_rows,
        n_cols,
        titles=[t(label) for _, label in metrics],
        v_spacing=0.5 / n_rows if n_rows > 1 else 0.0,
        h_spacing=0.08,
    )
    return fig, n_rows


def _compare_arms_figure(c: ComparisonData, t: Text, metrics: Sequence[tuple[str, str]]) -> Fig:
    fig, n_rows = _grid(t, metrics)
    for k, (metric, _) in enumerate(metrics, start=1):
        for i, arm in enumerate(c.arms):
            r = c.rows.get((metric, arm))
            if r is None:
                continue
            mean, lo, hi = num(r["mean"]), num(r["ci95_lo"]), num(r["ci95_hi"])
            bar = {
                "error_y": {
                    **error_bars([mean], [lo], [hi], catalog.fmt_of(metric)),
                    "color": "#222",
                },
                "legendgroup": arm,
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                "name": arm,
                "showlegend": k == 1,
                "x": [arm],
                "y": rounded([mean]),
                "type": "bar",
            }
            fig["data"].append(on(bar, k))
        axis_format(fig, catalog.fmt_of(metric), [k])
    axes(fig, "x", showticklabels=False)
    style(fig, 80 + 260 * n_rows, bargap=0.3)
    top_legend(fig, 1)
    return fig


def _compare_diff_figure(
    c: ComparisonData, t: Text, metrics: Sequence[tuple[str, str]]
) -> Fig | None:
    later = c.arms[1:]
    if not later:
        return None
    fig, n_rows = _grid(t, metrics)
    styles = {
        True: ("significant", PALETTE[3], "diamond"),
        False: ("not_significant", "#999", "circle-open"),
    }
    drawn: list[int] = []
    for k, (metric, _) in enumerate(metrics, start=1):
        for arm in later:
            r = c.rows.get((metric, arm))
            mean = None if r is None else num(r["diff_mean"])
            if r is None or mean is None:
                continue
            lo, hi = num(r.get("diff_ci95_lo", "")), num(r.get("diff_ci95_hi", ""))
            label, color, symbol = styles[r["significant"].strip().lower() == "true"]
            point = {
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": rounded([None if hi is None else hi - mean]),
                    "arrayminus": rounded([None if lo is None else mean - lo]),
                    "color": color,
                },
                "legendgroup": label,
                "marker": {"color": color, "size": 11, "symbol": symbol},
                "mode": "markers",
                "name": t(label),
                "showlegend": False,
                "x": [t("minus_first", arm=arm, first=c.arms[0])],
                "y": rounded([mean]),
                "type": "scatter",
            }
            fig["data"].append(on(point, k))
            drawn.append(k)
        axis_format(fig, catalog.fmt_of(metric), [k])
    if drawn:  # as plotly's add_hline(row="all", col="all"): across subplots with a point
        hline(fig, 0, {"color": "#555", "width": 1}, ids=sorted(set(drawn)))
    for label, color, symbol in styles.values():  # one legend entry per style
        entry = {
            "marker": {"color": color, "size": 11, "symbol": symbol},
            "mode": "markers",
            "name": t(label),
            "x": [None],
            "y": [None],
            "type": "scatter",
        }
        fig["data"].append(on(entry, 1))
    style(fig, 80 + 260 * n_rows)
    top_legend(fig, 1)
    return fig


def _compare_table(c: ComparisonData, t: Text) -> str:
    first, later = c.arms[0], c.arms[1:]
    head = [t("glossary_metric"), *c.arms, *(t("minus_first", arm=a, first=first) for a in later)]
    rows = []
    for metric in c.metrics:
        kind = catalog.fmt_of(metric)
        cells = [f"<td>{html.escape(metric)}</td>"]
        for arm in c.arms:
            r = c.rows.get((metric, arm))
            cells.append(f'<td class="num">{html.escape(ci_cell(r or {}, "", kind))}</td>')
        for arm in later:
            r = c.rows.get((metric, arm)) or {}
            text = ci_cell(r, "diff_", kind)
            if r.get("significant", "").strip().lower() == "true":
                text += " *"
            cells.append(f'<td class="num">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return note_html(t("table_note")) + table_html(head, rows)


def _recovered(c: ComparisonData, t: Text) -> str:
    """Each later arm's margin recovered per added agent-hour, mean [95% CI]."""
    kind = catalog.fmt_of(RECOVERED)
    rows = "".join(
        f"<tr><td>{html.escape(t('minus_first', arm=a, first=c.arms[0]))}</td>"
        f'<td class="num">{html.escape(ci_cell(c.rows[RECOVERED, a], "diff_", kind))}</td></tr>'
        for a in c.arms[1:]
        if (RECOVERED, a) in c.rows and c.rows[RECOVERED, a].get("diff_mean")
    )
    return (
        note_html(t("recovered_note", first=c.arms[0]))
        + f'<table class="glossary"><thead><tr><th>{html.escape(t("arms"))}</th>'
        + f"<th>{html.escape(catalog.capital(t(RECOVERED)))}</th></tr></thead>"
        + f"<tbody>{rows}</tbody></table>"
    )


LAB_SHOWN = (
    "net_yuan",
    "contacts",
    "lost_orders",
    "refunds_yuan",
    "short_agent_hours",
    "kpi_breach_days",
)
"""The lab table's metrics, as lab.csv names them, in order (those the folder has)."""


def _lab_section(c: ComparisonData, t: Text) -> str:
    """The lab's ranking: each variant's net and load, paired to as-written and the next."""
    assert c.lab is not None
    by = {(r["arm"], r["metric"]): r for r in c.lab}
    arms = list(dict.fromkeys(r["arm"] for r in sorted(c.lab, key=lambda r: int(r["rank"]))))
    metrics = [m for m in LAB_SHOWN if any(k[1] == m for k in by)]

    own = {"kpi_breach_days": "lab_breach_days", "short_agent_hours": "lab_short_hours"}

    def label(m: str) -> str:
        return t(own[m]) if m in own else catalog.capital(t(m))

    head = [t("lab_rank"), t("lab_variant"), *(label(m) for m in metrics), t("lab_gap")]
    rows = []
    for arm in arms:
        first = by.get((arm, metrics[0])) or {}
        variant = html.escape(first.get("variant", ""))
        cells = [
            f'<td class="num">{html.escape(first.get("rank", ""))}</td>',
            f"<td>{html.escape(arm)}<br><small>{variant}</small></td>",
        ]
        for m in metrics:
            r = by.get((arm, m)) or {}
            kind = "decimal" if m in own else catalog.fmt_of(m)
            text = html.escape(ci_cell(r, "", kind))
            if r.get("diff_mean"):
                mark = " *" if r.get("significant") == "1" else ""
                text += f"<br><small>Δ {html.escape(ci_cell(r, 'diff_', kind) + mark)}</small>"
            cells.append(f'<td class="num">{text}</td>')
        r = by.get((arm, "net_yuan")) or {}
        gap = "–"
        if r.get("gap_to_next"):
            row = {
                "mean": r["gap_to_next"],
                "ci95_lo": r.get("gap_ci95_lo", ""),
                "ci95_hi": r.get("gap_ci95_hi", ""),
            }
            gap = ci_cell(row, "", "yuan") + (" *" if r.get("gap_significant") == "1" else "")
        cells.append(f'<td class="num lab-gap">{html.escape(gap)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return note_html(t("lab_note")) + table_html(head, rows, "lab-ranking")


def build_with_labels(
    folder: Path, lang: str, figures: dict[str, go.Figure] | None = None
) -> tuple[str, set[str]]:
    """The compare page and the label keys it used."""
    t = Text(lang)
    c = ComparisonData(folder)
    plot = Plots(t, figures)
    metrics = [(m, catalog.glossary_key(m)) for m in catalog.COMPARE_FIGURES if m in c.metrics]
    arms_fig = _compare_arms_figure(c, t, metrics) if metrics else None
    diff_fig = _compare_diff_figure(c, t, metrics) if metrics else None
    body = [
        section_html(
            "arms",
            t("sec_compare_arms"),
            note_html(t("note_ci")) + plot(arms_fig, "fig-compare-arms"),
        ),
        section_html(
            "difference",
            t("sec_compare_diff"),
            note_html(t("diff_note")) + plot(diff_fig, "fig-compare-diff"),
        ),
        section_html("metrics", t("sec_compare_table"), _compare_table(c, t)),
    ]
    if RECOVERED in c.metrics:
        body.insert(2, section_html("recovered", catalog.capital(t(RECOVERED)), _recovered(c, t)))
    if c.lab is not None:
        body.insert(0, section_html("lab", t("sec_lab"), _lab_section(c, t)))
    meta = f"{t('arms')}: " + " · ".join(
        f"{a} ({str((c.info.get('hashes') or {}).get(a, ''))[:12]})" for a in c.arms
    )
    notes = [t("compare_note"), *(str(n) for n in c.info.get("notes") or [])]
    return page(t("compare_title"), meta, notes, body, t), t.used


def build_compare_report(
    folder: Path, lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The self-contained HTML report of a ``promosim compare`` folder.

    Built from ``comparison.csv`` and ``arms.json``: the headline metrics of the arms side by
    side, each later arm's difference from the first, and a table of every metric.

    Raises:
        ReportError: ``folder`` is not a readable comparison folder, or ``lang`` is unknown.
    """
    return build_with_labels(folder, lang, figures)[0]
