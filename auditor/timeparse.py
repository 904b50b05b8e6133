"""Timestamps as service exports write them, turned into epoch seconds (UTC).

Accepted: ISO 8601 with or without an offset (``T`` or space, fractions, ``Z``),
``MM/DD/YYYY hh:mm[:ss] AM/PM``, ``YYYY/MM/DD HH:MM[:SS[.fff]]``,
``DD/MM/YYYY HH:MM`` when a mapping says so (``format``), Chinese
``YYYY年MM月DD日 HH:MM[:SS]``, date-only values, and Excel serial day numbers.
A value without an offset is local time in the given zone. A local time that
does not exist (clocks jump forward) is refused; one that happens twice (clocks
go back) is refused unless the caller chose the earlier or later reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_EXCEL_EPOCH = datetime(1899, 12, 30)
_UTC = UTC

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
    "%Y.%m.%d",
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


class TimeValueError(ValueError):
    """A text that is not a usable timestamp; the message says why."""


def localize(naive: datetime, zone: ZoneInfo, dst: str = "strict") -> datetime:
    """Attach ``zone`` to a naive local time, refusing gaps and (if strict) overlaps."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # Round-tripping through UTC tells a gap from an overlap.
    back = first.astimezone(_UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        raise TimeValueError(
            f"{naive:%Y-%m-%d %H:%M:%S} does not exist in {zone.key} (clocks jump forward); "
            "give the time with its UTC offset"
        )
    if dst == "earlier":
        return first
    if dst == "later":
        return second
    raise TimeValueError(
        f"{naive:%Y-%m-%d %H:%M:%S} happens twice in {zone.key} (clocks go back); "
        "give the time with its UTC offset, or set dst: earlier or later in the mapping"
    )


def to_epoch(moment: datetime, zone: ZoneInfo, dst: str = "strict") -> float:
    if moment.tzinfo is None:
        moment = localize(moment, zone, dst)
    return moment.timestamp()


_NAIVE_EPOCH = datetime(1970, 1, 1)


class LocalClock:
    """Local times of one zone to epoch seconds, fast.

    The UTC offset is worked out once per local hour and cached; hours in which
    the offset changes (DST gaps and overlaps) always take the careful path.
    """

    def __init__(self, zone: ZoneInfo, dst: str = "strict") -> None:
        self.zone = zone
        self.dst = dst
        self._offsets: dict[tuple[int, int, int, int], float | None] = {}

    def epoch(self, moment: datetime) -> float:
        if moment.tzinfo is not None:
            return moment.timestamp()
        hour = (moment.year, moment.month, moment.day, moment.hour)
        offset = self._offsets.get(hour, -1.0)
        if offset == -1.0:
            offset = self._offsets[hour] = self._hour_offset(moment)
        if offset is None:
            return localize(moment, self.zone, self.dst).timestamp()
        return (moment - _NAIVE_EPOCH).total_seconds() - offset

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
    """A naive local datetime from an Excel serial day number (1900 date system)."""
    if not 20000 <= value <= 80000:
        raise TimeValueError(f"{value} is not a plausible Excel date serial (1954-2119)")
    return _EXCEL_EPOCH + timedelta(days=value)


class TimestampParser:
    """Parses one column's values; remembers which format worked last."""

    def __init__(self, zone: ZoneInfo, formats: tuple[str, ...] = (), dst: str = "strict") -> None:
        self.zone = zone
        self.dst = dst
        self.clock = LocalClock(zone, dst)
        self.formats = formats or FORMATS
        self.explicit = bool(formats)
        self._last: Callable[[str], datetime] | None = None
        #: epoch seconds at the start of each local hour seen (``YYYY-MM-DD HH``)
        self._hours: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        if not self.explicit:
            if len(text) == 19 and text[13] == ":" and text[16] == ":":
                base = self._hours.get(text[:13])
                if base is None:
                    base = self._hour_base(text[:13])
                if base is not None:
                    minute, second = text[14:16], text[17:19]
                    if minute.isdigit() and second.isdigit() and minute < "60" and second < "60":
                        return base + int(minute) * 60 + int(second)
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
        value = text.strip()
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
        raise TimeValueError(self._why_not(value))

    def _readers(self) -> list[Callable[[str], datetime]]:
        readers: list[Callable[[str], datetime]] = []
        if not self.explicit:
            readers.append(_iso)
        readers.extend(_strptime(f) for f in self.formats)
        if not self.explicit:
            readers.append(_serial)
        return readers

    def _why_not(self, value: str) -> str:
        if not value:
            return "empty timestamp"
        if self.explicit:
            return f"'{_short(value)}' does not match the format {self.formats[0]}"
        if re.match(r"^\d{4}-\d{1,2}-\d{1,2}", value) or re.match(r"^\d{1,2}/\d{1,2}/\d{4}", value):
            return f"'{_short(value)}' is not a valid date/time (impossible day, month or hour?)"
        return f"'{_short(value)}' is not a date/time in a known format"


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


def parse_date(text: str) -> date:
    """A calendar day from ISO, slash or Chinese forms, or a timestamp at midnight."""
    value = text.strip()
    if _DATE_ONLY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise TimeValueError(f"'{value}' is not a valid date") from None
    parser = TimestampParser(ZoneInfo("UTC"))
    moment = parser.naive_or_aware(value)
    return moment.date()
