"""The metric catalog's definitions in Chinese, by catalog key (the zh reports' glossary).

One entry per :data:`sim.catalog.METRICS` key (tests/test_labels.py checks it); the English
definition (``Metric.definition``) stays what ``summary.json`` writes. Field names of the
scenario file (``service_level_seconds``) are kept as written: they are what a user types.
"""

from __future__ import annotations

from typing import Final

DEFINITIONS_ZH: Final[dict[str, str]] = {
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
    "orders_in_window": "促销期内（且在预热期之后）下的订单",
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
"""Each catalog metric's definition in Chinese, by catalog key."""
