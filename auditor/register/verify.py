"""Effectiveness: the item's rule run again, for its group, on evidence after the fix.

The window starts the day after the item was implemented and lasts the
criterion's days. The whole window is judged for the item's group: for a rule
judged in each group and sub-period (``period: month``), every cell of the
group inside the window that has enough records to be judged, and the group
over the whole window. The worst of them decides: conform (or an observation)
closes the item as effective; a nonconformity reopens it, one severity level
up; too few records in the whole window changes nothing and says so. The deciding
finding's verdict is told with why, as its sentence in findings.json ends: with records
still open at the window's end, the range its rate will lie in once they end.
The rule runs on the SQL engine asked for (SQLite by default), recorded with
the verification's figures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import AuditorError
from ..evaluate.verdicts import level, worst
from ..evidence_span import KindCoverage, kind_coverage
from ..findings import Finding, sentences
from ..findings.contract import FindingEntry, RuleEntry, Severity
from ..findings.nonconformities import due_in_days, group_key
from ..findings.results import RuleResult
from ..i18n import Words
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
    #: the sub-period cells of the item's group inside the window (judged or not)
    cells: list[Finding] = field(default_factory=list)
    #: the deciding finding's value, what makes it and the target, as its sentence in
    #: findings.json says them (``26.3 % (1,065 of 4,057), target ≥ 95 %``, ``mean 4.20 min
    #: (sum 1,302 min / 310), target ≤ 5 min``); empty when nothing was judged
    figures: str = ""
    #: the deciding finding's verdict and why, as its sentence in findings.json ends
    #: (``observation (meets the target but ...)``); empty when nothing was judged
    verdict: str = ""


def verify_item(
    register: Register,
    item_id: str,
    pack_path: str | Path,
    evidence: str | Path,
    who: str,
    today: date,
    mapping: Mapping | None = None,
    engine: str = "sqlite",
    max_quarantine: float | None = None,
) -> Verification:
    """Re-run the item's rule on ``evidence`` over the criterion's window and record the result.

    ``engine`` names the SQL engine that evaluates the rule (see :mod:`auditor.backends.engines`).
    The evidence is taken as an audit takes it: a file that cannot be read, or one with a
    larger share of its rows quarantined than ``max_quarantine`` (an audit's ceiling by
    default), stops the verification before anything is judged or recorded.
    """
    from ..audit import DEFAULT_MAX_QUARANTINE, _unreadable, check_quarantine
    from ..backends.engines import check_engine
    from ..backends.store import EvidenceStore
    from ..evaluate.driver import Evaluation, backend_for
    from ..ingest import ingest
    from ..pack import load_pack

    check_engine(engine)
    item_id = register.item_id(item_id)
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
    _check_criterion(register, item, pack, rule, pack_path)
    period = _window(item)
    if period.last >= today:
        raise LifecycleError(
            f"{item_id}'s verification window {period.label} has not ended",
            hint=f"verify it from {period.last + timedelta(days=1)}, on evidence that covers "
            "the window",
        )
    store = EvidenceStore(None, engine=engine)
    try:
        report = ingest(pack, evidence, store, mapping)
        if report.errors:
            raise _unreadable(report)
        check_quarantine(
            report, DEFAULT_MAX_QUARANTINE if max_quarantine is None else max_quarantine
        )
        evaluation = Evaluation(pack, backend_for(store), period, (rule,))  # its calendar only
        result = evaluation.evaluate(rule)
        findings = result.findings
        key = item["group_key"]
        if key and rule.period != "all":  # the group over the whole window, not only by cell
            findings += evaluation.evaluate(dataclasses.replace(rule, period="all")).findings[1:]
        short = _short_of(kind_coverage(pack, store, period), rule.evidence, pack, period)
    finally:
        store.close()
    whole, cells = _for_group(findings, key, period, each=rule.judge == "each-group")
    finding = _deciding(whole, cells)
    if short is not None:  # whatever the records in the window make of it: the export is wrong
        return Verification(
            item_id, f"not-evaluable: {short}", period.label, finding, item["status"], cells
        )
    major_days = due_in_days(rule.capa.due_days, Severity.MAJOR, pack.due_days)
    criterion = {"target": str(rule.target), "pack_sha256": pack.sha256}
    recorded = _record(
        register, item, finding, (whole, cells), period, who, today, engine, major_days, criterion
    )
    figures, verdict = _said(finding, result)
    return dataclasses.replace(recorded, figures=figures, verdict=verdict)


def _said(finding: Finding, result: RuleResult) -> tuple[str, str]:
    """The finding's judged figures and its verdict with why, as its sentence says them."""
    if finding.value is None or finding.verdict not in ("conform", "observation", "nonconform"):
        return "", ""
    return judged_figures(finding, result), sentences.judged(_entry(finding), Words("en"))


def judged_figures(finding: Finding, result: RuleResult) -> str:
    """The value a finding was judged on, what makes it and the target, as the finding's
    sentence in findings.json says them (:func:`auditor.findings.sentences.judged_figures`):
    ``26.3 % (1,065 of 4,057), target ≥ 95 %``, ``mean 4.20 min (sum 1,302 min / 310),
    target ≤ 5 min``; empty for a finding with no value."""
    from ..findings.document import rule_fields

    entry = _entry(finding)
    rule = RuleEntry.model_validate(
        {**rule_fields(result), "clause_title": None, "findings": [entry]}
    )
    return sentences.judged_figures(entry, rule, Words("en"))


