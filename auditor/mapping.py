"""How source columns become an evidence kind's fields.

Without a mapping file a field is matched to a column by its own name or one of
its declared aliases (case, spaces, ``_`` and ``-`` ignored), so Chinese headers
such as 受理时间 work when the pack lists them. A mapping file (or a shipped
preset under ``evidence/presets/``) says it explicitly:

```yaml
preset: nyc-311                     # name (presets only)
kind: tickets                       # evidence kind of the pack
timezone: America/New_York          # zone of naive timestamps (default: the pack's)
dst: strict                         # strict | earlier | later | forward | [forward, earlier]
missing: ["", "N/A"]                # texts meaning "no value" (added to the kind's)
reader: {delimiter: ",", encoding: utf-8, sheet: Sheet1, header_row: 1}  # header_row: XLSX
columns:
  ticket_id: Unique Key                                   # one column
  status: {column: Status, values: {Closed: closed}}      # with a value map
  opened_at: {column: Created Date, format: "%m/%d/%Y %I:%M:%S %p"}
  received_at: {date: date, time: [q_start, vru_exit]}    # date + first present time
  interaction_id: {join: [vru+line, call_id], sep: "-"}   # several columns joined
  channel: {value: phone}                                 # a constant
  agent_id: {column: Agent, optional: true}               # a column some layouts lack
```

Every key under ``columns`` must be a field of the kind, and every column a
mapping names must be in the file (unless ``optional: true``): a typo is an
error, never a silently empty field. A loaded :class:`Mapping` keeps its path,
the SHA-256 of its bytes and how it was chosen, for the audit trail.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import (
    AuditorError,
    EvidenceError,
    Location,
    PackErrors,
    closest_name,
    closest_time_zone,
    shown,
)
from .model import EvidenceKind, Pack
from .sourcemap import YamlMap, load_yaml
from .standards import unknown_keys
from .timeparse import (
    DAY_FIRST,
    DST_POLICIES,
    MONTH_FIRST,
    STRPTIME_DIRECTIVES,
    format_problem,
    missing_date_parts,
)

MAPPING_KEYS = (
    "preset",
    "description",
    "pack",
    "kind",
    "timezone",
    "dst",
    "missing",
    "reader",
    "columns",
    "checked_on",
)
#: the orders a column's numeric dates may be written in
ORDERS = (DAY_FIRST, MONTH_FIRST)
COLUMN_KEYS = (
    "column", "values", "format", "order", "date", "time", "join", "sep", "value", "optional",
)  # fmt: skip
#: the column keys that say how a date is written, for timestamp and date fields only
DATE_KEYS = ("format", "order")
DATE_TYPES = ("timestamp", "date")
READER_KEYS = ("delimiter", "encoding", "sheet", "header_row")
#: the shipped presets: package data (``evidence/presets`` in a checkout points here)
PRESETS_DIR = Path(__file__).resolve().parent / "presets"
#: how a file's mapping was chosen
SOURCES = ("preset", "mapping", "sidecar", "auto")


@dataclass(frozen=True)
class ColumnSpec:
    """Where one field's raw value comes from."""

    target: str
    columns: tuple[str, ...] = ()  # coalesce: the first present value
    join: tuple[str, ...] = ()  # all joined with sep
    sep: str = "-"
    date_column: str | None = None  # date taken from here, time from ``columns``
    constant: Any = None
    has_constant: bool = False
    values: dict[str, str | None] = field(default_factory=dict)
    format: str | None = None
    #: the day/month order of the column's numeric dates (day-first, month-first), when given
    order: str | None = None
    #: the columns may be absent from a file (one mapping for two layouts of an export)
    optional: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """Every source column this spec reads."""
        return (*self.columns, *self.join, *((self.date_column,) if self.date_column else ()))


