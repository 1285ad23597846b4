"""The journey's rules: what becomes of a contact, decided from its own uniforms.

:func:`fate` is the one place that says what a contact does: whether it abandons silently,
whether it would redial, and what its end does if it is answered (resolve, refund, a
platform intervention, or, unresolved, an escalation or a repeat). It reads only the
contact's decision uniforms (``U_*`` in :mod:`sim.uniforms`) and what is known when the
contact is created (an issue has one contact going at a time, so nothing that happens while
it waits or is served changes its rule). The engine applies it to each chunk of first
contacts at once with numpy arrays; :func:`fate_one` is the same rule for one contact with
Python scalars (each follow-up, each answer of a follow-up message), tested to agree.

When and where a follow-up arrives (its lag, a repeat's channel) comes from the issue's own
uniforms when the follow-up is created (:func:`repeat_channel`; ``FOLLOW_*`` rows).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntEnum, IntFlag
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from sim.config import Scenario
from sim.demand import ALWAYS, IF_INSIST, all_reasons
from sim.uniforms import U_ESCALATE, U_INSIST, U_REDIAL, U_REPEAT, U_RESOLVE, U_SILENT


class Kind(IntEnum):
    """Kinds of contact (the ``kind`` column of a result)."""

    FIRST = 0
    """An issue's first contact."""
    REDIAL = 1
    """A redial after abandoning."""
    REPEAT = 2
    """A repeat of an unresolved issue, after a lag."""
    ESCALATION = 3
    """A transfer to the second tier."""


class Ending(IntFlag):
    """What an answered contact's end does; no flag: unresolved, and nothing follows."""

    RESOLVE = 1
    """It resolves its issue."""
    REFUND = 2
    """It grants the refund its reason's policy allows (and so resolves)."""
    PLATFORM = 4
    """A second-tier contact ends in a platform intervention (小二介入; and so resolves)."""
    ESCALATE = 8
    """Unresolved: a transfer to the second tier follows at once."""
    REPEAT = 16
    """Unresolved: the customer comes back after a lag."""


class Fate(NamedTuple):
    """What a contact will do: booleans (and an :class:`Ending`), or arrays of them in bulk.

    A named tuple: one is made for every follow-up, and a tuple is made faster than a frozen
    dataclass.
    """

    silent: Any
    """If it abandons, it does so without a word (a ghost for the agent who reaches it)."""
    redial: Any
    """If it abandons, it calls back."""
    ending: Any
    """What its end does if it is answered: :class:`Ending` flags (``int``)."""


_ESCALATION = int(Kind.ESCALATION)
_RESOLVE, _REFUND, _PLATFORM, _ESCALATE, _REPEAT = (
    int(e) for e in (Ending.RESOLVE, Ending.REFUND, Ending.PLATFORM, Ending.ESCALATE, Ending.REPEAT)
)
# plain ints: an enum member looked up on its class, or one times a numpy bool, costs more
# than the rest of a follow-up's fate


