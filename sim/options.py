"""Run settings that are not part of the scenario or the policy.

They live apart from the compiled model (see ``sim/__init__.py``) because worker processes
receive them pickled, and a plain dataclass pickles as Python expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.history import History


@dataclass(frozen=True)
class ModelOptions:
    """Seed, replication number, horizon, event log and replayed history of one run."""

    seed: int = 0
    replication: int = 0
    days: int | None = None
    events: Path | None = None
    events_header: bool = True
    history: History | None = None  # replay real arrivals instead of simulating traffic
