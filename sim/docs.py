"""Generated documentation pages: text built from the code, so the docs cannot drift from it.

``docs/metrics.md`` is :func:`metrics_page`, built from the metric catalog (:mod:`sim.catalog`);
``tests/test_docs.py`` fails when the committed file differs and says how to regenerate it.
Nothing here reads, writes or prints.
"""

from __future__ import annotations

from sim.catalog import METRICS, VIEW_LABELS
from sim.columns import INTERVAL_METRICS
from sim.metrics import CSAT_BANDS, CSAT_DRIVERS, csat_band

_INTRO = """\
# Metrics

<!-- Generated from sim/catalog.py by sim/docs.py: do not edit by hand.
     Regenerate with: PROMOSIM_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py -->

Every metric promosim reports, with its unit and denominator. `summary.json` holds each
as `{"mean", "ci95": [lo, hi], "sd", "n"}` over replications, and repeats these
definitions in its `glossary`; `replications.csv` has one row per replication and metric.

**Keys.** Per-channel metrics are written `<channel>.<metric>` (`chat.asa_seconds`) and
for the channels customers write to together `all.<metric>` (an internal queue —
`channels.<c>.internal`, by default the journey's escalation channel — is reported on its
own and left out of `all`, as it is of no customer's wait; `contacts` counts every
channel); per staffing group `group.<group>.<metric>`; contacts by reason
`contacts.<reason>`; `<band>` is one of {bands} (percent) and
`<driver>` one of {drivers}. Whole-run metrics have no prefix.

**Arms.** With a promotion, `summary.json` has three blocks: `metrics` (the scenario as
written), `baseline` (the same scenario without its promotion) and `effect` (per
replication promotion − baseline on common random numbers, then its mean and CI).
`promo_gross_profit_yuan`, `net_impact_yuan`, `hard_net_impact_yuan`,
`service_cost_per_promo_order_yuan` and `break_even_miss_rate` exist only in `effect`.

**Counting rules.** A contact counts in the interval and day in which it *arrived*, and
only if it arrived after the warm-up and before the horizon; an issue counts from its
first contact. Levels (queue length, agents, occupancy) are time averages over the part of
the horizon after the warm-up. **A metric without a denominator (no contact offered, none
answered, no agent staffed) is absent, never zero.**

**Per interval.** `intervals.csv` has, per arm, interval and channel, these columns
(mean and 95% CI): {interval_metrics}.

**Units.** A name ending in `_seconds`, `_hours` or `_yuan` says its unit; a ratio is a
fraction in [0, 1] unless its definition says otherwise; a count is a number of contacts,
issues, orders, reviews or customers over the horizon after the warm-up.

**Labels and views.** The console and the reports show each metric under its label
(English · Chinese) and group it in one of three views: operations (the shop's orders and
money), service (the contact centre) and customer (the customers' issues). ★ marks a
headline metric (the run report's cards).

| metric | label | view | unit | denominator | definition |
| --- | --- | --- | --- | --- | --- |
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def metrics_page() -> str:
    """The text of ``docs/metrics.md``: an introduction and one row per catalog metric."""
    rows = [
        f"| `{m.key}`{' ★' if m.headline else ''} | {_cell(m.en)} · {_cell(m.zh)} "
        f"| {VIEW_LABELS[m.view][0].lower()} | {m.unit} | {_cell(m.denominator) or '—'} "
        f"| {_cell(m.definition)} |"
        for m in METRICS
    ]
    intro = (
        _INTRO.replace("{interval_metrics}", ", ".join(f"`{m}`" for m in INTERVAL_METRICS))
        .replace("{bands}", ", ".join(f"`{csat_band(k)}`" for k in range(CSAT_BANDS)))
        .replace("{drivers}", ", ".join(f"`{d}`" for d in CSAT_DRIVERS))
    )
    return intro + "\n".join(rows) + "\n"
