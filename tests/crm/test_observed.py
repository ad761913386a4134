"""Tallies of an export: conversations, meetings held, censored waits and the model's factors."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from crm.observed import CensoredWait, ModelFactors, Observed, TouchTally
from crm.reader import ActivityRecord, LeadRecord
from policies import load_policy
from scenarios import load_scenario

BASE = load_scenario("baseline")
START = dt.datetime(2026, 3, 2, 9, 0)  # a Monday


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


def call(lead: str, hours: float, rep: str, outcome: str, kind: str = "call"
         ) -> ActivityRecord:
    return ActivityRecord(1, lead, at(hours), kind, rep, outcome)


def factors() -> ModelFactors:
    return ModelFactors.of(BASE, load_policy("default").circulation)


def test_conversations_are_connected_calls_by_sales_reps_in_time_order() -> None:
    touches = TouchTally(sales_reps={"ts-1": "telesales", "ts-2": "telesales"})
    rows = [
        call("a", 0.0, "sdr-1", "connected"),      # an SDR's cleaning call: not a conversation
        call("a", 5.0, "ts-1", "no_answer"),
        call("a", 30.0, "ts-2", "connected"),      # logged before an earlier one (log order)
        call("a", 7.0, "ts-1", "connected"),
        call("a", 50.0, "ts-1", "held"),           # a meeting: held, not a call to count
        call("a", 60.0, "ts-1", "no_show"),
    ]
    for row in rows:
        touches.add(row)
    slot = touches.index["a"]
    assert touches.first[slot] == (START - dt.datetime(1970, 1, 1)).total_seconds()
    assert touches.talk_again[slot] - touches.talk[slot] == 23 * 3600.0
    assert touches.teams[touches.talk_team[slot]] == "telesales"
    assert touches.held[slot] == 1
    assert (touches.calls["ts-1"], touches.connected["ts-1"]) == (2, 1)
    assert (touches.calls["sdr-1"], touches.conversations()) == (1, 1)


def test_a_lead_counts_as_qualified_by_its_first_conversation_only_before_its_second() -> None:
    touches = TouchTally(sales_reps={"ts-1": "telesales"})
    for lead in ("first", "second"):
        touches.add(call(lead, 1.0, "ts-1", "connected"))
        touches.add(call(lead, 30.0, "ts-1", "connected"))
    observed = Observed(touches=touches, factors=factors())
    observed.add(LeadRecord(2, "first", START, "seo", "software", grade="A", complexity="low",
                            first_contact_at=at(1.0), qualified_at=at(1.2)))
    observed.add(LeadRecord(3, "second", START, "seo", "software", grade="A",
                            complexity="low", first_contact_at=at(1.0), qualified_at=at(30.2)))
    bins = observed.channels["seo"].talks["A"]
    assert (sum(bins.talked), sum(bins.qualified)) == (2, 1)
    # telesales: mean skill exp(-0.25^2 / 9), fit 1.1 for low complexity, one hour stale
    expected = math.exp(-0.25**2 / 9) * 1.1 * 2.0 ** (-1 / 24 / 45.0)
    assert sum(bins.factor) == pytest.approx(2 * expected)


def test_stage_rates_count_meetings_held_and_waits_are_censored() -> None:
    touches = TouchTally(sales_reps={"ts-1": "telesales"})
    for lead, held in (("won", 2), ("no_fit", 1), ("dark", 0), ("open", 0)):
        touches.add(call(lead, 1.0, "ts-1", "connected"))
        for number in range(held):
            touches.add(call(lead, 48.0 + number, "ts-1", "held"))
    observed = Observed(touches=touches, factors=factors(),
                        until=START + dt.timedelta(days=20))

    def lead(name: str, **times: dt.datetime) -> LeadRecord:
        return LeadRecord(1, name, START, "seo", "software", grade="A", complexity="medium",
                          first_contact_at=at(1.0), qualified_at=at(2.0), owner_team="telesales",
                          owner_id="ts-1", **times)

    observed.add(lead("won", opportunity_at=at(2.0 + 24 * 4), won_at=at(2.0 + 24 * 10)))
    observed.add(lead("no_fit", lost_at=at(2.0 + 24 * 2)))
    observed.add(lead("dark", lost_at=at(2.0 + 24 * 3)))  # meetings never held: left out
    observed.add(lead("open"))
    team = observed.teams["telesales"]
    assert (team.trials, team.hits) == ([2, 1], [1, 1])
    skill = math.exp(-0.25**2 / 9)
    assert team.factor[0] == pytest.approx(skill * (2.0 ** (-4 / 45) + 2.0 ** (-2 / 45)))
    wait = team.waits[0]
    assert (wait.ended, len(wait.open_since)) == (2, 1)
    # the open lead has waited 20 days less two hours, but counts up to the 14 days the
    # default policy leaves a lead without a touch
    assert wait.mean_days(observed.end_seen()) == pytest.approx((4 + 2 + 14) / 2)
    assert math.isinf(factors().recycle_days("A", 1))  # open opportunities are exempt


def test_a_censored_wait_counts_time_up_to_each_limit() -> None:
    wait = CensoredWait()
    wait.done(3.0, limit=14.0)
    wait.done(20.0, limit=14.0)  # longer than the limit: censored there
    wait.waiting(0.0, limit=math.inf)
    assert wait.ended == 1
    assert wait.mean_days(end=86400.0 * 5) == pytest.approx(3.0 + 14.0 + 5.0)


def test_the_calendar_wait_is_the_mean_time_to_the_next_working_moment() -> None:
    closed = factors().closed_days
    # 08:00-18:00 on weekdays: four 14-hour nights and a 62-hour weekend in a 168-hour week
    assert closed["field"] == pytest.approx((4 * 14**2 / 2 + 62**2 / 2) / 168 / 24, rel=1e-3)
    assert closed["telesales"] > closed["field"]  # 09:00-17:00
