"""results.xlsx: every folder's CSV tables as sheets, cell for cell, labelled and formatted."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sim import commands, workbook
from sim.catalog import label
from sim.commands import Out
from sim.loading import LoadedScenario, load_scenario
from sim.outputs import FOLDERS, WORKBOOK, folder_workbook
from sim.workbook import FORMATS, column_label, number, sheet_name
from tests.conftest import tiny_scenario
from tests.test_cli import promo_scenario, write
from tests.test_commands import _folder

ONE = commands.Options(workers=1)


@pytest.fixture
def tiny(tmp_path: Path) -> LoadedScenario:
    return load_scenario(write(tmp_path / "tiny.yaml", tiny_scenario()))


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _check_sheet(ws: Worksheet, table: str, rows: list[list[str]], lang: str) -> None:
    """The sheet is the CSV: labels over its columns, then every cell, numbers as numbers."""
    assert ws.freeze_panes == "A2", table
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    header, *body = rows
    assert got[0] == [column_label(table, c, lang) for c in header], table
    assert len(got) == len(rows), table
    for r, (want, have) in enumerate(zip(body, got[1:], strict=True), 2):
        have = have + [None] * (len(want) - len(have))  # trailing empty cells are not stored
        for c, (cell, value) in enumerate(zip(want, have, strict=True)):
            where = f"{table} row {r} column {header[c]}"
            if cell == "":
                assert value is None, where
            elif number(cell) is not None:
                # openpyxl writes 16 significant digits (Excel shows 15)
                assert isinstance(value, int | float), where
                assert value == float(f"{float(cell):.16g}"), where
            else:
                assert value == cell, where
    widths = [ws.column_dimensions[k].width for k in "ABC"[: len(header)]]
    assert all(w and w >= 10 for w in widths), table


def _check_folder(folder: Path, kind: str, lang: str) -> Any:
    book = load_workbook(folder / WORKBOOK)
    tables = [n for n in FOLDERS[kind].columns if (folder / n).exists() and n not in _EVENT_LOG]
    first = ["summary"] if kind == "run" else []  # a run's summary.json, its first sheet
    assert book.sheetnames == first + [sheet_name(t) for t in tables]
    for table in tables:
        _check_sheet(book[sheet_name(table)], table, _rows(folder / table), lang)
    return book


_EVENT_LOG = {"orders.csv", "contacts.csv"}


@pytest.mark.parametrize(("kind", "lang"), [(k, lang) for k in FOLDERS for lang in ("en", "zh")])
def test_every_folder_s_workbook_is_its_tables(
    kind: str, lang: str, tiny: LoadedScenario, tmp_path: Path
) -> None:
    folder, _ = _folder(kind, tiny, tmp_path)
    written = commands.write(dataclasses.replace(folder, out=Out(folder.target, lang=lang)))
    _check_folder(written, kind, lang)


def test_a_runs_summary_sheet_holds_summary_json_s_numbers(tmp_path: Path) -> None:
    """results.xlsx opens with openpyxl and its numbers equal summary.json's, every one."""
    import json

    loaded = load_scenario(write(tmp_path / "promo.yaml", promo_scenario()))
    written = commands.write(commands.run(loaded, out=Out(tmp_path / "run"), options=ONE))
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    ws = load_workbook(written / WORKBOOK)["summary"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("arm", "metric", "mean", "95% CI low", "95% CI high", "replications")
    got = {(r[0], r[1]): r[2:] for r in rows[1:]}
    blocks = {"promotion": "metrics", "baseline": "baseline", "effect": "effect"}

    def cell(x: float) -> float:
        return float(f"{x:.16g}")  # openpyxl writes 16 significant digits (Excel shows 15)

    want = {
        (arm, key): (
            cell(stat["mean"]),
            *(cell(x) for x in stat.get("ci95", ())),
            stat["n"],
        )
        for arm, block in blocks.items()
        for key, stat in summary[block].items()
    }
    assert got == want
    assert len(want) > 200  # both arms and the effect, every metric


def test_figures_take_their_metric_s_format(tiny: LoadedScenario, tmp_path: Path) -> None:
    written = commands.write(commands.run(tiny, out=Out(tmp_path / "run", lang="zh"), options=ONE))
    ws = load_workbook(written / WORKBOOK)["replications"]
    header = [c.value for c in ws[1]]
    assert header == ["方案", "重复序号", "指标", "数值"]
    formats = {}
    for row in ws.iter_rows(min_row=2):
        formats[row[2].value] = row[3].number_format
        assert row[1].number_format == "0"
    assert formats["phone.service_level"] == FORMATS["share"] == "0.0%"
    assert formats["net_yuan"] == FORMATS["yuan"] == '"¥"#,##0'
    assert formats["phone.offered"] == FORMATS["count"] == "#,##0"
    assert formats["phone.asa_seconds"] == FORMATS["decimal"] == "#,##0.0"
    assert formats["contacts_per_issue"] == FORMATS["cents"]
    intervals = load_workbook(written / WORKBOOK)["intervals"]
    first = {c.value: k for k, c in enumerate(intervals[1], 1)}
    sl = first[label("service_level", "zh")]
    assert intervals.cell(2, sl).number_format == "0.0%"
    assert intervals.cell(1, sl + 1).value == f"{label('service_level', 'zh')}（95% 置信下限）"


def test_a_lab_folder_s_ranking_is_a_sheet(tmp_path: Path) -> None:
    scenario = write(tmp_path / "promo.yaml", promo_scenario())
    folder = commands.lab(
        scenario,
        ["replications=2"],
        ["double-rules: promotion.rule_question_rate=0.1"],
        out=Out(tmp_path / "lab", lang="zh"),
        options=ONE,
    )
    written = commands.write(folder)
    book = _check_folder(written, "compare", "zh")
    assert book.sheetnames == ["comparison", "lab"]
    money = [r for r in book["lab"].iter_rows(min_row=2) if r[3].value == "net_yuan"]
    assert money and all(r[4].number_format == '"¥"#,##0' for r in money)


def test_text_is_never_a_formula_and_xml_s_forbidden_characters_are_escaped() -> None:
    text = (
        'rank,arm,variant,metric,mean\n1,a,=HYPERLINK("x"),contacts,3\n2,b,bell\x07,net_yuan,-5\n'
        '3,c,"two\rlines\n",contacts,1\n4,d,unquoted\rreturn,net_yuan,2\n'
    )
    book = load_workbook(io.BytesIO(workbook.workbook({"lab.csv": text})))
    ws = book["lab"]
    formula = ws.cell(2, 3)
    assert formula.value == '=HYPERLINK("x")' and formula.data_type == "s"
    assert ws.cell(3, 3).value == "bell\\x07"
    assert ws.cell(3, 5).value == -5 and ws.cell(3, 5).number_format == '"¥"#,##0'
    assert ws.cell(4, 3).value == "two\\rlines\n" and ws.cell(4, 2).value == "c"
    assert ws.cell(5, 3).value == "unquoted\\rreturn" and ws.cell(5, 5).value == 2


def test_a_table_longer_than_a_sheet_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "MAX_ROWS", 3)
    text = "day,series,arm,mean\n" + "".join(f"d{k},contacts,a,{k}\n" for k in range(5))
    book = load_workbook(io.BytesIO(workbook.workbook({"daily.csv": text})))
    assert book.sheetnames == ["daily", "daily 2", "daily 3"]
    days = [r[0] for ws in book.worksheets for r in ws.iter_rows(min_row=2, values_only=True)]
    assert days == [f"d{k}" for k in range(5)]
    assert all(ws.cell(1, 1).value == "day" and ws.freeze_panes == "A2" for ws in book)


