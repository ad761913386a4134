"""Reading run, compare and optimize directories: which kind they are, and errors that name
the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadops.errors import InputError
from reports.loading import load, to_number


def test_directories_are_recognised_by_their_files(run_dir: Path, compare_dir: Path,
                                                   optimize_dir: Path) -> None:
    run, comparison, optimization = load(run_dir), load(compare_dir), load(optimize_dir)

    assert (run.kind, comparison.kind, optimization.kind) == ("run", "compare", "optimize")
    assert comparison.run is not None and comparison.run.directory == compare_dir / "default"
    assert comparison.comparison is not None and run.run is not None
    assert set(comparison.comparison.runs) == {"default", "speed_first"}
    assert {"weekly.csv", "monthly.csv", "warnings.csv", "pools.csv"} <= set(run.run.tables)


def test_a_missing_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such directory"):
        load(tmp_path / "absent")


def test_an_unrelated_directory_names_what_it_lacks(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path)

    assert str(tmp_path) in str(caught.value)
    assert "summary.json" in str(caught.value) and "trials.csv" in str(caught.value)


def test_a_file_is_not_a_directory(tmp_path: Path) -> None:
    file = tmp_path / "summary.json"
    file.write_text("{}", encoding="utf-8")

    with pytest.raises(InputError, match="not a file"):
        load(file)


def test_a_broken_summary_names_the_file(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "summary.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(InputError, match=r"summary\.json: is not valid JSON"):
        load(copy)


def test_an_optimize_directory_with_one_file_is_enough(tmp_path: Path) -> None:
    (tmp_path / "importances.json").write_text('{"a": 0.5, "b": 0.5}', encoding="utf-8")

    source = load(tmp_path)

    assert source.kind == "optimize"
    assert source.optimization is not None and source.optimization.importances == {
        "a": 0.5, "b": 0.5}


def test_csv_cells_become_numbers_or_none() -> None:
    assert [to_number(t) for t in ("1.5", "", None, "x", "nan", "inf")] == [
        1.5, None, None, None, None, None]