@dataclass(frozen=True)
class Mapping:
    kind: str
    columns: dict[str, ColumnSpec]
    name: str | None = None
    timezone: str | None = None
    dst: str = "strict"
    missing: tuple[str, ...] = ()
    reader: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    #: SHA-256 of the mapping file's bytes (None for an automatic mapping)
    sha256: str | None = None
    #: how it was chosen: preset, mapping (given for every file), sidecar or auto
    source: str = "auto"
    #: where things are in the file: "kind", "columns" and "columns.FIELD" (the key)
    locations: dict[str, Location] = field(default_factory=dict)
    #: no ``columns`` given: each field is found by its name or aliases, as without a mapping
    #: (a mapping that only says where the header is, or the file's time zone)
    by_names: bool = False

    def where(self, key: str) -> Location:
        return self.locations.get(key) or Location(self.path)

    def missing_texts(self, kind_missing: Iterable[str]) -> set[str]:
        """The texts read as no value in a file this mapping reads: the kind's and its own,
        trimmed."""
        return {m.strip() for m in (*kind_missing, *self.missing)}


def describe(column: ColumnSpec) -> str:
    """A short text of where a field's value comes from, for the audit trail."""
    if column.has_constant:
        return f"= {column.constant}"
    if column.join:
        return f"join({', '.join(column.join)})"
    sources = " | ".join(column.columns)
    if column.date_column is not None:
        times = f"({sources})" if len(column.columns) > 1 else sources
        return f"{column.date_column} + {times}"
    return sources


def normalise(name: str) -> str:
    return re.sub(r"[\s_\-./()]+", "", name).lower()


def load_mapping(path: str | Path, source: str | None = None) -> Mapping:
    """Read and check a mapping file or preset.

    ``source`` says how it was chosen; by default "preset" for a file in the
    shipped presets folder, else "mapping".
    """
    data = load_yaml(path)
    name = str(path)
    errors: list[AuditorError] = []
    if not isinstance(data, YamlMap):
        raise EvidenceError("a mapping file must be a mapping", location=Location(name, 1, 1))
    unknown_keys(data, MAPPING_KEYS, "mapping", errors)
    kind = data.get("kind")
    if not isinstance(kind, str):
        errors.append(
            EvidenceError("mapping needs 'kind' (the evidence kind)", location=data.start)
        )
        kind = ""
    dst = _dst_policy(data.get("dst", "strict"))
    if dst is None:
        errors.append(
            EvidenceError(
                "dst must be strict, earlier, later or forward, or a list of forward and "
                "earlier or later (e.g. [forward, earlier])",
                location=data.where("dst"),
            )
        )
    missing = data.get("missing", [])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        errors.append(
            EvidenceError(
                "missing must be a list of texts (quote them: YAML reads NULL, null and ~ "
                "unquoted as no value at all)",
                location=data.where("missing"),
            )
        )
        missing = []
    reader = data.get("reader", {})
    if not isinstance(reader, dict) or any(k not in READER_KEYS for k in reader):
        errors.append(
            EvidenceError(
                f"reader may set only {', '.join(READER_KEYS)}", location=data.where("reader")
            )
        )
        reader = {}
    errors.extend(_reader_problems(data, reader))
    locations = {"kind": data.where("kind"), "columns": data.where_key("columns")}
    columns = _columns(data, locations, errors)
    if errors:
        raise PackErrors(errors)
    return Mapping(
        kind=kind,
        columns=columns,
        by_names=not columns,
        name=data.get("preset"),
        timezone=data.get("timezone"),
        dst=str(dst),
        missing=tuple(str(m) for m in missing),
        reader=dict(reader),
        path=name,
        sha256=hashlib.sha256(Path(path).read_bytes()).hexdigest(),
        source=source or ("preset" if _is_preset(Path(path)) else "mapping"),
        locations=locations,
    )


def _reader_problems(data: YamlMap, reader: dict[str, Any]) -> list[AuditorError]:
    """A time zone, an encoding and a separator the readers can use, each checked at its key."""
    import codecs
    from zoneinfo import ZoneInfo

    problems: list[AuditorError] = []
    zone = data.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(str(zone))
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            problems.append(
                EvidenceError(
                    f"unknown time zone {shown(zone)}",
                    location=data.where("timezone"),
                    suggestion=closest_time_zone(zone),
                    hint="write an IANA name such as Asia/Shanghai or America/New_York",
                )
            )
    encoding = reader.get("encoding")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            problems.append(
                EvidenceError(
                    f"unknown encoding {shown(encoding)}",
                    location=data.where("reader"),
                    hint="e.g. utf-8, utf-8-sig, gb18030, utf-16",
                )
            )
    header_row = reader.get("header_row")
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
    ):
        problems.append(
            EvidenceError(
                f"header_row must be a row number (1 or more), not {shown(header_row)}",
                location=data.where("reader"),
                hint="the number of the workbook row that holds the column names",
            )
        )
    delimiter = reader.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        problems.append(
            EvidenceError(
                f"the delimiter must be one character, not {shown(delimiter)}",
                location=data.where("reader"),
                hint="e.g. ',', ';', '|' or a tab",
            )
        )
    return problems


