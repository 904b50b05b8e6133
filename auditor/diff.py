"""Two audits compared: what changed between an earlier findings.json and a later one.

:func:`diff_findings` pairs the findings of two documents and classifies each
nonconformity as new, resolved, recurring or worsened (see docs/diff.md).
Findings are paired in these steps:

1. a group's nonconformity (one per rule and group of a rule judged in each
   group: its worst sub-period, see :func:`nonconformities`) with the other
   audit's of the same rule and group, whatever their sub-periods, when either
   holds only part of its audit period, so that a group failing in July and
   again in November is one recurring nonconformity, as the CAPA register
   links it (two whole-period findings are left to steps 2 and 3). When both
   audits hold both sub-periods (a re-run of Q4 whose site's worst month moved
   from October to November), each is left to step 2 and paired with its own
   month, and the group is still classed once: the row of the new
   nonconformity against the old audit's nonconformity of the group, the row
   of the old one, whose group still fails, as a finding that is no
   nonconformity (never resolved);
2. by rule, group and the span the finding covers: its own period and the days
   of it the audit holds (a week the audit period cuts is its days: week 31 of
   a July audit, 27-31 July, is not week 31 of an August audit, 1-2 August),
   or, for a finding that holds the whole audit period (the pooled finding, a
   group's finding, a quarter's cell in a monthly audit), the audit period;
3. what is left, by rule and group with the period ignored: each audit's
   whole-period finding of the rule and group, so that audits of different
   periods (July and August) are still compared rule by rule and group by group;
4. an old audit's group nonconformity still unpaired (the group has none in
   the new audit), by rule and group with the new audit's worst finding of the
   group still unpaired (:func:`_worst`), so that the group's failing July of a
   Q3 audit is resolved by its conforming months of a Q4 audit. (A new
   nonconformity whose group had none before is new with or without a
   counterpart, and is left as steps 2 and 3 left it.)

A second whole-period finding of the same rule and group (a quarter's cell in a
monthly audit of an ungrouped rule) holds the same records as the first and is
left out, so nothing is compared twice. :func:`load_findings` reads either a
findings.json or an audit folder holding one; :func:`diff_text` writes the
terminal table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, Literal

from . import periods
from .errors import Location, ReportError
from .findings import group_text
from .findings.contract import (
    JUDGED,
    CellDays,
    FindingEntry,
    FindingsDocument,
    RuleEntry,
    Severity,
    Verdict,
    level,
)
from .findings.nonconformities import nonconformities
from .formatting import pair_texts, text_table, value_text
from .i18n import Words
from .periods import Period

#: the diff's words: its table and its json are in English
ENGLISH = Words("en")

FINDINGS_FILE = "findings.json"


class Change(StrEnum):
    """What happened to a finding between the two audits; the first four are the classes."""

    NEW = "new"
    RESOLVED = "resolved"
    RECURRING = "recurring"
    WORSENED = "worsened"
    VERDICT_CHANGED = "verdict changed"
    VALUE_CHANGED = "value changed"
    UNCHANGED = "unchanged"
    ONLY_OLD = "only in old"
    ONLY_NEW = "only in new"


#: the classes of a nonconformity, in the order they are counted; each row is in one at most
CLASSES = (Change.NEW, Change.RESOLVED, Change.RECURRING, Change.WORSENED)

#: how a row's two findings were paired: by their span, by rule and group as whole-period
#: findings, or as a group's nonconformity by rule and group (their spans may differ)
Match = Literal["period", "whole-period", "group"]


@dataclass(frozen=True)
class Side:
    """One audit's finding in a row of the diff."""

    id: str
    period: str  # the finding's own period label
    span: str  # what it covers in its audit: the audit period for a whole-period finding
    days: CellDays | None  # the days of the span its audit holds; clipped when it cut the span
    whole: bool  # it holds the whole audit period
    verdict: str
    severity: str | None
    nonconformity: bool  # one of the nonconformities its audit reports (its CAPA plan's)
    value: float | None
    unit: str
    threshold: dict[str, Any] | None  # {op, value}, in the unit of value
    text: str  # the value as printed (formatting.value_text, English)

    def span_text(self, words: Words = ENGLISH) -> str:
        """The span, with the days it holds when its audit cut it: ``2026-W31 (1–2 Aug)``."""
        return words.period(self.span, self.days)


