"""Records stored many rows to a statement land exactly as one statement per row stores them."""

from __future__ import annotations

import sqlite3
from itertools import chain
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from auditor.backends.store import EvidenceStore, rows_per_statement
from auditor.convert import Records
from auditor.model import EvidenceKind, FieldSpec

TYPES = ("text", "number", "integer", "timestamp")
KIND = EvidenceKind(
    name="things",
    title={"en": "things"},
    key=("f0",),
    time=None,
    fields={f"f{i}": FieldSpec(f"f{i}", kind) for i, kind in enumerate(TYPES)},
)
NAMES = list(KIND.fields)
WIDTH = len(NAMES) + 2

value = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(["1", "1.0", "-0.0", " 2", "1e3"]),  # texts a column's type may convert
)
row = st.tuples(*[value] * WIDTH)
PER = rows_per_statement(WIDTH)
# sizes either side of a full statement, so that full statements and rows left over both occur
sizes = st.sampled_from([0, 1, 7, PER - 1, PER, PER + 1, 2 * PER, 3 * PER + 2])
rows = sizes.flatmap(lambda n: st.lists(row, min_size=n, max_size=n))


def stored(path: Path) -> list[tuple[Any, ...]]:
    """Every stored row in insertion order, each value with its storage class."""
    connection = sqlite3.connect(path)
    columns = [*NAMES, "_source", "_line"]
    picked = ", ".join(f"{c}, typeof({c})" for c in columns)
    found = connection.execute(f"SELECT rowid, {picked} FROM things ORDER BY rowid").fetchall()
    connection.close()
    return found


def one_per_statement(path: Path, records: list[tuple[Any, ...]]) -> None:
    """The reference: plain sqlite3, one INSERT per row, into the same table."""
    store = EvidenceStore(path)
    store.ensure_kind(KIND)
    store.close()
    connection = sqlite3.connect(path)
    marks = ", ".join("?" for _ in range(WIDTH))
    columns = ", ".join([*NAMES, "_source", "_line"])
    with connection:
        for record in records:
            connection.execute(f"INSERT INTO things ({columns}) VALUES ({marks})", record)
    connection.close()


def many_per_statement(path: Path, records: Any) -> None:
    store = EvidenceStore(path)
    # held to the oldest default limit, so that a statement binding more values fails here
    store.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    store.ensure_kind(KIND)
    with store.transaction():
        store.insert_records(KIND, NAMES, records)
    store.close()


# no shrinking: a failing list of hundreds of rows takes minutes to shrink, and the sizes
# drawn already say which statement failed
@settings(max_examples=40, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(rows)
def test_stored_as_one_statement_per_row_stores_them(tmp_path_factory, records) -> None:
    folder = tmp_path_factory.mktemp("insert")
    one_per_statement(folder / "reference.db", records)
    many_per_statement(folder / "rows.db", records)
    expected = stored(folder / "reference.db")
    assert stored(folder / "rows.db") == expected
    columns = [list(column) for column in zip(*records, strict=True)] or [[]] * WIDTH
    many_per_statement(folder / "columns.db", Records(columns))
    assert stored(folder / "columns.db") == expected


@given(st.lists(row, max_size=40))
def test_records_values_are_the_rows_one_after_another(records) -> None:
    columns = [list(column) for column in zip(*records, strict=True)] or [[]] * WIDTH
    held = Records(columns)
    assert held.values() == list(chain.from_iterable(records))
    assert list(held) == records
    assert len(held) == len(records)


def test_rows_given_as_a_generator_in_several_chunks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("auditor.backends.store.INSERT_CHUNK_ROWS", 7)
    records = [(f"k{i}", float(i), i, i * 1.5, 1, i + 2) for i in range(2 * PER + 3)]
    one_per_statement(tmp_path / "reference.db", records)
    many_per_statement(tmp_path / "chunks.db", iter(records))
    assert stored(tmp_path / "chunks.db") == stored(tmp_path / "reference.db")


def test_a_record_of_another_width_is_refused(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "s.db")
    store.ensure_kind(KIND)
    good = tuple(range(WIDTH))
    with pytest.raises(ValueError, match="values for 6 columns"), store.transaction():
        store.insert_records(KIND, NAMES, [good, good[:-1]])
    with pytest.raises(ValueError, match="values for 6 columns"), store.transaction():
        store.insert_records(KIND, NAMES, Records([[1]] * (WIDTH - 1)))
    with pytest.raises(ValueError, match="columns of"):
        Records([[1], [1, 2]])
    store.close()
