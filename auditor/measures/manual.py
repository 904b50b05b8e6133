"""``manual``: an item an auditor answers on a checklist (yes conforms, no breaches, na is excluded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..expression import quote_identifier as q
from . import register
from .base import RecordMeasure, RecordSql
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..sourcemap import YamlMap


#: the exclusion of an item answered "na"
NOT_APPLICABLE = "answered not applicable"


@register
@dataclass(frozen=True)
class ManualMeasure(RecordMeasure):
    """An item answered by an auditor's checklist evidence."""

    checklist: str
    item: str
    name: ClassVar[str] = "manual"
    default_min_records: ClassVar[int | None] = 1  # one auditor's answer is the evidence
    #: a finding whose every answer was "not applicable" is not-applicable, not not-evaluable
    all_excluded_is_not_applicable: ClassVar[bool] = True

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> ManualMeasure | None:
        spec = measure_map(raw, key, ctx, ("item",))
        if spec is None:
            return None
        item = spec.get("item")
        if not isinstance(item, str) or not item:
            ctx.error("manual measure needs 'item' (the checklist item id)", spec.start)
            return None
        kind = ctx.kind
        if kind is not None:
            for required in ("item", "result"):
                if required not in kind.fields:
                    ctx.error(
                        f"manual rules read checklist evidence with fields 'item' and 'result'; "
                        f"'{kind.name}' has no '{required}'",
                        raw.where("evidence"),
                    )
                    return None
        return cls(kind.name if kind else "", item)

    def checklist_items(self) -> list[str]:
        return [self.item]

    def scope_filter(self, scope: Scope, sql: Sql) -> str | None:
        """Only the checklist rows about this item."""
        return f"t.{q('item')} = {sql.value(self.item)}"

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        return RecordSql(
            f"CASE WHEN t.{q('result')} = 'yes' THEN 'conform' "
            f"WHEN t.{q('result')} = 'na' THEN 'excluded:{NOT_APPLICABLE}' ELSE 'breach' END",
            detail="'answered no'",
        )

    def answer_text(self, record: dict[str, Any]) -> str:
        answer = record.get("result")
        decides = {"yes": "conform", "na": f"excluded ({NOT_APPLICABLE})"}.get(
            str(answer), "breach"
        )
        return f"checklist item {self.item}: result = {answer} -> {decides}"
