"""``duration``: the time from one timestamp to another, against a limit.

Wall time, or business time of a calendar; optionally net of pause intervals
read from another kind (a status history). Judged as of the period end: an end
after it has not happened yet, so a record open past its limit is breached and
one still within it is pending.

``ended`` names a field marking that the record ended without reaching its end
(a call the caller hung up before it was answered): a record with no end but
with that field set (by the period end) never reached its end. It is breached,
whatever its length, and its duration runs from its start to when it ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..business_time import CalendarTable
from ..expression import Expr
from ..expression import quote_identifier as q
from ..units import Duration
from . import register
from .base import FieldsElsewhere, RecordMeasure, RecordSql
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind, Pack
    from ..sourcemap import YamlMap

#: the note of a duration whose end had not happened by the period end
OPEN_AT_END = "open at period end"
#: the note's problem of a record that ended (its ``ended`` field) without reaching its end;
#: the note's step names the end it did not reach (``answered_at: ended without reaching``)
ENDED_UNREACHED = "ended without reaching"
#: the exclusion of a record one of whose pauses, within its span, ends before it starts
REVERSED_PAUSE = "a pause of it ends before it starts (data error)"
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
    #: the field marking that the record ended without reaching ``end``, if any
    ended: str | None = None
    name: ClassVar[str] = "duration"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "期末前未到结束时间:结束时间晚于审核期间末或缺失的记录,按至期末已用时长判定;已超时限者为不符合,未超时限者为待定。"
        "规则指定了结束时间字段的,未到达终点、但在期末前已结束的记录(如来电者挂断的未接通来电)为不符合,时长计至其结束时刻。"
        "规则扣除暂停的,各暂停截取至记录时段内、重叠部分只扣一次;没有结束时间的暂停计至记录结束。",
        "en": "end not reached by the period end: a record whose end is missing or after the period end is judged on the time elapsed up to the period end; past its limit it is breached, otherwise pending. "
        "In a rule with an ended field, a record that ended by the period end without reaching its end (a call hung up before it was answered) is breached, its duration counted up to when it ended. "
        "In a rule with pauses, each pause is cut to the record's span and overlapping pauses count once; a pause with no end lasts until the record ends.",
    }
    live_rule: ClassVar[str | None] = "auditor.live.duration:DurationRule"

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> DurationMeasure | None:
        spec = measure_map(raw, key, ctx, ("from", "to", "max", "ended", "calendar", "pauses"))
        if spec is None:
            return None
        start = ctx.field(spec, "from", ("timestamp", "date"))
        end = ctx.field(spec, "to", ("timestamp", "date"))
        ended = _read_ended(spec, ctx, end) if "ended" in spec else None
        limit = ctx.duration(spec, "max") if "max" in spec else None
        if "max" not in spec:
            ctx.error("duration measure needs 'max', e.g. max: 30s", spec.start)
        calendar = ctx.calendar(spec)
        pauses = _read_pauses(spec, ctx) if "pauses" in spec else None
        if start is None or end is None or limit is None:
            return None
        if "ended" in spec and ended is None:
            return None
        return cls(start, end, limit, calendar, pauses, ended)

    def default_time(self) -> str | None:
        return self.start

    def fields(self) -> list[str]:
        # not ``ended``: a rule is not unjudgeable because no record in scope ended unreached
        return [self.start, self.end]

    def clock_spans(self, kind: EvidenceKind) -> list[tuple[str, tuple[str, ...], float | None]]:
        if self.calendar is None:
            return []
        fields = (
            (self.start, self.end) if self.ended is None else (self.start, self.end, self.ended)
        )
        return [(kind.name, fields, LOOKBACK_SECONDS)]

    def not_live(self, pack: Pack) -> str | None:
        """Net of pauses: they are records of another kind, which a stream may bring at any
        time after the record, so no moment of the stream makes a breach certain."""
        if self.pauses is None:
            return None
        return (
            f"its durations are net of pauses read from {self.pauses.evidence}, which may "
            "arrive at any time after the record, so no moment of the stream makes a breach certain"
        )

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "business-seconds" if self.calendar else "seconds"

    # ------------------------------------------------------------ SQL

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        start = f"t.{q(self.start)}"
        period_end = sql.value(scope.batch.window.end)
        end, ended, effective = self._end_sql("t", period_end)
        table = scope.batch.calendar_table(self.calendar) if self.calendar else None
        span = _span(table, start, effective)
        computed = []
        if self.pauses is not None and self.pauses.evidence in scope.batch.present:
            paused, reversed_pauses = self._pause_sql(scope, sql, period_end, table)
            span = f"({span} - {paused})"
            computed.append(("_reversed", reversed_pauses))
        elapsed = "t._elapsed"  # worked out once per record (see RecordSql.computed)
        limit = sql.value(self.limit.seconds)
        # ended without reaching its end (by the period end): breached, whatever its length
        unreached = None if ended is None else f"{end} IS NULL AND {ended} IS NOT NULL"
        outcome = (
            f"CASE WHEN {start} IS NULL THEN 'excluded:no start time' "
            # on the moments themselves: a calendar's clock reads 0 for a span in closed hours
            f"WHEN {effective} < {start} OR {elapsed} < 0 "
            "THEN 'excluded:ends before it starts (data error)' "
            + ("" if not computed else f"WHEN t._reversed > 0 THEN 'excluded:{REVERSED_PAUSE}' ")
            + ("" if unreached is None else f"WHEN {unreached} THEN 'breach' ")
            + f"WHEN {end} IS NULL AND {elapsed} <= {limit} THEN 'pending' "
            f"WHEN {elapsed} <= {limit} THEN 'conform' ELSE 'breach' END"
        )
        note = (
            "" if unreached is None else f"WHEN {unreached} THEN '{self.end}: {ENDED_UNREACHED}' "
        )
        return RecordSql(
            outcome,
            elapsed,
            f"CASE {note}WHEN {end} IS NULL THEN '{self.end}: {OPEN_AT_END}' END",
            (("_elapsed", span), *computed),
        )

    def _end_sql(self, alias: str, period_end: str) -> tuple[str, str | None, str]:
        """The record's end as of the period end (NULL while open), when it ended without
        reaching it (NULL when it did not, or not by the period end; None without ``ended``),
        and the moment it is judged at: its end, else when it ended, else the period end."""
        end = _by(f"{alias}.{q(self.end)}", period_end)
        if self.ended is None:
            return end, None, f"COALESCE({end}, {period_end})"
        # As of the period end: ended after it, the record was still open then.
        ended = _by(f"{alias}.{q(self.ended)}", period_end)
        return end, ended, f"COALESCE({end}, {ended}, {period_end})"

    def fields_elsewhere(self) -> list[FieldsElsewhere]:
        if self.pauses is None:
            return []
        pauses = self.pauses
        return [FieldsElsewhere(pauses.evidence, (pauses.start, pauses.end), pauses.where)]

    def notes(self, present: frozenset[str]) -> list[str]:
        """What the reader must know about how the figure was reached."""
        if self.pauses is not None and self.pauses.evidence not in present:
            return [
                f"no {self.pauses.evidence} evidence was ingested, so durations are not net of pauses"
            ]
        return []

    def _pause_sql(
        self, scope: Scope, sql: Sql, period_end: str, table: CalendarTable | None
    ) -> tuple[str, str]:
        """The paused time of the record ``t``: its pauses, clipped to its span, merged where
        they overlap (no moment subtracted twice), in the rule's clock; and the number of its
        pauses that end before they start within its span (a data error: the record is
        excluded, as one that ends before it starts is).

        Written without nested correlation, so that every engine (Spark too)
        runs it: one uncorrelated query totals the pauses of each distinct
        (match keys, start, judged-at moment) of the kind: the clipped pauses
        swept in order of start, each keeping only what reaches beyond every
        earlier one (as ``availability`` merges outages), then, for business
        time, joined to the calendar's open stretches each piece overlaps; the
        record looks its total up by those values.
        """
        pauses = self.pauses
        assert pauses is not None
        other = scope.batch.pack.evidence[pauses.evidence]
        ours = list(dict.fromkeys(field for _, field in pauses.match))
        _, _, r_effective = self._end_sql("r", period_end)
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
        extra = "" if pauses.where is None else " AND " + sql.expr(pauses.where, other, "s.")
        names = [*(f"_k{i}" for i in range(len(ours))), "_start", "_end"]
        group = ", ".join(names)
        joined = f"FROM ({spans}) AS r JOIN {q(other.name)} AS s ON {matches}{extra}"
        clipped = (
            f"SELECT r.*, {_later(p_start, 'r._start')} AS _ps, {_earlier(p_end, 'r._end')} AS _pe "
            f"{joined} AND {p_start} < r._end AND {p_end} > r._start"
        )
        totals = _paused_totals(_union_pieces(clipped, group), names, table)
        backwards = (  # [end, start] of a pause that ends before it starts, within the span
            f"SELECT {group}, COUNT(*) AS _reversed {joined} AND s.{q(pauses.end)} < {p_start} "
            f"AND s.{q(pauses.end)} < r._end AND {p_start} > r._start GROUP BY {group}"
        )
        _, _, effective = self._end_sql("t", period_end)
        lookup = " AND ".join(
            [
                *(f"z._k{i} = t.{q(field)}" for i, field in enumerate(ours)),
                f"z._start = t.{q(self.start)}",
                f"z._end = {effective}",
            ]
        )
        return (
            f"COALESCE((SELECT SUM(z._paused) FROM ({totals}) AS z WHERE {lookup}), 0)",
            f"COALESCE((SELECT SUM(z._reversed) FROM ({backwards}) AS z WHERE {lookup}), 0)",
        )


def _paused_totals(pieces: str, names: list[str], table: CalendarTable | None) -> str:
    """The length of the disjoint ``pieces`` of each (``names``) record span, in wall seconds
    or, with a calendar ``table``, the open seconds of each stretch a piece overlaps."""
    if table is None:
        length, stretches = "(m._hi - m._lo)", ""
    else:
        stretch_end = 'c."end"'
        length = f"({_earlier(stretch_end, 'm._hi')} - {_later('c.start', 'm._lo')})"
        stretches = f" JOIN {q(table.name)} AS c ON c.start < m._hi AND {stretch_end} > m._lo"
    m_group = ", ".join(f"m.{name}" for name in names)
    return (
        f"SELECT {m_group}, SUM({length}) AS _paused FROM ({pieces}) AS m{stretches} "
        f"GROUP BY {m_group}"
    )


def _union_pieces(clipped: str, group: str) -> str:
    """The intervals ``_ps``-``_pe`` of ``clipped`` as disjoint pieces ``_lo``-``_hi`` covering
    their union, per ``group``: swept in order of start, each from where the earlier ones
    stopped (the furthest end before it), so that no moment is in two pieces."""
    swept = (
        f"SELECT p.*, MAX(_pe) OVER (PARTITION BY {group} ORDER BY _ps, _pe "
        f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS _reach FROM ({clipped}) AS p"
    )
    low = "(CASE WHEN _reach > _ps THEN _reach ELSE _ps END)"
    return (
        f"SELECT {group}, {low} AS _lo, _pe AS _hi FROM ({swept}) AS w "
        "WHERE _reach IS NULL OR _pe > _reach"
    )


def _by(column: str, period_end: str) -> str:
    """A moment as of the period end: NULL when it is after it (it had not happened then)."""
    return f"(CASE WHEN {column} IS NOT NULL AND {column} <= {period_end} THEN {column} END)"


def _later(a: str, b: str) -> str:
    return f"(CASE WHEN {a} > {b} THEN {a} ELSE {b} END)"


def _earlier(a: str, b: str) -> str:
    return f"(CASE WHEN {a} < {b} THEN {a} ELSE {b} END)"


def _span(table: CalendarTable | None, start: str, end: str) -> str:
    """Wall seconds, or open seconds of a calendar table, from ``start`` to ``end``."""
    if table is None:
        return f"({end} - {start})"
    return f"({table.cumulative_sql(end)} - {table.cumulative_sql(start)})"


def _read_ended(spec: YamlMap, ctx: RuleContext, end: str | None) -> str | None:
    """The ``ended`` field: a timestamp or date of the rule's kind, like ``to``, other than it."""
    ended = ctx.field(spec, "ended", ("timestamp", "date"))
    if ended is None or end is None or ctx.kind is None:
        return ended
    if ended == end:
        ctx.error(
            f"'ended' names '{ended}', the field 'to' reads; it must name the field marking "
            "that a record ended without reaching it, e.g. ended: ended_at",
            spec.where("ended"),
        )
        return None
    ended_type, end_type = ctx.kind.fields[ended].type, ctx.kind.fields[end].type
    if ended_type != end_type:
        ctx.error(
            f"field '{ended}' is a {ended_type}; 'ended' needs a {end_type}, as 'to' ({end}) is",
            spec.where("ended"),
        )
        return None
    return ended


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
