"""The run directory: summary.json, replications.csv, timeseries.csv, pools.csv, the weekly
and monthly rollups (weekly.csv, monthly.csv) and the early warnings (warnings.csv).

Every file is written atomically, so an interrupted run leaves each file either as it was
or complete. ``summary.json`` holds nothing that varies between identical runs (no clock
times), so the same inputs and seed give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from leadops import __version__
from leadops.atomic import write_text
from scenarios import fingerprint
from sim.metrics import (
    BUSY_HOURS,
    CAMPAIGN_COST,
    CHANNEL_COST,
    DELAY_BUCKETS,
    FOLLOWED_UP,
    POOL_COLUMNS,
    SERIES,
    WON,
)
from sim.monitoring import date_of, follow_up_judged_days, periods, rollup, scope_of
from sim.runs import RunResult
from sim.stats import Interval, t_interval

SUMMARY_VERSION = 1


def summary(result: RunResult, overrides: list[str], policy_source: str) -> dict[str, Any]:
    """The summary.json document of a run."""
    first = result.replications[0]
    return {
        "format": SUMMARY_VERSION,
        "scenario": {"name": result.scenario.name, "sha256": fingerprint(result.scenario)},
        "policy": {"name": result.policy.name, "source": policy_source},
        "seed": result.seed,
        "replications": len(result.replications),
        "days": result.days,
        "currency": result.scenario.currency,
        "overrides": overrides,
        "kpis": result.kpis(),
        "by_channel": result.breakdown("by_channel"),
        "by_business_line": result.breakdown("by_business_line"),
        "conservation": [r.census for r in result.replications],
        "lost_reasons": _mean_counts([r.lost for r in result.replications]),
        "moves": _mean_counts([r.moves for r in result.replications]),
        "simpy_events_per_lead": _ratio(first.sim_events, first.census["arrived"]),
        "by_first_contact_delay": _by_delay(result),
        "monitoring": _monitoring(result),
        "software": {"leadops": __version__},
        "inputs": {"scenario": result.scenario.model_dump(mode="json"),
                   "policy": result.policy.model_dump(mode="json")},
    }


def _by_delay(result: RunResult) -> dict[str, dict[str, Interval]]:
    """Leads first contacted in each delay bucket, and how many of them qualified and won."""
    table = {}
    for index, bucket in enumerate(DELAY_BUCKETS):
        counts = [r.by_delay[index] for r in result.replications]
        table[bucket] = {
            "first_contacted": t_interval([float(c[0]) for c in counts]),
            "qualified_rate": t_interval([_ratio(c[1], c[0]) for c in counts]),
            "conversion_rate": t_interval([_ratio(c[2], c[0]) for c in counts]),
        }
    return table


def _monitoring(result: RunResult) -> dict[str, Any]:
    """The warning rules and how often each fired per replication."""
    monitoring = result.scenario.monitoring
    counts = {rule.name: t_interval([float(sum(w.rule == rule.name for w in r.warnings))
                                     for r in result.replications])
              for rule in monitoring.rules}
    return {
        "follow_up_hours": monitoring.follow_up_hours,
        "rules": [{**rule.model_dump(mode="json"), "scope": scope_of(rule)}
                  for rule in monitoring.rules],
        "warnings_per_replication": counts,
    }


def write_run(out: Path, result: RunResult, overrides: list[str], policy_source: str) -> None:
    """Write the three core files of a run directory, each atomically."""
    document = summary(result, overrides, policy_source)
    write_text(out / "summary.json", dumps(document))
    write_text(out / "replications.csv", replications_csv(result))
    write_text(out / "timeseries.csv", timeseries_csv(result))
    write_text(out / "pools.csv", pools_csv(result))
    write_text(out / "weekly.csv", rollup_csv(result, "weekly"))
    write_text(out / "monthly.csv", rollup_csv(result, "monthly"))
    write_text(out / "warnings.csv", warnings_csv(result))


def dumps(document: Any) -> str:
    return json.dumps(_clean(document), indent=2, sort_keys=False) + "\n"


def replications_csv(result: RunResult) -> str:
    names = result.kpi_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["replication", *names])
    for replication in result.replications:
        writer.writerow([replication.replication,
                         *(_cell(replication.kpis[name]) for name in names)])
    return buffer.getvalue()


def timeseries_csv(result: RunResult) -> str:
    """Daily rows per business line x channel, averaged over replications.

    Staff cost is spread over days and cells by the busy hours worked on their leads.
    """
    series = result.mean_series()
    per_hour = _staff_cost_per_busy_hour(result)
    start = result.scenario.start_date
    columns = [c for c in SERIES if c != "busy_hours"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "day", "business_line", "channel", *columns, "staff_cost",
                     "cost"])
    lines, channels = list(result.scenario.business_lines), list(result.scenario.channels)
    for day in range(series.shape[0]):
        date = (start + dt.timedelta(days=day)).isoformat()
        for c, channel in enumerate(channels):
            for b, line in enumerate(lines):
                row = series[day, c, b]
                staff_cost = float(row[BUSY_HOURS]) * per_hour
                values = [_cell(float(row[SERIES.index(name)])) for name in columns]
                cost = float(row[CHANNEL_COST]) + float(row[CAMPAIGN_COST]) + staff_cost
                writer.writerow([date, day, line, channel, *values, _cell(staff_cost),
                                 _cell(cost)])
    return buffer.getvalue()


def pools_csv(result: RunResult) -> str:
    """Pool sizes at the end of each day, averaged over replications; then the public pool
    of each business line."""
    sizes = np.mean([r.pools for r in result.replications], axis=0)
    public = np.mean([r.public_pools for r in result.replications], axis=0)
    lines = list(result.scenario.business_lines)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "day", *POOL_COLUMNS, *(f"public:{line}" for line in lines)])
    for day, row in enumerate(sizes):
        date = (result.scenario.start_date + dt.timedelta(days=day)).isoformat()
        writer.writerow([date, day, *(_cell(float(v)) for v in row),
                         *(_cell(float(v)) for v in public[day])])
    return buffer.getvalue()


ROLLUP_COUNTS = ("leads", "first_contacts", "followed_up", "contacted", "qualified",
                 "opportunity", "won", "revenue")


def rollup_csv(result: RunResult, clock: str) -> str:
    """Weekly or monthly rows per business line x channel, averaged over replications.

    Periods are ISO weeks or calendar months; ``complete`` is 0 for the partial periods at
    the ends of the horizon. ``follow_up_complete`` is 0 while the follow-up window of the
    period's last arrivals is still open at the horizon; ``follow_up_rate`` is then blank.
    """
    series, staff_per_hour = result.mean_series(), _staff_cost_per_busy_hour(result)
    start = result.scenario.start_date
    spans = periods(start, series.shape[0], clock)
    sums = rollup(series, spans)
    judged = follow_up_judged_days(series.shape[0], result.scenario.monitoring.follow_up_hours)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["period", "start_date", "end_date", "days", "complete",
                     "follow_up_complete", "business_line", "channel", *ROLLUP_COUNTS, "cost",
                     "follow_up_rate", "conversion_rate"])
    lines, channels = list(result.scenario.business_lines), list(result.scenario.channels)
    for span, cube in zip(spans, sums, strict=True):
        dates = [(start + dt.timedelta(days=d)).isoformat() for d in (span.start, span.end - 1)]
        for c, channel in enumerate(channels):
            for b, line in enumerate(lines):
                row = cube[c, b]
                leads = float(row[SERIES.index("leads")])
                cost = float(row[CHANNEL_COST] + row[CAMPAIGN_COST]
                             + row[BUSY_HOURS] * staff_per_hour)
                followed = _ratio(float(row[FOLLOWED_UP]), leads) if span.end <= judged \
                    else None
                writer.writerow([span.label, *dates, span.days, int(span.complete),
                                 int(span.end <= judged), line, channel,
                                 *(_cell(float(row[SERIES.index(n)])) for n in ROLLUP_COUNTS),
                                 _cell(cost), _cell(followed),
                                 _cell(_ratio(float(row[WON]), leads))])
    return buffer.getvalue()


def warnings_csv(result: RunResult) -> str:
    """Every early warning of every replication: when, which rule, on what, how far."""
    start = result.scenario.start_date
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["replication", "date", "period", "rule", "metric", "scope", "value",
                     "threshold"])
    for replication in result.replications:
        for warning in replication.warnings:
            writer.writerow([replication.replication, date_of(start, warning.day).isoformat(),
                             warning.period, warning.rule, warning.metric, warning.scope,
                             _cell(warning.value), _cell(warning.threshold)])
    return buffer.getvalue()


def _staff_cost_per_busy_hour(result: RunResult) -> float:
    staff = result.kpis()["staff_cost"]["mean"] or 0.0
    busy_total = float(result.mean_series()[..., BUSY_HOURS].sum())
    return staff / busy_total if busy_total > 0 else 0.0


def _mean_counts(counts: list[dict[str, int]]) -> dict[str, float]:
    keys = sorted({key for count in counts for key in count})
    return {key: sum(count.get(key, 0) for count in counts) / len(counts) for key in keys}


def _ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return repr(round(float(value), 10))


def _clean(value: Any) -> Any:
    """Plain JSON: floats rounded to 12 significant digits, NaN as null."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else None
    return value
