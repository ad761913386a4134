"""The optimizer's quality gate: a staffing problem whose optimum Erlang-A knows exactly.

The ``mmc_patience`` queue (4 leads an hour, service rate 1 an hour, patience rate 0.5 an
hour) with revenue 100 per served lead and 30 an hour per rep: profit per hour is
100 * lambda * (1 - P(abandon | c)) - 30 c, best at c = 5 (218.81 an hour; c = 4 is 1.8%
worse, c = 6 5.7%). Within a budget of simulation runs, ``leadops optimize`` (search,
KN selection, fresh-seed report) must choose a headcount within 1% of the best profit and
report a 95% interval that covers the chosen headcount's true profit. In the same run,
plain Optuna (TPE on single runs, each with its own seed, reporting ``best_trial.value``)
gets the same budget; its regret and the error of the number it reports are shown too.

Worker speed-up: search runs per second of wall time (process start included) with two
worker processes against one, on the same study settings.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import REPOSITORY
from sim.queueing import erlang_a

SPACE = REPOSITORY / "benchmarks" / "staffing_space.toml"
ARRIVALS_PER_HOUR, SERVICE_PER_HOUR, ABANDON_PER_HOUR = 4.0, 1.0, 0.5
REVENUE_PER_SERVED, COST_PER_REP_HOUR = 100.0, 30.0
MONTHLY_COST = COST_PER_REP_HOUR * 24 * 365 / 12
HEADCOUNTS = range(1, 13)
START_HEADCOUNT = 3
BUDGET_RUNS = 200


@dataclass(frozen=True)
class GateSettings:
    """How the optimizer spends the budget of simulation runs on the gate."""

    days: int
    trials: int = 40
    replications: int = 2
    select_k: int = 5
    selection_replications: int = 3
    final_replications: int = 20

    @property
    def worst_case_runs(self) -> int:
        candidates = self.select_k + 1
        return (self.trials * self.replications + candidates * 3 * self.selection_replications
                + 2 * self.final_replications)


def analytic_profit(headcount: int, days: int) -> float:
    """Erlang-A profit of a headcount over the horizon (steady state)."""
    theory = erlang_a(ARRIVALS_PER_HOUR, SERVICE_PER_HOUR, headcount, ABANDON_PER_HOUR)
    per_hour = (REVENUE_PER_SERVED * ARRIVALS_PER_HOUR * (1.0 - theory.prob_abandon)
                - COST_PER_REP_HOUR * headcount)
    return per_hour * 24.0 * days


def best_profit(days: int) -> tuple[int, float]:
    profits = {c: analytic_profit(c, days) for c in HEADCOUNTS}
    best = max(profits, key=lambda c: profits[c])
    return best, profits[best]


def overrides() -> list[str]:
    return [f"teams.reps.monthly_cost_per_head={MONTHLY_COST}",
            f"teams.reps.headcount={START_HEADCOUNT}"]


def optimizer_round(settings: GateSettings, seed: int) -> dict[str, Any]:
    """One run of ``leadops optimize`` on the gate: its choice, regret and interval."""
    from optimize.plan import Plan
    from optimize.study import optimize

    with tempfile.TemporaryDirectory(prefix="leadops-gate-") as folder:
        plan = Plan("mmc_patience", space=str(SPACE), overrides=overrides(),
                    trials=settings.trials, replications=settings.replications,
                    days=settings.days, seed=seed, select_k=settings.select_k,
                    selection_replications=settings.selection_replications,
                    final_replications=settings.final_replications, out=Path(folder))
        selection = optimize(plan).selection
    values = selection["chosen"]["values"]
    chosen = int(values.get("teams.reps.headcount", START_HEADCOUNT))
    truth = analytic_profit(chosen, settings.days)
    interval = selection["final"]["estimates"]["profit"]["chosen"]
    _, best = best_profit(settings.days)
    return {"headcount": chosen, "regret_pct": 100.0 * (best - truth) / best,
            "covers": interval["ci_low"] <= truth <= interval["ci_high"],
            "runs": selection["runs"]["total"], "reported": interval["mean"], "truth": truth}


def plain_optuna_round(settings: GateSettings, seed: int, trials: int) -> dict[str, Any]:
    """TPE on single runs with a seed each, reporting ``best_trial.value``."""
    import optuna

    from optimize.evaluate import Problem, replicate
    from optimize.plan import prepare_plan
    from optimize.storage import quiet_optuna

    quiet_optuna()
    problem: Problem = prepare_plan(_plan(settings, seed)).problem

    def objective(trial: optuna.Trial) -> float:
        headcount = trial.suggest_int("teams.reps.headcount", min(HEADCOUNTS), max(HEADCOUNTS))
        value = replicate(problem, {"teams.reps.headcount": headcount}, trial.number)["profit"]
        return float(value) if value is not None else float("nan")

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    chosen = int(study.best_trial.params["teams.reps.headcount"])
    truth = analytic_profit(chosen, settings.days)
    _, best = best_profit(settings.days)
    return {"headcount": chosen, "regret_pct": 100.0 * (best - truth) / best,
            "reported_error_pct": 100.0 * (study.best_value - truth) / truth,
            "runs": trials}


def _plan(settings: GateSettings, seed: int) -> Any:
    from optimize.plan import Plan

    return Plan("mmc_patience", space=str(SPACE), overrides=overrides(), days=settings.days,
                seed=seed)


SPEED_SPACE = """name = "speed"
# Continuous values, so no trial repeats another's and every trial runs its replications.
[[objectives]]
kpi = "abandon_rate"
direction = "minimize"
[[parameters]]
path = "patience.mean_hours"
type = "float"
low = 1.0
high = 4.0
"""


def search_runs_per_second(workers: int, days: int, trials: int) -> float:
    """Simulation runs per wall-clock second of the search stage, process starts included."""
    import optuna

    from optimize.plan import Plan
    from optimize.storage import open_storage
    from optimize.study import optimize

    with tempfile.TemporaryDirectory(prefix="leadops-speed-") as folder:
        space = Path(folder) / "speed.toml"
        space.write_text(SPEED_SPACE, encoding="utf-8")
        plan = Plan("mmc_patience", space=str(space), trials=trials, replications=2,
                    days=days, workers=workers, out=Path(folder) / "out", search_only=True,
                    study="speed")
        started = time.perf_counter()
        optimize(plan)
        elapsed = time.perf_counter() - started
        storage = open_storage(None, Path(folder) / "out")
        trials_run = optuna.load_study(study_name="speed", storage=storage).get_trials()
        runs = sum(int(t.user_attrs.get("runs", 0)) for t in trials_run)
    return runs / elapsed
