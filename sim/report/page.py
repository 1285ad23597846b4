"""The HTML shell of every report: page, sections, notes, numbers as shown, plotly embedded once.

The page is deterministic: the same inputs give byte-identical HTML (no timestamps, fixed
div ids, plotly.js embedded with the first figure only).
"""

from __future__ import annotations

import functools
import html
import json
import math
import pkgutil
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sim.report.data import num
from sim.report.labels import Text

if TYPE_CHECKING:
    import plotly.graph_objects as go

Fig = dict[str, Any]
"""A figure as plotly.js reads it, ``{"data": [trace, …], "layout": {…}}``: plain values,
never validated by plotly (``layout.template`` may name a plotly template)."""

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


_TENS_FROM = -323
_TENS = np.array([float(f"1e{k}") for k in range(_TENS_FROM, 309)])
"""The powers of ten a double holds, 1e-323 to 1e308, each the nearest double (exact to 1e22).

A table, not ``np.log10`` and ``10.0 ** k``: numpy picks those loops by the CPU's SIMD
features, and a page must be the same bytes on every machine."""

_EXACT = 22
"""The largest power of ten a double holds exactly: scaled by one, a rounded value is the
double nearest its decimal digits, as ``float(f"{v:.4g}")`` is."""


def round_array(values: NDArray[np.float64], digits: int = 4) -> NDArray[np.float64]:
    """:func:`rounded` of a whole array: the same numbers (NaN kept), without a loop.

    A value a few ulps from a tie at its last digit (its product with the power of ten is
    not exact), or below 1e-19 or above 1e25 (no exact power of ten scales it), is rounded
    one by one, as :func:`rounded` does.
    """
    magnitude = np.abs(values)
    # the decimal exponent: a value's power of ten is the last one not above it
    exponent = np.searchsorted(_TENS, magnitude, side="right") - 1 + _TENS_FROM
    place = digits - 1 - exponent
    at = np.abs(place) - _TENS_FROM
    ok = (np.abs(place) <= _EXACT) & np.isfinite(values) & (magnitude > 0)
    scale = _TENS[np.where(ok, at, 0)]
    small = place >= 0
    with np.errstate(all="ignore"):  # the values left to the loop
        scaled = np.where(small, values * scale, values / scale)
        whole = np.round(scaled)
        out: NDArray[np.float64] = np.where(small, whole / scale, whole * scale)
        near = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
    out[~ok] = values[~ok]  # zeros (their sign kept), NaN, ±inf: as they are
    slow = (ok & near) | (np.isfinite(values) & (magnitude > 0) & ~ok)
    slow |= ok & ~np.isfinite(out)
    for i in np.flatnonzero(slow):
        out[i] = float(f"{values[i]:.{digits}g}")
    return out


def listed(values: NDArray[np.float64]) -> list[float | None]:
    """An array as a list, NaN as None (null in the page)."""
    return [None if v != v else v for v in values.tolist()]


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
    """Figures as page fragments: plotly.js embedded with the first one only.

    A figure is a :data:`Fig` dict, written as plotly writes one (:func:`figure_html`);
    ``figures``, if given, receives each as a ``go.Figure`` by its div id.
    """

    def __init__(self, t: Text, figures: dict[str, go.Figure] | None = None) -> None:
        self.t = t
        self.done = 0
        self.figures = figures

    def __call__(self, fig: Fig | None, div_id: str) -> str:
        """A figure as a page fragment (a note when there is none)."""
        if fig is None:
            return f'<p class="note">{html.escape(self.t("not_available"))}</p>'
        fig_html = figure_html(fig, div_id, plotly_js() if self.done == 0 else None)
        if self.figures is not None:  # pictures and tests: plotly checks the dict here
            import plotly.graph_objects as go

            # after the page's fragment: plotly moves each trace's "type" to its end
            self.figures[div_id] = go.Figure(fig)
        self.done += 1
        return f'<div class="plot">{fig_html}</div>'


def figure_html(fig: Fig, div_id: str, plotlyjs: str | None = None) -> str:
    """A dict figure as a page fragment, as plotly's ``to_html(full_html=False)`` writes it.

    ``plotlyjs``: the library's text, embedded before the figure (the page's first one).
    A ``layout.template`` given by name is written out as plotly's template of that name.
    """
    lay = fig.get("layout") or {}
    template = lay.get("template")
    if isinstance(template, str):
        lay = {**lay, "template": plotly_template(template)}
    height = lay.get("height")
    size = f"{height}px" if isinstance(height, int | float) else "100%"
    load = (
        "        <script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f"        <script>{plotlyjs}</script>    "
        if plotlyjs is not None
        else ""
    )
    return (
        f'<div style="height:{size}; width:100%;">{" " * 16}{load}{" " * 12}'
        f'<div id="{div_id}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
        "            <script>                window.PLOTLYENV=window.PLOTLYENV || {};"
        f'                                if (document.getElementById("{div_id}")) {{'
        f'                    Plotly.newPlot(                        "{div_id}",'
        f"                        {plotly_json(fig.get('data') or [])},"
        f"                        {plotly_json(lay)},"
        f"                        {json.dumps(PLOTLY_CONFIG)}"
        "                    )                };            </script>        </div>"
    )


_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))


def plotly_json(value: Any) -> str:
    """JSON as plotly writes a figure into a page.

    Compact; NaN and ±inf as null; ``<``, ``>`` and ``/`` escaped, so no text in it can
    close the page's script.
    """
    text = json.dumps(value, separators=(",", ":"))
    if "NaN" in text or "Infinity" in text:  # maybe only in a string: then nothing changes
        text = json.dumps(json.loads(text, parse_constant=lambda _: None), separators=(",", ":"))
    for unsafe, safe in _SAFE:
        text = text.replace(unsafe, safe)
    return text


@functools.cache
def plotly_js() -> str:
    """plotly.js as plotly ships it (embedded in every page: reports work offline)."""
    return _plotly_file("package_data/plotly.min.js").decode("utf-8")


@functools.cache
def plotly_template(name: str) -> dict[str, Any]:
    """One of plotly's templates (``plotly_white``) as the layout property it stands for."""
    data: dict[str, Any] = json.loads(_plotly_file(f"package_data/templates/{name}.json"))
    return data


def _plotly_file(path: str) -> bytes:
    data = pkgutil.get_data("plotly", path)
    if data is None:  # pragma: no cover - a plotly install without its package data
        raise FileNotFoundError(f"plotly's {path}")
    return data


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
