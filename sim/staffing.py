"""Exact stationary figures of the Erlang C (M/M/c) and Erlang A (M/M/c+M) queues.

The model: contacts arrive as a Poisson stream (rate λ), wait in one first-come-first-served
queue for one of ``c`` identical agents, and need an exponential handle time (mean 1/μ). In
Erlang A every waiting contact also has an exponential patience (mean 1/θ) and abandons when it
runs out; Erlang C is the limit θ → 0 (infinite patience), stable only while the offered load
``a = λ/μ`` (Erlangs) is below ``c``. These are the analytic references the simulator must
reproduce (docs/validation.md) and the engine of ``promosim staff`` and ``promosim erlang``.

Every figure is a long-run stationary value. Probabilities and rates are fractions of the
contacts *offered* (all arrivals) unless their name says otherwise:

- ``prob_wait``: arrivals that find every agent busy ÷ offered; by PASTA this is P(N >= c),
  N the number in system.
- ``abandon_rate``: abandoned ÷ offered = θ·E[Q]/λ, Q the number waiting (abandonments happen
  at rate θQ).
- ``service_level``: answered with wait <= threshold ÷ offered. Abandoned contacts are failures
  even when they abandon before the threshold (docs/metrics.md).
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

The second half is the search behind ``promosim staff`` (:func:`staff`): targets such as
``chat.service_level>=0.9`` (:func:`parse_target`), an Erlang A start per group and interval
from the offered load of a simulation with every planned group ample, refined by simulation on
common random numbers with the groups on ``intervals`` schedules, judged on fresh seeds,
and the resulting :class:`StaffPlan`: its shortfall and surplus (never netted), the
roster of extra shifts that covers the shortfall at the least cost (:mod:`sim.roster`),
judged on fresh seeds too, its CSV (:func:`staffing_csv`) and the plan as a schedule
(:func:`plan_block`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import betainc

from sim import fmath
from sim.center import group_levels
from sim.config import Channel, ExtraShift, IntervalSchedule, Scenario, dist_mean
from sim.economics import hourly_cost_yuan
from sim.experiment import Job, Runner
from sim.hours import open_spans
from sim.loading import Problem, ScenarioError
from sim.localtime import LocalClock
from sim.metrics import ReplicationMetrics, overlap
from sim.roster import Roster, book_for, extra_shifts_block
from sim.stats import describe_columns

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
        log_ratio = log_lam - fmath.log(death)
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
    w = fmath.exp(log_w - peak)
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
    answered = fmath.exp(np.cumsum(fmath.log(advance) - fmath.log(stage)))
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
    mean_queue = fmath.dot(n[c:] - c, queued)
    answered, answered_within, wait_if_answered = _tagged(c, mu, theta, queued.size - 1, threshold)
    answered_total = no_wait + fmath.dot(queued, answered)
    # Busy agents: min(n, c). For n >= c that is c, so split the sum there.
    busy = fmath.dot(n[:c], p[:c]) + c * float(queued.sum())
    # Rounding can push a probability a few ulps past 1; clip so callers may rely on [0, 1].
    return QueueFigures(
        agents=c,
        offered_load_erlangs=load,
        prob_wait=min(1.0, float(queued.sum())),
        abandon_rate=min(1.0, theta * mean_queue / lam),
        service_level=min(1.0, no_wait + fmath.dot(queued, answered_within)),
        asa_seconds=(
            fmath.dot(queued, wait_if_answered) / answered_total if answered_total > 0 else math.nan
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


# ====================================================================== promosim staff
#
# The staffing search behind ``promosim staff``: agents per interval and group meeting
# every target at the least agent-hours. Erlang A per interval gives the start; simulation
# under common random numbers refines it. See :func:`staff`.

TARGET_METRICS: dict[str, str] = {
    "service_level": ">=",
    "kpi_service_level": ">=",
    "abandon_rate": "<=",
    "asa_seconds": "<=",
    "occupancy": "<=",
}
"""The per-channel metrics a target may name, with the one direction each may take.

``kpi_service_level`` needs the channel's ``kpi_hours``: over the whole run it is the metric
of that name; per interval it is the interval's service level, judged only on intervals
inside the KPI hours (where the two are the same)."""

_SERVICE_LEVELS = frozenset({"service_level", "kpi_service_level"})

_TARGET_RE = re.compile(
    r"^\s*(?P<channel>[a-z][a-z0-9_]*)\.(?P<metric>[a-z_]+)\s*"
    r"(?P<op>>=|<=|≥|≤)\s*(?P<value>[-+0-9.eE]+)\s*$"
)

_TARGET_FILE = "--target"

_DEFAULT_MAX_ITERATIONS = 8

CONFIDENCE = 0.99
"""Confidence of the intervals ``staff`` states and of its fresh-seed check of a plan."""

SEARCH_REPLICATIONS = 10
"""Replications of the search's simulations (at most the scenario's): the fresh-seed check,
with all of the scenario's, is what a plan is judged on."""

LOAD_REPLICATIONS = 4
"""Replications of the load's simulation (at most the search's). It only sets the Erlang
start: the first refinement measures the load again on all the search's replications and
the steps and trims use that. Four are two rounds on two workers, half the time of ten.
The price, measured 2026-12-04: the bundled scenario's plan (two targets) is within an
agent-hour of ten's; the stationary Erlang A day's (tests/test_staff.py, seeds 1–8) stays
within ±1 of the exact minimum and never below it, 218.1 agent-hours on average against
217.4 with ten (exact 216): a noisier start leaves more intervals one agent over, which
the one trim does not always take back."""

AMPLE_FACTOR = 10
"""The load is measured with each planned group this many times its most agents on duty in
its own schedule, and at least :data:`AMPLE_AGENTS`: so many that hardly a buyer waits."""
AMPLE_AGENTS = 100
"""The least agents of a planned group while the load is measured (:data:`AMPLE_FACTOR`)."""

# Misses of a search simulation after the trim's, as a share of its judged (target,
# interval) cells, few enough to get their agents without another search simulation: the
# fresh check judges them on new seeds, as it judges the whole plan.
_CLOSE_SHARE = 0.005
# Fresh checks of a booked plan before ``staff`` gives up fixing what they find.
_FRESH_ROUNDS = 3
# Spawn-key word of the fresh checks' seeds ("FRSH"), apart from every stream's key.
_FRESH_KEY = 0x4652_5348


