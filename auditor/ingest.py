"""Ingest evidence files into the store: map, type, validate, quarantine.

Every row read is either stored or quarantined with its file, line, column and
reason; the ingest checks ``rows read == stored + quarantined`` for every file
against the store itself and refuses to commit a file where it does not hold.
Each file is one transaction: a crash leaves the store as it was before it.

Numeric dates (5/3/2016) are read in one day/month order per column, decided
from the column's values as the batches are converted: the first batch that
meets such a date is searched for a value that settles the order. When it does
not settle it, the rest of the file is searched (without converting) until it
does, and the file is read again from the start inside its transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn
from zoneinfo import ZoneInfo

from . import columnar
from .backends.store import EvidenceStore
from .columnar import Declined, QuoteScan, TextColumns, csv_columns
from .convert import BadValue, ColumnRows, Records, RowPlan, plain_text, title_note
from .errors import AuditorError, EvidenceError, Location
from .mapping import (
    PRESETS_DIR,
    Mapping,
    auto_mapping,
    choose_kind,
    describe,
    kind_by_name,
    load_mapping,
    mapped_kind,
)
from .model import EvidenceKind, Pack
from .paths import relative_path
from .readers import SUFFIXES_NAMED, RawRow, Table, file_format, lock_file_of, open_table
from .timeparse import OrderUndecided

if TYPE_CHECKING:
    import threading

    from .backends.duckdb import DistinctKeysCheck
    from .key_index import KeyIndex

BATCH = 5000
_BOM = b"\xef\xbb\xbf"
_LONE_CR = re.compile(rb"\r(?!\n)")
#: bytes read at a time to digest a file
DIGEST_CHUNK = 1 << 20
#: rows converted at once on the column-wise path (a batch with a bad row goes row by row)
COLUMN_BATCH = 20_000
#: a file read column-wise from this size on has its keys checked for repeats by DuckDB
#: while it is converted, when its kind holds none yet: once they are found distinct,
#: the rest need no look-up row by row. Below it the index costs less than what DuckDB
#: holds for the check (at 1M rows, 80 MB: 0.2 s more, 100 MB of peak memory less)
DISTINCT_KEYS_BYTES = 128 << 20

#: seconds between two reports of a file's rows read to the progress callback at least
REPORT_EVERY = 0.5

#: ``progress(path, rows_read, rows_total, seconds)``: a file's rows read so far, and the
#: rows it holds as far as known before reading it (None: not known). A file starts with
#: 0 rows read and no total (its SHA-256 is being computed), is told again so once that is
#: done (it is being opened: a workbook takes seconds), then with 0 rows read and its total
#: once it is open; once it is read whole, its rows read are given as its total as well.
Progress = Callable[[str, int, int | None, float], None]


class FirstSeen(NamedTuple):
    """Where a quarantine reason was first given in a file: the row's line, the column (as
    the store's ``_quarantine`` table names it, "" for a row that could not be read as one)
    and the value read there (None when there was none)."""

    line: int
    column: str
    value: str | None


@dataclass
class FileReport:
    path: str
    kind: str | None = None
    sha256: str = ""
    size: int = 0
    rows_read: int = 0
    stored: int = 0
    quarantined: int = 0
    status: str = "ok"  # ok | quarantined | empty | skipped | error
    reason: str = ""
    reasons: Counter[str] = field(default_factory=Counter)
    #: reason (as counted) -> the line it was first given for, the column and the value
    first_seen: dict[str, FirstSeen] = field(default_factory=dict)
    reader: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    #: the mapping used: name, source (preset, mapping, sidecar, auto), path, sha256, columns
    mapping: dict[str, Any] | None = None
    #: things the auditor should know that are not errors (e.g. an optional field with no column)
    warnings: list[str] = field(default_factory=list)
    #: field -> stored values a DST change moved (a date at a skipped midnight, dst: forward)
    moved_dst: dict[str, int] = field(default_factory=dict)
    #: a skipped file's rows the store's quarantine holds from when it was ingested
    held_quarantined: int = 0

    @classmethod
    def from_manifest(cls, entry: dict[str, Any]) -> FileReport:
        """A file's report as its manifest entry (its JSON texts read) records it."""
        return cls(
            str(entry["file"]),
            kind=entry["kind"],
            sha256=entry["sha256"] or "",
            size=int(entry["size"] or 0),
            rows_read=int(entry["rows_read"] or 0),
            stored=int(entry["stored"] or 0),
            quarantined=int(entry["quarantined"] or 0),
            status=entry["status"] or "ok",
            reason=entry["reason"] or "",
            reader=entry.get("reader") or {},
            mapping=entry.get("mapping"),
            warnings=list(entry.get("warnings") or []),
            moved_dst=dict(entry.get("moved_dst") or {}),
        )

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.stored + self.quarantined

    def date_order_notes(self) -> list[str]:
        """A line per order the file's numeric dates were read in, naming each field and the
        value that settled it there (an order the mapping gave is in the mapping)."""
        seen: dict[str, dict[str, Any]] = self.reader.get("date_order_seen") or {}
        by_order: dict[str, list[str]] = {}
        for name, order in sorted((self.reader.get("date_order") or {}).items()):
            if name in seen:
                by_order.setdefault(order, []).append(name)
        notes = []
        for order, names in by_order.items():
            held = [
                f"line {seen[n]['line']} holds '{shown_value(seen[n]['value'])}'" for n in names
            ]
            if len(names) == 1:
                settled = f"{names[0]} ({held[0]}, which can only be {order})"
            else:
                each = [f"{name} ({line})" for name, line in zip(names, held, strict=True)]
                settled = (
                    f"{', '.join(each[:-1])} and {each[-1]}, each of which can only be {order}"
                )
            notes.append(f"{Path(self.path).name}: numeric dates read {order} in {settled}")
        return notes

    def status_text(self) -> str:
        """The status as the summary shows it: a skipped file with the rows of it the store
        keeps in quarantine."""
        if self.status != "skipped":
            return self.status
        held = self.held_quarantined
        if not held:
            return self.status
        rows = "1 of its rows is" if held == 1 else f"{held:,} of its rows are"
        return f"skipped (already ingested; {rows} in quarantine)"