def _columns(
    data: YamlMap, locations: dict[str, Location], errors: list[AuditorError]
) -> dict[str, ColumnSpec]:
    """The field specs under ``columns``; the location of each field's key goes into ``locations``."""
    columns: dict[str, ColumnSpec] = {}
    raw_columns = data.get("columns")
    if raw_columns is None or (isinstance(raw_columns, YamlMap) and not raw_columns):
        return columns  # none given: found by names and aliases (see Mapping.by_names)
    if not isinstance(raw_columns, YamlMap):
        errors.append(
            EvidenceError(
                "mapping's 'columns' must map fields to columns (field: column)",
                location=data.where("columns"),
            )
        )
        return columns
    for field_name, spec in raw_columns.items():
        column = _column_spec(field_name, spec, raw_columns.where(field_name), errors)
        locations[f"columns.{field_name}"] = raw_columns.where_key(field_name)
        for key in DATE_KEYS:
            if isinstance(spec, YamlMap) and key in spec:
                locations[f"columns.{field_name}.{key}"] = spec.where(key)
        if column is not None:
            columns[field_name] = column
    return columns


def _dst_policy(value: Any) -> str | None:
    """A mapping's ``dst`` as one of :data:`DST_POLICIES` (``[forward, earlier]`` is
    ``forward+earlier``), or None when it is not one."""
    parts = [value] if isinstance(value, str) else value
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        return None
    ordered = sorted(set(parts), key=lambda p: p != "forward")
    policy = "+".join(ordered)
    return policy if policy in DST_POLICIES else None


def _is_preset(path: Path) -> bool:
    return path.resolve().parent == PRESETS_DIR


def _column_spec(
    name: str, spec: Any, where: Location, errors: list[AuditorError]
) -> ColumnSpec | None:
    if isinstance(spec, str):
        return ColumnSpec(name, columns=(spec,))
    if not isinstance(spec, YamlMap):
        errors.append(
            EvidenceError(f"column spec of '{name}' must be a name or a mapping", location=where)
        )
        return None
    unknown_keys(spec, COLUMN_KEYS, f"the spec of field '{name}'", errors)
    optional = spec.get("optional", False)
    if not isinstance(optional, bool):
        errors.append(
            EvidenceError(
                f"optional of '{name}' must be true or false", location=spec.where("optional")
            )
        )
        optional = False
    if "value" in spec:
        return ColumnSpec(name, constant=spec["value"], has_constant=True)
    values = spec.get("values", {})
    if not isinstance(values, dict):
        errors.append(
            EvidenceError(
                f"values of '{name}' must map source values to field values", location=where
            )
        )
        values = {}
    values = {str(k): (None if v is None else str(v)) for k, v in values.items()}
    fmt = spec.get("format")
    order = spec.get("order")
    if order is not None and order not in ORDERS:
        errors.append(
            EvidenceError(
                f"order of '{name}' is {' or '.join(ORDERS)}, not {shown(order)}",
                location=spec.where("order"),
                suggestion=closest_name(str(order), ORDERS),
            )
        )
        return None
    if fmt is not None and (problem := format_problem(fmt)) is not None:
        errors.append(
            EvidenceError(
                f"format of '{name}' {problem}",
                location=spec.where("format"),
                hint="the directives are "
                + " ".join(f"%{d}" for d in STRPTIME_DIRECTIVES)
                + ', e.g. "%d/%m/%Y %H:%M"',
            )
        )
        return None
    if order is not None and fmt is not None:
        errors.append(
            EvidenceError(
                f"'{name}' gives both format and order; a format sets the order already",
                location=spec.where("order"),
            )
        )
        return None

    def names(key: str) -> tuple[str, ...]:
        raw = spec.get(key)
        if raw is None:
            return ()
        return (str(raw),) if isinstance(raw, str) else tuple(str(r) for r in raw)

    common: dict[str, Any] = {"values": values, "format": fmt, "order": order, "optional": optional}
    for key, what in (("join", "join"), ("date", "time")):  # a date needs its time columns
        if key in spec and not names(what):
            errors.append(
                EvidenceError(
                    f"{what} of '{name}' names no column; every row's value would be empty",
                    location=spec.where(what) if what in spec else where,
                    hint=f"list the columns under {what}"
                    + (", or map the field to the date column alone" if key == "date" else ""),
                )
            )
            return None
    if "join" in spec:
        return ColumnSpec(name, join=names("join"), sep=str(spec.get("sep", "-")), **common)
    if "date" in spec:
        return ColumnSpec(name, columns=names("time"), date_column=str(spec["date"]), **common)
    if "column" not in spec:
        errors.append(
            EvidenceError(f"field '{name}' needs column, join, date or value", location=where)
        )
        return None
    return ColumnSpec(name, columns=names("column"), **common)


