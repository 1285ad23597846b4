"""The engine's clock: timed calls as simpy events, through simpy's public API only."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL, Timeout


class Clock:
    """The engine's timed calls as simpy events, through simpy's public API only.

    A call is a ``Timeout`` whose callback is an engine method, created when the engine
    schedules it: its place in simpy's queue is time (the engine's now plus the delay), then
    priority, then creation order, so equal times keep the order in which calls were made.

    ``now`` is the engine's time. An input arrival that comes before every queued event is
    handled in passing (:meth:`precedes_all`, :meth:`pass_to`), without an event of its own;
    simpy's clock then lags behind ``now`` until the next event, and a call made meanwhile
    gets the delay that lands exactly on ``now + delay`` from simpy's clock. Where no delay
    does (simpy's now has a bit more than the target time can hold, and the sum ties), the
    call goes in at the float just below and moves from there to its time (:meth:`call_at`):
    it then comes after, not before, calls made later for exactly the same time, which needs
    two continuous times to coincide.

    Schedule actions wait on an agenda, the next one last, with one event at the next
    action's time. Every engine call starts with :meth:`tick`, which first runs the actions
    due: so they run before any other call at their time (as if queued before every contact,
    whichever event of that time simpy processes first), and the queue holds what is going
    on, not the horizon's schedule.
    """

    __slots__ = ("agenda", "closed", "env", "epoch", "free", "lag", "next_action", "now", "pooled")

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.now = 0.0
        """The engine's time (seconds)."""
        self.lag = False
        """simpy's clock is behind ``now`` (an arrival was handled in passing)."""
        self.agenda: list[tuple[float, int, Callable[[Any], None], Any]] = []
        """Schedule actions ``(time, order, function, argument)`` not run yet, the next last."""
        self.next_action = math.inf
        self.closed = False
        self.epoch = 0
        """Changes when a run starts and when it ends (see :meth:`call_contact`)."""
        self.free: list[Timeout] = []
        """Processed events of :meth:`call_contact`, to reuse."""
        self.pooled: dict[Callable[[Timeout], None], list[Callable[[Timeout], None]]] = {}
        """The callback list of :meth:`call_contact`'s events, by function."""

    def call_in(self, delay: float, fn: Callable[[Timeout], None], value: Any = None) -> Timeout:
        """Call ``fn(event)`` at ``now + delay``; the event's value is ``value``."""
        return self.again(None, [fn], delay, value)

    def call_at(self, when: float, fn: Callable[[Timeout], None], value: Any = None) -> Timeout:
        """Call ``fn(event)`` at exactly ``when`` (not before simpy's now)."""
        return self._place(None, [fn], when, value)

    def again(
        self,
        event: Timeout | None,
        callbacks: list[Callable[[Timeout], None]],
        delay: float,
        value: Any = None,
    ) -> Timeout:
        """Like :meth:`call_in`, reusing ``event`` (a processed one) if given.

        A call the engine makes over and over keeps its event and its callback list
        (simpy iterates the list without changing it): queuing it again costs a third of a
        new ``Timeout``. It keeps its value (``value`` is a new event's), so the call's
        arguments live elsewhere or in a value that can be changed in place.

        Returns:
            The event queued (a new one if ``event`` is None).
        """
        env = self.env
        if self.lag:
            when = self.now + delay
            base = env.now
            delay = when - base
            if base + delay != when:
                return self._place(event, callbacks, when, value)
        if event is None:
            event = Timeout(env, delay, value)
        else:
            env.schedule(event, NORMAL, delay)
        event.callbacks = callbacks
        return event

    def call_contact(
        self, delay: float, fn: Callable[[Timeout], None], i: int
    ) -> tuple[Timeout, bool]:
        """Like ``call_in(delay, fn, [i])``, reusing a processed event of this method's.

        The event's value is a list whose first item is ``i`` (compaction renumbers it in
        place). Events go back to the pool as they are processed: a reused one allocates
        nothing, so fewer objects for the garbage collector to go through.

        Returns:
            The event, and False if it is reused in the same run that processed it (a list
            of queued calls that drops the processed ones after each run still holds it).
        """
        callbacks = self.pooled.get(fn)
        if callbacks is None:
            callbacks = self.pooled[fn] = [fn, self._recycle]
        free = self.free
        if not free:
            return self.again(None, callbacks, delay, [i, -1]), True
        event = free.pop()
        call: Any = event.value
        call[0] = i
        return self.again(event, callbacks, delay), call[1] != self.epoch

    def _recycle(self, event: Timeout) -> None:
        """The last callback of :meth:`call_contact`'s events: back to the pool."""
        call: Any = event.value
        call[1] = self.epoch
        self.free.append(event)

    def _place(
        self,
        event: Timeout | None,
        callbacks: list[Callable[[Timeout], None]],
        when: float,
        value: Any = None,
    ) -> Timeout:
        """Queue ``event`` (or a new one of ``value``): its callbacks run exactly at ``when``."""
        env = self.env
        base = env.now
        delay = when - base
        if base + delay != when:
            while base + delay > when:
                delay = math.nextafter(delay, -math.inf)
            while base + math.nextafter(delay, math.inf) <= when:
                delay = math.nextafter(delay, math.inf)
        if event is None:
            event = Timeout(env, delay, value)
        else:
            env.schedule(event, NORMAL, delay)
        if base + delay == when:
            event.callbacks = callbacks
        else:  # from just below, the rest of the way is exact
            event.callbacks = [lambda e: self._hop(e, when, callbacks)]
        return event

    def _hop(self, event: Timeout, when: float, callbacks: list[Callable[[Timeout], None]]) -> None:
        """Queue ``event`` again, for ``when``, with ``callbacks``."""
        event.callbacks = callbacks
        self.env.schedule(event, NORMAL, when - self.env.now)

    def tick(self) -> bool:
        """Start an engine call: take simpy's now, run the schedule actions due.

        Returns:
            False once the clock is closed: the call must do nothing.
        """
        now = self.now = self.env.now
        self.lag = False
        if now >= self.next_action:
            return self.act(now)
        return True

    def precedes_all(self, when: float) -> bool:
        """Whether a call at ``when`` would come before every queued event."""
        return when < self.env.peek()

    def pass_to(self, when: float) -> None:
        """Move ``now`` to ``when``, which precedes every queued event, without an event."""
        self.now = when
        self.lag = True

    def plan(self, actions: list[tuple[float, Callable[[Any], None], Any]]) -> None:
        """Put schedule actions on the agenda: by time, in the given order at equal times."""
        agenda = [(when, k, fn, value) for k, (when, fn, value) in enumerate(actions)]
        agenda.sort(key=lambda a: a[:2], reverse=True)
        self.agenda = agenda
        self._next()

    def _next(self) -> None:
        """The event at the next action's time, whose tick runs it (if nothing did before)."""
        self.next_action = when = self.agenda[-1][0] if self.agenda else math.inf
        if when < math.inf:
            self.call_at(when, self._action_due)

    def _action_due(self, _: Timeout) -> None:
        self.tick()

    def act(self, now: float) -> bool:
        """Run the schedule actions due at ``now``; False once the clock is closed."""
        if self.closed:
            return False
        agenda = self.agenda
        while agenda and agenda[-1][0] <= now:
            _, _, fn, value = agenda.pop()
            fn(value)
        self._next()
        return True

    def run(self, until: float) -> None:
        """Process the events before ``until``; what is due at ``until`` itself waits."""
        self.epoch += 1
        self.env.run(until=until)
        self.epoch += 1
        self.now = self.env.now
        self.lag = False

    def close(self) -> None:
        """Drop every event still queued, without its call.

        The queued calls hold the engine, and simpy's queue and its events hold each other:
        left there, they would keep the engine and its tables until the cyclic garbage
        collector runs.
        """
        self.closed = True
        self.next_action = -math.inf
        self.agenda = []
        env = self.env
        while env.peek() < math.inf:
            env.step()
        self.free = []
        self.pooled = {}  # their functions hold the engine
