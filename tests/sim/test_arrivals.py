"""Lead arrivals: the spend response curve and the hourly non-homogeneous Poisson process."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from scenarios.schema import Channel, Response
from sim.arrivals import (
    ArrivalProfile,
    arrival_times,
    mean_leads_per_day,
    monthly_cost,
    response_leads_per_day,
)
from sim.calendar import HOURS_PER_DAY

MONDAY = dt.date(2026, 1, 5)


def _channel(**fields: Any) -> Channel:
    data: dict[str, Any] = {
        "kind": "organic",
        "leads_per_day": 40.0,
        "quality": {"mean": 0.3},
        "business_lines": {"main": 1.0},
        "regions": {"all": 1.0},
        "deal_size": {"median": 1000.0},
    }
    data.update(fields)
    return Channel.model_validate(data)


def _times(channel: Channel, days: int, seed: int = 1, start: dt.date = MONDAY
           ) -> np.ndarray:
    profile = ArrivalProfile(channel, start)
    return np.array(list(arrival_times(profile, days, np.random.default_rng(seed))))


# Response curve -----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [0.5, 1.0])
def test_response_curve_has_diminishing_returns(shape: float) -> None:
    response = Response(max_leads_per_day=50.0, half_saturation_spend=40000.0, shape=shape)
    spends = np.linspace(0.0, 400000.0, 41)

    volumes = np.array([response_leads_per_day(response, float(s)) for s in spends])
    gains = np.diff(volumes)

    assert volumes[0] == 0.0
    assert np.all(gains > 0.0)
    assert np.all(np.diff(gains) < 0.0)
    assert volumes[-1] < response.max_leads_per_day


@pytest.mark.parametrize("shape", [0.5, 1.0, 2.0, 4.0])
def test_half_saturation_spend_buys_half_the_maximum(shape: float) -> None:
    response = Response(max_leads_per_day=50.0, half_saturation_spend=40000.0, shape=shape)
    assert response_leads_per_day(response, 40000.0) == pytest.approx(25.0)
    saturated = 1e5**shape
    assert response_leads_per_day(response, 4e9) == pytest.approx(
        50.0 * saturated / (1.0 + saturated))


def test_response_curve_hand_value() -> None:
    response = Response(max_leads_per_day=45.0, half_saturation_spend=150000.0, shape=1.0)
    assert response_leads_per_day(response, 120000.0) == pytest.approx(45.0 * 0.8 / 1.8)


def test_paid_channel_volume_and_cost_come_from_spend() -> None:
    paid = _channel(kind="paid", leads_per_day=None, monthly_spend=30000.0, monthly_cost=500.0,
                    response={"max_leads_per_day": 10.0, "half_saturation_spend": 30000.0})
    assert mean_leads_per_day(paid) == pytest.approx(5.0)
    assert monthly_cost(paid) == pytest.approx(30500.0)
    assert monthly_cost(_channel(monthly_cost=800.0)) == pytest.approx(800.0)


# Volumes -----------------------------------------------------------------------------------


def test_year_of_arrivals_matches_leads_per_day() -> None:
    days = 365
    times = _times(_channel(leads_per_day=40.0), days, seed=11)

    expected = 40.0 * days
    assert abs(times.size - expected) < 4.0 * math.sqrt(expected)
    daily = np.bincount((times // HOURS_PER_DAY).astype(int), minlength=days)
    # Daily counts are Poisson: variance equals the mean.
    assert daily.var() == pytest.approx(40.0, rel=0.25)


def test_shaped_year_matches_the_sum_of_its_hourly_rates() -> None:
    channel = _channel(leads_per_day=30.0, weekday_profile=[1.4, 1.2, 1.2, 1.1, 1.0, 0.6, 0.5],
                       seasonality=[0.6, 0.8, 1.0, 1.2, 1.4, 1.2, 1.0, 0.8, 1.0, 1.2, 1.0, 0.8])
    profile = ArrivalProfile(channel, MONDAY)
    expected = sum(float(profile.hourly_rates(day).sum()) for day in range(365))

    times = _times(channel, 365, seed=12)

    assert abs(times.size - expected) < 4.0 * math.sqrt(expected)
    # Normalised profiles keep the yearly level near leads_per_day (months differ in length).
    assert expected == pytest.approx(30.0 * 365, rel=0.02)


def test_volume_scale_multiplies_the_rates() -> None:
    channel = _channel(leads_per_day=24.0)
    scaled = ArrivalProfile(channel, MONDAY, scale=1.5)
    assert scaled.hourly_rates(0).sum() == pytest.approx(36.0)
    assert np.allclose(scaled.hourly_rates(3), 1.5)


def test_arrivals_are_ordered_and_inside_the_horizon() -> None:
    times = _times(_channel(leads_per_day=100.0), 20)
    assert times.size > 0
    assert np.all(np.diff(times) >= 0.0)
    assert times[0] >= 0.0 and times[-1] < 20 * HOURS_PER_DAY


def test_same_generator_seed_gives_the_same_arrivals() -> None:
    channel = _channel()
    assert np.array_equal(_times(channel, 10, seed=4), _times(channel, 10, seed=4))
    assert not np.array_equal(_times(channel, 10, seed=4), _times(channel, 10, seed=5))


def test_a_shorter_horizon_is_a_prefix_of_a_longer_one() -> None:
    channel = _channel()
    short, longer = _times(channel, 5, seed=8), _times(channel, 12, seed=8)
    assert np.array_equal(short, longer[:short.size])


# Shapes --------------------------------------------------------------------------------------


def test_weekday_profile_shows_in_the_counts() -> None:
    weekday_profile = [2.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    channel = _channel(leads_per_day=36.0, weekday_profile=weekday_profile)
    weeks = 30

    times = _times(channel, 7 * weeks, seed=21)
    weekday = (times // HOURS_PER_DAY).astype(int) % 7  # day 0 is a Monday
    counts = np.bincount(weekday, minlength=7)

    assert counts[5] == counts[6] == 0
    expected_tuesday = 36.0 * 7 / 6 * weeks
    assert abs(counts[1] - expected_tuesday) < 4.0 * math.sqrt(expected_tuesday)
    ratio = counts[0] / counts[1:5].mean()
    assert ratio == pytest.approx(2.0, rel=0.12)


def test_weekday_profile_follows_the_start_date() -> None:
    channel = _channel(weekday_profile=[1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    saturday = dt.date(2026, 1, 10)
    times = _times(channel, 7, start=saturday)
    days = set((times // HOURS_PER_DAY).astype(int).tolist())
    assert days == {2, 3, 4, 5, 6}


def test_hour_profile_shows_in_the_counts() -> None:
    hour_profile = [0.0] * 8 + [1.0] * 4 + [3.0] * 4 + [0.0] * 8
    channel = _channel(leads_per_day=60.0, hour_profile=hour_profile)

    times = _times(channel, 60, seed=3)
    hours = np.bincount((times % HOURS_PER_DAY).astype(int), minlength=24)

    assert hours[:8].sum() == hours[16:].sum() == 0
    assert hours[12:16].sum() / hours[8:12].sum() == pytest.approx(3.0, rel=0.1)


def test_seasonality_shows_in_the_counts() -> None:
    seasonality = [1.0] * 6 + [3.0] * 6
    channel = _channel(leads_per_day=20.0, seasonality=seasonality)
    profile = ArrivalProfile(channel, dt.date(2026, 6, 1))

    assert profile.hourly_rates(29).sum() == pytest.approx(10.0)  # 30 June
    assert profile.hourly_rates(30).sum() == pytest.approx(30.0)  # 1 July


@pytest.mark.parametrize(
    "fields",
    [
        {"leads_per_day": 0.0},
        {"kind": "paid", "leads_per_day": None, "monthly_spend": 0.0,
         "response": {"max_leads_per_day": 10.0, "half_saturation_spend": 1000.0}},
    ],
)
def test_zero_rate_gives_no_arrivals(fields: dict[str, Any]) -> None:
    channel = _channel(**fields)
    assert mean_leads_per_day(channel) == 0.0
    assert _times(channel, 60).size == 0
