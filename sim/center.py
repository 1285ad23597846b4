"""The contact centre: channels, FCFS queues, agent groups, schedules, patience.

Contacts arrive on channels, each channel with one first-come-first-served queue. Agents
belong to groups; a group serves a list of channels. An agent holds either one contact of a
channel with concurrency 1 (a call) or up to ``concurrency`` contacts of a chat-like
channel: its capacity is counted in *units*, ``L`` per agent (the least common multiple of
its channels' concurrencies), and a contact of a channel with concurrency ``k`` takes
``L / k`` units. A call therefore needs an agent with no chat in hand, and a chat needs one
free chat slot.

Routing (the agent-driven dispatch used by real ACDs):

- An arriving contact goes to the eligible agent with the most free units (ties: the agent
  who has been in that state longest, then the first group in the scenario's order); if no
  agent has room it joins the end of its channel's queue.
- An agent who gains room (a contact ends, or a shift starts) looks at its channels in
  priority order and takes the head of the first one with a contact waiting, and repeats
  while it has room.
- Priority is strict: while a contact of a higher-priority channel waits, an agent of a
  group serving that channel takes no lower-priority contact, not even into a free chat
  slot. It keeps the room it frees until it can take the waiting contact (a call needs an
  agent with no chat in hand). Otherwise a steady flow of chats would keep every blended
  agent partly busy and a waiting call could never be answered.

Patience: a waiting contact abandons when its patience runs out. Abandonment is decided
lazily but exactly: when a queue's head is looked at, contacts whose deadline (arrival +
patience) has passed are removed as abandoned *at their deadline*. Under FCFS nothing else
depends on whether an abandoned contact is still counted in the queue, so this needs no timer
per contact. A contact that finds room on arrival is answered at once, even with zero
patience; a waiting one abandons the instant its patience runs out.

Schedules: ``constant`` and ``hourly`` schedules are levels. When the level falls, idle
agents leave first, then the least loaded busy ones. ``shifts`` are crews: the agents of a
shift leave when it ends. Either way an agent who must leave while busy takes no new contact,
finishes what it holds, then leaves; the time from its scheduled end to then is *overtime*.
If a level rises again while such an agent is still finishing, it stays on as one of the
new level's agents.

The simulation stops at the horizon: contacts still waiting then are *open* (or abandoned,
if their deadline had passed). Nothing here prints or writes; simpy runs only what depends
on the queue's state, with callbacks rather than a process per contact.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.config import (
    ConstantSchedule,
    HourlySchedule,
    Scenario,
    Schedule,
    ShiftsSchedule,
)
from sim.demand import Contacts

ANSWERED, ABANDONED, OPEN = 0, 1, 2
"""Outcome codes of a contact: answered by an agent, abandoned, still waiting at the horizon."""


@dataclass(frozen=True)
class ScheduleLevels:
    """Scheduled agents of one group as a step function of time.

    ``agents[k]`` agents are scheduled from ``times[k]`` to ``times[k+1]`` (the last step
    runs to the horizon). ``times[0]`` is 0.
    """

    times: NDArray[np.float64]
    agents: NDArray[np.float64]


@dataclass(frozen=True)
class CenterResult:
    """What happened to every contact of a replication, and to the agents.

    Arrays are indexed like the :class:`~sim.demand.Contacts` they came from.

    Attributes:
        outcome: ``ANSWERED``, ``ABANDONED`` or ``OPEN``.
        answer_seconds: When an agent took the contact (``nan`` unless answered).
        leave_queue_seconds: When the contact left the queue: answer or abandonment time
            (``nan`` if open at the horizon).
        agent: Agent who answered (-1 otherwise).
        group: Index of that agent's group (-1 otherwise).
        units: Capacity units the contact held of its agent (0 unless answered).
        group_capacity: Units per agent, per group.
        scheduled: Scheduled agents per group.
        overtime: ``(group, start, end)`` spans of agents finishing work past their schedule
            (clipped to the horizon).
        spells: ``(agent, group, on, off)`` per agent on duty (off clipped to the horizon).
        horizon_seconds: End of the simulated time.
    """

    outcome: NDArray[np.int8]
    answer_seconds: NDArray[np.float64]
    leave_queue_seconds: NDArray[np.float64]
    agent: NDArray[np.int32]
    group: NDArray[np.int32]
    units: NDArray[np.int32]
    group_capacity: tuple[int, ...]
    scheduled: tuple[ScheduleLevels, ...]
    overtime: NDArray[np.float64]
    spells: NDArray[np.float64]
    horizon_seconds: float


# --------------------------------------------------------------------------- schedules

# An action at one instant: ("on", crew, n) brings n agents of a crew on duty; ("off", crew,
# n) sends a crew's agents off (crew None: a level, n agents). Offs run before ons.
_Action = tuple[str, int | None, int]


def schedule_actions(schedule: Schedule, horizon: float) -> list[tuple[float, list[_Action]]]:
    """The on/off actions of a schedule over ``[0, horizon)``, by time."""
    at: dict[float, list[_Action]] = {}

    def add(t: float, action: _Action) -> None:
        at.setdefault(t, []).append(action)

    match schedule:
        case ConstantSchedule(agents=n):
            if n:
                add(0.0, ("on", None, n))
        case HourlySchedule(agents=levels):
            level = 0
            for h in range(math.ceil(horizon / 3600.0)):
                want = levels[h % 24]
                if want > level:
                    add(h * 3600.0, ("on", None, want - level))
                elif want < level:
                    add(h * 3600.0, ("off", None, level - want))
                level = want
        case ShiftsSchedule(shifts=shifts):
            crew = 0
            for day in range(-1, math.ceil(horizon / 86400.0) + 1):
                for s in shifts:
                    start = day * 86400.0 + s.start_minute * 60.0
                    end = start + s.length_minutes * 60.0
                    if end <= 0 or start >= horizon or s.agents == 0:
                        continue
                    add(max(start, 0.0), ("on", crew, s.agents))
                    if end < horizon:
                        add(end, ("off", crew, s.agents))
                    crew += 1
    out = []
    for t in sorted(at):
        actions = sorted(at[t], key=lambda a: a[0] != "off")
        out.append((t, actions))
    return out


def schedule_levels(schedule: Schedule, horizon: float) -> ScheduleLevels:
    """The scheduled number of agents of a schedule as a step function."""
    times, agents, level = [0.0], [0.0], 0
    for t, actions in schedule_actions(schedule, horizon):
        for kind, _, n in actions:
            level += n if kind == "on" else -n
        if t == times[-1]:
            agents[-1] = level
        else:
            times.append(t)
            agents.append(level)
    return ScheduleLevels(np.array(times), np.array(agents, dtype=np.float64))


# --------------------------------------------------------------------------- engine


class _Agent:
    __slots__ = ("crew", "free", "group", "id", "leaving", "off_since", "on_since")

    def __init__(self, ident: int, group: _Group, crew: int | None, now: float) -> None:
        self.id = ident
        self.group = group
        self.crew = crew
        self.free = group.capacity
        self.leaving = False
        self.on_since = now
        self.off_since = math.nan


@dataclass(eq=False)
class _Group:
    index: int
    capacity: int
    # (channel index, units) in the order a free agent looks at its channels
    order: list[tuple[int, int]]
    units: dict[int, int]
    # available agents (on duty, not leaving) by free units; dicts as insertion-ordered sets
    buckets: list[dict[_Agent, None]] = field(default_factory=list)
    crews: dict[int, list[_Agent]] = field(default_factory=dict)
    leaving: list[_Agent] = field(default_factory=list)


def _lcm(values: list[int]) -> int:
    out = 1
    for v in values:
        out = out * v // math.gcd(out, v)
    return out


class _Center:
    def __init__(self, scenario: Scenario, contacts: Contacts) -> None:
        self.env = simpy.Environment()
        self.horizon = scenario.calendar.horizon_seconds
        self.arrival = contacts.arrival_seconds
        self.deadline = contacts.arrival_seconds + contacts.patience_seconds
        self.handle = contacts.handle_seconds
        self.channel = contacts.channel
        n = len(contacts)
        self.outcome = np.full(n, OPEN, dtype=np.int8)
        self.answer = np.full(n, np.nan)
        self.leave = np.full(n, np.nan)
        self.agent_of = np.full(n, -1, dtype=np.int32)
        self.group_of = np.full(n, -1, dtype=np.int32)
        self.units_of = np.zeros(n, dtype=np.int32)
        names = list(scenario.channels)
        self.queues: list[deque[int]] = [deque() for _ in names]
        priority = scenario.staffing.channel_priority
        self.groups: list[_Group] = []
        self.serving: list[list[_Group]] = [[] for _ in names]
        for gi, g in enumerate(scenario.staffing.groups):
            capacity = _lcm([scenario.channels[c].concurrency for c in g.channels])
            ordered = [c for c in priority if c in g.channels] if priority else g.channels
            units = {names.index(c): capacity // scenario.channels[c].concurrency for c in ordered}
            group = _Group(gi, capacity, list(units.items()), units)
            group.buckets = [{} for _ in range(capacity + 1)]
            self.groups.append(group)
            for c in units:
                self.serving[c].append(group)
        # channels each channel outranks in some group's priority order
        self.outranks: list[set[int]] = [set() for _ in names]
        for group in self.groups:
            ranked = [c for c, _ in group.order]
            for k, c in enumerate(ranked):
                self.outranks[c].update(ranked[k + 1 :])
        self.armed = [-1] * len(names)
        self._release_due = False
        self.agents: list[_Agent] = []
        self.overtime: list[tuple[int, float, float]] = []
        self.actions = [
            schedule_actions(g.schedule, self.horizon) for g in scenario.staffing.groups
        ]
        self.levels = tuple(
            schedule_levels(g.schedule, self.horizon) for g in scenario.staffing.groups
        )

    # ---- scheduling helpers

    def _at(self, delay: float, fn: Callable[[simpy.Event], None], value: Any = None) -> None:
        self.env.timeout(delay, value).callbacks.append(fn)

    # ---- contacts

    def _arrive(self, event: simpy.Event) -> None:
        i = cast(int, event.value)
        c = int(self.channel[i])
        now = float(self.arrival[i])
        best: _Agent | None = None
        if self._live_head(c, now) is None:  # FCFS: nobody may overtake a waiting contact
            best_free = -1
            for g in self.serving[c]:
                if self._reserved(g, c):
                    continue
                need = g.units[c]
                for free in range(g.capacity, need - 1, -1):
                    bucket = g.buckets[free]
                    if bucket:
                        if free > best_free:
                            best, best_free = next(iter(bucket)), free
                        break
        if best is None:
            self.queues[c].append(i)
            self._arm(c)
        else:
            self._start(i, c, best, now)
        if i + 1 < self.arrival.size:
            self._at(float(self.arrival[i + 1]) - self.env.now, self._arrive, i + 1)
        self._settle()

    def _start(self, i: int, c: int, agent: _Agent, now: float) -> None:
        g = agent.group
        need = g.units[c]
        del g.buckets[agent.free][agent]
        agent.free -= need
        g.buckets[agent.free][agent] = None
        self.answer[i] = now
        self.leave[i] = now
        self.outcome[i] = ANSWERED
        self.agent_of[i] = agent.id
        self.group_of[i] = g.index
        self.units_of[i] = need
        self._at(float(self.handle[i]), self._finish, (i, agent))

    def _finish(self, event: simpy.Event) -> None:
        i, agent = cast(tuple[int, _Agent], event.value)
        g = agent.group
        need = g.units[int(self.channel[i])]
        if agent.leaving:
            agent.free += need
            if agent.free == g.capacity:
                self._log_off(agent)
            return
        del g.buckets[agent.free][agent]
        agent.free += need
        g.buckets[agent.free][agent] = None
        # the recorded end, not the clock: the clock's float steps may differ from
        # answer + handle by a hair, and the next contact must not start before it
        self._pull(agent, float(self.answer[i] + self.handle[i]))
        self._settle()

    def _live_head(self, c: int, now: float) -> int | None:
        """The first contact of channel ``c`` still waiting at ``now``, dropping abandoners.

        A waiting contact abandons the moment its patience runs out, before an agent who
        frees up at that same instant could take it.
        """
        q = self.queues[c]
        while q:
            j = q[0]
            if self.deadline[j] > now:
                return j
            q.popleft()
            self.outcome[j] = ABANDONED
            self.leave[j] = self.deadline[j]
        return None

    def _reserved(self, g: _Group, c: int) -> bool:
        """Whether a contact of a channel that g ranks above ``c`` is waiting."""
        now = self.env.now
        for d, _ in g.order:
            if d == c:
                return False
            if self._live_head(d, now) is not None:
                return True
        return False  # pragma: no cover - c is always among g's channels

    def _pull(self, agent: _Agent, now: float | None = None) -> None:
        """Let an agent with room take waiting contacts: strict channel priority, FCFS."""
        g = agent.group
        now = self.env.now if now is None else max(now, self.env.now)
        for c, need in g.order:
            while (j := self._live_head(c, now)) is not None:
                if agent.free < need:
                    return  # keep the room for this higher-priority contact
                self.queues[c].popleft()
                # the clock's float steps may sit a hair before the arrival it was set for
                self._start(j, c, agent, max(now, float(self.arrival[j])))
                self._arm(c)
            if agent.free == 0:
                return

    # ---- strict priority: when a waiting higher-priority contact stops blocking

    def _arm(self, c: int) -> None:
        """Watch the head of a channel that outranks others.

        Agents hold room back while it waits. When it leaves the queue (answered, or
        abandoned at its deadline: a timer for the head only, not for every contact), the
        agents holding room back take lower-priority contacts again.
        """
        if not self.outranks[c]:
            return
        j = self._live_head(c, self.env.now)
        if j is None:
            if any(self.queues[d] for d in self.outranks[c]):
                self._release_due = True
        elif self.armed[c] != j:
            self.armed[c] = j
            if math.isfinite(self.deadline[j]):
                self._at(max(0.0, float(self.deadline[j]) - self.env.now), self._wake, c)

    def _wake(self, event: simpy.Event) -> None:
        c = cast(int, event.value)
        self.armed[c] = -1
        self._arm(c)
        self._settle()

    def _settle(self) -> None:
        """Let agents who held room back take work, once no higher-priority contact waits."""
        while self._release_due:
            self._release_due = False
            for g in self.groups:
                for free in range(g.capacity, 0, -1):
                    for agent in list(g.buckets[free]):
                        if agent.free > 0 and not agent.leaving:
                            self._pull(agent)

    # ---- agents

    def _log_on(self, g: _Group, crew: int | None) -> None:
        agent = _Agent(len(self.agents), g, crew, self.env.now)
        self.agents.append(agent)
        if crew is not None:
            g.crews.setdefault(crew, []).append(agent)
        g.buckets[agent.free][agent] = None
        self._pull(agent)

    def _send_off(self, agent: _Agent) -> None:
        del agent.group.buckets[agent.free][agent]
        if agent.free == agent.group.capacity:
            self._log_off(agent)
        else:
            agent.leaving = True
            agent.off_since = self.env.now
            agent.group.leaving.append(agent)

    def _log_off(self, agent: _Agent) -> None:
        now = self.env.now
        if agent.leaving:
            self.overtime.append((agent.group.index, agent.off_since, now))
            agent.group.leaving.remove(agent)
            agent.leaving = False
        agent.off_since = now
        agent.free = -1  # off duty for good

    def _schedule(self, event: simpy.Event) -> None:
        gi, actions = cast(tuple[int, list[_Action]], event.value)
        g = self.groups[gi]
        for kind, crew, n in actions:
            if kind == "on":
                if crew is None:
                    # a rising level first keeps agents who were about to leave
                    while n and g.leaving:
                        agent = g.leaving.pop()
                        self.overtime.append((g.index, agent.off_since, self.env.now))
                        agent.leaving = False
                        agent.off_since = math.nan
                        g.buckets[agent.free][agent] = None
                        self._pull(agent)
                        n -= 1
                for _ in range(n):
                    self._log_on(g, crew)
            elif crew is None:
                for _ in range(n):
                    self._send_off(self._pick_leaver(g))
            else:
                for agent in g.crews.pop(crew):
                    self._send_off(agent)
        self._settle()

    @staticmethod
    def _pick_leaver(g: _Group) -> _Agent:
        for free in range(g.capacity, -1, -1):
            if g.buckets[free]:
                return next(iter(g.buckets[free]))
        raise AssertionError("schedule level below zero")  # pragma: no cover

    # ---- run

    def run(self) -> CenterResult:
        for gi, actions in enumerate(self.actions):
            for t, acts in actions:
                self._at(t, self._schedule, (gi, acts))
        if self.arrival.size:
            self._at(float(self.arrival[0]), self._arrive, 0)
        self.env.run(until=self.horizon)
        for q in self.queues:
            for j in q:
                if self.deadline[j] <= self.horizon:
                    self.outcome[j] = ABANDONED
                    self.leave[j] = self.deadline[j]
        for agent in list(self.agents):
            if agent.leaving:
                self.overtime.append((agent.group.index, agent.off_since, self.horizon))
        spells = np.array(
            [
                (
                    a.id,
                    a.group.index,
                    a.on_since,
                    self.horizon if math.isnan(a.off_since) or a.leaving else a.off_since,
                )
                for a in self.agents
            ],
            dtype=np.float64,
        ).reshape(-1, 4)
        return CenterResult(
            outcome=self.outcome,
            answer_seconds=self.answer,
            leave_queue_seconds=self.leave,
            agent=self.agent_of,
            group=self.group_of,
            units=self.units_of,
            group_capacity=tuple(g.capacity for g in self.groups),
            scheduled=self.levels,
            overtime=np.array(self.overtime, dtype=np.float64).reshape(-1, 3),
            spells=spells,
            horizon_seconds=self.horizon,
        )


def simulate_center(scenario: Scenario, contacts: Contacts) -> CenterResult:
    """Run the contact centre of ``scenario`` on ``contacts`` to the horizon."""
    return _Center(scenario, contacts).run()
