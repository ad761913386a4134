"""Confidence intervals over replications."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict


class Interval(TypedDict):
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


def t_quantile(level: float, dof: int) -> float:
    """Two-sided Student-t critical value; scipy is imported only when needed."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2.0, dof))


def t_interval(values: Sequence[float | None], level: float = 0.95) -> Interval:
    """Mean and t-interval of the defined values; a single value gives no interval."""
    present = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(present)
    if n == 0:
        return {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = math.fsum(present) / n
    if n == 1:
        return {"mean": mean, "ci_low": None, "ci_high": None, "n": 1}
    variance = math.fsum((v - mean) ** 2 for v in present) / (n - 1)
    half = t_quantile(level, n - 1) * math.sqrt(variance / n)
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "n": n}
