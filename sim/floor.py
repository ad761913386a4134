"""The sales floor: reps and teams with their queues and working time.

A rep works one item at a time inside the team's calendar: a lead to clean (SDR), a contact
attempt, or a sales-cycle meeting. Work comes from three places: the rep's own new leads,
the team's shared queue, and the rep's follow-ups that have fallen due.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from scenarios.schema import COMPLEXITIES, Scenario, Team
from sim.calendar import WorkCalendar
from sim.leads import SCHEDULED, WAITING, WAITING_SDR, Lead

if TYPE_CHECKING:
    import simpy


class Rep:
    """One person on a team. ``held`` counts the leads in the rep's private pool."""

    __slots__ = ("busy_hours", "current", "due", "held", "idle", "name", "new", "region",
                 "skill", "team", "uid", "wake")

    def __init__(self, uid: int, name: str, team: TeamFloor, skill: float, region: int):
        self.uid = uid
        self.name = name
        self.team = team
        self.skill = skill
        self.region = region
        self.new: deque[Lead] = deque()
        self.due: list[tuple[float, int, Lead]] = []
        self.held = 0
        self.idle = False
        self.wake: simpy.Event | None = None
        self.current: Lead | None = None
        self.busy_hours = 0.0


class TeamFloor:
    """A team at work: its reps, shared queue, idle list and calendar."""

    def __init__(self, index: int, name: str, spec: Team, calendar: WorkCalendar):
        self.index = index
        self.name = name
        self.spec = spec
        self.is_sdr = spec.role == "sdr"
        self.calendar = calendar
        self.reps: list[Rep] = []
        self.queue: deque[Lead] = deque()
        self.idle: deque[Rep] = deque()
        self.cursor = 0
        self.by_region: dict[int, list[Rep]] = {}
        self.fit = tuple(spec.complexity_fit.get(name, 1.0) for name in COMPLEXITIES)
        self.meeting = spec.meeting_minutes or spec.attempt_minutes

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
        covered = [scenario.regions.index(region) for region in spec.regions]
        for person, skill in enumerate(skills.tolist()):
            region = covered[person % len(covered)] if covered else -1
            rep = Rep(next(uid), f"{name}-{person + 1}", team, skill, region)
            team.reps.append(rep)
            if region >= 0:
                team.by_region.setdefault(region, []).append(rep)
        floor.append(team)
    return floor


def nudge(rep: Rep) -> None:
    """Wake an idle rep because work has arrived for it."""
    if rep.idle and rep.wake is not None:
        rep.idle = False
        rep.wake.succeed()


def nudge_team(team: TeamFloor) -> None:
    """Wake one idle rep of the team for work in its shared queue."""
    while team.idle:
        rep = team.idle.popleft()
        if rep.idle:
            nudge(rep)
            return


def schedule(rep: Rep, due_at: float, lead: Lead, order: int) -> None:
    """Put a follow-up on the rep's agenda."""
    lead.state = SCHEDULED
    heapq.heappush(rep.due, (due_at, order, lead))


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
    while team.queue:
        lead = team.queue.popleft()
        if lead.state == wanted and lead.owner is None:
            return lead
    return None


def pop_due(rep: Rep, now: float) -> Lead | None:
    while rep.due and rep.due[0][0] <= now:
        _, _, lead = heapq.heappop(rep.due)
        if lead.state == SCHEDULED and lead.owner is rep:
            return lead
    return None


def next_due(rep: Rep) -> float | None:
    return rep.due[0][0] if rep.due else None
