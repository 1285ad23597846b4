"""Promotion mechanics: one module each, looked up by the promotion's ``kind``.

Each module of this package that defines ``MECHANIC`` (a :class:`Mechanic`) is a mechanic;
the registry imports them on first use. A mechanic's config model is the pydantic model
whose ``kind`` it carries: the built-in ones are in :mod:`sim.config`'s ``Promotion``
union; :func:`register` adds a mechanic whose model is not, and widens the union so that
scenarios of its ``kind`` load (a plug-in, or a test's toy mechanic).

Besides the lookup, the promotion's reasons are listed here (:func:`promotion_reasons`):
the rule questions every promotion may bring, then its mechanic's own.
"""

from __future__ import annotations

import functools
import importlib
import operator
import pkgutil
from typing import Annotated, Any, get_args

from pydantic import Field

from sim.config import ContactReason, Promotion, PromotionBase, Scenario
from sim.mechanics.base import Mechanic, OrderMargin, default_reason, seconds

__all__ = [
    "Mechanic",
    "OrderMargin",
    "kind_of",
    "mechanic_of",
    "mechanics",
    "promotion_reasons",
    "register",
    "seconds",
    "self_service",
    "unregister",
]

_MECHANICS: dict[str, Mechanic[Any]] = {}
_loaded = False
_BUILT_IN: tuple[type[PromotionBase], ...] = get_args(get_args(Promotion)[0])
"""The models of :mod:`sim.config`'s ``Promotion`` union, in its order."""
_ANNOTATION = Scenario.model_fields["promotion"].annotation
"""``Scenario.promotion``'s type as written, restored when no extra model is registered."""
_extra: list[type[PromotionBase]] = []


def kind_of(model: type[PromotionBase]) -> str:
    """The ``kind`` tag of a promotion model (its ``Literal`` value)."""
    (kind,) = get_args(model.model_fields["kind"].annotation)
    return str(kind)


def _load() -> None:
    """Import the package's mechanic modules once (lazily: they import sim.economics)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        mechanic = getattr(module, "MECHANIC", None)
        if mechanic is not None:
            _MECHANICS[kind_of(mechanic.model)] = mechanic


def mechanics() -> dict[str, Mechanic[Any]]:
    """Every mechanic, by kind."""
    _load()
    return dict(_MECHANICS)


def mechanic_of(promotion: PromotionBase) -> Mechanic[Any]:
    """The mechanic of a promotion (by its model's ``kind``).

    Raises:
        KeyError: No mechanic has that kind.
    """
    _load()
    kind = kind_of(type(promotion))
    try:
        return _MECHANICS[kind]
    except KeyError:
        raise KeyError(f"no promotion mechanic of kind {kind!r}") from None


def register(mechanic: Mechanic[Any]) -> None:
    """Add a mechanic; if its model is new, scenarios of its ``kind`` load from then on.

    The registry is per process: replications on a pool run in spawned workers, which know
    a plug-in's mechanic only if the module defining its model registers it when imported
    (unpickling the scenario imports that module).

    Raises:
        ValueError: A mechanic of that kind exists.
    """
    _load()
    kind = kind_of(mechanic.model)
    if kind in _MECHANICS:
        raise ValueError(f"a promotion mechanic of kind {kind!r} exists")
    _MECHANICS[kind] = mechanic
    if mechanic.model not in _BUILT_IN:
        _extra.append(mechanic.model)
        _set_union()


def unregister(kind: str) -> None:
    """Remove the mechanic of ``kind`` that :func:`register` added, and its model."""
    mechanic = _MECHANICS.pop(kind)
    if mechanic.model in _extra:
        _extra.remove(mechanic.model)
        _set_union()


def _set_union() -> None:
    """Rebuild ``Scenario.promotion`` as the union of the built-in and registered models."""
    field = Scenario.model_fields["promotion"]
    if _extra:
        members: Any = functools.reduce(operator.or_, (*_BUILT_IN, *_extra))
        field.annotation = Annotated[members, Field(discriminator="kind")] | None
    else:
        field.annotation = _ANNOTATION
    Scenario.model_rebuild(force=True)


def promotion_reasons(
    promotion: PromotionBase, channels: tuple[str, ...]
) -> list[tuple[str, ContactReason]]:
    """The contact reasons a promotion generates: ``(field, reason)``, defaults filled in.

    First the rule questions (any promotion with a ``rule_question_rate`` or a
    ``rule_question`` reason), then the mechanic's own reasons. A reason's
    ``rate_per_order`` is not used: each mechanic gives its own probability per order.
    Default timings and handle-time factors are docs/model.md#timing and #handling ([X]
    unless noted).
    """
    out: list[tuple[str, ContactReason]] = []
    if promotion.rule_question_rate > 0 or promotion.rule_question is not None:
        reason = promotion.rule_question
        if reason is None:
            reason = default_reason(
                "rule_question",
                channels,
                anchor="order",
                before_anchor=True,
                lag_hours={"dist": "exponential", "mean": 0.5},
                handle_time_factor=0.5,
                resolution_probability=0.95,
            )
        out.append(("rule_question", reason))
    return out + mechanic_of(promotion).reasons(promotion, channels)


def self_service(scenario: Scenario) -> bool:
    """Whether some of the promotion's issues may be settled by the buyer alone (one-click)."""
    promotion = scenario.promotion
    if promotion is None:
        return False
    mechanic = mechanic_of(promotion)
    return any(
        mechanic.self_service_share(scenario, promotion, field) > 0
        for field, _ in promotion_reasons(promotion, tuple(scenario.channels))
    )
