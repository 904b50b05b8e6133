"""The CAPA registers: capa.csv and capa.xlsx (with the failing records, within Excel's limits,
and a sheet of notes when that list is not complete).

Every text cell a spreadsheet would run as a formula is neutralised with
:func:`auditor.failing.neutralise`, the same as failing-records.csv.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import astuple, dataclass, fields, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..failing import CAP_PER_FINDING, FILE_NAME, neutralise, parquet_records, unit_text
from ..findings import sentences
from ..findings.contract import FailingNote, FindingEntry, FindingsDocument, RuleEntry
from ..findings.nonconformities import dealt_with, due_in_days, failing_total, nonconformities
from ..formatting import count
from ..i18n import Words
from . import rules

if TYPE_CHECKING:
    from ..register.register import TrackedItem


@dataclass(frozen=True)
class CapaItem:
    """One corrective action, for a nonconforming rule; the fields are the register's columns."""

    number: str
    finding: str
    rule: str
    clause: str
    severity: str
    value: str
    target: str
    correction: str
    root_cause: str
    action: str
    owner: str
    due: str
    effectiveness: str
    failing_count: int
    status: str


CAPA_HEADER = [f.name for f in fields(CapaItem)]
CAPA_WIDTHS = (10, 32, 18, 8, 8, 12, 10, 24, 28, 40, 24, 11, 40, 8, 8)
FAILING_HEADER = [
    "rule", "finding", "key", "group", "period", "value", "unit", "measured", "file", "line",
]  # fmt: skip
FAILING_WIDTHS = (18, 34, 16, 16, 10, 12, 16, 40, 28, 8)
#: the sheet that says what the failing-records sheet leaves out (only when it does)
NOTES_SHEET = "notes"
#: days after the action by when its effect is checked on new evidence
EFFECTIVENESS_DAYS = 30


def capa_items(document: FindingsDocument, issued: date, words: Words) -> list[CapaItem]:
    """A CAPA item per nonconformity (see :mod:`auditor.findings.nonconformities`: the items
    a CAPA register opens for the same audit), for the finding that shows it."""
    due_days = document.manifest.parameters.due_days
    return [
        _capa_item(number, rule, finding, _failing(rule, key, finding), issued, due_days, words)
        for number, (key, rule, finding) in enumerate(nonconformities(document), 1)
    ]


@dataclass(frozen=True)
class PlanAction:
    """An action of a plan's row: the team's, as recorded in the register, or the audit's."""

    text: str
    owner: str
    due: str


#: between the actions of a row (and their owners and due days) in one cell of capa.csv
ACTIONS_JOINED = "; "


@dataclass(frozen=True)
class PlanRow:
    """A row of the report's plan: the audit's item and, made with a CAPA register, the
    register's item it is tracked as, whose severity and due date the team works to."""

    item: CapaItem
    tracked: TrackedItem | None = None

    @property
    def severity(self) -> str:
        return self.tracked.severity if self.tracked else self.item.severity

    @property
    def due(self) -> str:
        return self.tracked.due if self.tracked else self.item.due

    @property
    def correction(self) -> str:
        """The register's correction where the team has given one, else the audit's."""
        return (self.tracked.correction if self.tracked else "") or self.item.correction

    @property
    def root_cause(self) -> str:
        """The register's root cause where the team has given one, else the audit's (none)."""
        return (self.tracked.root_cause if self.tracked else "") or self.item.root_cause

    @property
    def status(self) -> str:
        """The register's status of the item where it tracks one, else the audit's (open)."""
        return (self.tracked.status if self.tracked else "") or self.item.status

    @property
    def actions_recorded(self) -> bool:
        """Whether the team has recorded the row's actions in the register."""
        return bool(self.tracked and self.tracked.actions)

    @property
    def actions(self) -> list[PlanAction]:
        """The actions the team has recorded in the register, each with its owner and due
        day; where it has recorded none, the audit's (the pack's), due on the audit's date."""
        if self.tracked and self.tracked.actions:
            return [PlanAction(a.text, a.owner, a.due) for a in self.tracked.actions]
        return [PlanAction(self.item.action, self.item.owner, self.item.due)]

    @property
    def as_planned(self) -> CapaItem:
        """The audit's item with what the register holds for it in its place: status, root
        cause, correction and actions (capa.csv's and capa.xlsx's row, the report's)."""
        actions = self.actions
        return replace(
            self.item,
            correction=self.correction,
            root_cause=self.root_cause,
            action=ACTIONS_JOINED.join(a.text for a in actions),
            owner=ACTIONS_JOINED.join(a.owner for a in actions),
            due=ACTIONS_JOINED.join(a.due for a in actions),
            status=self.status,
        )

    @property
    def audit_severity(self) -> str | None:
        """The severity the audit gave, where the register's differs; None where they agree."""
        return self.item.severity if self.severity != self.item.severity else None

    @property
    def audit_due(self) -> str | None:
        """The due date the audit gave, where the register's differs; None where they agree."""
        return self.item.due if self.due != self.item.due else None


