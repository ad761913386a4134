"""Paired comparison of alternatives run on the same replication seeds.

Replication r of every alternative uses seed stream r, so the differences are paired
(common random numbers): the noise both alternatives share cancels out of the difference.
For each KPI this module gives each alternative's mean, the paired difference against the
reference with a 95% t-interval, a verdict that knows whether more is better, and how much
variance the pairing removed compared with independent runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.runs import RunResult
from sim.stats import t_interval

HIGHER, LOWER, NEUTRAL = "higher is better", "lower is better", "neutral"

# Which way is better for each KPI; KPIs not listed are neutral (reported, not judged).
DIRECTIONS: dict[str, str] = {
    "won": HIGHER, "conversion_rate": HIGHER, "revenue": HIGHER, "roi": HIGHER,
    "cost": LOWER, "channel_cost": LOWER, "staff_cost": LOWER, "campaign_cost": LOWER,
    "first_contact_hours_p50": LOWER, "first_contact_hours_p90": LOWER,
    "first_contact_hours_mean": LOWER, "days_to_win_p50": LOWER, "sla_met_rate": HIGHER,
    "sla_breaches": LOWER, "touches_per_lead": LOWER, "harassment_rate": LOWER,
    "duplicate_contact_rate": LOWER, "sdr_wait_hours_p50": LOWER, "abandon_rate": LOWER,
    "never_worked_rate": LOWER, "reactivated_won": HIGHER, "repeat_revenue": HIGHER,
    "warnings": LOWER, "rep_gini": LOWER,
}

BETTER, WORSE, SAME = "better", "worse", "no detectable difference"


@dataclass
class Alternative:
    """One policy or scenario variant and its run."""

    label: str
    kind: str  # "policy" or "variant"
    source: str
    overrides: tuple[str, ...]
    result: RunResult


def paired_difference(reference: Sequence[float | None], other: Sequence[float | None]
                      ) -> dict[str, Any]:
    """Mean and 95% interval of other - reference over replications both define."""
    pairs = [(a, b) for a, b in zip(reference, other, strict=True)
             if a is not None and b is not None and math.isfinite(a) and math.isfinite(b)]
    interval: dict[str, Any] = dict(t_interval([b - a for a, b in pairs]))
    interval["variance_reduction"] = _variance_reduction(pairs)
    return interval


def _variance_reduction(pairs: list[tuple[float, float]]) -> float | None:
    """Share of the variance of an unpaired difference that pairing removed."""
    if len(pairs) < 2:
        return None
    independent = _variance([a for a, _ in pairs]) + _variance([b for _, b in pairs])
    if independent <= 0:
        return None
    return 1.0 - _variance([b - a for a, b in pairs]) / independent


def _variance(values: list[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def verdict(difference: dict[str, Any], direction: str) -> str:
    """better / worse / no detectable difference; neutral KPIs say higher or lower."""
    low, high = difference.get("ci_low"), difference.get("ci_high")
    if low is None or high is None or low <= 0.0 <= high:
        return SAME
    up = low > 0.0
    if direction == NEUTRAL:
        return "higher" if up else "lower"
    return BETTER if up == (direction == HIGHER) else WORSE


Values = Callable[[RunResult, str], list[float | None]]


def compare_kpis(alternatives: Sequence[Alternative], values: Values, names: Sequence[str]
                 ) -> dict[str, Any]:
    """KPI -> each alternative's interval and its paired difference from the first one.

    ``values(result, kpi)`` returns the per-replication values of a KPI in one result.
    """
    reference = alternatives[0]
    table: dict[str, Any] = {}
    for name in names:
        direction = DIRECTIONS.get(name, NEUTRAL)
        base = values(reference.result, name)
        entry: dict[str, Any] = {"direction": direction, "by_alternative": {}, "differences": {}}
        for alternative in alternatives:
            own = values(alternative.result, name)
            entry["by_alternative"][alternative.label] = t_interval(own)
            if alternative is not reference:
                difference = paired_difference(base, own)
                difference["verdict"] = verdict(difference, direction)
                entry["differences"][alternative.label] = difference
        table[name] = entry
    return table


def compare(alternatives: Sequence[Alternative]) -> dict[str, Any]:
    """The whole comparison document: company KPIs and per-group breakdowns."""
    first = alternatives[0].result
    document: dict[str, Any] = {
        "reference": alternatives[0].label,
        "alternatives": [
            {"label": a.label, "kind": a.kind, "source": a.source, "overrides": list(a.overrides),
             "scenario_sha256": _fingerprint(a.result)}
            for a in alternatives
        ],
        "seed": first.seed,
        "replications": len(first.replications),
        "days": first.days,
        "kpis": compare_kpis(alternatives, lambda result, name: result.values(name),
                             first.kpi_names()),
    }
    for attribute in ("by_channel", "by_business_line"):
        groups: dict[str, dict[str, Any]] = getattr(first.replications[0], attribute)
        document[attribute] = {
            group: compare_kpis(alternatives, _group_values(attribute, group), list(kpis))
            for group, kpis in groups.items()
        }
    return document


def _group_values(attribute: str, group: str) -> Values:
    def values(result: RunResult, name: str) -> list[float | None]:
        return [getattr(r, attribute).get(group, {}).get(name) for r in result.replications]

    return values


def precision_status(document: dict[str, Any], kpis: Sequence[str], relative_half_width: float
                     ) -> dict[str, dict[str, str]]:
    """For each chosen KPI and alternative: 'excludes zero', 'precise enough' or 'open'.

    A difference is precise enough when its half-width is below ``relative_half_width``
    times the reference mean's magnitude (or that absolute value when the mean is 0).
    """
    status: dict[str, dict[str, str]] = {}
    for name in kpis:
        entry = document["kpis"][name]
        scale = abs(entry["by_alternative"][document["reference"]]["mean"] or 0.0) or 1.0
        status[name] = {}
        for label, difference in entry["differences"].items():
            status[name][label] = _one_status(difference, relative_half_width * scale)
    return status


def _one_status(difference: dict[str, Any], target: float) -> str:
    low, high = difference.get("ci_low"), difference.get("ci_high")
    if low is None or high is None:
        return "open"
    if low > 0.0 or high < 0.0:
        return "excludes zero"
    if (high - low) / 2.0 <= target:
        return "precise enough"
    return "open"


def _fingerprint(result: RunResult) -> str:
    from scenarios import fingerprint

    return fingerprint(result.scenario)
