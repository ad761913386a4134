"""Customer success: won customers buy again and refer new leads.

A customer success team keeps up to ``headcount x accounts_per_manager`` accounts fully
covered; with more customers than that, the chances of repeat purchases and referrals
shrink in proportion. Without a team, nothing happens after the sale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.calendar import HOURS_PER_DAY
from sim.leads import Lead
from sim.metrics import REVENUE
from sim.streams import REFERRAL, REPEAT, lead_exponential, lead_uniform

if TYPE_CHECKING:
    from sim.model import LeadModel



class CustomerSuccessDesk:
    """Looks after won customers for the rest of the horizon."""

    def __init__(self, model: LeadModel):
        self.model = model
        self.env = model.env
        self.spec = model.scenario.customer_success
        names = model.channel_names
        channel = self.spec.referral_channel
        # A replayed history already holds the referral leads customers brought.
        replay = model.history is not None
        self.referral_channel = names.index(channel) if channel in names and not replay else -1
        self.customers = 0

    def coverage(self) -> float:
        """Share of customers the team can look after fully."""
        if self.spec.headcount == 0 or self.customers == 0:
            return 0.0 if self.spec.headcount == 0 else 1.0
        return min(1.0, self.spec.headcount * self.spec.accounts_per_manager / self.customers)

    def welcome(self, lead: Lead) -> None:
        """Take over a newly won customer."""
        if self.spec.headcount == 0:
            return
        self.customers += 1
        self._plan_repeat(lead, 1)
        if self.spec.referrals_per_customer_per_year > 0 and self.referral_channel >= 0:
            self._plan_referral(lead, 1)

    def _plan_repeat(self, lead: Lead, number: int) -> None:
        delay = lead_exponential(lead.key, REPEAT, 2 * number,
                                 self.spec.repeat_delay_days * HOURS_PER_DAY)
        self.env.timeout(delay).callbacks.append(lambda _: self._repeat(lead, number))

    def _repeat(self, lead: Lead, number: int) -> None:
        chance = self.spec.repeat_probability * self.coverage()
        if lead_uniform(lead.key, REPEAT, 2 * number + 1) >= chance:
            return
        model = self.model
        revenue = lead.deal_size * self.spec.repeat_value_share * model.margins[lead.business_line]
        model.tally.repeat_purchases += 1
        model.tally.repeat_revenue += revenue
        model.tally.add(model._day(), lead.channel, lead.business_line, REVENUE, revenue)
        if model.log:
            model.record(lead, "repeat_purchase", f"revenue={revenue:.2f}")
        self._plan_repeat(lead, number + 1)

    def _plan_referral(self, lead: Lead, number: int) -> None:
        mean = 365.0 / self.spec.referrals_per_customer_per_year * HOURS_PER_DAY
        delay = lead_exponential(lead.key, REFERRAL, 2 * number, mean)
        self.env.timeout(delay).callbacks.append(lambda _: self._refer(lead, number))

    def _refer(self, lead: Lead, number: int) -> None:
        if lead_uniform(lead.key, REFERRAL, 2 * number + 1) < self.coverage():
            self.model.tally.referral_leads += 1
            self.model.arrive(self.referral_channel)
        self._plan_referral(lead, number + 1)
