"""The pre-sale funnel and the bot, fitted to a shop's hourly service export.

Chinese shops export hourly service data (生意参谋, 赤兔, 千牛): per hour the buyers who
asked before ordering (询单人数), how many of them ordered (下单人数 or 付款人数), the human
agents' mean response time, and optionally the shop's paying buyers and the bot's sessions
and hand-overs (formats: docs/calibration.md#hourly-service-export-funnel). Reading
(:func:`read_funnel`) checks every row and reports every problem at once as
``file:line: column: message`` (:class:`sim.calibrate.ExportError`); rows a fit cannot use
are counted by reason in :attr:`FunnelFit.excluded`. The fits (:func:`fit_funnel`) are pure
numpy/scipy:

- **conversion curve**: the model (:class:`sim.config.Presale`) sends an inquiry from a
  would-be buyer with probability ``c = 1/(1 + browser_ratio)``; that buyer orders with
  ``keep(w) = floor + (1 − floor)·exp(−λ·w)`` after ``w`` minutes to the first human
  answer, a browser never. So hour ``h``'s orders from its ``n_h`` inquiries are binomial
  with ``p_h = A + B·exp(−λ·w_h)``, ``A = c·floor``, ``B = c·(1 − floor)``, ``w_h`` the
  hour's mean response (minutes). ``(A, B, λ)`` are fitted by maximum likelihood with Wald
  intervals from the observed information (widened by √φ when the Pearson dispersion φ of
  the hours exceeds 1). Then ``c = A + B`` (the conversion of an instant answer) and
  ``floor = A/(A + B)``: identified only through the model's ``keep(0) = 1`` (an instant
  answer keeps every would-be buyer; a buyer an instant answer still loses counts as a
  browser) and only if the hours' waits spread over the curve: when the conversion does not
  fall detectably with the wait (B's interval reaches 0), none of the three is written.
  *Jensen*: the hour's mean wait stands for its waits; since ``E[exp(−λW)] ≥ exp(−λ·E[W])``
  an hour whose waits vary converts better than its mean wait says, so the fit understates
  what waiting loses, the more the waits vary within an hour. With λ alone free that is a λ
  biased low; with the floor free too it shows mostly as a floor too high (the averaged
  curve decays more slowly than an exponential, which a higher asymptote mimics), and λ
  may come out either way (tests/test_funnel.py measures it);
- **inquiry share** (needs ``orders``, all paying buyers of the hour): the would-be orders
  are the ``c·Σ inquiries`` inquiring ones plus ``Σ (orders − inquiry orders)`` placed
  without a question, so ``rate_per_order = c·ΣI / (c·ΣI + Σ(orders − O))``; without ``c``
  only its upper bound (c = 1) is known;
- **bot containment**: ``1 − Σ handed_over / Σ bot_sessions`` with a Wilson interval →
  the channel's ``bot.default_containment``. ``bot_keep`` is not identified: the export
  does not say which inquiries the bot settled.

Nothing here writes or prints.
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
from numpy.typing import NDArray
from scipy import optimize, special

from sim import catalog, fmath
from sim.calibrate import (
    FRAGMENT_FIRST,
    Z95,
    Estimate,
    ExportError,
    _ci,
    _comment,
    _g,
    _log_wald,
    _num,
    _read_back,
    _round,
    _share,
    _str,
    _Table,
    _time,
    _wald,
    decode,
)
from sim.files import UnreadableFile, read_bounded

MAX_FUNNEL_BYTES = 16 * 2**20
"""Largest hourly export read, 16 MiB (checked before reading): ten years of hours are
under 10 MiB."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "hour": ("时间", "小时", "时段", "日期时间"),
    "date": ("日期",),
    "consulting_buyers": ("咨询人数",),
    "received_buyers": ("接待人数",),
    "inquiring_buyers": ("询单人数",),
    "ordering_buyers": ("询单下单人数", "下单人数"),
    "paying_buyers": ("询单付款人数", "最终付款人数", "付款人数"),
    "avg_response_seconds": ("人工平均响应时长", "平均响应时长", "平均响应时间"),
    "orders": ("支付买家数",),
    "bot_sessions": ("机器人接待人数",),
    "handed_over": ("转人工人数",),
}
"""Documented column → Chinese headers it is found under (the first present wins)."""

