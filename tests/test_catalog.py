"""The metric catalog: every metric a run writes has one entry, and its words live nowhere else."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

from sim import catalog
from sim.catalog import CATALOG, DISPLAYS, METRICS, VIEW_ROWS, Format, display_key, lookup
from sim.config import Scenario
from sim.docs import metrics_page
from sim.experiment import run_scenario
from sim.metrics import CSAT_DRIVERS, GLOSSARY
from tests.conftest import ROOT
from tests.test_cli import promo_scenario

GOLDEN = ROOT / "tests" / "golden"
BLOCKS = ("metrics", "baseline", "effect")

ONLY_SOMETIMES = {
    "break_even_miss_rate",
    "margin_recovered_per_agent_hour_yuan",
    "break_hours",
    "group.<group>.break_hours",
}
"""Catalog metrics no bundled scenario's run writes: the break-even miss rate is absent
outside [0, 1] (it is, in all eight); the margin recovered per agent-hour is compare's,
between arms; break hours need ``staffing.shrinkage`` (tests/test_shrinkage.py)."""


def _golden_summaries() -> Iterator[tuple[str, dict[str, object]]]:
    for path in sorted(GOLDEN.glob("*/summary.json")):
        yield path.parent.name, json.loads(path.read_text(encoding="utf-8"))


def test_every_summary_key_of_the_bundled_scenarios_is_in_the_catalog_and_back() -> None:
    seen: set[str] = set()
    for name, summary in _golden_summaries():
        for block in BLOCKS:
            for key in summary.get(block) or {}:  # type: ignore[attr-defined]
                m = lookup(key)
                assert m is not None, f"{name}: {block}.{key} has no catalog entry"
                seen.add(m.key)
        # the glossary a run writes is the catalog's text, word for word
        glossary = summary["glossary"]
        assert isinstance(glossary, dict)
        assert glossary.pop(catalog.ALL_CHANNELS) == catalog.ALL_CHANNELS_DEFINITION, name
        assert glossary == {k: v for k, v in GLOSSARY.items() if k in glossary}, name
    assert len(seen) > 50
    unused = {m.key for m in METRICS} - seen - ONLY_SOMETIMES
    assert not unused, f"catalog entries no bundled scenario writes: {sorted(unused)}"


def test_every_key_of_a_fresh_run_is_in_the_catalog() -> None:
    # not the golden files: a metric added to the tally shows up here before they are renewed
    data = promo_scenario()
    data["replications"] = 2
    result = run_scenario(Scenario.model_validate(data))
    blocks = [result.summary, result.baseline_summary, result.effect_summary]
    keys = {k for block in blocks for k in block or {}}
    assert "net_impact_yuan" in keys and "phone.asa_seconds" in keys
    assert [k for k in sorted(keys) if lookup(k) is None] == []


def test_glossary_is_the_catalog_in_its_order() -> None:
    assert GLOSSARY is catalog.GLOSSARY
    assert list(GLOSSARY) == [m.key for m in METRICS]
    assert len(CATALOG) == len(METRICS)  # no key twice


def test_every_metric_has_labels_a_unit_and_a_format_that_agree() -> None:
    formats = set(get_args(Format))
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for m in METRICS:
        assert m.en and m.zh and m.en != m.zh and cjk.search(m.zh), m.key
        assert m.definition and m.unit and m.fmt in formats and m.view in catalog.VIEWS, m.key
        if m.unit == "yuan (¥)":
            assert m.fmt in ("yuan", "yuan_cents") and m.key.endswith("_yuan"), m.key
        if m.unit in ("ratio", "probability"):
            assert m.fmt == "share", m.key
            assert m.denominator or m.key == "break_even_miss_rate", m.key  # a rate it solves
        if m.unit in ("seconds", "hours"):
            assert m.key.endswith(f"_{m.unit}") and m.fmt == "decimal", m.key
        if m.unit == "count":
            assert m.fmt == "count" and not m.denominator, m.key
    assert set(catalog.DRIVER_LABELS) == set(CSAT_DRIVERS)


def test_every_display_shows_catalog_metrics_in_their_view() -> None:
    for name, keys in DISPLAYS.items():
        assert len(set(keys)) == len(keys), name
        for key in keys:
            assert display_key(key) in CATALOG, (name, key)
    for view, keys in VIEW_ROWS.items():
        for key in keys:
            assert CATALOG[display_key(key)].view == view, (view, key)
    assert [m.key for m in METRICS if m.headline][:3] == [
        "abandon_rate",
        "service_level",
        "occupancy",
    ]
    assert lookup("effect.group.agents.occupancy") is CATALOG["group.<group>.occupancy"]
    assert catalog.fmt_of("not_a_metric") == "count" and catalog.label("x.y") == "x.y"


def test_expand_fills_in_channels_groups_and_reasons() -> None:
    keys = ("contacts.<reason>", "<channel>.service_level", "<channel>.asa_seconds", "fcr")
    got = catalog.expand(keys, ["phone"], ["tier2"], ["wismo", "refund"])
    assert got == [
        ("contacts.wismo", "wismo"),
        ("contacts.refund", "refund"),
        ("phone.service_level", "phone"),
        ("phone.asa_seconds", "phone"),
        ("all.service_level", "all"),
        ("all.asa_seconds", "all"),
        ("fcr", ""),
    ]
    assert catalog.expand(("group.<group>.occupancy",), [], ["a", "b"], []) == [
        ("group.a.occupancy", "a"),
        ("group.b.occupancy", "b"),
    ]


# --------------------------------------------------------------------------- one home

FORMATS = set(get_args(Format)) | {"seconds"}  # "seconds": the console's old name for decimal


def _strings(node: ast.AST) -> list[str]:
    """The text of a string constant, or the literal pieces of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        ]
    return []


