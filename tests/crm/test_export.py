"""export-crm: a run's event log in the CRM export format, checked two ways.

A hand-written event log pins the meaning of every column exactly. A short baseline run
with the event log checks that the export agrees with what the run itself reported: leads,
won deals and their revenue, touches, and the delays before first contact.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from crm.export import export_crm, monthly_spend
from crm.format import ACTIVITY_COLUMNS, LEAD_COLUMNS, SPEND_COLUMNS
from leadops.cli import main
from leadops.errors import InputError
from scenarios import load_scenario
from sim.arrivals import monthly_cost
from sim.eventlog import COLUMNS, EventLog, Row

FILES = ("leads.csv", "activities.csv", "spend.csv")
DAYS = 20
STAGES = ("created_at", "first_contact_at", "qualified_at", "opportunity_at", "won_at")

# Replication 0: lead 0 is worked by field-1, recycled, claimed by "telesales 2" (a name with
# a space) and won; lead 1 gets a campaign message, then an SDR call still going at the
# horizon, and goes cold. Touch rows are stamped with their start and written when they end.
# Replication 1 must be ignored.
LOG: list[Row] = [
    (0, 1.5, 0, "arrived", "seo", "services", "north", "B", "", "", "new",
     "score=0.420 complexity=high deal=12345.678"),
    (0, 1.5, 0, "assigned", "seo", "services", "north", "B", "field", "field-1", "new",
     "field"),
    (0, 2.0, 1, "arrived", "sem", "software", "south", "A", "", "", "new",
     "score=0.900 complexity=low deal=5000.0"),
    (0, 2.5, 0, "touch", "seo", "services", "north", "B", "field", "field-1", "contacted",
     "kind=attempt via=call outcome=connected rep=field-1"),
    (0, 3.0, 0, "qualified", "seo", "services", "north", "B", "field", "field-1", "qualified",
     "chance=0.500"),
    (0, 4.0, 0, "moved", "seo", "services", "north", "B", "field", "", "qualified",
     "from=private:field-1 to=public:services rule=no_progress"),
    (0, 5.0, 0, "moved", "seo", "services", "north", "B", "telesales", "telesales 2",
     "qualified", "from=public:services to=private:telesales 2 rule=claim"),
    (0, 6.0, 1, "message", "sem", "software", "south", "A", "", "", "new",
     "outcome=no_response campaign=wake up"),
    (0, 6.5, 1, "touch", "sem", "software", "south", "A", "sdr", "", "new",
     "kind=clean via=call outcome=open rep=sdr-1"),
    (0, 8.0, 1, "lost", "sem", "software", "south", "A", "sdr", "", "new", "went_cold"),
    (0, 28.0, 0, "touch", "seo", "services", "north", "B", "telesales", "telesales 2",
     "opportunity", "kind=meeting via=visit outcome=held rep=telesales 2"),
    (0, 30.0, 0, "opportunity", "seo", "services", "north", "B", "telesales", "telesales 2",
     "opportunity", "chance=0.400"),
    (0, 50.0, 0, "won", "seo", "services", "north", "B", "telesales", "", "won",
     "revenue=6172.84"),
    (0, 49.0, 0, "touch", "seo", "services", "north", "B", "telesales", "", "won",
     "kind=meeting via=visit outcome=held rep=telesales 2"),
    (1, 0.5, 0, "arrived", "seo", "services", "north", "C", "", "", "new",
     "score=0.100 complexity=low deal=1.0"),
]


def _cost(channel: str) -> str:
    """One lead of the channel in January: it carries the channel's whole January spend."""
    return f"{monthly_cost(load_scenario('baseline').channels[channel]) * DAYS / 31:.2f}"


EXPECTED_LEADS = [
    ["0", "2026-01-05T01:30:00", "seo", "services", "north", "high", "B", "0.420",
     "2026-01-05T02:30:00", "2026-01-05T03:00:00", "2026-01-06T06:00:00",
     "2026-01-07T02:00:00", "", "12345.678", "telesales", "telesales 2", "1", "seo"],
    ["1", "2026-01-05T02:00:00", "sem", "software", "south", "low", "A", "0.900",
     "2026-01-05T06:30:00", "", "", "", "2026-01-05T08:00:00", "", "", "", "0", "sem"],
]
EXPECTED_ACTIVITIES = [
    ["0", "2026-01-05T02:30:00", "call", "field-1", "connected"],
    ["1", "2026-01-05T06:00:00", "message", "", "no_response"],
    ["1", "2026-01-05T06:30:00", "call", "sdr-1", ""],
    ["0", "2026-01-06T04:00:00", "visit", "telesales 2", "held"],
    ["0", "2026-01-07T01:00:00", "visit", "telesales 2", "held"],
]


