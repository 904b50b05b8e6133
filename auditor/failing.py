"""The complete list of failing records, and the capped lists findings.json carries.

findings.json stays small at any size: each finding lists at most
:data:`CAP_PER_FINDING` failing keys, and the complete lists go to
``failing-records.csv`` (for people and spreadsheets) and
``failing-records.parquet`` (typed columns, for engines and notebooks at any
size), which findings.json names with their SHA-256 and row count.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from itertools import repeat
from operator import is_
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .evaluate.failing_lists import FailingNotes, FailingSources
from .findings import Finding, RuleResult, group_text
from .paths import relative_path

if TYPE_CHECKING:
    from .findings.contract import FailingRecordsFile

CAP_PER_FINDING = 1_000
FILE_NAME = "failing-records.csv"
PARQUET_NAME = "failing-records.parquet"
#: rows per Parquet row group
BATCH_ROWS = 100_000
COLUMNS = (
    "rule",
    "finding",
    "key",
    "group",
    "period",
    "value",
    "unit",
    "problem",
    "step",
    "over_seconds",
    "file",
    "line",
)
#: first characters that make a spreadsheet read a text cell as a formula
_FORMULA_FIRST = frozenset("=+-@\t\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in _FORMULA_FIRST:
        return "'" + value
    return value


def unit_text(failing_unit: str | None, label: str | None) -> str:
    """A failing value's unit as the record lists give it: a plain number's in the measured
    field's own unit (``s``, the pack's English word, as explain prints it), else ``seconds``,
    ``business-seconds`` or ``number``."""
    if failing_unit == "number" and label:
        return label
    return failing_unit or ""


def _finest(result: RuleResult) -> list[Finding]:
    """The findings that hold each failing record once: the group/period cells, else the pooled one."""
    return result.findings[1:] or result.findings[:1]


def _columns(result: RuleResult, finding: Finding, root: str | None) -> list[list[Any]]:
    """One finding's failing records as the file's columns (values not yet neutralised)."""
    count = len(finding.failing)
    group = group_text(finding.group)

    def file_of(name: str | None) -> str:
        return relative_path(name, root) if name else ""

    def constant(value: Any) -> list[Any]:
        return [value] * count

    return [
        constant(result.rule),
        constant(finding.id),
        list(finding.failing),
        constant(group),
        constant(finding.period),
        list(finding.failing_values),  # numbers: None where there is none (csv writes "")
        constant(unit_text(result.failing_unit, (result.unit_label or {}).get("en"))),
        *_note_columns(finding.failing_notes, count),
        *_source_columns(finding.failing_sources, count, file_of),
    ]


def _note_columns(
    notes: Sequence[dict[str, Any] | None], count: int
) -> tuple[list[Any], list[Any], list[Any]]:
    """Problem, step and seconds over of each record (made column-wise where the evaluation
    kept the detail texts, see :mod:`auditor.evaluate.failing_lists`)."""
    if isinstance(notes, FailingNotes):
        return notes.columns()
    if not any(notes):  # no record has a note (an aggregate's records)
        return [""] * count, [""] * count, [None] * count
    made = [note or {} for note in (notes or [None] * count)]
    return (
        [note.get("problem") or "" for note in made],
        [note.get("step") or "" for note in made],
        [note.get("over_seconds") for note in made],
    )


def _source_columns(
    sources: Sequence[dict[str, Any] | None], count: int, file_of: Callable[[str | None], str]
) -> tuple[list[Any], list[Any]]:
    """File (as ``file_of`` gives it, once per file) and line of each record."""
    if isinstance(sources, FailingSources):
        return sources.columns(file_of)
    places = [place or {} for place in (sources or [None] * count)]
    files = {name: file_of(name) for name in {where.get("file") for where in places}}
    return [files[where.get("file")] for where in places], [where.get("line") for where in places]


def _result_columns(result: RuleResult, root: str | None) -> Iterator[list[list[Any]]]:
    for finding in _finest(result):
        if finding.failing:
            yield _columns(result, finding, root)


def write_failing_records(
    results: list[RuleResult], folder: Path, root: str | None = None
) -> dict[str, Any]:
    """Write every failing record of every rule to ``failing-records.csv`` (and its Parquet
    twin); their paths, hashes and rows (see :class:`FailingRecordsWriter`)."""
    with FailingRecordsWriter(folder, root) as writer:
        for result in results:
            writer.add(result)
        return writer.finish()


class FailingRecordsWriter:
    """``failing-records.csv`` and ``failing-records.parquet`` written a rule's result at a
    time, in the order they are added (an audit adds each as soon as it and every rule before
    it are evaluated), on a thread of the writer's own: the thread that adds them goes on
    evaluating the next rules meanwhile.

    Each record appears once, with the group and sub-period it belongs to. A finding's
    records become one typed Arrow table; tables are written in row groups of
    :data:`BATCH_ROWS`, each to the Parquet file and, formatted by DuckDB's CSV writer,
    to the CSV file (a 10M-record audit lists millions: Python's ``csv`` module took most
    of the time of writing them, holding Python's lock). Both files are written under
    temporary names: :meth:`finish` puts them in place, :meth:`discard` removes them (as
    leaving a ``with`` block on an error does).
    """

    def __init__(self, folder: Path, root: str | None = None) -> None:
        self.path = folder / FILE_NAME
        self.root = root
        self.rows = 0
        self.temporary = self.path.with_name(f".{FILE_NAME}.tmp")
        self.handle = self.temporary.open("wb")
        self.groups: _RowGroups | None = None
        self.queued: list[Future[None]] = []  # rules' records handed to the writing thread
        self.failed = False
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="auditor-failing")
        try:
            # the byte-order mark spreadsheets look for, then the header
            self.handle.write(("\ufeff" + _csv_line(COLUMNS)).encode("utf-8"))
            self.groups = _RowGroups(folder / PARQUET_NAME, _csv_rows(self.handle, self.path))
        except BaseException:
            self.discard()
            raise

    def __enter__(self) -> FailingRecordsWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, *_: object
    ) -> None:
        if kind is None:
            return
        unraised = self.discard()  # nothing half-written left behind
        if unraised is not None and isinstance(error, Exception):
            # an earlier rule's records failed to be written before a later rule failed
            raise unraised from error

    def add(self, result: RuleResult) -> None:
        """One rule's failing records, after those of the rules added before it: written on
        a thread of the writer's own while the caller goes on (an audit's next rules). An
        error writing them is raised by a later call or by :meth:`finish`."""
        while self.queued and self.queued[0].done():
            self.queued.pop(0).result()
        from .interrupts import submit_held

        self.queued.append(submit_held(self.pool, self._write, result))

    def flush(self) -> None:
        """Wait until every record added is written; raise the first error writing them."""
        while self.queued:
            self.queued.pop(0).result()

    def _write(self, result: RuleResult) -> None:
        assert self.groups is not None
        try:
            for columns in _result_columns(result, self.root):
                if self.failed:  # an earlier error, or discarded: nothing more is written
                    return
                self.groups.add(_typed_table(columns))
                self.rows += len(columns[0])
        except BaseException:
            self.failed = True
            raise

    def finish(self) -> dict[str, Any]:
        """Both files complete and in place: their paths, hashes and rows."""
        assert self.groups is not None
        try:
            self.flush()
            self.pool.shutdown()
            self.groups.close()
            self.handle.close()
        except BaseException:
            self.discard()
            raise
        self.temporary.replace(self.path)
        parquet = self.groups.parquet
        parquet.temporary.replace(parquet.path)
        return {
            "path": FILE_NAME,
            "sha256": _sha256(self.path),
            "rows": self.rows,
            "cap_per_finding": CAP_PER_FINDING,  # read at call time, so tests can lower it
            "parquet": {"path": PARQUET_NAME, "sha256": _sha256(parquet.path)},
        }

    def discard(self) -> BaseException | None:
        """Neither file written: what was written so far removed (also after a failed
        :meth:`finish`, whose error is the one reported; closing again may fail too).
        The records queued are dropped and the finding being written is the last; its
        writing ends before the files go, even if Ctrl-C (or SIGTERM) comes meanwhile,
        which is raised once they are gone. Returns the first error writing records that
        no call has raised yet."""
        self.failed = True
        for queued in self.queued:
            queued.cancel()
        interrupt = _ended(self.queued)
        self.pool.shutdown(wait=False)
        unraised = next(
            (f.exception() for f in self.queued if not f.cancelled() and f.exception()), None
        )
        self.queued.clear()
        try:
            with suppress(Exception):  # a flush that fails again
                self.handle.close()
        finally:
            try:
                if self.groups is not None:
                    self.groups.discard()
            finally:
                self.temporary.unlink(missing_ok=True)
        if interrupt is not None:
            raise interrupt
        return unraised


def _ended(futures: list[Future[None]]) -> KeyboardInterrupt | None:
    """Wait until none of ``futures`` runs; a Ctrl-C or SIGTERM taken meanwhile is returned
    (the waiting goes on: the thread writing must not be writing when its files go)."""
    from concurrent.futures import wait

    taken: KeyboardInterrupt | None = None
    while True:
        try:
            wait(futures)
            return taken
        except KeyboardInterrupt as interrupt:
            taken = interrupt


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _csv_line(cells: Sequence[Any]) -> str:
    """One CSV line as Python's ``csv`` module writes it (the header)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


