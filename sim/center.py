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

Schedules: ``constant``, ``hourly`` and ``intervals`` schedules are levels. When the level
falls, idle agents leave first, then the least loaded busy ones. ``shifts`` are crews: the
agents of a shift leave when it ends. Either way an agent who must leave while busy takes no
new contact, finishes what it holds, then leaves; the time from its scheduled end to then is
*overtime*. If a level rises again while such an agent is still finishing, it stays on as one
of the new level's agents.

The journey (``journey`` in the scenario): every contact belongs to an *issue*. When an
answered contact ends, it resolves its issue (or grants the refund its reason's policy
allows); an unresolved issue is escalated to the second tier's channel at once (a
transfer), or comes back after a lag as a *repeat*, perhaps on another channel. An abandoned
contact may *redial*: contacts that will redial get one timer at their deadline, so the
redial starts exactly then; nobody else needs a timer. In a channel with silent abandonment
some abandoners leave without a word: the agent who reaches them holds a slot for the
detection time (a *ghost*), then closes the chat. Each contact carries its own uniforms for
these decisions (drawn up front for first contacts; for later contacts from a stream of
their issue), so an issue behaves the same in every arm as far as its contacts' fates allow.

The simulation stops at the horizon: contacts still waiting then are *open* (or abandoned,
if their deadline had passed); follow-ups due after it are not simulated. Nothing here
prints or writes; simpy runs only what depends on the queue's state, with callbacks rather
than a process per contact.

Speed (see benchmarks/README.md): the engine's timed calls (arrivals, ends of service,
timers) are bare entries in simpy's own event queue, in the order ``Timeout`` events would
have (:class:`_Clock`); an arrival that comes before everything queued is handled without
queueing it; per-contact columns are Python lists while the engine runs; what a first
contact's own uniforms decide is computed for all of them at once with numpy.

Memory: :func:`simulate_center` runs the horizon in one piece and returns every contact.
:func:`stream_center` runs the same simulation in segments, feeding input contacts a
segment ahead and handing out the issues that are over every ``BATCH_CONTACTS`` contacts
(:meth:`_Center.compact` renumbers what stays); schedule actions wait on an agenda, only the
next one in the event queue. So the engine holds the queues, the agents, the contacts in
service or due, the issues they belong to and a batch, not the horizon's contacts.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray
from simpy.events import NORMAL, Timeout

from sim.config import (
    ConstantSchedule,
    Distribution,
    HourlySchedule,
    IntervalSchedule,
    Scenario,
    Schedule,
    ShiftsSchedule,
)
from sim.demand import ALWAYS, IF_INSIST, Contacts, all_reasons
from sim.distributions import quantile
from sim.uniforms import (
    DECISIONS,
    FOLLOW_CHANNEL,
    FOLLOW_DECISIONS,
    FOLLOW_HANDLE,
    FOLLOW_LAG,
    FOLLOW_PATIENCE,
    FOLLOW_ROWS,
    U_ESCALATE,
    U_INSIST,
    U_REDIAL,
    U_REPEAT,
    U_RESOLVE,
    U_SILENT,
    U_SWITCH,
)

ANSWERED, ABANDONED, OPEN = 0, 1, 2
"""Outcome codes of a contact: answered by an agent, abandoned, still waiting at the horizon."""

FIRST, REDIAL, REPEAT, ESCALATION = 0, 1, 2, 3
"""Kinds of contact: an issue's first, a redial after abandoning, a repeat of an unresolved
issue, a transfer to the second tier."""


def _quantile_at(d: Distribution, u: NDArray[np.float64], row: int) -> float:
    """The quantile of ``d`` at ``u[row]``."""
    return float(quantile(d, u[row : row + 1])[0])


IssueStream = Callable[[int], np.random.Generator]
"""Gives the random stream of an issue from its key (see :class:`sim.rng.Streams`)."""


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
    contacts: Contacts | None = None
    """Every contact, first contacts and follow-ups, in the order they were created: the
    first ``n`` are the input contacts, in their order."""
    kind: NDArray[np.int8] | None = None
    """``FIRST``, ``REDIAL``, ``REPEAT`` or ``ESCALATION``."""
    issue: NDArray[np.int64] | None = None
    """Index of the contact's issue: the index of the issue's first contact."""
    attempt: NDArray[np.int16] | None = None
    """0 for an issue's first contact, then 1, 2, …"""
    resolved: NDArray[np.int8] | None = None
    """1 if this contact resolved its issue, 0 if answered without resolving, -1 otherwise."""
    refunded: NDArray[np.bool_] | None = None
    """This contact granted a refund."""
    platform: NDArray[np.bool_] | None = None
    """This (second-tier) contact ended in a platform intervention (小二介入)."""
    ghosts: NDArray[np.float64] | None = None
    """``(group, channel, start, end, busy share)`` of agent time spent on silent
    abandoners (clipped to the horizon only by the metrics)."""
    complete_before: float = math.inf
    """Every contact arriving before this time (seconds) is in this result or an earlier
    one of the same run (see :func:`stream_center`)."""


# --------------------------------------------------------------------------- schedules

# An action at one instant: ("on", crew, n) brings n agents of a crew on duty; ("off", crew,
# n) sends a crew's agents off (crew None: a level, n agents). Offs run before ons.
_Action = tuple[str, int | None, int]


def schedule_actions(
    schedule: Schedule, horizon: float, interval_seconds: float | None = None
) -> list[tuple[float, list[_Action]]]:
    """The on/off actions of a schedule over ``[0, horizon)``, by time.

    ``interval_seconds`` is the calendar's interval, which an ``intervals`` schedule needs
    (its levels change at interval boundaries); the other kinds ignore it.

    Raises:
        ValueError: For an ``intervals`` schedule without ``interval_seconds``, or whose
            length is neither one day's nor the whole horizon's intervals.
    """
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
        case IntervalSchedule(agents=levels):
            if interval_seconds is None or interval_seconds <= 0:
                raise ValueError("an intervals schedule needs the calendar's interval length")
            steps = math.ceil(horizon / interval_seconds - 1e-9)
            daily = len(levels) * interval_seconds == 86400.0
            if not daily and len(levels) < steps:
                raise ValueError(
                    f"an intervals schedule needs {round(86400.0 / interval_seconds)} or "
                    f"{steps} values, got {len(levels)}"
                )
            level = 0
            for k in range(steps):
                want = levels[k % len(levels)] if daily else levels[k]
                if want > level:
                    add(k * interval_seconds, ("on", None, want - level))
                elif want < level:
                    add(k * interval_seconds, ("off", None, level - want))
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


