"""The benchmark sections. Each one adds its figures to a :class:`Report`.

Throughput ratios are taken within each round (the model and its references run one after
the other on the same seed), then summarised, so a noisy neighbour slows both sides.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sim
from benchmarks.measure import ChildConfig, ChildRun, Spread, run_child, spread
from benchmarks.references import (
    ARRIVAL_RATE,
    SERVERS,
    SERVICE_RATE,
    QueueRun,
    ciw_available,
    ciw_mmc,
    simpy_mmc,
)
from leadops import api
from sim.model import ModelOptions
from sim.queueing import erlang_a, mmc_mean_wait
from sim.replication import run_replication
from sim.stats import Interval, t_interval

HOURS_PER_DAY = 24
SCALES = (0.1, 1.0, 10.0)
Figure = float | bool | None


@dataclass(frozen=True)
class Plan:
    """How many repetitions and how long a horizon each section uses."""

    queue_rounds: int
    queue_days: int
    patience_replications: int
    patience_days: int
    baseline_runs: int
    baseline_days: int | None
    scaling_rounds: int
    scaling_days: int | None
    optimizer_rounds: int = 1
    optimizer_days: int = 60
    speedup_rounds: int = 1
    speedup_days: int = 240
    speedup_trials: int = 32


QUICK = Plan(queue_rounds=5, queue_days=240, patience_replications=8, patience_days=240,
             baseline_runs=3, baseline_days=None, scaling_rounds=3, scaling_days=60)
FULL = Plan(queue_rounds=9, queue_days=240, patience_replications=20, patience_days=240,
            baseline_runs=5, baseline_days=None, scaling_rounds=3, scaling_days=None,
            optimizer_rounds=3, speedup_rounds=3)


@dataclass
class Report:
    """Flat figures (the median where a figure was repeated) and their spreads."""

    figures: dict[str, Figure] = field(default_factory=dict)
    spreads: dict[str, Spread] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    section_seconds: dict[str, float] = field(default_factory=dict)

    def put(self, key: str, values: list[float]) -> None:
        summary = spread(values)
        self.figures[key] = summary.median if summary else None
        if summary is not None:
            self.spreads[key] = summary


def relative_error(measured: float | None, theory: float) -> float | None:
    """|measured - theory| / theory, or None when nothing was measured."""
    if measured is None or not math.isfinite(measured):
        return None
    return abs(measured - theory) / theory


def inside(interval: Interval, theory: float) -> bool | None:
    low, high = interval["ci_low"], interval["ci_high"]
    if low is None or high is None:
        return None
    return low <= theory <= high


# --- M/M/c throughput and accuracy ---------------------------------------------------------


def leadops_queue(scenario: str, days: int, seed: int) -> tuple[QueueRun, dict[str, float]]:
    """One replication of a bundled queueing scenario, timed like the references."""
    setup = api.prepare(scenario)
    options = ModelOptions(seed=seed, days=days)
    started = time.perf_counter()
    result = run_replication(setup.scenario, setup.policy, options)
    elapsed = time.perf_counter() - started
    kpis = {name: value for name, value in result.kpis.items() if value is not None}
    wait = kpis.get("first_contact_hours_mean", math.nan)
    return QueueRun(result.census["arrived"], elapsed, wait), kpis


def queue_section(plan: Plan, report: Report) -> None:
    """Bare SimPy, Ciw and leadops on the same M/M/c queue, round by round."""
    horizon_hours = plan.queue_days * HOURS_PER_DAY
    runners: dict[str, Callable[[int], QueueRun]] = {
        "simpy": lambda seed: simpy_mmc(horizon_hours, seed),
        "leadops": lambda seed: leadops_queue("mmc", plan.queue_days, seed)[0],
    }
    report.figures["model_compiled"] = sim.compiled()
    if not sim.compiled():
        report.notes.append("the simulation modules run from source, not compiled: reinstall "
                            "with pip install -e . (see setup.py) to time the compiled model")
    if ciw_available():
        runners["ciw"] = lambda seed: ciw_mmc(horizon_hours, seed)
    else:
        report.notes.append("ciw is not installed (pip install .[bench]): its figures are null")
    rounds = [_queue_round(runners, index) for index in range(plan.queue_rounds)]
    _queue_throughput(rounds, report)
    _queue_accuracy(rounds, report)


def _queue_round(runners: dict[str, Callable[[int], QueueRun]], index: int
                 ) -> dict[str, QueueRun]:
    """Every runner once on the same seed; the order rotates so none always goes first."""
    names = list(runners)
    shift = index % len(names)
    return {name: runners[name](index + 1) for name in names[shift:] + names[:shift]}


def _queue_throughput(rounds: list[dict[str, QueueRun]], report: Report) -> None:
    for name in ("simpy", "ciw", "leadops"):
        rates = [r[name].customers_per_second for r in rounds if name in r]
        report.put(f"{name}_mmc_customers_per_s", rates)
    for peer in ("simpy", "ciw"):
        ratios = [r["leadops"].customers_per_second / r[peer].customers_per_second
                  for r in rounds if peer in r]
        report.put(f"leadops_vs_{peer}", ratios)


def _queue_accuracy(rounds: list[dict[str, QueueRun]], report: Report) -> None:
    theory = mmc_mean_wait(ARRIVAL_RATE, SERVICE_RATE, SERVERS)
    report.figures["mmc_wait_theory_hours"] = theory
    for name in ("simpy", "ciw", "leadops"):
        interval = t_interval([r[name].mean_wait_hours for r in rounds if name in r])
        prefix = "mmc" if name == "leadops" else f"{name}_mmc"
        report.figures[f"{prefix}_wait_hours"] = interval["mean"]
        report.figures[f"{prefix}_wait_rel_error"] = relative_error(interval["mean"], theory)
        report.figures[f"{prefix}_wait_theory_inside_ci"] = inside(interval, theory)


def patience_section(plan: Plan, report: Report) -> None:
    """The M/M/c+M scenario against Erlang-A: abandonment and the wait of served leads."""
    setup = api.prepare("mmc_patience")
    theta = 1.0 / setup.scenario.patience.mean_hours
    theory = erlang_a(ARRIVAL_RATE, SERVICE_RATE, SERVERS, theta)
    runs = [leadops_queue("mmc_patience", plan.patience_days, seed)[1]
            for seed in range(1, plan.patience_replications + 1)]
    pairs = (("abandon", "abandon_rate", theory.prob_abandon),
             ("wait", "first_contact_hours_mean", theory.mean_wait_served))
    for label, kpi, expected in pairs:
        interval = t_interval([run.get(kpi) for run in runs])
        report.figures[f"mmc_patience_{label}"] = interval["mean"]
        report.figures[f"mmc_patience_{label}_theory"] = expected
        report.figures[f"mmc_patience_{label}_rel_error"] = relative_error(
            interval["mean"], expected)
        report.figures[f"mmc_patience_{label}_theory_inside_ci"] = inside(interval, expected)


# --- the baseline scenario and how it scales -----------------------------------------------


def baseline_section(plan: Plan, report: Report) -> None:
    """Leads per second, SimPy events per lead and peak memory, one fresh process a run."""
    runs = [run_child(ChildConfig("baseline", seed, plan.baseline_days))
            for seed in range(1, plan.baseline_runs + 1)]
    report.put("baseline_leads_per_s", [run.leads_per_second for run in runs])
    report.put("baseline_events_per_lead", [run.events_per_lead for run in runs])
    report.put("baseline_peak_rss_mb", [run.peak_rss_mb for run in runs])
    report.put("baseline_rss_before_run_mb", [run.rss_before_mb for run in runs])


def scaled_overrides(scale: float) -> tuple[str, ...]:
    """Volume and every team's headcount times ``scale``, so the load per rep stays put."""
    teams = api.prepare("baseline").scenario.teams
    headcounts = [f"teams.{name}.headcount={max(1, round(team.headcount * scale))}"
                  for name, team in teams.items()]
    return (f"volume_scale={scale:g}", *headcounts)


