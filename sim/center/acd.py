"""The ACD: agents, groups, FCFS queues, routing, strict channel priority, the rota.

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

Service hours: a channel with ``hours`` is open only in them (:mod:`sim.hours`); while it is
closed no agent takes its contacts. A call that comes then hears "closed" (the engine says
what its caller does next); a message on an asynchronous channel joins the queue and waits
for the opening. At the opening agents with room take the waiting contacts. An agent freed
at the closing instant itself may still take a contact at that instant (ends are recorded
exactly; the closing runs when the clock's own float step reaches it).

Asynchronous channels keep every message: a waiting message is never removed (its
deadline is infinite), and an agent who reaches one whose buyer's patience has run out
answers a buyer who has *left* (the engine decides what that answer takes and does).

Patience: a waiting contact abandons when its patience runs out. Abandonment is decided
lazily but exactly: when a queue's head is looked at, contacts whose deadline (arrival +
patience) has passed are removed as abandoned *at their deadline*. Under FCFS nothing else
depends on whether an abandoned contact is still counted in the queue, so this needs no timer
per contact. A contact that finds room on arrival is answered at once, even with zero
patience; a waiting one abandons the instant its patience runs out. In a channel with silent
abandonment some abandoners leave without a word: the agent who reaches them holds a slot
for the detection time (a *ghost*), then closes the chat.

The rota (:mod:`sim.center.rota`) brings agents on and sends them off. An agent who must
leave while busy takes no new contact, finishes what it holds, then leaves (*overtime*); if
a level rises again while such an agent is still finishing, it stays on as one of the new
level's agents. When a level falls, idle agents leave first (the longest idle first), then
agents on break, then the least loaded busy ones; ``staffing.leaver`` decides among busy
agents of equal load:
the one that reached its load first (``oldest_call``), last (``newest_call``), or one at
random (``random``, the group's own random stream).

Breaks (``staffing.shrinkage``): the rota also sets how many of a group's agents are on
break. An agent going on break is chosen like a leaver (idle first, then by load and
``staffing.leaver``); a busy one takes no new contact and starts its break once it holds
nothing, and if another agent of the group frees itself first, that one goes instead (the
busy one takes contacts again). The wait is not overtime; the break simply starts later.
When the number falls, agents still finishing go back to work first, then those on break
the longest. An agent on break keeps its crew: if the crew's shift ends, it goes off duty.

Sources (``staffing.sources``): an agent of an extra shift's crew (a ``shifts`` schedule's
booked ``extra_shifts``) carries its source's factors for the date (:class:`Pace`,
:func:`sim.config.serve_factors`). A contact it answers is held for its drawn handle time
times the agent's handle-time factor (the draw itself is the contact's, the same in every
arm), and its resolution probability is the agent's factor times the usual one (the
engine's :meth:`Acd._paced`). Agents of a level are interchangeable and serve at factor 1.

:class:`Acd` holds this state and these rules; the engine (:mod:`sim.center.engine`) adds
the contacts' arrivals and ends, and what they lead to.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from simpy.events import NORMAL, Timeout

from sim.center.clock import Clock
from sim.center.result import ABANDONED, ANSWERED, OPEN
from sim.center.rota import Action, break_steps, group_levels, group_rota
from sim.center.table import Table
from sim.config import IN_HOUSE, Scenario, conversion_factor, serve_factors
from sim.hours import is_open, open_spans
from sim.rng import Streams


@dataclass(frozen=True)
class Pace:
    """How an extra shift's agent serves: factors on its contacts' handle time and resolution."""

    handle: float
    """× the drawn handle time of the contacts it answers."""
    resolution: float
    """× the resolution probability of the contacts it answers."""
    conversion: float = 1.0
    """Share of an answer's lift in an inquiring buyer's chance to order (pre-sale)."""


class Agent:
    """An agent on duty: its group, crew (shifts), free units, pace, and since when."""

    __slots__ = (
        "away_since",
        "crew",
        "free",
        "group",
        "id",
        "leaving",
        "off_since",
        "on_since",
        "pace",
        "pausing",
    )

    def __init__(
        self, ident: int, group: Group, crew: int | None, now: float, pace: Pace | None = None
    ) -> None:
        self.id = ident
        self.group = group
        self.crew = crew
        self.pace = pace
        """Its source's factors (None: it serves like the group's own agents)."""
        self.free = group.capacity
        self.leaving = False
        self.pausing = False
        """Going on break once it holds nothing; takes no new contact meanwhile."""
        self.on_since = now
        self.off_since = math.nan
        self.away_since = math.nan
        """When its break began (nan: not on break)."""


@dataclass(eq=False)
class Group:
    """An agent group: its capacity in units per agent, its channels, its agents by room."""

    index: int
    capacity: int
    # (channel index, units) in the order a free agent looks at its channels
    order: list[tuple[int, int]]
    units: dict[int, int]
    # available agents (on duty, not leaving) by free units; dicts as insertion-ordered sets,
    # never replaced (Acd.serving holds them)
    buckets: list[dict[Agent, None]] = field(default_factory=list)
    crews: dict[int, list[Agent]] = field(default_factory=dict)
    leaving: list[Agent] = field(default_factory=list)
    serve: list[tuple[int, int]] = field(default_factory=list)
    """The entries of ``order`` whose channel is open now (all of them without hours)."""
    away: dict[Agent, None] = field(default_factory=dict)
    """Agents on break, in the order their breaks began."""
    going: dict[Agent, None] = field(default_factory=dict)
    """Agents finishing their contacts before a break, in the order they were chosen."""
    breaks: int = 0
    """Agents the rota wants on break now."""
    rng: np.random.Generator | None = None
    """The group's random stream for ``staffing.leaver: random`` (made when first needed)."""


