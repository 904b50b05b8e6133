"""One record's computation, step by step, so that a certifier can redo it by hand.

Its source file and line with the raw cell texts; its parsed values with their
zone; for a duration, each day between its start and end with the business
stretches counted or the reason a day is skipped (closed hours, weekend,
statutory holiday, make-up working day) and each pause subtracted; the
result, the limit, the outcome and the exclusion that took it out, if any.
The stretches shown add up to the duration the engine used.

For an aggregate (a mean, an NPS, a percentile, a count per 1,000, an
availability) the record has no outcome of its own: it is shown with the cell
it counts in, what it adds to the cell's figure, the figure's arithmetic as
findings.json holds it, and why the failing list names it, if it does. A
record outside the rule's scope says why (the rule's filter, the period).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..errors import AuditorError
from ..findings.contract import FindingEntry, FindingsDocument, RuleEntry
from ..model import EvidenceKind, Pack, Rule
from ..paths import recorded_relative
from .unjudged import Unjudged, no_rule, unjudged_findings, unjudged_for

if TYPE_CHECKING:
    from ..evaluate.driver import Contribution


@dataclass
class Explanation:
    lines: list[str] = field(default_factory=list)
    #: for a duration: the open seconds counted, the pause seconds subtracted, the duration
    counted: float | None = None
    paused: float = 0.0
    duration: float | None = None
    #: the evidence folder as the audit recorded it (``None``: no audit to say)
    evidence_root: str | None = None
    #: what a reader must know of the audit's store (files whose columns were not recorded)
    warnings: list[str] = field(default_factory=list)
    #: the finding the audit judged no record of that holds the record (``None``: judged)
    unjudged: Unjudged | None = None

    def add(self, text: str) -> None:
        self.lines.append(text)

    def file_name(self, path: str) -> str:
        """An evidence file named as failing-records.csv names it (relative to the evidence
        folder: ``service-quality/checklist.csv``); its own name when no audit gives the folder."""
        return file_name(path, self.evidence_root)


def file_name(path: str, evidence_root: str | None) -> str:
    """See :meth:`Explanation.file_name`."""
    return PurePath(path).name if evidence_root is None else recorded_relative(path, evidence_root)


def explain_in_audit(
    store_path: Path, rule_id: str, key: str, pack_path: Path | None = None
) -> Explanation:
    """Explain record ``key`` from an audit's store (its findings.json beside it), with the
    recorded pack and period unless ``pack_path`` is given."""
    from ..backends.store import EvidenceStore
    from ..pack import load_pack
    from .verify import columns_not_recorded_warnings, load_audit, recorded_pack, recorded_period

    if not (store_path.parent / "findings.json").is_file():
        raise AuditorError(
            f"{store_path} is not an audit's store: there is no findings.json beside it to "
            "give the period and the pack",
            hint="give --audit DIR of an audit (auditor audit writes its store there)",
        )
    document, folder = load_audit(store_path.parent)
    pack = load_pack(recorded_pack(document, pack_path, folder))
    period = recorded_period(document)
    root = document.manifest.parameters.evidence_root
    if not store_path.is_file():
        raise AuditorError(
            "the audit folder has no evidence.db", hint="explain reads the audit's store"
        )
    store = EvidenceStore(store_path, read_only=True)
    try:
        store.check_kinds(pack.evidence.values())
        explained = _explained_in_store(pack, rule_id, key, store, period, root, document)
        explained.warnings = columns_not_recorded_warnings(pack, store, root)
        return explained
    finally:
        store.close()


def _explained_in_store(
    pack: Pack,
    rule_id: str,
    key: str,
    store: Any,
    period: Any,
    root: str | None,
    document: FindingsDocument | None = None,
) -> Explanation:
    """Record ``key`` explained with the outcome the engine gives it from ``store``; with the
    audit's ``document``, the finding it is counted in, as findings.json gives it."""
    from ..evaluate.driver import Evaluation, backend_for

    rule = pack.rule(rule_id)
    if rule is None:
        return explain_record(pack, rule_id, key, store, period, None, evidence_root=root)
    unjudged = unjudged_findings(document, rule.id)
    if any(not u.group for u in unjudged):  # the audit judged no record of the rule
        return explain_record(pack, rule_id, key, store, period, None, None, root, unjudged)
    measure: Any = rule.measure
    judged = measure.shape(rule) if getattr(measure, "own_records", False) else rule
    evaluation = Evaluation(pack, backend_for(store), period, (judged,))  # its calendar only
    engine_key = _engine_key(pack, rule, key, store)
    outcome = evaluation.record_outcomes(judged, reasons=True).get(engine_key)
    contribution = evaluation.record_contribution(rule, engine_key)
    explained = explain_record(
        pack, rule_id, key, store, period, outcome, contribution, root, unjudged
    )
    entry = next((r for r in document.rules if r.rule == rule.id), None) if document else None
    if explained.unjudged or entry is None or measure.series or measure.name == "every":
        return explained  # no findings.json, or findings not of the record's cell
    if measure.per_record:
        cells = evaluation.record_findings(rule, engine_key)
        left_out = None if outcome in COUNTED else (outcome or "")
    else:
        cells = [finding for finding, _ in contribution.cells] if contribution else []
        left_out = None if contribution is None else contribution.excluded
        left_out = None if left_out is None else f"excluded:{left_out}"
    figure = "rate" if measure.per_record else "figure"
    # under the lines naming the rule and the record (or case), before its computation
    explained.lines[2:2] = counted_in(entry, rule, cells, left_out, figure)
    return explained


