"""What a CRM export shows, accumulated while the rows stream past.

One pass over ``leads.csv`` fills small tallies per channel, grade and owning team: arrivals
by weekday, hour and month; mixes; the stage each lead reached; contacted and qualified leads
by first-contact delay; won deal values; the sales cycle. ``activities.csv`` adds touches per
rep and each lead's first touch. Memory is the tallies plus, with an activities file, one
first-touch time per touched lead.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from crm.fit import DelayBins
from crm.format import CONNECTED
from crm.reader import ActivityRecord, LeadRecord

DELAY_EDGES_HOURS = (
    0.0, 1 / 60, 2 / 60, 5 / 60, 10 / 60, 0.25, 1 / 3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0,
    8.0, 12.0, 18.0, 24.0, 36.0, 48.0, 72.0, 96.0, 144.0, 192.0, 288.0, 480.0, 720.0,
)
"""Left edges of the first-contact delay bins: fine where the curve is steep, coarse after."""
STAGES = ("leads", "contacted", "qualified", "opportunity", "won")
NO_GRADE = "(none)"
SECONDS_PER_HOUR = 3600.0
EPOCH = dt.datetime(1970, 1, 1)


@dataclass
class ChannelTally:
    """Arrivals, mixes, stages, delays and deal values of one channel."""

    leads: int = 0
    weekdays: list[int] = field(default_factory=lambda: [0] * 7)
    hours: list[int] = field(default_factory=lambda: [0] * 24)
    months: Counter[tuple[int, int]] = field(default_factory=Counter)
    business_lines: Counter[str] = field(default_factory=Counter)
    regions: Counter[str] = field(default_factory=Counter)
    complexity: Counter[str] = field(default_factory=Counter)
    stages_by_grade: dict[str, list[int]] = field(default_factory=dict)
    contacted: list[int] = field(default_factory=lambda: [0] * len(DELAY_EDGES_HOURS))
    qualified: list[int] = field(default_factory=lambda: [0] * len(DELAY_EDGES_HOURS))
    delay_hours: list[float] = field(default_factory=lambda: [0.0] * len(DELAY_EDGES_HOURS))
    deals: int = 0
    log_deal_sum: float = 0.0
    log_deal_squares: float = 0.0
    cost: float = 0.0
    costed: int = 0

    def add(self, lead: LeadRecord, first_contact: dt.datetime | None) -> None:
        created = lead.created_at
        self.leads += 1
        self.weekdays[created.weekday()] += 1
        self.hours[created.hour] += 1
        self.months[(created.year, created.month)] += 1
        self.business_lines[lead.business_line] += 1
        if lead.region is not None:
            self.regions[lead.region] += 1
        if lead.complexity is not None:
            self.complexity[lead.complexity] += 1
        self._stages(lead, first_contact)
        if first_contact is not None:
            self._delay(lead, first_contact)
        if lead.won_at is not None and lead.deal_value is not None and lead.deal_value > 0:
            value = math.log(lead.deal_value)
            self.deals += 1
            self.log_deal_sum += value
            self.log_deal_squares += value * value
        if lead.cost is not None:
            self.cost += lead.cost
            self.costed += 1

    def _stages(self, lead: LeadRecord, first_contact: dt.datetime | None) -> None:
        reached = self.stages_by_grade.setdefault(lead.grade or NO_GRADE, [0] * len(STAGES))
        won = lead.won_at is not None
        opportunity = won or lead.opportunity_at is not None
        qualified = opportunity or lead.qualified_at is not None
        contacted = qualified or first_contact is not None
        for index, hit in enumerate((True, contacted, qualified, opportunity, won)):
            reached[index] += hit

    def _delay(self, lead: LeadRecord, first_contact: dt.datetime) -> None:
        hours = (first_contact - lead.created_at).total_seconds() / SECONDS_PER_HOUR
        index = bisect.bisect_right(DELAY_EDGES_HOURS, hours) - 1
        self.contacted[index] += 1
        self.delay_hours[index] += hours
        qualified = (lead.qualified_at or lead.opportunity_at or lead.won_at) is not None
        self.qualified[index] += qualified

    def delay_bins(self) -> DelayBins:
        contacted = np.array([self.contacted], dtype=float)
        mean = np.array(self.delay_hours) / np.maximum(contacted[0], 1.0)
        return DelayBins(contacted, np.array([self.qualified], dtype=float), np.array([mean]))

    def stage_totals(self) -> list[int]:
        totals = [0] * len(STAGES)
        for reached in self.stages_by_grade.values():
            totals = [a + b for a, b in zip(totals, reached, strict=True)]
        return totals


@dataclass
class TeamTally:
    """The sales cycle of the leads one team owned: stage counts and stage durations."""

    qualified: int = 0
    opportunities: int = 0
    won: int = 0
    to_opportunity: list[float] = field(default_factory=lambda: [0, 0.0, 0.0])
    to_close: list[float] = field(default_factory=lambda: [0, 0.0, 0.0])

    def add(self, lead: LeadRecord) -> None:
        won = lead.won_at is not None
        opportunity = won or lead.opportunity_at is not None
        if not (opportunity or lead.qualified_at is not None):
            return
        self.qualified += 1
        self.opportunities += opportunity
        self.won += won
        if lead.qualified_at is not None and lead.opportunity_at is not None:
            _add_days(self.to_opportunity, lead.opportunity_at - lead.qualified_at)
        if lead.opportunity_at is not None and lead.won_at is not None:
            _add_days(self.to_close, lead.won_at - lead.opportunity_at)


def _add_days(sums: list[float], gap: dt.timedelta) -> None:
    days = gap.total_seconds() / 86400.0
    sums[0] += 1
    sums[1] += days
    sums[2] += days * days


@dataclass
class TouchTally:
    """Calls and connected calls per rep, and each touched lead's first touch."""

    calls: Counter[str] = field(default_factory=Counter)
    connected: Counter[str] = field(default_factory=Counter)
    first_touch: dict[str, float] = field(default_factory=dict)
    called_leads: int = 0
    touches: int = 0

    def add(self, activity: ActivityRecord) -> None:
        self.touches += 1
        at = (activity.at - EPOCH).total_seconds()
        known = self.first_touch.get(activity.lead_id)
        if known is None or at < known:
            self.first_touch[activity.lead_id] = at
        if activity.kind != "call":
            return
        rep = activity.rep_id or ""
        self.calls[rep] += 1
        self.connected[rep] += activity.outcome == CONNECTED

    def first_contact(self, lead_id: str) -> dt.datetime | None:
        at = self.first_touch.get(lead_id)
        return None if at is None else EPOCH + dt.timedelta(seconds=at)


