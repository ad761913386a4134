"""3. Speed: how long leads wait for first contact, the SLA, and what waiting costs."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from reports import charts
from reports import formatting as fmt
from reports.blocks import Figure, Section, Table, Text
from reports.loading import Source
from reports.sections.common import kpi_table, mean_of, triple

SPEED_KPIS = ("first_contact_hours_p50", "first_contact_hours_p90", "first_contact_hours_mean",
              "sla_met_rate", "sla_breaches", "sdr_wait_hours_p50", "abandon_rate")


def build(source: Source) -> Section | None:
    run = source.run
    if run is None:
        return None
    section = Section("speed", "Speed")
    section.add(kpi_table("speed_kpis", "Speed to lead", run.kpis, SPEED_KPIS, run.currency))
    buckets: dict[str, dict[str, Any]] = run.summary.get("by_first_contact_delay") or {}
    if buckets:
        section.add(Text("Delay buckets group leads by the time from arrival to their first "
                         "contact attempt. Conversion is won over leads first contacted in "
                         "the bucket; leads first contacted near the horizon's end have had "
                         "less time to close."),
                    Figure("first_contact_delay", _distribution(buckets)),
                    Figure("conversion_by_delay", _conversion(buckets)),
                    _table(buckets))
    else:
        section.add(Text("This run directory has no delay buckets (written by an older "
                         "leadops); the table above shows the speed KPIs.", "note"))
    return section


def _distribution(buckets: dict[str, dict[str, Any]]) -> go.Figure:
    counts = [mean_of(entry.get("first_contacted")) for entry in buckets.values()]
    total = sum(counts) or 1.0
    fig = charts.figure("Distribution of first-contact delay")
    fig.add_trace(go.Bar(x=list(buckets), y=charts.compact([c / total for c in counts]),
                         marker_color=charts.COLORS[0], name="Share of leads",
                         hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(yaxis=fmt.axis("Share of first-contacted leads", fmt.RATE),
                      xaxis={"title": {"text": "Delay from arrival to first contact"},
                             "type": "category"}, showlegend=False)
    return fig


def _conversion(buckets: dict[str, dict[str, Any]]) -> go.Figure:
    fig = charts.figure("How conversion falls with delay (95% intervals)")
    for index, (key, name) in enumerate((("qualified_rate", "Qualified"),
                                         ("conversion_rate", "Won"))):
        intervals = [entry.get(key) for entry in buckets.values()]
        fig.add_trace(go.Bar(x=list(buckets), y=charts.compact([mean_of(e) for e in intervals]),
                             error_y=charts.error_bars(intervals), name=name,
                             marker_color=charts.COLORS[index],
                             hovertemplate="%{x}: %{y:.2%}<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="group",
                      yaxis=fmt.axis("Share of first-contacted leads", fmt.RATE),
                      xaxis={"title": {"text": "Delay from arrival to first contact"},
                             "type": "category"})
    return fig


def _table(buckets: dict[str, dict[str, Any]]) -> Table:
    cells, values = [], []
    for bucket, entry in buckets.items():
        cells.append([bucket, fmt.value(mean_of(entry.get("first_contacted")), fmt.COUNT),
                      fmt.interval(entry.get("qualified_rate"), fmt.RATE),
                      fmt.interval(entry.get("conversion_rate"), fmt.RATE)])
        values.append([bucket, mean_of(entry.get("first_contacted")),
                       *triple(entry.get("qualified_rate")),
                       *triple(entry.get("conversion_rate"))])
    return Table("conversion_by_delay", "Conversion by first-contact delay",
                 ["first-contact delay", "leads first contacted", "qualified (95% interval)",
                  "won (95% interval)"], cells, values,
                 ["delay", "first_contacted", "qualified_rate", "qualified_ci_low",
                  "qualified_ci_high", "conversion_rate", "conversion_ci_low",
                  "conversion_ci_high"])
