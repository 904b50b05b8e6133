"""Timestamps as service exports write them, turned into epoch seconds (UTC).

Accepted: ISO 8601 with or without an offset (``T`` or space, fractions, ``Z``),
``MM/DD/YYYY hh:mm[:ss] AM/PM``, ``YYYY/MM/DD HH:MM[:SS[.fff]]``, a year-first
date with ``hh:mm[:ss] AM/PM``, ``DD/MM/YYYY HH:MM`` when a mapping says so
(``format``), Chinese ``YYYY年MM月DD日 HH:MM[:SS]``, ``YYYY.MM.DD HH:MM[:SS]``,
date-only values, and Excel serial day numbers. A time in Chinese units (``15时20分30秒``,
``15点20分``) is read as ``15:20:30``, and a day of the week after the date (``星期二``,
``周二``, ``礼拜二``) is checked against it (:func:`weekday_problem`). Chinese ``上午``/``下午`` and the other words for a part of the
day (``凌晨``, ``早上``, ``中午``, ``晚上``...: :data:`DAY_PERIODS`), before or after a
12-hour time, are read as AM/PM when they go with its hour, and full-width digits and
separators (``１９９９／８／１ １０：０７``) as their ASCII forms: :func:`as_read`.

Numeric dates with the year last (``5/3/2016``, ``05.03.2016``, ``5-3-2016``)
are read day-first or month-first as one :class:`DayMonthOrder` decides for
the whole column, never value by value.

A value without an offset is local time in the given zone. A local time that
does not exist (clocks jump forward) is refused unless the caller chose
``forward`` (moved on by the length of the gap); one that happens twice (clocks
go back) is refused unless the caller chose the earlier or later reading. A
date alone means the start of its day: on a day whose midnight is skipped, the
first instant of the day that exists. :class:`LocalClock` counts the values it
moved (``moved``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from .errors import EvidenceError, Location

_EXCEL_EPOCH = datetime(1899, 12, 30)
_UTC = UTC

#: what to do about a value in no format the reader knows, in a file read through a mapping
#: (docs/evidence.md, mappings); a reader of other input gives its own (``advice``)
FORMAT_ADVICE = "give format: for this column in the mapping"
#: the letters a strptime format's % may stand before
STRPTIME_DIRECTIVES = "aAbBcdfGHIjmMpSuUVwWxXyYzZ%"


def format_problem(fmt: object) -> str | None:
    """What keeps ``fmt`` from being a strptime format (a % before a letter it does not
    know, a % at the end, not a text), or None when it is one."""
    if not isinstance(fmt, str) or not fmt:
        return 'is not a text such as "%d/%m/%Y %H:%M"'
    for directive in re.findall(r"%(.?)", fmt, flags=re.DOTALL):
        if not directive or directive not in STRPTIME_DIRECTIVES:
            return f"has '%{directive}', which is not a strptime directive"
    return None


def missing_date_parts(fmt: str) -> list[str]:
    """The parts of a date (year, month, day) a strptime format does not read, which strptime
    takes from 1 January 1900 for every value; none for a format that reads a whole date."""
    found = set(re.findall(r"%(.)", fmt, flags=re.DOTALL))
    if found & {"c", "x"}:
        return []
    parts = {"year": found & set("YyG"), "month": found & set("mbB"), "day": found & {"d"}}
    if "j" in found or (found & set("UWV") and found & set("aAwu")):  # day of year, of week
        parts["month"] = parts["day"] = {"j"}
    return [part for part, seen in parts.items() if not seen]


#: a 12-hour time of day after a date (上午/下午... are read as AM/PM: :func:`as_read`)
_TWELVE_HOUR = (" %I:%M:%S %p", " %I:%M %p")
#: strptime formats tried after ISO 8601, most common first
FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    *(
        day + clock
        for day in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d")
        for clock in _TWELVE_HOUR
    ),
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: a numeric date with the year last (5/3/2016, 05.03.2016, 5-3-2016), at the start of a value
_NUMERIC_DATE = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?!\d)")
_SEPARATORS = frozenset("/.-")
DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"
AMBIGUOUS = "ambiguous"
#: what may follow a numeric date, most common first
_NUMERIC_TIMES = (" %H:%M", " %H:%M:%S", *_TWELVE_HOUR, "", " %H:%M:%S.%f")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
#: full-width separators of a date or time (and the full-width space), and the ASCII ones
_WIDE_SEPARATORS = str.maketrans("：／－\u3000", ":/- ")
#: a decimal digit of any script (full-width ３), as int() and float() read them
_ANY_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class DayPeriod:
    """What a Chinese word for a part of the day means: its English, and the hours of the
    day (0-23) it names."""

    meaning: str
    hours: range

    @property
    def span(self) -> str:
        return f"{self.hours.start}:00-{self.hours.stop - 1}:59"


#: the Chinese words for a part of the day that exports write with a 12-hour time (上午/下午
#: as Chinese Excel and WPS write AM/PM), each with the hours it names
DAY_PERIODS = {
    "凌晨": DayPeriod("small hours", range(0, 6)),
    "早上": DayPeriod("morning", range(5, 12)),
    "早晨": DayPeriod("morning", range(5, 12)),
    "上午": DayPeriod("AM", range(0, 12)),
    "中午": DayPeriod("noon", range(11, 14)),
    "下午": DayPeriod("PM", range(12, 24)),
    "傍晚": DayPeriod("dusk", range(16, 21)),
    "晚上": DayPeriod("evening", range(17, 24)),
}
_PERIOD_WORD = "|".join(DAY_PERIODS)
#: a time of day written with Chinese units (15时20分, 15点20分30秒, 3点): read as 15:20
_CHINESE_CLOCK = re.compile(r"\s*(\d{1,2})\s*[时点]\s*(?:(\d{1,2})\s*分\s*(?:(\d{1,2})\s*秒)?)?")
#: the Chinese names of the days of the week, Monday (0) first, as after 星期, 周 or 礼拜
_WEEKDAY_NAMES = "一二三四五六日"
#: a day of the week written after a date (2024年3月5日 星期二 15:20, 2024/3/5（周二）)
_WEEKDAY = re.compile(r"(?<=[\d日])\s*[(（]?(星期|周|礼拜)([一二三四五六日天])[)）]?")
#: a character each of those words has, and one each clock with Chinese units has: a value
#: with none of them is not searched for them (most values of a column have none)
_WEEKDAY_MARKS = frozenset("期周拜")
_CLOCK_MARKS = frozenset("时点")
_CLOCK_12 = r"\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?"
#: a time of day with a part-of-day word before it (上午 10:07:11, 上午10:07:11), alone or
#: after a date with or without a space (1999/8/1下午6:42, as some exports join them)
_PERIOD_BEFORE = re.compile(rf"(?:(.*?)\s*)?({_PERIOD_WORD})\s*({_CLOCK_12})")
#: a time of day with a part-of-day word after it (10:07:11 上午)
_PERIOD_AFTER = re.compile(rf"(?:(.*?)\s*)?({_CLOCK_12})\s*({_PERIOD_WORD})")


def ascii_width(text: str) -> str:
    """``text`` with its full-width digits and separators (``１９９９／８／１``) in ASCII,
    every digit as int() and float() read it (the number reader's ``３０`` is 30), each
    character for one (the text keeps its length)."""
    if text.isascii():
        return text
    return _ANY_DIGIT.sub(lambda digit: str(int(digit[0])), text.translate(_WIDE_SEPARATORS))


def as_read(text: str) -> str:
    """``text`` (stripped) as the strptime formats read it: in ASCII width (:func:`ascii_width`),
    and with a Chinese part-of-day word (before or after the time) as AM/PM after it
    (``上午 10:07:11`` is ``10:07:11 AM``, ``中午 1:05`` ``1:05 PM``: :func:`_half_day`).
    Nothing else changes: a text these do not make a date or time is refused as it was, and
    so is a word that does not go with its hour (:func:`period_problem` says why)."""
    value = text.strip()
    if value.isascii():
        return value
    value = ascii_width(value)
    if not _WEEKDAY_MARKS.isdisjoint(value):
        value = _WEEKDAY.sub(" ", value).strip()
    if not _CLOCK_MARKS.isdisjoint(value):
        value = _CHINESE_CLOCK.sub(_colon_clock, value).strip()
    found = _period_time(value)
    if found is None:
        return value
    day, word, clock = found
    half = _half_day(word, clock)
    if half is None:
        return value
    if int(clock.split(":")[0]) == 0:  # 凌晨 0:30: the hour strptime's %I writes as 12
        clock = "12" + clock[clock.index(":") :]
    return f"{day} {clock} {half}" if day else f"{clock} {half}"


def _colon_clock(found: re.Match[str]) -> str:
    """A time with Chinese units (15时20分30秒) as H:MM[:SS], after a space."""
    hour, minute, second = found[1], found[2] or "0", found[3]
    return f" {hour}:{int(minute):02d}" + (f":{int(second):02d}" if second else "")


def written_weekday(text: str) -> tuple[str, int] | None:
    """(the words, Monday 0 to Sunday 6) of the day of the week written after the date in
    ``text`` (星期二, 周日, 礼拜天); None when it writes none."""
    if text.isascii() or _WEEKDAY_MARKS.isdisjoint(text):
        return None
    found = _WEEKDAY.search(ascii_width(text))
    if found is None:
        return None
    return found[1] + found[2], _WEEKDAY_NAMES.index("日" if found[2] == "天" else found[2])


def weekday_problem(text: str, day: date) -> str | None:
    """Why the day of the week written in ``text`` is not that of ``day``, the date it writes
    (2024年3月5日 星期三: 5 March 2024 is a Tuesday); None when it writes none, or the right one."""
    written = written_weekday(text)
    if written is None or written[1] == day.weekday():
        return None
    words, _ = written
    prefix = words[:-1]
    return (
        f"{words} is not the day of the week of {day.isoformat()}, a {day:%A} "
        f"({prefix}{_WEEKDAY_NAMES[day.weekday()]})"
    )


def _period_time(value: str) -> tuple[str, str, str] | None:
    """(the date before it or "", the part-of-day word, the time) of a value (in ASCII width)
    that writes a 12-hour time with a Chinese part-of-day word; None for any other."""
    before = _PERIOD_BEFORE.fullmatch(value)
    if before is not None:
        return before[1] or "", before[2], before[3]
    after = _PERIOD_AFTER.fullmatch(value)
    if after is not None:
        return after[1] or "", after[3], after[2]
    return None


def _half_day(word: str, clock: str) -> str | None:
    """AM or PM for a 12-hour ``clock`` written with part-of-day ``word``: the reading of its
    hour (h or h + 12) that falls in the hours the word names, hour 0 as itself (凌晨 0:30);
    None when the hour is over 12 or no reading falls there (晚上 3:00, 下午 0:30)."""
    hour = int(clock.split(":")[0])
    hours = DAY_PERIODS[word].hours
    if hour == 0:
        return "AM" if 0 in hours else None
    if hour > 12:
        return None
    if hour % 12 in hours:
        return "AM"
    return "PM" if hour % 12 + 12 in hours else None


def period_problem(text: str) -> str | None:
    """Why the Chinese part-of-day word in ``text`` does not go with the hour of its time
    (凌晨 9:00, 晚上 3:00, 上午 13:00); None when it has no such word, or the word goes."""
    found = _period_time(ascii_width(text.strip()))
    if found is None:
        return None
    _, word, clock = found
    if _half_day(word, clock) is not None:
        return None
    hour = int(clock.split(":")[0])
    if hour > 12:
        return f"{word} goes with a 12-hour time, whose hour is 0 to 12, not {hour}"
    period = DAY_PERIODS[word]
    return f"{word} ({period.meaning}, {period.span}) does not go with hour {hour}"


class TimeValueError(ValueError):
    """A text that is not a usable timestamp; the message says why."""


class SkippedTime(TimeValueError):
    """A local time inside a DST gap (it never happened on the clock)."""


#: how a mapping's ``dst`` may read: one policy, or forward with the choice for repeated times
DST_POLICIES = ("strict", "earlier", "later", "forward", "forward+earlier", "forward+later")


def dst_parts(dst: str) -> tuple[bool, str]:
    """(move gap times forward, what to do with a repeated time: strict/earlier/later)."""
    parts = dst.split("+")
    forward = "forward" in parts
    repeated = next((p for p in parts if p in ("earlier", "later")), "strict")
    return forward, repeated


def localize(naive: datetime, zone: ZoneInfo, dst: str = "strict") -> datetime:
    """Attach ``zone`` to a naive local time, refusing gaps and (if strict) overlaps."""
    return resolve(naive, zone, dst)[0]


def resolve(naive: datetime, zone: ZoneInfo, dst: str = "strict") -> tuple[datetime, bool]:
    """``naive`` in ``zone``, and whether it was moved forward out of a DST gap.

    With ``forward`` in ``dst`` a time inside a gap is moved on by the length of
    the gap (02:30 in a 02:00->03:00 gap is 03:30), as PostgreSQL, DuckDB and
    java.time do; otherwise it is refused.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, False
    forward, repeated = dst_parts(dst)
    # Round-tripping through UTC tells a gap from an overlap.
    back = first.astimezone(_UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        if forward:  # fold=0 reads it with the offset before the change: later by the gap
            return first.astimezone(_UTC).astimezone(zone), True
        raise SkippedTime(
            f"'{naive:%Y-%m-%d %H:%M:%S}' does not exist in {zone.key} (clocks jump forward); "
            "give the time with its UTC offset, or set dst: forward in the mapping"
        )
    if repeated == "earlier":
        return first, False
    if repeated == "later":
        return second, False
    raise TimeValueError(
        f"'{naive:%Y-%m-%d %H:%M:%S}' happens twice in {zone.key} (clocks go back); "
        "give the time with its UTC offset, or set dst: earlier or later in the mapping"
    )


def day_start(day: date, zone: ZoneInfo) -> tuple[datetime, bool]:
    """The first instant of ``day`` in ``zone``, and whether that is later than its midnight.

    Midnight, unless a DST change skips it (America/Sao_Paulo 2018-11-04, 00:00
    -> 01:00): then the first instant of the day that exists, found on the UTC
    time line (the change itself).
    """
    midnight = datetime.combine(day, datetime.min.time())
    first = midnight.replace(tzinfo=zone, fold=0)
    second = midnight.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, False
    back = first.astimezone(_UTC).astimezone(zone).replace(tzinfo=None)
    if back == midnight:  # a repeated midnight: the day starts at its first one
        return first, False
    # The change lies between midnight read with the offset after it and with the one before.
    low = int(second.timestamp())  # local time before midnight (the day before)
    high = int(first.timestamp())  # local time after midnight (on the day)
    while high - low > 1:
        middle = (low + high) // 2
        local = datetime.fromtimestamp(middle, zone).replace(tzinfo=None)
        if local >= midnight:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, zone), True


#: a value that is a date alone: digits and date separators, no time of day
_DATE_ALONE = re.compile(r"[\d/.\-年月日]+")


_NAIVE_EPOCH = datetime(1970, 1, 1)
#: each zone's UTC offset per local hour (hours since 1970 naive; None: the offset changes)
_ZONE_HOURS: dict[ZoneInfo, dict[int, float | None]] = {}


#: how far beyond its table of UTC offsets by hour :meth:`LocalClock.hour_offsets` widens it
#: for a batch (about two years)
HOUR_TABLE_REACH = 20_000


class LocalClock:
    """Local times of one zone to epoch seconds, fast.

    The UTC offset is worked out once per local hour and cached; hours in which
    the offset changes (DST gaps and overlaps) always take the careful path.
    """

    def __init__(self, zone: ZoneInfo, dst: str = "strict") -> None:
        self.zone = zone
        self.dst = dst
        self._offsets: dict[tuple[int, int, int, int], float | None] = {}
        self._by_hour = _ZONE_HOURS.setdefault(zone, {})
        #: :meth:`hour_offsets`' table: its first hour, and the offsets from there on
        self._hour_table: tuple[int, Any] | None = None
        #: values moved by a DST change: gap times (``dst: forward``) and skipped midnights
        self.moved = 0

    def epoch(self, moment: datetime) -> float:
        if moment.tzinfo is not None:
            return moment.timestamp()
        hour = (moment.year, moment.month, moment.day, moment.hour)
        offset = self._offsets.get(hour, -1.0)
        if offset == -1.0:
            offset = self._offsets[hour] = self._hour_offset(moment)
        if offset is None:
            aware, moved = resolve(moment, self.zone, self.dst)
            self.moved += moved
            return aware.timestamp()
        return (moment - _NAIVE_EPOCH).total_seconds() - offset

    def hour_offset(self, hour: int) -> float | None:
        """The UTC offset in seconds throughout the local hour starting ``hour`` hours after
        1970-01-01 00:00 (naive), or None for an hour in which the offset changes."""
        known = self._by_hour.get(hour, -1.0)
        if known != -1.0:
            return known
        try:  # an hour at the ends of the calendar (years 1 and 9999) has no offset here
            offset = self._hour_offset(_NAIVE_EPOCH + timedelta(hours=hour))
        except OverflowError:
            offset = None
        self._by_hour[hour] = offset
        return offset

    def hour_offsets(self, low: int, high: int) -> Any:
        """:meth:`hour_offset` of every hour from ``low`` to ``high`` (both included) as a
        numpy array, NaN for an hour in which the offset changes. A table of them is kept,
        and widened by the hours a batch asks for just beyond it (a day more, for the next
        batches of a file in time order), so that each hour is looked up once; hours far
        from it (a mistyped year) are looked up for that batch alone."""
        import numpy as np

        def looked_up(start: int, stop: int) -> Any:
            found = (self.hour_offset(hour) for hour in range(start, stop))
            return np.array([np.nan if o is None else o for o in found], dtype=np.float64)

        if self._hour_table is None:
            self._hour_table = (low, looked_up(low, high + 1))
        first, offsets = self._hour_table
        last = first + len(offsets)  # the first hour after the table
        if not (first - HOUR_TABLE_REACH <= low and high < last + HOUR_TABLE_REACH):
            return looked_up(low, high + 1)
        if low < first:
            offsets = np.concatenate([looked_up(low - 24, first), offsets])
            first = low - 24
        if high >= last:
            offsets = np.concatenate([offsets, looked_up(last, high + 25)])
        self._hour_table = (first, offsets)
        return offsets[low - first : high - first + 1]

    def day_epoch(self, day: date) -> float:
        """Epoch seconds of the first instant of ``day`` (see :func:`day_start`)."""
        start, moved = day_start(day, self.zone)
        self.moved += moved
        return start.timestamp()

    def date_epoch(self, moment: datetime) -> float:
        """:meth:`epoch` of a value that is a date alone: a skipped midnight starts the day later."""
        try:
            return self.epoch(moment)
        except SkippedTime:
            return self.day_epoch(moment.date())

    def _hour_offset(self, moment: datetime) -> float | None:
        start = moment.replace(minute=0, second=0, microsecond=0)
        offsets = set()
        for minute in (0, 59):
            for fold in (0, 1):
                probe = start.replace(
                    minute=minute, second=59 if minute else 0, tzinfo=self.zone, fold=fold
                )
                delta = probe.utcoffset()
                offsets.add(None if delta is None else delta.total_seconds())
        if len(offsets) != 1:
            return None
        # A gap also shows as a round trip that does not come back.
        back = (
            start.replace(tzinfo=self.zone)
            .astimezone(_UTC)
            .astimezone(self.zone)
            .replace(tzinfo=None)
        )
        if back != start:
            return None
        return offsets.pop()


def excel_serial(value: float) -> datetime:
    """A naive local datetime from an Excel serial day number (1900 date system; an int as
    read, so that a refusal quotes 20260813 as the line writes it, not 20260813.0), to the
    nearest millisecond as a workbook's date cell is read (a serial's 15 significant digits
    hold no finer time: 09:39:00 kept as 42430.40208333333 is not 09:38:59.999999)."""
    if not 20000 <= value <= 80000:
        raise TimeValueError(f"'{value}' is not a plausible Excel date serial (1954-2119)")
    day, fraction = divmod(value, 1)
    return _EXCEL_EPOCH + timedelta(days=day, milliseconds=round(fraction * 86_400_000))


def excel_day(value: Any) -> str | None:
    """The ISO day of an Excel serial day number (a workbook cell holding a number in the
    plausible range); None for anything else. A date column beside a time column may hold
    one: its day is taken, a fraction of a day left to the time column."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 20000 <= value <= 80000:
        return None
    return excel_serial(math.floor(value)).date().isoformat()


#: the forms a time of day alone is written in (a date + time field's time column)
TIME_FORMATS = tuple(clock.strip() for clock in _NUMERIC_TIMES if clock)


def time_of_day(text: str) -> time | None:
    """The time of day ``text`` writes (``0:00:00``, ``9:30``, ``9:30 PM``); None if it writes none."""
    value = as_read(text)
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).time()
        except ValueError:
            continue
    return None


def excel_time(value: Any) -> str | None:
    """``HH:MM:SS`` of an Excel time of day, a fraction of a day in [0, 1) (a time cell
    formatted as a number), to the nearest second; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        return None
    seconds = min(round(value * 86_400), 86_399)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class TimestampParser:
    """Parses one column's values; remembers which format worked last."""

    def __init__(
        self,
        zone: ZoneInfo,
        formats: tuple[str, ...] = (),
        dst: str = "strict",
        order: DayMonthOrder | None = None,
        advice: str = FORMAT_ADVICE,
    ) -> None:
        self.zone = zone
        self.dst = dst
        #: what to do about a value in no format known, as the input it comes from allows
        self.advice = advice
        self.clock = LocalClock(zone, dst)
        self.explicit = bool(formats)
        #: the column's day/month order; without one, d/m/yyyy dates are read month-first
        self.order = None if formats else order
        if formats:
            self.formats = formats
        elif order is not None:  # numeric day/month dates go through the column's order only
            self.formats = tuple(f for f in FORMATS if not f.startswith("%m/%d"))
        else:
            self.formats = FORMATS
        self._last: Callable[[str], datetime] | None = None
        self._numeric: dict[str, NumericDates] = {}
        #: epoch seconds at the start of each local hour seen (``YYYY-MM-DD HH``)
        self._hours: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        try:
            return self._epoch(text)
        except SkippedTime:
            if not _DATE_ALONE.fullmatch(as_read(text)):
                raise
            moment = self.naive_or_aware(text)
            if moment.tzinfo is not None or moment.time() != datetime.min.time():
                raise
            return self.clock.day_epoch(moment.date())

    def _epoch(self, text: str) -> float:
        if not self.explicit:
            if len(text) == 19 and text[13] == ":" and text[16] == ":" and text[4] == "-":
                base = self._hours.get(text[:13])
                if base is None:
                    base = self._hour_base(text[:13])
                if base is not None:
                    minute, second = text[14:16], text[17:19]
                    if minute.isdigit() and second.isdigit() and minute < "60" and second < "60":
                        return base + int(minute) * 60 + int(second)
            if text[4:5] != "-" and (text[2:3] in _SEPARATORS or text[1:2] in _SEPARATORS):
                return self.clock.epoch(self.naive_or_aware(text))  # d/m/yyyy is never ISO
            try:  # the next most common case, at C speed
                return self.clock.epoch(datetime.fromisoformat(text))
            except ValueError:
                pass
        return self.clock.epoch(self.naive_or_aware(text))

    def _hour_base(self, hour_text: str) -> float | None:
        """Epoch seconds of ``YYYY-MM-DD HH`` :00:00 local, or None (invalid, or a DST hour)."""
        try:
            start = datetime.fromisoformat(hour_text + ":00:00")
        except ValueError:
            return None
        if self.clock._hour_offset(start) is None:
            return None
        base = self.clock.epoch(start)
        self._hours[hour_text] = base
        return base

    def naive_or_aware(self, text: str) -> datetime:
        """The date and time ``text`` writes; refused when the day of the week written with it
        is not its date's (:func:`weekday_problem`)."""
        moment = self._read(text)
        problem = weekday_problem(text, moment.date())
        if problem is not None:
            raise TimeValueError(f"'{_short(text.strip())}' is not a valid date/time: {problem}")
        return moment

    def _read(self, text: str) -> datetime:
        value = as_read(text)
        if self.order is not None:
            numeric = _NUMERIC_DATE.match(value)
            if numeric is not None:
                return self._day_month(text.strip(), value, numeric)
        result = self._first_read(value)
        if result is None and self.explicit and value != text.strip():
            # a mapping's format may write the Chinese units or words itself (%H时%M分)
            result = self._first_read(ascii_width(text.strip()))
        if result is None:
            raise TimeValueError(self._why_not(text.strip(), value))
        return result

    def _first_read(self, value: str) -> datetime | None:
        """``value`` read by the reader that read the last value, else by the first that reads
        it (remembered); None when none does."""
        if self._last is not None:
            try:
                return self._last(value)
            except ValueError:
                pass
        for reader in self._readers():
            try:
                result = reader(value)
            except ValueError:
                continue
            self._last = reader
            return result
        return None

    def _day_month(self, written: str, value: str, numeric: re.Match[str]) -> datetime:
        """A d/m/yyyy or m/d/yyyy value (``written``, read as ``value``), read in the column's
        order (or refused until it is known)."""
        assert self.order is not None
        order = self.order.order
        if order is None:
            if day_month_kind(int(numeric[1]), int(numeric[3])) is not None:
                raise OrderUndecided(self.order, written)
            order = MONTH_FIRST  # equal parts or impossible either way: the order does not matter
        reader = self._numeric.get(order)
        if reader is None:
            reader = self._numeric[order] = NumericDates(order)
        try:
            return reader(value)
        except ValueError:
            raise TimeValueError(self._why_not(written, value)) from None

    def _readers(self) -> list[Callable[[str], datetime]]:
        readers: list[Callable[[str], datetime]] = []
        if not self.explicit:
            readers.append(_iso)
        readers.extend(_strptime(f) for f in self.formats)
        if not self.explicit:
            readers.append(_serial)
        return readers

    def _why_not(self, written: str, value: str) -> str:
        """Why ``written`` (read as ``value``: :func:`as_read`) is no timestamp."""
        if not value:
            return "empty timestamp"
        problem = period_problem(value)
        if problem is not None:
            return f"'{_short(written)}' is not a valid date/time: {problem}"
        if self.explicit:
            return f"'{_short(written)}' does not match the format {self.formats[0]}"
        if _has_known_shape(value):
            return f"'{_short(written)}' is not a valid date/time (impossible day, month or hour?)"
        return f"'{_short(written)}' is not a date/time in a known format; {self.advice}"


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _iso(value: str) -> datetime:
    if len(value) < 10 or value[4] != "-":
        raise ValueError("not ISO")
    return datetime.fromisoformat(value)


def _strptime(fmt: str) -> Callable[[str], datetime]:
    def read(value: str) -> datetime:
        return datetime.strptime(value, fmt)

    return read


def _serial(value: str) -> datetime:
    if not _NUMBER.match(value):
        raise ValueError("not a number")
    return excel_serial(float(value))


def parse_date(text: str, parser: TimestampParser | None = None) -> date:
    """A calendar day from ISO, slash or Chinese forms, or a timestamp at midnight.

    ``parser`` is the column's (with its format or day/month order); without
    one, d/m/yyyy is read month-first.
    """
    value = as_read(text)
    if parser is None:
        parser = TimestampParser(ZoneInfo("UTC"))
    if not parser.explicit and _DATE_ONLY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise TimeValueError(f"'{text.strip()}' is not a valid date") from None
    return parser.naive_or_aware(text).date()


# ------------------------------------------------------------ day/month order of a column


def day_month_kind(first: int, second: int) -> str | None:
    """What a numeric date's first two parts say about the order of its column.

    ``DAY_FIRST`` (13/3), ``MONTH_FIRST`` (3/13), ``AMBIGUOUS`` (5/3), or
    ``None`` when the order makes no difference: equal parts (5/5), or a date
    that is impossible either way (13/13, 0/5, 45/3).
    """
    if first == second or not (1 <= first <= 31 and 1 <= second <= 31):
        return None
    if first > 12:
        return DAY_FIRST if second <= 12 else None
    return MONTH_FIRST if second > 12 else AMBIGUOUS


#: the common layouts, read without strptime: d/m/yyyy [H:MM[:SS]]
_PLAIN_NUMERIC = re.compile(
    r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?: +(\d{1,2}):(\d\d)(?::(\d\d))?)?"
)


