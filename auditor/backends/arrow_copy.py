"""What an ingest stored, kept a second time as Arrow files, for the DuckDB engine.

An audit on the DuckDB engine ingests into the SQLite store and then copies
each table into DuckDB. Reading a table back out of SQLite is the slow half
of that copy (18 s of a 10M-record audit); the values the ingest has just
bound to its INSERT statements are at hand, column by column. This keeps
them: each batch the store takes is also appended, typed as the store
declares the table's columns, to an Arrow IPC file in a folder of its own
beside the store, one file per transaction, dropped when the transaction
rolls back. DuckDB then reads those files on all its threads instead of the
store.

A table's files are used only when they hold exactly what the table holds:
the table was empty when this process first stored into it, every value was
of its column's declared type (a value SQLite would have kept under another
type gives the table up; -0.0 and NaN are kept as SQLite stores them, 0.0
and NULL), its columns did not change, and its row count in the store equals
the rows kept (another process storing into the same table in between shows
there). A file that cannot be written gives its table up too: the files are
only a speed-up. Otherwise the table is copied from the store as before.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow


@dataclass
class _Kept:
    """One table's Arrow files: the committed ones, and the open transaction's."""

    schema: pyarrow.Schema
    files: list[Path] = field(default_factory=list)
    rows: int = 0  # rows in the committed files
    writer: Any = None  # the open transaction's file writer
    open_file: Path | None = None
    open_rows: int = 0


class ArrowCopy:
    """Each table's stored batches again as Arrow IPC files (see the module's text)."""

    def __init__(self, beside: Path | None = None) -> None:
        self._beside = beside  # where the files' folder is made (None: the temporary folder)
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._kept: dict[str, _Kept] = {}
        self._given_up: set[str] = set()
        self._files = 0

    def wants(self, table: str) -> bool:
        """Whether batches stored into ``table`` are still worth keeping."""
        return table not in self._given_up

    def starts(self, table: str) -> bool:
        """Whether ``table`` has had nothing kept yet (its first batch: the caller checks the
        table is empty)."""
        return table not in self._kept

    def add(self, table: str, schema: pyarrow.Schema, columns: dict[str, Sequence[Any]]) -> None:
        """Keep one stored batch: ``columns`` by name, every column of ``schema`` or none
        (null). Gives the table up when a value is not of its column's declared type."""
        import pyarrow as pa

        kept = self._kept.get(table)
        if kept is None:
            kept = self._kept[table] = _Kept(schema)
        elif not kept.schema.equals(schema):  # a column added by a later file
            self.give_up(table)
            return
        rows = len(next(iter(columns.values()))) if columns else 0
        try:
            batch = pa.record_batch(
                [
                    _array(columns[f.name], f.type) if f.name in columns else pa.nulls(rows, f.type)
                    for f in schema
                ],
                schema=schema,
            )
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            self.give_up(table)
            return
        try:
            if kept.writer is None:
                kept.open_file = self._new_file()
                kept.writer = pa.ipc.new_file(str(kept.open_file), schema)
            kept.writer.write_batch(batch)
        except (OSError, pa.ArrowException):  # a full disk: the copy is only a speed-up
            self.give_up(table)
            return
        kept.open_rows += rows

    def commit(self) -> None:
        """The store committed: what was kept in the transaction counts."""
        for table, kept in list(self._kept.items()):
            if kept.writer is not None:
                if not _closed(kept.writer):
                    self.give_up(table)
                    continue
                assert kept.open_file is not None
                kept.files.append(kept.open_file)
                kept.rows += kept.open_rows
            kept.writer, kept.open_file, kept.open_rows = None, None, 0

    def rollback(self) -> None:
        """The store rolled back: what was kept in the transaction goes."""
        for kept in self._kept.values():
            if kept.writer is not None:
                _closed(kept.writer)
                assert kept.open_file is not None
                kept.open_file.unlink(missing_ok=True)
            kept.writer, kept.open_file, kept.open_rows = None, None, 0

    def give_up(self, table: str) -> None:
        """Keep nothing more of ``table``, and drop what was kept."""
        self._given_up.add(table)
        kept = self._kept.pop(table, None)
        if kept is not None:
            if kept.writer is not None:
                _closed(kept.writer)
            for path in [*kept.files, *([kept.open_file] if kept.open_file else [])]:
                path.unlink(missing_ok=True)

    def holds(self, table: str) -> bool:
        """Whether anything of ``table`` is kept."""
        return table in self._kept and table not in self._given_up

    def table(self, table: str, schema: pyarrow.Schema, stored_rows: int) -> Any:
        """The kept batches of ``table`` as an Arrow dataset (read when scanned), or None
        when they are not exactly what the store holds: ``stored_rows`` rows of ``schema``."""
        kept = self._kept.get(table)
        if (
            kept is None
            or table in self._given_up
            or kept.writer is not None  # a transaction still open
            or kept.rows != stored_rows
            or not kept.schema.equals(schema)
            or not kept.files
        ):
            return None
        import pyarrow.dataset as ds

        return ds.dataset([str(p) for p in kept.files], schema=schema, format="ipc")

    def close(self) -> None:
        """Drop every file kept."""
        for table in list(self._kept):
            self.give_up(table)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def _new_file(self) -> Path:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix=".auditor-arrow-", dir=self._beside)
        self._files += 1
        return Path(self._folder.name) / f"{self._files:06d}.arrow"


def _array(values: Sequence[Any], kind: pyarrow.DataType) -> pyarrow.Array:
    """A column's values as an Arrow array of its declared type, holding what SQLite stores
    for them: the array they were converted from when the converter kept one of that type
    (see :class:`auditor.columnar.WithArrow`), else one made from the values. Raises when a
    value is not of the column's type (a number in a text column, 3.5 in an integer one,
    which Arrow would cut to 3): SQLite would keep it as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = getattr(values, "arrow", None)
    if arrow is None or arrow.type != kind or len(arrow) != len(values):
        arrow = _from_values(values, kind)
    if kind == pa.float64():  # SQLite stores -0.0 as 0.0: adding zero does the same
        arrow = pc.add(arrow, pa.scalar(0.0))
    return arrow


def _from_values(values: Sequence[Any], kind: pyarrow.DataType) -> pyarrow.Array:
    """Python values as an Arrow array of ``kind``, or a TypeError when one is not of it."""
    import pyarrow as pa

    arrow = pa.array(values, from_pandas=True)  # NaN as null, as SQLite stores it
    if arrow.type == pa.null():
        return pa.nulls(len(values), kind)
    if arrow.type == pa.int64() and kind == pa.float64():  # REAL: SQLite stores 3 as 3.0
        return arrow.cast(kind)
    if arrow.type != kind:
        raise TypeError(f"values of type {arrow.type} for a column of {kind}")
    return arrow


def _closed(writer: Any) -> bool:
    """Close an IPC file writer; whether it closed (a full disk may stop it)."""
    import pyarrow as pa

    try:
        writer.close()
    except (OSError, pa.ArrowException):
        return False
    return True
