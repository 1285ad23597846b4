"""Streaming: a replication simulated and counted a day at a time is the same replication.

``run_arm`` draws contacts a segment ahead (``DemandStream``), runs the engine segment by
segment handing out the issues that are over (``stream_center``) and counts them as they
come (``Tally``). Every contact must meet the same fate as in the one-piece run
(``generate`` + ``simulate_center``), every count must be the same and every mean the same to
rounding; and memory must not grow with the horizon's contacts.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import sim.center
from sim.center import FIRST, CenterResult, simulate_center, stream_center
from sim.config import Scenario
from sim.demand import Contacts, generate, orders_by_day
from sim.eventlog import ContactLines
from sim.experiment import DemandMemo, Runner, arms_of, event_log_of, run_arm
from sim.loading import load_scenario
from sim.metrics import ReplicationMetrics, Tally, overlap, replication_metrics
from sim.rng import Streams
from tests.conftest import BUNDLED_RUNS, CONFIGS, bundled_run, tiny_scenario
from tests.test_center import scenarios


def slices(c: Contacts) -> Callable[[float], Contacts]:
    """``take(before)`` over contacts drawn in one piece."""
    done = 0

    def take(before: float) -> Contacts:
        nonlocal done
        end = len(c) if before == math.inf else int(np.searchsorted(c.arrival_seconds, before))
        cut = slice(done, end)
        done = end
        return dataclasses.replace(
            c,
            **{
                f.name: getattr(c, f.name)[cut]
                for f in dataclasses.fields(c)
                if isinstance(getattr(c, f.name), np.ndarray)
            },
        )

    return take


def fates(r: CenterResult) -> dict[str, NDArray[Any]]:
    """Every contact's columns, in the order of (issue key, attempt): the same in any run."""
    c = r.contacts
    assert c is not None and c.issue_key is not None and r.attempt is not None
    assert r.issue is not None
    cols: dict[str, NDArray[Any]] = {
        "arrival": c.arrival_seconds,
        "channel": c.channel,
        "reason": c.reason,
        "handle": c.handle_seconds,
        "patience": c.patience_seconds,
        "decide": c.decide if c.decide is not None else np.zeros(len(c)),
        "outcome": r.outcome,
        "answer": r.answer_seconds,
        "leave": r.leave_queue_seconds,
        "agent": r.agent,
        "group": r.group,
        "units": r.units,
        "issue_first_arrival": c.arrival_seconds[r.issue],
    }
    for name in ("kind", "attempt", "resolved", "refunded", "platform"):
        cols[name] = getattr(r, name)
    key = c.issue_key
    order = np.lexsort((r.attempt, key))
    return {"key": key[order]} | {k: v[order] for k, v in cols.items()}


def streamed(
    scenario: Scenario, contacts: Contacts, streams: Streams, segment: float, batch: int
) -> list[CenterResult]:
    return list(stream_center(scenario, slices(contacts), streams.issues, segment, batch))


def concatenated(results: list[CenterResult]) -> dict[str, NDArray[Any]]:
    parts = [fates(r) for r in results]
    whole = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((whole["attempt"], whole["key"]))
    return {k: v[order] for k, v in whole.items()}


def rows(a: NDArray[np.float64]) -> NDArray[np.float64]:
    return a[np.lexsort(a.T[::-1])] if a.size else a


