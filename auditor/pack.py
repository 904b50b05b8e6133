"""Load a rule pack, check every part of it, and compile it.

Everything is checked before any evidence is read: the YAML, the pack's keys,
the evidence schemas, calendars, each rule's clause (against its standard),
measure, fields, units and expressions (parsed and type-checked). All problems
are collected and raised together as :class:`PackErrors`, one line each.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import zoneinfo
from collections.abc import Iterable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, cast

from . import expression as ex
from .errors import (
    AuditorError,
    Location,
    PackError,
    PackErrors,
    closest_name,
    closest_time_zone,
    shown,
)
from .figures import differing
from .holiday_sets import holiday_set_problem
from .mapping import normalise
from .measures import Measure, SeriesMeasure
from .measures import measures as registered_measures
from .measures.reading import RuleContext
from .model import (
    FIELD_TYPES,
    PERIODS,
    SEVERITIES,
    WEEKDAYS,
    Calendar,
    CorrectiveAction,
    EvidenceKind,
    Exclusion,
    FieldSpec,
    Pack,
    Rule,
    Target,
)
from .paths import working_relative
from .sourcemap import YamlList, YamlMap, load_yaml, read_text, read_yes_no
from .standards import Standard, Text, find_standard, read_text_pair, unknown_keys
from .units import parse_percent, parse_threshold

PACK_KEYS = (
    "pack", "version", "title", "standard", "timezone", "language",
    "calendars", "evidence", "defaults", "rules", "not_covered",
)  # fmt: skip
KIND_KEYS = ("title", "key", "time", "fields", "missing")
FIELD_KEYS = ("type", "optional", "values", "aliases", "value_aliases", "unit")
CALENDAR_KEYS = ("hours", "holidays", "extra_holidays", "extra_workdays")
DEFAULT_KEYS = ("min_records", "due_days")
RULE_KEYS = (
    "id", "clause", "title", "evidence", "where", "exclude", "time",
    "target", "warn", "major_below", "severity", "min_records", "group_by",
    "period", "judge", "capa", "note", "interpretation",
)  # fmt: skip
CAPA_KEYS = ("action", "owner", "due_days")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class _Checker:
    """Collects problems with their locations while a pack is read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[AuditorError] = []
        #: fields already reported as broken; later uses of them are not reported again
        self.broken_fields: set[str] = set()
        #: not errors: what ``pack check`` warns about
        self.warnings: list[AuditorError] = []

    def error(
        self, message: str, where: Location | None, *, rule: str | None = None, **kw: Any
    ) -> None:
        if rule:
            message = f"{message} in rule {rule}"
        self.errors.append(PackError(message, location=where, rule_id=rule, **kw))

    def adopt(self, error: AuditorError, where: Location | None, rule: str | None = None) -> None:
        message = f"{error.message} in rule {rule}" if rule else error.message
        self.errors.append(
            PackError(
                message,
                location=where,
                rule_id=rule,
                suggestion=error.suggestion,
                hint=error.hint,
            )
        )


def load_pack(path: str | Path, standards_dirs: list[Path] | None = None) -> Pack:
    """Read, check and compile a pack; raise :class:`PackErrors` listing every problem.

    Everything raised is a pack error: a missing or unreadable file and YAML
    syntax errors included.
    """
    name = str(path)
    try:
        data = load_yaml(path)
        raw = Path(path).read_bytes()
    except PackError:
        raise
    except AuditorError as exc:
        raise PackError(exc.message, location=exc.location, hint=exc.hint) from None
    except OSError as exc:
        raise PackError(f"cannot read: {exc.strerror}", location=Location(name)) from None
    checker = _Checker(name)
    if not isinstance(data, YamlMap):
        raise PackErrors([PackError("a pack must be a mapping", location=Location(name, 1, 1))])
    unknown_keys(data, PACK_KEYS, "pack", checker.errors)
    pack_id = _required_name(data, "pack", checker)
    version = _version(data, checker)
    title = (
        read_text_pair(data["title"], data.where("title"), "title", checker.errors)
        if "title" in data
        else Text(str(pack_id), str(pack_id))
    )
    timezone = _timezone(data, checker)
    language = data.get("language", "zh")
    if language not in ("zh", "en"):
        checker.error("language must be zh or en", data.where("language"))
    standard = _standard(data, checker, Path(path), standards_dirs)
    defaults = _defaults(data, checker)
    calendars = _calendars(data, checker)
    evidence = _evidence_kinds(data, checker)
    rules = _rules(data, checker, standard, evidence, calendars, defaults)
    not_covered = _not_covered(data, checker, standard, rules)
    if checker.errors:
        raise PackErrors(checker.errors)
    assert standard is not None
    return Pack(
        id=str(pack_id),
        version=str(version),
        title=title,
        standard=standard,
        timezone=timezone,
        calendars=calendars,
        evidence=evidence,
        rules=tuple(rules),
        path=name,
        sha256=hashlib.sha256(raw).hexdigest(),
        language=str(language),
        due_days=defaults["due_days"],
        not_covered=not_covered,
        coverage_problems=tuple(_uncovered(data, standard, rules, not_covered)),
        warnings=tuple(checker.warnings),
    )


# ------------------------------------------------------------ pack-level parts


