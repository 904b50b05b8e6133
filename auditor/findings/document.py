"""findings.json built from an audit's results: manifest, summary, rules, coverage, exclusions.

The document is deterministic: the same inputs give the same bytes apart from
the one ``generated_at`` field (keys sorted, lists in rule, group and period
order, record keys sorted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .. import failing as failing_module
from ..build import tool_entry
from ..evidence_span import Gap, KindCoverage, evidence_gaps, judged_kinds
from ..failing import capped
from ..i18n import Words
from ..paths import relative_path, working_relative
from ..periods import cell, days_from, sub_periods
from ..recommendation import recommendation
from .contract import SCHEMA_VERSION, FindingsDocument, Warning_
from .results import Finding, RuleResult
from .sentences import sentence

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..ingest import FileReport, IngestReport
    from ..model import Pack
    from ..periods import Period
    from ..standards import Text


@dataclass(frozen=True)
class AuditInputs:
    """What an audit read and was asked: everything the manifest records."""

    pack: Pack
    period: Period
    report: IngestReport
    coverage: dict[str, KindCoverage] = field(default_factory=dict)
    failing: dict[str, Any] | None = None
    max_quarantine: float = 0.02
    auditor: str | None = None
    organisation: str | None = None
    #: the evidence folder (or file) the audit read; file paths are recorded relative to it
    evidence_root: str | None = None
    #: the SQL engine that evaluated the rules
    engine: str = "sqlite"
    #: the Parquet files of the evidence export the audit read instead of evidence files
    export: list[Any] | None = None
    #: the day of the audit in the pack's zone: a period not ended by then has no gap at its
    #: end told (its records are still to come); None for a period taken as ended
    today: date | None = None


def findings_document(inputs: AuditInputs, results: list[RuleResult]) -> FindingsDocument:
    """The findings of one audit, checked against the contract, each finding's arithmetic in words."""
    return explained(FindingsDocument.from_data(_document_data(inputs, results)))


def explained(document: FindingsDocument) -> FindingsDocument:
    """Every finding's ``explanation``: its arithmetic in English, by the one sentence generator."""
    words = Words("en")
    rules = [
        rule.model_copy(
            update={
                "findings": [
                    f.model_copy(update={"explanation": _plain(sentence(f, rule, words))})
                    for f in rule.findings
                ]
            }
        )
        for rule in document.rules
    ]
    return document.model_copy(update={"rules": rules})


def _plain(text: str) -> str:
    """No-break spaces (kept together on a page) as plain spaces in the data."""
    return text.replace("\u00a0", " ")


def _document_data(inputs: AuditInputs, results: list[RuleResult]) -> dict[str, Any]:
    pack = inputs.pack
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "manifest": {
            "tool": tool_entry(),
            "pack": _pack_ref(pack),
            "standard": {
                "id": pack.standard.id,
                "version": pack.standard.version,
                "title": {"zh": pack.standard.title.zh, "en": pack.standard.title.en},
                "path": working_relative(pack.standard.path),
                "sha256": pack.standard.sha256,
            },
            "evidence": [_evidence_file(f, inputs.evidence_root) for f in inputs.report.files],
            "export": None
            if inputs.export is None
            else [{"file": f.file, "sha256": f.sha256, "rows": f.rows} for f in inputs.export],
            "parameters": _parameters(inputs),
        },
        "summary": _summary(inputs, results),
        "rules": [_rule_entry(inputs, r) for r in results],
        "coverage": _coverage(pack, results),
        "exclusions": [_capped_keys(e) for r in results for e in r.exclusions],
        "failing_records": inputs.failing,
        "reason_titles": _reason_titles(pack),
    }


def _pack_ref(pack: Pack) -> dict[str, Any]:
    return {
        "id": pack.id,
        "version": pack.version,
        "path": pack.path,
        "sha256": pack.sha256,
        "title": {"zh": pack.title.zh, "en": pack.title.en} if pack.title else None,
    }


