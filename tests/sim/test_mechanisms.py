"""Every knob has its effect: one setting changed, same seed, the expected direction.

Each test runs the bundled ``baseline`` over a short horizon twice, once as bundled and
once with one override, and checks that the change shows in the KPIs, the lost reasons,
the moves between pools, the breakdowns or the event log. Runs are cached by the validated
scenario and policy, so the bundled run is played once for the whole module.

The bundled policy recycles leads and lets idle reps claim from the public pools, which
makes outcomes path-dependent; where that blurs a direction, a test turns claiming off
(``NO_CLAIMS``) on both sides and says why.
"""

from __future__ import annotations

import csv
import gzip
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from leadops import api
from scenarios import fingerprint
from sim.arrivals import DAYS_PER_MONTH, response_leads_per_day
from sim.floor import build_floor
from sim.replication import check_conservation
from sim.runs import RunResult, run_many

DAYS = 30
REPLICATIONS = 2
SEED = 7
ALL_WEEK = "[0,1,2,3,4,5,6]"
SALES_TEAMS = ("telesales", "field", "key_account")
# Referral and outbound leads depend on the policy (won customers, reps' prospecting time),
# so only organic and paid channels see the same leads under every setting.
EXOGENOUS_KINDS = ("organic", "paid")
NO_CLAIMS = "policy.circulation.daily_claim_limit=0"
# The bundled policy counts the SLA in working hours (24 of them, three working days), which
# every lead meets; on the calendar clock the SLA binds and shows speed-to-lead changes.
CALENDAR_SLA = 'policy.circulation.sla_clock="calendar"'


_RUNS: dict[tuple[str, str, int], RunResult] = {}


def _run(*overrides: str, days: int = DAYS) -> RunResult:
    """The baseline with ``overrides``, ``REPLICATIONS`` replications on ``SEED``.

    Runs are cached by the validated scenario and policy, so overrides that restate a
    bundled value reuse the bundled run.
    """
    setup = api.prepare("baseline", None, list(overrides))
    key = (fingerprint(setup.scenario), setup.policy.model_dump_json(), days)
    if key not in _RUNS:
        _RUNS[key] = api.simulate(setup, replications=REPLICATIONS, seed=SEED, days=days)
    return _RUNS[key]


def _kpi(result: RunResult, name: str) -> float:
    value = result.kpis()[name]["mean"]
    assert value is not None, f"KPI {name} has no value"
    return value


def _lost(result: RunResult, reason: str) -> int:
    return sum(r.lost.get(reason, 0) for r in result.replications)


def _moved(result: RunResult, rule: str) -> int:
    """Moves between places (private, queue, pools) made by ``rule``, over replications."""
    return sum(count for r in result.replications for key, count in r.moves.items()
               if key.rsplit(":", 1)[1] == rule)


def _exogenous_leads(result: RunResult) -> float:
    """Leads of the channels whose arrivals do not depend on the policy."""
    kinds = {name: channel.kind for name, channel in result.scenario.channels.items()}
    return sum(_channel(result, name, "leads") for name, kind in kinds.items()
               if kind in EXOGENOUS_KINDS)


def _channel(result: RunResult, channel: str, name: str) -> float:
    value = result.breakdown("by_channel")[channel][name]["mean"]
    assert value is not None
    return value


def _line(result: RunResult, line: str, name: str) -> float:
    value = result.breakdown("by_business_line")[line][name]["mean"]
    assert value is not None
    return value


def _events(tmp_path: Path, *overrides: str, days: int = 20) -> list[dict[str, str]]:
    """The event log of one replication of the baseline with ``overrides``."""
    setup = api.prepare("baseline", None, list(overrides))
    path = tmp_path / f"events-{len(list(tmp_path.glob('*.csv.gz')))}.csv.gz"
    run_many(setup.scenario, setup.policy, replications=1, seed=SEED, days=days, events=path)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _months(days: int = DAYS) -> float:
    return days / DAYS_PER_MONTH


# The bundled run -------------------------------------------------------------------------


