"""Textbook queueing formulas for sizing lead-handling teams.

Conventions: ``arrival_rate`` (lambda) is leads per unit time, ``service_rate`` (mu) is
leads one rep completes per unit time, ``abandon_rate`` (theta) is the rate at which a
waiting lead loses patience, and ``offered_load`` is lambda/mu in Erlangs. Every
returned time is in the time unit of the rates; probabilities are in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

TAIL_TOLERANCE = 1e-15
"""Probability mass the truncated Erlang-A chain may drop beyond its last state."""

MAX_CHAIN_STATES = 10_000_000
"""Largest Erlang-A chain built before giving up (very small patience with overload)."""


@dataclass(frozen=True)
class ErlangA:
    """Steady-state performance of an M/M/c+M queue (Erlang-A).

    Attributes:
        prob_wait: probability an arriving lead finds every rep busy, P(W > 0).
        prob_abandon: fraction of all arriving leads that abandon before service.
        mean_wait: mean time in queue over all arrivals; abandoning leads count the
            time until they abandon. Same time unit as the rates.
        mean_wait_served: mean time in queue of the leads that reach a rep.
        utilization: mean fraction of reps busy, in [0, 1].
    """

    prob_wait: float
    prob_abandon: float
    mean_wait: float
    mean_wait_served: float
    utilization: float


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of an M/M/c/c loss system (Erlang-B).

    Args:
        servers: number of reps c, a positive integer.
        offered_load: lambda/mu in Erlangs, non-negative.

    Returns:
        Probability that an arriving lead finds all ``servers`` busy. Computed with the
        recursion B(k) = a B(k-1) / (k + a B(k-1)), which stays stable for large c.
    """
    _require_servers(servers)
    _require_non_negative("offered_load", offered_load)
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arriving lead waits in an M/M/c queue (Erlang-C).

    Args:
        servers: number of reps c, a positive integer.
        offered_load: lambda/mu in Erlangs; must be below ``servers``.

    Returns:
        P(W > 0), derived from Erlang-B as c B / (c - a (1 - B)).

    Raises:
        ValueError: if the arguments are invalid or the queue is unstable.
    """
    _require_servers(servers)
    _require_non_negative("offered_load", offered_load)
    _require_stable(servers, offered_load)
    blocking = erlang_b(servers, offered_load)
    return servers * blocking / (servers - offered_load * (1.0 - blocking))


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue Wq of an M/M/c queue.

    Args:
        arrival_rate: leads arriving per unit time (lambda).
        service_rate: leads one rep completes per unit time (mu).
        servers: number of reps c.

    Returns:
        Wq = C(c, a) / (c mu - lambda), in the time unit of the rates.
    """
    _require_positive("arrival_rate", arrival_rate)
    _require_positive("service_rate", service_rate)
    prob_wait = erlang_c(servers, arrival_rate / service_rate)
    return prob_wait / (servers * service_rate - arrival_rate)


def mmc_prob_wait_exceeds(
    arrival_rate: float, service_rate: float, servers: int, t: float
) -> float:
    """Probability that a lead waits in queue longer than ``t`` in an M/M/c queue.

    Args:
        arrival_rate: leads arriving per unit time (lambda).
        service_rate: leads one rep completes per unit time (mu).
        servers: number of reps c.
        t: waiting-time threshold, non-negative, in the time unit of the rates.

    Returns:
        P(Wq > t) = C(c, a) exp(-(c mu - lambda) t).
    """
    _require_positive("arrival_rate", arrival_rate)
    _require_positive("service_rate", service_rate)
    _require_non_negative("t", t)
    prob_wait = erlang_c(servers, arrival_rate / service_rate)
    return prob_wait * math.exp(-(servers * service_rate - arrival_rate) * t)


def erlang_a(
    arrival_rate: float, service_rate: float, servers: int, abandon_rate: float
) -> ErlangA:
    """Steady state of the M/M/c+M queue: exponential patience while waiting in queue.

    Method: the number of leads in the system is a birth-death chain on n = 0..N with
    birth rate lambda and death rate min(n, c) mu + max(n - c, 0) theta. Its stationary
    law is built from log products, and N grows until the dropped tail is below 1e-15.
    Then, with PASTA and Little's law:

    - prob_wait = P(n >= c); prob_abandon = theta E[Q] / lambda; mean_wait = E[Q] / lambda.
    - A lead arriving in state n >= c holds queue position k = n - c + 1. At position j it
      leaves by advancing (rate c mu + (j - 1) theta) or by abandoning (rate theta), so it
      is served with probability c mu / (c mu + k theta), and given service its wait is a
      sum of exponentials with mean sum_{j=1..k} 1 / (c mu + j theta).
      mean_wait_served averages that conditional wait over states, weighted by P(served).

    With ``abandon_rate == 0`` this is Erlang-C (offered load must be below ``servers``).

    Args:
        arrival_rate: leads arriving per unit time (lambda), positive.
        service_rate: leads one rep completes per unit time (mu), positive.
        servers: number of reps c, a positive integer.
        abandon_rate: patience rate theta of a waiting lead, non-negative.

    Returns:
        ErlangA with times in the time unit of the rates.
    """
    _require_positive("arrival_rate", arrival_rate)
    _require_positive("service_rate", service_rate)
    _require_servers(servers)
    _require_non_negative("abandon_rate", abandon_rate)
    if abandon_rate == 0.0:
        return _erlang_a_without_abandonment(arrival_rate, service_rate, servers)
    probs = _stationary_distribution(arrival_rate, service_rate, servers, abandon_rate)
    return _erlang_a_metrics(probs, arrival_rate, service_rate, servers, abandon_rate)


