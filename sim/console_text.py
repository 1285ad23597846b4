"""The console's own words in Chinese: tables' titles and headers, lines, progress.

The English text is the key (what :mod:`sim.cli` writes), so the English console reads as
it did; :func:`text` gives the text in the language asked, its ``{fields}`` filled in. A
name (reason, channel, group, …) is never here: :func:`sim.labels.label` gives those.
"""

from __future__ import annotations

import re
from typing import Final

LANG_ENV: Final = "PROMOSIM_LANG"
"""The environment variable holding the default language of the console and reports."""

ZH: Final[dict[str, str]] = {
    " · promotion vs baseline, paired": " · 促销组对基线组，配对",
    "(Δ promotion)": "（Δ 促销）",
    "; runs of: {names}": "；已有的场景：{names}",
    "Headline": "主要指标",
    "Sweep · {mode} · {n} points · {ci}": "参数扫描 · {mode} · {n} 个点 · {ci}",
    "grid": "网格",
    "one-at-a-time": "逐一变动",
    "Tornado · {metric} at each path's lowest and highest value · base {base} · means": (
        "龙卷风图 · 各参数取最低与最高值时的{metric} · 基准 {base} · 均值"
    ),
    "all channels": "全部渠道",
    "each path varied alone, the others at their base values; sweep.csv has every point "
    "({n})": "每次只变动一个参数，其余取基准值；sweep.csv 含全部 {n} 个点",
    "no headline metrics (summary.json missing or unreadable)": (
        "没有主要指标（summary.json 缺失或无法读取）"
    ),
    "no {what} under {root}": "{root} 下没有{what}",
    "path": "参数",
    "run folder": "运行文件夹",
    "lowest value": "最低值",
    "highest value": "最高值",
    "swing": "摆幅",
    "run folders": "运行文件夹",
    "runs of {name}": "{name} 的运行",
    "the first row is the base; each other varies one path": "第一行为基准；其余每行变动一个参数",
    "the first {n} points; sweep.csv has every one": "仅列前 {n} 个点；sweep.csv 含全部",
    "{n} run(s) under {root} · means over replications": "{root} 下的 {n} 次运行 · 各次重复的均值",
    "– absent: no value (no promotion for a net impact; nothing offered for a service level); "
    "`promosim show FOLDER`: the CIs and the baseline": (
        "– 表示无值（无促销则无净影响；无进线则无服务水平）；"
        "`promosim show FOLDER` 可看置信区间和基线"
    ),
    # run
    " · with the promotion": " · 含促销",
    "{n} replication": "{n} 次重复",
    "{n} replications": "{n} 次重复",
    "mean ± 95% CI": "均值 ± 95% 置信区间",
    "one replication: no CI": "仅 1 次重复：无置信区间",
    "counted: orders, payroll, platform and bot charges, refunds": (
        "计入：订单、排班工资、平台与机器人费用、退款"
    ),
    "Net in two parts · hard money moves; modelled costs rest on assumptions ([X]: ours) · {ci}": (
        "净利拆成两部分 · 实际发生的钱；估算成本依据假设（[X]：我们的假设）· {ci}"
    ),
    "rests on": "依据的假设",
    "{what} {net} = hard money {hard} − modelled costs {modelled}, resting on {reviews}, "
    "{churn} and the agent time valued at the hourly cost.": (
        "{what} {net} = 实际发生的钱 {hard} − 估算成本 {modelled}，依据 {reviews}、{churn}，"
        "以及按小时成本计价的客服工时。"
    ),
    "metric": "指标",
    "SL ≤ {s}s": "服务水平 ≤ {s} 秒",
    "promotion": "促销",
    "baseline": "基线",
    "difference": "差值",
    "value": "数值",
    " · promotion vs baseline, paired on common random numbers": (
        " · 促销与基线对比（公共随机数配对）"
    ),
    "Extra contacts per day · promotion − baseline": "每日新增进线 · 促销 − 基线",
    "day": "日期",
    "arm": "方案",
    "Pre-sale and bot per day": "每日询单与机器人",
    "Platform KPIs · {platform} (rules checked {checked})": (
        "平台考核指标 · {platform}（规则核对日期 {checked}）"
    ),
    "whole run": "全程",
    "✓ the CI meets the bar · ? it straddles it · ✗ it misses it; [X]: a bar that is our "
    "assumption (scorecard.csv has both arms and the sessions counted)": (
        "✓ 置信区间整体达标 · ? 跨越考核线 · ✗ 整体未达标；[X]：本工具假设的考核线"
        "（scorecard.csv 含两个方案及计入的会话数）"
    ),
    "Hours missing a platform bar ({n} span(s), means over replications):": (
        "未达平台考核线的时段（共 {n} 段，各次重复均值）："
    ),
    "{label} {op} {bar}: {day} {start}–{end}, {value} over {sessions} sessions": (
        "{label} {op} {bar}：{day} {start}–{end}，{value}（{sessions} 个会话）"
    ),
    "  … {n} more (hourly.csv: platform.* series)": (
        "  … 另有 {n} 段（见 hourly.csv 的 platform.* 序列）"
    ),
    "– absent: no value in any replication (no denominator: nothing offered, answered or "
    "staffed; a break-even miss rate outside [0, 1])": (
        "–：各次重复均无数值（无分母：无呼入、无接起或无在班坐席；盈亏平衡漏拍率超出 [0, 1]）"
    ),
    "run folder: {path}": "运行目录：{path}",
    "report: {path}": "报告：{path}",
    # compare, lab, sweep
    "Compare · {n} replications on common random numbers · {ci}; Δ to the first "
    "arm, * where its CI excludes 0": (
        "方案对比 · 公共随机数 {n} 次重复 · {ci}；Δ 为与第一个方案的差值，* 表示其置信区间不含 0"
    ),
    "comparison folder: {path}": "对比目录：{path}",
    "Mechanic lab · {n} replications on common random numbers · ranked by net; "
    "{ci}, Δ to as-written (* its CI excludes 0)": (
        "玩法实验 · 公共随机数 {n} 次重复 · 按净利排序；{ci}，"
        "Δ 为与原方案的差值（* 表示置信区间不含 0）"
    ),
    "variant": "玩法",
    "KPI breach days": "考核未达标天数",
    "short agent-hours": "人力缺口（人时）",
    "gap to next": "与下一名的间距",
    "{legend}. net: the promotion arm's net (the baseline is common to every variant); short "
    "agent-hours: short of the targets by Erlang on each replication's load ({targets}); "
    "kpi_breach_days: days × platform KPIs missing their bar; lab.csv has every figure": (
        "{legend}。净利：促销方案的净利（各玩法的基线相同）；人力缺口：按各次重复的负荷以 Erlang "
        "计算的、达到目标（{targets}）所缺的坐席工时；考核未达标天数：天数 × 未达标的平台考核指标；"
        "lab.csv 含全部数值"
    ),
    "lab folder: {path}": "实验目录：{path}",
    "sweep folder: {path} ({n} points)": "扫描目录：{path}（{n} 个参数组合）",
    # staff
    "{g}: add up to {agents} agents on {days} (the most on {date} {start}–{end}): {hours} "
    "agent-hours short": (
        "{g}：在 {days} 最多增加 {agents} 名坐席（最多在 {date} {start}–{end}）：缺口 {hours} 人时"
    ),
    "; the roster books {hours} agent-hours for ¥{cost}": "；排班补充 {hours} 人时，费用 ¥{cost}",
    ", about ¥{cost} at ¥{rate} an hour": "，按每小时 ¥{rate} 约 ¥{cost}",
    "{g}: at {at} on {date} the desk opens on about {waiting} messages written while it was "
    "closed: that is the peak; opening earlier that day would spread them": (
        "{g}：{date} {at} 开门时约有 {waiting} 条非服务时间留下的消息：这是峰值；当天提早开门可以"
        "分散它们"
    ),
    "{g}: no shortfall: the schedule covers the plan in every interval": (
        "{g}：没有缺口：排班覆盖每个时段的需求"
    ),
    "{g}: you could release {hours} agent-hours on {days}": "{g}：在 {days} 可释放 {hours} 人时",
    " and {n} more ranges": " 等另 {n} 段",
    "Staffing for {targets}": "排班测算：{targets}",
    "group": "坐席组",
    "plan agent-hours": "所需人时",
    "scheduled": "已排人时",
    "short": "缺口",
    "surplus": "富余",
    "short at ¥/h": "缺口成本",
    "Extra shifts to book (¥{cost} in all; roster.csv)": (
        "需预订的新增班次（共 ¥{cost}；见 roster.csv）"
    ),
    "dates": "日期",
    "source": "来源",
    "shift": "班次",
    "agents booked": "坐席数",
    "and {n} more rows in schedule.yaml and roster.csv": (
        "另有 {n} 行，见 schedule.yaml 与 roster.csv"
    ),
    "fresh-seed check of the plan as booked ({n} replications, {rounds}, {level} intervals):": (
        "按方案排班后的新种子复核（释放富余、排入新增班次；"
        "{n} 次重复，{rounds}，{level} 置信区间）："
    ),
    "{n} round": "{n} 轮",
    "{n} rounds": "{n} 轮",
    "  {t}: {met}/{judged} {where} meet it, {within} miss within the CI, {missed}": (
        "  {t}：{judged} 个{where}中 {met} 个达标，{within} 个未达标但在置信区间内，{missed}"
    ),
    "intervals": "时段",
    "run": "全程",
    "{n} miss significantly": "{n} 个显著未达标",
    " ({n} where the roster left agents short)": "（其中 {n} 个在排班仍有缺口处）",
    "the roster leaves {hours} agent-hours uncovered: no source reaches them (lead days, caps); "
    "see staffing.json": (
        "排班仍有 {hours} 人时无法覆盖：没有来源能排上（提前期、上限）；见 staffing.json"
    ),
    "targets met after {n} simulations": "经 {n} 次模拟，目标达成",
    "targets NOT met on fresh seeds after {n} simulations": "经 {n} 次模拟，新种子下目标未达成",
    "targets NOT met (iteration cap reached) after {n} simulations": (
        "经 {n} 次模拟，目标未达成（已达迭代上限）"
    ),
    "to paste, in schedule.yaml: per group its extra_shifts ({n} entries in all) beside its "
    "schedule, or the plan as an intervals schedule instead of it": (
        "可粘贴的内容在 schedule.yaml：各坐席组的 extra_shifts（共 {n} 条）放在其 schedule 旁，"
        "或以按时段排班（intervals）替换原排班"
    ),
    "staffing folder: {path}": "排班目录：{path}",
    # listener
    "notice: ": "提示：",
    "warning: ": "警告：",
    "note: ": "说明：",
    "resumed: ": "续跑：",
    "replications": "重复",
    "load": "负荷测算",
    "compare": "方案对比",
}
"""The console's English texts (the keys) in Chinese."""

