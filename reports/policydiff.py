"""What an optimized policy changes against the baseline policy, field by field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadops.errors import InputError
from reports.loading import OptimizationData, Source

DEFAULT_BASELINE = "default"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested tables and lists as dotted paths: routing.rules[0].team -> value."""
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and any(isinstance(item, Mapping | list) for item in value):
        flat = {}
        for index, inner in enumerate(value):
            flat.update(flatten(inner, f"{prefix}[{index}]"))
        return flat
    return {prefix: value}


def policy_diff(baseline: Mapping[str, Any], chosen: Mapping[str, Any]
                ) -> list[tuple[str, Any, Any]]:
    """(path, baseline value, chosen value) of every field that differs; None = unset."""
    old, new = flatten(baseline), flatten(chosen)
    paths = sorted(set(old) | set(new))
    return [(path, old.get(path), new.get(path)) for path in paths
            if old.get(path) != new.get(path) and path != "name"]


def baseline_policy(data: OptimizationData, source: Source
                    ) -> tuple[dict[str, Any] | None, str, str]:
    """The policy to compare the choice with, its label, and a note on where it came from.

    Order: ``baseline_policy`` in selection.json (a file beside it or a bundled name), the
    policy of a run summary in the same directory, and last the bundled default policy.
    """
    from policies import load_policy

    named = (data.selection or {}).get("baseline_policy")
    if isinstance(named, str) and named:
        beside = data.directory / named
        try:
            policy = load_policy(str(beside) if beside.exists() else named)
        except InputError as exc:
            return None, named, f"The baseline policy could not be loaded: {exc}"
        return policy.model_dump(mode="json"), named, ""
    if source.run is not None:
        inputs = source.run.summary.get("inputs") or {}
        if isinstance(inputs.get("policy"), dict):
            name = str(source.run.summary.get("policy", {}).get("name", "run policy"))
            return inputs["policy"], name, ""
    policy = load_policy(DEFAULT_BASELINE)
    return (policy.model_dump(mode="json"), DEFAULT_BASELINE,
            "selection.json names no baseline_policy; the choice is compared with the "
            "bundled default policy.")


def complete_policy(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The chosen policy with every default filled in, so both sides of the diff match."""
    from policies.schema import Policy
    from scenarios.files import validate_model

    try:
        return validate_model(Policy, raw, file="best_policy.toml").model_dump(mode="json"), ""
    except InputError as exc:
        return raw, f"best_policy.toml is not a valid policy ({exc}); its fields are shown " \
                    "as written."
