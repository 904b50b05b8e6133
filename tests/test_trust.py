"""Statements an audit makes are true: no pass without evidence, values that agree with verdicts.

Each test starts from a situation a user met: an empty folder, a mistyped
period, a header-only file, a fully quarantined file, an optional column
missing from an export, 3,450 of 3,451 calls against a 100 % target, a
sequence that fails at one step, a record still open at the period end.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import jsonschema
import pytest

import auditor.failing
from auditor.audit import run_audit
from auditor.errors import AuditorError, PackErrors, PeriodError, QuarantineError
from auditor.pack import load_pack

from .conftest import ROOT, RULES, STANDARDS, TEST_PACKS

PACK = TEST_PACKS / "trust.yaml"
HEADER = "call_id,site,received_at,answered_at,server,test_call\n"
SCHEMA = Path(__file__).resolve().parent.parent / "auditor" / "findings" / "schema.json"


def calls(rows: list[str], header: str = HEADER) -> str:
    return header + "".join(row + "\n" for row in rows)


def evidence(tmp_path: Path, text: str, name: str = "calls.csv") -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def rows_with_wait(count: int, late: int, server: str = "S1") -> list[str]:
    """``count`` calls on 6 July 2026, the first ``late`` answered after 45 s, the rest after 10 s."""
    out = []
    for i in range(count):
        answer = "10:00:45" if i < late else "10:00:10"
        out.append(f"C{i:05d},BJ,2026-07-06 10:00:00,2026-07-06 {answer},{server},")
    return out


def audit(tmp_path: Path, rows: list[str], period: str | None = "2026-07", **options):
    folder = evidence(tmp_path, calls(rows))
    return run_audit(PACK, folder, tmp_path / "out", period, **options)


# ------------------------------------------------------------ no pass without evidence


def test_an_empty_folder_stops_the_audit(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(PeriodError, match="no evidence record in 2010-08"):
        run_audit(PACK, folder, tmp_path / "out", "2010-08")
    assert not (tmp_path / "out" / "findings.json").exists()


def test_a_mistyped_period_names_the_span_the_evidence_covers(tmp_path: Path) -> None:
    with pytest.raises(PeriodError) as caught:
        audit(tmp_path, rows_with_wait(40, 0), period="2011-08")
    assert str(caught.value).startswith(
        "no record in 2011-08; the evidence spans 2026-07-06..2026-07-06"
    )


def test_a_header_only_file_stops_the_audit(tmp_path: Path) -> None:
    with pytest.raises(PeriodError, match="no evidence record in 2026-07"):
        audit(tmp_path, [])


def test_a_fully_quarantined_file_stops_the_audit_with_its_reasons(tmp_path: Path) -> None:
    rows = [f"C{i},BJ,not a time,,S1," for i in range(50)]
    with pytest.raises(QuarantineError) as caught:
        audit(tmp_path, rows)
    message = str(caught.value)
    assert "calls.csv" in message and "50 of 50 rows quarantined (100.0 %)" in message
    assert "above the 2 % ceiling" in message and "50 received_at" in message
    assert "--max-quarantine 100%" in message


def test_the_quarantine_ceiling_counts_per_file_and_can_be_raised(tmp_path: Path) -> None:
    rows = rows_with_wait(97, 0) + [f"X{i},BJ,not a time,,S1," for i in range(3)]
    with pytest.raises(QuarantineError, match="3 of 100 rows quarantined"):
        audit(tmp_path, rows)
    result = audit(tmp_path, rows, max_quarantine=0.05)
    kinds = {k["kind"]: k for k in result.document["summary"]["kinds"]}
    assert kinds["calls"] == {
        "kind": "calls",
        "title": kinds["calls"]["title"],
        "files": 1,
        "rows_read": 100,
        "stored": 97,
        "quarantined": 3,
        "in_period": 97,
        "outside": 0,
        "untimed": 0,
        "placed": 97,
    }
    assert result.document["manifest"]["parameters"]["max_quarantine"] == 0.05


@pytest.mark.parametrize("filled_rows", [0, 1, 39])
def test_sqlite_asks_for_one_value_before_counting_an_empty_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filled_rows: int
) -> None:
    """The check for a field empty throughout stops at the first value; the full count runs
    only when a field has none, and the verdict is the same either way."""
    from auditor.backends.sqlite import SqliteBackend

    full_counts: list[str] = []
    query = SqliteBackend.query

    def watched(self: SqliteBackend, statement):  # type: ignore[no-untyped-def]
        if statement.text.startswith("SELECT COUNT(*), COUNT("):
            full_counts.append(statement.text)
        return query(self, statement)

    monkeypatch.setattr(SqliteBackend, "query", watched)
    header = "call_id,site,received_at,answered_at,server\n"
    rows = [
        f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10,{'S1' if i >= 40 - filled_rows else ''}"
        for i in range(40)
    ]
    result = run_audit(PACK, evidence(tmp_path, calls(rows, header)), tmp_path / "out", "2026-07")
    server = next(r for r in result.results if r.rule == "SERVER-RECORDED")
    if filled_rows:
        assert server.findings[0].not_evaluable is None
        assert not any('"server"' in text for text in full_counts)
    else:
        assert server.findings[0].not_evaluable == {
            "code": "field-empty",
            "field": "server",
            "n": 40,
        }
        assert any('"server"' in text for text in full_counts)


def test_a_rule_not_evaluable_withholds_the_recommendation_and_fails(tmp_path: Path) -> None:
    # No file fills 'server': the server rule cannot be judged; the answer rule conforms.
    header = "call_id,site,received_at,answered_at\n"
    rows = [f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10" for i in range(40)]
    folder = evidence(tmp_path, calls(rows, header))
    result = run_audit(PACK, folder, tmp_path / "out", "2026-07")
    by_rule = {r.rule: r for r in result.results}
    server = by_rule["SERVER-RECORDED"]
    assert server.verdict == "not-evaluable"
    finding = server.findings[0]
    assert finding.not_evaluable == {
        "code": "no-column",
        "field": "server",
        "n": 40,
        "files": ["calls.csv"],
    }
    assert finding.reasons == [
        "no file the 40 calls records in scope come from has a column for 'server' (calls.csv)"
    ]
    written = next(r for r in result.findings.rules if r.rule == "SERVER-RECORDED").findings[0]
    assert "0 of" not in written.explanation and "server" in written.explanation
    decision = result.document["summary"]["recommendation"]
    assert decision["decision"] == "withheld"
    assert decision["not_evaluable"] == [
        {"rule": "SERVER-RECORDED", "clause": "3.1.2", "reason": finding.reasons[0]}
    ]
    assert result.fails("major") and result.fails("observation")
    assert not result.fails("major", allow_not_evaluable=True)
    assert not result.fails("never")


# ------------------------------------------------------------ records in no period


def optional_time_pack(tmp_path: Path, server_time: str | None = None) -> Path:
    """The trust pack with the calls' time field optional (``received_at: timestamp?``);
    with ``server_time``, the server rule placing calls in the period by that field."""
    (tmp_path / "standards").symlink_to(STANDARDS)
    (tmp_path / "rules").mkdir()
    text = PACK.read_text(encoding="utf-8")
    text = text.replace("received_at: timestamp\n", "received_at: timestamp?\n")
    if server_time:
        text = text.replace("condition: server", f"time: {server_time}\n    condition: server")
    path = tmp_path / "rules" / "trust.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def calls_partly_untimed(tmp_path: Path) -> Path:
    """10 calls in July, 2 in June, 3 with an empty received_at (answered in July) and, in
    a file without a received_at column, 4 answered in July."""
    july = [f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10,S1," for i in range(10)]
    june = [f"J{i},BJ,2026-06-06 10:00:00,2026-06-06 10:00:10,S1," for i in range(2)]
    empty = [f"E{i},BJ,,2026-07-06 10:00:10,S1," for i in range(3)]
    folder = evidence(tmp_path, calls(july + june + empty))
    unread = [f"N{i},SH,2026-07-07 10:00:00,S2" for i in range(4)]
    evidence(tmp_path, calls(unread, "call_id,site,answered_at,server\n"), "calls-2.csv")
    return folder


def test_records_without_a_time_are_counted_as_in_no_period(tmp_path: Path, runner) -> None:
    """10 calls in July, 2 in June, 3 with an empty received_at and 4 in a file without the
    column: the 7 without a time are in no period, and the audit says so; the rules' counts
    stay those of the 10 July calls."""
    from auditor.cli import main
    from auditor.report import render_reports

    folder = calls_partly_untimed(tmp_path)
    pack = optional_time_pack(tmp_path)
    result = run_audit(pack, folder, tmp_path / "out", "2026-07")
    (kind,) = result.document["summary"]["kinds"]
    assert (kind["stored"], kind["in_period"], kind["untimed"]) == (19, 10, 7)
    for rule in result.document["rules"]:
        assert rule["findings"][0]["counts"]["n"] == 10
        assert rule["findings"][0]["counts"]["excluded"] == 0
    jsonschema.validate(result.document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    for lang, note in (
        (
            "en",
            "calls: 7 records have no time and so are in no period: no rule counts or excludes them",
        ),
        ("zh", "calls:7 条记录无时间,不在任何期间内,没有规则计入或排除它们"),
    ):
        render_reports(result.document, tmp_path / lang, ("html",), lang)
        assert note in (tmp_path / lang / "report.html").read_text(encoding="utf-8")
    shown = runner.invoke(
        main,
        ["audit", str(pack), str(folder), "--out", str(tmp_path / "cli"), "--period", "2026-07"],
    )
    assert (
        "evidence: 19 rows read = 19 stored + 0 quarantined; 2 stored records are dated "
        "outside 2026-07 (calls 2); 7 stored records are without a time, in no period (calls 7)\n"
    ) in shown.output


def test_a_record_a_rule_dates_by_another_field_is_not_in_no_period(tmp_path: Path) -> None:
    """The server rule places calls by answered_at: the 7 calls without a received_at were all
    answered in July, so that rule judges them (10 + 3 + 4 = 17) and none is in no period."""
    pack = optional_time_pack(tmp_path, server_time="answered_at")
    result = run_audit(pack, calls_partly_untimed(tmp_path), tmp_path / "out", "2026-07")
    (kind,) = result.document["summary"]["kinds"]
    assert (kind["stored"], kind["in_period"], kind["untimed"]) == (19, 10, 0)
    n = {r["rule"]: r["findings"][0]["counts"]["n"] for r in result.document["rules"]}
    assert n == {"ANSWERED-30S": 10, "SERVER-RECORDED": 17}


def test_a_record_a_rule_dates_by_another_field_is_not_said_dated_outside(
    tmp_path: Path, runner
) -> None:
    """Of the 19 calls, 10 were received in July and 2 in June; the 7 with no received_at
    were answered in July, where the server rule places them: only the 2 June calls are dated
    outside July (19 - 10 - 0 untimed counted the 7 among them), and none is in no period."""
    from auditor.cli import main

    pack = optional_time_pack(tmp_path, server_time="answered_at")
    folder, out = calls_partly_untimed(tmp_path), tmp_path / "out"
    shown = runner.invoke(
        main, ["audit", str(pack), str(folder), "--out", str(out), "--period", "2026-07"]
    )
    assert (
        "evidence: 19 rows read = 19 stored + 0 quarantined; 2 stored records are dated "
        "outside 2026-07 (calls 2)\n"
    ) in shown.output
    (kind,) = json.loads((out / "findings.json").read_text(encoding="utf-8"))["summary"]["kinds"]
    figures = {name: kind[name] for name in ("stored", "in_period", "outside", "untimed")}
    assert figures == {"stored": 19, "in_period": 10, "outside": 2, "untimed": 0}


def calls_received_unrecorded(tmp_path: Path, answered: str) -> Path:
    """3 calls with an empty received_at, answered on ``answered`` (a day)."""
    return evidence(tmp_path, calls([f"E{i},BJ,,{answered} 10:00:10,S1," for i in range(3)]))


def test_records_only_a_rule_dates_in_the_period_are_evidence_of_it(tmp_path: Path, runner) -> None:
    """3 calls with no received_at, answered in July: the server rule places them in July by
    answered_at and judges all 3, so the July audit runs (exit 1: the answer rule has no
    record, so it is not evaluable) and no kind is said empty in the period; answered in
    August, no field places any call in July and the audit stops as before."""
    from auditor.cli import main
    from auditor.report import render_reports

    pack = optional_time_pack(tmp_path, server_time="answered_at")
    folder, out = calls_received_unrecorded(tmp_path, "2026-07-06"), tmp_path / "out"
    shown = runner.invoke(
        main, ["audit", str(pack), str(folder), "--out", str(out), "--period", "2026-07"]
    )
    assert shown.exit_code == 1, shown.output
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    verdicts = {
        r["rule"]: (r["verdict"], r["findings"][0]["counts"]["n"]) for r in document["rules"]
    }
    assert verdicts == {"ANSWERED-30S": ("not-evaluable", 0), "SERVER-RECORDED": ("observation", 3)}
    assert document["summary"]["recommendation"]["decision"] == "withheld"
    # no kind said empty; the calls of 6 July leave 1-5 July (5 days) and 7-31 July (25) empty
    gaps = [("start", "2026-07-01", "2026-07-05", 5), ("end", "2026-07-07", "2026-07-31", 25)]
    assert [
        (w["code"], w["edge"], w["first"], w["last"], w["days"])
        for w in document["summary"]["warnings"]
    ] == [("evidence-gap", *gap) for gap in gaps]
    assert "no calls record in 2026-07" not in shown.output
    render_reports(document, tmp_path / "report", ("html",), "en")
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "no record in the audit period" not in html
    assert document["summary"]["kinds"][0]["placed"] == 3  # the answered times place all 3
    assert 'class="num empty"' not in html  # its 0 by the kind's own time is not marked empty
    (tmp_path / "august").mkdir()
    later = calls_received_unrecorded(tmp_path / "august", "2026-08-06")
    stopped = runner.invoke(
        main, ["audit", str(pack), str(later), "--out", str(tmp_path / "o8"), "--period", "2026-07"]
    )
    assert stopped.exit_code == 2
    assert stopped.output == (
        "error: no evidence record in 2026-07: 1 file(s) read, 3 rows stored; check the "
        "evidence folder, the file names and the mapping\n"
    )


@pytest.mark.parametrize(("answered", "warned"), [("2026-07-06", False), ("2026-08-06", True)])
def test_a_kind_a_rule_dates_in_the_period_is_not_warned_empty(
    tmp_path: Path, answered: str, warned: bool
) -> None:
    """The warning that a judged kind has no record in July goes by every field that dates
    its records: the 3 calls with no received_at answered in July are in it, answered in
    August they are not."""
    from auditor.backends.store import EvidenceStore
    from auditor.evidence_span import kind_coverage
    from auditor.findings.document import audit_warnings
    from auditor.ingest import ingest
    from auditor.periods import parse_period

    pack = load_pack(optional_time_pack(tmp_path, server_time="answered_at"), [STANDARDS])
    store = EvidenceStore(tmp_path / "store.db")
    try:
        report = ingest(pack, calls_received_unrecorded(tmp_path, answered), store)
        coverage = kind_coverage(pack, store, parse_period("2026-07"))
    finally:
        store.close()
    empty = [{"code": "kind-empty-in-period", "kind": "calls"}]
    assert audit_warnings(pack, report, coverage) == (empty if warned else [])


def old_store_export(tmp_path: Path) -> Path:
    """The export of a store made by an earlier version, whose manifest rows record no
    columns: calls.csv (10 calls) and calls-2.csv (4 calls, no server column)."""
    import sqlite3

    from auditor.backends.store import EvidenceStore
    from auditor.export import export_store
    from auditor.ingest import ingest

    folder = evidence(tmp_path, calls(rows_with_wait(10, 0)))
    unread = [f"N{i},SH,2026-07-07 10:00:00,2026-07-07 10:00:05" for i in range(4)]
    evidence(tmp_path, calls(unread, "call_id,site,received_at,answered_at\n"), "calls-2.csv")
    store = EvidenceStore(tmp_path / "old.db")
    ingest(load_pack(PACK, [STANDARDS]), folder, store)
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as con:  # as an earlier version wrote them
        con.execute("UPDATE _manifest SET mapping = json_remove(mapping, '$.columns')")
    export_store(tmp_path / "old.db", tmp_path / "export")
    return tmp_path / "export"


#: what audit, explain and sample say of the files of old_store_export
COLUMNS_NOT_RECORDED = (
    "warning: files ingested by an earlier version (2: calls-2.csv, calls.csv): which "
    "columns they had is not recorded; no record is excluded for a column its file lacked\n"
)


def test_files_whose_columns_were_not_recorded_are_named_in_one_note(
    tmp_path: Path, runner
) -> None:
    """A store made by an earlier version, whose manifest rows record no columns: its
    export audits, and the audit says in one note that no record is excluded for a column its
    file lacked (the 4 calls of the file without a server column are judged, not excluded)."""
    from auditor.cli import main
    from auditor.report import render_reports

    result = run_audit(PACK, old_store_export(tmp_path), tmp_path / "out", "2026-07")
    assert [w for w in result.warnings if w["code"] == "columns-not-recorded"] == [
        {
            "code": "columns-not-recorded",
            "files": ["calls-2.csv", "calls.csv"],
            "file": None,
            "kind": None,
            "field": None,
            "zone": None,
            **dict.fromkeys(("edge", "first", "last", "days", "no_finding")),  # evidence-gap's
        }
    ]
    server = next(r for r in result.document["rules"] if r["rule"] == "SERVER-RECORDED")
    assert server["findings"][0]["counts"]["n"] == 14  # 10 with S1, 4 with no server
    assert server["findings"][0]["counts"]["excluded"] == 0
    for lang, note in (
        (
            "en",
            "files ingested by an earlier version (2: calls-2.csv, calls.csv): which columns "
            "they had is not recorded; no record is excluded for a column its file lacked",
        ),
        (
            "zh",
            "由早期版本导入的文件(2 个:calls-2.csv, calls.csv)未记录其所含的列:"
            "不会因文件缺少某列而排除任何记录",
        ),
    ):
        render_reports(result.document, tmp_path / lang, ("html",), lang)
        assert note in (tmp_path / lang / "report.html").read_text(encoding="utf-8")
    shown = runner.invoke(
        main, ["audit", str(PACK), str(tmp_path / "export"), "--out", str(tmp_path / "cli"),
               "--period", "2026-07"],
    )  # fmt: skip
    assert COLUMNS_NOT_RECORDED in shown.output


def old_store_audit(tmp_path: Path) -> list[str]:
    """``--audit DIR`` of an audit of :func:`old_store_export`."""
    run_audit(PACK, old_store_export(tmp_path), tmp_path / "out", "2026-07")
    return ["--audit", str(tmp_path / "out")]


def test_explain_of_an_old_store_says_its_columns_were_not_recorded(tmp_path: Path, runner) -> None:
    """explain takes every column of those files to be present, as the audit did, and says
    so as it does: N0's file has no server column, and N0 is judged on it, not excluded."""
    from auditor.cli import main

    audit = old_store_audit(tmp_path)
    explained = runner.invoke(main, ["explain", "SERVER-RECORDED", "--record", "N0", *audit])
    assert explained.exit_code == 0, explained.output
    assert "record N0: calls-2.csv line 2\n" in explained.output
    assert "outcome: breach\n" in explained.output
    assert explained.output.endswith(COLUMNS_NOT_RECORDED)