WEEKDAYS_ZH: Final = {
    "Mon": "周一",
    "Tue": "周二",
    "Wed": "周三",
    "Thu": "周四",
    "Fri": "周五",
    "Sat": "周六",
    "Sun": "周日",
}


def text(lang: str, en: str, /, **fields: object) -> str:
    """``en`` in ``lang`` (English when no translation is known), ``fields`` filled in."""
    template = ZH.get(en, en) if lang == "zh" else en
    return template.format(**fields) if fields else template


def plural(lang: str, en: str, n: int) -> str:
    """``{n} <thing>`` or ``{n} <thing>s`` in ``lang``: ``en`` is the singular's key."""
    return text(lang, en if n == 1 else en + "s", n=n)


def day(lang: str, label: str) -> str:
    """A short day label (``11-11 Wed``) with its weekday in ``lang``."""
    if lang != "zh":
        return label
    return re.sub(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", lambda m: WEEKDAYS_ZH[m.group(1)], label)


STAGES_ZH: Final = {
    "refine": "模拟修正",
    "fresh check": "新种子复核",
}
"""``promosim staff``'s stages (``refine 2``), by their English name."""


def progress(lang: str, description: str) -> str:
    """A progress bar's description (``NAME: replications``, ``NAME: refine 2``) in ``lang``."""
    if lang != "zh":
        return description
    m = re.fullmatch(r"sweep: (\d+) points", description)
    if m:
        return f"参数扫描：{m.group(1)} 个参数组合"
    head, sep, tail = description.rpartition(": ")
    stage = re.fullmatch(r"(refine|fresh check) (\d+)", tail)
    if stage:
        tail = f"{STAGES_ZH[stage.group(1)]} 第 {stage.group(2)} 轮"
    else:
        tail = ZH.get(tail, tail)
    return f"{ZH.get(head, head)}：{tail}" if sep else tail


def line(lang: str, message: str) -> str:
    """A notice, warning or note line (``notice: …``) with its prefix in ``lang``."""
    if lang != "zh":
        return message
    m = re.fullmatch(
        r"resumed: (\d+) replication\(s\) finished by an interrupted run were reused", message
    )
    if m:
        return f"续跑：沿用被中断的运行已完成的 {m.group(1)} 次重复"
    for prefix in ("notice: ", "warning: ", "note: ", "resumed: "):
        if message.startswith(prefix):
            return ZH[prefix] + message.removeprefix(prefix)
    return message
