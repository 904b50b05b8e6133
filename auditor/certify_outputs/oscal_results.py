"""An audit as OSCAL 1.2.1 assessment results, in JSON (``auditor audit --format oscal``).

For a GRC tool: one ``result`` for the audit period, with

- one **observation** per rule run (method ``TEST``): the pooled finding's English
  arithmetic sentence as description, and as props the population ``n``,
  ``conforming``, ``breached``, ``pending``, ``excluded``, ``violations`` (the
  failing records) and the rule's verdict; the group breakdown's sentences in
  its remarks, and the failing-records file as relevant evidence;
- one **finding** per clause (all groups: the verdicts of its rules, as the audit
  judges them) and one per clause and group where a rule is judged each group
  (that group's findings over the sub-periods; not-evaluable ones aside when
  others were judged). Its target is the clause, ``satisfied`` or
  ``not-satisfied`` with a reason: ``fail`` for a nonconformity, ``other`` for a
  rule that could not be evaluated (an audit never passes on missing evidence)
  and for a **waived** nonconformity, ``pass`` otherwise (observations and
  conform; not-applicable is ``satisfied`` with ``other``);
- a waived nonconformity stays ``not-satisfied``: the figures do fall short of
  the target. The waiver is a risk with status ``deviation-approved``, its
  reason, risk level, requester and approver, and the waiver's end as deadline,
  so a GRC tool tracks the accepted deviation until it runs out;
- the reviewed controls are the clauses the rules measure (``clause-3.1.2``).

The rule pack, the standard, every evidence file and the failing-records file
are back-matter resources with their SHA-256 (an evidence file's path is the
evidence folder the audit was given joined with the file's, or the file itself
when the audit was given one file; for an audit of an evidence export, the
export's Parquet files, then the files it was made from, unlinked, their path and
SHA-256 as props); ``import-ap`` points at the pack's resource (the pack is the
assessment plan; it has no OSCAL form). Every ``uuid`` is a uuid5 of a fixed
namespace and its subject (the pack, the period and the organisation for the document; plus
the rule, clause or group below it; files by path and content), and
``last-modified`` is ``generated_at``, so the same findings.json gives the same
bytes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..atomic import write_text
from ..findings import group_text
from ..findings.contract import (
    JUDGED,
    EvidenceFile,
    FindingEntry,
    FindingsDocument,
    RuleEntry,
    Verdict,
)
from ..paths import recorded_path
from ..periods import end_of_day

OSCAL_VERSION = "1.2.1"
#: the namespace of the props this export adds, and of every uuid it derives
PROP_NS = "urn:auditor:assessment"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROP_NS)
ASSESSOR_ROLE = "assessor"
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def uid(*key: object) -> str:
    """The stable uuid of one subject, e.g. ``uid("observation", pack, period, rule)``."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(k) for k in key)))


def write_assessment_results(document: FindingsDocument, path: Path) -> int:
    """Write ``document`` as OSCAL assessment results JSON (atomically); the findings written."""
    data = assessment_results(document)
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    write_text(path, text)
    return len(data["assessment-results"]["results"][0]["findings"])


def assessment_results(document: FindingsDocument) -> dict[str, Any]:
    """The ``{"assessment-results": ...}`` document of an audit."""
    evidence = _evidence_resources(document)
    resources = [*_plan_resources(document), *evidence, *_failing_resources(document)]
    pack = resources[0]["uuid"]
    body: dict[str, Any] = {
        "uuid": uid("assessment-results", *_subject(document)),
        "metadata": _metadata(document),
        "import-ap": {
            "href": f"#{pack}",
            "remarks": "The rule pack is the assessment plan: what is measured, against "
            "which target, how records are judged. It has no OSCAL form of its own.",
        },
        "results": [_result(document, [r["uuid"] for r in evidence])],
        "back-matter": {"resources": resources},
    }
    return {"assessment-results": body}


def _subject(document: FindingsDocument) -> tuple[str, str, str]:
    """What the assessment is about: the pack, the period, the organisation."""
    parameters = document.manifest.parameters
    return document.manifest.pack.id, parameters.period.label, parameters.organisation or ""


