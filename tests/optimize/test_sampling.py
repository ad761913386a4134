"""Drawing values: parameters by path, budgets split uniformly over the simplex."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from optimize.sampling import split_budget, stick_breaking, suggest
from optimize.space import Budget, Space


def test_stick_breaking_gives_shares_that_sum_to_one() -> None:
    shares = stick_breaking([0.3, 0.9, 0.1])

    assert len(shares) == 4
    assert sum(shares) == pytest.approx(1.0)
    assert all(share >= 0 for share in shares)


def test_uniform_numbers_give_uniform_splits() -> None:
    """A flat Dirichlet on 3 parts: each share has mean 1/3 and variance 1/18."""
    rng = np.random.default_rng(4)
    shares = np.array([stick_breaking(list(rng.random(2))) for _ in range(20_000)])

    assert shares.mean(axis=0) == pytest.approx([1 / 3] * 3, abs=0.01)
    assert shares.var(axis=0) == pytest.approx([1 / 18] * 3, abs=0.004)


def test_a_budget_keeps_its_total_and_minimum_share() -> None:
    budget = Budget(paths=["channels.sem.monthly_spend", "channels.events.monthly_spend",
                           "channels.partner_referral.monthly_spend"], total=180_000.0,
                    min_share=0.1)

    for uniforms in ([0.0, 0.0], [1.0, 1.0], [0.5, 0.2]):
        amounts = split_budget(budget, uniforms)
        assert sum(amounts.values()) == pytest.approx(180_000.0)
        assert min(amounts.values()) >= 18_000.0 - 1e-6


def test_suggest_names_parameters_by_path_and_budgets_by_index() -> None:
    space = Space.model_validate({
        "name": "s", "objectives": [{"kpi": "roi", "direction": "maximize"}],
        "parameters": [
            {"path": "teams.sdr.headcount", "type": "int", "low": 2, "high": 8, "step": 2},
            {"path": "policy.circulation.sla_hours", "type": "float", "low": 1.0,
             "high": 48.0, "log": True},
            {"path": "policy.routing.rules.4.sdr", "type": "categorical",
             "choices": [True, False]},
        ],
        "budgets": [{"paths": ["channels.sem.monthly_spend", "channels.events.monthly_spend"],
                     "total": 100.0}],
    })
    trial = optuna.trial.FixedTrial({"teams.sdr.headcount": 6,
                                     "policy.circulation.sla_hours": 4.0,
                                     "policy.routing.rules.4.sdr": False,
                                     "budgets[0].u0": 0.25})

    values = suggest(trial, space)

    assert values == {"teams.sdr.headcount": 6, "policy.circulation.sla_hours": 4.0,
                      "policy.routing.rules.4.sdr": False,
                      "channels.sem.monthly_spend": pytest.approx(25.0),
                      "channels.events.monthly_spend": pytest.approx(75.0)}
