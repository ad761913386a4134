"""The Optuna objective of the search: draw values, run replications, judge constraints.

A single-objective trial runs its replications one at a time and reports each as a step
(step r is replication r, so Optuna's Wilcoxon pruner pairs them across trials under common
random numbers). A pruned trial returns its mean so far and is marked ``pruned``. Everything
a later stage needs is kept on the trial: the values by path (user attribute ``values``) and
the figures of each replication (``replications``).
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from leadops.errors import InputError
from optimize.evaluate import Problem, replicate
from optimize.goals import Measures, estimates, violation
from optimize.paths import apply
from optimize.sampling import suggest
from optimize.space import Constraint, Objective

COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
SPENT_FAILURES = ("invalid", "undefined")


class InvalidValues(Exception):
    """The drawn values make an invalid scenario or policy (the trial fails, counted)."""


class UndefinedObjective(Exception):
    """An objective KPI is undefined on a replication (the trial fails, counted)."""


class SurplusTrial(Exception):
    """Another worker took the last trial of the budget first (the trial fails, not counted)."""


@dataclass(frozen=True)
class Search:
    """How the search runs: its budget, replications and goals."""

    trials: int
    replications: int
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]

    @property
    def pareto(self) -> bool:
        return len(self.objectives) > 1


def counts(trial: FrozenTrial) -> bool:
    """Whether a trial uses a slot of the budget; failures of dead workers do not (they are
    retried), nor do surplus trials."""
    if trial.state in COUNTED:
        return True
    return trial.state == TrialState.FAIL and any(k in trial.user_attrs for k in SPENT_FAILURES)


def remaining(trials: Sequence[FrozenTrial], budget: int) -> int:
    return budget - sum(1 for trial in trials if counts(trial))


def owner() -> dict[str, Any]:
    """Who runs a trial: host, process id and the process's start time (against pid reuse)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": process_start(
        os.getpid())}


def process_start(pid: int) -> str | None:
    """The start time of a process in clock ticks since boot, where /proc tells it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 else None


class TrialObjective:
    """Callable objective for ``study.optimize``; picklable, one per worker."""

    def __init__(self, problem: Problem, search: Search):
        self.problem = problem
        self.search = search

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, ...]:
        trial.set_user_attr("worker", owner())
        self._claim_slot(trial)
        values = suggest(trial, self.problem.space)
        trial.set_user_attr("values", values)
        try:
            apply(self.problem.base, values)
        except InputError as exc:
            trial.set_user_attr("invalid", str(exc))
            raise InvalidValues(str(exc)) from None
        twin = self._twin(trial, values)
        if twin is not None:
            rows, pruned = self._copy(trial, twin), False
        else:
            rows, pruned = self._replicate(trial, values)
        trial.set_user_attr("pruned", pruned)
        return self._finish(trial, rows)

    def _claim_slot(self, trial: optuna.Trial) -> None:
        ahead = [t for t in trial.study.get_trials(deepcopy=False) if t.number < trial.number]
        if remaining(ahead, self.search.trials) <= 0:
            trial.set_user_attr("surplus", True)
            raise SurplusTrial(f"trial {trial.number} is beyond the budget")

    def _twin(self, trial: optuna.Trial, values: dict[str, Any]) -> FrozenTrial | None:
        """A finished trial that set the same values on every replication: under common
        random numbers it would give the very same figures, so they are copied, not rerun."""
        for other in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            rows = other.user_attrs.get("replications", [])
            if other.user_attrs.get("values") == values and len(rows) == self.search.replications:
                return other
        return None

    def _copy(self, trial: optuna.Trial, twin: FrozenTrial) -> list[Measures]:
        rows: list[Measures] = list(twin.user_attrs["replications"])
        trial.set_user_attr("replications", rows)
        trial.set_user_attr("copy_of", twin.number)
        for replication, row in enumerate(rows):
            self._report(trial, row, replication)
        return rows

    def _replicate(self, trial: optuna.Trial, values: dict[str, Any]
                   ) -> tuple[list[Measures], bool]:
        rows: list[Measures] = []
        last = self.search.replications - 1
        for replication in range(self.search.replications):
            rows.append(replicate(self.problem, values, replication))
            trial.set_user_attr("replications", rows)
            trial.set_user_attr("runs", len(rows))
            reported = self._report(trial, rows[-1], replication)
            # Pruning only pays while replications remain to be saved.
            if reported and replication < last and trial.should_prune():
                return rows, True
        return rows, False

    def _report(self, trial: optuna.Trial, row: Measures, replication: int) -> bool:
        """Report the first objective as step ``replication``; False when it cannot be."""
        value = row.get(self.search.objectives[0].kpi)
        if self.search.pareto or value is None or not math.isfinite(value):
            return False
        trial.report(value, replication)
        return True

    def _finish(self, trial: optuna.Trial, rows: list[Measures]) -> float | tuple[float, ...]:
        names = [o.kpi for o in self.search.objectives] + [c.kpi for c in self.search.constraints]
        found = estimates(rows, names)
        for constraint in self.search.constraints:
            trial.set_constraint(str(constraint), violation(constraint, found[constraint.kpi]))
        means = [found[objective.kpi].mean for objective in self.search.objectives]
        if any(mean is None for mean in means):
            trial.set_user_attr("undefined", "an objective is undefined on every replication")
            raise UndefinedObjective(f"trial {trial.number}: objective undefined")
        values = tuple(float(mean) for mean in means if mean is not None)
        return values if self.search.pareto else values[0]
