"""Rows from the engine into cells: counts, exclusion reasons and failing records per group and period.

A record counts in two cells: the pooled one (every group, the whole audit
period) and its own (its group and sub-period), when that differs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..findings import Counts

Cell = tuple[tuple[Any, ...], str]  # (group values, period label)


@dataclass
class Tally:
    whole: str  # the audit period's label: the pooled cell's period
    ngroups: int
    counts: dict[Cell, Counts] = field(default_factory=lambda: defaultdict(Counts))
    reasons: dict[Cell, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    #: per cell, its failing records: (key, value, detail, (source id, line)), one tuple
    #: shared by the pooled cell and the record's own
    failing: dict[Cell, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    steps: dict[Cell, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    ledger: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: whether a failure's note names a step ("resolved: late") to count breaches by
    by_step: bool = False

    @property
    def pooled(self) -> Cell:
        return ((), self.whole)

    def cells_of(self, group: tuple[Any, ...], period: str) -> list[Cell]:
        """The cells a record's counts go to: the pooled one, and its own."""
        own = (group, period)
        return [self.pooled] if own == self.pooled else [self.pooled, own]

    def _split(self, row: tuple[Any, ...]) -> tuple[list[Cell], tuple[Any, ...]]:
        group, period = tuple(row[: self.ngroups]), row[self.ngroups]
        return self.cells_of(group, period), row[self.ngroups + 1 :]

    def add_counts(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows of (groups..., period, outcome, exclusion reason, count)."""
        for row in rows:
            cells, (outcome, reason, count) = self._split(row)
            if outcome.startswith("excluded:"):
                outcome, reason = "excluded", outcome.split(":", 1)[1]
            for cell in cells:
                counted = self.counts[cell]
                if outcome in ("conform", "valid"):
                    counted.conforming += count
                elif outcome == "breach":
                    counted.breached += count
                elif outcome == "pending":
                    counted.pending += count
                else:
                    counted.excluded += count
                    self.reasons[cell][reason] += count

    def add_listing(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows of (groups..., period, key, value, detail, status, source id, line)."""
        width = self.ngroups + 1
        places: dict[tuple[Any, ...], list[Cell]] = {}  # (groups..., period) -> its cells
        for row in rows:
            key, value, detail, status, source, line = row[width:]
            if status == "breach":
                item = (str(key), value, detail, (source, line))
                place = row[:width]
                cells = places.get(place)
                if cells is None:
                    cells = places[place] = self.cells_of(tuple(place[:-1]), place[-1])
                stepped = self.by_step and detail and ": " in detail  # the deciding step
                for cell in cells:
                    self.failing[cell].append(item)
                    if stepped:
                        self.steps[cell][detail] += 1
            else:
                reason = status.split(":", 1)[1] if status.startswith("excluded:") else status
                self.ledger[reason].append(str(key))

    def ordered(self, cells: set[Cell] | list[Cell], labels: list[str]) -> list[Cell]:
        """The pooled cell first, then by group values and sub-period order."""
        others = sorted(
            (c for c in set(cells) if c != self.pooled),
            key=lambda c: (
                tuple("" if v is None else str(v) for v in c[0]),
                labels.index(c[1]) if c[1] in labels else 0,
            ),
        )
        return [self.pooled, *others]

    def ledger_entries(self, rule_id: str) -> list[dict[str, Any]]:
        return [
            {"rule": rule_id, "reason": reason, "count": len(keys), "keys": sorted(keys)}
            for reason, keys in sorted(self.ledger.items())
        ]
