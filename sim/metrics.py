"""Metrics of one replication, as pure functions of what the contact centre recorded.

Two kinds, kept apart as in salabim's monitors:

- **Tallies**: counts and means over contacts (offered, answered, waits, handle times). A
  contact belongs to the interval in which it *arrived*, and counts only if it arrived after
  the warm-up.
- **Levels**: time-weighted averages (queue length, agents, occupancy), integrated over the
  part of the horizon after the warm-up.

Definitions and denominators (per channel; ``all`` aggregates every channel):

==================  ===================================================================
``offered``         contacts that arrived (after the warm-up, before the horizon)
``answered``        of those, taken by an agent before the horizon
``abandoned``       of those, left the queue when their patience ran out
``open``            of those, still waiting at the horizon
``abandon_rate``    abandoned ÷ offered
``service_level``   answered with wait ≤ the channel's ``service_level_seconds`` ÷ offered
                    (abandoned and open contacts count as failures)
``asa_seconds``     mean wait of answered contacts
``mean_wait_seconds`` mean time in queue of contacts that left it (answered or abandoned);
                    open contacts are excluded because their wait is cut off by the horizon
``aht_seconds``     mean handle time of answered contacts
``occupancy``       busy agent-time on the channel ÷ staffed agent-time of the groups that
                    serve it; a chat of a channel with concurrency k keeps 1/k of an agent
                    busy. ``all.occupancy`` is total busy ÷ total staffed agent-time.
``queue_length``    time-average number of contacts waiting
``agents``          time-average staffed agents (scheduled plus overtime) able to serve it
==================  ===================================================================

Whole run: ``contacts`` (all offered), ``agent_hours`` (staffed agent-time, scheduled plus
overtime, in hours), ``overtime_hours``. A metric without a denominator (no contact offered,
none answered, no agent staffed) is absent, never zero-filled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.center import (
    ABANDONED,
    ANSWERED,
    ESCALATION,
    FIRST,
    OPEN,
    REDIAL,
    REPEAT,
    U_CHURN,
    U_REVIEW,
    U_REVISE,
    CenterResult,
)
from sim.config import Satisfaction, Scenario, SecondItemDiscount
from sim.demand import Contacts, Demand, all_reasons
from sim.economics import hourly_cost_yuan, money_view, order_margin
from sim.satisfaction import (
    bad_review_probability,
    churn_probability,
    effort_score,
    satisfaction_probability,
)

INTERVAL_METRICS = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_seconds",
    "queue_length",
    "agents",
    "occupancy",
)
"""Per interval and channel, in ``intervals.csv`` column order."""


GLOSSARY: dict[str, str] = {
    "offered": "contacts that arrived after the warm-up and before the horizon",
    "answered": "offered contacts taken by an agent before the horizon",
    "abandoned": "offered contacts that left the queue when their patience ran out",
    "open": "offered contacts still waiting at the horizon",
    "abandon_rate": "abandoned ÷ offered",
    "service_level": "answered within the channel's service_level_seconds ÷ offered "
    "(abandoned and open contacts count as failures)",
    "asa_seconds": "mean wait of answered contacts, seconds",
    "mean_wait_seconds": "mean time in queue of answered and abandoned contacts, seconds "
    "(open contacts excluded: their wait is cut off by the horizon)",
    "aht_seconds": "mean handle time of answered contacts, seconds",
    "occupancy": "busy agent-time ÷ staffed agent-time (scheduled plus overtime) of the groups "
    "serving the channel; a chat holds 1/concurrency of an agent",
    "queue_length": "time-average number of contacts waiting",
    "agents": "time-average staffed agents (scheduled plus overtime) able to serve the channel",
    "contacts": "all offered contacts",
    "agent_hours": "staffed agent-time after the warm-up (scheduled plus overtime), hours",
    "overtime_hours": "agent-time spent finishing contacts after a scheduled end, hours",
    "orders": "orders placed after the warm-up and before the horizon",
    "contacts_per_100_orders": "contacts offered ÷ orders placed in the same period × 100 "
    "(contacts include those of orders placed before it)",
    "promo_contacts": "contacts of the reasons the promotion's mechanic creates",
    "promo_share_after_sale": "after-sale contacts of the promotion's reasons ÷ all "
    "after-sale contacts (pre-sale questions excluded from both)",
    "contacts.<reason>": "contacts offered for that reason",
    "issues": "customer issues whose first contact arrived after the warm-up",
    "contacts_per_issue": "contacts of those issues (before the horizon) ÷ issues",
    "resolution_rate": "issues resolved by any contact before the horizon ÷ issues",
    "fcr": "issues resolved by their first contact ÷ issues whose first contact was answered",
    "repeat_contacts": "contacts of unresolved issues coming back",
    "redials": "contacts of customers coming back after abandoning",
    "escalations": "transfers of unresolved issues to the second tier",
    "platform_interventions": "second-tier issues ending in a platform intervention (小二介入)",
    "refunds": "refunds granted (at most one per issue)",
    "refunds_yuan": "refunds granted, yuan",
    "issue_wait_seconds": "mean total time in queue of an issue's contacts, seconds, over issues",
    "transfers_per_issue": "transfers to the second tier ÷ issues",
    "channel_switch_share": "issues with a contact on another channel than the first ÷ issues",
    "refund_share": "issues refunded ÷ issues",
    "csat_mean": "mean probability that an issue's customer is satisfied (logistic model, "
    "domain model §5.2), over issues",
    "effort_mean": "mean customer effort score (1 effortless … 5), over issues",
    "bad_reviews": "bad reviews (差评) left and not revised, drawn per issue; only while the "
    "platform takes reviews (review_window_days after delivery)",
    "bad_reviews_revised": "bad reviews revised after a later contact resolved the issue",
    "churned_customers": "customers lost after their issue (TARP retention table), drawn per issue",
    "group.<group>.agent_hours": "the group's staffed agent-time (scheduled plus overtime), hours",
    "group.<group>.overtime_hours": "the group's agent-time finishing contacts after a "
    "scheduled end, hours",
    "group.<group>.occupancy": "the group's busy agent-time ÷ its staffed agent-time",
    "group.<group>.intervals_over_90": "share of the group's staffed intervals with occupancy "
    "above 90%",
    "orders_in_window": "orders placed inside the promotion's window (and after the warm-up)",
    "gmv_yuan": "what buyers paid for the orders, yuan (expected per order by mechanic)",
    "gross_profit_yuan": "GMV − unit costs − fulfilment, yuan",
    "labour_cost_yuan": "agent time the contacts used (busy agent-hours, silent abandoners "
    "included) at the loaded hourly cost, plus the overtime premium, yuan",
    "payroll_yuan": "staffed agent-hours at the loaded hourly cost plus the overtime "
    "premium: what the rota costs, yuan",
    "platform_cost_yuan": "platform interventions × their cost, yuan",
    "service_cost_yuan": "labour_cost_yuan + platform_cost_yuan",
    "bad_review_cost_yuan": "bad reviews × the value of a bad review, yuan",
    "churn_cost_yuan": "churned customers × the margin of a retained customer, yuan",
    "net_yuan": "gross profit − service cost − refunds − bad-review cost − churn cost, yuan",
    "reason.price_difference.issues": "price-difference (退差价) issues",
    "reason.price_difference.refund_share": "refunds granted ÷ price-difference issues",
    "reason.price_difference.cost_per_issue_yuan": "labour, bad-review and churn cost of "
    "price-difference issues ÷ their number, yuan",
    "promo_gross_profit_yuan": "gross profit of the promotion arm − the baseline's, yuan",
    "net_impact_yuan": "net of the promotion arm − the baseline's: what the promotion earns "
    "after its service, refund, review and churn costs, yuan",
    "service_cost_per_promo_order_yuan": "(extra service cost + extra refunds) ÷ orders in "
    "the promotion's window, yuan",
    "csat_dist.<band>": "issues whose probability of being satisfied falls in the band "
    "(percent) ÷ issues",
    "issues_with.<driver>": "issues the driver touched ÷ issues: wait (first contact waited "
    "beyond the channel's tolerance), repeat (more than one contact), unresolved, escalation, "
    "abandonment (any contact abandoned)",
    "csat_lost.<driver>": "mean probability of being satisfied with the driver removed from "
    "every issue, minus csat_mean: the satisfaction the driver costs, share of issues",
    "break_even_miss_rate": "bundle miss rate at which the promotion's net impact is zero "
    "(linear in the miss rate; absent outside [0, 1])",
}
"""Each metric's definition and denominator, as written into summary.json and reports."""


