"""5. ROI: cost in and margin out, for the company, per business line and per channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from reports import charts
from reports import formatting as fmt
from reports.blocks import Figure, Section, Table, Text
from reports.loading import CsvTable, RunData, Source
from reports.sections.common import groups, kpi_table, mean_of, triple

COMPANY = ("revenue", "cost", "channel_cost", "staff_cost", "campaign_cost", "roi",
           "repeat_revenue")
SPLIT = (("channel_cost", "Spend"), ("staff_cost", "Staff"), ("campaign_cost", "Campaigns"))


def build(source: Source) -> Section | None:
    run = source.run
    if run is None or "cost" not in run.kpis:
        return None
    currency = run.currency
    section = Section("roi", "ROI")
    section.add(Text(f"Margin is gross margin on won deals and repeat purchases; cost is "
                     f"channel spend, staff and activation campaigns. Money is in "
                     f"{currency}. Per group, the cost split comes from the daily series "
                     f"(staff cost spread by the hours worked on each group's leads)."),
                Figure("roi_company", _company(run)),
                kpi_table("roi_company", "Company money", run.kpis, COMPANY, currency))
    series = run.table("timeseries.csv")
    for attribute, column, title in (("by_business_line", "business_line", "business line"),
                                     ("by_channel", "channel", "channel")):
        kpis = groups(run.summary, attribute)
        if not kpis:
            continue
        split = _split(series, column, list(kpis)) if series is not None else None
        if split is not None:
            section.add(Figure(f"cost_margin_by_{column}",
                               _cost_and_margin(f"Cost and margin by {title}", split,
                                                currency, title)))
        section.add(Figure(f"roi_by_{column}", charts.interval_bars(
            f"ROI by {title} (95% interval)", list(kpis),
            [entry.get("roi") for entry in kpis.values()], fmt.RATE, value_title="ROI",
            category_title=title.capitalize())),
            _table(f"roi_by_{column}", title, kpis, split, currency))
    return section


def _company(run: RunData) -> go.Figure:
    parts = {label: mean_of(run.kpis.get(name)) for name, label in SPLIT}
    margin = mean_of(run.kpis.get("revenue"))
    return _cost_and_margin("Company cost and margin", {"Company": {**parts, "Margin": margin}},
                            run.currency, "")


def _split(series: CsvTable, column: str, names: Sequence[str]
           ) -> dict[str, dict[str, float]] | None:
    """Spend, staff, campaigns and margin summed over the horizon per group."""
    wanted = [name for name, _ in SPLIT] + ["revenue"]
    if column not in series.columns or not all(c in series.columns for c in wanted):
        return None
    totals = {name: dict.fromkeys([label for _, label in SPLIT] + ["Margin"], 0.0)
              for name in names}
    for row in series.rows:
        group = totals.get(row[column])
        if group is None:
            continue
        for name, label in SPLIT:
            group[label] += float(row[name] or 0.0)
        group["Margin"] += float(row["revenue"] or 0.0)
    return totals


def _cost_and_margin(title: str, split: dict[str, dict[str, float]], currency: str,
                     category_title: str) -> go.Figure:
    """Per group, a stacked cost bar (spend, staff, campaigns) beside a margin bar."""
    fig = charts.figure(title)
    labels = [fmt.plot_text(name) for name in split]
    base = [0.0] * len(split)
    for index, (_, part) in enumerate(SPLIT):
        heights = [values[part] for values in split.values()]
        fig.add_trace(go.Bar(x=labels, y=charts.compact(heights), base=charts.compact(base),
                             offsetgroup="cost", name=f"Cost: {part.lower()}",
                             marker_color=charts.COLORS[index + 1],
                             hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>"))
        base = [b + h for b, h in zip(base, heights, strict=True)]
    fig.add_trace(go.Bar(x=labels, y=charts.compact([v["Margin"] for v in split.values()]),
                         offsetgroup="margin", name="Margin", marker_color=charts.COLORS[0],
                         hovertemplate="%{x}: %{y:,.0f}<extra>Margin</extra>"))
    fig.update_layout(barmode="group", yaxis=fmt.axis("Money", fmt.MONEY, currency),
                      xaxis={"title": {"text": category_title.capitalize()},
                             "type": "category"})
    return fig


def _table(slug: str, title: str, kpis: dict[str, dict[str, Any]],
           split: dict[str, dict[str, float]] | None, currency: str) -> Table:
    parts = [label for _, label in SPLIT] if split is not None else []
    cells, values = [], []
    for name, entry in kpis.items():
        costs = [split[name][part] for part in parts] if split is not None else []
        cells.append([name, fmt.value(mean_of(entry.get("leads")), fmt.COUNT),
                      fmt.value(mean_of(entry.get("won")), fmt.COUNT),
                      fmt.value(mean_of(entry.get("revenue")), fmt.MONEY, currency),
                      *(fmt.value(c, fmt.MONEY, currency) for c in costs),
                      fmt.value(mean_of(entry.get("cost")), fmt.MONEY, currency),
                      fmt.interval(entry.get("roi"), fmt.RATE)])
        values.append([name, mean_of(entry.get("leads")), mean_of(entry.get("won")),
                       mean_of(entry.get("revenue")), *costs, mean_of(entry.get("cost")),
                       *triple(entry.get("roi"))])
    lowered = [part.lower() for part in parts]
    return Table(slug, f"Money by {title} (means per replication, {currency})",
                 [title, "leads", "won", "margin", *lowered, "cost", "ROI (95% interval)"],
                 cells, values,
                 [title.replace(" ", "_"), "leads", "won", "margin", *lowered, "cost", "roi",
                  "roi_ci_low", "roi_ci_high"])
