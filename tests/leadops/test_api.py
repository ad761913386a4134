"""The Python API as a notebook uses it: prepare, simulate, read KPIs and daily series."""

from __future__ import annotations

import doctest
import json

import pytest

import leadops.api
from leadops import api
from leadops.errors import InputError
from sim.metrics import SERIES
from sim.runs import RunResult

DAYS = 4


@pytest.fixture(scope="module")
def setup() -> api.Setup:
    return api.prepare("baseline", None, ["channels.sem.monthly_spend=90000"])


@pytest.fixture(scope="module")
def result(setup: api.Setup) -> RunResult:
    return api.simulate(setup, replications=2, seed=5, days=DAYS)


def test_prepare_loads_scenario_default_policy_and_overrides(setup: api.Setup) -> None:
    assert setup.scenario.name == "baseline"
    assert setup.scenario.channels["sem"].monthly_spend == 90000.0
    assert setup.policy.name == setup.scenario.default_policy == "default"
    assert setup.policy_source == "default"
    assert setup.overrides == ("channels.sem.monthly_spend=90000",)


def test_prepare_sends_policy_prefixed_overrides_to_the_policy() -> None:
    prepared = api.prepare("baseline", "default", ["policy.follow_up.max_attempts=3",
                                                   "days=30"])

    assert prepared.policy.follow_up.max_attempts == 3
    assert prepared.scenario.days == 30
    assert prepared.overrides == ("policy.follow_up.max_attempts=3", "days=30")


def test_prepare_raises_input_error_for_bad_input() -> None:
    with pytest.raises(InputError) as caught:
        api.prepare("baseline", None, ["channels.sem.monthly_spend=-5"])

    assert caught.value.path == "channels.sem.monthly_spend"


def test_prepare_rejects_a_policy_that_does_not_fit_the_scenario() -> None:
    with pytest.raises(InputError) as caught:
        api.prepare("baseline", "mmc")

    assert "routing.rules[0].team" in str(caught.value)


def test_simulate_gives_kpis_as_plain_dicts(result: RunResult) -> None:
    kpis = result.kpis()

    assert type(kpis) is dict
    assert all(type(value) is dict and set(value) == {"mean", "ci_low", "ci_high", "n"}
               for value in kpis.values())
    assert json.loads(json.dumps(kpis)) == kpis
    assert kpis["leads"]["n"] == 2
    leads = kpis["leads"]["mean"]
    assert leads is not None and leads > 0


def test_simulate_gives_breakdowns_as_plain_dicts(result: RunResult) -> None:
    by_channel = result.breakdown("by_channel")

    assert set(by_channel) == set(result.scenario.channels)
    assert json.loads(json.dumps(by_channel)) == by_channel


def test_mean_series_is_days_by_channels_by_lines_by_columns(result: RunResult) -> None:
    series = result.mean_series()
    scenario = result.scenario

    assert series.shape == (DAYS, len(scenario.channels), len(scenario.business_lines),
                            len(SERIES))
    assert series[..., SERIES.index("leads")].sum() == pytest.approx(
        result.kpis()["leads"]["mean"])


def test_simulate_is_repeatable_under_a_seed(setup: api.Setup,
                                             result: RunResult) -> None:
    again = api.simulate(setup, replications=2, seed=5, days=DAYS)
    other = api.simulate(setup, replications=2, seed=6, days=DAYS)

    assert again.kpis() == result.kpis()
    assert (again.mean_series() == result.mean_series()).all()
    assert other.values("leads") != result.values("leads")


def test_docstring_example_of_the_api_runs() -> None:
    outcome = doctest.testmod(leadops.api)

    assert outcome.attempted > 0
    assert outcome.failed == 0
