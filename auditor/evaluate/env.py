"""What compiling a rule may know: the audit window, the kinds present, the helper tables built.

Everything here is plain data worked out by the driver before compiling, so
that composing a rule's SQL never touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..business_time import CalendarTable
from ..model import Pack
from ..periods import Period


@dataclass(frozen=True)
class Window:
    """The audit period as epoch seconds in the pack's zone: records with start <= t < end."""

    period: Period
    zone: ZoneInfo
    start: float
    end: float

    @classmethod
    def of(cls, period: Period, zone: ZoneInfo) -> Window:
        return cls(period, zone, period.start(zone), period.end(zone))


@dataclass(frozen=True)
class Env:
    pack: Pack
    window: Window
    #: evidence kinds holding at least one record
    present: frozenset[str] = frozenset()
    #: calendar name -> helper table of its business stretches, covering every moment a rule needs
    calendars: dict[str, CalendarTable] = field(default_factory=dict)
    #: kind -> field -> manifest ids of the files that had no column for it
    no_column: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict)

    def calendar_table(self, name: str) -> CalendarTable:
        return self.calendars[name]


def files_without_column(
    pack: Pack, columns_read: dict[int, tuple[str, frozenset[str]]]
) -> dict[str, dict[str, tuple[int, ...]]]:
    """Kind -> field -> manifest ids of the files of that kind that gave the field no column
    (``columns_read``: each file's kind and the fields it gave a column)."""
    lacking: dict[str, dict[str, list[int]]] = {}
    for source, (kind_name, read) in sorted(columns_read.items()):
        kind = pack.evidence.get(kind_name)
        for name in kind.fields if kind else ():
            if name not in read:
                lacking.setdefault(kind_name, {}).setdefault(name, []).append(source)
    return {k: {f: tuple(ids) for f, ids in fields.items()} for k, fields in lacking.items()}
