"""A company the model simulates and exports, for the tests that fit and judge exports.

The company is the baseline scaled down (every volume and headcount times ``scale``) with flat
seasonality: months a fit never saw cannot be known from data, and these histories are meant
to be fully explainable by the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomli_w

from crm.export import export_crm
from leadops import api
from scenarios import Scenario, load_scenario


@dataclass(frozen=True)
class CompanyExport:
    """The true scenario, its file, and the CRM export of one simulated replication."""

    truth: Scenario
    scenario_file: Path
    crm: Path


def flat_company(scale: float) -> list[str]:
    """Overrides of the baseline: volume and headcounts times ``scale``, flat seasonality."""
    company = load_scenario("baseline")
    flat = "[" + ",".join(["1"] * 12) + "]"
    return [f"volume_scale={scale}", *(
        f"teams.{name}.headcount={max(1, round(team.headcount * scale))}"
        for name, team in company.teams.items()), *(
        f"channels.{name}.seasonality={flat}" for name in company.channels)]


def simulate_and_export(root: Path, *, scale: float, days: int, seed: int) -> CompanyExport:
    """Run the company with its event log, export it, and write the scenario as TOML."""
    setup = api.prepare("baseline", None, flat_company(scale))
    api.run_to_directory(setup, root / "run", replications=1, seed=seed, days=days,
                         events=True)
    export_crm(root / "run", root / "crm")
    scenario_file = root / "company.toml"
    scenario_file.write_text(tomli_w.dumps(setup.scenario.model_dump(mode="json",
                                                                     exclude_none=True)))
    return CompanyExport(setup.scenario, scenario_file, root / "crm")
