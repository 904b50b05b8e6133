"""Several commands on one store, one register or one output folder at the same moment.

Each worker is a real process (forked from the test, so that it starts in
milliseconds) running the command line's ``main`` with its own connection; its
stdout and stderr go to files and its exit code is what ``main`` exits with.
The workers wait on one event and start together.

- ingests into one store (the same folder twice or three times; different
  folders): every file is listed once in the manifest, every row is stored
  once (the same keys as one ingest alone), no "database is locked", no
  internal error; repeated 20 times;
- ``capa update`` on one register: changes to different fields all land
  (none lost), with ``--version`` one wins and the others get one clear
  line; actions added at once get distinct numbers; three audits recorded
  into a new register at once each land once; the history chain stays intact;
- two audits into the same ``--out``: one complete set (every file from one
  of the two runs), never a mix.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACK = str(ROOT / "rules" / "service-quality.yaml")
DEMO = ROOT / "evidence" / "demo" / "service-quality"
FORK = multiprocessing.get_context("fork")
REPEATS = 20


def _worker(args: list[str], log: str, start: Any) -> None:
    from auditor.cli import main

    for fd, suffix in ((1, ".out"), (2, ".err")):  # the test's capture replaced both: undo it
        handle = os.open(log + suffix, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    start.wait()
    try:
        main(args, prog_name="auditor")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def at_once(commands: list[list[str]], logs: Path) -> list[tuple[int, str, str]]:
    """Run the commands in as many processes, started together; (exit code, stdout, stderr) each."""
    logs.mkdir(parents=True, exist_ok=True)
    start = FORK.Event()
    workers = [
        FORK.Process(target=_worker, args=(args, str(logs / str(n)), start))
        for n, args in enumerate(commands)
    ]
    for worker in workers:
        worker.start()
    start.set()
    results = []
    for n, worker in enumerate(workers):
        worker.join(120)
        assert worker.exitcode is not None, "a worker hung"
        out = (logs / f"{n}.out").read_text(encoding="utf-8")
        err = (logs / f"{n}.err").read_text(encoding="utf-8")
        results.append((worker.exitcode, out, err))
    return results


def assert_clean(results: list[tuple[int, str, str]], allowed: tuple[int, ...] = (0,)) -> None:
    for code, out, err in results:
        assert code in allowed, err
        assert "Traceback" not in out + err
        assert "internal error" not in err
        assert "locked" not in err, err


@pytest.fixture(autouse=True)
def _imported() -> None:
    """The command line imported once before forking (each worker then starts at once)."""
    import auditor.cli
    import auditor.ingest
    import auditor.pack
    import auditor.register  # noqa: F401


# ------------------------------------------------------------------ ingest


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Small evidence in three folders (distinct files), and what one ingest alone stores."""
    from auditor.cli import main

    base = tmp_path_factory.mktemp("concurrent")
    small = base / "small"
    with pytest.raises(SystemExit) as done:
        main(["evidence", "synth", "--pack", PACK, "--records", "60", "--out", str(small)])
    assert done.value.code == 0
    files = sorted(small.iterdir())
    parts = [base / f"part{n}" for n in range(3)]
    for n, path in enumerate(files):
        parts[n % 3].mkdir(exist_ok=True)
        shutil.copy2(path, parts[n % 3] / path.name)
    alone = base / "alone.db"
    with pytest.raises(SystemExit) as done:
        main(["evidence", "ingest", str(small), "--pack", PACK, "--store", str(alone)])
    assert done.value.code == 0
    return {"small": small, "parts": parts, "alone": contents(alone), "files": len(files)}


def contents(store: Path) -> dict[str, Any]:
    """What a store holds, by file name: its counts, its stored keys' rows, its quarantine."""
    db = sqlite3.connect(store)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        manifest = db.execute(
            "SELECT id, file, kind, rows_read, stored, quarantined, status FROM _manifest"
        ).fetchall()
        names = [Path(row[1]).name for row in manifest]
        assert len(names) == len(set(names)), Counter(names).most_common(2)
        held: dict[str, Any] = {}
        for source, file, kind, read, stored, quarantined, status in manifest:
            assert read == stored + quarantined, file
            columns = [c[1] for c in db.execute(f'PRAGMA table_info("{kind}")')]
            rows = sorted(
                json.dumps(row[:-2], default=str)
                for row in db.execute(f'SELECT * FROM "{kind}" WHERE _source = ?', [source])
            )
            assert columns[-2:] == ["_source", "_line"]
            lost = db.execute("SELECT COUNT(*) FROM _quarantine WHERE source = ?", [source])
            assert len(rows) == stored and lost.fetchone()[0] == quarantined, file
            held[Path(file).name] = (kind, read, stored, quarantined, status, rows)
        return held
    finally:
        db.close()