def preset_names(directory: Path = PRESETS_DIR) -> list[str]:
    """The shipped presets, by name."""
    return [p.stem for p in sorted(directory.glob("*.yaml"))]


def presets_reading(header: list[str], directory: Path = PRESETS_DIR) -> list[str]:
    """The shipped presets that find a column of this header for each field they map (the
    ones to suggest for a file another preset does not read)."""
    present = {h.strip() for h in header}
    fitting = []
    for name in preset_names(directory):
        specs = load_mapping(directory / f"{name}.yaml").columns.values()
        needed = [spec.names for spec in specs if spec.names and not spec.optional]
        if needed and all(present.intersection(names) for names in needed):
            fitting.append(name)
    return fitting


def find_preset(name: str, directory: Path = PRESETS_DIR) -> Path:
    path = directory / f"{name}.yaml"
    if path.exists():
        return path
    known = preset_names(directory)
    raise EvidenceError(
        f"unknown preset '{name}' (presets: {', '.join(known) or 'none'})",
        suggestion=closest_name(name, known),
    )


# ------------------------------------------------------------ resolving against a header


def auto_mapping(kind: EvidenceKind, header: list[str]) -> Mapping:
    """Match each field to a header column by name or alias."""
    index: dict[str, list[str]] = {}
    for h in header:
        if h:
            index.setdefault(normalise(h), []).append(h)
    columns = {}
    for name, spec in kind.fields.items():
        # Every column the field's name or an alias matches, in that order (columns spelt
        # alike, as a name does, in the header's): a JSONL key renamed midway (name in early
        # lines, an alias or another spelling later) is read from whichever a row has.
        found = [h for c in (name, *spec.aliases) for h in index.get(normalise(c), [])]
        matched = tuple(dict.fromkeys(found))
        if matched:
            columns[name] = ColumnSpec(name, columns=matched)
    return Mapping(kind=kind.name, columns=columns, source="auto")


def check_fields(mapping: Mapping, kind: EvidenceKind) -> None:
    """Refuse keys under ``columns`` that are not fields of ``kind`` (typos), at the key, and
    a ``format`` or ``order`` of a field that holds no date, at that key."""
    _check_names(mapping, kind)
    for name, column in mapping.columns.items():
        _check_date_keys(mapping, kind, name, column)
        _check_whole_date(mapping, kind, name, column)


def _check_date_keys(mapping: Mapping, kind: EvidenceKind, name: str, column: ColumnSpec) -> None:
    field_type = kind.fields[name].type
    for key in DATE_KEYS:
        if getattr(column, key) is not None and field_type not in DATE_TYPES:
            raise EvidenceError(
                f"{key} of field '{name}' of {kind.name} means nothing for its type, "
                f"{field_type}: format and order say how timestamps and dates are written",
                location=mapping.where(f"columns.{name}.{key}"),
                hint=f"remove {key}",
            )


