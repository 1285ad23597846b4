"""Coupons (``coupon``): a share of orders uses one; it fails by cause; some failures call.

``coupon_failed`` contacts per order in the window = use share × P(a use fails for at least
one cause) × ``contact_probability``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.config import ContactReason, Coupon
from sim.mechanics.base import Mechanic, OrderMargin, pick


class Coupons(Mechanic[Coupon]):
    """Coupons."""

    model = Coupon

    def reasons(
        self, promotion: Coupon, channels: tuple[str, ...]
    ) -> list[tuple[str, ContactReason]]:
        """``coupon_failed``: asked at checkout, before paying."""
        out: list[tuple[str, ContactReason]] = []
        pick(
            out,
            channels,
            "coupon_failed",
            promotion.coupon_failed,
            anchor="order",
            before_anchor=True,
            lag_hours={"dist": "exponential", "mean": 0.25},
            handle_time_factor=0.8,
            resolution_probability=0.7,
        )
        return out

    def rate(self, promotion: Coupon, field: str) -> float:
        """Use share × P(a use fails) × ``contact_probability``."""
        return (
            promotion.coupon_use_share
            * promotion.failure_probability
            * promotion.contact_probability
        )

    def margin(
        self, promotion: Coupon, price: float, unit_cost: float, fulfilment: float
    ) -> OrderMargin:
        """Revenue P − use share × (1 − failure probability) × coupon value, cost C + F.

        A failed coupon gives no discount; compensation by service is a refund counted by
        the journey.
        """
        works = promotion.coupon_use_share * (1.0 - promotion.failure_probability)
        cut = works * min(promotion.coupon_value_yuan, price)
        return OrderMargin(revenue_yuan=price - cut, cost_yuan=unit_cost + fulfilment, units=1.0)

    def order_amounts(
        self, promotion: Coupon, price: float, on: NDArray[np.bool_], u: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """An order with a coupon that works pays P − its value."""
        amount = np.full(on.size, price)
        works = promotion.coupon_use_share * (1.0 - promotion.failure_probability)
        amount[on & (u < works)] -= min(promotion.coupon_value_yuan, price)
        return np.ones(on.size, dtype=np.int64), amount


MECHANIC = Coupons()
