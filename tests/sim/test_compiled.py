"""The compiled simulation modules and their sources play the same model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sources import ROOT, subprocess_env

import sim


def _leadops(*args: str, pure: bool, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=subprocess_env(pure=pure),
                          capture_output=True, text=True, check=True)


def test_the_pure_python_switch_imports_the_sources(tmp_path: Path) -> None:
    shown = _leadops("-c", "import sim, sim.model; print(sim.compiled(), sim.model.__file__)",
                     pure=True, cwd=tmp_path).stdout.split()
    assert shown == ["False", str(ROOT / "sim" / "model.py")]


def test_the_stamp_names_every_compiled_module() -> None:
    assert set(sim.source_hashes()) == set(sim.COMPILED)
    if sim.compiled():
        built = json.loads(sim.STAMP.read_text(encoding="utf-8"))
        assert built == sim.source_hashes()


@pytest.mark.skipif(not sim.compiled(), reason="the simulation modules are not compiled in "
                    "this install (pip install -e . compiles them)")
def test_compiled_and_source_models_give_identical_outputs(tmp_path: Path) -> None:
    outputs = {}
    for pure in (False, True):
        out = tmp_path / ("source" if pure else "compiled")
        _leadops("-m", "leadops", "run", "baseline", "-n", "2", "--days", "30", "--seed", "5",
                 "--events", "--out", str(out), pure=pure, cwd=tmp_path)
        outputs[pure] = {path.name: path.read_bytes() for path in sorted(out.iterdir())}
    assert outputs[False].keys() == outputs[True].keys()
    assert "summary.json" in outputs[False]
    for name, compiled_bytes in outputs[False].items():
        assert compiled_bytes == outputs[True][name], name


@pytest.mark.skipif(not sim.compiled(), reason="the simulation modules are not compiled in "
                    "this install (pip install -e . compiles them)")
def test_the_compiled_lead_keeps_its_fields_at_their_widths() -> None:
    from sim.leads import Lead

    lead = Lead(7, 2**63 - 2, 3, 1.5)
    assert sys.getsizeof(lead) <= 240  # 392 bytes with every integer at 8 bytes
    assert (lead.id, lead.key, lead.channel) == (7, 2**63 - 2, 3)
    lead.stage = 4
    assert lead.stage * 64 == 256  # read from Python, a narrow field is a plain int
    with pytest.raises((TypeError, ValueError)):
        lead.stage = 256  # a one-byte field refuses what it cannot hold
