"""Record keys are built the same way in SQL and in Python (batch and live)."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from auditor.evaluate.scope import key_text

DB = sqlite3.connect(":memory:")


def sqlite_text(value: object) -> str:
    return DB.execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0]


@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(2**62), 2**62),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20),
    )
)
def test_a_key_part_reads_as_sqlite_casts_it(value: object) -> None:
    assert key_text([value]) == sqlite_text(value)


def test_parts_are_joined_with_a_bar() -> None:
    assert key_text(["ROOT", "SH", 1790179200.0]) == "ROOT|SH|1790179200.0"
