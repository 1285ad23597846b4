"""The staffing report: required against scheduled agents, target metrics, extra hours and cost."""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim import catalog
from sim.report.data import StaffingData, num
from sim.report.figures import PALETTE, axis_format, layout
from sim.report.labels import Text
from sim.report.page import Plots, fmt, note_html, page, rounded, section_html


def _staff_cards(s: StaffingData, t: Text) -> str:
    info = s.info
    met = bool(info.get("met"))
    cards = [
        f'<div class="card {"good" if met else "bad"}">'
        f'<div class="label">{html.escape(t("target"))}</div>'
        f'<div class="value">{html.escape(t("targets_met" if met else "targets_not_met"))}</div>'
        f'<div class="ci">{html.escape(" · ".join(str(x) for x in info.get("targets") or []))}'
        "</div></div>"
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
            f"{t('group')} {g} {fmt(float(v), kind)}"
            for g, v in per_group.items()
            if isinstance(v, int | float)
        )
        cards.append(
            '<div class="card">'
            f'<div class="label">{html.escape(t(label))} · {html.escape(t("total"))}</div>'
            f'<div class="value">{html.escape(fmt(float(total), kind))}</div>'
            f'<div class="extra">{html.escape(extra)}</div></div>'
        )
    for metric, value in (info.get("overall") or {}).items():
        if isinstance(value, int | float):
            shown = fmt(float(value), catalog.fmt_of(str(metric)))
            cards.append(
                '<div class="card">'
                f'<div class="label">{html.escape(str(metric))}</div>'
                f'<div class="value">{html.escape(shown)}</div>'
                f'<div class="extra">{html.escape(t("overall_value"))}</div></div>'
            )
    return f'<div class="cards">{"".join(cards)}</div>'


def _staff_agents_figure(s: StaffingData, t: Text) -> go.Figure | None:
    if not s.groups:
        return None
    fig = make_subplots(
        rows=len(s.groups),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08 if len(s.groups) > 1 else 0.0,
        subplot_titles=[f"{t('group')} {g}" for g in s.groups],
    )
    for row, g in enumerate(s.groups, start=1):
        rows = [r for r in s.rows if r["group"] == g]
        x = [r["interval_start"] for r in rows]
        for col, label, line in (
            ("required_agents", "required_agents", {"color": PALETTE[3], "width": 2}),
            ("scheduled_agents", "scheduled_agents", {"color": PALETTE[0], "dash": "dash"}),
        ):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=rounded([num(r[col]) for r in rows]),
                    mode="lines",
                    line={**line, "shape": "hv"},
                    name=t(label),
                    legendgroup=label,
                    showlegend=row == 1,
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text=t("axis_agents"), rangemode="tozero", row=row, col=1)
    fig.update_xaxes(tickformat="%m-%d %H:%M")
    fig.update_xaxes(title_text=t("axis_time"), row=len(s.groups), col=1)
    layout(fig, 120 + 230 * len(s.groups), hovermode="x unified")
    return fig


def _staff_targets_figure(s: StaffingData, t: Text) -> go.Figure | None:
    if not s.metrics:
        return None
    fig = make_subplots(
        rows=len(s.metrics),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08 if len(s.metrics) > 1 else 0.0,
        subplot_titles=s.metrics,
    )
    shown = False
    for row, metric in enumerate(s.metrics, start=1):
        values: dict[str, float | None] = {}
        for r in s.rows:  # the metric repeats on every group's row of an interval
            if values.get(r["interval_start"]) is None:
                values[r["interval_start"]] = num(r[metric])
        fig.add_trace(
            go.Scatter(
                x=list(values),
                y=rounded(list(values.values())),
                mode="lines+markers",
                line={"color": PALETTE[0]},
                marker={"size": 4},
                name=metric,
                showlegend=False,
            ),
            row=row,
            col=1,
        )
        for target, op, level in s.targets:
            if target != metric:
                continue
            line = {"color": PALETTE[3], "dash": "dash", "width": 1.5}
            fig.add_hline(y=level, line=line, row=row, col=1)
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="lines",
                    line=line,
                    name=f"{t('target')} {op} {level:g}",
                ),
                row=row,
                col=1,
            )
            shown = True
        kind = catalog.fmt_of(metric)
        axis_format(fig, kind, row=row, col=1)
        if kind == "share":
            fig.update_yaxes(range=[0, 1.05], row=row, col=1)
    fig.update_xaxes(tickformat="%m-%d %H:%M")
    fig.update_xaxes(title_text=t("axis_time"), row=len(s.metrics), col=1)
    layout(fig, 120 + 230 * len(s.metrics), showlegend=shown)
    return fig


def build_with_labels(
    folder: Path, lang: str, figures: dict[str, go.Figure] | None = None
) -> tuple[str, set[str]]:
    """The staffing page and the label keys it used."""
    t = Text(lang)
    s = StaffingData(folder)
    plot = Plots(t, figures)
    body = [
        section_html("extra", t("sec_staff_cards"), _staff_cards(s, t)),
        section_html(
            "agents",
            t("sec_staff_agents"),
            note_html(t("staff_note")) + plot(_staff_agents_figure(s, t), "fig-staff-agents"),
        ),
        section_html(
            "targets",
            t("sec_staff_targets"),
            plot(_staff_targets_figure(s, t), "fig-staff-targets"),
        ),
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

    Built from ``staffing.csv`` and ``staffing.json``: required against scheduled agents per
    interval and group, the simulated target metrics per interval with their targets, and the
    extra agent-hours and their cost.

    Raises:
        ReportError: ``folder`` is not a readable staffing folder, or ``lang`` is unknown.
    """
    return build_with_labels(folder, lang, figures)[0]