# ------------------------------------------------------------ metadata


def _metadata(document: FindingsDocument) -> dict[str, Any]:
    manifest = document.manifest
    parameters = manifest.parameters
    title = manifest.pack.title.en if manifest.pack.title else manifest.pack.id
    metadata: dict[str, Any] = {
        "title": _line(f"Audit of {title}, {parameters.period.label}"),
        "last-modified": _stamp(document.generated_at),
        "version": document.fingerprint(),
        "oscal-version": OSCAL_VERSION,
        "props": _props(
            ("pack", manifest.pack.id),
            ("pack-version", manifest.pack.version),
            ("standard", manifest.standard.id),
            ("standard-version", manifest.standard.version),
            ("period", parameters.period.label),
            ("recommendation", document.summary.recommendation.decision.value),
            ("auditor-version", manifest.tool.version),
        ),
    }
    parties = []
    if parameters.organisation:
        parties.append(_party("organization", parameters.organisation))
    if parameters.auditor:
        parties.append(_party("person", parameters.auditor))
        metadata["roles"] = [{"id": ASSESSOR_ROLE, "title": "Auditor"}]
        metadata["responsible-parties"] = [
            {"role-id": ASSESSOR_ROLE, "party-uuids": [uid("party", "person", parameters.auditor)]}
        ]
    if parties:
        metadata["parties"] = parties
    return metadata


def _party(kind: str, name: str) -> dict[str, Any]:
    return {"uuid": uid("party", kind, name), "type": kind, "name": _line(name)}


# ------------------------------------------------------------ the result


def _result(document: FindingsDocument, evidence: list[str]) -> dict[str, Any]:
    manifest = document.manifest
    parameters = manifest.parameters
    zone = ZoneInfo(parameters.timezone)
    tool = uid("component", "auditor")
    clauses = list(dict.fromkeys(rule.clause for rule in document.rules))
    failing = _failing_uuid(document)
    result: dict[str, Any] = {
        "uuid": uid("result", *_subject(document)),
        "title": _line(f"{manifest.pack.id} {parameters.period.label}"),
        "description": f"The evidence of {parameters.period.first_day} to "
        f"{parameters.period.last_day} checked against the rules of pack "
        f"{manifest.pack.id} {manifest.pack.version} for {manifest.standard.title.en}.",
        "start": datetime.fromtimestamp(parameters.period.start, zone).isoformat(),
        "end": datetime.fromtimestamp(parameters.period.end, zone).isoformat(),
        "local-definitions": {"components": [_tool(document, tool)]},
        "reviewed-controls": {
            "control-selections": [
                {
                    "description": "The clauses of the standard the pack's rules measure.",
                    "include-controls": [{"control-id": _control(c)} for c in clauses],
                }
            ]
        },
        "observations": [_observation(document, rule, tool, failing) for rule in document.rules],
        "findings": _findings(document),
    }
    risks = [_risk(document, rule, f) for rule, f in _waived(document.rules)]
    if risks:
        result["risks"] = risks
    if evidence:
        result["links"] = [{"href": f"#{u}", "rel": "evidence"} for u in evidence]
    return result


def _tool(document: FindingsDocument, key: str) -> dict[str, Any]:
    version = document.manifest.tool.version
    return {
        "uuid": key,
        "type": "software",
        "title": "auditor",
        "description": f"The auditor rules engine, version {version}, that ran the rules.",
        "props": _props(("version", version)),
        "status": {"state": "operational"},
    }


