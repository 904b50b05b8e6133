"""The compact key index answers as the dict it replaces does, whatever the order of operations."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import key_index
from auditor.key_index import KeyIndex

keys = st.one_of(
    st.text(max_size=6),
    st.integers(-3, 3),
    st.tuples(st.text(max_size=2), st.integers(0, 2)),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("batch"), st.lists(keys, max_size=30, unique=True), st.integers(0, 3)),
        st.tuples(st.just("one"), keys, st.integers(0, 3)),
        st.tuples(st.just("forget"), st.integers(0, 3)),
    ),
    max_size=40,
)


@given(operations, st.lists(keys, max_size=20))
@settings(max_examples=300, deadline=None)
def test_the_index_answers_as_a_dict(ops: list[Any], probes: list[Any]) -> None:
    key_index.RECENT_LIMIT = 4  # single keys go into runs often
    key_index.FAN_IN = 2  # and runs are sorted into the next level often
    try:
        index, expected = KeyIndex(), {}
        line = 0
        for op in ops:
            if op[0] == "batch":
                _, batch, file = op
                markers = [file << 32 | (line + i) for i in range(len(batch))]
                if any(k in expected for k in batch):
                    assert not index.add_new(batch, markers)
                else:
                    assert index.add_new(batch, markers)
                    line += len(batch)
                    expected.update(zip(batch, markers, strict=True))
            elif op[0] == "one":
                _, key, file = op
                if index.get(key) is None:
                    assert key not in expected
                    index[key] = expected[key] = file << 32 | line
                    line += 1
            else:
                index = index.without_file(op[1])
                expected = {k: v for k, v in expected.items() if v >> 32 != op[1]}
            assert len(index) == len(expected)
        for key in [*expected, *probes]:
            assert index.get(key) == expected.get(key)
        asked = [*expected, *probes]
        assert index.markers_of(asked) == [expected.get(key) for key in asked]
    finally:
        key_index.RECENT_LIMIT, key_index.FAN_IN = 65_536, 8


def test_ten_thousand_keys_in_many_runs() -> None:
    index = KeyIndex()
    for start in range(0, 10_000, 500):
        batch = [f"K{n:05d}" for n in range(start, start + 500)]
        assert index.add_new(batch, range(start, start + 500))
    # 20 batches: two sorted into level 1 as eight batches came, four left at level 0
    assert [run.level for run in index.runs] == [1, 1, 0, 0, 0, 0]
    assert index.get("K04321") == 4321 and index.get("K10000") is None
    assert not index.add_new(["new", "K09999"], [1, 2]) and index.get("new") is None


@given(st.lists(st.lists(st.integers(-3, 3), max_size=12), min_size=1, max_size=9))
def test_runs_sorted_into_one_keep_the_older_key_first(firsts: list[list[int]]) -> None:
    """Runs sorted into one hold what one stable sort of all their keys, oldest run first,
    gives (equal first hashes included), with each key's second hash and marker beside it."""
    import numpy as np

    runs, offset = [], 0
    for values in firsts:
        first = np.array(values, dtype=np.int64)
        marker = np.arange(len(values)) + offset
        runs.append(key_index._Run(first, first * 7 + offset, marker))
        offset += 1000
    together = key_index._Run.of_runs(runs)
    rows = sorted(
        (f, s, m) for run in runs for f, s, m in zip(run.first, run.second, run.marker, strict=True)
    )  # markers grow with the run, so for equal first hashes the older run's keys come first
    assert list(zip(together.first, together.second, together.marker, strict=True)) == [
        (f, s, m) for f, s, m in sorted(rows, key=lambda row: (row[0], row[2]))
    ]
    assert together.level == 1


def test_the_bitmap_never_hides_a_held_key() -> None:
    """Keys held in runs are found through the bitmap however it has grown; new ones pass."""
    index = KeyIndex()
    for start in range(0, 200_000, 20_000):
        batch = [f"K{n}" for n in range(start, start + 20_000)]
        assert index.add_new(batch, range(start, start + 20_000))
    assert index._bitmap is not None and index._bitmap.room >= 200_000
    for n in range(0, 200_000, 997):
        assert not index.add_new(["fresh", f"K{n}"], [0, 1])
    assert index.add_new(["fresh"], [7]) and index.get("fresh") == 7


@given(st.lists(st.integers(0, 1 << 20), max_size=300))
@settings(max_examples=200, deadline=None)
def test_every_bit_of_a_batch_lands_even_where_keys_share_a_byte(lows: list[int]) -> None:
    """Many first hashes falling in the same byte of the bitmap (up to eight bits each) are
    all set by one add, as setting them one at a time would set them."""
    import numpy as np

    bitmap = key_index._Bitmap([], 1)
    first = np.array([low % 64 for low in lows] + lows, dtype=np.int64)  # crowded bytes first
    bitmap.add(first)
    assert bitmap.maybe_held(first).all()
    expected = np.zeros_like(bitmap.bits)
    byte, bit = bitmap._slots(first)
    np.bitwise_or.at(expected, byte, bit)
    assert (bitmap.bits == expected).all()
