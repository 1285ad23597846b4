"""Campaign review helpers: diff resolved scenarios, list and show runs, start a scenario file.

Library side of ``promosim diff``, ``promosim runs``, ``promosim show`` and ``promosim init``;
nothing here prints or writes files (:func:`init_scenario` returns the text).

Paths are dotted field paths with list indexes as numbers, the same as ``--set`` takes
(``staffing.groups.0.schedule.agents``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sim import catalog
from sim.config import SCHEMA_VERSION, SLUG
from sim.files import UnreadableFile, read_bounded
from sim.loading import LoadedScenario, Problem, ScenarioError, load_scenario
from sim.outputs import folder_kind
from sim.text import json_dumps, shown

__all__ = [
    "ARMS",
    "HEADLINE_METRICS",
    "MISSING",
    "SCHEMA_FILE",
    "SHOW_METRICS",
    "DiffRow",
    "RunInfo",
    "diff_json",
    "diff_markdown",
    "diff_resolved",
    "diff_table_rows",
    "headline_stats",
    "init_scenario",
    "is_run_folder",
    "list_runs",
    "load_target",
    "resolved_of",
    "schema_header",
    "show_run",
    "template_names",
]

SCHEMA_FILE = "scenario.schema.json"
"""The JSON Schema of scenario files as written (``promosim schema`` prints the same; a test
keeps them equal). It lives in configs/, beside the files it describes: their modelines are
then a short relative path that survives moving the folder, and ``init`` finds it in the
same folder it takes templates from."""
RESOLVED_FILE = "scenario.resolved.yaml"
MANIFEST_FILE = "manifest.json"
SUMMARY_FILE = "summary.json"

HEADLINE_METRICS: Final = catalog.RUNS_COLUMNS
"""Metrics (their means) shown per run by ``promosim runs`` and ``promosim show``."""


# --------------------------------------------------------------------------- diff


class _Missing:
    """No value at this path on this side (the other side has one)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
"""Marks the side of a :class:`DiffRow` that has no leaf at the row's path."""

MISSING_TEXT = "(missing)"
"""How the formatters show :data:`MISSING`."""


@dataclass(frozen=True)
class DiffRow:
    """One leaf whose resolved value differs: ``a`` or ``b`` may be :data:`MISSING`."""

    path: str
    a: Any
    b: Any


Key = str | int


def _leaves(value: Any, prefix: tuple[Key, ...] = ()) -> Iterator[tuple[tuple[Key, ...], Any]]:
    """Leaf paths of plain data; an empty mapping or list is a leaf itself."""
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            yield from _leaves(v, (*prefix, str(k)))
    elif isinstance(value, list | tuple) and value:
        for i, v in enumerate(value):
            yield from _leaves(v, (*prefix, i))
    else:
        yield prefix, value


def _canonical(value: Any) -> str:
    """Values compare as their canonical JSON, as the config hash does (1 ≠ 1.0 ≠ true)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _path_key(path: tuple[Key, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, s, "") if isinstance(s, int) else (1, 0, s) for s in path)


def diff_resolved(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[DiffRow]:
    """Leaf paths whose values differ between two resolved scenarios, sorted by path.

    A path with a leaf on one side only is listed with :data:`MISSING` on the other (for
    example ``promotion`` null on one side and a promotion block on the other gives the row
    ``promotion`` (null vs MISSING) and one row per leaf of the block). List indexes sort
    numerically (``groups.2`` before ``groups.10``).
    """
    left = dict(_leaves(a))
    right = dict(_leaves(b))
    rows = []
    for path in sorted(left.keys() | right.keys(), key=_path_key):
        va = left.get(path, MISSING)
        vb = right.get(path, MISSING)
        if va is MISSING or vb is MISSING or _canonical(va) != _canonical(vb):
            rows.append(DiffRow(".".join(str(s) for s in path), va, vb))
    return rows


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a run folder (holds ``scenario.resolved.yaml`` and a manifest)."""
    return path.is_dir() and (path / RESOLVED_FILE).is_file() and (path / MANIFEST_FILE).is_file()


