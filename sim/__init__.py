"""Discrete-event simulation of sales lead operations.

The modules in :data:`COMPILED` carry the per-lead work of a replication. An install
compiles them to C extensions with mypyc (see ``setup.py``), which play the same model
with byte-identical results, faster. Python imports an extension before the source file
beside it, so this package checks that the extensions were built from the sources that are
here now (their hashes are in ``_compiled.json``, written by the build). When they were
not, or when ``LEADOPS_PURE_PYTHON=1`` is set, all of them are imported from source, with a
warning for stale extensions: a model half compiled and half source would mix two versions.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

COMPILED = (
    "activation", "alarms", "arrivals", "calendar", "circulation", "floor", "followup",
    "leads", "metrics", "model", "pools", "ranking", "streams", "success", "work",
)
"""Modules of this package that the build compiles, in the order it lists them."""

HERE = Path(__file__).parent
STAMP = HERE / "_compiled.json"


def source_hashes() -> dict[str, str]:
    """SHA-256 of each compiled module's source file, keyed by module name."""
    return {name: hashlib.sha256((HERE / f"{name}.py").read_bytes()).hexdigest()
            for name in COMPILED}


def _extension_count() -> int:
    """How many of the compiled modules have an extension file here."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return sum(any((HERE / f"{name}{suffix}").exists() for suffix in suffixes)
               for name in COMPILED)


def _extensions_current() -> bool:
    try:
        built = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(built == source_hashes())


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules as source files, ahead of their extensions."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.partition(".")
        if package != __name__ or name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(fullname, HERE / f"{name}.py")


def pure_python_requested() -> bool:
    """Whether ``LEADOPS_PURE_PYTHON`` asks for the sources (any value but empty or 0)."""
    return os.environ.get("LEADOPS_PURE_PYTHON", "") not in ("", "0")


def _choose_source() -> bool:
    if pure_python_requested():
        return True
    found = _extension_count()
    if found == 0:
        return False
    if found == len(COMPILED) and _extensions_current():
        return False
    warnings.warn("leadops: the compiled simulation modules are incomplete or were built from "
                  "other sources than those in sim/ now; using the sources (reinstall to "
                  "recompile)", RuntimeWarning, stacklevel=2)
    return True


if _choose_source():
    sys.meta_path.insert(0, _SourceFinder())


def compiled() -> bool:
    """Whether the model runs on the compiled extensions in this process."""
    from sim import model

    return not (model.__file__ or "").endswith(".py")
