"""``sequence``: ordered events per key, each step within a bound of an earlier one.

A case is the events sharing a key. The first event of each step counts (a
repeated event is ignored). For each later step, in order:

- it happened before the step it follows: **out of order** (a breach);
- it happened later than its bound after its origin step: **late**, by the overrun;
- it has not happened by the period end and its bound has passed: **missing**, by the overrun;
- it has not happened and its bound has not passed: the case is **pending**.

A case with any breach is breached, and the first breach in step order is the
one reported; otherwise a case with a step still to come is pending; a case
with every step in time is met. The case's groups, sub-period and exclusions
are those of its (earliest) first-step event, but a case with any event from a file that
had no column for its key, step or time field is excluded with that reason
(``no column for FIELD in its file``), before the rule's exclusions: where that
event falls in the case is unknown. A case without its first step is excluded
from the rate; it falls in the (sub-)period and the groups of its earliest event,
of any step (of events at the same time, the first by file, then line), so one
that started outside the audit period is out of scope, not excluded.
Bounds are in wall time, or in business time when the rule names a calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..errors import closest_name
from ..expression import quote_identifier as q
from ..sourcemap import YamlList, YamlMap, read_text
from ..units import Duration
from . import register
from .base import ComparedValue, RecordMeasure
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..business_time import CalendarTable
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind


@dataclass(frozen=True)
class SequenceStep:
    """One step of a sequence: its name, and how soon after an earlier step it must happen."""

    name: str
    within: Duration | None = None
    after: str | None = None  # the step the bound counts from; default the previous one


@register
@dataclass(frozen=True)
class SequenceMeasure(RecordMeasure):
    """Ordered events per key with time bounds ("received, then acknowledged within 24 h ...")."""

    key: str  # field that groups events into one case
    step: str  # field that names the step of an event
    at: str  # event time
    steps: tuple[SequenceStep, ...]
    calendar: str | None = None
    name: ClassVar[str] = "sequence"
    notes_name_steps: ClassVar[bool] = True
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "流程时限:每个案件的各步骤须在其起算步骤之后的时限内发生;迟到按超出时长计,期末仍未发生且已超时限的为缺失,早于前一步骤的为顺序错误。",
        "en": "sequences: each step of a case must happen within its bound after the step it counts from; a late step is reported with its overrun, a step not done by the period end after its bound has passed is missing, one before the step it follows is out of order.",
    }
    live_rule: ClassVar[str | None] = "auditor.live.sequence:SequenceRule"

    def origin(self, index: int) -> int:
        """Index of the step that step ``index``'s bound counts from."""
        step = self.steps[index]
        if step.after is None:
            return index - 1
        return next(i for i, s in enumerate(self.steps) if s.name == step.after)

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> SequenceMeasure | None:
        return read_sequence(cls, raw, key, ctx)

    def default_time(self) -> str | None:
        return self.at

    def fields(self) -> list[str]:
        return [self.key, self.step, self.at]

    def compared_values(self) -> list[ComparedValue]:
        return [ComparedValue(self.step, step.name, "step") for step in self.steps]

    def clock_spans(self, kind: EvidenceKind) -> list[tuple[str, tuple[str, ...], float | None]]:
        return [] if self.calendar is None else [(kind.name, (self.at,), None)]

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "business-seconds" if self.calendar else "seconds"

    def outcome_key(self, kind: EvidenceKind) -> tuple[str, ...]:
        """A case of events sharing the ``key`` field is judged, not one record."""
        return (self.key,)

    # ------------------------------------------------------------ SQL

    def records_sql(self, scope: Scope, sql: Sql) -> str:
        """One row per case: its key, groups, period, exclusion, outcome, overrun and deciding step."""
        window = scope.batch.window
        end = sql.value(window.end)
        cases = self._cases_sql(scope, sql)
        table = scope.batch.calendar_table(self.calendar) if self.calendar else None
        decided, waiting = self._judgements(sql, end, table)
        outcome = [f"WHEN c._t0 IS NULL THEN 'excluded:no {self.steps[0].name} step'"]
        # A breach anywhere is certain, so breaches (first in step order) come before pending steps.
        outcome.extend(f"WHEN {cond} THEN 'breach'" for cond, _, _ in decided)
        outcome.extend(waiting)
        detail = " ".join(f"WHEN {cond} THEN {sql.value(text)}" for cond, text, _ in decided)
        overrun = " ".join(f"WHEN {cond} THEN {value}" for cond, _, value in decided)
        # A case starts at its first step; one without it, at its earliest event (of any step).
        start = "COALESCE(c._t0, c._ts)"
        period = scope.period_sql(sql, start)
        groups = "".join(f", c.{name}" for name in scope.group_names())
        return (
            f"SELECT c._key AS _key{groups}, {period} AS _period, c._src AS _src, c._ln AS _ln, "
            f"c._excluded AS _excluded, "
            f"CASE {' '.join(outcome)} ELSE 'conform' END AS _outcome, "
            f"CASE {overrun} END AS _value, CASE {detail} END AS _detail FROM ({cases}) AS c "
            f"WHERE {start} >= {sql.value(window.start)} AND {start} < {end}"
        )

    def _cases_sql(self, scope: Scope, sql: Sql) -> str:
        """Events grouped into cases: each step's earliest time, the case's earliest event time;
        groups of the case's starting event; exclusion for a file without a column of any event,
        else the first step's."""
        step_col, at_col = f"t.{q(self.step)}", f"t.{q(self.at)}"
        names = [sql.value(step.name) for step in self.steps]
        firsts = ", ".join(
            f"MIN(CASE WHEN {step_col} = {name} THEN {at_col} END) AS _t{i}"
            for i, name in enumerate(names)
        )
        first_step = f"{step_col} = {names[0]}"
        groups = "".join(
            f", MIN(CASE WHEN t._start = 1 THEN t.{q(g)} END) AS {q('_g_' + g)}"
            for g in scope.group_by
        )
        own = f"MIN(CASE WHEN {first_step} THEN {scope.rule_exclusion_sql(sql)} END)"
        unread = scope.unread_sql(sql)
        excluded = own if unread is None else f"COALESCE(MIN({unread}), {own})"
        return (
            f"SELECT CAST(t.{q(self.key)} AS TEXT) AS _key, {firsts}, MIN({at_col}) AS _ts{groups}, "
            f"{excluded} AS _excluded, "
            f"MIN(CASE WHEN {first_step} THEN t._source END) AS _src, "
            f"MIN(CASE WHEN {first_step} THEN t._line END) AS _ln "
            f"FROM ({self._events_sql(scope, sql)}) AS t GROUP BY t.{q(self.key)}"
        )

    def _events_sql(self, scope: Scope, sql: Sql) -> str:
        """The rule's events, each with ``_start`` 1 for its case's starting event: its earliest
        first-step event, else (a case without its first step) its earliest event of any step;
        of events at the same time, the first by file, then line."""
        step_col, at_col = f"t.{q(self.step)}", f"t.{q(self.at)}"
        rank = (
            f"CASE WHEN {at_col} IS NULL THEN 2 "
            f"WHEN {step_col} = {sql.value(self.steps[0].name)} THEN 0 ELSE 1 END"
        )
        where = f" WHERE {scope.filter_sql(sql)}" if scope.rule.where is not None else ""
        return (
            f"SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.{q(self.key)} "
            f"ORDER BY {rank}, {at_col}, t._source, t._line) AS _start "
            f"FROM {q(scope.kind.name)} AS t{where}"
        )

    def _judgements(
        self, sql: Sql, end: str, table: CalendarTable | None
    ) -> tuple[list[tuple[str, str, str]], list[str]]:
        """(condition, detail, overrun) of each possible breach in step order; the pending tests."""

        def span(a: str, b: str) -> str:
            if table is None:
                return f"({b} - {a})"
            return f"({table.cumulative_sql(b)} - {table.cumulative_sql(a)})"

        def seen(i: int) -> str:  # the step happened by the period end
            return f"(c._t{i} IS NOT NULL AND c._t{i} <= {end})"

        decided: list[tuple[str, str, str]] = []
        waiting: list[str] = []
        for i, step in enumerate(self.steps[1:], start=1):
            before = f"{seen(i)} AND {seen(i - 1)} AND c._t{i} < c._t{i - 1}"
            decided.append((before, f"{step.name}: out of order", "NULL"))
            waiting.append(f"WHEN NOT {seen(i)} THEN 'pending'")
            if step.within is None:
                continue
            limit = sql.value(step.within.seconds)
            origin = f"c._t{self.origin(i)}"
            done, still_open = span(origin, f"c._t{i}"), span(origin, end)
            decided.append(
                (f"{seen(i)} AND {done} > {limit}", f"{step.name}: late", f"{done} - {limit}")
            )
            decided.append(
                (
                    f"NOT {seen(i)} AND {still_open} > {limit}",
                    f"{step.name}: missing",
                    f"{still_open} - {limit}",
                )
            )
        return decided, waiting


