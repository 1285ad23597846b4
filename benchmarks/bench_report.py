"""Workload (g): ``promosim report`` of a 21-day and of a 365-day run folder.

    .venv/bin/python -m benchmarks.bench_report [--quick] [--repeats N]

Writes the two folders first (not timed), two replications each:

    promosim run configs/second_item_1yuan.yaml                        (21 days, both arms)
    promosim run configs/baseline.yaml --set calendar.days=365 --yes   (a year, 30-minute intervals)

then times the command a manager types to rebuild a folder's page, ``promosim report
FOLDER --out PAGE --force``, in a child process (interpreter start, imports, reading the
files, the figures, writing the page): the two folders alternately, fastest of ``repeats``
each. Also ``promosim --help`` (the command line's fixed cost) and a bare interpreter.
"""

from __future__ import annotations

import argparse
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

QUICK = {
    "21-day": ["--set", "calendar.start=2026-11-10T00:00:00", "--set", "calendar.days=2"],
    "365-day": ["--set", "calendar.days=40"],
}
"""The smoke test: 11-10 and 11.11, and 40 days (still more than a report draws interval by
interval)."""

TARGETS = {"21-day": 1.0, "365-day": 3.0}
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


def _timed(args: Sequence[str]) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def measure(*, quick: bool = False, repeats: int = 3, workers: int = 2) -> Measured:
    """Write the folders, then time each report ``repeats`` times, alternately."""
    promosim = [sys.executable, "-m", "sim"]
    times: dict[str, list[float]] = {name: [] for name in FOLDERS}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for k, (name, command) in enumerate(FOLDERS.items()):
            folders[name] = Path(tmp) / f"run{k}"
            extra = QUICK[name] if quick else []
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
        pages = {name: Path(tmp) / f"page{k}.html" for k, name in enumerate(FOLDERS)}
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


def main(argv: list[str] | None = None) -> int:
    """Print the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 and 40 days")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    m = measure(quick=args.quick, repeats=args.repeats, workers=args.workers)
    for name, seconds in m.seconds.items():
        print(f"report of {name}: {seconds:.2f} s ({m.page_mb[name]:.1f} MB)")
    print(f"promosim --help {m.help_seconds:.2f} s; python -c pass {m.python_seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
