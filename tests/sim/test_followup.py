"""Follow-up maths: speed-to-lead decay, staleness, outcome chances and work durations."""

from __future__ import annotations

import math

import pytest

from scenarios.schema import DecayCurve, Duration
from sim.followup import (
    decay_factor,
    duration_hours,
    normal_from_uniform,
    qualify_probability,
    stage_probability,
    staleness_factor,
)

CURVE = DecayCurve()
GRID = 20_000


def _uniform_grid(size: int = GRID) -> list[float]:
    """Midpoints of ``size`` equal cells of (0, 1): a deterministic stand-in for draws."""
    return [(index + 0.5) / size for index in range(size)]


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


# Decay -----------------------------------------------------------------------------------


def test_decay_is_one_at_zero_hours() -> None:
    assert decay_factor(CURVE, 0.0) == pytest.approx(1.0)
    assert decay_factor(CURVE, -1.0) == 1.0


def test_decay_falls_monotonically() -> None:
    hours = [0.0, 0.05, 0.25, 0.5, 1.0, 2.0, 6.0, 24.0, 48.0, 168.0, 720.0]
    factors = [decay_factor(CURVE, h) for h in hours]
    assert all(later < earlier for earlier, later in zip(factors, factors[1:], strict=False))


def test_decay_is_steep_in_the_first_hour_and_flat_later() -> None:
    first_hour_loss = decay_factor(CURVE, 0.0) - decay_factor(CURVE, 1.0)
    next_day_loss = decay_factor(CURVE, 24.0) - decay_factor(CURVE, 48.0)
    assert first_hour_loss > 5 * next_day_loss
    assert first_hour_loss == pytest.approx(0.5089, abs=1e-3)
    assert next_day_loss == pytest.approx(0.0482, abs=1e-3)


def test_decay_hand_value() -> None:
    curve = DecayCurve(fast_half_life_hours=1.0, fast_weight=0.5, slow_half_life_hours=10.0,
                       floor=0.2)
    expected = 0.2 + 0.8 * (0.5 * 0.5 + 0.5 * 2.0 ** -0.1)
    assert decay_factor(curve, 1.0) == pytest.approx(expected)


@pytest.mark.parametrize("floor", [0.0, 0.1, 0.5])
def test_decay_never_goes_below_its_floor(floor: float) -> None:
    curve = DecayCurve(floor=floor)
    for hours in (1.0, 100.0, 10_000.0):
        assert decay_factor(curve, hours) >= floor
    assert decay_factor(curve, 1e6) == pytest.approx(floor, abs=1e-9)


def test_disabled_decay_keeps_full_value() -> None:
    curve = DecayCurve(enabled=False)
    assert [decay_factor(curve, h) for h in (0.0, 1.0, 1000.0)] == [1.0, 1.0, 1.0]
    assert [staleness_factor(curve, d) for d in (0.0, 30.0, 1000.0)] == [1.0, 1.0, 1.0]


# Staleness -------------------------------------------------------------------------------


def test_staleness_halves_every_half_life() -> None:
    curve = DecayCurve(staleness_half_life_days=30.0)
    assert staleness_factor(curve, 0.0) == 1.0
    assert staleness_factor(curve, -2.0) == 1.0
    assert staleness_factor(curve, 30.0) == pytest.approx(0.5)
    assert staleness_factor(curve, 60.0) == pytest.approx(0.25)
    assert staleness_factor(curve, 10.0) > staleness_factor(curve, 20.0)


# Outcome chances -------------------------------------------------------------------------


def test_qualify_probability_multiplies_and_caps() -> None:
    assert qualify_probability(0.4, 0.5, 0.8, 1.5, 1.0) == pytest.approx(0.24)
    assert qualify_probability(0.9, 1.0, 1.0, 2.0, 1.3) == 1.0
    assert qualify_probability(0.4, 1.0, 1.0, 1.0, 0.0) == 0.0


def test_stage_probability_multiplies_and_caps() -> None:
    assert stage_probability(0.5, 0.5, 1.2, 1.0) == pytest.approx(0.3)
    assert stage_probability(0.9, 1.0, 1.5, 1.4) == 1.0


# Durations -------------------------------------------------------------------------------


@pytest.mark.parametrize("distribution", ["exponential", "lognormal", "fixed"])
@pytest.mark.parametrize("mean_minutes", [12.0, 240.0])
def test_duration_draws_have_the_configured_mean(distribution: str, mean_minutes: float
                                                 ) -> None:
    duration = Duration(distribution=distribution, mean_minutes=mean_minutes, cv=0.6)
    draws = [duration_hours(duration, u) for u in _uniform_grid()]
    assert _mean(draws) == pytest.approx(mean_minutes / 60.0, rel=2e-3)
    assert min(draws) >= 0.0


def test_fixed_duration_ignores_the_uniform() -> None:
    duration = Duration(distribution="fixed", mean_minutes=30.0)
    assert {duration_hours(duration, u) for u in (1e-9, 0.5, 1 - 1e-9)} == {0.5}


@pytest.mark.parametrize("cv", [0.2, 0.6, 1.0])
def test_lognormal_duration_has_the_configured_spread(cv: float) -> None:
    duration = Duration(distribution="lognormal", mean_minutes=60.0, cv=cv)
    draws = [duration_hours(duration, u) for u in _uniform_grid()]
    mean = _mean(draws)
    spread = math.sqrt(_mean([(d - mean) ** 2 for d in draws]))
    assert spread / mean == pytest.approx(cv, rel=0.03)


def test_exponential_duration_has_unit_cv_and_ignores_cv_field() -> None:
    a = Duration(distribution="exponential", mean_minutes=60.0, cv=0.1)
    b = Duration(distribution="exponential", mean_minutes=60.0, cv=3.0)
    assert duration_hours(a, 0.3) == duration_hours(b, 0.3) == pytest.approx(-math.log(0.3))
    draws = [duration_hours(a, u) for u in _uniform_grid()]
    spread = math.sqrt(_mean([(d - 1.0) ** 2 for d in draws]))
    assert spread == pytest.approx(1.0, rel=0.03)


def test_duration_rises_with_the_uniform_for_lognormal() -> None:
    duration = Duration(distribution="lognormal", mean_minutes=30.0, cv=0.5)
    draws = [duration_hours(duration, u) for u in (0.1, 0.5, 0.9)]
    assert draws == sorted(draws)
    assert draws[0] < 0.5 < draws[2]


def test_normal_from_uniform_is_the_standard_normal_quantile() -> None:
    assert normal_from_uniform(0.5) == pytest.approx(0.0)
    assert normal_from_uniform(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert normal_from_uniform(0.025) == pytest.approx(-1.959964, abs=1e-6)
