"""第二件X元 (``second_item_discount``): the second unit costs X if both are in one order.

Buyers who meant to buy two but ordered one unit, or two in separate orders, *miss the
bundle*; some notice, and some of those ask service for the difference (退差价): the
``price_difference`` reason, at :attr:`SecondItemDiscount.contact_share` per order in the
window. Its money at stake is P − X, the refund a missed buyer asks for.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.config import ContactReason, Scenario, SecondItemDiscount
from sim.economics import break_even_miss_rate, miss_slope_second_item
from sim.mechanics.base import Mechanic, OrderMargin, pick


class SecondItem(Mechanic[SecondItemDiscount]):
    """第二件X元."""

    model = SecondItemDiscount
    costed_reasons = ("price_difference",)

    def reasons(
        self, promotion: SecondItemDiscount, channels: tuple[str, ...]
    ) -> list[tuple[str, ContactReason]]:
        """``price_difference`` (退差价), after delivery."""
        out: list[tuple[str, ContactReason]] = []
        pick(
            out,
            channels,
            "price_difference",
            promotion.price_difference,
            anchor="delivery",
            lag_hours={"dist": "lognormal", "median": 10, "sigma": 1.2},
            handle_time_factor=1.2,
            resolution_probability=0.75,
            refund_policy="if_insist",  # the seed: refunded to avoid a bad review
            redial_probability=0.8,  # money at stake raises persistence [X]
        )
        return out

    def rate(self, promotion: SecondItemDiscount, field: str) -> float:
        """:attr:`SecondItemDiscount.contact_share`."""
        return promotion.contact_share

    def rule_question_factor(self, promotion: SecondItemDiscount) -> float:
        """``auto_apply_rule_question_factor`` with auto-apply: less is left to ask about."""
        return promotion.auto_apply_rule_question_factor if promotion.auto_apply else 1.0

    def stake_yuan(self, promotion: SecondItemDiscount, field: str, price: float) -> float:
        """P − X for a price difference, not below 0: the second unit's full price − X."""
        if field == "price_difference":
            return max(0.0, price - promotion.second_item_price_yuan)
        return 0.0

    def margin(
        self, promotion: SecondItemDiscount, price: float, unit_cost: float, fulfilment: float
    ) -> OrderMargin:
        """A share s = eligible_share × two_unit_intent of orders are two-unit buyers.

        Of those, (1 − miss) get the bundle (2 units, revenue P + X, cost 2C + F) and a
        share miss pays full price for both (2 units, revenue 2P, cost 2C + F; a buyer who
        split them into two orders counts as one order here); the others buy 1 unit at P,
        cost C + F. So revenue = P + s·((1 − miss)·X + miss·P), cost = (1 + s)·C + F,
        units = 1 + s, with X = ``second_item_price_yuan`` and miss = ``miss_rate``. A 退差价
        refund of a miss is counted from the journey's refunds, not here.
        """
        s = promotion.eligible_share * promotion.two_unit_intent
        miss = promotion.miss_rate
        x = promotion.second_item_price_yuan
        return OrderMargin(
            revenue_yuan=price + s * ((1.0 - miss) * x + miss * price),
            cost_yuan=(1.0 + s) * unit_cost + fulfilment,
            units=1.0 + s,
        )

    def order_amounts(
        self,
        promotion: SecondItemDiscount,
        price: float,
        on: NDArray[np.bool_],
        u: NDArray[np.float64],
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """A two-unit buyer gets the bundle (2 items at P + X) or misses it and pays 2P."""
        items = np.ones(on.size, dtype=np.int64)
        amount = np.full(on.size, price)
        two = promotion.eligible_share * promotion.two_unit_intent
        bundle = on & (u < two * (1.0 - promotion.miss_rate))
        missed = on & ~bundle & (u < two)
        items[bundle | missed] = 2
        amount[bundle] = price + promotion.second_item_price_yuan
        amount[missed] = 2 * price
        return items, amount

    def effect_figures(
        self, scenario: Scenario, diff: dict[str, float], promo: dict[str, float]
    ) -> dict[str, float]:
        """``break_even_miss_rate``: the miss rate at which the net impact is zero."""
        cost_key = "reason.price_difference.cost_per_issue_yuan"
        if cost_key not in promo or "net_yuan" not in diff:
            return {}
        assert isinstance(scenario.promotion, SecondItemDiscount)
        slope = miss_slope_second_item(
            scenario,
            promo.get("orders_in_window", 0),
            promo[cost_key],
            promo["reason.price_difference.refund_share"],
        )
        root = break_even_miss_rate(
            net_at_current=diff["net_yuan"],
            miss_current=scenario.promotion.miss_rate,
            net_slope_per_miss=slope,
        )
        return {"break_even_miss_rate": root} if root is not None else {}


MECHANIC = SecondItem()
