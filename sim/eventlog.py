"""The event log: a replication's orders and contacts as a shop's own exports would show them.

``promosim run --event-log`` writes ``orders.csv`` and ``contacts.csv`` in exactly the formats
``promosim calibrate`` reads (docs/calibration.md#exports), so a fit can
be checked on the model's own output. This module builds their text piece by piece, as the
orders are drawn a day at a time and the contact centre hands out the issues that are over
(a long run's log is never held whole); it reads and writes no file (:mod:`sim.outputs`
does).

What the model does not decide per order or per customer is drawn here, from streams of
their own (``eventlog.orders``, ``eventlog.csat``), so asking for the log shifts no draw of
the simulation:

- items and amount of an order (:func:`sim.economics.order_amounts`, by the promotion's
  mechanic): a realisation of the expectations of :func:`sim.economics.order_margin` (e.g.
  第二件X元: a two-unit buyer gets the bundle, 2 items at P + X, or misses it and pays 2P);
- a CSAT score per customer issue: the issue is satisfied with the probability of the
  satisfaction model (:mod:`sim.outcomes`, docs/model.md#satisfaction); the score (5
  satisfied, 1 not, since the model decides only that) is on the issue's last contact.
  Every issue whose contacts all ended before the horizon is surveyed.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.center import ABANDONED, ANSWERED, CLOSED, FIRST, CenterResult
from sim.columns import CONTACT_COLUMNS, ORDER_COLUMNS
from sim.config import Scenario
from sim.demand import Contacts, OrderRows
from sim.economics import order_amounts
from sim.outcomes import issue_table, satisfied
from sim.rng import Streams

BOT_LABELS = ("", "settled", "handed_over")
"""``contacts.csv``'s ``bot`` cell per bot stage (``NO_BOT``, ``SETTLED``, ``HANDED_OVER``)."""

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""How times are written (local shop time, to the second); ISO 8601 is read too."""

SATISFIED_SCORE, DISSATISFIED_SCORE = 5, 1
"""CSAT scores the log writes; calibrate counts a score ≥ 4 as satisfied by default."""


@dataclass(frozen=True)
class EventLog:
    """The two CSV files, as text made piece by piece each time they are iterated.

    Attributes:
        orders: ``orders.csv``: one row per order of the arm (lead-in orders included), by
            time placed.
        contacts: ``contacts.csv``: one row per contact, first contacts and follow-ups, by
            arrival.
    """

    orders: Callable[[], Iterator[str]]
    contacts: Callable[[], Iterator[str]]

    @property
    def orders_csv(self) -> str:
        """``orders.csv`` whole (tests; a command writes the pieces)."""
        return "".join(self.orders())

    @property
    def contacts_csv(self) -> str:
        """``contacts.csv`` whole (tests; a command writes the pieces)."""
        return "".join(self.contacts())


def _times(scenario: Scenario, seconds: NDArray[np.float64]) -> list[str]:
    """Seconds from the horizon's start as shop-time strings (empty for ``nan``)."""
    start = np.datetime64(scenario.calendar.start.replace(tzinfo=None), "s")
    ok = np.isfinite(seconds)
    whole = np.where(ok, np.round(np.where(ok, seconds, 0.0)), 0.0).astype(np.int64)
    text = np.datetime_as_string(start + whole.astype("timedelta64[s]"), unit="s")
    return [
        s.replace("T", " ") if k else "" for s, k in zip(text.tolist(), ok.tolist(), strict=True)
    ]


