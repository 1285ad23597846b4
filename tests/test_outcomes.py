"""The outcomes stage: every per-issue outcome decided from the issue table and its uniforms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from sim.center import simulate_center
from sim.config import Scenario
from sim.demand import NEVER, Reason, all_reasons, generate
from sim.loading import load_text
from sim.metrics import replication_metrics
from sim.outcomes import CSAT_DRIVERS, IssueTable, decide, issue_table, satisfied
from sim.rng import Streams
from tests.conftest import tiny_scenario
from tests.test_cli import promo_scenario

DAY = 86400.0


def _reason(name: str, after_sale: bool, refund: float = 0.0) -> Reason:
    return Reason(name, 1.0, False, after_sale, (1.0,), NEVER, refund, None, (1.0,))


REASONS = [_reason("after_sale", True, 20.0), _reason("pre_sale", False)]


def _table(n: int, **columns: Any) -> IssueTable:
    """``n`` resolved one-contact issues without waits; ``columns`` override (as lists)."""
    base: dict[str, Any] = {
        "labour_yuan": np.zeros(n),
        "contacts": np.ones(n),
        "resolved": np.ones(n),
        "refunded": np.zeros(n),
        "first_wait": np.zeros(n),
        "total_wait": np.zeros(n),
        "escalated": np.zeros(n),
        "transfers": np.zeros(n),
        "abandoned_any": np.zeros(n),
        "switched": np.zeros(n),
        "first_channel": np.zeros(n, dtype=np.int64),
        "reason": np.zeros(n, dtype=np.int64),
        "ctype": np.zeros(n, dtype=np.int64),
        "first_arrival": np.full(n, 10 * DAY),
        "delivery": np.full(n, np.nan),
        "last_end": np.full(n, 10 * DAY + 600.0),
        "u_review": np.full(n, 0.999),
        "u_revise": np.full(n, 0.999),
        "u_churn": np.full(n, 0.999),
    }
    for key, value in columns.items():
        base[key] = np.asarray(value, dtype=base[key].dtype)
    return IssueTable(**base)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(tiny_scenario())


def test_a_bad_review_needs_the_platform_to_still_take_reviews(scenario: Scenario) -> None:
    # delivered 20 days before the contact: the 15-day review window has closed
    table = _table(3, u_review=[0.0] * 3, delivery=[np.nan, 9 * DAY, -10 * DAY])
    out = decide(scenario, REASONS, table)
    assert out.bad_review.tolist() == [True, True, False]


def test_a_bad_review_is_drawn_with_its_uniform(scenario: Scenario) -> None:
    out = decide(scenario, REASONS, _table(2, u_review=[0.001, 0.999]))
    assert out.bad_review.tolist() == [True, False]


def test_a_revision_needs_a_resolved_repeat_settled_in_time(scenario: Scenario) -> None:
    settled = 10 * DAY + 3600.0
    late = 10 * DAY + 31 * DAY
    table = _table(
        5,
        u_review=[0.0] * 5,
        u_revise=[0.0, 0.0, 0.0, 0.0, 0.999],
        contacts=[2, 1, 2, 2, 2],
        resolved=[1, 1, 0, 1, 1],
        last_end=[settled, settled, settled, late, settled],
    )
    out = decide(scenario, REASONS, table)
    assert out.bad_review.all()
    assert out.revised.tolist() == [True, False, False, False, False]


def test_only_after_sale_customers_churn(scenario: Scenario) -> None:
    out = decide(scenario, REASONS, _table(2, reason=[0, 1], u_churn=[0.0, 0.0]))
    assert out.churned.tolist() == [True, False]


def test_csat_and_its_drivers(scenario: Scenario) -> None:
    table = _table(2, first_wait=[0.0, 3600.0], contacts=[1, 3])
    out = decide(scenario, REASONS, table)
    assert out.p_satisfied[1] < out.p_satisfied[0]
    assert out.effort[1] > out.effort[0] == 1.0
    assert set(out.drivers) == set(CSAT_DRIVERS)
    touched, without = out.drivers["wait"]
    assert touched.tolist() == [False, True]
    assert without[1] > out.p_satisfied[1] and without[0] == out.p_satisfied[0]
    u = np.array([0.5, 0.5])
    assert satisfied(scenario, table, u).tolist() == (u < out.p_satisfied).tolist()


def test_the_tally_only_sums_the_outcomes() -> None:
    data: dict[str, Any] = promo_scenario()
    data["journey"] = {"repeat_probability": 0.5, "redial_probability": 0.5}
    data["staffing"]["groups"][0]["schedule"]["agents"] = 2
    data["satisfaction"] = {"p_bad_review_base": 0.2}  # enough reviews to count
    s = load_text(yaml.safe_dump(data)).scenario
    streams = Streams(s.seed, 0)
    demand = generate(s, streams)
    result = simulate_center(s, demand.contacts, streams.issues)
    assert result.contacts is not None  # first contacts and their follow-ups
    table = issue_table(s, result.contacts, result)
    assert table is not None and len(table) > 100
    out = decide(s, all_reasons(s), table)
    m = replication_metrics(s, demand.contacts, result, demand).overall
    n = len(table)
    assert m["issues"] == n
    assert m["csat_mean"] == pytest.approx(out.p_satisfied.mean())
    assert m["effort_mean"] == pytest.approx(out.effort.mean())
    assert out.bad_review.sum() > 0
    assert m["bad_reviews"] == out.bad_review.sum() - out.revised.sum()
    assert m["bad_reviews_revised"] == out.revised.sum()
    assert m["churned_customers"] == out.churned.sum()


def test_the_issue_table_counts_from_the_warm_up() -> None:
    s = load_text(yaml.safe_dump(promo_scenario())).scenario
    streams = Streams(s.seed, 0)
    demand = generate(s, streams)
    result = simulate_center(s, demand.contacts, streams.issues)
    assert result.contacts is not None
    every = issue_table(s, result.contacts, result, since=-np.inf)
    later = issue_table(s, result.contacts, result, since=DAY)
    assert every is not None and later is not None
    assert len(later) == int((every.first_arrival >= DAY).sum()) < len(every)