@dataclass(frozen=True)
class Rules:
    """The scenario's journey as the tables :func:`fate` reads (probabilities in [0, 1])."""

    silent_share: NDArray[np.float64] | list[float]
    """Per channel: share of abandoners who leave silently."""
    redial: NDArray[np.float64] | list[float]
    """Per reason: probability that an abandoner calls back."""
    always: NDArray[np.bool_] | list[bool]
    """Per reason: a refund is always granted."""
    if_insist: NDArray[np.bool_] | list[bool]
    """Per reason: a refund is granted if the customer insists."""
    resolution: NDArray[np.float64] | dict[tuple[int, int], float]
    """Per reason and channel: probability that an answered contact resolves its issue."""
    insist: NDArray[np.float64] | list[float]
    """Per customer type: probability of insisting on a refund."""
    escalation_factor: NDArray[np.float64] | list[float]
    """Per customer type: factor on the escalation probability."""
    escalation: float
    escalation_resolution: float
    platform: float
    repeat: float
    tier2: int
    """Channel index of the second tier (-1: none)."""

    @property
    def has_reasons(self) -> bool:
        """Whether the scenario has contact reasons (without any, there are no contacts)."""
        return len(self.redial) > 0

    def scalars(self) -> Rules:
        """The same rules as Python lists (``resolution``: a dict by ``(reason, channel)``).

        What :func:`fate_one` reads: indexing a list and comparing Python floats costs a
        tenth of numpy scalars, and gives the same answers (the probabilities are the same
        doubles).
        """
        resolution = np.asarray(self.resolution)
        return replace(
            self,
            silent_share=np.asarray(self.silent_share).tolist(),
            redial=np.asarray(self.redial).tolist(),
            always=np.asarray(self.always).tolist(),
            if_insist=np.asarray(self.if_insist).tolist(),
            resolution={
                (r, c): float(resolution[r, c])
                for r in range(resolution.shape[0])
                for c in range(resolution.shape[1])
            },
            insist=np.asarray(self.insist).tolist(),
            escalation_factor=np.asarray(self.escalation_factor).tolist(),
        )

    @classmethod
    def of(cls, scenario: Scenario) -> Rules:
        """The rules of ``scenario``."""
        j = scenario.journey
        names = list(scenario.channels)
        reasons = all_reasons(scenario)
        types = list(scenario.customers.types.values()) if scenario.customers else []
        policy = np.array([r.refund_policy for r in reasons], dtype=np.int64)
        return cls(
            silent_share=np.array(
                [scenario.channels[c].silent_abandon_share for c in names], dtype=np.float64
            ),
            redial=np.array(
                [
                    j.redial_probability if r.redial_probability is None else r.redial_probability
                    for r in reasons
                ],
                dtype=np.float64,
            ),
            always=policy == ALWAYS,
            if_insist=policy == IF_INSIST,
            resolution=np.array([r.resolution for r in reasons], dtype=np.float64).reshape(
                len(reasons), len(names)
            ),
            insist=np.array([t.refund_insistence for t in types] or [0.5], dtype=np.float64),
            escalation_factor=np.array(
                [t.escalation_factor for t in types] or [1.0], dtype=np.float64
            ),
            escalation=j.escalation_probability,
            escalation_resolution=j.escalation_resolution_probability,
            platform=j.platform_intervention_probability,
            repeat=j.repeat_probability,
            tier2=names.index(j.escalation_channel) if j.escalation_channel else -1,
        )


def fate(
    rules: Rules,
    u: Any,
    channel: Any,
    reason: Any,
    ctype: Any,
    kind: Any,
    may_refund: Any,
    room: Any,
) -> Fate:
    """What contacts will do, from their decision uniforms, in bulk (numpy arrays).

    Each argument after ``u`` is an array over the contacts or one value for all of them.

    Args:
        rules: The journey's rules.
        u: The contacts' decision uniforms by ``U_*`` index: a ``(DECISIONS, n)`` array
            (the transpose of ``Contacts.decide``).
        channel: Its channel index.
        reason: Its reason index.
        ctype: Its customer type index.
        kind: Its :class:`Kind`.
        may_refund: No earlier contact of its issue granted a refund.
        room: Its issue may have another contact (``max_contacts_per_issue``).
    """
    share = rules.silent_share[channel]
    silent = (share > 0) & (u[U_SILENT] < share)
    p = rules.redial[reason]
    redial = (p > 0) & (u[U_REDIAL] < p)
    escalated = kind == _ESCALATION
    insists = rules.if_insist[reason] & (u[U_INSIST] < rules.insist[ctype])
    refund = may_refund & (rules.always[reason] | insists)
    p = np.where(escalated, rules.escalation_resolution, rules.resolution[reason, channel])
    resolve = refund | (u[U_RESOLVE] < p)
    platform = (resolve ^ True) & escalated & (u[U_ESCALATE] < rules.platform)
    resolve = resolve | platform
    go_on = (resolve ^ True) & room
    limit = np.minimum(1.0, rules.escalation * rules.escalation_factor[ctype])
    escalate = go_on & (rules.tier2 >= 0) & (escalated ^ True) & (u[U_ESCALATE] < limit)
    repeat = go_on & (escalate ^ True) & (u[U_REPEAT] < rules.repeat)
    ending = (
        _RESOLVE * resolve
        + _REFUND * refund
        + _PLATFORM * platform
        + _ESCALATE * escalate
        + _REPEAT * repeat
    )
    return Fate(silent=silent, redial=redial, ending=ending)


