"""Hand values, limiting cases and invariants of the textbook queueing formulas."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.queueing import (
    ErlangA,
    erlang_a,
    erlang_b,
    erlang_c,
    mmc_mean_wait,
    mmc_prob_wait_exceeds,
)


def _poisson_pmf(mean: float, count: int) -> list[float]:
    return [math.exp(n * math.log(mean) - mean - math.lgamma(n + 1)) for n in range(count)]


def _served_outcome_by_first_step(
    position: int, service_capacity: float, abandon_rate: float
) -> tuple[float, float]:
    """P(served) and E[wait; served] of a queued lead, by first-step analysis."""
    prob_served, wait_if_served = 1.0, 0.0
    for j in range(1, position + 1):
        exit_rate = service_capacity + j * abandon_rate
        advance = (service_capacity + (j - 1) * abandon_rate) / exit_rate
        wait_if_served = advance * (prob_served / exit_rate + wait_if_served)
        prob_served = advance * prob_served
    return prob_served, wait_if_served


# Hand values ---------------------------------------------------------------------------


def test_erlang_b_hand_values() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(10, 8.0) == pytest.approx(0.12166, abs=1e-5)


@pytest.mark.parametrize("rho", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_erlang_c_single_server_equals_utilization(rho: float) -> None:
    assert erlang_c(1, rho) == pytest.approx(rho)


def test_erlang_c_textbook_values() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-4)


def test_erlang_c_is_stable_for_hundreds_of_servers() -> None:
    prob_wait = erlang_c(500, 490.0)
    assert 0.0 < prob_wait < 1.0
    assert math.isfinite(prob_wait)


def test_mm1_mean_wait_is_rho_over_mu_minus_lambda() -> None:
    arrival_rate, service_rate = 3.0, 4.0
    rho = arrival_rate / service_rate
    expected = rho / (service_rate - arrival_rate)
    assert mmc_mean_wait(arrival_rate, service_rate, 1) == pytest.approx(expected)


def test_mmc_prob_wait_exceeds_decays_from_erlang_c() -> None:
    arrival_rate, service_rate, servers = 8.0, 1.0, 10
    prob_wait = erlang_c(servers, 8.0)
    assert mmc_prob_wait_exceeds(arrival_rate, service_rate, servers, 0.0) == pytest.approx(
        prob_wait
    )
    assert mmc_prob_wait_exceeds(arrival_rate, service_rate, servers, 0.5) == pytest.approx(
        prob_wait * math.exp(-1.0)
    )


def test_mmc_tail_integrates_to_mean_wait() -> None:
    arrival_rate, service_rate, servers = 8.0, 1.0, 10
    decay = servers * service_rate - arrival_rate
    integral = mmc_prob_wait_exceeds(arrival_rate, service_rate, servers, 0.0) / decay
    assert integral == pytest.approx(mmc_mean_wait(arrival_rate, service_rate, servers))


def test_erlang_a_with_patience_rate_equal_to_service_rate_is_poisson() -> None:
    """With theta == mu every lead in the system leaves at rate mu: an M/M/inf count."""
    arrival_rate, servers = 12.0, 10
    pmf = _poisson_pmf(arrival_rate, 200)
    queue_length = sum(max(n - servers, 0) * p for n, p in enumerate(pmf))
    busy_reps = sum(min(n, servers) * p for n, p in enumerate(pmf))

    result = erlang_a(arrival_rate, 1.0, servers, 1.0)

    assert result.prob_wait == pytest.approx(sum(pmf[servers:]), rel=1e-12)
    assert result.mean_wait == pytest.approx(queue_length / arrival_rate, rel=1e-12)
    assert result.prob_abandon == pytest.approx(queue_length / arrival_rate, rel=1e-12)
    assert result.utilization == pytest.approx(busy_reps / servers, rel=1e-12)


def test_erlang_a_served_wait_matches_first_step_analysis() -> None:
    arrival_rate, servers = 12.0, 10
    pmf = _poisson_pmf(arrival_rate, 200)
    outcomes = [
        _served_outcome_by_first_step(n - servers + 1, float(servers), 1.0)
        for n in range(servers, len(pmf))
    ]
    served_mass = sum(pmf[:servers]) + sum(
        p * served for p, (served, _) in zip(pmf[servers:], outcomes, strict=True)
    )
    served_wait = sum(p * wait for p, (_, wait) in zip(pmf[servers:], outcomes, strict=True))

    result = erlang_a(arrival_rate, 1.0, servers, 1.0)

    assert 1.0 - served_mass == pytest.approx(result.prob_abandon, rel=1e-10)
    assert result.mean_wait_served == pytest.approx(served_wait / served_mass, rel=1e-10)


# Limiting cases ------------------------------------------------------------------------


@pytest.mark.parametrize(("servers", "arrival_rate"), [(1, 0.7), (10, 8.0), (50, 47.0)])
def test_erlang_a_converges_to_erlang_c_as_patience_grows(
    servers: int, arrival_rate: float
) -> None:
    result = erlang_a(arrival_rate, 1.0, servers, 1e-9)
    expected_wait = mmc_mean_wait(arrival_rate, 1.0, servers)

    assert result.prob_wait == pytest.approx(erlang_c(servers, arrival_rate), abs=1e-6)
    assert result.prob_abandon == pytest.approx(0.0, abs=1e-6)
    assert result.mean_wait == pytest.approx(expected_wait, rel=1e-6)
    assert result.mean_wait_served == pytest.approx(expected_wait, rel=1e-6)
    assert result.utilization == pytest.approx(arrival_rate / servers, rel=1e-6)


def test_erlang_a_without_abandonment_is_erlang_c() -> None:
    result = erlang_a(8.0, 1.0, 10, 0.0)
    wait = mmc_mean_wait(8.0, 1.0, 10)
    assert result == ErlangA(
        prob_wait=erlang_c(10, 8.0),
        prob_abandon=0.0,
        mean_wait=wait,
        mean_wait_served=wait,
        utilization=0.8,
    )


def test_erlang_a_with_impatient_leads_behaves_like_erlang_b() -> None:
    result = erlang_a(8.0, 1.0, 10, 1e9)
    blocking = erlang_b(10, 8.0)

    assert result.prob_abandon == pytest.approx(blocking, rel=1e-6)
    assert result.prob_wait == pytest.approx(blocking, rel=1e-6)
    assert result.mean_wait == pytest.approx(0.0, abs=1e-8)
    assert result.mean_wait_served == pytest.approx(0.0, abs=1e-8)
    assert result.utilization == pytest.approx(8.0 * (1 - blocking) / 10, rel=1e-6)


def test_overloaded_erlang_a_is_stable_and_abandons_the_excess() -> None:
    result = erlang_a(600.0, 1.0, 500, 0.01)
    assert result.prob_abandon == pytest.approx(1 / 6, rel=1e-6)
    assert result.utilization == pytest.approx(1.0, abs=1e-9)


def test_huge_team_has_no_wait() -> None:
    assert erlang_c(500, 10.0) < 1e-12
    assert mmc_mean_wait(10.0, 1.0, 500) < 1e-12
    result = erlang_a(10.0, 1.0, 500, 0.5)
    assert result.prob_wait < 1e-12
    assert result.mean_wait < 1e-12
    assert result.prob_abandon < 1e-12


# Argument errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(0, 1.0), r"servers .* got 0"),
        (lambda: erlang_b(2, -1.0), r"offered_load .* got -1\.0"),
        (lambda: erlang_c(True, 0.5), r"servers .* got True"),
        (lambda: erlang_c(2, 2.0), r"offered_load=2\.0 with servers=2"),
        (lambda: erlang_c(2, math.nan), r"offered_load .* got nan"),
        (lambda: mmc_mean_wait(0.0, 1.0, 1), r"arrival_rate .* got 0\.0"),
        (lambda: mmc_mean_wait(1.0, -2.0, 1), r"service_rate .* got -2\.0"),
        (lambda: mmc_mean_wait(5.0, 1.0, 4), r"offered_load=5\.0 with servers=4"),
        (lambda: mmc_prob_wait_exceeds(1.0, 2.0, 1, -1.0), r"t must .* got -1\.0"),
        (lambda: erlang_a(1.0, 1.0, 1, -0.1), r"abandon_rate .* got -0\.1"),
        (lambda: erlang_a(1.0, 1.0, 1, math.inf), r"abandon_rate .* got inf"),
        (lambda: erlang_a(2.0, 1.0, 1, 0.0), r"offered_load=2\.0 with servers=1"),
        (lambda: erlang_a(2.0, 1.0, 1, 1e-12), r"abandon_rate=1e-12 is too small"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# Properties ----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    servers=st.integers(min_value=1, max_value=60),
    service_rate=st.floats(min_value=0.1, max_value=10.0),
    load_per_rep=st.floats(min_value=0.01, max_value=3.0),
    abandon_rate=st.floats(min_value=0.01, max_value=100.0),
)
def test_erlang_a_outputs_are_valid(
    servers: int, service_rate: float, load_per_rep: float, abandon_rate: float
) -> None:
    arrival_rate = load_per_rep * servers * service_rate

    result = erlang_a(arrival_rate, service_rate, servers, abandon_rate)

    for prob in (result.prob_wait, result.prob_abandon, result.utilization):
        assert 0.0 <= prob <= 1.0
    assert result.prob_abandon <= result.prob_wait + 1e-12
    assert result.mean_wait >= 0.0
    assert result.mean_wait_served >= 0.0
    served_rate = arrival_rate * (1.0 - result.prob_abandon)
    assert served_rate == pytest.approx(result.utilization * servers * service_rate, rel=1e-9)


@settings(max_examples=150, deadline=None)
@given(
    servers=st.integers(min_value=1, max_value=500),
    load_per_rep=st.floats(min_value=0.0, max_value=0.999),
    t=st.floats(min_value=0.0, max_value=100.0),
)
def test_erlang_c_outputs_are_valid(servers: int, load_per_rep: float, t: float) -> None:
    offered_load = load_per_rep * servers

    prob_wait = erlang_c(servers, offered_load)

    assert 0.0 <= erlang_b(servers, offered_load) <= prob_wait <= 1.0
    if offered_load > 0.0:
        assert mmc_mean_wait(offered_load, 1.0, servers) >= 0.0
        assert 0.0 <= mmc_prob_wait_exceeds(offered_load, 1.0, servers, t) <= prob_wait
