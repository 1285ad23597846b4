"""The scenario: pydantic models of a scenario file (docs/scenarios.md).

A scenario is validated once, here, at the boundary; the engine takes the frozen models as
plain values. Units live in field names (``_seconds``, ``_minutes``, ``_hours``,
``_per_hour``). Every model forbids unknown keys, so a typo is an error that names the
field, never a silently ignored setting.

The field names are the public API of scenario files: add fields freely, rename only with a
``schema_version`` migration.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

SCHEMA_VERSION = 1
"""The scenario file format this release reads and writes."""

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
NAME = r"^[a-z][a-z0-9_]*$"
"""Names of channels, groups and reasons: lower-case identifiers, usable as metric keys.

Written for pydantic's and JSON Schema's regex engines, where ``$`` is the end of the text;
in Python match them with :func:`re.fullmatch` only (Python's ``$`` also matches before a
trailing newline, so ``re.match(NAME, "phone\\n")`` would pass)."""

MAX_LABEL = 40
"""Longest ``label:`` (characters): a column header or a legend entry, not a sentence."""
Label = Annotated[str, Field(max_length=MAX_LABEL)]
"""What people read for a name (any language; names stay identifiers): :mod:`sim.labels`."""


class Model(BaseModel):
    """Base of every scenario model: frozen, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unset_omitted: ClassVar[frozenset[str]] = frozenset()
    """Fields added to the released format, left out of the dump while at their default
    (null, false, …): a scenario without them keeps its resolved form, and so its config
    hash."""

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if self.unset_omitted and isinstance(data, dict):
            fields = type(self).model_fields
            for name in self.unset_omitted:
                default = fields[name].get_default(call_default_factory=True)
                if name in data and getattr(self, name) == default:
                    del data[name]
        return data


# strict: YAML's true/false must not pass as 1/0; bounds keep every draw finite.
PositiveFloat = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False, strict=True)]
NonNegativeFloat = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False, strict=True)]
Rate = Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False, strict=True)]
"""Contacts per hour."""
Agents = Annotated[int, Field(ge=0, le=100_000, strict=True)]
"""A number of agents."""
MAX_CONCURRENCY = 20
"""Most contacts of a channel one agent may hold at once (``channels.<c>.concurrency``)."""


# --------------------------------------------------------------------------- distributions


class Exponential(Model):
    """Exponential with the given mean (memoryless: the Erlang models' assumption)."""

    dist: Literal["exponential"]
    mean: NonNegativeFloat


LogSigma = Annotated[float, Field(gt=0, le=5, allow_inf_nan=False, strict=True)]
"""σ of a lognormal's log: at 5 the mean is e^12.5 ≈ 270,000 × the median already; beyond
it the mean and variance overflow towards infinity (σ = 1000 gave an infinite mean)."""
Cv = Annotated[float, Field(ge=0.001, le=100, allow_inf_nan=False, strict=True)]
"""A coefficient of variation (sd ÷ mean): a gamma's shape is 1/cv², so cv in [0.001, 100]
keeps the shape in [1e-4, 1e6] and its scale finite (cv = 1e-300 divided by zero); a
lognormal's cv of 100 is σ ≈ 3.0."""


class Lognormal(Model):
    """Lognormal given either ``mean`` and ``cv`` or ``median`` and ``sigma`` (of the log)."""

    dist: Literal["lognormal"]
    mean: PositiveFloat | None = None
    cv: Cv | None = None
    median: PositiveFloat | None = None
    sigma: LogSigma | None = None

    @model_validator(mode="after")
    def _one_parametrisation(self) -> Lognormal:
        by_mean = self.mean is not None and self.cv is not None
        by_median = self.median is not None and self.sigma is not None
        given = [k for k in ("mean", "cv", "median", "sigma") if getattr(self, k) is not None]
        if by_mean == by_median or len(given) != 2:
            raise ValueError("give either mean and cv, or median and sigma")
        return self

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """Parameters (μ, σ) of the underlying normal."""
        if self.median is not None and self.sigma is not None:
            return math.log(self.median), self.sigma
        assert self.mean is not None and self.cv is not None
        sigma2 = math.log1p(self.cv**2)
        return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)

    @property
    def expected(self) -> float:
        """The distribution's mean."""
        mu, sigma = self.mu_sigma
        return math.exp(mu + sigma**2 / 2)


class Gamma(Model):
    """Gamma given its ``mean`` and coefficient of variation ``cv``."""

    dist: Literal["gamma"]
    mean: PositiveFloat
    cv: Cv


class Deterministic(Model):
    """Always ``value``."""

    dist: Literal["deterministic"]
    value: NonNegativeFloat


class Empirical(Model):
    """Uniform choice among observed ``values`` (with replacement)."""

    dist: Literal["empirical"]
    values: list[NonNegativeFloat] = Field(min_length=1)


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Deterministic | Empirical,
    Field(discriminator="dist"),
]
"""A unit-less distribution block; the field holding it names the unit."""


def dist_mean(d: Distribution) -> float:
    """The mean of a distribution block, in the unit of the field that holds it."""
    match d:
        case Exponential(mean=m) | Gamma(mean=m):
            return m
        case Lognormal():
            return d.expected
        case Deterministic(value=v):
            return v
        case Empirical(values=vs):
            return math.fsum(vs) / len(vs)
    raise TypeError(d)  # pragma: no cover


# --------------------------------------------------------------------------- calendar


EARLIEST = dt.datetime(1900, 1, 1)
LATEST = dt.datetime(3000, 1, 1)
"""The horizon lies in [EARLIEST, LATEST]: dates far from both ends, so that the lead-in
days before it and the review windows after it stay valid dates (9999-12-31 overflowed)."""


def _in_range(v: dt.datetime | dt.date | None) -> dt.datetime | dt.date | None:
    """``v`` if it lies within [EARLIEST, LATEST] (or is None)."""
    if v is None:
        return v
    as_time = v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
    if not EARLIEST <= as_time <= LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return v