def write_log(path: Path, rows: list[Row]) -> None:
    log = EventLog(path)
    for row in rows:
        log.write(row)
    log.close()


def write_summary(run_dir: Path, replications: int = 2) -> None:
    scenario = load_scenario("baseline").model_dump(mode="json")
    document = {"replications": replications, "days": DAYS, "inputs": {"scenario": scenario}}
    (run_dir / "summary.json").write_text(json.dumps(document), encoding="utf-8")


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def read_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def contents(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in FILES}


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    run_dir = tmp_path / "crafted"
    run_dir.mkdir()
    write_summary(run_dir)
    write_log(run_dir / "events.csv.gz", LOG)
    return run_dir


# --- the meaning of each column, on a hand-written log --------------------------------------


def test_crafted_log_gives_the_exact_leads_and_activities(crafted: Path, tmp_path: Path) -> None:
    written = export_crm(crafted, tmp_path / "out")

    leads = read_rows(tmp_path / "out" / "leads.csv")
    expected = [row[:-1] + [_cost(row[-1])] for row in EXPECTED_LEADS]
    assert leads == [list(LEAD_COLUMNS), *expected]
    assert read_rows(tmp_path / "out" / "activities.csv") == [list(ACTIVITY_COLUMNS),
                                                              *EXPECTED_ACTIVITIES]
    assert (written.leads, written.won, written.activities) == (2, 1, 5)


def test_spend_rows_are_the_costly_channels_of_each_month(crafted: Path, tmp_path: Path) -> None:
    export_crm(crafted, tmp_path / "out")

    rows = read_rows(tmp_path / "out" / "spend.csv")
    channels = load_scenario("baseline").channels
    costly = [name for name, channel in channels.items() if monthly_cost(channel) > 0]
    assert rows[0] == list(SPEND_COLUMNS)
    assert rows[1:] == [["2026-01", name, _cost(name)] for name in costly]


def test_monthly_spend_gives_full_months_the_monthly_cost() -> None:
    scenario = load_scenario("baseline")
    seo = monthly_cost(scenario.channels["seo"])

    spend = {(month, channel): amount
             for month, channel, amount in monthly_spend(scenario, 27 + 28 + 10)}

    assert spend["2026-01", "seo"] == pytest.approx(seo * 27 / 31)  # from January 5
    assert spend["2026-02", "seo"] == pytest.approx(seo)
    assert spend["2026-03", "seo"] == pytest.approx(seo * 10 / 31)
    assert {month for month, _ in spend} == {"2026-01", "2026-02", "2026-03"}


