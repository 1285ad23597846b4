"""Calibration from a shop's own history: a scenario fragment fitted to its exports.

The exports are ``orders.csv`` and ``contacts.csv`` (formats:
docs/calibration.md#exports).

Reading (:func:`read_exports`) checks every row and reports every problem at once, each with
its file and line (the header is line 1); nothing is dropped silently: rows a fit cannot use
are counted by reason in :attr:`Fit.excluded`. The fits (:func:`fit`) are pure numpy/scipy:

- **orders**: per day and weekday factors from days without promotion orders (per day is the
  mean over weekdays of each weekday's mean, so the factors average 1), the intraday
  profile as hour shares, and the gamma day-noise shape by moments;
- **contacts per order and reason**: an *issue* is an order (or, without one, a customer)
  and a reason; its first contact is when it arrived. Lags from each anchor (order, ship,
  delivery) are fitted by maximum likelihood, lognormal and exponential, *truncated* to the
  contacts' observation window (a contact after the export's end is not in it), and the
  best anchor and family by log-likelihood are kept. The rate per order is issues ÷ Σ over
  orders of the probability that the order's contact would fall inside the window;
- **handle time** (``ended − answered``): log handle time = channel effect + reason effect
  + noise with a channel's own σ (weighted least squares = lognormal MLE); reason factors
  are scaled so that their contact-weighted log mean is 0;
- **patience** per channel from censored waits: an abandoned contact's wait is a patience,
  an answered (or still waiting) one's is a lower bound on it. Exponential MLE: mean =
  total waiting time of all contacts ÷ abandonments; a Kaplan–Meier curve for the report.
  The naive mean of abandoners' waits is kept only to show its bias;
- **journey**: resolution per reason (answered, unrefunded contacts), repeat probability
  (answered unresolved contacts followed by another contact of their issue) and redial
  probability (abandoned ones), each over contacts with ``FOLLOW_UP_HOURS`` of export left;
- **CSAT**: logistic regression of satisfied (score ≥ ``satisfied_from``) per surveyed
  issue on the satisfaction model's observable terms (:class:`sim.config.Satisfaction`).

Every estimate carries a 95% confidence interval (Wald, from the observed information for
the maximum-likelihood fits; Wilson for shares) and its n. Nothing here writes or prints.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy import optimize, special

from sim import config, fmath
from sim.config import Satisfaction
from sim.eventlog import CONTACT_COLUMNS, ORDER_COLUMNS
from sim.localtime import LocalClock
from sim.text import shown

Z95 = 1.959963984540054
"""Two-sided 95% normal quantile."""

HOUR = 3600.0
DAY = 86400.0

FOLLOW_UP_HOURS = 48.0
"""A contact counts for the repeat and redial probabilities only if the export goes on this
long after it ended (a repeat after the export's end is not in it)."""

ORDERS_REQUIRED = ("order_id", "created")
CONTACTS_REQUIRED = ("contact_id", "channel", "reason", "arrived", "answered", "ended")
ANCHORS = {"order": "created", "ship": "shipped", "delivery": "delivered"}
"""Scenario anchor → orders.csv column it is measured from."""

POOR_KS = 0.1
"""A lag fit farther than this from its sample (KS distance) gets a note."""

MIN_HANDLE = 5
"""Answered contacts a channel or reason needs to enter the handle-time fit."""

MIN_SPREAD = 1e-6
"""A lognormal sigma (of the log) below this is no spread: every value the same, which a
lognormal cannot fit (sigma 0, log of 0); such a sample is left out with a notice."""

KM_MIN_AT_RISK = 50
"""The Kaplan–Meier curve is compared with the fit only where this many are at risk."""

MAX_LISTED = 200
"""Problems listed one by one; beyond that they are counted."""


# --------------------------------------------------------------------------- reading


class ExportError(Exception):
    """Malformed exports: every problem found, each ``file:line: column: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:MAX_LISTED]
        more = len(self.problems) - len(shown)
        text = "\n".join(shown) + (f"\n… and {more} more problems" if more else "")
        super().__init__(text)


@dataclass(frozen=True)
class ColumnMap:
    """How a real export's headers and values map to the documented format.

    Attributes:
        orders: Documented orders column → the export's header.
        contacts: Documented contacts column → the export's header.
        channels: The export's channel value → scenario channel name.
        reasons: The export's reason value → scenario reason name.
        satisfied_from: A CSAT score at least this counts as satisfied.
    """

    orders: Mapping[str, str] = field(default_factory=dict)
    contacts: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)
    satisfied_from: float = 4.0


@dataclass(frozen=True)
class Exports:
    """Both exports as arrays; times in seconds from ``epoch`` (local shop time).

    Order rows are indexed like the file's data rows; ``contact_order`` is the index of a
    contact's order (-1: none given; -2: an id not in orders.csv).
    """

    epoch: dt.datetime
    order_id: list[str]
    created: NDArray[np.float64]
    items: NDArray[np.float64]
    amount: NDArray[np.float64]
    promotion: NDArray[np.bool_]
    shipped: NDArray[np.float64]
    delivered: NDArray[np.float64]
    contact_id: list[str]
    contact_order: NDArray[np.int64]
    customer: list[str]
    channel: list[str]
    reason: list[str]
    arrived: NDArray[np.float64]
    answered: NDArray[np.float64]
    ended: NDArray[np.float64]
    resolved: NDArray[np.float64]
    csat: NDArray[np.float64]
    refunded: NDArray[np.float64]


def decode(data: bytes, name: str = "export") -> str:
    """An export's text: UTF-8 (with or without BOM), else GB18030 (Excel in China).

    Raises:
        ExportError: UTF-16 (a byte-order mark says so), or text that is neither: the file,
            the line of the first byte UTF-8 cannot read, and what is expected.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExportError(
            [
                f"{name}:1: UTF-16 text (it starts with a UTF-16 byte-order mark); "
                "save the export as CSV in UTF-8 (with or without BOM) or GB18030"
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, utf8.start) + 1
            raise ExportError(
                [
                    f"{name}:{line}: neither UTF-8 nor GB18030 text (byte 0x{data[utf8.start]:02x} "
                    "is not UTF-8); save the export as CSV in UTF-8 (with or without BOM)"
                ]
            ) from None


def load_exports(orders: Path, contacts: Path, mapping: ColumnMap | None = None) -> Exports:
    """Read and check both exports from disk (see :func:`read_exports`).

    Raises:
        ExportError: A file cannot be read, or rows are malformed.
    """
    texts = []
    for path in (orders, contacts):
        try:
            texts.append(decode(path.read_bytes(), str(path)))
        except OSError as e:
            raise ExportError([f"{path}: cannot read: {e.strerror or e}"]) from None
    return read_exports(texts[0], texts[1], mapping, str(orders), str(contacts))


def _time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.strip().replace("/", "-"))
    return t.replace(tzinfo=None)  # the shop's wall clock, whatever zone the export names


class _Table:
    """One CSV file's rows, with its problems and the mapped header."""

    def __init__(
        self,
        text: str,
        name: str,
        columns: Sequence[str],
        required: Sequence[str],
        mapping: Mapping[str, str],
        problems: list[str],
    ) -> None:
        self.name = name
        self.problems = problems
        self.unreadable = False
        """A required column is missing: the rows cannot be read."""
        reader = csv.reader(io.StringIO(text))
        try:
            header = [h.strip() for h in next(reader, [])]
        except csv.Error as e:
            problems.append(_csv_problem(text, name, 0, reader.line_num, [], e))
            header, self.unreadable = [], True
        unknown = sorted(set(mapping) - set(columns))
        for k in unknown:
            problems.append(f"{name}: column mapping: {k!r} is not a column of this file")
        self.index: dict[str, int] = {}
        for col in columns:
            src = mapping.get(col, col)
            if src in header:
                self.index[col] = header.index(src)
            elif col in required:
                via = f" (mapped to {src!r})" if src != col else ""
                has = f"the header has: {', '.join(header)}" if header else "the file is empty"
                problems.append(f"{name}:1: missing column {col!r}{via}; {has}")
                self.unreadable = True
        if unknown:
            self.unreadable = True
        # blank lines are not rows (csv gives []); a row's cells must match the header's
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.width = len(header)
        done = reader.line_num
        while not self.unreadable:
            try:
                r = next(reader, None)
            except csv.Error as e:  # the rest of the file cannot be split into cells
                problems.append(_csv_problem(text, name, done, reader.line_num, header, e))
                self.unreadable = True
                break
            if r is None:
                break
            done = reader.line_num
            if not r:
                continue
            self.rows.append(r)
            self.lines.append(reader.line_num)
            if len(r) < self.width or any(cell.strip() for cell in r[self.width :]):
                problems.append(
                    f"{name}:{reader.line_num}: has {len(r)} cells, the header {self.width} "
                    "(a stray comma or quote?)"
                )

    def cells(self, col: str) -> list[str]:
        i = self.index.get(col)
        if i is None:
            return [""] * len(self.rows)
        return [r[i].strip() if i < len(r) else "" for r in self.rows]

    def problem(self, row: int, col: str, message: str) -> None:
        self.problems.append(f"{self.name}:{self.lines[row]}: {col}: {message}")

    def times(self, col: str, required: bool) -> list[dt.datetime | None]:
        out: list[dt.datetime | None] = []
        for r, cell in enumerate(self.cells(col)):
            if not cell:
                if required:
                    self.problem(r, col, "empty")
                out.append(None)
                continue
            try:
                out.append(_time(cell))
            except ValueError:
                self.problem(r, col, f"cannot read {cell!r} as a time (YYYY-MM-DD HH:MM:SS)")
                out.append(None)
        return out

    def numbers(self, col: str, allowed: tuple[float, ...] | None = None) -> NDArray[np.float64]:
        out = np.full(len(self.rows), np.nan)
        words = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "是": 1.0, "否": 0.0}
        for r, cell in enumerate(self.cells(col)):
            if not cell:
                continue
            try:
                v = words[cell.lower()] if cell.lower() in words else float(cell)
            except ValueError:
                self.problem(r, col, f"cannot read {cell!r} as a number")
                continue
            if not math.isfinite(v) or (allowed is not None and v not in allowed):
                self.problem(
                    r, col, f"{cell!r} is not one of {', '.join(f'{a:g}' for a in allowed or ())}"
                )
                continue
            out[r] = v
        return out

    def ids(self, col: str) -> list[str]:
        cells = self.cells(col)
        seen: dict[str, int] = {}
        for r, cell in enumerate(cells):
            if not cell:
                self.problem(r, col, "empty")
            elif cell in seen:
                self.problem(r, col, f"{cell!r} repeats the id of line {self.lines[seen[cell]]}")
            else:
                seen[cell] = r
        return cells


