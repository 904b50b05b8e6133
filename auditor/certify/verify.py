"""Re-check an audit without trusting it: the inputs' hashes, then the whole computation again.

Every evidence file, the pack and the standard are hashed and compared with
the audit's manifest; then the audit is run again from those inputs with the
recorded parameters (period, zone, mapping or preset, quarantine ceiling, the
waivers it applied) in a temporary folder, and everything it derived is
compared: every finding (verdict, severity, counts, value, interval, target,
explanation, failing records), every rule's verdict, the summary and its
recommendation, each file's rows read, stored and quarantined, and the
audit's evidence store (which ``explain`` and ``sample`` read) table by table
against the store the re-run made.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import REPORT_FILES
from ..errors import AuditorError, Location, ReportError
from ..findings.combined import is_combined, read_json
from ..findings.contract import FindingEntry, FindingsDocument
from ..mapping import Mapping, find_preset, load_mapping
from ..paths import recorded_relative
from ..periods import Period
from .waivers_applied import check_waivers, ran_on, recorded_waivers, register_checked

if TYPE_CHECKING:
    from ..backends.store import EvidenceStore
    from ..findings.contract import EvidenceFile, QuarantinePlace, RuleEntry
    from ..model import Pack

#: a value may differ by this much (relative) between runs and still be the same
TOLERANCE = 1e-9
#: the note when an input differs: the findings are not compared at all
NOT_RECOMPUTED = (
    "the findings were not computed again, nor compared with findings.json or the store: "
    "with a file not as the audit recorded it, a re-run would prove nothing (restore "
    "what is named above, or give the right files, and verify again)"
)


@dataclass
class VerifyReport:
    files: int = 0
    findings: int = 0
    differences: list[str] = field(default_factory=list)
    #: what was not checked, and why (no store in the audit folder, say)
    notes: list[str] = field(default_factory=list)
    #: the engine the findings were computed again on, when verify was given one, and the
    #: one the audit recorded
    engine: str | None = None
    recorded_engine: str | None = None

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


def recorded_pack(
    document: FindingsDocument, pack: Path | None = None, folder: Path | None = None
) -> Path:
    """``pack`` if given, else the pack the audit recorded, found as :func:`where_recorded`
    says (``folder``: the audit folder); one clear line when it is not there."""
    if pack:
        if not Path(pack).is_file():
            raise AuditorError(f"the pack {pack} is not there", hint="give it with --pack")
        return Path(pack)
    recorded = document.manifest.pack
    found = find_recorded(recorded.path, folder, sha256=recorded.sha256)
    if found is None:
        raise AuditorError(f"the pack {recorded.path} is not there", hint="give it with --pack")
    return found


def columns_not_recorded_warnings(pack: Pack, store: EvidenceStore, root: str | None) -> list[str]:
    """The warning an audit gives for the files of its store an earlier version ingested,
    whose columns their manifest does not record, in its words (each file named relative to
    the evidence folder ``root`` the audit recorded); none when every file's are recorded."""
    from ..findings.document import columns_not_recorded, columns_not_recorded_line
    from ..ingest import FileReport

    files = [FileReport.from_manifest(entry) for entry in store.manifest_entries()]
    names = sorted(recorded_relative(f.path, root) for f in columns_not_recorded(pack, files))
    return [columns_not_recorded_line(names)] if names else []


def recorded_evidence(document: FindingsDocument, folder: Path) -> Path:
    """The evidence folder (or file) the audit recorded, found as :func:`where_recorded`
    says; one clear line when the audit does not record it or it is not there."""
    root = document.manifest.parameters.evidence_root
    if not root:
        raise AuditorError(
            "the audit does not record its evidence folder (an audit written before it was recorded)",
            hint="give it with --evidence",
        )
    return evidence_place(str(root), folder, [document])


def evidence_place(root: str, folder: Path, documents: Sequence[FindingsDocument]) -> Path:
    """Where the evidence folder (or file) ``root`` an audit recorded is now, found as
    :func:`where_recorded` says (``folder``: the audit folder): of several places of that
    name (the working folder's, the audit's tree), the one holding a file one of
    ``documents`` read (a combined audit's packs share one folder); one clear line when
    none is there."""
    places = [place for place in where_recorded(root, folder) if place.exists()]
    if not places:
        raise AuditorError(
            f"the evidence folder {root} is not there", hint="give it with --evidence"
        )
    return next(
        (p for p in places if any(_holds_a_recorded_file(d, p) for d in documents)), places[0]
    )


