"""The run report's platform KPIs: scorecard.csv by day, and the hours that miss a bar.

Built from the run folder's files only: scorecard.csv (each KPI's rule and its daily scores),
hourly.csv's ``platform.<kpi>.sessions`` and ``.total`` series (the hours missing a bar, by
:func:`sim.scorecard.breaches`) and the resolved scenario's ``platform`` block (the rules'
title, date and definitions, when it is a valid one).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Callable

from pydantic import ValidationError

from sim.config import PlatformRules
from sim.report.data import KpiRule, KpiScore, ReportError, RunData, Scorecard
from sim.report.figures import PALETTE, axes, band, clip, hline, style
from sim.report.labels import Text
from sim.report.page import Fig, note_html, plotly_text, rounded
from sim.scorecard import Breach, breaches

MAX_BREACHES = 12
"""The most spans of hours missing a bar the report lists (hourly.csv holds every hour)."""

MARKS = {"met": "✓", "at_risk": "?", "breach": "✗", "": ""}
COLORS = {"met": "#2e7d32", "at_risk": "#b7791f", "breach": "#c0392b", "": "#222"}
OPS = {">=": "≥", "<=": "≤"}


def value_text(measure: str, x: float | None) -> str:
    """A KPI's value as shown: a share in % (one decimal), or whole seconds."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.1%}" if measure == "answered_within" else f"{x:,.0f} s"


def bar_text(rule: KpiRule, whole: bool = True) -> str:
    """A KPI's bar as shown (``≥ 80% [X]``; not ``whole``: ``80%``), empty without one."""
    if rule.bar is None:
        return ""
    op, value = rule.bar
    shown = f"{value * 100:g}%" if rule.measure == "answered_within" else f"{value:g} s"
    if not whole:
        return shown
    return f"{OPS[op]} {shown}" + (f" [{rule.bar_grade}]" if rule.bar_grade else "")


def rules_of(run: RunData) -> PlatformRules | None:
    """The resolved scenario's platform rules, None when it has no valid ``platform`` block."""
    block = run.scenario.get("platform") if isinstance(run.scenario, dict) else None
    if not isinstance(block, dict):
        return None
    try:
        return PlatformRules.model_validate(block)
    except (ValidationError, ValueError):
        return None


def slug(kpi: str, taken: set[str]) -> str:
    """A figure id for a KPI: its name in lower-case letters, digits and hyphens, unique."""
    base = "fig-platform-" + (re.sub(r"[^a-z0-9]+", "-", kpi.lower()).strip("-") or "kpi")
    out, k = base, 1
    while out in taken:
        k += 1
        out = f"{base}-{k}"
    taken.add(out)
    return out


def _definition(rule: KpiRule, rules: PlatformRules | None, t: Text) -> str:
    """What a KPI counts, from the scenario's rules (empty when they do not define it)."""
    kpi = rules.kpis.get(rule.kpi) if rules is not None else None
    if kpi is None or kpi.measure != rule.measure:
        return ""
    hours = f"{kpi.hours.open}–{kpi.hours.close}"
    if kpi.measure == "answered_within" and kpi.within_seconds is not None:
        return t("kpi_answered_within", s=f"{kpi.within_seconds:g}", hours=hours)
    if kpi.measure == "mean_response" and kpi.cap_seconds is not None:
        return t("kpi_mean_response", s=f"{kpi.cap_seconds:g}", hours=hours)
    return ""


# --------------------------------------------------------------------------- hours missing a bar


def _hour_sums(run: RunData, key: str, arm: str) -> list[float] | None:
    """An hourly.csv series' means, one per hour (0 where empty); None without the series."""
    rows = [run.hourly_rows.get((h, key, arm)) for h in run.hours]
    if all(r is None for r in rows):
        return None
    out = []
    for r in rows:
        cell = (r or {}).get("mean") or ""
        try:
            value = float(cell) if cell else 0.0
        except ValueError:
            raise ReportError(f"hourly.csv: a mean of {key} is not a number") from None
        out.append(value if math.isfinite(value) else 0.0)
    return out


def _hour_starts(run: RunData) -> list[dt.datetime]:
    try:
        return [dt.datetime.fromisoformat(h) for h in run.hours]
    except ValueError:
        raise ReportError("hourly.csv: an hour is not an ISO date-time") from None


def _hour_seconds(run: RunData) -> float:
    """An hourly.csv row's length, s: an hour, or an interval that does not divide one."""
    calendar = (run.scenario or {}).get("calendar") or {}
    minutes = calendar.get("interval_minutes") if isinstance(calendar, dict) else None
    width = float(minutes) * 60.0 if isinstance(minutes, int | float) and minutes > 0 else 3600.0
    return 3600.0 if 3600.0 % width == 0 else width


