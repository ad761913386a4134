"""``--sweep KPI=V1,V2,...``: one constrained study per bound, traced as a frontier.

Each bound gets its own study (``STUDY-KPI-V``) and its own directory (``OUT/KPI-V``) with
every usual output. The frontier (``frontier.json``, ``frontier.csv``) lists each bound's
chosen policy with its final estimates on fresh replications: the objective and the swept
KPI, each with a 95% interval. A point whose final estimates are beaten on both by another
point's is marked as not on the frontier: a looser bound cannot truly do worse, so such a
point shows the noise that remains.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from leadops.atomic import write_text
from optimize.outputs import cell, write_json
from optimize.pareto import front_indices
from optimize.plan import Plan, parse_sweep, prepare_plan
from optimize.space import Constraint
from optimize.watch import Watcher

PARTS = ("mean", "ci_low", "ci_high")


def sweep(plan: Plan, watcher: Watcher) -> Any:
    from optimize.study import Result, default_out, optimize_prepared

    bounds = parse_sweep(plan.sweep or "")
    prepared = [prepare_plan(plan, bound, f"-{_tag(bound)}") for bound in bounds]
    out = plan.out or default_out(prepared[0])
    points = []
    for bound, one in zip(bounds, prepared, strict=True):
        watcher.note(f"sweep point {bound}")
        result = optimize_prepared(one, plan, out / _tag(bound), watcher)
        points.append(_point(bound, one.search.objectives[0].kpi, result.selection))
    _mark_frontier(points, prepared[0].search.objectives[0].direction, bounds[0])
    document = {"objective": prepared[0].search.objectives[0].model_dump(),
                "swept": bounds[0].kpi, "points": points}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "frontier.json", document)
    write_text(out / "frontier.csv", frontier_csv(points))
    return Result(out, "sweep", document, ["frontier.json", "frontier.csv"])


def _tag(bound: Constraint) -> str:
    return f"{bound.kpi}-{bound.bound:g}"


def _point(bound: Constraint, objective: str, selection: dict[str, Any]) -> dict[str, Any]:
    estimates = selection.get("final", {}).get("estimates", {})
    chosen = {name: {part: estimates.get(name, {}).get("chosen", {}).get(part)
                     for part in (*PARTS, "meets_bound")}
              for name in (objective, bound.kpi)}
    return {"bound": str(bound), "directory": _tag(bound),
            "chosen": selection.get("chosen", {}).get("label"),
            "objective": chosen[objective], "swept": chosen[bound.kpi],
            "meets_bound": bool(chosen[bound.kpi].get("meets_bound"))}


def _mark_frontier(points: list[dict[str, Any]], direction: str, bound: Constraint) -> None:
    """On the frontier: meets its bound and no other such point is better on both."""
    usable = [p for p in points if p["meets_bound"] and p["objective"]["mean"] is not None
              and p["swept"]["mean"] is not None]
    objective_sign = 1.0 if direction == "maximize" else -1.0
    swept_sign = -1.0 if bound.max is not None else 1.0
    gains = [[objective_sign * p["objective"]["mean"], swept_sign * p["swept"]["mean"]]
             for p in usable]
    on = {id(usable[i]) for i in front_indices(gains)}
    for point in points:
        point["on_frontier"] = id(point) in on


def frontier_csv(points: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["bound", "chosen", *(f"objective_{p}" for p in PARTS),
                     *(f"swept_{p}" for p in PARTS), "meets_bound", "on_frontier"])
    for point in points:
        writer.writerow([point["bound"], point["chosen"],
                         *(cell(point["objective"][p]) for p in PARTS),
                         *(cell(point["swept"][p]) for p in PARTS),
                         cell(point["meets_bound"]), cell(point["on_frontier"])])
    return buffer.getvalue()
