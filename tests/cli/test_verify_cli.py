"""auditor verify and keygen as a certifier runs them; a file that changes while read is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import auditor.ingest as ingest_module
from auditor.cli import main

from ..conftest import ROOT, RULES, STANDARDS, TEST_PACKS

PACK = str(RULES / "service-quality.yaml")
DEMO = str(ROOT / "evidence" / "demo" / "service-quality")


def test_sign_and_verify(runner, tmp_path) -> None:
    key = tmp_path / "key"
    made = runner.invoke(main, ["keygen", "--out", str(key)])
    assert made.exit_code == 0 and (tmp_path / "key.pub").exists()
    out = tmp_path / "audit"
    audited = runner.invoke(
        main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out), "--format", "json",
               "--fail-on", "never", "--sign-key", str(key)],
    )  # fmt: skip
    assert audited.exit_code == 0 and f"wrote {out / 'findings.json.sig'}" in audited.output
    verified = runner.invoke(main, ["verify", str(out), "--public-key", str(key) + ".pub"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.strip() == (
        "verified: 47 findings reproduced from 7 files (signature valid)"
    )
    unchecked = runner.invoke(main, ["verify", str(out)])  # the signature is not checked
    assert unchecked.exit_code == 0 and unchecked.output.splitlines()[0] == (
        "note: findings.json.sig not checked: give --public-key to check the signature"
    )
    signature = out / "findings.json.sig"
    signature.write_text("AAAA" + signature.read_text(encoding="ascii")[4:], encoding="ascii")
    forged = runner.invoke(main, ["verify", str(out), "--public-key", str(key) + ".pub"])
    assert forged.exit_code == 1  # a difference, named; the findings are still computed again
    assert forged.output.splitlines() == [
        "differs: findings.json: the signature does not match: findings.json was changed "
        "after it was signed, or it was signed with another key"
    ]
    signature.unlink()
    unsigned = runner.invoke(main, ["verify", str(out), "--public-key", str(key) + ".pub"])
    assert unsigned.exit_code == 1 and unsigned.output.splitlines() == [
        "differs: findings.json: the audit is not signed (no findings.json.sig)"
    ]


def test_differences_exit_1_and_bad_input_exit_2(runner, tmp_path) -> None:
    out = tmp_path / "audit"
    runner.invoke(main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out),
                         "--format", "json", "--fail-on", "never"])  # fmt: skip
    other = tmp_path / "evidence"
    other.mkdir()
    for path in Path(DEMO).iterdir():
        (other / path.name).write_bytes(path.read_bytes())
    (other / "agents.csv").write_bytes((other / "agents.csv").read_bytes() + b"\n")
    differs = runner.invoke(main, ["verify", str(out), "--evidence", str(other)])
    assert differs.exit_code == 1
    assert differs.output.strip() == "differs: evidence file agents.csv: different SHA-256 " + (
        differs.output.split("different SHA-256 ", 1)[1].strip()
    )
    not_audit = runner.invoke(main, ["verify", str(tmp_path)])
    assert not_audit.exit_code == 2 and "not an audit" in not_audit.output


def test_an_audit_by_an_earlier_build_that_differs_says_so_and_exits_1(runner, tmp_path) -> None:
    """An audit written before the build was recorded, one finding's count edited: the
    difference is named and exits 1, and the next line says another build made the audit."""
    import json

    from auditor.build import short, this_build

    out = tmp_path / "audit"
    runner.invoke(main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out),
                         "--format", "json", "--fail-on", "never"])  # fmt: skip
    findings = out / "findings.json"
    data = json.loads(findings.read_text(encoding="utf-8"))
    del data["manifest"]["tool"]["build"]
    verified = runner.invoke(main, ["verify", str(out)])
    assert verified.exit_code == 0 and "another build" not in verified.output
    data["rules"][0]["findings"][0]["counts"]["conforming"] += 1
    findings.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    differs = runner.invoke(main, ["verify", str(out)])
    assert differs.exit_code == 1
    lines = differs.output.splitlines()
    assert lines[0].startswith(f"differs: finding {data['rules'][0]['findings'][0]['id']}: ")
    assert lines[1] == (
        "note: this audit was made by an earlier version of auditor, which did not record its "
        f"build (this is build {short(this_build())}): a difference may come from the tool, "
        "not the audit; verify with the build that made it"
    )


def test_a_file_that_changes_while_it_is_read_is_refused(runner, tmp_path, monkeypatch) -> None:
    real = ingest_module.file_digest
    calls = {"n": 0}

    def growing(path, stop=None):
        calls["n"] += 1
        scanned = real(path, stop)
        return scanned if calls["n"] == 1 else scanned._replace(sha256="0" * 64)

    monkeypatch.setattr(ingest_module, "file_digest", growing)
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "agents.csv").write_bytes((Path(DEMO) / "agents.csv").read_bytes())
    result = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    assert result.exit_code == 2
    assert "the file changed while it was read; nothing from it was kept" in result.output


def test_junit_gates_a_pipeline_and_oscal_goes_to_a_grc_tool(runner, tmp_path) -> None:
    import json
    import xml.etree.ElementTree as ET

    out = tmp_path / "audit"
    result = runner.invoke(
        main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out),
               "--format", "json,junit,oscal", "--fail-on", "major"],
    )  # fmt: skip
    assert result.exit_code == 1  # the demo's phone rule is a major nonconformity
    suite = ET.parse(out / "junit.xml").getroot()
    failures = [
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    ]
    assert "RESP-PHONE-30S" in failures
    assert json.loads((out / "assessment-results.json").read_text(encoding="utf-8"))[
        "assessment-results"
    ]["results"]
    bad = runner.invoke(main, ["report", "render", str(out / "findings.json"), "--format", "junit"])
    assert bad.exit_code == 2 and "unknown format 'junit'" in bad.output


def test_an_audit_of_one_file_is_verified_from_one_file(runner, tmp_path) -> None:
    import shutil

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.copy(Path(DEMO) / "surveys.jsonl", evidence)
    out = tmp_path / "audit"
    audited = runner.invoke(
        main, ["audit", PACK, str(evidence), "--period", "2026-Q3", "--out", str(out),
               "--format", "json", "--fail-on", "never"],
    )  # fmt: skip
    assert audited.exit_code == 0, audited.output
    verified = runner.invoke(main, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.strip().endswith("findings reproduced from 1 file")


def test_verify_checks_the_waivers_against_the_register_given(runner, tmp_path) -> None:
    from datetime import date, timedelta

    register = str(tmp_path / "register.db")
    until = (date.today() + timedelta(days=30)).isoformat()
    added = runner.invoke(
        main, ["waiver", "add", "--rule", "RESP-PHONE-30S", "--reason", "new switch", "--risk",
               "low", "--requested-by", "li", "--approved-by", "wang", "--until", until,
               "--register", register],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    out = tmp_path / "audit"
    audited = runner.invoke(
        main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out), "--format", "json",
               "--fail-on", "never", "--register", register],
    )  # fmt: skip
    assert audited.exit_code == 0, audited.output
    checked = runner.invoke(main, ["verify", str(out), "--register", register])
    assert checked.exit_code == 0, checked.output
    lines = checked.output.splitlines()
    assert lines[-1] == "verified: 47 findings reproduced from 7 files"
    assert lines[-2].startswith("note: the audit is not signed: the period, organisation,")
    assert all("is in the register as findings.json records it" in n for n in lines[:-2])
    unchecked = runner.invoke(main, ["verify", str(out)])
    assert unchecked.exit_code == 0
    assert "give --register to check it against the CAPA register" in unchecked.output
    # a revocation on the day the audit ran does not say whether it came before the audit
    revoked = runner.invoke(
        main, ["waiver", "revoke", "W-1", "--by", "wang", "--register", register]
    )
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(main, ["verify", str(out), "--register", register]).exit_code == 0
    missing = runner.invoke(main, ["verify", str(out), "--register", str(tmp_path / "no.db")])
    assert missing.exit_code == 2 and "no CAPA register here" in missing.output


def _audited_into_a_register(runner, tmp_path: Path, monkeypatch) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """(the register, the audit folder) of the demo's Q3 audit recorded in a new register on
    2026-10-01 (its items CAPA-2026-...)."""
    from datetime import date

    monkeypatch.setattr("auditor.cli._today", lambda: date(2026, 10, 1))
    register = tmp_path / "register.db"
    out = tmp_path / "audit"
    audited = runner.invoke(
        main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out), "--format", "json",
               "--fail-on", "never", "--register", str(register)],
    )  # fmt: skip
    assert audited.exit_code == 0, audited.output
    return register, out


def test_verify_names_a_register_edited_against_its_history_with_no_waiver_applied(
    runner, tmp_path, monkeypatch
) -> None:
    """The register given is checked as capa check checks it, whether or not the audit
    applied a waiver from it: an item's severity edited with plain SQLite is a difference."""
    import sqlite3

    register, out = _audited_into_a_register(runner, tmp_path, monkeypatch)
    assert runner.invoke(main, ["verify", str(out), "--register", str(register)]).exit_code == 0
    with sqlite3.connect(register) as db:
        db.execute("UPDATE items SET severity = 'minor' WHERE id = 'CAPA-2026-0001'")
    check = runner.invoke(main, ["capa", "check", "--register", str(register)])
    assert check.exit_code == 1, check.output
    broken = check.output.splitlines()[0]
    assert broken == (
        "broken: item CAPA-2026-0001: severity 'minor' in the items table, 'major' in the history"
    )
    verified = runner.invoke(main, ["verify", str(out), "--register", str(register)])
    assert verified.exit_code == 1, verified.output
    assert [line for line in verified.output.splitlines() if line.startswith("differs:")] == [
        "differs: register register.db: item CAPA-2026-0001: severity 'minor' in the items "
        "table, 'major' in the history"
    ]