def assert_same_fates(scenario: Scenario, replication: int, segment: float, batch: int) -> int:
    """Stream one replication in segments; return how many results were handed out.

    ``batch`` 0 hands out at the end of every segment; more leaves follow-ups between the
    inputs fed in the meantime.
    """
    streams = Streams(scenario.seed, replication)
    contacts = generate(scenario, streams).contacts
    whole = simulate_center(scenario, contacts, streams.issues)
    parts = streamed(scenario, contacts, Streams(scenario.seed, replication), segment, batch)
    for r in parts:
        # whole issues: every contact's issue starts in the same result, with its first contact
        assert r.issue is not None and r.kind is not None
        assert np.all(r.kind[r.issue] == FIRST)
    want, got = fates(whole), concatenated(parts)
    for name, a in want.items():
        np.testing.assert_array_equal(a, got[name], err_msg=name)
    assert whole.ghosts is not None
    ghosts = np.concatenate([r.ghosts for r in parts if r.ghosts is not None])
    np.testing.assert_array_equal(rows(whole.ghosts), rows(ghosts))
    np.testing.assert_array_equal(whole.overtime, parts[-1].overtime)
    np.testing.assert_array_equal(whole.spells, parts[-1].spells)
    assert all(r.overtime.size == 0 for r in parts[:-1])
    return len(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.sampled_from([900.0, 3600.0, 4321.5, 86400.0]), st.sampled_from([0, 7, 60]))
def test_every_contact_meets_the_same_fate_streamed(
    data: dict[str, Any], segment: float, batch: int
) -> None:
    """Queues, priorities, chats, shifts, silent abandoners, redials and repeats alike."""
    assert_same_fates(Scenario.model_validate(data), 0, segment, batch)


@pytest.mark.parametrize("name", ["second_item_1yuan.yaml", "price_protection.yaml"])
def test_bundled_scenarios_stream_contact_by_contact(name: str) -> None:
    scenario = load_scenario(CONFIGS / name, ["calendar.days=8"]).scenario
    assert assert_same_fates(scenario, 1, 86400.0, 0) == 8
    assert assert_same_fates(scenario, 1, 3 * 3600.0, 0) == 64
    assert 3 <= assert_same_fates(scenario, 1, 3 * 3600.0, 2000) < 64


def one_piece(scenario: Scenario, replication: int, arm: Any) -> ReplicationMetrics:
    streams = Streams(scenario.seed, replication)
    demand = generate(scenario, streams, arm)
    result = simulate_center(scenario, demand.contacts, streams.issues)
    return replication_metrics(scenario, demand.contacts, result, demand)


def assert_same_metrics(a: ReplicationMetrics, b: ReplicationMetrics) -> None:
    """Counts equal, means equal to rounding (sums are added in another order)."""
    assert list(a.overall) == list(b.overall)
    for key, x in a.overall.items():
        y = b.overall[key]
        assert type(x) is type(y), key
        if isinstance(x, int):
            assert x == y, key
        else:
            assert y == pytest.approx(x, rel=1e-11, abs=1e-12), key
    assert list(a.intervals) == list(b.intervals) and list(a.daily) == list(b.daily)
    for key, v in a.intervals.items():
        np.testing.assert_allclose(b.intervals[key], v, rtol=1e-11, atol=1e-9, err_msg=key)
    for key, v in a.daily.items():
        np.testing.assert_array_equal(b.daily[key], v, err_msg=key)
    np.testing.assert_array_equal(a.interval_starts, b.interval_starts)


@BUNDLED_RUNS
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_streamed_replication_has_the_one_piece_metrics(path: Any) -> None:
    """Replication 1 of the bundled run (streamed, :func:`run_arm`) against one piece.

    The streamed side is the run the golden files read (``bundled_run``: replications 0
    and 1), not simulated again; replication 1 does not depend on how many there are.
    """
    loaded, result = bundled_run(path.stem, 2)  # the golden files' runs (one cache key)
    scenario = loaded.scenario
    assert result.scenario.replications >= 2
    for arm in arms_of(scenario):
        assert_same_metrics(one_piece(scenario, 1, arm), result.arms[arm][1])