def fate_one(
    rules: Rules,
    u: Sequence[float],
    channel: int,
    reason: int,
    ctype: int,
    kind: int,
    may_refund: bool,
    room: bool,
) -> tuple[bool, bool, int]:
    """:func:`fate` of one contact, ``(silent, redial, ending)``, with ``rules`` as scalars.

    The same comparisons of the same doubles as :func:`fate`, so the same answers, in the
    order a contact's end is decided: those not needed (a refund's resolution, a resolved
    contact's escalation) are skipped. The engine's follow-ups and answers of follow-up
    messages call it, tens of thousands of times a replication.
    """
    share = rules.silent_share[channel]
    silent = share > 0 and u[U_SILENT] < share
    p = rules.redial[reason]
    redial = p > 0 and u[U_REDIAL] < p
    escalated = kind == _ESCALATION
    if may_refund and (
        rules.always[reason] or (rules.if_insist[reason] and u[U_INSIST] < rules.insist[ctype])
    ):
        return silent, redial, _RESOLVE + _REFUND
    p = rules.escalation_resolution if escalated else rules.resolution[reason, channel]
    if u[U_RESOLVE] < p:
        return silent, redial, _RESOLVE
    if escalated:
        if u[U_ESCALATE] < rules.platform:
            return silent, redial, _RESOLVE + _PLATFORM
    elif room and rules.tier2 >= 0:
        if u[U_ESCALATE] < min(1.0, rules.escalation * rules.escalation_factor[ctype]):
            return silent, redial, _ESCALATE
    if room and u[U_REPEAT] < rules.repeat:
        return silent, redial, _REPEAT
    return silent, redial, 0


def repeat_channel(
    mix: Sequence[float], channel: int, kind: int, u_switch: float, u_channel: float, switch: float
) -> int:
    """The channel a repeat comes back on.

    After the second tier the customer comes back through the reason's own channels (its
    ``mix``); otherwise on the same channel, or, with probability ``switch``, another one of
    the mix.

    Args:
        mix: The reason's channel mix (weights per channel).
        channel: The channel of the contact that ended unresolved.
        kind: That contact's :class:`Kind`.
        u_switch: Its ``U_SWITCH`` decision uniform.
        u_channel: The issue's ``FOLLOW_CHANNEL`` uniform for this repeat.
        switch: The journey's channel switch probability.
    """
    if kind == _ESCALATION or u_switch < switch:
        return moved_channel(switch_cum(mix, channel, kind), channel, u_channel)
    return channel


def switch_cum(mix: Sequence[float], channel: int, kind: int) -> list[float] | None:
    """The cumulative shares of the channels a moving repeat picks from (None: none).

    The mix without ``channel`` (unless ``kind`` is an escalation), normalised;
    :func:`moved_channel` picks from it. It depends on the reason, the channel and whether
    the contact was an escalation only, so a caller may keep it.
    """
    weights = np.array(mix, dtype=np.float64)
    if kind != _ESCALATION:
        weights[channel] = 0.0
    if weights.sum() > 0:
        cum: list[float] = (np.cumsum(weights) / weights.sum()).tolist()
        return cum
    return None


def moved_channel(cum: list[float] | None, channel: int, u_channel: float) -> int:
    """The channel a moving repeat comes on (``cum``: :func:`switch_cum`'s; None: ``channel``).

    The first channel whose cumulative share passes ``u_channel``.
    """
    if cum is None:
        return channel
    return bisect.bisect_right(cum, u_channel)
