"""The DuckDB backend: the same statements, run by DuckDB's columnar engine on all cores.

It answers every statement an evaluation composes, rendered for DuckDB's
dialect by sqlglot; nothing about a rule is written twice. A store made for
the DuckDB engine keeps its records in DuckDB already (see
:mod:`auditor.backends.duckdb_records`): they are evaluated where they are,
with the store's manifest beside them. Any other store's tables are first
copied into a DuckDB file of the backend's own, column by column through
Apache Arrow, with the column types the store declares.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..columnar import PYTHON_WHITESPACE
from ..errors import EngineError
from ..expression import quote_identifier as q
from .base import HelperTable
from .facts import StatementFacts
from .statement import Statement

#: what DuckDB may hold in memory before it writes to its file and temporary folder
MEMORY_LIMIT = "1GB"

if TYPE_CHECKING:
    import duckdb

    from ..columnar import TextColumns
    from .store import EvidenceStore


class DuckdbBackend(StatementFacts):
    """Evaluation in DuckDB, over the store's records where they are kept in DuckDB, else
    over a copy of the store's tables."""

    dialect = "duckdb"

    def __init__(self, store: EvidenceStore, cursor: Any = None) -> None:
        try:
            import duckdb
        except ImportError:  # pragma: no cover - a dependency of the package
            raise EngineError(
                "the duckdb engine needs the duckdb package", hint="pip install duckdb pyarrow"
            ) from None
        self.store = store
        records = getattr(store, "duckdb_tables", None)
        if cursor is None and records is not None:  # records kept in DuckDB: read in place
            store.forget_uncommitted()
            cursor = records.cursor()
        if cursor is not None:  # (or a companion: the same database, already copied)
            self._folder: tempfile.TemporaryDirectory[str] | None = None
            self.con: duckdb.DuckDBPyConnection = cursor
            _quiet(self.con)
            if records is not None:
                self._manifest_beside()
            return
        # A database file of its own in a temporary folder, not one in memory: DuckDB then
        # keeps at most MEMORY_LIMIT of it in memory (10M records: 0.47 GB resident, 1.1 GB
        # in memory), at the same speed. The folder goes when the backend does.
        folder = tempfile.TemporaryDirectory(prefix="auditor-duckdb-")
        self._folder = folder
        self.con = duckdb.connect(
            str(Path(folder.name) / "evidence.duckdb"),
            config={"memory_limit": MEMORY_LIMIT, "temp_directory": folder.name},
        )
        _quiet(self.con)
        with as_interrupt():
            for table in store.table_names():
                self._copy(table)

    def _manifest_beside(self) -> None:
        """The store's manifest (kept in SQLite) as a temporary table of this connection,
        beside the records kept in DuckDB."""
        import pyarrow as pa

        from .store import MANIFEST

        manifest = pa.concat_tables(self.store.arrow_batches(MANIFEST))
        self.con.register("_manifest_rows", manifest)
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {q(MANIFEST)} AS SELECT * FROM _manifest_rows"
            )
        finally:
            self.con.unregister("_manifest_rows")

    def _copy(self, table: str) -> None:
        """Copy one store table into DuckDB, Arrow batch by Arrow batch, typed as the store
        declares it: read by SQLite's ADBC driver where it can, else row by row."""
        import duckdb

        schema = self.store.arrow_schema(table)
        try:
            with self.store.native_arrow_batches(table) as native:
                if native is not None:
                    self._load(table, native, schema)
                    return
        except duckdb.InterruptException:  # Ctrl-C: not a reason to copy another way
            raise
        except (OSError, ValueError, TypeError, duckdb.Error):  # a value of another type
            self.con.execute(f"DROP TABLE IF EXISTS {q(table)}")
        for index, batch in enumerate(self.store.arrow_batches(table)):
            # each batch inserted from this thread: the sqlite3 cursor stays on it
            self.con.register("_batch", batch)
            verb = "CREATE TABLE {} AS" if index == 0 else "INSERT INTO {}"
            self.con.execute(f"{verb.format(q(table))} SELECT * FROM _batch")
            self.con.unregister("_batch")

    def _load(self, table: str, batches: Iterable[Any], schema: Any) -> None:
        """One CREATE TABLE over a stream of Arrow batches (DuckDB reads it on its own threads).

        Ctrl-C (or SIGTERM) taken while DuckDB pulls a batch on this thread reaches DuckDB
        as a failed stream; it is raised here as the interrupt it was, not read as a value of
        another type (which would copy the table again the slow way)."""
        import duckdb
        import pyarrow as pa

        stopped: list[KeyboardInterrupt] = []

        def record_batches() -> Iterator[pa.RecordBatch]:
            try:
                for part in batches:
                    yield from (part.to_batches() if isinstance(part, pa.Table) else [part])
            except KeyboardInterrupt as interrupt:
                stopped.append(interrupt)
                raise

        reader = pa.RecordBatchReader.from_batches(schema, record_batches())
        self.con.register("_batches", reader)
        try:
            self.con.execute(f"CREATE TABLE {q(table)} AS SELECT * FROM _batches")
        except (duckdb.Error, RuntimeError) as exc:
            if stopped:
                raise stopped[0] from None
            if _stopped_query(exc):
                raise _stopped() from None
            raise
        finally:
            self.con.unregister("_batches")
        if stopped:  # taken by DuckDB without failing the statement
            raise stopped[0]

    # ------------------------------------------------------------ Backend

    def query(self, statement: Statement) -> list[tuple[Any, ...]]:
        with as_interrupt():
            return self.con.execute(statement.render(self.dialect), statement.params).fetchall()

    def create_helper(self, table: HelperTable) -> None:
        columns = ", ".join(f"{q(column)} {_duck_type(kind)}" for column, kind in table.columns)
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {q(table.name)} ({columns}{table.key_clause()})"
        )
        if table.rows:  # as one Arrow table: executemany inserts a row at a time
            import pyarrow as pa

            from .store import arrow_type

            arrow = pa.table(
                {
                    column: pa.array([row[i] for row in table.rows], arrow_type(kind))
                    for i, (column, kind) in enumerate(table.columns)
                }
            )
            self.con.register("_helper_rows", arrow)
            try:
                self.con.execute(f"INSERT INTO {q(table.name)} SELECT * FROM _helper_rows")
            finally:
                self.con.unregister("_helper_rows")

    def has_table(self, name: str) -> bool:
        found = self.con.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema IN ('main', 'temp')",  # not a table of the store's own schema
            [name],
        ).fetchone()
        return bool(found and found[0])

    def companion(self) -> DuckdbBackend:
        """A second backend on its own cursor of the same database, for a second thread: one
        rule's rows are turned into findings in Python while DuckDB runs another's queries."""
        return DuckdbBackend(self.store, cursor=self.con.cursor())

    def interrupt(self) -> None:
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()
        if self._folder is not None:
            self._folder.cleanup()