class NumericDates:
    """Reads numeric dates (5/3/2016 10:15) in one order; remembers the layout that worked last."""

    def __init__(self, order: str) -> None:
        self.day_first = order == DAY_FIRST
        first, second = ("%d", "%m") if self.day_first else ("%m", "%d")
        self.formats = tuple(
            f"{first}{sep}{second}{sep}%Y{clock}" for sep in "/.-" for clock in _NUMERIC_TIMES
        )
        self._last = self.formats[0]

    def __call__(self, value: str) -> datetime:
        plain = _PLAIN_NUMERIC.fullmatch(value)
        if plain is not None:  # what strptime would give, at a tenth of its cost
            first, second = int(plain[1]), int(plain[3])
            day, month = (first, second) if self.day_first else (second, first)
            hour, minute, second_ = plain[5], plain[6], plain[7]
            return datetime(
                int(plain[4]),
                month,
                day,
                int(hour) if hour else 0,
                int(minute) if minute else 0,
                int(second_) if second_ else 0,
            )
        try:
            return datetime.strptime(value, self._last)
        except ValueError:
            pass
        for fmt in self.formats:
            try:
                result = datetime.strptime(value, fmt)
            except ValueError:
                continue
            self._last = fmt
            return result
        raise ValueError(f"{value!r} is not a numeric date")