def schedule_levels(
    schedule: Schedule, horizon: float, interval_seconds: float | None = None
) -> ScheduleLevels:
    """The scheduled number of agents of a schedule as a step function.

    ``interval_seconds``: the calendar's interval, needed by an ``intervals`` schedule.
    """
    times, agents, level = [0.0], [0.0], 0
    for t, actions in schedule_actions(schedule, horizon, interval_seconds):
        for kind, _, n in actions:
            level += n if kind == "on" else -n
        if t == times[-1]:
            agents[-1] = level
        else:
            times.append(t)
            agents.append(level)
    return ScheduleLevels(np.array(times), np.array(agents, dtype=np.float64))


# --------------------------------------------------------------------------- engine


class _Clock:
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

    __slots__ = ("agenda", "closed", "env", "lag", "next_action", "now")

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

    def call_in(self, delay: float, fn: Callable[[Timeout], None], value: Any = None) -> Timeout:
        """Call ``fn(event)`` at ``now + delay``; the event's value is ``value``."""
        env = self.env
        if self.lag:
            when = self.now + delay
            base = env.now
            delay = when - base
            if base + delay != when:
                return self.call_at(when, fn, value)
        event = Timeout(env, delay, value)
        event.callbacks.append(fn)
        return event

    def call_at(self, when: float, fn: Callable[[Timeout], None], value: Any = None) -> Timeout:
        """Call ``fn(event)`` at exactly ``when`` (not before simpy's now)."""
        env = self.env
        base = env.now
        delay = when - base
        if base + delay != when:
            while base + delay > when:
                delay = math.nextafter(delay, -math.inf)
            while base + math.nextafter(delay, math.inf) <= when:
                delay = math.nextafter(delay, math.inf)
        event = Timeout(env, delay, value)
        if base + delay == when:
            event.callbacks.append(fn)
        else:  # from just below, the rest of the way is exact
            event.callbacks.append(lambda e: self._hop(e, when, fn))
        return event

    def _hop(self, event: Timeout, when: float, fn: Callable[[Timeout], None]) -> None:
        """Queue ``event`` again, for ``when``, with ``fn`` as its callback."""
        event.callbacks = [fn]
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
        self.env.run(until=until)
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


class _Table:
    """Per-contact columns; inputs are fed in chunks, follow-ups appended as created.

    Plain Python lists while the engine runs: reading or writing an element of a list costs
    a fifth of a numpy element access, and the engine does little else. What follows from
    the run (the group and units of an answer, when a contact left the queue) is put together
    as numpy arrays when contacts are handed out (:meth:`_Center._batch`). The columns that
    never change once a contact exists (:data:`FIXED`, and ``decide``) are also kept as numpy
    arrays, for the first ``n_fixed`` contacts (:meth:`seal` adds the follow-ups created
    since), so that handing out does not convert them back from lists.

    An issue is named by the index of its first contact; the per-issue columns
    (``contacts_of_issue``, ``issue_refunded``, ``key``, and ``order`` and ``delivery``,
    kept only as arrays) hold their value at that index (placeholders at other contacts').
    """

    FIXED = (
        "arrival",
        "handle",
        "patience",
        "channel",
        "reason",
        "ctype",
        "issue",
        "kind",
        "attempt",
        "key",
    )
    """List columns that never change once a contact exists (``issue`` only renumbered)."""
    HEADS = ("order", "delivery")
    """Columns kept only as arrays: values at issue heads, placeholders elsewhere."""
    LISTS = (
        *FIXED,
        "deadline",
        "answer",
        "agent",
        "outcome",
        "resolved",
        "silent",
        "redial",
        "ended",
        "contacts_of_issue",
        "issue_refunded",
    )
    """The per-contact list columns."""

    def __init__(self) -> None:
        self.n = 0
        self.arrival: list[float] = []
        self.handle: list[float] = []
        self.patience: list[float] = []
        self.deadline: list[float] = []
        self.channel: list[int] = []
        self.reason: list[int] = []
        self.ctype: list[int] = []
        self.issue: list[int] = []
        self.kind: list[int] = []
        self.attempt: list[int] = []
        self.answer: list[float] = []
        self.agent: list[int] = []
        self.outcome: list[int] = []
        self.resolved: list[int] = []
        self.refunded: list[int] = []
        """Contacts that granted a refund."""
        self.platform: list[int] = []
        """Second-tier contacts that ended in a platform intervention."""
        # decided when the contact is created (see _Center._decide_inputs and _follow_up)
        self.silent: list[bool] = []
        self.redial: list[bool] = []
        self.ended: list[int] = []
        """Per input contact, what it does when it ends answered (see _decide_inputs); 3
        (decided when it ends) for follow-ups."""
        self.decide: NDArray[np.float64] = np.zeros((0, DECISIONS))
        """Decision uniforms of the first ``len(decide)`` contacts."""
        self.extra: list[NDArray[np.float64]] = []
        """Decision uniforms of the contacts after them, in order."""
        # per issue
        self.contacts_of_issue: list[int] = []
        self.issue_refunded: list[bool] = []
        self.key: list[int] = []
        self.n_fixed = 0
        self.fixed: dict[str, NDArray[Any]] = {
            name: np.zeros(0, dtype=_DTYPES[name]) for name in (*self.FIXED, *self.HEADS)
        }

    def decisions(self, i: int) -> NDArray[np.float64]:
        """Contact i's decision uniforms."""
        first: int = self.decide.shape[0]
        return self.decide[i] if i < first else self.extra[i - first]

    def grow(self, name: str, values: list[Any]) -> None:
        """Append values to a list column (an empty one takes the list itself: no copy)."""
        column: list[Any] = getattr(self, name)
        if column:
            column.extend(values)
        else:
            setattr(self, name, values)

    def seal(self, more: dict[str, NDArray[Any]] | None = None) -> None:
        """Bring the arrays of fixed columns and ``decide`` up to every contact.

        ``more``: new contacts' arrays (every fixed and head column, and ``decide``) to put
        after them, for contacts the caller adds to the lists itself.
        """
        tail = self.n - self.n_fixed
        for name in self.FIXED:
            parts = [self.fixed[name]]
            if tail:
                parts.append(np.array(getattr(self, name)[self.n_fixed :], dtype=_DTYPES[name]))
            if more is not None:
                parts.append(more[name])
            self.fixed[name] = np.concatenate(parts) if len(parts) > 1 else parts[0]
        for name, blank in (("order", -1), ("delivery", math.nan)):
            parts = [self.fixed[name], np.full(tail, blank, dtype=_DTYPES[name])]
            if more is not None:
                parts.append(more[name])
            self.fixed[name] = np.concatenate(parts)
        extra = [np.array(self.extra).reshape(-1, DECISIONS)] if self.extra else []
        self.decide = np.concatenate([self.decide, *extra, *([more["decide"]] if more else [])])
        self.extra = []
        self.n_fixed = self.n + (len(more["decide"]) if more is not None else 0)


