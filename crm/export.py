"""export-crm: one replication of a run's event log, written in the CRM export format.

A run directory written with ``--events`` holds ``summary.json`` (with the full scenario)
and ``events.parquet`` or ``events.csv.gz``. The export reads the log once, in order, keeps
a small record per lead of the chosen replication only, streams each activity straight to
disk, and writes three files into the output directory:

- ``leads.csv``: one row per lead, in arrival order. Grade and score are those at arrival
  (the score to three decimals, as logged); each stage timestamp is the first time the lead
  reached the stage; ``first_contact_at`` is when the first touch by a rep (SDR cleaning
  included) started; ``deal_value`` is the deal value of a won lead before margin;
  ``owner_id`` and ``owner_team`` name the last rep who owned the lead (both empty for a
  lead no rep ever owned, such as one still waiting for SDR cleaning); ``recycled_count``
  counts its moves into a public pool; ``cost`` is the channel's cost of the lead's month
  shared equally by that month's leads of the channel (empty for channels without cost).
- ``activities.csv``: one row per touch, in the order of the log, where a rep's touch is
  logged when it ends. ``at`` is when the touch started. ``kind`` is visit for a field
  team's meetings, call for every other touch by a rep, and message for campaign messages
  (no rep). ``outcome`` is connected or no_answer (cleaning calls and contact attempts),
  held or no_show (meetings), opted_out, interrupted (the lead was taken away during the
  touch), responded or no_response (messages), and empty for a touch still going at the
  horizon.
- ``spend.csv``: each channel's cost per calendar month of the horizon (fixed cost plus media
  spend, as one amount), for channels that cost anything. A month the horizon covers fully
  carries the monthly figure; a partial month its share of the month's calendar days. Staff
  and campaign costs are not channel spend and are not in the file.

Timestamps are wall-clock times without a timezone, to the second: the scenario's start date
at midnight plus the simulated hours. The three files are written to temporary names and
moved into place only after all three are complete; the same run directory gives
byte-identical files.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import datetime as dt
import gzip
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from crm.format import (
    ACTIVITIES_FILE,
    ACTIVITY_COLUMNS,
    LEAD_COLUMNS,
    LEADS_FILE,
    SPEND_COLUMNS,
    SPEND_FILE,
)
from leadops.atomic import atomic_path
from leadops.errors import InputError
from scenarios.files import validate_model
from scenarios.schema import Scenario
from sim.arrivals import monthly_cost
from sim.eventlog import COLUMNS as EVENT_COLUMNS

SUMMARY_FILE = "summary.json"
EVENT_FILES = ("events.parquet", "events.csv.gz")
STAGE_EVENTS = ("qualified", "opportunity", "won", "lost")
PARQUET_BATCH_ROWS = 8_192


@dataclass(frozen=True)
class RunInputs:
    """What the export needs from a run directory."""

    scenario: Scenario
    days: int
    replications: int
    events: Path


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    out_dir: Path
    replication: int
    leads: int
    won: int
    activities: int
    spend_rows: int


class LogRow(NamedTuple):
    """One event-log row; ``number`` is its line in the CSV file (row in a Parquet file)."""

    number: int
    replication: int
    hours: float
    lead_id: int
    event: str
    channel: str
    business_line: str
    region: str
    grade: str
    team: str
    owner: str
    stage: str
    detail: str


def export_crm(run_dir: Path, out_dir: Path, replication: int = 0) -> ExportResult:
    """Write leads.csv, activities.csv and spend.csv of one replication of a run."""
    run = open_run(run_dir, replication)
    _check_out_dir(out_dir)
    origin = dt.datetime.combine(run.scenario.start_date, dt.time())
    with _all_or_none(out_dir, (LEADS_FILE, ACTIVITIES_FILE, SPEND_FILE)) as scratch:
        with scratch[ACTIVITIES_FILE].open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(ACTIVITY_COLUMNS)
            book = LeadBook(origin, writer)
            for row in read_events(run.events, replication):
                book.apply(row, run.events)
        spend = monthly_spend(run.scenario, run.days)
        _write_csv(scratch[SPEND_FILE], SPEND_COLUMNS,
                   ([month, channel, _money(amount)] for month, channel, amount in spend))
        costs = {(month, channel): amount for month, channel, amount in spend}
        _write_csv(scratch[LEADS_FILE], LEAD_COLUMNS, book.lead_rows(costs))
    return ExportResult(out_dir, replication, len(book.leads), book.won(), book.activities,
                        len(spend))


# --- the run directory ---------------------------------------------------------------------


def open_run(run_dir: Path, replication: int) -> RunInputs:
    """Check the run directory and read its summary; errors name the file and the fix."""
    if not run_dir.is_dir():
        raise InputError("no such run directory", file=str(run_dir))
    summary_path = run_dir / SUMMARY_FILE
    if not summary_path.is_file():
        raise InputError(f"no {SUMMARY_FILE}: not a run directory written by leadops run",
                         file=str(run_dir))
    summary = _read_summary(summary_path)
    events = next((run_dir / name for name in EVENT_FILES if (run_dir / name).is_file()), None)
    if events is None:
        raise InputError(f"no event log ({' or '.join(EVENT_FILES)}): run with --events",
                         file=str(run_dir))
    replications = _whole_number(summary, "replications", summary_path)
    if not 0 <= replication < replications:
        raise InputError(f"must be between 0 and {replications - 1} (the run has "
                         f"{replications} replications), got {replication}",
                         path="--replication")
    scenario = validate_model(Scenario, _scenario_document(summary, summary_path),
                              file=f"{summary_path}: inputs.scenario")
    return RunInputs(scenario, _whole_number(summary, "days", summary_path), replications,
                     events)


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot be read as JSON: {exc}", file=str(path)) from None
    if not isinstance(document, dict):
        raise InputError("must hold a JSON object", file=str(path))
    return document


def _whole_number(summary: dict[str, Any], field: str, path: Path) -> int:
    value = summary.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"must be a whole number >= 1, got {value!r}", file=str(path),
                         path=field)
    return value


def _scenario_document(summary: dict[str, Any], path: Path) -> dict[str, Any]:
    inputs = summary.get("inputs")
    scenario = inputs.get("scenario") if isinstance(inputs, dict) else None
    if not isinstance(scenario, dict):
        raise InputError("is missing: the run was written by an older leadops; run it again",
                         file=str(path), path="inputs.scenario")
    return scenario


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("must be a directory, but a file of that name exists",
                         file=str(out_dir), path="--out")


# --- reading the event log -----------------------------------------------------------------


def read_events(path: Path, replication: int) -> Iterator[LogRow]:
    """The rows of one replication, in log order; reading stops after its last row."""
    rows = _parquet_rows(path) if path.suffix == ".parquet" else _csv_rows(path)
    try:
        for row in rows:
            if row.replication == replication:
                yield row
            elif row.replication > replication:
                return  # parts are joined in replication order
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot be read: {exc}", file=str(path)) from None
    except ValueError as exc:  # pyarrow's errors of a damaged file derive from ValueError
        raise InputError(f"cannot be read: {exc}", file=str(path)) from None


def _csv_rows(path: Path) -> Iterator[LogRow]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header) != EVENT_COLUMNS:
            raise InputError(f"line 1: the header must be {','.join(EVENT_COLUMNS)}, got "
                             f"{','.join(header or [])!r}", file=str(path))
        for number, cells in enumerate(reader, start=2):
            yield _typed_row(number, cells, path)


def _typed_row(number: int, cells: list[str], path: Path) -> LogRow:
    if len(cells) != len(EVENT_COLUMNS):
        raise InputError(f"line {number}: must have {len(EVENT_COLUMNS)} cells, got "
                         f"{len(cells)}", file=str(path))
    try:
        return LogRow(number, int(cells[0]), float(cells[1]), int(cells[2]), *cells[3:])
    except ValueError:
        raise InputError(f"line {number}: replication, time_hours and lead_id must be "
                         f"numbers, got {cells[:3]!r}", file=str(path)) from None


def _parquet_rows(path: Path) -> Iterator[LogRow]:
    import pyarrow.parquet as pq

    number = 0
    source = pq.ParquetFile(path)
    for batch in source.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=list(EVENT_COLUMNS)):
        columns = [batch.column(name).to_pylist() for name in EVENT_COLUMNS]
        for values in zip(*columns, strict=True):
            number += 1
            yield LogRow(number, *values)


# --- per-lead records ----------------------------------------------------------------------


class LeadTrail:
    """What the export keeps of one lead while reading the log (times in hours)."""

    __slots__ = ("lead_id", "created", "channel", "business_line", "region", "complexity",
                 "grade", "score", "deal", "first_contact", "stages", "owner_team",
                 "owner_id", "recycled")

    def __init__(self, row: LogRow, details: dict[str, str]):
        self.lead_id = row.lead_id
        self.created = row.hours
        self.channel, self.business_line, self.region = row.channel, row.business_line, \
            row.region
        self.grade = row.grade
        self.score, self.complexity, self.deal = (details["score"], details["complexity"],
                                                  details["deal"])
        self.first_contact: float | None = None
        self.stages: dict[str, float] = {}
        self.owner_team = self.owner_id = ""
        self.recycled = 0


class LeadBook:
    """Applies the rows of one replication: lead records in memory, activities to ``writer``."""

    def __init__(self, origin: dt.datetime, writer: Any):
        self.origin = origin
        self.writer = writer
        self.leads: dict[int, LeadTrail] = {}
        self.activities = 0

    def apply(self, row: LogRow, path: Path) -> None:
        if row.event == "arrived":
            self.leads[row.lead_id] = LeadTrail(row, _arrival_details(row, path))
            return
        lead = self.leads.get(row.lead_id)
        if lead is None:
            raise InputError(f"{_place(row, path)}: lead {row.lead_id} appears ('{row.event}') "
                             f"before its 'arrived' row", file=str(path))
        if row.owner:
            lead.owner_id, lead.owner_team = row.owner, row.team
        if row.event == "touch":
            self._touch(lead, row, path)
        elif row.event == "message":
            outcome = _fields(row.detail).get("outcome", "")
            self._activity(lead, row.hours, "message", "", outcome)
        elif row.event in STAGE_EVENTS:
            lead.stages.setdefault(row.event, row.hours)
        elif row.event == "moved" and " to=public:" in f" {row.detail}":
            lead.recycled += 1

    def _touch(self, lead: LeadTrail, row: LogRow, path: Path) -> None:
        """A touch row is stamped with the touch's start."""
        head, _, rep = row.detail.partition(" rep=")
        fields = _fields(head)
        if "via" not in fields or "outcome" not in fields:
            raise InputError(f"{_place(row, path)}: a touch needs 'via=' and 'outcome=' in "
                             f"its detail, got {row.detail!r}", file=str(path))
        if lead.first_contact is None or row.hours < lead.first_contact:
            lead.first_contact = row.hours
        outcome = fields["outcome"]
        self._activity(lead, row.hours, fields["via"], rep, "" if outcome == "open" else outcome)

    def _activity(self, lead: LeadTrail, hours: float, kind: str, rep: str, outcome: str
                  ) -> None:
        self.writer.writerow([lead.lead_id, self.stamp(hours), kind, rep, outcome])
        self.activities += 1

    def won(self) -> int:
        return sum("won" in lead.stages for lead in self.leads.values())

    def lead_rows(self, costs: dict[tuple[str, str], float]) -> Iterator[list[object]]:
        """leads.csv rows in arrival order, each lead with its share of its month's cost."""
        ordered = sorted(self.leads.values(), key=lambda lead: lead.lead_id)
        months = [self.stamp(lead.created)[:7] for lead in ordered]
        counts: dict[tuple[str, str], int] = {}
        for lead, month in zip(ordered, months, strict=True):
            counts[month, lead.channel] = counts.get((month, lead.channel), 0) + 1
        for lead, month in zip(ordered, months, strict=True):
            key = (month, lead.channel)
            cost = _money(costs[key] / counts[key]) if key in costs else ""
            yield self._lead_row(lead, cost)

    def _lead_row(self, lead: LeadTrail, cost: str) -> list[object]:
        stamps = [self.stamp(lead.stages.get(stage)) for stage in STAGE_EVENTS]
        deal = lead.deal if "won" in lead.stages else ""
        return [lead.lead_id, self.stamp(lead.created), lead.channel, lead.business_line,
                lead.region, lead.complexity, lead.grade, lead.score,
                self.stamp(lead.first_contact), *stamps, deal, lead.owner_team,
                lead.owner_id, lead.recycled, cost]

    def stamp(self, hours: float | None) -> str:
        """Simulated hours as an ISO 8601 wall-clock time, to the second ('' for None)."""
        if hours is None:
            return ""
        moment = self.origin + dt.timedelta(seconds=round(hours * 3600.0))
        return moment.isoformat(timespec="seconds")