def spans(run: RunData, card: Scorecard) -> list[Breach] | None:
    """The main arm's spans of hours missing a bar, by KPI then time (hourly.csv order).

    None when hourly.csv has no platform series of a KPI with a bar (a folder written before
    they were).
    """
    out: list[Breach] = []
    starts: list[dt.datetime] | None = None
    width = _hour_seconds(run)
    for rule in card.rules.values():
        if rule.bar is None:
            continue
        sessions = _hour_sums(run, f"platform.{rule.kpi}.sessions", run.main_arm)
        totals = _hour_sums(run, f"platform.{rule.kpi}.total", run.main_arm)
        if sessions is None or totals is None:
            return None
        if starts is None:
            starts = _hour_starts(run)
        # the file's bar, against which its statuses were judged
        out += breaches(rule.kpi, rule.bar, starts, sessions, totals, width)
    return out


def _when(b: Breach) -> str:
    """A span's dates and clock times: ``11-12 08:00–24:00``."""
    if b.end.date() == b.start.date():
        end = f"{b.end:%H:%M}"
    elif b.end == dt.datetime.combine(b.start.date() + dt.timedelta(days=1), dt.time()):
        end = "24:00"
    else:
        end = f"{b.end:%m-%d %H:%M}"
    return f"{b.start:%m-%d %H:%M}–{end}"


def _warnings(run: RunData, card: Scorecard, t: Text) -> str:
    """The spans of hours missing a bar, as a list under its heading (HTML)."""
    if not any(r.bar is not None for r in card.rules.values()):
        return ""
    found = spans(run, card)
    arm = t(f"arm_{run.main_arm}")
    if found is None:
        return note_html(t("platform_no_hourly"))
    if not found:
        return note_html(t("platform_no_breach", arm=arm))
    items = []
    for b in found[:MAX_BREACHES]:
        rule = card.rules[b.kpi]
        key = "platform_below" if rule.bar and rule.bar[0] == ">=" else "platform_above"
        text = t(
            key,
            label=rule.label,
            bar=bar_text(rule, whole=False),
            when=_when(b),
            value=value_text(rule.measure, b.value),
            sessions=f"{b.sessions:,.0f}",
        )
        items.append(f"<li>{html.escape(text)}</li>")
    if len(found) > MAX_BREACHES:
        items.append(f"<li>{html.escape(t('platform_more', n=len(found) - MAX_BREACHES))}</li>")
    return (
        f'<p class="note" style="color:#c0392b"><strong>'
        f"{html.escape(t('platform_breaches', n=len(found), arm=arm))}</strong></p>"
        f'<ul style="margin:4px 0 12px;font-size:13px;color:#c0392b">{"".join(items)}</ul>'
    )


# --------------------------------------------------------------------------- the table


def _cell(rule: KpiRule, score: KpiScore | None, t: Text) -> str:
    """One KPI on one day: mean ± half the CI and the mark, the sessions below (HTML)."""
    if score is None or score.mean is None:
        return '<td class="num">–</td>'
    text = value_text(rule.measure, score.mean)
    if score.low is not None and score.high is not None:
        text += f" ± {value_text(rule.measure, (score.high - score.low) / 2)}"
    mark = MARKS[score.status]
    sessions = (
        ""
        if score.sessions is None
        else '<br><span style="font-size:11px;color:#777">'
        f"{html.escape(t('platform_sessions', n=f'{score.sessions:,.0f}'))}</span>"
    )
    bold = ";font-weight:600" if score.status == "breach" else ""
    return (
        f'<td class="num" style="color:{COLORS[score.status]}{bold}">'
        f"{html.escape(text + (f' {mark}' if mark else ''))}{sessions}</td>"
    )


def _table(run: RunData, card: Scorecard, rules: PlatformRules | None, t: Text) -> str:
    """Day × KPI, the main arm: value ± half its 95% CI and a mark (HTML)."""
    head = [f"<th>{html.escape(t('axis_day'))}</th>"]
    for rule in card.rules.values():
        bar = bar_text(rule) or t("platform_no_bar")
        what = _definition(rule, rules, t)
        sub = " · ".join(x for x in (rule.kpi, t("platform_bar", bar=bar), what) if x)
        head.append(
            f"<th>{html.escape(rule.label)}<br>"
            f'<span style="font-weight:400;font-size:11px">{html.escape(sub)}</span></th>'
        )
    rows = []
    for day in [*card.days, "all"]:
        cells = [
            _cell(rule, card.get(day, rule.kpi, run.main_arm), t) for rule in card.rules.values()
        ]
        label = t("whole_run") if day == "all" else day
        rows.append(f"<tr><td>{html.escape(label)}</td>{''.join(cells)}</tr>")
    return (
        f'<div style="overflow-x:auto"><table class="glossary platform">'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        + note_html(t("platform_marks"))
    )


