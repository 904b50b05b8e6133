"""Evidence export: every table of a store as Parquet, read back equal by an independent reader."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.errors import StoreError
from auditor.export import export_store
from auditor.ingest import ingest

from .conftest import ROOT, RULES


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path, list]:
    folder = tmp_path_factory.mktemp("export")
    store_path = folder / "evidence.db"
    store = EvidenceStore(store_path)
    ingest(load_pack(RULES / "service-quality.yaml"), ROOT / "evidence/demo/service-quality", store)
    store.close()
    return store_path, folder / "parquet", export_store(store_path, folder / "parquet")


def test_every_table_becomes_one_file_with_its_rows(exported) -> None:
    store_path, out, tables = exported
    with sqlite3.connect(store_path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {n: db.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
    assert {t.table: t.rows for t in tables} == counts
    assert {t.path.name for t in tables} >= {
        "interactions.parquet",
        "store-manifest.parquet",
        "store-quarantine.parquet",
    }
    assert not list(out.glob(".*"))  # no temporary file left behind


def test_the_parquet_rows_equal_the_store_rows(exported) -> None:
    store_path, out, _ = exported
    with sqlite3.connect(store_path) as db:
        expected = sorted(
            db.execute(
                'SELECT interaction_id, received_at, answered_at, _source, _line FROM "interactions"'
            ).fetchall(),
            key=str,
        )
    got = duckdb.sql(
        f"SELECT interaction_id, received_at, answered_at, _source, _line FROM '{out / 'interactions.parquet'}'"
    ).fetchall()
    assert sorted(got, key=str) == expected


def test_the_printed_sha256_is_the_file_s(exported) -> None:
    import hashlib

    for table in exported[2]:
        assert hashlib.sha256(table.path.read_bytes()).hexdigest() == table.sha256


def test_a_missing_store_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(StoreError, match="no evidence store here"):
        export_store(tmp_path / "nothing.db", tmp_path / "out")


def edited_copy(exported, tmp_path: Path, sql: str) -> Path:
    """A copy of the exported store changed by hand with ``sql``."""
    store_path = tmp_path / "edited.db"
    with sqlite3.connect(exported[0]) as source, sqlite3.connect(store_path) as target:
        source.backup(target)
    with sqlite3.connect(store_path) as db:
        db.execute(sql)
    return store_path


def test_a_fraction_in_a_whole_number_column_stops_the_copy_not_cut(exported, tmp_path) -> None:
    """Arrow would store 2.5 as 2; the copy into DuckDB and the export refuse it instead."""
    from auditor.backends.duckdb import DuckdbBackend

    edited = edited_copy(exported, tmp_path, "UPDATE interactions SET _line = 2.5 WHERE rowid = 3")
    store = EvidenceStore(edited)
    try:
        with pytest.raises(StoreError, match=r"column '_line' holds 2\.5 .*not an integer"):
            list(store.arrow_batches("interactions"))
        with pytest.raises(StoreError, match=r"interactions-2026Q3\.csv"):
            DuckdbBackend(store)
    finally:
        store.close()
    with pytest.raises(StoreError, match="changed outside auditor"):
        export_store(edited, tmp_path / "parquet")


def test_a_text_in_a_number_column_is_one_clear_error(exported, tmp_path) -> None:
    edited = edited_copy(
        exported, tmp_path, "UPDATE interactions SET received_at = 'soon' WHERE rowid = 5"
    )
    with pytest.raises(StoreError, match=r"'received_at' holds 'soon' \(read from .*line 6\)"):
        export_store(edited, tmp_path / "parquet")
