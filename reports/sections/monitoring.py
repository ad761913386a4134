"""7. Monitoring: weekly and monthly rollups, and the early warnings over time."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import plotly.graph_objects as go

from reports import charts
from reports import formatting as fmt
from reports.blocks import Figure, Section, Table, Text
from reports.loading import CsvTable, RunData, Source, to_number
from reports.sections.common import mean_of, triple

WEEK_AXIS = "Week starting"


def build(source: Source) -> Section | None:
    run = source.run
    if run is None:
        return None
    weekly, monthly = run.table("weekly.csv"), run.table("monthly.csv")
    warnings = run.table("warnings.csv")
    if weekly is None and monthly is None and warnings is None:
        return None
    section = Section("monitoring", "Monitoring")
    setup = run.summary.get("monitoring") or {}
    section.add(Text(f"Weekly tracking and the monthly review of supply, follow-up and "
                     f"conversion. A lead is followed up when first contacted within "
                     f"{setup.get('follow_up_hours', '?')} hours of arrival; conversion is "
                     f"wins in the period over leads that arrived in it. The weekly charts "
                     f"show complete weeks; the monthly table marks partial months."))
    if weekly is not None and len(weekly):
        section.add(*_weekly(weekly))
    if monthly is not None and len(monthly):
        section.add(_monthly(monthly, run.currency))
    section.add(*_warnings(run, warnings))
    return section


def _sums(table: CsvTable, key: str, columns: tuple[str, ...]
          ) -> dict[str, dict[str, dict[str, float]]]:
    """period -> group (a column's value) -> summed columns."""
    sums: dict[str, dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(columns, 0.0)))
    for row in table.rows:
        cell = sums[row["period"]][row[key]]
        for column in columns:
            cell[column] += to_number(row.get(column)) or 0.0
    return sums


def _rate(cell: dict[str, float], numerator: str) -> float | None:
    return cell[numerator] / cell["leads"] if cell["leads"] > 0 else None


def _weekly(weekly: CsvTable) -> list[Figure]:
    """Supply, follow-up and conversion per complete week (partial weeks would mislead)."""
    columns = ("leads", "followed_up", "won")
    complete = CsvTable(weekly.columns, [r for r in weekly.rows if r.get("complete") != "0"])
    if not complete.rows:
        return []
    by_channel = _sums(complete, "channel", columns)
    by_line = _sums(complete, "business_line", columns)
    periods = list(by_channel)
    starts = {row["period"]: row["start_date"] for row in complete.rows}
    x = [starts[period] for period in periods]
    channels = sorted({c for cells in by_channel.values() for c in cells})
    lines = sorted({b for cells in by_line.values() for b in cells})
    open_periods = _open_follow_up(complete)
    follow_up = {line: [None if period in open_periods else _rate(by_line[period][line],
                                                                    "followed_up")
                        for period in periods] for line in lines}
    return [
        Figure("weekly_leads", charts.lines(
            "Weekly supply by channel", x,
            {c: [by_channel[p][c]["leads"] for p in periods] for c in channels}, fmt.COUNT,
            value_title="Leads per week", x_title=WEEK_AXIS, mode="lines+markers")),
        Figure("weekly_follow_up", charts.lines(
            "Weekly follow-up rate by business line", x, follow_up, fmt.RATE,
            value_title="Follow-up rate", x_title=WEEK_AXIS, mode="lines+markers")),
        Figure("weekly_conversion", charts.lines(
            "Weekly conversion rate by channel (wins in the week / leads in the week)",
            x, {c: [_rate(by_channel[p][c], "won") for p in periods] for c in channels},
            fmt.RATE, value_title="Conversion rate", x_title=WEEK_AXIS,
            mode="lines+markers")),
    ]


def _open_follow_up(table: CsvTable) -> set[str]:
    """Periods whose follow-up window was still open at the horizon."""
    return {row["period"] for row in table.rows if row.get("follow_up_complete") == "0"}


def _monthly(monthly: CsvTable, currency: str) -> Table:
    columns = ("leads", "followed_up", "won", "revenue", "cost")
    sums = _sums(monthly, "business_line", columns)
    complete = {row["period"]: row.get("complete") == "1" for row in monthly.rows}
    open_periods = _open_follow_up(monthly)
    cells, values = [], []
    for period, groups in sums.items():
        for line, cell in groups.items():
            follow = None if period in open_periods else _rate(cell, "followed_up")
            conversion = _rate(cell, "won")
            label = period if complete.get(period) else f"{period} (partial)"
            cells.append([label, line, fmt.value(cell["leads"], fmt.COUNT),
                          fmt.value(follow, fmt.RATE), fmt.value(conversion, fmt.RATE),
                          fmt.value(cell["revenue"], fmt.MONEY, currency),
                          fmt.value(cell["cost"], fmt.MONEY, currency)])
            values.append([period, int(bool(complete.get(period))), line, cell["leads"],
                           follow, conversion, cell["revenue"], cell["cost"]])
    return Table("monthly_review", f"Monthly review by business line (means per "
                 f"replication, {currency})",
                 ["month", "business line", "leads", "follow-up rate", "conversion rate",
                  "margin", "cost"], cells, values,
                 ["month", "complete", "business_line", "leads", "follow_up_rate",
                  "conversion_rate", "margin", "cost"])


