"""An audit of several packs over one evidence folder, with a clause crosswalk.

Every pack is loaded and checked first. The folder's files are then shared
out: a file in a folder named after an audited pack (``EVIDENCE/<pack-id>/...``,
as the shipped demo folders are named) is that pack's only, so one standard's
checklist is never read as another's; any other file goes to each pack that
takes it (by its name, as one pack's audit decides; when several packs' kinds
take the name, only those whose kind finds every required column in its
header). A file no pack takes (in its pack's folder: that pack) is an error. Each
pack is audited exactly as alone, over the files it takes, into
``DIR/<pack-id>/`` with its own store (two packs may give one kind name
different fields, and the store keeps one table per kind name), so each
pack's findings.json is the one-pack contract unchanged. ``DIR/findings.json``
is the combined document (``findings/combined.py``): one entry per pack, the
crosswalk and the worst of the packs' recommendations.

Two rules of different packs serve the same requirement when their measure
(with every parameter and the fields it reads), evidence kind, filter, target
and business calendar are equal; the crosswalk shows such a requirement once,
with every clause it serves and its verdict in each pack.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .audit import DEFAULT_MAX_QUARANTINE, AuditResult, run_audit
from .build import tool_entry
from .errors import AuditorError, EvidenceError, Location, all_of
from .exported import is_export
from .findings.combined import (
    COMBINED,
    CombinedDocument,
    CrosswalkClause,
    CrosswalkEntry,
)
from .findings.contract import FindingsDocument, RuleEntry, level
from .findings.nonconformities import waived_findings
from .ingest import Progress, evidence_files
from .mapping import (
    Mapping,
    auto_mapping,
    choose_kind,
    kind_by_name,
    kind_file_example,
    load_mapping,
    match_score,
)
from .model import Pack, Rule
from .pack import load_pack
from .periods import Period
from .recommendation import worst_decision
from .register.waivers import Waiver


@dataclass
class MultiResult:
    """The packs' own audits, in the order given, and the combined document."""

    audits: list[AuditResult]
    document: CombinedDocument
    out: Path
    written: list[Path] = field(default_factory=list)

    def fails(self, fail_on: str, allow_not_evaluable: bool = False) -> bool:
        return any(a.fails(fail_on, allow_not_evaluable) for a in self.audits)


def run_multi_audit(
    pack_paths: list[str | Path],
    evidence: str | Path,
    out: str | Path,
    period: str | Period | None = None,
    mapping: Mapping | None = None,
    auditor_name: str | None = None,
    organisation: str | None = None,
    max_quarantine: float = DEFAULT_MAX_QUARANTINE,
    waivers: list[Waiver] | None = None,
    today: date | None = None,
    engine: str = "sqlite",
    progress: Progress | None = None,
) -> MultiResult:
    """Audit ``evidence`` against every pack; write each pack's audit and ``out/findings.json``."""
    packs = [load_pack(p) for p in pack_paths]
    check_distinct(packs)
    if is_export(Path(evidence)):  # before the files are shared out: there are none
        raise EvidenceError(
            "this folder holds an evidence export, the store of one pack's audit: a combined "
            "audit reads evidence files",
            location=Location(str(evidence)),
            hint="audit the export with the pack it was made for",
        )
    claims = claimed_files(packs, Path(evidence), mapping)
    check_every_pack_has_files(packs, claims, Path(evidence))
    target = Path(out)
    audits = []
    for path, pack in zip(pack_paths, packs, strict=True):
        with naming_pack(pack):
            audits.append(
                run_audit(
                    path,
                    evidence,
                    target / pack.id,
                    period,
                    mapping,
                    auditor_name,
                    organisation,
                    max_quarantine,
                    waivers,
                    today,
                    files=claims[pack.id],
                    engine=engine,
                    progress=progress,
                )
            )
    for pack, audit in zip(packs, audits, strict=True):
        audit.notes.extend(passed_over(pack, packs, claims, Path(evidence), mapping))
    findings = [(a.findings, a.out / "findings.json") for a in audits]
    document = combined_document(packs, findings, target, str(evidence))
    document.dump(target / "findings.json")
    return MultiResult(audits, document, target)


@contextmanager
def naming_pack(pack: Pack) -> Iterator[None]:
    """Let an error of one pack's audit that names no file (no record in the period, too
    much quarantined) say which pack's audit stopped."""
    try:
        yield
    except AuditorError as exc:
        for error in getattr(exc, "errors", [exc]):
            if error.location is None:
                error.message = f"pack {pack.id}: {error.message}"
        raise


def check_distinct(packs: list[Pack]) -> None:
    seen: set[str] = set()
    for pack in packs:
        if pack.id in seen:
            raise AuditorError(
                f"pack {pack.id} is given twice; each pack's audit goes to its own folder",
                location=Location(pack.path),
            )
        seen.add(pack.id)


# ------------------------------------------------------------ sharing out the files


