"""The named uniform layout: every column and row has one place, none shared by two names."""

from __future__ import annotations

import sim.uniforms as uniforms


def _named(prefix: str) -> dict[str, int]:
    return {
        name: value
        for name, value in vars(uniforms).items()
        if name.startswith(prefix) and isinstance(value, int)
    }


def test_the_decision_columns_are_each_of_the_decisions_once() -> None:
    columns = _named("U_")
    assert sorted(columns.values()) == list(range(uniforms.DECISIONS))


def test_each_layout_s_rows_come_once_each_then_the_decisions() -> None:
    for prefix, rows, first_decision in (
        ("DIRECT_", uniforms.DIRECT_ROWS, uniforms.DIRECT_DECISIONS),
        ("FOLLOW_", uniforms.FOLLOW_ROWS, uniforms.FOLLOW_DECISIONS),
        ("ORDER_", uniforms.ORDER_ROWS, uniforms.ORDER_ROWS),  # decisions drawn apart
        ("FIRST_", uniforms.FIRST_ROWS, uniforms.FIRST_DECISIONS),
    ):
        named = _named(prefix)
        del named[f"{prefix}ROWS"]
        named.pop("FIRST_DRAW", None)  # where the rows start, not a row
        named.pop(f"{prefix}DECISIONS", None)
        named.pop("FOLLOW_CHANNEL", None)  # a decision column, named for what it also picks
        assert sorted(named.values()) == list(range(first_decision)), prefix
        assert rows == first_decision + (uniforms.DECISIONS if prefix != "ORDER_" else 0)
    assert uniforms.FOLLOW_CHANNEL == uniforms.FOLLOW_DECISIONS + uniforms.U_SWITCH
    # a reason's first-contact rows start at FIRST_DRAW | key << 8: they fit below the next key
    assert uniforms.FIRST_ROWS <= 1 << 8
