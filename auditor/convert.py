"""Turn one raw source row into a typed record, or say exactly why not.

A :class:`RowPlan` is built once per file from the evidence kind, the mapping
and the header; it then converts each row into a tuple of stored values in the
kind's field order. A value that cannot be converted raises :class:`BadValue`
naming the source column, the raw text and the reason.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from .columnar import (
    WithArrow,
    few_valued,
    holds_any,
    is_missing,
    plain_texts,
    timestamp_values,
    trimmed_texts,
)
from .errors import EvidenceError, Location, closest_name, did_you_mean
from .mapping import (
    ColumnSpec,
    Mapping,
    check_fields,
    describe,
    normalise,
    preset_names,
    presets_reading,
)
from .model import EvidenceKind, FieldSpec
from .timeparse import (
    FORMAT_ADVICE,
    DayMonthOrder,
    LocalClock,
    OrderUndecided,
    TimestampParser,
    TimeValueError,
    excel_day,
    excel_serial,
    excel_time,
    parse_date,
    period_problem,
    time_of_day,
)

T = TypeVar("T")

MAX_TEXT = 100_000
TRUE = {"true", "t", "yes", "y", "1", "是", "对", "√", "✓", "x"}
FALSE = {"false", "f", "no", "n", "0", "否", "错", "×", "✗", ""}
#: a text cell holding a number, ``46206`` or ``46206.0`` as an Excel-saved CSV writes it (an
#: Excel serial day number, in a date column)
_DAY_NUMBER = re.compile(r"^\d{1,9}(?:\.\d+)?$")
#: a text cell holding a fraction of a day, ``0.75`` as an Excel-saved CSV writes a time of
#: day (in a time column)
_DAY_FRACTION = re.compile(r"^0(?:\.\d+)?$")
#: the key's cell of an export's totals row (合计 total, 总计 grand total, 小计 subtotal), as
#: written in any case
TOTALS_WORDS = frozenset({"合计", "总计", "小计", "total", "totals", "grand total", "subtotal"})
#: every spelling of a totals word that str.lower() makes it (Total, TOTAL...): each letter
#: in either case, as no other character lower-cases to one of their letters
TOTALS_SPELLINGS = frozenset(
    "".join(letters)
    for word in TOTALS_WORDS
    for letters in itertools.product(*({c, c.upper()} for c in word))
)
#: why a row that repeats the header is quarantined
HEADER_REPEATED = "the header repeated (a paged export?): not a record; remove the line"
_CLOCK = re.compile(r"^(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$")


class BadValue(Exception):
    """A field (``column``) whose raw value cannot be read, and why; ``source``: the file
    column(s) the wrong value is in, where the plan tells them apart (a date + time field)."""

    def __init__(self, column: str, raw: Any, reason: str, source: str | None = None) -> None:
        super().__init__(reason)
        self.column = column
        self.raw = raw
        self.reason = reason
        self.source = source


Converter = Callable[[Any], Any]

#: how a file's warning that an optional field has no column in it begins
NO_COLUMN_WARNING = "optional field "


def is_no_column_warning(warning: str) -> bool:
    """Whether a file's warning is that an optional field has no column in it (an audit's
    findings tell that one from the file's columns: ``optional-field-missing``)."""
    return warning.startswith(NO_COLUMN_WARNING)


def sql_type(spec: FieldSpec) -> type:
    """The Python type sqlite-utils maps to the column's SQL type."""
    return {
        "integer": int,
        "boolean": int,
        "number": float,
        "timestamp": float,
        "date": float,
        "duration": float,
    }.get(spec.type, str)


def converter(
    spec: FieldSpec,
    zone: ZoneInfo,
    dst: str,
    fmt: str | None,
    values: dict[str, str | None],
    order: DayMonthOrder | None = None,
    advice: str = FORMAT_ADVICE,
) -> Converter:
    """A function from a raw value (text, number, datetime, bool) to the stored value.

    ``order`` is the column's day/month order, for timestamps and dates without ``fmt``;
    ``advice`` what to do about a time in no format known.
    """
    kind = spec.type
    if kind in ("string",):
        return _text
    if kind == "enum":
        return _enum(spec, values)
    if kind == "integer":
        return _integer
    if kind == "number":
        return _number
    if kind == "boolean":
        return _boolean
    if kind == "duration":
        return _duration
    if kind == "date":
        return _date(zone, fmt, order, advice)
    return _timestamp(zone, dst, fmt, order, advice)


def _text(raw: Any) -> str:
    if isinstance(raw, dict | list):  # a JSON object or list where one value belongs
        raise ValueError("a nested value (an object or a list), not one value")
    text = raw if isinstance(raw, str) else plain_text(raw)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"value is {len(text):,} characters long (limit {MAX_TEXT:,})")
    return text


def _empty_reason(raw: Any) -> str:
    """Why a required field has no value: an empty cell, or one holding a text the mapping or
    the kind reads as no value (``N/A``), which is named, since the cell is not empty."""
    shown = "" if raw is None else plain_text(raw).strip()
    if not shown:
        return "required field is empty"
    return f"required field is empty ('{shown[:40]}' is read as no value)"


def plain_text(raw: Any) -> str:
    """A raw cell as text: a whole number without its ``.0``, a datetime in ISO form, a JSON
    value as JSON writes it (``true``, ``[1, null]``), never as Python does (``True``). From
    1e16 on a float is written with its exponent (``1e+308``), not as 309 digits it never had."""
    if type(raw) is str:  # most cells: no other test paid for them
        return raw
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e16:
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ")
    if isinstance(raw, bool | list | dict):
        return json.dumps(raw, ensure_ascii=False)
    return str(raw)


def _enum(spec: FieldSpec, value_map: dict[str, str | None]) -> Converter:
    value_map = {**dict(spec.value_aliases), **value_map}
    allowed = {v: v for v in spec.values}
    folded = {v.lower(): v for v in spec.values}
    mapped = {normalise(k): v for k, v in value_map.items()}

    def convert(raw: Any) -> str | None:
        text = _text(raw)
        if text in allowed:
            return text
        if value_map:
            mapped_value = value_map.get(text, mapped.get(normalise(text), "\0"))
            if mapped_value != "\0":
                return mapped_value
        folded_value = folded.get(text.lower())
        if folded_value is not None:
            return folded_value
        hint = did_you_mean(closest_name(text, spec.values))
        raise ValueError(f"'{text[:40]}' is not one of {', '.join(spec.values)}{hint}")

    return convert