# --------------------------------------------------------------------------- the figures


def _series(
    card: Scorecard, kpi: str, arm: str
) -> tuple[list[float | None], list[float | None], list[float | None], list[str]]:
    scores = [card.get(d, kpi, arm) for d in card.days]
    return (
        rounded([s.mean if s else None for s in scores]),
        rounded([s.low if s else None for s in scores]),
        rounded([s.high if s else None for s in scores]),
        [s.status if s else "" for s in scores],
    )


def figure(run: RunData, card: Scorecard, rule: KpiRule, t: Text) -> Fig | None:
    """One KPI per day: the main arm with its CI band, the baseline dotted, the bar, the marks."""
    x = card.days
    mean, lo, hi, status = _series(card, rule.kpi, run.main_arm)
    if not x or all(v is None for v in mean):
        return None
    rate = rule.measure == "answered_within"
    upper = 1.0 if rate else None
    data = [
        band(x, clip(lo, 0.0, upper), clip(hi, 0.0, upper), "rgba(76,120,168,0.25)", t("ci95")),
        {
            "type": "scatter",
            "x": x,
            "y": mean,
            "mode": "lines+markers",
            "line": {"color": PALETTE[0], "width": 2},
            "name": t(f"arm_{run.main_arm}"),
        },
    ]
    if run.promo:
        base = _series(card, rule.kpi, "baseline")[0]
        if any(v is not None for v in base):
            data.append(
                {
                    "type": "scatter",
                    "x": x,
                    "y": base,
                    "mode": "lines+markers",
                    "line": {"color": "#888", "width": 1.5, "dash": "dot"},
                    "marker": {"size": 5},
                    "name": t("arm_baseline"),
                }
            )
    for which, symbol, color in (("breach", "x", "#c0392b"), ("at_risk", "circle-open", "#b7791f")):
        days = [i for i, s in enumerate(status) if s == which]
        if days:
            data.append(
                {
                    "type": "scatter",
                    "x": [x[i] for i in days],
                    "y": [mean[i] for i in days],
                    "mode": "markers",
                    "marker": {"symbol": symbol, "size": 14, "color": color, "line": {"width": 2}},
                    "name": t(f"status_{which}"),
                }
            )
    fig: Fig = {"data": data, "layout": {}}
    if rule.bar is not None:
        line = {"color": "#e45756", "dash": "dash", "width": 1}
        hline(fig, rule.bar[1], line)
        fig["layout"]["annotations"] = [
            {
                "font": {"color": "#e45756", "size": 12},
                "showarrow": False,
                "text": plotly_text(t("platform_bar", bar=bar_text(rule))),
                "x": 0,
                "xanchor": "left",
                "xref": "x domain",
                "y": rule.bar[1],
                "yanchor": "bottom",
                "yref": "y",
            }
        ]
    style(fig, 340, hovermode="x unified")
    # a tick a day (a few days apart over a long run): not plotly's half days, each label twice
    every = max(1, math.ceil(len(x) / 14)) * 86_400_000
    axes(fig, "x", title={"text": t("axis_day")}, tickformat="%m-%d", dtick=every)
    if rate:
        axes(fig, "y", title={"text": t("axis_kpi_rate")}, tickformat=".0%", range=[0, 1.05])
    else:
        axes(fig, "y", title={"text": t("axis_kpi_seconds")}, rangemode="tozero")
    return fig


def section(run: RunData, t: Text, plot: Callable[[Fig | None, str], str]) -> str:
    """The section's content: a note, the hours missing a bar, the table, a figure per KPI."""
    card = run.scorecard
    assert card is not None
    rules = rules_of(run)
    platform = (rules.title or rules.name) if rules else next(iter(card.rules.values())).platform
    checked = rules.checked if rules else "–"
    parts = [
        note_html(
            t("platform_note", platform=platform, checked=checked, arm=t(f"arm_{run.main_arm}"))
        ),
        _warnings(run, card, t),
        _table(run, card, rules, t),
    ]
    taken: set[str] = set()
    for rule in card.rules.values():
        div_id = slug(rule.kpi, taken)
        parts.append(f"<h3>{html.escape(rule.label)} · {html.escape(rule.kpi)}</h3>")
        parts.append(plot(figure(run, card, rule, t), div_id))
    return "".join(parts)


def has_section(run: RunData) -> bool:
    """Whether the run has platform KPIs to show (a scorecard.csv with a row)."""
    return run.scorecard is not None and bool(run.scorecard.rules)