def test_bundled_run_conserves_leads_and_has_every_outcome() -> None:
    base = _run()
    for replication in base.replications:
        check_conservation(replication.census)
        census = replication.census
        accounted = sum(v for k, v in census.items() if k not in ("arrived", "in_work_counted"))
        assert accounted == census["arrived"]
    assert _kpi(base, "won") > 0
    assert _lost(base, "sdr_disqualified") > 0
    assert _moved(base, "unreached") > 0
    assert _moved(base, "not_ready") > 0
    assert _moved(base, "claim") > 0
    assert _moved(base, "cap_reached") == 0
    assert _lost(base, "went_cold") == 0


# Speed to lead ---------------------------------------------------------------------------


def test_disabling_decay_converts_more_leads() -> None:
    # Without claiming: recycled leads claimed back get second chances, which the decayed
    # base needs more than the flat run, so claiming shrinks the decay effect to near the
    # 1.3 margin (1.27-1.33 across recent model versions, against about 1.5 without it).
    base, flat = _run(NO_CLAIMS), _run(NO_CLAIMS, "decay.enabled=false")
    assert _exogenous_leads(flat) == _exogenous_leads(base)
    assert _kpi(flat, "conversion_rate") > 1.3 * _kpi(base, "conversion_rate")
    assert _kpi(flat, "won") > _kpi(base, "won")
    assert _moved(flat, "not_ready") < _moved(base, "not_ready")


def test_channel_decay_overrides_the_scenario_curve() -> None:
    # Without claiming: idle reps claiming pooled leads reorder everyone's work, so with
    # about 30 wins a run the gap between three channels and all six without decay drowns
    # in that noise (the order flips on this seed). Claiming off keeps the pairing tight.
    base = _run(NO_CLAIMS)
    own_curve = _run(NO_CLAIMS, "channels.seo.decay={enabled=false}",
                     "channels.website_chat.decay={enabled=false}",
                     "channels.hotline.decay={enabled=false}")
    assert _kpi(own_curve, "won") > _kpi(base, "won")
    assert _kpi(own_curve, "won") < _kpi(_run(NO_CLAIMS, "decay.enabled=false"), "won")


def test_due_first_work_order_delays_first_contact() -> None:
    base, late = _run(CALENDAR_SLA), _run(CALENDAR_SLA, 'policy.follow_up.work_order="due_first"')
    assert _kpi(late, "first_contact_hours_p50") > _kpi(base, "first_contact_hours_p50")
    assert _kpi(late, "first_contact_hours_p90") > _kpi(base, "first_contact_hours_p90") + 5
    assert _kpi(late, "sla_met_rate") < _kpi(base, "sla_met_rate") - 0.03


def test_sla_clock_changes_the_accounting_only() -> None:
    working, calendar = _run(), _run(CALENDAR_SLA)
    assert _kpi(working, "sla_met_rate") > _kpi(calendar, "sla_met_rate")
    assert _kpi(calendar, "sla_breaches") > _kpi(working, "sla_breaches")
    # The bundled SLA action only alerts, so the clock changes no lead's path.
    for name in ("won", "first_contact_hours_p90", "touches_per_lead", "claims"):
        assert _kpi(calendar, name) == _kpi(working, name), name


def test_fewer_sdrs_delay_first_contact() -> None:
    base, thin = _run(), _run("teams.sdr.headcount=1")
    assert _kpi(thin, "first_contact_hours_p50") > _kpi(base, "first_contact_hours_p50") + 1
    assert _kpi(thin, "first_contact_hours_p90") > _kpi(base, "first_contact_hours_p90")
    assert _kpi(thin, "sla_met_rate") < _kpi(base, "sla_met_rate") - 0.1


def test_longer_sla_is_met_more_often() -> None:
    base, lenient = _run(CALENDAR_SLA), _run(CALENDAR_SLA, "policy.circulation.sla_hours=96")
    assert _kpi(lenient, "sla_met_rate") > _kpi(base, "sla_met_rate")
    assert _kpi(lenient, "won") == _kpi(base, "won")


