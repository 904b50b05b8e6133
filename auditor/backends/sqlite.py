"""The default backend: the SQLite evidence store, through sqlite-utils."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..expression import quote_identifier as q
from .base import HelperTable
from .facts import StatementFacts
from .statement import CountBy, Statement

if TYPE_CHECKING:
    from .store import EvidenceStore


class SqliteBackend(StatementFacts):
    """Evaluation over a SQLite evidence store (embedded, no set-up)."""

    dialect = "sqlite"
    probe_first = True  # a count is a scan on one thread here

    def __init__(self, store: EvidenceStore, db: Any = None) -> None:
        if getattr(store, "duckdb_tables", None) is not None:
            from ..errors import EngineError

            raise EngineError(
                "this store keeps its records in DuckDB (it was made for the duckdb engine), "
                "so SQLite cannot evaluate it",
                hint="use --engine duckdb (or spark), or ingest the evidence into a new store",
            )
        self.store = store
        self._own_db = db  # a companion's own connection; else the store's, whichever it is now

    @property
    def db(self) -> Any:
        """The connection queries run on (the store's is looked up each time: the store may
        have opened it again, as it does while the DuckDB engine copies it)."""
        return self.store.db if self._own_db is None else self._own_db

    def companion(self) -> SqliteBackend | None:
        """A second backend on its own read-only connection to the same file, for a second
        thread (SQLite runs a query without Python's lock, so two rules run on two cores).

        None for a store in memory, or while this connection has writes not yet committed
        (the other connection would not see them).
        """
        import sqlite3

        import sqlite_utils

        if self.store.path is None or self.db.conn.in_transaction:
            return None
        uri = f"file:{quote(str(Path(self.store.path).resolve()))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        from .store import BUSY_TIMEOUT_MS, with_floor

        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # waits as the store does
        with_floor(connection)
        return SqliteBackend(self.store, sqlite_utils.Database(connection))

    def interrupt(self) -> None:
        """Stop the statement running on this backend's connection (from another thread)."""
        self.db.conn.interrupt()

    def close(self) -> None:
        if self._own_db is not None:
            self._own_db.conn.close()

    def query(self, statement: Statement) -> list[tuple[Any, ...]]:
        if statement.counted is not None:
            return self._count(statement.counted, statement.params)
        return list(self.db.execute(statement.render(self.dialect), statement.params).fetchall())

    def _count(self, counted: CountBy, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Rows counted by keys into a temporary keyed table (see :class:`CountBy`); what the
        ``GROUP BY`` gives, in no particular order."""
        connection = self.db.conn
        table = "temp._count_by"
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.execute(counted.table_sql(table))
        try:
            connection.execute(counted.upsert(table), params)
            return list(connection.execute(counted.read_back(table)).fetchall())
        finally:
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            if connection.in_transaction and connection.isolation_level is not None:
                connection.commit()  # the INSERT's implicit transaction (temporary tables only)

    def create_helper(self, table: HelperTable) -> None:
        name = q(table.name)
        columns = ", ".join(f"{q(column)} {kind}" for column, kind in table.columns)
        self.db.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.db.execute(f"CREATE TEMP TABLE {name} ({columns}{table.key_clause()})")
        marks = ", ".join("?" for _ in table.columns)
        self.db.conn.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", table.rows)

    def has_table(self, name: str) -> bool:
        return bool(self.db[name].exists())