COUNTS = (
    "consulting_buyers",
    "received_buyers",
    "inquiring_buyers",
    "ordering_buyers",
    "paying_buyers",
    "orders",
    "bot_sessions",
    "handed_over",
)
REQUIRED = ("hour", "inquiring_buyers", "avg_response_seconds")
"""Also required: ``ordering_buyers`` or ``paying_buyers``."""

EMPTY = ("", "-", "--", "—")
"""Cells that mean no value (exports write a dash for an hour without data)."""


@dataclass(frozen=True)
class HourlyExport:
    """The hourly export as arrays, one entry per row (NaN: the cell was empty).

    ``converted`` is ``paying_buyers`` when given, else ``ordering_buyers``: the inquiring
    buyers of the hour who then ordered.
    """

    hours: list[dt.datetime]
    inquiring: NDArray[np.float64]
    converted: NDArray[np.float64]
    converted_column: str
    response_seconds: NDArray[np.float64]
    orders: NDArray[np.float64] | None
    bot_sessions: NDArray[np.float64] | None
    handed_over: NDArray[np.float64] | None
    consulting: NDArray[np.float64] | None
    received: NDArray[np.float64] | None
    notes: list[str] = field(default_factory=list)


def _norm(header: str) -> str:
    # headers carry units and spacing: "平均响应时长(秒)", "询单人数 "
    return re.sub(r"\s+|[（(][^（()）]*[）)]$", "", header).lower()


