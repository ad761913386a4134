"""What an optimization is asked to do, checked and turned into a problem and a search."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from leadops.errors import InputError
from optimize.evaluate import Problem, report_seed
from optimize.objective import Search
from optimize.paths import Base, check_paths
from optimize.space import Constraint, Objective, Space, check_names, load_space


@dataclass
class Plan:
    """The options of ``leadops optimize``."""

    scenario: str
    policy: str | None = None
    space: str = "default"
    overrides: list[str] = field(default_factory=list)
    trials: int = 20
    replications: int = 2
    days: int | None = None
    workers: int = 1
    storage: str | None = None
    study: str | None = None
    out: Path | None = None
    objectives: list[str] | None = None
    sweep: str | None = None
    seed: int = 1
    select_k: int = 5
    indifference: float | None = None
    selection_replications: int = 3
    final_replications: int = 10
    search_only: bool = False

    @property
    def selection_cap(self) -> int:
        """Most replications the selection procedure gives one candidate."""
        return 3 * self.selection_replications

    @property
    def stage_processes(self) -> int:
        """Processes of the selection and report stages: their replications are independent
        and seeded in advance, so they run on every available core (at most 8) whatever the
        number of search workers; results do not depend on it."""
        import os

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        return max(self.workers, min(cores, 8))


@dataclass(frozen=True)
class Prepared:
    """A plan made concrete: the problem every evaluation shares and the search's goals."""

    problem: Problem
    search: Search
    space_file: str
    scenario_name: str
    policy_name: str
    policy_source: str
    study_name: str


def check_plan(plan: Plan) -> None:
    """Range checks of the options, reported like file errors."""
    _check("--trials", plan.trials, 1, 100_000)
    _check("--replications", plan.replications, 1, 3)
    _check("--workers", plan.workers, 1, 256)
    _check("--seed", plan.seed, 0, 2**32 - 1)
    _check("--select-k", plan.select_k, 1, 50)
    _check("--selection-replications", plan.selection_replications, 2, 1000)
    _check("--final-replications", plan.final_replications, 2, 10_000)
    if plan.days is not None:
        _check("--days", plan.days, 1, 3660)
    if plan.indifference is not None and not plan.indifference > 0:
        raise InputError(f"must be > 0, got {plan.indifference}", path="--indifference")
    if plan.sweep is not None and plan.objectives and len(plan.objectives) > 1:
        raise InputError("a sweep traces one objective; leave out --objectives or give one",
                         path="--sweep")


def _check(option: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InputError(f"must be between {low} and {high}, got {value}", path=option)


def prepare_plan(plan: Plan, extra: Constraint | None = None, suffix: str = "") -> Prepared:
    """Load the scenario, policy and space; check every path; build problem and search."""
    from leadops import api

    setup = api.prepare(plan.scenario, plan.policy, plan.overrides)
    space, file = load_space(plan.space)
    space = effective_space(space, plan.objectives, extra)
    check_names(space, file)
    base = Base.of(setup.scenario, setup.policy, f"policy '{setup.policy.name}'")
    check_paths(space, base, file)
    search = Search(plan.trials, plan.replications, tuple(space.objectives),
                    tuple(space.constraints))
    name = plan.study or f"{space.name}-{setup.scenario.name}"
    return Prepared(Problem(base, space, plan.seed, plan.days), search, file,
                    setup.scenario.name, setup.policy.name, setup.policy_source, name + suffix)


def effective_space(space: Space, objectives: list[str] | None, extra: Constraint | None
                    ) -> Space:
    """The space with the command line's objectives and a sweep's constraint applied."""
    update: dict[str, Any] = {}
    if objectives:
        update["objectives"] = [parse_objective(text) for text in objectives]
    if extra is not None:
        kept = [c for c in space.constraints if c.kpi != extra.kpi]
        update["constraints"] = [*kept, extra]
    return space.model_copy(update=update) if update else space


def parse_objective(text: str) -> Objective:
    """``roi`` (direction from the KPI), ``roi:max`` or ``days_to_win_p50:min``."""
    from sim.compare import DIRECTIONS, HIGHER, LOWER

    name, _, way = text.strip().partition(":")
    ways = {"max": "maximize", "min": "minimize", "maximize": "maximize",
            "minimize": "minimize"}
    if way:
        if way not in ways:
            raise InputError(f"direction must be max or min, got {way!r}", path="--objectives")
        return Objective.model_validate({"kpi": name, "direction": ways[way]})
    known = DIRECTIONS.get(name)
    if known not in (HIGHER, LOWER):
        raise InputError(f"{name!r} has no natural direction; write {name}:max or {name}:min",
                         path="--objectives")
    return Objective(kpi=name, direction="maximize" if known == HIGHER else "minimize")


def parse_sweep(text: str) -> list[Constraint]:
    """``days_to_win_p50=30,45,60`` -> one bound per value; the KPI's better side decides
    whether the values are maxima or minima."""
    from sim.compare import DIRECTIONS, HIGHER, LOWER

    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name or not raw.strip():
        raise InputError(f"expected KPI=V1,V2,..., got {text!r}", path="--sweep")
    try:
        values = [float(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"values must be numbers, got {raw!r}", path="--sweep") from None
    direction = DIRECTIONS.get(name)
    if direction == LOWER:
        return [Constraint(kpi=name, max=value) for value in values]
    if direction == HIGHER:
        return [Constraint(kpi=name, min=value) for value in values]
    raise InputError(f"must be a KPI with a better side, such as days_to_win_p50, got "
                     f"{name!r}", path="--sweep")


def attributes(prepared: Prepared, plan: Plan) -> dict[str, Any]:
    """What the study records about itself: seeds, versions, scenario hash and space."""
    from scenarios import fingerprint

    problem = prepared.problem
    scenario, policy = _models(problem.base)
    return {
        "seed": plan.seed,
        "report_seed": report_seed(plan.seed),
        "worker_sampler_seeds": "seed + worker index",
        "days": problem.days or scenario.days,
        "replications": plan.replications,
        "scenario": {"name": scenario.name, "sha256": fingerprint(scenario)},
        "policy": {"name": policy.name, "source": prepared.policy_source,
                   "sha256": _digest(policy.model_dump(mode="json"))},
        "overrides": list(plan.overrides),
        "space": problem.space.model_dump(mode="json"),
        "space_file": prepared.space_file,
        "versions": versions(),
    }


MUST_MATCH = ("seed", "days", "replications", "scenario", "policy", "space")
"""Attributes a resumed study must share with the command that resumes it."""


def _models(base: Base) -> tuple[Any, Any]:
    from optimize.paths import apply

    return apply(base, {})


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("leadops", "optuna", "simpy", "numpy", "scipy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "unknown"
    return found
