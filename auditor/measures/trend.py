"""``trend``: the direction of another rule's value over the audit period and the ones before it.

The base rule (``of``) is evaluated, pooled, over each of the last ``periods``
periods of unit ``per``, the last one holding the audit period's last day.
Periods where it cannot be judged are listed and left out; fewer than three
judged periods cannot show a direction. The slope per period is the least
squares slope of the values (a rate's in percentage points) against the
period's position, with its 95 % interval slope ± t(0.975, m − 2) · SE.

Targets: ``no-decline`` is a nonconformity when the slope's interval lies
wholly below 0, and an observation when it does not but the last period fell
below the one before by more than noise (1.959963984540054 times the standard error of the
difference of the two values; for rates the Agresti–Caffo difference and standard error,
each rate taken as (x + 1)/(n + 2) of n + 2, so that a period at 0 % or 100 % still has
noise); ``improving`` conforms only when the slope's
interval lies wholly above 0, and is a nonconformity otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from ..periods import Period, parse_period
from ..stats import Z_95, Z_95_SHOWN, agresti_caffo, t_critical
from . import register
from .base import SeriesMeasure
from .following import BaseUnit, Point, cannot_judge, clean, no_scope_keys, point
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..findings import Finding, RuleResult
    from ..model import EvidenceKind, Rule
    from ..sourcemap import YamlMap
    from ..standards import Text

UNITS = ("day", "week", "month", "quarter", "year")
#: judged periods a slope with an interval needs
MIN_PERIODS = 3
MAX_PERIODS = 120
DEFAULT_PERIODS = 4
NO_DECLINE, IMPROVING = "no-decline", "improving"
BELOW = "the slope's 95 % interval lies wholly below 0"
NOT_ABOVE = "the slope's 95 % interval does not lie wholly above 0"
DROPPED = "the last period fell below the one before by more than noise"
UNTESTED = "the last period's change from the one before was not tested against noise"


@register
@dataclass(frozen=True)
class TrendMeasure(SeriesMeasure):
    of: str
    per: str
    count: int
    base: BaseUnit
    name: ClassVar[str] = "trend"
    default_min_records: ClassVar[int | None] = 0
    method_label: ClassVar[str | None] = "interval_trend"
    target_words: ClassVar[tuple[str, ...]] = (NO_DECLINE, IMPROVING)
    formula: ClassVar[dict[str, str] | None] = {
        "zh": f"趋势:各期值(比率以百分点计)对期序号作最小二乘回归,斜率的 95% 区间为 斜率 ± t(0.975, m−2)·标准误,m 为可评价的期数;“不下降”:区间整体低于 0 为不符合,末期比前一期下降超过噪声(两期之差标准误的 {Z_95_SHOWN} 倍;比率各期加一次符合、一次不符合校正,取 (x+1)/(n+2)、样本量 n+2,两期之差及其标准误均按校正值计)为观察项;“改善”:区间整体高于 0 方为符合。",
        "en": f"trend: least-squares slope of each period's value (a rate's in percentage points) on the period's position; its 95 % interval is slope ± t(0.975, m−2)·SE, m the judged periods; no-decline: nonconform when the interval lies wholly below 0, an observation when the last period fell below the previous by more than noise ({Z_95_SHOWN} standard errors of the difference; for a rate the Agresti–Caffo difference and standard error, each rate taken as (x+1)/(n+2) of n+2); improving: conform only when the interval lies wholly above 0.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> TrendMeasure | None:
        spec = measure_map(raw, key, ctx, ("of", "per", "periods"))
        if spec is None:
            return None
        no_scope_keys(raw, key, ctx)
        base = ctx.base_rule(spec, "of")
        per = spec.get("per")
        if per not in UNITS:
            from ..errors import closest_name

            ctx.error(
                f"'per' must be one of {', '.join(UNITS)}",
                spec.where("per") if "per" in spec else spec.start,
                suggestion=closest_name(str(per), UNITS),
            )
        count = spec.get("periods", DEFAULT_PERIODS)
        if isinstance(count, bool) or not isinstance(count, int):
            count = -1
        if not MIN_PERIODS <= count <= MAX_PERIODS:
            ctx.error(
                f"'periods' must be a whole number from {MIN_PERIODS} to {MAX_PERIODS}",
                spec.where("periods"),
            )
        unit = BaseUnit.of(base) if base is not None else None
        if base is None or unit is None or per not in UNITS or count < MIN_PERIODS:
            return None
        return cls(base.id, str(per), count, unit)

    def base_rule_id(self) -> str:
        return self.of

    def shape(self, base: Rule) -> Rule:
        return replace(base, group_by=(), judge="pooled", period="all")

    def periods(self, period: Period) -> list[Period]:
        found = [unit_period(period.last, self.per)]
        while len(found) < self.count:
            found.append(unit_period(found[-1].first - timedelta(days=1), self.per))
        return [period if p == period else p for p in reversed(found)]

    def value_unit(self, kind: EvidenceKind) -> str:
        return self.base.difference_unit

    def unit_label(self, kind: EvidenceKind) -> Text | None:
        return self.base.difference_label

    # ------------------------------------------------------------ judging

    def judge(self, rule: Rule, results: list[RuleResult], pooled: Finding) -> list[Finding]:
        rows, points = [], []
        for position, result in enumerate(results):
            finding = result.findings[0]
            p = point(finding)
            rows.append(_row(finding, p, self.base.scale))
            if p is not None:
                points.append((position, p))
        if len(points) < MIN_PERIODS:
            return cannot_judge(
                pooled,
                "too-few-periods",
                f"rule {self.of} could be judged in {len(points)} periods, fewer than {MIN_PERIODS}",
                rule=self.of,
                n=len(points),
                minimum=MIN_PERIODS,
            )
        fit = slope([float(x) for x, _ in points], [p.value * self.base.scale for _, p in points])
        details: dict[str, Any] = {
            "of": self.of,
            "per": self.per,
            "base_unit": self.base.unit,
            "scale": self.base.scale,
            "periods": rows,
            **fit,
            "change": self._change(results),
        }
        pooled.unit = self.base.difference_unit
        pooled.value, pooled.interval = fit["slope"], (fit["low"], fit["high"])
        pooled.counts.n = len(points)
        pooled.details = {"trend": details}
        self._verdict(rule, pooled, details)
        return [pooled]

    def _change(self, results: list[RuleResult]) -> dict[str, Any] | None:
        """The last period's value against the one before, and the noise of that difference."""
        if len(results) < 2:
            return None
        before, last = results[-2].findings[0], results[-1].findings[0]
        a, b = point(before), point(last)
        if a is None or b is None:
            return None
        scale = self.base.scale
        change = (b.value - a.value) * scale
        adjusted, se = _difference(a, b)
        noise = None if se is None else Z_95 * se * scale
        tested = change if adjusted is None else adjusted * scale
        return {
            "from": before.period,
            "to": last.period,
            "value": change,
            "adjusted": None if adjusted is None else tested,
            "noise": clean(noise),
            "beyond_noise": noise is not None and tested < -noise,
            #: the periods whose value is one value: no spread, so no noise to test against
            "one_value": [
                f.period for f, p in ((before, a), (last, b)) if p.se is None and p.n == 1
            ],
        }

    def _verdict(self, rule: Rule, f: Finding, details: dict[str, Any]) -> None:
        low, high = details["low"], details["high"]
        if rule.target.word == IMPROVING:
            if low > 0:
                f.verdict = "conform"
            else:
                f.verdict, f.severity = "nonconform", rule.severity
                f.reasons.append(NOT_ABOVE)
        elif high < 0:
            f.verdict, f.severity = "nonconform", rule.severity
            f.reasons.append(BELOW)
        elif details["change"] is not None and details["change"]["beyond_noise"]:
            f.verdict = "observation"
            f.reasons.append(DROPPED)
        else:
            f.verdict = "conform"
        if details["change"] is not None and details["change"]["noise"] is None:
            f.reasons.append(UNTESTED)


