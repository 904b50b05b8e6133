"""What the aggregate measures share: a field's value per record, its own exclusions, the threshold test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..expression import quote_identifier as q
from .base import AggregateMeasure, number
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap
    from ..standards import Text
    from ..units import Threshold

SQL_OPERATORS = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "==": "="}


@dataclass(frozen=True)
class FieldAggregate(AggregateMeasure):
    """An aggregate over one numeric field (``of``)."""

    of: str
    extra_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def read_of(cls, raw: YamlMap, key: str, ctx: RuleContext) -> tuple[YamlMap, str] | None:
        spec = measure_map(raw, key, ctx, ("of", *cls.extra_keys))
        if spec is None:
            return None
        of = ctx.field(spec, "of", ("number", "integer", "duration"))
        return None if of is None else (spec, of)

    def fields(self) -> list[str]:
        return [self.of]

    def value_sql(self, scope: Scope, sql: Sql) -> str:
        return f"t.{q(self.of)}"

    def invalid_sql(self, value: str, sql: Sql) -> str:
        return f"CASE WHEN {value} IS NULL THEN {sql.value('no ' + self.of)} END"

    def value_unit(self, kind: EvidenceKind) -> str:
        spec = kind.fields.get(self.of)
        return "seconds" if spec is not None and spec.type == "duration" else "number"

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return self.value_unit(kind)

    def unit_label(self, kind: EvidenceKind) -> Text | None:
        spec = kind.fields.get(self.of)
        return spec.unit if spec is not None else None

    def failing_sql(self, threshold: Threshold, sql: Sql) -> str:
        """Records whose own value does not meet the threshold."""
        op = SQL_OPERATORS[threshold.op]
        return f"NOT (_value {op} {sql.value(float(threshold.value))})"

    def shown(self, value: Any, kind: EvidenceKind) -> str:
        """A value of the field as explain writes it (a duration in seconds with its unit)."""
        return number(value) + (" s" if self.value_unit(kind) == "seconds" else "")

    def listed_because(self, value: Any, kind: EvidenceKind, threshold: Threshold) -> str:
        limit = self.shown(float(threshold.value), kind)
        return (
            f"its own {self.of} {self.shown(value, kind)} does not meet {threshold.op} {limit} "
            f"(a {self.name} rule lists the records whose own value misses the threshold)"
        )
