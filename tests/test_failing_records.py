"""failing-records.csv as written column-wise: the same cells as one neutralise() per cell."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from auditor.failing import (
    FailingRecordsWriter,
    _neutralised,
    neutralise,
    write_failing_records,
)
from auditor.findings import Finding, RuleResult

cells = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.booleans(),
    st.sampled_from(["=1+1", "+1", "-2", "@x", "\tx", "\rx", "", "ok", "'=x", " =x"]),
    st.text(max_size=4),
)


@given(st.lists(cells, max_size=30))
def test_a_column_is_neutralised_as_cell_by_cell(column: list) -> None:
    expected = [neutralise(cell) for cell in column]
    got = _neutralised(column)
    assert got == expected
    assert [type(cell) for cell in got] == [type(cell) for cell in expected]


@given(cells, st.integers(1, 20))
def test_a_repeated_value_is_neutralised_once_for_all(cell: object, count: int) -> None:
    assert _neutralised([cell] * count) == [neutralise(cell)] * count


def test_equal_values_of_other_types_keep_their_own_text() -> None:
    """1 and 1.0 and True compare equal; each is written as it is, not as the first one."""
    column = [1, 1.0, True, 1]
    assert _neutralised(column) == column
    assert [type(c) for c in _neutralised(column)] == [int, float, bool, int]


def _result(keys: list[str]) -> RuleResult:
    finding = Finding(
        id="F-1", rule="R-1", clause="1", measure="share", group={"site": "=BJ"},
        period="2026-07", pooled=True, failing=keys, failing_values=[12.5, None, 3.0],
        failing_notes=[{"problem": "late", "step": "answered", "over_seconds": 2.5}, None, None],
        failing_sources=[{"file": "calls.csv", "line": 2}, None, {"file": "calls.csv", "line": 9}],
    )  # fmt: skip
    return RuleResult(
        rule="R-1", clause="1", title_en="t", title_zh="t", measure="share", severity="major",
        verdict="nonconforming", verdict_severity="major", judge="all", findings=[finding],
        capa={}, failing_unit="seconds",
    )  # fmt: skip


def test_the_file_starts_with_a_byte_order_mark_and_holds_each_record(tmp_path) -> None:
    meta = write_failing_records([_result(["=cmd|x", "I2", "-3"])], tmp_path)
    raw = (tmp_path / "failing-records.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrule,finding,key,")
    assert raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert rows[1:] == [
        ["R-1", "F-1", "'=cmd|x", "site==BJ", "2026-07", "12.5", "seconds", "late", "answered",
         "2.5", "calls.csv", "2"],
        ["R-1", "F-1", "I2", "site==BJ", "2026-07", "", "seconds", "", "", "", "", ""],
        ["R-1", "F-1", "'-3", "site==BJ", "2026-07", "3.0", "seconds", "", "", "", "calls.csv",
         "9"],
    ]  # fmt: skip
    assert meta["rows"] == 3


def test_results_added_one_by_one_give_the_files_written_at_once(tmp_path) -> None:
    results = [_result(["=cmd|x", "I2", "-3"]), _result(["I7", "I8", "I9"])]
    (tmp_path / "whole").mkdir()
    (tmp_path / "added").mkdir()
    whole = write_failing_records(results, tmp_path / "whole")
    writer = FailingRecordsWriter(tmp_path / "added")
    for result in results:
        writer.add(result)
    assert writer.finish() == whole
    for name in ("failing-records.csv", "failing-records.parquet"):
        assert (tmp_path / "added" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_a_discarded_writer_leaves_nothing_behind(tmp_path) -> None:
    writer = FailingRecordsWriter(tmp_path)
    writer.add(_result(["I1", "I2", "I3"]))
    writer.discard()
    assert list(tmp_path.iterdir()) == []
