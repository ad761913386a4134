"""``leadops optimize`` end to end on tiny problems: outputs, resume, round trips, modes."""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path
from typing import Any

import optuna
import pytest
from optimize_problems import REP_COST, STAFFING_SPACE

from leadops.cli import main
from optimize.storage import open_storage

STAFFING = ["optimize", "mmc_patience", "--space", str(STAFFING_SPACE), "--set", REP_COST,
            "--set", "teams.reps.headcount=3", "--days", "3", "--trials", "8",
            "--final-replications", "4", "-q"]
POLICY_SPACE = """name = "sla"
[[objectives]]
kpi = "sla_met_rate"
direction = "maximize"
[[constraints]]
kpi = "abandon_rate"
max = 0.5
[[parameters]]
path = "policy.circulation.sla_hours"
type = "float"
low = 0.05
high = 2.0
"""


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def staffing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("optimize") / "staffing"
    assert main([*STAFFING, "-o", str(out)]) == 0
    return out


def test_the_directory_holds_every_output(staffing: Path) -> None:
    names = {path.name for path in staffing.iterdir()}

    assert {"trials.csv", "selection.json", "comparison.json", "importances.json",
            "best_policy.toml", "best_scenario.toml", "study.journal"} <= names
    assert not [name for name in names if name.endswith(".partial")]


def test_trials_csv_has_a_row_per_trial_with_values_and_replications(staffing: Path) -> None:
    table = rows(staffing / "trials.csv")

    assert [row["trial"] for row in table] == [str(n) for n in range(len(table))]
    assert sum(row["state"] == "complete" for row in table) == 8
    assert {"profit_mean", "profit_se", "teams.reps.headcount", "profit_r0",
            "profit_r1"} <= set(table[0])
    assert all(1 <= int(row["teams.reps.headcount"]) <= 12 for row in table)


def test_selection_reports_fresh_estimates_never_the_search_value(staffing: Path) -> None:
    selection = read(staffing / "selection.json")
    study = optuna.load_study(study_name="staffing-mmc_patience",
                              storage=open_storage(None, staffing))
    final = selection["final"]["estimates"]["profit"]

    assert selection["candidates"][0]["label"] == "baseline"
    assert 2 <= len(selection["candidates"]) <= 6
    assert sum(c["chosen"] for c in selection["candidates"]) == 1
    assert selection["procedure"]["name"].startswith("KN")
    assert final["chosen"]["n"] == 4 and final["baseline"]["n"] == 4
    assert final["chosen"]["ci_low"] <= final["chosen"]["mean"] <= final["chosen"]["ci_high"]
    assert final["chosen"]["mean"] != study.best_value
    assert "difference" in final


def test_the_study_records_seeds_versions_scenario_hash_and_space(staffing: Path) -> None:
    study = optuna.load_study(study_name="staffing-mmc_patience",
                              storage=open_storage(None, staffing))
    attrs = study.user_attrs

    assert attrs["seed"] == 1 and isinstance(attrs["report_seed"], int)
    assert len(attrs["scenario"]["sha256"]) == 64
    assert attrs["space"]["name"] == "staffing"
    assert {"python", "optuna", "simpy", "numpy"} <= set(attrs["versions"])


def test_importances_map_parameters_to_numbers(staffing: Path) -> None:
    found = read(staffing / "importances.json")

    assert set(found) <= {"teams.reps.headcount"}
    assert all(isinstance(value, float) for value in found.values())


def test_the_chosen_files_run_as_they_are(staffing: Path, tmp_path: Path) -> None:
    code = main(["run", str(staffing / "best_scenario.toml"), "--policy",
                 str(staffing / "best_policy.toml"), "-n", "1", "--days", "2", "-q", "-o",
                 str(tmp_path / "run")])

    assert code == 0
    chosen = read(staffing / "selection.json")["chosen"]["values"]
    summary = read(tmp_path / "run" / "summary.json")
    assert summary["policy"]["name"] == "mmc-optimized"
    assert chosen["teams.reps.headcount"] >= 1


def test_running_again_resumes_and_repeats_nothing(staffing: Path) -> None:
    before = rows(staffing / "trials.csv")
    selection = read(staffing / "selection.json")

    assert main([*STAFFING, "-o", str(staffing)]) == 0

    assert rows(staffing / "trials.csv") == before
    assert read(staffing / "selection.json")["chosen"] == selection["chosen"]


def test_more_trials_continue_the_same_study(staffing: Path, tmp_path: Path) -> None:
    out = tmp_path / "more"
    assert main([*STAFFING, "--trials", "4", "-o", str(out)]) == 0
    first = rows(out / "trials.csv")

    assert main([*STAFFING, "--trials", "6", "-o", str(out)]) == 0

    again = rows(out / "trials.csv")
    assert len([r for r in again if r["state"] == "complete"]) == 6
    assert again[:len(first)] == first


def test_resuming_with_other_settings_is_refused(staffing: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*STAFFING, "--seed", "2", "-o", str(staffing)])

    message = capsys.readouterr().err
    assert code == 2
    assert "--study: study 'staffing-mmc_patience' was started with another seed" in message


def test_a_policy_space_writes_a_policy_that_leadops_compare_accepts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = tmp_path / "sla.toml"
    space.write_text(POLICY_SPACE, encoding="utf-8")
    out = tmp_path / "sla"
    assert main(["optimize", "mmc_patience", "--space", str(space), "--days", "2",
                 "--trials", "5", "--final-replications", "3", "-q", "-o", str(out)]) == 0
    names = {path.name for path in out.iterdir()}
    reproduce = read(out / "selection.json")["final"]["reproduce"]
    assert "best_scenario.toml" not in names

    compared = tmp_path / "compare"
    args = shlex.split(reproduce)[1:]
    args = [str(out / a) if a == "best_policy.toml" else a for a in args]
    assert main([*args, "-q", "-o", str(compared)]) == 0

    mine = read(out / "comparison.json")["kpis"]["sla_met_rate"]["by_alternative"]
    theirs = read(compared / "comparison.json")["kpis"]["sla_met_rate"]["by_alternative"]
    assert [v["mean"] for v in mine.values()] == [v["mean"] for v in theirs.values()]


def test_pareto_mode_shows_the_re_evaluated_front(tmp_path: Path) -> None:
    out = tmp_path / "pareto"
    assert main([*STAFFING, "--objectives", "profit:max,abandon_rate", "-o", str(out)]) == 0

    pareto = read(out / "pareto.json")
    table = rows(out / "pareto.csv")
    assert pareto["front"] and len(table) == len(pareto["front"])
    for point in pareto["front"]:
        assert point["estimates"]["profit"]["n"] == 4
        assert point["feasible"]
    assert read(out / "selection.json")["mode"] == "pareto"


def test_a_sweep_traces_a_frontier_of_final_estimates(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    assert main([*STAFFING, "--trials", "5", "--sweep", "abandon_rate=0.02,0.3", "-o",
                 str(out)]) == 0

    frontier = read(out / "frontier.json")
    assert [p["bound"] for p in frontier["points"]] == ["abandon_rate <= 0.02",
                                                       "abandon_rate <= 0.3"]
    assert (out / "abandon_rate-0.02" / "selection.json").exists()
    assert len(rows(out / "frontier.csv")) == 2
    assert any(p["on_frontier"] for p in frontier["points"])