def _check_whole_date(mapping: Mapping, kind: EvidenceKind, name: str, column: ColumnSpec) -> None:
    """A format must read a whole date: strptime takes a part it does not read from 1 January
    1900. A date + time field's format reads the two columns' values joined by a space."""
    missing = missing_date_parts(column.format) if column.format else []
    if not missing:
        return
    read = f"{kind.fields[name].type} field '{name}' of {kind.name}"
    parts = ", ".join(missing[:-1]) + " or " * (len(missing) > 1) + missing[-1]
    if column.date_column is None:
        why = ": what it lacks would be taken from 1 January 1900 for every value"
        hint = (
            'give the layout of the whole value, e.g. "%d/%m/%Y %H:%M"; a time column beside '
            "a date column is mapped {date: DATE_COLUMN, time: TIME_COLUMN}"
        )
    else:
        joined = describe(column)
        why = f", and it reads the date and time columns joined ({joined}): no value would match it"
        hint = 'give the layout of the two joined by a space, e.g. "%d/%m/%Y %H:%M", or no format'
    raise EvidenceError(
        f"format '{column.format}' of {read} has no {parts}{why}",
        location=mapping.where(f"columns.{name}.format"),
        hint=hint,
    )


def _check_names(mapping: Mapping, kind: EvidenceKind) -> None:
    unknown = [name for name in mapping.columns if name not in kind.fields]
    if not unknown:
        return
    first = unknown[0]
    suggestion = closest_name(first, kind.fields)
    also = f" (also not fields: {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
    raise EvidenceError(
        f"'{first}' under columns is not a field of {kind.name}{also}",
        location=mapping.where(f"columns.{first}"),
        suggestion=suggestion,
        hint=None if suggestion else f"its fields: {', '.join(kind.fields)}",
    )


def mapped_kind(mapping: Mapping, pack: Pack) -> EvidenceKind:
    """The pack's evidence kind a mapping names, or an error at its ``kind:``."""
    kind = pack.evidence.get(mapping.kind)
    if kind is None:
        raise EvidenceError(
            f"mapping names unknown evidence kind '{mapping.kind}' "
            f"(kinds of pack {pack.id}: {', '.join(pack.evidence)})",
            location=mapping.where("kind"),
            suggestion=closest_name(mapping.kind, pack.evidence),
        )
    return kind


def match_score(kind: EvidenceKind, header: list[str]) -> tuple[int, bool]:
    """How many of the kind's fields the header has, and whether all required ones are there."""
    mapping = auto_mapping(kind, header)
    required = [n for n, f in kind.fields.items() if not f.optional]
    return len(mapping.columns), all(r in mapping.columns for r in required)


def kind_by_name(pack: Pack, path: Path) -> EvidenceKind | None:
    """The kind whose name (or title) the file's name starts with, the longest name first."""
    stem = normalise(path.stem)
    for name, kind in sorted(pack.evidence.items(), key=lambda item: -len(item[0])):
        titles = (normalise(name), normalise(kind.title.zh), normalise(kind.title.en))
        if any(t and stem.startswith(t) for t in titles):
            return kind
    return None


def choose_kind(pack: Pack, path: Path, header: list[str]) -> EvidenceKind:
    """The evidence kind of a file: by its name first, else by its header."""
    named = kind_by_name(pack, path)
    if named is not None:
        return named
    scored = [(match_score(k, header), k) for k in pack.evidence.values()]
    complete = sorted(((s[0], k.name) for s, k in scored if s[1] and s[0] > 0), reverse=True)
    if complete and (len(complete) == 1 or complete[0][0] > complete[1][0]):
        return pack.evidence[complete[0][1]]
    raise EvidenceError(
        f"cannot tell which evidence kind this file holds (kinds: {', '.join(pack.evidence)})",
        location=Location(str(path)),
        hint=f"name the file after its kind (e.g. {kind_file_example(pack, path)}) or give "
        "--mapping/--preset",
    )


def kind_file_example(pack: Pack, path: Path) -> str:
    """A name for ``path`` after the pack's first kind, as the errors suggest naming a file
    (``incidents-2026-07.xlsx``)."""
    return f"{next(iter(pack.evidence))}-2026-07{path.suffix.lower()}"
