"""A channel's volume from its arrivals: rate, weekday, hour and month profiles, spend, cost.

The model draws arrivals at ``leads_per_day`` shaped by the weekday, hour and month profiles,
each normalised to mean 1 (sim/arrivals.py). Profiles here are observed rates per calendar
weekday, hour and month, normalised the same way; ``leads_per_day`` is then the level that
reproduces the observed count over the observed calendar. A paid channel's volume comes from
its monthly spend through a Hill curve instead (scenarios/volume.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crm.fit import Estimate, Findings, MonthVolume, count_rate, fit_response, mean_of
from crm.observed import ChannelTally
from crm.reader import SpendRecord
from scenarios.schema import Channel

DAYS_PER_MONTH = 365.0 / 12.0
MIN_MONTH_DAYS = 7
"""A calendar month enters the seasonality (or the spend fit) only with this many days."""
MIN_SPEND_MONTHS = 3
MIN_SPEND_SWING = 0.3
"""The spend curve is fitted only when (max - min) / mean of monthly spend reaches this."""
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Span:
    """The observed calendar: days per weekday and per (year, month)."""

    first: dt.date
    days: int
    weekday_days: list[int]
    month_days: Counter[tuple[int, int]]

    @classmethod
    def of(cls, first: dt.date, days: int) -> Span:
        weekday_days = [0] * 7
        month_days: Counter[tuple[int, int]] = Counter()
        for offset in range(days):
            date = first + dt.timedelta(days=offset)
            weekday_days[date.weekday()] += 1
            month_days[(date.year, date.month)] += 1
        return cls(first, days, weekday_days, month_days)

    def exposure(self, weekday: np.ndarray, season: np.ndarray) -> float:
        """Expected days of volume under normalised profiles (sum of daily multipliers)."""
        total = 0.0
        for offset in range(self.days):
            date = self.first + dt.timedelta(days=offset)
            total += weekday[date.weekday()] * season[date.month - 1]
        return total


def fit_volume(name: str, tally: ChannelTally, span: Span, kind: str, findings: Findings,
               flat_season: bool = False) -> tuple[dict[str, Any], float]:
    """Profiles and, for organic channels, leads_per_day; also the deseasonalised daily rate.

    Paid channels with a fitted spend curve get flat seasonality: month-to-month changes of
    their volume are explained by spend, not season.
    """
    path = f"channels.{name}"
    weekday = _weekday_profile(path, tally, span, findings)
    hour = _hour_profile(path, tally, findings)
    season = _seasonality(path, tally, span, findings, flat=flat_season)
    rate = count_rate(f"{path}.leads_per_day", tally.leads,
                      span.exposure(_normalised(weekday), _normalised(season)),
                      "leads (level after the weekday and month profiles)")
    fields: dict[str, Any] = {"weekday_profile": weekday, "hour_profile": hour,
                              "seasonality": season}
    if kind == "organic":
        fields["leads_per_day"] = findings.fit(rate)
    else:
        findings.note(path, f"observed leads per day: {rate.describe()}")
    return fields, rate.estimate


def _weekday_profile(path: str, tally: ChannelTally, span: Span,
                     findings: Findings) -> list[float]:
    rates = [count_rate(f"{path}.weekday_profile[{day}]", tally.weekdays[day],
                        span.weekday_days[day]) for day in range(7)]
    seen = [r for day, r in enumerate(rates) if span.weekday_days[day] > 0]
    level = sum(r.estimate for r in seen) / len(seen)
    if level <= 0:
        return [1.0] * 7
    profile = [_scaled(r, level).estimate if span.weekday_days[d] else 1.0
               for d, r in enumerate(rates)]
    for day, rate in enumerate(rates):
        if span.weekday_days[day]:
            findings.fitted.append(_scaled(rate, level))
    missing = [WEEKDAYS[d] for d in range(7) if not span.weekday_days[d]]
    text = "fitted Monday..Sunday, " + ", ".join(
        f"{_scaled(r, level).brief()}" for d, r in enumerate(rates)
        if span.weekday_days[d]) + f"; n = {tally.leads:,} leads"
    findings.note(f"{path}.weekday_profile", text)
    if missing:
        findings.assume(f"{path}.weekday_profile", f"{', '.join(missing)} not observed: 1.0")
    return profile


def _hour_profile(path: str, tally: ChannelTally, findings: Findings) -> list[float]:
    level = tally.leads / 24.0
    estimates = [_scaled(count_rate(f"{path}.hour_profile[{h}]", tally.hours[h], 1.0), level)
                 for h in range(24)]
    findings.fitted.extend(estimates)
    widest = max(estimates, key=lambda e: e.ci_high - e.ci_low)
    findings.note(f"{path}.hour_profile",
                  f"fitted: leads per clock hour over the mean hour, n = {tally.leads:,} leads; "
                  f"widest 95% interval {widest.brief()} "
                  f"(hour {widest.path.rsplit('[', 1)[1].rstrip(']')})")
    return [e.estimate for e in estimates]


def _seasonality(path: str, tally: ChannelTally, span: Span, findings: Findings,
                 flat: bool) -> list[float]:
    counts, days = [0] * 12, [0] * 12
    for (year, month), covered in span.month_days.items():
        if covered >= MIN_MONTH_DAYS:
            counts[month - 1] += tally.months.get((year, month), 0)
            days[month - 1] += covered
    fitted = [m for m in range(12) if days[m] > 0]
    if flat or len(fitted) < 2:
        why = ("volume follows spend" if flat else
               f"fewer than two months with {MIN_MONTH_DAYS}+ days of data")
        findings.assume(f"{path}.seasonality", f"1.0 in every month ({why})")
        return [1.0] * 12
    rates = [count_rate(f"{path}.seasonality[{m}]", counts[m], days[m]) for m in range(12)]
    level = sum(rates[m].estimate for m in fitted) / len(fitted)
    if level <= 0:
        return [1.0] * 12
    scaled = [_scaled(rates[m], level) for m in fitted]
    findings.fitted.extend(scaled)
    findings.note(f"{path}.seasonality", "fitted January..December where observed: " + "; ".join(
        f"{m + 1}: {e.brief()}" for m, e in zip(fitted, scaled, strict=True))
        + f"; n = {tally.leads:,} leads")
    missing = [m + 1 for m in range(12) if m not in fitted]
    if missing:
        findings.assume(f"{path}.seasonality",
                        f"months {', '.join(map(str, missing))} not observed: 1.0")
    profile = [1.0] * 12
    for m, estimate in zip(fitted, scaled, strict=True):
        profile[m] = estimate.estimate
    return profile


def _scaled(estimate: Estimate, level: float) -> Estimate:
    return Estimate(estimate.path, estimate.estimate / level, estimate.ci_low / level,
                    estimate.ci_high / level, estimate.n, estimate.note)


def _normalised(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return np.asarray(array / array.mean())


# --- paid channels ----------------------------------------------------------------------


def fit_paid(name: str, tally: ChannelTally, span: Span, spend: Sequence[SpendRecord],
             base: Channel | None, daily_rate: float, findings: Findings
             ) -> dict[str, Any]:
    """monthly_spend and the Hill response of a paid channel."""
    path = f"channels.{name}"
    months = _spend_months(tally, span, spend)
    amounts = [m.spend for m in months]
    if sum(amounts) <= 0:
        amounts = [r.amount for r in spend]  # no spend inside the observed months
    monthly = mean_of(f"{path}.monthly_spend", len(amounts), sum(amounts),
                      sum(a * a for a in amounts), "months of spend.csv")
    findings.fit(monthly)
    curve = base.response if base is not None and base.kind == "paid" else None
    base_paid = curve is not None
    shape = curve.shape if curve is not None else 1.0
    half = curve.half_saturation_spend if curve is not None else monthly.estimate
    findings.assume(f"{path}.response.shape",
                    f"{shape:g} ({'the base' if base_paid else 'a prior of'} Hill exponent)")
    if spend_curve_fits(tally, span, spend):
        response, estimates = fit_response(months, shape, half, f"{path}.response")
        for estimate in estimates:
            findings.fit(estimate)
        return {"monthly_spend": monthly.estimate, "response": response.model_dump()}
    return _response_from_level(path, tally, monthly.estimate, shape, half, daily_rate,
                                base_paid, findings)


def _response_from_level(path: str, tally: ChannelTally, spend: float, shape: float,
                         half: float, daily_rate: float, base_paid: bool,
                         findings: Findings) -> dict[str, Any]:
    """Spend too steady to trace a curve: keep the curve's shape, scale it to the volume."""
    lift = (half**shape + spend**shape) / spend**shape
    rate = count_rate(f"{path}.response.max_leads_per_day", tally.leads,
                      tally.leads / max(daily_rate, 1e-12))
    ceiling = Estimate(rate.path, daily_rate * lift, rate.ci_low * lift, rate.ci_high * lift,
                       tally.leads, "leads; the observed volume at the mean spend, scaled "
                       "along the curve")
    findings.fit(ceiling)
    origin = "the base's" if base_paid else "a prior at the mean monthly spend"
    findings.assume(f"{path}.response.half_saturation_spend",
                    f"{half:,.0f} ({origin}; spend varied too little across months to fit "
                    f"it: at least {MIN_SPEND_MONTHS} months swinging by "
                    f"{MIN_SPEND_SWING:.0%} of the mean are needed)")
    return {"monthly_spend": spend,
            "response": {"max_leads_per_day": ceiling.estimate, "half_saturation_spend": half,
                         "shape": shape}}