def _resolve(header: Sequence[str], mapping: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Documented column → header: the mapping, else the name itself, else an alias."""
    out = dict(mapping)
    notes = []
    cells = [h.strip() for h in header]
    normed = {_norm(h): h for h in reversed(cells)}  # the first of equal headers wins
    for col, aliases in COLUMNS.items():
        if col in out or col in cells:
            continue
        found = [normed[_norm(a)] for a in (col, *aliases) if _norm(a) in normed]
        if found:
            out[col] = found[0]
            if len(found) > 1:
                notes.append(
                    f"{col}: read from {found[0]!r} (also present: {', '.join(found[1:])})"
                )
    return out, notes


_HOUR_OF_DAY = re.compile(
    r"^(\d{1,2})(?::00(?::00)?)?(?:\s*[-~至]\s*\d{1,2}(?::00(?::00)?)?)?\s*(?:时|点)?$"
)


def _count(cell: str) -> float:
    """A count: a whole number ≥ 0, thousands commas allowed; ValueError otherwise."""
    text = cell.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", cell) else cell
    v = float(text)
    if not math.isfinite(v) or v < 0 or v != int(v):
        raise ValueError(cell)
    return v


def _seconds(cell: str) -> float:
    """Seconds: a number (``25``, ``25.3秒``, ``25s``) or a clock length (``00:00:25``)."""
    m = re.fullmatch(r"(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)", cell)
    if m:
        return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    v = float(re.sub(r"\s*(秒|s|sec)$", "", cell))
    if not math.isfinite(v) or v < 0:
        raise ValueError(cell)
    return v


def _line_of(problem: str, name: str) -> int:
    """A problem's line, to list them in file order (0: about the whole file)."""
    head = problem[len(name) + 1 :].split(":", 1)[0] if problem.startswith(name + ":") else ""
    return int(head) if head.isdigit() else 0


def load_funnel(path: Path, mapping: Mapping[str, str] | None = None) -> HourlyExport:
    """Read and check an hourly export from disk (see :func:`read_funnel`).

    Raises:
        ExportError: The file cannot be read, is larger than :data:`MAX_FUNNEL_BYTES`, or
            rows are malformed.
    """
    try:
        data = read_bounded(path, MAX_FUNNEL_BYTES, links=True)
    except UnreadableFile as e:
        if str(e).startswith("larger than"):
            raise ExportError(
                [
                    f"{path}: larger than {MAX_FUNNEL_BYTES // 2**20} MiB, "
                    "the most an hourly export may be"
                ]
            ) from None
        raise ExportError([f"{path}: cannot read: {e}"]) from None
    return read_funnel(decode(data, str(path)), mapping, str(path))


def read_funnel(
    text: str, mapping: Mapping[str, str] | None = None, name: str = "funnel.csv"
) -> HourlyExport:
    """Parse and check an hourly export.

    Args:
        text: The CSV text (header on line 1).
        mapping: Documented column → the export's header (wins over the Chinese aliases).
        name: The file's name in problems.

    Raises:
        ExportError: Missing columns, unreadable hours or numbers, repeated hours, counts
            that are not whole numbers ≥ 0, counts out of order (ordering above inquiring,
            inquiring above consulting, received above consulting, handed over above bot
            sessions, inquiry orders above all orders): every one, with its line.
    """
    m = dict(mapping or {})
    problems: list[str] = []
    first = text.split("\n", 1)[0]
    try:
        header = next(csv.reader(io.StringIO(first)), [])
    except csv.Error:
        header = []
    resolved, notes = _resolve(header, m)
    converted_col = "paying_buyers" if "paying_buyers" in resolved else "ordering_buyers"
    if "paying_buyers" in resolved and "ordering_buyers" in resolved:
        notes.append(
            "paying_buyers and ordering_buyers both given: the fit uses paying_buyers "
            "(an order that is never paid is no order in the model)"
        )
    required = (*REQUIRED, converted_col)
    cells = [h.strip() for h in header]
    for col, src in m.items():  # a mapped optional column must not vanish unnoticed
        if col in COLUMNS and col not in required and src not in cells:
            problems.append(f"{name}:1: missing column {col!r} (mapped to {src!r})")
    t = _Table(text, name, tuple(COLUMNS), required, resolved, problems)
    if t.unreadable:
        raise ExportError(problems)
    if not t.rows:
        raise ExportError([*problems, f"{name}: no data rows: nothing to fit"])

    def count(col: str) -> NDArray[np.float64] | None:
        if col not in t.index:
            return None
        out = np.full(len(t.rows), np.nan)
        for r, cell in enumerate(t.cells(col)):
            if cell in EMPTY:
                if col in required:
                    t.problem(r, col, "empty")
                continue
            try:
                out[r] = _count(cell)
            except ValueError:
                t.problem(r, col, f"{cell!r} is not a count (a whole number, 0 or more)")
        return out

    counts = {col: count(col) for col in COUNTS}
    response = np.full(len(t.rows), np.nan)
    for r, cell in enumerate(t.cells("avg_response_seconds")):
        if cell in EMPTY:
            continue  # an hour without answers: left out of the curve, counted
        try:
            response[r] = _seconds(cell)
        except ValueError:
            t.problem(r, "avg_response_seconds", f"cannot read {cell!r} as seconds (0 or more)")

    hours: list[dt.datetime] = []
    dates = t.cells("date") if "date" in t.index else None
    seen: dict[dt.datetime, int] = {}
    for r, cell in enumerate(t.cells("hour")):
        when: dt.datetime | None = None
        hod = _HOUR_OF_DAY.fullmatch(cell) if dates is not None else None
        try:
            if hod is not None and dates is not None:
                day = _time(dates[r])
                if int(hod.group(1)) > 23:
                    raise ValueError(cell)
                when = dt.datetime.combine(day.date(), dt.time(int(hod.group(1))))
            elif cell:
                when = _time(cell)
        except ValueError:
            what = "an hour of day 0–23 with the date column" if dates is not None else "a time"
            t.problem(r, "hour", f"cannot read {cell!r} as {what} (YYYY-MM-DD HH:00)")
        if not cell:
            t.problem(r, "hour", "empty")
        if when is not None and (when.minute or when.second or when.microsecond):
            t.problem(r, "hour", f"{cell!r} is not on the hour (one row per hour, HH:00)")
            when = None
        if when is not None:
            if when in seen:
                t.problem(r, "hour", f"{cell!r} repeats the hour of line {t.lines[seen[when]]}")
            else:
                seen[when] = r
        hours.append(when or dt.datetime(2000, 1, 1))

    bot, handed = counts["bot_sessions"], counts["handed_over"]
    if (bot is None) != (handed is None):
        has, lacks = (
            ("bot_sessions", "handed_over") if bot is not None else ("handed_over", "bot_sessions")
        )
        problems.append(f"{name}:1: {has} is given without {lacks}: give both or neither")
    order_checks = [
        ("ordering_buyers", "inquiring_buyers"),
        ("paying_buyers", "inquiring_buyers"),
        ("paying_buyers", "ordering_buyers"),
        ("inquiring_buyers", "consulting_buyers"),
        ("received_buyers", "consulting_buyers"),
        ("handed_over", "bot_sessions"),
        (converted_col, "orders"),
    ]
    with np.errstate(invalid="ignore"):
        for small, big in order_checks:
            a, b = counts[small], counts[big]
            if a is None or b is None:
                continue
            for r in np.flatnonzero(a > b).tolist():
                t.problem(r, small, f"{a[r]:.0f} is more than {big} ({b[r]:.0f})")
    if problems:
        raise ExportError(sorted(problems, key=lambda p: _line_of(p, name)))
    inquiring, converted = counts["inquiring_buyers"], counts[converted_col]
    assert inquiring is not None and converted is not None
    return HourlyExport(
        hours=hours,
        inquiring=inquiring,
        converted=converted,
        converted_column=converted_col,
        response_seconds=response,
        orders=counts["orders"],
        bot_sessions=bot,
        handed_over=handed,
        consulting=counts["consulting_buyers"],
        received=counts["received_buyers"],
        notes=notes,
    )


# --------------------------------------------------------------------------- the fits


@dataclass(frozen=True)
class ConversionFit:
    """The inquiry conversion curve ``p(w) = A + B·exp(−λ·w)``, w in minutes.

    Attributes:
        identified: The conversion falls detectably with the wait (B's interval above 0):
            ``c``, ``floor`` and ``keep_per_minute`` are written; otherwise only reported.
        c: Share of inquiries from would-be buyers, ``1/(1 + browser_ratio)`` (= A + B).
        floor: ``keep_floor``, the would-be buyers' orders without an answer (= A/(A+B)).
        keep_per_minute: λ, per minute.
        browser_ratio: ``1/c − 1``.
        overall: Σ orders ÷ Σ inquiries over the fitted hours (Wilson).
        dispersion: Pearson χ² ÷ (hours − 3); the intervals are widened by its root if > 1.
        wait_minutes, inquiries, converted: Per fitted hour, for the report.
    """

    identified: bool
    a: Estimate
    b: Estimate
    c: Estimate
    floor: Estimate
    keep_per_minute: Estimate
    browser_ratio: Estimate
    overall: Estimate
    dispersion: float
    wait_minutes: NDArray[np.float64]
    inquiries: NDArray[np.float64]
    converted: NDArray[np.float64]

    def curve(self, w: NDArray[np.float64]) -> NDArray[np.float64]:
        """Fitted conversion of an inquiry after ``w`` minutes to the first human answer."""
        return self.a.value + self.b.value * fmath.exp(-self.keep_per_minute.value * w)


@dataclass(frozen=True)
class FunnelFit:
    """Everything fitted from an hourly export, with what was excluded and why."""

    channel: str
    first_hour: dt.datetime
    last_hour: dt.datetime
    n_hours: int
    conversion: ConversionFit | None
    inquiry_share: Estimate | None
    """``presale.inquiry.rate_per_order`` (needs ``orders`` and an identified curve)."""
    inquiry_share_bound: Estimate | None
    """Its upper bound, c = 1 (every inquiry from a would-be buyer), when c is unknown."""
    containment: Estimate | None
    """``channels.<channel>.bot.default_containment``."""
    excluded: dict[str, int]
    notes: list[str]


MIN_HOURS = 5
"""Hours with inquiries and a response time the conversion curve needs (3 parameters)."""


def _conversion(
    w: NDArray[np.float64], n: NDArray[np.float64], y: NDArray[np.float64]
) -> ConversionFit | None:
    """Binomial MLE of ``p = A + B·exp(−λw)``; None if it does not converge."""
    eps = 1e-12

    def unpack(x: NDArray[np.float64]) -> tuple[float, float, float]:
        c, f = special.expit(x[0]), special.expit(x[1])
        return float(c * f), float(c * (1 - f)), float(math.exp(x[2]))

    def nll(x: NDArray[np.float64]) -> float:
        a, b, lam = unpack(x)
        p = np.clip(a + b * fmath.exp(-lam * w), eps, 1 - eps)
        return -float(np.sum(y * fmath.log(p) + (n - y) * fmath.log1p(-p)))

    overall = y.sum() / n.sum()
    scale = 1.0 / max(float(np.median(w)), 1e-3)
    starts = [
        np.array([special.logit(min(0.99, max(0.01, q))), 0.0, math.log(scale * k)])
        for q in (overall, min(0.99, 1.5 * overall))
        for k in (0.2, 1.0, 5.0)
    ]
    best = min(
        (
            optimize.minimize(
                nll,
                s,
                method="Nelder-Mead",
                options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000},
            )
            for s in starts
        ),
        key=lambda r: float(r.fun),
    )
    best = optimize.minimize(nll, best.x, method="BFGS")  # polish
    a, b, lam = unpack(best.x)
    if not all(map(math.isfinite, (a, b, lam))):
        return None
    # observed information in (A, B, λ): −Σ ∂²ℓ, ℓ_h = y log p + (n − y) log(1 − p)
    e = fmath.exp(-lam * w)
    p = np.clip(a + b * e, eps, 1 - eps)
    g = np.stack([np.ones_like(w), e, -b * w * e])  # ∂p/∂(A, B, λ)
    s = y / p - (n - y) / (1 - p)
    curv = y / p**2 + (n - y) / (1 - p) ** 2
    info = (g * curv) @ g.T
    h_p = np.zeros((3, 3, w.size))
    h_p[1, 2] = h_p[2, 1] = -w * e
    h_p[2, 2] = b * w * w * e
    info -= np.einsum("ijk,k->ij", h_p, s)
    dof = w.size - 3
    pearson = float(np.sum((y - n * p) ** 2 / (n * p * (1 - p)))) / dof if dof > 0 else math.nan
    inflate = max(1.0, pearson) if math.isfinite(pearson) else 1.0
    try:
        cov = np.linalg.inv(info) * inflate
        ok = bool(np.all(np.linalg.eigvalsh(info) > 0))
    except np.linalg.LinAlgError:
        cov, ok = np.full((3, 3), np.nan), False
    n_inq = int(n.sum())

    def delta(value: float, grad: Sequence[float], log: bool = False) -> Estimate:
        gv = np.asarray(grad, dtype=float)
        var = float(gv @ cov @ gv) if ok else math.nan
        se = math.sqrt(var) if var >= 0 else math.nan
        if log:
            if value <= 0 or not math.isfinite(se):
                return Estimate(value, math.nan, math.nan, n_inq, math.nan, log=True)
            return _log_wald(math.log(value), se / value, n_inq)
        return _wald(value, se, n_inq)

    c = a + b
    fl = a / c if c > 0 else math.nan
    est_a = delta(a, (1, 0, 0))
    est_b = delta(b, (0, 1, 0))
    est_c = delta(c, (1, 1, 0))
    est_f = delta(fl, (b / c**2, -a / c**2, 0))
    est_l = delta(lam, (0, 0, 1), log=True)
    # browser_ratio = 1/c − 1 = (1 − c)/c: d/dc = −1/c²
    ratio = 1 / c - 1
    est_r = delta(ratio, (-1 / c**2, -1 / c**2, 0), log=ratio > 0)
    identified = ok and est_b.lo > 0 and math.isfinite(est_l.lo) and c <= 1
    return ConversionFit(
        identified=identified,
        a=est_a,
        b=est_b,
        c=est_c,
        floor=est_f,
        keep_per_minute=est_l,
        browser_ratio=est_r,
        overall=_share(int(y.sum()), n_inq),
        dispersion=pearson,
        wait_minutes=w,
        inquiries=n,
        converted=y,
    )


