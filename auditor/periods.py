"""Audit periods and the sub-periods (day, week, month, quarter, year) a rule reports by.

Boundaries are local midnights in the pack's time zone, turned into epoch
seconds with the zone's real offsets, so a month that contains a DST change is
still exactly that month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import AuditorError


@dataclass(frozen=True)
class Period:
    label: str
    first: date  # first day
    last: date  # last day, inclusive
    #: a sub-period the audit period cut: its label names days outside the audit period
    clipped: bool = False

    def start(self, zone: ZoneInfo) -> float:
        return datetime.combine(self.first, time(0), zone).timestamp()

    def end(self, zone: ZoneInfo) -> float:
        """Epoch seconds of the first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(0), zone).timestamp()

    @property
    def days(self) -> int:
        """How many days the period holds (none when it ends before it starts)."""
        return max(0, (self.last - self.first).days + 1)

    def __str__(self) -> str:
        return self.label


def days_from(first: date, last: date) -> Period:
    """The days from ``first`` to ``last``, labelled ``2026-07-01..2026-07-09``."""
    return Period(f"{first}..{last}", first, last)


def end_of_day(day: date, zone: ZoneInfo | None = None) -> datetime:
    """The last second of ``day`` in ``zone`` (the machine's own zone for None): when a due
    date or a waiver's last day is over."""
    last = datetime.combine(day, time(23, 59, 59), zone)
    return last if zone is not None else last.astimezone()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


#: the last year a period may reach (its end must still be a date a clock can hold)
LAST_YEAR = 9998


def parse_period(text: str) -> Period:
    """``2026-Q3``, ``2026-07``, ``2026``, ``2026-H2``, or ``2026-07-01..2026-09-30``."""
    period = _parse_period(text)
    if period.last.year > LAST_YEAR:
        raise AuditorError(
            f"period '{text}' reaches beyond the year {LAST_YEAR}",
            hint="give the period the evidence covers, e.g. 2026-Q3",
        )
    return period


#: the forms of a period, as the error for one that is none of them lists them
PERIOD_FORMS = "write 2026-Q3, 2026-07, 2026, 2026-H2 or 2026-07-01..2026-09-30"


class _NotAPeriod(ValueError):
    """Why a text in a period's form names no period (month 13, 30 February)."""


def _parse_period(text: str) -> Period:
    value = text.strip()
    try:
        period = _period_of(value)
    except _NotAPeriod as exc:
        raise AuditorError(f"'{text}' is not an audit period: {exc}", hint=PERIOD_FORMS) from None
    if period is not None:
        return period
    glued = re.fullmatch(r"(\d{4})([Qq][1-4]|[Hh][12])", value)  # 2026Q3: no hyphen
    raise AuditorError(
        f"'{text}' is not an audit period",
        suggestion=f"{glued.group(1)}-{glued.group(2).upper()}" if glued else None,
        hint=PERIOD_FORMS,
    )


def _period_of(value: str) -> Period | None:
    """The period ``value`` names in one of the forms (None when it is in none of them)."""
    if match := re.fullmatch(r"(\d{4})-[Qq](\d)", value):
        year, quarter = _year(match.group(1)), _numbered(match.group(2), 4, "quarter")
        first = date(year, 3 * quarter - 2, 1)
        return Period(f"{year:04d}-Q{quarter}", first, _month_end(year, 3 * quarter))
    if match := re.fullmatch(r"(\d{4})-[Hh](\d)", value):
        year, half = _year(match.group(1)), _numbered(match.group(2), 2, "half")
        return Period(
            f"{year:04d}-H{half}", date(year, 6 * half - 5, 1), _month_end(year, 6 * half)
        )
    if match := re.fullmatch(r"(\d{4})-(\d{2})", value):
        year, month = _year(match.group(1)), _numbered(match.group(2), 12, "month")
        return Period(f"{year:04d}-{month:02d}", date(year, month, 1), _month_end(year, month))
    if match := re.fullmatch(r"(\d{4})", value):
        year = _year(match.group(1))
        return Period(f"{year:04d}", date(year, 1, 1), date(year, 12, 31))
    if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", value):
        first, last = _day(match.group(1)), _day(match.group(2))
        if last < first:
            raise _NotAPeriod(f"it ends before it starts ({last} is before {first})")
        return days_from(first, last)
    return None