def _required_name(data: YamlMap, key: str, checker: _Checker) -> str:
    return read_text(data, key, checker.error) or ""


def _version(data: YamlMap, checker: _Checker) -> str | int | float | None:
    """The pack's version: a number such as 1.2 or a text such as 1.0.0."""
    version = data.get("version")
    problem = _version_problem(version)
    if problem is not None:
        checker.error(problem, data.where("version"))
    return version


def _version_problem(version: object) -> str | None:
    """What makes ``version`` no version (nothing, a list, -1, .nan, '-2'), or None: a version
    is a number of 0 or more or a text that starts with a letter or a digit."""
    if version is None or (isinstance(version, str) and not version.strip()):
        return "missing 'version'"
    if not isinstance(version, str | int | float) or isinstance(version, bool):
        return f"'version' must be a number or text such as 1.0.0, not {shown(version)}"
    if isinstance(version, str):
        sensible = version[0].isalnum()
    else:
        sensible = math.isfinite(version) and version >= 0
    if sensible:
        return None
    return (
        "'version' must be a number of 0 or more, or a text that starts with a letter or a "
        f"digit (e.g. 1.0.0), not {shown(version)}"
    )


def _timezone(data: YamlMap, checker: _Checker) -> str:
    value = read_text(data, "timezone", checker.error) if "timezone" in data else "Asia/Shanghai"
    if value is None:
        return "UTC"
    try:
        zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        checker.error(
            f"unknown time zone '{value}'",
            data.where("timezone"),
            suggestion=closest_time_zone(value),
        )
        return "UTC"
    return str(value)


def standard_folders(pack: Path) -> list[Path]:
    """Where a pack's standard is looked for, in order, when no folder is given: ``standards``
    beside the pack's folder, the pack's folder, ``standards`` in the working folder."""
    here = pack.resolve().parent
    folders = [here.parent / "standards", here, Path.cwd().resolve() / "standards"]
    return list(dict.fromkeys(folders))  # each once: the pack's folder may be the working one's


def _standard(
    data: YamlMap, checker: _Checker, path: Path, dirs: list[Path] | None
) -> Standard | None:
    std_id = _required_name(data, "standard", checker)
    if not std_id:
        return None
    search = dirs or standard_folders(path)
    try:
        return find_standard(std_id, search, pack=path)
    except PackErrors as exc:
        checker.errors.extend(exc.errors)
    except AuditorError as exc:  # a standard file that cannot be read is named with its place
        checker.adopt(exc, exc.location if exc.path else data.where("standard"))
    return None


def _defaults(data: YamlMap, checker: _Checker) -> dict[str, Any]:
    result: dict[str, Any] = {"min_records": 30, "due_days": {"major": 30, "minor": 90}}
    raw = data.get("defaults")
    if raw is None:
        return result
    if not isinstance(raw, YamlMap):
        checker.error("'defaults' must be a mapping", data.where("defaults"))
        return result
    unknown_keys(raw, DEFAULT_KEYS, "defaults", checker.errors)
    if "min_records" in raw:
        result["min_records"] = _positive_int(raw, "min_records", checker)
    due = raw.get("due_days")
    if due is not None:
        if not isinstance(due, YamlMap):
            checker.error("due_days must map major/minor to days", raw.where("due_days"))
        else:
            unknown_keys(due, SEVERITIES, "due_days", checker.errors)
            for severity in SEVERITIES:
                if severity in due:
                    result["due_days"][severity] = _positive_int(due, severity, checker)
    return result


def _positive_int(data: YamlMap, key: str, checker: _Checker, rule: str | None = None) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        checker.error(f"'{key}' must be a whole number of 0 or more", data.where(key), rule=rule)
        return 0
    return value


# ------------------------------------------------------------ calendars


def _calendars(data: YamlMap, checker: _Checker) -> dict[str, Calendar]:
    raw = data.get("calendars", {})
    if not isinstance(raw, dict):
        checker.error("'calendars' must be a mapping", data.where("calendars"))
        return {}
    result = {}
    for name, spec in raw.items():
        where = raw.where(name) if isinstance(raw, YamlMap) else data.start
        if not isinstance(spec, YamlMap):
            checker.error(f"calendar '{name}' must be a mapping", where)
            continue
        unknown_keys(spec, CALENDAR_KEYS, f"calendar '{name}'", checker.errors)
        hours = _weekly_hours(spec, name, checker)
        holidays = spec.get("holidays", "none")
        problem = holiday_set_problem(holidays)
        if problem is not None:
            checker.error(
                f"calendar '{name}': {problem[0]}", spec.where("holidays"), suggestion=problem[1]
            )
        result[name] = Calendar(
            name=name,
            hours=hours,
            holidays=None if holidays == "none" else str(holidays),
            extra_holidays=_dates(spec, "extra_holidays", checker),
            extra_workdays=_dates(spec, "extra_workdays", checker),
        )
    return result


