"""``python -m benchmarks [--quick] [--json FILE]``: run the suite, print the table."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.measure import machine_info
from benchmarks.suite import (
    FULL,
    QUICK,
    Plan,
    Report,
    baseline_section,
    optimizer_section,
    patience_section,
    queue_section,
    scaling_section,
)
from benchmarks.table import TARGETS, render

Section = tuple[str, Callable[[Plan, Report], None]]

SECTIONS: list[Section] = [
    ("M/M/c: bare SimPy, Ciw and leadops", queue_section),
    ("M/M/c+M against Erlang-A", patience_section),
    ("baseline in fresh processes", baseline_section),
    ("baseline scaled x0.1, x1, x10", scaling_section),
    ("optimizer: staffing gate, plain Optuna, workers", optimizer_section),
]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and shorter horizons (2 to 5 minutes on 2 cores)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write every figure to FILE as JSON")
    return parser.parse_args(argv)


Progress = Callable[[str], None]


def run(plan: Plan, progress: Progress | None = None) -> tuple[Report, float]:
    """Every section in turn, each timed; ``progress`` hears of each as it starts and ends."""
    report = Report()
    started = time.perf_counter()
    for number, (title, section) in enumerate(SECTIONS, start=1):
        if progress is not None:
            progress(f"[{number}/{len(SECTIONS)}] {title} ...")
        section_started = time.perf_counter()
        section(plan, report)
        seconds = time.perf_counter() - section_started
        report.section_seconds[title] = round(seconds, 1)
        if progress is not None:
            progress(f"      {seconds:.0f} s")
    return report, time.perf_counter() - started


def _to_stderr(line: str) -> None:
    """Progress goes to stderr, so stdout holds only the table."""
    print(line, file=sys.stderr, flush=True)


def payload(report: Report, plan: Plan, mode: str, wall_seconds: float) -> dict[str, Any]:
    targets = {key: {"target": str(target), "met": target.met(report.figures.get(key))}
               for key, target in TARGETS.items()}
    return {
        **report.figures,
        "spreads": {key: asdict(summary) for key, summary in report.spreads.items()},
        "targets": targets,
        "notes": report.notes,
        "mode": mode,
        "plan": asdict(plan),
        "wall_seconds": round(wall_seconds, 1),
        "section_seconds": report.section_seconds,
        "machine": machine_info(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan, mode = (QUICK, "quick") if args.quick else (FULL, "full")
    report, wall_seconds = run(plan, _to_stderr)

    print(render(report, plan))
    for note in report.notes:
        print(f"note: {note}")
    print(f"{mode} run, {wall_seconds:.0f} s wall")

    if args.json is not None:
        document = payload(report, plan, mode, wall_seconds)
        args.json.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
