"""Lead arrivals: one non-homogeneous Poisson process per channel.

A channel's rate is piecewise constant by hour: mean leads per day, shaped by the weekday,
hour-of-day and monthly profiles (each normalised to mean 1). For each day the process
draws a Poisson count per hour and places the arrivals uniformly inside the hour, which is
exact for piecewise-constant rates and keeps only one day of arrival times in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from scenarios.schema import Channel
from scenarios.volume import mean_leads_per_day, response_leads_per_day

DAYS_PER_MONTH = 365.0 / 12.0

__all__ = ["ArrivalProfile", "arrival_times", "mean_leads_per_day", "monthly_cost",
           "response_leads_per_day"]


def monthly_cost(channel: Channel) -> float:
    """What the channel costs per month: fixed cost plus media spend."""
    return channel.monthly_cost + (channel.monthly_spend or 0.0)


class ArrivalProfile:
    """Hourly arrival rates of one channel over the simulated calendar."""

    def __init__(self, channel: Channel, start_date: dt.date, scale: float = 1.0):
        self.start_date = start_date
        self.per_day = mean_leads_per_day(channel) * scale
        self.weekday = _normalised(channel.weekday_profile)
        self.hour = _normalised(channel.hour_profile) / 24.0
        self.season = _normalised(channel.seasonality)

    def hourly_rates(self, day: int) -> np.ndarray:
        """Expected arrivals in each hour of simulation day ``day``."""
        date = self.start_date + dt.timedelta(days=day)
        level = self.per_day * self.weekday[date.weekday()] * self.season[date.month - 1]
        rates: np.ndarray = level * self.hour
        return rates


def arrival_times(profile: ArrivalProfile, days: int, rng: np.random.Generator
                  ) -> Iterator[float]:
    """Arrival instants in hours since day 0, in increasing order, drawn day by day."""
    hours = np.arange(24, dtype=float)
    for day in range(days):
        counts = rng.poisson(profile.hourly_rates(day))
        total = int(counts.sum())
        if total == 0:
            continue
        starts = np.repeat(hours, counts) + day * 24.0
        offsets = rng.random(total)
        times = np.sort(starts + offsets)
        yield from times.tolist()


def _normalised(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    normalised: np.ndarray = array / array.mean()
    return normalised