@dataclass(frozen=True)
class Target:
    """A service target on one channel: ``chat.service_level >= 0.9``.

    Attributes:
        metric: ``"<channel>.<metric>"``, the metric one of :data:`TARGET_METRICS`.
        op: ``">="`` (service level) or ``"<="`` (the others).
        value: The bound: a fraction for service level, abandon rate and occupancy,
            seconds for ASA.
    """

    metric: str
    op: str
    value: float

    @property
    def channel(self) -> str:
        """The channel the target is on."""
        return self.metric.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The per-channel metric: ``service_level``, ``abandon_rate``, and so on."""
        return self.metric.split(".", 1)[1]

    def met(self, x: float) -> bool:
        """Whether a figure meets the target; ``nan`` (nothing measured) counts as met."""
        if math.isnan(x):
            return True
        return x >= self.value if self.op == ">=" else x <= self.value

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def _target_error(path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(file=_TARGET_FILE, line=None, path=path, message=message)])


def parse_target(text: str) -> Target:
    """Parse ``CHANNEL.METRIC>=VALUE`` or ``CHANNEL.METRIC<=VALUE`` (``≥``/``≤`` also work).

    Metrics and their direction: ``service_level >=``, ``kpi_service_level >=``,
    ``abandon_rate <=``, ``asa_seconds <=`` (seconds), ``occupancy <=``. Fractions must lie
    in [0, 1] (occupancy in (0, 1]); ASA must be finite and >= 0. Whether the channel exists
    (and has ``kpi_hours`` for a KPI target) is checked against the scenario by
    :func:`check_targets`.

    Raises:
        ScenarioError: One :class:`~sim.loading.Problem` whose file is ``--target``.
    """
    m = _TARGET_RE.fullmatch(text)
    if m is None:
        raise _target_error("", f"{text!r} is not CHANNEL.METRIC>=VALUE or CHANNEL.METRIC<=VALUE")
    key = f"{m['channel']}.{m['metric']}"
    metric = m["metric"]
    op = {"≥": ">=", "≤": "<="}.get(m["op"], m["op"])
    if metric not in TARGET_METRICS:
        raise _target_error(
            key, f"unknown metric {metric!r}; use one of {', '.join(TARGET_METRICS)}"
        )
    if op != TARGET_METRICS[metric]:
        raise _target_error(key, f"{metric} takes a bound with {TARGET_METRICS[metric]}")
    try:
        value = float(m["value"])
    except ValueError:
        raise _target_error(key, f"{m['value']!r} is not a number") from None
    if not math.isfinite(value):
        raise _target_error(key, f"{m['value']!r} is not a finite number")
    if metric == "asa_seconds":
        if value < 0:
            raise _target_error(key, f"must be >= 0 seconds, got {value:g}")
    elif metric == "occupancy":
        if not 0 < value <= 1:
            raise _target_error(key, f"must be a fraction in (0, 1], got {value:g}")
    elif not 0 <= value <= 1:
        raise _target_error(key, f"must be a fraction in [0, 1], got {value:g}")
    return Target(key, op, value)


def check_targets(scenario: Scenario, targets: Sequence[Target]) -> None:
    """Check that there is a target and that every target's channel is in the scenario.

    A ``kpi_service_level`` target also needs its channel's ``kpi_hours`` (without them the
    metric does not exist and could never be missed).

    Raises:
        ScenarioError: With one ``--target`` problem per unknown channel or missing
            ``kpi_hours``.
    """
    if not targets:
        raise _target_error("", "give at least one target, e.g. chat.service_level>=0.9")
    problems = []
    for t in targets:
        channel = scenario.channels.get(t.channel)
        if channel is None:
            message = f"unknown channel {t.channel!r}; the scenario has " + ", ".join(
                scenario.channels
            )
        elif t.name == "kpi_service_level" and channel.kpi_hours is None:
            message = f"needs channels.{t.channel}.kpi_hours (the hours the KPI counts)"
        else:
            continue
        problems.append(Problem(file=_TARGET_FILE, line=None, path=t.metric, message=message))
    if problems:
        raise ScenarioError(problems)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class StaffPlan:
    """Required agents per group and calendar interval, and what they achieve.

    Arrays run over every calendar interval of the horizon (warm-up included).

    Attributes:
        scenario: The scenario as given (its own schedules).
        targets: The targets.
        per_interval: True: every target in every interval; False: overall targets.
        interval_starts: Start of each calendar interval, seconds from the horizon's start.
        interval_seconds: Length of a calendar interval.
        required: Planned group → required agents per interval. Groups serving no channel
            with a target are not planned and keep their own schedule (``unplanned``).
        unplanned: Groups kept on their scenario schedule.
        erlang: Planned group → the Erlang A start of the search, per interval.
        scheduled: Every group → the scenario's scheduled agents per interval (time average
            over the interval of :func:`sim.center.group_levels`: extra shifts included).
        metrics: Target metric → its value per interval on fresh seeds with the plan
            booked (:func:`booked_scenario`, the last :class:`FreshCheck`): the mean over
            replications of each replication's interval value (``nan`` in the warm-up,
            where the target is not judged — :func:`judged_intervals` — and where no
            replication has a value).
        low: Target metric → the low end of its :data:`CONFIDENCE` interval, per interval.
        high: Target metric → the high end, per interval.
        overall: Target metric → mean over the fresh replications of its whole-run value.
        overall_ci: Target metric → its :data:`CONFIDENCE` interval.
        met: Whether the plan meets every target (per interval or overall, as asked) in the
            search's simulation and its fresh check found no significant miss.
        fresh: The fresh-seed check of the plan as booked (:func:`booked_scenario`).
        iterations: Refinement simulations before every target was met or the cap hit.
        simulations: Every simulation run (the load, refinement, fresh checks).
        scale: With ``per_interval`` False, the uniform factor on the Erlang start.
        hourly_cost_yuan: Group → cost of one agent-hour (``scenario.economics``).
        backlog: Planned group → its share of the messages expected to wait at an opening
            of its asynchronous channels, per interval (0 elsewhere): written while the
            desk was closed, they make the first open interval the most demanding.
        roster: The extra shifts to book for the shortfall (:func:`sim.roster.book_for`),
            the least-cost cover of :meth:`short_booked`.
    """

    scenario: Scenario
    targets: tuple[Target, ...]
    per_interval: bool
    interval_starts: NDArray[np.float64]
    interval_seconds: float
    required: dict[str, NDArray[np.int64]]
    unplanned: tuple[str, ...]
    erlang: dict[str, NDArray[np.int64]]
    scheduled: dict[str, NDArray[np.float64]]
    metrics: dict[str, NDArray[np.float64]]
    low: dict[str, NDArray[np.float64]]
    high: dict[str, NDArray[np.float64]]
    overall: dict[str, float]
    overall_ci: dict[str, tuple[float, float]]
    met: bool
    fresh: FreshCheck
    iterations: int
    simulations: int
    scale: float | None
    hourly_cost_yuan: dict[str, float]
    backlog: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    roster: Roster | None = None

    @property
    def roster_check(self) -> FreshCheck | None:
        """The check of the roster: ``fresh`` itself, None without a roster.

        One simulation judges the plan as booked (:func:`booked_scenario`).
        """
        return None if self.roster is None else self.fresh

    def required_agent_hours(self, group: str) -> float:
        """Agent-hours of the plan for a planned group over the whole horizon."""
        return float(self.required[group].sum()) * self.interval_seconds / _SECONDS_PER_HOUR

    def scheduled_agent_hours(self, group: str) -> float:
        """Scheduled agent-hours of the scenario's own schedule (no overtime)."""
        return float(self.scheduled[group].sum()) * self.interval_seconds / _SECONDS_PER_HOUR

    def short_agents(self, group: str) -> NDArray[np.float64]:
        """Agents the plan needs beyond the scenario's schedule, per interval (>= 0).

        ``required − scheduled`` where positive; ``scheduled`` is a time average, so a shift
        starting mid-interval leaves a fraction short.
        """
        return np.maximum(self.required[group] - self.scheduled[group], 0.0)

    def surplus_agents(self, group: str) -> NDArray[np.float64]:
        """Scheduled agents beyond the plan's, per interval (>= 0): time that could go."""
        return np.maximum(self.scheduled[group] - self.required[group], 0.0)

    def short_booked(self, group: str) -> NDArray[np.int64]:
        """Whole agents to book per interval: :meth:`short_agents` rounded up."""
        return np.ceil(self.short_agents(group) - 1e-9).astype(np.int64)

    def short_agent_hours(self, group: str) -> float:
        """Agent-hours short over the horizon: never netted against any surplus."""
        return float(self.short_agents(group).sum()) * self.interval_seconds / _SECONDS_PER_HOUR

    def surplus_agent_hours(self, group: str) -> float:
        """Agent-hours of surplus over the horizon: never netted against any shortfall."""
        return float(self.surplus_agents(group).sum()) * self.interval_seconds / _SECONDS_PER_HOUR

    def short_cost_yuan(self, group: str) -> float:
        """The short agent-hours at the group's hourly cost, ¥ (before any roster)."""
        return self.short_agent_hours(group) * self.hourly_cost_yuan[group]

    def by_day(self, values: NDArray[np.float64]) -> dict[str, float]:
        """Agent-hours per local date (ISO) of per-interval agents ``values``.

        An interval counts on the date of its start (:mod:`sim.localtime`); dates with
        nothing are left out.
        """
        cal = self.scenario.calendar
        local = LocalClock.of(cal.start)
        hours = values * self.interval_seconds / _SECONDS_PER_HOUR
        out: dict[str, float] = {}
        for start, h in zip(self.interval_starts, hours, strict=True):
            if h > 0:
                day, _ = local.split(float(start))
                date = (cal.start.date() + dt.timedelta(days=int(day))).isoformat()
                out[date] = out.get(date, 0.0) + float(h)
        return out

    def peak_short(self, group: str) -> tuple[int, str, str, str]:
        """The most agents short in one interval (rounded up), and where.

        Returns (agents, date, from, to): ``from`` and ``to`` are the local clock times
        (HH:MM) of that date's first and last short intervals; (0, "", "", "") without a
        shortfall.
        """
        short = self.short_agents(group)
        if not (short > 0).any():
            return 0, "", "", ""
        k = int(np.argmax(short))
        cal = self.scenario.calendar
        local = LocalClock.of(cal.start)
        days, tods = local.split(self.interval_starts)
        same = np.flatnonzero((days == days[k]) & (short > 0))
        first, last = float(tods[same[0]]), float(tods[same[-1]]) + self.interval_seconds
        date = (cal.start.date() + dt.timedelta(days=int(days[k]))).isoformat()
        end = _hhmm(round(last / 60)) if last < 86400 else "24:00"
        return math.ceil(float(short[k]) - 1e-9), date, _hhmm(round(first / 60)), end

    def peak_backlog(self, group: str) -> tuple[float, str]:
        """Messages waiting at an opening in the interval most short, and its local time.

        (0, "") when that interval is no opening with a backlog (:attr:`backlog`).
        """
        short = self.short_agents(group)
        backlog = self.backlog.get(group)
        if backlog is None or not (short > 0).any():
            return 0.0, ""
        k = int(np.argmax(short))
        if backlog[k] <= 0:
            return 0.0, ""
        _, tod = LocalClock.of(self.scenario.calendar.start).split(float(self.interval_starts[k]))
        return float(backlog[k]), _hhmm(round(tod / 60))

    def intervals_met_share(self, target: Target) -> float:
        """Share of the intervals with a simulated value where ``target`` is met."""
        values = self.metrics[target.metric]
        measured = values[~np.isnan(values)]
        if measured.size == 0:
            return 1.0
        return float(np.mean([target.met(float(x)) for x in measured]))


