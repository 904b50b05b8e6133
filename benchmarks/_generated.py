"""What the benchmarks share: a generated file's entry in the store's manifest."""

from __future__ import annotations

from auditor.backends.store import EvidenceStore


def generated_file(
    store: EvidenceStore, name: str, kind: str, rows: int, columns: list[str] | None = None
) -> int:
    """Record a file of ``rows`` generated records of ``kind`` (all stored, none read from
    disk) in the manifest; its id, the ``_source`` of its records. With ``columns``, the
    manifest says the file had a column for those fields only."""
    mapping = None if columns is None else {"columns": {field: field for field in columns}}
    return store.record_file(
        {
            "file": name,
            "kind": kind,
            "sha256": "0" * 64,
            "size": 0,
            "rows_read": rows,
            "stored": rows,
            "quarantined": 0,
            "status": "ok",
            "reason": "",
            "reader": {},
            "mapping": mapping,
        }
    )
