"""Record keys are built the same way in SQL and in Python (batch and live)."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from auditor.evaluate.scope import key_text

DB = sqlite3.connect(":memory:")


def sqlite_text(value: object) -> str:
    return DB.execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0]


#: key values as evidence holds them: epoch seconds (sub-second too), ids, amounts; up to 15
#: significant digits (beyond that SQLite breaks exact decimal ties its own way)
realistic_reals = st.builds(
    lambda whole, scale: whole / scale,
    st.integers(-(10**14), 10**14),
    st.sampled_from([1, 10, 100, 1000, 10**6]),
)


@given(
    st.one_of(
        realistic_reals,
        st.floats(min_value=-1e14, max_value=1e14).map(lambda x: float(f"{x:.12g}")),
        st.integers(-(2**62), 2**62),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20),
    )
)
def test_a_key_part_reads_as_sqlite_casts_it(value: object) -> None:
    assert key_text([value]) == sqlite_text(value)


def test_reals_beyond_15_digits_round_as_sqlite_does() -> None:
    for value in (6.729229025487775e17, 1790179200.123456, 5e-324, 1e100, -2.5e-7, 0.0001, 1e-05):
        assert key_text([value]) == sqlite_text(value), value


def test_parts_are_joined_with_a_bar() -> None:
    assert key_text(["ROOT", "SH", 1790179200.0]) == "ROOT|SH|1790179200.0"
