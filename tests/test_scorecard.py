"""Platform rule packs and the KPI scorecard.

Each pack's KPIs are recomputed here from a run's ``--event-log`` contacts, by their
written definition and nothing of the model's code, and must equal ``scorecard.csv`` day
by day; a pack with an error is located like a scenario; every rule carries a source.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim import loading
from sim.cli import app
from sim.config import Hours, PlatformKpi, PlatformRules
from sim.experiment import run_scenario
from sim.loading import ScenarioError, load_scenario, platform_packs
from sim.scorecard import bar_of, breaches, run_breaches, status
from tests.conftest import CONFIGS

runner = CliRunner()

PACKS = ("douyin", "jd", "pdd", "tmall")
WINDOW = ["calendar.start=2026-11-10T00:00:00", "calendar.days=3"]
"""11-10 to 11-12 of the bundled 第二件1元 scenario: the peak, its eve and its morrow."""


def _clock(h: Hours) -> tuple[float, float]:
    """A KPI's hours as seconds after midnight (open, close); no pack's cross midnight."""
    o = int(h.open[:2]) * 3600 + int(h.open[3:]) * 60
    c = int(h.close[:2]) * 3600 + int(h.close[3:]) * 60
    assert c > o
    return o, c


def _time(cell: str) -> dt.datetime:
    return dt.datetime.strptime(cell, "%Y-%m-%d %H:%M:%S")


def recomputed(
    contacts: list[dict[str, str]],
    kpi: PlatformKpi,
    channel: str,
    open_hours: tuple[float, float] | None,
    start: dt.datetime,
    end: dt.datetime,
) -> dict[str, float]:
    """One KPI per day (and ``all``) from contacts.csv rows, by the rule's definition."""
    o, c = _clock(kpi.hours)
    count: dict[str, int] = defaultdict(int)
    total: dict[str, float] = defaultdict(float)
    for row in contacts:
        if row["channel"] != channel:
            continue
        asked = _time(row["asked"])
        if not start <= asked < end:
            continue
        of_day = (asked - asked.replace(hour=0, minute=0, second=0)).total_seconds()
        if not o <= of_day < c:
            continue
        if kpi.offline == "exclude" and open_hours is not None:
            if not open_hours[0] <= of_day < open_hours[1]:
                continue
        if kpi.replies == "human" and row["bot"] == "settled":
            continue
        if kpi.replies == "human_and_bot" and row["bot"]:
            response = 0.0
        elif row["answered"]:
            since = asked if kpi.start == "asked" else _time(row["arrived"])
            response = (_time(row["answered"]) - since).total_seconds()
        else:
            response = math.inf
        if kpi.measure == "answered_within":
            assert kpi.within_seconds is not None
            value = 1.0 if response <= kpi.within_seconds else 0.0
        else:
            assert kpi.cap_seconds is not None
            value = min(response, kpi.cap_seconds)
        for day in (asked.date().isoformat(), "all"):
            count[day] += 1
            total[day] += value
    return {day: total[day] / count[day] for day in count}


@pytest.mark.parametrize("pack", PACKS)
def test_every_kpi_recomputed_from_the_event_log_equals_the_scorecard(
    tmp_path: Path, pack: str
) -> None:
    scenario = CONFIGS / "second_item_1yuan.yaml"
    out = tmp_path / "run"
    sets = [f"platform={pack}", *WINDOW]
    args = ["run", str(scenario), "--replications", "1", "--event-log", "--quiet"]
    result = runner.invoke(app, [*args, "--out", str(out), *(f"--set={s}" for s in sets)])
    assert result.exit_code == 0, result.output
    s = load_scenario(scenario, sets).scenario
    rules = s.platform
    assert rules is not None
    with (out / "contacts.csv").open(encoding="utf-8") as f:
        contacts = list(csv.DictReader(f))
    with (out / "scorecard.csv").open(encoding="utf-8") as f:
        scores = [r for r in csv.DictReader(f) if r["arm"] == "promotion"]
    assert {r["bot"] for r in contacts} == {"", "settled", "handed_over"}  # all three kinds
    hours = s.channels[rules.channel].hours
    assert hours is None or isinstance(hours, Hours)
    start = s.calendar.start + dt.timedelta(seconds=s.calendar.warmup_seconds)
    end = s.calendar.start + dt.timedelta(seconds=s.calendar.horizon_seconds)
    checked = 0
    for name, kpi in rules.kpis.items():
        want = recomputed(
            contacts, kpi, rules.channel, None if hours is None else _clock(hours), start, end
        )
        got = {r["day"]: r["mean"] for r in scores if r["kpi"] == name}
        assert set(got) == set(want)  # every day with a session, and the whole run
        for day, value in want.items():
            assert float(got[day]) == value, (pack, name, day)
            checked += 1
    assert checked >= 4 * len(rules.kpis)


