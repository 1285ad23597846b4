"""The metric catalog: every metric promosim reports, and the one place its words live.

Each :class:`Metric` has its summary key, unit, denominator, definition (written into
``summary.json``'s glossary), an English and a Chinese label, the view it belongs to
(operations, service, customer) and the format it is printed in. The console, the HTML
reports, ``compare``, ``runs``/``show`` and ``docs/metrics.md`` all read it; the *Displays*
part at the end says which metrics each of them shows, in which order.

Keys with a placeholder stand for a family: ``<channel>.`` is any channel or ``all``,
``group.<group>.`` a staffing group, ``contacts.<reason>`` a contact reason, ``<band>`` a
CSAT band and ``<driver>`` a CSAT driver. A catalog key has no ``<channel>.`` prefix: the
per-channel metrics (:data:`CHANNEL_METRICS`) are written bare (``asa_seconds``).

Adding a metric: one :class:`Metric` in :data:`METRICS` (and, to show it, its key in a
display list), then regenerate docs/metrics.md. Nothing here computes a metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

Format = Literal["count", "decimal", "cents", "share", "yuan", "yuan_cents"]
"""How a metric's numbers are printed: ``count`` whole numbers, ``decimal`` one decimal,
``cents`` two decimals, ``share`` a percentage, ``yuan`` whole yuan (¥), ``yuan_cents``
yuan to the fen."""

View = Literal["operations", "service", "customer"]
"""The three views of a run (docs/model.md#causal-chain): the shop's money and orders, the
contact centre, the customers' issues."""

VIEWS: Final[tuple[View, ...]] = ("operations", "service", "customer")

VIEW_LABELS: Final[dict[View, tuple[str, str]]] = {
    "operations": ("Operations", "经营"),
    "service": ("Service", "服务"),
    "customer": ("Customer", "客户"),
}
"""Each view's name, English and Chinese."""

LANGS: Final = ("en", "zh")


@dataclass(frozen=True)
class Metric:
    """One metric (or family of metrics) of ``summary.json``."""

    key: str
    """Its glossary key (``asa_seconds``, ``contacts.<reason>``, ``group.<group>.occupancy``)."""
    unit: str
    """What one of it is: ``count``, ``ratio``, ``seconds``, ``hours``, ``yuan (¥)``, …"""
    denominator: str
    """What a ratio or mean is divided by; empty for counts, sums and levels' totals."""
    definition: str
    """Its definition and denominator in one sentence, as ``summary.json`` writes it."""
    en: str
    """English label, lower case unless a name (a report capitalises it)."""
    zh: str
    """Chinese label."""
    view: View
    fmt: Format

    def label(self, lang: str = "en") -> str:
        """The label in ``en`` or ``zh``."""
        return self.zh if lang == "zh" else self.en

    @property
    def headline(self) -> bool:
        """Whether it is on a run's headline (:data:`HEADLINE`, for ``all`` if per channel)."""
        return any(glossary_key(k) == self.key for k in HEADLINE)

    @property
    def displays(self) -> tuple[str, ...]:
        """The names of the :data:`DISPLAYS` that show it."""
        return tuple(n for n, keys in DISPLAYS.items() if self.key in map(display_key, keys))


def _m(
    key: str,
    unit: str,
    denominator: str,
    en: str,
    zh: str,
    view: View,
    fmt: Format,
    definition: str,
) -> Metric:
    return Metric(key, unit, denominator, definition, en, zh, view, fmt)


# The order is summary.json's glossary order: keep new entries beside their kin.
# fmt: off
METRICS: Final[tuple[Metric, ...]] = (
    # per channel (and all channels)
    _m("offered", "count", "", "offered", "呼入量", "service", "count",
       "contacts that arrived after the warm-up and before the horizon"),
    _m("answered", "count", "", "answered", "接起量", "service", "count",
       "offered contacts taken by an agent before the horizon"),
    _m("abandoned", "count", "", "abandoned", "放弃量", "service", "count",
       "offered contacts that left the queue when their patience ran out"),
    _m("open", "count", "", "still waiting", "仍在排队", "service", "count",
       "offered contacts still waiting at the horizon"),
    _m("closed", "count", "", "closed (calls)", "非服务时间来电", "service", "count",
       "calls that arrived while their channel was closed (outside its hours) and heard "
       "so: not offered, but counted in contacts.<reason>; channels with hours only"),
    _m("left_before_answer", "count", "", "left before answer", "答复前已离开", "service",
       "count",
       "asynchronous channels: offered contacts answered after the buyer's patience ran "
       "out (the buyer had left and reads the answer later)"),
    _m("left_rate", "ratio", "offered contacts", "left before answer (share)",
       "答复前离开率", "service", "share",
       "asynchronous channels: left_before_answer ÷ offered (nothing is abandoned there)"),
    _m("abandon_rate", "ratio", "offered contacts", "abandon rate", "放弃率", "service",
       "share", "abandoned ÷ offered"),
    _m("service_level", "ratio", "offered contacts", "service level", "服务水平", "service",
       "share",
       "answered within the channel's service_level_seconds ÷ offered "
       "(abandoned and open contacts count as failures)"),
    _m("kpi_service_level", "ratio", "offered contacts arriving in the KPI hours",
       "KPI response rate", "考核时段响应率", "service", "share",
       "contacts arriving inside the channel's kpi_hours and answered within "
       "service_level_seconds ÷ offered contacts arriving inside them, as platforms count "
       "a response rate (service_level counts round the clock)"),
    _m("asa_seconds", "seconds", "answered contacts", "ASA (s)", "平均应答时长（秒）",
       "service", "decimal", "mean wait of answered contacts, seconds"),
    _m("first_response_seconds", "seconds", "answered contacts", "first response (s)",
       "首次响应时长（秒）", "service", "decimal",
       "asynchronous channels: mean time from a message to the first human answer, buyers "
       "who had left and messages sent while closed included, seconds (the channel's ASA "
       "under the platforms' name)"),
    _m("mean_wait_seconds", "seconds", "answered and abandoned contacts", "mean wait (s)",
       "平均等待时长（秒）", "service", "decimal",
       "mean time in queue of answered and abandoned contacts, seconds "
       "(open contacts excluded: their wait is cut off by the horizon)"),
    _m("aht_seconds", "seconds", "answered contacts", "AHT (s)", "平均处理时长（秒）",
       "service", "decimal", "mean handle time of answered contacts, seconds"),
    _m("occupancy", "ratio", "staffed agent-time less breaks", "occupancy", "占用率", "service",
       "share",
       "busy agent-time ÷ staffed agent-time (scheduled plus overtime) of the groups "
       "serving the channel; a chat holds 1/concurrency of an agent"),
    _m("queue_length", "contacts (time average)", "time after the warm-up", "queue length",
       "排队长度", "service", "decimal", "time-average number of contacts waiting"),
    _m("agents", "agents (time average)", "time after the warm-up", "agents (avg)",
       "平均在班坐席数", "service", "decimal",
       "time-average staffed agents (scheduled plus overtime) able to serve the channel"),
    # whole run
    _m("contacts", "count", "", "contacts", "进线量", "service", "count",
       "all offered contacts"),
    _m("agent_hours", "hours", "", "agent-hours", "坐席工时", "service", "decimal",
       "staffed agent-time after the warm-up (scheduled plus overtime), hours"),
    _m("overtime_hours", "hours", "", "overtime hours", "加班工时", "service", "decimal",
       "agent-time spent finishing contacts after a scheduled end, hours"),
    _m("break_hours", "hours", "", "break hours", "离席工时", "service", "decimal",
       "staffed agent-time on break after the warm-up (staffing.shrinkage: breaks, "
       "training, meetings), hours; paid and in agent_hours, but not available for "
       "contacts: every occupancy is busy agent-time ÷ staffed agent-time less breaks"),
    _m("orders", "count", "", "orders", "订单数", "operations", "count",
       "orders placed after the warm-up and before the horizon"),
    _m("contacts_per_100_orders", "per 100 orders", "orders", "contacts per 100 orders",
       "每百单进线量", "service", "decimal",
       "contacts offered ÷ orders placed in the same period × 100 "
       "(contacts include those of orders placed before it)"),
    # bots and pre-sale inquiries
    _m("bot_sessions", "count", "", "bot sessions", "机器人接待量", "service", "count",
       "first contacts after the warm-up that a channel's bot answered first (per channel: "
       "that channel's); follow-ups go straight to a human"),
    _m("bot_contained", "count", "", "settled by the bot", "机器人独立解决量", "service",
       "count", "bot sessions the bot settled alone: never offered to the human queue"),
    _m("bot_handover_rate", "ratio", "bot sessions", "bot hand-over rate", "转人工率",
       "service", "share",
       "bot sessions handed over to the human queue (转人工) ÷ bot sessions"),
    _m("bot_cost_yuan", "yuan (¥)", "", "bot cost", "机器人费用", "operations", "yuan",
       "bot sessions × their channel's bot.cost_yuan_per_session, yuan (part of "
       "service_cost_yuan)"),
    _m("presale_inquiries", "count", "", "pre-sale inquiries", "询单量", "service", "count",
       "pre-sale inquiries (first contacts of the presale inquiry reason) after the "
       "warm-up, browsers' included"),
    _m("presale_browsers", "count", "", "inquiries without an order", "未购询单量",
       "service", "count", "inquiries of buyers who never order (browsers)"),
    _m("presale_bot_contained", "count", "", "inquiries settled by the bot",
       "机器人解决的询单", "service", "count", "pre-sale inquiries the bot settled alone"),
    _m("orders_from_inquiries", "count", "", "orders from inquiries", "询单成交订单",
       "operations", "count",
       "orders kept of the inquiries counted in presale_inquiries (placed when their "
       "buyer would order, perhaps after the horizon)"),
    _m("orders_with_inquiry", "count", "", "would-be orders with an inquiry",
       "有询单的潜在订单", "operations", "count",
       "would-be orders placed after the warm-up and before the horizon whose buyer asked "
       "first, kept or lost"),
    _m("inquiry_conversion", "ratio", "pre-sale inquiries", "inquiry conversion",
       "询单转化率", "service", "share", "orders_from_inquiries ÷ presale_inquiries"),
    _m("lost_orders", "count", "", "orders lost to slow answers", "因响应慢流失订单",
       "operations", "count",
       "would-be orders placed after the warm-up and before the horizon whose buyer "
       "asked first and did not order (no answer in time, or a slow one); orders, gmv_yuan "
       "and gross_profit_yuan count only the orders kept"),
    _m("lost_gmv_yuan", "yuan (¥)", "", "GMV lost", "流失GMV", "operations", "yuan",
       "what the lost orders would have paid, yuan"),
    _m("lost_margin_yuan", "yuan (¥)", "", "margin lost", "流失毛利", "operations", "yuan",
       "gross profit the lost orders would have made (GMV − goods and fulfilment cost), "
       "yuan"),
    _m("promo_contacts", "count", "", "promotion-caused contacts", "促销引起的进线",
       "service", "count",
       "contacts of the reasons the promotion's mechanic creates (counted as contacts.<reason>)"),
    _m("promo_share_after_sale", "ratio", "after-sale contacts",
       "promotion's share of after-sale contacts", "促销占售后进线比例", "service", "share",
       "after-sale contacts of the promotion's reasons ÷ all "
       "after-sale contacts (pre-sale questions excluded from both)"),
    _m("platform.<kpi>", "ratio or seconds", "the KPI's sessions", "platform KPI",
       "平台考核指标", "service", "decimal",
       "a KPI of the scenario's platform rules (platform.kpis.<kpi>): over the sessions of "
       "platform.channel whose buyer wrote inside the KPI's hours, the share answered within "
       "its within_seconds (answered_within) or the mean seconds to the first answer that "
       "counts, each capped at cap_seconds and an unanswered one counted at the cap "
       "(mean_response); per day by the day the buyer wrote"),
    _m("platform.<kpi>.sessions", "count", "", "KPI sessions", "考核会话数", "service",
       "count",
       "sessions a platform KPI counts: of platform.channel, the buyer's message inside the "
       "KPI's hours (and the channel open, with offline: exclude), the bot's own sessions "
       "left out unless its answers count"),
    _m("contacts.<reason>", "count", "", "contacts of the reason", "该原因进线量",
       "service", "count",
       "contacts of that reason: offered, calls that found their channel closed, and those "
       "the bot settled"),
    # issues and the journey
    _m("issues", "count", "", "issues", "问题数", "customer", "count",
       "customer issues whose first contact arrived after the warm-up"),
    _m("contacts_per_issue", "per issue", "issues", "contacts per issue", "每问题进线次数",
       "service", "cents", "contacts of those issues (before the horizon) ÷ issues"),
    _m("resolution_rate", "ratio", "issues", "resolution rate", "解决率", "service", "share",
       "issues resolved by any contact before the horizon ÷ issues"),
    _m("fcr", "ratio", "issues whose first contact was answered", "first-contact resolution",
       "首次解决率", "service", "share",
       "issues resolved by their first contact ÷ issues whose first contact was answered"),
    _m("repeat_contacts", "count", "", "repeat contacts", "重复进线", "service", "count",
       "contacts of unresolved issues coming back"),
    _m("redials", "count", "", "redials", "重拨", "service", "count",
       "contacts of customers coming back after abandoning"),
    _m("escalations", "count", "", "escalations", "升级转接", "service", "count",
       "transfers of unresolved issues to the second tier"),
    _m("platform_interventions", "count", "", "platform interventions", "小二介入次数",
       "service", "count",
       "second-tier issues ending in a platform intervention (小二介入)"),
    _m("refunds", "count", "", "refunds granted", "退款笔数", "operations", "count",
       "refunds granted (at most one per issue; one-click 价保 claims included)"),
    _m("refunds_yuan", "yuan (¥)", "", "refunds", "退款", "operations", "yuan",
       "refunds granted, yuan (one-click 价保 claims included)"),
    _m("self_service_refunds", "count", "", "one-click claims", "一键价保笔数", "operations",
       "count", "价保 claims the buyer made with the platform's button: paid, no contact "
       "(included in refunds)"),
    _m("self_service_refunds_yuan", "yuan (¥)", "", "one-click claims paid", "一键价保退款",
       "operations", "yuan", "what one-click 价保 claims paid, yuan (included in refunds)"),
    _m("issue_wait_seconds", "seconds", "issues", "wait per issue (s)",
       "每问题等待时长（秒）", "customer", "decimal",
       "mean total time in queue of an issue's contacts, seconds, over issues"),
    _m("transfers_per_issue", "per issue", "issues", "transfers per issue", "每问题转接次数",
       "service", "cents", "transfers to the second tier ÷ issues"),
    _m("channel_switch_share", "ratio", "issues", "channel-switch share", "跨渠道问题占比",
       "customer", "share",
       "issues with a contact on another channel than the first ÷ issues"),
    _m("refund_share", "ratio", "issues", "refund share", "退款问题占比", "operations",
       "share", "issues refunded ÷ issues"),
    # customers
    _m("csat_mean", "probability", "issues", "CSAT (share satisfied)", "满意度（满意占比）",
       "customer", "share",
       "mean probability that an issue's customer is satisfied (logistic model, "
       "docs/model.md#satisfaction), over issues"),
    _m("effort_mean", "score 1–5", "issues", "effort score (1-5)", "客户费力度（1–5）",
       "customer", "cents", "mean customer effort score (1 effortless … 5), over issues"),
    _m("bad_reviews", "count", "", "bad reviews", "差评数", "customer", "count",
       "bad reviews (差评) left and not revised, drawn per issue; only while the "
       "platform takes reviews (review_window_days after delivery)"),
    _m("bad_reviews_revised", "count", "", "bad reviews revised", "已修改差评数", "customer",
       "count", "bad reviews revised after a later contact resolved the issue"),
    _m("churned_customers", "count", "", "customers lost", "流失客户数", "customer", "count",
       "customers lost after their issue (TARP retention table), drawn per issue"),
    # staffing groups
    _m("group.<group>.agent_hours", "hours", "", "agent-hours", "坐席工时", "service",
       "decimal", "the group's staffed agent-time (scheduled plus overtime), hours"),
    _m("group.<group>.overtime_hours", "hours", "", "overtime hours", "加班工时", "service",
       "decimal",
       "the group's agent-time finishing contacts after a scheduled end, hours"),
    _m("group.<group>.break_hours", "hours", "", "break hours", "离席工时", "service",
       "decimal", "the group's staffed agent-time on break (staffing.shrinkage), hours"),
    _m("group.<group>.occupancy", "ratio", "the group's staffed agent-time less breaks",
       "occupancy", "占用率", "service", "share",
       "the group's busy agent-time ÷ its staffed agent-time"),
    _m("group.<group>.intervals_over_90", "ratio", "the group's staffed intervals",
       "intervals > 90% busy", "占用率超 90% 的时段占比", "service", "share",
       "share of the group's staffed intervals with occupancy above 90%"),
    # money
    _m("orders_in_window", "count", "", "orders in the promotion's window", "促销期内订单数",
       "operations", "count", "orders placed inside the promotion's window (and after the "
       "warm-up); absent when the scenario has no promotion"),
    _m("gmv_yuan", "yuan (¥)", "", "GMV", "成交额（GMV）", "operations", "yuan",
       "what buyers paid for the orders, yuan (expected per order by mechanic); absent "
       "when the scenario models no orders"),
    _m("gross_profit_yuan", "yuan (¥)", "", "gross profit", "毛利", "operations", "yuan",
       "GMV − unit costs − fulfilment, yuan; absent when the scenario models no orders"),
    _m("labour_cost_yuan", "yuan (¥)", "", "labour cost", "人工成本", "operations", "yuan",
       "agent time the contacts used (busy agent-hours, silent abandoners "
       "included) at the loaded hourly cost, plus the overtime premium, yuan"),
    _m("payroll_yuan", "yuan (¥)", "", "payroll", "排班人力成本", "operations", "yuan",
       "staffed agent-hours at the loaded hourly cost plus the overtime "
       "premium: what the rota costs, yuan"),
    _m("platform_cost_yuan", "yuan (¥)", "", "platform cost", "平台介入成本", "operations",
       "yuan", "platform interventions × their cost, yuan"),
    _m("service_cost_yuan", "yuan (¥)", "", "service cost", "客服成本", "operations", "yuan",
       "labour_cost_yuan + platform_cost_yuan"),
    _m("bad_review_cost_yuan", "yuan (¥)", "", "bad-review cost", "差评成本", "operations",
       "yuan", "bad reviews × the value of a bad review, yuan"),
    _m("churn_cost_yuan", "yuan (¥)", "", "churn cost", "流失成本", "operations", "yuan",
       "churned customers × the margin of a retained customer, yuan"),
    _m("net_yuan", "yuan (¥)", "", "net", "净利", "operations", "yuan",
       "gross profit − service cost − refunds − bad-review cost − churn cost, yuan"),
    _m("hard_net_yuan", "yuan (¥)", "", "hard net", "实际净利", "operations", "yuan",
       "money that moves: gross profit − payroll − platform cost − bot cost − refunds, "
       "yuan (net_yuan = hard_net_yuan − modelled_cost_yuan)"),
    _m("labour_over_payroll_yuan", "yuan (¥)", "", "agent time beyond payroll",
       "接待工时超出排班成本", "operations", "yuan",
       "labour_cost_yuan − payroll_yuan: the net charges the agent time the contacts used "
       "at the loaded hourly cost instead of the rota's bill (negative where staffed hours "
       "sit idle), yuan"),
    _m("modelled_cost_yuan", "yuan (¥)", "", "modelled costs", "模型估算成本", "operations",
       "yuan",
       "labour_over_payroll_yuan + bad_review_cost_yuan + churn_cost_yuan: costs priced by "
       "an assumption rather than paid, yuan"),
    _m("reason.price_difference.issues", "count", "", "price-difference issues",
       "退差价问题数", "operations", "count", "price-difference (退差价) issues"),
    _m("reason.price_difference.refund_share", "ratio", "price-difference issues",
       "price-difference refund share", "退差价退款占比", "operations", "share",
       "refunds granted ÷ price-difference issues"),
    _m("reason.price_difference.cost_per_issue_yuan", "yuan (¥)", "price-difference issues",
       "cost per price-difference issue", "每个退差价问题的成本", "operations", "yuan_cents",
       "labour, bad-review and churn cost of price-difference issues ÷ their number, yuan"),
    # the promotion's effect (promotion − baseline)
    _m("promo_gross_profit_yuan", "yuan (¥)", "", "promotion's gross profit", "促销毛利增量",
       "operations", "yuan", "gross profit of the promotion arm − the baseline's, yuan"),
    _m("net_impact_yuan", "yuan (¥)", "", "promotion's net impact", "促销净影响",
       "operations", "yuan",
       "net of the promotion arm − the baseline's: what the promotion earns "
       "after its service, refund, review and churn costs, yuan"),
    _m("hard_net_impact_yuan", "yuan (¥)", "", "promotion's hard net impact",
       "促销实际净影响", "operations", "yuan",
       "hard net of the promotion arm − the baseline's: margins, wages, platform and bot "
       "charges and refunds that move, without modelled costs, yuan"),
    _m("service_cost_per_promo_order_yuan", "yuan (¥)", "orders in the promotion's window",
       "service cost per promotion order", "每笔促销订单的客服成本", "operations",
       "yuan_cents",
       "(extra service cost + extra refunds) ÷ orders in the promotion's window, yuan"),
    # satisfaction: distribution and drivers
    _m("csat_dist.<band>", "ratio", "issues", "issues in the satisfaction band",
       "满意概率区间内的问题占比", "customer", "share",
       "issues whose probability of being satisfied falls in the band (percent) ÷ issues"),
    _m("issues_with.<driver>", "ratio", "issues", "issues the driver touched",
       "受该因素影响的问题占比", "customer", "share",
       "issues the driver touched ÷ issues: wait (first contact waited "
       "beyond the channel's tolerance), repeat (more than one contact), unresolved, "
       "escalation, abandonment (any contact abandoned)"),
    _m("csat_lost.<driver>", "probability", "issues", "CSAT lost to the driver",
       "该因素造成的满意度损失", "customer", "share",
       "mean probability of being satisfied with the driver removed from "
       "every issue, minus csat_mean: the satisfaction the driver costs, share of issues"),
    # between compared scenarios (arm − first arm, paired on common random numbers)
    _m("margin_recovered_per_agent_hour_yuan", "yuan (¥) per agent-hour",
       "added agent-hours (arm − first arm)", "margin recovered per added agent-hour",
       "每增加一个坐席工时挽回的毛利", "operations", "yuan_cents",
       "compare, arms with pre-sale inquiries whose agent-hours differ: mean over "
       "replications of the arm's gross_profit_yuan − the first arm's ÷ mean of its "
       "agent_hours − the first arm's (a ratio of paired mean differences; 95% CI by the "
       "delta method), yuan per agent-hour; with the same demand the gross-profit "
       "difference is the lost margin the added hours win back"),
    _m("break_even_miss_rate", "ratio", "", "break-even bundle miss rate", "盈亏平衡漏拍率",
       "operations", "share",
       "bundle miss rate at which the promotion's net impact is zero "
       "(linear in the miss rate; absent outside [0, 1])"),
)
# fmt: on

CATALOG: Final[dict[str, Metric]] = {m.key: m for m in METRICS}
"""Every metric by its glossary key."""

GLOSSARY: Final[dict[str, str]] = {m.key: m.definition for m in METRICS}
"""Each metric's definition and denominator, as written into summary.json and reports."""

ALL_CHANNELS: Final = "all.<metric>"
"""The glossary entry of the ``all.`` prefix (a run with an ``all.`` metric writes it)."""

ALL_CHANNELS_DEFINITION: Final = (
    "a per-channel metric over the channels customers write to together; an internal queue "
    "(channels.<c>.internal, by default the journey's escalation channel, such as the team "
    "lead's call-back queue) is of no customer's wait: it is reported on its own and left "
    "out of all (contacts still counts every channel)"
)

ALL_CHANNELS_DEFINITION_ZH: Final = (
    "各渠道指标在顾客共同进线的渠道上的合计；内部队列（channels.<c>.internal，默认是旅程的升级渠道，"
    "如组长回电队列）不是顾客的等待，单独报告、不计入合计（进线量仍计所有渠道）"
)

CHANNEL_METRICS: Final = (
    "offered",
    "answered",
    "abandoned",
    "open",
    "closed",
    "left_before_answer",
    "left_rate",
    "abandon_rate",
    "service_level",
    "kpi_service_level",
    "asa_seconds",
    "first_response_seconds",
    "mean_wait_seconds",
    "aht_seconds",
    "occupancy",
    "queue_length",
    "agents",
)
"""The metrics kept per channel and for ``all``: summary keys ``<channel>.<metric>``."""

DRIVER_LABELS: Final[dict[str, tuple[str, str]]] = {
    "wait": ("waited beyond tolerance", "等待超出容忍时长"),
    "repeat": ("more than one contact", "多次进线"),
    "unresolved": ("unresolved", "未解决"),
    "escalation": ("escalated", "升级转接"),
    "abandonment": ("abandoned a contact", "曾放弃排队"),
}
"""Each CSAT driver (the ``<driver>`` of ``issues_with.`` and ``csat_lost.``), en and zh."""


def glossary_key(metric: str) -> str:
    """The catalog key of a summary key: ``phone.asa_seconds`` → ``asa_seconds``."""
    if metric.startswith("contacts."):
        return "contacts.<reason>"
    if metric.startswith("platform."):
        return "platform.<kpi>.sessions" if metric.endswith(".sessions") else "platform.<kpi>"
    if metric.startswith(("reason.", "promo_", "net_impact", "service_cost_per", "break_even")):
        return metric
    if metric.startswith(("csat_dist.", "issues_with.", "csat_lost.")):
        return metric.split(".", 1)[0] + (".<band>" if metric.startswith("csat_d") else ".<driver>")
    if metric.startswith("group."):
        return "group.<group>." + metric.rsplit(".", 1)[-1]
    return metric.rsplit(".", 1)[-1]


EFFECT_PREFIX: Final = "effect."
"""A sweep's paired promotion − baseline metrics (``effect.contacts``)."""


def metric_keys(
    channels: Iterable[str],
    groups: Iterable[str],
    reasons: Iterable[str],
    kpis: Iterable[str] = (),
) -> list[str]:
    """Every summary key a run of such a scenario may hold (before ``effect.``).

    Per-channel metrics for each channel and ``all``, each family's placeholder filled in
    (``csat_dist.<band>`` left out: its bands are the metrics module's). A run need not
    hold them all (no bot, no orders): this is what ``--metric`` may name.
    """
    fill = {
        "<group>": list(groups),
        "<reason>": list(reasons),
        "<kpi>": list(kpis),
        "<band>": [],
        "<driver>": list(DRIVER_LABELS),
    }
    out = [f"{c}.{m}" for c in [*channels, "all"] for m in CHANNEL_METRICS]
    for m in METRICS:
        hole = next((h for h in fill if h in m.key), None)
        if hole is None:
            if m.key not in CHANNEL_METRICS:
                out.append(m.key)
            continue
        out += [m.key.replace(hole, name) for name in fill[hole]]
    return out


def lookup(key: str) -> Metric | None:
    """The metric of a summary key (``chat.service_level``, ``effect.net_yuan``), if any."""
    return CATALOG.get(glossary_key(key.removeprefix(EFFECT_PREFIX)))


def fmt_of(key: str) -> Format:
    """How a summary key's numbers are printed (``count`` for a key not in the catalog)."""
    m = lookup(key)
    return "count" if m is None else m.fmt


def label(key: str, lang: str = "en") -> str:
    """The label of a summary key's metric (the key itself when it is not in the catalog)."""
    m = lookup(key)
    return key if m is None else m.label(lang)


def capital(text: str) -> str:
    """A label as a title: its first letter upper case (``service level`` → ``Service level``)."""
    return text[:1].upper() + text[1:]


# The definitions in Chinese, for the zh reports' glossary; field names of the scenario file
# (service_level_seconds) are kept as written: they are what a user types.
DEFINITIONS_ZH: Final[dict[str, str]] = {
    "hard_net_yuan": (
        "实际发生的钱：毛利 − 排班工资 − 平台费用 − 机器人费用 − 退款，元"
        "（净利 = 实际净利 − 模型估算成本）"
    ),
    "labour_over_payroll_yuan": (
        "接待成本 − 排班工资：净利按含附加的小时成本计入进线占用的客服工时，而不是排班账单"
        "（排班工时闲置时为负），元"
    ),
    "modelled_cost_yuan": (
        "接待工时超出排班成本 + 差评成本 + 流失成本：按假设定价而非实付的成本，元"
    ),
    "hard_net_impact_yuan": (
        "促销组的实际净利 − 基线组的：实际发生的毛利、工资、平台与机器人费用和退款，"
        "不含估算成本，元"
    ),
    "offered": "预热期之后、模拟结束之前到达的进线",
    "answered": "模拟结束前被坐席接起的进线",
    "abandoned": "等待超出耐心后离开队列的进线",
    "open": "模拟结束时仍在排队的进线",
    "closed": (
        "渠道非服务时间（服务时段之外）到达并听到提示的来电：不计入呼入量，但计入各原因进线量；"
        "仅限设有服务时段的渠道"
    ),
    "left_before_answer": "异步渠道：买家耐心耗尽后才得到答复的进线（买家已离开，稍后才看到答复）",
    "left_rate": "异步渠道：答复前已离开 ÷ 呼入量（异步渠道没有放弃）",
    "abandon_rate": "放弃量 ÷ 呼入量",
    "service_level": (
        "在渠道的 service_level_seconds 内接起的进线 ÷ 呼入量（放弃与仍在排队的计为未达标）"
    ),
    "kpi_service_level": "在渠道 kpi_hours 内到达且在 service_level_seconds 内得到答复的进线 ÷ "
    "kpi_hours 内到达的进线，即平台口径的响应率（服务水平按全天计算）",
    "asa_seconds": "已接起进线的平均等待时长，秒",
    "first_response_seconds": "异步渠道：从买家发消息到首次人工答复的平均时长，含已离开的买家与"
    "非服务时间发来的消息，秒（即平台口径的平均应答时长）",
    "mean_wait_seconds": (
        "已接起与已放弃进线的平均排队时长，秒（不含仍在排队的进线：其等待被模拟结束截断）"
    ),
    "aht_seconds": "已接起进线的平均处理时长，秒",
    "occupancy": "服务该渠道各坐席组的忙碌时长 ÷ 在班时长（排班加加班）；并发渠道的一个会话占用 "
    "1/并发数 个坐席",
    "queue_length": "排队进线数的时间平均",
    "agents": "可服务该渠道的在班坐席数（排班加加班）的时间平均",
    "contacts": "全部呼入进线",
    "agent_hours": "预热期之后的在班坐席时长（排班加加班），小时",
    "overtime_hours": "坐席在排班结束后处理完进线所用的时长，小时",
    "break_hours": "预热期之后在班但离席（staffing.shrinkage：休息、培训、会议）的时长，小时；"
    "计薪并计入坐席工时，但不能接待进线：各占用率均为忙碌时长 ÷ 扣除离席后的在班时长",
    "orders": "预热期之后、模拟结束之前下的订单",
    "contacts_per_100_orders": "同期呼入进线 ÷ 下单数 × 100（进线含此前订单带来的进线）",
    "bot_sessions": (
        "预热期之后由渠道机器人先行接待的首次进线（按渠道：该渠道的）；后续进线直接转人工"
    ),
    "bot_contained": "机器人独立解决、从未进入人工队列的机器人会话",
    "bot_handover_rate": "转人工的机器人会话 ÷ 机器人会话",
    "bot_cost_yuan": "机器人会话 × 所在渠道的 bot.cost_yuan_per_session，元（计入客服成本）",
    "presale_inquiries": "预热期之后的售前询单（售前询单原因的首次进线），含未购买家的询单",
    "presale_browsers": "最终不会下单的买家的询单",
    "presale_bot_contained": "机器人独立解决的售前询单",
    "orders_from_inquiries": (
        "计入询单量的询单中最终保住的订单（在买家原定下单时下单，可能晚于模拟结束）"
    ),
    "orders_with_inquiry": "预热期之后、模拟结束之前、买家先询单的潜在订单，无论保住或流失",
    "inquiry_conversion": "询单成交订单 ÷ 询单量",
    "lost_orders": (
        "预热期之后、模拟结束之前、买家先询单却未下单（未及时答复或答复过慢）的潜在订单；"
        "订单数、成交额与毛利只计保住的订单"
    ),
    "lost_gmv_yuan": "流失订单原本会支付的金额，元",
    "lost_margin_yuan": "流失订单原本会带来的毛利（成交额 − 商品与履约成本），元",
    "promo_contacts": "促销玩法所产生原因的进线（亦计入各原因进线量）",
    "promo_share_after_sale": "促销原因的售后进线 ÷ 全部售后进线（两者均不含售前咨询）",
    "platform.<kpi>": (
        "场景平台规则中的一项考核指标（platform.kpis.<kpi>）：在买家于考核时段内发起的"
        "平台渠道会话中，在 within_seconds 内得到答复的占比（answered_within），或首次有效答复的平"
        "均"
        "时长（mean_response），均以 cap_seconds 封顶，未答复的按封顶计；按买家发消息的日期逐日统计"
    ),
    "platform.<kpi>.sessions": (
        "考核指标计入的会话：平台渠道上买家在考核时段内发起的会话（设 offline: "
        "exclude 时须渠道在服务时间），除非机器人的答复计入考核，否则不含机器人独立接待的会话"
    ),
    "contacts.<reason>": "该原因的进线：呼入进线、遇非服务时间的来电，以及机器人解决的进线",
    "issues": "首次进线在预热期之后的客户问题",
    "contacts_per_issue": "这些问题（模拟结束前）的进线 ÷ 问题数",
    "resolution_rate": "模拟结束前被任一进线解决的问题 ÷ 问题数",
    "fcr": "首次进线即解决的问题 ÷ 首次进线被接起的问题",
    "repeat_contacts": "未解决问题的再次进线",
    "redials": "客户放弃排队后再次进线",
    "escalations": "未解决问题转至二线的次数",
    "platform_interventions": "二线问题最终升级为平台小二介入的次数",
    "refunds": "已退款笔数（每个问题至多一笔；含一键价保）",
    "refunds_yuan": "已退款金额，元（含一键价保）",
    "self_service_refunds": "买家通过平台按钮自助申请的价保：已赔付，无需进线（计入退款笔数）",
    "self_service_refunds_yuan": "一键价保赔付的金额，元（计入退款）",
    "issue_wait_seconds": "每个问题各次进线的总排队时长的平均，秒，按问题计",
    "transfers_per_issue": "转至二线的次数 ÷ 问题数",
    "channel_switch_share": "有进线发生在首次进线以外渠道的问题 ÷ 问题数",
    "refund_share": "已退款的问题 ÷ 问题数",
    "csat_mean": (
        "问题所属客户满意的平均概率（逻辑回归模型，见 docs/model.md#satisfaction），按问题计"
    ),
    "effort_mean": "客户费力度平均分（1 毫不费力 … 5），按问题计",
    "bad_reviews": (
        "留下且未修改的差评，按问题抽样；仅在平台接受评价期间（签收后 review_window_days 天内）"
    ),
    "bad_reviews_revised": "后续进线解决问题后被修改的差评",
    "churned_customers": "问题发生后流失的客户（TARP 留存表），按问题抽样",
    "group.<group>.agent_hours": "该坐席组的在班时长（排班加加班），小时",
    "group.<group>.overtime_hours": "该坐席组在排班结束后处理完进线所用的时长，小时",
    "group.<group>.break_hours": "该坐席组在班但离席（staffing.shrinkage）的时长，小时",
    "group.<group>.occupancy": "该坐席组的忙碌时长 ÷ 在班时长",
    "group.<group>.intervals_over_90": "该坐席组在班时段中占用率超过 90% 的时段占比",
    "orders_in_window": "促销期内（且在预热期之后）下的订单；无促销的场景不输出",
    "gmv_yuan": "买家为订单支付的金额，元（按玩法计算每单期望值）",
    "gross_profit_yuan": "成交额 − 商品成本 − 履约成本，元",
    "labour_cost_yuan": "进线占用的坐席时长（忙碌工时，含沉默放弃者）按含社保的小时成本计，"
    "加上加班溢价，元",
    "payroll_yuan": "在班坐席工时按含社保的小时成本计，加上加班溢价：排班的人力成本，元",
    "platform_cost_yuan": "平台介入次数 × 每次成本，元",
    "service_cost_yuan": "人工成本 + 平台介入成本",
    "bad_review_cost_yuan": "差评数 × 每条差评的价值，元",
    "churn_cost_yuan": "流失客户数 × 留存客户的毛利，元",
    "net_yuan": "毛利 − 客服成本 − 退款 − 差评成本 − 流失成本，元",
    "reason.price_difference.issues": "退差价问题数",
    "reason.price_difference.refund_share": "已退款 ÷ 退差价问题数",
    "reason.price_difference.cost_per_issue_yuan": (
        "退差价问题的人工、差评与流失成本 ÷ 其问题数，元"
    ),
    "promo_gross_profit_yuan": "促销方案的毛利 − 基线的毛利，元",
    "net_impact_yuan": (
        "促销方案的净利 − 基线的净利：促销扣除其客服、退款、差评与流失成本后的收益，元"
    ),
    "service_cost_per_promo_order_yuan": "（增加的客服成本 + 增加的退款）÷ 促销期内订单数，元",
    "csat_dist.<band>": "满意概率落在该区间（百分比）的问题 ÷ 问题数",
    "issues_with.<driver>": "受该因素影响的问题 ÷ 问题数：等待（首次进线等待超出渠道容忍时长）、"
    "多次进线、未解决、升级转接、放弃（任一进线放弃排队）",
    "csat_lost.<driver>": (
        "从所有问题中去掉该因素后的平均满意概率减去满意度：该因素造成的满意度损失，问题占比"
    ),
    "margin_recovered_per_agent_hour_yuan": "方案对比中，有售前询单且坐席工时不同的方案：各次重复中"
    "该方案毛利减第一个方案毛利的均值 ÷ 其坐席工时减第一个方案坐席工时的均值（配对均值差之比；"
    "95% 置信区间按 delta 法计算），元/坐席工时；需求相同时，毛利差即增加的工时挽回的流失毛利",
    "break_even_miss_rate": (
        "使促销净影响为零的漏拍率（净影响与漏拍率呈线性；超出 [0, 1] 时无数值）"
    ),
}
"""Each metric's definition in Chinese, by catalog key (one per :data:`METRICS` key; the
English ``Metric.definition`` stays what ``summary.json`` writes)."""


# --------------------------------------------------------------------------- displays
# Which metrics each display shows, in its order. Keys are summary keys; ``<channel>.``
# stands for every channel and then ``all``, ``group.<group>.`` for every staffing group,
# ``contacts.<reason>`` for every reason a run counted (see :func:`expand`).

HEADLINE: Final = (
    "orders",
    "gross_profit_yuan",
    "net_yuan",
    "hard_net_yuan",
    "net_impact_yuan",
    "hard_net_impact_yuan",
    "contacts",
    "all.service_level",
    "all.abandon_rate",
    "all.occupancy",
    "csat_mean",
    "bad_reviews",
)
"""A run's headline: the run report's cards, by the view of each metric."""

CHANNEL_TABLE: Final = (
    "offered",
    "answered",
    "closed",
    "abandon_rate",
    "left_before_answer",
    "left_rate",
    "service_level",
    "kpi_service_level",
    "asa_seconds",
    "first_response_seconds",
    "mean_wait_seconds",
    "aht_seconds",
    "occupancy",
    "agents",
)
"""The console's first table after a run: one column per channel and one for all."""

VIEW_ROWS: Final[dict[View, tuple[str, ...]]] = {
    "operations": (
        "orders",
        "gmv_yuan",
        "gross_profit_yuan",
        "refunds_yuan",
        "service_cost_yuan",
        "bad_review_cost_yuan",
        "churn_cost_yuan",
        "net_yuan",
        "hard_net_yuan",
        "modelled_cost_yuan",
        "bot_cost_yuan",
        "lost_orders",
        "lost_margin_yuan",
        "promo_gross_profit_yuan",
        "net_impact_yuan",
        "hard_net_impact_yuan",
        "service_cost_per_promo_order_yuan",
        "break_even_miss_rate",
    ),
    "service": (
        "contacts",
        "contacts_per_100_orders",
        "promo_contacts",
        "promo_share_after_sale",
        "contacts.<reason>",
        "presale_inquiries",
        "inquiry_conversion",
        "bot_sessions",
        "bot_handover_rate",
        "fcr",
        "contacts_per_issue",
        "repeat_contacts",
        "redials",
        "escalations",
        "<channel>.service_level",
        "<channel>.kpi_service_level",
        "<channel>.abandon_rate",
        "<channel>.left_rate",
        "<channel>.closed",
        "<channel>.asa_seconds",
        "<channel>.first_response_seconds",
        "group.<group>.occupancy",
        "group.<group>.intervals_over_90",
        "agent_hours",
        "overtime_hours",
        "break_hours",
    ),
    "customer": ("issues", "csat_mean", "effort_mean", "bad_reviews", "churned_customers"),
}
"""The console's three view tables after a run (a row only where some arm has the metric).

In the operations view the margin lost to slow answers sits just above the promotion's gross
profit, so the effect column shows what the deal made beside what slow answers cost it."""

PRESALE_DAILY: Final = (
    "presale_inquiries",
    "presale_bot_contained",
    "inquiry_conversion",
    "bot_handover_rate",
    "lost_orders",
    "lost_margin_yuan",
)
"""The console's pre-sale and bot table after a run, one column per daily series the run
has, a row per day and arm; the run report's pre-sale table shows the same."""

COMPARE_TABLE: Final = (
    "orders",
    "contacts",
    "all.service_level",
    "all.abandon_rate",
    "all.asa_seconds",
    "all.occupancy",
    "agent_hours",
    "fcr",
    "csat_mean",
    "bad_reviews",
    "refunds_yuan",
    "service_cost_yuan",
    "net_yuan",
    "hard_net_yuan",
    "lost_margin_yuan",
    "margin_recovered_per_agent_hour_yuan",
)
"""The console's table after ``promosim compare`` (those the arms have)."""

MARGIN_RECOVERED: Final = "margin_recovered_per_agent_hour_yuan"
"""compare's one figure between arms rather than of an arm: its report shows it apart."""

COMPARE_FIGURES: Final = (
    "contacts",
    "all.service_level",
    "all.abandon_rate",
    "all.asa_seconds",
    "all.occupancy",
    "csat_mean",
    "bad_reviews",
    "refunds_yuan",
    "net_yuan",
)
"""The compare report's figures: the arms side by side and their differences."""

RUNS_COLUMNS: Final = ("contacts", "all.service_level", "csat_mean", "net_yuan", "net_impact_yuan")
"""Metrics (their means) shown per run by ``promosim runs`` and ``promosim show``."""

WATERFALL: Final = (
    "refunds_yuan",
    "service_cost_yuan",
    "bad_review_cost_yuan",
    "churn_cost_yuan",
)
"""The run report's steps from gross profit to net (each subtracted), for a folder written
before the net was split in hard and modelled money."""

WATERFALL_HARD: Final = ("refunds_yuan", "payroll_yuan", "platform_cost_yuan", "bot_cost_yuan")
"""The run report's steps from gross profit to the hard net (each subtracted)."""

WATERFALL_MODELLED: Final = ("labour_over_payroll_yuan", "bad_review_cost_yuan", "churn_cost_yuan")
"""Then its steps from the hard net to the net: the modelled costs (each subtracted)."""

NET_SPLIT: Final = (
    "hard_net_yuan",
    "labour_over_payroll_yuan",
    "bad_review_cost_yuan",
    "churn_cost_yuan",
    "modelled_cost_yuan",
    "net_yuan",
)
"""The net in two parts, after a run (console and report): the hard net, each modelled cost
with what it rests on, their sum, and the net (= hard net − modelled costs)."""

PARAMETER_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "agent_monthly_wage_yuan": ("wage ¥{v:,.0f} a month", "月薪 ¥{v:,.0f}"),
    "loading_factor": ("loading ×{v:g}", "社保及管理费 ×{v:g}"),
    "paid_hours_per_month": ("{v:g} paid hours a month", "每月计薪 {v:g} 小时"),
    "group_hourly_cost_yuan": ("{g} ¥{v:,.1f} an hour", "{g} 每小时 ¥{v:,.1f}"),
    "value_of_bad_review_yuan": ("¥{v:,.0f} per bad review", "每条差评 ¥{v:,.0f}"),
    "clv_margin_yuan": ("¥{v:,.0f} per customer lost", "每位流失客户 ¥{v:,.0f}"),
}
"""How an economics parameter a modelled cost rests on reads, en and zh (``{v}`` its value,
``{g}`` a group)."""


