"""Streaming readers for evidence files: CSV (any encoding Excel writes), JSONL, XLSX.

Each reader yields ``RawRow`` objects one at a time, so a file larger than
memory can be read. A row that cannot even be split into values (a broken
quote, a line that is not JSON) is yielded with ``problem`` set, so that the
caller can quarantine it: every row read is accounted for.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any

from .errors import EvidenceError, Location

SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
}
#: the suffixes of the evidence files read, as messages name them
SUFFIXES_NAMED = ", ".join(SUFFIXES)
SAMPLE_BYTES = 1 << 16
MAX_FIELD = 32 << 20  # the csv module's own limit, far above any real value
csv.field_size_limit(MAX_FIELD)
#: rows below a header kept for the messages about a header that is not there
ROWS_BELOW_SHOWN = 10


@dataclass(slots=True)
class RawRow:
    line: int
    values: list[Any] | dict[str, Any]
    problem: str | None = None
    raw: str | None = None
    nul: bool = False
    #: the column and raw value a problem is about, when it is one cell's (a formula never
    #: computed); else the problem is the row's, and its value the row's text (``raw``)
    column: str = ""
    value: str | None = None

    def problem_value(self) -> str | None:
        """The raw value the row's problem is about: its cell's, else the row's text."""
        return self.raw if self.value is None else self.value


@dataclass
class Table:
    """An opened evidence file: its header and a stream of rows."""

    path: Path
    format: str
    header: list[str]
    rows: Iterator[RawRow]
    options: dict[str, Any] = field(default_factory=dict)
    #: the workbook's sheet names (XLSX only)
    sheets: tuple[str, ...] = ()
    #: the row the header was read from (a workbook's first non-empty row, or reader:
    #: header_row; a CSV file's first line), and the first rows below it (row or line number,
    #: texts), for messages only: a title above the header is read as the header, and one of
    #: these rows is the real one
    header_row: int = 1
    rows_below: tuple[tuple[int, tuple[str, ...]], ...] = ()
    #: the rows below the header a workbook's sheet states it holds (None: it states none)
    rows_stated: int | None = None


def file_format(path: Path) -> str | None:
    return SUFFIXES.get(path.suffix.lower())


#: the first letters of the lock file an office program keeps beside a file open in it (the
#: file's name follows them), and the program
LOCK_PREFIXES = {"~$": "Excel", ".~lock.": "LibreOffice"}