def glossary_key(metric: str) -> str:
    """The GLOSSARY entry of a summary key: ``phone.asa_seconds`` → ``asa_seconds``."""
    if metric.startswith("contacts."):
        return "contacts.<reason>"
    if metric.startswith(("reason.", "promo_", "net_impact", "service_cost_per", "break_even")):
        return metric
    if metric.startswith(("csat_dist.", "issues_with.", "csat_lost.")):
        return metric.split(".", 1)[0] + (".<band>" if metric.startswith("csat_d") else ".<driver>")
    if metric.startswith("group."):
        return "group.<group>." + metric.rsplit(".", 1)[-1]
    return metric.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ReplicationMetrics:
    """Metrics of one replication.

    Attributes:
        overall: ``"<channel>.<metric>"`` and ``"all.<metric>"`` and whole-run keys; a metric
            without a denominator is absent.
        interval_starts: Start of each reported interval, seconds from the horizon's start
            (intervals wholly inside the warm-up are not reported).
        intervals: ``"<channel>.<metric>"`` → one value per reported interval; ``nan`` where
            the metric has no denominator in that interval.
    """

    overall: dict[str, float]
    interval_starts: NDArray[np.float64]
    intervals: dict[str, NDArray[np.float64]]
    daily: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    """``"contacts.<reason>"``, ``"contacts"``, ``"orders"``, ``"abandoned"``, ``"redials"``
    → one count per calendar day of arrival (days wholly inside the warm-up are not
    reported)."""


