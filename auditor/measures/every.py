"""``every``: an activity held in every sub-period of the audit period (a monthly review, a weekly drill).

Each day, week, month or quarter of the audit period conforms when it holds at
least one record of the rule's kind in scope (its ``where``, less its
exclusions); the rule's value is the share of sub-periods covered, 100 % by
default, and the sub-periods without a record are its failing list.

It is a series measure over its own rule: the driver evaluates the rule
reshaped as a count of its records per sub-period, and :meth:`judge` turns the
counts into one finding per sub-period. The per-record and aggregate paths
only make a cell for a sub-period that holds records, and an empty sub-period
is exactly what this rule must find; here the list of sub-periods comes from
:func:`auditor.periods.sub_periods`, the function that labels the cells.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar

from ..periods import parse_period, sub_periods
from . import register
from .base import RecordMeasure, RecordSql, SeriesMeasure
from .following import child
from .reading import RuleContext

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..findings import Finding, RuleResult
    from ..model import Rule
    from ..sourcemap import YamlMap

UNITS = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class Held(RecordMeasure):
    """Every record in scope counts (the reshaped rule of an ``every`` rule; not registered)."""

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        return RecordSql("'conform'")


@register
@dataclass(frozen=True)
class EveryMeasure(SeriesMeasure):
    unit: str
    rule_id: str
    name: ClassVar[str] = "every"
    own_records: ClassVar[bool] = True
    per_record: ClassVar[bool] = True  # its target is a share of sub-periods, 100 % by default
    default_min_records: ClassVar[int | None] = 0
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "每期活动:审核期间的每个子期间(日、周、月或季)内至少有一条范围内记录即为符合;规则值 = 有记录的子期间数 / 子期间总数,缺记录的子期间列入不符合清单。",
        "en": "every sub-period: each day, week, month or quarter of the audit period conforms when it holds at least one record in scope; the value = sub-periods covered / all sub-periods, and those without a record are the failing list.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> EveryMeasure | None:
        from ..errors import closest_name

        unit = raw.get(key)
        if unit not in UNITS:
            ctx.error(
                f"'{key}' must be one of {', '.join(UNITS)}",
                raw.where(key),
                suggestion=closest_name(str(unit), UNITS),
            )
            return None
        for name in ("group_by", "period"):
            if name in raw:
                ctx.error(
                    f"an every rule is judged per {unit}: '{name}' does not apply",
                    raw.where_key(name),
                )
        if ctx.kind is not None and ctx.kind.time is None and "time" not in raw:
            ctx.error(
                f"evidence kind '{ctx.kind.name}' has no time field: an every rule needs 'time'",
                raw.where("evidence"),
            )
        return cls(str(unit), ctx.rule_id)

    def base_rule_id(self) -> str:
        return self.rule_id

    def shape(self, base: Rule) -> Rule:
        return replace(
            base, measure=Held(), group_by=(), judge="pooled", period=self.unit, min_records=1
        )

    def judge(self, rule: Rule, results: list[RuleResult], pooled: Finding) -> list[Finding]:
        # one sub-period only: its records are in the pooled cell, which has its label
        held = {f.period: f.counts.conforming for f in results[0].findings}
        period = results[0].findings[0].period
        findings = [pooled]
        for part in sub_periods(parse_period(period), self.unit):
            own = child(pooled, part.label, {}, part.label)
            records = held.get(part.label, 0)
            own.value, own.unit = float(records), "number"
            own.threshold, own.target = {"op": ">=", "value": 1.0}, ">= 1"
            own.counts.n = records
            own.details = {"every": {"unit": self.unit, "records": records}}
            if records:
                own.verdict = "conform"
            else:
                own.verdict, own.severity = "nonconform", rule.severity
                own.failing = [part.label]
                own.failing_values, own.failing_notes, own.failing_sources = [None], [None], [None]
            findings.append(own)
        self._pooled(rule, pooled, findings[1:])
        return findings

    def _pooled(self, rule: Rule, f: Finding, parts: list[Finding]) -> None:
        from ..evaluate.verdicts import percent

        missing = [p.period for p in parts if not p.counts.n]
        covered = len(parts) - len(missing)
        target = rule.target.share if rule.target.share is not None else Decimal(1)
        f.counts = replace(f.counts, n=len(parts), conforming=covered, breached=len(missing))
        f.value, f.unit = covered / len(parts), "share"
        f.threshold = {"op": ">=", "value": float(target)}
        f.failing = list(missing)
        f.failing_values, f.failing_notes = [None] * len(missing), [None] * len(missing)
        f.failing_sources = [None] * len(missing)
        f.details = {
            "every": {
                "unit": self.unit,
                "periods": [{"period": p.period, "records": p.counts.n} for p in parts],
                "missing": missing,
            }
        }
        share = Fraction(covered, len(parts))
        warn, major_below = rule.target.warn_share, rule.target.major_below
        if share < Fraction(target):
            f.verdict, f.severity = "nonconform", rule.severity
            if major_below is not None and share < Fraction(major_below):
                f.severity = "major"
                f.reasons.append(f"below {percent(float(major_below))}, so major")
        elif warn is not None and share < Fraction(warn):
            f.verdict = "observation"
            f.reasons.append(
                f"meets the target but is inside the warn band (below {percent(float(warn))})"
            )
        else:
            f.verdict = "conform"
