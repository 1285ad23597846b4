"""Metric definitions on hand-computed cases, and the level integrator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.center import simulate_center
from sim.config import Scenario, internal_channel
from sim.demand import Contacts
from sim.experiment import run_scenario
from sim.loading import load_scenario
from sim.metrics import GLOSSARY, glossary_key, overlap, replication_metrics
from sim.stats import describe, summarise, t_quantile
from tests.conftest import CONFIGS, tiny_scenario


def hand_contacts(arrivals: list[float], handle: list[float], patience: list[float]) -> Contacts:
    n = len(arrivals)
    return Contacts(
        arrival_seconds=np.array(arrivals, dtype=float),
        channel=np.zeros(n, dtype=np.int32),
        reason=np.zeros(n, dtype=np.int32),
        handle_seconds=np.array(handle, dtype=float),
        patience_seconds=np.array(patience, dtype=float),
        channels=("phone",),
        reasons=("general",),
    )


def one_agent(**calendar: Any) -> Scenario:
    data = tiny_scenario(calendar={"days": 1 / 24, "interval_minutes": 30, **calendar})
    data["staffing"]["groups"][0]["schedule"]["agents"] = 1
    return Scenario.model_validate(data)


def test_hand_computed_single_agent() -> None:
    s = one_agent()
    # three calls at 0, 10, 20 s of 100 s each; the third gives up after 150 s of waiting
    c = hand_contacts([0, 10, 20], [100, 100, 100], [np.inf, np.inf, 150])
    m = replication_metrics(s, c, simulate_center(s, c))
    o = m.overall
    assert (o["phone.offered"], o["phone.answered"], o["phone.abandoned"]) == (3, 2, 1)
    assert o["phone.abandon_rate"] == pytest.approx(1 / 3)
    assert o["phone.service_level"] == pytest.approx(1 / 3)  # only the first within 20 s
    assert o["phone.asa_seconds"] == pytest.approx((0 + 90) / 2)
    assert o["phone.mean_wait_seconds"] == pytest.approx((0 + 90 + 150) / 3)
    assert o["phone.aht_seconds"] == pytest.approx(100)
    assert o["phone.occupancy"] == pytest.approx(200 / 3600)
    assert o["phone.queue_length"] == pytest.approx((90 + 150) / 3600)
    assert o["agent_hours"] == pytest.approx(1.0)
    assert m.intervals["phone.offered"].tolist() == [3, 0]
    assert m.intervals["phone.queue_length"][0] == pytest.approx(240 / 1800)
    assert m.intervals["phone.occupancy"].tolist() == pytest.approx([200 / 1800, 0])
    assert np.isnan(m.intervals["phone.service_level"][1])  # nothing offered: no denominator
    assert np.isnan(m.intervals["phone.asa_seconds"][1])


def test_warmup_is_excluded_from_tallies_and_levels() -> None:
    s = one_agent(warmup_hours=0.25)  # 900 s
    # a long call from before the warm-up's end keeps the agent busy into the window
    c = hand_contacts([0, 1000], [1200, 100], [np.inf, np.inf])
    m = replication_metrics(s, c, simulate_center(s, c))
    o = m.overall
    assert o["phone.offered"] == 1  # the call at 0 s arrived in the warm-up
    assert o["phone.asa_seconds"] == pytest.approx(200)  # waited from 1000 s to 1200 s
    window = 3600 - 900
    assert o["phone.occupancy"] == pytest.approx((300 + 100) / window)
    assert o["phone.queue_length"] == pytest.approx(200 / window)
    assert o["agent_hours"] == pytest.approx(window / 3600)
    # the first interval is cut by the warm-up: its levels are over 900..1800 only
    assert m.interval_starts.tolist() == [0.0, 1800.0]
    assert m.intervals["phone.occupancy"][0] == pytest.approx((300 + 100) / 900)


def test_open_contacts_at_the_horizon() -> None:
    s = one_agent()
    c = hand_contacts([0, 3500], [3600, 10], [np.inf, np.inf])
    m = replication_metrics(s, c, simulate_center(s, c))
    o = m.overall
    assert (o["phone.answered"], o["phone.open"]) == (1, 1)
    assert o["phone.service_level"] == pytest.approx(1 / 2)
    assert o["phone.mean_wait_seconds"] == pytest.approx(0)  # the open one is excluded
    assert o["phone.queue_length"] == pytest.approx(100 / 3600)  # but it queued for 100 s


def test_glossary_covers_every_overall_metric() -> None:
    s = one_agent()
    c = hand_contacts([0], [10], [np.inf])
    m = replication_metrics(s, c, simulate_center(s, c))
    for key in m.overall:
        assert glossary_key(key) in GLOSSARY, key


spans = st.lists(
    st.tuples(st.floats(-50, 150), st.floats(0, 80), st.floats(0, 3)), min_size=0, max_size=40
)


@settings(max_examples=200, deadline=None)
@given(spans, st.lists(st.floats(0, 100), min_size=1, max_size=8, unique=True))
def test_overlap_matches_brute_force(
    items: list[tuple[float, float, float]], cuts: list[float]
) -> None:
    edges = np.array(sorted({0.0, 100.0, *cuts}))
    s = np.array([a for a, _, _ in items])
    e = np.array([a + d for a, d, _ in items])
    w = np.array([x for _, _, x in items])
    got = overlap(s, e, w, edges)
    ref = np.array(
        [
            float(
                np.sum(w * np.clip(np.minimum(e, edges[k + 1]) - np.maximum(s, edges[k]), 0, None))
            )
            for k in range(edges.size - 1)
        ]
    )
    assert got == pytest.approx(ref, abs=1e-9)


def test_describe_student_t_interval() -> None:
    d = describe([1.0, 2.0, 3.0, 4.0])
    assert d["mean"] == 2.5 and d["n"] == 4
    sd = float(np.std([1, 2, 3, 4], ddof=1))
    assert d["sd"] == pytest.approx(sd)
    half = 3.182446305284263 * sd / 2  # t(0.975, 3)
    assert d["ci95"] == pytest.approx([2.5 - half, 2.5 + half])
    assert describe([5.0]) == {"mean": 5.0, "n": 1}  # no spread from one value


def test_t_quantile_is_scipy_stats_t_ppf_exactly() -> None:
    """The cheaper import gives the same numbers, so every CI is byte-identical."""
    from scipy import stats

    for level in (0.9, 0.95, 0.99):
        for n in (2, 3, 5, 10, 20, 37, 200, 5000):
            assert t_quantile(level, n) == float(stats.t.ppf(0.5 + level / 2, n - 1))


def test_summarise_leaves_out_what_a_replication_lacks() -> None:
    out = summarise([{"a": 1.0, "b": 2.0}, {"a": 3.0}])
    assert out["a"]["n"] == 2 and out["b"] == {"mean": 2.0, "n": 1}


def test_all_channel_metrics_are_the_customer_facing_channels() -> None:
    """all.* leaves the team lead's call-back queue out, and moves as chat and phone do."""
    s = load_scenario(
        CONFIGS / "second_item_1yuan.yaml",
        ["calendar.start=2026-11-10T00:00:00", "calendar.days=2", "replications=3"],
    ).scenario
    assert s.journey.escalation_channel == "escalation"
    result = run_scenario(s)
    for arm in ("promotion", "baseline"):
        for r in result.arms[arm]:
            o = r.overall
            assert o["all.offered"] == o["chat.offered"] + o["phone.offered"]
            assert o["contacts"] == o["all.offered"] + o["escalation.offered"]
            facing = [(o[f"{c}.answered"], o[f"{c}.asa_seconds"]) for c in ("chat", "phone")]
            weighted = sum(n * a for n, a in facing) / sum(n for n, _ in facing)
            assert o["all.asa_seconds"] == pytest.approx(weighted, rel=1e-12)
    effect = result.effect_summary
    assert effect is not None
    for metric in ("asa_seconds", "service_level", "abandon_rate", "mean_wait_seconds"):
        signs = {np.sign(effect[f"{c}.{metric}"]["mean"]) for c in ("chat", "phone")}
        if len(signs) == 1:  # both customer-facing channels move one way: so does all
            assert np.sign(effect[f"all.{metric}"]["mean"]) in signs, metric


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    "stem", sorted(p.parent.name for p in GOLDEN.glob("*/summary.json") if p.parent.is_dir())
)
def test_all_channels_move_as_their_customer_facing_channels_in_the_bundled_runs(
    stem: str,
) -> None:
    """The bundled runs (their golden summaries, kept equal to a run by tests/test_golden.py).

    Where every customer-facing channel's ASA and service level move one way (promotion vs
    baseline), all.* moves that way too: the team lead's call-back queue, whose ASA is
    counted in hours, no longer pulls it the other way.
    """
    summary = json.loads((GOLDEN / stem / "summary.json").read_text(encoding="utf-8"))
    effect = summary.get("effect")
    if effect is None:
        pytest.skip("no promotion: no effect to compare")
    s = load_scenario(CONFIGS / f"{stem}.yaml").scenario
    facing = [c for c in s.channels if not internal_channel(s, c)]
    assert len(facing) < len(s.channels)  # the escalation queue is left out of all
    unanimous = 0
    for metric in ("asa_seconds", "service_level", "mean_wait_seconds", "abandon_rate"):
        signs = {np.sign(effect[f"{c}.{metric}"]["mean"]) for c in facing}
        if len(signs) == 1:
            unanimous += 1
            assert np.sign(effect[f"all.{metric}"]["mean"]) in signs, metric
    if stem == "second_item_1yuan":  # the flagship: chat and phone both wait longer
        assert unanimous >= 2


def test_a_scenario_without_orders_has_no_gmv_or_gross_profit() -> None:
    """No orders modelled: no denominator for sales, so GMV is absent rather than ¥0."""
    result = run_scenario(Scenario.model_validate(tiny_scenario()))
    assert "gmv_yuan" not in result.summary and "gross_profit_yuan" not in result.summary
    assert "net_yuan" in result.summary and "service_cost_yuan" in result.summary
