"""价保 (``price_protection``): the price drops at ``price_drop_at``; protected buyers claim.

An order is protected when its 价保 window, counted from its anchor (the order, or its
receipt), reaches the drop (:class:`Terms`; the platform's rules where the promotion does
not set them). Protected orders claim at ``claim_rate``, counting their lag from the drop;
a share of the claims goes through the platform's one-click button (paid, no contact), the
rest ask service (``claim``, named ``price_protection``). The drop is at stake and a valid
claim is paid. The orders themselves pay full price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import ContactReason, PriceProtection, Scenario
from sim.mechanics.base import DAY, Mechanic, pick, seconds

DEFAULT_WINDOW_DAYS = 15.0
"""The window without a platform rule or the promotion's own: Tmall's everyday 15 days
after payment (docs/platforms.md, 价保)."""

RECEIPT_REACH_DAYS = 30.0
"""With a receipt anchor, orders placed more than this many days before the earliest
protected receipt are not looked at (a parcel a month on its way)."""


@dataclass(frozen=True)
class Terms:
    """The 价保 terms in force: the promotion's own, else its platform's, else defaults.

    Attributes:
        window_days: Days an order is protected from its anchor.
        anchor: ``order`` or ``receipt``.
        after_promotion_days: Orders of the promotion's window stay protected until this many
            days after the promotion ends (None: no extension).
        max_days: The extension's cap from the anchor (None: no cap).
        self_service_share: Share of claims made with the one-click button (no contact).
    """

    window_days: float
    anchor: str
    after_promotion_days: float | None
    max_days: float | None
    self_service_share: float


def terms(scenario: Scenario, promotion: PriceProtection) -> Terms:
    """The 价保 terms of ``promotion`` in ``scenario`` (see :class:`Terms`)."""
    rule = scenario.platform.price_protection if scenario.platform is not None else None
    own = promotion.claim_window_days
    window = rule.window_days if rule is not None else DEFAULT_WINDOW_DAYS
    return Terms(
        window_days=own if own is not None else window,
        anchor=promotion.claim_anchor or (rule.anchor if rule is not None else "order"),
        # a promotion that sets its own window sets the whole rule: no platform extension
        after_promotion_days=(
            rule.after_promotion_days if rule is not None and own is None else None
        ),
        max_days=rule.max_days if rule is not None and own is None else None,
        self_service_share=(
            promotion.self_service_share
            if promotion.self_service_share is not None
            else rule.self_service_share
            if rule is not None
            else 0.0
        ),
    )


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
        """``claim_rate``: claims (by contact or button) per protected order."""
        return promotion.claim_rate

    def order_span(
        self, scenario: Scenario, promotion: PriceProtection, field: str
    ) -> tuple[float, float]:
        """Order times that may be protected at the drop (:meth:`protected` decides).

        Orders before the drop whose longest window can reach it; with a receipt anchor,
        also those whose parcel may arrive up to :data:`RECEIPT_REACH_DAYS` later.
        """
        drop = seconds(scenario, promotion.price_drop_at)
        k = terms(scenario, promotion)
        days = max(k.window_days, k.max_days or 0.0)
        if k.after_promotion_days is not None and k.max_days is None:
            days = math.inf  # an uncapped extension: any order of the window
        if k.anchor == "receipt":
            days += RECEIPT_REACH_DAYS
        return drop - days * DAY, drop

    def protected(
        self,
        scenario: Scenario,
        promotion: PriceProtection,
        field: str,
        t: NDArray[np.float64],
        delivery: NDArray[np.float64] | None,
    ) -> NDArray[np.bool_] | None:
        """Per order placed at ``t`` (delivered at ``delivery``), protected at the drop.

        Protected until its anchor + ``window_days``; an order of the promotion's window
        with an extension, until the later of that and the promotion's end +
        ``after_promotion_days``, at most its anchor + ``max_days``. It claims if the drop
        comes before that end (and after the order).
        """
        k = terms(scenario, promotion)
        drop = seconds(scenario, promotion.price_drop_at)
        if k.anchor == "receipt":
            if delivery is None:
                raise ValueError("a receipt anchor needs the orders' delivery times")
            anchor = delivery
        else:
            anchor = t
        until = anchor + k.window_days * DAY
        if k.after_promotion_days is not None:
            start, end = seconds(scenario, promotion.start), seconds(scenario, promotion.end)
            extended = np.maximum(until, end + k.after_promotion_days * DAY)
            if k.max_days is not None:
                extended = np.minimum(extended, anchor + k.max_days * DAY)
            until = np.where((t >= start) & (t < end), np.maximum(until, extended), until)
        out: NDArray[np.bool_] = (t < drop) & (until > drop)
        return out

    def self_service_share(
        self, scenario: Scenario, promotion: PriceProtection, field: str
    ) -> float:
        """Of the claims, those made with the one-click button (:func:`terms`)."""
        return terms(scenario, promotion).self_service_share if field == "claim" else 0.0

    def anchors(self, scenario: Scenario, promotion: PriceProtection) -> dict[str, float]:
        """``price_drop``: the drop's time."""
        return {"price_drop": seconds(scenario, promotion.price_drop_at)}

    def stake_yuan(self, promotion: PriceProtection, field: str, price: float) -> float:
        """The price drop, for a claim."""
        return promotion.price_drop_yuan if field == "claim" else 0.0


MECHANIC = Protection()