def lock_file_of(name: str) -> tuple[str, str] | None:
    """For the name of an office lock file (``~$tickets.xlsx``, which Excel keeps while
    tickets.xlsx is open in it; LibreOffice's ``.~lock.tickets.xlsx#``): the program that keeps
    it and the name of the file it locks; None for any other name."""
    for prefix, program in LOCK_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return program, name[len(prefix) :].removesuffix("#")
    return None


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (Chinese Excel's ANSI).

    A sample that is mostly valid UTF-8 with a few bad sequences is taken as
    UTF-8 with damaged rows (those rows are quarantined), not as GB18030, which
    would turn every good Chinese character into the wrong one without a trace.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    wide = sum(1 for ch in text if ord(ch) > 127) - bad
    if wide >= 4 * bad:
        return "utf-8"
    return "gb18030"


def file_encoding(path: Path, sample: bytes | None = None, first_wide: int | None = None) -> str:
    """The encoding of a text file as a spreadsheet saved it (see :func:`detect_encoding`), from
    its first :data:`SAMPLE_BYTES` (``sample``, read when not given), or, when those are plain
    ASCII, from where its first byte beyond ASCII is (``first_wide``, see below)."""
    if sample is None:
        with path.open("rb") as probe:
            sample = probe.read(SAMPLE_BYTES)
    if sample.isascii() and len(sample) == SAMPLE_BYTES:
        return _first_wide_encoding(path, first_wide)  # ASCII so far says nothing of the rest
    return detect_encoding(sample)


#: the bytes before a file's first byte beyond ASCII that its encoding is told from as well
BEFORE_WIDE = 1024


def _first_wide_encoding(path: Path, first_wide: int | None = None) -> str:
    """The encoding of a file whose beginning is plain ASCII: decided where its first byte
    beyond ASCII appears (UTF-8 when there is none), so that a GB18030 file with English
    rows first is not read as UTF-8. ``first_wide`` is that byte's offset when the file was
    read already (the ingest's digest finds it; -1 for none), else the file is searched."""
    with path.open("rb") as handle:
        if first_wide is None:
            first_wide, offset = -1, 0
            while chunk := handle.read(1 << 20):
                if not chunk.isascii():
                    first_wide = offset + next(i for i, byte in enumerate(chunk) if byte > 127)
                    break
                offset += len(chunk)
        if first_wide < 0:
            return "utf-8"
        handle.seek(max(0, first_wide - BEFORE_WIDE))
        return detect_encoding(handle.read(SAMPLE_BYTES))


def data_encoding(data: bytes) -> str:
    """The encoding of a text file read whole (``data``), as :func:`file_encoding` tells it,
    without reading the file again."""
    if data[:SAMPLE_BYTES].isascii() and len(data) >= SAMPLE_BYTES:
        wide = re.search(rb"[\x80-\xff]", data)
        if wide is None:
            return "utf-8"
        data = data[max(0, wide.start() - BEFORE_WIDE) :]
    return detect_encoding(data[:SAMPLE_BYTES])


def detect_delimiter(first_line: str) -> str:
    """The separator that splits the header best: comma, tab, semicolon or bar."""
    counts = {d: 0 for d in (",", "\t", ";", "|")}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_table(path: Path, options: dict[str, Any] | None = None) -> Table:
    """Open an evidence file for streaming; raise :class:`EvidenceError` if it cannot be read."""
    options = dict(options or {})
    _refuse_lock_file(path)
    kind = file_format(path)
    if kind is None:
        raise EvidenceError(
            f"unsupported file type '{path.suffix}'",
            location=Location(str(path)),
            hint=f"use one of {SUFFIXES_NAMED}",
        )
    if kind != "xlsx" and options.get("header_row") not in (None, 1):
        raise EvidenceError(
            f"reader: header_row is for workbooks; the header of a {kind.upper()} file is "
            "its first line",
            location=Location(str(path), 1),
            hint="remove the lines above the header, or leave header_row out for this file",
        )
    try:
        if kind == "csv":
            return _open_csv(path, options)
        if kind == "jsonl":
            return _open_jsonl(path, options)
        return _open_xlsx(path, options)
    except OSError as exc:
        raise EvidenceError(
            f"cannot read file: {exc.strerror or exc}", location=Location(str(path))
        ) from None


def _refuse_lock_file(path: Path) -> None:
    """A lock file an office program keeps beside an open file is not evidence (a folder's
    listing passes it over; given by name it is refused)."""
    lock = lock_file_of(path.name)
    if lock is not None:
        program, locked = lock
        raise EvidenceError(
            f"is {program}'s lock file of {locked}, kept while it is open, not evidence",
            location=Location(str(path)),
            hint=f"give {locked} itself",
        )


#: the first bytes of an OLE compound file: an encrypted workbook, or an old .xls
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
#: the first bytes of a zip file, which an .xlsx workbook is
ZIP_MAGIC = b"PK\x03\x04"
#: the workbook a file's first bytes say it is, and what to do with it under another name
WORKBOOKS = {
    ZIP_MAGIC: (
        "an Excel workbook (.xlsx)",
        "name it {stem}.xlsx, or save it from Excel as CSV UTF-8",
    ),
    OLE_MAGIC: (
        "an old Excel workbook (.xls) or a password-protected one",
        "open it in Excel and save it as .xlsx (without a password) or as CSV UTF-8",
    ),
}


#: a zip file holding no workbook, and what to do with it under a text file's name
ZIP_ARCHIVE = (
    "a zip archive with no Excel workbook in it",
    "unzip it and give the evidence files it holds",
)


def packed_file(path: Path, start: bytes) -> tuple[bytes, str, str] | None:
    """What a file's first bytes (``start``) say it is when it is no text: its magic, what it
    is (an .xlsx, an old .xls or an encrypted workbook, a zip holding no workbook) and what to
    do with it under a text file's name; None for a file that may be text."""
    for magic, (what, hint) in WORKBOOKS.items():
        if start.startswith(magic):
            if magic == ZIP_MAGIC and not _holds_workbook(path):
                return (magic, *ZIP_ARCHIVE)
            return magic, what, hint.format(stem=path.stem)
    return None


def _refuse_workbook(path: Path, start: bytes) -> None:
    """Refuse a file whose first bytes (``start``) say it is a workbook its name does not (an
    .xlsx named tickets.csv; an old .xls or an encrypted workbook, under any name) as what it
    is, not as text in no encoding or as a damaged .xlsx; a zip holding no workbook as a zip;
    CSV text named .xlsx as CSV text."""
    kind = file_format(path)
    if kind == "xlsx" and start.startswith(ZIP_MAGIC):
        return  # a workbook as its name says (opened as one next)
    if kind == "xlsx" and _csv_text(start):
        raise EvidenceError(
            "holds CSV text, not an .xlsx workbook",
            location=Location(str(path)),
            hint=f"rename it to {path.stem}.csv",
        )
    packed = packed_file(path, start)
    if packed is None:
        return
    _, what, hint = packed
    expected = "an .xlsx workbook" if kind == "xlsx" else f"{path.suffix} text"
    raise EvidenceError(f"is {what}, not {expected}", location=Location(str(path)), hint=hint)


def _csv_text(start: bytes) -> bool:
    """Whether a file's first bytes (``start``) are text in an encoding a spreadsheet writes
    whose first line is split by a CSV separator (a CSV file given a workbook's name)."""
    try:
        text = codecs.getincrementaldecoder(detect_encoding(start))().decode(start)
    except UnicodeDecodeError:
        return False
    if any(ch < " " and ch not in "\t\r\n" for ch in text):
        return False
    first_line = text.lstrip("\ufeff").partition("\n")[0]
    return any(separator in first_line for separator in ",\t;|")


def _holds_workbook(path: Path) -> bool:
    """Whether a zip file holds an Excel workbook (its ``xl/workbook.xml``); False for a zip
    that cannot be read as one."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


# ------------------------------------------------------------ CSV


def _open_csv(path: Path, options: dict[str, Any]) -> Table:
    with path.open("rb") as probe:
        sample = probe.read(SAMPLE_BYTES)
    _refuse_workbook(path, sample)
    if not sample.strip(b"\x00 \r\n\t"):
        raise EvidenceError(
            "the file is empty (no header, no rows)", location=Location(str(path), 1)
        )
    first_wide = options.pop("first_wide", None)
    encoding = options.get("encoding") or file_encoding(path, sample, first_wide)
    errors_before = _DECODE_ERRORS.count
    handle = path.open("r", encoding=encoding, errors="auditor-count", newline="")
    first = handle.readline()
    delimiter = options.get("delimiter") or detect_delimiter(first)
    options.update(encoding=encoding, delimiter=delimiter)
    handle.seek(0)
    lines = _KeptLines(handle)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        handle.close()
        raise EvidenceError(
            f"header cannot be read: {exc}", location=Location(str(path), 1)
        ) from None
    except StopIteration:
        handle.close()
        raise EvidenceError(
            "the file is empty (no header, no rows)", location=Location(str(path), 1)
        ) from None
    header = [h.strip() for h in header]
    if _has_surrogates(header):
        handle.close()
        raise EvidenceError(
            f"header is not valid {encoding} text",
            location=Location(str(path), 1),
            hint="save the file as UTF-8 or GB18030",
        )
    has_nul = bool(options.pop("has_nul", True))
    return Table(
        path,
        "csv",
        header,
        _csv_rows(reader, lines, encoding, has_nul, errors_before),
        options,
        rows_below=_lines_below_header(sample, encoding, delimiter),
    )


def _lines_below_header(
    sample: bytes, encoding: str, delimiter: str
) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The first rows below a CSV file's header, as far as its first bytes hold them (line
    number, texts), for messages only (see :attr:`Table.rows_below`)."""
    text = sample.decode(encoding, errors="replace")
    if len(sample) == SAMPLE_BYTES:
        text = text[: text.rfind("\n") + 1]  # the last line may be cut
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    below: list[tuple[int, tuple[str, ...]]] = []
    try:
        next(reader, None)  # the header
        while len(below) < ROWS_BELOW_SHOWN:
            line = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                break
            if values:  # a blank line is not a row
                below.append((line, tuple(v.strip() for v in values)))
    except csv.Error:
        pass  # a broken quote: the rows before it are enough
    return tuple(below)


class _KeptLines:
    """A CSV file's lines, as the reader takes them, the lines of the row being read kept
    (:meth:`clear` before each row): a row that cannot be split is quarantined line by line,
    each with its text. The lines come from a generator (a method called per line cost the
    row reader twice as much)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.kept: list[str] = []

    def __iter__(self) -> Iterator[str]:
        kept = self.kept  # cleared in place, never rebound
        for line in self.handle:
            kept.append(line)
            yield line

    def clear(self) -> None:
        self.kept.clear()

    def close(self) -> None:
        self.handle.close()


_SURROGATE = re.compile("[\udc80-\udcff]")
_SUSPECT = re.compile("[\x00\udc80-\udcff]")


class _DecodeErrors:
    """A codec error handler that keeps undecodable bytes (as surrogates) and counts them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, error: UnicodeError) -> tuple[str, int]:
        self.count += 1
        replacement, position = codecs.lookup_error("surrogateescape")(error)
        return str(replacement), position


