"""4. Pools: pool sizes over time, recycling, and leads that die unworked."""

from __future__ import annotations

from typing import Any

from reports import charts
from reports import formatting as fmt
from reports.blocks import Figure, Section, Table
from reports.loading import CsvTable, Source
from reports.sections.common import kpi_table

POOL_KPIS = ("recycled_rate", "recycles_per_lead_mean", "recycles_per_lead_p90",
             "owners_per_lead_mean", "owners_per_lead_p90", "never_worked_rate", "claims",
             "public_pool_hours_mean", "grand_pool_hours_mean", "blocked_pool_hours_mean",
             "private_pool_end", "public_pool_end", "grand_pool_end", "blocked_pool_end")
POOLS = ("private", "public", "grand", "blocked")
PLACES = ("won", "lost", "public", "grand", "blocked", "in_work")
TOP_MOVES = 15


def build(source: Source) -> Section | None:
    run = source.run
    if run is None:
        return None
    section = Section("pools", "Pools")
    sizes = run.table("pools.csv")
    if sizes is not None and len(sizes):
        section.add(*_size_figures(sizes))
    section.add(kpi_table("pool_kpis", "Recycling and pool health", run.kpis, POOL_KPIS,
                          run.currency))
    census = run.summary.get("conservation") or []
    if census:
        section.add(Figure("lead_places", _places(census)))
    section.add(_moves(run.summary.get("moves") or {}))
    if len(section.blocks) == 0:
        return None
    return section


def _size_figures(sizes: CsvTable) -> list[Figure]:
    dates = sizes.text("date")
    shown = [pool for pool in POOLS if pool in sizes.columns]
    blocks = [Figure("pool_sizes", charts.lines(
        "Pool sizes at the end of each day (mean over replications)", dates,
        {pool.capitalize(): sizes.numbers(pool) for pool in shown}, fmt.COUNT,
        value_title="Leads in the pool"))]
    lines = [c for c in sizes.columns if c.startswith("public:")]
    if len(lines) > 1:
        blocks.append(Figure("public_pools_by_line", charts.lines(
            "Public pool of each business line", dates,
            {c.removeprefix("public:"): sizes.numbers(c) for c in lines}, fmt.COUNT,
            value_title="Leads in the public pool")))
    return blocks


def _places(census: list[dict[str, Any]]) -> Any:
    means = {place: sum(float(c.get(place, 0)) for c in census) / len(census)
             for place in PLACES}
    fig = charts.grouped_bars("Where the leads are at the horizon's end (mean)",
                              [place.replace("_", " ") for place in PLACES],
                              {"Leads": list(means.values())}, fmt.COUNT,
                              value_title="Leads", category_title="Place")
    fig.update_layout(showlegend=False)
    return fig


def _moves(moves: dict[str, float]) -> Table | None:
    """The busiest moves between places, by rule."""
    if not moves:
        return None
    ranked = sorted(moves.items(), key=lambda item: -item[1])[:TOP_MOVES]
    cells, values = [], []
    for key, count in ranked:
        route, _, rule = key.partition(":")
        origin, _, target = route.partition("->")
        cells.append([origin, target, rule, fmt.value(count, fmt.COUNT)])
        values.append([origin, target, rule, count])
    return Table("pool_moves", f"Busiest moves between places (top {TOP_MOVES}, per "
                 "replication)", ["from", "to", "rule", "leads"], cells, values)
