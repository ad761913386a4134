"""Circulation: the rules that move leads between private, public, grand and blocked pools.

Each rule arms one timer per lead and ownership, which checks its condition when it fires
and re-arms itself when the condition moved (a touch, a stage advance, an extension). A due
rule acts at once when the CRM recycles in real time, or waits for the nightly batch, where
it is checked again, as CRMs do. Claiming, transfers on attrition, administrator
rebalancing and the manual review of the blocked pool live here too.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policies.schema import GRADES
from sim.calendar import HOURS_PER_DAY
from sim.floor import Rep, dismiss, hire, nudge
from sim.leads import IN_WORK, OPPORTUNITY, SCHEDULED, WAITING, Lead, Queued
from sim.pools import BLOCKED, GRAND, PUBLIC, Pool
from sim.streams import REVIEW, lead_uniform

if TYPE_CHECKING:
    from sim.model import LeadModel

RETRY_HOURS = 1.0  # a rule that finds its lead mid-call looks again this much later

Check = Callable[[], bool]
Action = Callable[[], None]


def _by_stamp(places: list[Queued]) -> list[Lead]:
    """The leads of a rep's agenda in the order their follow-ups were set."""
    return [place.lead for place in sorted(places, key=lambda place: place.stamp)]


@dataclass(frozen=True)
class Due:
    """A rule that has come due for a lead: whether it still holds, what it does, and how
    it re-arms itself when it no longer holds."""

    lead: Lead
    still: Check
    act: Action
    rearm: Action | None = None