def _evidence_file(f: Any, root: str | None) -> dict[str, Any]:
    from ..ingest import shown_value

    return {
        "file": relative_path(f.path, root),
        "kind": f.kind,
        "sha256": f.sha256,
        "size": f.size,
        "rows_read": f.rows_read,
        "stored": f.stored,
        "quarantined": f.quarantined,
        "status": f.status,
        "quarantine_reasons": dict(sorted(f.reasons.items())),
        "quarantine_first_seen": {
            reason: {
                "line": place.line,
                "column": place.column or None,
                "value": shown_value(place.value),
            }
            for reason, place in sorted(f.first_seen.items())
        },
        "mapping": f.mapping,
        "sheet": f.reader.get("sheet"),
        "warnings": list(f.warnings),
        "moved_dst": dict(sorted(f.moved_dst.items())),
        "date_order": _date_order(f.reader),
    }


def _date_order(reader: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field's day/month order as the ingest recorded it, with the line and value that
    settled it (none when the mapping gave it)."""
    from ..ingest import shown_value

    seen = reader.get("date_order_seen") or {}
    return {
        field: {
            "order": order,
            "line": (seen.get(field) or {}).get("line"),
            "value": shown_value((seen.get(field) or {}).get("value")),
        }
        for field, order in sorted((reader.get("date_order") or {}).items())
    }


def _parameters(inputs: AuditInputs) -> dict[str, Any]:
    pack, period = inputs.pack, inputs.period
    zone = ZoneInfo(pack.timezone)
    return {
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
                "holiday_years": _holiday_years(cal.holidays),
            }
            for name, cal in sorted(pack.calendars.items())
        },
        "interval": {"method": "wilson", "confidence": 0.95},
        "percentile_method": "nearest rank",
        "due_days": dict(pack.due_days),
        "max_quarantine": inputs.max_quarantine,
        "engine": inputs.engine,
        "evidence_root": inputs.evidence_root,
        "auditor": inputs.auditor,
        "organisation": inputs.organisation,
    }


def _holiday_years(code: str | None) -> list[int] | None:
    """The first and last year the calendar's holiday set has data for."""
    from ..holiday_sets import covered_years

    years = covered_years(code or "none")
    return None if years is None else list(years)


def _summary(inputs: AuditInputs, results: list[RuleResult]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for result in results:
        key = result.verdict
        if result.verdict == "nonconform":
            key = f"nonconform-{result.verdict_severity}"
        counts[key] = counts.get(key, 0) + 1
    report = inputs.report
    return {
        "rules": len(results),
        "verdicts": dict(sorted(counts.items())),
        "rows_read": report.rows_read,
        "stored": report.stored,
        "quarantined": report.quarantined,
        "recommendation": recommendation(results),
        "kinds": kinds_summary(inputs.pack, report, inputs.coverage),
        "warnings": [
            *audit_warnings(inputs.pack, report, inputs.coverage, inputs.evidence_root),
            *gap_warnings(inputs, results),
        ],
    }


def kinds_summary(
    pack: Pack, report: IngestReport, coverage: dict[str, KindCoverage]
) -> list[dict[str, Any]]:
    """Per evidence kind: files, rows read, stored, quarantined, records whose time is in the
    period and outside it, and records with no time, in no period."""
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
                "outside": covered.outside if covered else None,
                "untimed": covered.untimed if covered else None,
                "placed": covered.placed if covered else None,
            }
        )
    return rows


