"""The reps' working time: cleaning, contact attempts, meetings, claiming and prospecting.

Each rep is a SimPy process that, inside its team's calendar, takes the next item of work:
its own new leads, the team's shared queue, its follow-ups that fell due, a lead claimed
from a pool when nothing else is left; or a block of outbound prospecting when the team
spends a share of its time on it. Outcomes are drawn from per-lead counter-based uniforms.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

from sim import followup
from sim.calendar import HOURS_PER_DAY
from sim.floor import Rep, TeamFloor, nudge, pop_due, pop_new, pop_queue, schedule
from sim.leads import (
    CONTACTED,
    IN_WORK,
    OPPORTUNITY,
    QUALIFIED,
    Lead,
    refined_score,
)
from sim.metrics import BUSY_HOURS
from sim.streams import (
    ADVANCE,
    CONNECT,
    CYCLE,
    DURATION,
    OPT_OUT,
    SDR_CLEAN,
    SDR_JUDGE,
    SHOW,
    lead_exponential,
    lead_uniform,
)

if TYPE_CHECKING:
    from sim.model import LeadModel

CLEAN, ATTEMPT, MEETING = range(3)
TOUCH_KINDS = ("clean", "attempt", "meeting")
RING_BLOCK = 1024  # leads whose touch rings are added to the array at a time


class Work:
    """Runs every rep's working day and applies the outcome of each piece of work."""

    def __init__(self, model: LeadModel):
        self.model = model
        self.env = model.env
        self.tally = model.tally
        follow_up = model.policy.follow_up
        self.new_first = follow_up.work_order == "new_first"
        self.spacing = follow_up.spacing_hours
        self.max_attempts = follow_up.max_attempts
        self.meeting_attempts = follow_up.meeting_attempts
        self.decay = [c.decay or model.scenario.decay for c in model.scenario.channels.values()]
        experience = model.scenario.experience
        self.touch_window = experience.touch_window_days * HOURS_PER_DAY
        self.touch_limit = experience.touch_limit
        self.touch_ring = array("d")  # each lead's last touch times; see _over_limit
        self.opt_out_chance = experience.opt_out_per_excess_touch
        self.duplicate_window = experience.duplicate_window_days * HOURS_PER_DAY
        self.outbound = next((i for i, c in enumerate(model.scenario.channels.values())
                              if c.kind == "outbound"), -1)
        self.order = 0

    def start(self) -> None:
        for team in self.model.floor:
            for rep in team.reps:
                self.env.process(self.shift(rep))

    # --- the working loop ---------------------------------------------------------------

    def shift(self, rep: Rep) -> Any:
        env, team = self.env, rep.team
        calendar = team.calendar
        # settings that cannot change during the run, read once per rep
        absences = team.spec.absence_rate > 0
        prospects = team.spec.outbound_share > 0 and self.outbound >= 0
        always_open, logged = calendar.always_open, self.model.log is not None
        while rep.active:
            if not always_open and not calendar.is_open(env.now):
                yield env.timeout(calendar.next_open(env.now) - env.now)
                continue
            if absences and self.model.absent(rep):
                yield env.timeout(HOURS_PER_DAY - env.now % HOURS_PER_DAY)
                continue
            if prospects and self._prospecting_due(rep):
                yield from self._prospect(rep)
                continue
            lead = self._next_lead(rep)
            if lead is None:
                rep.idle = True
                rep.wake = env.event()
                team.idle.append(rep)
                team.went_idle += 1
                yield rep.wake
                continue
            started = env.now
            kind = self._start(rep, lead)
            hours = self._duration(team, lead, kind)
            if logged and started + hours >= self.model.horizon:
                self._record_touch(rep, lead, kind, started, "open")  # ends after the horizon
            yield env.timeout(hours)
            self._account_busy(rep, lead, hours)
            outcome = self._finish(rep, lead, kind)
            if logged:
                self._record_touch(rep, lead, kind, started, outcome)
        self.model.circulation.hand_over(rep)

    def _next_lead(self, rep: Rep) -> Lead | None:
        team, now = rep.team, self.env.now
        cap = team.spec.private_pool_cap
        if self.new_first:
            lead = pop_new(rep) or pop_queue(team, rep, cap) or pop_due(rep, now)
        else:
            lead = pop_due(rep, now) or pop_new(rep) or pop_queue(team, rep, cap)
        if lead is None and not team.is_sdr:
            lead = self.model.circulation.claim(rep)
        return lead

    def _start(self, rep: Rep, lead: Lead) -> int:
        model, now, sdr = self.model, self.env.now, rep.team.is_sdr
        if sdr:
            self.tally.sdr_wait_hours.append(now - lead.arrived_at)
        elif lead.owner is None:
            model.own(rep, lead)
        lead.state = IN_WORK
        if not lead.touched_since_assigned and not sdr:
            lead.touched_since_assigned = True
            model.circulation.first_touch(lead)
        rep.current = lead
        if lead.first_contact_at < 0:
            model.first_contact(lead)
        return CLEAN if sdr else MEETING if lead.stage >= QUALIFIED else ATTEMPT

    def _duration(self, team: TeamFloor, lead: Lead, kind: int) -> float:
        uniform = lead_uniform(lead.key, DURATION, lead.touches)
        if kind == CLEAN and team.clean_draw is not None:
            return team.clean_draw.hours(uniform)
        draw = team.meeting_draw if kind == MEETING else team.attempt_draw
        return draw.hours(uniform)

    def _account_busy(self, rep: Rep, lead: Lead, hours: float) -> None:
        end, calendar = self.env.now, rep.team.calendar
        start = end - hours
        in_shift = (end if calendar.always_open else min(end, calendar.shift_end(start))) - start
        rep.busy_hours += in_shift
        rep.current = None
        if not rep.team.is_sdr:
            self.tally.sales_busy_hours += in_shift
        day = int(end // HOURS_PER_DAY)
        self.tally.add(day, lead.channel, lead.business_line, BUSY_HOURS, hours)

    def _finish(self, rep: Rep, lead: Lead, kind: int) -> str:
        """Apply the outcome of the touch; return it as the event log names it."""
        if lead.state != IN_WORK:
            # moved away while being worked (the rep left, or an administrator)
            return "interrupted"
        if self.touch(lead, rep):
            return "opted_out"
        talked = lead.last_conversation_at
        if kind == CLEAN:
            self._clean(rep, lead)
        elif kind == MEETING:
            self._meet(rep, lead)
        else:
            self._attempt(rep, lead)
        reached = lead.last_conversation_at != talked
        if kind == MEETING:
            return "held" if reached else "no_show"
        return "connected" if reached else "no_answer"

    def _record_touch(self, rep: Rep, lead: Lead, kind: int, started: float, outcome: str
                      ) -> None:
        """One ``touch`` row, stamped with the start: what kind, how it ended, who did it."""
        via = "visit" if kind == MEETING and rep.team.spec.role == "field" else "call"
        self.model.record(lead, "touch", f"kind={TOUCH_KINDS[kind]} via={via} "
                                         f"outcome={outcome} rep={rep.name}", at=started)

    # --- prospecting --------------------------------------------------------------------

    def _prospecting_due(self, rep: Rep) -> bool:
        share = rep.team.spec.outbound_share
        if share <= 0 or self.outbound < 0:
            return False
        worked = rep.busy_hours + rep.prospect_hours
        return rep.prospect_hours <= share * worked

    def _prospect(self, rep: Rep) -> Any:
        """A block of outbound prospecting; the leads found go to the rep's private pool."""
        spec = rep.team.spec
        hours = spec.prospecting_block_minutes / 60.0
        yield self.env.timeout(hours)
        rep.prospect_hours += hours
        self.tally.prospect_hours += hours
        if self.model.history is not None:
            return  # replay: the time is spent, but the leads found are already in the history
        rng = self.model.streams.staff
        for _ in range(int(rng.poisson(spec.outbound_leads_per_hour * hours))):
            self.tally.outbound_leads += 1
            self.model.arrive(self.outbound, owner=rep)

    # --- outcomes -----------------------------------------------------------------------

    def _clean(self, rep: Rep, lead: Lead) -> None:
        """SDR cleaning: disqualify junk, refine the score, hand on to sales."""
        model, spec = self.model, rep.team.spec
        connected = lead_uniform(lead.key, SDR_CLEAN, lead.cycles) < spec.connect_rate
        if connected:
            lead.stage = max(lead.stage, CONTACTED)
            self.tally.reached(lead, CONTACTED, model._day())
            lead.last_conversation_at = self.env.now
            if model.policy.routing.sdr_disqualify and self._judged_junk(lead, rep):
                model.lose(lead, "sdr_disqualified")
                return
            normal = followup.normal_from_uniform(lead_uniform(lead.key, SDR_JUDGE, 1))
            lead.score = refined_score(lead.propensity, spec.refined_score_noise, normal)
            lead.grade = model.grade(lead.score)
        if model.log:
            model.record(lead, "cleaned", "connected" if connected else "unreached")
        model.to_team(lead, model.teams[model.route_of(lead, skip_sdr=True).team])

    def _judged_junk(self, lead: Lead, rep: Rep) -> bool:
        spec = rep.team.spec
        junk = lead.propensity < self.model.scenario.classification.junk_propensity
        chance = spec.disqualify_accuracy if junk else spec.false_disqualify_rate
        return lead_uniform(lead.key, SDR_JUDGE, 0) < chance

    def _attempt(self, rep: Rep, lead: Lead) -> None:
        """A contact attempt: maybe a conversation, maybe qualification."""
        lead.attempts += 1
        counter = int(lead.cycles) * 64 + int(lead.attempts)
        if lead_uniform(lead.key, CONNECT, counter) >= rep.team.spec.connect_rate:
            if self.model.log:
                self.model.record(lead, "attempt", "no_answer")
            if lead.attempts >= self.max_attempts:
                self.model.release(lead, "unreached")
            else:
                self.follow_up(rep, lead, self._spacing(lead.attempts))
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
        self.tally.reached(lead, CONTACTED, self.model._day())
        lead.last_conversation_at = now
        if lead_uniform(lead.key, ADVANCE, int(lead.cycles) * 8) >= chance:
            if self.model.log:
                self.model.record(lead, "attempt", "not_ready")
            self.model.release(lead, "not_ready")
            return
        self._advance(lead, QUALIFIED)
        self.model.ranking.credit(rep, "qualified")
        if self.model.log:
            self.model.record(lead, "qualified", f"chance={chance:.3f}")
        gap = rep.team.spec.cycle_days.to_opportunity * HOURS_PER_DAY
        self.follow_up(rep, lead, lead_exponential(lead.key, CYCLE, QUALIFIED, gap))

    def _meet(self, rep: Rep, lead: Lead) -> None:
        """A sales-cycle meeting: it may not happen; if it does, the deal moves or dies."""
        model, spec = self.model, rep.team.spec
        lead.meetings += 1
        show = lead_uniform(lead.key, SHOW, int(lead.stage) * 64 + int(lead.meetings))
        if show >= spec.meeting_show_rate:
            if lead.meetings >= self.meeting_attempts:
                model.lose(lead, "went_dark")
            else:
                self.follow_up(rep, lead, self._spacing(1))
            return
        curve = self.decay[lead.channel]
        stale = followup.staleness_factor(
            curve, (self.env.now - lead.last_conversation_at) / HOURS_PER_DAY)
        lead.last_conversation_at = self.env.now
        base = spec.opportunity_rate if lead.stage == QUALIFIED else spec.win_rate
        chance = followup.stage_probability(base, stale, rep.skill, rep.team.fit[lead.complexity])
        if lead_uniform(lead.key, ADVANCE, lead.stage) >= chance:
            model.lose(lead, "no_fit" if lead.stage == QUALIFIED else "lost_deal")
        elif lead.stage == QUALIFIED:
            self._advance(lead, OPPORTUNITY)
            if model.log:
                model.record(lead, "opportunity", f"chance={chance:.3f}")
            gap = spec.cycle_days.to_close * HOURS_PER_DAY
            self.follow_up(rep, lead, lead_exponential(lead.key, CYCLE, OPPORTUNITY, gap))
        else:
            model.win(lead)

    def _advance(self, lead: Lead, stage: int) -> None:
        lead.stage = stage
        self.tally.reached(lead, stage, self.model._day())
        lead.meetings = 0
        if stage == OPPORTUNITY and isinstance(lead.owner, Rep):
            lead.owner.opportunities += 1
        self.model.circulation.on_progress(lead)

    def _spacing(self, done: int) -> float:
        return self.spacing[min(done - 1, len(self.spacing) - 1)]

    def follow_up(self, rep: Rep, lead: Lead, after_hours: float) -> None:
        """Put the lead on the rep's agenda ``after_hours`` from now."""
        self.order += 1
        schedule(rep, self.env.now + after_hours, lead, self.order)
        self.model.alarms.call_later(after_hours, nudge, rep)

    # --- experience ---------------------------------------------------------------------

    def touch(self, lead: Lead, rep: Rep | None) -> bool:
        """Record a touch (a rep's attempt or a campaign message) and check the limits.

        Returns True when the touch made the customer opt out (the lead is then blocked).
        """
        now, previous = self.env.now, lead.last_touch_at
        lead.touches += 1
        lead.last_touch_at = now
        self.tally.touches += 1
        if lead.touches == 1:  # a first touch keeps no list and cannot pass a limit
            over = first_time = False
        else:
            over, first_time = self._over_limit(lead, now, previous)
        if rep is not None and not rep.team.is_sdr and not lead.duplicated:
            self._check_duplicate(lead, rep, now)
        if first_time and self.model.policy.circulation.block_harassed:
            self.model.circulation.block(lead, "harassed")
            return True
        if over and lead_uniform(lead.key, OPT_OUT, lead.touches) < self.opt_out_chance:
            self.model.circulation.block(lead, "opted_out")
            return True
        return False

    def _over_limit(self, lead: Lead, now: float, previous: float) -> tuple[bool, bool]:
        """Whether the lead is over the touch limit now, and whether for the first time.

        Called from the second touch on. More than ``limit`` touches inside the window means
        the touch ``limit`` places before this one fell inside it, so each lead needs only
        its last ``limit`` touch times: a ring of ``limit`` slots in one typed array for the
        whole model, at ``lead.id * limit``, where touch ``n`` writes slot ``(n - 1) % limit``
        after reading the touch it replaces. The first touch, whose time ``previous`` holds,
        enters the ring at the second.
        """
        limit, count = self.touch_limit, int(lead.touches)
        ring, base = self.touch_ring, int(lead.id) * limit
        if count == 2:
            if len(ring) < base + limit:
                ring.frombytes(bytes(8 * max(base + limit - len(ring), RING_BLOCK * limit)))
            ring[base] = previous
        slot = base + (count - 1) % limit
        over = count > limit and ring[slot] > now - self.touch_window
        ring[slot] = now
        first_time = over and not lead.harassed
        if first_time:
            lead.harassed = True
            self.tally.harassed += 1
        return over, first_time

    def _check_duplicate(self, lead: Lead, rep: Rep, now: float) -> None:
        """Another rep's contact inside the window marks the lead duplicated. Only the last
        contact can matter: an earlier one inside the window would have been caught then."""
        if lead.contact_rep >= 0 and lead.contact_rep != rep.uid \
                and lead.contact_at > now - self.duplicate_window:
            lead.duplicated = True
            lead.contact_rep = -1
            self.tally.duplicated += 1
            return
        lead.contact_rep, lead.contact_at = rep.uid, now