def test_three_ingests_of_one_folder_and_of_three_folders_twenty_times(
    tmp_path: Path, folders: dict[str, Any]
) -> None:
    for run in range(REPEATS):
        same = tmp_path / f"same-{run}.db"
        command = [
            "evidence",
            "ingest",
            str(folders["small"]),
            "--pack",
            PACK,
            "--store",
            str(same),
        ]
        count = 2 if run % 2 else 3
        results = at_once([command] * count, tmp_path / f"logs-same-{run}")
        assert_clean(results)
        assert all("rows read" in out for _, out, _ in results)  # each worker's own report
        assert contents(same) == folders["alone"]

        apart = tmp_path / f"apart-{run}.db"
        commands = [
            ["evidence", "ingest", str(part), "--pack", PACK, "--store", str(apart)]
            for part in folders["parts"][:count]
        ]
        assert_clean(at_once(commands, tmp_path / f"logs-apart-{run}"))
        held = contents(apart)
        taken = {p.name for part in folders["parts"][:count] for p in part.iterdir()}
        assert held == {name: folders["alone"][name] for name in taken}


# ------------------------------------------------------------------ the CAPA register

#: an action's due date: today or later is the only one taken
LATER = (date.today() + timedelta(days=60)).isoformat()


@pytest.fixture
def register(tmp_path: Path, monthly_audits: dict[str, Any]) -> tuple[Path, str]:
    from datetime import date

    from auditor.register import Register

    path = tmp_path / "capa.db"
    document, sha, findings = monthly_audits["2026-07"]
    made = Register(str(path))
    made.record_audit(document, sha, str(findings), date(2026, 10, 10))
    item = made.store.items()[0]["id"]
    made.close()
    return path, item


def _register_rows(path: Path, item: str) -> tuple[dict[str, Any], list[Any], list[Any]]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        row = dict(db.execute("SELECT * FROM items WHERE id = ?", [item]).fetchone())
        actions = [
            tuple(r) for r in db.execute("SELECT no, text FROM actions WHERE item = ?", [item])
        ]
        history = [
            tuple(r)
            for r in db.execute("SELECT who, field, new FROM history WHERE item = ?", [item])
        ]
        return row, actions, history
    finally:
        db.close()


def assert_chain_intact(path: Path) -> None:
    from auditor.register import Register

    opened = Register(str(path))
    try:
        assert opened.check() == []
    finally:
        opened.close()


def test_three_updates_of_different_fields_at_once_all_land(
    tmp_path: Path, register: tuple[Path, str]
) -> None:
    path, item = register
    changes = [("ann", "--root-cause", "rota"), ("bob", "--containment", "cover"),
               ("cy", "--correction", "called back")]  # fmt: skip
    commands = [
        ["capa", "update", item, "--by", who, option, text, "--register", str(path)]
        for who, option, text in changes
    ]
    assert_clean(at_once(commands, tmp_path / "logs"))
    row, _, history = _register_rows(path, item)
    assert (row["root_cause"], row["containment"], row["correction"]) == (
        "rota",
        "cover",
        "called back",
    )
    assert row["version"] == 1 + 3
    ours = sorted(h for h in history if h[0] in ("ann", "bob", "cy"))
    assert ours == [("ann", "root_cause", "rota"), ("bob", "containment", "cover"),
                    ("cy", "correction", "called back")]  # fmt: skip
    assert_chain_intact(path)


def test_three_updates_of_one_version_one_wins_the_others_are_told(
    tmp_path: Path, register: tuple[Path, str]
) -> None:
    path, item = register
    commands = [
        ["capa", "update", item, "--by", who, "--root-cause", f"by {who}", "--version", "1",
         "--register", str(path)]
        for who in ("ann", "bob", "cy")
    ]  # fmt: skip
    results = at_once(commands, tmp_path / "logs")
    assert_clean(results, (0, 2))
    assert sorted(code for code, _, _ in results) == [0, 2, 2]
    for code, _, err in results:
        if code == 2:
            assert err.count("\n") == 1 and "changed since you read it" in err, err
    winner = ["ann", "bob", "cy"][[code for code, _, _ in results].index(0)]
    row, _, history = _register_rows(path, item)
    assert (row["root_cause"], row["version"]) == (f"by {winner}", 2)
    assert [h for h in history if h[0] in ("ann", "bob", "cy")] == [
        (winner, "root_cause", f"by {winner}")
    ]
    assert_chain_intact(path)


