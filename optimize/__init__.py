"""Policy search: spaces, the noisy objective, Optuna studies, workers, selection, reports.

``optimize(Plan(...))`` runs what ``leadops optimize`` runs. Importing this package is cheap:
Optuna is imported only when a study is run.
"""

from __future__ import annotations

from typing import Any

from optimize.space import Space, bundled_spaces, load_space

__all__ = ["Plan", "Result", "Space", "Watcher", "bundled_spaces", "load_space", "optimize",
           "redact"]

_LAZY = {"Plan": "optimize.plan", "Result": "optimize.study", "Watcher": "optimize.watch",
         "optimize": "optimize.study", "redact": "optimize.storage"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optimize' has no attribute {name!r}")
