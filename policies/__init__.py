"""Policy files and the pure decision rules the model calls."""

from __future__ import annotations

from pathlib import Path

from leadops.errors import PolicyError
from policies.routing import LeadView, Route, grade_of, route
from policies.schema import GRADES, Policy
from scenarios import Scenario
from scenarios.files import find_file, read_toml, validate_model
from scenarios.overrides import Override, apply_overrides

BUNDLED_DIR = Path(__file__).parent / "bundled"

__all__ = [
    "GRADES",
    "LeadView",
    "Policy",
    "Route",
    "bundled_policies",
    "check_fits",
    "grade_of",
    "load_policy",
    "route",
]


def load_policy(name_or_path: str, overrides: list[Override] | None = None) -> Policy:
    """Load and validate a policy from a file path or a bundled name."""
    path = find_file(name_or_path, BUNDLED_DIR, "policy")
    data = apply_overrides(read_toml(path), overrides or [])
    return validate_model(Policy, data, file=path.name)


def bundled_policies() -> dict[str, str]:
    """Bundled policy names with their one-line descriptions."""
    found = {}
    for path in sorted(BUNDLED_DIR.glob("*.toml")):
        found[path.stem] = str(read_toml(path).get("description", "")).split("\n")[0]
    return found


def check_fits(policy: Policy, scenario: Scenario) -> None:
    """Raise :class:`PolicyError` when the policy names what the scenario lacks."""
    file = f"policy '{policy.name}'"
    teams = scenario.teams
    sales = sorted(name for name, team in teams.items() if team.role != "sdr")
    for index, rule in enumerate(policy.routing.rules):
        path = f"routing.rules[{index}]"
        if rule.team not in sales:
            raise PolicyError(f"must be a sales team of the scenario ({', '.join(sales)}), got "
                              f"{rule.team!r}", file=file, path=f"{path}.team")
        if rule.sdr and teams.get(policy.routing.sdr_team, None) is None:
            raise PolicyError(f"rule sends leads to SDRs but the scenario has no team "
                              f"{policy.routing.sdr_team!r}", file=file, path=path)
        _check_names(rule.when.channel, scenario.channels, f"{path}.when.channel", file)
        _check_names(rule.when.business_line, scenario.business_lines,
                     f"{path}.when.business_line", file)
        _check_names(rule.when.region, scenario.regions, f"{path}.when.region", file)
    sdr = teams.get(policy.routing.sdr_team)
    if sdr is not None and sdr.role != "sdr" and any(r.sdr for r in policy.routing.rules):
        raise PolicyError(f"team {policy.routing.sdr_team!r} has role {sdr.role!r}, not 'sdr'",
                          file=file, path="routing.sdr_team")


def _check_names(used: list[str] | None, known: object, path: str, file: str) -> None:
    for name in used or []:
        if name not in known:  # type: ignore[operator]
            allowed = ", ".join(sorted(known))  # type: ignore[call-overload]
            raise PolicyError(f"must be one of {allowed}, got {name!r}", file=file, path=path)