def read_sequence(
    cls: type[SequenceMeasure], raw: YamlMap, key: str, ctx: RuleContext
) -> SequenceMeasure | None:
    """The checked sequence: case key, step field, time and ordered steps with their bounds."""
    spec = measure_map(raw, key, ctx, ("key", "step", "at", "steps", "calendar"))
    if spec is None:
        return None
    case_key = ctx.field(spec, "key", ())
    step_field = ctx.field(spec, "step", ("string", "enum"))
    at = ctx.field(spec, "at", ("timestamp", "date"))
    calendar = ctx.calendar(spec)
    items = spec.get("steps")
    if not isinstance(items, YamlList) or len(items) < 2:
        ctx.error(
            "a sequence needs 'steps': at least two, in order",
            spec.where("steps") if "steps" in spec else spec.start,
        )
        return None
    allowed: tuple[str, ...] = ()
    if ctx.kind is not None and step_field in ctx.kind.fields:
        allowed = ctx.kind.fields[step_field].values
    steps: list[SequenceStep] = []
    for index, item in enumerate(items):
        step = _read_step(item, index, items, steps, ctx, (step_field or "", allowed))
        if step is not None:
            steps.append(step)
    if case_key is None or step_field is None or at is None or len(steps) != len(items):
        return None
    return cls(case_key, step_field, at, tuple(steps), calendar)


