"""The findings contract: the typed form of findings.json, written once.

These models are what an audit writes, what ``report render``, ``diff`` and
``verify`` read, and the source of the JSON Schema
(``auditor/findings/schema.json`` is generated from them and kept in step by a
test). pydantic validates a document on load and serialises it on dump.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

SCHEMA_VERSION = "1.1"


def _iso_date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO date (YYYY-MM-DD)") from None
    return text


def _iso_date_time(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO date-time") from None
    return text


#: a day as findings.json writes it (``2026-09-30``), kept as the text read
IsoDate = Annotated[str, AfterValidator(_iso_date)]
#: a moment as findings.json writes it (``2026-10-01T08:00:00+00:00``), kept as the text read
IsoDateTime = Annotated[str, AfterValidator(_iso_date_time)]


class Verdict(StrEnum):
    CONFORM = "conform"
    OBSERVATION = "observation"
    NONCONFORM = "nonconform"
    NOT_EVALUABLE = "not-evaluable"
    NOT_APPLICABLE = "not-applicable"
    WAIVED = "waived"


class Severity(StrEnum):
    MAJOR = "major"
    MINOR = "minor"


class Outcome(StrEnum):
    """What a record (or case) came to."""

    CONFORM = "conform"
    BREACH = "breach"
    PENDING = "pending"
    EXCLUDED = "excluded"


class Unit(StrEnum):
    """The unit of a value: a share (0-1), a number, NPS points, a count per 1,000, seconds."""

    SHARE = "share"
    NUMBER = "number"
    POINTS = "points"
    PER_1000 = "per_1000"
    SECONDS = "seconds"
    BUSINESS_SECONDS = "business-seconds"


class Decision(StrEnum):
    """The certification recommendation."""

    RECOMMENDED = "recommended"
    SUBJECT_TO_PLAN = "subject-to-plan"
    WITHHELD = "withheld"
    NOT_RECOMMENDED = "not-recommended"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JsonDocument(Model):
    """A document the auditor writes as JSON and reads back checked: findings.json, combined or not."""

    #: what the document is called in messages ("findings.json")
    document_name: ClassVar[str] = "findings.json"
    #: the title of its JSON schema
    schema_title: ClassVar[str] = "auditor findings"

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, two-space indent, UTF-8 text kept as text."""
        data = self.model_dump(mode="json", exclude_none=False)
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    def dump(self, path: str | Path) -> None:
        from ..atomic import write_text

        write_text(Path(path), self.to_json())

    @classmethod
    def validated(cls, data: Any, where: Any = None) -> Self:
        """``data`` as this document, or one line naming the first field that is wrong."""
        from ..errors import ReportError

        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            place = ".".join(str(p) for p in first["loc"])
            raise ReportError(
                f"not a valid {cls.document_name}: {place}: {_problem(first)}",
                location=where,
                hint=f"the {cls.document_name} was edited or is from another version; audit again",
            ) from None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = cls.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = cls.schema_title
        return schema


def _problem(error: Any) -> str:
    """What pydantic found wrong, in the contract's own words when a validator of it said."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "model_type":  # pydantic names its class: say what the file needs
        return "should be an object ({...})"
    return str(error["msg"])


class Text(Model):
    zh: str
    en: str


# ------------------------------------------------------------ a finding


class Counts(Model):
    n: int = Field(ge=0, description="in the rate: conforming + breached (aggregates: values)")
    conforming: int = Field(ge=0)
    breached: int = Field(ge=0)
    pending: int = Field(ge=0)
    excluded: int = Field(ge=0)


class Threshold(Model):
    """The target as data, in the unit of the finding's value."""

    op: Literal[">=", "<=", ">", "<", "=="]
    value: float


class FailingNote(Model):
    problem: Literal[
        "late",
        "missing",
        "out of order",
        "open at period end",
        "ended without reaching",
        "condition not met",
        "no matching record within the window",
        "answered no",
        "no matching record",
        "repeat contact",
    ]
    step: str | None
    over_seconds: float | None


class Source(Model):
    """Where a record was read: its evidence file (relative to the evidence folder) and line."""

    file: str
    line: int | None


