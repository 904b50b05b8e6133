"""``matched``: the share of records with at least one matching record of another kind.

Survey response rate (invitations with a response) and survey coverage
(contacts with an invitation): a record conforms when some record of
``evidence`` has the same values in the ``match`` fields (and meets ``where``,
a filter on the other kind); otherwise it is breached. Any matching record in
the store counts, whatever its time. A record with an empty match field is
excluded (``no <field>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..expression import Expr
from ..expression import quote_identifier as q
from . import register
from .base import RecordMeasure, RecordSql, matched_in
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..sourcemap import YamlMap


#: the failing note of a record no record of the other kind matches
NO_MATCHING = "no matching record"


@register
@dataclass(frozen=True)
class MatchedMeasure(RecordMeasure):
    evidence: str
    match: tuple[tuple[str, str], ...]  # (field in other kind, field in rule kind)
    where: Expr | None = None
    name: ClassVar[str] = "matched"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "匹配率 = 有至少一条相应记录(另一类证据中匹配字段取值相同且满足其筛选条件)的记录数 / n。",
        "en": "matched share = records with at least one record of the other kind with the same match "
        "values (meeting its filter) / n.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> MatchedMeasure | None:
        spec = measure_map(raw, key, ctx, ("evidence", "match", "where"))
        if spec is None:
            return None
        other = ctx.other_kind(spec, "evidence")
        pairs = ctx.match(spec, other)
        where = ctx.expression(spec, "where", other) if "where" in spec else None
        if other is None or not pairs or ("where" in spec and where is None):
            return None
        return cls(other.name, pairs, where)

    def fields(self) -> list[str]:
        return [ours for _, ours in self.match]

    def other_kinds(self) -> list[str]:
        return [self.evidence]

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        other = scope.batch.pack.evidence[self.evidence]
        where = "" if self.where is None else sql.expr(self.where, other, "o.")
        found = matched_in(scope, self.match, other.name, where)
        empty = "".join(
            f"WHEN t.{q(ours)} IS NULL THEN 'excluded:no {ours}' " for _, ours in self.match
        )
        return RecordSql(
            f"CASE {empty}WHEN {found} THEN 'conform' ELSE 'breach' END",
            detail=f"'{NO_MATCHING}'",
        )
