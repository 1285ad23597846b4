r"""``results.xlsx``: a folder's CSV tables as one Excel workbook, for those who live in Excel.

Built from the CSV text the folder holds, so no figure is computed twice: a sheet per table
(named by its file), a header row of labels (the metric catalog's, in the folder's report
language), the header frozen, every cell the CSV's cell. A cell that reads as a finite
decimal number is a number (to 16 significant digits, as openpyxl writes them; Excel shows
15), in its metric's format (:data:`FORMATS`: shares 0.0%, money ¥#,##0, counts and seconds
with grouped digits); every other cell is text, never a formula (a character XML cannot
hold, and a carriage return, written as its escape: ``\r``); an empty cell stays empty.
openpyxl's write-only mode writes each sheet's settings and header row (a table longer than
a sheet continues on the next, ``intervals 2``); the rows under the header are written here
as the very XML openpyxl writes for them (the same bytes, in a quarter of the time: openpyxl
spends ≈ 15 µs a cell) and put into the sheet's file when the workbook is saved. Nothing
here writes a file of the folder: :mod:`sim.outputs` puts the bytes in place, and promosim
never reads them back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring

from sim import catalog
from sim.catalog import Format
from sim.text import text_lines

FORMATS: Mapping[Format, str] = {
    "count": "#,##0",
    "decimal": "#,##0.0",
    "cents": "#,##0.00",
    "share": "0.0%",
    "yuan": '"¥"#,##0',
    "yuan_cents": '"¥"#,##0.00',
}
"""Excel's number format of each catalog :data:`~sim.catalog.Format`."""

MAX_ROWS = 1_048_576
"""Rows of one Excel sheet, the header's included."""
MAX_SHEET_NAME = 31
"""Characters of an Excel sheet name."""

_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_WHOLE = re.compile(r"-?\d+")

# Columns whose numbers are in the format of the row's metric (named in ROW_METRIC's column).
_FIGURES = frozenset(
    {
        "value",
        "mean",
        "ci95_lo",
        "ci95_hi",
        "diff_mean",
        "diff_ci95_lo",
        "diff_ci95_hi",
        "gap_to_next",
        "gap_ci95_lo",
        "gap_ci95_hi",
    }
)
ROW_METRIC: Mapping[str, str] = {
    "summary.csv": "metric",
    "replications.csv": "metric",
    "comparison.csv": "metric",
    "sweep.csv": "metric",
    "lab.csv": "metric",
    "daily.csv": "series",
    "hourly.csv": "series",
}
"""Long tables: the column naming each row's metric, whose format its figures take."""

METRIC_TABLES = frozenset({"intervals.csv", "staffing.csv"})
"""Wide tables: a column not in :data:`COLUMN_LABELS` is a metric (with a CI end)."""

# A column's own format, whatever its row (agents are time averages: one decimal).
_COLUMN_FORMATS: Mapping[str, str] = {
    "replication": "0",
    "rank": "0",
    "sessions": FORMATS["decimal"],
    "required_agents": FORMATS["count"],
    "scheduled_agents": FORMATS["decimal"],
    "short_agents": FORMATS["decimal"],
    "surplus_agents": FORMATS["decimal"],
    "cost_yuan": FORMATS["yuan_cents"],
}

