"""The complete list of failing records, and the capped lists findings.json carries.

findings.json stays small at any size: each finding lists at most
:data:`CAP_PER_FINDING` failing keys, and the complete lists go to
``failing-records.csv``, which findings.json names with its SHA-256 and row count.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .findings import Finding, RuleResult
from .paths import relative_path

CAP_PER_FINDING = 10_000
FILE_NAME = "failing-records.csv"
COLUMNS = (
    "rule",
    "finding",
    "key",
    "group",
    "period",
    "value",
    "unit",
    "problem",
    "step",
    "over_seconds",
    "file",
    "line",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _finest(result: RuleResult) -> list[Finding]:
    """The findings that hold each failing record once: the group/period cells, else the pooled one."""
    return result.findings[1:] or result.findings[:1]


def _rows(results: list[RuleResult], root: str | None) -> Iterator[list[Any]]:
    for result in results:
        for finding in _finest(result):
            unit = result.failing_unit
            group = ", ".join(f"{k}={v}" for k, v in finding.group.items())
            notes = finding.failing_notes or [None] * len(finding.failing)
            sources = finding.failing_sources or [None] * len(finding.failing)
            for key, value, note, place in zip(
                finding.failing, finding.failing_values, notes, sources, strict=True
            ):
                note = note or {}
                where = place or {}
                yield [
                    result.rule,
                    finding.id,
                    key,
                    group,
                    finding.period,
                    "" if value is None else value,
                    unit or "",
                    note.get("problem") or "",
                    note.get("step") or "",
                    "" if note.get("over_seconds") is None else note["over_seconds"],
                    relative_path(where["file"], root) if where.get("file") else "",
                    "" if where.get("line") is None else where["line"],
                ]


def write_failing_records(
    results: list[RuleResult], folder: Path, root: str | None = None
) -> dict[str, Any]:
    """Write every failing record of every rule to ``failing-records.csv``; its path, hash and rows.

    Each record appears once, with the group and sub-period it belongs to.
    """
    path = folder / FILE_NAME
    temporary = path.with_name(f".{FILE_NAME}.tmp")
    rows = 0
    with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in _rows(results, root):
            writer.writerow([neutralise(cell) for cell in row])
            rows += 1
    temporary.replace(path)
    return {
        "path": FILE_NAME,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": rows,
        "cap_per_finding": CAP_PER_FINDING,  # read at call time, so tests can lower it
    }


def capped(entry: dict[str, Any], cap: int | None = None) -> dict[str, Any]:
    """A finding's JSON entry with its failing lists cut to ``cap`` (``failing_count`` stays whole)."""
    cap = CAP_PER_FINDING if cap is None else cap
    truncated = len(entry["failing"]) > cap
    entry["failing_truncated"] = truncated
    if truncated:
        for name in ("failing", "failing_values", "failing_notes", "failing_sources"):
            entry[name] = entry[name][:cap]
    return entry
