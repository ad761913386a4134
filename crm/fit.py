"""Estimators behind ``leadops calibrate``: shares, rates, deal sizes, the decay curve, Hill.

Every estimator returns an :class:`Estimate` with a 95% interval and the sample size behind
it, so the calibrated scenario can say how sure it is of each number. Inputs are small
accumulated counts (a few dozen bins per channel), never rows; scipy is imported inside the
functions that optimise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from scenarios.schema import DecayCurve, Response

Z95 = 1.959963984540054
PRIOR_SD = 0.5
"""Prior standard deviation of the decay shape, in log (half-lives) or logit (weight, floor)
units: a thin sample stays within about a factor 1.6 of the prior half-lives."""
HILL_PRIOR_SD = 1.0
"""Prior standard deviation of log half-saturation spend: weak, it only anchors the curve
when the spend never came near saturation."""
SHAPE_NAMES = ("fast_half_life_hours", "fast_weight", "slow_half_life_hours", "floor")
_EPS = 1e-9


@dataclass(frozen=True)
class Estimate:
    """A fitted value: field path, estimate, 95% interval, sample size and a short note."""

    path: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    note: str = ""

    def describe(self, digits: int = 4) -> str:
        """``0.25 [0.23, 0.27], n = 1,234 leads`` style text for comments and tables."""
        text = f"{self.brief(digits)}, n = {self.n:,}"
        return f"{text} {self.note}" if self.note else text

    def brief(self, digits: int = 3) -> str:
        """``0.25 [0.23, 0.27]``: the estimate and its interval."""
        low, high = _g(self.ci_low, digits), _g(self.ci_high, digits)
        return f"{_g(self.estimate, digits)} [{low}, {high}]"


def _g(value: float, digits: int) -> str:
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


# --- shares and counts ------------------------------------------------------------------


def share(path: str, hits: int, n: int, note: str = "") -> Estimate:
    """A proportion with its Wilson score interval."""
    if n <= 0:
        return Estimate(path, 0.0, 0.0, 1.0, 0, note)
    p = hits / n
    denominator = 1.0 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return Estimate(path, p, max(0.0, centre - half), min(1.0, centre + half), n, note)


def count_rate(path: str, count: int, exposure: float, note: str = "") -> Estimate:
    """A Poisson rate ``count / exposure`` with a normal-approximation interval on the count
    (square-root scale, accurate from a handful of events on)."""
    if exposure <= 0:
        return Estimate(path, 0.0, 0.0, 0.0, count, note)
    root = math.sqrt(count)
    low = max(0.0, root - Z95 / 2) ** 2
    high = (root + Z95 / 2) ** 2
    return Estimate(path, count / exposure, low / exposure, high / exposure, count, note)


def mean_of(path: str, n: int, total: float, squares: float, note: str = "") -> Estimate:
    """A mean from a count, a sum and a sum of squares, with a normal interval."""
    mean = total / n
    variance = max(0.0, squares / n - mean * mean) * n / max(1, n - 1)
    half = Z95 * math.sqrt(variance / n)
    return Estimate(path, mean, mean - half, mean + half, n, note)


def lognormal(path: str, n: int, log_sum: float, log_squares: float
              ) -> tuple[Estimate, Estimate]:
    """Median and log-sd of a lognormal from the sums of log values (n >= 2)."""
    mu = log_sum / n
    sigma = math.sqrt(max(0.0, log_squares / n - mu * mu) * n / (n - 1))
    half = Z95 * sigma / math.sqrt(n)
    median = Estimate(f"{path}.median", math.exp(mu), math.exp(mu - half), math.exp(mu + half),
                      n, "won deals")
    spread = Z95 / math.sqrt(2.0 * (n - 1))
    log_sd = Estimate(f"{path}.sigma", sigma, sigma * max(0.0, 1 - spread), sigma * (1 + spread),
                      n, "won deals")
    return median, log_sd


# --- the speed-to-lead decay curve --------------------------------------------------------


@dataclass
class DelayBins:
    """Contacted leads by first-contact delay bin: how many, how many qualified, and the
    mean delay in hours of each bin, for one channel or several (one row each). ``factor``
    is each bin's mean of a known factor that multiplies the chance (None: 1)."""

    contacted: np.ndarray
    qualified: np.ndarray
    delay_hours: np.ndarray
    factor: np.ndarray | None = None

    @property
    def leads(self) -> int:
        return int(self.contacted.sum())


