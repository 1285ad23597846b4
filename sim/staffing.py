"""Exact stationary figures of the Erlang C (M/M/c) and Erlang A (M/M/c+M) queues.

The model: contacts arrive as a Poisson stream (rate λ), wait in one first-come-first-served
queue for one of ``c`` identical agents, and need an exponential handle time (mean 1/μ). In
Erlang A every waiting contact also has an exponential patience (mean 1/θ) and abandons when it
runs out; Erlang C is the limit θ → 0 (infinite patience), stable only while the offered load
``a = λ/μ`` (Erlangs) is below ``c``. These are the analytic references the simulator must
reproduce (DESIGN §1) and the engine of ``promosim staff`` and ``promosim erlang``.

Every figure is a long-run stationary value. Probabilities and rates are fractions of the
contacts *offered* (all arrivals) unless their name says otherwise:

- ``prob_wait``: arrivals that find every agent busy ÷ offered; by PASTA this is P(N >= c),
  N the number in system.
- ``abandon_rate``: abandoned ÷ offered = θ·E[Q]/λ, Q the number waiting (abandonments happen
  at rate θQ).
- ``service_level``: answered with wait <= threshold ÷ offered. Abandoned contacts are failures
  even when they abandon before the threshold (DESIGN §4).
- ``asa_seconds``: total wait of answered contacts ÷ answered contacts.
- ``mean_wait_seconds``: total time in queue ÷ offered, abandoned contacts counted with their
  time until abandoning; = E[Q]/λ by Little's law.
- ``occupancy``: busy agent-time ÷ staffed agent-time = E[min(N, c)]/c
  (= a·(1 − abandon_rate)/c, as every answered contact brings one handle time of work).
- ``mean_queue_length``: time-average number waiting, E[Q].

Erlang A is computed exactly, not by the usual diffusion approximations. The stationary law of N
comes from the birth–death chain (birth λ, death min(n, c)μ + max(n − c, 0)θ) in log space,
truncated where a bound on the remaining mass is below 1e-17 of the largest state's, so hundreds
of agents and heavy overload are fine. Waiting-time figures use the tagged-customer view: an
arrival that finds ``j = n − c`` contacts ahead moves up at rate r_i = cμ + iθ while ``i`` are
ahead (someone ahead is served or abandons) and reaches an agent from the head at r_0 = cμ, so
its virtual wait is V = Σ_{i=0..j} Exp(r_i); its own patience τ ~ Exp(θ) runs throughout and it
is answered iff τ > V. Hence P(answered) = E[e^{−θV}] = Π r_i/(r_i + θ) and E[wait·1{answered}]
= E[V e^{−θV}] = P(answered)·Σ 1/(r_i + θ). For the threshold, P(V <= t, τ > V) =
P(answered)·P(H <= t) with H = Σ_{i=0..j} Exp(r_i + θ): each stage ends at rate r_i + θ and then
independently advances (prob. r_i/(r_i + θ)) or abandons. The rates r_i + θ = θ(β + i), β = 1 +
cμ/θ, form an arithmetic progression, so e^{−θH} is a product of independent Beta(β + i, 1)
variables, i.e. Beta(β, j + 1), and P(H <= t) = I_{1 − e^{−θt}}(j + 1, β), the regularised
incomplete beta function: exact and cheap for every j at once.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import betainc

_SECONDS_PER_HOUR = 3600.0

# Truncate the birth–death chain once a bound on the remaining (mass × index) falls below
# this, relative to the largest state weight: far below every figure's double precision.
_TAIL_TOLERANCE = 1e-17

# Refuse state spaces beyond this many states (memory: a few arrays of this length). Only
# reached when patience is enormous relative to an overload, where Erlang A degenerates
# into an unstable Erlang C anyway.
_MAX_STATES = 20_000_000

# agents_for_targets gives up beyond max(this, 10 × load) agents.
_MAX_SEARCH_AGENTS = 100_000


@dataclass(frozen=True)
class QueueFigures:
    """Stationary figures of an M/M/c (+M) queue. Rates per contact offered unless said.

    Attributes:
        agents: Number of agents ``c``.
        offered_load_erlangs: Arrival rate × mean handle time.
        prob_wait: P(an arriving contact finds all agents busy) (PASTA).
        abandon_rate: Abandoned ÷ offered.
        service_level: Answered with wait <= threshold ÷ offered; abandoned contacts are
            failures, even if they abandoned before the threshold.
        asa_seconds: Mean wait of answered contacts only. ``nan`` when no contact is ever
            answered (Erlang A with zero agents).
        mean_wait_seconds: Mean time in queue over all offered contacts (abandoned ones:
            their time in queue until abandoning).
        occupancy: Busy agent-time ÷ staffed agent-time = E[min(N, c)] / c (0 with no agents).
        mean_queue_length: Time-average number waiting.
        stable: False only for Erlang C with load >= agents.
    """

    agents: int
    offered_load_erlangs: float
    prob_wait: float
    abandon_rate: float
    service_level: float
    asa_seconds: float
    mean_wait_seconds: float
    occupancy: float
    mean_queue_length: float
    stable: bool


# --------------------------------------------------------------------------- validation


def _nonnegative(name: str, value: float, *, allow_inf: bool = False) -> float:
    x = float(value)
    if math.isnan(x) or x < 0 or (math.isinf(x) and not allow_inf):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return x


def _positive(name: str, value: float) -> float:
    x = float(value)
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return x


def _agents(value: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"agents must be an integer >= 0, got {value!r}")
    try:
        c = operator.index(value)
    except TypeError:
        raise ValueError(f"agents must be an integer >= 0, got {value!r}") from None
    if c < 0:
        raise ValueError(f"agents must be an integer >= 0, got {value!r}")
    return c


def _patience(value: float | None) -> float | None:
    """Mean patience in seconds, or None for infinite patience (``math.inf`` means the same)."""
    if value is None:
        return None
    x = float(value)
    if math.isinf(x) and x > 0:
        return None
    return _positive("mean_patience_seconds", x)


def _fraction(name: str, value: float | None, *, zero_ok: bool = True) -> float | None:
    if value is None:
        return None
    x = float(value)
    if math.isnan(x) or x > 1 or x < 0 or (x == 0 and not zero_ok):
        bound = "[0, 1]" if zero_ok else "(0, 1]"
        raise ValueError(f"{name} must be in {bound}, got {value!r}")
    return x


# ------------------------------------------------------------------------------ Erlang B/C


def erlang_b(load_erlangs: float, agents: int) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    Uses the recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), whose terms stay in
    [0, 1]: no factorials, no overflow, stable for agents in the thousands.

    Args:
        load_erlangs: Offered load ``a`` in Erlangs (arrival rate × mean holding time), >= 0.
        agents: Number of servers ``c`` >= 0.

    Returns:
        P(an arrival finds all ``c`` servers busy); 1 when ``agents`` is 0.

    Raises:
        ValueError: On a negative or non-finite load or a negative number of agents.
    """
    a = _nonnegative("load_erlangs", load_erlangs)
    c = _agents(agents)
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def _unstable(agents: int, load: float) -> QueueFigures:
    return QueueFigures(
        agents=agents,
        offered_load_erlangs=load,
        prob_wait=1.0,
        abandon_rate=0.0,
        service_level=0.0,
        asa_seconds=math.inf,
        mean_wait_seconds=math.inf,
        occupancy=1.0,
        mean_queue_length=math.inf,
        stable=False,
    )