def _observation(
    document: FindingsDocument, rule: RuleEntry, tool: str, failing: str | None
) -> dict[str, Any]:
    pooled = rule.findings[0]
    counts = pooled.counts
    entry: dict[str, Any] = {
        "uuid": _observation_uuid(document, rule),
        "title": _line(f"{rule.rule}: {rule.title.en}"),
        "description": _run_description(rule),
        "props": _props(
            ("rule", rule.rule),
            ("clause", rule.clause),
            ("measure", rule.measure),
            ("judge", rule.judge),
            ("verdict", rule.verdict.value),
            ("severity", rule.verdict_severity),
            ("target", pooled.target),
            ("value", None if pooled.value is None else repr(pooled.value)),
            ("unit", pooled.unit.value),
            ("population", counts.n),
            ("conforming", counts.conforming),
            ("breached", counts.breached),
            ("pending", counts.pending),
            ("excluded", counts.excluded),
            ("violations", pooled.failing_count),
        ),
        "methods": ["TEST"],
        "types": ["control-objective"],
        "origins": [{"actors": [{"type": "tool", "actor-uuid": tool}]}],
        "collected": _stamp(document.generated_at),
    }
    if failing is not None and pooled.failing_count:
        entry["relevant-evidence"] = [
            {
                "href": f"#{failing}",
                "description": f"The {pooled.failing_count:,} failing records of {rule.rule} "
                "in the audit's failing-records file.",
            }
        ]
    remarks = "\n".join(f"{f.id}: {f.explanation}" for f in rule.findings[1:])
    if remarks:
        entry["remarks"] = remarks
    return entry


def _run_description(rule: RuleEntry) -> str:
    """The pooled sentence; for a rule judged each group, the deciding group's after it."""
    pooled, deciding = rule.findings[0], rule.deciding_finding()
    if deciding is pooled:
        return pooled.explanation
    return (
        f"{pooled.explanation}\nJudged each group, decided by {deciding.id}: {deciding.explanation}"
    )


def _observation_uuid(document: FindingsDocument, rule: RuleEntry) -> str:
    return uid("observation", *_subject(document), rule.rule)


# ------------------------------------------------------------ findings


def _findings(document: FindingsDocument) -> list[dict[str, Any]]:
    """One finding per clause, then one per group of the clause's rules judged each group."""
    by_clause: dict[str, list[RuleEntry]] = {}
    for rule in document.rules:
        by_clause.setdefault(rule.clause, []).append(rule)
    found = []
    for clause, rules in by_clause.items():
        verdicts = [rule.verdict for rule in rules]
        lines = [line for rule in rules for line in _rule_lines(rule)]
        found.append(_finding(document, clause, "", rules, verdicts, lines, _waived(rules)))
        groups: dict[str, list[tuple[RuleEntry, FindingEntry]]] = {}
        for rule in rules:
            if rule.judge != "each-group":
                continue
            for finding in rule.findings[1:]:
                if finding.group:
                    groups.setdefault(group_key(finding.group), []).append((rule, finding))
        for group, cells in groups.items():
            judged: list[Verdict] = [
                f.verdict for _, f in cells if f.verdict != Verdict.NOT_EVALUABLE
            ]
            verdicts = judged or [f.verdict for _, f in cells]
            lines = [_described(finding) for _, finding in cells]
            involved = list({rule.rule: rule for rule, _ in cells}.values())
            waived = [(rule, f) for rule, f in cells if f.waived is not None]
            found.append(_finding(document, clause, group, involved, verdicts, lines, waived))
    return found


def _finding(
    document: FindingsDocument,
    clause: str,
    group: str,
    rules: list[RuleEntry],
    verdicts: list[Verdict],
    lines: list[str],
    waived: list[tuple[RuleEntry, FindingEntry]],
) -> dict[str, Any]:
    """The finding about ``clause`` (for ``group``, or all groups when it is empty)."""
    state, reason = objective_status(verdicts)
    title = next((rule.clause_title.en for rule in rules if rule.clause_title), None)
    where = f" for {group}" if group else ""
    entry: dict[str, Any] = {
        "uuid": uid("finding", *_subject(document), clause, group),
        "title": _line(f"Clause {clause}{': ' + title if title else ''}{where}"),
        "description": "\n".join(lines),
        "props": _props(
            ("clause", clause), ("group", group), ("rules", " ".join(r.rule for r in rules))
        ),
        "target": {
            "type": "objective-id",
            "target-id": _control(clause),
            "status": {"state": state, "reason": reason},
        },
        "related-observations": [
            {"observation-uuid": _observation_uuid(document, rule)} for rule in rules
        ],
    }
    if waived:
        entry["related-risks"] = [
            {"risk-uuid": _risk_uuid(document, rule, finding)} for rule, finding in waived
        ]
    return entry