def passed_over(
    root: str, folder: Path, documents: Sequence[FindingsDocument], chosen: Path
) -> list[str]:
    """A note for each other place of the evidence folder's name whose copy of a file the
    audit read is not that file: the folder verified is one, and a certifier looking at
    another (the one in the working folder, say) is told it differs."""
    notes = []
    seen = {chosen.resolve()}
    listed = [entry for document in documents for entry in files_read(document)]
    for place in where_recorded(root, folder):
        if not place.exists() or place.resolve() in seen:
            continue
        seen.add(place.resolve())
        copies = [(entry, _in_place(place, entry.file)) for entry in listed]
        differing = [
            (entry, now)
            for entry, path in copies
            if path.is_file() and (now := sha256_of(path)) != entry.sha256
        ]
        if differing:
            entry, now = differing[0]
            verb = "differs" if len(differing) == 1 else "differ"
            notes.append(
                f"evidence folder {place}: {len(differing):,} of the files the audit read "
                f"{verb} there ({entry.file}: SHA-256 {now[:12]}..., recorded "
                f"{entry.sha256[:12]}...); the folder verified is {chosen}"
            )
    return notes


def files_read(document: FindingsDocument) -> list[Any]:
    """The files an audit read and recorded with their SHA-256: its evidence files, or the
    export's Parquet files for an audit of one."""
    manifest = document.manifest
    return list(manifest.export if manifest.export is not None else manifest.evidence)


def _in_place(place: Path, name: str) -> Path:
    """Where file ``name`` of the evidence is in ``place`` (a folder, or the one file)."""
    return (place if place.is_dir() else place.parent) / name


def _holds_a_recorded_file(document: FindingsDocument, place: Path) -> bool:
    """Whether the first file the audit read is in ``place`` with its recorded SHA-256."""
    listed = files_read(document)
    if not listed:
        return False
    path = _in_place(place, listed[0].file)
    return path.is_file() and sha256_of(path) == listed[0].sha256


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


def check_inputs(
    document: FindingsDocument, evidence: Path, pack: Path, mapping: Mapping | None = None,
    folder: Path | None = None,
) -> VerifyReport:  # fmt: skip
    """Hash every recorded input and compare with the manifest (``mapping``: the one given
    to verify with --mapping, for the file the audit was given; ``folder``: the audit
    folder, which recorded paths are also looked for from)."""
    report = VerifyReport()
    manifest = document.manifest
    if manifest.export is not None:  # the audit read an export, not the files it was made from
        report.differences.extend(_export_differences(manifest.export, evidence, report))
        report.notes.append(
            "the audit read an evidence export: its Parquet files were checked; the files it "
            "was made from are named with their SHA-256 in its manifest, not hashed here"
        )
    for entry in manifest.evidence if manifest.export is None else []:
        report.files += 1
        differs = file_difference(
            f"evidence file {entry.file}", evidence / entry.file, entry.sha256
        )
        report.differences.extend([differs] if differs else [])
    if manifest.export is None:
        report.differences.extend(_mapping_differences(document, evidence, mapping, folder))
    for differs in (
        file_difference(f"pack {pack}", pack, manifest.pack.sha256),
        _standard_difference(pack, manifest.standard.id, manifest.standard.sha256),
    ):
        report.differences.extend([differs] if differs else [])
    return report


def file_difference(label: str, path: Path | None, recorded: str) -> str | None:
    """``LABEL: missing``, ``LABEL: different SHA-256 (1a2b..., recorded 3c4d...)``, or None
    for a file that is the bytes recorded (hashed once)."""
    if path is None or not path.is_file():
        return f"{label}: missing"
    now = sha256_of(path)
    if now == recorded:
        return None
    return f"{label}: different SHA-256 ({now[:12]}..., recorded {recorded[:12]}...)"


def _export_differences(recorded: list[Any], folder: Path, report: VerifyReport) -> list[str]:
    """Each Parquet file of the export the audit read, missing, added or with other bytes."""
    found: list[str] = []
    for entry in recorded:
        report.files += 1
        differs = file_difference(f"export file {entry.file}", folder / entry.file, entry.sha256)
        found.extend([differs] if differs else [])
    read = {entry.file for entry in recorded}
    found.extend(
        f"export file {path.name}: in the export but not read by the audit (added since?)"
        for path in sorted(folder.glob("*.parquet"))
        if path.name not in read
    )
    return found


def recorded_files(
    document: FindingsDocument, evidence: Path
) -> tuple[list[Path] | None, list[str]]:
    """The files of the evidence folder the audit read, for the re-run to read (None: every
    file there, none having been added), and the names of those it did not read."""
    from ..ingest import evidence_files
    from ..paths import relative_path

    if not evidence.is_dir():
        return None, []
    read = {entry.file for entry in document.manifest.evidence}
    present = {relative_path(str(path), str(evidence)): path for path in evidence_files(evidence)}
    unread = sorted(name for name in present if name not in read)
    if not unread:
        return None, []
    return [path for name, path in present.items() if name in read], unread


