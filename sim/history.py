"""Historical arrivals: real leads, at their real times, instead of simulated traffic.

A :class:`History` is a compact, time-sorted table of the leads a company actually received:
hours since the scenario's first day, channel, and whatever attributes the CRM gave (business
line, region, complexity, score, deal value), one numpy array per column. Categories are
indices into the scenario's name lists, ``-1`` where the file gave nothing; numbers are NaN
where missing. Each lead also carries a 64-bit identity, a blake2b digest of its CRM lead id.

Per replication, :func:`resolve` turns the history into the attributes the model needs. A
lead's random key is mixed from its identity, the run's seed and the replication, so two
policies on one seed see the same leads with the same per-lead draws (common random numbers),
each replication re-draws outcomes over the same arrivals, and nothing depends on the
process or on file order. Attributes the file does not give are drawn from the channel's mix
with uniforms of the lead's own key (the counter scheme of :mod:`sim.streams`, under a
purpose of their own), so they do not depend on other leads either.

Latent propensity is never in a CRM export:

* with a score, propensity is drawn from its distribution given the score. The scoring
  model is ``logit(score) = logit(propensity) + noise * N(0, 1)`` and the channel's prior is
  ``Beta(a, b)``. The prior of ``logit(propensity)`` is approximated by a normal with the
  exact mean and variance of the logit of a Beta variable (``digamma(a) - digamma(b)`` and
  ``trigamma(a) + trigamma(b)``); normal prior and normal noise then give a normal posterior
  on the logit scale, from which the lead's own key draws. With no score noise the score is
  the propensity.
* without a score, propensity is drawn from the channel's Beta prior by inversion, and the
  score from the scoring model, exactly as for a simulated lead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from array import array
from dataclasses import dataclass

import numpy as np

from scenarios.schema import COMPLEXITIES, Channel, Scenario
from sim.calendar import HOURS_PER_DAY
from sim.streams import GOLDEN, MASK64, TO_UNIT, splitmix64

MISSING = -1
EPOCH = dt.datetime(1970, 1, 1)
EDGE = 1e-6  # propensities stay inside (EDGE, 1 - EDGE), as for simulated leads

# Per-lead draws of replayed leads use a purpose far from the model's own (sim.streams), so
# purposes added there later never collide with these. Counters within the purpose:
ATTRIBUTES = 200
LINE, REGION, COMPLEXITY, DEAL, PROPENSITY, SCORE_NOISE = range(6)


@dataclass(frozen=True, eq=False)
class History:
    """Historical arrivals sorted by time; one array per column, ``-1`` / NaN = not given."""

    start_date: dt.date
    horizon_hours: float
    hours: np.ndarray  # float64, hours since start_date 00:00
    channel: np.ndarray  # int16 index into the scenario's channels
    business_line: np.ndarray  # int16
    region: np.ndarray  # int16
    complexity: np.ndarray  # int8: low, medium, high
    score: np.ndarray  # float64
    deal_value: np.ndarray  # float64
    identity: np.ndarray  # uint64 digest of the CRM lead id

    def __len__(self) -> int:
        return len(self.hours)

    @property
    def days(self) -> int:
        """Whole days the horizon touches (the last one may be partial)."""
        return max(1, math.ceil(self.horizon_hours / HOURS_PER_DAY))


def lead_identity(lead_id: str) -> int:
    """A stable 64-bit digest of a CRM lead id (the same in every process and run)."""
    digest = hashlib.blake2b(lead_id.encode("utf-8"), digest_size=8, person=b"leadops-lead")
    return int.from_bytes(digest.digest(), "little")


class HistoryBuilder:
    """Collects arrivals row by row in compact arrays, then sorts them into a History.

    Rows may come in any order; the history starts at 00:00 of the earliest arrival's day.
    """

    def __init__(self) -> None:
        self._seconds = array("d")  # since EPOCH, naive wall-clock
        self._channel = array("h")
        self._line = array("h")
        self._region = array("h")
        self._complexity = array("b")
        self._score = array("d")
        self._deal = array("d")
        self._identity = array("Q")

    def add(self, created_at: dt.datetime, channel: int, business_line: int, *,
            region: int = MISSING, complexity: int = MISSING, score: float | None = None,
            deal_value: float | None = None, lead_id: str) -> None:
        """One lead, at naive wall-clock time ``created_at``."""
        self._seconds.append((created_at - EPOCH).total_seconds())
        self._channel.append(channel)
        self._line.append(business_line)
        self._region.append(region)
        self._complexity.append(complexity)
        self._score.append(math.nan if score is None else score)
        self._deal.append(math.nan if deal_value is None else deal_value)
        self._identity.append(lead_identity(lead_id))

    def __len__(self) -> int:
        return len(self._seconds)

    def build(self, last: dt.datetime) -> History:
        """Sort by arrival time (ties keep the order of adding); the horizon ends just after
        ``last``, the latest timestamp known, one second later so that an event stamped at
        that very instant is still played."""
        if not self._seconds:
            raise ValueError("a history needs at least one lead")
        seconds = np.frombuffer(self._seconds, dtype=np.float64)
        order = np.argsort(seconds, kind="stable")
        first = EPOCH + dt.timedelta(seconds=float(seconds[order[0]]))
        start = dt.datetime.combine(first.date(), dt.time())
        offset = (start - EPOCH).total_seconds()
        return History(
            start_date=start.date(),
            horizon_hours=((last - start).total_seconds() + 1.0) / 3600.0,
            hours=(seconds[order] - offset) / 3600.0,
            channel=np.frombuffer(self._channel, dtype=np.int16)[order],
            business_line=np.frombuffer(self._line, dtype=np.int16)[order],
            region=np.frombuffer(self._region, dtype=np.int16)[order],
            complexity=np.frombuffer(self._complexity, dtype=np.int8)[order],
            score=np.frombuffer(self._score, dtype=np.float64)[order],
            deal_value=np.frombuffer(self._deal, dtype=np.float64)[order],
            identity=np.frombuffer(self._identity, dtype=np.uint64)[order],
        )


@dataclass(frozen=True, eq=False)
class ResolvedLeads:
    """Everything the model needs per lead of one replication, aligned with the history."""

    key: np.ndarray
    business_line: np.ndarray
    region: np.ndarray
    complexity: np.ndarray
    deal_size: np.ndarray
    propensity: np.ndarray
    score: np.ndarray

    def row(self, index: int) -> tuple[int, int, int, int, float, float, float]:
        """(key, business line, region, complexity, deal size, propensity, score)."""
        return (int(self.key[index]), int(self.business_line[index]), int(self.region[index]),
                int(self.complexity[index]), float(self.deal_size[index]),
                float(self.propensity[index]), float(self.score[index]))


def lead_keys(identity: np.ndarray, seed: int, replication: int) -> np.ndarray:
    """Per-lead random keys from (lead id digest, seed, replication), below 2**63."""
    salt = splitmix64(splitmix64(seed & MASK64) ^ (replication & MASK64))
    keys: np.ndarray = _splitmix64(identity ^ np.uint64(salt)) >> np.uint64(1)
    return keys


def key_uniforms(keys: np.ndarray, purpose: int, counter: int) -> np.ndarray:
    """:func:`sim.streams.lead_uniform` for an array of keys, value for value."""
    spread = (((purpose << 56) | counter) * GOLDEN) & MASK64
    mixed = _splitmix64(keys.astype(np.uint64) ^ np.uint64(spread))
    uniform: np.ndarray = ((mixed >> np.uint64(11)).astype(np.float64) + 0.5) * TO_UNIT
    return np.minimum(uniform, 1.0 - TO_UNIT)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """Vectorised splitmix64 (uint64 arithmetic wraps modulo 2**64, as intended)."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    result: np.ndarray = z ^ (z >> np.uint64(31))
    return result