def _weekly_hours(
    spec: YamlMap, name: str, checker: _Checker
) -> dict[int, tuple[tuple[int, int], ...]]:
    hours = spec.get("hours")
    if not isinstance(hours, YamlMap) or not hours:
        checker.error(
            f"calendar '{name}' needs 'hours', e.g. {{mon-fri: \"09:00-18:00\"}}",
            spec.where("hours") if "hours" in spec else spec.start,
        )
        return {}
    result: dict[int, tuple[tuple[int, int], ...]] = {}
    for days_text, windows_text in hours.items():
        days = _weekdays(str(days_text), hours.where_key(days_text), checker)
        windows = _windows(windows_text, hours.where(days_text), checker)
        for day in days:
            if day in result:
                checker.error(
                    f"calendar '{name}': {WEEKDAYS[day]} given twice", hours.where_key(days_text)
                )
            result[day] = windows
    return result


def _weekdays(text: str, where: Location, checker: _Checker) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        part = part.strip().lower()
        ends = part.split("-")
        for end in ends:
            if end not in WEEKDAYS:
                checker.error(
                    f"unknown weekday '{end}'", where, suggestion=closest_name(end, WEEKDAYS)
                )
                return days
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        if len(ends) > 2:
            checker.error(f"weekday range '{part}' must be two days, e.g. mon-fri", where)
            return days
        if last < first:
            checker.error(
                f"weekday range '{part}' runs past Sunday; write it as {_split_week(first, last)}",
                where,
            )
            return days
        days.extend(range(first, last + 1))
    return days


def _split_week(first: int, last: int) -> str:
    """A range that wraps past Sunday as two that do not: fri-mon is fri-sun,mon."""
    to_sunday = WEEKDAYS[first] if first == 6 else f"{WEEKDAYS[first]}-sun"
    from_monday = "mon" if last == 0 else f"mon-{WEEKDAYS[last]}"
    return f"{to_sunday},{from_monday}"


def _windows(text: object, where: Location, checker: _Checker) -> tuple[tuple[int, int], ...]:
    if not isinstance(text, str):
        checker.error(f'opening hours must be text such as "09:00-18:00", not {shown(text)}', where)
        return ()
    if text.strip().lower() == "closed":
        return ()
    windows = []
    for part in text.split(","):
        match = _HOURS.match(part.strip())
        if not match:
            checker.error(f"opening hours '{part.strip()}' must look like 09:00-18:00", where)
            continue
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if m1 > 59 or m2 > 59 or end > 86400 or start >= end:
            checker.error(
                f"opening hours '{part.strip()}' are not a forward range within a day", where
            )
            continue
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in itertools.pairwise(windows):
        if start < end:
            checker.error(f"opening hours '{text}' overlap", where)
    return tuple(windows)


def _dates(spec: YamlMap, key: str, checker: _Checker) -> tuple[date, ...]:
    raw = spec.get(key, [])
    if not isinstance(raw, list):
        checker.error(f"'{key}' must be a list of dates (YYYY-MM-DD)", spec.where(key))
        return ()
    out = []
    for index, item in enumerate(raw):
        if isinstance(item, date):
            out.append(item)
            continue
        try:
            out.append(date.fromisoformat(str(item)))
        except ValueError:
            where = raw.where(index) if isinstance(raw, YamlList) else spec.where(key)
            checker.error(f"{shown(item)} is not a date (YYYY-MM-DD)", where)
    return tuple(out)


# ------------------------------------------------------------ evidence kinds


def _evidence_kinds(data: YamlMap, checker: _Checker) -> dict[str, EvidenceKind]:
    raw = data.get("evidence")
    if not isinstance(raw, YamlMap) or not raw:
        checker.error("'evidence' must declare at least one evidence kind", data.where("evidence"))
        return {}
    return {
        name: kind
        for name, spec in raw.items()
        if (kind := _evidence_kind(name, spec, raw.where(name), checker)) is not None
    }


def _evidence_kind(name: str, spec: Any, where: Location, checker: _Checker) -> EvidenceKind | None:
    if not _NAME.match(name):
        checker.error(f"evidence kind name '{name}' must be a plain identifier", where)
    if not isinstance(spec, YamlMap):
        checker.error(f"evidence kind '{name}' must be a mapping", where)
        return None
    unknown_keys(spec, KIND_KEYS, f"evidence kind '{name}'", checker.errors)
    fields = _fields(name, spec, checker)
    key = spec.get("key")
    keys: tuple[str, ...] = ()
    if isinstance(key, str):
        keys = (key,)
    elif isinstance(key, list) and all(isinstance(k, str) for k in key) and key:
        keys = tuple(key)
    else:
        checker.error(
            f"evidence kind '{name}' needs a 'key' field (or list of fields)",
            spec.where("key") if "key" in spec else spec.start,
        )
    for k in keys:
        if k in checker.broken_fields:
            continue
        if k not in fields:
            checker.error(
                f"key '{k}' of evidence kind '{name}' is not one of its fields",
                spec.where("key"),
                suggestion=closest_name(k, fields),
            )
        elif fields[k].optional:
            checker.error(
                f"key '{k}' of evidence kind '{name}' is optional: a record without it could "
                "not be named in the findings or told apart from another",
                spec.where("key"),
                hint=f"make '{k}' required (no '?' after its type)",
            )
    time_field = read_text(spec, "time", checker.error) if "time" in spec else None
    if time_field is not None and time_field not in checker.broken_fields:
        if time_field not in fields:
            checker.error(
                f"time field '{time_field}' of evidence kind '{name}' is not one of its fields",
                spec.where("time"),
                suggestion=closest_name(str(time_field), fields),
            )
        elif fields[time_field].type not in ("timestamp", "date"):
            checker.error(
                f"time field '{time_field}' must be a timestamp or date", spec.where("time")
            )
    missing = spec.get("missing", [""])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        checker.error(
            "'missing' must be a list of texts that mean 'no value' (quote them: YAML reads "
            "NULL, null and ~ unquoted as no value at all)",
            spec.where("missing"),
        )
        missing = [""]
    title = (
        read_text_pair(spec["title"], spec.where("title"), f"title of {name}", checker.errors)
        if "title" in spec
        else Text(name, name)
    )
    return EvidenceKind(name, title, keys, time_field, fields, tuple(missing))


