"""The policy linter: each contradiction is found with the right field path, the bundled
policies are clean, and ``leadops validate`` / ``leadops run`` surface the findings.

Policies are the bundled ``default`` with dotted-path changes; routing checks run against
the bundled ``baseline`` (optionally changed the same way).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadops.cli import main
from policies import BUNDLED_DIR as POLICY_DIR
from policies import Policy, bundled_policies, load_policy
from policies.lint import Finding, lint
from scenarios import Scenario, load_scenario
from scenarios.overrides import Override

DEFAULT_RULES: list[dict[str, Any]] = [
    {"name": "large deals", "when": {"min_deal_size": 80000.0}, "team": "key_account"},
    {"name": "complex, good", "when": {"complexity": ["high"], "grade": ["A", "B"]},
     "team": "field"},
    {"name": "complex, unsure", "when": {"complexity": ["high"]}, "sdr": True,
     "team": "field"},
    {"name": "good grades", "when": {"grade": ["A", "B"]}, "team": "telesales"},
    {"name": "everything else", "sdr": True, "team": "telesales"},
]


def default_with(**changes: Any) -> Policy:
    """The bundled default policy with ``changes`` (dotted paths, ``__`` for dots)."""
    return load_policy("default", [Override(path.replace("__", "."), value)
                                   for path, value in changes.items()])


def with_rules(rules: list[dict[str, Any]]) -> Policy:
    return load_policy("default", [Override("routing.rules", rules)])


def baseline(**changes: Any) -> Scenario:
    return load_scenario("baseline", [Override(path.replace("__", "."), value)
                                      for path, value in changes.items()])


def paths(findings: list[Finding]) -> list[str]:
    return [finding.path for finding in findings]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return baseline()


# --- circulation numbers -------------------------------------------------------------------


def test_a_cooldown_longer_than_the_protection_period_is_found() -> None:
    policy = default_with(circulation__protection_days=5.0,
                          circulation__reclaim_cooldown_days=14.0)

    findings = lint(policy)

    assert paths(findings) == ["circulation.reclaim_cooldown_days"]
    assert "14 days" in findings[0].message and "5 days" in findings[0].message


@pytest.mark.parametrize(("protection", "cooldown"), [(14.0, 14.0), (20.0, 14.0), (0.0, 14.0)])
def test_a_cooldown_within_protection_or_without_protection_is_fine(
        protection: float, cooldown: float) -> None:
    policy = default_with(circulation__protection_days=protection,
                          circulation__reclaim_cooldown_days=cooldown)

    assert lint(policy) == []


def test_a_claim_delay_that_outlasts_the_public_pool_is_found() -> None:
    at_the_limit = default_with(circulation__claim_delay_hours=30 * 24.0)
    just_below = default_with(circulation__claim_delay_hours=30 * 24.0 - 1)
    never_moved = default_with(circulation__claim_delay_hours=10_000.0,
                               circulation__unclaimed_days=0.0)

    assert paths(lint(at_the_limit)) == ["circulation.claim_delay_hours"]
    assert lint(just_below) == []
    assert lint(never_moved) == []


def test_no_claiming_while_releasing_to_public_pools_is_found() -> None:
    releasing = default_with(circulation__daily_claim_limit=0)
    parking = default_with(circulation__daily_claim_limit=0, circulation__release_to_pool=False)

    assert paths(lint(releasing)) == ["circulation.daily_claim_limit"]
    assert lint(parking) == []


def test_no_follow_up_shorter_than_the_cadence_gap_is_found() -> None:
    # the default cadence waits up to 120 hours (5 days) between attempts
    too_short = default_with(circulation__no_follow_up_days=4.0)

    findings = lint(too_short)

    assert paths(findings) == ["circulation.no_follow_up_days"]
    assert "5 days" in findings[0].message
    assert lint(default_with(circulation__no_follow_up_days=5.0)) == []
    assert lint(default_with(circulation__no_follow_up_days=0.0)) == []


def test_the_last_spacing_repeats_so_it_counts_as_a_gap() -> None:
    policy = default_with(follow_up__spacing_hours=[2.0, 150.0],
                          circulation__no_follow_up_days=5.0)

    assert paths(lint(policy)) == ["circulation.no_follow_up_days"]


def test_spacings_beyond_the_last_attempt_are_not_a_gap() -> None:
    # Two attempts: the only wait is the first spacing (2 hours); the later spacings are
    # never used, so recycling after a day without a touch contradicts nothing.
    policy = default_with(follow_up__max_attempts=2, circulation__no_follow_up_days=1.0)

    assert lint(policy) == []


# --- routing rules -------------------------------------------------------------------------


def test_an_empty_list_matches_no_lead() -> None:
    rules = [{**DEFAULT_RULES[0], "when": {"grade": []}}, *DEFAULT_RULES[1:]]

    findings = lint(with_rules(rules))

    assert paths(findings) == ["routing.rules[0].when.grade"]
    assert "empty list" in findings[0].message


def test_min_deal_size_not_below_max_deal_size_fits_no_deal() -> None:
    rules = [{**DEFAULT_RULES[0], "when": {"min_deal_size": 50000.0, "max_deal_size": 50000.0}},
             *DEFAULT_RULES[1:]]

    assert paths(lint(with_rules(rules))) == ["routing.rules[0].when.min_deal_size"]


def test_a_rule_shadowed_by_an_earlier_broader_rule_never_matches(scenario: Scenario) -> None:
    # every complex lead now goes to field at rule 1, so rules 2 and 3 never match
    broad = {"name": "all complex", "when": {"complexity": ["high"]}, "team": "field"}
    policy = with_rules([DEFAULT_RULES[0], broad, *DEFAULT_RULES[1:]])

    findings = lint(policy, scenario)

    assert paths(findings) == ["routing.rules[2]", "routing.rules[3]"]
    assert "complex, good" in findings[0].message
    assert "complex, unsure" in findings[1].message
    assert lint(policy) == []  # without a scenario nothing is routed


def test_a_rule_after_a_catch_all_like_rule_never_matches(scenario: Scenario) -> None:
    every_grade = {"name": "any grade", "when": {"grade": ["A", "B", "C", "D"]},
                   "team": "telesales"}
    policy = with_rules([*DEFAULT_RULES[:3], every_grade, *DEFAULT_RULES[3:]])

    assert paths(lint(policy, scenario)) == ["routing.rules[4]", "routing.rules[5]"]


def test_an_empty_list_rule_also_never_matches_in_the_sample(scenario: Scenario) -> None:
    rules = [*DEFAULT_RULES[:3], {**DEFAULT_RULES[3], "when": {"channel": []}},
             DEFAULT_RULES[4]]

    assert paths(lint(with_rules(rules), scenario)) == [
        "routing.rules[3].when.channel", "routing.rules[3]"]


def test_a_team_no_rule_reaches_is_found(scenario: Scenario) -> None:
    rules = [{**DEFAULT_RULES[0], "team": "field"}, *DEFAULT_RULES[1:]]

    findings = lint(with_rules(rules), scenario)

    assert [str(f) for f in findings] == ["routing.rules: no rule sends leads to team "
                                          "'key_account'"]


def test_a_cap_below_the_daily_inflow_is_found() -> None:
    capped = baseline(teams__telesales__private_pool_cap=2)

    findings = lint(load_policy("default"), capped)

    assert paths(findings) == ["teams.telesales.private_pool_cap"]
    assert "hold 28 leads" in findings[0].message


def test_a_cap_above_the_daily_inflow_is_fine() -> None:
    roomy = baseline(teams__telesales__private_pool_cap=20)

    assert lint(load_policy("default"), roomy) == []


# --- the bundled policies ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(bundled_policies()))
def test_every_bundled_policy_passes_on_its_bundled_scenario(name: str) -> None:
    scenario = load_scenario("mmc" if name == "mmc" else "baseline")

    assert lint(load_policy(name), scenario) == []


def test_the_bundled_policies_are_the_ones_the_feature_ships() -> None:
    assert set(bundled_policies()) >= {"default", "speed_first", "sdr_heavy", "pk_ranking",
                                       "mmc"}


def test_a_finding_reads_as_path_then_message() -> None:
    assert str(Finding("circulation.sla_hours", "too short")) == "circulation.sla_hours: too short"


# --- the command line ----------------------------------------------------------------------


def policy_file(tmp_path: Path, old: str, new: str) -> Path:
    """The bundled default policy file with one line changed."""
    text = (POLICY_DIR / "default.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "changed.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


def test_validate_strict_exits_2_on_a_policy_with_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = policy_file(tmp_path, "daily_claim_limit = 8", "daily_claim_limit = 0")

    code = main(["validate", str(path), "--strict"])
    err = flat(capsys.readouterr().err)

    assert code == 2
    assert "warning: changed.toml: circulation.daily_claim_limit:" in err
    assert "--strict" in err


def test_validate_without_strict_warns_and_exits_0(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = policy_file(tmp_path, "daily_claim_limit = 8", "daily_claim_limit = 0")

    code = main(["validate", str(path)])
    captured = capsys.readouterr()

    assert code == 0
    assert "circulation.daily_claim_limit" in flat(captured.err)
    assert "valid policy (with warnings)" in flat(captured.out)


def test_validate_strict_exits_0_on_a_clean_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(POLICY_DIR / "default.toml"), "--strict",
                 "--scenario", "baseline"])
    captured = capsys.readouterr()

    assert code == 0
    assert "warning" not in captured.err
    assert "valid policy" in captured.out


def test_routing_findings_need_the_scenario_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = policy_file(tmp_path, 'when = { min_deal_size = 80000.0 }, team = "key_account"',
                       'when = { min_deal_size = 80000.0 }, team = "field"')

    alone = main(["validate", str(path), "--strict"])
    against = main(["validate", str(path), "--strict", "--scenario", "baseline"])
    err = flat(capsys.readouterr().err)

    assert (alone, against) == (0, 2)
    assert "routing.rules: no rule sends leads to team 'key_account'" in err


def test_run_prints_the_linters_warnings(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "mmc", "--days", "1", "-n", "1", "-q", "-o", str(tmp_path / "run"),
                 "--set", "policy.circulation.release_to_pool=true"])
    err = flat(capsys.readouterr().err)

    assert code == 0
    assert "warning: policy 'mmc': circulation.daily_claim_limit:" in err
    assert (tmp_path / "run" / "summary.json").exists()
