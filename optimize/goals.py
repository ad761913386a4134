"""Objectives and constraints read off replications, with the safety margin of the search.

A constraint counts as met only when its estimate clears the bound by one standard error:
mean + SE <= max, or mean - SE >= min. With a single replication there is no standard error
and the margin is zero; the selection stage, which always has several replications, then
judges again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from optimize.space import Constraint, Metric, Objective, Space

Measures = dict[str, float | None]

UNDEFINED_VIOLATION = 1e9
"""Violation given to a constraint whose KPI is undefined (e.g. days_to_win_p50 without
a single win): the trial is infeasible, by a wide margin."""


@dataclass(frozen=True)
class Estimate:
    """Mean and standard error of the defined values; ``se`` is None below two values."""

    mean: float | None
    se: float | None
    n: int


def measure(kpis: Mapping[str, float | None], space: Space) -> Measures:
    """The figures the space's objectives and constraints read, from one replication."""
    metrics = {metric.name: metric for metric in space.metrics}
    return {name: metric_value(metrics[name], kpis) if name in metrics else kpis.get(name)
            for name in space.measured()}


def metric_value(metric: Metric, kpis: Mapping[str, float | None]) -> float | None:
    """Sum of coefficient x product; undefined when any KPI it uses is undefined."""
    total = 0.0
    for term in metric.terms:
        product = term.coefficient
        for name in term.product:
            value = kpis.get(name)
            if value is None or not math.isfinite(value):
                return None
            product *= value
        total += product
    return total


def estimate(values: Sequence[float | None]) -> Estimate:
    present = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not present:
        return Estimate(None, None, 0)
    mean = math.fsum(present) / len(present)
    if len(present) < 2:
        return Estimate(mean, None, 1)
    variance = math.fsum((v - mean) ** 2 for v in present) / (len(present) - 1)
    return Estimate(mean, math.sqrt(variance / len(present)), len(present))


def estimates(rows: Sequence[Measures], names: Sequence[str]) -> dict[str, Estimate]:
    return {name: estimate([row.get(name) for row in rows]) for name in names}


def violation(constraint: Constraint, value: Estimate) -> float:
    """How far the margin-adjusted estimate is outside the bound (<= 0: met)."""
    if value.mean is None:
        return UNDEFINED_VIOLATION
    margin = value.se or 0.0
    if constraint.max is not None:
        return value.mean + margin - constraint.max
    assert constraint.min is not None
    return constraint.min - (value.mean - margin)


def feasible(constraints: Sequence[Constraint], values: Mapping[str, Estimate]) -> bool:
    return all(violation(c, values[c.kpi]) <= 0.0 for c in constraints)


def gain(objective: Objective, value: float) -> float:
    """The value turned so that higher is better."""
    return value if objective.direction == "maximize" else -value
