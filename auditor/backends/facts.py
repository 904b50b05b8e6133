"""The facts an evaluation asks of any engine, composed once as statements.

Which kinds hold records, which file each manifest id names, and the time
range of a kind's records are the same questions on every engine: they are
written here once, as :class:`Statement` objects, and each backend answers
them by running the statements through its own :meth:`query` (rendered for its
dialect like every other statement).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..expression import quote_identifier as q
from .base import TimeSummary
from .statement import Statement


class StatementFacts:
    """Backend methods answered by the shared statements; a backend supplies ``query``."""

    #: whether a query that stops at its first row is worth asking before a full count (a
    #: rule's empty-field check): true where a count is a scan on one thread (SQLite); a
    #: backend without the attribute (a plug-in's) is taken as false
    probe_first: bool = False

    def query(self, statement: Statement) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def kinds_with_rows(self) -> set[str]:
        """Evidence kinds that hold at least one stored record."""
        rows = self.query(
            Statement(
                "SELECT kind, SUM(stored) FROM _manifest WHERE status != 'error' GROUP BY kind"
            )
        )
        return {kind for kind, stored in rows if kind and (stored or 0) > 0}

    def source_files(self) -> dict[int, str]:
        """The manifest id of every file ingested, and its path."""
        return {int(i): str(f) for i, f in self.query(Statement("SELECT id, file FROM _manifest"))}

    def columns_read(self) -> dict[int, tuple[str, frozenset[str]]]:
        """Each file's manifest id, its kind and the fields it gave a column (its mapping's
        ``columns``); a file whose manifest entry records no columns is left out."""
        rows = self.query(
            Statement("SELECT id, kind, mapping FROM _manifest WHERE kind IS NOT NULL")
        )
        read = {}
        for source, kind, mapping in rows:
            columns = json.loads(mapping).get("columns") if mapping else None
            if isinstance(columns, dict):
                read[int(source)] = (str(kind), frozenset(columns))
        return read

    def time_summary(
        self, table: str, column: str | None, start: float, end: float, dating: Sequence[str] = ()
    ) -> TimeSummary:
        """Rows of ``table``; of them, rows with ``column`` in [start, end), rows with a
        ``column`` outside it, rows with no value in any of the fields ``dating`` (None
        without ``column``, without ``dating``) and rows that one of the fields ``dating``
        (``column`` without them) places in [start, end) (None with neither); the column's
        range; and the earliest and latest moment those fields hold in [start, end) (one
        scan). A table that does not exist holds no rows."""
        placing = dating or ((column,) if column else ())
        if not self.has_table(table):
            timed = 0 if column else None
            placed = 0 if placing else None
            return 0, timed, timed, (0 if dating else None), placed, None, None, None, None
        c = q(column) if column else None
        untimed = " AND ".join(f"{q(name)} IS NULL" for name in dating)
        in_window = " OR ".join(f"({q(name)} >= :start AND {q(name)} < :end)" for name in placing)
        columns = [
            "COUNT(*)",
            f"SUM(CASE WHEN {c} >= :start AND {c} < :end THEN 1 ELSE 0 END)" if c else "NULL",
            f"SUM(CASE WHEN {c} < :start OR {c} >= :end THEN 1 ELSE 0 END)" if c else "NULL",
            f"SUM(CASE WHEN {untimed} THEN 1 ELSE 0 END)" if untimed else "NULL",
            f"SUM(CASE WHEN {in_window} THEN 1 ELSE 0 END)" if in_window else "NULL",
            f"MIN({c})" if c else "NULL",
            f"MAX({c})" if c else "NULL",
        ]
        for name in placing:  # the moments each dating field holds in the window
            moment = f"CASE WHEN {q(name)} >= :start AND {q(name)} < :end THEN {q(name)} END"
            columns += [f"MIN({moment})", f"MAX({moment})"]
        params = {"start": start, "end": end} if in_window else {}
        text = f"SELECT {', '.join(columns)} FROM {q(table)}"
        row = self.query(Statement(text, params))[0]
        stored, in_period, outside, undated, placed, first, last = row[:7]
        lows = [v for v in row[7::2] if v is not None]
        highs = [v for v in row[8::2] if v is not None]
        return (
            int(stored),
            int(in_period or 0) if c else None,
            int(outside or 0) if c else None,
            int(undated or 0) if untimed else None,
            int(placed or 0) if in_window else None,
            first,
            last,
            min(lows) if lows else None,
            max(highs) if highs else None,
        )

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def time_range(
        self, table: str, columns: Sequence[str], low: float | None, high: float | None
    ) -> tuple[float | None, float | None]:
        """MIN of the first column and MAX over all ``columns`` (rows whose first is in [low, high))."""
        first = q(columns[0])
        highs = ", ".join(f"MAX({q(c)})" for c in columns)
        where, params = [], {}
        if high is not None:
            where.append(f"{first} < :high")
            params["high"] = high
        if low is not None:
            where.append(f"{first} >= :low")
            params["low"] = low
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        row = self.query(
            Statement(f"SELECT MIN({first}), {highs} FROM {q(table)}{clause}", params)
        )[0]
        tops = [v for v in row[1:] if v is not None]
        return row[0], (max(tops) if tops else None)
