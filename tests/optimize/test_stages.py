"""The stages after the search: who competes in the selection."""

from __future__ import annotations

from optimize_problems import REP_COST, staffing_plan

from optimize.plan import prepare_plan
from optimize.stages import Entry, distinct


def test_candidates_that_make_the_same_scenario_compete_once() -> None:
    prepared = prepare_plan(staffing_plan(overrides=[REP_COST, "teams.reps.headcount=3"]))
    entries = [Entry("baseline", None, {}),
               Entry("trial 0", None, {"teams.reps.headcount": 3}),
               Entry("trial 1", None, {"teams.reps.headcount": 5}),
               Entry("trial 2", None, {"teams.reps.headcount": 5})]

    assert [entry.label for entry in distinct(prepared, entries)] == ["baseline", "trial 1"]
