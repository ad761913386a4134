"""The event log: csv.gz and Parquet writing, streaming in batches, joining of parts."""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tiny import CLOSERS, SURE, Tiny, team

from leadops import api
from sim import eventlog
from sim.eventlog import COLUMNS, EventLog, Row, join_parts, read_csv_events
from sim.runs import run_many


def _rows(count: int, replication: int = 0) -> list[Row]:
    return [
        (replication, round(0.25 * n, 6), n, "arrived" if n % 3 == 0 else "attempt", "seo",
         "software", "north", "B", "telesales" if n % 3 else "", f"telesales-{n % 2 + 1}",
         "new", f"score={n / 100:.3f}")
        for n in range(count)
    ]


def _as_text(row: Row) -> dict[str, str]:
    return {name: str(value) for name, value in zip(COLUMNS, row, strict=True)}


def _as_record(row: Row) -> dict[str, object]:
    return dict(zip(COLUMNS, row, strict=True))


def _write(path: Path, rows: list[Row], *, header: bool = True) -> EventLog:
    log = EventLog(path, header=header)
    for row in rows:
        log.write(row)
    log.close()
    return log


# One file -----------------------------------------------------------------------------------


def test_csv_log_round_trips(tmp_path: Path) -> None:
    rows = _rows(7)
    log = _write(tmp_path / "events.csv.gz", rows)

    assert log.count == 7
    assert read_csv_events(tmp_path / "events.csv.gz") == [_as_text(row) for row in rows]


