"""``leadops backtest``: parse the holdout date, run the backtest, write its files.

The output directory gets ``backtest.json`` (every check and the verdict), ``backtest.csv``
(one row per group and metric) and ``calibrated.toml`` (the scenario fitted on the data
before the holdout), all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from crm.backtest import Backtest, backtest
from crm.reader import parse_time
from leadops.api import write_atomically_into
from leadops.atomic import write_text
from leadops.errors import InputError
from leadops.naming import safe_name
from policies import load_policy
from scenarios import load_scenario
from sim.rundir import dumps


def holdout_start(text: str) -> dt.datetime:
    """``--holdout-from``: an ISO date or date-time."""
    try:
        return parse_time(text.strip())
    except ValueError:
        raise InputError(f"must be an ISO 8601 date such as 2026-04-01, got {text!r}",
                         path="--holdout-from") from None


def run_backtest(scenario: str, leads: Path, holdout_from: str, *, policy: str | None,
                 replications: int, seed: int, activities: Path | None, spend: Path | None,
                 strict: bool, workers: int) -> Backtest:
    base = load_scenario(scenario)
    chosen = load_policy(policy or base.default_policy)
    return backtest(leads, base=base, base_name=scenario, policy=chosen,
                    holdout_from=holdout_start(holdout_from), replications=replications,
                    seed=seed, activities=activities, spend=spend, strict=strict,
                    workers=workers)


def default_out(leads: Path) -> Path:
    return Path("runs") / f"backtest-{safe_name(leads.stem)}"


def write_backtest(out: Path, result: Backtest) -> None:
    write_atomically_into(out, lambda: _write(out, result))


def _write(out: Path, result: Backtest) -> None:
    write_text(out / "calibrated.toml", result.calibration.toml)
    write_text(out / "backtest.csv", checks_csv(result))
    write_text(out / "backtest.json", dumps(document(result)))


def document(result: Backtest) -> dict[str, Any]:
    return {
        "holdout_from": result.holdout_from.isoformat(),
        "holdout_days": result.holdout_days,
        "warmup_days": result.warmup_days,
        "replications": result.replications,
        "credible_share": result.credible_share(),
        "verdict": result.verdict(),
        "checks": [check.as_row() for check in result.checks],
        "assumed": result.calibration.assumed,
    }


def checks_csv(result: Backtest) -> str:
    buffer = io.StringIO()
    rows = [check.as_row() for check in result.checks]
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
