"""The certification recommendation: one decision from the rule verdicts, with its reasons.

No recommendation is made without evidence: a rule that could not be judged
withholds a positive recommendation, because an absent figure is not a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .findings import RuleResult

#: the decisions, from best to worst
DECISIONS = ("recommended", "subject-to-plan", "withheld", "not-recommended")


def recommendation(results: list[RuleResult]) -> dict[str, Any]:
    """``{"decision", "not_evaluable", "majors", "minors"}`` for the audit's rule results.

    - any major nonconformity: not recommended;
    - else any rule not evaluable: withheld (the clauses lacking evidence are listed);
    - else any minor nonconformity: recommended subject to an accepted corrective-action plan;
    - else recommended.
    """
    majors = [
        r.rule for r in results if r.verdict == "nonconform" and r.verdict_severity == "major"
    ]
    minors = [
        r.rule for r in results if r.verdict == "nonconform" and r.verdict_severity != "major"
    ]
    missing = [
        {"rule": r.rule, "clause": r.clause, "reason": _reason(r)}
        for r in results
        if r.verdict == "not-evaluable"
    ]
    if majors:
        decision = "not-recommended"
    elif missing:
        decision = "withheld"
    elif minors:
        decision = "subject-to-plan"
    else:
        decision = "recommended"
    return {"decision": decision, "not_evaluable": missing, "majors": majors, "minors": minors}


def _reason(result: RuleResult) -> str:
    for finding in result.findings:
        if finding.verdict == "not-evaluable" and finding.reasons:
            return finding.reasons[0]
    return "not evaluable"


def worst_decision(decisions: Sequence[str]) -> str:
    """The worst of several recommendations (a combined audit's): later in DECISIONS is worse."""
    return max(decisions, key=DECISIONS.index, default=DECISIONS[0])
