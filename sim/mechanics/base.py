"""The protocol every promotion mechanic follows, and helpers its modules share.

A mechanic is the behaviour of one promotion model (a :class:`sim.config.PromotionBase`
subclass, picked by its ``kind``): which contact reasons it creates and how often an order
brings each, any shape it gives the order rate, what an order pays and costs, what is at
stake in its issues, and how its orders look in the event log. Everything a mechanic does
not say falls back to the defaults here: no reasons, an unshaped order rate, full price.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from sim.config import ContactReason, PromotionBase, Scenario, default_mix

P = TypeVar("P", bound=PromotionBase)

DAY = 86400.0
"""Seconds per day."""


@dataclass(frozen=True)
class OrderMargin:
    """Expected money and units of one order.

    Attributes:
        revenue_yuan: What the buyer pays, ¥ per order (GMV after the promotion's discount).
        cost_yuan: Goods and fulfilment, ¥ per order: units × unit cost + fulfilment cost.
        units: Units shipped per order.
    """

    revenue_yuan: float
    cost_yuan: float
    units: float

    @property
    def margin_yuan(self) -> float:
        """Gross profit of the order, ¥: revenue − cost."""
        return self.revenue_yuan - self.cost_yuan


def seconds(scenario: Scenario, t: dt.datetime) -> float:
    """``t`` as seconds from the start of the scenario's horizon."""
    return (t - scenario.calendar.start).total_seconds()


def default_reason(name: str, channels: tuple[str, ...], **fields: Any) -> ContactReason:
    """A mechanic's reason with its defaults: rate 0 (the mechanic sets it), default mix."""
    return ContactReason.model_validate(
        {"name": name, "rate_per_order": 0.0, "channel_mix": default_mix(channels), **fields}
    )


def pick(
    out: list[tuple[str, ContactReason]],
    channels: tuple[str, ...],
    field: str,
    given: ContactReason | None,
    name: str = "",
    **default: Any,
) -> None:
    """Append ``(field, reason)``: the scenario's ``given`` reason, else the defaults."""
    reason = given if given is not None else default_reason(name or field, channels, **default)
    out.append((field, reason))


class Mechanic(Protocol[P]):
    """What a promotion mechanic decides, for promotions of its model ``model``.

    A mechanic's module subclasses this and overrides what its mechanic changes; the
    registry (:mod:`sim.mechanics`) finds it by the model's ``kind``. Times are seconds from
    the start of the horizon; money is ¥.
    """

    model: type[P]
    """The mechanic's config model; its ``kind`` names the mechanic."""

    costed_reasons: tuple[str, ...] = ()
    """Reason fields whose issues get ``reason.<field>.*`` cost metrics (per issue)."""

    # ---- demand

    def reasons(self, promotion: P, channels: tuple[str, ...]) -> list[tuple[str, ContactReason]]:
        """The mechanic's contact reasons ``(field, reason)``, defaults filled in.

        The promotion's rule questions are common to every mechanic and not listed here.
        """
        return []

    def rate(self, promotion: P, field: str) -> float:
        """Probability per order in :meth:`order_span` that reason ``field`` brings a contact."""
        return 0.0

    def order_span(self, scenario: Scenario, promotion: P, field: str) -> tuple[float, float]:
        """Order times ``[lo, hi)`` whose orders may bring reason ``field``: the window."""
        return seconds(scenario, promotion.start), seconds(scenario, promotion.end)

    def protected(
        self,
        scenario: Scenario,
        promotion: P,
        field: str,
        t: NDArray[np.float64],
        delivery: NDArray[np.float64] | None,
    ) -> NDArray[np.bool_] | None:
        """Per order placed at ``t`` (delivered at ``delivery``), may it bring ``field``.

        Only orders inside :meth:`order_span` are asked; None: every order of the span.
        """
        return None

    def self_service_share(self, scenario: Scenario, promotion: P, field: str) -> float:
        """Of reason ``field``'s issues, the share the buyer settles alone.

        A platform's one-click button: the refund is paid, no contact is made.
        """
        return 0.0

    def rule_question_factor(self, promotion: P) -> float:
        """Multiplier on the promotion's ``rule_question_rate``."""
        return 1.0

    def order_multiplier(
        self, scenario: Scenario, promotion: P, t: NDArray[np.float64]
    ) -> NDArray[np.float64] | None:
        """Factor on the order rate at times ``t`` inside the window, or None (flat).

        It comes on top of ``order_uplift`` and the peak day. Demand finds a day's highest
        rate at the day's start, the window's ends and the peak day's start, so a shape must
        not rise above its value at those times.
        """
        return None

    def anchors(self, scenario: Scenario, promotion: P) -> dict[str, float]:
        """Fixed times its own reasons may count their lag from, by anchor name."""
        return {}

    # ---- money

    def stake_yuan(self, promotion: P, field: str, price: float) -> float:
        """Default refund of reason ``field``: what its customer feels owed, ¥."""
        return 0.0

    def margin(
        self, promotion: P, price: float, unit_cost: float, fulfilment: float
    ) -> OrderMargin:
        """Expected revenue, cost and units of one order placed in the window.

        Args:
            promotion: The promotion.
            price: The item's price P, ¥.
            unit_cost: A unit's cost C, ¥.
            fulfilment: Fulfilment cost F of an order, ¥.
        """
        return OrderMargin(revenue_yuan=price, cost_yuan=unit_cost + fulfilment, units=1.0)

    def order_amounts(
        self, promotion: P, price: float, on: NDArray[np.bool_], u: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Items and amount (¥) per order in the event log, a realisation of :meth:`margin`.

        Args:
            promotion: The promotion.
            price: The item's price P, ¥.
            on: Per order, placed in the window of an arm that runs the promotion.
            u: Per order, a uniform of its own.

        Returns:
            Items and amount per order; orders off ``on`` are 1 item at P. By default an
            order on ``on`` pays the margin's expected revenue for one item.
        """
        items = np.ones(on.size, dtype=np.int64)
        amount = np.full(on.size, price)
        amount[on] = self.margin(promotion, price, 0.0, 0.0).revenue_yuan
        return items, amount

    # ---- effect

    def effect_figures(
        self,
        scenario: Scenario,
        diff: dict[str, float],
        promo: dict[str, float],
    ) -> dict[str, float]:
        """Metrics of one replication's paired difference that only this mechanic has.

        Args:
            scenario: The scenario.
            diff: The replication's metrics, promotion arm − baseline arm.
            promo: The promotion arm's metrics.
        """
        return {}
