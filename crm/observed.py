"""What a CRM export shows, accumulated while the rows stream past.

One pass over ``leads.csv`` fills small tallies per channel, grade and owning team: arrivals
by weekday, hour and month; mixes; the stage each lead reached; contacted and qualified leads
by first-contact delay; won deal values; the sales cycle. ``activities.csv`` adds calls per
rep and, per touched lead, its first touch, its first two conversations (connected calls by a
sales rep) and its meetings held. With those, conversion is tallied per conversation and per
meeting held, the way the model decides it: whether the first conversation qualified the lead
(by first-contact delay, with the factors the model multiplies in), and whether a meeting held
moved the deal on. Memory is the tallies plus, with an activities file, an index entry and a
few numbers per touched lead in flat arrays, and the start of each wait for a meeting still
open at the end.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from crm.fit import DelayBins
from crm.format import CONNECTED, HELD, NO_ANSWER
from crm.reader import ActivityRecord, LeadRecord
from policies.schema import Circulation, Grade
from scenarios.schema import Scenario
from sim.calendar import WorkCalendar

DELAY_EDGES_HOURS = (
    0.0, 1 / 60, 2 / 60, 5 / 60, 10 / 60, 0.25, 1 / 3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0,
    8.0, 12.0, 18.0, 24.0, 36.0, 48.0, 72.0, 96.0, 144.0, 192.0, 288.0, 480.0, 720.0,
)
"""Left edges of the first-contact delay bins: fine where the curve is steep, coarse after."""
GRADES: tuple[Grade, ...] = ("A", "B", "C", "D")
STAGES = ("leads", "contacted", "qualified", "opportunity", "won")
NO_GRADE = "(none)"
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
EPOCH = dt.datetime(1970, 1, 1)
NEVER = math.inf
"""Stands for a conversation that did not happen in the per-lead arrays."""


@dataclass(frozen=True)
class ModelFactors:
    """What multiplies a conversation's or meeting's chance in the model besides the lead's
    own propensity or the team's stage rate, as the base scenario sets it: staleness since the
    last conversation, the team's fit to the lead's complexity, and the mean skill factor of a
    team's reps (each step uses the cube root of a lognormal skill of mean 1)."""

    staleness_half_life_days: float
    fit: dict[str, dict[str, float]]
    skill: dict[str, float]
    closed_days: dict[str, float] = field(default_factory=dict)
    """Per team, the mean wait in days from a moment spread evenly over the week to the
    team's next working moment: what the calendar adds to a meeting that falls due."""
    circulation: Circulation | None = None
    """The policy's recycling rules: a lead waiting for its meeting longer than they allow
    goes back to a pool, so a wait is only seen up to that limit."""

    @classmethod
    def of(cls, scenario: Scenario, circulation: Circulation | None = None) -> ModelFactors:
        decay = scenario.decay
        half_life = decay.staleness_half_life_days if decay.enabled else math.inf
        fit = {name: {str(k): v for k, v in team.complexity_fit.items()}
               for name, team in scenario.teams.items()}
        skill = {name: math.exp(-team.skill_spread**2 / 9.0)
                 for name, team in scenario.teams.items()}
        closed = {name: _closed_wait_days(WorkCalendar(team.calendar, 0))
                  for name, team in scenario.teams.items()}
        return cls(half_life, fit, skill, closed, circulation)

    def recycle_days(self, grade: str | None, stage: int) -> float:
        """Days a lead can wait at a stage (0: qualified, 1: opportunity) before the
        policy recycles it for want of a touch or of progress (inf: never)."""
        rules = self.circulation
        if rules is None or (stage == 1 and rules.exempt_opportunities):
            return math.inf
        limits = [rules.no_follow_up_days]
        for known in GRADES:
            if grade == known:
                limits.append(rules.no_progress_for(known))
        return min((days for days in limits if days > 0), default=math.inf)

    def multiplier(self, team: str | None, complexity: str | None, idle_days: float) -> float:
        """Skill x fit x staleness after ``idle_days`` without a conversation."""
        stale = 2.0 ** (-max(0.0, idle_days) / self.staleness_half_life_days)
        if team is None or team not in self.skill:
            return stale
        return self.skill[team] * self.fit[team].get(complexity or "", 1.0) * stale