def _difference(a: Point, b: Point) -> tuple[float | None, float | None]:
    """The difference b − a the noise test reads and its standard error. A rate's are
    Agresti–Caffo's (each rate (x + 1)/(n + 2): a period at 0 % or 100 % still has noise);
    a mean's difference is its own (None here) with √(se_a² + se_b²), None when unknown."""
    if a.conforming is not None and b.conforming is not None:
        return agresti_caffo((a.conforming, a.n), (b.conforming, b.n))
    if a.se is None or b.se is None:
        return None, None
    return None, math.sqrt(a.se**2 + b.se**2)


def _row(finding: Finding, p: Point | None, scale: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "period": finding.period,
        "verdict": finding.verdict,
        "n": finding.counts.n if p is None else p.n,
        "value": None if p is None else p.value,
        "shown": None if p is None else p.value * scale,
    }
    if p is not None and p.conforming is not None:
        row["conforming"] = p.conforming
    if p is None:
        why = finding.not_evaluable or {}
        row["skipped"] = why.get("code", finding.verdict)
    return row


def slope(x: list[float], y: list[float]) -> dict[str, Any]:
    """Least-squares slope of y on x with its 95 % interval (t with m − 2 degrees of freedom)."""
    from scipy.stats import linregress

    fit = linregress(x, y)
    df = len(x) - 2
    t = t_critical(df)
    se = float(fit.stderr) if math.isfinite(fit.stderr) else 0.0
    value = float(fit.slope)
    return {
        "slope": value,
        "intercept": float(fit.intercept),
        "standard_error": se,
        "df": df,
        "t": t,
        "low": value - t * se,
        "high": value + t * se,
    }


def unit_period(day: Any, per: str) -> Period:
    """The whole day, week, month, quarter or year holding ``day``."""
    if per == "day":
        return Period(day.isoformat(), day, day)
    if per == "week":
        first = day - timedelta(days=day.weekday())
        iso = first.isocalendar()
        return Period(f"{iso.year}-W{iso.week:02d}", first, first + timedelta(days=6))
    if per == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if per == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(str(day.year))
