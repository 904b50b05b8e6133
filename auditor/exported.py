"""An evidence export read back: the store it was made from, rebuilt for an audit.

A folder ``auditor evidence export`` wrote holds a store's tables as Parquet:
the manifest, the quarantine and each evidence kind with ``_source`` and
``_line``. An audit given such a folder (on another machine, say, with
another engine) reads it instead of ingesting files: the records were
converted, and their bad rows quarantined, when the store was made, and are
taken as they are. What is checked first, every problem found at once, each one line
naming the file and what to do: the manifest and the quarantine are there with the
columns they need, the manifest's JSON texts JSON; each kind of the pack whose records
the manifest says were stored has its file; each kind's file has every column of the
pack's kind with its type; every record's ``_source`` is a file of the manifest; each file
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AuditorError, EvidenceError, Location, all_of
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
    from .ingest import file_digest

    paths = sorted(folder.glob("*.parquet"))
    # hashed before anything is read: the audit records the bytes it read
    digests = {path: file_digest(path)[0] for path in paths}
    meta = {table_of(path.stem): path for path in paths if path.stem in META_FILES.values()}
    parquets, manifest, quarantine = _export_opened(folder, paths, meta)
    _relative_to_their_folder(manifest, quarantine)
    manifest, not_json = _decoded(manifest, meta["_manifest"])
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
    problems: list[AuditorError] = [
        *not_json,
        *_quarantined_problems(manifest, quarantine, meta["_quarantine"]),
        *_kinds_missing(files, kinds, pack, folder),
    ]
    with store.transaction():
        for entry in manifest:
            store.record_file(entry)
        store.insert_quarantine(tuple(row[c] for c in QUARANTINE_COLUMNS) for row in quarantine)
        opened = {name: parquets[path] for name, path in kinds.items()}
        for name, parquet in opened.items():
            problems.extend(_kind_problems(parquet, kinds[name], pack.evidence[name], store))
        if problems:  # before reading: a column missing or of another type stops that
            raise all_of(problems)
        for name, parquet in opened.items():
            counted = _read_kind(parquet, kinds[name], pack.evidence[name], store)
            problems.extend(_count_problems(counted, files, name, kinds[name]))
            notes.extend(_extra_columns(parquet, kinds[name], store.arrow_schema(name)))
        if problems:
            raise all_of(problems)
    store.export_folder = folder
    given = [  # every file of the export, those passed over too: verify finds one added later
        ExportFile(path.name, digests[path], parquets[path].metadata.num_rows) for path in paths
    ]
    return ExportRead(_report(manifest, quarantine), given, notes)


def _export_opened(
    folder: Path, paths: list[Path], meta: dict[str, Path]
) -> tuple[dict[Path, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Every file of the export opened, and the manifest's and the quarantine's rows; every
    problem found at once, one line each: a file that is not Parquet that can be read, the
    quarantine not there, a column of the manifest or the quarantine missing or of another
    type, a file exported with another manifest."""
    import pyarrow.parquet as pq

    parquets: dict[Path, Any] = {}
    problems: list[AuditorError] = []
    for path in paths:
        try:
            parquets[path] = _opened(path, partial(pq.ParquetFile, path))
        except EvidenceError as exc:
            problems.append(exc)
    if "_quarantine" not in meta:
        problems.append(
            EvidenceError(
                f"the export has no {META_FILES['_quarantine']}.parquet beside its manifest",
                location=Location(str(folder)),
                hint=HINT,
            )
        )
    read, wrong = _meta_rows(meta, parquets)
    problems.extend(wrong)
    if "_manifest" in read:
        problems.extend(_other_exports(parquets, manifest_fingerprint(read["_manifest"])))
    if problems:
        raise all_of(problems)
    return parquets, read["_manifest"], read["_quarantine"]