#: the pattern each directive of a known layout stands for in its shape: any number of
#: the digits strptime reads there, in or out of range (month 13, hour 25, second 75)
_SHAPE_OF_DIRECTIVE = {
    "Y": r"\d{4}",
    "m": r"\d{1,2}",
    "d": r"\d{1,2}",
    "H": r"\d{1,2}",
    "I": r"\d{1,2}",
    "M": r"\d{1,2}",
    "S": r"\d{1,2}",
    "f": r"\d{1,6}",
    "p": r"[AaPp][Mm]",
}


def layout_shape(fmt: str) -> str:
    """The regular expression of the texts written in the layout of strptime format ``fmt``:
    its separators (``/``, ``.``, ``年``...) where it has them, and digits as many as each
    directive reads, whatever their value (``%m`` matches 13)."""
    pieces = re.split(r"(%.|\s+)", fmt)
    return "".join(
        _SHAPE_OF_DIRECTIVE[piece[1]]
        if piece.startswith("%")
        else r"\s+"
        if piece.isspace()
        else re.escape(piece)
        for piece in pieces
    )


def shaped_layouts() -> list[str]:
    """The layouts read without a mapping's format (year first, Chinese units, 12-hour times,
    either order of day and month) whose every directive has a shape (a test holds each of
    them to have one, so a layout added with another directive is told there, not at import)."""
    layouts = (*FORMATS, *NumericDates(DAY_FIRST).formats, *NumericDates(MONTH_FIRST).formats)
    return [f for f in layouts if set(re.findall(r"%(.)", f)) <= _SHAPE_OF_DIRECTIVE.keys()]


