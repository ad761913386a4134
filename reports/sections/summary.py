"""1. Executive summary: headline KPIs with intervals, and verdicts against the baseline."""

from __future__ import annotations

from typing import Any

from reports import formatting as fmt
from reports.blocks import Card, Cards, Section, Table, Text
from reports.loading import ComparisonData, RunData, Source
from reports.sections.common import kpi_table

HEADLINE = ("leads", "won", "conversion_rate", "revenue", "cost", "roi",
            "first_contact_hours_p50", "sla_met_rate", "harassment_rate", "warnings")
JUDGED = ("conversion_rate", "roi", "revenue", "cost", "first_contact_hours_p50",
          "sla_met_rate", "harassment_rate", "duplicate_contact_rate", "warnings")


def build(source: Source) -> Section | None:
    if source.run is None and source.comparison is None:
        return None
    section = Section("summary", "Executive summary")
    if source.run is not None:
        section.add(Text(_introduction(source.run, source.comparison)), _cards(source.run),
                    kpi_table("headline_kpis", "Headline KPIs (mean over replications, 95% "
                              "interval)", source.run.kpis, HEADLINE, source.run.currency))
    if source.comparison is not None:
        currency = source.run.currency if source.run else ""
        section.add(*_verdicts(source.comparison, currency))
    return section


def _introduction(run: RunData, comparison: ComparisonData | None) -> str:
    summary = run.summary
    scenario = summary.get("scenario", {}).get("name", "?")
    policy = summary.get("policy", {}).get("name", "?")
    text = (f"Scenario {scenario} under policy {policy}: "
            f"{summary.get('replications')} replications of {summary.get('days')} days, seed "
            f"{summary.get('seed')}. Intervals are 95% t-intervals over replications.")
    if comparison is not None:
        text += (f" Sections 2 to 7 show the reference alternative, {comparison.reference}; "
                 f"section 8 compares the alternatives with it.")
    return text


def _cards(run: RunData) -> Cards:
    cards = []
    for name in HEADLINE:
        entry = run.kpis.get(name)
        if entry is None:
            continue
        unit = fmt.unit_of(name)
        low, high = entry.get("ci_low"), entry.get("ci_high")
        detail = "" if low is None or high is None else (
            f"95% CI {fmt.value(low, unit, run.currency)} to "
            f"{fmt.value(high, unit, run.currency)}")
        cards.append(Card(fmt.label_of(name), fmt.value(entry.get("mean"), unit, run.currency),
                          detail))
    return Cards(cards)


def _verdicts(comparison: ComparisonData, currency: str) -> list[Text | Table]:
    """A plain sentence per alternative, then a table of every judged difference."""
    kpis: dict[str, Any] = comparison.document["kpis"]
    blocks: list[Text | Table] = []
    cells, values = [], []
    for label in comparison.labels:
        if label == comparison.reference:
            continue
        tally: dict[str, list[str]] = {"better": [], "worse": [], "same": []}
        for name in JUDGED:
            difference = kpis.get(name, {}).get("differences", {}).get(label)
            if difference is None:
                continue
            verdict = str(difference.get("verdict", ""))
            key = verdict if verdict in ("better", "worse") else "same"
            tally[key].append(fmt.label_of(name))
            unit = fmt.unit_of(name)
            cells.append([label, fmt.label_of(name),
                          fmt.difference(difference.get("mean"), unit, currency),
                          _difference_bounds(difference, unit, currency), verdict])
            values.append([label, name, difference.get("mean"), difference.get("ci_low"),
                           difference.get("ci_high"), verdict])
        blocks.append(Text(_sentence(label, comparison.reference, tally), "verdict"))
    if cells:
        blocks.append(Table("verdicts", "Paired differences against the reference "
                            "(alternative minus reference, 95% interval)",
                            ["alternative", "KPI", "difference", "95% interval", "verdict"],
                            cells, values, ["alternative", "kpi", "difference", "ci_low",
                                            "ci_high", "verdict"]))
    return blocks


def _difference_bounds(difference: dict[str, Any], unit: str, currency: str) -> str:
    low, high = difference.get("ci_low"), difference.get("ci_high")
    if low is None or high is None:
        return "n/a"
    return f"{fmt.difference(low, unit, currency)} to {fmt.difference(high, unit, currency)}"


def _sentence(label: str, reference: str, tally: dict[str, list[str]]) -> str:
    parts = []
    if tally["better"]:
        parts.append(f"better on {', '.join(tally['better'])}")
    if tally["worse"]:
        parts.append(f"worse on {', '.join(tally['worse'])}")
    if tally["same"]:
        parts.append(f"not detectably different on {len(tally['same'])} other KPIs")
    body = "; ".join(parts) if parts else "no judged KPI"
    return f"{label} against {reference}: {body}."
