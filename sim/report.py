"""The run report: one self-contained HTML page built only from a run folder's files.

This is the only module that imports plotly. The page is deterministic: the same run folder
gives byte-identical HTML (no timestamps, fixed div ids, plotly.js embedded once), so
``promosim report RUN_DIR`` rewrites exactly what ``promosim run`` wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import itertools
import json
import math
import os
import re
import warnings
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import yaml
from plotly.subplots import make_subplots

from sim import catalog

LANGS = ("en", "zh")

# Every text of the reports that is not data and not a metric's, by key; both languages.
# Metric labels (and views, CSAT drivers) come from the catalog: METRIC_TEXTS.
LABELS: dict[str, dict[str, str]] = {
    "report_title": {"en": "Run report", "zh": "运行报告"},
    "seed": {"en": "seed", "zh": "随机种子"},
    "replications": {"en": "replications", "zh": "重复次数"},
    "config_hash": {"en": "config hash", "zh": "配置哈希"},
    "note_ci": {
        "en": "Mean over replications with its 95% confidence interval.",
        "zh": "各次重复的均值及其 95% 置信区间。",
    },
    "note_paired": {
        "en": "Promotion vs baseline: the same orders and draws without the promotion "
        "(common random numbers); the effect is the paired difference.",
        "zh": "促销与基线对比：基线为去掉促销后的同一批订单与随机数（公共随机数），"
        "效应为配对差值。",
    },
    "sec_headline": {"en": "Headline", "zh": "核心指标"},
    "sec_contacts": {"en": "Contacts by reason per day", "zh": "每日各原因进线量"},
    "sec_offered": {"en": "Contacts per interval by channel", "zh": "各渠道每时段进线量"},
    "offered_note": {
        "en": "Contacts offered in each interval (by arrival), promotion arm against the "
        "baseline; the gap between the lines is what the promotion brings, hour by hour.",
        "zh": "每个时段到达的进线量，促销方案与基线对比；两线之间的差距即促销逐时段带来的进线。",
    },
    "sec_sl": {"en": "Service level per interval", "zh": "各时段服务水平"},
    "sec_asa": {"en": "Average speed of answer per interval", "zh": "各时段平均应答时长"},
    "sec_queue": {"en": "Queue length per interval", "zh": "各时段排队长度"},
    "sec_occupancy": {"en": "Agent occupancy by day and hour", "zh": "按日期与小时的坐席占用率"},
    "sec_waterfall": {"en": "From gross profit to net", "zh": "从毛利到净利"},
    "sec_waterfall_promo": {
        "en": "What the promotion adds: from gross profit to net impact",
        "zh": "促销带来的增量：从毛利到净影响",
    },
    "sec_glossary": {"en": "Glossary", "zh": "指标释义"},
    "sec_abandonment": {"en": "Abandonment and redials per day", "zh": "每日放弃与重拨"},
    "abandonment_note": {
        "en": "Bars: contacts that abandoned the queue and redials (customers calling back "
        "after abandoning), by day of arrival, with their 95% CI. Line: abandoned ÷ contacts "
        "of the day (ratio of the means over replications).",
        "zh": "柱：放弃排队的进线与重拨（放弃后再次进线），按进线日期统计，含 95% 置信区间。"
        "折线：当日放弃数 ÷ 进线数（各次重复均值之比）。",
    },
    "abandoned_share": {"en": "abandoned ÷ contacts", "zh": "放弃数 ÷ 进线数"},
    "axis_per_day": {"en": "Contacts per day", "zh": "每日进线数"},
    "sec_csat": {"en": "Satisfaction: distribution and drivers", "zh": "满意度：分布与驱动因素"},
    "csat_note": {
        "en": "Left: how issues spread over their probability of being satisfied. Right: what "
        "each driver costs — the CSAT gained if no issue had it — with the share of issues it "
        "touched. Error bars: 95% CI over replications.",
        "zh": "左：各问题的满意概率分布。右：各驱动因素造成的满意度损失（若所有问题都没有该因素，"
        "满意度可提高多少），并标出受影响问题的占比。误差线：各次重复的 95% 置信区间。",
    },
    "axis_issue_share": {"en": "Share of issues", "zh": "问题占比"},
    "axis_p_satisfied": {"en": "Probability of being satisfied", "zh": "满意概率"},
    "axis_csat_lost": {"en": "CSAT lost (share of issues)", "zh": "满意度损失（问题占比）"},
    "csat_distribution": {"en": "Distribution", "zh": "分布"},
    "csat_drivers": {"en": "Drivers", "zh": "驱动因素"},
    "issues_touched": {"en": "touched {share} of issues", "zh": "影响 {share} 的问题"},
    "ci95": {"en": "95% CI", "zh": "95% 置信区间"},
    "arm_promotion": {"en": "promotion", "zh": "促销"},
    "arm_baseline": {"en": "baseline", "zh": "基线"},
    "arm_effect": {"en": "effect", "zh": "效应"},
    "arm_scenario": {"en": "scenario", "zh": "场景"},
    "promo_caused": {"en": "caused by the promotion", "zh": "促销引起"},
    "total_contacts": {"en": "all contacts", "zh": "全部进线"},
    "axis_day": {"en": "Day", "zh": "日期"},
    "axis_time": {"en": "Time", "zh": "时间"},
    "axis_hour": {"en": "Hour of day", "zh": "小时"},
    "axis_contacts": {"en": "Contacts per day", "zh": "每日进线量"},
    "axis_queue": {"en": "Contacts waiting", "zh": "排队数"},
    "axis_yuan": {"en": "Yuan", "zh": "金额（元）"},
    "sl_threshold": {"en": "answered within {s} s", "zh": "{s} 秒内接通"},
    "sl_reference": {"en": "reference 80%", "zh": "参考线 80%"},
    "sl_note": {
        "en": "The dashed line at 80% is a reference only: a scenario sets each channel's "
        "service-level threshold (seconds), not a service-level target.",
        "zh": "80% 虚线仅供参考：场景只设定各渠道的服务水平时限（秒），未设定服务水平目标。",
    },
    "band_note": {
        "en": "Shaded: 95% CI over replications, clipped to the possible range.",
        "zh": "阴影：各次重复的 95% 置信区间，已截断到可能取值范围。",
    },
    "occupancy_note": {
        "en": "Busy agent-time ÷ staffed agent-time per staffing group, hourly mean.",
        "zh": "各坐席组忙碌时长 ÷ 在班时长，按小时取均值。",
    },
    "group": {"en": "group", "zh": "坐席组"},
    "glossary_metric": {"en": "Metric", "zh": "指标"},
    "glossary_definition": {"en": "Definition", "zh": "定义"},
    "glossary_note": {
        "en": "Definitions as the run folder's summary.json gives them.",
        "zh": "定义取自运行目录中的 summary.json（英文原文）。",
    },
    "not_available": {"en": "Not in this run.", "zh": "本次运行无此数据。"},
    "absent_card": {
        "en": "Absent: nothing in this run to count it over (the scenario has no such part, "
        "or no denominator in any replication), so no value is shown rather than a zero.",
        "zh": "无数据：本次运行没有可计算的基数（场景不含此部分，或各次重复均无分母），"
        "因此不显示数值，而非记为 0。",
    },
    "partial_card": {
        "en": "over {n} of {m} replications; absent in the others (no denominator)",
        "zh": "基于 {m} 次重复中的 {n} 次；其余各次无分母，不计入",
    },
    # compare, sweep and staff reports
    "compare_title": {"en": "Comparison report", "zh": "方案对比报告"},
    "sweep_title": {"en": "Sweep report", "zh": "参数扫描报告"},
    "staff_title": {"en": "Staffing report", "zh": "排班测算报告"},
    "arms": {"en": "arms", "zh": "方案"},
    "points": {"en": "points", "zh": "参数组合数"},
    "metric": {"en": "metric", "zh": "指标"},
    "sec_compare_arms": {"en": "Arms side by side", "zh": "各方案并列对比"},
    "sec_compare_diff": {"en": "Difference from the first arm", "zh": "与第一个方案的差值"},
    "sec_compare_table": {"en": "All metrics", "zh": "全部指标"},
    "compare_note": {
        "en": "All arms run on common random numbers; a difference is the paired "
        "difference of each later arm minus the first.",
        "zh": "各方案使用公共随机数；差值为后续各方案减去第一个方案的配对差值。",
    },
    "diff_note": {
        "en": "Error bars: 95% CI of the paired difference; significant when it excludes 0.",
        "zh": "误差线：配对差值的 95% 置信区间；不含 0 即为显著。",
    },
    "significant": {"en": "significant", "zh": "显著"},
    "not_significant": {"en": "not significant", "zh": "不显著"},
    "minus_first": {"en": "{arm} − {first}", "zh": "{arm} 减 {first}"},
    "table_note": {
        "en": "Each cell: mean [95% CI]; * marks a significant difference.",
        "zh": "每格：均值 [95% 置信区间]；* 表示差值显著。",
    },
    "sec_tornado": {"en": "Tornado: what moves the metric most", "zh": "龙卷风图：影响最大的参数"},
    "tornado_note": {
        "en": "Each parameter alone at its lowest and highest value, the others at the base; "
        "the line is the base.",
        "zh": "每次只改变一个参数（取最低值与最高值），其余参数保持基准；竖线为基准值。",
    },
    "at_low": {"en": "at the lowest value", "zh": "取最低值"},
    "at_high": {"en": "at the highest value", "zh": "取最高值"},
    "base": {"en": "base", "zh": "基准"},
    "sec_response": {"en": "Response curves", "zh": "响应曲线"},
    "response_note": {
        "en": "The metric against each varied parameter, one line per value of the other "
        "parameters; error bars: 95% CI.",
        "zh": "指标随各扫描参数的变化，其他参数每个取值一条线；误差线为 95% 置信区间。",
    },
    "no_tornado": {
        "en": "No tornado: the sweep ran a full grid.",
        "zh": "无龙卷风图：本次扫描为全组合网格。",
    },
    "sec_staff_cards": {"en": "Extra staffing and its cost", "zh": "新增人力及其成本"},
    "sec_staff_agents": {
        "en": "Required and scheduled agents per interval",
        "zh": "各时段所需与已排坐席数",
    },
    "sec_staff_targets": {
        "en": "Simulated target metrics per interval",
        "zh": "各时段目标指标模拟值",
    },
    "required_agents": {"en": "required", "zh": "所需"},
    "scheduled_agents": {"en": "scheduled", "zh": "已排"},
    "axis_agents": {"en": "Agents", "zh": "坐席数"},
    "target": {"en": "target", "zh": "目标"},
    "targets_met": {"en": "All targets met", "zh": "全部目标达成"},
    "targets_not_met": {"en": "Targets not met", "zh": "目标未达成"},
    "extra_agent_hours": {"en": "Extra agent-hours", "zh": "新增坐席工时"},
    "extra_cost_yuan": {"en": "Extra cost", "zh": "新增成本"},
    "total": {"en": "total", "zh": "合计"},
    "overall_value": {"en": "over the whole run", "zh": "全程"},
    "staff_note": {
        "en": "Required: the least agents per interval meeting every target (Erlang A, refined "
        "by simulation); scheduled: the scenario's own schedule.",
        "zh": "所需：满足全部目标的各时段最少坐席数（Erlang A 初算，经模拟修正）；"
        "已排：场景自身的排班。",
    },
}

METRIC_TEXTS: dict[str, dict[str, str]] = {
    **{m.key: {"en": catalog.capital(m.en), "zh": m.zh} for m in catalog.METRICS},
    **{f"view_{v}": dict(zip(LANGS, t, strict=True)) for v, t in catalog.VIEW_LABELS.items()},
    **{f"driver_{d}": dict(zip(LANGS, t, strict=True)) for d, t in catalog.DRIVER_LABELS.items()},
}
"""The catalog's words as report texts, by metric key, ``view_<view>`` and ``driver_<driver>``
(a metric's label as a title: first letter upper case)."""

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
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


class ReportError(Exception):
    """A run folder is missing or does not hold what a report needs."""


REQUIRED = ("summary.json", "scenario.resolved.yaml", "intervals.csv", "daily.csv")


class _Text:
    """Translates label keys into one language and records which keys were used."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ReportError(f"language {lang!r} is not one of {', '.join(LANGS)}")
        self.lang = lang
        self.used: set[str] = set()

    def __call__(self, key: str, **fields: object) -> str:
        """The text of a :data:`LABELS` key or a catalog key (:data:`METRIC_TEXTS`)."""
        self.used.add(key)
        text = (LABELS.get(key) or METRIC_TEXTS[key])[self.lang]
        return text.format(**fields) if fields else text


# --------------------------------------------------------------------------- numbers


def _num(cell: str) -> float | None:
    return float(cell) if cell else None


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


def _signed(value: float, kind: str) -> str:
    text = fmt(value, kind)
    return text if value < 0 else "+" + text


def _round(values: Sequence[float | None], digits: int = 4) -> list[float | None]:
    """Four significant digits: keeps the page small and stable."""
    out: list[float | None] = []
    for v in values:
        out.append(None if v is None else float(f"{v:.{digits}g}"))
    return out


# --------------------------------------------------------------------------- reading


def read_run(run_dir: Path) -> dict[str, str]:
    """The run folder's files a report is built from, by name.

    Raises:
        ReportError: the folder or one of its files is missing.
    """
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir}: not a run folder (no such folder)")
    files: dict[str, str] = {}
    for name in REQUIRED:
        path = run_dir / name
        if not path.is_file():
            raise ReportError(f"{run_dir}: not a run folder ({name} is missing)")
        files[name] = path.read_text(encoding="utf-8")
    return files


def _lines(text: str) -> Iterator[str]:
    """The lines of a text, each with its newline, one at a time.

    What ``io.StringIO(text)`` yields, without its copy of the whole text at four bytes a
    character (144 MB for a year's intervals.csv of 36 MB).
    """
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


DRAWN_INTERVAL_METRICS = ("offered", "service_level", "asa_seconds", "queue_length")
"""The intervals.csv metrics with a figure per interval, each with its CI (``_ci95_lo/hi``)."""
CHANNEL_COLUMNS = tuple(
    f"{m}{end}" for m in DRAWN_INTERVAL_METRICS for end in ("", "_ci95_lo", "_ci95_hi")
)
"""The numeric columns the report reads from a channel's rows of intervals.csv."""
GROUP_COLUMNS = ("occupancy",)
"""The numeric columns the report reads from a staffing group's rows (``group.NAME``)."""


class _Series:
    """One arm's and channel's rows of intervals.csv, in file order, column by column.

    Only the columns the report draws are kept (:data:`CHANNEL_COLUMNS`, or
    :data:`GROUP_COLUMNS` for a staffing group), as 8-byte doubles, NaN for an empty cell;
    interval starts are one shared string per interval. A year of 15-minute rows costs a few
    MB, where a dict of strings per row cost over a kB a row.
    """

    __slots__ = ("starts", "values", "where")

    def __init__(self, columns: Sequence[str], pos: Mapping[str, int]) -> None:
        self.starts: list[str] = []
        self.where = [(c, pos[c]) for c in columns if c in pos]
        self.values = {c: array("d") for c, _ in self.where}

    def add(self, start: str, row: Sequence[str]) -> None:
        self.starts.append(start)
        n = len(row)
        for name, i in self.where:
            cell = row[i] if i < n else ""
            self.values[name].append(float(cell) if cell else math.nan)

    def column(self, name: str) -> list[float | None]:
        """A numeric column, ``None`` where the cell is empty."""
        values = self.values.get(name)
        if values is None:
            raise ReportError(f"intervals.csv: no column {name} (or not one kept for these rows)")
        return [None if math.isnan(v) else v for v in values]


class _Intervals:
    """intervals.csv, parsed once into a :class:`_Series` per arm and channel."""

    def __init__(self, text: str) -> None:
        reader = csv.reader(_lines(text))
        header = next(reader, [])
        pos = {name: i for i, name in enumerate(header)}  # a repeated name: the last wins
        keys = ("arm", "channel", "interval_start")
        missing = [k for k in keys if k not in pos]
        at = [pos.get(k, 0) for k in keys]
        self.series: dict[tuple[str, str], _Series] = {}
        """By (arm, channel), in the order of their first rows."""
        starts: dict[str, str] = {}
        for row in reader:
            if not row:
                continue
            if missing:
                raise ReportError(f"intervals.csv has no column {', '.join(missing)}")
            arm, channel, start = (row[i] if i < len(row) else "" for i in at)
            series = self.series.get((arm, channel))
            if series is None:
                group = channel.startswith("group.")
                series = _Series(GROUP_COLUMNS if group else CHANNEL_COLUMNS, pos)
                self.series[arm, channel] = series
            series.add(starts.setdefault(start, start), row)
        self.channels = {c for _, c in self.series}
        """Every channel with a row, in any arm."""
        self.n_days = len({s[:10] for s in starts})
        """Days with a row, in any arm or channel."""


class _Run:
    """The parsed contents of a run folder."""

    def __init__(self, files: Mapping[str, str]) -> None:
        try:
            self.summary: dict[str, Any] = json.loads(files["summary.json"])
            self.scenario: dict[str, Any] = yaml.safe_load(files["scenario.resolved.yaml"])
            self.intervals = _Intervals(files["intervals.csv"])
            self.daily = list(csv.DictReader(_lines(files["daily.csv"])))
            self.days = list(dict.fromkeys(r["day"] for r in self.daily))
            self.daily_rows = {(r["day"], r["series"], r["arm"]): r for r in self.daily}
        except (KeyError, ValueError, yaml.YAMLError) as e:
            raise ReportError(f"not a readable run folder: {e}") from None
        if not isinstance(self.summary, dict) or "metrics" not in self.summary:
            raise ReportError("summary.json has no metrics")
        self.promo = "effect" in self.summary and "baseline" in self.summary
        self.main_arm = "promotion" if self.promo else "scenario"
        self.channels: list[str] = list((self.scenario or {}).get("channels") or {})

    def stat(self, arm: str, key: str) -> dict[str, Any] | None:
        block = self.summary.get(arm) or {}
        value = block.get(key)
        return value if isinstance(value, dict) else None


# --------------------------------------------------------------------------- headline cards


def _ci_text(stat: Mapping[str, Any], kind: str, t: _Text) -> str:
    ci = stat.get("ci95")
    if not ci:
        return ""
    return f"{t('ci95')} [{fmt(ci[0], kind)}, {fmt(ci[1], kind)}]"


def _card(label: str, main: Mapping[str, Any], kind: str, extra: str, t: _Text) -> str:
    return (
        '<div class="card">'
        f'<div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(fmt(main["mean"], kind))}</div>'
        f'<div class="ci">{html.escape(_ci_text(main, kind, t))}</div>'
        f'<div class="extra">{extra}</div>'
        "</div>"
    )


def _absent_card(label: str, t: _Text) -> str:
    """A headline metric the run does not have, and why."""
    return (
        '<div class="card absent">'
        f'<div class="label">{html.escape(label)}</div>'
        '<div class="value">–</div>'
        f'<div class="extra">{html.escape(t("absent_card"))}</div>'
        "</div>"
    )


def _partial(run: _Run, stat: Mapping[str, Any], t: _Text) -> str:
    """A note when a metric exists in only some replications (HTML, may be empty)."""
    n, m = stat.get("n"), run.summary.get("replications")
    if isinstance(n, int) and isinstance(m, int) and n < m:
        return f"<div>{html.escape(t('partial_card', n=n, m=m))}</div>"
    return ""


def _cards(run: _Run, t: _Text) -> str:
    """The headline cards (:data:`sim.catalog.HEADLINE`), by view."""
    parts = []
    for view in catalog.VIEWS:
        items = []
        for key in catalog.HEADLINE:
            m = catalog.lookup(key)
            if m is None or m.view != view:
                continue
            label, kind = m.key, m.fmt
            if key == "net_impact_yuan":  # the effect of a promotion: no card without one
                if not run.promo:
                    continue
                eff = run.stat("effect", key)
                if eff is not None:
                    items.append(_card(t(label), eff, kind, "", t))
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
                    bits.append(f"{t('arm_effect')} {_signed(eff['mean'], kind)}")
                    ci = eff.get("ci95")
                    if ci:
                        bits[-1] += f" [{fmt(ci[0], kind)}, {fmt(ci[1], kind)}]"
                extra += html.escape(" · ".join(bits))
            items.append(_card(t(label), main, kind, extra, t))
        body = "".join(items) or f'<p class="note">{html.escape(t("not_available"))}</p>'
        parts.append(f'<h3>{html.escape(t(f"view_{view}"))}</h3><div class="cards">{body}</div>')
    return "".join(parts)


# --------------------------------------------------------------------------- figures


def _layout(fig: go.Figure, height: int, **extra: Any) -> None:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 70, "r": 30, "t": 40, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        font={"family": "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"},
        **extra,
    )


def _contacts_figure(run: _Run, t: _Text) -> go.Figure | None:
    rows = [r for r in run.daily if r["series"].startswith("contacts.")]
    if not rows:
        return None
    reasons = list(dict.fromkeys(r["series"].removeprefix("contacts.") for r in rows))
    days = run.days

    def series(key: str, arm: str, col: str = "mean") -> list[float | None]:
        return _daily(run, key, arm)[1][col]

    fig = go.Figure()
    stack_arm = "baseline" if run.promo else "scenario"
    for i, reason in enumerate(reasons):
        color = PALETTE[i % len(PALETTE)]
        name = reason if not run.promo else f"{reason} · {t('arm_baseline')}"
        fig.add_trace(
            go.Bar(
                x=days,
                y=series(f"contacts.{reason}", stack_arm),
                name=name,
                legendgroup=reason,
                marker={"color": color},
            )
        )
    if run.promo:
        for i, reason in enumerate(reasons):
            y = series(f"contacts.{reason}", "effect")
            if not any(v for v in y):
                continue
            fig.add_trace(
                go.Bar(
                    x=days,
                    y=y,
                    name=f"{reason} · {t('promo_caused')}",
                    legendgroup=reason,
                    marker={
                        "color": PALETTE[i % len(PALETTE)],
                        "pattern": {"shape": "/", "fgcolor": "white", "solidity": 0.4},
                    },
                )
            )
    mean = series("contacts", run.main_arm)
    lo = series("contacts", run.main_arm, "ci95_lo")
    hi = series("contacts", run.main_arm, "ci95_hi")
    up = [None if m is None or h is None else h - m for m, h in zip(mean, hi, strict=True)]
    down = [None if m is None or w is None else m - w for m, w in zip(mean, lo, strict=True)]
    fig.add_trace(
        go.Scatter(
            x=days,
            y=mean,
            mode="markers",
            name=f"{t('total_contacts')} ({t('ci95')})",
            marker={"color": "#222", "size": 6, "symbol": "diamond"},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": up,
                "arrayminus": down,
                "color": "#222",
            },
        )
    )
    _layout(fig, 460, barmode="relative", bargap=0.15)
    fig.update_xaxes(title_text=t("axis_day"), tickformat="%m-%d")
    fig.update_yaxes(title_text=t("axis_contacts"))
    return fig


