"""The M/M/c+M (Erlang A) model as a hand-written event loop on :mod:`heapq`, no simpy.

The other research anchor for workload (a) ("a hand-written heapq loop"): what an engine
could reach if it kept its own event queue instead of simpy's. The same events as
:mod:`benchmarks.bare_simpy` (an arrival, an end of service, a waiting contact's deadline),
in the same order: a heap of ``(time, order, kind, contact)`` where ``order`` counts the
events as they are made, as simpy's event ids do, so ties resolve as in simpy. It answers
every contact as :mod:`benchmarks.naive_simpy` does, and models nothing else.

    .venv/bin/python -m benchmarks.heapq_loop [--contacts N] [--seed S] [--horizon SECONDS]
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np

from benchmarks.naive_simpy import Inputs, Outputs, script

_ARRIVE, _END, _DEADLINE = 0, 1, 2


def simulate(inputs: Inputs, agents: int, horizon: float) -> Outputs:
    """Run the contacts through ``agents`` agents until ``horizon`` (seconds)."""
    n = inputs.arrival.size
    answer = [float("nan")] * n
    abandoned = [False] * n
    arrival = inputs.arrival.tolist()
    handle = inputs.handle.tolist()
    patience = inputs.patience.tolist()
    waiting: deque[int] = deque()
    free = agents
    order = 0
    events: list[tuple[float, int, int, int]] = []
    push, pop = heapq.heappush, heapq.heappop
    if n:
        push(events, (arrival[0], order, _ARRIVE, 0))
        order += 1
    while events and events[0][0] < horizon:  # simpy's run(until) stops before the horizon
        now, _, kind, i = pop(events)
        if kind == _ARRIVE:
            if i + 1 < n:
                # simpy adds the delay to its now: the same float sum
                push(events, (now + (arrival[i + 1] - now), order, _ARRIVE, i + 1))
                order += 1
            if free > 0 and not waiting:
                free -= 1
                answer[i] = now
                push(events, (now + handle[i], order, _END, i))
                order += 1
            else:
                waiting.append(i)
                push(events, (now + patience[i], order, _DEADLINE, i))
                order += 1
        elif kind == _END:
            while waiting:
                j = waiting.popleft()
                if not abandoned[j]:
                    answer[j] = now
                    push(events, (now + handle[j], order, _END, j))
                    order += 1
                    break
            else:
                free += 1
        elif answer[i] != answer[i]:  # a deadline, the contact still waiting (nan)
            abandoned[i] = True
    return Outputs(np.array(answer), np.array(abandoned, dtype=np.bool_))


def main() -> None:
    """Time one run from the command line."""
    script(simulate, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