class Calendar(Model):
    """The simulated horizon and its reporting intervals."""

    start: dt.datetime = dt.datetime(2026, 11, 1)
    """Wall-clock time of simulation time 0 (naive local time; shop's time zone). It fixes
    every time of day and weekday in the scenario (:mod:`sim.localtime`)."""
    days: Annotated[float, Field(gt=0, le=3660, strict=True)] = 1
    """Length of the horizon in days; contacts arriving after it are not simulated."""
    warmup_hours: NonNegativeFloat = 0
    """Excluded from every statistic: contacts arriving in it and time-weighted levels."""
    interval_minutes: Annotated[int, Field(gt=0, le=1440, strict=True)] = 30
    """Reporting and staffing interval; must divide a day."""

    @field_validator("start")
    @classmethod
    def _naive(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is not None:
            raise ValueError("give a local time without a time zone (the shop's clock)")
        return v

    @field_validator("interval_minutes")
    @classmethod
    def _divides_day(cls, v: int) -> int:
        if 1440 % v:
            raise ValueError("must divide a day (1440 minutes) evenly, e.g. 15, 30 or 60")
        return v

    @model_validator(mode="after")
    def _warmup_inside(self) -> Calendar:
        if not EARLIEST <= self.start <= LATEST - dt.timedelta(days=self.days):
            raise ValueError(
                PathErrors(
                    [
                        f"start: the horizon must lie between {EARLIEST:%Y-%m-%d} and "
                        f"{LATEST:%Y-%m-%d} (start plus days)"
                    ]
                )
            )
        if self.warmup_hours >= self.days * 24:
            raise ValueError("warmup_hours must be shorter than the horizon")
        n = self.days * 1440 / self.interval_minutes
        if abs(n - round(n)) > 1e-9:
            raise ValueError("days must be a whole number of intervals")
        return self

    @property
    def horizon_seconds(self) -> float:
        """Length of the horizon in seconds."""
        return self.days * 86400.0

    @property
    def warmup_seconds(self) -> float:
        """Length of the warm-up in seconds."""
        return self.warmup_hours * 3600.0

    @property
    def interval_seconds(self) -> float:
        """Length of one reporting interval in seconds."""
        return self.interval_minutes * 60.0

    @property
    def n_intervals(self) -> int:
        """Number of reporting intervals in the horizon."""
        return round(self.days * 1440 / self.interval_minutes)

    @property
    def intervals_per_day(self) -> int:
        """Number of reporting intervals in a day."""
        return 1440 // self.interval_minutes


# --------------------------------------------------------------------------- arrivals


class _ArrivalStream(Model):
    """What every direct contact stream has: where contacts go and why they come.

    Give ``channel`` for one channel, or ``channel_mix`` (shares summing to 1) to split the
    stream across channels; each contact's channel is drawn independently, so every
    channel's part is again a Poisson stream.
    """

    channel: str | None = None
    channel_mix: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = None
    reason: str = Field("general", pattern=NAME)

    @model_validator(mode="after")
    def _one_channel_spec(self) -> _ArrivalStream:
        if (self.channel is None) == (self.channel_mix is None):
            raise ValueError("give either channel or channel_mix")
        if self.channel_mix is not None:
            total = math.fsum(self.channel_mix.values())
            if not self.channel_mix or abs(total - 1) > 1e-6:
                raise ValueError(PathErrors([f"channel_mix: shares must sum to 1, got {total:g}"]))
        return self

    @property
    def mix(self) -> dict[str, float]:
        """Channel shares of this stream (one channel: share 1)."""
        if self.channel_mix is not None:
            return dict(self.channel_mix)
        assert self.channel is not None
        return {self.channel: 1.0}


class PoissonArrivals(_ArrivalStream):
    """A stationary Poisson stream of contacts."""

    kind: Literal["poisson"]
    contacts_per_hour: Rate


class ProfileArrivals(_ArrivalStream):
    """A Poisson stream whose rate is constant within each step of a profile.

    ``contacts_per_hour`` holds either 24 rates (one per hour of the day), one rate per
    calendar interval of a day, both repeated every day, or one rate per calendar interval
    of the whole horizon.
    """

    kind: Literal["profile"]
    contacts_per_hour: list[Rate] = Field(min_length=1)


Arrivals = Annotated[PoissonArrivals | ProfileArrivals, Field(discriminator="kind")]


# --------------------------------------------------------------------------- channels


_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def _minutes(v: str) -> int:
    m = _HHMM.fullmatch(v)
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"{_q(v)} is not a time of day HH:MM (00:00 to 24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


def _clock_time(v: str) -> str:
    _minutes(v)
    return v


ClockTime = Annotated[str, AfterValidator(_clock_time)]
"""A local time of day HH:MM, 00:00 to 24:00 (the shop's clock)."""


class Hours(Model):
    """Daily opening hours, local clock times HH:MM: open from ``open`` up to ``close``.

    A ``close`` at or before ``open`` crosses midnight (``22:00``–``02:00``);
    ``00:00``–``24:00`` is round the clock. The span belongs to the day it opens on.
    """

    open: ClockTime
    close: ClockTime

    @property
    def open_seconds(self) -> float:
        """Opening, seconds after midnight (0 to 86400)."""
        return _minutes(self.open) * 60.0

    @property
    def length_seconds(self) -> float:
        """Seconds open (a span over midnight runs into the next day; at most 24 h)."""
        length = (_minutes(self.close) - _minutes(self.open)) % 1440
        return (length or 1440) * 60.0


ServiceHours = Hours | Annotated[list[Hours | None], Field(min_length=7, max_length=7)]
"""The same hours every day, or seven entries Monday to Sunday (null: closed that day)."""


class Bot(Model):
    """A bot that answers a channel's first contacts before any agent (店小蜜, JIMI).

    It has no capacity limit and answers round the clock, whatever the channel's ``hours``.
    Every first contact of the channel spends ``session_seconds`` with it. With its reason's
    containment the bot settles the issue alone (resolved, no agent); otherwise it hands over
    (转人工) at the end of the session, and the contact joins the human queue then: its wait,
    first response and service level count from the hand-over, as platforms count them
    after 分流 to a human [C]. Redials, repeats and transfers come back straight to a human.
    """

    containment: dict[Annotated[str, Field(pattern=NAME)], Probability] = Field(
        default_factory=dict
    )
    """Per reason, the share of its first contacts the bot settles alone [X]."""
    default_containment: Probability = 0.0
    """Containment of the reasons ``containment`` does not list."""
    never: list[Annotated[str, Field(pattern=NAME)]] = Field(default_factory=list)
    """Reasons the bot may never settle: every such contact is handed over (a 退差价 refund
    needs a human with refund authority)."""
    session_seconds: Distribution = Lognormal(dist="lognormal", median=45, sigma=0.76)
    """Time with the bot: the whole session when it settles the issue, the time before the
    hand-over otherwise (median 45 s, mean 60 s [X])."""
    cost_yuan_per_session: Yuan = 0.05
    """What one bot session costs (licence and messages, ¥) [X]."""
    handover_penalty: Annotated[float, Field(ge=0, le=20, strict=True)] = 0.4
    """Log-odds off the issue's satisfaction when the bot failed before the human (direction
    [A], size [X]: 0.4 turns 80% satisfied into 72%)."""

    def containment_of(self, reason: str) -> float:
        """Share of ``reason``'s first contacts the bot settles alone."""
        if reason in self.never:
            return 0.0
        return self.containment.get(reason, self.default_containment)


class Channel(Model):
    """A contact channel: phone, chat, ticket, … with its own FCFS queue."""

    handle_time_seconds: Distribution
    """Agent time a contact holds one slot, from answer to end."""
    patience_seconds: Distribution | None = None
    """Time a waiting customer stays before abandoning; null = infinite patience."""
    service_level_seconds: Annotated[float, Field(ge=0, le=86400, strict=True)] = 20
    """Threshold of ``service_level``: answered within it ÷ offered."""
    concurrency: Annotated[int, Field(ge=1, le=MAX_CONCURRENCY, strict=True)] = 1
    """Contacts of this channel one agent can hold at once (chat: typically 2–4)."""
    silent_abandon_share: Annotated[float, Field(ge=0, le=1, strict=True)] = 0.0
    """Of the contacts that abandon, the share who leave without a word (chat: 0.7,
    Castellanos et al. [A]): the agent who reaches them holds a slot for
    ``silent_detect_seconds`` before closing the chat."""
    silent_detect_seconds: Annotated[float, Field(ge=0, le=86400, strict=True)] = 90.0
    hours: ServiceHours | None = None
    """When agents serve the channel (null: round the clock). Outside them a call hears
    "closed" (the journey's ``closed_*`` say what its caller does); on an asynchronous
    channel a message gets an auto-reply and waits for the opening."""
    asynchronous: bool = False
    """Messages are never lost (千牛/旺旺 chat): a waiting message stays in the queue until an
    agent answers; patience only says whether the buyer is still there then."""
    left_answer: Literal["detect", "full"] = "detect"
    """Asynchronous: what answering a buyer who has left takes — ``detect``: the agent finds
    nobody and closes after ``silent_detect_seconds``; ``full``: its own handle time."""
    left_resolution_factor: Probability = 0.5
    """Asynchronous: factor on the resolution probability of an answer the buyer reads only
    later (they had left) [X]; unresolved, the issue may come back as a repeat."""
    kpi_hours: Hours | None = None
    """Hours whose arrivals ``kpi_service_level`` counts, as platforms count a response
    rate (Taobao: 08:00–24:00) [C]."""
    bot: Bot | None = None
    """A bot that answers first contacts before the human queue (null: none)."""
    internal: bool | None = None
    """An internal queue no customer writes to (a team lead's call-back queue): left out of
    the ``all.`` metrics, reported on its own. Null: internal if it is the journey's
    ``escalation_channel``."""
    label: Label = ""
    """What the console and reports show for the channel (empty: a built-in label or the
    name)."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset(
        {
            "hours",
            "asynchronous",
            "left_answer",
            "left_resolution_factor",
            "kpi_hours",
            "bot",
            "internal",
            "label",
        }
    )

    @model_validator(mode="after")
    def _asynchronous(self) -> Channel:
        if self.asynchronous and self.silent_abandon_share:
            raise ValueError(
                PathErrors(
                    [
                        "silent_abandon_share: an asynchronous channel loses no message, so "
                        "nobody abandons silently; set it to 0 (a buyer who has left is "
                        "answered anyway: left_answer)"
                    ]
                )
            )
        return self


# --------------------------------------------------------------------------- staffing


class ConstantSchedule(Model):
    """The same number of agents around the clock."""

    kind: Literal["constant"]
    agents: Agents


class HourlySchedule(Model):
    """Agents on duty in each hour of the day, 24 values, repeated every day."""

    kind: Literal["hourly"]
    agents: list[Agents]

    @field_validator("agents")
    @classmethod
    def _24(cls, v: list[int]) -> list[int]:
        if len(v) != 24:
            raise ValueError(f"needs 24 values, one per hour of the day, got {len(v)}")
        return v


class Shift(Model):
    """``agents`` agents work from ``start`` to ``end`` (HH:MM) every day.

    An ``end`` at or before ``start`` crosses midnight. A shift that crosses midnight also
    runs in the first hours of day 1 (it began the evening before the horizon).
    """

    start: ClockTime
    end: ClockTime
    agents: Agents

    @property
    def start_minute(self) -> int:
        """Start as minutes after midnight."""
        return _minutes(self.start) % 1440

    @property
    def length_minutes(self) -> int:
        """Length in minutes (a shift is at most 24 hours)."""
        length = (_minutes(self.end) - _minutes(self.start)) % 1440
        return length or 1440


class ShiftsSchedule(Model):
    """A list of daily shifts; agents of overlapping shifts add up."""

    kind: Literal["shifts"]
    shifts: list[Shift] = Field(min_length=1)


class IntervalSchedule(Model):
    """Agents on duty in each calendar interval, as a level (like ``hourly``).

    ``agents`` holds one value per calendar interval of a day (``interval_minutes`` long,
    repeated every day) or one per calendar interval of the whole horizon; the scenario
    checks the length against its calendar. ``promosim staff`` writes this kind.
    """

    kind: Literal["intervals"]
    agents: list[Agents] = Field(min_length=1)


Schedule = Annotated[
    ConstantSchedule | HourlySchedule | ShiftsSchedule | IntervalSchedule,
    Field(discriminator="kind"),
]


class Group(Model):
    """A group of agents who serve the listed channels with one schedule."""

    name: str = Field(pattern=NAME)
    channels: list[str] = Field(min_length=1)
    """Channels served, in the order an agent takes them when ``channel_priority`` is unset."""
    schedule: Schedule
    extra_shifts: list[ExtraShift] = []
    """Extra agents booked on top of the schedule (``promosim staff`` writes them)."""
    label: Label = ""
    """What the console and reports show for the group (empty: a built-in label or the name)."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset({"extra_shifts", "label"})


class Staffing(Model):
    """Agent groups and the order in which a free agent takes waiting contacts."""

    groups: list[Group] = Field(min_length=1)
    channel_priority: list[str] | None = None
    """A free agent takes from the first of its channels in this list with a waiting contact."""
    leaver: Literal["random", "oldest_call", "newest_call"] = "random"
    """Who leaves when a level schedule (``constant``, ``hourly``, ``intervals``) falls:
    idle agents first (the longest idle first), then the least loaded busy ones; among busy
    agents of equal load one at random, the one that reached its load first
    (``oldest_call``) or last (``newest_call``). A busy leaver finishes what it holds
    (overtime). With heavy-tailed handle times the oldest call has the longest time left,
    so ``oldest_call`` inflates overtime (docs/model.md#who-leaves-when-a-level-falls)."""
    shrinkage: Annotated[float, Field(ge=0, le=0.6, allow_inf_nan=False, strict=True)] = 0.0
    """Share of scheduled (paid) agent time not on contacts: breaks, training, meetings,
    coaching (in-shift shrinkage; absence is not in it, schedules count agents present).
    Taken as staggered breaks per group and calendar interval (docs/model.md#shrinkage)."""
    shift_templates: list[ShiftTemplate] | None = Field(None, min_length=1)
    """Shifts extra agents can be booked for (null: :data:`DEFAULT_SHIFT_TEMPLATES`)."""
    sources: dict[SourceName, Source] | None = Field(None, min_length=1)
    """Where extra agents come from, by name (null: :data:`DEFAULT_SOURCES`)."""
    book_on: dt.date | None = None
    """The date extra shifts are booked on, from which sources' ``lead_days`` count (null:
    the horizon's start date)."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset(
        {"shift_templates", "sources", "book_on", "leaver", "shrinkage"}
    )

    @property
    def templates_in_force(self) -> tuple[ShiftTemplate, ...]:
        """``shift_templates``, or the defaults without them."""
        if self.shift_templates is None:
            return DEFAULT_SHIFT_TEMPLATES
        return tuple(self.shift_templates)

    @property
    def sources_in_force(self) -> dict[str, AnySource]:
        """``sources``, or the defaults without them."""
        return dict(DEFAULT_SOURCES if self.sources is None else self.sources)

    @model_validator(mode="after")
    def _unique(self) -> Staffing:
        names = [g.name for g in self.groups]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"group names must be unique; repeated: {', '.join(dup)}")
        for g in self.groups:
            if len(set(g.channels)) != len(g.channels):
                raise ValueError(f"group {_q(g.name)} lists a channel twice")
        if self.channel_priority is not None and len(set(self.channel_priority)) != len(
            self.channel_priority
        ):
            raise ValueError("channel_priority lists a channel twice")
        return self

    @field_validator("book_on")
    @classmethod
    def _sane_book_on(cls, v: dt.date | None) -> dt.date | None:
        _in_range(v)
        return v

    @field_validator("shift_templates")
    @classmethod
    def _template_names(cls, v: list[ShiftTemplate] | None) -> list[ShiftTemplate] | None:
        names = [t.name for t in v or []]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"template names must be unique; repeated: {', '.join(dup)}")
        return v

    @field_validator("sources")
    @classmethod
    def _source_names(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and IN_HOUSE in v:
            raise ValueError(f"{IN_HOUSE!r} is the group's own agents; name the source otherwise")
        return v


# --------------------------------------------------------------------------- demand

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
Yuan = Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False, strict=True)]
Factor = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False, strict=True)]
Shares = dict[str, Probability]


def _check_shares(shares: Mapping[str, float], what: str) -> None:
    total = math.fsum(shares.values())
    if not shares or abs(total - 1) > 1e-6:
        raise ValueError(PathErrors([f"{what}: shares must sum to 1, got {total:g}"]))


# --------------------------------------------------------------------------- extra shifts

ShiftLengthHours = Annotated[float, Field(gt=0, le=12, allow_inf_nan=False, strict=True)]
"""A shift's length from start to end in hours (unpaid break included), whole minutes."""
LeadDays = Annotated[int, Field(ge=0, le=365, strict=True)]
"""Days of notice a source needs before the date it works (counted from ``book_on``)."""
BreakMinutes = Annotated[int, Field(ge=0, le=240, strict=True)]
"""An unpaid break, minutes."""
SourceName = Annotated[str, Field(pattern=NAME)]

IN_HOUSE = "in_house"
"""The source name of an extra shift worked by the group's own agents at their hourly cost."""


class ShiftTemplate(Model):
    """A shift an extra agent can be booked for: its lengths, allowed starts and break.

    Starts are local clock times from ``earliest`` to ``latest`` every ``step_minutes``; a
    shift may run past midnight. An unpaid break sits in the middle of the shift, its start
    rounded to the nearest calendar interval of the local clock
    (:func:`break_start_minute`): an agent on it covers nothing and is not paid.
    """

    name: str = Field(pattern=NAME)
    hours: list[ShiftLengthHours] = Field(min_length=1)
    """Allowed lengths from start to end, hours (whole minutes, at most 12), break included."""
    earliest: ClockTime = "00:00"
    """First allowed start, local time."""
    latest: ClockTime = "23:00"
    """Last allowed start, local time (before 24:00, not before ``earliest``)."""
    step_minutes: Annotated[int, Field(ge=1, le=1440, strict=True)] = 60
    """Allowed starts are ``earliest`` plus whole multiples of this, up to ``latest``."""
    unpaid_break_minutes: BreakMinutes = 0
    """Unpaid break inside the shift, minutes (shorter than every length)."""
    max_per_day: Agents | None = None
    """Most agents of this template starting on one local date, all groups and sources
    together (null: no limit)."""
    sources: list[SourceName] | None = None
    """Sources that may fill this template (names in ``staffing.sources``; null: all)."""

    @field_validator("hours")
    @classmethod
    def _whole_minutes(cls, v: list[float]) -> list[float]:
        for h in v:
            if abs(h * 60 - round(h * 60)) > 1e-9:
                raise ValueError(f"shift lengths must be whole minutes, got {h!r} hours")
        if len(set(v)) != len(v):
            raise ValueError("lists a length twice")
        return v

    @model_validator(mode="after")
    def _starts_and_break(self) -> ShiftTemplate:
        problems = []
        if _minutes(self.latest) >= 1440:
            problems.append("latest: must be before 24:00 (a start on the next day is 00:00)")
        elif _minutes(self.latest) < _minutes(self.earliest):
            problems.append(f"latest: must not be before earliest ({self.earliest})")
        if self.unpaid_break_minutes and self.unpaid_break_minutes >= min(self.lengths_minutes):
            problems.append("unpaid_break_minutes: must be shorter than every length in hours")
        if self.sources is not None and len(set(self.sources)) != len(self.sources):
            problems.append("sources: lists a source twice")
        if problems:
            raise ValueError(PathErrors(problems))
        return self

    @property
    def lengths_minutes(self) -> list[int]:
        """The allowed lengths, minutes from start to end."""
        return [round(h * 60) for h in self.hours]

    @property
    def start_minutes(self) -> list[int]:
        """The allowed starts, minutes after local midnight."""
        return list(range(_minutes(self.earliest), _minutes(self.latest) + 1, self.step_minutes))


def break_start_minute(start: int, length: int, unpaid_break: int, interval: int) -> int:
    """Where an unpaid break starts, minutes after the shift's local midnight.

    Centred in the shift (``start + (length − break) / 2``), then rounded to the nearest
    multiple of ``interval`` minutes of the local clock (ties: the earlier one), and kept
    inside the shift.
    """
    centre = start + (length - unpaid_break) / 2
    at = math.floor(centre / interval + 0.5 - 1e-9) * interval
    return int(min(max(at, start), start + length - unpaid_break))


DEFAULT_SHIFT_TEMPLATES: tuple[ShiftTemplate, ...] = (
    ShiftTemplate(name="extension", hours=[1, 2, 3]),
    ShiftTemplate(name="part", hours=[4, 6]),
    ShiftTemplate(name="day", hours=[9], unpaid_break_minutes=60),
)
"""Templates in force without ``staffing.shift_templates``: 1–3 h extensions (overtime's
daily cap, or hours of a cloud agent), 4 and 6 h part days, and a 9 h day with a one-hour
unpaid meal break (8 paid hours, China's standard working day [A]; the break [X]); every
start on the hour."""


class OvertimeSource(Model):
    """The group's own agents extend their day (加班), at a premium on their hourly cost.

    Modelled as extra agent-hours of the group on the day, at most ``cap_hours_per_agent_day``
    per agent (each booked overtime shift is one agent's extension, so no longer than that),
    no more agents a day than ``headcount``, and at most ``cap_hours_per_agent_month`` ×
    headcount hours in each calendar month of the horizon. Whether the hours sit next to the
    agent's own shift is not modelled.
    """

    kind: Literal["overtime"]
    premium: Annotated[float, Field(ge=1, le=10, allow_inf_nan=False, strict=True)] | None = None
    """× the group's hourly cost (null: ``economics.overtime_premium``; 劳动法 第四十四条: at
    least 1.5 on a working day, 2 on a rest day without time off in lieu, 3 on a public
    holiday [A])."""
    cap_hours_per_agent_day: Annotated[
        float, Field(gt=0, le=12, allow_inf_nan=False, strict=True)
    ] = 3.0
    """Most overtime hours per agent and day, h (3 h, 劳动法 第四十一条 [A])."""
    cap_hours_per_agent_month: Annotated[
        float, Field(ge=0, le=744, allow_inf_nan=False, strict=True)
    ] = 36.0
    """Most overtime hours per agent and calendar month, h (36 h, 劳动法 第四十一条 [A])."""
    headcount: dict[SourceName, Agents] | None = None
    """Per group name, agents who may work overtime (a group not listed: the most agents its
    own schedule has on duty at once)."""
    lead_days: LeadDays = 0
    """Days of notice (0: the same day) [X]."""


class TempSource(Model):
    """Temporary surge agents (临时工) hired by the day.

    ``ramp_*`` describe a new temp's first days: on the first ``ramp_days`` dates of each
    ``extra_shifts`` entry (the same temps work an entry's consecutive dates) its agents
    serve with the ramp factors, afterwards like the group's own (:func:`serve_factors`).
    """

    kind: Literal["temp"]
    cost_yuan_per_day: Yuan | None = None
    """¥ per agent and day, whatever the shift's length (null:
    ``economics.surge_agent_cost_per_day_yuan``, ¥190; range 100–300 [C])."""
    min_shift_hours: ShiftLengthHours = 4.0
    """Shortest paid shift a temp takes, h [X]."""
    lead_days: LeadDays = 3
    """Days of notice the agency needs [X]."""
    max_agents: Agents | None = None
    """Most temps working on one local date, all groups together (null: no limit)."""
    ramp_days: Annotated[int, Field(ge=0, le=60, strict=True)] = 2
    """A temp's first dates on the job, slower and less sure, counted from an entry's
    ``first_day`` [X]."""
    ramp_handle_time_factor: Factor = 1.3
    """× handle time of a temp's answers during the ramp days [X]."""
    ramp_resolution_factor: Probability = 0.9
    """× resolution probability of a temp's answers during the ramp days [X]."""


class CloudSource(Model):
    """Cloud agents (云客服) booked by the hour from a platform's pool."""

    kind: Literal["cloud"]
    cost_yuan_per_hour: Yuan = 40.0
    """¥ per booked agent-hour (range 25–80 [C]); paid hours are billed in whole hours."""
    min_hours: Annotated[int, Field(ge=1, le=12, strict=True)] = 2
    """Shortest booking, whole hours [X]."""
    lead_days: LeadDays = 1
    """Days of notice [X]."""
    max_agents: Agents | None = None
    """Most cloud agents working on one local date, all groups together (null: no limit)."""
    handle_time_factor: Factor = 1.0
    """× handle time of a cloud agent's answers [X]."""


class OutsourceSource(Model):
    """An outsourcing firm's agents (外包), paid per contact handled.

    A booking is planned in agent-hours, priced at ``cost_yuan_per_contact`` × the contacts
    one agent handles in an hour (:attr:`contacts_per_agent_hour`, or 3600 × concurrency ÷
    mean handle time × ``occupancy`` over the group's channels).
    """

    kind: Literal["outsource"]
    cost_yuan_per_contact: Yuan = 1.2
    """¥ per contact handled (range 0.8–2.0 [C])."""
    contacts_per_agent_hour: Annotated[float, Field(gt=0, le=1e4, strict=True)] | None = None
    """Contacts one outsourced agent handles per hour (null: from the group's channels)."""
    occupancy: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, strict=True)] = 0.8
    """Busy share of an outsourced agent's hour, for the derived contacts per hour [X]."""
    min_shift_hours: ShiftLengthHours = 4.0
    """Shortest paid shift the firm takes, h [X]."""
    lead_days: LeadDays = 7
    """Days of notice the firm needs [X]."""
    max_agents: Agents | None = None
    """Most outsourced agents working on one local date, all groups together (null: no
    limit)."""
    handle_time_factor: Factor = 1.0
    """× handle time of an outsourced agent's answers [X]; the derived contacts per hour
    are divided by it."""
    resolution_factor: Probability = 0.9
    """× resolution probability of an outsourced agent's answers [X]."""
    conversion_factor: Probability = 0.8
    """Share of an in-house answer's lift in an inquiring buyer's chance to order that an
    outsourced agent's answer gives (the chance above ``presale.keep_floor``) [X]."""


