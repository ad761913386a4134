"""Circulation rules on tiny scenarios whose trajectory is known exactly.

Each test places a few leads at chosen instants on the tiny floor of :mod:`tiny` (two reps
around the clock, fixed one-hour attempts, one attempt per lead unless a test says
otherwise, every rule off) and checks the moves the rule makes: when, from where, to where
and under which rule name. A property test checks that random small scenarios with every
mechanism switched on conserve leads at every moment; direction tests on the bundled
baseline check that each rule moves the KPIs the expected way and nothing else.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny import CLOSERS, SURE, Tiny, channel, exogenous_leads, kpi, moves, run_baseline, team

from sim.replication import check_conservation

PUBLIC = "public:core"
LONG_ATTEMPT = {"teams.sales.attempt_minutes.mean_minutes": 600.0}  # ten-hour attempts
FOLLOW_UPS = {"follow_up.max_attempts": 3, "follow_up.spacing_hours": [100.0]}
FRIDAY_15_30 = 4 * 24.0 + 15.5  # day 0 is a Monday
MONDAY_09_00 = 7 * 24.0 + 9.0
OFFICE = {"weekdays": [0, 1, 2, 3, 4], "start_hour": 9.0, "end_hour": 17.0}


def _sla(tmp_path: Path, action: str, scenario: dict[str, Any] | None = None) -> Tiny:
    """Lead a keeps sales-1 busy 0-10 h; lead b waits for sales-1 with a 2-hour SLA."""
    tiny = Tiny(tmp_path, {**LONG_ATTEMPT, **(scenario or {})},
                {"circulation.sla_hours": 2.0, "circulation.sla_action": action}, days=2)
    tiny.arrive(0.0, "a", owner="sales-1")
    tiny.arrive(0.5, "b", owner="sales-1")
    return tiny.run()


# SLA -------------------------------------------------------------------------------------


def test_sla_alert_counts_the_breach_and_leaves_the_lead_with_its_owner(tmp_path: Path
                                                                        ) -> None:
    tiny = _sla(tmp_path, "alert")
    assert tiny.model.tally.sla_breaches == 1
    assert tiny.events("b", "sla_breach") == [(10.0, "sla_breach", "alert")]
    assert tiny.moves("b") == [(20.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.events("a", "sla_breach") == []


def test_sla_return_to_pool_moves_the_lead_at_the_deadline(tmp_path: Path) -> None:
    tiny = _sla(tmp_path, "return_to_pool")
    assert tiny.model.tally.sla_breaches == 1
    assert tiny.moves("b") == [(2.5, "private:sales-1", PUBLIC, "sla_breach")]
    assert tiny.place_of("b") == PUBLIC
    assert tiny.lead("b").touches == 0
    assert tiny.model.tally.move_counts[("private", "public", "sla_breach")] == 1


def test_sla_reassign_hands_the_lead_to_the_idle_teammate(tmp_path: Path) -> None:
    tiny = _sla(tmp_path, "reassign")
    assert tiny.model.tally.sla_breaches == 1
    assert tiny.moves("b") == [
        (2.5, "private:sales-1", "private:sales-2", "sla_breach"),
        (12.5, "private:sales-2", PUBLIC, "unreached"),
    ]
    assert tiny.lead("b").owners == 2
    assert tiny.model.tally.move_counts[("private", "private", "sla_breach")] == 1


def test_sla_reassign_without_a_teammate_returns_the_lead_to_the_pool(tmp_path: Path
                                                                      ) -> None:
    tiny = _sla(tmp_path, "reassign", {"teams.sales.headcount": 1})
    assert tiny.moves("b") == [(2.5, "private:sales-1", PUBLIC, "sla_breach")]


def _sla_clock(tmp_path: Path, clock: str) -> Tiny:
    """Friday 15:30 lead x takes the only rep to 01:30; lead y comes at 16:00, SLA 2 h."""
    tiny = Tiny(tmp_path, {**LONG_ATTEMPT, "teams.sales.headcount": 1,
                           "teams.sales.calendar": OFFICE},
                {"circulation.sla_hours": 2.0, "circulation.sla_clock": clock,
                 "circulation.sla_action": "return_to_pool"}, days=9)
    tiny.arrive(FRIDAY_15_30, "x")
    tiny.arrive(FRIDAY_15_30 + 0.5, "y")
    return tiny.run()


def test_calendar_sla_clock_runs_through_the_weekend(tmp_path: Path) -> None:
    tiny = _sla_clock(tmp_path, "calendar")
    y = tiny.lead("y")
    assert y.sla_deadline == FRIDAY_15_30 + 2.5
    assert tiny.moves("y") == [(FRIDAY_15_30 + 2.5, "private:sales-1", PUBLIC, "sla_breach")]
    assert tiny.model.tally.sla_met == 1  # only x, touched at once


def test_working_sla_clock_stops_outside_office_hours(tmp_path: Path) -> None:
    tiny = _sla_clock(tmp_path, "working")
    y = tiny.lead("y")
    # One working hour is left on Friday (16:00-17:00), the second is Monday 09:00-10:00.
    assert y.sla_deadline == MONDAY_09_00 + 1.0
    assert tiny.model.tally.sla_breaches == 0
    assert y.first_contact_at == MONDAY_09_00
    assert tiny.moves("y") == [(MONDAY_09_00 + 10.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.model.tally.sla_met == 2


# Nightly batch versus real-time recycling --------------------------------------------------


def _recycling(tmp_path: Path, recycling: str, attempt_minutes: float) -> Tiny:
    """Lead a keeps sales-1 busy; lead b breaches a 2-hour SLA at 2.5 h (return to pool)."""
    tiny = Tiny(tmp_path, {"crm.recycling": recycling,
                           "teams.sales.attempt_minutes.mean_minutes": attempt_minutes},
                {"circulation.sla_hours": 2.0, "circulation.sla_action": "return_to_pool"},
                days=2)
    tiny.arrive(0.0, "a", owner="sales-1")
    tiny.arrive(0.5, "b", owner="sales-1")
    return tiny.run()


def test_realtime_crm_recycles_the_moment_the_rule_is_due(tmp_path: Path) -> None:
    tiny = _recycling(tmp_path, "realtime", 1800.0)
    assert tiny.moves("b") == [(2.5, "private:sales-1", PUBLIC, "sla_breach")]


def test_nightly_crm_recycles_at_the_next_nightly_hour(tmp_path: Path) -> None:
    tiny = _recycling(tmp_path, "nightly", 1800.0)
    assert tiny.model.tally.sla_breaches == 1
    assert tiny.moves("b") == [(26.0, "private:sales-1", PUBLIC, "sla_breach")]


def test_nightly_crm_drops_a_move_whose_condition_ended_before_the_night(tmp_path: Path
                                                                         ) -> None:
    # sales-1 is free at 10 h and calls b: untouched no more, so 02:00 does not move it.
    tiny = _recycling(tmp_path, "nightly", 600.0)
    assert tiny.model.tally.sla_breaches == 1
    assert tiny.lead("b").first_contact_at == 10.0
    assert tiny.moves("b") == [(20.0, "private:sales-1", PUBLIC, "unreached")]


def _follow_up_rule(tmp_path: Path, recycling: str, spacing: float) -> Tiny:
    """Lead f is called at 0-1 h and again ``spacing`` hours later; no touch for a day
    recycles it. Its third call is beyond the horizon."""
    tiny = Tiny(tmp_path, {"crm.recycling": recycling},
                {"follow_up.max_attempts": 3, "follow_up.spacing_hours": [spacing, 100.0],
                 "circulation.no_follow_up_days": 1.0}, days=3)
    tiny.arrive(0.0, "f", owner="sales-1")
    return tiny.run()


def test_no_follow_up_rule_recycles_an_untouched_lead(tmp_path: Path) -> None:
    tiny = _follow_up_rule(tmp_path, "realtime", 100.0)
    assert tiny.moves("f") == [(25.0, "private:sales-1", PUBLIC, "no_follow_up")]


def test_a_rule_due_mid_call_is_checked_again_after_the_call(tmp_path: Path) -> None:
    """The rule falls due at 25 h while f is on the phone (24.5-25.5 h); the call is a
    touch, so the lead is due again only a day after it, at 49.5 h."""
    tiny = _follow_up_rule(tmp_path, "realtime", 23.5)
    assert tiny.lead("f").touches == 2
    assert tiny.moves("f") == [(49.5, "private:sales-1", PUBLIC, "no_follow_up")]


def test_a_dropped_nightly_move_rearms_its_rule(tmp_path: Path) -> None:
    """Due at 25 h, touched at 25.5 h, so the 02:00 batch drops the move; untouched for a
    day again at 49.5 h, the lead leaves at the next batch, 50 h."""
    tiny = _follow_up_rule(tmp_path, "nightly", 23.5)
    assert tiny.moves("f") == [(50.0, "private:sales-1", PUBLIC, "no_follow_up")]


def test_nightly_batch_checks_protection_again_before_expiring_it(tmp_path: Path) -> None:
    """Protection ends at 24 h; the rep (at work on Tuesdays only) qualifies p at 25 h,
    which extends protection to 72 h, before the 02:00 batch at 26 h."""
    cycle = {"to_opportunity": 1000.0, "to_close": 1000.0}
    tuesdays = {"weekdays": [1], "start_hour": 0.0, "end_hour": 24.0}
    sales = team(**{**CLOSERS, "cycle_days": cycle, "calendar": tuesdays})
    tiny = Tiny(tmp_path, {"crm.recycling": "nightly", "teams.sales": sales},
                {**FOLLOW_UPS, "circulation.protection_days": 1.0,
                 "circulation.protection_extension_days": 2.0}, days=4)
    tiny.arrive(0.0, "p", owner="sales-1", propensity=SURE)
    tiny.run()
    assert tiny.events("p", "qualified")[0][0] == 25.0
    assert tiny.lead("p").protected_until == 72.0
    assert tiny.moves("p") == [(74.0, "private:sales-1", PUBLIC, "protection_expired")]


# Protection period -----------------------------------------------------------------------


def _protection(tmp_path: Path, policy: dict[str, Any], *, to_opportunity: float = 1000.0
                ) -> Tiny:
    """A sure lead p qualifies at 1 h with sales-1; the next meeting is ``to_opportunity``
    days away on average and the closing meeting beyond the horizon."""
    cycle = {"to_opportunity": to_opportunity, "to_close": 1000.0}
    tiny = Tiny(tmp_path, {"teams.sales": team(**{**CLOSERS, "cycle_days": cycle})},
                {**FOLLOW_UPS, "circulation.protection_days": 1.0, **policy}, days=5)
    tiny.arrive(0.0, "p", owner="sales-1", propensity=SURE)
    return tiny.run()


def test_protection_expires_after_its_days_without_progress(tmp_path: Path) -> None:
    # Unreached leads with attempts left stay scheduled: only protection moves them.
    tiny = Tiny(tmp_path, {}, {**FOLLOW_UPS, "circulation.protection_days": 1.0}, days=3)
    tiny.arrive(0.0, "p", owner="sales-1")
    tiny.run()
    assert tiny.moves("p") == [(24.0, "private:sales-1", PUBLIC, "protection_expired")]
    assert tiny.lead("p").touches == 1


def test_progress_extends_protection(tmp_path: Path) -> None:
    tiny = _protection(tmp_path, {"circulation.protection_extension_days": 2.0})
    assert tiny.events("p", "qualified")[0][0] == 1.0
    assert tiny.moves("p") == [(72.0, "private:sales-1", PUBLIC, "protection_expired")]


def test_protection_never_exceeds_its_maximum(tmp_path: Path) -> None:
    tiny = _protection(tmp_path, {"circulation.protection_extension_days": 2.0,
                                  "circulation.protection_max_days": 2.0})
    assert tiny.moves("p") == [(48.0, "private:sales-1", PUBLIC, "protection_expired")]


def test_open_opportunities_are_exempt_from_protection_expiry(tmp_path: Path) -> None:
    tiny = _protection(tmp_path, {}, to_opportunity=0.01)
    assert len(tiny.events("p", "opportunity")) == 1
    assert tiny.moves("p") == []
    assert tiny.owner_of("p") == "sales-1"


def test_without_exemption_an_opportunity_is_recycled_too(tmp_path: Path) -> None:
    tiny = _protection(tmp_path, {"circulation.exempt_opportunities": False},
                       to_opportunity=0.01)
    assert tiny.moves("p") == [(24.0, "private:sales-1", PUBLIC, "protection_expired")]


# Pools over time: unclaimed, too many cycles -------------------------------------------------


def _unclaimed(tmp_path: Path, recycling: str) -> Tiny:
    tiny = Tiny(tmp_path, {"crm.recycling": recycling},
                {"circulation.unclaimed_days": 1.0}, days=3)
    tiny.arrive(0.0, "u", owner="sales-1")
    return tiny.run()


def test_unclaimed_lead_moves_to_the_grand_pool(tmp_path: Path) -> None:
    tiny = _unclaimed(tmp_path, "realtime")
    assert tiny.moves("u") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (25.0, PUBLIC, "grand", "unclaimed")]
    assert tiny.model.census()["grand"] == 1


def test_unclaimed_lead_moves_at_the_nightly_batch(tmp_path: Path) -> None:
    tiny = _unclaimed(tmp_path, "nightly")
    assert tiny.moves("u")[-1] == (26.0, PUBLIC, "grand", "unclaimed")


def _cycles(tmp_path: Path, target: str) -> Tiny:
    """One rep releases lead c, claims it back at once (no cooldown), releases it again."""
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                {"circulation.max_cycles": 1, "circulation.over_cycles_to": target,
                 "circulation.daily_claim_limit": 5}, days=2)
    tiny.arrive(0.0, "c")
    return tiny.run()


def test_too_many_cycles_blocks_the_lead(tmp_path: Path) -> None:
    tiny = _cycles(tmp_path, "blocked")
    assert tiny.moves("c") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (1.0, PUBLIC, "private:sales-1", "claim"),
                               (2.0, "private:sales-1", "blocked", "too_many_cycles")]
    assert tiny.lead("c").cycles == 1
    assert tiny.model.tally.claims == 1


def test_too_many_cycles_parks_the_lead_in_the_grand_pool(tmp_path: Path) -> None:
    tiny = _cycles(tmp_path, "grand")
    assert tiny.moves("c")[-1] == (2.0, "private:sales-1", "grand", "too_many_cycles")
    assert tiny.place_of("c") == "grand"


def test_recycled_counts_each_lead_once(tmp_path: Path) -> None:
    """recycled_rate is the share of leads that passed through a public pool at least once.

    q enters the public pool at once (the only rep is at its cap), is claimed, released
    and claimed again; h is released once. Two leads passed through the pool.
    """
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1, "teams.sales.private_pool_cap": 1},
                {"follow_up.max_attempts": 2, "follow_up.spacing_hours": [3.0],
                 "circulation.daily_claim_limit": 5}, days=1)
    tiny.arrive(0.0, "h", score=0.2)
    tiny.arrive(0.5, "q", score=0.9)
    tiny.run()
    assert tiny.moves("q")[:3] == [(0.5, "queue", PUBLIC, "cap_reached"),
                                   (5.0, PUBLIC, "private:sales-1", "claim"),
                                   (10.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.moves("h") == [(5.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.model.tally.recycled == 2


# People: attrition and administrators ------------------------------------------------------


def _leaver(tmp_path: Path, on_exit: str) -> Tiny:
    """sales-1 owns two scheduled leads when it leaves at 5 h; a hire comes a day later."""
    tiny = Tiny(tmp_path, {}, {**FOLLOW_UPS, "circulation.on_rep_exit": on_exit}, days=3)
    tiny.arrive(0.0, "x", owner="sales-1")
    tiny.arrive(0.0, "y", owner="sales-1")
    tiny.call(5.0, lambda: tiny.model.circulation.rep_leaves(tiny.rep("sales-1")))
    return tiny.run()


def test_leaver_leads_go_to_teammates_under_redistribute(tmp_path: Path) -> None:
    tiny = _leaver(tmp_path, "redistribute")
    for label in ("x", "y"):
        assert tiny.moves(label) == [(5.0, "private:sales-1", "private:sales-2", "rep_exit")]
        assert tiny.owner_of(label) == "sales-2"
    assert tiny.rep("sales-1").held == 0
    assert tiny.rep("sales-2").held == 2


def test_leaver_leads_go_to_the_public_pool_under_public_pool(tmp_path: Path) -> None:
    tiny = _leaver(tmp_path, "public_pool")
    for label in ("x", "y"):
        assert tiny.moves(label) == [(5.0, "private:sales-1", PUBLIC, "rep_exit")]
    assert tiny.model.census()["public"] == 2


def test_a_hire_follows_a_leaver_after_the_vacancy(tmp_path: Path) -> None:
    tiny = _leaver(tmp_path, "redistribute")
    team_floor = tiny.model.teams["sales"]
    assert tiny.model.tally.rep_exits == 1 and tiny.model.tally.rep_hires == 1
    assert [rep.name for rep in team_floor.reps] == ["sales-2", "sales-3"]
    assert tiny.rep("sales-1").left_at == 5.0
    assert tiny.rep("sales-3").joined_at == 5.0 + 24.0


def test_attrition_rate_makes_reps_leave_and_be_replaced(tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, {"teams.sales.attrition_per_year": 150.0,
                           "teams.sales.vacancy_days": 1.0,
                           "channels.web.leads_per_day": 10.0},
                {**FOLLOW_UPS, "circulation.on_rep_exit": "public_pool"}, days=10).run()
    model, horizon = tiny.model, tiny.model.horizon
    reps = model.teams["sales"].all_reps
    left = sorted(rep.left_at for rep in reps if rep.left_at < math.inf)
    joined = sorted(rep.joined_at for rep in reps if rep.joined_at > 0)
    assert model.tally.rep_exits == len(left) >= 2
    assert joined == [t + 24.0 for t in left if t + 24.0 <= horizon]
    assert model.tally.rep_hires == len(joined)
    assert model.tally.move_counts.get(("private", "public", "rep_exit"), 0) > 0
    check_conservation(model.census())


def test_administrator_moves_leads_from_a_full_rep_to_the_emptiest(tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, {"teams.sales.private_pool_cap": 4},
                {**FOLLOW_UPS, "circulation.rebalance_every_days": 1.0,
                 "circulation.rebalance_above": 0.5}, days=3)
    for label in "abcd":
        tiny.arrive(0.0, label, owner="sales-1")
    tiny.run()
    for label in "ab":
        assert tiny.moves(label) == [(24.0, "private:sales-1", "private:sales-2",
                                      "admin_transfer")]
    for label in "cd":
        assert tiny.moves(label) == []
    assert tiny.rep("sales-1").held == 2 and tiny.rep("sales-2").held == 2


# Experience: opt-out and the blocked pool -------------------------------------------------


def _harassed(tmp_path: Path, scenario: dict[str, Any], policy: dict[str, Any]) -> Tiny:
    """Lead o is called at 0-1 h and 2-3 h; the second touch is one over the limit."""
    tiny = Tiny(tmp_path, {"experience.touch_limit": 1, **scenario},
                {"follow_up.max_attempts": 3, "follow_up.spacing_hours": [1.0, 100.0],
                 **policy}, days=3)
    tiny.arrive(0.0, "o", owner="sales-1")
    return tiny.run()


def test_touch_over_the_limit_opts_the_customer_out(tmp_path: Path) -> None:
    tiny = _harassed(tmp_path, {"experience.opt_out_per_excess_touch": 1.0}, {})
    assert tiny.moves("o") == [(3.0, "private:sales-1", "blocked", "opted_out")]
    assert tiny.model.tally.harassed == 1
    assert tiny.lead("o").touches == 2


def test_no_opt_out_chance_keeps_the_harassed_lead_in_work(tmp_path: Path) -> None:
    tiny = _harassed(tmp_path, {}, {})
    assert tiny.model.tally.harassed == 1
    assert tiny.moves("o") == []
    assert tiny.owner_of("o") == "sales-1"


def test_block_harassed_blocks_at_the_first_excess_touch(tmp_path: Path) -> None:
    tiny = _harassed(tmp_path, {}, {"circulation.block_harassed": True})
    assert tiny.moves("o") == [(3.0, "private:sales-1", "blocked", "harassed")]


def test_blocked_review_releases_blocked_leads_to_the_public_pool(tmp_path: Path) -> None:
    tiny = _harassed(tmp_path, {"experience.opt_out_per_excess_touch": 1.0,
                                "blocked_review.reviews_per_week": 7,
                                "blocked_review.release_share": 1.0}, {})
    assert tiny.moves("o") == [(3.0, "private:sales-1", "blocked", "opted_out"),
                               (24.0, "blocked", PUBLIC, "manual_release")]


def test_blocked_review_with_no_release_share_keeps_leads_blocked(tmp_path: Path) -> None:
    tiny = _harassed(tmp_path, {"experience.opt_out_per_excess_touch": 1.0,
                                "blocked_review.reviews_per_week": 7,
                                "blocked_review.release_share": 0.0}, {})
    assert tiny.place_of("o") == "blocked"
    assert tiny.model.tally.pool_end["blocked"] == 1


# Conservation at every moment ----------------------------------------------------------------

CHECK_EVERY_HOURS = 5.3


def _scenario_changes(draw: st.DrawFn) -> dict[str, Any]:
    office = draw(st.booleans())
    attempts = draw(st.sampled_from(["fixed", "exponential", "lognormal"]))
    return {
        "channels.web.leads_per_day": draw(st.floats(4.0, 40.0)),
        "channels.web.business_lines": {"core": 1.0, "extra": draw(st.floats(0.0, 1.0))},
        "channels.referral": channel("referral"),
        "channels.outbound": channel("outbound"),
        "business_lines.extra": {},
        "teams.sales.headcount": draw(st.integers(1, 3)),
        "teams.sales.calendar": OFFICE if office else {"weekdays": [0, 1, 2, 3, 4, 5, 6],
                                                       "start_hour": 0.0, "end_hour": 24.0},
        "teams.sales.attempt_minutes": {"distribution": attempts,
                                        "mean_minutes": draw(st.floats(10.0, 120.0))},
        "teams.sales.connect_rate": draw(st.floats(0.1, 1.0)),
        "teams.sales.meeting_show_rate": draw(st.floats(0.3, 1.0)),
        "teams.sales.opportunity_rate": draw(st.floats(0.2, 1.0)),
        "teams.sales.win_rate": draw(st.floats(0.2, 1.0)),
        "teams.sales.cycle_days": {"to_opportunity": draw(st.floats(0.05, 2.0)),
                                   "to_close": draw(st.floats(0.05, 2.0))},
        "teams.sales.private_pool_cap": draw(st.integers(1, 30)),
        "teams.sales.attrition_per_year": draw(st.sampled_from([0.0, 40.0, 120.0])),
        "teams.sales.vacancy_days": draw(st.floats(0.2, 3.0)),
        "teams.sales.outbound_share": draw(st.sampled_from([0.0, 0.3])),
        "teams.sales.outbound_leads_per_hour": 2.0,
        "crm.recycling": draw(st.sampled_from(["nightly", "realtime"])),
        "crm.nightly_hour": draw(st.floats(0.0, 23.0)),
        "blocked_review.reviews_per_week": draw(st.integers(0, 7)),
        "blocked_review.release_share": draw(st.floats(0.0, 1.0)),
        "experience.touch_limit": draw(st.integers(1, 4)),
        "experience.opt_out_per_excess_touch": draw(st.floats(0.0, 1.0)),
        "customer_success.headcount": draw(st.integers(0, 1)),
        "customer_success.referrals_per_customer_per_year": draw(st.sampled_from([0.0, 60.0])),
        "customer_success.repeat_delay_days": 2.0,
        "patience.enabled": draw(st.booleans()),
        "activation.response_scale": draw(st.floats(0.0, 5.0)),
    }


def _policy_changes(draw: st.DrawFn) -> dict[str, Any]:
    rule = "circulation."
    changes: dict[str, Any] = {
        "assignment.strategy": draw(st.sampled_from(
            ["round_robin", "least_loaded", "next_available"])),
        "follow_up.max_attempts": draw(st.integers(1, 4)),
        "follow_up.spacing_hours": [draw(st.floats(0.5, 30.0))],
        rule + "sla_hours": draw(st.floats(0.5, 30.0)),
        rule + "sla_clock": draw(st.sampled_from(["calendar", "working"])),
        rule + "sla_action": draw(st.sampled_from(["alert", "return_to_pool", "reassign"])),
        rule + "no_follow_up_days": draw(st.sampled_from([0.0, 0.5, 2.0])),
        rule + "no_progress_days": draw(st.sampled_from([0.0, 1.0, {"A": 2.0, "D": 0.5}])),
        rule + "exempt_opportunities": draw(st.booleans()),
        rule + "protection_days": draw(st.sampled_from([0.0, 0.5, 2.0])),
        rule + "protection_extension_days": draw(st.sampled_from([0.0, 1.0])),
        rule + "protection_max_days": draw(st.sampled_from([0.0, 1.5])),
        rule + "release_to_pool": draw(st.booleans()),
        rule + "unclaimed_days": draw(st.sampled_from([0.0, 0.5, 2.0])),
        rule + "max_cycles": draw(st.integers(0, 3)),
        rule + "over_cycles_to": draw(st.sampled_from(["blocked", "grand"])),
        rule + "daily_claim_limit": draw(st.integers(0, 5)),
        rule + "claim_order": draw(st.sampled_from(["score", "freshness"])),
        rule + "claim_from_grand": draw(st.booleans()),
        rule + "reclaim_cooldown_days": draw(st.sampled_from([0.0, 1.0])),
        rule + "claim_delay_hours": draw(st.sampled_from([0.0, 6.0])),
        rule + "cap_counts_won": draw(st.booleans()),
        rule + "cap_counts_opportunities": draw(st.booleans()),
        rule + "on_rep_exit": draw(st.sampled_from(["redistribute", "public_pool"])),
        rule + "rebalance_every_days": draw(st.sampled_from([0.0, 1.0])),
        rule + "rebalance_above": draw(st.floats(0.1, 1.0)),
        rule + "block_harassed": draw(st.booleans()),
    }
    if draw(st.booleans()):
        changes["activation.campaigns"] = [{
            "name": "nudge", "every_days": draw(st.floats(0.5, 3.0)),
            "first_day": draw(st.floats(0.0, 3.0)),
            "pool": draw(st.sampled_from(["public", "grand", "both"])),
            "min_days_since_touch": draw(st.sampled_from([0.0, 1.0])),
            "max_audience": draw(st.integers(1, 50)),
        }]
    return changes


@st.composite
def _circulating(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], int, int]:
    return (_scenario_changes(draw), _policy_changes(draw), draw(st.integers(4, 9)),
            draw(st.integers(0, 10_000)))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=_circulating())
def test_every_lead_is_in_exactly_one_place_at_every_moment(
        tmp_path: Path, case: tuple[dict[str, Any], dict[str, Any], int, int]) -> None:
    scenario, policy, days, seed = case
    tiny = Tiny(tmp_path, scenario, policy, days=days, seed=seed)
    model, checked = tiny.model, []

    def inspector() -> Any:
        while True:
            yield model.env.timeout(CHECK_EVERY_HOURS)
            census = model.census()
            check_conservation(census)
            checked.append(census)

    model.env.process(inspector())
    tiny.run()
    census = model.census()
    check_conservation(census)
    assert len(checked) == int(days * 24.0 / CHECK_EVERY_HOURS)
    assert census["arrived"] > 0
    assert all(count >= 0 for count in census.values()), census


# Directions on the bundled baseline ----------------------------------------------------------

SHORT_SLA = ("policy.circulation.sla_hours=2", "policy.circulation.sla_clock='calendar'",
             "policy.circulation.sla_action='return_to_pool'")


def test_short_sla_that_returns_leads_means_more_recycling() -> None:
    base, short = run_baseline(), run_baseline(*SHORT_SLA)
    assert exogenous_leads(short) == exogenous_leads(base)
    assert moves(base, ":sla_breach") == 0
    assert moves(short, "private->public:sla_breach") > 100
    assert kpi(short, "sla_breaches") > kpi(base, "sla_breaches")
    assert kpi(short, "recycled_rate") > kpi(base, "recycled_rate")
    assert kpi(short, "recycles_per_lead_mean") > kpi(base, "recycles_per_lead_mean")
    assert moves(short, "->public:") > moves(base, "->public:")


def test_realtime_and_nightly_recycling_give_different_results() -> None:
    nightly, realtime = run_baseline(), run_baseline("crm.recycling='realtime'")
    assert exogenous_leads(realtime) == exogenous_leads(nightly)
    assert [r.moves for r in realtime.replications] != [r.moves for r in nightly.replications]
    assert [r.kpis for r in realtime.replications] != [r.kpis for r in nightly.replications]


def test_rebalancing_that_never_finds_a_full_rep_changes_nothing() -> None:
    base = run_baseline()
    idle = run_baseline("policy.circulation.rebalance_every_days=7",
                        "policy.circulation.rebalance_above=1.0")
    assert moves(idle, "admin_transfer") == 0
    assert [r.kpis for r in idle.replications] == [r.kpis for r in base.replications]
    assert [r.moves for r in idle.replications] == [r.moves for r in base.replications]


def _baseline_play(*, drop_lapsed: bool) -> tuple[dict[str, Any], dict[str, int], int]:
    from leadops import api
    from sim.model import LeadModel, ModelOptions

    setup = api.prepare("baseline", None, ["volume_scale=3"])
    model = LeadModel(setup.scenario, setup.policy, ModelOptions(seed=11, days=45))
    if not drop_lapsed:
        model.alarms.lapses = {}
    model.run()
    model.alarms.sweep()
    tally = model.tally
    outcome = {"won": tally.won, "claims": tally.claims, "moves": dict(tally.moves),
               "breaches": tally.sla_breaches, "lost": dict(tally.lost)}
    parked = sum(len(day) for day in model.alarms.parked.values())
    return outcome, model.census(), parked


def test_dropping_lapsed_rule_timers_changes_nothing_but_memory() -> None:
    kept, kept_census, kept_parked = _baseline_play(drop_lapsed=False)
    dropped, dropped_census, dropped_parked = _baseline_play(drop_lapsed=True)

    assert dropped == kept
    assert dropped_census == kept_census
    assert kept["claims"] > 0 and kept["moves"]
    assert dropped_parked < 0.9 * kept_parked