@contextmanager
def as_interrupt() -> Iterator[None]:
    """Ctrl-C during a statement, which DuckDB catches and reports as an interrupted query,
    as the KeyboardInterrupt every other command sees (exit 130, one line)."""
    import duckdb

    try:
        yield
    except duckdb.InterruptException:
        raise _stopped() from None
    except RuntimeError as exc:
        if _stopped_query(exc):
            raise _stopped() from None
        raise


def _stopped_query(exc: BaseException) -> bool:
    """Whether DuckDB raised ``exc`` for a query a signal stopped (DuckDB 2 raises a
    RuntimeError saying so)."""
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


def _stopped() -> KeyboardInterrupt:
    """The interrupt (Ctrl-C's or SIGTERM's) behind a query DuckDB reports as stopped."""
    from ..interrupts import taken_interrupt

    return taken_interrupt() or KeyboardInterrupt()


def _quiet(con: Any) -> None:
    """No progress bar from DuckDB itself: it would print to stdout during a long statement."""
    con.execute("SET enable_progress_bar = false")


def _duck_type(sqlite_type: str) -> str:
    return {"REAL": "DOUBLE", "INTEGER": "BIGINT", "TEXT": "VARCHAR"}.get(
        sqlite_type.upper(), sqlite_type
    )


def _text_csv(width: int, buffer_bytes: int | None = None) -> str:
    """DuckDB's strict reading of a plainly quoted CSV file's rows after the header, every
    value as text (an empty one as ''), columns c0, c1, ...: parameters $path and $delim.
    ``buffer_bytes``: the size of its read buffers, when not DuckDB's own."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    buffer = "" if buffer_bytes is None else f"buffer_size = {int(buffer_bytes)}, "
    return (
        "read_csv($path, header = false, skip = 1, delim = $delim, quote = '\"', "
        f"escape = '\"', columns = {{{columns}}}, auto_detect = false, nullstr = '\x01', "
        f"{buffer}strict_mode = true, null_padding = false)"
    )


def parquet_key_repeats(path: Path | str, key: Sequence[str]) -> int | None:
    """How many records of a Parquet file repeat the ``key`` (its columns) of another one;
    None when the file lacks a key column (the caller names it). An unreadable file is an
    OSError."""
    import duckdb

    if not key:
        return 0
    listed = ", ".join(q(column) for column in key)
    con = duckdb.connect()
    _quiet(con)
    try:  # row(): a key with an empty part counts too
        rows, distinct = con.execute(
            f"SELECT count(*), count(DISTINCT row({listed})) FROM read_parquet($path)",
            {"path": str(path)},
        ).fetchall()[0]
    except duckdb.BinderException:
        return None
    except duckdb.Error as exc:
        raise OSError(str(exc).splitlines()[0]) from None
    finally:
        con.close()
    return int(rows) - int(distinct)


def parquet_empty_counts(path: Path | str, columns: Sequence[str]) -> dict[str, int]:
    """How many rows of a Parquet file leave each of ``columns`` empty (NULL), those that do.
    An unreadable file is an OSError."""
    import duckdb

    if not columns:
        return {}
    counts = ", ".join(f"count(*) - count({q(c)})" for c in columns)
    con = duckdb.connect()
    _quiet(con)
    try:
        row = con.execute(f"SELECT {counts} FROM read_parquet($path)", {"path": str(path)})
        found = row.fetchall()[0]
    except duckdb.Error as exc:
        raise OSError(str(exc).splitlines()[0]) from None
    finally:
        con.close()
    return {c: int(n) for c, n in zip(columns, found, strict=True) if n}


def parquet_values_outside(path: Path | str, column: str, allowed: Sequence[str]) -> dict[str, int]:
    """The values of a Parquet file's ``column`` not among ``allowed`` (an empty one aside),
    each with how many rows hold it, in order. An unreadable file is an OSError."""
    import duckdb

    con = duckdb.connect()
    _quiet(con)
    value = f"CAST({q(column)} AS VARCHAR)"
    try:
        rows = con.execute(
            f"SELECT {value}, count(*) FROM read_parquet($path) WHERE {value} IS NOT NULL "
            f"AND NOT list_contains($allowed, {value}) GROUP BY 1 ORDER BY 1",
            {"path": str(path), "allowed": list(allowed)},
        ).fetchall()
    except duckdb.Error as exc:
        raise OSError(str(exc).splitlines()[0]) from None
    finally:
        con.close()
    return {str(text): int(n) for text, n in rows}


def parquet_first_difference(
    ours: Path | str, theirs: Path | str, place: tuple[str, str] = ("_source", "_line")
) -> tuple[dict[str, Any] | None, dict[str, Any] | None] | None:
    """The first row (by ``place``, its file's manifest id and its line, where the files have
    those columns) that one of two Parquet files of the same columns holds and the other does
    not, as (ours, theirs), with the other's row at the same place when there is one; None
    when both hold the same rows."""
    import duckdb

    con = duckdb.connect()
    _quiet(con)
    try:
        columns = [d[0] for d in con.execute("DESCRIBE SELECT * FROM read_parquet($p)",
                                              {"p": str(ours)}).fetchall()]  # fmt: skip
        placed = set(place) <= set(columns)
        source, line = (q(name) for name in place)
        order = f"{source}, {line}" if placed else "ALL"
        firsts = []  # the first row each side holds and the other does not, with its side
        for side, (one, other) in enumerate(((ours, theirs), (theirs, ours))):
            row = con.execute(
                f"SELECT * FROM (SELECT * FROM read_parquet($a) EXCEPT ALL "
                f"SELECT * FROM read_parquet($b)) ORDER BY {order} LIMIT 1",
                {"a": str(one), "b": str(other)},
            ).fetchone()
            if row is not None:
                firsts.append((dict(zip(columns, row, strict=True)), side, other))
        if not firsts:
            return None
        where = (lambda f: (f[0][place[0]], f[0][place[1]], f[1])) if placed else (lambda f: f[1])
        found, side, other = min(firsts, key=where)  # the earlier in the file, ours first
        twin = None
        if placed:
            same = con.execute(
                f"SELECT * FROM read_parquet($b) WHERE {source} = $s AND {line} = $l LIMIT 1",
                {"b": str(other), "s": found[place[0]], "l": found[place[1]]},
            ).fetchone()
            twin = None if same is None else dict(zip(columns, same, strict=True))
        return (found, twin) if side == 0 else (twin, found)
    finally:
        con.close()


def csv_text_columns(path: str, delimiter: str, width: int) -> Iterator[TextColumns]:
    """The rows after the header of a plainly quoted CSV file, read by DuckDB's CSV
    reader (parallel, strict): every value as text, an empty one as '', in file order.
    Raises :class:`auditor.columnar.Declined` for a file it cannot read as the row reader does."""
    import duckdb
    import pyarrow as pa

    from ..columnar import BATCH_ROWS, Declined, TextColumns

    con = duckdb.connect()
    _quiet(con)
    try:
        with as_interrupt():  # stopped while DuckDB reads: the interrupt, not an unreadable file
            relation = con.sql(
                f"SELECT * FROM {_text_csv(width)}", params={"path": path, "delim": delimiter}
            )
            for batch in relation.to_arrow_reader(BATCH_ROWS):
                yield TextColumns([column.cast(pa.string()) for column in batch.columns])
    except (duckdb.Error, OSError, pa.ArrowException) as exc:
        # an error past DuckDB's first buffer (bytes of another encoding, an overlong line)
        # reaches the Arrow reader as an OSError: the row reader reads the file, as for one
        # found at once
        raise Declined(str(exc).splitlines()[0]) from None
    finally:
        con.close()


class DistinctKeysCheck:
    """Whether column ``position`` of a plainly quoted CSV file holds a different text on
    every row after the header, none empty, none a ``missing`` marker and none starting or
    ending with whitespace (so each is stored as written, and no two rows share a key):
    DuckDB reads the file once more on a thread of its own, so the ingest converts the
    file meanwhile (Python's lock leaves part of a core idle much of that time).

    The keys' 64-bit hashes are counted, not the keys: two equal keys have equal hashes,
    so a repeat is never missed, and two different keys whose hashes collide only cost the
    file its fast way. That, small read buffers and a memory limit (beyond it DuckDB works
    on disk) keep what the check holds beside the conversion small: about 160 MB more at
    10M rows instead of about 590 MB.

    :meth:`done` says whether the answer is in; :meth:`rows` is then the number of rows
    if the keys are distinct, else None (None too for a file DuckDB's strict reader does
    not read, or a check that failed: the answer only spares the ingest its key index).
    :meth:`stop` interrupts a check still running; both end its thread and close it.
    """

    def __init__(
        self, path: str, delimiter: str, width: int, position: int, missing: Iterable[str]
    ) -> None:
        import threading

        import duckdb

        from ..interrupts import held

        column = f"c{position}"
        query = (
            f"SELECT count(*), count(DISTINCT hash({column})), count(*) FILTER (WHERE "
            f"{column} = '' OR list_contains($markers, {column}) OR "
            f"list_contains($spaces, {column}[1]) OR list_contains($spaces, {column}[-1])) "
            f"FROM {_text_csv(width, KEY_CHECK_BUFFER_BYTES)}"
        )
        params = {
            "path": path,
            "delim": delimiter,
            "markers": sorted(m for m in missing if isinstance(m, str)),
            "spaces": list(PYTHON_WHITESPACE),
        }
        self.found: tuple[Any, ...] | None = None
        self.stopping = threading.Event()
        self.folder = tempfile.TemporaryDirectory(prefix="auditor-keys-")
        self.con: Any = None
        try:
            # one thread: the share of a core the conversion leaves idle (two slowed it down)
            config: dict[str, str | bool | int | float | list[str]] = {
                "threads": 1,
                "memory_limit": KEY_CHECK_MEMORY,
                "temp_directory": self.folder.name,
            }
            self.con = duckdb.connect(config=config)
            _quiet(self.con)
            self.thread = threading.Thread(
                target=self._run, args=(query, params), name="auditor-keys", daemon=True
            )
        except BaseException:
            try:
                if self.con is not None:
                    self.con.close()
            finally:
                self.folder.cleanup()
            raise
        started = False
        try:
            with held():  # Ctrl-C taken inside start() is raised once the thread is known
                self.thread.start()
                started = True
        except BaseException:
            if started:  # the query is under way: interrupted, its thread ended, all closed
                self.stop()
            else:
                try:
                    self.con.close()
                finally:
                    self.folder.cleanup()
            raise

    @classmethod
    def start(
        cls, path: str, delimiter: str, width: int, position: int, missing: Iterable[str]
    ) -> DistinctKeysCheck | None:
        """The check under way, or None when it cannot start (no temporary folder, DuckDB
        refusing the connection): the answer only spares the ingest its key index."""
        try:
            return cls(path, delimiter, width, position, missing)
        except Exception:
            return None

    def _run(self, query: str, params: dict[str, Any]) -> None:
        try:
            if not self.stopping.is_set():  # DuckDB forgets an interrupt before a query
                self.found = self.con.execute(query, params).fetchone()
        except Exception:  # unreadable to DuckDB, or stopped: no answer, the index is used
            self.found = None

    def done(self) -> bool:
        return not self.thread.is_alive()

    def rows(self) -> int | None:
        """The answer (waiting for it)."""
        self._end()
        if self.found is None:
            return None
        rows, distinct, plain_not = self.found
        return int(rows) if rows == distinct and not plain_not else None

    def stop(self) -> None:
        """The check interrupted if still running, its thread ended, its connection closed."""
        self.stopping.set()
        try:
            while self.thread.is_alive():  # an interrupt just before the query starts is lost
                self.con.interrupt()
                self.thread.join(0.05)
        finally:
            self._end()

    def _end(self) -> None:
        try:
            self.thread.join()
        finally:
            try:
                self.con.close()
            finally:
                self.folder.cleanup()


#: DuckDB's read buffer for the key check (a line longer than this makes it give no answer)
KEY_CHECK_BUFFER_BYTES = 4 << 20
#: what the key check may hold in memory before DuckDB works on disk
KEY_CHECK_MEMORY = "128MB"


class CsvAppender:
    """Arrow tables appended to an open binary file as CSV rows, formatted by DuckDB's CSV
    writer the way Python's ``csv`` module writes rows: quotes only where needed, CRLF
    line ends, numbers as ``repr`` gives them, nothing for null. A text starting with one
    of ``escape_first`` gets a leading apostrophe (a spreadsheet would run it as a
    formula). Each table is formatted into the ``part`` file, then appended.

    Rows are numbered and written in that order (DuckDB may otherwise write a table of
    several chunks in another order); one DuckDB thread, Python's lock free meanwhile.
    """

    def __init__(self, handle: Any, part: Path, escape_first: Iterable[str]) -> None:
        import duckdb

        self.handle = handle
        self.part = part
        self.first = sorted(ord(c) for c in escape_first)
        self.con: Any = duckdb.connect(config={"threads": 1})
        _quiet(self.con)

    def write(self, table: Any) -> None:
        import pyarrow as pa

        # numbered, and written in that order: a projection over a table of several chunks
        # may be written in another order, even on one thread
        numbered = table.append_column(ORDER, pa.array(range(table.num_rows), pa.int64()))
        self.con.register("_rows", numbered)
        target = str(self.part).replace("'", "''")
        try:
            with as_interrupt():
                self.con.execute(
                    f"COPY (SELECT {self._cells(table.schema)} FROM _rows ORDER BY {q(ORDER)}) "
                    f"TO '{target}' (FORMAT csv, HEADER false, NEW_LINE '\\r\\n', COMMENT '')"
                )
            with self.part.open("rb") as part:
                # a few large reads: each lets go of Python's lock and waits to take it back
                shutil.copyfileobj(part, self.handle, COPY_BUFFER_BYTES)
        finally:
            self.con.unregister("_rows")
            self.part.unlink(missing_ok=True)

    def _cells(self, schema: Any) -> str:
        import pyarrow as pa

        first = ", ".join(map(str, self.first))  # code points
        cells = []
        for field in schema:
            name = q(field.name)
            cell = name
            if field.type == pa.string() and self.first:
                cell = f"CASE WHEN ord({name}) IN ({first}) THEN {_QUOTE} || {name} ELSE {name} END"
            cells.append(f"{cell} AS {name}")
        return ", ".join(cells)

    def close(self) -> None:
        self.con.close()


#: the column :class:`CsvAppender` numbers rows in
ORDER = "_row_order"
#: bytes of a CSV part file read at a time
COPY_BUFFER_BYTES = 16 << 20
#: an apostrophe as SQL text
_QUOTE = "''''"