def audit_warnings(
    pack: Pack, report: IngestReport, coverage: dict[str, KindCoverage], root: str | None = None
) -> list[dict[str, Any]]:
    """Things a reader must know: optional fields no file filled, files whose columns were not
    recorded (an earlier version ingested them), judged kinds empty in the period; a file named
    relative to the evidence folder ``root``, as the manifest names it."""
    warnings: list[dict[str, Any]] = []
    unrecorded = columns_not_recorded(pack, report.files)
    for f in report.files:
        kind = pack.evidence.get(f.kind or "")
        mapped = (f.mapping or {}).get("columns")
        if kind is None or not isinstance(mapped, dict):  # unrecorded: none known missing
            continue
        for name, spec in kind.fields.items():
            if spec.optional and name not in mapped:
                warnings.append(
                    {
                        "code": "optional-field-missing",
                        "file": relative_path(f.path, root),
                        "kind": kind.name,
                        "field": name,
                    }
                )
    if unrecorded:
        files = sorted(relative_path(f.path, root) for f in unrecorded)
        warnings.append({"code": "columns-not-recorded", "files": files})
    warnings.extend(_zone_warnings(pack, report, root))
    for name in judged_kinds(pack):
        covered = coverage.get(name)
        if covered is not None and covered.placed == 0:
            warnings.append({"code": "kind-empty-in-period", "kind": name})
    return warnings


def gap_warnings(inputs: AuditInputs, results: list[RuleResult]) -> list[dict[str, Any]]:
    """An ``evidence-gap`` warning for each edge of the period that a stretch of days with no
    record a rule judges begins or ends (:func:`evidence_gaps`), with the sub-periods inside
    it (a month of a rule with ``period: month``) that a rule has no finding for; none at
    the end of a period not ended on the day of the audit."""
    pack, period = inputs.pack, inputs.period
    ended = inputs.today is None or period.last < inputs.today
    gaps = [
        gap for gap in evidence_gaps(pack, period, inputs.coverage) if gap.edge == "start" or ended
    ]
    return [
        {
            "code": "evidence-gap",
            "edge": gap.edge,
            "first": gap.empty.first.isoformat(),
            "last": gap.empty.last.isoformat(),
            "days": gap.empty.days,
            "no_finding": _without_finding(pack, period, gap, results),
        }
        for gap in gaps
    ]


def _without_finding(pack: Pack, period: Period, gap: Gap, results: list[RuleResult]) -> list[str]:
    """The labels of the sub-periods wholly in ``gap`` that a rule reports by and has no
    finding for, in the order of their days."""
    missing: dict[str, Period] = {}
    empty = gap.empty
    for result in results:
        rule = pack.rule(result.rule)
        if rule is None or rule.period == "all":
            continue
        found = {f.period for f in result.findings}
        for sub in sub_periods(period, rule.period):
            if empty.first <= sub.first and sub.last <= empty.last and sub.label not in found:
                missing.setdefault(sub.label, sub)
    return [label for label, sub in sorted(missing.items(), key=lambda i: (i[1].first, i[1].last))]


def evidence_gap_line(words: Words, period: str, warning: Warning_) -> str:
    """The ``evidence-gap`` ``warning`` in ``words``' language, ``period`` the audit period's
    label: ``evidence ends 2012-05-23: the last 38 days of 2012-Q2 (2012-05-24 to
    2012-06-30) hold no record the rules judge``."""
    from ..formatting import count, first_names

    gap = warned_gap(warning)
    no_finding = warning.no_finding or []
    unfound = words.label("gap_no_finding", periods=first_names(no_finding)) if no_finding else ""
    return words.label(
        f"evidence-gap-{gap.edge}",
        day=gap.evidence_day.isoformat(),
        days=count(gap.empty.days),
        period=period,
        first=gap.empty.first.isoformat(),
        last=gap.empty.last.isoformat(),
        no_finding=unfound,
    )


def warned_gap(warning: Warning_) -> Gap:
    """The empty days an ``evidence-gap`` warning tells of."""
    if warning.edge is None or warning.first is None or warning.last is None:
        raise ValueError(f"a {warning.code} warning names no empty days")
    first, last = date.fromisoformat(warning.first), date.fromisoformat(warning.last)
    return Gap(warning.edge, days_from(first, last))


def columns_not_recorded(pack: Pack, files: Iterable[FileReport]) -> list[FileReport]:
    """The files of the pack's kinds whose manifest entry does not record which columns they
    had (an earlier version ingested them): no column can be known missing from them, so none
    excludes a record of theirs (``columns_read`` leaves them out)."""
    return [
        f
        for f in files
        if (f.kind or "") in pack.evidence
        and not isinstance((f.mapping or {}).get("columns"), dict)
    ]


