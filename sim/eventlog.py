"""The event log: one row per lead event, streamed to disk and never held whole.

Rows are buffered in small batches and written as gzip-compressed CSV, or as Parquet when
pyarrow is installed and asked for. Each replication writes its own part; the run
directory joins the parts in replication order.

A row is written when its event happens (``time_hours``, hours since the start date) and
names the lead's channel, business line, region, grade, team, owner and funnel stage at
that moment. A touch row is the one exception: written when the touch ends, it is stamped
with the hour the touch started, so it may follow rows with later times. The events and
their ``detail``:

- ``arrived``: ``score=S complexity=C deal=D`` (the score at arrival; the deal value if
  won, before margin, written exactly)
- ``queued_sdr``, ``queued``: the team's name; ``assigned``: the owner's team
- ``touch``: a rep's piece of work on the lead, stamped with its start, ``kind=K via=V
  outcome=O rep=R``: K is clean (SDR), attempt or meeting; V is visit for a field team's
  meeting, else call; O is connected or no_answer (clean, attempt), held or no_show
  (meeting), opted_out (the touch made the customer opt out), interrupted (the lead was
  taken away meanwhile) or open (it would end after the horizon; then written when it
  starts); R is the rep's name (last, as it may hold spaces)
- ``attempt``: no_answer or not_ready (a conversation that did not qualify); ``cleaned``:
  connected or unreached; ``qualified``, ``opportunity``: ``chance=P``
- ``won``: ``revenue=M`` (margin); ``lost``: the reason; ``repeat_purchase``: ``revenue=M``
- ``moved``: ``from=PLACE to=PLACE rule=RULE``; ``sla_breach``: the SLA action
- ``message``: a campaign message, ``outcome=O campaign=NAME`` with O responded,
  no_response or opted_out; ``reactivated``: ``from=PLACE campaign=NAME``
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

COLUMNS = (
    "replication", "time_hours", "lead_id", "event", "channel", "business_line", "region",
    "grade", "team", "owner", "stage", "detail",
)
FLUSH_ROWS = 20_000

Row = tuple[int, float, int, str, str, str, str, str, str, str, str, str]


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


class EventLog:
    """Buffered writer of one replication's events to ``path`` (.csv.gz or .parquet)."""

    def __init__(self, path: Path, *, header: bool = True):
        self.path = path
        self.rows: list[Row] = []
        self.count = 0
        self.parquet = path.suffix == ".parquet"
        self._writer: Any = None
        self._file: Any = None
        if not self.parquet:
            # No timestamp in the gzip header, so the same run writes the same bytes.
            packed = gzip.GzipFile(path, "wb", compresslevel=3, mtime=0)
            self._file = io.TextIOWrapper(packed, encoding="utf-8", newline="")
            self._csv = csv.writer(self._file)
            if header:
                self._csv.writerow(COLUMNS)

    def write(self, row: Row) -> None:
        self.rows.append(row)
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        self.count += len(self.rows)
        if self.parquet:
            self._write_parquet()
        else:
            self._csv.writerows(self.rows)
        self.rows.clear()

    def close(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()
        if self.parquet:
            if self._writer is None:
                self._write_parquet()
            self._writer.close()

    def _write_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns: list[list[object]] = [[] for _ in COLUMNS]
        for row in self.rows:
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        table = pa.table(dict(zip(COLUMNS, columns, strict=True)), schema=_schema())
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)


def _schema() -> Any:
    import pyarrow as pa

    kinds = {"replication": pa.int32(), "time_hours": pa.float64(), "lead_id": pa.int64()}
    return pa.schema([(name, kinds.get(name, pa.string())) for name in COLUMNS])


def join_parts(parts: list[Path], target: Path) -> None:
    """Join replication parts into one file at ``target`` (written by the caller atomically)."""
    if target.suffix == ".parquet":
        _join_parquet(parts, target)
        return
    with target.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                while chunk := source.read(1 << 20):
                    out.write(chunk)


def _join_parquet(parts: list[Path], target: Path) -> None:
    import pyarrow.parquet as pq

    writer = None
    for part in parts:
        source = pq.ParquetFile(part)
        for group in range(source.num_row_groups):
            table = source.read_row_group(group)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
    if writer is not None:
        writer.close()


def read_csv_events(path: Path) -> list[dict[str, str]]:
    """Read a small csv.gz event log back (for tests and exports of small runs)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
