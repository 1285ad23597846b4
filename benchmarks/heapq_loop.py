"""The M/M/c+M (Erlang A) model as a hand-written event loop on :mod:`heapq`, no simpy.

The other research anchor for workload (a) ("a hand-written heapq loop"): what an engine
could reach if it kept its own event queue instead of simpy's. It does what
:mod:`benchmarks.bare_simpy` does, the same way: the ends of service on a heap of
``(time, order, contact)`` (``order`` counts them as they are made, as simpy's event ids
do, so ends at one instant keep their order), the arrivals read in passing from their
sorted array, abandonment decided at the head of the queue. It answers every contact as
:mod:`benchmarks.naive_simpy` does, and models nothing else.

    .venv/bin/python -m benchmarks.heapq_loop [--contacts N] [--seed S] [--horizon SECONDS]
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np

from benchmarks.naive_simpy import Inputs, Outputs, script


def simulate(inputs: Inputs, agents: int, horizon: float) -> Outputs:
    """Run the contacts through ``agents`` agents until ``horizon`` (seconds)."""
    n = inputs.arrival.size
    answer = [math.nan] * n
    abandoned = [False] * n
    arrival = inputs.arrival.tolist()
    handle = inputs.handle.tolist()
    patience = inputs.patience.tolist()
    deadline = [math.inf] * n  # a waiting contact's: its arrival instant plus its patience
    waiting: deque[int] = deque()
    free = agents
    order = 0
    ends: list[tuple[float, int, int]] = []  # (time, order, contact)
    push, pop = heapq.heappush, heapq.heappop
    k = 0
    now = arrival[0] if n else math.inf  # the next arrival's instant
    while True:
        if k < n and (not ends or now < ends[0][0]):  # an arrival, first
            if now >= horizon:  # simpy's run(until) stops before the horizon
                break
            if free > 0 and not waiting:
                free -= 1
                answer[k] = now
                push(ends, (now + handle[k], order, k))
                order += 1
            else:
                deadline[k] = now + patience[k]
                waiting.append(k)
            k += 1
            if k < n:
                # the reference's arrivals are a chain of delays (see bare_simpy)
                now += arrival[k] - now
            continue
        if not ends or ends[0][0] >= horizon:
            break
        end, _, _ = pop(ends)
        while waiting:
            j = waiting.popleft()
            if deadline[j] > end:
                answer[j] = end
                push(ends, (end + handle[j], order, j))
                order += 1
                break
            abandoned[j] = True  # at its deadline, before this end
        else:
            free += 1
    for j in waiting:
        abandoned[j] = deadline[j] < horizon
    return Outputs(np.array(answer), np.array(abandoned, dtype=np.bool_))


def main() -> None:
    """Time one run from the command line."""
    script(simulate, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