def _csv_problem(
    text: str, name: str, done: int, line: int, header: Sequence[str], error: csv.Error
) -> str:
    """``file:line: column: message`` for a row csv cannot read (``done``: lines read before).

    csv refuses a cell longer than its field size limit (131,072 characters): the row is
    read again, alone, with a limit its size allows, to name the cell's column.
    """
    limit = csv.field_size_limit()
    if "field larger than field limit" not in str(error):
        return f"{name}:{line}: cannot split the row into cells: {error}"
    rows = text.split("\n")[done:line]
    start = done + 1
    while rows and not rows[0].strip():  # blank lines before the row
        rows.pop(0)
        start += 1
    chunk = "\n".join(rows)
    csv.field_size_limit(max(limit, len(chunk) + 1))
    try:
        cells = next(csv.reader(io.StringIO(chunk)), [])
    except csv.Error:
        cells = []
    finally:
        csv.field_size_limit(limit)
    long = [i for i, cell in enumerate(cells) if len(cell) > limit]
    column = ""
    if long:
        i = long[0]
        column = f"{header[i]}: " if i < len(header) and header[i] else f"cell {i + 1}: "
    return f"{name}:{start}: {column}cell longer than {limit:,} characters"


def read_exports(
    orders_text: str,
    contacts_text: str,
    mapping: ColumnMap | None = None,
    orders_name: str = "orders.csv",
    contacts_name: str = "contacts.csv",
) -> Exports:
    """Parse and check both exports.

    Raises:
        ExportError: Missing columns, unreadable times or numbers, repeated ids, times out
            of order (answered before arrived, ended before answered, shipped before
            created, delivered before shipped): every one, with its line.
    """
    m = mapping or ColumnMap()
    problems: list[str] = []
    o = _Table(orders_text, orders_name, ORDER_COLUMNS, ORDERS_REQUIRED, m.orders, problems)
    c = _Table(
        contacts_text, contacts_name, CONTACT_COLUMNS, CONTACTS_REQUIRED, m.contacts, problems
    )
    if o.unreadable or c.unreadable:  # without the columns the rows cannot be read
        raise ExportError(problems)
    if not c.rows:  # orders alone fit nothing this command writes
        problems.append(f"{c.name}: no data rows: nothing to fit")
    order_id = o.ids("order_id")
    created_t = o.times("created", True)
    shipped_t = o.times("shipped", False)
    delivered_t = o.times("delivered", False)
    items = o.numbers("items")
    amount = o.numbers("amount_yuan")
    promo = o.numbers("promotion", (0.0, 1.0))
    contact_id = c.ids("contact_id")
    arrived_t = c.times("arrived", True)
    answered_t = c.times("answered", False)
    ended_t = c.times("ended", False)
    resolved = c.numbers("resolved", (0.0, 1.0))
    refunded = c.numbers("refunded", (0.0, 1.0))
    csat = c.numbers("csat")
    channel = [m.channels.get(v, v) for v in c.cells("channel")]
    reason = [m.reasons.get(v, v) for v in c.cells("reason")]
    for col, values in (("channel", channel), ("reason", reason)):
        for r, v in enumerate(values):
            if not v:
                c.problem(r, col, "empty")
    _check_names(c, "channel", c.cells("channel"), channel)
    _check_names(c, "reason", c.cells("reason"), reason)

    stamps = [t for t in (*created_t, *arrived_t) if t is not None]
    epoch = (
        dt.datetime.combine(min(stamps).date(), dt.time()) if stamps else dt.datetime(2000, 1, 1)
    )

    def secs(ts: list[dt.datetime | None]) -> NDArray[np.float64]:
        return np.array(
            [(t - epoch).total_seconds() if t is not None else np.nan for t in ts], dtype=float
        )

    created, shipped, delivered = secs(created_t), secs(shipped_t), secs(delivered_t)
    arrived, answered, ended = secs(arrived_t), secs(answered_t), secs(ended_t)
    checks = (
        (o, shipped < created, "shipped", "before created"),
        (o, delivered < shipped, "delivered", "before shipped"),
        (c, answered < arrived, "answered", "before arrived"),
        (c, ended < answered, "ended", "before answered"),
        (c, np.isnan(answered) & (ended < arrived), "ended", "before arrived"),
        (c, ~np.isnan(answered) & np.isnan(ended), "ended", "empty although answered"),
    )
    for table, bad, col, message in checks:
        for row in np.flatnonzero(bad).tolist():
            table.problem(row, col, message)
    if problems:
        raise ExportError(problems)

    where = {oid: i for i, oid in enumerate(order_id)}
    contact_order = np.array(
        [where.get(v, -2) if v else -1 for v in c.cells("order_id")], dtype=np.int64
    )
    customer = c.cells("customer_id")
    return Exports(
        epoch=epoch,
        order_id=order_id,
        created=created,
        items=items,
        amount=amount,
        promotion=promo == 1.0,
        shipped=shipped,
        delivered=delivered,
        contact_id=contact_id,
        contact_order=contact_order,
        customer=customer,
        channel=channel,
        reason=reason,
        arrived=arrived,
        answered=answered,
        ended=ended,
        resolved=resolved,
        csat=csat,
        refunded=refunded,
    )


NAME = re.compile(config.NAME)
"""A scenario's channel and reason names (matched whole): what the fragment may hold."""
RESERVED_CHANNELS = ("all", "group", "contacts")
"""Channel names a scenario refuses (metric prefixes)."""
SHOWN_CHARS = 40
"""An export value is quoted in a problem only this long."""


def _quoted(value: str) -> str:
    return repr(value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 1] + "…")


