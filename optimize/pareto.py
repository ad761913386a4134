"""Pareto mode: the front of the search, re-evaluated on fresh replications before it is shown.

The front of the search's own numbers is biased: points on it are partly there by luck.
Every point on it is run again on fresh replications (the selection stage's replication
numbers, common to all points), judged again against the constraints with the margin, and
the front is recomputed from the new estimates. The front shown is that one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optimize.evaluate import SELECTION_FIRST, Evaluator, Job
from optimize.goals import Estimate, Measures, estimates, feasible, gain
from optimize.objective import Search
from optimize.outputs import cell
from optimize.trials import Searched
from sim.stats import t_interval


@dataclass
class Point:
    """A front point re-evaluated: its trial, values, fresh estimates, and verdicts."""

    trial: int
    values: dict[str, Any]
    rows: list[Measures]
    found: dict[str, Estimate]
    feasible: bool
    on_front: bool = False


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """a is at least as good everywhere and better somewhere (higher is better)."""
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y for x, y in zip(a, b, strict=True))


def front_indices(gains: Sequence[Sequence[float]]) -> list[int]:
    return [i for i, own in enumerate(gains)
            if not any(dominates(other, own) for j, other in enumerate(gains) if j != i)]


def search_front(records: Sequence[Searched], search: Search) -> list[Searched]:
    """Feasible, non-dominated trials by their search means."""
    usable = [r for r in records if r.feasible and _complete(r.found, search)]
    gains = [_gains(r.found, search) for r in usable]
    return [usable[i] for i in front_indices(gains)]


def reevaluate(evaluator: Evaluator, front: Sequence[Searched], search: Search,
               replications: int) -> list[Point]:
    """Run every front point on the same fresh replications and recompute the front."""
    jobs = [Job(record.values, SELECTION_FIRST + r) for record in front
            for r in range(replications)]
    results = evaluator.run(jobs)
    names = [o.kpi for o in search.objectives] + [c.kpi for c in search.constraints]
    points = []
    for index, record in enumerate(front):
        rows = results[index * replications:(index + 1) * replications]
        found = estimates(rows, names)
        points.append(Point(record.number, record.values, rows, found,
                            feasible(search.constraints, found)))
    usable = [p for p in points if p.feasible and _complete(p.found, search)]
    for i in front_indices([_gains(p.found, search) for p in usable]):
        usable[i].on_front = True
    return points


def _complete(found: dict[str, Estimate], search: Search) -> bool:
    return all(found[o.kpi].mean is not None for o in search.objectives)


def _gains(found: dict[str, Estimate], search: Search) -> list[float]:
    return [gain(o, found[o.kpi].mean or 0.0) for o in search.objectives]


def best_on_front(points: Sequence[Point], search: Search) -> Point | None:
    """The re-evaluated front point that is best on the first objective."""
    first = search.objectives[0]
    shown = [p for p in points if p.on_front]
    return max(shown, key=lambda p: gain(first, p.found[first.kpi].mean or 0.0), default=None)


def pareto_document(points: Sequence[Point], search: Search, replications: int
                    ) -> dict[str, Any]:
    return {
        "objectives": [o.model_dump() for o in search.objectives],
        "constraints": [str(c) for c in search.constraints],
        "replications": replications,
        "replication_numbers": f"{SELECTION_FIRST}..{SELECTION_FIRST + replications - 1}",
        "front": [_point(p) for p in points if p.on_front],
        "dropped": [_point(p) for p in points if not p.on_front],
    }


def _point(point: Point) -> dict[str, Any]:
    names = list(point.found)
    return {"trial": point.trial, "values": point.values, "feasible": point.feasible,
            "estimates": {name: dict(t_interval([row.get(name) for row in point.rows]))
                          for name in names}}


def pareto_csv(front: Sequence[dict[str, Any]], paths: Sequence[str]) -> str:
    """One row per point of a front as ``pareto_document`` gives it: the estimates with
    their intervals, then the values by path."""
    names = list(front[0]["estimates"]) if front else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial", *(f"{n}_{part}" for n in names
                                for part in ("mean", "ci_low", "ci_high")), *paths])
    for point in front:
        writer.writerow([point["trial"],
                         *(cell(point["estimates"][n][part]) for n in names
                           for part in ("mean", "ci_low", "ci_high")),
                         *(cell(point["values"].get(path)) for path in paths)])
    return buffer.getvalue()
