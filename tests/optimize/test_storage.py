"""Study storage: journal files, torn lines, dead workers' trials, and masked passwords."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from leadops.errors import InputError, LeadopsError
from optimize.objective import owner
from optimize.storage import (
    JOURNAL_NAME,
    drop_torn_line,
    open_storage,
    recover_dead_trials,
    redact,
    scrub,
)

URL = "postgresql+psycopg://leadops:s3cr3t-pw@127.0.0.1:1/leadops"


def test_redact_masks_only_the_password() -> None:
    assert redact(URL) == "postgresql+psycopg://leadops:***@127.0.0.1:1/leadops"
    assert redact("postgresql+psycopg://leadops@host/db") == "postgresql+psycopg://leadops@host/db"
    assert redact("sqlite:///study.db") == "sqlite:///study.db"


def test_scrub_removes_the_password_from_any_message() -> None:
    text = scrub(f"could not connect to {URL}; password s3cr3t-pw rejected", URL)

    assert "s3cr3t-pw" not in text
    assert "leadops:***@127.0.0.1" in text


def test_an_unreachable_database_is_reported_without_its_password() -> None:
    with pytest.raises(LeadopsError) as caught:
        open_storage(URL, Path("."))

    assert "s3cr3t-pw" not in str(caught.value)
    assert "***" in str(caught.value) or "driver" in str(caught.value)


def test_a_storage_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--storage: must be a database URL"):
        open_storage("redis://host:6379", tmp_path)


def test_a_line_torn_by_a_kill_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_NAME
    path.write_bytes(b'{"op": 1}\n{"op": 2}\n{"op": 3, "val')

    drop_torn_line(path)

    assert path.read_bytes() == b'{"op": 1}\n{"op": 2}\n'


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def running_trial(study: optuna.Study, worker: dict[str, object]) -> int:
    trial = study.ask()
    trial.suggest_int("teams.reps.headcount", 1, 9)
    trial.set_user_attr("worker", worker)
    return trial.number


def test_trials_of_dead_workers_are_failed_and_queued_again(tmp_path: Path) -> None:
    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="s")
    dead = running_trial(study, {"host": socket.gethostname(), "pid": dead_pid()})
    alive = running_trial(study, owner())
    elsewhere = running_trial(study, {"host": "another-machine", "pid": os.getpid()})

    assert recover_dead_trials(study) == [dead]

    states = {t.number: t.state for t in study.get_trials()}
    assert states[dead] == TrialState.FAIL
    assert states[alive] == states[elsewhere] == TrialState.RUNNING
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert len(waiting) == 1
    assert waiting[0].user_attrs["retry_of"] == dead
    assert waiting[0].system_attrs["fixed_params"] == study.trials[dead].params


def test_a_reused_process_id_does_not_pass_for_the_worker(tmp_path: Path) -> None:
    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="s")
    impostor = {**owner(), "started": "0"}
    number = running_trial(study, impostor)

    assert recover_dead_trials(study) == [number]