def claimed_files(packs: list[Pack], root: Path, mapping: Mapping | None) -> dict[str, list[Path]]:
    """For each pack id, the files under ``root`` it takes; an error for a file none takes."""
    claims: dict[str, list[Path]] = {p.id: [] for p in packs}
    for path in evidence_files(root):
        folder = folder_pack(packs, root, path)
        owners = takers([folder] if folder else packs, path, mapping)
        if not owners:
            raise _untaken(packs, path, folder)
        for pack in owners:
            claims[pack.id].append(path)
    return claims


def _untaken(packs: list[Pack], path: Path, folder: Pack | None) -> EvidenceError:
    """The error for a file no pack takes (in a pack's folder: that pack does not)."""
    example = kind_file_example(folder or packs[0], path)
    if folder is None:
        return EvidenceError(
            f"no pack's evidence kinds take this file (packs: {', '.join(p.id for p in packs)})",
            location=Location(str(path)),
            hint=f"name the file after its kind (e.g. {example}) or give a mapping",
        )
    return EvidenceError(
        f"this file is in the folder of pack {folder.id}, which is that pack's only, but none "
        "of its evidence kinds takes it",
        location=Location(str(path)),
        hint=f"name the file after its kind (e.g. {example}), give a mapping, or move it out "
        f"of {folder.id}/",
    )


def folder_pack(packs: list[Pack], root: Path, path: Path) -> Pack | None:
    """The pack whose id names the folder directly in ``root`` that holds ``path``, if any."""
    parts = path.relative_to(root).parts if root.is_dir() else ()
    if len(parts) < 2:
        return None
    return next((p for p in packs if p.id == parts[0]), None)


def check_every_pack_has_files(
    packs: list[Pack], claims: dict[str, list[Path]], root: Path
) -> None:
    """Stop, naming the pack, when one takes none of the files (its audit would find nothing
    and could not even tell its period)."""
    errors: list[AuditorError] = []
    for pack in packs:
        if claims[pack.id]:
            continue
        taken = sorted({path.name for files in claims.values() for path in files})
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3:,} more" if len(taken) > 3 else "")
        errors.append(
            EvidenceError(
                f"pack {pack.id} takes none of the evidence files here"
                + (f" (the other packs take {shown})" if taken else ""),
                location=Location(str(root)),
                hint=f"audit {pack.id} alone over this folder to see why each file is not its "
                "kinds', or leave it out",
            )
        )
    if errors:
        raise all_of(errors)


def takers(packs: list[Pack], path: Path, mapping: Mapping | None) -> list[Pack]:
    """The packs that read ``path``."""
    sidecar = path.with_name(path.stem + ".mapping.yaml")
    chosen = load_mapping(sidecar, source="sidecar") if sidecar.exists() else mapping
    if chosen is not None:
        return [p for p in packs if chosen.kind in p.evidence]
    named = [p for p in packs if kind_by_name(p, path) is not None]
    if len(named) == 1:
        return named
    header = _header(path, chosen)
    if header is None:  # unreadable: every pack that could take it reports it
        return named or packs
    if named:
        complete = [p for p in named if _complete(p, path, header)]
        return complete or named
    return [p for p in packs if _by_header(p, path, header)]


def passed_over(
    pack: Pack,
    packs: list[Pack],
    claims: dict[str, list[Path]],
    root: Path,
    mapping: Mapping | None,
) -> list[str]:
    """A note for each file named after one of ``pack``'s kinds that another pack took
    instead, because its header lacks fields that kind needs (so the pack's rules on that
    kind find no evidence, though a file of that name is there), and for each file that,
    routed by name, it would have read, but which is in another pack's folder, so that
    pack's only."""
    notes = []
    for path in evidence_files(root):
        if path in claims[pack.id]:
            continue
        place = path.relative_to(root).as_posix()
        folder = folder_pack(packs, root, path)
        if folder is not None:
            note = _in_folder_note(pack, packs, path, place, folder, mapping)
        else:
            note = _lacking_note(pack, path, place, claims, mapping)
        notes.extend([note] if note else [])
    return notes


def _in_folder_note(
    pack: Pack, packs: list[Pack], path: Path, place: str, folder: Pack, mapping: Mapping | None
) -> str | None:
    """When ``pack`` would have read a file of ``folder``'s were it routed by name."""
    if pack not in takers(packs, path, mapping):
        return None
    return f"{place} is in pack {folder.id}'s folder: only {folder.id} reads it"


def _lacking_note(
    pack: Pack, path: Path, place: str, claims: dict[str, list[Path]], mapping: Mapping | None
) -> str | None:
    kind = kind_by_name(pack, path)
    if kind is None:
        return None
    others = [p for p, files in claims.items() if path in files]
    header = _header(path, mapping)
    if not others or header is None:
        return None
    found = auto_mapping(kind, header).columns
    lacking = [n for n, f in kind.fields.items() if not f.optional and n not in found]
    if not lacking:  # taken elsewhere for another reason (a mapping names its kind)
        return None
    return (
        f"{place} is named after the kind {kind.name} but "
        f"lacks its required field{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}: only "
        f"{', '.join(others)} read{'s' if len(others) == 1 else ''} it"
    )


def _complete(pack: Pack, path: Path, header: list[str]) -> bool:
    kind = kind_by_name(pack, path)
    return kind is not None and match_score(kind, header)[1]


def _by_header(pack: Pack, path: Path, header: list[str]) -> bool:
    try:
        choose_kind(pack, path, header)
    except EvidenceError:
        return False
    return True


def _header(path: Path, mapping: Mapping | None) -> list[str] | None:
    from .readers import open_table

    try:
        table = open_table(path, dict(mapping.reader) if mapping else {})
    except EvidenceError:
        return None
    close = getattr(table.rows, "close", None)
    if close is not None:
        close()
    return list(table.header)


# ------------------------------------------------------------ the crosswalk


def requirement(pack: Pack, rule: Rule) -> tuple[Any, ...]:
    """What makes two rules the same requirement: measure, kind, fields, filter, target, calendar."""
    measure = rule.measure
    kind = pack.evidence.get(rule.evidence)
    types = tuple(
        kind.fields[f].type if kind and f in kind.fields else None for f in measure.fields()
    )
    calendar = pack.calendars.get(measure.calendar) if measure.calendar else None
    hours = (
        (calendar.hours, calendar.holidays, calendar.extra_holidays, calendar.extra_workdays)
        if calendar
        else None
    )
    return (type(measure).__name__, measure, rule.evidence, types, rule.where, rule.target, hours)


def crosswalk(packs: list[Pack], documents: list[FindingsDocument]) -> list[CrosswalkEntry]:
    """Requirements served by rules of at least two packs, in the order first met."""
    groups: list[tuple[tuple[Any, ...], list[tuple[str, RuleEntry]]]] = []
    kinds: dict[int, str] = {}
    for pack, document in zip(packs, documents, strict=True):
        entries = {r.rule: r for r in document.rules}
        for rule in pack.rules:
            key = requirement(pack, rule)
            group = next((g for k, g in groups if k == key), None)
            if group is None:
                group = []
                groups.append((key, group))
                kinds[id(group)] = rule.evidence
            if rule.id in entries:
                group.append((pack.id, entries[rule.id]))
    return [
        _entry(members, kinds[id(members)])
        for _, members in groups
        if len({pack_id for pack_id, _ in members}) >= 2
    ]


def _entry(members: list[tuple[str, RuleEntry]], kind: str) -> CrosswalkEntry:
    worst = max((r for _, r in members), key=level)
    first = members[0][1]
    return CrosswalkEntry(
        measure=first.measure,
        evidence=kind,
        target=first.findings[0].target,
        verdict=worst.verdict,
        verdict_severity=worst.verdict_severity,
        clauses=[
            CrosswalkClause(
                pack=pack_id,
                rule=r.rule,
                clause=r.clause,
                clause_title=r.clause_title,
                title=r.title,
                verdict=r.verdict,
                verdict_severity=r.verdict_severity,
                value=r.deciding_finding().value,
                unit=r.deciding_finding().unit,
            )
            for pack_id, r in members
        ],
    )


# ------------------------------------------------------------ the combined document


def combined_document(
    packs: list[Pack], findings: list[tuple[FindingsDocument, Path]], out: Path, evidence: str
) -> CombinedDocument:
    """The combined document of ``out`` from each pack's findings and the findings.json
    holding them (the audit builds it so, and ``verify`` builds it again to compare)."""
    entries = []
    for pack, (doc, path) in zip(packs, findings, strict=True):
        entries.append(
            {
                "id": pack.id,
                "version": pack.version,
                "title": doc.manifest.pack.title,
                "standard": doc.manifest.standard,
                "findings": Path(os.path.relpath(path, out)).as_posix(),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "period": doc.manifest.parameters.period.label,
                "summary": doc.summary,
            }
        )
    return CombinedDocument.model_validate(
        {
            "schema_version": findings[0][0].schema_version,
            "document": COMBINED,
            "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "tool": tool_entry(),
            "evidence_root": evidence,
            "packs": entries,
            "crosswalk": crosswalk(packs, [doc for doc, _ in findings]),
            "recommendation": combined_recommendation([doc for doc, _ in findings]),
        }
    )


def combined_recommendation(documents: list[FindingsDocument]) -> dict[str, Any]:
    """The worst of the packs' decisions, each pack's reasons and waived nonconformities beside it."""
    decisions: list[dict[str, Any]] = []
    for document in documents:
        stated = document.summary.recommendation
        decisions.append(
            {
                "pack": document.manifest.pack.id,
                "decision": stated.decision,
                "majors": stated.majors,
                "minors": stated.minors,
                "not_evaluable": stated.not_evaluable,
                "waived": waived_findings(document),
            }
        )
    return {"decision": worst_decision([d["decision"] for d in decisions]), "packs": decisions}
