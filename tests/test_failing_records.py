"""failing-records.csv as written column-wise: the same cells as one neutralise() per cell."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import failing
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


def test_a_discarded_writer_leaves_nothing_behind(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(failing, "BATCH_ROWS", 2)  # a Parquet row group written at once
    writer = FailingRecordsWriter(tmp_path)
    writer.add(_result(["I1", "I2", "I3"]))
    assert (tmp_path / ".failing-records.parquet.tmp").exists()
    writer.discard()
    writer.discard()  # twice is harmless (an audit discards after a failed finish)
    assert list(tmp_path.iterdir()) == []


def test_a_finish_that_fails_leaves_nothing_behind(tmp_path, monkeypatch) -> None:
    import pyarrow.parquet as pq

    monkeypatch.setattr(failing, "BATCH_ROWS", 2)
    closes: list[int] = []
    real_close = pq.ParquetWriter.close

    def full_disk(self: Any) -> None:
        closes.append(1)
        if len(closes) == 1:
            raise OSError(28, "No space left on device")
        real_close(self)

    monkeypatch.setattr(pq.ParquetWriter, "close", full_disk)
    writer = FailingRecordsWriter(tmp_path)
    writer.add(_result(["I1", "I2", "I3"]))
    with pytest.raises(OSError, match="No space left"):
        writer.finish()
    writer.discard()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["evaluating a rule", "closing the engine"])
def test_an_audit_stopped_by_an_error_leaves_no_failing_records(
    tmp_path, root, monkeypatch, where: str
) -> None:
    from auditor.audit import run_audit
    from auditor.backends.sqlite import SqliteBackend
    from auditor.errors import AuditorError
    from auditor.evaluate import driver

    real = driver.Evaluation.evaluate

    def failing_late(self: Any, rule: Any) -> Any:
        if rule.id == "CSAT-Q-4.2":
            raise AuditorError("the engine went away")
        return real(self, rule)

    real_close = SqliteBackend.close

    def failing_close(self: Any) -> None:
        if self._own_db is None:  # the audit's own backend, closed after every rule is in
            raise AuditorError("the engine went away")
        real_close(self)

    if where == "evaluating a rule":
        monkeypatch.setattr(driver.Evaluation, "evaluate", failing_late)
    else:
        monkeypatch.setattr(SqliteBackend, "close", failing_close)
    out = tmp_path / "out"
    with pytest.raises(AuditorError, match="went away"):
        run_audit(
            root / "rules" / "service-quality.yaml",
            root / "evidence" / "demo" / "service-quality",
            out,
            "2026-Q3",
        )
    left = sorted(p.name for p in out.iterdir())
    assert not [name for name in left if "failing-records" in name], left
