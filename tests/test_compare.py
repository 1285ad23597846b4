"""Comparisons and sweeps on common random numbers (sim.compare) and their CSV files."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats as st

from sim.compare import (
    VARY,
    Vary,
    compare,
    design,
    headline,
    parse_vary,
    plan_sweep,
    sweep,
    tornado,
    yaml_value,
)
from sim.config import Scenario
from sim.experiment import run_scenario
from sim.loading import LoadedScenario, ScenarioError, load_scenario, parse_override
from sim.outputs import comparison_csv, sweep_csv
from tests.conftest import tiny_scenario

AGENTS = "staffing.groups.0.schedule.agents"
SL = "channels.phone.service_level_seconds"


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load(tmp_path: Path, name: str, data: dict[str, Any]) -> LoadedScenario:
    return load_scenario(write(tmp_path / f"{name}.yaml", data))


def busy(**overrides: Any) -> dict[str, Any]:
    """One phone queue, a day at 30 calls an hour on 3 agents (load 2.5 Erlang)."""
    fields: dict[str, Any] = {"calendar": {"days": 1, "interval_minutes": 60}, "replications": 6}
    return tiny_scenario(**{**fields, **overrides})


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --------------------------------------------------------------------------- CRN must-show


def crn_shop() -> Scenario:
    """A shop of 6,000 orders a day with a one-day promotion in a four-day horizon.

    Day-to-day noise as in configs/baseline.yaml; the promotion brings +30% orders and rule
    questions. ASA is several seconds, abandonment about 10%.
    """
    data = tiny_scenario(
        name="crn",
        calendar={"start": "2026-11-02T00:00:00", "days": 4},
        arrivals=[],
        replications=15,
    )
    data["staffing"]["groups"][0]["schedule"]["agents"] = 4
    data["channels"]["phone"]["handle_time_seconds"]["mean"] = 240
    data["orders"] = {
        "per_day": 6000,
        "lead_in_days": 2,
        "intraday_profile": [0.2] * 8 + [1.0] * 16,
        "overdispersion_shape": 50,
    }
    data["contact_reasons"] = [
        {"name": "wismo", "rate_per_order": 0.16, "anchor": "ship", "channel_mix": {"phone": 1}}
    ]
    data["promotion"] = {
        "kind": "second_item_discount",
        "start": "2026-11-02T00:00:00",
        "end": "2026-11-03T00:00:00",
        "order_uplift": 1.3,
        "rule_question_rate": 0.02,
    }
    return Scenario.model_validate(data)


def welch_halfwidth(a: list[float], b: list[float]) -> float:
    """95% CI half-width of mean(a) − mean(b) from independent samples (Welch)."""
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(st.t.ppf(0.975, df)) * math.sqrt(va + vb)


@pytest.mark.slow
def test_common_random_numbers_halve_the_ci_of_the_promotion_effect() -> None:
    """CRN's half-width of promotion − baseline is at most half that of independent seeds.

    Measured (15 replications, Welch interval for the independent pair): at this seed
    contacts 45 vs 232, ASA 0.27 s vs 1.27 s; over 30 seed pairs the ratio is 3.9-8.8 for
    contacts and 2.6-5.8 for ASA. Without the day noise (pure Poisson orders) ASA's ratio
    is 1.7-3.9 (median 2.7): the extra contacts reshuffle the queue, which pairing cannot
    cancel, so 2x then holds for ASA only most of the time.
    """
    s = crn_shop()
    paired = run_scenario(s)
    apart = run_scenario(s.model_copy(update={"promotion": None, "seed": s.seed + 1}))
    effect, base = paired.effect_summary, paired.baseline_summary
    assert effect is not None and base is not None
    assert base["all.asa_seconds"]["mean"] > 3  # a queue, not an idle centre
    assert effect["contacts"]["mean"] > 0 and effect["all.asa_seconds"]["mean"] > 0
    for key in ("contacts", "all.asa_seconds"):
        lo, hi = effect[key]["ci95"]
        crn = (hi - lo) / 2
        independent = welch_halfwidth(
            [r.overall[key] for r in paired.replications],
            [r.overall[key] for r in apart.replications],
        )
        # both estimate the same difference
        diff = paired.summary[key]["mean"] - apart.summary[key]["mean"]
        assert abs(diff - effect[key]["mean"]) < independent + crn, key
        assert independent >= 2 * crn, (key, crn, independent)


# --------------------------------------------------------------------------- compare


def test_a_scenario_against_itself_differs_by_exactly_zero(tmp_path: Path) -> None:
    a = load(tmp_path, "a", busy())
    c = compare([a, a])
    assert c.arms == ("tiny", "tiny-2") and c.notes == ()
    assert "all.asa_seconds" in c.metrics and "contacts" in c.metrics
    for metric in c.metrics:
        d = c.diffs[metric]["tiny-2"]
        assert d["mean"] == 0 and d["ci95"] == [0.0, 0.0] and not d["significant"], metric
        assert c.stats[metric]["tiny"] == c.stats[metric]["tiny-2"]
    assert c.diffs["contacts"].get("tiny") is None  # no difference for the reference arm


def test_one_more_agent_cuts_asa_significantly(tmp_path: Path) -> None:
    lean = load(tmp_path, "lean", busy(name="lean"))
    more_data = busy(name="more", seed=99, replications=3)
    more_data["staffing"]["groups"][0]["schedule"]["agents"] = 4
    more = load(tmp_path, "more", more_data)
    done: list[int] = []
    c = compare([lean, more], on_done=done.append)
    assert done == list(range(1, 13))  # 2 arms × the first scenario's 6 replications
    assert c.plan.total_replications == 12
    # the second file's seed and replications give way to the first's, with a note
    assert c.plan.scenarios["more"].seed == 7 and c.plan.scenarios["more"].replications == 6
    assert len(c.runs["more"]) == 6
    (note,) = c.notes
    assert "seed 99 → 7" in note and "replications 3 → 6" in note and "more" in note
    assert c.hashes["more"] != more.hash  # the scenario as run
    asa = c.diffs["all.asa_seconds"]["more"]
    assert asa["mean"] < 0 and asa["ci95"][1] < 0 and asa["significant"]
    assert asa["mean"] == pytest.approx(
        c.stats["all.asa_seconds"]["more"]["mean"] - c.stats["all.asa_seconds"]["lean"]["mean"]
    )
    # the same offered contacts in both arms (common random numbers): no difference
    offered = c.diffs["all.offered"]["more"]
    assert offered["mean"] == 0 and not offered["significant"]

    text = comparison_csv(c)
    table = rows(text)
    assert table[0] == [
        "metric",
        "arm",
        "mean",
        "ci95_lo",
        "ci95_hi",
        "diff_mean",
        "diff_ci95_lo",
        "diff_ci95_hi",
        "significant",
    ]
    assert len(table) == 1 + 2 * len(c.metrics)
    assert [r[0] for r in table[1::2]] == list(c.metrics)  # metric order, arms in order
    by = {(r[0], r[1]): r for r in table[1:]}
    assert by[("all.asa_seconds", "lean")][5:] == ["", "", "", ""]
    row = by[("all.asa_seconds", "more")]
    assert float(row[5]) == asa["mean"] and row[8] == "true"
    assert float(row[2]) == c.stats["all.asa_seconds"]["more"]["mean"]
    assert by[("all.offered", "more")][8] == "false"

    lines = headline(c, ["all.asa_seconds", "no.such_metric", "contacts"])
    assert [r.metric for r in lines] == ["all.asa_seconds", "contacts"]
    first, second = lines[0].cells
    assert first.arm == "lean" and first.diff is None and first.stat is not None
    assert second.arm == "more" and second.diff == asa
    assert {r.metric for r in headline(c)} >= {"contacts", "all.asa_seconds"}


@pytest.mark.slow
def test_compare_is_the_same_on_two_workers(tmp_path: Path) -> None:
    a = load(tmp_path, "a", busy(replications=3))
    b_data = busy(name="b", replications=3)
    b_data["staffing"]["groups"][0]["schedule"]["agents"] = 4
    b = load(tmp_path, "b", b_data)
    one, two = compare([a, b]), compare([a, b], workers=2)
    assert comparison_csv(one) == comparison_csv(two)


def test_arm_names_are_unique() -> None:
    from sim.compare import _unique_names

    assert _unique_names(["a", "a", "a-2", "b", "a"]) == ["a", "a-3", "a-2", "b", "a-4"]


# --------------------------------------------------------------------------- --vary


@pytest.mark.parametrize(
    ("text", "path", "values"),
    [
        (
            "staffing.groups.0.schedule.agents=10:14:5",
            "staffing.groups.0.schedule.agents",
            (10, 11, 12, 13, 14),
        ),
        ("a=10:0:3", "a", (10, 5, 0)),
        ("a=10:15:3", "a", (10.0, 12.5, 15.0)),
        ("a=1:2:2", "a", (1, 2)),
        ("a=0.1:0.3:3", "a", (0.1, 0.2, 0.3)),
        ("a=1e3:2e3:3", "a", (1000.0, 1500.0, 2000.0)),
        (" a . b = 1, 2.5 ,null,true,abc", "a.b", (1, 2.5, None, True, "abc")),
        ("a=10:30", "a", ("10:30",)),  # a shift time: text, not a range
        ("a=7", "a", (7,)),
        ("a='1:2:3'", "a", ("1:2:3",)),
        ("a=2026-11-03T00:00:00,2026-11-04", "a", None),
    ],
)
def test_parse_vary_forms(text: str, path: str, values: tuple[Any, ...] | None) -> None:
    v = parse_vary(text)
    assert v.path == path and v.text == text
    if values is not None:
        assert v.values == values
        assert [type(x) for x in v.values] == [type(x) for x in values]
    else:
        assert len(v.values) == 2 and v.values[0].hour == 0
    # every value goes back through --set as itself
    for x in v.values:
        assert parse_override(f"{v.path}={yaml_value(x)}")[1] == x


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agents", "expected path=lo:hi:n"),
        ("=1,2", "expected path=lo:hi:n"),
        ("a..b=1", "empty name"),
        ("a=", "no values"),
        ("a=1,,2", "empty value"),
        ("a=1,1", "given twice"),
        ("a=1:5:1", "2 or more"),
        ("a=1:5:x", "2 or more"),
        ("a=1:5:2.5", "2 or more"),
        ("a=3:3:4", "are equal"),
        ("a=1:5:1000000", "at most"),
        ("a={b: 1}", "not a single value"),
        ("a=[1", "invalid YAML"),
    ],
)
def test_parse_vary_errors(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_vary(text)
    (problem,) = info.value.problems
    assert problem.file == VARY and message in problem.message, problem
    assert text in str(info.value) or repr(text) in str(info.value)


# --------------------------------------------------------------------------- designs


def test_grid_is_the_product_first_path_slowest(tmp_path: Path) -> None:
    base = load(tmp_path, "t", tiny_scenario())
    points = design([parse_vary(f"{AGENTS}=2:4:3"), parse_vary(f"{SL}=10,20")], "grid", base)
    assert len(points) == 6
    assert points[:2] == [{AGENTS: 2, SL: 10}, {AGENTS: 2, SL: 20}]
    assert len({tuple(p.values()) for p in points}) == 6


def test_one_at_a_time_includes_the_base_point_once(tmp_path: Path) -> None:
    base = load(tmp_path, "t", tiny_scenario())  # 3 agents, SL 20 s
    varies = [parse_vary(f"{AGENTS}=2:4:3"), parse_vary(f"{SL}=10,20,30,60")]
    points = design(varies, "one-at-a-time", base)
    assert points[0] == {AGENTS: 3, SL: 20}  # the base point, first
    assert len(points) == 1 + 2 + 3  # each path's values but the base value
    assert sum(p == {AGENTS: 3, SL: 20} for p in points) == 1
    assert all(p[AGENTS] == 3 or p[SL] == 20 for p in points)  # one path at a time
    # a path the base does not have: nothing to vary around
    with pytest.raises(ScenarioError) as info:
        design([parse_vary("channels.fax.service_level_seconds=1,2")], "one-at-a-time", base)
    assert info.value.problems[0].file == VARY
    with pytest.raises(ScenarioError, match="already varied"):
        design([varies[0], varies[0]], "grid", base)
    with pytest.raises(ValueError, match="unknown sweep mode"):
        design(varies, "random", base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- sweep


def test_sweep_csv_and_tornado(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", busy(replications=3))
    varies: list[Vary | str] = [f"{SL}=10,30", f"{AGENTS}=2:4:3"]
    plan = plan_sweep(path, [], varies, "one-at-a-time")
    assert plan.total_replications == 5 * 3  # the base, SL 10 and 30, 2 and 4 agents
    done: list[int] = []
    s = sweep(path, [], varies, "one-at-a-time", on_done=done.append)
    assert done == list(range(1, 16))
    assert [p.varied for p in s.points] == [None, SL, SL, AGENTS, AGENTS]
    assert s.points[3].loaded.resolved["staffing"]["groups"][0]["schedule"]["agents"] == 2
    assert {p.loaded.scenario.seed for p in s.points} == {7}  # all on the base's seed
    assert s.points[0].loaded.hash == plan.base.hash

    table = rows(sweep_csv(s))
    assert table[0] == [SL, AGENTS, "metric", "mean", "ci95_lo", "ci95_hi"]
    assert len(table) == 1 + len(s.points) * len(s.metrics)
    assert table[1][:2] == ["20.0", "3"]  # the base point first; values as validated
    asa = [r[:2] for r in table[1:] if r[2] == "all.asa_seconds"]
    assert asa == [["20.0", "3"], ["10.0", "3"], ["30.0", "3"], ["20.0", "2"], ["20.0", "4"]]

    bars = tornado(s, "all.asa_seconds")
    assert [b.path for b in bars] == [AGENTS, SL]  # agents move ASA; the SL threshold does not
    agents, threshold = bars
    assert (agents.low_value, agents.high_value, agents.base_value) == (2, 4, 3)
    assert agents.low_mean is not None and agents.high_mean is not None
    assert agents.low_mean > agents.base_mean > agents.high_mean  # type: ignore[operator]
    assert agents.swing == pytest.approx(agents.low_mean - agents.high_mean)
    assert threshold.swing == 0 and threshold.base_mean == agents.base_mean
    # the service level does depend on its threshold
    assert tornado(s, "all.service_level")[0].swing > 0  # type: ignore[operator]
    assert tornado(s, "no.such_metric")[0].swing is None


def test_a_grid_sweep_of_a_promotion_has_its_effect(tmp_path: Path) -> None:
    data = tiny_scenario(
        name="promo", calendar={"start": "2026-11-03T00:00:00", "days": 2}, arrivals=[]
    )
    data["orders"] = {"per_day": 1000, "lead_in_days": 1}
    data["contact_reasons"] = [
        {"name": "wismo", "rate_per_order": 0.05, "anchor": "ship", "channel_mix": {"phone": 1}}
    ]
    data["promotion"] = {
        "kind": "second_item_discount",
        "start": "2026-11-03T00:00:00",
        "end": "2026-11-04T00:00:00",
        "order_uplift": 1.5,
    }
    path = write(tmp_path / "p.yaml", data)
    s = sweep(path, ["replications=2"], ["promotion.order_uplift=1.2,2"], "grid")
    assert s.plan.total_replications == 2 * 2  # points × replications (both arms run together)
    low, high = s.points
    assert low.effect is not None and high.effect is not None and low.baseline is not None
    assert high.effect["contacts"]["mean"] > low.effect["contacts"]["mean"] > 0
    assert low.baseline == high.baseline  # the baseline does not see the promotion
    table = rows(sweep_csv(s))
    assert table[0][0] == "promotion.order_uplift"
    assert any(r[:2] == ["2.0", "effect.contacts"] for r in table)
    with pytest.raises(ValueError, match="one-at-a-time"):
        tornado(s, "contacts")


def test_a_bad_value_gets_the_set_error_before_anything_runs(tmp_path: Path) -> None:
    """A varied value is checked as a --set is, and its problem named as the --vary's."""
    path = write(tmp_path / "t.yaml", tiny_scenario())
    with pytest.raises(ScenarioError) as info:
        plan_sweep(path, [], [f"{AGENTS}=-1,3,x"], "grid")
    problems = info.value.problems
    assert len(problems) == 2 and {p.file for p in problems} == {"--vary"}
    assert all(p.path == AGENTS for p in problems)
    with pytest.raises(ScenarioError) as info:
        plan_sweep(path, [], ["channels.phone.no_such_field=1,2"], "grid")
    assert "unknown field" in str(info.value)
    with pytest.raises(ScenarioError) as info:  # a --set's own problem stays the --set's
        plan_sweep(path, ["channels.phone.service_level_seconds=-5"], [f"{AGENTS}=2,3"], "grid")
    assert {p.file for p in info.value.problems} == {"--set"}
