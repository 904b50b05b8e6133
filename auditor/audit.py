"""An audit: ingest a folder of evidence, evaluate a pack, write findings.json.

``findings.json`` is deterministic: the same inputs give the same bytes apart
from the one ``generated_at`` field. Its contract is ``auditor/findings/contract.py``
and is described in docs/findings.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .backends.store import EvidenceStore
from .errors import (
    AuditorError,
    EvidenceError,
    Location,
    PeriodError,
    QuarantineError,
    all_of,
)
from .evaluate import evaluate
from .evaluate.driver import backend_for
from .evidence_span import KindCoverage, judged_kinds, kind_coverage, span_text
from .exported import ExportFile, is_export, read_export
from .failing import FailingRecordsWriter
from .findings import RANK, RuleResult
from .findings.contract import FindingsDocument
from .findings.document import AuditInputs, findings_document
from .formatting import percent_text
from .ingest import IngestReport, Progress, first_place, ingest
from .mapping import Mapping
from .model import Pack
from .pack import load_pack
from .paths import output_folder
from .periods import LAST_YEAR, Period, parse_period, whole_months
from .register.waivers import Waiver, apply_waivers, load_waivers_file

DEFAULT_MAX_QUARANTINE = 0.02
FAIL_LEVELS = {"major": 3, "minor": 2, "observation": 1, "never": 99}


@dataclass
class AuditResult:
    document: dict[str, Any]
    results: list[RuleResult]
    ingest: IngestReport
    period: Period
    out: Path
    findings: FindingsDocument
    written: list[Path] = field(default_factory=list)
    #: what the console says beside the findings' warnings (a period told in another zone)
    notes: list[str] = field(default_factory=list)

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


def infer_period(pack: Pack, store: Any, report: IngestReport | None = None) -> Period:
    """Whole months from the earliest to the latest time of the records the rules judge.

    Kinds only looked up by other rules (training history, pauses) do not count.
    ``store`` is an evidence store or the backend evaluating it; ``report``, the ingest
    that filled it, is named when no record has a time.
    """
    zone = ZoneInfo(pack.timezone)
    everything = Period("all", date(1, 1, 2), date(9999, 12, 30))
    coverage = kind_coverage(pack, store, everything)
    judged = set(judged_kinds(pack))
    moments = judged_moments(pack, coverage)
    if not moments:
        looked_up = sorted(
            c.kind for c in coverage.values() if c.kind not in judged and c.first is not None
        )
        if looked_up:  # e.g. a ticket status history alone: only rules' look-ups read it
            raise PeriodError(
                "cannot tell the audit period: no record of a kind the rules judge has a "
                f"time (those with one are of {', '.join(looked_up)}, which rules only look up)",
                hint="give --period, e.g. 2026-Q3, or add the files of the kinds the rules judge",
            )
        read = "" if report is None else f" ({_what_was_read(report)})"
        raise PeriodError(
            f"cannot tell the audit period: no record with a time was stored{read}",
            hint="check the evidence folder, the file names and the mapping",
        )
    first = datetime.fromtimestamp(min(moments), zone).date()
    last = datetime.fromtimestamp(max(moments), zone).date()
    if last.year > LAST_YEAR:
        raise PeriodError(
            f"cannot tell the audit period: the evidence reaches {last}, beyond the year {LAST_YEAR}",
            hint="give --period, e.g. 2026-Q3",
        )
    return whole_months(first, last)


def judged_moments(pack: Pack, coverage: dict[str, KindCoverage]) -> list[float]:
    """The first and last times of the records of each kind the rules judge."""
    judged = set(judged_kinds(pack))
    return [
        moment
        for c in coverage.values()
        if c.kind in judged
        for moment in (c.first, c.last)
        if moment is not None
    ]


def zone_notes(
    pack: Pack, coverage: dict[str, KindCoverage], report: IngestReport, period: Period
) -> list[str]:
    """When a period told from the records' times in the pack's zone covers other months
    than the same records do in the zone their files were read in: a note saying so (an
    August log kept in Asia/Jerusalem reaches 1 September in Asia/Shanghai)."""
    judged = set(judged_kinds(pack))
    moments = judged_moments(pack, coverage)
    zones = sorted(
        {
            f.mapping["timezone"]
            for f in report.files
            if f.mapping and f.mapping.get("timezone") and f.kind in judged
        }
        - {pack.timezone}
    )
    notes = []
    for name in zones if moments else []:
        zone = ZoneInfo(name)
        first = datetime.fromtimestamp(min(moments), zone).date()
        last = datetime.fromtimestamp(max(moments), zone).date()
        there = whole_months(first, last)
        if (there.first, there.last) != (period.first, period.last):
            notes.append(
                f"the period {period.first}..{period.last} was told from the records' "
                f"times in the pack's zone {pack.timezone}; in {name}, the zone their files were "
                f"read in, they run from {first} to {last}: give --period {_months_label(there)} "
                "to audit those months"
            )
    return notes


def _months_label(period: Period) -> str:
    """The --period that names whole months ``period`` spans: ``2010-08`` or a range."""
    month = f"{period.first:%Y-%m}"
    return month if month == f"{period.last:%Y-%m}" else f"{period.first}..{period.last}"


def run_audit(
    pack_path: str | Path,
    evidence: str | Path,
    out: str | Path,
    period: str | Period | None = None,
    mapping: Mapping | None = None,
    auditor_name: str | None = None,
    organisation: str | None = None,
    max_quarantine: float = DEFAULT_MAX_QUARANTINE,
    waivers: list[Waiver] | None = None,
    today: date | None = None,
    files: list[Path] | None = None,
    engine: str = "sqlite",
    progress: Progress | None = None,
    waivers_beside: bool = True,
) -> AuditResult:
    """Ingest ``evidence`` into ``out/evidence.db``, evaluate, write ``out/findings.json``.

    Stops with an error, before judging anything, when a file cannot be read,
    when a file's quarantined share is above ``max_quarantine`` or when the
    period holds no evidence record. ``files``, when given, are the only files
    under ``evidence`` read (a combined audit hands each pack the files it claims).
    ``engine`` names the SQL engine that evaluates the rules (see
    :mod:`auditor.backends.engines`); for DuckDB the store keeps its records in
    a DuckDB file beside the store (see :mod:`auditor.backends.duckdb_records`).
    ``progress`` is the ingest's progress callback. ``waivers`` are applied with those of
    a ``waivers.yaml`` beside the pack (unless ``waivers_beside`` is false: ``verify``
    applies only the waivers the audit recorded).
    """
    pack = load_pack(pack_path)
    today = today or pack_today(pack)
    from .backends.duckdb_records import records_path
    from .backends.engines import check_engine

    check_engine(engine)
    beside = Path(pack_path).with_name("waivers.yaml")
    rules = [rule.id for rule in pack.rules]
    kept = load_waivers_file(beside, today, rules) if waivers_beside and beside.exists() else []
    waivers = [*(waivers or []), *kept]
    if isinstance(period, str) and period:  # a period that is not one: before any output
        period = parse_period(period)
    target = Path(out)
    outside_the_evidence(target, Path(evidence))
    export = is_export(Path(evidence))
    if export and mapping is not None:
        raise EvidenceError(
            "this folder holds an evidence export, whose records were converted when its "
            "store was made: a mapping has nothing to read in it",
            location=Location(str(evidence)),
            hint="audit the export with no --mapping or --preset",
        )
    output_folder(target)
    store_path = target / "evidence.db"
    records = records_path(store_path)  # where a store for the DuckDB engine keeps its records
    for stale in (store_path, Path(f"{store_path}-wal"), Path(f"{store_path}-shm")):
        stale.unlink(missing_ok=True)
    for stale in (records, Path(f"{records}.wal")):
        stale.unlink(missing_ok=True)
    notes: list[str] = []
    store = EvidenceStore(store_path, engine=engine)
    try:
        exported: list[ExportFile] | None = None
        if export:
            read = read_export(Path(evidence), pack, store)
            report, exported = read.report, read.files
            notes.extend(read.notes)
        else:
            report = ingest(pack, evidence, store, mapping, progress, files=files)
        if report.errors:
            raise _unreadable(report)
        unread = report.not_evidence_note()
        notes.extend([unread] if unread else [])
        check_quarantine(report, max_quarantine)
        # each rule's failing records written while the engine evaluates the next rules;
        # discarded if anything fails before they are finished
        with FailingRecordsWriter(target, str(evidence)) as writer:
            with _engine(store) as backend:  # one engine answers the coverage and the rules
                if isinstance(period, Period):  # given (a text was parsed above)
                    audit_period, told = period, False
                else:
                    audit_period, told = infer_period(pack, backend, report), True
                coverage = kind_coverage(pack, backend, audit_period)
                if told:
                    notes.extend(zone_notes(pack, coverage, report, audit_period))
                check_period_has_evidence(pack, audit_period, coverage, report)
                notes.extend(unended(audit_period, today))
                results = evaluate(pack, backend, audit_period, on_result=writer.add)
            failing = writer.finish()
        apply_waivers(results, waivers, today)
        inputs = AuditInputs(
            pack,
            audit_period,
            report,
            coverage,
            failing,
            max_quarantine,
            auditor_name,
            organisation,
            str(evidence),
            engine,
            exported,
            today,
        )
        findings = findings_document(inputs, results)
    finally:
        store.close()
    findings.dump(target / "findings.json")
    return AuditResult(
        findings.model_dump(mode="json"), results, report, audit_period, target, findings,
        notes=notes,
    )  # fmt: skip


@contextmanager
def _engine(store: EvidenceStore) -> Iterator[Any]:
    """The backend of the engine the store names, closed when the block ends."""
    backend = backend_for(store)
    try:
        yield backend
    finally:
        close = getattr(backend, "close", None)  # a plug-in's backend may hold nothing
        if close is not None:
            close()


def outside_the_evidence(out: Path, evidence: Path) -> None:
    """Outputs written among the evidence would be read as evidence by the next audit."""
    if evidence.is_dir() and out.resolve().is_relative_to(evidence.resolve()):
        raise AuditorError(
            "the output folder is inside the evidence folder: the next audit would read the "
            "reports and registers as evidence",
            location=Location(str(out)),
            hint="give --out a folder outside the evidence",
        )


def pack_today(pack: Pack, now: datetime | None = None) -> date:
    """Today (or ``now``, an aware moment) in the pack's time zone, where its periods begin
    and end: a machine on UTC is still in 30 September while Shanghai is in 1 October."""
    zone = ZoneInfo(pack.timezone)
    return (now or datetime.now(zone)).astimezone(zone).date()


def unended(period: Period, today: date) -> list[str]:
    """A note when the period ends after ``today``: its figures are those of a part of it."""
    if period.last < today:
        return []
    return [
        f"the period {period.label} has not ended: it ends on {period.last}, and today is "
        f"{today}; records still to come are not in its figures, and what is open now counts "
        "as pending (a register records this audit as it stands)"
    ]


def check_quarantine(report: IngestReport, ceiling: float) -> None:
    """Stop when a file has more of its rows quarantined than ``ceiling`` (a fraction) allows."""
    errors: list[AuditorError] = []
    for f in report.files:
        if not f.rows_read or f.quarantined / f.rows_read <= ceiling:
            continue
        top = [(n, reason, f.first_seen[reason]) for reason, n in f.reasons.most_common(3)]
        reasons = "; ".join(
            f"{n:,} {reason} ({first_place(seen.line, seen.value)})" for n, reason, seen in top
        )
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
        raise all_of(errors)


def check_period_has_evidence(
    pack: Pack, period: Period, coverage: dict[str, KindCoverage], report: IngestReport
) -> None:
    """Stop when the period holds no record of any kind a rule judges: none that the kind's
    time, or the field a rule dates its records by, places in it."""
    judged = [coverage[name] for name in judged_kinds(pack)]
    timed = [c for c in judged if c.placed is not None]
    found = any(c.placed for c in timed) if timed else any(c.stored for c in judged)
    if found:
        return
    span = span_text(pack, coverage)
    if span is not None:
        raise PeriodError(
            f"no record in {period.label}; the evidence spans {span}",
            hint="give a --period inside that span",
        )
    raise PeriodError(
        f"no evidence record in {period.label}: {_what_was_read(report)}",
        hint="check the evidence folder, the file names and the mapping",
    )


def _what_was_read(report: IngestReport) -> str:
    """Files read and rows stored, and the files passed over when none was read."""
    unread = report.not_evidence_note() if not report.files else None
    return f"{len(report.files):,} file(s) read, {report.stored:,} rows stored" + (
        f"; {unread}" if unread else ""
    )


def _unreadable(report: IngestReport) -> AuditorError:
    # The reason already names the file (and line) it is about.
    return all_of([EvidenceError(f.reason) for f in report.errors])


def write_findings(document: dict[str, Any], path: Path) -> None:
    """Validate ``document`` against the findings contract and write it atomically."""
    FindingsDocument.from_data(document).dump(path)


def load_findings(path: str | Path) -> dict[str, Any]:
    """Read and validate a findings.json; the plain data, for callers that want a dict."""
    return FindingsDocument.load(path).model_dump(mode="json")
