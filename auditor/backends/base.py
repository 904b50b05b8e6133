"""What an evaluation asks of a database engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..expression import quote_identifier
from .statement import Statement


@dataclass(frozen=True)
class HelperTable:
    """A small table an evaluation needs beside the evidence (a business calendar, period labels)."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type)
    rows: tuple[tuple[Any, ...], ...]
    primary_key: tuple[str, ...] = ()  # the columns of its key, if it has one

    def key_clause(self) -> str:
        """``, PRIMARY KEY (...)`` after the columns of a CREATE TABLE, or nothing."""
        if not self.primary_key:
            return ""
        return f", PRIMARY KEY ({', '.join(quote_identifier(c) for c in self.primary_key)})"


#: what :meth:`Backend.time_summary` counts of a kind's table: rows; rows in the window by its
#: time field and outside it; rows no dating field places in any period; rows a dating field
#: places in the window; the time field's first and last moment; the first and last moment a
#: dating field holds in the window
TimeSummary = tuple[
    int, int | None, int | None, int | None, int | None,
    float | None, float | None, float | None, float | None,
]  # fmt: skip


class Backend(Protocol):
    """A database engine holding the evidence store."""

    dialect: str

    def query(self, statement: Statement) -> list[tuple[Any, ...]]:
        """Run a read-only statement and return its rows."""
        ...

    def create_helper(self, table: HelperTable) -> None:
        """(Re)create a temporary helper table with its rows."""
        ...

    def kinds_with_rows(self) -> set[str]:
        """Evidence kinds that hold at least one stored record."""
        ...

    def has_table(self, name: str) -> bool: ...

    def source_files(self) -> dict[int, str]:
        """The manifest id of every file ingested, and its path."""
        ...

    def columns_read(self) -> dict[int, tuple[str, frozenset[str]]]:
        """Each file's manifest id, its kind and the fields it gave a column."""
        ...

    def time_summary(
        self, table: str, column: str | None, start: float, end: float, dating: Sequence[str] = ()
    ) -> TimeSummary:
        """Rows of ``table``; of them, rows with ``column`` in [start, end), rows with a
        ``column`` outside it, rows with no value in any of the fields ``dating`` and rows
        that one of the fields ``dating`` (``column`` without them) places in [start, end);
        the column's range; the earliest and latest moment of those fields in [start, end)."""
        ...

    def time_range(
        self, table: str, columns: Sequence[str], low: float | None, high: float | None
    ) -> tuple[float | None, float | None]:
        """MIN of the first column and MAX over all ``columns`` (for rows whose first is in [low, high))."""
        ...
