"""Ingest evidence files into the store: map, type, validate, quarantine.

Every row read is either stored or quarantined with its file, line, column and
reason; the ingest checks ``rows read == stored + quarantined`` for every file
against the store itself and refuses to commit a file where it does not hold.
Each file is one transaction: a crash leaves the store as it was before it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .convert import BadValue, RowPlan
from .errors import AuditorError, EvidenceError, Location
from .mapping import Mapping, auto_mapping, choose_kind, load_mapping
from .model import EvidenceKind, Pack
from .readers import RawRow, Table, file_format, open_table
from .store import QUARANTINE, EvidenceStore

BATCH = 5000

Progress = Callable[[str, int, float], None]


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
    reader: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.stored + self.quarantined


@dataclass
class IngestReport:
    files: list[FileReport]

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

    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.reasons)
        return total


def evidence_files(source: Path) -> list[Path]:
    """The evidence files under ``source`` (a folder, searched recursively, or one file)."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise EvidenceError("no such file or folder", location=Location(str(source)))
    return sorted(
        p
        for p in source.rglob("*")
        if p.is_file()
        and file_format(p)
        and not any(part.startswith(".") for part in p.relative_to(source).parts)
    )


def file_digest(path: Path) -> tuple[str, int, bool]:
    """SHA-256, size in bytes, and whether the file holds any NUL byte."""
    digest = hashlib.sha256()
    size = 0
    has_nul = False
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            has_nul = has_nul or b"\x00" in chunk
    return digest.hexdigest(), size, has_nul


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
        #: files whose keys are in ``seen``; a key's marker is file index << 32 | line
        self.file_names: list[str] = []
        self.seen: dict[str, dict[Any, int]] = {}

    def run(self, source: Path) -> IngestReport:
        reports = [self.ingest_file(path) for path in evidence_files(source)]
        return IngestReport(reports)

    # -------------------------------------------------------- one file

    def ingest_file(self, path: Path) -> FileReport:
        report = FileReport(str(path))
        started = time.perf_counter()
        report.sha256, report.size, has_nul = file_digest(path)
        if self._already_ingested(report):
            report.status = "skipped"
            report.reason = "already in the store (same path and SHA-256)"
            return report
        try:
            mapping = self._mapping_for(path)
            reader_options = dict(mapping.reader) if mapping else {}
            table = open_table(path, {**reader_options, "has_nul": has_nul})
            report.reader = {"format": table.format, **table.options}
            report.reader.pop("has_nul", None)
            kind = (
                self.pack.evidence.get(mapping.kind)
                if mapping
                else choose_kind(self.pack, path, table.header)
            )
            if kind is None:
                raise EvidenceError(
                    f"mapping names unknown evidence kind '{mapping.kind if mapping else ''}'",
                    location=Location(str(path)),
                )
            report.kind = kind.name
            active = mapping or auto_mapping(kind, table.header)
            zone = ZoneInfo(active.timezone or self.pack.timezone)
            plan = RowPlan(
                kind,
                active,
                table.header,
                zone,
                path,
                table.format == "jsonl",
                table.format == "csv",
            )
            self.store.ensure_kind(kind)
            with self.store.transaction():
                report.status = "loading"
                source = self.store.record_file(_manifest_entry(report))
                self._load(table, kind, plan, active, report, source)
                self._check_balance(kind, report, source)
                self.store.update_file(source, _manifest_entry(report))
        except EvidenceError as exc:
            report.status = "error"
            report.reason = str(exc)
            report.stored = report.quarantined = report.rows_read = 0
            self._record_failure(report)
        report.seconds = time.perf_counter() - started
        return report

    def _already_ingested(self, report: FileReport) -> bool:
        row = self.store.db.execute(
            "SELECT kind FROM _manifest WHERE file = ? AND sha256 = ? AND status != 'error'",
            [report.path, report.sha256],
        ).fetchone()
        if row is not None:
            report.kind = row[0]
        return row is not None

    def _mapping_for(self, path: Path) -> Mapping | None:
        sidecar = path.with_name(path.stem + ".mapping.yaml")
        if sidecar.exists():
            return load_mapping(sidecar)
        return self.mapping

    def _file_index(self, path: str) -> int:
        self.file_names.append(path)
        return len(self.file_names) - 1

    def _seen(self, kind: EvidenceKind) -> dict[Any, int]:
        """Keys already stored for a kind, each with a marker of where it came from."""
        if kind.name not in self.seen:
            seen: dict[Any, int] = {}
            indexes: dict[str, int] = {}
            for key, path, line in self.store.existing_keys(kind):
                index = indexes.get(path)
                if index is None:
                    index = indexes[path] = self._file_index(path)
                seen[key if len(kind.key) > 1 else key[0]] = index << 32 | int(line)
            self.seen[kind.name] = seen
        return self.seen[kind.name]

    def _where(self, marker: int) -> str:
        return f"{self.file_names[marker >> 32]}:{marker & 0xFFFFFFFF}"

    def _load(
        self,
        table: Table,
        kind: EvidenceKind,
        plan: RowPlan,
        mapping: Mapping,
        report: FileReport,
        source: int,
    ) -> None:
        path = report.path
        seen = self._seen(kind)
        file_marker = self._file_index(path) << 32
        names = plan.names
        key_positions = [names.index(k) for k in kind.key]
        single_key = key_positions[0] if len(key_positions) == 1 else None
        width = len(table.header)
        fixed_width = table.format != "jsonl"
        records: list[tuple[Any, ...]] = []
        quarantine: list[tuple[Any, ...]] = []
        sources = {name: spec for name, spec in mapping.columns.items()}
        last_tick = time.perf_counter()
        started = last_tick

        def bad(raw: RawRow, column: str, value: Any, reason: str) -> None:
            report.quarantined += 1
            report.reasons[_reason_class(reason)] += 1
            record = raw.raw if raw.raw is not None else _json(raw.values)
            quarantine.append(
                (source, path, raw.line, kind.name, column, _text(value), reason, record)
            )

        pending: list[tuple[RawRow, Any]] = []

        def settle(results: list[Any], raws: list[RawRow]) -> None:
            if single_key is not None and not any(r.__class__ is Rejected for r in results):
                keys = [r[single_key] for r in results]
                if len(set(keys)) == len(keys) and seen.keys().isdisjoint(keys):
                    seen.update(zip(keys, [file_marker | raw.line for raw in raws], strict=True))
                    records.extend(results)
                    return
            for raw, result in zip(raws, results, strict=True):
                if result.__class__ is Rejected:
                    bad(
                        raw,
                        _source_name(sources, result.field),
                        result.raw,
                        f"{result.field}: {result.reason}",
                    )
                    continue
                key = (
                    result[single_key]
                    if single_key is not None
                    else tuple(result[p] for p in key_positions)
                )
                first = seen.get(key)
                if first is not None:
                    bad(
                        raw,
                        ",".join(kind.key),
                        key,
                        f"duplicate key (first stored at {self._where(first)}); kept once",
                    )
                else:
                    seen[key] = file_marker | raw.line
                    records.append(result)

        def flush() -> None:
            if pending:
                raws = [raw for raw, _ in pending]
                rows = [values for _, values in pending]
                pending.clear()
                settle(convert_chunk(plan, rows, [raw.line for raw in raws], source), raws)

        rows: Iterator[RawRow] = table.rows
        for raw in rows:
            report.rows_read += 1
            if raw.problem:
                bad(raw, "", raw.raw, raw.problem)
                continue
            values: Any = raw.values
            if fixed_width and len(values) != width:
                extra = values[width:]
                if len(values) > width and all(v is None or str(v).strip() == "" for v in extra):
                    values = values[:width]
                else:
                    bad(
                        raw,
                        "",
                        None,
                        f"expected {width} columns as in the header, found {len(values)}",
                    )
                    continue
            pending.append((raw, values))
            if len(pending) >= BATCH:
                flush()
                self.store.insert_records(kind, names, records)
                report.stored += len(records)
                records.clear()
                if self.progress is not None and time.perf_counter() - last_tick > 0.5:
                    last_tick = time.perf_counter()
                    self.progress(path, report.rows_read, last_tick - started)
            if len(quarantine) >= BATCH:
                self.store.insert_quarantine(quarantine)
                quarantine.clear()
        flush()
        if records:
            self.store.insert_records(kind, names, records)
            report.stored += len(records)
        if quarantine:
            self.store.insert_quarantine(quarantine)
        if report.rows_read == 0:
            report.status = "empty"
            report.reason = "header only: no rows"
        elif report.quarantined:
            report.status = "quarantined"
        else:
            report.status = "ok"

    def _check_balance(self, kind: EvidenceKind, report: FileReport, source: int) -> None:
        db = self.store.db
        stored = db.execute(
            f'SELECT COUNT(*) FROM "{kind.name}" WHERE _source = ?', [source]
        ).fetchone()[0]
        quarantined = db.execute(
            f"SELECT COUNT(*) FROM {QUARANTINE} WHERE source = ?", [source]
        ).fetchone()[0]
        if stored != report.stored or quarantined != report.quarantined or not report.balanced:
            raise EvidenceError(
                f"row accounting does not balance: read {report.rows_read}, stored {stored}, "
                f"quarantined {quarantined}; nothing from this file was kept",
                location=Location(report.path),
            )

    def _record_failure(self, report: FileReport) -> None:
        try:
            with self.store.transaction():
                self.store.record_file(_manifest_entry(report))
        except AuditorError:
            pass


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row the plan could not convert: which field, its raw value, why."""

    field: str
    raw: Any
    reason: str


def convert_chunk(plan: RowPlan, rows: list[Any], lines: list[int], source: int) -> list[Any]:
    """Records (with source and line appended) or :class:`Rejected` entries, one per row."""
    converted = plan.convert_batch(rows, [[source] * len(lines), lines])
    if converted is not None:
        return converted
    out: list[Any] = []
    for values, line in zip(rows, lines, strict=True):
        try:
            out.append((*plan.convert(values), source, line))
        except BadValue as exc:
            out.append(Rejected(exc.column, exc.raw, exc.reason))
    return out


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
    }


def _source_name(sources: dict[str, Any], field_name: str) -> str:
    spec = sources.get(field_name)
    if spec is None:
        return field_name
    names = (*spec.columns, *spec.join)
    return names[0] if len(names) == 1 else field_name


def _printable(text: str) -> str:
    """Text SQLite can hold: bytes that could not be decoded are kept as \\xNN escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return _printable(text[:1000])


def _json(values: Any) -> str:
    def plain(v: Any) -> Any:
        if v is None or isinstance(v, str | int | float | bool):
            return v
        return str(v)

    if isinstance(values, dict):
        data: Any = {str(k): plain(v) for k, v in values.items()}
    else:
        data = [plain(v) for v in values]
    text = _printable(json.dumps(data, ensure_ascii=False))
    return text if len(text) <= 20000 else text[:20000] + "…"


def _reason_class(reason: str) -> str:
    """A reason without the row's own values, for counting (e.g. 'status: not one of ...')."""
    text = reason.split(" (first stored at")[0]
    for quote in ("'",):
        parts = text.split(quote)
        if len(parts) >= 3:
            text = quote.join(p if i % 2 == 0 else "…" for i, p in enumerate(parts))
    return text


def ingest(
    pack: Pack,
    source: str | Path,
    store: EvidenceStore,
    mapping: Mapping | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest every evidence file under ``source`` into ``store``."""
    return Ingest(pack, store, mapping, progress).run(Path(source))