@cache
def _known_shapes() -> re.Pattern[str]:
    """The texts written in one of :func:`shaped_layouts`, whatever their numbers; made on the
    first value not read, not when the module is imported."""
    return re.compile("|".join(f"(?:{layout_shape(fmt)})" for fmt in shaped_layouts()))


#: the start of an ISO 8601 date (its time may be written in any of its forms)
_ISO_START = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def _has_known_shape(value: str) -> bool:
    """Whether ``value`` (as :func:`as_read` gives it) is written in a layout the reader knows,
    so that not reading it means a number out of range (month 13, 30 February, hour 25), not
    a layout to give with ``format:``: an ISO or year-last numeric date at its start, or
    the whole value in one of :data:`FORMATS` or the numeric dates' layouts."""
    return bool(
        _ISO_START.match(value) or _NUMERIC_DATE.match(value) or _known_shapes().fullmatch(value)
    )


class OrderUndecided(Exception):
    """A d/m/yyyy value met before its column's order is known: the caller looks further."""

    def __init__(self, order: DayMonthOrder, value: str) -> None:
        super().__init__(value)
        self.order = order
        self.value = value


@dataclass(frozen=True)
class Sighting:
    """A value seen in a column, with the line it is on (``None`` when not known)."""

    value: str
    line: int | None

    def __str__(self) -> str:
        where = "" if self.line is None else f" (line {self.line})"
        return f"'{_short(self.value)}'{where}"