def plan_rows(items: list[CapaItem], tracked: Mapping[str, TrackedItem] | None) -> list[PlanRow]:
    """The plan's rows, each with the register item it is tracked as (when a register is given)."""
    return [PlanRow(item, tracked.get(item.finding) if tracked else None) for item in items]


def _failing(rule: RuleEntry, key: str, deciding: FindingEntry) -> tuple[int, int]:
    """The failing records an item deals with and in how many cells: a group's, over all its
    nonconforming sub-periods (the item is the group's, not only its worst cell's)."""
    cells = dealt_with(rule, key, deciding)
    return failing_total(cells), len(cells)


def _capa_item(
    number: int,
    rule: RuleEntry,
    deciding: FindingEntry,
    failing: tuple[int, int],
    issued: date,
    due_days: dict[str, int],
    words: Words,
) -> CapaItem:
    severity = deciding.severity or rule.verdict_severity or rule.severity
    days = due_in_days(rule.capa.due_days, severity, due_days)
    return CapaItem(
        number=f"CAPA-{number:03d}",
        finding=deciding.id,
        rule=rule.rule,
        clause=rule.clause,
        severity=severity.value,
        value=sentences.value(deciding, rule, words),
        target=sentences.target(deciding, rule, words),
        correction=_correction(*failing, words, periods="every" in deciding.details),
        root_cause="",
        action=words.text(rule.capa.action),
        owner=words.text(rule.capa.owner),
        due=(issued + timedelta(days=days)).isoformat(),
        effectiveness=words.label("effectiveness_text", days=EFFECTIVENESS_DAYS),
        failing_count=failing[0],
        status="open",
    )


def _correction(records: int, cells: int, words: Words, periods: bool = False) -> str:
    """What the correction deals with: the failing records listed (of a group's cells), or
    for a rule every period must hold a record of, the periods listed that hold none."""
    if not records:
        return words.label("correction_figure")  # a figure (a spread, a trend), no record
    if periods:
        key = "correction_period_one" if records == 1 else "correction_periods"
        return words.label(key, n=count(records))
    if cells > 1:
        return words.label("correction_text_cells", n=count(records), cells=count(cells))
    if records == 1:
        return words.label("correction_text_one")
    return words.label("correction_text", n=count(records))


#: the columns a plan rendered with a CAPA register adds: the register's item each row is
#: tracked as, and the severity and due date the team works to there
REGISTER_HEADER = ["register_item", "register_severity", "register_due"]
REGISTER_WIDTHS = (16, 10, 11)


def _cells(item: CapaItem) -> list[Any]:
    return [neutralise(cell) for cell in astuple(item)]


def _register_sheet(
    items: list[CapaItem], tracked: Mapping[str, TrackedItem] | None
) -> tuple[list[str], list[list[Any]]]:
    """The plan's header and rows; with a register, each row with the item it is tracked as
    (empty for a row the register does not track), and what the register holds for it in
    place of the audit's (see :attr:`PlanRow.as_planned`)."""
    if tracked is None:
        return CAPA_HEADER, [_cells(item) for item in items]
    rows = []
    for row in plan_rows(items, tracked):
        held = row.tracked
        register = [held.id, held.severity, held.due] if held else ["", "", ""]
        rows.append([*_cells(row.as_planned), *register])
    return [*CAPA_HEADER, *REGISTER_HEADER], rows


