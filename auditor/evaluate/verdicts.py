"""Verdicts from figures: the one ranking of verdicts (the deciding finding is chosen by
the findings contract, :meth:`auditor.findings.contract.RuleEntry.deciding_finding`).

Rates (per-record measures), with n = conforming + breached: too few records is
not-evaluable; below the target is a nonconformity (major below
``major_below``); inside the warn band, or (below a 100 % target) with the
lower 95 % bound under the target, an observation; otherwise conform. Records still open
at the period end (pending) are not in the rate: a reason says how many, the range the
rate will lie in once they end, and whether the verdict may then change.
Aggregates compare their value with the threshold the same way; an estimate (a mean)
that meets it on one value, with no interval to confirm it, is an observation.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from ..findings import RANK, Counts, Finding
from ..formatting import percent_text
from ..stats import shortfall, wilson_interval

if TYPE_CHECKING:
    from ..measures import Figure
    from ..model import Rule


#: why an estimate on one value (a mean of one score) that meets its target is not a conformity
ONE_VALUE = "meets the target but one value gives no 95 % interval to confirm it"


def percent(value: float) -> str:
    """A target or bound as written in a reason: one decimal."""
    return f"{value * 100:.1f} %"


def too_few(f: Finding, n: int, minimum: int, what: tuple[str, str]) -> None:
    """Not evaluable on ``n`` of ``what`` (its singular and plural), fewer than ``minimum``."""
    f.verdict = "not-evaluable"
    f.not_evaluable = {"code": "too-few", "n": n, "minimum": minimum}
    f.reasons.append(
        f"{n:,} {what[0] if n == 1 else what[1]}, fewer than the minimum of {minimum:,}"
    )


def judge_share(rule: Rule, f: Finding, not_applicable_when_all_excluded: bool) -> None:
    """The verdict of a rate of conforming records against the rule's target share."""
    c = f.counts
    target = rule.target.share or Decimal(1)
    f.threshold = {"op": ">=", "value": float(target)}
    if c.n == 0 and c.excluded and not_applicable_when_all_excluded and not c.pending:
        f.verdict = "not-applicable"
        return
    if c.n < rule.min_records:
        too_few(f, c.n, rule.min_records, ("record in the rate", "records in the rate"))
        return
    rate = Fraction(c.conforming, c.n)
    low, high = wilson_interval(c.conforming, c.n)
    f.value, f.interval, f.unit = c.conforming / c.n, (low, high), "share"
    f.shortfall = shortfall(c.conforming, c.n, Fraction(target))
    _share_verdict(rule, f, rate, Fraction(target), low)
    may_change = c.pending > 0 and _changes_once_ended(rule, f, Fraction(target))
    f.reasons.extend(pending_range(c, Fraction(target), may_change))  # after the verdict's


#: the start of the reason :func:`pending_range` gives (the console picks it out by it)
PENDING_RANGE = re.compile(r"^[\d,]+ records? still open at the period end ")


def _changes_once_ended(rule: Rule, f: Finding, target: Fraction) -> bool:
    """Whether the verdict (and severity) of the rate would be another at either end of the
    range it will lie in once the pending records end: none of them conforming, all of them
    (the target, the major level, the warn band and the 95 % bound each judged there)."""
    c = f.counts
    ended = c.n + c.pending
    for conforming in (c.conforming, c.conforming + c.pending):
        low = wilson_interval(conforming, ended)[0]
        verdict, severity, _ = _share_outcome(rule, Fraction(conforming, ended), target, low)
        if (verdict, severity) != (f.verdict, f.severity):
            return True
    return False


def pending_range(c: Counts, target: Fraction, may_change: bool) -> list[str]:
    """The records still open at the period end, not in the rate, and the range the rate
    will lie in once they end (none of them conforming to all), saying when the verdict
    may then change (``may_change``); nothing when none is open."""
    if not c.pending:
        return []
    ended = c.n + c.pending
    lowest = Fraction(c.conforming, ended)
    highest = Fraction(c.conforming + c.pending, ended)
    records, are, end = (
        ("record", "is", "it ends") if c.pending == 1 else ("records", "are", "they end")
    )
    text = (
        f"{c.pending:,} {records} still open at the period end {are} not in the rate: "
        f"once {end}, the rate will lie between {percent_text(float(lowest), float(target))} "
        f"and {percent_text(float(highest), float(target))}"
    )
    if may_change:
        text += ", and the verdict may change"
    return [text]


def _share_verdict(rule: Rule, f: Finding, rate: Fraction, target: Fraction, low: float) -> None:
    verdict, severity, reasons = _share_outcome(rule, rate, target, low)
    f.verdict = verdict
    if severity is not None:
        f.severity = severity
    f.reasons.extend(reasons)


def _share_outcome(
    rule: Rule, rate: Fraction, target: Fraction, low: float
) -> tuple[str, str | None, list[str]]:
    """The verdict, severity (a nonconformity's) and reasons of ``rate``, whose 95 % lower
    bound is ``low``, against ``target``."""
    warn, major_below = rule.target.warn_share, rule.target.major_below
    if rate < target:
        if major_below is not None and rate < Fraction(major_below):
            return "nonconform", "major", [f"below {percent(float(major_below))}, so major"]
        return "nonconform", rule.severity, []
    if warn is not None and rate < Fraction(warn):
        return (
            "observation",
            None,
            [f"meets the target but is inside the warn band (below {percent(float(warn))})"],
        )
    if target < 1 and low < float(target):
        # A 100 % target is a check of every record, not an estimate: no bound applies.
        bound = percent_text(low, float(target))
        return (
            "observation",
            None,
            [f"meets the target but the 95 % lower bound {bound} is below it"],
        )
    return "conform", None, []


def judge_threshold(rule: Rule, f: Finding, figure: Figure) -> None:
    """The verdict of an aggregate value against the rule's threshold."""
    threshold = rule.target.threshold
    assert threshold is not None
    f.value, f.interval = figure.value, figure.interval
    f.details = dict(figure.details or {})
    if not threshold.holds(figure.value):
        f.verdict, f.severity = "nonconform", rule.severity
    elif rule.target.warn_threshold is not None and not rule.target.warn_threshold.holds(
        figure.value
    ):
        f.verdict = "observation"
        f.reasons.append(f"meets the target but not the warn level {rule.target.warn_threshold}")
    elif figure.estimate and figure.interval is None:
        f.verdict = "observation"
        f.reasons.append(ONE_VALUE)
    elif figure.interval is not None and not threshold.holds(
        figure.interval[0] if threshold.higher_is_better else figure.interval[1]
    ):
        f.verdict = "observation"
        f.reasons.append("meets the target but the 95 % confidence bound does not")
    else:
        f.verdict = "conform"


# ------------------------------------------------------------ ranking


def level(verdict: str, severity: str | None) -> int:
    """How bad a verdict is: major 3, minor 2, observation 1, anything else 0."""
    if verdict == "nonconform":
        return RANK[severity or "minor"]
    return RANK.get(verdict, 0)


def worst(findings: list[Finding]) -> Finding | None:
    """The worst judged finding (conform, observation or nonconform), the first among equals."""
    judged = [f for f in findings if f.verdict in ("conform", "observation", "nonconform")]
    if not judged:
        return None
    return max(judged, key=lambda f: level(f.verdict, f.severity))
