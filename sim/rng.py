"""Named random streams (numpy ``Generator``s) and the issues' counter-based uniforms.

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
on the seed and the replication is done once per replication.

A customer issue's follow-ups (redials, repeats, transfers), and the first contact of an
order's issue, draw from no generator: their uniforms are one function of a key (the
issue's, or for a first contact its order's) and a draw counter (:class:`IssueDraws`), so
they can be computed for a chunk of issues at once in numpy, or for one issue in Python
ints, and the two give the same bits — and only for the issues that happen, not for every
order that might have had one.
"""

from __future__ import annotations

import functools
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
"""Spawn-key part that sets the issues' words apart from named streams (keys from sha256)."""


class Streams:
    """The named random streams of one replication, and its issues' uniforms.

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

    def __call__(self, name: str) -> np.random.Generator:
        """A fresh generator for the stream ``name``; each name may be asked for once.

        Asking twice would silently reuse draws between two processes, so it is an error.
        """
        if name in self._made:
            raise ValueError(f"random stream {name!r} was already handed out")
        self._made.add(name)
        key = stream_key(name)
        return self._named.generator(self.seed, (self.replication, key), key)

    @functools.cached_property
    def issues(self) -> IssueDraws:
        """The uniforms of this replication's issues' follow-ups (made when first asked)."""
        state = np.random.SeedSequence(self.seed, spawn_key=(self.replication, ISSUE_KEY))
        k0, k1 = state.generate_state(2, np.uint64).tolist()
        return IssueDraws(k0, k1)


_M64 = (1 << 64) - 1
_GAMMA = 0x9E37_79B9_7F4A_7C15
"""2**64 over the golden ratio, odd: SplitMix64's step."""
_MUL1 = 0xBF58_476D_1CE4_E5B9
_MUL2 = 0x94D0_49BB_1331_11EB
"""The multipliers of SplitMix64's finaliser (Stafford's "Mix13")."""
_UNIT = 1.0 / (1 << 53)
"""A 53-bit integer times this is a float in [0, 1), exactly."""
_WEYL_MEMO = 256
"""At most this many rows' counters are kept (the engine asks for one per follow-up index)."""


class IssueDraws:
    """The uniforms of one replication's issues' follow-ups: a function, not a generator.

    Draw ``c`` (0, 1, …) of the issue whose key is ``k`` (a non-negative int64) is, in
    arithmetic modulo 2**64,

        s = mix(K0 + k·γ)                              the issue's seed
        u = (mix(s xor (K1 + c·γ)) >> 11) · 2**-53     a float in [0, 1), 53 random bits

    where ``mix`` is SplitMix64's finaliser (a bijection of 64-bit words whose every output
    bit depends on every input bit), γ its odd step, and K0, K1 the replication's two words:
    the first two 64-bit words of ``SeedSequence(seed, spawn_key=(replication, ISSUE_KEY))``.
    ``s`` is a bijection of ``k``: two issues of a replication never share a seed. One
    issue's draws are SplitMix64's finaliser over a Weyl sequence (step γ) xor its seed.
    A draw depends on the seed, the replication, the issue's key and ``c`` alone,
    never on which issues exist or the order in which they draw, so it is the same in
    every arm and under any staffing.

    The engine reads draw ``c = j · FOLLOW_ROWS + r`` as row ``r`` of the issue's follow-up
    ``j``; the demand reads an order's draws from ``FIRST_DRAW | stream_key(reason) << 8``
    as its first contact's rows for that reason (:mod:`sim.uniforms`). :meth:`uniforms`
    computes draws of many issues at once in numpy; :meth:`row` those of one issue in
    Python ints: the same bits.

    Args:
        k0: The replication's first word (K0).
        k1: Its second word (K1).
    """

    def __init__(self, k0: int, k1: int) -> None:
        self.k0 = k0 & _M64
        self.k1 = k1 & _M64
        self._weyl: dict[tuple[int, int], list[int]] = {}
        """``K1 + c·γ`` of the counters of a :meth:`row`, by its start and count."""

    def uniforms(self, keys: NDArray[np.int64], start: int, count: int) -> NDArray[np.float64]:
        """Draws ``start`` to ``start + count - 1`` of the issues ``keys``: shape ``(n, count)``."""
        k = np.asarray(keys, dtype=np.int64).astype(np.uint64)
        s = _mix64(k * np.uint64(_GAMMA) + np.uint64(self.k0))
        c = np.arange(start, start + count, dtype=np.uint64)
        z = _mix64(s[:, None] ^ (c * np.uint64(_GAMMA) + np.uint64(self.k1)))
        z >>= np.uint64(11)
        out = z.astype(np.float64)
        out *= _UNIT
        return out

    def row(self, key: int, start: int, count: int) -> list[float]:
        """:meth:`uniforms` of one issue, as Python floats (bit for bit the same)."""
        z = (self.k0 + int(key) * _GAMMA) & _M64
        z = (z ^ z >> 30) * _MUL1 & _M64
        z = (z ^ z >> 27) * _MUL2 & _M64
        s = z ^ z >> 31
        weyl = self._weyl.get((start, count))
        if weyl is None:
            if len(self._weyl) >= _WEYL_MEMO:
                self._weyl.clear()
            weyl = [(self.k1 + c * _GAMMA) & _M64 for c in range(start, start + count)]
            self._weyl[start, count] = weyl
        out = []
        for w in weyl:
            z = s ^ w
            z = (z ^ z >> 30) * _MUL1 & _M64
            z = (z ^ z >> 27) * _MUL2 & _M64
            out.append(((z >> 11) ^ (z >> 42)) * _UNIT)  # (z ^ z >> 31) >> 11
        return out


def _mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finaliser on every word, modulo 2**64 (in place: ``z`` is spent)."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(_MUL1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_MUL2)
    z ^= z >> np.uint64(31)
    return z


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