def fit_funnel(x: HourlyExport, channel: str = "chat") -> FunnelFit:
    """Fit the conversion curve, the inquiry share and the bot's containment (module doc).

    Args:
        x: The checked export.
        channel: The scenario channel the export's service is (its bot gets the containment).
    """
    excluded: dict[str, int] = {}
    notes = list(x.notes)

    def exclude(why: str, k: int) -> None:
        if k:
            excluded[why] = excluded.get(why, 0) + int(k)

    n, y, s = x.inquiring, x.converted, x.response_seconds
    has_inq = n > 0
    exclude("hours without inquiries (nothing to convert)", int((~has_inq).sum()))
    no_wait = has_inq & ~np.isfinite(s)
    exclude("hours with inquiries but no response time (left out of the curve)", int(no_wait.sum()))
    use = has_inq & np.isfinite(s)
    conv = None
    if use.sum() >= MIN_HOURS:
        conv = _conversion(s[use] / 60.0, n[use], y[use])
    else:
        exclude("hours with inquiries and a response time (too few for the curve)", int(use.sum()))
    if conv is not None:
        note = f"{x.converted_column} ÷ inquiring_buyers is {conv.overall.value:.3g} overall"
        if not conv.identified:
            notes.append(
                f"{note}, but it does not fall detectably with the response time (or the "
                "curve is not determined by these hours): keep_floor, keep_per_minute and "
                "browser_ratio are not fitted; the scenario's values (defaults 0.5, 0.1, "
                "1.0) stay"
            )
        else:
            w_max = float(np.max(conv.wait_minutes))
            if w_max * conv.keep_per_minute.value < 1:
                notes.append(
                    f"the longest hourly mean wait ({w_max:.3g} min) is shorter than "
                    f"1/keep_per_minute ({1 / conv.keep_per_minute.value:.3g} min): keep_floor "
                    "is extrapolated beyond the observed waits"
                )
            notes.append(
                "keep_floor and browser_ratio are identified through keep(0) = 1 (an "
                "instant answer keeps every would-be buyer); the hour's mean wait stands for "
                "its waits, so what waiting loses is understated (keep_floor biased high) as "
                "waits vary within an hour"
            )
        if math.isfinite(conv.dispersion) and conv.dispersion > 1:
            notes.append(
                f"the hours vary more than binomial (dispersion {conv.dispersion:.3g}): the "
                "curve's intervals are widened by its square root"
            )

    share = bound = None
    if x.orders is not None:
        rows = np.isfinite(x.orders)
        exclude("hours without orders (left out of the inquiry share)", int((~rows).sum()))
        total_i = float(n[rows].sum())
        without = float((x.orders[rows] - y[rows]).sum())
        k = int(rows.sum())
        if total_i + without > 0:
            bound = _share(int(total_i), int(total_i + without))
            if conv is not None and conv.identified:
                c = conv.c.value
                wb = c * total_i + without
                r = c * total_i / wb
                grad = total_i * without / wb**2
                se = math.sqrt((grad * conv.c.se) ** 2 + r * (1 - r) / wb)
                share = Estimate(r, max(0.0, r - Z95 * se), min(1.0, r + Z95 * se), k, se)
            else:
                notes.append(
                    "inquiry.rate_per_order is not fitted: it needs the share of inquiries "
                    f"from would-be buyers, which the curve does not give; at most "
                    f"{bound.value:.3g} (every inquiry from a would-be buyer)"
                )
    else:
        notes.append(
            "inquiry.rate_per_order is not fitted: it needs the shop's paying buyers per "
            "hour (the orders column)"
        )

    containment = None
    if x.bot_sessions is not None and x.handed_over is not None:
        both = np.isfinite(x.bot_sessions) & np.isfinite(x.handed_over)
        exclude("hours without bot counts (left out of the containment)", int((~both).sum()))
        sessions = int(x.bot_sessions[both].sum())
        if sessions:
            settled = sessions - int(x.handed_over[both].sum())
            containment = _share(settled, sessions)
            notes.append(
                "bot_keep is not fitted: the export does not say which inquiries the bot settled"
            )
    valid = sorted(x.hours)
    return FunnelFit(
        channel=channel,
        first_hour=valid[0],
        last_hour=valid[-1],
        n_hours=len(x.hours),
        conversion=conv,
        inquiry_share=share,
        inquiry_share_bound=bound,
        containment=containment,
        excluded=excluded,
        notes=notes,
    )