def _erlang_a_without_abandonment(
    arrival_rate: float, service_rate: float, servers: int
) -> ErlangA:
    mean_wait = mmc_mean_wait(arrival_rate, service_rate, servers)
    return ErlangA(
        prob_wait=erlang_c(servers, arrival_rate / service_rate),
        prob_abandon=0.0,
        mean_wait=mean_wait,
        mean_wait_served=mean_wait,
        utilization=arrival_rate / (servers * service_rate),
    )


def _erlang_a_metrics(
    probs: FloatArray,
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandon_rate: float,
) -> ErlangA:
    in_system = np.arange(probs.size)
    queue_length = float(probs @ np.maximum(in_system - servers, 0))
    busy_reps = float(probs @ np.minimum(in_system, servers))
    return ErlangA(
        prob_wait=_clip_probability(float(probs[servers:].sum())),
        prob_abandon=_clip_probability(abandon_rate * queue_length / arrival_rate),
        mean_wait=queue_length / arrival_rate,
        mean_wait_served=_mean_wait_served(probs, service_rate, servers, abandon_rate),
        utilization=_clip_probability(busy_reps / servers),
    )


def _mean_wait_served(
    probs: FloatArray, service_rate: float, servers: int, abandon_rate: float
) -> float:
    """Mean queue wait of served leads, from the outcome of each arrival state.

    An arrival in state n >= c takes queue position k = n - c + 1. Every position j <= k
    is left at rate c mu + j theta, so P(served | k) = c mu / (c mu + k theta) and the
    mean wait given service is sum_{j=1..k} 1 / (c mu + j theta).
    """
    service_capacity = servers * service_rate
    positions = np.arange(1, probs.size - servers + 1)
    exit_rates = service_capacity + abandon_rate * positions
    prob_served = service_capacity / exit_rates
    served_wait = np.cumsum(1.0 / exit_rates)
    queued = probs[servers:]
    served_mass = float(probs[:servers].sum()) + float(queued @ prob_served)
    return float(queued @ (prob_served * served_wait)) / served_mass


def _stationary_distribution(
    arrival_rate: float, service_rate: float, servers: int, abandon_rate: float
) -> FloatArray:
    """Stationary law of the Erlang-A birth-death chain, truncated below TAIL_TOLERANCE."""
    overload_states = (arrival_rate - servers * service_rate) / abandon_rate
    size = servers + 64
    while True:
        if size > MAX_CHAIN_STATES or overload_states > MAX_CHAIN_STATES:
            raise ValueError(
                f"abandon_rate={abandon_rate!r} is too small for this overload: the chain "
                f"needs more than {MAX_CHAIN_STATES} states"
            )
        log_weights = _log_weights(arrival_rate, service_rate, servers, abandon_rate, size)
        next_death = servers * service_rate + (size + 1 - servers) * abandon_rate
        if _tail_is_negligible(log_weights, arrival_rate / next_death):
            break
        size *= 2
    weights = np.exp(log_weights - log_weights.max())
    return weights / weights.sum()


def _log_weights(
    arrival_rate: float, service_rate: float, servers: int, abandon_rate: float, size: int
) -> FloatArray:
    """Unnormalised log stationary weights of states 0..size."""
    state = np.arange(1, size + 1)
    death = np.minimum(state, servers) * service_rate
    death = death + np.maximum(state - servers, 0) * abandon_rate
    return np.concatenate(([0.0], np.cumsum(np.log(arrival_rate / death))))


def _tail_is_negligible(log_weights: FloatArray, next_ratio: float) -> bool:
    """Whether the mass beyond the last state is below TAIL_TOLERANCE.

    Past the last state the weight ratios are at most ``next_ratio`` and decreasing, so
    the dropped mass is bounded by a geometric series.
    """
    if next_ratio >= 1.0:
        return False
    peak = float(log_weights.max())
    log_total = peak + math.log(float(np.exp(log_weights - peak).sum()))
    log_bound = float(log_weights[-1]) - log_total - math.log1p(-next_ratio)
    return log_bound < math.log(TAIL_TOLERANCE)


def _clip_probability(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _require_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")


def _require_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _require_non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")


def _require_stable(servers: int, offered_load: float) -> None:
    if offered_load >= servers:
        raise ValueError(
            f"offered_load must be below servers for a stable queue, "
            f"got offered_load={offered_load!r} with servers={servers!r}"
        )
