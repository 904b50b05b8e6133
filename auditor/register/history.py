"""The append-only history of the register, chained by SHA-256.

Each row stores the hash of its own content and of the row before it, and the
register's meta keeps the hash of the last row, so a row changed or deleted
outside the tool (a middle row, or the last one) breaks the chain where it was.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time
from typing import Any

CONTENT = ("item", "at", "who", "field", "old", "new")


def as_text(value: Any) -> str | None:
    """A value as a history row's ``old`` or ``new`` holds it: its text (a JSON field's as
    Python writes it), None for none."""
    return None if value is None else str(value)


def wall_clock() -> time:
    """The local wall-clock time now (one place: a test sets the clock here)."""
    return datetime.now().time()


def moment(today: date) -> str:
    """When a history row is written: ``today`` at the local wall-clock time now, with the
    UTC offset the machine's zone has then (``2026-12-06T07:22:35+08:00``), so the instant
    is known wherever it is read."""
    return datetime.combine(today, wall_clock()).astimezone().isoformat(timespec="seconds")


def instant(at: str) -> datetime:
    """A history row's time as a moment with its zone: its own offset; a time without one
    (a register an earlier version wrote: the wall clock of the machine that wrote it) is
    read in the zone of this machine, see :func:`zoneless`."""
    when = datetime.fromisoformat(at)
    return when if when.tzinfo is not None else when.astimezone()


def zoneless(at: str) -> bool:
    """Whether a history row's time was written without its UTC offset (by an earlier version)."""
    return datetime.fromisoformat(at).tzinfo is None


def row_hash(row: dict[str, Any], previous: str) -> str:
    """SHA-256 of a history row's content and the previous row's hash."""
    content = {name: row.get(name) for name in CONTENT}
    text = json.dumps([previous, content], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chained(row: dict[str, Any], previous: str) -> dict[str, Any]:
    """``row`` with its ``prev_hash`` and ``hash`` set."""
    return {**row, "prev_hash": previous, "hash": row_hash(row, previous)}


def broken_rows(rows: list[dict[str, Any]], head: str) -> list[str]:
    """Where the chain breaks: one line per row changed, deleted before it, or missing at the end."""
    problems = []
    previous = ""
    for row in rows:
        if row["prev_hash"] != previous:
            problems.append(f"history row {row['seq']}: the row before it was deleted or changed")
        elif row["hash"] != row_hash(row, previous):
            problems.append(
                f"history row {row['seq']} ({row['item']}, {row['field']}) was changed outside the tool"
            )
        previous = row["hash"]
    if previous != head:
        problems.append("the last history rows were deleted outside the tool")
    return problems
