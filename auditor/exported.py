"""An evidence export read back: the store it was made from, rebuilt for an audit.

A folder ``auditor evidence export`` wrote holds a store's tables as Parquet:
the manifest, the quarantine and each evidence kind with ``_source`` and
``_line``. An audit given such a folder (on another machine, say, with
another engine) reads it instead of ingesting files: the records were
converted, and their bad rows quarantined, when the store was made, and are
taken as they are. What is checked first, each time with one line naming the
file and what to do: the manifest and the quarantine are there with the
columns they need; each kind of the pack whose records the manifest says
were stored has its file; each kind's file has every column of the pack's kind with
its type; every record's ``_source`` is a file of the manifest; each file
holds as many records as the manifest says it stored; and no record holds what the ingest
would have quarantined (a repeated or empty key, an empty required field, a value an enum
field does not allow). The manifest keeps
every original file's SHA-256 (findings.json lists them as any audit's), and
the audit records each Parquet file's SHA-256 beside them, which ``verify``
checks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EvidenceError, Location
from .export import MANIFEST_KEY, META_FILES, manifest_file_name, manifest_fingerprint, table_of

if TYPE_CHECKING:
    import pyarrow

    from .backends.store import EvidenceStore
    from .ingest import FileReport, IngestReport
    from .model import EvidenceKind, Pack

#: the manifest's columns an audit reads, as the store writes them
#: the manifest's and the quarantine's integer columns (an id, a count, a line)
MANIFEST_NUMBERS = ("id", "size", "rows_read", "stored", "quarantined")
QUARANTINE_NUMBERS = ("source", "line")
MANIFEST_COLUMNS = (
    "id", "file", "kind", "sha256", "size", "rows_read", "stored", "quarantined", "status",
    "reason", "reader", "mapping", "warnings", "moved_dst",
)  # fmt: skip
QUARANTINE_COLUMNS = ("source", "file", "line", "kind", "column", "raw_value", "reason", "record")
#: records read from a kind's file at a time
BATCH_ROWS = 100_000
HINT = "export the store again with 'auditor evidence export', whole and unchanged"


@dataclass(frozen=True)
class ExportFile:
    """One Parquet file of an export, as the audit read it."""

    file: str
    sha256: str
    rows: int


@dataclass
class ExportRead:
    report: IngestReport
    files: list[ExportFile]
    #: what the audit passed over (a kind the pack does not have, a column it does not read)
    notes: list[str]


def is_export(folder: Path) -> bool:
    """Whether ``folder`` is one ``evidence export`` wrote (its manifest file there, and no
    evidence file: a folder of both is evidence, whose stray manifest is named as not read)."""
    from .ingest import evidence_files

    return (
        folder.is_dir() and (folder / manifest_file_name()).is_file() and not evidence_files(folder)
    )


def read_export(folder: Path, pack: Pack, store: EvidenceStore) -> ExportRead:
    """Every table of the export in ``folder`` into ``store`` (a new one), checked as the
    module's text says; the manifest as an ingest report, for the audit to record."""
    import pyarrow.parquet as pq

    from .ingest import file_digest

    paths = sorted(folder.glob("*.parquet"))
    # hashed before anything is read: the audit records the bytes it read
    digests = {path: file_digest(path)[0] for path in paths}
    meta = {table_of(path.stem): path for path in paths if path.stem in META_FILES.values()}
    if "_quarantine" not in meta:
        raise EvidenceError(
            f"the export has no {META_FILES['_quarantine']}.parquet beside its manifest",
            location=Location(str(folder)),
            hint=HINT,
        )
    manifest = _rows(meta["_manifest"], MANIFEST_COLUMNS, MANIFEST_NUMBERS)
    quarantine = _rows(meta["_quarantine"], QUARANTINE_COLUMNS, QUARANTINE_NUMBERS)
    _check_one_export(paths, manifest_fingerprint(manifest))  # (the files' places aside)
    _relative_to_their_folder(manifest, quarantine)
    _check_quarantined(manifest, quarantine, meta["_quarantine"])
    notes: list[str] = []
    kinds: dict[str, Path] = {}
    for path in paths:
        if path.stem in META_FILES.values():
            continue
        if path.stem in pack.evidence:
            kinds[path.stem] = path
        else:
            notes.append(f"{path.name}: not read, the pack has no evidence kind '{path.stem}'")
    files = {int(entry["id"]): entry for entry in manifest}
    _check_kinds_there(files, kinds, pack, folder)
    with store.transaction():
        for entry in manifest:
            store.record_file(_decoded(entry))
        store.insert_quarantine(tuple(row[c] for c in QUARANTINE_COLUMNS) for row in quarantine)
        for name, path in kinds.items():
            parquet = _opened(path, pq.ParquetFile)
            notes.extend(_read_kind(parquet, path, pack, name, store, files))
    store.export_folder = folder
    given = [  # every file of the export, those passed over too: verify finds one added later
        ExportFile(path.name, digests[path], _opened(path, pq.ParquetFile).metadata.num_rows)
        for path in paths
    ]
    return ExportRead(_report(manifest, quarantine), given, notes)


