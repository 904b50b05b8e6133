"""A finding's notes and sources made when read: the same as made one by one up front,
and the failing-records columns made from them the same as from the dicts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.evaluate.failing_lists import (
    OPEN_AT_END,
    FailingNotes,
    FailingSources,
    failing_note,
)
from auditor.failing import _note_columns, _source_columns

DETAILS = st.sampled_from(
    [None, "", OPEN_AT_END, "late", "missing", "answered: late", "resolved: missing",
     "out of order", "step a: out of order", "a: b: late", "answered_at: ended without reaching"]
)  # fmt: skip
VALUES = st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-(10**6), 10**6))
PLACES = st.tuples(st.one_of(st.none(), st.integers(1, 4)), st.integers(2, 10**6))
FILES = {1: "/data/a.csv", 2: "/data/b.csv", 3: "/elsewhere/c.csv", 4: "/data/sub/d.csv"}


def by_hand(detail: str | None, value: float | None) -> dict | None:
    """The note worked out from the detail text's documented form: "step: problem"."""
    if not detail:
        return None
    if detail == OPEN_AT_END:
        return {"problem": OPEN_AT_END, "step": None, "over_seconds": None}
    step, _, problem = detail.rpartition(": ")
    timed = problem in ("late", "missing")
    return {"problem": problem, "step": step or None, "over_seconds": value if timed else None}


@given(st.lists(st.tuples(DETAILS, VALUES), max_size=40))
def test_notes_read_as_made_one_by_one(records) -> None:
    details = [d for d, _ in records]
    values = [v for _, v in records]
    notes = FailingNotes(details, values)
    expected = [by_hand(d, v) for d, v in records]
    assert len(notes) == len(expected)
    assert list(notes) == expected
    assert notes == expected  # a list of the same notes is equal
    assert notes[:3] == expected[:3] and notes[1:] == expected[1:]
    if expected:
        assert notes[-1] == expected[-1] and notes[0] == failing_note(details[0], values[0])
    made = _note_columns(expected, len(expected))  # the columns from the dicts, as before
    assert notes.columns() == made


@given(st.lists(PLACES, max_size=40), st.sampled_from([None, "/data"]))
def test_sources_read_as_made_one_by_one(places, root) -> None:
    sources = FailingSources(places, FILES)
    expected = [None if s is None else {"file": FILES[s], "line": line} for s, line in places]
    assert list(sources) == expected and sources == expected
    asked: list[str] = []

    def file_of(name: str | None) -> str:
        asked.append(name or "")
        if not name:
            return ""
        return name[len(root) + 1 :] if root and name.startswith(root + "/") else name

    made = _source_columns(expected, len(expected), file_of)
    asked.clear()
    assert sources.columns(file_of) == made
    assert sorted(asked) == sorted({FILES[s] for s, _ in places if s is not None})  # once a file


def test_a_note_list_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError, match="1 details for 0 values"):
        FailingNotes(["late"], [])
