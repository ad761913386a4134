"""The small public Python API: what the command line does, for notebooks and scripts.

>>> from leadops import api
>>> setup = api.prepare("mmc", None, ["days=5"])
>>> result = api.simulate(setup, replications=2, seed=3)
>>> round(result.kpis()["leads"]["mean"]) > 0
True
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from leadops.errors import InputError
from policies import Policy, check_fits, load_policy
from scenarios import Override, Scenario, load_scenario, parse_override
from scenarios.files import read_toml
from sim.history import History
from sim.runs import Progress, RunResult, event_log_name, run_many

POLICY_PREFIX = "policy."


@dataclass(frozen=True)
class Setup:
    """A validated scenario and policy, with the overrides that shaped them."""

    scenario: Scenario
    policy: Policy
    overrides: tuple[str, ...]
    policy_source: str


def prepare(scenario: str, policy: str | None = None, overrides: list[str] | None = None
            ) -> Setup:
    """Load a scenario and a policy (the scenario's default when None) with overrides.

    An override path that starts with ``policy.`` applies to the policy; any other path
    applies to the scenario, e.g. ``channels.sem.monthly_spend=150000``.
    """
    parsed = [parse_override(text) for text in overrides or []]
    on_policy = [Override(o.path.removeprefix(POLICY_PREFIX), o.value)
                 for o in parsed if o.path.startswith(POLICY_PREFIX)]
    on_scenario = [o for o in parsed if not o.path.startswith(POLICY_PREFIX)]
    loaded = load_scenario(scenario, on_scenario)
    source = policy or loaded.default_policy
    chosen = load_policy(source, on_policy)
    check_fits(chosen, loaded)
    return Setup(loaded, chosen, tuple(str(o) for o in parsed), source)


def simulate(setup: Setup, *, replications: int = 5, seed: int = 1, days: int | None = None,
             workers: int = 1, progress: Progress | None = None) -> RunResult:
    """Run replications in memory and return their results."""
    return run_many(setup.scenario, setup.policy, replications=replications, seed=seed,
                    days=days, workers=workers, progress=progress)


def run_to_directory(setup: Setup, out: Path, *, replications: int = 5, seed: int = 1,
                     days: int | None = None, workers: int = 1, events: bool = False,
                     progress: Progress | None = None, history: History | None = None
                     ) -> RunResult:
    """Run and write the run directory. Files already in ``out`` are replaced only once the
    new ones are complete. With ``history``, the run replays those historical leads."""
    from sim.rundir import write_run

    _check_directory(out)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    log_path = None
    scratch = Path(tempfile.mkdtemp(prefix=".leadops-", dir=out))
    try:
        if events:
            log_path = scratch / event_log_name()
        result = run_many(setup.scenario, setup.policy, replications=replications,
                          seed=seed, days=days, workers=workers, events=log_path,
                          progress=progress, history=history)
        write_run(out, result, list(setup.overrides), setup.policy_source)
        if log_path is not None:
            log_path.replace(out / log_path.name)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    return result


def validate_file(path: Path, scenario: str | None = None) -> tuple[str, list[str]]:
    """Validate a scenario, policy or search-space file: its kind and any warnings.

    Raises :class:`InputError` when the file is invalid.
    """
    from policies.lint import lint

    data = read_toml(path)
    if "parameters" in data or "budgets" in data:
        return "space", validate_space(path, scenario)
    if "routing" in data:
        policy = load_policy(str(path))
        against = load_scenario(scenario) if scenario is not None else None
        if against is not None:
            check_fits(policy, against)
        return "policy", [f"{path.name}: {finding}" for finding in lint(policy, against)]
    if "channels" in data or "teams" in data:
        loaded = load_scenario(str(path))
        return "scenario", policy_warnings(Setup(loaded, load_policy(loaded.default_policy),
                                                 (), loaded.default_policy))
    raise InputError("is neither a scenario (it has no [channels]), a policy (no [routing]) "
                     "nor a search space (no [[parameters]])", file=path.name)


def validate_space(path: Path, scenario: str | None = None) -> list[str]:
    """Check a search-space file; with a scenario, also every path against it."""
    from optimize.paths import Base, check_paths
    from optimize.space import load_space

    space, file = load_space(str(path))
    if scenario is None:
        return []
    setup = prepare(scenario)
    check_paths(space, Base.of(setup.scenario, setup.policy, setup.policy_source), file)
    return []


def policy_warnings(setup: Setup) -> list[str]:
    """The linter's findings for the setup's policy on its scenario."""
    from policies.lint import lint

    return [f"policy '{setup.policy.name}': {finding}"
            for finding in lint(setup.policy, setup.scenario)]


def check_run_options(*, replications: int, seed: int, days: int | None, workers: int) -> None:
    """Range checks of the run options, reported like file errors."""
    _check_range("--replications", replications, 1, 10_000)
    _check_range("--seed", seed, 0, 2**63 - 1)
    if days is not None:
        _check_range("--days", days, 1, 3660)
    _check_range("--workers", workers, 1, 256)


def check_precision_options(*, half_width: float, max_replications: int, replications: int
                            ) -> None:
    if not 0 < half_width < 10:
        raise InputError(f"must be between 0 and 10, got {half_width}",
                         path="--relative-half-width")
    _check_range("--max-replications", max_replications, replications, 100_000)


def write_atomically_into(out: Path, write: Callable[[], None]) -> None:
    """Create ``out`` if needed and call ``write``; a new directory is removed on failure."""
    _check_directory(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        write()
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise


def _check_range(option: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InputError(f"must be between {low} and {high}, got {value}", path=option)


def _check_directory(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("must be a directory, but a file of that name exists", file=str(out),
                         path="--out")
