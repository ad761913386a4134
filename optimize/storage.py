"""Where a study lives: a journal file in the output directory, or a database server.

- Default: an Optuna journal file, ``study.journal`` in ``--out``. Every change is one line
  appended under a file lock, so several processes can share it and no server is needed;
  ``optuna-dashboard study.journal`` opens it. A line cut short by a crash is dropped when
  the study is opened again.
- ``--storage postgresql+psycopg://user:password@host/db``: workers on several machines join
  one study. Heartbeats every 20 seconds; a trial whose worker has been silent for 60 seconds
  is failed and its values are queued again (Optuna's heartbeat and retry callback).

The journal has no heartbeats. Instead each trial records its worker (host, process id and
process start time), and when a study is opened, a running trial whose worker process on this
host is gone is failed and its values are queued again (see :func:`recover_dead_trials`).

Passwords never leave this module unmasked: :func:`redact` replaces them in URLs and
:func:`scrub` in any message.
"""

from __future__ import annotations

import logging
import re
import socket
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from leadops.errors import InputError, StorageError

JOURNAL_NAME = "study.journal"
HEARTBEAT_SECONDS = 20
GRACE_SECONDS = 60
MAX_RETRIES = 3
DATABASE_SCHEMES = ("postgresql", "mysql", "sqlite")
_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:/@]*:)(?P<secret>[^@]*)(?P<tail>@.*)$")


def redact(url: str) -> str:
    """The URL with its password masked: ``postgresql+psycopg://user:***@host/db``."""
    match = _PASSWORD.match(url)
    if match is None or not match["secret"]:
        return url
    return f"{match['head']}***{match['tail']}"


def password(url: str | None) -> str | None:
    match = _PASSWORD.match(url or "")
    return match["secret"] if match and match["secret"] else None


def scrub(text: str, url: str | None) -> str:
    """A message with the URL's password (and the URL itself) masked."""
    secret = password(url)
    if url:
        text = text.replace(url, redact(url))
    return text.replace(secret, "***") if secret else text


def quiet_optuna() -> None:
    """Keep Optuna from printing: the library is silent, the command shows progress."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.logging.disable_propagation()
    logging.getLogger("optuna").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", module="optuna")


def describe(url: str | None, out: Path) -> str:
    """The storage as it may be shown: the journal path or the redacted URL."""
    return str(out / JOURNAL_NAME) if url is None else redact(url)


def open_storage(url: str | None, out: Path) -> BaseStorage:
    """The study storage: the journal in ``out`` when ``url`` is None, else the database."""
    quiet_optuna()
    if url is None:
        return _journal(out / JOURNAL_NAME)
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in DATABASE_SCHEMES:
        raise InputError(f"must be a database URL such as postgresql+psycopg://user@host/db, "
                         f"got {redact(url)!r}", path="--storage")
    return _database(url)


def _journal(path: Path) -> BaseStorage:
    from optuna.storages.journal import JournalFileBackend

    path.parent.mkdir(parents=True, exist_ok=True)
    drop_torn_line(path)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def drop_torn_line(path: Path) -> None:
    """Cut a last line that a killed writer left without its end of line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    with path.open("r+b") as handle:
        handle.truncate(data.rfind(b"\n") + 1)


def _database(url: str) -> BaseStorage:
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    try:
        return RDBStorage(url, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
                          heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                              max_retry=MAX_RETRIES),
                          engine_kwargs={"pool_pre_ping": True})
    except ImportError:
        raise InputError("needs a database driver: pip install 'leadops[postgres]'",
                         path="--storage") from None
    except Exception as exc:  # noqa: BLE001 - any driver error, shown without the password
        raise StorageError(f"cannot open the study storage {redact(url)}: "
                           f"{scrub(str(exc).splitlines()[0], url)}") from None


def recover_dead_trials(study: optuna.Study) -> list[int]:
    """Fail the running trials whose worker process on this host is gone, and queue their
    values again; the numbers of the trials failed."""
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if _dead(trial) and _fail(study, trial):
            failed.append(trial.number)
    return failed


def _dead(trial: FrozenTrial) -> bool:
    """A worker on this host that is gone, or a trial that never named its worker and
    started more than the grace period ago."""
    worker = trial.user_attrs.get("worker")
    if worker is None:
        started = trial.datetime_start
        return started is not None and (_now(started) - started).total_seconds() > GRACE_SECONDS
    return worker.get("host") == socket.gethostname() and not _alive(worker)


def _now(like: datetime) -> datetime:
    return datetime.now(like.tzinfo)


def _alive(worker: dict[str, Any]) -> bool:
    from optimize.objective import process_start

    pid = int(worker.get("pid", -1))
    started = process_start(pid)
    if started is None:
        return _exists(pid)
    return started == worker.get("started")


def _exists(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


def _fail(study: optuna.Study, trial: FrozenTrial) -> bool:
    """Fail one stale trial and queue its values; False if another process got there first."""
    try:
        changed = study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    if changed:
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
    return bool(changed)
