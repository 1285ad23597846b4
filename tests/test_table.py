"""The engine's table: its arrays follow its lists through feeds, follow-ups and hand-outs."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sim.center.table import BLANKS, DTYPES, SHAPES, Table
from sim.uniforms import DECISIONS, FOLLOW_ROWS


def _chunk(t: Table, n: int, start: int) -> dict[str, NDArray[Any]]:
    """``n`` new contacts' arrays, numbered from ``start`` (every value tells the contact)."""
    k = np.arange(start, start + n)
    new: dict[str, NDArray[Any]] = {
        name: (k % 100).astype(DTYPES[name]) for name in (*Table.FIXED, *t.heads)
    }
    new["ahead"] = np.repeat(k.astype(np.float64), t.ahead * FOLLOW_ROWS).reshape(
        n, t.ahead, FOLLOW_ROWS
    )
    new["decide"] = np.repeat(k / 1e6, DECISIONS).reshape(n, DECISIONS)
    return new


def _feed(t: Table, new: dict[str, NDArray[Any]]) -> None:
    """What the engine's feed does with the table: seal, then the lists."""
    t.seal(new)
    for name in Table.FIXED:
        t.grow(name, new[name].tolist())
    t.n += len(new["decide"])


def _follow_up(t: Table, value: int) -> None:
    """A follow-up created while the engine runs: lists only (and its decisions)."""
    for name in Table.FIXED:
        getattr(t, name).append(value % 100)
    t.extra += [value / 1e6] * DECISIONS
    t.n += 1


def _check(t: Table, values: list[int], issues: list[int], heads: dict[int, int]) -> None:
    """The arrays hold the lists' values; head columns hold blanks at follow-ups."""
    t.seal()
    assert t.n_fixed == t.n == len(values)
    for name in Table.FIXED:
        expected = issues if name == "issue" else [v % 100 for v in values]
        assert t.fixed[name].dtype == DTYPES[name]
        assert t.fixed[name].tolist() == getattr(t, name) == expected
    assert t.decide.shape == (t.n, DECISIONS)
    np.testing.assert_array_equal(
        t.decide, np.repeat(np.array(values) / 1e6, DECISIONS).reshape(-1, DECISIONS)
    )
    for name in t.heads:
        column = t.fixed[name]
        assert column.shape == (t.n, *SHAPES.get(name, ()))
        for i in range(t.n):
            head = heads.get(i)
            if head is None:
                np.testing.assert_array_equal(column[i], BLANKS[name])
            else:
                np.testing.assert_array_equal(column[i], head if name == "ahead" else head % 100)


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("feed"), st.integers(0, 40)),
            st.tuples(st.just("follow"), st.integers(1, 5)),
            st.tuples(st.just("hand out"), st.integers(0, 2**31)),
        ),
        max_size=25,
    ),
    more=st.booleans(),
)
def test_the_arrays_follow_the_lists(steps: list[tuple[str, int]], more: bool) -> None:
    """The arrays, grown in place, hold every contact's values after any mix of steps.

    The steps: feeds, follow-ups and hand-outs; a hand-out keeps the kept rows' values,
    the issue column renumbered.
    """
    t = Table(more)
    made = 0  # values tell contacts apart
    values: list[int] = []  # by row, its contact's value
    issues: list[int] = []  # by row, its issue column (renumbered at hand-outs)
    heads: dict[int, int] = {}  # row -> the value of a fed contact
    for what, x in steps:
        if what == "feed":
            for j in range(x):
                heads[t.n + j] = made + j
            _feed(t, _chunk(t, x, made))
            values += range(made, made + x)
            issues += [v % 100 for v in range(made, made + x)]
            made += x
        elif what == "follow":
            for _ in range(x):
                _follow_up(t, made)
                values.append(made)
                issues.append(made % 100)
                made += 1
        else:
            _check(t, values, issues, heads)
            rows = np.flatnonzero(np.random.default_rng(x).random(t.n) < 0.5)
            kept = rows.tolist()
            renumbered = (t.fixed["issue"] * 7 + 3) % 100  # a renumbering to follow
            t.keep_rows(rows, renumbered)
            for name in Table.FIXED:
                column = getattr(t, name)
                setattr(t, name, [column[i] for i in kept])
            t.issue = renumbered[rows].tolist()
            issues = list(t.issue)
            t.n = int(rows.size)
            heads = {k: heads[i] for k, i in enumerate(kept) if i in heads}
            values = [values[i] for i in kept]
    _check(t, values, issues, heads)
