"""``duration``: the time from one timestamp to another, against a limit.

Wall time, or business time of a calendar; optionally net of pause intervals
read from another kind (a status history). Judged as of the period end: an end
after it has not happened yet, so a record open past its limit is breached and
one still within it is pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..business_time import CalendarTable
from ..expression import Expr
from ..expression import quote_identifier as q
from ..units import Duration
from . import register
from .base import RecordMeasure, RecordSql
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap

#: the note of a duration whose end had not happened by the period end
OPEN_AT_END = "open at period end"
#: how far before the period a record may start and still be judged in it (for the clock's span)
LOOKBACK_SECONDS = 366 * 86400


@dataclass(frozen=True)
class Pauses:
    """Intervals subtracted from a duration, read from another evidence kind."""

    evidence: str
    match: tuple[tuple[str, str], ...]  # (field in pause kind, field in rule kind)
    start: str
    end: str
    where: Expr | None = None


@register
@dataclass(frozen=True)
class DurationMeasure(RecordMeasure):
    start: str
    end: str
    limit: Duration
    calendar: str | None = None
    pauses: Pauses | None = None
    name: ClassVar[str] = "duration"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "期末未关闭:结束时间晚于审核期间末或缺失的记录,按至期末已用时长判定;已超时限者为不符合,未超时限者为待定。",
        "en": "not closed by period end: a record whose end is missing or after the period end is judged on the time elapsed up to the period end; past its limit it is breached, otherwise pending.",
    }
    live_rule: ClassVar[str | None] = "auditor.live.duration:DurationRule"

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> DurationMeasure | None:
        spec = measure_map(raw, key, ctx, ("from", "to", "max", "calendar", "pauses"))
        if spec is None:
            return None
        start = ctx.field(spec, "from", ("timestamp", "date"))
        end = ctx.field(spec, "to", ("timestamp", "date"))
        limit = ctx.duration(spec, "max") if "max" in spec else None
        if "max" not in spec:
            ctx.error("duration measure needs 'max', e.g. max: 30s", spec.start)
        calendar = ctx.calendar(spec)
        pauses = _read_pauses(spec, ctx) if "pauses" in spec else None
        if start is None or end is None or limit is None:
            return None
        return cls(start, end, limit, calendar, pauses)

    def default_time(self) -> str | None:
        return self.start

    def fields(self) -> list[str]:
        return [self.start, self.end]

    def clock_spans(self, kind: EvidenceKind) -> list[tuple[str, tuple[str, ...], float | None]]:
        if self.calendar is None:
            return []
        return [(kind.name, (self.start, self.end), LOOKBACK_SECONDS)]

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "business-seconds" if self.calendar else "seconds"

    # ------------------------------------------------------------ SQL

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        start = f"t.{q(self.start)}"
        period_end = sql.value(scope.batch.window.end)
        end, effective = self._end_sql("t", period_end)
        table = scope.batch.calendar_table(self.calendar) if self.calendar else None
        span = _span(table, start, effective)
        if self.pauses is not None and self.pauses.evidence in scope.batch.present:
            paused = self._pause_sql(scope, sql, period_end, table)
            span = f"({span} - {paused})"
        elapsed = "t._elapsed"  # worked out once per record (see RecordSql.computed)
        limit = sql.value(self.limit.seconds)
        outcome = (
            f"CASE WHEN {start} IS NULL THEN 'excluded:no start time' "
            f"WHEN {elapsed} < 0 THEN 'excluded:ends before it starts (data error)' "
            f"WHEN {end} IS NULL AND {elapsed} <= {limit} THEN 'pending' "
            f"WHEN {elapsed} <= {limit} THEN 'conform' ELSE 'breach' END"
        )
        return RecordSql(
            outcome,
            elapsed,
            f"CASE WHEN {end} IS NULL THEN '{OPEN_AT_END}' END",
            (("_elapsed", span),),
        )

    def _end_sql(self, alias: str, period_end: str) -> tuple[str, str]:
        """The record's end as of the period end (NULL while open), and the moment it is judged at."""
        column = f"{alias}.{q(self.end)}"
        # As of the period end: an end after it means the record was still open then.
        end = f"(CASE WHEN {column} IS NOT NULL AND {column} <= {period_end} THEN {column} END)"
        return end, f"COALESCE({end}, {period_end})"

    def notes(self, present: frozenset[str]) -> list[str]:
        """What the reader must know about how the figure was reached."""
        if self.pauses is not None and self.pauses.evidence not in present:
            return [
                f"no {self.pauses.evidence} evidence was ingested, so durations are not net of pauses"
            ]
        return []

    def _pause_sql(
        self, scope: Scope, sql: Sql, period_end: str, table: CalendarTable | None
    ) -> str:
        """The paused time of the record ``t``: its pauses, clipped to its span, summed.

        Written without nested correlation, so that every engine (Spark too)
        runs it: one uncorrelated query totals the pauses of each distinct
        (match keys, start, judged-at moment) of the kind, joining the pauses
        and, for business time, the calendar's open stretches each clipped pause
        overlaps; the record looks its total up by those values.
        """
        pauses = self.pauses
        assert pauses is not None
        other = scope.batch.pack.evidence[pauses.evidence]
        ours = list(dict.fromkeys(field for _, field in pauses.match))
        _, r_effective = self._end_sql("r", period_end)
        keys = ", ".join(f"r.{q(field)} AS _k{i}" for i, field in enumerate(ours))
        spans = (
            f"SELECT DISTINCT {keys}, r.{q(self.start)} AS _start, {r_effective} AS _end "
            f"FROM {q(scope.kind.name)} AS r"
        )
        matches = " AND ".join(
            f"s.{q(theirs)} = r._k{ours.index(field)}" for theirs, field in pauses.match
        )
        p_start = f"s.{q(pauses.start)}"
        p_end = f"COALESCE(s.{q(pauses.end)}, r._end)"
        clip_start = _later(p_start, "r._start")
        clip_end = _earlier(p_end, "r._end")
        if table is None:
            length, stretches = f"({clip_end} - {clip_start})", ""
        else:  # the open seconds of each stretch the clipped pause overlaps
            stretch_end = 'c."end"'
            length = f"({_earlier(stretch_end, clip_end)} - {_later('c.start', clip_start)})"
            stretches = (
                f' JOIN {q(table.name)} AS c ON c.start < {clip_end} AND c."end" > {clip_start}'
            )
        extra = "" if pauses.where is None else " AND " + sql.expr(pauses.where, other, "s.")
        group = ", ".join([*(f"r._k{i}" for i in range(len(ours))), "r._start", "r._end"])
        totals = (
            f"SELECT {group}, SUM({length}) AS _paused FROM ({spans}) AS r "
            f"JOIN {q(other.name)} AS s ON {matches}{extra} "
            f"AND {p_start} < r._end AND {p_end} > r._start{stretches} GROUP BY {group}"
        )
        _, effective = self._end_sql("t", period_end)
        lookup = " AND ".join(
            [
                *(f"z._k{i} = t.{q(field)}" for i, field in enumerate(ours)),
                f"z._start = t.{q(self.start)}",
                f"z._end = {effective}",
            ]
        )
        return f"COALESCE((SELECT SUM(z._paused) FROM ({totals}) AS z WHERE {lookup}), 0)"


def _later(a: str, b: str) -> str:
    return f"(CASE WHEN {a} > {b} THEN {a} ELSE {b} END)"


def _earlier(a: str, b: str) -> str:
    return f"(CASE WHEN {a} < {b} THEN {a} ELSE {b} END)"


def _span(table: CalendarTable | None, start: str, end: str) -> str:
    """Wall seconds, or open seconds of a calendar table, from ``start`` to ``end``."""
    if table is None:
        return f"({end} - {start})"
    return f"({table.cumulative_sql(end)} - {table.cumulative_sql(start)})"


def _read_pauses(spec: YamlMap, ctx: RuleContext) -> Pauses | None:
    raw = measure_map(spec, "pauses", ctx, ("evidence", "match", "from", "to", "where"))
    if raw is None:
        return None
    other = ctx.other_kind(raw, "evidence")
    pairs = ctx.match(raw, other)
    start = ctx.field(raw, "from", ("timestamp",), other)
    end = ctx.field(raw, "to", ("timestamp",), other)
    where = ctx.expression(raw, "where", other) if "where" in raw else None
    if other is None or start is None or end is None:
        return None
    return Pauses(other.name, pairs, start, end, where)
