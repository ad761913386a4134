"""Reading a CRM export row by row, checking every row, and saying what was wrong with it.

Real exports are messy. A row that cannot be used (an unparseable date, an unknown channel, a
lead won before it was created, a duplicated id, a bad number) is counted by kind with its line
number and skipped; with ``strict`` the first such row is an error instead. A file that is not
a CSV, or lacks a required column, is always an error. Reading streams: what stays in memory is
the set of lead ids seen so far and one row.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from crm.format import (
    ACTIVITY_KINDS,
    ACTIVITY_REQUIRED,
    COMPLEXITIES,
    LEAD_REQUIRED,
    LEAD_STAGE_TIMES,
    SPEND_COLUMNS,
)
from leadops.errors import InputError

EXAMPLES_KEPT = 20
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]*$")

# What can be wrong with one row, in the words of the summary.
PROBLEMS = {
    "bad_date": "unparseable date/time",
    "unknown_channel": "unknown channel",
    "unknown_business_line": "business line the scenario does not define",
    "unknown_region": "region the scenario does not define",
    "won_before_created": "a stage time earlier than created_at",
    "duplicate_id": "duplicated lead_id (the first row is kept)",
    "bad_number": "not a non-negative number",
    "missing_value": "a required value is empty",
    "bad_complexity": f"complexity not one of {', '.join(COMPLEXITIES)}",
    "unknown_kind": f"activity kind not one of {', '.join(ACTIVITY_KINDS)}",
    "bad_month": "month not in YYYY-MM form",
}


class CrmDataError(InputError):
    """A CRM export file, or one of its rows under ``--strict``, cannot be used."""


@dataclass(slots=True)
class LeadRecord:
    """One row of ``leads.csv``; empty optional cells are None."""

    line: int
    lead_id: str
    created_at: dt.datetime
    channel: str
    business_line: str
    region: str | None = None
    complexity: str | None = None
    grade: str | None = None
    score: float | None = None
    first_contact_at: dt.datetime | None = None
    qualified_at: dt.datetime | None = None
    opportunity_at: dt.datetime | None = None
    won_at: dt.datetime | None = None
    lost_at: dt.datetime | None = None
    deal_value: float | None = None
    owner_team: str | None = None
    owner_id: str | None = None
    recycled_count: int | None = None
    cost: float | None = None


@dataclass(slots=True)
class ActivityRecord:
    """One row of ``activities.csv``: a touch."""

    line: int
    lead_id: str
    at: dt.datetime
    kind: str
    rep_id: str | None
    outcome: str | None


@dataclass(slots=True)
class SpendRecord:
    """One row of ``spend.csv``: what a channel cost in a month."""

    line: int
    month: dt.date
    channel: str
    amount: float


@dataclass
class ReadReport:
    """What reading one file found: rows read, rows kept, and problems by kind."""

    path: Path
    rows: int = 0
    kept: int = 0
    excluded: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)

    def note(self, kind: str, line: int) -> None:
        self.problems[kind] = self.problems.get(kind, 0) + 1
        lines = self.examples.setdefault(kind, [])
        if len(lines) < EXAMPLES_KEPT:
            lines.append(line)

    @property
    def skipped(self) -> int:
        return self.rows - self.kept - self.excluded

    def summary(self) -> str:
        """Plain text: the counts, then one line per kind of problem with line numbers."""
        head = f"{self.path.name}: {self.rows:,} rows, {self.kept:,} used"
        if self.excluded:
            head += f", {self.excluded:,} outside the period"
        if not self.problems:
            return head + ", no problems"
        lines = [head + f", {self.skipped:,} skipped:"]
        for kind, count in sorted(self.problems.items()):
            shown = ", ".join(str(n) for n in self.examples[kind])
            more = " ..." if count > len(self.examples[kind]) else ""
            lines.append(f"  {kind} ({PROBLEMS[kind]}): {count:,} at line {shown}{more}")
        return "\n".join(lines)


class _RowError(Exception):
    def __init__(self, kind: str, column: str, given: str):
        super().__init__(kind)
        self.kind, self.column, self.given = kind, column, given


# --- leads.csv --------------------------------------------------------------------------


def read_leads(path: Path, *, channels: Collection[str] | None = None, strict: bool = False,
               report: ReadReport | None = None, until: dt.datetime | None = None
               ) -> Iterator[LeadRecord]:
    """Yield the usable rows of ``leads.csv`` in file order.

    ``channels``, when given, is the list of known channels (a scenario's); other channels are
    problems. ``until`` keeps only leads created before it (the others count as excluded).
    """
    report = report if report is not None else ReadReport(path)
    seen: set[str] = set()
    known = set(channels) if channels is not None else None
    for line, cells in _rows(path, LEAD_REQUIRED, report):
        try:
            record = _lead(line, cells, known)
        except _RowError as problem:
            _problem(report, path, line, problem, strict)
            continue
        if record.lead_id in seen:
            _problem(report, path, line, _RowError("duplicate_id", "lead_id", record.lead_id),
                     strict)
            continue
        seen.add(record.lead_id)
        if until is not None and record.created_at >= until:
            report.excluded += 1
            continue
        report.kept += 1
        yield record


def _lead(line: int, cells: dict[str, str], channels: set[str] | None) -> LeadRecord:
    lead_id = _required(cells, "lead_id")
    created = _when(cells, "created_at")
    if created is None:
        raise _RowError("missing_value", "created_at", "")
    channel = cells.get("channel", "").strip()
    if not NAME.match(channel) or (channels is not None and channel not in channels):
        raise _RowError("unknown_channel", "channel", channel)
    record = LeadRecord(line, lead_id, created, channel, _required(cells, "business_line"))
    _stage_times(record, cells)
    _attributes(record, cells)
    return record


def _stage_times(record: LeadRecord, cells: dict[str, str]) -> None:
    for column in LEAD_STAGE_TIMES:
        when = _when(cells, column)
        if when is not None and when < record.created_at:
            raise _RowError("won_before_created", column, cells[column])
        setattr(record, column, when)


def _attributes(record: LeadRecord, cells: dict[str, str]) -> None:
    record.region = _text(cells, "region")
    complexity = _text(cells, "complexity")
    if complexity is not None and complexity.lower() not in COMPLEXITIES:
        raise _RowError("bad_complexity", "complexity", complexity)
    record.complexity = complexity.lower() if complexity else None
    record.grade = _text(cells, "grade")
    record.score = _number(cells, "score")
    if record.score is not None and record.score > 1.0:
        raise _RowError("bad_number", "score", cells["score"])
    record.deal_value = _number(cells, "deal_value")
    record.owner_team = _text(cells, "owner_team")
    record.owner_id = _text(cells, "owner_id")
    cycles = _number(cells, "recycled_count")
    if cycles is not None and not cycles.is_integer():
        raise _RowError("bad_number", "recycled_count", cells["recycled_count"])
    record.recycled_count = None if cycles is None else int(cycles)
    record.cost = _number(cells, "cost")


def read_owners(path: Path) -> dict[str, str]:
    """owner_id -> owner_team of ``leads.csv`` (the first team named for each rep).

    A light pass that checks only the file and its header, not the rows: it tells which reps
    are sales reps before the activities are read.
    """
    owners: dict[str, str] = {}
    for _, cells in _rows(path, LEAD_REQUIRED, ReadReport(path)):
        rep, team = cells.get("owner_id", "").strip(), cells.get("owner_team", "").strip()
        if rep and team:
            owners.setdefault(rep, team)
    return owners


# --- activities.csv and spend.csv -------------------------------------------------------


def read_activities(path: Path, *, strict: bool = False, report: ReadReport | None = None,
                    until: dt.datetime | None = None) -> Iterator[ActivityRecord]:
    """Yield the usable rows of ``activities.csv`` in file order."""
    report = report if report is not None else ReadReport(path)
    for line, cells in _rows(path, ACTIVITY_REQUIRED, report):
        try:
            record = _activity(line, cells)
        except _RowError as problem:
            _problem(report, path, line, problem, strict)
            continue
        if until is not None and record.at >= until:
            report.excluded += 1
            continue
        report.kept += 1
        yield record


def _activity(line: int, cells: dict[str, str]) -> ActivityRecord:
    lead_id = _required(cells, "lead_id")
    at = _when(cells, "at")
    if at is None:
        raise _RowError("missing_value", "at", "")
    kind = _required(cells, "kind").lower()
    if kind not in ACTIVITY_KINDS:
        raise _RowError("unknown_kind", "kind", kind)
    outcome = _text(cells, "outcome")
    return ActivityRecord(line, lead_id, at, kind, _text(cells, "rep_id"),
                          outcome.lower() if outcome else None)


def read_spend(path: Path, *, strict: bool = False, report: ReadReport | None = None
               ) -> list[SpendRecord]:
    """The usable rows of ``spend.csv`` (small: one row per month and channel)."""
    report = report if report is not None else ReadReport(path)
    records = []
    for line, cells in _rows(path, SPEND_COLUMNS, report):
        try:
            records.append(_spend(line, cells))
        except _RowError as problem:
            _problem(report, path, line, problem, strict)
            continue
        report.kept += 1
    return records


def _spend(line: int, cells: dict[str, str]) -> SpendRecord:
    text = _required(cells, "month")
    try:
        month = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise _RowError("bad_month", "month", text) from None
    channel = cells.get("channel", "").strip()
    if not NAME.match(channel):
        raise _RowError("unknown_channel", "channel", channel)
    amount = _number(cells, "amount")
    if amount is None:
        raise _RowError("missing_value", "amount", "")
    return SpendRecord(line, month, channel, amount)


# --- cells ------------------------------------------------------------------------------


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 date or date-time as naive wall-clock time (any offset is dropped)."""
    value = dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=None)