AnySource = OvertimeSource | TempSource | CloudSource | OutsourceSource
Source = Annotated[AnySource, Field(discriminator="kind")]
"""Where extra agents come from."""

DEFAULT_SOURCES: dict[str, AnySource] = {
    "overtime": OvertimeSource(kind="overtime"),
    "temp": TempSource(kind="temp"),
}
"""Sources in force without ``staffing.sources``: the group's overtime and surge temps."""


def serve_factors(source: AnySource | None, day: int) -> tuple[float, float]:
    """× handle time and × resolution probability of an extra shift's agents.

    ``source``: the shift's source (None: ``in_house``); ``day``: the date's place in its
    ``extra_shifts`` entry (0: ``first_day``). A temp serves with its ramp factors on the
    entry's first ``ramp_days`` dates, cloud and outsourced agents with theirs on every
    date; overtime, in-house agents and temps after their ramp with 1 and 1.
    """
    match source:
        case TempSource() if day < source.ramp_days:
            return source.ramp_handle_time_factor, source.ramp_resolution_factor
        case CloudSource():
            return source.handle_time_factor, 1.0
        case OutsourceSource():
            return source.handle_time_factor, source.resolution_factor
    return 1.0, 1.0


def conversion_factor(source: AnySource | None) -> float:
    """Share of an answer's lift in the chance to order that an extra shift's agents give.

    An outsourced agent's: its source's ``conversion_factor``; everyone else's: 1.
    """
    return source.conversion_factor if isinstance(source, OutsourceSource) else 1.0