def _fields(kind: str, spec: YamlMap, checker: _Checker) -> dict[str, FieldSpec]:
    raw = spec.get("fields")
    if not isinstance(raw, YamlMap) or not raw:
        checker.error(f"evidence kind '{kind}' needs 'fields'", spec.where("fields"))
        return {}
    result = {}
    for name, value in raw.items():
        where = raw.where(name)
        if not _NAME.match(name) or name.lower() in ex.KEYWORDS:
            checker.error(
                f"field name '{name}' must be an identifier (letters, digits, _) and not a keyword",
                raw.where_key(name),
                hint="map source columns with Chinese or spaced names through 'aliases'",
            )
            continue
        if name.startswith("_"):
            checker.error(
                f"field name '{name}' starts with '_', which the auditor keeps for the columns "
                "it adds (_source, _line and those its queries work out)",
                raw.where_key(name),
                hint=f"name the field '{name.lstrip('_') or 'field'}' and map its column through "
                "'aliases'",
            )
            continue
        spec_field = _field(kind, name, value, where, checker)
        if spec_field is not None:
            result[name] = spec_field
    _alias_clashes(raw, result, checker)
    return result


def _alias_clashes(raw: YamlMap, fields: dict[str, FieldSpec], checker: _Checker) -> None:
    """A field's name or alias that names another field, or is another field's alias too, as
    columns are matched (case, spaces, ``_ - . / ( )`` aside): a column so named would be
    read twice."""
    owners: dict[str, tuple[str, str, str]] = {}
    for name in fields:
        other, _, _ = owners.setdefault(normalise(name), (name, name, f"names field '{name}'"))
        if other != name:
            checker.error(
                f"field '{name}' and field '{other}' are the same name as columns are matched "
                "(case, spaces and _ - . / ( ) aside): a column so named would be read into both",
                raw.where_key(name),
                hint=f"rename one of '{other}' and '{name}'",
            )
    for name, spec in fields.items():
        for index, alias in enumerate(spec.aliases):
            other, written, clash = owners.setdefault(
                normalise(alias), (name, alias, f"is an alias of field '{name}' too")
            )
            if other == name:
                continue
            aside = "" if alias == written else " (case, spaces and _ - . / ( ) aside)"
            checker.error(
                f"alias '{alias}' of field '{name}' {clash}{aside}: a column so named would "
                "be read into both",
                raw[name]["aliases"].where(index),
                hint=f"keep it for one of '{other}' and '{name}'",
            )


def _field(
    kind: str, name: str, value: Any, where: Location, checker: _Checker
) -> FieldSpec | None:
    if isinstance(value, str):
        optional = value.endswith("?")
        type_name = value.rstrip("?")
        values: list[str] | None = []
        aliases: list[str] = []
        value_aliases: dict[str, str] = {}
        unit = None
    elif isinstance(value, YamlMap):
        type_name = value.get("type", "string")
        optional = read_yes_no(value, "optional", checker.error) or str(type_name).endswith("?")
        type_name = type_name.rstrip("?") if isinstance(type_name, str) else type_name
        values, aliases, value_aliases, unit = _field_options(name, value, checker)
        where = value.where("type") if "type" in value else where
    else:
        checker.error(f"field '{name}' of '{kind}' must be a type name or a mapping", where)
        return None
    if type_name not in FIELD_TYPES:
        checker.broken_fields.add(name)
        checker.error(
            f"unknown type {shown(type_name)} for field '{name}' (types: {', '.join(FIELD_TYPES)})",
            where,
            suggestion=closest_name(type_name, FIELD_TYPES) if isinstance(type_name, str) else None,
        )
        return None
    if type_name == "enum" and values == []:
        checker.error(f"enum field '{name}' needs 'values'", where)
    return FieldSpec(
        name,
        type_name,
        optional,
        tuple(values or ()),
        tuple(aliases),
        tuple((str(k), str(v)) for k, v in value_aliases.items()),
        unit,
    )


# ------------------------------------------------------------ rules


