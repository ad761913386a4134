"""Worker processes on one journal file, and resuming after a kill -9 in mid-trial."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import optuna
import pytest
from optimize_problems import REP_COST, STAFFING_SPACE, leadops_command, staffing_plan
from optuna.trial import FrozenTrial, TrialState

from optimize.objective import counts
from optimize.storage import JOURNAL_NAME, open_storage
from optimize.study import optimize
from optimize.watch import Watcher

STUDY = "staffing-mmc_patience"


def load(out: Path) -> optuna.Study:
    return optuna.load_study(study_name=STUDY, storage=open_storage(None, out))


class Recorder(Watcher):
    def __init__(self) -> None:
        self.reported: list[int] = []

    def trial(self, trial: FrozenTrial, trials: Sequence[FrozenTrial]) -> None:
        self.reported.append(trial.number)


def test_two_workers_share_the_budget_of_one_journal(tmp_path: Path) -> None:
    recorder = Recorder()
    optimize(staffing_plan(workers=2, trials=10, days=160, search_only=True, out=tmp_path),
             recorder)

    trials = load(tmp_path).get_trials()
    assert sorted(recorder.reported) == [t.number for t in trials if t.state.is_finished()]
    counted = [t for t in trials if counts(t)]
    assert len(counted) == 10
    assert all(t.state == TrialState.COMPLETE for t in counted)
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    assert len({t.user_attrs["worker"]["pid"] for t in counted}) == 2


def poll_until_mid_trial(journal: Path, timeout: float = 120.0) -> None:
    """Wait until two trials have finished and another is running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists() and journal.stat().st_size > 0:
            try:
                trials = load(journal.parent).get_trials(deepcopy=False)
            except KeyError:
                trials = []
            done = [t for t in trials if t.state == TrialState.COMPLETE]
            if len(done) >= 2 and any(t.state == TrialState.RUNNING for t in trials):
                return
        time.sleep(0.05)
    pytest.fail("the search never reached the middle of a trial")


def test_a_search_killed_in_mid_trial_resumes_without_losing_or_repeating(
        tmp_path: Path) -> None:
    command = [*leadops_command(), "optimize", "mmc_patience", "--space", str(STAFFING_SPACE),
               "--set", REP_COST, "--days", "40", "--trials", "8", "--workers", "2",
               "--search-only", "-q", "-o", str(tmp_path)]
    first = subprocess.Popen(command, env=os.environ.copy())
    poll_until_mid_trial(tmp_path / JOURNAL_NAME)
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(1.5)  # the orphaned workers notice their parent is gone and stop

    before = load(tmp_path).get_trials()
    finished = {t.number: t.user_attrs["replications"] for t in before
                if t.state == TrialState.COMPLETE}
    interrupted = [t.number for t in before if t.state == TrialState.RUNNING]
    assert finished and interrupted

    done = subprocess.run(command, env=os.environ.copy(), capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode == 0, done.stderr

    after = load(tmp_path).get_trials()
    complete = [t for t in after if t.state == TrialState.COMPLETE]
    assert len(complete) == 8
    assert {n: after[n].user_attrs["replications"] for n in finished} == finished
    assert all(after[n].state == TrialState.FAIL for n in interrupted)
    retried = sorted(t.user_attrs["retry_of"] for t in complete if "retry_of" in t.user_attrs)
    assert retried == sorted(interrupted)
    assert not [t for t in after if t.state in (TrialState.RUNNING, TrialState.WAITING)]
