"""The scenario parameters with no public source ([X]) that a brief's sensitivity varies.

Each :class:`Assumption` is a field path (as ``--set`` and ``--vary`` take it) and the
plausible range docs/model.md gives for it. ``promosim brief`` varies every one the
scenario holds, one at a time, to its low and its high end, and shows the few that move
the promotion's net impact most: the numbers the negotiation should argue about, and the
ones a shop should calibrate first (docs/calibration.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True)
class Assumption:
    """One unsourced parameter and its plausible range (docs/model.md, column "range")."""

    path: str
    """Dotted field path in the resolved scenario (``promotion.notice_probability``)."""
    low: float
    high: float
    en: str
    zh: str
    unit: str = ""
    """Shown after a value: "" (a share or factor), "h", "min", "s", "¥"."""
    kind: str | None = None
    """Only for a promotion of this kind (its field may be unset there: the platform's)."""

    def label(self, lang: str) -> str:
        """Its name in ``en`` or ``zh``."""
        return self.zh if lang == "zh" else self.en


ASSUMPTIONS: Final[tuple[Assumption, ...]] = (
    Assumption(
        "promotion.notice_probability", 0.2, 0.8,
        "buyers who notice a missed discount", "发现少优惠的买家比例",
    ),
    Assumption(
        "promotion.contact_probability", 0.4, 0.9,
        "who then contact service", "发现后联系客服的比例",
    ),
    Assumption(
        "promotion.rule_question_rate", 0.01, 0.15,
        "rule questions per promotion order", "每笔活动订单的规则咨询",
    ),
    Assumption(
        "promotion.bundle_miss_rate", 0.005, 0.10,
        "orders that miss the bundle discount", "漏享第二件优惠的订单比例",
        kind="second_item_discount",
    ),
    Assumption(
        "promotion.claim_rate", 0.01, 0.2,
        "价保 claims per protected order", "每笔保价订单的价保申请",
        kind="price_protection",
    ),
    Assumption(
        "promotion.self_service_share", 0.0, 0.9,
        "价保 claims made with the one-click button", "一键价保的比例",
        kind="price_protection",
    ),
    Assumption(
        "journey.repeat_lag_hours.mean", 1 / 6, 48.0,
        "time to a repeat contact", "再次联系的间隔", "h",
    ),
    Assumption(
        "journey.redial_lag_minutes.mean", 5.0, 1440.0,
        "time to a redial", "重拨的间隔", "min",
    ),
    Assumption(
        "journey.escalation_handle_time_factor", 1.5, 4.0,
        "extra work of an escalation", "升级处理的工作量倍数",
    ),
    Assumption(
        "channels.chat.patience_seconds.mean", 120.0, 900.0,
        "chat patience", "在线咨询的耐心", "s",
    ),
    Assumption(
        "satisfaction.b0", -1.5, 0.5,
        "baseline satisfaction (log-odds)", "满意度基线（对数几率）",
    ),
    Assumption(
        "satisfaction.b_refund", 0.0, 2.0,
        "satisfaction from a refund (log-odds)", "退款带来的满意度（对数几率）",
    ),
    Assumption(
        "satisfaction.b_wait_per_minute", 0.1, 0.5,
        "satisfaction lost per minute over tolerance", "超出容忍后每分钟的满意度损失",
    ),
    Assumption(
        "satisfaction.k_dissatisfied", 2.0, 4.5,
        "bad-review uplift of a dissatisfied buyer", "不满意买家的差评倍数",
    ),
    Assumption(
        "economics.value_of_bad_review_yuan", 0.0, 2000.0,
        "value of a 差评", "每条差评的损失", "¥",
    ),
    Assumption(
        "economics.clv_margin_yuan", 0.0, 500.0,
        "margin of a retained customer", "留住一位顾客的毛利", "¥",
    ),
)  # fmt: skip
"""Every [X] parameter a brief varies, with docs/model.md's range."""

_MISSING: Final = object()


def _lookup(resolved: Any, path: str) -> Any:
    node = resolved
    for seg in path.split("."):
        if isinstance(node, Mapping) and seg in node:
            node = node[seg]
        else:
            return _MISSING
    return node


def applicable(resolved: Mapping[str, Any]) -> list[Assumption]:
    """The assumptions a resolved scenario holds.

    A promotion's field where the promotion is of the assumption's kind (set or not: an
    unset one follows a preset or the platform); any other where the path holds a number
    (``channels.chat…`` only with a chat channel whose patience is given by its mean).
    """
    out = []
    for a in ASSUMPTIONS:
        if a.kind is not None:
            if _lookup(resolved, "promotion.kind") == a.kind:
                out.append(a)
            continue
        value = _lookup(resolved, a.path)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(a)
    return out


def vary_options(assumptions: Sequence[Assumption]) -> list[str]:
    """``--vary`` texts taking each assumption to its low and its high end."""
    return [f"{a.path}={a.low:.12g},{a.high:.12g}" for a in assumptions]