def test_sheet_names_keep_to_excel_s_rules() -> None:
    assert sheet_name("replications.csv") == "replications"
    assert sheet_name("a[b]:c*d?e/f\\g.csv") == "a_b__c_d_e_f_g"
    assert sheet_name("'quoted'.csv") == "quoted"
    long = sheet_name("x" * 40 + ".csv")
    assert len(long) == 31
    second = sheet_name("X" * 40 + ".csv", [long])
    assert second == "X" * 29 + " 2" and len(second) == 31
    assert sheet_name(".csv") == "table"


def test_numbers_are_finite_decimals_only() -> None:
    assert number("12") == 12 and isinstance(number("12"), int)
    assert number("-0.5") == -0.5 and number("1e-05") == 1e-05 and number("3.0") == 3.0
    for text in ("nan", "inf", "1_000", " 1", "0x10", "true", "2026-11-11", "1e999", ">=0.8"):
        assert number(text) is None, text


def test_the_event_log_stays_in_its_csvs(tiny: LoadedScenario, tmp_path: Path) -> None:
    folder = commands.run(tiny, out=Out(tmp_path / "run"), options=ONE, event_log=True)
    book = load_workbook(io.BytesIO(folder_workbook("run", folder.files)))
    assert "orders" not in book.sheetnames and "contacts" not in book.sheetnames
    assert book.sheetnames[:4] == ["summary", "replications", "intervals", "daily"]


