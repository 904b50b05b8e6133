"""What the stored evidence covers: records per kind in the audit period, and the span of its times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .model import EvidenceKind, Pack
from .periods import Period, days_from


@dataclass(frozen=True)
class KindCoverage:
    kind: str
    stored: int
    #: records whose time falls in the period; None for kinds without a time field
    in_period: int | None
    first: float | None = None
    last: float | None = None
    #: records with no time the kind or a rule dates them by, so in no rule's period; None
    #: for kinds whose records no time places (see :func:`dating_fields`)
    untimed: int | None = None
    #: records whose time falls outside the period (not those with no value in the kind's
    #: time, which a rule may place by its own); None for kinds without a time field
    outside: int | None = None
    #: records one of the kind's dating fields (its time, or the one a rule dates them by)
    #: places in the period: what a rule may judge there; None for kinds no time places
    placed: int | None = None
    #: the earliest and latest moment one of the kind's dating fields holds in the period
    placed_first: float | None = None
    placed_last: float | None = None


@dataclass(frozen=True)
class Gap:
    """Days at the start or the end of the audit period with no record a rule judges."""

    edge: Literal["start", "end"]
    empty: Period  # the days with no record

    @property
    def evidence_day(self) -> date:
        """The day beside the empty ones: the evidence's first day after a gap at the start,
        its last day before a gap at the end."""
        if self.edge == "start":
            return self.empty.last + timedelta(days=1)
        return self.empty.first - timedelta(days=1)


def judged_kinds(pack: Pack) -> list[str]:
    """The kinds some rule judges (not those only looked up, such as training history)."""
    names = {rule.evidence for rule in pack.rules}
    return [name for name in pack.evidence if name in names]


def dating_fields(pack: Pack, kind: EvidenceKind) -> tuple[str, ...]:
    """The fields that place the kind's records in a period: its time field and the one each
    rule judging it scopes by; none when no rule judges its records, when one judges them
    whatever their time, or when a rule's measure looks them up (``matched``, ``fresh``, a
    duration's pauses: :meth:`Measure.other_kinds`), which may read them whatever their time."""
    times = [rule.time or kind.time for rule in pack.rules if rule.evidence == kind.name]
    looked_up = any(kind.name in rule.measure.other_kinds() for rule in pack.rules)
    if not times or None in times or looked_up:
        return ()
    return tuple(sorted({name for name in (kind.time, *times) if name}))


def kind_coverage(pack: Pack, store: Any, period: Period) -> dict[str, KindCoverage]:
    """For every kind of the pack: records stored, records whose time is in ``period`` and
    outside it, records in no period (with no time, see :func:`dating_fields`), records a
    dating field places in ``period`` and their time span.

    ``store`` is a backend (an audit passes the one that then evaluates, so each kind is
    scanned by that engine) or an evidence store, asked through the engine it names with a
    backend opened and closed here."""
    from .evaluate.driver import backend_for

    backend = backend_for(store)
    try:
        zone = ZoneInfo(pack.timezone)
        start, end = period.start(zone), period.end(zone)
        result = {}
        for kind in pack.evidence.values():
            summary = backend.time_summary(
                kind.name, kind.time, start, end, dating_fields(pack, kind)
            )
            stored, in_period, outside, untimed, placed, first, last, low, high = summary
            result[kind.name] = KindCoverage(
                kind.name, stored, in_period, first, last, untimed, outside, placed, low, high
            )
        return result
    finally:
        if backend is not store:  # opened here
            close = getattr(backend, "close", None)
            if close is not None:
                close()


def span_text(pack: Pack, coverage: dict[str, KindCoverage]) -> str | None:
    """``2010-08-01..2010-08-31``: the local dates of the first and last timed record judged."""
    judged = set(judged_kinds(pack))
    firsts = [c.first for c in coverage.values() if c.kind in judged and c.first is not None]
    lasts = [c.last for c in coverage.values() if c.kind in judged and c.last is not None]
    if not firsts or not lasts:
        return None
    zone = ZoneInfo(pack.timezone)
    return f"{_day(min(firsts), zone)}..{_day(max(lasts), zone)}"


def _day(moment: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(moment, zone).date()


def gap_threshold(period: Period) -> int:
    """The fewest empty days at an edge of ``period`` that :func:`evidence_gaps` tells of: a
    week, or a tenth of a shorter period (rounded up) when that is less, never under 3 days
    (a weekend is no gap): 7 for a quarter, 4 for a 31-day month, 3 for a week."""
    return max(3, min(7, -(-period.days // 10)))


def evidence_gaps(pack: Pack, period: Period, coverage: dict[str, KindCoverage]) -> list[Gap]:
    """The days before the first and after the last record placed in ``period`` of the kinds
    the rules judge, local days in the pack's zone, when at least :func:`gap_threshold`."""
    judged = set(judged_kinds(pack))
    placed = [c for c in coverage.values() if c.kind in judged]
    firsts = [c.placed_first for c in placed if c.placed_first is not None]
    lasts = [c.placed_last for c in placed if c.placed_last is not None]
    if not firsts or not lasts:  # nothing dated in the period: the audit stops or warns so
        return []
    zone = ZoneInfo(pack.timezone)
    first, last = _day(min(firsts), zone), _day(max(lasts), zone)
    one = timedelta(days=1)
    gaps = [
        Gap("start", days_from(period.first, first - one)),
        Gap("end", days_from(last + one, period.last)),
    ]
    least = gap_threshold(period)
    return [gap for gap in gaps if gap.empty.days >= least]
