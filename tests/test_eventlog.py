"""The event log: the model's orders and contacts in calibrate's formats."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from sim import calibrate as cal
from sim.cli import app
from sim.columns import CONTACT_COLUMNS, ORDER_COLUMNS
from sim.config import Scenario
from sim.demand import generate, orders_by_day
from sim.eventlog import EventLog
from sim.experiment import event_log_of, run_arm
from sim.loading import load_text
from sim.rng import Streams
from tests.test_cli import promo_scenario

runner = CliRunner()


def _promo() -> Scenario:
    data = promo_scenario()
    data["journey"] = {"repeat_probability": 0.5, "redial_probability": 0.5}
    staffing: Any = data["staffing"]
    staffing["groups"][0]["schedule"]["agents"] = 2  # some waiting and abandoning
    return load_text(yaml.safe_dump(data)).scenario


@pytest.fixture(scope="module")
def promo() -> tuple[Scenario, EventLog]:
    s = _promo()
    return s, event_log_of(s)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_orders_of_the_log_are_the_simulated_orders() -> None:
    """orders_by_day: the orders generate draws, a day at a time, with their rows."""
    s = _promo()
    for arm in ("promotion", "baseline"):
        plain = generate(s, Streams(s.seed, 0), arm)
        days = list(orders_by_day(s, Streams(s.seed, 0), arm))
        created = np.concatenate([rows.created_seconds for _, rows in days])
        assert np.array_equal(plain.order_seconds, created)
        assert np.array_equal(plain.order_in_window, np.concatenate([r.in_window for _, r in days]))
        ids = np.concatenate([rows.id for _, rows in days])
        assert ids.size == np.unique(ids).size == created.size
        for end, rows in days:
            # a day's orders are placed before its end, and after the previous day's
            assert np.all(rows.created_seconds < end)
            assert np.all(rows.created_seconds >= end - 86400.0)
            assert np.all(rows.ship_seconds > rows.created_seconds)
            assert np.all(rows.delivery_seconds > rows.ship_seconds)


def test_the_log_holds_what_the_replication_counted(promo: tuple[Scenario, EventLog]) -> None:
    s, log = promo
    orders, contacts = _rows(log.orders_csv), _rows(log.contacts_csv)
    assert tuple(orders[0]) == ORDER_COLUMNS and tuple(contacts[0]) == CONTACT_COLUMNS
    m = run_arm(s, 0).overall
    start = s.calendar.start.strftime("%Y-%m-%d %H:%M:%S")
    assert sum(o["created"] >= start for o in orders) == m["orders"]
    assert len(contacts) == m["contacts"]  # no warm-up: every contact counts
    assert sum(c["answered"] != "" for c in contacts) == m["all.answered"]
    assert sum(c["answered"] == "" and c["ended"] != "" for c in contacts) == m["all.abandoned"]
    assert sum(c["refunded"] == "1" for c in contacts) == m.get("refunds", 0)
    ids = {o["order_id"] for o in orders}
    assert all(c["order_id"] in ids for c in contacts)  # order-driven only: every order known
    arrived = [c["arrived"] for c in contacts]
    assert arrived == sorted(arrived)
    # it reads back without a problem; every issue has at most one CSAT score, on its last
    x = cal.read_exports(log.orders_csv, log.contacts_csv)
    issue, _ = cal._issues(x)
    scored = np.isfinite(x.csat)
    assert scored.any() and np.bincount(issue[scored]).max() == 1
    last = np.zeros(issue.max() + 1)
    np.maximum.at(last, issue, x.arrived)
    assert np.all(x.arrived[scored] == last[issue[scored]])
    assert set(x.csat[scored].tolist()) == {1.0, 5.0}


def test_orders_realise_the_mechanic(promo: tuple[Scenario, EventLog]) -> None:
    s, log = promo
    orders = _rows(log.orders_csv)
    flagged = [o for o in orders if o["promotion"] == "1"]
    plain = [o for o in orders if o["promotion"] == "0"]
    assert flagged and plain
    assert all(o["items"] == "1" and float(o["amount_yuan"]) == 0.0 for o in plain)
    promotion = s.promotion
    assert promotion is not None
    two = np.mean([o["items"] == "2" for o in flagged])
    expected = promotion.eligible_share * promotion.two_unit_intent  # type: ignore[union-attr]
    assert abs(two - expected) < 4 * np.sqrt(expected * (1 - expected) / len(flagged))


def _run(tmp: Path, workers: int) -> Path:
    scenario = tmp / "s.yaml"
    if not scenario.exists():
        scenario.write_text(yaml.safe_dump(promo_scenario()), encoding="utf-8")
    out = tmp / f"run{workers}"
    result = runner.invoke(
        app,
        [
            "run",
            str(scenario),
            "--out",
            str(out),
            "--event-log",
            "--quiet",
            "--workers",
            f"{workers}",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_the_event_log_is_the_same_whatever_the_workers(tmp_path: Path) -> None:
    one, two = _run(tmp_path, 1), _run(tmp_path, 2)
    for name in ("orders.csv", "contacts.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    # without the flag the run folder holds no event log
    plain = tmp_path / "plain"
    result = runner.invoke(
        app, ["run", str(tmp_path / "s.yaml"), "--out", str(plain), "--quiet", "--workers", "1"]
    )
    assert result.exit_code == 0
    assert not (plain / "orders.csv").exists() and not (plain / "contacts.csv").exists()
