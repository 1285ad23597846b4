"""The scenario: pydantic models of a scenario file (DESIGN §2).

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
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1
"""The scenario file format this release reads and writes."""

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
NAME = r"^[a-z][a-z0-9_]*$"
"""Names of channels, groups and reasons: lower-case identifiers, usable as metric keys."""


class Model(BaseModel):
    """Base of every scenario model: frozen, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# strict: YAML's true/false must not pass as 1/0; bounds keep every draw finite.
PositiveFloat = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False, strict=True)]
NonNegativeFloat = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False, strict=True)]
Rate = Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False, strict=True)]
"""Contacts per hour."""
Agents = Annotated[int, Field(ge=0, le=100_000, strict=True)]
"""A number of agents."""


# --------------------------------------------------------------------------- distributions


class Exponential(Model):
    """Exponential with the given mean (memoryless: the Erlang models' assumption)."""

    dist: Literal["exponential"]
    mean: NonNegativeFloat


class Lognormal(Model):
    """Lognormal given either ``mean`` and ``cv`` or ``median`` and ``sigma`` (of the log)."""

    dist: Literal["lognormal"]
    mean: PositiveFloat | None = None
    cv: PositiveFloat | None = None
    median: PositiveFloat | None = None
    sigma: PositiveFloat | None = None

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
    cv: PositiveFloat


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


class Calendar(Model):
    """The simulated horizon and its reporting intervals."""

    start: dt.datetime = dt.datetime(2026, 11, 1)
    """Wall-clock time of simulation time 0 (naive local time; shop's time zone)."""
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


class Channel(Model):
    """A contact channel: phone, chat, ticket, … with its own FCFS queue."""

    handle_time_seconds: Distribution
    """Agent time a contact holds one slot, from answer to end."""
    patience_seconds: Distribution | None = None
    """Time a waiting customer stays before abandoning; null = infinite patience."""
    service_level_seconds: Annotated[float, Field(ge=0, le=86400, strict=True)] = 20
    """Threshold of ``service_level``: answered within it ÷ offered."""
    concurrency: Annotated[int, Field(ge=1, le=20, strict=True)] = 1
    """Contacts of this channel one agent can hold at once (chat: typically 2–4)."""


# --------------------------------------------------------------------------- staffing

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def _minutes(v: str) -> int:
    m = _HHMM.match(v)
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"{v!r} is not a time of day HH:MM (00:00 to 24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


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

    start: str
    end: str
    agents: Agents

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str, info: ValidationInfo) -> str:
        _minutes(v)
        return v

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


Schedule = Annotated[
    ConstantSchedule | HourlySchedule | ShiftsSchedule, Field(discriminator="kind")
]


class Group(Model):
    """A group of agents who serve the listed channels with one schedule."""

    name: str = Field(pattern=NAME)
    channels: list[str] = Field(min_length=1)
    """Channels served, in the order an agent takes them when ``channel_priority`` is unset."""
    schedule: Schedule


class Staffing(Model):
    """Agent groups and the order in which a free agent takes waiting contacts."""

    groups: list[Group] = Field(min_length=1)
    channel_priority: list[str] | None = None
    """A free agent takes from the first of its channels in this list with a waiting contact."""

    @model_validator(mode="after")
    def _unique(self) -> Staffing:
        names = [g.name for g in self.groups]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"group names must be unique; repeated: {', '.join(dup)}")
        for g in self.groups:
            if len(set(g.channels)) != len(g.channels):
                raise ValueError(f"group {g.name!r} lists a channel twice")
        if self.channel_priority is not None and len(set(self.channel_priority)) != len(
            self.channel_priority
        ):
            raise ValueError("channel_priority lists a channel twice")
        return self


# --------------------------------------------------------------------------- scenario


class Scenario(Model):
    """A whole scenario: everything one run needs, after ``extends`` and overrides."""

    schema_version: Literal[1] = 1
    name: str = Field("scenario", pattern=SLUG)
    title: str = ""
    version: str = ""
    description: str = ""
    calendar: Calendar = Calendar()
    seed: Annotated[int, Field(ge=0, lt=2**63, strict=True)] = 0
    replications: Annotated[int, Field(ge=1, le=100_000, strict=True)] = 20
    arrivals: list[Arrivals] = Field(default_factory=list)
    channels: dict[str, Channel] = Field(min_length=1)
    staffing: Staffing

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        bad = [k for k in v if not re.match(NAME, k) or k == "all"]
        if bad:
            raise ValueError(
                f"channel names must be lower-case identifiers other than 'all': {bad}"
            )
        return v

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems: list[str] = []
        channels = set(self.channels)
        for i, a in enumerate(self.arrivals):
            if a.channel is not None and a.channel not in channels:
                problems.append(f"arrivals.{i}.channel: unknown channel {a.channel!r}")
            for c in a.channel_mix or {}:
                if c not in channels:
                    problems.append(f"arrivals.{i}.channel_mix.{c}: unknown channel {c!r}")
            if isinstance(a, ProfileArrivals):
                n = len(a.contacts_per_hour)
                per_day, whole = self.calendar.intervals_per_day, self.calendar.n_intervals
                if n not in (24, per_day, whole):
                    problems.append(
                        f"arrivals.{i}.contacts_per_hour: needs 24 values (one per hour), "
                        f"{per_day} (one day of {self.calendar.interval_minutes}-minute "
                        f"intervals) or {whole} (the whole horizon), got {n}"
                    )
        served: set[str] = set()
        for gi, g in enumerate(self.staffing.groups):
            for ci, c in enumerate(g.channels):
                if c not in channels:
                    problems.append(f"staffing.groups.{gi}.channels.{ci}: unknown channel {c!r}")
                served.add(c)
        for c in sorted(channels - served):
            problems.append(f"channels.{c}: no staffing group serves this channel")
        prio = self.staffing.channel_priority
        if prio is not None:
            for i, c in enumerate(prio):
                if c not in channels:
                    problems.append(f"staffing.channel_priority.{i}: unknown channel {c!r}")
            missing = sorted(served - set(prio))
            if missing:
                problems.append(
                    f"staffing.channel_priority: must list every served channel; missing {missing}"
                )
        if problems:
            raise ValueError(PathErrors(problems))
        return self


class PathErrors(list[str]):
    """Several problems, each ``field.path: message``, raised from one model validator.

    The loader splits them back into separate, located errors.
    """

    def __str__(self) -> str:
        return "; ".join(self)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors and external validators."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "promosim scenario"
    return schema