def _warnings(run: RunData, warnings: CsvTable | None) -> list[Figure | Table | Text]:
    setup = run.summary.get("monitoring") or {}
    rules: list[dict[str, Any]] = setup.get("rules") or []
    if not rules:
        return [Text("The scenario declares no warning rules ([[monitoring.rules]]).",
                     "note")]
    counts: dict[str, Any] = setup.get("warnings_per_replication") or {}
    blocks: list[Figure | Table | Text] = []
    total = sum(mean_of(counts.get(rule["name"])) for rule in rules)
    replications = int(run.summary.get("replications") or 1)
    alarmed = _alarmed_days(warnings) / replications if warnings is not None else 0.0
    blocks.append(Text(f"{len(rules)} warning rules fired {fmt.value(total, fmt.COUNT)} "
                       f"times per replication on average; the team would be alarmed on "
                       f"{fmt.value(alarmed, fmt.COUNT)} of {run.summary.get('days')} days.",
                       "verdict"))
    if warnings is not None and len(warnings):
        weekly = run.table("weekly.csv")
        weeks = _mondays(weekly) if weekly is not None else []
        blocks.append(Figure("warnings_over_time",
                             _over_time(warnings, rules, replications, weeks)))
    blocks.append(_rule_table(rules, counts))
    return blocks


def _mondays(weekly: CsvTable) -> list[str]:
    """The Monday of every week of the horizon, partial ones included."""
    mondays = []
    for text in dict.fromkeys(weekly.text("start_date")):
        date = dt.date.fromisoformat(text)
        mondays.append((date - dt.timedelta(days=date.weekday())).isoformat())
    return mondays


def _alarmed_days(warnings: CsvTable) -> int:
    """Days on which at least one rule fired, summed over replications."""
    return len({(row["replication"], row["date"]) for row in warnings.rows})


def _over_time(warnings: CsvTable, rules: list[dict[str, Any]], replications: int,
               horizon_weeks: list[str]) -> go.Figure:
    """Warnings per week (by its Monday) and rule, averaged over replications, stacked."""
    weeks: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in warnings.rows:
        date = dt.date.fromisoformat(row["date"])
        monday = (date - dt.timedelta(days=date.weekday())).isoformat()
        weeks[monday][row["rule"]] += 1.0 / replications
    order = sorted(set(weeks) | set(horizon_weeks))
    fig = charts.grouped_bars(
        "Early warnings per week (mean per replication)", order,
        {rule["name"]: [weeks[w].get(rule["name"], 0.0) for w in order] for rule in rules},
        fmt.COUNT, value_title="Warnings per week", stacked=True)
    fig.update_layout(xaxis={"type": "date", "title": {"text": WEEK_AXIS}})
    return fig


def _rule_table(rules: list[dict[str, Any]], counts: dict[str, Any]) -> Table:
    cells, values = [], []
    for rule in rules:
        line = _line(rule)
        cells.append([rule["name"], rule.get("period", ""), rule.get("metric", ""),
                      rule.get("scope", ""), line, fmt.interval(counts.get(rule["name"]),
                                                                fmt.NUMBER)])
        values.append([rule["name"], rule.get("period"), rule.get("metric"), rule.get("scope"),
                       rule.get("test"), rule.get("threshold"),
                       *triple(counts.get(rule["name"]))])
    return Table("warning_rules", "Warning rules and how often they fired",
                 ["rule", "clock", "metric", "scope", "fires when", "warnings per replication "
                  "(95% interval)"], cells, values,
                 ["rule", "period", "metric", "scope", "test", "threshold", "warnings_mean",
                  "warnings_ci_low", "warnings_ci_high"])


def _line(rule: dict[str, Any]) -> str:
    test, threshold = rule.get("test"), float(rule.get("threshold") or 0.0)
    rate = rule.get("metric") in ("follow_up_rate", "conversion_rate")
    if test in ("drop", "rise"):
        return (f"{'falls' if test == 'drop' else 'rises'} more than {threshold:.0%} "
                f"{'below' if test == 'drop' else 'above'} the mean of the "
                f"{rule.get('trailing_periods')} periods before")
    shown = fmt.value(threshold, fmt.RATE if rate else fmt.COUNT)
    return f"{test} {shown}"