def _mapping_differences(
    document: FindingsDocument, evidence: Path, given: Mapping | None = None,
    folder: Path | None = None,
) -> list[str]:  # fmt: skip
    """Each mapping file beside the evidence (a sidecar) or given with --mapping that is not
    the bytes the audit read, or no longer there (a preset is the auditor's own). ``given``
    (verify's --mapping) stands for the file the audit was given with --mapping."""
    found: dict[str, str] = {}
    for entry in document.manifest.evidence:
        mapping = entry.mapping
        if mapping is None or mapping.source not in ("sidecar", "mapping"):
            continue
        if not mapping.path or not mapping.sha256 or mapping.path in found:
            continue
        if mapping.source == "mapping" and given is not None and given.source == "mapping":
            if given.sha256 != mapping.sha256:
                found[mapping.path] = (
                    f"mapping {given.path} (given for {mapping.path}, of {entry.file}): "
                    f"different SHA-256 ({(given.sha256 or '')[:12]}..., recorded "
                    f"{mapping.sha256[:12]}...)"
                )
            continue
        path = find_recorded(mapping.path, folder, evidence, sha256=mapping.sha256)
        if path is None and mapping.source != "sidecar":  # given, and given again to verify
            continue
        differs = file_difference(f"mapping {mapping.path} (of {entry.file})", path, mapping.sha256)
        if differs:
            found[mapping.path] = differs
    return list(found.values())


def where_recorded(recorded: str, folder: Path | None = None, *within: Path) -> list[Path]:
    """Where a path the audit recorded may be now: as recorded (absolute, or relative to the
    working folder), relative to each folder of ``within`` (the evidence folder, for a
    mapping), then relative to the audit folder ``folder`` and each folder above it. The
    audit recorded its paths as they were given, relative to the folder it was run from,
    which is one of those when its --out named a folder below it; so an audit verifies
    from any working folder, and a copy of the whole tree on another machine too."""
    path = Path(recorded)
    if path.is_absolute():
        return [path]
    above = [folder.resolve(), *folder.resolve().parents] if folder is not None else []
    return list(dict.fromkeys([path, *(base / path for base in (*within, *above))]))


def find_recorded(
    recorded: str, folder: Path | None = None, *within: Path, sha256: str | None = None
) -> Path | None:
    """The first place of :func:`where_recorded` that holds a file, the first whose bytes
    have the SHA-256 ``sha256`` if one has."""
    places = [place for place in where_recorded(recorded, folder, *within) if place.is_file()]
    if sha256 is not None:
        return next((p for p in places if sha256_of(p) == sha256), places[0] if places else None)
    return places[0] if places else None


def _standard_difference(pack: Path, standard: str, recorded: str) -> str | None:
    """The standard file the pack finds, as the re-run will find it (``STANDARD.yaml`` in the
    pack's standard folders), against its recorded SHA-256: not the file at the path
    findings.json records, which names where the audit found it (a copy there is not the one
    used)."""
    from ..pack import standard_folders

    if not pack.is_file():
        return None  # the pack's own line says it is missing
    found = (folder / f"{standard}.yaml" for folder in standard_folders(pack))
    path = next((p for p in found if p.is_file() and p.resolve() != pack.resolve()), None)
    return file_difference(f"standard {standard}", path, recorded)


def recorded_mapping(
    document: FindingsDocument, evidence: Path, given: Mapping | None = None,
    folder: Path | None = None,
) -> Mapping | None:  # fmt: skip
    """The mapping the audit was given (a preset or a file), as its manifest records it:
    ``given`` (verify's --mapping) if any, a file found where the audit read it (as given,
    relative to the working folder, relative to the evidence folder, or relative to the audit
    folder ``folder`` and the folders above it: see :func:`where_recorded`). A file of the
    recorded bytes is taken under the recorded path wherever it is now, so that the re-run's
    store names it as the audit's did. An audit of an evidence export was given none: the
    mappings its manifest records are those the export's store was ingested with."""
    if document.manifest.export is not None:
        return given
    recorded = {
        (m.source, m.name, m.path, m.sha256)
        for e in document.manifest.evidence
        if (m := e.mapping) is not None
    }
    if given is not None:
        for source, _, path, digest in recorded:
            if source == "mapping" and path and digest and given.sha256 == digest:
                return replace(given, path=path)
        return given
    for source, name, path, digest in sorted(recorded, key=str):
        if source == "preset" and name:
            return load_mapping(find_preset(name))
        if source == "mapping" and path:
            candidate = find_recorded(path, folder, evidence, sha256=digest)
            if candidate is not None:
                return replace(load_mapping(candidate), path=path)
            raise AuditorError(
                f"the audit read its files with the mapping {path}, which is not there",
                hint="give it with --mapping",
            )
    return None