def _check_names(table: _Table, col: str, raw: list[str], names: list[str]) -> None:
    r"""Each distinct value that is not a scenario name: one problem at its first line.

    The fragment writes these values as names (``- name:``, ``channel_mix`` keys, channel
    keys), and a scenario extending it accepts only names: a value like ``x\neconomics: …``
    must never reach it. Real exports hold labels such as 退差价: the mapping file turns them
    into names; nothing is renamed behind the planner's back.
    """
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for r, v in enumerate(names):
        if v and not (NAME.fullmatch(v) and not (col == "channel" and v in RESERVED_CHANNELS)):
            first.setdefault(v, r)
            count[v] = count.get(v, 0) + 1
    key = "channels" if col == "channel" else "reasons"
    for v, r in first.items():
        source = raw[r]
        mapped = source != v
        what = f"{_quoted(v)} (mapped from {_quoted(source)})" if mapped else _quoted(v)
        rule = (
            f"{what} is a name a scenario keeps for metrics ({', '.join(RESERVED_CHANNELS)})"
            if NAME.fullmatch(v)
            else f"{what} is not a scenario name (a lower-case letter, then lower-case "
            "letters, digits or _)"
        )
        fix = "change its mapping" if mapped else "map it to a name"
        more = count[v] - 1
        rows = f" (and {more} more row{'s' * (more != 1)})" if more else ""
        table.problem(r, col, f"{rule}: {fix} in --map-file, under {key}{rows}")


# --------------------------------------------------------------------------- small statistics


@dataclass(frozen=True)
class Estimate:
    """A fitted value with its 95% confidence interval, standard error and the n it rests on.

    ``log``: the interval is value × exp(±1.96·se) (se of the log), else value ± 1.96·se
    (Wilson's interval for shares, which is close to it).
    """

    value: float
    lo: float
    hi: float
    n: int
    se: float
    log: bool = False

    def covers(self, truth: float, z: float = Z95) -> bool:
        """Whether ``truth`` is within ``z`` standard errors (on the interval's scale)."""
        if self.log:
            return truth > 0 and abs(math.log(truth) - math.log(self.value)) <= z * self.se
        return abs(truth - self.value) <= z * self.se


def _wald(value: float, se: float, n: int) -> Estimate:
    return Estimate(value, value - Z95 * se, value + Z95 * se, n, se)


def _log_wald(log_value: float, se: float, n: int) -> Estimate:
    return Estimate(
        math.exp(log_value),
        math.exp(log_value - Z95 * se),
        math.exp(log_value + Z95 * se),
        n,
        se,
        log=True,
    )