#: the outcomes a finding's rate counts (its n): a record's others leave it out
COUNTED = ("conform", "valid", "breach")


def counted_in(
    entry: RuleEntry, rule: Rule, cells: list[str], left_out: str | None, figure: str
) -> list[str]:
    """The findings a record is counted in, each with its verdict and value as findings.json
    gives them: its own cell's and, for a rule judged pooled, the pooled one (``cells``: the
    record's cell first, then the pooled one; none when the record is not in the rule's
    scope). ``left_out``: ``excluded:<why>`` or ``pending`` for a record its cell holds but
    does not count in its ``figure`` (a rate, or an aggregate's figure)."""
    if not cells:
        return ["counted in no finding: the record is not in the rule's scope for this period"]
    findings = {f.id: f for f in entry.findings}
    whole = entry.findings[0].period
    if left_out is not None:
        state, _, why = left_out.partition(":")
        held = findings.get(cells[0])
        return [
            f"counted in no finding's {figure}: {state}{f' ({why})' if why else ''}; it is "
            f"{_among(held, state)}{_finding_text(cells[0], held, entry, whole)}"
        ]
    shown = cells if rule.judge == "pooled" else cells[:1]
    return [
        f"counted in {_finding_text(c, findings.get(c), entry, whole, rule.judge)}" for c in shown
    ]


def _among(finding: FindingEntry | None, state: str) -> str:
    """``one of the 20 excluded records of `` a finding (``the one pending record of ``)."""
    if finding is None:
        return "in "
    held = finding.counts.pending if state == "pending" else finding.counts.excluded
    return f"the one {state} record of " if held == 1 else f"one of the {held} {state} records of "


def _finding_text(
    finding_id: str, finding: FindingEntry | None, entry: RuleEntry, whole: str, judge: str = ""
) -> str:
    """``finding R@site=SH@2026-08 (group site=SH, sub-period 2026-08): nonconform (minor),
    value 68.8 % (0.6875 in findings.json), n = 32`` (``whole``: the audit period): the value
    as the report prints it, and exactly as findings.json holds it."""
    if finding is None:
        return f"finding {finding_id} (not in findings.json)"
    if finding.pooled:
        judged = "; the rule is judged on it" if judge == "pooled" else ""
        where = f"pooled: all groups, period {finding.period}{judged}"
    else:
        groups = ", ".join(f"{g}={v}" for g, v in finding.group.items())
        part = "period" if finding.period == whole else "sub-period"
        where = f"{'group ' + groups + ', ' if groups else ''}{part} {finding.period}"
    severity = f" ({finding.severity.value})" if finding.severity else ""
    value = "no value" if finding.value is None else f"value {_value_shown(finding, entry)}"
    why = finding.not_evaluable
    minimum = f" (minimum {why.minimum})" if why and why.code == "too-few" and why.minimum else ""
    return (
        f"finding {finding_id} ({where}): {finding.verdict.value}{severity}, {value}, "
        f"n = {finding.counts.n}{minimum}"
    )


def _value_shown(finding: FindingEntry, entry: RuleEntry) -> str:
    """``68.8 % (0.6875 in findings.json)``: as the report prints it, then as recorded."""
    from ..formatting import value_text

    label = entry.unit_label.en if entry.unit_label else None
    text = value_text(
        finding.value, finding.unit, finding.threshold, "en", entry.calendar, label=label
    ).replace("\u00a0", " ")
    return f"{text} ({finding.value} in findings.json)"


def _engine_key(pack: Pack, rule: Rule, key: str, store: Any) -> str:
    """The key as the engine writes it (a date part as its stored moment), ``key`` itself when
    no record has it."""
    from ..evaluate.scope import key_text, stored_key_fields

    kind = pack.evidence[rule.evidence]
    if getattr(rule.measure, "steps", None):
        return key
    records = store.records(kind, stored_key_fields(kind, key, ZoneInfo(pack.timezone)))
    return key_text([records[0][k] for k in kind.key]) if records else key


