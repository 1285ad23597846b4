"""The engine's clock on simpy's public API: exact times, the agenda's order, no leftovers."""

from __future__ import annotations

import gc
import math
import weakref

from simpy.events import Timeout

from sim.center.clock import Clock
from sim.center.engine import Center
from sim.config import Scenario
from sim.demand import first_contacts
from sim.rng import Streams
from tests.conftest import tiny_scenario

# simpy's now and a later time that no delay reaches from it: their difference rounds, and
# adding it back ties and rounds away from the target (found by the engine's own tests)
BASE, TARGET = 8.764518245121877, 416.30725294431187


def test_the_pair_is_unreachable_by_a_plain_delay() -> None:
    d = TARGET - BASE
    near = [d, math.nextafter(d, math.inf), math.nextafter(d, -math.inf)]
    assert all(BASE + x != TARGET for x in near)


def test_a_call_lands_exactly_on_its_time_even_where_no_delay_reaches_it() -> None:
    clock = Clock()
    seen: list[tuple[str, float]] = []
    later: list[Timeout] = []

    def at_base(_: Timeout) -> None:
        clock.tick()
        seen.append(("base", clock.env.now))
        later.append(clock.call_at(TARGET, lambda _: seen.append(("target", clock.env.now))))

    clock.call_in(BASE, at_base)
    clock.run(TARGET - 1.0)
    # hopping from just below: still one pending call (compaction counts on it)
    assert len(later) == 1 and not later[0].processed
    clock.run(1000.0)
    assert seen == [("base", BASE), ("target", TARGET)]
    assert later[0].processed


def test_a_call_made_in_passing_lands_on_the_engines_time() -> None:
    """While simpy's clock lags behind the engine's, a call still gets now + delay."""
    clock = Clock()
    seen: list[float] = []

    def at_base(_: Timeout) -> None:
        clock.tick()
        clock.pass_to(BASE + 1.0)  # an arrival handled in passing
        clock.call_in(TARGET - (BASE + 1.0), lambda _: seen.append(clock.env.now))

    clock.call_in(BASE, at_base)
    clock.run(1000.0)
    assert seen == [(BASE + 1.0) + (TARGET - (BASE + 1.0))]


def test_a_reused_event_lands_exactly_and_is_pending_until_then() -> None:
    """``Clock.again`` queues a processed event again, even where only a hop reaches the time."""
    clock = Clock()
    seen: list[tuple[str, float]] = []
    events: list[Timeout] = []

    def at_target(_: Timeout) -> None:
        seen.append(("target", clock.env.now))

    def at_base(event: Timeout) -> None:
        clock.tick()
        seen.append(("base", clock.env.now))
        clock.pass_to(TARGET - 1.0)  # an arrival handled in passing; then 1 s on: TARGET
        events.append(clock.again(event, [at_target], 1.0))

    first = clock.again(None, [at_base], BASE)
    clock.run(TARGET - 1.0)
    # the same event, queued again (via the float just below): pending, as compaction sees it
    assert events == [first] and not first.processed
    clock.run(1000.0)
    assert seen == [("base", BASE), ("target", TARGET)]
    assert first.processed


def test_schedule_actions_run_before_calls_made_earlier_for_the_same_time() -> None:
    """A call's tick runs the actions due at its time first.

    The action at 10 s is queued only when the one at 5 s runs, after the engine's call for
    10 s: yet it runs first, as if it had been queued at the start.
    """
    clock = Clock()
    log: list[object] = []

    def call(_: Timeout) -> None:
        if clock.tick():
            log.append(("call", clock.now))

    clock.plan([(5.0, log.append, "on at 5"), (10.0, log.append, "off at 10")])
    clock.call_in(10.0, call)
    clock.run(20.0)
    assert log == ["on at 5", "off at 10", ("call", 10.0)]


def test_what_is_due_at_until_waits_for_the_next_run() -> None:
    clock = Clock()
    log: list[object] = []
    clock.plan([(10.0, log.append, "action at 10")])
    clock.run(10.0)
    assert log == [] and clock.now == 10.0
    clock.run(11.0)
    assert log == ["action at 10"]


def test_closing_drops_the_queued_calls_without_making_them() -> None:
    clock = Clock()
    log: list[object] = []

    def call(_: Timeout) -> None:
        if clock.tick():
            log.append("called")

    clock.call_in(50.0, call)
    clock.plan([(60.0, log.append, "action")])
    clock.run(40.0)
    clock.close()
    assert log == [] and clock.env.peek() == math.inf


def test_the_engine_is_freed_when_its_result_is_built() -> None:
    """Without the garbage collector: nothing queued keeps the engine and its tables."""
    s = Scenario.model_validate(tiny_scenario())
    contacts = first_contacts(s, Streams(s.seed, 0))
    gc.collect()
    gc.disable()
    try:
        center = Center(s, None)
        center.start()
        center.feed(contacts)
        result = center.finish()
        ref = weakref.ref(center)
        del center
        assert ref() is None
    finally:
        gc.enable()
    assert result.outcome.size == len(contacts)
