"""The default backend: the SQLite evidence store, through sqlite-utils."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..expression import quote_identifier as q
from .base import HelperTable
from .facts import StatementFacts
from .statement import Statement

if TYPE_CHECKING:
    from .store import EvidenceStore


class SqliteBackend(StatementFacts):
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

    def has_table(self, name: str) -> bool:
        return bool(self.db[name].exists())

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
