"""Reading scenario files: YAML with line numbers, ``extends``, migrations, ``--set``, hashing.

A scenario file is read with PyYAML's safe loader, but the values are constructed here from
the composed node tree so that every mapping key and list item keeps the file and line it
came from. Validation errors of the pydantic models are then mapped back to
``file:line: field.path: message``; every problem found is reported at once in one
:class:`ScenarioError`.

The stages:

1. read the file and its ``extends`` chain (paths relative to the file that names them);
   YAML-level problems of every file in the chain are collected together; each file written
   in an older ``schema_version`` is upgraded on its own, before merging
   (:mod:`sim.migrations`), its source map re-keyed so that later errors still point at its
   lines, and a notice names the file and each change;
2. deep-merge the chain, parent first: mappings merge key by key (the child wins), lists and
   scalars replace. A mapping whose discriminator (``kind``, ``dist``) differs from the
   parent's replaces the parent's mapping instead of merging into it, so that switching
   ``{dist: lognormal, median: …, sigma: …}`` to ``{dist: exponential, mean: …}`` does not
   leave stale fields behind;
3. apply ``--set field.path=value`` overrides (values parsed as YAML);
4. validate with :class:`sim.config.Scenario`; then the values that look like a slip are
   located as warnings (:mod:`sim.plausibility`), which never stop a load.

The canonical resolved form is ``scenario.model_dump(mode="json")`` (defaults included); its
sha256 over sorted, compact JSON is the config hash, so comments, key order, formatting and
the ``extends`` layout do not change it, while any resolved value does.

Nothing here executes code from a file: tags beyond plain data are errors, never
constructed. No input text makes this module raise anything but :class:`ScenarioError`.
The work is bounded before the document is built: a file is at most :data:`MAX_BYTES`
(checked before reading), a document at most :data:`MAX_NODES` nodes (checked while
composing, aliases counted as what they repeat). A file that does not parse as a scenario
(see :func:`_not_a_scenario`) is refused without echoing any of it, and keys and values of
one that does are echoed cut to :data:`SHOWN` characters.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import io
import json
import os
import re
import types
from collections.abc import Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from sim import migrations
from sim.config import NAME, SLUG, PathErrors, PlatformRules, Scenario
from sim.files import UnreadableFile, read_bounded
from sim.text import shown as _printable  # the one escaping rule for shown text

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter

__all__ = [
    "FileMigration",
    "LoadedScenario",
    "Problem",
    "ScenarioError",
    "config_hash",
    "load_data_file",
    "load_scenario",
    "load_text",
    "migrate_file",
    "parse_override",
    "resolved_yaml",
]

Key = str | int
FieldPath = tuple[Key, ...]

SET = "--set"
"""The ``file`` of problems located in a command-line override."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted (a real scenario needs fewer than 10)."""
MAX_NODES = 100_000
"""Most YAML nodes (keys, values, list items) one file or ``--set`` value may hold, an alias
(``*name``) counted as every node it repeats. Checked while the document is composed, before
anything is built from it: composing costs ~30 µs and ~1 KB a node, so 100,000 nodes are a
few seconds and ~100 MB at most. A year of 30-minute intervals is 17,520 values."""
MAX_BYTES = 2 * 2**20
"""Largest scenario (or ``--map-file``) file read, 2 MiB: the bundled scenarios are under
20 KiB; the size is checked before reading, and no more than this is ever read."""
MAX_EXTENDS = 32
"""Longest ``extends`` chain followed."""
MAX_PATH = 1024
"""Longest ``extends`` path accepted, in characters (file systems allow 4,096 at most)."""
SHOWN = 40
"""Most characters of a key or value from a file echoed in a problem (then an ellipsis)."""


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class Problem:
    """One problem of a scenario, located in the file (or override) it comes from."""

    file: str
    """The file's path as the user gave it (or as ``extends`` joined it), or ``--set``."""
    line: int | None
    """1-based line, or None when there is no line to point at."""
    path: str
    """Dotted field path, list indexes as numbers; ``""`` for the whole document."""
    message: str

    def __str__(self) -> str:
        """``file:line: field.path: message`` on one line (control characters escaped)."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return _printable(text)


class ScenarioError(Exception):
    """A scenario that cannot be loaded, with every problem found, sorted by file and line.

    Files are ordered as the loader met them: the file loaded, then its ``extends`` chain,
    then ``--set`` overrides.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    source: Path
    """The file loaded (for :func:`load_text`: its ``name``)."""
    files: tuple[Path, ...]
    """The file and its ``extends`` chain, child first."""
    overrides: tuple[str, ...]
    """The ``--set`` strings applied, as given."""
    resolved: dict[str, Any]
    """``scenario.model_dump(mode="json")``: the canonical resolved form."""
    hash: str
    """sha256 (hex) of the canonical JSON of ``resolved``."""
    notices: tuple[str, ...] = ()
    """One line per older-format file upgraded and per change made (``file:line: path:
    renamed to …``), in the order the files were read; for the user, not errors."""
    warnings: tuple[Problem, ...] = ()
    """Values that look like a slip (:mod:`sim.plausibility`: a percentage typed for a
    factor, a value outside its sourced range, agents far too few for the load), each
    where it was written; not errors."""


@dataclass(frozen=True)
class FileMigration:
    """What ``promosim migrate`` would do to one file (see :func:`migrate_file`)."""

    path: Path
    source: int
    """The ``schema_version`` the file is written in."""
    text: str
    """The file as read."""
    migrated: str
    """The file upgraded to the current format: equal to ``text`` when it is current."""
    notices: tuple[str, ...]
    """What changed, one line each, located in the file as read."""

    @property
    def needed(self) -> bool:
        """Whether the file is in an older format."""
        return self.source < migrations.CURRENT