#: the store's own tables an export holds: the columns an audit reads, and the integer ones
META_COLUMNS = {
    "_manifest": (MANIFEST_COLUMNS, MANIFEST_NUMBERS),
    "_quarantine": (QUARANTINE_COLUMNS, QUARANTINE_NUMBERS),
}


def _meta_rows(
    meta: dict[str, Path], parquets: dict[Path, Any]
) -> tuple[dict[str, list[dict[str, Any]]], list[AuditorError]]:
    """The rows of each of the store's own tables that can be read with the columns it needs,
    and each problem of the others (one not there, or unreadable, is named elsewhere); each
    read from its file ``parquets`` opened."""
    read: dict[str, list[dict[str, Any]]] = {}
    problems: list[AuditorError] = []
    for name, (columns, numbers) in META_COLUMNS.items():
        path = meta.get(name)
        if path not in parquets:
            continue
        try:
            table = _opened(path, parquets[path].read)
        except EvidenceError as exc:
            problems.append(exc)
            continue
        wrong = list(_column_type_problems(table, columns, numbers, path))
        problems.extend(wrong)
        if not wrong:
            read[name] = table.select(list(columns)).to_pylist()
    return read, problems


def _column_type_problems(
    table: pyarrow.Table, columns: tuple[str, ...], numbers: tuple[str, ...], path: Path
) -> Iterator[EvidenceError]:
    """Each of ``columns`` a store table's file lacks, or holds otherwise than the store does:
    ``numbers`` as integers, given on every row, the others as text."""
    import pyarrow as pa

    for column in columns:
        if column not in table.column_names:
            yield EvidenceError(
                f"column '{column}' is missing from this file of the export",
                location=Location(str(path)),
                hint=HINT,
            )
            continue
        kind = table.schema.field(column).type
        wanted = pa.types.is_integer if column in numbers else pa.types.is_string
        if not (wanted(kind) or pa.types.is_null(kind)) or (
            column in numbers and table.column(column).null_count
        ):
            what = "an integer on every row" if column in numbers else "text"
            yield EvidenceError(
                f"column '{column}' is {kind} with {table.column(column).null_count:,} empty, "
                f"where the store keeps {what}",
                location=Location(str(path)),
                hint=HINT,
            )


def _other_exports(parquets: dict[Path, Any], fingerprint: str) -> Iterator[EvidenceError]:
    """Each file of the export that does not carry the fingerprint of this manifest (a file
    of another store's export, with the same file ids and counts, would pass every other
    check)."""
    for path, parquet in parquets.items():
        metadata = parquet.schema_arrow.metadata or {}
        if metadata.get(MANIFEST_KEY, b"").decode() != fingerprint:
            yield EvidenceError(
                "this file was not exported with this export's manifest (another store's "
                "export, or a file changed outside the tool)",
                location=Location(str(path)),
                hint=HINT + " (into an empty folder)",
            )


