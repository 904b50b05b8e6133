"""The ingest's progress line: drawn on a terminal only, never with --quiet or into a pipe."""

from __future__ import annotations

import io
import re
from pathlib import Path

import click.testing
import pytest

import auditor.progress as progress_module
from auditor.cli import main
from auditor.progress import IngestProgress, estimate_rows

from .conftest import TEST_PACKS


class Terminal(io.StringIO):
    """What a terminal looks like to the progress line: a stream that says it is a tty."""

    def isatty(self) -> bool:
        return True


def records(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "records.csv"
    path.write_text(
        "record_id,name\n" + "".join(f"R{i:06d},n\n" for i in range(rows)), encoding="utf-8"
    )
    return path


@pytest.fixture
def no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw at once (a real run waits a second before showing a file's line, and redraws it
    every half second at most)."""
    monkeypatch.setattr(progress_module, "DELAY", 0)
    monkeypatch.setattr(progress_module, "REDRAW", 0)


def test_line_on_a_terminal_shows_file_rows_rate_and_time_left(tmp_path: Path, no_delay) -> None:  # type: ignore[no-untyped-def]
    path = records(tmp_path, 1000)
    terminal = Terminal()
    progress = IngestProgress(terminal, files=3)
    progress(str(path), 0, 0.0)
    progress(str(path), 500, 1.0)
    shown = terminal.getvalue()
    progress.done()
    last = shown.split("\r")[-1]
    assert last.startswith("file 1/3 records.csv:")
    assert " 500/1.00k " in last  # rows read of the file's 1,000 rows (all of it was sampled)
    assert re.search(r"rows/s\]$", last.strip()) is not None
    assert re.search(r"<\d\d:\d\d", last) is not None  # time left
    assert terminal.getvalue().endswith("\r")  # the line is cleared at the end


def _all_read(leader: int) -> str:
    """What a pseudo-terminal holds, read until it has given nothing more for a moment (it may
    hand the lines over in several reads); nothing drawn fails the test, it does not hang."""
    import os
    import select

    chunks = []
    while select.select([leader], [], [], 0.5)[0]:
        chunks.append(os.read(leader, 65536))
    return b"".join(chunks).decode("utf-8")


def test_a_terminal_that_says_it_has_no_width_gets_a_line_all_the_same(  # type: ignore[no-untyped-def]
    tmp_path: Path, no_delay, monkeypatch
) -> None:
    """A pseudo-terminal nobody sized reports 0 columns (a trial's `script -qc ...` run):
    tqdm drew nothing in 0 columns; the line is drawn 80 wide."""
    import os

    path = records(tmp_path, 1000)
    leader, follower = os.openpty()  # a new pseudo-terminal is 0 x 0
    terminal = open(follower, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    try:
        assert os.get_terminal_size(follower).columns == 0
        # as standard error, whose size tqdm reads (0 columns and 0 rows: nothing drawn)
        monkeypatch.setattr("sys.stderr", terminal)
        progress = IngestProgress(files=1)
        progress(str(path), 0, 0.0)
        progress(str(path), 500, 1.0)
        terminal.flush()
        shown = _all_read(leader)
        progress.done()
    finally:
        terminal.close()
        os.close(leader)
    last = shown.split("\r")[-1]
    assert last.startswith("file 1/1 records.csv:") and " 500/1.00k " in last
    assert len(last.rstrip()) <= 80


def test_next_file_counts_on(tmp_path: Path, no_delay) -> None:  # type: ignore[no-untyped-def]
    first, second = records(tmp_path / "a", 10), records(tmp_path / "b", 10)
    terminal = Terminal()
    progress = IngestProgress(terminal, files=2)
    progress(str(first), 0, 0.0)
    progress(str(second), 0, 0.0)
    progress.done()
    assert "file 2/2 records.csv" in terminal.getvalue()


def test_a_file_read_again_says_so_and_counts_from_its_start(tmp_path: Path, no_delay) -> None:  # type: ignore[no-untyped-def]
    path = records(tmp_path, 1000)
    terminal = Terminal()
    progress = IngestProgress(terminal, files=1)
    progress(str(path), 0, 0.0)
    progress(str(path), 800, 1.0)
    progress(str(path), 0, 1.5)  # the ingest starts the file again, twice
    progress(str(path), 50, 1.7)
    progress(str(path), 0, 1.8)
    progress(str(path), 100, 2.0)
    last = terminal.getvalue().split("\r")[-1]
    progress.done()
    assert last.startswith("file 1/1 records.csv (read again):")
    assert " 100/1.00k " in last


@pytest.mark.parametrize(("stream", "enabled"), [(io.StringIO(), True), (Terminal(), False)])
def test_nothing_in_a_pipe_or_when_quiet(
    tmp_path: Path,
    stream: io.StringIO,
    enabled: bool,
    no_delay,  # type: ignore[no-untyped-def]
) -> None:
    path = records(tmp_path, 10)
    progress = IngestProgress(stream, enabled=enabled)
    progress(str(path), 0, 0.0)
    progress(str(path), 10, 2.0)
    progress.done()
    assert stream.getvalue() == ""


def test_estimate_of_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = records(tmp_path, 4000)  # a 15-byte header and 4,000 rows of 10 bytes: 40,015 bytes
    assert estimate_rows(path) == 4000  # read whole: its lines counted
    # the first 1,400 bytes hold 139 line ends (header + 138 rows): 40,015 * 139 / 1,400
    # = 3,972.9 lines, less the header
    monkeypatch.setattr(progress_module, "SAMPLE", 1400)
    assert estimate_rows(path) == 3972
    assert estimate_rows(tmp_path / "book.xlsx") is None


def ingest_args(tmp_path: Path) -> list[str]:
    folder = tmp_path / "data"
    records(folder, 50)
    pack = str(TEST_PACKS / "roundtrip.yaml")
    return ["evidence", "ingest", str(folder), "--pack", pack, "--store", str(tmp_path / "s.db")]


def test_cli_piped_stderr_has_no_progress(tmp_path: Path, no_delay) -> None:  # type: ignore[no-untyped-def]
    result = click.testing.CliRunner().invoke(main, ingest_args(tmp_path))
    assert result.exit_code == 0, result.output
    assert "rows/s" not in result.stderr and "\r" not in result.stderr


def test_cli_terminal_shows_progress_unless_quiet(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_delay,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    shown = click.testing.CliRunner().invoke(main, ingest_args(tmp_path))
    assert "file 1/1 records.csv" in shown.stderr and "rows/s" in shown.stderr
    quiet = click.testing.CliRunner().invoke(main, [*ingest_args(tmp_path / "q"), "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert "rows/s" not in quiet.stderr and "\r" not in quiet.stderr