# --------------------------------------------------------------------------- public functions


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: The scenario file; problems name it as given.
        overrides: ``field.path=value`` strings, applied after ``extends``.

    Raises:
        ScenarioError: With every problem found.
    """
    display = str(path)
    try:
        fs_path = Path(path)
        text, error, line = _read(fs_path)
    except Exception as exc:  # e.g. a path that is not a path at all
        raise ScenarioError([Problem(display, None, "", f"cannot read the file: {exc}")]) from exc
    if text is None:
        raise ScenarioError([Problem(display, line, "", error or "cannot read the file")])
    return _guarded(text, display, fs_path, is_file=True, overrides=overrides)


def load_text(text: str, name: str = "<string>", overrides: Sequence[str] = ()) -> LoadedScenario:
    """Load a scenario from text; ``extends`` is resolved relative to the working directory.

    Raises:
        ScenarioError: With every problem found.
    """
    if len(text) > MAX_BYTES:
        message = f"the text is longer than {MAX_BYTES // 2**20} MiB, the most a scenario may be"
        raise ScenarioError([Problem(name, 1, "", message)])
    return _guarded(text, name, Path(name), is_file=False, overrides=overrides)


def migrate_file(path: str | Path) -> FileMigration:
    """Upgrade one scenario file's text to the current format, keeping comments and order.

    Only this file is read (not its ``extends`` chain: a parent is migrated on its own).
    The edits are made in the file's own text at the places the round-trip parser
    (ruamel.yaml) found, so everything else — comments, key order, quoting, line breaks
    inside lists — stays byte for byte; an edit that cannot be made there (an oddly written
    key) falls back to ruamel's round-trip output, which keeps comments and order. Either
    way the new text must read as the upgraded data, or nothing is returned. Writes nothing.

    Raises:
        ScenarioError: The file cannot be read, is not a YAML mapping, has a
            ``schema_version`` this release cannot read, or a migration conflicts.
    """
    display = str(path)
    try:
        fs_path = Path(path)
        text, error, line = _read(fs_path)
    except Exception as exc:
        raise ScenarioError([Problem(display, None, "", f"cannot read the file: {exc}")]) from exc
    if text is None:
        raise ScenarioError([Problem(display, line, "", error or "cannot read the file")])
    try:
        return _migrate_text(text, display, fs_path)
    except ScenarioError:
        raise
    except Exception as exc:
        msg = f"internal error while migrating ({type(exc).__name__}: {exc}); please report this"
        raise ScenarioError([Problem(display, None, "", msg)]) from exc


def load_data_file(path: str | Path) -> Any:
    """A small YAML data file (e.g. ``calibrate --map-file``) read as PyYAML's safe_load does.

    The same limits as a scenario file: at most :data:`MAX_BYTES`, checked before reading,
    and :data:`MAX_NODES` nodes (aliases counted as what they repeat), checked while
    composing. Tags beyond plain data are errors.

    Raises:
        ScenarioError: The file cannot be read, is not YAML or is too large, located.
    """
    display = str(path)
    text, error, line = _read(Path(path))
    if text is None:
        raise ScenarioError([Problem(display, line, "", error or "cannot read the file")])
    return load_data_text(text, display)


def load_data_text(text: str, display: str) -> Any:
    """YAML text read as PyYAML's safe_load does, within :data:`MAX_NODES` and :data:`MAX_DEPTH`.

    For a YAML file read by other means (its size bounded there), e.g. a run folder's
    ``scenario.resolved.yaml``: an alias bomb stops while composing.

    Raises:
        ScenarioError: It is not YAML or too large, located in ``display``.
    """
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(exc, display, text, True)]) from None
    except _TooLarge as exc:
        raise ScenarioError([Problem(display, exc.line, "", exc.message)]) from None
    except RecursionError:
        raise ScenarioError([Problem(display, None, "", "nested too deeply to read")]) from None
    except (ValueError, OverflowError) as exc:  # a date like 2026-13-45
        message = f"cannot read a value: {_clip(str(exc), 80)}"
        raise ScenarioError([Problem(display, None, "", message)]) from None
    finally:
        loader.dispose()


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """Split ``"a.b.0.c=value"`` into ``(["a", "b", 0, "c"], value)``.

    The value is parsed as (safe) YAML: ``7`` is an int, ``null`` is None, ``[1, 2]`` a list.
    Path segments made of digits are list indexes.

    Raises:
        ScenarioError: When the text is not ``path=value`` or the value is not valid YAML.
    """
    path, value, problems = _parse_override(text)
    if problems:
        raise ScenarioError(problems)
    return path, value


def config_hash(scenario: Scenario) -> str:
    """sha256 (hex) of the canonical JSON of the scenario's resolved form."""
    return _hash(scenario.model_dump(mode="json"))


def resolved_yaml(loaded: LoadedScenario) -> str:
    """The resolved scenario as YAML, in model field order, headed by a generated-comment."""
    header = [
        "# generated by promosim: the resolved scenario (extends, defaults and --set applied); "
        f"config hash {loaded.hash}",
        f"# source: {_one_line(str(loaded.source))}",
    ]
    header += [f"# --set {_one_line(o)}" for o in loaded.overrides]
    body = yaml.dump(
        loaded.resolved,
        Dumper=_ResolvedDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    return "\n".join(header) + "\n" + body


# --------------------------------------------------------------------------- the pipeline


class _Loc(NamedTuple):
    file: str
    line: int | None


_SET_LOC = _Loc(SET, None)


class _Parsed(NamedTuple):
    present: bool
    """Whether the text held a YAML document at all."""
    data: Any
    smap: dict[FieldPath, _Loc]
    problems: list[Problem]


def _guarded(
    text: str, display: str, fs_path: Path, *, is_file: bool, overrides: Sequence[str]
) -> LoadedScenario:
    """Run :func:`_load`, turning any escaping exception into a ScenarioError."""
    try:
        return _load(text, display, fs_path, is_file=is_file, overrides=overrides)
    except ScenarioError:
        raise
    except RecursionError as exc:
        raise ScenarioError([Problem(display, None, "", "nested too deeply to read")]) from exc
    except Exception as exc:
        msg = f"internal error while loading ({type(exc).__name__}: {exc}); please report this"
        raise ScenarioError([Problem(display, None, "", msg)]) from exc


def _load(
    text: str, display: str, fs_path: Path, *, is_file: bool, overrides: Sequence[str]
) -> LoadedScenario:
    from sim import plausibility  # numpy and scipy: not for a report's reading of YAML

    if isinstance(overrides, str):  # a lone string is one override, not a list of characters
        overrides = (overrides,)
    overrides = tuple(overrides)

    base_dir = fs_path.parent if is_file else Path()
    real = _real(fs_path) if is_file else None
    chain = _read_chain(text, display, base_dir, real)
    problems = list(chain.problems)
    order = [*chain.order, SET]

    parsed_overrides = []
    for o in overrides:
        path, value, o_problems = _parse_override(o)
        problems += o_problems
        parsed_overrides.append((o, path, value))
    if problems:
        raise ScenarioError(_sorted(problems, order))

    data, smap = chain.docs[-1].data, chain.docs[-1].smap
    for doc in reversed(chain.docs[:-1]):
        merged = _merge(data, doc.data)
        root = doc.smap[()]
        smap = {p: doc.smap.get(p) or smap.get(p) or root for p in _paths(merged)}
        data = merged

    if isinstance(data, dict):
        problems += _with_platform(data, smap, order)
    for o, path, value in parsed_overrides:
        problem = _apply(data, smap, o, path, value)
        if problem is not None:
            problems.append(problem)
        elif path[:1] == ["platform"] and isinstance(data, dict):
            problems += _with_platform(data, smap, order)  # --set platform=jd
    if problems:
        raise ScenarioError(_sorted(problems, order))

    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_sorted(_validation_problems(exc, data, smap), order)) from None

    resolved = scenario.model_dump(mode="json")
    try:
        digest = _hash(resolved)
    except ValueError as exc:  # a NaN or infinity that slipped past the models
        msg = f"the resolved scenario is not plain JSON data: {exc}"
        raise ScenarioError([Problem(display, None, "", msg)]) from None
    warnings = []
    for field, message in plausibility.warnings(scenario):
        loc = _locate(field, smap)
        warnings.append(Problem(loc.file, loc.line, _dotted(field), message))
    return LoadedScenario(
        scenario=scenario,
        source=fs_path,
        files=(fs_path, *chain.files),
        overrides=overrides,
        resolved=resolved,
        hash=digest,
        notices=tuple(chain.notices),
        warnings=tuple(_sorted(warnings, order)),
    )