def test_sample_of_an_old_store_says_its_columns_were_not_recorded(tmp_path: Path, runner) -> None:
    """sample draws from the 14 calls judged (none excluded for the missing server column)
    and says, as the audit does, that the columns of their files were not recorded."""
    from auditor.cli import main

    audit = old_store_audit(tmp_path)
    drawn = runner.invoke(
        main, ["sample", "SERVER-RECORDED", *audit, "--size", "3", "--seed", "7",
               "--out", str(tmp_path / "sample.csv")],
    )  # fmt: skip
    assert drawn.exit_code == 0, drawn.output
    assert "drew 3 of 14 judged records (seed 7)\n" in drawn.output
    assert drawn.output.endswith(COLUMNS_NOT_RECORDED)


# ------------------------------------------------------------ values never contradict verdicts


def test_3450_of_3451_against_100_percent_prints_99_97(tmp_path: Path) -> None:
    result = audit(tmp_path, rows_with_wait(3451, 1))
    finding = {r.rule: r for r in result.results}["ANSWERED-30S"].findings[0]
    assert (finding.counts.conforming, finding.counts.n) == (3450, 3451)
    assert finding.verdict == "nonconform"
    written = next(r for r in result.findings.rules if r.rule == "ANSWERED-30S").findings[0]
    assert written.explanation.startswith("99.97 % (3,450 of 3,451;")
    assert "100.0 %" not in written.explanation.split(" against ")[0]
    assert finding.threshold == {"op": ">=", "value": 1.0}