@dataclass
class IngestReport:
    files: list[FileReport]
    #: files in the evidence folder not read: in no evidence format (a .parquet, a .db), or an
    #: office program's lock file (~$tickets.xlsx)
    not_evidence: list[str] = field(default_factory=list)

    def not_evidence_note(self) -> str | None:
        """One line naming the files of the folder that were not read, if any: those in no
        evidence format, and the lock files office programs keep beside the files open in them."""
        locks = [name for name in self.not_evidence if lock_file_of(Path(name).name)]
        others = [name for name in self.not_evidence if name not in locks]
        parts = []
        if others:
            parts.append(f"not read, not an evidence format ({SUFFIXES_NAMED}): {_shown(others)}")
        if locks:
            parts.append(_lock_note(locks))
        return "; ".join(parts) or None

    @property
    def errors(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "error"]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def in_quarantine(self) -> int:
        """The rows of these files the store keeps in quarantine: this run's and those of the
        files skipped as already ingested."""
        return self.quarantined + sum(f.held_quarantined for f in self.files)

    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.reasons)
        return total

    def first_places(self) -> dict[str, tuple[str, int, str | None]]:
        """Reason (as counted) -> the file and line it was first given for, and the value."""
        seen: dict[str, tuple[str, int, str | None]] = {}
        for f in self.files:
            for reason, place in f.first_seen.items():
                seen.setdefault(reason, (f.path, place.line, place.value))
        return seen

    def reason_files(self) -> dict[str, list[str]]:
        """Reason (as counted) -> the files it was given for, in the order they were read."""
        files: dict[str, list[str]] = {}
        for f in self.files:
            for reason in f.reasons:
                files.setdefault(reason, []).append(f.path)
        return files


#: files in no evidence format named in the ingest's note (the rest are counted)
NOT_EVIDENCE_SHOWN = 5


def _shown(names: list[str]) -> str:
    """The first :data:`NOT_EVIDENCE_SHOWN` names, and how many more there are."""
    more = len(names) - NOT_EVIDENCE_SHOWN
    return ", ".join(names[:NOT_EVIDENCE_SHOWN]) + (f" and {more:,} more" if more > 0 else "")


def _lock_note(locks: list[str]) -> str:
    """The note on the lock files of a folder passed over (``~$tickets.xlsx``)."""
    if len(locks) > 1:
        return f"skipped {_shown(locks)}: lock files office programs keep while a file is open"
    program, locked = lock_file_of(Path(locks[0]).name) or ("an office program", "a file")
    return f"skipped {locks[0]}: the lock file {program} keeps while {locked} is open"


#: files an evidence folder may hold beside the evidence, not read as evidence
COMPANIONS = (".yaml", ".yml")


def folder_files(source: Path) -> tuple[list[Path], list[Path]]:
    """The files under ``source`` (a folder, searched recursively, or one file), hidden ones
    aside: the evidence files, and those not read that are not the mappings or waivers kept
    beside it (in no evidence format, a .parquet, an .xls; an office program's lock file,
    ~$tickets.xlsx), each list sorted."""
    if source.is_file():
        return [source], []
    if not source.is_dir():
        raise EvidenceError("no such file or folder", location=Location(str(source)))
    evidence: list[Path] = []
    others: list[Path] = []
    for folder, subfolders, names in os.walk(source, onerror=_unreadable_folder):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in names:
            if lock_file_of(name):
                others.append(Path(folder) / name)
            elif name.startswith("."):
                continue
            elif file_format(Path(name)):
                evidence.append(Path(folder) / name)
            elif Path(name).suffix.lower() not in COMPANIONS:
                others.append(Path(folder) / name)
    return sorted(evidence), sorted(others)


def refuse_export(source: Path) -> None:
    """A folder ``auditor evidence export`` wrote holds a store's tables, not evidence files:
    said at once (before a store is made for it), not read as a folder with no evidence."""
    from .export import manifest_file_name
    from .exported import is_export

    if is_export(source):
        raise EvidenceError(
            f"this folder holds an evidence export ({manifest_file_name()}), not evidence "
            "files: its records were ingested when the store it was made from was",
            location=Location(str(source)),
            hint="audit it as it is (auditor audit PACK FOLDER reads an export), or ingest "
            "the files it was made from",
        )


def evidence_files(source: Path) -> list[Path]:
    """The evidence files under ``source`` (a folder, searched recursively, or one file)."""
    return folder_files(source)[0]


def _unreadable_folder(error: OSError) -> None:
    """A folder of the evidence that cannot be listed is an error, never a silent skip."""
    raise EvidenceError(
        f"cannot read this folder: {error.strerror or error}",
        location=Location(str(error.filename)),
        hint="give the auditor read access to every folder of the evidence",
    )


class Digest(NamedTuple):
    """What one read of a file's bytes tells before it is parsed."""

    sha256: str
    size: int
    has_nul: bool
    #: offset of the first byte beyond ASCII, or -1 (the CSV reader decides the encoding there)
    first_wide: int
    #: how many line feeds the file holds, its last byte
    newlines: int = -1
    last_byte: int = -1
    #: whether the file's double quotes (if any) are plain CSV quoting, and the bytes next to them
    plain_quotes: bool = False
    quote_neighbours: frozenset[int] = frozenset()
    #: whether a UTF-8 byte-order mark appears anywhere but at the very start
    inner_bom: bool = True
    #: a carriage return not followed by a line feed, or a \x01 byte (DuckDB's null text)
    odd_bytes: bool = True

    def lines(self) -> int:
        """The lines of the file (its line feeds, and one more if its last byte is none)."""
        return self.newlines + (self.last_byte != ord("\n"))


class DigestStopped(Exception):
    """A digest given up part way (its caller no longer needs it)."""


def file_digest(path: Path, stop: threading.Event | None = None) -> Digest:
    """SHA-256, size in bytes, whether the file holds any NUL byte, where its first wide byte
    is, and what the column-wise CSV reader needs to know (line feeds, how quotes are used).
    Once ``stop`` is set, :class:`DigestStopped` is raised at the next chunk."""
    digest = hashlib.sha256()
    size = 0
    has_nul = False
    first_wide = -1
    newlines = 0
    quotes = QuoteScan()
    last_byte = -1
    inner_bom = False
    odd_bytes = False
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(DIGEST_CHUNK):
            if stop is not None and stop.is_set():
                raise DigestStopped(str(path))
            digest.update(chunk)
            if first_wide < 0 and not chunk.isascii():
                first_wide = size + next(i for i, byte in enumerate(chunk) if byte > 127)
            quotes.feed(chunk)
            # the chunk with the two bytes before it (a mark or CR LF may straddle chunks),
            # copied only where the bytes looked for are there at all
            at_start = size == len(tail)  # tail + chunk starts the file: a mark may lead it
            inner_bom = inner_bom or _found(tail, chunk, _BOM, 1 if at_start else 0)
            if b"\r" in chunk or tail.endswith(b"\r"):
                joined = tail + chunk
                lone = _LONE_CR.search(joined)  # a CR at the very end waits for the next byte
                odd_bytes = odd_bytes or (lone is not None and lone.start() < len(joined) - 1)
            tail = (tail + chunk[-2:])[-2:]
            odd_bytes = odd_bytes or b"\x01" in chunk
            size += len(chunk)
            has_nul = has_nul or b"\x00" in chunk
            newlines += chunk.count(b"\n")
            last_byte = chunk[-1]
    plain = quotes.finish()
    neighbours = frozenset(quotes.neighbours)
    return Digest(
        digest.hexdigest(),
        size,
        has_nul,
        first_wide,
        newlines,
        last_byte,
        plain,
        neighbours,
        inner_bom,
        odd_bytes or last_byte == ord("\r"),
    )


