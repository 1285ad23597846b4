"""Hard and modelled money apart: the hard net, the modelled costs and what they rest on."""

from __future__ import annotations

import ast
import inspect
import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim import catalog
from sim.cli import app
from sim.config import Economics, Scenario
from sim.demand import Arm
from sim.economics import (
    ECONOMICS_GRADES,
    MODELLED_KEYS,
    SPLIT_KEYS,
    hard_and_modelled,
    modelled_parts,
    money_view,
)
from sim.experiment import run_replication, run_scenario
from sim.loading import load_scenario
from sim.metrics import ReplicationMetrics
from tests.conftest import CONFIGS, tiny_scenario

DAYS = ["calendar.start=2026-11-09T00:00:00", "calendar.days=4", "replications=1"]
"""第二件1元 around 11.11, 4 days: orders, refunds, platform interventions, bots, reviews."""


def _bundled(*overrides: str) -> Scenario:
    return load_scenario(CONFIGS / "second_item_1yuan.yaml", [*DAYS, *overrides]).scenario


def _hard_parts(o: dict[str, float]) -> list[float]:
    return [
        o["gross_profit_yuan"],
        -o["payroll_yuan"],
        -o["platform_cost_yuan"],
        -o.get("bot_cost_yuan", 0.0),
        -o["refunds_yuan"],
    ]


SURE = "journey.escalation_resolution_probability=0.5"
"""The second tier settles half, not the file's 90%: about 5 platform interventions in the 4
days instead of about one, which a replication often does without (P ≈ 0.4), so every hard
part of :func:`replication` is surely there."""


@pytest.fixture(scope="module")
def replication() -> dict[Arm, ReplicationMetrics]:
    return run_replication(_bundled(SURE), 0)


def test_a_real_replication_adds_up_hard_net_and_modelled_costs(
    replication: dict[Arm, ReplicationMetrics],
) -> None:
    for arm, metrics in replication.items():
        o = metrics.overall
        # every hard component is there and, with the promotion, not zero: a real sum (the
        # baseline grants no refund)
        assert all(part != 0 for part in _hard_parts(o)) or arm == "baseline", arm
        assert o["hard_net_yuan"] == math.fsum(_hard_parts(o)), arm
        assert o["labour_over_payroll_yuan"] == o["labour_cost_yuan"] - o["payroll_yuan"]
        modelled = [o[k] for k in MODELLED_KEYS]
        assert o["modelled_cost_yuan"] == math.fsum(modelled), arm
        # net = hard net − modelled costs, up to the rounding of two sums in another order
        scale = 1e-12 * math.fsum(abs(x) for x in [*_hard_parts(o), *modelled])
        assert o["net_yuan"] == pytest.approx(o["hard_net_yuan"] - math.fsum(modelled), abs=scale)
        assert o["bad_review_cost_yuan"] > 0 and o["churn_cost_yuan"] > 0, arm


def test_the_promotions_hard_net_impact_is_the_paired_difference_of_hard_nets() -> None:
    result = run_scenario(_bundled())
    effect = result.effect_summary
    assert effect is not None
    promo, base = result.arms["promotion"][0].overall, result.arms["baseline"][0].overall
    assert effect["hard_net_impact_yuan"]["mean"] == promo["hard_net_yuan"] - base["hard_net_yuan"]
    assert effect["hard_net_impact_yuan"]["mean"] == effect["hard_net_yuan"]["mean"]
    assert effect["net_impact_yuan"]["mean"] == pytest.approx(
        effect["hard_net_impact_yuan"]["mean"] - effect["modelled_cost_yuan"]["mean"], rel=1e-12
    )


def test_the_value_of_a_bad_review_moves_the_net_not_the_hard_net(
    replication: dict[Arm, ReplicationMetrics],
) -> None:
    dearer = run_replication(_bundled(SURE, "economics.value_of_bad_review_yuan=500"), 0)
    for arm, metrics in replication.items():
        a, b = metrics.overall, dearer[arm].overall
        assert a["bad_reviews"] == b["bad_reviews"] > 0  # the same seed, the same reviews
        assert b["hard_net_yuan"] == a["hard_net_yuan"]
        assert b["bad_review_cost_yuan"] == a["bad_review_cost_yuan"] / 200 * 500
        assert b["net_yuan"] == pytest.approx(a["net_yuan"] - 300 * a["bad_reviews"], rel=1e-12), (
            arm
        )