def _interval_series(
    run: _Run, arm: str, channel: str, metric: str
) -> tuple[list[str], list[float | None], list[float | None], list[float | None]]:
    s = run.intervals.series.get((arm, channel))
    if s is None:
        return [], [], [], []
    return (
        s.starts,
        _round(s.column(metric)),
        _round(s.column(f"{metric}_ci95_lo")),
        _round(s.column(f"{metric}_ci95_hi")),
    )


_NAIVE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _times(x: Sequence[str], n: int) -> dict[str, Any]:
    """A line's times as plotly's ``x0`` and ``dx`` if they are evenly spaced, else as ``x``.

    plotly.js places point ``i`` at ``x0 + i·dx`` (``dx`` in ms on a date axis), exactly where
    the time strings put it, so the figure is the same; the page no longer repeats a
    22-byte string per point (0.4 MB a line for a year of 30-minute intervals). ``n`` is the
    line's number of points: any other count, or any time not a naive ISO time to the
    second, keeps ``x``.
    """
    if n != len(x) or n < 2 or not all(_NAIVE_TIME.fullmatch(v) for v in x):
        return {"x": x}
    times = [dt.datetime.fromisoformat(v) for v in x]
    step = times[1] - times[0]
    if step <= dt.timedelta(0) or any(b - a != step for a, b in itertools.pairwise(times)):
        return {"x": x}
    return {"x0": x[0], "dx": step // dt.timedelta(milliseconds=1)}


def _clip(values: list[float | None], lo: float, hi: float | None) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
        else:
            out.append(max(lo, v) if hi is None else min(hi, max(lo, v)))
    return out


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


def _interval_figure(
    run: _Run, t: _Text, metric: str, axis: str, upper: float | None, reference: bool
) -> go.Figure | None:
    channels = [c for c in run.channels if c in run.intervals.channels]
    if not channels:
        return None
    thresholds = {
        c: (run.scenario["channels"][c] or {}).get("service_level_seconds") for c in channels
    }

    def title(c: str) -> str:
        s = thresholds[c]
        if metric == "service_level" and isinstance(s, int | float):
            return f"{c} · {t('sl_threshold', s=f'{s:g}')}"
        return c

    fig = make_subplots(
        rows=len(channels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08 if len(channels) > 1 else 0.0,
        subplot_titles=[title(c) for c in channels],
    )
    arm_name = t(f"arm_{run.main_arm}")
    for row, c in enumerate(channels, start=1):
        x, mean, lo, hi = _interval_series(run, run.main_arm, c, metric)
        first = row == 1
        band_x, band_y = _band(x, _clip(lo, 0.0, upper), _clip(hi, 0.0, upper))
        fig.add_trace(
            go.Scatter(
                x=band_x,
                y=band_y,
                mode="lines",
                line={"width": 0},
                fill="toself",
                fillcolor="rgba(76,120,168,0.25)",
                name=t("ci95"),
                hoverinfo="skip",
                showlegend=first,
                legendgroup="ci",
            ),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                **_times(x, len(mean)),
                y=mean,
                mode="lines",
                line={"color": PALETTE[0], "width": 1.5},
                name=arm_name,
                showlegend=first,
                legendgroup="main",
            ),
            row=row,
            col=1,
        )
        if run.promo:
            _, base, _, _ = _interval_series(run, "baseline", c, metric)
            fig.add_trace(
                go.Scatter(
                    **_times(x, len(base)),
                    y=base,
                    mode="lines",
                    line={"color": "#888", "width": 1, "dash": "dot"},
                    name=t("arm_baseline"),
                    showlegend=first,
                    legendgroup="base",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text=t(axis), row=row, col=1)
        if metric == "service_level":
            fig.update_yaxes(tickformat=".0%", range=[0, 1.05], row=row, col=1)
    if reference:
        fig.add_hline(
            y=0.8,
            line={"color": "#e45756", "dash": "dash", "width": 1},
            row="all",
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"color": "#e45756", "dash": "dash", "width": 1},
                name=t("sl_reference"),
            ),
            row=1,
            col=1,
        )
    fig.update_xaxes(tickformat="%m-%d %H:%M")
    fig.update_xaxes(title_text=t("axis_time"), row=len(channels), col=1)
    _layout(fig, 120 + 230 * len(channels), hovermode="x unified")
    return fig


