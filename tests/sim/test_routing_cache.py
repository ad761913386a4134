"""The model's route cache: leads that differ only inside a deal-size band share a route.

The bundled ``default`` policy sends deals of 80,000 and more to key accounts, so its
routes depend on the deal size; the cache keys them by the band between routing limits.
Every cached answer must be the one the policy's ``route`` gives for the lead itself.
"""

from __future__ import annotations

import itertools

from leadops import api
from policies import LeadView, route
from sim.leads import Lead
from sim.model import COMPLEXITY_NAMES, LeadModel, ModelOptions


def test_cached_routes_match_the_policy_on_both_sides_of_every_deal_size_limit() -> None:
    setup = api.prepare("baseline")
    model = LeadModel(setup.scenario, setup.policy, ModelOptions(seed=1, days=1))
    assert model.deal_limits == [80000.0]
    deals = (1000.0, 79999.99, 80000.0, 80000.01, 250000.0, 5000.0)
    grades = ("A", "C")
    checked = 0
    for number, (deal, grade, complexity, skip) in enumerate(
            itertools.product(deals, grades, (0, 2), (False, True))):
        lead = Lead(number, number, 0, 0.0)
        lead.deal_size, lead.grade, lead.complexity = deal, grade, complexity
        view = LeadView(grade, model.channel_names[0], model.line_names[0],
                        setup.scenario.regions[0], COMPLEXITY_NAMES[complexity], deal)
        expected = route(setup.policy.routing, view)
        got = model.route_of(lead, skip_sdr=skip)
        assert (got.rule, got.team) == (expected.rule, expected.team)
        assert got.sdr == (expected.sdr and not skip)
        checked += 1
    assert checked == 48
    teams = {model.route_of(_lead(deal)).team for deal in (79999.99, 80000.0)}
    assert teams == {"key_account", "telesales"}


def _lead(deal: float) -> Lead:
    lead = Lead(0, 0, 0, 0.0)
    lead.deal_size, lead.grade = deal, "A"
    return lead
