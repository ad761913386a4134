"""Drawing a trial's values from the space with Optuna's suggest API.

A parameter is named by its path in the study. A budget of k paths is drawn as k - 1
uniform numbers named ``budgets[i].u0 ..``, turned into shares by stick breaking with the
inverse Beta(1, k - 1 - j) law, which makes the shares uniform over every split of the total
(a flat Dirichlet) while each split has exactly one set of numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import optuna

from optimize.space import Budget, Parameter, Space


def suggest(trial: optuna.Trial, space: Space) -> dict[str, Any]:
    """The values of one trial, by path: parameters, then every budget's amounts."""
    values = {parameter.path: _suggest_parameter(trial, parameter)
              for parameter in space.parameters}
    for index, budget in enumerate(space.budgets):
        uniforms = [trial.suggest_float(f"budgets[{index}].u{j}", 0.0, 1.0)
                    for j in range(len(budget.paths) - 1)]
        values.update(split_budget(budget, uniforms))
    return values


def _suggest_parameter(trial: optuna.Trial, parameter: Parameter) -> Any:
    if parameter.type == "categorical":
        return trial.suggest_categorical(parameter.path, list(parameter.choices or []))
    assert parameter.low is not None and parameter.high is not None
    if parameter.type == "int":
        step = int(parameter.step or 1)
        return trial.suggest_int(parameter.path, int(parameter.low), int(parameter.high),
                                 step=step, log=parameter.log)
    return trial.suggest_float(parameter.path, parameter.low, parameter.high,
                               step=parameter.step, log=parameter.log)


def split_budget(budget: Budget, uniforms: Sequence[float]) -> dict[str, float]:
    """Amounts per path from k - 1 uniform numbers: uniform over splits, each path getting
    at least ``min_share`` of the total."""
    shares = stick_breaking(uniforms)
    free = 1.0 - budget.min_share * len(budget.paths)
    return {path: budget.total * (budget.min_share + free * share)
            for path, share in zip(budget.paths, shares, strict=True)}


def stick_breaking(uniforms: Sequence[float]) -> list[float]:
    """k shares summing to 1 from k - 1 numbers in [0, 1]; uniform in, uniform over the
    simplex out (break j takes a Beta(1, k - 1 - j) fraction of what is left)."""
    parts = len(uniforms) + 1
    left, shares = 1.0, []
    for j, uniform in enumerate(uniforms):
        fraction = 1.0 - (1.0 - uniform) ** (1.0 / (parts - 1 - j))
        shares.append(left * fraction)
        left -= shares[-1]
    return [*shares, max(left, 0.0)]
