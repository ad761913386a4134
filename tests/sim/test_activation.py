"""Activation campaigns: who gets a message, what a message does, and what answers do.

Tiny scenarios (see :mod:`tiny`) have two teams: ``sales`` cannot reach anybody and takes
grade-D leads; ``closers`` win every sure lead and take the rest. A sure lead that arrives
with a D score is released by sales to the public pool; a campaign that makes it answer
re-scores it (without noise) as grade A, so it is routed again, to the closers, and won.
Direction tests on the bundled baseline compare campaigns on one seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tiny import CLOSERS, SURE, Tiny, exogenous_leads, kpi, run_baseline, team

from sim.metrics import CAMPAIGN_COST

PUBLIC = "public:core"
DAY = 24.0
COST = 0.5
CAMPAIGN = {"name": "wake up", "every_days": 100.0, "first_day": 1.0, "pool": "public",
            "min_days_since_touch": 0.0}
TWO_TEAMS = {
    "teams.closers": team(**CLOSERS),
    "classification.rescore_noise": 0.0,
    "activation.cost_per_message": COST,
    "activation.response_scale": 5.0,
}
ROUTING = {"routing.rules": [{"name": "weak", "when": {"grade": ["D"]}, "team": "sales"},
                             {"name": "rest", "team": "closers"}]}


def _campaign(tmp_path: Path, scenario: dict[str, Any] | None = None,
              campaign: dict[str, Any] | None = None, *, days: int = 4) -> Tiny:
    return Tiny(tmp_path, {**TWO_TEAMS, **(scenario or {})},
                {**ROUTING, "activation.campaigns": [{**CAMPAIGN, **(campaign or {})}]},
                days=days)


def test_a_responder_leaves_the_pool_is_routed_again_and_won(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path)
    tiny.arrive(0.0, "r", score=0.01, propensity=SURE)
    tiny.run()
    lead, tally = tiny.lead("r"), tiny.model.tally
    assert tiny.moves("r") == [(1.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.events("r", "reactivated") == [
        (DAY, "reactivated", f"from={PUBLIC} campaign=wake up")]
    assert lead.reactivated and lead.grade == "A" and lead.score == pytest.approx(SURE)
    outcomes = [row for row in tiny.rows() if row["event"] != "touch"]
    assert outcomes[-1]["event"] == "won" and outcomes[-1]["team"] == "closers"
    assert tally.move_counts[("public", "routing", "wake up")] == 1
    assert (tally.reactivated, tally.reactivated_won, tally.won) == (1, 1, 1)


def test_every_message_is_a_touch_and_costs_money(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path, {"activation.response_scale": 0.0},
                     {"every_days": 1.0}, days=4)
    tiny.arrive(0.0, "r", score=0.01, propensity=SURE)
    tiny.run()
    tally = tiny.model.tally
    # Sends on days 1, 2 and 3; nobody answers, so the lead stays in the pool.
    assert tally.messages == 3 and tiny.lead("r").messages == 3
    assert tiny.lead("r").touches == 1 + 3
    assert tally.touches == 4
    assert tally.campaign_cost == pytest.approx(3 * COST)
    assert tiny.lead("r").last_touch_at == 3 * DAY
    assert tally.reactivated == 0 and tiny.place_of("r") == PUBLIC


def test_campaign_cost_is_booked_on_the_day_of_the_send(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path, {"activation.response_scale": 0.0},
                     {"every_days": 1.0}, days=4)
    tiny.arrive(0.0, "r", score=0.01, propensity=SURE)  # pooled on day 0
    tiny.run()
    daily = tiny.model.tally.series_array()[..., CAMPAIGN_COST].reshape(4, -1).sum(axis=1)
    assert daily.tolist() == pytest.approx([0.0, COST, COST, COST])


def test_audience_takes_the_best_scores_up_to_its_size(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path, {"activation.response_scale": 0.0},
                     {"max_audience": 2, "min_score": 0.05}, days=2)
    for label, score in [("low", 0.04), ("mid", 0.1), ("top", 0.14), ("next", 0.12)]:
        tiny.arrive(0.0, label, score=score, propensity=SURE)
    tiny.run()
    assert {label: tiny.lead(label).messages for label in ("low", "mid", "top", "next")} == {
        "low": 0, "mid": 0, "top": 1, "next": 1}


def test_recently_touched_leads_are_left_out(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path, {"activation.response_scale": 0.0},
                     {"min_days_since_touch": 1.0, "first_day": 1.5}, days=2)
    tiny.arrive(0.0, "early", score=0.01)  # last touched at 1 h: a day quiet by the send
    tiny.arrive(12.0, "late", score=0.01)  # last touched at 13 h
    tiny.arrive(0.0, "owned", score=0.5, propensity=SURE)  # with the closers, not pooled
    tiny.run()
    assert tiny.lead("early").messages == 1
    assert tiny.lead("late").messages == 0
    assert tiny.lead("owned").messages == 0


def test_campaign_on_the_grand_pool_skips_the_public_pool(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path, {"activation.response_scale": 0.0}, {"pool": "grand"})
    tiny.arrive(0.0, "r", score=0.01)
    tiny.run()
    assert tiny.model.tally.messages == 0


def test_blocked_leads_get_no_messages(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path, {"experience.touch_limit": 1,
                                "experience.opt_out_per_excess_touch": 1.0},
                     {"pool": "both"}, days=3)
    tiny.arrive(0.0, "r", score=0.01, propensity=SURE)
    tiny.run()
    # The message at 24 h is the second touch within the window: the customer opts out.
    assert tiny.moves("r") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (DAY, PUBLIC, "blocked", "opted_out")]
    assert tiny.model.tally.messages == 1  # the send on day 2 finds nobody
    assert tiny.model.tally.reactivated == 0


def test_a_message_can_make_the_customer_opt_out(tmp_path: Path) -> None:
    """activation.opt_out_rate: the chance that a message makes the customer opt out."""
    tiny = _campaign(tmp_path, {"activation.opt_out_rate": 1.0}, days=2)
    tiny.arrive(0.0, "r", score=0.01, propensity=SURE)
    tiny.run()
    assert tiny.model.tally.messages == 1
    assert tiny.place_of("r") == "blocked"
    assert tiny.model.tally.reactivated == 0


def test_a_campaign_before_its_first_day_sends_nothing(tmp_path: Path) -> None:
    tiny = _campaign(tmp_path, campaign={"first_day": 10.0}, days=4)
    tiny.arrive(0.0, "r", score=0.01, propensity=SURE)
    tiny.run()
    assert tiny.model.tally.messages == 0 and tiny.model.tally.campaign_cost == 0.0
    assert tiny.place_of("r") == PUBLIC


# Directions on the bundled baseline ----------------------------------------------------------

ACTIVE = ("policy.activation.campaigns.0.pool='both'",
          "policy.activation.campaigns.0.min_days_since_touch=7",
          "policy.activation.campaigns.0.first_day=10",
          "policy.activation.campaigns.0.every_days=14")


def test_a_campaign_that_never_fires_changes_nothing() -> None:
    none = run_baseline("policy.activation.campaigns=[]")
    late = run_baseline(*ACTIVE, "policy.activation.campaigns.0.first_day=1000")
    active = run_baseline(*ACTIVE)
    assert kpi(active, "messages_sent") > 0  # the same campaign, on time, does fire
    assert [r.kpis for r in late.replications] == [r.kpis for r in none.replications]
    assert [r.moves for r in late.replications] == [r.moves for r in none.replications]
    assert [r.census for r in late.replications] == [r.census for r in none.replications]


def test_more_activation_reactivates_more_leads_with_more_touches() -> None:
    fortnightly = run_baseline(*ACTIVE)
    weekly = run_baseline(*ACTIVE, "policy.activation.campaigns.0.every_days=7")
    assert exogenous_leads(weekly) == exogenous_leads(fortnightly)
    assert kpi(weekly, "messages_sent") > kpi(fortnightly, "messages_sent") > 0
    assert kpi(weekly, "reactivated") > kpi(fortnightly, "reactivated") > 0
    assert kpi(weekly, "touches_per_lead") > kpi(fortnightly, "touches_per_lead")
    assert kpi(weekly, "campaign_cost") > kpi(fortnightly, "campaign_cost")
    assert kpi(weekly, "campaign_cost") == pytest.approx(0.3 * kpi(weekly, "messages_sent"))


def test_a_more_responsive_audience_reactivates_more() -> None:
    base = run_baseline(*ACTIVE)
    keen = run_baseline(*ACTIVE, "activation.response_scale=0.3")
    assert kpi(keen, "reactivated") > 2 * kpi(base, "reactivated")
    assert kpi(keen, "reactivated_won") >= kpi(base, "reactivated_won")


def test_each_message_is_logged_with_its_outcome(tmp_path: Path) -> None:
    quiet = _campaign(tmp_path, {"activation.response_scale": 0.0}, {"every_days": 1.0},
                      days=4)
    quiet.arrive(0.0, "r", score=0.01, propensity=SURE)
    quiet.run()
    answered = _campaign(tmp_path)
    answered.arrive(0.0, "r", score=0.01, propensity=SURE)
    answered.run()

    assert quiet.events("r", "message") == [
        (day * DAY, "message", "outcome=no_response campaign=wake up") for day in (1, 2, 3)]
    assert answered.events("r", "message") == [
        (DAY, "message", "outcome=responded campaign=wake up")]
