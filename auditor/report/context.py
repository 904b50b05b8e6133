"""What the template shows, worked out once from the typed findings document.

The template gets the document's models (rules, findings, the manifest) and
small view objects built here; it never looks into the document by key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..failing import FILE_NAME
from ..findings import sentences
from ..findings.contract import (
    Decision,
    FailingRecordsFile,
    FindingsDocument,
    KindSummary,
    RuleEntry,
    Severity,
    Summary,
    Verdict,
    Warning_,
    level,
)
from ..findings.document import evidence_gap_line
from ..findings.nonconformities import waived_findings
from ..formatting import count, first_names
from ..i18n import Words
from . import appendix, registers, rules

if TYPE_CHECKING:
    from ..register.register import TrackedItem

#: the group field whose values the cover lists as the audited sites
SITE_FIELD = "site"
#: the gaps the executive summary lists (the worst first); the gap analysis has them all
WORST_GAPS = 5


@dataclass(frozen=True)
class Options:
    lang: str
    report_date: date
    organisation: str | None = None
    auditor: str | None = None
    #: the previous audit of the same pack, for the status of its findings
    previous: FindingsDocument | None = None
    #: the CAPA register's item each nonconformity is tracked as, by finding id (the audit
    #: recorded in the register given), else None
    tracked: Mapping[str, TrackedItem] | None = None
    #: the folder of the audit's own files (failing-records.csv) relative to the report: ""
    #: when they are beside it; a combined report's section names its pack's folder
    files_folder: str = ""


def issue_date(document: FindingsDocument, given: date | None) -> date:
    """The report's date: the one given, else the day the audit ran."""
    return given or datetime.fromisoformat(document.generated_at).date()


def clause_key(clause: str) -> tuple[int, ...]:
    """``3.10.2`` after ``3.9.1``: a clause number by its parts."""
    return tuple(int(part) for part in re.findall(r"\d+", clause))


def plan_of(document: FindingsDocument, options: Options, words: Words) -> list[registers.PlanRow]:
    """The audit's CAPA plan, each row with the register item it is tracked as (if any)."""
    return registers.plan_rows(
        registers.capa_items(document, options.report_date, words), options.tracked
    )


def build_context(document: FindingsDocument, options: Options) -> dict[str, Any]:
    """Everything the template shows, worked out from the findings document."""
    words = Words.of(document, options.lang)
    gaps = sorted(
        (r for r in document.rules if r.verdict in (Verdict.NONCONFORM, Verdict.OBSERVATION)),
        key=lambda r: (-level(r), clause_key(r.clause), r.rule),
    )
    gap_ids = {r.rule for r in gaps}
    plan = plan_of(document, options, words)
    ordered = sorted(document.rules, key=lambda r: (clause_key(r.clause), r.rule))
    listing = failing_listing(document, options)
    return {
        "lang": options.lang,
        "w": words,
        "L": words.label,
        **cover(document, options, words),
        "verdict_counts": verdict_counts(document),
        "recommendation": recommendation(document, words, plan),
        "previous": _previous(document, options, words),
        "waived": waived_findings(document),
        "worst_gaps": [
            WorstGap(r, sentences.deciding_sentence(r, words)) for r in gaps[:WORST_GAPS]
        ],
        "more_gaps": more_gaps(len(gaps) - WORST_GAPS, words),
        "clause_rows": [rules.clause_row(rule, words) for rule in ordered],
        "group_tables": [
            rules.GroupTable(rule, rules.group_rows(rule, words))
            for rule in ordered
            if len(rule.findings) > 1 and rule.rule not in gap_ids
        ],
        "period_tables": [
            table
            for rule in ordered
            if rule.rule not in gap_ids and (table := rules.period_table(rule, words))
        ],
        "gaps": [rules.gap(rule, words, listing) for rule in gaps],
        "capa": plan,
        **appendix.appendix(document, words),
        "failing_file": listing,
        **appendix.method(document, words),
    }


def failing_path(document: FindingsDocument, options: Options) -> str:
    """The path of the audit's failing-records file from the report's folder (its name in an
    audit from before the file was listed in findings.json)."""
    listing = failing_listing(document, options)
    if listing is not None:
        return listing.path
    return "/".join(filter(None, (options.files_folder, FILE_NAME)))


def failing_listing(document: FindingsDocument, options: Options) -> FailingRecordsFile | None:
    """The audit's failing-records file as the report names it: by its path from the report."""
    listing = document.failing_records
    if listing is None or not options.files_folder:
        return listing
    return listing.model_copy(update={"path": f"{options.files_folder}/{listing.path}"})


@dataclass(frozen=True)
class WorstGap:
    rule: RuleEntry
    sentence: str


def more_gaps(hidden: int, words: Words) -> str:
    """What the summary's list of worst gaps leaves out, and where it is ("" when nothing)."""
    if hidden <= 0:
        return ""
    key = "worst_gaps_more_one" if hidden == 1 else "worst_gaps_more"
    return words.label(key, n=hidden, section=words.label("gap_analysis"))


def verdict_key(rule: RuleEntry) -> str:
    """The verdict as the summary counts it: ``nonconform-major``, ``observation``, ..."""
    if rule.verdict == Verdict.NONCONFORM and rule.verdict_severity:
        return f"{rule.verdict}-{rule.verdict_severity}"
    return str(rule.verdict)


def verdict_counts(document: FindingsDocument) -> dict[str, int]:
    """The audit's verdict counts, the worst first (ranked as the contract ranks verdicts)."""
    rank: dict[str, int] = {}
    for rule in document.rules:
        rank.setdefault(verdict_key(rule), level(rule))
    counted = document.summary.verdicts.items()
    return dict(sorted(counted, key=lambda kv: -rank.get(kv[0], 0)))


