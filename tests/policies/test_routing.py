"""Routing rules: grading, condition matching, first-match routing and policy-scenario fit."""

from __future__ import annotations

from typing import Any

import pytest

from leadops.errors import InputError, PolicyError
from policies import LeadView, Policy, check_fits, grade_of, load_policy, route
from policies.routing import matches
from policies.schema import Condition, Grading, Routing
from scenarios import Scenario, load_scenario

LEAD = LeadView(grade="B", channel="seo", business_line="software", region="north",
                complexity="medium", deal_size=20_000.0)


def _lead(**changes: Any) -> LeadView:
    fields = {name: getattr(LEAD, name) for name in LeadView.__slots__}
    return LeadView(**{**fields, **changes})


def _routing(*rules: dict[str, Any], **extra: Any) -> Routing:
    return Routing.model_validate({"rules": list(rules), **extra})


def _policy(*rules: dict[str, Any], **extra: Any) -> Policy:
    return Policy.model_validate({"name": "probe", "routing": {"rules": list(rules), **extra}})


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario("baseline")


# Grading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "grade"), [
    (0.99, "A"), (0.5, "A"), (0.4999, "B"), (0.3, "B"), (0.2999, "C"), (0.15, "C"),
    (0.1499, "D"), (0.0, "D"),
])
def test_grade_of_uses_inclusive_lower_cutoffs(score: float, grade: str) -> None:
    assert grade_of(score, Grading(a=0.5, b=0.3, c=0.15)) == grade


def test_grade_of_follows_the_policy_cutoffs() -> None:
    assert grade_of(0.4, Grading(a=0.45, b=0.3, c=0.18)) == "B"
    assert grade_of(0.4, Grading(a=0.35, b=0.3, c=0.18)) == "A"


# Conditions ------------------------------------------------------------------------------


def test_empty_condition_matches_every_lead() -> None:
    assert Condition().is_default
    assert matches(Condition(), LEAD)
    assert matches(Condition(), _lead(grade="D", deal_size=0.0))


@pytest.mark.parametrize(("field", "hit", "miss"), [
    ("grade", "B", "A"),
    ("channel", "seo", "sem"),
    ("business_line", "software", "services"),
    ("region", "north", "west"),
    ("complexity", "medium", "high"),
])
def test_each_list_field_constrains_the_match(field: str, hit: str, miss: str) -> None:
    condition = Condition.model_validate({field: [hit]})
    assert not condition.is_default
    assert matches(condition, LEAD)
    assert not matches(condition, _lead(**{field: miss}))
    assert matches(Condition.model_validate({field: [miss, hit]}), LEAD)


def test_min_deal_size_is_inclusive_and_max_is_exclusive() -> None:
    band = Condition(min_deal_size=10_000.0, max_deal_size=50_000.0)
    assert not matches(band, _lead(deal_size=9_999.99))
    assert matches(band, _lead(deal_size=10_000.0))
    assert matches(band, _lead(deal_size=49_999.99))
    assert not matches(band, _lead(deal_size=50_000.0))
    assert matches(Condition(min_deal_size=0.0), _lead(deal_size=0.0))
    assert not matches(Condition(max_deal_size=0.0), _lead(deal_size=0.0))


def test_every_set_field_must_hold() -> None:
    condition = Condition(grade=["A", "B"], region=["north"], min_deal_size=15_000.0)
    assert matches(condition, LEAD)
    assert not matches(condition, _lead(region="south"))
    assert not matches(condition, _lead(grade="C"))
    assert not matches(condition, _lead(deal_size=1_000.0))


# Routing ---------------------------------------------------------------------------------


def test_first_matching_rule_wins() -> None:
    routing = _routing(
        {"when": {"region": ["north"]}, "team": "field"},
        {"when": {"grade": ["B"]}, "team": "telesales", "sdr": True},
        {"team": "key_account"},
    )
    assert route(routing, LEAD).rule == 0
    assert route(routing, LEAD).team == "field"
    assert not route(routing, LEAD).sdr
    second = route(routing, _lead(region="west"))
    assert (second.rule, second.team, second.sdr) == (1, "telesales", True)