def test_weekend_shifts_contact_faster() -> None:
    base = _run(CALENDAR_SLA)
    weekends = _run(CALENDAR_SLA, f"teams.telesales.calendar.weekdays={ALL_WEEK}")
    assert _kpi(weekends, "first_contact_hours_p90") < _kpi(base, "first_contact_hours_p90") - 2
    assert _kpi(weekends, "sla_met_rate") > _kpi(base, "sla_met_rate")


def test_longer_shifts_contact_faster() -> None:
    base = _run(CALENDAR_SLA)
    longer = _run(CALENDAR_SLA, *(f"teams.{team}.calendar={{start_hour=6.0,end_hour=23.0}}"
                                  for team in ("sdr", *SALES_TEAMS)))
    assert _kpi(longer, "first_contact_hours_p90") < _kpi(base, "first_contact_hours_p90")
    assert _kpi(longer, "sla_met_rate") > _kpi(base, "sla_met_rate")


# Classification and grading --------------------------------------------------------------


def _grade_shares(rows: list[dict[str, str]]) -> tuple[dict[str, float], dict[str, float]]:
    """Share of leads by arrival grade, and the share of each grade that qualified."""
    graded = {row["lead_id"]: row["grade"] for row in rows if row["event"] == "arrived"}
    qualified = Counter(graded[row["lead_id"]] for row in rows if row["event"] == "qualified")
    counts = Counter(graded.values())
    mix = {grade: counts[grade] / len(graded) for grade in "ABCD"}
    rates = {grade: qualified[grade] / counts[grade] for grade in "ABCD"}
    return mix, rates


def test_score_noise_blurs_the_grades(tmp_path: Path) -> None:
    middle, informative, sdr_share = [], [], []
    for noise in (0.0, 0.9, 3.0):
        rows = _events(tmp_path, f"classification.score_noise={noise}")
        mix, rates = _grade_shares(rows)
        middle.append(mix["B"] + mix["C"])
        informative.append(rates["A"] / rates["D"])
        arrived = sum(row["event"] == "arrived" for row in rows)
        sdr_share.append(sum(row["event"] == "queued_sdr" for row in rows) / arrived)
    # Noise pushes observed scores to the extremes and makes grades say less.
    assert middle[0] > middle[1] > middle[2]
    assert informative[0] > informative[1] > informative[2] > 1.0
    assert informative[0] > 3 * informative[2]
    assert sdr_share[0] > sdr_share[2]


def test_grade_cutoffs_decide_who_is_cleaned_by_sdrs() -> None:
    lenient = _run("policy.grading.a=0.03", "policy.grading.b=0.02", "policy.grading.c=0.01")
    strict = _run("policy.grading.a=0.9", "policy.grading.b=0.8", "policy.grading.c=0.7")
    cleaned = [_lost(r, "sdr_disqualified") for r in (lenient, _run(), strict)]
    assert cleaned[0] < 0.5 * cleaned[1]
    assert cleaned[1] < cleaned[2]


# SDR cleaning ----------------------------------------------------------------------------


def test_sdrs_that_may_not_disqualify_lose_no_lead() -> None:
    base, kept = _run(), _run("policy.routing.sdr_disqualify=false")
    assert _lost(base, "sdr_disqualified") > 0
    assert _lost(kept, "sdr_disqualified") == 0


def test_disqualify_accuracy_raises_disqualifications() -> None:
    counts = [_lost(_run(f"teams.sdr.disqualify_accuracy={accuracy}"), "sdr_disqualified")
              for accuracy in (0.0, 0.8, 1.0)]
    assert counts[0] < counts[1] < counts[2]
    assert counts[0] > 0  # good leads wrongly disqualified at false_disqualify_rate


def test_false_disqualify_rate_and_junk_threshold_raise_disqualifications() -> None:
    base = _lost(_run(), "sdr_disqualified")
    assert _lost(_run("teams.sdr.false_disqualify_rate=0.3"), "sdr_disqualified") > 2 * base
    assert _lost(_run("classification.junk_propensity=0.2"), "sdr_disqualified") > 1.5 * base
    assert _lost(_run("teams.sdr.false_disqualify_rate=0.0",
                      "classification.junk_propensity=0.0001"), "sdr_disqualified") == 0


