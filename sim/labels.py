"""What people read for a name: the scenario's own ``label:``, else a built-in label.

Names of reasons, channels, groups and mechanics are identifiers (``wismo``, ``hotline``,
``second_item_discount``): they key metrics and files and never change with the language.
What the console, the reports and the brief show for one is :func:`label`: the
``label:`` the scenario gives it (in any language, shown as written in every language),
else the built-in label of a bundled name in the language asked (:data:`BUILTIN`), else
the name itself.

Model-side: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from sim.config import Scenario

Kind = Literal["reason", "channel", "group", "mechanic", "variant", "source", "scenario"]
"""What a name names: a contact reason, a channel, a staffing group, a promotion's mechanic
(its ``kind``), a lab variant, a staffing source, the scenario."""

KINDS: Final[tuple[Kind, ...]] = (
    "reason",
    "channel",
    "group",
    "mechanic",
    "variant",
    "source",
    "scenario",
)

LANGS: Final = ("en", "zh")

# Built-in labels of the names the bundled scenarios, platform packs, mechanics and lab use,
# (en, zh). The English label of an identifier that reads as English is the identifier
# itself (output in English is unchanged by labels); the Chinese one is the word a Chinese
# shop's service desk uses.
BUILTIN: Final[dict[Kind, dict[str, tuple[str, str]]]] = {
    "reason": {
        "wismo": ("wismo", "查物流"),
        "returns": ("returns", "退货退款"),
        "product_question": ("product_question", "商品咨询"),
        "address_change": ("address_change", "改地址"),
        "other": ("other", "其他"),
        "general": ("general", "一般咨询"),
        "inquiry": ("inquiry", "售前询单"),
        "rule_question": ("rule_question", "活动规则咨询"),
        "price_difference": ("price_difference", "退差价"),
        "price_protection": ("price_protection", "价保申请"),
        "discount_not_applied": ("discount_not_applied", "优惠未生效"),
        "partial_return_dispute": ("partial_return_dispute", "部分退货纠纷"),
        "stock_issue": ("stock_issue", "缺货超卖"),
        "payment_issue": ("payment_issue", "支付问题"),
        "order_change": ("order_change", "修改订单"),
        "coupon_failed": ("coupon_failed", "优惠券无法使用"),
    },
    "channel": {
        "all": ("all", "全部渠道"),
        "phone": ("phone", "电话"),
        "chat": ("chat", "在线"),
        "escalation": ("escalation", "组长回电"),
        "ticket": ("ticket", "工单"),
        "email": ("email", "邮件"),
    },
    "group": {
        "hotline": ("hotline", "热线组"),
        "team_lead": ("team_lead", "组长"),
        "chat": ("chat", "在线客服组"),
    },
    "mechanic": {
        "second_item_discount": ("second_item_discount", "第二件X元"),
        "threshold_discount": ("threshold_discount", "满减"),
        "coupon": ("coupon", "优惠券"),
        "flash_sale": ("flash_sale", "秒杀"),
        "price_protection": ("price_protection", "价保"),
    },
    "variant": {
        "as-written": ("as-written", "原方案"),
        "auto-apply": ("auto-apply", "购物车自动凑单"),
        "checkout-nudge": ("checkout-nudge", "结算页提醒"),
        "makeup-link": ("makeup-link", "补差价链接"),
        "clear-rules": ("clear-rules", "规则写清楚"),
        "bot-faq": ("bot-faq", "机器人活动问答"),
    },
    "source": {
        "in_house": ("in-house", "本组坐席"),
        "overtime": ("overtime", "加班"),
        "temp": ("temp", "临时工"),
        "cloud": ("cloud", "云客服"),
        "outsource": ("outsource", "外包"),
    },
    "scenario": {},
}
"""Built-in labels by kind and name: (English, Chinese)."""


def user_labels(scenario: Scenario | Mapping[str, Any] | None) -> dict[tuple[Kind, str], str]:
    """The ``label:`` fields a scenario sets, by (kind, name) (the model or its resolved form).

    Reasons: ``contact_reasons``, ``presale.inquiry`` and every reason block of the
    promotion; the scenario's own: its ``label``, else its ``title``.
    """
    if scenario is None:
        return {}
    data: Mapping[str, Any]
    if isinstance(scenario, Mapping):
        data = scenario
    else:
        data = scenario.model_dump(mode="json")
    out: dict[tuple[Kind, str], str] = {}

    def put(kind: Kind, block: Any) -> None:
        if isinstance(block, Mapping) and block.get("label") and block.get("name"):
            out[(kind, str(block["name"]))] = str(block["label"])

    for reason in data.get("contact_reasons") or ():
        put("reason", reason)
    presale = data.get("presale")
    if isinstance(presale, Mapping):
        put("reason", presale.get("inquiry"))
    promotion = data.get("promotion")
    if isinstance(promotion, Mapping):
        for value in promotion.values():
            if isinstance(value, Mapping) and "channel_mix" in value:
                put("reason", value)
        if promotion.get("label") and promotion.get("kind"):
            out[("mechanic", str(promotion["kind"]))] = str(promotion["label"])
    for name, channel in (data.get("channels") or {}).items():
        if isinstance(channel, Mapping) and channel.get("label"):
            out[("channel", str(name))] = str(channel["label"])
    for group in (data.get("staffing") or {}).get("groups") or ():
        put("group", group)
    own = data.get("label") or data.get("title")
    if own and data.get("name"):
        out[("scenario", str(data["name"]))] = str(own)
    return out


class Labels:
    """:func:`label` for one language and scenario, its ``label:`` fields read once."""

    def __init__(self, lang: str, scenario: Scenario | Mapping[str, Any] | None = None) -> None:
        if lang not in LANGS:
            raise ValueError(f"language {lang!r} is not one of {', '.join(LANGS)}")
        self.lang = lang
        self.own = user_labels(scenario)

    def __call__(self, kind: Kind, name: str) -> str:
        """What to show for ``name`` of ``kind``: the scenario's label, a built-in, the name."""
        own = self.own.get((kind, name))
        if own:
            return own
        builtin = BUILTIN[kind].get(name)
        if builtin is None:
            return name
        return builtin[LANGS.index(self.lang)]

    def metric(self, key: str) -> str:
        """A summary key's words: the metric's label with its channel, group or reason's.

        ``chat.service_level`` → 在线 服务水平, ``group.hotline.occupancy`` → 热线组 坐席占用率,
        ``contacts.wismo`` → 查物流; a key outside the catalog is returned as it is.
        """
        from sim import catalog

        m = catalog.lookup(key)
        if m is None:
            return key
        bare = key.removeprefix(catalog.EFFECT_PREFIX)
        text = m.label(self.lang)
        sep = "" if self.lang == "zh" else " "
        if bare.startswith("contacts."):
            return self("reason", bare.removeprefix("contacts."))
        if bare.startswith("group."):
            return self("group", bare.split(".")[1]) + sep + text
        head, dot, _ = bare.partition(".")
        if dot and m.key in catalog.CHANNEL_METRICS:
            return self("channel", head) + sep + text
        return text


def label(
    kind: Kind,
    name: str,
    lang: str = "en",
    scenario: Scenario | Mapping[str, Any] | None = None,
) -> str:
    """What people read for ``name`` of ``kind`` in ``lang`` (see the module's docstring).

    ``scenario``: the :class:`sim.config.Scenario` or its resolved form (a run folder's
    ``scenario.resolved.yaml``), whose ``label:`` fields win over the built-in labels.
    """
    return Labels(lang, scenario)(kind, name)
