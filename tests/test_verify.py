"""verify: an untouched audit verifies (also copied elsewhere); one byte changed anywhere is named."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

import auditor as auditor_package
from auditor.audit import run_audit
from auditor.build import source_digest
from auditor.certify.signing import keygen, sign, signature_problem
from auditor.certify.verify import NOT_RECOMPUTED, sha256_of, verify_audit
from auditor.errors import AuditorError, ReportError

from .conftest import ROOT, RULES, STANDARDS


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    """Another machine: copies of the pack, standards and evidence, and an audit made there."""
    (tmp_path / "rules").mkdir()
    shutil.copy(RULES / "service-quality.yaml", tmp_path / "rules" / "sq.yaml")
    shutil.copytree(STANDARDS, tmp_path / "standards")
    shutil.copytree(ROOT / "evidence" / "demo" / "service-quality", tmp_path / "evidence")
    run_audit(tmp_path / "rules" / "sq.yaml", tmp_path / "evidence", tmp_path / "audit", "2026-Q3")
    return {
        "pack": tmp_path / "rules" / "sq.yaml",
        "standard": tmp_path / "standards" / "service-quality-standard.yaml",
        "evidence": tmp_path / "evidence",
        "audit": tmp_path / "audit",
    }


def flip(path: Path, offset: int = -10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] = ord("7") if data[offset] != ord("7") else ord("8")
    path.write_bytes(bytes(data))


def test_an_untouched_audit_verifies(machine) -> None:
    report = verify_audit(machine["audit"])
    assert report.verified, report.differences
    assert (report.files, report.findings) == (7, 47)
    manifest = json.loads((machine["audit"] / "findings.json").read_text(encoding="utf-8"))
    assert all(not Path(e["file"]).is_absolute() for e in manifest["manifest"]["evidence"])


def test_an_audit_verifies_on_another_machine(machine, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(machine["evidence"], elsewhere / "evidence")
    shutil.copytree(machine["audit"], elsewhere / "audit")
    shutil.copytree(machine["pack"].parent, elsewhere / "rules")
    shutil.copytree(machine["standard"].parent, elsewhere / "standards")
    shutil.rmtree(machine["evidence"])  # the recorded folder is gone: only the copy is left
    report = verify_audit(
        elsewhere / "audit", elsewhere / "evidence", elsewhere / "rules" / "sq.yaml"
    )
    assert report.verified, report.differences


def test_the_standard_checked_is_the_one_the_pack_loads(machine, tmp_path, monkeypatch) -> None:
    """A copy of the audit's inputs elsewhere whose standard was edited: named, though the file
    at the path the audit found its standard is untouched (the re-run reads the copy's)."""
    elsewhere = tmp_path / "elsewhere"
    for name in ("evidence", "audit", "rules", "standards"):
        shutil.copytree(tmp_path / name, elsewhere / name)
    flip(elsewhere / "standards" / "service-quality-standard.yaml")
    report = verify_audit(
        elsewhere / "audit", elsewhere / "evidence", elsewhere / "rules" / "sq.yaml"
    )
    named = [d for d in report.differences if d.startswith("standard ")]
    assert len(named) == 1 and "service-quality-standard: different SHA-256" in named[0]
    # and the audit records where it found the standard as it records the pack: from the
    # working folder, with no machine's folders in it
    monkeypatch.chdir(tmp_path)
    run_audit(Path("rules/sq.yaml"), Path("evidence"), Path("here"), "2026-Q3")
    recorded = json.loads((tmp_path / "here" / "findings.json").read_text(encoding="utf-8"))
    assert recorded["manifest"]["standard"]["path"] == "standards/service-quality-standard.yaml"


@pytest.mark.parametrize(
    ("what", "named"),
    [
        ("evidence", "evidence file surveys.jsonl: different SHA-256"),
        ("pack", "sq.yaml: different SHA-256 ("),
        ("standard", "standard service-quality-standard: different SHA-256 ("),
    ],
)
def test_one_byte_changed_in_an_input_is_named(machine, what, named) -> None:
    target = machine["evidence"] / "surveys.jsonl" if what == "evidence" else machine[what]
    flip(target)
    report = verify_audit(machine["audit"])
    assert not report.verified
    [line] = [line for line in report.differences if named in line]
    assert f"({sha256_of(target)[:12]}..., recorded " in line, line  # both hashes, as for a file


@pytest.mark.parametrize("name", ["failing-records.csv", "failing-records.parquet"])
def test_a_changed_failing_records_file_is_named(machine, name) -> None:
    flip(machine["audit"] / name, offset=len((machine["audit"] / name).read_bytes()) // 2)
    report = verify_audit(machine["audit"])
    now = hashlib.sha256((machine["audit"] / name).read_bytes()).hexdigest()
    (line,) = report.differences
    assert line.startswith(f"{name}: different SHA-256 ({now[:12]}..., recorded ")
    (machine["audit"] / name).unlink()
    assert verify_audit(machine["audit"]).differences == [f"{name}: missing"]


def test_a_value_changed_in_findings_json_is_named(machine) -> None:
    path = machine["audit"] / "findings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    finding = data["rules"][0]["findings"][0]
    finding["counts"]["conforming"] += 1
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    report = verify_audit(machine["audit"])
    assert any(
        line.startswith(f"finding {finding['id']}: counts.conforming was")
        for line in report.differences
    )


#: a build of auditor other than the running one, as findings.json records it
OTHER_BUILD = "3f2a9c1d" + "0" * 56
#: what verify adds to the differences the re-run found in an audit another build made
MAY_COME_FROM_THE_TOOL = (
    ": a difference may come from the tool, not the audit; verify with the build that made it"
)


def _made_by(machine, build: str | None, edit_a_count: bool) -> Path:
    """The machine's audit as another build made it (``build``; None: one that recorded no
    build), a finding's count edited too when ``edit_a_count``."""
    path = machine["audit"] / "findings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["manifest"]["tool"]["build"] = build
    if build is None:
        del data["manifest"]["tool"]["build"]
    if edit_a_count:
        data["rules"][0]["findings"][0]["counts"]["conforming"] += 1
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return machine["audit"]


def test_an_audit_by_another_build_whose_findings_agree_verifies_without_a_note(machine) -> None:
    for build in (OTHER_BUILD, None):
        report = verify_audit(_made_by(machine, build, edit_a_count=False))
        assert report.verified, report.differences
        assert not any(MAY_COME_FROM_THE_TOOL in note for note in report.notes)


@pytest.mark.parametrize(
    ("build", "made"),
    [
        (OTHER_BUILD, "another build of auditor (build 3f2a9c1d0000..., this is {running}...)"),
        (None, "an earlier version of auditor, which did not record its build (this is build "
               "{running}...)"),
    ],
)  # fmt: skip
def test_a_difference_in_an_audit_by_another_build_says_the_tool_may_be_why(
    machine, build, made
) -> None:
    """The difference is still one (not verified), and the first note says the audit was
    made by another build, naming both."""
    running = source_digest(Path(auditor_package.__file__).parent)[:12]
    report = verify_audit(_made_by(machine, build, edit_a_count=True))
    assert not report.verified
    assert len(report.differences) == 1 and "counts.conforming was" in report.differences[0]
    expected = f"this audit was made by {made.format(running=running)}{MAY_COME_FROM_THE_TOOL}"
    assert report.notes[0] == expected


def test_a_difference_in_an_audit_by_this_build_has_no_such_note(machine) -> None:
    path = machine["audit"] / "findings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["rules"][0]["findings"][0]["counts"]["conforming"] += 1
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    report = verify_audit(machine["audit"])
    assert not report.verified
    assert not any(MAY_COME_FROM_THE_TOOL in note for note in report.notes)


def test_an_input_changed_in_an_audit_by_another_build_has_no_such_note(machine) -> None:
    """The findings are not computed again: the tool did not make the difference."""
    flip(_made_by(machine, OTHER_BUILD, edit_a_count=False).parent / "evidence" / "agents.csv")
    report = verify_audit(machine["audit"])
    assert not report.verified
    assert not any(MAY_COME_FROM_THE_TOOL in note for note in report.notes)


def test_where_a_quarantine_reason_was_first_given_is_compared(machine) -> None:
    """The re-run's ingest gives each reason's first line, column and value again; one edited
    in findings.json is named, and a findings.json that does not record them (written before
    they were) is not held to them."""
    path = machine["audit"] / "findings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    files = {e["file"]: e for e in data["manifest"]["evidence"]}
    reason = "received_at: not a valid date/time (impossible day, month or hour?)"
    place = files["interactions-2026Q3.csv"]["quarantine_first_seen"][reason]
    assert place == {"line": 3002, "column": "受理时间", "value": "2026-02-30 10:00:00"}
    place["line"] = 3001
    del files["surveys.jsonl"]["quarantine_first_seen"]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    assert verify_audit(machine["audit"]).differences == [
        f"evidence file interactions-2026Q3.csv: quarantine reason {reason!r}: first at line "
        "3001, column 受理时间, value '2026-02-30 10:00:00', now at line 3002, column 受理时间, "
        "value '2026-02-30 10:00:00'"
    ]


def test_verdicts_and_the_recommendation_edited_in_findings_json_are_named(machine) -> None:
    """Not only each finding's figures: the rule's verdict and the summary's recommendation
    (what a report reader sees first) are derived again and compared."""
    path = machine["audit"] / "findings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r["verdict"] == "nonconform")
    rule["verdict"], rule["verdict_severity"] = "conform", None
    data["summary"]["recommendation"]["decision"] = "recommended"
    data["summary"]["verdicts"]["conform"] += 1
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    report = verify_audit(machine["audit"])
    assert f"rule {rule['rule']}: verdict was conform, now nonconform" in report.differences
    assert any(
        d.startswith("recommendation: decision was recommended, now ") for d in report.differences
    )
    assert any(d.startswith("summary: verdicts.conform was") for d in report.differences)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_an_edited_evidence_store_is_named(tmp_path, engine) -> None:
    """explain and sample read the audit's store: a record changed or deleted there after
    the audit is named, table by table (the store the re-run made is the reference)."""
    out = tmp_path / "audit"
    evidence = ROOT / "evidence" / "demo" / "service-quality"
    run_audit(RULES / "service-quality.yaml", evidence, out, "2026-Q3", engine=engine)
    assert verify_audit(out).verified
    if engine == "sqlite":
        import sqlite3

        con = sqlite3.connect(out / "evidence.db")
        con.execute("UPDATE tickets SET first_solution_at = opened_at + 60 WHERE rowid = 81")
        (opened,) = con.execute("SELECT opened_at FROM tickets WHERE rowid = 81").fetchone()
        con.commit()
        con.close()
        # the 81st ticket is on the workbook's row 82 (its header on row 1)
        expected = (
            "evidence.db: table tickets differs from the evidence (600 rows, 600 re-ingested); "
            f"first at tickets-2026Q3.xlsx:82: first_solution_at is {opened + 60!r} in the store,"
        )
    else:
        import duckdb

        con = duckdb.connect(str(out / "evidence.db.duckdb"))
        con.execute("DELETE FROM interactions WHERE interaction_id = 'I0000079'")
        con.close()
        expected = (  # I0000079 on line 80, below the header
            "evidence.db: table interactions differs from the evidence "
            "(2,999 rows, 3,000 re-ingested); first at interactions-2026Q3.csv:80: a record the "
            "evidence holds is not in the store"
        )
    report = verify_audit(out)
    assert len(report.differences) == 1 and report.differences[0].startswith(expected)


@pytest.fixture(scope="module")
def quarantine_audits(tmp_path_factory) -> dict[str, Path]:
    """The demo audited on each engine from a copy of its evidence, and a second copy of the
    evidence elsewhere (the evidence moved since): the audits are copied before each edit."""
    base = tmp_path_factory.mktemp("quarantine")
    for name in ("evidence", "moved"):
        shutil.copytree(ROOT / "evidence" / "demo" / "service-quality", base / name)
    audits = {"moved": base / "moved"}
    for engine in ("sqlite", "duckdb"):
        audits[engine] = base / engine
        run_audit(RULES / "service-quality.yaml", base / "evidence", base / engine, "2026-Q3",
                  engine=engine)  # fmt: skip
    return audits


#: the row the demo quarantines for its interaction with channel 'fax' (line 3003)
FAX_ROW = "WHERE kind = 'interactions' AND line = 3003"
FAX_REASON = "channel: 'fax' is not one of phone, chat, email"


@pytest.mark.parametrize(
    ("engine", "edit", "first"),
    [
        ("sqlite", f"UPDATE _quarantine SET raw_value = 'fax2' {FAX_ROW}",
         "interactions-2026Q3.csv:3003: raw_value is 'fax2' in the store, 'fax' re-ingested"),
        ("duckdb", f"UPDATE _quarantine SET raw_value = 'fax2' {FAX_ROW}",
         "interactions-2026Q3.csv:3003: raw_value is 'fax2' in the store, 'fax' re-ingested"),
        ("sqlite", f"UPDATE _quarantine SET reason = 'edited' {FAX_ROW}",
         f"interactions-2026Q3.csv:3003: reason is 'edited' in the store, {FAX_REASON!r} "
         "re-ingested"),
        ("sqlite", f"DELETE FROM _quarantine {FAX_ROW}",
         "interactions-2026Q3.csv:3003: a record the evidence holds is not in the store"),
        ("sqlite", "INSERT INTO _quarantine (source, file, line, kind, column, raw_value, reason, "
         f"record) SELECT source, file, 7, kind, column, raw_value, reason, record FROM "
         f"_quarantine {FAX_ROW}",
         "interactions-2026Q3.csv:7: a record the evidence does not hold is in the store"),
    ],
    ids=["raw_value changed", "on duckdb", "reason changed", "deleted", "added"],
)  # fmt: skip
def test_an_edited_quarantine_row_is_named_by_its_file_and_line(
    quarantine_audits, tmp_path, engine, edit, first
) -> None:
    """A quarantined row is the one at its file and line (a row is quarantined once): one
    changed in the audit's store is named with the columns that differ, one deleted or added
    as in one store only, as for a record of the evidence; the evidence folder moved since
    (its path in the store's rows) is no difference."""
    out = tmp_path / "audit"
    shutil.copytree(quarantine_audits[engine], out)
    con = sqlite3.connect(out / "evidence.db")
    con.execute(edit)
    con.commit()
    con.close()
    rows = 11 if edit.startswith("DELETE") else 13 if edit.startswith("INSERT") else 12
    report = verify_audit(out, quarantine_audits["moved"], RULES / "service-quality.yaml")
    assert report.differences == [
        f"evidence.db: table _quarantine differs from the evidence ({rows} rows, 12 "
        f"re-ingested); first at {first}"
    ]


def test_an_audit_folder_without_its_store_verifies_and_says_so(machine) -> None:
    (machine["audit"] / "evidence.db").unlink()
    report = verify_audit(machine["audit"])
    assert report.verified, report.differences
    assert report.notes == ["evidence.db not checked: it is not in the audit folder"]


def test_an_audit_with_waivers_from_the_register_verifies(machine) -> None:
    """The waivers an audit applied are in its findings, not in its inputs: the re-run
    applies them again, so the waived findings are reproduced (and what they would be)."""
    from datetime import date

    from auditor.register.waivers import Waiver

    waiver = Waiver(
        "W-1", "RESP-PHONE-30S", "", "a new switch is being installed", "low", "li", "wang",
        date(2026, 10, 1), date(2027, 3, 31),
    )  # fmt: skip
    out = machine["audit"].with_name("waived")
    run_audit(
        machine["pack"], machine["evidence"], out, "2026-Q3", waivers=[waiver],
        today=date(2026, 10, 10),
    )  # fmt: skip
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r["rule"] == "RESP-PHONE-30S")
    assert rule["verdict"] == "waived"
    # a waivers.yaml put beside the pack after the audit is not one of its inputs: unread
    (machine["pack"].parent / "waivers.yaml").write_text(
        "- {rule: STANDARD-TRAINED, reason: later, risk: low, requested_by: a, "
        "approved_by: b, until: 2027-01-31}\n",
        encoding="utf-8",
    )
    report = verify_audit(out)
    assert report.verified, report.differences
    # the waiver is re-applied as recorded, and the certifier told it was not checked
    assert report.notes == [
        "waiver W-1 (RESP-PHONE-30S site=SH, approved by wang until 2027-03-31) applied as "
        "findings.json records it: waivers are not among the audit's hashed inputs, so it "
        "was not checked; give --register to check it against the CAPA register"
    ]


def _waived_from_a_register(machine, register_path: Path) -> Path:
    """An audit (today) that applied waiver W-1 of the register at ``register_path``."""
    from auditor.register import Register
    from auditor.register.waivers import Waiver

    today = date.today()
    register = Register(str(register_path))
    try:
        register.add_waiver(
            Waiver("", "RESP-PHONE-30S", "site=SH", "a new switch is being installed", "low",
                   "li", "wang", today, today + timedelta(days=90)),
            "li", today,
        )  # fmt: skip
        waivers = register.waivers()
    finally:
        register.close()
    out = machine["audit"].with_name("waived")
    run_audit(machine["pack"], machine["evidence"], out, "2026-Q3", waivers=waivers)
    return out


def test_the_waivers_an_audit_applied_are_checked_against_its_register(machine, tmp_path) -> None:
    register = tmp_path / "register.db"
    out = _waived_from_a_register(machine, register)
    report = verify_audit(out, register=register)
    assert report.verified, report.differences
    day = json.loads((out / "findings.json").read_text(encoding="utf-8"))["generated_at"][:10]
    assert report.notes == [
        f"waiver W-1 (RESP-PHONE-30S site=SH) is in the register as findings.json records it, "
        f"in force on {day}"
    ]
    # the register's row changed after the audit: named, field by field
    with sqlite3.connect(register) as db:
        db.execute("UPDATE waivers SET approved_by = 'zhao', valid_from = '2099-01-01'")
    changed = verify_audit(out, register=register)
    recorded_on = date.today()  # the day the waiver was added, as its history says
    # the register itself: its waivers table no longer as its history says
    assert changed.differences[:2] == [
        "register register.db: waiver W-1: approved_by 'zhao' in the waivers table, 'wang' in "
        "the history",
        f"register register.db: waiver W-1: valid_from '2099-01-01' in the waivers table, "
        f"'{recorded_on}' in the history",
    ]
    assert changed.differences[2:] == [
        "waiver W-1 (RESP-PHONE-30S site=SH): approved by 'wang' in findings.json, 'zhao' in "
        "the register",
        f"waiver W-1 (RESP-PHONE-30S site=SH): not in force on {day}, the day the audit ran "
        "(from 2099-01-01 until " + changed.differences[3].rsplit("until ", 1)[1],
    ]
    # revoked two days before the audit ran (valid again from the start)
    with sqlite3.connect(register) as db:
        db.execute(
            "UPDATE waivers SET approved_by = 'wang', valid_from = '2026-01-01', revoked_on = ?",
            ((date.fromisoformat(day) - timedelta(days=2)).isoformat(),),
        )
    revoked, *register_lines = sorted(
        verify_audit(out, register=register).differences, reverse=True
    )
    assert [line.split(": waiver W-1: ")[1].split(" ")[0] for line in register_lines] == [
        "valid_from",
        "revoked_on",
    ]
    assert revoked.startswith("waiver W-1 (RESP-PHONE-30S site=SH): not in force on ")
    assert revoked.endswith(f", revoked on {date.fromisoformat(day) - timedelta(days=2)})")
    # another register does not hold it; no register at all is an input error
    other = tmp_path / "other.db"
    from auditor.register import Register

    Register(str(other)).close()
    assert verify_audit(out, register=other).differences == [
        "waiver W-1 (RESP-PHONE-30S site=SH): not in the register"
    ]
    with pytest.raises(AuditorError, match="no CAPA register here"):
        verify_audit(out, register=tmp_path / "nowhere.db")


def test_a_register_whose_history_was_cut_is_a_difference(machine, tmp_path) -> None:
    register = tmp_path / "register.db"
    out = _waived_from_a_register(machine, register)
    with sqlite3.connect(register) as db:
        db.execute("DELETE FROM history")
    report = verify_audit(out, register=register)
    assert report.differences and all(
        d.startswith("register register.db: ") for d in report.differences
    ), report.differences


def test_a_waiver_changed_in_the_register_and_in_findings_json_is_a_difference(
    machine, tmp_path
) -> None:
    """The reason changed in the waivers table and in findings.json alike: they agree with
    each other, not with the register's hash-chained history, which still holds the original."""
    register = tmp_path / "register.db"
    out = _waived_from_a_register(machine, register)
    with sqlite3.connect(register) as db:
        db.execute("UPDATE waivers SET reason = 'approved by the board'")
    findings = out / "findings.json"
    text = findings.read_text(encoding="utf-8")
    assert "a new switch is being installed" in text
    findings.write_text(
        text.replace("a new switch is being installed", "approved by the board"), encoding="utf-8"
    )
    report = verify_audit(out, register=register)
    assert report.differences == [
        "register register.db: waiver W-1: reason 'approved by the board' in the waivers table, "
        "'a new switch is being installed' in the history"
    ]


def test_a_waiver_row_added_to_the_register_outside_the_tool_is_a_difference(
    machine, tmp_path
) -> None:
    register = tmp_path / "register.db"
    out = _waived_from_a_register(machine, register)
    with sqlite3.connect(register) as db:
        db.execute(
            "INSERT INTO waivers (id, rule, group_key, reason, risk, requested_by, approved_by, "
            "valid_from, valid_until, created_on) VALUES (2, 'ROOT-CAUSE', NULL, 'forged row', "
            "'low', 'li', 'wang', '2026-01-01', '2027-01-31', '2026-01-01')"
        )
    assert verify_audit(out, register=register).differences == [
        "register register.db: waiver W-2 (ROOT-CAUSE all) is in the waivers table but not in "
        "the history: added outside the tool"
    ]


def test_an_audit_verifies_from_a_moved_folder_whose_name_is_in_its_texts(tmp_path) -> None:
    """The store's own tables name files by their paths; a folder called "at" (as in
    received_at) moved to "at2" changes the paths only, and the store still compares equal."""
    evidence = tmp_path / "at"
    shutil.copytree(ROOT / "evidence" / "demo" / "service-quality", evidence)
    run_audit(RULES / "service-quality.yaml", evidence, tmp_path / "audit", "2026-Q3")
    evidence.rename(tmp_path / "at2")
    report = verify_audit(tmp_path / "audit", tmp_path / "at2")
    assert report.verified, report.differences


def test_a_missing_evidence_file_is_named(machine) -> None:
    (machine["evidence"] / "agents.csv").unlink()
    report = verify_audit(machine["audit"])
    assert "evidence file agents.csv: missing" in report.differences


def test_a_signature_catches_one_byte_in_findings_json(machine, tmp_path) -> None:
    private, public = keygen(tmp_path / "key")
    findings = machine["audit"] / "findings.json"
    assert signature_problem(findings, public) == "the audit is not signed (no findings.json.sig)"
    sign(findings, private)
    assert signature_problem(findings, public) is None  # untouched: valid
    text = findings.read_text(encoding="utf-8")
    findings.write_text(
        text.replace('"schema_version": "1.1"', '"schema_version":  "1.1"'), encoding="utf-8"
    )
    assert "findings.json was changed after it was signed" in signature_problem(findings, public)
    _, other_public = keygen(tmp_path / "other")
    findings.write_text(text, encoding="utf-8")
    assert "signature does not match" in signature_problem(findings, other_public)
    (tmp_path / "findings.json.sig").write_text("not base64!", encoding="ascii")
    assert signature_problem(tmp_path / "findings.json", public) == (
        "findings.json.sig does not hold a signature (base64 text)"
    )
    with pytest.raises(ReportError, match="cannot read the public key"):
        signature_problem(findings, tmp_path / "nowhere.pub")
    with pytest.raises(ReportError, match="not an Ed25519 PEM public key"):
        signature_problem(findings, private)


def test_a_key_file_that_is_not_one_keygen_made_is_named_so(tmp_path) -> None:
    """Not the cryptography package's words (a FAQ address, MalformedFraming): what it is not,
    and what to give."""
    findings = tmp_path / "findings.json"
    findings.write_text("{}", encoding="utf-8")
    garbage = tmp_path / "k"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\ngarbage\n", encoding="ascii")
    with pytest.raises(ReportError) as public:
        signature_problem(findings, garbage)
    assert str(public.value) == (
        f"{garbage}: not an Ed25519 PEM public key made by `auditor keygen`; "
        "give the KEY.pub file `auditor keygen --out KEY` wrote"
    )
    with pytest.raises(ReportError) as private:
        sign(findings, garbage)
    assert str(private.value) == (
        f"{garbage}: not an Ed25519 PEM private key made by `auditor keygen`; "
        "give the KEY file `auditor keygen --out KEY` wrote"
    )


def test_not_an_audit_is_one_line(tmp_path) -> None:
    with pytest.raises(ReportError, match=r"not an audit: there is no findings\.json"):
        verify_audit(tmp_path)


def test_an_audit_without_its_evidence_folder_asks_for_it(machine) -> None:
    findings = machine["audit"] / "findings.json"
    document = json.loads(findings.read_text(encoding="utf-8"))
    del document["manifest"]["parameters"]["evidence_root"]  # as older audits were written
    findings.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(Exception, match="does not record its evidence folder") as caught:
        verify_audit(machine["audit"])
    assert caught.value.hint == "give it with --evidence"
    report = verify_audit(machine["audit"], evidence=machine["evidence"])
    assert report.verified, report.differences


def test_the_report_says_how_to_verify_it(machine, tmp_path) -> None:
    from auditor.findings.contract import FindingsDocument
    from auditor.report import render_reports

    document = FindingsDocument.load(machine["audit"] / "findings.json")
    render_reports(document, tmp_path / "r", ("html",), "en")
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    # the pack's file name alone (--pack sq.yaml) was printed: a command that failed as printed
    assert '<p class="data command">auditor verify AUDIT_DIR</p>' in html
    assert f'<span class="data">{machine["pack"]}</span>' in html  # as recorded
    assert f'<span class="data">{machine["evidence"]}</span>' in html
    assert document.manifest.pack.sha256 in html and document.manifest.standard.sha256 in html
    for entry in document.manifest.evidence:  # the appendix lists every input with its hash
        assert entry.sha256 in html


def test_a_report_without_the_evidence_folder_asks_for_it_in_its_command(
    machine, runner, tmp_path
) -> None:
    """An audit that does not record its evidence folder: the printed command has
    EVIDENCE_DIR too, and with both placeholders put for their folders it verifies."""
    import re

    from auditor.cli import main
    from auditor.findings.contract import FindingsDocument
    from auditor.report import render_reports

    findings = machine["audit"] / "findings.json"
    data = json.loads(findings.read_text(encoding="utf-8"))
    del data["manifest"]["parameters"]["evidence_root"]  # as older audits were written
    findings.write_text(json.dumps(data), encoding="utf-8")
    render_reports(FindingsDocument.load(findings), tmp_path / "r", ("html",), "en")
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    (printed,) = re.findall(r'<p class="data command">(auditor verify [^<]*)</p>', html)
    assert printed == "auditor verify AUDIT_DIR --evidence EVIDENCE_DIR"
    assert '<li><span class="data">EVIDENCE_DIR</span>: the evidence folder the audit' in html
    filled = printed.replace("AUDIT_DIR", str(machine["audit"]))
    filled = filled.replace("EVIDENCE_DIR", str(machine["evidence"]))
    verified = runner.invoke(main, filled.split()[1:])
    assert verified.exit_code == 0, verified.output
    assert verified.output.splitlines()[-1] == "verified: 47 findings reproduced from 7 files"


def _edited(data: dict, where: str) -> str:
    """Change one field the report prints but no finding's verdict rests on; its name."""
    rules = {rule["rule"]: rule for rule in data["rules"]}
    if where == "details":
        rules["NPS-20"]["findings"][0]["details"]["promoters"] = 400
        return "finding NPS-20: details.promoters was 400, now 353"
    if where == "title":
        rules["RESP-PHONE-30S"]["title"]["en"] = "Phone answered within 60 s"
        return (
            "rule RESP-PHONE-30S: title.en was Phone answered within 60 s, now Phone answered "
            "within 30 s"
        )
    if where == "group":  # a key added with null: not the null of the key the re-run lacks
        rules["RESP-PHONE-30S"]["findings"][0]["group"] = {"site": None}
        return "finding RESP-PHONE-30S: group.site was null, now absent"
    if where == "exclusions":
        data["exclusions"][0]["count"] = 1
        return "exclusions[0]: count was 1, now 36"
    if where == "kinds":
        data["summary"]["kinds"][0]["in_period"] = 10
        return "summary: kinds[0].in_period was 10, now 3000"
    data["failing_records"]["rows"] = 5
    return "failing_records: rows was 5, now 713"


@pytest.mark.parametrize("where", ["details", "title", "group", "exclusions", "kinds", "rows"])
def test_every_field_the_report_prints_is_compared(machine, where: str) -> None:
    """findings.json edited where the report reads it (a detail of the arithmetic, a title,
    the exclusion ledger, a kind's records in the period, the failing records' count):
    verify names the field and the value the re-run gives."""
    findings = machine["audit"] / "findings.json"
    data = json.loads(findings.read_text(encoding="utf-8"))
    expected = _edited(data, where)
    findings.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert verify_audit(machine["audit"]).differences == [expected]


def test_a_mapping_beside_the_evidence_is_an_input_checked_by_its_hash(machine) -> None:
    sidecar = machine["evidence"] / "agents.mapping.yaml"
    sidecar.write_text(
        "kind: agents\ncolumns:\n  agent_id: 工号\n  site: 站点\n  active: 在职\n", encoding="utf-8"
    )
    run_audit(machine["pack"], machine["evidence"], machine["audit"], "2026-Q3")
    assert verify_audit(machine["audit"]).verified
    sidecar.write_text(sidecar.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    now = hashlib.sha256(sidecar.read_bytes()).hexdigest()
    (line,) = verify_audit(machine["audit"]).differences
    assert line.startswith(
        f"mapping agents.mapping.yaml (of agents.csv): different SHA-256 ({now[:12]}..., recorded "
    )
    sidecar.unlink()
    assert verify_audit(machine["audit"]).differences == [
        "mapping agents.mapping.yaml (of agents.csv): missing"
    ]


def test_a_file_added_to_the_evidence_folder_since_is_named_and_left_out(machine) -> None:
    """The re-run reads the files the audit read: one added since (a copy of the training
    records, whose keys repeat) is named in a note, and blames no other table."""
    shutil.copy(machine["evidence"] / "training.csv", machine["evidence"] / "training-extra.csv")
    report = verify_audit(machine["audit"])
    assert report.verified, report.differences
    assert report.notes == [
        "evidence file training-extra.csv: in the evidence folder but not read by the audit "
        "(added since?); the re-run leaves it out too"
    ]


def test_a_waiver_on_its_last_day_verifies_when_the_utc_day_is_the_next(machine) -> None:
    """An audit run in the evening west of UTC, on a waiver's last day: findings.json records
    the next (UTC) day; the re-run applies the waiver as the audit did, not as expired."""
    from auditor.register.waivers import Waiver

    last_day = date.today() - timedelta(days=1)
    waiver = Waiver(
        "W-1", "RESP-PHONE-30S", "", "a new switch is being installed", "low", "li", "wang",
        date(2026, 1, 1), last_day,
    )  # fmt: skip
    out = machine["audit"].with_name("evening")
    run_audit(
        machine["pack"], machine["evidence"], out, "2026-Q3", waivers=[waiver], today=last_day
    )
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert next(r for r in data["rules"] if r["rule"] == "RESP-PHONE-30S")["verdict"] == "waived"
    report = verify_audit(out)
    assert report.verified, report.differences


def test_a_changed_input_says_the_findings_were_not_computed_again(machine) -> None:
    """An input whose hash differs stops verify before the re-run: a note says the findings
    were not compared, so no one reads the short list of differences as all there is."""
    surveys = machine["evidence"] / "surveys.jsonl"
    original = surveys.read_bytes()
    flip(surveys)
    report = verify_audit(machine["audit"])
    assert report.notes == [NOT_RECOMPUTED]
    assert "not computed again" in report.notes[0]  # what a certifier reads
    surveys.write_bytes(original)  # put back: the inputs are as recorded
    report = verify_audit(machine["audit"])
    assert report.verified and NOT_RECOMPUTED not in report.notes


def test_a_difference_names_the_element_and_shows_json_and_where_a_long_text_differs(
    machine,
) -> None:
    """A failing record's source line edited is named by its index and field, a number made
    null shows null (not None), and a long explanation edited near its end shows the part
    that differs, not the same first 77 characters twice."""
    findings = machine["audit"] / "findings.json"
    data = json.loads(findings.read_text(encoding="utf-8"))
    every = [f for rule in data["rules"] for f in rule["findings"]]
    sourced = next(f for f in every if len(f["failing_sources"]) > 2)
    line = sourced["failing_sources"][2]["line"]
    sourced["failing_sources"][2]["line"] = line + 1
    short = next(f for f in every if isinstance(f["shortfall"], int) and f is not sourced)
    shortfall, short["shortfall"] = short["shortfall"], None
    told = next(f for f in every if len(f["explanation"]) > 100 and f not in (sourced, short))
    text = told["explanation"]
    told["explanation"] = text[:-12] + "X" + text[-11:]
    findings.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    lines = verify_audit(machine["audit"]).differences
    assert f"finding {sourced['id']}: failing_sources[2].line was {line + 1}, now {line}" in lines
    assert f"finding {short['id']}: shortfall was null, now {shortfall}" in lines
    [explained] = [d for d in lines if d.startswith(f"finding {told['id']}: explanation was")]
    was, now = explained.split(" was ", 1)[1].split(", now ")
    assert was != now and "X" in was and text[-12] in now, explained
    assert len(was) < 100 and was.startswith("..."), explained
    assert not any("None" in d or "Source(" in d for d in lines), lines


def test_the_outputs_rendered_from_findings_json_are_named_as_not_checked(machine) -> None:
    """A report or CAPA register edited after the audit is not compared: a note names those
    in the folder (none for those that are not) and how to check them."""
    assert not [n for n in verify_audit(machine["audit"]).notes if "not checked" in n]
    (machine["audit"] / "report.html").write_text("<p>all conform (edited)</p>", encoding="utf-8")
    (machine["audit"] / "capa.csv").write_text("edited\n", encoding="utf-8")
    (machine["audit"] / "junit.xml").write_text("<testsuites/>", encoding="utf-8")
    report = verify_audit(machine["audit"])
    assert report.verified, report.differences
    assert report.notes == [
        "report.html, capa.csv not checked: they are rendered from findings.json (which is); "
        "to check them, render them again with auditor report render and compare",
        "junit.xml not checked: the audit wrote it from findings.json (auditor audit "
        "--format junit,oscal writes it again)",
    ]


def test_the_rendered_outputs_note_does_not_say_findings_json_was_checked_when_not_rerun(
    machine,
) -> None:
    """An evidence file changed stops verify before the re-run: the note on the rendered
    outputs said findings.json was checked ("which is"), while the next note said its findings
    were not computed again; it now says only the latter."""
    (machine["audit"] / "report.html").write_text("<p>all conform</p>", encoding="utf-8")
    (machine["audit"] / "capa.csv").write_text("edited\n", encoding="utf-8")
    flip(machine["evidence"] / "surveys.jsonl")
    report = verify_audit(machine["audit"])
    assert not report.verified
    assert report.notes == [
        "report.html, capa.csv not checked: they are rendered from findings.json, whose "
        "findings were not computed again (see below)",
        NOT_RECOMPUTED,
    ]


def test_a_differing_copy_of_the_evidence_passed_over_is_named(tmp_path, monkeypatch) -> None:
    """Run from a folder whose own evidence/ was edited since, verify takes the audit tree's
    untouched folder, and says that the copy in the working folder is not what was read."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "evidence" / "demo" / "service-quality", tree / "evidence")
    monkeypatch.chdir(tree)
    run_audit(RULES / "service-quality.yaml", Path("evidence"), Path("sub/out"), "2026-Q3")
    shutil.copytree(tree / "evidence", tree / "sub" / "evidence")
    flip(tree / "sub" / "evidence" / "agents.csv")
    monkeypatch.chdir(tree / "sub")
    report = verify_audit(Path("out"))
    assert report.verified, report.differences
    assert report.notes == [
        f"evidence folder evidence: 1 of the files the audit read differs there (agents.csv: "
        f"SHA-256 {sha256_of(tree / 'sub' / 'evidence' / 'agents.csv')[:12]}..., recorded "
        f"{sha256_of(tree / 'evidence' / 'agents.csv')[:12]}...); the folder verified is "
        f"{tree / 'evidence'}"
    ]


def test_the_first_difference_is_the_earliest_record_either_way(tmp_path) -> None:
    """Line 5 edited and line 3 deleted in the audit's store: line 3 comes first; a record
    stored twice is said so, not left with no words."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from auditor.backends.duckdb import parquet_first_difference
    from auditor.certify.verify import _first_difference

    def table(rows: list[tuple[int, str]]) -> Path:
        path = tmp_path / f"t{len(list(tmp_path.iterdir()))}.parquet"
        lines, values = zip(*rows, strict=True)
        pq.write_table(
            pa.table({"v": list(values), "_source": [1] * len(rows), "_line": list(lines)}), path
        )
        return path

    evidence = table([(2, "a"), (3, "b"), (4, "c"), (5, "d"), (6, "e")])
    edited = table([(2, "a"), (4, "c"), (5, "X"), (6, "e")])
    assert parquet_first_difference(edited, evidence) == (
        None,
        {"v": "b", "_source": 1, "_line": 3},
    )
    twice = table([(2, "a"), (3, "b"), (4, "c"), (4, "c"), (5, "d"), (6, "e")])
    assert _first_difference(twice, evidence, {}, ".") == (
        "; first: the record is in one store more times than in the other"
    )


@pytest.mark.parametrize("content", ["", "\n", " \r\n"])
def test_an_empty_signature_file_is_said_to_be_empty(tmp_path, content: str) -> None:
    """An empty findings.json.sig was said not to match (changed, or another key)."""
    _, public = keygen(tmp_path / "key")
    findings = tmp_path / "findings.json"
    findings.write_text("{}", encoding="utf-8")
    (tmp_path / "findings.json.sig").write_text(content, encoding="ascii")
    assert (
        signature_problem(findings, public) == "findings.json.sig is empty: it holds no signature"
    )
