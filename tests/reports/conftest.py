"""Tiny run, compare and optimize directories, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_dirs import MARKUP_POLICY, MARKUP_SCENARIO, write_optimize_files

from leadops.cli import main


def cli(*args: str) -> None:
    code = main([*args, "--quiet"])
    assert code == 0, f"leadops {' '.join(args)} exited with {code}"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Baseline for 20 days, with the backlog rule lowered so that warnings fire."""
    out = tmp_path_factory.mktemp("reports") / "baseline-run"
    cli("run", "baseline", "--days", "20", "-n", "2", "--seed", "3",
        "--set", "monitoring.rules.4.threshold=100", "-o", str(out))
    return out


@pytest.fixture(scope="session")
def mmc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "mmc-run"
    cli("run", "mmc", "--days", "10", "-n", "2", "-o", str(out))
    return out


@pytest.fixture(scope="session")
def compare_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "compare"
    cli("compare", "baseline", "-p", "default", "-p", "speed_first", "--days", "15", "-n", "2",
        "-o", str(out))
    return out


@pytest.fixture(scope="session")
def markup_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("markup")
    (folder / "scenario.toml").write_text(MARKUP_SCENARIO, encoding="utf-8")
    (folder / "policy.toml").write_text(MARKUP_POLICY, encoding="utf-8")
    out = folder / "run"
    cli("run", str(folder / "scenario.toml"), "--policy", str(folder / "policy.toml"),
        "-n", "2", "-o", str(out))
    return out


@pytest.fixture(scope="session")
def optimize_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-made optimize directory in the optimizer's file contract."""
    out = tmp_path_factory.mktemp("reports") / "optimize"
    out.mkdir()
    write_optimize_files(out)
    return out
