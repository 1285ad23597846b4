"""The streams' own seeding is numpy's ``Generator(PCG64(SeedSequence(...)))``, bit for bit."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

from sim.center import simulate_center
from sim.config import Scenario
from sim.demand import first_contacts
from sim.rng import ISSUE_KEY, Streams, stream_key, streams_of
from tests.conftest import tiny_scenario

M32 = 0xFFFF_FFFF


def numpy_issue(seed: int, replication: int, key: int) -> np.random.Generator:
    """An issue's stream as numpy's own path gives it (what ``Streams.issue`` stands for)."""
    spawn_key = (replication, ISSUE_KEY, (key >> 32) & M32, key & M32)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn_key)))


def numpy_named(seed: int, replication: int, name: str) -> np.random.Generator:
    """A named stream as numpy's own path gives it."""
    spawn_key = (replication, stream_key(name))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=spawn_key)))


def same(a: np.random.Generator, b: np.random.Generator) -> bool:
    """Same bit generator state and the same next draws (of several kinds)."""
    if a.bit_generator.state != b.bit_generator.state:
        return False
    return (
        np.array_equal(a.random(13), b.random(13))
        and np.array_equal(a.integers(0, 2**63, 5), b.integers(0, 2**63, 5))
        and np.array_equal(a.standard_normal(3), b.standard_normal(3))
    )


SEEDS = [0, 1, 7, 2**32 - 1, 2**32, 2**63 - 1, 2**64 + 5, 2**128 - 1, 2**128, 3**100]
"""Seeds of one to several 32-bit words (more than the pool's four among them)."""
KEYS = [0, 1, M32, 2**32, 2**32 + 1, 2**40 + 2**24 + 3, (1 << 62) | (5 << 32) | 77, 2**63 - 1]


def random_cases(n: int) -> list[tuple[int, int, int]]:
    """``(seed, replication, key)``: small and big values of each, from a fixed generator."""
    g = np.random.default_rng(20240611)
    cases = []
    for t in range(n):
        seed = int(g.integers(0, 2**63)) if t % 3 else int(g.integers(0, 1000))
        replication = int(g.integers(0, 2**40)) if t % 7 == 0 else int(g.integers(0, 64))
        bits = int(g.integers(1, 64))
        key = int(g.integers(0, 2**bits, dtype=np.uint64)) & (2**63 - 1)
        cases.append((seed, replication, key))
    return cases


def test_issue_streams_are_numpys_on_many_keys() -> None:
    cases = random_cases(3000)
    cases += [(s, r, k) for s in SEEDS for r in (0, 3, 2**32 + 9) for k in KEYS]
    bad = [
        case
        for case in cases
        if not same(Streams(case[0], case[1]).issue(case[2]), numpy_issue(*case))
    ]
    assert not bad, f"{len(bad)} of {len(cases)} differ, e.g. {bad[:3]}"


def test_issue_streams_of_one_replication_are_numpys() -> None:
    # one Streams hands out many issues: its precomputed pool must not change between them
    streams = Streams(20240611, 3)
    keys = [k for _, _, k in random_cases(2000)] + KEYS
    assert all(same(streams.issue(k), numpy_issue(20240611, 3, k)) for k in keys)
    key: Any = np.int64(2**62 + 12345)  # a numpy int must not wrap in the hashes
    assert same(streams.issue(key), numpy_issue(20240611, 3, 2**62 + 12345))


def test_named_streams_are_numpys() -> None:
    for t, (seed, replication, _) in enumerate(random_cases(1000)):
        name = f"arrivals.{t}.times"
        assert same(Streams(seed, replication)(name), numpy_named(seed, replication, name))
    for seed in SEEDS:
        assert same(Streams(seed, 2)("handle.phone"), numpy_named(seed, 2, "handle.phone"))


def test_no_seed_sequence_is_built_for_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    # the point of the module's own hashing: numpy's SeedSequence costs 20 µs a stream
    want = numpy_issue(5, 1, 2**40 + 7).random(4)

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("SeedSequence built")

    monkeypatch.setattr(np.random, "SeedSequence", refuse)
    streams = Streams(5, 1)
    assert np.array_equal(streams.issue(2**40 + 7).random(4), want)
    streams("x").random(2)


def test_a_streams_seed_sequence_behaves_as_numpys() -> None:
    g = Streams(11, 2).issue(2**33 + 4)
    ref = np.random.SeedSequence(11, spawn_key=(2, ISSUE_KEY, 2, 4))
    seq: Any = g.bit_generator.seed_seq
    assert seq.entropy == ref.entropy
    assert seq.spawn_key == ref.spawn_key
    for n, dtype in ((4, np.uint64), (4, np.uint32), (7, np.uint32), (3, np.uint64)):
        assert np.array_equal(seq.generate_state(n, dtype), ref.generate_state(n, dtype))
    kids, want = g.spawn(2), np.random.Generator(np.random.PCG64(ref)).spawn(2)
    assert all(same(a, b) for a, b in zip(kids, want, strict=True))
    assert same(g.spawn(1)[0], np.random.Generator(np.random.PCG64(ref)).spawn(1)[0])


def test_a_stream_pickles_with_its_place() -> None:
    g = Streams(3, 0).issue(99)
    g.random(5)
    h = pickle.loads(pickle.dumps(g))
    assert same(g, h)


def test_issue_seeds_hashed_in_bulk_give_numpys_streams() -> None:
    streams = Streams(20240611, 3)
    keys = [k for _, _, k in random_cases(2000)] + KEYS
    seeds = streams.issue_seeds(np.array(keys, dtype=np.int64))
    assert seeds.shape == (len(keys), 4) and seeds.dtype == np.uint64
    bad = [
        k
        for k, seed in zip(keys, seeds, strict=True)
        if not same(streams.issue_seeded(k, seed), numpy_issue(20240611, 3, k))
    ]
    assert not bad, f"{len(bad)} of {len(keys)} differ, e.g. {bad[:3]}"
    assert streams.issue_seeds(np.zeros(0, dtype=np.int64)).shape == (0, 4)


def test_the_engine_finds_the_streams_of_an_issue_stream() -> None:
    streams = Streams(1, 0)
    assert streams_of(streams.issue) is streams
    assert streams_of(Streams(1, 0).__call__) is None
    assert streams_of(lambda key: streams.issue(key)) is None
    assert streams_of(None) is None


def test_issue_streams_seeded_in_bulk_give_the_same_contacts() -> None:
    """The engine hashes its inputs' seeds a chunk at a time for ``Streams.issue``."""
    data = tiny_scenario(
        calendar={"days": 1, "interval_minutes": 30},
        journey={
            "repeat_probability": 0.8,
            "redial_probability": 0.6,
            "repeat_lag_hours": {"dist": "exponential", "mean": 1},
        },
    )
    s = Scenario.model_validate(data)
    contacts = first_contacts(s, Streams(s.seed, 0))
    bulk = Streams(s.seed, 0)
    one = Streams(s.seed, 0)
    a = simulate_center(s, contacts, bulk.issue)
    b = simulate_center(s, contacts, lambda key: one.issue(key))
    assert a.kind is not None and np.count_nonzero(a.kind) > 50  # follow-ups drew
    for name in ("outcome", "answer_seconds", "agent", "kind", "issue", "attempt", "resolved"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.contacts is not None and b.contacts is not None
    np.testing.assert_array_equal(a.contacts.handle_seconds, b.contacts.handle_seconds)
