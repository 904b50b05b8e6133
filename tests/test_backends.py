"""Statements are composed without a database and render for every engine's dialect."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlglot

from auditor.backends.statement import Sql, Statement
from auditor.business_time import CalendarTable
from auditor.evaluate.compile import aggregate_member, compile_rule
from auditor.evaluate.env import Env, Window
from auditor.measures import measures
from auditor.pack import load_pack
from auditor.periods import parse_period

from .conftest import SHIPPED_PACKS

PACKS = SHIPPED_PACKS


def plans(pack_path: Path):
    pack = load_pack(pack_path)
    window = Window.of(parse_period("2026-Q3"), ZoneInfo(pack.timezone))
    tables = {name: CalendarTable.named(name, []) for name in pack.calendars}
    env = Env(pack, window, frozenset(pack.evidence), tables)
    return [compile_rule(rule, env) for rule in pack.rules]


def statements(pack_path: Path) -> list[Statement]:
    found = []
    for plan in plans(pack_path):
        for statement in (plan.filled, plan.counts, plan.listing, plan.cells, plan.outcomes):
            if statement is not None:
                found.append(statement)
        if plan.cells is not None:  # an aggregate: one record's share, as explain reads it
            found.append(aggregate_member(plan, "K1"))
    return found


@pytest.mark.parametrize("pack_path", PACKS, ids=lambda p: p.stem)
@pytest.mark.parametrize("dialect", ["duckdb", "spark", "postgres"])
def test_every_shipped_statement_renders_for_other_engines(pack_path: Path, dialect: str) -> None:
    for statement in statements(pack_path):
        text = statement.render(dialect)
        assert sqlglot.parse_one(text, read=dialect) is not None
        for name in statement.params:
            assert name in text


def test_sqlite_text_is_rendered_as_written() -> None:
    sql = Sql()
    statement = sql.statement(f"SELECT {sql.value(1)} AS one")
    assert statement.render("sqlite") == "SELECT :p0 AS one"
    assert statement.params == {"p0": 1}


def test_every_shipped_measure_compiles_with_no_database() -> None:
    used = set()
    for pack_path in PACKS:
        for plan in plans(pack_path):  # a pack, a window and names: no store anywhere
            used.add(plan.measure.name)
            assert not plan.missing
    assert used <= set(measures())


def test_the_native_arrow_read_equals_the_row_read(tmp_path) -> None:
    """SQLite's ADBC driver and the sqlite3 module give the same typed Arrow tables."""
    import pyarrow as pa

    from auditor.backends.store import EvidenceStore

    store = EvidenceStore(tmp_path / "s.db")
    store.db.execute("CREATE TABLE t (x REAL, n INTEGER, s TEXT, name_2 TEXT)")
    rows = [(None, None, None, None)] * 3000 + [(1.5, 7, "a", "é"), (2.0, None, "", None)]
    store.db.conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    store.db.conn.commit()
    schema = store.arrow_schema("t")
    with store.native_arrow_batches("t") as native:
        assert native is not None
        fast = pa.Table.from_batches(list(native), schema=schema)
    slow = pa.concat_tables(store.arrow_batches("t"))
    assert fast.equals(slow) and fast.num_rows == 3002
    assert fast.column("x").to_pylist()[-2:] == [1.5, 2.0]
    with EvidenceStore(None).native_arrow_batches("t") as native:
        assert native is None  # in memory: no second reader
    store.db.execute("BEGIN")
    with store.native_arrow_batches("t") as native:
        assert native is None  # a transaction: the driver would not see its writes
    store.db.execute("ROLLBACK")


