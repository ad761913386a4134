"""Building the report from a directory, and writing the page with its tables and images."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from leadops.atomic import write_text
from reports import export, page
from reports.blocks import Section
from reports.loading import Source, load
from reports.sections import (
    assumptions,
    comparison,
    experience,
    funnel,
    monitoring,
    optimization,
    pools,
    roi,
    speed,
    summary,
)

# The report's outline; a section is left out when its data does not exist.
OUTLINE = (summary, funnel, speed, pools, roi, experience, monitoring, comparison,
           optimization, assumptions)
PAGE_NAME = "report.html"


@dataclass
class Report:
    """The sections of one report and the page's title."""

    title: str
    subtitle: str
    sections: list[Section]

    def html(self) -> str:
        from plotly.offline import get_plotlyjs

        return page.render(self.title, self.subtitle, self.sections, get_plotlyjs())


@dataclass
class Written:
    """What :func:`write_report` wrote, and why images are missing if they are."""

    page: Path
    tables: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    note: str = ""


def build_report(directory: Path) -> Report:
    """Read a run, compare or optimize directory and build every section it has data for."""
    source = load(directory)
    sections = []
    for number, module in enumerate(OUTLINE, start=1):
        section = module.build(source)
        if section is not None and section.blocks:
            section.number = number
            sections.append(section)
    return Report(_title(source), _subtitle(source), sections)


def write_report(directory: Path, out: Path | None = None, *, png: bool = False) -> Written:
    """Write the page (default DIR/report.html), its CSV tables in a ``<name>_tables``
    folder beside it, and with ``png`` its images in ``<name>_images``."""
    report = build_report(directory)
    target = out if out is not None else directory / PAGE_NAME
    written = Written(target)
    written.tables = export.table_files(report.sections, _beside(target, "tables"))
    if png:
        written.images, written.note = export.image_files(report.sections,
                                                          _beside(target, "images"))
    write_text(target, report.html())
    return written


def _beside(page_path: Path, kind: str) -> Path:
    return page_path.with_name(f"{page_path.stem}_{kind}")


def _title(source: Source) -> str:
    if source.comparison is not None:
        scenario = source.comparison.document.get("scenario", {}).get("name", "")
        return f"Strategy report: {scenario}, {len(source.comparison.labels)} alternatives"
    if source.run is not None:
        return f"Strategy report: {source.run.label}"
    return f"Optimization report: {source.directory.name}"


def _subtitle(source: Source) -> str:
    run = source.run
    if run is None:
        return f"From the {source.kind} directory {source.directory.name}."
    summary = run.summary
    return (f"{summary.get('replications')} replications of {summary.get('days')} days from "
            f"{_start(run.summary)}, seed {summary.get('seed')}; 95% intervals over "
            f"replications. Money in {run.currency}.")


def _start(summary: dict[str, object]) -> str:
    inputs = summary.get("inputs")
    if isinstance(inputs, dict):
        return str(inputs.get("scenario", {}).get("start_date", "day 0"))
    return "day 0"
