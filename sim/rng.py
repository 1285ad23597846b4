"""Named random streams: one numpy ``Generator`` per random process and replication.

Every random process in a replication (an arrival stream, the handle times of a channel, …)
draws from its own stream, derived as ``SeedSequence(seed, spawn_key=(replication, key))``
where ``key`` is a stable number computed from the stream's name. So a replication's draws
depend only on the scenario's seed, the replication number and the stream's name: not on
the order in which replications run, on which worker, nor on which other streams exist.
Adding a random process to the model never shifts the draws of the existing ones, which
keeps common random numbers sharp between arms. Nothing here touches global state.

A stream's generator is seeded as ``Generator(PCG64(SeedSequence(...)))`` would be, bit for
bit, without running numpy's ``SeedSequence``: its hashing of the entropy into a pool and of
the pool into PCG64's seed is restated below in Python ints, and the part that depends only
on the seed and the replication is done once per replication. A replication asks for a
stream for every issue that has a follow-up: numpy's own path costs 13–20 µs a stream,
about a tenth of a replication's time; this one about 5 µs. The engine has the seeds of a
chunk of input contacts' issue streams hashed at once in numpy (:meth:`Streams.issue_seeds`)
and makes a stream from its seed when the issue first needs it (about 3 µs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence
from numpy.typing import NDArray


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
        run = _words(seed)
        run += [0] * (_POOL - len(run))  # numpy pads the run's entropy when there is a spawn key
        self._named = _Prefix.of(run + _words(replication))
        """The pool of named streams before their key."""
        self._issues = _Prefix.of(run + _words(replication) + [ISSUE_KEY])
        """The pool of issue streams before their key's two words."""
        self._high: dict[int, _Prefix] = {}
        """The pool of issue streams before their key's low word, by its high word: a key's
        high word is one of a few (a reason or an arrival stream, the day / 256)."""

    def __call__(self, name: str) -> np.random.Generator:
        """A fresh generator for the stream ``name``; each name may be asked for once.

        Asking twice would silently reuse draws between two processes, so it is an error.
        """
        if name in self._made:
            raise ValueError(f"random stream {name!r} was already handed out")
        self._made.add(name)
        key = stream_key(name)
        return self._named.generator(self.seed, (self.replication, key), key)

    def issue(self, key: int) -> np.random.Generator:
        """The stream of one customer issue, named by its key (a non-negative int64).

        An issue's follow-up contacts (redials, repeats, transfers) draw from it in their
        own order, which is the same in every arm: the issue's history, not the order of
        events in the contact centre, decides what it draws.
        """
        key = int(key)  # a numpy int would wrap in the hashes below
        hi = (key >> 32) & _M32
        lo = key & _M32
        return self._prefix(hi).generator(self.seed, (self.replication, ISSUE_KEY, hi, lo), lo)

    def _prefix(self, hi: int) -> _Prefix:
        """The pool of issue streams whose key's high word is ``hi``, before the low word."""
        prefix = self._high.get(hi)
        if prefix is None:
            if len(self._high) >= _HIGH_MEMO:
                self._high.clear()
            prefix = self._high[hi] = self._issues.then(hi)
        return prefix

    def issue_seeds(self, keys: NDArray[np.int64]) -> NDArray[np.uint64]:
        """The 128-bit seeds (PCG64's ``generate_state(4, np.uint64)``) of many issues' streams.

        Row k is what :meth:`issue` hashes for ``keys[k]``, computed for all keys at once;
        :meth:`issue_seeded` makes the stream from it. Shape ``(len(keys), 4)``.
        """
        k = np.asarray(keys, dtype=np.int64).astype(np.uint64)
        if k.size == 0:
            return np.zeros((0, 4), dtype=np.uint64)
        # a key's high word is one of a few (keys of one reason or day share it)
        highs, which = np.unique(k >> np.uint64(32), return_inverse=True)
        prefixes = [self._prefix(h) for h in highs.tolist()]
        pools = np.array([p.pool for p in prefixes], dtype=np.uint64)[which]
        # every issue prefix has hashed as many words: the same constants follow
        return _seeds(pools, prefixes[0].next, k & np.uint64(_M32))

    def issue_seeded(self, key: int, seed: NDArray[np.uint64] | list[int]) -> np.random.Generator:
        """:meth:`issue` of ``key``, whose row of :meth:`issue_seeds` is ``seed``."""
        key = int(key)
        spawn_key = (self.replication, ISSUE_KEY, (key >> 32) & _M32, key & _M32)
        seq: Any = _Seeded(self.seed, spawn_key, seed)
        return np.random.Generator(np.random.PCG64(seq))


