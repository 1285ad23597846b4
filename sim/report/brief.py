"""The negotiation brief: one printable A4 page of a run folder (``promosim brief``).

The question, the three views side by side (operations, service, customer: the promotion's
figures and its effect against the same shop without it), the money twice (what actually
moves, and what adds the modelled costs), the peak days, the roster's bill when a staff
folder is given, the alternatives when a compare or lab folder is given, and the unsourced
assumptions that move the result most (a one-at-a-time sensitivity the command runs). Every
number is a mean over replications with its 95% confidence interval.

The page is deterministic and self-contained (no script, no plotly): the same inputs give
the same bytes, and Chromium prints it to one A4 page.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import catalog
from sim.labels import Labels
from sim.report.data import (
    ComparisonData,
    ReportError,
    RunData,
    num,
    read_json,
    read_run,
)
from sim.report.labels import Text
from sim.report.page import fmt

BRIEF_CSS = """
@page{size:A4;margin:10mm}
*{box-sizing:border-box}
body{font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',system-ui,sans-serif;
margin:0;color:#1d1d1f;font-size:9pt;line-height:1.3}
main{width:190mm;margin:0 auto}
h1{font-size:15pt;margin:0 0 1mm}
h2{font-size:10.5pt;margin:3mm 0 1mm;border-bottom:0.3mm solid #999;padding-bottom:0.5mm}
p{margin:0.8mm 0}.meta{color:#555;font-size:8pt}.q{font-size:10.5pt;font-weight:600}
.views{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:2.5mm}
table{border-collapse:collapse;width:100%}
td,th{padding:0.5mm 0.8mm;vertical-align:top;text-align:left;font-weight:normal}
.views td{font-size:7.5pt}.views .ci{font-size:6.5pt}
th{color:#555;font-size:7.5pt;border-bottom:0.2mm solid #bbb}
td.n,td.r,td.d{text-align:right;white-space:nowrap}
.ci{color:#666;font-size:7pt;white-space:nowrap}
tr+tr td{border-top:0.1mm solid #e2e2e2}
.money{display:grid;grid-template-columns:1fr 1fr;gap:3mm}
.box{border:0.3mm solid #bbb;border-radius:1.5mm;padding:1.5mm 2mm}
.big{font-size:13pt;font-weight:700}
.foot{color:#666;font-size:7pt;margin-top:2mm}
.bad{color:#b3261e}.good{color:#1b6e20}
"""

TEXTS: dict[str, dict[str, str]] = {
    "brief": {"en": "Brief", "zh": "谈判简报"},
    "question_promo": {
        "en": "What does {promotion} ({start} – {end}) do to orders, service, customers and money?",
        "zh": "{promotion}（{start} – {end}）对订单、客服、顾客和利润有什么影响？",
    },
    "question_plain": {
        "en": "What does this shop's service desk face over {start} – {end}?",
        "zh": "{start} – {end} 期间客服面临什么？",
    },
    "meta": {
        "en": "{replications} replications · seed {seed} · scenario {hash} · "
        "every figure: mean [95% CI]",
        "zh": "{replications} 次重复 · 种子 {seed} · 场景 {hash} · 每个数字：均值 [95% 置信区间]",
    },
    "with": {"en": "with promotion", "zh": "有活动"},
    "value": {"en": "value", "zh": "数值"},
    "effect": {"en": "effect", "zh": "活动影响"},
    "money": {"en": "Money", "zh": "利润"},
    "hard": {"en": "Money that moves", "zh": "实际发生的钱"},
    "hard_note": {
        "en": "margins, refunds, the rota's wages, platform and bot charges",
        "zh": "毛利、退款、排班工资、平台和机器人费用",
    },
    "modelled": {"en": "With modelled costs", "zh": "加上模型估算的成本"},
    "modelled_note": {
        "en": "the money that moves minus the modelled costs below: prices put on what moves "
        "no money in the window",
        "zh": "实际发生的钱减去下列估算成本：给窗口内不产生现金的事项定的价",
    },
    "modelled_part": {"en": "modelled cost", "zh": "估算成本"},
    "rests_on": {"en": "rests on", "zh": "依据的假设"},
    "no_hard": {
        "en": "this folder does not split hard from modelled money (rerun it)",
        "zh": "该文件夹未区分实际与估算的钱（请重新运行）",
    },
    "peaks": {"en": "Peak days", "zh": "高峰日"},
    "contacts_day": {"en": "contacts that day", "zh": "当日咨询量"},
    "staffing": {"en": "Staffing", "zh": "排班"},
    "short": {"en": "short agent-hours", "zh": "人力缺口（人时）"},
    "surplus": {"en": "surplus agent-hours", "zh": "富余人力（人时）"},
    "roster_bill": {"en": "roster to book", "zh": "需预订的班次费用"},
    "staff_met": {
        "en": "targets {targets}; fresh-seed check {verdict}",
        "zh": "目标 {targets}；新种子复核{verdict}",
    },
    "passed": {"en": "passed", "zh": "通过"},
    "failed": {"en": "not passed", "zh": "未通过"},
    "no_staff": {
        "en": "run `promosim staff` on this scenario and pass its folder with --staff for the "
        "shortfall and the roster's bill",
        "zh": "对该场景运行 `promosim staff`，并用 --staff 传入其文件夹，"
        "即可显示人力缺口和排班费用",
    },
    "alternatives": {"en": "Alternatives", "zh": "备选方案"},
    "arm": {"en": "arm", "zh": "方案"},
    "assumptions": {
        "en": "Assumptions that move the result most",
        "zh": "对结果影响最大的假设",
    },
    "assumptions_note": {
        "en": "unsourced [X] parameters, each taken alone to the ends of its plausible range "
        "({replications} replications, common random numbers); {metric} at each end",
        "zh": "无公开来源的 [X] 参数，逐一取其合理范围的两端（{replications} 次重复，共同随机数）；"
        "两端的{metric}",
    },
    "assumption": {"en": "assumption", "zh": "假设"},
    "range": {"en": "range", "zh": "范围"},
    "at_low": {"en": "at low end", "zh": "取低值"},
    "at_high": {"en": "at high end", "zh": "取高值"},
    "no_sensitivity": {
        "en": "not run (--replications 0): the [X] parameters are listed in docs/model.md",
        "zh": "未运行（--replications 0）：[X] 参数见 docs/model.md",
    },
    "foot": {
        "en": "Effect = with promotion − the same shop without it, paired replication by "
        "replication. Rates are shares of their denominators (docs/metrics.md). [X]: our "
        "assumption, no public source. Made by promosim from {folder}.",
        "zh": "活动影响 = 有活动 − 同一店铺无活动，按重复逐一配对。比率的分母见 docs/metrics.md。"
        "[X]：我们的假设，无公开来源。由 promosim 根据 {folder} 生成。",
    },
}


class _T(Text):
    """The brief's words (:data:`TEXTS`) in one language, and what names are called."""

    def __init__(self, lang: str, scenario: Mapping[str, Any] | None = None) -> None:
        super().__init__(lang)  # refuses a language the reports have no words for
        self.names = Labels(lang, scenario)
        """What a reason, channel, group, mechanic or variant is called (its label)."""

    def __call__(self, key: str, **fields: object) -> str:
        text = TEXTS[key][self.lang]
        return text.format(**fields) if fields else text


BRIEF_ROWS: dict[catalog.View, tuple[str, ...]] = {
    "operations": (
        "orders",
        "gmv_yuan",
        "gross_profit_yuan",
        "refunds_yuan",
        "lost_orders",
        "lost_margin_yuan",
        "service_cost_yuan",
    ),
    "service": (
        "contacts",
        "contacts.<reason>",
        "all.service_level",
        "all.abandon_rate",
        "agent_hours",
        "overtime_hours",
    ),
    "customer": ("issues", "fcr", "csat_mean", "bad_reviews", "churned_customers"),
}
"""The rows of each view (those the run has; ``contacts.<reason>``: the reasons the
promotion moves most, at most :data:`TOP_REASONS`)."""

PDF_MARK = "promosim"
"""Ends the page's title, which Chromium writes as the PDF's title."""

TOP_REASONS = 4
TOP_ASSUMPTIONS = 5
TOP_PEAKS = 3

HARD_NET = "hard_net_yuan"
"""The net of the money that actually moves (a folder written before it lacks it)."""


@dataclass(frozen=True)
class AssumptionRow:
    """One assumption of the sensitivity: its range and the metric at either end."""

    path: str
    label: str
    unit: str
    low: float
    high: float
    at_low: Mapping[str, Any]
    """The metric's statistics at the low end (``mean``, ``ci95``)."""
    at_high: Mapping[str, Any]

    @property
    def swing(self) -> float:
        """``|at high − at low|`` of the means; −1 when either is missing (ranked last)."""
        a, b = self.at_low.get("mean"), self.at_high.get("mean")
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            return -1.0
        return abs(float(b) - float(a))


@dataclass(frozen=True)
class Sensitivity:
    """The one-at-a-time sensitivity a brief shows."""

    metric: str
    replications: int
    rows: tuple[AssumptionRow, ...]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _compact(value: float, kind: str, lang: str) -> str | None:
    """A large count or sum in few digits (¥16.9M, ¥1,688万); None below 100,000."""
    if kind == "share" or value < 1e5:
        return None
    money = "¥" if kind in ("yuan", "yuan_cents") else ""
    if lang == "zh":
        return f"{money}{value / 1e8:,.2f}亿" if value >= 1e8 else f"{money}{value / 1e4:,.1f}万"
    return f"{money}{value / 1e6:,.2f}M" if value >= 1e6 else f"{money}{value / 1e3:,.0f}k"


def _text(value: float, kind: str, lang: str, *, diff: bool = False, signed: bool = False) -> str:
    """A number as the brief prints it: −¥9,090, 37.5%, ¥16.9M, a difference of shares in pp."""
    if not math.isfinite(value):
        return "–"
    if diff and kind == "share":
        body = f"{abs(value) * 100:.1f} pp"
    else:
        body = _compact(abs(value), kind, lang) or fmt(abs(value), kind)
    sign = "\u2212" if value < 0 and body.strip("0.,¥% p") else ("+" if signed else "")
    return sign + body


def _stat(stat: Mapping[str, Any] | None) -> tuple[float, tuple[float, float] | None] | None:
    if not stat or not isinstance(stat.get("mean"), int | float):
        return None
    ci = stat.get("ci95")
    if isinstance(ci, list) and len(ci) == 2 and all(isinstance(x, int | float) for x in ci):
        return float(stat["mean"]), (float(ci[0]), float(ci[1]))
    return float(stat["mean"]), None


def _ci(
    stat: Mapping[str, Any] | None,
    kind: str,
    lang: str,
    *,
    diff: bool = False,
    br: bool = False,
) -> str:
    """``value [lo, hi]`` as HTML: a difference signed, shares in pp; one value alone."""
    got = _stat(stat)
    if got is None:
        return "–"
    mean, ci = got
    value = _e(_text(mean, kind, lang, diff=diff, signed=diff))
    if ci is None:
        return value
    if not diff and kind in ("count", "yuan", "share", "decimal") and ci[0] < 0 <= mean:
        ci = (0.0, ci[1])  # a count, sum or share is never below 0: its CI is cut there
    # the bounds of a difference of shares without their "pp": the value says it
    lo, hi = (_e(_text(x, kind, lang, diff=diff).removesuffix(" pp")) for x in ci)
    return f'{value}{"<br>" if br else " "}<span class="ci">[{lo}, {hi}]</span>'


def _signed_ci(stat: Mapping[str, Any] | None, kind: str, lang: str, *, br: bool = False) -> str:
    return _ci(stat, kind, lang, diff=True, br=br)


def _label(key: str, lang: str, names: Labels | None = None) -> str:
    m = catalog.lookup(key)
    head = key.split(".", 1)
    if head[0] == "contacts" and len(head) == 2:
        return f"· {names('reason', head[1]) if names else head[1]}"
    return catalog.capital(m.label(lang)) if m is not None else key


def _moved(run: RunData, block: Mapping[str, Any], key: str) -> float:
    """Minus how far the promotion moves ``key`` (else its level): the most moved first."""
    stat = (run.summary.get("effect") or {}).get(key) or block.get(key) or {}
    mean = stat.get("mean") if isinstance(stat, dict) else None
    return -abs(float(mean)) if isinstance(mean, int | float) else 0.0


def _view_keys(run: RunData, view: catalog.View) -> list[str]:
    keys: list[str] = []
    block = run.summary["metrics"]
    for key in BRIEF_ROWS[view]:
        if key == "contacts.<reason>":
            reasons = [k for k in block if k.startswith("contacts.")]
            keys += sorted(reasons, key=lambda k: (_moved(run, block, k), k))[:TOP_REASONS]
        elif key in block:
            keys.append(key)
    return keys


def _views(run: RunData, t: _T) -> str:
    columns = []
    for view in catalog.VIEWS:
        rows = []
        for key in _view_keys(run, view):
            kind = catalog.fmt_of(key)
            value = _ci(run.stat("metrics", key), kind, t.lang, br=True)
            cells = f"<td>{_e(_label(key, t.lang, t.names))}</td><td class=n>{value}</td>"
            if run.promo:
                effect = _signed_ci(run.stat("effect", key), kind, t.lang, br=True)
                cells += f"<td class=n>{effect}</td>"
            rows.append(f"<tr>{cells}</tr>")
        head = f"<th></th><th class=n>{_e(t('with') if run.promo else t('value'))}</th>"
        if run.promo:
            head += f"<th class=n>{_e(t('effect'))}</th>"
        name = catalog.VIEW_LABELS[view][1 if t.lang == "zh" else 0]
        columns.append(
            f"<section><h2>{_e(name)}</h2><table><tr>{head}</tr>{''.join(rows)}</table></section>"
        )
    return f'<div class="views">{"".join(columns)}</div>'


def _modelled(run: RunData, t: _T) -> str:
    """The modelled parts of the net, each with what it rests on (rows of a table)."""
    from sim.config import Economics
    from sim.economics import modelled_parts

    try:
        e = Economics.model_validate((run.scenario or {}).get("economics") or {})
    except ValueError:
        return ""
    rows = []
    for part in modelled_parts(e):
        stat = run.stat("effect", part.key) if run.promo else run.stat("metrics", part.key)
        if stat is None:
            continue
        basis = ", ".join(
            catalog.assumption_text(a.field, a.value, a.grade, t.lang) for a in part.assumptions
        )
        rows.append(
            f"<tr><td>{_e(_label(part.key, t.lang))}</td>"
            f"<td class=n>{_signed_ci(stat, 'yuan', t.lang)}</td>"
            f'<td class="meta">{_e(basis)}</td></tr>'
        )
    if not rows:
        return ""
    return (
        f"<table><tr><th>{_e(t('modelled_part'))}</th><th class=n></th>"
        f"<th>{_e(t('rests_on'))}</th></tr>{''.join(rows)}</table>"
    )


def _money(run: RunData, t: _T) -> str:
    net_key = "net_impact_yuan" if run.promo else "net_yuan"
    hard_key = "hard_net_impact_yuan" if run.promo else HARD_NET
    arm = "effect" if run.promo else "metrics"
    net, hard = run.stat(arm, net_key), run.stat(arm, hard_key)
    hard_text = (
        f'<p class="big">{_signed_ci(hard, "yuan", t.lang)}</p>'
        f'<p class="meta">{_e(t("hard_note"))}</p>'
        if hard is not None
        else f'<p class="meta">{_e(t("no_hard"))}</p>'
    )
    hard_box = (
        f'<div class="box"><p>{_e(t("hard"))} · {_e(_label(hard_key, t.lang))}</p>{hard_text}</div>'
    )
    net_box = (
        f'<div class="box"><p>{_e(t("modelled"))} · {_e(_label(net_key, t.lang))}</p>'
        f'<p class="big">{_signed_ci(net, "yuan", t.lang)}</p>'
        f'<p class="meta">{_e(t("modelled_note"))}</p></div>'
    )
    return (
        f'<h2>{_e(t("money"))}</h2><div class="money">{hard_box}{net_box}</div>{_modelled(run, t)}'
    )


def _peaks(run: RunData, t: _T) -> str:
    rows = [r for r in run.daily if r.get("series") == "contacts" and r.get("arm") == run.main_arm]
    ranked = sorted(rows, key=lambda r: (-(num(r.get("mean") or "") or 0.0), str(r.get("day"))))
    cells = []
    for r in ranked[:TOP_PEAKS]:
        lo, hi = num(r.get("ci95_lo") or ""), num(r.get("ci95_hi") or "")
        stat: dict[str, Any] = {"mean": num(r.get("mean") or "")}
        if lo is not None and hi is not None:
            stat["ci95"] = [lo, hi]
        day = _e(str(r.get("day") or ""))
        cells.append(f"<td>{day}</td><td class=n>{_ci(stat, 'count', t.lang)}</td>")
    if not cells:
        return ""
    body = "".join(f"<tr>{c}</tr>" for c in cells)
    return (
        f"<section><h2>{_e(t('peaks'))}</h2><table><tr><th></th>"
        f"<th class=n>{_e(t('contacts_day'))}</th></tr>{body}</table></section>"
    )


def _number(x: Any) -> float | None:
    """``x`` when it is a finite number (not a bool), else None."""
    if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def _target(text: str, t: _T) -> str:
    """A staff target (``chat.service_level>=0.9``) in words: 在线服务水平 ≥ 90.0%."""
    m = re.fullmatch(r"([a-z0-9_-]+)\.([a-z_]+)\s*(>=|<=)\s*([0-9.eE+-]+)", text)
    metric = catalog.lookup(m.group(2)) if m else None
    if m is None or metric is None:
        return text
    try:
        value = _text(float(m.group(4)), metric.fmt, t.lang)
    except ValueError:
        return text
    op = "≥" if m.group(3) == ">=" else "≤"
    channel = t.names("channel", m.group(1))
    return f"{channel}{'' if t.lang == 'zh' else ' '}{metric.label(t.lang)} {op} {value}"


def _staffing(staff: Mapping[str, Any] | None, t: _T) -> str:
    if staff is None:
        note = f"<p class=meta>{_e(t('no_staff'))}</p>"
        return f"<section><h2>{_e(t('staffing'))}</h2>{note}</section>"
    # staffing.json is read from a folder anyone may have written: numbers or nothing
    rows = [
        (t("short"), fmt(_number(staff.get("total_short_agent_hours")), "decimal")),
        (t("surplus"), fmt(_number(staff.get("total_surplus_agent_hours")), "decimal")),
    ]
    roster = staff.get("roster")
    roster = roster if isinstance(roster, Mapping) else {}
    if _number(roster.get("cost_yuan")) is not None:
        rows.append((t("roster_bill"), fmt(_number(roster["cost_yuan"]), "yuan")))
        by_source = roster.get("cost_yuan_by_source")
        for source, cost in sorted((by_source if isinstance(by_source, Mapping) else {}).items()):
            if (_number(cost) or 0.0) > 0:
                rows.append((f"· {t.names('source', str(source))}", fmt(_number(cost), "yuan")))
    check = roster.get("check")
    passed = check.get("passed") if isinstance(check, Mapping) else staff.get("met")
    verdict = t("passed") if passed is True else t("failed")
    targets_given = staff.get("targets")
    targets = ", ".join(
        _target(str(x), t) for x in (targets_given if isinstance(targets_given, list) else [])
    )
    # decisions and bills of the plan, not estimates: no CI
    body = "".join(f"<tr><td>{_e(a)}</td><td class=d>{_e(b)}</td></tr>" for a, b in rows)
    return (
        f"<section><h2>{_e(t('staffing'))}</h2><table>{body}</table>"
        f"<p class=meta>{_e(t('staff_met', targets=targets, verdict=verdict))}</p></section>"
    )


def _alternatives(comparison: ComparisonData | None, t: _T) -> str:
    if comparison is None:
        return ""
    keys = [
        k
        for k in ("net_yuan", "contacts", "all.service_level", "csat_mean", "bad_reviews")
        if k in comparison.metrics
    ]
    head = "".join(f"<th class=n>{_e(_label(k, t.lang))}</th>" for k in keys)
    rows = []
    for arm in comparison.arms:
        cells = []
        for k in keys:
            r = comparison.rows.get((k, arm))
            stat: dict[str, Any] | None = None
            if r is not None and num(r.get("mean") or "") is not None:
                stat = {"mean": num(r.get("mean") or "")}
                lo, hi = num(r.get("ci95_lo") or ""), num(r.get("ci95_hi") or "")
                if lo is not None and hi is not None:
                    stat["ci95"] = [lo, hi]
            cells.append(f"<td class=n>{_ci(stat, catalog.fmt_of(k), t.lang)}</td>")
        rows.append(f"<tr><td>{_e(t.names('variant', arm))}</td>{''.join(cells)}</tr>")
    return (
        f"<h2>{_e(t('alternatives'))}</h2><table><tr><th>{_e(t('arm'))}</th>{head}</tr>"
        f"{''.join(rows)}</table>"
    )


def _value(x: float, unit: str) -> str:
    if unit == "¥":
        return fmt(x, "yuan")
    text = f"{x:.3g}" if abs(x) < 10 else f"{x:,.0f}"
    return f"{text} {unit}".rstrip()


def _assumptions(sens: Sensitivity | None, t: _T, metric_kind: str) -> str:
    if sens is None:
        return f"<h2>{_e(t('assumptions'))}</h2><p class=meta>{_e(t('no_sensitivity'))}</p>"
    rows = sorted(sens.rows, key=lambda r: (-r.swing, r.path))[:TOP_ASSUMPTIONS]
    body = "".join(
        f"<tr><td>{_e(r.label)} [X]</td>"
        f"<td class=r>{_e(_value(r.low, r.unit))} – {_e(_value(r.high, r.unit))}</td>"
        f"<td class=n>{_signed_ci(r.at_low, metric_kind, t.lang)}</td>"
        f"<td class=n>{_signed_ci(r.at_high, metric_kind, t.lang)}</td></tr>"
        for r in rows
    )
    note = t("assumptions_note", replications=sens.replications, metric=_label(sens.metric, t.lang))
    return (
        f"<h2>{_e(t('assumptions'))}</h2><p class=meta>{_e(note)}</p>"
        f"<table><tr><th>{_e(t('assumption'))}</th><th class=n>{_e(t('range'))}</th>"
        f"<th class=n>{_e(t('at_low'))}</th><th class=n>{_e(t('at_high'))}</th></tr>{body}</table>"
    )


def brief_metric(run: RunData) -> str:
    """The summary key the sensitivity ranks by: the promotion's net impact, else the net."""
    return "effect.net_impact_yuan" if run.promo else "net_yuan"


def read_brief_run(folder: Path) -> RunData:
    """The run folder a brief is made of."""
    return RunData(read_run(folder))


def build_brief(
    folder: Path,
    lang: str,
    *,
    sensitivity: Sensitivity | None,
    staff_folder: Path | None = None,
    compare_folder: Path | None = None,
    run: RunData | None = None,
) -> str:
    """The brief's HTML page.

    ``run``: the folder's contents when the caller has read them (:func:`read_brief_run`),
    so that the page shows what the sensitivity was computed for.

    Raises:
        ReportError: A folder is missing, or does not hold what the brief needs.
    """
    if run is None:
        run = read_brief_run(folder)
    t = _T(lang, run.scenario)
    staff = read_json(staff_folder, "staffing.json", "staff") if staff_folder else None
    if staff is not None and staff.get("config_hash") != run.summary.get("config_hash"):
        raise ReportError(
            f"{staff_folder}: its staffing plan is of another scenario than {folder}'s run "
            "(config_hash differs)"
        )
    comparison = ComparisonData(compare_folder) if compare_folder else None
    scenario = run.scenario or {}
    promotion = scenario.get("promotion") or {}
    cal = scenario.get("calendar") or {}
    title = str(run.summary.get("title") or t.names("scenario", str(run.summary.get("name"))))
    if run.promo:
        question = t(
            "question_promo",
            promotion=t.names("mechanic", str(promotion.get("kind", ""))),
            start=str(promotion.get("start", ""))[:10],
            end=str(promotion.get("end", ""))[:10],
        )
    else:
        question = t(
            "question_plain", start=str(cal.get("start", ""))[:10], end=str(cal.get("end", ""))[:10]
        )
    meta = t(
        "meta",
        replications=run.summary.get("replications", "?"),
        seed=run.summary.get("seed", "?"),
        hash=str(run.summary.get("config_hash", ""))[:8],
    )
    body = [
        f"<h1>{_e(title)} · {_e(t('brief'))}</h1>",
        f'<p class="q">{_e(question)}</p><p class="meta">{_e(meta)}</p>',
        _views(run, t),
        _money(run, t),
        '<div class="money">',
        _peaks(run, t),
        _staffing(staff, t),
        "</div>",
        _alternatives(comparison, t),
        _assumptions(sensitivity, t, catalog.fmt_of(brief_metric(run))),
        f'<p class="foot">{_e(t("foot", folder=folder.name))}</p>',
    ]
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="generator" content="promosim">'
        # the printed PDF's title carries the mark: --force replaces only such a brief.pdf
        f"<title>{_e(title)} · {_e(t('brief'))} · {PDF_MARK}</title>"
        f"<style>{BRIEF_CSS}</style></head><body><main>"
        + "\n".join(b for b in body if b)
        + "</main></body></html>\n"
    )
