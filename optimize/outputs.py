"""The files of an optimization directory, each written atomically.

``trials.csv`` (one row per trial), ``selection.json`` (candidates, procedure, final
estimates), ``comparison.json`` (chosen against baseline, as ``leadops compare`` writes it),
``best_policy.toml`` (a policy file ``leadops run --policy`` accepts as it is; with
``best_scenario.toml`` when the space sets scenario values), ``importances.json``
({parameter: importance}) and, in Pareto mode, ``pareto.json`` and ``pareto.csv``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomli_w
from optuna.trial import FrozenTrial

from leadops.atomic import write_text
from optimize.goals import estimates
from optimize.objective import Search
from optimize.space import Space
from policies import Policy
from scenarios import Scenario
from sim.rundir import dumps

MIN_IMPORTANCE_TRIALS = 4


def write_json(path: Path, document: Any) -> None:
    write_text(path, dumps(document))


def trials_csv(trials: Sequence[FrozenTrial], search: Search, space: Space) -> str:
    """One row per trial: number, state, notes, the search estimates of every measured
    figure, the values set by path, and the first objective on each replication."""
    names = space.measured()
    paths = space.paths()
    first = search.objectives[0].kpi
    replications = max(search.replications, 1)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial", "state", "pruned", "feasible", "note", "replications",
                     *(f"{name}_{part}" for name in names for part in ("mean", "se")),
                     *paths, *(f"{first}_r{r}" for r in range(replications))])
    for trial in sorted(trials, key=lambda t: t.number):
        writer.writerow(_trial_row(trial, search, names, paths, replications))
    return buffer.getvalue()


def _trial_row(trial: FrozenTrial, search: Search, names: list[str], paths: list[str],
               replications: int) -> list[str]:
    attrs = trial.user_attrs
    rows = attrs.get("replications", [])
    found = estimates(rows, names)
    values = attrs.get("values", {})
    feasible = "" if not trial.constraints and not rows else str(
        all(v <= 0 for v in trial.constraints.values())).lower()
    first = search.objectives[0].kpi
    per_replication = [row.get(first) for row in rows][:replications]
    per_replication += [None] * (replications - len(per_replication))
    return [str(trial.number), trial.state.name.lower(), str(bool(attrs.get("pruned"))).lower(),
            feasible, _note(attrs), str(len(rows)),
            *(cell(getattr(found[name], part)) for name in names for part in ("mean", "se")),
            *(cell(values.get(path)) for path in paths), *(cell(v) for v in per_replication)]


def _note(attrs: dict[str, Any]) -> str:
    for key in ("invalid", "undefined"):
        if key in attrs:
            return f"{key}: {attrs[key]}"
    if attrs.get("surplus"):
        return "surplus: started after the budget was used up"
    if "copy_of" in attrs:
        return f"same values as trial {attrs['copy_of']}: figures copied, nothing rerun"
    if "retry_of" in attrs:
        return f"retry of trial {attrs['retry_of']}"
    return ""


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(round(value, 10)) if math.isfinite(value) else ""
    return str(value)


def toml_text(data: dict[str, Any], header: str) -> str:
    """A TOML file of plain data, dropping unset (None) fields, with a comment on top."""
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + tomli_w.dumps(_without_none(data))


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_none(v) for v in value]
    return value


def write_best(out: Path, scenario: Scenario, policy: Policy, space: Space, header: str
               ) -> list[str]:
    """best_policy.toml, and best_scenario.toml when the space sets scenario values."""
    write_text(out / "best_policy.toml", toml_text(policy.model_dump(mode="python"), header))
    written = ["best_policy.toml"]
    if any(not path.startswith("policy.") for path in space.paths()):
        write_text(out / "best_scenario.toml",
                   toml_text(scenario.model_dump(mode="python"), header))
        written.append("best_scenario.toml")
    return written


def importances(study: Any, search: Search) -> tuple[dict[str, float], str]:
    """Parameter importances of the first objective by Optuna's default evaluator
    (PED-ANOVA, which needs no extra package), and a note on how they were judged."""
    import optuna

    complete = [t for t in study.get_trials(deepcopy=False)
                if t.state == optuna.trial.TrialState.COMPLETE]
    if len(complete) < MIN_IMPORTANCE_TRIALS:
        return {}, f"fewer than {MIN_IMPORTANCE_TRIALS} completed trials: not judged"
    try:
        found = optuna.importance.get_param_importances(
            study, target=(lambda t: t.values[0]) if search.pareto else None)
    except (RuntimeError, ValueError, ZeroDivisionError) as exc:
        return {}, f"not available: {exc}"
    note = f"PED-ANOVA (Optuna's default evaluator) on {search.objectives[0].kpi}"
    return {name: float(value) for name, value in found.items()}, note