_PART = r"(?<![^\x00])\s*"  # the start of a value in texts joined with NUL
_DAY = r"(?:1[3-9]|2\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
#: values that can only be day-first, or only month-first
_SETTLES = {
    DAY_FIRST: re.compile(_PART + _DAY + r"([/.\-])" + _MONTH + r"\1\d{4}(?!\d)"),
    MONTH_FIRST: re.compile(_PART + _MONTH + r"([/.\-])" + _DAY + r"\1\d{4}(?!\d)"),
}
#: values that could be either (when the parts differ), with what follows the date
_EITHER = re.compile(_PART + r"(" + _MONTH + r")([/.\-])(" + _MONTH + r")\2\d{4}(?!\d)([^\x00]*)")
_AM_PM = re.compile(r"(?i)\b[ap]\.?m\.?\s*$")
EXAMPLES = 3
#: ambiguous values looked at in a batch for examples that differ
EXAMPLE_SEARCH = 256


class DayMonthOrder:
    """The order (day-first or month-first) of one column's numeric dates in one file.

    Decided once from the column's values: a value whose first part is over 12
    settles day-first, one whose second part is over 12 settles month-first.
    Both kinds in one column is an error for the file; so is a column whose
    values could all be either, AM/PM or not: the order is never taken by
    convention (a mapping or preset gives it with ``order:``).
    """

    def __init__(self, column: str, field: str, path: str, given: str | None = None) -> None:
        self.column = column
        self.field = field
        self.path = path
        #: the order the mapping gives (``order: day-first``), else decided from the values
        self.given = given
        self.order: str | None = given
        #: the batches of this column are searched (it has shown numeric dates, or its order
        #: was given and a value against it is to be found)
        self.active = given is not None
        self.seen: dict[str, Sighting] = {}
        self.ambiguous: list[Sighting] = []

    def observe(self, values: Sequence[Any], lines: Sequence[int]) -> None:
        """Learn from a batch of the column's raw values; raise on a contradiction."""
        text = ascii_width("\x00".join(v if v.__class__ is str else "" for v in values))
        if self.order is None:
            self._settle(text, values, lines)
        if self.order is not None:
            other = MONTH_FIRST if self.order == DAY_FIRST else DAY_FIRST
            found = _SETTLES[other].search(text)
            if found is not None:
                self.seen[other] = _sighting(found, text, values, lines)
                raise self.against_given() if self.given else self.contradiction()
        if self.seen or self.ambiguous:
            self.active = True

    def _settle(self, text: str, values: Sequence[Any], lines: Sequence[int]) -> None:
        for kind, pattern in _SETTLES.items():
            found = pattern.search(text)
            if found is not None:
                self.seen[kind] = _sighting(found, text, values, lines)
        if len(self.seen) == 2:
            raise self.contradiction()
        if self.seen:
            self.order = next(iter(self.seen))
            return
        for looked, found in enumerate(_EITHER.finditer(text)):
            if int(found[1]) == int(found[3]):
                continue
            # each example another value, compared before its line is found (by counting
            # the text before it)
            fresh = all(held.value != found[0].strip() for held in self.ambiguous)
            if len(self.ambiguous) < EXAMPLES and fresh:
                self.ambiguous.append(_sighting(found, text, values, lines))
            # enough examples, or enough values looked at for them (a column of one value
            # repeated has only one to give)
            if len(self.ambiguous) >= EXAMPLES or looked >= EXAMPLE_SEARCH:
                break

    def note(self, value: str) -> None:
        """An ambiguous value met where its line is not known."""
        if not self.ambiguous:
            self.ambiguous.append(Sighting(value, None))
        self.active = True

    @property
    def name(self) -> str:
        """The column, and the field it is read into when that has another name."""
        if self.column == self.field:
            return f"column '{self.column}'"
        return f"column '{self.column}' (field {self.field})"

    @property
    def needs_order(self) -> bool:
        return self.order is None and bool(self.ambiguous)

    @property
    def decided_by(self) -> Sighting | None:
        """The value that settled the order (None when the mapping gave it, or none did)."""
        return None if self.given or self.order is None else self.seen.get(self.order)

    def finish(self) -> None:
        """At the end of the file: refuse a column that no value settled (never a guess)."""
        if self.needs_order:
            raise self.undecidable()

    def contradiction(self) -> EvidenceError:
        day, month = self.seen[DAY_FIRST], self.seen[MONTH_FIRST]
        first = min((day, month), key=lambda s: s.line or 0)
        order = DAY_FIRST if first is day else MONTH_FIRST
        return EvidenceError(
            f"{self.name} mixes day-first and month-first dates: "
            f"{day} can only be day-first, {month} only month-first",
            location=Location(self.path),
            hint="one column cannot hold both orders; give format: in the mapping, e.g. "
            f'format: "{format_example(first.value, order)}" (values in the other order are '
            "then quarantined)",
        )

    def against_given(self) -> EvidenceError:
        other = MONTH_FIRST if self.given == DAY_FIRST else DAY_FIRST
        return EvidenceError(
            f"{self.name} is read {self.given} as the mapping says, but {self.seen[other]} "
            f"can only be {other}",
            location=Location(self.path),
            hint="one column cannot hold both orders; correct the mapping's order:, or give "
            "format: to quarantine the values in the other order",
        )

    def undecidable(self) -> EvidenceError:
        examples = ", ".join(str(s) for s in self.ambiguous)
        sample = self.ambiguous[0].value
        return EvidenceError(
            f"{self.name}: every date could be day-first or "
            f"month-first, e.g. {examples}, and none has a part over 12 to tell",
            location=Location(self.path),
            hint="give order: day-first or order: month-first for the field in the mapping "
            "(ISO dates in the column are read as well), or format:, e.g. "
            f'format: "{format_example(sample, DAY_FIRST)}" (day-first) or '
            f'"{format_example(sample, MONTH_FIRST)}" (month-first)',
        )


def _sighting(
    found: re.Match[str], text: str, values: Sequence[Any], lines: Sequence[int]
) -> Sighting:
    index = text.count("\x00", 0, found.start())
    return Sighting(str(values[index]).strip(), lines[index])


def format_example(value: str, order: str) -> str:
    """The strptime format of a numeric date like ``value`` in ``order``, e.g. %d/%m/%Y %H:%M."""
    value = as_read(value)
    numeric = _NUMERIC_DATE.match(value)
    if numeric is None:
        return "%d/%m/%Y %H:%M" if order == DAY_FIRST else "%m/%d/%Y %H:%M"
    sep = numeric[2]
    day_month = f"%d{sep}%m" if order == DAY_FIRST else f"%m{sep}%d"
    rest = value[numeric.end() :].strip()
    if not rest:
        return f"{day_month}{sep}%Y"
    twelve = _AM_PM.search(rest) is not None
    clock = "%I:%M" if twelve else "%H:%M"
    if rest.count(":") >= 2:
        clock += ":%S.%f" if re.search(r":\d+\.\d", rest) else ":%S"
    return f"{day_month}{sep}%Y {clock}" + (" %p" if twelve else "")
