"""One replication in a fresh process, reported as JSON on stdout.

``python -m benchmarks.child SCENARIO [--seed S] [--days D] [--set PATH=VALUE ...]
[--events-dir DIR]``. Wall and CPU time cover the replication only (not imports or
loading); the peak RSS covers the whole process, and ``rss_before_mb`` is its peak before
the replication started.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.measure import ChildRun, child_payload, peak_rss_mb
from leadops import api
from sim.model import ModelOptions
from sim.replication import run_replication

EVENT_LOG_NAME = "events.csv.gz"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child")
    parser.add_argument("scenario")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--events-dir", type=Path, default=None)
    return parser.parse_args(argv)


def play(args: argparse.Namespace) -> ChildRun:
    setup = api.prepare(args.scenario, None, args.overrides)
    events = args.events_dir / EVENT_LOG_NAME if args.events_dir is not None else None
    options = ModelOptions(seed=args.seed, days=args.days, events=events)
    rss_before = peak_rss_mb()

    started, cpu_started = time.perf_counter(), time.process_time()
    result = run_replication(setup.scenario, setup.policy, options)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    return ChildRun(wall_seconds=elapsed, cpu_seconds=cpu, leads=result.census["arrived"],
                    sim_events=result.sim_events, logged_events=result.logged_events,
                    rss_before_mb=rss_before, peak_rss_mb=peak_rss_mb())


def main(argv: list[str] | None = None) -> None:
    # The benchmark's own output channel: the parent reads this one JSON line.
    print(child_payload(play(parse(argv))))


if __name__ == "__main__":
    main()
