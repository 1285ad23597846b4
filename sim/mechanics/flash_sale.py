"""秒杀 (``flash_sale``): a spike of orders that decays after the start, stock and payment trouble.

Inside the window the order rate is multiplied by
``order_uplift × (1 + (spike_factor − 1)·exp(−(t − start) / spike_decay_minutes))``.
Unfilled orders (``stock_issue``), payment trouble (``payment_issue``) and changes
(``order_change``) each bring a contact at their own rate per order in the window.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim import fmath
from sim.config import ContactReason, FlashSale, Scenario
from sim.mechanics.base import Mechanic, OrderMargin, pick, seconds


class Flash(Mechanic[FlashSale]):
    """秒杀."""

    model = FlashSale

    def reasons(
        self, promotion: FlashSale, channels: tuple[str, ...]
    ) -> list[tuple[str, ContactReason]]:
        """``stock_issue``, ``payment_issue`` (before paying) and ``order_change``."""
        out: list[tuple[str, ContactReason]] = []
        pick(
            out,
            channels,
            "stock_issue",
            promotion.stock_issue,
            anchor="order",
            lag_hours={"dist": "exponential", "mean": 6},
            handle_time_factor=1.0,  # 4.2 min [C]
            resolution_probability=0.8,
        )
        pick(
            out,
            channels,
            "payment_issue",
            promotion.payment_issue,
            anchor="order",
            before_anchor=True,
            lag_hours={"dist": "exponential", "mean": 0.1},
            handle_time_factor=1.4,  # 6.8 min [C]
            resolution_probability=0.8,
        )
        pick(
            out,
            channels,
            "order_change",
            promotion.order_change,
            anchor="order",
            lag_hours={"dist": "exponential", "mean": 12},
            handle_time_factor=0.8,
            resolution_probability=0.9,
        )
        return out

    def rate(self, promotion: FlashSale, field: str) -> float:
        """Oversell, payment-issue or order-change rate."""
        return {
            "stock_issue": promotion.oversell_rate,
            "payment_issue": promotion.payment_issue_rate,
            "order_change": promotion.order_change_rate,
        }[field]

    def order_multiplier(
        self, scenario: Scenario, promotion: FlashSale, t: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The spike: highest at the window's start, decaying from there."""
        start = seconds(scenario, promotion.start)
        spike: NDArray[np.float64] = 1 + (promotion.spike_factor - 1) * fmath.exp(
            -(t - start) / (promotion.spike_decay_minutes * 60.0)
        )
        return spike

    def margin(
        self, promotion: FlashSale, price: float, unit_cost: float, fulfilment: float
    ) -> OrderMargin:
        """Revenue P − discount, cost C + F."""
        cut = min(promotion.discount_yuan, price)
        return OrderMargin(revenue_yuan=price - cut, cost_yuan=unit_cost + fulfilment, units=1.0)

    def order_amounts(
        self, promotion: FlashSale, price: float, on: NDArray[np.bool_], u: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Every order in the window pays P − discount."""
        amount = np.full(on.size, price)
        amount[on] -= min(promotion.discount_yuan, price)
        return np.ones(on.size, dtype=np.int64), amount


MECHANIC = Flash()
