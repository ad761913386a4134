"""One replication of the lead-lifecycle model.

Leads arrive by channel, are graded and routed, cleaned by SDRs or sent straight to a
sales team, followed up by reps within their working time, and advance through the funnel
until they are won, lost or released. Every lead is counted in exactly one state at every
moment; :meth:`LeadModel.census` checks that independently of the counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simpy

from leadops.errors import InvariantError
from policies import LeadView, Policy, Route, grade_of, route
from scenarios import Scenario
from sim import followup
from sim.arrivals import ArrivalProfile, arrival_times
from sim.eventlog import EventLog
from sim.floor import (
    Rep,
    TeamFloor,
    build_floor,
    nudge,
    nudge_team,
    pop_due,
    pop_new,
    pop_queue,
    schedule,
)
from sim.leads import (
    CONTACTED,
    DONE_LOST,
    DONE_WON,
    HELD,
    IN_WORK,
    NEW,
    OPPORTUNITY,
    QUALIFIED,
    SCHEDULED,
    STAGE_NAMES,
    WAITING,
    WAITING_SDR,
    WON,
    Lead,
    LeadFactory,
    refined_score,
)
from sim.metrics import (
    BUSY_HOURS,
    FIRST_CONTACTS,
    LEADS,
    REVENUE,
    SLA_MET,
    Tally,
)
from sim.metrics import (
    WON as WON_COLUMN,
)
from sim.streams import (
    ADVANCE,
    CONNECT,
    CYCLE,
    DURATION,
    PATIENCE,
    SDR_CLEAN,
    SDR_JUDGE,
    SHOW,
    Streams,
    lead_exponential,
    lead_uniform,
)

HOURS_PER_DAY = 24.0
CLEAN, ATTEMPT, MEETING = range(3)


@dataclass(frozen=True)
class ModelOptions:
    """Run settings that are not part of the scenario or the policy."""

    seed: int = 0
    replication: int = 0
    days: int | None = None
    events: Path | None = None
    events_header: bool = True


class LeadModel:
    """The SimPy model of one replication. Build it, then call :meth:`run` once."""

    def __init__(self, scenario: Scenario, policy: Policy, options: ModelOptions):
        self.scenario = scenario
        self.policy = policy
        self.options = options
        self.days = options.days or scenario.days
        self.horizon = self.days * HOURS_PER_DAY
        self.env = simpy.Environment()
        self.channel_names = list(scenario.channels)
        self.line_names = list(scenario.business_lines)
        self.streams = Streams.from_seed(options.seed, options.replication, self.channel_names)
        first_weekday = scenario.start_date.weekday()
        self.floor = build_floor(scenario, self.streams.staff, first_weekday)
        self.teams = {team.name: team for team in self.floor}
        self.tally = Tally(len(self.channel_names), len(self.line_names), self.days)
        self.log = EventLog(options.events, header=options.events_header) \
            if options.events else None
        self._prepare_rules()

    def _prepare_rules(self) -> None:
        """Turn validated settings into plain numbers the hot paths read."""
        policy, scenario = self.policy, self.scenario
        self.strategy = policy.assignment.strategy
        self.new_first = policy.follow_up.work_order == "new_first"
        self.spacing = policy.follow_up.spacing_hours
        self.max_attempts = policy.follow_up.max_attempts
        self.sla_hours = policy.circulation.sla_hours
        self.decay = [channel.decay or scenario.decay for channel in scenario.channels.values()]
        self.margins = [line.gross_margin for line in scenario.business_lines.values()]
        self.patience = scenario.patience.mean_hours if scenario.patience.enabled else None
        self.touch_window = scenario.experience.touch_window_days * HOURS_PER_DAY
        self.touch_limit = scenario.experience.touch_limit
        self.duplicate_window = scenario.experience.duplicate_window_days * HOURS_PER_DAY
        uses_deal_size = any(rule.when.min_deal_size is not None
                             or rule.when.max_deal_size is not None
                             for rule in policy.routing.rules)
        self.route_cache: dict[tuple[Any, ...], Route] | None = None if uses_deal_size else {}
        self.sdr_team = self.teams.get(policy.routing.sdr_team)
        self.order = 0
        self.live = 0

    # --- running ------------------------------------------------------------------------

    def run(self) -> None:
        """Play out the horizon. Leads still in work at the end stay counted as in work."""
        for index, name in enumerate(self.channel_names):
            self.env.process(self._arrivals(index, name))
        for team in self.floor:
            for rep in team.reps:
                self.env.process(self._work(rep))
        try:
            self.env.run(until=self.horizon)
        finally:
            if self.log is not None:
                self.log.close()
        self._close_capacity()

    def _arrivals(self, index: int, name: str) -> Any:
        channel = self.scenario.channels[name]
        profile = ArrivalProfile(channel, self.scenario.start_date, self.scenario.volume_scale)
        factory = LeadFactory(self.scenario, channel, self.streams.attributes[name])
        env = self.env
        for instant in arrival_times(profile, self.days, self.streams.arrivals[name]):
            if instant > env.now:
                yield env.timeout(instant - env.now)
            self._arrive(index, factory)

    # --- arrival, grading and routing ---------------------------------------------------

    def _arrive(self, channel: int, factory: LeadFactory) -> None:
        key, line, region, complexity, deal, propensity, score = factory.draw()
        lead = Lead(self.tally.arrived, key, channel, self.env.now)
        lead.business_line, lead.region, lead.complexity = line, region, complexity
        lead.deal_size, lead.propensity, lead.score = deal, propensity, score
        lead.grade = grade_of(score, self.policy.grading)
        self.tally.arrived += 1
        self.live += 1
        self.tally.add(self._day(), channel, line, LEADS, 1.0)
        if self.env.now + self.sla_hours <= self.horizon:
            self.tally.sla_due += 1
        if self.log:
            self._log(lead, "arrived", f"score={score:.3f}")
        path = self._route(lead)
        if path.sdr and self.sdr_team is not None and self.sdr_team.reps:
            self._to_sdr(lead)
        else:
            self._to_team(lead, self.teams[path.team])
        if self.patience is not None:
            wait = lead_exponential(lead.key, PATIENCE, 0, self.patience)
            self.env.timeout(wait).callbacks.append(lambda _: self._go_cold(lead))

    def _route(self, lead: Lead, *, skip_sdr: bool = False) -> Route:
        cache_key = (lead.grade, lead.channel, lead.business_line, lead.region,
                     lead.complexity, skip_sdr)
        if self.route_cache is not None and cache_key in self.route_cache:
            return self.route_cache[cache_key]
        view = LeadView(lead.grade, self.channel_names[lead.channel],
                        self.line_names[lead.business_line],
                        self.scenario.regions[lead.region],
                        ("low", "medium", "high")[lead.complexity], lead.deal_size)
        path = route(self.policy.routing, view)
        if skip_sdr:
            path = Route(path.rule, False, path.team)
        if self.route_cache is not None:
            self.route_cache[cache_key] = path
        return path

    def _to_sdr(self, lead: Lead) -> None:
        if self.sdr_team is None:
            raise InvariantError("a lead was sent to SDR cleaning without an SDR team")
        lead.state = WAITING_SDR
        lead.via_sdr = True
        self.sdr_team.queue.append(lead)
        if self.log:
            self._log(lead, "queued_sdr", self.sdr_team.name)
        nudge_team(self.sdr_team)

    def _to_team(self, lead: Lead, team: TeamFloor) -> None:
        """Hand a lead to a sales team: to an owner now, or to the shared queue."""
        lead.team = team.index
        lead.state = WAITING
        if self.strategy == "next_available" or not team.reps:
            team.queue.append(lead)
            if self.log:
                self._log(lead, "queued", team.name)
            nudge_team(team)
            return
        rep = self._choose_rep(team, lead)
        if rep is None:
            self._hold(lead, "cap_reached")
            return
        self._own(rep, lead)
        rep.new.append(lead)
        if self.log:
            self._log(lead, "assigned", team.name)
        nudge(rep)

    def _choose_rep(self, team: TeamFloor, lead: Lead) -> Rep | None:
        cap = team.spec.private_pool_cap
        reps = team.eligible(lead.region)
        if self.strategy == "least_loaded":
            best = min(reps, key=lambda rep: rep.held)
            return best if best.held < cap else None
        for step in range(len(reps)):
            rep = reps[(team.cursor + step) % len(reps)]
            if rep.held < cap:
                team.cursor = (team.cursor + step + 1) % len(reps)
                return rep
        return None

    # --- the rep's working day ----------------------------------------------------------

    def _work(self, rep: Rep) -> Any:
        env, team = self.env, rep.team
        calendar = team.calendar
        while True:
            if not calendar.always_open and not calendar.is_open(env.now):
                yield env.timeout(calendar.next_open(env.now) - env.now)
                continue
            lead = self._next_lead(rep)
            if lead is None:
                rep.idle = True
                rep.wake = env.event()
                team.idle.append(rep)
                yield rep.wake
                continue
            kind = self._start(rep, lead)
            hours = self._duration(team, lead, kind)
            yield env.timeout(hours)
            self._account_busy(rep, lead, hours)
            self._finish(rep, lead, kind)

    def _next_lead(self, rep: Rep) -> Lead | None:
        team, now = rep.team, self.env.now
        cap = team.spec.private_pool_cap
        if self.new_first:
            return pop_new(rep) or pop_queue(team, rep, cap) or pop_due(rep, now)
        return pop_due(rep, now) or pop_new(rep) or pop_queue(team, rep, cap)

    def _start(self, rep: Rep, lead: Lead) -> int:
        now = self.env.now
        if rep.team.is_sdr:
            self.tally.sdr_wait_hours.append(now - lead.arrived_at)
        elif lead.owner is None:
            self._own(rep, lead)
        lead.state = IN_WORK
        rep.current = lead
        if lead.first_contact_at < 0:
            self._first_contact(lead, now)
        kind = CLEAN if rep.team.is_sdr else MEETING if lead.stage >= QUALIFIED else ATTEMPT
        return kind

    def _duration(self, team: TeamFloor, lead: Lead, kind: int) -> float:
        uniform = lead_uniform(lead.key, DURATION, lead.touches)
        if kind == CLEAN and team.spec.clean_minutes is not None:
            return followup.duration_hours(team.spec.clean_minutes, uniform)
        spec = team.meeting if kind == MEETING else team.spec.attempt_minutes
        return followup.duration_hours(spec, uniform)

    def _account_busy(self, rep: Rep, lead: Lead, hours: float) -> None:
        end = self.env.now
        in_shift = min(end, rep.team.calendar.shift_end(end - hours)) - (end - hours)
        rep.busy_hours += in_shift
        rep.current = None
        if not rep.team.is_sdr:
            self.tally.sales_busy_hours += in_shift
        self.tally.add(self._day(), lead.channel, lead.business_line, BUSY_HOURS, hours)

    def _finish(self, rep: Rep, lead: Lead, kind: int) -> None:
        self._touch(lead, rep)
        if kind == CLEAN:
            self._clean(rep, lead)
        elif kind == MEETING:
            self._meet(rep, lead)
        else:
            self._attempt(rep, lead)

    # --- outcomes -----------------------------------------------------------------------

    def _clean(self, rep: Rep, lead: Lead) -> None:
        """SDR cleaning: disqualify junk, refine the score, hand on to sales."""
        spec = rep.team.spec
        connected = lead_uniform(lead.key, SDR_CLEAN, 0) < spec.connect_rate
        if connected:
            lead.stage = CONTACTED
            lead.last_conversation_at = self.env.now
            if self.policy.routing.sdr_disqualify and self._judged_junk(lead):
                self._lose(lead, "sdr_disqualified")
                return
            normal = followup.normal_from_uniform(lead_uniform(lead.key, SDR_JUDGE, 1))
            lead.score = refined_score(lead.propensity, spec.refined_score_noise, normal)
            lead.grade = grade_of(lead.score, self.policy.grading)
        if self.log:
            self._log(lead, "cleaned", "connected" if connected else "unreached")
        self._to_team(lead, self.teams[self._route(lead, skip_sdr=True).team])

    def _judged_junk(self, lead: Lead) -> bool:
        if self.sdr_team is None:
            return False
        spec = self.sdr_team.spec
        junk = lead.propensity < self.scenario.classification.junk_propensity
        chance = spec.disqualify_accuracy if junk else spec.false_disqualify_rate
        return lead_uniform(lead.key, SDR_JUDGE, 0) < chance

    def _attempt(self, rep: Rep, lead: Lead) -> None:
        """A contact attempt: maybe a conversation, maybe qualification."""
        lead.attempts += 1
        spec = rep.team.spec
        if lead_uniform(lead.key, CONNECT, lead.attempts) >= spec.connect_rate:
            if self.log:
                self._log(lead, "attempt", "no_answer")
            if lead.attempts >= self.max_attempts:
                self._hold(lead, "unreached")
            else:
                self._follow_up(rep, lead, self._spacing(lead.attempts))
            return
        self._converse(rep, lead)

    def _converse(self, rep: Rep, lead: Lead) -> None:
        now = self.env.now
        curve = self.decay[lead.channel]
        since = lead.last_conversation_at if lead.last_conversation_at >= 0 else lead.arrived_at
        decay = followup.decay_factor(curve, lead.first_contact_at - lead.arrived_at)
        stale = followup.staleness_factor(curve, (now - since) / HOURS_PER_DAY)
        fit = rep.team.fit[lead.complexity]
        chance = followup.qualify_probability(lead.propensity, decay, stale, rep.skill, fit)
        lead.stage = max(lead.stage, CONTACTED)
        lead.last_conversation_at = now
        if lead_uniform(lead.key, ADVANCE, 0) >= chance:
            if self.log:
                self._log(lead, "attempt", "not_ready")
            self._hold(lead, "not_ready")
            return
        lead.stage = QUALIFIED
        if self.log:
            self._log(lead, "qualified", f"chance={chance:.3f}")
        gap = rep.team.spec.cycle_days.to_opportunity * HOURS_PER_DAY
        self._follow_up(rep, lead, lead_exponential(lead.key, CYCLE, QUALIFIED, gap))

    def _meet(self, rep: Rep, lead: Lead) -> None:
        """A sales-cycle meeting: it may not happen; if it does, the deal moves or dies."""
        spec = rep.team.spec
        lead.meetings += 1
        if lead_uniform(lead.key, SHOW, lead.stage * 64 + lead.meetings) >= spec.meeting_show_rate:
            if lead.meetings >= self.policy.follow_up.meeting_attempts:
                self._lose(lead, "went_dark")
            else:
                self._follow_up(rep, lead, self._spacing(1))
            return
        curve = self.decay[lead.channel]
        stale = followup.staleness_factor(
            curve, (self.env.now - lead.last_conversation_at) / HOURS_PER_DAY)
        lead.last_conversation_at = self.env.now
        base = spec.opportunity_rate if lead.stage == QUALIFIED else spec.win_rate
        chance = followup.stage_probability(base, stale, rep.skill, rep.team.fit[lead.complexity])
        if lead_uniform(lead.key, ADVANCE, lead.stage) >= chance:
            self._lose(lead, "no_fit" if lead.stage == QUALIFIED else "lost_deal")
        elif lead.stage == QUALIFIED:
            lead.stage = OPPORTUNITY
            lead.meetings = 0
            if self.log:
                self._log(lead, "opportunity", f"chance={chance:.3f}")
            gap = spec.cycle_days.to_close * HOURS_PER_DAY
            self._follow_up(rep, lead, lead_exponential(lead.key, CYCLE, OPPORTUNITY, gap))
        else:
            self._win(lead)

    def _spacing(self, done: int) -> float:
        return self.spacing[min(done - 1, len(self.spacing) - 1)]

    def _follow_up(self, rep: Rep, lead: Lead, after_hours: float) -> None:
        due = self.env.now + after_hours
        self.order += 1
        schedule(rep, due, lead, self.order)
        self.env.timeout(after_hours).callbacks.append(lambda _: nudge(rep))

    # --- state changes ------------------------------------------------------------------

    def _first_contact(self, lead: Lead, now: float) -> None:
        delay = now - lead.arrived_at
        lead.first_contact_at = now
        self.tally.first_contact_hours.append(delay)
        day = self._day()
        self.tally.add(day, lead.channel, lead.business_line, FIRST_CONTACTS, 1.0)
        if lead.arrived_at + self.sla_hours > self.horizon:
            self.tally.sla_due += 1
        if delay <= self.sla_hours:
            self.tally.sla_met += 1
            self.tally.add(day, lead.channel, lead.business_line, SLA_MET, 1.0)

    def _touch(self, lead: Lead, rep: Rep) -> None:
        """Record a touch and check the experience limits."""
        now = self.env.now
        lead.touches += 1
        self.tally.touches += 1
        if not lead.harassed:
            recent = [t for t in (lead.recent_touches or ()) if t > now - self.touch_window]
            recent.append(now)
            lead.recent_touches = recent
            if len(recent) > self.touch_limit:
                lead.harassed = True
                lead.recent_touches = None
                self.tally.harassed += 1
        if not rep.team.is_sdr and not lead.duplicated:
            self._check_duplicate(lead, rep, now)

    def _check_duplicate(self, lead: Lead, rep: Rep, now: float) -> None:
        since = now - self.duplicate_window
        others = [(uid, t) for uid, t in (lead.contacts or ()) if t > since and uid != rep.uid]
        if others:
            lead.duplicated = True
            lead.contacts = None
            self.tally.duplicated += 1
            return
        lead.contacts = [(rep.uid, now)]

    def _own(self, rep: Rep, lead: Lead) -> None:
        lead.owner = rep
        rep.held += 1

    def _disown(self, lead: Lead) -> None:
        owner = lead.owner
        if isinstance(owner, Rep):
            owner.held -= 1
        lead.owner = None

    def _win(self, lead: Lead) -> None:
        lead.stage = WON
        lead.state = DONE_WON
        self._disown(lead)
        self.live -= 1
        self.tally.won += 1
        revenue = lead.deal_size * self.margins[lead.business_line]
        day = self._day()
        self.tally.add(day, lead.channel, lead.business_line, WON_COLUMN, 1.0)
        self.tally.add(day, lead.channel, lead.business_line, REVENUE, revenue)
        self.tally.days_to_win.append((self.env.now - lead.arrived_at) / HOURS_PER_DAY)
        if self.log:
            self._log(lead, "won", f"revenue={revenue:.2f}")

    def _lose(self, lead: Lead, reason: str) -> None:
        lead.state = DONE_LOST
        self._disown(lead)
        self.live -= 1
        self.tally.count(self.tally.lost, reason)
        if self.log:
            self._log(lead, "lost", reason)

    def _hold(self, lead: Lead, reason: str) -> None:
        """Release a lead from work into the holding state: counted, never dropped."""
        lead.state = HELD
        self._disown(lead)
        self.live -= 1
        self.tally.count(self.tally.held, reason)
        if self.log:
            self._log(lead, "released", reason)

    def _go_cold(self, lead: Lead) -> None:
        """Patience ran out before the first contact: the lead abandons."""
        if lead.first_contact_at >= 0 or lead.state not in (WAITING, WAITING_SDR):
            return
        self.tally.abandoned += 1
        self.tally.abandoned_wait_hours += self.env.now - lead.arrived_at
        self._lose(lead, "went_cold")

    # --- bookkeeping --------------------------------------------------------------------

    def _day(self) -> int:
        return int(self.env.now // HOURS_PER_DAY)

    def _close_capacity(self) -> None:
        for team in self.floor:
            if team.is_sdr:
                continue
            hours = team.calendar.working_hours(0.0, self.horizon)
            self.tally.sales_capacity_hours += hours * len(team.reps)

    def census(self) -> dict[str, int]:
        """Count leads by state from the queues themselves, not from the counters."""
        seen: dict[int, Lead] = {}
        for team in self.floor:
            for lead in team.queue:
                if lead.state in (WAITING, WAITING_SDR) and lead.owner is None:
                    seen[lead.id] = lead
            for rep in team.reps:
                for lead in rep.new:
                    if lead.state == WAITING and lead.owner is rep:
                        seen[lead.id] = lead
                for _, _, lead in rep.due:
                    if lead.state == SCHEDULED and lead.owner is rep:
                        seen[lead.id] = lead
                if rep.current is not None:
                    seen[rep.current.id] = rep.current
        tally = self.tally
        return {
            "arrived": tally.arrived,
            "won": tally.won,
            "lost": sum(tally.lost.values()),
            "held": sum(tally.held.values()),
            "in_work": len(seen),
            "in_work_counted": self.live,
        }

    def _log(self, lead: Lead, event: str, detail: str = "") -> None:
        if self.log is None:
            return
        owner = lead.owner.name if isinstance(lead.owner, Rep) else ""
        team = self.floor[lead.team].name if lead.team >= 0 else ""
        self.log.write((
            self.options.replication, round(self.env.now, 6), lead.id, event,
            self.channel_names[lead.channel], self.line_names[lead.business_line],
            self.scenario.regions[lead.region], lead.grade, team, owner,
            STAGE_NAMES[lead.stage], detail,
        ))


__all__ = ["NEW", "LeadModel", "ModelOptions"]