def _posix_locks_on(path: Path) -> list[str]:
    """The POSIX locks this process holds on a file, as /proc/locks lists them."""
    import os

    inode = f":{path.stat().st_ino} "
    with open("/proc/locks") as locks:
        return [
            line.split(":", 1)[1].strip()  # without the number /proc/locks gives it
            for line in locks
            if f" {os.getpid()} " in line and inode in line
        ]


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_the_native_read_leaves_the_store_locked_as_before(tmp_path) -> None:
    """The ADBC driver is a second copy of SQLite in this process; closing its file drops every
    POSIX lock the process holds on it. The store's own connection, closed meanwhile and opened
    again, holds its shared lock afterwards as it did before, so another process cannot take the
    store for its last user and remove its write-ahead log under this one."""
    from auditor.backends import duckdb as engine
    from auditor.backends.sqlite import SqliteBackend
    from auditor.backends.store import EvidenceStore

    path = tmp_path / "s.db"
    store = EvidenceStore(path)
    store.db.execute("CREATE TABLE t (x REAL)")
    store.db.conn.executemany("INSERT INTO t VALUES (?)", [(1.0,), (2.0,)])
    store.count("t")
    held = _posix_locks_on(path)
    assert held  # a connection to a store in WAL mode holds a shared lock on it
    on_sqlite = SqliteBackend(store)  # made before the copy, used after it
    backend = engine.DuckdbBackend(store)  # copies every table through the driver
    assert backend.con.execute("SELECT sum(x) FROM t").fetchone() == (3.0,)
    after = _posix_locks_on(path)
    assert after == held, f"this process's locks on the store before the copy {held}, after {after}"
    assert store.count("t") == 2  # and the store is usable as before
    assert on_sqlite.db.execute("SELECT sum(x) FROM t").fetchone() == (3.0,)
    backend.close()


def test_ctrl_c_while_duckdb_pulls_a_batch_stops_the_copy(tmp_path, monkeypatch) -> None:
    """A signal taken while DuckDB pulls a batch from the native reader on this thread reaches
    DuckDB as a failed stream: the copy stops with the interrupt (exit 130/143 upstream),
    neither read as a value of another type and copied again the slow way, nor an internal
    error; the store's connection is open again afterwards."""
    from auditor.backends import duckdb as engine
    from auditor.backends.store import EvidenceStore
    from auditor.interrupts import Terminated

    store = EvidenceStore(tmp_path / "s.db")
    store.db.execute("CREATE TABLE t (x REAL)")
    store.db.conn.executemany("INSERT INTO t VALUES (?)", [(float(n),) for n in range(10)])
    real = EvidenceStore._native_batches

    def stopping(self, table):
        batches = real(self, table)
        if table != "t" or batches is None:
            return batches

        def then_a_signal():
            yield next(batches)
            batches.close()
            raise Terminated

        return then_a_signal()

    slow = []
    monkeypatch.setattr(EvidenceStore, "_native_batches", stopping)
    monkeypatch.setattr(EvidenceStore, "arrow_batches", lambda self, table: slow.append(table))
    with pytest.raises(Terminated):
        engine.DuckdbBackend(store)
    assert slow == [] and store.count("t") == 10


def test_duckdb_prints_no_progress_bar_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB draws a bar on stdout during a statement of more than two seconds (a 10M-record
    copy): every connection the engine opens has it off, the second thread's cursor too."""
    from auditor.backends import duckdb as engine
    from auditor.backends.store import EvidenceStore

    backend = engine.DuckdbBackend(EvidenceStore(tmp_path / "store.db"))
    for con in (backend.con, backend.companion().con):
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    backend.close()
    quieted = []
    real = engine._quiet
    monkeypatch.setattr(engine, "_quiet", lambda con: quieted.append(con) or real(con))
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    batches = list(engine.csv_text_columns(str(tmp_path / "a.csv"), ",", 2))
    assert [list(batch) for batch in batches] == [[["1"], ["2"]]]
    assert len(quieted) == 1  # the CSV reader's own connection


def test_ctrl_c_in_a_duckdb_statement_is_a_keyboard_interrupt(tmp_path: Path) -> None:
    """DuckDB catches Ctrl-C itself and says the query was interrupted: the engine passes it on
    as the KeyboardInterrupt every command turns into exit 130."""
    import threading

    from auditor.backends.duckdb import DuckdbBackend
    from auditor.backends.store import EvidenceStore

    backend = DuckdbBackend(EvidenceStore(tmp_path / "store.db"))
    timer = threading.Timer(0.3, backend.interrupt)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        backend.query(Statement("SELECT COUNT(*) FROM range(100000000000) AS r(i) WHERE i % 7 = 3"))
    timer.join()
    backend.close()


def test_the_second_sqlite_connection_waits_for_a_busy_store_as_the_first(tmp_path: Path) -> None:
    from auditor.backends.sqlite import SqliteBackend
    from auditor.backends.store import BUSY_TIMEOUT_MS, EvidenceStore

    other = SqliteBackend(EvidenceStore(tmp_path / "store.db")).companion()
    assert other is not None
    assert other.db.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,)
    other.close()
