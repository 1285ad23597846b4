"""Metrics of one replication, counted from what the contact centre recorded.

:class:`Tally` takes the contacts of whole issues as the engine hands them out (or all of
them at once: :func:`replication_metrics`) and keeps only counts and sums, so a streamed
replication's memory does not grow with its contacts; means are sums ÷ counts at the end.

Two kinds, kept apart as in salabim's monitors:

- **Tallies**: counts and means over contacts (offered, answered, waits, handle times). A
  contact belongs to the interval in which it *arrived*, and counts only if it arrived after
  the warm-up.
- **Levels**: time-weighted averages (queue length, agents, occupancy), integrated over the
  part of the horizon after the warm-up.

Each metric's definition, unit and denominator is in :mod:`sim.catalog` (docs/metrics.md).
A metric without a denominator (no contact offered, none answered, no agent staffed) is
absent, never zero-filled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim import catalog, fmath
from sim.center import (
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
    extra_spans,
)
from sim.center.presale import orders_of_inquiries
from sim.config import Scenario, internal_channel
from sim.demand import (
    HANDED_OVER,
    NO_BOT,
    SETTLED,
    Contacts,
    Demand,
    OrderTally,
    Reason,
    all_reasons,
    inquiry_reason,
    order_tally,
)
from sim.economics import (
    contact_labour_cost_yuan,
    hard_and_modelled,
    issues_cost_yuan,
    labour_cost_yuan,
    money_view,
    orders_yuan,
    source_rates,
)
from sim.hours import is_open, open_spans
from sim.mechanics import mechanic_of, promotion_reasons, seconds, self_service
from sim.outcomes import CSAT_DRIVERS as CSAT_DRIVERS  # its home is the outcomes stage
from sim.outcomes import decide, issue_table

# The metric vocabulary lives in sim.catalog; these names stay importable from here.
GLOSSARY = catalog.GLOSSARY
"""Each metric's definition and denominator, as written into summary.json and reports."""
glossary_key = catalog.glossary_key


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
    reported). With a bot: ``bot_sessions``, ``bot_contained`` and ``bot_handover_rate``
    (``nan`` on a day without sessions); with pre-sale inquiries: ``presale_inquiries``,
    ``presale_bot_contained``, ``orders_from_inquiries`` and ``inquiry_conversion`` by the
    inquiry's day of arrival, ``lost_orders`` and ``lost_margin_yuan`` (¥) by the day the
    lost order would have been placed."""


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
    tally = Tally(scenario)
    tally.add(result, contacts)
    return tally.finish(
        result,
        order_tally(scenario, orders) if orders is not None else None,
        orders is not None and orders.promotion_active,
    )


class Tally:
    """The metrics of one replication, fed in pieces.

    :meth:`add` takes the contacts of whole issues (as :func:`sim.center.stream_center`
    hands them out, or every contact at once), :meth:`finish` the agents' time. In between
    only counts and sums are held — per interval and channel, per group, per day and over
    issues — never anything per contact, so memory does not grow with the horizon's
    contacts. Means are sums ÷ counts at the end.
    """

    def __init__(self, scenario: Scenario) -> None:
        cal = scenario.calendar
        self.scenario = scenario
        self.horizon, self.warmup = cal.horizon_seconds, cal.warmup_seconds
        self.width = cal.interval_seconds
        self.first_interval = int(self.warmup // self.width)
        self.starts = np.arange(self.first_interval, cal.n_intervals, dtype=np.float64) * self.width
        self.edges = np.concatenate([np.maximum(self.starts, self.warmup), [self.horizon]])
        self.channels = tuple(scenario.channels)
        self.reasons = all_reasons(scenario)
        self.costed = _costed_reasons(scenario, self.reasons)
        n_int, n_ch, n_g = self.starts.size, len(self.channels), len(scenario.staffing.groups)
        self.first_day = int(self.warmup // 86400.0)
        self.n_days = math.ceil(self.horizon / 86400.0 - 1e-9) - self.first_day
        # per channel: offered, answered, abandoned, open, answered within the threshold,
        # closed, left before the answer, offered in KPI hours, within the threshold of those
        self.counts = np.zeros((9, n_ch), dtype=np.int64)
        specs = [scenario.channels[c] for c in self.channels]
        self.hours = [spec.hours is not None for spec in specs]
        """Per channel, whether it has hours (a synchronous one then counts closed calls)."""
        self.keeps = [spec.asynchronous for spec in specs]
        self.facing = np.array(
            [not internal_channel(scenario, c) for c in self.channels], dtype=bool
        )
        """Per channel, whether customers write to it: the ``all.`` metrics are theirs."""
        self.kpi = [
            None if spec.kpi_hours is None else open_spans(spec.kpi_hours, cal) for spec in specs
        ]
        # per channel: wait of the answered, their handle time, wait of those who left
        self.sums = np.zeros((3, n_ch))
        # per channel and interval: offered, answered, abandoned, within, wait of the answered
        self.per_interval = np.zeros((5, n_ch, n_int))
        self.busy_c = np.zeros((n_ch, n_int))
        self.queue_c = np.zeros((n_ch, n_int))
        self.busy_g = np.zeros((n_g, n_int))
        # per day: contacts of each reason, abandoned, redials
        self.daily = np.zeros((len(self.reasons) + 2, self.n_days), dtype=np.int64)
        self.promo = np.zeros(3, dtype=np.int64)  # promotion's, after-sale, both
        # per channel: bot sessions, settled by the bot (first contacts after the warm-up)
        self.bots = np.zeros((2, n_ch), dtype=np.int64)
        self.has_bot = any(spec.bot is not None for spec in specs)
        self.bot_cost = np.array([s.bot.cost_yuan_per_session if s.bot else 0.0 for s in specs])
        self.presale = scenario.presale
        self.inquiry = inquiry_reason(scenario)
        # inquiries after the warm-up: all, of orders, kept, answered by the bot (contained)
        self.asked = np.zeros(4, dtype=np.int64)
        # per day of the inquiry's arrival: the same four; per day: bot sessions, settled
        self.asked_d = np.zeros((4, self.n_days), dtype=np.int64)
        self.bots_d = np.zeros((2, self.n_days), dtype=np.int64)
        # orders placed after the warm-up that were lost: per interval, per day (and of
        # those, in the promotion's window); in the window
        self.lost_i = np.zeros(n_int)
        self.lost_d = np.zeros(self.n_days)
        self.lost_wd = np.zeros(self.n_days)
        self.lost_in_window = 0
        self.with_inquiry = 0  # orders placed after the warm-up whose buyer asked first
        self.win = (
            (
                seconds(scenario, scenario.promotion.start),
                seconds(scenario, scenario.promotion.end),
            )
            if scenario.promotion is not None
            else (math.inf, math.inf)
        )
        self.journey: dict[str, float] | None = None
        self.has_kind = False
        self.customer: dict[str, float] = {}
        rules = scenario.platform
        self.platform = rules
        if rules is not None:
            self.kpi_channel = self.channels.index(rules.channel)
            self.kpi_open = open_spans(scenario.channels[rules.channel].hours, cal)
            self.kpi_spans = [open_spans(k.hours, cal) for k in rules.kpis.values()]
            # per platform KPI and day of the buyer's message: sessions counted, and of
            # them those answered in time (a rate) or the capped seconds to answer (a mean)
            self.kpi_d = np.zeros((2, len(rules.kpis), self.n_days))
            # the same per interval of the buyer's message
            self.kpi_i = np.zeros((2, len(rules.kpis), self.starts.size))

    # ---- contacts

    def add(self, result: CenterResult, contacts: Contacts | None = None) -> None:
        """Count the contacts of ``result`` (whole issues) and its ghosts.

        ``contacts``: the contacts the result is about, if it does not carry them.
        """
        if result.contacts is not None:
            contacts = result.contacts  # first contacts and their follow-ups
        assert contacts is not None
        warmup, horizon = self.warmup, self.horizon
        n_int = self.starts.size
        arrival = contacts.arrival_seconds
        counted = arrival >= warmup
        bin_of = np.clip(
            (arrival // self.width).astype(np.int64) - self.first_interval, 0, n_int - 1
        )
        wait = result.leave_queue_seconds - arrival
        answered = result.outcome == ANSWERED
        abandoned = result.outcome == ABANDONED
        still_open = result.outcome == OPEN
        closed = result.outcome == CLOSED
        if contacts.bot is not None:
            # settled by the bot: never offered to the human queue (counted as bot sessions)
            closed = closed | (result.outcome == CONTAINED)
        left = result.left if result.left is not None else np.zeros(arrival.size, dtype=bool)
        end_queue = np.where(
            np.isnan(result.leave_queue_seconds), horizon, result.leave_queue_seconds
        )
        capacity = np.asarray(result.group_capacity, dtype=np.float64)
        busy_share = np.where(answered, result.units / capacity[np.maximum(result.group, 0)], 0.0)
        service_end = np.where(answered, result.answer_seconds + contacts.handle_seconds, 0.0)
        service_start = np.where(answered, result.answer_seconds, 0.0)
        ghosts = result.ghosts if result.ghosts is not None else np.zeros((0, 5))
        lo, hi = (int(bin_of.min()), int(bin_of.max()) + 1) if bin_of.size else (0, 0)
        for gi in range(self.busy_g.shape[0]):
            m = answered & (result.group == gi)
            self._overlap(self.busy_g[gi], service_start[m], service_end[m], busy_share[m])
            self._overlap(self.busy_g[gi], *_ghost_spans(ghosts, ghosts[:, 0] == gi))
        for ci, name in enumerate(self.channels):
            threshold = self.scenario.channels[name].service_level_seconds
            of_c = contacts.channel == ci
            shut = of_c & counted & (result.outcome == CLOSED)
            mine = of_c & counted & ~closed  # offered: a closed call never reached a queue
            ans, ab, op = mine & answered, mine & abandoned, mine & still_open
            within = ans & (wait <= threshold)
            kpi_spans = self.kpi[ci]
            if kpi_spans is not None:
                in_kpi = mine & is_open(kpi_spans, arrival)
                kpi_pair = (in_kpi, within & in_kpi)
            else:
                kpi_pair = (np.zeros_like(mine), np.zeros_like(mine))
            for k, m in enumerate((mine, ans, ab, op, within, shut, ans & left, *kpi_pair)):
                self.counts[k, ci] += int(m.sum())
            self.sums[:, ci] += (
                wait[ans].sum(),
                contacts.handle_seconds[ans].sum(),
                wait[ans | ab].sum(),
            )
            # only the intervals this batch reaches: a day's contacts need not touch a year's
            for k, m in enumerate((mine, ans, ab, within)):
                self.per_interval[k, ci, lo:hi] += np.bincount(bin_of[m] - lo, minlength=hi - lo)
            self.per_interval[4, ci, lo:hi] += np.bincount(
                bin_of[ans] - lo, weights=wait[ans], minlength=hi - lo
            )
            served = of_c & answered
            self._overlap(
                self.busy_c[ci], service_start[served], service_end[served], busy_share[served]
            )
            self._overlap(self.busy_c[ci], *_ghost_spans(ghosts, ghosts[:, 1] == ci))
            self._overlap(
                self.queue_c[ci], arrival[of_c], end_queue[of_c], np.ones(int(of_c.sum()))
            )
        self._add_days(contacts, result, counted)
        if self.platform is not None:
            self._add_platform(contacts, result)
        self._add_journey(contacts, result)
        self._add_customers(contacts, result)
        if contacts.bot is not None:
            self._add_bot_and_presale(contacts, result, counted)

    def _add_platform(self, contacts: Contacts, result: CenterResult) -> None:
        """The platform KPIs' sessions of the platform's channel (see ``PlatformKpi``).

        A session counts on the day, and within the KPI's hours, of the buyer's message
        (before any bot); its response runs from that message (``start: asked``) or from
        the hand-over to a human (``handover``) to the first answer that counts. Times are
        taken to the whole second, as a platform's log records them: ``contacts.csv``'s
        times give every KPI exactly.
        """
        assert self.platform is not None
        of_c = contacts.channel == self.kpi_channel
        if not of_c.any():
            return
        # on whole seconds, as a platform's log (and contacts.csv) records its times
        arrival = np.round(contacts.arrival_seconds[of_c])
        n = arrival.size
        bot = contacts.bot[of_c] if contacts.bot is not None else np.zeros(n, np.int8)
        asked = np.round(contacts.asked_seconds[of_c])
        answer = np.round(result.answer_seconds[of_c])
        answered = result.outcome[of_c] == ANSWERED
        settled = bot == SETTLED
        by_bot = settled | (bot == HANDED_OVER)
        counted = (asked >= self.warmup) & (asked < self.horizon)
        offline = ~is_open(self.kpi_open, asked)
        day = np.clip((asked // 86400.0).astype(np.int64) - self.first_day, 0, self.n_days - 1)
        n_int = self.starts.size
        bin_of = np.clip((asked // self.width).astype(np.int64) - self.first_interval, 0, n_int - 1)
        for k, kpi in enumerate(self.platform.kpis.values()):
            m = counted & is_open(self.kpi_spans[k], asked)
            if kpi.offline == "exclude":
                m &= ~offline
            if kpi.replies == "human":
                m &= ~settled  # a session the bot settled alone is not the shop's to answer
                first_by_bot = np.zeros(n, dtype=bool)
            else:
                first_by_bot = by_bot  # the bot's answer counts, at once
            start = arrival if kpi.start == "handover" else asked
            response = np.where(first_by_bot, 0.0, np.where(answered, answer - start, math.inf))
            if kpi.measure == "answered_within":
                assert kpi.within_seconds is not None
                value = (response <= kpi.within_seconds).astype(np.float64)
            else:
                assert kpi.cap_seconds is not None
                value = np.minimum(response, kpi.cap_seconds)
            self.kpi_d[0, k] += np.bincount(day[m], minlength=self.n_days)
            self.kpi_d[1, k] += np.bincount(day[m], weights=value[m], minlength=self.n_days)
            self.kpi_i[0, k] += np.bincount(bin_of[m], minlength=n_int)
            self.kpi_i[1, k] += np.bincount(bin_of[m], weights=value[m], minlength=n_int)

    def _add_bot_and_presale(
        self, contacts: Contacts, result: CenterResult, counted: NDArray[np.bool_]
    ) -> None:
        """Bot sessions by channel; inquiries and the orders they kept or lost."""
        assert contacts.bot is not None
        first = result.kind == FIRST if result.kind is not None else np.ones(len(contacts), bool)
        mine = first & counted
        bot = contacts.bot
        n_ch = len(self.channels)
        self.bots[0] += np.bincount(contacts.channel[mine & (bot != NO_BOT)], minlength=n_ch)
        self.bots[1] += np.bincount(contacts.channel[mine & (bot == SETTLED)], minlength=n_ch)
        day = np.clip(
            (contacts.arrival_seconds // 86400.0).astype(np.int64) - self.first_day,
            0,
            self.n_days - 1,
        )
        self.bots_d[0] += self._per_day(day[mine & (bot != NO_BOT)])
        self.bots_d[1] += self._per_day(day[mine & (bot == SETTLED)])
        if self.presale is None:
            return
        asks = first & (contacts.reason == self.inquiry)
        j, kept = orders_of_inquiries(self.presale, self.inquiry, result)
        assert contacts.placed_seconds is not None
        counted_j = counted[j]
        self.asked += (
            int((asks & counted).sum()),
            int(counted_j.sum()),
            int((kept & counted_j).sum()),
            int((asks & counted & (bot == SETTLED)).sum()),
        )
        self.asked_d[0] += self._per_day(day[asks & counted])
        self.asked_d[1] += self._per_day(day[j[counted_j]])
        self.asked_d[2] += self._per_day(day[j[kept & counted_j]])
        self.asked_d[3] += self._per_day(day[asks & counted & (bot == SETTLED)])
        placed = contacts.placed_seconds[j]
        measured = (placed >= self.warmup) & (placed < self.horizon)
        self.with_inquiry += int(measured.sum())
        lost_t = placed[measured & ~kept]
        if lost_t.size:
            n_int = self.starts.size
            bins = np.clip(
                (lost_t // self.width).astype(np.int64) - self.first_interval, 0, n_int - 1
            )
            self.lost_i += np.bincount(bins, minlength=n_int)
            days = (lost_t // 86400.0).astype(np.int64) - self.first_day
            self.lost_d += np.bincount(days, minlength=self.n_days)[: self.n_days]
            in_window = (lost_t >= self.win[0]) & (lost_t < self.win[1])
            self.lost_wd += np.bincount(days[in_window], minlength=self.n_days)[: self.n_days]
            self.lost_in_window += int(in_window.sum())

    def _per_day(self, day: NDArray[np.int64]) -> NDArray[np.int64]:
        """How many of ``day`` (days from the first reported one) fall on each day."""
        return np.bincount(day, minlength=self.n_days)[: self.n_days]

    def _overlap(
        self,
        out: NDArray[np.float64],
        starts: NDArray[np.float64],
        ends: NDArray[np.float64],
        weights: NDArray[np.float64],
    ) -> None:
        """``out += overlap(starts, ends, weights, edges)``, over the bins the spans reach.

        The same numbers as over every bin (no span starts before the first bin taken or
        ends after the last), except that the rounding residue of overlap's running sum
        (≈ 1e-16 of a weight) is not carried on past the last span.
        """
        if starts.size == 0:
            return
        edges = self.edges
        lo = max(int(np.searchsorted(edges, starts.min(), side="right")) - 1, 0)
        hi = min(max(int(np.searchsorted(edges, ends.max(), side="left")), lo + 1), edges.size - 1)
        out[lo:hi] += overlap(starts, ends, weights, edges[lo : hi + 1])

    def _add_days(
        self, contacts: Contacts, result: CenterResult, counted: NDArray[np.bool_]
    ) -> None:
        """Contacts by reason and day of arrival, abandoned and redials per day."""
        day = (contacts.arrival_seconds[counted] // 86400.0).astype(np.int64) - self.first_day
        n_r, n_days = len(self.reasons), self.n_days
        reason = contacts.reason[counted].astype(np.int64)
        self.daily[:n_r] += np.bincount(reason * n_days + day, minlength=n_r * n_days).reshape(
            n_r, n_days
        )
        self.daily[n_r] += np.bincount(day[result.outcome[counted] == ABANDONED], minlength=n_days)
        if result.kind is not None:
            self.has_kind = True
            self.daily[n_r + 1] += np.bincount(
                day[result.kind[counted] == REDIAL], minlength=n_days
            )
        if self.scenario.promotion is not None:
            promo = contacts.promo[counted]
            after = contacts.after_sale[counted]
            self.promo += (int(promo.sum()), int(after.sum()), int((promo & after).sum()))

    def _add_journey(self, contacts: Contacts, result: CenterResult) -> None:
        """Issue tallies: issues whose first contact came after the warm-up."""
        if result.issue is None or result.kind is None or result.resolved is None:
            return
        j = self.journey
        if j is None:
            keys = ["issues", "contacts", "resolved", "first_answered", "first_resolved"]
            keys += ["repeat_contacts", "redials", "escalations"]
            if result.platform is not None:
                keys.append("platform_interventions")
            if result.refunded is not None:
                keys += ["refunds", "refunds_yuan"]
            j = self.journey = dict.fromkeys(keys, 0)
        issue = result.issue
        n_issues = int(issue.max()) + 1 if issue.size else 0
        first = result.kind == FIRST
        counted_issue = np.zeros(n_issues, dtype=bool)
        counted_issue[issue[first]] = contacts.arrival_seconds[first] >= self.warmup
        mine = counted_issue[issue]
        resolved_by = result.resolved == 1
        resolved_issue = np.zeros(n_issues, dtype=bool)
        resolved_issue[issue[resolved_by]] = True
        first_answered = first & mine & (result.outcome == ANSWERED)
        kind = result.kind
        j["issues"] += int(counted_issue.sum())
        j["contacts"] += int(mine.sum())
        j["resolved"] += int(resolved_issue[counted_issue].sum())
        j["first_answered"] += int(first_answered.sum())
        j["first_resolved"] += int(resolved_by[first_answered].sum())
        j["repeat_contacts"] += int((mine & (kind == REPEAT)).sum())
        j["redials"] += int((mine & (kind == REDIAL)).sum())
        j["escalations"] += int((mine & (kind == ESCALATION)).sum())
        if result.platform is not None:
            j["platform_interventions"] += int((mine & result.platform).sum())
        if result.refunded is not None:
            refunded = mine & result.refunded
            amounts = np.array([r.refund_yuan for r in self.reasons] or [0.0])
            j["refunds"] += int(refunded.sum())
            j["refunds_yuan"] += float(amounts[contacts.reason[refunded]].sum())

    def _add_customers(self, contacts: Contacts, result: CenterResult) -> None:
        """The customer view per issue (docs/model.md#satisfaction), summed over issues.

        The outcomes stage decides each issue's outcomes (:func:`sim.outcomes.decide`); CSAT
        is summed as the probability of being satisfied (its expectation, less noise).
        """
        table = issue_table(self.scenario, contacts, result)
        if table is None or len(table) == 0:
            return
        out = decide(self.scenario, self.reasons, table)
        p_sat, bad, revised, churned = out.p_satisfied, out.bad_review, out.revised, out.churned
        c = self.customer

        def add(key: str, value: float) -> None:
            c[key] = c.get(key, 0) + value

        for name, ri in self.costed:
            # what the mechanic's costed issues cost (第二件X元: for the break-even miss rate)
            of_r = table.reason == ri
            add(f"{name}.issues", int(of_r.sum()))
            add(f"{name}.refunded", float(table.refunded[of_r].sum()))
            add(f"{name}.labour_yuan", float(table.labour_yuan[of_r].sum()))
            add(f"{name}.bad_reviews", int(bad[of_r].sum() - revised[of_r].sum()))
            add(f"{name}.churned", int(churned[of_r].sum()))
        add("issues", int(p_sat.size))
        add("p_sat", float(p_sat.sum()))
        band = np.minimum((p_sat * CSAT_BANDS).astype(np.int64), CSAT_BANDS - 1)
        for k, count in enumerate(np.bincount(band, minlength=CSAT_BANDS).tolist()):
            add(f"band.{k}", count)
        for driver, (touched, without) in out.drivers.items():
            add(f"touched.{driver}", int(touched.sum()))
            add(f"without.{driver}", float(without.sum()))
        add("total_wait", float(table.total_wait.sum()))
        add("transfers", float(table.transfers.sum()))
        add("switched", float(table.switched.sum()))
        add("refunded", float(table.refunded.sum()))
        add("effort", float(out.effort.sum()))
        add("bad", int(bad.sum() - revised.sum()))
        add("revised", int(revised.sum()))
        add("churned", int(churned.sum()))

    # ---- the end

    def finish(
        self,
        agents: CenterResult,
        orders: OrderTally | None = None,
        promotion_active: bool = False,
    ) -> ReplicationMetrics:
        """The replication's metrics, once every contact was added.

        Args:
            agents: The result that carries the schedules and the overtime (the last one
                handed out).
            orders: The arm's orders, for the order-driven metrics.
            promotion_active: The arm runs the scenario's promotion.
        """
        scenario = self.scenario
        warmup, horizon, edges = self.warmup, self.horizon, self.edges
        # staffed agent-time per group and interval: the schedule's step function plus
        # overtime; breaks are paid but not available for contacts (occupancy's denominator)
        staffed_g = []
        ot = agents.overtime
        brk = agents.breaks if agents.breaks is not None else np.zeros((0, 4))
        break_g = []
        for gi, lv in enumerate(agents.scheduled):
            t_end = np.concatenate([lv.times[1:], [horizon]])
            s = overlap(lv.times, t_end, lv.agents, edges)
            mine = ot[ot[:, 0] == gi]
            s = s + overlap(mine[:, 1], mine[:, 2], np.ones(len(mine)), edges)
            staffed_g.append(s)
            mine = brk[brk[:, 1] == gi]
            break_g.append(overlap(mine[:, 2], mine[:, 3], np.ones(len(mine)), edges))
        staffed_all = np.sum(staffed_g, axis=0)
        break_all = np.sum(break_g, axis=0)
        # agent-time available for contacts: staffed minus breaks (staffed without breaks)
        ready_g = [s - b for s, b in zip(staffed_g, break_g, strict=True)]
        window = edges[-1] - edges[0]
        span = np.diff(edges)
        overall: dict[str, float] = {}
        intervals: dict[str, NDArray[np.float64]] = {}
        serving = [
            [gi for gi, g in enumerate(scenario.staffing.groups) if name in g.channels]
            for name in self.channels
        ]
        for ci, name in enumerate(self.channels):
            offered, answered, abandoned, still_open, within = self.counts[:5, ci].tolist()
            closed, left, kpi_offered, kpi_within = self.counts[5:, ci].tolist()
            key = f"{name}."
            overall[key + "offered"] = offered
            overall[key + "answered"] = answered
            overall[key + "abandoned"] = abandoned
            overall[key + "open"] = still_open
            if self.hours[ci] and not self.keeps[ci]:
                overall[key + "closed"] = closed
            if self.keeps[ci]:
                overall[key + "left_before_answer"] = left
            if offered:
                overall[key + "abandon_rate"] = abandoned / offered
                overall[key + "service_level"] = within / offered
                if self.keeps[ci]:
                    overall[key + "left_rate"] = left / offered
            if kpi_offered:
                overall[key + "kpi_service_level"] = kpi_within / kpi_offered
            if answered:
                overall[key + "asa_seconds"] = float(self.sums[0, ci] / answered)
                overall[key + "aht_seconds"] = float(self.sums[1, ci] / answered)
                if self.keeps[ci]:
                    overall[key + "first_response_seconds"] = float(self.sums[0, ci] / answered)
            if answered + abandoned:
                overall[key + "mean_wait_seconds"] = float(
                    self.sums[2, ci] / (answered + abandoned)
                )
            busy_c, queue_c = self.busy_c[ci], self.queue_c[ci]
            staffed_c = np.sum([staffed_g[gi] for gi in serving[ci]], axis=0)
            ready_c = np.sum([ready_g[gi] for gi in serving[ci]], axis=0)
            if ready_c.sum() > 0:
                overall[key + "occupancy"] = float(busy_c.sum() / ready_c.sum())
            overall[key + "queue_length"] = float(queue_c.sum() / window)
            overall[key + "agents"] = float(staffed_c.sum() / window)
            offered_i, answered_i, abandoned_i, within_i, wait_i = self.per_interval[:, ci]
            intervals[key + "offered"] = offered_i
            intervals[key + "answered"] = answered_i
            intervals[key + "abandoned"] = abandoned_i
            intervals[key + "service_level"] = _ratio(within_i, offered_i)
            intervals[key + "asa_seconds"] = _ratio(wait_i, answered_i)
            intervals[key + "queue_length"] = queue_c / span
            intervals[key + "agents"] = staffed_c / span
            intervals[key + "occupancy"] = _ratio(busy_c, ready_c)

        contacts = int(self.counts[0].sum())  # every channel's, internal queues' too
        f = self.facing
        facing_groups = sorted({gi for ci in np.flatnonzero(f) for gi in serving[ci]})
        busy_all = np.sum([self.busy_g[gi] for gi in facing_groups], axis=0)
        ready_all = np.sum([ready_g[gi] for gi in facing_groups], axis=0)
        staffed_facing = np.sum([staffed_g[gi] for gi in facing_groups], axis=0)
        counts, sums = self.counts[:, f], self.sums[:, f]
        offered, answered, abandoned, still_open, within = counts[:5].sum(axis=1).tolist()
        overall["all.offered"] = offered
        overall["all.answered"] = answered
        overall["all.abandoned"] = abandoned
        overall["all.open"] = still_open
        if any(h and not k and fc for h, k, fc in zip(self.hours, self.keeps, f, strict=True)):
            overall["all.closed"] = int(counts[5].sum())
        if offered:
            overall["all.abandon_rate"] = abandoned / offered
            overall["all.service_level"] = within / offered
        if answered:
            overall["all.asa_seconds"] = float(sums[0].sum() / answered)
            overall["all.aht_seconds"] = float(sums[1].sum() / answered)
        if answered + abandoned:
            overall["all.mean_wait_seconds"] = float(sums[2].sum() / (answered + abandoned))
        if np.sum(ready_all) > 0:
            overall["all.occupancy"] = float(np.sum(busy_all) / np.sum(ready_all))
        overall["all.queue_length"] = float(self.queue_c[f].sum() / window)
        overall["all.agents"] = float(np.sum(staffed_facing) / window)
        overall["contacts"] = contacts
        overall["agent_hours"] = float(staffed_all.sum() / 3600.0)
        ot_in = np.clip(ot[:, 2], warmup, horizon) - np.clip(ot[:, 1], warmup, horizon)
        overall["overtime_hours"] = float(ot_in.sum() / 3600.0)
        if scenario.staffing.shrinkage > 0:
            overall["break_hours"] = float(break_all.sum() / 3600.0)
        self._finish_journey(overall)
        if orders is not None and self_service(scenario):
            # one-click claims: refunds paid with no contact, counted with service's refunds
            overall["self_service_refunds"] = orders.self_served
            overall["self_service_refunds_yuan"] = orders.self_served_yuan
            overall["refunds"] = overall.get("refunds", 0) + orders.self_served
            overall["refunds_yuan"] = overall.get("refunds_yuan", 0.0) + orders.self_served_yuan
        would_be = orders
        if orders is not None and self.presale is not None:
            orders = OrderTally(
                orders.placed - int(self.lost_d.sum()),
                orders.placed_in_window - self.lost_in_window,
                orders.per_day - self.lost_d,
                orders.self_served,
                orders.self_served_yuan,
            )
        daily = self._finish_days(overall, orders)
        if self.platform is not None:
            for k, name in enumerate(self.platform.kpis):
                sessions, total = self.kpi_d[:, k]
                daily[f"platform.{name}"] = _ratio(total, sessions)
                daily[f"platform.{name}.sessions"] = sessions.copy()
                # per interval the two sums, not their ratio: an hour's value is the ratio
                # of its intervals' sums
                intervals[f"platform.{name}.sessions"] = self.kpi_i[0, k].copy()
                intervals[f"platform.{name}.total"] = self.kpi_i[1, k].copy()
                overall[f"platform.{name}.sessions"] = int(sessions.sum())
                if sessions.sum() > 0:
                    overall[f"platform.{name}"] = float(total.sum() / sessions.sum())
        if self.has_bot or self.presale is not None:
            self._finish_bot_and_presale(overall, intervals, daily, would_be, promotion_active)
        groups = scenario.staffing.groups
        busy_hours = {g.name: float(self.busy_g[gi].sum() / 3600.0) for gi, g in enumerate(groups)}
        overtime_hours = {
            g.name: float(ot_in[ot[:, 0] == gi].sum() / 3600.0) for gi, g in enumerate(groups)
        }
        for gi, g in enumerate(groups):
            key = f"group.{g.name}."
            overall[key + "agent_hours"] = float(staffed_g[gi].sum() / 3600.0)
            overall[key + "overtime_hours"] = overtime_hours[g.name]
            if scenario.staffing.shrinkage > 0:
                overall[key + "break_hours"] = float(break_g[gi].sum() / 3600.0)
            occ = _ratio(self.busy_g[gi], ready_g[gi])
            if ready_g[gi].sum() > 0:
                overall[key + "occupancy"] = float(self.busy_g[gi].sum() / ready_g[gi].sum())
                staffed_intervals = np.isfinite(occ)
                overall[key + "intervals_over_90"] = float((occ[staffed_intervals] > 0.9).mean())
            intervals[key + "occupancy"] = occ
        self._finish_customers(overall)
        if self.has_bot:
            overall["bot_cost_yuan"] = fmath.dot(self.bot_cost, self.bots[0].astype(np.float64))
        extra = extra_shift_payroll(scenario, warmup, horizon)
        _money_metrics(
            scenario, orders, promotion_active, overall, busy_hours, overtime_hours, extra
        )
        return ReplicationMetrics(overall, self.starts, intervals, daily)

    def _finish_bot_and_presale(
        self,
        overall: dict[str, float],
        intervals: dict[str, NDArray[np.float64]],
        daily: dict[str, NDArray[np.float64]],
        would_be: OrderTally | None,
        promotion_active: bool,
    ) -> None:
        if self.has_bot:
            sessions, contained = self.bots
            overall["bot_sessions"] = int(sessions.sum())
            overall["bot_contained"] = int(contained.sum())
            if sessions.sum():
                overall["bot_handover_rate"] = 1.0 - int(contained.sum()) / int(sessions.sum())
            for ci, name in enumerate(self.channels):
                if self.scenario.channels[name].bot is not None:
                    overall[f"{name}.bot_sessions"] = int(sessions[ci])
                    overall[f"{name}.bot_contained"] = int(contained[ci])
            per_day = self.bots_d.astype(np.float64)
            daily["bot_sessions"], daily["bot_contained"] = per_day
            daily["bot_handover_rate"] = 1.0 - _ratio(per_day[1], per_day[0])
        p = self.presale
        if p is None or would_be is None or self.scenario.orders is None:
            return
        asked, of_orders, kept, by_bot = self.asked.tolist()
        lost = int(self.lost_d.sum())
        overall["presale_inquiries"] = asked
        overall["presale_browsers"] = asked - of_orders
        overall["presale_bot_contained"] = by_bot
        overall["orders_from_inquiries"] = kept
        overall["orders_with_inquiry"] = self.with_inquiry
        if asked:
            overall["inquiry_conversion"] = kept / asked
        overall["lost_orders"] = lost
        gmv, goods = orders_yuan(
            self.scenario,
            would_be.placed,
            would_be.placed_in_window,
            promotion_active=promotion_active,
        )
        gmv_k, goods_k = orders_yuan(
            self.scenario,
            would_be.placed - lost,
            would_be.placed_in_window - self.lost_in_window,
            promotion_active=promotion_active,
        )
        overall["lost_gmv_yuan"] = gmv - gmv_k
        overall["lost_margin_yuan"] = (gmv - goods) - (gmv_k - goods_k)
        intervals["lost_orders"] = self.lost_i.copy()
        asked_d, _, kept_d, by_bot_d = self.asked_d.astype(np.float64)
        daily["presale_inquiries"] = asked_d
        daily["presale_bot_contained"] = by_bot_d
        daily["orders_from_inquiries"] = kept_d
        daily["inquiry_conversion"] = _ratio(kept_d, asked_d)
        daily["lost_orders"] = self.lost_d.copy()
        # orders_yuan is linear in the orders in and out of the window: a day's lost margin
        # is that of its own lost orders
        margins = [
            orders_yuan(self.scenario, n, n_in, promotion_active=promotion_active)
            for n, n_in in zip(self.lost_d.tolist(), self.lost_wd.tolist(), strict=True)
        ]
        daily["lost_margin_yuan"] = np.array([g - c for g, c in margins])

    def _finish_journey(self, overall: dict[str, float]) -> None:
        j = self.journey
        if j is None:
            return
        n = int(j["issues"])
        overall["issues"] = n
        if n == 0:
            return
        overall["contacts_per_issue"] = j["contacts"] / n
        overall["resolution_rate"] = j["resolved"] / n
        if j["first_answered"]:
            overall["fcr"] = j["first_resolved"] / j["first_answered"]
        for key in ("repeat_contacts", "redials", "escalations", "platform_interventions"):
            if key in j:
                overall[key] = int(j[key])
        if "refunds" in j:
            overall["refunds"] = int(j["refunds"])
            overall["refunds_yuan"] = float(j["refunds_yuan"])

    def _finish_days(
        self, overall: dict[str, float], orders: OrderTally | None
    ) -> dict[str, NDArray[np.float64]]:
        """Order-driven tallies into ``overall``; per-day counts returned (by day of arrival)."""
        n_r = len(self.reasons)
        by_reason = self.daily[:n_r].astype(np.float64)
        daily: dict[str, NDArray[np.float64]] = {"contacts": by_reason.sum(axis=0)}
        for ri, r in enumerate(self.reasons):
            overall[f"contacts.{r.name}"] = int(self.daily[ri].sum())
            daily[f"contacts.{r.name}"] = by_reason[ri]
        if self.scenario.promotion is not None:
            promo, after, both = self.promo.tolist()
            overall["promo_contacts"] = promo
            if after:
                overall["promo_share_after_sale"] = both / after
        if orders is not None and self.scenario.orders is not None:
            overall["orders"] = orders.placed
            if orders.placed:
                overall["contacts_per_100_orders"] = (
                    100.0 * int(self.counts[0].sum()) / orders.placed
                )
            daily["orders"] = orders.per_day.astype(np.float64)
        daily["abandoned"] = self.daily[n_r].astype(np.float64)
        if self.has_kind:
            daily["redials"] = self.daily[n_r + 1].astype(np.float64)
        return daily

    def _finish_customers(self, overall: dict[str, float]) -> None:
        c = self.customer
        n = int(c.get("issues", 0))
        if n == 0:
            return
        for name, _ in self.costed:
            if c.get(f"{name}.issues", 0) > 0:
                e = self.scenario.economics
                n_r = int(c[f"{name}.issues"])
                labour, bad = c[f"{name}.labour_yuan"], c[f"{name}.bad_reviews"]
                cost = issues_cost_yuan(e, labour, bad, c[f"{name}.churned"])
                overall[f"reason.{name}.issues"] = n_r
                overall[f"reason.{name}.refund_share"] = float(c[f"{name}.refunded"] / n_r)
                overall[f"reason.{name}.cost_per_issue_yuan"] = float(cost / n_r)
        csat = c["p_sat"] / n
        overall["csat_mean"] = float(csat)
        for k in range(CSAT_BANDS):
            overall[f"csat_dist.{csat_band(k)}"] = c[f"band.{k}"] / n
        for driver in CSAT_DRIVERS:
            overall[f"issues_with.{driver}"] = c[f"touched.{driver}"] / n
            overall[f"csat_lost.{driver}"] = float(c[f"without.{driver}"] / n - csat)
        overall["issue_wait_seconds"] = float(c["total_wait"] / n)
        overall["transfers_per_issue"] = float(c["transfers"] / n)
        overall["channel_switch_share"] = float(c["switched"] / n)
        overall["refund_share"] = float(c["refunded"] / n)
        overall["effort_mean"] = float(c["effort"] / n)
        overall["bad_reviews"] = int(c["bad"])
        overall["bad_reviews_revised"] = int(c["revised"])
        overall["churned_customers"] = int(c["churned"])


def _ghost_spans(
    ghosts: NDArray[np.float64], mask: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Start, end and busy share of the ghost spans selected by ``mask``."""
    g = ghosts[mask]
    return g[:, 2], g[:, 3], g[:, 4]


def _costed_reasons(scenario: Scenario, reasons: list[Reason]) -> list[tuple[str, int]]:
    """``(field, reason index)`` of the promotion's reasons its mechanic costs per issue."""
    promotion = scenario.promotion
    if promotion is None:
        return []
    by_field = dict(promotion_reasons(promotion, tuple(scenario.channels)))
    names = [r.name for r in reasons]
    return [
        (field, names.index(by_field[field].name))
        for field in mechanic_of(promotion).costed_reasons
        if field in by_field and by_field[field].name in names
    ]


CSAT_BANDS = 10
"""Bands of P(satisfied) for ``csat_dist.<band>``: ten bands of ten percentage points."""


def csat_band(k: int) -> str:
    """The name of band ``k`` of :data:`CSAT_BANDS`: ``00-10`` … ``90-100`` (percent)."""
    step = 100 // CSAT_BANDS
    return f"{k * step:02d}-{(k + 1) * step}"


def extra_shift_payroll(
    scenario: Scenario, lo: float, hi: float
) -> tuple[dict[str, float], dict[str, float]]:
    """What the groups' booked extra shifts work and cost inside ``[lo, hi)`` (s from time 0).

    Returns:
        Group → on-duty agent-hours of its extra shifts inside the window, h, and group →
        their cost, ¥: each date's shift at its source's rate
        (:func:`sim.economics.source_rates`; the outsourcer's per contact turned into an hourly
        rate with the channels' mean handle times), times the share of its on-duty time
        inside the window. Groups without extra shifts are left out.
    """
    hours: dict[str, float] = {}
    cost: dict[str, float] = {}
    rates = source_rates(scenario) if any(g.extra_shifts for g in scenario.staffing.groups) else {}
    for g in scenario.staffing.groups:
        h: list[float] = []
        c: list[float] = []
        for x in extra_spans(g, scenario.calendar):
            inside = math.fsum(max(min(b, hi) - max(a, lo), 0.0) for a, b in x.spans)
            h.append(x.agents * inside / 3600.0)
            share = inside / x.paid_seconds if x.paid_seconds > 0 else 0.0
            c.append(x.agents * rates[(g.name, x.source)].cost_yuan(x.paid_seconds / 60.0) * share)
        if h:
            hours[g.name] = math.fsum(h)
            cost[g.name] = math.fsum(c)
    return hours, cost


def _money_metrics(
    scenario: Scenario,
    orders: OrderTally | None,
    promotion_active: bool,
    overall: dict[str, float],
    busy_hours: dict[str, float],
    overtime_hours: dict[str, float],
    extra: tuple[dict[str, float], dict[str, float]] | None = None,
) -> None:
    """The operations view in yuan (see :func:`sim.economics.money_view`).

    ``labour_cost_yuan`` values the agent time the contacts used (busy agent-hours, ghosts
    included, at each group's loaded hourly cost, plus the overtime premium): what the
    contacts cost whatever the rota. ``payroll_yuan`` is what the rota itself costs: its
    booked extra shifts (``extra``: :func:`extra_shift_payroll`) at their sources' rates,
    the rest of the staffed hours at the group's.
    """
    e = scenario.economics
    labour = contact_labour_cost_yuan(e, busy_hours, overtime_hours)
    # unchecked: a run never fails on the rounding of two hour counts
    staffed = {g: overall[f"group.{g}.agent_hours"] for g in busy_hours}
    if extra is not None and extra[0]:
        hours, cost = extra
        own = {g: h - hours.get(g, 0.0) for g, h in staffed.items()}
        payroll = labour_cost_yuan(e, own, overtime_hours, check=False)
        overall["payroll_yuan"] = math.fsum([payroll, *cost.values()])
    else:
        overall["payroll_yuan"] = labour_cost_yuan(e, staffed, overtime_hours, check=False)
    gmv = goods = 0.0
    if orders is not None and scenario.orders is not None:
        gmv, goods = orders_yuan(
            scenario, orders.placed, orders.placed_in_window, promotion_active=promotion_active
        )
        if scenario.promotion is not None:  # without one there is no window to count in
            overall["orders_in_window"] = orders.placed_in_window
    bot = overall.get("bot_cost_yuan", 0.0)
    view = money_view(
        gmv_yuan=gmv,
        goods_cost_yuan=goods,
        labour_yuan=labour,
        refunds_yuan=overall.get("refunds_yuan", 0.0),
        bad_reviews=overall.get("bad_reviews", 0),
        churned=overall.get("churned_customers", 0),
        platform_interventions=overall.get("platform_interventions", 0),
        e=e,
        bot_yuan=bot,
    )
    overall.update(view)
    overall.update(hard_and_modelled(view, payroll_yuan=overall["payroll_yuan"], bot_yuan=bot))
    if orders is None or scenario.orders is None:
        # no orders modelled: no sales to measure (net is then the contacts' costs alone)
        del overall["gmv_yuan"], overall["gross_profit_yuan"]