def _rows(path: Path, columns: tuple[str, ...], numbers: tuple[str, ...]) -> list[dict[str, Any]]:
    """A store table's rows from its Parquet file, which must have ``columns``: ``numbers``
    as integers, given on every row, the others as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _opened(path, pq.read_table)
    for column in columns:
        if column not in table.column_names:
            raise EvidenceError(
                f"column '{column}' is missing from this file of the export",
                location=Location(str(path)),
                hint=HINT,
            )
        kind = table.schema.field(column).type
        wanted = pa.types.is_integer if column in numbers else pa.types.is_string
        if not (wanted(kind) or pa.types.is_null(kind)) or (
            column in numbers and table.column(column).null_count
        ):
            what = "an integer on every row" if column in numbers else "text"
            raise EvidenceError(
                f"column '{column}' is {kind} with {table.column(column).null_count:,} empty, "
                f"where the store keeps {what}",
                location=Location(str(path)),
                hint=HINT,
            )
    rows: list[dict[str, Any]] = table.select(list(columns)).to_pylist()
    return rows


def _check_one_export(paths: list[Path], fingerprint: str) -> None:
    """Every file of the export carries the fingerprint of this manifest (a file of another
    store's export, with the same file ids and counts, would pass every other check)."""
    import pyarrow.parquet as pq

    for path in paths:
        metadata = _opened(path, pq.read_schema).metadata or {}
        if metadata.get(MANIFEST_KEY, b"").decode() != fingerprint:
            raise EvidenceError(
                "this file was not exported with this export's manifest (another store's "
                "export, or a file changed outside the tool)",
                location=Location(str(path)),
                hint=HINT + " (into an empty folder)",
            )


def _check_quarantined(
    manifest: list[dict[str, Any]], quarantine: list[dict[str, Any]], path: Path
) -> None:
    """The quarantine holds each file's rows the manifest says were quarantined."""
    held = Counter(int(row["source"]) for row in quarantine)
    for entry in manifest:
        source = int(entry["id"])
        if held.get(source, 0) != int(entry["quarantined"] or 0):
            raise EvidenceError(
                f"{held.get(source, 0):,} quarantined rows of {entry['file']} are in the "
                f"export, where its manifest says {int(entry['quarantined'] or 0):,}",
                location=Location(str(path)),
                hint=HINT,
            )
    unknown = sorted(set(held) - {int(entry["id"]) for entry in manifest})
    if unknown:
        raise EvidenceError(
            f"quarantined rows come from file id {unknown[0]}, which the manifest does not list",
            location=Location(str(path)),
            hint=HINT,
        )


def _relative_to_their_folder(
    manifest: list[dict[str, Any]], quarantine: list[dict[str, Any]]
) -> None:
    """Each file named relative to the folder the store's files were ingested from (the
    folder that holds them all), as an audit of that folder names them."""
    import os
    from pathlib import PurePosixPath

    names = [str(entry["file"]) for entry in manifest if entry["file"]]
    try:
        root = os.path.commonpath([os.path.dirname(name) or "." for name in names])
    except ValueError:  # none, or absolute and relative mixed: left as the manifest has them
        return
    for row in [*manifest, *quarantine]:
        if row["file"]:
            row["file"] = PurePosixPath(os.path.relpath(str(row["file"]), root)).as_posix()


def _opened(path: Path, reader: Any) -> Any:
    """``reader(path)``, or one line naming the file when it is not Parquet that can be read."""
    import pyarrow as pa

    try:
        return reader(path)
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(path, exc) from None


def _batches(parquet: Any, path: Path, columns: list[str]) -> Iterator[pyarrow.RecordBatch]:
    """The file's ``columns``, :data:`BATCH_ROWS` rows at a time; a damaged page is one line."""
    import pyarrow as pa

    batches = parquet.iter_batches(BATCH_ROWS, columns=columns)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise _unreadable(path, exc) from None
        yield batch


def _unreadable(path: Path, exc: Exception) -> EvidenceError:
    return EvidenceError(
        f"cannot read this Parquet file: {str(exc).splitlines()[0]}",
        location=Location(str(path)),
        hint=HINT,
    )


def _decoded(entry: dict[str, Any]) -> dict[str, Any]:
    """A manifest row as the store takes a file's entry (its JSON texts as values)."""
    from .backends.store import JSON_COLUMNS

    out = dict(entry)
    for name in JSON_COLUMNS:
        if isinstance(out.get(name), str):
            try:
                out[name] = json.loads(out[name])
            except ValueError:
                raise EvidenceError(
                    f"the manifest's '{name}' of file id {entry['id']} is not JSON",
                    location=Location(manifest_file_name()),
                    hint=HINT,
                ) from None
    return out


def _read_kind(
    parquet: Any, path: Path, pack: Pack, name: str, store: EvidenceStore,
    files: dict[int, dict[str, Any]],
) -> list[str]:  # fmt: skip
    """One kind's records into the store, once its columns are the kind's and its records
    the manifest's; a note for each column the kind does not have."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .columnar import WithArrow
    from .convert import Records

    kind = pack.evidence[name]
    _check_keys(path, kind.key)
    store.ensure_kind(kind)
    wanted = store.arrow_schema(name)
    found = parquet.schema_arrow
    for field in wanted:
        if field.name not in found.names:
            raise EvidenceError(
                f"column '{field.name}' of evidence kind '{name}' is missing from the export",
                location=Location(str(path)),
                hint=HINT,
            )
        have = found.field(field.name).type
        if have != field.type and not (pa.types.is_null(have) or _widens(have, field.type)):
            raise EvidenceError(
                f"column '{field.name}' is {have} in the export, evidence kind '{name}' "
                f"needs {field.type}",
                location=Location(str(path)),
                hint=HINT + " (with the pack it was made for)",
            )
    _check_filled(path, kind)
    _check_enums(path, kind)
    extra = [c for c in found.names if c not in wanted.names]
    names = list(kind.fields)
    counted: Counter[int] = Counter()
    for batch in _batches(parquet, path, [*names, "_source", "_line"]):
        table = pa.Table.from_batches([batch]).cast(
            pa.schema([wanted.field(c) for c in batch.schema.names])
        )
        sources = pc.value_counts(table.column("_source")).to_pylist()
        counted.update({item["values"]: item["counts"] for item in sources})
        columns: list[Any] = [  # DuckDB takes the arrays as they are; SQLite their values
            WithArrow(table.column(c).combine_chunks()) for c in [*names, "_source", "_line"]
        ]
        store.insert_records(kind, names, Records(columns))
    _check_counts(counted, files, name, path)
    if not extra:
        return []
    return [f"{path.name}: columns the pack's kind does not have, not read: {', '.join(extra)}"]


def _check_filled(path: Path, kind: EvidenceKind) -> None:
    """Every record has its key and required fields, as the ingest stores them (a row
    without one was quarantined there)."""
    from .backends.duckdb import parquet_empty_counts

    required = [name for name, spec in kind.fields.items() if name in kind.key or not spec.optional]
    try:
        empty = parquet_empty_counts(path, required)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if empty:
        column, count = next(iter(empty.items()))
        part = "key" if column in kind.key else "required"
        raise EvidenceError(
            f"column '{column}' is empty on {count:,} record{'' if count == 1 else 's'}, where "
            f"evidence kind '{kind.name}' needs a value ({part} field), which the ingest "
            "would have quarantined",
            location=Location(str(path)),
            hint=HINT,
        )


def _check_enums(path: Path, kind: EvidenceKind) -> None:
    """Every enum field holds one of its values, as the ingest stores them (a row with
    another was quarantined there)."""
    from .backends.duckdb import parquet_values_outside

    for name, spec in kind.fields.items():
        if spec.type != "enum":
            continue
        try:
            outside = parquet_values_outside(path, name, spec.values)
        except OSError as exc:
            raise _unreadable(path, exc) from None
        if outside:
            raise EvidenceError(
                f"column '{name}' holds {_values_text(outside)}, where evidence kind "
                f"'{kind.name}' needs one of its values ({', '.join(spec.values)}), which the "
                "ingest would have quarantined",
                location=Location(str(path)),
                hint=HINT,
            )


def _values_text(counts: dict[str, int]) -> str:
    """The first value with its records, and how many more values there are:
    ``'bogus' on 2 records (and 1 more value not allowed)``."""
    value, count = next(iter(counts.items()))
    text = f"{value[:40]!r} on {count:,} record{'' if count == 1 else 's'}"
    others = len(counts) - 1
    if others:
        text += f" (and {others:,} more value{'' if others == 1 else 's'} not allowed)"
    return text


def _check_keys(path: Path, key: tuple[str, ...]) -> None:
    """Each record of a kind's file has its own key, as the ingest keeps them (a repeated
    one was quarantined there); DuckDB counts them in the file."""
    from .backends.duckdb import parquet_key_repeats

    try:
        repeats = parquet_key_repeats(path, key)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if repeats:
        raise EvidenceError(
            f"{repeats:,} records repeat a key ({', '.join(key)}) of another record in this "
            "file, which the ingest would have quarantined",
            location=Location(str(path)),
            hint=HINT,
        )


def _widens(have: pyarrow.DataType, wanted: pyarrow.DataType) -> bool:
    """A narrower integer the store's integer holds exactly (another Parquet writer's): any
    signed one, an unsigned one up to 32 bits (a uint64 may not fit). Never a narrower float:
    a float32 time is already rounded, by up to a minute for today's epochs."""
    import pyarrow as pa

    if not (pa.types.is_integer(have) and pa.types.is_integer(wanted)):
        return False
    return pa.types.is_signed_integer(have) or have.bit_width <= 32


