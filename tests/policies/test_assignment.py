"""Choosing a rep inside a team: eligibility filters, each strategy's exact sequence, and
the same strategies end to end through the model on a three-rep team.

The unit tests hand ``eligible`` and ``choose`` small fake reps (plain dataclasses that
satisfy the ``RepView`` protocol) and a ``load`` function, and deal leads one at a time in
the order the model would (sequence numbers 1, 2, 3, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import simpy

from policies.assignment import LeadTraits, RepView, choose, choose_in_turn, eligible
from policies.schema import Assignment, Policy
from scenarios import Scenario
from scenarios.overrides import Override, apply_overrides
from sim.calendar import HOURS_PER_DAY
from sim.eventlog import read_csv_events
from sim.model import LeadModel, ModelOptions

ESTABLISHED = -365 * HOURS_PER_DAY
ROOMY = 100


@dataclass
class FakeRep:
    """A rep as assignment sees it; the counters start as a fresh rep's do."""

    uid: int
    name: str
    region: int = 0
    languages: frozenset[int] = frozenset()
    senior: bool = True
    joined_at: float = ESTABLISHED
    last_assigned: int = -1
    credit: float = 0.0
    period_count: int = 0
    weight: float = 1.0


def team(*names: str, **fields: Any) -> list[FakeRep]:
    return [FakeRep(uid, name, **fields) for uid, name in enumerate(names)]


def traits(region: int = 0, language: int = 0, complex_lead: bool = False,
           previous_owner: int = -1) -> LeadTraits:
    return LeadTraits(region, language, complex_lead, previous_owner)


class Loads:
    """Leads each rep holds; an assignment adds one, as owning a lead does in the model."""

    def __init__(self, **start: int):
        self.held = dict(start)

    def __call__(self, rep: RepView) -> int:
        return self.held.get(rep.name, 0)

    def add(self, rep: RepView) -> None:
        self.held[rep.name] = self(rep) + 1


def everyone(rep: RepView) -> bool:
    return True


def deal(reps: Sequence[FakeRep], rules: Assignment, count: int, *, loads: Loads | None = None,
         cap: int = ROOMY, lead: LeadTraits | None = None, now: float = 0.0,
         first: int = 1) -> list[str | None]:
    """Deal ``count`` leads in turn; the names of the chosen reps (None when all are full)."""
    loads = loads or Loads()
    lead = lead or traits()
    chosen: list[str | None] = []
    for sequence in range(first, first + count):
        candidates = eligible(reps, lead, rules, everyone)
        rep = choose(candidates, lead, rules, load=loads, cap=cap, now=now, sequence=sequence)
        if rep is not None:
            loads.add(rep)
        chosen.append(rep.name if rep is not None else None)
    return chosen


def names(reps: Sequence[RepView]) -> list[str]:
    return [rep.name for rep in reps]


# --- eligibility ---------------------------------------------------------------------------


def test_region_filter_keeps_the_reps_of_the_leads_region() -> None:
    reps = [FakeRep(0, "A", region=0), FakeRep(1, "B", region=1), FakeRep(2, "C", region=1)]

    assert names(eligible(reps, traits(region=1), Assignment(), everyone)) == ["B", "C"]


def test_region_filter_is_dropped_when_nobody_covers_the_region() -> None:
    reps = [FakeRep(0, "A", region=0), FakeRep(1, "B", region=1)]

    assert names(eligible(reps, traits(region=2), Assignment(), everyone)) == ["A", "B"]


def test_language_filter_keeps_speakers_and_reps_who_speak_every_language() -> None:
    reps = [FakeRep(0, "A", languages=frozenset({0})), FakeRep(1, "B", languages=frozenset({1})),
            FakeRep(2, "C")]

    assert names(eligible(reps, traits(language=1), Assignment(), everyone)) == ["B", "C"]
    assert names(eligible(reps, traits(language=2), Assignment(), everyone)) == ["C"]


