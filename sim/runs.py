"""Many replications of one scenario under one policy, serially or in worker processes.

Replication r is seeded from (seed, r) alone, so a run with W workers gives exactly the
results of a serial run, and two policies run on one seed see the same leads.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policies import Policy
from scenarios import Scenario
from sim.eventlog import join_parts, parquet_available
from sim.history import History
from sim.model import ModelOptions
from sim.replication import ReplicationResult, run_replication
from sim.stats import Interval, t_interval

Progress = Callable[[ReplicationResult], None]


@dataclass
class RunResult:
    """All replications of a run plus their 95% intervals."""

    scenario: Scenario
    policy: Policy
    seed: int
    days: int
    replications: list[ReplicationResult]

    def kpi_names(self) -> list[str]:
        return list(self.replications[0].kpis)

    def kpis(self) -> dict[str, Interval]:
        return {name: t_interval([r.kpis[name] for r in self.replications])
                for name in self.kpi_names()}

    def breakdown(self, attribute: str) -> dict[str, dict[str, Interval]]:
        """Intervals per channel (``by_channel``) or business line (``by_business_line``)."""
        first: dict[str, dict[str, float | None]] = getattr(self.replications[0], attribute)
        return {
            group: {name: t_interval([getattr(r, attribute)[group][name]
                                      for r in self.replications])
                    for name in values}
            for group, values in first.items()
        }

    def mean_series(self) -> np.ndarray:
        """Daily series averaged over replications: [day, channel, business line, column]."""
        mean: np.ndarray = np.mean([r.series for r in self.replications], axis=0)
        return mean

    def values(self, kpi: str) -> list[float | None]:
        return [r.kpis[kpi] for r in self.replications]

    def extend(self, more: RunResult) -> None:
        """Add the replications of a later batch run on the same seed."""
        self.replications.extend(more.replications)


def run_many(scenario: Scenario, policy: Policy, *, replications: int, seed: int,
             days: int | None = None, workers: int = 1, events: Path | None = None,
             progress: Progress | None = None, first: int = 0,
             history: History | None = None) -> RunResult:
    """Run replications ``first`` .. ``first + replications - 1``; with ``events`` also write
    the joined event log; with ``history`` the leads are the historical ones."""
    horizon = days or scenario.days
    with tempfile.TemporaryDirectory(prefix="leadops-events-",
                                     dir=events.parent if events else None) as scratch:
        parts = [_part_path(Path(scratch), events, r) if events else None
                 for r in range(replications)]
        jobs = [(scenario, policy,
                 ModelOptions(seed, first + r, horizon, part, r == 0, history))
                for r, part in enumerate(parts)]
        results = _execute(jobs, workers, progress)
        if events is not None:
            join_parts([p for p in parts if p is not None], events)
    return RunResult(scenario, policy, seed, horizon, results)


def event_log_name(prefer_parquet: bool = True) -> str:
    """``events.parquet`` when pyarrow is installed, else ``events.csv.gz``."""
    return "events.parquet" if prefer_parquet and parquet_available() else "events.csv.gz"


def _part_path(scratch: Path, events: Path | None, replication: int) -> Path:
    suffix = ".parquet" if events is not None and events.suffix == ".parquet" else ".csv.gz"
    return scratch / f"part-{replication:05d}{suffix}"


def _execute(jobs: Sequence[tuple[Scenario, Policy, ModelOptions]], workers: int,
             progress: Progress | None) -> list[ReplicationResult]:
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(run_replication(*job))
            if progress:
                progress(results[-1])
        return results
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        futures = [pool.submit(run_replication, *job) for job in jobs]
        results = []
        for future in futures:
            results.append(future.result())
            if progress:
                progress(results[-1])
        return results
