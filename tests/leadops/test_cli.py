"""The command-line contract of DESIGN §4: run directories, exit codes and error messages."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from leadops.cli import main
from policies import BUNDLED_DIR as POLICY_DIR
from scenarios import BUNDLED_DIR as SCENARIO_DIR
from scenarios import fingerprint, load_scenario, parse_override

DAYS = 21
REPLICATIONS = 2
OVERRIDE = "channels.sem.monthly_spend=100000"
KPIS = ("leads", "won", "conversion_rate", "revenue", "cost", "roi",
        "first_contact_hours_p50", "first_contact_hours_p90", "days_to_win_p50",
        "sla_met_rate", "touches_per_lead", "harassment_rate", "duplicate_contact_rate",
        "sdr_wait_hours_p50", "rep_utilization", "recycled_rate", "reactivated_won",
        "warnings")
GROUP_KPIS = ("leads", "won", "conversion_rate", "revenue", "cost", "roi")
INTERVAL = {"mean", "ci_low", "ci_high", "n"}
SERIES_COLUMNS = ("leads", "first_contacts", "sla_met", "won", "cost")
POOL_COLUMNS = ["date", "day", "private", "public", "grand", "blocked"]
POOL_KINDS = ("public", "grand", "blocked")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One baseline run with an override and the event log, shared by the contract tests."""
    out = tmp_path_factory.mktemp("cli") / "baseline-run"
    code = main(["run", "baseline", "--days", str(DAYS), "-n", str(REPLICATIONS), "--seed",
                 "7", "-q", "-o", str(out), "--set", OVERRIDE, "--events"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run_dir / "summary.json").read_text())
    return document


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


# --- run: the run directory -----------------------------------------------------------------


def test_run_writes_the_core_files_and_the_event_log(run_dir: Path) -> None:
    names = {path.name for path in run_dir.iterdir()}

    assert names == {"summary.json", "replications.csv", "timeseries.csv", "pools.csv",
                     "weekly.csv", "monthly.csv", "warnings.csv", "events.parquet"}


def test_summary_names_scenario_policy_seed_replications_and_days(
        summary: dict[str, Any]) -> None:
    expected = fingerprint(load_scenario("baseline", [parse_override(OVERRIDE)]))

    assert summary["scenario"] == {"name": "baseline", "sha256": expected}
    assert summary["scenario"]["sha256"] != fingerprint(load_scenario("baseline"))
    assert summary["policy"]["name"] == "default"
    assert summary["seed"] == 7
    assert summary["replications"] == REPLICATIONS
    assert summary["days"] == DAYS


def test_summary_records_the_overrides(summary: dict[str, Any]) -> None:
    assert summary["overrides"] == [OVERRIDE]


@pytest.mark.parametrize("kpi", KPIS)
def test_summary_has_each_built_kpi_as_an_interval(summary: dict[str, Any], kpi: str) -> None:
    value = summary["kpis"][kpi]

    assert set(value) == INTERVAL
    assert 0 <= value["n"] <= REPLICATIONS
    if value["n"] == REPLICATIONS:
        assert value["ci_low"] <= value["mean"] <= value["ci_high"]


def test_summary_kpis_hold_together(summary: dict[str, Any]) -> None:
    kpis = {name: value["mean"] for name, value in summary["kpis"].items()}

    assert kpis["leads"] > 0
    assert kpis["won"] > 0
    assert kpis["cost"] > 0
    assert kpis["conversion_rate"] == pytest.approx(kpis["won"] / kpis["leads"], rel=0.05)
    assert kpis["first_contact_hours_p50"] <= kpis["first_contact_hours_p90"]
    assert all(0 <= kpis[name] <= 1 for name in ("sla_met_rate", "harassment_rate",
                                                 "duplicate_contact_rate", "rep_utilization",
                                                 "recycled_rate"))
    assert 0 <= kpis["reactivated_won"] <= kpis["won"]
    # The default policy recycles: a baseline run sends leads through the public pools.
    assert kpis["recycled_rate"] > 0


