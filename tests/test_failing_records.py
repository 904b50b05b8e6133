"""failing-records.csv as written from typed row groups: the bytes Python's csv module writes
with one neutralise() per cell."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import failing
from auditor.failing import (
    FailingRecordsWriter,
    neutralise,
    write_failing_records,
)
from auditor.findings import Finding, RuleResult
from auditor.paths import relative_path

texts = st.one_of(
    st.sampled_from(["=1+1", "+1", "-2", "@x", "\tx", "\rx", "", "ok", "'=x", " =x", "#x", "a,b"]),
    st.text(max_size=6),
)
numbers = st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-(2**53), 2**53))


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    count = draw(st.integers(1, 12))
    keys = draw(st.lists(texts, min_size=count, max_size=count))
    notes = [
        draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries({"problem": texts, "step": texts, "over_seconds": numbers}),
            )
        )
        for _ in keys
    ]
    sources = [
        draw(
            st.one_of(
                st.none(), st.fixed_dictionaries({"file": texts, "line": st.integers(1, 10**9)})
            )
        )
        for _ in keys
    ]
    return Finding(
        id=draw(texts), rule="R-1", clause="1", measure="share", group={"site": draw(texts)},
        period=draw(texts), pooled=True, failing=keys,
        failing_values=draw(st.lists(numbers, min_size=count, max_size=count)),
        failing_notes=notes, failing_sources=sources,
    )  # fmt: skip


def _written(value: Any) -> str:
    """A group value as ids write it, by the rule docs/findings.md gives: a missing one
    ``(empty)``; a text that is ``(empty)`` or starts with a double quote in JSON quotes."""
    if value is None:
        return "(empty)"
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if text == "(empty)" or text[:1] == '"' else text


def _as_python_csv_writes_it(results: list[RuleResult]) -> bytes:
    """The file as Python's csv module writes it, cell by cell: each text through
    neutralise(), each value and seconds over as a float (their type in the Parquet file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(failing.COLUMNS)

    def number(value: Any) -> Any:
        return None if value is None else float(value)

    def file_of(name: str | None) -> str:
        return relative_path(name, None) if name else ""

    for result in results:
        for finding in result.findings:
            group = ", ".join(f"{k}={_written(v)}" for k, v in finding.group.items())
            for key, value, note, source in zip(
                finding.failing, finding.failing_values, finding.failing_notes,
                finding.failing_sources, strict=True,
            ):  # fmt: skip
                note, source = note or {}, source or {}
                cells = [
                    result.rule, finding.id, key, group, finding.period, number(value),
                    result.failing_unit or "", note.get("problem") or "", note.get("step") or "",
                    number(note.get("over_seconds")), file_of(source.get("file")), source.get("line"),
                ]  # fmt: skip
                writer.writerow([neutralise(cell) for cell in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@given(st.lists(findings(), min_size=1, max_size=4), st.integers(1, 9))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_csv_file_holds_what_pythons_csv_module_would_write(
    tmp_path, monkeypatch, found: list[Finding], rows_per_group: int
) -> None:
    """DuckDB writes the CSV file a row group at a time; its bytes are those of Python's csv
    module (quotes only where needed, CRLF, floats as repr gives them, formulas neutralised),
    across row groups of any size."""
    monkeypatch.setattr(failing, "BATCH_ROWS", rows_per_group)
    results = [_result_of(finding) for finding in found]
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    meta = write_failing_records(results, folder)
    assert (folder / "failing-records.csv").read_bytes() == _as_python_csv_writes_it(results)
    assert meta["rows"] == sum(len(f.failing) for f in found)


def test_a_group_value_starting_with_a_double_quote_is_in_json_quotes(tmp_path) -> None:
    """The case the property test once drew: site '"' is written site="\\"" (JSON quotes),
    as its finding id writes it, and the CSV doubles each of those quotes."""
    finding = Finding(
        id="F", rule="R-1", clause="1", measure="share", group={"site": '"'}, period="p",
        pooled=True, failing=["k"], failing_values=[None], failing_notes=[None],
        failing_sources=[None],
    )  # fmt: skip
    results = [_result_of(finding)]
    write_failing_records(results, tmp_path)
    written = (tmp_path / "failing-records.csv").read_bytes()
    assert written.splitlines()[1] == b'R-1,F,k,"site=""\\""""",p,,seconds,,,,,'
    assert written == _as_python_csv_writes_it(results)


def _result_of(finding: Finding) -> RuleResult:
    return RuleResult(
        rule="R-1", clause="1", title_en="t", title_zh="t", measure="share", severity="major",
        verdict="nonconforming", verdict_severity="major", judge="all", findings=[finding],
        capa={}, failing_unit="seconds",
    )  # fmt: skip


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
    writer.flush()
    assert (tmp_path / ".failing-records.parquet.tmp").exists()
    writer.discard()
    writer.discard()  # twice is harmless (an audit discards after a failed finish)
    assert list(tmp_path.iterdir()) == []


def test_an_error_writing_a_rule_s_records_is_raised_and_nothing_after_it_is_written(
    tmp_path, monkeypatch
) -> None:
    """Records are written on the writer's own thread: an error there reaches the audit
    (from finish, or the next add), the rules added after it are not written, and the
    files are discarded."""
    real = failing._typed_table
    tables: list[int] = []

    def full_disk_once(columns: Any) -> Any:
        tables.append(1)
        if len(tables) == 1:
            raise OSError(28, "No space left on device")
        return real(columns)

    monkeypatch.setattr(failing, "_typed_table", full_disk_once)
    with pytest.raises(OSError, match="No space left"), FailingRecordsWriter(tmp_path) as writer:
        writer.add(_result(["I1", "I2"]))
        writer.add(_result(["I3"]))
        writer.finish()
    assert tables == [1]  # the second rule's records were not made after the error
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_outranks_a_later_rule_s_error(tmp_path, monkeypatch) -> None:
    """A rule's records that could not be written, and then a later rule failing before the
    next hand-over: the write error is the one raised (the later one is its context)."""
    from concurrent.futures import wait

    from auditor.errors import AuditorError

    def full_disk(columns: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, "_typed_table", full_disk)
    with pytest.raises(OSError, match="No space left") as caught:  # noqa: SIM117
        with FailingRecordsWriter(tmp_path) as writer:
            writer.add(_result(["I1", "I2"]))
            wait(writer.queued)  # the write failed on the writer's thread, unraised so far
            raise AuditorError("the engine went away")
    assert isinstance(caught.value.__cause__, AuditorError)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_a_finding_is_written_removes_both_files_once_it_is(
    tmp_path, monkeypatch, ctrl_c
) -> None:
    """Discarding waits for the finding being written, a second Ctrl-C meanwhile included,
    removes both files, then raises the interrupt."""
    import os
    import signal
    import threading
    import time

    real = failing._typed_table

    def slow(columns: Any) -> Any:
        time.sleep(1.0)  # a large finding's table
        return real(columns)

    monkeypatch.setattr(failing, "_typed_table", slow)
    writer = FailingRecordsWriter(tmp_path)
    writer.add(_result(["I1", "I2"]))
    time.sleep(0.1)  # the writer's thread is making the table
    threading.Timer(0.3, os.kill, args=(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        writer.discard()
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


def test_rows_keep_their_order_across_row_groups_of_many_findings(tmp_path) -> None:
    """A row group made of the ends and starts of several findings (the real size, 100,000
    rows) is written in order: DuckDB once wrote a projection of such a table with a later
    finding's first rows before a small earlier finding."""
    found = [
        Finding(
            id=name,
            rule="R-1",
            clause="1",
            measure="share",
            group={"site": "=A"},
            period="2026-07",
            pooled=True,
            failing=[f"k{i}" for i in range(count)],
            failing_values=[i / 7 for i in range(count)],
            failing_notes=[None] * count,
            failing_sources=[{"file": "calls.csv", "line": i + 2} for i in range(count)],
        )
        for name, count in (("A", 130_000), ("B", 60_000), ("C", 7), ("D", 60_000))
    ]
    results = [_result_of(finding) for finding in found]
    write_failing_records(results, tmp_path)
    written = (tmp_path / "failing-records.csv").read_bytes()
    assert written == _as_python_csv_writes_it(results)
    parquet = pq.read_table(tmp_path / "failing-records.parquet")
    assert parquet.column("finding").to_pylist() == [
        f.id for f in found for _ in range(len(f.failing))
    ]


def test_a_number_s_unit_is_the_measured_field_s_unit(tmp_path) -> None:
    """ASA-60 is the mean of q_time, declared with unit s: its failing records' unit is "s", as
    explain and the report print it (the file said "number"); a number without a unit stays
    "number"."""
    finding = Finding(
        id="ASA-60@priority=0", rule="ASA-60", clause="1.4", measure="mean",
        group={"priority": "0"}, period="2010-08", pooled=False, failing=["AA0101-43373"],
        failing_values=[479.0], failing_notes=[None],
        failing_sources=[{"file": "august_1999_calls.csv", "line": 2100}],
    )  # fmt: skip

    def result(label: dict[str, str] | None) -> RuleResult:
        return RuleResult(
            rule="ASA-60", clause="1.4", title_en="t", title_zh="t", measure="mean",
            severity="minor", verdict="nonconform", verdict_severity="minor", judge="each-group",
            findings=[finding], capa={}, failing_unit="number", unit_label=label,
        )  # fmt: skip

    for label, unit in (({"zh": "秒", "en": "s"}, "s"), (None, "number")):
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        write_failing_records([result(label)], folder)
        text = (folder / "failing-records.csv").read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert [(r["key"], r["value"], r["unit"]) for r in rows] == [
            ("AA0101-43373", "479.0", unit)
        ]
        table = pq.read_table(folder / "failing-records.parquet")
        assert table.column("unit").to_pylist() == [unit]
