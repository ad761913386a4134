"""Replay: last period's real leads pushed through a policy on a scenario.

:func:`load_history` reads ``leads.csv`` once, checks every row against the scenario (its
channels, business lines and regions), and returns two things: the compact
:class:`sim.history.History` the model replays, and :class:`HistoryFigures`, what actually
happened to those leads over the same period (leads, wins, conversion, revenue at the
scenario's margins, first-contact delay and days to win), overall, by channel and by business
line. The period runs from the first lead's day (00:00) to the last timestamp in the file, so
the replay and the history are censored alike.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crm.format import LEAD_STAGE_TIMES
from crm.reader import PROBLEMS, CrmDataError, LeadRecord, ReadReport, read_leads
from scenarios import Scenario
from scenarios.schema import COMPLEXITIES
from sim.history import MISSING, History, HistoryBuilder


@dataclass
class Figures:
    """What happened to one group of historical leads."""

    leads: int = 0
    won: int = 0
    won_without_value: int = 0
    revenue: float = 0.0
    first_contact_hours: array = field(default_factory=lambda: array("d"))
    days_to_win: array = field(default_factory=lambda: array("d"))

    def add(self, record: LeadRecord, margin: float) -> None:
        self.leads += 1
        if record.first_contact_at is not None:
            delay = record.first_contact_at - record.created_at
            self.first_contact_hours.append(delay.total_seconds() / 3600.0)
        if record.won_at is None:
            return
        self.won += 1
        self.days_to_win.append((record.won_at - record.created_at).total_seconds() / 86400.0)
        if record.deal_value is None:
            self.won_without_value += 1
        else:
            self.revenue += record.deal_value * margin

    def as_dict(self) -> dict[str, Any]:
        return {
            "leads": self.leads,
            "won": self.won,
            "conversion_rate": self.won / self.leads if self.leads else None,
            "revenue": self.revenue,
            "won_without_deal_value": self.won_without_value,
            "first_contact_hours_p50": _median(self.first_contact_hours),
            "first_contacted": len(self.first_contact_hours),
            "days_to_win_p50": _median(self.days_to_win),
        }


@dataclass
class HistoryFigures:
    """The history's own figures, overall and by channel and business line."""

    overall: Figures = field(default_factory=Figures)
    by_channel: dict[str, Figures] = field(default_factory=dict)
    by_business_line: dict[str, Figures] = field(default_factory=dict)

    def add(self, record: LeadRecord, margin: float) -> None:
        self.overall.add(record, margin)
        self.by_channel.setdefault(record.channel, Figures()).add(record, margin)
        self.by_business_line.setdefault(record.business_line, Figures()).add(record, margin)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kpis": self.overall.as_dict(),
            "by_channel": {name: f.as_dict() for name, f in sorted(self.by_channel.items())},
            "by_business_line": {name: f.as_dict()
                                 for name, f in sorted(self.by_business_line.items())},
        }


@dataclass
class LoadedHistory:
    """A history ready to replay, its own figures, and what reading the file found."""

    history: History
    figures: HistoryFigures
    report: ReadReport
    start: dt.datetime
    end: dt.datetime
    unknown: dict[str, Counter[str]]  # column -> names the scenario lacks -> rows

    def document(self, scenario: Scenario) -> dict[str, Any]:
        """The history.json document."""
        return {
            "file": str(self.report.path),
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat(),
                       "hours": self.history.horizon_hours},
            "scenario": scenario.name,
            "currency": scenario.currency,
            "rows": {"read": self.report.rows, "used": self.report.kept,
                     "skipped": self.report.skipped,
                     "problems": dict(sorted(self.report.problems.items())),
                     "example_lines": dict(sorted(self.report.examples.items()))},
            "unknown_names": {column: dict(sorted(names.items()))
                              for column, names in self.unknown.items() if names},
            **self.figures.as_dict(),
            "revenue_note": "deal_value of won leads x the scenario's gross margin of their "
                            "business line; first deals only (no repeat purchases)",
        }


