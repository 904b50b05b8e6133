"""Commands stopped by a signal, or starved of room: one line, and nothing half-written.

Every case runs the real command line (``python -m auditor``) in a subprocess:

- SIGINT and SIGTERM after seeded random delays, so that they land while the
  evidence is read and stored, while the rules run, while WeasyPrint lays out
  the PDF, while the register is written: exit 130 / 143, one line on stderr,
  no traceback; the outputs are the earlier complete set (every file as it
  was) or a complete new one (every file new), never a mix; the evidence store
  passes ``PRAGMA integrity_check`` and every file in its manifest has
  read == stored + quarantined, counted in the tables themselves;
- a file-size limit (``RLIMIT_FSIZE``, SIGXFSZ ignored so that a write fails
  with EFBIG) and a full filesystem (a small tmpfs, when this machine lets the
  test mount one): exit 2, one line, the same checks.

This module keeps its helpers to itself (tests/hostile has no conftest of its own).
"""

from __future__ import annotations

import hashlib
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACK = str(ROOT / "rules" / "service-quality.yaml")
DEMO = ROOT / "evidence" / "demo" / "service-quality"
SEED = 20261203
#: a CAPA action's due date: today or later is the only one taken
LATER = (date.today() + timedelta(days=60)).isoformat()
#: SIGINT and SIGTERM as bits of a /proc signal mask
STOPPING_BITS = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
STOPPED = {signal.SIGINT: 130, signal.SIGTERM: 143}


# ------------------------------------------------------------------ running the command line


def auditor(args: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        **options,  # type: ignore[call-overload]
    )


def stopped(args: list[str], signum: int, delay: float) -> subprocess.CompletedProcess[str]:
    """The command, sent ``signum`` after ``delay`` seconds (if it is still running then)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started(process.pid)
    try:
        process.wait(delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signum)
    out, err = process.communicate(timeout=180)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


#: how long a started ``python -m auditor`` may take to reach its first line
READY_SECONDS = 60.0


def started(pid: int) -> None:
    """Wait until ``python -m auditor`` ran its first line (it holds both signals from there on).

    Before that the interpreter itself is starting, and a signal kills it the
    way it kills any program; no code of the project can take it yet.
    """
    status = Path(f"/proc/{pid}/status")
    # a deadline, not a count of polls: on a loaded 2-core machine (the cases run in
    # parallel beside the rest of the suite) the interpreter took more than 4 s to start
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except (FileNotFoundError, ProcessLookupError):
            return  # already over
        held = int(fields["SigBlk"], 16) | int(fields["SigCgt"], 16)
        if held & STOPPING_BITS == STOPPING_BITS:
            return
        time.sleep(0.002)
    raise AssertionError(f"process {pid} never got ready to take a signal in {READY_SECONDS} s")


def limited(size: int) -> Callable[[], None]:
    """For ``preexec_fn``: no file may grow beyond ``size`` bytes; a write past it fails (EFBIG)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def moments(name: str, count: int, longest: float) -> list[tuple[int, float]]:
    """``count`` (signal, delay) pairs, seeded per case, both signals taken in turn."""
    rng = random.Random(f"{SEED}-{name}")
    signals = [signal.SIGINT, signal.SIGTERM]
    return [(signals[i % 2], round(rng.uniform(0, longest), 3)) for i in range(count)]


def in_parallel(jobs: list[Callable[[], None]]) -> None:
    """The jobs on two threads (each mostly waits on its subprocess); the first failure is raised."""
    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


# ------------------------------------------------------------------ what must hold afterwards


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == code, result.stderr
    assert len(lines) == 1, result.stderr
    assert words in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def assert_stopped_or_done(
    result: subprocess.CompletedProcess[str], signum: int, done: tuple[int, ...]
) -> bool:
    """True when the signal stopped the command (checked as such); False when it had finished."""
    if result.returncode in done:
        assert "Traceback" not in result.stderr
        return False
    assert_one_line(result, STOPPED[signum], "interrupted")
    return True


def digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative name -> SHA-256), hidden leftovers included."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def assert_old_or_new(folder: Path, before: dict[str, str], names: set[str]) -> str:
    """The outputs in ``folder`` are the earlier set untouched, or a whole new set; which one."""
    now = digests(folder)
    leftovers = [n for n in now if n.startswith(".") or "/." in n or n.endswith(".tmp")]
    assert not leftovers, leftovers
    if now == before:
        return "old"
    assert set(now) >= names, sorted(names - set(now))
    # the evidence store of the same evidence folder may be byte for byte the earlier one
    same = sorted(n for n in names if before.get(n) == now[n] and n != "evidence.db")
    assert not same, f"files of the earlier set beside new ones: {same}"
    return "new"


def _in_duckdb(path: Path, kind: str, source: int) -> int:
    """Rows of one file in a store that keeps its records in DuckDB, as any command opening
    the store reads them (0 when it keeps them in SQLite, or holds no such table)."""
    from auditor.backends.store import EvidenceStore

    store = EvidenceStore(path)
    try:
        tables = store.duckdb_tables
        return tables.count(kind, source) if tables is not None and tables.holds(kind) else 0
    finally:
        store.close()


def assert_store_intact(path: Path) -> int:
    """The store passes SQLite's integrity check and every manifest file balances; files listed."""
    if not path.exists():
        return 0
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "_manifest" not in tables:
            return 0
        files = db.execute(
            "SELECT id, file, kind, rows_read, stored, quarantined, status FROM _manifest"
        ).fetchall()
        for source, file, kind, read, stored, quarantined, status in files:
            assert status not in ("loading",), (file, status)
            if status == "error":
                continue
            assert read == stored + quarantined, (file, read, stored, quarantined)
            in_kind = (
                db.execute(f'SELECT COUNT(*) FROM "{kind}" WHERE _source = ?', [source]).fetchone()[
                    0
                ]
                if kind in tables
                else _in_duckdb(path, kind, source)
            )
            in_quarantine = db.execute(
                "SELECT COUNT(*) FROM _quarantine WHERE source = ?", [source]
            ).fetchone()[0]
            assert (in_kind, in_quarantine) == (stored, quarantined), file
        names = [row[1] for row in files if row[6] != "error"]
        assert len(names) == len(set(names)), "a file listed twice in the manifest"
        return len(files)
    finally:
        db.close()


def assert_register_intact(path: Path) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    check = auditor(["capa", "check", "--register", str(path)])
    assert check.returncode == 0, check.stdout + check.stderr
    assert "history intact" in check.stdout