def explain_record(
    pack: Pack,
    rule_id: str,
    key: str,
    store: Any,
    period: Any,
    outcome: str | None,
    contribution: Contribution | None = None,
    evidence_root: str | None = None,
    unjudged: list[Unjudged] | None = None,
) -> Explanation:
    """The computation of record ``key`` under rule ``rule_id`` (``store``: the audit's evidence
    store); ``key`` as the report prints it (a date part as a date) or as stored;
    ``contribution``: what the record adds to an aggregate rule's figures, if it counts;
    ``evidence_root``: the evidence folder the audit recorded, files are named relative to it;
    ``unjudged``: the rule's findings the audit judged no record of (a record of one is shown,
    but with no outcome and no finding it counts in)."""
    from ..evaluate.scope import key_text, key_types, shown_key, stored_key_fields

    rule = pack.rule(rule_id)
    if rule is None:
        raise no_rule(rule_id, [r.id for r in pack.rules])
    kind = pack.evidence[rule.evidence]
    measure: Any = rule.measure
    if getattr(measure, "steps", None):  # a sequence: the key is a case's, its events are records
        return _sequence(pack, rule, key, store, period, outcome, evidence_root, unjudged)
    zone = ZoneInfo(pack.timezone)
    fields = stored_key_fields(kind, key, zone)
    records = store.records(kind, fields)
    if not records:
        raise _no_record(kind, key, store, fields, evidence_root)
    record = records[0]
    out = Explanation(evidence_root=evidence_root)
    out.add(f"rule {rule.id} ({rule.measure.name}) of {pack.id}: {rule.title.en}")
    source = record.get("_source")
    entry = (store.manifest_entry(int(source)) if source is not None else None) or {}
    reader = _reader_options(entry)
    sheet = f" (sheet '{reader['sheet']}')" if reader.get("sheet") else ""
    shown = shown_key(key_text([record[k] for k in kind.key]), key_types(kind), zone)
    out.add(f"record {shown}: {out.file_name(record['_file'])}{sheet} line {record['_line']}")
    _raw_cells(record, reader, entry.get("sha256"), out)
    _values(kind, record, zone, out, _file_zone(entry, zone))
    if _not_judged(unjudged, record, out):
        return out
    if outcome is None and measure.per_record and not measure.series:
        # not judged by the rule (its filter, or another period): nothing of it to work out
        out.add(
            f"outcome: {OUT_OF_SCOPE} ({_out_of_scope(pack, rule, kind, record, period, zone)})"
        )
        return out
    excluded = _exclusions(rule, record, out)
    if measure.series and not getattr(measure, "own_records", False):
        base = measure.base_rule_id()
        out.add(
            f"a {measure.name} rule is worked out from the findings of rule {base}, not from "
            f"records: its records are explained under {base} (auditor explain {base} --record {key})"
        )
        return out
    if not measure.per_record:
        _aggregate(pack, rule, kind, record, period, zone, contribution, out)
        return out
    if outcome is None:  # not among the findings' records (a series or aggregate's)
        outcome = f"{OUT_OF_SCOPE} ({_out_of_scope(pack, rule, kind, record, period, zone)})"
    if excluded:  # an excluded record is not measured
        out.add(f"outcome: {outcome.replace('excluded:', 'excluded: ', 1)}")
        return out
    if all(getattr(measure, name, None) is not None for name in ("start", "end", "limit")):
        _duration(pack, rule, record, store, period, zone, out)  # a time from start to end
    elif getattr(measure, "condition", None) is not None:
        _condition(measure.condition, record, out)
    elif getattr(measure, "within", None) is not None and getattr(measure, "match", None):
        _freshness(pack, measure, record, store, period, zone, out)
    elif getattr(measure, "customer", None) is not None and record.get(measure.customer):
        _repeats(rule, kind, key, record, store, period, zone, out)
    elif (answered := measure.answer_text(record)) is not None:  # a checklist answer
        out.add(answered)
    elif measure.name == "every":  # sub-periods are judged, not records
        out.add(_every_period(measure.unit, rule, kind, record, period, zone))
        return out
    out.add(f"outcome: {outcome.replace('excluded:', 'excluded: ', 1)}")
    return out


def _not_judged(unjudged: list[Unjudged] | None, record: dict[str, Any], out: Explanation) -> bool:
    """Said, when the record is of a rule or group the audit found not evaluable and judged
    none of the records of: it has no outcome and counts in no finding. Whether it is."""
    found = unjudged_for(unjudged or [], record)
    if found is None:
        return False
    out.unjudged = found
    out.lines[2:2] = [
        f"counted in no finding: the audit found {found.what} not evaluable ({found.reason}) "
        "and judged none of its records"
    ]
    out.add(f"outcome: none (the audit judged no record of {found.what})")
    return True


def _every_period(
    unit: str, rule: Rule, kind: Any, record: dict[str, Any], period: Any, zone: ZoneInfo
) -> str:
    """What a record in scope does for an ``every`` rule: it is a record its sub-period holds."""
    from ..periods import sub_periods

    moment = rule.time or kind.time
    at = datetime.fromtimestamp(record[moment], zone).date()
    held = next(p.label for p in sub_periods(period, unit) if p.first <= at <= p.last)
    return (
        f"an every rule judges each {unit}, not each record: this record is one that {held} "
        f"holds in scope, so {held} is covered (at least one record needed)"
    )


