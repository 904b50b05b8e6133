"""The ingest's progress line: drawn on a terminal only, never with --quiet or into a pipe."""

from __future__ import annotations

import io
import re
from pathlib import Path

import click.testing
import pytest

import auditor.progress as progress_module
from auditor.cli import main
from auditor.progress import IngestProgress

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
    progress(str(path), 0, None, 0.0)
    progress(str(path), 500, 1000, 1.0)
    shown = terminal.getvalue()
    progress.done()
    last = shown.split("\r")[-1]
    assert last.startswith("file 1/3 records.csv:")
    assert " 500/1.00k " in last  # rows read of the file's 1,000 rows
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
        progress(str(path), 0, None, 0.0)
        progress(str(path), 500, 1000, 1.0)
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
    progress(str(first), 0, None, 0.0)
    progress(str(second), 0, None, 0.0)
    progress.done()
    assert "file 2/2 records.csv" in terminal.getvalue()


def test_a_file_read_again_says_so_and_counts_from_its_start(tmp_path: Path, no_delay) -> None:  # type: ignore[no-untyped-def]
    path = records(tmp_path, 1000)
    terminal = Terminal()
    progress = IngestProgress(terminal, files=1)
    progress(str(path), 0, None, 0.0)
    progress(str(path), 800, 1000, 1.0)
    progress(str(path), 0, 1000, 1.5)  # the ingest starts the file again, twice
    progress(str(path), 50, 1000, 1.7)
    progress(str(path), 0, 1000, 1.8)
    progress(str(path), 100, 1000, 2.0)
    last = terminal.getvalue().split("\r")[-1]
    progress.done()
    assert last.startswith("file 1/1 records.csv (read again): ")
    assert last.count("read again") == 1 and " 100/1.00k " in last


@pytest.mark.parametrize(("stream", "enabled"), [(io.StringIO(), True), (Terminal(), False)])
def test_nothing_in_a_pipe_or_when_quiet(
    tmp_path: Path,
    stream: io.StringIO,
    enabled: bool,
    no_delay,  # type: ignore[no-untyped-def]
) -> None:
    path = records(tmp_path, 10)
    progress = IngestProgress(stream, enabled=enabled)
    progress(str(path), 0, None, 0.0)
    progress(str(path), 10, 10, 2.0)
    progress.done()
    assert stream.getvalue() == ""


def test_a_file_read_whole_ends_at_100_percent_of_its_rows_read(tmp_path: Path, no_delay) -> None:  # type: ignore[no-untyped-def]
    """Its total said 1,000 rows (a blank line, a quoted line break), 990 were read: the
    last line drawn says 990 of 990, not 99 %; a total below the rows read is none."""
    path = records(tmp_path, 1000)
    terminal = Terminal()
    progress = IngestProgress(terminal, files=1)
    progress(str(path), 0, None, 0.0)
    progress(str(path), 990, 1000, 1.0)
    assert " 99%|" in terminal.getvalue().split("\r")[-1]
    progress(str(path), 990, 990, 1.2)  # read whole
    ended = terminal.getvalue().split("\r")[-1]
    progress(str(path), 1200, 1000, 1.5)  # read again, and its total was short
    over = terminal.getvalue().split("\r")[-1]
    progress.done()
    assert ended.startswith("file 1/1 records.csv: 100%|") and " 990/990 " in ended
    assert "%" not in over and " 1.20k rows " in over


class Told:
    """A progress callback that keeps what the ingest tells it: (rows read, total) a call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, path: str, rows: int, total: int | None, seconds: float) -> None:
        self.calls.append((rows, total))


def told_by_ingest(source: Path, store_path: Path, engine: str) -> list[tuple[int, int | None]]:
    from auditor.backends.store import EvidenceStore
    from auditor.ingest import ingest
    from auditor.pack import load_pack

    told = Told()
    store = EvidenceStore(str(store_path), engine=engine)
    try:
        report = ingest(load_pack(TEST_PACKS / "roundtrip.yaml"), source, store, progress=told)
    finally:
        store.close()
    assert [f.status for f in report.files] == ["ok"]
    return told.calls


@pytest.fixture
def every_batch_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ingest tells its rows read after every batch of 5,000 rows (not every half second
    at most)."""
    import auditor.columnar as columnar
    import auditor.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "REPORT_EVERY", 0)
    monkeypatch.setattr(columnar, "BATCH_ROWS", 5000)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_the_ingest_tells_a_text_file_s_rows_as_its_total(  # type: ignore[no-untyped-def]
    tmp_path: Path, engine: str, every_batch_told, monkeypatch
) -> None:
    """A CSV file of 12,345 rows is told as 12,345 rows from its first batch on (its lines
    less the header: no estimate that a batch may pass) and ends at 12,345 of 12,345: read
    row by row into SQLite, column-wise by DuckDB into its store (whose batches passed the
    estimate of old)."""
    import auditor.columnar as columnar

    if engine == "duckdb":  # column-wise from any size, not from 1 MiB
        monkeypatch.setattr(columnar, "MIN_COLUMNAR_BYTES", 0)
    records(tmp_path / "data", 12_345)
    calls = told_by_ingest(tmp_path / "data", tmp_path / "s.db", engine)
    assert calls[:3] == [(0, None), (0, None), (0, 12_345)]  # it starts; is hashed; is open
    assert calls[3:5] == [(5000, 12_345), (10_000, 12_345)]
    assert calls[-1] == (12_345, 12_345)


