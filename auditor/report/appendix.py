"""The appendix (evidence, quarantine, exclusions) and the method (formulas, calendars, statistics)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from .. import i18n
from ..findings.contract import EvidenceFile, FindingsDocument, MappingRef, RuleEntry, Unit
from ..i18n import Words


@dataclass(frozen=True)
class MappingView:
    name: str | None
    code: str
    source: str
    path: str | None
    sha256: str | None
    columns: list[tuple[str, str]]
    #: the texts read as no value, quoted so that an empty text shows
    missing: list[str]
    #: (field, [(source text, stored value or None)]) of each value map
    values: list[tuple[str, list[tuple[str, str | None]]]]
    formats: list[tuple[str, str]]
    timezone: str | None
    #: the DST policy when it is not the default (strict)
    dst: str | None


@dataclass(frozen=True)
class DateOrderView:
    """A field's numeric dates read day-first or month-first: the order in words, and the line
    and value that settled it (none when the mapping gave the order)."""

    field: str
    order: str
    line: int | None
    value: str | None


@dataclass(frozen=True)
class EvidenceRow:
    file: str
    kind: str
    sha256: str
    rows_read: int
    stored: int
    quarantined: int
    mapping: MappingView | None
    #: the sheet of a workbook that was read
    sheet: str | None
    warnings: list[str]
    #: (field, count) of values a DST change moved
    moved_dst: list[tuple[str, int]]
    #: how each field's numeric dates were read (day-first or month-first) and what settled it
    date_orders: list[DateOrderView]


@dataclass(frozen=True)
class CountRow:
    """A reason with its count: a file's quarantined rows, a rule's excluded records."""

    where: str
    reason: str
    count: int


@dataclass(frozen=True)
class FirstSeenView:
    """Where a file's quarantine reason was first given: ``file:line``, the column and the
    value quoted as the console quotes it (empty when there was none)."""

    place: str
    line: int
    column: str
    value: str


@dataclass(frozen=True)
class QuarantineRow(CountRow):
    """A file's quarantine reason with its count, and where it was first given (None in a
    findings.json written before that was recorded)."""

    first: FirstSeenView | None = None


def appendix(document: FindingsDocument, words: Words) -> dict[str, Any]:
    files = document.manifest.evidence
    return {
        "evidence": [evidence_row(f, words) for f in files],
        #: the Parquet files of the evidence export the audit read instead (empty: it read files)
        "export": document.manifest.export or [],
        "quarantine": [
            QuarantineRow(f.file, words.reason(reason), number, _first_seen(f, reason))
            for f in files
            for reason, number in f.quarantine_reasons.items()
        ],
        "exclusions": [
            CountRow(e.rule, words.reason(e.reason), e.count) for e in document.exclusions
        ],
    }


def _first_seen(file: EvidenceFile, reason: str) -> FirstSeenView | None:
    place = (file.quarantine_first_seen or {}).get(reason)
    if place is None:
        return None
    return FirstSeenView(
        place=f"{file.file}:{place.line}",
        line=place.line,
        column=place.column or "",
        value="" if place.value is None else repr(place.value),
    )


def _mapping(mapping: MappingRef, words: Words) -> MappingView:
    return MappingView(
        name=mapping.name,
        code=mapping.source,
        source=words.label(f"source_{mapping.source}"),
        path=mapping.path,
        sha256=mapping.sha256,
        columns=sorted((mapping.columns or {}).items()),
        missing=(
            [_quoted(text) for text in mapping.missing]
            if mapping.missing and mapping.missing != [""]  # the default is not repeated per file
            else []
        ),
        values=[
            (
                name,
                [
                    (_quoted(raw), None if to is None else _quoted(to))
                    for raw, to in sorted(pairs.items())
                ],
            )
            for name, pairs in sorted((mapping.values or {}).items())
        ],
        formats=sorted((mapping.formats or {}).items()),
        timezone=mapping.timezone,
        dst=mapping.dst if mapping.dst not in (None, "strict") else None,
    )


def _quoted(text: str) -> str:
    """A source text as JSON writes it, so that an empty text or spaces show."""
    return json.dumps(text, ensure_ascii=False)


def evidence_row(file: EvidenceFile, words: Words) -> EvidenceRow:
    return EvidenceRow(
        file=file.file,
        kind=words.kind(file.kind) if file.kind else "",
        sha256=file.sha256,
        rows_read=file.rows_read,
        stored=file.stored,
        quarantined=file.quarantined,
        mapping=_mapping(file.mapping, words) if file.mapping else None,
        sheet=file.sheet,
        warnings=[words.reason(w) for w in file.warnings],
        moved_dst=sorted(file.moved_dst.items()),
        date_orders=[
            DateOrderView(name, words.label(read.order), read.line, read.value)
            for name, read in sorted(file.date_order.items())
        ],
    )


# ------------------------------------------------------------ the method


def method(document: FindingsDocument, words: Words) -> dict[str, Any]:
    from ..measures import measure_named

    params = document.manifest.parameters
    rules = document.rules
    used_measures = [m for m in (measure_named(n) for n in sorted({r.measure for r in rules})) if m]
    units = {f.unit for r in rules for f in r.findings}
    used = {r.calendar for r in rules if r.calendar}
    rated = bool(units & {Unit.SHARE, Unit.PER_1000})
    wanted: set[str] = set(units)
    if rated:
        wanted.add("wilson")
    if used:
        wanted.add("business_time")
    stats = [words.label("timezone", zone=params.timezone)]
    if rated:
        confidence = f"{round(params.interval.confidence * 100)}%"
        stats.insert(0, words.label("interval_wilson", confidence=confidence))
    for measure in used_measures:
        if measure.method_label:
            stats.insert(
                -1, words.label(measure.method_label, method=words.label(params.percentile_method))
            )
    formulas = [text[words.lang] for topic, text in i18n.FORMULAS.items() if topic in wanted]
    formulas += [m.formula[words.lang] for m in used_measures if m.formula]
    return {
        "formulas": formulas,
        "calendars": calendars(params.calendars, used, rules, words, _period_years(params)),
        "stats": stats,
        "sampling": i18n.SAMPLING[words.lang],
        "verify_command": verify_command(document),
        "judgement": [
            c for c in document.coverage if c.assessment == "judgement" and c.not_covered is None
        ],
        "not_covered": [c for c in document.coverage if c.not_covered is not None],
    }


def verify_command(document: FindingsDocument) -> str:
    """``auditor verify`` as it runs from the folder the audit was run in: the evidence
    folder and the pack are found where the audit recorded them, so only the audit folder
    is to be given (and the evidence folder, for an audit that does not record it)."""
    given = "" if document.manifest.parameters.evidence_root else " --evidence EVIDENCE_DIR"
    return f"auditor verify AUDIT_DIR{given}"


WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


class Calendar(BaseModel):
    """A business calendar as the manifest records it: opening hours per weekday, holidays."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    hours: dict[int, list[tuple[int, int]]]
    holidays: str
    extra_holidays: list[str] = []
    extra_workdays: list[str] = []
    #: the first and last year the holiday set has data for (recorded by the audit)
    holiday_years: list[int] | None = None


