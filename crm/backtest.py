"""Backtest: fit on the history before a date, simulate the period after it, compare.

The scenario is fitted (see :mod:`crm.calibrate`) on leads created before the holdout date.
The simulation then starts a warm-up period before the holdout, so that the holdout opens with
a pipeline already in work, as the real one did, and runs to the last moment the export knows
about. Both sides are measured the same way over the holdout days: leads created, leads won and
their revenue, and the share of new leads first contacted within the scenario's follow-up
window, per channel and per business line.

Each observed figure is judged against a 95% prediction interval: where one more replication
would fall, widened by the uncertainty of the fit itself. A volume fitted from n leads is
uncertain by a relative 1/sqrt(n), and a conversion fitted from w wins by 1/sqrt(w) (the
Poisson delta method), so the interval's variance adds (mean x that relative error)^2 to the
replications' variance. The follow-up rate depends on staffing the data cannot show, so it
gets the replications' variance only. A figure outside its interval says the fitted model
does not describe that part of the history.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean, stdev

import numpy as np

from crm.calibrate import Calibration, calibrate
from crm.reader import LeadRecord, ReadReport, read_leads
from leadops.errors import InputError
from policies import Policy
from scenarios import Scenario
from sim.metrics import FOLLOWED_UP, LEADS, REVENUE, WON
from sim.runs import RunResult, run_many
from sim.stats import t_quantile

METRICS = ("leads", "won", "conversion_rate", "follow_up_rate", "revenue")
RATES = ("conversion_rate", "follow_up_rate")
WARMUP_DAYS = 60


@dataclass
class Figures:
    """Counts of one group over the holdout: the raw material of every metric."""

    leads: float = 0.0
    won: float = 0.0
    revenue: float = 0.0
    followed_up: float = 0.0

    def metric(self, name: str) -> float | None:
        if name in ("leads", "won", "revenue"):
            return float(getattr(self, name))
        if self.leads <= 0:
            return None
        return (self.won if name == "conversion_rate" else self.followed_up) / self.leads


@dataclass(frozen=True)
class Check:
    """One observed figure against the simulated prediction interval."""

    group: str
    metric: str
    observed: float | None
    simulated: float | None
    low: float | None
    high: float | None
    verdict: str  # credible, model too low, model too high, or no data (nothing to judge)

    def as_row(self) -> dict[str, object]:
        return {"group": self.group, "metric": self.metric, "observed": self.observed,
                "simulated_mean": self.simulated, "interval_low": self.low,
                "interval_high": self.high, "verdict": self.verdict}


@dataclass
class Backtest:
    """What a backtest found, with the fitted scenario it tested."""

    holdout_from: dt.datetime
    holdout_days: int
    warmup_days: int
    replications: int
    calibration: Calibration
    checks: list[Check] = field(default_factory=list)
    holdout_report: ReadReport | None = None

    def credible_share(self) -> float:
        judged = [c for c in self.checks if c.verdict != "no data"]
        return sum(c.verdict == "credible" for c in judged) / len(judged) if judged else 0.0

    def verdict(self) -> str:
        """Plain words: where the model is credible, and where it is not and which way."""
        judged = [c for c in self.checks if c.verdict != "no data"]
        failed = [c for c in judged if c.verdict != "credible"]
        lines = [f"{len(judged) - len(failed)} of {len(judged)} holdout figures fall inside "
                 f"the simulated 95% prediction intervals ({self.replications} replications, "
                 f"{self.holdout_days} holdout days)."]
        for metric in METRICS:
            bad = [c for c in failed if c.metric == metric]
            good = [c for c in judged if c.metric == metric and c.verdict == "credible"]
            if not bad and good:
                lines.append(f"- {metric}: credible in every group.")
            elif bad:
                where = "; ".join(f"{c.group} (observed {_show(c.observed, metric)}, "
                                  f"simulated {_show(c.low, metric)} to "
                                  f"{_show(c.high, metric)}: {c.verdict})" for c in bad)
                lines.append(f"- {metric}: NOT credible for {where}.")
        return "\n".join(lines)


def backtest(leads: Path, *, base: Scenario, base_name: str, policy: Policy,
             holdout_from: dt.datetime, replications: int = 10, seed: int = 1,
             activities: Path | None = None, spend: Path | None = None, strict: bool = False,
             warmup_days: int = WARMUP_DAYS, workers: int = 1) -> Backtest:
    """Fit before ``holdout_from``, simulate the holdout, and judge every figure."""
    if replications < 3:
        raise InputError("needs at least 3 to form prediction intervals, got "
                         f"{replications}", path="--replications")
    calibration = calibrate(leads, base=base, base_name=base_name, activities=activities,
                            spend=spend, strict=strict, until=holdout_from)
    fitted = calibration.scenario
    report = ReadReport(leads)
    observed, seen, holdout_days = observe(read_leads(leads, report=report), holdout_from,
                                           fitted)
    if holdout_days < 1 or observed["all"].leads == 0:
        raise InputError(f"no leads were created on or after {holdout_from.isoformat()}; "
                         "choose a date inside the export", path="--holdout-from")
    warmup = min(warmup_days, max(0, (holdout_from.date() - fitted.start_date).days))
    result = _simulate(fitted, policy, holdout_from, warmup, holdout_days, replications,
                       seed, workers)
    simulated = [_simulated_figures(result, replication, warmup)
                 for replication in range(replications)]
    checks = [_check(group, metric, observed[group], [s[group] for s in simulated],
                     _fit_error(metric, seen.get(group, Figures())))
              for group in observed for metric in METRICS]
    return Backtest(holdout_from, holdout_days, warmup, replications, calibration, checks,
                    report)


# --- the history's side ------------------------------------------------------------------


def observe(records: Iterable[LeadRecord], holdout_from: dt.datetime, scenario: Scenario
            ) -> tuple[dict[str, Figures], dict[str, Figures], int]:
    """Holdout figures per group, the figures the fit saw before it, and the holdout days.

    The holdout ends at the end of the day of the last lead created: an export is taken some
    time after its last lead, so what happened later than that is not counted on either side.
    Figures are kept per day while reading, so the file is read once and never held.
    """
    margins = {name: line.gross_margin for name, line in scenario.business_lines.items()}
    window = dt.timedelta(hours=scenario.monitoring.follow_up_hours)
    daily: dict[str, dict[int, Figures]] = {"all": {}}
    seen: dict[str, Figures] = {}
    last_day = -1
    for record in records:
        names = ("all", f"channel:{record.channel}", f"business_line:{record.business_line}")
        created = _day(record.created_at, holdout_from)
        won = _day(record.won_at, holdout_from) if record.won_at is not None else -1
        last_day = max(last_day, created)
        won_before = record.won_at is not None and record.won_at < holdout_from
        followed = record.first_contact_at is not None and \
            record.first_contact_at - record.created_at <= window
        revenue = (record.deal_value or 0.0) * margins.get(record.business_line, 0.0)
        for name in names:
            before = seen.setdefault(name, Figures())
            before.leads += created < 0
            before.won += won_before
            days = daily.setdefault(name, {})
            if created >= 0:
                cell = days.setdefault(created, Figures())
                cell.leads += 1
                cell.followed_up += followed
            if won >= 0:
                cell = days.setdefault(won, Figures())
                cell.won += 1
                cell.revenue += revenue
    holdout_days = last_day + 1
    totals = {name: _total(days, holdout_days) for name, days in daily.items()}
    return totals, seen, holdout_days


def _day(moment: dt.datetime, holdout_from: dt.datetime) -> int:
    """Whole days from the holdout start (negative before it)."""
    return math.floor((moment - holdout_from).total_seconds() / 86400.0)


def _total(days: dict[int, Figures], holdout_days: int) -> Figures:
    total = Figures()
    for day, cell in days.items():
        if day < holdout_days:
            total.leads += cell.leads
            total.won += cell.won
            total.revenue += cell.revenue
            total.followed_up += cell.followed_up
    return total


# --- the model's side --------------------------------------------------------------------


def _simulate(fitted: Scenario, policy: Policy, holdout_from: dt.datetime, warmup: int,
              holdout_days: int, replications: int, seed: int, workers: int) -> RunResult:
    """Run the fitted scenario from the warm-up start to the end of the export.

    Repeat purchases are switched off: a CRM export of leads holds first deals only.
    """
    success = fitted.customer_success.model_copy(update={"repeat_probability": 0.0})
    start = holdout_from.date() - dt.timedelta(days=warmup)
    scenario = fitted.model_copy(update={"start_date": start, "days": warmup + holdout_days,
                                         "customer_success": success})
    return run_many(scenario, policy, replications=replications, seed=seed, workers=workers)


def _simulated_figures(result: RunResult, replication: int, warmup: int
                       ) -> dict[str, Figures]:
    """The same figures as :func:`observe`, from one replication's daily series."""
    series = result.replications[replication].series[warmup:]  # [day, channel, line, col]
    cube = series.sum(axis=0)
    groups = {"all": _figures(cube.sum(axis=(0, 1)))}
    for index, name in enumerate(result.scenario.channels):
        groups[f"channel:{name}"] = _figures(cube[index].sum(axis=0))
    for index, name in enumerate(result.scenario.business_lines):
        groups[f"business_line:{name}"] = _figures(cube[:, index].sum(axis=0))
    return groups


