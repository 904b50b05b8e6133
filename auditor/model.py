"""The checked, compiled form of a rule pack: what the engine and reports read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .errors import AuditorError
from .expression import Expr, FieldType
from .measures.base import Measure
from .standards import Standard, Text
from .units import Threshold

SEVERITIES = ("major", "minor")
PERIODS = ("day", "week", "month", "quarter", "year", "all")
FIELD_TYPES = ("string", "integer", "number", "boolean", "timestamp", "date", "duration", "enum")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    optional: bool = False
    values: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    #: source texts that stand for an enum value, e.g. {电话: phone}
    value_aliases: tuple[tuple[str, str], ...] = ()
    #: what a number in this field counts, for people ({zh: 分钟, en: min}), if the pack says
    unit: Text | None = None

    @property
    def checker_type(self) -> FieldType:
        return FieldType(self.type, self.values, self.optional)


@dataclass(frozen=True)
class EvidenceKind:
    name: str
    title: Text
    key: tuple[str, ...]
    time: str | None
    fields: dict[str, FieldSpec]
    missing: tuple[str, ...] = ("",)

    @property
    def schema(self) -> dict[str, FieldType]:
        return {name: spec.checker_type for name, spec in self.fields.items()}

    def field_named(self, name: str) -> str:
        """The field ``name`` names: itself, or the field that has it among its aliases
        (``site`` for 站点); ``name`` when no field has it."""
        if name in self.fields:
            return name
        return next((f for f, spec in self.fields.items() if name in spec.aliases), name)


@dataclass(frozen=True)
class Calendar:
    """Weekly opening hours plus the holiday source; seconds from midnight."""

    name: str
    hours: dict[int, tuple[tuple[int, int], ...]]  # weekday (0 = Monday) -> open stretches
    holidays: str | None  # "CN" or None
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()


@dataclass(frozen=True)
class Exclusion:
    condition: Expr
    reason: str  # the English text: the key it is counted under in findings
    #: both languages, when the pack gives ``reason: {zh: ..., en: ...}``
    title: Text | None = None


@dataclass(frozen=True)
class CorrectiveAction:
    action: Text
    owner: Text  # the role, in both languages (the same text twice when the pack gives one)
    due_days: int


@dataclass(frozen=True)
class Target:
    """What a rule's figure must reach.

    Per-record measures: ``share`` is the fraction of in-scope records that must
    conform; aggregates: ``threshold`` is what the value must satisfy; a measure
    with target words (a trend): ``word``.
    """

    share: Decimal | None = None
    threshold: Threshold | None = None
    warn_share: Decimal | None = None
    warn_threshold: Threshold | None = None
    major_below: Decimal | None = None
    #: what stands for the target of a measure that judges by its own test (``±3σ``)
    text: str = ""
    #: a target written as a word of the measure's (a trend's ``no-decline``, ``improving``)
    word: str | None = None

    def __str__(self) -> str:
        if self.word is not None:
            return self.word
        if self.share is not None:
            return f">= {_percent(self.share)}"
        return str(self.threshold) if self.threshold is not None else self.text


def _percent(value: Decimal) -> str:
    text = format(value * 100, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    title: Text
    evidence: str
    measure: Measure
    target: Target
    severity: str
    capa: CorrectiveAction
    where: Expr | None = None
    exclusions: tuple[Exclusion, ...] = ()
    time: str | None = None
    min_records: int = 30
    group_by: tuple[str, ...] = ()
    period: str = "all"
    judge: str = "pooled"  # or "each-group"
    line: int | None = None
    #: how the pack reads its clause (business hours for "4 hours", a target the standard leaves open)
    interpretation: Text | None = None


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    title: Text
    standard: Standard
    timezone: str
    calendars: dict[str, Calendar]
    evidence: dict[str, EvidenceKind]
    rules: tuple[Rule, ...]
    path: str
    sha256: str
    language: str = "zh"
    due_days: dict[str, int] = field(default_factory=lambda: {"major": 30, "minor": 90})
    #: measurable clauses the pack does not check, with the reason (``not_covered:``)
    not_covered: dict[str, Text] = field(default_factory=dict)
    #: measurable clauses with neither a rule nor a ``not_covered`` entry: ``pack check`` fails on them
    coverage_problems: tuple[AuditorError, ...] = ()
    #: things ``pack check`` warns about (a rule's number unlike its clause's, without an interpretation)
    warnings: tuple[AuditorError, ...] = ()

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def coverage(self) -> Coverage:
        """Every clause of the standard with the rules checking it, its reason, or its gap."""
        by_clause: dict[str, list[str]] = {}
        for rule in self.rules:
            by_clause.setdefault(rule.clause, []).append(rule.id)
        rows = []
        for clause_id, clause in self.standard.clauses.items():
            rules = tuple(by_clause.get(clause_id, ()))
            if rules:
                status = "rules"
            elif clause_id in self.not_covered:
                status = "not-covered"
            elif clause.assessment == "judgement":
                status = "judgement"
            else:
                status = "uncovered"
            rows.append(
                ClauseCoverage(
                    clause_id, clause.assessment, status, rules, self.not_covered.get(clause_id)
                )
            )
        return Coverage(tuple(rows))


@dataclass(frozen=True)
class ClauseCoverage:
    """One clause as the pack covers it.

    ``status``: ``rules`` (one or more rules check it), ``not-covered`` (no rule, with the
    pack's reason), ``judgement`` (no rule, left to the auditor's judgement) or
    ``uncovered`` (measurable with neither: ``pack check`` fails).
    """

    clause: str
    assessment: str
    status: str
    rules: tuple[str, ...] = ()
    reason: Text | None = None


@dataclass(frozen=True)
class Coverage:
    clauses: tuple[ClauseCoverage, ...]

    def with_status(self, status: str) -> list[str]:
        return [c.clause for c in self.clauses if c.status == status]

    @property
    def covered(self) -> list[str]:
        return self.with_status("rules")

    @property
    def measurable_without_rule(self) -> list[str]:
        return self.with_status("uncovered")

    @property
    def left_to_auditor(self) -> list[str]:
        return self.with_status("judgement")


__all__ = [
    "FIELD_TYPES",
    "PERIODS",
    "SEVERITIES",
    "WEEKDAYS",
    "Calendar",
    "ClauseCoverage",
    "CorrectiveAction",
    "Coverage",
    "EvidenceKind",
    "Exclusion",
    "FieldSpec",
    "Measure",
    "Pack",
    "Rule",
    "Target",
]