def test_language_filter_is_dropped_when_nobody_speaks_it_or_the_policy_says_so() -> None:
    reps = [FakeRep(0, "A", languages=frozenset({0})), FakeRep(1, "B", languages=frozenset({1}))]
    ignore = Assignment(match_language=False)

    assert names(eligible(reps, traits(language=2), Assignment(), everyone)) == ["A", "B"]
    assert names(eligible(reps, traits(language=1), ignore, everyone)) == ["A", "B"]


def test_complex_leads_go_to_senior_reps_when_the_policy_matches_complexity() -> None:
    reps = [FakeRep(0, "A", senior=False), FakeRep(1, "B", senior=True), FakeRep(2, "C")]
    match = Assignment(match_complexity=True)
    juniors = [FakeRep(0, "A", senior=False), FakeRep(1, "B", senior=False)]

    assert names(eligible(reps, traits(complex_lead=True), match, everyone)) == ["B", "C"]
    assert names(eligible(reps, traits(complex_lead=False), match, everyone)) == ["A", "B", "C"]
    assert names(eligible(reps, traits(complex_lead=True), Assignment(), everyone)) == [
        "A", "B", "C"]
    assert names(eligible(juniors, traits(complex_lead=True), match, everyone)) == ["A", "B"]


def test_availability_filter_keeps_available_reps_when_any_are() -> None:
    reps = team("A", "B", "C")
    require = Assignment(require_available=True)

    def not_a(rep: RepView) -> bool:
        return rep.name != "A"

    assert names(eligible(reps, traits(), require, not_a)) == ["B", "C"]
    assert names(eligible(reps, traits(), require, lambda rep: False)) == ["A", "B", "C"]
    assert names(eligible(reps, traits(), Assignment(), not_a)) == ["A", "B", "C"]


def test_filters_narrow_in_turn_and_a_filter_nobody_passes_is_skipped() -> None:
    # Region narrows to B and C; only A speaks language 1, so the language filter is skipped;
    # then seniority narrows to C.
    reps = [FakeRep(0, "A", region=0, languages=frozenset({1})),
            FakeRep(1, "B", region=1, languages=frozenset({0}), senior=False),
            FakeRep(2, "C", region=1, languages=frozenset({0}), senior=True)]
    lead = traits(region=1, language=1, complex_lead=True)

    assert names(eligible(reps, lead, Assignment(match_complexity=True), everyone)) == ["C"]


# --- strategies ----------------------------------------------------------------------------


def test_round_robin_deals_least_recently_assigned_first() -> None:
    assert deal(team("A", "B", "C"), Assignment(), 7) == ["A", "B", "C", "A", "B", "C", "A"]


def test_round_robin_skips_full_reps_and_takes_them_back_first_when_they_free_up() -> None:
    reps = team("A", "B", "C")

    while_b_is_full = deal(reps, Assignment(), 3, loads=Loads(B=ROOMY))
    once_b_has_room = deal(reps, Assignment(), 3, first=4)

    assert while_b_is_full == ["A", "C", "A"]
    assert once_b_has_room == ["B", "C", "A"]