class NotEvaluable(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Literal[
        "no-evidence",
        "too-few",
        "field-empty",
        "no-column",
        "filter-field-empty",
        "other-field-empty",
        "base-not-evaluable",
        "too-few-groups",
        "too-few-periods",
    ]
    #: the rule a series rule follows, when that rule could not be judged
    rule: str | None = None
    kinds: list[str] | None = None
    field: str | None = None
    n: int | None = None
    minimum: int | None = None
    #: for no-column: the files the records in scope come from, none with a column for it
    files: list[str] | None = None


class WouldBe(Model):
    verdict: Verdict
    severity: Severity | None


class Waived(Model):
    """A governed deviation in force: what the finding would have been, and who allowed it."""

    waiver: str
    reason: str
    risk: Literal["low", "medium", "high"]
    requested_by: str
    approved_by: str
    valid_until: IsoDate
    would_be: WouldBe


class WaivedFinding(Model):
    """A nonconformity a waiver in force turned into ``waived``: the rule's own (its id) or a
    group's (the finding's id), with the waiver and what it would have been."""

    finding: str
    waived: Waived


class CellDays(Model):
    """The days of the audit period a finding holds (ISO dates); ``clipped`` when the audit
    period cut the sub-period its label names (``2010-W30``: Monday 26 July to Sunday 1 August,
    of which an audit of August holds the Sunday)."""

    first: IsoDate
    last: IsoDate
    clipped: bool


class FindingEntry(Model):
    id: str
    group: dict[str, Any]
    period: str
    #: the days of the audit period the finding holds; null in a findings.json written before
    #: they were recorded
    days: CellDays | None = None
    pooled: bool
    verdict: Verdict
    severity: Severity | None
    counts: Counts
    value: float | None
    unit: Unit
    interval: tuple[float, float] | None
    target: str
    threshold: Threshold | None
    shortfall: int | None = Field(ge=0)
    explanation: str
    reasons: list[str]
    details: dict[str, Any]
    excluded_by_reason: dict[str, int]
    not_evaluable: NotEvaluable | None
    failing_count: int = Field(ge=0)
    failing: list[str]
    failing_values: list[float | None]
    failing_notes: list[FailingNote | None]
    #: beside each failing key: the file and line it was read from
    failing_sources: list[Source | None] = []
    failing_truncated: bool
    #: set when a waiver in force turned this nonconformity into ``waived``
    waived: Waived | None = None


class Capa(Model):
    action: Text
    owner: Text | str
    due_days: int = Field(ge=0)


class RuleEntry(Model):
    rule: str
    clause: str
    clause_title: Text | None
    title: Text
    measure: str
    severity: Severity
    judge: Literal["pooled", "each-group"]
    verdict: Verdict
    verdict_severity: Severity | None
    capa: Capa
    calendar: str | None
    failing_unit: Unit | None
    #: the pack's words for what a plain number counts (a field's ``unit``), if it gives them
    unit_label: Text | None = None
    #: set when the rule's own nonconformity is waived
    waived: Waived | None = None
    #: how the pack reads the clause (``interpretation:`` of the rule), if it says
    interpretation: Text | None = None
    findings: list[FindingEntry] = Field(min_length=1)

    def deciding_finding(self) -> FindingEntry:
        """The finding that decided the rule's verdict: the pooled one, or, for a rule judged
        in each group, the worst group's when it is not conform and at least as bad as the
        pooled one (of two groups at one level, the one that needed more conforming records):
        the groups are what such a rule judges, and what its corrective actions are opened for."""
        pooled = self.findings[0]
        waived = [f for f in self.findings if f.waived is not None]
        if self.verdict == Verdict.WAIVED and waived:  # what the waiver covers, not the pooled
            return max(waived, key=lambda f: (_would_be_level(f), f.shortfall or 0))
        if self.judge != "each-group":
            return pooled
        groups = [f for f in self.findings[1:] if f.verdict in JUDGED]
        worst = max(groups, key=lambda f: (level(f), f.shortfall or 0), default=pooled)
        return worst if level(worst) > 0 and level(worst) >= level(pooled) else pooled


JUDGED = (Verdict.CONFORM, Verdict.OBSERVATION, Verdict.NONCONFORM)


def _would_be_level(finding: FindingEntry) -> int:
    """How bad a waived finding would have been (see :func:`level`)."""
    would = finding.waived.would_be if finding.waived is not None else None
    return 0 if would is None else verdict_level(would.verdict, would.severity)


def level(finding: FindingEntry | RuleEntry) -> int:
    """How bad a finding's or a rule's verdict is (see :func:`verdict_level`)."""
    severity = finding.severity if isinstance(finding, FindingEntry) else finding.verdict_severity
    return verdict_level(finding.verdict, severity)


def verdict_level(verdict: Verdict | str, severity: Severity | str | None) -> int:
    """How bad a verdict is: major 3, minor 2, observation 1, anything else 0."""
    if verdict == Verdict.NONCONFORM:
        return 3 if severity == Severity.MAJOR else 2
    return 1 if verdict == Verdict.OBSERVATION else 0


# ------------------------------------------------------------ the manifest


class Tool(Model):
    name: Literal["auditor"]
    version: str
    #: the build that wrote the document: the SHA-256 of its source (see
    #: :mod:`auditor.build`); None in one written before it was recorded
    build: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")


class PackRef(Model):
    id: str
    version: str
    path: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    title: Text | None


class StandardRef(Model):
    id: str
    version: str
    title: Text
    path: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")


class MappingRef(Model):
    name: str | None
    source: Literal["preset", "mapping", "sidecar", "auto"]
    path: str | None
    sha256: str | None
    #: field -> the column it was read from; None: not recorded (a file an earlier version
    #: ingested, see the ``columns-not-recorded`` warning)
    columns: dict[str, str] | None = None
    #: the zone the mapping reads times without an offset in (None: the pack's)
    timezone: str | None = None
    # How values were read (None: not recorded, in a findings.json written before they were).
    #: how a local time that a DST change skips or repeats is read (see the mapping file)
    dst: str | None = None
    #: the texts read as no value in this file: the kind's and the mapping's, trimmed
    missing: list[str] | None = None
    #: field -> source text -> stored value (None: read as no value), as the mapping maps them
    values: dict[str, dict[str, str | None]] | None = None
    #: field -> the strptime format its times are read with
    formats: dict[str, str] | None = None


class QuarantinePlace(Model):
    """Where a file's quarantine reason was first given: the row's line, the column and the
    value, as the console shows them (``first quarantined at tickets.csv:3, value
    '2026-13-01'``): the first row quarantined for it (for a repeated key, the first repeat)."""

    line: int = Field(ge=0)
    #: the column as the store's ``_quarantine`` table names it (the key fields, comma-separated,
    #: for a repeated key); None for a row that could not be read as one (a malformed line)
    column: str | None
    #: the value read there, cut to 40 characters with ``…`` at the cut; None for no value
    value: str | None


class DateOrder(Model):
    """How a field's numeric dates (``05/08/2010``) were read: day-first or month-first, and
    the line whose value settled it (None when the mapping gave the order)."""

    order: Literal["day-first", "month-first"]
    line: int | None = None
    value: str | None = None


class EvidenceFile(Model):
    model_config = ConfigDict(extra="allow", frozen=True)
    file: str
    kind: str | None
    sha256: str
    size: int = Field(ge=0)
    rows_read: int = Field(ge=0)
    stored: int = Field(ge=0)
    quarantined: int = Field(ge=0)
    status: Literal["ok", "quarantined", "empty", "skipped", "error"]
    quarantine_reasons: dict[str, int]
    #: reason (a key of ``quarantine_reasons``) -> where it was first given in the file
    #: (None: not recorded, in a findings.json written before it was)
    quarantine_first_seen: dict[str, QuarantinePlace] | None = None
    mapping: MappingRef | None = None
    #: the sheet of a workbook that was read (None: not a workbook, or an older findings.json)
    sheet: str | None = None
    warnings: list[str] = []
    #: field -> values a DST change moved (a date at a skipped midnight, dst: forward)
    moved_dst: dict[str, int] = {}
    #: field -> the order its numeric dates were read in, and what settled it
    date_order: dict[str, DateOrder] = {}


class PeriodRef(Model):
    label: str
    first_day: IsoDate
    last_day: IsoDate
    start: float
    end: float


class Interval(Model):
    method: Literal["wilson"]
    confidence: float


class Parameters(Model):
    period: PeriodRef
    timezone: str
    language: Literal["zh", "en"]
    calendars: dict[str, Any]
    interval: Interval
    percentile_method: str
    due_days: dict[str, int]
    max_quarantine: float = Field(ge=0, le=1)
    #: the SQL engine that evaluated the rules (``verify`` runs the audit again on it)
    engine: str = "sqlite"
    #: the evidence folder as the audit was given it (file paths are relative to it)
    evidence_root: str | None = None
    auditor: str | None
    organisation: str | None


class ExportFileRef(Model):
    """One Parquet file of the evidence export an audit read (``auditor evidence export``)."""

    file: str
    sha256: str
    rows: int = Field(ge=0)


class Manifest(Model):
    tool: Tool
    pack: PackRef
    standard: StandardRef
    #: the files the evidence was ingested from (for an audit of an export, as its manifest
    #: records them)
    evidence: list[EvidenceFile]
    #: the export's files, when the audit read an evidence export instead of evidence files
    export: list[ExportFileRef] | None = None
    parameters: Parameters


# ------------------------------------------------------------ summary and the document


class NotEvaluableRule(Model):
    rule: str
    clause: str
    reason: str


class Recommendation(Model):
    decision: Decision
    not_evaluable: list[NotEvaluableRule]
    majors: list[str]
    minors: list[str]


class KindSummary(Model):
    kind: str
    title: Text
    files: int = Field(ge=0)
    rows_read: int = Field(ge=0)
    stored: int = Field(ge=0)
    quarantined: int = Field(ge=0)
    in_period: int | None = Field(ge=0)
    #: records whose time field holds a moment outside the period (None for a kind without a
    #: time field, and in a findings.json written before it was counted)
    outside: int | None = Field(default=None, ge=0)
    #: records with no time the kind or a rule dates them by: in no rule's period (None for
    #: a kind no time places, and in a findings.json written before it was counted)
    untimed: int | None = Field(default=None, ge=0)
    #: records the kind's time or a rule's own time field places in the period (None for a
    #: kind no time places, and in a findings.json written before it was counted)
    placed: int | None = Field(default=None, ge=0)

    @property
    def placed_in_period(self) -> int | None:
        """The records some time places in the period; by the kind's time alone in a
        findings.json written before that was counted."""
        return self.placed if self.placed is not None else self.in_period


class Warning_(Model):
    code: Literal[
        "optional-field-missing",
        "kind-empty-in-period",
        "timezone-differs",
        "columns-not-recorded",
        "evidence-gap",
    ]
    file: str | None = None
    kind: str | None = None
    field: str | None = None
    #: for timezone-differs: the mapping's zone (the pack's is in the parameters)
    zone: str | None = None
    #: for columns-not-recorded: the files whose columns their manifest entry does not record
    files: list[str] | None = None
    #: for evidence-gap: the edge of the period the empty days are at, the first and last of
    #: them and how many, and the sub-periods in them a rule has no finding for
    edge: Literal["start", "end"] | None = None
    first: IsoDate | None = None
    last: IsoDate | None = None
    days: int | None = Field(default=None, ge=1)
    no_finding: list[str] | None = None


class Summary(Model):
    rules: int
    verdicts: dict[str, int]
    rows_read: int
    stored: int
    quarantined: int
    recommendation: Recommendation
    kinds: list[KindSummary]
    warnings: list[Warning_]


class CoverageRule(Model):
    rule: str
    verdict: Verdict
    severity: Severity | None
    measure: str


class ClauseCoverage(Model):
    clause: str
    title: Text
    assessment: Literal["measurable", "judgement"]
    rules: list[CoverageRule]
    #: the pack's reason for checking the clause with no rule (``not_covered:``), if it gives one
    not_covered: Text | None = None


class Exclusion(Model):
    rule: str
    reason: str
    count: int = Field(ge=0)
    keys: list[str]
    keys_truncated: bool


class ListedFile(Model):
    path: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")


class FailingRecordsFile(Model):
    path: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    rows: int = Field(ge=0)
    cap_per_finding: int = Field(ge=1)
    #: the same records as typed Parquet (written by audits since it was added)
    parquet: ListedFile | None = None


class FindingsDocument(JsonDocument):
    """One audit's findings: what findings.json holds."""

    schema_version: Literal["1.1"]
    generated_at: IsoDateTime
    manifest: Manifest
    summary: Summary
    rules: list[RuleEntry]
    coverage: list[ClauseCoverage]
    exclusions: list[Exclusion]
    failing_records: FailingRecordsFile | None
    reason_titles: dict[str, Text]

    @field_validator("rules")
    @classmethod
    def _each_once(cls, rules: list[RuleEntry]) -> list[RuleEntry]:
        """Each rule, and each finding, given once: the readers find them by their ids."""
        for kind, ids in (
            ("rule", [r.rule for r in rules]),
            ("finding", [f.id for r in rules for f in r.findings]),
        ):
            seen: set[str] = set()
            for i in ids:
                if i in seen:
                    raise ValueError(f"{kind} {i} appears twice")
                seen.add(i)
        return rules

    def fingerprint(self) -> str:
        """SHA-256 of the document without its generation time: the same audit, the same print."""
        import hashlib

        text = self.model_copy(update={"generated_at": ""}).to_json()
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def load(cls, path: str | Path) -> FindingsDocument:
        """Read and validate findings.json; one clear error for anything else."""
        from ..errors import Location, ReportError
        from .combined import is_combined, one_pack_only, read_json

        where = Location(str(path))
        data = read_json(path)
        version = data.get("schema_version") if isinstance(data, dict) else None

        if is_combined(data):
            raise one_pack_only(data, path)
        if version is None:
            raise ReportError(
                "not a findings.json (it has no schema_version)",
                location=where,
                hint="give the findings.json an audit wrote",
            )
        if version != SCHEMA_VERSION:
            raise ReportError(
                f"findings.json of schema {version!r}; this auditor reads schema {SCHEMA_VERSION}",
                location=where,
                hint="re-run the audit with this version, or use the auditor that wrote it",
            )
        return cls.from_data(data, where)

    @classmethod
    def from_data(cls, data: Any, where: Any = None) -> FindingsDocument:
        return cls.validated(data, where)