OUT_OF_SCOPE = "not in the scope of the rule for this period"


def _no_record(
    kind: EvidenceKind, key: str, store: Any, fields: dict[str, str], evidence_root: str | None
) -> AuditorError:
    """No record with ``key`` (``fields``: its parts as stored): the quarantined row that holds
    it, when there is one; else the key of the record it names in other letter case."""
    held = store.quarantined_holding(kind.name, key, limit=1)
    if held:
        place = held[0]
        return AuditorError(
            f"no {kind.name} record with key '{key}' in the store: the row at "
            f"{file_name(place['file'], evidence_root)}:{place['line']} that holds it was quarantined "
            f"({place['reason']})",
            hint="the audit's evidence appendix lists the quarantined rows",
        )
    spelled = _key_in_other_case(kind, key, store, fields)
    return AuditorError(
        f"no {kind.name} record with key '{key}' in the store",
        suggestion=spelled,
        hint=None if spelled else "copy the key from the report",
    )


def _no_case(
    kind: EvidenceKind, field: str, key: str, store: Any, evidence_root: str | None
) -> AuditorError:
    """No record of a sequence's case ``key`` (its ``field``): the quarantined row that holds
    it, when there is one."""
    held = store.quarantined_holding(kind.name, key, limit=1)
    where = ""
    if held:
        place = held[0]
        where = (
            f": the row at {file_name(place['file'], evidence_root)}:{place['line']} that holds "
            f"it was quarantined ({place['reason']})"
        )
    return AuditorError(
        f"no {kind.name} record with {field} '{key}' in the store{where}",
        hint="the audit's evidence appendix lists the quarantined rows"
        if held
        else "copy the case key from the report or failing-records.csv",
    )


def _key_in_other_case(
    kind: EvidenceKind, key: str, store: Any, fields: dict[str, str]
) -> str | None:
    """``key`` as the stored record whose key differs from it in letter case only spells it
    (``T000081`` for ``t000081``), a part in no other case as given; None when none does. The
    keys are compared as they stream by: a store may hold millions."""
    wanted = [text.casefold() for text in fields.values()]
    given = key.split("|") if len(kind.key) > 1 else [key]
    for stored, _file, _line in store.existing_keys(kind):
        texts = [str(part) for part in stored]
        if [text.casefold() for text in texts] == wanted:
            return "|".join(
                text if text.casefold() == part.casefold() else part
                for text, part in zip(texts, given, strict=True)
            )
    return None


def _out_of_scope(
    pack: Pack, rule: Rule, kind: Any, record: dict[str, Any], period: Any, zone: ZoneInfo
) -> str:
    """Why the rule's scope leaves a record out: its filter, or the period."""
    from ..expression import holds, to_text

    if rule.where is not None and not holds(rule.where, record):
        return f"the rule's filter where: {to_text(rule.where)} does not hold for it"
    moment = rule.time or kind.time
    if moment is None:
        return "the measure leaves it out"
    at = record.get(moment)
    if at is None:
        return f"it has no {moment}, which places a record in the period"
    start, end = period.start(zone), period.end(zone)
    if not start <= at < end:
        return (
            f"its {moment} {_moment(at, zone)} is outside the period {period.label}, "
            f"from {_moment(start, zone)} to {_moment(end, zone)}"
        )
    return "the measure leaves it out"


def _aggregate(
    pack: Pack,
    rule: Rule,
    kind: Any,
    record: dict[str, Any],
    period: Any,
    zone: ZoneInfo,
    found: Contribution | None,
    out: Explanation,
) -> None:
    """An aggregate rule's record: its cell, what it adds, the cell's arithmetic, its listing."""
    measure: Any = rule.measure
    if found is None:
        out.add(
            f"outcome: {OUT_OF_SCOPE} ({_out_of_scope(pack, rule, kind, record, period, zone)})"
        )
        return
    from ..expression import to_text

    where = "" if rule.where is None else f"where: {to_text(rule.where)} holds; "
    groups = ", ".join(f"{g}={v}" for g, v in zip(rule.group_by, found.group, strict=True))
    part = "period" if found.period == period.label else "sub-period"
    out.add(f"in scope: {where}{'group ' + groups + ', ' if groups else ''}{part} {found.period}")
    if found.excluded is not None:
        out.add(
            f"not counted: excluded ({found.excluded}); findings.json lists it among the "
            "rule's exclusions"
        )
        out.add("outcome: excluded")
        return
    out.add(measure.contribution(found.value, kind, found.place))
    for finding, figure in found.cells:
        if figure is None:
            continue
        n = (figure.details or {}).get("n")
        few = n is not None and n < rule.min_records
        judged = f" (fewer than min_records {rule.min_records}: not judged)" if few else ""
        out.add(f"figure of finding {finding}: {measure.arithmetic(figure)}{judged}")
    threshold = rule.target.threshold
    if found.listed and threshold is not None:
        reason = measure.listed_because(found.value, kind, threshold)
        out.add(f"listed among the failing records: {reason}")
    else:
        out.add("not listed among the failing records")
    out.add(f"outcome: counted in the figure{'s' if len(found.cells) > 1 else ''} above")


