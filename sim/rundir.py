"""The run directory: summary.json, replications.csv and timeseries.csv.

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

from leadops.atomic import write_text
from scenarios import fingerprint
from sim.metrics import BUSY_HOURS, CAMPAIGN_COST, CHANNEL_COST, POOL_COLUMNS, SERIES
from sim.runs import RunResult

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
    }


def write_run(out: Path, result: RunResult, overrides: list[str], policy_source: str) -> None:
    """Write the three core files of a run directory, each atomically."""
    document = summary(result, overrides, policy_source)
    write_text(out / "summary.json", dumps(document))
    write_text(out / "replications.csv", replications_csv(result))
    write_text(out / "timeseries.csv", timeseries_csv(result))
    write_text(out / "pools.csv", pools_csv(result))


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
    staff = result.kpis()["staff_cost"]["mean"] or 0.0
    busy_total = float(series[..., BUSY_HOURS].sum())
    per_hour = staff / busy_total if busy_total > 0 else 0.0
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
    """Pool sizes at the end of each day, averaged over replications."""
    sizes = np.mean([r.pools for r in result.replications], axis=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "day", *POOL_COLUMNS])
    for day, row in enumerate(sizes):
        date = (result.scenario.start_date + dt.timedelta(days=day)).isoformat()
        writer.writerow([date, day, *(_cell(float(v)) for v in row)])
    return buffer.getvalue()


def _mean_counts(counts: list[dict[str, int]]) -> dict[str, float]:
    keys = sorted({key for count in counts for key in count})
    return {key: sum(count.get(key, 0) for count in counts) / len(counts) for key in keys}


def _ratio(numerator: float, denominator: float) -> float | None:
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