def columns_not_recorded_line(names: list[str]) -> str:
    """The ``columns-not-recorded`` warning as the console says it, naming the files."""
    from ..formatting import count, first_names
    from ..i18n import Words

    return Words("en").label("columns-not-recorded", n=count(len(names)), files=first_names(names))


def _zone_warnings(pack: Pack, report: IngestReport, root: str | None) -> list[dict[str, Any]]:
    """Files whose mapping reads times in another zone than the pack judges them in."""
    found = []
    for f in report.files:
        zone = (f.mapping or {}).get("timezone")
        if zone and zone != pack.timezone:
            found.append(
                {
                    "code": "timezone-differs",
                    "file": relative_path(f.path, root),
                    "kind": f.kind,
                    "zone": zone,
                }
            )
    return found


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
            "not_covered": _pair(pack.not_covered.get(clause.id)),
        }
        for clause in pack.standard.clauses.values()
    ]


def _pair(text: Text | None) -> dict[str, str] | None:
    return None if text is None else {"zh": text.zh, "en": text.en}


def rule_fields(result: RuleResult) -> dict[str, Any]:
    """A rule's entry in findings.json as its result gives it (its clause's title, its pack's
    interpretation and its findings apart)."""
    return {
        "rule": result.rule,
        "clause": result.clause,
        "title": {"zh": result.title_zh, "en": result.title_en},
        "measure": result.measure,
        "severity": result.severity,
        "judge": result.judge,
        "verdict": result.verdict,
        "verdict_severity": result.verdict_severity,
        "capa": result.capa,
        "calendar": result.calendar,
        "failing_unit": result.failing_unit,
        "unit_label": result.unit_label,
        "waived": result.waived,
    }


def _rule_entry(inputs: AuditInputs, result: RuleResult) -> dict[str, Any]:
    pack, root = inputs.pack, inputs.evidence_root
    clause = pack.standard.clause(result.clause)
    rule = pack.rule(result.rule)
    return {
        **rule_fields(result),
        "clause_title": {"zh": clause.title.zh, "en": clause.title.en} if clause else None,
        "interpretation": _pair(rule.interpretation if rule is not None else None),
        "findings": [capped(_finding_entry(f, root, inputs.period)) for f in result.findings],
    }


def _days(period: Period, label: str) -> dict[str, Any] | None:
    """The days of the audit period a finding labelled ``label`` holds, cut or not."""
    held = cell(period, label)
    if held is None:
        return None
    return {"first": held.first.isoformat(), "last": held.last.isoformat(), "clipped": held.clipped}


def finding_fields(f: Finding) -> dict[str, Any]:
    """A finding's entry in findings.json but for its days and failing records: its verdict
    and the figures its sentence reads."""
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
        "explanation": "",  # written from the figures by findings.sentences, below
        "reasons": f.reasons,
        "details": f.details,
        "excluded_by_reason": f.excluded_by_reason,
        "threshold": f.threshold,
        "not_evaluable": f.not_evaluable,
        "waived": f.waived,
    }


def _finding_entry(f: Finding, root: str | None, period: Period) -> dict[str, Any]:
    shown = min(len(f.failing), failing_module.CAP_PER_FINDING)
    return {
        **finding_fields(f),
        "days": _days(period, f.period),
        "failing_count": len(f.failing),
        "failing": f.failing,
        "failing_values": f.failing_values,
        # notes and sources only as far as findings.json lists them (capped() cuts the rest):
        # at 10M records a finding may hold millions, each made when read
        "failing_notes": f.failing_notes[:shown] or [None] * shown,
        "failing_sources": [
            None if where is None else {**where, "file": relative_path(where["file"], root)}
            for where in (f.failing_sources[:shown] or [None] * shown)
        ],
    }