def test_summary_counts_moves_between_places_and_lost_reasons(summary: dict[str, Any]) -> None:
    moves, lost = summary["moves"], summary["lost_reasons"]
    census = summary["conservation"]

    assert moves and all(value >= 0 for value in moves.values())
    for key in moves:
        origin, rest = key.split("->")
        target, rule = rest.split(":")
        assert origin and target and rule, key
    released = sum(value for key, value in moves.items() if "->public:" in key)
    assert released > 0
    mean_lost = sum(places["lost"] for places in census) / len(census)
    assert sum(lost.values()) == pytest.approx(mean_lost)
    assert all(set(POOL_KINDS) <= set(places) for places in census)


@pytest.mark.parametrize(("group", "names"), [
    ("by_channel", ("seo", "website_chat", "hotline", "sem", "events", "partner_referral",
                    "referral", "outbound")),
    ("by_business_line", ("software", "services")),
])
def test_breakdowns_cover_every_group_with_the_group_kpis(
        summary: dict[str, Any], group: str, names: tuple[str, ...]) -> None:
    breakdown = summary[group]

    assert set(breakdown) == set(names)
    for values in breakdown.values():
        assert set(GROUP_KPIS) <= set(values)
        assert all(set(values[kpi]) == INTERVAL for kpi in GROUP_KPIS)


@pytest.mark.parametrize("group", ["by_channel", "by_business_line"])
def test_breakdowns_add_up_to_the_company(summary: dict[str, Any], group: str) -> None:
    for kpi in ("leads", "won", "revenue"):
        total = sum(values[kpi]["mean"] for values in summary[group].values())
        assert total == pytest.approx(summary["kpis"][kpi]["mean"], rel=1e-9, abs=1e-6)


def test_replications_csv_has_a_row_per_replication_and_a_column_per_kpi(
        run_dir: Path, summary: dict[str, Any]) -> None:
    rows = read_csv(run_dir / "replications.csv")

    assert [row["replication"] for row in rows] == [str(r) for r in range(REPLICATIONS)]
    assert list(rows[0]) == ["replication", *summary["kpis"]]
    for kpi, interval in summary["kpis"].items():
        values = [v for v in (number(row[kpi]) for row in rows) if v is not None]
        assert len(values) == interval["n"]
        if values:
            mean = math.fsum(values) / len(values)
            assert mean == pytest.approx(interval["mean"], rel=1e-9, abs=1e-9)  # both rounded


def test_timeseries_csv_has_daily_rows_per_business_line_and_channel(run_dir: Path) -> None:
    rows = read_csv(run_dir / "timeseries.csv")
    scenario = load_scenario("baseline")

    cells = Counter((row["day"], row["business_line"], row["channel"]) for row in rows)
    assert len(rows) == DAYS * len(scenario.channels) * len(scenario.business_lines)
    assert set(cells.values()) == {1}
    assert {row["channel"] for row in rows} == set(scenario.channels)
    assert {row["business_line"] for row in rows} == set(scenario.business_lines)
    assert rows[0]["date"] == scenario.start_date.isoformat()
    assert set(SERIES_COLUMNS) <= set(rows[0])


def test_timeseries_csv_cells_are_plain_numbers(run_dir: Path) -> None:
    rows = read_csv(run_dir / "timeseries.csv")
    numeric = [name for name in rows[0] if name not in ("date", "business_line", "channel")]

    bad = {row[name] for row in rows for name in numeric if not _is_float(row[name])}

    assert not bad, sorted(bad)[:3]


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_timeseries_adds_up_to_the_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    rows = read_csv(run_dir / "timeseries.csv")

    for column in ("leads", "won", "revenue", "channel_cost"):
        total = math.fsum(float(row[column]) for row in rows)
        assert total == pytest.approx(summary["kpis"][column]["mean"], rel=1e-9)


def test_pools_csv_has_a_row_per_day_with_every_pool(run_dir: Path) -> None:
    rows = read_csv(run_dir / "pools.csv")
    scenario = load_scenario("baseline")
    start = scenario.start_date
    lines = [f"public:{line}" for line in scenario.business_lines]

    # The company-wide pools, then the public pool of each business line.
    assert list(rows[0]) == [*POOL_COLUMNS, *lines]
    for row in rows:
        assert math.fsum(float(row[line]) for line in lines) == pytest.approx(
            float(row["public"]), abs=1e-6)
    assert [int(row["day"]) for row in rows] == list(range(DAYS))
    assert [row["date"] for row in rows] == [
        (start + dt.timedelta(days=day)).isoformat() for day in range(DAYS)]
    sizes = [float(row[name]) for row in rows for name in POOL_COLUMNS[2:]]
    assert all(size >= 0 for size in sizes)
    assert max(float(row["public"]) for row in rows) > 0


