"""The issues' counter-based uniforms (``sim.rng.IssueDraws``): exact, and random enough.

A follow-up's uniforms are a function of the scenario's seed, the replication, its issue's
key and a counter: computed in bulk (numpy) or one issue at a time (Python ints), they must
be the same bits, and the engine must give every follow-up its issue's draws whichever way
it computed them. The statistical checks are cheap sanity checks on about a million draws
laid out as the engine reads them (keys of consecutive orders and of one order's reasons),
each against a bound six standard deviations from what independent uniforms give, and
they must catch a deliberately weak mix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from sim.center import FIRST, CenterResult, engine, simulate_center, table
from sim.config import Scenario
from sim.demand import Contacts, first_contacts
from sim.distributions import quantile_fn
from sim.rng import ISSUE_KEY, IssueDraws, Streams
from sim.uniforms import FOLLOW_HANDLE, FOLLOW_PATIENCE, FOLLOW_ROWS
from tests.conftest import tiny_scenario

Draws = Callable[[NDArray[np.int64], int, int], NDArray[np.float64]]
"""``(keys, start, count)`` → the issues' draws ``start`` … ``start + count - 1``."""

KEYS = [0, 1, 2, 63, 64, 2**32 - 1, 2**32, 2**40 + 2**24 + 3, (1 << 62) | (5 << 32) | 77, 2**63 - 1]


def random_keys(n: int, seed: int = 20240611) -> list[int]:
    """Non-negative int64 keys of every size, from a fixed generator."""
    g = np.random.default_rng(seed)
    bits = g.integers(1, 64, n)
    return [int(g.integers(0, 2 ** int(b), dtype=np.uint64)) & (2**63 - 1) for b in bits]


def test_the_replications_issue_key_is_numpys_seed_sequence() -> None:
    for seed, replication in ((0, 0), (7, 3), (2**64 + 5, 2**33)):
        d = Streams(seed, replication).issues
        want = np.random.SeedSequence(seed, spawn_key=(replication, ISSUE_KEY))
        assert [d.k0, d.k1] == want.generate_state(2, np.uint64).tolist()
    streams = Streams(1, 0)
    assert streams.issues is streams.issues  # made once


def test_one_issue_at_a_time_gives_the_bulk_bits() -> None:
    d = Streams(20240611, 3).issues
    keys = KEYS + random_keys(2000)
    bulk = d.uniforms(np.array(keys, dtype=np.int64), 0, 4 * FOLLOW_ROWS)
    assert bulk.shape == (len(keys), 4 * FOLLOW_ROWS) and bulk.dtype == np.float64
    bad = [
        k for k, row in zip(keys, bulk.tolist(), strict=True) if d.row(k, 0, bulk.shape[1]) != row
    ]
    assert not bad, f"{len(bad)} of {len(keys)} differ, e.g. {bad[:3]}"
    for start, count in ((0, 1), (13, 13), (39, 13), (1000, 5), (2**40, 3)):
        bulk = d.uniforms(np.array(KEYS, dtype=np.int64), start, count)
        assert [d.row(k, start, count) for k in KEYS] == bulk.tolist()
    assert np.all((bulk >= 0.0) & (bulk < 1.0))
    assert d.uniforms(np.zeros(0, dtype=np.int64), 0, 13).shape == (0, 13)
    key: Any = np.int64(2**62 + 12345)  # a numpy int must not wrap in the Python path
    assert d.row(key, 0, 13) == d.row(2**62 + 12345, 0, 13)


def test_a_draw_depends_on_its_issue_and_counter_alone() -> None:
    """Not on which other issues are drawn with it, their order, nor the counters' range."""
    d = Streams(11, 2).issues
    keys = np.array(random_keys(500, 3), dtype=np.int64)
    whole = d.uniforms(keys, 0, 5 * FOLLOW_ROWS)
    g = np.random.default_rng(4)
    pick = g.permutation(keys.size)[:200]
    np.testing.assert_array_equal(d.uniforms(keys[pick], 0, 5 * FOLLOW_ROWS), whole[pick])
    for j in range(5):
        part = d.uniforms(keys, j * FOLLOW_ROWS, FOLLOW_ROWS)
        np.testing.assert_array_equal(part, whole[:, j * FOLLOW_ROWS : (j + 1) * FOLLOW_ROWS])
    # a new IssueDraws of the same replication draws the same
    np.testing.assert_array_equal(Streams(11, 2).issues.uniforms(keys, 0, 5), whole[:, :5])


def test_replications_and_seeds_draw_apart() -> None:
    keys = np.arange(1000, dtype=np.int64)
    runs = [Streams(s, r).issues.uniforms(keys, 0, 8) for s, r in ((1, 0), (1, 1), (2, 0))]
    for a in range(3):
        for b in range(a):
            assert np.count_nonzero(runs[a] == runs[b]) == 0
            assert abs(np.corrcoef(runs[a].ravel(), runs[b].ravel())[0, 1]) < 6 / np.sqrt(8000)


