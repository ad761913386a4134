"""Tiny scenarios whose trajectory is known exactly, for the pool and circulation tests.

The base scenario has one business line, one region, one organic channel that brings
nothing by chance (``leads_per_day = 0``), one sales team of two reps who work around the
clock, fixed one-hour attempts and meetings, no decay and no opt-outs. The base policy
makes one attempt per lead and turns every circulation rule off. Tests change single
fields with dotted paths, place leads themselves at chosen instants (with a chosen score
and propensity when it matters) and read the event log back.

A lead whose propensity is ``SURE`` on a team with ``connect_rate = 1`` and the ``CLOSERS``
settings qualifies, advances and wins with certainty; a lead with propensity ``NEVER`` is
never ready.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simpy

from leadops import api
from policies import Policy
from scenarios import Scenario
from scenarios.overrides import Override, apply_overrides
from sim.eventlog import read_csv_events
from sim.floor import Rep
from sim.leads import Lead
from sim.model import LeadModel, ModelOptions
from sim.runs import RunResult

SURE = 0.999
NEVER = 1e-9
ALWAYS_OPEN = {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start_hour": 0.0, "end_hour": 24.0}
ONE_HOUR = {"distribution": "fixed", "mean_minutes": 60.0}

Changes = dict[str, Any]

CHANNEL: dict[str, Any] = {
    "kind": "organic",
    "leads_per_day": 0.0,
    "quality": {"mean": 0.5, "concentration": 8.0},
    "business_lines": {"core": 1.0},
    "regions": {"r1": 1.0},
    "complexity": {"low": 1.0},
    "deal_size": {"median": 1000.0, "sigma": 0.0},
}

TEAM: dict[str, Any] = {
    "role": "telesales",
    "headcount": 2,
    "calendar": ALWAYS_OPEN,
    "attempt_minutes": ONE_HOUR,
    "meeting_minutes": ONE_HOUR,
    "connect_rate": 0.0,
    "skill_spread": 0.0,
    "private_pool_cap": 100,
    "attrition_per_year": 0.0,
    "vacancy_days": 1.0,
}

# A team that wins every lead of propensity SURE: certain connection, qualification
# (fit 2 doubles the chance), shows, advances and wins, with short sales cycles.
CLOSERS: Changes = {
    "connect_rate": 1.0,
    "meeting_show_rate": 1.0,
    "opportunity_rate": 1.0,
    "win_rate": 1.0,
    "complexity_fit": {"low": 2.0, "medium": 2.0, "high": 2.0},
    "cycle_days": {"to_opportunity": 0.01, "to_close": 0.01},
}

SCENARIO: dict[str, Any] = {
    "name": "tiny",
    "days": 10,
    "start_date": dt.date(2026, 1, 5),  # a Monday
    "regions": ["r1"],
    "business_lines": {"core": {"gross_margin": 0.5}},
    "decay": {"enabled": False},
    "experience": {"opt_out_per_excess_touch": 0.0},
    "crm": {"recycling": "realtime", "nightly_hour": 2.0},
    "channels": {"web": CHANNEL},
    "teams": {"sales": TEAM},
}

POLICY: dict[str, Any] = {
    "name": "tiny",
    "routing": {"rules": [{"name": "all", "team": "sales"}]},
    "follow_up": {"max_attempts": 1, "spacing_hours": [100.0]},
    "circulation": {
        "sla_hours": 1000.0,
        "sla_action": "alert",
        "no_follow_up_days": 0.0,
        "no_progress_days": 0.0,
        "unclaimed_days": 0.0,
        "max_cycles": 0,
        "daily_claim_limit": 0,
        "reclaim_cooldown_days": 0.0,
        "claim_delay_hours": 0.0,
    },
}


def with_changes(base: dict[str, Any], changes: Changes | None) -> dict[str, Any]:
    """A deep copy of ``base`` with dotted-path ``changes`` assigned."""
    return apply_overrides(base, [Override(path, value) for path, value in (changes or {}).items()])


def scenario(changes: Changes | None = None) -> Scenario:
    return Scenario.model_validate(with_changes(SCENARIO, changes))


def policy(changes: Changes | None = None) -> Policy:
    return Policy.model_validate(with_changes(POLICY, changes))


def team(**fields: Any) -> dict[str, Any]:
    """A sales team like the base one, with ``fields`` replaced."""
    return {**TEAM, **fields}


def channel(kind: str, **fields: Any) -> dict[str, Any]:
    """A channel like the base one, of another kind (no volume of its own)."""
    spec = {key: value for key, value in CHANNEL.items() if key != "leads_per_day"}
    return {**spec, "kind": kind, **fields}


@dataclass(frozen=True)
class Arrival:
    """A lead placed by the test: when, from which channel, for whom, with what scores."""

    hours: float
    label: str
    channel: str = "web"
    owner: str | None = None
    propensity: float | None = None
    score: float | None = None


class Tiny:
    """A tiny model with scripted arrivals and actions, logging events to ``tmp_path``."""

    def __init__(self, tmp_path: Path, scenario_changes: Changes | None = None,
                 policy_changes: Changes | None = None, *, days: int = 10, seed: int = 1):
        self.path = tmp_path / f"events-{len(list(tmp_path.glob('events-*.csv.gz')))}.csv.gz"
        self.model = LeadModel(scenario(scenario_changes), policy(policy_changes),
                               ModelOptions(seed=seed, days=days, events=self.path))
        self.leads: dict[str, Lead] = {}
        self.script: list[tuple[float, int, Callable[[], None]]] = []
        self._rows: list[dict[str, str]] | None = None

    # --- the script ---------------------------------------------------------------------

    def arrive(self, hours: float, label: str, *, channel: str = "web", owner: str | None = None,
               propensity: float | None = None, score: float | None = None) -> None:
        """A lead arrives at ``hours`` (routed, or straight to rep ``owner``)."""
        arrival = Arrival(hours, label, channel, owner, propensity, score)
        self.call(hours, lambda: self._arrive(arrival))

    def call(self, hours: float, action: Callable[[], None]) -> None:
        """Run ``action`` at ``hours``, after the arrivals and actions placed before it."""
        self.script.append((hours, len(self.script), action))

    def _arrive(self, arrival: Arrival) -> None:
        model = self.model
        index = model.channel_names.index(arrival.channel)
        factory = model.factories[arrival.channel]
        key, line, region, complexity, deal, propensity, score = factory.draw()
        if arrival.propensity is not None:
            propensity = arrival.propensity
        if arrival.score is not None:
            score = arrival.score
        factory.block.append((key, line, region, complexity, deal, propensity, score))
        owner = self.rep(arrival.owner) if arrival.owner else None
        self.leads[arrival.label] = model.arrive(index, owner=owner)

    def _play(self) -> Generator[simpy.Event, Any, None]:
        env = self.model.env
        for hours, _, action in sorted(self.script, key=lambda item: item[:2]):
            if hours > env.now:
                yield env.timeout(hours - env.now)
            action()

    def run(self) -> Tiny:
        """Play the script and the model to the horizon; the event log is then closed."""
        self.model.env.process(self._play())
        self.model.run()
        return self

    # --- reading back -------------------------------------------------------------------

    def lead(self, label: str) -> Lead:
        return self.leads[label]

    def rep(self, name: str) -> Rep:
        for floor in self.model.floor:
            for rep in floor.all_reps:
                if rep.name == name:
                    return rep
        raise KeyError(name)

    def rows(self) -> list[dict[str, str]]:
        if self._rows is None:
            self._rows = read_csv_events(self.path)
        return self._rows

    def events(self, label: str, event: str | None = None) -> list[tuple[float, str, str]]:
        """(time, event, detail) of one lead's rows, optionally of one event kind."""
        lead_id = str(self.leads[label].id)
        return [(float(row["time_hours"]), row["event"], row["detail"]) for row in self.rows()
                if row["lead_id"] == lead_id and (event is None or row["event"] == event)]

    def moves(self, label: str) -> list[tuple[float, str, str, str]]:
        """(time, origin, target, rule) of every move of one lead."""
        found = []
        for time, _, detail in self.events(label, "moved"):
            fields = dict(part.split("=", 1) for part in detail.split())
            found.append((time, fields["from"], fields["to"], fields["rule"]))
        return found

    def owner_of(self, label: str) -> str | None:
        owner = self.leads[label].owner
        return owner.name if isinstance(owner, Rep) else None

    def place_of(self, label: str) -> str:
        return self.model.place_of(self.leads[label])