def _field_options(
    name: str, value: YamlMap, checker: _Checker
) -> tuple[list[str] | None, list[str], dict[str, str], Text | None]:
    """A field's enum values (None when written wrong, reported), aliases, value aliases and
    unit, each checked."""
    unknown_keys(value, FIELD_KEYS, f"field '{name}'", checker.errors)
    values = value.get("values", [])
    aliases = value.get("aliases", [])
    value_aliases = value.get("value_aliases", {})
    unit = None
    if "unit" in value:
        unit = read_text_pair(
            value["unit"], value.where("unit"), f"unit of field '{name}'", checker.errors
        )
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        checker.error(f"values of field '{name}' must be a list of texts", value.where("values"))
        values = None
    if not isinstance(value_aliases, dict) or (
        values is not None and any(str(v) not in values for v in value_aliases.values())
    ):
        checker.error(
            f"value_aliases of field '{name}' must map source texts to its values",
            value.where("value_aliases"),
        )
        value_aliases = {}
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        checker.error(f"aliases of field '{name}' must be a list of texts", value.where("aliases"))
        aliases = []
    return values, aliases, value_aliases, unit


def _rules(
    data: YamlMap,
    checker: _Checker,
    standard: Standard | None,
    evidence: dict[str, EvidenceKind],
    calendars: dict[str, Calendar],
    defaults: dict[str, Any],
) -> list[Rule]:
    raw = data.get("rules")
    if not isinstance(raw, YamlList) or not raw:
        checker.error(
            "'rules' must be a non-empty list",
            data.where("rules") if "rules" in data else data.start,
        )
        return []
    rules: list[Rule] = []
    items: dict[str, YamlMap] = {}
    seen: dict[str, int | None] = {}
    others = {str(item["id"]): item for item in raw if isinstance(item, YamlMap) and "id" in item}
    for index, item in enumerate(raw):
        if not isinstance(item, YamlMap):
            checker.error("each rule must be a mapping", raw.where(index))
            continue
        rule = _rule(item, checker, standard, evidence, calendars, defaults, others)
        if rule is None:
            continue
        if rule.id in seen:
            checker.error(
                f"duplicate rule id '{rule.id}' (first at line {seen[rule.id]})", item.where("id")
            )
            continue
        seen[rule.id] = rule.line
        rules.append(rule)
        if standard is not None:
            _figure_warnings(item, rule, standard, checker)
        items[rule.id] = item
    written = {str(item.get("id")) for item in raw if isinstance(item, YamlMap)}
    _series_bases(rules, items, written, checker)
    return rules


def _figure_warnings(raw: YamlMap, rule: Rule, standard: Standard, checker: _Checker) -> None:
    """A warning per number of the rule unlike every number of its clause, unless interpreted."""
    clause = standard.clause(rule.clause)
    if clause is None or rule.interpretation is not None:
        return
    for key, difference in differing(rule.measure, rule.target, clause.figures):
        checker.warnings.append(
            PackError(
                f"rule {rule.id}: {difference} (clause {clause.id}) and the rule has no "
                "interpretation",
                location=raw.where(key) if key in raw else raw.start,
                rule_id=rule.id,
                hint="say how the rule reads its clause with interpretation: {zh: ..., en: ...}",
            )
        )


def _series_bases(
    rules: list[Rule], items: dict[str, YamlMap], written: set[str], checker: _Checker
) -> None:
    """A rule worked out from another rule's results names a rule of the pack it can follow."""
    by_id = {rule.id: rule for rule in rules}
    for rule in rules:
        if not rule.measure.series:
            continue
        measure = cast(SeriesMeasure, rule.measure)
        spec = items[rule.id].get(measure.name)
        where = spec.where("of") if isinstance(spec, YamlMap) else items[rule.id].start
        base = by_id.get(measure.base_rule_id())
        if base is None and measure.base_rule_id() in written:
            continue  # the base rule has errors of its own, reported already
        if base is not None and base.id == rule.id and measure.own_records:
            continue  # a measure over its own rule's records (every)
        if base is None or base.id == rule.id:
            checker.error(
                f"unknown rule '{measure.base_rule_id()}'",
                where,
                rule=rule.id,
                suggestion=closest_name(measure.base_rule_id(), [r for r in by_id if r != rule.id]),
            )
            continue
        problem = measure.check_base(base)
        if problem is None and base.evidence != rule.evidence:
            problem = f"'{base.id}' reads {base.evidence}; this rule's evidence must be the same"
        if problem is not None:
            checker.error(problem, where, rule=rule.id)


def _rule(
    raw: YamlMap,
    checker: _Checker,
    standard: Standard | None,
    evidence: dict[str, EvidenceKind],
    calendars: dict[str, Calendar],
    defaults: dict[str, Any],
    others: dict[str, YamlMap] | None = None,
) -> Rule | None:
    rule_id = read_text(raw, "id", checker.error)
    if rule_id is None:
        return None
    if not _RULE_ID.match(rule_id):
        checker.error(
            "rule needs an 'id' of letters, digits, '-', '_' or '.'",
            raw.where("id") if "id" in raw else raw.start,
        )
        return None
    start = len(checker.errors)
    clause = _clause(raw, rule_id, checker, standard)
    title = read_text_pair(
        raw.get("title"), raw.where("title"), f"title of rule {rule_id}", checker.errors
    )
    kind = _rule_kind(raw, rule_id, checker, evidence)
    ctx = RuleContext(raw, rule_id, checker, kind, evidence, calendars, others)
    where = ctx.expression(raw, "where") if "where" in raw else None
    exclusions = _exclusions(raw, ctx)
    measure = _measure(raw, ctx)
    target = _target(raw, ctx, measure)
    severity = _choice(raw, ctx, "severity", SEVERITIES, None)
    period = _choice(raw, ctx, "period", PERIODS, "all")
    judge = _choice(raw, ctx, "judge", ("pooled", "each-group"), "pooled")
    time_field, group_by = _time_field(raw, ctx, measure), _group_by(raw, ctx)
    min_records = _min_records(raw, ctx, measure, defaults)
    capa = _capa(raw, ctx, severity, defaults)
    interpretation = _text_or_pair(raw, "interpretation", ctx) if "interpretation" in raw else None
    if len(checker.errors) > start or measure is None or target is None:
        return None
    return Rule(
        id=rule_id,
        clause=clause,
        title=title,
        evidence=str(raw.get("evidence")),
        measure=measure,
        target=target,
        severity=severity,
        where=where,
        exclusions=exclusions,
        period=period,
        judge=judge,
        line=raw.start.line,
        time=time_field,
        group_by=group_by,
        min_records=min_records,
        capa=capa,
        interpretation=interpretation,
    )


