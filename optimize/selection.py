"""Choosing among the best candidates of a search with a ranking-and-selection procedure.

The search's own numbers are optimistic: the best-looking trial is partly the luckiest one.
So the top candidates are evaluated again on fresh replications and compared with the
fully sequential procedure of Kim & Nelson (2001, "A fully sequential procedure for
indifference-zone selection in simulation", ACM TOMACS 11(3)), which works on paired
differences and so profits from common random numbers:

1. every candidate runs ``first_stage`` replications (n0, at least 2);
2. h^2 = (n0 - 1) * ((2 alpha / (k - 1)) ^ (-2 / (n0 - 1)) - 1), and S^2_il is the sample
   variance of the differences between candidates i and l over the first stage;
3. after r replications, candidate i is eliminated when some survivor l has
   mean_i < mean_l - W_il(r), W_il(r) = max(0, delta / (2 r) * (h^2 S^2_il / delta^2 - r));
4. survivors get one more replication each, until one is left or the replication cap is hit,
   when the survivor with the best mean is chosen.

With probability at least 1 - alpha the chosen candidate is the best, or within the
indifference zone ``delta`` of it, when the assumptions hold (normal outputs). Values are
turned so that higher is better before they get here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Values = Callable[[Sequence[tuple[int, int]]], Sequence[float]]
"""Evaluates (candidate, replication) pairs; returns one higher-is-better value each."""


@dataclass
class Outcome:
    """What the procedure did: the choice, every value seen, and when each one left."""

    chosen: int
    samples: dict[int, list[float]]
    eliminated_after: dict[int, int] = field(default_factory=dict)
    stopped_because: str = ""
    h2: float | None = None


def kn_constant(candidates: int, first_stage: int, alpha: float) -> float:
    """h^2 of the procedure for k candidates, n0 first-stage replications and level alpha."""
    eta = 0.5 * ((2.0 * alpha / (candidates - 1)) ** (-2.0 / (first_stage - 1)) - 1.0)
    return 2.0 * eta * (first_stage - 1)


def kn_select(values: Values, candidates: int, *, first_stage: int, delta: float,
              alpha: float = 0.05, max_replications: int = 50) -> Outcome:
    """Run the procedure; ``values`` is called once per stage with the pairs to evaluate."""
    if candidates < 1 or first_stage < 2 or delta <= 0 or max_replications < first_stage:
        raise ValueError("kn_select needs candidates >= 1, first_stage >= 2, delta > 0 and "
                         "max_replications >= first_stage")
    samples: dict[int, list[float]] = {i: [] for i in range(candidates)}
    _extend(values, samples, list(range(candidates)), range(first_stage))
    if candidates == 1:
        return Outcome(0, samples, stopped_because="a single candidate")
    h2 = kn_constant(candidates, first_stage, alpha)
    variances = _difference_variances(samples, first_stage)
    outcome = Outcome(-1, samples, h2=h2)
    survivors = list(range(candidates))
    r = first_stage
    while True:
        survivors = _screen(samples, survivors, variances, h2, delta, r, outcome)
        if len(survivors) == 1 or r >= max_replications:
            break
        _extend(values, samples, survivors, [r])
        r += 1
    outcome.chosen = max(survivors, key=lambda i: _mean(samples[i]))
    outcome.stopped_because = ("one candidate survived" if len(survivors) == 1 else
                               f"the cap of {max_replications} replications was reached; "
                               f"the best mean of {len(survivors)} survivors was chosen")
    return outcome


def _extend(values: Values, samples: dict[int, list[float]], who: Sequence[int],
            replications: Sequence[int]) -> None:
    pairs = [(i, r) for r in replications for i in who]
    for (i, _), value in zip(pairs, values(pairs), strict=True):
        samples[i].append(value if math.isfinite(value) else -math.inf)


def _difference_variances(samples: dict[int, list[float]], first_stage: int
                          ) -> dict[tuple[int, int], float]:
    variances = {}
    for i in samples:
        for l in samples:  # noqa: E741 - the procedure's own letter
            if i < l:
                diffs = [a - b for a, b in zip(samples[i][:first_stage],
                                               samples[l][:first_stage], strict=True)]
                variances[(i, l)] = variances[(l, i)] = _variance(diffs)
    return variances


def _screen(samples: dict[int, list[float]], survivors: list[int],
            variances: dict[tuple[int, int], float], h2: float, delta: float, r: int,
            outcome: Outcome) -> list[int]:
    means = {i: _mean(samples[i]) for i in survivors}
    kept = []
    for i in survivors:
        beaten = any(means[i] < means[l] - _half_width(variances[(i, l)], h2, delta, r)
                     for l in survivors if l != i)  # noqa: E741
        if beaten:
            outcome.eliminated_after[i] = r
        else:
            kept.append(i)
    return kept or survivors


def _half_width(variance: float, h2: float, delta: float, r: int) -> float:
    if not math.isfinite(variance):
        return 0.0
    return max(0.0, delta / (2.0 * r) * (h2 * variance / delta**2 - r))


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else -math.inf


def _variance(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < len(values):
        return math.inf
    mean = math.fsum(values) / len(values)
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