def erlang_c(
    rate_per_hour: float, mean_handle_seconds: float, agents: int, threshold_seconds: float
) -> QueueFigures:
    """Stationary figures of the M/M/c queue (Erlang C, infinite patience).

    Args:
        rate_per_hour: Arrival rate λ, contacts per hour, >= 0.
        mean_handle_seconds: Mean handle time 1/μ in seconds, > 0.
        agents: Number of agents ``c`` >= 0.
        threshold_seconds: Service-level threshold in seconds, >= 0 (``math.inf`` allowed).

    Returns:
        The figures. With load >= agents the queue has no stationary law: ``stable`` is
        False, prob_wait = occupancy = 1, abandon_rate = service_level = 0 and the
        waiting figures are ``math.inf`` (this includes zero agents, even with no arrivals).
        Without arrivals (and agents >= 1) the figures are their λ → 0 limits.

    Raises:
        ValueError: On negative or non-finite inputs.
    """
    rate = _nonnegative("rate_per_hour", rate_per_hour)
    handle = _positive("mean_handle_seconds", mean_handle_seconds)
    c = _agents(agents)
    threshold = _nonnegative("threshold_seconds", threshold_seconds, allow_inf=True)
    lam = rate / _SECONDS_PER_HOUR
    load = lam * handle
    if load >= c:
        return _unstable(c, load)
    b = erlang_b(load, c)
    prob_wait = c * b / (c - load * (1.0 - b))
    gap = c - load  # idle agents on average; the queue drains at rate (c − a)μ
    wait = prob_wait * handle / gap  # everyone is answered: ASA = mean wait over all
    return QueueFigures(
        agents=c,
        offered_load_erlangs=load,
        prob_wait=prob_wait,
        abandon_rate=0.0,
        service_level=1.0 - prob_wait * math.exp(-gap * threshold / handle),
        asa_seconds=wait,
        mean_wait_seconds=wait,
        occupancy=load / c,
        mean_queue_length=lam * wait,
        stable=True,
    )