def objective_status(verdicts: Iterable[Verdict]) -> tuple[str, str]:
    """The objective's ``(state, reason)`` from the verdicts that judge it."""
    seen = set(verdicts)
    if Verdict.NONCONFORM in seen:
        return "not-satisfied", "fail"
    if seen & {Verdict.NOT_EVALUABLE, Verdict.WAIVED}:
        return "not-satisfied", "other"
    if seen & set(JUDGED):
        return "satisfied", "pass"
    return "satisfied", "other"


def _rule_lines(rule: RuleEntry) -> list[str]:
    """A rule's part of its clause's finding: the pooled sentence, the deciding group's, waivers."""
    pooled, deciding = rule.findings[0], rule.deciding_finding()
    shown = [pooled] if deciding is pooled else [pooled, deciding]
    shown += [f for _, f in _waived([rule]) if f not in shown]
    return [_described(finding) for finding in shown]


def _described(finding: FindingEntry) -> str:
    """``RULE@site=SH: sentence``, with its waiver if it has one."""
    sentence = f"{finding.id}: {finding.explanation}"
    waived = finding.waived
    if waived is None:
        return sentence
    would_be = waived.would_be.verdict.value
    if waived.would_be.severity is not None:
        would_be += f" ({waived.would_be.severity.value})"
    return (
        f"{sentence} Waived ({waived.waiver}, until {waived.valid_until}): {waived.reason};"
        f" it would be {would_be}."
    )


# ------------------------------------------------------------ waivers as accepted risks


def _waived(rules: Iterable[RuleEntry]) -> list[tuple[RuleEntry, FindingEntry]]:
    """The waived findings that decide something: pooled ones, and groups judged each group."""
    return [
        (rule, finding)
        for rule in rules
        for finding in rule.findings
        if finding.waived is not None and (finding.pooled or rule.judge == "each-group")
    ]


def _risk_uuid(document: FindingsDocument, rule: RuleEntry, finding: FindingEntry) -> str:
    return uid("risk", *_subject(document), rule.rule, finding.id)


def _risk(document: FindingsDocument, rule: RuleEntry, finding: FindingEntry) -> dict[str, Any]:
    waived = finding.waived
    assert waived is not None
    would_be = waived.would_be
    severity = f"{would_be.severity.value} " if would_be.severity else ""
    zone = ZoneInfo(document.manifest.parameters.timezone)
    until = end_of_day(datetime.fromisoformat(waived.valid_until).date(), zone)
    return {
        "uuid": _risk_uuid(document, rule, finding),
        "title": _line(f"Waiver {waived.waiver}: {finding.id}"),
        "description": waived.reason,
        "statement": f"A {severity}nonconformity of {finding.id} (clause {rule.clause}) is "
        f"accepted by {waived.approved_by} at the request of {waived.requested_by} until "
        f"{waived.valid_until}: {finding.explanation}",
        "status": "deviation-approved",
        "props": _props(
            ("waiver", waived.waiver),
            ("risk", waived.risk),
            ("requested-by", waived.requested_by),
            ("approved-by", waived.approved_by),
        ),
        "deadline": until.isoformat(),
        "related-observations": [{"observation-uuid": _observation_uuid(document, rule)}],
    }


# ------------------------------------------------------------ back matter


def _plan_resources(document: FindingsDocument) -> list[dict[str, Any]]:
    """The pack (the assessment plan) and its standard."""
    manifest = document.manifest
    return [
        _resource("pack", manifest.pack.path, manifest.pack.sha256, "The rule pack audited."),
        _resource(
            "standard",
            manifest.standard.path,
            manifest.standard.sha256,
            f"The standard: {manifest.standard.title.en}, version {manifest.standard.version}.",
        ),
    ]


def _evidence_resources(document: FindingsDocument) -> list[dict[str, Any]]:
    """Each evidence file the audit read; for an audit of an evidence export, the export's
    Parquet files, then the files the export was made from."""
    manifest = document.manifest
    if manifest.export is None:
        return [
            _read(document, f.file, f.sha256, f"Evidence file {_ingested(f)}, as audited.")
            for f in manifest.evidence
        ]
    read = [
        _read(document, f.file, f.sha256, f"Parquet file of the evidence export the audit read: "
              f"{f.rows:,} rows.")
        for f in manifest.export
    ]  # fmt: skip
    return read + [_made_from(f) for f in manifest.evidence]