PLATFORMS = Path(__file__).resolve().parent.parent / "configs" / "platforms"
"""The bundled platform rule packs (a checkout's configs/platforms/): ``NAME.yaml``."""


def platform_packs() -> list[str]:
    """The names of the bundled platform rule packs."""
    if not PLATFORMS.is_dir():
        return []
    return sorted(p.stem for p in PLATFORMS.glob("*.yaml") if re.fullmatch(NAME, p.stem))


def _with_platform(
    data: dict[str, Any], smap: dict[FieldPath, _Loc], order: list[str]
) -> list[Problem]:
    """Put the platform pack a scenario names under ``platform``, its own keys over it.

    ``platform: tmall`` reads ``configs/platforms/tmall.yaml``; ``platform: {pack: tmall,
    …}`` reads it and keeps the mapping's keys over the pack's. The pack's values keep
    their file and line, so a problem in the pack is located there.
    """
    rules = data.get("platform")
    if isinstance(rules, str):
        name: Any = rules
        own: dict[str, Any] = {}
        at: FieldPath = ("platform",)
    elif isinstance(rules, dict) and "pack" in rules:
        name, own, at = rules["pack"], rules, ("platform", "pack")
    else:
        return []  # none, rules written out, or a value the model refuses
    loc = _locate(at, smap)
    packs = platform_packs()
    if not isinstance(name, str) or name not in packs:
        bundled = ", ".join(packs) or "none found"
        message = f"unknown platform pack {_short(name)} (bundled: {bundled})"
        return [Problem(loc.file, loc.line, _dotted(at), message)]
    path = PLATFORMS / f"{name}.yaml"
    display = str(path)
    text, error, line = _read(path)
    if text is None:
        return [Problem(display, line, "", error or "cannot read the file")]
    parsed = _parse(text, display, ("platform",))
    if parsed.problems:
        return parsed.problems
    if not isinstance(parsed.data, dict):
        return [Problem(display, 1, "", "a platform pack is a mapping of its rules")]
    if display not in order:
        order.insert(len(order) - 1, display)
    merged = _merge(parsed.data, {**own, "pack": name})
    before = {p: smap.pop(p) for p in [p for p in smap if p[:1] == ("platform",)]}
    for p in _paths(merged, ("platform",)):
        mine = p in before and _has(own, p[1:])
        smap[p] = before[p] if mine else parsed.smap.get(p) or before.get(p) or loc
    data["platform"] = merged
    return []


def is_platform_pack(path: str | Path) -> bool:
    """Whether ``path`` is a platform rule pack (under ``configs/platforms/``) to check as one."""
    return Path(path).resolve().parent == PLATFORMS.resolve()


class _PackFile(BaseModel):
    """A pack validated where a scenario holds it, so its problems read as a scenario's."""

    model_config = ConfigDict(extra="forbid")
    platform: PlatformRules


def load_platform_pack(path: str | Path) -> PlatformRules:
    """A platform rule pack file, checked as a scenario's ``platform`` would be.

    Raises:
        ScenarioError: Every problem, located ``file:line: field.path: message`` (the path
            without its ``platform.`` prefix).
    """
    display = str(path)
    text, error, line = _read(Path(path))
    if text is None:
        raise ScenarioError([Problem(display, line, "", error or "cannot read the file")])
    parsed = _parse(text, display, ("platform",))
    if parsed.problems:
        raise ScenarioError(parsed.problems)
    if not isinstance(parsed.data, dict):
        raise ScenarioError([Problem(display, 1, "", "a platform pack is a mapping of its rules")])
    data = {"platform": parsed.data}
    try:
        return _PackFile.model_validate(data).platform
    except ValidationError as exc:
        problems = _validation_problems(exc, data, parsed.smap)
        raise ScenarioError(
            [
                Problem(p.file, p.line, p.path.removeprefix("platform").lstrip("."), p.message)
                for p in _sorted(problems, [display])
            ]
        ) from None


def _has(data: Any, path: FieldPath) -> bool:
    """Whether ``data`` holds ``path`` (mapping keys only)."""
    for seg in path:
        if not isinstance(data, dict) or seg not in data:
            return False
        data = data[seg]
    return True


