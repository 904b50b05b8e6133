"""``dispersion``: how evenly another rule's figure holds across groups (sites, channels, teams).

The base rule (``of``) is evaluated grouped by ``across`` over the whole audit
period. Each group's gap is its value minus the pooled value (in percentage
points for a rate, in the base unit for a mean); its shortfall is the pooled
value minus its value, or its value minus the pooled value for a figure that must
stay low (a ``<=``/``<`` target). The rule's value is the largest shortfall, held against
an upper bound (``<= 5``). A rate's groups are tested for homogeneity by
Pearson's chi-square on the groups x (conforming, breached) table, without a
continuity correction; a mean's by a one-way ANOVA F test worked out from each
group's n, mean and standard deviation. Groups the base rule could not judge
(too few records) are listed and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from . import register
from .base import Figure, SeriesMeasure
from .following import (
    BaseUnit,
    Point,
    cannot_judge,
    check_threshold,
    child,
    clean,
    no_scope_keys,
    point,
)
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..findings import Finding, RuleResult
    from ..model import EvidenceKind, Rule
    from ..sourcemap import YamlMap
    from ..standards import Text

#: groups a dispersion needs
MIN_GROUPS = 2


@register
@dataclass(frozen=True)
class DispersionMeasure(SeriesMeasure):
    of: str
    across: str
    base: BaseUnit
    name: ClassVar[str] = "dispersion"
    default_min_records: ClassVar[int | None] = 0
    method_label: ClassVar[str | None] = "interval_dispersion"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "离散度:各组差距 = 该组值 − 总体值(比率以百分点计);短缺 = 总体值 − 该组值(目标为 ≤ 或 < 的越低越好指标为 该组值 − 总体值);规则值为最大短缺。比率的各组一致性用 皮尔逊卡方检验(分组 × 符合/不符合列联表,不作连续性校正);均值用单因素方差分析 F 检验(由各组 n、均值与标准差算得)。",
        "en": "dispersion: each group's gap = its value − the pooled value (a rate's in percentage points); shortfall = pooled − group (group − pooled for a figure that must stay low, a <= or < target); the rule's value is the largest shortfall. A rate's groups are tested by Pearson's chi-square on the groups x (conforming, breached) table, without continuity correction; a mean's by a one-way ANOVA F test from each group's n, mean and standard deviation.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> DispersionMeasure | None:
        spec = measure_map(raw, key, ctx, ("of", "across"))
        if spec is None:
            return None
        no_scope_keys(raw, key, ctx)
        base = ctx.base_rule(spec, "of")
        if base is None:
            return None
        across = ctx.field(spec, "across", (), kind=base.kind)
        unit = BaseUnit.of(base)
        if across is None or unit is None:
            return None
        check_threshold(raw, key, ctx, unit)
        return cls(base.id, across, unit)

    def base_rule_id(self) -> str:
        return self.of

    def shape(self, base: Rule) -> Rule:
        return replace(base, group_by=(self.across,), judge="pooled", period="all")

    def value_unit(self, kind: EvidenceKind) -> str:
        return self.base.difference_unit

    def unit_label(self, kind: EvidenceKind) -> Text | None:
        return self.base.difference_label

    # ------------------------------------------------------------ judging

    def judge(self, rule: Rule, results: list[RuleResult], pooled: Finding) -> list[Finding]:
        base = results[0]
        whole = point(base.findings[0])
        if whole is None:
            return cannot_judge(
                pooled,
                "base-not-evaluable",
                f"rule {self.of} could not be judged",
                rule=self.of,
            )
        groups = [(str(f.group.get(self.across)), f, point(f)) for f in base.findings[1:]]
        judged = [(name, f, p) for name, f, p in groups if p is not None]
        if len(judged) < MIN_GROUPS:
            return cannot_judge(
                pooled,
                "too-few-groups",
                f"{len(judged)} groups of {self.across} could be judged, fewer than {MIN_GROUPS}",
                n=len(judged),
                minimum=MIN_GROUPS,
            )
        lower = _lower_is_better(base.findings[0])
        rows = [self._row(name, p, whole, lower) for name, _, p in judged]
        largest = max(rows, key=lambda r: r["shortfall"])
        details = {
            "of": self.of,
            "across": self.across,
            "base_unit": self.base.unit,
            "scale": self.base.scale,
            "pooled": _figure(whole),
            "groups": rows,
            "not_judged": [{"group": name, "n": f.counts.n} for name, f, p in groups if p is None],
            "largest": {"group": largest["group"], "shortfall": largest["shortfall"]},
            "lower_is_better": lower,
            "test": self.test([p for _, _, p in judged], whole),
        }
        return self._findings(rule, pooled, base, judged, details)

    def _row(self, name: str, p: Point, whole: Point, lower: bool) -> dict[str, Any]:
        """A group's gap from the pooled value (group minus pooled) and its shortfall: how far
        it is on the wrong side (below for a figure that must be high, above for one that must
        be low)."""
        if p.conforming is not None and whole.conforming is not None:  # rates: exact fractions
            exact = Fraction(p.conforming, p.n) - Fraction(whole.conforming, whole.n)
            gap = float(exact * Fraction(str(self.base.scale)))
        else:
            gap = (p.value - whole.value) * self.base.scale
        shortfall = gap if lower else -gap
        return {"group": name, **_figure(p), "gap": gap + 0.0, "shortfall": shortfall + 0.0}

    def _findings(
        self,
        rule: Rule,
        pooled: Finding,
        base: RuleResult,
        judged: list[tuple[str, Finding, Point]],
        details: dict[str, Any],
    ) -> list[Finding]:
        from ..evaluate.verdicts import judge_threshold
        from ..findings import group_text

        threshold = rule.target.threshold
        assert threshold is not None
        unit = self.base.difference_unit
        limit = {"op": threshold.op, "value": float(threshold.value)}
        pooled.unit, pooled.threshold = unit, limit
        pooled.counts = replace(base.findings[0].counts)
        judge_threshold(rule, pooled, Figure(details["largest"]["shortfall"], None, {}))
        pooled.details = {"dispersion": details}
        findings = [pooled]
        for row, (name, f, _) in zip(details["groups"], judged, strict=True):
            group = {self.across: name}
            own = child(pooled, group_text(group), group, pooled.period)
            own.counts = replace(f.counts)
            own.unit, own.threshold = unit, dict(limit)
            judge_threshold(rule, own, Figure(row["shortfall"], None, {}))
            own.details = {
                "dispersion_group": {
                    **row,
                    "pooled": details["pooled"],
                    "base_unit": self.base.unit,
                    "scale": self.base.scale,
                    "lower_is_better": details["lower_is_better"],
                }
            }
            findings.append(own)
        return findings

    def test(self, points: list[Point], whole: Point) -> dict[str, Any] | None:
        """Chi-square of homogeneity for a rate, one-way ANOVA F for a mean; None when undefined."""
        if self.base.rate:
            return chi_square([(p.conforming or 0, p.n - (p.conforming or 0)) for p in points])
        if any(p.sd is None for p in points):
            return None
        return anova([(p.n, p.value, p.sd or 0.0) for p in points])


def _figure(p: Point) -> dict[str, Any]:
    figure: dict[str, Any] = {"n": p.n, "value": p.value}
    if p.conforming is not None:
        figure["conforming"] = p.conforming
    if p.sd is not None:
        figure["standard_deviation"] = p.sd
    return figure


def chi_square(table: list[tuple[int, int]]) -> dict[str, Any] | None:
    """Pearson's chi-square of homogeneity on (conforming, breached) per group, uncorrected."""
    from scipy.stats import chi2_contingency

    if any(sum(column) == 0 for column in zip(*table, strict=True)):
        return None  # every record conforms (or every record breaches): nothing to test
    result = chi2_contingency([list(row) for row in table], correction=False)
    return {
        "name": "chi-square",
        "statistic": clean(float(result.statistic)),
        "df": int(result.dof),
        "p_value": clean(float(result.pvalue)),
    }


def anova(groups: list[tuple[int, float, float]]) -> dict[str, Any] | None:
    """One-way ANOVA F from each group's (n, mean, standard deviation)."""
    from scipy.stats import f as f_distribution

    total = sum(n for n, _, _ in groups)
    k = len(groups)
    if total - k <= 0:
        return None
    grand = sum(n * mean for n, mean, _ in groups) / total
    between = sum(n * (mean - grand) ** 2 for n, mean, _ in groups)
    within = sum((n - 1) * sd * sd for n, _, sd in groups)
    if within <= 0:
        return None
    statistic = (between / (k - 1)) / (within / (total - k))
    return {
        "name": "anova-f",
        "statistic": clean(statistic),
        "df": [k - 1, total - k],
        "p_value": clean(float(f_distribution.sf(statistic, k - 1, total - k))),
    }


def _lower_is_better(finding: Finding) -> bool:
    """Whether the followed figure must stay low (a ``<=``/``<`` threshold: waits, complaints)."""
    return finding.threshold is not None and finding.threshold["op"] in ("<=", "<")
