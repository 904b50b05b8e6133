"""A store made for the DuckDB engine keeps its records in DuckDB beside it, and they read
back exactly as a SQLite store's do."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.backends.duckdb import DuckdbBackend
from auditor.backends.duckdb_records import records_path
from auditor.backends.store import RECORDS_IN_SQLITE, EvidenceStore
from auditor.convert import Records
from auditor.errors import StoreError

from .test_store_insert import KIND, NAMES

CLEAN = [("a", 1.5, 3, 1e9, 1, 2), ("b", None, None, None, 1, 3), ("c", 0.25, -7, 2.5, 1, 4)]

typed_row = st.tuples(
    st.one_of(st.none(), st.text(max_size=5)),
    st.one_of(st.none(), st.floats(), st.integers(-(2**53), 2**53)),  # NaN: SQLite's NULL
    st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    st.one_of(st.none(), st.floats(allow_nan=False)),
    st.integers(1, 3),
    st.integers(1, 10**6),
)


def _store(path: Path | None, engine: str) -> EvidenceStore:
    store = EvidenceStore(path, engine=engine)
    store.ensure_kind(KIND)
    return store


def _insert(store: EvidenceStore, batches: list[list[tuple[Any, ...]]], columns: bool) -> None:
    """Each batch as one file: a manifest entry and its rows, in one transaction."""
    for batch in batches:
        with store.transaction():
            source = store.record_file({"file": f"f{len(store.manifest())}.csv", "kind": "things"})
            rows = [(*r[:-2], source, r[-1]) for r in batch]
            if columns and rows:
                store.insert_records(
                    KIND, NAMES, Records([list(c) for c in zip(*rows, strict=True)])
                )
            else:
                store.insert_records(KIND, NAMES, rows)


def _read(store: EvidenceStore) -> list[tuple[Any, ...]]:
    """The table as the store reads it back, floats by their repr (-0.0 is not 0.0)."""
    rows = [tuple(r.values()) for t in store.arrow_batches(KIND.name) for r in t.to_pylist()]
    return [tuple(repr(v) if isinstance(v, float) else v for v in r) for r in rows]


def test_a_new_store_for_duckdb_keeps_its_records_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = _store(path, "duckdb")
    _insert(store, [CLEAN], columns=True)
    store.close()
    assert records_path(path) == tmp_path / "s.db.duckdb" and records_path(path).is_file()
    con = sqlite3.connect(path)
    tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert con.execute("PRAGMA user_version").fetchone()[0] != RECORDS_IN_SQLITE
    con.close()
    assert KIND.name not in tables and {"_manifest", "_quarantine"} <= tables
    # opened again by any command (no engine named), it is read where it keeps its records
    again = EvidenceStore(path)
    assert again.engine == "duckdb" and again.count(KIND.name) == 3
    assert again.table_names()[-1] == KIND.name
    found = again.records(KIND, {"f0": "b"})
    assert [(r["f0"], r["_file"], r["_line"]) for r in found] == [("b", "f0.csv", 3)]
    again.close()
    # a store that began with SQLite records keeps them there, whichever engine opens it
    plain = _store(tmp_path / "p.db", "sqlite")
    _insert(plain, [CLEAN], columns=True)
    plain.close()
    reopened = EvidenceStore(tmp_path / "p.db", engine="duckdb")
    assert reopened.duckdb_tables is None and reopened.count(KIND.name) == 3
    reopened.close()
    # unless the user asked for that engine (an ingest's --engine): refused, not ignored
    with pytest.raises(StoreError, match="holds its records on sqlite"):
        EvidenceStore(tmp_path / "p.db", engine="duckdb", engine_asked=True)
    assert not records_path(tmp_path / "p.db").exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.lists(typed_row, min_size=1, max_size=30), min_size=1, max_size=4),
    columns=st.booleans(),
)
def test_records_read_back_as_a_sqlite_store_reads_them(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[Any, ...]]], columns: bool
) -> None:
    """Any values of their columns' types (infinities, -0.0, NaN, 64-bit integers) read back
    from DuckDB as SQLite stores them, in the order stored, as rows or as columns."""
    folder = tmp_path_factory.mktemp("typed")
    duck, plain = _store(folder / "d.db", "duckdb"), _store(folder / "p.db", "sqlite")
    _insert(duck, batches, columns)
    _insert(plain, batches, columns)
    assert duck.duckdb_tables is not None and plain.duckdb_tables is None
    assert _read(duck) == _read(plain)
    assert duck.arrow_schema(KIND.name) == plain.arrow_schema(KIND.name)
    assert list(duck.key_batches(KIND)) == list(plain.key_batches(KIND))
    duck.close()
    plain.close()


def test_negative_zero_and_nan_are_stored_as_sqlite_stores_them(tmp_path: Path) -> None:
    rows = [("a", -0.0, 1, -0.0, 1, 2), ("b", float("nan"), 2, 1.0, 1, 3)]
    store = _store(tmp_path / "s.db", "duckdb")
    _insert(store, [rows], columns=True)
    assert _read(store) == [("a", "0.0", 1, "0.0", 1, 2), ("b", None, 2, "1.0", 1, 3)]


@pytest.mark.parametrize("odd_value", ["not a number", 3.5], ids=["text", "fraction"])
def test_a_value_not_of_its_columns_type_is_refused_with_the_column(
    tmp_path: Path, odd_value: Any
) -> None:
    store = _store(tmp_path / "s.db", "duckdb")
    with pytest.raises(StoreError, match="table 'things', column 'f2'"):
        _insert(store, [[("x", 1.0, odd_value, None, 1, 5)]], columns=True)
    assert store.count(KIND.name) == 0 and store.manifest() == []


def test_a_file_that_does_not_commit_leaves_no_row(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", "duckdb")
    _insert(store, [CLEAN[:1]], columns=True)
    with pytest.raises(RuntimeError), store.transaction():
        source = store.record_file({"file": "late.csv", "kind": "things"})
        store.insert_records(KIND, NAMES, [(*r[:-2], source, r[-1]) for r in CLEAN[1:]])
        assert store.count(KIND.name) == 3  # stored as they come
        raise RuntimeError("the file is given up")
    assert store.count(KIND.name) == 1 and len(store.manifest()) == 1
    _insert(store, [CLEAN[1:2]], columns=False)  # the next file takes the id again
    assert [r[-2:] for r in _read(store)] == [(1, 2), (2, 3)]


def test_rows_a_killed_ingest_left_are_never_read(tmp_path: Path) -> None:
    """Rows of a file whose manifest entry never committed (the process was killed) are
    gone when the store is next opened."""
    path = tmp_path / "s.db"
    store = _store(path, "duckdb")
    _insert(store, [CLEAN[:1]], columns=True)
    assert store.duckdb_tables is not None
    orphans = [(*r[:-2], 2, r[-1]) for r in CLEAN[1:]]  # file 2's rows; its entry never committed
    store.duckdb_tables.insert(KIND.name, NAMES, [list(c) for c in zip(*orphans, strict=True)])
    assert store.count(KIND.name) == 3
    store.close()  # as if killed here
    again = EvidenceStore(path)
    assert again.count(KIND.name) == 1 and [r[-2:] for r in _read(again)] == [(1, 2)]
    again.close()


@pytest.mark.parametrize("killed", [False, True])
def test_a_store_opened_to_be_read_is_not_written(tmp_path: Path, killed: bool) -> None:
    """Read-only, a store's two files keep their bytes; one a killed ingest left rows in is
    opened to be written after all, and those rows go as they do otherwise."""
    import hashlib

    path = tmp_path / "s.db"
    store = _store(path, "duckdb")
    _insert(store, [CLEAN[:1]], columns=True)
    if killed:
        assert store.duckdb_tables is not None
        orphans = [(*r[:-2], 2, r[-1]) for r in CLEAN[1:]]
        store.duckdb_tables.insert(KIND.name, NAMES, [list(c) for c in zip(*orphans, strict=True)])
    store.close()

    def digests() -> list[str]:
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in (path, records_path(path))]

    before = digests()
    reader = EvidenceStore(path, read_only=True)
    try:
        assert reader.read_only is not killed
        assert [r[-2:] for r in _read(reader)] == [(1, 2)]
        backend = DuckdbBackend(reader)  # evaluating in place changes nothing either
        assert backend.con.execute(f"SELECT COUNT(*) FROM {KIND.name}").fetchall() == [(1,)]
        backend.close()
    finally:
        reader.close()
    assert (digests() == before) is not killed


@contextmanager
def _held_elsewhere(path: Path, opening: str) -> Iterator[str]:
    """A store for DuckDB at ``path`` (three records) held open by another process that ran
    ``opening`` (Python, the store's path in ``sys.argv[1]``): the line it printed, while it
    holds the store; it lets go and must exit cleanly when the block ends."""
    import subprocess
    import sys

    store = _store(path, "duckdb")
    _insert(store, [CLEAN], columns=True)
    store.close()
    script = (
        "import builtins, functools, sys; from auditor.backends.store import EvidenceStore; "
        f"print = functools.partial(builtins.print, flush=True); {opening}; sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        yield holder.stdout.readline().strip()
    finally:
        holder.communicate("")
    assert holder.returncode == 0


def test_two_processes_read_a_duckdb_kept_store_at_once(tmp_path: Path) -> None:
    """DuckDB lets one process write a file or any number read it: a store opened to be
    read by another process can be read here too (opened to be written, it is refused)."""
    path = tmp_path / "s.db"
    with _held_elsewhere(
        path, "s = EvidenceStore(sys.argv[1], read_only=True); print(s.count('things'))"
    ) as said:
        assert said == "3"
        reader = EvidenceStore(path, read_only=True)
        assert reader.count(KIND.name) == 3
        reader.close()
        with pytest.raises(StoreError, match="open in another process"):
            EvidenceStore(path)


def test_a_second_writer_is_refused_at_once_not_after_sqlite_s_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process in the middle of writing the store (holding the records file and
    SQLite's write lock, as an ingest does within a file): a writer opening it is refused
    for the records file at once; it used to wait for SQLite's lock first (two minutes)."""
    import auditor.backends.store as store_module

    path = tmp_path / "s.db"
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 2_000)  # a wait would end in 2 s
    with _held_elsewhere(
        path, "s = EvidenceStore(sys.argv[1]); s.db.execute('BEGIN IMMEDIATE'); print('writing')"
    ) as said:
        assert said == "writing"
        with pytest.raises(StoreError, match="open in another process"):
            EvidenceStore(path)


