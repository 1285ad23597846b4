"""Workload (g): ``promosim report`` of a 21-day and a 365-day run and a year's staffing plan.

    .venv/bin/python -m benchmarks.bench_report [--quick] [--repeats N]

Writes the folders first (not timed), two replications each:

    promosim run configs/second_item_1yuan.yaml                        (21 days, both arms)
    promosim run configs/baseline.yaml --set calendar.days=365 --yes   (a year, 30-minute intervals)

and a staffing folder: ``promosim staff`` of the 第二件1元 scenario's two peak days (11-10
and 11.11, two groups, two targets with their fresh-seed CI, a roster), its plan and roster
repeated day after day to 365 days (:func:`stretch_staffing`; a year's search would take
hours, and the report reads only the files).

Then times the command a manager types to rebuild a folder's page, ``promosim report
FOLDER --out PAGE --force``, in a child process (interpreter start, imports, reading the
files, the figures, writing the page): the folders alternately, fastest of ``repeats``
each. Also ``promosim --help`` (the command line's fixed cost) and a bare interpreter.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parent / "configs"
FOLDERS = {
    "21-day": ["run", str(CONFIGS / "second_item_1yuan.yaml")],
    "365-day": ["run", str(CONFIGS / "baseline.yaml"), "--set", "calendar.days=365", "--yes"],
}
"""The two runs whose folders are reported, by name (their commands, before --out)."""

STAFF = "365-day staffing plan"
"""The staffing folder's name among the measured folders."""

ELEVEN = ["--set", "calendar.start=2026-11-11T00:00:00", "--set", "calendar.days=1"]
"""11.11 alone (for the staffing folder, set after its command's own two days)."""

QUICK = {"21-day": ELEVEN, "365-day": ["--set", "calendar.days=32"], STAFF: ELEVEN}
"""The smoke test's options by folder: 11.11 alone, and 32 days (still more than a report
draws interval by interval: ``sim.report.run.DAILY_FROM_DAYS``, 31)."""

STAFF_COMMAND = [
    "staff",
    str(CONFIGS / "second_item_1yuan.yaml"),
    "--target",
    "chat.service_level>=0.9",
    "--target",
    "phone.service_level>=0.8",
    "--set",
    "calendar.start=2026-11-10T00:00:00",
    "--set",
    "calendar.days=2",
]
"""The staffing folder's command (before --out): the two peak days, stretched to a year."""

STAFF_DAYS = {False: 365, True: 40}
"""Days of the stretched staffing plan: a year, or 40 days with ``--quick``."""

TARGETS = {"21-day": 1.0, "365-day": 3.0, STAFF: 3.0}
"""Seconds the whole ``promosim report`` command may take on this 2-core machine."""


@dataclass
class Measured:
    """Fastest wall-clock seconds of each report, and the fixed costs beside them."""

    seconds: dict[str, float]
    """By folder (a key of :data:`FOLDERS`)."""
    page_mb: dict[str, float]
    help_seconds: float
    """``promosim --help``."""
    python_seconds: float
    """``python -c pass``: the interpreter's own start."""


def _shifted(text: str, days: int) -> str:
    return (dt.datetime.fromisoformat(text) + dt.timedelta(days=days)).isoformat()


def _rewrite(path: Path, rows: list[dict[str, str]], fields: Sequence[str]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def stretch_staffing(folder: Path, days: int) -> None:
    """A staffing folder's plan and roster repeated day after day to ``days`` days, in place.

    staffing.csv's intervals and roster.csv's bookings move by whole copies of the folder's
    span; staffing.json's roster cost (which would no longer match) is left to the report,
    which sums roster.csv.
    """
    with (folder / "staffing.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, plan = list(reader.fieldnames or []), list(reader)
    first = min(dt.date.fromisoformat(r["interval_start"][:10]) for r in plan)
    span = max(dt.date.fromisoformat(r["interval_start"][:10]) for r in plan) - first
    step = span.days + 1
    end = (first + dt.timedelta(days=days)).isoformat()
    rows = []
    for k in range(0, days, step):
        for r in plan:
            moved = {**r, "interval_start": _shifted(r["interval_start"], k)}
            if moved["interval_start"][:10] < end:
                rows.append(moved)
    _rewrite(folder / "staffing.csv", rows, fields)
    roster_csv = folder / "roster.csv"
    if roster_csv.exists():
        with roster_csv.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            fields, roster = list(reader.fieldnames or []), list(reader)
        booked = []
        for k in range(0, days, step):
            for r in roster:
                date = (dt.date.fromisoformat(r["date"]) + dt.timedelta(days=k)).isoformat()
                if date < end:
                    booked.append({**r, "date": date})
        _rewrite(roster_csv, booked, fields)
    info = json.loads((folder / "staffing.json").read_text(encoding="utf-8"))
    if isinstance(info.get("roster"), dict):
        for key in ("cost_yuan", "cost_yuan_by_source", "agent_hours_by_source"):
            info["roster"].pop(key, None)
    (folder / "staffing.json").write_text(json.dumps(info, indent=2), encoding="utf-8")


def _timed(args: Sequence[str]) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def measure(*, quick: bool = False, repeats: int = 3, workers: int = 2) -> Measured:
    """Write the folders, then time each report ``repeats`` times, alternately."""
    promosim = [sys.executable, "-m", "sim"]
    times: dict[str, list[float]] = {name: [] for name in [*FOLDERS, STAFF]}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        commands = {**FOLDERS, STAFF: STAFF_COMMAND}
        for k, (name, command) in enumerate(commands.items()):
            folders[name] = Path(tmp) / f"run{k}"
            extra = QUICK.get(name, []) if quick else []
            subprocess.run(
                [
                    *promosim,
                    *command,
                    *extra,
                    "--replications",
                    "2",
                    "--workers",
                    str(workers),
                    "--quiet",
                    "--out",
                    str(folders[name]),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        stretch_staffing(folders[STAFF], STAFF_DAYS[quick])
        pages = {name: Path(tmp) / f"page{k}.html" for k, name in enumerate(folders)}
        for _ in range(repeats):
            for name, folder in folders.items():
                report = ["report", str(folder), "--out", str(pages[name]), "--force"]
                times[name].append(_timed([*promosim, *report]))
        sizes = {name: page.stat().st_size / 1e6 for name, page in pages.items()}
    help_seconds = min(_timed([*promosim, "--help"]) for _ in range(repeats))
    python_seconds = min(_timed([sys.executable, "-c", "pass"]) for _ in range(repeats))
    return Measured(
        {name: min(ts) for name, ts in times.items()}, sizes, help_seconds, python_seconds
    )


def label(name: str) -> str:
    """A measured folder as the results name it: ``21-day run``, ``365-day staffing plan``."""
    return name if name == STAFF else f"{name} run"


def main(argv: list[str] | None = None) -> int:
    """Print the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 and 32 days, the plan of 11.11 alone"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    m = measure(quick=args.quick, repeats=args.repeats, workers=args.workers)
    for name, seconds in m.seconds.items():
        print(f"report of a {label(name)}: {seconds:.2f} s ({m.page_mb[name]:.1f} MB)")
    print(f"promosim --help {m.help_seconds:.2f} s; python -c pass {m.python_seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