@contextmanager
def rerun(
    document: FindingsDocument,
    evidence: Path,
    pack: Path,
    mapping: Mapping | None,
    files: list[Path] | None = None,
    engine: str | None = None,
) -> Iterator[tuple[FindingsDocument, Path]]:
    """The audit run again from its inputs with its recorded parameters, in a temporary folder:
    its findings and the folder (its store), while the block runs.

    ``engine`` runs it on another SQL engine than the one recorded: the same
    findings from an engine the audit did not use are an independent check.
    """
    from ..audit import run_audit

    params = document.manifest.parameters
    period = recorded_period(document)
    waivers = recorded_waivers(document)
    # each applied as it was: on a day all are in force (the audit's local day may be the
    # day before the UTC day findings.json records, the last day of a waiver)
    day = min([ran_on(document), *(w.valid_until for w in waivers)])
    with tempfile.TemporaryDirectory(prefix="auditor-verify-") as folder:
        result = run_audit(
            pack, evidence, folder, period, mapping, params.auditor, params.organisation,
            params.max_quarantine, waivers, today=day, files=files,
            engine=engine or params.engine, waivers_beside=False,
        )  # fmt: skip
        yield result.findings, Path(folder)


def compare(
    old: FindingsDocument, new: FindingsDocument, report: VerifyReport,
    roots: tuple[str, str] | None = None,
) -> None:  # fmt: skip
    """Everything ``old`` derived reproduced in ``new``: every finding, every rule's verdict,
    the summary and recommendation, each file's counts. ``roots``: the evidence folder the
    audit read and the one the re-run read, taken for the same where a path names a file."""
    fresh = {f.id: f for r in new.rules for f in r.findings}
    rules = {r.rule: r for r in new.rules}
    for rule in old.rules:
        again_rule = rules.pop(rule.rule, None)
        if again_rule is None:
            report.differences.append(f"rule {rule.rule}: not reproduced")
        else:
            report.differences.extend(
                f"rule {rule.rule}: {d}" for d in _rule_differences(rule, again_rule)
            )
        for finding in rule.findings:
            report.findings += 1
            again = fresh.pop(finding.id, None)
            if again is None:
                report.differences.append(f"finding {finding.id}: not reproduced")
                continue
            report.differences.extend(
                f"finding {finding.id}: {d}" for d in _finding_differences(finding, again)
            )
    report.differences.extend(f"rule {rule}: new in the re-run" for rule in sorted(rules))
    report.differences.extend(f"finding {fid}: new in the re-run" for fid in sorted(fresh))
    report.differences.extend(_summary_differences(old, new))
    report.differences.extend(_other_differences(old, new, roots or ("", "")))


#: what a finding states besides its value and interval (compared within :data:`TOLERANCE`)
FINDING_FIELDS = (
    "verdict", "severity", "counts", "target", "threshold", "shortfall", "explanation",
    "reasons", "excluded_by_reason", "not_evaluable", "waived", "failing_count", "failing",
    "failing_notes", "failing_sources",
)  # fmt: skip
#: what a rule states besides its findings
RULE_FIELDS = ("verdict", "verdict_severity", "severity", "judge", "waived", "capa")
#: what the summary states (its recommendation: see :data:`RECOMMENDATION_FIELDS`)
SUMMARY_FIELDS = ("rules", "verdicts", "rows_read", "stored", "quarantined")
RECOMMENDATION_FIELDS = ("decision", "majors", "minors", "not_evaluable")
#: what the manifest states of each evidence file besides its name and hash
FILE_FIELDS = ("kind", "rows_read", "stored", "quarantined", "status", "quarantine_reasons")


#: what a re-run may state otherwise: when it ran, the build of auditor it ran on (a note
#: names another when there are differences), where its inputs were read from (their hashes
#: are checked first) and the engine it ran on (``verify --engine``)
RERUN_MAY_DIFFER = (
    ("generated_at",),
    ("manifest", "tool", "build"),
    ("manifest", "parameters", "evidence_root"),
    ("manifest", "parameters", "engine"),
    ("manifest", "pack", "path"),
    ("manifest", "standard", "path"),
)


def _other_differences(
    old: FindingsDocument, new: FindingsDocument, roots: tuple[str, str]
) -> list[str]:
    """Every other field of findings.json (a finding's details, a rule's title, the coverage,
    the exclusion ledger, each kind's counts ...), which the report prints too: the
    re-run states it alike, numbers within :data:`TOLERANCE`."""
    return data_differences(_comparable(old, roots[0]), _comparable(new, roots[1]))


