"""The HTML shell of every report: page, sections, notes, numbers as shown, plotly embedded once.

The page is deterministic: the same inputs give byte-identical HTML (no timestamps, fixed
div ids, plotly.js embedded with the first figure only).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from sim.report.data import num
from sim.report.labels import Text

CSS = """
body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0;
background:#f6f7f9;color:#222}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:26px}h2{margin:32px 0 8px;font-size:20px;
border-bottom:1px solid #ddd;padding-bottom:4px}h3{margin:16px 0 8px;font-size:15px;color:#555}
.meta,.note{color:#666;font-size:13px;margin:4px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:12px 16px;
min-width:200px;flex:1 1 200px}
.card .label{font-size:13px;color:#555}.card .value{font-size:24px;font-weight:600;margin:4px 0}
.card .ci,.card .extra{font-size:12px;color:#777}
.plot{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:8px;margin:8px 0}
table.glossary{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
table.glossary th,table.glossary td{border:1px solid #e3e5e8;padding:6px 10px;text-align:left;
vertical-align:top}
table.glossary th{background:#eef0f3}
table.glossary td:first-child{font-family:ui-monospace,monospace;white-space:nowrap}
table.glossary td.num{text-align:right;white-space:nowrap}
.card.bad .value{color:#c0392b}.card.good .value{color:#2e7d32}
"""


PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def fmt(value: float | None, kind: str) -> str:
    """A number as the report shows it, in a catalog format: ¥ for money, % for shares."""
    if value is None or not math.isfinite(value):
        return "–"
    if kind in ("yuan", "yuan_cents"):
        sign = "-" if value < 0 else ""
        return f"{sign}¥{abs(value):,.{2 if kind == 'yuan_cents' else 0}f}"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "decimal":
        return f"{value:,.1f}"
    if kind == "cents":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def signed(value: float, kind: str) -> str:
    """A number with its sign, ``+`` included."""
    text = fmt(value, kind)
    return text if value < 0 else "+" + text


def rounded(values: Sequence[float | None], digits: int = 4) -> list[float | None]:
    """Four significant digits: keeps the page small and stable."""
    out: list[float | None] = []
    for v in values:
        out.append(None if v is None else float(f"{v:.{digits}g}"))
    return out


def ci_cell(row: Mapping[str, str], prefix: str, kind: str) -> str:
    """A table cell: mean [95% CI] of a row's ``prefix`` columns."""
    mean, lo, hi = (num(row.get(f"{prefix}{c}", "")) for c in ("mean", "ci95_lo", "ci95_hi"))
    if mean is None:
        return "–"
    ci = f" [{fmt(lo, kind)}, {fmt(hi, kind)}]" if lo is not None and hi is not None else ""
    return fmt(mean, kind) + ci


def page(heading: str, meta: str, notes: Sequence[str], body: Sequence[str], t: Text) -> str:
    """The whole HTML page around its sections."""
    html_lang = "zh-CN" if t.lang == "zh" else "en"
    parts = [
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="promosim">'  # --force replaces only such a file
        f"<title>{html.escape(heading)}</title>"
        f"<style>{CSS}</style></head><body><main>"
        f"<h1>{html.escape(heading)}</h1>"
        f'<p class="meta">{html.escape(meta)}</p>',
        *(f'<p class="note">{html.escape(n)}</p>' for n in notes),
    ]
    for i, section in enumerate(body):
        parts += (section,) if i == 0 else ("\n", section)
    parts.append("</main></body></html>\n")
    # one join: the page is copied once, not once per ``+`` (a page holding plotly.js is
    # two bytes a character, 21 MB for a year's report)
    return "".join(parts)


class Plots:
    """Figures as page fragments: plotly.js embedded with the first one only."""

    def __init__(self, t: Text, figures: dict[str, go.Figure] | None = None) -> None:
        self.t = t
        self.done = 0
        self.figures = figures

    def __call__(self, fig: go.Figure | None, div_id: str) -> str:
        """A figure as a page fragment (a note when there is none)."""
        if fig is None:
            return f'<p class="note">{html.escape(self.t("not_available"))}</p>'
        if self.figures is not None:
            self.figures[div_id] = fig
        fig_html: str = fig.to_html(
            full_html=False,
            include_plotlyjs=self.done == 0,
            div_id=div_id,
            config=PLOTLY_CONFIG,
        )
        self.done += 1
        return f'<div class="plot">{fig_html}</div>'


def section_html(anchor: str, heading: str, content: str) -> str:
    """A page section with its anchor and heading."""
    return f'<section id="{anchor}"><h2>{html.escape(heading)}</h2>{content}</section>'


def table_html(head: Sequence[str], rows: Sequence[str], table_id: str = "") -> str:
    """A table in the glossary's style: ``head`` escaped here, ``rows`` as ``<tr>…</tr>``."""
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<table class="glossary"{ident}><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def note_html(text: str) -> str:
    """A note paragraph."""
    return f'<p class="note">{html.escape(text)}</p>'


def plotly_text(name: str) -> str:
    """An export's name as plotly text: entities, which plotly shows as the characters.

    Plotly reads ``<a href>``, ``<b>`` and ``<span style>`` in titles, trace names and hover
    text as live links and styles; escaped, they are shown as typed.
    """
    return html.escape(name, quote=False)  # plotly knows &lt; &gt; &amp;, not &quot;
