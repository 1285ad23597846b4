"""The mechanic lab: one promotion's demand under each mechanic variant, ranked.

Which way of running the same deal serves the same sales goal with the least service
cost? Every variant keeps the scenario's window, order uplift and peak (the sales goal) and
changes only how the deal works — the cart applies the bundle, a checkout nudge, a make-up
link, clearer rules, a bot FAQ — or what the user lists (``--variant``). The variants run as
the arms of one comparison on common random numbers (:mod:`sim.compare`), so replication r
of every arm meets the same buyers, and each difference between two variants is paired.

The ranking orders the variants by the mean of :data:`RANK_METRIC` (the promotion arm's
net: gross profit less service, refunds, reviews and churn; the baseline is common to every
variant, so this orders them by net impact too). Each variant's gap to the next one down is
a paired difference per replication with its 95% CI: ``significant`` where the CI excludes
0 — only there does the ranking say one variant beats the next.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.compare import Comparison
from sim.config import Scenario
from sim.metrics import ReplicationMetrics
from sim.staffing import Target, erlang_short_agent_hours, parse_target
from sim.stats import describe

RANK_METRIC = "net_yuan"
"""What the ranking orders by, higher first."""

LOAD_METRICS = ("contacts", "lost_orders", "abandon_rate", "refunds_yuan", "service_cost_yuan")
"""The service load and sales lost shown beside the ranking (those a run has)."""

BREACH_DAYS = "kpi_breach_days"
"""Per replication: days × platform KPIs whose daily value misses the platform's bar."""

SHORT_HOURS = "short_agent_hours"
"""Per replication: agent-hours short of the lab's targets, by Erlang on its own load
(:func:`sim.staffing.erlang_short_agent_hours`)."""


def default_targets(scenario: Scenario) -> list[Target]:
    """80% service level on every customer-facing channel a group serves.

    80% within the channel's ``service_level_seconds`` (20 s on the phone [C], 180 s on the
    bundled chat: 三分钟响应率) — the common bar; ``--target`` replaces it.
    """
    served = {c for g in scenario.staffing.groups for c in g.channels}
    return [
        parse_target(f"{c}.service_level>=0.8")
        for c, spec in scenario.channels.items()
        if c in served and not spec.internal
    ]


@dataclass(frozen=True)
class Variant:
    """A way of running the deal: ``--set`` overrides on the scenario as written."""

    name: str
    """A slug, the arm's name."""
    title: str
    """What it changes, in a line."""
    sets: tuple[str, ...]


VARIANT = re.compile(r"^\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*:(.*)$")


def parse_variant(text: str) -> Variant:
    """``NAME: path=value; path=value`` (``--variant``) as a :class:`Variant`.

    Raises:
        ValueError: Not of that form.
    """
    m = VARIANT.match(text)
    if not m:
        raise ValueError(
            f"--variant {text[:60]!r}: expected NAME: path=value; path=value "
            "(NAME lower-case letters, digits and hyphens)"
        )
    sets = tuple(s.strip() for s in m[2].split(";") if s.strip())
    if not sets or any("=" not in s for s in sets):
        raise ValueError(f"--variant {m[1]}: give at least one path=value, separated by ;")
    return Variant(m[1], "; ".join(sets), sets)


def builtin_variants(scenario: Scenario) -> list[Variant]:
    """The variants of the scenario's own promotion that promosim knows how to make.

    ``as-written`` first (the reference arm). A second-item deal gets the cart's auto-apply,
    the checkout nudge, the make-up link and clear rules where the scenario does not already
    use them; a scenario whose platform channel (or any channel) has a bot gets a bot FAQ
    that settles the deal's rule questions and pre-sale inquiries (as the bundled botfaq
    scenario assumes [X]).
    """
    p = scenario.promotion
    if p is None:
        raise ValueError("the lab varies a promotion's mechanic; this scenario has none")
    out = [Variant("as-written", "the scenario as written", ())]
    if p.kind == "second_item_discount":
        if not p.auto_apply:
            out.append(
                Variant("auto-apply", "the cart applies the bundle", ("promotion.auto_apply=true",))
            )
        if not p.checkout_nudge and not p.auto_apply:
            out.append(
                Variant(
                    "checkout-nudge",
                    'an "add one more for ¥X" prompt at checkout',
                    ("promotion.checkout_nudge=true",),
                )
            )
        if not p.makeup_link:
            out.append(
                Variant(
                    "makeup-link",
                    "a make-up link buyers who missed the bundle can pay themselves",
                    ("promotion.makeup_link=true",),
                )
            )
        if p.bundle_clarity != "clear" and p.bundle_miss_rate is None and not p.auto_apply:
            out.append(
                Variant(
                    "clear-rules",
                    "the deal's page states the rule plainly",
                    ("promotion.bundle_clarity=clear",),
                )
            )
    bots = [name for name, ch in scenario.channels.items() if ch.bot is not None]
    if bots:
        channel = (
            scenario.platform.channel
            if scenario.platform is not None and scenario.platform.channel in bots
            else bots[0]
        )
        sets = [f"channels.{channel}.bot.containment.rule_question=0.9"]
        if scenario.presale is not None:
            sets.append(f"channels.{channel}.bot.containment.{scenario.presale.inquiry.name}=0.65")
        out.append(
            Variant(
                "bot-faq", "the deal's rules and pre-sale answers in the bot's FAQ", tuple(sets)
            )
        )
    return out


