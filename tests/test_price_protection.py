"""价保 terms: the protected orders, the one-click share, the platform's rule and its money."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.config import PriceProtection, Scenario
from sim.demand import generate
from sim.experiment import run_arm
from sim.loading import PLATFORMS, ScenarioError, load_platform_pack
from sim.mechanics.price_protection import DEFAULT_WINDOW_DAYS, terms
from sim.rng import Streams
from tests.test_demand import SHIP, START, TRANSIT, build, marker, of, orders_of, reason

DAY, HOUR = 86400.0, 3600.0
DROP = START + dt.timedelta(days=20)
RATE = 0.3


def pack(**price_protection: Any) -> dict[str, Any]:
    """Tmall's pack as a mapping, its 价保 rule replaced by ``price_protection``."""
    data = load_platform_pack(PLATFORMS / "tmall.yaml").model_dump(exclude_none=True)
    data["price_protection"] = {"source": "price_protection_rule", **price_protection}
    if price_protection.get("self_service_share"):
        data["price_protection"]["share_source"] = "one_click_share"
    return data


def scenario(platform: dict[str, Any] | None, **promotion: Any) -> Scenario:
    """28 days of orders; a promotion on days 10–17; the price drops on day 20."""
    return build(
        calendar={"start": START, "days": 28},
        orders={"per_day": 600.0, "lead_in_days": 0},
        fulfilment={"ship_delay_hours": SHIP, "transit_delay_hours": TRANSIT},
        platform=platform,
        contact_reasons=[marker("placed", "order"), marker("delivered", "delivery")],
        promotion={
            "kind": "price_protection",
            "start": START + dt.timedelta(days=10),
            "end": START + dt.timedelta(days=17),
            "price_drop_at": DROP,
            "price_drop_yuan": 8.0,
            "claim_rate": RATE,
            "claim": reason(
                "price_protection",
                0.0,
                "price_drop",
                lag_hours={"dist": "exponential", "mean": 12},
                refund_policy="always",
            ),
            **promotion,
        },
    )


def claims(s: Scenario, seed: int = 11) -> tuple[dict[int, float], dict[int, float], set[int], int]:
    """Order times, delivery times, orders with a claim contact, and one-click claims."""
    d = generate(s, Streams(seed, 0))
    c = d.contacts

    def times(name: str) -> dict[int, float]:
        m = of(c, name)
        return dict(zip(orders_of(c, m).tolist(), c.arrival_seconds[m].tolist(), strict=True))

    served = sum(int(t.size) for t, _ in d.served)
    return times("placed"), times("delivered"), set(times("price_protection")), served


def poisson_binomial_z(hits: int, p: np.ndarray) -> float:
    return (hits - float(p.sum())) / math.sqrt(float((p * (1 - p)).sum()))


def test_terms_come_from_the_promotion_then_the_platform_then_defaults() -> None:
    bare = scenario(None)
    assert isinstance(bare.promotion, PriceProtection)
    k = terms(bare, bare.promotion)
    assert (k.window_days, k.anchor, k.after_promotion_days, k.self_service_share) == (
        DEFAULT_WINDOW_DAYS,
        "order",
        None,
        0.0,
    )
    rule = pack(
        window_days=7,
        anchor="receipt",
        after_promotion_days=10,
        max_days=20,
        one_click=True,
        self_service_share=0.4,
    )
    s = scenario(rule)
    assert isinstance(s.promotion, PriceProtection)
    k = terms(s, s.promotion)
    assert (k.window_days, k.anchor, k.after_promotion_days, k.max_days) == (7, "receipt", 10, 20)
    assert k.self_service_share == 0.4
    # a promotion that sets its own window sets the whole rule: no platform extension
    own = scenario(rule, claim_window_days=3.0, claim_anchor="order", self_service_share=0.0)
    assert isinstance(own.promotion, PriceProtection)
    k = terms(own, own.promotion)
    assert (k.window_days, k.anchor, k.after_promotion_days) == (3.0, "order", None)
    assert k.max_days is None
    assert k.self_service_share == 0.0


