"""The objective as a pure mapping, and common random numbers independent of trial order."""

from __future__ import annotations

import optuna
from optimize_problems import staffing_plan

from optimize.evaluate import SELECTION_FIRST, replicate, report_seed
from optimize.objective import Search, TrialObjective
from optimize.plan import prepare_plan

FOUR, SIX = {"teams.reps.headcount": 4}, {"teams.reps.headcount": 6}


def test_replication_r_depends_on_the_seed_and_r_only() -> None:
    problem = prepare_plan(staffing_plan()).problem

    forward = [replicate(problem, FOUR, r) for r in (0, 1)]
    backward = [replicate(problem, FOUR, r) for r in (1, 0)][::-1]

    assert forward == backward
    assert forward[0] != forward[1]
    assert replicate(problem, FOUR, SELECTION_FIRST) != forward[0]


def test_the_report_seed_is_fixed_and_differs_from_the_study_seed() -> None:
    assert report_seed(1) == report_seed(1)
    assert report_seed(1) not in (1, report_seed(2))


def run_in_order(order: list[dict[str, int]]) -> dict[int, list[dict[str, float | None]]]:
    prepared = prepare_plan(staffing_plan())
    search = Search(len(order), 2, prepared.search.objectives, ())
    study = optuna.create_study(direction="maximize")
    for values in order:
        study.enqueue_trial({"teams.reps.headcount": values["teams.reps.headcount"]})
    study.optimize(TrialObjective(prepared.problem, search), n_trials=len(order))
    return {t.params["teams.reps.headcount"]: t.user_attrs["replications"]
            for t in study.trials}


def test_a_trial_sees_the_same_replications_whatever_ran_before_it() -> None:
    first = run_in_order([FOUR, SIX])
    second = run_in_order([SIX, FOUR])

    assert first == second
    assert first[4] != first[6]


def test_a_trial_that_repeats_values_copies_the_figures_without_running() -> None:
    prepared = prepare_plan(staffing_plan())
    study = optuna.create_study(direction="maximize")
    for _ in range(2):
        study.enqueue_trial({"teams.reps.headcount": 5})
    study.optimize(TrialObjective(prepared.problem, Search(2, 2, prepared.search.objectives,
                                                           ())), n_trials=2)

    original, copy = study.trials
    assert copy.user_attrs["copy_of"] == 0 and "runs" not in copy.user_attrs
    assert copy.user_attrs["replications"] == original.user_attrs["replications"]
    assert copy.value == original.value
    assert copy.intermediate_values == original.intermediate_values
