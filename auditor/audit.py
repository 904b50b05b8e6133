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
from . import failing as failing_module
from .evaluate import evaluate
from .errors import (
    AuditorError,
    EvidenceError,
    Location,
    PackErrors,
    PeriodError,
    QuarantineError,
)
from .evidence_span import KindCoverage, judged_kinds, kind_coverage, span_text
from .failing import capped, failing_unit, write_failing_records
from .findings import RANK, Finding, RuleResult
from .formatting import percent_text
from .ingest import IngestReport, ingest
from .mapping import Mapping
from .model import Pack
from .pack import load_pack
from .periods import Period, parse_period
from .recommendation import recommendation
from .store import EvidenceStore

SCHEMA_VERSION = "1.1"
DEFAULT_MAX_QUARANTINE = 0.02
FAIL_LEVELS = {"major": 3, "minor": 2, "observation": 1, "never": 99}


@dataclass
class AuditResult:
    document: dict[str, Any]
    results: list[RuleResult]
    ingest: IngestReport
    period: Period
    out: Path
    written: list[Path] = field(default_factory=list)

    def worst_level(self, allow_not_evaluable: bool = False) -> int:
        """The worst rule level; a rule not evaluable counts as major unless allowed."""
        levels = [r.level for r in self.results]
        if not allow_not_evaluable:
            levels += [RANK["major"] for r in self.results if r.verdict == "not-evaluable"]
        return max(levels, default=0)

    def fails(self, fail_on: str, allow_not_evaluable: bool = False) -> bool:
        return self.worst_level(allow_not_evaluable) >= FAIL_LEVELS[fail_on]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return list(self.document["summary"]["warnings"])


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
        raise PeriodError(
            "cannot tell the audit period: no timed record was stored",
            hint="check the evidence folder and the ingest summary, or give --period, e.g. 2026-Q3",
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
    max_quarantine: float = DEFAULT_MAX_QUARANTINE,
) -> AuditResult:
    """Ingest ``evidence`` into ``out/evidence.db``, evaluate, write ``out/findings.json``.

    Stops with an error, before judging anything, when a file cannot be read,
    when a file's quarantined share is above ``max_quarantine`` or when the
    period holds no evidence record.
    """
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
        check_quarantine(report, max_quarantine)
        audit_period = parse_period(period) if period else infer_period(pack, store)
        coverage = kind_coverage(pack, store, audit_period)
        check_period_has_evidence(pack, audit_period, coverage, report)
        results = evaluate(pack, store, audit_period)
        failing = write_failing_records(results, target)
        document = findings_document(
            pack,
            audit_period,
            report,
            results,
            auditor_name,
            organisation,
            coverage,
            failing,
            max_quarantine,
        )
    finally:
        store.close()
    write_findings(document, target / "findings.json")
    return AuditResult(document, results, report, audit_period, target)


def check_quarantine(report: IngestReport, ceiling: float) -> None:
    """Stop when a file has more of its rows quarantined than ``ceiling`` (a fraction) allows."""
    errors: list[AuditorError] = []
    for f in report.files:
        if not f.rows_read or f.quarantined / f.rows_read <= ceiling:
            continue
        reasons = "; ".join(f"{n:,} {reason}" for reason, n in f.reasons.most_common(3))
        errors.append(
            QuarantineError(
                f"{f.quarantined:,} of {f.rows_read:,} rows quarantined "
                f"({percent_text(f.quarantined / f.rows_read, ceiling)}), above the "
                f"{percent_text(ceiling, least=0)} ceiling; top reasons: {reasons}",
                location=Location(f.path),
                hint="fix the file or its mapping, or accept it with --max-quarantine 100%",
            )
        )
    if errors:
        raise errors[0] if len(errors) == 1 else PackErrors(errors)


def check_period_has_evidence(
    pack: Pack, period: Period, coverage: dict[str, KindCoverage], report: IngestReport
) -> None:
    """Stop when the period holds no record of any kind a rule judges."""
    judged = [coverage[name] for name in judged_kinds(pack)]
    timed = [c for c in judged if c.in_period is not None]
    found = any(c.in_period for c in timed) if timed else any(c.stored for c in judged)
    if found:
        return
    span = span_text(pack, coverage)
    if span is not None:
        raise PeriodError(
            f"no record in {period.label}; the evidence spans {span}",
            hint="give a --period inside that span",
        )
    raise PeriodError(
        f"no evidence record in {period.label}: {len(report.files):,} file(s) read, "
        f"{report.stored:,} rows stored",
        hint="check the evidence folder, the file names and the mapping",
    )


