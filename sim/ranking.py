"""Performance ranking ("PK elimination"): periodic re-weighting of allocation by results.

Every ``period_days`` each sales team's reps are ranked on their record over the trailing
window (leads assigned, and leads they qualified or won), through the policy's pure
:func:`policies.assignment.pk_weights`, and the new weights steer weighted round robin.
How often each guardrail decided a weight is counted for the outputs.
"""

from __future__ import annotations

import bisect
from array import array
from typing import TYPE_CHECKING, Any

from policies.assignment import RepRecord, pk_weights
from sim.calendar import HOURS_PER_DAY
from sim.floor import Rep

if TYPE_CHECKING:
    from sim.model import LeadModel



class PerformanceRanking:
    """Runs the ranking when the policy's strategy is ``pk_ranking``."""

    def __init__(self, model: LeadModel):
        self.model = model
        self.env = model.env
        self.rules = model.policy.assignment.pk_ranking
        self.active = model.policy.assignment.strategy == "pk_ranking"

    def start(self) -> None:
        if self.active:
            self.env.process(self._every_period())

    def credit(self, rep: Rep | None, metric: str) -> None:
        """A lead of ``rep`` reached ``metric`` (qualified or won)."""
        if self.active and rep is not None and metric == self.rules.metric:
            rep.successes.append(self.env.now)

    def _every_period(self) -> Any:
        while True:
            yield self.env.timeout(self.rules.period_days * HOURS_PER_DAY)
            for team in self.model.floor:
                if not team.is_sdr and team.reps:
                    self.rank(team.reps)

    def rank(self, reps: list[Rep]) -> None:
        now, tally = self.env.now, self.model.tally
        since = now - self.rules.window_days * HOURS_PER_DAY
        records = [RepRecord(_recent(rep.assigned, since), _recent(rep.successes, since),
                             (now - rep.joined_at) / HOURS_PER_DAY) for rep in reps]
        ranking = pk_weights(records, self.rules)
        for rep, weight in zip(reps, ranking.weights, strict=True):
            rep.weight = weight
        tally.pk_rankings += 1
        tally.pk_unjudged += ranking.unjudged_small_sample
        tally.pk_ramping += ranking.ramping
        tally.pk_floored += ranking.floored
        tally.pk_reordered += ranking.reordered_by_shrinkage


def _recent(times: array[float], since: float) -> int:
    """Drop the times before ``since`` (the array is in time order) and count the rest."""
    del times[:bisect.bisect_left(times, since)]
    return len(times)
