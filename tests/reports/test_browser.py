"""The page in a real browser: headless Chromium draws every figure and logs no script
error, and names full of markup stay text.

CI installs Debian's ``chromium`` (see .ci/run); without one these tests are skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from report_dirs import RULE_NAME, write_optimize_files

import reports

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 180


def find_chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found (looked for /usr/bin/chromium and "
    f"{', '.join(CANDIDATES)} on PATH); install one, e.g. `apt-get install chromium`, "
    "to run the browser tests")


@dataclass
class Rendered:
    dom: str
    console: list[str]


def chromium_command(page: Path, profile: Path) -> list[str]:
    return [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom",
            page.as_uri()]


@pytest.fixture(scope="module")
def rendered(compare_dir: Path, markup_dir: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Rendered]:
    """Two pages, each rendered by its own Chromium, at once: the compare page, and a run
    with markup in every name whose directory also holds the optimizer's files (a
    directory may be both), so that every kind of section is drawn."""
    folder = tmp_path_factory.mktemp("browser")
    both = folder / "markup-and-optimize"
    shutil.copytree(markup_dir, both)
    write_optimize_files(both)
    running = {}
    for name, source in (("compare", compare_dir), ("markup", both)):
        page = reports.write_report(source, folder / f"{name}.html").page
        running[name] = subprocess.Popen(
            chromium_command(page, folder / f"profile-{name}"), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
    results = {}
    for name, process in running.items():
        dom, log = process.communicate(timeout=TIMEOUT_SECONDS)
        assert process.returncode == 0, log[-2000:]
        results[name] = Rendered(dom, [line for line in log.splitlines() if "CONSOLE" in line])
    return results


def attribute(dom: str, name: str) -> int:
    found = re.search(rf'{name}="(\d+)"', dom)
    assert found is not None, f"the page has no {name}"
    return int(found.group(1))


@pytest.mark.parametrize("name", ["compare", "markup"])
def test_every_figure_drew(rendered: dict[str, Rendered], name: str) -> None:
    dom = rendered[name].dom
    boxes = len(re.findall(r'<div class="figure[^"]*" id="figure-\d+"', dom))
    plots = len(re.findall(r'class="[^"]*\bjs-plotly-plot\b', dom))

    assert boxes >= 15
    assert attribute(dom, "data-figures") == boxes
    assert attribute(dom, "data-figures-drawn") == boxes
    assert plots == boxes
    assert dom.count('class="main-svg"') >= boxes
    assert "could not be drawn" not in dom.split("<script>", 1)[0]


@pytest.mark.parametrize("name", ["compare", "markup"])
def test_no_script_error_was_logged(rendered: dict[str, Rendered], name: str) -> None:
    assert rendered[name].console == []


def test_markup_in_names_stays_text_in_the_browser(rendered: dict[str, Rendered]) -> None:
    dom = rendered["markup"].dom

    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert title is not None and title.group(1).startswith("Strategy report: &lt;script&gt;")
    assert "<img" not in dom and "<b>web" not in dom and "<i>policy" not in dom
    assert "<svg onload" not in dom
    # the rule's name is drawn as text in the warnings chart's legend
    assert RULE_NAME.replace("<", "&lt;").replace(">", "&gt;") in dom


def test_the_pages_hold_every_kind_of_section(rendered: dict[str, Rendered]) -> None:
    sections = {name: set(re.findall(r'<section id="([a-z]+)"', page.dom))
                for name, page in rendered.items()}

    assert sections["compare"] >= {"summary", "funnel", "speed", "pools", "roi", "experience",
                                   "monitoring", "comparison", "assumptions"}
    assert {"monitoring", "optimization"} <= sections["markup"]
