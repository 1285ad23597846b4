"""The engine against the naive simpy reference, contact by contact.

``benchmarks/naive_simpy.py`` is the textbook M/M/c+M model written the way simpy's own
examples are: one process per contact, a ``simpy.Resource`` for the agents, and
``request | timeout(patience)``. It shares no code with :mod:`sim.center`. Fed the very same
arrivals, handle times and patience, both must give every contact the same fate, the same
answer time and so the same end of service (to 1e-9 s), overloaded or not, and with ties
(simultaneous arrivals, arrivals at the instant an agent frees) resolved first come first
served in both.

Deadlines are kept off the instants when an agent frees: there the order of simultaneous
events decides, and the two models order one case differently. A contact answered on arrival
schedules its end of service before the engine schedules the next arrival, while the
reference's source process schedules the next arrival first; so a contact arriving with zero
patience at the instant that service ends is answered by the engine (see
``test_fcfs_one_agent`` in test_engine_traces.py) and abandons in the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray

from benchmarks import naive_simpy
from sim.center import ABANDONED, ANSWERED, OPEN, simulate_center
from sim.config import Scenario
from sim.demand import Contacts

TOLERANCE = 1e-9
"""Seconds: both sides add the same floats in the same order, so only rounding may differ."""


def scenario(agents: int, days: float) -> Scenario:
    """One phone channel and one group of ``agents``; the contacts are fed by hand."""
    return Scenario.model_validate(
        {
            "name": "oracle",
            "calendar": {"days": days},
            "seed": 1,
            "replications": 1,
            "arrivals": [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 0.0}],
            "channels": {
                "phone": {
                    "handle_time_seconds": {"dist": "exponential", "mean": 300},
                    "patience_seconds": {"dist": "exponential", "mean": 120},
                }
            },
            "staffing": {
                "groups": [
                    {
                        "name": "g",
                        "channels": ["phone"],
                        "schedule": {"kind": "constant", "agents": agents},
                    }
                ]
            },
        }
    )


@dataclass(frozen=True)
class Both:
    """Per contact, what each side says (times in seconds, ``nan``: never)."""

    inputs: naive_simpy.Inputs
    answer: NDArray[np.float64]
    """The engine's answer times."""
    outcome: NDArray[np.int8]
    """The engine's outcomes."""
    leave: NDArray[np.float64]
    """When the contact left the engine's queue."""
    ref: naive_simpy.Outputs


def run_both(inputs: naive_simpy.Inputs, agents: int, days: float) -> Both:
    s = scenario(agents, days)
    horizon = s.calendar.horizon_seconds
    keep = inputs.arrival < horizon  # the engine's input is the horizon's contacts
    inputs = naive_simpy.Inputs(inputs.arrival[keep], inputs.handle[keep], inputs.patience[keep])
    n = inputs.arrival.size
    contacts = Contacts(
        arrival_seconds=inputs.arrival,
        channel=np.zeros(n, dtype=np.int32),
        reason=np.zeros(n, dtype=np.int32),
        handle_seconds=inputs.handle,
        patience_seconds=inputs.patience,
        channels=("phone",),
        reasons=("general",),
    )
    r = simulate_center(s, contacts)
    assert r.contacts is not None and len(r.contacts) == n  # no follow-ups without a journey
    ref = naive_simpy.simulate(inputs, agents, horizon)
    return Both(inputs, r.answer_seconds, r.outcome, r.leave_queue_seconds, ref)


def assert_same_per_contact(b: Both) -> None:
    """Every contact: same fate, same answer and end of service, same abandonment time."""
    ref_answered = ~np.isnan(b.ref.answer)
    ref_open = ~ref_answered & ~b.ref.abandoned
    np.testing.assert_array_equal(b.outcome == ANSWERED, ref_answered)
    np.testing.assert_array_equal(b.outcome == ABANDONED, b.ref.abandoned)
    np.testing.assert_array_equal(b.outcome == OPEN, ref_open)
    np.testing.assert_allclose(b.answer, b.ref.answer, rtol=0, atol=TOLERANCE, equal_nan=True)
    handle = b.inputs.handle
    np.testing.assert_allclose(
        b.answer + handle, b.ref.answer + handle, rtol=0, atol=TOLERANCE, equal_nan=True
    )
    # the reference's customer gives up when its timeout(patience) fires
    deadline = b.inputs.arrival + b.inputs.patience
    ab = b.ref.abandoned
    np.testing.assert_allclose(b.leave[ab], deadline[ab], rtol=0, atol=TOLERANCE)
    np.testing.assert_array_equal(b.leave[ref_answered], b.answer[ref_answered])


def waited(b: Both) -> NDArray[np.bool_]:
    """Contacts answered after a wait."""
    out: NDArray[np.bool_] = (b.outcome == ANSWERED) & (b.answer > b.inputs.arrival)
    return out


# 20 Erlang offered (one call every 15 s, 300 s each), patience 120 s, three hours
RATE, HANDLE, PATIENCE, DAYS = 1 / 15, 300.0, 120.0, 0.125


@pytest.mark.parametrize(
    ("agents", "seed", "least_abandoned", "least_waited"),
    [
        (12, 11, 150, 150),  # overloaded: most contacts wait, many give up
        (24, 12, 5, 30),  # underloaded: some waits, a few abandonments
    ],
    ids=["overloaded", "underloaded"],
)
def test_engine_matches_the_naive_simpy_reference(
    agents: int, seed: int, least_abandoned: int, least_waited: int
) -> None:
    inputs = naive_simpy.draw(1000, RATE, HANDLE, PATIENCE, seed)
    assert inputs.arrival[-1] > DAYS * 86400  # the draws run past the horizon
    b = run_both(inputs, agents, DAYS)
    assert_same_per_contact(b)
    # the comparison is not vacuous: both ways of leaving the queue occur
    assert int((b.outcome == ABANDONED).sum()) >= least_abandoned
    assert int(waited(b).sum()) >= least_waited


def test_engine_matches_the_reference_with_ties() -> None:
    """Whole seconds: simultaneous arrivals, and arrivals as an agent frees.

    Arrivals and handle times are whole seconds, so every answer and end of service is too;
    patience is a whole number plus 0.5 s, so no deadline meets an end of service.
    """
    rng = np.random.default_rng(20261202)
    n = 500
    arrival = np.sort(rng.integers(0, 3000, n)).astype(np.float64)
    handle = rng.integers(1, 600, n).astype(np.float64)
    patience = rng.integers(0, 240, n).astype(np.float64) + 0.5
    b = run_both(naive_simpy.Inputs(arrival, handle, patience), agents=40, days=DAYS)
    assert_same_per_contact(b)
    # ties that decide something: a contact arrives at the very instant a waiting contact
    # is answered (first come first served: the waiting one goes first)
    answered_after_wait = set(b.answer[waited(b)].tolist())
    late = (b.outcome != ANSWERED) | (b.answer > arrival)
    assert sum(float(t) in answered_after_wait for t in arrival[late]) >= 20
    assert np.unique(arrival).size < n - 10  # many simultaneous arrivals
    assert int((b.outcome == ABANDONED).sum()) >= 20