def _reader_options(entry: dict[str, Any]) -> dict[str, Any]:
    """How the ingest read the file (sheet, header row, encoding, delimiter), so that the
    record's row is found again where it was read."""
    keep = ("encoding", "delimiter", "sheet", "header_row")
    return {k: v for k, v in (entry.get("reader") or {}).items() if k in keep and v is not None}


def _file_zone(entry: dict[str, Any], zone: ZoneInfo) -> ZoneInfo | None:
    """The zone the file's local times were read in, when it is not the pack's."""
    name = (entry.get("mapping") or {}).get("timezone")
    return ZoneInfo(name) if name and name != zone.key else None


def _raw_cells(
    record: dict[str, Any], reader: dict[str, Any], ingested: str | None, out: Explanation
) -> None:
    """The record's row as the file has it, when the file at its name is still the one the
    ingest read (its SHA-256 the manifest's)."""
    from ..ingest import file_digest
    from ..readers import open_table

    path = Path(record["_file"])
    try:
        now = file_digest(path)[0] if path.is_file() else None
        if ingested and now is not None and now != ingested:
            out.add(
                f"  raw cells: not shown, the file at {out.file_name(record['_file'])} is not the one ingested "
                f"(SHA-256 {now[:12]}..., ingested {ingested[:12]}...)"
            )
            return
        table = open_table(path, reader)
        for raw in table.rows:
            if raw.line == record["_line"]:
                shown = ", ".join(
                    f"{k}={_cell_text(v)}" for k, v in _named_cells(table.header, raw)
                )
                out.add("  raw cells: " + shown)
                return
    except (AuditorError, OSError) as exc:
        out.add(f"  raw cells: the source file cannot be read now ({exc})")


def _named_cells(header: list[str], raw: Any) -> list[tuple[str, Any]]:
    """A row's cells under their column names; a cell of a column with no name under its
    column's number, left out when it is empty."""
    if isinstance(raw.values, dict):
        return list(raw.values.items())
    cells = zip(header, raw.values, strict=False)
    return [
        (name or f"(column {number})", value)
        for number, (name, value) in enumerate(cells, 1)
        if name or value not in (None, "")
    ]


def _cell_text(value: Any) -> str:
    """A cell as the file shows it (as the quarantine keeps it): text quoted, an empty cell
    None, a spreadsheet's date, datetime or time as written."""
    from ..ingest import cell_text

    return repr(value) if value is None or isinstance(value, str) else str(cell_text(value))


def _condition(condition: Any, record: dict[str, Any], out: Explanation) -> None:
    from ..expression import holds, to_text

    verdict = "holds" if holds(condition, record) else "does not hold"
    out.add(f"condition: {to_text(condition)}: {verdict} for this record")


def _freshness(
    pack: Pack,
    measure: Any,
    record: dict[str, Any],
    store: Any,
    period: Any,
    zone: ZoneInfo,
    out: Explanation,
) -> None:
    from ..expression import holds, to_text

    own = getattr(measure, "at_record", None)
    end = period.end(zone) if own is None else record.get(own)
    if end is None:
        out.add(f"  no {own}: the record is excluded")
        return
    oldest = end - measure.within.seconds
    window = f"{_moment(oldest, zone, 'minutes')} to {_moment(end, zone, 'minutes')}"
    of = "the period end" if own is None else f"the record's {own}"
    out.add(f"needs a {measure.evidence} record dated {window} (within {measure.within} of {of})")
    if measure.where is not None:
        out.add(f"  counting only {measure.evidence} records where {to_text(measure.where)}")
    other = pack.evidence[measure.evidence]
    match = {theirs: str(record[ours]) for theirs, ours in measure.match}
    rows = sorted(store.records(other, match), key=lambda r: r.get(measure.at) or 0)
    if not rows:
        out.add(f"  no {measure.evidence} record matches ({match})")
    for row in rows:
        at = row.get(measure.at)
        when = "no date" if at is None else _moment(at, zone, "minutes")
        counts = at is not None and oldest <= at and (at < end or (own is not None and at == end))
        if measure.where is not None and not holds(measure.where, row):
            counts, why = False, "not counted (filter)"
        else:
            why = "inside the window" if counts else "outside the window"
        out.add(f"  {out.file_name(row['_file'])} line {row['_line']}: {measure.at} {when}: {why}")


