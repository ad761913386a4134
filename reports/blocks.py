"""The pieces a report section is made of: text, tables and figures.

Sections build these plain objects; :mod:`reports.page` turns them into HTML and
:mod:`reports.export` into CSV files and images. Every string a user chose (scenario,
channel, business line, policy and rule names) stays plain text here and is escaped only
when it is written out, so there is one place that escapes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go


@dataclass(frozen=True)
class Text:
    """A paragraph; ``tone`` is "" for prose, "note" for fine print, "verdict" for findings."""

    text: str
    tone: str = ""


@dataclass(frozen=True)
class Table:
    """A table shown on the page; ``cells`` are display strings, ``values`` what CSV gets.

    ``values`` holds raw numbers (or text) so that slides can be made from the CSV without
    parsing formatted numbers, under ``csv_columns``; when ``values`` is empty the display
    cells are written under the display columns.
    """

    slug: str
    title: str
    columns: list[str]
    cells: list[list[str]]
    values: list[list[Any]] = field(default_factory=list)
    csv_columns: list[str] = field(default_factory=list)
    collapsed: bool = False  # shown folded, for long reference tables

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.csv_columns if self.values and self.csv_columns else self.columns)
        for row in self.values or self.cells:
            writer.writerow(["" if cell is None else cell for cell in row])
        return buffer.getvalue()


@dataclass(frozen=True)
class Code:
    """A preformatted block, such as a policy file."""

    title: str
    text: str


@dataclass(frozen=True)
class Card:
    """A headline number: label, value and the line under it (its interval)."""

    label: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Cards:
    cards: list[Card]


@dataclass
class Figure:
    """A plotly figure with a slug for its image file."""

    slug: str
    figure: go.Figure


Block = Text | Table | Code | Cards | Figure


@dataclass
class Section:
    """One numbered section of the report."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    number: int = 0  # the section's fixed place in the report's outline

    def add(self, *blocks: Block | None) -> None:
        self.blocks.extend(block for block in blocks if block is not None)

    @property
    def figures(self) -> list[Figure]:
        return [block for block in self.blocks if isinstance(block, Figure)]

    @property
    def tables(self) -> list[Table]:
        return [block for block in self.blocks if isinstance(block, Table)]