def _hash(resolved: Any) -> str:
    canonical = json.dumps(
        resolved, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _sorted(problems: list[Problem], order: list[str]) -> list[Problem]:
    rank = {f: i for i, f in reversed(list(enumerate(order)))}
    unique = dict.fromkeys(problems)
    return sorted(
        unique,
        key=lambda p: (rank.get(p.file, len(order) - 1), p.line or 0, p.path, p.message),
    )


# --------------------------------------------------------------------------- reading files


_READ_PROBLEMS = {
    "no such file": "file not found",
    "a folder, not a file": "is a directory, not a scenario file",
}
"""How :func:`_read` words :class:`sim.files.UnreadableFile`'s reasons (others as they are)."""


def _read(path: Path) -> tuple[str | None, str | None, int | None]:
    """``(text, None, None)``, or ``(None, message, line or None)`` when it cannot be read.

    The size is checked before reading (a larger file is not read at all), and no more than
    :data:`MAX_BYTES` + 1 bytes are read (a file growing meanwhile, or one whose size the
    file system does not tell).
    """
    too_large = f"the file is larger than {MAX_BYTES // 2**20} MiB, the most a scenario file may be"
    if len(str(path)) > MAX_PATH:
        return None, f"the path is longer than {MAX_PATH} characters", None
    try:
        raw = read_bounded(path, MAX_BYTES, links=True)
    except UnreadableFile as exc:
        reason = str(exc)
        if reason.startswith("larger than"):
            return None, too_large, 1
        if reason.startswith("cannot be read: "):
            return None, "cannot read the file: " + reason.removeprefix("cannot be read: "), None
        return None, _READ_PROBLEMS.get(reason, reason), None
    try:
        return raw.decode("utf-8-sig"), None, None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        msg = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        return None, msg, line


def _real(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return str(path)


@dataclass
class _Doc:
    file: str
    data: dict[str, Any]
    smap: dict[FieldPath, _Loc]


@dataclass
class _Chain:
    docs: list[_Doc]
    """Child first."""
    files: list[Path]
    """The ``extends`` targets read, child first (the root file excluded)."""
    order: list[str]
    """Display names of the files met, child first."""
    problems: list[Problem]
    notices: list[str]


def _read_chain(text: str, display: str, base_dir: Path, real: str | None) -> _Chain:
    chain = _Chain(docs=[], files=[], order=[], problems=[], notices=[])
    seen: dict[str, int] = {} if real is None else {real: 0}
    while True:
        chain.order.append(display)
        parsed = _parse(text, display)
        if not parsed.present:
            chain.problems.append(Problem(display, 1, "", "the file is empty"))
            return chain
        refused = _not_a_scenario(parsed)
        if refused is not None:
            # nothing of a file that is not a scenario is echoed: it may be any file
            # (``extends: /etc/shadow``), and its lines may be secrets
            chain.problems.append(Problem(display, 1, "", refused))
            return chain
        chain.problems += parsed.problems
        if not isinstance(parsed.data, dict):
            return chain
        data: dict[str, Any] = parsed.data
        smap = parsed.smap
        problems, notices = _upgrade(data, smap, display)
        chain.problems += problems
        chain.notices += notices
        has_extends = "extends" in data
        target_name = data.pop("extends", None)
        ext_loc = smap.get(("extends",), _Loc(display, None))
        for p in [p for p in smap if p[:1] == ("extends",)]:
            del smap[p]
        chain.docs.append(_Doc(display, data, smap))
        if not has_extends or target_name is None:
            return chain

        def problem(message: str) -> None:
            chain.problems.append(Problem(display, ext_loc.line, "extends", message))  # noqa: B023

        if not isinstance(target_name, str) or not target_name.strip():
            problem("must be the path of the scenario file this one extends")
            return chain
        if len(target_name) > MAX_PATH or "\0" in target_name:
            what = "holds a NUL character" if "\0" in target_name else "is too long"
            problem(f"the path {what} (at most {MAX_PATH} characters): {_clip(target_name)}")
            return chain
        target = base_dir / target_name
        target_display = str(target)
        target_real = _real(target)
        if target_real in seen:
            names = [*chain.order[seen[target_real] :], target_display]
            problem(f"cycle: {' → '.join(names)}")
            return chain
        if len(chain.docs) >= MAX_EXTENDS:
            problem(f"the extends chain is longer than {MAX_EXTENDS} files")
            return chain
        try:
            special = target.exists() and not target.is_file() and not target.is_dir()
        except (OSError, ValueError) as exc:  # a name too long for the file system, …
            problem(f"cannot read {target_display}: {getattr(exc, 'strerror', None) or exc}")
            return chain
        if special:
            # reading a pipe or a device (/dev/stdin, a FIFO) would wait forever
            problem(f"cannot read {target_display}: not a regular file (a pipe or a device)")
            return chain
        target_text, error, line = _read(target)
        if target_text is None:
            if line is None:
                problem(f"cannot read {target_display}: {error}")
            else:
                chain.order.append(target_display)
                chain.problems.append(Problem(target_display, line, "", error or ""))
            return chain
        seen[target_real] = len(chain.order)
        chain.files.append(target)
        text, display, base_dir = target_text, target_display, target.parent


def _not_a_scenario(parsed: _Parsed) -> str | None:
    """Why a parsed file is refused without echoing any of it, or None if it may be echoed.

    A file *parses as a scenario* when its document is a mapping that is empty or of whose
    top-level keys at least a third are scenario fields (``name``, ``calendar``,
    ``channels``, …, or ``extends``): a scenario with a typo or two still shows them. Only
    then are its problems shown, keys and values cut to :data:`SHOWN` characters. Any other
    file — a list, a text, a mapping of unknown keys such as ``/etc/shadow``'s
    ``user:hash:…:`` lines — gets one message naming no part of it. A file that does not
    parse (invalid YAML, too large) keeps its problems: they name a line and a kind of
    error, never the text.
    """
    data = parsed.data
    if data is None and parsed.problems:
        return None
    if not isinstance(data, dict):
        kind = _kind(data)
        return f"not a scenario: a scenario is a mapping of fields (name: value), this is {kind}"
    if not data:
        return None
    known = sum(1 for k in data if k in _TOP_LEVEL)
    if 3 * known >= len(data):
        return None
    return (
        f"not a scenario: {known} of its {len(data)} top-level keys are scenario fields "
        f"(such as name, calendar, channels, staffing); nothing of it is shown"
    )


_TOP_LEVEL = frozenset([*Scenario.model_fields, "extends"])


def _kind(data: Any) -> str:
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "text"
    return "a single value"


# --------------------------------------------------------------------------- migrations


def _upgrade(
    data: dict[str, Any], smap: dict[FieldPath, _Loc], file: str
) -> tuple[list[Problem], list[str]]:
    """Upgrade one file's data in place and re-key its source map; problems and notices."""
    version_line = smap.get(("schema_version",), _Loc(file, None)).line
    try:
        done = migrations.upgrade(data)
    except migrations.VersionError as exc:
        return [Problem(file, version_line, "schema_version", str(exc))], []
    problems = [
        Problem(file, _locate(c.path, smap).line, _dotted(c.path), c.message)
        for c in done.conflicts
    ]
    notices = []
    for change in done.changes:
        line = _locate(change.old, smap).line
        notices.append(Problem(file, line, _dotted(change.old), change.message))
        # the renamed values keep the lines they were written on, so a later validation
        # error names the new path but points into the file as written
        n = len(change.old)
        for p in [p for p in smap if p[:n] == change.old]:
            smap[(*change.new, *p[n:])] = smap.pop(p)
    if problems or not done.needed:
        return problems, []
    head = Problem(
        file,
        version_line,
        "schema_version",
        f"{done.source} is an older file format, upgraded to {migrations.CURRENT} while "
        f"loading ({len(done.changes)} change(s)); `promosim migrate {file}` updates the file",
    )
    return [], [str(head), *(str(n) for n in sorted(notices, key=lambda n: n.line or 0))]


def _migrate_text(text: str, display: str, fs_path: Path) -> FileMigration:
    parsed = _parse(text, display)
    problems = list(parsed.problems)
    if not parsed.present:
        problems.append(Problem(display, 1, "", "the file is empty"))
    elif (refused := _not_a_scenario(parsed)) is not None:
        problems = [Problem(display, 1, "", refused)]
    if problems:
        raise ScenarioError(problems)
    expected: dict[str, Any] = deepcopy(parsed.data)
    problems, notices = _upgrade(expected, dict(parsed.smap), display)
    if problems:
        raise ScenarioError(problems)
    source = migrations.file_version(parsed.data)
    if source == migrations.CURRENT:
        return FileMigration(fs_path, source, text, text, ())
    migrated = _rewrite(text)
    check = _parse(migrated, display)
    # repr, not ==: the same data must print the same (NaN included, key order too)
    if check.problems or repr(check.data) != repr(expected):
        msg = (
            "internal error: the migrated file would not read as the upgraded one; "
            "nothing was written; please report this"
        )
        raise ScenarioError([Problem(display, None, "", msg)])
    return FileMigration(fs_path, source, text, migrated, tuple(notices[1:]))


def _round_trip() -> YAML:
    from ruamel.yaml import YAML  # only migrate rewrites files: no other command loads it

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never re-fold a long line
    rt.indent(mapping=2, sequence=4, offset=2)  # the bundled files' layout
    rt.representer.add_representer(type(None), _represent_null)
    return rt


def _represent_null(representer: RoundTripRepresenter, _: None) -> Any:
    # ruamel writes an empty value for null; the bundled files say null
    return representer.represent_scalar(_TAG + "null", "null")


def _rewrite(text: str) -> str:
    """``text`` upgraded: edits spliced into the text, else ruamel's round-trip output."""
    rt = _round_trip()
    original = rt.load(text)
    tree = rt.load(text)
    done = migrations.upgrade(tree)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in text
    starts = [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]

    def span(node: Any, key: str, value: bool, token: str) -> tuple[int, int] | None:
        try:  # a key that came in through a merge key (<<) has no place of its own
            line, col = node.lc.value(key) if value else node.lc.key(key)
        except (AttributeError, KeyError, TypeError, ValueError):
            return None
        if line >= len(starts):
            return None
        at = starts[line] + col
        for quote in ("", "'", '"'):
            written = f"{quote}{token}{quote}"
            after = text[at + len(written) : at + len(written) + 1]
            # the whole token, not the start of a longer one (``00`` for a version 0)
            longer = after != "" and (after.isalnum() or after in "_-.+")
            if text.startswith(written, at) and not longer:
                return at + len(quote), at + len(quote) + len(token)
        return None

    ok = True
    for change in done.changes:
        parent = _node(original, change.old[:-1])
        old, new = change.old[-1], change.new[-1]
        if change.old[:-1] != change.new[:-1] or not isinstance(new, str):
            ok = False
            break
        where = span(parent, old, False, old) if isinstance(old, str) else None
        if where is None:
            ok = False
            break
        edits.append((*where, new))
    version = original.get("schema_version")
    where = span(original, "schema_version", True, str(version))
    if where is None:
        ok = False
    else:
        edits.append((*where, str(tree["schema_version"])))
    if not ok:
        out = io.StringIO()
        rt.dump(tree, out)
        return out.getvalue()
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _node(tree: Any, path: FieldPath) -> Any:
    """The round-trip node at ``path``, or None."""
    for seg in path:
        try:
            tree = tree[seg]
        except (KeyError, IndexError, TypeError):
            return None
    return tree


# --------------------------------------------------------------------------- YAML → data

_TAG = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP, _MERGE = (_TAG + t for t in ("str", "seq", "map", "merge"))
_SCALAR_TAGS = frozenset(
    _TAG + t for t in ("null", "bool", "int", "float", "str", "timestamp", "binary")
)


class _TooLarge(Exception):
    """A document grew past :data:`MAX_NODES` or :data:`MAX_DEPTH` while being composed."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader whose composer stops a document that grows too large.

    Nodes are counted as they are composed, before anything is constructed from them: an
    alias (``*name``) counts as every node of what it names, so an alias bomb ("billion
    laughs": ten aliases of ten aliases of …) stops after :data:`MAX_NODES` nodes, as a
    flow list of millions of items does; nesting stops past :data:`MAX_DEPTH` levels.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.nodes = 0
        self.depth = 0
        self.sizes: dict[str, int] = {}
        """Nodes an anchor's value expands to, aliases within it included."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, counting it (or what an alias repeats) against the limits."""
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self._count(self.sizes.get(str(event.anchor), 1), line)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooLarge(f"nested too deeply (more than {MAX_DEPTH} levels)", line)
        start = self.nodes
        self._count(1, line)
        node = super().compose_node(parent, index)
        self.depth -= 1
        if event.anchor is not None:
            self.sizes[str(event.anchor)] = self.nodes - start
        return node

    def _count(self, n: int, line: int) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise _TooLarge(
                f"the document holds more than {MAX_NODES:,} values (keys, values and list "
                "items, an alias *name counted as often as it repeats them)",
                line,
            )


class _Loader(_BoundedLoader):
    """PyYAML's SafeLoader with two YAML 1.1 surprises removed (as YAML 1.2 did).

    Only ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay text, so a
    key ``on:`` is a name and ``--set description=yes`` is text; boolean fields still accept
    them through pydantic), and ``10:30`` is text, not the base-60 integer 630 (shift times).
    ``=`` alone is text, not the unconstructable ``!!value``.
    """


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in (_TAG + "bool", _TAG + "int", _TAG + "float", _TAG + "value")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)\Z"), list("tTfF")
)
_Loader.add_implicit_resolver(
    _TAG + "int",
    re.compile(
        r"""^(?:[-+]?0b[0-1_]+
            |[-+]?0[0-7_]+
            |[-+]?(?:0|[1-9][0-9_]*)
            |[-+]?0x[0-9a-fA-F_]+)\Z""",
        re.X,
    ),
    list("-+0123456789"),
)
_FLOAT = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)
        |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))\Z""",
    re.X,
)
"""Floats as YAML 1.2 writes them (``1e3`` too), without base-60 ``1:30.5``."""
_Loader.add_implicit_resolver(_TAG + "float", _FLOAT, list("-+0123456789."))


class _Abort(Exception):
    """Stop reading a document (too deep, too large)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem = problem