def test_fewer_sdrs_wait_longer() -> None:
    waits = [_kpi(_run(f"teams.sdr.headcount={n}"), "sdr_wait_hours_p50") for n in (1, 2)]
    base = _kpi(_run(), "sdr_wait_hours_p50")
    assert waits[0] > waits[1] > base


def test_sdr_connect_rate_changes_who_is_cleaned() -> None:
    base, mute = _run(), _run("teams.sdr.connect_rate=0.0")
    assert _lost(mute, "sdr_disqualified") == 0
    assert _lost(base, "sdr_disqualified") > 0


# Assignment and private pools ------------------------------------------------------------


def test_tiny_private_pool_cap_holds_leads() -> None:
    base, tiny = _run(), _run("teams.telesales.private_pool_cap=5")
    assert _moved(base, "cap_reached") == 0
    assert _moved(tiny, "cap_reached") > 0.3 * _kpi(tiny, "leads") * REPLICATIONS
    assert _kpi(tiny, "won") < _kpi(base, "won")
    least = _run("teams.telesales.private_pool_cap=5", 'policy.assignment.strategy="least_loaded"')
    assert _moved(least, "cap_reached") > 0


def test_recycled_rate_counts_each_lead_once(tmp_path: Path) -> None:
    """recycled_rate is the share of leads that passed through a public pool at least once.

    A small cap sends leads to the public pool from the queue (cap reached); claimed and
    released again, they pass through it twice but are one recycled lead.
    """
    setup = api.prepare("baseline", None, ["teams.telesales.private_pool_cap=5"])
    path = tmp_path / "events.csv.gz"
    run = run_many(setup.scenario, setup.policy, replications=1, seed=SEED, days=14,
                   events=path)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    public = {row["lead_id"] for row in rows
              if row["event"] == "moved" and " to=public:" in row["detail"]}
    kpis = run.replications[0].kpis
    leads = kpis["leads"]

    assert leads is not None and len(public) > 100
    assert kpis["recycled_rate"] == pytest.approx(len(public) / leads)


def test_assignment_strategies_all_run_and_differ() -> None:
    results = {name: _run(f'policy.assignment.strategy="{name}"')
               for name in ("round_robin", "least_loaded", "next_available")}
    kpis = {name: result.kpis() for name, result in results.items()}
    assert kpis["round_robin"] != kpis["least_loaded"]
    assert kpis["round_robin"] != kpis["next_available"]
    assert kpis["least_loaded"] != kpis["next_available"]
    for result in results.values():
        assert _exogenous_leads(result) == _exogenous_leads(_run())
        assert _kpi(result, "won") > 0
    # A shared queue lets the first free rep take a lead at once.
    assert (_kpi(results["next_available"], "first_contact_hours_p50")
            <= _kpi(results["round_robin"], "first_contact_hours_p50"))


def _region_mismatches(rows: list[dict[str, str]], regions: list[str]) -> int:
    """Field-rep attempts on leads outside the rep's region (field-k covers region k-1 mod n)."""
    mismatches = 0
    for row in rows:
        if row["event"] == "attempt" and row["team"] == "field" and row["owner"]:
            person = int(row["owner"].rsplit("-", 1)[1]) - 1
            mismatches += regions[person % len(regions)] != row["region"]
    return mismatches


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded", "next_available"])
def test_field_reps_work_only_their_regions(tmp_path: Path, strategy: str) -> None:
    regions = api.prepare("baseline").scenario.regions
    rows = _events(tmp_path, f'policy.assignment.strategy="{strategy}"')
    assert sum(row["event"] == "attempt" and row["team"] == "field" for row in rows) > 100
    assert _region_mismatches(rows, regions) == 0


# Follow-up cadence -----------------------------------------------------------------------


