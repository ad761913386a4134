"""Reference M/M/c queues the model is timed against: bare SimPy and Ciw.

Both play the queue of the bundled ``mmc`` scenario: Poisson arrivals of ``ARRIVAL_RATE``
leads per hour, exponential work of mean 1 / ``SERVICE_RATE`` hours, ``SERVERS`` reps and
first come, first served. Times are in hours.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

ARRIVAL_RATE = 4.0
"""Leads arriving per hour (96 a day, as in the ``mmc`` scenario)."""

SERVICE_RATE = 1.0
"""Leads one rep finishes per hour (attempts of 60 minutes)."""

SERVERS = 5
"""Reps working the queue."""


@dataclass(frozen=True)
class QueueRun:
    """One run of a reference queue: how many leads arrived, how long it took, mean wait."""

    customers: int
    wall_seconds: float
    mean_wait_hours: float

    @property
    def customers_per_second(self) -> float:
        return self.customers / self.wall_seconds


def simpy_mmc(horizon_hours: float, seed: int, *, arrival_rate: float = ARRIVAL_RATE,
              service_rate: float = SERVICE_RATE, servers: int = SERVERS) -> QueueRun:
    """The M/M/c queue written directly on SimPy with a ``simpy.Resource`` for the reps."""
    stream = random.Random(seed)
    env = simpy.Environment()
    reps = simpy.Resource(env, capacity=servers)
    waits: list[float] = []
    arrived = 0

    def lead() -> Generator[Any, Any, None]:
        arrived_at = env.now
        with reps.request() as claim:
            yield claim
            waits.append(env.now - arrived_at)
            yield env.timeout(stream.expovariate(service_rate))

    def source() -> Generator[Any, Any, None]:
        nonlocal arrived
        while True:
            yield env.timeout(stream.expovariate(arrival_rate))
            arrived += 1
            env.process(lead())

    started = time.perf_counter()
    env.process(source())
    env.run(until=horizon_hours)
    elapsed = time.perf_counter() - started
    return QueueRun(arrived, elapsed, _mean(waits))


def ciw_available() -> bool:
    try:
        import ciw  # noqa: F401
    except ImportError:
        return False
    return True


def ciw_mmc(horizon_hours: float, seed: int, *, arrival_rate: float = ARRIVAL_RATE,
            service_rate: float = SERVICE_RATE, servers: int = SERVERS) -> QueueRun:
    """The same queue in Ciw. Raises ImportError when Ciw is not installed."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(arrival_rate)],
        service_distributions=[ciw.dists.Exponential(service_rate)],
        number_of_servers=[servers],
    )
    # Ciw draws from the process-wide generators; this is its documented way to seed them.
    ciw.seed(seed)
    started = time.perf_counter()
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon_hours)
    elapsed = time.perf_counter() - started
    waits = [record.waiting_time for record in simulation.get_all_records()]
    return QueueRun(simulation.nodes[0].number_of_individuals, elapsed, _mean(waits))


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan
