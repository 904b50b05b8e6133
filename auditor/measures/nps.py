"""``nps``: net promoter score, % promoters (9-10) minus % detractors (0-6), in points.

Failing records are the detractors; scores outside 0-10 are excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..stats import net_promoter_score
from . import register
from .aggregates import FieldAggregate
from .base import Figure, number
from .reading import RuleContext

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap
    from ..units import Threshold


@register
@dataclass(frozen=True)
class NpsMeasure(FieldAggregate):
    name: ClassVar[str] = "nps"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "NPS = (推荐者 9-10 分 − 贬损者 0-6 分) / n × 100。",
        "en": "NPS = (promoters 9-10 − detractors 0-6) / n × 100.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> NpsMeasure | None:
        found = cls.read_of(raw, key, ctx)
        return None if found is None else cls(found[1])

    def invalid_sql(self, value: str, sql: Sql) -> str:
        return (
            f"CASE WHEN {value} IS NULL THEN {sql.value('no ' + self.of)} "
            f"WHEN {value} < 0 OR {value} > 10 THEN 'score outside 0-10' END"
        )

    def value_unit(self, kind: EvidenceKind) -> str:
        return "points"

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "number"

    def cell_sql(self, sql: Sql, partition: str) -> tuple[str, list[str]]:
        return "", [
            "COUNT(*)",
            "SUM(CASE WHEN _value >= 9 THEN 1 ELSE 0 END)",
            "SUM(CASE WHEN _value <= 6 THEN 1 ELSE 0 END)",
        ]

    def failing_sql(self, threshold: Threshold, sql: Sql) -> str:
        return "_value <= 6"

    def figure(self, summary: tuple[Any, ...]) -> Figure:
        n, promoters, detractors = (int(v) for v in summary)
        value = net_promoter_score(promoters, detractors, n)
        details = {
            "promoters": promoters,
            "passives": n - promoters - detractors,
            "detractors": detractors,
            "n": n,
        }
        return Figure(value, None, details)

    def contribution(self, value: Any, kind: EvidenceKind, place: dict[str, Any]) -> str:
        role, scores = _role(value)
        return (
            f"contributes {self.of} = {number(value)}: a {role} ({scores}), "
            f"1 to the cell's n and 1 to its {role}s"
        )

    def arithmetic(self, figure: Figure) -> str:
        details = figure.details or {}
        n, promoters, detractors = details["n"], details["promoters"], details["detractors"]
        sign = "+" if figure.value > 0 else ""
        return (
            f"NPS = (promoters - detractors) / n x 100 = ({promoters} - {detractors}) / {n} x 100 "
            f"= {sign}{number(figure.value)} ({details['passives']} passives)"
        )

    def listed_because(self, value: Any, kind: EvidenceKind, threshold: Threshold) -> str:
        return f"its {self.of} {number(value)} makes it a detractor (0-6): an NPS rule lists its detractors"


def _role(score: float) -> tuple[str, str]:
    """A score's part in an NPS: promoter, passive or detractor, with the scores of that part."""
    if score >= 9:
        return "promoter", "9-10"
    if score <= 6:
        return "detractor", "0-6"
    return "passive", "7-8"