# -------------------------------------------------------------------------------- Erlang A


def _stationary(lam: float, mu: float, theta: float, agents: int) -> NDArray[np.float64]:
    """Stationary P(N = n), n = 0..top, of the M/M/c+M birth–death chain (λ, μ, θ > 0).

    Weights are built in log space (log π_n − log π_0 = Σ_{k<=n} log(λ/d_k)) so neither
    large c nor heavy overload overflows. The chain is cut at ``top`` past the mode once
    π_top·ρ/(1−ρ)²·(top+1), with ρ = λ/d_{top+1} the (decreasing) ratio of successive
    terms, bounds the neglected mass and its contribution to E[Q] below _TAIL_TOLERANCE.
    """
    c = agents
    if lam <= c * mu:
        mode = int(lam / mu)
    else:
        mode = c + int((lam - c * mu) / theta)
    extra = 64 + 8 * math.isqrt(mode + 1)
    log_lam = math.log(lam)
    while True:
        top = max(mode, c) + extra
        if top > _MAX_STATES:
            raise ValueError(
                f"Erlang A state space exceeds {_MAX_STATES} states: patience is too long "
                "for this overload (the queue is effectively unstable)"
            )
        n = np.arange(1, top + 2, dtype=np.float64)
        death = np.minimum(n, c) * mu + np.maximum(n - c, 0.0) * theta
        log_ratio = log_lam - np.log(death)
        log_w = np.empty(top + 1)
        log_w[0] = 0.0
        np.cumsum(log_ratio[:-1], out=log_w[1:])
        peak = float(log_w.max())
        rho = lam / float(death[-1])
        if rho < 1.0:
            tail = math.exp(float(log_w[-1]) - peak) * rho / (1.0 - rho) ** 2 * (top + 1)
            if tail < _TAIL_TOLERANCE:
                break
        extra *= 2
    w = np.exp(log_w - peak)
    result: NDArray[np.float64] = w / w.sum()
    return result


