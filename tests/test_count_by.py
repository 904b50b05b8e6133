"""SQLite counts rows by keys into a keyed table instead of sorting them (CountBy); the
counts are those of the plain GROUP BY, NULL keys, numbers of two storage classes and
texts alike (checked against the GROUP BY and against Python's own count)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.backends.sqlite import SqliteBackend
from auditor.backends.statement import Sql

values = st.one_of(
    st.none(), st.sampled_from(["BJ", "SH", "", "bj"]), st.integers(-2, 2),
    st.sampled_from([1.0, 2.5, -0.0]),
)  # fmt: skip
rows = st.lists(
    st.tuples(values, values, st.sampled_from(["conform", "breach", None]), st.integers(-2, 2)),
    max_size=60,
)


class _NoFile:
    path = None


def _backend(data: list[tuple[Any, ...]]) -> tuple[SqliteBackend, sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE r (a, b, o, w)")
    connection.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", data)
    return SqliteBackend(_NoFile(), sqlite_utils.Database(connection)), connection  # type: ignore[arg-type]


def _python_count(data: list[tuple[Any, ...]], low: int) -> Counter[tuple[Any, ...]]:
    """Python's count; 1 and 1.0 are one key for SQLite as for Python's dict."""
    return Counter((a, b, o if o is not None else "none") for a, b, o, w in data if w >= low)


@given(rows, st.integers(-2, 1))
@settings(max_examples=200, deadline=None)
def test_counting_by_keys_gives_the_group_by_counts(data: list[tuple[Any, ...]], low: int) -> None:
    backend, connection = _backend(data)
    sql = Sql()
    base = f"WITH m AS (SELECT a, b, o FROM r WHERE w >= {sql.value(low)}) "
    statement = sql.count_statement(base, ("a", "b", "IFNULL(o, 'none')"))
    counted = backend.query(statement)
    grouped = connection.execute(statement.text, statement.params).fetchall()
    # the same keys, each of the same storage class (1 and 1.0 are one key to a Counter)
    typed = Counter({tuple((type(v).__name__, v) for v in row[:-1]): row[-1] for row in counted})
    assert typed == Counter(
        {tuple((type(v).__name__, v) for v in row[:-1]): row[-1] for row in grouped}
    )
    assert len(counted) == len(grouped)  # no key split in two (a NULL, say)
    assert Counter({row[:-1]: row[-1] for row in counted}) == _python_count(data, low)
    assert connection.execute("SELECT COUNT(*) FROM temp.sqlite_master").fetchone() == (0,)


def test_a_count_in_a_connection_with_implicit_transactions_leaves_none_open(tmp_path) -> None:
    path = tmp_path / "s.db"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE r (a, b, o)")
    setup.executemany(
        "INSERT INTO r VALUES (?, ?, ?)", [("BJ", 1, "x"), ("BJ", 1, "x"), (None, 2, "y")]
    )
    setup.commit()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # isolation level ""
    backend = SqliteBackend(_NoFile(), sqlite_utils.Database(connection))  # type: ignore[arg-type]
    statement = Sql().count_statement("WITH m AS (SELECT * FROM r) ", ("a", "o"))
    assert sorted(backend.query(statement), key=repr) == [("BJ", "x", 2), (None, "y", 1)]
    assert not connection.in_transaction