# --------------------------------------------------------------------------- simulation

OnDone = Callable[[str, int, int], None]
"""Progress callback of :func:`staff`: ``(stage, finished, total)`` as each replication of
each simulation finishes, ``finished`` how many of the stage's ``total`` replications (of
all its simulations) had finished before it; stage is ``"load"``, ``"refine 1"``,
``"refine 2"``, …, ``"fresh check 1"``, … (the plan as booked, :func:`booked_scenario`)."""


class _Runner:
    """Runs the scenario arm's replications on an :class:`sim.experiment.Runner`."""

    def __init__(self, runner: Runner, on_done: OnDone | None) -> None:
        self.runner = runner
        self.on_done = on_done
        self.runs = 0

    def run(
        self, scenario: Scenario, stage: str, *, memo: bool = False
    ) -> list[ReplicationMetrics]:
        """The replications' metrics of ``scenario``'s promotion arm.

        ``memo`` for the search's simulations, which share one seed: their demand is drawn
        once per worker (:class:`sim.experiment.DemandMemo`).
        """
        self.runs += 1
        on_done = self.on_done
        total = scenario.replications
        finished = 0

        def tick(_j: int, _r: int) -> None:
            nonlocal finished
            if on_done is not None:
                on_done(stage, finished, total)
            finished += 1

        jobs: list[Job] = [(scenario, ("promotion",))]
        (done,) = self.runner.run(jobs, on_done=tick, memo=memo)
        return [rep["promotion"] for rep in done]