def _text_or_pair(raw: YamlMap, key: str, ctx: RuleContext) -> Text:
    """One text (the same in both languages) or a ``{zh: ..., en: ...}`` pair."""
    value = raw.get(key)
    if isinstance(value, dict):
        return read_text_pair(
            value, raw.where(key), f"{key} of rule {ctx.rule_id}", ctx.checker.errors
        )
    if isinstance(value, str) and value.strip():
        return Text(value.strip(), value.strip())
    ctx.error(f"{key} must be a text or {{zh: ..., en: ...}}", raw.where(key))
    return Text("", "")


def _rule_kind(
    raw: YamlMap, ctx_rule: str, checker: _Checker, evidence: dict[str, EvidenceKind]
) -> EvidenceKind | None:
    kind_name = read_text(raw, "evidence", partial(checker.error, rule=ctx_rule))
    if kind_name is None:
        return None
    if kind_name in evidence:
        return evidence[kind_name]
    checker.error(
        f"unknown evidence kind '{kind_name}'",
        raw.where("evidence"),
        rule=ctx_rule,
        suggestion=closest_name(kind_name, evidence),
    )
    return None


def _measure(raw: YamlMap, ctx: RuleContext) -> Measure | None:
    """The rule's one measure, read by the registered measure of that name."""
    known = registered_measures()
    measures = [k for k in raw if k in known]
    unknown = [k for k in raw if k not in RULE_KEYS and k not in known]
    for key in unknown:
        meant = _meant_key(key, raw, known, measured=bool(measures))
        missing = (
            None
            if meant or measures
            else f"the rule has no measure: give one of {', '.join(sorted(known))}"
        )
        ctx.error(f"unknown key '{key}'", raw.where_key(key), suggestion=meant, hint=missing)
        if meant is not None:
            ctx.misspelt.add(meant)
    if len(measures) == 1:
        return known[measures[0]].read(raw, measures[0], ctx)
    if measures or not unknown:
        ctx.error(
            f"a rule needs exactly one measure ({', '.join(known)}); found {len(measures) or 'none'}",
            raw.where_key(measures[1]) if len(measures) > 1 else raw.where("id"),
        )
    return None


def _meant_key(key: str, raw: YamlMap, measures: Iterable[str], measured: bool) -> str | None:
    """The key an unknown ``key`` of a rule most likely misspells, never one the rule already
    has: the closest measure first when the rule has none (``mean`` for ``maen``)."""
    free = [name for name in RULE_KEYS if name not in raw]
    if measured:
        return closest_name(key, free)
    return closest_name(key, measures) or closest_name(key, free)


def _choice(
    raw: YamlMap, ctx: RuleContext, key: str, allowed: tuple[str, ...], default: str | None
) -> str:
    """``raw[key]`` when it is one of ``allowed`` (``default`` when absent), else an error."""
    if key not in raw and default is not None:
        return default
    value = raw.get(key)
    if isinstance(value, str) and value in allowed:
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        read_text(raw, key, ctx.error)  # says the value is missing
    else:
        ctx.error(
            f"{key} must be {_alternatives(allowed)}, not {shown(value)}",
            raw.where(key),
            suggestion=closest_name(value, allowed) if isinstance(value, str) else None,
        )
    return default or allowed[-1]


def _alternatives(allowed: tuple[str, ...]) -> str:
    """``a or b`` for two values, ``one of a, b, c`` for more."""
    return " or ".join(allowed) if len(allowed) == 2 else "one of " + ", ".join(allowed)


def _min_records(
    raw: YamlMap, ctx: RuleContext, measure: Measure | None, defaults: dict[str, Any]
) -> int:
    if "min_records" in raw:
        return _positive_int(raw, "min_records", ctx.checker, ctx.rule_id)
    if measure is not None and measure.default_min_records is not None:
        return measure.default_min_records
    return int(defaults["min_records"])


def _clause(raw: YamlMap, rule_id: str, checker: _Checker, standard: Standard | None) -> str:
    clause = read_text(raw, "clause", partial(checker.error, rule=rule_id))
    if clause is None:
        return ""
    if standard is not None and standard.clause(clause) is None:
        checker.error(
            f"unknown clause '{clause}' of standard {standard.id}",
            raw.where("clause"),
            rule=rule_id,
            suggestion=closest_name(clause, standard.clauses),
        )
    return clause