def test_more_attempts_touch_more_and_leave_fewer_unreached() -> None:
    runs = [_run(f"policy.follow_up.max_attempts={n}") for n in (2, 6, 12)]
    touches = [_kpi(r, "touches_per_lead") for r in runs]
    unreached = [_moved(r, "unreached") for r in runs]
    assert touches[0] < touches[1] < touches[2]
    assert unreached[0] > unreached[1] > unreached[2]
    assert _kpi(runs[0], "won") < _kpi(runs[1], "won")


def test_lower_connect_rate_leaves_more_unreached() -> None:
    base = _run()
    deaf = _run(*(f"teams.{team}.connect_rate=0.05" for team in SALES_TEAMS))
    assert _moved(deaf, "unreached") > 2 * _moved(base, "unreached")
    assert _kpi(deaf, "won") < _kpi(base, "won")
    telesales_only = _run("teams.telesales.connect_rate=0.05")
    assert _moved(base, "unreached") < _moved(telesales_only, "unreached") \
        < _moved(deaf, "unreached")


def test_tighter_spacing_harasses_more() -> None:
    base, pushy = _run(), _run("policy.follow_up.spacing_hours=[1.0]")
    assert _kpi(pushy, "harassment_rate") > 2 * _kpi(base, "harassment_rate")


def test_meeting_show_rate_and_attempts_drive_went_dark() -> None:
    base = _run()
    no_show = _run(*(f"teams.{team}.meeting_show_rate=0.3" for team in SALES_TEAMS))
    assert _lost(no_show, "went_dark") > 5 * max(_lost(base, "went_dark"), 1)
    patient = _run(*(f"teams.{team}.meeting_show_rate=0.3" for team in SALES_TEAMS),
                   "policy.follow_up.meeting_attempts=8")
    assert _lost(patient, "went_dark") < _lost(no_show, "went_dark")


def _cycle(to_opportunity: float, to_close: float) -> RunResult:
    return _run(*(f"teams.{team}.cycle_days={{to_opportunity={to_opportunity},"
                  f"to_close={to_close}}}" for team in SALES_TEAMS))


def test_shorter_sales_cycles_win_sooner() -> None:
    fast, base, slow = _cycle(2.0, 3.0), _run(), _cycle(15.0, 25.0)
    assert _kpi(fast, "days_to_win_p50") < _kpi(base, "days_to_win_p50") - 5
    assert _kpi(slow, "days_to_win_p50") > _kpi(base, "days_to_win_p50")
    assert _kpi(fast, "won") > _kpi(base, "won") > _kpi(slow, "won")


# Patience --------------------------------------------------------------------------------


def test_patience_makes_waiting_leads_go_cold() -> None:
    base = _run()
    assert _kpi(base, "abandon_rate") == 0.0
    assert _lost(base, "went_cold") == 0
    patient = _run("patience.enabled=true", "patience.mean_hours=48")
    impatient = _run("patience.enabled=true", "patience.mean_hours=4")
    assert 0.0 < _kpi(patient, "abandon_rate") < _kpi(impatient, "abandon_rate")
    assert 0 < _lost(patient, "went_cold") < _lost(impatient, "went_cold")
    disabled = _run("patience.enabled=false", "patience.mean_hours=4")
    assert disabled.kpis() == base.kpis()


# Rep effectiveness -----------------------------------------------------------------------


def _qualify_rate_spread(rows: list[dict[str, str]], team: str) -> float:
    """Coefficient of variation across a team's reps of the share of conversations that
    qualified the lead."""
    qualified: Counter[str] = Counter()
    conversations: Counter[str] = Counter()
    for row in rows:
        if row["team"] != team:
            continue
        if row["event"] == "qualified":
            qualified[row["owner"]] += 1
        if row["event"] == "qualified" or row["detail"] == "not_ready":
            conversations[row["owner"]] += 1
    rates = [qualified[rep] / conversations[rep] for rep in conversations]
    return statistics.pstdev(rates) / statistics.mean(rates)