@dataclass(frozen=True)
class Row:
    """A finding of the old audit beside its counterpart in the new one (either may be absent)."""

    rule: str
    group: dict[str, Any]
    match: Match | None  # how the two were paired; None when one side is absent
    old: Side | None
    new: Side | None
    change: Change
    worsened_by: tuple[str, ...] = ()  # "severity", "value"

    @property
    def cell(self) -> Side | None:
        """The side that names the part of the audit period the row is of; None for a row of
        whole-period findings. A row of a group's nonconformity paired by group (its sides may
        be of different parts; :meth:`spans_text` names both) is named by the nonconformity
        now, else by the one before."""
        sides = [s for s in (self.old, self.new) if s is not None]
        if self.match == "whole-period" or all(s.whole for s in sides):
            return None
        if self.match == "group":
            shown = self.new if _nonconform(self.new) else self.old
            return None if shown is None or shown.whole else shown
        return sides[0]

    def spans_text(self, words: Words = ENGLISH) -> str:
        """The part of the audit period each side is of, ``2026-08``, or ``2026-07 → 2026-11``
        for a row paired by group whose sides are of different parts; "" for whole-period
        findings."""
        if self.match != "group":
            return self.cell.span_text(words) if self.cell else ""
        assert self.old is not None and self.new is not None
        old, new = self.old.span_text(words), self.new.span_text(words)
        return old if old == new else f"{old} → {new}"

    @property
    def group_text(self) -> str:
        """``all``, ``site=SH``; a finding of a part of an audit period adds it: ``site=SH@2026-08``,
        ``all@2026-W31 (1–2 Aug)``, ``site=SH@2026-07 → 2026-11`` (paired by group)."""
        text = group_text(self.group, "@") or "all"
        spans = self.spans_text()
        return f"{text}@{spans}" if spans else text


@dataclass(frozen=True)
class AuditRef:
    """Which audit a side of the diff is."""

    pack: str
    pack_version: str
    period: str
    first_day: str
    last_day: str
    generated_at: str