def _when(cells: dict[str, str], column: str) -> dt.datetime | None:
    text = cells.get(column, "").strip()
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise _RowError("bad_date", column, text) from None


def _number(cells: dict[str, str], column: str) -> float | None:
    text = cells.get(column, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _RowError("bad_number", column, text) from None
    if not value >= 0.0 or value == float("inf"):
        raise _RowError("bad_number", column, text)
    return value


def _text(cells: dict[str, str], column: str) -> str | None:
    text = cells.get(column, "").strip()
    return text or None


def _required(cells: dict[str, str], column: str) -> str:
    text = cells.get(column, "").strip()
    if not text:
        raise _RowError("missing_value", column, "")
    return text


def _problem(report: ReadReport, path: Path, line: int, problem: _RowError,
             strict: bool) -> None:
    if strict:
        given = f"got {problem.given!r}" if problem.given else "got an empty cell"
        raise CrmDataError(f"{PROBLEMS[problem.kind]}, {given} (--strict stops at the first "
                           "bad row; without it bad rows are skipped and summarised)",
                           file=str(path), path=f"line {line}: {problem.column}")
    report.note(problem.kind, line)


# --- the file ---------------------------------------------------------------------------


def _rows(path: Path, required: tuple[str, ...], report: ReadReport
          ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells by column) for every data row; whole-file problems raise."""
    with _open(path) as handle:
        reader = csv.reader(handle)
        header = _header(path, reader, required)
        width = len(header)
        try:
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                report.rows += 1
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                yield reader.line_num, dict(zip(header, cells, strict=False))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CrmDataError(f"is not a readable CSV file ({exc})", file=str(path),
                               path=f"line {reader.line_num + 1}") from None


def _header(path: Path, reader: Iterator[list[str]], required: tuple[str, ...]) -> list[str]:
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CrmDataError(f"is not a readable CSV file ({exc})", file=str(path)) from None
    if not header or not any(cell.strip() for cell in header):
        raise CrmDataError("is empty: a CSV file with a header row is expected",
                           file=str(path))
    names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    missing = [column for column in required if column not in names]
    if missing:
        found = ", ".join(repr(name) for name in names[:12])
        raise CrmDataError(f"required column {missing[0]!r} is missing; the header has "
                           f"{found}; required: {', '.join(required)}", file=str(path),
                           path=f"column {missing[0]}")
    return names


def _open(path: Path) -> TextIO:
    if not path.exists():
        raise CrmDataError("no such file", file=str(path))
    if path.is_dir():
        raise CrmDataError("is a directory, not a CSV file", file=str(path))
    if _looks_binary(path):
        raise CrmDataError("is not a CSV file (it holds binary data)", file=str(path))
    return path.open(encoding="utf-8", newline="")


def _looks_binary(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return b"\x00" in head

