"""Reading CRM exports: every kind of bad row is counted by line, or stops --strict."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm.reader import (
    CrmDataError,
    ReadReport,
    read_activities,
    read_leads,
    read_spend,
)

HEADER = "lead_id,created_at,channel,business_line,won_at,deal_value,complexity,score\n"
GOOD = "L1,2026-01-05T09:30:00,web,core,2026-02-01T10:00:00,1200,low,0.4\n"


def write(tmp_path: Path, text: str, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_all(path: Path, **options: object) -> tuple[list, ReadReport]:
    report = ReadReport(path)
    return list(read_leads(path, report=report, **options)), report  # type: ignore[arg-type]


def test_a_good_row_becomes_a_record(tmp_path: Path) -> None:
    records, report = read_all(write(tmp_path, HEADER + GOOD))
    assert report.rows == report.kept == 1
    record = records[0]
    assert record.line == 2 and record.lead_id == "L1" and record.channel == "web"
    assert record.created_at == dt.datetime(2026, 1, 5, 9, 30)
    assert record.won_at == dt.datetime(2026, 2, 1, 10)
    assert record.deal_value == 1200.0 and record.complexity == "low" and record.score == 0.4
    assert record.first_contact_at is None and record.region is None


def test_offsets_are_dropped_and_wall_clock_kept(tmp_path: Path) -> None:
    text = HEADER + "L1,2026-01-05T09:30:00+02:00,web,core,,,,\nL2,2026-01-05T10:00Z,web,core,,,,\n"
    records, _ = read_all(write(tmp_path, text))
    assert [r.created_at.hour for r in records] == [9, 10]
    assert all(r.created_at.tzinfo is None for r in records)


@pytest.mark.parametrize(("row", "kind"), [
    ("L2,05/01/2026 9am,web,core,,,,\n", "bad_date"),
    ("L2,2026-01-05,,core,,,,\n", "unknown_channel"),
    ("L2,2026-01-05,web,core,2025-12-01,,,\n", "won_before_created"),
    ("L1,2026-01-06,web,core,,,,\n", "duplicate_id"),
    ("L2,2026-01-05,web,core,,-3,,\n", "bad_number"),
    ("L2,2026-01-05,web,core,,abc,,\n", "bad_number"),
    ("L2,2026-01-05,web,core,,,,1.7\n", "bad_number"),
    ("L2,2026-01-05,web,,,,,\n", "missing_value"),
    ("L2,2026-01-05,web,core,,,huge,\n", "bad_complexity"),
])
def test_each_kind_of_bad_row_is_counted_with_its_line(tmp_path: Path, row: str,
                                                       kind: str) -> None:
    records, report = read_all(write(tmp_path, HEADER + GOOD + row))
    assert [r.lead_id for r in records] == ["L1"]
    assert report.problems == {kind: 1}
    assert report.examples[kind] == [3]
    assert report.skipped == 1
    assert f"{kind}" in report.summary() and "line 3" in report.summary()


def test_strict_stops_at_the_first_bad_row_naming_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "L2,not-a-date,web,core,,,,\n")
    with pytest.raises(CrmDataError) as caught:
        read_all(path, strict=True)
    message = str(caught.value)
    assert "leads.csv" in message and "line 3: created_at" in message
    assert "'not-a-date'" in message


def test_channels_outside_a_known_list_are_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "L2,2026-01-05,fax,core,,,,\n")
    records, report = read_all(path, channels=["web"])
    assert [r.lead_id for r in records] == ["L1"]
    assert report.problems == {"unknown_channel": 1}


def test_until_keeps_leads_created_before_it(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "L2,2026-03-01,web,core,,,,\n")
    records, report = read_all(path, until=dt.datetime(2026, 2, 1))
    assert [r.lead_id for r in records] == ["L1"]
    assert report.excluded == 1 and report.skipped == 0


def test_a_missing_required_column_names_the_column(tmp_path: Path) -> None:
    path = write(tmp_path, "lead_id,created_at,business_line\nL1,2026-01-05,core\n")
    with pytest.raises(CrmDataError) as caught:
        read_all(path)
    assert "'channel'" in str(caught.value) and "column channel" in str(caught.value)


@pytest.mark.parametrize("content", [b"PK\x03\x04\x00\x00binary", b""])
def test_a_file_that_is_not_a_csv_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    with pytest.raises(CrmDataError) as caught:
        read_all(path)
    assert "leads.csv" in str(caught.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CrmDataError, match="no such file"):
        read_all(tmp_path / "nope.csv")


def test_activities_check_kind_and_time(tmp_path: Path) -> None:
    path = write(tmp_path, "lead_id,at,kind,rep_id,outcome\n"
                           "L1,2026-01-05T10:00,call,r1,Connected\n"
                           "L1,2026-01-05T11:00,fax,r1,\n"
                           "L1,yesterday,call,r1,\n", "activities.csv")
    report = ReadReport(path)
    records = list(read_activities(path, report=report))
    assert len(records) == 1 and records[0].outcome == "connected"
    assert report.problems == {"unknown_kind": 1, "bad_date": 1}


def test_spend_reads_months(tmp_path: Path) -> None:
    path = write(tmp_path, "month,channel,amount\n2026-01,sem,1000\n2026-13,sem,5\n"
                           "2026-02,sem,\n", "spend.csv")
    report = ReadReport(path)
    records = read_spend(path, report=report)
    assert [(r.month, r.amount) for r in records] == [(dt.date(2026, 1, 1), 1000.0)]
    assert report.problems == {"bad_month": 1, "missing_value": 1}