def _closed_wait_days(calendar: WorkCalendar, step_hours: float = 0.25) -> float:
    """Mean days from a moment spread evenly over one week to the calendar's next open moment
    (the midpoint rule on a grid of ``step_hours``)."""
    if calendar.always_open:
        return 0.0
    moments = [(i + 0.5) * step_hours for i in range(int(7 * 24 / step_hours))]
    waits = [calendar.next_open(t) - t if not calendar.is_open(t) else 0.0 for t in moments]
    return sum(waits) / len(waits) / 24.0


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
    talks: dict[str, TalkBins] = field(default_factory=dict)
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

    def add_conversation(self, grade: str, delay_hours: float, qualified: bool,
                         factor: float) -> None:
        """A lead's first conversation: its arrival grade, its first-contact delay, whether
        it qualified the lead, and the factor the model multiplied into the chance (skill,
        fit, staleness)."""
        self.talks.setdefault(grade, TalkBins()).add(delay_hours, qualified, factor)

    def talked(self) -> int:
        return sum(sum(bins.talked) for bins in self.talks.values())

    def delay_bins(self) -> DelayBins:
        """Contacted leads by first-contact delay, qualified ever."""
        contacted = np.array([self.contacted], dtype=float)
        mean = np.array(self.delay_hours) / np.maximum(contacted[0], 1.0)
        return DelayBins(contacted, np.array([self.qualified], dtype=float), np.array([mean]))

    def conversation_bins(self, grades: list[list[str]]) -> DelayBins:
        """First conversations by first-contact delay, one row per group of grades."""
        rows = [TalkBins.merged([self.talks[g] for g in group]).as_row() for group in grades]
        return DelayBins(*(np.vstack([row[i] for row in rows]) for i in range(4)))

    def stage_totals(self) -> list[int]:
        totals = [0] * len(STAGES)
        for reached in self.stages_by_grade.values():
            totals = [a + b for a, b in zip(totals, reached, strict=True)]
        return totals