def _mapped_audit(runner, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An audit run from tmp_path of data/ by packs/roundtrip.yaml with a mapping outside the
    evidence, maps/records.yaml, all given relative to the working folder (as a certifier's
    trial did)."""
    import shutil

    monkeypatch.chdir(tmp_path)
    (tmp_path / "packs").mkdir()
    shutil.copy(TEST_PACKS / "roundtrip.yaml", tmp_path / "packs")
    shutil.copytree(STANDARDS, tmp_path / "standards")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "records.csv").write_text(
        "id,label,when\nA,x,2018-11-05 10:00:00\nB,,2018-11-06 11:00:00\n", encoding="utf-8"
    )
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "records.yaml").write_text(
        "kind: records\ntimezone: UTC\ncolumns:\n  record_id: id\n  name: label\n  at: when\n",
        encoding="utf-8",
    )
    audited = runner.invoke(
        main, ["audit", "packs/roundtrip.yaml", "data", "--period", "2018-Q4",
               "--mapping", "maps/records.yaml", "--out", "audit", "--format", "json",
               "--fail-on", "never"],
    )  # fmt: skip
    assert audited.exit_code == 0, audited.output + audited.stderr


def test_a_mapping_outside_the_evidence_folder_is_found_where_the_audit_read_it(
    runner, tmp_path, monkeypatch
) -> None:
    _mapped_audit(runner, tmp_path, monkeypatch)
    verified = runner.invoke(main, ["verify", "audit"])
    assert verified.exit_code == 0, verified.output + verified.stderr
    assert verified.output.splitlines()[-1] == "verified: 1 finding reproduced from 1 file"
    # the same bytes at another path are the same mapping: the store's _manifest agrees
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "r.yaml").write_bytes((tmp_path / "maps/records.yaml").read_bytes())
    (tmp_path / "maps" / "records.yaml").unlink()
    again = runner.invoke(main, ["verify", "audit", "--mapping", "elsewhere/r.yaml"])
    assert again.exit_code == 0, again.output + again.stderr
    assert again.output.splitlines()[-1] == "verified: 1 finding reproduced from 1 file"
    with (tmp_path / "elsewhere" / "r.yaml").open("a", encoding="utf-8") as edited:
        edited.write("# edited\n")
    other = runner.invoke(main, ["verify", "audit", "--mapping", "elsewhere/r.yaml"])
    assert other.exit_code == 1
    assert other.output.startswith(
        "differs: mapping elsewhere/r.yaml (given for maps/records.yaml, of records.csv): "
        "different SHA-256 ("
    ), other.output
    missing = runner.invoke(main, ["verify", "audit"])
    assert missing.exit_code == 2
    assert "the mapping maps/records.yaml, which is not there" in missing.output + missing.stderr


def test_an_audit_with_relative_paths_is_checked_from_another_working_folder(
    runner, tmp_path, monkeypatch
) -> None:
    """The audit recorded data and packs/roundtrip.yaml relative to the folder it was run
    from, the one above the audit folder: verify, explain and sample run elsewhere find
    them from the audit folder's place."""
    _mapped_audit(runner, tmp_path, monkeypatch)
    audit = str(tmp_path / "audit")
    (tmp_path / "away").mkdir()
    monkeypatch.chdir(tmp_path / "away")
    verified = runner.invoke(main, ["verify", audit])
    assert verified.exit_code == 0, verified.output + verified.stderr
    assert verified.output.splitlines()[-1] == "verified: 1 finding reproduced from 1 file"
    explained = runner.invoke(main, ["explain", "NAMED", "--record", "B", "--audit", audit])
    assert explained.exit_code == 0, explained.output + explained.stderr
    assert "records.csv" in explained.output
    sampled = runner.invoke(
        main, ["sample", "NAMED", "--audit", audit, "--size", "1", "--seed", "7"]
    )
    assert sampled.exit_code == 0, sampled.output + sampled.stderr


def test_an_unknown_engine_is_a_usage_error_before_any_input_is_checked(runner, tmp_path) -> None:
    """Even with inputs that changed: the engine name is checked first (exit 2, not 1)."""
    from ..conftest import ROOT, RULES

    evidence = tmp_path / "ev"
    import shutil

    shutil.copytree(ROOT / "evidence/demo/service-quality", evidence)
    audited = runner.invoke(
        main,
        ["audit", str(RULES / "service-quality.yaml"), str(evidence), "--period", "2026-Q3",
         "--out", str(tmp_path / "a"), "--format", "json"],
    )  # fmt: skip
    assert audited.exit_code in (0, 1), audited.output
    (evidence / "agents.csv").write_bytes((evidence / "agents.csv").read_bytes() + b"\n")
    result = runner.invoke(main, ["verify", str(tmp_path / "a"), "--engine", "sparkk"])
    assert result.exit_code == 2, result.output
    assert "unknown engine 'sparkk'" in result.output and "did you mean 'spark'?" in result.output


def test_of_two_evidence_folders_of_the_recorded_name_verify_takes_the_audits(
    runner, tmp_path, monkeypatch
) -> None:
    """An audit recorded 'ev' (relative to where it ran); verified from another folder that
    holds an 'ev' of its own, the one beside the audit holding the files read is taken."""
    import shutil

    from ..conftest import ROOT, RULES

    tree, decoy = tmp_path / "tree", tmp_path / "decoy"
    shutil.copytree(ROOT / "evidence/demo/service-quality", tree / "ev")
    shutil.copytree(ROOT / "evidence/demo/service-quality", decoy / "ev")
    (decoy / "ev" / "agents.csv").write_bytes(b"changed\n")
    monkeypatch.chdir(tree)
    audited = runner.invoke(
        main,
        ["audit", str(RULES / "service-quality.yaml"), "ev", "--period", "2026-Q3", "--out",
         "a", "--format", "json"],
    )  # fmt: skip
    assert audited.exit_code in (0, 1), audited.output
    monkeypatch.chdir(decoy)
    verified = runner.invoke(main, ["verify", str(tree / "a")])
    assert verified.exit_code == 0, verified.output


def test_the_reports_verify_command_runs_as_printed(runner, tmp_path, monkeypatch) -> None:
    """The report's "how to verify" command, run from the folder the audit was run in with
    its one placeholder AUDIT_DIR put for the audit folder, verifies the audit: the pack was
    given as rules/sq.yaml, which its file name alone (the command printed before) missed."""
    import re
    import shlex
    import shutil
    from html import unescape

    (tmp_path / "rules").mkdir()
    shutil.copy(PACK, tmp_path / "rules" / "sq.yaml")
    shutil.copytree(STANDARDS, tmp_path / "standards")
    shutil.copytree(DEMO, tmp_path / "ev")
    monkeypatch.chdir(tmp_path)
    audited = runner.invoke(
        main, ["audit", "rules/sq.yaml", "ev", "--period", "2026-Q3", "--out", "a",
               "--format", "json,html", "--fail-on", "never"],
    )  # fmt: skip
    assert audited.exit_code == 0, audited.output
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    (printed,) = re.findall(r'<p class="data command">(auditor verify [^<]*)</p>', html)
    assert printed == "auditor verify AUDIT_DIR"
    assert '<span class="data">ev</span>' in html  # the inputs as recorded, to be found
    assert '<span class="data">rules/sq.yaml</span>' in html
    words = shlex.split(unescape(printed).replace("AUDIT_DIR", "a"))
    verified = runner.invoke(main, words[1:])
    assert verified.exit_code == 0, verified.output
    assert verified.output.splitlines()[-1] == "verified: 47 findings reproduced from 7 files"


def test_a_generation_time_edited_into_words_is_bad_input(runner, demo_audit, tmp_path) -> None:
    """It crashed report render and verify where they read the day of the audit."""
    text = (demo_audit.out / "findings.json").read_text(encoding="utf-8")
    edited = tmp_path / "findings.json"
    edited.write_text(re.sub(r'"generated_at": "[^"]*"', '"generated_at": "yesterday"', text))
    refused = f"error: {edited}: not a valid findings.json: generated_at: not an ISO date-time"
    render = ["report", "render", str(edited), "--format", "html", "--out", str(tmp_path / "r")]
    for args in (render, ["verify", str(edited)]):
        result = runner.invoke(main, args)
        assert (result.exit_code, result.output.splitlines()[0].split(";")[0]) == (2, refused)


@pytest.mark.parametrize("out", ["", " "], ids=["empty", "blank"])
def test_keygen_refuses_a_blank_file_name(runner, tmp_path, monkeypatch, out: str) -> None:
    """An empty --out is the working folder, which was reported as 'a key is already there'."""
    monkeypatch.chdir(tmp_path)
    made = runner.invoke(main, ["keygen", "--out", out])
    assert made.exit_code == 2
    assert made.output.splitlines()[-1].startswith(
        "error: Invalid value for '--out': give a file name, not a blank"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_keygen_command_a_key_error_cites_runs(runner, tmp_path) -> None:
    """The error for a file that is not a key cited `auditor keygen KEY`, which stops with
    "Missing option '--out'"."""
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key\n", encoding="ascii")
    audited = runner.invoke(
        main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(tmp_path / "audit"),
               "--format", "json", "--sign-key", str(garbage)],
    )  # fmt: skip
    assert audited.exit_code == 2
    cited = re.search(r"`auditor (keygen [^`]*)`", audited.output.splitlines()[-1])
    assert cited is not None and cited.group(1) == "keygen --out KEY", audited.output
    made = runner.invoke(main, [*cited.group(1).replace("KEY", str(tmp_path / "key")).split()])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "key").is_file() and (tmp_path / "key.pub").is_file()


