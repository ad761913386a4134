"""Glue of ``leadops replay``: read the history, replay it, write the run directory.

The run directory is the one ``leadops run`` writes, plus ``history.json`` with the figures
of the history itself over the same period, so that "as it happened" and "replayed under the
policy" sit side by side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.replay import LoadedHistory, load_history, replay_scenario, unknown_names_text
from leadops import api
from leadops.atomic import write_text
from leadops.errors import InputError
from sim.runs import Progress, RunResult
from sim.stats import Interval, t_interval

HISTORY_FILE = "history.json"
MAX_DAYS = 3660

# The rows of the side-by-side table: (label, key in history.json, replayed KPI).
COMPARED = (
    ("leads", "leads", "leads"),
    ("won", "won", "won"),
    ("conversion_rate", "conversion_rate", "conversion_rate"),
    ("revenue (first deals)", "revenue", "first_deal_revenue"),
    ("first_contact_hours_p50", "first_contact_hours_p50", "first_contact_hours_p50"),
    ("days_to_win_p50", "days_to_win_p50", "days_to_win_p50"),
)


@dataclass
class PreparedReplay:
    """A loaded history and the setup it is replayed on."""

    setup: api.Setup
    loaded: LoadedHistory

    def read_summary(self) -> list[str]:
        """What reading found: the reader's summary, then names the scenario lacks."""
        return [self.loaded.report.summary(),
                *unknown_names_text(self.loaded.unknown, self.setup.scenario)]


def prepare(leads: Path, scenario: str | None, policy: str, *, strict: bool = False,
            base: str = "baseline") -> PreparedReplay:
    """Load scenario and policy, read ``leads`` against the scenario, move it to the period.

    Without a scenario, the company is fitted to ``leads`` itself with ``leadops calibrate``
    over ``base`` (which gives what an export cannot show: teams, calendars, costs).
    """
    base_setup = api.prepare(scenario, policy) if scenario is not None else \
        _fitted_setup(leads, policy, base, strict)
    return _on_history(leads, base_setup, strict)


def _fitted_setup(leads: Path, policy: str, base: str, strict: bool) -> api.Setup:
    from crm.calibrate import calibrate
    from policies import check_fits, load_policy
    from scenarios import load_scenario

    fitted = calibrate(leads, base=load_scenario(base), base_name=base, strict=strict).scenario
    chosen = load_policy(policy)
    check_fits(chosen, fitted)
    return api.Setup(fitted, chosen, (), policy)


def _on_history(leads: Path, base: api.Setup, strict: bool) -> PreparedReplay:
    loaded = load_history(leads, base.scenario, strict=strict)
    if loaded.history.days > MAX_DAYS:
        raise InputError(f"spans {loaded.history.days:,} days ({loaded.start:%Y-%m-%d} to "
                         f"{loaded.end:%Y-%m-%d}); replay handles at most {MAX_DAYS}",
                         file=str(leads))
    moved = replay_scenario(base.scenario, loaded.history)
    setup = api.Setup(moved, base.policy, base.overrides, base.policy_source)
    return PreparedReplay(setup, loaded)


def replay_to_directory(prepared: PreparedReplay, out: Path, *, replications: int = 5,
                        seed: int = 1, workers: int = 1, events: bool = False,
                        progress: Progress | None = None) -> RunResult:
    """Replay the history and write the run directory with ``history.json``."""
    history = prepared.loaded.history
    result = api.run_to_directory(prepared.setup, out, replications=replications, seed=seed,
                                  days=history.days, workers=workers, events=events,
                                  progress=progress, history=history)
    document = prepared.loaded.document(prepared.setup.scenario)
    write_text(out / HISTORY_FILE, json.dumps(document, indent=2) + "\n")
    return result


def side_by_side(prepared: PreparedReplay, result: RunResult) -> list[tuple[str, Any, Interval]]:
    """(label, as it happened, replayed interval) for the headline figures."""
    happened = prepared.loaded.figures.overall.as_dict()
    replayed = result.kpis()
    replayed["first_deal_revenue"] = t_interval([
        _difference(r.kpis.get("revenue"), r.kpis.get("repeat_revenue"))
        for r in result.replications])
    return [(label, happened[own], replayed[kpi]) for label, own, kpi in COMPARED
            if kpi in replayed]


def _difference(total: float | None, part: float | None) -> float | None:
    if total is None:
        return None
    return total - (part or 0.0)
