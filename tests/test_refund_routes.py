"""Refund routes: the agent time a granted refund adds, and the checks on a reason's route."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.center import simulate_center
from sim.config import Scenario
from sim.demand import generate
from sim.loading import PLATFORMS, load_platform_pack
from sim.rng import Streams
from tests.test_demand import START, build, reason

ROUTE_SECONDS = 90.0  # tmall's small_transfer


def scenario(route: str | None, policy: str = "if_insist", agents: int = 400) -> Scenario:
    rules = load_platform_pack(PLATFORMS / "tmall.yaml").model_dump(exclude_none=True)
    assert rules["refund_routes"]["small_transfer"]["handle_seconds"] == ROUTE_SECONDS
    fields: dict[str, Any] = {"refund_policy": policy, "refund_yuan": 5.0}
    if route is not None:
        fields["refund_route"] = route
    return build(
        calendar={"start": START, "days": 5},
        orders={"per_day": 400.0},
        platform=rules,
        staffing={
            "groups": [
                {
                    "name": "agents",
                    "channels": ["phone", "chat"],
                    "schedule": {"kind": "constant", "agents": agents},
                }
            ]
        },
        contact_reasons=[
            reason("price_difference", 0.3, resolution_probability=0.6, **fields),
            reason("wismo", 0.3),
        ],
    )


def served(s: Scenario) -> dict[tuple[int, int], tuple[float, bool, float]]:
    """Per (issue, attempt) of an answered contact: handle time, refunded, answer time."""
    r = simulate_center(s, generate(s, Streams(31, 0)).contacts)
    assert r.contacts is not None and r.issue is not None and r.attempt is not None
    assert r.refunded is not None
    answered = np.flatnonzero(~np.isnan(r.answer_seconds))
    return {
        (int(r.issue[i]), int(r.attempt[i])): (
            float(r.contacts.handle_seconds[i]),
            bool(r.refunded[i]),
            float(r.answer_seconds[i]),
        )
        for i in answered
    }


def test_a_granted_refund_holds_its_agent_for_the_route_too() -> None:
    """Exactly the contacts that grant a refund hold their agent the route's seconds longer.

    Agents enough that nobody waits: the same contacts, each answered on arrival.
    """
    plain, routed = served(scenario(None)), served(scenario("small_transfer"))
    firsts = [k for k in plain if k[1] == 0]
    assert firsts and all(k in routed for k in firsts)
    refunds = 0
    for k in firsts:
        handle, refunded, answer = plain[k]
        handle_r, refunded_r, answer_r = routed[k]
        assert (refunded_r, answer_r) == (refunded, answer)
        assert handle_r == (handle + ROUTE_SECONDS if refunded else handle)
        refunds += refunded
    # if_insist: some refund and some do not, so both branches are exercised
    assert 0 < refunds < len(firsts)


@pytest.mark.parametrize(
    ("route", "policy", "message"),
    [
        (
            "cheque",
            "always",
            "refund_route: unknown route 'cheque' (partial_refund, small_transfer, reship)",
        ),
        ("reship", "never", "refund_route: the reason never refunds (refund_policy: never)"),
    ],
)
def test_a_route_must_exist_and_refund(route: str, policy: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        scenario(route, policy)
    assert f"contact_reasons.0.{message}" in str(info.value)