def lcm(values: list[int]) -> int:
    """The least common multiple of ``values`` (1 for none)."""
    out = 1
    for v in values:
        out = out * v // math.gcd(out, v)
    return out


class Acd:
    """Queues, agents and groups of a scenario, and the rules that move contacts between them.

    Contacts are rows of ``t`` (a :class:`~sim.center.table.Table`); the subclass provides
    :meth:`_finish` (an answered contact ends), :meth:`_waits` (a contact joins a queue),
    :meth:`_turned_away` (a call finds its channel closed) and :meth:`_start_left` (an agent
    answers a message whose buyer has left).
    """

    def __init__(
        self,
        scenario: Scenario,
        clock: Clock,
        t: Table,
        named: Callable[[str], np.random.Generator] | None = None,
    ) -> None:
        """Set up the queues, groups and rota of ``scenario``.

        ``named``: the replication's named random streams (:class:`sim.rng.Streams`);
        None: replication 0's of the scenario's seed.
        """
        self.clock = clock
        self.env = clock.env
        self.t = t
        self.horizon = scenario.calendar.horizon_seconds
        self.refund_seconds: list[float] | None = None
        """Per reason, the agent seconds its refund route adds to a refunding contact (None:
        no reason has a route; set by the engine)."""
        self.live: list[Timeout] | None = None
        """While streaming, the queued calls that name a contact, but for the ends of
        service (``ends``; see ``compact``)."""
        self.ends: list[list[Any]] = []
        """Every end of service made so far, ``[contact, agent, units, event, callbacks,
        end]``: an answered contact's end reuses one whose event was processed
        (``ends_free``), so there are as many as contacts were ever in service at once."""
        self.ends_free: list[list[Any]] = []
        names = list(scenario.channels)
        self.channel_specs = [scenario.channels[c] for c in names]
        self.queues: list[deque[int]] = [deque() for _ in names]
        self.spans = [open_spans(spec.hours, scenario.calendar) for spec in self.channel_specs]
        """Per channel, its ``[open, close)`` spans in simulation seconds."""
        self.open = [bool(is_open(sp, [0.0])[0]) for sp in self.spans]
        """Per channel, whether it is open now."""
        self.keeps = [spec.asynchronous for spec in self.channel_specs]
        """Per channel, whether it is asynchronous (never loses a message)."""
        priority = scenario.staffing.channel_priority
        self.groups: list[Group] = []
        for gi, g in enumerate(scenario.staffing.groups):
            capacity = lcm([scenario.channels[c].concurrency for c in g.channels])
            ordered = [c for c in priority if c in g.channels] if priority else g.channels
            units = {names.index(c): capacity // scenario.channels[c].concurrency for c in ordered}
            group = Group(gi, capacity, list(units.items()), units)
            group.buckets = [{} for _ in range(capacity + 1)]
            group.serve = [(c, need) for c, need in group.order if self.open[c]]
            self.groups.append(group)
        # per channel, the groups serving it: (group, units a contact takes, the channels
        # the group ranks above it, the group's agents by free units that can take the
        # contact, most room first: (units, the bucket of agents with that many free))
        self.serving: list[
            list[tuple[Group, int, tuple[int, ...], tuple[tuple[int, dict[Agent, None]], ...]]]
        ] = [[] for _ in names]
        for group in self.groups:
            ranked = [c for c, _ in group.order]
            for k, (c, need) in enumerate(group.order):
                rooms = tuple((f, group.buckets[f]) for f in range(group.capacity, need - 1, -1))
                self.serving[c].append((group, need, tuple(ranked[:k]), rooms))
        # channels each channel outranks in some group's priority order
        self.outranks: list[set[int]] = [set() for _ in names]
        for group in self.groups:
            ranked = [c for c, _ in group.order]
            for k, c in enumerate(ranked):
                self.outranks[c].update(ranked[k + 1 :])
        self.armed = [-1] * len(names)
        self._release_due = False
        self.agents: list[Agent] = []
        self.agent_group: list[int] = []
        """Group of each agent, by agent id."""
        self.overtime: list[tuple[int, float, float]] = []
        self.ghosts: list[tuple[int, int, float, float, float]] = []
        self.breaks: list[tuple[int, int, float, float]] = []
        """``(agent, group, start, end)`` of every break that ended."""
        self.group_names = [g.name for g in scenario.staffing.groups]
        self.leaver = scenario.staffing.leaver
        self.named = named if named is not None else Streams(scenario.seed, 0)
        width = scenario.calendar.interval_seconds
        # the rota is on the shop's clock; extra shifts on top of the schedule
        rotas = [group_rota(g, scenario.calendar) for g in scenario.staffing.groups]
        self.actions = [actions for actions, _ in rotas]
        sources = scenario.staffing.sources_in_force
        self.paces: list[dict[int, Pace]] = []
        """Per group, the extra crews whose agents serve with factors other than 1."""
        for _, worked in rotas:
            paces = {}
            for crew, x in worked.items():
                source = sources[x.source] if x.source != IN_HOUSE else None
                factors = serve_factors(source, x.day)
                conversion = conversion_factor(source)
                if factors != (1.0, 1.0) or conversion != 1.0:
                    paces[crew] = Pace(*factors, conversion)
            self.paces.append(paces)
        self.converts = scenario.presale is not None and any(
            p.conversion != 1.0 for paces in self.paces for p in paces.values()
        )
        """Some extra crew's answers lift an inquiring buyer's chance to order less."""
        self.levels = tuple(group_levels(g, scenario.calendar) for g in scenario.staffing.groups)
        shrinkage = scenario.staffing.shrinkage
        self.shrinks = shrinkage > 0
        if self.shrinks:
            self.actions = [
                _with_breaks(acts, break_steps(lv, shrinkage, self.horizon, width))
                for acts, lv in zip(self.actions, self.levels, strict=True)
            ]
        # the groups' units of a contact of each channel; row -1 (no agent) reads 0
        self.units_of = np.zeros((len(self.groups) + 1, len(self.queues)), dtype=np.int32)
        for group in self.groups:
            for ch, need in group.units.items():
                self.units_of[group.index, ch] = need

    def _finish(self, call: list[Any], event: Timeout) -> None:
        """An answered contact ends (the engine's); ``call`` is one of ``ends``."""
        raise NotImplementedError

    def _waits(self, i: int) -> None:
        """Contact i, which would redial, has joined its channel's queue (the engine's)."""
        raise NotImplementedError

    def _turned_away(self, i: int, c: int, now: float) -> None:
        """Call i came at ``now`` while its channel ``c`` was closed (the engine's)."""
        raise NotImplementedError

    def _start_left(self, i: int, c: int, need: int, agent: Agent, now: float) -> None:
        """Agent answers message i of asynchronous channel c, whose buyer left (the engine's)."""
        raise NotImplementedError

    def _paced(self, i: int, pace: Pace) -> None:
        """An agent with ``pace`` answers contact i: its handle time and fate (the engine's)."""
        raise NotImplementedError

    def _decide(self, i: int) -> None:
        """Contact i, whose end was left undecided (ending -1), is answered (the engine's)."""
        raise NotImplementedError

    def _refund_route(self, i: int) -> None:
        """Contact i is answered: a refund it grants adds its route's time (the engine's)."""
        raise NotImplementedError

    def hours_actions(self) -> list[tuple[float, Callable[[Any], None], Any]]:
        """The channels' openings and closings inside the horizon, as schedule actions."""
        out: list[tuple[float, Callable[[Any], None], Any]] = []
        for c, spans in enumerate(self.spans):
            for start, end in spans.tolist():
                if 0 < start < self.horizon:
                    out.append((start, self._open_channel, c))
                if 0 < end < self.horizon:
                    out.append((end, self._close_channel, c))
        return out

    def _open_channel(self, c: int) -> None:
        """Channel c opens: agents with room take its waiting contacts."""
        self.open[c] = True
        self._refresh_serve()
        self._release_due = True
        self._settle()

    def _close_channel(self, c: int) -> None:
        """Channel c closes: its contacts wait; agents holding room for them take others."""
        self.open[c] = False
        self._refresh_serve()
        self._release_due = True
        self._settle()

    def _refresh_serve(self) -> None:
        for g in self.groups:
            g.serve = [(c, need) for c, need in g.order if self.open[c]]

    # ---- contacts

    def _route(self, i: int, now: float) -> None:
        """Contact i arrives at ``now``: the agent with the most room takes it, or it waits."""
        c = self.t.channel[i]
        if not self.open[c]:
            if self.keeps[c]:
                self.queues[c].append(i)  # an auto-reply; it waits for the opening
            else:
                self._turned_away(i, c, now)
            return
        best: Agent | None = None
        q = self.queues[c]
        # self._live_head, inline while the head's patience has not run out
        if not q or (self.t.deadline[q[0]] <= now and self._live_head(c, now) is None):
            # FCFS: nobody may overtake a waiting contact
            best_free = best_need = -1
            for _, need, above, rooms in self.serving[c]:
                if above and self._reserved(above):
                    continue
                for free, bucket in rooms:
                    if bucket:
                        if free > best_free:
                            best, best_free, best_need = next(iter(bucket)), free, need
                        break
        if best is not None:
            self._start(i, best_need, best, now)
            return
        q.append(i)
        if self.outranks[c]:
            self._arm(c)
        if self.t.redial[i] and not self.keeps[c]:  # a message never runs out of patience
            self._waits(i)

    def _start(self, i: int, need: int, agent: Agent, now: float) -> None:
        """Agent takes contact i, which needs ``need`` of its units, at ``now``."""
        buckets = agent.group.buckets
        del buckets[agent.free][agent]
        agent.free -= need
        buckets[agent.free][agent] = None
        t = self.t
        t.answer[i] = now
        t.outcome[i] = ANSWERED
        t.agent[i] = agent.id
        if agent.pace is not None:
            self._paced(i, agent.pace)
        if t.ending[i] < 0:  # decided only now (the engine's follow-up messages)
            self._decide(i)
        if self.refund_seconds is not None:
            self._refund_route(i)
        handle = t.handle[i]
        free = self.ends_free
        if free:
            call = free.pop()
            call[0] = i
            call[1] = agent
            call[2] = need
            call[5] = now + handle
            if self.clock.lag:
                self.clock.again(call[3], call[4], handle)
            else:  # clock.again, inline
                event = call[3]
                event.callbacks = call[4]
                self.env.schedule(event, NORMAL, handle)
            return
        self._hold(i, agent, need, handle, now + handle)

    def _hold(self, i: int, agent: Agent, need: int, delay: float, end: float) -> None:
        """Contact i holds ``need`` of agent's units for ``delay`` from now, to ``end``.

        Its end (:meth:`_finish`) reuses a processed one of ``ends`` if there is one.
        """
        free = self.ends_free
        if free:
            call = free.pop()
            call[0] = i
            call[1] = agent
            call[2] = need
            call[5] = end
            self.clock.again(call[3], call[4], delay)
            return
        call = [i, agent, need, None, None, end]
        callbacks: list[Callable[[Timeout], None]] = [partial(self._finish, call)]
        call[3] = self.clock.again(None, callbacks, delay)
        call[4] = callbacks
        self.ends.append(call)

    def _take(self, agent: Agent, need: int) -> None:
        """Agent gives ``need`` of its free units to a contact."""
        buckets = agent.group.buckets
        del buckets[agent.free][agent]
        agent.free -= need
        buckets[agent.free][agent] = None

    def _start_ghost(self, i: int, c: int, agent: Agent, now: float) -> None:
        """Agent reaches a silent abandoner: finds nobody, closes the chat after a while."""
        g = agent.group
        need = g.units[c]
        self._take(agent, need)
        hold = self.channel_specs[c].silent_detect_seconds
        self.ghosts.append((g.index, c, now, now + hold, need / g.capacity))
        self.clock.call_in(hold, self._finish_ghost, (agent, need, now + hold))

    def _finish_ghost(self, event: Timeout) -> None:
        if not self.clock.tick():
            return
        call: Any = event.value
        agent, need, end = call
        # the recorded end, not the clock (as _finish): the clock may sit a hair before it,
        # and the contact taken next must not start before the one this slot held had ended
        self._free(agent, need, end)

    def _free(self, agent: Agent, need: int, end: float) -> None:
        """Agent gives back ``need`` units at ``end`` and takes waiting work.

        An agent who is leaving takes none: it logs off once it holds nothing (``end`` is
        not used then).
        """
        g = agent.group
        if agent.leaving or agent.pausing:
            agent.free += need
            if agent.free == g.capacity:
                if agent.leaving:
                    self._log_off(agent)
                else:
                    self._go_away(agent, end)
            self._settle()
            return
        buckets = g.buckets
        del buckets[agent.free][agent]
        agent.free += need
        if g.going and agent.free == g.capacity:
            # free first: it takes the break of an agent still finishing its contacts
            self._go_away(agent, end, swap=True)
        else:
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
            if self.open[d] and self._live_head(d, now) is not None:
                return True
        return False

    def _pull(self, agent: Agent, now: float | None = None) -> None:
        """Let an agent with room take waiting contacts: strict channel priority, FCFS."""
        g = agent.group
        clock = self.clock.now
        now = clock if now is None or now < clock else now
        t = self.t
        queues = self.queues
        deadline = t.deadline
        for c, need in g.serve:
            q = queues[c]
            while q:
                j = q[0]
                if deadline[j] <= now:  # patience ran out: self._live_head
                    head = self._live_head(c, now)
                    if head is None:
                        break
                    j = head
                if agent.free < need:
                    return  # keep the room for this higher-priority contact
                q.popleft()
                if t.outcome[j] == ABANDONED:
                    self._start_ghost(j, c, agent, now)
                else:
                    # the clock's float steps may sit a hair before the arrival it was set for
                    arrival = t.arrival[j]
                    if self.keeps[c] and arrival + t.patience[j] <= now:
                        self._start_left(j, c, need, agent, now)
                    else:
                        self._start(j, need, agent, arrival if arrival > now else now)
                if self.outranks[c]:
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
        now = self.clock.now
        j = self._live_head(c, now)
        if j is None:
            if any(self.queues[d] for d in self.outranks[c]):
                self._release_due = True
        elif self.armed[c] != j:
            self.armed[c] = j
            deadline = self.t.deadline[j]
            if math.isfinite(deadline) and deadline > now:
                self.clock.call_in(deadline - now, self._wake, c)

    def _wake(self, event: Timeout) -> None:
        if not self.clock.tick():
            return
        c: int = event.value  # type: ignore[assignment]
        self.armed[c] = -1
        self._arm(c)
        self._settle()

    def _settle(self) -> None:
        """Let agents who held room back take work, once no higher-priority contact waits."""
        queues = self.queues
        while self._release_due:
            self._release_due = False
            for g in self.groups:
                serve = [queues[c] for c, _ in g.serve]
                # once nothing waits for the group every further pull is a no-op: checked
                # before each agent, and before a bucket is copied at all (an idle crowd,
                # e.g. the ample rota staff measures load on, made this O(agents))
                for free in range(g.capacity, 0, -1):
                    if not any(serve):
                        break
                    for agent in list(g.buckets[free]):
                        if not any(serve):
                            break
                        if agent.free > 0 and not agent.leaving:
                            self._pull(agent)

    # ---- agents and the rota

    def _log_on(self, g: Group, crew: int | None, pull: bool = True) -> Agent:
        pace = self.paces[g.index].get(crew) if crew is not None else None
        agent = Agent(len(self.agents), g, crew, self.clock.now, pace)
        self.agents.append(agent)
        self.agent_group.append(g.index)
        if crew is not None:
            g.crews.setdefault(crew, []).append(agent)
        g.buckets[agent.free][agent] = None
        if pull:
            self._pull(agent)
        return agent

    def _send_off(self, agent: Agent) -> None:
        g = agent.group
        if agent in g.away:
            self._back(agent)  # its break ends with its duty
        elif agent.pausing:
            del g.going[agent]
            agent.pausing = False
            if agent.free == g.capacity:  # pragma: no cover - it would be on break
                raise AssertionError("an agent going on break holds nothing")
        else:
            del g.buckets[agent.free][agent]
        if agent.free == g.capacity:
            self._log_off(agent)
        else:
            agent.leaving = True
            agent.off_since = self.clock.now
            g.leaving.append(agent)

    def _log_off(self, agent: Agent) -> None:
        now = self.clock.now
        if agent.leaving:
            self.overtime.append((agent.group.index, agent.off_since, now))
            agent.group.leaving.remove(agent)
            agent.leaving = False
        agent.off_since = now
        agent.free = -1  # off duty for good

    def _schedule(self, value: tuple[int, list[Action]]) -> None:
        gi, actions = value
        g = self.groups[gi]
        # with breaks, agents coming on take work only once the breaks are dealt out, so
        # an agent who is idle anyway goes on break rather than one who just took a contact
        pull = not self.shrinks
        fresh: list[Agent] = []
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
                        if pull:
                            self._pull(agent)
                        else:
                            fresh.append(agent)
                        n -= 1
                for _ in range(n):
                    fresh.append(self._log_on(g, crew, pull))
            elif kind == "break":
                g.breaks = n
            elif crew is None:
                for _ in range(n):
                    self._send_off(self._pick_leaver(g))
            else:
                for agent in g.crews.pop(crew):
                    self._send_off(agent)
        if self.shrinks:
            self._deal_breaks(g)
            for agent in fresh:
                if agent in g.buckets[agent.free]:
                    self._pull(agent)
        self._settle()

    def _pick_leaver(self, g: Group) -> Agent:
        """Who leaves when a level falls: idle, then on break, then busy by load and rule."""
        idle = g.buckets[g.capacity]
        if idle:
            return next(iter(idle))  # the longest idle
        if g.away:
            return next(iter(g.away))  # the longest on break
        busy = self._pick_busy(g)
        if busy is not None:
            return busy
        if g.going:
            return next(iter(g.going))
        raise AssertionError("schedule level below zero")  # pragma: no cover

    def _pick_busy(self, g: Group) -> Agent | None:
        """The least loaded busy agent taking work; ``staffing.leaver`` among equal loads."""
        for free in range(g.capacity - 1, -1, -1):
            bucket = g.buckets[free]
            if not bucket:
                continue
            # a bucket keeps its agents in the order they reached its load
            if self.leaver == "oldest_call" or len(bucket) == 1:
                return next(iter(bucket))
            if self.leaver == "newest_call":
                return next(reversed(bucket))
            if g.rng is None:
                g.rng = self.named(f"staffing.{self.group_names[g.index]}.leaver")
            k = int(g.rng.integers(len(bucket)))
            return next(itertools.islice(bucket, k, None))
        return None

    # ---- breaks

    def _deal_breaks(self, g: Group) -> None:
        """Send agents on break, or back, until as many are on break as the rota wants.

        Going: idle agents first (the longest idle), then busy ones as leavers are chosen;
        a busy one finishes its contacts first. Coming back: those still finishing first
        (the latest chosen), then those on break the longest. Then an idle agent (one who
        just came on) relieves each agent still finishing, while there are both.
        """
        now = self.clock.now
        have = len(g.away) + len(g.going)
        while have > g.breaks:
            if g.going:
                agent = next(reversed(g.going))
                del g.going[agent]
                agent.pausing = False
                g.buckets[agent.free][agent] = None
                self._pull(agent)
            else:
                agent = next(iter(g.away))
                self._back(agent)
                g.buckets[g.capacity][agent] = None
                self._pull(agent)
            have -= 1
        while have < g.breaks:
            idle = g.buckets[g.capacity]
            if idle:
                agent = next(iter(idle))
                del idle[agent]
                agent.away_since = now
                g.away[agent] = None
            else:
                busy = self._pick_busy(g)
                if busy is None:  # pragma: no cover - breaks never exceed the level
                    raise AssertionError("more agents on break than on duty")
                del g.buckets[busy.free][busy]
                busy.pausing = True
                g.going[busy] = None
            have += 1
        idle = g.buckets[g.capacity]
        while g.going and idle:  # agents who came on idle relieve those still finishing
            agent = next(iter(idle))
            del idle[agent]
            self._go_away(agent, now, swap=True)

    def _go_away(self, agent: Agent, end: float, swap: bool = False) -> None:
        """Agent, holding nothing since ``end``, begins its break.

        ``swap``: it was taking work, and takes the break of the first agent still
        finishing its contacts before one, who takes work again.
        """
        g = agent.group
        now = self.clock.now
        agent.away_since = end if end > now else now
        if agent.pausing:
            del g.going[agent]
            agent.pausing = False
        g.away[agent] = None
        if swap:
            other = next(iter(g.going))
            del g.going[other]
            other.pausing = False
            g.buckets[other.free][other] = None
            self._pull(other)

    def _back(self, agent: Agent) -> None:
        """Agent's break ends now (it goes back to work or off duty: the caller's)."""
        g = agent.group
        del g.away[agent]
        self.breaks.append((agent.id, g.index, agent.away_since, self.clock.now))
        agent.away_since = math.nan


def _with_breaks(
    actions: list[tuple[float, list[Action]]], breaks: list[tuple[float, int]]
) -> list[tuple[float, list[Action]]]:
    """A group's schedule actions with its break steps, each time's break action last."""
    at: dict[float, list[Action]] = {t: list(acts) for t, acts in actions}
    for t, n in breaks:
        at.setdefault(t, []).append(("break", None, n))
    return sorted(at.items())