def _occupancy_figure(run: _Run, t: _Text) -> go.Figure | None:
    groups = [c for a, c in run.intervals.series if c.startswith("group.") and a == run.main_arm]
    if not groups:
        return None
    fig = make_subplots(
        rows=1,
        cols=len(groups),
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=[f"{t('group')} {g.removeprefix('group.')}" for g in groups],
    )
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
            _round(
                [
                    sum(cells[(d, h)]) / len(cells[(d, h)]) if (d, h) in cells else None
                    for h in hours
                ],
                3,
            )
            for d in days
        ]
        fig.add_trace(
            go.Heatmap(
                x=hours,
                y=days,
                z=z,
                zmin=0,
                zmax=1,
                colorscale="YlOrRd",
                showscale=col == 1,
                colorbar={"tickformat": ".0%", "title": {"text": t("occupancy")}},
                hovertemplate="%{y} %{x}:00 · %{z:.0%}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text=t("axis_hour"), dtick=3, range=[-0.5, 23.5], row=1, col=col)
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_yaxes(title_text=t("axis_day"), row=1, col=1)
    _layout(fig, max(260, 140 + 22 * run.intervals.n_days))
    return fig


WATERFALL_STEPS = catalog.WATERFALL


def _waterfall_figure(run: _Run, t: _Text) -> go.Figure | None:
    if run.promo:
        arm, start, end = "effect", "promo_gross_profit_yuan", "net_impact_yuan"
    else:
        arm, start, end = "metrics", "gross_profit_yuan", "net_yuan"
    keys = [start, *WATERFALL_STEPS, end]
    stats = {k: run.stat(arm, k) for k in keys}
    if stats[start] is None or stats[end] is None:
        return None
    values = [0.0 if stats[k] is None else float(stats[k]["mean"]) for k in keys]  # type: ignore[index]
    y = [values[0], *(-v for v in values[1:-1]), values[-1]]
    fig = go.Figure(
        go.Waterfall(
            x=[t(k) for k in keys],
            y=_round(y, 8),
            measure=["absolute", *["relative"] * len(WATERFALL_STEPS), "total"],
            text=[fmt(v, "yuan") for v in y],
            textposition="outside",
            connector={"line": {"color": "#aaa"}},
            increasing={"marker": {"color": PALETTE[2]}},
            decreasing={"marker": {"color": PALETTE[3]}},
            totals={"marker": {"color": PALETTE[0]}},
            cliponaxis=False,
        )
    )
    _layout(fig, 420, showlegend=False)
    fig.update_yaxes(title_text=t("axis_yuan"), tickprefix="¥", tickformat=",.0f")
    return fig


def _daily(run: _Run, key: str, arm: str) -> tuple[list[str], dict[str, list[float | None]]]:
    """Days and the ``mean``, ``ci95_lo``, ``ci95_hi`` columns of one daily series."""
    rows = [run.daily_rows.get((d, key, arm)) for d in run.days]
    cols = {
        c: _round([_num(row[c]) if row else None for row in rows])
        for c in ("mean", "ci95_lo", "ci95_hi")
    }
    return run.days, cols


def _abandonment_figure(run: _Run, t: _Text) -> go.Figure | None:
    if not any(r["series"] == "abandoned" for r in run.daily):
        return None
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    arms = [run.main_arm, "baseline"] if run.promo else [run.main_arm]
    for k, series in enumerate(("abandoned", "redials")):
        for arm in arms:
            days, col = _daily(run, series, arm)
            if all(v is None for v in col["mean"]):
                continue
            name = t(series) + (f" · {t(f'arm_{arm}')}" if run.promo else "")
            fig.add_trace(
                go.Bar(
                    x=days,
                    y=col["mean"],
                    name=name,
                    marker={"color": PALETTE[3 + k] if arm == run.main_arm else LIGHT[3 + k]},
                    error_y=_error_bars(col["mean"], col["ci95_lo"], col["ci95_hi"], "count"),
                ),
                secondary_y=False,
            )
    for arm in arms:
        days, ab = _daily(run, "abandoned", arm)
        _, n = _daily(run, "contacts", arm)
        share = [
            None if a is None or c is None or c <= 0 else a / c
            for a, c in zip(ab["mean"], n["mean"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=days,
                y=_round(share),
                mode="lines+markers",
                name=t("abandoned_share") + (f" · {t(f'arm_{arm}')}" if run.promo else ""),
                line={"color": "#222", "dash": "solid" if arm == run.main_arm else "dot"},
            ),
            secondary_y=True,
        )
    _layout(fig, 420, barmode="group", bargap=0.15)
    fig.update_xaxes(title_text=t("axis_day"), tickformat="%m-%d")
    fig.update_yaxes(title_text=t("axis_per_day"), rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title_text=t("abandoned_share"),
        tickformat=".0%",
        rangemode="tozero",
        tickmode="auto",
        showgrid=False,
        secondary_y=True,
    )
    return fig


def _driver_label(run: _Run, t: _Text, driver: str) -> str:
    """A driver's name over the share of issues it touched (promotion / baseline)."""
    blocks = ("metrics", "baseline") if run.promo else ("metrics",)
    shares = [run.stat(b, f"issues_with.{driver}") for b in blocks]
    share = " / ".join(fmt(s["mean"] if s else None, "share") for s in shares)
    return f"{t(f'driver_{driver}')}<br><sub>{t('issues_touched', share=share)}</sub>"


def _stat_columns(
    run: _Run, block: str, keys: Sequence[str]
) -> tuple[list[float | None], list[float | None], list[float | None]]:
    """Mean, CI low and CI high of summary metrics (``None`` where absent)."""
    stats = [run.stat(block, k) or {} for k in keys]
    cis = [s.get("ci95") or [None, None] for s in stats]
    return [s.get("mean") for s in stats], [c[0] for c in cis], [c[1] for c in cis]


def _csat_figure(run: _Run, t: _Text) -> go.Figure | None:
    bands = [k for k in (run.summary.get("metrics") or {}) if k.startswith("csat_dist.")]
    drivers = [k for k in (run.summary.get("metrics") or {}) if k.startswith("csat_lost.")]
    if not bands:
        return None
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.2,
        subplot_titles=(t("csat_distribution"), t("csat_drivers")),
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
        fig.add_trace(
            go.Bar(
                x=labels,
                y=_round(mean),
                name=name,
                legendgroup=arm,
                marker={"color": color},
                error_y=_error_bars(mean, lo, hi, "share"),
            ),
            row=1,
            col=1,
        )
        if not drivers:
            continue
        mean, lo, hi = _stat_columns(run, block, drivers)
        fig.add_trace(
            go.Bar(
                y=[_driver_label(run, t, k.removeprefix("csat_lost.")) for k in drivers],
                x=_round(mean),
                orientation="h",
                name=name,
                legendgroup=arm,
                showlegend=False,
                marker={"color": color},
                error_x=_error_bars(mean, lo, hi),
            ),
            row=1,
            col=2,
        )
    _layout(fig, 440, barmode="group", bargap=0.2)
    fig.update_xaxes(title_text=t("axis_p_satisfied"), row=1, col=1)
    fig.update_yaxes(title_text=t("axis_issue_share"), tickformat=".0%", row=1, col=1)
    fig.update_xaxes(title_text=t("axis_csat_lost"), tickformat=".1%", row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    _top_legend(fig, 1)
    return fig


# --------------------------------------------------------------------------- page

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


def _glossary(run: _Run, t: _Text) -> str:
    glossary = run.summary.get("glossary") or {}
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in glossary.items()
    )
    return (
        f'<p class="note">{html.escape(t("glossary_note"))}</p>'
        '<table class="glossary"><thead><tr>'
        f"<th>{html.escape(t('glossary_metric'))}</th>"
        f"<th>{html.escape(t('glossary_definition'))}</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _render(
    run: _Run, t: _Text, figures: dict[str, go.Figure] | None = None
) -> tuple[str, str, list[str], list[str]]:
    """The page's heading, meta line, notes and sections (for :func:`_page`)."""
    plot = _Plots(t, figures)

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
    body = []
    for anchor, key, render in sections:
        body.append(f'<section id="{anchor}"><h2>{html.escape(t(key))}</h2>{render()}</section>')
    notes = [t("note_ci")] + ([t("note_paired")] if run.promo else [])
    return f"{title} · {t('report_title')}", meta, notes, body


def _page(heading: str, meta: str, notes: Sequence[str], body: Sequence[str], t: _Text) -> str:
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
    t = _Text(lang)
    run = _Run(files)
    if owned and isinstance(files, dict):
        files.clear()
    heading, meta, notes, body = _render(run, t, figures)
    del run
    return _page(heading, meta, notes, body, t), t.used


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


# --------------------------------------------------------------------------- compare, sweep, staff


class _Plots:
    """Figures as page fragments: plotly.js embedded with the first one only."""

    def __init__(self, t: _Text, figures: dict[str, go.Figure] | None = None) -> None:
        self.t = t
        self.done = 0
        self.figures = figures

    def __call__(self, fig: go.Figure | None, div_id: str) -> str:
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


def _section(anchor: str, heading: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{html.escape(heading)}</h2>{content}</section>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _read_folder(folder: Path, what: str, required: Sequence[str]) -> dict[str, str]:
    """The named files of a command's output folder (optional ones only if present)."""
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a {what} folder (no such folder)")
    files: dict[str, str] = {}
    for name in required:
        path = folder / name
        if not path.is_file():
            raise ReportError(f"{folder}: not a {what} folder ({name} is missing)")
        files[name] = path.read_text(encoding="utf-8")
    return files


def _read_json(folder: Path, name: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except ValueError as e:
        raise ReportError(f"{folder}: {name} is not readable JSON: {e}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{folder}: {name} does not hold a {what} description")
    return data


def _read_csv(text: str, name: str, columns: Sequence[str]) -> list[dict[str, str]]:
    rows = list(csv.DictReader(_lines(text)))
    header = csv.DictReader(_lines(text)).fieldnames or []
    missing = [c for c in columns if c not in header]
    if missing:
        raise ReportError(f"{name} has no column {', '.join(missing)}")
    return rows


def _kind(metric: str) -> str:
    """How a metric's numbers are shown: its catalog format."""
    return catalog.fmt_of(metric)


def _axis_format(fig: go.Figure, kind: str, **where: Any) -> None:
    if kind == "share":
        fig.update_yaxes(tickformat=".0%", **where)
    elif kind in ("yuan", "yuan_cents"):
        fig.update_yaxes(tickprefix="¥", tickformat=",.0f", **where)


def _top_legend(fig: go.Figure, lines: int) -> None:
    """The legend at the very top of a figure of subplots, clear of their titles."""
    fig.update_layout(
        legend={"yref": "container", "y": 1.0, "yanchor": "top"},
        margin={"t": 50 + 22 * lines},
    )


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return (n + cols - 1) // cols, cols


def _cell(row: Mapping[str, str], prefix: str, kind: str) -> str:
    mean, lo, hi = (_num(row.get(f"{prefix}{c}", "")) for c in ("mean", "ci95_lo", "ci95_hi"))
    if mean is None:
        return "–"
    ci = f" [{fmt(lo, kind)}, {fmt(hi, kind)}]" if lo is not None and hi is not None else ""
    return fmt(mean, kind) + ci


def _error_bars(
    mean: Sequence[float | None],
    lo: Sequence[float | None],
    hi: Sequence[float | None],
    kind: str = "",
) -> dict[str, Any]:
    """Asymmetric plotly error bars from means and CI bounds (shares clipped to [0, 1])."""
    if kind == "share":
        lo, hi = _clip(list(lo), 0.0, 1.0), _clip(list(hi), 0.0, 1.0)
    elif kind == "count":
        lo = _clip(list(lo), 0.0, None)
    up = [None if m is None or h is None else h - m for m, h in zip(mean, hi, strict=True)]
    down = [None if m is None or w is None else m - w for m, w in zip(mean, lo, strict=True)]
    return {"type": "data", "symmetric": False, "array": _round(up), "arrayminus": _round(down)}


# compare ----------------------------------------------------------------------------


class _Comparison:
    def __init__(self, folder: Path) -> None:
        files = _read_folder(folder, "comparison", ("comparison.csv", "arms.json"))
        self.info = _read_json(folder, "arms.json", "comparison")
        rows = _read_csv(
            files["comparison.csv"],
            "comparison.csv",
            ("metric", "arm", "mean", "ci95_lo", "ci95_hi", "diff_mean", "significant"),
        )
        arms = [str(a) for a in self.info.get("arms") or []]
        self.arms = arms or list(dict.fromkeys(r["arm"] for r in rows))
        if not self.arms:
            raise ReportError(f"{folder}: comparison.csv has no arms")
        self.metrics = list(dict.fromkeys(r["metric"] for r in rows))
        self.rows = {(r["metric"], r["arm"]): r for r in rows}


def _compare_arms_figure(c: _Comparison, t: _Text, metrics: Sequence[tuple[str, str]]) -> go.Figure:
    n_rows, n_cols = _grid(len(metrics), 3)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=[t(label) for _, label in metrics],
        vertical_spacing=0.5 / n_rows if n_rows > 1 else 0.0,
        horizontal_spacing=0.08,
    )
    for k, (metric, _) in enumerate(metrics):
        row, col = k // n_cols + 1, k % n_cols + 1
        for i, arm in enumerate(c.arms):
            r = c.rows.get((metric, arm))
            if r is None:
                continue
            mean, lo, hi = _num(r["mean"]), _num(r["ci95_lo"]), _num(r["ci95_hi"])
            fig.add_trace(
                go.Bar(
                    x=[arm],
                    y=_round([mean]),
                    name=arm,
                    legendgroup=arm,
                    showlegend=k == 0,
                    marker={"color": PALETTE[i % len(PALETTE)]},
                    error_y={**_error_bars([mean], [lo], [hi], _kind(metric)), "color": "#222"},
                ),
                row=row,
                col=col,
            )
        _axis_format(fig, _kind(metric), row=row, col=col)
    fig.update_xaxes(showticklabels=False)
    _layout(fig, 80 + 260 * n_rows, bargap=0.3)
    _top_legend(fig, 1)
    return fig


def _compare_diff_figure(
    c: _Comparison, t: _Text, metrics: Sequence[tuple[str, str]]
) -> go.Figure | None:
    later = c.arms[1:]
    if not later:
        return None
    n_rows, n_cols = _grid(len(metrics), 3)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=[t(label) for _, label in metrics],
        vertical_spacing=0.5 / n_rows if n_rows > 1 else 0.0,
        horizontal_spacing=0.08,
    )
    styles = {
        True: ("significant", PALETTE[3], "diamond"),
        False: ("not_significant", "#999", "circle-open"),
    }
    for k, (metric, _) in enumerate(metrics):
        row, col = k // n_cols + 1, k % n_cols + 1
        for arm in later:
            r = c.rows.get((metric, arm))
            mean = None if r is None else _num(r["diff_mean"])
            if r is None or mean is None:
                continue
            lo, hi = _num(r.get("diff_ci95_lo", "")), _num(r.get("diff_ci95_hi", ""))
            label, color, symbol = styles[r["significant"].strip().lower() == "true"]
            fig.add_trace(
                go.Scatter(
                    x=[t("minus_first", arm=arm, first=c.arms[0])],
                    y=_round([mean]),
                    mode="markers",
                    name=t(label),
                    legendgroup=label,
                    showlegend=False,
                    marker={"color": color, "size": 11, "symbol": symbol},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": _round([None if hi is None else hi - mean]),
                        "arrayminus": _round([None if lo is None else mean - lo]),
                        "color": color,
                    },
                ),
                row=row,
                col=col,
            )
        _axis_format(fig, _kind(metric), row=row, col=col)
    fig.add_hline(y=0, line={"color": "#555", "width": 1}, row="all", col="all")
    for label, color, symbol in styles.values():  # one legend entry per style
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=t(label),
                marker={"color": color, "size": 11, "symbol": symbol},
            ),
            row=1,
            col=1,
        )
    _layout(fig, 80 + 260 * n_rows)
    _top_legend(fig, 1)
    return fig


