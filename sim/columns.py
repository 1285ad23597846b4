"""The headers of the tables the simulation's modules write: names only, nothing imported.

:mod:`sim.outputs` declares every folder's tables at import, and the command line and the
reports import :mod:`sim.outputs` without the simulation (numpy aside): the headers live
here rather than beside their writers (:mod:`sim.metrics`, :mod:`sim.eventlog`,
:mod:`sim.roster`), whose imports load simpy and scipy.
"""

from __future__ import annotations

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

ORDER_COLUMNS = ("order_id", "created", "items", "amount_yuan", "promotion", "shipped", "delivered")
"""``orders.csv`` columns, in order."""

CONTACT_COLUMNS = (
    "contact_id",
    "order_id",
    "customer_id",
    "channel",
    "reason",
    "arrived",
    "answered",
    "ended",
    "resolved",
    "csat",
    "refunded",
    "asked",
    "bot",
)
"""``contacts.csv`` columns, in order (``refunded``, ``asked`` and ``bot`` are optional on
input). ``asked``: when the buyer wrote (before a bot; ``arrived`` is then the hand-over to
a human); ``bot``: ``settled`` (the bot settled it alone), ``handed_over`` or empty."""

ROSTER_COLUMNS = ("date", "group", "source", "start", "end", "agents", "cost_yuan")
"""``roster.csv`` columns: one row per booked extra shift (¥ with 2 decimals)."""
