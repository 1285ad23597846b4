"""Generated documentation pages: text built from the code, so the docs cannot drift from it.

``docs/metrics.md`` is :func:`metrics_page`, built from :data:`sim.metrics.GLOSSARY`;
``tests/test_docs.py`` fails when the committed file differs and says how to regenerate it.
Nothing here reads, writes or prints.
"""

from __future__ import annotations

from sim.metrics import CSAT_BANDS, CSAT_DRIVERS, GLOSSARY, INTERVAL_METRICS, csat_band

_UNIT_SUFFIXES = (("_seconds", "seconds"), ("_yuan", "yuan (¥)"), ("_hours", "hours"))

_INTRO = """\
# Metrics

<!-- Generated from sim/metrics.py (GLOSSARY) by sim/docs.py: do not edit by hand.
     Regenerate with: PROMOSIM_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py -->

Every metric promosim reports, with its unit and denominator. `summary.json` holds each
as `{"mean", "ci95": [lo, hi], "sd", "n"}` over replications, and repeats these
definitions in its `glossary`; `replications.csv` has one row per replication and metric.

**Keys.** Per-channel metrics are written `<channel>.<metric>` (`chat.asa_seconds`) and
for all channels together `all.<metric>`; per staffing group `group.<group>.<metric>`;
contacts by reason `contacts.<reason>`; `<band>` is one of {bands} (percent) and
`<driver>` one of {drivers}. Whole-run metrics have no prefix.

**Arms.** With a promotion, `summary.json` has three blocks: `metrics` (the scenario as
written), `baseline` (the same scenario without its promotion) and `effect` (per
replication promotion − baseline on common random numbers, then its mean and CI).
`promo_gross_profit_yuan`, `net_impact_yuan`, `service_cost_per_promo_order_yuan` and
`break_even_miss_rate` exist only in `effect`.

**Counting rules.** A contact counts in the interval and day in which it *arrived*, and
only if it arrived after the warm-up and before the horizon; an issue counts from its
first contact. Levels (queue length, agents, occupancy) are time averages over the part of
the horizon after the warm-up. **A metric without a denominator (no contact offered, none
answered, no agent staffed) is absent, never zero.**

**Per interval.** `intervals.csv` has, per arm, interval and channel, these columns
(mean and 95% CI): {interval_metrics}.

**Units.** Taken from the name (`_seconds`, `_hours`, `_yuan`); a ratio is a fraction
in [0, 1] unless its definition says otherwise; a count is a number of contacts, issues,
orders, reviews or customers over the horizon after the warm-up.

| metric | unit | definition and denominator |
| --- | --- | --- |
"""


def metric_unit(key: str, definition: str) -> str:
    """The unit of a glossary entry, from the naming rule of its key and its definition.

    Args:
        key: A :data:`sim.metrics.GLOSSARY` key.
        definition: Its definition.

    Returns:
        ``seconds``, ``hours`` or ``yuan (¥)`` from the key's suffix; ``per 100 orders``,
        ``per issue``, ``ratio``, ``probability``, ``score 1–5`` or a time-average level
        from the definition; otherwise ``count``.
    """
    for suffix, unit in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            return unit
    if "× 100" in definition:
        return "per 100 orders"
    if key.endswith("_per_issue"):
        return "per issue"
    if "÷" in definition or definition.startswith("share of") or key.endswith(("_rate", "_share")):
        return "ratio"
    if "probability" in definition and key.startswith("csat_"):
        return "probability"
    if "(1 effortless … 5)" in definition:
        return "score 1–5"
    if definition.startswith("time-average"):
        return "agents (time average)" if key == "agents" else "contacts (time average)"
    return "count"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def metrics_page() -> str:
    """The text of ``docs/metrics.md``: an introduction and one row per glossary entry."""
    rows = [
        f"| `{key}` | {metric_unit(key, text)} | {_cell(text)} |" for key, text in GLOSSARY.items()
    ]
    intro = (
        _INTRO.replace("{interval_metrics}", ", ".join(f"`{m}`" for m in INTERVAL_METRICS))
        .replace("{bands}", ", ".join(f"`{csat_band(k)}`" for k in range(CSAT_BANDS)))
        .replace("{drivers}", ", ".join(f"`{d}`" for d in CSAT_DRIVERS))
    )
    return intro + "\n".join(rows) + "\n"
