"""The reports' words in English and Chinese: their own (:data:`LABELS`) and the catalog's.

A metric's label, a view's name and a CSAT driver's come from :mod:`sim.catalog`
(:data:`METRIC_TEXTS`); :data:`LABELS` holds only what is not a metric: section titles,
notes, axis titles, arm names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim import catalog
from sim.labels import Kind, Labels
from sim.report.data import ReportError

LANGS = catalog.LANGS


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
    "sec_channels": {"en": "The desk by channel", "zh": "各渠道服务指标"},
    "channel_table_note": {
        "en": "The scenario as written (with its promotion, if any): mean over replications "
        "[95% CI]. Each row says what it is divided by; – : no value (no denominator). "
        "Asynchronous channels lose no message (nothing abandoned): they show buyers who left "
        "before the answer and the first response instead; the KPI response rate counts only "
        "arrivals inside the channel's KPI hours.",
        "zh": "按场景原样（含促销）运行：各次重复的均值 [95% 置信区间]。每行注明其分母；"
        "– 表示无数值（无分母）。异步渠道（如千牛）不丢消息（无放弃），改示答复前已离开的买家"
        "与首次响应时长；考核时段响应率只计考核时段内到达的咨询。",
    },
    "channel_table_denominator": {"en": "denominator", "zh": "分母（英文）"},
    "channel_table_count": {"en": "(a count)", "zh": "（计数）"},
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
    "sec_net_split": {
        "en": "The net in two parts: hard and modelled money",
        "zh": "净利拆分：实际收支与模型估算",
    },
    "net_split_note": {
        "en": "Hard money moves: margins, the rota's wages, platform and bot charges, refunds. "
        "Modelled costs are prices put on what moves no money in the run (a bad review, a "
        "lost customer, agent time valued at the hourly cost rather than the rota's bill); "
        "each rests on the parameters beside it, [X] our assumption. "
        "Net = hard net − modelled costs.",
        "zh": "实际收支：毛利、排班工资、平台与机器人费用、退款，均为真实发生的钱。"
        "模型估算成本是给本次模拟中不产生现金流的事项定的价（一条差评、一位流失客户、"
        "按小时成本而非排班成本计价的接待工时），各自依赖右列参数，[X] 为本工具的假设。"
        "净利 = 实际净利 − 模型估算成本。",
    },
    "net_split_rests_on": {"en": "Rests on", "zh": "依据参数"},
    "see_net_split": {"en": "see the net in two parts", "zh": "见净利拆分"},
    "net_split_paid": {
        "en": "counted money: orders, payroll, platform and bot charges, refunds",
        "zh": "实际发生：订单、排班工资、平台与机器人费用、退款",
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
    "sec_lost_hourly": {"en": "Sales lost by hour", "zh": "因响应慢流失的订单（按小时）"},
    "lost_hourly_note": {
        "en": "Would-be orders lost because their pre-sale inquiry was answered too late or "
        "not at all, by the hour the order would have been placed (sum of the hour's "
        "intervals). Shaded: 95% CI over replications.",
        "zh": "因询单答复过慢或未获答复而流失的潜在订单，按订单原本下单的小时统计"
        "（该小时各时段之和）。阴影：各次重复的 95% 置信区间。",
    },
    "axis_lost_orders": {"en": "Orders lost per hour", "zh": "每小时流失订单数"},
    "axis_lost_per_day": {"en": "Orders lost per day", "zh": "每日流失订单数"},
    "sec_presale_daily": {"en": "Pre-sale inquiries and the bot by day", "zh": "每日询单与机器人"},
    "presale_daily_note": {
        "en": "Per day, mean over replications [95% CI]. Inquiries, those the bot settled and "
        "the inquiry conversion (orders from inquiries ÷ inquiries) count by the day the "
        "inquiry arrived; lost orders and lost margin by the day the order would have been "
        "placed.",
        "zh": "每日各次重复的均值 [95% 置信区间]。询单量、机器人解决的询单与询单转化率"
        "（询单成交订单 ÷ 询单量）按询单到达日期统计；流失订单与流失毛利按订单原本下单的日期统计。",
    },
    "sec_platform": {
        "en": "Platform KPIs by day, and the hours missing a bar",
        "zh": "平台考核指标：逐日表现与未达标时段",
    },
    "platform_note": {
        "en": "The shop's service KPIs as {platform} scores them (rules checked {checked}), per "
        "day, the scenario as written ({arm}): mean over replications ± half its 95% CI, "
        "against the platform's bar. A bar graded [X] is our assumption, not the platform's; "
        "scorecard.csv has both arms and the sessions counted.",
        "zh": "{platform} 对店铺的客服考核指标（规则核对日期 {checked}），按日、按场景原样运行"
        "（{arm}）：各次重复的均值 ± 95% 置信区间半宽，与平台考核线对比。等级为 [X] "
        "的考核线是本工具的假设，并非平台公布；scorecard.csv 含两个方案及计入的会话数。",
    },
    "platform_marks": {
        "en": "✓ the whole CI meets the bar · ? the CI straddles it (more replications, or more "
        "agents, decide) · ✗ the whole CI misses it; no mark: no bar published, or no session "
        "that day.",
        "zh": "✓ 置信区间整体达标 · ? 置信区间跨越考核线（需更多重复次数或更多坐席来判定）"
        "· ✗ 置信区间整体未达标；无标记：平台未公布考核线，或当日无会话。",
    },
    "platform_breaches": {
        "en": "Hours missing a bar: {n} span(s) of consecutive hours ({arm}; each hour's KPI "
        "from the means over replications of its sums):",
        "zh": "未达考核线的时段：共 {n} 段连续小时（{arm}；"
        "各小时指标由其合计值的各次重复均值计算）：",
    },
    "platform_below": {
        "en": "{label} below {bar} on {when} ({value}, {sessions} sessions)",
        "zh": "{label} 低于 {bar}：{when}（{value}，{sessions} 个会话）",
    },
    "platform_above": {
        "en": "{label} above {bar} on {when} ({value}, {sessions} sessions)",
        "zh": "{label} 高于 {bar}：{when}（{value}，{sessions} 个会话）",
    },
    "platform_more": {
        "en": "… {n} more (hourly.csv: the platform.* series)",
        "zh": "… 另有 {n} 段（见 hourly.csv 中的 platform.* 序列）",
    },
    "platform_no_breach": {
        "en": "No hour misses a bar ({arm}, means over replications).",
        "zh": "没有未达考核线的小时（{arm}，各次重复均值）。",
    },
    "platform_no_hourly": {
        "en": "This folder's hourly.csv has no per-hour KPI series: the hours missing a bar "
        "are not listed.",
        "zh": "本目录的 hourly.csv 没有逐小时的考核指标序列：不列出未达考核线的时段。",
    },
    "platform_bar": {"en": "bar {bar}", "zh": "考核线 {bar}"},
    "platform_no_bar": {"en": "none published", "zh": "未公布"},
    "platform_sessions": {"en": "{n} sessions", "zh": "{n} 个会话"},
    "kpi_answered_within": {
        "en": "share of sessions answered within {s} s, {hours}",
        "zh": "{hours} 内会话中 {s} 秒内得到答复的占比",
    },
    "kpi_mean_response": {
        "en": "mean seconds to the first answer, capped at {s} s, {hours}",
        "zh": "{hours} 内会话的平均首次响应时长（上限 {s} 秒）",
    },
    "status_breach": {"en": "CI misses the bar ✗", "zh": "置信区间未达标 ✗"},
    "status_at_risk": {"en": "CI straddles the bar ?", "zh": "置信区间跨越考核线 ?"},
    "whole_run": {"en": "whole run", "zh": "全程"},
    "axis_kpi_rate": {"en": "Share answered in time", "zh": "及时答复占比"},
    "axis_kpi_seconds": {
        "en": "Mean seconds to the first answer, capped",
        "zh": "平均首次答复时长（秒，封顶计）",
    },
    "arm": {"en": "arm", "zh": "方案"},
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
    "note_by_day": {
        "en": "Over {days} days the figures over time show days: the line is each day's mean "
        "of its intervals (service level weighted by contacts offered, ASA by contacts "
        "answered), the band its lowest to highest interval; the buttons above each figure "
        "show every interval (or hour) with its 95% CI.",
        "zh": "共 {days} 天：随时间变化的图按天显示，折线为当天各时段的均值（服务水平按进线量"
        "加权，平均应答时长按接起量加权），阴影为当天最低至最高的时段；点击图上方的按钮可查看"
        "每个时段（或每小时）及其 95% 置信区间。",
    },
    "day_range": {"en": "lowest–highest interval of the day", "zh": "当天最低–最高时段"},
    "view_by_day": {"en": "By day", "zh": "按天"},
    "view_intervals": {"en": "Every interval", "zh": "每个时段"},
    "view_hours": {"en": "Every hour", "zh": "每小时"},
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
        "zh": "各指标的定义（运行目录中 summary.json 以英文记录同样的定义）。",
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
    "sec_lab": {
        "en": "Which way of running the deal serves the same sales goal at the least service cost",
        "zh": "同样的销售目标，哪种玩法的客服代价最小",
    },
    "lab_note": {
        "en": "Every variant keeps the promotion's window, uplift and peak; all run on "
        "common random numbers. Ranked by net; Δ is the paired difference to as-written, "
        "the gap the paired difference to the next variant down, * where its 95% CI "
        "excludes 0: the ranking claims only the gaps marked *.",
        "zh": "各玩法保持相同的活动窗口、增量和峰值，并使用公共随机数。按净利排序；"
        "Δ 为与原方案的配对差值，间距为与下一名的配对差值，"
        "* 表示其 95% 置信区间不含 0：排名只对标 * 的间距成立。",
    },
    "lab_rank": {"en": "rank", "zh": "名次"},
    "lab_variant": {"en": "variant", "zh": "玩法"},
    "lab_gap": {"en": "gap to the next", "zh": "与下一名的间距"},
    "lab_breach_days": {"en": "KPI breach days", "zh": "考核未达标天数"},
    "lab_short_hours": {"en": "Short agent-hours (Erlang)", "zh": "人力缺口（人时，Erlang）"},
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
    "recovered_note": {
        "en": "Per arm against {first}: the gross profit it keeps more ÷ the agent-hours it "
        "adds (staffed, overtime included), a ratio of the paired means over replications "
        "with its 95% CI by the delta method. Gross profit counts only the orders kept, so "
        "with the same demand this is the margin lost to slow answers that the added hours "
        "win back. Shown when both arms have pre-sale inquiries and their rotas differ.",
        "zh": "各方案相对 {first}：多保住的毛利 ÷ 多投入的坐席工时（在班工时，含加班），"
        "为各次重复配对均值之比，95% 置信区间按 delta 法计算。毛利只计保住的订单，"
        "需求相同时即为增加的工时挽回的因响应慢流失的毛利。仅在两方案都有询单且排班不同时显示。",
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
    "short_agent_hours": {"en": "Agent-hours short", "zh": "缺口坐席工时"},
    "surplus_agent_hours": {"en": "Agent-hours of surplus", "zh": "富余坐席工时"},
    "short_cost_yuan": {"en": "Shortfall at the hourly cost", "zh": "缺口工时成本"},
    "total": {"en": "total", "zh": "合计"},
    "overall_value": {"en": "over the whole run", "zh": "全程"},
    "staff_note": {
        "en": "Required: the least agents per interval meeting every target (Erlang A, refined "
        "by simulation); scheduled: the scenario's own schedule.",
        "zh": "所需：满足全部目标的各时段最少坐席数（Erlang A 初算，经模拟修正）；"
        "已排：场景自身的排班。",
    },
    "sec_staff_heatmap": {
        "en": "Short and surplus agent-hours by day and hour",
        "zh": "按日期与小时的缺口与富余坐席工时",
    },
    "heatmap_note": {
        "en": "Each cell is one clock hour of one local date. Left: agent-hours short "
        "(required − scheduled, where positive); right: agent-hours of surplus (scheduled − "
        "required, where positive). The two are summed apart, never netted: an hour can hold "
        "a short interval and a surplus one. Grey: no interval. Hover: the most agents short "
        "(or of surplus) in one interval of that hour.",
        "zh": "每格为某一本地日期的一个整点小时。左：缺口坐席工时（所需 − 已排，取正值）；"
        "右：富余坐席工时（已排 − 所需，取正值）。两者分开累计、从不相抵："
        "同一小时内可能既有缺口时段又有富余时段。灰色：无时段。悬停显示该小时内单个时段的最大缺口（或富余）坐席数。",
    },
    "heat_short": {"en": "short", "zh": "缺口"},
    "heat_surplus": {"en": "surplus", "zh": "富余"},
    "peak_short": {"en": "most agents short in one interval", "zh": "单个时段最大缺口坐席数"},
    "peak_surplus": {
        "en": "most agents of surplus in one interval",
        "zh": "单个时段最大富余坐席数",
    },
    "ci_level": {"en": "{level}% CI", "zh": "{level}% 置信区间"},
    "targets_note": {
        "en": "Line: the plan's value per interval on fresh seeds (mean over replications); "
        "shaded: its {level}% CI; dashed: the target.",
        "zh": "折线：方案在新随机种子下各时段的模拟值（各次重复均值）；阴影：其 {level}% 置信区间；"
        "虚线：目标。",
    },
    "fresh_check": {"en": "Fresh-seed check", "zh": "新种子复核"},
    "roster_check": {
        "en": "Fresh-seed check of the plan as booked",
        "zh": "按方案排班后的新种子复核",
    },
    "roster_uncovered": {
        "en": "{hours} agent-hours no source could book (lead days, caps, closed hours); "
        "{missed} of the significant misses lie there",
        "zh": "{hours} 人时无法排班（提前期、上限或非营业时段）；其中显著未达标 {missed} 个时段",
    },
    "fresh_passed": {"en": "Passed", "zh": "通过"},
    "fresh_failed": {"en": "Significant misses", "zh": "存在显著未达标"},
    "fresh_target": {
        "en": "{target}: {met} of {judged} intervals meet it, {within} within the {level}% "
        "CI, {missed} missed",
        "zh": "{target}：{judged} 个时段中 {met} 个达标，{within} 个未达标但在 {level}% "
        "置信区间内，{missed} 个显著未达标",
    },
    "fresh_run": {
        "en": "{target} over the whole run: {verdict}",
        "zh": "{target}（全程）：{verdict}",
    },
    "fresh_met": {"en": "met", "zh": "达标"},
    "fresh_within": {"en": "missed, within the CI", "zh": "未达标，但在置信区间内"},
    "fresh_missed": {"en": "missed", "zh": "显著未达标"},
    "fresh_seed": {
        "en": "seed {seed} · {rounds} round(s) of {n} replications",
        "zh": "随机种子 {seed} · 共 {rounds} 轮，每轮 {n} 次重复",
    },
    "roster_cost": {"en": "Booked extra shifts, cost", "zh": "新增班次费用"},
    "sec_staff_roster": {"en": "Booked extra shifts by source", "zh": "按来源的新增班次"},
    "roster_note": {
        "en": "One bar per row of roster.csv: a shift booked on a date from its start to its "
        "end (past midnight into the next date), coloured by source, a lane per group and "
        "source; the number is its agents.",
        "zh": "每条横条为 roster.csv 的一行：某日预订的一个班次，从开始到结束（跨午夜则延至次日），"
        "颜色表示来源，每个坐席组与来源一行；条上数字为坐席数。",
    },
    "no_roster": {
        "en": "This folder has no roster.csv: no extra shifts booked.",
        "zh": "本目录没有 roster.csv：未预订新增班次。",
    },
    "roster_empty": {"en": "roster.csv books no shift.", "zh": "roster.csv 未预订任何班次。"},
    "roster_capped": {
        "en": "The first {shown} of {total} shifts by start are drawn; the bill below counts all.",
        "zh": "按开始时间仅绘出前 {shown} 个班次（共 {total} 个）；下方费用表计入全部班次。",
    },
    "sec_staff_bill": {"en": "The bill by source", "zh": "按来源的费用"},
    "bill_note": {
        "en": "From roster.csv. Agent-hours count each shift from its start to its end "
        "(agents × hours), breaks included, as the file does not list them; the cost is the "
        "booking's, all its agents.",
        "zh": "数据取自 roster.csv。坐席工时按每个班次从开始到结束计算（坐席数 × 小时数），"
        "含休息时间（文件未列出休息）；费用为该预订全部坐席的费用。",
    },
    "bill_paid": {
        "en": "Paid agent-hours (breaks out), from staffing.json: {hours}.",
        "zh": "计薪坐席工时（不含休息），取自 staffing.json：{hours}。",
    },
    "bill_mismatch": {
        "en": "staffing.json gives the roster's cost as {json}; roster.csv's rows add up to {csv}.",
        "zh": "staffing.json 记录的新增班次费用为 {json}；roster.csv 各行合计为 {csv}。",
    },
    "source": {"en": "source", "zh": "来源"},
    "all_groups": {"en": "all groups", "zh": "全部坐席组"},
    "bill_shifts": {"en": "shift rows", "zh": "班次行数"},
    "bill_agents": {"en": "agents booked", "zh": "预订坐席人次"},
    "bill_hours": {"en": "agent-hours, start to end", "zh": "坐席工时（开始至结束）"},
    "bill_cost": {"en": "cost", "zh": "费用"},
    "bill_rate": {"en": "per agent-hour", "zh": "每坐席工时费用"},
    "axis_cost": {"en": "Cost (yuan)", "zh": "费用（元）"},
    "source_in_house": {"en": "in-house", "zh": "本组坐席"},
    "source_overtime": {"en": "overtime", "zh": "加班"},
    "source_temp": {"en": "temp", "zh": "临时工"},
    "source_cloud": {"en": "cloud", "zh": "云客服"},
    "source_outsource": {"en": "outsource", "zh": "外包"},
}


METRIC_TEXTS: dict[str, dict[str, str]] = {
    **{m.key: {"en": catalog.capital(m.en), "zh": m.zh} for m in catalog.METRICS},
    **{f"view_{v}": dict(zip(LANGS, t, strict=True)) for v, t in catalog.VIEW_LABELS.items()},
    **{f"driver_{d}": dict(zip(LANGS, t, strict=True)) for d, t in catalog.DRIVER_LABELS.items()},
}
"""The catalog's words as report texts, by metric key, ``view_<view>`` and ``driver_<driver>``
(a metric's label as a title: first letter upper case)."""


class Text:
    """Translates label keys into one language and records which keys were used."""

    def __init__(self, lang: str, scenario: Mapping[str, Any] | None = None) -> None:
        if lang not in LANGS:
            raise ReportError(f"language {lang!r} is not one of {', '.join(LANGS)}")
        self.lang = lang
        self.used: set[str] = set()
        self.names = Labels(lang, scenario)
        """What a reason, channel or group is shown as (:func:`sim.labels.label`)."""

    def name(self, kind: Kind, name: str) -> str:
        """The label of a reason, channel, group, … (the scenario's ``label:`` first)."""
        return self.names(kind, name)

    def metric(self, key: str) -> str:
        """A summary key's words, its channel, group or reason by label (as a title)."""
        return catalog.capital(self.names.metric(key))

    def __call__(self, key: str, **fields: object) -> str:
        """The text of a :data:`LABELS` key or a catalog key (:data:`METRIC_TEXTS`)."""
        self.used.add(key)
        text = (LABELS.get(key) or METRIC_TEXTS[key])[self.lang]
        return text.format(**fields) if fields else text
