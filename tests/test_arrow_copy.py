"""The Arrow files an ingest keeps for DuckDB hold exactly what the store holds, or are not used."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.backends.duckdb import DuckdbBackend
from auditor.backends.store import EvidenceStore
from auditor.convert import Records
from auditor.errors import StoreError

from .test_store_insert import KIND, NAMES, row

CLEAN = [("a", 1.5, 3, 1e9, 1, 2), ("b", None, None, None, 1, 3), ("c", 0.25, -7, 2.5, 1, 4)]


def _store(path: Path, keep: bool) -> EvidenceStore:
    store = EvidenceStore(path, engine="duckdb")
    if keep:
        store.keep_arrow_copy()
    store.ensure_kind(KIND)
    return store


def _insert(store: EvidenceStore, batches: list[list[tuple[Any, ...]]], columns: bool) -> None:
    """Each batch in its own transaction, as column-wise Records or as rows."""
    for batch in batches:
        with store.transaction():
            if columns and batch:
                store.insert_records(
                    KIND, NAMES, Records([list(c) for c in zip(*batch, strict=True)])
                )
            else:
                store.insert_records(KIND, NAMES, batch)


def _in_duckdb(store: EvidenceStore) -> list[tuple[Any, ...]] | str:
    """The table as DuckDB holds it, or the store error the copy stops with."""
    try:
        backend = DuckdbBackend(store)
    except StoreError as exc:  # a value not of its column's type (see EvidenceStore._arrow_column)
        return exc.message
    try:
        rows = backend.con.execute(f"SELECT * FROM {KIND.name}").fetchall()
    finally:
        backend.close()
    return [tuple(_exactly(v) for v in r) for r in rows]


def _exactly(value: Any) -> Any:
    """A value as compared here: a float by its repr (-0.0 is not 0.0, NaN is not NULL)."""
    return repr(value) if isinstance(value, float) else value


def test_a_clean_ingest_is_read_from_its_arrow_files(tmp_path: Path) -> None:
    store = _store(tmp_path / "kept.db", keep=True)
    _insert(store, [CLEAN[:2], CLEAN[2:]], columns=True)
    assert store.arrow_copy_of(KIND.name) is not None
    kept = _in_duckdb(store)
    assert store.arrow_copy_of(KIND.name) is None  # dropped once DuckDB holds its copy
    plain = _store(tmp_path / "plain.db", keep=False)
    _insert(plain, [CLEAN[:2], CLEAN[2:]], columns=True)
    assert kept == _in_duckdb(plain) == [tuple(map(_exactly, r)) for r in CLEAN]


def test_a_rolled_back_transaction_leaves_nothing_kept(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", keep=True)
    _insert(store, [CLEAN[:1]], columns=True)
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_records(KIND, NAMES, Records([list(c) for c in zip(*CLEAN[1:], strict=True)]))
        raise RuntimeError("the file is given up")
    assert store.count(KIND.name) == 1
    assert store.arrow_copy_of(KIND.name) is not None
    assert _in_duckdb(store) == [tuple(map(_exactly, CLEAN[0]))]


def test_rows_stored_before_the_copy_began_are_not_missed(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", keep=False)
    _insert(store, [CLEAN[:1]], columns=False)
    store.keep_arrow_copy()  # too late for the table: it already holds a row
    _insert(store, [CLEAN[1:]], columns=True)
    assert store.arrow_copy_of(KIND.name) is None
    assert _in_duckdb(store) == [tuple(map(_exactly, r)) for r in CLEAN]


def test_rows_another_connection_stored_are_not_missed(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", keep=True)
    _insert(store, [CLEAN[:2]], columns=True)
    other = sqlite3.connect(tmp_path / "s.db")
    other.execute(f"INSERT INTO {KIND.name} VALUES ('z', 1.0, 1, 1.0, 2, 9)")
    other.commit()
    other.close()
    assert store.arrow_copy_of(KIND.name) is None  # six rows stored, five kept
    assert len(_in_duckdb(store)) == 3


@pytest.mark.parametrize("odd_value", ["not a number", 3.5], ids=["text", "fraction"])
def test_a_value_sqlite_keeps_under_another_type_gives_the_table_up(
    tmp_path: Path, odd_value: Any
) -> None:
    store = _store(tmp_path / "s.db", keep=True)
    odd = [("x", 1.0, odd_value, None, 1, 5)]  # an INTEGER column keeps it (Arrow would cut 3.5)
    _insert(store, [CLEAN[:1], odd], columns=True)
    assert store.arrow_copy_of(KIND.name) is None  # so DuckDB copies the store, which refuses it
    plain = _store(tmp_path / "plain.db", keep=False)
    _insert(plain, [CLEAN[:1], odd], columns=True)
    refused = _in_duckdb(store)
    assert isinstance(refused, str) and repr(odd_value) in refused
    assert refused == _in_duckdb(plain)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.lists(row, max_size=30), min_size=1, max_size=4),
    columns=st.booleans(),
)
def test_duckdb_sees_what_it_sees_without_the_copy(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[Any, ...]]], columns: bool
) -> None:
    """Any values (texts in number columns, numbers as texts, huge integers, infinities)
    reach DuckDB as they do when it copies the store, through the kept files or not."""
    folder = tmp_path_factory.mktemp("copy")
    results = []
    for keep in (True, False):
        store = _store(folder / f"{keep}.db", keep=keep)
        try:
            _insert(store, batches, columns)
        except (sqlite3.Error, OverflowError):
            return  # SQLite itself refuses such a batch, kept or not
        results.append(_in_duckdb(store))
        store.close()
    assert results[0] == results[1]


typed_row = st.tuples(
    st.one_of(st.none(), st.text(max_size=5)),
    st.one_of(st.none(), st.floats(), st.integers(-(2**53), 2**53)),  # NaN: SQLite's NULL
    st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    st.one_of(st.none(), st.floats(allow_nan=False)),
    st.integers(1, 3),
    st.integers(1, 10**6),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(typed_row, min_size=1, max_size=30), min_size=1, max_size=4))
def test_values_of_their_columns_types_are_read_from_the_kept_files(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[Any, ...]]]
) -> None:
    folder = tmp_path_factory.mktemp("typed")
    kept, plain = _store(folder / "kept.db", keep=True), _store(folder / "plain.db", keep=False)
    _insert(kept, batches, columns=True)
    _insert(plain, batches, columns=True)
    assert kept.arrow_copy_of(KIND.name) is not None
    assert _in_duckdb(kept) == _in_duckdb(plain)


def test_negative_zero_and_nan_reach_duckdb_as_sqlite_stores_them(tmp_path: Path) -> None:
    """SQLite stores -0.0 in a REAL column as 0.0, and NaN as NULL; so do the kept files."""
    rows = [("a", -0.0, 1, -0.0, 1, 2), ("b", float("nan"), 2, 1.0, 1, 3)]
    store, plain = _store(tmp_path / "kept.db", keep=True), _store(tmp_path / "p.db", keep=False)
    _insert(store, [rows], columns=True)
    _insert(plain, [rows], columns=True)
    assert store.arrow_copy_of(KIND.name) is not None
    assert (
        _in_duckdb(store)
        == _in_duckdb(plain)
        == [
            ("a", "0.0", 1, "0.0", 1, 2),
            ("b", None, 2, "1.0", 1, 3),
        ]
    )


def test_a_full_disk_for_the_kept_files_costs_only_the_copy(tmp_path: Path, monkeypatch) -> None:
    """The files are a speed-up: failing to write one gives the table up, the store commits."""
    import pyarrow as pa

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    store = _store(tmp_path / "s.db", keep=True)
    monkeypatch.setattr(pa.ipc, "new_file", full)
    _insert(store, [CLEAN], columns=True)
    assert store.count(KIND.name) == 3 and store.arrow_copy_of(KIND.name) is None
    assert _in_duckdb(store) == [tuple(map(_exactly, r)) for r in CLEAN]


def test_a_writer_that_cannot_close_does_not_keep_the_store_in_its_transaction(
    tmp_path: Path,
) -> None:
    class Stuck:
        def close(self) -> None:
            raise OSError(28, "No space left on device")

    store = _store(tmp_path / "s.db", keep=True)
    _insert(store, [CLEAN[:1]], columns=True)
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_records(KIND, NAMES, Records([list(c) for c in zip(*CLEAN[1:], strict=True)]))
        store._arrow_copy._kept[KIND.name].writer = Stuck()  # type: ignore[union-attr]
        raise RuntimeError("the file is given up")
    assert not store.db.conn.in_transaction  # rolled back, and the next file can begin
    _insert(store, [CLEAN[1:2]], columns=True)
    assert store.count(KIND.name) == 2