def _quarantined_problems(
    manifest: list[dict[str, Any]], quarantine: list[dict[str, Any]], path: Path
) -> Iterator[EvidenceError]:
    """Each file whose quarantined rows the quarantine does not hold as the manifest says,
    and a file id it does not list."""
    held = Counter(int(row["source"]) for row in quarantine)
    for entry in manifest:
        source = int(entry["id"])
        if held.get(source, 0) != int(entry["quarantined"] or 0):
            yield EvidenceError(
                f"{_many(held.get(source, 0), 'quarantined row')} of {entry['file']} "
                f"{_are(held.get(source, 0))} in the export, where its manifest says "
                f"{int(entry['quarantined'] or 0):,}",
                location=Location(str(path)),
                hint=HINT,
            )
    unknown = sorted(set(held) - {int(entry["id"]) for entry in manifest})
    if unknown:
        yield EvidenceError(
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


def _opened(path: Path, read: Callable[[], Any]) -> Any:
    """What ``read()`` reads of the file at ``path``, or one line naming the file when it is
    not Parquet that can be read."""
    import pyarrow as pa

    try:
        return read()
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


def _decoded(
    manifest: list[dict[str, Any]], path: Path
) -> tuple[list[dict[str, Any]], list[EvidenceError]]:
    """The manifest's rows as the store takes a file's entry (their JSON texts as values),
    and each text that is not JSON (left out of its row), one line each."""
    from .backends.store import JSON_COLUMNS

    rows: list[dict[str, Any]] = []
    problems: list[EvidenceError] = []
    for entry in manifest:
        row = dict(entry)
        for name in JSON_COLUMNS:
            if isinstance(row.get(name), str):
                try:
                    row[name] = json.loads(row[name])
                except ValueError:
                    row[name] = None
                    problems.append(_not_json(name, entry, path))
        rows.append(row)
    return rows, problems


def _not_json(name: str, entry: dict[str, Any], path: Path) -> EvidenceError:
    return EvidenceError(
        f"the manifest's '{name}' of file id {entry['id']} is not JSON",
        location=Location(str(path)),
        hint=HINT,
    )


def _kind_problems(
    parquet: Any, path: Path, kind: EvidenceKind, store: EvidenceStore
) -> list[EvidenceError]:
    """Each way a kind's file is not the store's records of the kind: a column missing or of
    another type; then, in the columns it has, repeated keys, empty values the kind needs
    and values its enum fields do not allow."""
    store.ensure_kind(kind)
    found = parquet.schema_arrow
    return [
        *_column_problems(found, store.arrow_schema(kind.name), kind.name, path),
        *_key_problems(path, kind.key),
        *_empty_problems(path, kind, found.names),
        *_enum_problems(path, kind, found.names),
    ]


def _column_problems(
    found: pyarrow.Schema, wanted: pyarrow.Schema, name: str, path: Path
) -> Iterator[EvidenceError]:
    """Each column of the kind missing from its file, or of a type the store cannot take."""
    import pyarrow as pa

    for field in wanted:
        if field.name not in found.names:
            yield EvidenceError(
                f"column '{field.name}' of evidence kind '{name}' is missing from the export",
                location=Location(str(path)),
                hint=HINT,
            )
            continue
        have = found.field(field.name).type
        if have != field.type and not (pa.types.is_null(have) or _widens(have, field.type)):
            yield EvidenceError(
                f"column '{field.name}' is {have} in the export, evidence kind '{name}' "
                f"needs {field.type}",
                location=Location(str(path)),
                hint=HINT + " (with the pack it was made for)",
            )


def _read_kind(parquet: Any, path: Path, kind: EvidenceKind, store: EvidenceStore) -> Counter[int]:
    """One kind's records (checked by :func:`_kind_problems`) into the store; how many
    each file id (``_source``) has."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .columnar import WithArrow
    from .convert import Records

    wanted = store.arrow_schema(kind.name)
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
    return counted


def _extra_columns(parquet: Any, path: Path, wanted: pyarrow.Schema) -> list[str]:
    """A note naming the file's columns the kind does not have, when there are any."""
    extra = [c for c in parquet.schema_arrow.names if c not in wanted.names]
    if not extra:
        return []
    return [f"{path.name}: columns the pack's kind does not have, not read: {', '.join(extra)}"]


def _empty_problems(path: Path, kind: EvidenceKind, columns: list[str]) -> Iterator[EvidenceError]:
    """Each key or required field of those in ``columns`` left empty on some record, as the
    ingest stores none (a row without one was quarantined there)."""
    from .backends.duckdb import parquet_empty_counts

    required = [
        name
        for name, spec in kind.fields.items()
        if (name in kind.key or not spec.optional) and name in columns
    ]
    try:
        empty = parquet_empty_counts(path, required)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    for column, count in empty.items():
        part = "key" if column in kind.key else "required"
        yield EvidenceError(
            f"column '{column}' is empty on {count:,} record{'' if count == 1 else 's'}, where "
            f"evidence kind '{kind.name}' needs a value ({part} field), which the ingest "
            "would have quarantined",
            location=Location(str(path)),
            hint=HINT,
        )


def _enum_problems(path: Path, kind: EvidenceKind, columns: list[str]) -> Iterator[EvidenceError]:
    """Each enum field of those in ``columns`` holding a value not one of its values as the
    ingest stores them (a row with another was quarantined there)."""
    from .backends.duckdb import parquet_values_outside

    for name, spec in kind.fields.items():
        if spec.type != "enum" or name not in columns:
            continue
        try:
            outside = parquet_values_outside(path, name, spec.values)
        except OSError as exc:
            raise _unreadable(path, exc) from None
        if outside:
            yield EvidenceError(
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


def _key_problems(path: Path, key: tuple[str, ...]) -> Iterator[EvidenceError]:
    """Records of a kind's file that repeat another's key, as the ingest keeps none (a
    repeated one was quarantined there); DuckDB counts them in the file."""
    from .backends.duckdb import parquet_key_repeats

    try:
        repeats = parquet_key_repeats(path, key)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if repeats:
        yield EvidenceError(
            f"{repeats:,} record{' repeats' if repeats == 1 else 's repeat'} a key "
            f"({', '.join(key)}) of another record in this file, which the ingest would have "
            "quarantined",
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


def _kinds_missing(
    files: dict[int, dict[str, Any]], kinds: dict[str, Path], pack: Pack, folder: Path
) -> Iterator[EvidenceError]:
    """Each file whose records the manifest says were stored, of a kind of the pack that has
    no file in the export."""
    for entry in files.values():
        kind = entry["kind"]
        if kind in pack.evidence and kind not in kinds and (entry["stored"] or 0) > 0:
            yield EvidenceError(
                f"the export's manifest says {_many(entry['stored'], 'record')} of "
                f"{entry['file']} {'was' if entry['stored'] == 1 else 'were'} stored, and it has "
                f"no {kind}.parquet",
                location=Location(str(folder)),
                hint=HINT,
            )


def _count_problems(
    counted: Counter[int], files: dict[int, dict[str, Any]], kind: str, path: Path
) -> Iterator[EvidenceError]:
    """Records of a file id the manifest does not list, or lists as another kind's, and each
    file of the kind with other than as many records as its manifest entry stored."""
    for source, rows in sorted(counted.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        if source not in files:
            yield EvidenceError(
                f"{_many(rows, 'record')} of file id {source}, which the export's manifest "
                "does not list",
                location=Location(str(path)),
                hint=HINT,
            )
        elif files[source]["kind"] != kind:  # a file left by another export, say
            yield EvidenceError(
                f"{_many(rows, kind + ' record')} {'comes' if rows == 1 else 'come'} from file "
                f"id {source}, which the export's manifest lists as {files[source]['file']} of "
                f"kind {files[source]['kind']}",
                location=Location(str(path)),
                hint=HINT + " (into an empty folder)",
            )
    for source, entry in sorted(files.items()):
        if entry["kind"] != kind:
            continue
        if counted.get(source, 0) != (entry["stored"] or 0):
            yield EvidenceError(
                f"{_many(counted.get(source, 0), 'record')} of {entry['file']} "
                f"{_are(counted.get(source, 0))} in the export, where its manifest says "
                f"{entry['stored'] or 0:,} {'was' if entry['stored'] == 1 else 'were'} stored",
                location=Location(str(path)),
                hint=HINT,
            )


def _many(count: int, noun: str) -> str:
    """``1 record``, ``2 records``: a count with its noun."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


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

    report = FileReport.from_manifest(entry)
    for row in quarantined:
        counted = reason_class(row["reason"])
        report.reasons[counted] += 1
        if counted not in report.first_seen:
            report.first_seen[counted] = FirstSeen(
                int(row["line"]), row["column"] or "", row["raw_value"]
            )
    return report
