"""What a run of the contact centre hands out: every contact's fate, and the agents'."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from sim.center.journey import Kind
from sim.center.rota import ScheduleLevels
from sim.demand import Contacts

ANSWERED, ABANDONED, OPEN, CLOSED, CONTAINED, VOID = 0, 1, 2, 3, 4, 5
"""Outcome codes of a contact: answered by an agent, abandoned, still waiting at the
horizon, a call that came while its channel was closed (it heard "closed" and left), settled
by the channel's bot (it never reached the human queue), or void: a contact of an order
lost before it (never handed out)."""

FIRST: Final = int(Kind.FIRST)
REDIAL: Final = int(Kind.REDIAL)
REPEAT: Final = int(Kind.REPEAT)
ESCALATION: Final = int(Kind.ESCALATION)
"""Kinds of contact (:class:`~sim.center.journey.Kind`) as plain ints."""


@dataclass(frozen=True)
class CenterResult:
    """What happened to every contact of a replication, and to the agents.

    Arrays are indexed like the :class:`~sim.demand.Contacts` they came from.

    Attributes:
        outcome: ``ANSWERED``, ``ABANDONED``, ``OPEN``, ``CLOSED`` or ``CONTAINED``.
        answer_seconds: When an agent took the contact (``nan`` unless answered).
        leave_queue_seconds: When the contact left the queue: answer or abandonment time,
            its arrival if it found its channel closed or the bot settled it (``nan`` if
            open at the horizon).
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
    left: NDArray[np.bool_] | None = None
    """Answered on an asynchronous channel after the buyer's patience ran out: the buyer had
    left and reads the answer later."""
    ghosts: NDArray[np.float64] | None = None
    """``(group, channel, start, end, busy share)`` of agent time spent on silent
    abandoners (clipped to the horizon only by the metrics)."""
    complete_before: float = math.inf
    """Every contact arriving before this time (seconds) is in this result or an earlier
    one of the same run (see :func:`stream_center`)."""
    breaks: NDArray[np.float64] | None = None
    """``(agent, group, start, end)`` of the agents' breaks (``staffing.shrinkage``;
    clipped to the horizon); the last result of a run has them all, the others none."""
    agent_conversion: NDArray[np.float64] | None = None
    """Per agent id (then 1.0 for "no agent", index -1), the share of an answer's lift in an
    inquiring buyer's chance to order (an outsourced agent's ``conversion_factor``); None
    when every agent's is 1."""


def build(
    cols: dict[str, NDArray[Any]],
    idx: NDArray[np.intp] | None,
    meta: Contacts,
    flagged: tuple[list[int], list[int]],
    agent_group: NDArray[np.int32],
    units_of: NDArray[np.int32],
    ghosts: list[tuple[int, int, float, float, float]],
    scheduled: tuple[tuple[int, ...], tuple[ScheduleLevels, ...]],
    horizon: float,
    overtime: NDArray[np.float64],
    spells: NDArray[np.float64],
    complete_before: float = math.inf,
    left_hold: NDArray[np.float64] | None = None,
    breaks: NDArray[np.float64] | None = None,
    agent_conversion: NDArray[np.float64] | None = None,
) -> CenterResult:
    """The result for the table's contacts at ``idx`` (whole issues, ascending; None: all).

    Args:
        cols: The table's columns as arrays (``Table`` names).
        idx: Which contacts (None: every one).
        meta: The first input chunk: names and which optional columns the contacts have.
        flagged: Contacts that granted a refund, and that ended in a platform intervention.
        agent_group: Group of each agent, by agent id, then -1 (for "no agent").
        units_of: Units a contact of each channel takes, per group; the last row reads 0.
        ghosts: Agent time spent on silent abandoners since the last result.
        scheduled: Capacity (units per agent) and scheduled agents, per group.
        horizon: End of the simulated time (seconds).
        overtime: ``(group, start, end)`` spans of overtime.
        spells: ``(agent, group, on, off)`` per agent on duty.
        complete_before: See :attr:`CenterResult.complete_before`.
        left_hold: Per channel, how long answering a buyer who had left holds the agent
            (``nan``: the contact's own handle time); None: no channel is asynchronous.
        breaks: ``(agent, group, start, end)`` of the agents' breaks (the last result only).
        agent_conversion: See :attr:`CenterResult.agent_conversion`.
    """
    n = len(cols["arrival"])

    def at(name: str) -> NDArray[Any]:
        return cols[name] if idx is None else cols[name][idx]

    every_outcome = cols["outcome"]
    if np.any((every_outcome if idx is None else every_outcome[idx]) == VOID):
        # a void contact is an issue's only contact (it never reached the queue): dropped
        every = np.arange(n) if idx is None else idx
        idx = every[every_outcome[every] != VOID]
    head = at("issue")  # each contact's issue, as the index of its first contact
    if idx is None:
        issue = head
    else:
        local = np.full(n, -1, dtype=np.int64)
        local[idx] = np.arange(idx.size)
        issue = local[head]
    arrival = at("arrival")
    patience = at("patience")
    channel = at("channel")
    handle = at("handle")
    left = at("left")
    if left_hold is not None and left.any():
        hold = left_hold[channel]
        handle = np.where(left & ~np.isnan(hold), hold, handle)
    contacts = Contacts(
        arrival_seconds=arrival,
        channel=channel,
        reason=at("reason"),
        handle_seconds=handle,
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
        bot=None if meta.bot is None else at("bot"),
        bot_seconds=None if meta.bot is None else at("bot_seconds"),
        keep_draw=None if meta.bot is None else at("keep"),
        placed_seconds=None if meta.bot is None else at("placed"),
        last_seconds=None if meta.bot is None else at("last"),
    )
    outcome = at("outcome")
    answer = at("answer")
    agent = at("agent")
    group = agent_group[agent]  # agent -1 (not answered) reads -1
    leave = np.where(
        outcome == ANSWERED,
        answer,
        np.where(
            outcome == ABANDONED,
            arrival + patience,
            np.where((outcome == CLOSED) | (outcome == CONTAINED), arrival, math.nan),
        ),
    )
    flags = np.zeros((2, n), dtype=np.bool_)
    flags[0, flagged[0]] = True
    flags[1, flagged[1]] = True
    return CenterResult(
        outcome=outcome,
        answer_seconds=answer,
        leave_queue_seconds=leave,
        agent=agent,
        group=group,
        units=units_of[group, channel],
        group_capacity=scheduled[0],
        scheduled=scheduled[1],
        overtime=overtime,
        spells=spells,
        horizon_seconds=horizon,
        contacts=contacts,
        kind=at("kind"),
        issue=issue,
        attempt=at("attempt"),
        resolved=at("resolved"),
        refunded=flags[0] if idx is None else flags[0, idx],
        platform=flags[1] if idx is None else flags[1, idx],
        left=left if left_hold is not None else None,
        ghosts=np.array(ghosts, dtype=np.float64).reshape(-1, 5),
        complete_before=complete_before,
        breaks=breaks if breaks is not None else np.zeros((0, 4)),
        agent_conversion=agent_conversion,
    )