class _Builder:
    """Constructs plain data from a composed node tree, recording where each value is."""

    def __init__(self, loader: _Loader, file: str, with_lines: bool) -> None:
        self.loader = loader
        self.file = file
        self.with_lines = with_lines
        self.smap: dict[FieldPath, _Loc] = {}
        self.problems: list[Problem] = []

    def loc(self, node: yaml.Node) -> _Loc:
        return _Loc(self.file, node.start_mark.line + 1 if self.with_lines else None)

    def problem(self, node: yaml.Node, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.file, self.loc(node).line, _dotted(path), message))

    def value(self, node: yaml.Node, path: FieldPath, depth: int) -> Any:
        # the composer has bounded the nodes (aliases expanded) and the depth already; the
        # depth is checked again here because merge keys (<<) add a level of their own
        if depth > MAX_DEPTH:
            raise _Abort(
                Problem(
                    self.file,
                    self.loc(node).line,
                    _dotted(path),
                    f"nested too deeply (more than {MAX_DEPTH} levels)",
                )
            )
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.problem(node, path, _tag_message(node.tag))
                return None
            items = []
            for i, item in enumerate(node.value):
                self.smap[(*path, i)] = self.loc(item)
                items.append(self.value(item, (*path, i), depth + 1))
            return items
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        self.problem(node, path, "not a YAML value")  # pragma: no cover
        return None  # pragma: no cover

    def scalar(self, node: yaml.ScalarNode, path: FieldPath) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, path, _tag_message(node.tag))
            return None
        construct = _Loader.yaml_constructors[node.tag]
        try:
            return construct(self.loader, node)
        except Exception as exc:
            short = node.tag.removeprefix(_TAG)
            self.problem(node, path, f"cannot read {_short(node.value)} as {short}: {exc}")
            return None

    def mapping(self, node: yaml.MappingNode, path: FieldPath, depth: int) -> Any:
        if node.tag != _MAP:
            self.problem(node, path, _tag_message(node.tag))
            return None
        out: dict[str, Any] = {}
        # YAML merge keys (<<: *defaults): explicit keys win, earlier merged mappings win
        # over later ones, so build the merged mappings last-first and the explicit keys last.
        merges = [v for k, v in node.value if k.tag == _MERGE]
        for merge in reversed(merges):
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in reversed(sources):
                if not isinstance(source, yaml.MappingNode):
                    msg = "a merge key (<<) takes a mapping or a list of mappings"
                    self.problem(source, path, msg)
                    continue
                merged = self.value(source, path, depth + 1)
                if isinstance(merged, dict):
                    out.update(merged)
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in first_line:
                msg = f"duplicate key {_short(key)} (first given at line {first_line[key]})"
                self.problem(key_node, (*path, key), msg)
                continue
            first_line[key] = line
            self.smap[(*path, key)] = self.loc(key_node)
            out[key] = self.value(value_node, (*path, key), depth + 1)
        return out

    def key(self, node: yaml.Node, path: FieldPath) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            if node.tag not in (_SEQ, _MAP):
                self.problem(node, path, _tag_message(node.tag))
            else:
                self.problem(node, path, "a key must be a name, not a list or a mapping")
            return None
        if node.tag == _STR:
            return str(node.value)
        n_problems = len(self.problems)
        value = self.scalar(node, path)
        if isinstance(value, str):
            return value
        if len(self.problems) == n_problems:
            what = _describe(value)
            self.problem(
                node,
                path,
                f"the key {_short(node.value)} is read as {what}, not as a name; put it in quotes",
            )
        return None


