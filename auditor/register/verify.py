"""Effectiveness: the item's rule run again, for its group, on evidence after the fix.

The window starts the day after the item was implemented and lasts the
criterion's days. The rule's own verdict for the item's group decides:
conform (or an observation) closes the item as effective; a nonconformity
reopens it, one severity level up; too few records changes nothing and says so.
The rule runs on the SQL engine asked for (SQLite by default), recorded with
the verification's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import AuditorError
from ..evidence_span import KindCoverage, kind_coverage
from ..findings import Finding
from ..findings.contract import Severity
from ..findings.nonconformities import due_in_days
from ..mapping import Mapping
from ..periods import Period
from .lifecycle import LifecycleError, Status, stepped_up
from .register import Register


@dataclass
class Verification:
    item: str
    outcome: str  # effective | ineffective | not-evaluable
    period: str
    finding: Finding
    status: str


def verify_item(
    register: Register,
    item_id: str,
    pack_path: str | Path,
    evidence: str | Path,
    who: str,
    today: date,
    mapping: Mapping | None = None,
    engine: str = "sqlite",
) -> Verification:
    """Re-run the item's rule on ``evidence`` over the criterion's window and record the result.

    ``engine`` names the SQL engine that evaluates the rule (see :mod:`auditor.backends.engines`).
    """
    from ..backends.engines import check_engine
    from ..backends.store import EvidenceStore
    from ..evaluate.driver import Evaluation, backend_for
    from ..ingest import ingest
    from ..pack import load_pack

    check_engine(engine)
    item = register.item(item_id)
    if item["status"] != Status.IMPLEMENTED or not item.get("implemented_on"):
        raise LifecycleError(
            f"{item_id} is {item['status']}; only an implemented item (with its implementation "
            "date) can be verified"
        )
    pack = load_pack(pack_path)
    rule = pack.rule(item["rule"])
    if rule is None:
        raise AuditorError(f"pack {pack.id} has no rule {item['rule']} (the item's rule)")
    period = _window(item)
    if period.last >= today:
        raise LifecycleError(
            f"{item_id}'s verification window {period.label} has not ended",
            hint=f"verify it from {period.last + timedelta(days=1)}, on evidence that covers "
            "the window",
        )
    store = EvidenceStore(None, engine=engine)
    try:
        ingest(pack, evidence, store, mapping)
        result = Evaluation(pack, backend_for(store), period).evaluate(rule)
        short = _short_of(kind_coverage(pack, store, period), rule.evidence, pack, period)
    finally:
        store.close()
    finding = _for_group(result.findings, item["group_key"])
    if short is not None and finding.verdict not in ("not-evaluable", "not-applicable"):
        return Verification(
            item_id, f"not-evaluable: {short}", period.label, finding, item["status"]
        )
    major_days = due_in_days(rule.capa.due_days, Severity.MAJOR, pack.due_days)
    return _record(register, item, finding, period, who, today, engine, major_days)


def _short_of(
    coverage: dict[str, KindCoverage], kind: str, pack: Any, period: Period
) -> str | None:
    """Why the evidence does not cover the whole window: the times of the rule's kind (of
    every timed kind, for a kind without times, such as a roster) begin after its first day
    or end before its last; None when it does."""
    timed = [c for c in coverage.values() if c.first is not None and c.last is not None]
    own = [c for c in timed if c.kind == kind] or timed
    if not own:
        return None  # no timed record at all: the evaluation says so itself
    zone = ZoneInfo(pack.timezone)
    first = datetime.fromtimestamp(min(c.first for c in own if c.first is not None), zone).date()
    last = datetime.fromtimestamp(max(c.last for c in own if c.last is not None), zone).date()
    if first <= period.first and last >= period.last:
        return None
    what = f"the {kind} records" if own[0].kind == kind else "the evidence"
    return (
        f"{what} run{'s' if what == 'the evidence' else ''} from {first} to {last}, short of "
        f"the window {period.label}; give the export that covers it"
    )


def _window(item: dict[str, Any]) -> Period:
    start = date.fromisoformat(item["implemented_on"]) + timedelta(days=1)
    days = int((item.get("criterion") or {}).get("window_days", 30))
    last = start + timedelta(days=days - 1)
    return Period(f"{start}..{last}", start, last)


def _for_group(findings: list[Finding], key: str) -> Finding:
    """The whole-window finding of the item's group ('' for the pooled one)."""
    if not key:
        return findings[0]
    whole = findings[0].period
    for finding in findings:
        text = ", ".join(f"{k}={v}" for k, v in finding.group.items())
        if text == key and finding.period == whole:
            return finding
    for finding in findings:  # a rule split by sub-periods: the group's cells have no whole one
        if ", ".join(f"{k}={v}" for k, v in finding.group.items()) == key:
            return finding
    if findings[0].verdict in ("not-evaluable", "not-applicable"):
        return findings[0]  # the whole rule could not be judged: its reason is the group's
    return Finding(id=key, rule="", clause="", measure="", group={}, period=whole, pooled=False)


def _record(
    register: Register,
    item: dict[str, Any],
    finding: Finding,
    period: Period,
    who: str,
    today: date,
    engine: str,
    major_days: int,
) -> Verification:
    figures = {
        "date": today.isoformat(),
        "who": who,
        "period": period.label,
        "finding": finding.id,
        "verdict": finding.verdict,
        "value": finding.value,
        "n": finding.counts.n,
        "conforming": finding.counts.conforming,
        "engine": engine,
    }
    if finding.verdict in ("conform", "observation"):
        changes = {"status": str(Status.VERIFIED_EFFECTIVE), "verification": figures}
        outcome = "effective"
    elif finding.verdict == "nonconform":
        changes = {"status": str(Status.VERIFIED_INEFFECTIVE), "verification": figures}
        changes |= stepped_up(item, "the fix did not work", today, major_days)
        outcome = "ineffective"
    else:
        reason = "; ".join(finding.reasons) or "no record of the item's group in the window"
        return Verification(
            item["id"], f"not-evaluable: {reason}", period.label, finding, item["status"]
        )
    updated = register.record_verification(item["id"], who, changes, today)
    return Verification(item["id"], outcome, period.label, finding, updated["status"])