def _unreadable(report: IngestReport) -> AuditorError:
    # The reason already names the file (and line) it is about.
    errors: list[AuditorError] = [EvidenceError(f.reason) for f in report.errors]
    if len(errors) == 1:
        return errors[0]
    return PackErrors(errors)


# ------------------------------------------------------------ the document


def findings_document(
    pack: Pack,
    period: Period,
    report: IngestReport,
    results: list[RuleResult],
    auditor_name: str | None = None,
    organisation: str | None = None,
    coverage: dict[str, KindCoverage] | None = None,
    failing: dict[str, Any] | None = None,
    max_quarantine: float = DEFAULT_MAX_QUARANTINE,
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
                "title": {"zh": pack.title.zh, "en": pack.title.en} if pack.title else None,
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
                    "mapping": getattr(f, "mapping", None),
                    "warnings": list(getattr(f, "warnings", [])),
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
                "max_quarantine": max_quarantine,
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
            "recommendation": recommendation(results),
            "kinds": kinds_summary(pack, report, coverage or {}),
            "warnings": audit_warnings(pack, report, coverage or {}),
        },
        "rules": [_rule_entry(pack, r) for r in results],
        "coverage": _coverage(pack, results),
        "exclusions": [_capped_keys(e) for r in results for e in r.exclusions],
        "failing_records": failing,
        "reason_titles": _reason_titles(pack),
    }


def kinds_summary(
    pack: Pack, report: IngestReport, coverage: dict[str, KindCoverage]
) -> list[dict[str, Any]]:
    """Per evidence kind: files, rows read, stored, quarantined and records in the period."""
    rows = []
    for name, kind in pack.evidence.items():
        files = [f for f in report.files if f.kind == name]
        covered = coverage.get(name)
        rows.append(
            {
                "kind": name,
                "title": {"zh": kind.title.zh, "en": kind.title.en},
                "files": len(files),
                "rows_read": sum(f.rows_read for f in files),
                "stored": sum(f.stored for f in files),
                "quarantined": sum(f.quarantined for f in files),
                "in_period": covered.in_period if covered else None,
            }
        )
    return rows


def audit_warnings(
    pack: Pack, report: IngestReport, coverage: dict[str, KindCoverage]
) -> list[dict[str, Any]]:
    """Things a reader must know: optional fields no file filled, judged kinds empty in the period."""
    warnings: list[dict[str, Any]] = []
    for f in report.files:
        kind = pack.evidence.get(f.kind or "")
        mapped = (getattr(f, "mapping", None) or {}).get("columns")
        if kind is None or mapped is None:
            continue
        for name, spec in kind.fields.items():
            if spec.optional and name not in mapped:
                warnings.append(
                    {
                        "code": "optional-field-missing",
                        "file": f.path,
                        "kind": kind.name,
                        "field": name,
                    }
                )
    for name in judged_kinds(pack):
        covered = coverage.get(name)
        if covered is not None and covered.in_period == 0:
            warnings.append({"code": "kind-empty-in-period", "kind": name})
    return warnings


def _reason_titles(pack: Pack) -> dict[str, dict[str, str]]:
    """The packs' bilingual exclusion reasons, keyed by the text findings count them under."""
    titles = {}
    for rule in pack.rules:
        for exclusion in rule.exclusions:
            if exclusion.title is not None:
                titles[exclusion.reason] = {"zh": exclusion.title.zh, "en": exclusion.title.en}
    return dict(sorted(titles.items()))


def _capped_keys(entry: dict[str, Any]) -> dict[str, Any]:
    """An exclusion ledger entry with at most the cap's keys (``count`` stays whole)."""
    cap = failing_module.CAP_PER_FINDING
    return {**entry, "keys": entry["keys"][:cap], "keys_truncated": len(entry["keys"]) > cap}


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
        "calendar": result.calendar,
        "failing_unit": failing_unit(result, result.findings[0]),
        "findings": [capped(_finding_entry(f)) for f in result.findings],
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
        "failing_notes": f.failing_notes or [None] * len(f.failing),
        "threshold": f.threshold,
        "not_evaluable": f.not_evaluable,
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