def _parse(text: str, file: str, base: FieldPath = (), with_lines: bool = True) -> _Parsed:
    """Parse one YAML document into plain data and its source map; never raises."""
    problems: list[Problem] = []
    node: yaml.Node | None = None
    try:
        loader = _Loader(text)
        parser: Any = loader  # the stubs leave the event API untyped
        try:
            parser.get_event()  # StreamStart
            if not parser.check_event(yaml.StreamEndEvent):
                node = loader.compose_document()
            if not parser.check_event(yaml.StreamEndEvent):
                event = parser.get_event()
                problems.append(
                    Problem(
                        file,
                        event.start_mark.line + 1 if with_lines else None,
                        "",
                        "a second YAML document starts here (---); a scenario is one document",
                    )
                )
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(exc, file, text, with_lines))
        return _Parsed(True, None, {}, problems)
    except _TooLarge as exc:
        problems.append(Problem(file, exc.line if with_lines else None, "", exc.message))
        return _Parsed(True, None, {}, problems)
    except RecursionError:
        problems.append(Problem(file, None, "", "nested too deeply to read"))
        return _Parsed(True, None, {}, problems)
    if node is None:
        return _Parsed(False, None, {}, problems)
    builder = _Builder(loader, file, with_lines)
    builder.problems = problems
    builder.smap[base] = _Loc(file, 1 if with_lines else None)
    try:
        data = builder.value(node, base, 0)
    except _Abort as abort:
        problems.append(abort.problem)
        return _Parsed(True, None, {}, problems)
    except RecursionError:
        problems.append(Problem(file, None, "", "nested too deeply to read"))
        return _Parsed(True, None, {}, problems)
    # Keys replaced after a merge key can leave entries for paths that no longer exist.
    smap = {p: builder.smap[p] for p in _paths(data, base) if p in builder.smap}
    return _Parsed(True, data, smap, problems)


