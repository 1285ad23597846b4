"""The commands layer called directly (no CliRunner), and the run-folder format's owner.

Each simulating command returns its folder's contents before anything is written; every kind
of folder, once written, holds exactly the files :data:`sim.outputs.FOLDERS` declares, with
the declared columns; readers take a folder's kind from its manifest.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim import commands, review
from sim.commands import BadInput, Folder, Listener, Options, Out
from sim.compare import Comparison
from sim.experiment import RunResult
from sim.loading import LoadedScenario, load_scenario
from sim.outputs import FOLDERS, MANIFEST, REPORT, TOOL, WORKBOOK, folder_kind, header
from tests.conftest import CONFIGS, tiny_scenario

ONE = Options(workers=1, command=("promosim", "test"))
"""One worker in this process; the command line the manifests record."""


class Heard(Listener):
    """Everything a command tells its user."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.stages: list[tuple[str, int]] = []
        self.advanced = 0
        self.stopped = 0
        self.folders: list[Path] = []

    def say(self, line: str) -> None:
        self.lines.append(line)

    def start(self, description: str, total: int) -> None:
        self.stages.append((description, total))

    def advance(self) -> None:
        self.advanced += 1

    def stop(self) -> None:
        self.stopped += 1

    def written(self, folder: Path) -> None:
        self.folders.append(folder)


