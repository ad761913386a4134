"""After the sale and before the inbound lead: customer success and outbound prospecting.

Customer success turns won customers into repeat revenue and referral leads, as long as
the team can cover them; outbound prospecting makes reps find their own leads, which go
straight into their private pools and take time away from inbound leads. Tiny scenarios
(see :mod:`tiny`) make the wins certain: a team with the ``CLOSERS`` settings wins every
lead of propensity ``SURE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tiny import CLOSERS, SURE, Tiny, channel, policy, scenario, team

from sim.metrics import REVENUE
from sim.model import ModelOptions
from sim.replication import check_conservation, run_replication

DAY = 24.0
DEAL, MARGIN, SHARE = 1000.0, 0.5, 0.5
REPEAT = DEAL * MARGIN * SHARE
SUCCESS = {
    "teams.sales": team(**CLOSERS),
    "channels.referral": channel("referral"),
    "customer_success.headcount": 1,
    "customer_success.repeat_probability": 1.0,
    "customer_success.repeat_delay_days": 1.0,
    "customer_success.repeat_value_share": SHARE,
}


def _customers(tmp_path: Path, changes: dict[str, Any], count: int = 1, days: int = 8
               ) -> Tiny:
    tiny = Tiny(tmp_path, {**SUCCESS, **changes}, {}, days=days)
    for index in range(count):
        tiny.arrive(0.1 * index, f"w{index}", propensity=SURE)
    return tiny.run()


# Customer success ---------------------------------------------------------------------------


def test_repeat_purchases_add_revenue(tmp_path: Path) -> None:
    tiny = _customers(tmp_path, {})
    tally = tiny.model.tally
    repeats = tiny.events("w0", "repeat_purchase")
    assert tally.won == 1 and tally.repeat_purchases == len(repeats) >= 3
    assert all(detail == f"revenue={REPEAT:.2f}" for _, _, detail in repeats)
    assert tally.repeat_revenue == pytest.approx(REPEAT * len(repeats))
    revenue = sum(tally.series_array()[..., REVENUE].ravel())
    assert revenue == pytest.approx(DEAL * MARGIN + tally.repeat_revenue)
    won_at = tiny.events("w0", "won")[0][0]
    assert all(time > won_at for time, _, _ in repeats)


def test_repeat_revenue_is_a_kpi() -> None:
    changes = {**SUCCESS, "channels.web.leads_per_day": 6.0,
               "channels.web.quality": {"mean": 0.9, "concentration": 50.0}}
    with_team = run_replication(scenario(changes), policy(), ModelOptions(seed=3, days=8))
    without = run_replication(scenario({**changes, "customer_success.headcount": 0}),
                              policy(), ModelOptions(seed=3, days=8))
    won, repeat, revenue = (_values(name, with_team.kpis, without.kpis)
                            for name in ("won", "repeat_revenue", "revenue"))
    assert won[0] == won[1] > 0
    assert repeat[0] > 0 and repeat[1] == 0
    assert revenue[0] == pytest.approx(revenue[1] + repeat[0])


def _values(name: str, *kpis: dict[str, float | None]) -> list[float]:
    values = [group[name] for group in kpis]
    assert all(value is not None for value in values), name
    return [float(value or 0.0) for value in values]


def test_referral_leads_arrive_in_the_referral_channel(tmp_path: Path) -> None:
    tiny = _customers(tmp_path, {"customer_success.referrals_per_customer_per_year": 365.0,
                                 "customer_success.repeat_probability": 0.0}, days=6)
    arrivals = [row for row in tiny.rows() if row["event"] == "arrived"]
    referrals = [row for row in arrivals if row["channel"] == "referral"]
    assert tiny.model.tally.referral_leads == len(referrals) >= 2
    assert len(arrivals) == 1 + len(referrals)
    won_at = tiny.events("w0", "won")[0][0]
    assert all(float(row["time_hours"]) > won_at for row in referrals)
    check_conservation(tiny.model.census())


def test_coverage_shrinks_with_more_customers_than_the_team_covers(tmp_path: Path) -> None:
    desk = Tiny(tmp_path, {**SUCCESS, "customer_success.accounts_per_manager": 2.0}
                ).model.success
    assert desk.coverage() == 1.0
    desk.customers = 2
    assert desk.coverage() == 1.0
    desk.customers = 8
    assert desk.coverage() == pytest.approx(0.25)


def test_an_overloaded_team_brings_fewer_repeat_purchases(tmp_path: Path) -> None:
    covered = _customers(tmp_path, {"customer_success.accounts_per_manager": 100.0}, count=8)
    thin = _customers(tmp_path, {"customer_success.accounts_per_manager": 1.0}, count=8)
    assert covered.model.tally.won == thin.model.tally.won == 8
    assert covered.model.tally.repeat_purchases > 2 * thin.model.tally.repeat_purchases
    assert covered.model.tally.repeat_revenue > thin.model.tally.repeat_revenue


def test_no_customer_success_team_means_no_repeats_and_no_referrals(tmp_path: Path) -> None:
    tiny = _customers(tmp_path, {"customer_success.headcount": 0,
                                 "customer_success.referrals_per_customer_per_year": 365.0},
                      count=3)
    tally = tiny.model.tally
    assert tally.won == 3
    assert (tally.repeat_purchases, tally.repeat_revenue, tally.referral_leads) == (0, 0.0, 0)
    assert tiny.model.success.coverage() == 0.0


# Outbound prospecting -----------------------------------------------------------------------

PROSPECTING = {
    "channels.outbound": channel("outbound"),
    "teams.hunters": team(headcount=1, outbound_share=0.5, outbound_leads_per_hour=4.0,
                          prospecting_block_minutes=60.0),
}


def test_prospecting_reps_own_the_outbound_leads_they_find(tmp_path: Path) -> None:
    # Routing sends every lead to sales; outbound leads never go through routing.
    tiny = Tiny(tmp_path, PROSPECTING, {}, days=2).run()
    rows = tiny.rows()
    outbound = {row["lead_id"] for row in rows if row["channel"] == "outbound"}
    assigned = [row for row in rows if row["event"] == "assigned" and row["lead_id"] in outbound]
    assert tiny.model.tally.outbound_leads == len(outbound) > 0
    assert len(assigned) == len(outbound)
    assert {(row["team"], row["owner"]) for row in assigned} == {("hunters", "hunters-1")}
    assert not any(row["event"] == "queued" for row in rows)
    assert tiny.model.tally.prospect_hours > 0
    check_conservation(tiny.model.census())


def test_no_outbound_share_means_no_prospecting(tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, {**PROSPECTING, "teams.hunters.outbound_share": 0.0}, {},
                days=2).run()
    assert tiny.model.tally.outbound_leads == 0
    assert tiny.model.tally.prospect_hours == 0.0


def _first_contact_delays(tmp_path: Path, share: float) -> list[float]:
    """Inbound leads every two hours to the one hunter, who prospects ``share`` of its time.

    A lead still waiting at the horizon counts as waiting until then.
    """
    tiny = Tiny(tmp_path, {**PROSPECTING, "teams.hunters.outbound_share": share},
                {"routing.rules": [{"name": "all", "team": "hunters"}]}, days=2)
    labels = [f"in{index}" for index in range(12)]
    for index, label in enumerate(labels):
        tiny.arrive(0.5 + 2.0 * index, label)
    tiny.run()
    leads = [tiny.lead(label) for label in labels]
    horizon = tiny.model.horizon
    return [(lead.first_contact_at if lead.first_contact_at >= 0 else horizon)
            - lead.arrived_at for lead in leads]


def test_a_higher_prospecting_share_delays_inbound_first_contacts(tmp_path: Path) -> None:
    alone, some, half = (_first_contact_delays(tmp_path, share) for share in (0.0, 0.2, 0.5))
    assert alone == [0.0] * len(alone)
    assert min(some) > 0.0 and min(half) > 0.0
    assert sum(half) > sum(some) > sum(alone)
