"""A store's records kept in a DuckDB database beside it, for the DuckDB engine.

A store made for the DuckDB engine (``evidence ingest --engine duckdb`` into a
new store, ``audit --engine duckdb``, ``capa verify --engine duckdb``) keeps
each evidence kind's table in a DuckDB database file beside the SQLite file
(``STORE.duckdb``; in memory for a store in memory). The SQLite file keeps the
manifest and the quarantine as every store does; its ``user_version`` says
that the records are in DuckDB, and is a random number the DuckDB file keeps
too, so that a records file is never read as another store's (two files
copied from different runs, a move interrupted between the two). The ingest
then hands DuckDB each converted batch as Arrow columns (no value bound one
by one from Python), and the DuckDB engine evaluates the records where they
are, with no copy.

One file's ingest is still all or nothing. Its rows are stored as they come,
200,000 at a time (DuckDB holding a whole file's rows in one transaction
would hold them in memory: about 1 GB more at ten million records), each
with the manifest id of its file; the last are stored before SQLite commits
the file's manifest entry. If that transaction does not commit, the rows of
every file after the newest committed id are deleted (rows still held are
dropped). That is done again when the store is opened and when each
transaction begins, so rows left by a process that was killed are never
read, nor counted for the next file (SQLite gives its id to the next file).
Only one process at a time opens the DuckDB file.

Values are stored as SQLite would store them, so that every engine gives the
same findings from either kind of store: ``-0.0`` as ``0.0``, NaN as null, a
whole number in a number column as a number. A value SQLite would keep under
another type than its column's (a text in a number column) is refused with
the table and column: the converter never makes one.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Location, StoreError
from ..expression import quote_identifier as q

if TYPE_CHECKING:
    import pyarrow

#: what DuckDB may hold in memory before it works on disk (as the DuckDB engine's copies)
MEMORY_LIMIT = "1GB"
#: where a records file keeps the number it shares with its SQLite file
PAIRING_SCHEMA = "auditor"
PAIRING_TABLE = "store_pairing"
#: DuckDB's type of each column type the store declares through sqlite-utils
DUCK_TYPES = {int: "BIGINT", float: "DOUBLE", str: "VARCHAR"}
#: rows held (as Arrow tables) before DuckDB stores them, in one statement: each INSERT has
#: a cost of its own, and 200,000 rows given at once are stored in a little over half the
#: time they take 20,000 at a time (the batches the converter makes). More at once was
#: slower on the whole: the ingest waits while DuckDB stores them (see performance.md)
INSERT_ROWS = 200_000


def records_path(store_path: str | Path) -> Path:
    """Where the records of the store at ``store_path`` are kept: ``STORE.duckdb``."""
    store = Path(store_path)
    return store.with_name(store.name + ".duckdb")


class DuckdbRecords:
    """The evidence kinds' tables of one store, in DuckDB (see the module's text)."""

    def __init__(
        self, store_path: str | None, create: bool, pairing: int, read_only: bool = False
    ) -> None:
        """The records of the store at ``store_path`` (None: in memory), in a file made now
        (``create``) or made before, which must carry the store's ``pairing`` number; one
        made before may be opened ``read_only`` (any number of processes may read it so)."""
        import duckdb

        #: batches given to :meth:`insert` and not yet stored, by table, in order
        self._held: dict[str, list[pyarrow.Table]] = {}
        self._held_rows = 0
        self._holding = threading.Lock()  # the ingest inserts on a thread of its own
        self.path = None if store_path is None else records_path(store_path)
        where = Location(str(self.path or ":memory:"))
        self._check_file(create, where)
        config: dict[str, Any] = {"memory_limit": MEMORY_LIMIT}
        # beyond the limit DuckDB works on disk: beside a file (STORE.duckdb.tmp, DuckDB's
        # own choice), in a temporary folder of its own for a store in memory
        self._spill = (
            None if self.path is not None else tempfile.TemporaryDirectory(prefix="auditor-duckdb-")
        )
        if self._spill is not None:
            config["temp_directory"] = self._spill.name
        try:
            self.con: Any = duckdb.connect(
                str(self.path) if self.path is not None else ":memory:",
                read_only=read_only and not create,
                config=config,
            )
        except duckdb.Error as exc:
            self._drop_spill()
            locked = "lock" in str(exc).lower()
            raise StoreError(
                "the store's records are open in another process"
                if locked
                else f"cannot open the store's records: {str(exc).splitlines()[0]}",
                location=where,
                hint="wait for the other auditor command to finish, then run again"
                if locked
                else "ingest the evidence again into a new store",
            ) from None
        try:
            self.con.execute("SET enable_progress_bar = false")
            self._pair(pairing, create, where)
        except BaseException:  # Ctrl-C, a refused file: closed, and a file made now removed
            self.close()
            if create and self.path is not None:
                for made in (self.path, Path(f"{self.path}.wal")):
                    made.unlink(missing_ok=True)
            raise
        self._schemas: dict[str, pyarrow.Schema] = {}

    def _check_file(self, create: bool, where: Location) -> None:
        """A file made before is there; one to be made now is not yet."""
        if self.path is not None and not create and not self.path.is_file():
            raise StoreError(
                f"the store keeps its records in {self.path.name}, which is missing",
                location=where,
                hint="keep the .duckdb file beside the store, or ingest the evidence again",
            )
        if self.path is not None and create and self.path.exists():
            raise StoreError(
                "a new store's records file is already there (left by another store?)",
                location=where,
                hint="remove it, or give --store another name",
            )

    def _pair(self, pairing: int, create: bool, where: Location) -> None:
        """The number the SQLite file and this file share (a schema of its own keeps it
        apart from the kinds' tables): a file of another store is refused, not read. The
        names are written out in full: DuckDB names the database after the file, which may
        be the schema's name (a store called auditor.db)."""
        database = self.con.execute("SELECT current_database()").fetchall()[0][0]
        # the file's name, whatever it holds (a store called store-1.db): quoted as it is
        quoted = '"' + database.replace('"', '""') + '"'
        schema = f"{quoted}.{q(PAIRING_SCHEMA)}"
        table = f"{schema}.{q(PAIRING_TABLE)}"
        if create:
            self.con.execute(f"CREATE SCHEMA {schema}")
            self.con.execute(f"CREATE TABLE {table} (pairing BIGINT)")
            self.con.execute(f"INSERT INTO {table} VALUES (?)", [pairing])
            return
        found = self.con.execute(
            "SELECT COUNT(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
            "AND table_name = ?",
            [database, PAIRING_SCHEMA, PAIRING_TABLE],
        ).fetchall()[0][0]
        kept = self.con.execute(f"SELECT pairing FROM {table}").fetchall() if found else []
        if kept != [(pairing,)]:
            raise StoreError(
                "this records file belongs to another store (the two files of a store carry "
                "the same number; these do not)",
                location=where,
                hint="keep each store's .db and .db.duckdb files together, from the same run",
            )

    # ------------------------------------------------------------ transactions

    def forget_after(self, last_file: int) -> None:
        """Delete the rows of every file after manifest id ``last_file``, the newest SQLite
        has committed: rows of a file whose manifest entry did not commit (the store's
        transaction failed, or the process was killed). The store calls it when it is
        opened, when a transaction begins and when one fails (with the id read after the
        rollback: a commit interrupted after it happened keeps its rows)."""
        self.flush()  # none are held then in an ingest (see :meth:`discard`)
        for table in self.tables():
            self._writing(
                lambda table=table: self.con.execute(
                    f"DELETE FROM {q(table)} WHERE _source > ?", [last_file]
                )
            )

    def newest_source(self) -> int:
        """The largest manifest id any record here comes from (0 for none)."""
        self.flush()
        newest = 0
        for table in self.tables():
            row = self.con.execute(f"SELECT MAX(_source) FROM {q(table)}").fetchall()[0]
            newest = max(newest, int(row[0] or 0))
        return newest

    def flush(self) -> None:
        """Store the rows :meth:`insert` holds (the store does before its transaction
        commits, and every read and change of a table here does first)."""
        import pyarrow as pa

        with self._holding:
            for table in list(self._held):  # a table stored is let go; one that fails is kept
                self.con.register("_stored_batch", pa.concat_tables(self._held[table]))
                # on one thread: the ingest converts the next rows on another core meanwhile,
                # and DuckDB's threads spent 45% more time in all storing the same rows
                self.con.execute("SET threads = 1")
                try:
                    self._writing(
                        lambda table=table: self.con.execute(
                            f"INSERT INTO {q(table)} SELECT * FROM _stored_batch"
                        )
                    )
                finally:
                    self.con.execute("RESET threads")
                    self.con.unregister("_stored_batch")
                batches = self._held.pop(table)
                self._held_rows -= sum(batch.num_rows for batch in batches)

    def discard(self) -> None:
        """Forget the rows held and not stored (a file's whose ingest failed)."""
        with self._holding:
            self._held, self._held_rows = {}, 0

    def _writing(self, step: Any) -> Any:
        """A write to the DuckDB file; a full disk or too little memory is a store error
        (DuckDB reports a file it could not write when it commits, as a failed commit)."""
        import duckdb

        try:
            return step()
        except (
            duckdb.IOException,
            duckdb.OutOfMemoryException,
            duckdb.TransactionException,
        ) as exc:
            raise StoreError(
                f"cannot write the store's records: {str(exc).splitlines()[0]}",
                location=Location(str(self.path or ":memory:")),
                hint="free some space (beside the store, and its .tmp folder), then run again",
            ) from None

    # ------------------------------------------------------------ tables

    def tables(self) -> list[str]:
        """The kinds' tables, by name."""
        rows = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND NOT temporary ORDER BY table_name"
        ).fetchall()
        return [row[0] for row in rows]

    def holds(self, table: str) -> bool:
        return table in self.tables()

    def ensure_table(self, table: str, columns: dict[str, type]) -> None:
        """The table with ``columns`` (name -> Python type), made or widened."""
        self.flush()  # rows held are of the table as it is
        self._schemas.pop(table, None)
        if not self.holds(table):
            listed = ", ".join(f"{q(n)} {DUCK_TYPES.get(t, 'VARCHAR')}" for n, t in columns.items())
            self._writing(lambda: self.con.execute(f"CREATE TABLE {q(table)} ({listed})"))
            return
        existing = {row[0] for row in self.con.execute(f"DESCRIBE {q(table)}").fetchall()}
        for name, kind in columns.items():
            if name not in existing:
                added = f"{q(name)} {DUCK_TYPES.get(kind, 'VARCHAR')}"
                self._writing(
                    lambda added=added: self.con.execute(
                        f"ALTER TABLE {q(table)} ADD COLUMN {added}"
                    )
                )

    def check_columns(self, table: str, columns: dict[str, type]) -> None:
        """Refuse a table whose column holds another type than the kind declares (the file
        changed outside the tool): the engine would fail on it half-way."""
        if not self.holds(table):
            return
        found = {row[0]: row[1] for row in self.con.execute(f"DESCRIBE {q(table)}").fetchall()}
        for name, kind in columns.items():
            wanted = DUCK_TYPES.get(kind, "VARCHAR")
            if name in found and found[name] != wanted:
                raise StoreError(
                    f"table {table}, column {name} holds {found[name]}, where the evidence kind "
                    f"declares {wanted}: the records were changed outside the auditor, or the "
                    "pack's kind was since the store was made",
                    location=Location(str(self.path)),
                    hint="ingest the evidence files again into a new store (auditor audit "
                    "does), or verify the audit to see what changed",
                )

    def schema(self, table: str) -> pyarrow.Schema:
        """The Arrow schema of a table, as the store declares its columns."""
        import pyarrow as pa

        known = self._schemas.get(table)
        if known is not None:
            return known
        types = {"BIGINT": pa.int64(), "DOUBLE": pa.float64()}
        described = self.con.execute(f"DESCRIBE {q(table)}").fetchall()
        schema = pa.schema([pa.field(row[0], types.get(row[1], pa.string())) for row in described])
        self._schemas[table] = schema
        return schema

    def insert(self, table: str, names: list[str], columns: Sequence[Sequence[Any]]) -> None:
        """Store one batch of records given as columns (``names`` then ``_source``, ``_line``),
        typed as the table declares them; in the order given. The rows are held until
        :data:`INSERT_ROWS` are, then stored together (see :meth:`flush`)."""
        import pyarrow as pa

        schema = self.schema(table)
        given = dict(zip([*names, "_source", "_line"], columns, strict=True))
        rows = len(columns[0]) if columns else 0
        arrays = []
        for field in schema:
            if field.name not in given:
                arrays.append(pa.nulls(rows, field.type))
                continue
            try:
                arrays.append(stored_array(given[field.name], field.type))
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
                raise StoreError(
                    f"table '{table}', column '{field.name}': a value is not of the column's "
                    f"type ({exc})",
                    location=Location(str(self.path or ":memory:")),
                    hint="a field whose type the pack changed since the store was made: "
                    "ingest into a new store",
                ) from None
        batch = pa.table(arrays, schema=schema)
        with self._holding:
            self._held.setdefault(table, []).append(batch)
            self._held_rows += rows
            if self._held_rows < INSERT_ROWS:
                return
        self.flush()

    # ------------------------------------------------------------ reading

    def count(self, table: str, source: int | None = None) -> int:
        self.flush()
        if source is None:
            row = self.con.execute(f"SELECT COUNT(*) FROM {q(table)}").fetchall()[0]
        else:
            row = self.con.execute(
                f"SELECT COUNT(*) FROM {q(table)} WHERE _source = ?", [source]
            ).fetchall()[0]
        return int(row[0])

    def keys_distinct(self, table: str, key: str, source: int) -> bool:
        """Whether the rows of one file (by manifest id) hold a different ``key`` each, none
        null. Their 64-bit hashes are counted: two equal keys have equal hashes, so a repeat
        is never missed, and two keys whose hashes collide only cost the file a second
        reading (with its keys looked up), as does a count DuckDB cannot finish."""
        import duckdb

        from .duckdb import as_interrupt

        self.flush()
        k = q(key)
        try:
            with as_interrupt():  # Ctrl-C meanwhile stops the ingest, as anywhere else
                rows, keys, distinct = self.con.execute(
                    f"SELECT count(*), count({k}), count(DISTINCT hash({k})) FROM {q(table)} "
                    "WHERE _source = ?",
                    [source],
                ).fetchall()[0]
        except duckdb.Error:  # too little memory, say: no answer, and the keys are looked up
            return False
        return bool(rows == keys == distinct)

    def key_batches(
        self, table: str, key: Sequence[str], files: dict[int, str], rows: int
    ) -> Iterator[tuple[list[Any], list[str], list[int]]]:
        """The keys stored in ``table``, a batch at a time as columns: the keys (a value for
        one key field, else tuples), the file each came from (``files`` by manifest id) and
        its line."""
        self.flush()
        listed = ", ".join(q(k) for k in key)
        cursor = self.con.execute(f"SELECT {listed}, _source, _line FROM {q(table)}")
        while batch := cursor.fetchmany(rows):
            columns = list(zip(*batch, strict=True))
            keys = list(columns[0]) if len(key) == 1 else [row[:-2] for row in batch]
            yield keys, [files.get(s, "?") for s in columns[-2]], list(columns[-1])

    def records(
        self, table: str, fields: dict[str, str], files: dict[int, str]
    ) -> list[dict[str, Any]]:
        """Rows of ``table`` whose fields read (as text) as given, in file and line order,
        each with ``_file``."""
        self.flush()
        where = " AND ".join(f"CAST({q(k)} AS VARCHAR) = ?" for k in fields)
        cursor = self.con.execute(
            f"SELECT * FROM {q(table)}"
            + (f" WHERE {where}" if where else "")
            + " ORDER BY _source, _line",
            list(fields.values()),
        )
        names = [c[0] for c in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for record in found:
            record["_file"] = files.get(record["_source"], "?")
        return found

    def batches(self, table: str, rows: int) -> Iterator[pyarrow.Table]:
        """The table as Arrow tables of ``rows`` rows (the last one fewer, the only one maybe
        empty), in the order stored, typed as :meth:`schema` declares: cut as a SQLite
        store's are, so that a Parquet export writes the same row groups."""
        import pyarrow as pa

        self.flush()
        schema = self.schema(table)
        reader = self.con.sql(f"SELECT * FROM {q(table)}").to_arrow_reader(rows)
        held: list[pyarrow.RecordBatch] = []  # DuckDB's batches are of other sizes
        count, yielded = 0, False
        for batch in reader:
            held.append(batch)
            count += batch.num_rows
            while count >= rows:
                joined = pa.Table.from_batches(held, reader.schema)
                yield joined.slice(0, rows).combine_chunks().cast(schema)
                yielded = True
                held, count = joined.slice(rows).to_batches(), count - rows
        if count or not yielded:
            yield pa.Table.from_batches(held, reader.schema).combine_chunks().cast(schema)

    def cursor(self) -> Any:
        """A connection of its own to the same database (for an engine's thread)."""
        self.flush()
        return self.con.cursor()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._close_connection()

    def _close_connection(self) -> None:
        try:
            self.con.close()
        finally:
            self._drop_spill()

    def _drop_spill(self) -> None:
        if self._spill is not None:
            self._spill.cleanup()
            self._spill = None


def stored_array(values: Sequence[Any], kind: pyarrow.DataType) -> pyarrow.Array:
    """A column's values as an Arrow array of its declared type, holding what SQLite stores
    for them: the array they were converted from when the converter kept one of that type
    (see :class:`auditor.columnar.WithArrow`), else one made from the values. Raises when a
    value is not of the column's type (a text in a number column; 3.5 in an integer one,
    which Arrow would cut to 3)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = getattr(values, "arrow", None)
    if arrow is None or arrow.type != kind or len(arrow) != len(values):
        arrow = _from_values(values, kind)
    if kind == pa.float64():  # SQLite stores -0.0 as 0.0 (adding zero does the same) and
        arrow = pc.add(arrow, pa.scalar(0.0))  # NaN as NULL
        arrow = pc.if_else(pc.is_nan(arrow), pa.scalar(None, kind), arrow)
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
