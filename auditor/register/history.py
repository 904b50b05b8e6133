"""The append-only history of the register, chained by SHA-256.

Each row stores the hash of its own content and of the row before it, and the
register's meta keeps the hash of the last row, so a row changed or deleted
outside the tool (a middle row, or the last one) breaks the chain where it was.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

CONTENT = ("item", "at", "who", "field", "old", "new")


def as_text(value: Any) -> str | None:
    """A value as a history row's ``old`` or ``new`` holds it: its text (a JSON field's as
    Python writes it), None for none."""
    return None if value is None else str(value)


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