# ------------------------------------------------------------ the cover


@dataclass(frozen=True)
class KindRow:
    kind: str
    title: str
    files: int
    rows_read: int
    stored: int
    quarantined: int
    in_period: int | None
    #: records some time (the kind's or a rule's own) places in the period
    placed: int | None

    @property
    def empty(self) -> bool:
        return self.placed == 0


def cover(document: FindingsDocument, options: Options, words: Words) -> dict[str, Any]:
    manifest = document.manifest
    params = manifest.parameters
    pack_title = manifest.pack.title
    sites = {
        str(value)
        for rule in document.rules
        for finding in rule.findings
        for name, value in finding.group.items()
        if name == SITE_FIELD
    }
    return {
        "title": words.label("report_title", standard=words.text(manifest.standard.title)),
        "pack_title": words.text(pack_title) if pack_title else None,
        "organisation": options.organisation or params.organisation or words.label("not_given"),
        "organisation_given": bool(options.organisation or params.organisation),
        "auditor": options.auditor or params.auditor or words.label("not_given"),
        "sites": sorted(sites),
        "manifest": manifest,
        "period": params.period,
        "issue_date": options.report_date.isoformat(),
        "kinds": [_kind_row(k, words) for k in document.summary.kinds],
        "empty_kinds": empty_kinds(document.summary, words),
        "untimed_kinds": untimed_kinds(document.summary, words),
        "warnings": [
            warning_text(w, words, params.timezone, params.period.label)
            for w in document.summary.warnings
        ],
    }


def _kind_row(kind: KindSummary, words: Words) -> KindRow:
    return KindRow(
        kind.kind,
        words.text(kind.title),
        kind.files,
        kind.rows_read,
        kind.stored,
        kind.quarantined,
        kind.in_period,
        kind.placed_in_period,
    )


def empty_kinds(summary: Summary, words: Words) -> list[str]:
    """Kinds with no record some time places in the period that no warning already names."""
    warned = {w.kind for w in summary.warnings if w.code == "kind-empty-in-period"}
    return [
        words.text(k.title)
        for k in summary.kinds
        if k.placed_in_period == 0 and k.kind not in warned
    ]


def untimed_kinds(summary: Summary, words: Words) -> list[str]:
    """For each kind with records that have no time: how many, in no period."""
    return [
        words.label(
            "untimed_record" if k.untimed == 1 else "untimed_records",
            kind=words.text(k.title),
            n=count(k.untimed),
        )
        for k in summary.kinds
        if k.untimed
    ]


def warning_text(warning: Warning_, words: Words, pack_zone: str, period: str = "") -> str:
    """An audit warning in the report's language (``period``: the audit period's label)."""
    if warning.code == "evidence-gap":
        return evidence_gap_line(words, period, warning)
    kind = words.kind(warning.kind) if warning.kind else ""
    return words.label(
        warning.code,
        file=warning.file or "",
        kind=kind,
        field=warning.field or "",
        zone=warning.zone or "",
        pack_zone=pack_zone,
        n=count(len(warning.files or ())),
        files=first_names(warning.files or ()),
    )


def _previous(document: FindingsDocument, options: Options, words: Words) -> Any:
    if options.previous is None:
        return None
    from .previous import previous_view

    return previous_view(options.previous, document, words)


# ------------------------------------------------------------ the recommendation


@dataclass(frozen=True)
class Missing:
    """A clause that could not be evaluated, and why."""

    clause: str
    clause_title: str
    rule: str
    reason: str


@dataclass(frozen=True)
class RecommendationView:
    decision: str
    text: str
    missing: list[Missing]


def recommendation(
    document: FindingsDocument, words: Words, plan: list[registers.PlanRow] | None = None
) -> RecommendationView:
    """The certification recommendation as the audit decided it, with the clauses lacking evidence."""
    stated = document.summary.recommendation
    by_rule = {r.rule: r for r in document.rules}
    missing = []
    for item in stated.not_evaluable:
        rule = by_rule.get(item.rule)
        pooled = rule.findings[0] if rule else None
        if pooled is not None and pooled.not_evaluable is not None:
            reason = sentences.not_evaluable(pooled, words)
        else:
            reason = words.reason(item.reason)
        title = words.text(rule.clause_title) if rule and rule.clause_title else ""
        missing.append(Missing(item.clause, title, item.rule, reason))
    decision = stated.decision
    if decision == Decision.WITHHELD:
        clauses = words.join(dict.fromkeys(f"{m.clause} ({m.reason})" for m in missing))
        text = words.label(decision, clauses=clauses)
    elif decision == Decision.SUBJECT_TO_PLAN and any(row.tracked for row in plan or []):
        text = plans_text(plan or [], words)
    else:
        text = words.label(decision)
    return RecommendationView(decision.value, text, missing)


def plans_text(plan: list[registers.PlanRow], words: Words) -> str:
    """How many of the plans for the audit's minor nonconformities the register has accepted.

    The recommendation is the audit's, so its minors are those the audit judged minor; the
    ones the register has raised to major since (recurring) are named as such.
    """
    minors = [row.tracked for row in plan if row.tracked and row.item.severity == Severity.MINOR]
    accepted = sum(item.plan_accepted for item in minors)
    key = "plans_accepted" if accepted == len(minors) else "plans_pending"
    text = words.label(key, accepted=accepted, total=len(minors))
    raised = [item.id for item in minors if item.severity == Severity.MAJOR]
    if raised:
        text += words.label("plans_raised", items=words.join(raised))
    return text
