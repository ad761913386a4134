"""The sales floor: reps and teams with their queues and working time.

A rep works one item at a time inside the team's calendar: a lead to clean (SDR), a contact
attempt, or a sales-cycle meeting. Work comes from three places: the rep's own new leads,
the team's shared queue, and the rep's follow-ups that have fallen due.
"""

from __future__ import annotations

import heapq
import itertools
import math
from array import array
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from scenarios.schema import COMPLEXITIES, Duration, Scenario, Team
from sim.calendar import WorkCalendar
from sim.followup import DurationDraw
from sim.leads import SCHEDULED, WAITING, WAITING_SDR, Lead, Queued

if TYPE_CHECKING:
    import simpy


class Rep:
    """One person on a team. ``held`` counts the leads in the rep's private pool.

    ``skill`` multiplies each of the three conversion steps (qualify, opportunity, win), so
    a rep's overall conversion scales with ``skill ** 3``: the cube root of a lognormal
    overall skill with mean 1, so that the spread does not change the team's average.
    """

    __slots__ = ("active", "assigned", "assigned_total", "busy_hours", "claim_day", "claims",
                 "credit", "current", "customers", "due", "held", "idle", "joined_at",
                 "languages", "last_assigned", "left_at", "name", "new", "opportunities",
                 "period_count", "prospect_hours", "region", "seed", "senior", "skill",
                 "successes", "team", "uid", "wake", "weight")

    def __init__(self, uid: int, name: str, team: TeamFloor, skill: float, region: int,
                 joined_at: float = 0.0):
        self.uid = uid
        self.name = name
        self.team = team
        self.skill = skill
        self.region = region
        self.new: deque[Lead] = deque()
        self.due: list[Queued] = []  # follow-ups: (due time, order set) on a heap
        self.held = 0
        self.idle = False
        self.wake: simpy.Event | None = None
        self.current: Lead | None = None
        self.busy_hours = 0.0
        self.prospect_hours = 0.0
        self.opportunities = 0
        self.customers = 0
        self.claims = 0
        self.claim_day = -1
        self.active = True
        self.joined_at = joined_at
        self.left_at = math.inf
        self.languages: frozenset[int] = frozenset()
        self.senior = True
        self.seed = uid
        # assignment counters and the record that performance ranking reads
        self.last_assigned = -1
        self.credit = 0.0
        self.period_count = 0
        self.weight = 1.0
        self.assigned_total = 0
        # Times of new ownerships and of successes, oldest first, for pk ranking: typed arrays
        # (64 bytes empty, against about 600 for a deque) on every rep.
        self.assigned = array("d")
        self.successes = array("d")


class Rotation:
    """A team's reps, least recently assigned first: the order round robin deals in.

    Reps who never got a lead come first, in the order they joined; a rep moves to the
    back when it gets one. Both parts are insertion-ordered dicts used as ordered sets, so
    moving a rep costs O(1) and a round-robin choice reads from the front instead of
    scanning the team.
    """

    def __init__(self) -> None:
        self.fresh: dict[Rep, None] = {}
        self.dealt: dict[Rep, None] = {}

    def __iter__(self) -> Iterator[Rep]:
        yield from self.fresh
        yield from self.dealt

    def join(self, rep: Rep) -> None:
        self.fresh[rep] = None

    def leave(self, rep: Rep) -> None:
        self.fresh.pop(rep, None)
        self.dealt.pop(rep, None)

    def to_back(self, rep: Rep) -> None:
        self.leave(rep)
        self.dealt[rep] = None


class TeamFloor:
    """A team at work: its reps, shared queue, idle list and calendar.

    ``candidates`` remembers, per kind of lead (region, language, complex), the reps who
    pass assignment's eligibility filters; it is emptied when the team changes or when the
    availability it was computed under (``candidate_state``) changes.

    ``went_idle`` counts the reps who joined the idle list; with the day it tells the claim
    offers whether the idle list has changed since it last held nobody able to claim.
    """

    def __init__(self, index: int, name: str, spec: Team, calendar: WorkCalendar):
        self.index = index
        self.name = name
        self.spec = spec
        self.is_sdr = spec.role == "sdr"
        self.calendar = calendar
        self.reps: list[Rep] = []
        self.all_reps: list[Rep] = []
        self.hires = 0
        self.queues: dict[int, deque[Lead]] = {-1: deque()}
        self.idle: deque[Rep] = deque()
        self.went_idle = 0
        self.no_claimer: tuple[int, int] = (-1, -1)
        self.cursor = 0
        self.by_region: dict[int, list[Rep]] = {}
        self.by_uid: dict[int, Rep] = {}
        self.rotation = Rotation()
        self.candidates: dict[tuple[int, int, bool], frozenset[Rep]] = {}
        self.candidate_state: object = None
        self.regions: list[int] = []
        self.language_shares: list[tuple[int, float]] = []
        self.sequence = 0
        self.period_index = -1
        self.uids: Iterator[int] = iter(())
        self.fit = tuple(spec.complexity_fit.get(name, 1.0) for name in COMPLEXITIES)
        self.attempt = spec.attempt_minutes or spec.clean_minutes or Duration(mean_minutes=10.0)
        self.meeting = spec.meeting_minutes or self.attempt
        self.attempt_draw = DurationDraw(self.attempt)
        self.meeting_draw = DurationDraw(self.meeting)
        self.clean_draw = DurationDraw(spec.clean_minutes) \
            if spec.clean_minutes is not None else None

    def queue_key(self, region: int) -> int:
        """Leads of a region someone covers queue for that region; the rest queue jointly."""
        return region if region in self.by_region else -1

    def enqueue(self, lead: Lead) -> int:
        key = self.queue_key(lead.region)
        queue = self.queues.get(key)
        if queue is None:
            queue = self.queues[key] = deque()
        queue.append(lead)
        return key

    def queued(self) -> Iterator[Lead]:
        for queue in self.queues.values():
            yield from queue

    def eligible(self, region: int) -> list[Rep]:
        """Reps who cover ``region``; every rep when nobody on the team covers it."""
        return self.by_region.get(region) or self.reps