def assumption_text(field: str, value: float, grade: str, lang: str = "en") -> str:
    """One assumption as a reader sees it: ``¥200 per bad review [X]``.

    Args:
        field: The parameter under ``economics`` (``group_hourly_cost_yuan.<group>`` for a
            group's own hourly cost).
        value: Its value.
        grade: Its source grade (A, B, C or X).
        lang: ``en`` or ``zh``.
    """
    name, _, group = field.partition(".")
    en, zh = PARAMETER_TEXTS[name]
    return (zh if lang == "zh" else en).format(v=value, g=group) + f" [{grade}]"


DISPLAYS: Final[dict[str, tuple[str, ...]]] = {
    "headline": HEADLINE,
    "channel_table": CHANNEL_TABLE,
    **{f"view.{v}": rows for v, rows in VIEW_ROWS.items()},
    "compare_table": COMPARE_TABLE,
    "compare_figures": COMPARE_FIGURES,
    "runs_columns": RUNS_COLUMNS,
    "waterfall": WATERFALL,
    "waterfall_hard": WATERFALL_HARD,
    "waterfall_modelled": WATERFALL_MODELLED,
    "net_split": NET_SPLIT,
    "presale_daily": PRESALE_DAILY,
}
"""Every display list by name (for checks that each names catalog metrics)."""