def test_a_missing_or_stray_records_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _store(path, "duckdb").close()
    records_path(path).unlink()
    with pytest.raises(StoreError, match=r"keeps its records in s\.db\.duckdb, which is missing"):
        EvidenceStore(path)
    # a records file left beside a new store's path is not taken for the new store's
    other = tmp_path / "t.db"
    records_path(other).write_bytes(b"left over")
    with pytest.raises(StoreError, match="already there"):
        EvidenceStore(other, engine="duckdb")
    con = sqlite3.connect(other)  # and the SQLite file was not marked as keeping them there
    assert con.execute("PRAGMA user_version").fetchone()[0] == 0
    con.close()


def test_the_duckdb_engine_evaluates_the_records_where_they_are(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", "duckdb")
    _insert(store, [CLEAN[:2], CLEAN[2:]], columns=True)
    backend = DuckdbBackend(store)
    companion = backend.companion()
    try:
        for engine in (backend, companion):  # each with the manifest beside the records
            assert engine.source_files() == {1: "f0.csv", 2: "f1.csv"}
            assert engine.con.execute(f"SELECT COUNT(*) FROM {KIND.name}").fetchall() == [(3,)]
    finally:
        companion.close()
        backend.close()
    # nothing of the evaluation is left in the store: the manifest is SQLite's alone
    assert store.table_names() == ["_quarantine", "_manifest", KIND.name]
    store.close()


def test_a_store_in_memory_for_duckdb_keeps_its_records_in_memory() -> None:
    store = _store(None, "duckdb")
    _insert(store, [CLEAN], columns=True)
    assert store.duckdb_tables is not None and store.duckdb_tables.path is None
    assert store.count(KIND.name) == 3
    store.close()


def test_sqlite_refuses_a_store_whose_records_are_in_duckdb(tmp_path: Path) -> None:
    from auditor.backends.engines import open_backend
    from auditor.errors import EngineError

    store = _store(tmp_path / "s.db", "duckdb")
    _insert(store, [CLEAN], columns=True)
    with pytest.raises(EngineError, match="keeps its records in DuckDB"):
        open_backend(store, "sqlite")  # it would find no records, and say nothing
    store.close()


def test_ctrl_c_taken_as_a_commit_returns_keeps_the_committed_rows(tmp_path: Path) -> None:
    """The signal is raised once COMMIT has run: the file is in the manifest, so its rows
    stay (only files SQLite did not commit lose theirs)."""
    store = _store(tmp_path / "s.db", "duckdb")
    real = store.db.execute

    def commit_then_interrupt(sql: str, *args: Any, **kwargs: Any) -> Any:
        done = real(sql, *args, **kwargs)
        if sql == "COMMIT":
            raise KeyboardInterrupt
        return done

    store.db.execute = commit_then_interrupt  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        _insert(store, [CLEAN], columns=True)
    store.db.execute = real  # type: ignore[method-assign]
    assert len(store.manifest()) == 1 and store.count(KIND.name) == 3
    store.close()


def test_a_full_disk_while_storing_is_a_store_error(tmp_path: Path) -> None:
    import duckdb

    store = _store(tmp_path / "s.db", "duckdb")
    assert store.duckdb_tables is not None
    real = store.duckdb_tables.con

    class FullDisk:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def execute(self, sql: str, *args: Any) -> Any:
            if sql.startswith("INSERT"):
                raise duckdb.IOException("IO Error: Could not write file: No space left on device")
            return real.execute(sql, *args)

    store.duckdb_tables.con = FullDisk()
    with pytest.raises(StoreError, match="cannot write the store's records: IO Error") as caught:
        _insert(store, [CLEAN], columns=True)
    assert "free some space" in (caught.value.hint or "")
    store.duckdb_tables.con = real
    assert store.count(KIND.name) == 0 and store.manifest() == []
    store.close()


def test_a_large_table_exports_the_same_parquet_from_either_store(tmp_path: Path) -> None:
    """DuckDB hands its rows over in batches of other sizes than asked; they are cut as a
    SQLite store's are, so the Parquet files (one row group per batch) are the same bytes."""
    from auditor.export import export_tables

    n = 250_000  # more than two of DuckDB's row groups (122,880 rows)
    rows = [(f"k{i}", i / 8, i, None if i % 7 else 1.5, 1, i + 2) for i in range(n)]
    digests = []
    for engine in ("sqlite", "duckdb"):
        store = _store(tmp_path / f"{engine}.db", engine)
        _insert(store, [rows], columns=True)
        sizes = [t.num_rows for t in store.arrow_batches(KIND.name)]
        assert sizes == [100_000, 100_000, 50_000]
        exported = export_tables(store, tmp_path / engine)
        digests.append({e.table: e.sha256 for e in exported})
        store.close()
    assert digests[0] == digests[1] and KIND.name in digests[0]


def test_a_records_file_of_another_store_is_refused(tmp_path: Path) -> None:
    """Two stores' files swapped (copied from different runs, a move cut short) are refused,
    not read as each other's records."""
    first, second = tmp_path / "a" / "s.db", tmp_path / "b" / "s.db"
    for path, rows in ((first, CLEAN[:1]), (second, CLEAN)):
        store = _store(path, "duckdb")
        _insert(store, [rows], columns=True)
        store.close()
    records_path(first).replace(tmp_path / "first.duckdb")
    records_path(second).replace(records_path(first))
    with pytest.raises(StoreError, match="belongs to another store") as caught:
        EvidenceStore(first)
    assert caught.value.location is not None and "s.db.duckdb" in str(caught.value.location)
    (tmp_path / "first.duckdb").replace(records_path(first))  # back where it belongs
    again = EvidenceStore(first)
    assert again.count(KIND.name) == 1
    again.close()


@pytest.mark.parametrize(
    "name", ["auditor.db", "store-1.db", "my store.db", 'we"ird.db', "证据.db", "evidence"]
)
def test_a_store_may_be_named_anything(tmp_path: Path, name: str) -> None:
    """DuckDB names the database after the file's name up to its first dot: a name that is
    no SQL identifier, or the name of the schema the pairing number is kept in
    (auditor.db.duckdb: "auditor")."""
    store = _store(tmp_path / name, "duckdb")
    _insert(store, [CLEAN], columns=True)
    store.close()
    again = EvidenceStore(tmp_path / name)
    assert again.count(KIND.name) == 3 and again.table_names()[-1] == KIND.name
    again.close()


def test_a_records_file_being_made_when_ctrl_c_comes_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.backends import duckdb_records

    def stopped(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(duckdb_records.DuckdbRecords, "_pair", stopped)
    path = tmp_path / "s.db"
    with pytest.raises(KeyboardInterrupt):
        EvidenceStore(path, engine="duckdb")
    assert not records_path(path).exists()  # so the next run is not refused
    monkeypatch.undo()
    store = _store(path, "duckdb")
    assert store.duckdb_tables is not None
    store.close()


def test_a_file_size_limit_while_storing_is_a_store_error(tmp_path: Path) -> None:
    """A real write failure (a file-size limit standing in for a full disk): DuckDB reports
    it when the insert commits; the command gets the one-line store error."""
    import subprocess
    import sys

    script = f"""
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from auditor.backends.store import EvidenceStore
from auditor.errors import StoreError
from tests.test_duckdb_records import KIND, NAMES
store = EvidenceStore({str(tmp_path / "s.db")!r}, engine="duckdb")
store.ensure_kind(KIND)
resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, 3_000_000))
try:
    for batch in range(40):
        with store.transaction():
            source = store.record_file({{"file": f"f{{batch}}.csv", "kind": "things"}})
            rows = [("x" * 60 + str(n), 1.5, n, None, source, n) for n in range(20_000)]
            store.insert_records(KIND, NAMES, rows)
    print("no error")
except StoreError as exc:
    print("store error:", exc.message)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.startswith("store error: cannot write the store's records"), (
        done.stdout + done.stderr
    )


class _CountedInserts:
    """A DuckDB connection that counts the INSERT statements run on it."""

    def __init__(self, real: Any) -> None:
        self.real, self.inserts = real, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def execute(self, sql: str, *args: Any) -> Any:
        self.inserts += sql.startswith('INSERT INTO "things"')
        return self.real.execute(sql, *args)


def _rows(source: int, first: int, count: int) -> list[tuple[Any, ...]]:
    return [(f"k{n}", n / 4, n, None, source, n + 2) for n in range(first, first + count)]


def _holding(path: Path, monkeypatch: pytest.MonkeyPatch, rows: int) -> EvidenceStore:
    """A new store for DuckDB that holds ``rows`` rows before it stores them."""
    from auditor.backends import duckdb_records

    monkeypatch.setattr(duckdb_records, "INSERT_ROWS", rows)
    return _store(path, "duckdb")


def test_rows_are_stored_many_batches_at_a_time_and_read_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _holding(tmp_path / "s.db", monkeypatch, 7)
    assert store.duckdb_tables is not None
    counted = store.duckdb_tables.con = _CountedInserts(store.duckdb_tables.con)
    with store.transaction():
        source = store.record_file({"file": "f.csv", "kind": "things"})
        for first in range(0, 12, 3):  # four batches of 3: 9 rows reach the limit of 7
            store.insert_records(KIND, NAMES, _rows(source, first, 3))
        assert counted.inserts == 1  # the first three batches; the fourth is held
        assert store.count(KIND.name) == 12  # a read stores what is held first
        assert counted.inserts == 2
        store.insert_records(KIND, NAMES, _rows(source, 12, 2))
    assert counted.inserts == 3  # the rest, before the manifest entry committed
    assert [r[0] for r in _read(store)] == [f"k{n}" for n in range(14)]
    store.close()


def test_rows_held_when_a_file_fails_are_dropped_with_those_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    store = _holding(path, monkeypatch, 5)
    _insert(store, [CLEAN], columns=True)
    with pytest.raises(RuntimeError), store.transaction():
        source = store.record_file({"file": "late.csv", "kind": "things"})
        for first in range(0, 9, 3):  # 6 rows stored, 3 held when the file fails
            store.insert_records(KIND, NAMES, _rows(source, first, 3))
        raise RuntimeError("the file is given up")
    assert store.duckdb_tables is not None and store.duckdb_tables._held == {}
    assert store.count(KIND.name) == 3 and len(store.manifest()) == 1
    _insert(store, [CLEAN[:1]], columns=False)  # the next file takes the id again
    store.close()
    again = EvidenceStore(path)
    assert [r[-2:] for r in _read(again)] == [(1, 2), (1, 3), (1, 4), (2, 2)]
    again.close()


def test_rows_held_by_a_store_closed_outside_a_transaction_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    store = _holding(path, monkeypatch, 100)
    source = store.record_file({"file": "f.csv", "kind": "things"})  # committed on its own
    store.insert_records(KIND, NAMES, _rows(source, 0, 4))
    store.close()
    again = EvidenceStore(path)
    assert again.count(KIND.name) == 4
    again.close()


@pytest.mark.parametrize(
    ("raised", "outcome"),
    [("OutOfMemoryException", False), ("InterruptException", KeyboardInterrupt)],
    ids=["out of memory", "ctrl-c"],
)
def test_a_key_count_duckdb_cannot_finish_is_no_answer_but_ctrl_c_stops(
    tmp_path: Path, raised: str, outcome: Any
) -> None:
    import duckdb

    store = _store(tmp_path / "s.db", "duckdb")
    _insert(store, [CLEAN], columns=True)
    assert store.duckdb_tables is not None and store.keys_distinct(KIND, 1)
    real = store.duckdb_tables.con

    class Failing:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def execute(self, sql: str, *args: Any) -> Any:
            if "DISTINCT hash" in sql:
                raise getattr(duckdb, raised)("stopped")
            return real.execute(sql, *args)

    store.duckdb_tables.con = Failing()
    if outcome is False:
        assert store.keys_distinct(KIND, 1) is False  # the file is read again, keys looked up
    else:
        with pytest.raises(KeyboardInterrupt):
            store.keys_distinct(KIND, 1)
    store.duckdb_tables.con = real
    store.close()


def test_a_column_retyped_outside_the_tool_is_one_line_for_a_reading_command(tmp_path) -> None:
    """explain and sample check the records' column types against the pack's kinds first:
    a column retyped by hand stopped them half-way with an engine error (exit 3)."""
    import duckdb

    from auditor.audit import run_audit
    from auditor.certify.explain import explain_in_audit
    from auditor.certify.sampling import population_from_store

    from .conftest import ROOT, RULES

    out = tmp_path / "audit"
    pack = RULES / "service-quality.yaml"
    run_audit(pack, ROOT / "evidence" / "demo" / "service-quality", out, "2026-Q3", engine="duckdb")
    con = duckdb.connect(str(records_path(out / "evidence.db")))
    con.execute("ALTER TABLE tickets ALTER opened_at TYPE VARCHAR")
    con.close()
    message = (
        "table tickets, column opened_at holds VARCHAR, where the evidence kind declares DOUBLE"
    )
    with pytest.raises(StoreError, match=message):
        explain_in_audit(out / "evidence.db", "CLOSURE-95", "T000005")
    with pytest.raises(StoreError, match=message):
        population_from_store(out / "evidence.db", "CLOSURE-95", pack, "2026-Q3")