@dataclass(frozen=True)
class Ranked:
    """One variant's place: its figures, and its paired gap to the next variant down."""

    arm: str
    variant: Variant
    rank: int
    """1 for the best."""
    figures: dict[str, tuple[float, float, float]]
    """Metric → mean, 95% CI low and high over replications (nan bounds with one)."""
    vs_reference: dict[str, tuple[float, float, float, bool]]
    """Metric → paired difference to the reference arm: mean, CI, significant."""
    gap_to_next: tuple[float, float, float, bool] | None
    """The paired difference of :data:`RANK_METRIC` to the next variant down: mean, CI,
    significant (None for the last)."""


def breach_days(rep: ReplicationMetrics, scenario: Scenario) -> float:
    """Days × platform KPIs whose daily value misses the bar, in one replication."""
    rules = scenario.platform
    if rules is None:
        return math.nan
    n = 0
    for name, kpi in rules.kpis.items():
        t = kpi.threshold
        values = rep.daily.get(f"platform.{name}")
        if t is None or values is None:
            continue
        finite = values[np.isfinite(values)]
        n += int(np.sum(finite < t.value if t.op == ">=" else finite > t.value))
    return float(n)


def _figure(values: Sequence[float]) -> tuple[float, float, float]:
    x = [v for v in values if math.isfinite(v)]
    if not x:
        return math.nan, math.nan, math.nan
    d = describe(x)
    lo, hi = d.get("ci95", [math.nan, math.nan])
    return float(d["mean"]), float(lo), float(hi)


def _paired(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float, bool]:
    mean, lo, hi = _figure([x - y for x, y in zip(a, b, strict=True)])
    return mean, lo, hi, bool(math.isfinite(lo) and (lo > 0 or hi < 0))


def _values(c: Comparison, arm: str, metric: str, targets: Sequence[Target]) -> list[float]:
    reps = c.runs[arm]
    scenario = c.plan.scenarios[arm]
    if metric == BREACH_DAYS:
        return [breach_days(r, scenario) for r in reps]
    if metric == SHORT_HOURS:
        return [erlang_short_agent_hours(scenario, r, targets) for r in reps]
    return [float(r.overall.get(metric, math.nan)) for r in reps]


def rank(
    c: Comparison, variants: Sequence[Variant], targets: Sequence[Target] = ()
) -> list[Ranked]:
    """The variants (the comparison's arms, in the same order) ranked by :data:`RANK_METRIC`.

    With ``targets``, each variant's :data:`SHORT_HOURS` against them too.
    """
    by_arm = dict(zip(c.arms, variants, strict=True))
    reference = c.arms[0]
    metrics = [RANK_METRIC, *(m for m in LOAD_METRICS if m in c.stats)]
    if targets:
        metrics.append(SHORT_HOURS)
    if c.plan.scenarios[reference].platform is not None:
        metrics.append(BREACH_DAYS)
    values = {a: {m: _values(c, a, m, targets) for m in metrics} for a in c.arms}
    order = sorted(c.arms, key=lambda a: -_figure(values[a][RANK_METRIC])[0])
    out = []
    for i, arm in enumerate(order):
        nxt = order[i + 1] if i + 1 < len(order) else None
        out.append(
            Ranked(
                arm=arm,
                variant=by_arm[arm],
                rank=i + 1,
                figures={m: _figure(values[arm][m]) for m in metrics},
                vs_reference={
                    m: _paired(values[arm][m], values[reference][m])
                    for m in metrics
                    if arm != reference
                },
                gap_to_next=(
                    None
                    if nxt is None
                    else _paired(values[arm][RANK_METRIC], values[nxt][RANK_METRIC])
                ),
            )
        )
    return out
