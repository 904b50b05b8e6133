"""Re-check an audit without trusting it: the inputs' hashes, then the whole computation again.

Every evidence file, the pack and the standard are hashed and compared with
the audit's manifest; then the audit is run again from those inputs with the
recorded parameters (period, zone, mapping or preset, quarantine ceiling) in
a temporary folder, and every finding is compared: verdict, severity, counts,
value, interval and failing records.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import AuditorError, Location, ReportError
from ..findings.combined import is_combined, read_json
from ..findings.contract import FindingEntry, FindingsDocument
from ..mapping import Mapping, find_preset, load_mapping
from ..periods import Period

#: a value may differ by this much (relative) between runs and still be the same
TOLERANCE = 1e-9


@dataclass
class VerifyReport:
    files: int = 0
    findings: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.differences


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_audit(audit: Path) -> tuple[FindingsDocument, Path]:
    """The findings of an audit folder (or a findings.json), and the folder."""
    path = audit / "findings.json" if audit.is_dir() else audit
    if not path.exists():
        raise ReportError(
            "not an audit: there is no findings.json", location=Location(str(audit)),
            hint="give the folder an audit wrote (its --out)",
        )  # fmt: skip
    return FindingsDocument.load(path), path.parent


def recorded_period(document: FindingsDocument) -> Period:
    """The period the audit covered, as its manifest records it."""
    period = document.manifest.parameters.period
    return Period(
        period.label, date.fromisoformat(period.first_day), date.fromisoformat(period.last_day)
    )


def recorded_pack(document: FindingsDocument, pack: Path | None = None) -> Path:
    """``pack`` if given, else the pack the audit recorded; one clear line when it is not there."""
    path = Path(pack) if pack else Path(document.manifest.pack.path)
    if not path.is_file():
        raise AuditorError(f"the pack {path} is not there", hint="give it with --pack")
    return path


def audit_folder(audit: Path) -> Path:
    return audit if audit.is_dir() else audit.parent


def part_of_combined(folder: Path) -> None:
    """One line naming the combined audit when ``folder`` is one pack's part of it."""
    top = folder.resolve().parent / "findings.json"
    if not top.is_file():
        return
    try:
        data = read_json(top)
    except AuditorError:
        return
    if is_combined(data) and folder.resolve().name in [p.get("id") for p in data["packs"]]:
        raise AuditorError(
            f"{folder} is one pack's part of a combined audit; verify the combined audit "
            f"folder {top.parent} (its packs share the evidence folder)"
        )


def check_inputs(document: FindingsDocument, evidence: Path, pack: Path) -> VerifyReport:
    """Hash every recorded input and compare with the manifest."""
    report = VerifyReport()
    manifest = document.manifest
    for entry in manifest.evidence:
        report.files += 1
        path = evidence / entry.file
        if not path.exists():
            report.differences.append(f"evidence file {entry.file}: missing")
        elif sha256_of(path) != entry.sha256:
            report.differences.append(
                f"evidence file {entry.file}: different SHA-256 ({sha256_of(path)[:12]}..., "
                f"recorded {entry.sha256[:12]}...)"
            )
    if sha256_of(pack) != manifest.pack.sha256:
        report.differences.append(f"pack {pack}: different SHA-256 than recorded")
    standard = _standard_path(pack, manifest.standard.path)
    if standard is None or sha256_of(standard) != manifest.standard.sha256:
        report.differences.append(
            f"standard {manifest.standard.id}: "
            + ("missing" if standard is None else "different SHA-256 than recorded")
        )
    return report


def _standard_path(pack: Path, recorded: str) -> Path | None:
    name = Path(recorded).name
    for candidate in (Path(recorded), pack.parent.parent / "standards" / name, pack.parent / name):
        if candidate.exists():
            return candidate
    return None


def recorded_mapping(document: FindingsDocument, evidence: Path) -> Mapping | None:
    """The mapping the audit was given (a preset or a file), as its manifest records it."""
    given = {
        (m.source, m.name, m.path)
        for e in document.manifest.evidence
        if (m := e.mapping) is not None
    }
    for source, name, path in sorted(given, key=str):
        if source == "preset" and name:
            return load_mapping(find_preset(name))
        if source == "mapping" and path:
            candidate = Path(path) if Path(path).is_absolute() else evidence / path
            if candidate.exists():
                return load_mapping(candidate)
            raise AuditorError(
                f"the audit read its files with the mapping {path}, which is not there",
                hint="give it with --mapping",
            )
    return None


