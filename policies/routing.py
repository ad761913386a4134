"""Pure decision rules: grade a score, and route a lead through the routing table."""

from __future__ import annotations

from dataclasses import dataclass

from policies.schema import Condition, Grade, Grading, Routing


@dataclass(frozen=True, slots=True)
class LeadView:
    """What routing may know about a lead: observed facts, never the latent propensity."""

    grade: Grade
    channel: str
    business_line: str
    region: str
    complexity: str
    deal_size: float


@dataclass(frozen=True, slots=True)
class Route:
    """The path a lead takes: SDR cleaning first or not, then the owning team."""

    rule: int
    sdr: bool
    team: str


def grade_of(score: float, grading: Grading) -> Grade:
    """Grade A-D of an observed score in 0..1."""
    if score >= grading.a:
        return "A"
    if score >= grading.b:
        return "B"
    if score >= grading.c:
        return "C"
    return "D"


def matches(condition: Condition, lead: LeadView) -> bool:
    """Whether every constraint the condition sets holds for the lead."""
    checks = (
        (condition.grade, lead.grade),
        (condition.channel, lead.channel),
        (condition.business_line, lead.business_line),
        (condition.region, lead.region),
        (condition.complexity, lead.complexity),
    )
    if any(allowed is not None and value not in allowed for allowed, value in checks):
        return False
    if condition.min_deal_size is not None and lead.deal_size < condition.min_deal_size:
        return False
    return condition.max_deal_size is None or lead.deal_size < condition.max_deal_size


def route(routing: Routing, lead: LeadView) -> Route:
    """The first rule that matches wins; the last rule matches every lead."""
    for index, rule in enumerate(routing.rules):
        if matches(rule.when, lead):
            return Route(index, rule.sdr, rule.team)
    last = len(routing.rules) - 1
    return Route(last, routing.rules[last].sdr, routing.rules[last].team)
