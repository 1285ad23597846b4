"""The M/M/c+M (Erlang A) model as bare simpy events with callbacks: workload (a)'s ceiling.

One of the research anchors for this workload ("simpy bare events with callbacks"): the
fastest a model can be while simpy queues and runs every event that depends on the queue's
state, as in promosim's engine (docs/architecture.md: the demand draws what does not depend
on the queue up front, ``sim/center`` runs the rest on simpy).

No process, no resource, no condition event: an arrival, an end of service and a waiting
contact's deadline are each a ``Timeout`` whose callback is a plain function, over a count
of free agents and a FIFO queue of waiting contacts. It does what
:mod:`benchmarks.naive_simpy` does, contact for contact (same inputs, same answers), and
nothing a scenario needs: no channel, reason, group, interval, journey or metric.

Each arrival makes the next arrival's event; a contact that waits gets a deadline event
(it abandons then unless answered: it is skipped when it reaches the head); an answered
contact gets its end-of-service event, which answers the first live contact waiting or
frees its agent.

    .venv/bin/python -m benchmarks.bare_simpy [--contacts N] [--seed S] [--horizon SECONDS]
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import simpy

from benchmarks.naive_simpy import Inputs, Outputs, script


def simulate(inputs: Inputs, agents: int, horizon: float) -> Outputs:
    """Run the contacts through ``agents`` agents until ``horizon`` (seconds)."""
    env = simpy.Environment()
    n = inputs.arrival.size
    answer = [float("nan")] * n
    abandoned = [False] * n
    arrival = inputs.arrival.tolist()
    handle = inputs.handle.tolist()
    patience = inputs.patience.tolist()
    waiting: deque[int] = deque()
    state = [agents, 0]  # free agents, next arrival's index

    def serve(i: int) -> None:
        answer[i] = env.now
        env.timeout(handle[i]).callbacks.append(finish)

    def arrive(_: Any) -> None:
        i = state[1]
        state[1] = i + 1
        if i + 1 < n:
            env.timeout(arrival[i + 1] - env.now).callbacks.append(arrive)
        if state[0] > 0 and not waiting:
            state[0] -= 1
            serve(i)
            return
        waiting.append(i)
        env.timeout(patience[i], i).callbacks.append(give_up)

    def give_up(event: Any) -> None:
        i = event.value
        if answer[i] != answer[i]:  # nan: still waiting
            abandoned[i] = True

    def finish(_: Any) -> None:
        while waiting:
            i = waiting.popleft()
            if not abandoned[i]:
                serve(i)
                return
        state[0] += 1

    if n:
        env.timeout(arrival[0]).callbacks.append(arrive)
    env.run(until=horizon)
    return Outputs(np.array(answer), np.array(abandoned, dtype=np.bool_))


def main() -> None:
    """Time one run from the command line."""
    script(simulate, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
