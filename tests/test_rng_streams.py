"""A named stream's own seeding is numpy's ``Generator(PCG64(SeedSequence(...)))``, bit for bit.

The issues' follow-up uniforms have their own tests (``tests/test_issue_draws.py``).
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

from sim.rng import Streams, stream_key


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


def random_cases(n: int) -> list[tuple[int, int]]:
    """``(seed, replication)``: small and big values of each, from a fixed generator."""
    g = np.random.default_rng(20240611)
    cases = []
    for t in range(n):
        seed = int(g.integers(0, 2**63)) if t % 3 else int(g.integers(0, 1000))
        replication = int(g.integers(0, 2**40)) if t % 7 == 0 else int(g.integers(0, 64))
        cases.append((seed, replication))
    return cases


def test_named_streams_are_numpys() -> None:
    for t, (seed, replication) in enumerate(random_cases(1000)):
        name = f"arrivals.{t}.times"
        assert same(Streams(seed, replication)(name), numpy_named(seed, replication, name))
    for seed in SEEDS:
        assert same(Streams(seed, 2)("handle.phone"), numpy_named(seed, 2, "handle.phone"))


def test_no_seed_sequence_is_built_for_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    # the point of the module's own hashing: numpy's SeedSequence costs 20 µs a stream
    want = numpy_named(5, 1, "x").random(4)

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("SeedSequence built")

    monkeypatch.setattr(np.random, "SeedSequence", refuse)
    streams = Streams(5, 1)
    assert np.array_equal(streams("x").random(4), want)


def test_a_streams_seed_sequence_behaves_as_numpys() -> None:
    g = Streams(11, 2)("handle.chat")
    ref = np.random.SeedSequence(11, spawn_key=(2, stream_key("handle.chat")))
    seq: Any = g.bit_generator.seed_seq
    assert seq.entropy == ref.entropy
    assert seq.spawn_key == ref.spawn_key
    for n, dtype in ((4, np.uint64), (4, np.uint32), (7, np.uint32), (3, np.uint64)):
        assert np.array_equal(seq.generate_state(n, dtype), ref.generate_state(n, dtype))
    kids, want = g.spawn(2), np.random.Generator(np.random.PCG64(ref)).spawn(2)
    assert all(same(a, b) for a, b in zip(kids, want, strict=True))
    assert same(g.spawn(1)[0], np.random.Generator(np.random.PCG64(ref)).spawn(1)[0])


def test_a_stream_pickles_with_its_place() -> None:
    g = Streams(3, 0)("arrivals.0")
    g.random(5)
    h = pickle.loads(pickle.dumps(g))
    assert same(g, h)