# --------------------------------------------------------------------------- the fragment


def _prob(v: float) -> float:
    return min(1.0, max(0.0, v))


def presale_data(ff: FunnelFit) -> dict[str, Any] | None:
    """The ``presale`` values the fragment writes, as data (None: nothing fitted)."""
    out: dict[str, Any] = {}
    if ff.inquiry_share is not None:
        out["inquiry"] = {"rate_per_order": _round(_prob(ff.inquiry_share.value))}
    cv = ff.conversion
    if cv is not None and cv.identified:
        out["browser_ratio"] = _round(max(0.0, cv.browser_ratio.value))
        out["keep_floor"] = _round(_prob(cv.floor.value))
        out["keep_per_minute"] = _round(cv.keep_per_minute.value)
    return out or None


def bot_data(ff: FunnelFit) -> dict[str, Any] | None:
    """The channel's ``bot`` values the fragment writes (None: no bot columns)."""
    if ff.containment is None:
        return None
    return {"default_containment": _round(ff.containment.value)}


def presale_lines(ff: FunnelFit) -> list[str]:
    """The fragment's ``presale`` section, each value with its interval in a comment."""
    data = presale_data(ff)
    cv = ff.conversion
    lines: list[str] = []
    if cv is not None:
        lines.append(
            _comment(
                f"{catalog.label('inquiry_conversion')} {_g(cv.overall.value)} "
                f"({_ci(cv.overall)} inquiries); "
                f"fitted p(w) = {_g(cv.a.value)} + {_g(cv.b.value)}"
                f"·exp(−{_g(cv.keep_per_minute.value)}·w), "
                f"w minutes to the first human answer; dispersion {_g(cv.dispersion)}"
            )
        )
    if data is None:
        return lines
    lines.append("presale:  # the scenario adds inquiry.channel_mix and what is not fitted")
    if ff.inquiry_share is not None:
        e = ff.inquiry_share
        lines += [
            "  inquiry:",
            f"    rate_per_order: {_num(_prob(e.value))}  # {_ci(e)} hours",
        ]
    if cv is not None and cv.identified:
        c = cv.c
        lines += [
            f"  browser_ratio: {_num(max(0.0, cv.browser_ratio.value))}  # {_ci(cv.browser_ratio)}"
            f" inquiries; would-be buyers' share c = {_g(c.value)} [{_g(c.lo)}, {_g(c.hi)}]",
            f"  keep_floor: {_num(_prob(cv.floor.value))}  # {_ci(cv.floor)} inquiries; "
            "biased high as waits vary within an hour",
            f"  keep_per_minute: {_num(cv.keep_per_minute.value)}  # {_ci(cv.keep_per_minute)}"
            " inquiries; fitted on each hour's mean wait",
        ]
    return lines


