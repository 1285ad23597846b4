"""价保 (``price_protection``): the price drops at ``price_drop_at``; recent buyers claim the gap.

Orders placed in the ``claim_window_days`` before the drop claim (``claim``, named
``price_protection``) at ``claim_rate``, counting their lag from the drop; the drop is
at stake and a valid claim is paid. The orders themselves pay full price.
"""

from __future__ import annotations

from sim.config import ContactReason, PriceProtection, Scenario
from sim.mechanics.base import DAY, Mechanic, pick, seconds


class Protection(Mechanic[PriceProtection]):
    """价保."""

    model = PriceProtection

    def reasons(
        self, promotion: PriceProtection, channels: tuple[str, ...]
    ) -> list[tuple[str, ContactReason]]:
        """``claim``: counted from the drop, always refunded."""
        out: list[tuple[str, ContactReason]] = []
        pick(
            out,
            channels,
            "claim",
            promotion.claim,
            name="price_protection",
            anchor="price_drop",
            lag_hours={"dist": "exponential", "mean": 24},
            handle_time_factor=0.8,
            resolution_probability=0.9,
            refund_policy="always",  # a valid claim is paid
        )
        return out

    def rate(self, promotion: PriceProtection, field: str) -> float:
        """``claim_rate``, for orders of the claim window."""
        return promotion.claim_rate

    def order_span(
        self, scenario: Scenario, promotion: PriceProtection, field: str
    ) -> tuple[float, float]:
        """The claim window: orders of the ``claim_window_days`` before the drop."""
        drop = seconds(scenario, promotion.price_drop_at)
        return drop - promotion.claim_window_days * DAY, drop

    def anchors(self, scenario: Scenario, promotion: PriceProtection) -> dict[str, float]:
        """``price_drop``: the drop's time."""
        return {"price_drop": seconds(scenario, promotion.price_drop_at)}

    def stake_yuan(self, promotion: PriceProtection, field: str, price: float) -> float:
        """The price drop, for a claim."""
        return promotion.price_drop_yuan if field == "claim" else 0.0


MECHANIC = Protection()
