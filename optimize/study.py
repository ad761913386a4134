"""``leadops optimize``: search, then selection, then the honest final report.

1. Search: Optuna (TPE; multi-objective TPE in Pareto mode) over the space, 1-3 replications
   a trial, constraints with a one-standard-error margin, Wilcoxon pruning.
2. Selection: the top k feasible trials and the baseline run again on fresh replications and
   are compared by the KN procedure (Pareto mode: the front is re-evaluated instead).
3. Report: the chosen policy and the baseline on fresh seeds, paired. ``best_trial.value``
   is never reported: it is the luckiest number of the search, not an estimate.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from leadops.errors import InputError, StorageError
from optimize.evaluate import Evaluator, evaluator
from optimize.final import final_report
from optimize.objective import counts
from optimize.plan import MUST_MATCH, Plan, Prepared, attributes, check_plan, prepare_plan
from optimize.storage import describe, open_storage, recover_dead_trials, scrub
from optimize.watch import Watcher
from optimize.workers import POLL_SECONDS, StudyRef, run_search, work


@dataclass
class Result:
    """Where the outputs went and the selection document (empty for --search-only)."""

    out: Path
    mode: str
    selection: dict[str, Any]
    files: list[str]


def default_out(prepared: Prepared) -> Path:
    return Path("runs") / f"optimize-{prepared.scenario_name}"


def optimize(plan: Plan, watcher: Watcher | None = None) -> Result:
    """Run an optimization as planned and write its directory."""
    from optimize.sweep import sweep

    check_plan(plan)
    watcher = watcher or Watcher()
    if plan.sweep is not None:
        return sweep(plan, watcher)
    prepared = prepare_plan(plan)
    return optimize_prepared(prepared, plan, plan.out or default_out(prepared), watcher)


def optimize_prepared(prepared: Prepared, plan: Plan, out: Path, watcher: Watcher) -> Result:
    """Search, select and report one study into ``out``."""
    if out.exists() and not out.is_dir():
        raise InputError("must be a directory, but a file of that name exists", file=str(out),
                         path="--out")
    ref = StudyRef(plan.storage, out, prepared.study_name)
    study = open_study(ref, prepared, plan)
    recovered = recover_dead_trials(study)
    done = sum(1 for t in study.get_trials(deepcopy=False) if counts(t) and t.state.is_finished())
    watcher.search(ref.name, describe(ref.url, out), done, prepared.search, recovered)
    run_search(ref, prepared.problem, prepared.search, plan.workers, watcher.trial)
    _wait_for_others(ref, prepared, study, watcher)
    if plan.search_only:
        return Result(out, "search", {}, [])
    from optimize.stages import write_outputs

    trials = study.get_trials(deepcopy=False)
    with evaluator(prepared.problem, plan.stage_processes, watcher.run) as runs:
        document, values = _choose(runs, trials, prepared, plan, watcher)
        chosen_runs = runs.runs
        watcher.stage("final report on fresh seeds", 2 * plan.final_replications)
        final = final_report(runs, values, plan.final_replications,
                             list(prepared.search.constraints))
    document["runs"] = _runs(trials, chosen_runs, runs.runs - chosen_runs)
    files = write_outputs(out, study, trials, prepared, plan, document, values, final)
    return Result(out, "pareto" if prepared.search.pareto else "single", document, files)


def _runs(trials: list[optuna.trial.FrozenTrial], selection: int, final: int
          ) -> dict[str, int]:
    """Simulation runs spent by each stage (a trial that copied a twin's figures ran none)."""
    search = sum(int(t.user_attrs.get("runs", 0)) for t in trials)
    return {"search": search, "selection": selection, "final": final,
            "total": search + selection + final}


def _choose(runs: Evaluator, trials: list[optuna.trial.FrozenTrial], prepared: Prepared,
            plan: Plan, watcher: Watcher) -> tuple[dict[str, Any], dict[str, Any]]:
    from optimize.stages import pareto_stage, selection_stage

    if prepared.search.pareto:
        return pareto_stage(runs, trials, prepared, plan, watcher)
    return selection_stage(runs, trials, prepared, plan, watcher)


def open_study(ref: StudyRef, prepared: Prepared, plan: Plan) -> optuna.Study:
    """Create the study, or load it and check it was started with the same settings."""
    storage = open_storage(ref.url, ref.out)
    directions = [objective.direction for objective in prepared.search.objectives]
    try:
        study = optuna.create_study(study_name=ref.name, storage=storage,
                                    directions=directions, load_if_exists=True)
    except ValueError as exc:
        raise InputError(scrub(str(exc), ref.url), file=describe(ref.url, ref.out),
                         path="--study") from None
    found = [direction.name.lower() for direction in study.directions]
    if found != directions:
        raise InputError(f"study '{ref.name}' optimizes {found}, not {directions}; use "
                         f"another --study or --out", file=describe(ref.url, ref.out),
                         path="--study")
    _check_attributes(study, attributes(prepared, plan), ref)
    return study


def _check_attributes(study: optuna.Study, wanted: dict[str, Any], ref: StudyRef) -> None:
    recorded = study.user_attrs
    if not recorded:
        for key, value in wanted.items():
            study.set_user_attr(key, value)
        return
    for key in MUST_MATCH:
        value = json.loads(json.dumps(wanted[key], default=str))
        if recorded.get(key) != value:
            raise InputError(
                f"study '{ref.name}' was started with another {key}; resume it with the same "
                f"options, or start afresh with another --out or --study",
                file=describe(ref.url, ref.out), path="--study")


def _wait_for_others(ref: StudyRef, prepared: Prepared, study: optuna.Study,
                     watcher: Watcher) -> None:
    """Wait until no trial runs anywhere (other machines may still be busy), failing stale
    ones by heartbeat or dead process, and run any trial queued for a retry here."""
    told = False
    while True:
        trials = study.get_trials(deepcopy=False)
        if any(t.state == TrialState.WAITING for t in trials):
            work(ref, prepared.problem, prepared.search, 0, watcher.trial)
            continue
        running = [t for t in trials if t.state == TrialState.RUNNING]
        if not running:
            return
        if not told:
            watcher.note(f"waiting for {len(running)} trial(s) running elsewhere")
            told = True
        _fail_stale(study)
        time.sleep(POLL_SECONDS)


def _fail_stale(study: optuna.Study) -> None:
    try:
        optuna.storages.fail_stale_trials(study)
    except Exception as exc:  # noqa: BLE001 - storage trouble: report, never the password
        raise StorageError(f"cannot check stale trials: {type(exc).__name__}") from None
    recover_dead_trials(study)
