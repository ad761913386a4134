"""Same inputs and seed give the same output; policies on one seed share their leads.

Covers the randomness contract of the design: one seed per run, streams by purpose, so a
run is reproducible in any process (whatever the hash seed or the number of workers), and
two policies run on one seed see identical arrivals (common random numbers).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from leadops import api
from sim.replication import ReplicationResult
from sim.runs import RunResult

SEED = 17
DAYS = 10
CLI = "import sys; from leadops.cli import main; sys.exit(main(sys.argv[1:]))"
# Lead ids number all arrivals in order, endogenous ones included, so they are left out.
ARRIVAL_FIELDS = ("replication", "time_hours", "channel", "business_line", "region", "grade",
                  "detail")
RUN_FILES = ("summary.json", "replications.csv", "timeseries.csv", "pools.csv")
# Referral leads come from won customers and outbound leads from reps' prospecting, so
# their number depends on the policy; common random numbers hold for the other channels.
EXOGENOUS_KINDS = ("organic", "paid")


def _assert_same_replication(first: ReplicationResult, second: ReplicationResult) -> None:
    """Every field equal: KPIs, breakdowns, census, reasons, counts and the daily series."""
    for field in dataclasses.fields(ReplicationResult):
        one, other = getattr(first, field.name), getattr(second, field.name)
        if isinstance(one, np.ndarray):
            assert np.array_equal(one, other), field.name
        else:
            assert one == other, field.name


def _assert_same_run(first: RunResult, second: RunResult) -> None:
    assert len(first.replications) == len(second.replications)
    for one, other in zip(first.replications, second.replications, strict=True):
        _assert_same_replication(one, other)


def _read_bytes(directory: Path) -> dict[str, bytes]:
    """Every file of a run directory, which holds at least the core files."""
    files = {path.name: path.read_bytes() for path in directory.iterdir()}
    assert set(RUN_FILES) <= set(files)
    return files


# (a) same inputs, same seed ----------------------------------------------------------------


def test_same_inputs_and_seed_give_identical_results() -> None:
    setup = api.prepare("baseline")

    first = api.simulate(setup, replications=2, seed=SEED, days=DAYS)
    second = api.simulate(api.prepare("baseline"), replications=2, seed=SEED, days=DAYS)

    _assert_same_run(first, second)
    assert first.kpis() == second.kpis()


def _channel_leads(result: ReplicationResult) -> dict[str, float | None]:
    return {name: kpis["leads"] for name, kpis in result.by_channel.items()}


def test_another_seed_gives_other_leads() -> None:
    setup = api.prepare("baseline")
    first = api.simulate(setup, replications=1, seed=SEED, days=DAYS)
    second = api.simulate(setup, replications=1, seed=SEED + 1, days=DAYS)
    # Per channel: the company totals of two seeds can tie by chance (they do for 17, 18).
    assert _channel_leads(first.replications[0]) != _channel_leads(second.replications[0])


def test_replications_differ_from_each_other() -> None:
    run = api.simulate(api.prepare("baseline"), replications=2, seed=SEED, days=DAYS)
    first, second = run.replications
    assert first.kpis != second.kpis


def test_a_replication_does_not_depend_on_how_many_run() -> None:
    setup = api.prepare("baseline")
    short = api.simulate(setup, replications=2, seed=SEED, days=DAYS)
    longer = api.simulate(setup, replications=3, seed=SEED, days=DAYS)
    for one, other in zip(short.replications, longer.replications[:2], strict=True):
        _assert_same_replication(one, other)


# (b) separate processes with different hash seeds ------------------------------------------


def _cli_run(out: Path, hash_seed: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    command = [sys.executable, "-c", CLI, "run", "mmc", "--days", str(DAYS), "-n", "2", "-q",
               "-o", str(out)]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def test_run_directory_is_byte_identical_across_processes_and_hash_seeds(
    tmp_path: Path,
) -> None:
    outs = [tmp_path / "first", tmp_path / "second"]
    processes = [_cli_run(out, seed, tmp_path) for out, seed in zip(outs, ("1", "4242"),
                                                                      strict=True)]
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()

    first, second = (_read_bytes(out) for out in outs)

    assert first == second
    assert b'"first_contact_hours_mean"' in first["summary.json"]


# (c) worker processes ------------------------------------------------------------------------


def test_two_workers_give_exactly_the_serial_results(tmp_path: Path) -> None:
    setup = api.prepare("baseline")

    serial = api.run_to_directory(setup, tmp_path / "serial", replications=3, seed=SEED,
                                  days=DAYS, workers=1)
    parallel = api.run_to_directory(setup, tmp_path / "parallel", replications=3, seed=SEED,
                                    days=DAYS, workers=2)

    _assert_same_run(serial, parallel)
    assert _read_bytes(tmp_path / "serial") == _read_bytes(tmp_path / "parallel")


# (d) common random numbers -------------------------------------------------------------------


def _exogenous(setup: api.Setup) -> set[str]:
    return {name for name, channel in setup.scenario.channels.items()
            if channel.kind in EXOGENOUS_KINDS}


def _arrivals(path: Path, channels: set[str]) -> list[tuple[Any, ...]]:
    table = pq.read_table(path, columns=["event", *ARRIVAL_FIELDS])
    rows = table.to_pylist()
    return [tuple(row[name] for name in ARRIVAL_FIELDS) for row in rows
            if row["event"] == "arrived" and row["channel"] in channels]


def _other_events(path: Path) -> list[tuple[Any, ...]]:
    rows = pq.read_table(path).to_pylist()
    return [tuple(row.values()) for row in rows if row["event"] != "arrived"]


@pytest.mark.parametrize(
    "variant",
    [
        'policy.assignment.strategy="least_loaded"',
        "policy.follow_up.max_attempts=2",
    ],
)
def test_two_policies_on_one_seed_see_identical_arrivals(tmp_path: Path, variant: str
                                                         ) -> None:
    base = api.prepare("baseline", "default")
    other = api.prepare("baseline", "default", [variant])
    assert base.policy != other.policy

    base_run = api.run_to_directory(base, tmp_path / "base", replications=2, seed=SEED,
                                    days=DAYS, events=True)
    other_run = api.run_to_directory(other, tmp_path / "other", replications=2, seed=SEED,
                                     days=DAYS, events=True)
    base_log, other_log = tmp_path / "base/events.parquet", tmp_path / "other/events.parquet"
    exogenous = _exogenous(base)

    arrivals = _arrivals(base_log, exogenous)
    assert len(arrivals) == sum(leads or 0.0 for r in base_run.replications
                                for name, leads in _channel_leads(r).items()
                                if name in exogenous)
    assert arrivals and arrivals == _arrivals(other_log, exogenous)
    for first, second in zip(base_run.replications, other_run.replications, strict=True):
        assert {name: leads for name, leads in _channel_leads(first).items()
                if name in exogenous} \
            == {name: leads for name, leads in _channel_leads(second).items()
                if name in exogenous}
    # The policies really act differently on those leads.
    assert _other_events(base_log) != _other_events(other_log)


def test_a_new_channel_leaves_the_other_channels_leads_alone() -> None:
    extra = [
        'channels.trade_fair.kind="organic"',
        "channels.trade_fair.leads_per_day=15.0",
        "channels.trade_fair.quality.mean=0.3",
        "channels.trade_fair.business_lines.software=1.0",
        "channels.trade_fair.regions.north=1.0",
        "channels.trade_fair.deal_size.median=10000.0",
    ]
    setup = api.prepare("baseline")
    exogenous = _exogenous(setup)
    base = api.simulate(setup, replications=2, seed=SEED, days=DAYS)
    grown = api.simulate(api.prepare("baseline", None, extra), replications=2, seed=SEED,
                         days=DAYS)
    for first, second in zip(base.replications, grown.replications, strict=True):
        assert (second.by_channel["trade_fair"]["leads"] or 0.0) > 0.0
        for name in exogenous:
            assert second.by_channel[name]["leads"] == first.by_channel[name]["leads"]


# (e) identical policies -----------------------------------------------------------------------


def test_identical_policies_differ_by_exactly_zero_in_every_kpi() -> None:
    base = api.prepare("baseline", "default")
    renamed = api.prepare("baseline", "default",
                          ['policy.name="default-copy"',
                           'policy.assignment.strategy="round_robin"'])
    assert renamed.policy.name != base.policy.name

    first = api.simulate(base, replications=2, seed=SEED, days=DAYS)
    second = api.simulate(renamed, replications=2, seed=SEED, days=DAYS)

    for one, other in zip(first.replications, second.replications, strict=True):
        for name, value in one.kpis.items():
            paired = other.kpis[name]
            if value is None:
                assert paired is None, name
            else:
                assert paired is not None and paired - value == 0.0, name
        _assert_same_replication(one, other)
