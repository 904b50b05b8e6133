"""Turn one raw source row into a typed record, or say exactly why not.

A :class:`RowPlan` is built once per file from the evidence kind, the mapping
and the header; it then converts each row into a tuple of stored values in the
kind's field order. A value that cannot be converted raises :class:`BadValue`
naming the source column, the raw text and the reason.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import EvidenceError, Location, closest_name
from .mapping import ColumnSpec, Mapping, normalise
from .model import EvidenceKind, FieldSpec
from .timeparse import TimestampParser, TimeValueError, excel_serial, localize, parse_date

MAX_TEXT = 100_000
TRUE = {"true", "t", "yes", "y", "1", "是", "对", "√", "✓", "x"}
FALSE = {"false", "f", "no", "n", "0", "否", "错", "×", "✗", ""}
_CLOCK = re.compile(r"^(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$")


class BadValue(Exception):
    def __init__(self, column: str, raw: Any, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.raw = raw
        self.reason = reason


Converter = Callable[[Any], Any]


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
    spec: FieldSpec, zone: ZoneInfo, dst: str, fmt: str | None, values: dict[str, str | None]
) -> Converter:
    """A function from a raw value (text, number, datetime, bool) to the stored value."""
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
        return _date(zone)
    return _timestamp(zone, dst, fmt)


def _text(raw: Any) -> str:
    text = raw if isinstance(raw, str) else _plain(raw)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"value is {len(text):,} characters long (limit {MAX_TEXT:,})")
    return text


def _plain(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ")
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
        suggestion = closest_name(text, spec.values)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        raise ValueError(f"'{text[:40]}' is not one of {', '.join(spec.values)}{hint}")

    return convert


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError(f"{raw} is not a whole number")
    text = str(raw).strip().replace(",", "")
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{text[:40]}' is not a whole number") from None
        if number.is_integer():
            return int(number)
        raise ValueError(f"'{text[:40]}' is not a whole number") from None


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw).strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{text[:40]}' is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{raw} is not a finite number")
    return number


def _boolean(raw: Any) -> int:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int | float) and raw in (0, 1):
        return int(raw)
    text = str(raw).strip().lower()
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
    text = str(raw).strip()
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


def _timestamp(zone: ZoneInfo, dst: str, fmt: str | None) -> Converter:
    parser = TimestampParser(zone, (fmt,) if fmt else (), dst)

    def convert(raw: Any) -> float:
        if raw.__class__ is str:
            return parser(raw)
        if isinstance(raw, datetime):
            return parser.clock.epoch(raw)
        if isinstance(raw, date):
            return localize(datetime.combine(raw, time()), zone, dst).timestamp()
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return localize(excel_serial(float(raw)), zone, dst).timestamp()
        return parser(str(raw))

    convert.text_parser = parser  # type: ignore[attr-defined]
    return convert


def _date(zone: ZoneInfo) -> Converter:
    def convert(raw: Any) -> float:
        if isinstance(raw, datetime):
            day = raw.date()
        elif isinstance(raw, date):
            day = raw
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            day = excel_serial(float(raw)).date()
        else:
            day = parse_date(str(raw))
        return localize(datetime.combine(day, time()), zone, "earlier").timestamp()

    return convert


# ------------------------------------------------------------ the plan for one file


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
    ) -> None:
        self.kind = kind
        self.rows_are_dicts = rows_are_dicts
        #: every raw value is a str (CSV), so text fast paths apply
        self.rows_are_text = rows_are_text
        self.fields = list(kind.fields.values())
        self.missing = {m.strip() for m in (*kind.missing, *mapping.missing)}
        positions: dict[str, int] = {}
        duplicates: dict[str, list[int]] = {}
        for i, name in enumerate(header):
            if name in positions:
                duplicates.setdefault(name, [positions[name] + 1]).append(i + 1)
            else:
                positions[name] = i
        self.positions = positions
        for name, position in list(positions.items()):
            positions.setdefault(normalise(name), position)
        self.steps: list[tuple[str, Callable[[Any], Any], Converter, bool]] = []
        #: optional fields whose mapped columns this file does not have
        self.absent: list[str] = []
        problems = []
        for spec in self.fields:
            column = mapping.columns.get(spec.name)
            if column is None:
                if not spec.optional:
                    problems.append(self._missing_column(spec, header, path))
                    continue
                self.steps.append((spec.name, lambda row: None, _text, True))
                continue
            used = (
                *column.columns,
                *column.join,
                *((column.date_column,) if column.date_column else ()),
            )
            absent = [n for n in used if header and self._position(n) is None]
            if absent and spec.optional and len(absent) == len(used):
                self.absent.append(spec.name)  # an optional field this layout lacks
                self.steps.append((spec.name, lambda row: None, _text, True))
                continue
            for name in used:
                if name in duplicates:
                    raise EvidenceError(
                        f"column '{name}' appears more than once (columns {', '.join(map(str, duplicates[name]))})",
                        location=Location(str(path), 1),
                        hint="rename one of them or map the field explicitly",
                    )
                if header and self._position(name) is None:
                    problems.append(
                        EvidenceError(
                            f"no column '{name}' for field '{spec.name}'",
                            location=Location(str(path), 1),
                            suggestion=closest_name(name, header),
                        )
                    )
            getter = self._getter(column)
            convert = converter(spec, zone, mapping.dst, column.format, column.values)
            if column.values and spec.type != "enum":
                convert = _mapped(convert, column.values)
            self.steps.append((spec.name, getter, convert, spec.optional))
        if problems:
            raise problems[0]
        self.names = [s.name for s in self.fields]
        self.missing_or_none: set[Any] = {*self.missing, None}
        #: the header position each step reads directly, when it reads one column as is
        self.step_positions: list[int | None] = [
            self._direct_position(mapping.columns.get(spec.name)) for spec in self.fields
        ]
        self.text_steps = [
            convert in (_text,) or spec.type in ("string", "enum")
            for (_, _, convert, _), spec in zip(self.steps, self.fields, strict=True)
        ]

    def _missing_column(self, spec: FieldSpec, header: list[str], path: Path) -> EvidenceError:
        tried = ", ".join((spec.name, *spec.aliases))
        guesses = [closest_name(n, header) for n in (spec.name, *spec.aliases)]
        return EvidenceError(
            f"no column for required field '{spec.name}' of {self.kind.name} (looked for: {tried})",
            location=Location(str(path), 1),
            suggestion=next((g for g in guesses if g), None),
            hint="add an alias in the pack or map it with --mapping",
        )

    def _getter(self, column: ColumnSpec) -> Callable[[Any], Any]:
        missing = self.missing

        def present(value: Any) -> bool:
            return value is not None and not (isinstance(value, str) and value.strip() in missing)

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
                return sep.join(_plain(v).strip() for v in values)

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
                        date_text = (
                            date_value.date().isoformat()
                            if isinstance(date_value, datetime)
                            else _plain(date_value).strip()
                        )
                        time_text = (
                            value.strftime("%H:%M:%S")
                            if isinstance(value, time | datetime)
                            else _plain(value).strip()
                        )
                        return f"{date_text} {time_text}"
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

    def convert_batch(
        self, rows: list[Any], tail: list[Any] | None = None
    ) -> list[tuple[Any, ...]] | None:
        """Convert many rows column by column (fast); ``None`` when any row needs a closer look.

        Gives exactly what :meth:`convert` gives row by row (with the ``tail``
        columns appended), or ``None`` so that the caller converts the batch row
        by row and learns which row failed and why.
        """
        missing = self.missing_or_none
        transposed = None if self.rows_are_dicts else list(zip(*rows, strict=True))
        columns: list[Any] = []
        for step, position, text in zip(
            self.steps, self.step_positions, self.text_steps, strict=True
        ):
            _, getter, convert, optional = step
            raws = (
                transposed[position]
                if transposed is not None and position is not None
                else list(map(getter, rows))
            )
            try:
                fast = getattr(convert, "text_parser", None) if self.rows_are_text else None
                if fast is not None:
                    values = [None if raw in missing else fast(raw) for raw in raws]
                elif text and convert is _text:
                    values = [None if raw in missing else raw.strip() for raw in raws]
                    if max(map(len, filter(None, values)), default=0) > MAX_TEXT:
                        return None
                else:
                    values = [None if raw in missing else convert(raw) for raw in raws]
            except (ValueError, TypeError, OverflowError, AttributeError):
                return None
            if (not optional and None in values) or (text and "" in values):
                return None
            columns.append(values)
        if tail:
            columns.extend(tail)
        return list(zip(*columns, strict=True))

    def convert(self, row: Any) -> tuple[Any, ...]:
        """The stored values in field order; raise :class:`BadValue` on the first bad one."""
        out: list[Any] = []
        missing = self.missing
        for name, getter, convert, optional in self.steps:
            raw = getter(row)
            if raw is None or (raw.__class__ is str and (raw in missing or raw.strip() in missing)):
                if not optional:
                    raise BadValue(name, raw, f"required field '{name}' is empty")
                out.append(None)
                continue
            try:
                value = convert(raw)
            except (ValueError, TimeValueError, OverflowError) as exc:
                raise BadValue(name, raw, str(exc)) from None
            if value is None and not optional:
                raise BadValue(name, raw, f"required field '{name}' is mapped to no value")
            out.append(value)
        return tuple(out)


def _mapped(convert: Converter, value_map: dict[str, str | None]) -> Converter:
    def wrapped(raw: Any) -> Any:
        text = raw.strip() if isinstance(raw, str) else raw
        if isinstance(text, str) and text in value_map:
            mapped = value_map[text]
            return None if mapped is None else convert(mapped)
        return convert(raw)

    return wrapped