def overlap(
    starts: NDArray[np.float64],
    ends: NDArray[np.float64],
    weights: NDArray[np.float64],
    edges: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Weighted time that spans ``[starts, ends)`` spend in each ``[edges[k], edges[k+1])``.

    Weights must not be negative.

    Vectorised and local: a span adds its partial first and last bins directly, and its
    weight to the full bins between through a difference array, so no large cumulative
    sums are subtracted (a level in a bin stays exact to rounding of the bin's own length).
    """
    n_bins = edges.size - 1
    out = np.zeros(n_bins)
    s = np.clip(starts, edges[0], edges[-1])
    e = np.clip(ends, edges[0], edges[-1])
    keep = e > s
    s, e, w = s[keep], e[keep], weights[keep]
    if s.size == 0:
        return out
    ks = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n_bins - 1)
    ke = np.clip(np.searchsorted(edges, e, side="left") - 1, 0, n_bins - 1)
    same = ks == ke
    np.add.at(out, ks[same], w[same] * (e[same] - s[same]))
    ks, ke, s, e, w = ks[~same], ke[~same], s[~same], e[~same], w[~same]
    np.add.at(out, ks, w * (edges[ks + 1] - s))
    np.add.at(out, ke, w * (e - edges[ke]))
    between = np.zeros(n_bins + 1)
    np.add.at(between, ks + 1, w)
    np.add.at(between, ke, -w)
    # weights are never negative: a negative running sum is rounding residue
    out += np.maximum(np.cumsum(between)[:n_bins], 0.0) * np.diff(edges)
    return out


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def replication_metrics(
    scenario: Scenario,
    contacts: Contacts,
    result: CenterResult,
    orders: Demand | None = None,
) -> ReplicationMetrics:
    """Tallies and levels of one replication (see the module docstring for definitions).

    ``orders`` (the arm's demand) adds the order-driven metrics: orders, contacts by reason,
    contacts per 100 orders, and the promotion's contacts and share.
    """
    if result.contacts is not None:
        contacts = result.contacts  # first contacts and their follow-ups
    cal = scenario.calendar
    horizon, warmup, width = cal.horizon_seconds, cal.warmup_seconds, cal.interval_seconds
    first = int(warmup // width)
    starts = np.arange(first, cal.n_intervals, dtype=np.float64) * width
    edges = np.concatenate([np.maximum(starts, warmup), [horizon]])
    n_int = starts.size

    arrival = contacts.arrival_seconds
    counted = arrival >= warmup
    bin_of = np.clip((arrival // width).astype(np.int64) - first, 0, n_int - 1)
    wait = result.leave_queue_seconds - arrival
    answered = result.outcome == ANSWERED
    abandoned = result.outcome == ABANDONED
    is_open = result.outcome == OPEN
    end_queue = np.where(np.isnan(result.leave_queue_seconds), horizon, result.leave_queue_seconds)
    capacity = np.asarray(result.group_capacity, dtype=np.float64)
    busy_share = np.where(answered, result.units / capacity[np.maximum(result.group, 0)], 0.0)
    service_end = np.where(answered, result.answer_seconds + contacts.handle_seconds, 0.0)
    service_start = np.where(answered, result.answer_seconds, 0.0)

    # staffed agent-time per group and interval: the schedule's step function plus overtime
    staffed_g = []
    for gi, lv in enumerate(result.scheduled):
        t_end = np.concatenate([lv.times[1:], [horizon]])
        s = overlap(lv.times, t_end, lv.agents, edges)
        ot = result.overtime[result.overtime[:, 0] == gi]
        s = s + overlap(ot[:, 1], ot[:, 2], np.ones(len(ot)), edges)
        staffed_g.append(s)
    ghosts = result.ghosts if result.ghosts is not None else np.zeros((0, 5))
    busy_g = [
        overlap(service_start[m], service_end[m], busy_share[m], edges)
        + overlap(*_ghost_spans(ghosts, ghosts[:, 0] == gi), edges)
        for gi, m in ((gi, answered & (result.group == gi)) for gi in range(len(result.scheduled)))
    ]
    staffed_all = np.sum(staffed_g, axis=0)
    busy_all = np.sum(busy_g, axis=0)
    window = edges[-1] - edges[0]
    overall: dict[str, float] = {}
    intervals: dict[str, NDArray[np.float64]] = {}
    serving = [
        [gi for gi, g in enumerate(scenario.staffing.groups) if name in g.channels]
        for name in contacts.channels
    ]

    totals = {"offered": 0, "answered": 0, "abandoned": 0, "open": 0, "within": 0}
    wait_answered: list[NDArray[np.float64]] = []
    wait_left: list[NDArray[np.float64]] = []
    handle_answered: list[NDArray[np.float64]] = []
    queue_all = np.zeros(n_int)

    for ci, name in enumerate(contacts.channels):
        threshold = scenario.channels[name].service_level_seconds
        of_c = contacts.channel == ci
        mine = of_c & counted
        ans, ab, op = mine & answered, mine & abandoned, mine & is_open
        within = ans & (wait <= threshold)
        n = {
            "offered": int(mine.sum()),
            "answered": int(ans.sum()),
            "abandoned": int(ab.sum()),
            "open": int(op.sum()),
            "within": int(within.sum()),
        }
        for k, v in n.items():
            totals[k] += v
        wait_answered.append(wait[ans])
        wait_left.append(wait[ans | ab])
        handle_answered.append(contacts.handle_seconds[ans])
        key = f"{name}."
        overall[key + "offered"] = n["offered"]
        overall[key + "answered"] = n["answered"]
        overall[key + "abandoned"] = n["abandoned"]
        overall[key + "open"] = n["open"]
        if n["offered"]:
            overall[key + "abandon_rate"] = n["abandoned"] / n["offered"]
            overall[key + "service_level"] = n["within"] / n["offered"]
        if n["answered"]:
            overall[key + "asa_seconds"] = float(wait[ans].mean())
            overall[key + "aht_seconds"] = float(contacts.handle_seconds[ans].mean())
        if n["answered"] + n["abandoned"]:
            overall[key + "mean_wait_seconds"] = float(wait[ans | ab].mean())

        busy_c = overlap(
            service_start[of_c & answered],
            service_end[of_c & answered],
            busy_share[of_c & answered],
            edges,
        ) + overlap(*_ghost_spans(ghosts, ghosts[:, 1] == ci), edges)
        staffed_c = np.sum([staffed_g[gi] for gi in serving[ci]], axis=0)
        queue_c = overlap(arrival[of_c], end_queue[of_c], np.ones(int(of_c.sum())), edges)
        queue_all += queue_c
        if staffed_c.sum() > 0:
            overall[key + "occupancy"] = float(busy_c.sum() / staffed_c.sum())
        overall[key + "queue_length"] = float(queue_c.sum() / window)
        overall[key + "agents"] = float(staffed_c.sum() / window)

        offered_i = np.bincount(bin_of[mine], minlength=n_int).astype(np.float64)
        answered_i = np.bincount(bin_of[ans], minlength=n_int).astype(np.float64)
        intervals[key + "offered"] = offered_i
        intervals[key + "answered"] = answered_i
        intervals[key + "abandoned"] = np.bincount(bin_of[ab], minlength=n_int).astype(np.float64)
        intervals[key + "service_level"] = _ratio(
            np.bincount(bin_of[within], minlength=n_int).astype(np.float64), offered_i
        )
        intervals[key + "asa_seconds"] = _ratio(
            np.bincount(bin_of[ans], weights=wait[ans], minlength=n_int).astype(np.float64),
            answered_i,
        )
        span = np.diff(edges)
        intervals[key + "queue_length"] = queue_c / span
        intervals[key + "agents"] = staffed_c / span
        intervals[key + "occupancy"] = _ratio(busy_c, staffed_c)

    overall["all.offered"] = totals["offered"]
    overall["all.answered"] = totals["answered"]
    overall["all.abandoned"] = totals["abandoned"]
    overall["all.open"] = totals["open"]
    if totals["offered"]:
        overall["all.abandon_rate"] = totals["abandoned"] / totals["offered"]
        overall["all.service_level"] = totals["within"] / totals["offered"]
    if totals["answered"]:
        overall["all.asa_seconds"] = float(np.concatenate(wait_answered).mean())
        overall["all.aht_seconds"] = float(np.concatenate(handle_answered).mean())
    if totals["answered"] + totals["abandoned"]:
        overall["all.mean_wait_seconds"] = float(np.concatenate(wait_left).mean())
    if staffed_all.sum() > 0:
        overall["all.occupancy"] = float(busy_all.sum() / staffed_all.sum())
    overall["all.queue_length"] = float(queue_all.sum() / window)
    overall["all.agents"] = float(staffed_all.sum() / window)
    overall["contacts"] = totals["offered"]
    overall["agent_hours"] = float(staffed_all.sum() / 3600.0)
    groups = scenario.staffing.groups
    ot = result.overtime
    ot_in = np.clip(ot[:, 2], warmup, horizon) - np.clip(ot[:, 1], warmup, horizon)
    overall["overtime_hours"] = float(ot_in.sum() / 3600.0)
    _journey_metrics(scenario, contacts, result, overall)
    daily = _demand_metrics(scenario, contacts, result, orders, overall)
    busy_hours = {g.name: float(busy_g[gi].sum() / 3600.0) for gi, g in enumerate(groups)}
    overtime_hours = {
        g.name: float(
            (
                np.clip(ot[ot[:, 0] == gi, 2], warmup, horizon)
                - np.clip(ot[ot[:, 0] == gi, 1], warmup, horizon)
            ).sum()
            / 3600.0
        )
        for gi, g in enumerate(groups)
    }
    for gi, g in enumerate(groups):
        key = f"group.{g.name}."
        overall[key + "agent_hours"] = float(staffed_g[gi].sum() / 3600.0)
        overall[key + "overtime_hours"] = overtime_hours[g.name]
        if staffed_g[gi].sum() > 0:
            overall[key + "occupancy"] = float(busy_g[gi].sum() / staffed_g[gi].sum())
            occ = _ratio(busy_g[gi], staffed_g[gi])
            staffed_intervals = np.isfinite(occ)
            overall[key + "intervals_over_90"] = float((occ[staffed_intervals] > 0.9).mean())
        intervals[key + "occupancy"] = _ratio(busy_g[gi], staffed_g[gi])
    _customer_metrics(scenario, contacts, result, overall)
    _money_metrics(scenario, orders, overall, busy_hours, overtime_hours)
    return ReplicationMetrics(overall, starts, intervals, daily)


def _ghost_spans(
    ghosts: NDArray[np.float64], mask: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Start, end and busy share of the ghost spans selected by ``mask``."""
    g = ghosts[mask]
    return g[:, 2], g[:, 3], g[:, 4]


def _journey_metrics(
    scenario: Scenario, contacts: Contacts, result: CenterResult, overall: dict[str, float]
) -> None:
    """Issue tallies into ``overall``: issues whose first contact came after the warm-up."""
    if result.issue is None or result.kind is None or result.resolved is None:
        return
    warmup = scenario.calendar.warmup_seconds
    issue = result.issue
    n_issues = int(issue.max()) + 1 if issue.size else 0
    first = result.kind == FIRST
    counted_issue = np.zeros(n_issues, dtype=bool)
    counted_issue[issue[first]] = contacts.arrival_seconds[first] >= warmup
    mine = counted_issue[issue]
    n = int(counted_issue.sum())
    overall["issues"] = n
    if n == 0:
        return
    overall["contacts_per_issue"] = int(mine.sum()) / n
    resolved_by = result.resolved == 1
    resolved_issue = np.zeros(n_issues, dtype=bool)
    resolved_issue[issue[resolved_by]] = True
    overall["resolution_rate"] = float(resolved_issue[counted_issue].mean())
    first_answered = first & mine & (result.outcome == ANSWERED)
    if first_answered.any():
        overall["fcr"] = float((resolved_by[first_answered]).mean())
    kind = result.kind
    overall["repeat_contacts"] = int((mine & (kind == REPEAT)).sum())
    overall["redials"] = int((mine & (kind == REDIAL)).sum())
    overall["escalations"] = int((mine & (kind == ESCALATION)).sum())
    if result.platform is not None:
        overall["platform_interventions"] = int((mine & result.platform).sum())
    if result.refunded is not None:
        refunded = mine & result.refunded
        amounts = np.array([r.refund_yuan for r in all_reasons(scenario)] or [0.0])
        overall["refunds"] = int(refunded.sum())
        overall["refunds_yuan"] = float(amounts[contacts.reason[refunded]].sum())


def _issue_table(
    scenario: Scenario, contacts: Contacts, result: CenterResult
) -> dict[str, NDArray[np.float64]] | None:
    """Per counted issue (first contact after the warm-up): what the customer went through."""
    if result.issue is None or result.kind is None or result.resolved is None:
        return None
    warmup, horizon = scenario.calendar.warmup_seconds, scenario.calendar.horizon_seconds
    issue = result.issue
    n_issues = int(issue.max()) + 1 if issue.size else 0
    first = np.flatnonzero(result.kind == FIRST)
    first_of = np.full(n_issues, -1, dtype=np.int64)
    first_of[issue[first]] = first
    counted = first_of >= 0
    counted[counted] = contacts.arrival_seconds[first_of[counted]] >= warmup
    arrival = contacts.arrival_seconds
    leave = np.where(np.isnan(result.leave_queue_seconds), horizon, result.leave_queue_seconds)
    wait = leave - arrival

    def per_issue(values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.bincount(issue, weights=values, minlength=n_issues).astype(np.float64)
        return out[counted]

    ones = np.ones(issue.size)
    # when each issue's last contact ended: answered at answer + handle, else leaving the queue
    ended = np.where(
        result.outcome == ANSWERED, result.answer_seconds + contacts.handle_seconds, leave
    )
    last_end = np.full(n_issues, -np.inf)
    np.maximum.at(last_end, issue, ended)
    f = first_of[counted]
    decide = contacts.decide if contacts.decide is not None else np.full((arrival.size, 10), 0.5)
    first_channel = contacts.channel[f]
    switched = (contacts.channel != contacts.channel[first_of[issue]]).astype(np.float64)
    refunded = result.refunded if result.refunded is not None else np.zeros(issue.size, bool)
    e = scenario.economics
    rate = np.array([hourly_cost_yuan(e, g.name) for g in scenario.staffing.groups])
    answered = result.outcome == ANSWERED
    handled = np.where(
        answered, contacts.handle_seconds / 3600.0 * rate[np.maximum(result.group, 0)], 0.0
    )
    return {
        "labour_yuan": per_issue(handled),
        "contacts": per_issue(ones),
        "resolved": (per_issue((result.resolved == 1).astype(np.float64)) > 0).astype(float),
        "refunded": (per_issue(refunded.astype(np.float64)) > 0).astype(np.float64),
        "first_wait": wait[f],
        "total_wait": per_issue(wait),
        "escalated": (per_issue((result.kind == ESCALATION).astype(np.float64)) > 0).astype(
            np.float64
        ),
        "transfers": per_issue((result.kind == ESCALATION).astype(np.float64)),
        "abandoned_any": (per_issue((result.outcome == ABANDONED).astype(np.float64)) > 0).astype(
            np.float64
        ),
        "switched": (per_issue(switched) > 0).astype(np.float64),
        "first_channel": first_channel.astype(np.float64),
        "reason": contacts.reason[f].astype(np.float64),
        "ctype": (
            contacts.customer_type[f] if contacts.customer_type is not None else np.zeros(f.size)
        ).astype(np.float64),
        "first_arrival": arrival[f],
        "delivery": (
            contacts.delivery_seconds[f]
            if contacts.delivery_seconds is not None
            else np.full(f.size, np.nan)
        ),
        "last_end": last_end[counted],
        "u_review": decide[f, U_REVIEW],
        "u_revise": decide[f, U_REVISE],
        "u_churn": decide[f, U_CHURN],
    }


def _customer_metrics(
    scenario: Scenario, contacts: Contacts, result: CenterResult, overall: dict[str, float]
) -> None:
    """The customer view: CSAT, effort, bad reviews and churn per issue (domain model §5.2).

    Bad reviews and churn are drawn per issue with the issue's own uniforms; CSAT is the
    mean probability of being satisfied (its expectation, which has less noise).
    """
    table = _issue_table(scenario, contacts, result)
    if table is None or table["contacts"].size == 0:
        return
    sat = scenario.satisfaction
    channels = contacts.channels
    tolerance = np.array(
        [sat.wait_tolerance_seconds.get(c, sat.default_wait_tolerance_seconds) for c in channels]
    )[table["first_channel"].astype(np.int64)]
    types = list(scenario.customers.types.values()) if scenario.customers else []
    ctype = table["ctype"].astype(np.int64)
    shift = np.array([t.satisfaction_shift for t in types] or [0.0])[ctype]
    review_factor = np.array([t.review_factor for t in types] or [1.0])[ctype]
    reasons = all_reasons(scenario)
    reason = table["reason"].astype(np.int64)
    reason_factor = np.array([sat.reason_review_factors.get(r.name, 1.0) for r in reasons])[reason]
    p_sat = satisfaction_probability(
        sat,
        resolved=table["resolved"],
        refund=table["refunded"],
        first_wait_seconds=table["first_wait"],
        tolerance_seconds=tolerance,
        contacts=table["contacts"],
        escalated=table["escalated"],
        abandoned_any=table["abandoned_any"],
        type_shift=shift,
    )
    effort = effort_score(
        contacts=table["contacts"],
        transfers=table["transfers"],
        total_wait_seconds=table["total_wait"],
        tolerance_seconds=tolerance,
        channel_switch=table["switched"],
    )
    p_bad = p_sat * bad_review_probability(
        sat, satisfied=1.0, type_factor=review_factor, reason_factor=reason_factor
    ) + (1 - p_sat) * bad_review_probability(
        sat, satisfied=0.0, type_factor=review_factor, reason_factor=reason_factor
    )
    # the platform takes reviews until review_window_days after delivery (contacts without
    # an order can always lead to one)
    closes = table["delivery"] + sat.review_window_days * 86400.0
    reviewable = np.isnan(closes) | (table["first_arrival"] <= closes)
    bad = reviewable & (table["u_review"] < p_bad)
    settled = table["last_end"] - table["first_arrival"] <= sat.revision_window_days * 86400.0
    revised = (
        bad
        & (table["resolved"] > 0)
        & (table["contacts"] > 1)
        & settled
        & (table["u_revise"] < sat.revision_probability)
    )
    quick = table["last_end"] - table["first_arrival"] <= sat.quick_resolution_hours * 3600.0
    outcome = np.where(table["resolved"] > 0, np.where(quick, 3, 2), 1)
    price = scenario.orders.item_price_yuan if scenario.orders is not None else 0.0
    stake = np.array([r.refund_yuan or price or 35.0 for r in reasons])[reason]
    # the TARP table is about problems: pre-sale questions lose no customer
    after_sale = np.array([r.after_sale for r in reasons])[reason]
    churned = after_sale & (table["u_churn"] < churn_probability(sat.retention, outcome, stake))
    names = [r.name for r in reasons]
    pd_name = (
        scenario.promotion.price_difference.name
        if isinstance(scenario.promotion, SecondItemDiscount)
        and scenario.promotion.price_difference is not None
        else "price_difference"
    )
    if isinstance(scenario.promotion, SecondItemDiscount) and pd_name in names:
        # what one price-difference issue costs, for the break-even miss rate
        pd = reason == names.index(pd_name)
        if pd.any():
            e = scenario.economics
            cost = (
                table["labour_yuan"][pd].sum()
                + (bad[pd].sum() - revised[pd].sum()) * e.value_of_bad_review_yuan
                + churned[pd].sum() * e.clv_margin_yuan
            )
            overall["reason.price_difference.issues"] = int(pd.sum())
            overall["reason.price_difference.refund_share"] = float(table["refunded"][pd].mean())
            overall["reason.price_difference.cost_per_issue_yuan"] = float(cost / pd.sum())
    overall["csat_mean"] = float(p_sat.mean())
    _csat_breakdown(sat, table, tolerance, shift, p_sat, overall)
    overall["issue_wait_seconds"] = float(table["total_wait"].mean())
    overall["transfers_per_issue"] = float(table["transfers"].mean())
    overall["channel_switch_share"] = float(table["switched"].mean())
    overall["refund_share"] = float(table["refunded"].mean())
    overall["effort_mean"] = float(effort.mean())
    overall["bad_reviews"] = int(bad.sum() - revised.sum())
    overall["bad_reviews_revised"] = int(revised.sum())
    overall["churned_customers"] = int(churned.sum())


CSAT_BANDS = 10
"""Bands of P(satisfied) for ``csat_dist.<band>``: ten bands of ten percentage points."""

CSAT_DRIVERS = ("wait", "repeat", "unresolved", "escalation", "abandonment")
"""What costs satisfaction in the logistic model, for ``csat_lost`` and ``issues_with``."""


def csat_band(k: int) -> str:
    """The name of band ``k`` of :data:`CSAT_BANDS`: ``00-10`` … ``90-100`` (percent)."""
    step = 100 // CSAT_BANDS
    return f"{k * step:02d}-{(k + 1) * step}"


def _csat_breakdown(
    sat: Satisfaction,
    table: dict[str, NDArray[np.float64]],
    tolerance: NDArray[np.float64],
    shift: NDArray[np.float64],
    p_sat: NDArray[np.float64],
    overall: dict[str, float],
) -> None:
    """How CSAT is distributed over issues, and what each driver costs it.

    ``csat_dist.<band>``: share of issues whose P(satisfied) falls in the band.
    ``issues_with.<driver>``: share of issues the driver touched. ``csat_lost.<driver>``:
    mean P(satisfied) with that driver removed from every issue (no wait over tolerance, one
    contact, resolved, not escalated, nothing abandoned) minus ``csat_mean`` — the
    satisfaction the driver takes away, as a share of issues.
    """
    band = np.minimum((p_sat * CSAT_BANDS).astype(np.int64), CSAT_BANDS - 1)
    shares = np.bincount(band, minlength=CSAT_BANDS) / p_sat.size
    for k in range(CSAT_BANDS):
        overall[f"csat_dist.{csat_band(k)}"] = float(shares[k])
    base = {
        "resolved": table["resolved"],
        "refund": table["refunded"],
        "first_wait_seconds": table["first_wait"],
        "contacts": table["contacts"],
        "escalated": table["escalated"],
        "abandoned_any": table["abandoned_any"],
    }
    removed: dict[str, tuple[str, NDArray[np.float64], NDArray[np.bool_]]] = {
        "wait": (
            "first_wait_seconds",
            np.minimum(table["first_wait"], tolerance),
            table["first_wait"] > tolerance,
        ),
        "repeat": ("contacts", np.ones_like(table["contacts"]), table["contacts"] > 1),
        "unresolved": ("resolved", np.ones_like(table["resolved"]), table["resolved"] == 0),
        "escalation": ("escalated", np.zeros_like(table["escalated"]), table["escalated"] > 0),
        "abandonment": (
            "abandoned_any",
            np.zeros_like(table["abandoned_any"]),
            table["abandoned_any"] > 0,
        ),
    }
    for driver in CSAT_DRIVERS:
        field_name, value, touched = removed[driver]
        without = satisfaction_probability(
            sat, **{**base, field_name: value}, tolerance_seconds=tolerance, type_shift=shift
        )
        overall[f"issues_with.{driver}"] = float(touched.mean())
        overall[f"csat_lost.{driver}"] = float(without.mean() - p_sat.mean())


def _money_metrics(
    scenario: Scenario,
    demand: Demand | None,
    overall: dict[str, float],
    busy_hours: dict[str, float],
    overtime_hours: dict[str, float],
) -> None:
    """The operations view in yuan (see :func:`sim.economics.money_view`).

    ``labour_cost_yuan`` values the agent time the contacts used (busy agent-hours, ghosts
    included, at each group's loaded hourly cost, plus the overtime premium): what the
    contacts cost whatever the rota. ``payroll_yuan`` is what the rota itself costs.
    """
    e = scenario.economics
    labour = math.fsum(
        busy_hours[g] * hourly_cost_yuan(e, g)
        + overtime_hours[g] * hourly_cost_yuan(e, g) * (e.overtime_premium - 1.0)
        for g in busy_hours
    )
    overall["payroll_yuan"] = math.fsum(
        overall[f"group.{g}.agent_hours"] * hourly_cost_yuan(e, g)
        + overtime_hours[g] * hourly_cost_yuan(e, g) * (e.overtime_premium - 1.0)
        for g in busy_hours
    )
    gmv = goods = 0.0
    if demand is not None and scenario.orders is not None:
        t = demand.order_seconds
        cal = scenario.calendar
        placed = (t >= cal.warmup_seconds) & (t < cal.horizon_seconds)
        active = demand.promotion_active
        n_in = int((placed & demand.order_in_window).sum())
        n_out = int(placed.sum()) - n_in
        inside = order_margin(scenario, in_window=True, promotion_active=active)
        outside = order_margin(scenario, in_window=False, promotion_active=active)
        gmv = n_in * inside.revenue_yuan + n_out * outside.revenue_yuan
        goods = n_in * inside.cost_yuan + n_out * outside.cost_yuan
        overall["orders_in_window"] = n_in
    overall.update(
        money_view(
            gmv_yuan=gmv,
            goods_cost_yuan=goods,
            labour_yuan=labour,
            refunds_yuan=overall.get("refunds_yuan", 0.0),
            bad_reviews=overall.get("bad_reviews", 0),
            churned=overall.get("churned_customers", 0),
            platform_interventions=overall.get("platform_interventions", 0),
            e=e,
        )
    )


def _demand_metrics(
    scenario: Scenario,
    contacts: Contacts,
    result: CenterResult,
    demand: Demand | None,
    overall: dict[str, float],
) -> dict[str, NDArray[np.float64]]:
    """Order-driven tallies into ``overall``; per-day counts returned (by day of arrival)."""
    cal = scenario.calendar
    warmup, horizon = cal.warmup_seconds, cal.horizon_seconds
    first_day = int(warmup // 86400.0)
    n_days = math.ceil(horizon / 86400.0 - 1e-9) - first_day
    counted = contacts.arrival_seconds >= warmup
    day = (contacts.arrival_seconds[counted] // 86400.0).astype(np.int64) - first_day
    reason = contacts.reason[counted]

    def per_day(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        return np.bincount(day[mask], minlength=n_days).astype(np.float64)

    daily: dict[str, NDArray[np.float64]] = {
        "contacts": np.bincount(day, minlength=n_days).astype(np.float64)
    }
    for ri, name in enumerate(contacts.reasons):
        mine = reason == ri
        overall[f"contacts.{name}"] = int(mine.sum())
        daily[f"contacts.{name}"] = per_day(mine)
    if scenario.promotion is not None:
        promo = contacts.promo[counted]
        after = contacts.after_sale[counted]
        overall["promo_contacts"] = int(promo.sum())
        if after.any():
            overall["promo_share_after_sale"] = float((promo & after).sum() / after.sum())
    if demand is not None and scenario.orders is not None:
        t = demand.order_seconds
        placed = (t >= warmup) & (t < horizon)
        n_orders = int(placed.sum())
        overall["orders"] = n_orders
        if n_orders:
            overall["contacts_per_100_orders"] = 100.0 * int(counted.sum()) / n_orders
        order_day = (t[placed] // 86400.0).astype(np.int64) - first_day
        daily["orders"] = np.bincount(order_day, minlength=n_days).astype(np.float64)
    daily["abandoned"] = per_day(result.outcome[counted] == ABANDONED)
    if result.kind is not None:
        daily["redials"] = per_day(result.kind[counted] == REDIAL)
    return daily
