"""The status of the previous audit's findings: what is new, resolved, recurring or worsened.

Built from :func:`auditor.diff.diff_findings`, with a small chart of each
recurring or worsened rule's value over the two audits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..diff import CLASSES, Change, Row, Side, diff_findings
from ..findings import sentences
from ..findings.contract import FindingEntry, FindingsDocument, RuleEntry, Unit
from ..formatting import pair_texts
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
    before, after = _Values(old, words), _Values(new, words)
    return PreviousView(
        old_period=old.manifest.parameters.period.label,
        rows=[_row(row, before, after, words) for row in rows],
        counts=counts,
        charts=[
            _chart(row, words) for row in rows if row.change in (Change.RECURRING, Change.WORSENED)
        ],
    )


class _Values:
    """The values of one audit's findings as the report writes them, in its language and
    units (``5.27 天``), by finding id."""

    def __init__(self, document: FindingsDocument, words: Words) -> None:
        self.words = words
        self.entries: dict[str, tuple[FindingEntry, RuleEntry]] = {
            finding.id: (finding, rule) for rule in document.rules for finding in rule.findings
        }

    def value(self, side: Side | None, also: Sequence[float] = ()) -> str:
        """The side's value (``5.27 天``), keeping its side of each figure in ``also``."""
        if side is None:
            return ""
        finding, rule = self.entries[side.id]
        return sentences.value(finding, rule, self.words, also)

    def side(self, side: Side | None, value: str) -> str:
        """The side's verdict and ``value``: ``一般不符合 · 5.27 天``; ``–`` for none."""
        if side is None:
            return "–"
        return f"{self.words.verdict(side.verdict, side.severity)} · {value}"


def _period(row: Row, words: Words) -> str:
    """The part of the audit period the row is of, ``2026-W31 (1–2 Aug)``, each side's for a
    group's nonconformity found in other parts (``2026-07 → 2026-11``); "" for a row of
    whole-period findings."""
    return row.spans_text(words)


def _row(row: Row, old: _Values, new: _Values, words: Words) -> PreviousRow:
    before, after = pair_texts(  # two values that differ read apart (95.50 % → 95.46 %)
        row.old.value if row.old else None,
        row.new.value if row.new else None,
        partial(old.value, row.old),
        partial(new.value, row.new),
    )
    return PreviousRow(
        rule=row.rule,
        group=words.group(row.group),
        period=_period(row, words),
        before=old.side(row.old, before),
        after=new.side(row.new, after),
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