def test_verify_says_what_a_register_made_by_an_earlier_version_cannot_check(
    runner, tmp_path, monkeypatch
) -> None:
    """The values an item was created with, which a register made by an earlier version does
    not record, are named not checked by verify --register as capa check names them."""
    from ..test_register import _as_an_earlier_version_made_it

    register, out = _audited_into_a_register(runner, tmp_path, monkeypatch)
    _as_an_earlier_version_made_it(register)
    check = runner.invoke(main, ["capa", "check", "--register", str(register)])
    assert check.exit_code == 0, check.output
    unchecked = check.output.splitlines()[0]
    assert unchecked.startswith("not checked: the rule, clause, group_key, severity, evidence, ")
    verified = runner.invoke(main, ["verify", str(out), "--register", str(register)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.splitlines()[0] == f"note: register register.db: {unchecked}"
    assert verified.output.splitlines()[-1] == "verified: 47 findings reproduced from 7 files"


def test_explain_names_the_finding_the_record_counts_in(runner, write_pack, tmp_path) -> None:
    """explain on the command line names the finding a record is counted in, under the
    record's source line: BJ-07-1, an unanswered call of BJ's July (1 of 4 answered)."""
    from ..test_explain import cell_audit

    out = cell_audit(write_pack, tmp_path)
    explained = runner.invoke(
        main, ["explain", "MONTHLY", "--record", "BJ-07-1", "--audit", str(out)]
    )
    assert explained.exit_code == 0, explained.output + explained.stderr
    lines = explained.output.splitlines()
    assert lines[1] == "record BJ-07-1: calls.csv line 3"
    assert lines[2] == (
        "counted in finding MONTHLY@site=BJ@2026-07 (group site=BJ, sub-period 2026-07): "
        "nonconform (minor), value 25.0 % (0.25 in findings.json), n = 4"
    )
    assert lines[-1] == "outcome: breach"
