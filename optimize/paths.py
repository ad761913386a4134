"""Setting search values on a scenario and a policy, through the ``--set`` path machinery.

The base scenario and policy are kept as validated plain data, so a trial never reads files:
a trial's values become overrides, are applied to the data and validated again, exactly like
``leadops run --set``. A path that starts with ``policy.`` edits the policy.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadops.errors import InputError
from optimize.space import POLICY_PREFIX, Parameter, Space
from policies import Policy, check_fits
from scenarios import Override, Scenario
from scenarios.files import validate_model
from scenarios.overrides import apply_overrides

Assignments = Mapping[str, Any]


@dataclass(frozen=True)
class Base:
    """The scenario and policy a search starts from, as validated plain data."""

    scenario: dict[str, Any]
    policy: dict[str, Any]
    scenario_file: str
    policy_file: str

    @classmethod
    def of(cls, scenario: Scenario, policy: Policy, policy_file: str) -> Base:
        return cls(scenario.model_dump(mode="python"), policy.model_dump(mode="python"),
                   f"scenario '{scenario.name}'", policy_file)


def apply(base: Base, assignments: Assignments) -> tuple[Scenario, Policy]:
    """The scenario and policy with the values set; :class:`InputError` if they are invalid."""
    on_policy = [Override(path.removeprefix(POLICY_PREFIX), value)
                 for path, value in assignments.items() if path.startswith(POLICY_PREFIX)]
    on_scenario = [Override(path, value) for path, value in assignments.items()
                   if not path.startswith(POLICY_PREFIX)]
    scenario = validate_model(Scenario, apply_overrides(base.scenario, on_scenario),
                              file=base.scenario_file)
    policy = validate_model(Policy, apply_overrides(base.policy, on_policy),
                            file=base.policy_file)
    check_fits(policy, scenario)
    return scenario, policy


def check_paths(space: Space, base: Base, file: str) -> None:
    """Every path must name an existing value of the right kind, and every end of every
    range must be accepted; errors name the space file and the parameter."""
    for index, parameter in enumerate(space.parameters):
        where = f"parameters[{index}].path"
        current = _current(base, parameter.path, file, where)
        _check_kind(parameter, current, file, where)
        for value in _extremes(parameter):
            _check_value(base, parameter.path, value, file, where)
    for index, budget in enumerate(space.budgets):
        for place, path in enumerate(budget.paths):
            where = f"budgets[{index}].paths[{place}]"
            current = _current(base, path, file, where)
            if isinstance(current, bool) or not isinstance(current, int | float):
                raise InputError(f"{path} holds {current!r}, not an amount", file=file,
                                 path=where)
            for value in (budget.total * budget.min_share, budget.total):
                _check_value(base, path, value, file, where)


def _extremes(parameter: Parameter) -> list[Any]:
    if parameter.type == "categorical":
        return list(parameter.choices or [])
    assert parameter.low is not None and parameter.high is not None
    if parameter.type == "int":
        return [int(parameter.low), int(parameter.high)]
    return [parameter.low, parameter.high]


def _current(base: Base, path: str, file: str, where: str) -> Any:
    """The value a path points at in the base data; an error if there is none."""
    on_policy = path.startswith(POLICY_PREFIX)
    node: Any = base.policy if on_policy else base.scenario
    keys = path.removeprefix(POLICY_PREFIX).split(".") if on_policy else path.split(".")
    walked: list[str] = []
    for key in keys:
        node = _step(node, key, ".".join(walked), path, file, where)
        walked.append(key)
    if isinstance(node, dict | list):
        raise InputError(f"{path} is a table or a list, not a single value", file=file,
                         path=where)
    return node


def _step(node: Any, key: str, walked: str, path: str, file: str, where: str) -> Any:
    if isinstance(node, list):
        if key.isdigit() and int(key) < len(node):
            return node[int(key)]
        raise InputError(f"{path}: list index must be 0..{len(node) - 1}, got {key!r}",
                         file=file, path=where)
    if isinstance(node, dict) and key in node:
        return node[key]
    known = sorted(str(name) for name in node) if isinstance(node, dict) else []
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (there: {', '.join(known)})"
    inside = f" in '{walked}'" if walked else ""
    raise InputError(f"{path}: no field '{key}'{inside}{hint if known else ''}", file=file,
                     path=where)


def _check_kind(parameter: Parameter, current: Any, file: str, where: str) -> None:
    if parameter.type == "categorical" or current is None:
        return
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise InputError(f"{parameter.path} holds {current!r}; use type = \"categorical\"",
                         file=file, path=where)
    if isinstance(current, int) and parameter.type == "float":
        raise InputError(f"{parameter.path} is a whole number; use type = \"int\"", file=file,
                         path=where)


def _check_value(base: Base, path: str, value: Any, file: str, where: str) -> None:
    try:
        apply(base, {path: value})
    except InputError as exc:
        raise InputError(f"{path} = {value!r} is rejected ({exc})", file=file,
                         path=where) from None
