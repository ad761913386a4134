"""Activation campaigns: periodic messages to pooled leads; responders come back to life.

A campaign picks its audience from the public and/or grand pools (minimum score, time since
the last touch, business lines), best scores first. Each message is a touch and costs
money; it may make the customer opt out (more likely once over the touch limit), or win a
response whose chance grows with latent propensity and falls with staleness. A responder is
re-scored and routed again, marked as reactivated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policies.schema import Campaign
from sim import followup
from sim.calendar import HOURS_PER_DAY
from sim.leads import NEW, Lead, refined_score
from sim.pools import GRAND, PUBLIC
from sim.streams import OPT_OUT, RESCORE, RESPONSE, lead_uniform

if TYPE_CHECKING:
    from sim.model import LeadModel



class Activation:
    """Runs the policy's campaigns against the shared pools."""

    def __init__(self, model: LeadModel):
        self.model = model
        self.env = model.env
        self.facts = model.scenario.activation

    def start(self) -> None:
        for index, campaign in enumerate(self.model.policy.activation.campaigns):
            self.env.process(self._schedule(index, campaign))

    def _schedule(self, index: int, campaign: Campaign) -> Any:
        yield self.env.timeout(campaign.first_day * HOURS_PER_DAY)
        while True:
            self.send(index, campaign)
            yield self.env.timeout(campaign.every_days * HOURS_PER_DAY)

    def audience(self, campaign: Campaign) -> list[Lead]:
        """Who receives this send: eligible pooled leads, best scores first."""
        model, now = self.model, self.env.now
        lines = set(campaign.business_line or model.line_names)
        kinds = {PUBLIC, GRAND} if campaign.pool == "both" else {campaign.pool}
        quiet = campaign.min_days_since_touch * HOURS_PER_DAY
        chosen = [
            lead
            for pool in model.pools.values() if pool.kind in kinds
            for lead in pool.members
            if model.line_names[lead.business_line] in lines
            and lead.score >= campaign.min_score and now - lead.last_touch_at >= quiet
        ]
        chosen.sort(key=lambda lead: (-lead.score, lead.id))
        return chosen[:campaign.max_audience]

    def send(self, index: int, campaign: Campaign) -> None:
        model, tally = self.model, self.model.tally
        for lead in self.audience(campaign):
            lead.messages += 1
            tally.messages += 1
            tally.campaign_cost += self.facts.cost_per_message
            tally.add_campaign_cost(model._day(), lead, self.facts.cost_per_message)
            outcome = self._deliver(lead, campaign)
            if model.log:
                model.record(lead, "message", f"outcome={outcome} campaign={campaign.name}")

    def _deliver(self, lead: Lead, campaign: Campaign) -> str:
        """The customer reads the message: opts out, responds, or lets it pass."""
        if self.model.work.touch(lead, None) or self._opts_out(lead):
            return "opted_out"
        if lead_uniform(lead.key, RESPONSE, lead.messages) < self._response_chance(lead):
            self._reactivate(lead, campaign)
            return "responded"
        return "no_response"

    def _opts_out(self, lead: Lead) -> bool:
        """A message may make the customer opt out, far more likely once over the limit."""
        chance = self.facts.opt_out_rate
        if lead.harassed:
            chance = min(1.0, chance * self.facts.harassed_opt_out_multiplier)
        if lead_uniform(lead.key, OPT_OUT, 100_000 + int(lead.messages)) < chance:
            self.model.circulation.block(lead, "opted_out")
            return True
        return False

    def _response_chance(self, lead: Lead) -> float:
        curve = self.model.work.decay[lead.channel]
        since = max(lead.last_conversation_at, lead.arrived_at)
        stale = followup.staleness_factor(curve, (self.env.now - since) / HOURS_PER_DAY)
        return min(1.0, self.facts.response_scale * lead.propensity * stale)

    def _reactivate(self, lead: Lead, campaign: Campaign) -> None:
        model = self.model
        noise = model.scenario.classification.rescore_noise
        normal = followup.normal_from_uniform(lead_uniform(lead.key, RESCORE, lead.messages))
        lead.score = refined_score(lead.propensity, noise, normal)
        lead.grade = model.grade(lead.score)
        origin = model.place_of(lead)
        model.leave_pool(lead)
        lead.reactivated = True
        lead.attempts = lead.meetings = 0
        lead.stage = min(lead.stage, NEW + 1)
        lead.last_conversation_at = self.env.now
        model.tally.reactivated += 1
        model.tally.move(origin.split(":")[0], "routing", campaign.name)
        if model.log:
            model.record(lead, "reactivated", f"from={origin} campaign={campaign.name}")
        model.dispatch(lead)