def _share(k: int, n: int) -> Estimate:
    """A share k/n with its Wilson 95% interval."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, math.nan)
    p = k / n
    den = 1 + Z95**2 / n
    mid = (p + Z95**2 / (2 * n)) / den
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / den
    return Estimate(p, max(0.0, mid - half), min(1.0, mid + half), n, half / Z95)


def _hessian(f: Any, x: NDArray[np.float64], step: float = 1e-4) -> NDArray[np.float64]:
    """Central-difference Hessian of a scalar function (for observed information)."""
    k = x.size
    h = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
            v = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * step * step
            )
            h[i, j] = h[j, i] = v
    return h


def ks_distance(sample: NDArray[np.float64], cdf: Any) -> float:
    """Kolmogorov–Smirnov distance between a sample and a fitted CDF."""
    x = np.sort(sample)
    n = x.size
    if n == 0:
        return math.nan
    f = np.asarray(cdf(x), dtype=float)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


# --------------------------------------------------------------------------- orders


@dataclass(frozen=True)
class OrdersFit:
    """Order volume and shape (from days without promotion orders).

    Attributes:
        per_day: Orders per day (mean over weekdays of each weekday's mean).
        weekday_factors: Monday to Sunday, each weekday's mean ÷ ``per_day`` (None: a weekday
            has no day).
        weekday_means: Each weekday's mean orders per day (what the factors and per day
            give together; None where missing).
        intraday_share: 24 shares of orders by hour of day.
        overdispersion_shape: Gamma day-noise shape by moments (None: no extra variance).
        days: Dates and order counts of every day (``promo``: it had promotion orders).
    """

    per_day: Estimate
    weekday_factors: list[Estimate] | None
    weekday_means: list[Estimate | None]
    intraday_share: list[Estimate]
    overdispersion_shape: float | None
    dispersion_index: float
    day_dates: list[str]
    day_counts: list[int]
    day_promo: list[bool]
    uplift: Estimate | None
    mean_items: float | None
    mean_amount_yuan: float | None


def _fit_orders(x: Exports) -> OrdersFit:
    local = LocalClock.of(x.epoch)  # a local midnight: days are dates, hours the shop's
    days, tod = local.split(x.created)
    day = days.astype(np.int64)
    first, last = int(day.min()), int(day.max())
    n_days = last - first + 1
    counts = np.bincount(day - first, minlength=n_days)
    promo_days = np.bincount(day - first, weights=x.promotion.astype(float), minlength=n_days) > 0
    normal = ~promo_days if (~promo_days).any() else np.ones(n_days, dtype=bool)
    weekday = np.array([local.weekday(first + k) for k in range(n_days)])
    y = counts[normal].astype(float)
    wd = weekday[normal]
    means: list[Estimate | None] = []
    n_w = np.array([(wd == w).sum() for w in range(7)])
    mean_w = np.array([y[wd == w].mean() if n_w[w] else np.nan for w in range(7)])
    resid = y - mean_w[wd]
    dof = max(1, y.size - int((n_w > 0).sum()))
    s2 = float((resid**2).sum() / dof) if y.size > (n_w > 0).sum() else float(y.mean())
    for w in range(7):
        means.append(
            _wald(float(mean_w[w]), math.sqrt(s2 / n_w[w]), int(n_w[w])) if n_w[w] else None
        )
    if (n_w > 0).all():
        per_day_v = float(mean_w.mean())
        per_day = _wald(per_day_v, math.sqrt(s2 * float((1.0 / n_w).sum())) / 7, int(y.size))
        factors: list[Estimate] | None = [
            _wald(
                float(mean_w[w] / per_day_v),
                math.sqrt(s2 / n_w[w]) / per_day_v,
                int(n_w[w]),
            )
            for w in range(7)
        ]
    else:
        per_day = _wald(float(y.mean()), math.sqrt(s2 / y.size), int(y.size))
        factors = None
    mu = float(np.mean(mean_w[wd]))
    dispersion = s2 / mu if mu > 0 else math.nan
    shape = mu / (dispersion - 1) if dispersion > 1.0 + 2 * math.sqrt(2.0 / dof) else None
    normal_order = normal[day - first]
    hours = np.floor(tod[normal_order] / HOUR).astype(np.int64)
    n_h = int(hours.size)
    hc = np.bincount(hours, minlength=24)
    shares = [_share(int(k), n_h) for k in hc]
    uplift = None
    if promo_days.any() and (~promo_days).any():
        promo_rate = counts[promo_days].mean()
        base = float(mean_w[weekday[promo_days]].mean()) if factors else per_day.value
        se = math.sqrt(promo_rate / promo_days.sum() + s2 / max(1, y.size)) / base
        uplift = _wald(float(promo_rate / base), se, int(promo_days.sum()))
    items = x.items[~x.promotion]
    amount = x.amount[~x.promotion]
    return OrdersFit(
        per_day=per_day,
        weekday_factors=factors,
        weekday_means=means,
        intraday_share=shares,
        overdispersion_shape=shape,
        dispersion_index=dispersion,
        day_dates=[
            (x.epoch.date() + dt.timedelta(days=first + k)).isoformat() for k in range(n_days)
        ],
        day_counts=[int(v) for v in counts],
        day_promo=[bool(v) for v in promo_days],
        uplift=uplift,
        mean_items=float(np.nanmean(items)) if np.isfinite(items).any() else None,
        mean_amount_yuan=float(np.nanmean(amount)) if np.isfinite(amount).any() else None,
    )


# --------------------------------------------------------------------------- lags


@dataclass(frozen=True)
class LagFit:
    """A lag distribution (hours) from one anchor, truncated to the observation window.

    ``family`` is ``lognormal`` (``median``, ``sigma``) or ``exponential`` (``mean``).
    """

    anchor: str
    family: str
    before: bool
    params: dict[str, Estimate]
    loglik_per_issue: float
    n: int
    ks: float
    lags_hours: NDArray[np.float64]

    def cdf(self, hours: NDArray[np.float64]) -> NDArray[np.float64]:
        """The fitted lag CDF at ``hours`` (0 below 0)."""
        h = np.maximum(np.asarray(hours, dtype=float), 0.0)
        if self.family == "exponential":
            return np.asarray(-fmath.expm1(-h / self.params["mean"].value), dtype=float)
        mu, s = math.log(self.params["median"].value), self.params["sigma"].value
        return np.asarray(special.ndtr((fmath.log(h) - mu) / s), dtype=float)

    def pdf(self, hours: NDArray[np.float64]) -> NDArray[np.float64]:
        """The fitted lag density (per hour)."""
        h = np.asarray(hours, dtype=float)
        if self.family == "exponential":
            m = self.params["mean"].value
            return np.asarray(fmath.exp(-h / m) / m, dtype=float)
        mu, s = math.log(self.params["median"].value), self.params["sigma"].value
        # written out: scipy.stats' lognorm.pdf calls numpy's CPU-dependent np.log and np.exp
        pos = h > 0
        x = np.where(pos, h, 1.0)
        z = (fmath.log(x) - mu) / s
        dens = fmath.exp(-0.5 * z * z) / (x * s * math.sqrt(2.0 * math.pi))
        return np.where(pos, dens, 0.0)


def _fit_lag(
    lag: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64], family: str
) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
    """MLE of a lag family truncated to [lo, hi) per issue (hours): params, loglik, cov."""
    logl = fmath.log(lag)
    lo_c = np.maximum(lo, 0.0)

    def nll(p: NDArray[np.float64]) -> float:
        if family == "lognormal":
            mu, s = p[0], math.exp(p[1])
            dens = -logl - p[1] - 0.5 * math.log(2 * math.pi) - 0.5 * ((logl - mu) / s) ** 2
            f_hi = special.ndtr((fmath.log(hi) - mu) / s)
            f_lo = special.ndtr((fmath.log(lo_c) - mu) / s)
        else:
            m = math.exp(p[0])
            dens = -p[0] - lag / m
            f_hi = -fmath.expm1(-hi / m)
            f_lo = -fmath.expm1(-lo_c / m)
        mass = np.maximum(f_hi - f_lo, 1e-300)
        return float(-(dens - fmath.log(mass)).sum())

    start = (
        np.array([logl.mean(), math.log(max(logl.std(), 1e-3))])
        if family == "lognormal"
        else np.array([math.log(lag.mean())])
    )
    res = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000}
    )
    p = np.asarray(res.x, dtype=float)
    h = _hessian(nll, p)
    try:
        cov = np.asarray(np.linalg.inv(h), dtype=np.float64)
    except np.linalg.LinAlgError:
        cov = np.full(h.shape, np.nan)
    return p, -float(res.fun), cov


def _lag_fits(x: Exports, first: NDArray[np.int64], window: tuple[float, float]) -> list[LagFit]:
    """Every anchor and family that fits the issues whose first contacts are ``first``."""
    order = x.contact_order[first]
    arrival = x.arrived[first]
    fits: list[LagFit] = []
    for anchor, col in ANCHORS.items():
        at = getattr(x, col)[order]
        ok = np.isfinite(at)
        if ok.sum() < 10:
            continue
        lag = (arrival[ok] - at[ok]) / HOUR
        if (lag > 0).mean() >= 0.99:
            before = False
        elif (lag < 0).mean() >= 0.99:
            before = True
        else:
            continue
        keep = (lag < 0) if before else (lag > 0)
        a = at[ok][keep]
        lag = np.abs(lag[keep])
        if before:  # observed iff window[0] <= a − L < window[1]
            lo, hi = (a - window[1]) / HOUR, (a - window[0]) / HOUR
        else:
            lo, hi = (window[0] - a) / HOUR, (window[1] - a) / HOUR
        for family in ("lognormal", "exponential"):
            p, ll, cov = _fit_lag(lag, lo, hi, family)
            n = int(lag.size)
            se = np.sqrt(np.maximum(np.diag(cov), 0.0))
            if family == "lognormal":
                params = {
                    "median": _log_wald(float(p[0]), float(se[0]), n),
                    "sigma": _log_wald(float(p[1]), float(se[1]), n),
                }
            else:
                params = {"mean": _log_wald(float(p[0]), float(se[0]), n)}
            fitted = LagFit(anchor, family, before, params, ll / n, n, math.nan, lag)
            # KS against the fitted lag, unconditional on the window (long lags look short)
            ks = ks_distance(lag, fitted.cdf)
            fits.append(LagFit(anchor, family, before, params, ll / n, n, ks, lag))
    return fits


# --------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class ReasonFit:
    """One contact reason: rate per order, lag, channel mix, handle factor, resolution.

    ``promotion``: its issues come (almost) only from promotion orders, so its rate is per
    promotion order (a mechanic's reason, not a ``contact_reasons`` entry).
    """

    name: str
    issues: int
    promotion: bool
    rate_per_order: Estimate | None
    lag: LagFit | None
    lag_candidates: list[LagFit]
    channel_mix: dict[str, Estimate]
    handle_time_factor: Estimate | None
    resolution: Estimate | None


@dataclass(frozen=True)
class HandleFit:
    """Handle time of one channel: lognormal median (seconds) and sigma of the log."""

    median: Estimate
    sigma: Estimate
    n: int
    ks: float
    cell_median: dict[str, Estimate]
    """Per reason, the median of this channel × reason (channel median × reason factor)."""
    observed_seconds: NDArray[np.float64]


@dataclass(frozen=True)
class PatienceFit:
    """Patience of one channel from censored waits (seconds).

    Attributes:
        mean: Exponential MLE: total wait of every contact ÷ abandonments.
        naive_mean: Mean wait of the abandoners only (biased low; for comparison).
        abandoned: Contacts that abandoned (events).
        censored: Contacts answered or still waiting at the export's end (censored).
        km_time: Kaplan–Meier curve of patience: times (seconds) …
        km_survival: … and the share still patient just after each.
    """

    mean: Estimate
    naive_mean: float
    abandoned: int
    censored: int
    km_time: NDArray[np.float64]
    km_survival: NDArray[np.float64]
    km_gap: float
    """Largest vertical distance between the Kaplan–Meier curve and the fitted exponential,
    where at least ``KM_MIN_AT_RISK`` contacts are at risk."""


@dataclass(frozen=True)
class CsatFit:
    """Logistic regression of satisfied on the satisfaction model's observable terms.

    ``coef`` is in the scenario's signs (``b_wait_per_minute`` etc. are subtracted).
    """

    coef: dict[str, Estimate]
    n: int
    satisfied_share: float
    calibration: list[tuple[float, float, int]]
    """Per tenth of predicted probability: mean predicted, observed share, issues."""


@dataclass(frozen=True)
class Fit:
    """Everything fitted, with what was excluded and why."""

    window_start: dt.datetime
    window_end: dt.datetime
    orders: OrdersFit | None
    reasons: list[ReasonFit]
    handle: dict[str, HandleFit]
    patience: dict[str, PatienceFit]
    repeat: Estimate | None
    repeat_lag_hours: Estimate | None
    redial: Estimate | None
    redial_lag_minutes: Estimate | None
    csat: CsatFit | None
    fulfilment: dict[str, tuple[Estimate, Estimate]]
    """``ship_delay_hours`` (created → shipped) and ``transit_delay_hours`` (shipped →
    delivered): lognormal MLE (median, sigma)."""
    excluded: dict[str, int]
    n_orders: int
    n_contacts: int
    notes: list[str]


def _issues(x: Exports) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per contact its issue number, and per issue its first contact (by arrival)."""
    keys = [
        (x.order_id[o] if o >= 0 else "", x.customer[i] if o < 0 else "", x.reason[i])
        if (o >= 0 or x.customer[i])
        else ("", "#" + x.contact_id[i], x.reason[i])
        for i, o in enumerate(x.contact_order.tolist())
    ]
    ids: dict[tuple[str, str, str], int] = {}
    issue = np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64)
    by = np.lexsort((np.arange(issue.size), x.arrived, issue))
    firsts = by[np.r_[True, issue[by][1:] != issue[by][:-1]]] if issue.size else by
    return issue, firsts[np.argsort(issue[firsts])]


