"""Follow-up outcomes: how speed, staleness, skill and fit shape a conversation's result.

These are pure functions of numbers; the model draws the uniforms and applies them.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from scenarios.schema import DecayCurve, Duration

_NORMAL = NormalDist()


def decay_factor(curve: DecayCurve, hours: float) -> float:
    """Share of a lead's value left after waiting ``hours`` for its first contact."""
    if not curve.enabled or hours <= 0:
        return 1.0
    fast = 2.0 ** (-hours / curve.fast_half_life_hours)
    slow = 2.0 ** (-hours / curve.slow_half_life_hours)
    mixed = curve.fast_weight * fast + (1.0 - curve.fast_weight) * slow
    return curve.floor + (1.0 - curve.floor) * mixed


def staleness_factor(curve: DecayCurve, days: float) -> float:
    """Share of value left after ``days`` without a real conversation."""
    if not curve.enabled or days <= 0:
        return 1.0
    return float(2.0 ** (-days / curve.staleness_half_life_days))


def qualify_probability(propensity: float, decay: float, staleness: float, skill: float,
                        fit: float) -> float:
    """Chance that a conversation qualifies a lead, capped at 1."""
    return min(1.0, propensity * decay * staleness * skill * fit)


def stage_probability(base: float, staleness: float, skill: float, fit: float) -> float:
    """Chance that a sales-cycle meeting advances the deal, capped at 1."""
    return min(1.0, base * staleness * skill * fit)


def duration_hours(duration: Duration, uniform: float) -> float:
    """Inverse-CDF draw of a duration given in minutes, returned in hours."""
    return DurationDraw(duration).hours(uniform)


class DurationDraw:
    """A duration's inverse CDF with its constants worked out once, for the rep loop."""

    __slots__ = ("distribution", "mean", "mu", "sigma")

    def __init__(self, duration: Duration):
        self.distribution = duration.distribution
        self.mean = duration.mean_minutes / 60.0
        self.sigma = self.mu = 0.0
        if self.distribution not in ("fixed", "exponential"):
            self.sigma = math.sqrt(math.log(1.0 + duration.cv**2))
            self.mu = math.log(self.mean) - self.sigma**2 / 2.0

    def hours(self, uniform: float) -> float:
        """The duration in hours at quantile ``uniform``."""
        if self.distribution == "fixed":
            return self.mean
        if self.distribution == "exponential":
            return -self.mean * math.log(uniform)
        return math.exp(self.mu + self.sigma * _NORMAL.inv_cdf(uniform))


def normal_from_uniform(uniform: float) -> float:
    return _NORMAL.inv_cdf(uniform)