@dataclass
class Observed:
    """Everything the calibration uses from the export, by channel and by owning team."""

    channels: dict[str, ChannelTally] = field(default_factory=dict)
    teams: dict[str, TeamTally] = field(default_factory=dict)
    rep_teams: dict[str, str] = field(default_factory=dict)
    touches: TouchTally | None = None
    first_created: dt.datetime | None = None
    last_created: dt.datetime | None = None
    leads: int = 0
    first_touch_used: int = 0

    def add(self, lead: LeadRecord) -> None:
        self.leads += 1
        created = lead.created_at
        if self.first_created is None or created < self.first_created:
            self.first_created = created
        if self.last_created is None or created > self.last_created:
            self.last_created = created
        first_contact = lead.first_contact_at
        if first_contact is None and self.touches is not None:
            first_contact = self.touches.first_contact(lead.lead_id)
            self.first_touch_used += first_contact is not None
        self.channels.setdefault(lead.channel, ChannelTally()).add(lead, first_contact)
        if lead.owner_team is not None:
            self.teams.setdefault(lead.owner_team, TeamTally()).add(lead)
            if lead.owner_id is not None:
                self.rep_teams.setdefault(lead.owner_id, lead.owner_team)

    def span_days(self) -> int:
        """Calendar days from the first lead's date to the last lead's, both included."""
        if self.first_created is None or self.last_created is None:
            return 0
        return (self.last_created.date() - self.first_created.date()).days + 1

    def calls_by_team(self) -> dict[str, tuple[int, int]]:
        """(calls, connected) per owning team, through the reps' teams in leads.csv."""
        found: dict[str, tuple[int, int]] = {}
        if self.touches is None:
            return found
        for rep, calls in self.touches.calls.items():
            team = self.rep_teams.get(rep)
            if team is None:
                continue
            done, connected = found.get(team, (0, 0))
            found[team] = (done + calls, connected + self.touches.connected[rep])
        return found
