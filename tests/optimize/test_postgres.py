"""Two workers on one study in a real PostgreSQL server (started by .ci/run).

Set LEADOPS_TEST_POSTGRES_URL=postgresql+psycopg://user:password@127.0.0.1:5432/db to run
these tests by hand; ``. .ci/postgres`` starts a throw-away server and sets it.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import optuna
import pytest
from optimize_problems import REP_COST, STAFFING_SPACE, leadops_command
from optuna.trial import TrialState

from optimize.objective import counts
from optimize.storage import open_storage, password, redact

URL = os.environ.get("LEADOPS_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    URL is None, reason="LEADOPS_TEST_POSTGRES_URL is not set: no PostgreSQL server to test "
    "against (.ci/run starts one; or source .ci/postgres)")


def test_two_workers_complete_every_trial_once_and_never_show_the_password(
        tmp_path: Path) -> None:
    assert URL is not None
    secret = password(URL)
    study = f"leadops-test-{uuid.uuid4().hex[:8]}"
    command = [*leadops_command(), "optimize", "mmc_patience", "--space", str(STAFFING_SPACE),
               "--set", REP_COST, "--days", "160", "--trials", "8", "--workers", "2",
               "--final-replications", "2", "--storage", URL, "--study", study,
               "-o", str(tmp_path)]

    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600,
                          env={**os.environ, "COLUMNS": "200"})

    assert done.returncode == 0, done.stderr
    storage = open_storage(URL, tmp_path)
    try:
        trials = optuna.load_study(study_name=study, storage=storage).get_trials()
        counted = [t for t in trials if counts(t)]
        assert len(counted) == 8
        assert all(t.state == TrialState.COMPLETE for t in counted)
        assert len({t.number for t in counted}) == 8
        assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        assert len({t.user_attrs["worker"]["pid"] for t in counted}) == 2
    finally:
        optuna.delete_study(study_name=study, storage=storage)

    assert secret and secret not in done.stdout + done.stderr
    assert redact(URL) in done.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path
