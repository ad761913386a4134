"""The ``leadops compare`` contract: comparison.json, comparison.csv, one run directory per
alternative, scenario variants, precision mode, and exit code 2 on bad input with the
output directory left untouched.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from leadops.cli import main

DAYS = 10
REPLICATIONS = 2
SEM_UP = "sem+20%:channels.sem.monthly_spend=144000"
LEAST_LOADED = 'least_loaded:policy.assignment.strategy="least_loaded"'
BOTH = "both:channels.sem.monthly_spend=144000,channels.events.monthly_spend=20000"
LABELS = ["default", "speed_first", "sem+20%", "both"]
DOCUMENT_KEYS = {"reference", "alternatives", "seed", "replications", "days", "kpis",
                 "by_channel", "by_business_line", "scenario"}
DIFFERENCE_KEYS = {"mean", "ci_low", "ci_high", "n", "verdict", "variance_reduction"}
CSV_HEADER = ["scope", "group", "kpi", "direction", "alternative", "mean", "ci_low", "ci_high",
              "n", "diff_mean", "diff_ci_low", "diff_ci_high", "verdict",
              "variance_reduction"]
RUN_FILES = {"summary.json", "replications.csv", "timeseries.csv", "pools.csv", "weekly.csv",
             "monthly.csv", "warnings.csv"}


def compare(*args: str) -> int:
    return main(["compare", "baseline", "-q", "--seed", "3", *args])


def load(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "comparison.json").read_text())
    return document


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two policies and two scenario variants, compared once for the contract tests."""
    target = tmp_path_factory.mktemp("compare") / "four"
    code = compare("-p", "default", "-p", "speed_first", "--variant", SEM_UP,
                   "--variant", BOTH, "-n", str(REPLICATIONS), "--days", str(DAYS),
                   "-o", str(target))
    assert code == 0
    return target


@pytest.fixture(scope="module")
def document(out: Path) -> dict[str, Any]:
    return load(out)


# --- comparison.json -----------------------------------------------------------------------


def test_comparison_json_has_the_documented_keys(document: dict[str, Any]) -> None:
    assert set(document) == DOCUMENT_KEYS
    assert document["reference"] == "default"
    assert (document["seed"], document["replications"], document["days"]) == (
        3, REPLICATIONS, DAYS)
    assert document["scenario"]["name"] == "baseline"


def test_alternatives_list_policies_then_variants(document: dict[str, Any]) -> None:
    alternatives = document["alternatives"]

    assert [a["label"] for a in alternatives] == LABELS
    assert [a["kind"] for a in alternatives] == ["policy", "policy", "variant", "variant"]
    assert alternatives[2]["source"] == SEM_UP
    assert alternatives[2]["overrides"] == ["channels.sem.monthly_spend=144000"]
    assert alternatives[3]["overrides"] == ["channels.sem.monthly_spend=144000",
                                            "channels.events.monthly_spend=20000"]
    hashes = [a["scenario_sha256"] for a in alternatives]
    assert hashes[0] == hashes[1] and len(set(hashes)) == 3


def test_every_kpi_entry_has_direction_intervals_and_differences(
        document: dict[str, Any]) -> None:
    assert {"won", "leads", "cost", "roi", "rep_gini"} <= set(document["kpis"])
    for name, entry in document["kpis"].items():
        assert set(entry) == {"direction", "by_alternative", "differences"}, name
        assert list(entry["by_alternative"]) == LABELS
        assert list(entry["differences"]) == LABELS[1:]
        for difference in entry["differences"].values():
            assert set(difference) == DIFFERENCE_KEYS, name
            assert difference["n"] <= REPLICATIONS


def test_directions_and_verdicts_are_words(document: dict[str, Any]) -> None:
    kpis = document["kpis"]

    assert kpis["won"]["direction"] == "higher is better"
    assert kpis["cost"]["direction"] == "lower is better"
    assert kpis["leads"]["direction"] == "neutral"
    # more sem spend is a fixed extra cost: worse in every replication, exactly
    cost = kpis["cost"]["differences"]["sem+20%"]
    assert cost["mean"] == pytest.approx(24000.0 * DAYS / (365.0 / 12.0), rel=1e-9)
    assert cost["ci_low"] == pytest.approx(cost["mean"], rel=1e-9)
    assert cost["verdict"] == "worse"


def test_groups_are_compared_per_channel_and_business_line(document: dict[str, Any]) -> None:
    assert set(document["by_channel"]) >= {"seo", "sem", "events", "referral", "outbound"}
    assert set(document["by_business_line"]) == {"software", "services"}
    leads = document["by_channel"]["sem"]["leads"]
    assert set(leads["differences"]["sem+20%"]) == DIFFERENCE_KEYS


