"""An audit: ingest a folder of evidence, evaluate a pack, write findings.json.

``findings.json`` is deterministic: the same inputs give the same bytes apart
from the one ``generated_at`` field. Its schema is ``auditor/findings.schema.json``
and is described in docs/findings.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import __version__
from .engine import evaluate
from .errors import AuditorError, EvidenceError, Location
from .findings import Finding, RuleResult
from .ingest import IngestReport, ingest
from .mapping import Mapping
from .model import Pack
from .pack import load_pack
from .periods import Period, parse_period
from .store import EvidenceStore

SCHEMA_VERSION = "1.0"
FAIL_LEVELS = {"major": 3, "minor": 2, "observation": 1, "never": 99}


@dataclass
class AuditResult:
    document: dict[str, Any]
    results: list[RuleResult]
    ingest: IngestReport
    period: Period
    out: Path
    written: list[Path] = field(default_factory=list)

    def worst_level(self) -> int:
        return max((r.level for r in self.results), default=0)

    def fails(self, fail_on: str) -> bool:
        return self.worst_level() >= FAIL_LEVELS[fail_on]


def infer_period(pack: Pack, store: EvidenceStore) -> Period:
    """Whole months from the earliest to the latest time of the records the rules judge.

    Kinds only looked up by other rules (training history, pauses) do not count.
    """
    zone = ZoneInfo(pack.timezone)
    moments: list[float] = []
    judged = {rule.evidence for rule in pack.rules}
    for kind in pack.evidence.values():
        if kind.name in judged and kind.time and store.db[kind.name].exists():
            row = store.db.execute(
                f'SELECT MIN("{kind.time}"), MAX("{kind.time}") FROM "{kind.name}"'
            ).fetchone()
            moments.extend(v for v in row if v is not None)
    if not moments:
        raise AuditorError(
            "cannot tell the audit period: no timed records", hint="give --period, e.g. 2026-Q3"
        )
    first = datetime.fromtimestamp(min(moments), zone).date().replace(day=1)
    last_day = datetime.fromtimestamp(max(moments), zone).date()
    following = date(last_day.year + last_day.month // 12, last_day.month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return Period(f"{first.isoformat()}..{last.isoformat()}", first, last)


def run_audit(
    pack_path: str | Path,
    evidence: str | Path,
    out: str | Path,
    period: str | None = None,
    mapping: Mapping | None = None,
    auditor_name: str | None = None,
    organisation: str | None = None,
) -> AuditResult:
    """Ingest ``evidence`` into ``out/evidence.db``, evaluate, write ``out/findings.json``."""
    pack = load_pack(pack_path)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    store_path = target / "evidence.db"
    for stale in (store_path, Path(f"{store_path}-wal"), Path(f"{store_path}-shm")):
        stale.unlink(missing_ok=True)
    store = EvidenceStore(store_path)
    try:
        report = ingest(pack, evidence, store, mapping)
        if report.errors:
            raise _unreadable(report)
        audit_period = parse_period(period) if period else infer_period(pack, store)
        results = evaluate(pack, store, audit_period)
        document = findings_document(
            pack, audit_period, report, results, auditor_name, organisation
        )
    finally:
        store.close()
    write_findings(document, target / "findings.json")
    return AuditResult(document, results, report, audit_period, target)


def _unreadable(report: IngestReport) -> AuditorError:
    errors: list[AuditorError] = [
        EvidenceError(f.reason, location=Location(f.path)) for f in report.errors
    ]
    if len(errors) == 1:
        return errors[0]
    from .errors import PackErrors

    return PackErrors(errors)


# ------------------------------------------------------------ the document


def findings_document(
    pack: Pack,
    period: Period,
    report: IngestReport,
    results: list[RuleResult],
    auditor_name: str | None = None,
    organisation: str | None = None,
) -> dict[str, Any]:
    zone = ZoneInfo(pack.timezone)
    counts: dict[str, int] = {}
    for result in results:
        key = (
            result.verdict
            if result.verdict != "nonconform"
            else f"nonconform-{result.verdict_severity}"
        )
        counts[key] = counts.get(key, 0) + 1
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "manifest": {
            "tool": {"name": "auditor", "version": __version__},
            "pack": {
                "id": pack.id,
                "version": pack.version,
                "path": pack.path,
                "sha256": pack.sha256,
            },
            "standard": {
                "id": pack.standard.id,
                "version": pack.standard.version,
                "title": {"zh": pack.standard.title.zh, "en": pack.standard.title.en},
                "path": pack.standard.path,
                "sha256": pack.standard.sha256,
            },
            "evidence": [
                {
                    "file": f.path,
                    "kind": f.kind,
                    "sha256": f.sha256,
                    "size": f.size,
                    "rows_read": f.rows_read,
                    "stored": f.stored,
                    "quarantined": f.quarantined,
                    "status": f.status,
                    "quarantine_reasons": dict(sorted(f.reasons.items())),
                }
                for f in report.files
            ],
            "parameters": {
                "period": {
                    "label": period.label,
                    "first_day": period.first.isoformat(),
                    "last_day": period.last.isoformat(),
                    "start": period.start(zone),
                    "end": period.end(zone),
                },
                "timezone": pack.timezone,
                "language": pack.language,
                "calendars": {
                    name: {
                        "hours": {
                            str(day): [list(w) for w in windows]
                            for day, windows in sorted(cal.hours.items())
                        },
                        "holidays": cal.holidays or "none",
                        "extra_holidays": [d.isoformat() for d in cal.extra_holidays],
                        "extra_workdays": [d.isoformat() for d in cal.extra_workdays],
                    }
                    for name, cal in sorted(pack.calendars.items())
                },
                "interval": {"method": "wilson", "confidence": 0.95},
                "percentile_method": "nearest rank",
                "due_days": dict(pack.due_days),
                "auditor": auditor_name,
                "organisation": organisation,
            },
        },
        "summary": {
            "rules": len(results),
            "verdicts": dict(sorted(counts.items())),
            "rows_read": report.rows_read,
            "stored": report.stored,
            "quarantined": report.quarantined,
        },
        "rules": [_rule_entry(pack, r) for r in results],
        "coverage": _coverage(pack, results),
        "exclusions": [e for r in results for e in r.exclusions],
    }


def _coverage(pack: Pack, results: list[RuleResult]) -> list[dict[str, Any]]:
    """Every clause of the standard, with the rules that check it and their verdicts."""
    by_clause: dict[str, list[RuleResult]] = {}
    for result in results:
        by_clause.setdefault(result.clause, []).append(result)
    return [
        {
            "clause": clause.id,
            "title": {"zh": clause.title.zh, "en": clause.title.en},
            "assessment": clause.assessment,
            "rules": [
                {
                    "rule": r.rule,
                    "verdict": r.verdict,
                    "severity": r.verdict_severity,
                    "measure": r.measure,
                }
                for r in by_clause.get(clause.id, [])
            ],
        }
        for clause in pack.standard.clauses.values()
    ]


def _rule_entry(pack: Pack, result: RuleResult) -> dict[str, Any]:
    clause = pack.standard.clause(result.clause)
    return {
        "rule": result.rule,
        "clause": result.clause,
        "clause_title": {"zh": clause.title.zh, "en": clause.title.en} if clause else None,
        "title": {"zh": result.title_zh, "en": result.title_en},
        "measure": result.measure,
        "severity": result.severity,
        "judge": result.judge,
        "verdict": result.verdict,
        "verdict_severity": result.verdict_severity,
        "capa": result.capa,
        "findings": [_finding_entry(f) for f in result.findings],
    }


def _finding_entry(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "group": f.group,
        "period": f.period,
        "pooled": f.pooled,
        "verdict": f.verdict,
        "severity": f.severity,
        "counts": f.counts.as_dict(),
        "value": f.value,
        "unit": f.unit,
        "interval": list(f.interval) if f.interval else None,
        "target": f.target,
        "shortfall": f.shortfall,
        "explanation": f.explanation,
        "reasons": f.reasons,
        "details": f.details,
        "excluded_by_reason": f.excluded_by_reason,
        "failing_count": len(f.failing),
        "failing": f.failing,
        "failing_values": f.failing_values,
    }


def write_findings(document: dict[str, Any], path: Path) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def load_findings(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditorError("file not found", location=Location(str(path))) from None
    except ValueError as exc:
        raise AuditorError(f"not valid JSON: {exc}", location=Location(str(path))) from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise AuditorError(
            f"not a findings.json of schema {SCHEMA_VERSION}", location=Location(str(path))
        )
    return data
