"""Outcomes: what each customer issue comes to (docs/model.md#satisfaction).

One stage between the contact centre and the tally. From the contacts and the centre's
result it builds the *issue table* (:func:`issue_table`: one row per issue, what its
customer went through), and from that table and each issue's decision uniforms
(:mod:`sim.uniforms`: ``U_REVIEW``, ``U_REVISE``, ``U_CHURN`` of its first contact) it
decides every per-issue outcome (:func:`decide`): the probability of being satisfied
(CSAT) and what each driver of dissatisfaction takes from it, the effort score, a bad
review, its revision, churn. :mod:`sim.metrics` only sums these columns; the event log
draws its CSAT score from the same probability (:func:`satisfied`).

The formulas are :mod:`sim.satisfaction`'s; money (the agent time an issue used, what is at
stake) comes from :mod:`sim.economics`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.center import ABANDONED, ANSWERED, ESCALATION, FIRST, CenterResult
from sim.config import Scenario
from sim.demand import HANDED_OVER, Contacts, Reason
from sim.economics import handling_cost_yuan, issue_stake_yuan
from sim.hours import next_opening, open_spans
from sim.satisfaction import (
    bad_review_probability,
    churn_probability,
    effort_score,
    satisfaction_probability,
)
from sim.uniforms import DECISIONS, U_CHURN, U_REVIEW, U_REVISE

CSAT_DRIVERS = ("wait", "repeat", "unresolved", "escalation", "abandonment")
"""What costs satisfaction in the logistic model, for ``csat_lost`` and ``issues_with``."""


@dataclass(frozen=True)
class IssueTable:
    """Per issue, what its customer went through; row ``k`` is one issue, in issue order.

    Attributes:
        labour_yuan: Agent time its answered contacts used, at their groups' rates, ¥.
        contacts: Contacts it took (≥ 1).
        resolved: Some contact resolved it (0/1).
        refunded: Some contact refunded it (0/1).
        first_wait: Wait of its first contact, s (cut at the horizon).
        total_wait: Waits of all its contacts, s (each cut at the horizon).
        escalated: Some contact of it was an escalation (0/1).
        transfers: Its escalations.
        abandoned_any: Some contact of it abandoned (0/1).
        switched: Some contact came on another channel than the first (0/1).
        first_channel: Channel index of its first contact.
        reason: Reason index.
        ctype: Customer type index.
        first_arrival: Arrival of its first contact, s.
        delivery: Delivery of its order, s (``nan`` without one).
        last_end: When its last contact ended (answered: answer + handle; else leaving the
            queue, or the horizon), s.
        u_review: The ``U_REVIEW`` uniform of its first contact.
        u_revise: The ``U_REVISE`` uniform of its first contact.
        u_churn: The ``U_CHURN`` uniform of its first contact.
    """

    labour_yuan: NDArray[np.float64]
    contacts: NDArray[np.float64]
    resolved: NDArray[np.float64]
    refunded: NDArray[np.float64]
    first_wait: NDArray[np.float64]
    total_wait: NDArray[np.float64]
    escalated: NDArray[np.float64]
    transfers: NDArray[np.float64]
    abandoned_any: NDArray[np.float64]
    switched: NDArray[np.float64]
    first_channel: NDArray[np.int64]
    reason: NDArray[np.int64]
    ctype: NDArray[np.int64]
    first_arrival: NDArray[np.float64]
    delivery: NDArray[np.float64]
    last_end: NDArray[np.float64]
    u_review: NDArray[np.float64]
    u_revise: NDArray[np.float64]
    u_churn: NDArray[np.float64]
    bot_penalty: NDArray[np.float64] | None = None
    """Log-odds off satisfaction: the first contact's bot failed and handed it over (its
    channel's ``bot.handover_penalty``); None without bots."""

    def __len__(self) -> int:
        return int(self.contacts.size)