def data_differences(old: Any, new: Any) -> list[str]:
    """Each place where two documents (as JSON data) differ, named by its path
    (``crosswalk[0]: clauses[1].verdict was conform, now nonconform-major``)."""
    found: list[Place] = []
    _walk(old, new, (), found)
    return [_placed(path, was, now) for path, was, now in found]


def _comparable(document: FindingsDocument, root: str) -> dict[str, Any]:
    """The document as JSON data, less what :func:`compare` checks field by field and what
    a re-run may state otherwise; rules, findings and files keyed by their names, and the
    file a warning names relative to the evidence folder ``root``."""
    data = document.model_dump(mode="json")
    for warning in data["summary"].get("warnings") or []:
        if root and isinstance(warning.get("file"), str):
            warning["file"] = recorded_relative(warning["file"], root)
    for path in RERUN_MAY_DIFFER:
        parent = data
        for name in path[:-1]:
            parent = parent.get(name) or {}
        parent.pop(path[-1], None)
    data["rules"] = {
        rule["rule"]: {
            **_without(rule, (*RULE_FIELDS, "findings")),
            "findings": {
                f["id"]: _without(f, (*FINDING_FIELDS, "value", "interval"))
                for f in rule["findings"]
            },
        }
        for rule in data["rules"]
    }
    manifest = data["manifest"]
    manifest["evidence"] = {
        entry["file"]: {
            **_without(entry, (*FILE_FIELDS, "quarantine_first_seen")),
            "mapping": _without(entry.get("mapping") or {}, ("path",)),
        }
        for entry in manifest["evidence"]
    }
    summary = data["summary"]
    data["summary"] = _without(summary, (*SUMMARY_FIELDS, "recommendation"))
    data["summary"]["recommendation"] = _without(summary["recommendation"], RECOMMENDATION_FIELDS)
    return data


def _without(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in names}


#: a place where two documents differ: its path (list elements by their index) and the values
Place = tuple[tuple[str | int, ...], Any, Any]
#: the value of a key one side of a comparison lacks (not null, which a key may hold)
ABSENT = object()


def _walk(old: Any, new: Any, path: tuple[str | int, ...], found: list[Place]) -> None:
    """Each place where ``old`` and ``new`` differ. A rule, finding or file that one side
    lacks is named by :func:`compare`, not here."""
    if isinstance(old, dict) and isinstance(new, dict):
        keyed = path in (("rules",), ("manifest", "evidence")) or path[-1:] == ("findings",)
        for key in dict.fromkeys([*old, *new]):
            if key in old and key in new:
                _walk(old[key], new[key], (*path, str(key)), found)
            elif not keyed:
                found.append(((*path, str(key)), old.get(key, ABSENT), new.get(key, ABSENT)))
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, (*path, index), found)
        return
    if _numbers(old, new) and _close(float(old), float(new)):
        return
    if old != new:
        found.append((path, old, new))


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _placed(path: tuple[str | int, ...], old: Any, new: Any) -> str:
    """``finding F: details.promoters was 353, now 400`` (rule, finding or file named first)."""
    if path[:1] == ("rules",) and path[2:3] == ("findings",) and len(path) > 4:
        where, rest = f"finding {path[3]}", path[4:]
    elif path[:1] == ("rules",) and len(path) > 2:
        where, rest = f"rule {path[1]}", path[2:]
    elif path[:2] == ("manifest", "evidence") and len(path) > 3:
        where, rest = f"evidence file {path[2]}", path[3:]
    else:
        where, rest = str(path[0]), path[1:]
        while rest and isinstance(rest[0], int):  # exclusions[0]: count was ...
            where, rest = f"{where}[{rest[0]}]", rest[1:]
    return f"{where}: {_said(rest, old, new)}"


def _said(path: tuple[str | int, ...], old: Any, new: Any) -> str:
    """``failing_sources[50].line was 2414, now 2413``: the field named with each list element
    by its index, the values as JSON (a string as it is), a long text cut around the first
    character that differs."""
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    was, now = _window(_shown(old), _shown(new))
    return f"{field + ' ' if field else ''}was {was}, now {now}"


def _differences(old: Any, new: Any, names: tuple[str, ...]) -> list[str]:
    """Each of the fields ``names`` that differs, down to the list element and nested field
    (numbers within :data:`TOLERANCE`)."""
    found: list[Place] = []
    for name in names:
        was, now = getattr(old, name), getattr(new, name)
        if was != now:
            _walk(_data(was), _data(now), (name,), found)
    return [_said(path, was, now) for path, was, now in found]