def test_pools_csv_last_day_is_the_pool_sizes_at_the_horizon(
        run_dir: Path, summary: dict[str, Any]) -> None:
    last = read_csv(run_dir / "pools.csv")[-1]

    for name in POOL_COLUMNS[2:]:
        assert float(last[name]) == pytest.approx(summary["kpis"][f"{name}_pool_end"]["mean"])
    for kind in POOL_KINDS:
        mean = sum(places[kind] for places in summary["conservation"]) / REPLICATIONS
        assert float(last[kind]) == pytest.approx(mean)


# --- run: the event log ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def events(run_dir: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = pq.read_table(run_dir / "events.parquet").to_pylist()
    return rows


def trace(events: list[dict[str, Any]], replication: int, lead_id: int) -> list[dict[str, Any]]:
    return [row for row in events if row["replication"] == replication
            and row["lead_id"] == lead_id]


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_event_log_traces_a_lead_from_arrival_to_outcome(
        events: list[dict[str, Any]], outcome: str) -> None:
    ending = next(row for row in events if row["event"] == outcome)

    steps = trace(events, ending["replication"], ending["lead_id"])
    # The touch that ended in the outcome is written right after it (stamped with its start);
    # after a sale, customer success may record repeat purchases of the won customer.
    after = steps[[row["event"] for row in steps].index(outcome) + 1:]
    closing = [row for row in after if row["event"] == "touch"]
    timed = [row["time_hours"] for row in steps if row["event"] != "touch"]

    assert steps[0]["event"] == "arrived"
    assert len(closing) <= 1 and all(row["time_hours"] <= ending["time_hours"]
                                     for row in closing)
    assert {row["event"] for row in after} - {"touch"} <= (
        {"repeat_purchase"} if outcome == "won" else set())
    assert timed == sorted(timed)
    assert len({row["channel"] for row in steps}) == 1
    assert steps[0]["channel"] in load_scenario("baseline").channels
    if outcome == "won":
        assert {"attempt", "qualified", "opportunity"} <= {row["event"] for row in steps}


def test_event_log_counts_match_the_census(events: list[dict[str, Any]],
                                           summary: dict[str, Any]) -> None:
    for replication, census in enumerate(summary["conservation"]):
        counts = Counter(row["event"] for row in events if row["replication"] == replication)
        assert counts["arrived"] == census["arrived"]
        assert counts["won"] == census["won"]
        assert counts["lost"] == census["lost"]


def _place_after(row: dict[str, Any], place: str) -> str:
    """Where a lead is after this event: a shared pool kind, 'work' or 'done'."""
    if row["event"] in ("won", "lost"):
        return "done"
    if row["event"] == "reactivated":
        return "work"
    if row["event"] == "moved":
        target = row["detail"].split("to=")[1].split()[0]
        kind = target.split(":")[0]
        return kind if kind in POOL_KINDS else "work"
    return place


def test_event_log_moves_leave_the_census_pool_counts(events: list[dict[str, Any]],
                                                      summary: dict[str, Any]) -> None:
    for replication, census in enumerate(summary["conservation"]):
        places: dict[int, str] = {}
        for row in events:
            if row["replication"] == replication:
                places[row["lead_id"]] = _place_after(row, places.get(row["lead_id"], "work"))
        counts = Counter(places.values())
        assert {kind: counts[kind] for kind in POOL_KINDS} == {
            kind: census[kind] for kind in POOL_KINDS}
        assert counts["work"] == census["in_work"]


def test_event_log_moves_match_the_summary_moves(events: list[dict[str, Any]],
                                                 summary: dict[str, Any]) -> None:
    logged = Counter(row["detail"].rsplit("rule=", 1)[1] for row in events
                     if row["event"] == "moved")
    reactivated = sum(row["event"] == "reactivated" for row in events)
    by_rule: Counter[str] = Counter()
    for key, mean in summary["moves"].items():
        rest = key.split("->")[1]
        if rest.split(":")[0] != "routing":
            by_rule[rest.split(":")[1]] += round(mean * REPLICATIONS)
    routed = sum(mean * REPLICATIONS for key, mean in summary["moves"].items()
                 if "->routing:" in key)

    assert logged == by_rule
    assert reactivated == pytest.approx(routed)