def test_actions_added_at_once_get_distinct_numbers(
    tmp_path: Path, register: tuple[Path, str]
) -> None:
    path, item = register
    commands = [
        ["capa", "update", item, "--by", who, "--action", f"train {who}", "--owner", who,
         "--due", LATER, "--register", str(path)]
        for who in ("ann", "bob", "cy")
    ]  # fmt: skip
    assert_clean(at_once(commands, tmp_path / "logs"))
    _, actions, _ = _register_rows(path, item)
    assert sorted(no for no, _ in actions) == [1, 2, 3]
    assert sorted(text for _, text in actions) == ["train ann", "train bob", "train cy"]
    assert_chain_intact(path)


def test_three_audits_recorded_into_a_new_register_at_once(tmp_path: Path) -> None:
    """Three audits made at once, each recording itself into a register none of them found."""
    months = ("2026-07", "2026-08", "2026-09")
    path = tmp_path / "new-capa.db"
    commands = [
        ["audit", PACK, str(DEMO), "--period", month, "--out", str(tmp_path / month),
         "--format", "json", "--register", str(path)]
        for month in months
    ]  # fmt: skip
    assert_clean(at_once(commands, tmp_path / "logs"), (0, 1))
    db = sqlite3.connect(path)
    periods = sorted(row[0] for row in db.execute("SELECT period FROM audits"))
    db.close()
    assert periods == list(months)
    assert_chain_intact(path)


# ------------------------------------------------------------------ one --out, two audits


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


#: outputs whose bytes do not depend on the moment of the run
STABLE = ("report.html", "capa.csv", "failing-records.csv", "failing-records.parquet")


def test_two_audits_into_one_out_leave_one_complete_set(tmp_path: Path) -> None:
    periods = ("2026-07", "2026-08")
    formats = ["--format", "json,html,csv"]
    alone = {}
    commands = [
        ["audit", PACK, str(DEMO), "--period", p, "--out", str(tmp_path / p), *formats]
        for p in periods
    ]
    assert_clean(at_once(commands, tmp_path / "logs-alone"), (0, 1))  # two folders: no sharing
    for period in periods:
        alone[period] = _digests(tmp_path / period)
        assert {n: alone[period][n] for n in STABLE} != {
            n: alone[periods[0]][n] for n in STABLE
        } or (period == periods[0])
    for run in range(2):
        out = tmp_path / f"out-{run}"
        commands = [
            ["audit", PACK, str(DEMO), "--period", p, "--out", str(out), *formats] for p in periods
        ]
        assert_clean(at_once(commands, tmp_path / f"logs-{run}"), (0, 1))
        now = _digests(out)
        assert sorted(now) == sorted(alone[periods[0]])
        assert not [p for p in out.iterdir() if p.name.startswith(".")]
        findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        chosen = findings["manifest"]["parameters"]["period"]["label"]
        assert {n: now[n] for n in STABLE} == {n: alone[chosen][n] for n in STABLE}
        assert findings["failing_records"]["sha256"] == now["failing-records.csv"]


SOON = (date.today() + timedelta(days=30)).isoformat()


def test_three_commands_making_one_new_register_at_once_twenty_times(tmp_path: Path) -> None:
    """The first use of a register by three commands at once (each adding a waiver, a command
    that may make a register): one makes it, all three add theirs."""
    for run in range(REPEATS):
        path = tmp_path / f"capa-{run}.db"
        commands = [
            ["waiver", "add", "--rule", f"RULE-{n}", "--reason", "test", "--risk", "low",
             "--requested-by", "ops", "--approved-by", "qa", "--until", SOON,
             "--register", str(path)]
            for n in range(3)
        ]  # fmt: skip
        results = at_once(commands, tmp_path / f"logs-{run}")
        assert_clean(results)
        numbers = sorted(out.split(":")[0] for _, out, _ in results)
        assert numbers == ["W-1", "W-2", "W-3"], results
        assert_chain_intact(path)