def _data(value: Any) -> Any:
    """``value`` as JSON data: models dumped, tuples as lists."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _data(v) for k, v in value.items()}
    return value


def _rule_differences(old: RuleEntry, new: RuleEntry) -> list[str]:
    return _differences(old, new, RULE_FIELDS)


def _summary_differences(old: FindingsDocument, new: FindingsDocument) -> list[str]:
    found = [f"summary: {d}" for d in _differences(old.summary, new.summary, SUMMARY_FIELDS)]
    found.extend(
        f"recommendation: {d}"
        for d in _differences(
            old.summary.recommendation, new.summary.recommendation, RECOMMENDATION_FIELDS
        )
    )
    again = {e.file: e for e in new.manifest.evidence}
    for entry in old.manifest.evidence:
        if entry.file in again:
            found.extend(
                f"evidence file {entry.file}: {d}"
                for d in [
                    *_differences(entry, again[entry.file], FILE_FIELDS),
                    *_first_seen_differences(entry, again[entry.file]),
                ]
            )
    return found


def _first_seen_differences(old: EvidenceFile, new: EvidenceFile) -> list[str]:
    """Each quarantine reason first given elsewhere than findings.json says (compared only
    when it records where: one written before it did, does not)."""
    if old.quarantine_first_seen is None:
        return []
    was, now = old.quarantine_first_seen, new.quarantine_first_seen or {}
    return [
        f"quarantine reason {reason!r}: first {_place(was.get(reason))}, "
        f"now {_place(now.get(reason))}"
        for reason in sorted(was.keys() | now.keys())
        if was.get(reason) != now.get(reason)
    ]


def _place(place: QuarantinePlace | None) -> str:
    if place is None:
        return "not given"
    column = f", column {place.column}" if place.column else ""
    value = f", value {place.value!r}" if place.value is not None else ""
    return f"at line {place.line}{column}{value}"


def _finding_differences(old: FindingEntry, new: FindingEntry) -> list[str]:
    found = _differences(old, new, FINDING_FIELDS)
    if not _close(old.value, new.value):
        found.append(_said(("value",), old.value, new.value))
    old_interval, new_interval = old.interval or (None, None), new.interval or (None, None)
    if not all(_close(a, b) for a, b in zip(old_interval, new_interval, strict=True)):
        found.append(_said(("interval",), _data(old.interval), _data(new.interval)))
    return found


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


#: a value longer than this is cut to as many characters around where it differs
WIDTH = 80


def _shown(value: Any) -> str:
    """A value as JSON (null, true, a list), a string as it is; a key one side lacks as
    ``absent``."""
    if isinstance(value, str):
        return value
    if value is ABSENT:
        return "absent"
    return json.dumps(_data(value), ensure_ascii=False, sort_keys=True)


def _window(was: str, now: str) -> tuple[str, str]:
    """Both texts, or when one is longer than :data:`WIDTH`, the part of each from a little
    before the first character that differs ("..." where cut), so that they differ."""
    if len(was) <= WIDTH and len(now) <= WIDTH:
        return was, now
    first = next(
        (i for i, (a, b) in enumerate(zip(was, now, strict=False)) if a != b),
        min(len(was), len(now)),
    )
    start = max(0, first - WIDTH // 3)

    def cut(text: str) -> str:
        end = start + WIDTH
        return ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")

    return cut(was), cut(now)


def failing_files_differ(document: FindingsDocument, folder: Path) -> list[str]:
    """The failing-records files (CSV, Parquet) that are missing or not the bytes recorded."""
    listed = document.failing_records
    if listed is None:
        return []
    files = [(listed.path, listed.sha256)]
    if listed.parquet is not None:
        files.append((listed.parquet.path, listed.parquet.sha256))
    found = [file_difference(name, folder / name, digest) for name, digest in files]
    return [differs for differs in found if differs]


#: what ``auditor audit --format junit,oscal`` writes from findings.json
CERTIFIER_OUTPUTS = ("junit.xml", "assessment-results.json")


def unchecked_outputs(folder: Path, label: str = "", recomputed: bool = True) -> list[str]:
    """A note for the outputs in ``folder`` made from findings.json, which verify does not
    compare (findings.json is, when its findings are ``recomputed``; when they are not, the
    note says so): an edited report would otherwise pass unremarked."""
    notes = []
    rendered = [name for name in REPORT_FILES if (folder / name).is_file()]
    if rendered:
        they, them = _pronouns(rendered)
        checked = (
            f" (which is); to check {them}, render {them} again with auditor report render "
            "and compare"
            if recomputed
            else ", whose findings were not computed again (see below)"
        )
        notes.append(
            f"{label}{', '.join(rendered)} not checked: {they} rendered from findings.json"
            + checked
        )
    written = [name for name in CERTIFIER_OUTPUTS if (folder / name).is_file()]
    if written:
        _, them = _pronouns(written)
        notes.append(
            f"{label}{', '.join(written)} not checked: the audit wrote {them} from "
            f"findings.json (auditor audit --format junit,oscal writes {them} again)"
        )
    return notes


def _pronouns(names: list[str]) -> tuple[str, str]:
    """("they are", "them") for several files, ("it is", "it") for one."""
    return ("they are", "them") if len(names) > 1 else ("it is", "it")


def verify_audit(
    audit: Path,
    evidence: Path | None = None,
    pack: Path | None = None,
    mapping: Mapping | None = None,
    engine: str | None = None,
    register: Path | None = None,
) -> VerifyReport:
    """Check an audit's inputs against its manifest, then reproduce every finding.

    A combined audit (several packs) is verified as a whole: see ``verify_combined``.
    ``engine`` reproduces the findings on another SQL engine than the recorded one;
    ``register`` is the CAPA register whose waivers the audit applied (see
    :func:`~auditor.certify.waivers_applied.check_waivers`).
    """
    if engine is not None:  # a usage error before any input is hashed
        from ..backends.engines import check_engine

        check_engine(engine)
    top = audit / "findings.json" if audit.is_dir() else audit
    if top.is_file() and is_combined(read_json(top)):
        from .combined import verify_combined

        return verify_combined(top, evidence, mapping, engine, register)
    part_of_combined(audit_folder(audit))
    document, _ = load_audit(audit)
    params = document.manifest.parameters
    folder = audit_folder(audit)
    searched = evidence is None
    evidence = evidence or recorded_evidence(document, folder)
    if not evidence.exists():
        raise AuditorError(
            f"the evidence folder {evidence} is not there", hint="give it with --evidence"
        )
    pack = recorded_pack(document, pack, folder)
    report = check_inputs(
        document, evidence if evidence.is_dir() else evidence.parent, pack, mapping, folder
    )
    if searched and params.evidence_root:
        report.notes.extend(passed_over(params.evidence_root, folder, [document], evidence))
    report.differences.extend(failing_files_differ(document, folder))
    recomputed = not report.differences  # inputs that changed: re-running would prove nothing
    report.notes.extend(unchecked_outputs(folder, recomputed=recomputed))
    if not recomputed:
        report.notes.append(NOT_RECOMPUTED)
        return report
    chosen = recorded_mapping(document, evidence, mapping, folder)
    differences, notes = check_waivers(document, register)
    held, unchecked = register_checked(register)
    report.differences.extend(held + differences)
    report.notes.extend(unchecked + notes)
    files, unread = recorded_files(document, evidence)
    report.notes.extend(
        f"evidence file {name}: in the evidence folder but not read by the audit (added "
        "since?); the re-run leaves it out too"
        for name in unread
    )
    roots = (str(params.evidence_root or evidence), str(evidence))
    report.engine, report.recorded_engine = engine, params.engine
    before = len(report.differences)
    with rerun(document, evidence, pack, chosen, files, engine) as (again, made):
        compare(document, again, report, roots)
        check_store(folder / STORE_NAME, made / STORE_NAME, report, roots)
    if len(report.differences) > before:
        report.notes[:0] = another_build([document.manifest.tool.build])
    return report


def another_build(recorded: Sequence[str | None]) -> list[str]:
    """The note for differences the re-run found when a build of auditor other than the
    running one made the audit (``recorded``: the builds its findings.json files record,
    None for one written before the build was recorded); none when this build made it."""
    from ..build import short, this_build

    running = this_build()
    other = [build for build in recorded if build != running]
    if not other:
        return []
    made = (
        f"another build of auditor (build {short(other[0])}, this is {short(running)})"
        if other[0]
        else "an earlier version of auditor, which did not record its build (this is build "
        f"{short(running)})"
    )
    return [
        f"this audit was made by {made}: a difference may come from the tool, not the "
        "audit; verify with the build that made it"
    ]


#: what a verification without a signature cannot show: the re-run takes these as recorded
UNSIGNED_NOTE = (
    "the audit is not signed: the period, organisation, auditor, quarantine ceiling and "
    "waivers findings.json records were taken as they are, and nothing shows they were not "
    "edited (audit --sign-key signs an audit)"
)
#: the evidence store an audit writes into its folder
STORE_NAME = "evidence.db"
#: the store's own tables, whose texts name evidence files by their paths
PATH_TABLES = ("_manifest", "_quarantine")
#: the columns that place a row of a table in the evidence, its file (by manifest id) and its
#: line: a record's; a quarantined row's (a row is quarantined once, for its first bad value)
EVIDENCE_PLACE = ("_source", "_line")
PLACES = {"_quarantine": ("source", "line")}


def check_store(
    recorded: Path, again: Path, report: VerifyReport, roots: tuple[str, str], label: str = ""
) -> None:
    """The audit's evidence store against the one the re-run made from the same files: every
    table exported to Parquet (the export is the same bytes from the same rows, whichever
    engine keeps them) and compared; in the store's own tables, the evidence folder the
    audit read (``roots[0]``) and the one the re-run read (``roots[1]``) are taken for the
    same. A store changed after the audit would make ``explain`` and ``sample`` disagree
    with the findings."""
    from ..export import export_store

    if not recorded.is_file():
        report.notes.append(f"{label}{recorded.name} not checked: it is not in the audit folder")
        return
    with tempfile.TemporaryDirectory(prefix="auditor-verify-store-") as work:
        try:
            mine = {e.table: e for e in export_store(recorded, Path(work) / "audit")}
        except AuditorError as exc:
            report.differences.append(f"{label}{recorded.name}: cannot be read ({exc.message})")
            return
        theirs = {e.table: e for e in export_store(again, Path(work) / "again")}
        for table in sorted(mine.keys() | theirs.keys()):
            if table not in theirs or table not in mine:
                where = "not in the re-run's store" if table not in theirs else "missing"
                report.differences.append(f"{label}{recorded.name}: table {table} {where}")
                continue
            if mine[table].sha256 == theirs[table].sha256:
                continue
            ours, again = mine[table].path, theirs[table].path
            if table in PATH_TABLES:
                ours, again = _off_root(ours, roots[0]), _off_root(again, roots[1])
                if _same_rows(ours, again):
                    continue  # the same rows, the evidence folder written another way
            report.differences.append(
                f"{label}{recorded.name}: table {table} differs from the evidence "
                f"({mine[table].rows:,} rows, {theirs[table].rows:,} re-ingested)"
                + _first_difference(ours, again, mine, roots[0], PLACES.get(table, EVIDENCE_PLACE))
            )


def _off_root(path: Path, root: str) -> Path:
    """A copy of an export of one of the store's own tables (beside it) with the evidence
    folder taken off the paths it names: each file's path (``file``) made relative to its
    folder, and the folder's path taken out of the reasons that name a file ("first stored at
    FOLDER/x.csv:12", a file's error). The values a row held are kept as they are."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    rows = table.to_pylist()
    prefix = "" if Path(root) == Path(".") else f"{Path(root)}/"
    for row in rows:
        if isinstance(row.get("file"), str):
            row["file"] = recorded_relative(row["file"], root)
        if isinstance(row.get("reason"), str) and prefix:
            row["reason"] = row["reason"].replace(prefix, "")
    relative = path.with_name(f"{path.stem}.off-root.parquet")
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), relative)
    return relative