def streams_of(issue_stream: Any) -> Streams | None:
    """The :class:`Streams` whose :meth:`Streams.issue` ``issue_stream`` is (None: another)."""
    owner = getattr(issue_stream, "__self__", None)
    if isinstance(owner, Streams) and issue_stream == owner.issue:
        return owner
    return None


# ---- numpy's SeedSequence (numpy.random.bit_generator), in Python ints

_M32 = 0xFFFF_FFFF
_POOL = 4
"""numpy's default pool size (32-bit words)."""
_INIT_A = 0x43B0_D7E5
_MULT_A = 0x931E_8875
_INIT_B = 0x8B51_F9DD
_MULT_B = 0x58F3_8DED
_MIX_L = 0xCA01_F9DD
_MIX_R = 0x4973_F715


def _words(n: int) -> list[int]:
    """An int's 32-bit words, least significant first (0 is one word), as numpy splits it."""
    n = int(n)
    if n < 0:
        raise ValueError("expected non-negative integer")
    out = [n & _M32]
    n >>= 32
    while n:
        out.append(n & _M32)
        n >>= 32
    return out


def _consts(mult: int, start: int, count: int) -> list[int]:
    """The constants of ``count`` hashes from ``start``: before and after each, flat.

    SeedSequence's hashes step their constant by a fixed multiplier whatever they hash, so
    the constants of the k-th hash are known in advance.
    """
    out = []
    c = start
    for _ in range(count):
        out.append(c)
        c = c * mult & _M32
        out.append(c)
    return out


def _hashmix(value: int, before: int, after: int) -> int:
    value = (value ^ before) * after & _M32
    return value ^ value >> 16


def _mix(x: int, y: int) -> int:
    r = (_MIX_L * x - _MIX_R * y) & _M32
    return r ^ r >> 16


_UINT64 = np.dtype(np.uint64)
_HIGH_MEMO = 1024
"""At most this many pools by high word are kept (a bound on memory, never reached)."""
_OUT = _consts(_MULT_B, _INIT_B, 2 * _POOL)
"""The constants of ``generate_state``'s eight hashes (four 64-bit words, of two each)."""


class _Prefix:
    """SeedSequence's pool after the first words of an entropy: more words can follow.

    Args:
        pool: The pool's words.
        hashes: Hashes done so far (each steps the hash constant of the next).
    """

    def __init__(self, pool: Sequence[int], hashes: int) -> None:
        self.pool = tuple(pool)
        self.hashes = hashes
        start = _INIT_A * pow(_MULT_A, hashes, 1 << 32) & _M32
        self.next = tuple(_consts(_MULT_A, start, _POOL))
        """The constants of the next word's hashes, one per pool word: before and after."""

    @classmethod
    def of(cls, entropy: Sequence[int]) -> _Prefix:
        """The pool of ``entropy`` (the run's 32-bit words, padded, then the spawn key's)."""
        c = _consts(_MULT_A, _INIT_A, _POOL * _POOL)
        pool = [_hashmix(entropy[i], c[2 * i], c[2 * i + 1]) for i in range(_POOL)]
        k = 2 * _POOL
        # every pool word into every other, so late words can affect early ones
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    pool[dst] = _mix(pool[dst], _hashmix(pool[src], c[k], c[k + 1]))
                    k += 2
        prefix = cls(pool, _POOL * _POOL)
        for w in entropy[_POOL:]:
            prefix = prefix.then(w)
        return prefix

    def then(self, w: int) -> _Prefix:
        """The pool with the 32-bit word ``w`` mixed in after."""
        return _Prefix(self._mixed(w), self.hashes + _POOL)

    def _mixed(self, w: int) -> tuple[int, int, int, int]:
        """The pool words with ``w`` mixed into each (the busiest part of seeding)."""
        p0, p1, p2, p3 = self.pool
        a0, b0, a1, b1, a2, b2, a3, b3 = self.next
        left, right = _MIX_L, _MIX_R
        h = (w ^ a0) * b0 & _M32
        r = (left * p0 - right * (h ^ h >> 16)) & _M32
        h = (w ^ a1) * b1 & _M32
        s = (left * p1 - right * (h ^ h >> 16)) & _M32
        h = (w ^ a2) * b2 & _M32
        t = (left * p2 - right * (h ^ h >> 16)) & _M32
        h = (w ^ a3) * b3 & _M32
        u = (left * p3 - right * (h ^ h >> 16)) & _M32
        return r ^ r >> 16, s ^ s >> 16, t ^ t >> 16, u ^ u >> 16

    def generator(self, seed: int, spawn_key: tuple[int, ...], w: int) -> np.random.Generator:
        """``Generator(PCG64(SeedSequence(seed, spawn_key=spawn_key)))``.

        Args:
            seed: The run's entropy (the prefix's first words).
            spawn_key: The stream's whole spawn key.
            w: The 32-bit word that ends ``spawn_key``'s, the last of the entropy.
        """
        p0, p1, p2, p3 = self._mixed(w)
        # generate_state(4, np.uint64): eight 32-bit words from the pool, two per uint64
        c0, d0, c1, d1, c2, d2, c3, d3, c4, d4, c5, d5, c6, d6, c7, d7 = _OUT
        w0 = (p0 ^ c0) * d0 & _M32
        w1 = (p1 ^ c1) * d1 & _M32
        w2 = (p2 ^ c2) * d2 & _M32
        w3 = (p3 ^ c3) * d3 & _M32
        w4 = (p0 ^ c4) * d4 & _M32
        w5 = (p1 ^ c5) * d5 & _M32
        w6 = (p2 ^ c6) * d6 & _M32
        w7 = (p3 ^ c7) * d7 & _M32
        state = [
            (w0 ^ w0 >> 16) | (w1 ^ w1 >> 16) << 32,
            (w2 ^ w2 >> 16) | (w3 ^ w3 >> 16) << 32,
            (w4 ^ w4 >> 16) | (w5 ^ w5 >> 16) << 32,
            (w6 ^ w6 >> 16) | (w7 ^ w7 >> 16) << 32,
        ]
        # numpy's bit generators take any ISeedSequence (its stubs say SeedSequence only)
        seq: Any = _Seeded(seed, spawn_key, state)
        return np.random.Generator(np.random.PCG64(seq))


