"""The CRM export format: file names, column names and the values columns may take.

These names are a public contract: other tools write and read them.

``leads.csv`` has one row per lead; ``activities.csv`` one row per touch; ``spend.csv`` one
row per month and channel. Timestamps are ISO 8601; an offset or ``Z`` is accepted and dropped,
so the hours of a file stay the local wall-clock hours it was written in.
"""

from __future__ import annotations

LEADS_FILE = "leads.csv"
ACTIVITIES_FILE = "activities.csv"
SPEND_FILE = "spend.csv"

LEAD_REQUIRED = ("lead_id", "created_at", "channel", "business_line")
LEAD_STAGE_TIMES = ("first_contact_at", "qualified_at", "opportunity_at", "won_at", "lost_at")
LEAD_OPTIONAL = (
    "region", "complexity", "grade", "score", *LEAD_STAGE_TIMES, "deal_value", "owner_team",
    "owner_id", "recycled_count", "cost",
)
LEAD_COLUMNS = (*LEAD_REQUIRED, *LEAD_OPTIONAL)

ACTIVITY_REQUIRED = ("lead_id", "at", "kind")
ACTIVITY_COLUMNS = ("lead_id", "at", "kind", "rep_id", "outcome")
ACTIVITY_KINDS = ("call", "email", "message", "visit")
CONNECTED = "connected"
NO_ANSWER = "no_answer"
HELD = "held"
"""Outcomes with a meaning to calibrate: a call that reached the customer or did not, and a
meeting that took place."""

SPEND_COLUMNS = ("month", "channel", "amount")

COMPLEXITIES = ("low", "medium", "high")
