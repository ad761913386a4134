"""``leadops calibrate``: summaries, bad rows skipped or fatal, exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.crm_export import TrueChannel, Truth, write_export
from leadops.cli import main
from scenarios import load_scenario
from scenarios.schema import DecayCurve

TRUTH = Truth(channels=(TrueChannel("seo", 40.0, 0.5, {"software": 1.0}, {"north": 1.0}),
                        TrueChannel("hotline", 25.0, 0.6, {"services": 1.0}, {"north": 1.0})),
              decay=DecayCurve(), days=30)
BAD_ROWS = {
    "bad_date": "B1,yesterday,seo,software",
    "unknown_channel": "B2,2026-01-06T10:00:00,,software",
    "won_before_created": "B3,2026-01-06T10:00:00,seo,software,,,,,,,,2026-01-01T10:00:00",
    "duplicate_id": "L0,2026-01-06T10:00:00,seo,software",
    "bad_number": "B4,2026-01-06T10:00:00,seo,software,,,,,,,,,,-5",
    "missing_value": "B5,2026-01-06T10:00:00,seo,",
    "bad_complexity": "B6,2026-01-06T10:00:00,seo,software,,huge",
}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("export"), TRUTH, seed=4)


@pytest.fixture(scope="module")
def messy(export: Path) -> Path:
    """The export with one row of every kind of problem appended (lines 2 + rows ...)."""
    path = export.with_name("messy.csv")
    path.write_text(export.read_text() + "\n".join(BAD_ROWS.values()) + "\n")
    return path


def rows_in(path: Path) -> int:
    return len(path.read_text().splitlines()) - 1


def test_calibrate_writes_a_scenario_and_prints_what_it_did(
        export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fitted.toml"
    assert main(["calibrate", str(export), "-o", str(out), "--base", "baseline"]) == 0
    printed = capsys.readouterr().out
    assert f"leads.csv: {rows_in(export):,} rows, {rows_in(export):,} used, no problems" in printed
    assert "channels.seo.leads_per_day" in printed and "decay.fast_half_life_hours" in printed
    assert "assumed, not fitted" in printed and "teams.telesales:" in printed
    assert f"wrote {out}" in printed
    scenario = load_scenario(str(out))
    assert scenario.channels["seo"].leads_per_day == pytest.approx(40, rel=0.1)
    # About 1,000 contacted leads a channel: below the threshold of a channel's own curve.
    assert scenario.channels["seo"].decay is None and scenario.decay.enabled
    assert "# decay: the pooled curve (" in out.read_text()


def test_bad_rows_are_skipped_and_summarised_by_kind_and_line(
        messy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fitted.toml"
    assert main(["calibrate", str(messy), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    first = rows_in(messy) - len(BAD_ROWS) + 2
    assert f"{len(BAD_ROWS)} skipped" in printed
    for offset, kind in enumerate(BAD_ROWS):
        assert f"{kind} (" in printed and f": 1 at line {first + offset}" in printed
    assert out.exists()


def test_strict_stops_at_the_first_bad_row_and_writes_nothing(
        messy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fitted.toml"
    assert main(["calibrate", str(messy), "--strict", "-o", str(out)]) == 2
    error = capsys.readouterr().err
    line = rows_in(messy) - len(BAD_ROWS) + 2
    assert f"messy.csv: line {line}: created_at: unparseable date/time" in error
    assert "Traceback" not in error
    assert not out.exists()


def test_a_missing_required_column_is_named(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("lead_id,created_at,business_line\nL1,2026-01-05,software\n")
    out = tmp_path / "fitted.toml"
    out.write_text("previous contents")
    assert main(["calibrate", str(leads), "-o", str(out)]) == 2
    error = capsys.readouterr().err
    assert "column channel" in error and "'channel' is missing" in error
    assert out.read_text() == "previous contents"


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV file"),
    (b"", "is empty"),
])
def test_a_file_that_is_not_a_csv_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          content: bytes, message: str) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_bytes(content)
    out = tmp_path / "fitted.toml"
    assert main(["calibrate", str(leads), "-o", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_files_and_a_bad_base_exit_2(export: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fitted.toml"
    assert main(["calibrate", str(tmp_path / "nope.csv"), "-o", str(out)]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err
    assert main(["calibrate", str(export), "--spend", str(tmp_path / "s.csv"), "-o",
                 str(out)]) == 2
    assert "s.csv: no such file" in capsys.readouterr().err
    assert main(["calibrate", str(export), "--base", "nowhere", "-o", str(out)]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert not out.exists()


def test_too_little_data_exits_2_naming_the_channel(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.csv"
    rows = [f"L{i},2026-01-0{1 + i % 5}T10:00:00,seo,software" for i in range(30)]
    rows += [f"F{i},2026-01-02T10:00:00,fax,software" for i in range(3)]
    leads.write_text("lead_id,created_at,channel,business_line\n" + "\n".join(rows) + "\n")
    out = tmp_path / "fitted.toml"
    assert main(["calibrate", str(leads), "-o", str(out)]) == 2
    assert "channel 'fax' has 3 lead(s); at least 20" in capsys.readouterr().err
    assert not out.exists()
