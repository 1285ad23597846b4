"""Money: labour, margins, the money view and the break-even miss rate (docs/model.md#economics).

Pure functions of counted events and the scenario's prices; no I/O. Every yuan in the money
view traces to something the simulation counted: a staffed agent-hour, an overtime hour, an
order and its units, a refund granted, a platform intervention, a bad review, a churned
customer. Expected values (floats) work as well as counts (ints) wherever a count goes in.

The coefficients live in :class:`sim.config.Economics`; prices in :class:`sim.config.Orders`
and the promotion models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import (
    IN_HOUSE,
    CloudSource,
    Economics,
    Grade,
    OutsourceSource,
    OvertimeSource,
    Scenario,
    SecondItemDiscount,
    TempSource,
    dist_mean,
)
from sim.mechanics import OrderMargin as OrderMargin  # its home is the mechanics' protocol
from sim.mechanics import mechanic_of

MONEY_KEYS = (
    "gmv_yuan",
    "gross_profit_yuan",
    "labour_cost_yuan",
    "platform_cost_yuan",
    "service_cost_yuan",
    "refunds_yuan",
    "bad_review_cost_yuan",
    "churn_cost_yuan",
    "net_yuan",
)
"""The keys of :func:`money_view`, in order: the ``summary.json`` metric names."""

SPLIT_KEYS = ("hard_net_yuan", "labour_over_payroll_yuan", "modelled_cost_yuan")
"""The keys of :func:`hard_and_modelled`, in order: the ``summary.json`` metric names."""

MODELLED_KEYS = ("labour_over_payroll_yuan", "bad_review_cost_yuan", "churn_cost_yuan")
"""The modelled parts of the net, each a cost: ``net_yuan = hard_net_yuan − Σ parts``."""

_HOURS_TOLERANCE = 1e-9
"""Relative slack when checking that overtime hours lie inside agent-hours."""

FALLBACK_STAKE_YUAN = 35.0
"""The money at stake in an issue when neither its reason nor the order gives a price, ¥.