def bot_lines(ff: FunnelFit, indent: str) -> list[str]:
    """The channel's ``bot`` mapping (under the channel's key, at ``indent``)."""
    e = ff.containment
    if e is None:
        return []
    return [
        f"{indent}bot:",
        f"{indent}  default_containment: {_num(e.value)}  # 1 − handed over ÷ bot sessions, "
        f"{_ci(e)} sessions",
    ]


def header_lines(ff: FunnelFit, source: str) -> list[str]:
    """What the fragment says about the hourly export: span, exclusions and notes."""
    lines = [
        _comment(f"hourly export: {source}" if source else "hourly export: (text)"),
        f"# {ff.n_hours} hours, {ff.first_hour:%Y-%m-%d %H:00} to {ff.last_hour:%Y-%m-%d %H:00}",
    ]
    for why, k in ff.excluded.items():
        lines.append(_comment(f"excluded: {k} {why}"))
    for note in ff.notes:
        lines.append(_comment(f"note: {note}"))
    return lines


def funnel_data(ff: FunnelFit) -> dict[str, Any]:
    """The values :func:`funnel_yaml` writes, as data."""
    data: dict[str, Any] = {}
    presale = presale_data(ff)
    if presale is not None:
        data["presale"] = presale
    bot = bot_data(ff)
    if bot is not None:
        data["channels"] = {ff.channel: {"bot": bot}}
    return data


def funnel_yaml(ff: FunnelFit, source: str = "") -> str:
    """The funnel fit alone as a scenario fragment (YAML with comments), read back.

    Raises:
        RuntimeError: The text does not read back as :func:`funnel_data` (a bug).
    """
    lines = [FRAGMENT_FIRST, *header_lines(ff, source), *presale_lines(ff)]
    bot = bot_lines(ff, "    ")
    if bot:
        lines += ["channels:", f"  {_str(ff.channel)}:", *bot]
    text = "\n".join(lines) + "\n"
    _read_back(text, funnel_data(ff))
    return text
