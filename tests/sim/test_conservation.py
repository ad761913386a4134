"""Every lead is accounted for: arrived = won + lost + every pool + in work, always.

The checks go through :func:`sim.replication.check_conservation` and through the sum of
every census entry except ``arrived`` and ``in_work_counted``, so they hold whatever the
pools are (public, grand and blocked today).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadops import api
from leadops.errors import InvariantError
from policies import Policy, check_fits
from scenarios import Scenario, bundled_scenarios
from scenarios.files import validate_model
from sim.metrics import FIRST_CONTACTS, LEADS, SLA_MET, WON
from sim.model import ModelOptions
from sim.replication import ReplicationResult, check_conservation, run_replication

SHORT_DAYS = {"baseline": 30}
DEFAULT_SHORT_DAYS = 20
RATE_KPIS = (
    "conversion_rate", "sla_met_rate", "harassment_rate", "duplicate_contact_rate",
    "abandon_rate", "never_worked_rate", "rep_utilization", "recycled_rate",
)
COUNT_KPIS = ("leads", "won", "touches_per_lead", "revenue", "cost", "staff_cost",
              "channel_cost", "campaign_cost", "claims", "reactivated", "reactivated_won",
              "messages_sent", "repeat_revenue", "referral_leads", "outbound_leads")
NOT_A_PLACE = ("arrived", "in_work_counted")
POOLS = ("public", "grand", "blocked")


def assert_accounted(result: ReplicationResult) -> None:
    """Conservation, no negative count, rates within [0, 1]."""
    census = result.census
    check_conservation(census)
    places = {name: count for name, count in census.items() if name not in NOT_A_PLACE}
    assert sum(places.values()) == census["arrived"], census
    assert all(count >= 0 for count in census.values()), census
    assert all(count >= 0 for count in result.lost.values()), result.lost
    assert sum(result.lost.values()) == census["lost"]
    assert result.kpis["leads"] == census["arrived"]
    assert result.kpis["won"] == census["won"]
    assert set(POOLS) <= set(places), census
    for pool in POOLS:
        assert result.kpis[f"{pool}_pool_end"] == census[pool], pool
    assert all(count >= 0 for count in result.moves.values()), result.moves
    assert (result.kpis["reactivated_won"] or 0.0) <= census["won"]
    for name in COUNT_KPIS:
        value = result.kpis[name]
        assert value is not None and value >= 0.0, (name, value)
    for name in RATE_KPIS:
        value = result.kpis[name]
        assert value is None or 0.0 <= value <= 1.0 + 1e-12, (name, value)
    assert float(result.series.min(initial=0.0)) >= 0.0


# Bundled scenarios ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenario_conserves_leads_on_every_replication(name: str) -> None:
    setup = api.prepare(name)
    days = SHORT_DAYS.get(name, DEFAULT_SHORT_DAYS)

    run = api.simulate(setup, replications=3, seed=7, days=days)

    assert len(run.replications) == 3
    for replication in run.replications:
        assert replication.census["arrived"] > 0
        assert_accounted(replication)


def test_baseline_leaves_leads_in_every_place() -> None:
    """The baseline month exercises wins, losses, releases and open work at once."""
    run = api.simulate(api.prepare("baseline"), replications=1, seed=7, days=30)
    census = run.replications[0].census
    released = census["arrived"] - census["won"] - census["lost"] - census["in_work"]
    assert census["won"] > 0 and census["lost"] > 0 and census["in_work"] > 0
    assert released > 0


def test_check_conservation_rejects_a_lost_or_miscounted_lead() -> None:
    run = api.simulate(api.prepare("mmc"), replications=1, seed=7, days=3)
    census = run.replications[0].census
    check_conservation(census)

    with pytest.raises(InvariantError, match="not conserved"):
        check_conservation({**census, "arrived": census["arrived"] + 1})
    with pytest.raises(InvariantError, match="not conserved"):
        check_conservation({**census, "in_work_counted": census["in_work_counted"] + 1})


# A tiny scenario, varied at random --------------------------------------------------------


def tiny_scenario(
    *,
    headcounts: tuple[int, int, int] = (1, 2, 1),
    caps: tuple[int, int] = (30, 30),
    connect_rate: float = 0.5,
    patience_hours: float | None = None,
    always_open: bool = False,
    days: int = 21,
) -> dict[str, Any]:
    """Two channels, two lines, two regions; an SDR, a telesales and a field team."""
    sdr, telesales, field = headcounts
    calendar: dict[str, Any] = (
        {"weekdays": list(range(7)), "start_hour": 0.0, "end_hour": 24.0} if always_open
        else {"weekdays": [0, 1, 2, 3, 4], "start_hour": 9.0, "end_hour": 17.0}
    )
    mix = {
        "quality": {"mean": 0.35, "concentration": 4.0},
        "business_lines": {"software": 0.6, "services": 0.4},
        "regions": {"north": 0.5, "south": 0.5},
        "complexity": {"low": 0.5, "medium": 0.3, "high": 0.2},
        "deal_size": {"median": 20000.0, "sigma": 0.8},
    }
    sales = {
        "calendar": calendar,
        "attempt_minutes": {"distribution": "exponential", "mean_minutes": 20.0},
        "meeting_minutes": {"distribution": "lognormal", "mean_minutes": 60.0, "cv": 0.5},
        "connect_rate": connect_rate,
        "cycle_days": {"to_opportunity": 2.0, "to_close": 3.0},
        "win_rate": 0.6,
        "opportunity_rate": 0.7,
        "skill_spread": 0.3,
    }
    return {
        "name": "tiny",
        "days": days,
        "start_date": dt.date(2026, 1, 7),
        "regions": ["north", "south"],
        "business_lines": {"software": {"gross_margin": 0.7},
                           "services": {"gross_margin": 0.4}},
        "channels": {
            "web": {"kind": "organic", "leads_per_day": 25.0, **mix},
            "ads": {"kind": "paid", "monthly_spend": 10000.0,
                    "response": {"max_leads_per_day": 20.0, "half_saturation_spend": 10000.0},
                    "weekday_profile": [1.5, 1.5, 1.0, 1.0, 1.0, 0.5, 0.5], **mix},
        },
        "teams": {
            "sdr": {"role": "sdr", "headcount": sdr, "calendar": calendar,
                    "attempt_minutes": {"mean_minutes": 10.0},
                    "clean_minutes": {"distribution": "fixed", "mean_minutes": 15.0},
                    "connect_rate": min(1.0, connect_rate + 0.2)},
            "telesales": {"role": "telesales", "headcount": telesales,
                          "private_pool_cap": caps[0], **sales},
            "field": {"role": "field", "headcount": field, "private_pool_cap": caps[1],
                      "regions": ["north", "south"], **sales},
        },
        "patience": {"enabled": patience_hours is not None,
                     "mean_hours": patience_hours or 24.0},
    }


def tiny_policy(
    *,
    strategy: str = "round_robin",
    use_sdr: bool = True,
    sdr_disqualify: bool = True,
    max_attempts: int = 3,
    work_order: str = "new_first",
    sla_hours: float = 4.0,
) -> dict[str, Any]:
    return {
        "name": "tiny",
        "grading": {"a": 0.5, "b": 0.35, "c": 0.2},
        "routing": {
            "sdr_team": "sdr",
            "sdr_disqualify": sdr_disqualify,
            "rules": [
                {"name": "complex", "when": {"complexity": ["high"]}, "team": "field"},
                {"name": "weak", "when": {"grade": ["C", "D"]}, "sdr": use_sdr,
                 "team": "telesales"},
                {"name": "rest", "team": "telesales"},
            ],
        },
        "assignment": {"strategy": strategy},
        "follow_up": {"max_attempts": max_attempts, "spacing_hours": [1.0, 6.0, 24.0],
                      "meeting_attempts": 2, "work_order": work_order},
        "circulation": {"sla_hours": sla_hours},
    }


def build(scenario_data: dict[str, Any], policy_data: dict[str, Any]
          ) -> tuple[Scenario, Policy]:
    scenario = validate_model(Scenario, scenario_data, file="tiny.toml")
    policy = validate_model(Policy, policy_data, file="tiny-policy.toml")
    check_fits(policy, scenario)
    return scenario, policy


def test_tiny_scenario_runs_every_path() -> None:
    """The fixed tiny case reaches wins, SDR cleaning, releases and open work."""
    scenario, policy = build(tiny_scenario(), tiny_policy())

    result = run_replication(scenario, policy, ModelOptions(seed=3, replication=0))

    assert_accounted(result)
    assert result.census["won"] > 0
    assert result.kpis["sdr_wait_hours_p50"] is not None
    assert result.lost and result.census["in_work"] > 0


def test_conservation_holds_at_every_day_end() -> None:
    """A shorter horizon is a prefix of the same history, so this checks each midnight."""
    scenario, policy = build(tiny_scenario(headcounts=(1, 1, 1)), tiny_policy())
    arrived = []
    for days in range(1, 15):
        result = run_replication(scenario, policy, ModelOptions(seed=5, days=days))
        assert_accounted(result)
        arrived.append(result.census["arrived"])
    assert arrived == sorted(arrived) and arrived[-1] > arrived[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headcounts=st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 2)),
    caps=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    connect_rate=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    patience_hours=st.none() | st.floats(0.25, 72.0),
    always_open=st.booleans(),
    days=st.integers(3, 21),
    strategy=st.sampled_from(["round_robin", "least_loaded", "next_available"]),
    use_sdr=st.booleans(),
    sdr_disqualify=st.booleans(),
    max_attempts=st.integers(1, 6),
    work_order=st.sampled_from(["new_first", "due_first"]),
    sla_hours=st.sampled_from([0.5, 4.0, 48.0]),
    seed=st.integers(0, 2**32),
)
def test_random_variations_conserve_leads(
    headcounts: tuple[int, int, int], caps: tuple[int, int], connect_rate: float,
    patience_hours: float | None, always_open: bool, days: int, strategy: str,
    use_sdr: bool, sdr_disqualify: bool, max_attempts: int, work_order: str,
    sla_hours: float, seed: int,
) -> None:
    scenario, policy = build(
        tiny_scenario(headcounts=headcounts, caps=caps, connect_rate=connect_rate,
                      patience_hours=patience_hours, always_open=always_open, days=days),
        tiny_policy(strategy=strategy, use_sdr=use_sdr, sdr_disqualify=sdr_disqualify,
                    max_attempts=max_attempts, work_order=work_order, sla_hours=sla_hours),
    )

    result = run_replication(scenario, policy, ModelOptions(seed=seed, replication=1))

    assert_accounted(result)
    if headcounts[1] == 0 and headcounts[2] == 0:
        assert result.kpis["rep_utilization"] is None
        assert result.census["won"] == 0
    if connect_rate == 0.0:
        assert result.census["won"] == 0


@settings(max_examples=25, deadline=None)
@given(
    overrides=st.lists(
        st.sampled_from([
            "teams.telesales.headcount=0",
            "teams.sdr.headcount=0",
            "teams.field.headcount=1",
            "teams.telesales.private_pool_cap=2",
            "teams.telesales.connect_rate=1.0",
            "teams.telesales.connect_rate=0.0",
            "patience.enabled=true",
            "patience.mean_hours=0.5",
            "policy.assignment.strategy=\"least_loaded\"",
            "policy.assignment.strategy=\"next_available\"",
            "policy.follow_up.max_attempts=1",
            "policy.follow_up.work_order=\"due_first\"",
            "policy.routing.sdr_disqualify=false",
            "policy.circulation.sla_hours=0.25",
            # circulation: every way into and out of the pools
            'policy.circulation.sla_action="return_to_pool"',
            'policy.circulation.sla_action="reassign"',
            'crm.recycling="realtime"',
            "policy.circulation.no_follow_up_days=1",
            "policy.circulation.daily_claim_limit=0",
            "policy.circulation.max_cycles=1",
            'policy.circulation.over_cycles_to="blocked"',
            "teams.telesales.attrition_per_year=50",
        ]),
        max_size=5,
    ),
    seed=st.integers(0, 1000),
)
def test_baseline_overrides_conserve_leads(overrides: list[str], seed: int) -> None:
    """The same property on the bundled baseline, varied through ``--set`` overrides."""
    setup = api.prepare("baseline", None, overrides)

    run = api.simulate(setup, replications=1, seed=seed, days=5)

    assert_accounted(run.replications[0])


def test_series_counts_match_the_census() -> None:
    scenario, policy = build(tiny_scenario(), tiny_policy())
    result = run_replication(scenario, policy, ModelOptions(seed=11))

    totals = result.series.sum(axis=(0, 1, 2))

    assert totals[LEADS] == result.census["arrived"]
    assert totals[WON] == result.census["won"]
    assert totals[SLA_MET] <= totals[FIRST_CONTACTS] <= totals[LEADS]