def display_key(key: str) -> str:
    """The catalog key of a display list's key (``<channel>.asa_seconds`` → ``asa_seconds``)."""
    return glossary_key(key.replace("<channel>.", "all."))


def expand(
    keys: Sequence[str],
    channels: Iterable[str],
    groups: Iterable[str],
    reasons: Iterable[str],
) -> list[tuple[str, str]]:
    """A display list's keys as summary keys, each with what its placeholder stood for.

    A run of consecutive ``<channel>.`` keys is repeated channel by channel (each channel,
    then ``all``), likewise ``group.<group>.`` keys group by group; ``contacts.<reason>``
    becomes one key per reason. The second item is the channel, group or reason ("" for
    a key without a placeholder).
    """
    chans, grps, rsns = [*channels, "all"], list(groups), list(reasons)
    out: list[tuple[str, str]] = []
    k = 0
    while k < len(keys):
        key = keys[k]
        for prefix, names in (("<channel>.", chans), ("group.<group>.", grps)):
            if key.startswith(prefix):
                end = k
                while end < len(keys) and keys[end].startswith(prefix):
                    end += 1
                block = [x.removeprefix(prefix) for x in keys[k:end]]
                head = prefix.replace("<channel>", "{}").replace("<group>", "{}")
                out += [(head.format(n) + m, n) for n in names for m in block]
                k = end
                break
        else:
            if key == "contacts.<reason>":
                out += [(f"contacts.{r}", r) for r in rsns]
            else:
                out.append((key, ""))
            k += 1
    return out
