"""The hostile-input corpus's one case runner: a command, the files it reads, what must come out.

Every case states its exit code, and for an error what the one line on stderr names. The
runner checks the rest for every case alike: no traceback and no "internal error" anywhere;
every store the command left has read == stored + quarantined per file (counted from the
store's own tables, not from its manifest alone); no 0-byte file; and an output folder holds
either nothing or exactly the set the case names.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ..conftest import ROOT, RULES, TEST_PACKS

__all__ = ["ROOT", "RULES", "TEST_PACKS", "Case", "Outcome", "case_ids", "run_case"]

ROUNDTRIP = str(TEST_PACKS / "roundtrip.yaml")
HEADER = "record_id,name,count,at\n"


@dataclass(frozen=True)
class Case:
    """One hostile input and what must come of it.

    ``args`` and the strings in ``error`` may hold ``{tmp}`` (the case's folder), ``{root}``
    (the checkout) and ``{audit}`` (a copy of the small audit, see :func:`small_audit_folder`). ``files`` are written under ``{tmp}`` first (text as UTF-8,
    exactly as given); ``setup`` then runs with the folder for anything else.
    """

    id: str
    args: tuple[str, ...]
    files: Mapping[str, bytes | str] = field(default_factory=dict)  # written under {tmp}
    exit: int = 0
    error: tuple[str, ...] = ()  # substrings of the first stderr line (exit 2)
    lines: int = 1  # error lines: more only where one mistake is really two problems
    store: str | None = None  # the store to check, relative to {tmp}
    stored: int | None = None  # rows stored in it, over every file
    quarantined: int | None = None
    reasons: tuple[str, ...] = ()  # each a substring of some quarantine reason
    values: tuple[str, str, tuple[Any, ...]] | None = None  # table, column, values by line
    out: str | None = None  # an output folder, relative to {tmp}
    outputs: tuple[str, ...] | None = None  # exactly the files in it (None: not checked)
    stdin: bytes | None = None
    stdout: tuple[str, ...] = ()  # substrings of stdout
    stderr: tuple[str, ...] = ()  # substrings of stderr (counts and reasons of a run that works)
    setup: Callable[[Path], None] | None = None
    subprocess: bool = False  # run as a process (signals, real stdin bytes)


@pytest.fixture(scope="session")
def small_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_audit_folder(tmp_path_factory.mktemp("small-audit"))


@dataclass
class Outcome:
    exit: int
    stdout: str
    stderr: str
    tmp: Path


def case_ids(cases: list[Case]) -> list[str]:
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return ids


def _fill(text: str, tmp: Path) -> str:
    """``{tmp}``, ``{root}`` and ``{audit}`` (the copy of the small audit, under ``{tmp}/audit``)."""
    return (
        text.replace("{tmp}", str(tmp))
        .replace("{root}", str(ROOT))
        .replace("{audit}", f"{tmp}/audit")
    )


def write_files(tmp: Path, files: Mapping[str, bytes | str]) -> None:
    for name, data in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_bytes(data.encode("utf-8"))
        else:
            path.write_bytes(data)


def invoke(
    args: list[str], stdin: bytes | None = None, as_process: bool = False
) -> tuple[int, str, str]:
    """Run the CLI: in-process with click's runner, or as ``python -m auditor``."""
    if as_process:
        env = {k: v for k, v in os.environ.items() if k != "AUDITOR_DEBUG"}
        done = subprocess.run(
            [sys.executable, "-m", "auditor", *args],
            input=stdin,
            capture_output=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        return (
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
        )
    from auditor.cli import main

    result = CliRunner().invoke(main, args, input=stdin, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a bug the CLI let through: show where
    return result.exit_code, result.stdout, result.stderr


def run_case(case: Case, tmp: Path, audit: Path | None = None) -> Outcome:
    """Run ``case`` in ``tmp``; ``audit``: a small audit folder copied to ``{tmp}/audit`` first."""
    if audit is not None:
        shutil.copytree(audit, tmp / "audit")
    write_files(tmp, case.files)
    if case.setup is not None:
        case.setup(tmp)
    before = {p for p in tmp.rglob("*") if p.is_file()}
    args = [_fill(a, tmp) for a in case.args]
    code, out, err = invoke(args, case.stdin, case.subprocess)
    outcome = Outcome(code, out, err, tmp)
    said = f"exit {code}\n--- stdout\n{out[-3000:]}\n--- stderr\n{err[-3000:]}"
    assert "Traceback" not in out + err, said
    assert "internal error" not in out + err, said
    assert not re.search(r"\w+Warning: ", err), said  # a library's warning is not for the user
    assert code == case.exit, said
    if case.exit == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == case.lines, said
        assert all(line.startswith("error: ") for line in lines), said
        for part in case.error:
            assert _fill(part, tmp) in lines[0], f"{part!r} not in the error line\n{said}"
    for part in case.stdout:
        assert _fill(part, tmp) in out, f"{part!r} not in stdout\n{said}"
    for part in case.stderr:
        assert _fill(part, tmp) in err, f"{part!r} not in stderr\n{said}"
    for path in tmp.rglob("*"):
        if path.is_file() and path not in before:
            assert path.stat().st_size > 0, f"0-byte file left: {path}"
    if case.store is not None:
        check_store(case, tmp / case.store)
    if case.out is not None and case.outputs is not None:
        folder = tmp / case.out
        if folder.is_file():
            found = [folder.name]
        elif folder.exists():
            found = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        else:
            found = []
        assert found == sorted(case.outputs), said
    return outcome


def store_rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def check_store(case: Case, path: Path) -> None:
    """read == stored + quarantined for every file, counted from the kind tables and the quarantine."""
    assert path.exists(), f"no store at {path}"
    files = store_rows(path, "SELECT id, kind, rows_read, stored, quarantined FROM _manifest")
    stored = quarantined = 0
    for source, kind, read, kept, put_aside in files:
        assert read == kept + put_aside, (source, read, kept, put_aside)
        if kind is not None:
            rows = store_rows(path, f'SELECT COUNT(*) FROM "{kind}" WHERE _source = ?', source)
            assert rows[0][0] == kept, (kind, source, rows, kept)
        aside = store_rows(
            path, "SELECT COUNT(DISTINCT line) FROM _quarantine WHERE source = ?", source
        )
        assert aside[0][0] == put_aside, (source, aside, put_aside)
        stored += kept
        quarantined += put_aside
    if case.stored is not None:
        assert stored == case.stored
    if case.quarantined is not None:
        assert quarantined == case.quarantined
    reasons = [r[0] for r in store_rows(path, "SELECT reason FROM _quarantine")]
    for reason in reasons:
        assert reason and "\n" not in reason, reason
    for part in case.reasons:
        assert any(part in r for r in reasons), f"{part!r} not among {reasons}"
    if case.values is not None:
        table, column, expected = case.values
        got = store_rows(path, f'SELECT "{column}" FROM "{table}" ORDER BY _source, _line')
        assert tuple(r[0] for r in got) == tuple(expected), got


def small_audit_folder(base: Path) -> Path:
    """An audit of 40 records (10 without a name: rule NAMED nonconform) with its CAPA register.

    ``base/evidence/records.csv``, ``base/out/`` (findings.json, report.html, capa.csv, the
    failing records, evidence.db) and ``base/register.db`` holding CAPA-2026-0001.
    """
    evidence = base / "evidence"
    evidence.mkdir(parents=True)
    rows = [HEADER] + [
        f"R{i:03d},{'' if i % 4 == 0 else 'n'},{i},2026-07-{1 + i % 28:02d} 10:00\n"
        for i in range(40)
    ]
    (evidence / "records.csv").write_text("".join(rows), encoding="utf-8")
    code, _, err = invoke(
        ["audit", ROUNDTRIP, str(evidence), "--period", "2026-07", "--out", str(base / "out"),
         "--fail-on", "never", "--format", "json,html,csv", "--register", str(base / "register.db")]
    )  # fmt: skip
    assert code == 0, err
    return base
