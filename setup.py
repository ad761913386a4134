"""Build hook: compile the simulation's hot modules to C extensions with mypyc.

The per-lead work of a replication (arrival, routing, the reps' working loop, circulation,
tallies) is plain attribute-heavy Python, which mypyc turns into C that plays the same
model with byte-identical results, faster. The build records the hashes of the sources it
compiled in ``sim/_compiled.json``; ``sim/__init__.py`` imports the sources instead when
they have changed since, or when ``LEADOPS_PURE_PYTHON=1`` is set. A failed compile leaves
a working install on the sources.

Set ``LEADOPS_PURE_PYTHON=1`` while installing to skip the compile altogether.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent


def compiled_extensions() -> list:
    sys.path.insert(0, str(ROOT))
    import sim  # the switch, the list of modules and the source hashes live with the package

    if sim.pure_python_requested():
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    stamp = json.dumps(sim.source_hashes(), indent=1, sort_keys=True)
    (ROOT / "sim" / "_compiled.json").write_text(stamp + "\n", encoding="utf-8")
    extensions = mypycify([f"sim/{name}.py" for name in sim.COMPILED], opt_level="3")
    for extension in extensions:
        extension.optional = True  # no compiler: the install runs on the sources
    return extensions


setup(ext_modules=compiled_extensions())