def _repeats(
    rule: Rule,
    kind: Any,
    key: str,
    record: dict[str, Any],
    store: Any,
    period: Any,
    zone: ZoneInfo,
    out: Explanation,
) -> None:
    """A repeat_contact rule: the same customer's (and matter's) other contacts, later or not."""
    from ..evaluate.scope import key_text, key_types, shown_key
    from ..expression import holds

    measure: Any = rule.measure
    key = key_text([record[k] for k in kind.key])  # stored, as the others' (typed as shown or not)
    same = [measure.customer] + ([measure.matter] if measure.matter else [])
    at, end = record.get(measure.at), period.end(zone)
    if at is None:
        return
    until = min(at + measure.within.seconds, end)
    out.add(
        f"a repeat is a contact with the same {', '.join(same)}, later than this one, within "
        f"{measure.within} and before the period end: up to "
        f"{_moment(until, zone)}"
    )
    for row in sorted(
        store.records(kind, {f: str(record[f]) for f in same}),
        key=lambda r: (r.get(measure.at) or 0, key_text([r[k] for k in kind.key])),
    ):
        other, when = key_text([row[k] for k in kind.key]), row.get(measure.at)
        if other == key or when is None:
            continue
        later = (when, other) > (at, key)
        counts = later and when <= at + measure.within.seconds and when < end
        if counts and rule.where is not None and not holds(rule.where, row):
            why = "not counted (outside the rule's filter)"
        else:
            why = "a repeat" if counts else ("earlier" if not later else "too late")
            if later and when <= at + measure.within.seconds and when >= end:
                why = "after the period end (not read)"
        shown = shown_key(other, key_types(kind), zone)
        out.add(f"  {shown}: {measure.at} {_moment(when, zone)}, {when - at:+.0f} s: {why}")


def _sequence(
    pack: Pack,
    rule: Rule,
    key: str,
    store: Any,
    period: Any,
    outcome: str | None,
    evidence_root: str | None,
    unjudged: list[Unjudged] | None = None,
) -> Explanation:
    from ..business_time import ClockCache

    measure: Any = rule.measure
    kind = pack.evidence[rule.evidence]
    zone = ZoneInfo(pack.timezone)
    events = sorted(store.records(kind, {measure.key: key}), key=lambda r: r.get(measure.at) or 0)
    if not events:
        raise _no_case(kind, measure.key, key, store, evidence_root)
    out = Explanation(evidence_root=evidence_root)
    out.add(f"rule {rule.id} (sequence) of {pack.id}: {rule.title.en}")
    out.add(f"case {key}: {len(events)} records of {kind.name}")
    firsts: dict[str, float] = {}
    for event in events:
        step, at = event.get(measure.step), event.get(measure.at)
        first = step not in firsts and at is not None
        if first:
            firsts[step] = at
        when = "no time" if at is None else _moment(at, zone)
        note = "" if first else " (a repeat: only the first counts)"
        out.add(f"  {out.file_name(event['_file'])} line {event['_line']}: {step} at {when}{note}")
    if _not_judged(unjudged, events[0], out):
        return out
    end = period.end(zone)
    clocks = ClockCache(pack.calendars, zone)
    for index, step in enumerate(measure.steps[1:], start=1):
        _sequence_step(measure, index, step, firsts, end, clocks, zone, out)
    if outcome is None:
        outcome = f"{OUT_OF_SCOPE} ({_case_out_of_scope(rule, events, period, zone)})"
    out.add(f"outcome: {outcome}")
    return out


def _case_out_of_scope(
    rule: Rule, events: list[dict[str, Any]], period: Any, zone: ZoneInfo
) -> str:
    """Why a case is not judged in the period: where its first step, or without one its earliest
    event (as the engine places it), falls."""
    from ..expression import holds

    measure: Any = rule.measure
    first = measure.steps[0].name
    kept = [e for e in events if rule.where is None or holds(rule.where, e)]
    if not kept:
        return "the rule's filter holds for none of its events"
    timed = [e for e in kept if e.get(measure.at) is not None]
    starts = [e[measure.at] for e in timed if e.get(measure.step) == first]
    place = f"its first step {first}"
    if not starts:
        starts = [e[measure.at] for e in timed]
        place = f"it has no {first} step, and its earliest event"
    if not starts:
        return "none of its events has a time"
    start, end = period.start(zone), period.end(zone)
    return (
        f"{place} at {_moment(min(starts), zone)} is outside the period {period.label}, "
        f"from {_moment(start, zone)} to {_moment(end, zone)}"
    )


def _sequence_step(
    measure: Any,
    index: int,
    step: Any,
    firsts: dict[str, float],
    end: float,
    clocks: Any,
    zone: ZoneInfo,
    out: Explanation,
) -> None:
    origin = measure.steps[measure.origin(index)].name
    at, since = firsts.get(step.name), firsts.get(origin)
    if step.within is None or since is None:
        why = "no bound" if step.within is None else f"{origin} has not happened, no bound runs"
        out.add(f"step {step.name}: {'seen' if at is not None else 'not seen'}, {why}")
        return
    if at is not None and at <= end and at < firsts.get(measure.steps[index - 1].name, at):
        out.add(f"step {step.name}: out of order (before {measure.steps[index - 1].name})")
        return
    upto = at if at is not None and at <= end else end
    span = (
        upto - since if measure.calendar is None else clocks.between(measure.calendar, since, upto)
    )
    wall = measure.calendar is None
    clock = "wall time" if wall else f"business time ({measure.calendar})"
    seen = "happened" if upto == at else "not by the period end, counted up to it"
    out.add(
        f"step {step.name}: {seen}; {_hours(span, wall)} of {clock} after {origin}; "
        f"bound {step.within}: "
        + (
            "within"
            if span <= step.within.seconds
            else f"over by {_seconds(span - step.within.seconds, wall)}"
        )
    )


