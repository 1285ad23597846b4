"""Benchmark (a)'s anchors give the naive simpy model's answers, contact by contact.

``benchmarks/bare_simpy.py`` times the fastest a simpy model of the Erlang A workload can be
(no process, no resource, callbacks only), ``benchmarks/heapq_loop.py`` the same events on
a hand-written heap without simpy. Their times say something only if they simulate the
same queue: fed the same arrivals, handle times and patience, every contact must be answered
at the same instant or abandon in each.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import bare_simpy, heapq_loop, naive_simpy

RATE = 48.0 / 300.0  # contacts a second: 48 Erlang at 5-minute handle times


def assert_same(inputs: naive_simpy.Inputs, agents: int, horizon: float) -> naive_simpy.Outputs:
    ref = naive_simpy.simulate(inputs, agents, horizon)
    for anchor in (bare_simpy, heapq_loop):
        out = anchor.simulate(inputs, agents, horizon)
        np.testing.assert_array_equal(out.abandoned, ref.abandoned, anchor.__name__)
        # equal, not close: they add the same floats in the same order
        np.testing.assert_array_equal(out.answer, ref.answer, anchor.__name__)
    return ref


@pytest.mark.parametrize(
    ("agents", "least_abandoned", "least_waited"),
    [(40, 300, 1000), (50, 50, 500), (60, 0, 10)],
    ids=["overloaded", "erlang-a", "underloaded"],
)
def test_the_anchors_answer_every_contact_as_the_naive_model(
    agents: int, least_abandoned: int, least_waited: int
) -> None:
    inputs = naive_simpy.draw(10_000, RATE, 300.0, 180.0, seed=agents)
    horizon = float(inputs.arrival[-1]) + 1.0
    ref = assert_same(inputs, agents, horizon)
    # not vacuous: contacts wait, and (but underloaded) give up
    waited = ref.answer > inputs.arrival
    assert int(ref.abandoned.sum()) >= least_abandoned
    assert int(waited.sum()) >= least_waited


def test_the_anchors_resolve_ties_as_the_naive_model() -> None:
    """Whole seconds: simultaneous arrivals, and arrivals at the instant an agent frees.

    Patience is a whole number plus 0.5 s, so no deadline meets an end of service (there
    the order of simultaneous events, not the queue, would decide).
    """
    rng = np.random.default_rng(20261204)
    n = 2000
    arrival = np.sort(rng.integers(0, 6000, n)).astype(np.float64)
    handle = rng.integers(1, 600, n).astype(np.float64)
    patience = rng.integers(0, 240, n).astype(np.float64) + 0.5
    inputs = naive_simpy.Inputs(arrival, handle, patience)
    ref = assert_same(inputs, 40, 7000.0)
    assert np.unique(arrival).size < n - 100  # many simultaneous arrivals
    assert int(ref.abandoned.sum()) >= 100
    # ties that decide something: a contact arrives as a waiting one is answered
    answered_after_wait = set(ref.answer[ref.answer > arrival].tolist())
    assert sum(float(t) in answered_after_wait for t in arrival) >= 20


def test_a_contact_still_waiting_at_the_horizon_is_neither_answered_nor_abandoned() -> None:
    two = naive_simpy.Inputs(np.array([0.0, 1.0]), np.array([100.0, 5.0]), np.array([50.0, 50.0]))
    ref = assert_same(two, 1, 20.0)
    assert ref.answer[0] == 0.0 and np.isnan(ref.answer[1]) and not ref.abandoned.any()
