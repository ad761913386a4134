"""``leadops replay``: a run directory plus history.json, and errors that name the row."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

from leadops.cli import main

CHANNELS = ("seo", "website_chat", "hotline", "sem", "events", "partner_referral", "referral",
            "outbound")
HEADER = ("lead_id,created_at,channel,business_line,region,complexity,score,first_contact_at,"
          "won_at,deal_value\n")
START = dt.datetime(2026, 4, 6, 8)
LEADS = 240


def history_file(path: Path, leads: int = LEADS, days: float = 9.0) -> Path:
    """A small CRM export on the baseline's names, some attributes left empty."""
    rng = random.Random(5)
    rows = [HEADER]
    for number in range(leads):
        created = START + dt.timedelta(hours=rng.uniform(0.0, 24.0 * days))
        contact = created + dt.timedelta(hours=rng.expovariate(0.25))
        won = rng.random() < 0.1
        rows.append(",".join([
            f"CRM-{number:04d}", created.isoformat(timespec="seconds"), rng.choice(CHANNELS),
            rng.choice(("software", "services")), rng.choice(("north", "south", "west", "")),
            rng.choice(("low", "medium", "high", "")),
            f"{rng.random():.3f}" if rng.random() < 0.7 else "",
            contact.isoformat(timespec="seconds"),
            (created + dt.timedelta(days=rng.uniform(3, 12))).isoformat(timespec="seconds")
            if won else "",
            f"{rng.lognormvariate(10, 0.5):.0f}" if won else "",
        ]) + "\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path


def replay(tmp_path: Path, policy: str, *extra: str, leads: Path | None = None) -> Path:
    out = tmp_path / f"replay-{policy}"
    source = leads or history_file(tmp_path / "leads.csv")
    code = main(["replay", str(source), "--policy", policy, "--scenario", "baseline", "-n",
                 "2", "--seed", "3", "-q", "--events", "-o", str(out), *extra])
    assert code == 0
    return out


def arrivals(run_dir: Path) -> list[tuple[Any, ...]]:
    import pyarrow.parquet as pq

    rows = pq.read_table(run_dir / "events.parquet").to_pylist()
    return [(r["replication"], r["time_hours"], r["channel"], r["business_line"], r["region"])
            for r in rows if r["event"] == "arrived"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("replay")
    leads = history_file(base / "leads.csv")
    return {policy: replay(base, policy, leads=leads) for policy in ("default", "speed_first")}


def test_replay_writes_a_run_directory_and_the_history(runs: dict[str, Path]) -> None:
    out = runs["default"]
    assert {"summary.json", "replications.csv", "timeseries.csv", "history.json",
            "events.parquet"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text())
    history = json.loads((out / "history.json").read_text())
    assert summary["kpis"]["leads"] == {"mean": LEADS, "ci_low": LEADS, "ci_high": LEADS,
                                        "n": 2}
    assert summary["inputs"]["scenario"]["start_date"] == "2026-04-06"
    assert summary["days"] == history["period"]["hours"] // 24 + 1
    assert history["kpis"]["leads"] == LEADS and history["rows"]["used"] == LEADS
    assert history["kpis"]["won"] == sum(g["won"] for g in history["by_channel"].values())
    assert set(history["by_business_line"]) == {"software", "services"}
    assert history["kpis"]["first_contact_hours_p50"] > 0
    assert summary["kpis"]["referral_leads"]["mean"] == 0  # in the file already


def test_a_policy_changes_outcomes_but_not_arrivals(runs: dict[str, Path]) -> None:
    default, fast = (json.loads((runs[p] / "summary.json").read_text())["kpis"]
                     for p in ("default", "speed_first"))
    assert arrivals(runs["default"]) == arrivals(runs["speed_first"])
    assert len(arrivals(runs["default"])) == 2 * LEADS
    assert default["first_contact_hours_p50"] != fast["first_contact_hours_p50"]
    assert default["won"] != fast["won"] or default["revenue"] != fast["revenue"]


def test_the_same_seed_gives_identical_files(tmp_path: Path, runs: dict[str, Path]) -> None:
    again = replay(tmp_path, "default")
    for name in ("summary.json", "replications.csv", "history.json"):
        first = (runs["default"] / name).read_text().replace(str(runs["default"].parent), "")
        assert (again / name).read_text().replace(str(tmp_path), "") == first


def test_the_printed_table_sets_history_beside_the_replay(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads = history_file(tmp_path / "leads.csv", leads=60, days=4.0)
    code = main(["replay", str(leads), "--policy", "default", "--scenario", "baseline",
                 "-n", "2", "-o", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "leads.csv: 60 rows, 60 used, no problems" in printed
    assert "as it happened" in printed and "replayed" in printed and "95% interval" in printed


def test_strict_stops_at_a_channel_the_scenario_lacks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads = history_file(tmp_path / "leads.csv", leads=20, days=2.0)
    lines = leads.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(lines[3].split(",")[2], "tradeshow", 1)
    leads.write_text("".join(lines))
    out = tmp_path / "strict"
    code = main(["replay", str(leads), "--policy", "default", "--scenario", "baseline",
                 "--strict", "-q", "-o", str(out)])
    assert code == 2
    error = capsys.readouterr().err
    assert "leads.csv: line 4: channel" in error and "'tradeshow'" in error
    assert not out.exists()
    code = main(["replay", str(leads), "--policy", "default", "--scenario", "baseline",
                 "-n", "1", "-o", str(out)])
    assert code == 0
    assert "unknown_channel (unknown channel): 1 at line 4" in capsys.readouterr().out
    assert json.loads((out / "history.json").read_text())["rows"]["problems"] == \
        {"unknown_channel": 1}


def test_a_file_the_scenario_cannot_use_at_all_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(HEADER + "X1,2026-04-06T09:00:00,seo,hardware,,,,,,\n")
    code = main(["replay", str(leads), "--policy", "default", "--scenario", "baseline",
                 "-o", str(tmp_path / "out")])
    assert code == 2
    error = capsys.readouterr().err
    assert "'hardware'" in error and "it has software, services" in error
    assert not (tmp_path / "out").exists()


def test_without_a_scenario_the_company_is_fitted_to_the_file(tmp_path: Path) -> None:
    leads = history_file(tmp_path / "leads.csv", leads=1600, days=9.0)
    out = tmp_path / "fitted"
    code = main(["replay", str(leads), "--policy", "default", "-n", "2", "-q", "-o", str(out)])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"]["name"] == "calibrated"
    history = json.loads((out / "history.json").read_text())
    assert summary["kpis"]["leads"]["mean"] == history["kpis"]["leads"] == 1600


def test_a_file_too_thin_to_fit_exits_2_without_a_scenario(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    leads = history_file(tmp_path / "leads.csv", leads=5, days=1.0)
    assert main(["replay", str(leads), "--policy", "default"]) == 2
    assert "leads.csv" in capsys.readouterr().err
