"""The honest number: the chosen policy and the baseline on fresh replications, paired.

Neither the search nor the selection replications are reused: both alternatives run
replications 0.. of the report seed, which no earlier stage touched, so the estimates carry
no selection bias. ``leadops compare --seed REPORT_SEED`` on the same files reproduces the
comparison exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optimize.evaluate import Evaluator, Job, report_seed
from optimize.goals import Measures, estimate, measure, violation
from optimize.paths import apply
from optimize.space import Constraint
from sim.compare import Alternative, compare, paired_difference
from sim.runs import RunResult
from sim.stats import t_interval

BASELINE, CHOSEN = "baseline", "chosen"


@dataclass
class FinalReport:
    """The comparison document (as ``leadops compare`` writes it) and the figures the
    space measures, each with its interval, for both alternatives."""

    comparison: dict[str, Any]
    estimates: dict[str, Any]
    seed: int
    replications: int


def final_report(evaluator: Evaluator, values: Mapping[str, Any], replications: int,
                 constraints: list[Constraint]) -> FinalReport:
    """Run the chosen values and the baseline on fresh seeds and compare them, paired."""
    problem = evaluator.problem
    seed = report_seed(problem.seed)
    chosen = _run(evaluator, dict(values), replications, seed)
    baseline = chosen if not values else _run(evaluator, {}, replications, seed)
    alternatives = [Alternative(BASELINE, "policy", "baseline", (), baseline),
                    Alternative(CHOSEN, "policy", "optimized", _overrides(values), chosen)]
    document = compare(alternatives)
    document["scenario"] = {"name": chosen.scenario.name}
    rows = {label: [measure(r.kpis, problem.space) for r in result.replications]
            for label, result in ((BASELINE, baseline), (CHOSEN, chosen))}
    return FinalReport(document, figures(rows, constraints), seed, replications)


def _run(evaluator: Evaluator, values: dict[str, Any], replications: int, seed: int
         ) -> RunResult:
    jobs = [Job(values, r, seed) for r in range(replications)]
    results = evaluator.results(jobs)
    scenario, policy = apply(evaluator.problem.base, values)
    days = evaluator.problem.days or scenario.days
    return RunResult(scenario, policy, seed, days, results)


def _overrides(values: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(f"{path}={value!r}" for path, value in values.items())


def figures(rows: Mapping[str, list[Measures]], constraints: list[Constraint]
            ) -> dict[str, Any]:
    """Per measured figure: both alternatives' 95% intervals, the paired difference, and
    for constraints whether each alternative meets the bound with the margin."""
    names = list(rows[CHOSEN][0]) if rows[CHOSEN] else []
    bounds = {c.kpi: c for c in constraints}
    table: dict[str, Any] = {}
    for name in names:
        own = {label: [row.get(name) for row in rows[label]] for label in rows}
        entry: dict[str, Any] = {label: dict(t_interval(values)) for label, values in own.items()}
        entry["difference"] = paired_difference(own[BASELINE], own[CHOSEN])
        if name in bounds:
            entry["bound"] = str(bounds[name])
            for label, values in own.items():
                entry[label]["meets_bound"] = violation(bounds[name], estimate(values)) <= 0
        table[name] = entry
    return table