@dataclass(frozen=True)
class DecayFit:
    """The fitted curve, its level per row (the qualification chance at zero delay) and the
    intervals of both."""

    curve: DecayCurve
    levels: list[Estimate]
    shape: list[Estimate]


def decay_factors(shape: Sequence[float], hours: np.ndarray) -> np.ndarray:
    """The decay factor of ``sim.followup.decay_factor`` for an array of delays."""
    fast_half, weight, slow_half, floor = shape
    mixed = weight * np.exp2(-hours / fast_half) + (1 - weight) * np.exp2(-hours / slow_half)
    return np.asarray(floor + (1 - floor) * mixed)


def fit_decay(bins: DelayBins, prior: DecayCurve, path: str,
              level_paths: Sequence[str]) -> DecayFit:
    """Maximum likelihood of qualification = level x decay(delay) (x the bins' known factor),
    penalised toward ``prior``.

    Each row of ``bins`` has its own level (the channel's qualification chance at zero
    delay); the shape is shared. The penalty is a normal prior of sd ``PRIOR_SD`` on the
    log half-lives and the logit weight and floor, so thin data stay near the prior.
    Intervals come from the curvature of the penalised likelihood (Laplace).
    """
    from scipy.optimize import minimize

    prior_z = _shape_to_z(prior)
    rows = bins.contacted.shape[0]
    start = np.concatenate([prior_z, _start_levels(bins)])

    def objective(z: np.ndarray) -> float:
        return _negative_log_likelihood(z, bins) + _penalty(z[:4], prior_z)

    found = minimize(objective, start, method="L-BFGS-B")
    z = found.x
    covariance = _covariance(objective, z)
    sd = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    shape = _z_to_shape(z[:4])
    curve = prior.model_copy(update=dict(zip(SHAPE_NAMES, shape, strict=True)))
    n = bins.leads
    shape_estimates = [
        Estimate(f"{path}.{name}", value, *_shape_interval(i, z[i], sd[i]), n, "contacted leads")
        for i, (name, value) in enumerate(zip(SHAPE_NAMES, shape, strict=True))
    ]
    levels = [
        Estimate(level_paths[r], _logistic(z[4 + r]), _logistic(z[4 + r] - Z95 * sd[4 + r]),
                 _logistic(z[4 + r] + Z95 * sd[4 + r]), int(bins.contacted[r].sum()),
                 "qualification chance at zero delay")
        for r in range(rows)
    ]
    return DecayFit(curve, levels, shape_estimates)


def _shape_to_z(curve: DecayCurve) -> np.ndarray:
    return np.array([math.log(curve.fast_half_life_hours), _logit(curve.fast_weight),
                     math.log(curve.slow_half_life_hours), _logit(curve.floor)])


def _z_to_shape(z: np.ndarray) -> list[float]:
    return [math.exp(z[0]), _logistic(z[1]), math.exp(z[2]), _logistic(z[3])]


def _shape_interval(index: int, z: float, sd: float) -> tuple[float, float]:
    back: Callable[[float], float] = math.exp if index in (0, 2) else _logistic
    return back(z - Z95 * sd), back(z + Z95 * sd)


def _start_levels(bins: DelayBins) -> np.ndarray:
    rates = (bins.qualified.sum(axis=1) + 0.5) / (bins.contacted.sum(axis=1) + 1.0)
    return np.array([_logit(min(0.95, 2.0 * rate)) for rate in rates])


def _negative_log_likelihood(z: np.ndarray, bins: DelayBins) -> float:
    shape = _z_to_shape(z[:4])
    levels = 1.0 / (1.0 + np.exp(-z[4:]))
    chance = levels[:, None] * decay_factors(shape, bins.delay_hours)
    if bins.factor is not None:
        chance = chance * bins.factor
    chance = np.clip(chance, _EPS, 1 - _EPS)
    missed = bins.contacted - bins.qualified
    return float(-(bins.qualified * np.log(chance) + missed * np.log1p(-chance)).sum())


def _penalty(z: np.ndarray, prior_z: np.ndarray) -> float:
    return float(((z - prior_z) ** 2).sum() / (2 * PRIOR_SD**2))


