"""Search-space files: what the search may change, what it seeks and what it must respect.

A space is a TOML file (``leadops schema space`` prints its JSON Schema). Each parameter is a
dotted path into the policy (``policy.circulation.sla_hours``) or the scenario
(``teams.sdr.headcount``), the same paths ``leadops run --set`` takes, with a range or a list
of choices. A budget shares a fixed total between several paths. Objectives and constraints
name KPIs, or metrics the file defines as sums of products of KPIs.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadops.errors import InputError
from scenarios.files import find_file, read_toml, validate_model

BUNDLED_DIR = Path(__file__).parent / "bundled"
POLICY_PREFIX = "policy."

Choice = str | int | float | bool
Direction = Literal["maximize", "minimize"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(Strict):
    """One value the search may set: a whole number, a number, or one of a few choices."""

    path: str = Field(min_length=1, description="Dotted path; policy.* edits the policy, any "
                      "other path the scenario, e.g. teams.sdr.headcount.")
    type: Literal["int", "float", "categorical"] = Field(description="Kind of value.")
    low: float | None = Field(None, description="int/float: lowest value.")
    high: float | None = Field(None, description="int/float: highest value.")
    step: Annotated[float, Field(gt=0)] | None = Field(
        None, description="int/float: grid step (int default 1; float default continuous).")
    log: bool = Field(False, description="int/float: sample on a log scale (low > 0).")
    choices: list[Choice] | None = Field(None, description="categorical: the values to try.")

    @model_validator(mode="after")
    def _fits_its_type(self) -> Parameter:
        if self.type == "categorical":
            _categorical_rules(self)
        else:
            _numeric_rules(self)
        return self


def _categorical_rules(parameter: Parameter) -> None:
    if not parameter.choices or len(parameter.choices) < 2:
        raise ValueError("a categorical parameter needs at least two choices")
    if any(value is not None for value in (parameter.low, parameter.high, parameter.step)):
        raise ValueError("a categorical parameter takes choices, not low/high/step")
    if len({repr(choice) for choice in parameter.choices}) < len(parameter.choices):
        raise ValueError("choices must differ from each other")


def _numeric_rules(parameter: Parameter) -> None:
    low, high = parameter.low, parameter.high
    if low is None or high is None:
        raise ValueError(f"a {parameter.type} parameter needs low and high")
    if parameter.choices is not None:
        raise ValueError(f"a {parameter.type} parameter takes low/high, not choices")
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ValueError(f"low must be below high, got low={low}, high={high}")
    if parameter.log and low <= 0:
        raise ValueError(f"a log-scale parameter needs low > 0, got {low}")
    if parameter.log and parameter.step is not None and parameter.type == "float":
        raise ValueError("a float parameter takes either log or step, not both")
    if parameter.type == "int":
        for name, value in (("low", low), ("high", high), ("step", parameter.step)):
            if value is not None and not float(value).is_integer():
                raise ValueError(f"an int parameter needs a whole {name}, got {value}")


class Budget(Strict):
    """A fixed total shared between several paths, e.g. channel spends.

    The search draws the shares uniformly over all splits (a flat Dirichlet, drawn by stick
    breaking from len(paths) - 1 uniform numbers); each path gets at least ``min_share``.
    """

    paths: list[str] = Field(min_length=2, description="Paths that share the total.")
    total: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        description="What the paths add up to, e.g. a monthly spend.")
    min_share: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0, description="Smallest share any path gets.")

    @model_validator(mode="after")
    def _room_left(self) -> Budget:
        if self.min_share * len(self.paths) >= 1:
            raise ValueError(f"min_share times the number of paths must be below 1, got "
                             f"{self.min_share} x {len(self.paths)}")
        if len(set(self.paths)) < len(self.paths):
            raise ValueError("paths must differ from each other")
        return self


class Objective(Strict):
    """A KPI or metric to maximize or minimize."""

    kpi: str = Field(min_length=1, description="KPI or metric name, e.g. roi.")
    direction: Direction = Field(description="maximize or minimize.")


class Constraint(Strict):
    """A bound on a KPI or metric. It counts as met only with a safety margin: the mean plus
    one standard error stays under ``max`` (minus one, over ``min``)."""

    kpi: str = Field(min_length=1, description="KPI or metric name.")
    max: float | None = Field(None, description="Upper bound.")
    min: float | None = Field(None, description="Lower bound.")

    @model_validator(mode="after")
    def _one_bound(self) -> Constraint:
        if (self.max is None) == (self.min is None):
            raise ValueError("give exactly one of max and min")
        return self

    @property
    def bound(self) -> float:
        return self.max if self.max is not None else self.min  # type: ignore[return-value]

    def __str__(self) -> str:
        sign = "<=" if self.max is not None else ">="
        return f"{self.kpi} {sign} {self.bound:g}"


class Term(Strict):
    """coefficient x the product of the KPIs named."""

    coefficient: float = Field(description="Multiplier.")
    product: list[str] = Field(min_length=1, description="KPI names multiplied together.")


class Metric(Strict):
    """A derived figure: a sum of terms, e.g. profit = revenue - cost."""

    name: str = Field(min_length=1, description="Name used by objectives and constraints.")
    description: str = Field("", description="What the metric means.")
    terms: list[Term] = Field(min_length=1, description="Terms added together.")


class Space(Strict):
    """A search space: parameters, budgets, objectives, constraints and derived metrics."""

    name: str = Field(min_length=1, description="Short name shown in outputs.")
    description: str = Field("", description="What the space explores.")
    objectives: list[Objective] = Field(
        min_length=1, description="One objective: constrained search; two or more: a front.")
    constraints: list[Constraint] = Field(default=[], description="Bounds to respect.")
    parameters: list[Parameter] = Field(default=[], description="Values the search sets.")
    budgets: list[Budget] = Field(default=[], description="Totals shared between paths.")
    metrics: list[Metric] = Field(default=[], description="Derived figures.")

    @model_validator(mode="after")
    def _consistent(self) -> Space:
        if not self.parameters and not self.budgets:
            raise ValueError("a space needs at least one parameter or budget")
        paths = [p.path for p in self.parameters] + [p for b in self.budgets for p in b.paths]
        repeated = sorted({path for path in paths if paths.count(path) > 1})
        if repeated:
            raise ValueError(f"a path may appear once, but {', '.join(repeated)} repeats")
        return self

    def paths(self) -> list[str]:
        """Every path the search sets, parameters first."""
        return [p.path for p in self.parameters] + [p for b in self.budgets for p in b.paths]

    def measured(self) -> list[str]:
        """The KPI or metric names the objectives and constraints read, without repeats."""
        names = [o.kpi for o in self.objectives] + [c.kpi for c in self.constraints]
        return list(dict.fromkeys(names))


def bundled_spaces() -> dict[str, str]:
    """Bundled space names with their one-line descriptions."""
    return {path.stem: str(read_toml(path).get("description", "")).split("\n")[0]
            for path in sorted(BUNDLED_DIR.glob("*.toml"))}


def load_space(name_or_path: str) -> tuple[Space, str]:
    """Load and validate a space by path or bundled name; the space and its file name."""
    path = find_file(name_or_path, BUNDLED_DIR, "space")
    space = validate_model(Space, read_toml(path), file=path.name)
    check_names(space, path.name)
    return space, path.name


def check_names(space: Space, file: str) -> None:
    """Objectives, constraints and metric terms must name KPIs or metrics."""
    from sim.metrics import kpi_names

    kpis = kpi_names()
    metrics = [metric.name for metric in space.metrics]
    for index, metric in enumerate(space.metrics):
        if metric.name in kpis or metrics.count(metric.name) > 1:
            raise InputError(f"must differ from KPI names and other metrics, got "
                             f"{metric.name!r}", file=file, path=f"metrics[{index}].name")
        for number, term in enumerate(metric.terms):
            for place, name in enumerate(term.product):
                _known(name, kpis, file, f"metrics[{index}].terms[{number}].product[{place}]")
    for index, objective in enumerate(space.objectives):
        _known(objective.kpi, [*kpis, *metrics], file, f"objectives[{index}].kpi")
    for index, constraint in enumerate(space.constraints):
        _known(constraint.kpi, [*kpis, *metrics], file, f"constraints[{index}].kpi")


def _known(name: str, known: list[str], file: str, path: str) -> None:
    from sim.metrics import is_kpi_name

    if name in known or is_kpi_name(name):
        return
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise InputError(f"must be a KPI or a metric of this file, got {name!r}{hint}", file=file,
                     path=path)
