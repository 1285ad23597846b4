"""The bundled scenarios run, and their numbers move the way their parameters say."""

from __future__ import annotations

import pytest

from sim.experiment import RunResult, run_scenario
from sim.loading import load_scenario
from tests.conftest import CONFIGS


def run(name: str, replications: int) -> RunResult:
    return run_scenario(load_scenario(CONFIGS / name, [f"replications={replications}"]).scenario)


@pytest.mark.slow
def test_auto_applying_the_bundle_cuts_the_deals_contacts_refunds_and_reviews() -> None:
    manual = run("second_item_1yuan.yaml", 2).effect_summary
    auto = run("second_item_1yuan_autoapply.yaml", 2).effect_summary
    assert manual is not None and auto is not None

    def m(effect: dict[str, dict[str, float]] | object, key: str) -> float:
        assert isinstance(effect, dict)
        return float(effect[key]["mean"])

    # price-difference contacts scale with the miss rate: 0.005 against typical 0.03
    ratio = m(auto, "contacts.price_difference") / m(manual, "contacts.price_difference")
    assert 0.08 < ratio < 0.3
    # rule questions halve (auto_apply_rule_question_factor 0.5): the deal's contacts halve
    assert m(auto, "promo_contacts") < 0.6 * m(manual, "promo_contacts")
    assert m(auto, "refunds_yuan") < m(manual, "refunds_yuan")
    assert m(auto, "bad_reviews") < m(manual, "bad_reviews")
    assert m(auto, "csat_mean") > m(manual, "csat_mean")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["threshold_discount.yaml", "flash_sale.yaml", "price_protection.yaml"]
)
def test_each_mechanic_brings_its_own_contacts(name: str) -> None:
    res = run(name, 1)
    effect = res.effect_summary
    assert effect is not None
    assert effect["promo_contacts"]["mean"] > 0
    assert effect["orders"]["mean"] >= 0
    assert "net_impact_yuan" in effect and "csat_mean" in res.summary