def _year(text: str) -> int:
    if int(text) < 1:
        raise _NotAPeriod(f"year {text} does not exist (years start at 0001)")
    return int(text)


def _numbered(text: str, count: int, what: str) -> int:
    """A month (1-12), quarter (1-4) or half (1-2) of a year, or why there is no such one."""
    if not 1 <= int(text) <= count:
        raise _NotAPeriod(f"{what} {text} does not exist (a year has {count})")
    return int(text)


def _day(text: str) -> date:
    """A day written YYYY-MM-DD, or why there is no such day."""
    year, month, day = _year(text[:4]), _numbered(text[5:7], 12, "month"), int(text[8:])
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise _NotAPeriod(f"{text} does not exist ({text[:7]} has {days} days)")
    return date(year, month, day)


def whole_months(first: date, last: date) -> Period:
    """The period of whole months from ``first``'s month to ``last``'s, named as a person would.

    One month is ``2010-08``, a calendar quarter ``2026-Q3``, a half ``2026-H2``,
    a year ``2026``; anything else ``2026-07-01..2026-11-30``.
    """
    start, end = first.replace(day=1), _month_end(last.year, last.month)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    for size, name in ((1, None), (3, "Q"), (6, "H"), (12, "")):
        if months == size and (start.month - 1) % size == 0:
            if name is None:
                return Period(f"{start.year}-{start.month:02d}", start, end)
            index = (start.month - 1) // size + 1
            label = str(start.year) if size == 12 else f"{start.year}-{name}{index}"
            return Period(label, start, end)
    return Period(f"{start}..{end}", start, end)


def sub_periods(period: Period, unit: str) -> list[Period]:
    """The day/week/month/quarter/year periods that make up ``period`` (clipped to it)."""
    if unit == "all":
        return [period]
    out: list[Period] = []
    day = period.first
    while day <= period.last:
        if unit == "day":
            first, last, label = day, day, day.isoformat()
        elif unit == "week":
            first = day - timedelta(days=day.weekday())
            last = first + timedelta(days=6)
            iso = first.isocalendar()
            label = f"{iso.year}-W{iso.week:02d}"
        elif unit == "month":
            first, last = day.replace(day=1), _month_end(day.year, day.month)
            label = f"{day.year}-{day.month:02d}"
        elif unit == "quarter":
            quarter = (day.month - 1) // 3 + 1
            first = date(day.year, 3 * quarter - 2, 1)
            last = _month_end(day.year, 3 * quarter)
            label = f"{day.year}-Q{quarter}"
        elif unit == "year":
            first, last, label = date(day.year, 1, 1), date(day.year, 12, 31), str(day.year)
        else:  # pragma: no cover - units are checked when the pack loads
            raise AuditorError(f"unknown period unit '{unit}'")
        out.append(_held(period, label, first, last))
        day = last + timedelta(days=1)
    return out


def _held(period: Period, label: str, first: date, last: date) -> Period:
    """The days from ``first`` to ``last`` that ``period`` holds, marked when it cut them."""
    held = Period(label, max(first, period.first), min(last, period.last))
    return replace(held, clipped=(held.first, held.last) != (first, last))


def cell(period: Period, label: str) -> Period | None:
    """The days of the audit ``period`` that a finding labelled ``label`` (the period itself, or
    a day, ISO week, month, quarter or year of it, as :func:`sub_periods` names them) holds;
    None for a label that names none of these."""
    if label == period.label:
        return period
    try:
        first, last = _named_days(label)
    except (ValueError, AuditorError):
        return None
    return _held(period, label, first, last)


def _named_days(label: str) -> tuple[date, date]:
    """The first and last day a sub-period's label names: ``2010-W30`` Monday to Sunday."""
    if match := re.fullmatch(r"(\d{4})-W(\d{2})", label):
        first = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        return first, first + timedelta(days=6)
    if len(label) == len("2010-08-01"):
        day = date.fromisoformat(label)
        return day, day
    named = _parse_period(label)
    return named.first, named.last
