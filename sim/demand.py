"""Demand: the contacts that arrive, drawn up front as arrays (no per-contact Python loop).

This release models direct contact streams (``arrivals`` in the scenario: a constant-rate
Poisson stream, or a rate per interval); order-driven demand builds on the same
:class:`Contacts` arrays.

Everything exogenous to the queue is drawn here, before the contact centre runs: arrival
times, channel, handle time and patience of every contact. The engine then only decides what
depends on the state of the queue. That is what makes common random numbers exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.config import PoissonArrivals, ProfileArrivals, Scenario
from sim.distributions import draw
from sim.rng import Streams


@dataclass(frozen=True)
class Contacts:
    """Contacts of one replication, sorted by arrival time; index ``i`` is contact ``i``.

    Attributes:
        arrival_seconds: Arrival time, seconds from the start of the horizon.
        channel: Index into ``channels``.
        reason: Index into ``reasons``.
        handle_seconds: Agent time the contact holds one slot once answered.
        patience_seconds: Time the customer waits before abandoning (``inf``: never).
        channels: Channel names, in the scenario's order.
        reasons: Reason names, in order of first appearance in the scenario.
    """

    arrival_seconds: NDArray[np.float64]
    channel: NDArray[np.int32]
    reason: NDArray[np.int32]
    handle_seconds: NDArray[np.float64]
    patience_seconds: NDArray[np.float64]
    channels: tuple[str, ...]
    reasons: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.arrival_seconds.size)


def reasons_of(scenario: Scenario) -> tuple[str, ...]:
    """Reason names of a scenario, in order of first appearance."""
    return tuple(dict.fromkeys(a.reason for a in scenario.arrivals))


def _stream_times(
    spec: PoissonArrivals | ProfileArrivals, scenario: Scenario, rng: np.random.Generator
) -> NDArray[np.float64]:
    cal = scenario.calendar
    if isinstance(spec, PoissonArrivals):
        n = rng.poisson(spec.contacts_per_hour / 3600.0 * cal.horizon_seconds)
        return np.sort(rng.uniform(0.0, cal.horizon_seconds, n))
    rates = np.asarray(spec.contacts_per_hour, dtype=np.float64)
    width = 3600.0 if rates.size == 24 else cal.interval_seconds
    steps = math.ceil(cal.horizon_seconds / width - 1e-9)
    rates = np.resize(rates, steps)  # a day's profile repeats; a whole horizon's fits already
    lengths = np.minimum(width, cal.horizon_seconds - np.arange(steps) * width)
    # Ciw's PoissonIntervals: a Poisson count per step, spread uniformly inside it.
    counts = rng.poisson(rates * lengths / 3600.0)
    starts = np.repeat(np.arange(steps) * width, counts)
    times = starts + rng.uniform(0.0, 1.0, starts.size) * np.repeat(lengths, counts)
    # Sorting within intervals suffices, but a full sort is as fast and obviously right.
    return np.sort(times)


def direct_contacts(scenario: Scenario, streams: Streams) -> Contacts:
    """The contacts of the scenario's direct ``arrivals`` streams."""
    channels = tuple(scenario.channels)
    reasons = reasons_of(scenario)
    times_parts: list[NDArray[np.float64]] = []
    channel_parts: list[NDArray[np.int32]] = []
    reason_parts: list[NDArray[np.int32]] = []
    for i, spec in enumerate(scenario.arrivals):
        times = _stream_times(spec, scenario, streams(f"arrivals.{i}.times"))
        mix = spec.mix
        idx = np.array([channels.index(c) for c in mix], dtype=np.int32)
        if len(mix) == 1:
            chan = np.full(times.size, idx[0], dtype=np.int32)
        else:
            p = np.array(list(mix.values()), dtype=np.float64)
            pick = streams(f"arrivals.{i}.channel").choice(idx.size, times.size, p=p / p.sum())
            chan = idx[pick]
        times_parts.append(times)
        channel_parts.append(chan)
        reason_parts.append(np.full(times.size, reasons.index(spec.reason), dtype=np.int32))
    if times_parts:
        times = np.concatenate(times_parts)
        order = np.argsort(times, kind="stable")
        arrival = times[order]
        channel = np.concatenate(channel_parts)[order]
        reason = np.concatenate(reason_parts)[order]
    else:
        arrival = np.zeros(0)
        channel = np.zeros(0, dtype=np.int32)
        reason = np.zeros(0, dtype=np.int32)
    handle = np.empty(arrival.size)
    patience = np.full(arrival.size, np.inf)
    for ci, name in enumerate(channels):
        mask = channel == ci
        n = int(mask.sum())
        spec_c = scenario.channels[name]
        handle[mask] = draw(spec_c.handle_time_seconds, streams(f"handle.{name}"), n)
        if spec_c.patience_seconds is not None:
            patience[mask] = draw(spec_c.patience_seconds, streams(f"patience.{name}"), n)
    return Contacts(arrival, channel, reason, handle, patience, channels, reasons)