def load_history(path: Path, scenario: Scenario, *, strict: bool = False) -> LoadedHistory:
    """Read ``leads.csv`` against ``scenario`` into a replayable history and its figures.

    Rows whose channel, business line or region the scenario does not know are bad rows
    (skipped and counted, or with ``strict`` an error naming the line and column). A file
    without a single usable row is an error that lists the unknown names.
    """
    report = ReadReport(path)
    checker = _Checker(scenario, path, report, strict)
    builder = HistoryBuilder()
    figures = HistoryFigures()
    end: dt.datetime | None = None
    for record in read_leads(path, channels=list(scenario.channels), strict=strict,
                             report=report):
        if not checker.accepts(record):
            continue
        _add(builder, record, checker)
        figures.add(record, checker.margin[record.business_line])
        last = _last_time(record)
        end = last if end is None or last > end else end
    if end is None:
        raise CrmDataError(_nothing_usable(report, checker, scenario), file=str(path))
    history = builder.build(end)
    start = dt.datetime.combine(history.start_date, dt.time())
    return LoadedHistory(history, figures, report, start, end, checker.unknown)


def replay_scenario(scenario: Scenario, history: History) -> Scenario:
    """The scenario moved to the history's period: its calendar starts on the first day."""
    return scenario.model_copy(update={"start_date": history.start_date,
                                       "days": min(history.days, 3660)})


def _last_time(record: LeadRecord) -> dt.datetime:
    times = [getattr(record, column) for column in LEAD_STAGE_TIMES]
    return max([record.created_at, *(t for t in times if t is not None)])


def _add(builder: HistoryBuilder, record: LeadRecord, checker: _Checker) -> None:
    complexity = COMPLEXITIES.index(record.complexity) \
        if record.complexity in COMPLEXITIES else MISSING
    builder.add(record.created_at, checker.channels[record.channel],
                checker.lines[record.business_line],
                region=checker.regions[record.region] if record.region else MISSING,
                complexity=complexity, score=record.score, deal_value=record.deal_value,
                lead_id=record.lead_id)


class _Checker:
    """Checks the names of a row against the scenario, as the reader checks channels."""

    def __init__(self, scenario: Scenario, path: Path, report: ReadReport, strict: bool):
        self.channels = {name: i for i, name in enumerate(scenario.channels)}
        self.lines = {name: i for i, name in enumerate(scenario.business_lines)}
        self.regions = {name: i for i, name in enumerate(scenario.regions)}
        self.margin = {name: line.gross_margin
                       for name, line in scenario.business_lines.items()}
        self.path, self.report, self.strict = path, report, strict
        self.unknown: dict[str, Counter[str]] = {"channel": Counter(), "business_line": Counter(),
                                                 "region": Counter()}

    def accepts(self, record: LeadRecord) -> bool:
        if record.business_line not in self.lines:
            return self._reject(record, "business_line", record.business_line, self.lines)
        if record.region is not None and record.region not in self.regions:
            return self._reject(record, "region", record.region, self.regions)
        return True

    def _reject(self, record: LeadRecord, column: str, name: str, known: dict[str, int]
                ) -> bool:
        kind = f"unknown_{column}"
        if self.strict:
            raise CrmDataError(f"{PROBLEMS[kind]}: got {name!r}; the scenario has "
                               f"{_names(known)} (--strict stops at the first bad row; "
                               "without it bad rows are skipped and summarised)",
                               file=str(self.path), path=f"line {record.line}: {column}")
        self.unknown[column][name] += 1
        self.report.kept -= 1
        self.report.note(kind, record.line)
        return False


def unknown_names_text(loaded_unknown: dict[str, Counter[str]], scenario: Scenario) -> list[str]:
    """One line per column with names the scenario lacks, and the names it has."""
    known = {"channel": list(scenario.channels), "business_line": list(scenario.business_lines),
             "region": scenario.regions}
    lines = []
    for column, names in loaded_unknown.items():
        if names:
            given = ", ".join(f"{name!r} ({count:,} row{'' if count == 1 else 's'})"
                              for name, count in sorted(names.items()))
            lines.append(f"{column}: not in scenario '{scenario.name}': {given}; "
                         f"it has {', '.join(known[column])}")
    return lines


def _nothing_usable(report: ReadReport, checker: _Checker, scenario: Scenario) -> str:
    if report.rows == 0:
        return "has no data rows"
    message = f"none of its {report.rows:,} rows can be replayed on scenario '{scenario.name}'"
    if report.problems.get("unknown_channel") == report.rows:
        message += f": no channel is one of the scenario's ({', '.join(scenario.channels)})"
    details = unknown_names_text(checker.unknown, scenario)
    if details:
        message += "; " + "; ".join(details)
    return message + "\n" + report.summary()


def _names(known: dict[str, int]) -> str:
    return ", ".join(known)


def _median(values: array) -> float | None:
    if not values:
        return None
    middle = float(np.median(np.frombuffer(values, dtype=np.float64)))
    return None if math.isnan(middle) else middle
