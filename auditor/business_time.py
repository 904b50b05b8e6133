"""Business time: a pack calendar turned into open stretches with a running total.

A calendar's open time between two moments is ``cum(b) - cum(a)``, where
``cum(t)`` is the number of open seconds from the start of the calendar up to
``t``. The stretches (start, end, open seconds before start) are held as a
table, so the same two look-ups work in Python (bisect) and in SQL (correlated
look-ups of the last stretch starting at or before ``t``).

Statutory holidays of mainland China, and the weekend days made working days
to compensate, come from the chinesecalendar library (2004 to the last year it
knows); a pack adds later years with ``extra_holidays`` and ``extra_workdays``.
A year with no data is an error, never a guess.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from .backends.statement import NULLS_TOGETHER
from .errors import AuditorError
from .expression import quote_identifier
from .formatting import duration
from .holiday_sets import covered_years, is_public_holiday
from .model import Calendar

MONDAY = 0


@dataclass(frozen=True)
class Stretch:
    start: float  # epoch seconds
    end: float
    before: float  # open seconds in all earlier stretches


class BusinessClock:
    """Open stretches of one calendar over a range of days, with cumulative seconds."""

    def __init__(
        self, calendar: Calendar, zone: ZoneInfo, first: date, last: date, need: str | None = None
    ) -> None:
        self.calendar = calendar
        self.zone = zone
        self.first = first
        self.last = last
        #: what the clock is built for, named in a missing year's error (``None``: the days asked for)
        self.need = need
        self.stretches = self._build()
        self.starts = [s.start for s in self.stretches]
        self.begin = _epoch(first, time(0), zone)
        self.finish = _epoch(last + timedelta(days=1), time(0), zone)

    # ------------------------------------------------------------ days

    def day_kind(self, day: date) -> str:
        """'open' (normal day), 'makeup' (weekend day worked), or 'holiday'."""
        cal = self.calendar
        if day in cal.extra_holidays:
            return "holiday"
        if day in cal.extra_workdays:
            return "makeup" if day.weekday() >= 5 else "open"
        if cal.holidays is None:
            return "open"
        if cal.holidays != "CN":
            self._check_library_year(day.year)
            return "holiday" if is_public_holiday(cal.holidays, day) else "open"
        if self._pack_covers(day.year):
            return "open"
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            raise AuditorError(
                f"calendar '{cal.name}' has no holiday data for {day.year}{self._needed()}: the "
                f"holiday library covers up to {_library_last_year()}; add that year's official "
                "holidays and make-up working days as extra_holidays and extra_workdays in the pack",
                hint="the audit does not guess holidays",
            ) from None
        if on_holiday and name is not None:
            return "holiday"
        if not on_holiday and day.weekday() >= 5:
            return "makeup"
        return "open"

    def _check_library_year(self, year: int) -> None:
        """A holidays-library set outside its years has no data: an error, never a guess."""
        cal = self.calendar
        assert cal.holidays is not None
        years = covered_years(cal.holidays)
        if years is None or years[0] <= year <= years[1] or self._listed(year):
            return
        raise AuditorError(
            f"calendar '{cal.name}' has no holiday data for {year}{self._needed()}: the set "
            f"{cal.holidays} covers {years[0]} to {years[1]}; list that year's holidays as "
            "extra_holidays in the pack",
            hint="the audit does not guess holidays",
        )

    def _needed(self) -> str:
        return "" if self.need is None else f", needed for {self.need}"

    def _listed(self, year: int) -> bool:
        listed = [*self.calendar.extra_holidays, *self.calendar.extra_workdays]
        return any(d.year == year for d in listed)

    def _pack_covers(self, year: int) -> bool:
        """A year beyond the library counts as covered when the pack lists its days."""
        if year <= _library_last_year():
            return False
        return self._listed(year)

    def hours_of(self, day: date) -> tuple[tuple[int, int], ...]:
        kind = self.day_kind(day)
        if kind == "holiday":
            return ()
        weekday = MONDAY if kind == "makeup" else day.weekday()
        return self.calendar.hours.get(weekday, ())

    def _build(self) -> list[Stretch]:
        stretches: list[Stretch] = []
        total = 0.0
        day = self.first
        while day <= self.last:
            for start, end in self.hours_of(day):
                a = (
                    _epoch(day, _clock(start), self.zone)
                    if start < 86400
                    else _epoch(day + timedelta(days=1), time(0), self.zone)
                )
                b = (
                    _epoch(day + timedelta(days=1), time(0), self.zone)
                    if end >= 86400
                    else _epoch(day, _clock(end), self.zone)
                )
                if b > a:
                    stretches.append(Stretch(a, b, total))
                    total += b - a
            day += timedelta(days=1)
        return stretches

    # ------------------------------------------------------------ arithmetic

    def cumulative(self, moment: float) -> float:
        """Open seconds from the start of the calendar up to ``moment``."""
        if moment < self.begin or moment > self.finish:
            raise AuditorError(
                f"{datetime.fromtimestamp(moment, self.zone):%Y-%m-%d %H:%M} is outside calendar "
                f"'{self.calendar.name}' ({self.first} to {self.last})"
            )
        index = bisect.bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0.0
        stretch = self.stretches[index]
        return stretch.before + min(moment, stretch.end) - stretch.start

    def seconds_between(self, start: float, end: float) -> float:
        """Open seconds from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        return self.cumulative(end) - self.cumulative(start)

    def rows(self) -> list[tuple[float, float, float]]:
        return [(s.start, s.end, s.before) for s in self.stretches]