class _Center:
    def __init__(self, scenario: Scenario, issue_stream: IssueStream | None) -> None:
        self.clock = _Clock()
        self._at = self.clock.call_in
        self.env = self.clock.env
        self.live: list[Timeout] | None = None
        """While streaming, the queued calls that name a contact (see :meth:`compact`)."""
        self.input_event: Timeout | None = None
        """The queued arrival of the next input contact, if any."""
        self.scenario = scenario
        self.horizon = scenario.calendar.horizon_seconds
        self.t = _Table()
        self.meta: Contacts | None = None
        """The first chunk fed: the contacts' names and which optional columns they have."""
        self.inputs: list[int] = []
        """Indices of the input contacts fed since the last compaction, by arrival: those
        from the position whose arrival is queued on are still to arrive
        (``_arrive_first`` walks them by position; see :meth:`_next_input`)."""
        self.n_inputs = 0
        """Input contacts fed so far."""
        names = list(scenario.channels)
        self.queues: list[deque[int]] = [deque() for _ in names]
        priority = scenario.staffing.channel_priority
        self.groups: list[_Group] = []
        for gi, g in enumerate(scenario.staffing.groups):
            capacity = _lcm([scenario.channels[c].concurrency for c in g.channels])
            ordered = [c for c in priority if c in g.channels] if priority else g.channels
            units = {names.index(c): capacity // scenario.channels[c].concurrency for c in ordered}
            group = _Group(gi, capacity, list(units.items()), units)
            group.buckets = [{} for _ in range(capacity + 1)]
            self.groups.append(group)
        # per channel, the groups serving it: (group, units a contact takes, the channels
        # the group ranks above it)
        self.serving: list[list[tuple[_Group, int, tuple[int, ...]]]] = [[] for _ in names]
        for group in self.groups:
            ranked = [c for c, _ in group.order]
            for k, (c, need) in enumerate(group.order):
                self.serving[c].append((group, need, tuple(ranked[:k])))
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
        self.ghosts: list[tuple[int, int, float, float, float]] = []
        width = scenario.calendar.interval_seconds
        self.actions = [
            schedule_actions(g.schedule, self.horizon, width) for g in scenario.staffing.groups
        ]
        self.levels = tuple(
            schedule_levels(g.schedule, self.horizon, width) for g in scenario.staffing.groups
        )
        # the journey
        j = scenario.journey
        self.journey = j
        self.reasons = all_reasons(scenario)
        self.channel_specs = [scenario.channels[c] for c in names]
        types = list(scenario.customers.types.values()) if scenario.customers else []
        self.insist = [t.refund_insistence for t in types] or [0.5]
        self.escalation_factor = [t.escalation_factor for t in types] or [1.0]
        self.type_handle = [t.handle_time_factor for t in types] or [1.0]
        self.type_patience = [t.patience_factor for t in types] or [1.0]
        self.tier2 = names.index(j.escalation_channel) if j.escalation_channel else -1
        self.silent_share = [spec.silent_abandon_share for spec in self.channel_specs]
        self.redial_p = [
            j.redial_probability if r.redial_probability is None else r.redial_probability
            for r in self.reasons
        ]
        self.max_contacts = j.max_contacts_per_issue
        self.issue_stream = issue_stream
        self.issue_rng: dict[int, np.random.Generator] = {}
        self.agent_group: list[int] = []
        """Group of each agent, by agent id."""
        self.agenda: list[tuple[Any, ...]] = []
        """Schedule actions not yet in the event queue, the next one last (see start)."""
        self._agent_group = np.zeros(0, dtype=np.int32)
        # the groups' units of a contact of each channel; row -1 (no agent) reads 0
        self.units_of = np.zeros((len(self.groups) + 1, len(self.queues)), dtype=np.int32)
        for group in self.groups:
            for ch, need in group.units.items():
                self.units_of[group.index, ch] = need

    def feed(self, c: Contacts) -> None:
        """Add input contacts (sorted by arrival, none before those fed before); between runs.

        The first contacts fed while no input is on its way are scheduled here; later ones
        are reached by the chain of arrivals (each arrival schedules the next input), so
        their order among simultaneous events is the same however the inputs were fed.
        """
        t = self.t
        if self.meta is None:
            self.meta = c
        n = len(c)
        if n == 0:
            return
        k = t.n
        new: dict[str, NDArray[Any]] = {
            "arrival": c.arrival_seconds.astype(np.float64, copy=False),
            "handle": c.handle_seconds.astype(np.float64, copy=False),
            "patience": c.patience_seconds.astype(np.float64, copy=False),
            "channel": c.channel.astype(np.int32, copy=False),
            "reason": c.reason.astype(np.int32, copy=False),
            "ctype": (
                c.customer_type.astype(np.int32, copy=False)
                if c.customer_type is not None
                else np.zeros(n, dtype=np.int32)
            ),
            "issue": np.arange(k, k + n, dtype=np.int64),
            "kind": np.full(n, FIRST, dtype=np.int8),
            "attempt": np.zeros(n, dtype=np.int16),
            "key": (
                c.issue_key.astype(np.int64, copy=False)
                if c.issue_key is not None
                else np.arange(self.n_inputs, self.n_inputs + n, dtype=np.int64)
            ),
            "order": (
                c.order.astype(np.int64, copy=False)
                if c.order is not None
                else np.full(n, -1, dtype=np.int64)
            ),
            "delivery": (
                c.delivery_seconds.astype(np.float64, copy=False)
                if c.delivery_seconds is not None
                else np.full(n, math.nan)
            ),
            "decide": (
                c.decide.astype(np.float64, copy=False)
                if c.decide is not None
                else np.full((n, DECISIONS), 0.5)
            ),
        }
        # the follow-ups created so far go in front of the new inputs in the arrays
        t.seal(new)
        for name in _Table.FIXED:
            t.grow(name, new[name].tolist())
        t.grow("deadline", (new["arrival"] + new["patience"]).tolist())
        t.grow("answer", [math.nan] * n)
        t.grow("agent", [-1] * n)
        t.grow("outcome", [OPEN] * n)
        t.grow("resolved", [-1] * n)
        t.grow("contacts_of_issue", [1] * n)
        t.grow("issue_refunded", [False] * n)
        self._decide_inputs(c, new["decide"])
        t.n += n
        self.n_inputs += n
        first = len(self.inputs)
        self.inputs.extend(range(k, k + n))
        if self._next_input() < 0:
            now = self.clock.now
            self.input_event = self._at(t.arrival[k] - now, self._arrive_first, [first])

    def _next_input(self) -> int:
        """Position in ``inputs`` of the input whose arrival is queued (-1: none is)."""
        event = self.input_event
        if event is None or event.processed:
            return -1
        call: Any = event.value
        return int(call[0])

    def _decide_inputs(self, c: Contacts, u: NDArray[np.float64]) -> None:
        """What input contacts' own uniforms decide, for a chunk of them at once.

        Whether a contact abandons silently and whether it would redial are fixed when it
        is created. When a first contact ends answered, its issue has no other contact yet
        (a follow-up comes only after it ends, or after it abandons), so what it resolves
        or refunds depends on its uniforms alone: ``ended`` holds, per first contact, 0
        (resolved), 1 (resolved with a refund), 2 (unresolved, nothing follows) or 3
        (unresolved, an escalation or a repeat may follow: decided when it ends).
        """
        n = len(c)
        t = self.t
        channel = c.channel.astype(np.intp, copy=False)
        reason = c.reason.astype(np.intp, copy=False)
        ctype = (
            c.customer_type.astype(np.intp, copy=False)
            if c.customer_type is not None
            else np.zeros(n, dtype=np.intp)
        )
        share = np.array(self.silent_share, dtype=np.float64)[channel]
        t.grow("silent", ((share > 0) & (u[:, U_SILENT] < share)).tolist())
        p = np.array(self.redial_p, dtype=np.float64)[reason]
        t.grow("redial", ((p > 0) & (u[:, U_REDIAL] < p)).tolist())
        if not self.reasons:
            t.grow("ended", [2] * n)  # never read: without reasons nothing is answered
            return
        j = self.journey
        policy = np.array([r.refund_policy for r in self.reasons])[reason]
        insist = np.array(self.insist, dtype=np.float64)[ctype]
        refund = (policy == ALWAYS) | ((policy == IF_INSIST) & (u[:, U_INSIST] < insist))
        resolution = np.array([r.resolution for r in self.reasons], dtype=np.float64)
        resolved = refund | (u[:, U_RESOLVE] < resolution[reason, channel])
        factor = np.array(self.escalation_factor, dtype=np.float64)[ctype]
        follow = (u[:, U_ESCALATE] < np.minimum(1.0, j.escalation_probability * factor)) & (
            self.tier2 >= 0
        )
        follow |= u[:, U_REPEAT] < j.repeat_probability
        follow &= self.max_contacts > 1
        ended = np.where(resolved, refund.astype(np.int8), np.where(follow, 3, 2))
        t.grow("ended", ended.tolist())

    # ---- contacts

    def _arrive_first(self, event: Timeout) -> None:
        """An input contact arrives, then the next ones in passing while each is first."""
        clock = self.clock
        now = clock.now = self.env.now  # clock.tick(), inline: the busiest call
        clock.lag = False
        if now >= clock.next_action and not clock.act(now):
            return
        call: Any = event.value
        p = call[0]
        env = self.env
        arrival = self.t.arrival
        inputs = self.inputs
        last = len(inputs) - 1
        while True:
            i = inputs[p]
            self._route(i, arrival[i])
            if p == last:
                if self._release_due:
                    self._settle()
                return
            p += 1
            now = clock.now
            delay = arrival[inputs[p]] - now
            if self._release_due:
                # queued before what settling queues (the order of calls at equal times)
                self.input_event = clock.call_in(delay, self._arrive_first, [p])
                self._settle()
                return
            when = now + delay
            if when >= env.peek():  # not first: queued (clock.precedes_all, inline)
                self.input_event = clock.call_in(delay, self._arrive_first, [p])
                return
            clock.now = when  # clock.pass_to, inline
            clock.lag = True

    def _arrive_followup(self, event: Timeout) -> None:
        if not self.clock.tick():
            return
        call: Any = event.value
        i = call[0]
        self._route(i, self.t.arrival[i])
        self._settle()

    def _route(self, i: int, now: float) -> None:
        t = self.t
        c = t.channel[i]
        best: _Agent | None = None
        if not self.queues[c] or self._live_head(c, now) is None:
            # FCFS: nobody may overtake a waiting contact
            best_free = best_need = -1
            for g, need, above in self.serving[c]:
                if above and self._reserved(above):
                    continue
                buckets = g.buckets
                for free in range(g.capacity, need - 1, -1):
                    bucket = buckets[free]
                    if bucket:
                        if free > best_free:
                            best, best_free, best_need = next(iter(bucket)), free, need
                        break
        if best is not None:
            self._start(i, best_need, best, now)
            return
        self.queues[c].append(i)
        if self.outranks[c]:
            self._arm(c)
        if (
            t.redial[i]
            and t.contacts_of_issue[t.issue[i]] < self.max_contacts
            and math.isfinite(t.deadline[i])
        ):
            # a redial's deadline, its arrival plus zero patience, can fall 1e-13 s before
            # the clock's now (the two sums round apart): its patience is out now
            call = self._at(max(0.0, t.deadline[i] - self.clock.now), self._patience_out, [i])
            if self.live is not None:
                self.live.append(call)

    def _start(self, i: int, need: int, agent: _Agent, now: float) -> None:
        """Agent takes contact i, which needs ``need`` of its units, at ``now``."""
        buckets = agent.group.buckets
        del buckets[agent.free][agent]
        agent.free -= need
        buckets[agent.free][agent] = None
        t = self.t
        t.answer[i] = now
        t.outcome[i] = ANSWERED
        t.agent[i] = agent.id
        if self.clock.lag:
            call = self.clock.call_in(t.handle[i], self._finish, [i, agent, need])
        else:
            call = Timeout(self.env, t.handle[i], [i, agent, need])  # clock.call_in, inline
            call.callbacks.append(self._finish)
        if self.live is not None:
            self.live.append(call)

    def _start_ghost(self, i: int, c: int, agent: _Agent, now: float) -> None:
        """Agent reaches a silent abandoner: finds nobody, closes the chat after a while."""
        g = agent.group
        need = g.units[c]
        del g.buckets[agent.free][agent]
        agent.free -= need
        g.buckets[agent.free][agent] = None
        hold = self.channel_specs[c].silent_detect_seconds
        self.ghosts.append((g.index, c, now, now + hold, need / g.capacity))
        self._at(hold, self._finish_ghost, (agent, need))

    def _finish(self, event: Timeout) -> None:
        """An answered contact ends."""
        clock = self.clock
        now = clock.now = self.env.now  # clock.tick(), inline
        clock.lag = False
        if now >= clock.next_action and not clock.act(now):
            return
        call: Any = event.value
        i, agent, need = call
        t = self.t
        code = t.ended[i]
        if code == 3:
            self._after_answer(i)
        elif code == 2:
            t.resolved[i] = 0
        else:
            t.resolved[i] = 1
            if code:
                t.refunded.append(i)
                t.issue_refunded[i] = True
        # the recorded end, not the clock: the clock's float steps may differ from
        # answer + handle by a hair, and the next contact must not start before it
        self._free(agent, need, t.answer[i] + t.handle[i])

    def _finish_ghost(self, event: Timeout) -> None:
        if not self.clock.tick():
            return
        call: Any = event.value
        agent, need = call
        self._free(agent, need, self.clock.now)

    def _free(self, agent: _Agent, need: int, end: float) -> None:
        """Agent gives back ``need`` units at ``end`` and takes waiting work.

        An agent who is leaving takes none: it logs off once it holds nothing (``end`` is
        not used then).
        """
        g = agent.group
        if agent.leaving:
            agent.free += need
            if agent.free == g.capacity:
                self._log_off(agent)
            self._settle()
            return
        buckets = g.buckets
        del buckets[agent.free][agent]
        agent.free += need
        buckets[agent.free][agent] = None
        self._pull(agent, end)
        if self._release_due:
            self._settle()

    def _live_head(self, c: int, now: float) -> int | None:
        """The first contact of channel ``c`` an agent would take at ``now``.

        Contacts whose patience ran out are dropped as abandoned at their deadline, except
        silent abandoners, which stay at the head until an agent finds them (ghosts).
        """
        q = self.queues[c]
        t = self.t
        while q:
            j = q[0]
            if t.deadline[j] > now:
                return j
            if t.outcome[j] == OPEN:
                t.outcome[j] = ABANDONED  # at its deadline
            if t.silent[j]:
                return j
            q.popleft()
        return None

    def _reserved(self, above: tuple[int, ...]) -> bool:
        """Whether a contact of one of these (higher-priority) channels is waiting."""
        now = self.clock.now
        for d in above:
            if self._live_head(d, now) is not None:
                return True
        return False

    def _pull(self, agent: _Agent, now: float | None = None) -> None:
        """Let an agent with room take waiting contacts: strict channel priority, FCFS."""
        g = agent.group
        clock = self.clock.now
        now = clock if now is None or now < clock else now
        t = self.t
        queues = self.queues
        for c, need in g.order:
            q = queues[c]
            while q and (j := self._live_head(c, now)) is not None:
                if agent.free < need:
                    return  # keep the room for this higher-priority contact
                q.popleft()
                if t.outcome[j] == ABANDONED:
                    self._start_ghost(j, c, agent, now)
                else:
                    # the clock's float steps may sit a hair before the arrival it was set for
                    arrival = t.arrival[j]
                    self._start(j, need, agent, arrival if arrival > now else now)
                if self.outranks[c]:
                    self._arm(c)
            if agent.free == 0:
                return

    # ---- the journey

    def _patience_out(self, event: Timeout) -> None:
        """The deadline of a waiting contact that will redial if it abandons."""
        if not self.clock.tick():
            return
        call: Any = event.value
        i = call[0]
        t = self.t
        if t.outcome[i] == ANSWERED:
            return  # answered in time
        # it may already be marked abandoned: a priority channel's head timer fires at the
        # same instant and can look at the queue first; the customer still calls back
        t.outcome[i] = ABANDONED
        u = self._issue_draws(i)
        lag = _quantile_at(self.journey.redial_lag_minutes, u, FOLLOW_LAG) * 60.0
        self._follow_up(i, REDIAL, t.channel[i], t.deadline[i] + lag, u)
        self._settle()

    def _after_answer(self, i: int) -> None:
        """Resolution, refund, escalation or repeat when an answered contact ends."""
        t = self.t
        j = self.journey
        u = t.decisions(i)
        r = self.reasons[t.reason[i]]
        c = t.channel[i]
        ctype = t.ctype[i]
        issue = t.issue[i]
        kind = t.kind[i]
        resolved = refunded = False
        if not t.issue_refunded[issue]:
            if r.refund_policy == ALWAYS or (
                r.refund_policy == IF_INSIST and u[U_INSIST] < self.insist[ctype]
            ):
                resolved = refunded = True
        if not resolved:
            p = j.escalation_resolution_probability if kind == ESCALATION else r.resolution[c]
            resolved = bool(u[U_RESOLVE] < p)
        if not resolved and kind == ESCALATION:
            if u[U_ESCALATE] < j.platform_intervention_probability:
                t.platform.append(i)
                resolved = True
        t.resolved[i] = 1 if resolved else 0
        if refunded:
            t.refunded.append(i)
            t.issue_refunded[issue] = True
        end = t.answer[i] + t.handle[i]
        if resolved or not t.contacts_of_issue[issue] < self.max_contacts:
            return
        if (
            self.tier2 >= 0
            and kind != ESCALATION
            and u[U_ESCALATE] < min(1.0, j.escalation_probability * self.escalation_factor[ctype])
        ):
            self._follow_up(i, ESCALATION, self.tier2, end, self._issue_draws(i))
        elif u[U_REPEAT] < j.repeat_probability:
            v = self._issue_draws(i)
            lag = _quantile_at(j.repeat_lag_hours, v, FOLLOW_LAG) * 3600.0
            channel = c
            mix = np.array(r.mix, dtype=np.float64)
            # after the second tier the customer comes back through the reason's own
            # channels; otherwise on the same channel, or another with the switch probability
            switch = kind == ESCALATION or u[U_SWITCH] < j.channel_switch_probability
            if kind != ESCALATION:
                mix[c] = 0.0
            if switch and mix.sum() > 0:
                cum = np.cumsum(mix) / mix.sum()
                channel = int(np.searchsorted(cum, v[FOLLOW_CHANNEL], side="right"))
            self._follow_up(i, REPEAT, channel, end + lag, v)

    def _issue_draws(self, i: int) -> NDArray[np.float64]:
        """The next row of uniforms of contact i's issue (``FOLLOW_*`` in :mod:`sim.uniforms`)."""
        issue = self.t.issue[i]
        rng = self.issue_rng.get(issue)
        if rng is None:
            key = self.t.key[issue]
            rng = (
                self.issue_stream(key)
                if self.issue_stream is not None
                else np.random.default_rng(key & 0x7FFFFFFFFFFFFFFF)
            )
            self.issue_rng[issue] = rng
        return rng.random(FOLLOW_ROWS)

    def _follow_up(
        self, i: int, kind: int, channel: int, when: float, u: NDArray[np.float64]
    ) -> None:
        """A new contact of contact i's issue, arriving at ``when`` on ``channel``."""
        if when >= self.horizon:
            return
        t = self.t
        k = t.n
        t.n += 1
        issue = t.issue[i]
        t.contacts_of_issue[issue] += 1
        spec = self.channel_specs[channel]
        reason = t.reason[i]
        r = self.reasons[reason]
        ctype = t.ctype[i]
        factor = r.handle_time_factor * self.type_handle[ctype]
        if kind == ESCALATION:
            factor *= self.journey.escalation_handle_time_factor
        patience = (
            _quantile_at(spec.patience_seconds, u, FOLLOW_PATIENCE) * self.type_patience[ctype]
            if spec.patience_seconds is not None
            else math.inf
        )
        decide = u[FOLLOW_DECISIONS:]
        t.arrival.append(when)
        t.handle.append(_quantile_at(spec.handle_time_seconds, u, FOLLOW_HANDLE) * factor)
        t.patience.append(patience)
        t.deadline.append(when + patience)
        t.channel.append(channel)
        t.reason.append(reason)
        t.ctype.append(ctype)
        t.issue.append(issue)
        t.kind.append(kind)
        t.attempt.append(t.attempt[i] + 1)
        t.answer.append(math.nan)
        t.agent.append(-1)
        t.outcome.append(OPEN)
        t.resolved.append(-1)
        share = self.silent_share[channel]
        t.silent.append(share > 0 and bool(decide[U_SILENT] < share))
        p = self.redial_p[reason]
        t.redial.append(p > 0 and bool(decide[U_REDIAL] < p))
        t.extra.append(decide)
        t.ended.append(3)  # decided when it ends
        t.contacts_of_issue.append(0)
        t.issue_refunded.append(False)
        t.key.append(-1)
        call = self._at(when - self.clock.now, self._arrive_followup, [k])
        if self.live is not None:
            self.live.append(call)

    # ---- strict priority: when a waiting higher-priority contact stops blocking

    def _arm(self, c: int) -> None:
        """Watch the head of a channel that outranks others.

        Agents hold room back while it waits. When it leaves the queue (answered, or
        abandoned at its deadline: a timer for the head only, not for every contact), the
        agents holding room back take lower-priority contacts again.
        """
        if not self.outranks[c]:
            return
        now = self.clock.now
        j = self._live_head(c, now)
        if j is None:
            if any(self.queues[d] for d in self.outranks[c]):
                self._release_due = True
        elif self.armed[c] != j:
            self.armed[c] = j
            deadline = self.t.deadline[j]
            if math.isfinite(deadline) and deadline > now:
                self._at(deadline - now, self._wake, c)

    def _wake(self, event: Timeout) -> None:
        if not self.clock.tick():
            return
        c: int = event.value  # type: ignore[assignment]
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
        agent = _Agent(len(self.agents), g, crew, self.clock.now)
        self.agents.append(agent)
        self.agent_group.append(g.index)
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
            agent.off_since = self.clock.now
            agent.group.leaving.append(agent)

    def _log_off(self, agent: _Agent) -> None:
        now = self.clock.now
        if agent.leaving:
            self.overtime.append((agent.group.index, agent.off_since, now))
            agent.group.leaving.remove(agent)
            agent.leaving = False
        agent.off_since = now
        agent.free = -1  # off duty for good

    def _schedule(self, value: tuple[int, list[_Action]]) -> None:
        gi, actions = value
        g = self.groups[gi]
        for kind, crew, n in actions:
            if kind == "on":
                if crew is None:
                    # a rising level first keeps agents who were about to leave
                    while n and g.leaving:
                        agent = g.leaving.pop()
                        self.overtime.append((g.index, agent.off_since, self.clock.now))
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

    def start(self) -> None:
        """Put the schedules' actions on the agenda, before any contact."""
        self.clock.plan(
            [
                (when, self._schedule, (gi, acts))
                for gi, actions in enumerate(self.actions)
                for when, acts in actions
            ]
        )

    def advance(self, until: float) -> None:
        """Run to ``until`` (before the horizon); what is due at ``until`` itself waits."""
        self.clock.run(until)
        if self.live is not None:
            self.live = [e for e in self.live if not e.processed]

    def finish(self) -> CenterResult:
        """Run to the horizon; every contact still held, the agents' overtime and spells."""
        self.clock.run(self.horizon)
        # what was due after the horizon refers back to this engine: without it the engine
        # and its per-contact tables are freed as soon as the result is built, not whenever
        # the cyclic garbage collector runs
        self.clock.close()
        self.live = None
        t = self.t
        for q in self.queues:
            for j in q:
                if t.outcome[j] == OPEN and t.deadline[j] <= self.horizon:
                    t.outcome[j] = ABANDONED
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
        return self._batch(
            self._columns(_RESULT_COLUMNS),
            None,
            np.array(self.overtime, dtype=np.float64).reshape(-1, 3),
            spells,
        )

    def compact(self) -> CenterResult:
        """Hand out the issues that are over, and renumber the contacts kept.

        An issue is over when none of its contacts waits, is in service, is due to arrive
        or has a redial timer: nothing can add to it any more. Its contacts (in the order
        they were created) go into the result, with the ghosts since the last compaction;
        everything else stays, renumbered in the same order, and the engine's references
        (queues, queued calls, the chain of input arrivals, issue streams) follow.
        """
        t = self.t
        n = t.n
        refs = [j for q in self.queues for j in q]
        next_input = self._next_input()
        if next_input >= 0:
            refs += self.inputs[next_input:]  # still to arrive: their own issues
        assert self.live is not None, "compact needs the queued calls tracked"
        calls: list[Any] = [e.value for e in self.live if not e.processed]  # [contact, …]
        refs += [call[0] for call in calls]
        cols = self._columns()
        issue = cols["issue"]
        live_issue = np.zeros(n, dtype=bool)
        live_issue[issue[np.array(refs, dtype=np.int64)]] = True
        keep = live_issue[issue]
        order = np.flatnonzero(keep)
        # contacts still to come arrive from now on (the inputs before now were all fed)
        complete = min(self.clock.now, float(cols["arrival"][order].min(initial=math.inf)))
        out = self._batch(cols, np.flatnonzero(~keep), np.zeros((0, 3)), np.zeros((0, 4)), complete)
        new = np.full(n + 1, -1, dtype=np.int64)  # new[-1]: "none" stays -1
        new[order] = np.arange(order.size)
        cols["issue"] = new[issue]
        for name in _Table.LISTS:
            setattr(t, name, cols[name][order].tolist())
        for name in t.fixed:
            t.fixed[name] = cols[name][order]
        t.n_fixed = int(order.size)
        t.decide = cols["decide"][order]
        t.refunded = [int(new[i]) for i in t.refunded if new[i] >= 0]
        t.platform = [int(new[i]) for i in t.platform if new[i] >= 0]
        t.n = int(order.size)
        for c, q in enumerate(self.queues):
            self.queues[c] = deque(new[list(q)].tolist()) if q else q
        arrived = next_input if next_input >= 0 else len(self.inputs)
        self.inputs = new[self.inputs[arrived:]].tolist()
        for call in calls:
            call[0] = int(new[call[0]])
        if next_input >= 0:
            assert self.input_event is not None
            position: Any = self.input_event.value
            position[0] -= arrived  # a position in the inputs
        self.armed = [int(new[a]) for a in self.armed]
        self.issue_rng = {int(new[k]): g for k, g in self.issue_rng.items() if new[k] >= 0}
        return out

    def _columns(self, names: tuple[str, ...] = _Table.LISTS) -> dict[str, NDArray[Any]]:
        """The table's columns (these, and every array column) as numpy arrays."""
        t = self.t
        t.seal()
        cols = {
            name: t.fixed[name] if name in t.fixed else np.array(getattr(t, name), _DTYPES[name])
            for name in names
        }
        cols.update((name, t.fixed[name]) for name in _Table.HEADS)
        cols["decide"] = t.decide
        return cols

    def _batch(
        self,
        cols: dict[str, NDArray[Any]],
        idx: NDArray[np.intp] | None,
        overtime: NDArray[np.float64],
        spells: NDArray[np.float64],
        complete_before: float = math.inf,
    ) -> CenterResult:
        """The contacts at ``idx`` (whole issues, ascending; None: all) and new ghosts."""
        t = self.t
        meta = self.meta
        assert meta is not None, "no contacts were fed"

        def at(name: str) -> NDArray[Any]:
            return cols[name] if idx is None else cols[name][idx]

        head = at("issue")  # each contact's issue, as the index of its first contact
        if idx is None:
            issue = head
        else:
            local = np.full(t.n, -1, dtype=np.int64)
            local[idx] = np.arange(idx.size)
            issue = local[head]
        arrival = at("arrival")
        patience = at("patience")
        channel = at("channel")
        contacts = Contacts(
            arrival_seconds=arrival,
            channel=channel,
            reason=at("reason"),
            handle_seconds=at("handle"),
            patience_seconds=patience,
            channels=meta.channels,
            reasons=meta.reasons,
            customer_type=at("ctype"),
            order=None if meta.order is None else cols["order"][head],
            promo_reasons=meta.promo_reasons,
            after_sale_reasons=meta.after_sale_reasons,
            customer_types=meta.customer_types,
            decide=at("decide"),
            issue_key=None if meta.issue_key is None else cols["key"][head],
            delivery_seconds=None if meta.delivery_seconds is None else cols["delivery"][head],
        )
        outcome = at("outcome")
        answer = at("answer")
        agent = at("agent")
        if len(self.agent_group) >= self._agent_group.size:  # it ends with -1
            self._agent_group = np.array([*self.agent_group, -1], dtype=np.int32)
        group = self._agent_group[agent]  # agent -1 (not answered) reads -1
        leave = np.where(
            outcome == ANSWERED,
            answer,
            np.where(outcome == ABANDONED, arrival + patience, math.nan),
        )
        flags = np.zeros((2, t.n), dtype=np.bool_)
        flags[0, t.refunded] = True
        flags[1, t.platform] = True
        ghosts = np.array(self.ghosts, dtype=np.float64).reshape(-1, 5)
        self.ghosts = []
        return CenterResult(
            outcome=outcome,
            answer_seconds=answer,
            leave_queue_seconds=leave,
            agent=agent,
            group=group,
            units=self.units_of[group, channel],
            group_capacity=tuple(g.capacity for g in self.groups),
            scheduled=self.levels,
            overtime=overtime,
            spells=spells,
            horizon_seconds=self.horizon,
            contacts=contacts,
            kind=at("kind"),
            issue=issue,
            attempt=at("attempt"),
            resolved=at("resolved"),
            refunded=flags[0] if idx is None else flags[0, idx],
            platform=flags[1] if idx is None else flags[1, idx],
            ghosts=ghosts,
            complete_before=complete_before,
        )


_DTYPES: dict[str, type[np.generic]] = {
    "arrival": np.float64,
    "handle": np.float64,
    "patience": np.float64,
    "deadline": np.float64,
    "channel": np.int32,
    "reason": np.int32,
    "ctype": np.int32,
    "issue": np.int64,
    "kind": np.int8,
    "attempt": np.int16,
    "answer": np.float64,
    "agent": np.int32,
    "outcome": np.int8,
    "resolved": np.int8,
    "silent": np.bool_,
    "redial": np.bool_,
    "ended": np.int8,
    "contacts_of_issue": np.int32,
    "issue_refunded": np.bool_,
    "key": np.int64,
    "order": np.int64,
    "delivery": np.float64,
}
"""numpy types of the table's columns."""

_RESULT_COLUMNS = (*_Table.FIXED, "answer", "agent", "outcome", "resolved")
"""The list columns a result is made of (the rest only steers the engine)."""


def simulate_center(
    scenario: Scenario, contacts: Contacts, issue_stream: IssueStream | None = None
) -> CenterResult:
    """Run the contact centre of ``scenario`` on ``contacts`` to the horizon, in one piece.

    Args:
        scenario: The scenario.
        contacts: The first contacts of every issue, sorted by arrival.
        issue_stream: Random stream of an issue, for its follow-up contacts; without it a
            generator seeded by the issue's key (tests only).

    Returns:
        Every contact, the input contacts first in their order, then the follow-ups in the
        order they were created.
    """
    center = _Center(scenario, issue_stream)
    center.start()
    center.feed(contacts)
    return center.finish()


SEGMENT_SECONDS = 86400.0
"""How far :func:`stream_center` runs between looks at its table (simulated time)."""

BATCH_CONTACTS = 10_000
"""Contacts :func:`stream_center` lets its table gain before it hands out the issues that
are over: the table stays within this (plus what is going on), and each hand-out (a
compaction, a batch of metrics) is paid once for many contacts."""


def feed_times(horizon: float, segment_seconds: float = SEGMENT_SECONDS) -> Iterator[float]:
    """The ``before`` of each of :func:`stream_center`'s ``take`` calls, in order.

    Every segment's end inside the horizon, then ``inf``: the calls depend on the horizon
    alone (not on what the contact centre does), so a demand stream's run of them can be
    repeated without the engine (``sim.experiment.event_log_of`` does, to learn up front
    whether a stream would meet a late contact).
    """
    k = 1
    while k * segment_seconds < horizon:
        yield k * segment_seconds
        k += 1
    yield math.inf


def stream_center(
    scenario: Scenario,
    take: Callable[[float], Contacts],
    issue_stream: IssueStream | None,
    segment_seconds: float = SEGMENT_SECONDS,
    batch_contacts: int | None = None,
) -> Iterator[CenterResult]:
    """Run the contact centre segment by segment, keeping only what is still going on.

    The same simulation as :func:`simulate_center` on all of ``take``'s contacts (every
    contact meets the same fate), in bounded memory: input contacts are fed a segment
    ahead, and at the end of a segment in which the table grew by ``batch_contacts`` the
    issues that are over are handed out (:meth:`_Center.compact`), so the engine holds the
    queues, the agents, the contacts in service or due, the issues they belong to, and at
    most ``batch_contacts`` others — not the horizon's contacts.

    Args:
        scenario: The scenario.
        take: ``take(before)`` gives the input contacts arriving before ``before`` that
            were not taken yet, sorted by arrival (``before`` grows; ``inf`` at the end).
        issue_stream: Random stream of an issue (see :func:`simulate_center`).
        segment_seconds: Simulated time between looks at the table (and feeds).
        batch_contacts: Growth of the table that triggers a hand-out (0: every segment;
            default :data:`BATCH_CONTACTS`).

    Yields:
        The contacts of issues that are over (whole issues, in the order their contacts
        were created, issues numbered from 0 in each result), the ghosts since the last
        result, and ``complete_before``; the last result has every contact left and the
        agents' overtime and spells.
    """
    if batch_contacts is None:
        batch_contacts = BATCH_CONTACTS
    horizon = scenario.calendar.horizon_seconds
    center = _Center(scenario, issue_stream)
    center.live = []
    center.start()
    feeds = feed_times(horizon, segment_seconds)
    fed = 0.0  # every input contact arriving before this was fed

    def feed_past(until: float) -> None:
        """Feed every input before ``until`` and one at or after it (or all there are).

        The last input before ``until`` schedules its successor when it arrives.
        """
        nonlocal fed
        while fed < math.inf and (
            fed <= until or not center.inputs or center.t.arrival[center.inputs[-1]] < until
        ):
            fed = next(feeds)
            center.feed(take(fed))

    kept = 0  # contacts in the table after the last hand-out
    for until in feed_times(horizon, segment_seconds):
        feed_past(until)
        if until == math.inf:
            break
        center.advance(until)
        if center.t.n - kept >= batch_contacts:
            yield center.compact()
            kept = center.t.n
    yield center.finish()
