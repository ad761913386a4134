"""One way to write numbers everywhere: money, rates, hours, counts, and their intervals.

Every KPI has a unit (:func:`unit_of`); tables, verdict sentences and plot axes all format
by that unit, so a rate is a percentage and money carries its currency on every page.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

RATE, MONEY, HOURS, DAYS, COUNT, NUMBER = "rate", "money", "hours", "days", "count", "number"

_UNITS = {
    "roi": RATE, "revenue": MONEY, "cost": MONEY, "channel_cost": MONEY, "staff_cost": MONEY,
    "campaign_cost": MONEY, "repeat_revenue": MONEY, "days_to_win_p50": DAYS,
    "touches_per_lead": NUMBER, "recycles_per_lead_mean": NUMBER,
    "recycles_per_lead_p90": NUMBER, "owners_per_lead_mean": NUMBER,
    "owners_per_lead_p90": NUMBER, "rep_gini": NUMBER, "simpy_events_per_lead": NUMBER,
}

# Plain names of the KPIs a planner reads most; others show their own name.
LABELS = {
    "leads": "Leads", "won": "Won", "conversion_rate": "Conversion rate",
    "revenue": "Margin (revenue)", "cost": "Cost", "roi": "ROI",
    "channel_cost": "Channel spend", "staff_cost": "Staff cost", "campaign_cost": "Campaigns",
    "first_contact_hours_p50": "First contact, median", "first_contact_hours_p90":
    "First contact, 90th percentile", "first_contact_hours_mean": "First contact, mean",
    "days_to_win_p50": "Days to win, median", "sla_met_rate": "SLA met",
    "touches_per_lead": "Touches per lead", "harassment_rate": "Harassment rate",
    "duplicate_contact_rate": "Duplicate contact rate", "recycled_rate": "Recycled rate",
    "never_worked_rate": "Leads never worked", "recycles_per_lead_mean": "Recycles per lead",
    "owners_per_lead_mean": "Owners per lead", "warnings": "Early warnings",
    "rep_utilization": "Rep utilization", "follow_up_rate": "Follow-up rate",
    "reactivated_won": "Wins from activation", "sdr_wait_hours_p50": "SDR wait, median",
    "sla_breaches": "SLA breaches", "abandon_rate": "Abandon rate",
}


def unit_of(kpi: str) -> str:
    """The unit of a KPI, from its name."""
    if kpi in _UNITS:
        return _UNITS[kpi]
    if kpi.endswith("_rate") or kpi == "rep_utilization":
        return RATE
    if "_hours" in kpi:
        return HOURS
    return COUNT


def label_of(kpi: str) -> str:
    return LABELS.get(kpi, kpi.replace("_", " ").capitalize())


def escape(text: object) -> str:
    """Text for HTML: every user-supplied name passes through here."""
    return html.escape(str(text), quote=True)


def plot_text(text: object) -> str:
    """Text for a plotly label, which plotly would read as a small subset of HTML.

    Plotly turns entities back into characters after it has split the markup, so escaped
    angle brackets and ampersands show literally and never become tags or links.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def value(number: float | None, unit: str, currency: str = "") -> str:
    """A number in its unit: 12.3%, 1.25 M USD, 4.2 h, 1,234."""
    if number is None or not math.isfinite(number):
        return "n/a"
    if unit == RATE:
        return f"{number * 100:.1f}%"
    if unit == MONEY:
        return money(number, currency)
    if unit == HOURS:
        return f"{number:,.1f} h"
    if unit == DAYS:
        return f"{number:,.1f} d"
    if unit == COUNT:
        return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.1f}"
    return f"{number:,.2f}"


def money(number: float, currency: str) -> str:
    size = abs(number)
    if size >= 1e6:
        text = f"{number / 1e6:,.2f} M"
    elif size >= 1e4:
        text = f"{number / 1e3:,.1f} k"
    else:
        text = f"{number:,.0f}"
    return f"{text} {currency}".strip()


def difference(number: float | None, unit: str, currency: str = "") -> str:
    """A signed difference: rates in percentage points."""
    if number is None or not math.isfinite(number):
        return "n/a"
    sign = "+" if number >= 0 else "-"
    if unit == RATE:
        return f"{sign}{abs(number) * 100:.2f} pp"
    return sign + value(abs(number), unit, currency)


def interval(entry: Mapping[str, Any] | None, unit: str, currency: str = "") -> str:
    """'mean (95% CI low to high)', or the mean alone when there is no interval."""
    if not entry or entry.get("mean") is None:
        return "n/a"
    text = value(entry["mean"], unit, currency)
    low, high = entry.get("ci_low"), entry.get("ci_high")
    if low is None or high is None:
        return text
    return f"{text} ({value(low, unit, currency)} to {value(high, unit, currency)})"


def axis(title: str, unit: str, currency: str = "") -> dict[str, Any]:
    """A plotly axis with the unit in its title and matching tick labels."""
    if unit == RATE:
        return {"title": {"text": f"{title} (%)"}, "tickformat": ".1%", "rangemode": "tozero"}
    if unit == MONEY:
        return {"title": {"text": f"{title} ({currency})"}, "tickformat": "~s"}
    if unit == HOURS:
        return {"title": {"text": f"{title} (hours)"}, "rangemode": "tozero"}
    if unit == DAYS:
        return {"title": {"text": f"{title} (days)"}, "rangemode": "tozero"}
    return {"title": {"text": title}, "tickformat": ",~r", "rangemode": "tozero"}


def hover_format(unit: str) -> str:
    """A plotly number format for hover labels in the unit."""
    return {RATE: ".2%", MONEY: ",.0f", HOURS: ",.2f", DAYS: ",.1f"}.get(unit, ",.4~r")
