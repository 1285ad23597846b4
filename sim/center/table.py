"""The engine's per-contact columns: Python lists while it runs, arrays when handed out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.uniforms import DECISIONS, FOLLOW_ROWS

AHEAD = 3
"""Follow-ups per issue whose uniforms are computed, for a whole chunk of input contacts at
once, when the chunk is fed (the column ``ahead``); later ones are computed one at a time
(the same numbers: :class:`sim.rng.IssueDraws`). A speed choice: in a promotion arm of
``configs/second_item_1yuan.yaml`` 95% of the follow-ups are among their issue's first
three, and fewer instructions are run with 3 than with 2 or 4."""


class Table:
    """Per-contact columns; inputs are fed in chunks, follow-ups appended as created.

    Plain Python lists while the engine runs: reading or writing an element of a list costs
    a fifth of a numpy element access, and the engine does little else. What follows from
    the run (the group and units of an answer, when a contact left the queue) is put together
    as numpy arrays when contacts are handed out (:func:`sim.center.result.build`). The columns that
    never change once a contact exists (:data:`FIXED`, and ``decide``) are also kept as numpy
    arrays, for the first ``n_fixed`` contacts (:meth:`seal` adds the follow-ups created
    since), so that handing out does not convert them back from lists.

    An issue is named by the index of its first contact; the per-issue columns
    (``contacts_of_issue``, ``issue_refunded``, ``key``, and the :data:`HEADS`, kept only as
    arrays) hold their value at that index (placeholders at other contacts': a follow-up
    never meets the bot and is no inquiry).
    """

    FIXED = (
        "arrival",
        "handle",
        "patience",
        "channel",
        "reason",
        "ctype",
        "issue",
        "kind",
        "attempt",
        "key",
    )
    """List columns that never change once a contact exists (``issue`` only renumbered;
    ``handle``, the drawn handle time, becomes the served one when an extra shift's agent
    with a handle-time factor answers the contact)."""
    HEADS = ("order", "delivery", "ahead")
    """Columns kept only as arrays: values at issue heads, placeholders elsewhere (``ahead``:
    the uniforms of the issue's first :data:`AHEAD` follow-ups, a row of ``FOLLOW_ROWS``
    each)."""
    MORE_HEADS = ("bot", "bot_seconds", "placed", "keep", "last")
    """Head columns of the bot stage and pre-sale inquiries, kept only when contacts have
    them (``more``)."""
    LISTS = (
        *FIXED,
        "deadline",
        "answer",
        "agent",
        "outcome",
        "resolved",
        "silent",
        "redial",
        "ending",
        "left_ending",
        "left",
        "contacts_of_issue",
        "issue_refunded",
    )
    """The per-contact list columns."""

    def __init__(self, more: bool = False, ahead: int = AHEAD) -> None:
        self.more = more
        """Contacts carry the bot and pre-sale columns (:data:`MORE_HEADS`)."""
        self.heads = (*self.HEADS, *(self.MORE_HEADS if more else ()))
        """The head columns this table keeps."""
        self.ahead = ahead
        """Follow-up rows computed ahead per issue (the ``ahead`` column's width; 0 where
        follow-ups are rare, which then take the same draws one at a time)."""
        self.shapes = {**SHAPES, "ahead": (ahead, FOLLOW_ROWS)}
        self.n = 0
        self.arrival: list[float] = []
        self.handle: list[float] = []
        self.patience: list[float] = []
        self.deadline: list[float] = []
        self.channel: list[int] = []
        self.reason: list[int] = []
        self.ctype: list[int] = []
        self.issue: list[int] = []
        self.kind: list[int] = []
        self.attempt: list[int] = []
        self.answer: list[float] = []
        self.agent: list[int] = []
        self.outcome: list[int] = []
        self.resolved: list[int] = []
        self.refunded: list[int] = []
        """Contacts that granted a refund."""
        self.platform: list[int] = []
        """Second-tier contacts that ended in a platform intervention."""
        # its fate, decided when the contact is created (sim.center.journey.fate)
        self.silent: list[bool] = []
        self.redial: list[bool] = []
        self.ending: list[int] = []
        """What its end does if answered: ``sim.center.journey.Ending`` flags (-1: decided
        when it is answered; a follow-up on an asynchronous channel, whose buyer may be
        gone by then)."""
        self.left_ending: list[int] = []
        """What its end does if answered after its buyer left (an asynchronous channel's
        message), by the usual agents' rules; -1: decided when that happens."""
        self.left: list[bool] = []
        """Answered on an asynchronous channel after its buyer had left."""
        self.decide: NDArray[np.float64] = np.zeros((0, DECISIONS))
        """Decision uniforms of the first ``len(decide)`` (``n_fixed``) contacts."""
        self.extra: list[float] = []
        """Decision uniforms of the contacts after them, in order: ``DECISIONS`` each, in one
        list (made into an array at once)."""
        # per issue
        self.contacts_of_issue: list[int] = []
        self.issue_refunded: list[bool] = []
        self.key: list[int] = []
        self.n_fixed = 0
        self.store: dict[str, NDArray[Any]] = {
            name: np.zeros((0, *self.shapes.get(name, ())), dtype=DTYPES[name])
            for name in (*self.FIXED, *self.heads, "decide")
        }
        """The arrays behind :attr:`fixed` and :attr:`decide`, with room to grow: a
        :meth:`seal` writes the new rows after the old ones instead of copying every column
        whole (their first ``n_fixed`` rows hold values)."""
        self.fixed: dict[str, NDArray[Any]] = {
            name: self.store[name][:0] for name in (*self.FIXED, *self.heads)
        }
        """The fixed and head columns of the first ``n_fixed`` contacts (views of
        :attr:`store`: writing to one writes there)."""

    def decisions(self, i: int) -> list[float]:
        """Contact i's decision uniforms."""
        first: int = self.decide.shape[0]
        if i < first:
            row: list[float] = self.decide[i].tolist()
            return row
        k = (i - first) * DECISIONS
        return self.extra[k : k + DECISIONS]

    def decision(self, i: int, k: int) -> float:
        """Contact i's decision uniform ``k`` (a ``U_*`` index)."""
        first: int = self.decide.shape[0]
        return float(self.decide[i, k]) if i < first else self.extra[(i - first) * DECISIONS + k]

    def grow(self, name: str, values: list[Any]) -> None:
        """Append values to a list column (an empty one takes the list itself: no copy)."""
        column: list[Any] = getattr(self, name)
        if column:
            column.extend(values)
        else:
            setattr(self, name, values)

    def seal(self, more: dict[str, NDArray[Any]] | None = None) -> None:
        """Bring the arrays of fixed columns and ``decide`` up to every contact.

        ``more``: new contacts' arrays (every fixed and head column, and ``decide``) to put
        after them, for contacts the caller adds to the lists itself.
        """
        start = self.n_fixed
        tail = self.n - start
        stop = self.n + (len(more["decide"]) if more is not None else 0)
        self._reserve(stop)
        store = self.store
        for name in self.FIXED:
            column = store[name]
            if tail:
                column[start : self.n] = getattr(self, name)[start:]
            if more is not None:
                column[self.n : stop] = more[name]
            self.fixed[name] = column[:stop]
        for name in self.heads:
            column = store[name]
            column[start : self.n] = BLANKS[name]
            if more is not None:
                column[self.n : stop] = more[name]
            self.fixed[name] = column[:stop]
        column = store["decide"]
        assert len(self.extra) == tail * DECISIONS, "a contact without its decision uniforms"
        if self.extra:
            column[start : self.n] = np.array(self.extra, dtype=np.float64).reshape(-1, DECISIONS)
        if more is not None:
            column[self.n : stop] = more["decide"]
        self.decide = column[:stop]
        self.extra = []
        self.n_fixed = stop

    def _reserve(self, rows: int) -> None:
        """Room in :attr:`store` for ``rows`` contacts (doubling, so that growth is cheap)."""
        have = len(self.store["decide"])
        if rows <= have:
            return
        size = max(rows, 2 * have)
        for name, column in self.store.items():
            grown = np.empty((size, *column.shape[1:]), dtype=column.dtype)
            grown[: self.n_fixed] = column[: self.n_fixed]
            self.store[name] = grown

    def keep_rows(self, rows: NDArray[np.intp], issue: NDArray[np.int64]) -> None:
        """Keep only the arrays' rows ``rows`` (ascending), moved to the front.

        ``issue``: the issue column to take them from (renumbered, a value for every row).
        """
        k = int(rows.size)
        for name, column in self.store.items():
            column[:k] = (issue if name == "issue" else column[: self.n_fixed])[rows]
            if name == "decide":
                self.decide = column[:k]
            else:
                self.fixed[name] = column[:k]
        self.n_fixed = k


