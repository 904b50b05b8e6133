"""The status of the previous audit's findings: what is new, resolved, recurring or worsened.

Built from :func:`auditor.diff.diff_findings`, with a small chart of each
recurring or worsened rule's value over the two audits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..diff import CLASSES, Change, Row, Side, diff_findings
from ..findings.contract import FindingsDocument, Unit
from ..i18n import Words


@dataclass(frozen=True)
class PreviousRow:
    rule: str
    group: str
    period: str  # the sub-period the row is of ("" for whole-period findings)
    before: str
    after: str
    change: str
    key: str


@dataclass(frozen=True)
class PreviousView:
    old_period: str
    rows: list[PreviousRow]
    counts: dict[str, int]
    charts: list[tuple[str, str]]  # (title, svg)


def previous_view(old: FindingsDocument, new: FindingsDocument, words: Words) -> PreviousView:
    diff = diff_findings(old, new)
    rows = [row for row in diff.rows if row.change in CLASSES]
    counts = {words.label(f"change_{name}"): n for name, n in diff.counts().items()}
    return PreviousView(
        old_period=old.manifest.parameters.period.label,
        rows=[_row(row, words) for row in rows],
        counts=counts,
        charts=[
            _chart(row, words) for row in rows if row.change in (Change.RECURRING, Change.WORSENED)
        ],
    )


def _side(side: Side | None, words: Words) -> str:
    if side is None:
        return "–"
    return f"{words.verdict(side.verdict, side.severity)} · {side.text}"


def _period(row: Row, words: Words) -> str:
    """The part of the audit period the row is of, ``2026-W31 (1–2 Aug)``; "" for a row of
    whole-period findings."""
    return row.cell.span_text(words) if row.cell else ""


def _row(row: Row, words: Words) -> PreviousRow:
    return PreviousRow(
        rule=row.rule,
        group=words.group(row.group),
        period=_period(row, words),
        before=_side(row.old, words),
        after=_side(row.new, words),
        change=words.label(f"change_{row.change.value}"),
        key=row.change.value,
    )


def _chart(row: Row, words: Words) -> tuple[str, str]:
    from .. import charts

    assert row.old is not None and row.new is not None
    points = [(row.old.span, row.old.value), (row.new.span, row.new.value)]
    share = row.new.unit == Unit.SHARE
    target: Any = (row.new.threshold or {}).get("value")
    parts = (row.rule, words.group(row.group), _period(row, words))
    title = " · ".join(part for part in parts if part)
    svg = charts.trend_svg(
        {words.group(row.group): points}, target, share, title, words.label("target")
    )
    return title, svg