def _yaml_problem(exc: yaml.YAMLError, file: str, text: str, with_lines: bool) -> Problem:
    line: int | None = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        parts = [str(p) for p in (exc.context, exc.problem) if p]
        message = "invalid YAML: " + (", ".join(parts) or "syntax error")
        if exc.context_mark is not None and exc.problem_mark is not None:
            if exc.context_mark.line != exc.problem_mark.line:
                message += f" (started at line {exc.context_mark.line + 1})"
    elif isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        message = f"invalid YAML: the character {shown} is not allowed in YAML text"
    else:  # pragma: no cover - every PyYAML error is one of the above
        message = f"invalid YAML: {exc}"
    return Problem(file, line if with_lines else None, "", message)


def _tag_message(tag: str | None) -> str:
    shown = _clip("!!" + tag.removeprefix(_TAG) if tag and tag.startswith(_TAG) else str(tag))
    return (
        f"the tag {shown} is not allowed: a scenario holds plain data only "
        "(mappings, lists, text, numbers, booleans, dates, null)"
    )


# --------------------------------------------------------------------------- merging and --set


@functools.cache
def _discriminators() -> frozenset[str]:
    """Field names that select a model in a tagged union (``kind``, ``dist``)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            disc = node.get("discriminator")
            if isinstance(disc, dict) and isinstance(disc.get("propertyName"), str):
                found.add(disc["propertyName"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    try:
        walk(Scenario.model_json_schema())
    except Exception:  # pragma: no cover - a schema that cannot be generated
        return frozenset({"kind", "dist"})
    return frozenset(found)


def _merge(parent: Any, child: Any) -> Any:
    """Deep merge: mappings key by key (child wins) unless their kind differs; else replace."""
    if not (isinstance(parent, dict) and isinstance(child, dict)):
        return child
    if any(k in parent and k in child and parent[k] != child[k] for k in _discriminators()):
        return child
    out = dict(parent)
    for k, v in child.items():
        out[k] = _merge(parent[k], v) if k in parent else v
    return out


def _paths(data: Any, base: FieldPath = ()) -> Iterator[FieldPath]:
    """Every path in ``data``, the root (``base``) included."""
    stack: list[tuple[FieldPath, Any]] = [(base, data)]
    while stack:
        path, node = stack.pop()
        yield path
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in enumerate(node))


_Override = tuple[list[str | int], Any, list[Problem]]


def _parse_override(text: str) -> _Override:
    def fail(message: str, path: str = "") -> _Override:
        return [], None, [Problem(SET, None, path, message)]

    if not isinstance(text, str):
        return fail(f"{text!r}: an override is a string field.path=value")
    if len(text) > MAX_BYTES:
        return fail(f"{_short(text)}: longer than {MAX_BYTES // 2**20} MiB")
    name, eq, value_text = text.partition("=")
    name = name.strip()
    if not eq or not name:
        return fail(f"{text!r}: expected field.path=value, e.g. seed=7")
    segments = name.split(".")
    if any(not s.strip() for s in segments):
        return fail(f"{text!r}: empty name in the field path", name)
    path: list[str | int] = [
        int(s) if s.strip().isascii() and s.strip().isdigit() else s.strip() for s in segments
    ]
    parsed = _parse(value_text, SET, base=tuple(path), with_lines=False)
    if parsed.problems:
        return (
            [],
            None,
            [Problem(SET, None, p.path or name, f"{text!r}: {p.message}") for p in parsed.problems],
        )
    return path, parsed.data, []


def _apply(
    data: dict[str, Any],
    smap: dict[FieldPath, _Loc],
    text: str,
    path: list[str | int],
    value: Any,
) -> Problem | None:
    """Set ``path`` to ``value`` in ``data``, creating missing mappings on the way."""
    dotted = _dotted(tuple(path))
    node: Any = data
    here: FieldPath = ()
    for i, seg in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, dict):
            key = str(seg)
            if last:
                node[key] = value
                here = (*here, key)
                break
            if node.get(key) is None:
                node[key] = {}
                smap[(*here, key)] = _SET_LOC
            node, here = node[key], (*here, key)
        elif isinstance(node, list):
            where = _dotted(here)
            if not isinstance(seg, int):
                return Problem(SET, None, dotted, f"{text!r}: {where} is a list; give an index")
            if seg >= len(node):
                return Problem(
                    SET,
                    None,
                    dotted,
                    f"{text!r}: index {seg} is out of range; {where} has {len(node)} item(s)",
                )
            if last:
                node[seg] = value
                here = (*here, seg)
                break
            if node[seg] is None:
                node[seg] = {}
                smap[(*here, seg)] = _SET_LOC
            node, here = node[seg], (*here, seg)
        else:
            where = _dotted(here) or "the scenario"
            return Problem(
                SET,
                None,
                dotted,
                f"{text!r}: cannot set a field inside {where}: it is {_describe(node)}",
            )
    n = len(here)
    for p in [p for p in smap if p[:n] == here]:
        del smap[p]
    for p in _paths(value, here):
        smap[p] = _SET_LOC
    return None


# --------------------------------------------------------------------------- validation errors


def _validation_problems(
    exc: ValidationError, data: dict[str, Any], smap: dict[FieldPath, _Loc]
) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: FieldPath, message: str) -> None:
        loc = _locate(path, smap)
        problems.append(Problem(loc.file, loc.line, _dotted(path), message))

    for err in exc.errors(include_url=False):
        raw = tuple(err["loc"])
        path, end = _clean_loc(raw)
        ctx = err.get("ctx") or {}
        kind = err["type"]
        inner = ctx.get("error")
        if (
            kind == "value_error"
            and isinstance(inner, ValueError)
            and inner.args
            and isinstance(inner.args[0], PathErrors)
        ):
            for entry in inner.args[0]:
                rel, sep, message = str(entry).partition(": ")
                if not sep:
                    rel, message = "", str(entry)
                add((*path, *_split_rel(rel, _get(data, path))), message)
            continue
        if kind == "extra_forbidden" and raw:
            _, parent = _clean_loc(raw[:-1])
            add(path, _unknown_field(str(raw[-1]), parent))
        elif kind == "missing":
            add(path, "required field missing")
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            disc = str(ctx.get("discriminator", "")).strip("'\"") or "kind"
            tags = _union_tags(end, disc)
            expected = f"one of: {', '.join(tags)}" if tags else "see the documentation"
            if kind == "union_tag_invalid":
                add((*path, disc), f"unknown {disc} {_short(ctx.get('tag'))}; expected {expected}")
            else:
                add((*path, disc), f"required field missing: which {disc}, {expected}")
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            add(path, "should be a mapping of fields (name: value)" + _got(err.get("input")))
        elif kind == "string_pattern_mismatch" and ctx.get("pattern") in (NAME, SLUG):
            add(path, _not_a_name(err.get("input"), path, ctx.get("pattern") == SLUG))
        else:
            message = str(err["msg"])
            for prefix in ("Value error, ", "Assertion failed, "):
                message = message.removeprefix(prefix)
            if kind not in ("value_error", "assertion_error"):
                message += _got(err.get("input"))
            add(path, message)
    return problems


def _not_a_name(value: Any, path: FieldPath, slug: bool) -> str:
    """Why a name was refused, and where the words people read go instead (``label:``)."""
    form = (
        "lower-case letters, digits and hyphens (second-item-1-yuan)"
        if slug
        else "a lower-case letter, then lower-case letters, digits and _ (price_difference)"
    )
    where = "title: or label:" if slug and len(path) == 1 else "label:"
    return (
        f"{_short(value)} is not a name: names are identifiers, {form}, as metric keys and "
        f"files use them; keep the name a slug and put the words people read (any language) "
        f"in {where} beside it"
    )


def _locate(path: FieldPath, smap: dict[FieldPath, _Loc]) -> _Loc:
    """Where the deepest part of ``path`` present in the source map was written."""
    for n in range(len(path), -1, -1):
        loc = smap.get(path[:n])
        if loc is not None:
            return loc
    return _Loc("", None)  # pragma: no cover - the root is always in the map


def _get(data: Any, path: FieldPath) -> Any:
    for seg in path:
        if isinstance(data, dict) and isinstance(seg, str):
            data = data.get(seg)
        elif isinstance(data, list) and isinstance(seg, int) and 0 <= seg < len(data):
            data = data[seg]
        else:
            return None
    return data


def _split_rel(rel: str, node: Any) -> FieldPath:
    """A PathErrors path (``arrivals.0.channel``) as keys and indexes of ``node``."""
    out: list[Key] = []
    for seg in rel.split(".") if rel else []:
        key: Key = int(seg) if isinstance(node, list) and seg.isdigit() else seg
        out.append(key)
        node = _get(node, (key,))
    return tuple(out)


_NoneType = type(None)


def _unwrap(t: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` from a type."""
    while True:
        origin = get_origin(t)
        if origin is Annotated:
            t = get_args(t)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(t) if a is not _NoneType]
            if len(members) != 1:
                return t
            t = members[0]
        else:
            return t


