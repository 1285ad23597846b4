"""The clock's pooled calls (``Clock.call_contact``): same times and order as new events."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

from simpy.events import Timeout

from sim.center.clock import Clock
from sim.center.engine import Center
from sim.config import Scenario
from sim.demand import first_contacts
from sim.rng import Streams
from tests.conftest import tiny_scenario
from tests.test_clock import BASE, TARGET


def contact(event: Timeout) -> int:
    """The contact a pooled call names (its value's first item)."""
    call: Any = event.value
    return int(call[0])


# delays of a chain of calls: ties (equal times, from several calls) and an in-passing one
DELAYS = [3.0, 3.0, 0.5, 7.25, 0.0, 3.0, 1e-9, 2.5, 2.5, 10.0, 0.125, 4.0] * 4


def _chain(pooled: bool) -> list[tuple[float, int]]:
    """Each call makes the next two (delays from ``DELAYS``); what is called, when."""
    clock = Clock()
    seen: list[tuple[float, int]] = []
    made = [0]

    def call(delay: float, fn: Callable[[Timeout], None]) -> None:
        made[0] += 1
        if pooled:
            clock.call_contact(delay, fn, made[0])
        else:
            clock.call_in(delay, fn, [made[0]])

    def fn(event: Timeout) -> None:
        clock.tick()
        seen.append((clock.now, contact(event)))
        if made[0] < len(DELAYS) - 1:
            if made[0] % 5 == 0:  # as an arrival handled in passing: simpy's clock lags
                clock.pass_to(clock.now + 0.3)
            call(DELAYS[made[0]], fn)
            call(DELAYS[made[0]], fn)

    call(1.0, fn)
    for until in (5.0, 20.0, 50.0, 1000.0):
        clock.run(until)
    return seen


def test_pooled_calls_come_at_the_times_and_in_the_order_of_new_events() -> None:
    new, pooled = _chain(False), _chain(True)
    assert len(new) > 40
    assert pooled == new


def test_a_processed_call_is_reused_and_says_whether_it_is_still_listed() -> None:
    """Reused in the run that processed it, it is still in a list pruned after each run."""
    clock = Clock()
    got: list[tuple[Timeout, bool]] = []

    def noop(_: Timeout) -> None:
        pass

    def later(_: Timeout) -> None:
        got.append(clock.call_contact(5.0, noop, 2))

    first, fresh = clock.call_contact(1.0, noop, 1)
    assert fresh and contact(first) == 1
    clock.call_in(2.0, later)
    clock.run(3.0)
    # processed at 1 s, reused at 2 s within the same run: not fresh
    assert got == [(first, False)] and contact(first) == 2 and not first.processed
    clock.run(10.0)
    again, fresh = clock.call_contact(1.0, noop, 3)  # processed in an earlier run: fresh
    assert again is first and fresh and contact(again) == 3
    clock.run(20.0)
    assert first.processed and clock.free == [first]


def test_a_pooled_call_through_the_hop_is_pooled_only_once_made() -> None:
    clock = Clock()
    seen: list[float] = []

    def at_target(_: Timeout) -> None:
        seen.append(clock.env.now)

    def at_base(_: Timeout) -> None:
        clock.tick()
        clock.pass_to(TARGET - 1.0)  # simpy's clock lags; 1 s on is TARGET, via a hop
        clock.call_contact(1.0, at_target, 9)

    clock.call_in(BASE, at_base)
    clock.run(TARGET - 0.5)
    assert clock.free == [] and seen == []
    clock.run(1000.0)
    assert seen == [TARGET] and len(clock.free) == 1


def test_closing_empties_the_pool() -> None:
    clock = Clock()
    clock.call_contact(1.0, lambda _: None, 0)
    clock.call_contact(50.0, lambda _: None, 1)
    clock.run(10.0)
    assert len(clock.free) == 1
    clock.close()
    assert clock.free == [] and clock.pooled == {}


def test_the_engine_with_follow_ups_is_freed_when_its_result_is_built() -> None:
    """The pool's callbacks name the engine: closing the clock lets go of them."""
    data = tiny_scenario()
    data["arrivals"][0]["contacts_per_hour"] = 60
    data["journey"] = {
        "redial_probability": 1.0,
        "redial_lag_minutes": {"dist": "deterministic", "value": 10},
    }
    s = Scenario.model_validate(data)
    contacts = first_contacts(s, Streams(s.seed, 0))
    gc.collect()
    gc.disable()
    try:
        center = Center(s, Streams(s.seed, 0).issues)
        center.start()
        center.feed(contacts)
        center.advance(s.calendar.horizon_seconds / 2)
        assert center.clock.pooled  # redial timers or follow-ups were called
        result = center.finish()
        ref = weakref.ref(center)
        del center
        assert ref() is None
    finally:
        gc.enable()
    assert result.outcome.size >= len(contacts)