def _check_kinds_there(
    files: dict[int, dict[str, Any]], kinds: dict[str, Path], pack: Pack, folder: Path
) -> None:
    """A kind of the pack whose records the manifest says were stored has its file."""
    for entry in files.values():
        kind = entry["kind"]
        if kind in pack.evidence and kind not in kinds and (entry["stored"] or 0) > 0:
            raise EvidenceError(
                f"the export's manifest says {entry['stored']:,} records of {entry['file']} were "
                f"stored, and it has no {kind}.parquet",
                location=Location(str(folder)),
                hint=HINT,
            )


def _check_counts(
    counted: Counter[int], files: dict[int, dict[str, Any]], kind: str, path: Path
) -> None:
    """Each file's records in the export, against the count its manifest entry stored."""
    for source, rows in sorted(counted.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        if source not in files:
            raise EvidenceError(
                f"{rows:,} record{'s' if rows != 1 else ''} of file id {source}, which the "
                "export's manifest does not list",
                location=Location(str(path)),
                hint=HINT,
            )
        if files[source]["kind"] != kind:  # a file left by another export, say
            raise EvidenceError(
                f"{rows:,} {kind} records come from file id {source}, which the export's "
                f"manifest lists as {files[source]['file']} of kind {files[source]['kind']}",
                location=Location(str(path)),
                hint=HINT + " (into an empty folder)",
            )
    for source, entry in sorted(files.items()):
        if entry["kind"] != kind:
            continue
        if counted.get(source, 0) != (entry["stored"] or 0):
            raise EvidenceError(
                f"{counted.get(source, 0):,} records of {entry['file']} are in the export, "
                f"where its manifest says {entry['stored'] or 0:,} were stored",
                location=Location(str(path)),
                hint=HINT,
            )


def _report(manifest: list[dict[str, Any]], quarantine: list[dict[str, Any]]) -> IngestReport:
    """The ingest report the manifest records: each file's counts, and its quarantine reasons
    with where each was first given (its lowest line)."""
    from .ingest import IngestReport

    by_source: dict[int, list[dict[str, Any]]] = {}
    for row in quarantine:
        by_source.setdefault(int(row["source"]), []).append(row)
    return IngestReport(
        [
            _file_report(entry, sorted(by_source.get(int(entry["id"]), []), key=_line_order))
            for entry in sorted(manifest, key=lambda e: int(e["id"]))
        ]
    )


def _line_order(row: dict[str, Any]) -> int:
    return int(row["line"] or 0)


def _file_report(entry: dict[str, Any], quarantined: list[dict[str, Any]]) -> FileReport:
    from .ingest import FileReport, FirstSeen, reason_class

    decoded = _decoded(entry)
    report = FileReport(
        str(entry["file"]),
        kind=entry["kind"],
        sha256=entry["sha256"] or "",
        size=int(entry["size"] or 0),
        rows_read=int(entry["rows_read"] or 0),
        stored=int(entry["stored"] or 0),
        quarantined=int(entry["quarantined"] or 0),
        status=entry["status"] or "ok",
        reason=entry["reason"] or "",
        reader=decoded.get("reader") or {},
        mapping=decoded.get("mapping"),
        warnings=list(decoded.get("warnings") or []),
        moved_dst=dict(decoded.get("moved_dst") or {}),
    )
    for row in quarantined:
        counted = reason_class(row["reason"])
        report.reasons[counted] += 1
        if counted not in report.first_seen:
            report.first_seen[counted] = FirstSeen(
                int(row["line"]), row["column"] or "", row["raw_value"]
            )
    return report