# ---- statistical sanity

ORDERS, REASONS, COUNTERS = 14_000, 3, 2 * FOLLOW_ROWS
"""Issues (o << 6) | r as the demand keys an order's reasons, two follow-ups' draws each:
1,092,000 draws."""

SIGMAS = 6.0
"""Every check's bound, in standard deviations of its statistic under independent uniforms
(so a sound generator fails one of the ~40 checks with probability about 1e-7)."""


def chi2(counts: NDArray[np.int64]) -> float:
    expected = counts.sum() / counts.size
    return float(((counts - expected) ** 2 / expected).sum())


def chi2_off(counts: NDArray[np.int64]) -> bool:
    """Pearson's statistic for equal cells farther than SIGMAS from its mean (its df)."""
    df = counts.size - 1
    return abs(chi2(counts) - df) > SIGMAS * math.sqrt(2 * df)


def cells(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.int64]:
    """Counts of the pairs (a, b) in 16 × 16 equal cells."""
    pairs = (a * 16).astype(np.int64) * 16 + (b * 16).astype(np.int64)
    return np.bincount(pairs.ravel(), minlength=256)


def failures(u: NDArray[np.float64]) -> list[str]:
    """The checks a table of draws (issue by ``ORDERS × REASONS``, counter) fails."""
    n, cols = u.shape
    out = []
    flat = u.ravel()
    if chi2_off(np.bincount((flat * 1024).astype(np.int64), minlength=1024)):
        out.append("uniform over 1024 cells")
    for c in range(cols):
        if chi2_off(np.bincount((u[:, c] * 64).astype(np.int64), minlength=64)):
            out.append(f"draw {c} uniform over 64 cells")
    r = np.asarray(np.corrcoef(u.T))
    if np.abs(r[np.triu_indices(cols, 1)]).max() > SIGMAS / math.sqrt(n):
        out.append("correlation between two draws of an issue")
    if chi2_off(cells(u[:, :-1], u[:, 1:])):
        out.append("pairs of successive draws of an issue over 16 × 16 cells")
    v = u.reshape(ORDERS, REASONS, cols)
    for name, a, b in (
        ("one order's reasons", v[:, :-1], v[:, 1:]),
        ("successive orders", v[:-1], v[1:]),
    ):
        if abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) > SIGMAS / np.sqrt(a.size):
            out.append(f"correlation between {name}")
        if chi2_off(cells(a, b)):
            out.append(f"pairs of {name} over 16 × 16 cells")
    return out


def bits(u: NDArray[np.float64]) -> list[str]:
    """The checks the 53-bit integers' bits fail.

    Each bit's share of ones, and the low 16 bits read as uniforms through :func:`failures`
    (a weak mix shows there first).
    """
    m = (u * 2.0**53).astype(np.uint64)
    out = []
    for b in range(0, 53, 4):
        share = float(((m >> np.uint64(b)) & np.uint64(1)).mean())
        if abs(share - 0.5) > SIGMAS * 0.5 / np.sqrt(m.size):
            out.append(f"bit {b}")
    low = ((m & np.uint64(0xFFFF)).astype(np.float64) + 0.5) / 65536.0
    return out + [f"low 16 bits: {f}" for f in failures(low)]


def layout() -> NDArray[np.int64]:
    """The keys of ``ORDERS`` consecutive orders' ``REASONS`` reasons, by order."""
    orders = np.arange(ORDERS, dtype=np.int64)[:, None]
    return ((orders << 6) | np.arange(REASONS, dtype=np.int64)).ravel()


def test_the_draws_pass_sanity_checks() -> None:
    u = Streams(20261028, 0).issues.uniforms(layout(), 0, COUNTERS)
    assert failures(u) + bits(u) == []


GAMMA, MUL1, MUL2 = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
)