def fit(x: Exports, satisfaction: Satisfaction | None = None, satisfied_from: float = 4.0) -> Fit:
    """Fit every parameter the exports pin down (see the module docstring).

    Args:
        x: The checked exports.
        satisfaction: Where the wait tolerances per channel come from (defaults: the
            scenario defaults).
        satisfied_from: A CSAT score at least this counts as satisfied.
    """
    sat = satisfaction or Satisfaction()
    excluded: dict[str, int] = {}
    notes: list[str] = []

    def exclude(why: str, k: int) -> None:
        if k:
            excluded[why] = excluded.get(why, 0) + int(k)

    n_c = x.arrived.size
    # the contacts' observation window: whole days from the first arrival's to the last's
    # (contacts still open at the export's end waited until then)
    w0 = math.floor(np.min(x.arrived) / DAY) * DAY if n_c else 0.0
    w1 = (math.floor(np.max(x.arrived) / DAY) + 1) * DAY if n_c else DAY
    orders_fit = _fit_orders(x) if x.created.size else None
    issue, first = _issues(x) if n_c else (np.zeros(0, np.int64), np.zeros(0, np.int64))

    answered = np.isfinite(x.answered)
    abandoned = ~answered & np.isfinite(x.ended)
    still = ~answered & ~np.isfinite(x.ended)
    exclude(
        "contacts still waiting at the export's end (censored at its end in patience)",
        int(still.sum()),
    )
    channels = sorted(set(x.channel))
    reasons = sorted(set(x.reason))
    chan = np.array([channels.index(c) for c in x.channel], dtype=np.int64)
    reas = np.array([reasons.index(r) for r in x.reason], dtype=np.int64)

    # ---- handle time: log h = channel + reason + noise (channel's own sigma)
    handle = x.ended - x.answered
    use = answered & (handle > 0)
    exclude(
        "answered contacts with zero handle time (not in the handle-time fit)",
        int((answered & (handle <= 0)).sum()),
    )
    handle_fit, factors = _fit_handle(handle, use, chan, reas, channels, reasons, exclude, notes)

    # ---- patience per channel
    end_w = w1
    wait = np.where(answered, x.answered, np.where(abandoned, x.ended, end_w)) - x.arrived
    patience = {
        name: _fit_patience(wait[chan == ci], abandoned[chan == ci])
        for ci, name in enumerate(channels)
    }

    # ---- reasons: rate, lag, mix, resolution
    first_order = x.contact_order[first]
    exclude(
        "issues whose order_id is not in orders.csv (not in rates and lags)",
        int((first_order == -2).sum()),
    )
    resolved_known = answered & np.isfinite(x.resolved)
    exclude(
        "answered contacts without resolved (not in resolution, repeat, CSAT terms)",
        int((answered & ~np.isfinite(x.resolved)).sum()),
    )
    not_refunded = ~(x.refunded == 1.0)
    reason_fits = []
    for ri, name in enumerate(reasons):
        f_r = first[reas[first] == ri]
        with_order = f_r[x.contact_order[f_r] >= 0]
        promo = bool(
            with_order.size
            and x.promotion[x.contact_order[with_order]].mean() >= 0.99
            and x.promotion.mean() < 0.99
        )
        candidates = _lag_fits(x, with_order, (w0, w1)) if with_order.size >= 10 else []
        best = max(candidates, key=lambda f: f.loglik_per_issue) if candidates else None
        rate = None
        if best is not None:
            at = getattr(x, ANCHORS[best.anchor])
            eligible = np.isfinite(at) & (x.promotion if promo else True)
            a = at[eligible]
            if best.before:
                p_obs = best.cdf((a - w0) / HOUR) - best.cdf((a - w1) / HOUR)
            else:
                p_obs = best.cdf((w1 - a) / HOUR) - best.cdf((w0 - a) / HOUR)
            expected = float(p_obs.sum())
            k = best.n
            if expected > 0:
                rate = _wald(k / expected, math.sqrt(k) / expected, k)
        elif with_order.size:
            notes.append(f"reason {name}: no anchor gives lags of one sign; no rate or lag fitted")
        if best is not None and best.ks > POOR_KS:
            notes.append(
                f"reason {name}: the best lag fit is poor (KS {best.ks:.3f}); its true anchor "
                "may be one the exports lack (the promised delivery), or it comes only for "
                "undelivered parcels"
            )
        mix_n = np.bincount(chan[f_r], minlength=len(channels))
        mix = {
            channels[ci]: _share(int(mix_n[ci]), int(f_r.size))
            for ci in range(len(channels))
            if mix_n[ci]
        }
        m = resolved_known & not_refunded & (reas == ri)
        resolution = _share(int((x.resolved[m] == 1).sum()), int(m.sum())) if m.any() else None
        reason_fits.append(
            ReasonFit(
                name=name,
                issues=int(f_r.size),
                promotion=promo,
                rate_per_order=rate,
                lag=best,
                lag_candidates=candidates,
                channel_mix=mix,
                handle_time_factor=factors.get(name),
                resolution=resolution,
            )
        )
    exclude(
        "issues without an order (direct contacts: not in rates and lags)",
        int((first_order == -1).sum()),
    )

    # ---- journey: repeats after answered unresolved contacts, redials after abandoning
    repeat, repeat_lag, redial, redial_lag = _fit_follow_ups(
        x, issue, answered, abandoned, resolved_known & not_refunded, w1, exclude
    )

    # ---- CSAT
    csat = None
    if np.isfinite(x.csat).any():
        csat = _fit_csat(x, issue, first, answered, abandoned, sat, satisfied_from, exclude)
    return Fit(
        window_start=x.epoch + dt.timedelta(seconds=w0),
        window_end=x.epoch + dt.timedelta(seconds=w1),
        orders=orders_fit,
        reasons=reason_fits,
        handle=handle_fit,
        patience=patience,
        repeat=repeat,
        repeat_lag_hours=repeat_lag,
        redial=redial,
        redial_lag_minutes=redial_lag,
        csat=csat,
        fulfilment=_fit_fulfilment(x, exclude),
        excluded=excluded,
        n_orders=int(x.created.size),
        n_contacts=int(n_c),
        notes=notes,
    )


def _fit_fulfilment(x: Exports, exclude: Any) -> dict[str, tuple[Estimate, Estimate]]:
    """Lognormal MLE of ship delay and transit time (hours): mean and sd of the logs."""
    out: dict[str, tuple[Estimate, Estimate]] = {}
    spans = (
        ("ship_delay_hours", x.created, x.shipped, "orders without shipped"),
        ("transit_delay_hours", x.shipped, x.delivered, "shipped orders without delivered"),
    )
    for name, start, end, why in spans:
        if not np.isfinite(end).any():
            continue
        hours = (end - start) / HOUR
        known = np.isfinite(hours)
        exclude(f"{why} (not in {name})", int((np.isfinite(start) & ~known).sum()))
        ok = known & (hours > 0)
        exclude(f"orders with a zero {name} (not in its fit)", int((known & ~ok).sum()))
        n = int(ok.sum())
        if n < 2:
            continue
        logs = fmath.log(hours[ok])
        sigma = float(logs.std())
        if not sigma > MIN_SPREAD:  # one length for every order: no lognormal to fit
            exclude(f"orders whose {name} are all the same (no spread: not fitted)", n)
            continue
        out[name] = (
            _log_wald(float(logs.mean()), sigma / math.sqrt(n), n),
            _log_wald(math.log(sigma), 1.0 / math.sqrt(2.0 * n), n),
        )
    return out


