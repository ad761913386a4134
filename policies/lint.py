"""The policy linter: rules that contradict each other or will starve a pool or a team.

Checks that need only the policy look at its numbers. Checks against a scenario route a
fixed-seed sample of the scenario's leads through the routing table, so that a rule that
never matches, a team that no rule reaches and a cap below the daily inflow are found
before anything is simulated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from policies.routing import LeadView, grade_of, route
from policies.schema import Policy
from scenarios.schema import Channel, Scenario
from scenarios.volume import mean_leads_per_day

SAMPLE_PER_CHANNEL = 4000
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Finding:
    """One warning: the field path it concerns and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def lint(policy: Policy, scenario: Scenario | None = None) -> list[Finding]:
    """Every finding about the policy, and about the policy on the scenario when given."""
    findings = _circulation(policy)
    findings += _impossible_rules(policy)
    if scenario is not None:
        findings += _routing_sample(policy, scenario)
    return findings


def _circulation(policy: Policy) -> list[Finding]:
    rules, follow_up = policy.circulation, policy.follow_up
    found = []
    if rules.protection_days > 0 and rules.reclaim_cooldown_days > rules.protection_days:
        found.append(Finding("circulation.reclaim_cooldown_days", (
            f"the re-claim cooldown ({rules.reclaim_cooldown_days:g} days) is longer than the "
            f"protection period ({rules.protection_days:g} days): a rep loses a lead sooner "
            "than it may take it back")))
    if rules.unclaimed_days > 0 and rules.claim_delay_hours >= rules.unclaimed_days * 24:
        found.append(Finding("circulation.claim_delay_hours", (
            f"leads become claimable after {rules.claim_delay_hours:g} hours but move to the "
            f"grand pool after {rules.unclaimed_days:g} days: public pools can never be "
            "claimed from")))
    if rules.daily_claim_limit == 0 and rules.release_to_pool:
        found.append(Finding("circulation.daily_claim_limit", (
            "nobody may claim, yet released leads go to public pools: public pools only "
            "fill up (they drain to the grand pool at best)")))
    spacing = follow_up.spacing_hours
    used = [spacing[min(i, len(spacing) - 1)] for i in range(follow_up.max_attempts - 1)]
    longest_gap = max(used, default=0.0) / HOURS_PER_DAY
    if 0 < rules.no_follow_up_days < longest_gap:
        found.append(Finding("circulation.no_follow_up_days", (
            f"recycles after {rules.no_follow_up_days:g} days without a touch, but the "
            f"follow-up cadence waits up to {longest_gap:g} days between attempts")))
    return found


def _impossible_rules(policy: Policy) -> list[Finding]:
    found = []
    for index, rule in enumerate(policy.routing.rules):
        when, path = rule.when, f"routing.rules[{index}].when"
        lists = {"grade": when.grade, "channel": when.channel, "region": when.region,
                 "business_line": when.business_line, "complexity": when.complexity}
        for name, values in lists.items():
            if values is not None and not values:
                found.append(Finding(f"{path}.{name}", "an empty list matches no lead"))
        low, high = when.min_deal_size, when.max_deal_size
        if low is not None and high is not None and low >= high:
            found.append(Finding(f"{path}.min_deal_size", (
                f"min_deal_size {low:g} is not below max_deal_size {high:g}: no deal fits")))
    return found


def _routing_sample(policy: Policy, scenario: Scenario) -> list[Finding]:
    """Route a sample of leads; flag dead rules, unreached teams and caps below inflow."""
    hits: Counter[int] = Counter()
    per_day: dict[str, float] = {}
    for name, channel in scenario.channels.items():
        daily = mean_leads_per_day(channel) * scenario.volume_scale
        sample = _sample_leads(name, channel, scenario, policy)
        for view in sample:
            path = route(policy.routing, view)
            hits[path.rule] += 1
            per_day[path.team] = per_day.get(path.team, 0.0) + daily / len(sample)
    found = [Finding(f"routing.rules[{i}]", f"rule '{rule.name or i}' never matched in a "
                     f"sample of {SAMPLE_PER_CHANNEL} leads per channel: earlier rules catch "
                     "everything it would")
             for i, rule in enumerate(policy.routing.rules) if hits[i] == 0]
    for name, team in scenario.teams.items():
        if team.role == "sdr":
            continue
        if per_day.get(name, 0.0) == 0:
            found.append(Finding("routing.rules", f"no rule sends leads to team '{name}'"))
        elif team.headcount and team.private_pool_cap * team.headcount < per_day[name]:
            found.append(Finding(f"teams.{name}.private_pool_cap", (
                f"the team's caps hold {team.private_pool_cap * team.headcount} leads but "
                f"about {per_day[name]:.0f} arrive a day: leads will overflow to the pool")))
    return found


def _sample_leads(name: str, channel: Channel, scenario: Scenario, policy: Policy
                  ) -> list[LeadView]:
    """A fixed-seed sample of what the channel's leads look like to routing."""
    rng = np.random.default_rng(sum(name.encode()) + 7)
    n = SAMPLE_PER_CHANNEL
    quality = channel.quality
    propensity = np.clip(rng.beta(quality.mean * quality.concentration,
                                  (1 - quality.mean) * quality.concentration, n), 1e-6, 1 - 1e-6)
    logit = np.log(propensity / (1 - propensity))
    score = 1 / (1 + np.exp(-(logit + scenario.classification.score_noise *
                              rng.standard_normal(n))))
    lines = _draw(rng, channel.business_lines, n)
    regions = _draw(rng, channel.regions, n)
    complexity = _draw(rng, {str(k): v for k, v in channel.complexity.items()}, n)
    deals = channel.deal_size.median * np.exp(channel.deal_size.sigma * rng.standard_normal(n))
    return [LeadView(grade_of(float(s), policy.grading), name, line, region, cx, float(deal))
            for s, line, region, cx, deal
            in zip(score, lines, regions, complexity, deals, strict=True)]


def _draw(rng: np.random.Generator, mix: dict[str, float], n: int) -> list[str]:
    names = list(mix)
    weights = np.array([mix[k] for k in names], dtype=float)
    return [names[i] for i in rng.choice(len(names), size=n, p=weights / weights.sum())]
