"""满减 (``threshold_discount``): ``discount_yuan`` off an order of at least ``threshold_yuan``.

Near-miss buyers (just under the threshold) ask why the discount did not apply
(``discount_not_applied``, with the discount at stake); buyers who return part of a
qualifying order dispute how much is refunded (``partial_return_dispute``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.config import ContactReason, ThresholdDiscount
from sim.mechanics.base import Mechanic, OrderMargin, pick


class Threshold(Mechanic[ThresholdDiscount]):
    """满减."""

    model = ThresholdDiscount

    def reasons(
        self, promotion: ThresholdDiscount, channels: tuple[str, ...]
    ) -> list[tuple[str, ContactReason]]:
        """``discount_not_applied`` after the order, ``partial_return_dispute`` after delivery."""
        out: list[tuple[str, ContactReason]] = []
        pick(
            out,
            channels,
            "discount_not_applied",
            promotion.discount_not_applied,
            anchor="order",
            lag_hours={"dist": "exponential", "mean": 2},
            handle_time_factor=1.0,
            resolution_probability=0.7,
            refund_policy="if_insist",
        )
        pick(
            out,
            channels,
            "partial_return_dispute",
            promotion.partial_return_dispute,
            anchor="delivery",
            lag_hours={"dist": "exponential", "mean": 72},
            handle_time_factor=1.5,
            resolution_probability=0.6,
        )
        return out

    def rate(self, promotion: ThresholdDiscount, field: str) -> float:
        """Near misses × their contact probability; qualifying × partial return × dispute."""
        if field == "discount_not_applied":
            return promotion.near_miss_share * promotion.near_miss_contact_probability
        share = promotion.qualifying_share * promotion.partial_return_rate
        return share * promotion.dispute_probability

    def stake_yuan(self, promotion: ThresholdDiscount, field: str, price: float) -> float:
        """The discount, for a near miss."""
        return promotion.discount_yuan if field == "discount_not_applied" else 0.0

    def margin(
        self, promotion: ThresholdDiscount, price: float, unit_cost: float, fulfilment: float
    ) -> OrderMargin:
        """Revenue P − qualifying_share × discount, cost C + F.

        The order's basket is not modelled: ``qualifying_share`` says how many qualify.
        """
        cut = promotion.qualifying_share * min(promotion.discount_yuan, price)
        return OrderMargin(revenue_yuan=price - cut, cost_yuan=unit_cost + fulfilment, units=1.0)

    def order_amounts(
        self,
        promotion: ThresholdDiscount,
        price: float,
        on: NDArray[np.bool_],
        u: NDArray[np.float64],
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """A qualifying order (share ``qualifying_share``) pays P − discount."""
        amount = np.full(on.size, price)
        amount[on & (u < promotion.qualifying_share)] -= min(promotion.discount_yuan, price)
        return np.ones(on.size, dtype=np.int64), amount


MECHANIC = Threshold()