def test_the_tally_counts_each_contact_once() -> None:
    """Fed the same contacts twice, every count doubles: nothing is kept or lost between adds."""
    scenario = load_scenario(CONFIGS / "baseline.yaml", ["calendar.days=3"]).scenario
    streams = Streams(scenario.seed, 0)
    demand = generate(scenario, streams)
    result = simulate_center(scenario, demand.contacts, streams.issues)
    once, twice = Tally(scenario), Tally(scenario)
    once.add(result)
    twice.add(result)
    twice.add(result)
    a, b = once.finish(result), twice.finish(result)
    for key in ("all.offered", "all.answered", "issues", "redials", "bad_reviews"):
        assert b.overall[key] == 2 * a.overall[key] > 0, key
    assert b.overall["all.asa_seconds"] == pytest.approx(a.overall["all.asa_seconds"])
    assert b.overall["csat_mean"] == pytest.approx(a.overall["csat_mean"])
    np.testing.assert_allclose(b.intervals["chat.offered"], 2 * a.intervals["chat.offered"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-5000, 90000), st.floats(0, 40000), st.floats(0, 3)),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([0, 1, 5]),
)
def test_overlap_over_the_bins_reached_is_overlap_over_all_bins(
    spans: list[tuple[float, float, float]], warmup_hours: int
) -> None:
    """``Tally._overlap`` works on the bins the spans reach: the same bits there.

    Elsewhere it leaves 0 where ``overlap`` over every bin carries the rounding residue of its
    running sum (+w … −w) on to the end.
    """
    data = tiny_scenario(calendar={"days": 1, "warmup_hours": warmup_hours})
    tally = Tally(Scenario.model_validate(data))
    s = np.array([a for a, _, _ in spans])
    e = s + np.array([b for _, b, _ in spans])
    w = np.array([c for _, _, c in spans])
    out = np.zeros(tally.edges.size - 1)
    tally._overlap(out, s, e, w)
    full = overlap(s, e, w, tally.edges)
    reached = out != 0
    np.testing.assert_array_equal(out[reached], full[reached])
    assert np.all(np.abs(full[~reached]) < 1e-9)


