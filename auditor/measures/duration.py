"""``duration``: the time from one timestamp to another, against a limit.

Wall time, or business time of a calendar; optionally net of pause intervals
read from another kind (a status history). Judged as of the period end: an end
after it has not happened yet, so a record open past its limit is breached and
one still within it is pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..business_time import cumulative_sql
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
        # As of the period end: an end after it means the record was still open then.
        end = f"(CASE WHEN t.{q(self.end)} IS NOT NULL AND t.{q(self.end)} <= {period_end} THEN t.{q(self.end)} END)"
        effective = f"COALESCE({end}, {period_end})"
        table = q(scope.batch.calendar_table(self.calendar)) if self.calendar else None
        elapsed = _span(table, start, effective)
        if self.pauses is not None and self.pauses.evidence in scope.batch.present:
            elapsed = f"({elapsed} - {self._pause_sql(scope, sql, start, effective, table)})"
        limit = sql.value(self.limit.seconds)
        outcome = (
            f"CASE WHEN {start} IS NULL THEN 'excluded:no start time' "
            f"WHEN {elapsed} < 0 THEN 'excluded:ends before it starts (data error)' "
            f"WHEN {end} IS NULL AND {elapsed} <= {limit} THEN 'pending' "
            f"WHEN {elapsed} <= {limit} THEN 'conform' ELSE 'breach' END"
        )
        return RecordSql(outcome, elapsed, f"CASE WHEN {end} IS NULL THEN '{OPEN_AT_END}' END")

    def notes(self, present: frozenset[str]) -> list[str]:
        """What the reader must know about how the figure was reached."""
        if self.pauses is not None and self.pauses.evidence not in present:
            return [
                f"no {self.pauses.evidence} evidence was ingested, so durations are not net of pauses"
            ]
        return []

    def _pause_sql(
        self, scope: Scope, sql: Sql, start: str, effective: str, table: str | None
    ) -> str:
        pauses = self.pauses
        assert pauses is not None
        other = scope.batch.pack.evidence[pauses.evidence]
        matches = " AND ".join(f"s.{q(theirs)} = t.{q(ours)}" for theirs, ours in pauses.match)
        p_start = f"s.{q(pauses.start)}"
        p_end = f"COALESCE(s.{q(pauses.end)}, {effective})"
        clip_start = f"(CASE WHEN {p_start} > {start} THEN {p_start} ELSE {start} END)"
        clip_end = f"(CASE WHEN {p_end} < {effective} THEN {p_end} ELSE {effective} END)"
        length = _span(table, clip_start, clip_end)
        extra = ""
        if pauses.where is not None:
            extra = " AND " + sql.expr(pauses.where, other, "s.")
        return (
            f"COALESCE((SELECT SUM({length}) FROM {q(other.name)} AS s WHERE {matches}{extra} "
            f"AND {p_start} < {effective} AND {p_end} > {start}), 0)"
        )


def _span(table: str | None, start: str, end: str) -> str:
    """Wall seconds, or open seconds of a calendar table, from ``start`` to ``end``."""
    if table is None:
        return f"({end} - {start})"
    return f"({cumulative_sql(table, end)} - {cumulative_sql(table, start)})"


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
