"""Verify a combined audit (several packs): the top-level hashes, then each pack's audit.

The combined findings.json records the SHA-256 of each pack's findings.json;
each of those is checked first, then each pack's inputs as a one-pack audit's
are, then every pack's audit is run again over the files it takes from the
shared evidence folder (shared out again exactly as the audit did) and every
finding compared. Last, the combined document is built again from the packs'
findings.json (as the audit built it) and compared field by field: each pack's
entry and summary, the crosswalk, the combined recommendation and each pack's
reasons in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AuditorError
from ..findings.combined import CombinedDocument
from ..findings.contract import FindingsDocument
from ..mapping import Mapping
from .verify import (
    NOT_RECOMPUTED,
    STORE_NAME,
    VerifyReport,
    another_build,
    check_inputs,
    check_store,
    compare,
    data_differences,
    evidence_place,
    failing_files_differ,
    file_difference,
    files_read,
    passed_over,
    recorded_mapping,
    recorded_pack,
    rerun,
    unchecked_outputs,
)
from .waivers_applied import check_waivers, register_checked

if TYPE_CHECKING:
    from ..model import Pack


def verify_combined(
    path: Path,
    evidence: Path | None = None,
    mapping: Mapping | None = None,
    engine: str | None = None,
    register: Path | None = None,
) -> VerifyReport:
    """Check a combined audit's files and inputs, then reproduce every pack's findings
    (``register``: the CAPA register whose waivers the packs' audits applied)."""
    combined = CombinedDocument.load(path)
    folder = path.parent
    report = VerifyReport()
    for entry in combined.packs:
        differs = file_difference(entry.findings, folder / entry.findings, entry.sha256)
        report.differences.extend([differs] if differs else [])
    if report.differences:  # a findings.json not as recorded
        return _not_recomputed(combined, folder, report)
    documents = [FindingsDocument.load(folder / e.findings) for e in combined.packs]
    # a file two packs read (a checklist) is one file verified
    report.files = len({e.file for d in documents for e in files_read(d)})
    root = evidence or evidence_place(combined.evidence_root, folder, documents)
    if not root.exists():
        raise AuditorError(
            f"the evidence folder {root} is not there", hint="give it with --evidence"
        )
    if evidence is None:
        report.notes.extend(passed_over(combined.evidence_root, folder, documents, root))
    packs = [
        recorded_pack(d, folder=(folder / e.findings).parent)
        for d, e in zip(documents, combined.packs, strict=True)
    ]
    for entry, document, pack in zip(combined.packs, documents, packs, strict=True):
        _check_pack(
            document, pack, root, (folder / entry.findings).parent, entry.id, report, mapping
        )
    if report.differences:  # inputs that changed: re-running would prove nothing
        return _not_recomputed(combined, folder, report)
    report.notes[:0] = _outputs_notes(combined, folder)
    report.engine, report.recorded_engine = engine, documents[0].manifest.parameters.engine
    held, unchecked = register_checked(register)
    report.differences.extend(held)
    report.notes.extend(unchecked)
    before = len(report.differences)
    _rerun_all(combined, path, documents, packs, root, mapping, report, engine, register)
    if len(report.differences) > before:
        builds = [combined.tool.build, *(d.manifest.tool.build for d in documents)]
        report.notes[:0] = another_build(builds)
    return report


def _outputs_notes(combined: CombinedDocument, folder: Path, recomputed: bool = True) -> list[str]:
    """The notes for the outputs made from the findings.json files, the combined audit's and
    each pack's, which verify does not compare."""
    notes = unchecked_outputs(folder, recomputed=recomputed)
    for entry in combined.packs:
        pack_folder = (folder / entry.findings).parent
        notes.extend(unchecked_outputs(pack_folder, f"{entry.id}/", recomputed))
    return notes


def _not_recomputed(combined: CombinedDocument, folder: Path, report: VerifyReport) -> VerifyReport:
    """The report of a verification stopped before the re-run: its outputs' notes first, as
    a verification that re-ran gives them, and the note that nothing was computed again."""
    report.notes[:0] = _outputs_notes(combined, folder, recomputed=False)
    report.notes.append(NOT_RECOMPUTED)
    return report


def _check_pack(
    document: FindingsDocument, pack: Path, root: Path, folder: Path, pack_id: str,
    report: VerifyReport, mapping: Mapping | None = None,
) -> None:  # fmt: skip
    inputs = check_inputs(document, root if root.is_dir() else root.parent, pack, mapping, folder)
    report.differences.extend(f"{pack_id}: {d}" for d in inputs.differences)
    report.differences.extend(f"{pack_id}: {d}" for d in failing_files_differ(document, folder))


def _rerun_all(
    combined: CombinedDocument, path: Path, documents: list[FindingsDocument], packs: list[Path],
    root: Path, mapping: Mapping | None, report: VerifyReport, engine: str | None = None,
    register: Path | None = None,
) -> None:  # fmt: skip
    from ..multi import claimed_files
    from ..pack import load_pack

    chosen = recorded_mapping(documents[0], root, mapping, path.parent)
    loaded = [load_pack(p) for p in packs]
    claims = claimed_files(loaded, root, chosen)
    for entry, document, pack, model in zip(combined.packs, documents, packs, loaded, strict=True):
        differences, notes = check_waivers(document, register)
        one = VerifyReport(differences=differences, notes=[f"{model.id}: {n}" for n in notes])
        with rerun(document, root, pack, chosen, claims[model.id], engine) as (again, made):
            roots = (str(combined.evidence_root), str(root))
            compare(document, again, one, roots)
            store = (path.parent / entry.findings).parent / STORE_NAME
            check_store(store, made / STORE_NAME, one, roots, f"{model.id}/")
        report.findings += one.findings
        report.differences.extend(f"{model.id}: {d}" for d in one.differences)
        report.notes.extend(one.notes)
    report.differences.extend(_combined_differences(combined, path.parent, documents, loaded))


def _combined_differences(
    combined: CombinedDocument, folder: Path, documents: list[FindingsDocument], packs: list[Pack]
) -> list[str]:
    """Each field of the combined document not as its packs' findings.json give it: the
    document built again from them as the audit built it (its time aside), then compared."""
    from ..multi import combined_document

    findings = [(d, folder / e.findings) for d, e in zip(documents, combined.packs, strict=True)]
    again = combined_document(packs, findings, folder, combined.evidence_root)
    return data_differences(_comparable_combined(combined), _comparable_combined(again))


def _comparable_combined(document: CombinedDocument) -> dict[str, Any]:
    """The combined document as JSON data, less when it was made and by which build (a note
    names another build when there are differences)."""
    data = document.model_dump(mode="json")
    data.pop("generated_at")
    data["tool"].pop("build", None)
    return data