DTYPES: dict[str, type[np.generic]] = {
    "arrival": np.float64,
    "handle": np.float64,
    "patience": np.float64,
    "deadline": np.float64,
    "channel": np.int32,
    "reason": np.int32,
    "ctype": np.int32,
    "issue": np.int64,
    "kind": np.int8,
    "attempt": np.int16,
    "answer": np.float64,
    "agent": np.int32,
    "outcome": np.int8,
    "resolved": np.int8,
    "silent": np.bool_,
    "redial": np.bool_,
    "ending": np.int8,
    "left_ending": np.int8,
    "left": np.bool_,
    "contacts_of_issue": np.int32,
    "issue_refunded": np.bool_,
    "key": np.int64,
    "order": np.int64,
    "delivery": np.float64,
    "bot": np.int8,
    "bot_seconds": np.float64,
    "placed": np.float64,
    "keep": np.float64,
    "last": np.float64,
    "ahead": np.float64,
    "decide": np.float64,
}
"""numpy types of the table's columns."""

SHAPES: dict[str, tuple[int, ...]] = {"ahead": (AHEAD, FOLLOW_ROWS), "decide": (DECISIONS,)}
"""A contact's shape in the columns whose rows are not single values."""

BLANKS: dict[str, float] = {
    "order": -1,
    "delivery": math.nan,
    "bot": 0,
    "bot_seconds": 0.0,
    "placed": math.nan,
    "keep": math.nan,
    "last": math.nan,
    "ahead": math.nan,
}
"""What a head column holds at a follow-up (and for contacts without the column)."""

RESULT_COLUMNS = (*Table.FIXED, "answer", "agent", "outcome", "resolved", "left")
"""The list columns a result is made of (the rest only steers the engine)."""
