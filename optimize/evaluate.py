"""The objective as a pure mapping: values -> (scenario, policy) -> one replication -> figures.

Common random numbers: replication r of every candidate is seeded from (seed, r) alone, never
from the order in which trials ran, so two candidates evaluated on replication r see the same
leads. Each stage of a study uses its own replication numbers, so no stage reuses the noise
that another stage selected on:

- search: replications 0, 1, 2 of the study seed;
- selection: replications from ``SELECTION_FIRST`` on, of the study seed;
- report: replications 0.. of a separate report seed (see :func:`report_seed`), so that
  ``leadops compare --seed REPORT_SEED`` reproduces the final comparison.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from optimize.goals import Measures, measure
from optimize.paths import Assignments, Base, apply
from optimize.space import Space
from sim.model import ModelOptions
from sim.replication import ReplicationResult, run_replication

SELECTION_FIRST = 100_000
T = TypeVar("T")
REPORT_SEED_SALT = 0x5E1EC7


@dataclass(frozen=True)
class Problem:
    """What every evaluation of a study shares: the base, the space, the seed, the horizon."""

    base: Base
    space: Space
    seed: int
    days: int | None


@dataclass(frozen=True)
class Job:
    """One replication of one candidate."""

    assignments: dict[str, object]
    replication: int
    seed: int | None = None  # None: the study seed


def report_seed(seed: int) -> int:
    """The seed of the final report's fresh replications, derived from the study seed."""
    return int(np.random.SeedSequence([seed, REPORT_SEED_SALT]).generate_state(1)[0])


def replicate(problem: Problem, assignments: Assignments, replication: int,
              seed: int | None = None) -> Measures:
    """Figures of one replication of the candidate (invalid values raise InputError)."""
    result = replicate_fully(problem, assignments, replication, seed)
    return measure(result.kpis, problem.space)


def replicate_fully(problem: Problem, assignments: Assignments, replication: int,
                    seed: int | None = None) -> ReplicationResult:
    """The whole result of one replication of the candidate."""
    scenario, policy = apply(problem.base, assignments)
    options = ModelOptions(seed=problem.seed if seed is None else seed,
                           replication=replication, days=problem.days)
    return run_replication(scenario, policy, options)


def _run_job(problem: Problem, job: Job) -> Measures:
    return replicate(problem, job.assignments, job.replication, job.seed)


def _run_job_fully(problem: Problem, job: Job) -> ReplicationResult:
    return replicate_fully(problem, job.assignments, job.replication, job.seed)


class Evaluator:
    """Runs batches of jobs, in worker processes when ``workers`` > 1."""

    def __init__(self, problem: Problem, pool: ProcessPoolExecutor | None,
                 progress: Callable[[], None] | None = None):
        self.problem = problem
        self.pool = pool
        self.progress = progress
        self.runs = 0

    def run(self, jobs: Sequence[Job]) -> list[Measures]:
        """The figures of each job, in order."""
        return self._map(_run_job, jobs)

    def results(self, jobs: Sequence[Job]) -> list[ReplicationResult]:
        """The whole result of each job, in order."""
        return self._map(_run_job_fully, jobs)

    def _map(self, function: Callable[[Problem, Job], T], jobs: Sequence[Job]) -> list[T]:
        if self.pool is None:
            done = []
            for job in jobs:
                done.append(function(self.problem, job))
                self._advance()
            return done
        futures = [self.pool.submit(function, self.problem, job) for job in jobs]
        finished = []
        for future in futures:
            finished.append(future.result())
            self._advance()
        return finished

    def _advance(self) -> None:
        self.runs += 1
        if self.progress is not None:
            self.progress()


@contextlib.contextmanager
def evaluator(problem: Problem, workers: int, progress: Callable[[], None] | None = None
              ) -> Iterator[Evaluator]:
    """An evaluator with ``workers`` processes (none when 1)."""
    if workers <= 1:
        yield Evaluator(problem, None, progress)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield Evaluator(problem, pool, progress)