def test_csv_and_parquet_logs_give_byte_identical_exports(crafted: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    shutil.copy(crafted / "summary.json", parquet)
    write_log(parquet / "events.parquet", LOG)

    export_crm(crafted, tmp_path / "from-csv")
    export_crm(parquet, tmp_path / "from-parquet")

    assert contents(tmp_path / "from-csv") == contents(tmp_path / "from-parquet")


def test_the_other_replication_has_only_its_own_leads(crafted: Path, tmp_path: Path) -> None:
    written = export_crm(crafted, tmp_path / "out", replication=1)

    leads = read_dicts(tmp_path / "out" / "leads.csv")
    assert [(lead["lead_id"], lead["grade"], lead["first_contact_at"]) for lead in leads] == [
        ("0", "C", "")]
    assert written.activities == 0


# --- errors: exit 2, one clear line, nothing written ----------------------------------------


def _no_summary(run_dir: Path) -> None:
    (run_dir / "summary.json").unlink()


def _no_log(run_dir: Path) -> None:
    (run_dir / "events.csv.gz").unlink()


def _broken_gzip(run_dir: Path) -> None:
    (run_dir / "events.csv.gz").write_bytes(b"\x1f\x8b\x08\x00broken")


def _bad_header(run_dir: Path) -> None:
    with gzip.open(run_dir / "events.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write("time,lead\n1,2\n")


def _old_log(run_dir: Path) -> None:
    old = [(*row[:-1], "score=0.420") if row[3] == "arrived" else row for row in LOG]
    write_log(run_dir / "events.csv.gz", old)


def _orphan_row(run_dir: Path) -> None:
    write_log(run_dir / "events.csv.gz", [row for row in LOG if row[3] != "arrived"])


def _bad_summary(run_dir: Path) -> None:
    (run_dir / "summary.json").write_text("{not json", encoding="utf-8")


def _no_scenario(run_dir: Path) -> None:
    (run_dir / "summary.json").write_text('{"replications": 2, "days": 20}', encoding="utf-8")


@pytest.mark.parametrize(("damage", "options", "message"), [
    (_no_summary, [], "no summary.json"),
    (_no_log, [], "run with --events"),
    (_broken_gzip, [], "events.csv.gz: cannot be read"),
    (_bad_header, [], "line 1: the header must be " + ",".join(COLUMNS)),
    (_old_log, [], "line 2: an 'arrived' row needs complexity, deal"),
    (_orphan_row, [], "line 2: lead 0 appears ('assigned') before its 'arrived' row"),
    (_bad_summary, [], "summary.json: cannot be read as JSON"),
    (_no_scenario, [], "inputs.scenario: is missing"),
    (None, ["--replication", "2"], "--replication: must be between 0 and 1"),
    (None, ["--replication", "-1"], "--replication: must be between 0 and 1"),
])
def test_bad_run_directories_exit_2_and_write_nothing(
        crafted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: Any,
        options: list[str], message: str) -> None:
    if damage is not None:
        damage(crafted)
    out = tmp_path / "out"

    code = main(["export-crm", str(crafted), "-o", str(out), *options])

    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_missing_run_directory_exits_2(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export-crm", str(tmp_path / "nowhere")])

    assert code == 2
    assert "nowhere: no such run directory" in capsys.readouterr().err


def test_a_failed_export_leaves_an_earlier_export_byte_identical(crafted: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_crm(crafted, out)
    before = contents(out)
    bad = [*LOG[:4], (0, 9.0, 0, "touch", "seo", "services", "north", "B", "", "", "new",
                      "kind=attempt outcome=connected rep=x")]
    write_log(crafted / "events.csv.gz", bad)

    with pytest.raises(InputError, match="line 6: a touch needs"):
        export_crm(crafted, out)

    assert contents(out) == before
    assert sorted(path.name for path in out.iterdir()) == sorted(FILES)


# --- faithful to the run: a short baseline run with the event log ---------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    code = main(["run", "baseline", "--days", str(DAYS), "-n", "2", "--seed", "3", "-q",
                 "-o", str(out), "--events"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "crm"
    assert main(["export-crm", str(run_dir), "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def leads(exported: Path) -> list[dict[str, str]]:
    return read_dicts(exported / "leads.csv")


@pytest.fixture(scope="module")
def activities(exported: Path) -> list[dict[str, str]]:
    return read_dicts(exported / "activities.csv")


def replication_kpis(run_dir: Path, replication: int) -> dict[str, float]:
    row = read_dicts(run_dir / "replications.csv")[replication]
    return {name: float(value) for name, value in row.items() if value != ""}


def hours_between(start: str, end: str) -> float:
    span = dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)
    return span.total_seconds() / 3600.0


def test_the_command_reports_what_it_wrote(run_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    kpis = replication_kpis(run_dir, 1)

    code = main(["export-crm", str(run_dir), "-o", str(tmp_path / "crm"), "--replication", "1"])

    out = capsys.readouterr().out
    assert code == 0
    assert f"wrote {int(kpis['leads'])} leads ({int(kpis['won'])} won)" in out
    assert "of replication 1" in out
    assert len(read_dicts(tmp_path / "crm" / "leads.csv")) == kpis["leads"]


def test_default_output_is_the_crm_folder_of_the_run(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)

    assert main(["export-crm", str(copy)]) == 0

    assert sorted(path.name for path in (copy / "crm").iterdir()) == sorted(FILES)


def test_one_row_per_arrived_lead(run_dir: Path, leads: list[dict[str, str]]) -> None:
    assert len(leads) == replication_kpis(run_dir, 0)["leads"]
    assert [lead["lead_id"] for lead in leads] == [str(n) for n in range(len(leads))]
    assert {lead["complexity"] for lead in leads} <= {"low", "medium", "high"}
    assert all(lead["grade"] in "ABCD" and 0 <= float(lead["score"]) <= 1 for lead in leads)


def test_won_deals_and_their_revenue_agree_with_the_run(
        run_dir: Path, leads: list[dict[str, str]]) -> None:
    kpis = replication_kpis(run_dir, 0)
    scenario = load_scenario("baseline")
    won = [lead for lead in leads if lead["won_at"]]

    revenue = sum(float(lead["deal_value"]) * scenario.business_lines[
        lead["business_line"]].gross_margin for lead in won)

    assert len(won) == kpis["won"] > 0
    assert revenue == pytest.approx(kpis["revenue"] - kpis["repeat_revenue"], rel=1e-9)
    assert all(lead["deal_value"] == "" for lead in leads if not lead["won_at"])


def test_stage_timestamps_follow_the_funnel(leads: list[dict[str, str]]) -> None:
    for lead in leads:
        stamps = [dt.datetime.fromisoformat(lead[column]) for column in STAGES if lead[column]]
        assert stamps == sorted(stamps), lead
        if lead["qualified_at"]:
            assert lead["first_contact_at"]
    assert not any(lead["won_at"] and lead["lost_at"] for lead in leads)


def test_first_contact_is_the_start_of_the_first_touch_by_a_rep(
        leads: list[dict[str, str]], activities: list[dict[str, str]]) -> None:
    first: dict[str, str] = {}
    for activity in activities:
        if activity["kind"] != "message":
            lead_id = activity["lead_id"]
            first[lead_id] = min(first.get(lead_id, activity["at"]), activity["at"])

    assert {activity["lead_id"] for activity in activities} <= {
        lead["lead_id"] for lead in leads}
    assert {lead["lead_id"]: lead["first_contact_at"] for lead in leads
            if lead["first_contact_at"]} == first


def test_delays_before_first_contact_agree_with_the_run(
        run_dir: Path, leads: list[dict[str, str]]) -> None:
    delays = [hours_between(lead["created_at"], lead["first_contact_at"]) for lead in leads
              if lead["first_contact_at"]]

    # Timestamps are to the second, so the mean may be off by half a second.
    assert sum(delays) / len(delays) == pytest.approx(
        replication_kpis(run_dir, 0)["first_contact_hours_mean"], abs=1 / 7200)


def test_finished_touches_agree_with_the_run(run_dir: Path,
                                             activities: list[dict[str, str]]) -> None:
    kpis = replication_kpis(run_dir, 0)
    # Touches that never ended (open at the horizon, or interrupted) are not counted by the run.
    finished = [a for a in activities if a["outcome"] not in ("", "interrupted")]

    assert len(finished) == round(kpis["touches_per_lead"] * kpis["leads"])
    assert {a["kind"] for a in activities} <= {"call", "visit", "message"}
    assert {a["outcome"] for a in activities if a["kind"] == "visit"} <= {
        "held", "no_show", "opted_out", "interrupted", ""}


def test_lead_costs_add_up_to_the_spend_of_their_month(
        exported: Path, leads: list[dict[str, str]]) -> None:
    spend = {row["channel"]: float(row["amount"]) for row in read_dicts(exported / "spend.csv")}
    by_channel: dict[str, list[float]] = {}
    for lead in leads:
        if lead["cost"]:
            by_channel.setdefault(lead["channel"], []).append(float(lead["cost"]))

    assert set(by_channel) == set(spend)
    for channel, costs in by_channel.items():
        assert sum(costs) == pytest.approx(spend[channel], abs=0.005 * len(costs))


def test_a_second_export_is_byte_identical(run_dir: Path, exported: Path,
                                           tmp_path: Path) -> None:
    export_crm(run_dir, tmp_path / "again")

    assert contents(tmp_path / "again") == contents(exported)


def test_recycled_leads_agree_with_the_run(run_dir: Path, leads: list[dict[str, str]]) -> None:
    recycled = sum(int(lead["recycled_count"]) > 0 for lead in leads)

    assert recycled / len(leads) == pytest.approx(
        replication_kpis(run_dir, 0)["recycled_rate"], abs=1e-9)
    assert recycled > 0
