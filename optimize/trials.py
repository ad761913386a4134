"""Reading finished trials back: their values, estimates and feasibility, as the selection
stage judges them (search mean, constraints met with the one-standard-error margin)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from optimize.goals import Estimate, Measures, estimates, gain, violation
from optimize.objective import Search


@dataclass(frozen=True)
class Searched:
    """One finished trial as the later stages see it."""

    number: int
    values: dict[str, Any]
    rows: list[Measures]
    found: dict[str, Estimate]
    excess: float
    pruned: bool

    @property
    def feasible(self) -> bool:
        return self.excess <= 0.0

    def score(self, search: Search) -> float:
        """The first objective's search mean, higher is better."""
        mean = self.found[search.objectives[0].kpi].mean
        return gain(search.objectives[0], mean) if mean is not None else float("-inf")


def searched(trial: FrozenTrial, search: Search) -> Searched | None:
    """The trial's record, or None when it did not complete."""
    if trial.state != TrialState.COMPLETE or "replications" not in trial.user_attrs:
        return None
    rows: list[Measures] = trial.user_attrs["replications"]
    names = [o.kpi for o in search.objectives] + [c.kpi for c in search.constraints]
    found = estimates(rows, names)
    excess = sum(max(violation(c, found[c.kpi]), 0.0) for c in search.constraints)
    return Searched(trial.number, dict(trial.user_attrs.get("values", {})), rows, found,
                    excess, bool(trial.user_attrs.get("pruned")))


def completed(trials: Sequence[FrozenTrial], search: Search) -> list[Searched]:
    found = (searched(trial, search) for trial in trials)
    return [record for record in found if record is not None]


def running_best(trials: Sequence[FrozenTrial], search: Search) -> Searched | None:
    """The best feasible trial so far by search mean; None before the first one."""
    feasible_ones = [r for r in completed(trials, search) if r.feasible]
    return max(feasible_ones, key=lambda r: r.score(search), default=None)


def top_candidates(trials: Sequence[FrozenTrial], search: Search, k: int
                   ) -> tuple[list[Searched], bool]:
    """The k best distinct trials by search mean among the feasible ones, topped up with the
    least infeasible ones when there are fewer than k; and whether all of them are feasible.
    Trials that set identical values count once."""
    records = completed(trials, search)
    ranked = sorted((r for r in records if r.feasible), key=lambda r: r.score(search),
                    reverse=True)
    ranked += sorted((r for r in records if not r.feasible), key=lambda r: r.excess)
    chosen: list[Searched] = []
    seen: set[str] = set()
    for record in ranked:
        key = json.dumps(record.values, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            chosen.append(record)
        if len(chosen) == k:
            break
    return chosen, all(record.feasible for record in chosen)
