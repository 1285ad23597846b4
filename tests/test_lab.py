"""The mechanic lab: variants of one deal on common random numbers, ranked with paired CIs."""

from __future__ import annotations

import csv
import itertools
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from sim import commands
from sim.cli import app
from sim.lab import BREACH_DAYS, RANK_METRIC, SHORT_HOURS, builtin_variants, parse_variant
from sim.loading import load_scenario, load_text
from tests.conftest import CONFIGS
from tests.test_cli import promo_scenario, write

runner = CliRunner()


def _paired_ci(a: list[float], b: list[float]) -> tuple[float, float]:
    d = np.array(a) - np.array(b)
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return float(d.mean() - half), float(d.mean() + half)


def test_a_second_item_deal_gets_five_variants_and_the_users_own() -> None:
    s = load_scenario(CONFIGS / "second_item_1yuan.yaml").scenario
    names = [v.name for v in builtin_variants(s)]
    assert names == [
        "as-written",
        "auto-apply",
        "checkout-nudge",
        "makeup-link",
        "clear-rules",
        "bot-faq",
    ]
    auto = load_scenario(CONFIGS / "second_item_1yuan_autoapply.yaml").scenario
    assert "auto-apply" not in [v.name for v in builtin_variants(auto)]  # already so
    mine = parse_variant(
        "big-nudge: promotion.checkout_nudge=true; promotion.checkout_nudge_factor=0.2"
    )
    assert mine.name == "big-nudge" and len(mine.sets) == 2
    for bad in ("no colon", "Bad: a=1", "x: no-equals"):
        with pytest.raises(ValueError):
            parse_variant(bad)
    plain = load_text(yaml.safe_dump({**promo_scenario(), "promotion": None})).scenario
    with pytest.raises(ValueError, match="has none"):
        builtin_variants(plain)


def test_the_ranking_marks_exactly_the_gaps_whose_paired_ci_excludes_zero(
    tmp_path: Path,
) -> None:
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    mine = "double-rules: promotion.rule_question_rate=0.1"
    lab = commands.lab(
        scenario,
        ["replications=5"],
        [mine],
        out=commands.Out(tmp_path / "lab"),
        options=commands.Options(workers=1),
    ).result
    ranking = lab.ranking
    assert [r.rank for r in ranking] == list(range(1, len(ranking) + 1))
    assert {r.arm for r in ranking} == {v.name for v in lab.variants}
    assert "double-rules" in {r.arm for r in ranking}
    runs = lab.comparison.runs
    means = [r.figures[RANK_METRIC][0] for r in ranking]
    assert means == sorted(means, reverse=True)
    for upper, lower in itertools.pairwise(ranking):
        a = [m.overall[RANK_METRIC] for m in runs[upper.arm]]
        b = [m.overall[RANK_METRIC] for m in runs[lower.arm]]
        gap = upper.gap_to_next
        assert gap is not None
        lo, hi = _paired_ci(a, b)
        assert gap[1] == pytest.approx(lo) and gap[2] == pytest.approx(hi)
        assert gap[3] == (lo > 0 or hi < 0)
    assert ranking[-1].gap_to_next is None


@pytest.mark.slow
def test_the_lab_ranks_the_bundled_deal_s_variants_with_paired_cis(tmp_path: Path) -> None:
    """The command a manager types, shortened: five variants and more, paired, marked."""
    out = tmp_path / "lab"
    args = [
        "lab",
        str(CONFIGS / "second_item_1yuan.yaml"),
        "--replications",
        "4",
        "--set",
        "calendar.start=2026-11-09T00:00:00",
        "--set",
        "calendar.days=4",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with (out / "lab.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ranked = [r for r in rows if r["metric"] == RANK_METRIC]
    assert len(ranked) >= 6  # as-written and five variants
    assert {r["metric"] for r in rows} >= {
        RANK_METRIC,
        "contacts",
        "lost_orders",
        SHORT_HOURS,
        BREACH_DAYS,
    }
    short = {r["arm"]: float(r["mean"]) for r in rows if r["metric"] == SHORT_HOURS}
    assert all(v >= 0 for v in short.values())
    # the bot answers rule questions the agents would: less short than as written
    assert short["bot-faq"] < short["as-written"]
    assert "short agent-hours" in result.output
    for r in ranked[:-1]:
        lo, hi = float(r["gap_ci95_lo"]), float(r["gap_ci95_hi"])
        assert r["gap_significant"] == str(int(lo > 0 or hi < 0))
    others = [r for r in ranked if r["arm"] != "as-written"]
    assert all(r["diff_ci95_lo"] and r["diff_ci95_hi"] for r in others)
    # common random numbers: the paired CI of a difference is far tighter than the arms'
    bot = next(r for r in others if r["arm"] == "bot-faq")
    half_paired = (float(bot["diff_ci95_hi"]) - float(bot["diff_ci95_lo"])) / 2
    half_arm = (float(bot["ci95_hi"]) - float(bot["ci95_lo"])) / 2
    assert half_paired < half_arm / 3
    assert (out / "comparison.csv").exists() and (out / "report.html").exists()
    # the report marks a gap significant exactly where lab.csv's paired CI excludes 0
    page = (out / "report.html").read_text(encoding="utf-8")
    table = page[page.index('id="lab-ranking"') :]
    table = table[: table.index("</table>")]
    gaps = re.findall(r'<td class="num lab-gap">([^<]*)</td>', table)
    assert len(gaps) == len(ranked) and gaps[-1] == "–"
    for r, cell in zip(ranked, gaps, strict=True):
        assert cell.endswith(" *") == (r["gap_significant"] == "1"), (r["arm"], cell)


def test_unknown_mechanics_are_bad_input(tmp_path: Path) -> None:
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    result = runner.invoke(app, ["lab", str(scenario), "--mechanics", "auto-apply,teleport"])
    assert result.exit_code == 2
    assert "unknown variant(s) teleport" in result.output
    result = runner.invoke(app, ["lab", str(scenario), "--variant", "auto-apply: seed=3"])
    assert result.exit_code == 2 and "taken" in result.output


def test_a_bad_target_is_bad_input(tmp_path: Path) -> None:
    args = ["lab", str(CONFIGS / "second_item_1yuan.yaml"), "--target", "fax.service_level>=0.8"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "lab")])
    assert result.exit_code == 2
    assert "fax" in result.output
    assert not (tmp_path / "lab").exists()


def test_a_warning_of_the_scenario_is_told_once_not_once_per_variant(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from sim.cli import app
    from tests.test_cli import promo_scenario

    data: dict[str, Any] = promo_scenario()
    data["promotion"]["order_uplift"] = 50  # meant +50%: a plausibility warning
    scenario = tmp_path / "promo.yaml"
    scenario.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["lab", str(scenario), "--replications", "2", "--workers", "1", "--quiet", "--out",
         str(tmp_path / "lab")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    warned = [ln for ln in result.output.splitlines() if "order_uplift" in ln]
    assert len(warned) == 1, result.output
