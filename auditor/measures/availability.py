"""``availability``: the share of a calendar's open time in the period not covered by an outage.

Each outage record is an interval (``from`` to ``to``; with no ``to`` it is
still open and runs to the period end). Outages overlapping the audit period
are read whenever they started, clipped to the period and counted in open
seconds of ``calendar`` (its opening hours, holidays excluded; wall time
without one); overlapping outages are merged, so no moment counts twice.

    availability = 1 - (open seconds covered by the union of outages) / (open seconds of the period)

Each group (``group_by``) merges its own outages against the whole period's
open time; the pooled figure merges every outage in scope. The figure is over
the whole audit period: the rule takes no ``period`` split. The outages
listed are those that took open time, with the open seconds each covered
(before merging).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..expression import quote_identifier as q
from . import register
from .base import AggregateMeasure, Figure, number
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap
    from ..units import Threshold

#: the exclusion of an outage whose end is before its start
BACKWARDS = "ends before it starts (data error)"


@register
@dataclass(frozen=True)
class AvailabilityMeasure(AggregateMeasure):
    start: str
    end: str
    calendar: str | None = None
    name: ClassVar[str] = "availability"
    default_min_records: ClassVar[int | None] = 1
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "可用率 = 1 − 停机覆盖的营业时间(重叠的停机合并计一次,截至审核期间与营业时间,"
        "未结束的停机计至期末)/ 审核期间的营业时间(按工作日历,节假日除外)。",
        "en": "availability = 1 − open time covered by outages (overlapping outages merged, clipped "
        "to the period and to opening hours, an outage with no end running to the period end) / "
        "open time of the period (by the calendar, holidays excluded).",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> AvailabilityMeasure | None:
        spec = measure_map(raw, key, ctx, ("from", "to", "calendar"))
        if spec is None:
            return None
        start = ctx.field(spec, "from", ("timestamp",))
        end = ctx.field(spec, "to", ("timestamp",))
        calendar = ctx.calendar(spec)
        if raw.get("period", "all") != "all":
            ctx.error(
                "an availability rule is judged over the whole audit period: remove 'period' "
                "(split by group_by instead)",
                raw.where("period"),
            )
            return None
        if "time" in raw:
            ctx.error(
                "an availability rule places an outage in the period by its from/to interval "
                "(any outage overlapping the period), not by 'time': remove 'time'",
                raw.where("time"),
            )
            return None
        if start is None or end is None:
            return None
        return cls(start, end, calendar)

    def default_time(self) -> str | None:
        return self.start

    def fields(self) -> list[str]:
        return [self.start]

    def clock_spans(self, kind: EvidenceKind) -> list[tuple[str, tuple[str, ...], float | None]]:
        # outages are clipped to the period: the clock need cover the period only
        return [] if self.calendar is None else [(kind.name, (self.start,), 0.0)]

    def value_unit(self, kind: EvidenceKind) -> str:
        return "share"

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "business-seconds" if self.calendar else "seconds"

    # ------------------------------------------------------------ SQL

    def window_sql(self, scope: Scope, sql: Sql, alias: str) -> str | None:
        window = scope.batch.window
        start, end = f"{alias}.{q(self.start)}", f"{alias}.{q(self.end)}"
        return (
            f"{start} < {sql.value(window.end)} "
            f"AND ({end} IS NULL OR {end} > {sql.value(window.start)})"
        )

    def _clock(self, scope: Scope, moment: str) -> str:
        """Open seconds (or wall seconds) up to ``moment``."""
        if self.calendar is None:
            return moment
        return scope.batch.calendar_table(self.calendar).cumulative_sql(moment)

    def _bounds(self, scope: Scope, sql: Sql) -> tuple[str, str]:
        """The outage's clock readings at its start and end, both clipped to the period."""
        window = scope.batch.window
        low, high = sql.value(window.start), sql.value(window.end)
        start, end = f"t.{q(self.start)}", f"COALESCE(t.{q(self.end)}, {high})"
        clipped_start = f"(CASE WHEN {start} > {low} THEN {start} ELSE {low} END)"
        clipped_end = f"(CASE WHEN {end} < {high} THEN {end} ELSE {high} END)"
        return self._clock(scope, clipped_start), self._clock(scope, clipped_end)

    def value_sql(self, scope: Scope, sql: Sql) -> str:
        a, b = self._bounds(scope, sql)
        return f"({b} - {a})"

    def invalid_sql(self, value: str, sql: Sql) -> str:
        return (
            f"CASE WHEN t.{q(self.end)} IS NOT NULL AND t.{q(self.end)} < t.{q(self.start)} "
            f"THEN '{BACKWARDS}' END"
        )

    def columns_sql(self, scope: Scope, sql: Sql) -> str:
        a, b = self._bounds(scope, sql)
        window = scope.batch.window
        whole = f"({self._clock(scope, sql.value(window.end))} - {self._clock(scope, sql.value(window.start))})"
        return f", {a} AS _a, {b} AS _b, {whole} AS _open"

    def cell_sql(self, sql: Sql, partition: str) -> tuple[str, list[str]]:
        # The sweep over outages in order of start: each adds what it reaches beyond every
        # earlier one (_reach, the furthest end before it), so the sum is the union's length.
        reach = (
            f", MAX(_b) OVER ({partition} ORDER BY _a, _key "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS _reach"
        )
        low = "(CASE WHEN _reach > _a THEN _reach ELSE _a END)"
        covered = f"SUM(CASE WHEN _b > {low} THEN _b - {low} ELSE 0 END)"
        return reach, ["COUNT(*)", covered, "MAX(_open)"]

    def failing_sql(self, threshold: Threshold, sql: Sql) -> str:
        return "_value > 0"

    def figure(self, summary: tuple[Any, ...]) -> Figure:
        n, down, open_ = int(summary[0]), float(summary[1] or 0), float(summary[2] or 0)
        value = 1.0 - down / open_ if open_ > 0 else 1.0
        return Figure(value, None, {"n": n, "down_seconds": down, "open_seconds": open_})

    def contribution(self, value: Any, kind: EvidenceKind, place: dict[str, Any]) -> str:
        return (
            f"the outage covers {number(value)} s of {self._clock_name()} in the period "
            "(before overlapping outages are merged)"
        )

    def arithmetic(self, figure: Figure) -> str:
        details = figure.details or {}
        down, open_ = details["down_seconds"], details["open_seconds"]
        return (
            f"availability = 1 - down / open = 1 - {number(down)} s / {number(open_)} s "
            f"= {figure.value:.6g} (down: the {self._clock_name()} covered by the cell's "
            f"outages, n = {details['n']}, overlaps merged)"
        )

    def listed_because(self, value: Any, kind: EvidenceKind, threshold: Threshold) -> str:
        return f"it took {self._clock_name()} (an availability rule lists the outages that did)"

    def _clock_name(self) -> str:
        return "wall time" if self.calendar is None else f"open time of calendar {self.calendar}"
