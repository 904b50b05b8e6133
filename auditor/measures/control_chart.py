"""``control_chart``: early warning on another rule's daily (or weekly) rate or mean.

``control_chart: {of: RULE, per: day|week, baseline: PERIOD}``. The base rule
is evaluated per day (or week) over the baseline period and over the audit
period. A rate rule gives a p-chart, a mean rule an X-bar chart; the limits
come from the baseline alone (see :mod:`auditor.control_limits`), and the
Western Electric rules are read on the adverse side of the audit period's
points. A signal is an observation, never a nonconformity; no signal is
conform; a baseline with fewer judged records than ``min_records`` is not
evaluable.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .. import control_limits as cl
from ..errors import AuditorError, shown
from ..periods import Period, parse_period
from . import measure_named, register
from .base import SeriesMeasure
from .mean import MeanMeasure
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..findings import Finding, RuleResult
    from ..model import Pack, Rule
    from ..sourcemap import YamlMap

PER = ("day", "week")
#: keys whose meaning comes from the base rule: the chart's records, days and judgement are its
SCOPE_KEYS = ("where", "exclude", "group_by", "period", "judge", "time")
RULE_TEXT = {
    1: "one point beyond 3 sigma",
    2: "two of three points beyond 2 sigma",
    3: "eight points in a row on one side",
}


@register
@dataclass(frozen=True)
class ControlChartMeasure(SeriesMeasure):
    name: ClassVar[str] = "control_chart"
    live_rule: ClassVar[str | None] = "auditor.live.control_chart:ControlChartRule"
    own_target: ClassVar[str | None] = "±3σ"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "控制图:中心线与 3σ 控制限取自基准期;比率用 p 图(σ = √(p̄(1−p̄)/n)),"
        "均值用均值图(σ = s/√n,s 为基准期各日合并标准差);按西电规则判读不利一侧。",
        "en": "control chart: centre and 3σ limits from the baseline period; a rate gives a p-chart "
        "(σ = √(p̄(1−p̄)/n)), a mean an X-bar chart (σ = s/√n, s the baseline's pooled "
        "within-day standard deviation); Western Electric rules on the adverse side.",
    }

    of: str
    per: str
    baseline: Period

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> ControlChartMeasure | None:
        spec = measure_map(raw, key, ctx, ("of", "per", "baseline"))
        if spec is None:
            return None
        for own in SCOPE_KEYS:
            if own in raw:
                ctx.error(
                    f"a control_chart rule takes '{own}' from the rule it charts",
                    raw.where_key(own),
                )
        of, per = spec.get("of"), spec.get("per", "day")
        if not isinstance(of, str) or not of:
            ctx.error("'of' must name another rule of the pack", spec.where("of"))
            return None
        if per not in PER:
            ctx.error(f"'per' must be {' or '.join(PER)}, not {shown(per)}", spec.where("per"))
            return None
        if "baseline" not in spec:
            ctx.error("a control_chart needs a 'baseline' period such as 2026-Q2", spec.start)
            return None
        try:
            baseline = parse_period(str(spec["baseline"]))
        except AuditorError as exc:
            ctx.checker.adopt(exc, spec.where("baseline"), ctx.rule_id)
            return None
        return cls(of, str(per), baseline)

    # ------------------------------------------------------------ the base rule

    def base_rule_id(self) -> str:
        return self.of

    def check_base(self, base: Rule) -> str | None:
        if base.measure.series:
            return f"'{base.id}' is itself worked out from another rule; chart a rate or a mean"
        if not base.measure.per_record and not isinstance(base.measure, MeanMeasure):
            return f"'{base.id}' is a {base.measure.name} rule; a control_chart charts a rate or a mean"
        threshold = base.target.threshold
        if threshold is not None and threshold.op == "==":
            return f"'{base.id}' has target '{threshold}', which names no adverse side"
        return None

    def not_live(self, pack: Pack) -> str | None:
        """A chart of a rule the watch leaves to the batch audit is left to it too."""
        base = pack.rule(self.of)
        why = None if base is None else base.measure.not_live(pack)
        return None if why is None else f"its base rule {self.of} is not watched: {why}"

    def shape(self, base: Rule) -> Rule:
        return dataclasses.replace(
            base, group_by=(), period=self.per, judge="pooled", min_records=1
        )

    def periods(self, period: Period) -> list[Period]:
        return [self.baseline, period]

    # ------------------------------------------------------------ judging

    def judge(self, rule: Rule, results: list[RuleResult], pooled: Finding) -> list[Finding]:
        baseline_result, audit = results[0], results[-1]
        per_record = _per_record(audit)
        pooled.unit = audit.findings[0].unit
        baseline = baseline_of(baseline_result)
        judged = 0 if baseline is None else baseline.n
        if baseline is None or judged < rule.min_records:
            pooled.verdict = "not-evaluable"
            pooled.counts.n = judged
            pooled.not_evaluable = {"code": "too-few", "n": judged, "minimum": rule.min_records}
            pooled.reasons.append(
                f"the baseline {self.baseline.label} has {judged:,} judged records, "
                f"fewer than the minimum of {rule.min_records:,}"
            )
            return [pooled]
        points = [cl.point(baseline, *cell) for cell in _cells(audit, per_record)]
        adverse = _adverse(audit)
        pooled.counts.n = sum(p.n for p in points)
        pooled.details = self._details(baseline, points, adverse)
        found = cl.first_signal(points, adverse)
        if not points:
            pooled.verdict = "not-evaluable"
            pooled.not_evaluable = {"code": "too-few", "n": 0, "minimum": 1}
            pooled.reasons.append("no judged records in the audit period")
        elif found is None:
            pooled.verdict = "conform"
            pooled.reasons.append("no control-chart signal")
        else:
            pooled.verdict = "observation"
            days = [points[i].label for i in found.points]
            pooled.reasons.append(
                f"drifting since {days[0]}: rule {found.rule}, {RULE_TEXT[found.rule]} "
                f"({', '.join(days)})"
            )
        pooled.reasons.extend(self._later_baseline(pooled.period))  # after the verdict's reason
        return [pooled]

    def _later_baseline(self, audited: str) -> list[str]:
        """A note when the baseline reaches past the audit period: the limits the audit's
        days are judged by then come in part from records made after them."""
        period = parse_period(audited)
        if self.baseline.last <= period.last:
            return []
        return [
            f"the baseline {self.baseline.label} ends after the audit period {audited}: "
            "its limits come in part from later records"
        ]

    def _details(
        self, baseline: cl.Baseline, points: list[cl.Point], adverse: int
    ) -> dict[str, Any]:
        return {
            "control_chart": {
                "chart": baseline.chart,
                "per": self.per,
                "baseline": self.baseline.label,
                "baseline_n": baseline.n,
                "centre": baseline.centre,
                "sigma_of_one": baseline.unit,
                "adverse": "low" if adverse < 0 else "high",
                "points": [p.as_dict() for p in points],
                "signals": [
                    {
                        "rule": s.rule,
                        "day": points[s.at].label,
                        "since": points[s.points[0]].label,
                        "days": [points[i].label for i in s.points],
                    }
                    for s in cl.signals(points, adverse)
                ],
            }
        }


def baseline_of(result: RuleResult) -> cl.Baseline | None:
    """The chart's centre and sigma from the base rule's per-day results over the baseline."""
    return _baseline(result, _per_record(result))


def _per_record(result: RuleResult) -> bool:
    measure = measure_named(result.measure)
    return measure is not None and measure.per_record


def _adverse(result: RuleResult) -> int:
    """-1 when low values are bad (a share, a mean that must be high), +1 when high ones are."""
    threshold = result.findings[0].threshold
    return 1 if threshold is not None and threshold["op"] in ("<=", "<") else -1


def _day_cells(result: RuleResult) -> list[Finding]:
    pooled = result.findings[0]
    return [f for f in result.findings[1:] if f.period != pooled.period and f.counts.n > 0]


def _cells(result: RuleResult, per_record: bool) -> list[tuple[str, int, float]]:
    """(label, n, value) of each day (or week) with judged records, oldest first."""
    cells = []
    for f in _day_cells(result):
        if per_record:
            cells.append((f.period, f.counts.n, f.counts.conforming / f.counts.n))
        elif f.value is not None:
            cells.append((f.period, f.counts.n, float(f.value)))
    return cells


def _baseline(result: RuleResult, per_record: bool) -> cl.Baseline | None:
    if per_record:
        counts = result.findings[0].counts
        return cl.p_baseline(counts.conforming, counts.n) if counts.n else None
    cells = [
        (f.counts.n, float(f.value), float(f.details.get("standard_deviation") or 0.0))
        for f in _day_cells(result)
        if f.value is not None
    ]
    return cl.xbar_baseline(cells) if cells else None
