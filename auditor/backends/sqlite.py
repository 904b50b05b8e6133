"""The default backend: the SQLite evidence store, through sqlite-utils."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..expression import quote_identifier as q
from .base import HelperTable
from .statement import Statement

if TYPE_CHECKING:
    from .store import EvidenceStore


class SqliteBackend:
    """Evaluation over a SQLite evidence store (embedded, no set-up)."""

    dialect = "sqlite"

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        self.db = store.db

    def query(self, statement: Statement) -> list[tuple[Any, ...]]:
        return list(self.db.execute(statement.render(self.dialect), statement.params).fetchall())

    def create_helper(self, table: HelperTable) -> None:
        name = q(table.name)
        columns = ", ".join(
            f"{q(column)} {kind}{' PRIMARY KEY' if column == table.primary_key else ''}"
            for column, kind in table.columns
        )
        self.db.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.db.execute(f"CREATE TEMP TABLE {name} ({columns})")
        marks = ", ".join("?" for _ in table.columns)
        self.db.conn.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", table.rows)

    def kinds_with_rows(self) -> set[str]:
        rows = self.db.execute(
            "SELECT kind, SUM(stored) FROM _manifest WHERE status != 'error' GROUP BY kind"
        ).fetchall()
        return {kind for kind, stored in rows if kind and (stored or 0) > 0}

    def source_files(self) -> dict[int, str]:
        """The manifest id of every file ingested, and its path."""
        return {
            int(i): str(f) for i, f in self.db.execute("SELECT id, file FROM _manifest").fetchall()
        }

    def has_table(self, name: str) -> bool:
        return bool(self.db[name].exists())

    def time_range(
        self, table: str, columns: Sequence[str], low: float | None, high: float | None
    ) -> tuple[float | None, float | None]:
        first = q(columns[0])
        highs = ", ".join(f"MAX({q(c)})" for c in columns)
        where, params = [], []
        if high is not None:
            where.append(f"{first} < ?")
            params.append(high)
        if low is not None:
            where.append(f"{first} >= ?")
            params.append(low)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        row = self.db.execute(
            f"SELECT MIN({first}), {highs} FROM {q(table)}{clause}", params
        ).fetchone()
        tops = [v for v in row[1:] if v is not None]
        return row[0], (max(tops) if tops else None)

    def time_summary(
        self, table: str, column: str | None, start: float, end: float
    ) -> tuple[int, int | None, float | None, float | None]:
        """Rows of ``table``; of them, rows with ``column`` in [start, end); and the column's range."""
        if not self.has_table(table):
            return 0, (0 if column else None), None, None
        if column is None:
            return (
                int(self.db.execute(f"SELECT COUNT(*) FROM {q(table)}").fetchone()[0]),
                None,
                None,
                None,
            )
        c = q(column)
        row = self.db.execute(
            f"SELECT COUNT(*), SUM({c} >= ? AND {c} < ?), MIN({c}), MAX({c}) FROM {q(table)}",
            [start, end],
        ).fetchone()
        return int(row[0]), int(row[1] or 0), row[2], row[3]
