"""One replication of the lead-lifecycle model.

Leads arrive by channel, are graded and routed, cleaned by SDRs or sent straight to a
sales team, worked by reps (see :mod:`sim.work`), and circulate between private and shared
pools (see :mod:`sim.circulation`) until they are won or lost. Every lead is in exactly one
place at every moment; :meth:`LeadModel.census` counts the places from the queues and pools
themselves, independently of the running counters.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

import simpy

from leadops.errors import InvariantError
from policies import LeadView, Policy, Route, grade_of, route
from policies.assignment import LeadTraits, choose, choose_in_turn, eligible
from policies.schema import Grade
from scenarios import Scenario
from sim.activation import Activation
from sim.alarms import AlarmClock
from sim.arrivals import ArrivalProfile, arrival_times
from sim.calendar import HOURS_PER_DAY, WorkCalendar
from sim.circulation import Circulation
from sim.eventlog import EventLog
from sim.floor import Rep, TeamFloor, build_floor, nudge, nudge_team
from sim.history import History, resolve
from sim.leads import (
    DONE_LOST,
    DONE_WON,
    IN_WORK,
    OPPORTUNITY,
    SCHEDULED,
    STAGE_NAMES,
    WAITING,
    WAITING_SDR,
    WON,
    Lead,
    LeadFactory,
)
from sim.metrics import LEADS, REVENUE, Tally
from sim.metrics import WON as WON_COLUMN
from sim.options import ModelOptions
from sim.pools import BLOCKED, GRAND, PUBLIC, Pool
from sim.ranking import PerformanceRanking
from sim.streams import ABSENCE, PATIENCE, Streams, lead_exponential, lead_uniform
from sim.success import CustomerSuccessDesk
from sim.work import Work

COMPLEXITY_NAMES = ("low", "medium", "high")
HIGH_COMPLEXITY = 2


class LeadModel:
    """The SimPy model of one replication. Build it, then call :meth:`run` once."""

    def __init__(self, scenario: Scenario, policy: Policy, options: ModelOptions):
        self.scenario = scenario
        self.policy = policy
        self.options = options
        self.days = options.days or scenario.days
        self.horizon = self.days * HOURS_PER_DAY
        self.history = options.history
        if self.history is not None:
            self.horizon = min(self.horizon, self.history.horizon_hours)
        self.env = simpy.Environment()
        self.alarms = AlarmClock(self.env)
        self.channel_names = list(scenario.channels)
        self.line_names = list(scenario.business_lines)
        self.streams = Streams.from_seed(options.seed, options.replication, self.channel_names)
        self.first_weekday = scenario.start_date.weekday()
        self.floor = build_floor(scenario, self.streams.staff, self.first_weekday)
        self.teams = {team.name: team for team in self.floor}
        self.tally = Tally(len(self.channel_names), len(self.line_names), self.days)
        self.log = EventLog(options.events, header=options.events_header) \
            if options.events else None
        self.factories = {name: LeadFactory(scenario, channel, self.streams.attributes[name],
                                            self.streams.languages[name])
                          for name, channel in scenario.channels.items()}
        self._prepare_rules()
        self.pools = self._build_pools()
        self.work = Work(self)
        self.circulation = Circulation(self)
        self.activation = Activation(self)
        self.success = CustomerSuccessDesk(self)
        self.ranking = PerformanceRanking(self)

    def _prepare_rules(self) -> None:
        """Turn validated settings into plain numbers the hot paths read."""
        policy, scenario = self.policy, self.scenario
        self.strategy = policy.assignment.strategy
        self.sla_hours = policy.circulation.sla_hours
        self.sla_working = policy.circulation.sla_clock == "working"
        self.margins = [line.gross_margin for line in scenario.business_lines.values()]
        self.patience = scenario.patience.mean_hours if scenario.patience.enabled else None
        # Routing reads a deal size only through "below this limit" tests, so the leads
        # between two neighbouring limits route alike: the band number joins the cache key.
        self.deal_limits = sorted({limit for rule in policy.routing.rules
                                   for limit in (rule.when.min_deal_size,
                                                 rule.when.max_deal_size)
                                   if limit is not None})
        self.route_cache: dict[tuple[Any, ...], Route] = {}
        self.sdr_team = self.teams.get(policy.routing.sdr_team)
        self.live = 0
        self.follow_up_hours = scenario.monitoring.follow_up_hours
        self.cap_skips_opportunities = not policy.circulation.cap_counts_opportunities
        self.cap_counts_won = policy.circulation.cap_counts_won

    def _build_pools(self) -> dict[str, Pool]:
        rules = self.policy.circulation
        by_score = rules.claim_order == "score"
        pools = {}
        for index, line in enumerate(self.line_names):
            pools[f"{PUBLIC}:{line}"] = Pool(f"{PUBLIC}:{line}", PUBLIC, index, claimable=True,
                                             by_score=by_score,
                                             delay_hours=rules.claim_delay_hours)
        pools[GRAND] = Pool(GRAND, GRAND, -1, claimable=rules.claim_from_grand,
                            by_score=by_score, delay_hours=rules.claim_delay_hours)
        pools[BLOCKED] = Pool(BLOCKED, BLOCKED, -1, claimable=False, by_score=False,
                              delay_hours=0.0)
        return pools

    def grade(self, score: float) -> Grade:
        return grade_of(score, self.policy.grading)

    def public_pool(self, line: int) -> Pool:
        return self.pools[f"{PUBLIC}:{self.line_names[line]}"]

    # --- running ------------------------------------------------------------------------

    def run(self) -> None:
        """Play out the horizon. Leads still in work at the end stay counted where they are."""
        if self.history is not None:
            self.env.process(self._replay(self.history))
        else:
            for index, name in enumerate(self.channel_names):
                self.env.process(self._arrivals(index, name))
        self.work.start()
        self.circulation.start()
        self.activation.start()
        self.ranking.start()
        self.env.process(self._daily_census())
        try:
            self.env.run(until=self.horizon)
        finally:
            if self.log is not None:
                self.log.close()
        self._close_books()

    def _arrivals(self, index: int, name: str) -> Any:
        channel = self.scenario.channels[name]
        profile = ArrivalProfile(channel, self.scenario.start_date, self.scenario.volume_scale)
        env = self.env
        for instant in arrival_times(profile, self.days, self.streams.arrivals[name]):
            if instant > env.now:
                yield env.timeout(instant - env.now)
            self.arrive(index)

    def _replay(self, history: History) -> Any:
        """Historical leads at their real times, with their real (or drawn) attributes.

        The history already holds the leads that customer success and prospecting brought,
        so with a history those sources produce none (see sim.success and sim.work).
        """
        leads = resolve(history, self.scenario, self.options.seed, self.options.replication)
        env, hours, channels = self.env, history.hours, history.channel
        for index in range(len(history)):
            instant = float(hours[index])
            if instant > env.now:
                yield env.timeout(instant - env.now)
            self.arrive(int(channels[index]), drawn=leads.row(index))

    def _daily_census(self) -> Any:
        """Record pool sizes at the end of every day."""
        while True:
            yield self.env.timeout(HOURS_PER_DAY - self.env.now % HOURS_PER_DAY)
            self.tally.record_pools(self._day() - 1, self.pool_sizes())

    def pool_sizes(self) -> dict[str, int]:
        sizes = {name: len(pool) for name, pool in self.pools.items()}
        sizes["private"] = sum(rep.held for team in self.floor for rep in team.reps)
        return sizes

    # --- arrival, grading and routing ---------------------------------------------------

    def arrive(self, channel: int, owner: Rep | None = None,
               drawn: tuple[int, int, int, int, float, float, float] | None = None) -> Lead:
        """A new lead from ``channel``; outbound leads come with their prospecting rep.

        ``drawn`` gives the lead's (key, business line, region, complexity, deal size,
        propensity, score) instead of the channel's draw (a replayed historical lead).
        """
        factory = self.factories[self.channel_names[channel]]
        key, line, region, complexity, deal, propensity, score = drawn or factory.draw()
        now, tally = self.env.now, self.tally
        lead = Lead(tally.arrived, key, channel, now)
        lead.business_line, lead.region, lead.complexity = line, region, complexity
        lead.deal_size, lead.propensity, lead.score = deal, propensity, score
        lead.language = factory.draw_language()
        lead.grade = grade_of(score, self.policy.grading)
        tally.arrived += 1
        self.live += 1
        tally.add(int(now // HOURS_PER_DAY), channel, line, LEADS, 1.0)
        if self.log:
            self.record(lead, "arrived", f"score={score:.3f} "
                        f"complexity={COMPLEXITY_NAMES[complexity]} deal={deal!r}")
        if owner is not None:
            self.assign(owner, lead, new=True)
        else:
            self.dispatch(lead)
        if self.patience is not None:
            wait = lead_exponential(lead.key, PATIENCE, 0, self.patience)
            self.env.timeout(wait).callbacks.append(lambda _: self._go_cold(lead))
        return lead

    def dispatch(self, lead: Lead) -> None:
        """Send a lead down the path its routing rule gives: SDR desk or a sales team."""
        path = self.route_of(lead)
        if path.sdr and self.sdr_team is not None and self.sdr_team.reps:
            self._to_sdr(lead)
        else:
            self.to_team(lead, self.teams[path.team])

    def route_of(self, lead: Lead, *, skip_sdr: bool = False) -> Route:
        band = bisect.bisect_right(self.deal_limits, lead.deal_size) if self.deal_limits else 0
        cache_key = (lead.grade, lead.channel, lead.business_line, lead.region,
                     lead.complexity, skip_sdr, band)
        cached = self.route_cache.get(cache_key)
        if cached is not None:
            return cached
        view = LeadView(lead.grade, self.channel_names[lead.channel],
                        self.line_names[lead.business_line],
                        self.scenario.regions[lead.region],
                        COMPLEXITY_NAMES[lead.complexity], lead.deal_size)
        path = route(self.policy.routing, view)
        if skip_sdr:
            path = Route(path.rule, False, path.team)
        self.route_cache[cache_key] = path
        return path

    def _to_sdr(self, lead: Lead) -> None:
        if self.sdr_team is None:
            raise InvariantError("a lead was sent to SDR cleaning without an SDR team")
        lead.state = WAITING_SDR
        lead.via_sdr = True
        self._start_sla(lead, self.sdr_team.calendar)
        key = self.sdr_team.enqueue(lead)
        if self.log:
            self.record(lead, "queued_sdr", self.sdr_team.name)
        nudge_team(self.sdr_team, key)

    def to_team(self, lead: Lead, team: TeamFloor, *, exclude: Rep | None = None) -> None:
        """Hand a lead to a sales team: to an owner now, or to the shared queue."""
        lead.team = team.index
        lead.state = WAITING
        self._start_sla(lead, team.calendar)
        if self.strategy == "next_available" or not team.reps:
            key = team.enqueue(lead)
            if self.log:
                self.record(lead, "queued", team.name)
            nudge_team(team, key)
            return
        rep = self.choose_rep(team, lead, exclude)
        if rep is None:
            self.to_pool(lead, self.public_pool(lead.business_line), "cap_reached")
            return
        self.assign(rep, lead, new=True)

    def choose_rep(self, team: TeamFloor, lead: Lead, exclude: Rep | None = None
                   ) -> Rep | None:
        """The rep who gets the lead under the policy's assignment, or None if all are full."""
        rules = self.policy.assignment
        reps = [rep for rep in team.reps if rep is not exclude] if exclude else team.reps
        if not reps:
            return None
        self._new_count_period(team)
        traits = LeadTraits(lead.region, lead.language, lead.complexity == HIGH_COMPLEXITY,
                            lead.released_by)
        team.sequence += 1
        cap = team.spec.private_pool_cap
        if self.strategy == "round_robin" and exclude is None:
            previous = team.by_uid.get(traits.previous_owner) if rules.sticky_owner else None
            chosen = choose_in_turn(team.rotation, self._candidates(team, traits), previous,
                                    load=self.load, cap=cap, sequence=team.sequence)
        else:
            candidates = eligible(reps, traits, rules, self.available)
            picked = choose(candidates, traits, rules, load=self.load,  # type: ignore[arg-type]
                            cap=cap, now=self.env.now, sequence=team.sequence)
            chosen = picked if isinstance(picked, Rep) else None
        if chosen is not None:
            team.rotation.to_back(chosen)
        return chosen

    def _candidates(self, team: TeamFloor, traits: LeadTraits) -> frozenset[Rep]:
        """The team's eligible reps for this kind of lead, computed once per availability."""
        state = self._availability(team)
        if state != team.candidate_state:
            team.candidates.clear()
            team.candidate_state = state
        key = (traits.region, traits.language, traits.complex)
        found = team.candidates.get(key)
        if found is None:
            reps = eligible(team.reps, traits, self.policy.assignment, self.available)
            found = team.candidates[key] = frozenset(reps)  # type: ignore[arg-type]
        return found

    def _availability(self, team: TeamFloor) -> object:
        """What the availability filter depends on now: the shift, and the day's absences."""
        if not self.policy.assignment.require_available:
            return None
        open_now = team.calendar.is_open(self.env.now)
        return (open_now, self._day()) if team.spec.absence_rate > 0 else open_now

    def _new_count_period(self, team: TeamFloor) -> None:
        period = int(self.env.now // (self.policy.assignment.count_period_days * HOURS_PER_DAY))
        if period != team.period_index:
            team.period_index = period
            for rep in team.reps:
                rep.period_count = 0

    def available(self, rep: Any) -> bool:
        """On shift now and not absent today."""
        return rep.team.calendar.is_open(self.env.now) and not self.absent(rep)

    def absent(self, rep: Rep) -> bool:
        rate = rep.team.spec.absence_rate
        return rate > 0 and lead_uniform(rep.seed, ABSENCE, self._day()) < rate

    def load(self, rep: Rep) -> int:
        """What counts against the rep's private-pool cap under the policy's options."""
        load = rep.held
        if self.cap_skips_opportunities:
            load -= rep.opportunities
        if self.cap_counts_won:
            load += rep.customers
        return load

    # --- ownership and places -----------------------------------------------------------

    def assign(self, rep: Rep, lead: Lead, *, new: bool) -> None:
        """Make ``rep`` the owner; ``new`` puts the lead at the front of the rep's work."""
        self.own(rep, lead)
        if new:
            lead.state = WAITING
            rep.new.append(lead)
            if self.log:
                self.record(lead, "assigned", rep.team.name)
            nudge(rep)

    def own(self, rep: Rep, lead: Lead) -> None:
        now = self.env.now
        if lead.owner is not rep:
            lead.owners += 1
            rep.assigned_total += 1
            if self.ranking.active:  # the only reader of the assignment times
                rep.assigned.append(now)
        lead.owner = rep
        lead.team = rep.team.index
        rep.held += 1
        if lead.stage == OPPORTUNITY:
            rep.opportunities += 1
        lead.assigned_at = now
        lead.touched_since_assigned = False
        self.circulation.on_assigned(lead, rep)

    def disown(self, lead: Lead) -> Rep | None:
        owner = lead.owner
        if not isinstance(owner, Rep):
            lead.owner = None
            return None
        owner.held -= 1
        if lead.stage == OPPORTUNITY:
            owner.opportunities -= 1
        lead.owner = None
        return owner

    def to_pool(self, lead: Lead, pool: Pool, rule: str) -> None:
        """Move a lead into a shared pool, recording where from and by which rule."""
        now, kind = self.env.now, pool.kind
        origin = self.place_of(lead) if self.log else ""
        origin_kind = lead.pool.kind if isinstance(lead.pool, Pool) else \
            "private" if lead.owner is not None else "queue"
        released_by = self.disown(lead)
        if released_by is not None:
            lead.released_by, lead.released_at = released_by.uid, now
        if lead.pool is not None:
            self.leave_pool(lead)
        self.live -= 1
        if kind == PUBLIC:
            if not lead.recycled:
                lead.recycled = True
                self.tally.recycled += 1
            if released_by is not None:
                lead.cycles += 1
        pool.add(lead, now)
        self.tally.move(origin_kind, kind, rule)
        self.tally.pool_entries[kind] += 1
        if self.log:
            self.record(lead, "moved", f"from={origin} to={pool.name} rule={rule}")
        self.circulation.on_pooled(lead, pool)

    def leave_pool(self, lead: Lead) -> None:
        """Take a lead out of its shared pool (it is then in work again)."""
        pool = lead.pool
        if not isinstance(pool, Pool):
            return
        self.tally.pool_hours[pool.kind] += self.env.now - lead.pooled_at
        pool.remove(lead)
        self.live += 1

    def place_of(self, lead: Lead) -> str:
        if isinstance(lead.pool, Pool):
            return lead.pool.name
        if isinstance(lead.owner, Rep):
            return f"private:{lead.owner.name}"
        return "queue"

    def release(self, lead: Lead, reason: str) -> None:
        """Attempts ran out or the lead is not ready: back to circulation."""
        rules = self.policy.circulation
        if rules.max_cycles and lead.cycles >= rules.max_cycles:
            self.to_pool(lead, self.pools[rules.over_cycles_to], "too_many_cycles")
        elif rules.release_to_pool:
            self.to_pool(lead, self.public_pool(lead.business_line), reason)
        else:
            self.to_pool(lead, self.pools[GRAND], reason)

    def win(self, lead: Lead) -> None:
        owner = lead.owner if isinstance(lead.owner, Rep) else None
        self.disown(lead)
        lead.stage = WON
        lead.state = DONE_WON
        self.live -= 1
        self.tally.won += 1
        self.tally.finished(lead)
        if lead.reactivated:
            self.tally.reactivated_won += 1
        revenue = lead.deal_size * self.margins[lead.business_line]
        day = self._day()
        self.tally.add(day, lead.channel, lead.business_line, WON_COLUMN, 1.0)
        self.tally.add(day, lead.channel, lead.business_line, REVENUE, revenue)
        self.tally.days_to_win.append((self.env.now - lead.arrived_at) / HOURS_PER_DAY)
        self.tally.reached(lead, WON, day)
        if owner is not None:
            owner.customers += 1
        self.ranking.credit(owner, "won")
        if self.log:
            self.record(lead, "won", f"revenue={revenue:.2f}")
        self.success.welcome(lead)

    def lose(self, lead: Lead, reason: str) -> None:
        self.disown(lead)
        if lead.pool is not None:
            self.leave_pool(lead)
        lead.state = DONE_LOST
        self.live -= 1
        self.tally.finished(lead)
        self.tally.count(self.tally.lost, reason)
        if self.log:
            self.record(lead, "lost", reason)

    def _go_cold(self, lead: Lead) -> None:
        """Patience ran out before the first contact: the lead abandons."""
        if lead.first_contact_at >= 0 or lead.state not in (WAITING, WAITING_SDR):
            return
        self.tally.abandoned += 1
        self.tally.abandoned_wait_hours += self.env.now - lead.arrived_at
        self.lose(lead, "went_cold")

    # --- service levels -----------------------------------------------------------------

    def _start_sla(self, lead: Lead, calendar: WorkCalendar) -> None:
        """Set the first-contact deadline once, when the lead is first routed."""
        if lead.sla_deadline >= 0:
            return
        now = self.env.now
        lead.sla_deadline = calendar.add_working_hours(now, self.sla_hours) \
            if self.sla_working else now + self.sla_hours
        if lead.sla_deadline <= self.horizon:
            self.tally.sla_due += 1

    def first_contact(self, lead: Lead) -> None:
        now = self.env.now
        lead.first_contact_at = now
        if lead.sla_deadline > self.horizon:
            self.tally.sla_due += 1
        self.tally.contacted_first(lead, int(now // HOURS_PER_DAY), now - lead.arrived_at,
                                   self.follow_up_hours, now <= lead.sla_deadline)

    # --- bookkeeping --------------------------------------------------------------------

    def _day(self) -> int:
        return int(self.env.now // HOURS_PER_DAY)

    def _close_books(self) -> None:
        """Capacity of the horizon, open pool stays, and per-lead figures of live leads."""
        self.circulation.close()
        for team in self.floor:
            if not team.is_sdr:
                for rep in team.all_reps:
                    self.tally.sales_capacity_hours += team.calendar.working_hours(
                        max(rep.joined_at, 0.0), min(rep.left_at, self.horizon))
        for pool in self.pools.values():
            for lead in pool.members:
                self.tally.pool_hours[pool.kind] += self.horizon - lead.pooled_at
        for lead in self._live_leads():
            self.tally.finished(lead)
        sizes = self.pool_sizes()
        self.tally.record_pools(self.days - 1, sizes)  # the horizon's own end-of-day census
        public = sum(size for name, size in sizes.items() if name.startswith(f"{PUBLIC}:"))
        self.tally.pool_end = {"private": sizes["private"], PUBLIC: public,
                               GRAND: sizes[GRAND], BLOCKED: sizes[BLOCKED]}
        self.tally.leads_per_rep = {team.name: [rep.assigned_total for rep in team.all_reps]
                                    for team in self.floor if not team.is_sdr}
        self.tally.pk_active = self.ranking.active

    def _live_leads(self) -> Iterator[Lead]:
        """Leads in work, then pooled leads, each once, found by walking every queue and pool.

        The pooled leads are not gathered into one mapping first: at the end of a long run
        they are most of the live leads, and such a mapping was the run's peak of memory.
        """
        in_work = self._leads_in_work()
        yield from in_work.values()
        for pool in self.pools.values():
            for lead in pool.members:
                if lead.id not in in_work:
                    yield lead

    def _leads_in_work(self) -> dict[int, Lead]:
        seen: dict[int, Lead] = {}
        for team in self.floor:
            for lead in team.queued():
                if lead.state in (WAITING, WAITING_SDR) and lead.owner is None:
                    seen[lead.id] = lead
            for rep in team.all_reps:
                for lead in rep.new:
                    if lead.state == WAITING and lead.owner is rep:
                        seen[lead.id] = lead
                for place in rep.due:
                    if place.lead.state == SCHEDULED and place.lead.owner is rep:
                        seen[place.lead.id] = place.lead
                if rep.current is not None and rep.current.state == IN_WORK:
                    seen[rep.current.id] = rep.current
        return seen

    def census(self) -> dict[str, int]:
        """Count leads by place from the queues and pools themselves, not the counters."""
        tally = self.tally
        counts = {"arrived": tally.arrived, "won": tally.won, "lost": sum(tally.lost.values())}
        for kind in (PUBLIC, GRAND, BLOCKED):
            counts[kind] = sum(len(p) for p in self.pools.values() if p.kind == kind)
        counts["in_work"] = len(self._leads_in_work())
        counts["in_work_counted"] = self.live
        return counts

    def record(self, lead: Lead, event: str, detail: str = "", *, at: float | None = None
               ) -> None:
        """Write one event-log row for ``lead`` (callers check ``self.log`` first).

        The row is stamped ``at`` hours when given (an event that began earlier), else now.
        """
        if self.log is None:
            return
        owner = lead.owner.name if isinstance(lead.owner, Rep) else ""
        team = self.floor[lead.team].name if lead.team >= 0 else ""
        self.log.write((
            self.options.replication, round(self.env.now if at is None else at, 6), lead.id,
            event,
            self.channel_names[lead.channel], self.line_names[lead.business_line],
            self.scenario.regions[lead.region], lead.grade, team, owner,
            STAGE_NAMES[lead.stage], detail,
        ))