def _found(tail: bytes, chunk: bytes, text: bytes, start: int) -> bool:
    """Whether ``text`` is in ``tail + chunk`` at or after ``start``, without joining them."""
    if text[:1] not in chunk and text[:1] not in tail:  # one fast scan for its first byte
        return False
    if chunk.find(text, max(0, start - len(tail))) >= 0:
        return True
    return (tail + chunk[: len(text) - 1]).find(text, start) >= 0


class Ingest:
    """One ingest run of a pack's evidence into a store."""

    def __init__(
        self,
        pack: Pack,
        store: EvidenceStore,
        mapping: Mapping | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.pack = pack
        self.store = store
        self.mapping = mapping
        self.progress = progress
        #: the rows the file being read holds, as far as known before reading it
        self.rows_expected: int | None = None
        #: files whose keys are in ``seen``; a key's marker is file index << 32 | line
        self.file_names: list[str] = []
        self.seen: dict[str, KeyIndex] = {}
        #: the newest manifest id this ingest knows of (another process may add files too)
        self.last_file = store.last_file_id()
        #: the evidence folder being ingested (mapping paths are recorded relative to it)
        self.root: Path | None = None
        #: the files of this run, the position of the one being read, and the kind each of
        #: the later ones seems to hold
        self.chosen: list[Path] = []
        self.position = 0
        self._kind_guesses: dict[Path, str | None] = {}
        #: files a pass stored without looking their keys up, and found a key repeated in:
        #: read again with the kind's index (see :meth:`_ColumnarLoad._keys_trusted`)
        self.keys_repeated: set[str] = set()

    def run(self, source: Path, files: list[Path] | None = None) -> IngestReport:
        """Ingest every file under ``source``, or only ``files`` (paths under it) when given."""
        self.root = source if source.is_dir() else None
        chosen, others = folder_files(source) if files is None else (files, [])
        if not chosen:
            refuse_export(source)
        self.chosen, reports = chosen, []
        for position, path in enumerate(chosen):
            self.position = position
            reports.append(self.ingest_file(path))
        self.chosen = []
        return IngestReport(reports, [relative_path(str(p), str(source)) for p in others])

    def kind_read_later(self, kind: EvidenceKind) -> bool:
        """Whether a file this run reads later may hold records of ``kind``: its mapping or
        name names the kind, its CSV header matches it best, or it takes more than that to
        tell (a workbook or JSON file named for no kind, a file that cannot be read)."""
        for path in self.chosen[self.position + 1 :]:
            if path not in self._kind_guesses:
                self._kind_guesses[path] = self._kind_guess(path)
            if self._kind_guesses[path] in (kind.name, None):
                return True
        return False

    def _kind_guess(self, path: Path) -> str | None:
        if not path.is_file():  # a pipe would block the open; it is refused in its turn
            return None
        try:
            mapping = self._mapping_for(path)
            if mapping is not None:
                mapped = mapped_kind(mapping, self.pack)
                return None if mapped is None else mapped.name
            named = kind_by_name(self.pack, path)
            if named is not None:
                return named.name
            if file_format(path) != "csv":  # a workbook or JSON file: it takes reading it
                return None
            table = open_table(path)
            try:
                return choose_kind(self.pack, path, table.header).name
            finally:
                _close(table)
        except (AuditorError, OSError, ValueError):  # read properly when its turn comes
            return None

    # -------------------------------------------------------- one file

    def ingest_file(self, path: Path) -> FileReport:
        report = FileReport(str(path))
        started = time.perf_counter()
        if not path.is_file():  # a pipe blocks the read, a device never ends: neither is read
            report.status = "error"
            report.reason = str(
                EvidenceError(
                    "not a regular file (a pipe, a device or a socket), so it is not read",
                    location=Location(str(path)),
                    hint="copy the export into a regular file",
                )
            )
            self._record_failure(report)
            return report
        if self.progress is not None:  # a file starts: its bytes are hashed
            self.progress(report.path, 0, None, 0.0)
        try:
            scanned = file_digest(path)
        except OSError as exc:  # no read permission, a disk error: a file error, never a skip
            report.status = "error"
            report.reason = str(
                EvidenceError(
                    f"cannot read file: {exc.strerror or exc}",
                    location=Location(str(path)),
                    hint="give the auditor read access to every file of the evidence",
                )
            )
            self._record_failure(report)
            return report
        report.sha256, report.size = scanned.sha256, scanned.size
        if self._already_ingested(report):
            report.status = "skipped"
            report.reason = "already in the store (same path and SHA-256)"
            return report
        before = self.store.other_versions(report.path, report.sha256)
        if before:  # a corrected export: its records would clash with the first version's
            report.status = "error"
            report.reason = str(
                EvidenceError(
                    f"this file was ingested into this store before with other contents "
                    f"(SHA-256 {before[0][:12]}… then, {report.sha256[:12]}… now): the store "
                    "would hold both versions, the new one's records refused as repeats",
                    location=Location(str(path)),
                    hint="ingest the files into a new store (an audit makes its own)",
                )
            )
            self._record_failure(report)
            return report
        if self.progress is not None:  # hashed: the file is opened
            self.progress(report.path, 0, None, 0.0)
        try:
            self._ingest_checked(path, report, scanned)
            if self.progress is not None:  # read whole: its rows read are all it holds
                rows = report.rows_read
                self.progress(report.path, rows, rows, time.perf_counter() - started)
        except EvidenceError as exc:
            report.status = "error"
            report.reason = str(exc)
            report.stored = report.quarantined = report.rows_read = 0
            report.reasons.clear()
            report.first_seen.clear()
            self._record_failure(report)
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_checked(self, path: Path, report: FileReport, scanned: Digest) -> None:
        mapping = self._mapping_for(path)
        table = self._open(path, mapping, report, scanned)
        self.rows_expected = expected_rows(table, scanned)
        if self.progress is not None:  # open: its rows are read next
            self.progress(report.path, 0, self.rows_expected, 0.0)
        kind = mapped_kind(mapping, self.pack) if mapping else None
        if kind is None:
            kind = _kind_of_table(self.pack, path, table)
        report.kind = kind.name
        active = mapping or auto_mapping(kind, table.header)
        if active.by_names:  # a mapping of the reader, time zone or markers only
            active = replace(active, columns=auto_mapping(kind, table.header).columns)
        report.mapping = self._mapping_record(active)

        def plan_for(table: Table) -> RowPlan:
            return RowPlan(
                kind,
                active,
                table.header,
                ZoneInfo(active.timezone or self.pack.timezone),
                path,
                table.format == "jsonl",
                table.format == "csv",
                table.options.get("sheet"),
                table.sheets,
                table.header_row,
                table.rows_below,
            )

        plan = plan_for(table)
        report.mapping = self._mapping_record(active, plan.sources)
        self.store.ensure_kind(kind)
        columnar = scanned if _columnar(table, scanned) else None
        # Each pass that ends in _Restart has settled the order of one more column (or found
        # a key repeated that it did not look up); a column-wise pass that declines leaves the
        # file to the row reader.
        for _ in range(len(plan.orders) + 3):
            try:
                self._load_once(table, kind, plan, active, report, columnar)
                return
            except _Restart:
                _close(table)
                table = self._open(path, mapping, report, scanned)
            except Declined:
                _close(table)
                table = self._open(path, mapping, report, scanned)
                plan, columnar = plan_for(table), None
        raise EvidenceError(
            "the dates' day/month order could not be settled", location=Location(str(path))
        )

    def _open(
        self, path: Path, mapping: Mapping | None, report: FileReport, scanned: Digest
    ) -> Table:
        reader_options = dict(mapping.reader) if mapping else {}
        scan = {"has_nul": scanned.has_nul, "first_wide": scanned.first_wide}
        table = open_table(path, {**reader_options, **scan})
        report.reader = {"format": table.format, **table.options}
        for name in scan:
            report.reader.pop(name, None)
        return table

    def _load_once(
        self,
        table: Table,
        kind: EvidenceKind,
        plan: RowPlan,
        mapping: Mapping,
        report: FileReport,
        columnar: Digest | None = None,
    ) -> None:
        """One pass over the file in one transaction; forget its keys if it does not commit."""
        report.rows_read = report.stored = report.quarantined = 0
        report.reasons.clear()
        report.first_seen.clear()
        plan.reset_moved()
        index = self._file_index(report.path)
        known = self.last_file
        try:
            with self.store.transaction():
                if self._others_wrote() and self._already_ingested(report):
                    report.status = "skipped"  # another process took this file meanwhile
                    report.reason = "already in the store (same path and SHA-256)"
                    return
                report.status = "loading"
                source = self.store.record_file(_manifest_entry(report))
                self.last_file = source
                if columnar is None:
                    _FileLoad(self, table, kind, plan, mapping, report, source, index).run()
                else:
                    load = _ColumnarLoad(self, table, kind, plan, mapping, report, source, index)
                    load.run_columnar(columnar)
                    if load.keys_all_new:  # the index did not see them: read from the store
                        self.seen.pop(kind.name, None)  # when next needed
                self._check_stored_and_unchanged(kind, report, source)
                report.warnings = list(plan.warnings)
                report.moved_dst = plan.moved_counts()
                if plan.date_orders():
                    report.reader["date_order"] = plan.date_orders()
                    report.reader["date_order_seen"] = plan.date_orders_seen()
                self.store.update_file(source, _manifest_entry(report))
        except BaseException:
            self.last_file = known  # the file's id went with it: no other process wrote it
            self._forget(kind, index)
            raise

    def _others_wrote(self) -> bool:
        """Whether another process stored files since; if so, their keys are read again."""
        if self.store.last_file_id() == self.last_file:
            return False
        self.seen.clear()
        return True

    def _forget(self, kind: EvidenceKind, index: int) -> None:
        """Drop the keys a file that was rolled back had added to the duplicate check."""
        seen = self.seen.get(kind.name)
        if seen is not None:
            self.seen[kind.name] = seen.without_file(index)

    def _mapping_record(
        self, mapping: Mapping, columns: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The audit trail of a file's mapping: what it is, how it was chosen, what it read.

        ``columns`` are the ones a plan found in the file; before there is a
        plan, those the mapping names.
        """
        if columns is None:
            columns = {name: describe(spec) for name, spec in mapping.columns.items()}
        kind = self.pack.evidence.get(mapping.kind)
        missing = mapping.missing_texts(kind.missing if kind else ())
        specs = sorted(mapping.columns.items())
        return {
            "name": mapping.name if mapping.source == "preset" else None,
            "source": mapping.source,
            "path": self._mapping_path(mapping),
            "sha256": mapping.sha256,
            "columns": columns,
            "timezone": mapping.timezone,
            "dst": mapping.dst,
            "missing": sorted(missing),
            "values": {name: dict(spec.values) for name, spec in specs if spec.values},
            "formats": {name: spec.format for name, spec in specs if spec.format},
        }

    def _mapping_path(self, mapping: Mapping) -> str | None:
        if mapping.path is None:
            return None
        path = Path(mapping.path)
        if mapping.source == "preset":
            return path.resolve().relative_to(PRESETS_DIR.parent).as_posix()
        if self.root is not None and path.resolve().is_relative_to(self.root.resolve()):
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        return mapping.path

    def _already_ingested(self, report: FileReport) -> bool:
        entry = self.store.ingested(report.path, report.sha256)
        if entry is not None:
            report.kind = entry["kind"]
            report.mapping = entry["mapping"]
            report.warnings = entry["warnings"]
            report.moved_dst = entry["moved_dst"]
            report.reader = entry["reader"]
            report.held_quarantined = int(entry["quarantined"] or 0)
        return entry is not None

    def _mapping_for(self, path: Path) -> Mapping | None:
        """The sidecar mapping beside a file, or the one given; both (if different) is an error."""
        sidecar_path = path.with_name(path.stem + ".mapping.yaml")
        if not sidecar_path.exists():
            return self.mapping
        sidecar = load_mapping(sidecar_path, source="sidecar")
        given = self.mapping
        if given is None:
            return sidecar
        if given.sha256 != sidecar.sha256:
            option = (
                f"--preset {given.name}" if given.source == "preset" else f"--mapping {given.path}"
            )
            raise EvidenceError(
                f"has a sidecar mapping {sidecar_path.name} but {option} was given; remove one",
                location=Location(str(path)),
            )
        return given

    def _file_index(self, path: str) -> int:
        self.file_names.append(path)
        return len(self.file_names) - 1

    def _seen(self, kind: EvidenceKind) -> KeyIndex:
        """Keys already stored for a kind, each with a marker of where it came from."""
        if kind.name not in self.seen:
            from .key_index import KeyIndex  # numpy, imported when an ingest needs it

            seen = KeyIndex()
            indexes: dict[str, int] = {}
            for keys, paths, lines in self.store.key_batches(kind):
                for path in set(paths) - indexes.keys():
                    indexes[path] = self._file_index(path) << 32
                markers = [
                    indexes[path] | int(line) for path, line in zip(paths, lines, strict=True)
                ]
                seen.add_stored(keys, markers)
            self.seen[kind.name] = seen
        return self.seen[kind.name]

    def _where(self, marker: int) -> str:
        return f"{self.file_names[marker >> 32]}:{marker & 0xFFFFFFFF}"

    def _check_stored_and_unchanged(
        self, kind: EvidenceKind, report: FileReport, source: int
    ) -> None:
        """The row accounting (counted by SQLite) and the file's hash (read again by
        hashlib) checked side by side: both let go of Python's lock. An accounting that
        does not balance is the error reported when both fail."""
        import threading
        from concurrent.futures import ThreadPoolExecutor

        from .interrupts import submit_held

        stop = threading.Event()
        with ThreadPoolExecutor(1, thread_name_prefix="auditor-hash") as pool:
            try:
                unchanged = submit_held(
                    pool, self._check_unchanged, Path(report.path), report, stop
                )
                self._check_balance(kind, report, source)
                unchanged.result()
            except BaseException:
                stop.set()  # the hash given up at its next chunk: the error goes on at once
                raise

    def _check_unchanged(
        self, path: Path, report: FileReport, stop: threading.Event | None = None
    ) -> None:
        """The recorded SHA-256 must be the hash of the bytes read: a file that changed is refused."""
        if file_digest(path, stop)[0] != report.sha256:
            raise EvidenceError(
                "the file changed while it was read; nothing from it was kept",
                location=Location(str(path)),
                hint="audit a copy that is no longer being written",
            )

    def _check_balance(self, kind: EvidenceKind, report: FileReport, source: int) -> None:
        stored, quarantined = self.store.rows_from(kind, source)
        if stored != report.stored or quarantined != report.quarantined or not report.balanced:
            raise EvidenceError(
                f"row accounting does not balance: read {report.rows_read}, stored {stored}, "
                f"quarantined {quarantined}; nothing from this file was kept",
                location=Location(report.path),
            )

    def _record_failure(self, report: FileReport) -> None:
        try:
            with self.store.transaction():
                self._others_wrote()
                self.last_file = self.store.record_file(_manifest_entry(report))
        except AuditorError:
            pass


class _Restart(Exception):
    """Read the file again: the day/month order of a column was settled further on, or a
    pass that stored the keys without looking them up found one repeated."""


class _FileLoad:
    """One pass over one file's rows: converted in batches, each row stored or quarantined."""

    def __init__(
        self,
        ingest: Ingest,
        table: Table,
        kind: EvidenceKind,
        plan: RowPlan,
        mapping: Mapping,
        report: FileReport,
        source: int,
        index: int,
    ) -> None:
        self.ingest = ingest
        self.store = ingest.store
        self.table = table
        self.kind = kind
        self.plan = plan
        self.report = report
        self.source = source
        self.seen: KeyIndex | _AllNew = ingest._seen(kind)
        self.file_marker = index << 32
        self.key_positions = [plan.names.index(k) for k in kind.key]
        self.single_key = self.key_positions[0] if len(self.key_positions) == 1 else None
        self.width = len(table.header)
        #: the header's width without the unnamed cells at its end (an export's empty columns)
        self.named_width = _named_width(table.header)
        self.fixed_width = table.format != "jsonl"
        self.sources = dict(mapping.columns)
        #: the check beside the conversion found the file's keys distinct; the kind held none
        self.keys_all_new = False
        #: records to store, in order: batches kept whole (as converted), or the rows kept of one
        self.records: list[Sequence[tuple[Any, ...]]] = []
        self.quarantine: list[tuple[Any, ...]] = []
        self.pending: list[tuple[RawRow, Any]] = []

    def run(self) -> None:
        report = self.report
        progress = self.ingest.progress
        started = last_tick = time.perf_counter()
        rows: Iterator[RawRow] = iter(self.table.rows)
        pending = self.pending
        width = self.width if self.fixed_width else None
        for raw in rows:
            report.rows_read += 1
            values = raw.values
            if raw.problem or (width is not None and len(values) != width):
                values, problem = self._shaped(raw)
                if problem is not None:
                    self._refuse(raw, problem)
                    continue
            pending.append((raw, values))
            if len(pending) >= BATCH:
                self._flush(rows)
                self._store_records()
                if progress is not None and time.perf_counter() - last_tick >= REPORT_EVERY:
                    last_tick = time.perf_counter()
                    total = self.ingest.rows_expected
                    progress(report.path, report.rows_read, total, last_tick - started)
            if len(self.quarantine) >= BATCH:
                self._store_quarantine()
        self._flush(rows)
        self._store_records()
        self._store_quarantine()
        self._settle_status()

    def _settle_status(self) -> None:
        report = self.report
        if report.rows_read == 0:
            report.status = "empty"
            report.reason = "header only: no rows"
        else:
            report.status = "quarantined" if report.quarantined else "ok"

    def _shaped(self, raw: RawRow) -> tuple[Any, str | None]:
        """A row's values cut to the header's width, or why the row cannot be converted."""
        if raw.problem:
            return None, raw.problem
        values: Any = raw.values
        if self.fixed_width and len(values) != self.width:
            extra = values[self.width :]
            if len(values) > self.width and all(v is None or str(v).strip() == "" for v in extra):
                return values[: self.width], None
            if self.named_width <= len(values) < self.width:  # only unnamed columns left out
                return [*values, *[""] * (self.width - len(values))], None
            return None, f"expected {self.width} columns as in the header, found {len(values)}"
        return values, None

    def _flush(self, rows: Iterator[RawRow]) -> None:
        if not self.pending:
            return
        raws = [raw for raw, _ in self.pending]
        values = [v for _, v in self.pending]
        self.pending.clear()
        lines = [raw.line for raw in raws]
        try:
            results = convert_in_order(self.plan, values, lines, self.source)
        except OrderUndecided:
            self._scan_ahead(rows)
        self._settle(results, lines, lambda: raws)

    def _scan_ahead(self, rows: Iterator[RawRow]) -> NoReturn:
        """Search the rest of the file until every open day/month order is settled; then restart."""
        batch: list[Any] = []
        lines: list[int] = []
        for raw in rows:
            values, problem = self._shaped(raw)
            if problem is not None:
                continue
            batch.append(values)
            lines.append(raw.line)
            if len(batch) >= BATCH:
                self.plan.observe(batch, lines, everything=True)
                batch, lines = [], []
                if self.plan.orders_settled():
                    raise _Restart
        self.plan.observe(batch, lines, everything=True)
        self.plan.finish_orders()
        raise _Restart

    def _shown_key(self, key: Any) -> Any:
        """A key as the report prints it (``T1|2026-09-24``, not a tuple; a date or timestamp
        part as ISO text, see :func:`shown_key`); a key of one field of another type as it is."""
        from .evaluate.scope import TIME_TYPES, key_text, key_types, shown_key

        types = key_types(self.kind)
        if not isinstance(key, tuple) and types[0] not in TIME_TYPES:
            return key
        parts = list(key) if isinstance(key, tuple) else [key]
        return shown_key(key_text(parts), types, ZoneInfo(self.ingest.pack.timezone))

    def _refuse(self, raw: RawRow, problem: str) -> None:
        """Quarantine a row that cannot be converted for ``problem``; one whose problem is a
        cell's (a formula never computed) in a row that is no record (a totals row, the header
        repeated) is told as no record, as when its cells can be read
        (:meth:`RowPlan.no_record` comes before any value is read)."""
        no_record = None if raw.value is None else self.plan.no_record(raw.values)
        if no_record is not None:
            self._rejected(raw, Rejected.of(no_record))
            return
        self._bad(raw, raw.column, raw.problem_value() if raw.problem else None, problem)

    def _rejected(self, raw: RawRow, rejected: Rejected) -> None:
        """Quarantine a row the plan could not convert, in the file column it names."""
        column = rejected.source or _source_name(self.sources, rejected.field)
        self._bad(raw, column, rejected.raw, _field_reason(rejected))

    def _bad(self, raw: RawRow, column: str, value: Any, reason: str) -> None:
        self.report.quarantined += 1
        counted = reason_class(reason)
        self.report.reasons[counted] += 1
        first = self.report.first_seen.get(counted)
        # a row refused as it is read comes before the rows of its batch, read after it
        if first is None or raw.line < first.line:
            self.report.first_seen[counted] = FirstSeen(raw.line, column, cell_text(value))
        record = raw.raw if raw.raw is not None else _json(raw.values)
        self.quarantine.append(
            (
                self.source,
                self.report.path,
                raw.line,
                self.kind.name,
                column,
                cell_text(value),
                reason,
                record,
            )
        )

    def _settle(
        self, results: Sequence[Any], lines: Sequence[int], raws: Callable[[], list[RawRow]]
    ) -> None:
        """Store each converted row, or quarantine it (``raws`` gives the rows, when needed)."""
        seen = self.seen
        single_key = self.single_key
        if single_key is not None and (
            isinstance(results, Records)  # converted column-wise: no row was rejected
            or not any(r.__class__ is Rejected for r in results)
        ):
            keys = (
                results.columns[single_key]
                if isinstance(results, Records)
                else [r[single_key] for r in results]
            )
            marker = self.file_marker
            if self.keys_all_new or (
                len(set(keys)) == len(keys) and seen.add_new(keys, [marker | n for n in lines])
            ):
                self.records.append(results)
                return
        keys = [
            None
            if result.__class__ is Rejected
            else result[single_key]
            if single_key is not None
            else tuple(result[p] for p in self.key_positions)
            for result in results
        ]
        held = seen.markers_of(keys)  # one look-up for the batch, not one per row
        added: dict[Any, int] = {}  # keys first stored from this batch
        rows: list[RawRow] | None = None  # made only if a row is quarantined
        kept: list[tuple[Any, ...]] = []
        for index, result in enumerate(results):
            key = keys[index]
            if result.__class__ is Rejected:
                rows = raws() if rows is None else rows
                self._rejected(rows[index], result)
                continue
            first = held[index]
            if first is None:
                first = added.get(key)
            if first is not None:
                rows = raws() if rows is None else rows
                where = self.ingest._where(first)
                reason = f"duplicate key (first stored at {where}); kept once"
                columns = ",".join(_source_name(self.sources, name) for name in self.kind.key)
                self._bad(rows[index], columns, self._shown_key(key), reason)
            else:
                seen[key] = added[key] = self.file_marker | lines[index]
                kept.append(result)
        if kept:
            self.records.append(kept)

    def _store_records(self) -> None:
        records, self.records = self.records, []
        self.report.stored += _store(self.store, self.kind, self.plan.names, records)

    def _store_quarantine(self) -> None:
        if self.quarantine:
            self.store.insert_quarantine(self.quarantine)
            self.quarantine.clear()


class _ColumnarLoad(_FileLoad):
    """One pass over a plain CSV file read column-wise by Arrow (see :mod:`auditor.columnar`).

    Rows are numbered from the file's line feeds: the pass declines (and the file is read
    row by row) unless the rows read account for every line of the file.
    """

    def run_columnar(self, digest: Digest) -> None:
        report = self.report
        progress = self.ingest.progress
        started = last_tick = time.perf_counter()
        line = 2
        table = self.table
        _close(table)  # the header was read row-wise; Arrow reads the rest
        reader = columnar.READERS.get(self.store.engine, "arrow")
        delimiter = table.options["delimiter"]
        trusted = self._keys_trusted(digest)
        if trusted:  # DuckDB counts the keys once they are stored: no index is made
            self._all_new()
        check = None if trusted else self._keys_check(digest, delimiter)
        behind = _Behind()
        try:
            for columns in csv_columns(str(table.path), delimiter, self.width, reader):
                if check is not None and (check.done() or self.answer_first):
                    distinct, check = self._keys_distinct(check, digest), None
                    if distinct:  # the index made so far (the kind's only) is dropped
                        self._all_new()
                count = columns.rows()
                lines = range(line, line + count)
                line += count
                report.rows_read += count
                self._convert(columns, lines)
                if self.records:
                    records, self.records = self.records, []
                    behind.run(_store, self.store, self.kind, self.plan.names, records)
                    report.stored += sum(map(len, records))
                if len(self.quarantine) >= BATCH:
                    behind.wait()
                    self._store_quarantine()
                if progress is not None and time.perf_counter() - last_tick >= REPORT_EVERY:
                    last_tick = time.perf_counter()
                    total = self.ingest.rows_expected
                    progress(report.path, report.rows_read, total, last_tick - started)
            behind.wait()
        finally:
            try:
                behind.close()
            finally:
                if check is not None:  # read to the end before the answer came: not needed
                    check.stop()
        if digest.lines() != report.rows_read + 1:
            raise Declined("blank lines or line breaks the row reader counts differently")
        if trusted and not self.store.keys_distinct(self.kind, self.source):
            self.ingest.keys_repeated.add(report.path)  # read again, its keys looked up
            raise _Restart
        self._store_quarantine()
        self._settle_status()

    def _all_new(self) -> None:
        """The file's keys are not looked up (the kind held none): the kind's index, the
        little made of it so far, is dropped (read from the store when next needed)."""
        self.keys_all_new, self.seen = True, _AllNew()
        self.ingest.seen.pop(self.kind.name, None)

    def _keys_trusted(self, digest: Digest) -> bool:
        """Whether the file's keys are stored without being looked up, and counted by DuckDB
        when they all are: a store whose records DuckDB keeps (its hash aggregate on all
        cores costs a second at 10M records, against the index and a second reading of the
        file for :class:`DistinctKeysCheck`), a large file of one key field, for a kind
        that holds no key yet and that no later file of the run may hold. A repeated key
        found then rolls the file back, and it is read again with the index, which
        quarantines the repeats as the row reader does."""
        return self.store.duckdb_tables is not None and self._keys_may_all_be_new(digest)

    def _keys_may_all_be_new(self, digest: Digest) -> bool:
        """Whether a file's keys are worth finding all new, not looked up one by one: a large
        file of one key field, not known to repeat one, of a kind that holds no key yet
        and that no later file of the run may hold (its keys go in the index then)."""
        return (
            self.single_key is not None
            and digest.size >= DISTINCT_KEYS_BYTES
            and not len(self.seen)
            and self.report.path not in self.ingest.keys_repeated
            and not self.ingest.kind_read_later(self.kind)
        )

    #: wait for the key check's answer before the first batch (tests set it, to know
    #: which way a file went; otherwise the answer is taken when it comes)
    answer_first = False

    def _keys_check(self, digest: Digest, delimiter: str) -> DistinctKeysCheck | None:
        """DuckDB looking, beside the conversion, for a different key, stored as written, on
        every line of the file, when the kind holds no key yet and no later file of the run
        may hold records of it: once it answers yes, the file's keys need no look-up, and
        no index is made of the rest of them (see :meth:`_keys_distinct`)."""
        if not self._keys_may_all_be_new(digest):
            return None
        assert self.single_key is not None
        position = self.plan.text_column(self.plan.names[self.single_key])
        if position is None:
            return None
        from .backends.duckdb import DistinctKeysCheck

        return DistinctKeysCheck.start(
            str(self.table.path), delimiter, self.width, position, self.plan.missing_or_none
        )

    def _keys_distinct(self, check: DistinctKeysCheck, digest: Digest) -> bool:
        """Whether the check found a different key on every line of the file."""
        rows = check.rows()
        return rows is not None and rows == digest.lines() - 1

    def _convert(self, columns: TextColumns, lines: range) -> None:
        for start in range(0, len(lines), COLUMN_BATCH):
            part = columns.slice(start, COLUMN_BATCH)
            rows = _RowsOf(part)
            where = lines[start : start + COLUMN_BATCH]
            try:
                results = convert_in_order(self.plan, rows, where, self.source, part)
            except OrderUndecided:
                raise Declined("the dates' day/month order is settled further on") from None
            self._settle(
                results,
                where,
                lambda rows=rows, where=where: [  # type: ignore[misc]
                    RawRow(n, list(values)) for n, values in zip(where, rows, strict=True)
                ],
            )


class _RowsOf(ColumnRows):
    """A batch's rows, made from its columns only if something reads them row by row
    (a batch that converts column-wise never does)."""

    columns: TextColumns

    def __len__(self) -> int:
        return self.columns.rows()  # without making a column Python texts


class _AllNew:
    """Stands in for a kind's key index while a file whose keys are all new is loaded:
    no key is held, none is kept (the store has them, for the next file of the kind)."""

    def __len__(self) -> int:
        return 0

    def add_new(self, keys: Sequence[Any], markers: Sequence[int]) -> bool:
        return True

    def markers_of(self, keys: Sequence[Any]) -> list[int | None]:
        return [None] * len(keys)

    def __setitem__(self, key: Any, marker: int) -> None:
        pass


class _Behind:
    """Stores batches on a second thread while the next are converted on this one.

    SQLite and DuckDB do their part of an insert without Python's lock, so the
    two overlap on two cores. A few batches may wait their turn (``depth``), so
    that converting goes on while the store takes longer over one: DuckDB
    stores the rows it holds every 200,000 (see
    :data:`auditor.backends.duckdb_records.INSERT_ROWS`). :meth:`wait` waits
    for all of them and raises what storing the first that failed raised.
    :meth:`close` waits for every batch in flight even when the load is
    failing, so that nothing writes while the transaction rolls back.
    """

    def __init__(self, depth: int = 3) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(1, thread_name_prefix="auditor-store")
        self.depth = depth
        self.pending: deque[Any] = deque()  # in the order given: one thread stores them so

    def run(self, work: Callable[..., Any], *args: Any) -> None:
        """Hand a batch to the storing thread, once fewer than ``depth`` are in flight
        (recorded as in flight even when Ctrl-C comes as the thread starts: see
        :func:`auditor.interrupts.submit_held`)."""
        from .interrupts import submit_held

        while len(self.pending) >= self.depth:
            self.pending.popleft().result()
        self.pending.append(submit_held(self.pool, work, *args))

    def wait(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def close(self) -> None:
        """Wait for the batches in flight (an error of theirs is the caller's already)."""
        from concurrent.futures import wait

        from .interrupts import held

        pending, self.pending = list(self.pending), deque()
        with held():  # a second Ctrl-C waits for the batches too: nothing stores after this
            if pending:
                wait(pending)
            self.pool.shutdown(wait=True)


def _store(
    store: EvidenceStore,
    kind: EvidenceKind,
    names: list[str],
    records: list[Sequence[tuple[Any, ...]]],
) -> int:
    """Store batches of records in order; how many records that was."""
    for batch in records:
        if batch:
            store.insert_records(kind, names, batch)
    return sum(map(len, records))


def _named_width(header: Sequence[Any]) -> int:
    """How many of the header's cells count: up to its last named one (an export may write
    empty header cells after its columns, and rows without them)."""
    names = [str(name or "").strip() for name in header]
    return max((i + 1 for i, name in enumerate(names) if name), default=len(names))


def expected_rows(table: Table, scanned: Digest) -> int | None:
    """The rows a file holds as far as known before reading it: a text file's lines (but a
    CSV file's header), a workbook's as its sheet states them (None: it states none)."""
    if table.format == "xlsx":
        return table.rows_stated
    return max(scanned.lines() - (table.format == "csv"), 0)


def _columnar(table: Table, scanned: Digest) -> bool:
    """Whether a file can be read column-wise exactly as the row reader reads it."""
    return (
        table.format == "csv"
        and table.options.get("encoding") in ("utf-8", "utf-8-sig")
        and not scanned.has_nul
        and scanned.plain_quotes
        and not scanned.inner_bom
        and scanned.quote_neighbours <= {ord(table.options.get("delimiter", ",")[:1] or ",")}
        and scanned.newlines >= 0
        and scanned.size >= columnar.MIN_COLUMNAR_BYTES
        and len(table.header) >= 2
        and len(table.options.get("delimiter", "")) == 1
        and table.options["delimiter"].isascii()
        and not scanned.odd_bytes
    )


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row the plan could not convert: which field, its raw value, why."""

    field: str
    raw: Any
    reason: str
    #: the file column(s) the wrong value is in, where the plan tells them (else the field's)
    source: str | None = None

    @classmethod
    def of(cls, bad: BadValue) -> Rejected:
        return cls(bad.column, bad.raw, bad.reason, bad.source)


def _field_reason(rejected: Rejected) -> str:
    """A rejected row's reason as the quarantine gives it: after its field's name, unless it
    is the whole row's (the header repeated)."""
    return f"{rejected.field}: {rejected.reason}" if rejected.field else rejected.reason


def convert_in_order(
    plan: RowPlan,
    rows: Sequence[Any],
    lines: Sequence[int],
    source: int,
    columns: Sequence[list[Any]] | None = None,
) -> Sequence[Any]:
    """:func:`convert_chunk`, with the day/month order of each column settled first (see
    :meth:`RowPlan.with_orders_settled`)."""
    return plan.with_orders_settled(
        rows, lines, lambda: convert_chunk(plan, rows, lines, source, columns)
    )


def convert_chunk(
    plan: RowPlan,
    rows: Sequence[Any],
    lines: Sequence[int],
    source: int,
    columns: Sequence[list[Any]] | None = None,
) -> Sequence[Any]:
    """Records (with source and line appended) or :class:`Rejected` entries, one per row.

    ``columns`` are the rows' values column by column, when the reader has them so.
    """
    converted = plan.convert_columns(rows, columnar.line_columns(source, lines), columns)
    if converted is not None:
        return converted
    out: list[Any] = []
    for values, line in zip(rows, lines, strict=True):
        try:
            out.append((*plan.convert(values), source, line))
        except BadValue as exc:
            out.append(Rejected.of(exc))
    return out


def _kind_of_table(pack: Pack, path: Path, table: Table) -> EvidenceKind:
    """The kind a file holds (see :func:`choose_kind`); for a workbook of several sheets the
    error also names the sheet read and the others (a cover sheet first, say)."""
    try:
        return choose_kind(pack, path, table.header)
    except EvidenceError as exc:
        below = _header_below(pack, path, table)
        if below:
            hint = f"{exc.hint}; {below}"
            raise EvidenceError(exc.message, location=exc.location, hint=hint) from None
        if len(table.sheets) < 2:
            raise
        read = table.options.get("sheet")
        others = ", ".join(name for name in table.sheets if name != read)
        raise EvidenceError(
            f"{exc.message}; sheet '{read}' was read, the workbook also has {others}",
            location=exc.location,
            hint="move the sheet of records to the front, or write a mapping for the file "
            "with its kind, columns and reader: {sheet: NAME}",
        ) from None


def _header_below(pack: Pack, path: Path, table: Table) -> str | None:
    """For a workbook or CSV file whose header read tells no kind: the note naming the first
    row (line) below it that is the header of one kind (a title above the header is read as
    the header)."""
    for row, texts in table.rows_below:
        try:
            kind = choose_kind(pack, path, list(texts))
        except EvidenceError:
            continue
        found = next(iter(auto_mapping(kind, list(texts)).columns.values())).columns[0]
        return title_note(table.options.get("sheet"), table.header_row, row, found, kind.name)
    return None


def _close(table: Table) -> None:
    """Close a table whose rows were not read to the end (its file stays open otherwise)."""
    close = getattr(table.rows, "close", None)
    if close is not None:
        close()


def _manifest_entry(report: FileReport) -> dict[str, Any]:
    return {
        "file": report.path,
        "kind": report.kind,
        "sha256": report.sha256,
        "size": report.size,
        "rows_read": report.rows_read,
        "stored": report.stored,
        "quarantined": report.quarantined,
        "status": report.status,
        "reason": report.reason,
        "reader": report.reader,
        "mapping": report.mapping,
        "warnings": report.warnings,
        "moved_dst": report.moved_dst,
    }


def _source_name(sources: dict[str, Any], field_name: str) -> str:
    """The file column(s) a field is read from, as the quarantine names them: its column, the
    columns its value is made of (``语音线路 + 呼叫编号``, a date column and its time column
    ``日期 + 接通时间``), or the field's own name (the first of several columns that has a
    value, a constant)."""
    spec = sources.get(field_name)
    if spec is None:
        return field_name
    if spec.join:
        return " + ".join(spec.join)
    if len(spec.columns) != 1:
        return field_name
    return (
        spec.columns[0] if spec.date_column is None else f"{spec.date_column} + {spec.columns[0]}"
    )


def _printable(text: str) -> str:
    """Text SQLite can hold: bytes that could not be decoded are kept as \\xNN escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


#: characters of a value shown beside the first line a quarantine reason was given for
SHOWN_VALUE = 40


def first_place(line: int, value: str | None, path: str | None = None, other_files: int = 0) -> str:
    """Where a quarantine reason was first given, and the value, for the console: ``first
    quarantined at tickets.csv:3, value '2026-13-01'`` (the value cut to :data:`SHOWN_VALUE`
    characters), and ``; also in 2 other files`` when the reason was given for rows of
    ``other_files`` files besides. The row quarantined, not where a value first appeared: for
    a repeated key, the first repeat (the record kept is earlier)."""
    where = f"{path}:{line}" if path else f"line {line}"
    shown = shown_value(value)
    place = f"first quarantined at {where}"
    if shown is not None:
        place += f", value {shown!r}"
    if other_files:
        place += f"; also in {other_files:,} other file{'s' if other_files > 1 else ''}"
    return place


def shown_value(value: str | None) -> str | None:
    """A value as a first place shows it: cut to :data:`SHOWN_VALUE` characters, ``…`` at
    the cut; None for no value or an empty one."""
    if value is None or value == "":
        return None
    return value if len(value) <= SHOWN_VALUE else value[: SHOWN_VALUE - 1] + "…"


def cell_text(value: Any) -> str | None:
    """A raw cell as the file shows it (None for an empty one), for the quarantine and for
    explain: a date cell as its day, a datetime to the second (also at midnight; the workbook
    reader tells the two apart by the cell's number format), a time of day as ``HH:MM:SS``, a
    whole number without its ``.0``; cut to 1,000 characters."""
    if value is None:
        return None
    text = value if isinstance(value, str) else plain_text(value)
    return _printable(text[:1000])


def _json(values: Any) -> str:
    def plain(v: Any) -> Any:
        if v is None or isinstance(v, str | int | float | bool | list | dict):
            return v  # a JSON value, as the line holds it
        return cell_text(v)

    if isinstance(values, dict):
        data: Any = {str(k): plain(v) for k, v in values.items()}
    elif isinstance(values, list | tuple) and all(v is None or v.__class__ is str for v in values):
        data = values  # a CSV row's texts: as they are
    else:
        data = [plain(v) for v in values]
    text = _printable(json.dumps(data, ensure_ascii=False))
    return text if len(text) <= 20000 else text[:20000] + "…"


def reason_class(reason: str) -> str:
    """A reason without the row's own values, for counting: the value it starts with and the
    closest to it left out (``status: not one of open, closed`` for ``status: 'Open ' is not
    one of open, closed; did you mean 'open'?``), another quoted text written ``'…'``."""
    text = reason.split(" (first stored at")[0]
    if text.startswith("malformed CSV: "):  # the CSV reader's words: no value of the row's
        return text.split("; lines ")[0]
    text = _VALUE_FIRST.sub(r"\g<field>", text.split("; did you mean '")[0], count=1)
    parts = text.split("'")
    if len(parts) >= 3:
        text = "'".join(p if i % 2 == 0 else "…" for i, p in enumerate(parts))
    return text


#: the row's value a reason starts with, after its field: ``'32/1/2026' is `` (quotes in the
#: value aside: the last quote before the words that follow it)
_VALUE_FIRST = re.compile(
    r"^(?P<field>[A-Za-z_]\w*: )?'.*' (?:is )?(?=not |too large |does not |happens twice )"
)


def ingest(
    pack: Pack,
    source: str | Path,
    store: EvidenceStore,
    mapping: Mapping | None = None,
    progress: Progress | None = None,
    files: list[Path] | None = None,
) -> IngestReport:
    """Ingest every evidence file under ``source`` (or only ``files``) into ``store``."""
    return Ingest(pack, store, mapping, progress).run(Path(source), files)
