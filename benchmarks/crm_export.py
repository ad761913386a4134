"""A synthetic CRM export with known truths, for the calibration tests and benchmark.

Leads arrive per channel as Poisson counts per day shaped by a weekday profile, at clock
hours drawn from an hour profile; a share is contacted after a lognormal delay; a contacted
lead qualifies with chance level x decay(delay) on a known decay curve; qualified leads
become opportunities and opportunities are won with known chances, after exponential gaps;
won deals have lognormal values. Everything is drawn with numpy from one seed and written
in chunks, so a million leads take seconds and little memory beyond one chunk.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crm.format import LEAD_COLUMNS
from scenarios.schema import DecayCurve

FLAT_WEEK = (1.0,) * 7
OFFICE_HOURS = tuple(0.2 if h < 8 or h > 18 else 2.0 for h in range(24))


@dataclass(frozen=True)
class TrueChannel:
    """What one synthetic channel really does."""

    name: str
    leads_per_day: float
    level: float
    business_lines: dict[str, float]
    regions: dict[str, float]
    complexity: dict[str, float] = field(
        default_factory=lambda: {"low": 0.5, "medium": 0.3, "high": 0.2})
    deal_median: float = 20000.0
    deal_sigma: float = 0.7
    weekday_profile: tuple[float, ...] = FLAT_WEEK
    hour_profile: tuple[float, ...] = OFFICE_HOURS
    month_factor: tuple[float, ...] = (1.0,) * 12
    """Multiplies leads_per_day in each calendar month (not normalised)."""
    cost_per_lead: float | None = None


@dataclass(frozen=True)
class Truth:
    """The process behind a synthetic export."""

    channels: tuple[TrueChannel, ...]
    decay: DecayCurve
    start: dt.date = dt.date(2026, 1, 5)
    days: int = 120
    contacted_share: float = 0.8
    delay_median_hours: float = 2.0
    delay_sigma: float = 2.0
    opportunity_share: float = 0.45
    won_share: float = 0.3
    to_opportunity_days: float = 6.0
    to_close_days: float = 12.0
    teams: tuple[str, ...] = ("telesales", "field")
    grades: tuple[str, ...] = ("A", "B", "C")


def decay_of(curve: DecayCurve, hours: np.ndarray) -> np.ndarray:
    fast = np.exp2(-hours / curve.fast_half_life_hours)
    slow = np.exp2(-hours / curve.slow_half_life_hours)
    mixed = curve.fast_weight * fast + (1 - curve.fast_weight) * slow
    return np.asarray(curve.floor + (1 - curve.floor) * mixed)


def write_export(directory: Path, truth: Truth, seed: int = 1) -> Path:
    """Write ``leads.csv`` into ``directory``; returns its path."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "leads.csv"
    number = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LEAD_COLUMNS)
        for channel in truth.channels:
            for first in range(0, truth.days, 30):
                days = range(first, min(truth.days, first + 30))
                rows = _chunk(channel, truth, days, number, rng)
                writer.writerows(rows)
                number += len(rows)
    return path


def write_spend(directory: Path, rows: list[tuple[str, str, float]]) -> Path:
    """Write ``spend.csv`` from (month YYYY-MM, channel, amount) rows."""
    path = directory / "spend.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("month", "channel", "amount"))
        writer.writerows(rows)
    return path


def _chunk(channel: TrueChannel, truth: Truth, days: range, number: int,
           rng: np.random.Generator) -> list[list[str]]:
    created = _arrivals(channel, truth, days, rng)
    n = len(created)
    contacted = rng.random(n) < truth.contacted_share
    delay = truth.delay_median_hours * np.exp(truth.delay_sigma * rng.standard_normal(n))
    qualified = contacted & (rng.random(n) < channel.level * decay_of(truth.decay, delay))
    qualified_at = created + delay + rng.exponential(1.0, n)
    opportunity = qualified & (rng.random(n) < truth.opportunity_share)
    opportunity_at = qualified_at + 24 * rng.exponential(truth.to_opportunity_days, n)
    won = opportunity & (rng.random(n) < truth.won_share)
    won_at = opportunity_at + 24 * rng.exponential(truth.to_close_days, n)
    deal = channel.deal_median * np.exp(channel.deal_sigma * rng.standard_normal(n))
    lines = _pick(rng, channel.business_lines, n)
    regions = _pick(rng, channel.regions, n)
    complexity = _pick(rng, channel.complexity, n)
    teams = rng.integers(0, len(truth.teams), n)
    grades = rng.integers(0, len(truth.grades), n)
    origin = np.datetime64(truth.start.isoformat(), "s")

    def stamp(hours: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(origin + (hours * 3600).astype("timedelta64[s]"), unit="s")

    made, first, qual, opp, closed = (stamp(created), stamp(created + delay),
                                      stamp(qualified_at), stamp(opportunity_at), stamp(won_at))
    rows = []
    for i in range(n):
        team = truth.teams[teams[i]] if contacted[i] else ""
        rows.append([
            f"L{number + i}", made[i], channel.name, lines[i], regions[i], complexity[i],
            truth.grades[grades[i]], "", first[i] if contacted[i] else "",
            qual[i] if qualified[i] else "", opp[i] if opportunity[i] else "",
            closed[i] if won[i] else "", "", f"{deal[i]:.2f}" if won[i] else "", team,
            f"{team}-{i % 5}" if team else "", "",
            "" if channel.cost_per_lead is None else f"{channel.cost_per_lead:.2f}",
        ])
    return rows


def _arrivals(channel: TrueChannel, truth: Truth, days: range,
              rng: np.random.Generator) -> np.ndarray:
    """Arrival instants in hours since the start, in day order."""
    weekday = np.asarray(channel.weekday_profile) / np.mean(channel.weekday_profile)
    hours = np.asarray(channel.hour_profile) / np.sum(channel.hour_profile)
    found = []
    for day in days:
        date = truth.start + dt.timedelta(days=day)
        level = channel.leads_per_day * channel.month_factor[date.month - 1]
        count = rng.poisson(level * weekday[date.weekday()])
        clock = rng.choice(24, size=count, p=hours) + rng.random(count)
        found.append(np.sort(day * 24.0 + clock))
    return np.concatenate(found) if found else np.empty(0)


def _pick(rng: np.random.Generator, mix: dict[str, float], n: int) -> list[str]:
    names = list(mix)
    weights = np.asarray([mix[name] for name in names], dtype=float)
    chosen = rng.choice(len(names), size=n, p=weights / weights.sum())
    return [names[i] for i in chosen]