def _values(
    kind: Any,
    record: dict[str, Any],
    zone: ZoneInfo,
    out: Explanation,
    file_zone: ZoneInfo | None = None,
) -> None:
    """Each field's stored value; a time in the pack's zone (and in the file's, when the
    file was read in another: the raw cells are in that one)."""
    for name, spec in kind.fields.items():
        value = record.get(name)
        if value is not None and spec.type == "boolean":
            value = "true" if value else "false"  # stored as 1 or 0
        if value is not None and spec.type in ("timestamp", "date"):
            shown = datetime.fromtimestamp(value, zone)
            value = (
                shown.date().isoformat()
                if spec.type == "date"
                else f"{shown.isoformat()} ({zone.key})"
            )
            if file_zone is not None and spec.type == "timestamp":
                local = datetime.fromtimestamp(record[name], file_zone).isoformat()
                value += f"; {local} in the file's zone {file_zone.key}"
        out.add(f"  {name} = {value}")


def _exclusions(rule: Rule, record: dict[str, Any], out: Explanation) -> bool:
    """The first of the rule's exclusions that holds for the record, said; whether one did."""
    from ..expression import holds, to_text

    for exclusion in rule.exclusions:
        if holds(exclusion.condition, record):
            out.add(f"excluded: {exclusion.reason} ({to_text(exclusion.condition)} holds)")
            return True
    if rule.exclusions:
        out.add("none of the rule's exclusions applies")
    return False


def _duration(
    pack: Pack,
    rule: Rule,
    record: dict[str, Any],
    store: Any,
    period: Any,
    zone: ZoneInfo,
    out: Explanation,
) -> None:
    measure: Any = rule.measure
    start, end = record.get(measure.start), record.get(measure.end)
    ended = record.get(measure.ended) if getattr(measure, "ended", None) else None
    period_end = period.end(zone)
    if start is None:
        out.add(f"no {measure.start}: excluded (no start time)")
        return
    effective: float = period_end
    unreached = False  # ended by the period end without reaching its end: counted to when it ended
    if end is not None and end <= period_end:
        effective = end
    elif ended is not None and ended <= period_end:
        effective, unreached = ended, True
        out.add(
            f"{measure.end} not reached: the record ended ({measure.ended} {_moment(ended, zone)}) "
            f"without it, counted up to {measure.ended}; a breach whatever its length"
        )
    else:
        out.add(
            f"{measure.end} not by the period end: counted up to {datetime.fromtimestamp(period_end, zone)}"
        )
    if effective < start:  # whatever the clock reads between them (0 in closed hours)
        until = measure.ended if unreached else measure.end if effective == end else "period end"
        out.add(
            f"{until} {_moment(effective, zone)} is before {measure.start} {_moment(start, zone)}: "
            "the record ends before it starts, a data error; not measured"
        )
        return
    if measure.calendar is None:
        out.counted = effective - start
        what = f"{measure.ended} - {measure.start} = " if unreached else ""
        out.add(f"wall time: {what}{_hours(out.counted)}")
    else:
        out.counted = _business(pack, measure.calendar, start, effective, zone, out)
    paused = _pauses(pack, measure, record, store, start, effective, zone, out)
    if paused is None:
        return
    out.paused = paused
    out.duration = out.counted - out.paused
    out.add(
        f"duration = {_exact(out.counted)} - {_exact(out.paused)} = "
        f"{_seconds(out.duration, measure.calendar is None)}"
        + (f", without reaching {measure.end}" if unreached else "")
        + f"; limit {measure.limit}"
    )


def _business(
    pack: Pack, name: str, start: float, end: float, zone: ZoneInfo, out: Explanation
) -> float:
    from ..business_time import ClockCache, day_span

    clock = ClockCache(pack.calendars, zone).clock(name, start, end)
    out.add(
        f"business time in calendar {name} (holidays: {pack.calendars[name].holidays or 'none'}):"
    )
    total = 0.0
    day, last = day_span(start, end, zone)  # an end at midnight asks nothing of its day
    while day <= last:
        total += _day(clock, day, start, end, zone, out)
        day += timedelta(days=1)
    out.add(f"  open time counted: {_hours(total, wall=False)}")
    return total


