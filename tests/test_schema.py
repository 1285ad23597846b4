"""The exported JSON Schema, checked with the independent jsonschema package.

Two schemas: the *file* schema (``promosim schema``, committed as
configs/scenario.schema.json, named by every bundled file's modeline) checks a file as
written, where a file that extends another may leave any field to its parent; the
*resolved* schema is the models' own and checks the scenario after ``extends``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from sim.cli import app
from sim.config import resolved_json_schema, scenario_json_schema
from sim.loading import ScenarioError, load_scenario, load_text
from sim.review import SCHEMA_FILE, init_scenario
from tests.conftest import CONFIGS, SCENARIO_FILES, tiny_scenario

SCHEMA = CONFIGS / SCHEMA_FILE
BUNDLED = SCENARIO_FILES
Validator = jsonschema.Draft202012Validator


def as_json(value: Any) -> Any:
    """YAML data as an editor sees it: dates and times are text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def as_written(path: Path) -> Any:
    # YAML 1.2, as yaml-language-server reads it
    return as_json(YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")))


def errors(schema: dict[str, Any], doc: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in Validator(schema).iter_errors(doc)]


@pytest.fixture(scope="module")
def file_schema() -> dict[str, Any]:
    return scenario_json_schema()


@pytest.fixture(scope="module")
def resolved_schema() -> dict[str, Any]:
    return resolved_json_schema()


def test_the_committed_schema_is_what_promosim_schema_prints() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    assert SCHEMA.read_text(encoding="utf-8") == result.stdout, (
        f"{SCHEMA} is stale: run `promosim schema > configs/{SCHEMA_FILE}`"
    )


def test_both_schemas_are_valid_json_schema(
    file_schema: dict[str, Any], resolved_schema: dict[str, Any]
) -> None:
    Validator.check_schema(file_schema)
    Validator.check_schema(resolved_schema)
    assert file_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_file_schema_requires_nothing(file_schema: dict[str, Any]) -> None:
    # a file that extends another may leave any field, a union's kind included, to it
    text = json.dumps(file_schema)
    assert '"required"' not in text and '"oneOf"' not in text and '"discriminator"' not in text
    assert "extends" in file_schema["properties"]
    assert resolved_json_schema()["required"] == ["channels", "staffing"]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_bundled_file_validates_as_written(path: Path, file_schema: dict[str, Any]) -> None:
    assert errors(file_schema, as_written(path)) == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_bundled_scenario_validates_resolved(
    path: Path, file_schema: dict[str, Any], resolved_schema: dict[str, Any]
) -> None:
    resolved = load_scenario(path).resolved
    assert errors(resolved_schema, resolved) == []
    assert errors(file_schema, resolved) == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_bundled_file_names_the_committed_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (path.parent / first.removeprefix(prefix)).resolve() == SCHEMA.resolve()


def test_a_partial_file_is_not_flagged(tmp_path: Path, file_schema: dict[str, Any]) -> None:
    # the fields a campaign file changes, everything else (kind and start included) from
    # the parent: the editor must stay quiet, and the loader agrees it is a good file
    text = (
        f"extends: {CONFIGS / 'second_item_1yuan.yaml'}\n"
        "name: my-campaign\n"
        "promotion:\n"
        "  order_uplift: 1.6\n"
        "  end: 2026-11-13T00:00:00\n"
        "channels:\n"
        "  chat:\n"
        "    concurrency: 4\n"
        "    handle_time_seconds: {mean: 500}\n"
    )
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    assert errors(file_schema, as_written(path)) == []
    loaded = load_scenario(path)
    assert loaded.scenario.channels["chat"].concurrency == 4
    assert loaded.scenario.channels["chat"].handle_time_seconds.dist == "lognormal"


WRONG: dict[str, dict[str, Any]] = {
    "an unknown field": {"concurrency_cap": 3},
    "a misspelt nested field": {"calendar": {"dayz": 3}},
    "a number out of range": {"replications": 0},
    "a wrong type": {"seed": "seven"},
    "an unknown distribution": {
        "channels": {"phone": {"handle_time_seconds": {"dist": "weibull", "mean": 300}}}
    },
    "an unknown promotion kind": {
        "promotion": {"kind": "buy_one_get_two", "start": "2026-11-01", "end": "2026-11-02"}
    },
    "a field of another promotion kind": {
        "promotion": {
            "kind": "flash_sale",
            "start": "2026-11-01T00:00:00",
            "end": "2026-11-01T02:00:00",
            "second_item_price_yuan": 1,
        }
    },
    "a newer file format": {"schema_version": 2},
}


@pytest.mark.parametrize("change", list(WRONG), ids=list(WRONG))
def test_wrong_documents_are_rejected_by_both(
    change: str, file_schema: dict[str, Any], resolved_schema: dict[str, Any]
) -> None:
    doc = tiny_scenario()
    for key, value in WRONG[change].items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    assert errors(file_schema, doc), "the file schema accepts it"
    assert errors(resolved_schema, doc), "the resolved schema accepts it"
    with pytest.raises(ScenarioError):
        load_text(json.dumps(doc), name="wrong.yaml")


def test_the_tiny_scenario_is_accepted_by_all_three(
    file_schema: dict[str, Any], resolved_schema: dict[str, Any]
) -> None:
    # the control for the test above: only the change makes those documents wrong
    doc = tiny_scenario()
    assert errors(file_schema, doc) == []
    assert errors(resolved_schema, doc) == []
    load_text(json.dumps(doc), name="tiny.yaml")


def test_local_date_times_pass_and_garbage_does_not(file_schema: dict[str, Any]) -> None:
    for good in ("2026-11-01T00:00:00", "2026-11-01 08:30", "2026-11-01"):
        assert errors(file_schema, {"calendar": {"start": good}}) == [], good
    assert errors(file_schema, {"calendar": {"start": "next tuesday"}})


def test_init_writes_the_modeline(tmp_path: Path) -> None:
    dest = tmp_path / "campaigns" / "double-11.yaml"
    text = init_scenario("double-11", "flash_sale", CONFIGS, dest)
    first = text.splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (dest.parent / first.removeprefix(prefix)).resolve() == SCHEMA.resolve()
    dest.parent.mkdir()
    dest.write_text(text, encoding="utf-8")
    assert errors(scenario_json_schema(), as_written(dest)) == []