def rerun(
    document: FindingsDocument,
    evidence: Path,
    pack: Path,
    mapping: Mapping | None,
    files: list[Path] | None = None,
    engine: str | None = None,
) -> FindingsDocument:
    """The audit run again from its inputs with its recorded parameters, in a temporary folder.

    ``engine`` runs it on another SQL engine than the one recorded: the same
    findings from an engine the audit did not use are an independent check.
    """
    from ..audit import run_audit

    params = document.manifest.parameters
    period = recorded_period(document)
    ran_on = date.fromisoformat(document.generated_at[:10])
    with tempfile.TemporaryDirectory(prefix="auditor-verify-") as folder:
        result = run_audit(
            pack, evidence, folder, period, mapping, params.auditor, params.organisation,
            params.max_quarantine, today=ran_on, files=files, engine=engine or params.engine,
        )  # fmt: skip
        return result.findings


def compare(old: FindingsDocument, new: FindingsDocument, report: VerifyReport) -> None:
    """Every finding of ``old`` reproduced in ``new``: verdict, severity, counts, value, interval, keys."""
    fresh = {f.id: f for r in new.rules for f in r.findings}
    for rule in old.rules:
        for finding in rule.findings:
            report.findings += 1
            again = fresh.pop(finding.id, None)
            if again is None:
                report.differences.append(f"finding {finding.id}: not reproduced")
                continue
            report.differences.extend(
                f"finding {finding.id}: {d}" for d in _finding_differences(finding, again)
            )
    report.differences.extend(f"finding {fid}: new in the re-run" for fid in sorted(fresh))


def _finding_differences(old: FindingEntry, new: FindingEntry) -> list[str]:
    found = []
    for name in ("verdict", "severity", "counts", "failing_count", "failing"):
        if getattr(old, name) != getattr(new, name):
            found.append(
                f"{name} was {_short(getattr(old, name))}, now {_short(getattr(new, name))}"
            )
    if not _close(old.value, new.value):
        found.append(f"value was {old.value}, now {new.value}")
    old_interval, new_interval = old.interval or (None, None), new.interval or (None, None)
    if not all(_close(a, b) for a, b in zip(old_interval, new_interval, strict=True)):
        found.append(f"interval was {old.interval}, now {new.interval}")
    return found


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _short(value: Any) -> str:
    text = str(value.model_dump() if hasattr(value, "model_dump") else value)
    return text if len(text) <= 80 else text[:77] + "..."


def failing_files_differ(document: FindingsDocument, folder: Path) -> list[str]:
    """The failing-records files (CSV, Parquet) that are missing or not the bytes recorded."""
    listed = document.failing_records
    if listed is None:
        return []
    files = [(listed.path, listed.sha256)]
    if listed.parquet is not None:
        files.append((listed.parquet.path, listed.parquet.sha256))
    return [
        f"{name}: missing or different SHA-256 than recorded"
        for name, digest in files
        if not (folder / name).exists() or sha256_of(folder / name) != digest
    ]


def verify_audit(
    audit: Path,
    evidence: Path | None = None,
    pack: Path | None = None,
    mapping: Mapping | None = None,
    engine: str | None = None,
) -> VerifyReport:
    """Check an audit's inputs against its manifest, then reproduce every finding.

    A combined audit (several packs) is verified as a whole: see ``verify_combined``.
    ``engine`` reproduces the findings on another SQL engine than the recorded one.
    """
    top = audit / "findings.json" if audit.is_dir() else audit
    if top.is_file() and is_combined(read_json(top)):
        from .combined import verify_combined

        return verify_combined(top, evidence, mapping, engine)
    part_of_combined(audit_folder(audit))
    document, _ = load_audit(audit)
    params = document.manifest.parameters
    if evidence is None and not params.evidence_root:
        raise AuditorError(
            "the audit does not record its evidence folder (an audit written before it was recorded)",
            hint="give it with --evidence",
        )
    evidence = evidence or Path(str(params.evidence_root))
    if not evidence.exists():
        raise AuditorError(
            f"the evidence folder {evidence} is not there", hint="give it with --evidence"
        )
    pack = recorded_pack(document, pack)
    report = check_inputs(document, evidence if evidence.is_dir() else evidence.parent, pack)
    report.differences.extend(failing_files_differ(document, audit_folder(audit)))
    if report.differences:
        return report  # inputs that changed: re-running would prove nothing
    compare(
        document,
        rerun(
            document, evidence, pack, mapping or recorded_mapping(document, evidence), None, engine
        ),
        report,
    )
    return report