def test_every_lead_in_the_event_log_arrived_once(events: list[dict[str, Any]]) -> None:
    arrivals = Counter((row["replication"], row["lead_id"]) for row in events
                       if row["event"] == "arrived")
    leads = {(row["replication"], row["lead_id"]) for row in events}

    assert set(arrivals) == leads
    assert set(arrivals.values()) == {1}


# --- bad input ------------------------------------------------------------------------------


BAD_RUNS = [
    # (extra arguments of ``run``, words the message must hold)
    (["nope"], ["nope", "bundled: baseline, mmc, mmc_patience"]),
    (["baseline", "--set", "channels.sem.monthly_spend=-5"],
     ["baseline.toml", "channels.sem.monthly_spend", "got -5"]),
    (["baseline", "--set", "channels.sem.monthly_spnd=5"],
     ["channels.sem.monthly_spnd", "did you mean 'monthly_spend'"]),
    (["baseline", "--set", "nonsense"], ["--set", "'nonsense'"]),
    (["baseline", "--set", "regions.7=east"], ["regions.7", "'7'"]),
    (["baseline", "--policy", "nope"], ["nope", "bundled: default, mmc"]),
    (["baseline", "--set", "policy.grading.a=2"], ["default.toml", "grading.a", "got 2"]),
    (["baseline", "--set", "policy.routing.sdr_tem=x"], ["routing.sdr_tem", "sdr_team"]),
    (["baseline", "--policy", "mmc"], ["policy 'mmc'", "routing.rules[0].team", "'reps'"]),
    (["baseline", "--replications", "0"], ["--replications", "got 0"]),
    (["baseline", "--days", "0"], ["--days", "got 0"]),
    (["baseline", "--workers", "0"], ["--workers", "got 0"]),
    (["baseline", "--seed", "-1"], ["--seed", "got -1"]),
]


@pytest.mark.parametrize(("arguments", "words"), BAD_RUNS,
                         ids=[" ".join(case[0]) for case in BAD_RUNS])
def test_bad_input_exits_2_with_one_error_line_naming_field_and_value(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str],
        words: list[str]) -> None:
    out = tmp_path / "run"

    # The case's own options come last, so they win over these defaults.
    code = main(["run", "--days", "2", "-n", "1", "-q", "-o", str(out), *arguments])

    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1
    assert all(word in err for word in words), err
    assert not out.exists()


@pytest.mark.parametrize(("override", "path"), [
    ("channels.seo.leads_per_day=inf", "channels.seo.leads_per_day"),
    ("channels.seo.leads_per_day=1e20", "channels.seo.leads_per_day"),
    ("channels.sem.monthly_spend=inf", "channels.sem.monthly_spend"),
    ("volume_scale=inf", "volume_scale"),
    ("start_date=9999-12-31", "start_date"),
    # A customer success team too large to cost in floating point.
    pytest.param(f"customer_success.headcount={10**400}", "customer_success.headcount",
                 id="customer_success.headcount=10**400"),
])
def test_value_the_model_cannot_run_is_bad_input_not_a_crash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, path: str) -> None:
    code = main(["run", "baseline", "--days", "2", "-n", "1", "-q", "-o", str(tmp_path / "run"),
                 "--set", override])

    err = capsys.readouterr().err
    assert code == 2, err
    assert path in err


def test_broken_policy_file_exits_2_naming_file_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (POLICY_DIR / "default.toml").read_text().replace("max_attempts = 6",
                                                             "max_attempts = -6")
    policy = tmp_path / "broken_policy.toml"
    policy.write_text(text)

    code = main(["run", "baseline", "--policy", str(policy), "--days", "2", "-n", "1", "-q",
                 "-o", str(tmp_path / "run")])

    err = capsys.readouterr().err
    assert code == 2
    assert "broken_policy.toml" in err
    assert "follow_up.max_attempts" in err
    assert "-6" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("arguments", [["-n", "abc"], ["--bogus"], ["--days", "1.5"]])
def test_usage_errors_exit_2_without_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str]) -> None:
    code = main(["run", "baseline", *arguments, "-o", str(tmp_path / "run")])

    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "run").exists()


def test_output_path_that_is_a_file_exits_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "taken"
    file.write_text("keep me")

    code = main(["run", "mmc", "--days", "1", "-n", "1", "-q", "-o", str(file)])

    assert code == 2
    assert "--out" in capsys.readouterr().err
    assert file.read_text() == "keep me"


