"""2. Funnel by channel: leads, contacted, qualified, opportunity, won, and conversion."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from reports import charts
from reports import formatting as fmt
from reports.blocks import Figure, Section, Table, Text
from reports.loading import Source
from reports.sections.common import groups, mean_of, triple

STAGES = ("leads", "contacted", "qualified", "opportunity", "won")


def build(source: Source) -> Section | None:
    run = source.run
    if run is None:
        return None
    by_channel = groups(run.summary, "by_channel")
    if not by_channel:
        return None
    stages = [stage for stage in STAGES if all(stage in kpis for kpis in by_channel.values())]
    channels = list(by_channel)
    section = Section("funnel", "Funnel by channel")
    section.add(Text("Counts are means per replication: a lead counts at a stage on the day it "
                     "first reaches it, so leads that arrived near the horizon's end may "
                     "still be on their way. Conversion is won over leads; the follow-up rate "
                     "is the share of leads first contacted within the scenario's follow-up "
                     "window."),
                Figure("funnel_company", _company_funnel(by_channel, stages)),
                Figure("funnel_by_channel", charts.grouped_bars(
                    "Leads reaching each stage, by channel", channels,
                    {stage.capitalize(): [mean_of(by_channel[c].get(stage)) for c in channels]
                     for stage in stages}, fmt.COUNT, value_title="Leads per replication",
                    category_title="Channel")),
                Figure("conversion_by_channel", charts.interval_bars(
                    "Conversion rate by channel (95% interval)", channels,
                    [by_channel[c].get("conversion_rate") for c in channels], fmt.RATE,
                    value_title="Conversion rate", category_title="Channel")),
                _table(by_channel, stages))
    return section


def _company_funnel(by_channel: dict[str, dict[str, Any]], stages: list[str]) -> go.Figure:
    totals = [sum(mean_of(kpis.get(stage)) for kpis in by_channel.values()) for stage in stages]
    fig = charts.figure("Company funnel (leads per replication)")
    fig.add_trace(go.Funnel(y=[stage.capitalize() for stage in stages],
                            x=charts.compact(totals), textinfo="value+percent initial",
                            marker={"color": charts.COLORS[0]}))
    fig.update_layout(yaxis={"title": {"text": "Stage"}})
    return fig


def _table(by_channel: dict[str, dict[str, Any]], stages: list[str]) -> Table:
    cells, values = [], []
    for channel, kpis in by_channel.items():
        counts = [mean_of(kpis.get(stage)) for stage in stages]
        cells.append([channel, *(fmt.value(c, fmt.COUNT) for c in counts),
                      fmt.interval(kpis.get("conversion_rate"), fmt.RATE),
                      fmt.interval(kpis.get("follow_up_rate"), fmt.RATE)])
        values.append([channel, *counts, *triple(kpis.get("conversion_rate")),
                       *triple(kpis.get("follow_up_rate"))])
    return Table("funnel_by_channel", "Funnel by channel (means per replication)",
                 ["channel", *stages, "conversion rate (95% interval)",
                  "follow-up rate (95% interval)"], cells, values,
                 ["channel", *stages, "conversion_rate", "conversion_ci_low",
                  "conversion_ci_high", "follow_up_rate", "follow_up_ci_low",
                  "follow_up_ci_high"])