def test_labels_name_metrics_only_where_columns_are_metrics() -> None:
    assert (
        column_label("intervals.csv", "asa_seconds_ci95_hi", "zh")
        == "平均应答时长（秒）（95% 置信上限）"
    )
    assert column_label("staffing.csv", "chat.service_level_low") == "chat · service level (low)"
    assert column_label("roster.csv", "agents", "zh") == "预约坐席数"
    # a sweep's varied path is no metric, even where its last part is one's name
    path = "staffing.groups.0.schedule.agents"
    assert column_label("sweep.csv", path, "zh") == path
    text = f"{path},metric,mean\n4,contacts,12.5\n"
    ws = load_workbook(io.BytesIO(workbook.workbook({"sweep.csv": text})))["sweep"]
    assert ws.cell(2, 1).number_format == "General" and ws.cell(2, 3).number_format == "#,##0"


def test_the_same_tables_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """No clock inside: saved an hour apart (the clock moved on), the workbooks are equal."""
    tables = {"summary.csv": "metric,mean\nservice_level,0.5\n"}
    first = workbook.workbook(tables)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Later:
            return cls(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    monkeypatch.setattr("openpyxl.writer.excel.datetime.datetime", Later)
    monkeypatch.setattr("time.localtime", lambda *_: (2031, 5, 6, 7, 8, 9, 0, 0, 0))
    assert workbook.workbook(tables) == first


def _openpyxl_sheet(table: str, text: str) -> tuple[bytes, bytes]:
    """One table's sheet data and styles.xml as openpyxl writes them cell by cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from sim.text import text_lines

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    rows = csv.reader(line.replace("\r", "\\r") for line in text_lines(text))
    header = next(rows)
    ws.append([column_label(table, c) for c in header])
    own = [workbook._column_format(table, c) for c in header]
    long = table in workbook.ROW_METRIC or table == "scorecard.csv"
    for row in rows:
        fmt_row = workbook._row_format(table, header, row) if long else None
        out: list[Any] = []
        for k, cell in enumerate(row):
            x = number(cell)
            if cell == "":
                out.append(None)
            elif x is None:
                safe = ILLEGAL_CHARACTERS_RE.sub(lambda m: repr(m.group())[1:-1], cell)
                c = WriteOnlyCell(ws, safe)
                if safe.startswith("="):
                    c.data_type = "s"
                out.append(c)
            else:
                fmt = own[k] if k < len(own) else None
                if fmt is None and k < len(header) and header[k] in workbook._FIGURES:
                    fmt = fmt_row
                c = WriteOnlyCell(ws, x)
                if fmt is not None:
                    c.number_format = fmt
                out.append(c)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return _sheet_data(z.read("xl/worksheets/sheet1.xml")), z.read("xl/styles.xml")


def _sheet_data(xml: bytes) -> bytes:
    return xml[xml.index(b"<sheetData>") : xml.index(b"</sheetData>")]


def test_rows_are_the_xml_openpyxl_writes() -> None:
    """The rows written here are openpyxl's own bytes, odd cells and styles included."""
    odd = [" lead", "trail ", "=1+2", "=", "#N/A", "#DIV/0!", "a&b<c>'\"", "中文", "😀", "\x01x"]
    odd += ["\x85", "\u2028", "x" * 40_000, "12345678901234567890", "1e-05", "-0.5", ".5", "5."]
    lines = ["arm,replication,metric,value"]
    for k, cell in enumerate(odd):
        metric = ("service_level", "net_yuan", "contacts", "", "unknown")[k % 5]
        lines.append(f'scenario,{k},{metric},"{cell}"')
    lines += ["", ",,,", "a,b", "1,2,3,4,5,6"]
    text = "\n".join(lines) + "\n"
    for table in ("replications.csv", "intervals.csv", "other.csv"):
        with zipfile.ZipFile(io.BytesIO(workbook.workbook({table: text}))) as z:
            mine = _sheet_data(z.read("xl/worksheets/sheet1.xml")), z.read("xl/styles.xml")
        assert mine == _openpyxl_sheet(table, text), table
