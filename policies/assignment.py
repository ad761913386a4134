"""Choosing a rep inside a team: eligibility filters, then the policy's strategy.

The model hands these functions its reps through the read-only :class:`RepView` protocol
and a ``load`` function; the functions decide and update only the small counters that
belong to assignment (who was assigned last, the weighted round-robin credit).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from policies.schema import Assignment, PkRanking


class RepView(Protocol):
    """What assignment may read about a rep (and the counters it may update)."""

    uid: int
    name: str
    region: int
    languages: frozenset[int]
    senior: bool
    joined_at: float
    last_assigned: int
    credit: float
    period_count: int
    weight: float


@dataclass(frozen=True, slots=True)
class LeadTraits:
    """What eligibility looks at: region, language, complexity and a previous owner."""

    region: int
    language: int
    complex: bool
    previous_owner: int  # uid, or -1


def eligible(reps: Sequence[RepView], lead: LeadTraits, rules: Assignment,
             available: Callable[[RepView], bool]) -> list[RepView]:
    """Reps who may take the lead. Each filter applies only when someone passes it."""
    candidates = list(reps)
    filters: list[Callable[[RepView], bool]] = [lambda rep: rep.region == lead.region]
    if rules.match_language:
        filters.append(lambda rep: not rep.languages or lead.language in rep.languages)
    if rules.match_complexity and lead.complex:
        filters.append(lambda rep: rep.senior)
    if rules.require_available:
        filters.append(available)
    for keep in filters:
        narrowed = [rep for rep in candidates if keep(rep)]
        if narrowed:
            candidates = narrowed
    return candidates


def choose(candidates: Sequence[RepView], lead: LeadTraits, rules: Assignment, *,
           load: Callable[[RepView], int], cap: int, now: float, sequence: int
           ) -> RepView | None:
    """The rep who gets the lead, or None when every candidate is at the cap.

    ``sequence`` numbers the assignments of the team; it orders round robin.
    """
    open_reps = [rep for rep in candidates if load(rep) < cap]
    if not open_reps:
        return None
    if rules.sticky_owner and lead.previous_owner >= 0:
        for rep in open_reps:
            if rep.uid == lead.previous_owner:
                return _mark(rep, sequence)
    strategy = rules.strategy
    if strategy == "least_loaded":
        chosen = min(open_reps, key=lambda rep: (load(rep), rep.last_assigned))
    elif strategy == "count_based":
        chosen = min(open_reps, key=lambda rep: (rep.period_count, rep.last_assigned))
    elif strategy in ("weighted_round_robin", "pk_ranking"):
        chosen = _smooth_weighted(open_reps, lambda rep: _weight(rep, rules, now))
    else:
        chosen = min(open_reps, key=lambda rep: rep.last_assigned)
    return _mark(chosen, sequence)


Rep = TypeVar("Rep", bound=RepView)


def choose_in_turn(rotation: Iterable[Rep], candidates: Collection[Rep], previous: Rep | None,
                   *, load: Callable[[Rep], int], cap: int, sequence: int) -> Rep | None:
    """Round robin without scanning the team: the same rep :func:`choose` picks.

    ``rotation`` holds the team's reps least recently assigned first (never-assigned reps
    first, in team order), so the first candidate in it with room under the cap is the
    round-robin choice; ``previous`` is the lead's previous owner on the team (or None),
    who gets it back when eligible and under the cap, as under ``sticky_owner``.
    """
    if previous is not None and previous in candidates and load(previous) < cap:
        _mark(previous, sequence)
        return previous
    for rep in rotation:
        if rep in candidates and load(rep) < cap:
            _mark(rep, sequence)
            return rep
    return None


def _mark(rep: RepView, sequence: int) -> RepView:
    rep.last_assigned = sequence
    rep.period_count += 1
    return rep


def _weight(rep: RepView, rules: Assignment, now: float) -> float:
    if rules.strategy == "pk_ranking":
        return rep.weight
    weight = rules.weights.get(rep.name, 1.0)
    if rules.new_hire_days > 0 and rep.joined_at > 0 and \
            now - rep.joined_at < rules.new_hire_days * 24.0:
        weight *= rules.new_hire_weight
    return weight


def _smooth_weighted(reps: Sequence[RepView], weight: Callable[[RepView], float]) -> RepView:
    """Smooth weighted round robin: deterministic, and spreads each rep's turns evenly."""
    weights = [weight(rep) for rep in reps]
    total = sum(weights)
    for rep, value in zip(reps, weights, strict=True):
        rep.credit += value
    chosen = max(reps, key=lambda rep: (rep.credit, -rep.last_assigned))
    chosen.credit -= total
    return chosen


@dataclass(frozen=True)
class RepRecord:
    """One rep's record over the ranking window."""

    leads: int
    successes: int
    tenure_days: float


@dataclass
class Ranking:
    """Weights after a ranking, and how often each guardrail decided a rep's weight."""

    weights: list[float]
    unjudged_small_sample: int = 0
    ramping: int = 0
    floored: int = 0
    reordered_by_shrinkage: int = 0


def pk_weights(records: Sequence[RepRecord], rules: PkRanking) -> Ranking:
    """Rank reps by shrunk efficiency and turn the ranks into allocation weights."""
    leads = sum(r.leads for r in records)
    team_rate = sum(r.successes for r in records) / leads if leads else 0.0
    ranking = Ranking([1.0] * len(records))
    judged = []
    for index, record in enumerate(records):
        if record.tenure_days < rules.ramp_days:
            ranking.ramping += 1
            share = record.tenure_days / rules.ramp_days if rules.ramp_days else 1.0
            ranking.weights[index] = rules.ramp_start_weight + (1 - rules.ramp_start_weight) * share
        elif record.leads < rules.min_sample:
            ranking.unjudged_small_sample += 1
        else:
            judged.append(index)
    _rank(records, judged, team_rate, rules, ranking)
    return ranking


def _rank(records: Sequence[RepRecord], judged: list[int], team_rate: float,
          rules: PkRanking, ranking: Ranking) -> None:
    def shrunk(index: int) -> float:
        record = records[index]
        return (record.successes + rules.shrinkage_leads * team_rate) / \
            (record.leads + rules.shrinkage_leads)

    def raw(index: int) -> float:
        return records[index].successes / records[index].leads if records[index].leads else 0.0

    order = sorted(judged, key=lambda i: (-shrunk(i), i))
    raw_order = sorted(judged, key=lambda i: (-raw(i), i))
    ranking.reordered_by_shrinkage = sum(a != b for a, b in zip(order, raw_order, strict=True))
    top = int(round(rules.top_share * len(order)))
    bottom = int(round(rules.bottom_share * len(order)))
    for position, index in enumerate(order):
        if position < top:
            ranking.weights[index] = rules.top_weight
        elif position >= len(order) - bottom:
            ranking.weights[index] = rules.bottom_weight
    for index, weight in enumerate(ranking.weights):
        if weight < rules.exploration_floor:
            ranking.weights[index] = rules.exploration_floor
            ranking.floored += 1
