"""Findings: one verdict per rule x group x period, with the arithmetic behind it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VERDICTS = ("conform", "observation", "nonconform", "not-evaluable", "not-applicable")

#: how bad a verdict is, for the rule-level verdict and --fail-on
RANK = {
    "not-applicable": 0,
    "not-evaluable": 0,
    "waived": 0,
    "conform": 0,
    "observation": 1,
    "minor": 2,
    "major": 3,
}


#: how a finding's id, the register and failing-records.csv write a group value that is missing
EMPTY_VALUE = "(empty)"


def group_text(group: Mapping[str, Any], separator: str = ", ") -> str:
    """``site=SH`` (``site=SH, channel=phone`` for several; ``''`` for none), a missing value
    as ``(empty)``: the one way a group is written where it names or keys something."""
    return separator.join(f"{k}={group_value_text(v)}" for k, v in group.items())


def group_value_text(value: Any) -> str:
    """A group's value as ids write it, each value its own text: a missing one ``(empty)``, a
    text that is ``(empty)`` itself or starts with a double quote in JSON quotes
    (``"(empty)"``), any other as it is."""
    if value is None:
        return EMPTY_VALUE
    text = str(value)
    if text == EMPTY_VALUE or text.startswith('"'):
        return json.dumps(text, ensure_ascii=False)
    return text


@dataclass
class Counts:
    n: int = 0  # in the denominator: conforming + breached
    conforming: int = 0
    breached: int = 0
    pending: int = 0
    excluded: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "n": self.n,
            "conforming": self.conforming,
            "breached": self.breached,
            "pending": self.pending,
            "excluded": self.excluded,
        }


@dataclass
class Finding:
    id: str
    rule: str
    clause: str
    measure: str
    group: dict[str, Any]
    period: str
    pooled: bool
    verdict: str = "not-evaluable"
    severity: str | None = None
    counts: Counts = field(default_factory=Counts)
    value: float | None = None
    unit: str = "share"  # share | number | points | per_1000 | seconds
    interval: tuple[float, float] | None = None
    target: str = ""
    shortfall: int | None = None
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    failing: list[str] = field(default_factory=list)
    #: the measured value of each failing record (seconds for durations), same order
    failing_values: list[float | None] = field(default_factory=list)
    #: why each failing record failed, same order: None or
    #: {"problem": late | missing | out of order | open at period end | ended without reaching,
    #: "step", "over_seconds"} (ended without reaching: the step names the end not reached)
    failing_notes: Sequence[dict[str, Any] | None] = field(default_factory=list)
    #: where each failing record was read: {"file", "line"} (a sequence: its first step's event)
    failing_sources: Sequence[dict[str, Any] | None] = field(default_factory=list)
    excluded_by_reason: dict[str, int] = field(default_factory=dict)
    #: the target as a comparison in the unit of ``value`` ({"op": ">=", "value": 0.95})
    threshold: dict[str, Any] | None = None
    #: why the finding could not be judged: {"code": no-evidence | too-few | field-empty |
    #: no-column | filter-field-empty | base-not-evaluable | too-few-groups | too-few-periods,
    #: ...}
    not_evaluable: dict[str, Any] | None = None
    #: a waiver in force: its id, reason, risk, people, expiry and what the finding would be
    waived: dict[str, Any] | None = None

    @property
    def level(self) -> int:
        if self.verdict == "nonconform":
            return RANK[self.severity or "minor"]
        return RANK.get(self.verdict, 0)


@dataclass
class RuleResult:
    rule: str
    clause: str
    title_en: str
    title_zh: str
    measure: str
    severity: str
    verdict: str
    verdict_severity: str | None
    judge: str
    findings: list[Finding]
    capa: dict[str, Any]
    exclusions: list[dict[str, Any]] = field(default_factory=list)
    #: the business calendar the measure counts time in, if any
    calendar: str | None = None
    #: the unit of the failing records' values (seconds, business-seconds, number) or None
    failing_unit: str | None = None
    #: the pack's words for what a plain number counts ({"zh": "分钟", "en": "min"}), if any
    unit_label: dict[str, str] | None = None
    #: a waiver in force over the rule's own nonconformity
    waived: dict[str, Any] | None = None

    @property
    def level(self) -> int:
        if self.verdict == "nonconform":
            return RANK[self.verdict_severity or "minor"]
        return RANK.get(self.verdict, 0)


def worst(findings: list[Finding]) -> Finding | None:
    judged = [f for f in findings if f.verdict in ("conform", "observation", "nonconform")]
    if not judged:
        return None
    return max(judged, key=lambda f: f.level)
