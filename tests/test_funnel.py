"""The hourly service export (funnel): round trip, interval coverage, bad files, CLI, fragment."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from sim import calibrate as cal
from sim import funnel as fun
from sim.calibrate import Estimate, ExportError
from sim.cli import app
from sim.loading import load_scenario

runner = CliRunner()

TRUE = {"c": 0.5, "floor": 0.4, "lam": 0.15, "r": 0.3, "contain": 0.6}
"""Would-be buyers' share of inquiries, keep floor, keep per minute, inquiry share, bot
containment."""

ENGLISH = (
    "hour",
    "inquiring_buyers",
    "ordering_buyers",
    "avg_response_seconds",
    "orders",
    "bot_sessions",
    "handed_over",
)
CHINESE = (
    "时间",
    "询单人数",
    "下单人数",
    "人工平均响应时长(秒)",
    "支付买家数",
    "机器人接待人数",
    "转人工人数",
)


def export(
    seed: int, hours: int = 24 * 28, header: tuple[str, ...] = ENGLISH, **over: float
) -> str:
    """A synthetic hourly export drawn from known parameters (:data:`TRUE`, ``over``).

    Per hour: inquiries ~ Poisson(40); of them would-be buyers ~ Binomial(c), who order with
    keep(w) at the hour's mean wait w (minutes, lognormal around 4); orders placed without
    asking ~ Poisson(40·c·(1 − r)/r), so the inquiry share of would-be orders is r; bot
    sessions ~ Poisson(80), handed over ~ Binomial(1 − containment).
    """
    p = {**TRUE, **over}
    g = np.random.default_rng(seed)
    w = g.lognormal(math.log(4.0), 0.9, hours)
    inquiring = g.poisson(40, hours)
    buyers = g.binomial(inquiring, p["c"])
    keep = p["floor"] + (1 - p["floor"]) * np.exp(-p["lam"] * w)
    ordered = g.binomial(buyers, keep)
    direct = g.poisson(40 * p["c"] * (1 - p["r"]) / p["r"], hours)
    bot = g.poisson(80, hours)
    handed = g.binomial(bot, 1 - p["contain"])
    t0 = dt.datetime(2026, 3, 2)
    rows = [",".join(header)]
    for h in range(hours):
        rows.append(
            f"{t0 + dt.timedelta(hours=h):%Y-%m-%d %H:%M},{inquiring[h]},{ordered[h]},"
            f"{w[h] * 60:.3f},{direct[h] + ordered[h]},{bot[h]},{handed[h]}"
        )
    return "\n".join(rows) + "\n"


def inside(e: Estimate | None, truth: float) -> bool:
    return e is not None and e.lo <= truth <= e.hi


def fitted(seed: int, **kw: Any) -> fun.FunnelFit:
    return fun.fit_funnel(fun.read_funnel(export(seed, **kw)))


def test_round_trip_recovers_every_value_within_its_interval() -> None:
    f = fitted(1)
    cv = f.conversion
    assert cv is not None and cv.identified
    assert inside(cv.c, TRUE["c"])
    assert inside(cv.floor, TRUE["floor"])
    assert inside(cv.keep_per_minute, TRUE["lam"])
    assert inside(cv.browser_ratio, 1 / TRUE["c"] - 1)
    assert inside(f.inquiry_share, TRUE["r"])
    assert inside(f.containment, TRUE["contain"])
    assert not f.excluded
    # the intervals are informative, not merely wide
    assert cv.floor.hi - cv.floor.lo < 0.15 and cv.keep_per_minute.hi / cv.keep_per_minute.lo < 2


@pytest.mark.slow
def test_intervals_cover_at_their_nominal_rate() -> None:
    n = 200
    hits = {"c": 0, "floor": 0, "lam": 0, "ratio": 0, "r": 0, "contain": 0}
    for seed in range(n):
        f = fitted(1000 + seed, hours=24 * 14)
        cv = f.conversion
        assert cv is not None and cv.identified
        hits["c"] += inside(cv.c, TRUE["c"])
        hits["floor"] += inside(cv.floor, TRUE["floor"])
        hits["lam"] += inside(cv.keep_per_minute, TRUE["lam"])
        hits["ratio"] += inside(cv.browser_ratio, 1 / TRUE["c"] - 1)
        hits["r"] += inside(f.inquiry_share, TRUE["r"])
        hits["contain"] += inside(f.containment, TRUE["contain"])
    # 95% of 200: sd 3.1 draws; 180..199 is more than 4 sd below and 1 sd above
    for k, v in hits.items():
        assert 180 <= v <= 199, (k, v)


def test_waits_varying_within_the_hour_understate_what_waiting_loses() -> None:
    """Jensen: each buyer's own wait (exponential around the hour's mean) against the mean."""
    g = np.random.default_rng(5)
    hours = 24 * 28
    w = g.lognormal(math.log(4.0), 0.9, hours)
    n = g.poisson(40, hours)
    y = np.zeros(hours, dtype=int)
    for h in range(hours):
        own = g.exponential(w[h], n[h])
        keep = TRUE["floor"] + (1 - TRUE["floor"]) * np.exp(-TRUE["lam"] * own)
        y[h] = int((g.random(n[h]) < TRUE["c"] * keep).sum())
    text = "hour,inquiring_buyers,ordering_buyers,avg_response_seconds\n" + "".join(
        f"{dt.datetime(2026, 3, 2) + dt.timedelta(hours=h):%Y-%m-%d %H:%M},{n[h]},{y[h]},"
        f"{w[h] * 60:.3f}\n"
        for h in range(hours)
    )
    cv = fun.fit_funnel(fun.read_funnel(text)).conversion
    assert cv is not None and cv.floor.lo > TRUE["floor"]  # waiting's loss understated

    def loss(b: float, lam: float) -> float:  # after a 10-minute mean wait
        return b * (1 - math.exp(-lam * 10))

    true = loss(TRUE["c"] * (1 - TRUE["floor"]), TRUE["lam"])
    assert loss(cv.b.value, cv.keep_per_minute.value) < 0.9 * true


def test_a_flat_conversion_fits_no_curve_and_says_so() -> None:
    f = fitted(2, floor=1.0)  # waiting loses nobody
    assert f.conversion is not None and not f.conversion.identified
    assert f.inquiry_share is None and inside(f.inquiry_share_bound, 1.0) is False
    assert any("not fitted" in n for n in f.notes)
    data = fun.funnel_data(f)
    assert "presale" not in data and data["channels"]["chat"]["bot"]["default_containment"] > 0


def test_without_orders_or_bot_columns_only_the_curve_is_written() -> None:
    text = export(3)
    lines = [",".join(ln.split(",")[:4]) for ln in text.splitlines()]
    f = fun.fit_funnel(fun.read_funnel("\n".join(lines) + "\n"))
    assert f.inquiry_share is None and f.containment is None
    assert set(fun.funnel_data(f)) == {"presale"}
    assert set(fun.funnel_data(f)["presale"]) == {"browser_ratio", "keep_floor", "keep_per_minute"}
    assert any("orders column" in n for n in f.notes)


def test_chinese_headers_date_and_hour_columns_and_units_are_read() -> None:
    text = (
        "日期,时段,咨询人数,接待人数,询单人数,询单付款人数,平均响应时长,人工平均响应时长(秒)\n"
        '2026-11-11,20:00-21:00,2000,1900,"1,200",30,00:00:40,25秒\n'
        "2026-11-11,21,100,90,50,20,-,-\n"
    )
    x = fun.read_funnel(text)
    assert x.hours == [dt.datetime(2026, 11, 11, 20), dt.datetime(2026, 11, 11, 21)]
    assert x.converted_column == "paying_buyers"
    assert x.inquiring.tolist() == [1200, 50]
    assert x.response_seconds[0] == 25 and math.isnan(x.response_seconds[1])
    assert any("人工平均响应时长(秒)" in n and "平均响应时长" in n for n in x.notes)


def test_every_problem_is_reported_with_its_line() -> None:
    text = (
        "hour,inquiring_buyers,ordering_buyers,avg_response_seconds,orders,bot_sessions,handed_over\n"
        "2026-03-02 10:00,10,11,30,20,5,6\n"
        "2026-03-02 10:30,10,2,30,20,5,1\n"
        "\n"
        "2026-03-02 11:00,1.5,0,abc,20,5,1\n"
        "2026-03-02 10:00,-3,0,30,0,5,1\n"
        "2026-03-02 13:00,10,2,30,1,5,1\n"
    )
    with pytest.raises(ExportError) as e:
        fun.read_funnel(text, name="h.csv")
    assert e.value.problems == [
        "h.csv:2: ordering_buyers: 11 is more than inquiring_buyers (10)",
        "h.csv:2: handed_over: 6 is more than bot_sessions (5)",
        "h.csv:3: hour: '2026-03-02 10:30' is not on the hour (one row per hour, HH:00)",
        "h.csv:5: inquiring_buyers: '1.5' is not a count (a whole number, 0 or more)",
        "h.csv:5: avg_response_seconds: cannot read 'abc' as seconds (0 or more)",
        "h.csv:6: inquiring_buyers: '-3' is not a count (a whole number, 0 or more)",
        "h.csv:6: hour: '2026-03-02 10:00' repeats the hour of line 2",
        "h.csv:7: ordering_buyers: 2 is more than orders (1)",
    ]


def test_missing_columns_and_bad_mappings_are_named() -> None:
    with pytest.raises(ExportError) as e:
        fun.read_funnel("hour,询单人数,bot_sessions\n2026-03-02 10:00,1,1\n", {"nope": "x"})
    text = str(e.value)
    assert "'nope' is not a column of this file" in text
    assert "missing column 'avg_response_seconds'" in text
    assert "missing column 'ordering_buyers'" in text
    with pytest.raises(ExportError, match=r"missing column 'orders' \(mapped to '支付人数'\)"):
        fun.read_funnel(export(1), {"orders": "支付人数"})
    with pytest.raises(ExportError, match="no data rows"):
        fun.read_funnel("hour,inquiring_buyers,ordering_buyers,avg_response_seconds\n")


def child_scenario(tmp: Path, fragment: str) -> Path:
    """A small scenario extending the fragment, adding what an hourly export cannot know."""
    data: dict[str, Any] = {
        "extends": fragment,
        "name": "child",
        "seed": 1,
        "replications": 1,
        "calendar": {"start": "2026-11-01T00:00:00", "days": 1, "interval_minutes": 30},
        "orders": {"per_day": 500},
        "presale": {"inquiry": {"channel_mix": {"chat": 1.0}}},
        "channels": {
            "chat": {"handle_time_seconds": {"dist": "exponential", "mean": 200}, "concurrency": 3}
        },
        "staffing": {
            "groups": [
                {
                    "name": "chat",
                    "channels": ["chat"],
                    "schedule": {"kind": "constant", "agents": 3},
                }
            ]
        },
    }
    path = tmp / "child.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_cli_writes_a_fragment_a_scenario_extends(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_bytes(export(4, header=CHINESE).encode("gb18030"))
    args = ["calibrate", "--funnel", str(tmp_path / "h.csv"), "--out", str(tmp_path / "f.yaml")]
    result = runner.invoke(app, [*args, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "fitted 672 hours of service data" in result.output
    text = (tmp_path / "f.yaml").read_text(encoding="utf-8")
    assert text.startswith("# generated by promosim calibrate")
    assert "keep_floor:" in text and "# 95% CI [" in text
    s = load_scenario(child_scenario(tmp_path, "f.yaml")).scenario
    assert s.presale is not None and s.channels["chat"].bot is not None
    f = fitted(4, header=CHINESE)
    assert f.conversion is not None and f.inquiry_share is not None and f.containment is not None
    assert s.presale.keep_floor == pytest.approx(f.conversion.floor.value, rel=1e-5)
    assert s.presale.inquiry.rate_per_order == pytest.approx(f.inquiry_share.value, rel=1e-5)
    assert s.channels["chat"].bot.default_containment == pytest.approx(
        f.containment.value, rel=1e-5
    )
    page = (tmp_path / "f.report.html").read_text(encoding="utf-8")
    assert 'id="fig-cal-funnel"' in page and "售前询单转化与机器人" in page
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "exists" in again.output
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output


def test_cli_maps_headers_by_option_and_file(tmp_path: Path) -> None:
    header = ("时间", "询单", "下单", "首次响应时长")
    text = "\n".join(",".join(ln.split(",")[:4]) for ln in export(6, header=header).splitlines())
    (tmp_path / "h.csv").write_text(text + "\n", encoding="utf-8-sig")
    (tmp_path / "map.yaml").write_text(
        yaml.safe_dump({"funnel": {"inquiring_buyers": "询单", "ordering_buyers": "下单"}}),
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "calibrate",
            "--funnel",
            str(tmp_path / "h.csv"),
            "--map-file",
            str(tmp_path / "map.yaml"),
            "--map-funnel",
            "avg_response_seconds=首次响应时长",
            "--funnel-channel",
            "im",
            "--out",
            str(tmp_path / "f.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "keep_per_minute:" in (tmp_path / "f.yaml").read_text(encoding="utf-8")


def test_cli_bad_file_reports_every_problem_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text(
        "hour,inquiring_buyers,ordering_buyers,avg_response_seconds\n"
        "2026-03-02 10:00,10,11,30\n"
        "yesterday,10,2,30\n",
        encoding="utf-8",
    )
    out = tmp_path / "f.yaml"
    result = runner.invoke(
        app, ["calibrate", "--funnel", str(tmp_path / "h.csv"), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "h.csv:2: ordering_buyers: 11 is more than inquiring_buyers (10)" in result.output
    assert "h.csv:3: hour: cannot read 'yesterday' as a time" in result.output
    assert "Traceback" not in result.output and not out.exists()
    for args, message in (
        (["--orders", "o.csv"], "--orders and --contacts go together"),
        ([], "give --orders and --contacts, or --funnel"),
        (["--funnel", str(tmp_path / "h.csv"), "--funnel-channel", "Chat"], "not a channel name"),
    ):
        r = runner.invoke(app, ["calibrate", *args, "--out", str(out)])
        assert r.exit_code == 2 and message in r.output, r.output


def test_with_orders_and_contacts_one_fragment_holds_both_fits() -> None:
    from tests.test_calibrate import CONTACTS, ORDERS

    f = cal.fit(cal.read_exports(ORDERS, CONTACTS))
    ff = fitted(7)
    text = cal.fragment_yaml(f, "o.csv, c.csv", ff, "h.csv")
    data = yaml.safe_load(text)
    assert data == cal.fragment_data(f, ff)
    assert "presale" in data and data["channels"]["chat"]["bot"]["default_containment"] > 0
    assert "# hourly export: h.csv" in text