def test_default_rule_catches_the_rest() -> None:
    routing = _routing(
        {"when": {"grade": ["A"]}, "team": "field"},
        {"sdr": True, "team": "telesales"},
    )
    path = route(routing, _lead(grade="D"))
    assert (path.rule, path.team, path.sdr) == (1, "telesales", True)


def test_deal_size_bands_route_to_their_teams() -> None:
    routing = _routing(
        {"when": {"min_deal_size": 80_000.0}, "team": "key_account"},
        {"when": {"min_deal_size": 20_000.0, "max_deal_size": 80_000.0}, "team": "field"},
        {"team": "telesales"},
    )
    sizes = {5_000.0: "telesales", 20_000.0: "field", 79_999.0: "field",
             80_000.0: "key_account", 1e7: "key_account"}
    for size, team in sizes.items():
        assert route(routing, _lead(deal_size=size)).team == team


def test_bundled_default_policy_routes_as_documented() -> None:
    routing = load_policy("default").routing
    assert route(routing, _lead(deal_size=90_000.0)).team == "key_account"
    complex_good = route(routing, _lead(complexity="high", grade="A"))
    assert (complex_good.team, complex_good.sdr) == ("field", False)
    complex_unsure = route(routing, _lead(complexity="high", grade="C"))
    assert (complex_unsure.team, complex_unsure.sdr) == ("field", True)
    assert route(routing, _lead(grade="A")) == route(routing, _lead(grade="B"))
    assert route(routing, _lead(grade="D")).sdr


def test_routing_table_must_end_with_a_default_rule() -> None:
    with pytest.raises(ValueError, match="last routing rule"):
        _routing({"when": {"grade": ["A"]}, "team": "field"})


# Policy fits the scenario ----------------------------------------------------------------


def test_bundled_default_policy_fits_baseline(baseline: Scenario) -> None:
    check_fits(load_policy("default"), baseline)


def _fit_error(policy: Policy, scenario: Scenario) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        check_fits(policy, scenario)
    return caught.value


def test_unknown_team_is_named_with_its_path(baseline: Scenario) -> None:
    error = _fit_error(_policy({"when": {"grade": ["A"]}, "team": "telesales"},
                               {"team": "inside_sales"}), baseline)
    assert error.path == "routing.rules[1].team"
    assert "routing.rules[1].team" in str(error)
    assert "'inside_sales'" in str(error)
    assert "telesales" in str(error)


def test_sdr_team_cannot_own_leads(baseline: Scenario) -> None:
    error = _fit_error(_policy({"team": "sdr"}), baseline)
    assert error.path == "routing.rules[0].team"


@pytest.mark.parametrize(("field", "value"), [
    ("channel", "television"),
    ("business_line", "hardware"),
    ("region", "east"),
])
def test_unknown_name_in_a_condition_is_named_with_its_path(
    baseline: Scenario, field: str, value: str
) -> None:
    error = _fit_error(_policy({"when": {field: [value]}, "team": "field"},
                               {"team": "telesales"}), baseline)
    assert error.path == f"routing.rules[0].when.{field}"
    assert repr(value) in str(error)
    assert "policy 'probe'" in str(error)


def test_sdr_rule_without_an_sdr_team(baseline: Scenario) -> None:
    error = _fit_error(_policy({"sdr": True, "team": "telesales"}, sdr_team="cleaners"),
                       baseline)
    assert error.path == "routing.rules[0]"
    assert "'cleaners'" in str(error)
    mmc = load_scenario("mmc")
    error = _fit_error(_policy({"when": {"grade": ["A"]}, "team": "reps"},
                               {"sdr": True, "team": "reps"}), mmc)
    assert error.path == "routing.rules[1]"


def test_sdr_team_must_have_the_sdr_role(baseline: Scenario) -> None:
    error = _fit_error(_policy({"sdr": True, "team": "telesales"}, sdr_team="field"), baseline)
    assert error.path == "routing.sdr_team"
    assert "'field'" in str(error)


def test_missing_sdr_team_is_fine_when_no_rule_uses_it() -> None:
    check_fits(_policy({"team": "reps"}, sdr_team="nobody"), load_scenario("mmc"))


def test_policy_errors_are_input_errors(baseline: Scenario) -> None:
    error = _fit_error(_policy({"team": "nobody"}), baseline)
    assert isinstance(error, InputError)
    assert str(error).startswith("policy 'probe': routing.rules[0].team: ")
