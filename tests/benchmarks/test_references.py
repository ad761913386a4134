"""The reference M/M/c queues of the benchmark suite still run and still queue sensibly.

A short run (about 2,000 leads) only has to land near the Erlang-C mean wait of 0.554 hours;
the bounds are wide because one short run of a queue at 80% load varies a lot.
"""

import pytest

from benchmarks.references import ARRIVAL_RATE, SERVERS, SERVICE_RATE, ciw_mmc, simpy_mmc
from sim.queueing import mmc_mean_wait

HORIZON_HOURS = 500.0
THEORY_HOURS = mmc_mean_wait(ARRIVAL_RATE, SERVICE_RATE, SERVERS)


def test_simpy_reference_counts_arrivals_at_the_offered_rate() -> None:
    run = simpy_mmc(HORIZON_HOURS, seed=7)
    assert run.customers == pytest.approx(ARRIVAL_RATE * HORIZON_HOURS, rel=0.1)
    assert run.wall_seconds > 0
    assert run.customers_per_second > 0


@pytest.mark.parametrize("seed", [1, 2])
def test_simpy_reference_waits_near_erlang_c(seed: int) -> None:
    run = simpy_mmc(HORIZON_HOURS, seed=seed)
    assert 0.4 * THEORY_HOURS < run.mean_wait_hours < 2.0 * THEORY_HOURS


def test_simpy_reference_is_reproducible() -> None:
    assert simpy_mmc(100.0, seed=3).customers == simpy_mmc(100.0, seed=3).customers
    assert simpy_mmc(100.0, seed=3).mean_wait_hours == simpy_mmc(100.0, seed=3).mean_wait_hours


def test_simpy_reference_without_load_never_waits() -> None:
    run = simpy_mmc(200.0, seed=1, arrival_rate=0.5, service_rate=100.0, servers=50)
    assert run.mean_wait_hours == 0.0


@pytest.mark.parametrize("seed", [1, 2])
def test_ciw_reference_waits_near_erlang_c(seed: int) -> None:
    pytest.importorskip("ciw")
    run = ciw_mmc(HORIZON_HOURS, seed=seed)
    assert run.customers == pytest.approx(ARRIVAL_RATE * HORIZON_HOURS, rel=0.1)
    assert 0.4 * THEORY_HOURS < run.mean_wait_hours < 2.0 * THEORY_HOURS
