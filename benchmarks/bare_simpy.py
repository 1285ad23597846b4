"""The M/M/c+M (Erlang A) model as bare simpy events with callbacks: workload (a)'s ceiling.

One of the research anchors for this workload ("simpy bare events with callbacks"), with
the two savings promosim's engine makes (docs/architecture.md): the fastest a model can be
while simpy runs what depends on the queue's state.

- No process, no resource, no condition event: an end of service is a ``Timeout`` whose
  callback is a plain function, over a count of free agents and a FIFO queue.
- Arrivals are exogenous: one arrives in passing, without an event, while it comes before
  every queued event (``env.peek()``); otherwise one reused event waits for it.
- Abandonment is decided when a waiting contact reaches the head of the queue: it abandoned
  at its deadline if that has passed (no contact here calls back, so nothing depends on the
  moment it left). At the horizon, the contacts still waiting whose deadline passed abandoned.

It answers every contact as :mod:`benchmarks.naive_simpy` does, bit for bit (same inputs,
same answers), and models nothing a scenario needs: no channel, reason, group, interval,
journey or metric.

    .venv/bin/python -m benchmarks.bare_simpy [--contacts N] [--seed S] [--horizon SECONDS]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Timeout

from benchmarks.naive_simpy import Inputs, Outputs, script


def simulate(inputs: Inputs, agents: int, horizon: float) -> Outputs:
    """Run the contacts through ``agents`` agents until ``horizon`` (seconds)."""
    env = simpy.Environment()
    n = inputs.arrival.size
    answer = [math.nan] * n
    abandoned = [False] * n
    arrival = inputs.arrival.tolist()
    handle = inputs.handle.tolist()
    patience = inputs.patience.tolist()
    deadline = [math.inf] * n  # a waiting contact's: its arrival instant plus its patience
    waiting: deque[int] = deque()
    free = agents
    k_next, t_next = 0, arrival[0] if n else math.inf  # the next arrival: index and instant

    def at(when: float) -> float:
        """The delay from simpy's now that lands on ``when``, or the float just after.

        simpy's now lags behind an arrival handled in passing, and no delay may add up to
        exactly ``when`` from it: the end's exact time goes with its event (as promosim's
        engine records its ends).
        """
        base = env.now
        delay = when - base
        while base + delay > when:
            delay = math.nextafter(delay, -math.inf)
        while base + delay < when:
            delay = math.nextafter(delay, math.inf)
        return delay

    def serve(i: int, now: float) -> None:
        answer[i] = now
        end = now + handle[i]
        Timeout(env, at(end), end).callbacks.append(finish)

    def arrive(event: Any) -> None:
        nonlocal free, k_next, t_next
        k, now = k_next, t_next  # its exact instant: simpy's may be a float after it
        while True:
            if free > 0 and not waiting:
                free -= 1
                serve(k, now)
            else:
                deadline[k] = now + patience[k]
                waiting.append(k)
            k += 1
            if k == n:
                return
            # the reference's arrivals are a chain of delays: its now is the previous
            # arrival's plus (this one's time − that), which may differ in the last bit
            now += arrival[k] - now
            if now >= env.peek():  # not first: it waits for its turn
                k_next, t_next = k, now
                event.callbacks = arrivals  # simpy took the list away as it ran them
                env.schedule(event, NORMAL, at(now))
                return

    def finish(event: Any) -> None:
        nonlocal free
        now = event.value  # the exact end, not simpy's now
        while waiting:
            j = waiting.popleft()
            if deadline[j] > now:
                serve(j, now)
                return
            abandoned[j] = True  # at its deadline, before now
        free += 1

    arrivals: list[Callable[[Any], None]] = [arrive]
    if n:
        Timeout(env, arrival[0]).callbacks = arrivals
    env.run(until=horizon)
    for j in waiting:
        abandoned[j] = deadline[j] < horizon
    return Outputs(np.array(answer), np.array(abandoned, dtype=np.bool_))


def main() -> None:
    """Time one run from the command line."""
    script(simulate, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