class Circulation:
    """Applies the policy's circulation rules to one replication."""

    def __init__(self, model: LeadModel):
        self.model = model
        self.env = model.env
        self.rules = model.policy.circulation
        self.realtime = model.scenario.crm.recycling == "realtime"
        self.nightly_hour = model.scenario.crm.nightly_hour
        self.pending: list[Due] = []
        self.reviews = 0
        self.progress_days = {grade: self.rules.no_progress_for(grade) for grade in GRADES}
        self.offers = self.rules.daily_claim_limit > 0
        self.sla_working = self.rules.sla_clock == "working"
        clock = model.alarms
        for rule in (self._sla_due, self._protection_due, self._follow_up_due,
                     self._progress_due):
            clock.lapse_when(rule, Circulation._ownership_ended)
        for offer in (self._unclaimed_due, self._offer):
            clock.lapse_when(offer, Circulation._stay_ended)

    def start(self) -> None:
        env, scenario = self.env, self.model.scenario
        if not self.realtime:
            env.process(self._nightly())
        if scenario.blocked_review.reviews_per_week:
            env.process(self._review_blocked())
        if self.rules.rebalance_every_days:
            env.process(self._rebalance())
        if self.rules.daily_claim_limit > 0:
            env.process(self._new_day())
        for team in self.model.floor:
            if team.spec.attrition_per_year > 0:
                for rep in list(team.reps):
                    self._plan_exit(rep)

    # --- hooks called by the model ------------------------------------------------------

    def on_assigned(self, lead: Lead, rep: Rep) -> None:
        """Arm the SLA, protection, follow-up and progress timers of a new ownership."""
        if rep.team.is_sdr:
            return
        now, rules = self.env.now, self.rules
        lead.progress_at = now
        deadline = rep.team.calendar.add_working_hours(now, rules.sla_hours) \
            if self.sla_working else now + rules.sla_hours
        lead.owner_deadline = deadline
        since: object = now  # one float object, shared by this ownership's pending timers
        if rules.sla_action != "alert":
            self._after(deadline - now, Circulation._sla_due, lead, rep, since)
        if rules.protection_days > 0:
            lead.protected_until = now + rules.protection_days * HOURS_PER_DAY
            self._after(lead.protected_until - now, Circulation._protection_due, lead, rep,
                        since)
        if rules.no_follow_up_days > 0:
            self._after(rules.no_follow_up_days * HOURS_PER_DAY,
                        Circulation._follow_up_due, lead, rep, since)
        progress_days = self.progress_days[lead.grade]
        if progress_days > 0:
            self._after(progress_days * HOURS_PER_DAY, Circulation._progress_due, lead, rep,
                        since)

    def on_progress(self, lead: Lead) -> None:
        """A stage advance resets the progress clock and extends protection."""
        rules = self.rules
        lead.progress_at = self.env.now
        if rules.protection_days > 0 and rules.protection_extension_days > 0:
            extended = lead.protected_until + rules.protection_extension_days * HOURS_PER_DAY
            if rules.protection_max_days > 0:
                ceiling = lead.assigned_at + rules.protection_max_days * HOURS_PER_DAY
                extended = min(extended, ceiling)
            lead.protected_until = max(lead.protected_until, extended)

    def on_pooled(self, lead: Lead, pool: Pool) -> None:
        stamp: object = lead.pool_stamp  # one int object, shared by this stay's timers
        if pool.kind == PUBLIC and self.rules.unclaimed_days > 0:
            self._after(self.rules.unclaimed_days * HOURS_PER_DAY,
                        Circulation._unclaimed_due, lead, pool, stamp)
        if pool.claimable and self.offers:
            self._after(pool.delay_hours, Circulation._offer, lead, pool, stamp)
            if lead.released_by >= 0 and self.rules.reclaim_cooldown_days > 0:
                cooldown = self.rules.reclaim_cooldown_days * HOURS_PER_DAY
                free_in = lead.released_at + cooldown - self.env.now
                if free_in > pool.delay_hours:
                    self._after(free_in, Circulation._offer, lead, pool, stamp)

    def _offer(self, lead: Lead, pool: Pool, stamp: int) -> None:
        """A pooled lead became claimable: wake one idle rep who could claim it."""
        if lead.pool is not pool or lead.pool_stamp != stamp:
            return
        now = self.env.now
        day = int(now // HOURS_PER_DAY)
        for team in self.model.floor:
            if team.is_sdr or not team.idle or not team.calendar.is_open(now):
                continue  # off shift nobody on the team is available to be woken
            if team.no_claimer == (day, team.went_idle):
                continue  # nobody idle could claim today, and nobody has gone idle since
            if self._wake_claimer(team, lead, day):
                return

    def _wake_claimer(self, team: Any, lead: Lead, day: int) -> bool:
        """Wake the first idle rep of the team who may claim the lead; False if none may.

        Reps who are busy or have used up today's claims are ruled out whatever the lead;
        when every rep on the idle list is, the team is marked as having no claimer until
        the day ends or another rep goes idle.
        """
        limit, for_any_lead = self.rules.daily_claim_limit, True
        for rep in team.idle:
            if not rep.idle or (rep.claim_day == day and rep.claims >= limit):
                continue
            for_any_lead = False
            if self._allowed(rep, lead) and self._may_claim(rep) \
                    and self.model.available(rep):
                nudge(rep)
                self._tidy(team)
                return True
        if for_any_lead:
            team.no_claimer = (day, team.went_idle)
        return False

    def _tidy(self, team: Any) -> None:
        if len(team.idle) > 2 * len(team.reps) + 8:
            team.idle = deque(rep for rep in team.idle if rep.idle)

    def _may_claim(self, rep: Rep) -> bool:
        day = int(self.env.now // HOURS_PER_DAY)
        claims = rep.claims if rep.claim_day == day else 0
        return rep.active and claims < self.rules.daily_claim_limit \
            and self.model.load(rep) < rep.team.spec.private_pool_cap

    def _allowed(self, rep: Rep, lead: Lead) -> bool:
        """Whether the rep may claim this lead: its region, and the re-claim cooldown."""
        if rep.region >= 0 and rep.region != lead.region and lead.region in rep.team.by_region:
            return False
        cooldown = self.rules.reclaim_cooldown_days * HOURS_PER_DAY
        return lead.released_by != rep.uid or self.env.now - lead.released_at >= cooldown

    def _new_day(self) -> Any:
        """Claim limits reset at midnight: idle reps look at the pools again."""
        while True:
            yield self.env.timeout(HOURS_PER_DAY - self.env.now % HOURS_PER_DAY)
            for team in self.model.floor:
                if not team.is_sdr:
                    for rep in list(team.idle):
                        if rep.idle and self._may_claim(rep):
                            nudge(rep)
                    self._tidy(team)

    # --- rule timers --------------------------------------------------------------------

    def _after(self, hours: float, rule: Callable[..., None], *args: Any) -> None:
        """Call ``rule(self, *args)`` after ``hours``; ``rule`` is a function of this class,
        shared by every alarm, so no bound method is made or kept per alarm."""
        self.model.alarms.call_later(hours, rule, self, *args)

    def _owned(self, lead: Lead, rep: Rep, since: float) -> bool:
        return lead.owner is rep and lead.assigned_at == since

    def _ownership_ended(self, lead: Lead, rep: Rep, since: float) -> bool:
        """The ownership that began at ``since`` is over for good: a later ownership, even by
        the same rep, begins later."""
        return since < self.env.now and not self._owned(lead, rep, since)

    def _stay_ended(self, lead: Lead, pool: Pool, stamp: int) -> bool:
        """The lead left the pool stay numbered ``stamp``; stamps are never reused."""
        return lead.pool is not pool or lead.pool_stamp != stamp

    def _exempt(self, lead: Lead) -> bool:
        return self.rules.exempt_opportunities and lead.stage >= OPPORTUNITY

    def first_touch(self, lead: Lead) -> None:
        """The owner's first touch: count an SLA breach if it came after the deadline."""
        if self.env.now > lead.owner_deadline:
            self._breach(lead)
        lead.owner_deadline = math.inf  # met or counted: no one reads it again this ownership

    def _breach(self, lead: Lead) -> None:
        lead.owner_deadline = math.inf
        self.model.tally.sla_breaches += 1
        if self.model.log:
            self.model.record(lead, "sla_breach", self.rules.sla_action)

    def close(self) -> None:
        """At the horizon, owned leads still untouched past their deadline are breaches."""
        for lead in self.model._leads_in_work().values():
            if lead.owner is not None and not lead.touched_since_assigned \
                    and self.model.horizon > lead.owner_deadline:
                self._breach(lead)

    def _sla_due(self, lead: Lead, rep: Rep, since: float) -> None:
        if not self._owned(lead, rep, since) or lead.touched_since_assigned:
            return
        self._breach(lead)

        def still() -> bool:
            return self._owned(lead, rep, since) and not lead.touched_since_assigned

        if self.rules.sla_action == "reassign":
            self._when_due(Due(lead, still, lambda: self.reassign(lead, "sla_breach")))
        else:
            self._when_due(Due(lead, still, lambda: self.recycle(lead, "sla_breach")))

    def _protection_due(self, lead: Lead, rep: Rep, since: float) -> None:
        def still() -> bool:
            return self._owned(lead, rep, since) and not self._exempt(lead) \
                and self.env.now >= lead.protected_until

        def rearm() -> None:
            self._protection_due(lead, rep, since)

        if not self._owned(lead, rep, since) or self._exempt(lead):
            return
        if self.env.now < lead.protected_until:
            self._after(lead.protected_until - self.env.now, Circulation._protection_due,
                        lead, rep, since)
            return
        self._when_due(Due(lead, still, lambda: self.recycle(lead, "protection_expired"),
                           rearm))

    def _follow_up_due(self, lead: Lead, rep: Rep, since: float) -> None:
        limit = self.rules.no_follow_up_days * HOURS_PER_DAY

        def still() -> bool:
            return self._owned(lead, rep, since) and not self._exempt(lead) \
                and self.env.now >= max(lead.last_touch_at, since) + limit

        def rearm() -> None:
            self._follow_up_due(lead, rep, since)

        if not self._owned(lead, rep, since) or self._exempt(lead):
            return
        due_at = max(lead.last_touch_at, since) + limit
        if self.env.now < due_at:
            self._after(due_at - self.env.now, Circulation._follow_up_due, lead, rep, since)
            return
        self._when_due(Due(lead, still, lambda: self.recycle(lead, "no_follow_up"), rearm))

    def _progress_due(self, lead: Lead, rep: Rep, since: float) -> None:
        limit = self.rules.no_progress_for(lead.grade) * HOURS_PER_DAY

        def still() -> bool:
            return self._owned(lead, rep, since) and not self._exempt(lead) \
                and self.env.now >= lead.progress_at + limit

        def rearm() -> None:
            self._progress_due(lead, rep, since)

        if not self._owned(lead, rep, since) or self._exempt(lead):
            return
        if self.env.now < lead.progress_at + limit:
            self._after(lead.progress_at + limit - self.env.now, Circulation._progress_due,
                        lead, rep, since)
            return
        self._when_due(Due(lead, still, lambda: self.recycle(lead, "no_progress"), rearm))

    def _unclaimed_due(self, lead: Lead, pool: Pool, stamp: int) -> None:
        def still() -> bool:
            return lead.pool is pool and lead.pool_stamp == stamp

        if still():
            grand = self.model.pools[GRAND]
            self._when_due(Due(lead, still, lambda: self.model.to_pool(lead, grand,
                                                                       "unclaimed")))

    def _when_due(self, due: Due) -> None:
        """Act now (real-time CRM) or at the next nightly batch."""
        if self.realtime:
            self._act(due)
        else:
            self.pending.append(due)

    def _act(self, due: Due) -> None:
        """Act if the rule still holds; re-arm it if not; wait if the lead is mid-call."""
        if not due.still():
            if due.rearm is not None:
                due.rearm()
        elif due.lead.state == IN_WORK:
            self._after(RETRY_HOURS, Circulation._when_due, due)
        else:
            due.act()

    def _nightly(self) -> Any:
        env = self.env
        first = self.nightly_hour if env.now <= self.nightly_hour else \
            self.nightly_hour + HOURS_PER_DAY
        yield env.timeout(first - env.now)
        while True:
            batch, self.pending = self.pending, []
            for due in batch:
                self._act(due)
            yield env.timeout(HOURS_PER_DAY)

    # --- actions ------------------------------------------------------------------------

    def recycle(self, lead: Lead, rule: str) -> None:
        """Private pool -> public pool (or out of circulation after too many cycles)."""
        owner = lead.owner
        self._move_out(lead, rule)
        if isinstance(owner, Rep) and owner.idle and self._may_claim(owner):
            nudge(owner)  # room freed under the cap: the rep may claim again

    def _move_out(self, lead: Lead, rule: str) -> None:
        rules, model = self.rules, self.model
        if rules.max_cycles and lead.cycles >= rules.max_cycles:
            model.to_pool(lead, model.pools[rules.over_cycles_to], "too_many_cycles")
        else:
            model.to_pool(lead, model.public_pool(lead.business_line), rule)

    def reassign(self, lead: Lead, rule: str) -> None:
        """Give the lead to another rep of the same team; recycle it if nobody has room."""
        owner = lead.owner
        if not isinstance(owner, Rep) or lead.state == IN_WORK:
            return
        other = self.model.choose_rep(owner.team, lead, exclude=owner)
        if other is None:
            self.recycle(lead, rule)
        else:
            self.transfer(lead, other, rule)

    def transfer(self, lead: Lead, rep: Rep, rule: str) -> None:
        """Private -> private: the new owner calls the lead next."""
        model = self.model
        origin = model.place_of(lead)
        model.disown(lead)
        model.tally.move("private", "private", rule)
        if model.log:
            model.record(lead, "moved", f"from={origin} to=private:{rep.name} rule={rule}")
        model.assign(rep, lead, new=True)

    def block(self, lead: Lead, reason: str) -> None:
        self.model.to_pool(lead, self.model.pools[BLOCKED], reason)

    # --- claiming -----------------------------------------------------------------------

    def claim(self, rep: Rep) -> Lead | None:
        """An idle rep with room claims the best lead it may take from the shared pools."""
        rules, model = self.rules, self.model
        if rules.daily_claim_limit == 0 or not rep.active:
            return None
        now = self.env.now
        day = int(now // HOURS_PER_DAY)
        if rep.claim_day != day:
            rep.claim_day, rep.claims = day, 0
        full = model.load(rep) >= rep.team.spec.private_pool_cap
        if full or rep.claims >= rules.daily_claim_limit:
            return None
        def allowed(lead: Lead) -> bool:
            return self._allowed(rep, lead)

        pool = self._best_pool(now, allowed)
        lead = pool.claim(now, allowed) if pool is not None else None
        if lead is None:
            return None
        return self._take(rep, lead, pool)

    def _best_pool(self, now: float, allowed: Callable[[Lead], bool]) -> Pool | None:
        best: tuple[float, Pool] | None = None
        for pool in self._claimable():
            key = pool.peek_key(now, allowed)
            if key is not None and (best is None or key < best[0]):
                best = (key, pool)
        if best is None and self.rules.claim_from_grand:
            grand = self.model.pools[GRAND]
            if grand.peek_key(now, allowed) is not None:
                return grand
        return best[1] if best else None

    def _claimable(self) -> list[Pool]:
        return [pool for pool in self.model.pools.values() if pool.kind == PUBLIC]

    def _take(self, rep: Rep, lead: Lead, pool: Pool | None) -> Lead:
        model = self.model
        origin = pool.name if pool is not None else "pool"
        model.leave_pool(lead)
        rep.claims += 1
        model.tally.claims += 1
        lead.attempts = 0
        lead.meetings = 0
        lead.state = WAITING
        model.tally.move(pool.kind if pool is not None else "pool", "private", "claim")
        model.own(rep, lead)
        if model.log:
            model.record(lead, "moved", f"from={origin} to=private:{rep.name} rule=claim")
        return lead

    # --- people and administrators ------------------------------------------------------

    def _plan_exit(self, rep: Rep) -> None:
        rate = rep.team.spec.attrition_per_year
        tenure_days = float(self.model.streams.staff.exponential(365.0 / rate))
        self._after(tenure_days * HOURS_PER_DAY, Circulation.rep_leaves, rep)

    def rep_leaves(self, rep: Rep) -> None:
        """A rep leaves: the leads go to teammates or the public pool; a hire follows."""
        if not rep.active:
            return
        team = rep.team
        dismiss(rep, self.env.now)
        self.model.tally.rep_exits += 1
        self.hand_over(rep)
        nudge(rep)
        vacancy = team.spec.vacancy_days * HOURS_PER_DAY
        self._after(vacancy, Circulation._replace, rep)

    def hand_over(self, rep: Rep) -> None:
        """Move every lead the departed rep still owns (except one mid-call)."""
        leads = [lead for lead in rep.new if lead.owner is rep and lead.state == WAITING]
        leads += [place.lead for place in rep.due if place.lead.owner is rep
                  and place.lead.state == SCHEDULED]
        rep.new.clear()
        rep.due.clear()
        for lead in leads:
            other = None
            if self.rules.on_rep_exit == "redistribute":
                other = self.model.choose_rep(rep.team, lead, exclude=rep)
            if other is None:
                self.model.to_pool(lead, self.model.public_pool(lead.business_line),
                                   "rep_exit")
            else:
                self.transfer(lead, other, "rep_exit")

    def _replace(self, leaver: Rep) -> None:
        team = leaver.team
        spread = team.spec.skill_spread
        skill = float(self.model.streams.staff.lognormal(-spread**2 / 2.0, spread)) \
            if spread > 0 else 1.0
        seed = int(self.model.streams.staff.integers(0, 2**62))
        rep = hire(team, skill, self.env.now, leaver.region, seed=seed)
        self.model.tally.rep_hires += 1
        self.env.process(self.model.work.shift(rep))
        if team.spec.attrition_per_year > 0:
            self._plan_exit(rep)

    def _rebalance(self) -> Any:
        every = self.rules.rebalance_every_days * HOURS_PER_DAY
        while True:
            yield self.env.timeout(every)
            for team in self.model.floor:
                if not team.is_sdr:
                    self._rebalance_team(team.reps)

    def _rebalance_team(self, reps: list[Rep]) -> None:
        """Move leads from reps above the threshold share of their cap to the emptiest."""
        model = self.model
        for rep in list(reps):
            cap = rep.team.spec.private_pool_cap
            excess = model.load(rep) - int(self.rules.rebalance_above * cap)
            movable = [lead for lead in rep.new if lead.owner is rep and lead.state == WAITING]
            movable += [lead for lead in _by_stamp(rep.due)
                        if lead.owner is rep and lead.state == SCHEDULED
                        and lead.stage < OPPORTUNITY]
            for lead in movable[:max(excess, 0)]:
                others = [r for r in rep.team.eligible(lead.region) if r is not rep]
                target = min(others, key=model.load, default=None)
                if target is None or model.load(target) >= int(self.rules.rebalance_above * cap):
                    continue
                self.transfer(lead, target, "admin_transfer")

    def _review_blocked(self) -> Any:
        review = self.model.scenario.blocked_review
        every = 7 * HOURS_PER_DAY / review.reviews_per_week
        blocked = self.model.pools[BLOCKED]
        while True:
            yield self.env.timeout(every)
            self.reviews += 1
            for lead in list(blocked.members):
                if lead_uniform(lead.key, REVIEW, self.reviews) < review.release_share:
                    self.model.to_pool(lead, self.model.public_pool(lead.business_line),
                                       "manual_release")
