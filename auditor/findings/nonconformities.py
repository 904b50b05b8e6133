"""The nonconformities an audit reports: what a corrective action is opened for.

One definition for the audit's own CAPA plan (capa.csv, capa.xlsx, the
report's table) and for the CAPA register, so that the two never list
different items: a rule judged pooled that does not conform is one
nonconformity (its pooled finding decides it); a rule judged in each group
is one nonconformity per group that does not conform (its worst sub-period).
A group that fails under a rule judged pooled is part of that rule's figures,
not a nonconformity of its own (the rule's verdict, an observation say, is
the audit's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from .contract import (
    FindingEntry,
    FindingsDocument,
    RuleEntry,
    Verdict,
    WaivedFinding,
    level,
    verdict_level,
)
from .results import group_text


class Grouped(Protocol):
    """A finding of findings.json or of the engine: both name their group's values."""

    @property
    def group(self) -> Mapping[str, Any]: ...


def group_key(finding: Grouped) -> str:
    """``site=SH`` (``''`` for a finding of no group): how the register keys an item."""
    return group_text(finding.group)


def nonconformities(document: FindingsDocument) -> list[tuple[str, RuleEntry, FindingEntry]]:
    """Each nonconformity as (group key, its rule, the finding that shows it), in rule order
    and, within a rule, by group."""
    return [
        (key, rule, shown_by)
        for rule in document.rules
        for key, shown_by in rule_nonconformities(rule)
    ]


def rule_nonconformities(rule: RuleEntry) -> list[tuple[str, FindingEntry]]:
    """A rule's nonconformities as (group key, the finding that shows it), by group: none for
    a rule that does not fail, one of key ``''`` for a rule judged pooled."""
    if rule.verdict != Verdict.NONCONFORM:
        return []
    groups = _failing_groups(rule) if rule.judge == "each-group" else {}
    if not groups:
        return [("", rule.deciding_finding())]
    return [(key, groups[key]) for key in sorted(groups)]


def waived_nonconformities(
    document: FindingsDocument,
) -> list[tuple[str, RuleEntry, FindingEntry]]:
    """Each nonconformity a waiver in force turned into ``waived``, as :func:`nonconformities`
    would give it without the waiver: (group key, its rule, the waived finding that shows it).
    A rule judged in each group gives one per waived group (its worst waived cell, by what it
    would have been); a rule whose own nonconformity is waived and no group of it, the rule's."""
    found: list[tuple[str, RuleEntry, FindingEntry]] = []
    for rule in document.rules:
        groups = _waived_groups(rule) if rule.judge == "each-group" else {}
        if not groups and rule.waived is not None:  # its pooled finding
            found.append(("", rule, rule.findings[0]))
        found.extend((key, rule, groups[key]) for key in sorted(groups))
    return found


def _waived_groups(rule: RuleEntry) -> dict[str, FindingEntry]:
    """Each group's worst waived cell, by the verdict it would have had (then its shortfall)."""
    worst: dict[str, FindingEntry] = {}
    for finding in rule.findings[1:]:
        if finding.waived is None or not finding.group:
            continue
        key = group_key(finding)
        held = worst.get(key)
        if held is None or _would_be(finding) > _would_be(held):
            worst[key] = finding
    return worst


def _would_be(finding: FindingEntry) -> tuple[int, float]:
    would = finding.waived.would_be if finding.waived is not None else None
    shown = 0 if would is None else verdict_level(would.verdict, would.severity)
    return shown, finding.shortfall or 0


def waived_findings(document: FindingsDocument) -> list[WaivedFinding]:
    """Every nonconformity a waiver in force turned into ``waived``, in rule order: the rule's
    own, then its groups' (a one-pack report's table of waivers, a combined audit's list per
    pack)."""
    found = []
    for rule in document.rules:
        if rule.waived is not None:
            found.append(WaivedFinding(finding=rule.rule, waived=rule.waived))
        for finding in rule.findings:
            if finding.waived is not None and not (finding.pooled and rule.waived is not None):
                found.append(WaivedFinding(finding=finding.id, waived=finding.waived))
    return found


def _failing_groups(rule: RuleEntry) -> dict[str, FindingEntry]:
    """Each group's worst nonconforming cell: a major one before a minor one, of two at one
    level the one that needed more conforming records (as the deciding finding is chosen)."""
    worst: dict[str, FindingEntry] = {}
    for finding in _failing_cells(rule):
        key = group_key(finding)
        held = worst.get(key)
        if held is None or _badness(finding) > _badness(held):
            worst[key] = finding
    return worst


def _failing_cells(rule: RuleEntry) -> list[FindingEntry]:
    """The rule's nonconforming group cells (a group's, in each of its sub-periods)."""
    return [f for f in rule.findings[1:] if f.verdict == Verdict.NONCONFORM and f.group]


def _badness(finding: FindingEntry) -> tuple[int, float]:
    return level(finding), finding.shortfall or 0


def dealt_with(rule: RuleEntry, key: str, shown_by: FindingEntry) -> list[FindingEntry]:
    """The findings whose failing records a nonconformity's corrective action deals with:
    under a rule judged in each group, every nonconforming cell (sub-period) of the group
    ``key``, beyond the worst one that shows it; otherwise the finding that shows it."""
    if not key:
        return [shown_by]
    return [f for f in _failing_cells(rule) if group_key(f) == key]


def failing_total(findings: list[FindingEntry]) -> int:
    """How many failing records ``findings`` hold between them."""
    return sum(f.failing_count for f in findings)


def due_in_days(own: int, severity: str, due_days: dict[str, int]) -> int:
    """Days to the due date of an item of ``severity`` for a rule whose corrective action is
    due in ``own`` days: the pack's days for the severity (``due_days``), or the rule's own
    when they are fewer (the audit's CAPA plan and the register take the same)."""
    return min(own, due_days.get(severity, own))