def _figures(columns: np.ndarray) -> Figures:
    return Figures(float(columns[LEADS]), float(columns[WON]), float(columns[REVENUE]),
                   float(columns[FOLLOWED_UP]))


# --- judging -----------------------------------------------------------------------------


def _fit_error(metric: str, seen: Figures) -> float:
    """Relative standard error of what the fit learnt for ``metric`` (inf if it saw none)."""
    if metric == "follow_up_rate":
        return 0.0
    count = seen.leads if metric == "leads" else seen.won
    return 1.0 / math.sqrt(count) if count > 0 else math.inf


def _check(group: str, metric: str, observed: Figures, simulated: list[Figures],
           fit_error: float) -> Check:
    value = observed.metric(metric)
    draws = [v for v in (s.metric(metric) for s in simulated) if v is not None]
    if value is None or len(draws) < 3 or math.isinf(fit_error):
        return Check(group, metric, value, fmean(draws) if draws else None, None, None,
                     "no data")
    low, high = prediction_interval(draws, fit_error)
    low = max(0.0, low)  # every figure here is a count, a sum of money or a share
    if metric in RATES:
        high = min(1.0, high)
    verdict = "credible" if low <= value <= high else \
        "model too low" if value > high else "model too high"
    return Check(group, metric, value, fmean(draws), low, high, verdict)


def prediction_interval(draws: list[float], fit_error: float = 0.0, level: float = 0.95
                        ) -> tuple[float, float]:
    """Where one more replication falls, widened by the fit's relative error.

    mean +- t * sqrt(sd^2 * (1 + 1/n) + (mean * fit_error)^2); an infinite fit error (the fit
    saw nothing of this group) gives an unbounded interval.
    """
    n = len(draws)
    centre, spread = fmean(draws), stdev(draws)
    variance = spread**2 * (1.0 + 1.0 / n) + (centre * fit_error) ** 2
    half = t_quantile(level, n - 1) * math.sqrt(variance)
    return centre - half, centre + half


def _show(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1%}" if metric in RATES else f"{value:,.0f}"