def scale_label(scale: float) -> str:
    return f"{scale:g}x".replace(".", "p")


def scaling_section(plan: Plan, report: Report) -> None:
    """Cost per lead and peak RSS at 0.1x, 1x and 10x, with the event log off and on."""
    runs: dict[tuple[float, bool], list[ChildRun]] = {}
    for seed in range(1, plan.scaling_rounds + 1):
        for events in (False, True):
            for scale in SCALES:
                runs.setdefault((scale, events), []).append(_scaled_run(plan, scale, events, seed))
    for (scale, events), scaled in runs.items():
        suffix = scale_label(scale) + ("_events" if events else "")
        report.put(f"scaling_seconds_per_lead_{suffix}", [r.seconds_per_lead for r in scaled])
        report.put(f"scaling_peak_rss_mb_{suffix}", [r.peak_rss_mb for r in scaled])
    _scaling_ratios(runs, report)


def _scaled_run(plan: Plan, scale: float, events: bool, seed: int) -> ChildRun:
    overrides = scaled_overrides(scale)
    if not events:
        return run_child(ChildConfig("baseline", seed, plan.scaling_days, overrides))
    with tempfile.TemporaryDirectory(prefix="leadops-bench-") as folder:
        return run_child(ChildConfig("baseline", seed, plan.scaling_days, overrides,
                                     Path(folder)))