def _covariance(objective: Callable[[np.ndarray], float], z: np.ndarray) -> np.ndarray:
    """Inverse of the numerical Hessian at the optimum (pseudo-inverse if singular)."""
    size = len(z)
    step = 1e-3
    hessian = np.empty((size, size))
    for i in range(size):
        for j in range(i, size):
            value = _second_difference(objective, z, i, j, step)
            hessian[i, j] = hessian[j, i] = value
    return np.asarray(np.linalg.pinv(hessian))


def _second_difference(objective: Callable[[np.ndarray], float], z: np.ndarray, i: int, j: int,
                       step: float) -> float:
    def at(di: float, dj: float) -> float:
        moved = z.copy()
        moved[i] += di
        moved[j] += dj
        return objective(moved)

    return (at(step, step) - at(step, -step) - at(-step, step) + at(-step, -step)) / (
        4 * step * step)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _logistic(x: float) -> float:
    if x < 0:  # exp(-x) would overflow far out on the left
        small = math.exp(x)
        return small / (1.0 + small)
    return 1.0 / (1.0 + math.exp(-x))


# --- paid channels: the spend response curve --------------------------------------------


@dataclass(frozen=True)
class MonthVolume:
    """A month of a paid channel: media spend, leads that arrived and days observed."""

    spend: float
    leads: int
    days: float


def fit_response(months: Sequence[MonthVolume], shape: float, prior_half_spend: float,
                 path: str) -> tuple[Response, list[Estimate]]:
    """Poisson maximum likelihood of a Hill curve of fixed ``shape`` through monthly volumes.

    Free are the saturation volume and the half-saturation spend; a weak prior (sd
    ``HILL_PRIOR_SD`` in log units) centres the half-saturation spend on
    ``prior_half_spend``, since spend that never nears saturation cannot place it.
    """
    from scipy.optimize import minimize

    spend = np.array([m.spend for m in months])
    leads = np.array([m.leads for m in months], dtype=float)
    days = np.array([m.days for m in months])
    prior = math.log(prior_half_spend)

    def objective(z: np.ndarray) -> float:
        ceiling, half = math.exp(z[0]), math.exp(z[1])
        scaled = (spend / half) ** shape
        expected = np.maximum(days * ceiling * scaled / (1 + scaled), _EPS)
        return float((expected - leads * np.log(expected)).sum()
                     + (z[1] - prior) ** 2 / (2 * HILL_PRIOR_SD**2))

    rate = leads.sum() / days.sum()
    found = minimize(objective, np.array([math.log(2 * rate), prior]), method="L-BFGS-B")
    sd = np.sqrt(np.clip(np.diag(_covariance(objective, found.x)), 0.0, None))
    ceiling, half = math.exp(found.x[0]), math.exp(found.x[1])
    n = int(leads.sum())
    note = f"leads over {len(months)} months of spend"
    estimates = [
        Estimate(f"{path}.max_leads_per_day", ceiling, math.exp(found.x[0] - Z95 * sd[0]),
                 math.exp(found.x[0] + Z95 * sd[0]), n, note),
        Estimate(f"{path}.half_saturation_spend", half, math.exp(found.x[1] - Z95 * sd[1]),
                 math.exp(found.x[1] + Z95 * sd[1]), n, note),
    ]
    return Response(max_leads_per_day=ceiling, half_saturation_spend=half, shape=shape), estimates


# --- what the calibration found ----------------------------------------------------------


@dataclass
class Findings:
    """Fitted values, assumed field paths and the comment lines of the scenario file."""

    fitted: list[Estimate]
    assumed: list[str]
    comments: dict[str, list[str]]

    @classmethod
    def empty(cls) -> Findings:
        return cls([], [], {})

    def fit(self, estimate: Estimate, comment: str | None = None) -> float:
        """Record a fitted value and its comment (default: the estimate described)."""
        self.fitted.append(estimate)
        self.note(estimate.path, f"fitted: {estimate.describe()}" if comment is None
                  else comment)
        return estimate.estimate

    def assume(self, path: str, why: str = "") -> None:
        """Record a field taken from the base scenario or a stated prior, not from data."""
        self.assumed.append(path)
        if why:
            self.note(path, f"assumed: {why}")

    def note(self, path: str, text: str) -> None:
        self.comments.setdefault(path, []).append(text)
