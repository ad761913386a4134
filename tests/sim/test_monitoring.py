"""Monitoring: calendar periods, rollups, and warning rules that fire exactly where a
hand-built series says they should; then the rules and tallies inside real runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from leadops import api
from leadops.errors import InputError
from scenarios import BUNDLED_DIR, load_scenario
from scenarios.files import read_toml, validate_model
from scenarios.schema import Monitoring, Scenario
from sim.metrics import DELAY_BUCKETS, FOLLOWED_UP, LEADS, POOL_COLUMNS, SERIES, WON, delay_bucket
from sim.monitoring import (
    EarlyWarning,
    Flow,
    evaluate,
    follow_up_judged_days,
    periods,
    rollup,
    scope_of,
)

MONDAY = dt.date(2026, 1, 5)
CHANNELS = ("web", "ads")
LINES = ("software", "services")


def empty_flow(days: int) -> Flow:
    series = np.zeros((days, len(CHANNELS), len(LINES), len(SERIES)))
    pools = np.zeros((days, len(POOL_COLUMNS)))
    public = np.zeros((days, len(LINES)))
    return Flow(series, pools, public, CHANNELS, LINES)


def monitoring(*rules: dict[str, Any], follow_up_hours: float = 24.0) -> Monitoring:
    return Monitoring.model_validate({"follow_up_hours": follow_up_hours, "rules": list(rules)})


def fired(flow: Flow, *rules: dict[str, Any], start: dt.date = MONDAY,
          follow_up_hours: float = 24.0) -> list[tuple[int, float, float]]:
    """(day, value, threshold) of every firing, values rounded for exact comparison."""
    warnings = evaluate(monitoring(*rules, follow_up_hours=follow_up_hours), flow, start)
    return [(w.day, round(w.value, 6), round(w.threshold, 6)) for w in warnings]


# --- calendar periods ----------------------------------------------------------------------


def test_weeks_are_iso_weeks_with_partial_ends_marked() -> None:
    wednesday = dt.date(2026, 1, 7)

    weeks = periods(wednesday, 16, "weekly")

    assert [(w.label, w.start, w.end, w.complete) for w in weeks] == [
        ("2026-W02", 0, 5, False), ("2026-W03", 5, 12, True), ("2026-W04", 12, 16, False)]


def test_months_are_calendar_months() -> None:
    months = periods(dt.date(2026, 1, 30), 35, "monthly")

    assert [(m.label, m.start, m.end, m.complete) for m in months] == [
        ("2026-01", 0, 2, False), ("2026-02", 2, 30, True), ("2026-03", 30, 35, False)]


def test_days_are_each_complete() -> None:
    days = periods(MONDAY, 3, "daily")

    assert [(d.label, d.complete) for d in days] == [
        ("2026-01-05", True), ("2026-01-06", True), ("2026-01-07", True)]


@pytest.mark.parametrize(("days", "hours", "judged"),
                         [(10, 24.0, 9), (10, 36.0, 8), (10, 0.5, 9), (10, 240.0, 0),
                          (10, 300.0, 0)])
def test_follow_up_is_judged_only_once_its_window_closed(days: int, hours: float,
                                                         judged: int) -> None:
    assert follow_up_judged_days(days, hours) == judged


def test_rollup_sums_the_days_of_each_period() -> None:
    flow = empty_flow(14)
    flow.series[:, 0, 0, LEADS] = np.arange(14)

    sums = rollup(flow.series, periods(MONDAY, 14, "weekly"))

    assert sums.shape == (2, len(CHANNELS), len(LINES), len(SERIES))
    assert sums[:, 0, 0, LEADS].tolist() == [21.0, 70.0]


# --- rules on hand-built series --------------------------------------------------------------


def test_daily_follow_up_rule_fires_on_the_days_below_the_threshold() -> None:
    flow = empty_flow(8)
    flow.series[:, 0, 0, LEADS] = 10
    flow.series[:, 0, 0, FOLLOWED_UP] = [10, 10, 10, 7, 10, 8, 10, 0]
    flow.series[:, 1, 1, LEADS] = 10  # another line and channel: not in scope

    result = fired(flow, {"name": "software", "metric": "follow_up_rate", "test": "below",
                          "threshold": 0.8, "business_line": "software"})

    # day 5 is exactly at the threshold; day 7's window is still open at the horizon
    assert result == [(3, 0.7, 0.8)]


def test_a_rate_with_too_few_leads_is_not_judged() -> None:
    flow = empty_flow(5)
    flow.series[:, 0, 0, LEADS] = [10, 2, 10, 10, 10]
    flow.series[:, 0, 0, FOLLOWED_UP] = [10, 0, 5, 10, 10]

    result = fired(flow, {"name": "r", "metric": "follow_up_rate", "test": "below",
                          "threshold": 0.8, "min_leads": 5})

    assert result == [(2, 0.5, 0.8)]


def test_daily_rules_judge_only_their_weekdays() -> None:
    flow = empty_flow(7)  # Monday to Sunday
    flow.series[:, 0, 0, LEADS] = 10
    flow.series[:, 0, 0, FOLLOWED_UP] = [10, 5, 10, 10, 10, 0, 0]

    result = fired(flow, {"name": "r", "metric": "follow_up_rate", "test": "below",
                          "threshold": 0.8, "weekdays": [0, 1, 2, 3]}, follow_up_hours=1.0)

    assert result == [(1, 0.5, 0.8)]


def test_weekly_conversion_drop_compares_with_the_trailing_four_weeks() -> None:
    flow = empty_flow(7 * 6)
    flow.series[:, 1, 0, LEADS] = 100 / 7
    won_per_week = [10, 10, 10, 10, 4, 6]
    for week, won in enumerate(won_per_week):
        flow.series[week * 7, 1, 0, WON] = won
    flow.series[:, 0, 0, LEADS] = 100 / 7  # the other channel never converts: out of scope

    result = fired(flow, {"name": "ads drop", "metric": "conversion_rate", "period": "weekly",
                          "channel": "ads", "test": "drop", "threshold": 0.5,
                          "trailing_periods": 4})

    # week 5: 0.04 < 0.5 x 0.1; week 6: 0.06 >= 0.5 x mean(0.1, 0.1, 0.1, 0.04) = 0.0425
    assert result == [(34, 0.04, 0.05)]


def test_a_trailing_test_waits_for_enough_judged_periods() -> None:
    flow = empty_flow(7 * 3)
    flow.series[:, 0, 0, LEADS] = [100.0] * 7 + [10.0] * 14

    result = fired(flow, {"name": "r", "metric": "leads", "period": "weekly", "test": "drop",
                          "threshold": 0.5, "trailing_periods": 2})

    # week 2 has one week before it, week 3 has two: mean(700, 70) = 385 -> line 192.5
    assert result == [(20, 70.0, 192.5)]


def test_rise_fires_above_the_trailing_mean() -> None:
    flow = empty_flow(4)
    flow.pools[:, POOL_COLUMNS.index("grand")] = [10, 10, 15, 40]

    result = fired(flow, {"name": "r", "metric": "pool_backlog", "pool": "grand",
                          "test": "rise", "threshold": 0.5, "trailing_periods": 2})

    # day 2: 15 is not above 1.5 x 10; day 3: 40 > 1.5 x mean(10, 15) = 18.75
    assert result == [(3, 40.0, 18.75)]


def test_pool_backlog_reads_the_public_pool_of_one_line() -> None:
    flow = empty_flow(4)
    flow.public_pools[:, 0] = [40, 60, 50, 51]
    flow.public_pools[:, 1] = [500, 500, 500, 500]
    flow.pools[:, POOL_COLUMNS.index("public")] = flow.public_pools.sum(axis=1)

    by_line = fired(flow, {"name": "sw", "metric": "pool_backlog", "pool": "public",
                           "business_line": "software", "test": "above", "threshold": 50})
    total = fired(flow, {"name": "all", "metric": "pool_backlog", "pool": "public",
                         "test": "above", "threshold": 550})

    assert by_line == [(1, 60.0, 50.0), (3, 51.0, 50.0)]
    assert total == [(1, 560.0, 550.0), (3, 551.0, 550.0)]


def test_monthly_supply_rule_judges_complete_months_only() -> None:
    start = dt.date(2026, 1, 15)
    days = (dt.date(2026, 4, 10) - start).days
    flow = empty_flow(days)
    flow.series[:, 0, 0, LEADS] = 10
    march = (dt.date(2026, 3, 1) - start).days
    flow.series[march:march + 31, 0, 0, LEADS] = 2

    result = fired(flow, {"name": "supply", "metric": "leads", "period": "monthly",
                          "test": "below", "threshold": 100}, start=start)

    # January and April are partial; February had 280 leads, March 62
    assert result == [(march + 30, 62.0, 100.0)]


def test_warnings_name_rule_period_and_scope() -> None:
    flow = empty_flow(1)
    flow.series[0, 1, 1, LEADS] = 3
    rules = monitoring({"name": "few", "metric": "leads", "test": "below", "threshold": 5,
                        "channel": "ads", "business_line": "services"})

    warnings = evaluate(rules, flow, MONDAY)

    assert warnings == [EarlyWarning(0, "2026-01-05", "few", "leads",
                                     "business line services, channel ads", 3.0, 5.0)]
    assert scope_of(rules.rules[0]) == "business line services, channel ads"


@pytest.mark.parametrize(("hours", "bucket"), [(0.0, "<5 min"), (5 / 60, "5-30 min"),
                                               (0.75, "30-60 min"), (1.0, "1-4 h"),
                                               (23.9, "4-24 h"), (24.0, ">24 h")])
def test_delay_buckets_have_closed_lower_edges(hours: float, bucket: str) -> None:
    assert DELAY_BUCKETS[delay_bucket(hours)] == bucket


# --- the scenario section ------------------------------------------------------------------


def mmc_with(rules: list[dict[str, Any]]) -> dict[str, Any]:
    data = read_toml(BUNDLED_DIR / "mmc.toml")
    data["monitoring"] = {"rules": rules}
    return data


@pytest.mark.parametrize(("rule", "path", "message"), [
    ({"name": "r", "metric": "leads", "test": "below", "threshold": 1, "business_line": "x"},
     "monitoring.rules[0].business_line", "'x' is not defined"),
    ({"name": "r", "metric": "leads", "test": "below", "threshold": 1, "pool": "grand"},
     None, "pool applies only to pool_backlog"),
    ({"name": "r", "metric": "pool_backlog", "test": "above", "threshold": 1},
     None, "pool_backlog needs pool"),
    ({"name": "r", "metric": "leads", "test": "drop", "threshold": 1.0},
     None, "a drop is a share below 1"),
    ({"name": "r", "metric": "follow_up_rate", "test": "below", "threshold": 2.0},
     None, "a rate threshold is at most 1"),
    ({"name": "r", "metric": "leads", "period": "weekly", "test": "below", "threshold": 1,
      "weekdays": [0]}, None, "weekdays apply only to daily rules"),
    ({"name": "r", "metric": "leads", "test": "sideways", "threshold": 1},
     "monitoring.rules[0].test", "must be one of"),
])
def test_bad_rules_are_reported_with_their_field(rule: dict[str, Any], path: str | None,
                                                 message: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_model(Scenario, mmc_with([rule]), file="s.toml")

    assert message in str(caught.value)
    if path is not None:
        assert path in str(caught.value)


def test_rule_names_must_be_unique() -> None:
    rule = {"name": "same", "metric": "leads", "test": "below", "threshold": 1}

    with pytest.raises(InputError, match="'same' repeats"):
        validate_model(Scenario, mmc_with([rule, rule]), file="s.toml")


def test_the_baseline_declares_rules_on_all_three_clocks() -> None:
    rules = load_scenario("baseline").monitoring.rules

    assert {rule.period for rule in rules} == {"daily", "weekly", "monthly"}
    assert {rule.metric for rule in rules} == {"leads", "follow_up_rate", "conversion_rate",
                                              "pool_backlog"}


# --- inside a run --------------------------------------------------------------------------


def test_a_rule_that_always_holds_fires_once_a_day() -> None:
    rule = "monitoring.rules=[{name='busy', metric='leads', test='above', threshold=0}]"
    setup = api.prepare("mmc", None, [rule])

    run = api.simulate(setup, replications=1, seed=2, days=6)

    only = run.replications[0]
    assert only.kpis["warnings"] == 6.0
    assert [w.day for w in only.warnings] == list(range(6))
    assert list(only.kpis)[-1] == "warnings"


def test_funnel_and_delay_tallies_agree_with_the_census() -> None:
    setup = api.prepare("baseline", None, [])

    result = api.simulate(setup, replications=1, seed=4, days=20).replications[0]

    totals = dict(zip(SERIES, result.series.sum(axis=(0, 1, 2)), strict=True))
    assert totals["leads"] >= totals["contacted"] >= totals["qualified"] \
        >= totals["opportunity"] >= totals["won"] == result.census["won"]
    assert totals["followed_up"] <= totals["first_contacts"]
    first, qualified, won = result.by_delay.sum(axis=0)
    assert first == totals["first_contacts"]
    assert qualified == totals["qualified"]
    assert won == result.census["won"]
    assert (result.series[..., FOLLOWED_UP] <= result.series[..., LEADS]).all()


def test_pool_sizes_cover_the_last_day_and_split_public_by_line() -> None:
    setup = api.prepare("baseline", None, [])

    result = api.simulate(setup, replications=1, seed=4, days=12).replications[0]

    public = POOL_COLUMNS.index("public")
    assert (result.public_pools.sum(axis=1) == result.pools[:, public]).all()
    assert result.pools[-1, public] == result.kpis["public_pool_end"]
    assert result.pools[-1, POOL_COLUMNS.index("private")] == result.kpis["private_pool_end"]
