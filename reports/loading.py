"""Reading a run, compare or optimize directory into plain data, with errors that name the
file.

A run directory has ``summary.json`` and the CSV files beside it; a compare directory has
``comparison.json`` and one run directory per alternative; an optimize directory has any of
``trials.csv``, ``selection.json``, ``pareto.json``, ``best_policy.toml`` and
``importances.json``. A directory may be several at once; the report shows what exists.
"""

from __future__ import annotations

import csv
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadops.errors import InputError
from leadops.naming import safe_name

RUN_FILES = ("summary.json",)
RUN_TABLES = ("replications.csv", "timeseries.csv", "pools.csv", "weekly.csv", "monthly.csv",
              "warnings.csv")
OPTIMIZE_FILES = ("trials.csv", "selection.json", "pareto.json", "best_policy.toml",
                  "importances.json")


@dataclass
class CsvTable:
    """Rows of a CSV file as text, with typed column access."""

    columns: list[str]
    rows: list[dict[str, str]]

    def text(self, column: str) -> list[str]:
        return [row.get(column, "") for row in self.rows]

    def numbers(self, column: str) -> list[float | None]:
        return [to_number(row.get(column)) for row in self.rows]

    def where(self, **equal: str) -> CsvTable:
        """The rows whose columns equal the given text."""
        rows = [row for row in self.rows if all(row.get(k) == v for k, v in equal.items())]
        return CsvTable(self.columns, rows)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class RunData:
    """One run directory."""

    directory: Path
    summary: dict[str, Any]
    tables: dict[str, CsvTable] = field(default_factory=dict)

    def table(self, name: str) -> CsvTable | None:
        return self.tables.get(name)

    @property
    def currency(self) -> str:
        return str(self.summary.get("currency", ""))

    @property
    def kpis(self) -> dict[str, Any]:
        kpis: dict[str, Any] = self.summary.get("kpis", {})
        return kpis

    @property
    def label(self) -> str:
        scenario = self.summary.get("scenario", {}).get("name", "?")
        policy = self.summary.get("policy", {}).get("name", "?")
        return f"{scenario} x {policy}"


@dataclass
class ComparisonData:
    """A compare directory: the comparison document and each alternative's run."""

    directory: Path
    document: dict[str, Any]
    runs: dict[str, RunData]

    @property
    def reference(self) -> str:
        return str(self.document.get("reference", ""))

    @property
    def labels(self) -> list[str]:
        return [str(a.get("label")) for a in self.document.get("alternatives", [])]


@dataclass
class OptimizationData:
    """An optimize directory; any file may be missing."""

    directory: Path
    trials: CsvTable | None = None
    selection: dict[str, Any] | None = None
    pareto: Any = None
    importances: dict[str, Any] | None = None
    best_policy_text: str | None = None
    best_policy: dict[str, Any] | None = None


@dataclass
class Source:
    """Everything the report can show from one directory."""

    directory: Path
    run: RunData | None = None
    comparison: ComparisonData | None = None
    optimization: OptimizationData | None = None

    @property
    def kind(self) -> str:
        kinds = [name for name, part in (("run", self.run and not self.comparison),
                                          ("compare", self.comparison),
                                          ("optimize", self.optimization)) if part]
        return " + ".join(kinds)


def load(directory: Path) -> Source:
    """Read what the directory holds; InputError when it holds no results at all."""
    if not directory.exists():
        raise InputError("no such directory", file=str(directory))
    if not directory.is_dir():
        raise InputError("must be a run, compare or optimize directory, not a file",
                         file=str(directory))
    source = Source(directory)
    if (directory / "comparison.json").exists():
        source.comparison = _comparison(directory)
        source.run = source.comparison.runs.get(source.comparison.reference)
    elif (directory / "summary.json").exists():
        source.run = load_run(directory)
    if any((directory / name).exists() for name in OPTIMIZE_FILES):
        source.optimization = _optimization(directory)
    if source.run is None and source.comparison is None and source.optimization is None:
        expected = ", ".join(("summary.json", "comparison.json", *OPTIMIZE_FILES))
        raise InputError(f"is not a run, compare or optimize directory: it has none of "
                         f"{expected}", file=str(directory))
    return source


def load_run(directory: Path) -> RunData:
    summary = read_json(directory / "summary.json")
    if not isinstance(summary, dict) or "kpis" not in summary:
        raise InputError("is not a run summary: it has no 'kpis'",
                         file=str(directory / "summary.json"))
    tables = {name: read_csv(directory / name) for name in RUN_TABLES
              if (directory / name).exists()}
    return RunData(directory, summary, tables)


def _comparison(directory: Path) -> ComparisonData:
    document = read_json(directory / "comparison.json")
    if not isinstance(document, dict) or "kpis" not in document:
        raise InputError("is not a comparison: it has no 'kpis'",
                         file=str(directory / "comparison.json"))
    runs = {}
    for alternative in document.get("alternatives", []):
        label = str(alternative.get("label"))
        folder = directory / safe_name(str(alternative.get("directory") or label))
        if (folder / "summary.json").exists():
            runs[label] = load_run(folder)
    return ComparisonData(directory, document, runs)


def _optimization(directory: Path) -> OptimizationData:
    data = OptimizationData(directory)
    if (directory / "trials.csv").exists():
        data.trials = read_csv(directory / "trials.csv")
    if (directory / "selection.json").exists():
        selection = read_json(directory / "selection.json")
        data.selection = selection if isinstance(selection, dict) else {"selection": selection}
    if (directory / "pareto.json").exists():
        data.pareto = read_json(directory / "pareto.json")
    if (directory / "importances.json").exists():
        importances = read_json(directory / "importances.json")
        data.importances = importances if isinstance(importances, dict) else None
    policy = directory / "best_policy.toml"
    if policy.exists():
        data.best_policy_text = read_text(policy)
        try:
            data.best_policy = tomllib.loads(data.best_policy_text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"is not valid TOML: {exc}", file=str(policy)) from None
    return data


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read ({exc})", file=str(path)) from None


def read_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON: {exc}", file=str(path)) from None


def read_csv(path: Path) -> CsvTable:
    text = read_text(path)
    reader = csv.DictReader(text.splitlines())
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"is not valid CSV: {exc}", file=str(path)) from None
    return CsvTable(list(reader.fieldnames or []), rows)


def to_number(text: str | None) -> float | None:
    """A CSV cell as a finite number, or None for blanks and anything else."""
    if text is None or text.strip() == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
