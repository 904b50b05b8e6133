"""The evidence store: one SQLite database (through sqlite-utils) per audit.

Tables:
- one per evidence kind, named after it, with a typed column per field plus
  ``_source`` (the ``_manifest`` id of the file it came from) and ``_line``;
- ``_quarantine``: every row that was read but not stored, with file, line,
  column, raw value, reason and the whole raw row as JSON;
- ``_manifest``: every file ingested, with its SHA-256, size, rows read,
  stored and quarantined, its status, the reader options used, the mapping
  that read it (JSON: name, source, path, sha256, columns), its warnings
  (a JSON list of texts) and the values a DST change moved (JSON: field -> count).

A store made for the DuckDB engine keeps the kinds' tables in a DuckDB file
beside it instead (see :mod:`auditor.backends.duckdb_records`); its
``user_version`` is then a number other than 0, which the DuckDB file keeps
too. Every method here reads and writes records wherever the store keeps them.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from ..atomic import make_parent
from ..convert import Records, plain_text, sql_type
from ..errors import Location, StoreError
from ..expression import quote_identifier
from ..model import EvidenceKind
from .duckdb_records import DuckdbRecords

if TYPE_CHECKING:
    import pyarrow

QUARANTINE = "_quarantine"
#: how long a writer waits for another process's transaction on the same store
BUSY_TIMEOUT_MS = 120_000
#: rows per Arrow batch when a table is read column-wise
ARROW_BATCH_ROWS = 100_000
MANIFEST = "_manifest"
#: values one INSERT statement binds at most: SQLite's default limit before 3.32 (a
#: connection whose own limit is lower is held to that)
MAX_VARIABLES = 999
#: rows a call to insert_records lays out at a time (a benchmark stores whole tables at once)
INSERT_CHUNK_ROWS = 20_000
#: the SQLite store's user_version when its records are kept in SQLite (else: the number
#: the store and its DuckDB file share)
RECORDS_IN_SQLITE = 0
#: manifest columns that hold JSON, and their value when there is nothing to say
JSON_COLUMNS: dict[str, Any] = {"reader": {}, "mapping": None, "warnings": [], "moved_dst": {}}


#: the Python types a column of each declared Arrow type may hold as SQLite returns them
_ARROW_TYPES: dict[str, tuple[type, ...]] = {
    "int64": (int, type(None)),
    "double": (float, int, type(None)),
    "string": (str, type(None)),
}


def rows_per_statement(width: int, limit: int = MAX_VARIABLES) -> int:
    """Rows of ``width`` values one INSERT statement holds (at least one), ``limit`` values
    at most."""
    return max(1, min(MAX_VARIABLES, limit) // width)


class EvidenceStore:
    """A SQLite evidence store. ``path=None`` keeps it in memory (dry runs).

    ``engine`` names the SQL engine that evaluates it (see
    :mod:`auditor.backends.engines`); None: the engine its records are kept for
    (DuckDB for a store whose records are in DuckDB, else SQLite). A new store
    opened for ``duckdb`` keeps its records in DuckDB; a store keeps its records
    where they were first stored, whichever engine opens it later. ``engine_asked``:
    the user named ``engine`` (an ingest's ``--engine``), and a store that keeps its
    records where a new store for it would not is refused, not written in silence.
    """

    def __init__(
        self,
        path: str | Path | None,
        engine: str | None = None,
        read_only: bool = False,
        engine_asked: bool = False,
    ) -> None:
        self.path = None if path is None else str(path)
        #: the evidence export this store was rebuilt from (its records are also there, as
        #: Parquet, for an engine that reads them in place: see :mod:`auditor.exported`)
        self.export_folder: Path | None = None
        #: the records' tables when they are kept in DuckDB (else they are in SQLite)
        self.duckdb_tables: DuckdbRecords | None = None
        #: opened only to be read (see :meth:`_open_to_read`)
        self.read_only = read_only and path is not None
        if self.read_only and self._open_to_read():
            self.engine = engine or ("duckdb" if self.duckdb_tables is not None else "sqlite")
            return
        self.read_only = False
        made = False  # whether this opening made the records file
        try:
            if path is not None:
                make_parent(Path(path))
            # an ingest stores one batch on a second thread while it converts the next
            # (never two threads at once: see ingest._Behind)
            self.db = self._connect()
            self._refuse_foreign(Location(str(path)))
            mode = "PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY"
            _patiently(lambda: self.db.execute(mode))  # the switch does not wait by itself
            self.db.execute("PRAGMA synchronous=NORMAL")
            kept = int(self.db.execute("PRAGMA user_version").fetchone()[0])
            if kept != RECORDS_IN_SQLITE:  # the records file first: while another process
                # writes the store it is refused at once, before waiting for SQLite's lock
                self.duckdb_tables = DuckdbRecords(self.path, False, kept)
            with self.transaction():  # two processes opening a new store make its tables once
                self._ensure_meta()
                in_duckdb = None if self.duckdb_tables else self._records_in_duckdb(engine)
                if in_duckdb is not None:  # made before the store's mark is committed
                    pairing, create = in_duckdb
                    self.duckdb_tables = DuckdbRecords(self.path, create, pairing)
                    made = create
                if self.duckdb_tables is not None:
                    self.duckdb_tables.forget_after(self.last_file_id())  # a killed ingest's
            if engine is not None and engine_asked:
                self._refuse_records_elsewhere(engine)
        except sqlite3.DatabaseError as exc:  # not a database, locked for too long, ...
            self._close_after_failing(made)
            raise self._not_opened(exc) from None
        except BaseException:
            self._close_after_failing(made)
            raise
        self.engine = engine or ("duckdb" if self.duckdb_tables is not None else "sqlite")

    def _not_opened(self, exc: sqlite3.DatabaseError) -> StoreError:
        """The error of a store SQLite could not open."""
        if store_full(exc):  # its journal, its shared memory or first pages not written
            return StoreError(
                f"cannot write the store: {exc} (a full disk or a file-size limit?)",
                location=Location(str(self.path)),
                hint="free some space or raise the limit, then run again",
            )
        return StoreError(f"cannot open the store: {exc}", location=Location(str(self.path)))

    def _open_to_read(self) -> bool:
        """The store opened without changing it, for a command that only reads it
        (``explain``, ``sample``, ``evidence export``, ``watch``'s baselines).

        No table or row is made or changed in SQLite (the evaluation's temporary tables
        are apart from the file; SQLite may fold its write-ahead log into the file when the
        last connection closes), and the DuckDB file is opened read-only, so that several
        such commands can read one store at once (DuckDB lets one process write a file, or
        any number read it; SQLite lets them all read). False, with nothing left open, for
        a store that must be opened to be written first: one a killed ingest left rows in
        that did not commit (opening it removes them), or one without the tables every
        store has."""
        try:
            self.db = self._connect()
            self._refuse_foreign(Location(str(self.path)))
            if not {MANIFEST, QUARANTINE} <= set(self.db.table_names()):
                self.db.close()
                return False
            pairing = int(self.db.execute("PRAGMA user_version").fetchone()[0])
            if pairing != RECORDS_IN_SQLITE:
                self.duckdb_tables = DuckdbRecords(self.path, False, pairing, read_only=True)
                if self.duckdb_tables.newest_source() > self.last_file_id():
                    self._close_after_failing()
                    return False
        except sqlite3.DatabaseError as exc:
            self._close_after_failing()
            raise self._not_opened(exc) from None
        except BaseException:
            self._close_after_failing()
            raise
        return True

    def _close_after_failing(self, made: bool = False) -> None:
        """What opening the store had opened, closed again (and a records file it had just
        made, removed: the store was not marked as keeping its records there)."""
        db = getattr(self, "db", None)
        try:
            if db is not None:
                db.close()
        finally:
            tables, self.duckdb_tables = self.duckdb_tables, None
            if tables is not None:
                tables.close()
                if made and tables.path is not None:
                    for path in (tables.path, Path(f"{tables.path}.wal")):
                        path.unlink(missing_ok=True)

    def _refuse_records_elsewhere(self, engine: str) -> None:
        """A :class:`StoreError` when this store keeps its records where a new store for
        ``engine`` would not (DuckDB's records file for duckdb, else SQLite)."""
        kept = "duckdb" if self.duckdb_tables is not None else "sqlite"
        if kept != ("duckdb" if engine == "duckdb" else "sqlite"):
            raise StoreError(
                f"the store holds its records on {kept}, where its first ingest put them",
                location=Location(str(self.path)),
                hint=f"ingest with --engine {kept}, or into a new store",
            )

    def _records_in_duckdb(self, engine: str | None) -> tuple[int, bool] | None:
        """None when the records are kept in SQLite; else the number the store shares with
        its DuckDB file, and whether that file is to be made now (a new store opened for
        the DuckDB engine, given its number here)."""
        import secrets

        pairing = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if pairing != RECORDS_IN_SQLITE:
            return pairing, False
        new = set(self.db.table_names()) <= {MANIFEST, QUARANTINE} and not self.db[MANIFEST].count
        if engine != "duckdb" or not new:
            return None
        pairing = 1 + secrets.randbelow(2**31 - 1)  # a positive 32-bit number, never 0
        self.db.execute(f"PRAGMA user_version = {pairing}")
        return pairing, True

    def _connect(self) -> sqlite_utils.Database:
        where = ":memory:" if self.path is None else self.path
        db = sqlite_utils.Database(sqlite3.connect(where, check_same_thread=False))
        # another process writing the store at the same moment: wait for it, not fail
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.conn.isolation_level = None  # explicit transactions only
        with_floor(db.conn)
        return db

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            if self.duckdb_tables is not None:
                self.duckdb_tables.close()

    def _in_duckdb(self, table: str) -> bool:
        return self.duckdb_tables is not None and table not in (MANIFEST, QUARANTINE)

    @contextmanager
    def _let_go(self) -> Iterator[None]:
        """This store's connection closed for a while, and opened again after.

        Another copy of SQLite in this process (the ADBC driver's) does not see
        this one's POSIX locks, and when it closes the file the kernel drops
        every lock this process holds on it, ours too: another process could
        then take the store for its last user and remove its write-ahead log
        under us. So ours is closed while the other copy has the file open.
        """
        self.db.close()
        try:
            yield
        finally:
            try:
                self.db = self._connect()
                self.db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot open the store again after copying it: {exc}",
                    location=Location(str(self.path)),
                ) from None

    def _refuse_foreign(self, where: Location) -> None:
        """A database with tables but no manifest (a CAPA register, an app's data) is not touched."""
        tables = self.db.table_names()
        if tables and MANIFEST not in tables:
            self.db.close()
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(
                f"not an evidence store: it holds other tables ({shown})",
                location=where,
                hint="give --store a new file or a store the ingest wrote",
            )

    def _ensure_meta(self) -> None:
        if not self.db[QUARANTINE].exists():
            self.db.table(QUARANTINE).create(
                {
                    "source": int,
                    "file": str,
                    "line": int,
                    "kind": str,
                    "column": str,
                    "raw_value": str,
                    "reason": str,
                    "record": str,
                }
            )
        if not self.db[MANIFEST].exists():
            self.db.table(MANIFEST).create(
                {
                    "file": str,
                    "kind": str,
                    "sha256": str,
                    "size": int,
                    "rows_read": int,
                    "stored": int,
                    "quarantined": int,
                    "status": str,
                    "reason": str,
                    "reader": str,
                    "mapping": str,
                    "warnings": str,
                    "moved_dst": str,
                },
                pk="id",
            )
        columns = self.db[MANIFEST].columns_dict
        for name in ("mapping", "warnings", "moved_dst"):  # a store written before they were kept
            if name not in columns:
                self.db.execute(f"ALTER TABLE {MANIFEST} ADD COLUMN {name} TEXT")

    def ensure_kind(self, kind: EvidenceKind) -> None:
        """The kind's table with a column per field (made or widened under the write lock)."""
        if self.db.conn.in_transaction:
            self._ensure_kind(kind)
            return
        with self.transaction():
            self._ensure_kind(kind)

    def last_file_id(self) -> int:
        """The newest manifest id (0 for none): whether another process has written since."""
        row = self.db.execute(f"SELECT MAX(id) FROM {MANIFEST}").fetchone()
        return int(row[0] or 0)

    def check_kinds(self, kinds: Iterable[EvidenceKind]) -> None:
        """Refuse a store whose records (kept in DuckDB, which types its columns) hold
        another type in a column than the kind declares; SQLite's keep any value."""
        if self.duckdb_tables is None:
            return
        for kind in kinds:
            self.duckdb_tables.check_columns(kind.name, _columns_of(kind))

    def _ensure_kind(self, kind: EvidenceKind) -> None:
        columns = _columns_of(kind)
        if self.duckdb_tables is not None:
            self.duckdb_tables.ensure_table(kind.name, columns)
            return
        table = self.db.table(kind.name)
        if not table.exists():
            table.create(columns)
            return
        existing = set(table.columns_dict)
        for name, kind_type in columns.items():
            if name not in existing:
                table.add_column(name, kind_type)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One file's ingest: all of it lands, or none of it (records kept in DuckDB are
        stored as they come, and deleted again if SQLite does not commit)."""
        self.db.execute("BEGIN IMMEDIATE")
        duckdb_tables = self.duckdb_tables
        try:
            if duckdb_tables is not None:
                duckdb_tables.forget_after(self.last_file_id())
            yield
            if duckdb_tables is not None:
                duckdb_tables.flush()  # every row in DuckDB before the manifest commits
            self.db.execute("COMMIT")
        except BaseException:
            try:
                if self.db.conn.in_transaction:  # SQLite may have rolled back itself (a full disk)
                    self.db.execute("ROLLBACK")
            finally:
                if duckdb_tables is not None:
                    self._forget_uncommitted(duckdb_tables)
            raise

    def _forget_uncommitted(self, duckdb_tables: DuckdbRecords) -> None:
        """After a failed transaction, the rows of files SQLite did not commit go (by the id
        read now: Ctrl-C just after a COMMIT fails the block, yet the file is in). When that
        fails too, the error that failed the transaction is the one reported: the rows go
        when the store is next opened, written or evaluated (see :meth:`forget_uncommitted`)."""
        duckdb_tables.discard()  # rows held, not stored: none to delete
        with suppress(Exception):  # the transaction's own error is the one raised
            duckdb_tables.forget_after(self.last_file_id())

    def forget_uncommitted(self) -> None:
        """Rows kept in DuckDB of files whose manifest entry never committed, deleted (none
        normally; a failed transaction's whose own clean-up failed): the DuckDB engine calls
        it before it evaluates the records in place. A store opened read-only has none
        (see :meth:`_open_to_read`)."""
        if self.duckdb_tables is not None and not self.read_only:
            self.duckdb_tables.forget_after(self.last_file_id())

    def insert_records(
        self, kind: EvidenceKind, names: list[str], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        """Store records (each the fields' values in ``names`` order, then ``_source`` and
        ``_line``), many rows to a statement: SQLite then runs one statement, and Python takes
        its lock once, per :func:`rows_per_statement` rows instead of per row."""
        width = len(names) + 2
        if isinstance(rows, Records):  # converted column-wise: its values row after row
            if len(rows.columns) != width:
                raise ValueError(f"records of {len(rows.columns)} values for {width} columns")
            if self.duckdb_tables is not None:  # DuckDB takes the columns as they are
                self.duckdb_tables.insert(kind.name, names, rows.columns)
            else:
                self._insert_values(kind, names, rows.values())
            return
        iterator = iter(rows)
        while chunk := list(islice(iterator, INSERT_CHUNK_ROWS)):
            widths = set(map(len, chunk))
            if widths - {width}:  # a row of another width would shift every value after it
                raise ValueError(f"records of {sorted(widths)} values for {width} columns")
            if self.duckdb_tables is not None:
                self.duckdb_tables.insert(kind.name, names, list(zip(*chunk, strict=True)))
            else:
                self._insert_values(kind, names, list(chain.from_iterable(chunk)))

    def _insert_values(self, kind: EvidenceKind, names: list[str], values: list[Any]) -> None:
        """Records' values, row after row, stored ``rows_per_statement`` rows a statement."""
        width = len(names) + 2
        columns = ", ".join(quote_identifier(n) for n in [*names, "_source", "_line"])
        one = "(" + ", ".join("?" for _ in range(width)) + ")"
        insert = f"INSERT INTO {quote_identifier(kind.name)} ({columns}) VALUES "
        limit = self.db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = rows_per_statement(width, limit)
        step = per * width
        whole = len(values) // step * step  # the values that fill whole statements
        if whole:
            self.db.conn.executemany(
                insert + ", ".join([one] * per),
                (values[start : start + step] for start in range(0, whole, step)),
            )
        if whole < len(values):
            self.db.conn.executemany(
                insert + one,
                (values[start : start + width] for start in range(whole, len(values), width)),
            )

    def insert_quarantine(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self.db.conn.executemany(
            f"INSERT INTO {QUARANTINE} (source, file, line, kind, column, raw_value, reason, record) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def record_file(self, entry: dict[str, Any]) -> int:
        """Add a file to the manifest; return its id (the ``_source`` of its records)."""
        entry = _with_json(entry)
        names = list(entry)
        cursor = self.db.conn.execute(
            f"INSERT INTO {MANIFEST} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [entry[n] for n in names],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_file(self, source: int, entry: dict[str, Any]) -> None:
        entry = _with_json(entry)
        names = list(entry)
        self.db.conn.execute(
            f"UPDATE {MANIFEST} SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
            [*(entry[n] for n in names), source],
        )

    def existing_keys(self, kind: EvidenceKind) -> Iterator[tuple[tuple[Any, ...], str, int]]:
        """Keys already stored for a kind, one at a time (as tuples), each with the file and
        line it came from."""
        for keys, files, lines in self.key_batches(kind):
            for key, file, line in zip(keys, files, lines, strict=True):
                yield (key if len(kind.key) > 1 else (key,)), file, line

    def key_batches(
        self, kind: EvidenceKind, rows: int = ARROW_BATCH_ROWS
    ) -> Iterator[tuple[list[Any], list[str], list[int]]]:
        """Keys already stored for a kind, a batch at a time, as columns: the keys (a text or
        number for a kind with one key field, else tuples), the file each came from and its
        line."""
        if self.duckdb_tables is not None:
            if self.duckdb_tables.holds(kind.name):
                yield from self.duckdb_tables.key_batches(kind.name, kind.key, self._files(), rows)
            return
        if not self.db[kind.name].exists():
            return
        key_sql = ", ".join("t." + quote_identifier(k) for k in kind.key)
        cursor = self.db.execute(
            f"SELECT {key_sql}, m.file, t._line FROM {quote_identifier(kind.name)} AS t "
            f"JOIN {MANIFEST} AS m ON m.id = t._source"
        )
        while batch := cursor.fetchmany(rows):
            columns = list(zip(*batch, strict=True))
            keys = list(columns[0]) if len(kind.key) == 1 else [row[:-2] for row in batch]
            yield keys, list(columns[-2]), list(columns[-1])

    def keys_distinct(self, kind: EvidenceKind, source: int) -> bool:
        """Whether the records of one file (by manifest id) hold a different key each, none
        missing: asked by an ingest that stored them without looking the keys up, of a
        store whose records DuckDB keeps (see :meth:`DuckdbRecords.keys_distinct`)."""
        if self.duckdb_tables is None or len(kind.key) != 1:
            raise ValueError("keys are counted by DuckDB, for a kind of one key field")
        return self.duckdb_tables.keys_distinct(kind.name, kind.key[0], source)

    def rows_from(self, kind: EvidenceKind, source: int) -> tuple[int, int]:
        """Rows of one file (by its manifest id) stored in ``kind`` and in the quarantine."""
        if self.duckdb_tables is not None:
            stored = self.duckdb_tables.count(kind.name, source)
        else:
            stored = self.db.execute(
                f"SELECT COUNT(*) FROM {quote_identifier(kind.name)} WHERE _source = ?", [source]
            ).fetchone()[0]
        quarantined = self.db.execute(
            f"SELECT COUNT(*) FROM {QUARANTINE} WHERE source = ?", [source]
        ).fetchone()[0]
        return int(stored), int(quarantined)

    def ingested(self, path: str, sha256: str) -> dict[str, Any] | None:
        """The manifest entry of a file already ingested with these bytes, its structured
        values read from their JSON."""
        rows = self.db[MANIFEST].rows_where(
            "file = ? AND sha256 = ? AND status != 'error'", [path, sha256], limit=1
        )
        return next((_from_json(row) for row in rows), None)

    def other_versions(self, path: str, sha256: str) -> list[str]:
        """The SHA-256 of each other version of the file at ``path`` the store holds records of."""
        rows = self.db.execute(
            "SELECT sha256 FROM _manifest WHERE file = ? AND sha256 != ? AND stored > 0 "
            "ORDER BY id",
            [path, sha256],
        ).fetchall()
        return [row[0] for row in rows]

    def count(self, table: str) -> int:
        if self._in_duckdb(table):
            assert self.duckdb_tables is not None
            return self.duckdb_tables.count(table) if self.duckdb_tables.holds(table) else 0
        return self.db[table].count if self.db[table].exists() else 0

    def _files(self) -> dict[int, str]:
        """The file of each manifest id."""
        return {int(i): str(f) for i, f in self.db.execute(f"SELECT id, file FROM {MANIFEST}")}

    def records(self, kind: EvidenceKind, fields: dict[str, str]) -> list[dict[str, Any]]:
        """Records of ``kind`` whose fields read (as text) as given, each with its file and line."""
        if self.duckdb_tables is not None:
            if not self.duckdb_tables.holds(kind.name):
                return []
            return self.duckdb_tables.records(kind.name, fields, self._files())
        if not self.db[kind.name].exists():
            return []
        where = " AND ".join(f"CAST(t.{quote_identifier(k)} AS TEXT) = ?" for k in fields)
        sql = (
            f"SELECT t.*, m.file AS _file FROM {quote_identifier(kind.name)} AS t "
            f"JOIN {MANIFEST} AS m ON m.id = t._source" + (f" WHERE {where}" if where else "")
        )
        cursor = self.db.execute(sql, list(fields.values()))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def quarantined_holding(self, kind: str, text: str, limit: int = 3) -> list[dict[str, Any]]:
        """Quarantined rows of ``kind`` one of whose raw cells is ``text`` (trimmed), in file
        and line order: their file, line and reason (at most ``limit``)."""
        if not self.db[QUARANTINE].exists():
            return []
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cursor = self.db.execute(
            f"SELECT file, line, reason, record FROM {QUARANTINE} "
            "WHERE kind = ? AND record LIKE ? ESCAPE '\\' ORDER BY source, line",
            [kind, f"%{escaped}%"],
        )
        found: list[dict[str, Any]] = []
        for file, line, reason, record in cursor:
            with suppress(ValueError, TypeError):
                cells = json.loads(record)
                values = cells.values() if isinstance(cells, dict) else cells
                if any(cell is not None and plain_text(cell).strip() == text for cell in values):
                    found.append({"file": file, "line": line, "reason": reason})
            if len(found) == limit:
                break
        return found

    def arrow_schema(self, table: str) -> pyarrow.Schema:
        """The Arrow schema of a table: each column as the store declares it (untyped ones as text)."""
        import pyarrow as pa

        if self._in_duckdb(table):
            assert self.duckdb_tables is not None
            return self.duckdb_tables.schema(table)
        return pa.schema([pa.field(c.name, arrow_type(c.type)) for c in self.db[table].columns])

    @contextmanager
    def native_arrow_batches(self, table: str) -> Iterator[Iterator[pyarrow.RecordBatch] | None]:
        """The table as Arrow record batches read by SQLite's ADBC driver (in C, much faster than
        :meth:`arrow_batches`), typed as the store declares it; None when the store is in memory,
        in a transaction (the driver would not see its writes) or the driver is not installed.
        The driver takes each column's type from its first values, so a typed first row leads
        (and is dropped); a value of another type further on raises ``OSError`` from the reader,
        and the caller reads the table the slow way. While the batches are read, and until the
        context ends, this store's own connection is closed (see :meth:`_let_go`)."""
        batches = self._native_batches(table)
        if batches is None:
            yield None
            return
        with self._let_go():
            try:
                yield batches
            finally:
                batches.close()  # the driver's connection closed before ours opens again

    def _native_batches(self, table: str) -> Generator[pyarrow.RecordBatch, None, None] | None:
        if self.path is None or self.db.conn.in_transaction or self._in_duckdb(table):
            return None
        try:
            import adbc_driver_sqlite.dbapi as adbc
        except ImportError:
            return None
        import pyarrow as pa

        schema = self.arrow_schema(table)
        typed = {pa.int64(): "0", pa.float64(): "0.0", pa.string(): "''"}
        leading = ", ".join(f"{typed[f.type]} AS {quote_identifier(f.name)}" for f in schema)
        names = ", ".join(quote_identifier(f.name) for f in schema)
        query = f"SELECT {leading} UNION ALL SELECT {names} FROM {quote_identifier(table)}"
        path = self.path

        def batches() -> Generator[pyarrow.RecordBatch, None, None]:
            with adbc.connect(path) as con, con.cursor() as cursor:
                cursor.execute(query)
                first = True
                for batch in cursor.fetch_record_batch():
                    if first:
                        batch, first = batch.slice(1), False
                    yield pa.RecordBatch.from_arrays(
                        [
                            column.cast(f.type)
                            for column, f in zip(batch.columns, schema, strict=True)
                        ],
                        schema=schema,
                    )

        return batches()

    def arrow_batches(self, table: str, rows: int = ARROW_BATCH_ROWS) -> Iterator[pyarrow.Table]:
        """A table read column-wise into Arrow tables of at most ``rows`` rows (one, maybe empty, at least)."""
        import pyarrow as pa

        if self._in_duckdb(table):
            assert self.duckdb_tables is not None
            yield from self.duckdb_tables.batches(table, rows)
            return

        schema = self.arrow_schema(table)
        cursor = self.db.conn.execute(f"SELECT * FROM {quote_identifier(table)}")
        first = True
        while True:
            chunk = cursor.fetchmany(rows)
            if not chunk and not first:
                return
            first = False
            columns: list[Any] = list(zip(*chunk, strict=True)) if chunk else [[] for _ in schema]
            yield pa.table(
                [
                    self._arrow_column(table, field, values, chunk)
                    for values, field in zip(columns, schema, strict=True)
                ],
                schema=schema,
            )
            if len(chunk) < rows:
                return

    def _arrow_column(
        self, table: str, field: pyarrow.Field, values: Any, chunk: list[Any]
    ) -> pyarrow.Array:
        """One column's values as the column's declared type. A value of another type (only a
        store changed by hand holds one) stops with the table, column, value and record:
        Arrow would otherwise cut 2.5 to 2 in a whole-number column."""
        import pyarrow as pa

        allowed = _ARROW_TYPES.get(str(field.type), (str, type(None)))
        if set(map(type, values)) <= set(allowed):  # the usual case, checked in C
            return pa.array(values, type=field.type)
        wrong = next(i for i, kind in enumerate(map(type, values)) if kind not in allowed)
        names = [f.name for f in self.arrow_schema(table)]
        record = dict(zip(names, chunk[wrong], strict=True))
        where = ""
        if "_source" in record and "_line" in record:
            found = self.db.execute(
                f"SELECT file FROM {MANIFEST} WHERE id = ?", [record["_source"]]
            ).fetchone()
            where = f" (read from {found[0] if found else '?'}, line {record['_line']})"
        wanted = {"int64": "an integer", "double": "a number"}.get(str(field.type), "a text")
        raise StoreError(
            f"table '{table}', column '{field.name}' holds {values[wrong]!r}{where}, "
            f"not {wanted} as the column declares: the store was changed outside auditor",
            location=Location(str(self.path)),
            hint="ingest the evidence files again into a new store",
        )

    def table_names(self) -> list[str]:
        """Every table of the store: the quarantine, the manifest, then the evidence kinds by
        name (wherever they are kept)."""
        names = list(self.db.table_names())
        kinds = [n for n in names if n not in (QUARANTINE, MANIFEST)]
        if self.duckdb_tables is not None:
            kinds += self.duckdb_tables.tables()
        return [n for n in (QUARANTINE, MANIFEST) if n in names] + sorted(kinds)

    def manifest(self) -> list[dict[str, Any]]:
        return list(self.db[MANIFEST].rows)

    def manifest_entries(self) -> list[dict[str, Any]]:
        """Every file's manifest entry, its structured values read from their JSON."""
        return [_from_json(row) for row in self.db[MANIFEST].rows]

    def manifest_entry(self, source: int) -> dict[str, Any] | None:
        """One file's manifest entry, its structured values read from their JSON."""
        rows = self.db[MANIFEST].rows_where("id = ?", [source])
        return next((_from_json(row) for row in rows), None)

    def quarantine(self) -> list[dict[str, Any]]:
        return list(self.db[QUARANTINE].rows)


def _columns_of(kind: EvidenceKind) -> dict[str, type]:
    """The table's columns for a kind (name -> Python type), ``_source`` and ``_line`` too."""
    columns = {name: sql_type(spec) for name, spec in kind.fields.items()}
    columns.update({"_source": int, "_line": int})
    return columns


def arrow_type(declared: str | None) -> Any:
    """The Arrow type of a column of SQL type ``declared`` (an untyped one as text)."""
    import pyarrow as pa

    kinds = {"INTEGER": pa.int64(), "REAL": pa.float64(), "FLOAT": pa.float64()}
    return kinds.get((declared or "").upper(), pa.string())


def with_floor(connection: sqlite3.Connection) -> None:
    """SQL's ``FLOOR`` on ``connection`` (a calendar look-up's bucket), from Python where
    this SQLite was built without its maths functions."""
    try:
        connection.execute("SELECT FLOOR(1.5)")
    except sqlite3.OperationalError:
        connection.create_function("FLOOR", 1, _floor, deterministic=True)


def _floor(value: Any) -> float | None:
    if value is None or not math.isfinite(value):  # an infinity is its own floor
        return value
    return float(math.floor(value))


def store_full(exc: BaseException) -> bool:
    """Whether SQLite stopped because the store could not grow (a full disk, a file-size limit)."""
    text = str(exc)
    return isinstance(exc, sqlite3.OperationalError) and (
        "disk is full" in text or "disk I/O error" in text
    )


def _patiently(step: Callable[[], Any]) -> Any:
    """Run ``step``, trying again while another process holds the store (up to the busy timeout)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _from_json(row: dict[str, Any]) -> dict[str, Any]:
    """A manifest entry as stored, its structured values read from their JSON (a value never
    given as its default)."""
    entry = dict(row)
    for name, default in JSON_COLUMNS.items():
        text = entry.get(name)
        entry[name] = json.loads(text) if isinstance(text, str) else default
    return entry


def _with_json(entry: dict[str, Any]) -> dict[str, Any]:
    """A manifest entry with its structured values as JSON text (a missing mapping as NULL)."""
    out = dict(entry)
    for name, default in JSON_COLUMNS.items():
        value = out.get(name, default)
        out[name] = None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return out
