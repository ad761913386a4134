"""Performance ranking ("PK") and the fairness KPI.

``pk_weights`` is a pure function of rep records, so its guardrails are checked on hand
numbers. In the model, a rep who is better by construction (a higher skill set after the
floor is built) must gain allocation weight over a run, while the guardrail counters
become KPIs only under the ``pk_ranking`` strategy. The Gini of leads per rep is checked
on hand values and as a KPI of a run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from policies import load_policy
from policies.assignment import RepRecord, pk_weights
from policies.schema import PkRanking, Policy
from scenarios import Scenario
from scenarios.overrides import Override, apply_overrides
from sim.metrics import fairness, gini
from sim.model import LeadModel, ModelOptions
from sim.replication import check_conservation, run_replication

ESTABLISHED_DAYS = 365.0
PK_KPIS = {"pk_rankings", "pk_unjudged_small_sample", "pk_ramping", "pk_floored",
           "pk_reordered_by_shrinkage"}


def record(leads: int, successes: int, tenure_days: float = ESTABLISHED_DAYS) -> RepRecord:
    return RepRecord(leads, successes, tenure_days)


# --- pk_weights: the guardrails on hand numbers --------------------------------------------


def test_small_samples_are_not_judged_and_keep_weight_one() -> None:
    rules = PkRanking(min_sample=30, shrinkage_leads=0.0)
    records = [record(10, 9), record(100, 40), record(100, 30), record(100, 20),
               record(100, 10)]

    ranking = pk_weights(records, rules)

    # four judged reps: round(0.2 * 4) = 1 at the top and 1 at the bottom
    assert ranking.weights == [1.0, 1.5, 1.0, 1.0, 0.4]
    assert ranking.unjudged_small_sample == 1
    assert (ranking.ramping, ranking.floored, ranking.reordered_by_shrinkage) == (0, 0, 0)


def test_new_reps_ramp_up_linearly_whatever_their_record() -> None:
    rules = PkRanking(ramp_days=60.0, ramp_start_weight=0.5, min_sample=0, top_share=0.0,
                      bottom_share=0.0)
    records = [record(100, 90, tenure_days=0.0), record(100, 90, tenure_days=15.0),
               record(100, 10, tenure_days=45.0), record(100, 30)]

    ranking = pk_weights(records, rules)

    assert ranking.weights == [0.5, 0.625, 0.875, 1.0]
    assert ranking.ramping == 3


def test_the_exploration_floor_clips_low_weights_and_counts_them() -> None:
    rules = PkRanking(min_sample=0, shrinkage_leads=0.0, top_share=0.0, bottom_share=0.5,
                      bottom_weight=0.1, exploration_floor=0.25, ramp_days=10.0,
                      ramp_start_weight=0.0)
    records = [record(100, 40), record(100, 30), record(100, 20), record(100, 10),
               record(100, 50, tenure_days=1.0)]

    ranking = pk_weights(records, rules)

    # the bottom two fall to 0.1 and the day-old rep ramps from 0.1: all three clipped
    assert ranking.weights == [1.0, 1.0, 0.25, 0.25, 0.25]
    assert ranking.floored == 3
    assert ranking.ramping == 1


def test_strong_shrinkage_keeps_a_lucky_small_record_below_a_solid_one() -> None:
    # 3 of 5 (60%) looks better than 60 of 200 (30%) raw; shrunk toward the team rate
    # 103/605 with 100 prior leads it is 0.191 against 0.257.
    records = [record(5, 3), record(200, 60), record(200, 20), record(200, 20)]
    strong = PkRanking(min_sample=0, shrinkage_leads=100.0, top_share=0.25,
                       bottom_share=0.25)
    none = PkRanking(min_sample=0, shrinkage_leads=0.0, top_share=0.25, bottom_share=0.25)

    shrunk = pk_weights(records, strong)
    raw = pk_weights(records, none)

    assert shrunk.weights == [1.0, 1.5, 1.0, 0.4]
    assert shrunk.reordered_by_shrinkage == 2
    assert raw.weights == [1.5, 1.0, 1.0, 0.4]
    assert raw.reordered_by_shrinkage == 0


def test_top_and_bottom_shares_set_how_many_reps_move() -> None:
    rules = PkRanking(min_sample=0, shrinkage_leads=0.0, top_share=0.3, bottom_share=0.2,
                      top_weight=2.0, bottom_weight=0.5, exploration_floor=0.0)
    records = [record(100, successes) for successes in (5, 50, 15, 45, 25, 35, 10, 40, 20, 30)]

    ranking = pk_weights(records, rules)

    # ranks by rate: 50, 45, 40 gain; 10 and 5 lose; the middle five stay at 1
    assert ranking.weights == [0.5, 2.0, 1.0, 2.0, 1.0, 1.0, 0.5, 2.0, 1.0, 1.0]


def test_zero_shares_leave_every_judged_rep_at_weight_one() -> None:
    rules = PkRanking(min_sample=0, top_share=0.0, bottom_share=0.0)

    assert pk_weights([record(50, 1), record(50, 40)], rules).weights == [1.0, 1.0]


def test_a_rep_lucky_over_a_short_window_does_not_gain_weight_under_the_bundled_rules() -> None:
    rules = load_policy("pk_ranking").assignment.pk_ranking
    lucky = record(8, 5)  # 62% on 8 leads
    team = [record(120, 30), record(110, 25), record(100, 20), record(130, 35), lucky]

    ranking = pk_weights(team, rules)

    assert ranking.weights[4] == 1.0
    assert ranking.unjudged_small_sample == 1
    assert ranking.weights[3] == rules.top_weight


def test_a_lucky_rep_judged_anyway_is_pulled_back_by_shrinkage() -> None:
    rules = load_policy("pk_ranking").assignment.pk_ranking.model_copy(
        update={"min_sample": 0})
    lucky = record(8, 5)  # 62% on 8 leads, against 38% on 130
    team = [record(120, 30), record(110, 25), record(100, 20), record(130, 50), lucky]

    ranking = pk_weights(team, rules)

    assert ranking.weights[3] == rules.top_weight
    assert ranking.weights[4] == 1.0
    assert ranking.reordered_by_shrinkage > 0


# --- ranking in the model ------------------------------------------------------------------

ALWAYS_OPEN = {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start_hour": 0.0, "end_hour": 24.0}
SHORT = {"distribution": "fixed", "mean_minutes": 15.0}

SCENARIO: dict[str, Any] = {
    "name": "five reps",
    "days": 20,
    "start_date": dt.date(2026, 1, 5),
    "regions": ["r1"],
    "business_lines": {"core": {"gross_margin": 0.5}},
    "decay": {"enabled": False},
    "experience": {"opt_out_per_excess_touch": 0.0},
    "crm": {"recycling": "realtime"},
    "channels": {"web": {
        "kind": "organic", "leads_per_day": 60.0, "quality": {"mean": 0.2},
        "business_lines": {"core": 1.0}, "regions": {"r1": 1.0}, "complexity": {"low": 1.0},
        "deal_size": {"median": 1000.0, "sigma": 0.0},
    }},
    "teams": {"sales": {
        "role": "telesales", "headcount": 5, "calendar": ALWAYS_OPEN,
        "attempt_minutes": SHORT, "connect_rate": 1.0, "skill_spread": 0.0,
        "private_pool_cap": 10_000, "attrition_per_year": 0.0,
    }},
}

POLICY: dict[str, Any] = {
    "name": "ranked",
    "routing": {"rules": [{"name": "all", "team": "sales"}]},
    "assignment": {"strategy": "pk_ranking", "pk_ranking": {
        "period_days": 5.0, "window_days": 10.0, "metric": "qualified", "min_sample": 20,
        "shrinkage_leads": 20.0, "top_share": 0.2, "bottom_share": 0.2}},
    "follow_up": {"max_attempts": 1},
    "circulation": {"unclaimed_days": 0.0, "max_cycles": 0, "daily_claim_limit": 0,
                    "reclaim_cooldown_days": 0.0},
}
STAR = 2  # sales-3


def policy(**changes: Any) -> Policy:
    data = apply_overrides(POLICY, [Override(k, v) for k, v in changes.items()])
    return Policy.model_validate(data)


def ranked_model(strategy: str = "pk_ranking") -> LeadModel:
    model = LeadModel(Scenario.model_validate(SCENARIO),
                      policy(**{"assignment.strategy": strategy}), ModelOptions(seed=3))
    # each conversion step of sales-3 is 2.5 times as likely: better by construction
    model.teams["sales"].reps[STAR].skill = 2.5
    model.run()
    return model


@pytest.fixture(scope="module")
def ranked() -> LeadModel:
    return ranked_model()


def test_the_better_rep_gains_weight_and_leads(ranked: LeadModel) -> None:
    reps = ranked.teams["sales"].reps
    star = reps[STAR]
    others = [rep for rep in reps if rep is not star]

    assert star.weight == 1.5
    assert all(rep.weight < star.weight for rep in others)
    assert star.assigned_total > max(rep.assigned_total for rep in others)


def test_rankings_run_every_period_and_their_counts_become_kpis(ranked: LeadModel) -> None:
    found = fairness(ranked.tally)

    # rankings on days 5, 10 and 15 of the 20-day horizon, one sales team
    assert found["pk_rankings"] == 3.0
    assert found["pk_ramping"] == 0.0
    assert set(found) >= PK_KPIS
    check_conservation(ranked.census())


def test_round_robin_keeps_weights_at_one_and_leads_even() -> None:
    model = ranked_model("round_robin")
    reps = model.teams["sales"].reps
    totals = [rep.assigned_total for rep in reps]

    assert all(rep.weight == 1.0 for rep in reps)
    assert max(totals) - min(totals) <= 1
    assert not PK_KPIS & set(fairness(model.tally))


@pytest.mark.parametrize("strategy", ["round_robin", "pk_ranking"])
def test_guardrail_kpis_appear_only_under_pk_ranking(strategy: str) -> None:
    scenario = Scenario.model_validate(apply_overrides(
        SCENARIO, [Override("channels.web.leads_per_day", 10.0)]))
    result = run_replication(scenario, policy(**{"assignment.strategy": strategy}),
                             ModelOptions(seed=1, days=6))

    if strategy == "pk_ranking":
        assert PK_KPIS <= set(result.kpis)
        assert result.kpis["pk_rankings"] == 1.0  # on day 5 of 6
    else:
        assert not PK_KPIS & set(result.kpis)


# --- fairness ------------------------------------------------------------------------------


@pytest.mark.parametrize(("counts", "expected"), [
    ([1, 1, 1, 1], 0.0),
    ([0, 0, 0, 4], 0.75),
    ([4, 0, 0, 0], 0.75),
    ([1, 3], 0.25),
    ([5], None),
    ([], None),
    ([0, 0], None),
])
def test_gini_of_hand_values(counts: list[int], expected: float | None) -> None:
    assert gini(counts) == expected


def test_rep_gini_is_a_kpi_of_a_run_and_ranking_makes_allocation_less_even(
        ranked: LeadModel) -> None:
    scenario = Scenario.model_validate(SCENARIO)
    even = run_replication(scenario, policy(**{"assignment.strategy": "round_robin"}),
                           ModelOptions(seed=3, days=10))
    ranked_kpis = fairness(ranked.tally)

    assert even.kpis["rep_gini"] == even.kpis["gini_sales"]
    assert even.kpis["rep_gini"] is not None and even.kpis["rep_gini"] < 0.01
    assert ranked_kpis["gini_sales"] is not None
    assert ranked_kpis["gini_sales"] > even.kpis["rep_gini"]


def test_rep_gini_averages_the_sales_teams_of_the_baseline() -> None:
    from leadops import api

    result = api.simulate(api.prepare("baseline"), replications=1, seed=2, days=3)
    kpis = result.replications[0].kpis
    teams = [kpis[f"gini_{name}"] for name in ("telesales", "field", "key_account")]

    assert "gini_sdr" not in kpis
    assert all(value is not None for value in teams)
    assert kpis["rep_gini"] == pytest.approx(sum(teams) / 3)  # type: ignore[arg-type]
