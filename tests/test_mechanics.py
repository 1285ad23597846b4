"""Promotion mechanics: the registry, the protocol's defaults, and a toy mechanic end to end.

The toy (赠品, a free gift with every order in the window; some gifts go missing and their
buyers ask for them) is defined here, model and mechanic, as a new mechanic's module would
define them: registering it is all it takes for a scenario of its ``kind`` to load, run both
arms, price its orders and write its event log, with no other file of ``sim/`` changed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal, get_args

import numpy as np
import pytest
import yaml

import sim.mechanics as mechanics
from sim.config import (
    ContactReason,
    Probability,
    Promotion,
    PromotionBase,
    Scenario,
    Yuan,
    scenario_json_schema,
)
from sim.economics import order_margin
from sim.experiment import event_log_of, run_scenario
from sim.loading import ScenarioError, load_text
from sim.mechanics import Mechanic, OrderMargin, mechanic_of, promotion_reasons
from sim.mechanics.base import pick
from tests.conftest import CONFIGS
from tests.test_cli import promo_scenario

# ---------------------------------------------------------------- the toy mechanic's module


class FreeGift(PromotionBase):
    """赠品: every order in the window gets a gift; a missing gift may bring a contact."""

    kind: Literal["free_gift"]
    gift_cost_yuan: Yuan = 5.0
    gift_value_yuan: Yuan = 12.0
    missing_rate: Probability = 0.2
    contact_probability: Probability = 0.5
    gift_missing: ContactReason | None = None


class Gift(Mechanic[FreeGift]):
    """The toy's behaviour: one reason, its rate and stake, and the gift's cost."""

    model = FreeGift

    def reasons(
        self, promotion: FreeGift, channels: tuple[str, ...]
    ) -> list[tuple[str, ContactReason]]:
        """``gift_missing``: the order page shows no gift; refunded if the customer insists."""
        out: list[tuple[str, ContactReason]] = []
        pick(
            out,
            channels,
            "gift_missing",
            promotion.gift_missing,
            anchor="order",
            lag_hours={"dist": "exponential", "mean": 2},
            refund_policy="if_insist",
        )
        return out

    def rate(self, promotion: FreeGift, field: str) -> float:
        """Missing gifts × their contact probability."""
        return promotion.missing_rate * promotion.contact_probability

    def stake_yuan(self, promotion: FreeGift, field: str, price: float) -> float:
        """The gift's value."""
        return promotion.gift_value_yuan

    def margin(
        self, promotion: FreeGift, price: float, unit_cost: float, fulfilment: float
    ) -> OrderMargin:
        """Full price; the gift adds to the cost."""
        cost = unit_cost + fulfilment + promotion.gift_cost_yuan
        return OrderMargin(revenue_yuan=price, cost_yuan=cost, units=1.0)


MECHANIC = Gift()

# ---------------------------------------------------------------- tests


@pytest.fixture
def free_gift() -> Iterator[Gift]:
    mechanics.register(MECHANIC)
    try:
        yield MECHANIC
    finally:
        mechanics.unregister("free_gift")


def gift_scenario() -> dict[str, Any]:
    data: dict[str, Any] = promo_scenario()
    data["replications"] = 2
    data["orders"] = {**data["orders"], "item_price_yuan": 59, "unit_cost_yuan": 20}
    data["promotion"] = {
        "kind": "free_gift",
        "start": "2026-11-03T00:00:00",
        "end": "2026-11-04T12:00:00",
        "order_uplift": 1.5,
        "missing_rate": 0.1,
    }
    return data


