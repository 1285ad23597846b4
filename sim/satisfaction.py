"""Satisfaction, effort, bad reviews and churn of a customer issue (docs/model.md#satisfaction).

Pure functions of an issue's outcome, vectorised over issues. An *issue* is everything one
customer contacts about one problem: its contacts, waits, transfers, whether it was resolved
and refunded. The coefficients live in :class:`sim.config.Satisfaction`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sim import fmath
from sim.config import Retention, Satisfaction

OUTCOMES = ("did_not_complain", "complained_unresolved", "resolved", "resolved_quickly")
"""Retention outcomes of the TARP table, in code order 0..3."""


def satisfaction_probability(
    c: Satisfaction,
    *,
    resolved: ArrayLike,
    refund: ArrayLike,
    first_wait_seconds: ArrayLike,
    tolerance_seconds: ArrayLike,
    contacts: ArrayLike,
    escalated: ArrayLike,
    abandoned_any: ArrayLike,
    type_shift: ArrayLike = 0.0,
) -> NDArray[np.float64]:
    """P(satisfied) per issue: the logistic model of the class docstring.

    Args:
        c: The coefficients.
        resolved: Issue resolved (0/1).
        refund: A refund was granted (0/1).
        first_wait_seconds: Wait of the issue's first contact, seconds.
        tolerance_seconds: Wait that costs nothing (the first contact's channel's).
        contacts: Contacts the issue took (≥ 1).
        escalated: Escalated to a second tier or the platform (0/1).
        abandoned_any: Any of its contacts abandoned (0/1).
        type_shift: The customer type's ``satisfaction_shift`` (log-odds).
    """
    over = np.maximum(0.0, np.asarray(first_wait_seconds, float) - tolerance_seconds) / 60.0
    logit = (
        c.b0
        + c.b_resolved * np.asarray(resolved, float)
        + c.b_refund * np.asarray(refund, float)
        - c.b_wait_per_minute * over
        - c.b_repeat * (np.asarray(contacts, float) - 1.0)
        - c.b_escalation * np.asarray(escalated, float)
        - c.b_abandon * np.asarray(abandoned_any, float)
        + np.asarray(type_shift, float)
    )
    return np.asarray(1.0 / (1.0 + fmath.exp(-logit)), dtype=np.float64)


def effort_score(
    *,
    contacts: ArrayLike,
    transfers: ArrayLike,
    total_wait_seconds: ArrayLike,
    tolerance_seconds: ArrayLike,
    channel_switch: ArrayLike,
) -> NDArray[np.float64]:
    """Customer effort score, 1 (effortless) to 5 (Dixon et al.: repeats, transfers, switches)."""
    effort = (
        0.5 * (np.asarray(contacts, float) - 1.0)
        + 0.7 * np.asarray(transfers, float)
        + 0.5 * np.maximum(0.0, np.asarray(total_wait_seconds, float) - tolerance_seconds) / 300.0
        + 1.0 * np.asarray(channel_switch, float)
    )
    return np.asarray(1.0 + np.minimum(4.0, effort), dtype=np.float64)


def bad_review_probability(
    c: Satisfaction,
    *,
    satisfied: ArrayLike,
    type_factor: ArrayLike = 1.0,
    reason_factor: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """P(差评) per order: ``p_base · exp(k·(1 − satisfied)) · type · reason``, capped.

    ``satisfied`` is the issue's outcome (0/1), or a probability for an expectation.
    """
    p = (
        c.p_bad_review_base
        * fmath.exp(c.k_dissatisfied * (1.0 - np.asarray(satisfied, float)))
        * np.asarray(type_factor, float)
        * np.asarray(reason_factor, float)
    )
    return np.asarray(np.minimum(p, c.bad_review_cap), dtype=np.float64)


def retention_probability(
    table: Retention, outcome: ArrayLike, loss_yuan: ArrayLike
) -> NDArray[np.float64]:
    """P(the customer buys again) by TARP outcome (index into OUTCOMES) and loss size.

    Linear in log(loss) through the table's two columns, clipped to [0, 1].
    """
    rows = np.array([getattr(table, name) for name in OUTCOMES], dtype=np.float64)
    o = np.asarray(outcome, dtype=np.int64)
    lo, hi = fmath.log(table.loss_yuan[0]), fmath.log(table.loss_yuan[1])
    x = (fmath.log(np.maximum(np.asarray(loss_yuan, float), 1e-9)) - lo) / (hi - lo)
    r = rows[o, 0] + (rows[o, 1] - rows[o, 0]) * x
    return np.asarray(np.clip(r, 0.0, 1.0), dtype=np.float64)


def churn_probability(
    table: Retention, outcome: ArrayLike, loss_yuan: ArrayLike
) -> NDArray[np.float64]:
    """P(the customer is lost) = 1 − retention."""
    return 1.0 - retention_probability(table, outcome, loss_yuan)
