"""The printed table and the targets the figures are read against."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.suite import Figure, Plan, Report


@dataclass(frozen=True)
class Target:
    """A goal for one figure: ``>=`` or ``<=`` a bound."""

    sign: str
    bound: float

    def met(self, value: Figure) -> bool | None:
        if value is None or isinstance(value, bool):
            return None
        compare = operator.ge if self.sign == ">=" else operator.le
        return bool(compare(value, self.bound))

    def shortfall(self, value: float) -> float:
        """How far a missed figure is from its bound, as a share of the bound."""
        gap = self.bound - value if self.sign == ">=" else value - self.bound
        return gap / self.bound

    def __str__(self) -> str:
        return f"{self.sign} {self.bound:g}"


TARGETS = {
    "leadops_vs_simpy": Target(">=", 0.6),
    "leadops_vs_ciw": Target(">=", 1.5),
    "scaling_cost_ratio_10x": Target("<=", 1.2),
    "scaling_rss_ratio_10x": Target("<=", 1.5),
    "optimizer_workers_speedup": Target(">=", 1.7),
    "optimizer_regret_pct": Target("<=", 1.0),
    "optimizer_interval_covers": Target(">=", 1.0),
}


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def _ratio(value: float) -> str:
    return f"{value:.3f}"


def _count(value: float) -> str:
    return f"{value:.0f}"


def _percent(value: float) -> str:
    return f"{value:.2%}"


def _hours(value: float) -> str:
    return f"{value:.4f}"


def _micro(value: float) -> str:
    return f"{value * 1e6:.1f}"


def _megabytes(value: float) -> str:
    return f"{value:.1f}"


Row = tuple[str, str, Callable[[float], str]]


def rows(plan: Plan) -> list[tuple[str, list[Row]]]:
    """(heading, [(label, key, format)]) for every section of the table."""
    scaling_days = f"{plan.scaling_days} days" if plan.scaling_days else "scenario horizon"
    scaled: list[Row] = []
    for suffix, log in (("", "log off"), ("_events", "log on")):
        for label in ("0p1x", "1x", "10x"):
            shown = label.replace("p", ".")
            scaled.append((f"us per lead, {shown}, {log}", f"scaling_seconds_per_lead_{label}"
                           f"{suffix}", _micro))
            scaled.append((f"peak RSS MB, {shown}, {log}", f"scaling_peak_rss_mb_{label}"
                           f"{suffix}", _megabytes))
    return [
        (f"M/M/c throughput (lambda=4/h, mu=1/h, c=5, {plan.queue_days} days, "
         f"{plan.queue_rounds} rounds)", [
            ("bare SimPy, customers/s", "simpy_mmc_customers_per_s", _rate),
            ("Ciw, customers/s", "ciw_mmc_customers_per_s", _rate),
            ("leadops mmc, customers/s", "leadops_mmc_customers_per_s", _rate),
            ("leadops / bare SimPy", "leadops_vs_simpy", _ratio),
            ("leadops / Ciw", "leadops_vs_ciw", _ratio),
            ("leadops model compiled (mypyc)", "model_compiled", _ratio),
        ]),
        ("M/M/c accuracy (Erlang-C)", [
            ("leadops mean wait, hours", "mmc_wait_hours", _hours),
            ("Erlang-C mean wait, hours", "mmc_wait_theory_hours", _hours),
            ("leadops wait, relative error", "mmc_wait_rel_error", _percent),
            ("theory inside 95% CI", "mmc_wait_theory_inside_ci", _hours),
            ("bare SimPy wait, relative error", "simpy_mmc_wait_rel_error", _percent),
            ("Ciw wait, relative error", "ciw_mmc_wait_rel_error", _percent),
        ]),
        (f"M/M/c+M accuracy (Erlang-A, {plan.patience_replications} replications of "
         f"{plan.patience_days} days)", [
            ("P(abandon)", "mmc_patience_abandon", _percent),
            ("Erlang-A P(abandon)", "mmc_patience_abandon_theory", _percent),
            ("P(abandon), relative error", "mmc_patience_abandon_rel_error", _percent),
            ("theory inside 95% CI", "mmc_patience_abandon_theory_inside_ci", _hours),
            ("mean wait of served, hours", "mmc_patience_wait", _hours),
            ("Erlang-A mean wait of served", "mmc_patience_wait_theory", _hours),
            ("mean wait, relative error", "mmc_patience_wait_rel_error", _percent),
            ("theory inside 95% CI", "mmc_patience_wait_theory_inside_ci", _hours),
        ]),
        (f"baseline ({plan.baseline_runs} fresh processes, scenario horizon)", [
            ("leads/s", "baseline_leads_per_s", _rate),
            ("SimPy events per lead", "baseline_events_per_lead", _ratio),
            ("peak RSS MB", "baseline_peak_rss_mb", _megabytes),
            ("peak RSS MB before the run", "baseline_rss_before_run_mb", _megabytes),
        ]),
        (f"scaling of baseline (volume and headcount x0.1, x1, x10; {scaling_days}, "
         f"{plan.scaling_rounds} rounds)", [
            *scaled,
            ("cost per lead 10x / 1x, log off", "scaling_cost_ratio_10x", _ratio),
            ("cost per lead 10x / 1x, log on", "scaling_cost_ratio_10x_events", _ratio),
            ("CPU per lead 10x / 1x, log off", "scaling_cpu_cost_ratio_10x", _ratio),
            ("peak RSS 10x / 1x, log on", "scaling_rss_ratio_10x", _ratio),
            ("peak RSS 10x / 1x, log off", "scaling_rss_ratio_10x_no_events", _ratio),
        ]),
        (f"optimizer (staffing gate: mmc_patience, {plan.optimizer_days} days, "
         f"{plan.optimizer_rounds} round(s); speed-up: {plan.speedup_trials} trials of "
         f"{plan.speedup_days} days)", [
            ("best headcount (Erlang-A)", "optimizer_best_headcount", _count),
            ("leadops optimize: chosen headcount", "optimizer_chosen_headcount", _count),
            ("leadops optimize: regret, %", "optimizer_regret_pct", _ratio),
            ("leadops optimize: interval covers truth", "optimizer_interval_covers", _ratio),
            ("leadops optimize: simulation runs", "optimizer_runs", _count),
            ("plain Optuna: chosen headcount", "plain_optuna_chosen_headcount", _count),
            ("plain Optuna: regret, %", "plain_optuna_regret_pct", _ratio),
            ("plain Optuna: reported value error, %", "plain_optuna_reported_error_pct",
             _ratio),
            ("search speed-up, 2 workers / 1", "optimizer_workers_speedup", _ratio),
        ]),
    ]


def render(report: Report, plan: Plan) -> str:
    header = ("figure", "median", "min", "max", "target", "verdict")
    lines: list[tuple[str, ...]] = []
    for heading, section in rows(plan):
        lines.append((heading,))
        lines += [_line(report, label, key, show) for label, key, show in section]
    return _layout(header, lines)


def verdict(key: str, value: Figure) -> str:
    target = TARGETS.get(key)
    if target is None:
        return ""
    if value is None or isinstance(value, bool):
        return "n/a"
    if target.met(value):
        return "met"
    return f"MISSED by {target.shortfall(value):.0%}"


def _line(report: Report, label: str, key: str, show: Callable[[float], str]
          ) -> tuple[str, ...]:
    value = report.figures.get(key)
    summary = report.spreads.get(key)
    target = TARGETS.get(key)
    low = show(summary.low) if summary and summary.runs > 1 else ""
    high = show(summary.high) if summary and summary.runs > 1 else ""
    return ("  " + label, _cell(value, show), low, high, str(target or ""), verdict(key, value))


def _cell(value: Figure, show: Callable[[float], str]) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return show(value)


def _layout(header: tuple[str, ...], lines: list[tuple[str, ...]]) -> str:
    cells = [header, *[line for line in lines if len(line) > 1]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def fit(line: tuple[str, ...]) -> str:
        if len(line) == 1:
            return line[0]
        padded = [line[0].ljust(widths[0])]
        padded += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        return "  ".join(padded).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([fit(header), rule, *(fit(line) for line in lines)])
