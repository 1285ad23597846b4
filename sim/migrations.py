"""Scenario file format versions (``schema_version``) and the migrations between them.

A scenario file names its format with ``schema_version``. A file without one is read as the
current format: every file written for a release carries or defaults to it, so existing
files never get a notice. Older formats must say so (``schema_version: 0``); a file newer
than this release is an error rather than a guess.

Each :class:`Migration` upgrades one version to the next, in place, on the mapping of one
file *as written* (before ``extends`` is merged): plain dicts from the loader or ruamel's
round-trip mappings for ``promosim migrate``. A migration must therefore be local — it may
not need the parent file's values — which renames are. Keys keep their position, and in a
round-trip mapping their comments. Nothing here reads, writes or prints.

Version 0 is the pre-release draft format. No field of the scenario models was ever renamed
in this repository (``git log -p -- sim/config.py configs/`` shows fields only added, and
``schema_version: 1`` from the first commit), so v0 is defined by the draft vocabulary of the
parameter research (docs/model.md) that the bundled files still cite in comments:
``concurrency_cap`` for a channel's ``concurrency`` and ``arrival_overdispersion`` for
``orders.overdispersion_shape``. Draft files plausibly used those names; the v0→v1
migration renames them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sim.config import SCHEMA_VERSION

__all__ = [
    "CURRENT",
    "MIGRATIONS",
    "OLDEST",
    "Change",
    "Conflict",
    "Migration",
    "Upgrade",
    "VersionError",
    "file_version",
    "rename_key",
    "upgrade",
]

CURRENT = SCHEMA_VERSION
"""The format this release reads and writes."""
OLDEST = 0
"""The oldest format that can still be upgraded."""

Key = str | int
FieldPath = tuple[Key, ...]


class VersionError(ValueError):
    """A ``schema_version`` that is not a version this release can read."""


@dataclass(frozen=True)
class Change:
    """One edit made by a migration: the field at ``old`` is now at ``new``."""

    old: FieldPath
    new: FieldPath
    message: str
    """What changed, for the user (``renamed to concurrency``)."""


@dataclass(frozen=True)
class Conflict:
    """An edit a migration could not make (the new name is taken too)."""

    path: FieldPath
    message: str


class Migration(NamedTuple):
    """Upgrades a file of version ``source`` to ``source + 1``, in place."""

    source: int
    summary: str
    apply: Callable[[MutableMapping[str, Any]], tuple[list[Change], list[Conflict]]]


@dataclass(frozen=True)
class Upgrade:
    """What :func:`upgrade` did to one file."""

    source: int
    """The version the file was written in."""
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]

    @property
    def needed(self) -> bool:
        """Whether the file is older than :data:`CURRENT` (and so was changed)."""
        return self.source < CURRENT


def file_version(doc: Mapping[str, Any]) -> int:
    """The file's ``schema_version``; :data:`CURRENT` when it has none.

    Raises:
        VersionError: Not a whole number, older than :data:`OLDEST` or newer than
            :data:`CURRENT`.
    """
    if "schema_version" not in doc:
        return CURRENT
    value = doc["schema_version"]
    supported = f"this promosim reads schema_version {OLDEST} to {CURRENT}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise VersionError(f"must be a whole number, the file format version ({supported})")
    if value > CURRENT:
        raise VersionError(
            f"{value} is newer than this promosim supports ({supported}); upgrade promosim"
        )
    if value < OLDEST:
        raise VersionError(f"unknown version {value} ({supported})")
    return value


def upgrade(doc: MutableMapping[str, Any]) -> Upgrade:
    """Upgrade one file's mapping to :data:`CURRENT`, in place.

    Every migration from the file's version on runs in turn, each setting
    ``schema_version`` to the version it produces. When a migration finds conflicts the
    later ones are not run (the file is left part-way, and must not be used).

    Raises:
        VersionError: See :func:`file_version`.
    """
    source = file_version(doc)
    changes: list[Change] = []
    for migration in MIGRATIONS:
        if migration.source < source:
            continue
        done, conflicts = migration.apply(doc)
        changes += done
        if conflicts:
            return Upgrade(source, tuple(changes), tuple(conflicts))
        doc["schema_version"] = migration.source + 1
    return Upgrade(source, tuple(changes), ())


def rename_key(mapping: MutableMapping[str, Any], old: str, new: str) -> None:
    """Rename ``old`` to ``new`` in place, keeping its position among the keys.

    The keys after it are taken out and put back in order, so a ruamel round-trip mapping
    keeps its per-key comments (stored beside the mapping, not in the removed entries);
    the renamed key's own comment moves with it.
    """
    items = list(mapping.items())
    at = [k for k, _ in items].index(old)
    comments = getattr(getattr(mapping, "ca", None), "items", None)
    for key, _ in items[at:]:
        del mapping[key]
    for key, value in items[at:]:
        mapping[new if key == old else key] = value
    if isinstance(comments, dict) and old in comments:
        comments[new] = comments.pop(old)


def _mappings(doc: Mapping[str, Any], pattern: FieldPath) -> Iterator[tuple[FieldPath, Any]]:
    """The mappings at ``pattern`` (``"*"`` matches every key of a mapping), with paths."""
    found: list[tuple[FieldPath, Any]] = [((), doc)]
    for seg in pattern:
        nxt: list[tuple[FieldPath, Any]] = []
        for path, node in found:
            if not isinstance(node, Mapping):
                continue
            keys = list(node) if seg == "*" else [seg] if seg in node else []
            nxt += [((*path, k), node[k]) for k in keys]
        found = nxt
    yield from ((p, n) for p, n in found if isinstance(n, MutableMapping))


def _renames(
    renames: tuple[tuple[FieldPath, str, str], ...],
) -> Callable[[MutableMapping[str, Any]], tuple[list[Change], list[Conflict]]]:
    """A migration step that renames keys: ``(parent pattern, old name, new name)``."""

    def apply(doc: MutableMapping[str, Any]) -> tuple[list[Change], list[Conflict]]:
        changes: list[Change] = []
        conflicts: list[Conflict] = []
        for pattern, old, new in renames:
            for path, mapping in list(_mappings(doc, pattern)):
                if old not in mapping:
                    continue
                if new in mapping:
                    conflicts.append(
                        Conflict(
                            (*path, old),
                            f"the old name of {new!r}, which is given too; keep only {new!r}",
                        )
                    )
                    continue
                rename_key(mapping, old, new)
                changes.append(Change((*path, old), (*path, new), f"renamed to {new}"))
        return changes, conflicts

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        0,
        "draft field names of the parameter research renamed to the released ones",
        _renames(
            (
                (("channels", "*"), "concurrency_cap", "concurrency"),
                (("orders",), "arrival_overdispersion", "overdispersion_shape"),
            )
        ),
    ),
)
"""Every migration, oldest first: ``MIGRATIONS[i]`` upgrades version ``i``."""
