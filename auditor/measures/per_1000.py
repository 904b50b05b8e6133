"""``per_1000``: records meeting a condition per 1,000 records in scope (complaints per 1,000 visits).

Interval: Wilson's for the underlying share, times 1,000. Failing records are
those meeting the condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..expression import Expr, compared_strings, fields_of
from ..stats import wilson_interval
from . import register
from .base import AggregateMeasure, ComparedValue, Figure, number
from .reading import RuleContext

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap
    from ..units import Threshold


@register
@dataclass(frozen=True)
class PerThousandMeasure(AggregateMeasure):
    condition: Expr
    name: ClassVar[str] = "per_1000"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "每千件 = 满足条件的记录数 / n × 1000。",
        "en": "per 1,000 = records meeting the condition / n × 1,000.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> PerThousandMeasure | None:
        condition = ctx.expression(raw, key)
        return None if condition is None else cls(condition)

    def fields(self) -> list[str]:
        return sorted(fields_of(self.condition))

    def compared_values(self) -> list[ComparedValue]:
        return [ComparedValue(f, v) for f, v in compared_strings(self.condition)]

    def value_sql(self, scope: Scope, sql: Sql) -> str:
        holds = sql.expr(self.condition, scope.kind, "t.")
        return f"CASE WHEN {holds} THEN 1 ELSE 0 END"

    def value_unit(self, kind: EvidenceKind) -> str:
        return "per_1000"

    def cell_sql(self, sql: Sql, partition: str) -> tuple[str, list[str]]:
        return "", ["COUNT(*)", "SUM(_value)"]

    def failing_sql(self, threshold: Threshold, sql: Sql) -> str:
        return "_value >= 1"

    def figure(self, summary: tuple[Any, ...]) -> Figure:
        n, count = int(summary[0]), int(summary[1])
        value = count * 1000 / n
        low, high = wilson_interval(count, n)
        interval = (low * 1000, high * 1000)
        return Figure(value, interval, {"count": count, "n": n})

    def contribution(self, value: Any, kind: EvidenceKind, place: dict[str, Any]) -> str:
        from ..expression import to_text

        if value:
            return f"the condition {to_text(self.condition)} holds: 1 to the cell's count and 1 to its n"
        return f"the condition {to_text(self.condition)} does not hold: 1 to the cell's n only"

    def arithmetic(self, figure: Figure) -> str:
        details = figure.details or {}
        return (
            f"per 1,000 = count / n x 1,000 = {details['count']} / {details['n']} x 1,000 "
            f"= {number(figure.value)}"
        )

    def listed_because(self, value: Any, kind: EvidenceKind, threshold: Threshold) -> str:
        from ..expression import to_text

        return (
            f"it meets the condition {to_text(self.condition)} "
            "(a per-1,000 rule lists the records it counts)"
        )
