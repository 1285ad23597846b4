"""Named random streams: one numpy ``Generator`` per random process and replication.

Every random process in a replication (an arrival stream, the handle times of a channel, …)
draws from its own stream, derived as ``SeedSequence(seed, spawn_key=(replication, key))``
where ``key`` is a stable number computed from the stream's name. So a replication's draws
depend only on the scenario's seed, the replication number and the stream's name: not on
the order in which replications run, on which worker, nor on which other streams exist.
Adding a random process to the model never shifts the draws of the existing ones, which
keeps common random numbers sharp between arms. Nothing here touches global state.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit number for a stream name (the same on every machine and run)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big")


ISSUE_KEY = 0x155_0E
"""Spawn-key part that sets issue streams apart from named streams (whose keys are sha256)."""


class Streams:
    """The named random streams of one replication.

    Args:
        seed: The scenario's seed.
        replication: The replication number, from 0.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._made: set[str] = set()

    def __call__(self, name: str) -> np.random.Generator:
        """A fresh generator for the stream ``name``; each name may be asked for once.

        Asking twice would silently reuse draws between two processes, so it is an error.
        """
        if name in self._made:
            raise ValueError(f"random stream {name!r} was already handed out")
        self._made.add(name)
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
        return np.random.Generator(np.random.PCG64(ss))

    def issue(self, key: int) -> np.random.Generator:
        """The stream of one customer issue, named by its key (a non-negative int64).

        An issue's follow-up contacts (redials, repeats, transfers) draw from it in their
        own order, which is the same in every arm: the issue's history, not the order of
        events in the contact centre, decides what it draws.
        """
        ss = np.random.SeedSequence(
            self.seed,
            spawn_key=(self.replication, ISSUE_KEY, (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
        )
        return np.random.Generator(np.random.PCG64(ss))