# Labels of the columns that are not a metric's, English and Chinese.
COLUMN_LABELS: Mapping[str, tuple[str, str]] = {
    "arm": ("arm", "方案"),
    "replication": ("replication", "重复序号"),
    "metric": ("metric", "指标"),
    "value": ("value", "数值"),
    "interval_start": ("interval start", "时段开始"),
    "channel": ("channel", "渠道"),
    "day": ("day", "日期"),
    "hour": ("hour", "小时"),
    "date": ("date", "日期"),
    "series": ("series", "序列"),
    "mean": ("mean", "均值"),
    "replications": ("replications", "重复次数"),
    "ci95_lo": ("95% CI low", "95% 置信下限"),
    "ci95_hi": ("95% CI high", "95% 置信上限"),
    "diff_mean": ("difference", "差值"),
    "diff_ci95_lo": ("difference 95% CI low", "差值 95% 置信下限"),
    "diff_ci95_hi": ("difference 95% CI high", "差值 95% 置信上限"),
    "significant": ("significant", "显著"),
    "rank": ("rank", "排名"),
    "variant": ("variant", "方案变体"),
    "gap_to_next": ("gap to the next", "与下一名的差距"),
    "gap_ci95_lo": ("gap 95% CI low", "差距 95% 置信下限"),
    "gap_ci95_hi": ("gap 95% CI high", "差距 95% 置信上限"),
    "gap_significant": ("gap significant", "差距显著"),
    "platform": ("platform", "平台"),
    "kpi": ("KPI", "考核指标"),
    "label": ("KPI name", "考核指标名称"),
    "measure": ("measure", "计量方式"),
    "sessions": ("sessions", "会话数"),
    "threshold": ("bar", "考核线"),
    "status": ("status", "状态"),
    "kpi_grade": ("KPI source grade", "指标来源等级"),
    "threshold_grade": ("bar source grade", "考核线来源等级"),
    "group": ("group", "坐席组"),
    "required_agents": ("agents required", "所需坐席数"),
    "scheduled_agents": ("agents scheduled", "排班坐席数"),
    "short_agents": ("agents short", "缺口坐席数"),
    "surplus_agents": ("agents surplus", "富余坐席数"),
    "source": ("source", "人力来源"),
    "start": ("start", "开始"),
    "end": ("end", "结束"),
    "cost_yuan": ("cost", "费用"),
}
# A table's column whose name means something else there than the catalog says.
_TABLE_LABELS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("roster.csv", "agents"): ("agents booked", "预约坐席数"),
}
_SUFFIXES: Mapping[str, tuple[str, str]] = {
    "_ci95_lo": ("95% CI low", "95% 置信下限"),
    "_ci95_hi": ("95% CI high", "95% 置信上限"),
    "_low": ("low", "下限"),
    "_high": ("high", "上限"),
}


def sheet_name(file: str, taken: Sequence[str] = ()) -> str:
    r"""A sheet name for the table ``file`` that Excel accepts and no sheet in ``taken`` has.

    Its stem, Excel's forbidden characters (``[]:*?/\``) as ``_``, no apostrophe at either
    end, at most :data:`MAX_SHEET_NAME` characters; a name taken (Excel ignores case) gets
    `` 2``, `` 3`` … within the limit.
    """
    stem = file.removesuffix(".csv")
    base = _FORBIDDEN.sub("_", stem).strip("'")[:MAX_SHEET_NAME] or "table"
    used = {t.casefold() for t in taken}
    name, k = base, 2
    while name.casefold() in used:
        tail = f" {k}"
        name = base[: MAX_SHEET_NAME - len(tail)] + tail
        k += 1
    return name


def column_label(table: str, column: str, lang: str = "en") -> str:
    """The header label of ``column`` of ``table`` in ``lang`` (the key if none is known).

    A metric's (``asa_seconds``, ``phone.service_level`` in :data:`METRIC_TABLES`) is the
    catalog's, its channel first; ``_ci95_lo``, ``_low`` … ends are said after it.
    """
    zh = lang == "zh"
    own = _TABLE_LABELS.get((table, column)) or COLUMN_LABELS.get(column)
    if own is not None:
        return own[zh]
    found = _metric_column(table, column)
    if found is None:
        return column
    key, end = found
    head, _, tail = key.rpartition(".")
    m = catalog.lookup(key)
    assert m is not None
    label = m.label(lang)
    if head and tail in catalog.CHANNEL_METRICS and m.key == tail:
        label = f"{head} · {label}"  # the channel: phone · service level
    if end:
        words = _SUFFIXES[end]
        label = f"{label}（{words[1]}）" if zh else f"{label} ({words[0]})"
    return label


def _metric_column(table: str, column: str) -> tuple[str, str] | None:
    """The catalog metric a column of a metric table holds, and its end (``_ci95_lo``)."""
    if table not in METRIC_TABLES or column in COLUMN_LABELS:
        return None
    for end in ("", *_SUFFIXES):
        key = column.removesuffix(end) if end else column
        if (not end or key != column) and catalog.lookup(key) is not None:
            return key, end
    return None