def _seeds(
    pools: NDArray[np.uint64], consts: tuple[int, ...], w: NDArray[np.uint64]
) -> NDArray[np.uint64]:
    """:meth:`_Prefix.generator`'s 128-bit seeds, for many pools and last words at once.

    Args:
        pools: Each key's pool before its last word, shape ``(n, 4)``.
        consts: The constants of the last word's hashes (``_Prefix.next``; the same for
            pools that hashed as many words).
        w: Each key's last 32-bit word.

    The same hashes in ``uint64``: every product of two 32-bit words fits, and wrapping at
    2**64 keeps the low 32 bits that a Python int's ``& _M32`` keeps.
    """
    m = np.uint64(_M32)
    s16 = np.uint64(16)
    pool = []
    for j in range(_POOL):
        h = ((w ^ np.uint64(consts[2 * j])) * np.uint64(consts[2 * j + 1])) & m
        h ^= h >> s16
        r = ((np.uint64(_MIX_L) * pools[:, j]) - np.uint64(_MIX_R) * h) & m
        pool.append(r ^ (r >> s16))
    out = np.empty((w.size, 4), dtype=np.uint64)
    for j in range(4):  # generate_state(4, np.uint64): two 32-bit words each
        lo, hi = (
            ((pool[i % _POOL] ^ np.uint64(_OUT[2 * i])) * np.uint64(_OUT[2 * i + 1])) & m
            for i in (2 * j, 2 * j + 1)
        )
        out[:, j] = (lo ^ (lo >> s16)) | ((hi ^ (hi >> s16)) << np.uint64(32))
    return out


class _Seeded(ISpawnableSeedSequence):
    """``SeedSequence(entropy, spawn_key=spawn_key)`` whose 128-bit seed for PCG64 is known.

    ``generate_state(4, np.uint64)``, what ``PCG64`` asks for, gives ``state``; anything
    else (other states, ``spawn``) goes to numpy's own ``SeedSequence``, made when first
    needed (or given: a spawned child).
    """

    def __init__(
        self,
        entropy: int | Sequence[int] | None,
        spawn_key: tuple[int, ...],
        state: NDArray[np.uint64] | list[int] | None,
        seq: np.random.SeedSequence | None = None,
    ) -> None:
        self.entropy = entropy
        self.spawn_key = spawn_key
        self._state = state
        self._seq = seq

    def generate_state(
        self, n_words: int, dtype: Any = np.uint32
    ) -> NDArray[np.uint32 | np.uint64]:
        """As ``SeedSequence.generate_state``."""
        if n_words == 4 and dtype is np.uint64 and self._state is not None:
            return np.array(self._state, _UINT64)
        return self.seed_sequence().generate_state(n_words, dtype)

    def spawn(self, n_children: int) -> list[_Seeded]:
        """As ``SeedSequence.spawn`` (which counts the children spawned)."""
        return [
            _Seeded(c.entropy, c.spawn_key, None, c) for c in self.seed_sequence().spawn(n_children)
        ]

    def seed_sequence(self) -> np.random.SeedSequence:
        """The ``SeedSequence`` numpy makes of the same entropy and spawn key (made once)."""
        if self._seq is None:
            self._seq = np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)
        return self._seq