def _is_model(t: Any) -> bool:
    return get_origin(t) is None and isinstance(t, type) and issubclass(t, BaseModel)


def _union_members(t: Any) -> list[Any]:
    if get_origin(t) in (Union, types.UnionType):
        return [_unwrap(a) for a in get_args(t) if a is not _NoneType]
    return []


def _tag_values(model: Any, field: str | None = None) -> list[str]:
    """The literal values of ``model``'s Literal fields (or of one of them)."""
    out: list[str] = []
    if _is_model(model):
        for name, info in model.model_fields.items():
            if (field is None or name == field) and get_origin(info.annotation) is Literal:
                out += [str(v) for v in get_args(info.annotation)]
    return out


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[FieldPath, Any]:
    """A pydantic ``loc`` as a user's field path, and the model type found at its end.

    Pydantic puts the tag of a discriminated union (``constant`` in
    ``staffing.groups.0.schedule.constant.agents``) and the member label of other unions
    into ``loc``; neither is in the user's file, so both are dropped. ``[key]`` (an error
    in a mapping key) is dropped too: the path then names the key itself.
    """
    t: Any = Scenario
    out: list[Key] = []
    for seg in loc:
        if seg == "[key]":
            continue
        t = _unwrap(t)
        members = _union_members(t)
        if members and isinstance(seg, str):
            tagged = [m for m in members if seg in _tag_values(m)]
            t = tagged[0] if tagged else None
            continue
        out.append(seg)
        t = _child_type(t, seg)
    return tuple(out), _unwrap(t)


def _child_type(t: Any, seg: Key) -> Any:
    try:
        if _is_model(t):
            info = t.model_fields.get(seg) if isinstance(seg, str) else None
            return None if info is None else info.annotation
        origin, args = get_origin(t), get_args(t)
        if origin in (list, tuple, set, frozenset) and args:
            return args[0]
        if origin is dict and len(args) == 2:
            return args[1]
    except Exception:  # pragma: no cover - an exotic annotation
        return None
    return None


def _union_tags(t: Any, disc: str) -> list[str]:
    return [tag for m in _union_members(_unwrap(t)) for tag in _tag_values(m, disc)]


def _unknown_field(key: str, model: Any) -> str:
    if not _is_model(model):
        return "unknown field"
    fields = list(model.model_fields)
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    if close:
        return f"unknown field; did you mean {close[0]!r}?"
    return f"unknown field; expected one of: {', '.join(fields)}"


# --------------------------------------------------------------------------- small helpers


def _dotted(path: FieldPath) -> str:
    """``path`` as ``a.b.0.c``, each key cut to :data:`SHOWN` characters."""
    return ".".join(_clip(str(s)) for s in path)


def _clip(text: str, limit: int = SHOWN) -> str:
    """``text`` cut to ``limit`` characters, the last an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: Any, limit: int = SHOWN) -> str:
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - e.g. an int too long to print
        text = f"<{type(value).__name__}>"
    return _clip(text, limit)


def _got(value: Any) -> str:
    if value is None or isinstance(value, str | int | float | bool):
        return f" (got {_short(value)})"
    return ""


def _describe(value: Any) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return f"a boolean ({value})"
        case int() | float():
            return f"a number ({_short(value)})"
        case str():
            return f"text ({_short(value)})"
        case list():
            return "a list"
        case dict():
            return "a mapping"
    return f"a {type(value).__name__} ({_short(value)})"


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class _ResolvedDumper(yaml.SafeDumper):
    """Safe dumper that writes lists of scalars on one line (``channels: [chat, phone]``)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(x, dict | list) for x in data)
    return dumper.represent_sequence(_SEQ, data, flow_style=flow)


_ResolvedDumper.add_representer(list, _represent_list)
# Quote text that either YAML 1.1 or the loader above would read as a number (``1e3``).
_ResolvedDumper.add_implicit_resolver(_TAG + "float", _FLOAT, list("-+0123456789."))