def resolved_of(target: Path, overrides: Sequence[str] = ()) -> tuple[dict[str, Any], str]:
    """The resolved scenario of a scenario file or a run folder, and a label for it.

    See :func:`load_target`.

    Raises:
        ScenarioError: The file does not load, or a folder is not a run folder.
    """
    loaded, label = load_target(target, overrides)
    return loaded.resolved, label


def load_target(target: Path, overrides: Sequence[str] = ()) -> tuple[LoadedScenario, str]:
    """A scenario file or a run folder, loaded, and a label for it.

    A run folder's ``scenario.resolved.yaml`` is loaded (validated and hashed) like any
    scenario file; ``overrides`` apply on top in both cases. The loaded scenario's
    ``notices`` say which files were upgraded from an older format.

    Raises:
        ScenarioError: The file does not load, or a folder is not a run folder.
    """
    target = Path(target)
    label = str(target)
    if target.is_dir():
        if not is_run_folder(target):
            msg = f"not a run folder (needs {RESOLVED_FILE} and {MANIFEST_FILE})"
            raise ScenarioError([Problem(str(target), None, "", msg)])
        loaded = load_scenario(target / RESOLVED_FILE, overrides)
    else:
        loaded = load_scenario(target, overrides)
    if overrides:
        label += " " + " ".join(f"--set {o}" for o in overrides)
    return loaded, label


def _compact(value: Any) -> str:
    if value is MISSING:
        return MISSING_TEXT
    return json_dumps(value, separators=(", ", ": "))


def diff_table_rows(rows: Sequence[DiffRow]) -> list[tuple[str, str, str]]:
    """``(path, a, b)`` cells for a console table: values as compact JSON."""
    return [(r.path, _compact(r.a), _compact(r.b)) for r in rows]


def diff_json(rows: Sequence[DiffRow]) -> str:
    """The rows as a JSON list of ``{"path", "a", "b"}``; a MISSING side's key is absent."""
    out = []
    for r in rows:
        item: dict[str, Any] = {"path": r.path}
        if r.a is not MISSING:
            item["a"] = r.a
        if r.b is not MISSING:
            item["b"] = r.b
        out.append(item)
    return json_dumps(out, indent=2) + "\n"


