"""The report builds from run, compare and optimize directories into one offline page."""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_dirs import MARKUP_NAMES

import reports
from reports import export
from reports.blocks import Text

MAX_BYTES = 6_000_000
ALL_RUN_SECTIONS = ["summary", "funnel", "speed", "pools", "roi", "experience", "monitoring",
                    "assumptions"]


def keys(report: reports.Report) -> list[str]:
    return [section.key for section in report.sections]


def figures(report: reports.Report) -> int:
    return sum(len(section.figures) for section in report.sections)


# --- what each kind of directory shows ---------------------------------------------------


def test_a_run_directory_has_every_run_section(run_dir: Path) -> None:
    report = reports.build_report(run_dir)

    assert keys(report) == ALL_RUN_SECTIONS
    assert [s.number for s in report.sections] == [1, 2, 3, 4, 5, 6, 7, 10]
    assert figures(report) >= 15


def test_monitoring_shows_rollups_and_the_warnings_that_fired(run_dir: Path) -> None:
    report = reports.build_report(run_dir)

    monitoring = next(s for s in report.sections if s.key == "monitoring")
    slugs = [figure.slug for figure in monitoring.figures]
    assert slugs == ["weekly_leads", "weekly_follow_up", "weekly_conversion",
                     "warnings_over_time"]
    rules = next(t for t in monitoring.tables if t.slug == "warning_rules")
    fired = {row[0]: row[-1] for row in rules.values}
    assert fired["software public pool backlog"] > 0


def test_a_minimal_run_still_builds(mmc_dir: Path) -> None:
    report = reports.build_report(mmc_dir)

    assert keys(report) == ALL_RUN_SECTIONS
    monitoring = next(s for s in report.sections if s.key == "monitoring")
    notes = [getattr(block, "text", "") for block in monitoring.blocks]
    assert "The scenario declares no warning rules ([[monitoring.rules]])." in notes


def test_a_compare_directory_adds_verdicts_and_the_comparison(compare_dir: Path) -> None:
    report = reports.build_report(compare_dir)

    assert keys(report) == ["summary", "funnel", "speed", "pools", "roi", "experience",
                            "monitoring", "comparison", "assumptions"]
    summary = report.sections[0]
    verdicts = [block.text for block in summary.blocks
                if isinstance(block, Text) and block.tone == "verdict"]
    assert verdicts and verdicts[0].startswith("speed_first against default:")
    comparison = next(s for s in report.sections if s.key == "comparison")
    assert [f.slug for f in comparison.figures][0] == "differences"


def test_an_optimize_directory_shows_history_front_importances_and_the_diff(
        optimize_dir: Path) -> None:
    report = reports.build_report(optimize_dir)

    assert keys(report) == ["optimization", "assumptions"]
    section = report.sections[0]
    assert section.number == 9
    assert [f.slug for f in section.figures] == [
        "history_roi", "history_first_contact_hours_p90", "pareto_front",
        "parameter_importances"]
    diff = next(t for t in section.tables if t.slug == "policy_diff")
    assert diff.cells == [["circulation.sla_hours", "24", "8"],
                          ["follow_up.max_attempts", "6", "5"]]


def test_the_history_leaves_out_unfinished_trials(optimize_dir: Path) -> None:
    report = reports.build_report(optimize_dir)

    history = report.sections[0].figures[0].figure
    shown = sum(len(trace.x) for trace in history.data if trace.mode == "markers")
    assert shown == 8


# --- the page -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(run_dir: Path, compare_dir: Path, optimize_dir: Path, markup_dir: Path
          ) -> dict[str, str]:
    return {name: reports.build_report(folder).html()
            for name, folder in (("run", run_dir), ("compare", compare_dir),
                                 ("optimize", optimize_dir), ("markup", markup_dir))}


@pytest.mark.parametrize("kind", ["run", "compare", "optimize", "markup"])
def test_the_page_loads_nothing_from_outside(pages: dict[str, str], kind: str) -> None:
    page = pages[kind]
    # plotly.js itself holds URL strings in its code; the page around it must hold none
    outside = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)

    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", outside, re.IGNORECASE)
    assert not re.search(r"url\(|@import|https?:", outside, re.IGNORECASE)
    assert all(target.startswith("#") for target in re.findall(r'href="([^"]*)"', outside))