def test_orders_claim_while_protected_with_the_campaign_extension() -> None:
    """Order anchor, 5-day window, the promotion's orders until 4 days after its end (cap 9).

    Exactly the orders protected at the drop claim (an order outside never does), at the
    claim rate: the count of claimed orders among the protected is Poisson-binomial.
    """
    rule = pack(window_days=5, anchor="order", after_promotion_days=4, max_days=9)
    placed, _, claimed, served = claims(scenario(rule))
    drop = (DROP - START).total_seconds()
    start, end = 10 * DAY, 17 * DAY
    assert served == 0

    def protected(t: float) -> bool:
        until = t + 5 * DAY
        if start <= t < end:
            until = max(until, min(end + 4 * DAY, t + 9 * DAY))
        return t < drop and until > drop

    eligible = {o for o, t in placed.items() if protected(t)}
    assert claimed <= eligible
    # the extension matters: orders of the window older than 5 days before the drop claim
    assert any(placed[o] < drop - 5 * DAY for o in claimed)
    # claims arrive 12 h after the drop on average: those inside the horizon (8 days) count
    p_in = RATE * stats.expon(scale=12 * HOUR).cdf(28 * DAY - drop)
    z = poisson_binomial_z(len(claimed), np.full(len(eligible), p_in))
    assert abs(z) < stats.norm.ppf(1 - 0.01 / 2), f"claims z = {z:.2f}"


def test_a_receipt_anchor_protects_by_delivery() -> None:
    """From the receipt: an order placed before the drop and delivered after drop − 3 days."""
    placed, delivered, claimed, _ = claims(scenario(pack(window_days=3, anchor="receipt")))
    drop = (DROP - START).total_seconds()
    eligible = {
        o for o, t in placed.items() if t < drop and delivered.get(o, math.inf) + 3 * DAY > drop
    }
    assert claimed <= eligible
    # parcels still on their way at the drop are protected too, and some claim
    assert any(delivered.get(o, math.inf) > drop for o in claimed)
    # orders placed long before the drop whose parcel came late enough claim as well
    assert any(placed[o] < drop - 4 * DAY for o in claimed)


def test_one_click_claims_thin_the_contacts_exactly() -> None:
    """One uniform decides a claim and how it is made (common random numbers).

    With a one-click share the claim contacts are a subset of those without, and contacts +
    one-click claims are exactly the claims without it.
    """
    rule = {"window_days": 5, "anchor": "order", "one_click": True}
    _, _, all_claims, none = claims(scenario(pack(**rule)))
    _, _, by_contact, served = claims(scenario(pack(**rule, self_service_share=0.6)))
    assert none == 0
    assert by_contact < all_claims
    assert len(by_contact) + served == len(all_claims)
    # the split is binomial with the share
    z = (served - 0.6 * len(all_claims)) / math.sqrt(len(all_claims) * 0.6 * 0.4)
    assert abs(z) < stats.norm.ppf(1 - 0.01 / 2), f"one-click share z = {z:.2f}"


def test_one_click_claims_are_paid_and_counted_with_the_refunds() -> None:
    s = scenario(pack(window_days=5, anchor="order", one_click=True, self_service_share=0.5))
    o = run_arm(s, 0).overall
    assert o["self_service_refunds"] > 0
    assert o["self_service_refunds_yuan"] == pytest.approx(8.0 * o["self_service_refunds"])
    service = run_arm(s.model_copy(update={"platform": None}), 0).overall
    # the same claims without the button: every one is a contact, refunded when answered
    assert o["refunds"] - o["self_service_refunds"] < service["refunds"]
    assert "self_service_refunds" not in service
    base = run_arm(s, 0, "baseline").overall
    assert base["self_service_refunds"] == 0 and base["self_service_refunds_yuan"] == 0.0


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"self_service_share": 0.5}, "self_service_share: a share above 0 needs one_click"),
        ({"max_days": 30}, "max_days: caps after_promotion_days, which is not set"),
        ({"after_promotion_days": 3, "max_days": 2}, "max_days: below window_days"),
        ({"source": "nowhere"}, "price_protection.source: no source 'nowhere' in sources"),
    ],
)
def test_a_bad_price_protection_rule_says_where(
    tmp_path: Any, rule: dict[str, Any], message: str
) -> None:
    text = (PLATFORMS / "tmall.yaml").read_text(encoding="utf-8")
    head = text.split("\nprice_protection:")[0]
    block = {"window_days": 15, "source": "price_protection_rule", **rule}
    lines = "".join(f"  {k}: {v}\n" for k, v in block.items())
    path = tmp_path / "tmall.yaml"
    path.write_text(head + "\nprice_protection:\n" + lines, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_platform_pack(path)
    # file:line of the field the message names
    field = message.split(":")[0].removeprefix("price_protection.")
    line = path.read_text(encoding="utf-8").splitlines().index(f"  {field}: {block[field]}") + 1
    assert f"tmall.yaml:{line}: " in str(info.value)
    assert message in str(info.value)
