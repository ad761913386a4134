"""The suite's runner: every section is timed, and the timings reach the JSON document."""

from __future__ import annotations

import pytest

import benchmarks.__main__ as runner
from benchmarks.suite import QUICK, Plan, Report


def test_each_section_is_timed_into_the_json_document(monkeypatch: pytest.MonkeyPatch) -> None:
    def measure(plan: Plan, report: Report) -> None:
        report.put("leadops_vs_simpy", [0.7, 0.8, 0.9])

    def note(plan: Plan, report: Report) -> None:
        report.notes.append("nothing measured")

    monkeypatch.setattr(runner, "SECTIONS", [("measure", measure), ("note", note)])
    report, wall = runner.run(QUICK)
    document = runner.payload(report, QUICK, "quick", wall)

    assert list(document["section_seconds"]) == ["measure", "note"]
    assert all(seconds >= 0 for seconds in document["section_seconds"].values())
    assert sum(document["section_seconds"].values()) <= wall + 0.1
    assert document["leadops_vs_simpy"] == 0.8
    assert document["targets"]["leadops_vs_simpy"]["met"] is True
