"""Helpers the sections share: KPI tables with intervals and group breakdowns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reports import formatting as fmt
from reports.blocks import Table


def kpi_table(slug: str, title: str, kpis: Mapping[str, Any], names: Sequence[str],
              currency: str) -> Table | None:
    """One row per KPI that the run has: its mean and 95% interval."""
    present = [name for name in names if name in kpis]
    if not present:
        return None
    cells, values = [], []
    for name in present:
        entry, unit = kpis[name], fmt.unit_of(name)
        cells.append([fmt.label_of(name), fmt.value(entry.get("mean"), unit, currency),
                      _bounds(entry, unit, currency), str(entry.get("n", ""))])
        values.append([name, entry.get("mean"), entry.get("ci_low"), entry.get("ci_high"),
                       entry.get("n")])
    return Table(slug, title, ["KPI", "mean", "95% interval", "replications"], cells, values,
                 ["kpi", "mean", "ci_low", "ci_high", "n"])


def _bounds(entry: Mapping[str, Any], unit: str, currency: str) -> str:
    low, high = entry.get("ci_low"), entry.get("ci_high")
    if low is None or high is None:
        return "n/a"
    return f"{fmt.value(low, unit, currency)} to {fmt.value(high, unit, currency)}"


def mean_of(entry: Mapping[str, Any] | None, default: float = 0.0) -> float:
    """The mean of an interval entry, or ``default`` when it has none."""
    if not entry or entry.get("mean") is None:
        return default
    return float(entry["mean"])


def groups(summary: Mapping[str, Any], attribute: str) -> dict[str, dict[str, Any]]:
    """by_channel or by_business_line of a summary, empty when absent."""
    found: dict[str, dict[str, Any]] = summary.get(attribute) or {}
    return found


def triple(entry: Mapping[str, Any] | None) -> list[float | None]:
    """mean, ci_low and ci_high of an interval entry, for CSV columns."""
    entry = entry or {}
    return [entry.get("mean"), entry.get("ci_low"), entry.get("ci_high")]
