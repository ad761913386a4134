"""Files beside the page: CSV tables for slides, and PNG images when kaleido can draw them.

Images are an extra (``pip install leadops[report-png]`` plus a Chromium); the report never
depends on them. When kaleido is missing or cannot start its browser, no image is written
and the reason is returned for the command line to show.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path

from leadops.atomic import atomic_path, write_text
from reports.blocks import Figure, Section

PNG_SCALE = 2


def table_files(sections: Sequence[Section], folder: Path) -> list[Path]:
    """One CSV per table, numbered by section: 05_roi_by_channel.csv.

    Tables an earlier report wrote into the folder and this one did not are removed, so the
    folder always matches the page.
    """
    written = []
    for section in sections:
        for table in section.tables:
            path = folder / f"{section.number:02d}_{_file_slug(table.slug)}.csv"
            write_text(path, table.csv_text())
            written.append(path)
    _remove_stale(folder, written, "csv")
    return written


def image_files(sections: Sequence[Section], folder: Path) -> tuple[list[Path], str]:
    """One PNG per figure, or no image and the reason why not."""
    if not kaleido_installed():
        return [], "PNG images need kaleido: pip install 'leadops[report-png]'"
    written: list[Path] = []
    for section in sections:
        for index, figure in enumerate(section.figures, start=1):
            path = folder / f"{section.number:02d}_{index:02d}_{_file_slug(figure.slug)}.png"
            try:
                _write_png(figure, path)
            except Exception as exc:  # noqa: BLE001 - kaleido fails in many ways without Chrome
                return written, f"PNG images were not written: {type(exc).__name__}: {exc}"
            written.append(path)
    _remove_stale(folder, written, "png")
    return written, ""


def _remove_stale(folder: Path, written: list[Path], suffix: str) -> None:
    if not folder.is_dir():
        return
    for path in folder.glob(f"[0-9][0-9]_*.{suffix}"):
        if path not in written:
            path.unlink(missing_ok=True)


def kaleido_installed() -> bool:
    return importlib.util.find_spec("kaleido") is not None


def _write_png(figure: Figure, path: Path) -> None:
    with atomic_path(path) as scratch:
        image = figure.figure.to_image(format="png", scale=PNG_SCALE, width=1000)
        scratch.write_bytes(image)


def _file_slug(slug: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", slug).strip("_") or "item"
