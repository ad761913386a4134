"""Running one replication and packing its results as plain data."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leadops.errors import InvariantError
from policies import Policy
from scenarios import Scenario
from sim.arrivals import DAYS_PER_MONTH, monthly_cost
from sim.metrics import CHANNEL_COST, Money, breakdowns, group_kpis, kpis
from sim.model import LeadModel, ModelOptions
from sim.monitoring import EarlyWarning, Flow, evaluate

Kpis = dict[str, float | None]


@dataclass
class ReplicationResult:
    """What one replication produced: KPIs, breakdowns, daily series and the census."""

    replication: int
    kpis: Kpis
    by_channel: dict[str, Kpis]
    by_business_line: dict[str, Kpis]
    series: np.ndarray  # [day, channel, business line, column]
    census: dict[str, int]
    lost: dict[str, int] = field(default_factory=dict)
    moves: dict[str, int] = field(default_factory=dict)
    pools: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))  # [day, pool]
    public_pools: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))  # [day, line]
    by_delay: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # [bucket, count]
    warnings: list[EarlyWarning] = field(default_factory=list)
    sim_events: int = 0
    logged_events: int = 0


def run_replication(scenario: Scenario, policy: Policy, options: ModelOptions
                    ) -> ReplicationResult:
    """Build the model, play the horizon, check conservation, and summarise.

    The model's objects refer to one another in cycles (a lead and its pool, a rep and its
    team), so reference counting alone does not free a finished model. The collector rests
    from before the model is built until after it is summarised, so when it resumes every
    object the model made is still in its young generation, and one pass over that
    generation, made here at once, frees the model. A model that outlived the pause would be
    promoted to the older generations and held until a rare full pass: a process playing
    replication after replication then kept several dead models.
    """
    with _quiet_collector():
        result = _replicate(scenario, policy, options)
    if gc.isenabled():
        gc.collect(0)
    return result


def _replicate(scenario: Scenario, policy: Policy, options: ModelOptions) -> ReplicationResult:
    model = LeadModel(scenario, policy, options)
    model.run()
    census = model.census()
    check_conservation(census)
    money = _money(model)
    cells, _ = breakdowns(model.tally, money)
    series = model.tally.series_array()
    _fill_channel_cost(series, scenario, model)
    pools = np.asarray(model.tally.pool_days, dtype=float)
    public_pools = np.asarray(model.tally.public_days, dtype=float)
    flow = Flow(series, pools, public_pools, model.channel_names, model.line_names)
    warnings = evaluate(scenario.monitoring, flow, scenario.start_date)
    return ReplicationResult(
        replication=options.replication,
        kpis=kpis(model.tally, money, len(warnings)),
        by_channel={name: group_kpis(cells[i]) for i, name in enumerate(model.channel_names)},
        by_business_line={name: group_kpis(cells[:, i])
                          for i, name in enumerate(model.line_names)},
        series=series,
        census=census,
        lost=dict(sorted(model.tally.lost.items())),
        moves=dict(sorted(model.tally.moves.items())),
        pools=pools,
        public_pools=public_pools,
        by_delay=np.asarray(model.tally.by_delay, dtype=float),
        warnings=warnings,
        sim_events=_simpy_event_count(model),
        logged_events=model.log.count if model.log else 0,
    )


PLACES = ("won", "lost", "public", "grand", "blocked", "in_work")


@contextlib.contextmanager
def _quiet_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector while a replication runs.

    Live leads are long-lived objects, and every collection walks the young objects that
    point at them: at ten times the volume the collections took 6-7% of the run, against
    under 1% at 1x. A running model makes no garbage cycles (a test plays every bundled
    scenario and finds none), so nothing piles up while the collector rests. Its previous
    state is restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_conservation(census: dict[str, int]) -> None:
    """arrived = won + lost + every pool + in work, and the counters agree with the queues."""
    accounted = sum(census[place] for place in PLACES)
    if accounted != census["arrived"] or census["in_work"] != census["in_work_counted"]:
        raise InvariantError(f"leads were not conserved: {census}")


def _money(model: LeadModel) -> Money:
    months = model.days / DAYS_PER_MONTH
    channel_cost = np.array([monthly_cost(c) * months for c in model.scenario.channels.values()])
    by_team = {name: team.headcount * team.monthly_cost_per_head * months
               for name, team in model.scenario.teams.items()}
    success = model.scenario.customer_success
    by_team["customer_success"] = success.headcount * success.monthly_cost_per_head * months
    return Money(channel_cost, sum(by_team.values()), by_team)


def _fill_channel_cost(series: np.ndarray, scenario: Scenario, model: LeadModel) -> None:
    """Spread each channel's daily cost over business lines by their share of its leads."""
    leads = series[..., 0].sum(axis=0)  # [channel, line]
    for index, channel in enumerate(scenario.channels.values()):
        total = leads[index].sum()
        share = leads[index] / total if total > 0 else np.full(leads.shape[1], 1 / leads.shape[1])
        series[:, index, :, CHANNEL_COST] = monthly_cost(channel) / DAYS_PER_MONTH * share


def _simpy_event_count(model: LeadModel) -> int:
    counter: Any = getattr(model.env, "_eid", None)
    return int(next(counter)) if counter is not None else 0