def _exclusions(raw: YamlMap, ctx: RuleContext) -> tuple[Exclusion, ...]:
    items = raw.get("exclude")
    if items is None:
        return ()
    if not isinstance(items, YamlList):
        ctx.error("'exclude' must be a list of {when, reason}", raw.where("exclude"))
        return ()
    result = []
    for index, item in enumerate(items):
        if not isinstance(item, YamlMap) or "when" not in item or "reason" not in item:
            ctx.error("each exclusion needs 'when' (a condition) and 'reason'", items.where(index))
            continue
        unknown_keys(item, ("when", "reason"), "exclusion", ctx.checker.errors)
        condition = ctx.expression(item, "when")
        reason, title = _exclusion_reason(item, ctx)
        if condition is not None and reason is not None:
            result.append(Exclusion(condition, reason, title))
    return tuple(result)


def _exclusion_reason(item: YamlMap, ctx: RuleContext) -> tuple[str | None, Text | None]:
    """An exclusion's ``reason`` and, when written as ``{zh, en}``, both languages; a reason
    left empty or not text is reported at its line and read as None."""
    text = _text_or_pair(item, "reason", ctx)
    if not text.en:
        return None, None
    return text.en, text if isinstance(item["reason"], dict) else None


def _target(raw: YamlMap, ctx: RuleContext, measure: Measure | None) -> Target | None:
    if measure is None or ("target" not in raw and "target" in ctx.misspelt):
        return None
    if measure.own_target is not None:
        for key in ("target", "warn", "major_below"):
            if key in raw:
                ctx.error(f"a {measure.name} rule takes no '{key}'", raw.where_key(key))
        return Target(text=measure.own_target)
    if measure.target_words:
        return _target_word(raw, ctx, measure)
    reading = "target"  # the key whose value is being read, where an error points
    try:
        if measure.per_record:
            share = parse_percent(raw.get("target", "100%"))
            reading = "warn"
            warn = parse_percent(raw["warn"]) if "warn" in raw else None
            reading = "major_below"
            major_below = parse_percent(raw["major_below"]) if "major_below" in raw else None
            if warn is not None and warn < share:
                ctx.error("'warn' must be at or above the target", raw.where("warn"))
            if major_below is not None and major_below > share:
                ctx.error("'major_below' must be at or below the target", raw.where("major_below"))
            return Target(share=share, warn_share=warn, major_below=major_below)
        if "target" not in raw:
            ctx.error(f"a {measure.name} rule needs a 'target' such as '>= 4.2'", raw.start)
            return None
        threshold = parse_threshold(raw["target"])
        reading = "warn"
        warn_threshold = parse_threshold(raw["warn"]) if "warn" in raw else None
        if "major_below" in raw:
            ctx.error("'major_below' applies to per-record rules only", raw.where("major_below"))
        return Target(threshold=threshold, warn_threshold=warn_threshold)
    except AuditorError as exc:
        ctx.checker.adopt(exc, raw.where(reading), ctx.rule_id)
        return None


def _target_word(raw: YamlMap, ctx: RuleContext, measure: Measure) -> Target | None:
    """A target written as a word of the measure's (``no-decline``, ``improving``)."""
    word = raw.get("target")
    if word in measure.target_words:
        return Target(word=str(word))
    ctx.error(
        f"a {measure.name} rule's target must be {' or '.join(measure.target_words)}",
        raw.where("target") if "target" in raw else raw.start,
        suggestion=closest_name(str(word), measure.target_words) if "target" in raw else None,
    )
    return None


def _time_field(raw: YamlMap, ctx: RuleContext, measure: Measure | None) -> str | None:
    if "time" in raw:
        return ctx.field(raw, "time", ("timestamp", "date"))
    own = measure.default_time() if measure is not None else None
    if own is not None:
        return own
    return ctx.kind.time if ctx.kind else None