#: the whole numbers the store holds (SQLite's 64-bit integers)
INTEGER_RANGE = range(-(2**63), 2**63)


def _integer(raw: Any) -> int:
    return _in_range(_whole(raw), raw)


def _whole(raw: Any) -> int:
    if isinstance(raw, bool):  # JSON true is not the number 1
        raise ValueError(f"{plain_text(raw)} is a yes/no value, not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError(f"'{raw}' is not a whole number")
    text = plain_text(raw).strip()
    digits = text.replace(",", "")
    try:
        return int(digits)
    except ValueError:
        try:
            number = float(digits)
        except ValueError:
            raise ValueError(f"'{text[:40]}' is not a whole number") from None
        if number.is_integer():
            return int(number)
        raise ValueError(f"'{text[:40]}' is not a whole number") from None


def _in_range(value: int, raw: Any) -> int:
    if value not in INTEGER_RANGE:
        raise ValueError(f"'{plain_text(raw)[:40]}' is too large a whole number to store")
    return value


def _number(raw: Any) -> float:
    if isinstance(raw, bool):  # JSON true is not the number 1
        raise ValueError(f"{plain_text(raw)} is a yes/no value, not a number")
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = plain_text(raw).strip()
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ValueError(f"'{text[:40]}' is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"'{raw}' is not a finite number")
    return number


def _boolean(raw: Any) -> int:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int | float) and raw in (0, 1):
        return int(raw)
    text = plain_text(raw).strip().lower()
    if text in TRUE:
        return 1
    if text in FALSE:
        return 0
    raise ValueError(f"'{text[:40]}' is not yes/no (true/false, 1/0, 是/否)")


def _duration(raw: Any) -> float:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _number(raw)
    if isinstance(raw, time):
        return raw.hour * 3600 + raw.minute * 60 + raw.second + raw.microsecond / 1e6
    text = plain_text(raw).strip()
    match = _CLOCK.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        if seconds is None:  # MM:SS
            return int(hours) * 60 + int(minutes)
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        return _number(text)
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not a duration (seconds or H:MM:SS)") from None


def _timestamp(
    zone: ZoneInfo, dst: str, fmt: str | None, order: DayMonthOrder | None, advice: str
) -> Converter:
    parser = TimestampParser(zone, (fmt,) if fmt else (), dst, order, advice)

    def convert(raw: Any) -> float:
        if raw.__class__ is str:
            return parser(raw)
        if isinstance(raw, datetime):
            return parser.clock.epoch(raw)
        if isinstance(raw, date):  # a date alone: the start of its day
            return parser.clock.day_epoch(raw)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            moment = excel_serial(raw)
            if float(raw).is_integer():  # a whole day number is a date alone
                return parser.clock.date_epoch(moment)
            return parser.clock.epoch(moment)
        return parser(plain_text(raw))

    convert.text_parser = parser  # type: ignore[attr-defined]
    convert.clock = parser.clock  # type: ignore[attr-defined]
    return convert


def _date(zone: ZoneInfo, fmt: str | None, order: DayMonthOrder | None, advice: str) -> Converter:
    parser = TimestampParser(ZoneInfo("UTC"), (fmt,) if fmt else (), "strict", order, advice)
    clock = LocalClock(zone)

    def convert(raw: Any) -> float:
        if isinstance(raw, datetime):
            day = raw.date()
        elif isinstance(raw, date):
            day = raw
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            day = excel_serial(raw).date()
        else:
            day = parse_date(plain_text(raw), parser)
        return clock.day_epoch(day)

    convert.clock = clock  # type: ignore[attr-defined]
    return convert


#: a number as a missing-value marker may write it
_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")
#: a day, or a moment, in ISO form
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?$")


def typed_markers(texts: set[str]) -> set[Any]:
    """The missing-value ``texts`` and the typed cells that show one of them: a time cell equal
    to a marker's time of day (``0:00:00`` and ``00:00:00`` both midnight), a number equal to a
    marker's number, a date or datetime cell equal to a marker's ISO day (at midnight) or moment.
    Nothing beyond what a marker writes: midnight is no value only where a marker says so."""
    markers: set[Any] = set(texts)
    for text in texts:
        clock = time_of_day(text)
        if clock is not None:
            markers.add(clock)
        elif _DECIMAL.match(text):
            markers.add(float(text))
        elif _ISO_DAY.match(text):
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:  # no such day: no cell shows it
                continue
            markers.add(moment)
            if len(text) == 10:  # a day alone: a date cell, or a datetime one at midnight
                markers.add(moment.date())
    return markers


# ------------------------------------------------------------ the plan for one file


def title_note(
    sheet: str | None, header_row: int, row: int, found: str, kind: str | None = None
) -> str:
    """The note for a file whose header is below a title: row ``row`` of ``sheet`` (line
    ``row`` of a CSV file, ``sheet`` None) holds the column ``found``, the header was read
    from ``header_row``; ``kind`` when the file's kind could not be told (the mapping to give
    must name it)."""
    if sheet is None:  # a CSV file's header is its first line: no reader option moves it
        return (
            f"line {row} holds '{found}', the header read is line {header_row}: if the lines "
            f"above line {row} are a title, remove them (the header of a CSV file is its "
            "first line)"
        )
    enough = (
        f"kind: {kind} and that reader are enough: the columns are then found by their names"
        if kind
        else "its kind and reader are enough: the columns are then found by their names, as now"
    )
    return (
        f"row {row} of sheet '{sheet}' holds '{found}', the header read is row {header_row}: "
        f"if the rows above row {row} are a title, give reader: {{header_row: {row}}} in a "
        f"mapping ({enough})"
    )


class RowPlan:
    """Converts the rows of one file into records of one evidence kind."""

    def __init__(
        self,
        kind: EvidenceKind,
        mapping: Mapping,
        header: list[str],
        zone: ZoneInfo,
        path: Path,
        rows_are_dicts: bool = False,
        rows_are_text: bool = False,
        sheet: str | None = None,
        sheets: tuple[str, ...] = (),
        header_row: int = 1,
        rows_below: tuple[tuple[int, tuple[str, ...]], ...] = (),
        time_advice: str = FORMAT_ADVICE,
    ) -> None:
        check_fields(mapping, kind)
        #: what a time in no format known is told to do: a file's is given a format in its
        #: mapping; records without a mapping (a watch's) say what they accept
        self.time_advice = time_advice
        self.kind = kind
        self.mapping = mapping
        self.header = header
        self.zone = zone
        self.path = path
        #: the sheet read and the workbook's sheets (XLSX only), for messages
        self.sheet = sheet
        self.sheets = sheets
        #: the row the header was read from, and the rows below it (see readers.Table)
        self.header_row = header_row
        self.rows_below = rows_below
        self.rows_are_dicts = rows_are_dicts
        #: every raw value is a str (CSV), so text fast paths apply
        self.rows_are_text = rows_are_text
        self.fields = list(kind.fields.values())
        #: the missing-value markers: their texts and the typed cells showing them
        self.missing = typed_markers(mapping.missing_texts(kind.missing))
        self.missing_or_none: set[Any] = {*self.missing, None}
        self.positions, self.duplicates = _header_positions(header)
        #: the header's cells as a row repeating it holds them (see :func:`_row_cells`)
        self.header_cells = _row_cells(header)
        self.steps: list[tuple[str, Callable[[Any], Any], Converter, bool]] = []
        #: optional fields that have no column in this file
        self.absent: list[str] = []
        #: field -> where its value is read from, for fields this file has a column for
        self.sources: dict[str, str] = {}
        self.warnings: list[str] = []
        #: (step index, day/month order) of each timestamp or date field without a format
        self.orders: list[tuple[int, DayMonthOrder]] = []
        #: (field, clock) of each timestamp or date field: the clock counts values DST moved
        self.clocks: list[tuple[str, LocalClock]] = []
        self.clock_of: dict[str, LocalClock] = {}
        #: field -> the date + time columns it is read from, and their day/month order
        self.date_times: dict[str, tuple[ColumnSpec, DayMonthOrder | None]] = {}
        #: field -> the columns its value is joined from
        self.joins: dict[str, tuple[str, ...]] = {}
        read: dict[str, ColumnSpec | None] = {}
        for spec in self.fields:
            read[spec.name] = self._present(spec, mapping.columns.get(spec.name))
            self.steps.append(self._step(spec, read[spec.name]))
        self.names = [s.name for s in self.fields]
        #: the header position each step reads directly, when it reads one column as is
        self.step_positions: list[int | None] = [
            self._direct_position(read[spec.name]) for spec in self.fields
        ]
        self.text_steps = [
            convert in (_text,) or spec.type in ("string", "enum")
            for (_, _, convert, _), spec in zip(self.steps, self.fields, strict=True)
        ]
        #: the first header cell with a name: a row repeating the header holds it there too
        self.header_probe = None if rows_are_dicts else _first_named(self.header_cells)
        #: header position -> the key field that file column is read into (a totals word in
        #: a row's cell there then marks a totals row whatever its values)
        self.key_positions = {} if rows_are_dicts else self._key_positions(read)
        #: column -> the texts that mark a row with one of them there as maybe no record
        marks: dict[int, frozenset[str]] = dict.fromkeys(self.key_positions, TOTALS_SPELLINGS)
        if self.header_probe is not None:
            probe = self.header_probe
            marks[probe] = marks.get(probe, frozenset()) | {self.header_cells[probe]}
        self.no_record_marks = marks

    def _key_positions(self, read: dict[str, ColumnSpec | None]) -> dict[int, str]:
        """Header position -> the key field each column of the file a key field is read from
        goes into (alone, as one of the columns whose first value is taken, or as a part
        joined), in the order of the file's columns."""
        positions: dict[int, str] = {}
        for field in self.kind.key:
            column = read.get(field)
            for name in () if column is None else (*column.columns, *column.join):
                position = self._position(name)
                if position is not None:
                    positions.setdefault(position, field)
        return dict(sorted(positions.items()))

    def _step(
        self, spec: FieldSpec, column: ColumnSpec | None
    ) -> tuple[str, Callable[[Any], Any], Converter, bool]:
        """How one field is read: its getter and converter (nothing, for a field with no column)."""
        if column is None:
            self.absent.append(spec.name)
            return (spec.name, _nothing, _text, True)
        self.sources[spec.name] = describe(column)
        wrong = [v for v in column.values.values() if v is not None and v not in spec.values]
        if spec.type == "enum" and wrong:  # a value map may not put a value beside the enum
            raise EvidenceError(
                f"the values of '{spec.name}' map to '{wrong[0]}', which is not one of "
                f"{', '.join(spec.values)}",
                location=self.mapping.where(f"columns.{spec.name}"),
                suggestion=closest_name(wrong[0], spec.values),
            )
        if self.mapping.source == "auto" and len(column.columns) > 1:
            self.warnings.append(
                f"field '{spec.name}' matches the columns {', '.join(column.columns)}: "
                "each row's value is the first of them that has one"
            )
        getter = self._getter(column)
        order = None
        if spec.type in ("timestamp", "date") and not column.format:
            order = DayMonthOrder(describe(column), spec.name, str(self.path), column.order)
            self.orders.append((len(self.steps), order))
        if column.date_column is not None:
            self.date_times[spec.name] = (column, order)
        if column.join:
            self.joins[spec.name] = tuple(column.join)
        convert = converter(
            spec, self.zone, self.mapping.dst, column.format, column.values, order, self.time_advice
        )
        clock = getattr(convert, "clock", None)
        if clock is not None:
            self.clocks.append((spec.name, clock))
            self.clock_of[spec.name] = clock
        if column.values and spec.type != "enum":
            convert = _mapped(convert, column.values)
        return (spec.name, getter, convert, spec.optional)

    def _present(self, spec: FieldSpec, column: ColumnSpec | None) -> ColumnSpec | None:
        """The part of a field's column spec this file has; raise when a column it needs is absent."""
        if column is None:
            if not spec.optional:
                raise self._missing_column(spec)
            self._warn_absent(spec, self._unmapped_but_present(spec))
            return None
        if column.has_constant:
            return column
        for name in column.names:
            if name in self.duplicates:
                where = "" if self.sheet is None else f" of sheet '{self.sheet}'"
                raise EvidenceError(
                    f"column '{name}' appears more than once in the header{where} (columns "
                    f"{', '.join(map(str, self.duplicates[name]))}): which one field "
                    f"'{spec.name}' reads cannot be told",
                    location=Location(str(self.path), self.header_row or 1),
                    hint="rename one of them in the file (a mapping names columns by their "
                    "names, so it cannot tell the two apart either)",
                )
        absent = [n for n in column.names if self.header and self._position(n) is None]
        if not absent:
            return column
        if not column.optional:
            raise self._absent_column(spec, absent[0])
        kept = _without(column, absent)
        if kept is None:
            if not spec.optional:
                raise self._absent_column(spec, absent[0])
            self._warn_absent(spec, f" ({', '.join(absent)} absent)")
        return kept

    def _unmapped_but_present(self, spec: FieldSpec) -> str:
        """When a mapping leaves a field out that the file has a column for, say so."""
        if self.mapping.source == "auto":
            return ""
        by_name = {normalise(h): h for h in self.header if h}
        for candidate in (spec.name, *spec.aliases):
            column = by_name.get(normalise(candidate))
            if column is not None:
                what = f"preset {self.mapping.name}" if self.mapping.name else "mapping"
                return (
                    f" (the {what} does not map it, though the file has a column '{column}': "
                    f"add '{spec.name}: {column}' under columns in a mapping of your own)"
                )
        return ""

    def _warn_absent(self, spec: FieldSpec, detail: str) -> None:
        self.warnings.append(
            f"{NO_COLUMN_WARNING}'{spec.name}' has no column in this file{detail}; "
            "its records are left out of the rules that judge by it"
        )

    def _missing_column(self, spec: FieldSpec) -> EvidenceError:
        """A required field the mapping (or the automatic match) finds no column for; the
        column offered is one no other field reads, most like the field's name or an alias."""
        free = self._columns_free_for(spec.name)
        guesses = [closest_name(n, free, fold_case=True) for n in (spec.name, *spec.aliases)]
        suggestion = next((g for g in guesses if g), None)
        if self.mapping.source == "preset":
            return EvidenceError(
                f"the preset '{self._preset_name()}' gives no column for required field "
                f"'{spec.name}' of {self.kind.name}",
                location=Location(str(self.path), 1),
                hint=self._preset_hint(self._presets_fitting()),
            )
        if self.mapping.source != "auto" and not self.mapping.by_names:
            return EvidenceError(
                f"the mapping gives no column for required field '{spec.name}' of {self.kind.name}",
                location=self.mapping.where("columns"),
                hint=f"add '{spec.name}: {suggestion or 'COLUMN'}' under columns",
            )
        # found by name or alias: without a mapping, or with one that gives no columns
        tried = ", ".join((spec.name, *spec.aliases))
        title = self._title_above((spec.name, *spec.aliases))
        sheet = title or self._sheet_note((spec.name, *spec.aliases), suggestion)
        named = [h for h in self.header if h.strip()]
        read = f"the header read: {_listing(named)}"
        if self.sheet is None and len(named) <= 1 and not sheet:  # a title above the header?
            read += (
                " (one column: if that line is a title above the header, remove it; the "
                "header of a CSV file is its first line)"
            )
        return EvidenceError(
            f"no column for required field '{spec.name}' of {self.kind.name} (looked for: "
            f"{tried}); {read}",
            location=Location(str(self.path), self.header_row or 1),
            suggestion=None if title else suggestion,  # not a cell of the title read
            hint=self._unmatched_hint(spec) + (f"; {sheet}" if sheet else ""),
        )

    def _unmatched_hint(self, spec: FieldSpec) -> str:
        """What to do about a required field no column's name matches: an alias, or a column
        named in a mapping (under columns of the one given, which lists none)."""
        if self.mapping.source == "auto":
            return "add an alias in the pack or map it with --mapping"
        return (
            f"add an alias in the pack or '{spec.name}: COLUMN' under columns in "
            f"{self.mapping.path}"
        )

    def _absent_column(self, spec: FieldSpec, name: str) -> EvidenceError:
        """A column the mapping names that this file does not have (a typo, or another layout);
        no column is offered when a title was read as the header (the note names the row)."""
        notes = [f"its columns: {_listing(self.header)}"]
        title = self._title_above((name,))
        if self.mapping.source == "preset":  # the file is not the export the preset reads
            fitting = self._presets_fitting()
            close = None if fitting or title else closest_name(name, self.header)
            sheet = title or self._sheet_note((name,), close)
            return EvidenceError(
                f"column '{name}' of field '{spec.name}' is not in the header; the preset "
                f"'{self._preset_name()}' reads another layout",
                location=Location(str(self.path), 1),
                suggestion=close,
                hint="; ".join([self._preset_hint(fitting), *notes, *([sheet] if sheet else [])]),
            )
        close = None if title else closest_name(name, self._columns_free_for(spec.name))
        sheet = title or self._sheet_note((name,), close)
        return EvidenceError(
            f"column '{name}' of field '{spec.name}' is not in {self.path}",
            location=self.mapping.where(f"columns.{spec.name}"),
            suggestion=close,
            hint="; ".join([*notes, *([sheet] if sheet else [])]),
        )

    def _columns_free_for(self, field: str) -> list[str]:
        """The header's columns no other field of the mapping reads: those a typo in
        ``field``'s column may have meant (never one another field has already)."""
        taken = {
            name
            for other, column in self.mapping.columns.items()
            if other != field
            for name in column.names
        }
        return [name for name in self.header if name not in taken]

    def _preset_name(self) -> str:
        return Path(self.mapping.path or "").stem

    def _presets_fitting(self) -> list[str]:
        """The other shipped presets that read this file's header."""
        return [name for name in presets_reading(self.header) if name != self._preset_name()]

    def _preset_hint(self, fitting: list[str]) -> str:
        """What to do when a file is not the export a shipped preset reads: the presets
        that read its header, if any does."""
        if fitting:
            return f"--preset {' or --preset '.join(fitting)} reads this header"
        return (
            f"give the preset made for this export ({', '.join(preset_names())}), or copy the "
            "preset's file, edit its columns and give it with --mapping"
        )

    def _title_above(self, names: Sequence[str]) -> str | None:
        """The note on the row (a CSV file's line) below the header that holds one of the
        column ``names`` looked for: a title above the header was read as the header."""
        for row, texts in self.rows_below:
            there = {normalise(text) for text in texts}
            found = next((name for name in names if normalise(name) in there), None)
            if found is not None:
                return title_note(self.sheet, self.header_row, row, found)
        return None

    def _sheet_note(self, names: Sequence[str], close: str | None = None) -> str:
        """The note on a title read as the header (see :meth:`_title_above`); else which
        sheet of a workbook was read, and the others it has; none when the sheet read has a
        column ``close`` to the one looked for (a typo there, not the wrong sheet)."""
        title = self._title_above(names)
        if title is not None:
            return title
        if self.sheet is None or close is not None:
            return ""
        note = f"sheet '{self.sheet}' read (sheets: {', '.join(self.sheets)})"
        if len(self.sheets) > 1:
            note += "; give reader: {sheet: NAME} in the mapping"
        return note

    # -------------------------------------------------------- day/month orders

    def observe(self, rows: Sequence[Any], lines: Sequence[int], everything: bool = False) -> None:
        """Show a batch to the day/month orders that watch their columns (or to all of them)."""
        for index, order in self.orders:
            if order.active or everything:
                order.observe(list(map(self.steps[index][1], rows)), lines)

    def observe_order(
        self, order: DayMonthOrder, rows: Sequence[Any], lines: Sequence[int]
    ) -> None:
        """Show a batch to one column's order, which starts watching its column."""
        order.active = True
        for index, candidate in self.orders:
            if candidate is order:
                order.observe(list(map(self.steps[index][1], rows)), lines)

    def with_orders_settled(
        self, rows: Sequence[Any], lines: Sequence[int], convert: Callable[[], T]
    ) -> T:
        """``convert()`` of ``rows``, with the day/month order of each column settled first.

        The columns whose order is watched see the rows before they are converted (a
        contradiction is an error for the file). A column that meets its first
        d/m/yyyy date here is searched in these rows; :class:`OrderUndecided`
        leaves when they do not settle its order.
        """
        self.observe(rows, lines)
        while True:
            try:
                return convert()
            except OrderUndecided as exc:
                if exc.order.active:
                    raise
                self.observe_order(exc.order, rows, lines)
                if exc.order.order is None:
                    exc.order.note(exc.value)
                    raise

    def orders_settled(self) -> bool:
        """No column has met an ambiguous date without its order being known."""
        return not any(order.needs_order for _, order in self.orders)

    def finish_orders(self) -> None:
        """At the end of a file: refuse every column no value settled."""
        for _, order in self.orders:
            order.finish()

    def date_orders(self) -> dict[str, str]:
        """field -> day-first or month-first, for each field whose order was decided."""
        return {order.field: order.order for _, order in self.orders if order.order}

    def date_orders_seen(self) -> dict[str, dict[str, Any]]:
        """field -> the line and value that settled its order, for each field whose order a
        value settled (not the mapping): what a certifier checks the reading by."""
        return {
            order.field: {"line": seen.line, "value": seen.value}
            for _, order in self.orders
            if (seen := order.decided_by) is not None
        }

    def _getter(self, column: ColumnSpec) -> Callable[[Any], Any]:
        missing = self.missing_or_none

        def present(value: Any) -> bool:
            return not is_missing(value, missing)

        if column.has_constant:
            constant = column.constant
            return lambda row: constant
        pick = self._picker
        if column.join:
            parts = [pick(c) for c in column.join]
            sep = column.sep

            def joined(row: Any) -> Any:
                values = [p(row) for p in parts]
                if not all(present(v) for v in values):
                    return None
                return sep.join(plain_text(v).strip() for v in values)

            return joined
        sources = [pick(c) for c in column.columns]
        if column.date_column is not None:
            day = pick(column.date_column)

            def combined(row: Any) -> Any:
                date_value = day(row)
                if not present(date_value):
                    return None
                for source in sources:
                    value = source(row)
                    if present(value):
                        return f"{day_text(date_value)} {clock_text(value)}"
                return None

            return combined
        if len(sources) == 1:
            only = sources[0]
            return only

        def first(row: Any) -> Any:
            for source in sources:
                value = source(row)
                if present(value):
                    return value
            return None

        return first

    def text_column(self, name: str) -> int | None:
        """The file column a text field is stored from as written (trimmed, a missing-value
        marker read as missing, nothing else done to it), when there is one; else None."""
        index = self.names.index(name)
        if not self.rows_are_text or self.steps[index][2] is not _text:
            return None
        return self.step_positions[index]

    def _direct_position(self, column: ColumnSpec | None) -> int | None:
        if column is None or column.has_constant or column.join or column.date_column:
            return None
        if len(column.columns) != 1:
            return None
        return self._position(column.columns[0])

    def _position(self, name: str) -> int | None:
        position = self.positions.get(name)
        return self.positions.get(normalise(name)) if position is None else position

    def _picker(self, name: str) -> Callable[[Any], Any]:
        if self.rows_are_dicts:
            return lambda row: row.get(name)
        position = self._position(name)
        if position is None:
            return lambda row: None
        # Rows of list-shaped files are checked to be as wide as the header first.
        return operator.itemgetter(position)

    # -------------------------------------------------------- values moved by DST

    def moved_counts(self) -> dict[str, int]:
        """field -> values of rows converted so far that a DST change moved (none: left out)."""
        return {name: clock.moved for name, clock in self.clocks if clock.moved}

    def reset_moved(self) -> None:
        """Start counting again (a file read again from its start)."""
        for _, clock in self.clocks:
            clock.moved = 0

    def _counted(self, before: list[int] | None, converting: Callable[[], Any]) -> Any:
        """``converting()``; values it moved stay counted only when it gives rows (not None, no error)."""
        try:
            result = converting()
        except BaseException:
            self._restore(before)
            raise
        if result is None:
            self._restore(before)
        return result

    def _restore(self, before: list[int] | None) -> None:
        if before is not None:
            for (_, clock), count in zip(self.clocks, before, strict=True):
                clock.moved = count

    def convert_batch(
        self,
        rows: Sequence[Any],
        tail: list[Any] | None = None,
        columns: Sequence[list[Any]] | None = None,
    ) -> list[tuple[Any, ...]] | None:
        """Convert many rows column by column (fast); ``None`` when any row needs a closer look.

        Gives exactly what :meth:`convert` gives row by row (with the ``tail``
        columns appended), or ``None`` so that the caller converts the batch row
        by row and learns which row failed and why. Values moved by DST are
        counted only when the batch converts.
        """
        records = self.convert_columns(rows, tail, columns)
        return None if records is None else list(records)

    def convert_columns(
        self,
        rows: Sequence[Any],
        tail: list[Any] | None = None,
        columns: Sequence[list[Any]] | None = None,
    ) -> Records | None:
        """:meth:`convert_batch`'s records, kept column by column (see :class:`Records`)."""
        if not self.clocks:
            return self._convert_batch(rows, tail, columns)
        before = [clock.moved for _, clock in self.clocks]
        return self._counted(before, lambda: self._convert_batch(rows, tail, columns))

    def _convert_batch(
        self,
        rows: Sequence[Any],
        tail: list[Any] | None = None,
        columns: Sequence[list[Any]] | None = None,
    ) -> Records | None:
        transposed: Any = columns
        arrays = getattr(columns, "arrays", None)  # the reader's Arrow arrays, if it has them
        if transposed is None and not self.rows_are_dicts:
            transposed = list(zip(*rows, strict=True))
        if self._may_hold_no_record(transposed, arrays):
            return None  # row by row, each row that is no record said so (see no_record)
        converted: list[Any] = []
        for step, position, text in zip(
            self.steps, self.step_positions, self.text_steps, strict=True
        ):
            if step[1] is _nothing:  # an optional field this file has no column for
                converted.append([None] * len(rows))
                continue
            try:
                values = self._column(step, position, text, rows, transposed, arrays)
            except (ValueError, TypeError, OverflowError, AttributeError):
                return None
            if values is None or (not step[3] and None in values) or (text and "" in values):
                return None
            converted.append(values)
        if tail:
            converted.extend(tail)
        return Records(converted)

    def _column(
        self,
        step: tuple[str, Callable[[Any], Any], Converter, bool],
        position: int | None,
        text: bool,
        rows: Sequence[Any],
        transposed: Any,
        arrays: list[Any] | None,
    ) -> Sequence[Any] | None:
        """One field's values for the batch, the fastest way its column allows; None when a
        text is too long (the batch then goes row by row)."""
        name, getter, convert, _ = step
        missing = self.missing_or_none
        fast = getattr(convert, "text_parser", None) if self.rows_are_text else None
        if arrays is not None and position is not None:  # the reader's Arrow arrays
            if fast is not None:  # no Python texts made first
                return timestamp_values(fast, None, missing, arrays[position])
            few = few_valued(arrays[position]) if self.rows_are_text else None
            if few is not None:  # each distinct text read once, spread over the rows in C
                return self._few_values(name, text and convert is _text, convert, few)
            if text and convert is _text and self.rows_are_text:  # an identifier, say
                plain = plain_texts(arrays[position], missing, MAX_TEXT)
                if plain is not None:  # checked in Arrow: nothing to trim or to read as missing
                    return plain
                trimmed = trimmed_texts(arrays[position], missing, MAX_TEXT)
                if trimmed is not None:  # trimmed, and markers read as missing, by Arrow
                    return trimmed
        raws = (
            transposed[position]
            if transposed is not None and position is not None
            else list(map(getter, rows))
        )
        if fast is not None:
            return timestamp_values(fast, raws, missing)
        if text and convert is _text:
            return _texts(raws, missing)
        if self.rows_are_text:  # each distinct text converted once
            return _distinct_values(convert, raws, missing, self.clock_of.get(name))
        return [None if is_missing(raw, missing) else convert(raw) for raw in raws]

    def _few_values(
        self, name: str, is_text: bool, convert: Converter, few: tuple[list[str], Any]
    ) -> Sequence[Any] | None:
        """A few-valued column's values from its distinct texts and each row's index among
        them: as :func:`_texts` or :func:`_distinct_values` give them from the row texts."""
        distinct, indices = few
        if is_text:
            kept = _cleaned(distinct, self.missing_or_none)
            if _too_long(kept):
                return None
        else:
            kept, moved = _meanings(
                convert, distinct, self.missing_or_none, self.clock_of.get(name)
            )
            if moved:  # counted once each; once per row holding it is what is stored
                import numpy as np

                clock = self.clock_of[name]
                counts = np.bincount(indices, minlength=len(distinct))
                clock.moved += int(counts[moved].sum()) - len(moved)
        return _spread_with_arrow(kept, indices)

    def _may_hold_no_record(self, columns: Any, arrays: list[Any] | None) -> bool:
        """Whether a row of a batch (its ``columns``, or the reader's Arrow ``arrays``) may be
        the header repeated or a totals row (:meth:`no_record`): its cell under the header's
        first name is that name, or its cell in a column the key is read from a totals word."""
        return any(
            _holds(columns, arrays, position, marks)
            for position, marks in self.no_record_marks.items()
        )

    def no_record(self, row: Any) -> BadValue | None:
        """Why ``row`` is no record, whatever its values: the header repeated (a paged export),
        or an export's totals row (合计, Total... in a column the key is read from, the key's
        other columns empty: a record may have a key part named Total); None for any other
        row."""
        if self._repeats_header(row):
            return BadValue("", None, HEADER_REPEATED)
        filled = [p for p in self.key_positions if p < len(row) and _cell(row[p])]
        if len(filled) != 1 or _cell(row[filled[0]]).lower() not in TOTALS_WORDS:
            return None
        position = filled[0]
        where = _cell(self.header[position])
        reason = _totals_row(_cell(row[position]), None if position == 0 else where)
        return BadValue(self.key_positions[position], row[position], reason, where)

    def _repeats_header(self, row: Any) -> bool:
        """Whether ``row`` holds the header's cells (see :func:`_row_cells`)."""
        probe = self.header_probe
        if probe is None or len(row) <= probe or _cell(row[probe]) != self.header_cells[probe]:
            return False
        return _row_cells(row) == self.header_cells

    def convert(self, row: Any) -> tuple[Any, ...]:
        """The stored values in field order; raise :class:`BadValue` on the first bad one.

        Values moved by DST are counted only when the whole row converts. A row that is no
        record (the header repeated, a totals row) says so, read or not (see
        :meth:`no_record` and :meth:`_not_a_record`).
        """
        no_record = self.no_record(row)
        if no_record is not None:
            raise no_record
        try:
            if not self.clocks:
                return self._convert(row)
            before = [clock.moved for _, clock in self.clocks]
            return self._counted(before, lambda: self._convert(row))
        except BadValue as bad:
            raise self._not_a_record(row, bad) from None

    def _not_a_record(self, row: Any, bad: BadValue) -> BadValue:
        """Why a row that cannot be converted (``bad``) is no record, when it is an export's
        totals row whose first cell (合计, Total...) the key is not read from (else it is
        told before: :meth:`no_record`): with the field's words, but not to correct the
        value."""
        if self.rows_are_dicts or not len(row):
            return bad
        first = _cell(row[0])
        if first.lower() not in TOTALS_WORDS:
            return bad
        words = bad.reason.split("; correct it in column ")[0].removesuffix(f"; {FORMAT_ADVICE}")
        return BadValue(bad.column, bad.raw, f"{words}: {_totals_row(first)}", bad.source)

    def _convert(self, row: Any) -> tuple[Any, ...]:
        out: list[Any] = []
        missing = self.missing_or_none
        for name, getter, convert, optional in self.steps:
            raw = getter(row)
            if is_missing(raw, missing):
                if not optional:
                    raise self._empty(name, row, raw)
                out.append(None)
                continue
            try:
                value = convert(raw)
            except (ValueError, TimeValueError, OverflowError) as exc:
                raise self._bad_value(name, row, raw, str(exc)) from None
            if value is None and not optional:
                raise BadValue(name, raw, "required field is mapped to no value")
            out.append(value)
        return tuple(out)

    def _empty(self, name: str, row: Any, raw: Any) -> BadValue:
        """A required field with no value; for one made of several columns (see
        :meth:`_parts`) of which some have a value, the parts that are empty, with the row's
        cells of them all."""
        parts = self._parts(name, row)
        if parts is None:
            return BadValue(name, raw, _empty_reason(raw))
        cells = [self._picker(part)(row) for part in parts]
        empty = [
            p for p, c in zip(parts, cells, strict=True) if is_missing(c, self.missing_or_none)
        ]
        if len(empty) == len(parts):
            return BadValue(name, raw, _empty_reason(raw))
        filled = [p for p in parts if p not in empty]
        shown = " + ".join("" if cell is None else plain_text(cell).strip() for cell in cells)
        reason = (
            f"{_listed(empty)} empty, {_listed(filled)} not; correct it in column "
            f"{' + '.join(empty)}"
        )
        return BadValue(name, shown, reason, " + ".join(parts))

    def _parts(self, name: str, row: Any) -> tuple[str, ...] | None:
        """The columns field ``name``'s value is made of, when several: a join's, or a date +
        time field's date column and its time column (the first that has a value in ``row``;
        all of them when none has one). None for a field read from one column."""
        read = self.date_times.get(name)
        if read is None:
            return self.joins.get(name)
        column = read[0]
        assert column.date_column is not None
        clock = self._clock_cell(column, row)
        return (column.date_column, *(column.columns if clock is None else clock[:1]))

    def _clock_cell(self, column: ColumnSpec, row: Any) -> tuple[str, Any] | None:
        """The first of a date + time field's time columns that has a value in ``row``, with
        that value; None when none has one."""
        for name in column.columns:
            value = self._picker(name)(row)
            if not is_missing(value, self.missing_or_none):
                return name, value
        return None

    def _bad_value(self, name: str, row: Any, raw: Any, reason: str) -> BadValue:
        """Why field ``name`` cannot be read from ``raw``; for a date + time field, named in
        the cell that is wrong (see :meth:`_bad_date_time`)."""
        read = self.date_times.get(name)
        if read is None:
            return BadValue(name, raw, reason)
        return self._bad_date_time(name, row, raw, reason, *read)

    def _bad_date_time(
        self,
        name: str,
        row: Any,
        raw: Any,
        reason: str,
        column: ColumnSpec,
        order: DayMonthOrder | None,
    ) -> BadValue:
        """A date + time value that cannot be read, in its date column's cell when that is no
        valid date beside a valid time, in its time column's cell when that is no valid time
        beside a valid date, else (both wrong, neither alone, or a format given for the two
        together) in both columns, ``日期 + 接通时间``, with the value they make together."""
        assert column.date_column is not None
        day = self._picker(column.date_column)(row)
        found = self._clock_cell(column, row)
        assert found is not None  # a value that cannot be read has a time
        clock_column, clock = found
        both = f"{column.date_column} + {clock_column}"
        in_both = BadValue(name, raw, f"{reason}; correct it in column {both}", both)
        if column.format:
            return in_both
        day_wrong = _not_a_day(day_text(day), order)
        clock_right = time_of_day(clock_text(clock)) is not None
        if day_wrong and clock_right:
            where = f"; correct it in column {column.date_column}"
            return BadValue(name, day, day_wrong + where, column.date_column)
        if not day_wrong and not clock_right:
            wrong = _not_a_time_of_day(clock_text(clock))
            return BadValue(
                name, clock, f"{wrong}; correct it in column {clock_column}", clock_column
            )
        return in_both


def _listed(columns: list[str]) -> str:
    """``呼叫编号 is``, ``a + b are``: columns as a sentence names them."""
    return f"{' + '.join(columns)} {'is' if len(columns) == 1 else 'are'}"


def _row_cells(row: Any) -> list[str]:
    """A row's cells as text, as the header's are read (``str``, trimmed), without the empty
    ones at its end: what a row repeating the header has in common with the header read."""
    cells = [_cell(cell) for cell in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _not_a_time_of_day(text: str) -> str:
    """Why ``text`` is no valid time of day, with why its part-of-day word does not go with
    its hour when that is what is wrong (晚上 3:00)."""
    problem = period_problem(text)
    return f"'{text[:40]}' is not a valid time of day" + (f": {problem}" if problem else "")


def _cell(value: Any) -> str:
    """A cell as text, as the header's are read (``str``, trimmed)."""
    return "" if value is None else str(value).strip()


def _first_named(cells: list[str]) -> int | None:
    """The position of the first cell that is not empty, or None."""
    return next((position for position, cell in enumerate(cells) if cell), None)


def _totals_row(word: str, column: str | None = None) -> str:
    """Why a row with ``word`` (合计, Total...) in its first cell, or in ``column``, is no
    record."""
    where = "its first cell" if column is None else f"column {column}"
    return f"a totals row ({word} in {where}), not a record; remove the line"


def _holds(columns: Any, arrays: list[Any] | None, position: int, texts: frozenset[str]) -> bool:
    """Whether column ``position`` of a batch holds one of ``texts``, a cell read as text
    (:func:`_cell`): from the reader's Arrow array when it has one of plain strings."""
    found = None if arrays is None else holds_any(arrays[position], texts)
    if found is not None:
        return found
    if position >= len(columns):
        return False
    return any(map(texts.__contains__, map(_cell, columns[position])))


def _not_a_day(text: str, order: DayMonthOrder | None) -> str | None:
    """Why ``text`` is no valid day (as a date column in ``order`` is read); None if it is one."""
    try:
        parse_date(text, TimestampParser(ZoneInfo("UTC"), (), "strict", order))
    except ValueError as exc:
        return str(exc)
    return None


class ColumnRows(Sequence[tuple[Any, ...]]):
    """Rows (tuples) over columns held as they are, made only when something reads them."""

    def __init__(self, columns: Sequence[Any]) -> None:
        self.columns = columns
        self._rows: list[tuple[Any, ...]] | None = None

    def _made(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            self._rows = list(zip(*self.columns, strict=True))
        return self._rows

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def __getitem__(self, index: Any) -> Any:
        return self._made()[index]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._made())


class Records(ColumnRows):
    """Converted records held as their columns (each a list of one field's values).

    Read as a sequence they are rows (tuples in field order), made on first use;
    a store that takes the columns as they are never makes them.
    """

    columns: list[list[Any]]

    def __init__(self, columns: list[list[Any]]) -> None:
        lengths = set(map(len, columns))
        if len(lengths) > 1:
            raise ValueError(f"columns of {sorted(lengths)} values")
        super().__init__(columns)

    def values(self) -> list[Any]:
        """Every value, row after row (what the rows hold, one after another)."""
        width = len(self.columns)
        if not width:
            return []
        values: list[Any] = [None] * (width * len(self))
        for position, column in enumerate(self.columns):
            values[position::width] = column
        return values


def _texts(raws: list[str], missing: set[Any]) -> list[Any] | None:
    """Text values trimmed, markers (as written or trimmed) as None; None if one is too long.

    A column of few distinct values (a channel, a site) is read through its distinct values.
    """

    distinct = list(set(raws))
    if len(distinct) * 4 < len(raws):
        kept = _cleaned(distinct, missing)
        values = list(map(dict(zip(distinct, kept, strict=True)).__getitem__, raws))
    else:
        kept = values = _cleaned(raws, missing)
    return None if _too_long(kept) else values


def _cleaned(texts: list[str], missing: set[Any]) -> list[Any]:
    """Texts trimmed; a missing-value marker (as written or trimmed) as None."""
    stripped = [text.strip() for text in texts]
    return [
        None if raw in missing or clean in missing else clean
        for raw, clean in zip(texts, stripped, strict=True)
    ]


def _too_long(texts: list[Any]) -> bool:
    return max(map(len, filter(None, texts)), default=0) > MAX_TEXT


def spread(kept: list[Any], indices: Any) -> list[Any]:
    """``kept[i]`` for each index ``i`` (a numpy array), as a list."""
    import numpy as np

    held = np.empty(len(kept), dtype=object)
    for position, value in enumerate(kept):  # one by one: a value is never taken apart
        held[position] = value
    result: list[Any] = held[indices].tolist()
    return result


def _spread_with_arrow(kept: list[Any], indices: Any) -> Sequence[Any]:
    """:func:`spread`, with the same values as an Arrow array beside them when the distinct
    values are all texts or all integers (None among them or not): the types Arrow holds
    exactly as SQLite stores them."""
    import pyarrow as pa

    try:
        distinct = pa.array(kept)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return spread(kept, indices)
    if distinct.type not in (pa.string(), pa.int64()):
        return spread(kept, indices)
    return WithArrow(distinct.take(pa.array(indices)))  # the values made if read


def day_text(value: Any) -> str:
    """The day a date + time field's date cell holds, as text: ISO for a date cell or an Excel
    serial day number (a workbook's number, or a CSV cell's number: ``36373`` and ``36373.0``
    are 1999-08-01, read as the number a workbook holds, a fraction of a day left to the time
    column), else the text as written."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = plain_text(value).strip()
    serial = float(text) if _DAY_NUMBER.match(text) else value
    return excel_day(serial) or text


def clock_text(value: Any) -> str:
    """The time of day a date + time field's time cell holds, as text: ``HH:MM:SS`` for a time
    cell or a fraction of a day (a workbook's number, or a CSV cell's: ``0.75`` is 18:00:00,
    read as the number a workbook holds), else the text as written."""
    if isinstance(value, time | datetime):
        return value.strftime("%H:%M:%S")
    text = plain_text(value).strip()
    fraction = ":" not in text and _DAY_FRACTION.match(text)  # most cells hold a clock time
    return excel_time(float(text) if fraction else value) or text


def _nothing(row: Any) -> None:
    return None


def _distinct_values(
    convert: Converter, raws: list[Any], missing: set[Any], clock: LocalClock | None
) -> list[Any]:
    """Each distinct raw value converted once; a value DST moved counts once per row holding it."""
    distinct = list(set(raws))
    kept, moved = _meanings(convert, distinct, missing, clock)
    meaning = dict(zip(distinct, kept, strict=True))
    if moved:  # counted once each by _meanings; once per row holding it is what is stored
        assert clock is not None
        held = {distinct[position] for position in moved}
        clock.moved += sum(raw in held for raw in raws) - len(moved)
    return list(map(meaning.__getitem__, raws))


def _meanings(
    convert: Converter, distinct: list[Any], missing: set[Any], clock: LocalClock | None
) -> tuple[list[Any], list[int]]:
    """Each distinct raw value converted, and the positions of those a DST change moved."""
    kept: list[Any] = []
    moved: list[int] = []
    for position, raw in enumerate(distinct):
        before = None if clock is None else clock.moved
        kept.append(None if is_missing(raw, missing) else convert(raw))
        if clock is not None and clock.moved != before:
            moved.append(position)
    return kept, moved


def _header_positions(header: list[str]) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Each column name's position (also under its normalised name), and duplicated names."""
    positions: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        if name in positions:
            duplicates.setdefault(name, [positions[name] + 1]).append(i + 1)
        else:
            positions[name] = i
    for name, position in list(positions.items()):
        positions.setdefault(normalise(name), position)
    return positions, duplicates


def _without(column: ColumnSpec, absent: list[str]) -> ColumnSpec | None:
    """An optional column spec without the columns a file lacks; None when nothing is left."""
    if column.join or column.date_column in absent:
        return None
    kept = tuple(c for c in column.columns if c not in absent)
    return replace(column, columns=kept) if kept else None


def _listing(names: list[str], limit: int = 60) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _mapped(convert: Converter, value_map: dict[str, str | None]) -> Converter:
    def wrapped(raw: Any) -> Any:
        text = raw.strip() if isinstance(raw, str) else raw
        if isinstance(text, str) and text in value_map:
            mapped = value_map[text]
            return None if mapped is None else convert(mapped)
        return convert(raw)

    return wrapped