def _is_metric_key(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and lookup(node.value) is not None
    )


def _labels() -> dict[str, str]:
    """Label texts that can only be a metric's label (not also a key or a plain word)."""
    out: dict[str, str] = {}
    for m in METRICS:
        out[m.zh] = m.key
        for en in (m.en, catalog.capital(m.en)):
            if not en.isidentifier():  # "orders" is also a key: caught as a row or dict instead
                out[en] = m.key
    return out


def _wordy(text: str) -> bool:
    """A text that reads as words (a label, a definition, a format), not a key or operator."""
    return text in FORMATS or " " in text.strip() or bool(re.search(r"[\u4e00-\u9fff]", text))


def label_definitions(root: Path) -> list[str]:
    """Every place under ``root/sim`` outside ``sim/catalog.py`` that defines metric words.

    Found: a string (or f-string piece) that is a metric's label or definition; a dict
    literal mapping a metric key to a text or to ``{"en": …, "zh": …}``; a tuple literal
    ``(key, label, format)`` naming a metric and a print format.
    """
    labels = _labels()
    definitions = {m.definition: m.key for m in METRICS}
    hits: list[str] = []
    for path in sorted((root / "sim").rglob("*.py")):
        if path.name == "catalog.py" and path.parent.name == "sim":
            continue
        where = path.relative_to(root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
        }
        pieces = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if id(node) in docstrings or id(node) in pieces:
                continue
            line = getattr(node, "lineno", 0)
            for text in _strings(node):
                piece = text.strip()
                if piece in labels:
                    hits.append(f"{where}:{line}: label of {labels[piece]}: {piece!r}")
                elif piece in definitions:
                    hits.append(f"{where}:{line}: definition of {definitions[piece]}")
            if isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values, strict=True):
                    if k is None or not _is_metric_key(k):
                        continue
                    texts = (
                        isinstance(v, ast.Constant) and isinstance(v.value, str) and _wordy(v.value)
                    )
                    langs = isinstance(v, ast.Dict) and any(
                        isinstance(x, ast.Constant) and x.value in ("en", "zh") for x in v.keys
                    )
                    if texts or langs:
                        hits.append(f"{where}:{node.lineno}: dict of metric words")
                        break
            if isinstance(node, ast.Tuple) and node.elts and _is_metric_key(node.elts[0]):
                rest = [e.value for e in node.elts[1:] if isinstance(e, ast.Constant)]
                if any(isinstance(x, str) and x in FORMATS for x in rest) and len(rest) >= 2:
                    hits.append(f"{where}:{node.lineno}: (key, label, format) row")
    return sorted(hits, key=lambda h: (h.split(":")[0], int(h.split(":")[1])))


def test_metric_words_are_defined_in_the_catalog_only() -> None:
    hits = label_definitions(ROOT)
    assert not hits, "define metric words in sim/catalog.py:\n" + "\n".join(hits)


def test_the_one_home_check_finds_each_kind_of_second_list(tmp_path: Path) -> None:
    planted = [
        'HEADLINE = (("offered", "offered", "count"),)',
        'LABELS = {"service_level": {"en": "Service level", "zh": "服务水平"}}',
        'kinds = {"asa_seconds": "seconds", "service_level": ">="}',
        'row = f"{c} abandon rate"',
        'GLOSSARY = {"x": "abandoned ÷ offered"}',
        'title = "平均应答时长（秒）"',
        '"""A docstring may say service level."""',
    ]
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "x.py").write_text(planted[-1] + "\n" + "\n".join(planted[:-1]) + "\n")
    (tmp_path / "sim" / "catalog.py").write_text("\n".join(planted) + "\n")  # the one home
    hits = label_definitions(tmp_path)
    for want in (
        "sim/x.py:2: (key, label, format) row",
        "sim/x.py:3: dict of metric words",
        "sim/x.py:4: dict of metric words",
        "sim/x.py:5: label of abandon_rate: 'abandon rate'",
        "sim/x.py:6: definition of abandon_rate",
        "sim/x.py:7: label of asa_seconds: '平均应答时长（秒）'",
    ):
        assert want in hits, (want, hits)
    assert {int(h.split(":")[1]) for h in hits} == {2, 3, 4, 5, 6, 7}  # not the docstring


def test_the_docs_page_is_the_catalog() -> None:
    page = ROOT / "docs" / "metrics.md"
    assert page.read_text(encoding="utf-8") == metrics_page(), (
        "docs/metrics.md is out of date; regenerate it with: "
        "PROMOSIM_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py"
    )
    for m in METRICS:
        assert f"| `{m.key}`" in metrics_page(), m.key


def metric_tables(text: str) -> list[str]:
    """Rows of Markdown tables headed ``metric`` whose first cell is a catalog key."""
    rows, header = [], ""
    for line in text.splitlines():
        if not line.startswith("|"):
            header = ""
            continue
        header = header or line
        key = re.match(r"\| `([^`]+)`", line)
        if re.match(r"\|\s*metric\s*\|", header) and key and lookup(key[1]) is not None:
            rows.append(key[1])
    return rows


def test_no_other_page_lists_metrics() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = {p.name: metric_tables(p.read_text(encoding="utf-8")) for p in pages}
    assert len(found.pop("metrics.md")) == len(METRICS)
    assert not any(found.values()), f"link to docs/metrics.md instead: {found}"
    assert metric_tables("| metric | x |\n| --- | --- |\n| `asa_seconds` | y |\n") == [
        "asa_seconds"
    ]
