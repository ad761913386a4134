"""Timing and memory helpers: spreads of repeated figures, child runs, machine facts."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
"""The folder that holds ``benchmarks/``; child runs start there so they can import it."""

CHILD_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class Spread:
    """Median, lowest and highest of one figure over repeated runs."""

    median: float
    low: float
    high: float
    runs: int


def spread(values: list[float]) -> Spread | None:
    """The spread of the finite values, or None when there are none."""
    finite = [v for v in values if v == v and abs(v) != float("inf")]
    if not finite:
        return None
    return Spread(statistics.median(finite), min(finite), max(finite), len(finite))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    On Linux this is ``VmHWM``: the high-water mark of this program's own memory. The
    ``ru_maxrss`` of getrusage survives exec, so a child started from a large parent would
    report the parent's peak; it is the fallback where /proc is missing.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0 if sys.platform != "darwin" else kib / 1024.0 / 1024.0


@dataclass(frozen=True)
class ChildRun:
    """What one replication in a fresh process reported."""

    wall_seconds: float
    cpu_seconds: float
    leads: int
    sim_events: int
    logged_events: int
    rss_before_mb: float
    peak_rss_mb: float

    @property
    def seconds_per_lead(self) -> float:
        return self.wall_seconds / self.leads if self.leads else float("nan")

    @property
    def cpu_seconds_per_lead(self) -> float:
        return self.cpu_seconds / self.leads if self.leads else float("nan")

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.wall_seconds if self.wall_seconds > 0 else float("nan")

    @property
    def events_per_lead(self) -> float:
        return self.sim_events / self.leads if self.leads else float("nan")


@dataclass(frozen=True)
class ChildConfig:
    """One replication to play in a fresh process."""

    scenario: str
    seed: int
    days: int | None = None
    overrides: tuple[str, ...] = ()
    events_dir: Path | None = None

    def argv(self) -> list[str]:
        args = [sys.executable, "-m", "benchmarks.child", self.scenario, "--seed", str(self.seed)]
        if self.days is not None:
            args += ["--days", str(self.days)]
        for override in self.overrides:
            args += ["--set", override]
        if self.events_dir is not None:
            args += ["--events-dir", str(self.events_dir)]
        return args


def run_child(config: ChildConfig) -> ChildRun:
    """Play one replication in a new interpreter so its peak memory is its own."""
    done = subprocess.run(config.argv(), cwd=REPOSITORY, capture_output=True, text=True,
                          timeout=CHILD_TIMEOUT_SECONDS, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child {config} failed:\n{done.stderr.strip()}")
    return ChildRun(**json.loads(done.stdout))


def child_payload(run: ChildRun) -> str:
    return json.dumps(asdict(run))


def machine_info() -> dict[str, object]:
    """Where and when the figures were taken."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": _load_average(),
        "versions": {name: _version(name) for name in ("leadops", "simpy", "ciw", "numpy")},
        "commit": _commit(),
    }


def _load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> str | None:
    """The checked-out commit, read without git so nothing can be written."""
    head = REPOSITORY / ".git" / "HEAD"
    try:
        text = head.read_text().strip()
        if not text.startswith("ref: "):
            return text[:12]
        ref = REPOSITORY / ".git" / text.removeprefix("ref: ")
        return ref.read_text().strip()[:12] if ref.exists() else None
    except OSError:
        return None