def test_scorecard_status_reads_the_ci_against_the_bar() -> None:
    rules = load_scenario(CONFIGS / "second_item_1yuan.yaml", ["platform=tmall"]).scenario.platform
    assert rules is not None
    bar = rules.kpis["response_3min_rate"].threshold
    assert bar is not None and (bar.op, bar.value) == (">=", 0.8)
    assert status(bar, 0.9, 0.85, 0.95) == "met"
    assert status(bar, 0.82, 0.78, 0.86) == "at_risk"
    assert status(bar, 0.75, 0.7, 0.79) == "breach"
    assert status(bar, 0.81, math.nan, math.nan) == "met"  # one replication: the value
    assert status(bar, 0.79, math.nan, math.nan) == "breach"
    assert status(None, 0.5, 0.4, 0.6) == ""
    assert status(bar, math.nan, math.nan, math.nan) == ""


@pytest.mark.parametrize("pack", PACKS)
def test_every_rule_of_a_bundled_pack_carries_a_graded_source(pack: str) -> None:
    assert pack in platform_packs()
    data = yaml.safe_load((loading.PLATFORMS / f"{pack}.yaml").read_text(encoding="utf-8"))
    rules = PlatformRules.model_validate(data)
    assert rules.name == pack and rules.checked
    for name, kpi in rules.kpis.items():
        for key in (kpi.source, *([kpi.threshold.source] if kpi.threshold else [])):
            source = rules.sources[key]
            assert source.grade in "ABCX", (name, key)
            assert source.url or source.grade == "X", (name, key)
            assert source.note, (name, key)


def test_a_pack_with_an_error_is_located_in_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packs = tmp_path / "platforms"
    packs.mkdir()
    text = (loading.PLATFORMS / "tmall.yaml").read_text(encoding="utf-8")
    broken = text.replace("within_seconds: 180", "within_seconds: -3")
    (packs / "tmall.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(loading, "PLATFORMS", packs)
    line = broken.splitlines().index("    within_seconds: -3") + 1
    scenario = CONFIGS / "second_item_1yuan.yaml"
    with pytest.raises(ScenarioError) as e:
        load_scenario(scenario, ["platform=tmall"])
    (problem,) = e.value.problems
    assert (problem.file, problem.line) == (str(packs / "tmall.yaml"), line)
    assert problem.path == "platform.kpis.response_3min_rate.within_seconds"
    result = runner.invoke(app, ["validate", str(scenario), "--set", "platform=tmall"])
    assert result.exit_code == 2
    assert f"tmall.yaml:{line}: platform.kpis.response_3min_rate.within_seconds" in result.output
    # the pack file itself, checked as a pack
    result = runner.invoke(app, ["validate", str(packs / "tmall.yaml")])
    assert result.exit_code == 2, result.output
    assert f"tmall.yaml:{line}: kpis.response_3min_rate.within_seconds: " in result.output
    unknown = text.replace("    source: response_3min_rule\n", "    source: nowhere\n", 1)
    (packs / "tmall.yaml").write_text(unknown, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(packs / "tmall.yaml")])
    assert result.exit_code == 2, result.output
    assert "kpis.response_3min_rate.source: no source 'nowhere' in sources" in result.output


def test_a_scenario_overrides_a_pack_rule_and_names_unknown_packs() -> None:
    scenario = CONFIGS / "second_item_1yuan.yaml"
    s = load_scenario(
        scenario, ["platform={pack: jd, kpis: {first_30s_answer_rate: {within_seconds: 20}}}"]
    ).scenario
    assert s.platform is not None and s.platform.pack == "jd"
    kpi = s.platform.kpis["first_30s_answer_rate"]
    assert kpi.within_seconds == 20 and kpi.hours.open == "09:00"  # the rest from the pack
    with pytest.raises(ScenarioError, match=r"unknown platform pack 'amazon' \(bundled: douyin"):
        load_scenario(scenario, ["platform=amazon"])
    with pytest.raises(ScenarioError, match=r"platform\.channel: unknown channel 'fax'"):
        load_scenario(scenario, ["platform={pack: pdd, channel: fax}"])