def _day(
    clock: Any, day: date, start: float, end: float, zone: ZoneInfo, out: Explanation
) -> float:
    kind = clock.day_kind(day)
    label = {"holiday": "statutory holiday: closed", "makeup": "make-up working day"}.get(kind, "")
    stretches = [
        (max(s.start, start), min(s.end, end))
        for s in clock.stretches
        if datetime.fromtimestamp(s.start, zone).date() == day and s.end > start and s.start < end
    ]
    if not stretches:
        reason = label or (
            "weekend or closed day" if not clock.hours_of(day) else "outside the hours counted"
        )
        out.add(f"  {day} {day:%a}: {reason}, 0 h")
        return 0.0
    seconds = sum(b - a for a, b in stretches)
    spans = ", ".join(f"{_clock_time(a, zone)}-{_clock_time(b, zone)}" for a, b in stretches)
    out.add(f"  {day} {day:%a}: {label + ', ' if label else ''}{spans} counted, {_hours(seconds)}")
    return seconds


def _pauses(
    pack: Pack,
    measure: Any,
    record: dict[str, Any],
    store: Any,
    start: float,
    end: float,
    zone: ZoneInfo,
    out: Explanation,
) -> float | None:
    """The paused time subtracted, each pause told; None, told, when a pause within the
    record's span ends before it starts (the record is then not measured)."""
    from ..business_time import ClockCache
    from ..expression import holds

    pauses = measure.pauses
    if pauses is None:
        return 0.0
    other = pack.evidence[pauses.evidence]
    match = {theirs: str(record[ours]) for theirs, ours in pauses.match}
    rows = [
        row
        for row in store.records(other, match)
        if pauses.where is None or holds(pauses.where, row)
    ]
    for row in rows:
        a, b = row[pauses.start], row[pauses.end]
        if b is not None and b < a and b < end and a > start:
            out.add(
                f"  pause {_span_text(a, b, zone)} ends before it starts: a data error; "
                "the record is not measured"
            )
            return None
    clipped = sorted(
        (
            max(row[pauses.start], start),
            min(end if row[pauses.end] is None else row[pauses.end], end),
            row[pauses.end] is None,  # no end: the pause lasts until the record ends
        )
        for row in rows
    )
    total, reach = 0.0, None  # reach: the furthest end of the pauses before (no moment twice)
    clocks = ClockCache(pack.calendars, zone)
    for a, b, endless in (piece for piece in clipped if piece[1] > piece[0]):
        span = _span_text(a, b, zone) + (
            " (no end given: until the record ends)" if endless else ""
        )
        low = a if reach is None else max(a, reach)
        reach = b if reach is None else max(reach, b)
        if b <= low:
            out.add(f"  pause {span} within the pauses above: nothing more")
            continue
        length = b - low if measure.calendar is None else clocks.between(measure.calendar, low, b)
        total += length
        overlap = (
            "" if low == a else f" (from {_moment(low, zone, 'minutes')}, after the pauses above)"
        )
        out.add(f"  pause {span}{overlap} subtracted: {_hours(length, measure.calendar is None)}")
    return total


def _span_text(a: float, b: float, zone: ZoneInfo) -> str:
    return f"{_moment(a, zone, 'minutes')} to {_moment(b, zone, 'minutes')}"


def _seconds(seconds: float, wall: bool = True) -> str:
    """Seconds as they are, with the hours beside from an hour on: ``23,011 s (6.392 h)``."""
    exact = _exact(seconds)
    return exact if abs(seconds) < 3600 else f"{exact} ({_hours(seconds, wall)})"


def _exact(seconds: float) -> str:
    """Seconds as they are (to the millisecond), so that a subtraction of them adds up."""
    text = f"{seconds:,.3f}".rstrip("0").rstrip(".")
    return f"{text} s"


def _hours(seconds: float, wall: bool = True) -> str:
    """Hours to four figures; a span under an hour in seconds, as a limit such as 30s is
    written; from 1,000 hours whole hours (never ``6.139e+04 h``), with the days of 24 hours
    beside them for wall time (business time has days of its calendar's hours, not 24)."""
    if abs(seconds) < 3600:
        return f"{seconds:.4g} s"
    hours = seconds / 3600
    if abs(hours) < 1000:
        return f"{hours:.4g} h"
    return f"{hours:,.0f} h, {hours / 24:,.1f} d" if wall else f"{hours:,.0f} h"


def _moment(seconds: float, zone: ZoneInfo, timespec: str = "seconds") -> str:
    """A moment as local time with its UTC offset (e.g. 2026-07-28 12:06:08+08:00): a local
    time alone is ambiguous in the hour a DST change repeats."""
    return datetime.fromtimestamp(seconds, zone).isoformat(sep=" ", timespec=timespec)


def _clock_time(seconds: float, zone: ZoneInfo) -> str:
    """A time of day (16:00), with its UTC offset (02:30+01:00) on a day a DST change falls on,
    where the same time of day can name two moments."""
    moment = datetime.fromtimestamp(seconds, zone)
    midnight = datetime.combine(moment.date(), time(), zone)
    if midnight.utcoffset() == (midnight + timedelta(days=1)).utcoffset():
        return f"{moment:%H:%M}"
    return moment.isoformat(timespec="minutes")[11:]  # 02:30+01:00
