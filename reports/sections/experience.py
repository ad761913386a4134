"""6. Experience: touches per lead, harassment and duplicate contact."""

from __future__ import annotations

from reports import charts
from reports import formatting as fmt
from reports.blocks import Figure, Section, Text
from reports.loading import Source
from reports.sections.common import kpi_table

RATES = ("harassment_rate", "duplicate_contact_rate", "recycled_rate")
COUNTS = ("touches_per_lead", "owners_per_lead_mean", "messages_sent")
OPT_OUT = "opted_out"


def build(source: Source) -> Section | None:
    run = source.run
    if run is None:
        return None
    kpis = run.kpis
    rates = [name for name in RATES if name in kpis]
    if not rates and "touches_per_lead" not in kpis:
        return None
    section = Section("experience", "Customer experience")
    limits = (run.summary.get("inputs") or {}).get("scenario", {}).get("experience")
    if limits:
        section.add(Text(f"Harassment: more than {limits.get('touch_limit')} touches inside "
                         f"{limits.get('touch_window_days')} days. Duplicate contact: two or "
                         f"more reps contacting one lead inside "
                         f"{limits.get('duplicate_window_days')} days. Every attempt and "
                         f"every campaign message is a touch."))
    if rates:
        section.add(Figure("experience_rates", charts.interval_bars(
            "Experience rates (share of leads, 95% interval)",
            [fmt.label_of(name) for name in rates], [kpis[name] for name in rates], fmt.RATE,
            value_title="Share of leads")))
    per_lead = [name for name in COUNTS[:2] if name in kpis]
    if per_lead:
        section.add(Figure("touches_per_lead", charts.interval_bars(
            "Touches and owners per lead (95% interval)",
            [fmt.label_of(name) for name in per_lead], [kpis[name] for name in per_lead],
            fmt.NUMBER, value_title="Per lead")))
    section.add(kpi_table("experience_kpis", "Experience KPIs", kpis, RATES + COUNTS,
                          run.currency))
    opted = sum(count for key, count in (run.summary.get("moves") or {}).items()
                if key.endswith(f":{OPT_OUT}"))
    if run.summary.get("moves") is not None:
        section.add(Text(f"Customers who opted out per replication (moved to the blocked "
                         f"pool): {fmt.value(opted, fmt.COUNT)}.", "note"))
    return section
