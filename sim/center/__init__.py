"""The contact centre: channels, FCFS queues, agent groups, schedules, patience, the journey.

One concept per module:

- :mod:`sim.center.clock`: the engine's timed calls on simpy's public API (``Timeout``
  events with callbacks; schedule actions on an agenda);
- :mod:`sim.center.acd`: agents, groups, queues, routing, strict channel priority, patience,
  ghosts, the rota's actions;
- :mod:`sim.center.rota`: a schedule as on/off actions and as levels;
- :mod:`sim.center.journey`: the one rule for what becomes of a contact (silent
  abandonment, redial, resolve, refund, platform intervention, escalation or repeat),
  applied to first contacts in bulk and to each follow-up;
- :mod:`sim.center.table`: the per-contact columns;
- :mod:`sim.center.engine`: arrivals, ends, follow-ups, compaction;
- :mod:`sim.center.result`: what a run hands out.

The simulation stops at the horizon: contacts still waiting then are *open* (or abandoned,
if their deadline had passed); follow-ups due after it are not simulated. Nothing here
prints or writes; simpy runs only what depends on the queue's state, with callbacks rather
than a process per contact.

Speed (see benchmarks/README.md): per-contact columns are Python lists while the engine
runs; an input arrival that comes before every queued event is handled without an event;
a first contact's fate (and, on an asynchronous channel, its fate if answered after its
buyer left) is computed for all of them at once with numpy, as are the uniforms of their
issues' first follow-ups (:class:`sim.rng.IssueDraws`); every end of service, an answer to
a buyer who left included, reuses a processed event.

Memory: :func:`simulate_center` runs the horizon in one piece and returns every contact.
:func:`stream_center` runs the same simulation in segments, feeding input contacts a
segment ahead and handing out the issues that are over every ``BATCH_CONTACTS`` contacts
(``Center.compact`` renumbers what stays); schedule actions wait on an agenda, only the
next one in the event queue. So the engine holds the queues, the agents, the contacts in
service or due, the issues they belong to and a batch, not the horizon's contacts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from sim.center.engine import Center
from sim.center.journey import Ending, Fate, Kind, fate
from sim.center.result import (
    ABANDONED,
    ANSWERED,
    CLOSED,
    CONTAINED,
    ESCALATION,
    FIRST,
    OPEN,
    REDIAL,
    REPEAT,
    CenterResult,
)
from sim.center.rota import (
    ExtraSpan,
    ScheduleLevels,
    break_steps,
    extra_spans,
    group_actions,
    group_levels,
    group_rota,
    schedule_actions,
    schedule_levels,
)
from sim.config import Scenario
from sim.demand import Contacts
from sim.rng import IssueDraws

__all__ = [
    "ABANDONED",
    "ANSWERED",
    "BATCH_CONTACTS",
    "CLOSED",
    "CONTAINED",
    "ESCALATION",
    "FIRST",
    "OPEN",
    "REDIAL",
    "REPEAT",
    "SEGMENT_SECONDS",
    "CenterResult",
    "Ending",
    "ExtraSpan",
    "Fate",
    "Kind",
    "ScheduleLevels",
    "break_steps",
    "extra_spans",
    "fate",
    "feed_times",
    "group_actions",
    "group_levels",
    "group_rota",
    "schedule_actions",
    "schedule_levels",
    "simulate_center",
    "stream_center",
]


def simulate_center(
    scenario: Scenario,
    contacts: Contacts,
    issues: IssueDraws | None = None,
    named: Callable[[str], np.random.Generator] | None = None,
) -> CenterResult:
    """Run the contact centre of ``scenario`` on ``contacts`` to the horizon, in one piece.

    The single-segment case of :func:`stream_center`: every contact is fed at once and
    nothing is handed out before the end.

    Args:
        scenario: The scenario.
        contacts: The first contacts of every issue, sorted by arrival.
        issues: The uniforms of the issues' follow-up contacts
            (:attr:`sim.rng.Streams.issues`); without them replication 0's.
        named: The replication's named random streams (:class:`sim.rng.Streams`), for the
            rota's draws (``staffing.leaver: random``); without it replication 0's.

    Returns:
        Every contact, the input contacts first in their order, then the follow-ups in the
        order they were created.
    """
    (result,) = stream_center(scenario, lambda _: contacts, issues, math.inf, named=named)
    return result


SEGMENT_SECONDS = 86400.0
"""How far :func:`stream_center` runs between looks at its table (simulated time)."""

BATCH_CONTACTS = 20_000
"""Contacts :func:`stream_center` lets its table gain before it hands out the issues that
are over: the table stays within this (plus what is going on), and each hand-out (a
compaction, a batch of metrics) is paid once for many contacts. A hand-out copies what
stays too (mostly the inputs fed a day ahead): at 20,000 rather than 10,000 a 第二件1元
promotion arm runs 3% fewer instructions, an Erlang-A run as many, for ≈ 17 MB more peak
memory (benchmark d)."""


def feed_times(horizon: float, segment_seconds: float = SEGMENT_SECONDS) -> Iterator[float]:
    """The ``before`` of each of :func:`stream_center`'s ``take`` calls, in order.

    Every segment's end inside the horizon, then ``inf``: the calls depend on the horizon
    alone, not on what the contact centre does.
    """
    k = 1
    while k * segment_seconds < horizon:
        yield k * segment_seconds
        k += 1
    yield math.inf


def stream_center(
    scenario: Scenario,
    take: Callable[[float], Contacts],
    issues: IssueDraws | None,
    segment_seconds: float = SEGMENT_SECONDS,
    batch_contacts: int | None = None,
    named: Callable[[str], np.random.Generator] | None = None,
) -> Iterator[CenterResult]:
    """Run the contact centre segment by segment, keeping only what is still going on.

    The same simulation as :func:`simulate_center` on all of ``take``'s contacts (every
    contact meets the same fate), in bounded memory: input contacts are fed a segment
    ahead, and at the end of a segment in which the table grew by ``batch_contacts`` the
    issues that are over are handed out (``Center.compact``), so the engine holds the
    queues, the agents, the contacts in service or due, the issues they belong to, and at
    most ``batch_contacts`` others — not the horizon's contacts.

    Args:
        scenario: The scenario.
        take: ``take(before)`` gives the input contacts arriving before ``before`` that
            were not taken yet, sorted by arrival (``before`` grows; ``inf`` at the end).
        issues: The uniforms of the issues' follow-ups (see :func:`simulate_center`).
        segment_seconds: Simulated time between looks at the table (and feeds).
        batch_contacts: Growth of the table that triggers a hand-out (0: every segment;
            default :data:`BATCH_CONTACTS`).
        named: The replication's named random streams (see :func:`simulate_center`).

    Yields:
        The contacts of issues that are over (whole issues, in the order their contacts
        were created, issues numbered from 0 in each result), the ghosts since the last
        result, and ``complete_before``; the last result has every contact left and the
        agents' overtime, breaks and spells.
    """
    if batch_contacts is None:
        batch_contacts = BATCH_CONTACTS
    horizon = scenario.calendar.horizon_seconds
    center = Center(scenario, issues, named)
    if segment_seconds < horizon:  # a hand-out may come: track the calls it renumbers
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
