"""The satisfaction, effort, review and churn functions against hand-computed values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.config import Retention, Satisfaction, Scenario
from sim.experiment import run_arm
from sim.metrics import CSAT_BANDS, CSAT_DRIVERS, csat_band
from sim.satisfaction import (
    OUTCOMES,
    bad_review_probability,
    churn_probability,
    effort_score,
    retention_probability,
    satisfaction_probability,
)
from tests.test_journey import order_scenario

C = Satisfaction()


def logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_resolved_at_once_without_waiting_is_about_85_percent() -> None:
    # b0 + b_resolved = -0.5 + 2.2 = 1.7 -> 0.8455: "~0.85 for a resolved, no-wait contact"
    p = satisfaction_probability(
        C,
        resolved=1,
        refund=0,
        first_wait_seconds=0,
        tolerance_seconds=180,
        contacts=1,
        escalated=0,
        abandoned_any=0,
    )
    assert float(p) == pytest.approx(logistic(1.7))
    assert 0.84 < float(p) < 0.85


def test_hand_computed_bad_issue() -> None:
    # unresolved, refunded, waited 5 min on phone (tolerance 60 s: 4 min over), 3 contacts,
    # escalated, one abandonment, an irritable customer (-0.5)
    x = -0.5 + 0 + 1.0 - 0.25 * 4 - 0.6 * 2 - 0.5 - 0.4 - 0.5
    p = satisfaction_probability(
        C,
        resolved=0,
        refund=1,
        first_wait_seconds=300,
        tolerance_seconds=60,
        contacts=3,
        escalated=1,
        abandoned_any=1,
        type_shift=-0.5,
    )
    assert float(p) == pytest.approx(logistic(x))


def test_each_extra_contact_costs_about_15_percent_relative() -> None:
    def p(contacts: int) -> float:
        return float(
            satisfaction_probability(
                C,
                resolved=1,
                refund=0,
                first_wait_seconds=0,
                tolerance_seconds=60,
                contacts=contacts,
                escalated=0,
                abandoned_any=0,
            )
        )

    assert 0.05 < 1 - p(2) / p(1) < 0.2  # SQM: about 15% per extra contact [B]


def test_satisfaction_is_monotone_and_vectorised() -> None:
    waits = np.array([0, 60, 180, 600, 1800])
    p = satisfaction_probability(
        C,
        resolved=1,
        refund=0,
        first_wait_seconds=waits,
        tolerance_seconds=180,
        contacts=1,
        escalated=0,
        abandoned_any=0,
    )
    assert p.shape == (5,)
    assert p[0] == p[1] == p[2]  # inside the tolerance: no penalty
    assert np.all(np.diff(p[2:]) < 0)


def test_effort_score_hand_computed_and_capped() -> None:
    # 2 contacts, 1 transfer, 10 min total wait with 3 min tolerance, a channel switch
    e = effort_score(
        contacts=2, transfers=1, total_wait_seconds=600, tolerance_seconds=180, channel_switch=1
    )
    assert float(e) == pytest.approx(1 + 0.5 + 0.7 + 0.5 * 420 / 300 + 1)
    assert (
        float(
            effort_score(
                contacts=20,
                transfers=5,
                total_wait_seconds=1e5,
                tolerance_seconds=0,
                channel_switch=1,
            )
        )
        == 5.0
    )
    assert (
        float(
            effort_score(
                contacts=1, transfers=0, total_wait_seconds=0, tolerance_seconds=0, channel_switch=0
            )
        )
        == 1.0
    )


def test_bad_review_hand_computed() -> None:
    assert float(bad_review_probability(C, satisfied=1)) == pytest.approx(0.006)
    # dissatisfied price-difference case: 0.006 * e^3.5 * 1.5 = 0.2981
    p = float(bad_review_probability(C, satisfied=0, reason_factor=1.5))
    assert p == pytest.approx(0.006 * math.exp(3.5) * 1.5)
    assert 0.29 < p < 0.30
    assert float(bad_review_probability(C, satisfied=0, type_factor=100)) == C.bad_review_cap


def test_retention_reproduces_the_tarp_table_at_its_columns() -> None:
    t = Retention()
    for o, name in enumerate(OUTCOMES):
        lo, hi = getattr(t, name)
        assert float(retention_probability(t, o, 35.0)) == pytest.approx(lo)
        assert float(retention_probability(t, o, 700.0)) == pytest.approx(hi)
    # halfway in log(loss): sqrt(35*700) -> the mean of the two columns
    mid = math.sqrt(35 * 700)
    assert float(retention_probability(t, 2, mid)) == pytest.approx((0.70 + 0.54) / 2)
    assert float(churn_probability(t, 3, 35.0)) == pytest.approx(0.05)
    # beyond the table: clipped, never outside [0, 1]
    r = retention_probability(t, np.arange(4), np.full(4, 1e7))
    assert np.all((r >= 0) & (r <= 1))


def test_a_better_outcome_never_lowers_retention() -> None:
    t = Retention()
    for loss in (10.0, 35.0, 100.0, 700.0, 2000.0):
        r = retention_probability(t, np.arange(4), np.full(4, loss))
        assert np.all(np.diff(r) >= 0), loss


# --------------------------------------------------------------------------- CSAT breakdown


def _busy_journey(**satisfaction: float) -> dict[str, Any]:
    """Orders with repeats, redials and escalation on too few agents: every driver at work."""
    data = order_scenario(
        repeat_probability=0.5,
        redial_probability=0.5,
        escalation_probability=0.3,
        escalation_channel="chat",
    )
    data.update(calendar={"days": 2}, replications=1, orders={"per_day": 4000})
    data["contact_reasons"][0].update(rate_per_order=0.2, channel_mix={"phone": 1.0})
    data["channels"]["phone"]["patience_seconds"] = {"dist": "exponential", "mean": 240}
    data["channels"]["chat"]["handle_time_seconds"]["mean"] = 400
    data["staffing"]["groups"][0]["schedule"]["agents"] = 6
    data["staffing"]["groups"][1]["schedule"]["agents"] = 3
    if satisfaction:
        data["satisfaction"] = satisfaction
    return data


def test_csat_breakdown_is_a_distribution_and_drivers_cost_what_the_model_says() -> None:
    m = run_arm(Scenario.model_validate(_busy_journey()), 0, "promotion").overall
    bands = [m[f"csat_dist.{csat_band(k)}"] for k in range(CSAT_BANDS)]
    assert sum(bands) == pytest.approx(1.0)
    assert sum(b > 0 for b in bands) >= 3  # a spread, not one lump
    # every issue's probability lies within half a band of its band's middle, so the
    # bands' weighted middles are within half a band of the mean
    middles = [(k + 0.5) / CSAT_BANDS for k in range(CSAT_BANDS)]
    spread = sum(b * x for b, x in zip(bands, middles, strict=True)) - m["csat_mean"]
    assert abs(spread) <= 0.5 / CSAT_BANDS
    for driver in CSAT_DRIVERS:
        # every driver touched some issue here, and removing it can only raise satisfaction
        assert 0.0 < m[f"issues_with.{driver}"] < 1.0, driver
        assert m[f"csat_lost.{driver}"] > 0.0, driver


def test_a_driver_with_no_weight_costs_nothing_and_others_are_unchanged() -> None:
    base = run_arm(Scenario.model_validate(_busy_journey()), 0, "promotion").overall
    free = run_arm(
        Scenario.model_validate(_busy_journey(b_wait_per_minute=0.0)), 0, "promotion"
    ).overall
    # the same contacts and waits (satisfaction does not feed back into the queue) ...
    assert free["issues_with.wait"] == base["issues_with.wait"] > 0
    # ... but waiting now costs nothing, and CSAT rises by exactly what it used to cost
    assert free["csat_lost.wait"] == pytest.approx(0.0, abs=1e-15)
    assert free["csat_mean"] - base["csat_mean"] == pytest.approx(base["csat_lost.wait"])
    for driver in ("repeat", "unresolved", "escalation", "abandonment"):
        assert free[f"issues_with.{driver}"] == base[f"issues_with.{driver}"], driver


def test_daily_abandoned_and_redials_add_up_to_the_run_totals() -> None:
    m = run_arm(Scenario.model_validate(_busy_journey()), 0, "promotion")
    assert m.daily["abandoned"].sum() == m.overall["all.abandoned"] > 0
    assert m.daily["redials"].sum() == m.overall["redials"] > 0
    assert m.daily["abandoned"].size == m.daily["contacts"].size
