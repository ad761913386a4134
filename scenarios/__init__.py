"""Scenario files: schema, loading by path or bundled name, overrides and fingerprints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from scenarios.files import find_file, read_toml, validate_model
from scenarios.overrides import Override, apply_overrides, parse_override
from scenarios.schema import Channel, Scenario, Team

BUNDLED_DIR = Path(__file__).parent / "bundled"

__all__ = [
    "BUNDLED_DIR",
    "Channel",
    "Override",
    "Scenario",
    "Team",
    "bundled_scenarios",
    "fingerprint",
    "load_scenario",
    "parse_override",
]


def load_scenario(name_or_path: str, overrides: list[Override] | None = None) -> Scenario:
    """Load and validate a scenario from a file path or a bundled name."""
    path = find_file(name_or_path, BUNDLED_DIR, "scenario")
    data = apply_overrides(read_toml(path), overrides or [])
    return validate_model(Scenario, data, file=path.name)


def bundled_scenarios() -> dict[str, str]:
    """Bundled scenario names with their one-line descriptions."""
    found = {}
    for path in sorted(BUNDLED_DIR.glob("*.toml")):
        found[path.stem] = str(read_toml(path).get("description", "")).split("\n")[0]
    return found


def fingerprint(scenario: Scenario) -> str:
    """sha256 of the scenario's canonical JSON form: equal scenarios, equal hashes."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