def resolve(history: History, scenario: Scenario, seed: int, replication: int
            ) -> ResolvedLeads:
    """The leads of one replication: file attributes where given, draws where not."""
    keys = lead_keys(history.identity, seed, replication)
    lines = history.business_line.copy()
    regions = history.region.copy()
    complexity = history.complexity.copy()
    deal = history.deal_value.copy()
    propensity = np.zeros(len(history))
    score = history.score.copy()
    noise = scenario.classification.score_noise
    for index, channel in enumerate(scenario.channels.values()):
        mine = history.channel == index
        if not mine.any():
            continue
        own = keys[mine]
        lines[mine] = _fill(lines[mine], own, LINE, channel.business_lines,
                            list(scenario.business_lines))
        regions[mine] = _fill(regions[mine], own, REGION, channel.regions, scenario.regions)
        complexity[mine] = _fill(complexity[mine], own, COMPLEXITY,
                                 {str(k): v for k, v in channel.complexity.items()},
                                 list(COMPLEXITIES))
        deal[mine] = _deal_sizes(deal[mine], own, channel)
        propensity[mine], score[mine] = _propensities(score[mine], own, channel, noise)
    return ResolvedLeads(keys, lines, regions, complexity, deal, propensity, score)


def _fill(given: np.ndarray, keys: np.ndarray, counter: int, weights: dict[str, float],
          names: list[str]) -> np.ndarray:
    """Keep given categories; draw missing ones from the channel's mix."""
    missing = given == MISSING
    if not missing.any():
        return given
    probabilities = np.array([weights.get(name, 0.0) for name in names], dtype=float)
    edges = np.cumsum(probabilities / probabilities.sum())
    uniforms = key_uniforms(keys[missing], ATTRIBUTES, counter)
    drawn = np.minimum(np.searchsorted(edges, uniforms, side="right"), len(names) - 1)
    filled = given.copy()
    filled[missing] = drawn
    return filled