def _fit_handle(
    handle: NDArray[np.float64],
    use: NDArray[np.bool_],
    chan: NDArray[np.int64],
    reas: NDArray[np.int64],
    channels: list[str],
    reasons: list[str],
    exclude: Any,
    notes: list[str],
) -> tuple[dict[str, HandleFit], dict[str, Estimate]]:
    # channels and reasons with too few answered contacts for a spread are left out
    n_c = np.bincount(chan[use], minlength=len(channels))
    n_r = np.bincount(reas[use], minlength=len(reasons))
    enough = use & (n_c[chan] >= MIN_HANDLE) & (n_r[reas] >= MIN_HANDLE)
    exclude(
        f"answered contacts of a channel or reason with under {MIN_HANDLE} of them "
        "(not in the handle-time fit)",
        int((use & ~enough).sum()),
    )
    use = enough
    if not use.any():
        return {}, {}
    y = fmath.log(handle[use])
    c, r = chan[use], reas[use]
    used_c = sorted(set(c.tolist()))
    used_r = sorted(set(r.tolist()))
    # design: one column per channel, one per reason but the first (identifiability)
    cols = [(c == ci).astype(float) for ci in used_c] + [
        (r == ri).astype(float) for ri in used_r[1:]
    ]
    X = np.column_stack(cols)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        # channels and reasons never meet, so their effects cannot be told apart: one
        # channel effect each, every reason factor 1
        notes.append("handle time: channels and reasons do not overlap; reason factors not fitted")
        r = np.full(r.size, used_r[0])
        used_r = used_r[:1]
        X = np.column_stack([(c == ci).astype(float) for ci in used_c])
    w = np.ones(y.size)
    for _ in range(3):  # weighted least squares, weights 1/σ²(channel), σ from residuals
        XtW = X.T * w
        beta = np.linalg.solve(XtW @ X, XtW @ y)
        resid = y - X @ beta
        sig2 = {ci: float(np.mean(resid[c == ci] ** 2)) for ci in used_c}
        w = 1.0 / np.array([max(sig2[ci], 1e-12) for ci in c.tolist()])
    cov = np.linalg.inv((X.T * w) @ X)
    nc = len(used_c)
    # reason effects with the first at 0; shift so the contact-weighted mean effect is 0
    b = np.zeros(len(used_r))
    b[1:] = beta[nc:]
    weights = np.array([(r == ri).sum() for ri in used_r], dtype=float) / r.size
    shift = float(weights @ b)
    # the shift is a linear contrast of beta: g = weights[1:] on the reason columns
    g = np.zeros(beta.size)
    g[nc:] = weights[1:]
    factors: dict[str, Estimate] = {}
    for k, ri in enumerate(used_r):
        a = -g.copy()
        if k:
            a[nc + k - 1] += 1.0
        se = math.sqrt(max(float(a @ cov @ a), 0.0))
        factors[reasons[ri]] = _log_wald(float(b[k] - shift), se, int((r == ri).sum()))
    out: dict[str, HandleFit] = {}
    for j, ci in enumerate(used_c):
        a = g.copy()
        a[j] += 1.0
        se = math.sqrt(max(float(a @ cov @ a), 0.0))
        mu = float(beta[j] + shift)
        n = int((c == ci).sum())
        sigma = math.sqrt(sig2[ci])
        if not sigma > MIN_SPREAD:
            # every contact of the channel took the same time (per reason): a lognormal
            # has no sigma to fit, and log(0) has no value; leave it to the scenario
            seconds = np.unique(np.round(handle[use][c == ci], 6))
            same = f"{seconds[0]:g} s" if seconds.size == 1 else "one time per reason"
            notes.append(
                f"handle time: the {n} answered {channels[ci]} contacts have no spread "
                f"({same}): not fitted; set its handle_time_seconds yourself, e.g. "
                "{dist: deterministic, value: …}"
            )
            continue
        cells = {}
        for k, ri in enumerate(used_r):
            m = (c == ci) & (r == ri)
            if not m.any():
                continue
            v = np.zeros(beta.size)
            v[j] = 1.0
            if k:
                v[nc + k - 1] = 1.0
            cells[reasons[ri]] = _log_wald(
                float(v @ beta), math.sqrt(max(float(v @ cov @ v), 0.0)), int(m.sum())
            )
        # the channel's own residuals, scaled back to the channel's median
        z = resid[c == ci]
        ks = ks_distance(z, lambda q, s=sigma: special.ndtr(q / s)) if sigma > 0 else math.nan
        out[channels[ci]] = HandleFit(
            median=_log_wald(mu, se, n),
            sigma=_log_wald(math.log(sigma), 1.0 / math.sqrt(2.0 * n), n),
            n=n,
            ks=ks,
            cell_median=cells,
            observed_seconds=handle[use][c == ci],
        )
    return out, factors


def _fit_patience(wait: NDArray[np.float64], event: NDArray[np.bool_]) -> PatienceFit:
    wait = np.maximum(wait, 0.0)
    d = int(event.sum())
    total = float(wait.sum())
    if d:
        mean = _log_wald(math.log(total / d), 1.0 / math.sqrt(d), d)
        naive = float(wait[event].mean())
    else:
        mean = Estimate(math.inf, math.nan, math.inf, 0, math.inf, log=True)
        naive = math.nan
    # Kaplan–Meier: at each distinct abandonment time, S *= 1 − deaths / at risk
    order = np.argsort(wait, kind="stable")
    t, e = wait[order], event[order]
    at_risk = wait.size - np.arange(wait.size)
    times = np.unique(t[e])
    surv_t: list[float] = [0.0]
    surv: list[float] = [1.0]
    risk_at = [wait.size]
    if d:
        deaths = np.bincount(np.searchsorted(times, t[e]), minlength=times.size)
        risk = at_risk[np.searchsorted(t, times, side="left")]
        s = np.cumprod(1.0 - deaths / risk)
        surv_t += times.tolist()
        surv += s.tolist()
        risk_at += risk.tolist()
    km_t, km_s = np.array(surv_t), np.array(surv)
    # the curve's tail rests on a handful of contacts: compare where enough are at risk
    solid = np.array(risk_at) >= KM_MIN_AT_RISK
    gap = (
        float(np.max(np.abs(km_s[solid] - fmath.exp(-km_t[solid] / mean.value))))
        if d and solid.any()
        else math.nan
    )
    return PatienceFit(mean, naive, d, int(wait.size - d), km_t, km_s, gap)


def _fit_follow_ups(
    x: Exports,
    issue: NDArray[np.int64],
    answered: NDArray[np.bool_],
    abandoned: NDArray[np.bool_],
    decided: NDArray[np.bool_],
    w1: float,
    exclude: Any,
) -> tuple[Estimate | None, Estimate | None, Estimate | None, Estimate | None]:
    n = issue.size
    by = np.lexsort((np.arange(n), x.arrived, issue))
    nxt = np.full(n, -1, dtype=np.int64)
    same = issue[by][1:] == issue[by][:-1]
    nxt[by[:-1][same]] = by[1:][same]
    end = x.ended  # answered: the contact's end; abandoned: when it left the queue
    room = np.isfinite(end) & (end <= w1 - FOLLOW_UP_HOURS * HOUR)
    unresolved = answered & decided & (x.resolved == 0.0)
    base_r = unresolved & room
    base_d = abandoned & room
    exclude(
        f"unresolved or abandoned contacts ending within {FOLLOW_UP_HOURS:g} h of the export's "
        "end (not in repeat and redial shares)",
        int(((unresolved | abandoned) & ~room).sum()),
    )
    out: list[Estimate | None] = []
    for base, scale in ((base_r, HOUR), (base_d, 60.0)):
        if not base.any():
            out += [None, None]
            continue
        came = base & (nxt >= 0)
        share = _share(int(came.sum()), int(base.sum()))
        gaps = (x.arrived[nxt[came]] - end[came]) / scale
        k = int(gaps.size)
        lag = (
            _log_wald(math.log(gaps.mean()), 1.0 / math.sqrt(k), k)
            if k and gaps.mean() > 0
            else None
        )
        out += [share, lag]
    return out[0], out[1], out[2], out[3]


CSAT_TERMS = ("b0", "b_resolved", "b_refund", "b_wait_per_minute", "b_repeat", "b_abandon")
"""Fitted satisfaction coefficients (escalation is not in the exports)."""
_SIGN = {
    "b0": 1.0,
    "b_resolved": 1.0,
    "b_refund": 1.0,
    "b_wait_per_minute": -1.0,
    "b_repeat": -1.0,
    "b_abandon": -1.0,
}