_DECODE_ERRORS = _DecodeErrors()
codecs.register_error("auditor-count", _DECODE_ERRORS)


def _has_surrogates(values: list[str]) -> bool:
    """True when a value holds bytes the encoding could not decode."""
    return _SURROGATE.search("".join(values)) is not None


def _csv_rows(
    reader: Any, lines: _KeptLines, encoding: str, has_nul: bool, errors_at_open: int
) -> Iterator[RawRow]:
    """Rows of a CSV file; only rows that may hold NULs or undecodable bytes are searched.
    The lines of a row that cannot be split are quarantined one by one (see
    :func:`_unsplit`)."""
    # Text is decoded ahead of the rows in chunks, so once any byte of this file
    # failed to decode, every later row is searched.
    try:
        while True:
            start = reader.line_num + 1
            lines.clear()
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield from _unsplit(str(exc), start, reader.line_num, lines.kept)
                if "unexpected end of data" in str(exc):
                    return
                continue
            if not values:
                continue  # a blank line is not a row
            if values[0].startswith("\ufeff"):  # a byte-order mark inside the file: files
                values[0] = values[0][1:]  # joined end to end; it is no part of the value
            row = RawRow(start, values)
            if has_nul or _DECODE_ERRORS.count != errors_at_open:
                joined = "".join(values)
                if _SUSPECT.search(joined) is not None:
                    if "\x00" in joined:
                        row.problem = "contains NUL bytes (binary data or a damaged export)"
                        row.nul = True
                    else:
                        row.problem = f"text is not valid {encoding} (mixed encodings in one file?)"
            yield row
    finally:
        lines.close()


