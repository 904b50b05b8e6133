"""Several processes ingesting into one store at once: each waits its turn, no row is lost,
no file is listed twice, nothing is an internal error."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, RULES

PACK = str(RULES / "service-quality.yaml")
DEMO = ROOT / "evidence" / "demo" / "service-quality"


def _ingest_at_once(store: Path, folders: list[Path]) -> list[subprocess.CompletedProcess[str]]:
    running = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "auditor",
                "evidence",
                "ingest",
                str(folder),
                "--pack",
                PACK,
                "--store",
                str(store),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for folder in folders
    ]
    done = []
    for process in running:
        out, err = process.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def _balance(store: Path) -> tuple[list[str], int, int]:
    with sqlite3.connect(store) as db:
        files = [f for (f,) in db.execute("SELECT file FROM _manifest ORDER BY file")]
        stored = db.execute(
            "SELECT SUM(stored) FROM _manifest WHERE kind = 'interactions'"
        ).fetchone()[0]
        rows = db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0]
        for read, kept, quarantined in db.execute(
            "SELECT rows_read, stored, quarantined FROM _manifest"
        ):
            assert read == kept + quarantined
    return files, stored, rows


def test_two_folders_into_one_store_at_once_lose_nothing(tmp_path) -> None:
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        shutil.copytree(DEMO, folder)
    store = tmp_path / "store.db"
    for result in _ingest_at_once(store, folders):
        assert result.returncode == 0, result.stderr
        assert "internal error" not in result.stderr and "locked" not in result.stderr
    files, stored, rows = _balance(store)
    assert len(files) == len(set(files)) == 14
    assert stored == rows  # every stored row is in the table once: the later copy's are duplicates


def test_the_same_folder_twice_at_once_lists_each_file_once(tmp_path) -> None:
    folder = tmp_path / "a"
    shutil.copytree(DEMO, folder)
    store = tmp_path / "store.db"
    results = _ingest_at_once(store, [folder, folder])
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    files, stored, rows = _balance(store)
    assert len(files) == len(set(files)) == 7
    assert stored == rows == 3_000
    assert sum(r.stdout.count("skipped") for r in results) >= 7  # one of them took each file


def test_batches_waiting_their_turn_are_stored_in_order_and_an_error_surfaces() -> None:
    """The storing thread takes up to ``depth`` batches ahead of the converter: they are
    stored in the order given, a failure is raised to the converter, and closing waits for
    every batch in flight."""
    import threading
    import time

    from auditor.ingest import _Behind

    stored: list[int] = []
    go = threading.Event()

    def store(n: int) -> None:
        go.wait(5)
        time.sleep(0.01 * (n % 2))  # an odd batch takes longer: order still holds
        if n == 4:
            raise ValueError("batch 4 could not be stored")
        stored.append(n)

    behind = _Behind(depth=3)
    for n in range(3):
        behind.run(store, n)  # none has to wait: three may be in flight
    assert len(behind.pending) == 3 and stored == []
    go.set()
    for n in range(3, 7):
        behind.run(store, n)
    with pytest.raises(ValueError, match="batch 4"):
        behind.wait()
    behind.close()
    assert stored == [0, 1, 2, 3, 5, 6]
