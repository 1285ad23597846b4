"""Whether an inquiring buyer orders: the keep curve and the moment the buyer decides.

An order whose buyer asked first (a pre-sale inquiry, :class:`sim.config.Presale`) is placed
with a probability that depends on the answer the inquiry got *before the order's time*:

- the bot settled the question (``CONTAINED``) by then: ``bot_keep``;
- an agent first answered it after ``w`` seconds (counted from when the buyer wrote, the
  bot's session included), the buyer still there: ``keep(w) = floor + (1 − floor)·e^(−λw)``
  with λ = ``keep_per_minute`` / 60; an outsourced agent's answer gives only its source's
  ``conversion_factor`` c of the lift above the floor: ``floor + (1 − floor)·c·e^(−λw)``;
- anything else (no answer by the order's time, abandoned, closed, the buyer had left):
  ``floor``.

The buyer decides at the first of those moments, and the order is kept iff the inquiry's own
uniform (``keep_draw``) is below that probability: under common random numbers an arm whose
inquiries are answered sooner keeps every order a slower arm keeps. Redials of an unanswered
inquiry do not count (the buyer's decision moment has passed or the buyer gave up).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sim import fmath
from sim.center.result import ABANDONED, ANSWERED, CLOSED, CONTAINED, FIRST, CenterResult
from sim.config import Presale
from sim.demand import HANDED_OVER


def keep_probability(
    p: Presale,
    wait_seconds: NDArray[np.float64],
    conversion: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """``keep(w)``: share of inquiring buyers who order after a first answer at ``w`` s.

    ``conversion``: the answering agents' share of the lift above the floor (None: 1).
    """
    decay = fmath.exp(-(p.keep_per_minute / 60.0) * np.asarray(wait_seconds, dtype=np.float64))
    if conversion is not None:
        decay = decay * conversion
    return np.asarray(p.keep_floor + (1.0 - p.keep_floor) * decay, dtype=np.float64)


def kept(
    p: Presale,
    *,
    outcome: NDArray[np.int8],
    arrival: NDArray[np.float64],
    answer: NDArray[np.float64],
    left: NDArray[np.bool_] | None,
    bot: NDArray[np.int8] | None,
    bot_seconds: NDArray[np.float64] | None,
    placed: NDArray[np.float64],
    draw: NDArray[np.float64],
    conversion: NDArray[np.float64] | None = None,
) -> NDArray[np.bool_]:
    """Per inquiry (the first contact of an order's inquiry issue), whether the order is kept.

    The final decision, from the inquiry's final fate; arrays of one length. ``conversion``:
    the answering agent's share of the answer's lift above ``keep_floor`` (None: all 1).
    """
    bot_s = np.zeros(arrival.shape) if bot_seconds is None else bot_seconds
    asked = arrival - np.where(bot == HANDED_OVER, bot_s, 0.0) if bot is not None else arrival
    gone = np.zeros(arrival.shape, dtype=bool) if left is None else left
    answered = (outcome == ANSWERED) & ~gone & (answer <= placed)
    prob = np.full(arrival.shape, p.keep_floor)
    if answered.any():
        prob[answered] = keep_probability(
            p,
            answer[answered] - asked[answered],
            None if conversion is None else conversion[answered],
        )
    if bot is not None:
        settled = (outcome == CONTAINED) & (arrival + bot_s <= placed)
        prob[settled] = p.bot_keep
    return np.asarray(draw < prob, dtype=np.bool_)


def settled(
    p: Presale, arrival: float, bot_seconds: float, placed: float, draw: float
) -> tuple[float, bool]:
    """An inquiry the bot settled: when its buyer decides, and whether the order is kept.

    Known when the inquiry is drawn: at the session's end if it ends by the order's time
    (``bot_keep``), else at the order's time (``keep_floor``).
    """
    end = arrival + bot_seconds
    if end <= placed:
        return end, draw < p.bot_keep
    return placed, draw < p.keep_floor


def settled_many(
    p: Presale,
    arrival: NDArray[np.float64],
    bot_seconds: NDArray[np.float64],
    placed: NDArray[np.float64],
    draw: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """:func:`settled` for many inquiries at once (the same doubles and comparisons)."""
    end = arrival + bot_seconds
    by_then = end <= placed
    moment = np.where(by_then, end, placed)
    keeps = np.where(by_then, draw < p.bot_keep, draw < p.keep_floor)
    return moment, keeps


def kept_by(
    p: Presale,
    now: float,
    *,
    outcome: int,
    arrival: float,
    answer: float,
    left: bool,
    bot: int,
    bot_seconds: float,
    placed: float,
    draw: float,
    conversion: float = 1.0,
) -> bool | None:
    """The decision as known at ``now`` (None: the buyer has not decided yet).

    Whenever it is not None it equals :func:`kept` on the inquiry's final fate: the engine
    drops an order's later contacts on it while the run goes on.
    """
    if outcome == CONTAINED:
        moment, keeps = settled(p, arrival, bot_seconds, placed, draw)
        return None if now < moment else keeps
    if outcome == ANSWERED:
        if answer <= placed and not left:
            asked = arrival - (bot_seconds if bot == HANDED_OVER else 0.0)
            decay = math.exp(-(p.keep_per_minute / 60.0) * (answer - asked))
            return draw < p.keep_floor + (1.0 - p.keep_floor) * (decay * conversion)
        return draw < p.keep_floor
    if outcome in (ABANDONED, CLOSED):
        return draw < p.keep_floor
    # still waiting (or not yet arrived): decided once the order's time has passed
    return draw < p.keep_floor if now > placed else None


def orders_of_inquiries(
    p: Presale, inquiry: int, result: CenterResult
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """The inquiries of orders in ``result``, and whether each one's order was kept.

    Inquiries of orders are first contacts of reason ``inquiry`` with an order (indices);
    their fates decide as :func:`kept` does.
    """
    c = result.contacts
    assert c is not None and c.placed_seconds is not None and c.keep_draw is not None
    first = result.kind == FIRST if result.kind is not None else True
    of_order = c.order >= 0 if c.order is not None else False
    j = np.flatnonzero(first & of_order & (c.reason == inquiry))
    return j, kept(
        p,
        outcome=result.outcome[j],
        arrival=c.arrival_seconds[j],
        answer=result.answer_seconds[j],
        left=None if result.left is None else result.left[j],
        bot=None if c.bot is None else c.bot[j],
        bot_seconds=None if c.bot_seconds is None else c.bot_seconds[j],
        placed=c.placed_seconds[j],
        draw=c.keep_draw[j],
        conversion=None
        if result.agent_conversion is None
        else result.agent_conversion[result.agent[j]],
    )
