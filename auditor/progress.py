"""Progress of a long ingest on a terminal: which file, rows read, rows per second, time left.

:class:`IngestProgress` is the ingest's ``progress`` callback
(``progress(path, rows_read, rows_total, seconds)``, see :data:`auditor.ingest.Progress`).
It draws one line with tqdm on a terminal and nothing at all when its stream is not
one (a pipe, a file, CI logs) or when it is disabled (``--quiet``). The time left
comes from the rows read against the file's total: a text file's lines, a
workbook's rows as its sheet states them; a workbook that states none shows its
rate without a time left. A file read whole ends at 100 %. A workbook, which takes
seconds to hash and to open before its first row is read, says at once that it is being
hashed (``file 1/3 hashing tickets.xlsx``), then opened (``file 1/3 opening tickets.xlsx``),
until its rows are read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Never, TextIO

from tqdm import tqdm

from .readers import file_format

#: seconds a file takes before its line is drawn (short files show nothing)
DELAY = 1.0
#: seconds between redraws at least
REDRAW = 0.5
#: said of a file the ingest reads again
AGAIN = " (read again)"
#: the width and height taken for a terminal that says it has none (a pseudo-terminal nobody
#: sized): tqdm draws nothing in 0 columns, nor when it is given 0 rows
COLUMNS, ROWS = 80, 24


def terminal_columns(stream: TextIO) -> int | None:
    """The width of the terminal ``stream`` is, if it can tell (0 when nobody set it)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # no descriptor (io.UnsupportedOperation)
        return None


class IngestProgress:
    """One progress line on a terminal per file being ingested (nothing when not a terminal)."""

    def __init__(
        self, stream: TextIO | None = None, enabled: bool = True, files: int | None = None
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = enabled and isatty is not None and bool(isatty())
        #: files the ingest will read (None: not known), and those started so far
        self.files = files
        self.started = 0
        self.path: str | None = None
        self.bar: tqdm[Never] | None = None
        #: the opening line's description while the line says the file is being hashed
        self.hashing: str | None = None
        #: the rows line's description while the line says the file is being opened
        self.opening: str | None = None

    def __call__(self, path: str, rows: int, total: int | None, seconds: float) -> None:
        if not self.enabled:
            return
        if path != self.path:
            self._start(path)
        elif self.hashing is not None:  # told again: the workbook is hashed, being opened
            self._hashed(self.hashing)
        elif self.opening is not None:  # told again: the workbook is open
            self._opened(self.opening, total)
        bar = self.bar
        assert bar is not None
        if rows < bar.n:  # the file is read again (a key repeats, a date order settled late)
            bar.reset(bar.total)
            if not bar.desc.endswith(AGAIN):
                bar.set_description_str(bar.desc + AGAIN, refresh=False)
        if total is not None and rows > total:  # the sheet stated too few rows: no total
            total = None
        bar.total = total
        bar.update(rows - bar.n)
        if rows == total and bar.format_dict["elapsed"] >= DELAY:  # read whole: 100 % shown
            bar.refresh()

    def _start(self, path: str) -> None:
        self._close()
        self.path = path
        self.started += 1
        count = f"{self.started}/{self.files}" if self.files else f"{self.started}"
        unsized = terminal_columns(self.stream) == 0  # tqdm would draw 0 columns: nothing
        desc = f"file {count} {Path(path).name}"
        workbook = file_format(Path(path)) == "xlsx"
        self.hashing = f"file {count} opening {Path(path).name}" if workbook else None
        self.opening = desc if workbook else None
        self.bar = tqdm(
            desc=f"file {count} hashing {Path(path).name}" if workbook else desc,
            bar_format="{desc}" if workbook else None,
            unit=" rows",
            unit_scale=True,
            file=self.stream,
            delay=0 if workbook else DELAY,  # a workbook's hashing: drawn at once
            leave=False,
            dynamic_ncols=not unsized,
            ncols=COLUMNS if unsized else None,
            nrows=ROWS if unsized else None,
            mininterval=REDRAW,
            miniters=1,
        )

    def _hashed(self, desc: str) -> None:
        """The workbook is hashed: its line says it is being opened (``desc``)."""
        assert self.bar is not None
        self.hashing = None
        self.bar.set_description_str(desc)

    def _opened(self, desc: str, total: int | None) -> None:
        """The workbook is open: its line (``desc``) shows its rows read (of ``total``), timed
        from now."""
        assert self.bar is not None
        self.bar.bar_format = None
        self.bar.desc = desc  # as given to tqdm (set_description adds a colon)
        self.opening = None
        self.bar.reset(total)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def done(self) -> None:
        """Clear the line (called once the ingest has ended, also on an error)."""
        self._close()
        self.path = None