def test_split_is_linear_so_a_difference_of_arms_splits_alike() -> None:
    e = Economics()

    def split(gmv: float, labour: float, payroll: float, bad: float) -> dict[str, float]:
        view = money_view(
            gmv_yuan=gmv,
            goods_cost_yuan=0.4 * gmv,
            labour_yuan=labour,
            refunds_yuan=30.0,
            bad_reviews=bad,
            churned=2,
            platform_interventions=1,
            e=e,
            bot_yuan=5.0,
        )
        out = hard_and_modelled(view, payroll_yuan=payroll, bot_yuan=5.0)
        assert tuple(out) == SPLIT_KEYS
        return {**view, **out}

    # gross profit 600 − payroll 400 − platform 50 − bots 5 − refunds 30 = 115
    a = split(1000.0, 300.0, 400.0, 1)
    assert a["hard_net_yuan"] == 115.0
    # labour − payroll −100, bad reviews 200, churn 2 × 60 = 120: modelled 220
    assert a["modelled_cost_yuan"] == 220.0
    assert a["net_yuan"] == a["hard_net_yuan"] - a["modelled_cost_yuan"] == -105.0
    b = split(1500.0, 350.0, 400.0, 3)
    for key in SPLIT_KEYS:
        assert b[key] - a[key] == pytest.approx(
            split(500.0, 50.0, 0.0, 2)[key] - split(0.0, 0.0, 0.0, 0)[key]
        )


def test_each_modelled_part_names_its_parameters_value_and_grade() -> None:
    e = Economics(value_of_bad_review_yuan=150.0, group_hourly_cost_yuan={"tier2": 55.0})
    parts = modelled_parts(e)
    assert tuple(p.key for p in parts) == MODELLED_KEYS
    review = parts[1].assumptions[0]
    assert (review.field, review.value, review.grade) == ("value_of_bad_review_yuan", 150.0, "X")
    assert catalog.assumption_text(review.field, review.value, review.grade) == (
        "¥150 per bad review [X]"
    )
    assert catalog.assumption_text(review.field, 200.0, "X", "zh") == "每条差评 ¥200 [X]"
    fields = [a.field for a in parts[0].assumptions]
    assert fields[-1] == "group_hourly_cost_yuan.tier2"
    for p in parts:
        for a in p.assumptions:
            assert catalog.assumption_text(a.field, a.value, a.grade, "zh").endswith(f"[{a.grade}]")
            assert a.field.split(".")[0] in catalog.PARAMETER_TEXTS


def test_the_grades_are_those_the_economics_fields_document() -> None:
    """ECONOMICS_GRADES says what each field's docstring and docs/model.md say."""
    tree = ast.parse(inspect.getsource(Economics))
    body = tree.body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for stmt, nxt in zip(body.body, body.body[1:], strict=False):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                docs[stmt.target.id] = str(nxt.value.value)
    model = (Path(__file__).parent.parent / "docs" / "model.md").read_text(encoding="utf-8")
    for field, grade in ECONOMICS_GRADES.items():
        assert docs[field].rstrip().rstrip(".").endswith(f"[{grade}]"), field
        if field != "group_hourly_cost_yuan":  # a per-group override, no row of its own
            row = next(line for line in model.splitlines() if f"`{field}`" in line)
            assert f"[{grade}]" in row or (grade == "C" and "[C]" in row), field


def test_run_prints_the_hard_and_modelled_nets_and_what_they_rest_on(tmp_path: Path) -> None:
    data = tiny_scenario(replications=1)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", str(path), "--out", str(tmp_path / "run"), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Net in two parts" in text
    for key in ("hard_net_yuan", "modelled_cost_yuan", "net_yuan", "bad_review_cost_yuan"):
        assert catalog.CATALOG[key].en in text, key
    assert "¥200 per bad review [X]" in text
    assert "¥60 per customer lost [X]" in text
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))

    def yuan(key: str) -> str:
        mean = summary["metrics"][key]["mean"]
        return ("−" if mean < 0 else "") + f"¥{abs(mean):,.0f}"

    line = (
        f"Net {yuan('net_yuan')} = hard money {yuan('hard_net_yuan')} − modelled costs "
        f"{yuan('modelled_cost_yuan')}, resting on ¥200 per bad review [X]"
    )
    assert line in text
