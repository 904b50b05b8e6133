"""Damaged outputs read back: findings.json and the CAPA register as report render, verify,
diff, sample, explain and audit --previous meet them; an earlier run's outputs in --out; and
outputs asked for in a folder the system does not let anyone write to."""

from __future__ import annotations

import errno
import json
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROUNDTRIP, Case, case_ids, run_case

FINDINGS = "{audit}/out/findings.json"
REG = "{audit}/register.db"


def edit(change: Callable[[dict], None]) -> Callable[[Path], None]:
    """A setup that changes the copied audit's findings.json as JSON."""

    def setup(tmp: Path) -> None:
        path = tmp / "audit/out/findings.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")

    return setup


def replace_with(data: bytes | Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        path = tmp / "audit/out/findings.json"
        path.write_bytes(data(path.read_bytes()) if callable(data) else data)

    return setup


def drop(*keys: str | int) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        node: object = data
        for key in keys[:-1]:
            node = node[key]  # type: ignore[index]
        del node[keys[-1]]  # type: ignore[index, attr-defined]

    return change


def put(value: object, *keys: str | int) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        node: object = data
        for key in keys[:-1]:
            node = node[key]  # type: ignore[index]
        node[keys[-1]] = value  # type: ignore[index]

    return change


DAMAGE: dict[str, Callable[[Path], None]] = {
    "missing-rules": edit(drop("rules")),
    "missing-a-verdict": edit(drop("rules", 0, "verdict")),
    "rules-is-a-text": edit(put("many", "rules")),
    "rows-read-is-a-text": edit(put("forty", "summary", "rows_read")),
    "verdict-unknown": edit(put("splendid", "rules", 0, "verdict")),
    "schema-version-from-the-future": edit(put("99.0", "schema_version")),
    "truncated": replace_with(lambda b: b[: len(b) // 2]),
    "not-json": replace_with(b"this is not JSON\n"),
    "empty": replace_with(b""),
    "binary": replace_with(bytes(range(256)) * 8),
    "a-list": replace_with(b"[]"),
    "nested-100000-deep": replace_with(b'{"rules": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "nan-for-a-number": replace_with(
        lambda b: b.replace(b'"rows_read": 40', b'"rows_read": NaN', 1)
    ),
    "huge-unknown-field": edit(put("x" * 30_000_000, "padding")),
}


def reader(command: str, args: tuple[str, ...], damages: list[str], **more) -> list[Case]:
    return [
        Case(id=f"{command}-{name}", args=args, setup=DAMAGE[name], exit=2,
             error=more.get("error", ("{audit}/out/findings.json",)),
             out=more.get("out"), outputs=more.get("outputs"))
        for name in damages
    ]  # fmt: skip


RENDER = ("report", "render", FINDINGS, "--format", "html", "--out", "{tmp}/r")
EVERY = list(DAMAGE)
FINDINGS_CASES = (
    reader("render", RENDER, EVERY, out="r", outputs=())
    + reader("diff", ("diff", "{audit}/out", FINDINGS), ["missing-rules", "truncated", "a-list",
                                                        "nested-100000-deep", "verdict-unknown"])
    + reader("sample", ("sample", "NAMED", "--audit", "{audit}/out", "--size", "3", "--seed", "1",
                        "--out", "{tmp}/s.csv"), ["missing-rules", "truncated", "not-json"],
             out="s.csv", outputs=())
    + reader("explain", ("explain", "NAMED", "--record", "R000", "--audit", "{audit}/out"),
             ["missing-rules", "truncated", "binary"])
    + reader("verify", ("verify", "{audit}/out"), ["truncated", "rules-is-a-text", "empty"])
    + reader("previous", ("audit", ROUNDTRIP, "{audit}/evidence", "--period", "2026-07", "--out",
                          "{tmp}/new", "--format", "json,html", "--fail-on", "never",
                          "--previous", FINDINGS), ["truncated", "missing-a-verdict"],
             out="new", outputs=())
)  # fmt: skip


def garbage_register(tmp: Path) -> None:
    (tmp / "audit/register.db").write_bytes(b"not a database at all\n" * 500)


def evidence_as_register(tmp: Path) -> None:
    (tmp / "audit/register.db").write_bytes((tmp / "audit/out/evidence.db").read_bytes())


def truncated_register(tmp: Path) -> None:
    path = tmp / "audit/register.db"
    path.write_bytes(path.read_bytes()[:4096])


def tampered_history(tmp: Path) -> None:
    db = sqlite3.connect(tmp / "audit/register.db")
    db.execute("UPDATE history SET new = 'rewritten' WHERE seq = 1")
    db.commit()
    db.close()


REGISTER_CASES = [
    Case("register-history-rewritten", ("capa", "check", "--register", REG),
         setup=tampered_history, exit=1, stdout=("history row 1", "changed outside the tool")),
    Case("register-garbage-capa-list", ("capa", "list", "--register", REG), setup=garbage_register,
         exit=2, error=(REG,)),
    Case("register-garbage-render", (*RENDER, "--register", REG), setup=garbage_register, exit=2,
         error=(REG,), out="r", outputs=()),
    Case("register-is-an-evidence-store", ("capa", "list", "--register", REG),
         setup=evidence_as_register, exit=2, error=(REG,)),
    Case("register-truncated-capa-check", ("capa", "check", "--register", REG),
         setup=truncated_register, exit=2, error=(REG,)),
    Case("register-garbage-audit", ("audit", ROUNDTRIP, "{audit}/evidence", "--period", "2026-07",
         "--out", "{tmp}/new", "--format", "json", "--fail-on", "never", "--register", REG),
         setup=garbage_register, exit=2, error=(REG,), out="new", outputs=()),
]  # fmt: skip

STALE = {
    name: "from an earlier run\n"
    for name in ("report.pdf", "capa.xlsx", "junit.xml", "assessment-results.json",
                 "findings.json.sig", "report.html", "failing-records.csv")
}  # fmt: skip
AUDIT = ("audit", ROUNDTRIP, "{audit}/evidence", "--period", "2026-07", "--out", "{tmp}/o",
         "--fail-on", "never")  # fmt: skip
NEW_SET = ("findings.json", "failing-records.csv", "failing-records.parquet", "evidence.db")

STALE_CASES = [
    Case("stale-outputs-replaced-by-a-json-only-audit", (*AUDIT, "--format", "json"),
         files={f"o/{k}": v for k, v in STALE.items()}, out="o", outputs=NEW_SET),
    Case("stale-outputs-and-a-file-of-the-users", (*AUDIT, "--format", "json,csv"),
         files={"o/notes.txt": "mine\n", "o/report.html": "old\n"}, out="o",
         outputs=(*NEW_SET, "capa.csv", "notes.txt")),
    Case("stale-outputs-kept-whole-when-the-audit-fails", (*AUDIT, "--format", "json",
         "--period", "2031-01"), files={f"o/{k}": v for k, v in STALE.items()}, exit=2,
         error=("2031-01",), out="o", outputs=tuple(STALE)),
    Case("stale-findings-without-report-after-failure", (*AUDIT, "--format", "json,html",
         "--engine", "oracle"), files={"o/findings.json": "{}\n"}, exit=2, error=("oracle",),
         out="o", outputs=("findings.json",)),
]  # fmt: skip

SPECIAL_CASES = [
    Case("render-dev-zero", ("report", "render", "/dev/zero", "--out", "{tmp}/r"), exit=2,
         error=("/dev/zero", "not a regular file"), out="r", outputs=()),
    Case("diff-dev-zero", ("diff", "/dev/zero", "{audit}/out"), exit=2,
         error=("/dev/zero", "not a regular file")),
]  # fmt: skip

CASES = SPECIAL_CASES + FINDINGS_CASES + REGISTER_CASES + STALE_CASES


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_outputs(case: Case, tmp_path, small_audit) -> None:
    run_case(case, tmp_path, small_audit)


#: a folder no one may write into, root included: sysfs makes no file or folder on request
UNWRITABLE = "/sys/fs"
REFUSED_FOLDER = (
    f"{UNWRITABLE}: cannot write outputs here: ",
    "; give --out a folder you can write to",
)


def refused_file(name: str) -> tuple[str, str]:
    return f"{UNWRITABLE}/{name}: cannot write here: ", "; give a path in a folder you can write to"


REFUSED_CASES = [
    Case("refused-audit", ("audit", ROUNDTRIP, "{audit}/evidence", "--period", "2026-07",
         "--out", UNWRITABLE, "--format", "json,html,csv,junit,oscal", "--fail-on", "never"),
         exit=2, error=REFUSED_FOLDER),
    Case("refused-render", ("report", "render", FINDINGS, "--format", "html,csv",
         "--out", UNWRITABLE), exit=2, error=REFUSED_FOLDER),
    Case("refused-evidence-export", ("evidence", "export", "--store", "{audit}/out/evidence.db",
         "--out", UNWRITABLE), exit=2, error=REFUSED_FOLDER),
    Case("refused-evidence-synth", ("evidence", "synth", "--pack", ROUNDTRIP,
         "--out", UNWRITABLE), exit=2, error=REFUSED_FOLDER),
    *[Case(f"refused-capa-export-{kind}", ("capa", "export", "--format", kind,
           "--out", f"{UNWRITABLE}/capa.{kind}", "--register", REG), exit=2,
           error=refused_file(f"capa.{kind}")) for kind in ("csv", "xlsx", "oscal")],
    Case("refused-sample", ("sample", "NAMED", "--audit", "{audit}/out", "--size", "3",
         "--seed", "1", "--out", f"{UNWRITABLE}/s.csv"), exit=2, error=refused_file("s.json")),
    Case("refused-keygen", ("keygen", "--out", f"{UNWRITABLE}/key"), exit=2,
         error=refused_file("key")),
]  # fmt: skip


def _refuses_writes(folder: str) -> bool:
    try:
        Path(tempfile.mkdtemp(dir=folder)).rmdir()
    except OSError as exc:
        return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    return False


@pytest.mark.parametrize("case", REFUSED_CASES, ids=case_ids(REFUSED_CASES))
def test_an_output_the_system_refuses_is_one_line(case: Case, tmp_path, small_audit, monkeypatch):
    """Exit 2 and one line naming the place and what to do, not an internal error (with its
    traceback saved to a file, here looked for in a temporary folder of the test's own)."""
    if not _refuses_writes(UNWRITABLE):
        pytest.skip(f"{UNWRITABLE} takes new files here (not Linux's sysfs)")
    saved = tmp_path / "temporary"
    saved.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(saved))
    run_case(case, tmp_path / "case", small_audit)
    assert list(saved.iterdir()) == []
