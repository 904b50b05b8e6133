"""Evidence export: a store's tables as Parquet, so that an audit prepared on a laptop runs on a cluster.

Each evidence kind (with ``_source`` and ``_line``, so every record still
points at its file and line), the manifest and the quarantine become one
Parquet file each, written column-wise through Apache Arrow in batches and
renamed into place only when complete. The export lists what it wrote with
the rows and SHA-256 of each file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import staged_files, write_with
from .errors import Location, StoreError

if TYPE_CHECKING:
    from .backends.store import EvidenceStore

FORMATS = ("parquet",)
#: the store's own tables and their file names (a kind's name is an identifier, so never holds "-";
#: a name starting with "_" would be hidden from Spark and Hadoop, which skip such files)
META_FILES = {"_manifest": "store-manifest", "_quarantine": "store-quarantine"}


def file_stem(table: str) -> str:
    return META_FILES.get(table, table)


def manifest_file_name() -> str:
    """The name of the file an export writes the store's manifest to."""
    return f"{file_stem('_manifest')}.parquet"


def table_of(stem: str) -> str:
    return {v: k for k, v in META_FILES.items()}.get(stem, stem)


@dataclass(frozen=True)
class ExportedTable:
    table: str
    path: Path
    rows: int
    sha256: str


def export_store(
    store_path: str | Path, out: str | Path, fmt: str = "parquet"
) -> list[ExportedTable]:
    """Write every table of the store at ``store_path`` into ``out`` as ``<table>.parquet``."""
    from .backends.store import EvidenceStore

    if fmt not in FORMATS:  # pragma: no cover - the command line offers only these
        raise StoreError(f"unknown export format '{fmt}' (formats: {', '.join(FORMATS)})")
    source = Path(store_path)
    if not source.is_file():
        raise StoreError(
            "no evidence store here",
            location=Location(str(source)),
            hint="give the evidence.db an audit or 'auditor evidence ingest --store' wrote",
        )
    store = EvidenceStore(source, read_only=True)
    try:
        _refuse_strays(store, Path(out))
        return export_tables(store, Path(out))
    finally:
        store.close()


def _refuse_strays(store: EvidenceStore, target: Path) -> None:
    """A folder holding Parquet files this export would not replace (another store's export):
    an audit of the folder would read them as part of this one."""
    if not target.is_dir():
        return
    written = {f"{file_stem(table)}.parquet" for table in store.table_names()}
    strays = sorted(p.name for p in target.glob("*.parquet") if p.name not in written)
    if strays:
        shown = ", ".join(strays[:3]) + (
            f" and {len(strays) - 3:,} more" if len(strays) > 3 else ""
        )
        raise StoreError(
            f"the folder holds Parquet files this export would not replace ({shown}): an "
            "audit of the folder would read them as part of this store",
            location=Location(str(target)),
            hint="export into an empty folder, or remove them",
        )


#: the key of each exported file's metadata that names the manifest it was exported with
MANIFEST_KEY = b"auditor.manifest"


def manifest_fingerprint(rows: list[dict[str, Any]]) -> str:
    """The SHA-256 of a store's manifest rows (their files' places aside: an evidence folder
    moved is the same evidence): what each file of an export carries, so that an audit of the
    export takes no file of another store's export for one of this store's."""
    kept = sorted(
        ({k: v for k, v in row.items() if k != "file"} for row in rows), key=lambda r: r["id"]
    )
    text = json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_tables(store: EvidenceStore, target: Path) -> list[ExportedTable]:
    """Every table of an open store as ``<table>.parquet`` in ``target`` (all of them, or none),
    each marked with the fingerprint of the store's manifest."""
    fingerprint = manifest_fingerprint(store.manifest()).encode()
    with staged_files(target) as stage:
        exported = [
            _export_table(store, table, stage, fingerprint) for table in store.table_names()
        ]
    return [replace(e, path=target / e.path.name) for e in exported]


def _export_table(
    store: EvidenceStore, table: str, target: Path, fingerprint: bytes
) -> ExportedTable:
    import pyarrow.parquet as pq

    from .ingest import file_digest

    path = target / f"{file_stem(table)}.parquet"
    rows = 0

    def write(temporary: Path) -> None:
        nonlocal rows
        writer = None
        try:
            for batch in store.arrow_batches(table):
                if writer is None:
                    schema = batch.schema.with_metadata({MANIFEST_KEY: fingerprint})
                    writer = pq.ParquetWriter(str(temporary), schema)
                writer.write_table(batch)
                rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()

    write_with(path, write)
    return ExportedTable(table, path, rows, file_digest(path)[0])