def _unsplit(message: str, first: int, last: int, texts: list[str]) -> Iterator[RawRow]:
    """The lines ``first``..``last`` of a row the CSV reader could not split, each a row
    quarantined with its text and the reason (a quote opened on the first line and never
    closed, or closed with something other than a separator after it)."""
    if "unexpected end of data" in message:
        problem = (
            f"unterminated quote starting on line {first}: the rest of the file "
            f"(lines {first}-{last}) cannot be split into rows"
        )
    elif last > first:
        problem = f"malformed CSV: {message}; lines {first}-{last} cannot be split into rows"
        if "expected after" in message:  # a quote closed with something else after it
            problem += f" (a quote opened on line {first} is closed only on line {last}?)"
    else:
        problem = f"malformed CSV: {message}"
    for offset, text in enumerate(texts[: last - first + 1] or [""]):
        yield RawRow(first + offset, [], problem=problem, raw=_shown(text.rstrip("\r\n")))


# ------------------------------------------------------------ JSONL


def _open_jsonl(path: Path, options: dict[str, Any]) -> Table:
    first_keys: list[str] = []
    # The header is every key of every object in the file, in order of first appearance: a
    # field that first appears late, or a key renamed midway, is still a column.
    seen: dict[str, None] = {}
    first_line = 0  # the first line that is not blank
    with path.open("rb") as raw:
        _refuse_workbook(path, raw.peek(len(OLE_MAGIC))[: len(OLE_MAGIC)])
        probe = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace")
        for number, text in enumerate(probe, start=1):
            text = text.strip()
            if not text:
                continue
            first_line = first_line or number
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict):
                seen.update(dict.fromkeys(str(k) for k in value))
    first_keys = list(seen)
    if not first_keys:
        if not first_line:
            raise EvidenceError("the file is empty (no rows)", location=Location(str(path), 1))
        raise EvidenceError(
            "no line of the file is a JSON object with keys",
            location=Location(str(path), first_line),
            hint='write one JSON object per line, e.g. {"id": "A1", ...}',
        )
    options.update(encoding="utf-8")
    handle = path.open("r", encoding="utf-8-sig", errors="surrogateescape")
    return Table(path, "jsonl", first_keys, _jsonl_rows(handle), options)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str) -> str:
    """A line with bytes that are not UTF-8, as text that can be stored (the bytes as \\xNN)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")[:200]


def finite_or_text(text: str) -> float | str:
    """A JSON number as a float, or as written when no float holds it (``1e400``), so that
    its refusal quotes the file's text, as ``NaN`` and ``Infinity`` (kept as their text) are."""
    value = float(text)
    return value if math.isfinite(value) else text