@pytest.mark.parametrize("bad", [
    ["--set", "channels.sem.monthly_spend=-5"],
    ["--policy", "nope"],
    ["--days", "0"],
    # Accepted by the schema but breaks the run: still nothing written may be lost.
    ["--set", "channels.seo.leads_per_day=inf"],
])
def test_failed_run_keeps_an_existing_run_directory_byte_identical(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: list[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", "baseline", "--days", "2", "-n", "1", "-q", "-o", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    code = main(["run", "baseline", "--days", "2", "-n", "1", "-q", "-o", str(out), *bad])

    after = {path.name: path.read_bytes() for path in out.iterdir()}
    err = capsys.readouterr().err
    assert after == before
    assert "Traceback" not in err
    assert code == 2, err


def test_debug_shows_the_traceback_of_bad_input(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    code = main(["--debug", "run", "nope", "-q", "-o", str(tmp_path / "run")])

    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" in err
    assert "InputError" in err
    assert err.strip().splitlines()[-1].startswith("error: nope")


def test_debug_does_not_stick_to_later_commands(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    main(["--debug", "run", "nope", "-q", "-o", str(tmp_path / "run")])
    capsys.readouterr()

    code = main(["run", "nope", "-q", "-o", str(tmp_path / "run")])

    assert code == 2
    assert "Traceback" not in capsys.readouterr().err


# --- validate, listings, schema, help -------------------------------------------------------


def test_validate_accepts_every_bundled_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(SCENARIO_DIR.glob("*.toml")) + sorted(POLICY_DIR.glob("*.toml"))

    code = main(["validate", *map(str, files)])

    out = capsys.readouterr().out
    assert code == 0
    assert out.count("valid scenario") == 3
    assert out.count("valid policy") == len(files) - 3 >= 2
    assert all(f"{file}: valid" in out for file in files)


def test_validate_checks_a_policy_against_a_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(POLICY_DIR / "mmc.toml")

    assert main(["validate", policy, "--scenario", "mmc"]) == 0
    assert main(["validate", policy, "--scenario", "baseline"]) == 2
    assert "routing.rules[0].team" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "words"), [
    ((SCENARIO_DIR / "baseline.toml").read_text().replace("headcount = 8",
                                                          "headcount = 8\nheadcont = 1"),
     ["teams.sdr.headcont", "did you mean 'headcount'"]),
    ("days = = 3\n", ["is not valid TOML"]),
    ("a = 1\n", ["neither a scenario"]),
])
def test_validate_rejects_a_broken_file_with_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
        words: list[str]) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(content)

    code = main(["validate", str(SCENARIO_DIR / "mmc.toml"), str(broken)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "broken.toml" in err
    assert all(word in err for word in words), err
    assert "Traceback" not in err


def test_validate_of_a_missing_file_exits_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "absent.toml")]) == 2
    assert "absent.toml" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "names"), [
    ("scenarios", ["baseline", "mmc", "mmc_patience"]),
    ("policies", ["default", "mmc", "pk_ranking", "sdr_heavy", "speed_first"]),
])
def test_listings_name_the_bundled_files(capsys: pytest.CaptureFixture[str], command: str,
                                         names: list[str]) -> None:
    code = main([command])

    out = capsys.readouterr().out
    assert code == 0
    assert all(name in out for name in names)


@pytest.mark.parametrize(("kind", "fields"), [
    ("scenario", {"channels", "teams", "business_lines", "regions"}),
    ("policy", {"routing"}),
])
def test_schema_prints_json_schema_of_the_file_kind(
        capsys: pytest.CaptureFixture[str], kind: str, fields: set[str]) -> None:
    code = main(["schema", kind])

    schema = json.loads(capsys.readouterr().out)
    assert code == 0
    assert fields <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_schema_of_an_unknown_kind_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["schema", "nope"])

    err = capsys.readouterr().err
    assert code == 2
    assert "'nope'" in err and "scenario, policy" in err


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["scenarios"], ["policies"],
                                     ["schema"], ["export-crm"]])
def test_help_of_each_command_exits_0(capsys: pytest.CaptureFixture[str],
                                      command: list[str]) -> None:
    code = main([*command, "--help"])

    assert code == 0
    assert "Usage" in capsys.readouterr().out
