"""Paired comparison on common random numbers: the arithmetic on hand numbers, verdicts,
and that pairing really pairs in the model.

Replication r of every alternative runs on seed stream r, so every alternative must see
the same exogenous leads (organic and paid channels; referral and outbound leads depend
on the policy), and two identical policies must differ by exactly zero in every KPI.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from leadops import api
from sim.compare import (
    BETTER,
    DIRECTIONS,
    HIGHER,
    LOWER,
    NEUTRAL,
    SAME,
    WORSE,
    Alternative,
    compare,
    paired_difference,
    precision_status,
    verdict,
)
from sim.runs import RunResult

DAYS = 15
REPLICATIONS = 3
SEED = 5
T_975_3 = 3.182446305284263  # Student-t 97.5% quantile, 3 degrees of freedom
EXOGENOUS = ("organic", "paid")


def run(scenario: str, policy: str | None, *overrides: str) -> RunResult:
    setup = api.prepare(scenario, policy, list(overrides))
    return api.simulate(setup, replications=REPLICATIONS, seed=SEED, days=DAYS)


def alternative(label: str, result: RunResult) -> Alternative:
    return Alternative(label, "policy", result.policy.name, (), result)


@pytest.fixture(scope="module")
def runs() -> dict[str, RunResult]:
    return {
        "default": run("baseline", "default"),
        "twin": run("baseline", "default", 'policy.name="twin"'),
        "least_loaded": run("baseline", "default", 'policy.assignment.strategy="least_loaded"'),
        "speed_first": run("baseline", "speed_first"),
    }


@pytest.fixture(scope="module")
def document(runs: dict[str, RunResult]) -> dict[str, Any]:
    return compare([alternative(label, result) for label, result in runs.items()])


# --- the arithmetic ------------------------------------------------------------------------


def test_paired_difference_on_hand_numbers() -> None:
    # differences 1, 2, 2, 3: mean 2, variance 2/3; var(a) = 5/3, var(b) = 13/3
    difference = paired_difference([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 5.0, 7.0])
    half = T_975_3 * math.sqrt(2.0 / 3.0 / 4.0)

    assert difference["mean"] == 2.0
    assert difference["n"] == 4
    assert difference["ci_low"] == pytest.approx(2.0 - half, rel=1e-12)
    assert difference["ci_high"] == pytest.approx(2.0 + half, rel=1e-12)
    assert difference["variance_reduction"] == pytest.approx(1.0 - (2.0 / 3.0) / 6.0,
                                                             rel=1e-12)


def test_paired_difference_uses_only_replications_both_define() -> None:
    difference = paired_difference([1.0, None, 3.0, 5.0, math.nan],
                                   [2.0, 4.0, None, 7.0, 1.0])

    assert (difference["mean"], difference["n"]) == (1.5, 2)
    # var(diff) = 0.5, var(a) = 8, var(b) = 12.5
    assert difference["variance_reduction"] == pytest.approx(1.0 - 0.5 / 20.5, rel=1e-12)


def test_paired_difference_of_one_pair_has_no_interval_and_no_reduction() -> None:
    difference = paired_difference([1.0, None], [3.0, 2.0])

    assert difference == {"mean": 2.0, "ci_low": None, "ci_high": None, "n": 1,
                          "variance_reduction": None}


def test_variance_reduction_is_undefined_without_variance() -> None:
    difference = paired_difference([2.0, 2.0, 2.0], [5.0, 5.0, 5.0])

    assert (difference["mean"], difference["ci_low"], difference["ci_high"]) == (3.0, 3.0, 3.0)
    assert difference["variance_reduction"] is None


def test_pairing_that_adds_noise_gives_a_negative_reduction() -> None:
    # other moves against the reference: the paired difference varies more than both
    difference = paired_difference([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])

    assert difference["variance_reduction"] == pytest.approx(-1.0)


@pytest.mark.parametrize(("low", "high", "direction", "expected"), [
    (1.0, 2.0, HIGHER, BETTER),
    (-2.0, -1.0, HIGHER, WORSE),
    (1.0, 2.0, LOWER, WORSE),
    (-2.0, -1.0, LOWER, BETTER),
    (1.0, 2.0, NEUTRAL, "higher"),
    (-2.0, -1.0, NEUTRAL, "lower"),
    (-1.0, 2.0, HIGHER, SAME),
    (0.0, 2.0, LOWER, SAME),
    (-2.0, 0.0, NEUTRAL, SAME),
    (0.0, 0.0, HIGHER, SAME),
    (None, None, HIGHER, SAME),
])
def test_verdict_knows_which_way_is_better(low: float | None, high: float | None,
                                           direction: str, expected: str) -> None:
    assert verdict({"mean": 1.0, "ci_low": low, "ci_high": high, "n": 3}, direction) == expected


def test_directions_of_some_kpis() -> None:
    assert DIRECTIONS["won"] == HIGHER
    assert DIRECTIONS["cost"] == LOWER
    assert DIRECTIONS["rep_gini"] == LOWER
    assert DIRECTIONS.get("leads", NEUTRAL) == NEUTRAL


def test_precision_status_on_hand_differences() -> None:
    def entry(mean: float, differences: dict[str, tuple[float | None, float | None]]
              ) -> dict[str, Any]:
        return {"by_alternative": {"ref": {"mean": mean}},
                "differences": {label: {"ci_low": low, "ci_high": high}
                                for label, (low, high) in differences.items()}}

    document = {"reference": "ref", "kpis": {
        "won": entry(100.0, {"a": (1.0, 3.0), "b": (-4.0, 4.0), "c": (-6.0, 6.0)}),
        "roi": entry(0.0, {"a": (-0.5, 0.5), "b": (None, None)}),
    }}

    # 5% of 100 is a half-width of 5; a mean of 0 makes the target 5% absolute
    assert precision_status(document, ["won", "roi"], 0.05) == {
        "won": {"a": "excludes zero", "b": "precise enough", "c": "open"},
        "roi": {"a": "open", "b": "open"},
    }


# --- pairing in the model ------------------------------------------------------------------


def exogenous_leads(result: RunResult) -> list[dict[str, float | None]]:
    kinds = {name: channel.kind for name, channel in result.scenario.channels.items()}
    return [{name: values["leads"] for name, values in r.by_channel.items()
             if kinds[name] in EXOGENOUS} for r in result.replications]


def test_every_alternative_sees_the_same_exogenous_leads(runs: dict[str, RunResult]) -> None:
    reference = exogenous_leads(runs["default"])

    assert len(reference) == REPLICATIONS
    assert len(reference[0]) == 6  # seo, website_chat, hotline, sem, events, partner_referral
    assert len({tuple(r.values()) for r in reference}) == REPLICATIONS  # replications differ
    for label in ("twin", "least_loaded", "speed_first"):
        assert exogenous_leads(runs[label]) == reference, label


def test_company_leads_are_identical_when_every_channel_is_exogenous() -> None:
    queue = run("mmc", "mmc")
    turns = run("mmc", "mmc", 'policy.assignment.strategy="round_robin"')
    document = compare([alternative("queue", queue), alternative("turns", turns)])
    difference = document["kpis"]["leads"]["differences"]["turns"]

    assert queue.values("leads") == turns.values("leads")
    assert (difference["mean"], difference["ci_low"], difference["ci_high"]) == (0.0, 0.0, 0.0)
    assert document["kpis"]["first_contact_hours_mean"]["differences"]["turns"]["mean"] != 0.0


def test_identical_policies_differ_by_exactly_zero_in_every_kpi(
        document: dict[str, Any]) -> None:
    for name, entry in document["kpis"].items():
        difference = entry["differences"]["twin"]
        if entry["by_alternative"]["default"]["n"] == 0:
            continue
        assert difference["mean"] == 0.0, name
        assert difference["verdict"] == SAME, name
        if difference["ci_low"] is not None:
            assert (difference["ci_low"], difference["ci_high"]) == (0.0, 0.0), name


def test_identical_policies_differ_by_exactly_zero_in_every_group(
        document: dict[str, Any]) -> None:
    for attribute in ("by_channel", "by_business_line"):
        for group, table in document[attribute].items():
            for name, entry in table.items():
                mean = entry["differences"]["twin"]["mean"]
                assert mean in (0.0, None), (attribute, group, name)


def test_pairing_removes_most_of_the_variance_of_won_between_similar_policies(
        runs: dict[str, RunResult], document: dict[str, Any]) -> None:
    difference = document["kpis"]["won"]["differences"]["least_loaded"]
    again = paired_difference(runs["default"].values("won"), runs["least_loaded"].values("won"))

    assert difference["variance_reduction"] is not None
    assert difference["variance_reduction"] > 0.0
    assert difference["variance_reduction"] == again["variance_reduction"]
    assert difference["n"] == REPLICATIONS


def test_the_document_names_reference_alternatives_seed_and_horizon(
        document: dict[str, Any]) -> None:
    assert document["reference"] == "default"
    assert [a["label"] for a in document["alternatives"]] == [
        "default", "twin", "least_loaded", "speed_first"]
    assert (document["seed"], document["replications"], document["days"]) == (
        SEED, REPLICATIONS, DAYS)
    assert len({a["scenario_sha256"] for a in document["alternatives"]}) == 1
    assert document["kpis"]["won"]["differences"].keys() == {
        "twin", "least_loaded", "speed_first"}
    assert document["kpis"]["won"]["by_alternative"].keys() == {
        "default", "twin", "least_loaded", "speed_first"}


def test_each_alternatives_interval_is_its_own_runs_interval(
        runs: dict[str, RunResult], document: dict[str, Any]) -> None:
    for label, result in runs.items():
        assert document["kpis"]["won"]["by_alternative"][label] == result.kpis()["won"]
        assert document["by_channel"]["sem"]["leads"]["by_alternative"][label] == \
            result.breakdown("by_channel")["sem"]["leads"]