def _md_code(text: str) -> str:
    """``text`` as a markdown code span that is safe inside a table cell."""
    text = text.replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_text(text: str) -> str:
    return shown(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def diff_markdown(rows: Sequence[DiffRow], a_label: str, b_label: str) -> str:
    """A markdown table (field, A, B) to paste into a review; values as compact JSON."""
    if not rows:
        return (
            f"No differences: {_md_text(a_label)} and {_md_text(b_label)} "
            "resolve to the same scenario.\n"
        )
    lines = [
        f"| field | {_md_text(a_label)} | {_md_text(b_label)} |",
        "| --- | --- | --- |",
    ]
    for r in rows:
        cells = [
            _md_code(shown(r.path)),
            *(MISSING_TEXT if v is MISSING else _md_code(_compact(v)) for v in (r.a, r.b)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunInfo:
    """One run folder as ``promosim runs`` lists it."""

    folder: Path
    name: str
    title: str
    version: str
    config_hash: str
    created_at: str
    seed: int | None
    replications: int | None
    metrics: dict[str, float] = field(default_factory=dict)
    """Means of the :data:`HEADLINE_METRICS` present in ``summary.json``."""
    effects: frozenset[str] = frozenset()
    """Those of :attr:`metrics` that are the promotion's effect (promotion − baseline)."""


_JSON_MAX_BYTES = 64 * 2**20
"""The most review reads of a folder's summary.json or manifest.json, bytes."""


def _read_json(path: Path) -> Any:
    """The JSON of a folder's own regular file within :data:`_JSON_MAX_BYTES`, else None."""
    try:
        return json.loads(read_bounded(path, _JSON_MAX_BYTES).decode("utf-8"))
    except (UnreadableFile, ValueError):
        return None


def _headline(folder: Path) -> dict[str, float]:
    """The headline means of a run.

    The scenario's, and the promotion's effect where only the effect has the metric
    (``net_impact_yuan`` is promotion − baseline).
    """
    return _headline_from(folder)[0]


def _headline_from(folder: Path) -> tuple[dict[str, float], frozenset[str]]:
    """:func:`_headline`, and which of its keys were read from the effect."""
    summary = _read_json(folder / SUMMARY_FILE)
    metrics = summary.get("metrics") if isinstance(summary, dict) else None
    if not isinstance(metrics, dict):
        return {}, frozenset()
    effect = summary.get("effect") if isinstance(summary, dict) else None
    out = {}
    effects = set()
    for key in HEADLINE_METRICS:
        stat = metrics.get(key)
        if stat is None and isinstance(effect, dict):
            stat = effect.get(key)
            effects.add(key)
        mean = stat.get("mean") if isinstance(stat, dict) else None
        if isinstance(mean, int | float) and not isinstance(mean, bool):
            out[key] = float(mean)
    return out, frozenset(effects & out.keys())


SHOW_METRICS: Final = catalog.HEADLINE
"""Metrics ``promosim show`` tables: each arm's mean ± 95% CI and the promotion's effect."""

ARMS: Final = ("metrics", "baseline", "effect")
"""summary.json's blocks of statistics: the run (its promotion arm), the baseline, the effect."""


def headline_stats(folder: Path, keys: Sequence[str] = SHOW_METRICS) -> dict[str, dict[str, Any]]:
    """``keys``' statistics (``{"mean", "ci95"?, …}``) in each block of :data:`ARMS`.

    A block or a statistic that is missing or malformed (summary.json may be anyone's) is
    left out; a statistic kept has a finite number as its mean and, if any, a pair of
    numbers as its ``ci95``.
    """
    summary = _read_json(Path(folder) / SUMMARY_FILE)
    out: dict[str, dict[str, Any]] = {}
    for arm in ARMS:
        block = summary.get(arm) if isinstance(summary, dict) else None
        if not isinstance(block, dict):
            continue
        stats = {}
        for key in keys:
            stat = block.get(key)
            if isinstance(stat, dict) and _number(stat.get("mean")):
                kept: dict[str, Any] = {"mean": float(stat["mean"]), "n": stat.get("n")}
                ci = stat.get("ci95")
                if isinstance(ci, list) and len(ci) == 2 and all(map(_number, ci)):
                    kept["ci95"] = [float(ci[0]), float(ci[1])]
                stats[key] = kept
        out[arm] = stats
    return out


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _info(folder: Path) -> RunInfo | None:
    manifest = _read_json(folder / MANIFEST_FILE)
    if not isinstance(manifest, dict) or folder_kind(folder) != "run":
        return None  # compare, sweep and staff folders have a manifest too

    def text(key: str) -> str:
        value = manifest.get(key)
        return value if isinstance(value, str) else ""

    def integer(key: str) -> int | None:
        value = manifest.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    metrics, effects = _headline_from(folder)
    return RunInfo(
        folder=folder,
        name=text("name") or folder.parent.name,
        title=text("title"),
        version=text("version"),
        config_hash=text("config_hash"),
        created_at=text("created_at"),
        seed=integer("seed"),
        replications=integer("replications"),
        metrics=metrics,
        effects=effects,
    )


def _visible_dirs(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir()]
    except OSError:
        return []


def _newest_first(info: RunInfo) -> tuple[float, str]:
    try:
        created = dt.datetime.fromisoformat(info.created_at)
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        stamp = created.timestamp()
    except ValueError:
        stamp = float("-inf")
    return stamp, info.folder.name


def list_runs(root: Path = Path("outputs"), name: str | None = None) -> list[RunInfo]:
    """Every run folder under ``root/<name>/``, newest first.

    Hidden folders (``.promosim-cache``, unfinished temporary folders) and folders without a
    readable ``manifest.json`` are skipped. ``name`` keeps one scenario's runs.
    """
    root = Path(root)
    scenarios = [root / name] if name is not None else _visible_dirs(root)
    runs = []
    for scenario_dir in scenarios:
        if scenario_dir.name.startswith("."):
            continue
        for folder in _visible_dirs(scenario_dir):
            info = _info(folder)
            if info is not None:
                runs.append(info)
    return sorted(runs, key=_newest_first, reverse=True)


def show_run(folder: Path) -> dict[str, Any]:
    """The run's manifest with its folder and headline metric means (``metrics``).

    Raises:
        ValueError: ``folder`` has no readable ``manifest.json``.
    """
    folder = Path(folder)
    manifest = _read_json(folder / MANIFEST_FILE)
    if not isinstance(manifest, dict):
        raise ValueError(f"{folder}: not a run folder (no readable {MANIFEST_FILE})")
    return {"folder": str(folder), **manifest, "metrics": _headline(folder)}


# --------------------------------------------------------------------------- init

_COMMENTS: Final = {
    "start": "the deal opens (inclusive)",
    "end": "the deal closes (exclusive)",
    "order_uplift": "orders in the window vs a normal day",
    "peak_day": "the big day (e.g. 11.11), or null",
    "peak_day_factor": "extra multiplier on peak_day, on top of order_uplift",
    "transit_delay_factor": "slower logistics for orders in the window",
    "rule_question_rate": "'how does the deal work' contacts per order in the window",
    "second_item_price_yuan": "price of the second unit in one order",
    "eligible_share": "share of orders on the deal's SKUs",
    "two_unit_intent": "of those, buyers who mean to buy two",
    "bundle_clarity": "clear | typical | confusing: how often buyers miss the bundle",
    "bundle_miss_rate": "overrides bundle_clarity when set",
    "notice_probability": "buyers who notice they paid too much",
    "contact_probability": "of those, who contact service",
    "auto_apply": "the cart applies the deal by itself",
    "checkout_nudge": "an 'add one more' prompt at checkout",
    "makeup_link": "a make-up link buyers can pay themselves",
    "threshold_yuan": "order value that earns the discount",
    "discount_yuan": "discount per qualifying order",
    "coupon_use_share": "orders that use a coupon",
    "coupon_value_yuan": "discount of a working coupon",
    "spike_factor": "order rate at the start vs order_uplift",
    "spike_decay_minutes": "how fast the spike fades",
    "price_drop_at": "when the price drops",
    "price_drop_yuan": "how much it drops",
    "claim_window_days": "days an order is protected",
    "claim_anchor": "what the 价保 window counts from",
    "self_service_share": "claims made with the one-click button",
    "claim_rate": "buyers who claim the difference",
}
_WINDOW = ("start", "end", "order_uplift", "peak_day", "peak_day_factor")
_NESTED_PROMOTION = ("rule_question",)
"""Promotion fields holding whole contact reasons: left out (edit them in full if needed)."""


def template_names(configs: Path) -> list[str]:
    """The bundled scenarios ``promosim init --from`` accepts (file stems in ``configs``)."""
    return sorted(
        p.stem for p in Path(configs).glob("*.yaml") if p.is_file() and not p.name.startswith(".")
    )


def _value(value: Any) -> str:
    r"""A value as one line of YAML (JSON is YAML; strings stay quoted, ``"08:00"`` too).

    Line breaks YAML knows besides newline (``\u2028``, ``\x85``) are escaped too: the line
    is a comment, and a break would end it.
    """
    return json_dumps(value, separators=(", ", ": "))


def _commented(line: str, note: str = "") -> str:
    return f"# {line}" + (f"  # {note}" if note else "")


_DATED = ("start", "end", "peak_day", "price_drop_at")
"""Promotion fields holding a date or a time: they move with the calendar's start."""


def _shifted(value: Any, days: int) -> Any:
    """An ISO date or date-time text moved by ``days``; anything else as it is."""
    if not isinstance(value, str) or not days:
        return value
    try:
        if len(value) == 10:
            return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
        return (dt.datetime.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
    except ValueError:
        return value


def _promotion_lines(promotion: Mapping[str, Any] | None, shift_days: int = 0) -> list[str]:
    if not promotion:
        note = "none in the template; a promotion block has kind, start, end, … (promosim schema)"
        return [_commented("promotion: null", note)]
    if shift_days:
        # the window moves with the calendar: written, not commented
        lines = [f"promotion:  # its dates moved {shift_days:+d} days with the calendar"]
        for key in _DATED:
            if isinstance(promotion.get(key), str):
                parent = _value(promotion[key])
                lines.append(
                    f"  {key}: {_value(_shifted(promotion[key], shift_days))}  # parent: {parent}"
                )
        lines.append(_commented(f"  kind: {_value(promotion['kind'])}", "keep: the mechanic"))
    else:
        lines = [
            _commented(
                "promotion:", "mappings merge: uncomment this line and the fields you change"
            ),
            _commented(f"  kind: {_value(promotion['kind'])}", "keep: the mechanic"),
        ]
    mechanic = [
        k
        for k, v in promotion.items()
        if k not in (*_WINDOW, "kind", *_NESTED_PROMOTION) and not isinstance(v, dict | list)
    ]
    for key in (*_WINDOW, *mechanic):
        if key in promotion and not (shift_days and key in _DATED):
            note = _COMMENTS.get(key, "mechanic parameter")
            lines.append(_commented(f"  {key}: {_value(promotion[key])}", note))
    dated_lists = [k for k in ("moments", "live_streams") if promotion.get(k)]
    if shift_days and dated_lists:
        lines.append(f"# note: {', '.join(dated_lists)} keep the parent's dates; move them by hand")
    return lines


def _staffing_lines(staffing: Mapping[str, Any]) -> list[str]:
    lines = [
        _commented("staffing:"),
        _commented("  groups:", "lists replace: keep every group when you change one"),
    ]
    for group in staffing.get("groups", []):
        lines.append(_commented(f"    - name: {_value(group['name'])}"))
        for key, value in group.items():
            if key in ("name", "schedule"):
                continue
            lines.append(_commented(f"      {key}: {_value(value)}"))
        schedule = group["schedule"]
        lines.append(_commented("      schedule:", "the rota: agents on duty"))
        for key, value in schedule.items():
            if key == "shifts":
                lines.append(_commented("        shifts:"))
                lines += [_commented(f"          - {_value(s)}") for s in value]
            else:
                lines.append(_commented(f"        {key}: {_value(value)}"))
    return lines


def _relative(target: Path, dest: Path) -> str:
    """``target`` as a path relative to the folder of the file ``dest``, with ``/``."""
    return Path(os.path.relpath(Path(target).resolve(), Path(dest).resolve().parent)).as_posix()


def schema_header(schema: Path, dest: Path) -> str:
    """The modeline that points editors (yaml-language-server) at the scenario schema.

    Args:
        schema: The JSON Schema file (``configs/scenario.schema.json``).
        dest: The scenario file that will carry the line; the path is relative to it.
    """
    return f"# yaml-language-server: $schema={_relative(schema, dest)}"


def _template(template: str, configs: Path) -> Path:
    """A bundled scenario's file by its stem, or a user's scenario file by its path."""
    given = Path(template)
    if given.suffix in (".yaml", ".yml") and (given.is_file() or given.parent != Path(".")):
        if not given.is_file():
            raise ValueError(f"--from {template!r}: no such scenario file")
        return given
    stem = template.removesuffix(".yaml").removesuffix(".yml")
    known = template_names(configs)
    if stem not in known:
        raise ValueError(
            f"unknown template {template!r}; available: {', '.join(known)} "
            "(or the path of your own scenario file)"
        )
    return Path(configs) / f"{stem}.yaml"


def init_scenario(
    name: str,
    template: str,
    configs: Path,
    dest: Path,
    *,
    title: str | None = None,
    version: str | None = None,
    start: dt.date | None = None,
) -> str:
    """The text of a new scenario file at ``dest`` that ``extends`` another.

    The new campaign's own ``name``, ``title`` and ``version`` are written (each with the
    parent's value in a comment), so a 618 run started from a 双11 file is not titled 双11.
    With ``start`` the calendar starts that day and the promotion's dates (start, end,
    peak day, price drop) move by as many days; without it the calendar is listed
    commented. The other fields a campaign usually changes (mechanic parameters, orders per
    day, the staffing groups' schedules) are listed commented out with the parent's values:
    the file as returned resolves to the parent with only those written fields changed.

    Args:
        name: The new scenario's name (a slug: lower-case letters, digits, dashes).
        template: A bundled scenario's file stem (``second_item_1yuan``) in ``configs``,
            or the path of a scenario file (``campaigns/double11.yaml``).
        configs: The folder of bundled scenarios.
        dest: Where the new file will be written; ``extends`` is relative to its folder.
        title: The new title (default: the name); any language.
        version: The campaign-review label (default ``draft``).
        start: The first day of the new calendar (default: the parent's).

    Raises:
        ValueError: An invalid name or an unknown template (the message lists the known
            ones).
        ScenarioError: The template itself does not load.
    """
    if not re.fullmatch(SLUG, name):
        raise ValueError(
            f"name {name!r} is not a slug: lower-case letters and digits, words joined by "
            "single dashes (e.g. double-11-second-item); a title or label may be in any "
            "language"
        )
    source = _template(template, configs)
    stem = source.stem
    resolved = load_scenario(source).resolved
    extends = _relative(source, dest)
    cal = resolved["calendar"]
    parent_start = dt.datetime.fromisoformat(str(cal["start"]))
    shift = (start - parent_start.date()).days if start is not None else 0
    calendar = [_commented("calendar:")] + [
        _commented(f"  {k}: {_value(v)}") for k, v in cal.items() if v is not None
    ]
    if start is not None:
        new_start = dt.datetime.combine(start, parent_start.time()).isoformat()
        calendar = [
            "calendar:",
            f"  start: {_value(new_start)}  # parent: {_value(cal['start'])}",
            *[_commented(f"  {k}: {_value(v)}") for k, v in cal.items() if k != "start"],
        ]
    lines = [
        schema_header(Path(configs) / SCHEMA_FILE, dest),
        f"# promosim scenario {name}: starts from {stem}.yaml "
        f"({shown(resolved['title'] or stem)}).",
        "# Everything not set here comes from the file it extends. The fields a campaign",
        "# usually changes are below, commented out with their current values: uncomment",
        "# (with their parent lines) and edit. Check with `promosim validate`, and see what",
        f"# changed with `promosim diff {extends} <this file>`.",
        f"schema_version: {SCHEMA_VERSION}",
        f"name: {name}",
        f"extends: {_value(extends)}",
        "",
        f"title: {_value(title if title is not None else name)}  "
        f"# parent: {_value(resolved['title'])}",
        f"version: {_value(version if version is not None else 'draft')}  "
        f"# the campaign-review label; parent: {_value(resolved['version'])}",
        "",
        *calendar,
        "",
        *_promotion_lines(resolved.get("promotion"), shift),
    ]
    orders = resolved.get("orders")
    if orders:
        lines += [
            "",
            _commented("orders:"),
            _commented(f"  per_day: {_value(orders['per_day'])}", "orders on a normal day"),
        ]
    lines += ["", *_staffing_lines(resolved["staffing"])]
    return "\n".join(lines) + "\n"
