"""Counting what happens during a replication, and turning the counts into KPIs.

Counters are plain Python numbers and lists, cheap to bump on every event. Per-lead delays
are kept in compact float arrays (8 bytes a lead) so that percentiles are exact.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

# Columns of the daily time series, per business line x channel.
SERIES = ("leads", "first_contacts", "sla_met", "won", "revenue", "channel_cost",
          "busy_hours")
LEADS, FIRST_CONTACTS, SLA_MET, WON, REVENUE, CHANNEL_COST, BUSY_HOURS = range(len(SERIES))


@dataclass
class Tally:
    """Raw counts of one replication, filled in by the model as events happen."""

    channels: int
    lines: int
    days: int
    arrived: int = 0
    won: int = 0
    lost: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    touches: int = 0
    harassed: int = 0
    duplicated: int = 0
    sla_due: int = 0
    sla_met: int = 0
    abandoned: int = 0
    abandoned_wait_hours: float = 0.0
    first_contact_hours: array = field(default_factory=lambda: array("d"))
    sdr_wait_hours: array = field(default_factory=lambda: array("d"))
    days_to_win: array = field(default_factory=lambda: array("d"))
    sales_busy_hours: float = 0.0
    sales_capacity_hours: float = 0.0
    series: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.series = [0.0] * (self.days * self.channels * self.lines * len(SERIES))

    def add(self, day: int, channel: int, line: int, column: int, amount: float) -> None:
        if 0 <= day < self.days:
            cell = (day * self.channels + channel) * self.lines + line
            self.series[cell * len(SERIES) + column] += amount

    def series_array(self) -> np.ndarray:
        """The daily series as an array [day, channel, business line, column]."""
        shape = (self.days, self.channels, self.lines, len(SERIES))
        return np.asarray(self.series, dtype=float).reshape(shape)

    def count(self, bucket: dict[str, int], reason: str) -> None:
        bucket[reason] = bucket.get(reason, 0) + 1


@dataclass
class Money:
    """Costs of one replication, in currency."""

    channel_cost: np.ndarray  # per channel
    staff_cost: float
    staff_cost_by_team: dict[str, float]


def percentile(values: array, q: float) -> float | None:
    if len(values) == 0:
        return None
    return float(np.percentile(np.frombuffer(values, dtype=float), q))


def safe_ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def roi(revenue: float, cost: float) -> float | None:
    return (revenue - cost) / cost if cost > 0 else None


def kpis(tally: Tally, money: Money) -> dict[str, float | None]:
    """The company-wide KPIs of one replication (names as in the design's KPI table)."""
    cube = tally.series_array()
    revenue = float(cube[..., REVENUE].sum())
    cost = float(money.channel_cost.sum()) + money.staff_cost
    first = tally.first_contact_hours
    return {
        "leads": float(tally.arrived),
        "won": float(tally.won),
        "conversion_rate": safe_ratio(tally.won, tally.arrived),
        "revenue": revenue,
        "cost": cost,
        "channel_cost": float(money.channel_cost.sum()),
        "staff_cost": money.staff_cost,
        "roi": roi(revenue, cost),
        "first_contact_hours_p50": percentile(first, 50),
        "first_contact_hours_p90": percentile(first, 90),
        "first_contact_hours_mean": float(np.mean(first)) if len(first) else None,
        "days_to_win_p50": percentile(tally.days_to_win, 50),
        "sla_met_rate": safe_ratio(tally.sla_met, tally.sla_due),
        "touches_per_lead": safe_ratio(tally.touches, tally.arrived),
        "harassment_rate": safe_ratio(tally.harassed, tally.arrived),
        "duplicate_contact_rate": safe_ratio(tally.duplicated, tally.arrived),
        "sdr_wait_hours_p50": percentile(tally.sdr_wait_hours, 50),
        "rep_utilization": safe_ratio(tally.sales_busy_hours, tally.sales_capacity_hours),
        "abandon_rate": safe_ratio(tally.abandoned, tally.arrived),
        "never_contacted_rate": safe_ratio(tally.arrived - len(first), tally.arrived),
    }


def breakdowns(tally: Tally, money: Money) -> tuple[np.ndarray, np.ndarray]:
    """Leads, won, revenue and cost per (channel, business line) cell.

    Channel cost goes to the channel's cells by their share of its leads; staff cost goes to
    cells by their share of the busy hours spent on their leads.
    """
    cube = tally.series_array().sum(axis=0)  # [channel, line, column]
    leads, won, revenue = cube[..., LEADS], cube[..., WON], cube[..., REVENUE]
    busy = cube[..., BUSY_HOURS]
    per_channel = leads.sum(axis=1, keepdims=True)
    lead_share = np.divide(leads, per_channel, out=np.full_like(leads, 1.0 / tally.lines),
                           where=per_channel > 0)
    cost = lead_share * money.channel_cost[:, None]
    if busy.sum() > 0:
        cost = cost + money.staff_cost * busy / busy.sum()
    return np.stack([leads, won, revenue, cost], axis=-1), cube


def group_kpis(cells: np.ndarray) -> dict[str, float | None]:
    """leads, won, conversion_rate, revenue, cost, roi of a group of cells [..., 4]."""
    leads, won, revenue, cost = (float(cells[..., i].sum()) for i in range(4))
    return {
        "leads": leads,
        "won": won,
        "conversion_rate": safe_ratio(won, leads),
        "revenue": revenue,
        "cost": cost,
        "roi": roi(revenue, cost),
    }