@dataclass(frozen=True)
class CalendarRow:
    name: str
    hours: str
    holidays: str
    extra_holidays: list[str]
    extra_workdays: list[str]
    rules: list[str]
    #: the years the set covers and the years the audit period needed, with whether they are covered
    years: str = ""


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _period_years(params: Any) -> list[int]:
    first, last = int(params.period.first_day[:4]), int(params.period.last_day[:4])
    return list(range(first, last + 1))


def calendars(
    recorded: dict[str, Any],
    used: set[str],
    rules: list[RuleEntry],
    words: Words,
    needed: list[int] | None = None,
) -> list[CalendarRow]:
    """The calendars the rules count in, described as they are (holidays only when they have some)."""
    out = []
    for name in sorted(used):
        calendar = Calendar.model_validate(recorded[name])
        hours = [
            f"{WEEKDAYS[words.lang][day]} "
            + ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in windows)
            for day, windows in sorted(calendar.hours.items())
        ]
        known = f"holidays_{calendar.holidays}" in i18n.LABELS
        out.append(
            CalendarRow(
                name=name,
                hours="; ".join(hours),
                holidays=words.label(f"holidays_{calendar.holidays}")
                if known
                else words.label("holidays_library").format(code=calendar.holidays),
                extra_holidays=calendar.extra_holidays,
                extra_workdays=calendar.extra_workdays,
                rules=[r.rule for r in rules if r.calendar == name],
                years=holiday_years(calendar, needed or [], words),
            )
        )
    return out


def holiday_years(calendar: Calendar, needed: list[int], words: Words) -> str:
    """Which years the holiday set covers, which the audit period needed, and whether it has them."""
    if calendar.holidays == "none" or calendar.holiday_years is None:
        return ""
    first, last = calendar.holiday_years
    listed = {int(d[:4]) for d in [*calendar.extra_holidays, *calendar.extra_workdays]}
    missing = [y for y in needed if not first <= y <= last]
    if not missing:
        status = words.label("holiday_years_covered")
    elif all(y in listed for y in missing):
        status = words.label("holiday_years_listed")
    else:
        status = words.label("holiday_years_missing")
    return words.label(
        "holiday_years",
        first=first,
        last=last,
        needed=", ".join(str(y) for y in needed),
        status=status,
    )