def _compare_table(c: _Comparison, t: _Text) -> str:
    first, later = c.arms[0], c.arms[1:]
    head = [t("glossary_metric"), *c.arms, *(t("minus_first", arm=a, first=first) for a in later)]
    rows = []
    for metric in c.metrics:
        kind = _kind(metric)
        cells = [f"<td>{html.escape(metric)}</td>"]
        for arm in c.arms:
            r = c.rows.get((metric, arm))
            cells.append(f'<td class="num">{html.escape(_cell(r or {}, "", kind))}</td>')
        for arm in later:
            r = c.rows.get((metric, arm)) or {}
            text = _cell(r, "diff_", kind)
            if r.get("significant", "").strip().lower() == "true":
                text += " *"
            cells.append(f'<td class="num">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        _note(t("table_note"))
        + f'<table class="glossary"><thead><tr>{header}</tr></thead>'
        + f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _compare(
    folder: Path, lang: str, figures: dict[str, go.Figure] | None = None
) -> tuple[str, set[str]]:
    t = _Text(lang)
    c = _Comparison(folder)
    plot = _Plots(t, figures)
    metrics = [(m, catalog.glossary_key(m)) for m in catalog.COMPARE_FIGURES if m in c.metrics]
    arms_fig = _compare_arms_figure(c, t, metrics) if metrics else None
    diff_fig = _compare_diff_figure(c, t, metrics) if metrics else None
    body = [
        _section(
            "arms",
            t("sec_compare_arms"),
            _note(t("note_ci")) + plot(arms_fig, "fig-compare-arms"),
        ),
        _section(
            "difference",
            t("sec_compare_diff"),
            _note(t("diff_note")) + plot(diff_fig, "fig-compare-diff"),
        ),
        _section("metrics", t("sec_compare_table"), _compare_table(c, t)),
    ]
    meta = f"{t('arms')}: " + " · ".join(
        f"{a} ({str((c.info.get('hashes') or {}).get(a, ''))[:12]})" for a in c.arms
    )
    notes = [t("compare_note"), *(str(n) for n in c.info.get("notes") or [])]
    return _page(t("compare_title"), meta, notes, body, t), t.used


def build_compare_report(
    folder: Path, lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The self-contained HTML report of a ``promosim compare`` folder.

    Built from ``comparison.csv`` and ``arms.json``: the headline metrics of the arms side by
    side, each later arm's difference from the first, and a table of every metric.

    Raises:
        ReportError: ``folder`` is not a readable comparison folder, or ``lang`` is unknown.
    """
    return _compare(folder, lang, figures)[0]


# sweep ------------------------------------------------------------------------------


class _Sweep:
    def __init__(self, folder: Path) -> None:
        files = _read_folder(folder, "sweep", ("sweep.csv",))
        rows = _read_csv(files["sweep.csv"], "sweep.csv", ("metric", "mean", "ci95_lo", "ci95_hi"))
        header = csv.DictReader(_lines(files["sweep.csv"])).fieldnames or []
        self.paths = list(header[: header.index("metric")])
        self.rows = rows
        self.tornado = (
            _read_json(folder, "tornado.json", "tornado")
            if (folder / "tornado.json").is_file()
            else None
        )
        metric = (self.tornado or {}).get("metric")
        self.metric = str(metric) if metric else "all.service_level"
        self.points = len({tuple(r[p] for p in self.paths) for r in rows})


def _value_key(text: str) -> tuple[int, float, str]:
    """Sort numbers by value, anything else after them by text."""
    try:
        return 0, float(text), text
    except ValueError:
        return 1, 0.0, text


def _tornado_figure(s: _Sweep, t: _Text) -> go.Figure | None:
    bars = [b for b in (s.tornado or {}).get("bars") or [] if isinstance(b, dict)]
    if not bars:
        return None
    bars = sorted(bars, key=lambda b: -float(b.get("swing") or 0.0))
    paths = [str(b["path"]) for b in bars]
    base = float(bars[0]["base_mean"])
    kind = _kind(s.metric)
    fig = go.Figure()
    for end, label, color in (("low", "at_low", PALETTE[0]), ("high", "at_high", PALETTE[1])):
        means = [float(b[f"{end}_mean"]) for b in bars]
        bases = [float(b["base_mean"]) for b in bars]
        fig_x = [m - b for m, b in zip(means, bases, strict=True)]
        fig.add_trace(
            go.Bar(
                y=paths,
                x=_round(fig_x, 6),
                base=_round(bases, 6),
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
    _layout(fig, 140 + 50 * len(bars), barmode="overlay", bargap=0.35)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=s.metric)
    if kind == "share":
        fig.update_xaxes(tickformat=".0%")
    elif kind in ("yuan", "yuan_cents"):
        fig.update_xaxes(tickprefix="¥", tickformat=",.0f")
    return fig


def _response_figure(s: _Sweep, t: _Text) -> go.Figure | None:
    rows = [r for r in s.rows if r["metric"] == s.metric]
    if not rows or not s.paths:
        return None
    n_rows, n_cols = _grid(len(s.paths), 2)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=s.paths,
        vertical_spacing=0.4 / n_rows if n_rows > 1 else 0.0,
        horizontal_spacing=0.1,
    )
    kind = _kind(s.metric)
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
            mean = [_num(r["mean"]) for r in line]
            lo = [_num(r["ci95_lo"]) for r in line]
            hi = [_num(r["ci95_hi"]) for r in line]
            x: list[float] | list[str] = (
                [float(r[path]) for r in line] if numeric else [r[path] for r in line]
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_round(mean),
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=True,
                    line={"color": PALETTE[len(shown) % len(PALETTE)]},
                    error_y=_error_bars(mean, lo, hi, kind),
                ),
                row=k // n_cols + 1,
                col=k % n_cols + 1,
            )
            shown.append(name)
        _axis_format(fig, kind, row=k // n_cols + 1, col=k % n_cols + 1)
        fig.update_yaxes(title_text=s.metric, row=k // n_cols + 1, col=k % n_cols + 1)
    _layout(fig, 120 + 320 * n_rows)
    _top_legend(fig, (len(shown) + 2) // 3)
    return fig


def _sweep(
    folder: Path, lang: str, figures: dict[str, go.Figure] | None = None
) -> tuple[str, set[str]]:
    t = _Text(lang)
    s = _Sweep(folder)
    plot = _Plots(t, figures)
    try:
        tornado = _tornado_figure(s, t)
    except (KeyError, TypeError, ValueError) as e:
        raise ReportError(f"{folder}: tornado.json has an unreadable bar: {e!r}") from None
    body = [
        _section(
            "tornado",
            t("sec_tornado"),
            _note(t("tornado_note")) + plot(tornado, "fig-tornado")
            if tornado is not None
            else _note(t("no_tornado")),
        ),
        _section(
            "response",
            t("sec_response"),
            _note(t("response_note")) + plot(_response_figure(s, t), "fig-response"),
        ),
    ]
    meta = f"{t('metric')} {s.metric} · {t('points')} {s.points}"
    return _page(t("sweep_title"), meta, [t("note_ci")], body, t), t.used


def build_sweep_report(
    folder: Path, lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The self-contained HTML report of a ``promosim sweep`` folder.

    Built from ``sweep.csv`` and, if present, ``tornado.json``: the tornado chart and the
    response curves of the tornado's metric (``all.service_level`` without a tornado).

    Raises:
        ReportError: ``folder`` is not a readable sweep folder, or ``lang`` is unknown.
    """
    return _sweep(folder, lang, figures)[0]


# staff ------------------------------------------------------------------------------

_TARGET = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*$")


class _Staffing:
    def __init__(self, folder: Path) -> None:
        files = _read_folder(folder, "staffing", ("staffing.csv", "staffing.json"))
        self.info = _read_json(folder, "staffing.json", "staffing")
        fixed = ("interval_start", "group", "required_agents", "scheduled_agents")
        self.rows = _read_csv(files["staffing.csv"], "staffing.csv", fixed)
        header = csv.DictReader(_lines(files["staffing.csv"])).fieldnames or []
        self.metrics = [c for c in header if c not in fixed]
        self.groups = list(dict.fromkeys(r["group"] for r in self.rows))
        self.targets: list[tuple[str, str, float]] = []
        for text in self.info.get("targets") or []:
            m = _TARGET.match(str(text))
            if m:
                self.targets.append((m[1], m[2], float(m[3])))


def _staff_cards(s: _Staffing, t: _Text) -> str:
    info = s.info
    met = bool(info.get("met"))
    cards = [
        f'<div class="card {"good" if met else "bad"}">'
        f'<div class="label">{html.escape(t("target"))}</div>'
        f'<div class="value">{html.escape(t("targets_met" if met else "targets_not_met"))}</div>'
        f'<div class="ci">{html.escape(" · ".join(str(x) for x in info.get("targets") or []))}'
        "</div></div>"
    ]
    hours = info.get("extra_agent_hours") or {}
    cost = info.get("extra_cost_yuan") or {}
    for label, total, per_group, kind in (
        ("extra_agent_hours", info.get("total_extra_agent_hours"), hours, "decimal"),
        ("extra_cost_yuan", info.get("total_extra_cost_yuan"), cost, "yuan"),
    ):
        if not isinstance(total, int | float):
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
            cards.append(
                '<div class="card">'
                f'<div class="label">{html.escape(str(metric))}</div>'
                f'<div class="value">{html.escape(fmt(float(value), _kind(str(metric))))}</div>'
                f'<div class="extra">{html.escape(t("overall_value"))}</div></div>'
            )
    return f'<div class="cards">{"".join(cards)}</div>'


def _staff_agents_figure(s: _Staffing, t: _Text) -> go.Figure | None:
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
                    y=_round([_num(r[col]) for r in rows]),
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
    _layout(fig, 120 + 230 * len(s.groups), hovermode="x unified")
    return fig


def _staff_targets_figure(s: _Staffing, t: _Text) -> go.Figure | None:
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
                values[r["interval_start"]] = _num(r[metric])
        fig.add_trace(
            go.Scatter(
                x=list(values),
                y=_round(list(values.values())),
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
        kind = _kind(metric)
        _axis_format(fig, kind, row=row, col=1)
        if kind == "share":
            fig.update_yaxes(range=[0, 1.05], row=row, col=1)
    fig.update_xaxes(tickformat="%m-%d %H:%M")
    fig.update_xaxes(title_text=t("axis_time"), row=len(s.metrics), col=1)
    _layout(fig, 120 + 230 * len(s.metrics), showlegend=shown)
    return fig


def _staff(
    folder: Path, lang: str, figures: dict[str, go.Figure] | None = None
) -> tuple[str, set[str]]:
    t = _Text(lang)
    s = _Staffing(folder)
    plot = _Plots(t, figures)
    body = [
        _section("extra", t("sec_staff_cards"), _staff_cards(s, t)),
        _section(
            "agents",
            t("sec_staff_agents"),
            _note(t("staff_note")) + plot(_staff_agents_figure(s, t), "fig-staff-agents"),
        ),
        _section(
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
    return _page(title, meta, [], body, t), t.used


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
    return _staff(folder, lang, figures)[0]


_KINDS: dict[str, Callable[[Path, str], tuple[str, set[str]]]] = {
    "compare": _compare,
    "sweep": _sweep,
    "staff": _staff,
}


def used_folder_labels(folder: Path, kind: str, lang: str = "en") -> set[str]:
    """The label keys a compare, sweep or staff folder's report uses (kind: the command)."""
    return _KINDS[kind](folder, lang)[1]


# --------------------------------------------------------------------------- pictures


def figure_images(figures: Mapping[str, go.Figure], fmt: str) -> dict[str, bytes]:
    """Each figure as a ``png`` or ``svg`` picture (kaleido, with the system's Chromium).

    Kaleido drives a headless Chrome; where ``BROWSER_PATH`` is unset, Debian's Chromium at
    /usr/bin/chromium is used (install it with ``apt-get install chromium``).

    Raises:
        ReportError: An unknown format, or no browser to render with.
    """
    if fmt not in ("png", "svg"):
        raise ReportError(f"--images: {fmt!r} is not png or svg")
    if "BROWSER_PATH" not in os.environ and Path("/usr/bin/chromium").exists():
        os.environ["BROWSER_PATH"] = "/usr/bin/chromium"
    import kaleido  # only for pictures

    out: dict[str, bytes] = {}
    try:
        with warnings.catch_warnings():
            # plotly notes that its kaleido options do not apply to a running server
            warnings.simplefilter("ignore", UserWarning)
            # one browser for all the figures, not one each (seconds apiece)
            kaleido.start_sync_server(silence_warnings=True)
            try:
                for div_id, fig in figures.items():
                    out[f"{div_id}.{fmt}"] = fig.to_image(
                        format=fmt, width=1200, height=fig.layout.height or 500
                    )
            finally:
                kaleido.stop_sync_server(silence_warnings=True)
    except Exception as e:  # kaleido reports a missing browser in several ways
        raise ReportError(f"--images: could not render pictures ({type(e).__name__}: {e})") from e
    return out


# --------------------------------------------------------------------------- calibration

CAL_LABELS: dict[str, dict[str, str]] = {
    "cal_title": {"en": "Calibration report", "zh": "校准报告"},
    "cal_meta": {
        "en": "{orders} orders, {contacts} contacts; contacts observed {start} to {end}",
        "zh": "{orders} 个订单，{contacts} 条进线；进线观察期 {start} 至 {end}",
    },
    "cal_note": {
        "en": "Fitted values with their 95% confidence intervals; the fragment carries them as "
        "comments.",
        "zh": "拟合值及其 95% 置信区间；参数片段文件中以注释形式保留。",
    },
    "cal_sec_params": {"en": "Fitted parameters", "zh": "拟合参数"},
    "cal_sec_excluded": {"en": "Rows excluded, and why", "zh": "被排除的行及原因"},
    "cal_none_excluded": {"en": "No row was excluded.", "zh": "没有行被排除。"},
    "cal_sec_orders": {"en": "Orders per day", "zh": "每日订单量"},
    "cal_sec_intraday": {"en": "Orders by hour of day", "zh": "各小时订单占比"},
    "cal_sec_lags": {"en": "Contact lags by reason", "zh": "各原因进线滞后时间"},
    "cal_sec_handle": {"en": "Handle time by channel", "zh": "各渠道处理时长"},
    "cal_sec_patience": {"en": "Patience (Kaplan–Meier)", "zh": "耐心时长（Kaplan–Meier）"},
    "cal_sec_csat": {"en": "CSAT model calibration", "zh": "满意度模型校准"},
    "cal_parameter": {"en": "Parameter", "zh": "参数"},
    "cal_value": {"en": "Fitted", "zh": "拟合值"},
    "cal_ci": {"en": "95% CI", "zh": "95% 置信区间"},
    "cal_n": {"en": "n", "zh": "样本量"},
    "cal_rows": {"en": "Rows", "zh": "行数"},
    "cal_reason": {"en": "Reason", "zh": "原因"},
    "cal_observed": {"en": "observed", "zh": "观测"},
    "cal_fitted": {"en": "fitted", "zh": "拟合"},
    "cal_promo_day": {"en": "days with promotion orders", "zh": "含促销订单的日期"},
    "cal_axis_share": {"en": "share of orders", "zh": "订单占比"},
    "cal_axis_hour": {"en": "hour of day", "zh": "小时"},
    "cal_axis_density": {"en": "density per hour", "zh": "每小时密度"},
    "cal_axis_lag": {"en": "lag, hours", "zh": "滞后，小时"},
    "cal_axis_handle": {"en": "handle time, seconds", "zh": "处理时长，秒"},
    "cal_axis_cdf": {"en": "share at most", "zh": "累计占比"},
    "cal_axis_wait": {"en": "wait, seconds", "zh": "等待，秒"},
    "cal_axis_patient": {"en": "share still waiting (patience left)", "zh": "仍愿等待的比例"},
    "cal_axis_predicted": {"en": "predicted P(satisfied)", "zh": "预测满意概率"},
    "cal_axis_satisfied": {"en": "observed share satisfied", "zh": "观测满意比例"},
    "cal_km": {"en": "Kaplan–Meier", "zh": "Kaplan–Meier 曲线"},
    "cal_exp": {"en": "exponential fit, mean {mean:.0f} s", "zh": "指数拟合，均值 {mean:.0f} 秒"},
    "cal_naive": {
        "en": "naive mean of abandoners' waits {mean:.0f} s (biased low)",
        "zh": "放弃者等待时长的简单均值 {mean:.0f} 秒（偏低）",
    },
    "cal_lag_title": {
        "en": "{reason}: from {anchor}, {family}, KS {ks:.3f}",
        "zh": "{reason}：自 {anchor} 起，{family}，KS {ks:.3f}",
    },
    "cal_handle_title": {"en": "{channel}: KS {ks:.3f}", "zh": "{channel}：KS {ks:.3f}"},
    "cal_patience_note": {
        "en": "Answered contacts are censored: their wait is a lower bound on patience. The "
        "exponential MLE counts every contact's wait; the mean of abandoners' waits alone "
        "ignores everyone who would have waited longer.",
        "zh": "被接起的进线是删失观测：其等待时长只是耐心的下界。指数最大似然估计计入所有进线的"
        "等待时间；只对放弃者的等待求均值会忽略那些本可等得更久的客户。",
    },
    "cal_lag_note": {
        "en": "Lags are fitted truncated to the observation window; the histogram is of observed "
        "lags and the curve the untruncated fit, so long lags near the window's end look rarer.",
        "zh": "滞后分布按观察期截断拟合；直方图为观测滞后，曲线为未截断的拟合分布，"
        "因此接近观察期末的长滞后显得较少。",
    },
    "cal_ideal": {"en": "perfect calibration", "zh": "完美校准"},
    "cal_sec_gof": {"en": "Goodness of fit", "zh": "拟合优度"},
    "cal_statistic": {"en": "Statistic", "zh": "统计量"},
    "cal_gof_dispersion": {
        "en": "orders per day: variance ÷ mean (1 for Poisson days)",
        "zh": "每日订单量：方差 ÷ 均值（泊松为 1）",
    },
    "cal_gof_lag": {
        "en": "{reason}: KS distance of the lag fit",
        "zh": "{reason}：滞后拟合的 KS 距离",
    },
    "cal_gof_handle": {
        "en": "{channel}: KS distance of the handle-time fit",
        "zh": "{channel}：处理时长拟合的 KS 距离",
    },
    "cal_gof_km": {
        "en": "{channel}: largest gap, Kaplan–Meier to exponential",
        "zh": "{channel}：Kaplan–Meier 与指数拟合的最大差距",
    },
    "cal_gof_csat": {
        "en": "CSAT: largest gap, observed to predicted share by tenth",
        "zh": "满意度：各十分位观测与预测比例的最大差距",
    },
}
LABELS.update(CAL_LABELS)


def _plotly_text(name: str) -> str:
    """An export's name as plotly text: entities, which plotly shows as the characters.

    Plotly reads ``<a href>``, ``<b>`` and ``<span style>`` in titles, trace names and hover
    text as live links and styles; escaped, they are shown as typed.
    """
    return html.escape(name, quote=False)  # plotly knows &lt; &gt; &amp;, not &quot;


def _cal_rows(f: Any) -> list[tuple[str, Any]]:
    """(parameter, estimate) rows of a calibration fit, in fragment order."""
    rows: list[tuple[str, Any]] = []
    o = f.orders
    if o is not None:
        rows.append(("orders.per_day", o.per_day))
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        for d, e in zip(days, o.weekday_factors or [], strict=False):
            rows.append((f"orders.weekday_factors.{d}", e))
        if o.uplift is not None:
            rows.append(("promotion.order_uplift", o.uplift))
    for name, (median, sigma) in f.fulfilment.items():
        rows.append((f"fulfilment.{name}.median", median))
        rows.append((f"fulfilment.{name}.sigma", sigma))
    for r in f.reasons:
        if r.rate_per_order is not None:
            rows.append((f"{r.name}.rate_per_order", r.rate_per_order))
        if r.lag is not None:
            for k, e in r.lag.params.items():
                rows.append((f"{r.name}.lag_hours.{k} ({r.lag.anchor})", e))
        if r.handle_time_factor is not None:
            rows.append((f"{r.name}.handle_time_factor", r.handle_time_factor))
        if r.resolution is not None:
            rows.append((f"{r.name}.resolution_probability", r.resolution))
    for c, h in f.handle.items():
        rows.append((f"channels.{c}.handle_time_seconds.median", h.median))
        rows.append((f"channels.{c}.handle_time_seconds.sigma", h.sigma))
    for c, p in f.patience.items():
        if p.abandoned:
            rows.append((f"channels.{c}.patience_seconds.mean", p.mean))
    for key in ("repeat", "repeat_lag_hours", "redial", "redial_lag_minutes"):
        e = getattr(f, key)
        if e is not None:
            name = {"repeat": "repeat_probability", "redial": "redial_probability"}.get(key, key)
            rows.append((f"journey.{name}", e))
    if f.csat is not None:
        rows += [(f"satisfaction.{k}", e) for k, e in f.csat.coef.items()]
    return rows


def _cal_table(f: Any, t: _Text) -> str:
    def g(v: float) -> str:
        return f"{v:.4g}"

    body = "".join(
        f"<tr><td>{html.escape(name)}</td><td class=num>{g(e.value)}</td>"
        f"<td class=num>[{g(e.lo)}, {g(e.hi)}]</td><td class=num>{e.n}</td></tr>"
        for name, e in _cal_rows(f)
    )
    head = "".join(
        f"<th>{html.escape(t(k))}</th>" for k in ("cal_parameter", "cal_value", "cal_ci", "cal_n")
    )
    return f'<table class="glossary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cal_excluded(f: Any, t: _Text) -> str:
    if not f.excluded and not f.notes:
        return _note(t("cal_none_excluded"))
    body = "".join(
        f"<tr><td>{html.escape(why)}</td><td class=num>{k}</td></tr>"
        for why, k in f.excluded.items()
    )
    head = f"<th>{html.escape(t('cal_reason'))}</th><th>{html.escape(t('cal_rows'))}</th>"
    notes = "".join(_note(n) for n in f.notes)
    return (
        f'<table class="glossary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        + notes
    )


def _cal_gof(f: Any, t: _Text) -> str:
    rows: list[tuple[str, float]] = []
    if f.orders is not None:
        rows.append((t("cal_gof_dispersion"), f.orders.dispersion_index))
    rows += [(t("cal_gof_lag", reason=r.name), r.lag.ks) for r in f.reasons if r.lag is not None]
    rows += [(t("cal_gof_handle", channel=c), h.ks) for c, h in f.handle.items()]
    rows += [(t("cal_gof_km", channel=c), p.km_gap) for c, p in f.patience.items() if p.abandoned]
    if f.csat is not None and f.csat.calibration:
        rows.append((t("cal_gof_csat"), max(abs(p - o) for p, o, _ in f.csat.calibration)))
    body = "".join(
        f"<tr><td>{html.escape(name)}</td><td class=num>{value:.3f}</td></tr>"
        for name, value in rows
    )
    head = f"<th>{html.escape(t('cal_statistic'))}</th><th>{html.escape(t('cal_value'))}</th>"
    return f'<table class="glossary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cal_orders_figure(f: Any, t: _Text) -> go.Figure | None:
    import datetime as _dt

    o = f.orders
    if o is None:
        return None
    fig = go.Figure()
    colors = [PALETTE[1] if p else PALETTE[0] for p in o.day_promo]
    fig.add_bar(x=o.day_dates, y=o.day_counts, name=t("cal_observed"), marker_color=colors)
    fitted = []
    for d in o.day_dates:
        e = o.weekday_means[_dt.date.fromisoformat(d).weekday()]
        fitted.append(e.value if e is not None else None)
    fig.add_scatter(x=o.day_dates, y=fitted, mode="lines+markers", name=t("cal_fitted"))
    _layout(fig, 380, yaxis_title=t("orders"))
    return fig


def _cal_intraday_figure(f: Any, t: _Text) -> go.Figure | None:
    o = f.orders
    if o is None:
        return None
    fig = go.Figure()
    shares = o.intraday_share
    fig.add_bar(
        x=list(range(24)),
        y=[e.value for e in shares],
        name=t("cal_observed"),
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [e.hi - e.value for e in shares],
            "arrayminus": [e.value - e.lo for e in shares],
        },
    )
    _layout(fig, 340, xaxis_title=t("cal_axis_hour"), yaxis_title=t("cal_axis_share"))
    return fig


def _cal_lag_figure(f: Any, t: _Text) -> go.Figure | None:
    import numpy as np

    fits = [r for r in f.reasons if r.lag is not None]
    if not fits:
        return None
    rows, cols = _grid(len(fits), 2)
    titles = [
        t(
            "cal_lag_title",
            reason=_plotly_text(r.name),
            anchor=r.lag.anchor,
            family=r.lag.family,
            ks=r.lag.ks,
        )
        for r in fits
    ]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    for i, r in enumerate(fits):
        lag = r.lag
        hi = float(np.quantile(lag.lags_hours, 0.99))
        edges = np.linspace(0.0, hi, 41)
        counts, _ = np.histogram(lag.lags_hours, bins=edges)
        dens = counts / max(1, lag.lags_hours.size) / np.diff(edges)
        mid = (edges[1:] + edges[:-1]) / 2
        grid = np.linspace(hi / 400, hi, 200)
        cell = {"row": i // cols + 1, "col": i % cols + 1}
        fig.add_bar(
            x=mid.tolist(),
            y=dens.tolist(),
            name=t("cal_observed"),
            marker_color=PALETTE[0],
            showlegend=i == 0,
            **cell,
        )
        fig.add_scatter(
            x=grid.tolist(),
            y=lag.pdf(grid).tolist(),
            mode="lines",
            name=t("cal_fitted"),
            line={"color": PALETTE[1]},
            showlegend=i == 0,
            **cell,
        )
        fig.update_xaxes(title_text=t("cal_axis_lag"), **cell)
        fig.update_yaxes(title_text=t("cal_axis_density"), **cell)
    _layout(fig, 320 * rows, bargap=0)
    _top_legend(fig, 1)
    return fig


def _cal_handle_figure(f: Any, t: _Text) -> go.Figure | None:
    import numpy as np
    from scipy import special

    if not f.handle:
        return None
    names = list(f.handle)
    rows, cols = _grid(len(names), 2)
    titles = [t("cal_handle_title", channel=_plotly_text(c), ks=f.handle[c].ks) for c in names]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    for i, c in enumerate(names):
        h = f.handle[c]
        x = np.sort(h.observed_seconds)
        k = max(1, x.size // 300)
        grid = x[::k]
        # the channel's fitted mixture over reasons: each cell's median, the channel's sigma
        total = sum(e.n for e in h.cell_median.values())
        s = h.sigma.value
        cdf = sum(
            e.n / total * special.ndtr((np.log(grid) - np.log(e.value)) / s)
            for e in h.cell_median.values()
        )
        cell = {"row": i // cols + 1, "col": i % cols + 1}
        fig.add_scatter(
            x=grid.tolist(),
            y=(np.arange(x.size)[::k] / x.size).tolist(),
            mode="lines",
            name=t("cal_observed"),
            line={"color": PALETTE[0]},
            showlegend=i == 0,
            **cell,
        )
        fig.add_scatter(
            x=grid.tolist(),
            y=np.asarray(cdf).tolist(),
            mode="lines",
            name=t("cal_fitted"),
            line={"color": PALETTE[1], "dash": "dash"},
            showlegend=i == 0,
            **cell,
        )
        fig.update_xaxes(title_text=t("cal_axis_handle"), type="log", **cell)
        fig.update_yaxes(title_text=t("cal_axis_cdf"), range=[0, 1], **cell)
    _layout(fig, 320 * rows)
    _top_legend(fig, 1)
    return fig


def _cal_patience_figure(f: Any, t: _Text) -> go.Figure | None:
    import numpy as np

    fits = {c: p for c, p in f.patience.items() if p.abandoned}
    if not fits:
        return None
    fig = go.Figure()
    for i, (name, p) in enumerate(fits.items()):
        c = _plotly_text(name)
        color = PALETTE[i % len(PALETTE)]
        fig.add_scatter(
            x=p.km_time.tolist(),
            y=p.km_survival.tolist(),
            mode="lines",
            line={"shape": "hv", "color": color},
            name=f"{c} · {t('cal_km')}",
        )
        top = float(p.km_time.max()) if p.km_time.size else 1.0
        grid = np.linspace(0.0, max(top, 1.0), 100)
        fig.add_scatter(
            x=grid.tolist(),
            y=np.exp(-grid / p.mean.value).tolist(),
            mode="lines",
            line={"dash": "dash", "color": color},
            name=f"{c} · {t('cal_exp', mean=p.mean.value)}",
        )
        if math.isfinite(p.naive_mean):
            fig.add_scatter(
                x=[p.naive_mean, p.naive_mean],
                y=[0, 1],
                mode="lines",
                line={"dash": "dot", "color": color},
                name=f"{c} · {t('cal_naive', mean=p.naive_mean)}",
            )
    _layout(
        fig,
        420,
        xaxis_title=t("cal_axis_wait"),
        yaxis_title=t("cal_axis_patient"),
        yaxis_range=[0, 1.02],
    )
    _top_legend(fig, len(fits))  # one legend row per channel
    return fig


def _cal_csat_figure(f: Any, t: _Text) -> go.Figure | None:
    if f.csat is None or not f.csat.calibration:
        return None
    pred = [c[0] for c in f.csat.calibration]
    obs = [c[1] for c in f.csat.calibration]
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        line={"dash": "dot", "color": "#999"},
        name=t("cal_ideal"),
    )
    fig.add_scatter(x=pred, y=obs, mode="lines+markers", name=t("cal_observed"))
    _layout(
        fig,
        380,
        xaxis_title=t("cal_axis_predicted"),
        yaxis_title=t("cal_axis_satisfied"),
        xaxis_range=[0, 1],
        yaxis_range=[0, 1],
    )
    return fig


def build_calibration_report(
    fit: Any, lang: str = "en", figures: dict[str, go.Figure] | None = None
) -> str:
    """The fit report of ``promosim calibrate``: fitted against observed, with CIs.

    Args:
        fit: A :class:`sim.calibrate.Fit`.
        lang: ``en`` or ``zh``.
        figures: If given, receives every figure by its div id.
    """
    t = _Text(lang)
    plot = _Plots(t, figures)
    meta = t(
        "cal_meta",
        orders=fit.n_orders,
        contacts=fit.n_contacts,
        start=f"{fit.window_start:%Y-%m-%d}",
        end=f"{fit.window_end:%Y-%m-%d}",
    )
    body = [
        _section("parameters", t("cal_sec_params"), _cal_table(fit, t)),
        _section("excluded", t("cal_sec_excluded"), _cal_excluded(fit, t)),
        _section("fit", t("cal_sec_gof"), _cal_gof(fit, t)),
        _section("orders", t("cal_sec_orders"), plot(_cal_orders_figure(fit, t), "fig-cal-orders")),
        _section(
            "intraday",
            t("cal_sec_intraday"),
            plot(_cal_intraday_figure(fit, t), "fig-cal-intraday"),
        ),
        _section(
            "lags",
            t("cal_sec_lags"),
            _note(t("cal_lag_note")) + plot(_cal_lag_figure(fit, t), "fig-cal-lags"),
        ),
        _section("handle", t("cal_sec_handle"), plot(_cal_handle_figure(fit, t), "fig-cal-handle")),
        _section(
            "patience",
            t("cal_sec_patience"),
            _note(t("cal_patience_note")) + plot(_cal_patience_figure(fit, t), "fig-cal-patience"),
        ),
        _section("csat", t("cal_sec_csat"), plot(_cal_csat_figure(fit, t), "fig-cal-csat")),
    ]
    return _page(t("cal_title"), meta, [t("cal_note")], body, t)