def _ingested(file: EvidenceFile) -> str:
    """``of kind agents: 60 rows read, 60 stored, 0 quarantined (ok)``."""
    return (
        f"of kind {file.kind or 'unknown'}: {file.rows_read:,} rows read, "
        f"{file.stored:,} stored, {file.quarantined:,} quarantined ({file.status})"
    )


def _read(document: FindingsDocument, file: str, sha256: str, description: str) -> dict[str, Any]:
    """A file the audit read, linked at its path as the audit was given it: the evidence
    folder, then the file (the file itself when the evidence was that one file)."""
    href = recorded_path(file, document.manifest.parameters.evidence_root)
    return _resource("evidence", href, sha256, description)


def _made_from(file: EvidenceFile) -> dict[str, Any]:
    """A file an audited evidence export was made from, as the export's manifest records it:
    no rlink (one needs an href, and the export does not record where the file was), its
    path and SHA-256 as props."""
    described = (
        f"A file the evidence export was made from, {_ingested(file)}, as the export's "
        f"manifest records it: {file.file} in the evidence folder its store was ingested "
        "from. This audit read the export's Parquet files instead, and the export does not "
        "record where that folder was, so the file is not linked; its SHA-256 is the "
        "sha256 prop."
    )
    path_and_hash = (("path", file.file), ("sha256", file.sha256))
    return _unlinked_resource("export-source", file.file, file.sha256, described, *path_and_hash)


def _failing_resources(document: FindingsDocument) -> list[dict[str, Any]]:
    """The failing-records file, when the audit wrote one."""
    failing = document.failing_records
    if failing is None:
        return []
    described = (
        f"Every failing record of the audit, {failing.rows:,} rows, written beside "
        "findings.json: rule, finding, key, group, period, measured value and problem."
    )
    return [_resource("failing-records", failing.path, failing.sha256, described)]


def _failing_uuid(document: FindingsDocument) -> str | None:
    failing = document.failing_records
    return None if failing is None else uid("failing-records", failing.path, failing.sha256)


def _resource(kind: str, href: str, sha256: str, description: str) -> dict[str, Any]:
    """A file linked at ``href`` with its SHA-256."""
    hashes = [{"algorithm": "SHA-256", "value": sha256}]
    return {
        **_unlinked_resource(kind, href, sha256, description),
        "rlinks": [{"href": href, "hashes": hashes}],
    }


def _unlinked_resource(
    kind: str, name: str, sha256: str, description: str, *props: tuple[str, object]
) -> dict[str, Any]:
    """A file's resource without its link: its uuid, title, description and props."""
    return {
        "uuid": uid(kind, name, sha256),
        "title": _line(Path(name).name or name),
        "description": description,
        "props": _props(("type", kind), *props),
    }


# ------------------------------------------------------------ small helpers


def group_key(group: dict[str, Any]) -> str:
    """A finding's group as waivers name it: ``site=SH`` (``a=1, b=2`` for several)."""
    return group_text(group)


def _control(clause: str) -> str:
    """The clause as an OSCAL control id (a token): ``clause-3.1.2``."""
    token = f"clause-{clause}"
    return token if _TOKEN.match(token) else re.sub(r"[^A-Za-z0-9_.\-]", "-", token)


def _stamp(text: str) -> str:
    """A time as an OSCAL date-time with a zone (UTC when it has none)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _props(*pairs: tuple[str, object]) -> list[dict[str, str]]:
    """Props of the non-empty values (OSCAL wants no blank value), each on one line."""
    return [
        {"name": name, "ns": PROP_NS, "value": _line(str(value))}
        for name, value in pairs
        if value is not None and str(value).strip()
    ]


def _line(text: str) -> str:
    """One line with no surrounding blanks (OSCAL titles and prop values)."""
    return " ".join(text.split()) or "-"
