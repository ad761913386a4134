"""Terminal output of the command line: progress bars, KPI tables, listings."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def say(text: str) -> None:
    _out.print(text, markup=False, soft_wrap=True)  # paths stay whole for scripts


def warn(text: str) -> None:
    _err.print(f"warning: {text}", markup=False, highlight=False)


@contextlib.contextmanager
def progress(total: int | None, label: str, quiet: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr; yields the function that advances it by one."""
    if quiet:
        yield lambda: None
        return
    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=_err, transient=True)
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def kpi_table(kpis: Mapping[str, Mapping[str, Any]], title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    for name, value in kpis.items():
        table.add_row(name, fmt(value["mean"]), _interval(value))
    _out.print(table)


HEADLINE = ("leads", "won", "conversion_rate", "revenue", "cost", "roi",
            "first_contact_hours_p50", "first_contact_hours_p90", "days_to_win_p50",
            "sla_met_rate", "touches_per_lead", "harassment_rate", "duplicate_contact_rate",
            "recycled_rate", "reactivated_won", "rep_utilization")


def comparison_table(document: Mapping[str, Any]) -> None:
    """Headline KPIs: each alternative against the reference, paired, with a verdict."""
    reference = document["reference"]
    table = Table(title=f"paired differences against {reference} "
                  f"({document['replications']} replications, 95% intervals)",
                  title_justify="left")
    for column in ("KPI", "alternative"):
        table.add_column(column)
    for column in (reference, "alternative", "difference"):
        table.add_column(column, justify="right")
    table.add_column("verdict")
    for name in HEADLINE:
        entry = document["kpis"].get(name)
        if entry is None:
            continue
        base = fmt(entry["by_alternative"][reference]["mean"])
        for label, diff in entry["differences"].items():
            own = fmt(entry["by_alternative"][label]["mean"])
            change = f"{fmt(diff['mean'])} ({_interval(diff)})"
            table.add_row(name, label, base, own, change, diff["verdict"])
    _out.print(table)
    precision = document.get("precision")
    if precision:
        say(f"precision mode stopped: {precision['stopped_because']}")


def listing(items: Mapping[str, str]) -> None:
    table = Table(show_header=False, box=None)
    for name, description in items.items():
        table.add_row(name, description)
    _out.print(table)


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.4g}"


def _interval(value: Mapping[str, Any]) -> str:
    if value.get("ci_low") is None:
        return "-"
    return f"{fmt(value['ci_low'])} .. {fmt(value['ci_high'])}"


def side_by_side_table(rows: Sequence[tuple[str, float | None, Mapping[str, Any]]], title: str,
                       happened: str, replayed: str) -> None:
    """One row per figure: a single observed value beside a replayed mean and interval."""
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column(happened, justify="right")
    table.add_column(f"{replayed} (mean)", justify="right")
    table.add_column("95% interval", justify="right")
    for name, observed, value in rows:
        table.add_row(name, fmt(observed), fmt(value["mean"]), _interval(value))
    _out.print(table)


def backtest_table(result: Any) -> None:
    """One row per group and figure: the holdout as it happened against the simulation."""
    table = Table(title=f"holdout from {result.holdout_from:%Y-%m-%d} ({result.holdout_days} "
                  f"days): observed vs simulated 95% prediction interval",
                  title_justify="left")
    for column in ("group", "figure", "observed", "simulated", "interval", "verdict"):
        table.add_column(column, justify="right" if column in ("observed", "simulated")
                         else "left")
    for check in result.checks:
        interval = "" if check.low is None else f"{fmt(check.low)} .. {fmt(check.high)}"
        table.add_row(check.group, check.metric, fmt(check.observed), fmt(check.simulated),
                      interval, check.verdict)
    _out.print(table)