def test_choosing_in_turn_from_a_rotation_matches_round_robin_over_the_team() -> None:
    """A rotation kept least recently assigned first gives round robin's exact choices,
    with full reps skipped, ineligible reps skipped and a sticky previous owner."""
    rules = Assignment()
    scan, turn = team("A", "B", "C", "D", "E"), team("A", "B", "C", "D", "E")
    rotation = list(turn)
    scan_loads, turn_loads = Loads(C=3), Loads(C=3)
    for sequence in range(1, 40):
        eligible_names = {"A", "C", "D", "E"} if sequence % 3 else {"B", "C", "E"}
        previous = 3 if sequence % 7 == 0 else -1
        lead = traits(previous_owner=previous)
        candidates = [rep for rep in scan if rep.name in eligible_names]
        expected = choose(candidates, lead, rules, load=scan_loads, cap=4 + sequence // 10,
                          now=0.0, sequence=sequence)
        allowed = [rep for rep in turn if rep.name in eligible_names]
        got = choose_in_turn(rotation, allowed, turn[3] if previous >= 0 else None,
                             load=turn_loads, cap=4 + sequence // 10, sequence=sequence)
        assert (got.name if got else None) == (expected.name if expected else None)
        if expected is not None and got is not None:
            scan_loads.add(expected)
            turn_loads.add(got)
            rotation.remove(got)
            rotation.append(got)
    assert [rep.last_assigned for rep in turn] == [rep.last_assigned for rep in scan]


def test_choose_returns_none_when_every_candidate_is_at_the_cap() -> None:
    reps = team("A", "B")

    assert deal(reps, Assignment(), 5, cap=2) == ["A", "B", "A", "B", None]
    assert [rep.last_assigned for rep in reps] == [3, 4]


def test_weighted_round_robin_three_to_one_is_a_smooth_interleaving() -> None:
    # Credits (A, B) before each choice: (3, 1) -> A; (2, 2) a tie that goes to the rep
    # assigned longer ago -> B; (5, -1) -> A; (4, 0) -> A; then (0, 0) again: period 4.
    rules = Assignment(strategy="weighted_round_robin", weights={"A": 3.0})

    assert deal(team("A", "B"), rules, 8) == ["A", "B", "A", "A", "A", "B", "A", "A"]


def test_weighted_round_robin_keeps_exact_shares_over_many_leads() -> None:
    rules = Assignment(strategy="weighted_round_robin", weights={"A": 3.0, "C": 2.0})
    chosen = deal(team("A", "B", "C"), rules, 600, cap=10**6)

    assert [chosen.count(name) for name in ("A", "B", "C")] == [300, 100, 200]
    for start in range(0, 600, 6):
        window = chosen[start:start + 6]
        assert [window.count(name) for name in ("A", "B", "C")] == [3, 1, 2]


def test_new_hires_weigh_new_hire_weight_until_new_hire_days_have_passed() -> None:
    # B joined 100 hours in; at 200 hours B weighs 0.25 against A's 1: credits (A, B) run
    # (1, .25) A, (.75, .5) A, (.5, .75) B, (1.5, -.25) A, (1.25, 0) A, back to (0, 0).
    rules = Assignment(strategy="weighted_round_robin", new_hire_days=30.0,
                       new_hire_weight=0.25)
    reps = [FakeRep(0, "A"), FakeRep(1, "B", joined_at=100.0)]
    later = [FakeRep(0, "A"), FakeRep(1, "B", joined_at=100.0)]
    after_ramp = 100.0 + 30 * HOURS_PER_DAY + 1.0

    assert deal(reps, rules, 10, now=200.0) == ["A", "A", "B", "A", "A"] * 2
    assert deal(later, rules, 4, now=after_ramp) == ["A", "B", "A", "B"]


def test_pk_ranking_steers_by_each_reps_ranking_weight_not_by_named_weights() -> None:
    rules = Assignment(strategy="pk_ranking", weights={"B": 100.0})
    reps = [FakeRep(0, "A", weight=3.0), FakeRep(1, "B", weight=1.0)]

    assert deal(reps, rules, 8) == ["A", "B", "A", "A", "A", "B", "A", "A"]


def test_count_based_takes_the_fewest_leads_this_period_then_least_recent() -> None:
    # Period counts start at A=2, B=0, C=1; each assignment adds one to the chosen rep.
    reps = [FakeRep(0, "A", period_count=2), FakeRep(1, "B"), FakeRep(2, "C", period_count=1)]

    assert deal(reps, Assignment(strategy="count_based"), 5) == ["B", "C", "B", "A", "C"]
    assert [rep.period_count for rep in reps] == [3, 2, 3]


def test_least_loaded_takes_the_most_room_and_breaks_ties_by_least_recent() -> None:
    # Loads start at A=2, B=0, C=0. Third lead: B and C both hold 1; B was assigned at
    # sequence 1 and C at 2, so B.
    chosen = deal(team("A", "B", "C"), Assignment(strategy="least_loaded"), 6,
                  loads=Loads(A=2))

    assert chosen == ["B", "C", "B", "C", "A", "B"]


# --- sticky owner --------------------------------------------------------------------------


def pick(reps: Sequence[FakeRep], rules: Assignment, lead: LeadTraits, *,
         loads: Loads | None = None, cap: int = ROOMY) -> str | None:
    candidates = eligible(reps, lead, rules, everyone)
    rep = choose(candidates, lead, rules, load=loads or Loads(), cap=cap, now=0.0, sequence=9)
    return rep.name if rep is not None else None


def test_a_returning_lead_goes_back_to_its_previous_owner() -> None:
    reps = team("A", "B", "C")

    assert pick(reps, Assignment(), traits(previous_owner=2)) == "C"
    assert (reps[2].last_assigned, reps[2].period_count) == (9, 1)


def test_a_full_previous_owner_leaves_the_choice_to_the_strategy() -> None:
    reps = team("A", "B", "C")

    assert pick(reps, Assignment(), traits(previous_owner=2), loads=Loads(C=5), cap=5) == "A"


def test_an_ineligible_previous_owner_leaves_the_choice_to_the_strategy() -> None:
    reps = [FakeRep(0, "A", region=0), FakeRep(1, "B", region=1), FakeRep(2, "C", region=1)]

    assert pick(reps, Assignment(), traits(region=1, previous_owner=0)) == "B"


def test_without_sticky_owner_the_strategy_decides() -> None:
    reps = team("A", "B", "C")

    assert pick(reps, Assignment(sticky_owner=False), traits(previous_owner=2)) == "A"


def test_sticky_owner_wins_over_least_loaded() -> None:
    reps = team("A", "B")
    rules = Assignment(strategy="least_loaded")

    assert pick(reps, rules, traits(previous_owner=1), loads=Loads(B=7)) == "B"


# --- end to end through the model ----------------------------------------------------------

ALWAYS_OPEN = {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start_hour": 0.0, "end_hour": 24.0}
ONE_HOUR = {"distribution": "fixed", "mean_minutes": 60.0}

SCENARIO: dict[str, Any] = {
    "name": "three reps",
    "days": 2,
    "start_date": dt.date(2026, 1, 5),
    "regions": ["r1"],
    "languages": ["en", "fr"],
    "business_lines": {"core": {"gross_margin": 0.5}},
    "decay": {"enabled": False},
    "experience": {"opt_out_per_excess_touch": 0.0},
    "crm": {"recycling": "realtime"},
    "channels": {"web": {
        "kind": "organic", "leads_per_day": 0.0, "quality": {"mean": 0.5},
        "business_lines": {"core": 1.0}, "regions": {"r1": 1.0}, "complexity": {"low": 1.0},
        "deal_size": {"median": 1000.0, "sigma": 0.0},
    }},
    "teams": {"sales": {
        "role": "telesales", "headcount": 3, "calendar": ALWAYS_OPEN,
        "attempt_minutes": ONE_HOUR, "connect_rate": 0.0, "skill_spread": 0.0,
        "private_pool_cap": 100, "attrition_per_year": 0.0,
    }},
}

POLICY: dict[str, Any] = {
    "name": "one attempt",
    "routing": {"rules": [{"name": "all", "team": "sales"}]},
    "follow_up": {"max_attempts": 1},
    "circulation": {"sla_hours": 1000.0, "unclaimed_days": 0.0, "max_cycles": 0,
                    "daily_claim_limit": 0, "reclaim_cooldown_days": 0.0},
}

# (hours, rep who owns it from the start or None for a routed lead)
Script = list[tuple[float, str | None]]

# sales-2 and sales-3 get two leads of their own each at 0.05 h (busy until 2.05 h);
# routed leads arrive at 0.1, 1.2 and 1.3 hours. Attempts take one hour.
BUSY_SCRIPT: Script = [(0.05, "sales-2"), (0.05, "sales-2"), (0.05, "sales-3"),
                       (0.05, "sales-3"), (0.1, None), (1.2, None), (1.3, None)]


def built(changes: dict[str, Any], policy_changes: dict[str, Any], tmp_path: Path
          ) -> tuple[LeadModel, Path]:
    def apply(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        return apply_overrides(base, [Override(k, v) for k, v in values.items()])

    path = tmp_path / f"events-{len(list(tmp_path.iterdir()))}.csv.gz"
    model = LeadModel(Scenario.model_validate(apply(SCENARIO, changes)),
                      Policy.model_validate(apply(POLICY, policy_changes)),
                      ModelOptions(seed=4, days=1, events=path))
    return model, path


def first_workers(model: LeadModel, path: Path, script: Script) -> list[str]:
    """Play the script; the rep who made the first attempt on each routed lead."""
    reps = {rep.name: rep for floor in model.floor for rep in floor.reps}
    routed: list[int] = []

    def play() -> Any:
        env: simpy.Environment = model.env
        for hours, owner in script:
            if hours > env.now:
                yield env.timeout(hours - env.now)
            lead = model.arrive(0, owner=reps[owner] if owner else None)
            if owner is None:
                routed.append(lead.id)

    model.env.process(play())
    model.run()
    rows = read_csv_events(path)
    owners = []
    for lead_id in routed:
        attempts = [row["owner"] for row in rows
                    if row["lead_id"] == str(lead_id) and row["event"] == "attempt"]
        owners.append(attempts[0])
    return owners


def assigned_owners(path: Path) -> list[str]:
    return [row["owner"] for row in read_csv_events(path) if row["event"] == "assigned"]


@pytest.mark.parametrize(("strategy", "expected"), [
    # free rep sales-1 takes both early leads; sales-2 frees up first for the third
    ("next_available", ["sales-1", "sales-1", "sales-2"]),
    # in turn, whoever is busy
    ("round_robin", ["sales-1", "sales-2", "sales-3"]),
    # sales-1 holds nothing; at 1.3 h all hold one and sales-2 was never chosen before
    ("least_loaded", ["sales-1", "sales-1", "sales-2"]),
])
def test_strategies_give_the_expected_owners_in_the_model(
        strategy: str, expected: list[str], tmp_path: Path) -> None:
    model, path = built({}, {"assignment.strategy": strategy}, tmp_path)

    assert first_workers(model, path, BUSY_SCRIPT) == expected


def test_assigned_events_follow_round_robin_in_the_model(tmp_path: Path) -> None:
    model, path = built({}, {"assignment.strategy": "round_robin"}, tmp_path)
    first_workers(model, path, [(0.1 * i, None) for i in range(1, 6)])

    assert assigned_owners(path) == ["sales-1", "sales-2", "sales-3", "sales-1", "sales-2"]


def test_next_available_assigns_no_owner_at_arrival(tmp_path: Path) -> None:
    model, path = built({}, {"assignment.strategy": "next_available"}, tmp_path)
    first_workers(model, path, [(0.1 * i, None) for i in range(1, 4)])
    events = [row["event"] for row in read_csv_events(path)]

    assert "assigned" not in events
    assert events.count("queued") == 3


def test_language_shares_reach_the_model_and_filter_assignment(tmp_path: Path) -> None:
    # A third of the team (sales-1) speaks French; every customer writes in French.
    changes = {"teams.sales.languages": {"fr": 0.34}, "channels.web.languages": {"fr": 1.0}}
    model, path = built(changes, {"assignment.strategy": "round_robin"}, tmp_path)
    first_workers(model, path, [(0.1 * i, None) for i in range(1, 5)])

    assert assigned_owners(path) == ["sales-1"] * 4


def test_without_language_matching_french_leads_go_round(tmp_path: Path) -> None:
    changes = {"teams.sales.languages": {"fr": 0.34}, "channels.web.languages": {"fr": 1.0}}
    model, path = built(changes, {"assignment.match_language": False}, tmp_path)
    first_workers(model, path, [(0.1 * i, None) for i in range(1, 5)])

    assert assigned_owners(path) == ["sales-1", "sales-2", "sales-3", "sales-1"]

