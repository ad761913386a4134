"""Objectives, metrics and the safety margin of constraints."""

from __future__ import annotations

import math

import pytest

from optimize.goals import (
    UNDEFINED_VIOLATION,
    Estimate,
    estimate,
    feasible,
    gain,
    measure,
    metric_value,
    violation,
)
from optimize.space import Constraint, Metric, Objective, Space


def test_estimate_gives_mean_and_standard_error() -> None:
    found = estimate([1.0, 2.0, 3.0, None])

    assert found.mean == pytest.approx(2.0)
    assert found.se == pytest.approx(1.0 / math.sqrt(3.0))
    assert found.n == 3
    assert estimate([4.0]) == Estimate(4.0, None, 1)
    assert estimate([None]) == Estimate(None, None, 0)


def test_a_max_bound_counts_as_met_only_with_one_standard_error_to_spare() -> None:
    bound = Constraint(kpi="harassment_rate", max=0.02)

    assert violation(bound, Estimate(0.015, 0.004, 3)) == pytest.approx(-0.001)
    assert violation(bound, Estimate(0.018, 0.004, 3)) == pytest.approx(0.002)
    assert not feasible([bound], {"harassment_rate": Estimate(0.018, 0.004, 3)})
    assert feasible([bound], {"harassment_rate": Estimate(0.015, 0.004, 3)})


def test_a_min_bound_takes_the_margin_off_the_mean() -> None:
    bound = Constraint(kpi="sla_met_rate", min=0.8)

    assert violation(bound, Estimate(0.85, 0.03, 4)) == pytest.approx(-0.02)
    assert violation(bound, Estimate(0.82, 0.03, 4)) == pytest.approx(0.01)


def test_one_replication_has_no_margin_and_an_undefined_kpi_fails() -> None:
    bound = Constraint(kpi="days_to_win_p50", max=45.0)

    assert violation(bound, Estimate(44.0, None, 1)) == pytest.approx(-1.0)
    assert violation(bound, Estimate(None, None, 0)) == UNDEFINED_VIOLATION


def test_metrics_are_sums_of_products_and_undefined_when_a_kpi_is() -> None:
    profit = Metric.model_validate({"name": "profit", "terms": [
        {"coefficient": 100.0, "product": ["leads"]},
        {"coefficient": -100.0, "product": ["leads", "abandon_rate"]},
        {"coefficient": -1.0, "product": ["staff_cost"]}]})

    assert metric_value(profit, {"leads": 10.0, "abandon_rate": 0.1, "staff_cost": 50.0}) == (
        pytest.approx(850.0))
    assert metric_value(profit, {"leads": 10.0, "abandon_rate": None, "staff_cost": 5.0}) is None


def test_measure_reads_objectives_constraints_and_metrics() -> None:
    space = Space.model_validate({
        "name": "s", "objectives": [{"kpi": "gain", "direction": "maximize"}],
        "constraints": [{"kpi": "harassment_rate", "max": 0.1}],
        "parameters": [{"path": "days", "type": "int", "low": 1, "high": 2}],
        "metrics": [{"name": "gain", "terms": [{"coefficient": 2.0, "product": ["won"]}]}]})

    assert measure({"won": 3.0, "harassment_rate": 0.05, "roi": 1.0}, space) == {
        "gain": 6.0, "harassment_rate": 0.05}


def test_gain_turns_minimization_into_maximization() -> None:
    assert gain(Objective(kpi="cost", direction="minimize"), 5.0) == -5.0
    assert gain(Objective(kpi="roi", direction="maximize"), 5.0) == 5.0
