"""Plausibility warnings: a slip's value at its file:line with the source of its range."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim import plausibility
from sim.cli import app
from sim.loading import SET, load_scenario, load_text
from tests.conftest import SCENARIO_FILES, tiny_scenario
from tests.test_cli import promo_scenario

runner = CliRunner()


def _promo(**promotion: Any) -> dict[str, Any]:
    data: dict[str, Any] = promo_scenario()
    data["promotion"].update(promotion)
    return data


def _weekdays(factors: list[float]) -> dict[str, Any]:
    data: dict[str, Any] = promo_scenario()
    data["orders"]["weekday_factors"] = factors
    return data


def _chat(concurrency: int) -> dict[str, Any]:
    data: dict[str, Any] = promo_scenario()
    data["channels"]["chat"]["concurrency"] = concurrency
    return data


def _shrinkage(share: float) -> dict[str, Any]:
    data = tiny_scenario()
    data["staffing"]["shrinkage"] = share
    return data


def _one_agent() -> dict[str, Any]:
    data = tiny_scenario()  # 30 calls/h × 300 s: 2.5 agents' work on 1 agent
    data["staffing"]["groups"][0]["schedule"]["agents"] = 1
    return data


# (scenario, the field warned about, the text of its line, what the message must say)
CASES = {
    "uplift as a percentage": (
        _promo(order_uplift=50),
        "promotion.order_uplift",
        "order_uplift: 50",
        [
            "50 is outside 1–17 (11.11 brings ×17",
            "[C], docs/model.md#contact-rates)",
            "+50% is 1.5",
        ],
    ),
    "peak day above the range": (
        _promo(peak_day="2026-11-03", peak_day_factor=40),
        "promotion.peak_day_factor",
        "peak_day_factor: 40",
        ["40 is outside 3–20 (dabeicloud [C], docs/model.md#timing)"],
    ),
    "weekday factor as a percentage": (
        _weekdays([1.0, 1.0, 120.0, 1.0, 1.0, 1.0, 1.0]),
        "orders.weekday_factors.2",
        "- 120.0",
        ["120 is outside 0.5–1.4 (", "[C], docs/model.md#timing)", "120% is 1.2"],
    ),
    "transit factor": (
        _promo(transit_delay_factor=5.0),
        "promotion.transit_delay_factor",
        "transit_delay_factor: 5.0",
        ["5 is outside 1–2 (", "[B], docs/model.md#timing)"],
    ),
    "chat concurrency": (
        _chat(8),
        "channels.chat.concurrency",
        "concurrency: 8",
        ["8 is outside 1–5 (", "[C]; Goes et al. 2018 [A], docs/model.md#handling)"],
    ),
    "shrinkage": (
        _shrinkage(0.5),
        "staffing.shrinkage",
        "shrinkage: 0.5",
        ["0.5 is outside 0–0.35 (", "[C], docs/model.md#shrinkage)"],
    ),
    "far too few agents": (
        _one_agent(),
        "staffing.groups",
        "groups:",
        ["far too few agents", "2.5×", "0.75–0.9 (target occupancy [C], docs/model.md#handling)"],
    ),
}


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _line(path: Path, text: str) -> int:
    (line,) = [k for k, x in enumerate(path.read_text().splitlines(), 1) if x.strip() == text]
    return line


@pytest.mark.parametrize("case", list(CASES))
def test_each_warning_names_its_line_and_the_source_of_its_range(case: str, tmp_path: Path) -> None:
    data, field, line_text, says = CASES[case]
    path = _write(tmp_path / "slip.yaml", data)
    (warning,) = load_scenario(path).warnings
    assert (warning.file, warning.path) == (str(path), field)
    assert warning.line == _line(path, line_text)
    for words in says:
        assert words in warning.message, warning.message


def test_contacts_and_no_agent_are_told_so(tmp_path: Path) -> None:
    data = _one_agent()
    data["staffing"]["groups"][0]["schedule"]["agents"] = 0
    (warning,) = load_scenario(_write(tmp_path / "none.yaml", data)).warnings
    assert warning.path == "staffing.groups" and "no agent is scheduled" in warning.message


def test_a_warning_set_on_the_command_line_is_located_there(tmp_path: Path) -> None:
    path = _write(tmp_path / "promo.yaml", promo_scenario())
    assert load_scenario(path).warnings == ()
    (warning,) = load_scenario(path, ["promotion.order_uplift=50"]).warnings
    assert (warning.file, warning.line, warning.path) == (SET, None, "promotion.order_uplift")


def test_no_bundled_scenario_warns() -> None:
    for path in SCENARIO_FILES:
        assert load_scenario(path).warnings == (), path


def test_the_load_per_agent_is_the_first_contacts_work_on_the_agents_time() -> None:
    s = load_text(yaml.safe_dump(tiny_scenario())).scenario
    # 30 calls an hour of 300 s on 3 agents (no orders, no repeats): 2.5 Erlang on 3 agents
    assert plausibility.load_per_agent(s) == pytest.approx(2.5 / 3)


def test_validate_and_run_print_warnings_on_stderr_and_keep_the_exit_code(tmp_path: Path) -> None:
    folder = tmp_path / "team\x1b[2J"
    folder.mkdir()
    path = _write(folder / "slip.yaml", _shrinkage(0.5))
    checked = runner.invoke(app, ["validate", str(path)])
    assert checked.exit_code == 0, checked.output
    line = _line(path, "shrinkage: 0.5")
    assert f"warning: {tmp_path}/team\\x1b[2J/slip.yaml:{line}: staffing.shrinkage: 0.5" in (
        checked.stderr
    )
    assert "\x1b" not in checked.stderr and ": ok " in checked.stdout
    plain = _write(tmp_path / "slip.yaml", _shrinkage(0.5))
    ran = runner.invoke(app, ["run", str(plain), "--out", str(tmp_path / "run"), "--workers", "1"])
    assert ran.exit_code == 0, ran.output
    assert "warning: " in ran.stderr and "staffing.shrinkage" in ran.stderr
