"""The combined findings contract: the top-level findings.json of an audit of several packs.

A combined audit writes each pack's own findings document (the one-pack
contract in ``contract.py``, unchanged) to ``DIR/<pack-id>/findings.json`` and
this document to ``DIR/findings.json``: one entry per pack (its findings file
and that file's SHA-256, its summary and recommendation), the clause
crosswalk (one requirement served by rules of several packs) and the combined
recommendation. ``combined-schema.json`` is generated from these models and
kept in step by a test. See docs/findings.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from .contract import (
    SCHEMA_VERSION,
    Decision,
    IsoDateTime,
    JsonDocument,
    Model,
    NotEvaluableRule,
    Severity,
    StandardRef,
    Summary,
    Text,
    Tool,
    Unit,
    Verdict,
    WaivedFinding,
)

#: the value of ``document`` that tells a combined findings.json from a pack's own
COMBINED = "combined"


class PackEntry(Model):
    id: str
    version: str
    title: Text | None
    standard: StandardRef
    #: the pack's own findings.json, relative to the combined findings.json's folder
    findings: str
    #: SHA-256 of that file's bytes
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    period: str
    summary: Summary


class CrosswalkClause(Model):
    """One clause a shared requirement serves: the pack's rule and its verdict there."""

    pack: str
    rule: str
    clause: str
    clause_title: Text | None
    title: Text
    verdict: Verdict
    verdict_severity: Severity | None
    value: float | None
    unit: Unit | None


class CrosswalkEntry(Model):
    """One requirement served by rules of several packs (same measure, kind, fields, target)."""

    measure: str
    evidence: str
    #: the target as the first rule's pooled finding states it (English)
    target: str | None
    #: the worst of the clauses' verdicts
    verdict: Verdict
    verdict_severity: Severity | None
    clauses: list[CrosswalkClause] = Field(min_length=2)


class PackDecision(Model):
    pack: str
    decision: Decision
    majors: list[str]
    minors: list[str]
    not_evaluable: list[NotEvaluableRule]
    #: the nonconformities a waiver turned into ``waived`` (not among majors and minors), with
    #: what each would have been; absent from a combined findings.json written before
    waived: list[WaivedFinding] = Field(default_factory=list)


class CombinedRecommendation(Model):
    """The worst of the packs' decisions, with each pack's reasons."""

    decision: Decision
    packs: list[PackDecision]


class CombinedDocument(JsonDocument):
    """An audit of several packs over one evidence folder: what the top-level findings.json holds."""

    document_name: ClassVar[str] = "combined findings.json"
    schema_title: ClassVar[str] = "auditor combined findings"

    schema_version: Literal["1.1"]
    document: Literal["combined"]
    generated_at: IsoDateTime
    tool: Tool
    evidence_root: str
    packs: list[PackEntry] = Field(min_length=2)
    crosswalk: list[CrosswalkEntry]
    recommendation: CombinedRecommendation

    @classmethod
    def load(cls, path: str | Path) -> CombinedDocument:
        from ..errors import Location, ReportError

        where = Location(str(path))
        data = read_json(path)
        if not is_combined(data):
            raise ReportError("not a combined findings.json", location=where)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ReportError(
                f"combined findings.json of schema {data.get('schema_version')!r}; "
                f"this auditor reads schema {SCHEMA_VERSION}",
                location=where,
            )
        return cls.validated(data, where)

    def pack_ids(self) -> list[str]:
        return [p.id for p in self.packs]


def read_json(path: str | Path, what: str = "a findings.json") -> Any:
    """The JSON in ``path`` (UTF-8, or UTF-16 or -32 as JSON allows, a byte order mark aside:
    Notepad saves one); a ReportError in one line when it is missing or not JSON (not
    ``what`` the file should be)."""
    from ..errors import Location, ReportError

    where = Location(str(path))
    if Path(path).exists() and not Path(path).is_file():  # a folder, a pipe, /dev/zero
        raise ReportError("not a regular file", location=where)
    try:
        return json.loads(Path(path).read_bytes())  # the encoding found as JSON says
    except FileNotFoundError:
        raise ReportError("file not found", location=where) from None
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"not {what}: byte {exc.start + 1:,} is not {exc.encoding.upper()} text",
            location=where,
            hint="save it as UTF-8",
        ) from None
    except RecursionError:
        raise ReportError(f"not {what}: JSON nested too deep", location=where) from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"not {what}: {exc}", location=where) from None


def is_combined(data: Any) -> bool:
    return isinstance(data, dict) and data.get("document") == COMBINED


def one_pack_only(data: Any, path: str | Path) -> Exception:
    """The one-line error for a command that reads one pack's audit but was given a combined one."""
    from ..errors import Location, ReportError

    folder = Path(path).parent
    packs = [str(p.get("id")) for p in data.get("packs", []) if isinstance(p, dict)]
    first = folder / (packs[0] if packs else "PACK") / "findings.json"
    return ReportError(
        f"a combined audit of {len(packs)} packs ({', '.join(packs)}); this reads one pack's "
        f"audit: give its folder, e.g. {first.parent}",
        location=Location(str(path)),
    )


def pack_folder_for_rule(folder: Path, rule: str) -> Path:
    """In a combined audit folder, the folder of the one pack that has ``rule``; else ``folder``.

    A command that works on one pack's audit (explain, sample) is pointed at
    the pack's own folder; a rule no pack or several packs have is one clear line.
    """
    from ..errors import AuditorError, closest_name

    top = folder / "findings.json"
    if not top.is_file():
        return folder
    data = read_json(top)
    if not is_combined(data):
        return folder
    document = CombinedDocument.load(top)
    having: list[Path] = []
    every: list[str] = []
    for entry in document.packs:
        rules = [r.get("rule") for r in read_json(folder / entry.findings).get("rules", [])]
        every.extend(str(r) for r in rules)
        if rule in rules:
            having.append((folder / entry.findings).parent)
    if len(having) == 1:
        return having[0]
    if having:
        raise AuditorError(
            f"rule {rule} is in several packs of this combined audit; give one pack's folder: "
            + ", ".join(str(h) for h in having)
        )
    raise AuditorError(
        f"no pack of this combined audit has rule {rule} (packs: {', '.join(document.pack_ids())})",
        suggestion=closest_name(rule, every),
    )
