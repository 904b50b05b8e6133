"""``fresh``: every record in scope has a matching record of another kind, recent enough.

"Every active agent trained in the last 12 months": the matching record's time
must fall within ``within`` before the end of the audit period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..expression import Expr
from ..expression import quote_identifier as q
from ..units import Duration
from . import register
from .base import RecordMeasure, RecordSql
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..sourcemap import YamlMap


#: the failing note of a record with no recent enough matching record
NO_MATCH = "no matching record within the window"


@register
@dataclass(frozen=True)
class FreshnessMeasure(RecordMeasure):
    evidence: str
    match: tuple[tuple[str, str], ...]  # (field in other kind, field in rule kind)
    at: str
    within: Duration
    where: Expr | None = None
    name: ClassVar[str] = "fresh"

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> FreshnessMeasure | None:
        spec = measure_map(raw, key, ctx, ("evidence", "match", "at", "within", "where"))
        if spec is None:
            return None
        other = ctx.other_kind(spec, "evidence")
        pairs = ctx.match(spec, other)
        at = ctx.field(spec, "at", ("timestamp", "date"), other)
        within = ctx.duration(spec, "within")
        where = ctx.expression(spec, "where", other) if "where" in spec else None
        if other is None or at is None or within is None:
            return None
        return cls(other.name, pairs, at, within, where)

    def fields(self) -> list[str]:
        return [ours for _, ours in self.match]

    def other_kinds(self) -> list[str]:
        return [self.evidence]

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        other = scope.batch.pack.evidence[self.evidence]
        matches = " AND ".join(f"o.{q(theirs)} = t.{q(ours)}" for theirs, ours in self.match)
        end = scope.batch.window.end
        oldest, newest = sql.value(end - self.within.seconds), sql.value(end)
        extra = "" if self.where is None else " AND " + sql.expr(self.where, other, "o.")
        return RecordSql(
            f"CASE WHEN EXISTS (SELECT 1 FROM {q(other.name)} AS o WHERE {matches} "
            f"AND o.{q(self.at)} >= {oldest} AND o.{q(self.at)} < {newest}{extra}) "
            "THEN 'conform' ELSE 'breach' END",
            detail=f"'{NO_MATCH}'",
        )
