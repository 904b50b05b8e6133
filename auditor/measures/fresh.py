"""``fresh``: every record in scope has a matching record of another kind, recent enough.

"Every active agent trained in the last 12 months": the matching record's time
must fall within ``within`` before the end of the audit period. With
``at_record: field`` it is judged at each record's own time instead: "every
agent who handled a call held a valid training record on the call's date",
the matching record falling within ``within`` before (or at) the record's
``field``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..expression import Expr
from ..expression import quote_identifier as q
from ..units import Duration
from . import register
from .base import RecordMeasure, RecordSql, matched_in
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..sourcemap import YamlMap


#: the failing note of a record with no recent enough matching record
NO_MATCH = "no matching record within the window"
#: the exclusion of a record judged at its own time that has none
NO_RECORD_TIME = "no record time"


@register
@dataclass(frozen=True)
class FreshnessMeasure(RecordMeasure):
    evidence: str
    match: tuple[tuple[str, str], ...]  # (field in other kind, field in rule kind)
    at: str
    within: Duration
    where: Expr | None = None
    at_record: str | None = None  # a field of the rule's kind: judged at that time, not period end
    name: ClassVar[str] = "fresh"

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> FreshnessMeasure | None:
        keys = ("evidence", "match", "at", "within", "where", "at_record")
        spec = measure_map(raw, key, ctx, keys)
        if spec is None:
            return None
        other = ctx.other_kind(spec, "evidence")
        pairs = ctx.match(spec, other)
        at = ctx.field(spec, "at", ("timestamp", "date"), other)
        within = ctx.duration(spec, "within")
        where = ctx.expression(spec, "where", other) if "where" in spec else None
        at_record = (
            ctx.field(spec, "at_record", ("timestamp", "date")) if "at_record" in spec else None
        )
        if other is None or at is None or within is None:
            return None
        if "at_record" in spec and at_record is None:
            return None
        return cls(other.name, pairs, at, within, where, at_record)

    def default_time(self) -> str | None:
        return self.at_record

    def fields(self) -> list[str]:
        own = [self.at_record] if self.at_record else []
        return [ours for _, ours in self.match] + own

    def other_kinds(self) -> list[str]:
        return [self.evidence]

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        other = scope.batch.pack.evidence[self.evidence]
        at = f"o.{q(self.at)}"
        if self.at_record is None:
            end = scope.batch.window.end
            oldest, newest = sql.value(end - self.within.seconds), sql.value(end)
            window = f"{at} >= {oldest} AND {at} < {newest}"
        else:  # judged at the record's own moment, which is then looked up too
            moment = f"r.{q(self.at_record)}"
            window = f"{at} >= {moment} - {sql.value(self.within.seconds)} AND {at} <= {moment}"
        extra = "" if self.where is None else " AND " + sql.expr(self.where, other, "o.")
        also = () if self.at_record is None else (self.at_record,)
        found = matched_in(scope, self.match, other.name, window + extra, also)
        missing = (
            ""
            if self.at_record is None
            else f"WHEN t.{q(self.at_record)} IS NULL THEN 'excluded:{NO_RECORD_TIME}' "
        )
        return RecordSql(
            f"CASE {missing}WHEN {found} THEN 'conform' ELSE 'breach' END",
            detail=f"'{NO_MATCH}'",
        )