def run_baseline(*overrides: str, days: int = 45, replications: int = 2, seed: int = 11
                 ) -> RunResult:
    """The bundled baseline with ``overrides``; runs are cached for the whole session."""
    key = (overrides, days, replications, seed)
    if key not in _BASELINE_RUNS:
        setup = api.prepare("baseline", None, list(overrides))
        _BASELINE_RUNS[key] = api.simulate(setup, replications=replications, seed=seed,
                                           days=days)
    return _BASELINE_RUNS[key]


_BASELINE_RUNS: dict[tuple[Any, ...], RunResult] = {}


def kpi(result: RunResult, name: str) -> float:
    value = result.kpis()[name]["mean"]
    assert value is not None, f"KPI {name} has no value"
    return float(value)


def moves(result: RunResult, pattern: str) -> int:
    """Moves over all replications whose 'origin->target:rule' key contains ``pattern``."""
    return sum(count for r in result.replications for key, count in r.moves.items()
               if pattern in key)


EXOGENOUS = ("organic", "paid")


def exogenous_leads(result: RunResult) -> list[dict[str, float | None]]:
    """Leads per exogenous channel (organic and paid) of every replication."""
    kinds = {name: spec.kind for name, spec in result.scenario.channels.items()}
    return [{name: values["leads"] for name, values in r.by_channel.items()
             if kinds[name] in EXOGENOUS} for r in result.replications]