def build_floor(scenario: Scenario, rng: np.random.Generator, first_weekday: int
                ) -> list[TeamFloor]:
    """Teams with their reps; skills are drawn from the staff stream, team by team."""
    uid = itertools.count()
    floor = []
    for index, (name, spec) in enumerate(scenario.teams.items()):
        team = TeamFloor(index, name, spec, WorkCalendar(spec.calendar, first_weekday))
        skills = np.exp(spec.skill_spread * rng.standard_normal(spec.headcount)
                        - spec.skill_spread**2 / 2.0)
        team.regions = [scenario.regions.index(region) for region in spec.regions]
        team.uids = uid
        team.language_shares = [(scenario.languages.index(name), share)
                                for name, share in spec.languages.items()]
        seeds = rng.integers(0, 2**62, size=spec.headcount).tolist()
        for skill, seed in zip(skills.tolist(), seeds, strict=True):
            # people on the team at the start count as experienced (a year in the job)
            hire(team, skill, -ESTABLISHED_HOURS, seed=seed)
        floor.append(team)
    return floor


ESTABLISHED_HOURS = 365 * 24.0


def hire(team: TeamFloor, skill: float, now: float, region: int | None = None, *,
         seed: int = 0) -> Rep:
    """Add a rep to the team; regions are handed out in turn unless one is given."""
    team.hires += 1
    position = team.hires - 1
    if region is None:
        region = team.regions[position % len(team.regions)] if team.regions else -1
    rep = Rep(next(team.uids), f"{team.name}-{team.hires}", team, skill ** (1.0 / 3.0), region,
              now)
    rep.seed = seed
    headcount = max(team.spec.headcount, 1)
    spoken = {language for language, share in team.language_shares
              if position % headcount < round(share * headcount)}
    named = {language for language, _ in team.language_shares}
    if named and 0 not in named:
        spoken.add(0)  # everyone speaks the scenario's first language unless it is rationed
    rep.languages = frozenset(spoken)
    rep.senior = position % headcount < round(team.spec.senior_share * headcount)
    team.reps.append(rep)
    team.all_reps.append(rep)
    team.by_uid[rep.uid] = rep
    team.rotation.join(rep)
    team.candidates.clear()
    if region >= 0:
        team.by_region.setdefault(region, []).append(rep)
    return rep


def dismiss(rep: Rep, now: float) -> None:
    """Take a rep off the team's rotation; the caller moves the rep's leads."""
    team = rep.team
    rep.active = False
    rep.left_at = now
    team.reps.remove(rep)
    del team.by_uid[rep.uid]
    team.rotation.leave(rep)
    team.candidates.clear()
    if rep.region >= 0:
        team.by_region[rep.region].remove(rep)
    team.cursor = team.cursor % len(team.reps) if team.reps else 0


def nudge(rep: Rep) -> None:
    """Wake an idle rep because work has arrived for it."""
    if rep.idle and rep.wake is not None:
        rep.idle = False
        rep.wake.succeed()


def nudge_team(team: TeamFloor, key: int = -1) -> None:
    """Wake one idle rep of the team who may take work from queue ``key``."""
    skipped: list[Rep] = []
    idle = team.idle
    while idle:
        rep = idle.popleft()
        if not rep.idle:
            continue
        if key == -1 or rep.region == key:
            nudge(rep)
            break
        skipped.append(rep)
    if skipped:
        idle.extendleft(reversed(skipped))


def schedule(rep: Rep, due_at: float, lead: Lead, order: int) -> None:
    """Put a follow-up on the rep's agenda."""
    lead.state = SCHEDULED
    heapq.heappush(rep.due, Queued(due_at, order, lead))


def pop_new(rep: Rep) -> Lead | None:
    while rep.new:
        lead = rep.new.popleft()
        if lead.state == WAITING and lead.owner is rep:
            return lead
    return None


def pop_queue(team: TeamFloor, rep: Rep, cap: int) -> Lead | None:
    if not team.is_sdr and rep.held >= cap:
        return None
    wanted = WAITING_SDR if team.is_sdr else WAITING
    for key in (rep.region, -1) if rep.region >= 0 else (-1,):
        queue = team.queues.get(key)
        while queue:
            lead = queue.popleft()
            if lead.state == wanted and lead.owner is None:
                return lead
    return None


def pop_due(rep: Rep, now: float) -> Lead | None:
    while rep.due and rep.due[0].key <= now:
        lead = heapq.heappop(rep.due).lead
        if lead.state == SCHEDULED and lead.owner is rep:
            return lead
    return None