def peak_traced(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_the_horizon_contacts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four times the days and contacts (≈ 4,000 → 16,000): only the series grow.

    One-piece, every contact is kept to the end: the peak grows by ≈ 1.2 kB a contact.
    Streamed, the engine holds the open issues and at most a batch of others (made small
    here, so that a short run has many); what still grows with the 30 more days is per
    interval, hour or day — the metrics' series of 1,440 more half-hour intervals, the
    schedule's hourly actions —: ≈ 1.1 MB measured.
    """
    monkeypatch.setattr(sim.center, "BATCH_CONTACTS", 1000)
    peaks = {}
    for days in (10, 40):
        scenario = load_scenario(CONFIGS / "baseline.yaml", [f"calendar.days={days}"]).scenario
        peaks[days] = (
            peak_traced(lambda s=scenario: run_arm(s, 0)),  # type: ignore[misc]
            peak_traced(lambda s=scenario: one_piece(s, 0, "promotion")),  # type: ignore[misc]
        )
    streamed_growth = peaks[40][0] - peaks[10][0]
    one_piece_growth = peaks[40][1] - peaks[10][1]
    assert one_piece_growth > 10e6  # the test can tell them apart
    assert streamed_growth < 1.5e6, peaks


def test_the_event_log_streamed_is_the_event_log_in_one_piece(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """contacts.csv made as issues are handed out equals the one made from one result.

    Many small batches, so that rows wait for earlier arrivals of issues still open;
    orders.csv, made a day at a time, is sorted and whole.
    """
    scenario = load_scenario(CONFIGS / "second_item_1yuan.yaml", ["calendar.days=6"]).scenario
    monkeypatch.setattr(sim.center, "BATCH_CONTACTS", 500)
    log = event_log_of(scenario)
    streamed_text = log.contacts_csv
    lines = ContactLines(scenario, Streams(scenario.seed, 0))
    streams = Streams(scenario.seed, 0)
    first = lines.inputs(generate(scenario, streams).contacts)
    result = simulate_center(scenario, first, streams.issues)
    assert streamed_text == lines.header() + lines.add(result) + lines.close()
    rows = streamed_text.splitlines()
    assert len(rows) > 3000
    ids = [int(r.split(",", 1)[0]) for r in rows[1:]]
    assert ids == list(range(1, len(rows)))
    orders = log.orders_csv.splitlines()[1:]
    created = [r.split(",")[1] for r in orders]
    assert created == sorted(created)
    placed = sum(rows.id.size for _, rows in orders_by_day(scenario, Streams(scenario.seed, 0)))
    assert len(orders) == placed


def _bytes(m: ReplicationMetrics) -> bytes:
    return pickle.dumps(m)


def _other_staffing(data: dict[str, Any]) -> dict[str, Any]:
    """The same scenario with other agents: a constant 4 in every group."""
    other = copy.deepcopy(data)
    for g in other["staffing"]["groups"]:
        g["schedule"] = {"kind": "constant", "agents": 4}
    return other


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_a_memo_replays_the_demand_a_staffing_change_leaves_alone(data: dict[str, Any]) -> None:
    """A replication run on remembered demand is the replication run on drawn demand."""
    first = Scenario.model_validate(data)
    second = Scenario.model_validate(_other_staffing(data))
    memo = DemandMemo()
    assert _bytes(run_arm(first, 0, "promotion", memo)) == _bytes(run_arm(first, 0))
    assert _bytes(run_arm(second, 0, "promotion", memo)) == _bytes(run_arm(second, 0))
    assert (memo.misses, memo.hits) == (1, 1)


@pytest.mark.parametrize("name", ["second_item_1yuan.yaml", "price_protection.yaml"])
def test_a_memo_replays_bundled_scenarios_bit_for_bit(name: str) -> None:
    """Orders, pre-sale inquiries, bots and both arms: the same metrics, and the tally too."""
    scenario = load_scenario(CONFIGS / name, ["calendar.days=8"]).scenario
    memo = DemandMemo()
    for arm in arms_of(scenario):
        want = _bytes(run_arm(scenario, 1, arm))
        assert _bytes(run_arm(scenario, 1, arm, memo)) == want
        assert _bytes(run_arm(scenario, 1, arm, memo)) == want
    assert memo.hits == memo.misses == len(arms_of(scenario))


def test_a_memo_keys_on_everything_but_the_staffing() -> None:
    data = tiny_scenario()
    memo = DemandMemo()
    base = Scenario.model_validate(data)
    memo.demand(base, 0, "promotion")
    same = [
        Scenario.model_validate(_other_staffing(data)),
        Scenario.model_validate(tiny_scenario(replications=9)),
    ]
    other = [
        Scenario.model_validate(tiny_scenario(seed=8)),
        Scenario.model_validate(
            tiny_scenario(
                arrivals=[{"kind": "poisson", "channel": "phone", "contacts_per_hour": 31}]
            )
        ),
    ]
    for s in same:
        memo.demand(s, 0, "promotion")
    assert (memo.hits, memo.misses) == (2, 1)
    for s in other:
        memo.demand(s, 0, "promotion")
    memo.demand(base, 1, "promotion")
    assert (memo.hits, memo.misses) == (2, 4)


def test_a_memo_forgets_the_least_recently_used_beyond_its_bytes() -> None:
    scenario = Scenario.model_validate(tiny_scenario())
    one = DemandMemo().demand(scenario, 0, "promotion").nbytes
    memo = DemandMemo(max_bytes=2 * one + one // 2)
    for r in (0, 1, 0, 2):  # 1 is the least recently used when 2 comes
        memo.demand(scenario, r, "promotion")
    memo.demand(scenario, 0, "promotion")
    memo.demand(scenario, 1, "promotion")
    assert (memo.hits, memo.misses) == (2, 4)


def test_pool_workers_replay_their_demand_bit_for_bit() -> None:
    """Two workers, each its own memo: every replication the same as without one."""
    data = tiny_scenario(replications=4)
    first = Scenario.model_validate(data)
    second = Scenario.model_validate(_other_staffing(data))
    with Runner(workers=2) as runner:
        runner.run([(first, ("promotion",))], memo=True)
        (got,) = runner.run([(second, ("promotion",))], memo=True)
    with Runner(workers=1) as runner:
        (want,) = runner.run([(second, ("promotion",))])
    assert [_bytes(r["promotion"]) for r in got] == [_bytes(r["promotion"]) for r in want]
