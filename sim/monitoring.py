"""Monitoring: daily, weekly and monthly rollups of the lead flow, and early warnings.

Lead-operations teams watch the business on three clocks: a daily early warning, weekly
tracking and a monthly review. This module works after a replication, on its daily series
and pool sizes, so it is exact, costs nothing while the model runs, and can be tested on
hand-built arrays.

Periods are calendar periods: days, ISO weeks (Monday to Sunday) and calendar months. A
rule judges only *complete* periods, whose every day lies inside the horizon, and a daily
rule only the weekdays it names; a follow-up rate is judged only once the follow-up window
of the period's last arrivals has closed inside the horizon. A rule fires once in every
judged period in which its test holds; ``drop`` and ``rise`` compare with the mean of the
rule's previous judged periods, and judge nothing until there are enough of them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scenarios.schema import Monitoring, WarningRule
from sim.calendar import HOURS_PER_DAY
from sim.metrics import FOLLOWED_UP, LEADS, POOL_COLUMNS, WON

PERIODS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Period:
    """Days ``start`` .. ``end - 1`` of the horizon that fall in one calendar period."""

    label: str
    start: int
    end: int
    complete: bool

    @property
    def days(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class EarlyWarning:
    """One firing of a rule: the period's last day, the figure and the line it crossed."""

    day: int
    period: str
    rule: str
    metric: str
    scope: str
    value: float
    threshold: float


@dataclass(frozen=True)
class Flow:
    """What the rules look at: the daily series and the end-of-day pool sizes.

    ``series`` is [day, channel, business line, column] as in :data:`sim.metrics.SERIES`,
    ``pools`` is [day, pool] as in :data:`sim.metrics.POOL_COLUMNS`, and ``public_pools``
    is [day, business line].
    """

    series: np.ndarray
    pools: np.ndarray
    public_pools: np.ndarray
    channels: Sequence[str]
    business_lines: Sequence[str]

    @property
    def days(self) -> int:
        return int(self.series.shape[0])


def periods(start_date: dt.date, days: int, clock: str) -> list[Period]:
    """The daily, weekly or monthly periods that cover a horizon of ``days`` days."""
    found: list[Period] = []
    day = 0
    while day < days:
        date = start_date + dt.timedelta(days=day)
        first, length, label = _calendar_period(date, clock)
        end = min(day + length - (date - first).days, days)
        complete = first == date and end - day == length
        found.append(Period(label, day, end, complete))
        day = end
    return found


def _calendar_period(date: dt.date, clock: str) -> tuple[dt.date, int, str]:
    """First date, length in days and label of the period holding ``date``."""
    if clock == "daily":
        return date, 1, date.isoformat()
    if clock == "weekly":
        year, week, weekday = date.isocalendar()
        return date - dt.timedelta(days=weekday - 1), 7, f"{year}-W{week:02d}"
    if clock == "monthly":
        first = date.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return first, (following - first).days, f"{date.year}-{date.month:02d}"
    raise ValueError(f"clock must be one of {', '.join(PERIODS)}, got {clock!r}")


def follow_up_judged_days(days: int, follow_up_hours: float) -> int:
    """Leading days whose arrivals' follow-up windows all close inside the horizon."""
    return max(0, math.floor(days - follow_up_hours / HOURS_PER_DAY + 1e-9))


def evaluate(monitoring: Monitoring, flow: Flow, start_date: dt.date) -> list[EarlyWarning]:
    """Every firing of every rule, in rule order and then in time order."""
    judged_follow_up = follow_up_judged_days(flow.days, monitoring.follow_up_hours)
    fired: list[EarlyWarning] = []
    for rule in monitoring.rules:
        spans = judged_periods(rule, start_date, flow.days)
        cells = _cells(rule, flow) if rule.metric != "pool_backlog" else flow.series[:, 0, 0]
        values = [_value(rule, flow, cells, span, judged_follow_up) for span in spans]
        fired += _fire(rule, spans, values)
    return fired


def judged_periods(rule: WarningRule, start_date: dt.date, days: int) -> list[Period]:
    """The complete periods of the rule's clock that fall on its weekdays."""
    weekdays = set(rule.weekdays)
    return [span for span in periods(start_date, days, rule.period)
            if span.complete and date_of(start_date, span.end - 1).weekday() in weekdays]


def rollup(series: np.ndarray, spans: Sequence[Period]) -> np.ndarray:
    """The daily series summed over each period: [period, channel, business line, column]."""
    return np.stack([series[span.start:span.end].sum(axis=0) for span in spans])


def _value(rule: WarningRule, flow: Flow, daily: np.ndarray, span: Period,
           judged_follow_up: int) -> float | None:
    """The rule's figure over one period, or None when the period cannot be judged."""
    if rule.metric == "pool_backlog":
        return _backlog(rule, flow, span.end - 1)
    cells = daily[span.start:span.end]
    leads = float(cells[:, LEADS].sum())
    if rule.metric == "leads":
        return leads
    if leads < max(rule.min_leads, 1e-12):
        return None
    if rule.metric == "follow_up_rate":
        if span.end > judged_follow_up:
            return None
        return float(cells[:, FOLLOWED_UP].sum()) / leads
    return float(cells[:, WON].sum()) / leads


def _cells(rule: WarningRule, flow: Flow) -> np.ndarray:
    """The series of the rule's scope, summed over the other channels and lines: [day, column]."""
    series = flow.series
    if rule.channel is not None:
        series = series[:, [list(flow.channels).index(rule.channel)]]
    if rule.business_line is not None:
        series = series[:, :, [list(flow.business_lines).index(rule.business_line)]]
    summed: np.ndarray = series.sum(axis=(1, 2))
    return summed


def _backlog(rule: WarningRule, flow: Flow, day: int) -> float:
    if rule.business_line is not None:
        line = list(flow.business_lines).index(rule.business_line)
        return float(flow.public_pools[day, line])
    return float(flow.pools[day, POOL_COLUMNS.index(str(rule.pool))])


def _fire(rule: WarningRule, spans: list[Period], values: list[float | None]
          ) -> list[EarlyWarning]:
    fired = []
    for index, (span, value) in enumerate(zip(spans, values, strict=True)):
        if value is None:
            continue
        line = _line(rule, values[max(0, index - rule.trailing_periods):index])
        if line is None:
            continue
        crossed = value < line if rule.test in ("below", "drop") else value > line
        if crossed:
            fired.append(EarlyWarning(span.end - 1, span.label, rule.name, rule.metric,
                                      scope_of(rule), value, line))
    return fired


def _line(rule: WarningRule, before: list[float | None]) -> float | None:
    """The value the figure is tested against; None when the trailing mean is not known."""
    if rule.test in ("below", "above"):
        return rule.threshold
    if len(before) < rule.trailing_periods or any(v is None for v in before):
        return None
    mean = math.fsum(v for v in before if v is not None) / len(before)
    if mean <= 0:
        return None
    share = -rule.threshold if rule.test == "drop" else rule.threshold
    return mean * (1.0 + share)


def scope_of(rule: WarningRule) -> str:
    """What a rule watches, in words: a pool, a business line and channel, or all leads."""
    if rule.metric == "pool_backlog":
        if rule.business_line is not None:
            return f"public pool {rule.business_line}"
        return f"{rule.pool} pool"
    parts = []
    if rule.business_line is not None:
        parts.append(f"business line {rule.business_line}")
    if rule.channel is not None:
        parts.append(f"channel {rule.channel}")
    return ", ".join(parts) or "all leads"


def date_of(start_date: dt.date, day: int) -> dt.date:
    return start_date + dt.timedelta(days=day)