def issue_table(
    scenario: Scenario, contacts: Contacts, result: CenterResult, since: float | None = None
) -> IssueTable | None:
    """The issues of ``result`` whose first contact arrived at or after ``since``.

    Args:
        scenario: The scenario.
        contacts: The contacts ``result`` is about (first contacts and follow-ups).
        result: The centre's result for whole issues.
        since: Earliest first arrival counted, s; by default the warm-up's end.

    Returns:
        The table, or None when the result does not follow issues.
    """
    if result.issue is None or result.kind is None or result.resolved is None:
        return None
    warmup = scenario.calendar.warmup_seconds if since is None else since
    horizon = scenario.calendar.horizon_seconds
    issue = result.issue
    n_issues = int(issue.max()) + 1 if issue.size else 0
    first = np.flatnonzero(result.kind == FIRST)
    first_of = np.full(n_issues, -1, dtype=np.int64)
    first_of[issue[first]] = first
    counted = first_of >= 0
    counted[counted] = contacts.arrival_seconds[first_of[counted]] >= warmup
    arrival = contacts.arrival_seconds
    leave = np.where(np.isnan(result.leave_queue_seconds), horizon, result.leave_queue_seconds)
    wait = _felt_wait(scenario, contacts.channel, arrival, leave)

    def per_issue(values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.bincount(issue, weights=values, minlength=n_issues).astype(np.float64)
        return out[counted]

    def any_of(flags: NDArray[np.bool_]) -> NDArray[np.float64]:
        return (per_issue(flags.astype(np.float64)) > 0).astype(np.float64)

    ended = np.where(
        result.outcome == ANSWERED, result.answer_seconds + contacts.handle_seconds, leave
    )
    last_end = np.full(n_issues, -np.inf)
    np.maximum.at(last_end, issue, ended)
    f = first_of[counted]
    decide = (
        contacts.decide if contacts.decide is not None else np.full((arrival.size, DECISIONS), 0.5)
    )
    refunded = result.refunded if result.refunded is not None else np.zeros(issue.size, bool)
    handled = np.where(
        result.outcome == ANSWERED,
        handling_cost_yuan(
            scenario.economics,
            [g.name for g in scenario.staffing.groups],
            np.maximum(result.group, 0),
            contacts.handle_seconds,
        ),
        0.0,
    )
    escalation = result.kind == ESCALATION
    return IssueTable(
        labour_yuan=per_issue(handled),
        contacts=per_issue(np.ones(issue.size)),
        resolved=any_of(result.resolved == 1),
        refunded=any_of(refunded),
        first_wait=wait[f],
        total_wait=per_issue(wait),
        escalated=any_of(escalation),
        transfers=per_issue(escalation.astype(np.float64)),
        abandoned_any=any_of(result.outcome == ABANDONED),
        switched=any_of(contacts.channel != contacts.channel[first_of[issue]]),
        first_channel=contacts.channel[f].astype(np.int64),
        reason=contacts.reason[f].astype(np.int64),
        ctype=(
            contacts.customer_type[f].astype(np.int64)
            if contacts.customer_type is not None
            else np.zeros(f.size, dtype=np.int64)
        ),
        first_arrival=arrival[f],
        delivery=(
            contacts.delivery_seconds[f]
            if contacts.delivery_seconds is not None
            else np.full(f.size, np.nan)
        ),
        last_end=last_end[counted],
        u_review=decide[f, U_REVIEW],
        u_revise=decide[f, U_REVISE],
        u_churn=decide[f, U_CHURN],
        bot_penalty=_bot_penalty(scenario, contacts, f),
    )


def _bot_penalty(
    scenario: Scenario, contacts: Contacts, first: NDArray[np.int64]
) -> NDArray[np.float64] | None:
    """Per issue (its first contact ``first``), the hand-over's satisfaction penalty."""
    if contacts.bot is None:
        return None
    penalty = np.array(
        [s.bot.handover_penalty if s.bot else 0.0 for s in scenario.channels.values()]
    )
    handed = contacts.bot[first] == HANDED_OVER
    return np.where(handed, penalty[contacts.channel[first]], 0.0)


def _shift(scenario: Scenario, table: IssueTable) -> NDArray[np.float64]:
    """Per issue, the log-odds shift: its customer type's, less a failed bot's penalty."""
    shift = _type_column(scenario, table, "satisfaction_shift", 0.0)
    return shift if table.bot_penalty is None else shift - table.bot_penalty


def _felt_wait(
    scenario: Scenario,
    channel: NDArray[np.integer],
    arrival: NDArray[np.float64],
    leave: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Each contact's wait as its customer counts it, seconds.

    From arrival to leaving the queue; but a message sent while its asynchronous channel
    was closed got an auto-reply, and with ``satisfaction.off_hours_wait_from: opening`` its
    wait counts from the opening.
    """
    wait = leave - arrival
    if scenario.satisfaction.off_hours_wait_from != "opening":
        return wait
    for ci, spec in enumerate(scenario.channels.values()):
        if spec.asynchronous and spec.hours is not None:
            m = channel == ci
            opening = next_opening(open_spans(spec.hours, scenario.calendar), arrival[m])
            wait[m] = leave[m] - np.minimum(opening, leave[m])
    return wait


@dataclass(frozen=True)
class IssueOutcomes:
    """Per issue (rows of its :class:`IssueTable`), what it came to.

    Attributes:
        p_satisfied: Probability that its customer is satisfied (CSAT, an expectation).
        effort: Customer effort score, 1 (effortless) to 5.
        bad_review: Its customer left a bad review (revised ones included).
        revised: That bad review was revised after the issue was settled.
        churned: Its customer was lost.
        drivers: Per driver of :data:`CSAT_DRIVERS`, the issues it touched and their
            probability of being satisfied without it.
    """

    p_satisfied: NDArray[np.float64]
    effort: NDArray[np.float64]
    bad_review: NDArray[np.bool_]
    revised: NDArray[np.bool_]
    churned: NDArray[np.bool_]
    drivers: dict[str, tuple[NDArray[np.bool_], NDArray[np.float64]]]


def _tolerance(scenario: Scenario, table: IssueTable) -> NDArray[np.float64]:
    """Per issue, the wait that costs nothing on its first contact's channel, s."""
    sat = scenario.satisfaction
    by_channel = np.array(
        [
            sat.wait_tolerance_seconds.get(c, sat.default_wait_tolerance_seconds)
            for c in scenario.channels
        ]
    )
    tolerance: NDArray[np.float64] = by_channel[table.first_channel]
    return tolerance


def _type_column(
    scenario: Scenario, table: IssueTable, name: str, none: float
) -> NDArray[np.float64]:
    """Per issue, its customer type's ``name`` (``none`` without a customers section)."""
    types = list(scenario.customers.types.values()) if scenario.customers else []
    column: NDArray[np.float64] = np.array([getattr(t, name) for t in types] or [none])[table.ctype]
    return column


def satisfaction(scenario: Scenario, table: IssueTable) -> NDArray[np.float64]:
    """Per issue, the probability that its customer is satisfied (the logistic model)."""
    return satisfaction_probability(
        scenario.satisfaction,
        resolved=table.resolved,
        refund=table.refunded,
        first_wait_seconds=table.first_wait,
        tolerance_seconds=_tolerance(scenario, table),
        contacts=table.contacts,
        escalated=table.escalated,
        abandoned_any=table.abandoned_any,
        type_shift=_shift(scenario, table),
    )


def satisfied(scenario: Scenario, table: IssueTable, u: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Per issue, whether its customer is satisfied, decided with the uniform ``u``."""
    return u < satisfaction(scenario, table)


def decide(scenario: Scenario, reasons: list[Reason], table: IssueTable) -> IssueOutcomes:
    """Every per-issue outcome of the issues of ``table`` (docs/model.md#satisfaction).

    - CSAT: P(satisfied), its expectation (less noise than a draw), and per driver the same
      without it (no wait over tolerance, one contact, resolved, not escalated, nothing
      abandoned);
    - effort: the effort score of its contacts, transfers, waits and channel switches;
    - bad review: drawn with ``U_REVIEW`` against P(差评) mixed over satisfied and not, if
      the platform still takes reviews (until ``review_window_days`` after delivery;
      issues without an order always can);
    - revision: a bad review of a resolved issue with a repeat, settled within
      ``revision_window_days``, is revised with ``revision_probability`` (``U_REVISE``);
    - churn: after-sale issues only (the TARP table is about problems), drawn with
      ``U_CHURN`` against 1 − retention by outcome (unresolved, resolved, resolved within
      ``quick_resolution_hours``) and the money at stake (:func:`sim.economics.issue_stake_yuan`).

    Args:
        scenario: The scenario.
        reasons: Every reason, in reason-index order (:func:`sim.demand.all_reasons`).
        table: The issues.
    """
    sat = scenario.satisfaction
    tolerance = _tolerance(scenario, table)
    shift = _shift(scenario, table)
    review_factor = _type_column(scenario, table, "review_factor", 1.0)
    reason = table.reason
    reason_factor = np.array([sat.reason_review_factors.get(r.name, 1.0) for r in reasons])[reason]
    p_sat = satisfaction(scenario, table)
    effort = effort_score(
        contacts=table.contacts,
        transfers=table.transfers,
        total_wait_seconds=table.total_wait,
        tolerance_seconds=tolerance,
        channel_switch=table.switched,
    )
    p_bad = p_sat * bad_review_probability(
        sat, satisfied=1.0, type_factor=review_factor, reason_factor=reason_factor
    ) + (1 - p_sat) * bad_review_probability(
        sat, satisfied=0.0, type_factor=review_factor, reason_factor=reason_factor
    )
    closes = table.delivery + sat.review_window_days * 86400.0
    reviewable = np.isnan(closes) | (table.first_arrival <= closes)
    bad = reviewable & (table.u_review < p_bad)
    settled = table.last_end - table.first_arrival <= sat.revision_window_days * 86400.0
    revised = (
        bad
        & (table.resolved > 0)
        & (table.contacts > 1)
        & settled
        & (table.u_revise < sat.revision_probability)
    )
    quick = table.last_end - table.first_arrival <= sat.quick_resolution_hours * 3600.0
    outcome = np.where(table.resolved > 0, np.where(quick, 3, 2), 1)
    stake = np.array([issue_stake_yuan(scenario, r.refund_yuan) for r in reasons])[reason]
    after_sale = np.array([r.after_sale for r in reasons])[reason]
    churned = after_sale & (table.u_churn < churn_probability(sat.retention, outcome, stake))
    return IssueOutcomes(
        p_satisfied=p_sat,
        effort=effort,
        bad_review=bad,
        revised=revised,
        churned=churned,
        drivers=_drivers(scenario, table, tolerance, shift),
    )


def _drivers(
    scenario: Scenario,
    table: IssueTable,
    tolerance: NDArray[np.float64],
    shift: NDArray[np.float64],
) -> dict[str, tuple[NDArray[np.bool_], NDArray[np.float64]]]:
    """Per driver, the issues it touched and their P(satisfied) without it.

    ``csat_lost.<driver>`` is the mean of the latter minus ``csat_mean``: the satisfaction
    the driver takes away, as a share of issues.
    """
    base = {
        "resolved": table.resolved,
        "refund": table.refunded,
        "first_wait_seconds": table.first_wait,
        "contacts": table.contacts,
        "escalated": table.escalated,
        "abandoned_any": table.abandoned_any,
    }
    removed: dict[str, tuple[str, NDArray[np.float64], NDArray[np.bool_]]] = {
        "wait": (
            "first_wait_seconds",
            np.minimum(table.first_wait, tolerance),
            table.first_wait > tolerance,
        ),
        "repeat": ("contacts", np.ones_like(table.contacts), table.contacts > 1),
        "unresolved": ("resolved", np.ones_like(table.resolved), table.resolved == 0),
        "escalation": ("escalated", np.zeros_like(table.escalated), table.escalated > 0),
        "abandonment": (
            "abandoned_any",
            np.zeros_like(table.abandoned_any),
            table.abandoned_any > 0,
        ),
    }
    out = {}
    for driver in CSAT_DRIVERS:
        field_name, value, touched = removed[driver]
        without = satisfaction_probability(
            scenario.satisfaction,
            **{**base, field_name: value},
            tolerance_seconds=tolerance,
            type_shift=shift,
        )
        out[driver] = (touched, without)
    return out
