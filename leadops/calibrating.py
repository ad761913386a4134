"""The ``leadops calibrate`` command's glue: load the base, fit, write, print a summary."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from crm.calibrate import Calibration, calibrate, grouped_paths
from crm.fit import Estimate
from leadops import console
from leadops.atomic import write_text
from leadops.errors import InputError
from scenarios import load_scenario

MAIN_FIELDS = (
    "leads_per_day", "monthly_spend", "max_leads_per_day", "half_saturation_spend",
    "quality.mean", "deal_size.median", "fast_half_life_hours", "fast_weight",
    "slow_half_life_hours", "floor", "connect_rate", "opportunity_rate", "win_rate",
    "to_opportunity", "to_close",
)


def run(leads: Path, *, activities: Path | None, spend: Path | None, base: str, strict: bool,
        out: Path) -> Calibration:
    """Fit, then write ``out`` atomically; nothing is written when anything fails."""
    if out.is_dir():
        raise InputError("must be a file name, but a directory of that name exists",
                         file=str(out), path="--out")
    scenario = load_scenario(base)
    calibration = calibrate(leads, base=scenario, base_name=base, activities=activities,
                            spend=spend, strict=strict)
    write_text(out, calibration.toml)
    return calibration


def show(calibration: Calibration, out: Path) -> None:
    """The read summaries, the main fitted values and the assumed fields."""
    for report in calibration.reports:
        console.say(report.summary())
    Console(highlight=False).print(main_table(calibration.fitted))
    console.say(f"assumed, not fitted ({len(calibration.assumed)} fields):")
    for line in grouped_paths(calibration.assumed):
        console.say(f"  {line}")
    console.say(f"wrote {out}")


def main_table(fitted: list[Estimate]) -> Table:
    table = Table(title="main fitted values (95% intervals)", title_justify="left")
    table.add_column("field", overflow="fold")
    for column in ("estimate", "95% interval", "n"):
        table.add_column(column, justify="right", no_wrap=True)
    for estimate in fitted:
        if estimate.path.endswith(MAIN_FIELDS):
            table.add_row(estimate.path, console.fmt(estimate.estimate),
                          f"{console.fmt(estimate.ci_low)} .. {console.fmt(estimate.ci_high)}",
                          f"{estimate.n:,}")
    return table
