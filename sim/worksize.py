"""How much work a scenario is: orders and contacts per replication, before running it.

A valid scenario can still be too large for this machine (10 million contacts an hour for ten
years): the simulation would run for days or run out of memory. :func:`estimate` sizes it
from the scenario's parameters alone (no draws, no I/O), and :func:`assess` says whether a
command should go ahead, warn, or refuse unless the user confirms.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.config import FlashSale, PriceProtection, ProfileArrivals, Scenario, promotion_reasons
from sim.demand import mechanic_probability
from sim.localtime import LocalClock
from sim.mechanics.price_protection import terms as protection_terms

WARN_CONTACTS = 10_000_000
"""Contacts × replications (× arms or points) above which a simulating command warns.

The engine simulates about 30,000 contacts a second on one core (benchmarks/RESULTS.md):
10 million are ~6 minutes of one core. The estimate is upper-ish (the bundled
threshold_discount.yaml is estimated at ~2.5× the contacts it offers), so the bundled
scenarios, at up to ~3 million, stay well below it."""
REFUSE_CONTACTS = 200_000_000
"""Contacts × replications above which a simulating command refuses unless ``--yes``:
~2 hours of one core (~1 hour on this 2-core machine), and beyond it the estimate's error
(an upper-ish one) no longer matters."""
REFUSE_PER_REPLICATION = 50_000_000
"""Contacts in one replication above which a command refuses unless ``--yes``: a
replication's memory grows ~1.9 MB per 100,000 contacts on top of ~130 MB, so 50 million
are ~1 GB in each worker process."""

Verdict = Literal["ok", "warn", "refuse"]


@dataclass(frozen=True)
class WorkSize:
    """Expected orders and contacts of one replication of a scenario (upper-ish).

    Attributes:
        orders: Orders placed, lead-in included: ``per_day`` × mean weekday factor ×
            (days + lead-in days + the start date's hours before ``calendar.start``), plus
            the promotion window's extra orders (uplift, peak day and flash-sale spike, at
            the highest weekday factor).
        contacts: Contacts offered: first contacts (orders × the summed ``rate_per_order``
            of the contact reasons, window orders × each promotion reason's probability,
            and the direct arrival streams' rate × hours), times 1 + the journey's repeat,
            redial and escalation probabilities (at most ``max_contacts_per_issue``).
    """

    orders: float
    contacts: float


def estimate(scenario: Scenario) -> WorkSize:
    """Orders and contacts of one replication of ``scenario``, without simulating it."""
    cal = scenario.calendar
    hours = cal.days * 24.0
    direct = 0.0
    for a in scenario.arrivals:
        if isinstance(a, ProfileArrivals):
            rates = a.contacts_per_hour
            if len(rates) == cal.n_intervals and len(rates) not in (24, cal.intervals_per_day):
                direct += math.fsum(rates) * cal.interval_minutes / 60.0
            else:
                direct += math.fsum(rates) / len(rates) * hours
        else:
            direct += a.contacts_per_hour * hours
    orders = 0.0
    from_orders = 0.0
    o = scenario.orders
    if o is not None:
        weekday = math.fsum(o.weekday_factors) / 7.0
        # order days are local dates: the start date is drawn from its midnight
        before = LocalClock.of(cal.start).offset / 86400.0
        orders = o.per_day * weekday * (cal.days + o.lead_in_days + before)
        from_orders = orders * math.fsum(r.rate_per_order for r in scenario.contact_reasons)
        p = scenario.promotion
        if p is not None:
            top = o.per_day * max(o.weekday_factors)
            lo = cal.start - dt.timedelta(days=o.lead_in_days + before)
            hi = cal.start + dt.timedelta(days=cal.days)
            overlap = max(0.0, (min(p.end, hi) - max(p.start, lo)).total_seconds() / 86400.0)
            # the peak day adds (factor − 1) days of orders, a flash sale's spike
            # ∫ (spike − 1)·exp(−t/τ) dt = (spike − 1)·τ; both at most as the window is long
            extra = 0.0
            if p.peak_day is not None:
                extra += (p.peak_day_factor - 1) * min(1.0, overlap)
            if isinstance(p, FlashSale):
                extra += (p.spike_factor - 1) * min(p.spike_decay_minutes / 1440.0, overlap)
            # moments and live streams add (factor − 1) × their length, in days; a stream's
            # tail half as much again
            for m in p.moments:
                extra += max(0.0, m.orders_factor - 1) * m.hours / 24.0
            for s in p.live_streams:
                extra += max(0.0, s.orders_factor - 1) * (s.hours + s.tail_hours / 2) / 24.0
            # a window shorter than a day may sit in the day's busiest hours
            profile = o.intraday_profile
            busiest = max(profile) * len(profile) / math.fsum(profile) if overlap < 1 else 1.0
            window = top * p.order_uplift * (overlap * busiest + extra)
            orders += max(0.0, window - top * overlap)
            for field, _ in promotion_reasons(p, tuple(scenario.channels)):
                if isinstance(p, PriceProtection) and field == "claim":
                    # every order of the longest window protected: an upper bound
                    k = protection_terms(scenario, p)
                    days = max(k.window_days, k.max_days or 0.0, k.after_promotion_days or 0.0)
                    prob = p.claim_rate * (1.0 - k.self_service_share)
                    span = top * min(days, cal.days)
                else:
                    t = np.array([(p.start - cal.start).total_seconds()])
                    prob = float(mechanic_probability(scenario, p, field, t)[0])
                    span = window
                from_orders += prob * span
    j = scenario.journey
    follow = 1.0 + j.repeat_probability + j.redial_probability + j.escalation_probability
    contacts = (direct + from_orders) * min(follow, float(j.max_contacts_per_issue))
    return WorkSize(orders=orders, contacts=contacts)


def assess(runs: Sequence[tuple[Scenario, int]]) -> tuple[Verdict, str]:
    """Whether a command may simulate ``(scenario, replications)`` pairs, and one line why.

    A scenario with a promotion runs two arms (with and without it) in each replication,
    so its replications count twice. ``refuse`` above :data:`REFUSE_CONTACTS` contacts in
    all or :data:`REFUSE_PER_REPLICATION` in one replication, ``warn`` above
    :data:`WARN_CONTACTS`, else ``ok``. The line states the estimate and the thresholds.
    """
    sizes = [(estimate(s), n * (2 if s.promotion is not None else 1)) for s, n in runs]
    total = math.fsum(size.contacts * n for size, n in sizes)
    largest = max((size for size, _ in sizes), key=lambda w: w.contacts, default=WorkSize(0, 0))
    replications = sum(n for _, n in sizes)
    if total > REFUSE_CONTACTS or largest.contacts > REFUSE_PER_REPLICATION:
        decision: Verdict = "refuse"
    elif total > WARN_CONTACTS:
        decision = "warn"
    else:
        decision = "ok"
    line = (
        f"about {_n(largest.orders)} orders and {_n(largest.contacts)} contacts per "
        f"replication, {_n(total)} contacts in {replications:,} replication(s) (arms "
        f"counted); warn above {_n(WARN_CONTACTS)}, refuse above {_n(REFUSE_CONTACTS)} in "
        f"all or {_n(REFUSE_PER_REPLICATION)} in one replication"
    )
    return decision, line


def _n(x: float) -> str:
    """``x`` for a reader: 1,234 · 5.2 million · 8.78e+11."""
    if x < 1e6:
        return f"{x:,.0f}"
    if x < 1e9:
        return f"{x / 1e6:,.1f} million"
    return f"{x:.3g}"