def write_yaml(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> LoadedScenario:
    return load_scenario(write_yaml(tmp_path / "tiny.yaml", tiny_scenario()))


def more_agents(tmp_path: Path) -> LoadedScenario:
    data = tiny_scenario(name="more", seed=8)
    data["staffing"]["groups"][0]["schedule"]["agents"] = 6
    return load_scenario(write_yaml(tmp_path / "more.yaml", data))


# --------------------------------------------------------------------------- contents


def test_run_returns_its_folder_before_writing_it(tiny: LoadedScenario, tmp_path: Path) -> None:
    heard = Heard()
    out = Out(tmp_path / "run")
    folder = commands.run(tiny, out=out, options=ONE, listener=heard)
    assert isinstance(folder, Folder) and isinstance(folder.result, RunResult)
    assert folder.kind == "run" and folder.target == out.folder
    assert not out.folder.exists()  # contents only: nothing written yet
    assert (*folder.files, WORKBOOK) == FOLDERS["run"].files  # the workbook: when written
    assert folder.manifest["tool"] == TOOL and folder.manifest["kind"] == "run"
    assert folder.manifest["command"] == ["promosim", "test"]
    assert folder.manifest["config_hash"] == tiny.hash
    summary = json.loads(str(folder.files["summary.json"]))
    assert summary["replications"] == 2 == len(folder.result.replications)
    assert heard.stages == [("tiny: replications", 2)]
    assert heard.advanced == 2 and heard.stopped == 1
    # the replications wait in the cache beside --out until the folder is written
    assert list((tmp_path / ".promosim-cache").glob("*/rep-*.npz"))
    written = commands.write(folder, heard)
    assert written == out.folder and heard.folders == [written]
    assert not (tmp_path / ".promosim-cache").exists()
    for name, content in folder.files.items():
        assert (written / name).read_text(encoding="utf-8") == content


def test_compare_notes_the_seed_it_imposes_and_returns_the_comparison(
    tiny: LoadedScenario, tmp_path: Path
) -> None:
    heard = Heard()
    folder = commands.compare(
        [tiny, more_agents(tmp_path)], out=Out(tmp_path / "cmp"), options=ONE, listener=heard
    )
    assert isinstance(folder.result, Comparison)
    assert folder.result.arms == ("tiny", "more")
    assert any(line.startswith("note: more (") and "seed 8 → 7" in line for line in heard.lines)
    assert heard.stages == [("compare: replications", 4)] and heard.advanced == 4
    arms = json.loads(str(folder.files["arms.json"]))
    assert arms["arms"] == ["tiny", "more"] and arms["hashes"]["tiny"] == tiny.hash
    assert REPORT not in folder.files  # built from the other files as the folder is written
    assert folder.manifest["kind"] == "compare"


def test_sweep_and_staff_return_what_they_show(tiny: LoadedScenario, tmp_path: Path) -> None:
    swept = commands.sweep(
        tiny.source,
        ["staffing.groups.0.schedule.agents=2,4"],
        one_at_a_time=True,
        metric="phone.asa_seconds",
        out=Out(tmp_path / "sw"),
        options=ONE,
    )
    assert [b.path for b in swept.result.bars] == ["staffing.groups.0.schedule.agents"]
    tornado = json.loads(str(swept.files["tornado.json"]))
    assert tornado["metric"] == "phone.asa_seconds"
    assert tornado["bars"][0]["swing"] == swept.result.bars[0].swing
    heard = Heard()
    staffed = commands.staff(
        tiny, ["phone.service_level>=0.8"], out=Out(tmp_path / "st"), options=ONE, listener=heard
    )
    assert staffed.result.plan.met and [str(t) for t in staffed.result.targets] == [
        "phone.service_level>=0.8"
    ]
    assert set(staffed.result.blocks["agents"]) == {"extra_shifts", "schedule"}
    # the first stage measures the load; each later one names the scenario
    assert heard.stages[0] == ("load", 2)
    assert all(d.startswith("tiny: ") for d, _ in heard.stages[1:]) and heard.stages[1:]
    assert json.loads(str(staffed.files["staffing.json"]))["met"] is True


def test_bad_input_is_an_exception_with_the_message(tiny: LoadedScenario, tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    with pytest.raises(BadInput, match="folder exists and is not empty"):
        commands.run(tiny, out=Out(taken), options=ONE)
    with pytest.raises(BadInput, match=r"--backend: 'gpu' is not local or dask"):
        commands.run(tiny, out=Out(tmp_path / "a"), options=Options(workers=1, backend="gpu"))
    with pytest.raises(BadInput, match="--target"):
        commands.staff(tiny, ["phone.service_level<=0.8"], options=ONE)
    with pytest.raises(BadInput, match="--vary"):
        commands.sweep(tiny.source, ["staffing.groups.0.schedule.agents"], options=ONE)
    with pytest.raises(BadInput, match="--lang"):
        commands.check_lang("fr")
    with pytest.raises(BadInput, match="at least 1 agent"):
        commands.erlang(30, 300, "0:2", None, 20)
    assert [n for n, _ in commands.erlang(30, 300, "3:4", None, 20)] == [3, 4]
    for k in (0, 21):
        with pytest.raises(BadInput, match="--concurrency"):
            commands.erlang(30, 300, "3", None, 20, concurrency=k)
    assert (taken / "mine.txt").read_text() == "keep"
    assert not (tmp_path / ".promosim-cache").exists()  # refused before any work


# --------------------------------------------------------------------------- the folder format


def _csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def _folder(kind: str, tiny: LoadedScenario, tmp_path: Path) -> tuple[Folder[Any], set[str]]:
    """A folder of ``kind`` as its command returns it, and the optional files asked for."""
    out = Out(tmp_path / kind)
    if kind == "run":
        return commands.run(tiny, out=out, options=ONE, event_log=True), {
            "orders.csv",
            "contacts.csv",
        }
    if kind == "compare":
        return commands.compare([tiny, more_agents(tmp_path)], out=out, options=ONE), set()
    if kind == "sweep":
        vary = ["staffing.groups.0.schedule.agents=2,4", "arrivals.0.contacts_per_hour=20,40"]
        folder = commands.sweep(tiny.source, vary, one_at_a_time=True, out=out, options=ONE)
        return folder, {"tornado.json"}
    return commands.staff(tiny, ["phone.service_level>=0.8"], out=out, options=ONE), set()


@pytest.mark.parametrize("kind", list(FOLDERS))
def test_every_kind_writes_the_files_and_columns_it_declares(
    kind: str, tiny: LoadedScenario, tmp_path: Path
) -> None:
    spec = FOLDERS[kind]
    folder, asked = _folder(kind, tiny, tmp_path)
    assert folder.kind == kind and asked <= set(spec.optional)
    written = commands.write(folder)
    assert sorted(p.name for p in written.iterdir()) == sorted({*spec.files, *asked})
    assert folder_kind(written) == kind
    manifest = json.loads((written / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["tool"] == TOOL and manifest["kind"] == kind
    varied = {
        "sweep.csv": list(folder.result.sweep.paths) if kind == "sweep" else [],
        "staffing.csv": [
            "phone.service_level",
            "phone.service_level_low",
            "phone.service_level_high",
        ],
    }
    assert spec.columns, kind
    for name, columns in spec.columns.items():
        if name in spec.optional and name not in asked:
            continue  # hourly.csv: only runs with pre-sale inquiries (tests/test_presale_views.py)
        assert _csv_header(written / name) == header(columns, varied.get(name, ())), name
    # every CSV a folder holds has its columns declared
    assert {p.name for p in written.glob("*.csv")} <= set(spec.columns)


def test_a_default_folder_is_named_by_the_kind(tiny: LoadedScenario, tmp_path: Path) -> None:
    out = Out(root=tmp_path / "outputs")
    ran = commands.write(commands.run(tiny, out=out, options=ONE))
    compared = commands.write(commands.compare([tiny], out=out, options=ONE))
    assert ran.parent == compared.parent == tmp_path / "outputs" / "tiny"
    assert ran.name.endswith(tiny.hash[:8])
    assert compared.name.endswith(f"{tiny.hash[:8]}-compare")


# --------------------------------------------------------------------------- readers


def _plant(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_kind_comes_from_the_manifest_not_from_the_files(tmp_path: Path) -> None:
    # a run folder holding a stray comparison.csv is still a run folder
    run = _plant(tmp_path / "run", {MANIFEST: '{"tool": "promosim", "kind": "run"}'})
    (run / "comparison.csv").write_text("metric,arm\n")
    assert folder_kind(run) == "run"
    staff = _plant(tmp_path / "staff", {MANIFEST: '{"tool": "promosim", "kind": "staff"}'})
    assert folder_kind(staff) == "staff"
    unknown = _plant(tmp_path / "unknown", {MANIFEST: '{"kind": "poem"}', "sweep.csv": ""})
    assert folder_kind(unknown) is None
    # before manifests named a kind only run folders had one; the others had none
    assert folder_kind(_plant(tmp_path / "old-run", {MANIFEST: "{}"})) == "run"
    assert folder_kind(_plant(tmp_path / "old-sweep", {"sweep.csv": ""})) == "sweep"
    assert folder_kind(_plant(tmp_path / "old-compare", {"comparison.csv": ""})) == "compare"
    assert folder_kind(_plant(tmp_path / "empty", {})) is None
    assert folder_kind(tmp_path / "missing") is None
    assert folder_kind(_plant(tmp_path / "broken", {MANIFEST: "{not json"})) is None


def test_reports_and_runs_read_the_kind(tmp_path: Path) -> None:
    # the report of a folder follows its kind: a staff folder without staffing.csv is
    # reported as a broken staff folder, not as a run folder
    staff = _plant(tmp_path / "o" / "tiny" / "staff", {MANIFEST: '{"kind": "staff"}'})
    with pytest.raises(BadInput, match="not a staffing folder"):
        commands.build_report(staff, "en")
    with pytest.raises(BadInput, match=r"summary\.json is missing"):
        commands.build_report(_plant(tmp_path / "none", {}), "en")
    # runs lists run folders only, however their manifest reads
    _plant(tmp_path / "o" / "tiny" / "run", {MANIFEST: '{"kind": "run", "name": "tiny"}'})
    _plant(tmp_path / "o" / "tiny" / "old", {MANIFEST: '{"name": "tiny"}'})
    assert sorted(r.folder.name for r in review.list_runs(tmp_path / "o")) == ["old", "run"]


def test_init_writes_a_new_scenario_once(tmp_path: Path) -> None:
    dest = commands.init("mine", "baseline", CONFIGS, tmp_path)
    assert dest == tmp_path / "mine.yaml"
    assert load_scenario(dest).scenario.name == "mine"
    with pytest.raises(BadInput, match=r"promosim: .*exists"):
        commands.init("mine", "baseline", CONFIGS, tmp_path)
    with pytest.raises(BadInput, match="promosim: "):
        commands.init("other", "no_such_template", CONFIGS, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]