# ------------------------------------------------------------ failing records: notes, cap, file


def test_open_records_are_marked_open_at_period_end(tmp_path: Path) -> None:
    rows = [*rows_with_wait(30, 0), "OPEN1,BJ,2026-07-31 23:00:00,,S1,"]
    result = audit(tmp_path, rows)
    finding = {r.rule: r for r in result.results}["ANSWERED-30S"].findings[0]
    assert finding.failing == ["OPEN1"]
    assert finding.failing_notes == [
        {"problem": "open at period end", "step": "answered_at", "over_seconds": None}
    ]
    assert finding.failing_values == [pytest.approx(3600.0)]  # 23:00 to midnight


def test_failing_lists_are_capped_and_complete_in_the_csv(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(auditor.failing, "CAP_PER_FINDING", 5)
    result = audit(tmp_path, rows_with_wait(40, 12))
    entry = next(r for r in result.document["rules"] if r["rule"] == "ANSWERED-30S")
    pooled = entry["findings"][0]
    assert pooled["failing_count"] == 12
    assert pooled["failing"] == [f"C{i:05d}" for i in range(5)]
    assert len(pooled["failing_values"]) == len(pooled["failing_notes"]) == 5
    assert pooled["failing_truncated"] is True
    listed = result.document["failing_records"]
    path = tmp_path / "out" / "failing-records.csv"
    assert listed["path"] == "failing-records.csv" and listed["cap_per_finding"] == 5
    assert listed["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert listed["rows"] == len(rows) == 12
    assert sorted(r["key"] for r in rows) == [f"C{i:05d}" for i in range(12)]
    assert {r["value"] for r in rows} == {"45.0"} and {r["unit"] for r in rows} == {"seconds"}
    jsonschema.validate(result.document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    # the same records as typed Parquet, read back by another engine, named with its hash
    parquet = tmp_path / "out" / "failing-records.parquet"
    assert listed["parquet"] == {
        "path": "failing-records.parquet",
        "sha256": hashlib.sha256(parquet.read_bytes()).hexdigest(),
    }
    typed = duckdb.sql(f"SELECT key, value, line, unit FROM '{parquet}' ORDER BY key").fetchall()
    assert typed == [
        (r["key"], 45.0, int(r["line"]), "seconds") for r in sorted(rows, key=lambda r: r["key"])
    ]


def test_sequence_failures_name_the_step_and_the_overrun(tmp_path: Path) -> None:
    from auditor.backends.store import EvidenceStore
    from auditor.evaluate import evaluate
    from auditor.ingest import ingest
    from auditor.periods import parse_period

    pack = load_pack(TEST_PACKS / "sequence.yaml", [STANDARDS])
    folder = evidence(
        tmp_path,
        "complaint_id,event,at,site\n"
        "K1,received,2026-02-02 09:00:00,BJ\n"
        "K1,acknowledged,2026-02-03 11:00:00,BJ\n"  # 26 h after received: 2 h late
        "K2,received,2026-02-02 09:00:00,BJ\n"
        "K2,acknowledged,2026-02-02 10:00:00,BJ\n"
        "K2,resolved,2026-02-08 09:00:00,BJ\n",  # 6 d after received: 1 d late
        "complaint_events.csv",
    )
    store = EvidenceStore(None)
    ingest(pack, folder, store)
    results = {r.rule: r for r in evaluate(pack, store, parse_period("2026-02"))}
    store.close()
    finding = results["HANDLING"].findings[0]
    notes = dict(zip(finding.failing, finding.failing_notes, strict=True))
    assert notes["K1"] == {"problem": "late", "step": "acknowledged", "over_seconds": 7200.0}
    assert notes["K2"] == {"problem": "late", "step": "resolved", "over_seconds": 86400.0}


# ------------------------------------------------------------ the pack's own words


def test_bilingual_exclusion_reasons_reach_findings(tmp_path: Path) -> None:
    rows = rows_with_wait(30, 0)
    rows.append("T1,BJ,2026-07-06 10:00:00,2026-07-06 10:05:00,S1,true")
    result = audit(tmp_path, rows)
    finding = {r.rule: r for r in result.results}["ANSWERED-30S"].findings[0]
    assert finding.excluded_by_reason == {"test call": 1}
    assert result.document["reason_titles"] == {"test call": {"zh": "测试来电", "en": "test call"}}
    assert result.document["manifest"]["pack"]["title"] == {
        "zh": "来电测试规则包",
        "en": "Call test pack",
    }


def test_an_unquoted_comma_in_a_title_gets_a_hint(write_pack) -> None:
    text = (TEST_PACKS / "trust.yaml").read_text(encoding="utf-8")
    text = text.replace("en: Answered within 30 s}", "en: Answered (phone, chat) within 30 s}")
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(text), [STANDARDS])
    message = str(caught.value)
    assert "unknown language 'chat) within 30 s'" in message
    assert "must be quoted" in message


def test_a_bare_number_as_target_suggests_the_same_number_as_a_percentage(write_pack) -> None:
    text = (
        (TEST_PACKS / "trust.yaml").read_text(encoding="utf-8").replace("target: 95%", "target: 90")
    )
    with pytest.raises(AuditorError) as caught:
        load_pack(write_pack(text), [STANDARDS])
    assert "write it as 90%" in str(caught.value)
    assert "95%" not in str(caught.value)


def test_failing_records_carry_their_file_and_line(tmp_path: Path) -> None:
    """A certifier can open the export at the line of each failing record (findings, CSV, report)."""
    from auditor.report import render_reports

    rows = [*rows_with_wait(30, 0), "OPEN1,BJ,2026-07-31 23:00:00,,S1,"]
    result = audit(tmp_path, rows)
    entry = next(r for r in result.findings.rules if r.rule == "ANSWERED-30S").findings[0]
    assert entry.failing == ["OPEN1"]
    assert entry.failing_sources[0] is not None
    assert (entry.failing_sources[0].file, entry.failing_sources[0].line) == ("calls.csv", 32)
    with (tmp_path / "out" / "failing-records.csv").open(encoding="utf-8-sig", newline="") as f:
        listed = [r for r in csv.DictReader(f) if r["rule"] == "ANSWERED-30S"]
    assert [(r["key"], r["file"], r["line"]) for r in listed] == [("OPEN1", "calls.csv", "32")]
    render_reports(result.findings, tmp_path / "r", ("html",), "en")
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert (  # the file and its line, kept together (the line does not wrap at the colon)
        '<td class="data source"><span class="file">calls.csv</span>'
        '<span class="line">:32</span></td>' in html
    )


def test_keys_of_kinds_keyed_by_a_date_show_the_date(demo_audit) -> None:
    """The checklist is keyed by item, site and date: the failing key names the day, not epoch seconds."""
    rule = next(r for r in demo_audit.findings.rules if r.rule == "ROOT-CAUSE")
    assert rule.findings[0].failing == ["ROOT-CAUSE|SH|2026-09-24"]  # checklist.csv: SH answered no


def test_the_period_has_ended_when_it_has_in_the_packs_zone() -> None:
    # 2026-09-30 20:00 UTC is already 1 October in Shanghai: Q3 is over there, whatever the
    # machine's own clock says; 2026-09-30 15:00 UTC is still 30 September there
    from datetime import UTC, datetime

    from auditor.audit import pack_today, unended
    from auditor.periods import parse_period

    pack = load_pack(RULES / "service-quality.yaml")
    assert pack.timezone == "Asia/Shanghai"
    q3 = parse_period("2026-Q3")
    assert unended(q3, pack_today(pack, datetime(2026, 9, 30, 20, tzinfo=UTC))) == []
    assert unended(q3, pack_today(pack, datetime(2026, 9, 30, 15, tzinfo=UTC)))


def test_a_file_linked_into_the_evidence_folder_is_named_there(tmp_path) -> None:
    """A file the folder holds as a link to elsewhere is named relative to the evidence folder
    like the others (it was named as the ingest was given it, from the working folder)."""
    import shutil

    demo = ROOT / "evidence" / "demo" / "service-quality"
    evidence, elsewhere = tmp_path / "ev", tmp_path / "elsewhere"
    shutil.copytree(demo, evidence)
    elsewhere.mkdir()
    (evidence / "agents.csv").rename(elsewhere / "agents.csv")
    (evidence / "agents.csv").symlink_to(elsewhere / "agents.csv")
    result = run_audit(RULES / "service-quality.yaml", evidence, tmp_path / "out", "2026-Q3")
    files = sorted(e["file"] for e in result.document["manifest"]["evidence"])
    assert files == sorted(p.name for p in demo.iterdir())


def test_records_only_looked_up_are_never_counted_in_no_period() -> None:
    """A kind no rule judges (ticket_status: pauses) or one a rule looks up whatever its time
    (training, read by fresh and matched rules) has no untimed count: no note can say no rule
    counts its records; the judged kinds are placed by their time fields."""
    from auditor.evidence_span import dating_fields

    pack = load_pack(RULES / "service-quality.yaml")
    assert {name: dating_fields(pack, kind) for name, kind in pack.evidence.items()} == {
        "interactions": ("received_at",),
        "tickets": ("opened_at",),
        "ticket_status": (),
        "surveys": ("answered_at",),
        "agents": (),
        "training": (),
        "checklist": ("checked_on",),
    }
