"""8. Comparison or budget scenarios: paired differences against the reference, with
intervals."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from reports import charts
from reports import formatting as fmt
from reports.blocks import Figure, Section, Table, Text
from reports.loading import ComparisonData, Source

SHOWN = ("leads", "won", "conversion_rate", "revenue", "cost", "roi", "first_contact_hours_p50",
         "first_contact_hours_p90", "sla_met_rate", "days_to_win_p50", "touches_per_lead",
         "harassment_rate", "duplicate_contact_rate", "recycled_rate", "never_worked_rate",
         "rep_utilization", "warnings")
CHARTED = ("conversion_rate", "revenue", "cost", "roi", "first_contact_hours_p50",
           "sla_met_rate", "touches_per_lead", "harassment_rate", "warnings")


def build(source: Source) -> Section | None:
    comparison = source.comparison
    if comparison is None:
        return None
    currency = source.run.currency if source.run else ""
    document = comparison.document
    section = Section("comparison", "Comparison")
    section.add(Text(f"Every alternative ran on the same {document.get('replications')} "
                     f"replication seeds (common random numbers), so the differences are "
                     f"paired: alternative minus {comparison.reference}, with 95% "
                     f"t-intervals. Reference: {comparison.reference}."),
                _alternatives(comparison),
                Figure("differences", _relative_chart(comparison)),
                _table(comparison, currency))
    for attribute, kpi, title in (("by_business_line", "roi", "ROI by business line"),
                                  ("by_channel", "conversion_rate", "Conversion by channel")):
        figure = _group_chart(comparison, attribute, kpi, title)
        if figure is not None:
            section.add(Figure(f"difference_{kpi}_{attribute}", figure))
    if document.get("precision"):
        precision = document["precision"]
        section.add(Text(f"Precision mode: {precision.get('stopped_because', '')}.", "note"))
    return section


def _alternatives(comparison: ComparisonData) -> Table:
    cells = []
    for entry in comparison.document.get("alternatives", []):
        overrides = ", ".join(entry.get("overrides") or []) or "none"
        cells.append([str(entry.get("label")), str(entry.get("kind")),
                      str(entry.get("source")), overrides,
                      str(entry.get("scenario_sha256", ""))[:12]])
    return Table("alternatives", "Alternatives",
                 ["alternative", "kind", "source", "overrides", "scenario sha256"], cells)


def _relative_chart(comparison: ComparisonData) -> go.Figure:
    """Each KPI's difference as a share of the reference mean, so units share one axis."""
    kpis = comparison.document["kpis"]
    charted = [name for name in CHARTED if name in kpis]
    fig = charts.figure("Differences against the reference (% of the reference mean, 95% "
                        "interval)", height=120 + 44 * len(charted))
    for index, label in enumerate(a for a in comparison.labels if a != comparison.reference):
        means, intervals, verdicts = [], [], []
        for name in charted:
            base = kpis[name]["by_alternative"].get(comparison.reference, {}).get("mean")
            difference = kpis[name]["differences"].get(label, {})
            scale = abs(base) if base else None
            means.append(_scaled(difference.get("mean"), scale))
            intervals.append({key: _scaled(difference.get(key), scale)
                              for key in ("mean", "ci_low", "ci_high")})
            verdicts.append(str(difference.get("verdict", "")))
        fig.add_trace(go.Bar(
            y=[fmt.label_of(name) for name in charted], x=charts.compact(means),
            orientation="h", name=fmt.plot_text(label), customdata=verdicts,
            error_x=charts.error_bars(intervals), marker_color=charts.COLORS[(index + 1) %
                                                                            len(charts.COLORS)],
            hovertemplate="%{y}: %{x:+.1%} (%{customdata})<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="group", xaxis={**fmt.axis("Difference", fmt.RATE),
                                              "rangemode": "normal", "zeroline": True},
                      yaxis={"autorange": "reversed", "type": "category"})
    return fig


def _scaled(number: float | None, scale: float | None) -> float | None:
    if number is None or not scale:
        return None
    return number / scale


def _table(comparison: ComparisonData, currency: str) -> Table:
    kpis = comparison.document["kpis"]
    labels = comparison.labels
    others = [label for label in labels if label != comparison.reference]
    columns = ["KPI", *labels, *(f"{label} - {comparison.reference}" for label in others),
               *(f"verdict {label}" for label in others)]
    cells, values = [], []
    for name in (name for name in SHOWN if name in kpis):
        unit, entry = fmt.unit_of(name), kpis[name]
        row = [fmt.label_of(name)]
        row += [fmt.interval(entry["by_alternative"].get(label), unit, currency)
                for label in labels]
        row += [_difference(entry["differences"].get(label), unit, currency) for label in others]
        row += [str(entry["differences"].get(label, {}).get("verdict", "")) for label in others]
        cells.append(row)
        values.append([name, *(entry["by_alternative"].get(label, {}).get("mean")
                               for label in labels),
                       *(entry["differences"].get(label, {}).get(key) for label in others
                         for key in ("mean", "ci_low", "ci_high", "verdict"))])
    csv_columns = ["kpi", *labels, *(f"{label}_{key}" for label in others
                                     for key in ("diff", "diff_ci_low", "diff_ci_high",
                                                 "verdict"))]
    return Table("comparison", "KPIs by alternative (95% intervals) and paired differences",
                 columns, cells, values, csv_columns)


def _difference(difference: dict[str, Any] | None, unit: str, currency: str) -> str:
    if not difference:
        return "n/a"
    text = fmt.difference(difference.get("mean"), unit, currency)
    low, high = difference.get("ci_low"), difference.get("ci_high")
    if low is None or high is None:
        return text
    return (f"{text} ({fmt.difference(low, unit, currency)} to "
            f"{fmt.difference(high, unit, currency)})")


def _group_chart(comparison: ComparisonData, attribute: str, kpi: str, title: str
                 ) -> go.Figure | None:
    groups: dict[str, Any] = comparison.document.get(attribute) or {}
    if not groups or not any(kpi in table for table in groups.values()):
        return None
    unit = fmt.unit_of(kpi)
    fig = charts.figure(f"{title}: difference against the reference (95% interval)")
    names = list(groups)
    for index, label in enumerate(a for a in comparison.labels if a != comparison.reference):
        intervals = [groups[g].get(kpi, {}).get("differences", {}).get(label) for g in names]
        fig.add_trace(go.Bar(
            x=[fmt.plot_text(g) for g in names],
            y=charts.compact([(i or {}).get("mean") for i in intervals]),
            error_y=charts.error_bars(intervals), name=fmt.plot_text(label),
            marker_color=charts.COLORS[(index + 1) % len(charts.COLORS)],
            hovertemplate=f"%{{x}}: %{{y:+{fmt.hover_format(unit).lstrip(',')}}}"
                          "<extra>%{fullData.name}</extra>"))
    axis = fmt.axis(f"Difference in {fmt.label_of(kpi)}", unit)
    if unit == fmt.RATE:
        axis["title"] = {"text": f"Difference in {fmt.label_of(kpi)} (percentage points)"}
    fig.update_layout(barmode="group", yaxis={**axis, "rangemode": "normal"},
                      xaxis={"type": "category"})
    return fig
