"""The stages after the search: selection (or front re-evaluation) and the output files."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from leadops.atomic import write_text
from optimize.evaluate import SELECTION_FIRST, Evaluator, Job
from optimize.final import FinalReport
from optimize.goals import Estimate, Measures, estimates, feasible, gain, violation
from optimize.outputs import importances, trials_csv, write_best, write_json
from optimize.pareto import best_on_front, pareto_csv, pareto_document, reevaluate, search_front
from optimize.paths import apply
from optimize.plan import Plan, Prepared
from optimize.selection import Outcome, kn_constant, kn_select
from optimize.storage import describe
from optimize.trials import Searched, completed, top_candidates
from optimize.watch import Watcher
from sim.stats import t_interval

ALPHA = 0.05
MIN_INDIFFERENCE = 1e-12


@dataclass(frozen=True)
class Entry:
    """A candidate of the selection: the baseline or a trial."""

    label: str
    record: Searched | None
    values: dict[str, Any]


class Measured:
    """Selection replications of every entry, run once and kept by (entry, replication)."""

    def __init__(self, runs: Evaluator, entries: list[Entry]):
        self.runs = runs
        self.entries = entries
        self.rows: dict[tuple[int, int], Measures] = {}

    def get(self, pairs: Sequence[tuple[int, int]]) -> list[Measures]:
        missing = [pair for pair in dict.fromkeys(pairs) if pair not in self.rows]
        jobs = [Job(self.entries[i].values, SELECTION_FIRST + r) for i, r in missing]
        self.rows.update(zip(missing, self.runs.run(jobs), strict=True))
        return [self.rows[pair] for pair in pairs]

    def of(self, entry: int) -> list[Measures]:
        return [row for (i, _), row in sorted(self.rows.items()) if i == entry]


def selection_stage(runs: Evaluator, trials: list[FrozenTrial], prepared: Prepared,
                    plan: Plan, watcher: Watcher) -> tuple[dict[str, Any], dict[str, Any]]:
    """The top k trials and the baseline, screened for constraints on a first stage of
    fresh replications, then compared by KN; the document and the chosen values."""
    search = prepared.search
    candidates, all_feasible = top_candidates(trials, search, plan.select_k)
    entries = distinct(prepared, [Entry("baseline", None, {}),
                                  *(Entry(f"trial {c.number}", c, c.values)
                                    for c in candidates)])
    measured = Measured(runs, entries)
    first = plan.selection_replications
    watcher.stage("selection: first stage", len(entries) * first)
    measured.get([(i, r) for i in range(len(entries)) for r in range(first)])
    eligible, any_feasible = _screen(measured, entries, prepared)
    delta, source = _indifference(plan, measured, eligible, prepared)
    watcher.stage("selection: KN procedure", None)
    outcome = kn_select(_values(measured, eligible, prepared), len(eligible), first_stage=first,
                        delta=delta, alpha=ALPHA, max_replications=plan.selection_cap)
    chosen = eligible[outcome.chosen]
    document = {
        "mode": "constrained single objective",
        "objective": search.objectives[0].model_dump(),
        "constraints": [str(c) for c in search.constraints],
        "constraint_rule": "met when mean + 1 standard error <= max (mean - 1 SE >= min)",
        "procedure": _procedure(outcome, delta, source, plan, len(eligible)),
        "candidates": [_candidate(i, entry, measured, eligible, outcome, chosen, prepared)
                       for i, entry in enumerate(entries)],
        "search_candidates_all_feasible": all_feasible,
        "any_candidate_feasible_on_fresh_replications": any_feasible,
        "chosen": _chosen(entries[chosen]),
        "search": _search_summary(trials, prepared),
    }
    return document, entries[chosen].values


def distinct(prepared: Prepared, entries: list[Entry]) -> list[Entry]:
    """Entries that make different scenarios or policies: two that make the same one would
    give identical replications, which no procedure can tell apart."""
    kept, seen = [], set()
    for entry in entries:
        scenario, policy = apply(prepared.problem.base, entry.values)
        key = scenario.model_dump_json() + policy.model_dump_json()
        if key not in seen:
            seen.add(key)
            kept.append(entry)
    return kept


def _chosen(entry: Entry) -> dict[str, Any]:
    trial = entry.record.number if entry.record is not None else None
    return {"label": entry.label, "values": entry.values, "trial": trial}


def _screen(measured: Measured, entries: list[Entry], prepared: Prepared
            ) -> tuple[list[int], bool]:
    """Entries whose first-stage estimates meet every constraint with the margin; when none
    does, the one closest to meeting them (and False)."""
    constraints = prepared.search.constraints
    names = [c.kpi for c in constraints]
    found = [estimates(measured.of(i), names) for i in range(len(entries))]
    eligible = [i for i in range(len(entries)) if feasible(constraints, found[i])]
    if eligible:
        return eligible, True
    excess = [sum(max(violation(c, f[c.kpi]), 0.0) for c in constraints) for f in found]
    return [min(range(len(entries)), key=lambda i: excess[i])], False


def _indifference(plan: Plan, measured: Measured, eligible: list[int], prepared: Prepared
                  ) -> tuple[float, str]:
    """The user's zone, or the smallest difference the replication cap can resolve:
    h S / sqrt(cap), with S the median standard deviation of paired first-stage differences
    (at the cap, KN's continuation region has shrunk to nothing for that difference)."""
    if plan.indifference is not None:
        return plan.indifference, "--indifference"
    objective = prepared.search.objectives[0]
    first = plan.selection_replications
    series = [[_gain(objective, row.get(objective.kpi)) for row in measured.of(i)[:first]]
              for i in eligible]
    spreads = [_spread(a, b) for j, a in enumerate(series) for b in series[j + 1:]]
    finite = sorted(s for s in spreads if math.isfinite(s) and s > 0)
    if len(eligible) < 2 or not finite:
        return MIN_INDIFFERENCE, "default: nothing to resolve"
    h = math.sqrt(kn_constant(len(eligible), first, ALPHA))
    delta = h * finite[len(finite) // 2] / math.sqrt(plan.selection_cap)
    return max(delta, MIN_INDIFFERENCE), ("default: the smallest difference the replication "
                                          "cap resolves, h S / sqrt(cap)")


def _spread(a: list[float], b: list[float]) -> float:
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    if len(diffs) < 2 or not all(math.isfinite(d) for d in diffs):
        return math.inf
    mean = math.fsum(diffs) / len(diffs)
    return math.sqrt(math.fsum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))


def _values(measured: Measured, eligible: list[int], prepared: Prepared
            ) -> Any:
    objective = prepared.search.objectives[0]

    def values(pairs: Sequence[tuple[int, int]]) -> list[float]:
        rows = measured.get([(eligible[j], r) for j, r in pairs])
        return [_gain(objective, row.get(objective.kpi)) for row in rows]

    return values


def _gain(objective: Any, value: float | None) -> float:
    if value is None or not math.isfinite(value):
        return -math.inf
    return gain(objective, value)


def _procedure(outcome: Outcome, delta: float, source: str, plan: Plan, count: int
               ) -> dict[str, Any]:
    return {
        "name": "KN fully sequential indifference-zone selection (Kim & Nelson 2001) with "
                "common random numbers, after a constraint screen on the first stage",
        "alpha": ALPHA, "indifference": delta, "indifference_source": source,
        "first_stage": plan.selection_replications, "max_replications": plan.selection_cap,
        "competitors": count, "h2": outcome.h2, "stopped_because": outcome.stopped_because,
        "replication_numbers": f"from {SELECTION_FIRST}, of the study seed",
    }


def _candidate(index: int, entry: Entry, measured: Measured, eligible: list[int],
               outcome: Outcome, chosen: int, prepared: Prepared) -> dict[str, Any]:
    search = prepared.search
    names = [o.kpi for o in search.objectives] + [c.kpi for c in search.constraints]
    rows = measured.of(index)
    place = eligible.index(index) if index in eligible else None
    return {
        "label": entry.label,
        "trial": entry.record.number if entry.record else None,
        "values": entry.values,
        "search": _estimates(entry.record.found) if entry.record else None,
        "search_feasible": entry.record.feasible if entry.record else None,
        "selection": {name: dict(t_interval([row.get(name) for row in rows]))
                      for name in dict.fromkeys(names)},
        "selection_replications": len(rows),
        "passed_constraint_screen": place is not None,
        "eliminated_after": outcome.eliminated_after.get(place) if place is not None else None,
        "chosen": index == chosen,
    }


def _estimates(found: dict[str, Estimate]) -> dict[str, Any]:
    return {name: {"mean": e.mean, "se": e.se, "n": e.n} for name, e in found.items()}


def _search_summary(trials: list[FrozenTrial], prepared: Prepared) -> dict[str, Any]:
    states = [t.state for t in trials]
    records = completed(trials, prepared.search)
    return {
        "trials": len(trials),
        "complete": states.count(TrialState.COMPLETE),
        "pruned_early": sum(1 for r in records if r.pruned),
        "failed": states.count(TrialState.FAIL),
        "feasible": sum(1 for r in records if r.feasible),
        "replications_per_trial": prepared.search.replications,
        "note": "search means are optimistic for the best trials (selected on the same "
                "noise); the numbers to use are in final",
    }


def pareto_stage(runs: Evaluator, trials: list[FrozenTrial], prepared: Prepared, plan: Plan,
                 watcher: Watcher) -> tuple[dict[str, Any], dict[str, Any]]:
    """Re-evaluate the search's front; the best re-evaluated point on the first objective is
    the policy written out."""
    search = prepared.search
    front = search_front(completed(trials, search), search)
    watcher.stage("re-evaluating the front", len(front) * plan.final_replications)
    points = reevaluate(runs, front, search, plan.final_replications)
    best = best_on_front(points, search)
    document = {
        "mode": "pareto",
        "objectives": [o.model_dump() for o in search.objectives],
        "constraints": [str(c) for c in search.constraints],
        "pareto": pareto_document(points, search, plan.final_replications),
        "chosen": {"label": f"trial {best.trial}" if best else "baseline",
                   "trial": best.trial if best else None,
                   "values": best.values if best else {},
                   "rule": "best first objective on the re-evaluated front"},
        "search": _search_summary(trials, prepared),
    }
    return document, (best.values if best else {})


def write_outputs(out: Path, study: optuna.Study, trials: list[FrozenTrial],
                  prepared: Prepared, plan: Plan, document: dict[str, Any],
                  values: dict[str, Any], final: FinalReport) -> list[str]:
    """Every file of the optimization directory; the names written."""
    search, space = prepared.search, prepared.problem.space
    found, note = importances(study, search)
    document["final"] = {
        "seed": final.seed, "replications": final.replications,
        "replication_numbers": "0.. of the report seed (no earlier stage used them)",
        "estimates": final.estimates,
        "reproduce": _reproduce(prepared, plan, values, final),
    }
    document["importances_note"] = note
    document["study"] = {"name": prepared.study_name, "storage": describe(plan.storage, out),
                         "seed": plan.seed, "space_file": prepared.space_file,
                         "scenario": prepared.scenario_name, "policy": prepared.policy_name}
    written = ["trials.csv", "selection.json", "comparison.json", "importances.json"]
    write_text(out / "trials.csv", trials_csv(trials, search, space))
    write_json(out / "importances.json", found)
    write_json(out / "comparison.json", final.comparison)
    if search.pareto:
        points = document["pareto"]
        write_json(out / "pareto.json", points)
        write_text(out / "pareto.csv", pareto_csv(points["front"], space.paths()))
        written += ["pareto.json", "pareto.csv"]
    written += _write_policy(out, prepared, values, document)
    document["files"] = written
    write_json(out / "selection.json", document)
    return written


def _write_policy(out: Path, prepared: Prepared, values: dict[str, Any],
                  document: dict[str, Any]) -> list[str]:
    scenario, policy = apply(prepared.problem.base, values)
    label = document["chosen"]["label"]
    policy = policy.model_copy(update={
        "name": f"{policy.name}-optimized",
        "description": f"leadops optimize, space '{prepared.problem.space.name}', {label}"})
    header = (f"Written by leadops optimize (study '{prepared.study_name}', {label}).\n"
              f"Estimates on fresh replications are in selection.json under final.")
    return write_best(out, scenario, policy, prepared.problem.space, header)


def _reproduce(prepared: Prepared, plan: Plan, values: dict[str, Any], final: FinalReport
               ) -> str:
    """The ``leadops compare`` command that gives the same final comparison."""
    days = f" --days {prepared.problem.days}" if prepared.problem.days else ""
    sets = "".join(f" --set {text}" for text in plan.overrides)
    tail = f" --seed {final.seed} -n {final.replications}{days}{sets}"
    head = f"leadops compare {plan.scenario} --policy {prepared.policy_source}"
    on_policy = [path for path in values if path.startswith("policy.")]
    if not values:
        return f"leadops run {plan.scenario} --policy {prepared.policy_source}{tail}"
    if len(on_policy) == len(values):
        return f"{head} --policy best_policy.toml{tail}"
    if not on_policy:
        sets_chosen = ",".join(f"{path}={_value(value)}" for path, value in values.items())
        return f"{head} --variant chosen:{sets_chosen}{tail}"
    return ("the chosen values edit both the policy and the scenario: run best_scenario.toml "
            "under best_policy.toml with leadops run" + tail)


def _value(value: Any) -> str:
    """A value as ``--set`` reads it (TOML)."""
    return str(value).lower() if isinstance(value, bool) else repr(value)