def _arrival_details(row: LogRow, path: Path) -> dict[str, str]:
    details = _fields(row.detail)
    missing = [key for key in ("score", "complexity", "deal") if key not in details]
    if missing:
        raise InputError(f"{_place(row, path)}: an 'arrived' row needs {', '.join(missing)} "
                         f"in its detail, got {row.detail!r} (logs written before "
                         f"export-crm existed lack them: run again with --events)",
                         file=str(path))
    return details


def _fields(detail: str) -> dict[str, str]:
    """``key=value`` pairs of a detail cell separated by single spaces."""
    pairs = (part.partition("=") for part in detail.split(" "))
    return {key: value for key, sep, value in pairs if sep}


def _place(row: LogRow, path: Path) -> str:
    return f"{'row' if path.suffix == '.parquet' else 'line'} {row.number}"


# --- spend and writing ---------------------------------------------------------------------


def monthly_spend(scenario: Scenario, days: int) -> list[tuple[str, str, float]]:
    """(YYYY-MM, channel, amount) for every month of the horizon and every costly channel.

    A month's amount is the channel's monthly cost times the share of the month's calendar
    days that fall inside the horizon.
    """
    covered: dict[str, int] = {}
    for day in range(days):
        month = (scenario.start_date + dt.timedelta(days=day)).strftime("%Y-%m")
        covered[month] = covered.get(month, 0) + 1
    rows = []
    for month, count in covered.items():
        length = calendar.monthrange(int(month[:4]), int(month[5:]))[1]
        for name, channel in scenario.channels.items():
            cost = monthly_cost(channel)
            if cost > 0:
                rows.append((month, name, cost * count / length))
    return rows


def _money(amount: float) -> str:
    return f"{amount:.2f}"


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterator[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@contextlib.contextmanager
def _all_or_none(out_dir: Path, names: tuple[str, ...]) -> Iterator[dict[str, Path]]:
    """Temporary paths for ``names`` in ``out_dir``, moved into place only if all succeed.

    The moves happen one after another at the end; only a failure between two of them (a
    full disk, a killed process) could leave a mix of old and new files. A directory this
    export created is removed again when it fails.
    """
    created = not out_dir.exists()
    try:
        with contextlib.ExitStack() as stack:
            yield {name: stack.enter_context(atomic_path(out_dir / name)) for name in names}
    except BaseException:
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
