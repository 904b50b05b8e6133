"""``percentile``: the p-th percentile of a field by the nearest-rank method, against a threshold.

The value at rank ⌈p/100 × n⌉ of the sorted values, found in SQL with integer
arithmetic only (no rounding of p × n).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from . import register
from .aggregates import FieldAggregate
from .base import Figure, number
from .reading import RuleContext

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap


@register
@dataclass(frozen=True)
class PercentileMeasure(FieldAggregate):
    p: Decimal = Decimal(50)
    name: ClassVar[str] = "percentile"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "百分位数:最近秩法,取排序后第 ⌈p/100 × n⌉ 个值。",
        "en": "percentile: nearest rank, the value at rank ⌈p/100 × n⌉ of the sorted values.",
    }
    method_label: ClassVar[str | None] = "percentile_method"
    extra_keys: ClassVar[tuple[str, ...]] = ("p",)
    place_columns: ClassVar[tuple[str, ...]] = ("_rank",)

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> PercentileMeasure | None:
        found = cls.read_of(raw, key, ctx)
        if found is None:
            return None
        spec, of = found
        p = spec.get("p")
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p < 100:
            ctx.error(
                "percentile needs 'p' greater than 0 and less than 100, e.g. p: 90", spec.where("p")
            )
            return None
        return cls(of, Decimal(str(p)))

    def cell_sql(self, sql: Sql, partition: str) -> tuple[str, list[str]]:
        share = Fraction(self.p) / 100
        num, den = sql.value(share.numerator), sql.value(share.denominator)
        # The nearest rank r is the least r with r / n >= p / 100.
        at_rank = f"_rank * {den} >= {num} * _n AND (_rank - 1) * {den} < {num} * _n"
        return (
            f", ROW_NUMBER() OVER ({partition} ORDER BY _value, _key) AS _rank, "
            f"COUNT(*) OVER ({partition}) AS _n",
            [
                "COUNT(*)",
                f"MIN(CASE WHEN {at_rank} THEN _value END)",
                f"MIN(CASE WHEN {at_rank} THEN _rank END)",
            ],
        )

    def figure(self, summary: tuple[Any, ...]) -> Figure:
        n, value, rank = int(summary[0]), float(summary[1]), int(summary[2])
        details = {"p": float(self.p), "rank": rank, "n": n, "method": "nearest rank"}
        return Figure(value, None, details)

    def contribution(self, value: Any, kind: EvidenceKind, place: dict[str, Any]) -> str:
        rank = place.get("_rank")
        at = (
            ""
            if rank is None
            else f", at rank {rank} of its cell's values sorted (by value, then key)"
        )
        return f"contributes {self.of} = {self.shown(value, kind)}: 1 to the cell's n{at}"

    def arithmetic(self, figure: Figure) -> str:
        details = figure.details or {}
        p = number(float(self.p))
        return (
            f"percentile {p} by nearest rank: rank ceil({p} / 100 x {details['n']}) = "
            f"{details['rank']} of the {details['n']} values sorted; the value there is "
            f"{number(figure.value)}"
        )
