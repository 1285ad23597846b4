"""Labels: what people read for a name, in the console and the reports, in zh and en.

A zh run of the bundled scenario must show no identifier of a bundled reason, channel or
group that has a label: the console's tables and lines, and the report's visible text
(HTML text, figure names, titles, legends and hover texts) are scanned word by word.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim import catalog, labels
from sim.cli import app
from sim.loading import ScenarioError, load_scenario
from sim.mechanics import promotion_reasons
from tests.conftest import CONFIGS, tiny_scenario

runner = CliRunner()

BUNDLED = CONFIGS / "second_item_1yuan.yaml"


def bundled_names() -> dict[labels.Kind, set[str]]:
    """Every reason, channel, group and mechanic name the bundled scenarios use."""
    found: dict[labels.Kind, set[str]] = {"reason": set(), "channel": set(), "group": set()}
    found["mechanic"] = set()
    for path in sorted(CONFIGS.glob("*.yaml")):
        s = load_scenario(path, []).scenario
        found["channel"] |= set(s.channels)
        found["group"] |= {g.name for g in s.staffing.groups}
        found["reason"] |= {r.name for r in s.contact_reasons}
        found["reason"] |= {a.reason for a in s.arrivals}
        if s.presale is not None:
            found["reason"].add(s.presale.inquiry.name)
        if s.promotion is not None:
            found["mechanic"].add(s.promotion.kind)
            found["reason"] |= {r.name for _, r in promotion_reasons(s.promotion, ("chat",))}
    return found


def test_every_bundled_name_has_a_zh_label() -> None:
    for kind, names in bundled_names().items():
        for name in names:
            zh = labels.label(kind, name, "zh")
            assert zh != name, f"{kind} {name!r} has no built-in zh label"
            assert not re.search(r"[a-z]_[a-z]", zh), zh


def test_every_metric_has_a_zh_definition() -> None:
    assert set(catalog.DEFINITIONS_ZH) == {m.key for m in catalog.METRICS}


def identifiers() -> set[str]:
    """The identifiers a zh output must not show: bundled reasons, channels and groups."""
    names = bundled_names()
    return names["reason"] | names["channel"] | names["group"]


def hits(text: str, names: set[str]) -> dict[str, list[str]]:
    """Each identifier found as a word in ``text``, with a little context."""
    out: dict[str, list[str]] = {}
    for name in sorted(names):
        for m in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text):
            out.setdefault(name, []).append(text[max(0, m.start() - 40) : m.end() + 40])
    return out


VISIBLE_KEYS = {"name", "text", "title", "hovertemplate", "ticktext", "texttemplate"}
"""Keys of a plotly figure's JSON whose strings are shown (legends, titles, hover)."""


def _visible_strings(node: Any, shown: bool = False) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _visible_strings(v, shown or k in VISIBLE_KEYS)
    elif isinstance(node, list):
        for v in node:
            yield from _visible_strings(v, shown)
    elif isinstance(node, str) and shown:
        yield node


def visible_text(page: str) -> str:
    """A report's visible text: the HTML's text and the figures' shown strings."""
    parts: list[str] = []
    decoder = json.JSONDecoder()
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S):
        at = script.find("Plotly.newPlot(")
        if at < 0:
            continue  # plotly.js itself, the page's own code
        pos = script.index(",", at) + 1
        for _ in range(2):  # data, layout
            while script[pos] in " \n,":
                pos += 1
            value, pos = decoder.raw_decode(script, pos)
            parts.extend(_visible_strings(value))
    outside = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    parts.append(html.unescape(re.sub(r"<[^>]+>", " ", outside)))
    return "\n".join(parts)


