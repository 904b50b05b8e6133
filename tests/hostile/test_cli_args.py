"""Bad arguments for every command: missing files, folders for files and back, bad periods,
numbers, names and formats, outputs where they cannot go. Each is one line and exit 2."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, ROUNDTRIP, Case, case_ids, run_case

EV = "{audit}/evidence"
OUT = "{audit}/out"
REG = "{audit}/register.db"
BLOCK = {"afile": "not a folder\n"}  # a regular file where a folder would go


def bad(name: str, *args: str, error: tuple[str, ...] = (), files=None, **more) -> Case:
    return Case(id=name, args=args, exit=2, error=error, files=files or {}, **more)


def audit(*extra: str) -> tuple[str, ...]:
    return ("audit", ROUNDTRIP, EV, "--out", "{tmp}/new", "--fail-on", "never", "--format", "json",
            *extra)  # fmt: skip


CASES = [
    # audit
    bad(
        "audit-pack-missing",
        "audit",
        "{tmp}/nope.yaml",
        EV,
        "--out",
        "{tmp}/new",
        error=("{tmp}/nope.yaml",),
        out="new",
        outputs=(),
    ),
    bad("audit-pack-is-a-folder", "audit", "{tmp}", EV, "--out", "{tmp}/new", error=("{tmp}",)),
    bad(
        "audit-evidence-missing",
        "audit",
        ROUNDTRIP,
        "{tmp}/nowhere",
        "--out",
        "{tmp}/new",
        error=("{tmp}/nowhere",),
        out="new",
        outputs=(),
    ),
    bad(
        "audit-period-garbage",
        *audit("--period", "soon"),
        error=("'soon' is not an audit period",),
        out="new",
        outputs=(),
    ),
    bad("audit-period-month-13", *audit("--period", "2026-13"), error=("2026-13",)),
    bad("audit-period-year-9999", *audit("--period", "9999"), error=("beyond the year 9998",)),
    bad(
        "audit-period-year-1-holds-no-evidence",
        *audit("--period", "0001"),
        error=("no record in 0001",),
        out="new",
        outputs=(),
    ),
    bad(
        "audit-period-backwards",
        *audit("--period", "2026-07-31..2026-07-01"),
        error=("ends before it starts",),
    ),
    bad(
        "audit-evidence-in-the-year-9999-without-a-period",
        "audit",
        ROUNDTRIP,
        "{tmp}/ev",
        "--out",
        "{tmp}/new",
        files={"ev/records.csv": "record_id,at\nA,9999-12-31 23:59\n"},
        error=("reaches 9999-12-31", "give --period"),
        out="new",
        outputs=(),
    ),
    bad("audit-max-quarantine-garbage", *audit("--max-quarantine", "lots"), error=("lots",)),
    bad("audit-max-quarantine-above-100", *audit("--max-quarantine", "150%"), error=("150",)),
    bad("audit-unknown-engine", *audit("--engine", "oracle"), error=("oracle",)),
    bad(
        "audit-unknown-format",
        "audit",
        ROUNDTRIP,
        EV,
        "--out",
        "{tmp}/new",
        "--format",
        "json,docx",
        error=("docx",),
    ),
    bad("audit-unknown-language", *audit("--lang", "fr"), error=("fr",)),
    bad(
        "audit-unknown-fail-on",
        "audit",
        ROUNDTRIP,
        EV,
        "--out",
        "{tmp}/new",
        "--fail-on",
        "always",
        error=("always",),
    ),
    bad(
        "audit-out-under-a-regular-file",
        *audit()[:3],
        "--out",
        "{tmp}/afile/out",
        "--format",
        "json",
        files=BLOCK,
        error=("{tmp}/afile/out", "Not a directory"),
    ),
    bad(
        "audit-out-is-a-regular-file",
        *audit()[:3],
        "--out",
        "{tmp}/afile",
        "--format",
        "json",
        files=BLOCK,
        error=("{tmp}/afile",),
    ),
    bad(
        "audit-out-inside-the-evidence",
        "audit",
        ROUNDTRIP,
        EV,
        "--out",
        f"{EV}/out",
        error=("inside the evidence folder",),
        out="audit/evidence/out",
        outputs=(),
    ),
    bad("audit-previous-missing", *audit("--previous", "{tmp}/old"), error=("{tmp}/old",)),
    bad(
        "audit-sign-key-garbage",
        *audit("--sign-key", "{tmp}/key"),
        files={"key": "garbage\n"},
        error=("{tmp}/key",),
        out="new",
        outputs=(),
    ),
    bad("audit-mapping-missing", *audit("--mapping", "{tmp}/m.yaml"), error=("{tmp}/m.yaml",)),
    bad("audit-unknown-preset", *audit("--preset", "nyc-312"), error=("nyc-312", "nyc-311")),
    # evidence ingest / synth / export / validate
    bad(
        "ingest-source-missing",
        "evidence",
        "ingest",
        "{tmp}/nowhere",
        "--pack",
        ROUNDTRIP,
        "--store",
        "{tmp}/s.db",
        error=("{tmp}/nowhere",),
    ),
    bad(
        "ingest-store-is-a-folder",
        "evidence",
        "ingest",
        EV,
        "--pack",
        ROUNDTRIP,
        "--store",
        "{tmp}",
        error=("{tmp}",),
    ),
    bad(
        "ingest-store-under-a-regular-file",
        "evidence",
        "ingest",
        EV,
        "--pack",
        ROUNDTRIP,
        "--store",
        "{tmp}/afile/s.db",
        files=BLOCK,
        error=("{tmp}/afile",),
    ),
    bad(
        "ingest-store-not-a-database",
        "evidence",
        "ingest",
        EV,
        "--pack",
        ROUNDTRIP,
        "--store",
        "{tmp}/s.db",
        files={"s.db": "this is text, not SQLite\n" * 100},
        error=("{tmp}/s.db",),
    ),
    bad(
        "ingest-store-is-a-capa-register",
        "evidence",
        "ingest",
        EV,
        "--pack",
        ROUNDTRIP,
        "--store",
        REG,
        error=(REG, "not an evidence store"),
    ),
    bad(
        "ingest-pack-missing",
        "evidence",
        "ingest",
        EV,
        "--pack",
        "{tmp}/p.yaml",
        "--store",
        "{tmp}/s.db",
        error=("{tmp}/p.yaml",),
    ),
    bad(
        "validate-pack-is-a-folder", "evidence", "validate", EV, "--pack", "{tmp}", error=("{tmp}",)
    ),
    bad(
        "synth-zero-records",
        "evidence",
        "synth",
        "--pack",
        ROUNDTRIP,
        "--records",
        "0",
        "--out",
        "{tmp}/syn",
        error=("0",),
    ),
    bad(
        "synth-records-not-a-number",
        "evidence",
        "synth",
        "--pack",
        ROUNDTRIP,
        "--records",
        "many",
        "--out",
        "{tmp}/syn",
        error=("many",),
    ),
    bad(
        "synth-out-under-a-regular-file",
        "evidence",
        "synth",
        "--pack",
        ROUNDTRIP,
        "--records",
        "50",
        "--out",
        "{tmp}/afile/syn",
        files=BLOCK,
        error=("{tmp}/afile",),
    ),
    bad(
        "export-store-missing",
        "evidence",
        "export",
        "--store",
        "{tmp}/none.db",
        "--out",
        "{tmp}/x",
        error=("{tmp}/none.db",),
    ),
    bad(
        "export-store-not-a-database",
        "evidence",
        "export",
        "--store",
        "{tmp}/s.db",
        "--out",
        "{tmp}/x",
        files={"s.db": "text\n" * 1000},
        error=("{tmp}/s.db",),
        out="x",
        outputs=(),
    ),
    bad(
        "export-unknown-format",
        "evidence",
        "export",
        "--store",
        f"{OUT}/evidence.db",
        "--format",
        "csv",
        "--out",
        "{tmp}/x",
        error=("csv",),
    ),
    bad(
        "export-out-under-a-regular-file",
        "evidence",
        "export",
        "--store",
        f"{OUT}/evidence.db",
        "--out",
        "{tmp}/afile/x",
        files=BLOCK,
        error=("{tmp}/afile",),
    ),
    # pack check / test
    bad("pack-check-missing", "pack", "check", "{tmp}/none.yaml", error=("{tmp}/none.yaml",)),
    bad("pack-check-a-folder", "pack", "check", "{tmp}", error=("{tmp}",)),
    bad(
        "pack-check-standards-missing",
        "pack",
        "check",
        ROUNDTRIP,
        "--standards",
        "{tmp}/std",
        error=("{tmp}/std",),
    ),
    bad(
        "pack-test-tests-missing",
        "pack",
        "test",
        ROUNDTRIP,
        "--tests",
        "{tmp}/t.yaml",
        error=("{tmp}/t.yaml",),
    ),
    # report render
    bad(
        "render-findings-missing",
        "report",
        "render",
        "{tmp}/findings.json",
        error=("{tmp}/findings.json",),
    ),
    bad("render-findings-is-a-folder", "report", "render", "{tmp}", error=("{tmp}",)),
    bad(
        "render-unknown-format",
        "report",
        "render",
        f"{OUT}/findings.json",
        "--format",
        "docx",
        error=("docx",),
    ),
    bad(
        "render-bad-date",
        "report",
        "render",
        f"{OUT}/findings.json",
        "--date",
        "2026-02-30",
        error=("2026-02-30",),
    ),
    bad(
        "render-out-under-a-regular-file",
        "report",
        "render",
        f"{OUT}/findings.json",
        "--format",
        "html",
        "--out",
        "{tmp}/afile/r",
        files=BLOCK,
        error=("{tmp}/afile",),
    ),
    # verify / explain / sample / diff
    bad("verify-folder-missing", "verify", "{tmp}/none", error=("{tmp}/none",)),
    bad("verify-unknown-engine", "verify", OUT, "--engine", "oracle", error=("oracle",)),
    bad(
        "verify-public-key-garbage",
        "verify",
        OUT,
        "--public-key",
        "{tmp}/k.pub",
        files={"k.pub": "garbage"},
        error=("{tmp}/k.pub", "cannot read the public key"),
    ),
    bad(
        "explain-unknown-rule",
        "explain",
        "NAMD",
        "--record",
        "R001",
        "--audit",
        OUT,
        error=("NAMD", "NAMED"),
    ),
    bad(
        "explain-unknown-record",
        "explain",
        "NAMED",
        "--record",
        "R999",
        "--audit",
        OUT,
        error=("R999",),
    ),
    bad(
        "sample-unknown-rule",
        "sample",
        "NAMD",
        "--audit",
        OUT,
        "--seed",
        "1",
        "--size",
        "3",
        error=("NAMD",),
    ),
    bad(
        "sample-aql-out-of-range",
        "sample",
        "NAMED",
        "--audit",
        OUT,
        "--seed",
        "1",
        "--plan",
        "iso2859-1",
        "--aql",
        "50",
        error=("50",),
    ),
    bad(
        "sample-aql-garbage",
        "sample",
        "NAMED",
        "--audit",
        OUT,
        "--seed",
        "1",
        "--plan",
        "iso2859-1",
        "--aql",
        "low",
        error=("low",),
    ),
    bad(
        "sample-size-zero",
        "sample",
        "NAMED",
        "--audit",
        OUT,
        "--seed",
        "1",
        "--size",
        "0",
        error=("0",),
    ),
    bad("sample-judge-missing", "sample", "--judge", "{tmp}/s.csv", error=("{tmp}/s.csv",)),
    bad("diff-old-missing", "diff", "{tmp}/old", OUT, error=("{tmp}/old",)),
    # capa and waivers
    bad(
        "capa-show-unknown-id",
        "capa",
        "show",
        "CAPA-2026-9999",
        "--register",
        REG,
        error=("CAPA-2026-9999",),
    ),
    bad(
        "capa-list-register-missing",
        "capa",
        "list",
        "--register",
        "{tmp}/none.db",
        error=("{tmp}/none.db",),
    ),
    bad(
        "capa-update-impossible-due-date",
        "capa",
        "update",
        "CAPA-2026-0001",
        "--by",
        "li",
        "--action",
        "retrain",
        "--owner",
        "lead",
        "--due",
        "2026-02-30",
        "--register",
        REG,
        error=("2026-02-30",),
    ),
    bad(
        "capa-update-unknown-status",
        "capa",
        "update",
        "CAPA-2026-0001",
        "--by",
        "li",
        "--status",
        "finished",
        "--register",
        REG,
        error=("finished",),
    ),
    bad(
        "capa-update-done-action-that-is-not-there",
        "capa",
        "update",
        "CAPA-2026-0001",
        "--by",
        "li",
        "--done",
        "7",
        "--register",
        REG,
        error=("7",),
    ),
    bad(
        "capa-update-by-a-blank",
        "capa",
        "update",
        "CAPA-2026-0001",
        "--by",
        "  ",
        "--root-cause",
        "x",
        "--register",
        REG,
        error=("--by", "blank"),
    ),
    bad(
        "capa-accept-unknown-id",
        "capa",
        "accept",
        "CAPA-1-1",
        "--by",
        "x",
        "--register",
        REG,
        error=("CAPA-1-1",),
    ),
    bad(
        "capa-verify-evidence-missing",
        "capa",
        "verify",
        "CAPA-2026-0001",
        "--evidence",
        "{tmp}/none",
        "--pack",
        ROUNDTRIP,
        "--by",
        "x",
        "--register",
        REG,
        error=("{tmp}/none",),
    ),
    bad(
        "capa-export-out-under-a-regular-file",
        "capa",
        "export",
        "--format",
        "csv",
        "--out",
        "{tmp}/afile/c.csv",
        "--register",
        REG,
        files=BLOCK,
        error=("{tmp}/afile",),
    ),
    bad(
        "waiver-until-more-than-a-year-out",
        "waiver",
        "add",
        "--rule",
        "NAMED",
        "--reason",
        "r",
        "--risk",
        "low",
        "--requested-by",
        "a",
        "--approved-by",
        "b",
        "--until",
        "2099-01-01",
        "--register",
        REG,
        error=("2099-01-01",),
    ),
    bad(
        "waiver-from-garbage",
        "waiver",
        "add",
        "--rule",
        "NAMED",
        "--reason",
        "r",
        "--risk",
        "low",
        "--requested-by",
        "a",
        "--approved-by",
        "b",
        "--from",
        "someday",
        "--until",
        "2027-01-01",
        "--register",
        REG,
        error=("someday",),
    ),
    bad(
        "waiver-approved-by-the-requester",
        "waiver",
        "add",
        "--rule",
        "NAMED",
        "--reason",
        "r",
        "--risk",
        "low",
        "--requested-by",
        "a",
        "--approved-by",
        "a",
        "--until",
        "2027-01-01",
        "--register",
        REG,
    ),
    bad(
        "waiver-requested-by-a-blank",
        "waiver",
        "add",
        "--rule",
        "NAMED",
        "--reason",
        "r",
        "--risk",
        "low",
        "--requested-by",
        "",
        "--approved-by",
        "b",
        "--until",
        "2027-01-01",
        "--register",
        REG,
        error=("--requested-by", "blank"),
    ),
    bad(
        "waiver-revoke-unknown-id",
        "waiver",
        "revoke",
        "WAIVER-0",
        "--by",
        "x",
        "--register",
        REG,
        error=("WAIVER-0",),
    ),
    # watch / keygen
    bad(
        "watch-input-missing",
        "watch",
        ROUNDTRIP,
        "--input",
        "{tmp}/none.jsonl",
        error=("{tmp}/none.jsonl",),
    ),
    bad(
        "keygen-out-under-a-regular-file",
        "keygen",
        "--out",
        "{tmp}/afile/key",
        files=BLOCK,
        error=("{tmp}/afile",),
    ),
    bad("unknown-command", "audti", error=("audit",)),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_cli_arguments(case: Case, tmp_path, small_audit) -> None:
    run_case(case, tmp_path, small_audit)


def unreadable(relative: str):
    """A setup taking read permission from a file of the copied audit (or of the case)."""

    def setup(tmp) -> None:
        (tmp / relative).chmod(0)

    return setup


#: permissions do not stop root (CI runs tests as root): these run only for another user
UNREADABLE = [
    Case("unreadable-evidence-file", ("evidence", "ingest", EV, "--pack", ROUNDTRIP, "--store",
         "{tmp}/s.db"), setup=unreadable("audit/evidence/records.csv"), exit=2,
         error=("{audit}/evidence/records.csv",), store="s.db", stored=0),
    Case("unreadable-pack", ("pack", "check", "{tmp}/p.yaml"),
         files={"p.yaml": (ROOT / "tests/packs/valid-minimal.yaml").read_text(encoding="utf-8")},
         setup=unreadable("p.yaml"), exit=2, error=("{tmp}/p.yaml",)),
    Case("unreadable-findings", ("report", "render", f"{OUT}/findings.json", "--out", "{tmp}/r"),
         setup=unreadable("audit/out/findings.json"), exit=2, error=("{audit}/out/findings.json",),
         out="r", outputs=()),
    Case("unreadable-register", ("capa", "list", "--register", REG),
         setup=unreadable("audit/register.db"), exit=2, error=(REG,)),
]  # fmt: skip


@pytest.mark.parametrize("case", UNREADABLE, ids=case_ids(UNREADABLE))
def test_unreadable_files(case: Case, tmp_path, small_audit, monkeypatch) -> None:
    """As another user; when the tests run as root (CI), the command runs with the effective
    user and group of ``nobody`` (root reads any file), in a folder that user may write in."""
    if os.geteuid() != 0:
        run_case(case, tmp_path, small_audit)
        return
    import pwd
    import tempfile

    from . import conftest

    nobody = pwd.getpwnam("nobody")
    original = conftest.invoke

    def as_nobody(*args, **kwargs):
        os.setegid(nobody.pw_gid)
        os.seteuid(nobody.pw_uid)
        try:
            return original(*args, **kwargs)
        finally:
            os.seteuid(0)
            os.setegid(0)

    def opened_up(tmp: Path) -> None:  # the copied audit readable by anyone, as a user's is
        for path in tmp.rglob("*"):
            path.chmod(0o777 if path.is_dir() else 0o644)
        assert case.setup is not None
        case.setup(tmp)

    monkeypatch.setattr(conftest, "invoke", as_nobody)
    base = Path(tempfile.mkdtemp(prefix="unreadable-", dir="/tmp"))
    try:
        base.chmod(0o777)
        run_case(dataclasses.replace(case, setup=opened_up), base, small_audit)
    finally:
        shutil.rmtree(base, ignore_errors=True)