def _entry(finding: Finding) -> FindingEntry:
    """The verification's finding typed as findings.json has it, with the figures its
    sentence reads (not its failing records, which the figures do not show)."""
    from ..findings.document import finding_fields

    return FindingEntry.model_validate(
        {
            **finding_fields(finding),
            "failing_count": 0,
            "failing": [],
            "failing_values": [],
            "failing_notes": [],
            "failing_truncated": False,
        }
    )


def _check_criterion(
    register: Register, item: dict[str, Any], pack: Any, rule: Any, pack_path: str | Path
) -> None:
    """Refuse a pack that would judge the item against another criterion than it was raised
    against: its rule's target differs from the one the item recorded, or the pack is not
    the one (by SHA-256) of any audit that found the item's nonconformity."""
    recorded = (item.get("criterion") or {}).get("target")
    if recorded is not None and str(rule.target) != str(recorded):
        raise LifecycleError(
            f"{item['id']} was raised against {rule.id}'s target {recorded}; the pack "
            f"{pack_path} sets it at {rule.target}",
            hint="verify with the pack the item's audit used",
        )
    audits = {a["id"]: a for a in register.store.audits()}
    used = {
        audits[link["audit"]]["pack_sha256"]: link["audit"]
        for link in register.store.links(item["id"])
        if link["audit"] in audits and audits[link["audit"]].get("pack_sha256")
    }
    if used and pack.sha256 not in used:
        sha, audit = next(reversed(used.items()))
        raise LifecycleError(
            f"the pack {pack_path} (SHA-256 {pack.sha256[:12]}) is not the pack {item['id']}'s "
            f"audit {audit} used (SHA-256 {sha[:12]})",
            hint="verify with the pack the item's audit used",
        )


def _short_of(
    coverage: dict[str, KindCoverage], kind: str, pack: Any, period: Period
) -> str | None:
    """Why the evidence does not cover the whole window: the times of the rule's kind (of
    every timed kind, for a kind without times, such as a roster) begin after its first day
    or end before its last; None when it does, or when the kind has no record at all (the
    evaluation says so itself)."""
    if kind in coverage and not coverage[kind].stored:
        return None
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


def _for_group(
    findings: list[Finding], key: str, period: Period, each: bool
) -> tuple[Finding, list[Finding]]:
    """The item's group over the whole window, and its sub-period cells inside the window.

    ``findings`` are the rule's over the window (the pooled one first), then, for a rule
    split by sub-periods, each group's over the whole window. The pooled item of a rule
    judged pooled has no cells: the pooled finding is the rule's verdict.
    """
    if not key:
        cells = [f for f in findings[1:] if not f.group and f.period != period.label]
        return findings[0], cells if each else []
    own = [f for f in findings if group_key(f) == key]
    whole = next((f for f in own if f.period == period.label), None)
    cells = [f for f in own if f.period != period.label]
    if whole is not None:
        return whole, cells
    if findings[0].verdict in ("not-evaluable", "not-applicable"):
        return findings[0], []  # the whole rule could not be judged: its reason is the group's
    empty = Finding(
        id=key, rule="", clause="", measure="", group={}, period=period.label, pooled=False
    )
    return empty, cells


def _deciding(whole: Finding, cells: list[Finding]) -> Finding:
    """The finding that decides the verification: the worst of the group over the whole
    window and of its cells that could be judged (a cell with too few records decides
    nothing while the whole window has enough); a nonconformity is named by its cell
    when one is as bad. The whole window's when it cannot be judged (its reason)."""
    if whole.verdict not in ("conform", "observation", "nonconform"):
        return whole
    decisive = worst([whole, *cells]) or whole
    if decisive.verdict == "nonconform":
        same = [
            c
            for c in cells
            if level(c.verdict, c.severity) == level(decisive.verdict, decisive.severity)
        ]
        return same[0] if same else decisive
    return decisive


def _record(
    register: Register,
    item: dict[str, Any],
    finding: Finding,
    group: tuple[Finding, list[Finding]],
    period: Period,
    who: str,
    today: date,
    engine: str,
    major_days: int,
    criterion: dict[str, str],
) -> Verification:
    figures: dict[str, Any] = {
        "date": today.isoformat(),
        "who": who,
        "period": period.label,
        "finding": finding.id,
        "verdict": finding.verdict,
        "value": finding.value,
        "n": finding.counts.n,
        "conforming": finding.counts.conforming,
        "engine": engine,
        **criterion,
    }
    whole, cells = group
    if cells:  # the group over the whole window and each of its cells, judged or not
        figures["window"] = _cell(whole)
        figures["cells"] = [_cell(c) for c in cells]
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
            item["id"], f"not-evaluable: {reason}", period.label, finding, item["status"], cells
        )
    updated = register.record_verification(item["id"], who, changes, today)
    return Verification(item["id"], outcome, period.label, finding, updated["status"], cells)


def _cell(finding: Finding) -> dict[str, Any]:
    return {
        "finding": finding.id,
        "verdict": finding.verdict,
        "severity": finding.severity,
        "value": finding.value,
        "n": finding.counts.n,
        "conforming": finding.counts.conforming,
    }
