"""10. Assumptions: the scenario, the policy and everything needed to reproduce the figures."""

from __future__ import annotations

import hashlib
import json
import shlex
from typing import Any

from leadops import __version__
from reports.blocks import Section, Table, Text
from reports.loading import RunData, Source
from reports.policydiff import flatten


def build(source: Source) -> Section | None:
    section = Section("assumptions", "Assumptions and reproduction")
    run = source.run
    if run is not None:
        section.add(_reproduction(run, source),
                    Text("Reproduce the run with the command below; the scenario is named as "
                         "in the run, so give its file path when it is not a bundled one.",
                         "note"),
                    Text(_command(run), "code"))
        inputs = run.summary.get("inputs") or {}
        for kind in ("scenario", "policy"):
            definition = inputs.get(kind)
            if isinstance(definition, dict):
                section.add(_definition(kind, definition))
        if not inputs:
            section.add(Text("This run directory does not record its scenario and policy "
                             "definitions (written by an older leadops); the names and the "
                             "scenario sha256 above identify them.", "note"))
    if source.optimization is not None:
        section.add(Table("optimize_files", "Optimization files read",
                          ["file", "present"], _optimize_files(source)))
    section.add(Text(f"Report written by leadops {__version__} from {source.kind} directory "
                     f"{source.directory.name}.", "note"))
    return section


def _reproduction(run: RunData, source: Source) -> Table:
    summary = run.summary
    scenario, policy = summary.get("scenario", {}), summary.get("policy", {})
    rows = [
        ["scenario", str(scenario.get("name", ""))],
        ["scenario sha256", str(scenario.get("sha256", ""))],
        ["scenario definition check", _check(run)],
        ["policy", f"{policy.get('name', '')} (from {policy.get('source', '?')})"],
        ["seed", str(summary.get("seed", ""))],
        ["replications", str(summary.get("replications", ""))],
        ["days", str(summary.get("days", ""))],
        ["currency", str(summary.get("currency", ""))],
        ["overrides", ", ".join(summary.get("overrides") or []) or "none"],
        ["software", f"leadops {(summary.get('software') or {}).get('leadops', 'unknown')}"],
    ]
    if source.comparison is not None:
        rows.append(["compared alternatives", ", ".join(source.comparison.labels)])
    return Table("reproduction", "What produced these figures", ["item", "value"], rows)


def _check(run: RunData) -> str:
    definition = (run.summary.get("inputs") or {}).get("scenario")
    if not isinstance(definition, dict):
        return "not recorded"
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    if digest == run.summary.get("scenario", {}).get("sha256"):
        return "the definition below hashes to this sha256"
    return "the definition below was rounded to 12 digits when written, so its hash differs"


def _command(run: RunData) -> str:
    summary = run.summary
    parts = ["leadops", "run", str(summary.get("scenario", {}).get("name", "SCENARIO")),
             "--policy", str(summary.get("policy", {}).get("source", "POLICY")),
             "--replications", str(summary.get("replications", "")),
             "--seed", str(summary.get("seed", "")), "--days", str(summary.get("days", ""))]
    for override in summary.get("overrides") or []:
        parts += ["--set", str(override)]
    return " ".join(shlex.quote(part) for part in parts)


def _definition(kind: str, definition: dict[str, Any]) -> Table:
    rows = [[path, _show(value)] for path, value in flatten(definition).items()]
    return Table(f"{kind}_definition", f"The {kind}, field by field", ["field", "value"], rows,
                 collapsed=True)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else "(empty)"
    return "(unset)" if value is None else str(value)


def _optimize_files(source: Source) -> list[list[str]]:
    from reports.loading import OPTIMIZE_FILES

    return [[name, "yes" if (source.directory / name).exists() else "no"]
            for name in OPTIMIZE_FILES]
