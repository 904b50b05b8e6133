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
    finally:
        key_index.RECENT_LIMIT = 65_536


def test_ten_thousand_keys_in_many_runs() -> None:
    index = KeyIndex()
    for start in range(0, 10_000, 500):
        batch = [f"K{n:05d}" for n in range(start, start + 500)]
        assert index.add_new(batch, range(start, start + 500))
    assert len(index.runs) < 8  # merged as they grow
    assert index.get("K04321") == 4321 and index.get("K10000") is None
    assert not index.add_new(["new", "K09999"], [1, 2]) and index.get("new") is None


@given(
    st.lists(st.integers(-3, 3), max_size=40),
    st.lists(st.integers(-3, 3), max_size=40),
)
def test_two_runs_merge_as_one_sort_of_both(older: list[int], newer: list[int]) -> None:
    """The linear merge keeps what a stable sort of both runs, older first, gives (equal
    first hashes included), with each key's second hash and marker beside it."""
    import numpy as np

    def run(firsts: list[int], offset: int) -> key_index._Run:
        first = np.array(firsts, dtype=np.int64)
        return key_index._Run(first, first * 7 + offset, np.arange(len(firsts)) + offset)

    a, b = run(older, 0), run(newer, 1000)
    merged = key_index._Run.merged(a, b)
    expected = key_index._Run(
        np.concatenate([a.first, b.first]),
        np.concatenate([a.second, b.second]),
        np.concatenate([a.marker, b.marker]),
    )
    for name in ("first", "second", "marker"):
        assert getattr(merged, name).tolist() == getattr(expected, name).tolist()


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
