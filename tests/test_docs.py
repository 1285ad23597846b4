"""The documentation: generated pages current, links resolving, no citation leaving the repo.

Regenerate ``docs/metrics.md`` after changing the metric catalog (:mod:`sim.catalog`):

    PROMOSIM_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from sim.catalog import METRICS
from sim.docs import metrics_page
from tests.conftest import ROOT

DOCS = ROOT / "docs"
METRICS_PAGE = DOCS / "metrics.md"
README = ROOT / "README.md"
CHANGELOG = ROOT / "CHANGELOG.md"
REGENERATE = "PROMOSIM_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py"

# Built from pieces so that this file does not cite what it forbids.
_SECTION = "\N{SECTION SIGN}"
FORBIDDEN = re.compile(
    "|".join(
        (
            "shared" + "/",
            "DESIGN" + r"\s*" + _SECTION,
            "DESIGN" + r"\.md",
            "domain" + r"[- ]model",
            "issue" + r"\s*#?\d",
        )
    ),
    re.IGNORECASE,
)
"""Citations of notes outside the repository: the shared design folder, its design
document's sections, the parameter research's file and sections, issue numbers."""

SEARCHED = ("sim", "tests", "benchmarks", "configs", "docs", "README.md", "CHANGELOG.md")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".csv", ".cfg"}


def _text_files(root: Path, entries: Iterable[str]) -> Iterator[Path]:
    for entry in entries:
        path = root / entry
        if path.is_file():
            yield path
        elif path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts:
                    yield p


def citation_hits(root: Path, entries: Iterable[str] = SEARCHED) -> list[str]:
    """Every ``file:line: text`` under ``root`` that cites something outside the repository."""
    hits = []
    for path in _text_files(root, entries):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                hits.append(f"{path.relative_to(root)}:{n}: {line.strip()[:120]}")
    return hits


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces → -."""
    text = heading.strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in ("L", "N", "M"))
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of a Markdown text's headings (outside code blocks), as GitHub makes them."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and not fenced:
            base = slug(m.group(1).replace("`", ""))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def broken_links(files: Iterable[Path]) -> list[str]:
    """Relative links (and their anchors) of Markdown files that point nowhere."""
    bad = []
    for md in files:
        text = md.read_text(encoding="utf-8")
        outside_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        for target in LINK.findall(outside_code):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            dest = (md.parent / file_part).resolve() if file_part else md
            if not dest.exists():
                bad.append(f"{md.name}: {target}: no such file")
            elif anchor and dest.suffix == ".md":
                if anchor not in anchors(dest.read_text(encoding="utf-8")):
                    bad.append(f"{md.name}: {target}: no such heading")
    return bad


def _markdown_files() -> list[Path]:
    return [README, CHANGELOG, *sorted(DOCS.glob("*.md"))]


# --------------------------------------------------------------------------- tests


def test_metrics_page_is_generated_from_the_catalog() -> None:
    want = metrics_page()
    if os.environ.get("PROMOSIM_UPDATE_DOCS"):
        METRICS_PAGE.write_text(want, encoding="utf-8")
    got = METRICS_PAGE.read_text(encoding="utf-8") if METRICS_PAGE.exists() else ""
    assert got == want, f"docs/metrics.md is out of date; regenerate it with: {REGENERATE}"


def test_metrics_page_lists_every_catalog_metric_with_its_labels_and_unit() -> None:
    rows = {k[1]: ln for ln in metrics_page().splitlines() if (k := re.match(r"\| `([^`]+)`", ln))}
    for m in METRICS:
        row = rows[m.key]
        assert f"| {m.en} · {m.zh} | {m.view} | {m.unit} |" in row, m.key
        assert row.endswith(f"| {m.definition.replace('|', chr(92) + '|')} |"), m.key
    assert rows["asa_seconds"].split(" | ")[3:5] == ["seconds", "answered contacts"]


def test_no_citation_outside_repository() -> None:
    hits = citation_hits(ROOT)
    assert not hits, "cite docs/ instead of notes outside the repository:\n" + "\n".join(hits)


def test_the_citation_check_catches_each_pattern(tmp_path: Path) -> None:
    planted = [
        "see ../" + "shared" + "/notes",
        "as in DESIGN " + _SECTION + "2",
        "domain" + " model " + _SECTION + "5.2",
        "domain" + "-model.md",
        "fixed in Issue" + " 12",
    ]
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "x.py").write_text("\n".join(planted) + "\nclean line\n", "utf-8")
    hits = citation_hits(tmp_path)
    assert [h.split(":")[1] for h in hits] == ["1", "2", "3", "4", "5"]


def test_relative_links_point_to_existing_files_and_headings() -> None:
    files = _markdown_files()
    assert all(f.exists() for f in files), [str(f) for f in files if not f.exists()]
    bad = broken_links(files)
    assert not bad, "\n".join(bad)


def test_the_link_check_catches_a_missing_file_or_heading(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Title\n\n## Satisfaction and reviews\n", "utf-8")
    md = tmp_path / "a.md"
    md.write_text(
        "[ok](b.md#satisfaction-and-reviews) [ok](b.md) [web](https://example.com/x)\n"
        "[gone](c.md) [bad anchor](b.md#nothing)\n```\n[in code](d.md)\n```\n",
        "utf-8",
    )
    assert broken_links([md]) == [
        "a.md: c.md: no such file",
        "a.md: b.md#nothing: no such heading",
    ]


CITATION = re.compile(r"docs/([a-z_]+\.md)(#[a-z0-9-]+)?")


@pytest.mark.parametrize("entry", ["sim", "tests", "benchmarks", "configs"])
def test_citations_into_docs_resolve(entry: str) -> None:
    bad = []
    for path in _text_files(ROOT, [entry]):
        if path == Path(__file__):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for page, anchor in CITATION.findall(line):
                target = DOCS / page
                if not target.exists():
                    bad.append(f"{path.relative_to(ROOT)}:{n}: docs/{page}: no such page")
                elif anchor and anchor[1:] not in anchors(target.read_text(encoding="utf-8")):
                    bad.append(f"{path.relative_to(ROOT)}:{n}: docs/{page}{anchor}: no heading")
    assert not bad, "\n".join(bad)


def test_scenario_comments_cite_sections_of_the_model_page() -> None:
    # a bundled file's grades and "#timing"-style references are docs/model.md's sections
    model = anchors((DOCS / "model.md").read_text(encoding="utf-8"))
    bad = []
    for path in sorted((ROOT / "configs").rglob("*.yaml")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            _, sep, comment = line.partition("#")
            if not sep or comment.startswith(" yaml-language-server"):
                continue
            for ref in re.findall(r"(?:^|[\s(,])#([a-z][a-z0-9-]*)", comment):
                if ref not in model:
                    bad.append(f"{path.relative_to(ROOT)}:{n}: #{ref}")
    assert not bad, "not a section of docs/model.md:\n" + "\n".join(bad)


def test_readme_is_short_and_keeps_the_commands_ci_runs() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into docs/"
    runs = [ln for ln in lines if re.match(r"python3 -m venv \.venv && .*pytest", ln)]
    assert runs == [
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/pytest"
    ]
    assert "apt-get update && apt-get install -y chromium fonts-noto-cjk" in lines