class ExtraShift(Model):
    """Extra agents booked on top of a group's schedule, on each date of a range.

    ``agents`` agents of ``source`` work from ``start`` to ``end`` (local HH:MM; an ``end`` at
    or before ``start`` crosses midnight) on every local date from ``first_day`` to
    ``last_day``; with a break they are off duty from ``break_start`` for ``break_minutes``.
    """

    source: SourceName
    """A name in ``staffing.sources``, or ``in_house`` (the group's own agents at their
    hourly cost)."""
    first_day: dt.date
    last_day: dt.date
    start: ClockTime
    end: ClockTime
    agents: Agents
    break_start: ClockTime | None = None
    """Local time the unpaid break starts (null: no break)."""
    break_minutes: BreakMinutes = 0

    unset_omitted: ClassVar[frozenset[str]] = frozenset({"break_start", "break_minutes"})

    @field_validator("first_day", "last_day")
    @classmethod
    def _sane_day(cls, v: dt.date) -> dt.date:
        _in_range(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> ExtraShift:
        problems = []
        if self.last_day < self.first_day:
            problems.append(f"last_day: must not be before first_day ({self.first_day})")
        if (self.break_start is None) != (self.break_minutes == 0):
            problems.append("break_minutes: give break_start and break_minutes together")
        elif self.break_start is not None:
            into = (_minutes(self.break_start) - self.start_minute) % 1440
            if into + self.break_minutes > self.length_minutes or into == 0:
                problems.append("break_start: the break must lie inside the shift, after its start")
        if problems:
            raise ValueError(PathErrors(problems))
        return self

    @property
    def start_minute(self) -> int:
        """Start as minutes after midnight."""
        return _minutes(self.start) % 1440

    @property
    def length_minutes(self) -> int:
        """Minutes from start to end (at most 24 hours), the break included."""
        length = (_minutes(self.end) - _minutes(self.start)) % 1440
        return length or 1440

    @property
    def break_offset_minutes(self) -> int:
        """Minutes from the start to the break (0 without one)."""
        if self.break_start is None:
            return 0
        return (_minutes(self.break_start) - self.start_minute) % 1440

    @property
    def paid_minutes(self) -> int:
        """Paid minutes of one agent's shift: its length less the break."""
        return self.length_minutes - self.break_minutes

    @property
    def days(self) -> int:
        """Dates in the range."""
        return (self.last_day - self.first_day).days + 1


# Group and Staffing name these models before they are defined: resolve their fields now, so
# that the loader can follow an error's path through the sources' tagged union.
Group.model_rebuild(force=True)
Staffing.model_rebuild(force=True)


class Orders(Model):
    """Orders per day and their shape; each order can bring contacts (``contact_reasons``).

    The order rate in hour h of day d is ``per_day × weekday_factors[weekday(d)] × noise_d ×
    intraday_profile[h] / sum(intraday_profile)``, where ``noise_d`` is a gamma variate
    with mean 1 and shape ``overdispersion_shape`` (null: no day noise, pure Poisson).
    """

    per_day: Annotated[float, Field(ge=0, le=1e8, strict=True)]
    intraday_profile: list[Annotated[float, Field(ge=0, le=1e6, strict=True)]] = Field(
        default_factory=lambda: [1.0] * 24
    )
    """24 hourly weights, 00:00 to 23:00 of the shop's clock; only their proportions matter."""
    weekday_factors: list[Factor] = Field(default_factory=lambda: [1.0] * 7)
    """Multipliers Monday to Sunday, of the local date."""
    overdispersion_shape: Annotated[float, Field(gt=0, le=1e9, strict=True)] | None = None
    item_price_yuan: Yuan = 0
    unit_cost_yuan: Yuan = 0
    lead_in_days: Annotated[int, Field(ge=0, le=60, strict=True)] = 0
    """Days of orders simulated before the horizon, so after-sale contacts of earlier
    orders arrive in its first days. Their contacts count from the horizon's start. Orders
    are drawn by local date: whole days before the start date, and the start date's hours
    before ``calendar.start`` always."""

    @field_validator("intraday_profile")
    @classmethod
    def _profile(cls, v: list[float]) -> list[float]:
        if len(v) != 24:
            raise ValueError(f"needs 24 values, one per hour of the day, got {len(v)}")
        if sum(v) <= 0:
            raise ValueError("needs at least one positive weight")
        return v

    @field_validator("weekday_factors")
    @classmethod
    def _week(cls, v: list[float]) -> list[float]:
        if len(v) != 7:
            raise ValueError(f"needs 7 values, Monday to Sunday, got {len(v)}")
        return v


class DeliveryWindow(Model):
    """Hours in which couriers hand parcels over, every day: from ``start`` up to ``end``.

    Local clock times HH:MM, ``start`` before ``end`` (``end`` may be 24:00; a window over
    midnight is not supported). A parcel whose transit ends outside is delivered at the next
    opening: ``start`` of the same day, or of the next day at or after ``end``.
    """

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _order(self) -> DeliveryWindow:
        if _minutes(self.end) <= _minutes(self.start):
            raise ValueError(
                PathErrors(
                    [
                        f"end: must be after start ({self.start}); a window over midnight "
                        "is not supported"
                    ]
                )
            )
        return self

    @property
    def start_seconds(self) -> float:
        """Opening, seconds after midnight."""
        return _minutes(self.start) * 60.0

    @property
    def end_seconds(self) -> float:
        """Closing, seconds after midnight (86400 for 24:00)."""
        return _minutes(self.end) * 60.0


class Fulfilment(Model):
    """From order to doorstep: ship delay, transit, and the delivery the shop promised."""

    ship_delay_hours: Distribution = Lognormal(dist="lognormal", median=24, sigma=0.6)
    transit_delay_hours: Distribution = Lognormal(dist="lognormal", median=48, sigma=0.5)
    promised_delivery_hours: Annotated[float, Field(gt=0, le=24 * 90, strict=True)] = 96
    """Expected delivery = order time + this; a parcel delivered later is *late*."""
    promised_ship_hours: Annotated[float, Field(gt=0, le=24 * 90, strict=True)] = 48
    """The ship-by promise: order time + this is the ``promised_ship`` anchor, before
    which buyers of unshipped orders ask when it ships (催发货). 48 h: Pinduoduo's late-
    shipment line [C]; Taobao's default without an agreed time is 72 h [C]."""
    delivery_window: DeliveryWindow | None = None
    """Couriers' hours (null: parcels arrive round the clock)."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset({"delivery_window", "promised_ship_hours"})


Weight = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False, strict=True)]
ActivityProfile = list[Weight]
"""24 hourly weights of when buyers write, 00:00 to 23:00 local time; only proportions matter."""

CHAT_ACTIVITY_CN: tuple[float, ...] = (
    *(3.0, 1.5, 0.7, 0.4, 0.3, 0.3, 0.6, 1.2),
    *(2.5, 4.5, 6.0, 6.0, 5.0, 5.5, 5.5, 5.5),
    *(5.5, 5.0, 5.0, 6.0, 7.5, 8.5, 8.0, 6.0),
)
"""When Chinese shop buyers write to chat on a normal day, % per hour 00..23 (sums to 100).

Shape [B] (Taobao browsing peak 20:00–01:00, JD's 10–11 and 22–23 order peaks, CDN traffic's
04–05 trough), values [X]: docs/model.md#buyers-hours. 08:00–24:00 holds 92%."""


def _check_profile(v: list[float]) -> list[float]:
    if len(v) != 24:
        raise ValueError(f"needs 24 values, one per hour of the day, got {len(v)}")
    if math.fsum(v) <= 0:
        raise ValueError("needs at least one positive weight")
    return v


Anchor = Literal["order", "ship", "delivery", "expected_delivery", "promised_ship", "price_drop"]
"""What a contact's lag counts from; ``promised_ship`` is the order's ship-by promise
(``fulfilment.promised_ship_hours``); ``price_drop`` only for 价保 claims."""


class ContactReason(Model):
    """Why an order brings a contact, and when.

    Each order has an issue of this reason with probability ``rate_per_order``; the contact
    comes ``lag_hours`` after its ``anchor`` (or before it, with ``before_anchor``: pre-sale
    questions). With ``only_if_undelivered`` it comes only if the parcel has not arrived
    by then: WISMO asked after the expected delivery happens only for late parcels; with
    ``only_if_unshipped`` only if it has not shipped: 催发货, asked before the ship-by
    promise (``anchor: promised_ship``, ``before_anchor``) by buyers whose parcel is still
    in the shop, more the nearer the promise (an exponential lag before it).
    """

    name: str = Field(pattern=NAME)
    rate_per_order: Probability = 0.0
    """Required in ``contact_reasons``; a promotion's reasons get their rate from the mechanic."""
    anchor: Anchor = "delivery"
    lag_hours: Distribution = Exponential(dist="exponential", mean=24)
    before_anchor: bool = False
    only_if_undelivered: bool = False
    only_if_unshipped: bool = False
    channel_mix: Shares
    handle_time_factor: Factor = 1.0
    resolution_probability: Probability = 1.0
    """Probability that an answered contact of this reason resolves its issue."""
    resolution_by_channel: dict[str, Probability] | None = None
    """Per channel, overrides ``resolution_probability``."""
    refund_policy: Literal["always", "if_insist", "never"] = "never"
    """``always``: the first answered contact refunds (and resolves); ``if_insist``: it
    refunds if the customer insists (their type's ``refund_insistence``); ``never``."""
    refund_yuan: Yuan | None = None
    """Refund per granted issue; a promotion's reasons default to the money at stake."""
    refund_route: str | None = Field(None, pattern=NAME)
    """How a granted refund is paid: one of the platform's ``refund_routes`` (小额打款,
    部分退款, …), whose ``handle_seconds`` the answering agent spends on top (null: the
    handle time covers it)."""
    redial_probability: Probability | None = None
    """Overrides the journey's ``redial_probability`` (money at stake: 0.8 [X])."""
    activity_profile: ActivityProfile | None = None
    """Overrides ``customers.activity_profile`` for this reason's lags."""
    label: Label = ""
    """What the console and reports show for the reason (empty: a built-in label or the
    name)."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset(
        {"activity_profile", "only_if_unshipped", "refund_route", "label"}
    )

    @field_validator("activity_profile")
    @classmethod
    def _profile(cls, v: list[float] | None) -> list[float] | None:
        return None if v is None else _check_profile(v)

    @model_validator(mode="after")
    def _mix(self) -> ContactReason:
        _check_shares(self.channel_mix, "channel_mix")
        return self

    @property
    def after_sale(self) -> bool:
        """A contact after the purchase (everything but pre-sale questions)."""
        return not (self.before_anchor and self.anchor == "order")


class Inquiry(ContactReason):
    """A pre-sale inquiry (询单): a buyer who asks ``lag_hours`` before ordering.

    ``rate_per_order`` is the share of would-be orders whose buyer asks first.
    """

    name: str = Field("inquiry", pattern=NAME)
    rate_per_order: Probability = 0.3
    """Share of would-be orders whose buyer asks first (0.1–0.6 [X])."""
    anchor: Literal["order"] = "order"
    before_anchor: Literal[True] = True
    lag_hours: Distribution = Lognormal(dist="lognormal", median=0.5, sigma=1.2)
    """From the question to the order the buyer would place (median 30 min; 8% more than a
    day [X]): an answer after it comes too late."""
    max_lag_hours: Annotated[float, Field(gt=0, le=24 * 30, strict=True)] = 72.0
    """Longest time from the question to the order; a longer draw is cut to it (a question
    asked earlier belongs to another visit [X]; 2 in 100,000 with the default lag)."""


class Presale(Model):
    """Pre-sale inquiries that can be lost (docs/model.md#pre-sale-inquiries).

    Some would-be orders come with an inquiry before them, and some inquiries come from
    buyers who never order (browsers). An inquiring buyer orders with probability
    ``keep(w) = keep_floor + (1 − keep_floor)·exp(−keep_per_minute·w)``, ``w`` the minutes
    from the question to the first human answer, if that answer comes before the order's
    time; the bot's settling answer keeps ``bot_keep``; no answer in time (abandoned, left,
    answered later) keeps ``keep_floor``. A lost order never ships and brings no contact
    after its loss.
    """

    inquiry: Inquiry
    browser_ratio: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)] = 1.0
    """Inquiries from buyers who never order, per inquiring would-be order [X] (with the
    defaults 询单转化率 ≈ 0.45, the practitioners' "fine" [C])."""
    promotion_inquiry_factor: Factor = 1.5
    """Inside the promotion's window (promotion arm) the inquiry share is this many times
    higher: a deal that needs explaining brings questions [X]."""
    keep_floor: Probability = 0.5
    """Share of inquiring buyers who order without any answer in time [X]."""
    keep_per_minute: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)] = 0.1
    """How fast the rest are lost while they wait, per minute [X] (direction [A])."""
    bot_keep: Probability = 0.8
    """Share of inquiring buyers who order when the bot settles their question [X]."""