def _tagged(
    agents: int, mu: float, theta: float, max_ahead: int, threshold: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Tagged-customer figures for an arrival that finds j = 0..max_ahead contacts ahead.

    Returns:
        ``(answered, answered_within, wait_if_answered)``: P(τ > V), P(V <= t, τ > V) and
        E[V·1{τ > V}], each an array over j (rates per second, times in seconds).
    """
    j = np.arange(max_ahead + 1, dtype=np.float64)
    advance = agents * mu + j * theta  # r_j: someone ahead is served or abandons
    stage = advance + theta  # the tagged contact's own patience competes too
    if agents == 0:
        # Nobody is ever served: the tagged contact waits until it abandons.
        zeros = np.zeros(max_ahead + 1)
        return zeros, zeros.copy(), zeros.copy()
    answered = np.exp(np.cumsum(np.log(advance) - np.log(stage)))
    wait_if_answered = answered * np.cumsum(1.0 / stage)
    beta = 1.0 + agents * mu / theta
    x = -math.expm1(-theta * threshold)  # 1 − e^{−θt}, accurate for small θt
    within = np.asarray(betainc(j + 1.0, beta, x), dtype=np.float64)
    return answered, answered * within, wait_if_answered


def erlang_a(
    rate_per_hour: float,
    mean_handle_seconds: float,
    mean_patience_seconds: float | None,
    agents: int,
    threshold_seconds: float,
) -> QueueFigures:
    """Stationary figures of the M/M/c+M queue (Erlang A), computed exactly.

    Args:
        rate_per_hour: Arrival rate λ, contacts per hour, >= 0.
        mean_handle_seconds: Mean handle time 1/μ in seconds, > 0.
        mean_patience_seconds: Mean (exponential) patience 1/θ in seconds, > 0; None (or
            ``math.inf``) means infinite patience, and the result is exactly
            :func:`erlang_c`'s.
        agents: Number of agents ``c`` >= 0. Zero agents is allowed: everyone abandons
            (abandon_rate 1, service_level 0, occupancy 0, asa ``nan``, mean wait = mean
            patience).
        threshold_seconds: Service-level threshold in seconds, >= 0 (``math.inf`` allowed).

    Returns:
        The figures; always ``stable`` for finite patience. Without arrivals they are the
        λ → 0 limits.

    Raises:
        ValueError: On negative or non-finite inputs, or if the truncated state space would
            exceed 20 million states (patience enormous relative to an overload).
    """
    patience = _patience(mean_patience_seconds)
    if patience is None:
        return erlang_c(rate_per_hour, mean_handle_seconds, agents, threshold_seconds)
    rate = _nonnegative("rate_per_hour", rate_per_hour)
    handle = _positive("mean_handle_seconds", mean_handle_seconds)
    c = _agents(agents)
    threshold = _nonnegative("threshold_seconds", threshold_seconds, allow_inf=True)
    lam = rate / _SECONDS_PER_HOUR
    mu = 1.0 / handle
    theta = 1.0 / patience
    load = lam * handle

    if lam == 0.0:
        # λ → 0 limits: the arrival finds an empty system.
        nobody = c == 0  # then every contact waits out its patience and abandons
        return QueueFigures(
            agents=c,
            offered_load_erlangs=0.0,
            prob_wait=1.0 if nobody else 0.0,
            abandon_rate=1.0 if nobody else 0.0,
            service_level=0.0 if nobody else 1.0,
            asa_seconds=math.nan if nobody else 0.0,
            mean_wait_seconds=patience if nobody else 0.0,
            occupancy=0.0,
            mean_queue_length=0.0,
            stable=True,
        )

    p = _stationary(lam, mu, theta, c)
    n = np.arange(p.size, dtype=np.float64)
    queued = p[c:]  # states where an arrival has j = n − c contacts ahead
    no_wait = float(p[:c].sum())
    mean_queue = float((n[c:] - c) @ queued)
    answered, answered_within, wait_if_answered = _tagged(c, mu, theta, queued.size - 1, threshold)
    answered_total = no_wait + float(queued @ answered)
    # Busy agents: min(n, c). For n >= c that is c, so split the sum there.
    busy = float(n[:c] @ p[:c]) + c * float(queued.sum())
    # Rounding can push a probability a few ulps past 1; clip so callers may rely on [0, 1].
    return QueueFigures(
        agents=c,
        offered_load_erlangs=load,
        prob_wait=min(1.0, float(queued.sum())),
        abandon_rate=min(1.0, theta * mean_queue / lam),
        service_level=min(1.0, no_wait + float(queued @ answered_within)),
        asa_seconds=(
            float(queued @ wait_if_answered) / answered_total if answered_total > 0 else math.nan
        ),
        mean_wait_seconds=mean_queue / lam,
        occupancy=min(1.0, busy / c) if c > 0 else 0.0,
        mean_queue_length=mean_queue,
        stable=True,
    )


# -------------------------------------------------------------------------------- staffing


def agents_for_targets(
    rate_per_hour: float,
    mean_handle_seconds: float,
    mean_patience_seconds: float | None,
    threshold_seconds: float,
    *,
    min_service_level: float | None = None,
    max_abandon_rate: float | None = None,
    max_asa_seconds: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """The least number of agents that meets every given target, by :func:`erlang_a`.

    Each figure improves monotonically with more agents (the queue length is stochastically
    smaller and every waiting contact moves faster), so the set of agent counts meeting the
    targets is a ray and a doubling-then-bisection search finds its first point. With
    infinite patience (Erlang C) only stable counts (agents > load) qualify.

    Args:
        rate_per_hour: Arrival rate, contacts per hour, >= 0.
        mean_handle_seconds: Mean handle time in seconds, > 0.
        mean_patience_seconds: Mean patience in seconds, or None for infinite patience.
        threshold_seconds: Service-level threshold in seconds, >= 0.
        min_service_level: Lowest acceptable service level, in [0, 1].
        max_abandon_rate: Highest acceptable abandoned ÷ offered, in [0, 1].
        max_asa_seconds: Highest acceptable mean wait of answered contacts, >= 0.
        max_occupancy: Highest acceptable occupancy, in (0, 1].

    Returns:
        The least agent count meeting every target.

    Raises:
        ValueError: On invalid inputs, when no target is given, or when the targets are not
            met by max(100 000, 10 × load) agents (e.g. an occupancy cap far below the
            load per agent). Limits such as a service level of exactly 1 are met once the
            figure rounds to them in double precision.
    """
    min_sl = _fraction("min_service_level", min_service_level)
    max_ab = _fraction("max_abandon_rate", max_abandon_rate)
    max_occ = _fraction("max_occupancy", max_occupancy, zero_ok=False)
    max_asa = None if max_asa_seconds is None else _nonnegative("max_asa_seconds", max_asa_seconds)
    if min_sl is None and max_ab is None and max_asa is None and max_occ is None:
        raise ValueError("agents_for_targets needs at least one target")
    patience = _patience(mean_patience_seconds)
    rate = _nonnegative("rate_per_hour", rate_per_hour)
    handle = _positive("mean_handle_seconds", mean_handle_seconds)
    threshold = _nonnegative("threshold_seconds", threshold_seconds, allow_inf=True)
    load = rate / _SECONDS_PER_HOUR * handle

    def meets(agents: int) -> bool:
        f = erlang_a(rate, handle, patience, agents, threshold)
        # Written so that nan (no contact ever answered) fails the ASA target.
        return (
            f.stable
            and (min_sl is None or f.service_level >= min_sl)
            and (max_ab is None or f.abandon_rate <= max_ab)
            and (max_asa is None or f.asa_seconds <= max_asa)
            and (max_occ is None or f.occupancy <= max_occ)
        )

    limit = max(_MAX_SEARCH_AGENTS, 10 * math.ceil(load))
    low = math.floor(load) + 1 if patience is None else 0  # Erlang C: least stable count
    if meets(low):
        return low
    high = max(low + 1, math.ceil(load) + 1)
    while not meets(high):  # invariant: `low` fails
        if high >= limit:
            raise ValueError(f"targets not met with up to {limit} agents")
        low, high = high, min(2 * high, limit)
    while high - low > 1:  # invariant: `low` fails, `high` meets
        mid = (low + high) // 2
        if meets(mid):
            high = mid
        else:
            low = mid
    return high
