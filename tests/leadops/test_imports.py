"""The command line starts light: heavy libraries are imported only by the commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("scipy", "optuna", "plotly")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = ("import json, sys\n"
            "import leadops.cli\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))")

    done = run_python(code)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_check_sees_a_heavy_import_when_there_is_one() -> None:
    done = run_python("import sys, scipy, leadops.cli; print('scipy' in sys.modules)")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_leadops_help_works_in_a_fresh_process() -> None:
    script = Path(sys.executable).with_name("leadops")
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys, leadops.cli; sys.exit(leadops.cli.main())"]

    done = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
    assert all(name in done.stdout for name in ("run", "validate", "schema"))
    assert "Traceback" not in done.stderr