@dataclass
class TalkBins:
    """First conversations by first-contact delay bin: how many, how many qualified the
    lead, and the sums of their delays (hours) and of their factors."""

    talked: list[int] = field(default_factory=lambda: [0] * len(DELAY_EDGES_HOURS))
    qualified: list[int] = field(default_factory=lambda: [0] * len(DELAY_EDGES_HOURS))
    delay_hours: list[float] = field(default_factory=lambda: [0.0] * len(DELAY_EDGES_HOURS))
    factor: list[float] = field(default_factory=lambda: [0.0] * len(DELAY_EDGES_HOURS))

    def add(self, delay_hours: float, qualified: bool, factor: float) -> None:
        index = bisect.bisect_right(DELAY_EDGES_HOURS, delay_hours) - 1
        self.talked[index] += 1
        self.qualified[index] += qualified
        self.delay_hours[index] += delay_hours
        self.factor[index] += factor

    @classmethod
    def merged(cls, parts: list[TalkBins]) -> TalkBins:
        total = cls()
        for part in parts:
            for i in range(len(DELAY_EDGES_HOURS)):
                total.talked[i] += part.talked[i]
                total.qualified[i] += part.qualified[i]
                total.delay_hours[i] += part.delay_hours[i]
                total.factor[i] += part.factor[i]
        return total

    def as_row(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(talked, qualified, mean delay, mean factor) per bin (factor 1 in empty bins)."""
        talked = np.array(self.talked, dtype=float)
        size = np.maximum(talked, 1.0)
        factor = np.where(talked > 0, np.array(self.factor) / size, 1.0)
        return (talked, np.array(self.qualified, dtype=float),
                np.array(self.delay_hours) / size, factor)


@dataclass
class TeamTally:
    """The sales cycle of the leads one team owned: stage counts and stage durations.

    With activities, also the meetings held: a held meeting at a stage ends it (the deal
    moves on or is lost), so ``trials`` counts the leads whose meeting at the stage was held
    by the export's end, ``hits`` those that moved on and ``factor`` sums the model's factor
    (skill, fit, staleness) of each; ``waits`` are the days from reaching a stage to its held
    meeting, with the leads still waiting at the end as censored times.
    """

    qualified: int = 0
    opportunities: int = 0
    won: int = 0
    to_opportunity: list[float] = field(default_factory=lambda: [0, 0.0, 0.0])
    to_close: list[float] = field(default_factory=lambda: [0, 0.0, 0.0])
    trials: list[int] = field(default_factory=lambda: [0, 0])
    hits: list[int] = field(default_factory=lambda: [0, 0])
    factor: list[float] = field(default_factory=lambda: [0.0, 0.0])
    waits: list[CensoredWait] = field(default_factory=lambda: [CensoredWait(), CensoredWait()])

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

    def add_meetings(self, lead: LeadRecord, held: int, end: float, factors: ModelFactors
                     ) -> None:
        """The meetings held at each stage (0: qualified, 1: opportunity) of one lead."""
        qualified, opportunity, won, lost = (_seconds(t, end) for t in (
            lead.qualified_at, lead.opportunity_at, lead.won_at, lead.lost_at))
        for stage, (since, moved) in enumerate(((qualified, opportunity), (opportunity, won))):
            if since is None:
                continue
            closed = moved if moved is not None else lost
            limit = factors.recycle_days(lead.grade, stage)
            if held > stage and closed is not None:
                days = (closed - since) / SECONDS_PER_DAY
                self.trials[stage] += 1
                self.hits[stage] += moved is not None
                self.factor[stage] += factors.multiplier(lead.owner_team, lead.complexity, days)
                self.waits[stage].done(days, limit)
            elif held <= stage and closed is None:
                self.waits[stage].waiting(since, limit)


@dataclass
class CensoredWait:
    """Waits for a held meeting, for an exponential fit with censoring.

    A wait is seen up to its limit (the policy recycles a lead that waits longer): waits that
    ended within it are events; longer waits, and waits still going at the export's end, count
    only up to the limit. The exponential mean is the time waited within the limits over the
    waits that ended. Waits still going are kept as (start in seconds, limit in days) until
    the end is known.
    """

    ended: int = 0
    waited_days: float = 0.0
    open_since: array[float] = field(default_factory=lambda: array("d"))
    open_limit: array[float] = field(default_factory=lambda: array("d"))

    def done(self, days: float, limit: float) -> None:
        self.ended += days <= limit
        self.waited_days += min(days, limit)

    def waiting(self, since: float, limit: float) -> None:
        self.open_since.append(since)
        self.open_limit.append(limit)

    def add(self, other: CensoredWait) -> None:
        self.ended += other.ended
        self.waited_days += other.waited_days
        self.open_since.extend(other.open_since)
        self.open_limit.extend(other.open_limit)

    def mean_days(self, end: float) -> float:
        """Mean wait in days (``end`` in seconds: when the export stops seeing)."""
        still = sum(min(max(0.0, (end - since) / SECONDS_PER_DAY), limit)
                    for since, limit in zip(self.open_since, self.open_limit, strict=True))
        return (self.waited_days + still) / max(1, self.ended)


def _seconds(when: dt.datetime | None, end: float) -> float | None:
    """Seconds since the epoch, or None for no time or a time after ``end``."""
    if when is None:
        return None
    at = (when - EPOCH).total_seconds()
    return at if at < end else None


def _add_days(sums: list[float], gap: dt.timedelta) -> None:
    days = gap.total_seconds() / 86400.0
    sums[0] += 1
    sums[1] += days
    sums[2] += days * days


@dataclass
class TouchTally:
    """Calls and connected calls per rep, and per touched lead: its first touch, its first two
    conversations, the team of the rep who had the first, and its meetings held.

    A conversation is a connected call by a sales rep: a rep in ``sales_reps`` (rep -> team,
    the owners named in leads.csv), or any rep when that map is None. Per-lead values live in
    flat arrays at the lead's index (seconds since the epoch; ``NEVER`` for none).
    """

    sales_reps: dict[str, str] | None = None
    calls: Counter[str] = field(default_factory=Counter)
    connected: Counter[str] = field(default_factory=Counter)
    index: dict[str, int] = field(default_factory=dict)
    first: array[float] = field(default_factory=lambda: array("d"))
    talk: array[float] = field(default_factory=lambda: array("d"))
    talk_again: array[float] = field(default_factory=lambda: array("d"))
    talk_team: array[int] = field(default_factory=lambda: array("h"))
    held: array[int] = field(default_factory=lambda: array("B"))
    teams: list[str] = field(default_factory=list)
    last: float = -math.inf
    touches: int = 0

    def add(self, activity: ActivityRecord) -> None:
        self.touches += 1
        at = (activity.at - EPOCH).total_seconds()
        self.last = max(self.last, at)
        slot = self.index.get(activity.lead_id)
        if slot is None:
            slot = self.index[activity.lead_id] = len(self.first)
            self.first.append(at)
            self.talk.append(NEVER)
            self.talk_again.append(NEVER)
            self.talk_team.append(-1)
            self.held.append(0)
        elif at < self.first[slot]:
            self.first[slot] = at
        outcome, rep = activity.outcome, activity.rep_id or ""
        if outcome == HELD:
            self.held[slot] = min(255, self.held[slot] + 1)
        if activity.kind != "call" or outcome not in (CONNECTED, NO_ANSWER):
            return
        self.calls[rep] += 1
        self.connected[rep] += outcome == CONNECTED
        team = "" if self.sales_reps is None else self.sales_reps.get(rep)
        if outcome == CONNECTED and team is not None:
            self._conversation(slot, at, team)

    def _conversation(self, slot: int, at: float, team: str) -> None:
        if at < self.talk[slot]:
            self.talk_again[slot] = self.talk[slot]
            self.talk[slot] = at
            self.talk_team[slot] = self._team_index(team)
        elif at < self.talk_again[slot]:
            self.talk_again[slot] = at

    def _team_index(self, team: str) -> int:
        if team not in self.teams:
            self.teams.append(team)
        return self.teams.index(team)

    def leads(self) -> int:
        return len(self.first)

    def first_contact(self, lead_id: str) -> dt.datetime | None:
        slot = self.index.get(lead_id)
        return None if slot is None else EPOCH + dt.timedelta(seconds=self.first[slot])

    def conversations(self) -> int:
        return sum(1 for at in self.talk if at < NEVER)


@dataclass
class Observed:
    """Everything the calibration uses from the export, by channel and by owning team.

    ``until`` (when the fit stops seeing) makes stage times after it count as not yet
    happened in the per-conversation and per-meeting tallies; without it the export ends at
    its last timestamp.
    """

    channels: dict[str, ChannelTally] = field(default_factory=dict)
    teams: dict[str, TeamTally] = field(default_factory=dict)
    rep_teams: dict[str, str] = field(default_factory=dict)
    touches: TouchTally | None = None
    factors: ModelFactors | None = None
    until: dt.datetime | None = None
    first_created: dt.datetime | None = None
    last_created: dt.datetime | None = None
    last_seen: float = -math.inf
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
        channel = self.channels.setdefault(lead.channel, ChannelTally())
        channel.add(lead, first_contact)
        if lead.owner_team is not None:
            self.teams.setdefault(lead.owner_team, TeamTally()).add(lead)
            if lead.owner_id is not None:
                self.rep_teams.setdefault(lead.owner_id, lead.owner_team)
        if self.touches is not None and self.factors is not None:
            self._conversation(lead, channel, first_contact)
            self._meetings(lead)

    def _conversation(self, lead: LeadRecord, channel: ChannelTally,
                      first_contact: dt.datetime | None) -> None:
        assert self.touches is not None and self.factors is not None
        slot = self.touches.index.get(lead.lead_id)
        if slot is None or first_contact is None:
            return
        talk = self.touches.talk[slot]
        if talk == NEVER:
            return
        created = (lead.created_at - EPOCH).total_seconds()
        qualified = _seconds(lead.qualified_at or lead.opportunity_at or lead.won_at, self.end())
        again = self.touches.talk_again[slot]
        first_qualified = qualified is not None and qualified <= again
        team = self.touches.teams[self.touches.talk_team[slot]]
        factor = self.factors.multiplier(team, lead.complexity,
                                         (talk - created) / SECONDS_PER_DAY)
        delay = (first_contact - lead.created_at).total_seconds() / SECONDS_PER_HOUR
        channel.add_conversation(lead.grade or NO_GRADE, delay, first_qualified, factor)

    def _meetings(self, lead: LeadRecord) -> None:
        assert self.touches is not None and self.factors is not None
        for when in (lead.created_at, lead.qualified_at, lead.opportunity_at, lead.won_at,
                     lead.lost_at):
            if when is not None:
                self.last_seen = max(self.last_seen, (when - EPOCH).total_seconds())
        if lead.owner_team is None or lead.qualified_at is None:
            return
        slot = self.touches.index.get(lead.lead_id)
        held = 0 if slot is None else self.touches.held[slot]
        team = self.teams[lead.owner_team]
        team.add_meetings(lead, held, self.end(), self.factors)

    def end(self) -> float:
        """When the export stops seeing, in seconds since the epoch."""
        if self.until is not None:
            return (self.until - EPOCH).total_seconds()
        return math.inf

    def end_seen(self) -> float:
        """The end for censored waits: ``until``, else the last time in the export."""
        if self.until is not None:
            return self.end()
        last = self.touches.last if self.touches is not None else -math.inf
        return max(self.last_seen, last)

    def span_days(self) -> int:
        """Calendar days from the first lead's date to the last lead's, both included."""
        if self.first_created is None or self.last_created is None:
            return 0
        return (self.last_created.date() - self.first_created.date()).days + 1

    def conversations(self) -> int:
        """First conversations tallied (0 without activities)."""
        return sum(tally.talked() for tally in self.channels.values())

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