def _deal_sizes(given: np.ndarray, keys: np.ndarray, channel: Channel) -> np.ndarray:
    """A positive deal value from the file is kept; missing (or zero) ones are drawn."""
    from scipy.special import ndtri

    missing = ~(given > 0)
    if not missing.any():
        return given
    normal = ndtri(key_uniforms(keys[missing], ATTRIBUTES, DEAL))
    filled = given.copy()
    filled[missing] = channel.deal_size.median * np.exp(channel.deal_size.sigma * normal)
    return filled


def _propensities(score: np.ndarray, keys: np.ndarray, channel: Channel, noise: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Propensity given the score where there is one; prior and scoring model where not."""
    from scipy.special import betaincinv, digamma, ndtri, polygamma

    alpha = channel.quality.mean * channel.quality.concentration
    beta = (1.0 - channel.quality.mean) * channel.quality.concentration
    scored = ~np.isnan(score)
    propensity = np.empty(len(score))
    uniforms = key_uniforms(keys, ATTRIBUTES, PROPENSITY)

    prior_mean = float(digamma(alpha) - digamma(beta))
    prior_var = float(polygamma(1, alpha) + polygamma(1, beta))
    observed = _logit(np.clip(score[scored], EDGE, 1.0 - EDGE))
    if noise > 0:
        precision = 1.0 / prior_var + 1.0 / noise**2
        mean = (prior_mean / prior_var + observed / noise**2) / precision
        logit = mean + ndtri(uniforms[scored]) / math.sqrt(precision)
    else:
        logit = observed
    propensity[scored] = _logistic(logit)

    propensity[~scored] = betaincinv(alpha, beta, uniforms[~scored])
    propensity = np.clip(propensity, EDGE, 1.0 - EDGE)
    filled = score.copy()
    blur = noise * ndtri(key_uniforms(keys[~scored], ATTRIBUTES, SCORE_NOISE))
    filled[~scored] = _logistic(_logit(propensity[~scored]) + blur)
    return propensity, filled


def _logit(p: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.log(p / (1.0 - p))
    return result


def _logistic(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result