def mix(z: NDArray[np.uint64], steps: int = 5) -> NDArray[np.uint64]:
    """The first ``steps`` of SplitMix64's finaliser (all five: the whole of it)."""
    for step in range(steps):
        if step % 2 == 0:
            z = z ^ (z >> np.uint64((30, 27, 31)[step // 2]))
        else:
            z = z * (MUL1, MUL2)[step // 2]
    return z


def scheme(d: IssueDraws, steps: int) -> Draws:
    """``d``'s draws, restated, with only the first ``steps`` of the draw's mix."""

    def draws(keys: NDArray[np.int64], start: int, count: int) -> NDArray[np.float64]:
        s = mix(keys.astype(np.uint64) * GAMMA + np.uint64(d.k0))
        c = np.arange(start, start + count, dtype=np.uint64)
        z = mix(s[:, None] ^ (c * GAMMA + np.uint64(d.k1)), steps)
        return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53

    return draws


@pytest.mark.parametrize("steps", [0, 1, 2])
def test_the_checks_catch_a_weak_mix(steps: int) -> None:
    """The checks have the power to see a weak mix.

    The same scheme with the draw's mix cut after 0, 1 or 2 of its 5 steps fails them.
    """
    d = Streams(20261028, 0).issues
    keys = layout()
    np.testing.assert_array_equal(scheme(d, 5)(keys[:999], 0, 7), d.uniforms(keys[:999], 0, 7))
    u = scheme(d, steps)(keys, 0, COUNTERS)
    assert failures(u) + bits(u) != []


# ---- in the engine


def many_follow_ups(agents: int = 2) -> tuple[Scenario, Contacts]:
    """A tiny scenario short of agents whose callers redial often (some many times)."""
    data = tiny_scenario(
        calendar={"days": 1, "interval_minutes": 30},
        journey={
            "redial_probability": 0.9,
            "redial_lag_minutes": {"dist": "exponential", "mean": 5},
        },
    )
    data["staffing"]["groups"][0]["schedule"]["agents"] = agents
    s = Scenario.model_validate(data)
    return s, first_contacts(s, Streams(s.seed, 0))


def same_results(a: CenterResult, b: CenterResult) -> None:
    for name in ("outcome", "answer_seconds", "agent", "kind", "issue", "attempt", "resolved"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.contacts is not None and b.contacts is not None
    for name in ("arrival_seconds", "handle_seconds", "patience_seconds", "channel"):
        np.testing.assert_array_equal(
            getattr(a.contacts, name), getattr(b.contacts, name), err_msg=name
        )


def test_the_same_contacts_however_many_follow_ups_are_drawn_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Drawn in bulk when fed, or one at a time when needed: the same follow-ups."""
    s, contacts = many_follow_ups()
    runs = {}
    for ahead in (0, table.AHEAD, 6):
        monkeypatch.setattr(engine, "AHEAD", ahead)
        runs[ahead] = simulate_center(s, contacts, Streams(s.seed, 0).issues)
    first = runs[0]
    assert first.issue is not None and first.kind is not None
    per_issue = np.bincount(first.issue[first.kind != FIRST])
    assert per_issue.max() > 6 and np.count_nonzero(per_issue > table.AHEAD) > 100
    for result in runs.values():
        same_results(first, result)


def test_each_follow_up_has_its_issues_draws() -> None:
    """Each follow-up's handle time and patience are its issue's draws, whatever the queue.

    The j-th follow-up of the issue with key k has draws ``j · FOLLOW_ROWS + FOLLOW_HANDLE``
    and ``+ FOLLOW_PATIENCE`` of k. One open channel and no transfer: every draw makes a
    follow-up (or one after the horizon, its issue's last), so an issue's follow-ups in the
    order they were made are its draws in order.
    """
    for agents in (1, 2, 3):  # other queues, other follow-ups: each has its own draws
        s, contacts = many_follow_ups(agents)
        d = Streams(s.seed, 0).issues
        phone = s.channels["phone"]
        assert phone.patience_seconds is not None
        handle_at = quantile_fn(phone.handle_time_seconds)
        patience_at = quantile_fn(phone.patience_seconds)
        r = simulate_center(s, contacts, d)
        c = r.contacts
        assert c is not None and c.issue_key is not None and r.issue is not None
        assert r.kind is not None
        follow = np.flatnonzero(r.kind != FIRST)
        assert follow.size > 100
        seen: dict[int, int] = {}
        for f in follow.tolist():  # in the order they were made
            head = int(r.issue[f])
            j = seen.get(head, 0)
            seen[head] = j + 1
            u = d.row(int(c.issue_key[head]), j * FOLLOW_ROWS, FOLLOW_ROWS)
            assert c.handle_seconds[f] == handle_at(u[FOLLOW_HANDLE])
            assert c.patience_seconds[f] == patience_at(u[FOLLOW_PATIENCE])


def test_without_the_journey_s_follow_ups_nothing_is_drawn_ahead() -> None:
    """Rare follow-ups (a call that finds its channel closed) take their rows one at a time.

    No contact fed pays for rows it will almost never use.
    """
    s, _ = many_follow_ups()
    assert engine.Center(s, None).t.ahead == table.AHEAD
    quiet = s.model_copy(
        update={
            "journey": s.journey.model_copy(
                update={
                    "repeat_probability": 0.0,
                    "redial_probability": 0.0,
                    "escalation_probability": 0.0,
                }
            ),
            "contact_reasons": [
                r.model_copy(update={"redial_probability": None}) for r in s.contact_reasons
            ],
        }
    )
    assert engine.Center(quiet, None).t.ahead == 0