def spend_curve_fits(tally: ChannelTally, span: Span, spend: Sequence[SpendRecord]) -> bool:
    """Whether monthly spend varied enough, over enough months, to fit the response curve."""
    amounts = [m.spend for m in _spend_months(tally, span, spend)]
    if len(amounts) < MIN_SPEND_MONTHS or sum(amounts) <= 0:
        return False
    return (max(amounts) - min(amounts)) / (sum(amounts) / len(amounts)) >= MIN_SPEND_SWING


def _spend_months(tally: ChannelTally, span: Span, spend: Sequence[SpendRecord]
                  ) -> list[MonthVolume]:
    months = []
    for record in spend:
        key = (record.month.year, record.month.month)
        covered = span.month_days.get(key, 0)
        if covered >= MIN_MONTH_DAYS:
            months.append(MonthVolume(record.amount, tally.months.get(key, 0), covered))
    return months


def monthly_cost(name: str, tally: ChannelTally, span: Span, base: Channel | None,
                 findings: Findings) -> float:
    """The channel's fixed monthly cost from the ``cost`` column, else the base's."""
    path = f"channels.{name}.monthly_cost"
    if tally.costed:
        months = span.days / DAYS_PER_MONTH
        cost = tally.cost / months
        findings.fit(Estimate(path, cost, cost, cost, tally.costed, "leads with a cost; the "
                              "cost column summed per month, no sampling error"))
        return cost
    cost = base.monthly_cost if base is not None else 0.0
    findings.assume(path, f"{cost:,.0f} ({'the base' if base else 'none'}; no cost column)")
    return cost
