"""``leadops report DIR [-o FILE]``: the thin command around the report writer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadops.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("command") / "mmc-run"
    assert main(["run", "mmc", "--days", "5", "-n", "2", "-o", str(out), "--quiet"]) == 0
    return out


def test_report_writes_the_page_and_says_where(run_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pages" / "q3.html"

    code = main(["report", str(run_dir), "-o", str(target)])

    assert code == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    out = capsys.readouterr().out
    assert f"wrote {target}" in out and "tables in" in out
    assert (tmp_path / "pages" / "q3_tables").is_dir()


def test_report_defaults_to_a_page_inside_the_directory(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)

    assert main(["report", str(copy)]) == 0
    assert (copy / "report.html").is_file()


def test_a_missing_directory_exits_2_and_names_it(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"

    code = main(["report", str(missing)])

    assert code == 2
    assert f"error: {missing}: no such directory" in capsys.readouterr().err


def test_a_directory_without_results_exits_2_and_says_what_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", str(tmp_path)])

    err = capsys.readouterr().err
    assert code == 2
    assert str(tmp_path) in err and "summary.json" in err and "comparison.json" in err
    assert not (tmp_path / "report.html").exists()


def test_an_output_that_is_a_directory_exits_2(run_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", str(run_dir), "-o", str(tmp_path)])

    assert code == 2
    assert "--out" in capsys.readouterr().err


def test_png_without_kaleido_warns_and_still_writes_the_page(
        run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from reports import export

    monkeypatch.setattr(export, "kaleido_installed", lambda: False)

    code = main(["report", str(run_dir), "-o", str(tmp_path / "r.html"), "--png"])

    assert code == 0
    assert "kaleido" in capsys.readouterr().err
    assert (tmp_path / "r.html").is_file()
