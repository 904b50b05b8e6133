"""``repeat_contact``: first-contact resolution from the interaction log alone.

A contact conforms when the same customer (and the same matter, when
``matter`` is given) makes no later contact within ``within``; it is breached
when there is one (the failing record names the first repeat's key, its value
is the gap in seconds). "Later" means a strictly later ``at``, or the same
``at`` and a greater record key. A repeat counts when it is a record of the
same kind meeting the rule's ``where`` (exclusions do not apply to it) with
its ``at`` before the period end.

Judged as of the period end, like a duration: evidence after the period is not
read, so a contact whose window runs past the period end with no repeat so far
is pending, never judged resolved from missing future data. A contact with no
customer id (or, with ``matter``, no matter) is excluded with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..expression import quote_identifier as q
from ..units import Duration
from . import register
from .base import RecordMeasure, RecordSql
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap

#: the failing note's problem of a contact followed by a repeat (the note's step is the repeat's key)
REPEAT = "repeat contact"
NO_CUSTOMER = "no customer id"
NO_MATTER = "no matter"


@register
@dataclass(frozen=True)
class RepeatContactMeasure(RecordMeasure):
    customer: str
    at: str
    within: Duration
    matter: str | None = None
    name: ClassVar[str] = "repeat_contact"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "一次解决率 = 其后在时限内无同一客户(及同一事项)再次联系的联系记录数 / n;"
        "时限延伸至审核期间末之后且期间内尚无再次联系的记录为待定,不计入 n。",
        "en": "first-contact resolution = contacts with no later contact of the same customer (and "
        "matter) within the window / n; a contact whose window runs past the period end with no "
        "repeat by then is pending and not in n.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> RepeatContactMeasure | None:
        spec = measure_map(raw, key, ctx, ("customer", "matter", "at", "within"))
        if spec is None:
            return None
        customer = ctx.field(spec, "customer", ())
        matter = ctx.field(spec, "matter", ()) if "matter" in spec else None
        at = ctx.field(spec, "at", ("timestamp", "date"))
        within = ctx.duration(spec, "within") if "within" in spec else None
        if "within" not in spec:
            ctx.error("repeat_contact measure needs 'within', e.g. within: 7d", spec.start)
        if customer is None or at is None or within is None:
            return None
        if "matter" in spec and matter is None:
            return None
        return cls(customer, at, within, matter)

    def default_time(self) -> str | None:
        return self.at

    def fields(self) -> list[str]:
        return [self.customer, self.at] + ([self.matter] if self.matter else [])

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "seconds"

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        at, o_at = f"t.{q(self.at)}", f"o.{q(self.at)}"
        same = [self.customer] + ([self.matter] if self.matter else [])
        later = (
            f"({o_at} > {at} OR ({o_at} = {at} AND {scope.key_sql('o')} > {scope.key_sql('t')}))"
        )
        conditions = [
            *(f"o.{q(f)} = t.{q(f)}" for f in same),
            later,
            f"{o_at} <= {at} + {sql.value(self.within.seconds)}",
            f"{o_at} < {sql.value(scope.batch.window.end)}",
        ]
        if scope.rule.where is not None:
            conditions.append(scope.filter_sql(sql, "o"))
        first = (
            f"FROM {q(scope.kind.name)} AS o WHERE {' AND '.join(conditions)} "
            f"ORDER BY {o_at}, {scope.key_sql('o')} LIMIT 1"
        )
        gap = f"(SELECT {o_at} - {at} {first})"
        repeat = f"(SELECT {scope.key_sql('o')} {first})"
        ends = f"{at} + {sql.value(self.within.seconds)} >= {sql.value(scope.batch.window.end)}"
        missing = f"WHEN t.{q(self.customer)} IS NULL THEN 'excluded:{NO_CUSTOMER}' "
        if self.matter:
            missing += f"WHEN t.{q(self.matter)} IS NULL THEN 'excluded:{NO_MATTER}' "
        outcome = (
            f"CASE {missing}WHEN {gap} IS NOT NULL THEN 'breach' "
            f"WHEN {ends} THEN 'pending' ELSE 'conform' END"
        )
        return RecordSql(outcome, gap, f"{repeat} || ': {REPEAT}'")
