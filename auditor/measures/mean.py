"""``mean``: the average of a field (a CSAT score, a handling time) against a threshold.

Interval: mean ± t(0.975, n − 1) · s / √n (Student's t, stats.t_critical), with the sample
standard deviation s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..stats import t_critical
from . import register
from .aggregates import FieldAggregate
from .base import Figure, number, numbers
from .reading import RuleContext

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap


@register
@dataclass(frozen=True)
class MeanMeasure(FieldAggregate):
    name: ClassVar[str] = "mean"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "均值 = 合计 / n;95% 区间为均值 ± t(0.975, n−1) s/√n,s 为样本标准差,t 为自由度 n−1 的 t 分布 0.975 分位数。",
        "en": "mean = sum / n; its 95 % interval is mean ± t(0.975, n−1) s/√n, s the sample standard deviation, t the quantile of Student's t with n−1 degrees of freedom.",
    }
    method_label: ClassVar[str | None] = "interval_mean"

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> MeanMeasure | None:
        found = cls.read_of(raw, key, ctx)
        return None if found is None else cls(found[1])

    def cell_sql(self, sql: Sql, partition: str) -> tuple[str, list[str]]:
        # Two passes (the cell's mean first), so the variance does not lose digits.
        return (
            f", AVG(_value) OVER ({partition}) AS _mean",
            ["COUNT(*)", "SUM(_value)", "SUM((_value - _mean) * (_value - _mean))"],
        )

    def figure(self, summary: tuple[Any, ...]) -> Figure:
        n, total, squares = int(summary[0]), float(summary[1]), float(summary[2])
        value = total / n
        if n < 2:  # one value: no spread to measure, so no interval (not a zero-width one)
            details = {"sum": total, "n": n, "standard_deviation": None}
            return Figure(value, None, details, estimate=True)
        variance = squares / (n - 1)
        half = t_critical(n - 1) * math.sqrt(variance / n)
        details = {"sum": total, "n": n, "standard_deviation": math.sqrt(variance)}
        return Figure(value, (value - half, value + half), details, estimate=True)

    def contribution(self, value: Any, kind: EvidenceKind, place: dict[str, Any]) -> str:
        shown = self.shown(value, kind)
        return f"contributes {self.of} = {shown}: 1 to the cell's n and {shown} to its sum"

    def arithmetic(self, figure: Figure) -> str:
        details = figure.details or {}
        n, total = details["n"], details["sum"]
        text = f"mean = sum / n = {number(total)} / {number(n)} = {number(figure.value)}"
        if details.get("standard_deviation") is not None and figure.interval is not None:
            low, high = numbers(*figure.interval)
            df = int(n) - 1
            t = f"t(0.975, {df}) = {t_critical(df):.4f}"
            text += (
                f"; s = {number(details['standard_deviation'])}, "
                f"95 % interval {low} to {high} (mean ± {t} × s/√n)"
            )
        return text
