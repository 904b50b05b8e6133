"""`auditor audit` never passes without evidence: exit codes and the one line a user reads."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.cli import main
from auditor.i18n import translate_reason

from ..conftest import TEST_PACKS

PACK = str(TEST_PACKS / "trust.yaml")
HEADER = "call_id,site,received_at,answered_at,server,test_call\n"


def folder_with(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir(exist_ok=True)
    (folder / "calls.csv").write_text(text, encoding="utf-8")
    return folder


def good_calls(count: int = 40) -> str:
    return HEADER + "".join(
        f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10,S1,\n" for i in range(count)
    )


def audit(runner, evidence: Path, out: Path, *extra: str):
    return runner.invoke(
        main, ["audit", PACK, str(evidence), "--out", str(out), "--format", "json", *extra]
    )


def only_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_empty_folder_exits_2_and_recommends_nothing(runner, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = audit(
        runner, empty, tmp_path / "out", "--period", "2010-08", "--fail-on", "observation"
    )
    assert result.exit_code == 2
    assert only_line(result.output).startswith("error: no evidence record in 2010-08")
    assert not (tmp_path / "out" / "findings.json").exists()


def test_mistyped_period_exits_2_naming_the_span(runner, tmp_path) -> None:
    evidence = folder_with(tmp_path, good_calls())
    result = audit(runner, evidence, tmp_path / "out", "--period", "2011-08")
    assert result.exit_code == 2
    assert only_line(result.output) == (
        "error: no record in 2011-08; the evidence spans 2026-07-06..2026-07-06; "
        "give a --period inside that span"
    )


def test_header_only_file_exits_2(runner, tmp_path) -> None:
    evidence = folder_with(tmp_path, HEADER)
    result = audit(runner, evidence, tmp_path / "out", "--period", "2026-07")
    assert result.exit_code == 2
    assert "no evidence record in 2026-07" in only_line(result.output)


def test_fully_quarantined_file_exits_2_unless_accepted(runner, tmp_path) -> None:
    rows = HEADER + "".join(
        f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10,S1,\n" for i in range(40)
    )
    rows += "".join(f"Q{i},BJ,2026-07-06 25:00:00,,S1,\n" for i in range(10))
    evidence = folder_with(tmp_path, rows)
    refused = audit(runner, evidence, tmp_path / "a", "--period", "2026-07")
    assert refused.exit_code == 2
    line = only_line(refused.output)
    assert "calls.csv: 10 of 50 rows quarantined (20.0 %), above the 2 % ceiling" in line
    accepted = audit(
        runner, evidence, tmp_path / "b", "--period", "2026-07", "--max-quarantine", "100%"
    )
    assert accepted.exit_code == 0, accepted.output
    assert "10 quarantined" in accepted.output


def test_bad_max_quarantine_is_a_usage_error(runner, tmp_path) -> None:
    evidence = folder_with(tmp_path, good_calls())
    result = audit(runner, evidence, tmp_path / "out", "--max-quarantine", "lots")
    assert result.exit_code == 2
    assert "--max-quarantine" in result.output


def test_not_evaluable_fails_unless_allowed(runner, tmp_path) -> None:
    header = "call_id,site,received_at,answered_at\n"
    rows = "".join(f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10\n" for i in range(40))
    evidence = folder_with(tmp_path, header + rows)
    failed = audit(runner, evidence, tmp_path / "a", "--period", "2026-07")
    assert failed.exit_code == 1
    assert "recommendation: no recommendation" in failed.output
    assert "SERVER-RECORDED (clause 3.1.2) not evaluable: no file the 40 calls" in failed.output
    allowed = audit(
        runner, evidence, tmp_path / "b", "--period", "2026-07", "--allow-not-evaluable"
    )
    assert allowed.exit_code == 0, allowed.output
    document = json.loads((tmp_path / "b" / "findings.json").read_text(encoding="utf-8"))
    assert document["summary"]["recommendation"]["decision"] == "withheld"


def test_a_field_no_file_has_a_column_for_is_not_called_empty(runner, tmp_path) -> None:
    # calls.csv has no column 'server' at all: the field was never read, it is not empty
    header = "call_id,site,received_at,answered_at\n"
    rows = "".join(f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10\n" for i in range(40))
    result = audit(
        runner, folder_with(tmp_path, header + rows), tmp_path / "a", "--period", "2026-07"
    )
    assert result.exit_code == 1
    assert (
        "warning: SERVER-RECORDED (clause 3.1.2) not evaluable: no file the 40 calls records "
        "in scope come from has a column for 'server' (calls.csv)"
    ) in result.output.splitlines()
    document = json.loads((tmp_path / "a" / "findings.json").read_text(encoding="utf-8"))
    server = next(r for r in document["rules"] if r["rule"] == "SERVER-RECORDED")
    assert server["findings"][0]["not_evaluable"] == {
        "code": "no-column",
        "field": "server",
        "n": 40,
        "kinds": None,
        "minimum": None,
        "rule": None,
        "files": ["calls.csv"],
    }
    assert translate_reason(server["findings"][0]["reasons"][0], "zh") == (
        "范围内 40 条 calls 记录所在的文件均没有字段 server 的列(calls.csv)"
    )
    from auditor.findings import sentences
    from auditor.findings.contract import FindingsDocument
    from auditor.i18n import Words

    loaded = FindingsDocument.load(tmp_path / "a" / "findings.json")
    finding = next(r for r in loaded.rules if r.rule == "SERVER-RECORDED").findings[0]
    said = {lang: sentences.not_evaluable(finding, Words(lang)) for lang in ("en", "zh")}
    assert said == {  # the report's sentences name the file too
        "en": "no file the 40 records in scope come from has a column for the field server "
        "(calls.csv)",
        "zh": "范围内 40 条记录所在的文件(calls.csv)均没有字段 server 的列",
    }


def test_a_column_left_blank_is_still_called_empty(runner, tmp_path) -> None:
    rows = "".join(f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10,,\n" for i in range(40))
    result = audit(
        runner, folder_with(tmp_path, HEADER + rows), tmp_path / "a", "--period", "2026-07"
    )
    assert result.exit_code == 1
    assert (
        "warning: SERVER-RECORDED (clause 3.1.2) not evaluable: field 'server' is empty in all 40 "
        "calls records in scope"
    ) in result.output.splitlines()


def test_console_prints_99_97_not_100(runner, tmp_path) -> None:
    rows = HEADER + "L0,BJ,2026-07-06 10:00:00,2026-07-06 10:00:45,S1,\n"
    rows += "".join(f"C{i},BJ,2026-07-06 10:00:00,2026-07-06 10:00:10,S1,\n" for i in range(3450))
    result = audit(runner, folder_with(tmp_path, rows), tmp_path / "out", "--period", "2026-07")
    line = next(x for x in result.output.splitlines() if x.startswith("ANSWERED-30S"))
    assert "99.97 %" in line and "100.0 %" not in line
    assert "nonconform (minor)" in line


def test_a_bug_is_an_internal_error_with_exit_3_and_a_saved_traceback(
    runner, tmp_path, monkeypatch
) -> None:
    import auditor.audit

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(auditor.audit, "run_audit", broken)
    monkeypatch.delenv("AUDITOR_DEBUG", raising=False)
    result = audit(runner, folder_with(tmp_path, good_calls()), tmp_path / "out")
    assert result.exit_code == 3
    line = only_line(result.output)
    assert line.startswith("error: internal error (ZeroDivisionError: division by zero)")
    saved = Path(line.rsplit(" ", 1)[1])
    assert "Traceback" in saved.read_text(encoding="utf-8")
    saved.unlink()


def test_input_errors_carry_exit_code_2(runner, tmp_path) -> None:
    from auditor.errors import AuditorError, MappingError, PeriodError, QuarantineError

    assert AuditorError.exit_code == MappingError.exit_code == 2
    assert PeriodError("x").exit_code == QuarantineError("x").exit_code == 2


def test_exclude_on_the_sequence_rule_of_the_special_service_demo(runner, tmp_path) -> None:
    """Excluding one site's complaints takes every one of them out of n (independent count from the CSV)."""
    import csv

    from ..conftest import ROOT

    demo = ROOT / "evidence" / "demo" / "special-service-monitoring"
    text = (ROOT / "rules" / "special-service-monitoring.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    evidence: complaint_events\n    sequence:",
        "    evidence: complaint_events\n"
        '    exclude: [{when: site == "GZ", reason: {zh: 广州试点, en: Guangzhou pilot}}]\n'
        "    sequence:",
    )
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pack.yaml").write_text(text, encoding="utf-8")
    standards = tmp_path / "standards"
    standards.mkdir()
    for path in (ROOT / "standards").glob("*.yaml"):
        (standards / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with (demo / "complaint_events.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first = {r["complaint_id"]: r for r in rows if r["event"] == "received"}
    in_q3 = {k: r for k, r in first.items() if "2026-07-01" <= r["at"] < "2026-10-01"}
    guangzhou = sum(1 for r in in_q3.values() if r["site"] == "GZ")
    assert guangzhou > 0
    result = runner.invoke(
        main,
        [
            "audit",
            str(rules / "pack.yaml"),
            str(demo),
            "--out",
            str(tmp_path / "out"),
            "--period",
            "2026-Q3",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    rule = next(r for r in document["rules"] if r["rule"] == "COMPLAINT-HANDLING")
    pooled = rule["findings"][0]
    assert pooled["excluded_by_reason"] == {"Guangzhou pilot": guangzhou}
    counts = pooled["counts"]
    assert counts["excluded"] == guangzhou
    assert counts["n"] + counts["pending"] + counts["excluded"] == len(in_q3)
    assert not any(f["group"].get("site") == "GZ" and f["counts"]["n"] for f in rule["findings"])
    assert document["reason_titles"]["Guangzhou pilot"] == {
        "zh": "广州试点",
        "en": "Guangzhou pilot",
    }


def test_usage_errors_are_one_line_with_exit_2(runner, tmp_path) -> None:
    for args in (
        ["audit", PACK, str(tmp_path / "nope"), "--out", str(tmp_path / "o")],
        ["audit", PACK, str(tmp_path), "--out", str(tmp_path / "o"), "--format", "pdff"],
        ["no-such-command"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, args
        line = only_line(result.output)
        assert line.startswith("error: ") and "--help" in line, line


def test_an_inferred_period_is_named_as_a_person_would(runner, tmp_path) -> None:
    result = runner.invoke(
        main,
        [
            "audit",
            PACK,
            str(folder_with(tmp_path, good_calls())),
            "--out",
            str(tmp_path / "o"),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "audit of trust-test for 2026-07" in result.output
    assert "failing-records.parquet (0 failing records)" in result.output


def test_a_mapping_in_another_zone_than_the_pack_is_a_warning(runner, tmp_path) -> None:
    evidence = folder_with(tmp_path, good_calls())
    mapping = tmp_path / "calls.mapping.yaml"
    mapping.write_text(
        "kind: calls\ntimezone: UTC\ncolumns:\n  call_id: call_id\n  site: site\n"
        "  received_at: received_at\n  answered_at: answered_at\n  server: server\n",
        encoding="utf-8",
    )
    result = audit(
        runner, evidence, tmp_path / "out", "--period", "2026-07", "--mapping", str(mapping)
    )
    assert result.exit_code == 0, result.output
    assert "times are read in UTC, but the pack judges" in result.output
    assert "Asia/Shanghai" in result.output
    document = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert {
        "code": "timezone-differs",
        "file": "calls.csv",  # relative to the evidence folder, as the manifest names it
        "kind": "calls",
        "field": None,
        "zone": "UTC",
        "files": None,  # only columns-not-recorded names files
        **dict.fromkeys(("edge", "first", "last", "days", "no_finding")),  # evidence-gap's
    } in document["summary"]["warnings"]
