"""Tally.add_listing against a plain reference: each failing record in the pooled cell and its own."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from auditor.evaluate.tally import Tally

WHOLE = "2026-Q3"
groups = st.sampled_from([1, 1.0, True, None, "BJ", "SH", 0, False])
periods = st.sampled_from([WHOLE, "2026-07", "2026-08"])
details = st.sampled_from([None, "", "answered: late", "resolved: missing", "open at period end"])
statuses = st.sampled_from(["breach", "breach", "excluded:short call", "pending"])


def rows_of(ngroups: int):
    return st.lists(
        st.tuples(
            st.tuples(*[groups] * ngroups),
            periods,
            st.integers(0, 50),
            st.one_of(st.none(), st.floats(0, 100)),
            details,
            statuses,
            st.integers(1, 3),
            st.integers(2, 999),
        ).map(lambda r: (*r[0], *r[1:])),
        max_size=40,
    )


def reference(rows, ngroups: int, by_step: bool):
    """What each cell lists, its step counts and the ledger, one row at a time."""
    failing, steps, ledger = (
        defaultdict(list),
        defaultdict(lambda: defaultdict(int)),
        defaultdict(list),
    )
    for row in rows:
        group, period = tuple(row[:ngroups]), row[ngroups]
        key, value, detail, status, source, line = row[ngroups + 1 :]
        own = (group, period)
        cells = [((), WHOLE)] if own == ((), WHOLE) else [((), WHOLE), own]
        if status == "breach":
            for cell in cells:
                failing[cell].append((str(key), value, detail, (source, line)))
                if by_step and detail and ": " in detail:
                    steps[cell][detail] += 1
        else:
            reason = status.split(":", 1)[1] if status.startswith("excluded:") else status
            ledger[reason].append(str(key))
    return failing, steps, ledger


@given(st.integers(0, 2).flatmap(lambda n: st.tuples(st.just(n), rows_of(n), st.booleans())))
def test_add_listing_puts_each_record_where_a_plain_loop_does(case) -> None:
    ngroups, rows, by_step = case
    half = len(rows) // 2
    tally = Tally(WHOLE, ngroups, by_step=by_step)
    tally.add_listing(rows[:half])  # in two calls, as two listing statements would
    tally.add_listing(rows[half:])
    failing, steps, ledger = reference(rows, ngroups, by_step)
    got = {cell: [tuple(item[:4]) for item in items] for cell, items in tally.failing.items()}
    assert got == dict(failing)
    for cell, items in got.items():  # group values keep the type of the cell's first record
        assert [type(v) for v in cell[0]] == [
            type(v) for v in next(c for c in failing if c == cell)[0]
        ]
        assert len(items) == len(failing[cell])
    assert {c: dict(s) for c, s in tally.steps.items() if s} == {
        c: dict(s) for c, s in steps.items()
    }
    assert dict(tally.ledger) == dict(ledger)


def test_a_record_is_one_object_shared_by_the_pooled_cell_and_its_own() -> None:
    tally = Tally(WHOLE, 1)
    tally.add_listing([("BJ", "2026-07", "I1", 40.0, "answered: late", "breach", 1, 2)])
    pooled, own = tally.failing[((), WHOLE)], tally.failing[(("BJ",), "2026-07")]
    assert pooled[0] is own[0]