@pytest.mark.parametrize("kind", ["run", "compare", "optimize", "markup"])
def test_plotly_is_embedded_once_and_the_page_stays_small(pages: dict[str, str],
                                                          kind: str) -> None:
    page = pages[kind]

    assert page.count("<script>") == 2
    assert page.count('<script type="application/json" id="figure-data">') == 1
    assert len(re.findall(r"plotly\.js v\d", page)) == 1
    assert len(page.encode("utf-8")) < MAX_BYTES


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_user_names_are_shown_escaped_never_as_markup(pages: dict[str, str], name: str) -> None:
    page = pages["markup"]

    assert name not in page
    assert html.escape(name, quote=True) in page


def test_names_inside_figure_data_cannot_close_the_script(pages: dict[str, str]) -> None:
    data = pages["markup"].split('id="figure-data">', 1)[1].split("</script>", 1)[0]

    assert "<" not in data and ">" not in data
    assert "\\u0026lt;b\\u0026gt;web\\u0026lt;/b\\u0026gt;" in data


def test_every_figure_has_its_box(pages: dict[str, str]) -> None:
    page = pages["run"]
    boxes = len(re.findall(r'<div class="figure" id="figure-\d+"', page))

    assert f'data-figures="{boxes}"' in page
    assert boxes >= 15


# --- files beside the page ----------------------------------------------------------------


def test_write_report_writes_the_page_and_csv_tables(run_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "quarter.html"

    written = reports.write_report(run_dir, target)

    assert written.page == target and target.stat().st_size > 0
    assert written.tables and all(p.parent == tmp_path / "out" / "quarter_tables"
                                  for p in written.tables)
    names = {p.name for p in written.tables}
    assert {"01_headline_kpis.csv", "02_funnel_by_channel.csv", "05_roi_by_channel.csv",
            "07_warning_rules.csv"} <= names
    rows = list(csv.DictReader((tmp_path / "out" / "quarter_tables" /
                                "01_headline_kpis.csv").open(encoding="utf-8")))
    assert rows[0]["kpi"] == "leads" and float(rows[0]["mean"]) > 0


def test_the_default_page_goes_into_the_directory(mmc_dir: Path) -> None:
    written = reports.write_report(mmc_dir)

    assert written.page == mmc_dir / "report.html"
    assert (mmc_dir / "report_tables").is_dir()


def test_tables_of_an_earlier_report_do_not_linger(run_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "report_tables"
    folder.mkdir()
    (folder / "09_old_table.csv").write_text("x\n", encoding="utf-8")
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")

    reports.write_report(run_dir, tmp_path / "report.html")

    assert not (folder / "09_old_table.csv").exists()
    assert (folder / "notes.txt").exists()


def test_images_are_skipped_with_a_reason_without_kaleido(
        run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "kaleido_installed", lambda: False)

    written = reports.write_report(run_dir, tmp_path / "r.html", png=True)

    assert written.images == []
    assert "kaleido" in written.note
    assert written.page.exists()


def test_reports_never_import_the_engine_or_the_optimizer(run_dir: Path) -> None:
    code = ("import sys, pathlib, reports\n"
            f"reports.build_report(pathlib.Path({str(run_dir)!r})).html()\n"
            "print(sorted(m for m in ('simpy', 'optuna') if m in sys.modules))")

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_long_optimization_keeps_the_page_small(optimize_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(optimize_dir, tmp_path / "long")
    rows = ["number,state,values_roi,values_first_contact_hours_p90,user_attrs_feasible"]
    rows += [f"{n},COMPLETE,{0.1 + (n % 97) / 1000},{10 + (n % 89) / 7},{n % 5 != 0}"
             for n in range(30_000)]
    (tmp_path / "long" / "trials.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    page = reports.build_report(tmp_path / "long").html()

    assert len(page.encode("utf-8")) < MAX_BYTES
