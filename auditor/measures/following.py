"""What the measures that follow another rule share: their reading, and a base finding's figure.

A dispersion or trend rule reads its figures from the rule named by ``of``;
the scope keys (``where``, ``group_by`` ...) belong to that rule, so a
following rule that writes one is told so rather than silently ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UnitError
from ..stats import Z_95
from ..units import parse_threshold

if TYPE_CHECKING:
    from ..findings import Finding
    from ..sourcemap import YamlMap
    from ..standards import Text
    from .reading import BaseRule, RuleContext

#: rule keys that shape the records a rule reads: the base rule's, not a following rule's
SCOPE_KEYS = ("where", "exclude", "group_by", "period", "time", "judge")
#: what a gap or slope of a rate is counted in
POINTS_LABEL = {"zh": "个百分点", "en": "pp"}
TIME_UNITS = ("seconds", "business-seconds")


def no_scope_keys(raw: YamlMap, key: str, ctx: RuleContext) -> None:
    for name in SCOPE_KEYS:
        if name in raw:
            ctx.error(
                f"'{name}' belongs to the rule a {key} rule follows, not to the {key} rule",
                raw.where_key(name),
            )


@dataclass(frozen=True)
class BaseUnit:
    """How the base rule's figure is counted: a rate (gaps in points) or a value in its unit."""

    rate: bool
    unit: str
    label: Text | None

    @classmethod
    def of(cls, base: BaseRule) -> BaseUnit | None:
        if base.measure is None or base.kind is None:
            return None
        measure = base.measure
        return cls(measure.per_record, measure.value_unit(base.kind), measure.unit_label(base.kind))

    @property
    def scale(self) -> float:
        """What a difference of the base values is multiplied by: 100 (points) for a rate."""
        return 100.0 if self.rate else 1.0

    @property
    def difference_unit(self) -> str:
        return "number" if self.rate else self.unit

    @property
    def difference_label(self) -> Text | None:
        """The words for a difference of the base values: percentage points for a rate."""
        if self.rate:
            from ..standards import Text

            return Text(POINTS_LABEL["zh"], POINTS_LABEL["en"])
        return self.label


def check_threshold(raw: YamlMap, key: str, ctx: RuleContext, base: BaseUnit) -> None:
    """A bound on a gap: ``<= 5`` (points) for a rate, in the base unit otherwise."""
    try:
        threshold = parse_threshold(raw.get("target"))
    except UnitError:
        return  # the target's own check reports it
    where = raw.where("target")
    if threshold.op not in ("<=", "<"):
        ctx.error(f"a {key} target is an upper bound on the largest shortfall, e.g. '<= 5'", where)
    elif base.rate and threshold.kind != "number":
        ctx.error(f"a {key} target on a rate is in percentage points, without '%': '<= 5'", where)
    elif (base.unit in TIME_UNITS) != (threshold.kind == "duration"):
        wanted = "a duration such as '<= 30s'" if base.unit in TIME_UNITS else "a plain number"
        ctx.error(f"a {key} target on this rule's figure needs {wanted}", where)


@dataclass(frozen=True)
class Point:
    """One base finding's figure: its value, n, conforming records (a rate) and standard error."""

    value: float
    n: int
    conforming: int | None
    sd: float | None
    se: float | None


def point(finding: Finding) -> Point | None:
    """The figure of a judged base finding, or None when it has none."""
    if finding.value is None or finding.verdict in ("not-evaluable", "not-applicable"):
        return None
    value = float(finding.value)
    if finding.unit == "share":
        n = finding.counts.n
        se = math.sqrt(value * (1 - value) / n) if n else None
        return Point(value, n, finding.counts.conforming, None, se)
    n = int(finding.details.get("n", finding.counts.n))
    sd = finding.details.get("standard_deviation")
    if sd is not None and n:
        return Point(value, n, None, float(sd), float(sd) / math.sqrt(n))
    if n == 1:  # one value: nothing spreads within it, and its noise is unknown
        return Point(value, n, None, 0.0, None)
    se = None
    if finding.interval is not None:
        se = (finding.interval[1] - finding.interval[0]) / (2 * Z_95)
    return Point(value, n, None, None, se)


def cannot_judge(finding: Finding, code: str, reason: str, **fields: Any) -> list[Finding]:
    """The rule's findings when it cannot be judged: the pooled one, not evaluable."""
    finding.verdict = "not-evaluable"
    finding.not_evaluable = {"code": code, **fields}
    finding.reasons.append(reason)
    return [finding]


def child(pooled: Finding, suffix: str, group: dict[str, Any], period: str) -> Finding:
    """A finding beside the pooled one (a group's, a sub-period's), sharing its rule and target,
    not yet judged: a new finding, nothing of the pooled one's verdict, severity or figures."""
    from ..findings import Finding

    threshold = None if pooled.threshold is None else dict(pooled.threshold)
    return Finding(
        id=f"{pooled.rule}@{suffix}",
        rule=pooled.rule,
        clause=pooled.clause,
        measure=pooled.measure,
        group=dict(group),
        period=period,
        pooled=False,
        unit=pooled.unit,
        target=pooled.target,
        threshold=threshold,
    )


def clean(value: float | None) -> float | None:
    """A figure for findings.json: None instead of NaN or infinity."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
