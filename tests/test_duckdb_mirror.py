"""The DuckDB engine's mirror of the record tables, written during the ingest, holds exactly
what copying the store afterwards gives; when anything goes wrong it is not used."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from auditor import load_pack
from auditor.audit import run_audit
from auditor.backends.duckdb import DuckdbBackend
from auditor.backends.duckdb_mirror import DuckdbMirror
from auditor.backends.store import EvidenceStore
from auditor.ingest import ingest
from auditor.model import EvidenceKind, FieldSpec
from auditor.standards import Text

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "service-quality.yaml"
DEMO = ROOT / "evidence" / "demo" / "service-quality"


def tables_of(backend: DuckdbBackend, names: list[str]) -> dict[str, Any]:
    """Each table's column names and types, and its rows in the store's order."""
    out = {}
    for name in names:
        described = backend.con.execute(f'DESCRIBE "{name}"').fetchall()
        rows = [
            tuple(repr(v) if isinstance(v, float) else v for v in row)  # -0.0 is not 0.0 here
            for row in backend.con.execute(f'SELECT * FROM "{name}"').fetchall()
        ]
        # the store's order: a table is read as it was written, so the lists compare in order
        out[name] = ([(c[0], c[1]) for c in described], rows)
    return out


def assert_mirror_is_the_copy(store: EvidenceStore, used: bool = True) -> None:
    """The backend made from the store's mirror and one made by copying the store hold the
    same tables, columns, types and rows (``used``: whether the mirror must have been taken)."""
    mirrored = DuckdbBackend(store)
    copied = DuckdbBackend(store)  # the mirror is taken once: this one copies
    try:
        assert mirrored.from_mirror is used
        assert not copied.from_mirror
        names = store.table_names()
        assert tables_of(mirrored, names) == tables_of(copied, names)
    finally:
        mirrored.close()
        copied.close()


def test_the_demo_evidence_mirrored_is_the_copy(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence.db", engine="duckdb")
    DuckdbBackend.follow_ingest(store)
    assert store.mirror is not None
    report = ingest(load_pack(PACK), DEMO, store)
    assert report.quarantined  # the demo files hold bad rows: they are not in the mirror either
    assert_mirror_is_the_copy(store)
    store.close()


def test_an_audit_on_duckdb_evaluates_the_mirror(tmp_path: Path, monkeypatch) -> None:
    taken = []
    adopt = DuckdbBackend._adopt

    def watched(self: DuckdbBackend, store: EvidenceStore) -> bool:
        taken.append(adopt(self, store))
        return taken[-1]

    monkeypatch.setattr(DuckdbBackend, "_adopt", watched)
    run_audit(PACK, DEMO, tmp_path / "out", "2026-Q3", engine="duckdb")
    assert taken[0] is True


KIND = EvidenceKind(
    name="things",
    title=Text(zh="物", en="things"),
    key=("id",),
    time=None,
    fields={
        "id": FieldSpec("id", "string"),
        "amount": FieldSpec("amount", "number"),
        "count": FieldSpec("count", "integer"),
    },
)
NAMES = list(KIND.fields)


def followed(path: Path) -> EvidenceStore:
    store = EvidenceStore(path, engine="duckdb")
    assert store.follow(DuckdbMirror())
    store.ensure_kind(KIND)
    return store


def test_a_rolled_back_file_leaves_neither_store_nor_mirror_anything(tmp_path: Path) -> None:
    store = followed(tmp_path / "s.db")
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_records(KIND, NAMES, [("a", 1.5, 1, 1, 2), ("b", 2.5, 2, 1, 3)])
        raise RuntimeError("the file failed half-way")
    with store.transaction():
        store.insert_records(KIND, NAMES, [("c", 3.5, 3, 2, 2)])
    assert store.count("things") == 1
    assert_mirror_is_the_copy(store)
    store.close()


def test_nan_and_negative_zero_are_mirrored_as_sqlite_keeps_them(tmp_path: Path) -> None:
    store = followed(tmp_path / "s.db")
    with store.transaction():
        store.insert_records(
            KIND, NAMES, [("a", math.nan, None, 1, 2), ("b", -0.0, 0, 1, 3), ("c", None, 7, 1, 4)]
        )
    assert_mirror_is_the_copy(store)
    store.close()


def test_a_value_of_another_type_stops_the_mirror(tmp_path: Path) -> None:
    store = followed(tmp_path / "s.db")
    with store.transaction():
        store.insert_records(KIND, NAMES, [("a", 1.5, 1, 1, 2)])
        store.insert_records(KIND, NAMES, [("b", 2.5, True, 1, 3)])  # SQLite stores 1
    assert store.mirror is not None and not store.mirror.intact
    assert_mirror_is_the_copy(store, used=False)
    store.close()


@pytest.mark.parametrize("value", [2.5, 2.0, "2"])
def test_a_whole_number_column_takes_integers_only(tmp_path: Path, value: Any) -> None:
    """Arrow would store 2.5 as 2 in a whole-number column; SQLite keeps 2.5."""
    store = followed(tmp_path / "s.db")
    with store.transaction():
        store.insert_records(KIND, NAMES, [("a", 1.5, value, 1, 2)])
    assert store.mirror is not None and not store.mirror.intact
    store.close()


def test_a_store_with_records_is_not_followed(tmp_path: Path) -> None:
    store = followed(tmp_path / "s.db")
    store.close()
    again = EvidenceStore(tmp_path / "s.db", engine="duckdb")
    DuckdbBackend.follow_ingest(again)
    assert again.mirror is None
    assert not again.follow(DuckdbMirror())
    again.close()
