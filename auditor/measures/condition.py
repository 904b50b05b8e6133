"""``condition``: each record meets a condition ("badge worn", "status is closed")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..expression import Expr, compared_strings, fields_of
from . import register
from .base import ComparedValue, RecordMeasure, RecordSql
from .reading import RuleContext

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..sourcemap import YamlMap


#: the failing note of a record whose condition does not hold
NOT_MET = "condition not met"


@register
@dataclass(frozen=True)
class ConditionMeasure(RecordMeasure):
    condition: Expr
    name: ClassVar[str] = "condition"
    live_rule: ClassVar[str | None] = "auditor.live.condition:ConditionRule"

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> ConditionMeasure | None:
        condition = ctx.expression(raw, key)
        return None if condition is None else cls(condition)

    def fields(self) -> list[str]:
        return sorted(fields_of(self.condition))

    def compared_values(self) -> list[ComparedValue]:
        return [ComparedValue(f, v) for f, v in compared_strings(self.condition)]

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        holds = sql.expr(self.condition, scope.kind, "t.")
        return RecordSql(
            f"CASE WHEN {holds} THEN 'conform' ELSE 'breach' END", detail=f"'{NOT_MET}'"
        )