def test_skill_spread_spreads_results_across_reps(tmp_path: Path) -> None:
    # skill_spread is the spread of overall (three-step) skill; each step, qualifying
    # included, gets its cube root, so a spread of 3.0 gives the qualify step a log-spread
    # of 1.0 across reps.
    alike = _events(tmp_path, "teams.telesales.skill_spread=0")
    spread = _events(tmp_path, "teams.telesales.skill_spread=3.0")
    assert _qualify_rate_spread(spread, "telesales") > 2 * _qualify_rate_spread(
        alike, "telesales")
    assert _kpi(_run("teams.telesales.skill_spread=0"), "won") != _kpi(
        _run("teams.telesales.skill_spread=3.0"), "won")


def test_skill_spread_keeps_the_average_overall_skill() -> None:
    setup = api.prepare("baseline", None, ["teams.telesales.headcount=10000",
                                           "teams.telesales.skill_spread=1.0"])
    floor = build_floor(setup.scenario, np.random.default_rng(SEED), 0)
    per_step = np.array([rep.skill for team in floor if team.name == "telesales"
                         for rep in team.reps])

    assert len(per_step) == 10_000
    # Each of the three steps gets the cube root: a log-spread of a third of the overall.
    assert float(np.log(per_step).std()) == pytest.approx(1.0 / 3.0, rel=0.05)
    assert float(np.mean(per_step**3)) == pytest.approx(1.0, rel=0.05)


def test_complexity_fit_moves_wins() -> None:
    poor = _run("teams.telesales.complexity_fit={low=0.4,medium=0.4,high=0.4}")
    good = _run("teams.telesales.complexity_fit={low=2.0,medium=2.0,high=2.0}")
    assert _kpi(poor, "won") < _kpi(_run(), "won") < _kpi(good, "won")


@pytest.mark.parametrize("knob", ["win_rate", "opportunity_rate"])
def test_stage_rates_move_wins(knob: str) -> None:
    low = _run(*(f"teams.{team}.{knob}=0.1" for team in SALES_TEAMS))
    high = _run(*(f"teams.{team}.{knob}=0.95" for team in SALES_TEAMS))
    assert _kpi(low, "won") < _kpi(_run(), "won") < _kpi(high, "won")
    assert _kpi(high, "revenue") > _kpi(low, "revenue")


# Channels, volume and money --------------------------------------------------------------


def test_paid_spend_buys_leads_with_diminishing_returns() -> None:
    spends = (120_000.0, 240_000.0, 480_000.0)
    runs = [_run(f"channels.sem.monthly_spend={spend}") for spend in spends]
    leads = [_channel(r, "sem", "leads") for r in runs]
    assert leads[0] < leads[1] < leads[2]
    first_step = (leads[1] - leads[0]) / (spends[1] - spends[0])
    second_step = (leads[2] - leads[1]) / (spends[2] - spends[1])
    assert second_step < 0.6 * first_step
    response = api.prepare("baseline").scenario.channels["sem"].response
    assert response is not None
    for spend, count in zip(spends, leads, strict=True):
        assert count == pytest.approx(response_leads_per_day(response, spend) * DAYS, rel=0.1)
    # Other channels see exactly the same leads (their streams are their own).
    assert _channel(runs[2], "seo", "leads") == _channel(runs[0], "seo", "leads")


def test_paid_spend_shows_in_cost() -> None:
    low, high = _run("channels.sem.monthly_spend=120000"), _run("channels.sem.monthly_spend=480000")
    extra = 360_000.0 * _months()
    assert _kpi(high, "channel_cost") - _kpi(low, "channel_cost") == pytest.approx(extra)
    assert _kpi(high, "cost") - _kpi(low, "cost") == pytest.approx(extra)
    assert _channel(high, "sem", "cost") > _channel(low, "sem", "cost") + 0.9 * extra


