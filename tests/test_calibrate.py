"""Calibration: round trip on the model's own event log, censored patience, bad exports, CLI."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from sim import calibrate as cal
from sim.calibrate import Estimate, ExportError, Fit
from sim.cli import app
from sim.config import Distribution, Exponential, Lognormal, Scenario
from sim.experiment import event_log_of
from sim.loading import load_scenario, load_text

runner = CliRunner()


def scenario_data(**over: Any) -> dict[str, Any]:
    """Four weeks of orders, two after-sale reasons, phone and chat, a congested rota."""
    data: dict[str, Any] = {
        "name": "roundtrip",
        "calendar": {"start": "2026-03-02T00:00:00", "days": 28, "interval_minutes": 30},
        "seed": 11,
        "replications": 1,
        "orders": {
            "per_day": 1000,
            "weekday_factors": [1.2, 1, 1, 1, 1, 0.9, 0.9],
            "intraday_profile": [1] * 8 + [3] * 8 + [5] * 8,
            "lead_in_days": 3,
            "item_price_yuan": 50,
        },
        "fulfilment": {
            "ship_delay_hours": {"dist": "lognormal", "median": 20, "sigma": 0.5},
            "transit_delay_hours": {"dist": "lognormal", "median": 40, "sigma": 0.4},
        },
        "contact_reasons": [
            {
                "name": "wismo",
                "rate_per_order": 0.1,
                "anchor": "ship",
                "lag_hours": {"dist": "lognormal", "median": 30, "sigma": 0.6},
                "channel_mix": {"chat": 0.7, "phone": 0.3},
                "handle_time_factor": 0.7,
                "resolution_probability": 0.8,
            },
            {
                "name": "returns",
                "rate_per_order": 0.06,
                "anchor": "delivery",
                "lag_hours": {"dist": "lognormal", "median": 48, "sigma": 0.8},
                "channel_mix": {"chat": 0.5, "phone": 0.5},
                "handle_time_factor": 1.4,
                "resolution_probability": 0.6,
            },
        ],
        "channels": {
            "phone": {
                "handle_time_seconds": {"dist": "lognormal", "mean": 300, "cv": 0.8},
                "patience_seconds": {"dist": "exponential", "mean": 150},
                "service_level_seconds": 20,
            },
            "chat": {
                "handle_time_seconds": {"dist": "lognormal", "mean": 400, "cv": 1.0},
                "patience_seconds": {"dist": "exponential", "mean": 300},
                "concurrency": 2,
                "service_level_seconds": 180,
            },
        },
        "staffing": {
            "groups": [
                {
                    "name": "a",
                    "channels": ["phone", "chat"],
                    "schedule": {"kind": "constant", "agents": 1},
                }
            ]
        },
        "journey": {
            "repeat_probability": 0.5,
            "redial_probability": 0.4,
            "repeat_lag_hours": {"dist": "exponential", "mean": 6},
            "redial_lag_minutes": {"dist": "exponential", "mean": 20},
        },
    }
    data.update(over)
    return data


def _second_set() -> dict[str, Any]:
    """Other volumes, shapes, anchors (a pre-sale question before the order), families."""
    d = scenario_data(seed=23)
    d["orders"].update(
        per_day=700,
        weekday_factors=[1, 1, 1.1, 1, 1.3, 0.8, 0.7],
        intraday_profile=[2] * 12 + [4] * 12,
    )
    d["fulfilment"]["ship_delay_hours"] = {"dist": "lognormal", "median": 8, "sigma": 0.9}
    d["contact_reasons"] = [
        {
            "name": "presale",
            "rate_per_order": 0.08,
            "anchor": "order",
            "before_anchor": True,
            "lag_hours": {"dist": "lognormal", "median": 3, "sigma": 1.0},
            "channel_mix": {"chat": 0.9, "phone": 0.1},
            "handle_time_factor": 0.5,
            "resolution_probability": 0.95,
        },
        {
            "name": "damage",
            "rate_per_order": 0.05,
            "anchor": "delivery",
            "lag_hours": {"dist": "exponential", "mean": 20},
            "channel_mix": {"phone": 1.0},
            "handle_time_factor": 1.5,
            "resolution_probability": 0.5,
        },
    ]
    d["channels"]["phone"]["patience_seconds"] = {"dist": "exponential", "mean": 90}
    d["journey"].update(repeat_probability=0.3, redial_probability=0.6)
    d["satisfaction"] = {"b0": 0.3, "b_resolved": 1.5, "b_wait_per_minute": 0.5, "b_repeat": 1.0}
    return d


def _third_set() -> dict[str, Any]:
    """A bigger shop on phone only, two agents, short lags from the order."""
    d = scenario_data(seed=5)
    d["orders"].update(per_day=1500, weekday_factors=[1] * 7, intraday_profile=[1] * 24)
    d["contact_reasons"] = [
        {
            "name": "change",
            "rate_per_order": 0.05,
            "anchor": "order",
            "lag_hours": {"dist": "lognormal", "median": 2, "sigma": 0.7},
            "channel_mix": {"phone": 1.0},
            "handle_time_factor": 1.0,
            "resolution_probability": 0.7,
        },
    ]
    d["channels"] = {"phone": d["channels"]["phone"]}
    d["channels"]["phone"]["handle_time_seconds"] = {
        "dist": "lognormal",
        "median": 200,
        "sigma": 0.5,
    }
    d["staffing"]["groups"][0].update(
        channels=["phone"], schedule={"kind": "constant", "agents": 1}
    )
    d["journey"].update(repeat_probability=0.4, redial_probability=0.3)
    return d


PARAMETER_SETS = {"two-reasons": scenario_data, "presale": _second_set, "phone-only": _third_set}


def _scenario(data: dict[str, Any]) -> Scenario:
    return load_text(yaml.safe_dump(data)).scenario


def _fit_of(s: Scenario) -> Fit:
    log = event_log_of(s)
    return cal.fit(cal.read_exports(log.orders_csv, log.contacts_csv), s.satisfaction)


def _mean(d: Distribution) -> float:
    assert isinstance(d, Exponential)
    return d.mean


def _checks(s: Scenario, f: Fit) -> list[tuple[str, Estimate, float]]:
    """(parameter, fitted, truth) for every parameter the fit claims to recover."""
    out: list[tuple[str, Estimate, float]] = []
    o = s.orders
    assert o is not None and f.orders is not None
    weights = np.asarray(o.intraday_profile) / sum(o.intraday_profile)
    for w, e in enumerate(f.orders.weekday_means):
        assert e is not None
        out.append((f"orders.weekday_mean.{w}", e, o.per_day * o.weekday_factors[w]))
    for h, e in enumerate(f.orders.intraday_share):
        out.append((f"orders.intraday.{h}", e, float(weights[h])))
    for name, (median, sigma) in f.fulfilment.items():
        d = getattr(s.fulfilment, name)
        assert isinstance(d, Lognormal)
        mu, sg = d.mu_sigma
        out += [(f"{name}.median", median, math.exp(mu)), (f"{name}.sigma", sigma, sg)]
    reasons = {r.name: r for r in s.contact_reasons}
    channels = list(s.channels)
    for r in f.reasons:
        truth = reasons[r.name]
        assert r.lag is not None and r.rate_per_order is not None, r.name
        # the best anchor and family are the true ones
        assert (r.lag.anchor, r.lag.family, r.lag.before) == (
            truth.anchor,
            truth.lag_hours.dist,
            truth.before_anchor,
        ), r.name
        out.append((f"{r.name}.rate_per_order", r.rate_per_order, truth.rate_per_order))
        lag = truth.lag_hours
        if isinstance(lag, Lognormal):
            mu, sg = lag.mu_sigma
            out.append((f"{r.name}.lag.median", r.lag.params["median"], math.exp(mu)))
            out.append((f"{r.name}.lag.sigma", r.lag.params["sigma"], sg))
        else:
            out.append((f"{r.name}.lag.mean", r.lag.params["mean"], _mean(lag)))
        for c, e in r.channel_mix.items():
            out.append((f"{r.name}.mix.{c}", e, truth.channel_mix.get(c, 0.0)))
        assert r.resolution is not None
        out.append((f"{r.name}.resolution", r.resolution, truth.resolution_probability))
    for c, hf in f.handle.items():
        d = s.channels[c].handle_time_seconds
        assert isinstance(d, Lognormal)
        mu, sg = d.mu_sigma
        out.append((f"{c}.handle.sigma", hf.sigma, sg))
        for reason, e in hf.cell_median.items():
            factor = reasons[reason].handle_time_factor
            out.append((f"{c}.handle.median.{reason}", e, math.exp(mu) * factor))
    for c, p in f.patience.items():
        true_patience = s.channels[c].patience_seconds
        assert true_patience is not None and channels
        out.append((f"{c}.patience.mean", p.mean, _mean(true_patience)))
    j = s.journey
    assert f.repeat is not None and f.redial is not None
    assert f.repeat_lag_hours is not None and f.redial_lag_minutes is not None
    out += [
        ("journey.repeat", f.repeat, j.repeat_probability),
        ("journey.repeat_lag_hours", f.repeat_lag_hours, _mean(j.repeat_lag_hours)),
        ("journey.redial_lag_minutes", f.redial_lag_minutes, _mean(j.redial_lag_minutes)),
    ]
    out.append(("journey.redial", f.redial, j.redial_probability))
    assert f.csat is not None
    for term, e in f.csat.coef.items():
        out.append((f"satisfaction.{term}", e, getattr(s.satisfaction, term)))
    return out


@pytest.fixture(scope="module")
def round_trips() -> dict[str, tuple[Scenario, Fit]]:
    out = {}
    for name, make in PARAMETER_SETS.items():
        s = _scenario(make())
        out[name] = (s, _fit_of(s))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PARAMETER_SETS))
def test_round_trip_recovers_every_parameter_within_its_interval(
    round_trips: dict[str, tuple[Scenario, Fit]], name: str
) -> None:
    s, f = round_trips[name]
    checks = _checks(s, f)
    assert len(checks) >= 40
    # every estimate within 4 standard errors of the truth (a 95% interval would miss a few
    # of ~50 by chance; a bias of a few standard errors would not pass) …
    far = [
        f"{k}: fitted {e.value:.4g} [{e.lo:.4g}, {e.hi:.4g}] truth {t:.4g}"
        for k, e, t in checks
        if not e.covers(t, z=4.0)
    ]
    assert not far, far
    # … and the 95% intervals cover the truth about 95% of the time
    inside = np.mean([e.covers(t) for _, e, t in checks])
    assert inside >= 0.85, inside


def test_round_trip_intervals_cover_at_their_nominal_rate(
    round_trips: dict[str, tuple[Scenario, Fit]],
) -> None:
    checks = [c for s, f in round_trips.values() for c in _checks(s, f)]
    inside = np.mean([e.covers(t) for _, e, t in checks])
    assert 0.88 <= inside <= 1.0, (inside, len(checks))


def _patience_scenario(agents: int) -> Scenario:
    data = {
        "name": "patience",
        "calendar": {"start": "2026-03-02T00:00:00", "days": 7},
        "seed": 3,
        "replications": 1,
        "arrivals": [{"kind": "poisson", "channel": "phone", "contacts_per_hour": 60}],
        "channels": {
            "phone": {
                "handle_time_seconds": {"dist": "exponential", "mean": 240},
                "patience_seconds": {"dist": "exponential", "mean": 300},
                "service_level_seconds": 20,
            }
        },
        "staffing": {
            "groups": [
                {
                    "name": "a",
                    "channels": ["phone"],
                    "schedule": {"kind": "constant", "agents": agents},
                }
            ]
        },
    }
    return _scenario(data)


def test_censored_patience_mle_recovers_the_mean_the_naive_mean_does_not() -> None:
    s = _patience_scenario(agents=5)  # offered load 4 erlangs on 5 agents: most answered
    p = _fit_of(s).patience["phone"]
    assert p.censored > 5 * p.abandoned > 0  # heavy censoring
    assert p.mean.covers(300.0)
    # the abandoners are those who ran out soonest: their mean wait is far below the mean
    # patience and far outside the MLE's interval
    assert p.naive_mean < 0.5 * 300.0
    assert p.naive_mean < p.mean.lo
    # the Kaplan–Meier curve follows the exponential it recovers
    assert p.km_gap < 0.05
    assert p.km_survival[0] == 1.0 and np.all(np.diff(p.km_survival) <= 0)


# --------------------------------------------------------------------------- bad exports

ORDERS = (
    "order_id,created,items,amount_yuan,promotion,shipped,delivered\n"
    "1,2026-03-02 10:00:00,1,50,0,2026-03-03 10:00:00,2026-03-05 10:00:00\n"
    "2,2026-03-02 11:00:00,1,50,0,,\n"
)
CONTACTS = (
    "contact_id,order_id,customer_id,channel,reason,arrived,answered,ended,resolved,csat\n"
    "1,1,1,chat,wismo,2026-03-04 09:00:00,2026-03-04 09:00:30,2026-03-04 09:05:00,1,5\n"
    "2,2,2,phone,wismo,2026-03-04 10:00:00,,2026-03-04 10:01:00,,\n"
    "3,,9,phone,general,2026-03-04 11:00:00,,,,\n"
    "4,77,8,phone,wismo,2026-03-04 12:00:00,2026-03-04 12:00:10,2026-03-04 12:03:00,0,\n"
)


def test_good_exports_read_with_every_exclusion_counted() -> None:
    x = cal.read_exports(ORDERS, CONTACTS)
    assert x.contact_order.tolist() == [0, 1, -1, -2]
    f = cal.fit(x)
    excluded = f.excluded
    assert (
        excluded["contacts still waiting at the export's end (censored at its end in patience)"]
        == 1
    )
    assert excluded["issues whose order_id is not in orders.csv (not in rates and lags)"] == 1
    assert excluded["issues without an order (direct contacts: not in rates and lags)"] == 1
    assert excluded["orders without shipped (not in ship_delay_hours)"] == 1
    # patience: the still-waiting contact is censored at the window's end (next midnight)
    phone = f.patience["phone"]
    assert phone.abandoned == 1 and phone.censored == 2
    assert phone.mean.value == pytest.approx((60 + 13 * 3600 + 10) / 1)


def test_malformed_exports_report_every_problem_with_its_line() -> None:
    bad_orders = ORDERS.replace("2026-03-02 11:00:00", "yesterday").replace(
        "1,2026-03-02 10:00:00,1,50,0", "1,2026-03-02 10:00:00,one,50,2"
    )
    bad_contacts = (
        CONTACTS.replace("2026-03-04 09:00:30", "2026-03-04 08:00:00")  # answered before arrived
        + "4,1,1,chat,wismo,2026-03-05 09:00:00,,,,\n"  # repeated id
    )
    with pytest.raises(ExportError) as e:
        cal.read_exports(bad_orders, bad_contacts)
    text = str(e.value)
    assert "orders.csv:2: items: cannot read 'one' as a number" in text
    assert "orders.csv:2: promotion: '2' is not one of 0, 1" in text
    assert "orders.csv:3: created: cannot read 'yesterday' as a time" in text
    assert "contacts.csv:2: answered: before arrived" in text
    assert "contacts.csv:6: contact_id: '4' repeats the id of line 5" in text
    assert len(e.value.problems) == 5


def test_line_numbers_survive_blank_lines_and_short_rows_are_problems() -> None:
    lines = CONTACTS.splitlines()
    text = "\n".join([lines[0], lines[1], "", lines[2] + ",x", lines[3]])
    text += "\n5,1,1,chat\n"
    with pytest.raises(ExportError) as e:
        cal.read_exports(ORDERS, text)
    assert e.value.problems == [
        "contacts.csv:4: has 11 cells, the header 10 (a stray comma or quote?)",
        "contacts.csv:6: has 4 cells, the header 10 (a stray comma or quote?)",
        "contacts.csv:6: arrived: empty",
        "contacts.csv:6: reason: empty",
    ]
    with pytest.raises(ExportError, match=r"contacts\.csv: no data rows: nothing to fit"):
        cal.read_exports(ORDERS, CONTACTS.splitlines()[0])


def test_missing_columns_are_named_and_mapping_finds_renamed_ones() -> None:
    renamed = CONTACTS.replace("arrived", "进线时间").replace("contact_id", "会话ID")
    with pytest.raises(ExportError) as e:
        cal.read_exports(ORDERS, renamed)
    assert "contacts.csv:1: missing column 'contact_id'" in str(e.value)
    assert "contacts.csv:1: missing column 'arrived'" in str(e.value)
    m = cal.column_map(
        {"contacts": {"contact_id": "会话ID"}, "channels": {"chat": "online"}},
        map_contacts=["arrived=进线时间"],
    )
    x = cal.read_exports(ORDERS, renamed, m)
    assert x.channel[0] == "online"
    assert x.arrived.tolist() == cal.read_exports(ORDERS, CONTACTS).arrived.tolist()
    with pytest.raises(ExportError, match="--map-orders: 'created' is not column=header"):
        cal.column_map(map_orders=["created"])


# --------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder with --event-log of a small version of the first parameter set."""
    root = tmp_path_factory.mktemp("cal")
    d = scenario_data()
    d["calendar"]["days"] = 14
    (root / "s.yaml").write_text(yaml.safe_dump(d), encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "run",
            str(root / "s.yaml"),
            "--out",
            str(root / "run"),
            "--event-log",
            "--quiet",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    return root


def test_calibrate_writes_a_fragment_a_scenario_extends_and_a_report(exported: Path) -> None:
    run = exported / "run"
    out = exported / "fitted.yaml"
    args = [
        "calibrate",
        "--orders",
        str(run / "orders.csv"),
        "--contacts",
        str(run / "contacts.csv"),
        "--out",
        str(out),
    ]
    result = runner.invoke(app, [*args, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "excluded:" in result.output
    text = out.read_text(encoding="utf-8")
    assert "# 95% CI [" in text
    child = copy.deepcopy(scenario_data())
    for key in ("orders", "contact_reasons", "fulfilment", "journey"):
        del child[key]
    for c in child["channels"].values():
        del c["handle_time_seconds"], c["patience_seconds"]
    child["extends"] = "fitted.yaml"
    (exported / "child.yaml").write_text(
        yaml.safe_dump(child, allow_unicode=True), encoding="utf-8"
    )
    s = load_scenario(exported / "child.yaml").scenario
    assert s.orders is not None and 950 < s.orders.per_day < 1050
    assert {r.name for r in s.contact_reasons} == {"wismo", "returns"}
    assert s.channels["phone"].patience_seconds is not None
    page = (exported / "fitted.report.html").read_text(encoding="utf-8")
    for div in ("orders", "intraday", "lags", "handle", "patience", "csat"):
        assert f'id="fig-cal-{div}"' in page
    assert "校准报告" in page
    # nothing is overwritten
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "exists" in again.output


def test_calibrate_bad_exports_exit_2_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    (tmp_path / "c.csv").write_text(
        CONTACTS.replace("2026-03-04 09:00:30", "2026-03-04 08:00:00"), encoding="utf-8"
    )
    result = runner.invoke(
        app,
        [
            "calibrate",
            "--orders",
            str(tmp_path / "o.csv"),
            "--contacts",
            str(tmp_path / "c.csv"),
            "--out",
            str(tmp_path / "f.yaml"),
        ],
    )
    assert result.exit_code == 2
    assert "c.csv:2: answered: before arrived" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "f.yaml").exists()


def test_calibrate_reads_gbk_exports_with_mapped_headers(exported: Path, tmp_path: Path) -> None:
    run = exported / "run"
    orders = (run / "orders.csv").read_text(encoding="utf-8").replace("created", "下单时间", 1)
    (tmp_path / "o.csv").write_bytes(orders.encode("gb18030"))
    (tmp_path / "map.yaml").write_text(
        yaml.safe_dump({"orders": {"created": "下单时间"}}, allow_unicode=True), encoding="utf-8"
    )
    result = runner.invoke(
        app,
        [
            "calibrate",
            "--orders",
            str(tmp_path / "o.csv"),
            "--contacts",
            str(run / "contacts.csv"),
            "--out",
            str(tmp_path / "f.yaml"),
            "--map-file",
            str(tmp_path / "map.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    plain = runner.invoke(
        app,
        [
            "calibrate",
            "--orders",
            str(run / "orders.csv"),
            "--contacts",
            str(run / "contacts.csv"),
            "--out",
            str(tmp_path / "g.yaml"),
        ],
    )
    assert plain.exit_code == 0, plain.output

    def body(name: str) -> list[str]:  # all but the line naming the exports
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        return [ln for ln in lines if not ln.startswith("# exports:")]

    assert body("f.yaml") == body("g.yaml")


def test_the_fit_report_speaks_both_languages(exported: Path) -> None:
    from sim.report import CAL_LABELS, LABELS, build_calibration_report

    for key, texts in CAL_LABELS.items():
        assert LABELS[key] == texts and texts["en"] != texts["zh"], key
    run = exported / "run"
    f = cal.fit(cal.load_exports(run / "orders.csv", run / "contacts.csv"))
    en, zh = build_calibration_report(f, "en"), build_calibration_report(f, "zh")
    assert "Goodness of fit" in en and "拟合优度" in zh and "Goodness of fit" not in zh
    assert build_calibration_report(f, "en") == en  # deterministic


def test_the_fit_report_s_figures_are_written_as_plotly_takes_them(exported: Path) -> None:
    import plotly.io as pio

    from sim.report import build_calibration_report
    from tests.test_funnel import fitted
    from tests.test_report_figures import _page_figures

    run = exported / "run"
    f = cal.fit(cal.load_exports(run / "orders.csv", run / "contacts.csv"))
    figures: dict[str, Any] = {}
    page = build_calibration_report(f, "en", fitted(3), figures=figures)
    assert page == build_calibration_report(f, "en", fitted(3))
    written = _page_figures(page)
    assert written.keys() == figures.keys() and "fig-cal-funnel" in written
    for div_id, fig in figures.items():  # plotly validated each: it changed nothing
        assert written[div_id] == json.loads(pio.to_json(fig, validate=False)), div_id


def test_a_flat_likelihood_gives_an_unbounded_interval_not_an_overflow() -> None:
    """A flat likelihood's interval is unbounded above, not an OverflowError.

    A lag whose window hides its scale (few, short lags, an exponential) has a huge
    log-scale estimate and standard error, and e**x of them is beyond a float.
    """
    e = cal._log_wald(50.0, 400.0, 12)
    assert e.value == pytest.approx(math.exp(50.0)) and e.lo < 1e-300 and e.hi == math.inf
    assert cal._log_wald(800.0, 1.0, 12).value == math.inf