class CustomerType(Model):
    """A temperament of the seed material and what it does to a contact."""

    share: Probability
    patience_factor: Factor = 1.0
    handle_time_factor: Factor = 1.0
    escalation_factor: Factor = 1.0
    refund_insistence: Probability = 0.5
    """Probability the customer insists on a refund when policy is ``if_insist``."""
    satisfaction_shift: Annotated[float, Field(ge=-10, le=10, strict=True)] = 0.0
    """Added to the log-odds of being satisfied."""
    review_factor: Factor = 1.0
    """Multiplier on the propensity to leave a bad review."""


class Customers(Model):
    """The mix of customer temperaments (easygoing, stubborn, domineering, vain, irritable)."""

    types: dict[str, CustomerType] = Field(min_length=1)
    activity_profile: ActivityProfile | None = None
    """When buyers write (24 hourly weights): an order-caused contact's lag runs on this
    clock (null: round the clock, evenly). :data:`CHAT_ACTIVITY_CN` is a sourced default."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset({"activity_profile"})

    @field_validator("activity_profile")
    @classmethod
    def _profile(cls, v: list[float] | None) -> list[float] | None:
        return None if v is None else _check_profile(v)

    @model_validator(mode="after")
    def _shares_sum(self) -> Customers:
        total = math.fsum(t.share for t in self.types.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(PathErrors([f"types: shares must sum to 1, got {total:g}"]))
        return self


# --------------------------------------------------------------------------- journey


class Journey(Model):
    """What happens after a contact: repeats, redials and escalation (docs/model.md#journey).

    Every contact belongs to an *issue* (one customer, one problem). An answered contact
    resolves its issue with its reason's resolution probability; an unresolved issue may be
    escalated to a second tier, or come back later; an abandoned contact may redial.
    Without a journey section nothing comes back: each issue is one contact.
    """

    repeat_probability: Probability = 0.0
    """An answered but unresolved issue comes back (p_repeat_if_unresolved 0.7 [B])."""
    repeat_lag_hours: Distribution = Exponential(dist="exponential", mean=4)
    channel_switch_probability: Probability = 0.0
    """A repeat comes on another channel of its reason's mix (SQM: 20% switch [B])."""
    redial_probability: Probability = 0.0
    """An abandoned contact comes back (p_redial 0.5 [C]/[X])."""
    redial_lag_minutes: Distribution = Exponential(dist="exponential", mean=30)
    escalation_probability: Probability = 0.0
    """An answered, unresolved contact is passed to the second tier (p_escalate 0.10 [C]),
    times the customer type's ``escalation_factor``."""
    escalation_channel: str | None = None
    """The channel (and so the queue and group) of the second tier."""
    escalation_handle_time_factor: Factor = 2.5
    escalation_resolution_probability: Probability = 0.9
    platform_intervention_probability: Probability = 0.0
    """An issue the second tier cannot resolve goes to the platform (小二介入)."""
    max_contacts_per_issue: Annotated[int, Field(ge=1, le=100, strict=True)] = 10
    closed_redial_probability: Probability = 0.5
    """A caller who hears "closed" calls again after the opening (redial lag after it) [X]."""
    closed_switch_probability: Probability = 0.3
    """… or writes at once on another channel of the reason's mix [X]; the rest give up."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset(
        {"closed_redial_probability", "closed_switch_probability"}
    )

    @model_validator(mode="after")
    def _closed(self) -> Journey:
        if self.closed_redial_probability + self.closed_switch_probability > 1 + 1e-9:
            raise ValueError(
                PathErrors(
                    [
                        "closed_switch_probability: closed_redial_probability plus "
                        "closed_switch_probability must not exceed 1 (the rest give up)"
                    ]
                )
            )
        return self


# --------------------------------------------------------------------------- satisfaction


class Retention(Model):
    """Share of customers who buy again after a problem, at two sizes of loss (TARP [B]).

    Each outcome holds the retention at ``loss_yuan[0]`` and at ``loss_yuan[1]``; between
    (and beyond) them it is interpolated linearly in log(loss), clipped to [0, 1].
    """

    loss_yuan: tuple[PositiveFloat, PositiveFloat] = (35.0, 700.0)
    """About $5 and $100 at ¥7 per dollar, the table's two columns."""
    did_not_complain: tuple[Probability, Probability] = (0.37, 0.09)
    complained_unresolved: tuple[Probability, Probability] = (0.46, 0.19)
    resolved: tuple[Probability, Probability] = (0.70, 0.54)
    resolved_quickly: tuple[Probability, Probability] = (0.95, 0.82)

    @model_validator(mode="after")
    def _losses(self) -> Retention:
        if self.loss_yuan[1] <= self.loss_yuan[0]:
            raise ValueError(PathErrors(["loss_yuan: the second loss must be larger"]))
        return self


class Satisfaction(Model):
    """Satisfaction, effort, review and churn coefficients (docs/model.md#satisfaction).

    ``logit P(satisfied) = b0 + b_resolved·resolved + b_refund·refund
    − b_wait_per_minute·max(0, first wait − tolerance)/60 − b_repeat·(contacts − 1)
    − b_escalation·escalated − b_abandon·abandoned_any + type shift``.
    """

    b0: Annotated[float, Field(ge=-20, le=20, strict=True)] = -0.5
    b_resolved: Annotated[float, Field(ge=0, le=20, strict=True)] = 2.2
    b_refund: Annotated[float, Field(ge=0, le=20, strict=True)] = 1.0
    b_wait_per_minute: Annotated[float, Field(ge=0, le=20, strict=True)] = 0.25
    b_repeat: Annotated[float, Field(ge=0, le=20, strict=True)] = 0.6
    b_escalation: Annotated[float, Field(ge=0, le=20, strict=True)] = 0.5
    b_abandon: Annotated[float, Field(ge=0, le=20, strict=True)] = 0.4
    wait_tolerance_seconds: dict[str, NonNegativeFloat] = Field(
        default_factory=lambda: {"chat": 180.0, "phone": 60.0}
    )
    """Per channel: waits up to this cost no satisfaction (Comm100 [B], Dimension Data [C])."""
    default_wait_tolerance_seconds: NonNegativeFloat = 120.0
    p_bad_review_base: Probability = 0.006
    """差评 probability of an ordinary satisfied order (eBay 0.6% [A])."""
    k_dissatisfied: Annotated[float, Field(ge=0, le=20, strict=True)] = 3.5
    bad_review_cap: Probability = 0.5
    reason_review_factors: dict[str, Factor] = Field(
        default_factory=lambda: {"price_difference": 1.5}
    )
    """Multiplier on the bad-review propensity by reason (money cases: Sun & Zhao [A])."""
    review_window_days: Annotated[float, Field(gt=0, le=365, strict=True)] = 15
    revision_probability: Probability = 0.3
    revision_window_days: Annotated[float, Field(gt=0, le=365, strict=True)] = 30
    quick_resolution_hours: Annotated[float, Field(gt=0, le=24 * 365, strict=True)] = 24
    retention: Retention = Retention()
    off_hours_wait_from: Literal["opening", "message"] = "opening"
    """Where the wait of a message sent while its asynchronous channel is closed starts for
    satisfaction: at the opening (the auto-reply set the buyer's expectation) or at the
    message [X]. Metrics of waits always count from the message."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset({"off_hours_wait_from"})


# --------------------------------------------------------------------------- economics


class Economics(Model):
    """What service work, reviews, churn and fulfilment cost (docs/model.md#economics).

    Every yuan of the money view traces to a counted event: an agent-hour staffed, an
    overtime hour, a platform intervention, a bad review, a churned customer, an order
    fulfilled. Source grades (docs/model.md#grades): [A] peer-reviewed, [B] industry study,
    [C] trade press or vendor figure, [X] our assumption (sweep it).
    """

    agent_monthly_wage_yuan: Yuan = 5000.0
    """Gross monthly wage of one agent, ¥ per month (range 3,000–7,500) [C]."""
    loading_factor: Annotated[float, Field(ge=1, le=5, allow_inf_nan=False, strict=True)] = 1.4
    """Social insurance and overhead on top of the wage, × (range 1.25–1.6) [X]."""
    paid_hours_per_month: Annotated[
        float, Field(gt=0, le=744, allow_inf_nan=False, strict=True)
    ] = 174.0
    """Paid hours per agent and month, h (range 160–208 with 6-day weeks) [X]."""
    group_hourly_cost_yuan: dict[Annotated[str, Field(pattern=NAME)], Yuan] | None = None
    """Per staffing group name: cost of one staffed agent-hour, ¥ per hour; overrides
    wage × loading ÷ paid hours for that group (e.g. an outsourced or senior tier) [X]."""
    overtime_premium: Annotated[float, Field(ge=1, le=10, allow_inf_nan=False, strict=True)] = 1.5
    """An overtime hour costs this many times a regular hour, × [X]."""
    surge_agent_cost_per_day_yuan: Yuan = 190.0
    """A temporary surge agent, ¥ per agent-day (¥28k / 10 agents / 15 days; range
    100–300) [C]; used by staffing suggestions."""
    value_of_bad_review_yuan: Yuan = 200.0
    """Margin lost per 差评 through conversion and traffic, ¥ per review (range 0–2,000) [X]."""
    clv_margin_yuan: Yuan = 60.0
    """Margin of a retained customer over 12 months, lost per churned customer, ¥ (range
    0–500) [X]."""
    platform_intervention_cost_yuan: Yuan = 50.0
    """Handling and penalty per platform intervention (小二介入), ¥ per intervention [X]."""
    fulfilment_cost_per_order_yuan: Yuan = 5.0
    """Picking, packing and shipping one order, ¥ per order (F in docs/model.md#economics) [X]."""

    @property
    def default_hourly_cost_yuan(self) -> float:
        """Loaded cost of a staffed agent-hour, ¥ per hour: wage × loading ÷ paid hours."""
        return self.agent_monthly_wage_yuan * self.loading_factor / self.paid_hours_per_month


# --------------------------------------------------------------------------- promotions


class _Timed(Model):
    """A named event of the campaign starting at a shop time."""

    name: str = Field(pattern=NAME)
    at: dt.datetime
    """When it starts, shop time."""

    @field_validator("at")
    @classmethod
    def _sane_at(cls, v: dt.datetime) -> dt.datetime:
        _in_range(v)
        return v


class Moment(_Timed):
    """A timed surge of the campaign: 定金 opens, 尾款 at 20:00 or 0:00, a flash hour.

    Orders arrive ``orders_factor`` times as fast as they otherwise would (the window's
    uplift and the peak day included) from ``at`` for ``hours``, in the promotion arm only.
    """

    hours: Annotated[float, Field(gt=0, le=24 * 14, strict=True)]
    orders_factor: Annotated[float, Field(ge=0, le=1000, strict=True)]


class LiveStream(_Timed):
    """A 直播: a streamer sells the deal live; orders and questions burst during and after.

    From ``at`` for ``hours`` the promotion arm's order rate is ``orders_factor`` times what
    it would be, falling back linearly to 1 over ``tail_hours``; buyers of those hours ask
    before ordering ``inquiry_factor`` times as often. Terms announced by voice are missed
    and asked about more: orders placed during the stream bring ``rule_question_factor``
    times the rule questions and ``miss_factor`` times the mechanic's own contacts (for
    第二件X元, its bundle misses).
    """

    hours: Annotated[float, Field(gt=0, le=24, strict=True)]
    orders_factor: Annotated[float, Field(ge=0, le=1000, strict=True)]
    tail_hours: Annotated[float, Field(ge=0, le=48, strict=True)] = 1.0
    inquiry_factor: Annotated[float, Field(ge=0, le=100, strict=True)] = 1.0
    rule_question_factor: Annotated[float, Field(ge=0, le=100, strict=True)] = 1.0
    miss_factor: Annotated[float, Field(ge=0, le=100, strict=True)] = 1.0


class PresaleShipping(Model):
    """预售: orders paid by deposit before the balance payment ship only once it opens.

    Orders of the promotion arm placed from the window's start until ``placed_before``
    count their ship delay, their ship-by promise and their expected delivery from
    ``ships_from`` instead of from the order (a later order's own time if that is later).
    """

    placed_before: dt.datetime
    """When the presale ends (the balance payment, 尾款, opens), shop time."""
    ships_from: dt.datetime
    """When the presale orders begin to ship, shop time."""

    @field_validator("placed_before", "ships_from")
    @classmethod
    def _sane(cls, v: dt.datetime) -> dt.datetime:
        _in_range(v)
        return v


class PromotionBase(Model):
    """What every promotion has: a window with an order uplift, and an optional peak day.

    A mechanic's model subclasses it with a ``kind`` literal; its behaviour is the module
    of :mod:`sim.mechanics` of that kind.
    """

    start: dt.datetime
    end: dt.datetime
    order_uplift: Annotated[float, Field(ge=0, le=100, strict=True)] = 1.0
    """Multiplier on the order rate inside ``[start, end)``."""
    peak_day: dt.date | None = None
    peak_day_factor: Annotated[float, Field(ge=0, le=100, strict=True)] = 1.0
    """Multiplier on the order rate on ``peak_day``, inside the window (on top of
    ``order_uplift``)."""
    transit_delay_factor: Annotated[float, Field(gt=0, le=10, strict=True)] = 1.0
    """Multiplier on transit time of orders placed in the window (peak logistics)."""
    rule_question_rate: Probability = 0.0
    """Pre-sale "how does the deal work" contacts per order in the window."""
    rule_question: ContactReason | None = None
    """Timing and channels of rule questions (defaults: up to an hour before the order)."""
    moments: list[Moment] = Field(default_factory=list, max_length=100)
    """The campaign's timed surges (docs/model.md#campaign-moments), on top of the rest."""
    live_streams: list[LiveStream] = Field(default_factory=list, max_length=100)
    """The campaign's 直播 (docs/model.md#live-streams)."""
    presale_shipping: PresaleShipping | None = None
    """预售 orders that ship only after the balance payment (docs/model.md#presale-shipping)."""
    label: Label = ""
    """What the console and reports show for the mechanic (empty: a built-in label of its
    ``kind``)."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset(
        {"moments", "live_streams", "presale_shipping", "label"}
    )

    @field_validator("start", "end", "peak_day")
    @classmethod
    def _sane_date(cls, v: dt.datetime | dt.date | None) -> dt.datetime | dt.date | None:
        return _in_range(v)

    @model_validator(mode="after")
    def _window(self) -> PromotionBase:
        if self.end <= self.start:
            raise ValueError(PathErrors(["end: must be after start"]))
        return self


BUNDLE_MISS_PRESETS = {"clear": 0.005, "typical": 0.03, "confusing": 0.10}
"""Share of eligible two-unit buyers who miss the bundle (docs/model.md#mechanics, all [X])."""


class SecondItemDiscount(PromotionBase):
    """第二件X元: the second unit costs ``second_item_price_yuan`` if both are in one order.

    Buyers who meant to buy two but ordered one unit, or two in separate orders, *miss the
    bundle*; some notice, and some of those ask service for the difference (退差价).
    Price-difference contacts per order in the window =
    ``eligible_share × two_unit_intent × miss × notice_probability × contact_probability``.
    """

    kind: Literal["second_item_discount"]
    second_item_price_yuan: Yuan = 1.0
    eligible_share: Probability = 0.5
    two_unit_intent: Probability = 0.6
    bundle_clarity: Literal["clear", "typical", "confusing"] = "typical"
    bundle_miss_rate: Probability | None = None
    """Overrides the ``bundle_clarity`` preset."""
    notice_probability: Probability = 0.5
    contact_probability: Probability = 0.7
    price_difference: ContactReason | None = None
    """Timing, channels, handle time of price-difference contacts (defaults: after delivery)."""
    auto_apply: bool = False
    """The cart applies the bundle by itself: misses fall to ``auto_apply_miss_rate``."""
    auto_apply_miss_rate: Probability = 0.005
    auto_apply_rule_question_factor: Factor = 0.5
    checkout_nudge: bool = False
    """An "add one more for ¥X" prompt at checkout: misses × ``checkout_nudge_factor``."""
    checkout_nudge_factor: Factor = 0.5
    makeup_link: bool = False
    """A ¥X make-up link: some who notice buy it themselves instead of contacting service."""
    makeup_link_self_serve: Probability = 0.4

    @property
    def miss_rate(self) -> float:
        """The bundle miss rate in force, after auto-apply and the checkout nudge."""
        if self.auto_apply:
            return self.auto_apply_miss_rate
        base = (
            self.bundle_miss_rate
            if self.bundle_miss_rate is not None
            else BUNDLE_MISS_PRESETS[self.bundle_clarity]
        )
        return min(1.0, base * (self.checkout_nudge_factor if self.checkout_nudge else 1.0))

    @property
    def contact_share(self) -> float:
        """Price-difference contacts per order in the window."""
        self_serve = self.makeup_link_self_serve if self.makeup_link else 0.0
        return (
            self.eligible_share
            * self.two_unit_intent
            * self.miss_rate
            * self.notice_probability
            * (1 - self_serve)
            * self.contact_probability
        )


class ThresholdDiscount(PromotionBase):
    """满减: ``discount_yuan`` off an order of at least ``threshold_yuan``.

    Near-miss buyers (just under the threshold) ask why the discount did not apply; buyers
    who return part of a qualifying order dispute how much is refunded.
    """

    kind: Literal["threshold_discount"]
    threshold_yuan: Yuan = 300
    discount_yuan: Yuan = 50
    qualifying_share: Probability = 0.4
    near_miss_share: Probability = 0.1
    near_miss_contact_probability: Probability = 0.2
    partial_return_rate: Probability = 0.08
    dispute_probability: Probability = 0.3
    discount_not_applied: ContactReason | None = None
    partial_return_dispute: ContactReason | None = None


class Coupon(PromotionBase):
    """Coupons: a share of orders uses one; it fails by cause; some failures call service."""

    kind: Literal["coupon"]
    coupon_use_share: Probability = 0.5
    coupon_value_yuan: Yuan = 10.0
    """Discount of one coupon that works, ¥ per order using it [X]; a failed coupon gives
    none (service's compensation, if any, is a refund counted by the journey)."""
    failure_rates: dict[str, Probability] = Field(
        default_factory=lambda: {
            "expired": 0.01,
            "wrong_scope": 0.01,
            "stacking": 0.005,
            "already_used": 0.005,
        }
    )
    """Probability per coupon use that it fails for each cause (independent causes)."""
    contact_probability: Probability = 0.5
    coupon_failed: ContactReason | None = None

    @property
    def failure_probability(self) -> float:
        """Probability that a coupon use fails for at least one cause."""
        ok = 1.0
        for p in self.failure_rates.values():
            ok *= 1 - p
        return 1 - ok


class FlashSale(PromotionBase):
    """秒杀: a spike of orders that decays after the start, with stock and payment trouble.

    Inside the window the order rate is multiplied by
    ``order_uplift × (1 + (spike_factor − 1)·exp(−(t − start) / spike_decay_minutes))``.
    """

    kind: Literal["flash_sale"]
    spike_factor: Annotated[float, Field(ge=1, le=100, strict=True)] = 10
    spike_decay_minutes: Annotated[float, Field(gt=0, le=1e5, strict=True)] = 30
    discount_yuan: Yuan = 10.0
    """Price cut per order placed in the window, ¥ per order [X]."""
    oversell_rate: Probability = 0.01
    """Orders that cannot be filled (stock errors); each brings a contact."""
    payment_issue_rate: Probability = 0.02
    order_change_rate: Probability = 0.03
    stock_issue: ContactReason | None = None
    payment_issue: ContactReason | None = None
    order_change: ContactReason | None = None


class PriceProtection(PromotionBase):
    """价保: the price drops at ``price_drop_at``; buyers in the claim window claim the gap."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset(
        {"claim_anchor", "self_service_share", "label"}
    )

    kind: Literal["price_protection"]
    price_drop_at: dt.datetime
    price_drop_yuan: Yuan = 10
    claim_window_days: Annotated[float, Field(gt=0, le=365, strict=True)] | None = None
    """An order is protected this many days from its anchor (``claim_anchor``); null: the
    platform's ``price_protection.window_days``, else 15."""
    claim_anchor: Literal["order", "receipt"] | None = None
    """Where the window counts from: the order (付款/下单) or its receipt (签收; an order not
    delivered by the drop is protected). Null: the platform's, else ``order``."""
    self_service_share: Probability | None = None
    """Of the claims, the share made with the platform's one-click button (一键价保): paid,
    with no contact. Null: the platform's ``price_protection.self_service_share``, else 0."""
    claim_rate: Probability = 0.05
    """Claims (by contact or button) per protected order."""
    claim: ContactReason | None = None
    """Timing after the drop and channels of claims."""

    @field_validator("price_drop_at")
    @classmethod
    def _sane_drop(cls, v: dt.datetime) -> dt.datetime:
        _in_range(v)
        return v


Promotion = Annotated[
    SecondItemDiscount | ThresholdDiscount | Coupon | FlashSale | PriceProtection,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- platform rules

Grade = Literal["A", "B", "C", "X"]
"""How far a source can be trusted: A official rule text or primary data, B reputable
secondary (major media, platform-run education pages), C a practitioner's page copying a
platform rule, X no public source (our assumption)."""

ShortText = Annotated[str, Field(max_length=300)]


class RuleSource(Model):
    """A public page a platform rule is taken from, and how far to trust it."""

    url: Annotated[str, Field(max_length=500, pattern=r"^(https?://\S+)?$")] = ""
    """The page (empty only for grade X: no public source)."""
    grade: Grade
    date: Annotated[str, Field(max_length=40)] = ""
    """The rule's or the page's date as it states it (``2022-07-27``), or ``undated``."""
    note: ShortText = ""
    """What the page says that the rule rests on, in a line."""

    @model_validator(mode="after")
    def _url_unless_assumed(self) -> RuleSource:
        if self.grade != "X" and not self.url:
            raise ValueError(PathErrors(["url: a rule graded A, B or C names its page"]))
        return self


class KpiThreshold(Model):
    """A KPI's bar as the platform states it, and what falling short of it costs."""

    op: Literal[">=", "<="]
    """``>=``: the value must be at least ``value`` (a rate); ``<=``: at most (a time)."""
    value: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False, strict=True)]
    source: str = Field(pattern=NAME)
    """The ``sources`` entry it comes from."""
    consequence: ShortText = ""
    """What the platform does below the bar (a badge lost, traffic, 限单), as stated."""


KpiMeasure = Literal["answered_within", "mean_response"]


class PlatformKpi(Model):
    """A service KPI a platform scores, computed per local day from the channel's contacts.

    A contact is one buyer session (one question and its first answer: promosim does not
    model several rounds in a session [X]). It counts on the local day and within
    ``hours`` of when the buyer wrote (before any bot). ``answered_within``: the share
    answered within ``within_seconds``; ``mean_response``: the mean seconds to the first
    answer, each capped at ``cap_seconds`` and an unanswered contact counted at the cap.
    """

    label: Annotated[str, Field(min_length=1, max_length=60)]
    """The platform's own name for it (三分钟响应率)."""
    measure: KpiMeasure
    within_seconds: Annotated[float, Field(gt=0, le=86400, strict=True)] | None = None
    """``answered_within``: the first answer must come within this, seconds."""
    cap_seconds: Annotated[float, Field(gt=0, le=86400, strict=True)] | None = None
    """``mean_response``: a longer response (or none) counts as this, seconds."""
    hours: Hours
    """The hours of the day whose sessions count (by when the buyer wrote)."""
    replies: Literal["human", "human_and_bot"] = "human"
    """Which first answers count: ``human`` only (a session the bot settled alone is left
    out of the KPI), or ``human_and_bot`` (a bot's answer counts, at once)."""
    start: Literal["asked", "handover"] = "asked"
    """From when a handed-over session's human response is timed: the buyer's first message,
    or the hand-over to a human (转人工)."""
    offline: Literal["count", "exclude"] = "count"
    """Sessions begun while the channel is closed (留言): counted, or left out."""
    window_days: Annotated[int, Field(ge=1, le=366, strict=True)] = 30
    """The rolling window the platform scores over, days (the scorecard shows each day)."""
    threshold: KpiThreshold | None = None
    """The platform's bar (null: none is published)."""
    source: str = Field(pattern=NAME)
    """The ``sources`` entry defining the KPI."""

    @model_validator(mode="after")
    def _measure_fields(self) -> PlatformKpi:
        if self.measure == "answered_within" and self.within_seconds is None:
            raise ValueError(PathErrors(["within_seconds: answered_within needs it"]))
        if self.measure == "mean_response" and self.cap_seconds is None:
            raise ValueError(PathErrors(["cap_seconds: mean_response needs it"]))
        return self


class PriceProtectionRule(Model):
    """A platform's 价保: how long an order is protected, from when, and the one-click share.

    An order is protected for ``window_days`` from its anchor; an order placed inside the
    promotion's window, with ``after_promotion_days``, at least until that many days after
    the promotion ends, and never more than ``max_days`` from its anchor (Tmall's 双11 全程
    价保). A scenario's ``price_protection`` promotion uses these unless it sets its own.
    """

    window_days: Annotated[float, Field(gt=0, le=365, strict=True)]
    anchor: Literal["order", "receipt"] = "order"
    """``order``: from the order (payment is taken as the order's time); ``receipt``: from
    its delivery (an order not yet delivered at the drop is protected)."""
    after_promotion_days: Annotated[float, Field(gt=0, le=365, strict=True)] | None = None
    max_days: Annotated[float, Field(gt=0, le=365, strict=True)] | None = None
    one_click: bool = False
    """The platform offers a one-click claim (一键价保 / 一键退差价) computed by the system."""
    self_service_share: Probability = 0.0
    """Of the claims, the share made with the button, without a contact (0 without one)."""
    source: str = Field(pattern=NAME)
    share_source: str | None = Field(None, pattern=NAME)
    """The source of ``self_service_share`` (a grade X assumption, most likely)."""

    @model_validator(mode="after")
    def _consistent(self) -> PriceProtectionRule:
        problems = []
        if self.self_service_share > 0 and not self.one_click:
            problems.append("self_service_share: a share above 0 needs one_click: true")
        if self.max_days is not None and self.max_days < self.window_days:
            problems.append("max_days: below window_days")
        if self.max_days is not None and self.after_promotion_days is None:
            problems.append("max_days: caps after_promotion_days, which is not set")
        if problems:
            raise ValueError(PathErrors(problems))
        return self


class RefundRoute(Model):
    """A way a shop pays a refund on the platform, and the agent time it takes."""

    label: Annotated[str, Field(min_length=1, max_length=60)]
    handle_seconds: Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False, strict=True)]
    """Seconds the agent granting a refund spends on the route, on top of the contact's
    handle time (opening the tool, the amount, the note, the buyer's confirmation)."""
    source: str = Field(pattern=NAME)


class PlatformRules(Model):
    """A platform's service rules (``configs/platforms/``): its KPIs, each with a source.

    ``platform: tmall`` in a scenario reads the bundled pack; a mapping with ``pack: tmall``
    reads it and overrides what the mapping sets (``kpis.response_3min_rate.threshold``).
    """

    unset_omitted: ClassVar[frozenset[str]] = frozenset({"price_protection", "refund_routes"})

    pack: str | None = Field(None, pattern=NAME)
    """The bundled pack the rules come from (null: written out in the scenario)."""
    name: str = Field(pattern=NAME)
    title: Annotated[str, Field(max_length=80)] = ""
    checked: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    """The date the rules were last checked against their sources (YYYY-MM-DD)."""
    channel: str = Field("chat", pattern=NAME)
    """The scenario's channel the KPIs are computed on (the platform's IM)."""
    sources: dict[Annotated[str, Field(pattern=NAME)], RuleSource] = Field(min_length=1)
    kpis: dict[Annotated[str, Field(pattern=NAME)], PlatformKpi] = Field(min_length=1)
    price_protection: PriceProtectionRule | None = None
    """The platform's 价保 (null: none stated; a ``price_protection`` promotion then uses
    its own terms or their defaults)."""
    refund_routes: dict[Annotated[str, Field(pattern=NAME)], RefundRoute] = Field(
        default_factory=dict
    )
    """How refunds can be paid, by name; a reason's ``refund_route`` picks one."""

    @model_validator(mode="after")
    def _sources_exist(self) -> PlatformRules:
        problems = []
        for name, route in self.refund_routes.items():
            if route.source not in self.sources:
                problems.append(
                    f"refund_routes.{name}.source: no source {_q(route.source)} in sources"
                )
        pp = self.price_protection
        if pp is not None:
            for field, key in (("source", pp.source), ("share_source", pp.share_source)):
                if key is not None and key not in self.sources:
                    problems.append(f"price_protection.{field}: no source {_q(key)} in sources")
        for k, kpi in self.kpis.items():
            if kpi.source not in self.sources:
                problems.append(f"kpis.{k}.source: no source {_q(kpi.source)} in sources")
            t = kpi.threshold
            if t is not None and t.source not in self.sources:
                problems.append(f"kpis.{k}.threshold.source: no source {_q(t.source)} in sources")
        if problems:
            raise ValueError(PathErrors(problems))
        return self


# --------------------------------------------------------------------------- scenario


class Scenario(Model):
    """A whole scenario: everything one run needs, after ``extends`` and overrides."""

    schema_version: Literal[1] = Field(
        1,
        description=(
            "The file format. A file without it is read as the current format; older files "
            "(schema_version: 0) are upgraded on load, and `promosim migrate FILE` rewrites them."
        ),
    )
    """The file format (:data:`SCHEMA_VERSION`). The loader upgrades older files before
    validation (:mod:`sim.migrations`), so a model only ever sees the current one."""
    name: str = Field("scenario", pattern=SLUG)
    title: str = ""
    label: Label = ""
    """A short name people read (any language), where the title is too long (empty: the
    title)."""
    version: str = ""
    description: str = ""
    calendar: Calendar = Calendar()
    seed: Annotated[int, Field(ge=0, lt=2**63, strict=True)] = 0
    replications: Annotated[int, Field(ge=1, le=100_000, strict=True)] = 20
    arrivals: list[Arrivals] = Field(default_factory=list)
    orders: Orders | None = None
    fulfilment: Fulfilment = Fulfilment()
    promotion: Promotion | None = None
    contact_reasons: list[ContactReason] = Field(default_factory=list)
    customers: Customers | None = None
    journey: Journey = Journey()
    satisfaction: Satisfaction = Satisfaction()
    economics: Economics = Economics()
    channels: dict[str, Channel] = Field(min_length=1)
    staffing: Staffing
    presale: Presale | None = None
    """Pre-sale inquiries that can be lost (null: orders always happen)."""
    platform: PlatformRules | None = None
    """The platform's service rules its KPI scorecard is judged by (null: none)."""

    unset_omitted: ClassVar[frozenset[str]] = frozenset({"presale", "platform", "label"})

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        reserved = ("all", "group", "contacts", "platform")
        bad = [k for k in v if not re.fullmatch(NAME, k) or k in reserved]
        if bad:
            raise ValueError(
                "channel names must be lower-case identifiers other than 'all', 'group', "
                f"'contacts' and 'platform' (metric prefixes): {', '.join(_q(k) for k in bad)}; "
                "keep the name a slug (phone, chat) and put the words people read (any "
                "language) in the channel's label:"
            )
        return v

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems: list[str] = []
        channels = set(self.channels)
        for i, a in enumerate(self.arrivals):
            if a.channel is not None and a.channel not in channels:
                problems.append(f"arrivals.{i}.channel: unknown channel {_q(a.channel)}")
            for c in a.channel_mix or {}:
                if c not in channels:
                    problems.append(f"arrivals.{i}.channel_mix.{c}: unknown channel {_q(c)}")
            if isinstance(a, ProfileArrivals):
                n = len(a.contacts_per_hour)
                per_day, whole = self.calendar.intervals_per_day, self.calendar.n_intervals
                if n not in (24, per_day, whole):
                    problems.append(
                        f"arrivals.{i}.contacts_per_hour: needs 24 values (one per hour), "
                        f"{per_day} (one day of {self.calendar.interval_minutes}-minute "
                        f"intervals) or {whole} (the whole horizon), got {n}"
                    )
        problems += self._demand_problems(channels)
        problems += self._extra_shift_problems()
        served: set[str] = set()
        for gi, g in enumerate(self.staffing.groups):
            if isinstance(g.schedule, IntervalSchedule):
                n = len(g.schedule.agents)
                per_day, whole = self.calendar.intervals_per_day, self.calendar.n_intervals
                if n not in (per_day, whole):
                    problems.append(
                        f"staffing.groups.{gi}.schedule.agents: needs {per_day} values (one "
                        f"per {self.calendar.interval_minutes}-minute interval of a day) or "
                        f"{whole} (the whole horizon), got {n}"
                    )
            for ci, c in enumerate(g.channels):
                if c not in channels:
                    problems.append(f"staffing.groups.{gi}.channels.{ci}: unknown channel {_q(c)}")
                served.add(c)
        for c in sorted(channels - served):
            problems.append(f"channels.{c}: no staffing group serves this channel")
        if self.platform is not None and self.platform.channel not in channels:
            problems.append(
                f"platform.channel: unknown channel {_q(self.platform.channel)} (the channel "
                "the platform's KPIs are computed on)"
            )
        prio = self.staffing.channel_priority
        if prio is not None:
            for i, c in enumerate(prio):
                if c not in channels:
                    problems.append(f"staffing.channel_priority.{i}: unknown channel {_q(c)}")
            missing = sorted(served - set(prio))
            if missing:
                problems.append(
                    f"staffing.channel_priority: must list every served channel; missing {missing}"
                )
        if problems:
            raise ValueError(PathErrors(problems))
        return self

    def _extra_shift_problems(self) -> list[str]:
        """Names and dates of the templates, sources and booked extra shifts."""
        problems: list[str] = []
        st = self.staffing
        sources = st.sources_in_force
        groups = {g.name for g in st.groups}
        for i, t in enumerate(st.shift_templates or []):
            for j, name in enumerate(t.sources or []):
                if name not in sources:
                    problems.append(
                        f"staffing.shift_templates.{i}.sources.{j}: unknown source {_q(name)}"
                    )
        for name, src in (st.sources or {}).items():
            if isinstance(src, OvertimeSource):
                for gname in src.headcount or {}:
                    if gname not in groups:
                        problems.append(
                            f"staffing.sources.{name}.headcount.{gname}: unknown group {_q(gname)}"
                        )
        first = self.calendar.start.date()
        end = self.calendar.start + dt.timedelta(days=self.calendar.days)
        last = (end - dt.timedelta(microseconds=1)).date()
        for gi, g in enumerate(st.groups):
            for k, x in enumerate(g.extra_shifts):
                where = f"staffing.groups.{gi}.extra_shifts.{k}"
                if x.source != IN_HOUSE and x.source not in sources:
                    known = ", ".join([*sorted(sources), IN_HOUSE])
                    problems.append(
                        f"{where}.source: unknown source {_q(x.source)} (known: {known})"
                    )
                if x.first_day < first:
                    problems.append(
                        f"{where}.first_day: before the horizon's first date {first.isoformat()}"
                    )
                if x.last_day > last:
                    problems.append(
                        f"{where}.last_day: after the horizon's last date {last.isoformat()}"
                    )
        return problems

    def _demand_problems(self, channels: set[str]) -> list[str]:
        problems: list[str] = []
        reasons: list[tuple[str, str, ContactReason]] = [
            (f"contact_reasons.{i}", r.name, r) for i, r in enumerate(self.contact_reasons)
        ]
        if self.promotion is not None:
            if self.orders is None:
                problems.append("promotion: a promotion acts on orders; add an orders section")
            for field, reason in promotion_reasons(self.promotion, tuple(self.channels)):
                reasons.append((f"promotion.{field}", reason.name, reason))
            # orders are drawn by local date: from the start date's midnight, lead-in before
            lo = dt.datetime.combine(self.calendar.start.date(), dt.time()) - dt.timedelta(
                days=self.orders.lead_in_days if self.orders else 0
            )
            hi = self.calendar.start + dt.timedelta(days=self.calendar.days)
            if self.promotion.end <= lo or self.promotion.start >= hi:
                problems.append("promotion: its window does not overlap the simulated time")
            peak = self.promotion.peak_day
            if peak is not None:
                day0 = dt.datetime.combine(peak, dt.time())
                if not (
                    day0 < self.promotion.end and day0 + dt.timedelta(1) > self.promotion.start
                ):
                    problems.append("promotion.peak_day: must overlap the promotion's window")
        if self.contact_reasons and self.orders is None:
            problems.append("contact_reasons: reasons are rates per order; add an orders section")
        if self.presale is not None:
            if self.orders is None:
                problems.append("presale: inquiries come before orders; add an orders section")
            reasons.append(("presale.inquiry", self.presale.inquiry.name, self.presale.inquiry))
        for i, r in enumerate(self.contact_reasons):
            if "rate_per_order" not in r.model_fields_set:
                problems.append(f"contact_reasons.{i}.rate_per_order: Field required")
        if self.promotion is not None:
            for field, r in promotion_reasons(self.promotion, tuple(self.channels)):
                if "rate_per_order" in r.model_fields_set and r.rate_per_order:
                    problems.append(
                        f"promotion.{field}.rate_per_order: not used; the mechanic's "
                        "parameters set this reason's rate"
                    )
        # a mechanic's own reasons may count from its fixed times (价保's price drop)
        fixed_anchor = set()
        if self.promotion is not None:
            from sim.mechanics import mechanic_of  # the mechanics import this module

            mechanic = mechanic_of(self.promotion)
            if "price_drop" in mechanic.anchors(self, self.promotion):
                own = mechanic.reasons(self.promotion, tuple(self.channels))
                fixed_anchor = {f"promotion.{field}" for field, _ in own}
        seen: dict[str, str] = {}
        arrival_reasons = {a.reason for a in self.arrivals}
        for where, name, reason in reasons:
            if name in seen:
                problems.append(
                    f"{where}.name: reason {_q(name)} is already defined at {seen[name]}"
                )
            seen[name] = where
            if name in arrival_reasons:
                problems.append(f"{where}.name: reason {_q(name)} is also a direct arrivals reason")
            for c in reason.channel_mix:
                if c not in channels:
                    problems.append(f"{where}.channel_mix.{c}: unknown channel {_q(c)}")
            if reason.anchor == "price_drop" and where not in fixed_anchor:
                problems.append(f"{where}.anchor: price_drop is only for a price_protection claim")
            route = reason.refund_route
            if route is not None:
                routes = self.platform.refund_routes if self.platform is not None else {}
                if route not in routes:
                    known_routes = ", ".join(routes) or "none: name a platform with refund_routes"
                    problems.append(
                        f"{where}.refund_route: unknown route {_q(route)} ({known_routes})"
                    )
                elif reason.refund_policy == "never":
                    problems.append(
                        f"{where}.refund_route: the reason never refunds (refund_policy: never)"
                    )
        known = set(seen) | arrival_reasons
        for c, spec in self.channels.items():
            if spec.bot is None:
                continue
            for field in ("containment", "never"):
                for name in getattr(spec.bot, field):
                    if name not in known:
                        problems.append(
                            f"channels.{c}.bot.{field}.{name}: unknown reason {_q(name)}"
                        )
            for name in spec.bot.never:
                if spec.bot.containment.get(name, 0.0) > 0:
                    problems.append(
                        f"channels.{c}.bot.containment.{name}: the reason is in bot.never; the "
                        "bot may not settle it"
                    )
        j = self.journey
        if j.escalation_channel is not None and j.escalation_channel not in channels:
            unknown = _q(j.escalation_channel)
            problems.append(f"journey.escalation_channel: unknown channel {unknown}")
        if j.escalation_probability > 0 and j.escalation_channel is None:
            problems.append("journey.escalation_channel: needed when escalation_probability > 0")
        for where, _, reason in reasons:
            for c in reason.resolution_by_channel or {}:
                if c not in channels:
                    problems.append(f"{where}.resolution_by_channel.{c}: unknown channel {_q(c)}")
        return problems


def default_mix(channels: tuple[str, ...]) -> dict[str, float]:
    """Channel shares of a promotion's contacts when the scenario does not say.

    On Taobao chat carries most contacts (docs/model.md#handling: chat ≫ phone [C]): 85% chat and
    15% phone where both exist, else everything on the first channel.
    """
    if "chat" in channels and "phone" in channels:
        return {"chat": 0.85, "phone": 0.15}
    if "chat" in channels:
        return {"chat": 1.0}
    return {channels[0]: 1.0}


def promotion_reasons(
    promotion: PromotionBase, channels: tuple[str, ...]
) -> list[tuple[str, ContactReason]]:
    """The contact reasons a promotion generates (:func:`sim.mechanics.promotion_reasons`)."""
    from sim.mechanics import promotion_reasons as reasons  # the mechanics import this module

    return reasons(promotion, channels)


def _q(text: str, limit: int = 40) -> str:
    """``repr(text)`` cut to ``limit`` characters (a name from a file echoed in a message)."""
    r = repr(text)
    return r if len(r) <= limit else r[: limit - 1] + "…"


class PathErrors(list[str]):
    """Several problems, each ``field.path: message``, raised from one model validator.

    The loader splits them back into separate, located errors.
    """

    def __str__(self) -> str:
        return "; ".join(self)


def resolved_json_schema() -> dict[str, Any]:
    """The JSON Schema of a whole scenario, after ``extends`` (what the models validate)."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "promosim scenario (resolved)"
    return schema


def internal_channel(scenario: Scenario, name: str) -> bool:
    """Whether channel ``name`` is an internal queue (see ``Channel.internal``)."""
    flag = scenario.channels[name].internal
    return flag if flag is not None else name == scenario.journey.escalation_channel


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file as written, for editors and external validators.

    A file that ``extends`` another is a partial document: mappings merge into the parent's,
    so any field — a required one, or a union's ``kind``/``dist`` — may come from the parent.
    An editor checking the file alone must not flag those, so this schema is the resolved
    one (:func:`resolved_json_schema`) with every ``required`` dropped and every tagged
    union (``oneOf`` + ``discriminator``, which needs the tag present) relaxed to ``anyOf``
    of its members, whose ``kind``/``dist`` constants still reject a wrong tag. It still
    catches unknown fields, wrong types, out-of-range numbers and unknown tags; missing
    fields are the loader's to report, on the resolved scenario. ``extends`` is a field
    of files only (the loader removes it), so it is added here. Date-times are local
    (``2026-11-01T00:00:00``, no zone), which the RFC 3339 ``date-time`` format that editors
    check rejects, so they are given as a pattern instead. ``platform`` may also be a
    bundled pack's name, which the loader reads.
    """
    schema: dict[str, Any] = _as_written(resolved_json_schema())
    schema["title"] = "promosim scenario file"
    schema["properties"]["platform"] = {
        "anyOf": [
            {
                "type": "string",
                "pattern": NAME,
                "description": "A bundled platform rule pack: configs/platforms/NAME.yaml.",
            },
            schema["properties"]["platform"],
        ]
    }
    schema["properties"] = {
        "extends": {
            "type": "string",
            "description": "Path of the scenario file this one extends, relative to this file. "
            "Mappings merge into its values, lists replace them.",
        },
        **schema["properties"],
    }
    return schema


_LOCAL_DATE_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?$"
)
"""What a date-time field reads: a date, optionally a time (the model checks the rest)."""


def _as_written(node: Any, names: bool = False) -> Any:
    """``node`` without ``required``, ``oneOf`` as ``anyOf``; ``names``: a name → schema map."""
    if isinstance(node, list):
        return [_as_written(v) for v in node]
    if not isinstance(node, dict):
        return node
    if names:  # the keys of "properties" or "$defs" are field names, not keywords
        return {k: _as_written(v) for k, v in node.items()}
    out = {}
    for key, value in node.items():
        if key in ("required", "discriminator"):
            continue
        if key == "format" and value == "date-time":
            out["pattern"] = _LOCAL_DATE_TIME
            continue
        nested = key in ("properties", "patternProperties", "$defs")
        out["anyOf" if key == "oneOf" else key] = _as_written(value, nested)
    return out