def _clock(seconds: int) -> time:
    return time(seconds // 3600, (seconds % 3600) // 60, seconds % 60)


def _epoch(day: date, clock: time, zone: ZoneInfo) -> float:
    return datetime.combine(day, clock, zone).timestamp()


def day_span(low: float, high: float, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last day (in ``zone``) of the moments from ``low`` up to ``high``.

    A ``high`` at midnight is where the day before ends: its own day holds no
    moment of the span (a period ending on 31 December ends at midnight of 1
    January, and asks nothing of the next year).
    """
    first = datetime.fromtimestamp(low, zone).date()
    last = datetime.fromtimestamp(high, zone).date()
    if last > first and _epoch(last, time(0), zone) >= high:
        last -= timedelta(days=1)
    return first, last


def moment_text(moment: float, zone: ZoneInfo) -> str:
    """A moment as the errors show it: its date, hours and minutes in ``zone``."""
    return f"{datetime.fromtimestamp(moment, zone):%Y-%m-%d %H:%M}"


def _library_last_year() -> int:
    return max(d.year for d in chinese_calendar.holidays)


#: the width of a calendar look-up's bucket: a day of epoch seconds
BUCKET_SECONDS = 86400.0


@dataclass(frozen=True)
class CalendarTable:
    """Two helper tables of a calendar's stretches and how to look one up: ``name`` holds
    each stretch once, ``(start, "end", before)``; ``days_name`` holds them by bucket,
    ``(bucket, start, "end", before)``, for :meth:`cumulative_sql`.

    Every stretch is filed under day buckets (``FLOOR(moment / 86400)``), so that
    a moment's look-up is an equality on its bucket, which every engine answers
    by hash or index, and not a range over every earlier stretch (DuckDB and
    Spark turn a range into a join of every record with every stretch). Bucket
    ``b`` holds the last stretch starting at or before day ``b - 1`` and every
    stretch starting from then to the end of day ``b + 1``: the last stretch
    starting at or before any moment of day ``b`` is among them, even when the
    engine's division rounds a moment at a day's edge into the next or the
    previous bucket. ``last_start`` is the start of the last stretch: a later
    moment is looked up in that stretch's bucket.
    """

    name: str
    days_name: str
    last_start: float = 0.0

    @classmethod
    def of(cls, name: str, days_name: str, rows: list[tuple[float, float, float]]) -> CalendarTable:
        starts = [row[0] for row in rows]
        return cls(name, days_name, max(starts)) if starts else cls(name, days_name)

    @classmethod
    def named(cls, calendar: str, rows: list[tuple[float, float, float]]) -> CalendarTable:
        """The tables of pack calendar ``calendar``: two prefixes that no calendar's name
        turns into each other (calendars ``x`` and ``x_days`` get four different tables)."""
        return cls.of(f"_calendar_{calendar}", f"_stretches_by_day_{calendar}", rows)

    @staticmethod
    def bucket_rows(rows: list[tuple[float, float, float]]) -> list[tuple[float, ...]]:
        """The stretches ``(start, end, before)`` filed under their buckets (see above)."""
        stretches = sorted(rows)
        starts = [row[0] for row in stretches]
        if not starts:
            return []
        filed: list[tuple[float, ...]] = []
        first, last = (math.floor(s / BUCKET_SECONDS) for s in (starts[0], starts[-1]))
        for bucket in range(first, last + 2):
            earlier = bisect.bisect_right(starts, (bucket - 1) * BUCKET_SECONDS) - 1
            later = bisect.bisect_left(starts, (bucket + 2) * BUCKET_SECONDS)
            filed.extend((float(bucket), *stretches[i]) for i in range(max(earlier, 0), later))
        return filed

    def cumulative_sql(self, moment_sql: str) -> str:
        """SQL for ``cum(moment)``: open seconds of the calendar up to the moment.

        With the last stretch starting at or before the moment, ``cum = min(moment +
        before - start, before + (end - start))``. Over the stretches starting at or
        before the moment, ``before - start`` only falls and ``before + (end -
        start)`` only grows, so the two are ``MIN`` and ``MAX`` over any of those
        stretches that include the last one: here the ones of the moment's bucket
        (of ``min(moment, last_start)``'s, for a moment after the last stretch).
        Two subqueries that name the moment only in their ``WHERE``, plain SQL
        that every engine runs alike (SQLite, DuckDB, Spark, which refuses an
        outer reference outside ``WHERE`` and gets a correlated ``ORDER BY ...
        LIMIT 1`` wrong). The two-argument ``MIN`` is rendered as ``LEAST``
        elsewhere. A moment before the first stretch (or NULL) finds none: 0.
        """
        table = quote_identifier(self.days_name)
        last = _number(self.last_start)
        # a NULL moment finds no stretch in any bucket: SQLite's NULL bucket and the last
        # one that LEAST gives elsewhere find none alike; the offset and the end are NULL
        # together (no stretch), so neither MIN needs other engines' guard against NULLs
        bucket = f"FLOOR(MIN({moment_sql}, {last}) {NULLS_TOGETHER} / {BUCKET_SECONDS!r})"
        where = f"c.bucket = {bucket} AND c.start <= {moment_sql}"
        offset = f"(SELECT MIN(c.before - c.start) FROM {table} AS c WHERE {where})"
        closed = f'(SELECT MAX(c.before + (c."end" - c.start)) FROM {table} AS c WHERE {where})'
        return f"COALESCE(MIN({moment_sql} + {offset}, {closed}) {NULLS_TOGETHER}, 0)"


def _number(value: float) -> str:
    """A float as SQL text that reads back as the same float."""
    return str(int(value)) if value == int(value) else repr(value)


class ClockCache:
    """Business clocks of a pack's calendars, grown (in whole months) to cover the moments asked about.

    The batch engine builds its calendar tables from it and the live monitor
    counts business time with it, so both count the same stretches. A clock
    covers the days of the moments asked about, rounded out to whole months
    but never into another year: a year's holiday data is needed only when a
    moment in it is asked about.
    """

    def __init__(self, calendars: dict[str, Calendar], zone: ZoneInfo) -> None:
        self.calendars = calendars
        self.zone = zone
        self.clocks: dict[str, BusinessClock] = {}

    def clock(self, name: str, low: float, high: float, need: str | None = None) -> BusinessClock:
        """The clock of calendar ``name`` covering ``low`` to ``high`` (epoch seconds).

        ``need`` says what the moments are, for the error of a year without
        holiday data (by default, business time from ``low`` to ``high``).
        """
        first, last = day_span(low, high, self.zone)
        current = self.clocks.get(name)
        if current is None or current.first > first or current.last < last:
            if need is None:
                span = f"{moment_text(low, self.zone)} to {moment_text(high, self.zone)}"
                need = f"business time from {span}"
            if current is not None:
                first, last = min(first, current.first), max(last, current.last)
            first = date(first.year, first.month, 1)
            following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
            current = BusinessClock(
                self.calendars[name], self.zone, first, following - timedelta(days=1), need
            )
            self.clocks[name] = current
        return current

    def between(self, calendar: str | None, start: float, end: float) -> float:
        """Wall seconds from ``start`` to ``end``, or open seconds of ``calendar``."""
        if calendar is None:
            return end - start
        return self.clock(calendar, min(start, end), max(start, end)).seconds_between(start, end)

    def due(
        self, calendar: str | None, start: float, limit: float, record: str | None = None
    ) -> float:
        """The moment ``limit`` seconds (wall, or open time of ``calendar``) after ``start``.

        The clock is grown a year at a time up to a horizon, so that a later
        year's holiday data is needed only when the due time is not reached
        before it. ``record`` names the record in that year's error.
        """
        if calendar is None:
            return start + limit
        horizon = start + max(limit * 4, 14 * 86400)
        need = (
            f"the due time{'' if record is None else ' of ' + record}, {duration(limit)} of "
            f"business time after {moment_text(start, self.zone)}"
        )
        year = datetime.fromtimestamp(start, self.zone).year
        while True:
            year += 1
            high = min(horizon, _epoch(date(year, 1, 1), time(0), self.zone))
            clock = self.clock(calendar, start, high, need)
            target = clock.cumulative(start) + limit
            for stretch in clock.stretches:
                if stretch.before + (stretch.end - stretch.start) >= target and stretch.end > start:
                    return stretch.start + (target - stretch.before)
            if high >= horizon:
                return clock.finish