def test_a_scenario_without_a_platform_keeps_its_hash_and_writes_no_scorecard(
    tmp_path: Path,
) -> None:
    path = CONFIGS / "validation" / "erlang_a_light.yaml"
    plain = load_scenario(path)
    assert "platform" not in plain.resolved
    out = tmp_path / "run"
    args = ["run", str(path), "--replications", "1", "--quiet"]
    result = runner.invoke(app, [*args, "--out", str(out), "--set", "calendar.days=1"])
    assert result.exit_code == 0, result.output
    assert not (out / "scorecard.csv").exists()


def test_breaches_merge_consecutive_hours_that_miss_the_bar() -> None:
    rules = load_scenario(CONFIGS / "second_item_1yuan.yaml", ["platform=tmall"]).scenario.platform
    assert rules is not None
    rule = rules.kpis["response_3min_rate"]  # ≥ 80%
    day = dt.datetime(2026, 11, 11)
    hours = [day + dt.timedelta(hours=h) for h in range(6)]
    sessions = [0.0, 10.0, 10.0, 10.0, 20.0, 10.0]
    totals = [0.0, 9.0, 5.0, 7.0, 10.0, 9.0]  # hours 2-4 miss; 1 and 5 meet; 0 has none
    (b,) = breaches("response_3min_rate", bar_of(rule), hours, sessions, totals)
    assert (b.start, b.end) == (hours[2], hours[4] + dt.timedelta(hours=1))
    assert b.value == (5 + 7 + 10) / 40 and b.sessions == 40
    gap = [hours[0], hours[1], hours[3]]  # a missing hour between two misses splits them
    assert len(breaches("r", bar_of(rule), gap, [10.0, 10.0, 10.0], [0.0, 0.0, 0.0])) == 2
    no_bar = bar_of(rules.kpis["human_response_seconds"])
    assert no_bar is None and breaches("h", no_bar, hours, sessions, totals) == []


def test_the_hours_of_a_kpi_add_up_to_its_days() -> None:
    """hourly.csv's platform sums, per day, give the day's KPI (one replication)."""
    s = load_scenario(CONFIGS / "second_item_1yuan.yaml", [*WINDOW, "replications=1"]).scenario
    result = run_scenario(s)
    (rep,) = result.arms["promotion"]
    for name in ("response_3min_rate", "human_response_seconds"):
        per_interval = rep.intervals[f"platform.{name}.sessions"].reshape(3, -1).sum(axis=1)
        totals = rep.intervals[f"platform.{name}.total"].reshape(3, -1).sum(axis=1)
        assert per_interval.tolist() == rep.daily[f"platform.{name}.sessions"].tolist()
        assert (totals / per_interval).tolist() == rep.daily[f"platform.{name}"].tolist()
    for b in run_breaches(result):  # each span's value, from its hours' sums, misses
        t = s.platform.kpis[b.kpi].threshold if s.platform else None
        assert t is not None and (b.value < t.value if t.op == ">=" else b.value > t.value)


def test_the_scorecard_s_intervals_stay_within_each_kpi_s_range() -> None:
    """A share's CI within [0, 1], a mean response's within [0, its cap].

    The goldens run two replications: their symmetric t-intervals would reach past both.
    """
    rows = []
    for path in sorted((Path(__file__).parent / "golden").glob("*/scorecard.csv")):
        with path.open(encoding="utf-8") as f:
            rows += list(csv.DictReader(f))
    shares = [r for r in rows if r["measure"] == "answered_within" and r["ci95_hi"]]
    assert shares and any(float(r["ci95_hi"]) == 1.0 for r in shares)
    for r in rows:
        if r["ci95_lo"]:
            assert float(r["ci95_lo"]) >= 0.0
        if r["measure"] == "answered_within" and r["ci95_hi"]:
            assert float(r["ci95_hi"]) <= 1.0