def _group_by(raw: YamlMap, ctx: RuleContext) -> tuple[str, ...]:
    value = raw.get("group_by", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        ctx.error("group_by must be a field or list of fields", raw.where("group_by"))
        return ()
    result = []
    for name in value:
        if ctx.kind is not None and name not in ctx.kind.fields:
            ctx.error(
                f"unknown field '{name}' in group_by",
                raw.where("group_by"),
                suggestion=closest_name(str(name), ctx.kind.fields),
            )
            continue
        result.append(str(name))
    return tuple(result)


def _capa(
    raw: YamlMap, ctx: RuleContext, severity: str, defaults: dict[str, Any]
) -> CorrectiveAction:
    spec = raw.get("capa")
    default_due = defaults["due_days"].get(severity, 90)
    if not isinstance(spec, YamlMap):
        ctx.error(
            "rule needs 'capa' with action (zh/en), owner and optionally due_days",
            raw.where("capa") if "capa" in raw else raw.start,
        )
        return CorrectiveAction(Text("", ""), Text("", ""), default_due)
    unknown_keys(spec, CAPA_KEYS, f"capa of rule {ctx.rule_id}", ctx.checker.errors)
    action = read_text_pair(
        spec.get("action"),
        spec.where("action"),
        f"capa action of rule {ctx.rule_id}",
        ctx.checker.errors,
    )
    raw_owner = spec.get("owner")
    if isinstance(raw_owner, dict):
        owner = read_text_pair(
            raw_owner, spec.where("owner"), f"capa owner of rule {ctx.rule_id}", ctx.checker.errors
        )
    elif isinstance(raw_owner, str) and raw_owner:
        owner = Text(raw_owner, raw_owner)
    else:
        ctx.error("capa needs an 'owner' role (a text, or {zh: ..., en: ...})", spec.start)
        owner = Text("", "")
    return CorrectiveAction(action, owner, _due_days(spec, ctx, severity, default_due))


def _due_days(spec: YamlMap, ctx: RuleContext, severity: str, default_due: int) -> int:
    """A rule's ``capa.due_days``: the pack's ``defaults.due_days`` for its severity when not
    given; never longer, as items are due by the shorter (see ``due_in_days``)."""
    if "due_days" not in spec:
        return default_due
    due = _positive_int(spec, "due_days", ctx.checker, ctx.rule_id)
    if due > default_due:
        ctx.error(
            f"capa.due_days {due} is longer than the {default_due} days the pack allows a "
            f"{severity} nonconformity (defaults.due_days.{severity})",
            spec.where("due_days"),
            hint=f"write {default_due} or less, or raise the default",
        )
    return due


# ------------------------------------------------------------ clause coverage


def _not_covered(
    data: YamlMap, checker: _Checker, standard: Standard | None, rules: list[Rule]
) -> dict[str, Text]:
    """``not_covered: {clause: reason}``: each a clause of the standard that no rule checks."""
    raw = data.get("not_covered")
    if raw is None:
        return {}
    if not isinstance(raw, YamlMap):
        checker.error(
            "'not_covered' must map clauses to reasons, e.g. {\"4.1.1\": auditor's judgement}",
            data.where("not_covered"),
        )
        return {}
    with_rule: dict[str, list[str]] = {}
    for rule in rules:
        with_rule.setdefault(rule.clause, []).append(rule.id)
    result = {}
    for clause, reason in raw.items():
        where = raw.where_key(clause)
        if not isinstance(clause, str):
            checker.error(
                f'clause {shown(clause)} must be quoted text, e.g. "{shown(clause)}"', where
            )
            continue
        if standard is not None and not _not_covered_clause(
            clause, where, standard, with_rule, checker
        ):
            continue
        if isinstance(reason, dict):
            text = read_text_pair(
                reason, raw.where(clause), f"not_covered reason of clause {clause}", checker.errors
            )
        elif isinstance(reason, str) and reason.strip():
            text = Text(reason.strip(), reason.strip())
        else:
            checker.error(
                f"not_covered clause {clause} needs a reason (a text or {{zh: ..., en: ...}})",
                raw.where(clause),
            )
            continue
        result[clause] = text
    return result


def _not_covered_clause(
    clause: str,
    where: Location,
    standard: Standard,
    with_rule: dict[str, list[str]],
    checker: _Checker,
) -> bool:
    """Whether a not_covered key names a clause of the standard that no rule checks."""
    open_clauses = [c for c in standard.clauses if c not in with_rule]
    measurable = [c for c in open_clauses if standard.clauses[c].assessment == "measurable"]
    closest = _nearest_clause(clause, measurable) or _nearest_clause(clause, open_clauses)
    if standard.clause(clause) is None:
        checker.error(
            f"not_covered names unknown clause '{clause}' of standard {standard.id}",
            where,
            suggestion=closest or closest_name(clause, standard.clauses),
        )
        return False
    if clause in with_rule:
        checker.error(
            f"not_covered names clause '{clause}', which rule {', '.join(with_rule[clause])} "
            "covers",
            where,
            suggestion=closest,
            hint="drop the entry, or move it to the clause that has no rule",
        )
        return False
    return True


def _nearest_clause(clause: str, candidates: list[str]) -> str | None:
    """The closest clause id, looking first among the clause's siblings (3.1.x for 3.1.2)."""
    parent = clause.rsplit(".", 1)[0]
    siblings = [c for c in candidates if c.rsplit(".", 1)[0] == parent]
    return closest_name(clause, siblings) or closest_name(clause, candidates)


def _uncovered(
    data: YamlMap, standard: Standard, rules: list[Rule], not_covered: dict[str, Text]
) -> list[AuditorError]:
    """A located problem per measurable clause with neither a rule nor a not_covered entry."""
    covered = {rule.clause for rule in rules} | set(not_covered)
    where = data.where_key("not_covered") if "not_covered" in data else data.where("standard")
    problems: list[AuditorError] = []
    for clause in standard.clauses.values():
        if clause.assessment != "measurable" or clause.id in covered:
            continue
        problems.append(
            PackError(
                f"measurable clause {clause.id} ({clause.title.en}) of standard {standard.id} "
                f"({working_relative(standard.path)}:{clause.line}) has no rule and no not_covered entry",
                location=where,
                hint=f'add a rule with clause: "{clause.id}", or not_covered: '
                f'{{"{clause.id}": why it is not checked}}',
            )
        )
    return problems