def _csv(rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def order_lines(
    scenario: Scenario,
    days: Iterable[tuple[float, OrderRows]],
    active: bool,
    streams: Streams,
) -> Iterator[str]:
    """``orders.csv`` piece by piece, from the orders a day at a time.

    Args:
        scenario: The scenario.
        days: ``(end, rows)`` per order day (:func:`sim.demand.orders_by_day`).
        active: The arm runs the scenario's promotion.
        streams: The replication's streams (``eventlog.orders`` is drawn from, a uniform
            per order in the order drawn).
    """
    yield _csv([ORDER_COLUMNS])
    rng = streams("eventlog.orders")
    held: list[NDArray[Any]] = []  # orders placed at or after the day's end, for later
    for end, rows in days:
        u = rng.random(rows.id.size)
        items, amount = order_amounts(scenario, rows.in_window, active, u)
        flag = (rows.in_window & active).astype(np.int64)
        day = [rows.id, rows.created_seconds, items, amount, flag]
        day += [rows.ship_seconds, rows.delivery_seconds]
        cols = [np.concatenate([h, d]) for h, d in zip(held, day, strict=True)] if held else day
        by_time = np.lexsort((cols[0], cols[1]))
        # every later order is placed at or after ``end``: what comes before is final
        done = int(np.searchsorted(cols[1][by_time], end, side="left"))
        held = [c[by_time[done:]] for c in cols]
        for k in range(0, done, ORDER_BLOCK):
            yield _order_text(scenario, [c[by_time[k : min(k + ORDER_BLOCK, done)]] for c in cols])
    if held and held[0].size:
        yield _order_text(scenario, held)


def _order_text(scenario: Scenario, cols: list[NDArray[Any]]) -> str:
    ids, created, items, amount, flag, ship, delivered = cols
    return _csv(
        zip(
            ids.tolist(),
            _times(scenario, created),
            items.tolist(),
            [f"{a:.2f}" for a in amount.tolist()],
            flag.tolist(),
            _times(scenario, ship),
            _times(scenario, delivered),
            strict=True,
        )
    )


ORDER_BLOCK = 50_000
"""Orders formatted at a time: a Python string per field of a day's orders at once would
take several times the memory of their text."""


def _csat(
    scenario: Scenario, result: CenterResult, ended: NDArray[np.float64], u: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Per contact, the CSAT score on its issue's last contact (0: none).

    Whether an issue is satisfied is the outcomes stage's (:func:`sim.outcomes.satisfied`),
    decided with the issue's uniform ``u`` (one per issue, in the order of their first
    contacts).
    """
    c = result.contacts
    assert c is not None and result.issue is not None
    table = issue_table(scenario, c, result, since=-math.inf)
    assert table is not None, "the event log needs the centre's issues"
    issue, n = result.issue, result.issue.size
    n_issues = int(issue.max()) + 1 if n else 0
    count = np.bincount(issue, minlength=n_issues)
    # an issue is surveyed once every contact of it has ended before the horizon
    done = np.isfinite(ended) & (ended <= result.horizon_seconds)
    closed = np.bincount(issue, weights=done.astype(np.float64), minlength=n_issues) == count
    last = np.full(n_issues, -1, dtype=np.int64)
    order = np.lexsort((np.arange(n), c.arrival_seconds))
    last[issue[order]] = order  # the latest arrival of each issue wins
    first = np.flatnonzero(np.arange(n) == issue)  # an issue is named by its first contact
    score = np.zeros(n, dtype=np.int64)
    ok = closed[first]
    yes = satisfied(scenario, table, u)
    score[last[first[ok]]] = np.where(yes[ok], SATISFIED_SCORE, DISSATISFIED_SCORE)
    return score


class ContactLines:
    """``contacts.csv`` piece by piece, from the contact centre's results as it hands them out.

    Call :meth:`inputs` with the first contacts as they are fed to the engine (their CSAT
    uniforms are drawn then, one per issue in the order of arrival, from ``eventlog.csat``),
    :meth:`add` with each result handed out, and :meth:`close` at the end. Rows wait until
    every contact arriving before them has been handed out, then go out by arrival (ties:
    first contacts first, then by issue and attempt), numbered from 1.
    """

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        self.scenario = scenario
        self.rng = streams("eventlog.csat")
        self.u: dict[int, float] = {}
        """Each issue's CSAT uniform, by its key, until the issue is written."""
        self.waiting: list[tuple[float, int, int, int, tuple[object, ...]]] = []
        self.next_id = 1

    def header(self) -> str:
        """The header line."""
        return _csv([CONTACT_COLUMNS])

    def inputs(self, c: Contacts) -> Contacts:
        """Draw the CSAT uniforms of first contacts fed to the engine; return them."""
        assert c.issue_key is not None, "the event log needs the contacts' issue keys"
        self.u.update(zip(c.issue_key.tolist(), self.rng.random(len(c)).tolist(), strict=True))
        return c

    def add(self, result: CenterResult) -> str:
        """Rows of a result (whole issues); the text of those that may go out now."""
        c = result.contacts
        assert c is not None and result.issue is not None and c.issue_key is not None
        n = len(c)
        if n:
            answered = result.outcome == ANSWERED
            # an abandoned contact ends when it leaves the queue, a closed call on arrival
            gone = (result.outcome == ABANDONED) | (result.outcome == CLOSED)
            ended = np.where(
                answered,
                result.answer_seconds + c.handle_seconds,
                np.where(gone, result.leave_queue_seconds, np.nan),
            )
            first = np.flatnonzero(np.arange(n) == result.issue)
            u = np.array([self.u.pop(k) for k in c.issue_key[first].tolist()])
            score = _csat(self.scenario, result, ended, u)
            order = c.order if c.order is not None else np.full(n, -1, dtype=np.int64)
            key = c.issue_key
            # one customer per order; a direct arrival's customer is its issue
            customer = np.where(order >= 0, order, key)
            times = _times(
                self.scenario,
                np.concatenate(
                    [
                        c.arrival_seconds,
                        np.where(answered, result.answer_seconds, np.nan),
                        ended,
                        c.asked_seconds,
                    ]
                ),
            )
            bot = c.bot if c.bot is not None else np.zeros(n, np.int8)
            resolved = result.resolved if result.resolved is not None else np.full(n, -1, np.int8)
            refunded = result.refunded if result.refunded is not None else np.zeros(n, bool)
            decided = answered & (resolved >= 0)
            attempt = result.attempt if result.attempt is not None else np.zeros(n, np.int16)
            kind = result.kind if result.kind is not None else np.zeros(n, np.int8)
            for i, (arrival, follow, k, a, o, cu, ch, r, s, d, rs, rf, b) in enumerate(
                zip(
                    c.arrival_seconds.tolist(),
                    (kind != FIRST).tolist(),
                    key.tolist(),
                    attempt.tolist(),
                    order.tolist(),
                    customer.tolist(),
                    c.channel.tolist(),
                    c.reason.tolist(),
                    score.tolist(),
                    decided.tolist(),
                    resolved.tolist(),
                    refunded.tolist(),
                    bot.tolist(),
                    strict=True,
                )
            ):
                row = (
                    o if o >= 0 else "",
                    cu,
                    c.channels[ch],
                    c.reasons[r],
                    times[i],
                    times[n + i],
                    times[2 * n + i],
                    rs if d else "",
                    s if s else "",
                    int(rf) if d else "",
                    times[3 * n + i],
                    BOT_LABELS[b],
                )
                heapq.heappush(self.waiting, (arrival, int(follow), k, a, row))
        return self._out(result.complete_before)

    def close(self) -> str:
        """The rows still waiting."""
        return self._out(math.inf)

    def _out(self, before: float) -> str:
        rows = []
        waiting = self.waiting
        while waiting and waiting[0][0] < before:
            rows.append((self.next_id, *heapq.heappop(waiting)[4]))
            self.next_id += 1
        return _csv(rows)
