"""Running the search: W workers on one shared study, this process and W - 1 others.

The command's own process is worker 0, so a search of W workers starts W - 1 processes and
none of them sits idle. Each worker opens the storage itself, builds its own TPE sampler
seeded with the study seed plus its index, and runs one trial at a time while the budget
has room. The budget is counted in the storage, so workers started by different commands
(on other machines, with a database) share it; a worker that starts a trial after the last
slot was taken marks it failed as ``surplus`` before running anything. Threads (Optuna's
``n_jobs``) are never used: the simulation holds the interpreter lock.

A worker process whose parent dies stops at once; its running trial is recovered when the
study is opened again.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from leadops.errors import LeadopsError
from optimize.evaluate import Problem
from optimize.objective import (
    InvalidValues,
    Search,
    SurplusTrial,
    TrialObjective,
    UndefinedObjective,
    remaining,
)
from optimize.storage import open_storage, scrub

PRUNE_P = 0.3
"""Wilcoxon pruner threshold. With 2 paired replications the smallest one-sided p-value is
0.25 and with 3 it is 0.125, so a threshold under 0.25 could never prune a 2-replication
trial. Pruning only saves time: the selection stage judges candidates on fresh replications."""
POLL_SECONDS = 0.5
Finished = Callable[[FrozenTrial, Sequence[FrozenTrial]], None]


class WorkerFailed(LeadopsError):
    """A search worker process stopped with an error; the study keeps what finished."""


@dataclass(frozen=True)
class StudyRef:
    """Where the study is: storage URL (None: the journal in ``out``) and study name."""

    url: str | None
    out: Path
    name: str


def make_sampler(search: Search, seed: int) -> optuna.samplers.BaseSampler:
    startup = max(4, min(10, search.trials // 4))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True,
                                      constant_liar=True, warn_independent_sampling=False)


def make_pruner(search: Search) -> optuna.pruners.BasePruner:
    if search.pareto or search.replications < 2:
        return optuna.pruners.NopPruner()
    return optuna.pruners.WilcoxonPruner(p_threshold=PRUNE_P, n_startup_steps=2)


def load(ref: StudyRef, search: Search, seed: int) -> optuna.Study:
    storage = open_storage(ref.url, ref.out)
    return optuna.load_study(study_name=ref.name, storage=storage,
                             sampler=make_sampler(search, seed), pruner=make_pruner(search))


def work(ref: StudyRef, problem: Problem, search: Search, index: int,
         finished: Finished | None = None, study: optuna.Study | None = None) -> None:
    """One worker: trials one at a time while the budget has room or retries wait.

    ``study``, when given, is the study already opened with this worker's sampler seed.
    """
    if study is None:
        study = load(ref, search, problem.seed + index)
    objective = TrialObjective(problem, search)
    callbacks = [_callback(finished)] if finished is not None else None
    while _room(study.get_trials(deepcopy=False), search.trials):
        study.optimize(objective, n_trials=1, catch=(InvalidValues, UndefinedObjective,
                                                     SurplusTrial),
                       callbacks=callbacks, gc_after_trial=False, show_progress_bar=False)


def _room(trials: Sequence[FrozenTrial], budget: int) -> bool:
    waiting = any(trial.state == TrialState.WAITING for trial in trials)
    return waiting or remaining(trials, budget) > 0


def _callback(finished: Finished) -> Callable[[optuna.Study, FrozenTrial], None]:
    def call(study: optuna.Study, trial: FrozenTrial) -> None:
        finished(trial, study.get_trials(deepcopy=False))

    return call


def run_search(ref: StudyRef, problem: Problem, search: Search, workers: int,
               finished: Finished | None = None) -> None:
    """The whole search: this process is worker 0, and ``workers - 1`` processes join it.

    Every trial that finishes, whoever ran it, is reported to ``finished`` once: after each
    of this process's own trials, and while it waits for the other workers at the end.
    """
    if workers <= 1:
        work(ref, problem, search, 0, finished)
        return
    context = multiprocessing.get_context("spawn")
    errors = context.SimpleQueue()
    processes = [context.Process(target=_worker_main, args=(ref, problem, search, i, errors),
                                 name=f"leadops-worker-{i}", daemon=True)
                 for i in range(1, workers)]
    study = load(ref, search, problem.seed)
    reporter = Reporter(finished, study.get_trials(deepcopy=False))
    try:
        for process in processes:
            process.start()
        work(ref, problem, search, 0, reporter.report, study)
        _watch(study, processes, reporter)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    _raise_failures(processes, errors, ref)


class Reporter:
    """Reports each trial that finished after the search began, once."""

    def __init__(self, finished: Finished | None, trials: Sequence[FrozenTrial]):
        self.finished = finished
        self.seen = {trial.number for trial in trials if trial.state.is_finished()}

    def report(self, _: FrozenTrial | None, trials: Sequence[FrozenTrial]) -> None:
        for trial in trials:
            if trial.state.is_finished() and trial.number not in self.seen:
                self.seen.add(trial.number)
                if self.finished is not None:
                    self.finished(trial, trials)


def _worker_main(ref: StudyRef, problem: Problem, search: Search, index: int,
                 errors: Any) -> None:
    """Entry point of a worker process: report any error to the parent and exit with 1."""
    _exit_with_parent()
    try:
        work(ref, problem, search, index)
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        errors.put(scrub(f"worker {index}: {type(exc).__name__}: {exc}\n"
                         f"{traceback.format_exc()}", ref.url))
        os._exit(1)


def _exit_with_parent() -> None:
    """Stop this worker as soon as the process that started it is gone (e.g. kill -9)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        os._exit(3)

    threading.Thread(target=watch, name="leadops-parent-watch", daemon=True).start()


def _watch(study: optuna.Study, processes: Sequence[multiprocessing.process.BaseProcess],
           reporter: Reporter) -> None:
    """Report finished trials while the other workers run; return as soon as all stopped."""
    while True:
        alive = [process.sentinel for process in processes if process.is_alive()]
        reporter.report(None, study.get_trials(deepcopy=False))
        if not alive:
            return
        wait(alive, timeout=POLL_SECONDS)


def _raise_failures(processes: Sequence[multiprocessing.process.BaseProcess], errors: Any,
                    ref: StudyRef) -> None:
    messages = []
    with contextlib.suppress(Exception):
        while not errors.empty():
            messages.append(errors.get())
    failed = [p for p in processes if p.exitcode not in (0, None)]
    if messages or failed:
        detail = (messages[0].splitlines()[0] if messages
                  else f"{failed[0].name} exited with {failed[0].exitcode}")
        raise WorkerFailed(f"a search worker failed ({detail}); finished trials are kept in "
                           f"the study: rerun the command to resume")