#: the columns the files hold as numbers; every other but ``line`` (an integer) is text
NUMBERS = ("value", "over_seconds")


def _schema() -> Any:
    import pyarrow as pa

    def arrow_type(name: str) -> Any:
        if name in NUMBERS:
            return pa.float64()
        return pa.int64() if name == "line" else pa.string()

    return pa.schema([pa.field(name, arrow_type(name)) for name in COLUMNS])


def _typed_table(columns: list[list[Any]]) -> Any:
    """One finding's records as an Arrow table of the files' types; an empty text is null
    (as a missing number is), a column of one repeated value made once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = _schema()
    arrays = []
    for values, field in zip(columns, schema, strict=True):
        first = values[0] if values else None
        if values and all(map(is_, values, repeat(first))):
            array = pa.repeat(pa.scalar(first, field.type), len(values))
        else:
            array = pa.array(values, type=field.type)
        if field.type == pa.string():
            array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


def _csv_rows(handle: Any, beside: Path) -> Any:
    """DuckDB's CSV writer appending row groups to ``handle`` as Python's ``csv`` module
    writes rows, formulas neutralised (a test keeps the bytes those of Python's module)."""
    from .backends.duckdb import CsvAppender

    return CsvAppender(handle, beside.with_name(f".{beside.name}.part"), _FORMULA_FIRST)


class _RowGroups:
    """Typed tables of failing records, handed on in row groups of :data:`BATCH_ROWS` rows
    (the last one shorter) to the Parquet file and to the CSV file."""

    def __init__(self, parquet_path: Path, text: Any) -> None:
        self.parquet = _ParquetRows(parquet_path)
        self.text = text
        self.pending: list[Any] = []
        self.held = 0

    def add(self, table: Any) -> None:
        import pyarrow as pa

        self.pending.append(table)
        self.held += table.num_rows
        if self.held < BATCH_ROWS:
            return
        joined = pa.concat_tables(self.pending)
        full = self.held - self.held % BATCH_ROWS
        for start in range(0, full, BATCH_ROWS):
            self._write(joined.slice(start, BATCH_ROWS))
        rest = joined.slice(full)
        self.pending, self.held = ([rest] if rest.num_rows else []), rest.num_rows

    def _write(self, group: Any) -> None:
        self.parquet.write(group)
        self.text.write(group)

    def close(self) -> None:
        import pyarrow as pa

        if self.pending or self.parquet.writer is None:
            self._write(pa.concat_tables(self.pending) if self.pending else _schema().empty_table())
            self.pending, self.held = [], 0
        self.parquet.close()
        self.text.close()

    def discard(self) -> None:
        try:
            self.parquet.discard()
        finally:
            self.text.close()


class _ParquetRows:
    """The failing records as Parquet, typed (values and seconds as numbers, lines as
    integers), a row group at a time, under a temporary name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.temporary = path.with_name(f".{path.name}.tmp")
        self.writer: Any = None

    def write(self, group: Any) -> None:
        import pyarrow.parquet as pq

        if self.writer is None:
            self.writer = pq.ParquetWriter(str(self.temporary), group.schema)
        self.writer.write_table(group)

    def close(self) -> None:
        self.writer.close()

    def discard(self) -> None:
        writer, self.writer = self.writer, None
        try:
            if writer is not None:
                with suppress(Exception):  # cleaning up after an error already raised
                    writer.close()
        finally:
            self.temporary.unlink(missing_ok=True)


def audit_parquet(listing: FailingRecordsFile | None, folder: Path) -> Path | None:
    """The audit's Parquet list of failing records in ``folder``: None when findings.json
    (``listing``) names none, or the file there is not the one it names (its SHA-256)."""
    if listing is None or listing.parquet is None:
        return None
    path = folder / listing.parquet.path
    if not path.is_file() or _sha256(path) != listing.parquet.sha256:
        return None
    return path


def parquet_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a failing-records Parquet file, in order, a row group at a time (the
    reader stops reading where the caller stops asking)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(str(path)) as parquet:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            yield from batch.to_pylist()


def capped(entry: dict[str, Any], cap: int | None = None) -> dict[str, Any]:
    """A finding's JSON entry with its failing lists cut to ``cap`` (``failing_count`` stays whole)."""
    cap = CAP_PER_FINDING if cap is None else cap
    truncated = len(entry["failing"]) > cap
    entry["failing_truncated"] = truncated
    if truncated:
        for name in ("failing", "failing_values", "failing_notes", "failing_sources"):
            entry[name] = entry[name][:cap]
    return entry