def _column_format(table: str, column: str) -> str | None:
    """A column's own number format (None: the row's metric's, or General)."""
    if column in _COLUMN_FORMATS:
        return _COLUMN_FORMATS[column]
    found = _metric_column(table, column)
    if found is None:
        return None
    m = catalog.lookup(found[0])
    return None if m is None else FORMATS[m.fmt]


def _row_format(table: str, header: Sequence[str], row: Sequence[str]) -> str | None:
    """The format of a long table's figures in ``row``: its metric's."""
    column = "measure" if table == "scorecard.csv" else ROW_METRIC.get(table)
    k = header.index(column) if column in header else len(row)
    key = row[k] if k < len(row) else ""
    if table == "scorecard.csv":
        return FORMATS["share"] if key == "answered_within" else FORMATS["decimal"]
    return FORMATS[catalog.fmt_of(key)] if key else None


def number(cell: str) -> int | float | None:
    """The number a CSV cell holds (a finite decimal: ``12``, ``-0.5``, ``1e-05``), else None."""
    if not _NUMBER.fullmatch(cell):
        return None
    if _WHOLE.fullmatch(cell):
        return int(cell)
    x = float(cell)
    return x if abs(x) != float("inf") else None


_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
"""What XML cannot hold beyond openpyxl's illegal characters (lxml refuses it)."""
_LONGEST = 32767
"""Characters of an Excel cell (openpyxl cuts longer text)."""


def _escape(text: str) -> str:
    """Text as lxml writes it in an element."""
    if _NOT_XML.search(text):
        raise ValueError(  # lxml's words
            "All strings must be XML compatible: "
            "Unicode or ASCII, no NULL bytes or control characters"
        )
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_xml(ref: str, cell: str) -> str:
    """A text cell's XML, as openpyxl writes it: an inline string, never a formula.

    What XML cannot hold is written as its escape; openpyxl's error codes (``#N/A``) are
    error cells.
    """
    safe = ILLEGAL_CHARACTERS_RE.sub(lambda m: repr(m.group())[1:-1], cell)[:_LONGEST]
    if safe in ERROR_CODES:
        return f'<c r="{ref}" t="e"><v>{_escape(safe)}</v></c>'
    space = ' xml:space="preserve"' if safe != safe.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_escape(safe)}</t></is></c>'