class DuplicateKey(Exception):
    """A JSON object naming one key twice (which value was meant cannot be told)."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return value


#: one JSON line's reader, made once (``json.loads`` with options makes a decoder per call)
JSON_LINE = json.JSONDecoder(
    object_pairs_hook=unique_keys, parse_float=finite_or_text, parse_constant=str
)


def json_line(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """One stripped JSON line read: the object, or ``None`` and why the line is refused."""
    if "\x00" in text:
        return None, "contains NUL bytes"
    if not _encodable(text):  # bytes that are not UTF-8, kept as escapes
        return None, "text is not valid UTF-8"
    try:
        value = JSON_LINE.decode(text)
    except DuplicateKey as exc:
        return None, f"the key '{exc}' appears twice"
    except ValueError as exc:  # a JSONDecodeError, or an integer of more than 4,300 digits
        return None, f"not valid JSON: {exc}"
    except RecursionError:
        return None, "JSON nested too deep"
    if not isinstance(value, dict):
        return None, "line is JSON but not an object"
    texts = [v for v in value.values() if isinstance(v, str)]
    if not all(_encodable(v) for v in texts):
        return None, "a lone surrogate escape (\\ud800 ...) is not text"
    if any("\x00" in v for v in texts):
        return None, "contains NUL characters (\\u0000)"
    return value, None


def _jsonl_rows(handle: Any) -> Iterator[RawRow]:
    try:
        for number, text in enumerate(handle, start=1):
            stripped = text.strip()
            if not stripped:
                continue
            value, problem = json_line(stripped)
            if value is None:
                yield RawRow(number, {}, problem=problem, raw=_shown(stripped))
            else:
                yield RawRow(number, value)
    finally:
        handle.close()


# ------------------------------------------------------------ XLSX


def _unreadable_workbook(path: Path, exc: BaseException, line: int | None = None) -> EvidenceError:
    return EvidenceError(
        f"not a readable .xlsx workbook: {_damage(exc)}",
        location=Location(str(path), line),
        hint="open it in Excel and save it again as .xlsx",
    )


def _damage(exc: BaseException) -> str:
    """What an exception raised reading a workbook says is wrong with it, in words."""
    import zipfile

    if isinstance(exc, zipfile.BadZipFile):
        return "it is not a zip package, as every .xlsx workbook is"
    if isinstance(exc, SyntaxError):  # XML ParseError
        return "the XML of one of its parts is broken"
    if isinstance(exc, KeyError):  # "There is no item named 'xl/workbook.xml' in the archive"
        return f"one of its parts is missing ({str(exc.args[0] if exc.args else exc)[:80]})"
    detail = str(exc)[:80]
    return f"it is damaged ({detail})" if detail else "it is damaged"


# openpyxl tells of what it makes of a workbook through Python warnings ("Cell D2 is marked
# as a date but the serial value ... is outside the limits", "no default style"): two lines
# with a library path on stderr. What it means for a row is the row's quarantine reason.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?$")

#: what a damaged workbook raises inside openpyxl: bad zip, missing parts, bad XML, bad indexes
XLSX_DAMAGE: tuple[type[BaseException], ...] = (
    KeyError, ValueError, IndexError, TypeError, AttributeError, SyntaxError, OSError, EOFError,
)  # fmt: skip


def _open_xlsx(path: Path, options: dict[str, Any]) -> Table:
    try:
        return _read_xlsx(path, options)
    except EvidenceError:
        raise
    except XLSX_DAMAGE as exc:  # XML ParseError is a SyntaxError; BadZipFile an Exception of zip
        raise _unreadable_workbook(path, exc) from None
    except Exception as exc:
        import zipfile

        if isinstance(exc, zipfile.BadZipFile):
            raise _unreadable_workbook(path, exc) from None
        raise


#: a workbook part may expand to at most this many bytes, and, above EXPANDS_FREELY, at most
#: MAX_RATIO times its compressed size (sheet XML compresses about 10:1; a zip bomb 1000:1)
MAX_PART = 4 << 30
EXPANDS_FREELY = 16 << 20
MAX_RATIO = 100


def _check_package(path: Path) -> None:
    """Refuse, before parsing, an encrypted workbook and a part that is a zip bomb."""
    import zipfile

    with path.open("rb") as handle:
        _refuse_workbook(path, handle.read(SAMPLE_BYTES))
    try:
        with zipfile.ZipFile(path) as package:
            parts = package.infolist()
    except zipfile.BadZipFile:
        return  # openpyxl says what is wrong with it
    for part in parts:
        if part.flag_bits & 0x1:
            raise EvidenceError(
                f"its part {part.filename} is encrypted",
                location=Location(str(path)),
                hint="save the workbook again without a password",
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MAX_PART or (part.file_size > EXPANDS_FREELY and ratio > MAX_RATIO):
            raise EvidenceError(
                f"its part {part.filename} expands to {part.file_size:,} bytes from "
                f"{part.compress_size:,} ({ratio:,.0f}:1): refused as a zip bomb",
                location=Location(str(path)),
                hint="open it in Excel and save it again as .xlsx, or export it as CSV",
            )


def _read_xlsx(path: Path, options: dict[str, Any]) -> Table:
    import openpyxl

    _check_package(path)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet_name = options.get("sheet")
    if sheet_name and sheet_name not in book.sheetnames:
        book.close()
        from .errors import closest_name

        raise EvidenceError(
            f"no sheet named '{sheet_name}' (sheets: {', '.join(book.sheetnames)})",
            location=Location(str(path)),
            hint="give one of them as reader: {sheet: NAME} in the mapping",
            suggestion=closest_name(str(sheet_name), list(book.sheetnames)),
        )
    sheet = book[sheet_name] if sheet_name else _first_visible(book)
    options.update(sheet=sheet.title)
    rows = _sheet_rows(sheet)
    wanted = options.get("header_row")
    header: list[str] = []
    header_row = 0
    for number, values in rows:
        if wanted is not None and number < wanted:
            continue  # a title above the header the mapping names: not records
        if any(v not in (None, "") for v in values):
            header = [_cell_text(v) for v in values]
            header_row = number
            break
    if not header or (wanted is not None and header_row != wanted):
        book.close()
        if wanted is None:
            raise EvidenceError("the workbook's sheet is empty", location=Location(str(path), 1))
        raise EvidenceError(
            f"row {wanted} of sheet '{sheet.title}' is empty: no header there",
            location=Location(str(path), wanted),
            hint="give reader: {header_row: N} the row that holds the column names",
        )
    while header and header[-1] == "":
        header.pop()
    below: list[tuple[int, list[Any]]] = []
    try:
        below.extend(islice(rows, ROWS_BELOW_SHOWN))
    except XLSX_DAMAGE as exc:
        book.close()
        raise _unreadable_workbook(path, exc, header_row + len(below) + 1) from None
    return Table(
        path,
        "xlsx",
        header,
        _xlsx_rows(chain(below, rows), header_row, book, path, header),
        options,
        sheets=tuple(book.sheetnames),
        header_row=header_row,
        rows_below=tuple((n, tuple(map(_cell_text, values))) for n, values in below),
        rows_stated=_rows_stated(sheet, header_row),
    )


#: the last row of an Excel sheet
EXCEL_LAST_ROW = 1_048_576


def _rows_stated(sheet: Any, header_row: int) -> int | None:
    """The rows below the header the sheet's dimension gives (its last row, read with the
    workbook); None when it gives none, or gives Excel's last row (a writer claiming every
    cell)."""
    last = sheet.max_row
    if last is None or last >= EXCEL_LAST_ROW:
        return None
    return max(last - header_row, 0)


def _first_visible(book: Any) -> Any:
    """The first sheet a user sees in Excel: hidden sheets before it (a backup, a lookup
    table) are not its records. A workbook with every sheet hidden: its first."""
    shown = [sheet for sheet in book.worksheets if sheet.sheet_state == "visible"]
    return (shown or book.worksheets)[0]


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass(frozen=True, slots=True)
class UnsavedFormula:
    """A formula cell whose value the workbook does not hold (written by a program, never
    computed in Excel): its formula, as Excel shows it (``=SUM(H4:H305)``)."""

    formula: str

    def __str__(self) -> str:
        return self.formula


#: what a number format writes that is no date or time code: a quoted text, a [section]
#: (a colour, a locale), an escaped character, the space of one (``_)``)
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.')
#: a number format's codes of a time of day: hours, seconds (minutes come with one of them)
_TIME_CODES = re.compile("[hHsS]")
MIDNIGHT = time()


def _day_styles(sheet: Any) -> frozenset[int]:
    """The styles of a sheet's workbook whose number format writes a date and no time of day
    (``yyyy-mm-dd``, ``m/d/yy``, ``yyyy"年"m"月"d"日"``, not ``yyyy-mm-dd hh:mm``)."""
    from openpyxl.cell.read_only import ReadOnlyCell

    days = set()
    for style in sheet.parent._date_formats:
        written = ReadOnlyCell(sheet, 0, 0, None, style_id=style).number_format
        codes = _FORMAT_LITERALS.sub("", written.split(";")[0])
        if not _TIME_CODES.search(codes):
            days.add(style)
    return frozenset(days)


def _day_cell(value: Any) -> Any:
    """A date cell's value (its format a date alone) as the date it shows: openpyxl reads it
    as a datetime at midnight, as it reads a datetime cell; one holding a time of day too
    (Excel hides it) is kept whole."""
    if value.__class__ is datetime and value.time() == MIDNIGHT and value.tzinfo is None:
        return value.date()
    return value


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """Every row of a read-only sheet as (its row number, its values), as the sheet's XML has them.

    openpyxl's ``iter_rows`` trusts the sheet: a dimension claiming every cell of Excel pads
    each row to 16,384 cells and each gap to a million empty rows (hours), one claiming too few
    cuts cells off, and a row whose number is not above the one before is silently skipped.
    Here each row is read once, as many cells wide as its last cell, under its own number. A
    date cell (its number format a date alone) is read as a date, a datetime cell as a
    datetime (also at midnight): see :func:`_day_styles`.
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser, _cast_number

    book = sheet.parent
    days = _day_styles(sheet)

    class Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            formula = element.find(FORMULA_TAG)
            if cell["value"] is None and formula is not None:  # never computed: no value
                cell["value"] = UnsavedFormula(f"={formula.text or ''}")
            elif cell["data_type"] == "e" and element.get("t", "n") == "n":
                # a date cell whose number is no date (1e308), an error (#VALUE!) to openpyxl:
                # the cell holds the number
                cell["value"] = _cast_number(element.findtext(VALUE_TAG))
            elif cell["style_id"] in days:
                cell["value"] = _day_cell(cell["value"])
            return cell

    with sheet._get_source() as source:
        parser = Parser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if not cells:
                continue
            values: list[Any] = [None] * max(c["column"] for c in cells)
            for c in cells:
                values[c["column"] - 1] = c["value"]
            yield number, values