def test_organic_monthly_cost_shows_in_cost() -> None:
    base, dear = _run(), _run("channels.seo.monthly_cost=300000")
    extra = 150_000.0 * _months()
    assert _kpi(dear, "cost") - _kpi(base, "cost") == pytest.approx(extra)
    assert _channel(dear, "seo", "cost") - _channel(base, "seo", "cost") == pytest.approx(extra)
    assert _kpi(dear, "leads") == _kpi(base, "leads")
    assert _kpi(dear, "roi") < _kpi(base, "roi")


def test_staff_cost_follows_headcount_and_pay() -> None:
    base = _run()
    dear = _run("teams.field.monthly_cost_per_head=22000")
    doubled = _run("teams.field.headcount=18")
    extra = 9 * 11_000.0 * _months()
    assert _kpi(dear, "staff_cost") - _kpi(base, "staff_cost") == pytest.approx(extra)
    assert _kpi(doubled, "staff_cost") - _kpi(base, "staff_cost") == pytest.approx(extra)
    assert _kpi(dear, "won") == _kpi(base, "won")


def test_volume_scale_doubles_the_leads() -> None:
    ratio = _kpi(_run("volume_scale=2"), "leads") / _kpi(_run(), "leads")
    assert ratio == pytest.approx(2.0, rel=0.05)


def test_start_date_meets_the_seasonality() -> None:
    spring = _run("start_date=2026-04-06")
    summer = _run("start_date=2026-07-06")
    # Events run at 1.6 of their mean in April and 0.3 in July.
    assert _channel(spring, "events", "leads") > 3 * _channel(summer, "events", "leads")


def test_gross_margin_scales_revenue() -> None:
    base, rich = _run(), _run("business_lines.software.gross_margin=1.0")
    assert _line(rich, "software", "revenue") == pytest.approx(
        _line(base, "software", "revenue") / 0.75)
    assert _line(rich, "services", "revenue") == pytest.approx(_line(base, "services", "revenue"))
    assert _kpi(rich, "revenue") > _kpi(base, "revenue")
    assert _kpi(rich, "won") == _kpi(base, "won")


def test_horizon_scales_leads() -> None:
    short, long = _run(days=DAYS // 2), _run(days=DAYS)
    assert _kpi(long, "leads") / _kpi(short, "leads") == pytest.approx(2.0, rel=0.1)
    assert _kpi(long, "cost") == pytest.approx(2 * _kpi(short, "cost"))
    from_file = api.simulate(api.prepare("baseline", None, [f"days={DAYS // 2}"]),
                             replications=REPLICATIONS, seed=SEED)
    assert from_file.days == DAYS // 2
    assert from_file.kpis() == short.kpis()


# Experience ------------------------------------------------------------------------------


def test_smaller_touch_limit_counts_more_harassment() -> None:
    rates = [_kpi(_run(f"experience.touch_limit={limit}"), "harassment_rate")
             for limit in (2, 3, 5)]
    assert rates[0] > rates[1] > rates[2] > 0.0
    wide = _run("experience.touch_window_days=30")
    assert _kpi(wide, "harassment_rate") > _kpi(_run(), "harassment_rate")
    # Touches over the limit may make customers opt out (blocked): more of them in a wider
    # window. Without opt-outs the window only changes the measure, not a lead's path.
    assert _moved(wide, "opted_out") > 2 * _moved(_run(), "opted_out")
    calm, calm_wide = (_run("experience.opt_out_per_excess_touch=0", *window)
                       for window in ((), ("experience.touch_window_days=30",)))
    assert _moved(calm_wide, "opted_out") == _moved(calm, "opted_out") == 0
    assert _kpi(calm_wide, "harassment_rate") > _kpi(calm, "harassment_rate")
    assert _kpi(calm_wide, "won") == _kpi(calm, "won")


def test_duplicate_window_is_visible_or_the_kpi_is_absent() -> None:
    narrow = _run("experience.duplicate_window_days=0.01")
    wide = _run("experience.duplicate_window_days=365")
    names = wide.kpi_names()
    # A KPI whose mechanism is not built must be absent, never a constant zero.
    assert "duplicate_contact_rate" not in names or (
        _kpi(wide, "duplicate_contact_rate") > _kpi(narrow, "duplicate_contact_rate"))