def _fit_csat(
    x: Exports,
    issue: NDArray[np.int64],
    first: NDArray[np.int64],
    answered: NDArray[np.bool_],
    abandoned: NDArray[np.bool_],
    sat: Satisfaction,
    satisfied_from: float,
    exclude: Any,
) -> CsatFit | None:
    n_i = first.size

    def anyof(flags: NDArray[np.bool_]) -> NDArray[np.float64]:
        return (np.bincount(issue, weights=flags.astype(float), minlength=n_i) > 0).astype(float)

    scored = np.isfinite(x.csat)
    score = np.full(n_i, np.nan)
    by = np.lexsort((np.arange(issue.size), x.arrived))
    for i in by[scored[by]].tolist():  # the latest score of an issue wins
        score[issue[i]] = x.csat[i]
    surveyed = np.isfinite(score)
    tolerance = np.array(
        [sat.wait_tolerance_seconds.get(c, sat.default_wait_tolerance_seconds) for c in x.channel]
    )[first]
    wait = np.where(answered, x.answered, x.ended)[first] - x.arrived[first]
    over = np.maximum(0.0, np.nan_to_num(wait) - tolerance) / 60.0
    cols = {
        "b0": np.ones(n_i),
        "b_resolved": anyof(x.resolved == 1.0),
        "b_refund": anyof(x.refunded == 1.0),
        "b_wait_per_minute": over,
        "b_repeat": np.bincount(issue, minlength=n_i).astype(float) - 1.0,
        "b_abandon": anyof(abandoned),
    }
    # keep a term only if it adds information: not constant, not a combination of the kept
    # ones (e.g. without repeats, abandoned any = 1 − resolved any)
    terms: list[str] = []
    for k in CSAT_TERMS:
        trial = np.column_stack([cols[j][surveyed] for j in [*terms, k]])
        if np.linalg.matrix_rank(trial) == len(terms) + 1:
            terms.append(k)
    X = np.column_stack([cols[k] for k in terms])[surveyed]
    y = (score[surveyed] >= satisfied_from).astype(float)
    n_s = int(y.size)
    if y.size < len(terms) + 10 or y.min() == y.max():
        exclude("surveyed issues (too few, or all one answer: no CSAT fit)", int(y.size))
        return None
    beta = np.zeros(len(terms))
    for _ in range(50):  # Newton–Raphson on the log-likelihood
        p = special.expit(X @ beta)
        hess = (X.T * (p * (1 - p))) @ X
        step = np.linalg.solve(hess + 1e-10 * np.eye(len(terms)), X.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = special.expit(X @ beta)
    info = (X.T * (p * (1 - p))) @ X
    variances = np.diag(np.linalg.pinv(info))
    if not np.all(np.isfinite(beta)) or not np.all(variances > 0):
        exclude("surveyed issues (the CSAT answers separate perfectly: no CSAT fit)", n_s)
        return None
    se = np.sqrt(variances)
    n = int(y.size)
    coef = {}
    for idx, term in enumerate(terms):
        v, e = _SIGN[term] * float(beta[idx]), float(se[idx])
        coef[term] = Estimate(v, v - Z95 * e, v + Z95 * e, n, e)
    deciles = np.minimum((np.argsort(np.argsort(p)) * 10) // n, 9)
    calibration = [
        (float(p[deciles == q].mean()), float(y[deciles == q].mean()), int((deciles == q).sum()))
        for q in range(10)
        if (deciles == q).any()
    ]
    return CsatFit(coef, n, float(y.mean()), calibration)


# --------------------------------------------------------------------------- the fragment


def _g(v: float) -> str:
    return f"{v:.6g}"


def _ci(e: Estimate) -> str:
    return f"95% CI [{_g(e.lo)}, {_g(e.hi)}], n = {e.n}"


def _round(v: float) -> float:
    """A fitted value as the fragment holds it: 6 significant digits."""
    return float(f"{v:.6g}")


def _num(v: float) -> str:
    """:func:`_round` of ``v`` as YAML that YAML 1.1 and 1.2 readers both take as that float.

    ``1e-09`` is text to YAML 1.1 (PyYAML): its floats need a dot (``1.0e-09``).
    """
    v = _round(v)
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    text = f"{v:.6g}"
    if "e" in text and "." not in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _str(s: str) -> str:
    """A string as a YAML flow scalar, written by the YAML emitter.

    It is quoted wherever plain text would read as something else (``yes``, ``null``,
    ``1e3``) or break the line's structure.
    """
    # anything but a name is double-quoted: escapes keep it on one line, and YAML 1.1 and
    # 1.2 readers (1e3: text or a number) read it alike
    style = None if NAME.fullmatch(s) else '"'
    text = yaml.safe_dump(
        [s], default_flow_style=True, default_style=style, allow_unicode=True, width=2**30
    )
    if not (text.startswith("[") and text.endswith("]\n")) or "\n" in text[:-1]:
        raise RuntimeError(f"internal error: {s!r} does not fit on one YAML line")
    return text[1:-2]


def _flow(items: Mapping[str, str]) -> str:
    """A flow mapping of names to values already written as YAML."""
    return "{" + ", ".join(f"{_str(k)}: {v}" for k, v in items.items()) + "}"


def _comment(text: str) -> str:
    """A YAML comment line: control characters and line breaks escaped (a break ends it)."""
    return "# " + shown(text)


def _lognormal(median: float, sigma: float) -> dict[str, Any]:
    return {"dist": "lognormal", "median": _round(median), "sigma": _round(sigma)}


def _exponential(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": _round(mean)}


def _plain_reasons(f: Fit) -> list[ReasonFit]:
    """Reasons the fragment lists in ``contact_reasons`` (the others are comments)."""
    return [r for r in f.reasons if not r.promotion and r.lag is not None and r.rate_per_order]


def _mix(r: ReasonFit) -> dict[str, float]:
    total = sum(e.value for e in r.channel_mix.values()) or 1.0
    return {c: e.value / total for c, e in r.channel_mix.items()}


def _csat_value(term: str, est: Estimate) -> float:
    return est.value if term == "b0" else max(0.0, est.value)  # the model takes these ≥ 0


def fragment_data(f: Fit) -> dict[str, Any]:
    """The values :func:`fragment_yaml` writes, as data (what the fragment must read back as)."""
    data: dict[str, Any] = {}
    o = f.orders
    if o is not None:
        orders: dict[str, Any] = {
            "per_day": _round(o.per_day.value),
            "intraday_profile": [_round(s.value) for s in o.intraday_share],
        }
        if o.weekday_factors is not None:
            orders["weekday_factors"] = [_round(max(w.value, 1e-9)) for w in o.weekday_factors]
        shape = o.overdispersion_shape
        orders["overdispersion_shape"] = _round(shape) if shape else None
        data["orders"] = orders
    if f.fulfilment:
        data["fulfilment"] = {
            name: _lognormal(median.value, sigma.value)
            for name, (median, sigma) in f.fulfilment.items()
        }
    reasons = []
    for r in _plain_reasons(f):
        assert r.lag is not None and r.rate_per_order is not None
        lag = r.lag
        reason: dict[str, Any] = {
            "name": r.name,
            "rate_per_order": _round(min(1.0, r.rate_per_order.value)),
            "anchor": lag.anchor,
            "lag_hours": _lognormal(lag.params["median"].value, lag.params["sigma"].value)
            if lag.family == "lognormal"
            else _exponential(lag.params["mean"].value),
        }
        if lag.before:
            reason["before_anchor"] = True
        reason["channel_mix"] = {c: _round(v) for c, v in _mix(r).items()}
        if r.handle_time_factor is not None:
            reason["handle_time_factor"] = _round(r.handle_time_factor.value)
        if r.resolution is not None and math.isfinite(r.resolution.value):
            reason["resolution_probability"] = _round(r.resolution.value)
        reasons.append(reason)
    if reasons:
        data["contact_reasons"] = reasons
    if f.handle or f.patience:
        channels: dict[str, Any] = {}
        for name in sorted(set(f.handle) | set(f.patience)):
            channel: dict[str, Any] = {}
            h = f.handle.get(name)
            if h is not None:
                channel["handle_time_seconds"] = _lognormal(h.median.value, h.sigma.value)
            p = f.patience.get(name)
            if p is not None and p.abandoned:
                channel["patience_seconds"] = _exponential(p.mean.value)
            channels[name] = channel or None
        data["channels"] = channels
    journey: dict[str, Any] = {}
    if f.repeat is not None:
        journey["repeat_probability"] = _round(f.repeat.value)
        if f.repeat_lag_hours is not None:
            journey["repeat_lag_hours"] = _exponential(f.repeat_lag_hours.value)
    if f.redial is not None:
        journey["redial_probability"] = _round(f.redial.value)
        if f.redial_lag_minutes is not None:
            journey["redial_lag_minutes"] = _exponential(f.redial_lag_minutes.value)
    if journey:
        data["journey"] = journey
    if f.csat is not None:
        data["satisfaction"] = {
            term: _round(_csat_value(term, est)) for term, est in f.csat.coef.items()
        }
    return data


def _same(a: Any, b: Any) -> bool:
    """Equal as data: same types (a bool is not 1, a name not ``True``), NaN equal to NaN."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_same(a[k], b[k]) for k in a)
        )
    if isinstance(a, list) or isinstance(b, list):
        return (
            isinstance(a, list)
            and isinstance(b, list)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a is None and b is None


def fragment_yaml(f: Fit, source: str = "") -> str:
    """The fit as a scenario fragment that a scenario can ``extends`` (YAML with comments).

    Only fitted sections are written: ``orders`` (volume and shape), ``contact_reasons``
    (a list: a scenario that extends the fragment and lists its own replaces them all),
    ``channels`` (handle time and patience; the scenario adds concurrency, service levels),
    ``journey`` and ``satisfaction`` coefficients. Each value's comment gives its 95% CI
    and n. Reasons caused by a promotion's mechanic are comments only: their rate is per
    promotion order, which the mechanic's own probabilities must reproduce.

    Every name is written by the YAML emitter and every comment with its control
    characters escaped; the text is read back before it is returned.

    Raises:
        RuntimeError: The text does not read back as :func:`fragment_data` (a bug).
    """
    lines = [
        "# generated by promosim calibrate: a scenario fragment; use it with `extends:`",
        _comment(f"exports: {source}" if source else "exports: (text)"),
        f"# contacts observed {f.window_start:%Y-%m-%d %H:%M} to {f.window_end:%Y-%m-%d %H:%M}; "
        f"{f.n_orders} orders, {f.n_contacts} contacts",
    ]
    for why, k in f.excluded.items():
        lines.append(_comment(f"excluded: {k} {why}"))
    for note in f.notes:
        lines.append(_comment(f"note: {note}"))
    o = f.orders
    if o is not None:
        lines += ["orders:", f"  per_day: {_num(o.per_day.value)}  # {_ci(o.per_day)} days"]
        lines.append(
            "  intraday_profile: ["
            + ", ".join(_num(s.value) for s in o.intraday_share)
            + f"]  # hour shares, n = {o.intraday_share[0].n} orders"
        )
        if o.weekday_factors is not None:
            lines.append(
                "  weekday_factors: ["
                + ", ".join(_num(max(w.value, 1e-9)) for w in o.weekday_factors)
                + "]  # Mon..Sun; CIs "
                + "; ".join(f"[{_g(w.lo)}, {_g(w.hi)}]" for w in o.weekday_factors)
            )
        else:
            lines.append("  # weekday_factors: not fitted (some weekday has no day)")
        shape = _num(o.overdispersion_shape) if o.overdispersion_shape else "null"
        lines.append(
            f"  overdispersion_shape: {shape}"
            f"  # by moments; dispersion index {_g(o.dispersion_index)}"
        )
        if o.uplift is not None:
            lines.append(f"# promotion days: order uplift {_g(o.uplift.value)} ({_ci(o.uplift)})")
    if f.fulfilment:
        lines.append("fulfilment:")
        for name, (median, sigma) in f.fulfilment.items():
            lines.append(
                f"  {_str(name)}: {{dist: lognormal, median: {_num(median.value)}, "
                f"sigma: {_num(sigma.value)}}}  # median {_ci(median)}; "
                f"sigma [{_g(sigma.lo)}, {_g(sigma.hi)}]"
            )
    plain = _plain_reasons(f)
    if plain:
        lines.append("contact_reasons:")
        for r in plain:
            lines += _reason_lines(r)
    for r in f.reasons:
        if r.promotion and r.rate_per_order is not None:
            lines.append(
                _comment(
                    f"promotion reason {r.name}: {_g(r.rate_per_order.value)} contacts per "
                    f"promotion order ({_ci(r.rate_per_order)}); set the mechanic's "
                    "probabilities so its contact share matches"
                )
            )
    if f.handle or f.patience:
        lines.append("channels:")
        for name in sorted(set(f.handle) | set(f.patience)):
            lines.append(f"  {_str(name)}:")
            h = f.handle.get(name)
            if h is not None:
                lines.append(
                    f"    handle_time_seconds: {{dist: lognormal, median: {_num(h.median.value)}, "
                    f"sigma: {_num(h.sigma.value)}}}"
                    f"  # median {_ci(h.median)}; sigma [{_g(h.sigma.lo)}, {_g(h.sigma.hi)}]"
                )
            p = f.patience.get(name)
            if p is not None and p.abandoned:
                lines.append(
                    f"    patience_seconds: {{dist: exponential, mean: {_num(p.mean.value)}}}"
                    f"  # censored MLE, {_ci(p.mean)} abandonments, {p.censored} censored"
                )
    journey = []
    if f.repeat is not None:
        journey.append(f"  repeat_probability: {_num(f.repeat.value)}  # {_ci(f.repeat)}")
        if f.repeat_lag_hours is not None:
            e = f.repeat_lag_hours
            journey.append(
                f"  repeat_lag_hours: {{dist: exponential, mean: {_num(e.value)}}}  # {_ci(e)}"
            )
    if f.redial is not None:
        journey.append(f"  redial_probability: {_num(f.redial.value)}  # {_ci(f.redial)}")
        if f.redial_lag_minutes is not None:
            e = f.redial_lag_minutes
            journey.append(
                f"  redial_lag_minutes: {{dist: exponential, mean: {_num(e.value)}}}  # {_ci(e)}"
            )
    if journey:
        lines += ["journey:", *journey]
    if f.csat is not None:
        lines.append("satisfaction:  # logistic regression on surveyed issues")
        for term, est in f.csat.coef.items():
            v = _csat_value(term, est)
            clip = "" if v == est.value else " (fitted value below 0, set to 0)"
            lines.append(f"  {_str(term)}: {_num(v)}  # {_ci(est)}{clip}")
    text = "\n".join(lines) + "\n"
    try:
        back = yaml.safe_load(text)
    except yaml.YAMLError:
        back = "(not YAML)"
    if not _same({} if back is None else back, fragment_data(f)):
        raise RuntimeError("internal error: the fragment does not read back as the fitted values")
    return text


def _reason_lines(r: ReasonFit) -> list[str]:
    assert r.lag is not None and r.rate_per_order is not None
    lag = r.lag
    if lag.family == "lognormal":
        md, sg = lag.params["median"], lag.params["sigma"]
        dist = f"{{dist: lognormal, median: {_num(md.value)}, sigma: {_num(sg.value)}}}"
        why = f"median {_ci(md)}; sigma [{_g(sg.lo)}, {_g(sg.hi)}]"
    else:
        mean = lag.params["mean"]
        dist = f"{{dist: exponential, mean: {_num(mean.value)}}}"
        why = f"mean {_ci(mean)}"
    mix = _flow({c: _num(v) for c, v in _mix(r).items()})
    out = [
        f"  - name: {_str(r.name)}",
        f"    rate_per_order: {_num(min(1.0, r.rate_per_order.value))}  # {_ci(r.rate_per_order)}",
        f"    anchor: {_str(lag.anchor)}  # best of {len(r.lag_candidates)} anchor × family fits",
        f"    lag_hours: {dist}  # {why}; KS {_g(lag.ks)}",
    ]
    if lag.before:
        out.append("    before_anchor: true")
    out.append(f"    channel_mix: {mix}  # first contacts, n = {r.issues}")
    if r.handle_time_factor is not None:
        e = r.handle_time_factor
        out.append(f"    handle_time_factor: {_num(e.value)}  # {_ci(e)}")
    if r.resolution is not None and math.isfinite(r.resolution.value):
        e = r.resolution
        out.append(f"    resolution_probability: {_num(e.value)}  # {_ci(e)}")
    return out


def column_map(
    data: Any = None,
    map_orders: Sequence[str] = (),
    map_contacts: Sequence[str] = (),
    satisfied_from: float | None = None,
    name: str = "--map-file",
) -> ColumnMap:
    """A :class:`ColumnMap` from a mapping file's data and ``column=header`` options.

    The file (YAML) may hold ``orders`` and ``contacts`` (documented column → export
    header), ``channels`` and ``reasons`` (export value → scenario name) and
    ``satisfied_from``; the options win over the file.

    Raises:
        ExportError: An entry is not of that shape.
    """
    problems: list[str] = []
    data = data if data is not None else {}
    if not isinstance(data, dict):
        raise ExportError([f"{name}: must be a mapping (orders, contacts, channels, reasons)"])
    known = {"orders", "contacts", "channels", "reasons", "satisfied_from"}
    for k in sorted(set(map(str, data)) - known):
        problems.append(f"{name}: {k}: unknown key; expected one of {', '.join(sorted(known))}")
    parts: dict[str, dict[str, str]] = {}
    for key in ("orders", "contacts", "channels", "reasons"):
        part = data.get(key) or {}
        if not isinstance(part, dict) or not all(
            isinstance(v, str | int) for v in [*part, *part.values()]
        ):
            problems.append(f"{name}: {key}: must map names to names")
            part = {}
        parts[key] = {str(k): str(v) for k, v in part.items()}
    for key, options in (("orders", map_orders), ("contacts", map_contacts)):
        for text in options:
            col, sep, header = text.partition("=")
            if not sep or not col.strip() or not header.strip():
                problems.append(f"--map-{key}: {text!r} is not column=header")
                continue
            parts[key][col.strip()] = header.strip()
    cut = satisfied_from if satisfied_from is not None else data.get("satisfied_from", 4.0)
    if not isinstance(cut, int | float) or isinstance(cut, bool):
        problems.append(f"{name}: satisfied_from: must be a number")
        cut = 4.0
    if problems:
        raise ExportError(problems)
    return ColumnMap(
        parts["orders"], parts["contacts"], parts["channels"], parts["reasons"], float(cut)
    )
