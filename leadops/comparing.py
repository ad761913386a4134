"""``leadops compare``: policies and scenario variants side by side, paired.

Every alternative runs on the same replication seeds. The first policy is the reference;
scenario variants run under the reference policy. In precision mode, replications are
added in batches until every chosen KPI's difference either excludes zero or is precise
enough, or the replication cap is reached.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadops.api import Setup, prepare
from leadops.atomic import write_text
from leadops.errors import InputError
from leadops.naming import safe_name
from sim.compare import Alternative, compare, precision_status
from sim.runs import Progress, run_many

VARIANT = re.compile(r"^(?P<name>[^:]+):(?P<sets>.+)$")
SETTING_START = re.compile(r"\s*[A-Za-z_][\w.]*\s*=")


@dataclass
class Plan:
    """What to compare and how long to keep adding replications."""

    scenario: str
    policies: list[str]
    variants: list[str]
    overrides: list[str] = field(default_factory=list)
    replications: int = 10
    seed: int = 1
    days: int | None = None
    workers: int = 1
    precision: bool = False
    precision_kpis: list[str] = field(default_factory=lambda: ["roi", "conversion_rate"])
    relative_half_width: float = 0.05
    max_replications: int = 200


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``NAME:PATH=VALUE[,PATH=VALUE...]`` -> (name, overrides)."""
    match = VARIANT.match(text.strip())
    if not match:
        raise InputError(f"expected NAME:PATH=VALUE[,PATH=VALUE...], got {text!r}",
                         path="--variant")
    sets = [part.strip() for part in _split_settings(match["sets"]) if part.strip()]
    return match["name"].strip(), sets


def _split_settings(text: str) -> list[str]:
    """Split at commas that start a new PATH=VALUE, not inside brackets, braces or quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0 and SETTING_START.match(text, index + 1):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def alternatives_of(plan: Plan) -> list[tuple[str, str, str, Setup]]:
    """(label, kind, source, setup) of every alternative; the first is the reference."""
    chosen: list[tuple[str, str, str, Setup]] = []
    policies: list[str | None] = list(plan.policies) or [None]
    for source in policies:
        setup = prepare(plan.scenario, source, plan.overrides)
        chosen.append((_unique(setup.policy.name, chosen), "policy", setup.policy_source, setup))
    reference = chosen[0][3]
    for text in plan.variants:
        name, sets = parse_variant(text)
        setup = prepare(plan.scenario, reference.policy_source, [*plan.overrides, *sets])
        chosen.append((_unique(name, chosen), "variant", text, setup))
    if len(chosen) < 2:
        raise InputError("needs at least two alternatives: give two --policy, or a --variant",
                         path="--policy")
    return chosen


def _unique(label: str, taken: list[tuple[str, str, str, Setup]]) -> str:
    names = {entry[0] for entry in taken}
    candidate, number = label, 2
    while candidate in names:
        candidate, number = f"{label}#{number}", number + 1
    return candidate


def run_comparison(plan: Plan, progress: Progress | None = None
                   ) -> tuple[dict[str, Any], list[Alternative]]:
    """Run every alternative on common seeds; the comparison document and the runs."""
    chosen = alternatives_of(plan)
    results = [run_many(setup.scenario, setup.policy, replications=plan.replications,
                        seed=plan.seed, days=plan.days, workers=plan.workers,
                        progress=progress) for _, _, _, setup in chosen]
    alternatives = [Alternative(label, kind, source, setup.overrides, result)
                    for (label, kind, source, setup), result in zip(chosen, results, strict=True)]
    document = compare(alternatives)
    if plan.precision:
        _check_precision_kpis(plan, document)
        document = _until_precise(plan, alternatives, document, progress)
    document["scenario"] = {"name": chosen[0][3].scenario.name}
    return document, alternatives


def _check_precision_kpis(plan: Plan, document: dict[str, Any]) -> None:
    """Precision KPIs must be KPIs the runs produce (per-team ones included)."""
    for name in plan.precision_kpis:
        if name not in document["kpis"]:
            raise InputError(f"must be a KPI of the run such as roi or conversion_rate, got "
                             f"{name!r}", path="--precision-kpi")


def _until_precise(plan: Plan, alternatives: list[Alternative], document: dict[str, Any],
                   progress: Progress | None) -> dict[str, Any]:
    batch = max(plan.replications // 2, 2)
    while True:
        status = precision_status(document, plan.precision_kpis, plan.relative_half_width)
        done = all(s != "open" for per_kpi in status.values() for s in per_kpi.values())
        total = len(alternatives[0].result.replications)
        if done or total >= plan.max_replications:
            document["precision"] = {
                "kpis": plan.precision_kpis,
                "relative_half_width": plan.relative_half_width,
                "max_replications": plan.max_replications,
                "status": status,
                "stopped_because": "every chosen difference is resolved" if done
                else "the replication cap was reached",
            }
            return document
        step = min(batch, plan.max_replications - total)
        for alternative in alternatives:
            setup_result = alternative.result
            more = run_many(setup_result.scenario, setup_result.policy, replications=step,
                            seed=plan.seed, days=plan.days, workers=plan.workers,
                            progress=progress, first=total)
            setup_result.extend(more)
        document = compare(alternatives)


def write_comparison(out: Path, document: dict[str, Any], alternatives: list[Alternative]
                     ) -> None:
    """comparison.json, comparison.csv, and each alternative's run directory."""
    from sim.rundir import dumps, write_run

    folders = run_folders([alternative.label for alternative in alternatives])
    for entry in document["alternatives"]:
        entry["directory"] = folders[entry["label"]]
    for alternative in alternatives:
        write_run(out / folders[alternative.label], alternative.result,
                  list(alternative.overrides), alternative.source)
    write_text(out / "comparison.json", dumps(document))
    write_text(out / "comparison.csv", comparison_csv(document))


def run_folders(labels: list[str]) -> dict[str, str]:
    """A distinct, file-system-safe directory name for every label."""
    folders: dict[str, str] = {}
    for label in labels:
        base, number = safe_name(label), 2
        folder = base
        while folder in folders.values():
            folder, number = f"{base}-{number}", number + 1
        folders[label] = folder
    return folders


def comparison_csv(document: dict[str, Any]) -> str:
    """One row per scope, group, KPI and alternative, with the paired difference."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scope", "group", "kpi", "direction", "alternative", "mean", "ci_low",
                     "ci_high", "n", "diff_mean", "diff_ci_low", "diff_ci_high", "verdict",
                     "variance_reduction"])
    scopes = [("company", "", document["kpis"])]
    for attribute, scope in (("by_channel", "channel"), ("by_business_line", "business_line")):
        scopes += [(scope, group, table) for group, table in document[attribute].items()]
    for scope, group, table in scopes:
        for kpi, entry in table.items():
            for label, interval in entry["by_alternative"].items():
                diff = entry["differences"].get(label, {})
                writer.writerow([scope, group, kpi, entry["direction"], label,
                                 *(_cell(interval[k]) for k in ("mean", "ci_low", "ci_high")),
                                 interval["n"],
                                 *(_cell(diff.get(k)) for k in ("mean", "ci_low", "ci_high")),
                                 diff.get("verdict", "reference"),
                                 _cell(diff.get("variance_reduction"))])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else repr(round(float(value), 10))