def _scaling_ratios(runs: dict[tuple[float, bool], list[ChildRun]], report: Report) -> None:
    """10x over 1x, round by round (the rounds share seeds). The contract's cost ratio is
    without the event log, its RSS ratio with the event log streamed to disk."""

    def ratios(events: bool, measure: Callable[[ChildRun], float]) -> list[float]:
        pairs = zip(runs[(10.0, events)], runs[(1.0, events)], strict=True)
        return [measure(large) / measure(unit) for large, unit in pairs]

    def cost(run: ChildRun) -> float:
        return run.seconds_per_lead

    def cpu_cost(run: ChildRun) -> float:
        return run.cpu_seconds_per_lead

    def rss(run: ChildRun) -> float:
        return run.peak_rss_mb

    report.put("scaling_cost_ratio_10x", ratios(False, cost))
    report.put("scaling_cost_ratio_10x_events", ratios(True, cost))
    # CPU time is less disturbed by other work on a shared machine than wall time.
    report.put("scaling_cpu_cost_ratio_10x", ratios(False, cpu_cost))
    report.put("scaling_rss_ratio_10x", ratios(True, rss))
    report.put("scaling_rss_ratio_10x_no_events", ratios(False, rss))


def optimizer_section(plan: Plan, report: Report) -> None:
    """The staffing gate against Erlang-A, plain Optuna on the same budget, and the search
    speed-up of two worker processes over one (see :mod:`benchmarks.optimizer`)."""
    from benchmarks import optimizer

    settings = optimizer.GateSettings(days=plan.optimizer_days)
    rounds = [optimizer.optimizer_round(settings, seed)
              for seed in range(1, plan.optimizer_rounds + 1)]
    plain = [optimizer.plain_optuna_round(settings, seed, optimizer.BUDGET_RUNS)
             for seed in range(1, plan.optimizer_rounds + 1)]
    report.put("optimizer_regret_pct", [r["regret_pct"] for r in rounds])
    report.put("optimizer_interval_covers", [float(r["covers"]) for r in rounds])
    report.put("optimizer_runs", [float(r["runs"]) for r in rounds])
    report.put("optimizer_chosen_headcount", [float(r["headcount"]) for r in rounds])
    report.put("plain_optuna_regret_pct", [r["regret_pct"] for r in plain])
    report.put("plain_optuna_reported_error_pct", [r["reported_error_pct"] for r in plain])
    report.put("plain_optuna_chosen_headcount", [float(r["headcount"]) for r in plain])
    report.figures["optimizer_best_headcount"] = float(
        optimizer.best_profit(plan.optimizer_days)[0])
    report.notes.append(f"optimizer gate: budget {optimizer.BUDGET_RUNS} runs (worst case of "
                        f"the settings: {settings.worst_case_runs}); a 95% interval misses the "
                        f"truth in 1 round of 20 by design")
    load = os.getloadavg()[0]
    speedups = [_speedup(plan) for _ in range(plan.speedup_rounds)]
    report.put("optimizer_workers_speedup", speedups)
    report.notes.append(f"search speed-up: the 1-minute load average was {load:.1f} before it "
                        f"on {os.cpu_count()} cores; other work on the machine lowers it")


def _speedup(plan: Plan) -> float:
    from benchmarks import optimizer

    one = optimizer.search_runs_per_second(1, plan.speedup_days, plan.speedup_trials)
    two = optimizer.search_runs_per_second(2, plan.speedup_days, plan.speedup_trials)
    return two / one
