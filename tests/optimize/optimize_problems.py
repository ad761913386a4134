"""Small optimization problems shared by the optimizer tests: the M/M/c+M queue of the
bundled ``mmc_patience`` scenario over a few days, with headcount as the decision."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from optimize.plan import Plan

REPOSITORY = Path(__file__).resolve().parents[2]
STAFFING_SPACE = REPOSITORY / "benchmarks" / "staffing_space.toml"
# 30 an hour per rep, as in the quality gate: Erlang-A puts the best headcount at 5.
REP_COST = "teams.reps.monthly_cost_per_head=21900"


def leadops_command() -> list[str]:
    """The leadops command line in a fresh interpreter (the test's import path included)."""
    return [sys.executable, "-c", "import sys; from leadops.cli import main; sys.exit(main())"]


def staffing_plan(**options: Any) -> Plan:
    """A plan on the staffing problem: 2 days of the M/M/c+M queue unless told otherwise."""
    settings: dict[str, Any] = {"space": str(STAFFING_SPACE), "overrides": [REP_COST],
                                "days": 2, "trials": 6, "final_replications": 3}
    settings.update(options)
    return Plan("mmc_patience", **settings)