def write_capa_csv(
    items: list[CapaItem], path: Path, tracked: Mapping[str, TrackedItem] | None = None
) -> None:
    header, rows = _register_sheet(items, tracked)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def failing_sheet_rows(
    document: FindingsDocument, words: Words, complete: Path | None = None
) -> Iterator[list[Any]]:
    """The failing records, one row each, the measured value in words: every one, from the
    audit's complete list (``complete``, its Parquet file); without it, those findings.json
    lists (at most ``cap_per_finding`` a finding)."""
    if complete is not None:
        yield from _complete_rows(document, words, complete)
        return
    for rule in document.rules:
        for row in rules.failing_rows(rule):
            yield [
                rule.rule,
                row.finding,
                row.key,
                row.group_text,
                row.period,
                "" if row.value is None else row.value,
                unit_text(rule.failing_unit, rule.unit_label.en if rule.unit_label else None),
                sentences.measured(row.value, row.note, rule, words),
                *_file_and_line(row.source),
            ]


def _complete_rows(document: FindingsDocument, words: Words, path: Path) -> Iterator[list[Any]]:
    """Every record of the audit's Parquet list, in its order (failing-records.csv's)."""
    rule_of = {rule.rule: rule for rule in document.rules}
    for record in parquet_records(path):
        value, problem = record["value"], record["problem"]
        note = None
        if problem:
            note = FailingNote(
                problem=problem, step=record["step"], over_seconds=record["over_seconds"]
            )
        yield [
            record["rule"],
            record["finding"],
            record["key"],
            record["group"] or "",
            record["period"],
            "" if value is None else value,
            record["unit"] or "",
            sentences.measured(value, note, rule_of[record["rule"]], words),
            record["file"] or "",
            "" if record["line"] is None else record["line"],
        ]


def _file_and_line(source: str) -> list[Any]:
    """``file:line`` as two cells, the line a number (for sorting and filtering)."""
    file, line = rules.file_and_line(source)
    return [file, int(line) if line else ""]


def failing_note(
    document: FindingsDocument, words: Words, capped: int | None, path: str, complete: bool
) -> str | None:
    """The note (on the sheet of notes) that the failing-records sheet does not hold every
    failing record, naming the complete list by its ``path`` from the sheet's folder: cut at
    the sheet's cap, or (not read from the ``complete`` list) findings.json's lists cut."""
    listing = document.failing_records
    if capped is not None:
        return words.label("xlsx_capped", cap=count(capped), path=path)
    truncated = not complete and any(
        f.failing_truncated for r in document.rules for f in r.findings
    )
    if truncated:
        cap = listing.cap_per_finding if listing else CAP_PER_FINDING
        return words.label("xlsx_truncated", cap=count(cap), path=path)
    return None


def write_capa_xlsx(
    document: FindingsDocument,
    items: list[CapaItem],
    words: Words,
    path: Path,
    cap: int,
    tracked: Mapping[str, TrackedItem] | None = None,
    failing_path: str = FILE_NAME,
    complete: Path | None = None,
) -> None:
    """capa.xlsx: the CAPA register and the failing records, at most ``cap`` of them, read
    from the audit's ``complete`` list (its Parquet file) when given; when the sheet does not
    hold them all, a sheet of notes says so, naming the complete list by ``failing_path``
    (from the folder of ``path``)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("CAPA")
    header, rows = _register_sheet(items, tracked)
    for index, width in enumerate((*CAPA_WIDTHS, *REGISTER_WIDTHS)[: len(header)], 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    records = book.create_sheet("failing records")
    for index, width in enumerate(FAILING_WIDTHS, 1):
        records.column_dimensions[get_column_letter(index)].width = width
    records.append(FAILING_HEADER)
    capped = None
    for written, cells in enumerate(failing_sheet_rows(document, words, complete)):
        if written >= cap:
            capped = cap
            break
        records.append([neutralise(c) for c in cells])
    note = failing_note(document, words, capped, failing_path, complete is not None)
    if note:  # on a sheet of its own: a row of the table would read as a record
        notes = book.create_sheet(NOTES_SHEET)
        notes.column_dimensions["A"].width = 100
        notes.append(["note"])
        notes.append([neutralise(note)])
    book.save(path)
