"""What the combined report shows: the packs, their recommendations, the crosswalk.

Each pack's section is the one-pack report's own content, rendered from its
findings document; this module adds the opening part from the combined
document: one row per standard with its decision and reasons, the combined
(worst) decision, and the requirements several packs share, each shown once
with every clause it serves and its verdict there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..findings import sentences
from ..findings.combined import CombinedDocument, CrosswalkEntry
from ..findings.contract import Decision, FindingsDocument, WaivedFinding
from ..findings.nonconformities import waived_findings
from ..i18n import Words
from .context import Options, recommendation

if TYPE_CHECKING:
    from .registers import PlanRow


@dataclass(frozen=True)
class PackRow:
    pack: str
    standard: str
    period: str
    decision: str
    text: str
    majors: list[str]
    minors: list[str]
    missing: list[str]
    #: the rules that could not be judged (the recommendation counts them)
    not_evaluable: list[str]
    #: the nonconformities a waiver turned into ``waived`` (the recommendation leaves them out)
    waived: list[WaivedFinding]


@dataclass(frozen=True)
class CrosswalkRow:
    pack: str
    standard: str
    clause: str
    clause_title: str
    rule: str
    title: str
    verdict: str
    verdict_code: str
    #: the deciding finding's id, value (as shown and as a number) and target
    finding: str
    value: str
    number: float | None
    target: str
    #: ``decided by site=SH · 2026-08`` when a group's finding decided the rule, else None
    where: str | None


@dataclass(frozen=True)
class Requirement:
    title: str
    verdict: str
    verdict_code: str
    rows: list[CrosswalkRow]


def combined_context(
    document: CombinedDocument,
    packs: dict[str, FindingsDocument],
    sections: list[str],
    options: Options,
    plans: Mapping[str, list[PlanRow]],
) -> dict[str, Any]:
    """The template's values for the combined page (``part == 'combined'``); ``plans``: by
    pack id, the pack's CAPA plan as its section shows it (its recommendation counts the
    plans the register has accepted)."""
    first = packs[document.packs[0].id]
    words = Words.of(first, options.lang)
    rows = [_pack_row(packs[e.id], words, plans[e.id]) for e in document.packs]
    periods = list(dict.fromkeys(e.period for e in document.packs))
    return {
        "lang": options.lang,
        "w": words,
        "L": words.label,
        "part": "combined",
        "title": words.label("combined_title"),
        "period": {"label": words.join(periods)},
        "organisation": options.organisation or _given(first, "organisation", words),
        "organisation_given": bool(options.organisation or first.manifest.parameters.organisation),
        "auditor": options.auditor or _given(first, "auditor", words),
        "issue_date": options.report_date.isoformat(),
        "tool": f"{document.tool.name} {document.tool.version}",
        "packs": rows,
        "combined": _combined_text(document, rows, words),
        "combined_code": document.recommendation.decision.value,
        "crosswalk": [_requirement(e, packs, words) for e in document.crosswalk],
        "sections": sections,
    }


def _given(document: FindingsDocument, name: str, words: Words) -> str:
    value = getattr(document.manifest.parameters, name)
    return str(value) if value else words.label("not_given")


def _pack_row(document: FindingsDocument, words: Words, plan: list[PlanRow]) -> PackRow:
    stated = document.summary.recommendation
    view = recommendation(document, words, plan)
    return PackRow(
        pack=document.manifest.pack.id,
        standard=words.text(document.manifest.standard.title),
        period=document.manifest.parameters.period.label,
        decision=stated.decision.value,
        text=view.text,
        majors=list(stated.majors),
        minors=list(stated.minors),
        missing=[m.clause for m in view.missing],
        not_evaluable=[item.rule for item in stated.not_evaluable],
        waived=waived_findings(document),
    )


def _combined_text(document: CombinedDocument, rows: list[PackRow], words: Words) -> str:
    decision = document.recommendation.decision
    if decision == Decision.WITHHELD:
        clauses = words.join(
            f"{row.standard} {words.join(row.missing)}" for row in rows if row.missing
        )
        return words.label(decision, clauses=clauses)
    return words.label(decision)


def _requirement(
    entry: CrosswalkEntry, packs: dict[str, FindingsDocument], words: Words
) -> Requirement:
    rows = []
    for served in entry.clauses:
        document = packs[served.pack]
        rule = next(r for r in document.rules if r.rule == served.rule)
        deciding = rule.deciding_finding()
        rows.append(
            CrosswalkRow(
                pack=served.pack,
                standard=words.text(document.manifest.standard.title),
                clause=served.clause,
                clause_title=words.text(served.clause_title) if served.clause_title else "",
                rule=served.rule,
                title=words.text(served.title),
                verdict=words.verdict(served.verdict, served.verdict_severity),
                verdict_code=served.verdict.value,
                finding=deciding.id,
                value=sentences.value(deciding, rule, words),
                number=deciding.value,
                target=sentences.target(deciding, rule, words),
                where=(
                    sentences.decided_where(deciding, words)
                    if deciding is not rule.findings[0]
                    else None
                ),
            )
        )
    return Requirement(
        title=rows[0].title,
        verdict=words.verdict(entry.verdict, entry.verdict_severity),
        verdict_code=entry.verdict.value,
        rows=rows,
    )
