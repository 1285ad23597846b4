"""The money model against hand-computed values, and its invariants as hypothesis properties.

Every expected number is worked out in a comment next to its assertion, from the scenario's
prices and the defaults of :class:`sim.config.Economics` (docs/model.md#economics).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.config import Coupon, Economics, FlashSale, Scenario
from sim.economics import (
    FALLBACK_STAKE_YUAN,
    MONEY_KEYS,
    OrderMargin,
    bad_review_cost_yuan,
    break_even_miss_rate,
    churn_cost_yuan,
    contact_labour_cost_yuan,
    group_labour_cost_yuan,
    handling_cost_yuan,
    hourly_cost_yuan,
    issue_stake_yuan,
    issues_cost_yuan,
    labour_cost_yuan,
    miss_slope_second_item,
    money_view,
    order_amounts,
    order_margin,
    orders_yuan,
    price_difference_refund_yuan,
)
from tests.conftest import tiny_scenario

E = Economics()
WINDOW = {"start": "2026-11-01T00:00:00", "end": "2026-11-02T00:00:00"}


def scenario(
    promotion: dict[str, Any] | None = None,
    *,
    price: float = 59.0,
    cost: float = 20.0,
    fulfilment: float = 5.0,
) -> Scenario:
    """The tiny scenario with orders at P = ``price``, C = ``cost``, F = ``fulfilment``."""
    data = tiny_scenario(
        orders={"per_day": 1000.0, "item_price_yuan": price, "unit_cost_yuan": cost},
        economics={"fulfilment_cost_per_order_yuan": fulfilment},
    )
    if promotion is not None:
        data["promotion"] = {**WINDOW, **promotion}
    return Scenario.model_validate(data)


def second_item(**fields: Any) -> dict[str, Any]:
    # eligible 0.5 × intent 0.6 = s 0.3; bundle_miss_rate 0.03 (the "typical" preset)
    return {
        "kind": "second_item_discount",
        "second_item_price_yuan": 1.0,
        "eligible_share": 0.5,
        "two_unit_intent": 0.6,
        "bundle_miss_rate": 0.03,
        **fields,
    }


# --------------------------------------------------------------------------- config


def test_defaults_are_the_domain_model_table() -> None:
    assert E.agent_monthly_wage_yuan == 5000
    assert E.loading_factor == 1.4
    assert E.paid_hours_per_month == 174
    assert E.group_hourly_cost_yuan is None
    assert E.overtime_premium == 1.5
    assert E.surge_agent_cost_per_day_yuan == 190
    assert E.value_of_bad_review_yuan == 200
    assert E.clv_margin_yuan == 60
    assert E.platform_intervention_cost_yuan == 50
    assert E.fulfilment_cost_per_order_yuan == 5
    assert Scenario.model_validate(tiny_scenario()).economics == E


def test_promotion_money_defaults() -> None:
    coupon = Coupon.model_validate({"kind": "coupon", **WINDOW})
    flash = FlashSale.model_validate({"kind": "flash_sale", **WINDOW})
    assert coupon.coupon_value_yuan == 10
    assert flash.discount_yuan == 10


@pytest.mark.parametrize(
    "bad",
    [
        {"loading_factor": 0.9},  # loading below 1 would pay less than the wage
        {"paid_hours_per_month": 0},
        {"overtime_premium": 0.5},
        {"value_of_bad_review_yuan": -1},
        {"group_hourly_cost_yuan": {"Front Line": 40}},  # not a group name
        {"clv_margin": 60},  # unknown key
    ],
)
def test_bad_economics_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Economics.model_validate(bad)


# --------------------------------------------------------------------------- labour


def test_hourly_cost_is_loaded_wage_over_paid_hours() -> None:
    # 5000 × 1.4 / 174 = 7000 / 174 = 40.2299 ¥/h
    assert hourly_cost_yuan(E, "frontline") == pytest.approx(7000 / 174)
    assert 40.22 < hourly_cost_yuan(E, "frontline") < 40.24
    assert E.default_hourly_cost_yuan == pytest.approx(7000 / 174)


def test_group_override() -> None:
    e = Economics(group_hourly_cost_yuan={"senior": 60.0})
    assert hourly_cost_yuan(e, "senior") == 60
    assert hourly_cost_yuan(e, "frontline") == pytest.approx(7000 / 174)


def test_labour_with_override_and_overtime_premium() -> None:
    e = Economics(group_hourly_cost_yuan={"senior": 60.0})
    # frontline: 100 h (10 of them overtime) at 7000/174 ¥/h, premium 1.5:
    #   100 × 7000/174 + 10 × 7000/174 × 0.5 = 105 × 7000/174 = 4224.14
    # senior: 20 h (4 overtime) at ¥60: 20 × 60 + 4 × 60 × 0.5 = 1200 + 120 = 1320
    # total 5544.14
    cost = labour_cost_yuan(
        e, {"frontline": 100.0, "senior": 20.0}, {"frontline": 10.0, "senior": 4.0}
    )
    assert cost == pytest.approx(105 * 7000 / 174 + 1320)
    assert cost == pytest.approx(5544.1379, abs=1e-3)


def test_overtime_is_inside_agent_hours() -> None:
    # 10 h all overtime at ¥40: 10 × 40 × 1.5 = 600, not 10 × 40 × 2.5
    e = Economics(group_hourly_cost_yuan={"g": 40.0})
    assert labour_cost_yuan(e, {"g": 10.0}, {"g": 10.0}) == pytest.approx(600)
    assert labour_cost_yuan(e, {"g": 10.0}, {}) == pytest.approx(400)
    assert labour_cost_yuan(e, {}, {}) == 0


@pytest.mark.parametrize(
    ("hours", "overtime"),
    [
        ({"g": 5.0}, {"g": 6.0}),  # more overtime than agent-hours
        ({}, {"g": 1.0}),  # overtime of a group without agent-hours
        ({"g": -1.0}, {}),
        ({"g": math.nan}, {}),
        ({"g": 1.0}, {"g": math.inf}),
    ],
)
def test_labour_rejects_impossible_hours(
    hours: dict[str, float], overtime: dict[str, float]
) -> None:
    with pytest.raises(ValueError, match="group 'g'"):
        labour_cost_yuan(E, hours, overtime)


def test_unchecked_labour_is_the_same_formula() -> None:
    # a run's payroll: the same sum, but hour counts a rounding apart never fail the run
    e = Economics(group_hourly_cost_yuan={"g": 40.0, "h": 60.0})
    hours, overtime = {"g": 10.0, "h": 2.0}, {"g": 4.0, "h": 0.0}
    assert labour_cost_yuan(e, hours, overtime, check=False) == labour_cost_yuan(e, hours, overtime)
    # overtime above agent-hours: 5 × 40 + 6 × 40 × 0.5 = 320, no error
    assert labour_cost_yuan(e, {"g": 5.0}, {"g": 6.0}, check=False) == 320.0


def test_orders_yuan_is_margin_times_orders_in_and_out() -> None:
    promo = scenario({"kind": "flash_sale", "discount_yuan": 10.0})
    # 100 orders, 40 in the window at 59 − 10; goods 20 + 5 each
    assert orders_yuan(promo, 100, 40, promotion_active=True) == (40 * 49.0 + 60 * 59.0, 2500.0)
    assert orders_yuan(promo, 100, 40, promotion_active=False) == (5900.0, 2500.0)


def test_order_amounts_realise_the_margin() -> None:
    u = np.linspace(0.0, 1.0, 10_001)[:-1]
    on = np.ones(u.size, dtype=bool)
    for promotion in (
        second_item(),
        {"kind": "threshold_discount"},
        {"kind": "coupon"},
        {"kind": "flash_sale"},
        {"kind": "price_protection", "price_drop_at": "2026-11-01T12:00:00"},
    ):
        s = scenario(promotion)
        items, amount = order_amounts(s, on, True, u)
        m = order_margin(s, in_window=True, promotion_active=True)
        assert amount.mean() == pytest.approx(m.revenue_yuan, abs=0.01)
        assert items.mean() == pytest.approx(m.units, abs=1e-3)
        # the baseline arm and orders outside the window: one item at full price
        items, amount = order_amounts(s, on, False, u)
        assert (items == 1).all() and (amount == 59.0).all()


def test_group_labour_cost() -> None:
    # 10 h at ¥40 with 4 h of overtime at premium 1.5: 400 + 4 × 40 × 0.5 = 480
    e = Economics(group_hourly_cost_yuan={"g": 40.0})
    assert group_labour_cost_yuan(e, "g", 10.0, 4.0) == 480.0
    # the sum over groups is the same formula
    assert labour_cost_yuan(e, {"g": 10.0}, {"g": 4.0}) == 480.0


def test_contact_labour_allows_idle_overtime() -> None:
    # 2 busy hours, 3 overtime hours (one idle) at ¥40: 80 + 3 × 40 × 0.5 = 140
    e = Economics(group_hourly_cost_yuan={"g": 40.0, "h": 60.0})
    assert contact_labour_cost_yuan(e, {"g": 2.0}, {"g": 3.0}) == 140.0
    # h: 1 busy hour at ¥60, no overtime; a group missing from one mapping counts 0 h there
    assert contact_labour_cost_yuan(e, {"g": 2.0, "h": 1.0}, {"g": 3.0}) == 200.0
    with pytest.raises(ValueError, match="overtime"):
        labour_cost_yuan(e, {"g": 2.0}, {"g": 3.0})


def test_handling_cost_per_contact() -> None:
    # 1800 s at ¥40 = 20; 3600 s at ¥60 = 60; 900 s at ¥40 = 10
    e = Economics(group_hourly_cost_yuan={"a": 40.0, "b": 60.0})
    cost = handling_cost_yuan(e, ["a", "b"], np.array([0, 1, 0]), np.array([1800.0, 3600.0, 900.0]))
    assert cost.tolist() == [20.0, 60.0, 10.0]


# --------------------------------------------------------------------------- issues


def test_issue_stake_is_refund_else_price_else_fallback() -> None:
    with_orders = scenario(price=59.0)
    assert issue_stake_yuan(with_orders, 58.0) == 58.0
    assert issue_stake_yuan(with_orders, 0.0) == 59.0
    without = Scenario.model_validate(tiny_scenario())
    assert without.orders is None
    assert issue_stake_yuan(without, 12.0) == 12.0
    assert issue_stake_yuan(without, 0.0) == FALLBACK_STAKE_YUAN == 35.0
    # the fallback is the retention table's lower anchor
    assert FALLBACK_STAKE_YUAN == without.satisfaction.retention.loss_yuan[0]


def test_issue_costs() -> None:
    # defaults: bad review ¥200, lost customer ¥60; 100 + 2 × 200 + 3 × 60 = 680
    assert bad_review_cost_yuan(E, 2) == 400.0
    assert churn_cost_yuan(E, 3) == 180.0
    assert issues_cost_yuan(E, 100.0, 2, 3) == 680.0
    assert issues_cost_yuan(E, 100.0, 0.5, 0.0) == 200.0


# --------------------------------------------------------------------------- order margin


def test_no_promotion_outside_window_or_baseline_arm_is_one_full_price_unit() -> None:
    # 1 unit, revenue P = 59, cost C + F = 20 + 5 = 25
    plain = OrderMargin(revenue_yuan=59.0, cost_yuan=25.0, units=1.0)
    assert order_margin(scenario(), in_window=True, promotion_active=True) == plain
    promo = scenario(second_item())
    assert order_margin(promo, in_window=False, promotion_active=True) == plain
    assert order_margin(promo, in_window=True, promotion_active=False) == plain
    assert plain.margin_yuan == 34


def test_second_item_order_margin() -> None:
    # P = 59, X = 1, C = 20, F = 5, s = 0.5 × 0.6 = 0.3, miss = 0.03
    #   bundle  0.3 × 0.97 = 0.291: 2 units, revenue 59 + 1 = 60,  cost 2·20 + 5 = 45
    #   missed  0.3 × 0.03 = 0.009: 2 units, revenue 2·59 = 118,   cost 45
    #   others  0.7:                1 unit,  revenue 59,           cost 25
    # revenue = 0.291·60 + 0.009·118 + 0.7·59 = 17.46 + 1.062 + 41.3 = 59.822
    # cost    = 0.3·45 + 0.7·25 = 13.5 + 17.5 = 31.0; units = 1.3; margin 28.822
    m = order_margin(scenario(second_item()), in_window=True, promotion_active=True)
    assert m.revenue_yuan == pytest.approx(59.822)
    assert m.cost_yuan == pytest.approx(31.0)
    assert m.units == pytest.approx(1.3)
    assert m.margin_yuan == pytest.approx(28.822)
    # against the baseline's 34: s·((X − C) + miss·(P − X)) = 0.3·(−19 + 1.74) = −5.178
    assert m.margin_yuan - 34 == pytest.approx(-5.178)


def test_second_item_uses_the_miss_rate_property() -> None:
    # auto_apply: miss = auto_apply_miss_rate 0.005, whatever bundle_miss_rate says
    # revenue = 59 + 0.3·(0.995·1 + 0.005·59) = 59 + 0.3·1.29 = 59.387
    promo = scenario(second_item(auto_apply=True))
    m = order_margin(promo, in_window=True, promotion_active=True)
    assert m.revenue_yuan == pytest.approx(59.387)


def test_threshold_discount_order_margin() -> None:
    # P = 320, 0.4 of orders get ¥50 off: revenue 320 − 0.4·50 = 300; cost 120 + 5 = 125
    promo = scenario(
        {"kind": "threshold_discount", "discount_yuan": 50.0, "qualifying_share": 0.4},
        price=320.0,
        cost=120.0,
    )
    m = order_margin(promo, in_window=True, promotion_active=True)
    assert m.revenue_yuan == pytest.approx(300.0)
    assert (m.cost_yuan, m.units) == (125.0, 1.0)


def test_coupon_order_margin() -> None:
    # used by 0.5, fails with 0.1, worth ¥10: revenue 59 − 0.5·0.9·10 = 54.5; cost 25
    promo = scenario(
        {
            "kind": "coupon",
            "coupon_use_share": 0.5,
            "failure_rates": {"expired": 0.1},
            "coupon_value_yuan": 10.0,
        }
    )
    m = order_margin(promo, in_window=True, promotion_active=True)
    assert m.revenue_yuan == pytest.approx(54.5)
    assert (m.cost_yuan, m.units) == (25.0, 1.0)


def test_coupon_with_the_default_failure_causes() -> None:
    # failure = 1 − 0.99·0.99·0.995·0.995 = 1 − 0.97032350 = 0.02967650
    # revenue = 59 − 0.5·0.9703235·10 = 59 − 4.8516175 = 54.1483825
    m = order_margin(scenario({"kind": "coupon"}), in_window=True, promotion_active=True)
    assert m.revenue_yuan == pytest.approx(54.1483825)


def test_flash_sale_order_margin() -> None:
    # ¥10 off every order in the window: revenue 49; cost 25
    promo = scenario({"kind": "flash_sale", "discount_yuan": 10.0})
    m = order_margin(promo, in_window=True, promotion_active=True)
    assert m == OrderMargin(revenue_yuan=49.0, cost_yuan=25.0, units=1.0)


def test_price_protection_order_margin_is_full_price() -> None:
    # claims are refunds counted by the journey: revenue 59; cost 25
    promo = scenario(
        {
            "kind": "price_protection",
            "price_drop_at": "2026-11-01T12:00:00",
            "price_drop_yuan": 10.0,
        }
    )
    m = order_margin(promo, in_window=True, promotion_active=True)
    assert m == OrderMargin(revenue_yuan=59.0, cost_yuan=25.0, units=1.0)


def test_a_discount_never_exceeds_the_price() -> None:
    # flash sale ¥80 off a ¥59 item: revenue 0, not −21
    flash = scenario({"kind": "flash_sale", "discount_yuan": 80.0})
    assert order_margin(flash, in_window=True, promotion_active=True).revenue_yuan == 0
    # a ¥100 coupon on a ¥59 item, used by 0.5, failing 0.1: 59 − 0.45·59 = 32.45
    coupon = scenario(
        {
            "kind": "coupon",
            "coupon_use_share": 0.5,
            "failure_rates": {"expired": 0.1},
            "coupon_value_yuan": 100.0,
        }
    )
    m = order_margin(coupon, in_window=True, promotion_active=True)
    assert m.revenue_yuan == pytest.approx(32.45)


def test_order_margin_needs_orders() -> None:
    with pytest.raises(ValueError, match="orders"):
        order_margin(Scenario.model_validate(tiny_scenario()), True, True)


# --------------------------------------------------------------------------- money view


def test_money_view_arithmetic_and_keys() -> None:
    # gross profit 10000 − 4000 = 6000; platform 3 × 50 = 150; service 1500 + 150 = 1650
    # bad reviews 2 × 200 = 400; churn 5 × 60 = 300
    # net 6000 − 1650 − 300 − 400 − 300 = 3350
    view = money_view(
        gmv_yuan=10000.0,
        goods_cost_yuan=4000.0,
        labour_yuan=1500.0,
        refunds_yuan=300.0,
        bad_reviews=2,
        churned=5,
        platform_interventions=3,
        e=E,
    )
    assert tuple(view) == MONEY_KEYS
    assert view == {
        "gmv_yuan": 10000.0,
        "gross_profit_yuan": 6000.0,
        "labour_cost_yuan": 1500.0,
        "platform_cost_yuan": 150.0,
        "service_cost_yuan": 1650.0,
        "refunds_yuan": 300.0,
        "bad_review_cost_yuan": 400.0,
        "churn_cost_yuan": 300.0,
        "net_yuan": 3350.0,
    }


def test_money_view_takes_expected_counts() -> None:
    # 0.5 bad reviews × 200 = 100; 1.5 churned × 60 = 90; 0.2 interventions × 50 = 10
    # net = (100 − 40) − (10 + 10) − 0 − 100 − 90 = 60 − 20 − 190 = −150
    view = money_view(
        gmv_yuan=100.0,
        goods_cost_yuan=40.0,
        labour_yuan=10.0,
        refunds_yuan=0.0,
        bad_reviews=0.5,
        churned=1.5,
        platform_interventions=0.2,
        e=E,
    )
    assert view["net_yuan"] == pytest.approx(-150)


# --------------------------------------------------------------------------- break-even


def test_break_even_root() -> None:
    # net(m) = 1000 − 50000·(m − 0.03) = 0 at m = 0.03 + 1000/50000 = 0.05
    root = break_even_miss_rate(net_at_current=1000.0, miss_current=0.03, net_slope_per_miss=-5e4)
    assert root == pytest.approx(0.05)
    # the edges count: net(m) = 500 + 1000·(m − 0.5) is 0 at m = 0
    assert break_even_miss_rate(
        net_at_current=500.0, miss_current=0.5, net_slope_per_miss=1000.0
    ) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("net", "miss", "slope"),
    [
        (1000.0, 0.03, 0.0),  # flat: no miss rate changes anything
        (1000.0, 0.03, 1000.0),  # root 0.03 − 1 = −0.97 < 0
        (-1e5, 0.03, 5e4),  # root 0.03 + 2 = 2.03 > 1
        (math.nan, 0.03, 1.0),
        (1.0, 0.03, math.inf),
    ],
)
def test_break_even_none(net: float, miss: float, slope: float) -> None:
    assert (
        break_even_miss_rate(net_at_current=net, miss_current=miss, net_slope_per_miss=slope)
        is None
    )


def test_miss_slope_hand_example() -> None:
    # P = 59, X = 1, s = 0.3, q = notice 0.5 × contact 0.7 = 0.35, R = P − X = 58,
    # cost per issue ¥80, refund share 0.6:
    #   per missed order 58 − 0.35·(80 + 0.6·58) = 58 − 0.35·114.8 = 58 − 40.18 = 17.82
    #   slope = 10000 orders × 0.3 × 17.82 = 53460 ¥ per unit of miss rate
    promo = scenario(second_item(notice_probability=0.5, contact_probability=0.7))
    assert price_difference_refund_yuan(promo) == 58
    assert miss_slope_second_item(promo, 10_000, 80.0, 0.6) == pytest.approx(53460)


def test_miss_slope_with_makeup_link_and_set_refund() -> None:
    # make-up link, self-serve 0.4: q = 0.5 × 0.6 × 0.7 = 0.21
    #   58 − 0.21·114.8 = 58 − 24.108 = 33.892 → 10000 × 0.3 × 33.892 = 101676
    link = scenario(second_item(makeup_link=True, makeup_link_self_serve=0.4))
    assert miss_slope_second_item(link, 10_000, 80.0, 0.6) == pytest.approx(101676)
    # the price_difference reason refunds ¥30: 58 − 0.35·(80 + 0.6·30) = 58 − 34.3 = 23.7
    #   → 10000 × 0.3 × 23.7 = 71100
    reason = {"name": "price_difference", "channel_mix": {"phone": 1.0}, "refund_yuan": 30.0}
    set_refund = scenario(second_item(price_difference=reason))
    assert price_difference_refund_yuan(set_refund) == 30
    assert miss_slope_second_item(set_refund, 10_000, 80.0, 0.6) == pytest.approx(71100)


def test_costly_issues_make_misses_hurt() -> None:
    # misses hurt once q·(cost + R) > P − X: 0.35·(cost + 58) > 58 ⇔ cost > 107.71
    promo = scenario(second_item())
    assert miss_slope_second_item(promo, 1000, 107.0, 1.0) > 0
    assert miss_slope_second_item(promo, 1000, 108.0, 1.0) < 0
    # ... and the break-even miss rate is then where the net impact crosses zero:
    # slope 1000 × 0.3 × (58 − 0.35·(200 + 58)) = 300 × (58 − 90.3) = −9690
    # with net −200 at miss 0.03 the root is 0.03 − 200/9690 = 0.009360
    slope = miss_slope_second_item(promo, 1000, 200.0, 1.0)
    assert slope == pytest.approx(-9690)
    root = break_even_miss_rate(net_at_current=-200.0, miss_current=0.03, net_slope_per_miss=slope)
    assert root == pytest.approx(0.03 - 200 / 9690)


def test_miss_slope_matches_order_margin_when_nobody_notices() -> None:
    # notice 0: the slope is pure revenue, orders × d(revenue per order)/d(miss)
    def revenue(miss: float) -> float:
        promo = scenario(second_item(bundle_miss_rate=miss, notice_probability=0.0))
        return order_margin(promo, in_window=True, promotion_active=True).revenue_yuan

    promo = scenario(second_item(notice_probability=0.0))
    finite_difference = 5000 * (revenue(0.08) - revenue(0.02)) / 0.06
    assert miss_slope_second_item(promo, 5000, 999.0, 1.0) == pytest.approx(finite_difference)
    assert finite_difference == pytest.approx(5000 * 0.3 * 58)  # 87000


def test_miss_slope_needs_a_second_item_scenario() -> None:
    with pytest.raises(ValueError, match="second_item_discount"):
        miss_slope_second_item(scenario({"kind": "flash_sale"}), 100, 1.0, 1.0)


# --------------------------------------------------------------------------- properties

money = st.floats(0, 1000, allow_nan=False)
share = st.floats(0, 1, allow_nan=False)


@st.composite
def prices(draw: st.DrawFn) -> tuple[float, float, float]:
    """(P, X, C) with X ≤ P and C ≤ P."""
    p = draw(money)
    return p, draw(st.floats(0, p)), draw(st.floats(0, p))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prices(), money, share, share, share, share)
def test_second_item_margin_invariants(
    pxc: tuple[float, float, float],
    f: float,
    eligible: float,
    intent: float,
    miss: float,
    more_miss: float,
) -> None:
    p, x, c = pxc
    lo, hi = sorted((miss, more_miss))
    s = eligible * intent

    def margin(m: float) -> OrderMargin:
        promo = scenario(
            second_item(
                second_item_price_yuan=x,
                eligible_share=eligible,
                two_unit_intent=intent,
                bundle_miss_rate=m,
            ),
            price=p,
            cost=c,
            fulfilment=f,
        )
        return order_margin(promo, in_window=True, promotion_active=True)

    base = p - c - f
    at_lo, at_hi = margin(lo), margin(hi)
    tol = 1e-9 * (1 + p + f)
    for m, r in ((lo, at_lo), (hi, at_hi)):
        assert all(math.isfinite(v) for v in (r.revenue_yuan, r.cost_yuan, r.units))
        # sanity bound: the deal gives away at most (P − X) on the s two-unit orders
        assert r.margin_yuan >= base - (p - x) * s - tol
        # accounting: list-price value of the units − revenue = discount actually given,
        # s·(1 − miss)·(P − X): only buyers who got the bundle paid less
        assert r.units * p - r.revenue_yuan == pytest.approx(s * (1 - m) * (p - x), abs=tol)
        assert r.cost_yuan == pytest.approx(r.units * c + f, abs=tol)
    # with X ≤ P a miss is revenue: the margin never falls as the miss rate rises
    assert at_hi.margin_yuan >= at_lo.margin_yuan - tol


@st.composite
def any_promotion(draw: st.DrawFn) -> dict[str, Any] | None:
    kind = draw(
        st.sampled_from(
            [
                None,
                "second_item_discount",
                "threshold_discount",
                "coupon",
                "flash_sale",
                "price_protection",
            ]
        )
    )
    match kind:
        case None:
            return None
        case "second_item_discount":
            return second_item(
                second_item_price_yuan=draw(money),
                eligible_share=draw(share),
                two_unit_intent=draw(share),
                bundle_miss_rate=draw(share),
            )
        case "threshold_discount":
            return {"kind": kind, "discount_yuan": draw(money), "qualifying_share": draw(share)}
        case "coupon":
            return {
                "kind": kind,
                "coupon_value_yuan": draw(money),
                "coupon_use_share": draw(share),
                "failure_rates": {"expired": draw(share)},
            }
        case "flash_sale":
            return {"kind": kind, "discount_yuan": draw(money)}
        case _:
            return {"kind": kind, "price_drop_at": "2026-11-01T12:00:00"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_promotion(), money, money, money, st.booleans(), st.booleans())
def test_every_margin_is_finite_and_no_better_than_list_price(
    promotion: dict[str, Any] | None,
    p: float,
    c: float,
    f: float,
    in_window: bool,
    active: bool,
) -> None:
    r = order_margin(scenario(promotion, price=p, cost=c, fulfilment=f), in_window, active)
    assert all(math.isfinite(v) for v in (r.revenue_yuan, r.cost_yuan, r.units))
    assert r.revenue_yuan >= 0 and r.units >= 1
    assert r.cost_yuan == pytest.approx(r.units * c + f)
    if promotion is None or promotion["kind"] != "second_item_discount":
        # a one-unit deal only ever lowers the price
        assert r.units == 1 and r.revenue_yuan <= p
    if not (in_window and active) or promotion is None:
        assert r == OrderMargin(revenue_yuan=p, cost_yuan=c + f, units=1.0)


count = st.floats(0, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(count, count, count, count, count, count, count, money, money, money)
def test_money_view_is_finite_and_adds_up(
    gmv: float,
    goods: float,
    labour: float,
    refunds: float,
    bad: float,
    churned: float,
    interventions: float,
    review_value: float,
    clv: float,
    platform_cost: float,
) -> None:
    e = Economics(
        value_of_bad_review_yuan=review_value,
        clv_margin_yuan=clv,
        platform_intervention_cost_yuan=platform_cost,
    )
    v = money_view(
        gmv_yuan=gmv,
        goods_cost_yuan=goods,
        labour_yuan=labour,
        refunds_yuan=refunds,
        bad_reviews=bad,
        churned=churned,
        platform_interventions=interventions,
        e=e,
    )
    assert tuple(v) == MONEY_KEYS
    assert all(math.isfinite(x) for x in v.values())
    costs = (
        v["service_cost_yuan"]
        + v["refunds_yuan"]
        + v["bad_review_cost_yuan"]
        + v["churn_cost_yuan"]
    )
    scale = 1e-9 * (1 + gmv + goods + costs)
    assert v["net_yuan"] == pytest.approx(v["gross_profit_yuan"] - costs, abs=scale)
    assert v["service_cost_yuan"] == pytest.approx(
        v["labour_cost_yuan"] + v["platform_cost_yuan"], abs=scale
    )


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False), share, st.floats(-1e7, 1e7, allow_nan=False))
def test_break_even_root_zeroes_the_line(net: float, miss: float, slope: float) -> None:
    root = break_even_miss_rate(net_at_current=net, miss_current=miss, net_slope_per_miss=slope)
    if root is None:
        # no root in [0, 1]: the line has one sign across the whole range (or is flat)
        at0, at1 = net + slope * (0 - miss), net + slope * (1 - miss)
        near_zero = min(abs(at0), abs(at1)) <= 1e-9 * (1 + abs(net) + abs(slope))
        assert slope == 0 or at0 * at1 > 0 or near_zero
    else:
        assert 0 <= root <= 1
        assert net + slope * (root - miss) == pytest.approx(0, abs=1e-6 * (1 + abs(net)))