def _same_rows(ours: Path, theirs: Path) -> bool:
    """Whether two Parquet files hold the same rows in the same order."""
    import pyarrow.parquet as pq

    return pq.read_table(ours).equals(pq.read_table(theirs))


#: the columns of a record's first difference the verification names
DIFFERENCES_NAMED = 3


def _first_difference(
    ours: Path,
    theirs: Path,
    tables: dict[str, Any],
    root: str,
    place: tuple[str, str] = EVIDENCE_PLACE,
) -> str:
    """``; first at tickets.xlsx:82: first_solution_at is 1783000060.0 in the store,
    1783000000.0 re-ingested``: where a table of the audit's store first differs from the
    re-run's, its rows placed by the columns ``place`` (file's manifest id, line), so that a
    certifier can look at the record."""
    import pyarrow.parquet as pq

    from ..backends.duckdb import parquet_first_difference

    found = parquet_first_difference(ours, theirs, place)
    if found is None:
        return ""
    mine, again = found
    row = mine if mine is not None else again
    assert row is not None
    where = ""
    if place[1] in row and "_manifest" in tables:
        names = pq.read_table(tables["_manifest"].path, columns=["id", "file"]).to_pylist()
        files = {n["id"]: recorded_relative(n["file"], root) for n in names}
        source, line = row[place[0]], row[place[1]]
        where = f" at {files.get(source, source)}:{line}"
    if mine is None:
        what = "a record the evidence holds is not in the store"
    elif again is None:
        what = "a record the evidence does not hold is in the store"
    elif mine == again:  # the same record, once more on one side
        what = "the record is in one store more times than in the other"
    else:
        changed = [c for c in mine if mine[c] != again[c]][:DIFFERENCES_NAMED]
        what = "; ".join(
            f"{c} is {mine[c]!r} in the store, {again[c]!r} re-ingested" for c in changed
        )
    return f"; first{where}: {what}"
