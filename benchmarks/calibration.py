"""Memory and time of ``leadops calibrate`` on a large synthetic export.

``python -m benchmarks.calibration [--leads N]`` writes an N-lead export (a year, three
channels, one of them paid with varying spend) into a temporary folder, calibrates it in a
fresh child process and prints the child's peak resident memory and the calibration time.
Calibration streams the file into small tallies, so memory should stay flat in N.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.crm_export import TrueChannel, Truth, write_export, write_spend
from benchmarks.measure import peak_rss_mb
from scenarios.schema import DecayCurve

DAYS = 365
SHARES = (("seo", 0.5, 0.45), ("hotline", 0.3, 0.6), ("sem", 0.2, 0.3))
LINES = {"software": 0.65, "services": 0.35}
REGIONS = {"north": 0.45, "south": 0.3, "west": 0.25}


def truth_for(leads: int) -> Truth:
    per_day = leads / DAYS
    channels = tuple(TrueChannel(name, per_day * part, level, LINES, REGIONS,
                                 cost_per_lead=50.0 if name == "hotline" else None)
                     for name, part, level in SHARES)
    return Truth(channels=channels, decay=DecayCurve(), days=DAYS)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibration")
    parser.add_argument("--leads", type=int, default=200_000, help="Leads in the export.")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def calibrate_here(folder: Path) -> dict[str, float]:
    """The child's side: calibrate the export in ``folder`` and measure."""
    from crm.calibrate import calibrate
    from scenarios import load_scenario

    base = load_scenario("baseline")
    before = peak_rss_mb()
    started = time.perf_counter()
    result = calibrate(folder / "leads.csv", base=base, spend=folder / "spend.csv")
    seconds = time.perf_counter() - started
    (folder / "calibrated.toml").write_text(result.toml, encoding="utf-8")
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rss_before_mb": before,
            "leads": float(result.reports[0].kept)}


def measure(leads: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="calibration-bench-") as name:
        folder = Path(name)
        started = time.perf_counter()
        write_export(folder, truth_for(leads), seed=1)
        spend = [(f"2026-{m:02d}", "sem", 20_000.0 * (1 + m % 4)) for m in range(1, 13)]
        write_spend(folder, spend)
        written = time.perf_counter() - started
        done = subprocess.run([sys.executable, "-m", "benchmarks.calibration", "--child",
                               str(folder)], capture_output=True, text=True, check=True)
        found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        found["write_seconds"] = written
        found["file_mb"] = (folder / "leads.csv").stat().st_size / 2**20
        return found


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.child is not None:
        print(json.dumps(calibrate_here(args.child)))
        return
    found = measure(args.leads)
    print(f"calibrate {found['leads']:,.0f} leads ({found['file_mb']:.0f} MB leads.csv, "
          f"written in {found['write_seconds']:.1f} s): {found['seconds']:.1f} s, peak RSS "
          f"{found['peak_rss_mb']:.0f} MiB (after imports {found['rss_before_mb']:.0f} MiB)")


if __name__ == "__main__":
    main()