def workbook(folder: Path, rows: int, stated: bool) -> None:
    """A workbook of ``rows`` records below its header; its sheet states its size (as Excel
    writes it) or states none (as a program streaming rows may write it)."""
    import openpyxl

    folder.mkdir(parents=True)
    book = openpyxl.Workbook(write_only=not stated)
    sheet = book.active if stated else book.create_sheet("records")
    sheet.append(["record_id", "name"])
    for i in range(rows):
        sheet.append([f"R{i:06d}", "n"])
    book.save(folder / "records.xlsx")


@pytest.mark.parametrize(("stated", "total"), [(True, 6000), (False, None)])
def test_the_ingest_tells_a_workbook_s_rows_as_its_sheet_states_them(  # type: ignore[no-untyped-def]
    tmp_path: Path, stated: bool, total: int | None, every_batch_told
) -> None:
    workbook(tmp_path / "data", 6000, stated)
    calls = told_by_ingest(tmp_path / "data", tmp_path / "s.db", "sqlite")
    # the workbook is hashed; it is opened; it is open
    assert calls[:3] == [(0, None), (0, None), (0, total)]
    assert calls[3:-1] == [(5000, total)]  # after its first batch of 5,000 rows
    assert calls[-1] == (6000, 6000)


@pytest.mark.parametrize(
    ("total", "shown"),
    [(6000, "file 2/2 records.xlsx:   0%|          | 0.00/6.00k [00:00<?, ? rows/s]"),
     (None, "file 2/2 records.xlsx: 0.00 rows [00:00, ? rows/s]")],
)  # fmt: skip
def test_a_workbook_says_at_once_that_it_is_being_hashed_then_opened(
    tmp_path: Path, total: int | None, shown: str
) -> None:
    """A large workbook's SHA-256 takes a while, and openpyxl seconds to open it, before its
    first row: its line says so from the start (a text file's line waits its second as
    before), and turns into its rows line once it is open, timed from then, of its total if
    its sheet states one; the line is cleared at the end."""
    workbook(tmp_path / "data", 10, stated=True)
    path, text = tmp_path / "data" / "records.xlsx", records(tmp_path / "text", 10)
    terminal = Terminal()
    progress = IngestProgress(terminal, files=2)
    progress(str(text), 0, None, 0.0)
    progress(str(text), 0, None, 0.0)
    progress(str(text), 10, 10, 0.1)
    assert terminal.getvalue() == ""  # a text file read in less than a second: nothing
    progress(str(path), 0, None, 0.0)
    hashing = terminal.getvalue()
    progress(str(path), 0, None, 0.0)
    opening = terminal.getvalue()
    progress(str(path), 0, total, 0.0)
    rows = terminal.getvalue().split("\r")[-1]
    progress.done()
    assert hashing == "\rfile 2/2 hashing records.xlsx"
    assert opening == hashing + "\rfile 2/2 opening records.xlsx"
    assert rows == shown
    assert terminal.getvalue().endswith("\r")


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


def test_cli_shows_a_workbook_being_hashed_and_opened_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook(tmp_path / "data", 10, stated=True)
    pack = str(TEST_PACKS / "roundtrip.yaml")

    def ingested(store: str, *more: str) -> str:
        args = ["evidence", "ingest", str(tmp_path / "data"), "--pack", pack, "--store"]
        result = click.testing.CliRunner().invoke(main, [*args, str(tmp_path / store), *more])
        assert result.exit_code == 0, result.output
        return result.stderr

    piped = ingested("p.db")
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    shown, quiet = ingested("t.db"), ingested("q.db", "--quiet")
    assert "hashing" not in piped and "opening" not in piped and "\r" not in piped
    assert (
        "\rfile 1/1 hashing records.xlsx\rfile 1/1 opening records.xlsx\rfile 1/1 records.xlsx: "
        in shown
    )
    assert "hashing" not in quiet and "opening" not in quiet and "\r" not in quiet