def test_a_toy_mechanic_loads_runs_and_is_priced(free_gift: Gift) -> None:
    scenario = load_text(yaml.safe_dump(gift_scenario())).scenario
    assert isinstance(scenario.promotion, FreeGift)
    assert mechanic_of(scenario.promotion) is free_gift
    reasons = promotion_reasons(scenario.promotion, tuple(scenario.channels))
    assert [field for field, _ in reasons] == ["gift_missing"]

    result = run_scenario(scenario, workers=1)
    promo = result.summary
    base = result.baseline_summary
    assert base is not None and result.effect_summary is not None
    # its reason fires in the promotion arm only, at about its rate per order in the window
    assert promo["contacts.gift_missing"]["mean"] > 0
    assert base["contacts.gift_missing"]["mean"] == 0
    rate = free_gift.rate(scenario.promotion, "gift_missing")
    per_order = promo["contacts.gift_missing"]["mean"] / promo["orders_in_window"]["mean"]
    assert per_order == pytest.approx(rate, rel=0.5)
    # its margin prices the orders in the window: the gift is a cost, the price is full
    inside = order_margin(scenario, in_window=True, promotion_active=True)
    assert scenario.orders is not None
    plain = scenario.orders.unit_cost_yuan + scenario.economics.fulfilment_cost_per_order_yuan
    assert inside == OrderMargin(scenario.orders.item_price_yuan, plain + 5.0, 1.0)
    rep = result.arms["promotion"][0].overall
    outside = order_margin(scenario, in_window=False, promotion_active=True)
    n_in, n = rep["orders_in_window"], rep["orders"]
    expected_goods = n_in * inside.cost_yuan + (n - n_in) * outside.cost_yuan
    assert rep["gmv_yuan"] - rep["gross_profit_yuan"] == pytest.approx(expected_goods)
    # a refunded missing gift pays its value (the mechanic's money at stake)
    assert rep["refunds"] > 0
    assert rep["refunds_yuan"] == pytest.approx(rep["refunds"] * 12.0)


def test_a_toy_mechanic_writes_its_event_log(free_gift: Gift) -> None:
    scenario = load_text(yaml.safe_dump(gift_scenario())).scenario
    log = event_log_of(scenario)
    orders = list(csv.DictReader(io.StringIO(log.orders_csv)))
    flagged = [o for o in orders if o["promotion"] == "1"]
    assert flagged and all(o["items"] == "1" and o["amount_yuan"] == "59.00" for o in flagged)
    contacts = list(csv.DictReader(io.StringIO(log.contacts_csv)))
    assert any(c["reason"] == "gift_missing" for c in contacts)


def test_an_unregistered_kind_does_not_load_and_the_schema_is_unchanged() -> None:
    before = json.dumps(scenario_json_schema())
    mechanics.register(MECHANIC)
    try:
        assert "free_gift" in json.dumps(scenario_json_schema())
        with pytest.raises(ValueError, match="exists"):
            mechanics.register(MECHANIC)
    finally:
        mechanics.unregister("free_gift")
    assert json.dumps(scenario_json_schema()) == before
    assert "free_gift" not in before
    with pytest.raises(ScenarioError, match="free_gift"):
        load_text(yaml.safe_dump(gift_scenario()))


def test_every_promotion_model_has_its_mechanic() -> None:
    models = get_args(get_args(Promotion)[0])  # the union inside Annotated
    found = mechanics.mechanics()
    assert {mechanics.kind_of(m) for m in models} == set(found)
    for kind, mechanic in found.items():
        assert mechanics.kind_of(mechanic.model) == kind


def test_the_protocol_defaults_are_a_promotion_that_changes_nothing() -> None:
    """A mechanic that overrides nothing: no reasons, flat order rate, full price."""

    class Plain(PromotionBase):
        kind: Literal["plain"]

    class Nothing(Mechanic[Plain]):
        model = Plain

    s = Scenario.model_validate(
        {**promo_scenario(), "promotion": None, "orders": {"per_day": 10, "lead_in_days": 0}}
    )
    p = Plain(kind="plain", start=s.calendar.start, end=s.calendar.start.replace(day=4))
    m = Nothing()
    assert m.reasons(p, ("chat",)) == []
    assert m.rate(p, "any") == 0.0
    assert m.order_multiplier(s, p, np.zeros(3)) is None
    assert m.anchors(s, p) == {}
    assert m.stake_yuan(p, "any", 59.0) == 0.0
    assert m.margin(p, 59.0, 20.0, 3.0) == OrderMargin(59.0, 23.0, 1.0)
    items, amount = m.order_amounts(p, 59.0, np.array([True, False]), np.array([0.1, 0.9]))
    assert items.tolist() == [1, 1] and amount.tolist() == [59.0, 59.0]
    assert m.effect_figures(s, {}, {}) == {}


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_promotions_find_their_mechanic(path: Any) -> None:
    from sim.loading import load_scenario

    scenario = load_scenario(path).scenario
    if scenario.promotion is None:
        return
    mechanic = mechanic_of(scenario.promotion)
    assert isinstance(scenario.promotion, mechanic.model)
    assert promotion_reasons(scenario.promotion, tuple(scenario.channels))