def test_variants_change_the_channels_they_set_and_no_other(document: dict[str, Any]) -> None:
    by_channel = document["by_channel"]

    def mean_difference(channel: str, label: str) -> float:
        value: float = by_channel[channel]["leads"]["differences"][label]["mean"]
        return value

    assert mean_difference("sem", "sem+20%") > 0
    assert mean_difference("events", "sem+20%") == 0
    assert mean_difference("seo", "sem+20%") == 0
    assert mean_difference("sem", "both") == mean_difference("sem", "sem+20%")
    assert mean_difference("events", "both") < 0
    assert mean_difference("sem", "speed_first") == 0


# --- comparison.csv and the run directories ------------------------------------------------


def test_comparison_csv_has_the_header_and_a_row_per_scope_kpi_and_alternative(
        out: Path, document: dict[str, Any]) -> None:
    text = (out / "comparison.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    groups = len(document["by_channel"]) * len(document["by_channel"]["sem"]) + \
        len(document["by_business_line"]) * len(document["by_business_line"]["software"])

    assert rows[0] == CSV_HEADER
    assert len(rows) - 1 == (len(document["kpis"]) + groups) * len(LABELS)


def test_comparison_csv_rows_repeat_the_json(out: Path, document: dict[str, Any]) -> None:
    with (out / "comparison.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    won = {row["alternative"]: row for row in rows
           if row["scope"] == "company" and row["kpi"] == "won"}
    difference = document["kpis"]["won"]["differences"]["speed_first"]

    assert list(won) == LABELS
    assert won["default"]["verdict"] == "reference"
    assert won["default"]["diff_mean"] == ""
    assert won["speed_first"]["verdict"] == difference["verdict"]
    assert float(won["speed_first"]["diff_mean"]) == pytest.approx(difference["mean"])
    assert won["speed_first"]["direction"] == "higher is better"
    assert {row["scope"] for row in rows} == {"company", "channel", "business_line"}


def test_one_run_directory_per_alternative(out: Path) -> None:
    directories = sorted(path.name for path in out.iterdir() if path.is_dir())

    assert directories == sorted(["default", "speed_first", "sem+20", "both"])
    for directory in directories:
        assert {path.name for path in (out / directory).iterdir()} == RUN_FILES


def test_each_run_directory_records_its_alternative(out: Path) -> None:
    summary = json.loads((out / "sem+20" / "summary.json").read_text())
    policy = json.loads((out / "speed_first" / "summary.json").read_text())

    assert summary["overrides"] == ["channels.sem.monthly_spend=144000"]
    assert summary["policy"]["name"] == "default"
    assert policy["policy"]["name"] == "speed_first"
    assert summary["replications"] == REPLICATIONS and summary["days"] == DAYS


# --- labels --------------------------------------------------------------------------------


def test_the_same_policy_twice_is_labelled_and_differs_by_zero(tmp_path: Path) -> None:
    target = tmp_path / "twice"

    assert compare("-p", "default", "-p", "default", "-n", "2", "--days", "3",
                   "-o", str(target)) == 0
    document = load(target)

    assert [a["label"] for a in document["alternatives"]] == ["default", "default#2"]
    assert (target / "default_2" / "summary.json").exists()
    for name, entry in document["kpis"].items():
        assert entry["differences"]["default#2"]["mean"] in (0.0, None), name


def test_labels_that_differ_only_in_unsafe_characters_get_their_own_directories(
        tmp_path: Path) -> None:
    target = tmp_path / "labels"

    assert compare("-p", "default", "--variant", "a b:channels.sem.monthly_spend=144000",
                   "--variant", "a/b:channels.sem.monthly_spend=100000", "-n", "2",
                   "--days", "2", "-o", str(target)) == 0
    directories = [path for path in target.iterdir() if path.is_dir()]

    assert len(directories) == 3
    overrides = sorted(json.loads((d / "summary.json").read_text())["overrides"][0]
                       for d in directories if d.name != "default")
    assert overrides == ["channels.sem.monthly_spend=100000",
                         "channels.sem.monthly_spend=144000"]


# --- precision mode ------------------------------------------------------------------------


def test_precision_stops_at_the_replication_cap_and_says_so(tmp_path: Path) -> None:
    # two similar policies and a tight target: touches per lead stays open
    target = tmp_path / "capped"

    assert compare("-p", "default", "--variant", LEAST_LOADED, "--precision",
                   "--precision-kpi", "touches_per_lead", "--relative-half-width", "0.001",
                   "-n", "2", "--max-replications", "3", "--days", "5",
                   "-o", str(target)) == 0
    document = load(target)
    precision = document["precision"]

    assert precision["stopped_because"] == "the replication cap was reached"
    assert precision["status"] == {"touches_per_lead": {"least_loaded": "open"}}
    assert (precision["kpis"], precision["max_replications"]) == (["touches_per_lead"], 3)
    assert precision["relative_half_width"] == 0.001
    assert document["replications"] == 3
    assert document["kpis"]["touches_per_lead"]["by_alternative"]["default"]["n"] == 3
    summary = json.loads((target / "least_loaded" / "summary.json").read_text())
    assert summary["replications"] == 3


def test_precision_stops_when_every_difference_is_resolved(tmp_path: Path) -> None:
    # more sem spend costs the same fixed amount in every replication: the difference in
    # cost excludes zero at once, and nothing more is run
    target = tmp_path / "resolved"

    assert compare("-p", "default", "--variant", SEM_UP, "--precision", "--precision-kpi",
                   "cost", "-n", "2", "--max-replications", "50", "--days", "5",
                   "-o", str(target)) == 0
    document = load(target)

    assert document["precision"]["stopped_because"] == "every chosen difference is resolved"
    assert document["precision"]["status"] == {"cost": {"sem+20%": "excludes zero"}}
    assert document["replications"] == 2


def test_precision_extends_the_same_seed_streams(tmp_path: Path) -> None:
    # replications added by precision mode are replications 2.. of the same seed, so the
    # first two equal a plain two-replication comparison
    plain, extended = tmp_path / "plain", tmp_path / "extended"
    common = ["-p", "default", "--variant", LEAST_LOADED, "--days", "4", "-n", "2"]

    assert compare(*common, "-o", str(plain)) == 0
    assert compare(*common, "--precision", "--precision-kpi", "touches_per_lead",
                   "--relative-half-width", "0.001", "--max-replications", "4",
                   "-o", str(extended)) == 0

    def touches(target: Path) -> list[str]:
        with (target / "least_loaded" / "replications.csv").open(newline="") as handle:
            return [row["touches_per_lead"] for row in csv.DictReader(handle)]

    assert len(touches(extended)) == 4
    assert touches(extended)[:2] == touches(plain)
    assert len(set(touches(extended))) == 4


def test_precision_accepts_a_per_team_kpi_of_the_run(tmp_path: Path) -> None:
    target = tmp_path / "gini"

    assert compare("-p", "default", "-p", "speed_first", "--precision", "--precision-kpi",
                   "gini_telesales", "-n", "2", "--max-replications", "2", "--days", "3",
                   "-o", str(target)) == 0
    assert "gini_telesales" in load(target)["precision"]["status"]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "path"), [
    (["-p", "default", "--variant", "no colon here"], "--variant"),
    (["-p", "default", "--variant", "sem:channels.sem.monthly_spend=-5"],
     "channels.sem.monthly_spend"),
    (["-p", "default", "--variant", "typo:channels.sem.monthly_spendd=1"],
     "channels.sem.monthly_spendd"),
    (["-p", "default", "-p", "no_such_policy"], "no_such_policy"),
    (["-p", "default", "-p", "speed_first", "--precision", "--precision-kpi", "not_a_kpi"],
     "--precision-kpi"),
    (["-p", "default"], "--policy"),
    ([], "--policy"),
    (["-p", "default", "-p", "speed_first", "--precision", "--max-replications", "1"],
     "--max-replications"),
])
def test_bad_input_exits_2_names_the_field_and_leaves_the_output_alone(
        args: list[str], path: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "kept"
    target.mkdir()
    (target / "comparison.json").write_text('{"mine": true}\n', encoding="utf-8")
    (target / "default").mkdir()
    (target / "default" / "summary.json").write_bytes(b"\x00old bytes")
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}

    code = compare(*args, "-n", "2", "--days", "2", "-o", str(target))
    err = flat(capsys.readouterr().err)
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}

    assert code == 2
    assert err.startswith("error:")
    assert path in err
    assert "Traceback" not in err
    assert after == before
    assert sorted(p.name for p in target.iterdir()) == ["comparison.json", "default"]


def test_bad_input_creates_no_output_directory(tmp_path: Path) -> None:
    target = tmp_path / "never"

    assert compare("-p", "default", "--variant", "broken", "-o", str(target)) == 2
    assert not target.exists()
