"""The engine: contacts arrive, are routed by the ACD, end, and lead to follow-ups.

:class:`Center` is the :class:`~sim.center.acd.Acd` plus the contacts' side: the input
contacts fed in chunks (each arrival queues the next; one that comes before every queued
event is handled in passing), the end of an answered contact and what its fate
(:func:`sim.center.journey.fate`, decided when the contact is created) says follows, the
redial timers, the follow-ups created from their issue's own uniforms, the column
table (:mod:`sim.center.table`) and its compaction while streaming, and the result
(:mod:`sim.center.result`).

The journey: every contact belongs to an *issue*. When an answered contact ends, it
resolves its issue (or grants the refund its reason's policy allows); an unresolved issue is
escalated to the second tier's channel at once (a transfer), or comes back after a lag as a
*repeat*, perhaps on another channel. An abandoned contact may *redial*: contacts that will
redial get one timer at their deadline, so the redial starts exactly then; nobody else needs
a timer. Each contact carries its own uniforms for these decisions (drawn up front for first
contacts; for later contacts from their issue's, :class:`sim.rng.IssueDraws`), so an
issue behaves the same in every arm as far as its contacts' fates allow.

Service hours: a call that finds its channel closed hears "closed" (outcome ``CLOSED``); its
caller calls again after the opening (the journey's ``closed_redial_probability``, plus a
redial lag), writes at once on another channel of its reason's mix
(``closed_switch_probability``), or gives up — one draw, its ``U_REDIAL`` uniform (a closed
call never abandons, so that uniform is free). A message on an asynchronous channel is never
lost; an agent who answers one whose buyer has left holds it for ``silent_detect_seconds``
(``left_answer: detect``) or its own handle time, and its issue resolves with the channel's
``left_resolution_factor`` times the usual probability, with no transfer to the second tier
(nobody is there to transfer).

Sources: an agent of an extra shift with factors (:class:`~sim.center.acd.Pace`) holds a
contact for its drawn handle time times the agent's handle-time factor, and that served time
is the contact's handle time from then on (what the agent's busy time, the AHT and the
event log count). The contact's fate is decided again when such an agent answers it, from
the same uniforms, with the resolution probabilities (first tier and second) times the
agent's resolution factor; refunds and the platform's intervention probability are not the
agent's and do not change.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from simpy.events import NORMAL, Timeout

from sim.center.acd import Acd, Agent, Pace
from sim.center.clock import Clock
from sim.center.journey import (
    Ending,
    Fate,
    Kind,
    Rules,
    fate,
    fate_one,
    moved_channel,
    switch_cum,
)
from sim.center.presale import kept, kept_by, settled_many
from sim.center.result import (
    ABANDONED,
    ANSWERED,
    CLOSED,
    CONTAINED,
    OPEN,
    VOID,
    CenterResult,
    build,
)
from sim.center.table import AHEAD, BLANKS, DTYPES, RESULT_COLUMNS, Table
from sim.config import Scenario
from sim.demand import SETTLED, Contacts, all_reasons, carries_more, inquiry_reason
from sim.distributions import quantile_fn
from sim.rng import IssueDraws, Streams
from sim.uniforms import (
    DECISIONS,
    FOLLOW_CHANNEL,
    FOLLOW_DECISIONS,
    FOLLOW_HANDLE,
    FOLLOW_LAG,
    FOLLOW_PATIENCE,
    FOLLOW_ROWS,
    U_REDIAL,
    U_SWITCH,
)

_RESOLVE, _REFUND, _PLATFORM, _ESCALATE = (
    int(Ending.RESOLVE),
    int(Ending.REFUND),
    int(Ending.PLATFORM),
    int(Ending.ESCALATE),
)
""":class:`Ending` flags as plain ints (the busiest call tests them)."""
_REDIAL, _REPEAT, _ESCALATION = int(Kind.REDIAL), int(Kind.REPEAT), int(Kind.ESCALATION)
""":class:`Kind` values as plain ints (a member looked up on its class costs microseconds)."""


class Center(Acd):
    """The contact centre of one replication (see the module)."""

    def __init__(
        self,
        scenario: Scenario,
        issues: IssueDraws | None,
        named: Callable[[str], np.random.Generator] | None = None,
    ) -> None:
        """A replication's centre.

        ``issues``: the uniforms of its issues' follow-ups (:attr:`sim.rng.Streams.issues`;
        None: replication 0's); ``named``: its named streams (:class:`~sim.center.acd.Acd`).
        """
        clock = Clock()
        j = scenario.journey
        # without repeats, redials or escalations follow-ups are rare (a call that finds its
        # channel closed): their rows are then computed one at a time, the same draws, not
        # ahead for every contact fed
        often = (
            j.repeat_probability > 0
            or j.redial_probability > 0
            or j.escalation_probability > 0
            or any(r.redial_probability for r in all_reasons(scenario))
        )
        table = Table(carries_more(scenario), AHEAD if often else 0)
        super().__init__(scenario, clock, table, named)
        self._at = clock.call_in
        self.input_event: Timeout | None = None
        """The arrival of the next input contact, if queued (not processed); reused."""
        self.input_at = 0
        """Position in ``inputs`` of the input whose arrival ``input_event`` is."""
        self._arrive_calls: list[Callable[[Timeout], None]] = [self._arrive_first]
        self.scenario = scenario
        self.meta: Contacts | None = None
        """The first chunk fed: the contacts' names and which optional columns they have."""
        self.inputs: list[int] = []
        """Indices of the input contacts fed since the last compaction, by arrival: those
        from the position whose arrival is queued on are still to arrive
        (``_arrive_first`` walks them by position; see :meth:`_next_input`)."""
        self.n_inputs = 0
        """Input contacts fed so far."""
        j = scenario.journey
        self.journey = j
        self.reasons = all_reasons(scenario)
        if any(r.refund_seconds for r in self.reasons):
            self.refund_seconds = [r.refund_seconds for r in self.reasons]
        self.rules = Rules.of(scenario)
        self.rules_one = self.rules.scalars()
        """The rules as Python scalars, for each follow-up's fate."""
        specs = self.channel_specs
        left_factors = [s.left_resolution_factor for s in specs]
        self.rules_left = _left_rules(self.rules_one, left_factors)
        """The rules for an answer to a buyer who has left (asynchronous channels)."""
        self.rules_left_bulk = _left_rules(self.rules, left_factors)
        """The same as arrays, for the input contacts' fates."""
        self.paced_rules: dict[float, tuple[Rules, Rules]] = {}
        """Per resolution factor of an extra shift's agents, the rules of its answers and of
        its answers to buyers who left."""
        for paces in self.paces:
            for pace in paces.values():
                if pace.resolution != 1.0 and pace.resolution not in self.paced_rules:
                    rules = _resolving(self.rules_one, pace.resolution)
                    left = _left_rules(rules, left_factors)
                    self.paced_rules[pace.resolution] = (rules, left)
        self.left_hold = [
            s.silent_detect_seconds if s.left_answer == "detect" else math.nan for s in specs
        ]
        """Per channel, how long answering a buyer who left holds the agent (nan: its own
        handle time)."""
        self.any_keeps = any(self.keeps)
        self.span_starts = [sp[:, 0].tolist() for sp in self.spans]
        """Per channel, the openings of its spans (for a closed call's redial)."""
        types = list(scenario.customers.types.values()) if scenario.customers else []
        self.type_handle = [t.handle_time_factor for t in types] or [1.0]
        self.type_patience = [t.patience_factor for t in types] or [1.0]
        self.max_contacts = j.max_contacts_per_issue
        # a follow-up's draws, one distribution's quantile at a time
        self.handle_at = [quantile_fn(s.handle_time_seconds) for s in specs]
        self.patience_at = [
            quantile_fn(s.patience_seconds) if s.patience_seconds is not None else None
            for s in specs
        ]
        self.redial_lag_at = quantile_fn(j.redial_lag_minutes)
        self.repeat_lag_at = quantile_fn(j.repeat_lag_hours)
        self.handle_factor = [
            [r.handle_time_factor * f for f in self.type_handle] for r in self.reasons
        ]
        """Per reason and customer type, the factor on a follow-up's handle time."""
        self.cums: dict[tuple[int, int, bool], list[float] | None] = {}
        """A moving repeat's channel shares by reason, channel and escalation
        (:func:`~sim.center.journey.switch_cum`), as they are needed."""
        self.issues = issues if issues is not None else Streams(scenario.seed, 0).issues
        self.drawn: dict[int, int] = {}
        """Per issue that has drawn a follow-up's uniforms: how many times it has."""
        self.presale = scenario.presale
        self.inquiry = inquiry_reason(scenario)
        self.asking: dict[int, int] = {}
        """Per order whose buyer asked first and has not decided: its inquiry's contact."""
        self.lost: dict[int, tuple[float, float]] = {}
        """Per order lost whose contacts may still arrive: from when they are void (its
        buyer's decision), and when its last contact arrives (then the entry goes)."""
        self.gated: set[int] | None = set() if self.presale is not None else None
        """Input contacts of orders with an undecided inquiry, checked when they arrive."""
        self._agent_group = np.zeros(0, dtype=np.int32)

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
            "kind": np.full(n, Kind.FIRST, dtype=np.int8),
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
        ahead = self.t.ahead
        new["ahead"] = self.issues.uniforms(new["key"], 0, ahead * FOLLOW_ROWS).reshape(
            n, ahead, FOLLOW_ROWS
        )
        if t.more:
            for name, column in (
                ("bot", c.bot),
                ("bot_seconds", c.bot_seconds),
                ("placed", c.placed_seconds),
                ("keep", c.keep_draw),
                ("last", c.last_seconds),
            ):
                new[name] = (
                    column.astype(DTYPES[name], copy=False)
                    if column is not None
                    else np.full(n, BLANKS[name], dtype=DTYPES[name])
                )
        # the follow-ups created so far go in front of the new inputs in the arrays
        t.seal(new)
        for name in Table.FIXED:
            t.grow(name, new[name].tolist())
        deadline = new["arrival"] + new["patience"]
        if self.any_keeps:  # an asynchronous channel's messages never run out of patience
            keeps = np.array(self.keeps, dtype=bool)
            deadline = np.where(keeps[new["channel"]], math.inf, deadline)
        t.grow("deadline", deadline.tolist())
        t.grow("answer", [math.nan] * n)
        t.grow("agent", [-1] * n)
        settled = np.flatnonzero(new["bot"] == SETTLED) if t.more else ()
        if len(settled):
            # settled by the bot: over on arrival, never queued, never routed
            outcome, resolved = np.full(n, OPEN, np.int8), np.full(n, -1, np.int8)
            outcome[settled], resolved[settled] = CONTAINED, 1
            t.grow("outcome", outcome.tolist())
            t.grow("resolved", resolved.tolist())
        else:
            t.grow("outcome", [OPEN] * n)
            t.grow("resolved", [-1] * n)
        t.grow("contacts_of_issue", [1] * n)
        t.grow("issue_refunded", [False] * n)

        def first_fates(rules: Rules) -> Fate:
            """The fates of the fed first contacts under ``rules``, in bulk."""
            return fate(
                rules,
                new["decide"].T,
                new["channel"],
                new["reason"],
                new["ctype"],
                Kind.FIRST,
                True,
                self.max_contacts > 1,
            )

        if self.rules.has_reasons:
            f = first_fates(self.rules)
            t.grow("silent", np.broadcast_to(f.silent, n).tolist())
            t.grow("redial", np.broadcast_to(f.redial, n).tolist())
            t.grow("ending", np.broadcast_to(f.ending, n).astype(np.int8).tolist())
        else:  # never read: without reasons there are no contacts
            t.grow("silent", [False] * n)
            t.grow("redial", [False] * n)
            t.grow("ending", [0] * n)
        if self.any_keeps and self.rules.has_reasons:
            # an answer after the buyer left, decided now like the usual one (an issue has
            # one contact going at a time: nothing changes its rule while it waits)
            f = first_fates(self.rules_left_bulk)
            t.grow("left_ending", np.broadcast_to(f.ending, n).astype(np.int8).tolist())
        else:
            t.grow("left_ending", [-1] * n)
        t.grow("left", [False] * n)
        t.n += n
        self.n_inputs += n
        if self.presale is not None:
            self._ask(new, k)
        first = len(self.inputs)
        if len(settled):
            self.inputs.extend((k + np.flatnonzero(new["bot"] != SETTLED)).tolist())
        else:
            self.inputs.extend(range(k, k + n))
        if len(self.inputs) > first and self._next_input() < 0:
            self.input_at = first
            self.input_event = self.clock.again(
                self.input_event, self._arrive_calls, t.arrival[self.inputs[first]] - self.clock.now
            )

    def _ask(self, new: dict[str, NDArray[Any]], k: int) -> None:
        """Note the new inquiries of orders, and gate the new contacts of asking orders."""
        assert self.presale is not None
        order, reason = new["order"], new["reason"]
        asks = np.flatnonzero((reason == self.inquiry) & (order >= 0))
        by_bot = new["bot"][asks] == SETTLED
        for i, o in zip((k + asks[~by_bot]).tolist(), order[asks[~by_bot]].tolist(), strict=True):
            self.asking[o] = i
        # the bot's inquiries are decided when drawn (perhaps after this batch is handed out):
        # the lost orders are noted at once
        settle = asks[by_bot]
        moment, keeps = settled_many(
            self.presale,
            new["arrival"][settle],
            new["bot_seconds"][settle],
            new["placed"][settle],
            new["keep"][settle],
        )
        gone = ~keeps
        for o, when, last in zip(
            order[settle[gone]].tolist(),
            moment[gone].tolist(),
            new["last"][settle[gone]].tolist(),
            strict=True,
        ):
            self.lost[o] = (when, last)
        asking, lost = self.asking, self.lost
        if not asking and not lost:
            return
        # the other contacts of watched orders (a few among thousands: a set lookup each)
        own = set(asks.tolist())
        of_order = np.flatnonzero(order >= 0)
        assert self.gated is not None
        self.gated.update(
            k + j
            for j, o in zip(of_order.tolist(), order[of_order].tolist(), strict=True)
            if (o in asking or o in lost) and j not in own
        )

    def _admits(self, i: int) -> bool:
        """Input contact i of an asking order arrives: it happens unless the order was lost."""
        assert self.gated is not None
        self.gated.discard(i)
        order = int(self.t.fixed["order"][i])
        now = self.t.arrival[i]
        gone = self.lost.get(order)
        if gone is None:
            j = self.asking.get(order)
            if j is None:
                return True  # kept
            decided = self._decision(self._row, j, now)
            if decided is None:
                return True  # the buyer has not decided yet: a question before the order
            del self.asking[order]
            if decided:
                return True
            gone = self.lost[order] = (now, float(self._row("last")[j]))
        since, last = gone
        if now < since:
            return True  # before the buyer decided
        if now >= last:
            del self.lost[order]  # its last contact: nothing more to void
        self.t.outcome[i] = VOID
        return False

    def _row(self, name: str) -> Any:
        """A table column while the engine runs: its list, or its array for a head column."""
        t = self.t
        return t.fixed[name] if name in t.heads else getattr(t, name)

    def _decision(self, column: Callable[[str], Any], j: int, now: float) -> bool | None:
        """Inquiry contact j's order kept (True), lost (False) or undecided at ``now``.

        ``column(name)``: the contacts' column ``name`` (lists or arrays).
        """
        assert self.presale is not None
        return kept_by(
            self.presale,
            now,
            conversion=self._conversion(int(column("agent")[j])),
            outcome=int(column("outcome")[j]),
            arrival=float(column("arrival")[j]),
            answer=float(column("answer")[j]),
            left=bool(column("left")[j]),
            bot=int(column("bot")[j]),
            bot_seconds=float(column("bot_seconds")[j]),
            placed=float(column("placed")[j]),
            draw=float(column("keep")[j]),
        )

    def _conversions(self) -> NDArray[np.float64]:
        """:meth:`_conversion` of every agent by id, then 1.0 (for -1: nobody answered)."""
        return np.array([*(self._conversion(a) for a in range(len(self.agents))), 1.0])

    def _conversion(self, agent: int) -> float:
        """The conversion factor of agent ``agent``'s answers (1 for -1: nobody answered)."""
        if not self.converts or agent < 0:
            return 1.0
        pace = self.agents[agent].pace
        return 1.0 if pace is None else pace.conversion

    def _next_input(self) -> int:
        """Position in ``inputs`` of the input whose arrival is queued (-1: none is)."""
        event = self.input_event
        if event is None or event.processed:
            return -1
        return self.input_at

    # ---- contacts

    def _arrive_first(self, event: Timeout) -> None:
        """An input contact arrives, then the next ones in passing while each is first."""
        clock = self.clock
        now = clock.now = self.env.now  # clock.tick(), inline: the busiest call
        clock.lag = False
        if now >= clock.next_action and not clock.act(now):
            return
        p = self.input_at
        env = self.env
        arrival = self.t.arrival
        inputs = self.inputs
        last = len(inputs) - 1
        gated = self.gated
        while True:
            i = inputs[p]
            if gated is None or i not in gated or self._admits(i):
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
                self.input_at = p
                clock.again(event, self._arrive_calls, delay)
                self._settle()
                return
            when = now + delay
            if when >= env.peek():  # not first: queued (clock.precedes_all, inline)
                self.input_at = p
                if clock.lag:
                    clock.again(event, self._arrive_calls, delay)
                else:  # clock.again, inline
                    event.callbacks = self._arrive_calls
                    env.schedule(event, NORMAL, delay)
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

    def _waits(self, i: int) -> None:
        """A waiting contact that would redial gets a timer at its deadline (nobody else does)."""
        t = self.t
        if t.contacts_of_issue[t.issue[i]] < self.max_contacts and math.isfinite(t.deadline[i]):
            # a redial's deadline, its arrival plus zero patience, can fall 1e-13 s before
            # the clock's now (the two sums round apart): its patience is out now
            delay = max(0.0, t.deadline[i] - self.clock.now)
            call, fresh = self.clock.call_contact(delay, self._patience_out, i)
            if self.live is not None and fresh:  # not fresh: still listed (see advance)
                self.live.append(call)

    def _finish(self, call: list[Any], event: Timeout) -> None:
        """An answered contact ends: what its fate says it does, then its agent is free."""
        clock = self.clock
        now = clock.now = self.env.now  # clock.tick(), inline
        clock.lag = False
        if now >= clock.next_action and not clock.act(now):
            return
        # free for reuse only now: the schedule's actions just run may have started contacts,
        # and one that took this end would have overwritten it before it was read
        self.ends_free.append(call)
        # the recorded end, not the clock: the clock's float steps may differ from
        # answer + hold by a hair, and the next contact must not start before it
        i, agent, need, _, _, end = call
        t = self.t
        if t.ending[i] == _RESOLVE:  # the common end, inline: resolved, nothing follows
            t.resolved[i] = 1
        else:
            self._ends(i, end)
        if agent.leaving or self.shrinks:  # breaks: their bookkeeping is _free's
            self._free(agent, need, end)
            return
        buckets = agent.group.buckets  # self._free, inline (the busiest path)
        del buckets[agent.free][agent]
        agent.free += need
        buckets[agent.free][agent] = None
        self._pull(agent, end)
        if self._release_due:
            self._settle()

    def _ends(self, i: int, end: float) -> None:
        """Answered contact i ends at ``end``: it resolves its issue, or what follows."""
        t = self.t
        ending = t.ending[i]
        if ending & _RESOLVE:
            t.resolved[i] = 1
            if ending & _REFUND:
                t.refunded.append(i)
                t.issue_refunded[t.issue[i]] = True
            if ending & _PLATFORM:
                t.platform.append(i)
        else:
            t.resolved[i] = 0
            if ending:
                self._goes_on(i, ending, end)

    def _paced(self, i: int, pace: Pace) -> None:
        """An extra shift's agent answers contact i: the served time, the fate again."""
        if pace.handle != 1.0:
            self._served(i, pace.handle)
        if pace.resolution != 1.0:
            self.t.ending[i] = self._ending(
                i, self.paced_rules[pace.resolution][0], self.t.channel[i]
            )

    def _decide(self, i: int) -> None:
        """Contact i, a follow-up message, is answered with its buyer there: its fate now."""
        self.t.ending[i] = self._ending(i, self.rules_one, self.t.channel[i])

    def _refund_route(self, i: int) -> None:
        """Contact i is answered and grants a refund: its agent also pays it by the route."""
        t = self.t
        assert self.refund_seconds is not None
        extra = self.refund_seconds[t.reason[i]]
        if extra and t.ending[i] & _REFUND:
            served = t.handle[i] + extra
            t.handle[i] = served
            if i < t.n_fixed:
                t.fixed["handle"][i] = served

    def _served(self, i: int, factor: float) -> None:
        """Contact i is held for its drawn handle time times ``factor`` (its served time)."""
        t = self.t
        served = t.handle[i] * factor
        t.handle[i] = served
        if i < t.n_fixed:
            t.fixed["handle"][i] = served

    def _ending(self, i: int, rules: Rules, channel: int) -> int:
        """Contact i's fate under ``rules`` from its own uniforms, as answered on ``channel``."""
        t = self.t
        issue = t.issue[i]
        return fate_one(
            rules,
            t.decisions(i),
            channel,
            t.reason[i],
            t.ctype[i],
            t.kind[i],
            not t.issue_refunded[issue],
            t.contacts_of_issue[issue] < self.max_contacts,
        )[2]

    def _start_left(self, i: int, c: int, need: int, agent: Agent, now: float) -> None:
        """Agent answers message i, whose buyer has left: a short session, a weaker answer.

        It ends like any answered contact (:meth:`_finish`), at ``now`` plus the hold.
        """
        buckets = agent.group.buckets  # self._take, inline
        del buckets[agent.free][agent]
        agent.free -= need
        buckets[agent.free][agent] = None
        t = self.t
        t.answer[i] = now
        t.outcome[i] = ANSWERED
        t.agent[i] = agent.id
        t.left[i] = True
        ending = t.left_ending[i]
        pace = agent.pace
        if pace is not None:
            if pace.handle != 1.0:
                self._served(i, pace.handle)
            if pace.resolution != 1.0:
                ending = self._ending(i, self.paced_rules[pace.resolution][1], c)
        if ending < 0:  # a follow-up's: decided now
            ending = self._ending(i, self.rules_left, c)
        t.ending[i] = ending
        hold = self.left_hold[c]
        if hold != hold:  # nan: its own handle time
            hold = t.handle[i]
        free = self.ends_free
        if free and not self.clock.lag:  # self._hold, inline (the chat desk's busiest path)
            call = free.pop()
            call[0] = i
            call[1] = agent
            call[2] = need
            call[5] = now + hold
            event = call[3]
            event.callbacks = call[4]
            self.env.schedule(event, NORMAL, hold)
            return
        self._hold(i, agent, need, hold, now + hold)

    def _turned_away(self, i: int, c: int, now: float) -> None:
        """Call i hears "closed": its caller calls after the opening, switches, or gives up."""
        t = self.t
        t.outcome[i] = CLOSED
        j = self.journey
        issue = t.issue[i]
        if t.contacts_of_issue[issue] >= self.max_contacts:
            return
        u = t.decision(i, U_REDIAL)
        if u >= j.closed_redial_probability + j.closed_switch_probability:
            return  # gives up
        v = self._issue_draws(i)
        if u < j.closed_redial_probability:
            # the channel is closed now: its next opening is the first start after now
            starts = self.span_starts[c]
            k = bisect.bisect_right(starts, now)
            opening = starts[k] if k < len(starts) else math.inf
            lag = self.redial_lag_at(v[FOLLOW_LAG]) * 60.0
            self._follow_up(i, _REDIAL, c, opening + lag, v)
            return
        # another channel of the reason's mix, at once (none: the caller gives up)
        channel = moved_channel(self._cum(t.reason[i], c, _REDIAL), c, v[FOLLOW_CHANNEL])
        if channel != c:
            self._follow_up(i, _REDIAL, channel, max(now, self.clock.now), v)

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
        lag = self.redial_lag_at(u[FOLLOW_LAG]) * 60.0
        self._follow_up(i, _REDIAL, t.channel[i], t.deadline[i] + lag, u)
        self._settle()

    def _goes_on(self, i: int, ending: int, end: float) -> None:
        """Contact i ended answered and unresolved at ``end``: the escalation or repeat."""
        t = self.t
        v = self._issue_draws(i)
        if ending & _ESCALATE:
            self._follow_up(i, _ESCALATION, self.rules.tier2, end, v)
            return
        lag = self.repeat_lag_at(v[FOLLOW_LAG]) * 3600.0
        channel = c = t.channel[i]
        kind = t.kind[i]
        # journey.repeat_channel, with the channel shares kept
        if kind == _ESCALATION or t.decision(i, U_SWITCH) < self.journey.channel_switch_probability:
            channel = moved_channel(self._cum(t.reason[i], c, kind), c, v[FOLLOW_CHANNEL])
        self._follow_up(i, _REPEAT, channel, end + lag, v)

    def _cum(self, reason: int, channel: int, kind: int) -> list[float] | None:
        """:func:`~sim.center.journey.switch_cum` of a reason's mix, kept."""
        key = (reason, channel, kind == _ESCALATION)
        try:
            return self.cums[key]
        except KeyError:
            cum = self.cums[key] = switch_cum(self.reasons[reason].mix, channel, kind)
            return cum

    def _issue_draws(self, i: int) -> list[float]:
        """The uniforms of the next follow-up of contact i's issue (``FOLLOW_*`` rows).

        Its j-th follow-up's are the issue's draws ``j · FOLLOW_ROWS`` on
        (:class:`sim.rng.IssueDraws`): the first :data:`AHEAD` were computed when the
        issue's first contact was fed (an issue's head is an input), later ones now.
        """
        t = self.t
        issue = t.issue[i]
        j = self.drawn.get(issue, 0)
        self.drawn[issue] = j + 1
        if j < t.ahead:
            row: list[float] = t.fixed["ahead"][issue, j].tolist()
            return row
        return self.issues.row(t.key[issue], j * FOLLOW_ROWS, FOLLOW_ROWS)

    def _follow_up(self, i: int, kind: int, channel: int, when: float, u: list[float]) -> None:
        """A new contact of contact i's issue, arriving at ``when`` on ``channel``."""
        if when >= self.horizon:
            return
        t = self.t
        k = t.n
        t.n += 1
        issue = t.issue[i]
        contacts = t.contacts_of_issue[issue] + 1
        t.contacts_of_issue[issue] = contacts
        reason = t.reason[i]
        ctype = t.ctype[i]
        factor = self.handle_factor[reason][ctype]
        if kind == _ESCALATION:
            factor *= self.journey.escalation_handle_time_factor
        patience_at = self.patience_at[channel]
        patience = (
            patience_at(u[FOLLOW_PATIENCE]) * self.type_patience[ctype]
            if patience_at is not None
            else math.inf
        )
        decide = u[FOLLOW_DECISIONS:]
        t.arrival.append(when)
        t.handle.append(self.handle_at[channel](u[FOLLOW_HANDLE]) * factor)
        t.patience.append(patience)
        t.deadline.append(math.inf if self.keeps[channel] else when + patience)
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
        if self.keeps[channel]:
            # a message never abandons (its silent and redial rules are never read); its end
            # is decided when it is answered, by the rules of a buyer still there or gone
            t.silent.append(False)
            t.redial.append(False)
            t.ending.append(-1)
        else:
            silent, redial, ending = fate_one(
                self.rules_one,
                decide,
                channel,
                reason,
                ctype,
                kind,
                not t.issue_refunded[issue],
                contacts < self.max_contacts,
            )
            t.silent.append(silent)
            t.redial.append(redial)
            t.ending.append(ending)
        t.left_ending.append(-1)
        t.left.append(False)
        t.extra += decide
        t.contacts_of_issue.append(0)
        t.issue_refunded.append(False)
        t.key.append(-1)
        call, fresh = self.clock.call_contact(when - self.clock.now, self._arrive_followup, k)
        if self.live is not None and fresh:  # not fresh: still listed (see advance)
            self.live.append(call)

    # ---- run

    def start(self) -> None:
        """Put the channels' hours and the schedules' actions on the agenda, before any contact.

        At equal times a channel opens or closes before the rota acts.
        """
        self.clock.plan(
            [
                *self.hours_actions(),
                *(
                    (when, self._schedule, (gi, acts))
                    for gi, actions in enumerate(self.actions)
                    for when, acts in actions
                ),
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
        for call in self.ends:  # it holds its callback, which holds it and the engine
            call.clear()
        self.ends = self.ends_free = []
        self._arrive_calls = []
        t = self.t
        for q in self.queues:
            for j in q:
                if t.outcome[j] == OPEN and t.deadline[j] <= self.horizon:
                    t.outcome[j] = ABANDONED
        for agent in list(self.agents):
            if agent.leaving:
                self.overtime.append((agent.group.index, agent.off_since, self.horizon))
            if not math.isnan(agent.away_since):
                self.breaks.append((agent.id, agent.group.index, agent.away_since, self.horizon))
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
            self._columns(RESULT_COLUMNS),
            None,
            np.array(self.overtime, dtype=np.float64).reshape(-1, 3),
            spells,
            breaks=np.array(self.breaks, dtype=np.float64).reshape(-1, 4),
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
        calls += [call for call in self.ends if not call[3].processed]
        refs += [call[0] for call in calls]
        t.seal()
        issue = t.fixed["issue"]
        live_issue = np.zeros(n, dtype=bool)
        live_issue[issue[np.array(refs, dtype=np.int64)]] = True
        keep = live_issue[issue]
        order = np.flatnonzero(keep)
        out_idx = np.flatnonzero(~keep)
        # the result's columns as arrays, the list columns only as far as the last contact
        # handed out (the rest, mostly inputs fed ahead, is not read); the engine's own
        # columns stay lists (picked below)
        cols = self._arrays(RESULT_COLUMNS, int(out_idx[-1]) + 1 if out_idx.size else 0)
        # contacts still to come arrive from now on (the inputs before now were all fed)
        complete = min(self.clock.now, float(cols["arrival"][order].min(initial=math.inf)))
        out = self._batch(cols, out_idx, np.zeros((0, 3)), np.zeros((0, 4)), complete)
        new = np.full(n + 1, -1, dtype=np.int64)  # new[-1]: "none" stays -1
        new[order] = np.arange(order.size)
        cols["issue"] = new[issue]
        pick = _picker(order)
        for name in Table.LISTS:
            if name == "issue":
                t.issue = cols["issue"][order].tolist()
            else:
                setattr(t, name, pick(getattr(t, name)))
        renumber: list[int] = new.tolist()  # Python ints: read one at a time below
        t.refunded = [renumber[i] for i in t.refunded if renumber[i] >= 0]
        t.platform = [renumber[i] for i in t.platform if renumber[i] >= 0]
        t.n = int(order.size)
        for c, q in enumerate(self.queues):
            self.queues[c] = deque([renumber[j] for j in q]) if q else q
        arrived = next_input if next_input >= 0 else len(self.inputs)
        self.inputs = [renumber[j] for j in self.inputs[arrived:]]
        for call in calls:
            call[0] = renumber[call[0]]
        if next_input >= 0:
            self.input_at -= arrived  # a position in the inputs
        self.armed = [renumber[a] for a in self.armed]
        self.drawn = {renumber[k]: d for k, d in self.drawn.items() if renumber[k] >= 0}
        if self.presale is not None:
            self._compact_asking(cols, renumber)
        t.keep_rows(order, cols["issue"])  # last: ``cols`` are views of the table's arrays
        return out

    def _compact_asking(self, cols: dict[str, NDArray[Any]], renumber: list[int]) -> None:
        """Follow the renumbering; an inquiry handed out is over: its buyer has decided.

        Only inquiries that arrived are handed out, once their fate is known (answered,
        abandoned, closed), so the buyer decided before now and every later contact of the
        order comes after the decision (the bot's inquiries, decided when drawn, never wait
        here). A lost order whose last contact has passed is forgotten.

        The handed-out inquiries are decided together (:func:`~sim.center.presale.kept`,
        which is :func:`~sim.center.presale.kept_by` once the buyer has decided).
        """
        assert self.presale is not None and self.gated is not None
        asking: dict[int, int] = {}
        over: list[int] = []
        for order, j in self.asking.items():
            if renumber[j] >= 0:
                asking[order] = renumber[j]
            else:
                over.append(order)
        if over:
            at = np.array([self.asking[order] for order in over], dtype=np.int64)
            keeps = kept(
                self.presale,
                outcome=cols["outcome"][at],
                arrival=cols["arrival"][at],
                answer=cols["answer"][at],
                left=cols["left"][at],
                bot=cols["bot"][at],
                bot_seconds=cols["bot_seconds"][at],
                placed=cols["placed"][at],
                draw=cols["keep"][at],
                conversion=self._conversions()[cols["agent"][at]] if self.converts else None,
            )
            for order, keeps_it, last in zip(
                over, keeps.tolist(), cols["last"][at].tolist(), strict=True
            ):
                if not keeps_it:
                    self.lost[order] = (-math.inf, last)
        self.asking = asking
        now = self.clock.now
        self.lost = {o: gone for o, gone in self.lost.items() if gone[1] >= now}
        self.gated = {renumber[i] for i in self.gated if renumber[i] >= 0}

    def _columns(self, names: tuple[str, ...] = Table.LISTS) -> dict[str, NDArray[Any]]:
        """The table's columns (these, and every array column) as numpy arrays."""
        self.t.seal()
        return self._arrays(names)

    def _arrays(self, names: tuple[str, ...], stop: int | None = None) -> dict[str, NDArray[Any]]:
        """:meth:`_columns` of a sealed table; list columns only up to ``stop`` (None: all)."""
        t = self.t

        def array(name: str) -> NDArray[Any]:
            column: list[Any] = getattr(t, name)
            return np.array(column if stop is None else column[:stop], DTYPES[name])

        cols = {name: t.fixed[name] if name in t.fixed else array(name) for name in names}
        cols.update((name, t.fixed[name]) for name in t.heads)
        cols["decide"] = t.decide
        return cols

    def _batch(
        self,
        cols: dict[str, NDArray[Any]],
        idx: NDArray[np.intp] | None,
        overtime: NDArray[np.float64],
        spells: NDArray[np.float64],
        complete_before: float = math.inf,
        breaks: NDArray[np.float64] | None = None,
    ) -> CenterResult:
        """The contacts at ``idx`` (whole issues, ascending; None: all) and the new ghosts.

        ``breaks``: the agents' breaks (the last result only).
        """
        assert self.meta is not None, "no contacts were fed"
        if len(self.agent_group) >= self._agent_group.size:  # it ends with -1
            self._agent_group = np.array([*self.agent_group, -1], dtype=np.int32)
        ghosts, self.ghosts = self.ghosts, []
        return build(
            cols,
            idx,
            self.meta,
            (self.t.refunded, self.t.platform),
            self._agent_group,
            self.units_of,
            ghosts,
            (tuple(g.capacity for g in self.groups), self.levels),
            self.horizon,
            overtime,
            spells,
            complete_before,
            np.array(self.left_hold) if self.any_keeps else None,
            breaks,
            self._conversions() if self.converts else None,
        )


def _resolving(rules: Rules, factor: float) -> Rules:
    """``rules`` (scalars) with every resolution probability, both tiers', times ``factor``."""
    if not isinstance(rules.resolution, dict):  # pragma: no cover - scalars() gives a dict
        raise TypeError("paced rules need Rules.scalars()")
    return replace(
        rules,
        resolution={k: p * factor for k, p in rules.resolution.items()},
        escalation_resolution=rules.escalation_resolution * factor,
    )


def _left_rules(rules: Rules, factors: list[float]) -> Rules:
    """``rules`` (scalars, or arrays) for answers to buyers who left.

    Resolution is the usual probability times the channel's factor; no transfer to the
    second tier follows.
    """
    tier2 = rules.tier2
    resolution: NDArray[np.float64] | dict[tuple[int, int], float]
    if isinstance(rules.resolution, dict):
        resolution = {(r, c): p * factors[c] for (r, c), p in rules.resolution.items()}
    else:  # the same products, a row per reason
        resolution = rules.resolution * np.array(factors, dtype=np.float64)
    return replace(
        rules,
        resolution=resolution,
        escalation_resolution=rules.escalation_resolution * (factors[tier2] if tier2 >= 0 else 1),
        tier2=-1,
    )


def _picker(idx: NDArray[np.intp]) -> Callable[[list[Any]], list[Any]]:
    """A function that gives the items of a list at ``idx`` (ascending), in order (a new list).

    The run of consecutive indices at the end of ``idx`` is taken as one slice: what a
    hand-out keeps is mostly the inputs fed ahead, at the end of the table, and a slice
    copies them at a fraction of an item-by-item pick.
    """
    if idx.size == 0:
        return lambda xs: []
    # idx - position is nondecreasing; the consecutive tail is where it holds its last value
    gaps = idx - np.arange(idx.size)
    k = int(np.searchsorted(gaps, gaps[-1], side="left"))
    start, stop = int(idx[k]), int(idx[-1]) + 1
    head: list[int] = idx[:k].tolist()
    if not head:
        return lambda xs: xs[start:stop]
    if len(head) == 1:  # itemgetter gives a bare item for one index
        (h,) = head
        return lambda xs: [xs[h], *xs[start:stop]]
    get = operator.itemgetter(*head)

    def pick(xs: list[Any]) -> list[Any]:
        out = list(get(xs))
        out += xs[start:stop]
        return out

    return pick
