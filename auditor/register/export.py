"""The register as files to hand over: CSV (items) and XLSX (items, actions, history sheets).

Text that a spreadsheet would run as a formula gets a leading apostrophe; the
same register exported twice gives the same bytes for CSV (XLSX carries the
library's own time stamps).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ..atomic import write_text, write_with
from ..failing import neutralise
from .register import Register

ITEM_COLUMNS = (
    "id", "rule", "clause", "group_key", "severity", "status", "recurring", "escalation",
    "statement", "due", "root_cause", "correction", "correction_date", "containment",
    "implemented_on", "first_audit", "last_audit", "version",
)  # fmt: skip
ACTION_COLUMNS = ("item", "no", "text", "owner", "due", "done", "evidence")
HISTORY_COLUMNS = ("seq", "item", "at", "who", "field", "old", "new", "prev_hash", "hash")


def _cells(row: dict[str, Any], columns: tuple[str, ...]) -> list[Any]:
    out = []
    for name in columns:
        value = row.get(name)
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        out.append(neutralise(value))
    return out


def export_csv(register: Register, path: Path) -> int:
    """Every item, one row each; the number of rows written."""
    items = register.store.items()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    for item in items:
        writer.writerow(_cells(item, ITEM_COLUMNS))
    write_text(path, "\ufeff" + buffer.getvalue())
    return len(items)


def export_xlsx(register: Register, path: Path) -> dict[str, int]:
    """Items, actions and history, a sheet each; the rows written per sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    sheets = {
        "items": (ITEM_COLUMNS, register.store.items()),
        "actions": (
            ACTION_COLUMNS,
            [a for item in register.store.items() for a in register.store.actions(item["id"])],
        ),
        "history": (HISTORY_COLUMNS, register.store.history()),
    }
    counts = {}
    first = True
    for title, (columns, rows) in sheets.items():
        sheet = book.active if first else book.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = title
        sheet.append(list(columns))
        for row in rows:
            sheet.append(_cells(row, columns))
        counts[title] = len(rows)
    write_with(path, lambda temporary: book.save(temporary))
    return counts