Used only for churn (the TARP retention table reads the customer's loss): an issue's stake
is its reason's refund, else the item price, else this. ¥35 is the table's lower anchor
(about $5, ``Retention.loss_yuan``), so such an issue is read as a small loss. [X]: no
public figure for it.
"""


# --------------------------------------------------------------------------- labour


def hourly_cost_yuan(e: Economics, group: str) -> float:
    """Cost of one staffed agent-hour of a group.

    Args:
        e: The economics coefficients.
        group: A staffing group's name.

    Returns:
        ¥ per agent-hour: the group's entry in ``e.group_hourly_cost_yuan`` if there is one,
        else wage × loading ÷ paid hours (defaults: 5000 × 1.4 ÷ 174 ≈ ¥40.2 per hour).
    """
    if e.group_hourly_cost_yuan is not None and group in e.group_hourly_cost_yuan:
        return e.group_hourly_cost_yuan[group]
    return e.default_hourly_cost_yuan


def group_labour_cost_yuan(e: Economics, group: str, hours: float, overtime: float) -> float:
    """Cost of a group's agent-hours plus the overtime premium's extra part.

    ``hours × rate + overtime × rate × (premium − 1)``, rate = :func:`hourly_cost_yuan`.

    Args:
        e: The economics coefficients.
        group: A staffing group's name.
        hours: Agent-hours valued at the regular rate, h.
        overtime: Overtime hours that earn the premium's extra part, h.

    Returns:
        ¥.
    """
    rate = hourly_cost_yuan(e, group)
    return hours * rate + overtime * rate * (e.overtime_premium - 1.0)


def handling_cost_yuan(
    e: Economics,
    groups: Sequence[str],
    group: NDArray[np.int64],
    handle_seconds: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Cost of the agent time each contact used, at its group's rate (no overtime premium).

    Args:
        e: The economics coefficients.
        groups: The staffing groups' names, in the order ``group`` indexes.
        group: Per contact, the index of the group that handled it.
        handle_seconds: Per contact, the agent time it used, s.

    Returns:
        Per contact, ¥: handle_seconds ÷ 3600 × rate of its group.
    """
    rate: NDArray[np.float64] = np.array([hourly_cost_yuan(e, g) for g in groups])
    cost: NDArray[np.float64] = handle_seconds / 3600.0 * rate[group]
    return cost


def contact_labour_cost_yuan(
    e: Economics,
    busy_hours_by_group: Mapping[str, float],
    overtime_hours_by_group: Mapping[str, float],
) -> float:
    """Cost of the agent time the contacts used, plus the overtime premium's extra part.

    ``Σ_g`` :func:`group_labour_cost_yuan` ``(g, busy_g, overtime_g)``. Unlike
    :func:`labour_cost_yuan` the busy hours need not contain the overtime hours: an idle
    overtime hour adds only the premium's extra part.

    Args:
        e: The economics coefficients.
        busy_hours_by_group: Busy agent-hours per group name, h.
        overtime_hours_by_group: Staffed overtime hours per group name, h.

    Returns:
        Labour cost, ¥.
    """
    return math.fsum(
        group_labour_cost_yuan(
            e, g, busy_hours_by_group.get(g, 0.0), overtime_hours_by_group.get(g, 0.0)
        )
        for g in sorted(set(busy_hours_by_group) | set(overtime_hours_by_group))
    )


def labour_cost_yuan(
    e: Economics,
    agent_hours_by_group: Mapping[str, float],
    overtime_hours_by_group: Mapping[str, float],
    *,
    check: bool = True,
) -> float:
    """Cost of the staffed agent-hours, overtime premium included.

    ``Σ_g hours_g × rate_g + overtime_g × rate_g × (premium − 1)``
    (:func:`group_labour_cost_yuan` per group).

    Overtime hours are *already inside* the agent-hours (an agent on overtime is a staffed
    agent like any other), so they are paid once at the regular rate through ``hours_g``;
    the second term adds only the premium's extra part. With premium 1.5 an overtime hour
    costs 1.5 regular hours in all, not 2.5.

    Args:
        e: The economics coefficients.
        agent_hours_by_group: Staffed agent-hours per group name, h (overtime included).
        overtime_hours_by_group: Of those, the overtime hours per group name, h.
        check: Check the hours (a run's payroll is not checked: it must not fail on the
            rounding of two hour counts).

    Returns:
        Labour cost, ¥.

    Raises:
        ValueError: With ``check``: hours that are negative or not finite, or a group with
            more overtime hours than agent-hours (overtime outside agent-hours would be
            paid only the premium's extra part).
    """
    for name, hours in (*agent_hours_by_group.items(), *overtime_hours_by_group.items()):
        if check and not (math.isfinite(hours) and hours >= 0):
            raise ValueError(f"group {name!r}: hours must be finite and ≥ 0, got {hours!r}")
    terms: list[float] = []
    for group in sorted(set(agent_hours_by_group) | set(overtime_hours_by_group)):
        hours = agent_hours_by_group.get(group, 0.0)
        overtime = overtime_hours_by_group.get(group, 0.0)
        if check and overtime > hours * (1 + _HOURS_TOLERANCE) + _HOURS_TOLERANCE:
            raise ValueError(
                f"group {group!r}: {overtime:g} overtime hours exceed its {hours:g} "
                "agent-hours; overtime must be counted inside agent-hours"
            )
        terms.append(group_labour_cost_yuan(e, group, hours, overtime))
    return math.fsum(terms)


# --------------------------------------------------------------------------- extra shifts


@dataclass(frozen=True)
class ShiftRate:
    """What one agent's booked extra shift costs.

    Attributes:
        per_hour: ¥ per paid hour.
        per_shift: ¥ per shift, whatever its length (a temp's day).
        whole_hours: Paid hours are billed rounded up to whole hours (a cloud booking).
    """

    per_hour: float = 0.0
    per_shift: float = 0.0
    whole_hours: bool = False

    def cost_yuan(self, paid_minutes: float) -> float:
        """¥ for one agent's shift of ``paid_minutes`` paid minutes."""
        hours = paid_minutes / 60.0
        if self.whole_hours:
            hours = math.ceil(hours - 1e-9)
        return self.per_shift + self.per_hour * hours


def outsource_contacts_per_hour(
    scenario: Scenario,
    group: str,
    source: OutsourceSource,
    aht_seconds: Mapping[str, float] | None = None,
) -> float:
    """Contacts one outsourced agent of ``group`` handles in an hour.

    ``source.contacts_per_agent_hour`` if given; else the mean over the group's channels of
    3600 × concurrency ÷ (mean handle time × ``source.handle_time_factor``) ×
    ``source.occupancy`` [X] (each channel counted alike, whatever its volume).
    ``aht_seconds``: measured mean handle times by channel, s (default: the means of the
    channels' handle-time distributions).
    """
    if source.contacts_per_agent_hour is not None:
        return source.contacts_per_agent_hour
    g = next(g for g in scenario.staffing.groups if g.name == group)
    per_channel = []
    for c in g.channels:
        spec = scenario.channels[c]
        aht = (aht_seconds or {}).get(c, dist_mean(spec.handle_time_seconds))
        slow = aht * source.handle_time_factor
        per_channel.append(3600.0 * spec.concurrency / max(slow, 1.0) * source.occupancy)
    return math.fsum(per_channel) / len(per_channel)


def source_rates(
    scenario: Scenario, aht_seconds: Mapping[str, float] | None = None
) -> dict[tuple[str, str], ShiftRate]:
    """(group, source) → what one agent's extra shift costs, for every group and source.

    ``in_house``: the group's hourly cost; ``overtime``: its premium × that;
    ``temp``: its cost per day per shift; ``cloud``: its cost per hour, billed in whole
    hours; ``outsource``: its cost per contact × :func:`outsource_contacts_per_hour`.
    """
    e = scenario.economics
    out: dict[tuple[str, str], ShiftRate] = {}
    for g in scenario.staffing.groups:
        hourly = hourly_cost_yuan(e, g.name)
        out[(g.name, IN_HOUSE)] = ShiftRate(per_hour=hourly)
        for name, src in scenario.staffing.sources_in_force.items():
            match src:
                case OvertimeSource():
                    premium = e.overtime_premium if src.premium is None else src.premium
                    rate = ShiftRate(per_hour=premium * hourly)
                case TempSource():
                    day = src.cost_yuan_per_day
                    rate = ShiftRate(
                        per_shift=e.surge_agent_cost_per_day_yuan if day is None else day
                    )
                case CloudSource():
                    rate = ShiftRate(per_hour=src.cost_yuan_per_hour, whole_hours=True)
                case OutsourceSource():
                    per = outsource_contacts_per_hour(scenario, g.name, src, aht_seconds)
                    rate = ShiftRate(per_hour=src.cost_yuan_per_contact * per)
            out[(g.name, name)] = rate
    return out


# --------------------------------------------------------------------------- order margin


def order_margin(scenario: Scenario, in_window: bool, promotion_active: bool) -> OrderMargin:
    """Expected revenue, cost and units of one order.

    With P = ``orders.item_price_yuan``, C = ``orders.unit_cost_yuan`` and
    F = ``economics.fulfilment_cost_per_order_yuan``: without a promotion, for an order
    outside the window, or with ``promotion_active`` False (the baseline arm), 1 unit,
    revenue P, cost C + F; else the promotion mechanic's margin
    (:meth:`sim.mechanics.Mechanic.margin`; each mechanic's module gives its formula).
    Refunds (退差价, 价保 claims, compensation) are counted from the journey, not here.

    A discount never exceeds the price of the order it applies to: each cut is
    min(cut, P), so no revenue is negative.

    Args:
        scenario: The scenario; it must have an ``orders`` section.
        in_window: The order was placed inside the promotion's window.
        promotion_active: False for the baseline arm of a comparison (no promotion at all).

    Returns:
        The expected margin of one such order (¥ per order, units per order).

    Raises:
        ValueError: The scenario has no ``orders`` section.
    """
    if scenario.orders is None:
        raise ValueError("order margins need an orders section (item price and unit cost)")
    p = scenario.orders.item_price_yuan
    c = scenario.orders.unit_cost_yuan
    f = scenario.economics.fulfilment_cost_per_order_yuan
    promotion = scenario.promotion
    if promotion is None or not in_window or not promotion_active:
        return OrderMargin(revenue_yuan=p, cost_yuan=c + f, units=1.0)
    return mechanic_of(promotion).margin(promotion, p, c, f)


def orders_yuan(
    scenario: Scenario, placed: float, placed_in_window: float, *, promotion_active: bool
) -> tuple[float, float]:
    """GMV and goods cost of an arm's orders, ¥: :func:`order_margin` × orders, in and out.

    Args:
        scenario: The scenario; it must have an ``orders`` section.
        placed: Orders placed (a count or an expectation).
        placed_in_window: Of those, placed inside the promotion's window.
        promotion_active: False for the baseline arm.

    Returns:
        ``(gmv, goods cost)``: Σ orders × revenue and Σ orders × (units × unit cost +
        fulfilment), over the orders inside and outside the window.
    """
    n_in, n_out = placed_in_window, placed - placed_in_window
    inside = order_margin(scenario, in_window=True, promotion_active=promotion_active)
    outside = order_margin(scenario, in_window=False, promotion_active=promotion_active)
    gmv = n_in * inside.revenue_yuan + n_out * outside.revenue_yuan
    goods = n_in * inside.cost_yuan + n_out * outside.cost_yuan
    return gmv, goods


def order_amounts(
    scenario: Scenario, in_window: NDArray[np.bool_], active: bool, u: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Items and amount (¥) of each order as the event log shows it: a draw of :func:`order_margin`.

    Args:
        scenario: The scenario.
        in_window: Per order, placed inside the promotion's window.
        active: The arm runs the scenario's promotion.
        u: Per order, a uniform of its own (which realisation it gets).

    Returns:
        Items and amount per order: 1 item at P (``orders.item_price_yuan``, 0 without
        orders) unless the promotion's mechanic says otherwise
        (:meth:`sim.mechanics.Mechanic.order_amounts`; e.g. 第二件X元: a two-unit buyer gets
        the bundle, 2 items at P + X, or misses it and pays 2P).
    """
    price = scenario.orders.item_price_yuan if scenario.orders is not None else 0.0
    promotion = scenario.promotion
    if promotion is None:
        return np.ones(in_window.size, dtype=np.int64), np.full(in_window.size, price)
    return mechanic_of(promotion).order_amounts(promotion, price, in_window & active, u)


# --------------------------------------------------------------------------- issues


def issue_stake_yuan(scenario: Scenario, refund_yuan: float) -> float:
    """The money at stake in an issue, ¥: what its customer stands to lose.

    The reason's refund if it is non-zero, else the item price (``orders.item_price_yuan``),
    else :data:`FALLBACK_STAKE_YUAN`.

    Args:
        scenario: The scenario.
        refund_yuan: The issue's reason's refund per granted issue, ¥ (0 when it has none).
    """
    price = scenario.orders.item_price_yuan if scenario.orders is not None else 0.0
    return refund_yuan or price or FALLBACK_STAKE_YUAN


def bad_review_cost_yuan(e: Economics, bad_reviews: float) -> float:
    """Cost of bad reviews, ¥: count × ``value_of_bad_review_yuan``."""
    return bad_reviews * e.value_of_bad_review_yuan


def churn_cost_yuan(e: Economics, churned: float) -> float:
    """Cost of lost customers, ¥: count × ``clv_margin_yuan``."""
    return churned * e.clv_margin_yuan


def issues_cost_yuan(e: Economics, labour_yuan: float, bad_reviews: float, churned: float) -> float:
    """What a set of issues cost beyond refunds, ¥: labour + bad-review cost + churn cost.

    Args:
        e: The economics coefficients.
        labour_yuan: The agent time their contacts used (:func:`handling_cost_yuan`), ¥.
        bad_reviews: Bad reviews they led to (a count or an expectation).
        churned: Customers they lost (a count or an expectation).
    """
    return labour_yuan + bad_review_cost_yuan(e, bad_reviews) + churn_cost_yuan(e, churned)


# --------------------------------------------------------------------------- money view


def money_view(
    *,
    gmv_yuan: float,
    goods_cost_yuan: float,
    labour_yuan: float,
    refunds_yuan: float,
    bad_reviews: float,
    churned: float,
    platform_interventions: float,
    e: Economics,
    bot_yuan: float = 0.0,
) -> dict[str, float]:
    """The money of a run (or an arm, or a difference of arms), under ``summary.json`` names.

    - ``gross_profit_yuan`` = gmv − goods cost (goods cost includes fulfilment);
    - ``platform_cost_yuan`` = interventions × ``platform_intervention_cost_yuan``;
    - ``service_cost_yuan`` = labour + platform cost + bot sessions' cost;
    - ``bad_review_cost_yuan`` = bad reviews × ``value_of_bad_review_yuan``;
    - ``churn_cost_yuan`` = churned customers × ``clv_margin_yuan``;
    - ``net_yuan`` = gross profit − service cost − refunds − bad-review cost − churn cost.

    Every output is linear in the inputs, so the view of a paired difference of two arms is
    the difference of their views.

    Args:
        gmv_yuan: What buyers paid, ¥.
        goods_cost_yuan: Units × unit cost + fulfilment, ¥.
        labour_yuan: Agent labour (:func:`labour_cost_yuan`), ¥.
        refunds_yuan: Refunds granted by service, ¥.
        bad_reviews: Bad reviews (差评) left, a count or an expected count.
        churned: Customers lost, a count or an expected count.
        platform_interventions: Platform interventions (小二介入), a count or expected count.
        e: The economics coefficients.
        bot_yuan: What the bots' sessions cost, ¥.

    Returns:
        Exactly the keys of :data:`MONEY_KEYS`, ¥ each.
    """
    gross_profit = gmv_yuan - goods_cost_yuan
    platform = platform_interventions * e.platform_intervention_cost_yuan
    service = labour_yuan + platform + bot_yuan
    bad_review_cost = bad_review_cost_yuan(e, bad_reviews)
    churn_cost = churn_cost_yuan(e, churned)
    net = math.fsum((gross_profit, -service, -refunds_yuan, -bad_review_cost, -churn_cost))
    return {
        "gmv_yuan": gmv_yuan,
        "gross_profit_yuan": gross_profit,
        "labour_cost_yuan": labour_yuan,
        "platform_cost_yuan": platform,
        "service_cost_yuan": service,
        "refunds_yuan": refunds_yuan,
        "bad_review_cost_yuan": bad_review_cost,
        "churn_cost_yuan": churn_cost,
        "net_yuan": net,
    }


# --------------------------------------------------------------------------- hard and modelled


def hard_and_modelled(
    view: Mapping[str, float], *, payroll_yuan: float, bot_yuan: float = 0.0
) -> dict[str, float]:
    """The net of a :func:`money_view` in two parts: money that moves, and modelled costs.

    - ``hard_net_yuan`` = gross profit − payroll − platform cost − bots' cost − refunds:
      margins, the rota's wages, platform and bot charges and refunds, all paid or received;
    - ``labour_over_payroll_yuan`` = labour cost − payroll: the net charges the agent time the
      contacts used at the loaded hourly cost rather than the rota's bill (negative where
      staffed hours sit idle; in a promotion's effect, the extra agent time its contacts
      took beyond any change in the rota's bill);
    - ``modelled_cost_yuan`` = that + bad-review cost + churn cost (:data:`MODELLED_KEYS`):
      prices put on things that move no money in the run's window.

    Hence ``net_yuan`` = ``hard_net_yuan`` − ``modelled_cost_yuan`` (up to rounding). Every
    output is linear in the inputs, so a paired difference's split is the difference of
    the arms' splits.

    Args:
        view: A :func:`money_view`.
        payroll_yuan: What the rota costs, ¥ (staffed agent-hours and booked extra shifts).
        bot_yuan: What the bots' sessions cost, ¥ (as given to :func:`money_view`).

    Returns:
        Exactly the keys of :data:`SPLIT_KEYS`, ¥ each.
    """
    hard = math.fsum(
        (
            view["gross_profit_yuan"],
            -payroll_yuan,
            -view["platform_cost_yuan"],
            -bot_yuan,
            -view["refunds_yuan"],
        )
    )
    over = view["labour_cost_yuan"] - payroll_yuan
    modelled = math.fsum((over, view["bad_review_cost_yuan"], view["churn_cost_yuan"]))
    return {
        "hard_net_yuan": hard,
        "labour_over_payroll_yuan": over,
        "modelled_cost_yuan": modelled,
    }


ECONOMICS_GRADES: dict[str, Grade] = {
    "agent_monthly_wage_yuan": "C",
    "loading_factor": "X",
    "paid_hours_per_month": "X",
    "group_hourly_cost_yuan": "X",
    "value_of_bad_review_yuan": "X",
    "clv_margin_yuan": "X",
}
"""Source grade of each :class:`~sim.config.Economics` field a modelled part rests on
(docs/model.md#economics; the fields' docstrings say the same)."""


@dataclass(frozen=True)
class Assumption:
    """One parameter a modelled part of the net rests on.

    Attributes:
        field: Its scenario field under ``economics`` (``value_of_bad_review_yuan``; a
            group's hourly cost as ``group_hourly_cost_yuan.<group>``).
        value: Its value in the scenario.
        grade: Its source grade (docs/model.md#grades); ``X``: our assumption.
    """

    field: str
    value: float
    grade: Grade


@dataclass(frozen=True)
class ModelledPart:
    """A modelled part of the net: its cost's summary key, what it prices, and on what.

    Attributes:
        key: The cost's summary key (one of :data:`MODELLED_KEYS`).
        count: The summary key of what it prices (``bad_reviews``); ``""`` for the agent time.
        assumptions: The parameters it rests on, the price first.
    """

    key: str
    count: str
    assumptions: tuple[Assumption, ...]


def modelled_parts(e: Economics) -> tuple[ModelledPart, ...]:
    """The modelled parts of the net (:data:`MODELLED_KEYS`, in order) and their parameters.

    The agent time rests on the loaded hourly cost: wage × loading ÷ paid hours, or a group's
    own hourly cost where the scenario gives one.
    """

    def a(name: str) -> Assumption:
        value = getattr(e, name)
        assert isinstance(value, float)
        return Assumption(name, value, ECONOMICS_GRADES[name])

    groups = tuple(
        Assumption(f"group_hourly_cost_yuan.{g}", v, ECONOMICS_GRADES["group_hourly_cost_yuan"])
        for g, v in sorted((e.group_hourly_cost_yuan or {}).items())
    )
    rate = (a("agent_monthly_wage_yuan"), a("loading_factor"), a("paid_hours_per_month"))
    return (
        ModelledPart("labour_over_payroll_yuan", "", (*rate, *groups)),
        ModelledPart("bad_review_cost_yuan", "bad_reviews", (a("value_of_bad_review_yuan"),)),
        ModelledPart("churn_cost_yuan", "churned_customers", (a("clv_margin_yuan"),)),
    )


# --------------------------------------------------------------------------- break-even


def break_even_miss_rate(
    *, net_at_current: float, miss_current: float, net_slope_per_miss: float
) -> float | None:
    """The bundle miss rate at which the promotion's net impact is zero (linear model).

    ``net(m) = net_at_current + slope × (m − miss_current)``, so the root is
    ``m* = miss_current − net_at_current ÷ slope``.

    Args:
        net_at_current: Net impact of the promotion (promotion arm − baseline arm), ¥, at
            the current miss rate.
        miss_current: The current bundle miss rate, a share in [0, 1].
        net_slope_per_miss: d(net impact)/d(miss), ¥ per unit of miss rate (see
            :func:`miss_slope_second_item`).

    Returns:
        The miss rate m* in [0, 1], or None when the slope is 0 (net impact does not depend
        on the miss rate), when an input is not finite, or when the root lies outside
        [0, 1] (no miss rate breaks even).
    """
    values = (net_at_current, miss_current, net_slope_per_miss)
    if net_slope_per_miss == 0 or not all(math.isfinite(v) for v in values):
        return None
    root = miss_current - net_at_current / net_slope_per_miss
    if not (math.isfinite(root) and 0.0 <= root <= 1.0):
        return None
    return root


def price_difference_refund_yuan(scenario: Scenario) -> float:
    """The 退差价 refund of one granted price-difference issue, ¥.

    The ``price_difference`` reason's ``refund_yuan`` when the scenario sets it, else the
    money at stake: P − X (the second unit's full price minus the bundle price), not below 0.

    Raises:
        ValueError: The scenario's promotion is not a ``second_item_discount`` or it has no
            ``orders`` section.
    """
    promotion = scenario.promotion
    if not isinstance(promotion, SecondItemDiscount) or scenario.orders is None:
        raise ValueError("needs a second_item_discount promotion and an orders section")
    reason = promotion.price_difference
    if reason is not None and reason.refund_yuan is not None:
        return reason.refund_yuan
    price = scenario.orders.item_price_yuan
    return mechanic_of(promotion).stake_yuan(promotion, "price_difference", price)


def miss_slope_second_item(
    scenario: Scenario,
    orders_in_window: float,
    cost_per_price_difference_issue_yuan: float,
    refund_share: float,
) -> float:
    """d(net impact)/d(miss) of a 第二件X元 promotion, ¥ per unit of miss rate.

    Derivation. Of ``orders_in_window`` orders, a share s = eligible × intent are two-unit
    buyers, so raising the miss rate by dm turns ``orders_in_window × s × dm`` bundle orders
    into missed ones. Each such order

    - pays full price for the second unit: revenue + (P − X), cost unchanged (two units
      either way, see :func:`order_margin`);
    - with probability q = notice × (1 − self_serve) × contact brings a price-difference
      issue (self_serve: the make-up link's share, 0 without one), which costs
      ``cost_per_price_difference_issue_yuan`` (labour, platform, bad reviews and churn per
      issue, as the simulation measured them) and with probability ``refund_share`` a refund
      R (:func:`price_difference_refund_yuan`, P − X by default).

    Hence ``slope = orders_in_window × s × [(P − X) − q × (cost_per_issue + refund_share ×
    R)]``.

    The paradox this shows: a miss that nobody notices is pure revenue — the buyer simply
    paid full price. The slope is negative only when q × (cost per issue + refund_share × R)
    exceeds P − X; with the defaults (q = 0.5 × 0.7 = 0.35) a shop that refunds every issue
    (R = P − X) needs cost per issue above (P − X)(1/q − 1) ≈ 1.86 (P − X) before misses
    hurt. This is why shops tolerate confusing deals: the cost lands on service, in
    contacts, reviews and churn, while the extra revenue lands on operations.

    Args:
        scenario: A scenario with a ``second_item_discount`` promotion and ``orders``.
        orders_in_window: Orders placed in the promotion's window (a count or expectation).
        cost_per_price_difference_issue_yuan: Service, bad-review and churn cost per
            price-difference issue, ¥ (measured by the simulation).
        refund_share: Refunds granted per price-difference issue (measured), in [0, 1].

    Returns:
        The slope, ¥ of net impact per unit of miss rate (per 1.0, i.e. per 100 points).

    Raises:
        ValueError: Not a ``second_item_discount`` scenario with orders.
    """
    refund = price_difference_refund_yuan(scenario)
    promotion = scenario.promotion
    assert isinstance(promotion, SecondItemDiscount) and scenario.orders is not None
    p = scenario.orders.item_price_yuan
    x = promotion.second_item_price_yuan
    s = promotion.eligible_share * promotion.two_unit_intent
    self_serve = promotion.makeup_link_self_serve if promotion.makeup_link else 0.0
    q = promotion.notice_probability * (1.0 - self_serve) * promotion.contact_probability
    per_miss = (p - x) - q * (cost_per_price_difference_issue_yuan + refund_share * refund)
    return orders_in_window * s * per_miss
