"""The DuckDB engine's copy of the record tables, written while the ingest writes the store.

An audit on the DuckDB engine ingests into a fresh evidence store and then
evaluates in DuckDB. Copying a 10M-record store into DuckDB after the ingest
reads every record back out of SQLite; this mirror instead appends each batch
the ingest stores to a DuckDB table as well, in a DuckDB transaction that
begins, commits and rolls back with the store's. The evidence store stays the
record of what was ingested: when the evaluation starts, the mirror is used
only if nothing went wrong while it was written and each table holds as many
records as the store's, with the same sums of file ids and of lines;
otherwise it is dropped and the store is copied as before (see
:class:`auditor.backends.duckdb.DuckdbBackend`).

Values go into the mirror as the store would keep them: a missing number as
null, NaN as null (SQLite stores NaN as NULL) and -0.0 as 0.0 (SQLite reads an
integral real back as 0.0). A value Arrow cannot take with the column's type
(a text in a number column, say), or a whole-number column given anything but
integers, stops the mirror; the copy then reads what SQLite stored.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..expression import quote_identifier as q

if TYPE_CHECKING:
    import pyarrow as pa

#: rows inserted into DuckDB by one statement
INSERT_ROWS = 250_000
#: the Python types a whole-number column may be given as they are
_WHOLE = {int, type(None)}
#: what DuckDB may hold in memory while the ingest also runs (raised for the evaluation)
INGEST_MEMORY_LIMIT = "512MB"


class DuckdbMirror:
    """Record tables kept in a DuckDB file in step with an evidence store (see the module)."""

    def __init__(self) -> None:
        import duckdb

        self.folder: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
            prefix="auditor-duckdb-"
        )
        self.con: Any = duckdb.connect(
            str(Path(self.folder.name) / "evidence.duckdb"),
            config={"memory_limit": INGEST_MEMORY_LIMIT, "temp_directory": self.folder.name},
        )
        self.con.execute("SET enable_progress_bar = false")
        self.schemas: dict[str, pa.Schema] = {}
        self.intact = True
        self.in_transaction = False
        #: batches appended but not inserted yet: (table, schema, Arrow table)
        self.waiting: list[tuple[str, Any, pa.Table]] = []
        self.waiting_rows = 0

    # ------------------------------------------------------------ the store's calls

    def table(self, name: str, schema: pa.Schema) -> None:
        """The record table ``name`` with the store's columns (made, or widened)."""
        if not self.intact or self.schemas.get(name) == schema:
            return
        try:
            known = self.schemas.get(name)
            if known is None:
                import pyarrow as pa

                self.con.register("_empty", pa.Table.from_batches([], schema=schema))
                self.con.execute(f"CREATE TABLE {q(name)} AS SELECT * FROM _empty")
                self.con.unregister("_empty")
            else:
                from .duckdb import duck_type_of

                for field in schema:
                    if field.name not in known.names:
                        self.con.execute(
                            f"ALTER TABLE {q(name)} ADD COLUMN {q(field.name)} "
                            f"{duck_type_of(field.type)}"
                        )
            self.schemas[name] = schema
        except Exception:  # the store is the record; the mirror is only a shortcut
            self.stop()

    def begin(self) -> None:
        if self.intact:
            self._run("BEGIN TRANSACTION")
            self.in_transaction = self.intact

    def commit(self) -> None:
        self._flush()
        if self.intact and self.in_transaction:
            self._run("COMMIT")
        self.in_transaction = False

    def rollback(self) -> None:
        self.waiting.clear()
        self.waiting_rows = 0
        if self.intact and self.in_transaction:
            self._run("ROLLBACK")
        self.in_transaction = False

    def append(self, table: str, names: list[str], columns: Sequence[list[Any]]) -> None:
        """Records given as columns (``names``: the stored columns they fill); inserted in
        DuckDB :data:`INSERT_ROWS` at a time (each statement has a cost of its own)."""
        if not self.intact:
            return
        try:
            batch = self._batch(table, names, columns)
        except Exception:  # see table()
            self.stop()
            return
        if self.waiting and (self.waiting[0][0] != table or self.waiting[0][1] != batch.schema):
            self._flush()
        self.waiting.append((table, batch.schema, batch))
        self.waiting_rows += batch.num_rows
        if self.waiting_rows >= INSERT_ROWS:
            self._flush()

    def _flush(self) -> None:
        """Insert the batches waiting (all of one table and columns)."""
        waiting, self.waiting, self.waiting_rows = self.waiting, [], 0
        if not waiting or not self.intact:
            return
        import pyarrow as pa

        table = waiting[0][0]
        try:
            self.con.register("_records", pa.concat_tables([batch for _, _, batch in waiting]))
            try:
                self.con.execute(f"INSERT INTO {q(table)} BY NAME SELECT * FROM _records")
            finally:
                self.con.unregister("_records")
        except Exception:  # see table()
            self.stop()

    # ------------------------------------------------------------ the engine's calls

    def tallies(self) -> dict[str, tuple[int, int, int]]:
        """Per mirrored table: its records, and the sums of their file ids and lines."""
        return {name: _tally(self.con, name) for name in self.schemas}

    def stop(self) -> None:
        """Drop the mirror: the engine copies the store instead."""
        self.waiting.clear()
        self.intact = False
        self.in_transaction = False
        self.close()

    def close(self) -> None:
        if self.con is not None:
            with suppress(Exception):  # closing what is dropped anyway
                self.con.close()
            self.con = None
        if self.folder is not None:
            self.folder.cleanup()
            self.folder = None

    # ------------------------------------------------------------ helpers

    def _run(self, sql: str) -> None:
        try:
            self.con.execute(sql)
        except Exception:  # see table()
            self.stop()

    def _batch(self, table: str, names: list[str], columns: Sequence[list[Any]]) -> pa.Table:
        import pyarrow as pa
        import pyarrow.compute as pc

        schema = self.schemas[table]
        arrays = []
        for name, values in zip(names, columns, strict=True):
            kind = schema.field(name).type
            if pa.types.is_integer(kind) and not set(map(type, values)) <= _WHOLE:
                # Arrow would cut 2.5 to 2 where SQLite keeps 2.5 (or a bool as 1)
                raise TypeError(f"column {name} holds values that are not integers")
            # from_pandas: NaN as null, as SQLite stores it
            array = pa.array(values, type=kind, from_pandas=True)
            if pa.types.is_floating(kind):
                array = pc.add(array, pa.scalar(0.0, kind))  # -0.0 as 0.0, as SQLite reads it
            arrays.append(array)
        return pa.Table.from_arrays(arrays, names=names)


def _tally(con: Any, table: str) -> tuple[int, int, int]:
    row = con.execute(
        f"SELECT COUNT(*), COALESCE(SUM(_source), 0), COALESCE(SUM(_line), 0) FROM {q(table)}"
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