def _read_step(
    item: object,
    index: int,
    items: YamlList,
    earlier: list[SequenceStep],
    ctx: RuleContext,
    field: tuple[str, tuple[str, ...]],
) -> SequenceStep | None:
    """One step: a name, or ``{name, within, after}``, checked against the steps before it."""
    step_field, allowed = field
    where = items.where(index)
    item_map = item if isinstance(item, YamlMap) else None
    if item_map is not None:
        ctx.unknown_keys(item_map, ("name", "within", "after"), "sequence step")
        name = read_text(item_map, "name", ctx.error)
        if name is None:
            return None
    elif isinstance(item, str):
        name = item
    else:
        ctx.error("each step is a name or {name, within, after}", where)
        return None
    if not name:
        ctx.error("a sequence step needs a 'name'", where)
        return None
    if allowed and name not in allowed:
        ctx.error(
            f"step '{name}' is not a value of {step_field} (values: {', '.join(allowed)})",
            where,
            suggestion=closest_name(name, allowed),
        )
    within = ctx.duration(item_map, "within") if item_map and "within" in item_map else None
    after = None
    if item_map is not None and "after" in item_map:
        after = read_text(item_map, "after", ctx.error)
        names = [s.name for s in earlier]
        if after is not None and after not in names:
            ctx.error(
                f"step '{name}' counts from '{after}', which is not an earlier step",
                item_map.where("after"),
                suggestion=closest_name(after, names),
            )
    if index == 0 and (within is not None or after is not None):
        ctx.error("the first step starts the sequence and takes no 'within' or 'after'", where)
    if any(s.name == name for s in earlier):
        ctx.error(f"step '{name}' is listed twice", where)
    return SequenceStep(name, within, after)