def test_the_same_rows_make_the_same_csv_bytes_at_any_time(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a" / "events.csv.gz", _rows(5))
    with open(tmp_path / "a" / "events.csv.gz", "rb") as handle:
        assert handle.read(8)[4:8] == bytes(4)  # no timestamp in the gzip header
    _write(tmp_path / "b" / "events.csv.gz", _rows(5))
    first = (tmp_path / "a" / "events.csv.gz").read_bytes()
    assert first == (tmp_path / "b" / "events.csv.gz").read_bytes()


def test_parquet_log_round_trips_with_typed_columns(tmp_path: Path) -> None:
    rows = _rows(7)
    _write(tmp_path / "events.parquet", rows)

    table = pq.read_table(tmp_path / "events.parquet")

    assert table.column_names == list(COLUMNS)
    assert table.schema.field("replication").type == pa.int32()
    assert table.schema.field("time_hours").type == pa.float64()
    assert table.schema.field("lead_id").type == pa.int64()
    assert table.schema.field("detail").type == pa.string()
    assert table.to_pylist() == [_as_record(row) for row in rows]


def test_empty_logs_are_readable(tmp_path: Path) -> None:
    _write(tmp_path / "events.csv.gz", [])
    _write(tmp_path / "events.parquet", [])

    assert read_csv_events(tmp_path / "events.csv.gz") == []
    with gzip.open(tmp_path / "events.csv.gz", "rt", encoding="utf-8") as handle:
        assert handle.read().strip() == ",".join(COLUMNS)
    table = pq.read_table(tmp_path / "events.parquet")
    assert table.num_rows == 0 and table.column_names == list(COLUMNS)


def test_csv_part_without_header_holds_only_rows(tmp_path: Path) -> None:
    _write(tmp_path / "part.csv.gz", _rows(2), header=False)
    with gzip.open(tmp_path / "part.csv.gz", "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert len(lines) == 2 and not lines[0].startswith("replication")


# Streaming ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv.gz", ".parquet"])
def test_rows_are_flushed_every_flush_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           suffix: str) -> None:
    monkeypatch.setattr(eventlog, "FLUSH_ROWS", 4)
    log = EventLog(tmp_path / f"events{suffix}")
    buffered = []

    for row in _rows(10):
        log.write(row)
        buffered.append(len(log.rows))
    flushed_before_close = log.count
    log.close()

    assert max(buffered) == 3
    assert buffered == [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]
    assert flushed_before_close == 8
    assert log.count == 10 and log.rows == []


def test_parquet_batches_become_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.setattr(eventlog, "FLUSH_ROWS", 4)
    rows = _rows(10)
    _write(tmp_path / "events.parquet", rows)

    source = pq.ParquetFile(tmp_path / "events.parquet")

    assert [source.metadata.row_group(i).num_rows for i in range(source.num_row_groups)] \
        == [4, 4, 2]
    assert source.read().to_pylist() == [_as_record(row) for row in rows]


def test_default_batch_never_holds_more_than_flush_rows(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.csv.gz")
    row = _rows(1)[0]
    for _ in range(eventlog.FLUSH_ROWS + 5):
        log.write(row)
        assert len(log.rows) < eventlog.FLUSH_ROWS
    assert log.count == eventlog.FLUSH_ROWS and len(log.rows) == 5
    log.close()
    assert log.count == eventlog.FLUSH_ROWS + 5


# Joining parts ----------------------------------------------------------------------------------


def _parts(tmp_path: Path, suffix: str, sizes: list[int]) -> tuple[list[Path], list[Row]]:
    parts, rows = [], []
    for replication, size in enumerate(sizes):
        part = tmp_path / f"part-{replication:05d}{suffix}"
        part_rows = _rows(size, replication)
        _write(part, part_rows, header=replication == 0)
        parts.append(part)
        rows.extend(part_rows)
    return parts, rows


def test_joined_csv_keeps_order_and_one_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.setattr(eventlog, "FLUSH_ROWS", 3)
    parts, rows = _parts(tmp_path, ".csv.gz", [5, 0, 7, 2])
    target = tmp_path / "events.csv.gz"

    join_parts(parts, target)

    assert read_csv_events(target) == [_as_text(row) for row in rows]
    with gzip.open(target, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert sum(line.startswith("replication,") for line in lines) == 1
    assert len(lines) == 1 + len(rows)


def test_joined_parquet_keeps_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventlog, "FLUSH_ROWS", 3)
    parts, rows = _parts(tmp_path, ".parquet", [5, 0, 7, 2])
    target = tmp_path / "events.parquet"

    join_parts(parts, target)

    assert pq.read_table(target).to_pylist() == [_as_record(row) for row in rows]


# The log of a run --------------------------------------------------------------------------------


def _normalised(records: Sequence[Mapping[str, object]]) -> list[tuple[str, ...]]:
    """Rows as text, so that csv and Parquet logs compare."""
    return [tuple(str(record[name]) for name in COLUMNS) for record in records]


def test_run_log_is_the_same_in_both_formats_and_traces_every_lead(tmp_path: Path) -> None:
    setup = api.prepare("mmc_patience")
    csv_run = run_many(setup.scenario, setup.policy, replications=3, seed=2, days=2,
                       events=tmp_path / "events.csv.gz")
    run_many(setup.scenario, setup.policy, replications=3, seed=2, days=2, workers=2,
             events=tmp_path / "events.parquet")

    csv_rows = read_csv_events(tmp_path / "events.csv.gz")
    parquet_rows = pq.read_table(tmp_path / "events.parquet").to_pylist()
    assert _normalised(csv_rows) == _normalised(parquet_rows)

    replications = [int(row["replication"]) for row in parquet_rows]
    assert replications == sorted(replications) and set(replications) == {0, 1, 2}
    for result in csv_run.replications:
        own = [row for row in parquet_rows if row["replication"] == result.replication]
        arrivals = [row for row in own if row["event"] == "arrived"]
        assert len(arrivals) == result.census["arrived"]
        assert [row["lead_id"] for row in arrivals] == list(range(len(arrivals)))
        assert sum(row["event"] == "lost" for row in own) == result.census["lost"]
        first_seen: dict[object, str] = {}
        for row in own:
            first_seen.setdefault(row["lead_id"], str(row["event"]))
        assert set(first_seen.values()) == {"arrived"}


# What the model writes about each touch ----------------------------------------------------------


def _touches(tiny: Tiny, label: str) -> list[tuple[float, dict[str, str]]]:
    """(start, detail fields) of a lead's touch rows."""
    found = []
    for time, _, detail in tiny.events(label, "touch"):
        head, _, rep = detail.partition(" rep=")
        found.append((time, {**dict(part.split("=", 1) for part in head.split()), "rep": rep}))
    return found


def test_each_touch_is_stamped_with_its_start_and_names_kind_outcome_and_rep(
        tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, {"teams.sales": team(**CLOSERS, role="field")})
    tiny.arrive(0.0, "sure", propensity=SURE)
    tiny.run()

    touches = _touches(tiny, "sure")
    assert [(f["kind"], f["via"], f["outcome"]) for _, f in touches] == [
        ("attempt", "call", "connected"), ("meeting", "visit", "held"),
        ("meeting", "visit", "held")]
    assert touches[0] == (0.0, {"kind": "attempt", "via": "call", "outcome": "connected",
                                "rep": touches[0][1]["rep"]})
    assert touches[0][1]["rep"] in {"sales-1", "sales-2"}
    # One-hour touches: qualified and won when the first and the last touch end.
    assert tiny.events("sure", "qualified")[0][0] == touches[0][0] + 1.0
    assert tiny.events("sure", "won")[0][0] == touches[-1][0] + 1.0
    # The touch row is written when the touch ends, after the rows of its outcome.
    events = [event for _, event, _ in tiny.events("sure")]
    assert events[-2:] == ["won", "touch"]


def test_arrival_rows_carry_complexity_and_the_exact_deal_value(tmp_path: Path) -> None:
    tiny = Tiny(tmp_path)
    tiny.arrive(0.0, "a", score=0.25)
    tiny.run()

    assert tiny.events("a", "arrived") == [(0.0, "arrived",
                                            "score=0.250 complexity=low deal=1000.0")]


def test_a_meeting_the_customer_misses_is_a_no_show(tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, {"teams.sales": team(**{**CLOSERS, "meeting_show_rate": 0.0})})
    tiny.arrive(0.0, "sure", propensity=SURE)
    tiny.run()

    outcomes = [(f["kind"], f["outcome"]) for _, f in _touches(tiny, "sure")]
    assert outcomes[0] == ("attempt", "connected")
    assert outcomes[1:] and set(outcomes[1:]) == {("meeting", "no_show")}
    assert tiny.events("sure", "lost")[0][2] == "went_dark"


def test_a_touch_still_going_at_the_horizon_is_logged_open_when_it_starts(
        tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, days=1)
    tiny.arrive(23.5, "late")
    tiny.run()

    touches = _touches(tiny, "late")
    assert [(time, f["outcome"]) for time, f in touches] == [(23.5, "open")]
    assert tiny.lead("late").first_contact_at == 23.5
