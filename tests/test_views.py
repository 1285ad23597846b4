"""The three views: metamorphic relations under CRN, and money traced to counted events."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.center import ANSWERED, simulate_center
from sim.config import Scenario
from sim.demand import all_reasons, generate
from sim.economics import hourly_cost_yuan, order_margin
from sim.experiment import run_scenario
from sim.metrics import replication_metrics
from sim.rng import Streams
from tests.conftest import tiny_scenario


def shop(agents: int = 3, miss: float = 0.03, **extra: Any) -> Scenario:
    """A small shop with a 第二件1元 deal, a journey, five-temperament customers."""
    data = tiny_scenario(
        name="shop",
        calendar={"start": "2026-11-02T00:00:00", "days": 5},
        arrivals=[],
        replications=6,
    )
    data["channels"]["phone"]["patience_seconds"] = {"dist": "exponential", "mean": 120}
    data["staffing"]["groups"][0]["schedule"]["agents"] = agents
    data["orders"] = {
        "per_day": 3000,
        "lead_in_days": 2,
        "item_price_yuan": 59,
        "unit_cost_yuan": 20,
    }
    data["contact_reasons"] = [
        {
            "name": "wismo",
            "rate_per_order": 0.02,
            "anchor": "ship",
            "channel_mix": {"phone": 1.0},
            "resolution_probability": 0.7,
        },
    ]
    data["customers"] = {
        "types": {
            "easygoing": {"share": 0.6, "refund_insistence": 0.3, "satisfaction_shift": 0.5},
            "irritable": {
                "share": 0.4,
                "refund_insistence": 0.8,
                "patience_factor": 0.5,
                "review_factor": 2.0,
                "satisfaction_shift": -0.5,
            },
        }
    }
    data["journey"] = {"repeat_probability": 0.7, "redial_probability": 0.5}
    data["promotion"] = {
        "kind": "second_item_discount",
        "start": "2026-11-02T00:00:00",
        "end": "2026-11-04T00:00:00",
        "order_uplift": 1.3,
        "bundle_miss_rate": miss,
        "eligible_share": 0.8,
        "two_unit_intent": 0.8,
        "price_difference": {
            "name": "price_difference",
            "anchor": "order",
            "lag_hours": {"dist": "exponential", "mean": 12},
            "channel_mix": {"phone": 1.0},
            "refund_policy": "if_insist",
        },
    }
    data.update(extra)
    return Scenario.model_validate(data)


def means(s: Scenario, *keys: str) -> dict[str, float]:
    reps = run_scenario(s).replications
    return {k: float(np.mean([r.overall[k] for r in reps])) for k in keys}


def test_one_more_agent_never_lowers_csat_or_raises_bad_reviews() -> None:
    keys = ("csat_mean", "bad_reviews", "all.abandon_rate")
    lean, more = means(shop(agents=3), *keys), means(shop(agents=4), *keys)
    assert lean["all.abandon_rate"] > more["all.abandon_rate"]  # the change bites
    assert more["csat_mean"] >= lean["csat_mean"]
    assert more["bad_reviews"] <= lean["bad_reviews"]


def test_a_higher_miss_rate_never_lowers_refunds() -> None:
    low, high = means(shop(miss=0.03), "refunds_yuan"), means(shop(miss=0.08), "refunds_yuan")
    assert high["refunds_yuan"] >= low["refunds_yuan"]
    assert high["refunds_yuan"] > 0


def test_money_traces_to_counted_events() -> None:
    """Rebuild labour, refunds, GMV and net from the event log of one replication."""
    s = shop()
    e = s.economics
    streams = Streams(s.seed, 0)
    demand = generate(s, streams)
    res = simulate_center(s, demand.contacts, streams.issues)
    o = replication_metrics(s, demand.contacts, res, demand).overall
    c = res.contacts
    assert c is not None and res.refunded is not None
    horizon = s.calendar.horizon_seconds
    # labour: every answered contact's handle time inside the horizon, at the group's rate
    ans = res.outcome == ANSWERED
    start = res.answer_seconds[ans]
    end = np.minimum(start + c.handle_seconds[ans], horizon)
    rate = np.array([hourly_cost_yuan(e, g.name) for g in s.staffing.groups])[res.group[ans]]
    overtime = float((res.overtime[:, 2] - res.overtime[:, 1]).sum()) / 3600.0
    labour = float(((end - start) / 3600.0 * rate).sum()) + overtime * rate[0] * (
        e.overtime_premium - 1
    )
    assert o["labour_cost_yuan"] == pytest.approx(labour, rel=1e-9)
    # refunds: every refunded contact, at its reason's amount
    amount = np.array([r.refund_yuan for r in all_reasons(s)])
    refunds = float(amount[c.reason[res.refunded]].sum())
    assert refunds > 0 and o["refunds_yuan"] == pytest.approx(refunds)
    assert o["refunds"] == int(res.refunded.sum())
    assert amount[c.reasons.index("price_difference")] == 58.0  # P − X
    # GMV: each order placed in the horizon, at its expected revenue
    t = demand.order_seconds
    placed = (t >= 0) & (t < horizon)
    inside = order_margin(s, in_window=True, promotion_active=True)
    outside = order_margin(s, in_window=False, promotion_active=True)
    n_in = int((placed & demand.order_in_window).sum())
    gmv = n_in * inside.revenue_yuan + (int(placed.sum()) - n_in) * outside.revenue_yuan
    assert o["gmv_yuan"] == pytest.approx(gmv)
    # net: every yuan accounted for
    net = (
        o["gross_profit_yuan"]
        - o["labour_cost_yuan"]
        - o["platform_interventions"] * e.platform_intervention_cost_yuan
        - o["refunds_yuan"]
        - o["bad_reviews"] * e.value_of_bad_review_yuan
        - o["churned_customers"] * e.clv_margin_yuan
    )
    assert o["net_yuan"] == pytest.approx(net)
    assert math.isfinite(o["csat_mean"]) and 0 < o["csat_mean"] < 1


def test_the_promotion_effect_has_the_design_names() -> None:
    res = run_scenario(shop())
    effect = res.effect_summary
    assert effect is not None
    for key in (
        "promo_gross_profit_yuan",
        "net_impact_yuan",
        "service_cost_per_promo_order_yuan",
        "contacts",
        "refunds_yuan",
        "csat_mean",
        "bad_reviews",
    ):
        assert key in effect, key
    assert effect["net_impact_yuan"]["mean"] == pytest.approx(
        effect["promo_gross_profit_yuan"]["mean"]
        - effect["service_cost_yuan"]["mean"]
        - effect["refunds_yuan"]["mean"]
        - effect["bad_review_cost_yuan"]["mean"]
        - effect["churn_cost_yuan"]["mean"]
    )
