"""Tests that look inside the model by patching or subclassing its classes.

Compiled classes (see ``sim/__init__.py``) can be neither patched nor subclassed from Python.
When the model is compiled here, such a test runs again in a pytest subprocess on the
sources (``LEADOPS_PURE_PYTHON=1``) and passes only if that run passes; the compiled model
is held to the sources' results by ``test_compiled.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[2]


def subprocess_env(*, pure: bool) -> dict[str, str]:
    """This process's environment for a Python subprocess that imports this checkout, on
    the sources when ``pure``, else on whatever this install has (compiled or not)."""
    env = dict(os.environ, LEADOPS_PURE_PYTHON="1" if pure else "0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def replayed_on_sources(request: pytest.FixtureRequest) -> bool:
    """True when the test has just passed on the sources in a subprocess (return at once);
    False when this process runs on the sources and the test should go on here."""
    if not sim.compiled():
        return False
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           request.node.nodeid], cwd=ROOT, env=subprocess_env(pure=True),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout, done.stdout[-4000:]
    return True