def _unsaved_formula(
    number: int, cells: list[Any], header: list[str], unsaved: UnsavedFormula
) -> RawRow:
    """A row quarantined for a formula the workbook holds no value for: its column (the
    header's name, else the column's number) and formula, and the row's cells."""
    position = cells.index(unsaved)
    column = header[position] if position < len(header) and header[position] else str(position + 1)
    return RawRow(
        number,
        cells,
        problem=f"column {column} holds a formula whose value the workbook does not hold (never "
        "computed); open it in Excel and save it again",
        column=column,
        value=unsaved.formula,
    )


def _xlsx_rows(
    rows: Iterator[tuple[int, list[Any]]], header_row: int, book: Any, path: Path, header: list[str]
) -> Iterator[RawRow]:
    number = header_row
    width = len(header)
    try:
        for number, values in rows:
            if all(v is None or v == "" for v in values):
                continue
            cells = list(values)
            if len(cells) < width:  # a row's empty cells at its end are not in the sheet's XML
                cells.extend([None] * (width - len(cells)))
            unsaved = next((c for c in cells if c.__class__ is UnsavedFormula), None)
            if unsaved is not None:
                yield _unsaved_formula(number, cells, header, unsaved)
                continue
            yield RawRow(number, cells)
    except XLSX_DAMAGE as exc:  # the sheet's XML breaks off: the file is not read at all
        raise _unreadable_workbook(path, exc, number + 1) from None
    finally:
        book.close()