def _width(text: str) -> float:
    """Excel column width for ``text``: a wide (CJK) character counts two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text) + 2


def _sheets(
    wb: Workbook,
    table: str,
    taken: list[str],
    rows: Iterator[list[str]],
    lang: str,
    bodies: dict[int, IO[bytes]],
) -> None:
    """Write one table as one sheet (or more, past :data:`MAX_ROWS`).

    openpyxl writes each sheet's header row; the XML of the rows under it goes into
    ``bodies`` under the sheet's number (from 1, its file's), to be put in at saving:
    a spooled file each (:data:`SPOOL_BYTES` in memory, then on disk), so a long run's
    rows are never held as text.
    """
    try:
        header = next(rows)
    except StopIteration:
        return
    labels = [column_label(table, c, lang) for c in header]
    own = [_column_format(table, c) for c in header]
    figures = [c in _FIGURES for c in header]
    long = table in ROW_METRIC or table == "scorecard.csv"
    letters: list[str] = []

    def start() -> tuple[WriteOnlyWorksheet, IO[bytes]]:
        name = sheet_name(table, taken)
        taken.append(name)
        ws: WriteOnlyWorksheet = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        for k, label in enumerate(labels, 1):
            numeric = own[k - 1] is not None or figures[k - 1]
            width = max(_width(label), 14 if numeric else 10)
            # the stubs lack a write-only sheet's column_dimensions (openpyxl has them)
            dims = ws.column_dimensions  # type: ignore[attr-defined]
            dims[get_column_letter(k)].width = min(width, 48)
        ws.append(labels)
        body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        bodies[len(wb.worksheets)] = body
        return ws, body

    def put(xml: list[str]) -> None:
        # openpyxl writes its sheets in ASCII: other characters as references
        body.write("".join(xml).encode("ascii", "xmlcharrefreplace"))
        xml.clear()

    ws, body = start()
    pending: list[str] = []
    written = 1
    # a number format's style: its attribute, registered with the workbook where openpyxl
    # registered it (its first cell), so that styles.xml is the same too
    styles: dict[str, str] = {}
    for row in rows:
        if written == MAX_ROWS:
            put(pending)
            ws, body = start()
            written = 1
        written += 1
        fmt_row = _row_format(table, header, row) if long else None
        while len(letters) < len(row):
            letters.append(get_column_letter(len(letters) + 1))
        cells: list[str] = [f'<row r="{written}">']
        for k, cell in enumerate(row):
            if cell == "":
                continue
            ref = f"{letters[k]}{written}"
            x = number(cell)
            if x is None:
                cells.append(_text_xml(ref, cell))
                continue
            fmt = own[k] if k < len(own) else None
            if fmt is None and k < len(figures) and figures[k]:
                fmt = fmt_row
            style = ""
            if fmt is not None:
                got = styles.get(fmt)
                if got is None:
                    c = WriteOnlyCell(ws)
                    c.number_format = fmt
                    got = styles[fmt] = f' s="{c.style_id}"' if c.has_style else ""
                style = got
            cells.append(f'<c r="{ref}"{style} t="n"><v>{x:.16g}</v></c>')
        cells.append("</row>")
        pending.append("".join(cells))
        if len(pending) >= _ROWS_A_WRITE:
            put(pending)
    put(pending)


def workbook(tables: Mapping[str, str], lang: str = "en") -> bytes:
    """``results.xlsx`` of the tables ``tables`` (file name → CSV text), in their order."""
    wb = Workbook(write_only=True)
    taken: list[str] = []
    bodies: dict[int, IO[bytes]] = {}
    try:
        for table, text in tables.items():
            # a value's \r is not quoted in promosim's CSVs (lines end with \n): shown escaped
            lines = (line.replace("\r", "\\r") for line in text_lines(text))
            _sheets(wb, table, taken, csv.reader(lines), lang, bodies)
        if not taken:
            wb.create_sheet("empty")
        # the same tables give the same bytes: no clock in the properties or the zip's entries
        wb.properties.creator = "promosim"
        wb.properties.created = FIXED_TIME
        buf = io.BytesIO()
        wb.save(buf)
        # saving stamps "modified" with the clock: the properties are written again without it
        wb.properties.modified = FIXED_TIME
        replaced = {ARC_CORE: tostring(wb.properties.to_tree())}
        inserted = {f"xl/worksheets/sheet{k}.xml": body for k, body in bodies.items()}
        return _without_times(buf.getvalue(), replaced, inserted)
    finally:
        for body in bodies.values():
            body.close()


FIXED_TIME = dt.datetime(2000, 1, 1)
"""The workbook's created and modified time: a fixed one, so its bytes repeat."""

SPOOL_BYTES = 8 * 2**20
"""A sheet's rows (XML) kept in memory up to this size, then in a temporary file: a long
run's intervals sheet is a hundred megabytes of XML or more, compressed only when saved."""

_ROWS_A_WRITE = 1000
"""Rows of XML gathered before they are written to the sheet's spooled file."""

_COPY_BYTES = 2**20
"""Chunk of a sheet's rows copied into the zip at a time."""


def _without_times(
    data: bytes, replaced: Mapping[str, bytes], inserted: Mapping[str, IO[bytes]]
) -> bytes:
    """The zip ``data`` with every entry dated :data:`FIXED_TIME`, in the same order.

    The entries named in ``replaced`` hold those bytes instead of their own; a sheet named
    in ``inserted`` gets those rows (XML) after its header row, at the end of its data,
    copied a chunk at a time.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = replaced.get(info.filename)
            if body is None:
                body = src.read(info.filename)
            rows = inserted.get(info.filename)
            if rows is None:
                dst.writestr(fixed, body)
                continue
            head, tail = body.split(b"</sheetData>", 1)
            tail = b"</sheetData>" + tail
            fixed.file_size = len(head) + rows.seek(0, io.SEEK_END) + len(tail)
            rows.seek(0)
            with dst.open(fixed, "w") as entry:
                entry.write(head)
                shutil.copyfileobj(rows, entry, _COPY_BYTES)
                entry.write(tail)
    return out.getvalue()
