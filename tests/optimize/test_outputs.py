"""Output files: policies and scenarios written as TOML read back unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimize.outputs import cell, toml_text
from policies import bundled_policies, load_policy
from scenarios import bundled_scenarios, load_scenario


@pytest.mark.parametrize("name", sorted(bundled_policies()))
def test_every_bundled_policy_survives_the_policy_writer(tmp_path: Path, name: str) -> None:
    policy = load_policy(name)
    path = tmp_path / "best_policy.toml"

    path.write_text(toml_text(policy.model_dump(mode="python"), "a header\nof two lines"),
                    encoding="utf-8")

    assert path.read_text(encoding="utf-8").startswith("# a header\n# of two lines\n")
    assert load_policy(str(path)) == policy


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_survives_the_scenario_writer(tmp_path: Path, name: str) -> None:
    scenario = load_scenario(name)
    path = tmp_path / "best_scenario.toml"

    path.write_text(toml_text(scenario.model_dump(mode="python"), "x"), encoding="utf-8")

    assert load_scenario(str(path)) == scenario


def test_cells_are_plain_text() -> None:
    assert [cell(None), cell(True), cell(0.1 + 0.2), cell(float("nan")), cell(3)] == [
        "", "true", "0.3", "", "3"]