def _nanmean(stack: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean over axis 0 ignoring nan (nan where every value is nan), without warnings."""
    ok = ~np.isnan(stack)
    count = ok.sum(axis=0)
    total = np.where(ok, stack, 0.0).sum(axis=0)
    out = np.full(count.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def _interval_values(rep: ReplicationMetrics, target: Target) -> NDArray[np.float64]:
    """One replication's per-interval value of a target metric (reported intervals).

    ``kpi_service_level``: the interval's service level (it is judged only on intervals
    inside the KPI hours, where the two count the same contacts).
    """
    c, iv = target.channel, rep.intervals
    offered = iv[f"{c}.offered"]
    match target.name:
        case "kpi_service_level":
            return np.asarray(iv[f"{c}.service_level"], dtype=np.float64)
        case "abandon_rate":
            out = np.full(offered.shape, np.nan)
            np.divide(iv[f"{c}.abandoned"], offered, out=out, where=offered > 0)
            return out
        case "asa_seconds":
            # every contact abandoned or still waiting: no ASA, but surely not met
            return np.where(
                (offered > 0) & (iv[f"{c}.answered"] == 0), np.inf, iv[f"{c}.asa_seconds"]
            )
        case name:
            return np.asarray(iv[f"{c}.{name}"], dtype=np.float64)


@dataclass(frozen=True)
class _Measured:
    """What one simulation of a plan says about the targets.

    Per calendar interval (``nan`` in the warm-up and where the target is not judged) and
    over the whole run: the mean over replications and its Student-t interval at
    :data:`CONFIDENCE` (``nan`` bounds with fewer than two replications with a value;
    infinite ones where a replication's value is: an ASA with nothing answered).
    """

    interval: dict[str, NDArray[np.float64]]
    overall: dict[str, float]
    low: dict[str, NDArray[np.float64]]
    high: dict[str, NDArray[np.float64]]
    overall_ci: dict[str, tuple[float, float]]


def _mean_ci(
    stack: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per column of replications × k: mean, low and high of its CI at :data:`CONFIDENCE`.

    ``nan`` values are left out; a column holding an infinite value has that mean and
    bounds (its spread is unknown but it surely misses a finite target).
    """
    mean, low, high = describe_columns(stack, CONFIDENCE)
    infinite = np.isinf(stack).any(axis=0)
    mean = np.where(infinite, _nanmean(stack), mean)
    low = np.where(infinite, mean, low)
    high = np.where(infinite, mean, high)
    return mean, low, high


def _measure(
    scenario: Scenario,
    reps: list[ReplicationMetrics],
    targets: Sequence[Target],
    judged: Mapping[str, NDArray[np.bool_]],
) -> _Measured:
    cal = scenario.calendar
    first = int(cal.warmup_seconds // cal.interval_seconds)
    interval: dict[str, NDArray[np.float64]] = {}
    low: dict[str, NDArray[np.float64]] = {}
    high: dict[str, NDArray[np.float64]] = {}
    overall: dict[str, float] = {}
    overall_ci: dict[str, tuple[float, float]] = {}
    for t in targets:
        if t.metric in interval:
            continue
        stats = _mean_ci(np.stack([_interval_values(r, t) for r in reps]))
        for out, values in zip((interval, low, high), stats, strict=True):
            full = np.full(cal.n_intervals, np.nan)
            full[first:] = values
            full[~judged[t.metric]] = math.nan
            out[t.metric] = full
        whole = np.array([r.overall.get(t.metric, math.nan) for r in reps], dtype=np.float64)
        mean, lo, hi = _mean_ci(whole[:, None])
        overall[t.metric] = float(mean[0])
        overall_ci[t.metric] = (float(lo[0]), float(hi[0]))
    return _Measured(interval, overall, low, high, overall_ci)


def _misses(measured: _Measured, targets: Sequence[Target]) -> list[tuple[Target, int]]:
    """(target, calendar interval) pairs whose simulated mean misses the target."""
    return [
        (t, k)
        for t in targets
        for k, x in enumerate(measured.interval[t.metric])
        if not t.met(float(x))
    ]


def _overall_met(measured: _Measured, targets: Sequence[Target]) -> bool:
    return all(t.met(measured.overall[t.metric]) for t in targets)


def fresh_seed(seed: int, round_: int) -> int:
    """The seed of the ``round_``-th fresh check of a plan searched with ``seed``.

    Drawn from ``SeedSequence(seed, spawn_key=(FRSH, round_))``: the check's replications
    share no stream with the search's, which it must not be judged on.
    """
    words = np.random.SeedSequence(seed, spawn_key=(_FRESH_KEY, round_)).generate_state(2)
    return (int(words[0]) << 31) | (int(words[1]) >> 1)


def _wrong_side(target: Target, low: float, high: float) -> bool:
    """Whether a CI lies wholly on the wrong side of ``target`` (a significant miss)."""
    return high < target.value if target.op == ">=" else low > target.value


@dataclass(frozen=True)
class FreshCheck:
    """A plan re-simulated on fresh seeds: how its intervals fare against each target.

    Per target (its text), over the intervals where it is judged and has a value
    (per-interval plans) or over the whole run (overall plans, one "interval"):
    ``met`` where the fresh mean meets it, ``within`` where the mean misses but the
    :data:`CONFIDENCE` interval still reaches it (not a significant miss), ``missed`` where
    the whole interval lies on the wrong side. ``passed``: nothing ``missed``.

    Attributes:
        seed: The last check's seed (:func:`fresh_seed`).
        rounds: Checks run; a check that found significant misses added agents there and
            the next one, on new seeds, judged the result.
        replications: Replications per check (the scenario's).
        confidence: :data:`CONFIDENCE`.
        uncovered: Of ``missed``, those in intervals the roster left short (no allowed
            shift could be booked there: :attr:`sim.roster.Roster.uncovered`; the check
            has the plan's agents there all the same).
    """

    seed: int
    rounds: int
    replications: int
    confidence: float
    judged: dict[str, int]
    met: dict[str, int]
    within: dict[str, int]
    missed: dict[str, int]
    uncovered: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when no target is missed significantly anywhere."""
        return not any(self.missed.values())

    @property
    def passed_where_covered(self) -> bool:
        """True when every significant miss lies where the roster left agents short."""
        return all(self.uncovered.get(k, 0) >= n for k, n in self.missed.items())


def _fresh_check(
    measured: _Measured,
    targets: Sequence[Target],
    per_interval: bool,
    *,
    seed: int,
    rounds: int,
    replications: int,
) -> tuple[FreshCheck, list[tuple[Target, int]]]:
    """Tally a fresh simulation's verdicts; also the (target, interval) pairs missed."""
    judged: dict[str, int] = {}
    met: dict[str, int] = {}
    within: dict[str, int] = {}
    missed: dict[str, int] = {}
    wrong: list[tuple[Target, int]] = []
    for t in targets:
        if per_interval:
            cells = [
                (k, float(x), float(lo), float(hi))
                for k, (x, lo, hi) in enumerate(
                    zip(
                        measured.interval[t.metric],
                        measured.low[t.metric],
                        measured.high[t.metric],
                        strict=True,
                    )
                )
                if not math.isnan(x)
            ]
        else:
            lo, hi = measured.overall_ci[t.metric]
            cells = [(-1, measured.overall[t.metric], lo, hi)]
        key = str(t)
        judged[key] = met[key] = within[key] = missed[key] = 0
        for k, x, lo, hi in cells:
            judged[key] += 1
            if t.met(x):
                met[key] += 1
            elif _wrong_side(t, lo, hi):
                missed[key] += 1
                wrong.append((t, k))
            else:
                within[key] += 1
    check = FreshCheck(seed, rounds, replications, CONFIDENCE, judged, met, within, missed)
    return check, wrong


# --------------------------------------------------------------------------- service hours

# Shares of an interval this close to 0 or 1 are closed or open throughout (rounding of the
# overlap sums).
_SHARE_EPS = 1e-9


def _interval_edges(scenario: Scenario) -> NDArray[np.float64]:
    """Edges of the calendar intervals in simulation seconds, the last one at the horizon."""
    cal = scenario.calendar
    starts = np.arange(cal.n_intervals + 1, dtype=np.float64) * cal.interval_seconds
    return np.minimum(starts, cal.horizon_seconds)


def _inside(spans: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of each interval between ``edges`` that lies in ``spans`` (0 to 1)."""
    inside = overlap(spans[:, 0], spans[:, 1], np.ones(len(spans)), edges)
    width = np.diff(edges)
    share = np.ones_like(width)
    np.divide(inside, width, out=share, where=width > 0)
    return np.clip(share, 0.0, 1.0)


def open_shares(scenario: Scenario) -> dict[str, NDArray[np.float64]]:
    """Channel → share of each calendar interval inside its ``hours`` (1 without hours)."""
    edges = _interval_edges(scenario)
    return {
        name: _inside(open_spans(ch.hours, scenario.calendar), edges)
        for name, ch in scenario.channels.items()
    }


def closed_intervals(scenario: Scenario) -> dict[str, NDArray[np.bool_]]:
    """Group → whether every channel it serves is closed throughout each calendar interval.

    Nobody of the group can work then: ``staff`` plans 0 agents there.
    """
    shares = open_shares(scenario)
    return {
        g.name: np.all([shares[c] <= _SHARE_EPS for c in g.channels], axis=0)
        for g in scenario.staffing.groups
    }


def judged_intervals(scenario: Scenario, target: Target) -> NDArray[np.bool_]:
    """Calendar intervals in which a per-interval ``target`` is judged.

    Those in which its channel is open: throughout for an asynchronous channel (a message
    sent while it is closed waits for the opening, so its interval cannot meet a response
    target; the backlog is seen by the intervals after the opening, which it delays), in
    any part for a call channel (a call while it is closed is not offered). A
    ``kpi_service_level`` target besides only inside the channel's ``kpi_hours``
    throughout. (The warm-up has no figures, so nothing is judged there either.)
    """
    ch = scenario.channels[target.channel]
    share = open_shares(scenario)[target.channel]
    judged = share >= 1.0 - _SHARE_EPS if ch.asynchronous else share > _SHARE_EPS
    if target.name == "kpi_service_level" and ch.kpi_hours is not None:
        kpi = _inside(open_spans(ch.kpi_hours, scenario.calendar), _interval_edges(scenario))
        judged &= kpi >= 1.0 - _SHARE_EPS
    return np.asarray(judged, dtype=np.bool_)


def _backlog(scenario: Scenario, channel: str, rate: NDArray[np.float64]) -> NDArray[np.float64]:
    """Expected messages waiting at each opening of an asynchronous channel, per interval.

    The arrivals (``rate``, contacts per hour per interval) of each closed gap between two
    spans of the hours, put on the interval of the opening that ends the gap; 0 elsewhere
    and for every other channel (a call while closed is not queued).
    """
    cal = scenario.calendar
    out = np.zeros(cal.n_intervals)
    ch = scenario.channels[channel]
    if not ch.asynchronous or ch.hours is None:
        return out
    edges = _interval_edges(scenario)
    spans = open_spans(ch.hours, cal)
    closes = np.concatenate([[0.0], spans[:, 1]])
    for close, opening in zip(closes[:-1], spans[:, 0], strict=True):
        if not 0.0 <= opening < cal.horizon_seconds or opening <= close:
            continue
        gap = overlap(np.array([close]), np.array([opening]), np.ones(1), edges)
        k = min(int(opening // cal.interval_seconds), cal.n_intervals - 1)
        out[k] += fmath.dot(gap, rate) / _SECONDS_PER_HOUR
    return out


# --------------------------------------------------------------------------- Erlang start


@dataclass(frozen=True)
class _Load:
    """Offered load per channel and interval as the Erlang models see it."""

    rate: dict[str, NDArray[np.float64]]  # contacts per hour, per calendar interval
    aht: dict[str, float]  # seconds
    patience: dict[str, float | None]  # mean seconds; None: infinite (Erlang C)
    share: dict[tuple[str, str], float]  # (group, channel) → the group's share of the load
    backlog: dict[str, NDArray[np.float64]]  # messages waiting at an opening, per interval


def _estimate_load(scenario: Scenario, reps: list[ReplicationMetrics]) -> _Load:
    """Offered load of a simulation of the scenario: mean offered contacts per interval → rate.

    Intervals inside the warm-up have no figures: they take the rate of the same time of
    day on the first later day reported, else the first reported interval's. An
    asynchronous channel's messages sent while it is closed are also its backlog at the
    next opening (:func:`_backlog`).
    """
    cal = scenario.calendar
    width, n = cal.interval_seconds, cal.n_intervals
    first = int(cal.warmup_seconds // width)
    starts = np.arange(first, n, dtype=np.float64) * width
    edges = np.concatenate([np.maximum(starts, cal.warmup_seconds), [cal.horizon_seconds]])
    hours = np.diff(edges) / _SECONDS_PER_HOUR
    types = list(scenario.customers.types.values()) if scenario.customers else []
    patience_factor = math.fsum(t.share * t.patience_factor for t in types) if types else 1.0
    handle_factor = math.fsum(t.share * t.handle_time_factor for t in types) if types else 1.0
    rate: dict[str, NDArray[np.float64]] = {}
    aht: dict[str, float] = {}
    patience: dict[str, float | None] = {}
    per_day = cal.intervals_per_day
    for name, ch in scenario.channels.items():
        offered = np.mean(np.stack([r.intervals[f"{name}.offered"] for r in reps]), axis=0)
        reported = np.where(hours > 0, offered / np.where(hours > 0, hours, 1.0), 0.0)
        full = np.empty(n)
        full[first:] = reported
        for k in range(first):
            later = [j for j in range(k + per_day, n, per_day) if j >= first]
            full[k] = full[later[0]] if later else reported[0]
        rate[name] = full
        aht[name] = max(
            _present_handle(reps, name, ch) or dist_mean(ch.handle_time_seconds) * handle_factor,
            1e-3,
        )
        if ch.patience_seconds is None or ch.asynchronous:
            # an asynchronous channel's message waits until answered, whoever has left
            patience[name] = None
        else:
            patience[name] = max(dist_mean(ch.patience_seconds) * patience_factor, 1e-3)
    # a channel served by several groups: split in proportion to their scheduled agent-hours
    horizon = cal.horizon_seconds
    hours_of: dict[str, float] = {}
    for group in scenario.staffing.groups:
        lv = group_levels(group, cal)
        ends = np.concatenate([lv.times[1:], [horizon]])
        hours_of[group.name] = float(np.sum(lv.agents * (ends - lv.times)))
    share: dict[tuple[str, str], float] = {}
    for name in scenario.channels:
        serving = [g.name for g in scenario.staffing.groups if name in g.channels]
        total = math.fsum(hours_of[g] for g in serving)
        for g in serving:
            share[(g, name)] = hours_of[g] / total if total > 0 else 1.0 / len(serving)
    backlog = {name: _backlog(scenario, name, rate[name]) for name in scenario.channels}
    return _Load(rate, aht, patience, share, backlog)


def _present_handle(reps: Sequence[ReplicationMetrics], name: str, ch: Channel) -> float | None:
    """Mean handle time (s) of the answers to buyers still there, over ``reps``; None if none.

    An answer to a buyer who left takes ``silent_detect_seconds`` (``left_answer: detect``):
    as the scenario is, a desk far short of agents answers mostly those, and their short
    answers would make the load of a staffed desk look small. Elsewhere every answer counts.
    """
    work = answered = 0.0
    for r in reps:
        o = r.overall
        n = float(o.get(f"{name}.answered", 0.0))
        if n <= 0 or f"{name}.aht_seconds" not in o:
            continue
        work += float(o[f"{name}.aht_seconds"]) * n
        answered += n
        left = float(o.get(f"{name}.left_before_answer", 0.0))
        if ch.asynchronous and ch.left_answer == "detect" and left > 0:
            work -= left * ch.silent_detect_seconds
            answered -= left
    if answered <= 0 or work <= 0:
        return None
    return work / answered


_KWARG = {
    "service_level": "min_service_level",
    "kpi_service_level": "min_service_level",
    "abandon_rate": "max_abandon_rate",
    "asa_seconds": "max_asa_seconds",
    "occupancy": "max_occupancy",
}


def _figure(f: QueueFigures, metric: str) -> float:
    value: float = getattr(f, "service_level" if metric in _SERVICE_LEVELS else metric)
    return value


class _Model:
    """Erlang A per group and interval (the analytic start of ``staff``).

    A group serving one channel: Erlang A on ``agents × concurrency`` servers with the
    channel's handle time (a chat holds one slot of an agent). A group serving several
    channels: one pooled queue whose load is the sum of the channels' loads in
    agent-equivalents (a chat of concurrency k counts 1/k of its handle time), arrival rate
    the sum of the rates, abandonment rate per waiting contact the rate-weighted mean of
    the channels' (infinite patience counts 0), and each channel's targets applied to the
    pooled queue with the channel's threshold. This ignores channel priority and treats a
    chat slot as a fraction of an agent's time; the simulation corrects both.

    A channel closed throughout an interval brings no load to it (an asynchronous one's
    messages wait for the opening: :meth:`opening_agents`).
    """

    def __init__(self, scenario: Scenario, load: _Load, targets: Sequence[Target]) -> None:
        self.scenario = scenario
        self.load = load
        self.targets = targets
        self.channels = {g.name: list(g.channels) for g in scenario.staffing.groups}
        self.open = {c: share > _SHARE_EPS for c, share in open_shares(scenario).items()}

    def backlog(self, group: str) -> NDArray[np.float64]:
        """The group's share of the messages waiting at its channels' openings, per interval."""
        out = np.zeros(self.scenario.calendar.n_intervals)
        for c in self.channels[group]:
            out += self.load.share[(group, c)] * self.load.backlog[c]
        return out

    def _rate(self, group: str, channel: str, k: int) -> float:
        """The group's share of the channel's arrival rate in interval ``k``, per hour."""
        if not self.open[channel][k]:
            return 0.0
        return self.load.share[(group, channel)] * float(self.load.rate[channel][k])

    def _pooled(self, group: str, k: int) -> tuple[float, float, float | None]:
        ld = self.load
        rates = {c: self._rate(group, c, k) for c in self.channels[group]}
        lam = math.fsum(rates.values())
        work = math.fsum(
            r * ld.aht[c] / self.scenario.channels[c].concurrency for c, r in rates.items()
        )
        theta = math.fsum(r / p for c, r in rates.items() if (p := ld.patience[c]) is not None)
        handle = work / lam if lam > 0 else 1.0
        return lam, handle, (lam / theta if theta > 0 else None)

    def figures(self, group: str, k: int, channel: str, agents: int) -> QueueFigures:
        """Erlang A figures of ``channel`` in interval ``k`` with ``agents`` in ``group``."""
        thr = self.scenario.channels[channel].service_level_seconds
        if len(self.channels[group]) == 1:
            ld = self.load
            conc = self.scenario.channels[channel].concurrency
            rate = self._rate(group, channel, k)
            return erlang_a(rate, ld.aht[channel], ld.patience[channel], agents * conc, thr)
        lam, handle, patience = self._pooled(group, k)
        return erlang_a(lam, handle, patience, agents, thr)

    def opening_agents(self, group: str, channel: str, k: int, level: float) -> int:
        """Agents of ``group`` for the backlog of ``channel`` at an opening in interval ``k``.

        A fluid bound: the interval's arrivals (length T) meet a service level ``level``
        within the threshold ``t`` only if the backlog's work ``W`` (agent-seconds) and
        theirs (load ``ρ`` agents) are cleared fast enough. An arrival at time ``x`` waits
        about (W + ρx − Ax)/A with ``A`` agents, so the share that misses is
        (W − At)/((A − ρ)T), and at most 1 − level of them may: A ≥ (W + (1 − level)Tρ) /
        (t + (1 − level)T). A backlog message's buyer has long left: answering it takes
        ``silent_detect_seconds`` (``left_answer: detect``), else the mean handle time. The
        group's other channels add their loads. 0 where nothing waits.
        """
        ld = self.load
        backlog = ld.share[(group, channel)] * float(ld.backlog[channel][k])
        ch = self.scenario.channels[channel]
        if backlog <= 0:
            return 0
        leaves = ch.patience_seconds is not None and ch.left_answer == "detect"
        handle = ch.silent_detect_seconds if leaves else ld.aht[channel]
        work = backlog * handle / ch.concurrency
        spare = (1.0 - level) * self.scenario.calendar.interval_seconds
        own = self._rate(group, channel, k) / _SECONDS_PER_HOUR * ld.aht[channel] / ch.concurrency
        others = math.fsum(
            self._rate(group, c, k)
            / _SECONDS_PER_HOUR
            * ld.aht[c]
            / self.scenario.channels[c].concurrency
            for c in self.channels[group]
            if c != channel
        )
        room = ch.service_level_seconds + spare
        if room <= 0:
            return 0  # a service level of 1 within 0 s: the stationary start says it all
        return math.ceil((work + spare * own) / room + others - 1e-9)

    def least_agents(self, group: str, k: int) -> int:
        """The least agents of ``group`` meeting its channels' targets in interval ``k``.

        Erlang A on the interval's arrivals, and at an opening of an asynchronous channel
        with a service-level target at least :meth:`opening_agents` for its backlog; agents
        on contacts, so with ``staffing.shrinkage`` s the paid agents are that ÷ (1 − s),
        rounded up (the engine sends s of them on staggered breaks).
        """
        need = 0
        for c in self.channels[group]:
            mine = [t for t in self.targets if t.channel == c]
            if not mine:
                continue
            kwargs: dict[str, float] = {}
            for t in mine:  # the strictest of repeated targets
                key = _KWARG[t.name]
                old = kwargs.get(key)
                strict = min if t.op == "<=" else max
                kwargs[key] = t.value if old is None else strict(old, t.value)
            thr = self.scenario.channels[c].service_level_seconds
            levels = [t.value for t in mine if t.name in _SERVICE_LEVELS]
            if levels:
                need = max(need, self.opening_agents(group, c, k, max(levels)))
            if len(self.channels[group]) == 1:
                ld = self.load
                rate = self._rate(group, c, k)
                conc = self.scenario.channels[c].concurrency
                rate_handle_patience: tuple[float, float, float | None] = (
                    rate,
                    ld.aht[c],
                    ld.patience[c],
                )
            else:
                conc = 1
                rate_handle_patience = self._pooled(group, k)
            rate, handle, patience = rate_handle_patience
            if rate <= 0:
                continue  # nothing expected: no agent needed for this channel
            try:
                servers = agents_for_targets(
                    rate,
                    handle,
                    patience,
                    thr,
                    min_service_level=kwargs.get("min_service_level"),
                    max_abandon_rate=kwargs.get("max_abandon_rate"),
                    max_asa_seconds=kwargs.get("max_asa_seconds"),
                    max_occupancy=kwargs.get("max_occupancy"),
                )
            except ValueError as e:
                raise _target_error(
                    ", ".join(t.metric for t in mine), f"cannot be met: {e}"
                ) from None
            need = max(need, -(-servers // conc))
        shrinkage = self.scenario.staffing.shrinkage
        return math.ceil(need / (1.0 - shrinkage) - 1e-9) if shrinkage else need

    def step(self, group: str, k: int, target: Target, agents: int, simulated: float) -> int:
        """Agents to add to ``group`` in interval ``k`` for a missed target.

        The least count whose Erlang figure, shifted by the simulation's bias at the
        current count, meets the target; at least 1, at most max(1, agents // 2).
        """
        cap = max(1, agents // 2)
        if not math.isfinite(simulated):
            return 1
        base = _figure(self.figures(group, k, target.channel, agents), target.name)
        if not math.isfinite(base):
            return 1
        bias = simulated - base
        for extra in range(1, cap + 1):
            f = _figure(self.figures(group, k, target.channel, agents + extra), target.name)
            if target.met(f + bias):
                return extra
        return cap

    def slack(self, group: str, k: int, target: Target, agents: int, simulated: float) -> bool:
        """Whether the target would still hold with one agent fewer.

        True when the simulated figure, worsened by Erlang's change from ``agents`` to
        ``agents − 1``, still meets it.
        """
        if agents <= 0:
            return False
        now = _figure(self.figures(group, k, target.channel, agents), target.name)
        fewer = _figure(self.figures(group, k, target.channel, agents - 1), target.name)
        if math.isnan(simulated):
            return target.met(fewer) and not math.isnan(fewer)
        change = abs(fewer - now)
        if not math.isfinite(change):
            return False
        worse = simulated - change if target.op == ">=" else simulated + change
        return target.met(worse)


# --------------------------------------------------------------------------- the search


def erlang_short_agent_hours(
    scenario: Scenario, rep: ReplicationMetrics, targets: Sequence[Target]
) -> float:
    """Agent-hours short of the targets in one replication, by Erlang (no refinement).

    The search's Erlang start (:func:`staff`, steps 1–2) on this replication's own load: per
    group serving a targeted channel and interval, the least agents meeting the targets
    (0 where the group's channels are closed) less the agents scheduled, where positive,
    × the interval's hours; summed over groups and intervals. Surplus is not netted. A
    quick, comparable figure (the lab ranks mechanics by it); ``staff`` refines it by
    simulation.

    Raises:
        ScenarioError: For an unknown channel in a target, or targets Erlang cannot meet.
    """
    check_targets(scenario, targets)
    targeted = {t.channel for t in targets}
    model = _Model(scenario, _estimate_load(scenario, [rep]), targets)
    closed = closed_intervals(scenario)
    scheduled = scheduled_agents(scenario)
    hours = scenario.calendar.interval_seconds / _SECONDS_PER_HOUR
    short = 0.0
    for g in scenario.staffing.groups:
        if not targeted & set(g.channels):
            continue
        need = np.array(
            [
                0 if closed[g.name][k] else model.least_agents(g.name, k)
                for k in range(scenario.calendar.n_intervals)
            ],
            dtype=np.float64,
        )
        short += float(np.maximum(need - scheduled[g.name], 0.0).sum()) * hours
    return short


def _with_plan(scenario: Scenario, plan: Mapping[str, NDArray[np.int64]]) -> Scenario:
    """The scenario with each planned group on an ``intervals`` schedule of the plan."""
    groups = [
        g.model_copy(
            update={
                "schedule": IntervalSchedule(
                    kind="intervals", agents=[int(x) for x in plan[g.name]]
                ),
                "extra_shifts": [],  # the plan is all of the group's agents
            }
        )
        if g.name in plan
        else g
        for g in scenario.staffing.groups
    ]
    staffing = scenario.staffing.model_copy(update={"groups": groups})
    return scenario.model_copy(update={"staffing": staffing})


def scheduled_agents(scenario: Scenario) -> dict[str, NDArray[np.float64]]:
    """Group → the scenario's own scheduled agents per calendar interval.

    The time average over each interval of :func:`sim.center.group_levels` (booked extra
    shifts included; a shift starting mid-interval counts for its share of the interval);
    overtime is not included.
    """
    cal = scenario.calendar
    edges = np.minimum(
        np.arange(cal.n_intervals + 1, dtype=np.float64) * cal.interval_seconds,
        cal.horizon_seconds,
    )
    out = {}
    for g in scenario.staffing.groups:
        lv = group_levels(g, cal)
        ends = np.concatenate([lv.times[1:], [cal.horizon_seconds]])
        out[g.name] = overlap(lv.times, ends, lv.agents, edges) / np.diff(edges)
    return out


def _ample(scenario: Scenario, planned: Sequence[str]) -> Scenario:
    """The scenario with every planned group on a constant, ample rota (step 1 of :func:`staff`).

    :data:`AMPLE_FACTOR` × the group's most scheduled agents, at least :data:`AMPLE_AGENTS`.
    """
    most = {g: float(a.max(initial=0.0)) for g, a in scheduled_agents(scenario).items()}
    n = scenario.calendar.n_intervals
    crowd = {
        g: np.full(n, max(AMPLE_AGENTS, math.ceil(AMPLE_FACTOR * most[g])), dtype=np.int64)
        for g in planned
    }
    return _with_plan(scenario, crowd)


def _pick_group(scenario: Scenario, channel: str, planned: Sequence[str]) -> str:
    """The group that gets the agent for a channel's miss.

    The cheapest agent-hour among the planned groups serving it, then the fewest channels,
    then the scenario's order.
    """
    e = scenario.economics
    serving = [
        (hourly_cost_yuan(e, g.name), len(g.channels), i, g.name)
        for i, g in enumerate(scenario.staffing.groups)
        if channel in g.channels and g.name in planned
    ]
    return min(serving)[3]


def staff(
    scenario: Scenario,
    targets: Sequence[Target],
    *,
    per_interval: bool = True,
    workers: int = 1,
    on_done: OnDone | None = None,
    max_iterations: int = _DEFAULT_MAX_ITERATIONS,
    runner: Runner | None = None,
    search_replications: int = SEARCH_REPLICATIONS,
    shift_hours: Sequence[float] | None = None,
) -> StaffPlan:
    """Agents per interval and group meeting every target at the least agent-hours.

    The search:

    Every simulation of step 3 runs the scenario's seed and its first
    ``search_replications`` replications, step 1 the first :data:`LOAD_REPLICATIONS` of
    them (common random numbers throughout).

    1. **Load.** Simulate the scenario with every planned group on an ample constant rota
       (:func:`_ample`: hardly a buyer waits, so none abandons and calls again — load a
       plan meeting the targets would not have either; the scenario's own rota, short at
       a peak, carried it). Per channel and
       calendar interval, the mean offered contacts over replications ÷ the interval's
       length is the arrival rate (follow-ups included);
       the handle time is the run's mean ``aht_seconds`` of answers to buyers still there
       (:func:`_present_handle`); the patience is the channel's distribution mean × the
       customers' mean patience factor (no patience, or an asynchronous channel whose
       messages wait until answered: Erlang C).
       A channel served by several groups is split between them in proportion to their
       scheduled agent-hours (equally if none). An asynchronous channel's messages sent
       while it is closed are its backlog at the next opening.
    2. **Erlang start.** Per planned group and interval, the least agents meeting the
       targets of its channels by :func:`agents_for_targets`; 0 in the intervals where
       every channel of the group is closed throughout (:func:`closed_intervals`: nobody
       is ever planned there), and at an opening with a backlog and a service-level target
       at least the agents that clear it in time (:meth:`_Model.opening_agents`). One
       channel of concurrency k: Erlang A on ``agents × k`` servers (a chat holds one
       slot). Several channels (an approximation): one pooled queue whose load is the sum
       of the channels' loads in agent-equivalents (a chat counts 1/k of its handle time),
       abandonment rate the rate-weighted mean, each channel's targets applied with its
       own threshold; it ignores channel priority and that a call needs an agent with no
       chat in hand. Groups serving no channel with a target keep their own schedule.
    3. **Refine** by simulation on common random numbers (the same seed, so every plan
       sees the same contacts): each planned group gets an ``intervals`` schedule of the
       plan. ``per_interval``: wherever a target's simulated interval value (mean over
       replications) misses in an interval where it is judged (:func:`judged_intervals`:
       its channel open, and for ``kpi_service_level`` inside the KPI hours), the
       interval's cheapest serving group gets agents (one, or more when Erlang, shifted by
       the simulation's bias, says one is not enough), until
       every target holds in every interval or ``max_iterations`` simulations have run.
       Once the trim below has been simulated, a simulation missing in only a few
       (target, interval) cells (at most :data:`_CLOSE_SHARE` of those judged, at least
       one) ends the search: those cells get their agents and the fresh check (step 4)
       judges them, as it judges every interval (on the bundled scenario with two
       targets this saves a simulation confirming two quiet-hour intervals).
       The first refinement's replications measure the load again as in step 1, under a
       plan near the targets (its abandonments and the calls again they bring), and the
       steps and trims from then on use it. With the first
       correction the Erlang start is also trimmed: one agent out of
       every (group, interval) not corrected where every target has slack (the end of
       its :data:`CONFIDENCE` interval nearer a miss, worsened by Erlang's change for one
       agent fewer, still meets it); a trim that misses is corrected like any miss (with
       no simulation left under the cap, the last plan that met every target stands). No
       trimming pass follows the search (one costs a simulation, and with backlog
       carried between intervals Erlang's change for one agent fewer is optimistic: on
       the bundled scenario such passes failed and cost two).
       Otherwise (``per_interval`` False): the least uniform factor ``s`` on the Erlang
       start (agents ``ceil(s × start)`` in every interval) whose simulation meets the
       overall targets, by bracketing and bisection within ``max_iterations`` simulations.
    4. **Booking and fresh-seed check.** The shortfall (plan − scheduled, whole agents)
       is booked as extra shifts (:func:`sim.roster.book_for`). A plan fitted on some
       replications looks better on them than it is (the search keeps what happened to
       pass), so what the manager is told to run — the groups' own agents released down to
       the plan where they have surplus, the roster on top (:func:`booked_scenario`) — is
       judged on the scenario's replications of another seed (:func:`fresh_seed`): per
       interval the mean and its :data:`CONFIDENCE` Student-t interval. Where a target's
       interval lies wholly on the wrong side (a significant miss), the plan gets agents
       there, the roster is booked again and a new seed judges it, up to
       :data:`_FRESH_ROUNDS` checks (:func:`_check_booked`). The plan's reported figures
       are the last check's; it counts as met only if the search met the targets and
       that check found no significant miss (:class:`FreshCheck`). One simulation judges
       plan and booking together: the booked plan is the plan where a group has surplus
       and at least the plan where it is short (what no source could book is in the
       check all the same, and reported as uncovered).

    Limits: a miss is fixed in its own interval by the cheapest group serving the channel;
    load is never moved between groups, so with blended groups the plan meets the targets
    but need not be the cheapest mix. An interval whose fresh mean misses within its
    confidence interval is accepted and counted (``FreshCheck.within``).

    Args:
        scenario: The validated scenario.
        targets: Targets from :func:`parse_target`.
        per_interval: Every target in every interval (True) or over the whole run.
        workers: Worker processes for the replications.
        on_done: Progress, see :data:`OnDone`.
        max_iterations: Cap on refinement simulations.
        runner: Where simulations run (a pool, Dask, a cache); by default a local pool of
            ``workers``, closed at the end.
        search_replications: Replications of the search's simulations (at most the
            scenario's); fewer make the search faster and its plan a little richer.
        shift_hours: Lengths of the shifts the roster may book, replacing the templates'
            (None: ``staffing.shift_templates`` as they are).

    Returns:
        The plan and the fresh-seed figures of exactly that plan as booked.

    Raises:
        ScenarioError: For an unknown channel in a target, or targets Erlang cannot meet.
    """
    targets = tuple(targets)
    check_targets(scenario, targets)
    cal = scenario.calendar
    n = cal.n_intervals
    targeted = {t.channel for t in targets}
    planned = [g.name for g in scenario.staffing.groups if targeted & set(g.channels)]
    unplanned = tuple(g.name for g in scenario.staffing.groups if g.name not in planned)
    e = scenario.economics
    with contextlib.ExitStack() as stack:
        engine = runner or stack.enter_context(Runner(workers=workers))
        sims = _Runner(engine, on_done)
        r = max(1, min(search_replications, scenario.replications))
        search = scenario.model_copy(update={"replications": r})
        loading = search.model_copy(update={"replications": min(r, LOAD_REPLICATIONS)})
        ample = sims.run(_ample(loading, planned), "load", memo=True)
        model = _Model(scenario, _estimate_load(search, ample), targets)
        closed = closed_intervals(scenario)
        erlang = {
            g: np.array(
                [0 if closed[g][k] else model.least_agents(g, k) for k in range(n)],
                dtype=np.int64,
            )
            for g in planned
        }
        judged = {t.metric: judged_intervals(scenario, t) for t in targets}
        if per_interval:
            plan, _, met, iterations, model = _refine_per_interval(
                search,
                targets,
                judged,
                model,
                erlang,
                planned,
                sims,
                max_iterations,
                remodel=lambda reps: _Model(scenario, _estimate_load(search, reps), targets),
            )
            scale = None
        else:
            plan, _, met, iterations, scale = _refine_overall(
                search, targets, judged, erlang, sims, max_iterations
            )
        scheduled = scheduled_agents(scenario)
        measured, fresh, roster = _check_booked(
            scenario,
            targets,
            judged,
            model,
            plan,
            planned,
            sims,
            scheduled=scheduled,
            met=met,
            per_interval=per_interval,
            lengths_hours=shift_hours,
        )
        simulations = sims.runs
    return StaffPlan(
        scenario=scenario,
        targets=targets,
        per_interval=per_interval,
        interval_starts=np.arange(n, dtype=np.float64) * cal.interval_seconds,
        interval_seconds=cal.interval_seconds,
        required=plan,
        unplanned=unplanned,
        erlang=erlang,
        scheduled=scheduled,
        metrics=measured.interval,
        low=measured.low,
        high=measured.high,
        overall=measured.overall,
        overall_ci=measured.overall_ci,
        met=met and fresh.passed,
        fresh=fresh,
        iterations=iterations,
        simulations=simulations,
        scale=scale,
        hourly_cost_yuan={g: hourly_cost_yuan(e, g) for g in planned},
        backlog={g: model.backlog(g) for g in planned},
        roster=roster,
    )


def _refine_per_interval(
    scenario: Scenario,
    targets: Sequence[Target],
    judged: Mapping[str, NDArray[np.bool_]],
    model: _Model,
    erlang: dict[str, NDArray[np.int64]],
    planned: Sequence[str],
    runner: _Runner,
    max_iterations: int,
    *,
    remodel: Callable[[list[ReplicationMetrics]], _Model] | None = None,
) -> tuple[dict[str, NDArray[np.int64]], _Measured, bool, int, _Model]:
    """Step 3 of :func:`staff` per interval; also the model its steps and trims used.

    ``remodel``: the model of the load the first refinement's replications measured, which
    replaces ``model`` from then on (None: ``model`` throughout).
    """
    plan = {g: a.copy() for g, a in erlang.items()}

    def simulate(p: dict[str, NDArray[np.int64]], stage: str) -> list[ReplicationMetrics]:
        return runner.run(_with_plan(scenario, p), stage, memo=True)

    channels = {g.name: g.channels for g in scenario.staffing.groups}
    iterations = 1
    reps = simulate(plan, "refine 1")
    if remodel is not None:
        # the load again, on every search replication and under a plan near the targets:
        # the steps and trims below size changes with it
        model = remodel(reps)
    measured = _measure(scenario, reps, targets, judged)
    misses = _misses(measured, targets)
    # the Erlang start's surplus is trimmed once, with its first correction: a pass of its
    # own after the search would cost a simulation, and a failed one two or more
    trim = True
    met: tuple[dict[str, NDArray[np.int64]], _Measured] | None = None
    while iterations < max(1, max_iterations):
        if not misses:
            met = ({g: a.copy() for g, a in plan.items()}, measured)
        add: dict[tuple[str, int], int] = {}
        for t, k in misses:
            g = _pick_group(scenario, t.channel, planned)
            x = float(measured.interval[t.metric][k])
            step = model.step(g, k, t, int(plan[g][k]), x)
            add[(g, k)] = max(add.get((g, k), 0), step)
        take = (
            [
                (g, k)
                for g in planned
                for k in range(len(plan[g]))
                if plan[g][k] > 0
                and (g, k) not in add
                and all(
                    model.slack(g, k, t, int(plan[g][k]), _bad_end(measured, t, k))
                    for t in targets
                    if t.channel in channels[g]
                )
            ]
            if trim
            else []
        )
        trim = False
        if not add and not take:
            break
        if not take and iterations >= 2 and len(misses) <= max(1, _CLOSE_SHARE * _cells(measured)):
            # the trim simulated, a few misses left: a whole simulation to confirm their
            # agents would spend replications where the decision is not close
            for (g, k), step in add.items():
                plan[g][k] += step
            return plan, measured, True, iterations, model
        for (g, k), step in add.items():
            plan[g][k] += step
        for g, k in take:
            plan[g][k] -= 1
        iterations += 1
        measured = _measure(scenario, simulate(plan, f"refine {iterations}"), targets, judged)
        misses = _misses(measured, targets)
    if misses and met is not None:
        # the trim missed and the cap left no simulation to correct it: the plan before it
        return met[0], met[1], True, iterations, model
    return plan, measured, not misses, iterations, model


def _cells(measured: _Measured) -> int:
    """The (target metric, interval) cells a simulation judged: those with a value."""
    return sum(int(np.count_nonzero(~np.isnan(v))) for v in measured.interval.values())


def _bad_end(measured: _Measured, target: Target, k: int) -> float:
    """Interval k's value at its CI's end nearer a miss of ``target`` (no CI: the mean)."""
    bound = measured.low if target.op == ">=" else measured.high
    x = float(bound[target.metric][k])
    return x if math.isfinite(x) else float(measured.interval[target.metric][k])


def _whole(short: NDArray[np.float64]) -> NDArray[np.int64]:
    """Whole agents covering a (fractional) shortfall: rounded up, 0 where none."""
    return np.ceil(np.maximum(short, 0.0) - 1e-9).astype(np.int64)


def with_roster(scenario: Scenario, roster: Roster) -> Scenario:
    """The scenario with a roster's bookings added to its groups' ``extra_shifts``."""
    groups = []
    for g in scenario.staffing.groups:
        block = [ExtraShift.model_validate(e) for e in extra_shifts_block(roster, g.name)]
        groups.append(
            g.model_copy(update={"extra_shifts": [*g.extra_shifts, *block]}) if block else g
        )
    staffing = scenario.staffing.model_copy(update={"groups": groups})
    return scenario.model_copy(update={"staffing": staffing})


def booked_scenario(
    scenario: Scenario,
    plan: Mapping[str, NDArray[np.int64]],
    roster: Roster,
    scheduled: Mapping[str, NDArray[np.float64]],
) -> Scenario:
    """What ``staff`` tells the manager to run: surplus released, the roster booked.

    Each planned group is on an ``intervals`` schedule of its own agents, whole and down
    to the plan where it has more (``min(required, floor(scheduled))``), plus what the
    roster could not book (:attr:`Roster.uncovered`: the plan still needs them, found
    some other way), with the roster's extra shifts on top (:func:`with_roster`). Where
    the group is short this is its own agents plus the shifts booked for the gap, at least
    the plan (``floor(s) + ceil(p − s) = p``); where it has surplus it is the plan.
    """
    base = {}
    for g in plan:
        own = np.minimum(plan[g], np.floor(scheduled[g] + 1e-9).astype(np.int64))
        left = roster.uncovered.get(g)
        base[g] = own if left is None else own + left
    return with_roster(_with_plan(scenario, base), roster)


def _check_booked(
    scenario: Scenario,
    targets: Sequence[Target],
    judged: Mapping[str, NDArray[np.bool_]],
    model: _Model,
    plan: dict[str, NDArray[np.int64]],
    planned: Sequence[str],
    runner: _Runner,
    *,
    scheduled: Mapping[str, NDArray[np.float64]],
    met: bool,
    per_interval: bool,
    lengths_hours: Sequence[float] | None,
) -> tuple[_Measured, FreshCheck, Roster]:
    """Book the plan's shortfall and judge what is booked on fresh seeds (``plan`` in place).

    Each round books the shortfall (:func:`sim.roster.book_for`; no shift of a group is
    on duty while every channel it serves is closed) and simulates
    :func:`booked_scenario` — the group's own agents released down to the plan, the
    roster on top — on :func:`fresh_seed`'s seed of that round: no plan was fitted on it.
    Per interval the mean of each target metric and its :data:`CONFIDENCE` Student-t
    interval. Where a per-interval target's interval lies wholly on the wrong side (a
    significant miss), the interval's cheapest serving group needs more agents: the plan
    gets them (as the search adds them, and at least one more than the booked plan had
    there), the roster is booked again and a new seed judges it, up to
    :data:`_FRESH_ROUNDS` rounds. Misses where the roster left agents short
    (:attr:`Roster.uncovered`: no allowed shift reaches the interval, e.g. before a
    source's lead days; the check has the plan's agents there all the same) are also
    counted apart (:attr:`FreshCheck.uncovered`). A plan whose search did not meet the
    targets, or overall targets, get one round: it states how the plan fares.

    One simulation judges both the plan and its booking: the booked plan has at least the
    plan's agents in every interval, and exactly the plan where the group has surplus, so
    a check that passes for it passes for the plan too.
    """
    closed = closed_intervals(scenario)
    rounds = 0
    while True:
        rounds += 1
        short = {g: _whole(plan[g] - scheduled[g]) for g in planned}
        roster = book_for(
            scenario, short, aht_seconds=model.load.aht, lengths_hours=lengths_hours, closed=closed
        )
        seed = fresh_seed(scenario.seed, rounds)
        booked = booked_scenario(scenario, plan, roster, scheduled)
        reps = runner.run(booked.model_copy(update={"seed": seed}), f"fresh check {rounds}")
        measured = _measure(scenario, reps, targets, judged)
        check, wrong = _fresh_check(
            measured,
            targets,
            per_interval,
            seed=seed,
            rounds=rounds,
            replications=scenario.replications,
        )
        uncovered = {str(t): 0 for t in targets}
        fixable: list[tuple[Target, int, str]] = []
        for t, k in wrong:
            if k < 0:
                continue
            g = _pick_group(scenario, t.channel, planned)
            if g in roster.uncovered and roster.uncovered[g][k] > 0:
                uncovered[str(t)] += 1
            fixable.append((t, k, g))
        check = replace(check, uncovered=uncovered)
        if not fixable or not met or not per_interval or rounds >= _FRESH_ROUNDS:
            return measured, check, roster
        had = scheduled_agents(booked)
        add: dict[tuple[str, int], int] = {}
        for t, k, g in fixable:
            x = float(measured.interval[t.metric][k])
            step = model.step(g, k, t, int(plan[g][k]), x)
            # the booked plan may have had more than the plan there (whole shifts): what
            # missed was that many agents, so the plan needs more than it
            need = max(int(plan[g][k]) + step, math.ceil(float(had[g][k]) - 1e-9) + 1)
            add[(g, k)] = max(add.get((g, k), 0), need - int(plan[g][k]))
        for (g, k), n_add in add.items():
            plan[g][k] += n_add


def _refine_overall(
    scenario: Scenario,
    targets: Sequence[Target],
    judged: Mapping[str, NDArray[np.bool_]],
    erlang: dict[str, NDArray[np.int64]],
    runner: _Runner,
    max_iterations: int,
) -> tuple[dict[str, NDArray[np.int64]], _Measured, bool, int, float]:
    def scaled(s: float) -> dict[str, NDArray[np.int64]]:
        return {
            g: np.ceil(s * a.astype(np.float64) - 1e-9).astype(np.int64) for g, a in erlang.items()
        }

    tried: dict[float, tuple[bool, _Measured]] = {}
    iterations = 0

    def ok(s: float) -> bool:
        nonlocal iterations
        iterations += 1
        p = scaled(s)
        reps = runner.run(_with_plan(scenario, p), f"refine {iterations}", memo=True)
        m = _measure(scenario, reps, targets, judged)
        tried[s] = (_overall_met(m, targets), m)
        return tried[s][0]

    def same(a: float, b: float) -> bool:
        pa, pb = scaled(a), scaled(b)
        return all(np.array_equal(pa[g], pb[g]) for g in pa)

    cap = max(1, max_iterations)
    lo, hi = 0.0, 1.0  # lo: fails (or untried 0), hi: meets once found
    if not ok(1.0):
        lo, hi = 1.0, math.nan
        s = 1.0
        while iterations < cap:
            s *= 1.5
            if ok(s):
                hi = s
                break
            lo = s
    if math.isnan(hi):
        return scaled(lo), tried[lo][1], False, iterations, lo
    while iterations < cap:
        mid = (lo + hi) / 2
        if same(mid, hi) or same(mid, lo):
            # no distinct plan strictly between: try the next plan down from hi directly
            break
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return scaled(hi), tried[hi][1], True, iterations, hi


# --------------------------------------------------------------------------- outputs


def staffing_csv(plan: StaffPlan) -> str:
    """The plan as CSV: one row per calendar interval × planned group.

    Columns: ``interval_start`` (ISO local time), ``group``, ``required_agents``,
    ``scheduled_agents`` (the scenario's, time average over the interval),
    ``short_agents`` and ``surplus_agents`` (:meth:`StaffPlan.short_agents`,
    :meth:`StaffPlan.surplus_agents`: one of them is 0), then per target metric its value
    with the plan as booked on fresh seeds (:func:`booked_scenario`; mean over
    replications) and the low and high ends of its
    :data:`CONFIDENCE` interval (``<metric>_low``, ``<metric>_high``); empty where there is
    none, e.g. in the warm-up.
    """
    t0 = plan.scenario.calendar.start
    keys = list(dict.fromkeys(t.metric for t in plan.targets))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "interval_start",
            "group",
            "required_agents",
            "scheduled_agents",
            "short_agents",
            "surplus_agents",
            *(f"{m}{end}" for m in keys for end in ("", "_low", "_high")),
        ]
    )

    def cell(x: float) -> str:
        return "" if math.isnan(x) else f"{x:.6g}"

    short = {g: plan.short_agents(g) for g in plan.required}
    surplus = {g: plan.surplus_agents(g) for g in plan.required}
    for k, start in enumerate(plan.interval_starts):
        when = (t0 + dt.timedelta(seconds=float(start))).isoformat()
        for g, agents in plan.required.items():
            w.writerow(
                [
                    when,
                    g,
                    int(agents[k]),
                    cell(float(plan.scheduled[g][k])),
                    cell(float(short[g][k])),
                    cell(float(surplus[g][k])),
                    *(
                        cell(float(values[m][k]))
                        for m in keys
                        for values in (plan.metrics, plan.low, plan.high)
                    ),
                ]
            )
    return buf.getvalue()


def plan_block(plan: StaffPlan, group: str) -> dict[str, Any]:
    """The plan of a group as a YAML-ready ``intervals`` schedule over the whole horizon."""
    return {"kind": "intervals", "agents": [int(x) for x in plan.required[group]]}


def date_ranges(dates: Sequence[str]) -> list[tuple[str, str]]:
    """Consecutive ISO dates merged into (first, last) ranges, in order."""
    days = sorted({dt.date.fromisoformat(d) for d in dates})
    out: list[tuple[dt.date, dt.date]] = []
    for d in days:
        if out and d - out[-1][1] == dt.timedelta(days=1):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return [(a.isoformat(), b.isoformat()) for a, b in out]


def _hhmm(minute: int) -> str:
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"
