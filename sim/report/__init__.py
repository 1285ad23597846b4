"""The HTML reports: one self-contained page per folder, built only from the folder's files.

The only package that imports plotly. One module per report kind (:mod:`.run`,
:mod:`.compare`, :mod:`.sweep`, :mod:`.staff`, :mod:`.calibrate`) on a shared shell
(:mod:`.page`, :mod:`.figures`), the folders' readers (:mod:`.data`) and the words
(:mod:`.labels`: the reports' own, and every metric's from :mod:`sim.catalog`). Pages are
deterministic: the same folder gives byte-identical HTML.

Every report draws plain dict figures (:mod:`.figures`) that plotly never validates:
plotly's ``go`` classes load only when figures are asked for (``--images``, tests).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sim.report import compare, staff, sweep
from sim.report.calibrate import CAL_LABELS, build_calibration_report
from sim.report.compare import build_compare_report
from sim.report.data import ReportError, read_run
from sim.report.images import figure_images
from sim.report.labels import LABELS, LANGS, METRIC_TEXTS
from sim.report.page import fmt
from sim.report.run import _times, build_report, report_from_files, used_labels
from sim.report.staff import build_staff_report
from sim.report.sweep import build_sweep_report

__all__ = [
    "CAL_LABELS",
    "LABELS",
    "LANGS",
    "METRIC_TEXTS",
    "ReportError",
    "_times",
    "build_calibration_report",
    "build_compare_report",
    "build_report",
    "build_staff_report",
    "build_sweep_report",
    "figure_images",
    "fmt",
    "read_run",
    "report_from_files",
    "used_folder_labels",
    "used_labels",
]

_KINDS: dict[str, Callable[[Path, str], tuple[str, set[str]]]] = {
    "compare": compare.build_with_labels,
    "sweep": sweep.build_with_labels,
    "staff": staff.build_with_labels,
}


def used_folder_labels(folder: Path, kind: str, lang: str = "en") -> set[str]:
    """The label keys a compare, sweep or staff folder's report uses (kind: the command)."""
    return _KINDS[kind](folder, lang)[1]