OWN_PHONE = "热线电话"
"""The zh run's own label of its phone channel (over the built-in 电话)."""


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The bundled scenario run in zh (one replication): console output and folder."""
    out = tmp_path_factory.mktemp("zh") / "run"
    result = runner.invoke(
        app,
        [
            "run",
            str(BUNDLED),
            "--replications",
            "1",
            "--out",
            str(out),
            "--lang",
            "zh",
            "--set",
            f"channels.phone.label={OWN_PHONE}",
        ],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    return result.output, out


def test_zh_console_shows_labels_not_identifiers(zh_run: tuple[str, Path]) -> None:
    output, _ = zh_run
    assert "查物流" in output and "热线组" in output and "在线" in output
    assert OWN_PHONE in output and "┃ 电话 (" not in output  # the scenario's label wins
    # the folder's path is the user's own, not a label's place
    shown = "\n".join(line for line in output.splitlines() if str(zh_run[1]) not in line)
    assert hits(shown, identifiers()) == {}


def test_zh_report_shows_labels_not_identifiers(zh_run: tuple[str, Path]) -> None:
    _, folder = zh_run
    page = (folder / "report.html").read_text(encoding="utf-8")
    text = visible_text(page)
    assert "退差价" in text and "组长回电" in text and "指标释义" in text
    assert OWN_PHONE in text
    assert hits(text, identifiers()) == {}
    # the glossary in zh: a definition of the catalog's, in Chinese
    assert catalog.DEFINITIONS_ZH["fcr"] in text


def test_en_report_keeps_identifiers(zh_run: tuple[str, Path], tmp_path: Path) -> None:
    _, folder = zh_run
    target = tmp_path / "en.html"
    result = runner.invoke(app, ["report", str(folder), "--lang", "en", "--out", str(target)])
    assert result.exit_code == 0, result.output
    text = visible_text(target.read_text(encoding="utf-8"))
    assert "price_difference" in text and "热线组" not in text and "查物流" not in text


def test_user_label_overrides_builtin(tmp_path: Path) -> None:
    path = tmp_path / "own.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "extends": str(BUNDLED),
                "name": "own-labels",
                "label": "自家活动",
                "channels": {"chat": {"label": "千牛"}},
                "promotion": {
                    "label": "买一送一",
                    "price_difference": {"label": "补差价申请"},
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    loaded = load_scenario(path, [])
    s = loaded.scenario
    for lang in labels.LANGS:
        assert labels.label("channel", "chat", lang, s) == "千牛"
        assert labels.label("reason", "price_difference", lang, s) == "补差价申请"
        assert labels.label("mechanic", "second_item_discount", lang, s) == "买一送一"
        assert labels.label("scenario", "own-labels", lang, s) == "自家活动"
    # the resolved form a run folder keeps gives the same labels
    resolved = s.model_dump(mode="json")
    assert labels.label("channel", "chat", "zh", resolved) == "千牛"
    assert labels.label("channel", "phone", "zh", s) == "电话"  # built-in
    assert labels.label("channel", "phone", "en", s) == "phone"
    assert labels.label("reason", "no_such", "zh", s) == "no_such"  # no label: the name


def test_labels_leave_the_hash_alone(tmp_path: Path) -> None:
    """A label is a new field: a scenario without one keeps its config hash."""
    plain = load_scenario(BUNDLED, [])
    r = plain.resolved
    assert '"label": ""' not in json.dumps(r)
    assert "label" not in r and "label" not in r["channels"]["chat"]
    assert "label" not in r["promotion"] and "label" not in r["staffing"]["groups"][0]
    labelled = load_scenario(BUNDLED, ["channels.chat.label=千牛"])
    assert labelled.hash != plain.hash


def test_label_is_bounded() -> None:
    with pytest.raises(ScenarioError, match="at most 40 characters"):
        load_scenario(BUNDLED, ["channels.chat.label=" + "长" * 41])


@pytest.mark.parametrize(
    ("override", "where"),
    [
        ("contact_reasons.0.name=查物流", "label:"),
        ("name=双十一", "title: or label:"),
    ],
)
def test_chinese_name_gets_a_friendly_message(override: str, where: str) -> None:
    with pytest.raises(ScenarioError) as e:
        load_scenario(BUNDLED, [override])
    text = str(e.value)
    assert "is not a name: names are identifiers" in text
    assert where in text and "should match pattern" not in text


def test_chinese_name_in_a_file_is_told_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "zh.yaml"
    path.write_text(
        f"extends: {BUNDLED}\nname: zh-names\nchannels:\n  在线:\n"
        "    handle_time_seconds: {dist: exponential, mean: 100}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:3:" in result.output or f"{path}:4:" in result.output
    assert "label:" in result.output


def test_every_console_text_has_a_zh_translation() -> None:
    """Each text the console translates (``_t("…")`` in sim/cli.py) is in the zh table."""
    import ast

    from sim import cli, console_text

    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    texts = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_t"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert len(texts) > 40
    missing = [t for t in texts if t not in console_text.ZH]
    assert missing == []
    assert cli.ABSENT in console_text.ZH


def test_the_environment_sets_the_default_language(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_scenario(replications=2)), encoding="utf-8")
    args = ["run", str(path), "--out", str(tmp_path / "run"), "--workers", "1"]
    result = runner.invoke(app, args, env={"PROMOSIM_LANG": "zh", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "均值 ± 95% 置信区间" in result.output and "运行目录" in result.output
    assert 'lang="zh-CN"' in (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    # --lang wins over the environment
    args = ["run", str(path), "--out", str(tmp_path / "en"), "--workers", "1", "--lang", "en"]
    result = runner.invoke(app, args, env={"PROMOSIM_LANG": "zh", "COLUMNS": "200"})
    assert result.exit_code == 0 and "mean ± 95% CI" in result.output
    result = runner.invoke(app, args[:-2], env={"PROMOSIM_LANG": "fr"})
    assert result.exit_code == 2 and "PROMOSIM_LANG" in result.output


def test_zh_brief_shows_labels_not_identifiers(zh_run: tuple[str, Path]) -> None:
    """The negotiation brief of the same zh run: labels in its views and question."""
    from sim.report.brief import build_brief

    _, folder = zh_run
    text = visible_text(build_brief(folder, "zh", sensitivity=None))
    assert "查物流" in text and "谈判简报" in text
    assert hits(text, identifiers()) == {}


def test_runs_and_show_speak_zh(zh_run: tuple[str, Path], tmp_path: Path) -> None:
    import shutil

    _, folder = zh_run
    root = tmp_path / "outputs"
    shutil.copytree(folder, root / "second-item-1-yuan" / folder.name)
    listed = runner.invoke(
        app, ["runs", "--root", str(root), "--lang", "zh"], env={"COLUMNS": "200"}
    )
    assert listed.exit_code == 0, listed.output
    assert "运行文件夹" in listed.output and "促销净影响" in listed.output
    assert "means over replications" not in listed.output
    shown = runner.invoke(app, ["show", str(folder), "--lang", "zh"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "主要指标" in shown.output and "Headline" not in shown.output
    assert hits(shown.output.split("主要指标", 1)[1], identifiers()) == {}