@dataclass(frozen=True)
class FindingsDiff:
    """The comparison of two audits: one row per pair of findings, and what differs in the rules."""

    old: AuditRef
    new: AuditRef
    rows: list[Row]
    rules_only_old: list[str] = field(default_factory=list)
    rules_only_new: list[str] = field(default_factory=list)

    @property
    def same_pack(self) -> bool:
        return self.old.pack == self.new.pack

    def counts(self) -> dict[str, int]:
        """Nonconformities per class: ``{new, resolved, recurring, worsened}``."""
        return {str(c): sum(1 for r in self.rows if r.change == c) for c in CLASSES}

    @property
    def has_new(self) -> bool:
        """Any new or worsened nonconformity (what ``--fail-on-new`` fails on)."""
        return any(r.change in (Change.NEW, Change.WORSENED) for r in self.rows)

    def notes(self) -> list[str]:
        """What the reader must know before reading the rows: other packs, rules on one side only."""
        old, new = self.old, self.new
        notes = []
        packs = packs_note(old, new)
        if packs:
            notes.append(packs)
        elif old.pack_version != new.pack_version:
            notes.append(
                f"the two audits are of different versions of {new.pack}: "
                f"{old.pack_version} and {new.pack_version}"
            )
        if self.rules_only_old:
            notes.append(f"rules only in the old audit: {', '.join(self.rules_only_old)}")
        if self.rules_only_new:
            notes.append(f"rules only in the new audit: {', '.join(self.rules_only_new)}")
        return notes

    def to_data(self) -> dict[str, Any]:
        rows = []
        for row in self.rows:
            data = asdict(row, dict_factory=_plain)
            data["change"] = str(row.change)
            data["worsened_by"] = list(row.worsened_by)
            rows.append(data)
        return {
            "old": asdict(self.old),
            "new": asdict(self.new),
            "same_pack": self.same_pack,
            "notes": self.notes(),
            "rules_only_old": list(self.rules_only_old),
            "rules_only_new": list(self.rules_only_new),
            "counts": self.counts(),
            "rows": rows,
        }

    def to_json(self) -> str:
        """The machine-readable diff: sorted keys, two-space indent."""
        return json.dumps(self.to_data(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _plain(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """A dataclass's fields as data, a findings.json model among them (a side's days) as its json."""
    return {key: v.model_dump() if isinstance(v, CellDays) else v for key, v in items}


# ------------------------------------------------------------ reading


def load_findings(path: str | Path) -> FindingsDocument:
    """A findings.json, or the findings.json in an audit folder; one error line for anything else."""
    target = Path(path)
    if target.is_dir():
        inside = target / FINDINGS_FILE
        if not inside.is_file():
            raise ReportError(
                f"no {FINDINGS_FILE} in this folder",
                location=Location(str(target)),
                hint="give an audit's --out folder or its findings.json",
            )
        target = inside
    return FindingsDocument.load(target)


#: an earlier audit as ``audit --previous`` gives it: one pack's findings, or a combined
#: audit's, each pack's by pack id
PreviousAudit = FindingsDocument | dict[str, FindingsDocument]


def load_previous(path: str | Path | None, several: bool) -> PreviousAudit | None:
    """The earlier audit ``path`` names (None: none), read and checked before an audit runs:
    its findings, or, for an audit of ``several`` packs given a combined audit, each pack's
    findings by pack id (of the packs it has a folder for)."""
    from .findings.combined import CombinedDocument, is_combined, read_json

    if not path:
        return None
    top = Path(path) / FINDINGS_FILE if Path(path).is_dir() else Path(path)
    if several and top.is_file() and is_combined(read_json(top)):
        folders = [top.parent / pack for pack in CombinedDocument.load(top).pack_ids()]
        return {folder.name: load_findings(folder) for folder in folders if folder.is_dir()}
    return load_findings(path)


def earlier_audit(
    document: FindingsDocument, given: FindingsDocument | None, register_path: str | None
) -> FindingsDocument | None:
    """The earlier audit the report of ``document`` compares with: ``given`` (what --previous
    gave, read), else the register's latest audit of the pack of an earlier period (see
    :meth:`auditor.register.Register.previous_audit`); None when there is neither."""
    from .register import Register

    if given is not None:
        return given
    if not register_path or not Path(register_path).exists():
        return None
    register = Register(register_path)
    manifest = document.manifest
    try:
        path = register.previous_audit(manifest.pack.id, manifest.parameters.period.first_day)
    finally:
        register.close()
    return load_findings(path) if path else None


# ------------------------------------------------------------ pairing


def _audit_period(document: FindingsDocument) -> Period:
    audit = document.manifest.parameters.period
    first, last = date.fromisoformat(audit.first_day), date.fromisoformat(audit.last_day)
    return Period(audit.label, first, last)


def _held(finding: FindingEntry, audit: Period) -> Period | None:
    """The days of the audit period the finding holds, as its findings.json recorded them
    (worked out from its period's label in a findings.json written before they were): the
    audit period for a finding that holds it all (its period is the audit's, or wider), else
    its own period as the audit cut it; None for a period label that names no days."""
    if finding.pooled:
        return audit
    days = finding.days
    if days is None:
        held = periods.cell(audit, finding.period)
    else:
        first, last = date.fromisoformat(days.first), date.fromisoformat(days.last)
        held = Period(finding.period, first, last, days.clipped)
    if held is not None and (held.first, held.last) == (audit.first, audit.last):
        return audit
    return held


def _group_key(group: dict[str, Any]) -> str:
    return json.dumps(group, sort_keys=True, ensure_ascii=False)


@dataclass
class _Cell:
    rule: RuleEntry
    finding: FindingEntry
    held: Period | None  # the days it covers in its audit (None: its label names none)
    whole: bool
    nonconformity: bool  # one of the nonconformities the audit reports (its CAPA plan's)

    @property
    def span(self) -> str:
        return self.held.label if self.held else self.finding.period

    @property
    def days(self) -> CellDays | None:
        held = self.held
        if held is None:
            return None
        return CellDays(
            first=held.first.isoformat(), last=held.last.isoformat(), clipped=held.clipped
        )

    @property
    def key(self) -> tuple[str, str, str, CellDays | None]:
        return self.rule.rule, _group_key(self.finding.group), self.span, self.days


def _cells(document: FindingsDocument) -> list[_Cell]:
    """Every finding with the days it covers and whether it is one of the audit's
    nonconformities; a second whole-period finding of a group is left out."""
    audit = _audit_period(document)
    reported = {finding.id for _, _, finding in nonconformities(document)}
    cells: list[_Cell] = []
    seen: set[tuple[str, str]] = set()
    for rule in document.rules:
        for finding in rule.findings:
            held = _held(finding, audit)
            whole = held == audit
            group = (rule.rule, _group_key(finding.group))
            if whole and group in seen:
                continue
            if whole:
                seen.add(group)
            cells.append(_Cell(rule, finding, held, whole, finding.id in reported))
    return cells


Pair = tuple[_Cell | None, _Cell | None, Match | None]


_Key = tuple[str, str, str, CellDays | None]


class _Pairing:
    """The pairs made so far: each new cell's old partner and how they were paired, and the
    old cells not paired yet; and, for a group whose nonconformity moved to another
    sub-period both audits hold (each paired with its own), what its rows are classed by."""

    def __init__(self, old: list[_Cell]) -> None:
        self.old_left = {c.key: c for c in old}
        self.partner: dict[_Key, tuple[_Cell, Match]] = {}
        self.judged_by: dict[_Key, _Cell] = {}  # a new nonconformity: the old one of its group
        self.still_failing: set[_Key] = set()  # an old nonconformity whose group fails now

    def paired(self, cell: _Cell) -> bool:
        return cell.key in self.partner

    def pair(self, cell: _Cell, other: _Cell, match: Match) -> None:
        del self.old_left[other.key]
        self.partner[cell.key] = (other, match)

    def moved(self, cell: _Cell, other: _Cell) -> None:
        """The group's nonconformity ``cell`` now and ``other`` before, of different
        sub-periods both audits hold: left to be paired by span, classed as one."""
        self.judged_by[cell.key] = other
        self.still_failing.add(other.key)

    def classed_against(
        self, before: _Cell | None, after: _Cell | None, old: Side | None
    ) -> Side | None:
        """What a row's new side is classed against: the old audit's nonconformity of the
        group for a nonconformity that moved; the row's old side ``old``, as no nonconformity,
        for the old nonconformity of a group that still fails (it is not resolved); else
        ``old``."""
        if after is not None and after.key in self.judged_by:
            return _side(self.judged_by[after.key], "")
        if before is not None and before.key in self.still_failing and old is not None:
            return replace(old, nonconformity=False)
        return old


def _by_group(cells: list[_Cell]) -> dict[tuple[str, str], list[_Cell]]:
    grouped: dict[tuple[str, str], list[_Cell]] = {}
    for cell in cells:
        grouped.setdefault(cell.key[:2], []).append(cell)
    return grouped


def _group_match(old: _Cell, new: _Cell) -> Match:
    return "period" if old.key == new.key else "group"


def _of_a_sub_period(old: _Cell, new: _Cell) -> bool:
    """Whether either of two cells holds only part of its audit period (two whole-period
    findings are paired by steps 2 and 3)."""
    return not (old.whole and new.whole)


def _worst(cells: list[_Cell]) -> _Cell:
    """The cell of a group that keeps it furthest from resolved: a finding not judged (not
    evaluable, not applicable, waived: nothing shows it conforms) before one judged, then the
    worse verdict and the larger shortfall; of equals, the first."""
    return max(
        cells,
        key=lambda c: (
            c.finding.verdict not in JUDGED,
            level(c.finding),
            c.finding.shortfall or 0,
        ),
    )


def _pairs(old: list[_Cell], new: list[_Cell]) -> tuple[list[Pair], _Pairing]:
    """Pairs of a group's nonconformities, then by rule, group and span, then the whole-period
    findings left by rule and group, then an old group's nonconformity left with the new
    audit's worst finding of the group left (see the module's docstring).

    In rule order (the new audit's, then rules only in the old one); within a
    rule the new audit's findings in order, then those only in the old one. The pairing
    is returned too: what the rows of a nonconformity that moved are classed against.
    """
    pairing = _Pairing(old)
    _pair_nonconformities(pairing, old, new)
    for cell in new:
        if not pairing.paired(cell) and cell.key in pairing.old_left:
            pairing.pair(cell, pairing.old_left[cell.key], "period")
    whole_left = {c.key[:2]: c for c in pairing.old_left.values() if c.whole}
    for cell in new:
        if not pairing.paired(cell) and cell.whole and cell.key[:2] in whole_left:
            pairing.pair(cell, whole_left.pop(cell.key[:2]), "whole-period")
    _pair_with_the_group(pairing, new)
    return _in_order(pairing, old, new), pairing


def _pair_nonconformities(pairing: _Pairing, old: list[_Cell], new: list[_Cell]) -> None:
    """Step 1: a group's nonconformity in each audit, by rule and group whatever their
    sub-periods (one per group and audit: its worst sub-period); when both audits hold both
    sub-periods, each is left to be paired with its own by span (step 2)."""
    before = {c.key[:2]: c for c in old if c.nonconformity}
    old_keys, new_keys = {c.key for c in old}, {c.key for c in new}
    for cell in new:
        other = before.get(cell.key[:2]) if cell.nonconformity else None
        if other is None or not _of_a_sub_period(other, cell):
            continue
        if other.key != cell.key and other.key in new_keys and cell.key in old_keys:
            pairing.moved(cell, other)
        else:
            pairing.pair(cell, other, _group_match(other, cell))


def _pair_with_the_group(pairing: _Pairing, new: list[_Cell]) -> None:
    """Step 4: an old audit's group nonconformity still unpaired, with the new audit's worst
    finding of the group left (the group has no nonconformity there): resolved when that
    finding conforms or is an observation."""
    new_left = _by_group([c for c in new if not pairing.paired(c)])
    for was in [c for c in pairing.old_left.values() if c.nonconformity]:
        cells = new_left.get(was.key[:2])
        if cells and not any(c.nonconformity for c in cells):
            pairing.pair(_worst(cells), was, "group")


def _in_order(pairing: _Pairing, old: list[_Cell], new: list[_Cell]) -> list[Pair]:
    by_rule: dict[str, list[Pair]] = {}
    for cell in new:
        found = pairing.partner.get(cell.key)
        pair: Pair = (found[0], cell, found[1]) if found else (None, cell, None)
        by_rule.setdefault(cell.rule.rule, []).append(pair)
    for cell in old:
        if pairing.old_left.get(cell.key) is cell:
            by_rule.setdefault(cell.rule.rule, []).append((cell, None, None))
    return [pair for pairs in by_rule.values() for pair in pairs]


# ------------------------------------------------------------ judging a change


def _nonconform(side: Side | None) -> bool:
    """Whether the side is a nonconformity its audit reports: not the pooled finding of a rule
    judged in each group, nor a group's of a rule judged pooled (both for reference only)."""
    return side is not None and side.nonconformity


def _further(old: Side, new: Side) -> bool:
    """Whether the new value is further from the threshold than the old, on the failing side."""
    if old.value is None or new.value is None or new.threshold is None:
        return False
    if old.unit != new.unit or math.isclose(old.value, new.value, rel_tol=1e-9, abs_tol=1e-12):
        return False
    op = new.threshold["op"]
    if old.threshold is not None and old.threshold["op"] != op:
        return False
    if op in (">=", ">"):
        return new.value < old.value
    if op in ("<=", "<"):
        return new.value > old.value
    target = float(new.threshold["value"])
    return abs(new.value - target) > abs(old.value - target)


def _worsened_by(old: Side, new: Side) -> tuple[str, ...]:
    reasons = []
    if old.severity == Severity.MINOR and new.severity == Severity.MAJOR:
        reasons.append("severity")
    if _further(old, new):
        reasons.append("value")
    return tuple(reasons)


def _change(old: Side | None, new: Side | None) -> tuple[Change, tuple[str, ...]]:
    if _nonconform(new):
        if not _nonconform(old):
            return Change.NEW, ()
        assert old is not None and new is not None
        worse = _worsened_by(old, new)
        return (Change.WORSENED, worse) if worse else (Change.RECURRING, ())
    if (
        _nonconform(old)
        and new is not None
        and new.verdict
        in (
            Verdict.CONFORM,
            Verdict.OBSERVATION,
        )
    ):
        return Change.RESOLVED, ()
    if old is None or new is None:
        return (Change.ONLY_NEW if old is None else Change.ONLY_OLD), ()
    if (old.verdict, old.severity) != (new.verdict, new.severity):
        return Change.VERDICT_CHANGED, ()
    same = old.value == new.value or (
        old.value is not None
        and new.value is not None
        and math.isclose(old.value, new.value, rel_tol=1e-9, abs_tol=1e-12)
    )
    return (Change.UNCHANGED if same else Change.VALUE_CHANGED), ()


def _value_text(cell: _Cell | None, also: Sequence[float] = ()) -> str:
    """The cell's value as the audit prints it (English), keeping its side of ``also``."""
    if cell is None:
        return ""
    finding, rule = cell.finding, cell.rule
    label = rule.unit_label.en if rule.unit_label else None
    text = value_text(
        finding.value, finding.unit, finding.threshold, "en", rule.calendar, label=label, also=also
    )
    return text.replace("\u00a0", " ")


def _sides(before: _Cell | None, after: _Cell | None) -> tuple[Side | None, Side | None]:
    """The two sides of a row, their values written so that two different values read apart."""
    old_text, new_text = pair_texts(
        before.finding.value if before else None,
        after.finding.value if after else None,
        partial(_value_text, before),
        partial(_value_text, after),
    )
    return _side(before, old_text), _side(after, new_text)


def _side(cell: _Cell | None, text: str) -> Side | None:
    if cell is None:
        return None
    finding = cell.finding
    threshold = finding.threshold.model_dump() if finding.threshold else None
    return Side(
        id=finding.id,
        period=finding.period,
        span=cell.span,
        days=cell.days,
        whole=cell.whole,
        verdict=str(finding.verdict),
        severity=str(finding.severity) if finding.severity else None,
        nonconformity=cell.nonconformity,
        value=finding.value,
        unit=str(finding.unit),
        threshold=threshold,
        text=text,
    )


def packs_note(old: AuditRef, new: AuditRef) -> str | None:
    """What the reader must know when the two audits are of different packs (None: the same)."""
    if old.pack == new.pack:
        return None
    return f"the two audits are of different packs: {old.pack} and {new.pack}"


def audit_ref(document: FindingsDocument) -> AuditRef:
    pack, period = document.manifest.pack, document.manifest.parameters.period
    return AuditRef(
        pack=pack.id,
        pack_version=pack.version,
        period=period.label,
        first_day=period.first_day,
        last_day=period.last_day,
        generated_at=document.generated_at,
    )


def diff_findings(old: FindingsDocument, new: FindingsDocument) -> FindingsDiff:
    """Compare two audits: one row per pair of findings, each nonconformity classified."""
    rows = []
    pairs, pairing = _pairs(_cells(old), _cells(new))
    for before, after, match in pairs:
        old_side, new_side = _sides(before, after)
        change, worse = _change(pairing.classed_against(before, after, old_side), new_side)
        cell = after or before
        assert cell is not None
        rows.append(
            Row(cell.rule.rule, dict(cell.finding.group), match, old_side, new_side, change, worse)
        )
    old_rules = [r.rule for r in old.rules]
    new_rules = [r.rule for r in new.rules]
    return FindingsDiff(
        old=audit_ref(old),
        new=audit_ref(new),
        rows=rows,
        rules_only_old=[r for r in old_rules if r not in set(new_rules)],
        rules_only_new=[r for r in new_rules if r not in set(old_rules)],
    )


# ------------------------------------------------------------ the terminal table


def _verdict_text(side: Side | None) -> str:
    if side is None:
        return "-"
    if side.verdict == Verdict.NONCONFORM:
        return f"nonconform ({side.severity})"
    return side.verdict


def _change_text(row: Row) -> str:
    if row.change == Change.WORSENED:
        words = {"severity": "minor → major", "value": "further from target"}
        return f"worsened ({', '.join(words[w] for w in row.worsened_by)})"
    if row.change == Change.NEW and row.old is None:
        return "new (absent before)"
    return "" if row.change == Change.UNCHANGED else str(row.change)


def diff_text(diff: FindingsDiff) -> str:
    """The diff as a table for the terminal, with the notes first and the counts last."""
    old, new = diff.old, diff.new
    same = old.period == new.period
    lines = [
        f"{old.pack} {old.pack_version} {old.period} → {new.pack} {new.pack_version} {new.period}"
        + ("" if same else " (whole-period findings compared with the period ignored)")
    ]
    lines.extend(f"note: {note}" for note in diff.notes())
    rows = [("rule", "group", "before", "", "after", "", "change")]
    for row in diff.rows:
        rows.append(
            (
                row.rule,
                row.group_text,
                _verdict_text(row.old),
                row.old.text if row.old else "",
                _verdict_text(row.new),
                row.new.text if row.new else "",
                _change_text(row),
            )
        )
    lines.extend(text_table(rows, right=(3, 5)))
    lines.append(", ".join(f"{name} {count}" for name, count in diff.counts().items()))
    return "\n".join(lines)