# ------------------------------------------------------------------ shared inputs


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An audit's outputs and register (July), and a small synthesised evidence folder."""
    base = tmp_path_factory.mktemp("faults")
    july = base / "july"
    result = auditor(
        ["audit", PACK, str(DEMO), "--period", "2026-07", "--out", str(july),
         "--register", str(base / "capa.db")]
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    small = base / "small"
    result = auditor(["evidence", "synth", "--pack", PACK, "--records", "300", "--out", str(small)])
    assert result.returncode == 0, result.stderr
    q3 = base / "q3.db"
    result = auditor(["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(q3)])
    assert result.returncode == 0, result.stderr
    return {"base": base, "july": july, "register": base / "capa.db", "small": small, "q3": q3}


AUDIT_NAMES = {
    "findings.json", "report.html", "report.pdf", "capa.csv", "capa.xlsx",
    "failing-records.csv", "failing-records.parquet", "evidence.db",
}  # fmt: skip


@contextmanager
def copy_of(folder: Path) -> Iterator[Path]:
    target = Path(tempfile.mkdtemp(prefix="faults-")) / folder.name
    shutil.copytree(folder, target)
    try:
        yield target
    finally:
        shutil.rmtree(target.parent, ignore_errors=True)


# ------------------------------------------------------------------ signals


def test_an_audit_stopped_keeps_the_earlier_set_whole(made: dict[str, Path]) -> None:
    """Q3 over July's outputs and register: old set or new set, register chain intact."""
    outcomes: list[str] = []

    def case(signum: int, delay: float) -> None:
        with copy_of(made["july"]) as out, copy_of(made["register"].parent) as base:
            register = base / "capa.db"
            before = digests(out)
            args = ["audit", PACK, str(DEMO), "--period", "2026-Q3", "--out", str(out),
                    "--register", str(register)]  # fmt: skip
            result = stopped(args, signum, delay)
            if assert_stopped_or_done(result, signum, (0, 1)):
                outcomes.append(assert_old_or_new(out, before, AUDIT_NAMES))
            else:
                outcomes.append("finished")
                assert assert_old_or_new(out, before, AUDIT_NAMES) == "new"
            assert_store_intact(out / "evidence.db")
            assert_register_intact(register)

    in_parallel([lambda s=s, d=d: case(s, d) for s, d in moments("audit", 6, 4.5)])
    assert "old" in outcomes, outcomes  # at least one signal landed before the outputs moved in


def test_an_ingest_stopped_leaves_every_listed_file_whole(made: dict[str, Path]) -> None:
    """Each file is one transaction: stopped, the store holds whole files only."""

    def case(signum: int, delay: float) -> None:
        with copy_of(made["small"]) as small:
            store = small.parent / "store.db"
            first = auditor(
                ["evidence", "ingest", str(small), "--pack", PACK, "--store", str(store)]
            )
            assert first.returncode == 0, first.stderr
            listed = assert_store_intact(store)
            args = ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(store)]
            result = stopped(args, signum, delay)
            assert_stopped_or_done(result, signum, (0,))
            assert assert_store_intact(store) >= listed  # the earlier files are all still there

    in_parallel([lambda s=s, d=d: case(s, d) for s, d in moments("ingest", 6, 1.5)])


def test_a_render_stopped_mid_pdf_keeps_both_pages_as_they_were(made: dict[str, Path]) -> None:
    def case(signum: int, delay: float) -> None:
        with copy_of(made["july"]) as out:
            before = {k: v for k, v in digests(out).items() if k.startswith("report.")}
            args = ["report", "render", str(out / "findings.json"), "--format", "html,pdf",
                    "--lang", "en"]  # fmt: skip
            result = stopped(args, signum, delay)
            assert_stopped_or_done(result, signum, (0,))
            now = {k: v for k, v in digests(out).items() if k.startswith("report.")}
            assert not [n for n in digests(out) if n.startswith(".")]
            # both pages old, or both new: never an English page beside a Chinese PDF
            assert now == before or not set(now.items()) & set(before.items()), (now, before)

    in_parallel([lambda s=s, d=d: case(s, d) for s, d in moments("render", 4, 2.5)])


def test_capa_commands_stopped_leave_the_register_whole(made: dict[str, Path]) -> None:
    def case(signum: int, delay: float) -> None:
        with copy_of(made["register"].parent) as base:
            register = base / "capa.db"
            db = sqlite3.connect(register)
            item, version = db.execute("SELECT id, version FROM items ORDER BY id").fetchone()
            db.close()
            args = ["capa", "update", item, "--by", "li", "--root-cause", "training gap",
                    "--action", "retrain", "--owner", "trainer", "--due", LATER,
                    "--status", "planned", "--register", str(register)]  # fmt: skip
            result = stopped(args, signum, delay)
            assert_stopped_or_done(result, signum, (0,))
            assert_register_intact(register)
            db = sqlite3.connect(register)
            row = db.execute("SELECT version, status FROM items WHERE id = ?", [item]).fetchone()
            actions = db.execute("SELECT COUNT(*) FROM actions WHERE item = ?", [item]).fetchone()
            db.close()
            # all of the update or none of it: never the action without the status
            assert (row, actions[0]) in (((version, "open"), 0), ((version + 1, "planned"), 1))

    in_parallel([lambda s=s, d=d: case(s, d) for s, d in moments("capa", 4, 0.9)])


def test_synth_and_export_stopped_keep_the_earlier_files(made: dict[str, Path]) -> None:
    def synth_case(signum: int, delay: float) -> None:
        with copy_of(made["small"]) as small:
            before = digests(small)
            args = ["evidence", "synth", "--pack", PACK, "--records", "3000", "--seed", "9",
                    "--out", str(small)]  # fmt: skip
            result = stopped(args, signum, delay)
            assert_stopped_or_done(result, signum, (0,))
            assert_old_or_new(small, before, set(before))

    def export_case(signum: int, delay: float) -> None:
        with copy_of(made["july"]) as out:
            parquet = out / "parquet"
            first = auditor(["evidence", "export", "--store", str(out / "evidence.db"),
                             "--out", str(parquet)])  # fmt: skip
            assert first.returncode == 0, first.stderr
            before = digests(parquet)
            args = ["evidence", "export", "--store", str(made["q3"]), "--out", str(parquet)]
            result = stopped(args, signum, delay)
            assert_stopped_or_done(result, signum, (0,))
            assert_old_or_new(parquet, before, set(before))

    jobs = [lambda s=s, d=d: synth_case(s, d) for s, d in moments("synth", 3, 1.2)]
    jobs += [lambda s=s, d=d: export_case(s, d) for s, d in moments("export", 3, 1.0)]
    in_parallel(jobs)


# ------------------------------------------------------------------ no room


LIMITS = [
    # (name, command builder, file-size limit in bytes)
    ("audit, store", "audit", 64 * 1024),
    ("audit, pdf", "audit", 400 * 1024),  # the store fits, the PDF does not
    ("ingest", "ingest", 48 * 1024),
    ("render", "render", 200 * 1024),
    ("capa export", "capa-export", 8 * 1024),  # below the 32 KB a WAL register needs to open
    ("capa update", "capa-update", 4 * 1024),
    ("synth", "synth", 16 * 1024),
    ("export", "export", 4 * 1024),
]


def _limited_command(what: str, made: dict[str, Path], work: Path) -> tuple[list[str], Path]:
    """The command line, and the file or folder whose earlier state must survive."""
    if what == "audit":
        out = work / "july"
        return ["audit", PACK, str(DEMO), "--period", "2026-Q3", "--out", str(out)], out
    if what == "ingest":
        return ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(work / "s.db")], (
            work / "s.db"
        )
    if what == "render":
        out = work / "july"
        return ["report", "render", str(out / "findings.json"), "--lang", "en"], out
    if what == "capa-export":
        return ["capa", "export", "--format", "xlsx", "--out", str(work / "capa.xlsx"),
                "--register", str(work / "capa.db")], work / "capa.xlsx"  # fmt: skip
    if what == "capa-update":
        return ["capa", "update", "CAPA-2026-0001", "--by", "li", "--root-cause", "x" * 5000,
                "--register", str(work / "capa.db")], work / "capa.db"  # fmt: skip
    if what == "synth":
        return ["evidence", "synth", "--pack", PACK, "--out", str(work / "small")], work / "small"
    return ["evidence", "export", "--store", str(work / "july" / "evidence.db"),
            "--out", str(work / "parquet")], work / "parquet"  # fmt: skip


@pytest.mark.parametrize(("name", "what", "size"), LIMITS, ids=[n for n, _, _ in LIMITS])
def test_a_file_size_limit_is_one_line_and_nothing_half_written(
    made: dict[str, Path], tmp_path: Path, name: str, what: str, size: int
) -> None:
    for source in ("july", "small", "register"):
        path = made[source]
        target = tmp_path / path.name
        if path.is_dir():
            shutil.copytree(path, target)
        else:
            shutil.copy2(path, target)
    args, kept = _limited_command(what, made, tmp_path)
    before = digests(kept) if kept.is_dir() else {}
    before_bytes = kept.read_bytes() if kept.is_file() else None
    result = auditor(args, preexec_fn=limited(size))
    assert_one_line(result, 2, "cannot write")
    assert "raise the limit" in result.stderr
    if kept.is_dir():
        assert digests(kept) == before
    elif what == "capa-update":
        assert_register_intact(kept)
        assert auditor(["capa", "show", "CAPA-2026-0001", "--register", str(kept)]).returncode == 0
    elif what == "ingest":
        assert_store_intact(kept)
    else:
        assert (kept.read_bytes() if kept.exists() else None) == before_bytes


@contextmanager
def small_filesystem(size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted for the test; skipped where mounting is not allowed."""
    point = Path(tempfile.mkdtemp(prefix="faults-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    ) if shutil.which("mount") else None  # fmt: skip
    if mounted is None or mounted.returncode != 0:
        point.rmdir()
        pytest.skip(
            "cannot mount a small tmpfs here (needs root); the file-size limit cases cover it"
        )
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)
        point.rmdir()


def test_a_full_filesystem_is_one_line_for_each_command_that_writes(made: dict[str, Path]) -> None:
    with small_filesystem("2m") as full:
        filler = full / "filler"

        def fill(free: int) -> None:
            """Leave ``free`` bytes of the filesystem free."""
            filler.unlink(missing_ok=True)
            room = os.statvfs(full)
            filler.write_bytes(b"\0" * (room.f_bavail * room.f_frsize - free))

        cases = [
            (["audit", PACK, str(DEMO), "--period", "2026-Q3", "--out", str(full / "out")], "out"),
            (
                ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(full / "s.db")],
                None,
            ),
            (
                [
                    "report",
                    "render",
                    str(made["july"] / "findings.json"),
                    "--out",
                    str(full / "r"),
                    "--format",
                    "html,pdf",
                ],
                "r",
            ),
            (["evidence", "synth", "--pack", PACK, "--out", str(full / "e")], "e"),
            (["evidence", "export", "--store", str(made["q3"]), "--out", str(full / "p")], "p"),
        ]
        for args, folder in cases:
            fill(48 * 1024)
            result = auditor(args)
            assert_one_line(result, 2, "cannot write")
            if folder is not None:
                assert digests(full / folder) == {}, args
            else:
                assert_store_intact(full / "s.db")
                (full / "s.db").unlink(missing_ok=True)
        # a store that fitted once, and a second ingest that finds the disk full
        filler.unlink()
        first = auditor(["evidence", "ingest", str(made["small"]), "--pack", PACK,
                         "--store", str(full / "s.db")])  # fmt: skip
        assert first.returncode == 0, first.stderr
        listed = assert_store_intact(full / "s.db")
        fill(32 * 1024)
        result = auditor(["evidence", "ingest", str(DEMO), "--pack", PACK,
                          "--store", str(full / "s.db")])  # fmt: skip
        assert_one_line(result, 2, "cannot write")
        assert assert_store_intact(full / "s.db") == listed


def test_the_helpers_tell_a_mixed_set_from_a_whole_one(tmp_path: Path) -> None:
    """The checks above can fail: a folder half old, half new is caught."""
    (tmp_path / "a").write_text("1")
    (tmp_path / "b").write_text("1")
    before = digests(tmp_path)
    (tmp_path / "a").write_text("2")
    with pytest.raises(AssertionError, match="earlier set beside new ones"):
        assert_old_or_new(tmp_path, before, {"a", "b"})
    (tmp_path / "b").write_text("2")
    assert assert_old_or_new(tmp_path, before, {"a", "b"}) == "new"
    (tmp_path / ".a.tmp").write_text("")
    with pytest.raises(AssertionError):
        assert_old_or_new(tmp_path, before, {"a", "b"})


def test_a_capa_update_refused_half_way_adds_no_action(made: dict[str, Path]) -> None:
    """An action, then a conflict or a move the lifecycle refuses: the action is not kept either."""
    with copy_of(made["register"].parent) as base:
        register = base / "capa.db"
        action = ["--action", "retrain", "--owner", "trainer", "--due", LATER]
        for refusal in (["--version", "7"], ["--status", "verified-effective"]):
            args = ["capa", "update", "CAPA-2026-0001", "--by", "li", *action, *refusal,
                    "--register", str(register)]  # fmt: skip
            result = auditor(args)
            assert_one_line(result, 2, "CAPA-2026-0001")
            db = sqlite3.connect(register)
            kept = db.execute("SELECT COUNT(*) FROM actions").fetchone()[0]
            logged = db.execute("SELECT COUNT(*) FROM history WHERE field LIKE 'action%'")
            assert (kept, logged.fetchone()[0]) == (0, 0), refusal
            db.close()
        assert_register_intact(register)


#: run at interpreter start-up (``sitecustomize``): Ctrl-C arrives just as the ingest's
#: storing thread has started, while the main thread still waits inside Thread.start()
_STOP_AS_THE_STORE_THREAD_STARTS = """
import os, signal, threading
_start = threading.Thread.start
def start(self):
    _start(self)
    if self.name.startswith("auditor-store") and not getattr(start, "sent", False):
        start.sent = True
        os.kill(os.getpid(), signal.SIGINT)
threading.Thread.start = start
"""


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_ctrl_c_as_the_storing_thread_starts_waits_for_its_batch(
    tmp_path: Path, engine: str
) -> None:
    """Taken inside the executor's submit, the signal once left a batch that nothing waited
    for: it was stored while the transaction rolled back and the connection closed (SQLite:
    a segmentation fault in some runs; DuckDB: "connection is busy", an internal error)."""
    demo = DEMO / "interactions-2026Q3.csv"
    header = demo.read_bytes().decode("gb18030").splitlines()[0]
    folder = tmp_path / "evidence"
    folder.mkdir()
    with (folder / "interactions.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n")
        for n in range(60_000):
            start = f"2026-07-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}"
            handle.write(f"B{n:07d},phone,SH,SH-A{n % 40:02d},{start}:00,{start}:20,{start}:50\n")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_STOP_AS_THE_STORE_THREAD_STARTS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)])}
    for attempt in range(4):
        store = tmp_path / f"store-{attempt}.db"
        result = auditor(
            ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store),
             "--engine", engine],
            env=env,
        )  # fmt: skip
        assert_one_line(result, 130, "interrupted")
        assert assert_store_intact(store) == 0  # the file rolled back whole


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_column_wise_ingest_stopped_leaves_the_store_whole(tmp_path: Path, engine: str) -> None:
    """A large plain CSV is read column-wise and stored one batch behind on a second thread:
    stopped anywhere, the file is in the store whole or not at all, and the store is sound
    (for DuckDB, with its records in DuckDB beside it, as the next command reads them)."""
    demo = DEMO / "interactions-2026Q3.csv"
    header = demo.read_bytes().decode("gb18030").splitlines()[0]
    big = tmp_path / "evidence" / "interactions-big.csv"
    big.parent.mkdir()
    rng = random.Random(SEED)
    with big.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n")
        for n in range(150_000):
            second = rng.randrange(86400 * 90)
            day, rest = divmod(second, 86400)
            start = f"2026-07-{1 + day % 28:02d} {rest // 3600:02d}:{rest % 3600 // 60:02d}"
            handle.write(f"B{n:07d},phone,SH,SH-A{n % 40:02d},{start}:00,{start}:20,{start}:50\n")
    assert big.stat().st_size > 8_000_000

    outcomes: list[int] = []

    def case(signum: int, delay: float) -> None:
        with tempfile.TemporaryDirectory() as work:
            store = Path(work) / "store.db"
            args = ["evidence", "ingest", str(big.parent), "--pack", PACK, "--store", str(store)]
            result = stopped([*args, "--engine", engine], signum, delay)
            assert_stopped_or_done(result, signum, (0,))
            outcomes.append(result.returncode)
            listed = assert_store_intact(store)
            if result.returncode == 0:
                assert listed == 1
                db = sqlite3.connect(store)
                stored = db.execute("SELECT id, stored FROM _manifest").fetchall()
                db.close()
                assert stored == [(1, 150_000)]
                in_sqlite = _in_duckdb(store, "interactions", 1) == 0
                assert in_sqlite == (engine == "sqlite")

    # the whole command takes about a second here; the file is read in its second half
    rng = random.Random(f"{SEED}-columnar")
    signals = [signal.SIGINT, signal.SIGTERM] * 4
    moments_ = [(signum, round(rng.uniform(0.4, 1.0), 3)) for signum in signals]
    in_parallel([lambda s=s, d=d: case(s, d) for s, d in moments_])
    assert any(code in (130, 143) for code in outcomes), outcomes
