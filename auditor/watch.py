"""Live monitoring: the pack's rules evaluated by durable_rules as events arrive.

Each input line is a JSON object: an evidence record with ``"kind"`` naming its
evidence kind (``{"kind": "interactions", "interaction_id": ...}``). Records
are typed exactly as the ingest types them. Per-record duration and condition
rules and sequence rules are watched; aggregate, freshness and manual rules are
batch-only.

Time is event time: the watermark is the latest time seen in any record, or
the wall clock with ``clock="wall"``. A record still open when the watermark
passes its deadline, and a sequence step still missing when its bound has
passed, are breaches the moment that is certain; an alert is written then. At
the end of the stream every open record and case is judged once more at the
final watermark, so the per-key verdicts are those a batch audit of the same
records gives for a period ending at that moment.

Keys: the first record of a key is the one judged (a later record with the
same key is counted as a duplicate), as in the evidence store. In a sequence
the earliest event of each step counts.
"""

from __future__ import annotations

import heapq
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import expression as ex
from . import rules_engine as dr
from .business_time import BusinessClock
from .convert import BadValue, RowPlan
from .errors import AuditorError
from .mapping import auto_mapping
from .measures.condition import ConditionMeasure
from .measures.duration import DurationMeasure
from .measures.sequence import SequenceMeasure
from .model import EvidenceKind, Pack, Rule

Alert = dict[str, Any]
Sink = Callable[[Alert], None]


# ------------------------------------------------------------ expressions to engine conditions


class Compiler:
    """Our checked AST as durable_rules conditions, with SQL's three-valued logic.

    ``true(e)`` holds exactly when ``e`` is true; ``false(e)`` exactly when it
    is false; neither when a value it needs is missing (unknown). Arithmetic is
    worked out beforehand into ``x_N`` fields of the message (absent when a
    value is missing), so the engine only compares.
    """

    def __init__(self, schema: dict[str, ex.FieldType] | None = None) -> None:
        self.schema = schema or {}
        #: expressions worked out before posting: arithmetic, and comparisons of two fields
        self.derived: list[ex.Expr] = []

    def field_of(self, expr: ex.Expr) -> str | None:
        if isinstance(expr, ex.Field):
            return "f_" + expr.name
        if isinstance(expr, ex.Arith):
            return self._derive(expr)
        return None

    def _derive(self, expr: ex.Expr) -> str:
        if expr not in self.derived:
            self.derived.append(expr)
        return f"x_{self.derived.index(expr)}"

    def true(self, expr: ex.Expr) -> dr.Condition:
        return self._cond(expr, True)

    def false(self, expr: ex.Expr) -> dr.Condition:
        return self._cond(expr, False)

    def _cond(self, expr: ex.Expr, want: bool) -> dr.Condition:
        if isinstance(expr, ex.Not):
            return self._cond(expr.operand, not want)
        if isinstance(expr, ex.BoolOp):
            parts = [self._cond(o, want) for o in expr.operands]
            conjunction = (expr.op == "and") == want
            return dr.all_of(*parts) if conjunction else dr.any_of(*parts)
        if isinstance(expr, ex.Field):  # a boolean field used as a condition
            name = "f_" + expr.name
            return dr.all_of(dr.exists(name), dr.equals(name, 1 if want else 0))
        if isinstance(expr, ex.IsNull):
            operand = self.field_of(expr.operand)
            if operand is None:  # a literal is never null
                return {"$ex": {"_never_": 1}} if expr.negated != want else {"$nex": {"_never_": 1}}
            present = dr.exists(operand)
            absent = dr.missing(operand)
            holds_when_null = not expr.negated
            return (
                (absent if holds_when_null else present)
                if want
                else (present if holds_when_null else absent)
            )
        if isinstance(expr, ex.In):
            member_of = self.field_of(expr.operand)
            assert member_of is not None
            values = [ex.sql_value(v.value) for v in expr.values]
            member = dr.any_of(*(dr.equals(member_of, v) for v in values))
            outside = dr.all_of(*(dr.compare("!=", member_of, v) for v in values))
            inside = member if (want != expr.negated) else outside
            return dr.all_of(dr.exists(member_of), inside)
        if isinstance(expr, ex.Compare):
            return self._compare(expr, want)
        raise AuditorError(f"'{ex.to_text(expr)}' cannot be watched as a condition")

    def _compare(self, expr: ex.Compare, want: bool) -> dr.Condition:
        op = expr.op
        if not want:
            op = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}[op]
        left, right = self.field_of(expr.left), self.field_of(expr.right)
        if left is None and right is None:  # literal against literal: worked out now
            holds = ex.holds(ex.Compare(op, expr.left, expr.right), {})
            return {"$nex": {"_never_": 1}} if holds else {"$ex": {"_never_": 1}}
        if left is None:  # put the field on the left
            swapped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            left, right, op = right, left, swapped
            other = expr.left
        else:
            other = expr.right
        assert left is not None
        if right is None:
            assert isinstance(other, ex.Literal)
            return dr.all_of(dr.exists(left), dr.compare(op, left, ex.sql_value(other.value)))
        # Two fields: the engine cannot compare two fields of one message, so the
        # difference (numbers, times) or the comparison itself (texts) is worked out first.
        if self._numeric(expr.left) and self._numeric(expr.right):
            difference = self._derive(ex.Arith("-", expr.left, expr.right))
            return dr.all_of(dr.exists(difference), dr.compare(op, difference, 0))
        flag = self._derive(ex.Compare(op, expr.left, expr.right))
        return dr.all_of(dr.exists(flag), dr.equals(flag, 1))

    def _numeric(self, expr: ex.Expr) -> bool:
        if isinstance(expr, ex.Arith):
            return True
        if isinstance(expr, ex.Field):
            spec = self.schema.get(expr.name)
            return spec is not None and spec.type in (
                "integer",
                "number",
                "timestamp",
                "date",
                "duration",
            )
        return False

    def message_values(self, record: dict[str, Any]) -> dict[str, Any]:
        """``x_N`` values for the arithmetic in the conditions (absent when unknown)."""
        out = {}
        for index, derived in enumerate(self.derived):
            value = ex.evaluate(derived, record)
            if value is not None:
                out[f"x_{index}"] = int(value) if isinstance(value, bool) else value
        return out


# ------------------------------------------------------------ clocks


class Clocks:
    """Business clocks of the pack's calendars, grown to cover the moments asked about."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.zone = ZoneInfo(pack.timezone)
        self.clocks: dict[str, BusinessClock] = {}

    def between(self, calendar: str | None, start: float, end: float) -> float:
        if calendar is None:
            return end - start
        return self.clock(calendar, min(start, end), max(start, end)).seconds_between(start, end)

    def clock(self, name: str, low: float, high: float) -> BusinessClock:
        first = datetime.fromtimestamp(low, self.zone).date() - timedelta(days=1)
        last = datetime.fromtimestamp(high, self.zone).date() + timedelta(days=1)
        current = self.clocks.get(name)
        if current is None or current.first > first or current.last < last:
            if current is not None:
                first, last = min(first, current.first), max(last, current.last)
            # Grow in whole months to avoid rebuilding for every new day.
            first = date(first.year, first.month, 1)
            last = _month_end(last)
            current = BusinessClock(self.pack.calendars[name], self.zone, first, last)
            self.clocks[name] = current
        return current


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


# ------------------------------------------------------------ watched rules


def _iso(moment: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(moment, zone).isoformat()


@dataclass
class RecordRule:
    """A per-record duration or condition rule in the engine."""

    rule: Rule
    kind: EvidenceKind
    watcher: Watcher
    ruleset: dr.LiveRuleset = field(init=False)
    compiler: Compiler = field(init=False)
    needed: list[str] = field(init=False)
    outcomes: dict[str, str] = field(default_factory=dict)
    open: dict[str, float] = field(default_factory=dict)  # key -> start of a record still open
    deadlines: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.compiler = Compiler(self.kind.schema)
        rules: dict[str, tuple[dr.Condition, dr.Action]] = {}
        c = self.compiler
        record = dr.equals("t", "record")
        guard: list[dr.Condition] = [record]
        if self.rule.where is not None:
            rules["out_of_scope"] = (
                dr.all_of(record, dr.complement(c.true(self.rule.where))),
                self._set("out"),
            )
            guard.append(c.true(self.rule.where))
        for index, exclusion in enumerate(self.rule.exclusions):
            holds = c.true(exclusion.condition)
            rules[f"excluded_{index}"] = (dr.all_of(*guard, holds), self._set("excluded"))
            guard.append(dr.complement(holds))
        measure = self.rule.measure
        if isinstance(measure, ConditionMeasure):
            ok = c.true(measure.condition)
            rules["conform"] = (dr.all_of(*guard, ok), self._set("conform"))
            rules["breach"] = (dr.all_of(*guard, dr.complement(ok)), self._breach)
        else:
            assert isinstance(measure, DurationMeasure)
            limit = measure.limit.seconds
            rules["no_start"] = (dr.all_of(*guard, dr.missing("d_start")), self._set("excluded"))
            has = dr.all_of(*guard, dr.exists("d_start"), dr.exists("d_elapsed"))
            rules["negative"] = (
                dr.all_of(has, dr.compare("<", "d_elapsed", 0)),
                self._set("excluded"),
            )
            rules["conform"] = (
                dr.all_of(
                    has, dr.compare(">=", "d_elapsed", 0), dr.compare("<=", "d_elapsed", limit)
                ),
                self._set("conform"),
            )
            rules["breach"] = (dr.all_of(has, dr.compare(">", "d_elapsed", limit)), self._breach)
            rules["open"] = (
                dr.all_of(*guard, dr.exists("d_start"), dr.missing("d_elapsed")),
                self._opened,
            )
            deadline = dr.equals("t", "deadline")
            rules["overdue"] = (
                dr.all_of(deadline, dr.compare(">", "d_open", limit)),
                self._overdue,
            )
            rules["not_yet"] = (
                dr.all_of(deadline, dr.compare("<=", "d_open", limit)),
                self._set("pending"),
            )
        name = f"auditor-{self.watcher.run}-{self.rule.id}"
        self.ruleset = dr.LiveRuleset(name, rules)
        # Only the fields the rule's conditions read travel in its messages.
        used: set[str] = set()
        for expr in (
            self.rule.where,
            *(e.condition for e in self.rule.exclusions),
            getattr(measure, "condition", None),
        ):
            if expr is not None:
                used |= ex.fields_of(expr)
        self.needed = sorted(used)

    # actions (they run inside post)
    def _set(self, outcome: str) -> dr.Action:
        def action(message: dict[str, Any]) -> None:
            self._outcome(message["k"], outcome)

        return action

    def _outcome(self, key: str, outcome: str) -> None:
        if self.watcher.remember or outcome == "pending":
            self.outcomes[key] = outcome
        else:
            self.outcomes.pop(key, None)

    def _breach(self, message: dict[str, Any]) -> None:
        key = message["k"]
        self._outcome(key, "breach")
        measure = self.rule.measure
        if isinstance(measure, DurationMeasure):
            over = message["d_elapsed"] - measure.limit.seconds
            what = f"{measure.end} {message['d_elapsed']:.0f} s after {measure.start}, limit {measure.limit}"
            self.watcher.alert(self.rule, key, what, over, message["d_end"])
        else:
            self.watcher.alert(self.rule, key, "condition not met", None, message["d_time"])

    def _opened(self, message: dict[str, Any]) -> None:
        key = message["k"]
        self.outcomes[key] = "pending"
        self.open[key] = message["d_start"]
        measure = self.rule.measure
        assert isinstance(measure, DurationMeasure)
        due = self.watcher.due(measure.calendar, message["d_start"], measure.limit.seconds)
        heapq.heappush(self.deadlines, (due, key))

    def _overdue(self, message: dict[str, Any]) -> None:
        key = message["k"]
        self._outcome(key, "breach")
        self.open.pop(key, None)
        measure = self.rule.measure
        assert isinstance(measure, DurationMeasure)
        over = message["d_open"] - measure.limit.seconds
        what = f"no {measure.end} yet, {message['d_open']:.0f} s after {measure.start}; limit {measure.limit}"
        self.watcher.alert(self.rule, key, what, over, message["d_now"])

    # feeding
    def record(self, key: str, record: dict[str, Any]) -> None:
        message: dict[str, Any] = {"t": "record", "k": key}
        for name in self.needed:
            value = record[name]
            if value is not None:
                message["f_" + name] = value
        if self.compiler.derived:
            message.update(self.compiler.message_values(record))
        measure = self.rule.measure
        time_field = self.rule.time or self.kind.time
        if time_field and record.get(time_field) is not None:
            message["d_time"] = record[time_field]
        if isinstance(measure, DurationMeasure):
            start, end = record.get(measure.start), record.get(measure.end)
            if start is not None:
                message["d_start"] = start
                if end is not None and end <= self.watcher.horizon:
                    message["d_end"] = end
                    message["d_elapsed"] = self.watcher.clocks.between(measure.calendar, start, end)
        self.ruleset.post(message)

    def advance(self, watermark: float) -> None:
        """Judge open records whose deadline the watermark has passed."""
        measure = self.rule.measure
        while self.deadlines and self.deadlines[0][0] < watermark:
            _, key = heapq.heappop(self.deadlines)
            start = self.open.get(key)
            if start is None:
                continue
            assert isinstance(measure, DurationMeasure)
            elapsed = self.watcher.clocks.between(measure.calendar, start, watermark)
            self.ruleset.post({"t": "deadline", "k": key, "d_open": elapsed, "d_now": watermark})

    def finish(self, watermark: float) -> None:
        self.advance(watermark)
        measure = self.rule.measure
        for key, start in list(self.open.items()):
            assert isinstance(measure, DurationMeasure)
            elapsed = self.watcher.clocks.between(measure.calendar, start, watermark)
            self.ruleset.post({"t": "deadline", "k": key, "d_open": elapsed, "d_now": watermark})
            if self.outcomes.get(key) != "pending":
                self.open.pop(key, None)

    def verdicts(self) -> dict[str, str]:
        return {k: v for k, v in self.outcomes.items() if v != "out"}


@dataclass
class Case:
    times: dict[int, float] = field(default_factory=dict)  # step index -> earliest time
    alerted: set[tuple[int, str]] = field(default_factory=set)


@dataclass
class SequenceRule:
    """A sequence rule: the adapter keeps each case's step times; the engine judges each step."""

    rule: Rule
    kind: EvidenceKind
    watcher: Watcher
    ruleset: dr.LiveRuleset = field(init=False)
    cases: dict[str, Case] = field(default_factory=dict)
    deadlines: list[tuple[float, str, int]] = field(default_factory=list)
    judged: dict[str, set[tuple[int, str]]] = field(default_factory=dict)
    compiler: Compiler = field(init=False)

    def __post_init__(self) -> None:
        self.compiler = Compiler(self.kind.schema)
        measure = self.rule.measure
        assert isinstance(measure, SequenceMeasure)
        rules: dict[str, tuple[dr.Condition, dr.Action]] = {}
        step_msg, deadline = dr.equals("t", "step"), dr.equals("t", "deadline")
        for i, step in enumerate(measure.steps[1:], start=1):
            at = dr.equals("d_step", i)
            in_order = dr.equals("d_order", 0)
            rules[f"order_{i}"] = (
                dr.all_of(step_msg, at, dr.equals("d_order", 1)),
                self._judged("out of order"),
            )
            if step.within is None:
                rules[f"ok_{i}"] = (dr.all_of(step_msg, at, in_order), self._judged("ok"))
                rules[f"wait_{i}"] = (dr.all_of(deadline, at), self._judged("wait"))
                continue
            limit = step.within.seconds
            unknown = dr.missing("d_since")
            rules[f"late_{i}"] = (
                dr.all_of(
                    step_msg, at, in_order, dr.exists("d_since"), dr.compare(">", "d_since", limit)
                ),
                self._judged("late"),
            )
            rules[f"ok_{i}"] = (
                dr.all_of(
                    step_msg, at, in_order, dr.any_of(unknown, dr.compare("<=", "d_since", limit))
                ),
                self._judged("ok"),
            )
            rules[f"missing_{i}"] = (
                dr.all_of(deadline, at, dr.compare(">", "d_open", limit)),
                self._judged("missing"),
            )
            rules[f"wait_{i}"] = (
                dr.all_of(deadline, at, dr.compare("<=", "d_open", limit)),
                self._judged("wait"),
            )
        if self.rule.where is not None:
            # The filter applies to events: those outside it are consumed by one rule and dropped.
            event = dr.equals("t", "event")
            rules["event_out"] = (
                dr.all_of(event, dr.complement(self.compiler.true(self.rule.where))),
                lambda m: None,
            )
            rules["event_in"] = (dr.all_of(event, self.compiler.true(self.rule.where)), self._keep)
        name = f"auditor-{self.watcher.run}-{self.rule.id}"
        self.ruleset = dr.LiveRuleset(name, rules)
        self._kept: bool = False

    @property
    def measure(self) -> SequenceMeasure:
        assert isinstance(self.rule.measure, SequenceMeasure)
        return self.rule.measure

    def _keep(self, message: dict[str, Any]) -> None:
        self._kept = True

    def _judged(self, result: str) -> dr.Action:
        def action(message: dict[str, Any]) -> None:
            key, step = message["k"], message["d_step"]
            self.judged.setdefault(key, set()).add((step, result))
            if result in ("late", "missing", "out of order"):
                case = self.cases[key]
                if (step, result) not in case.alerted:
                    case.alerted.add((step, result))
                    name = self.measure.steps[step].name
                    over = message.get("d_since" if result == "late" else "d_open")
                    limit = self.measure.steps[step].within
                    by = (
                        None
                        if over is None or limit is None or result == "out of order"
                        else over - limit.seconds
                    )
                    self.watcher.alert(self.rule, key, f"{name}: {result}", by, message["d_now"])

        return action

    def record(self, key: str, record: dict[str, Any]) -> None:
        measure = self.measure
        names = [s.name for s in measure.steps]
        step_name, at = record.get(measure.step), record.get(measure.at)
        if step_name not in names or at is None:
            return
        if self.rule.where is not None:
            self._kept = False
            message: dict[str, Any] = {"t": "event", "k": key}
            message.update({"f_" + n: v for n, v in record.items() if v is not None})
            message.update(self.compiler.message_values(record))
            self.ruleset.post(message)
            if not self._kept:
                return
        case_key = str(record.get(measure.key))
        case = self.cases.setdefault(case_key, Case())
        index = names.index(step_name)
        earlier = case.times.get(index)
        if earlier is not None and earlier <= at:
            return  # a repeated step: the first counts
        case.times[index] = at
        self._judge_steps(case_key, case, at)
        self._schedule(case_key, case)
        if not self.watcher.remember and len(case.times) == len(measure.steps):
            del self.cases[case_key]  # every step seen: nothing more can happen to it
            self.judged.pop(case_key, None)

    def _judge_steps(self, key: str, case: Case, now: float) -> None:
        """Post every seen later step of the case with its order and time since its origin."""
        measure = self.measure
        self.judged.pop(key, None)
        for i in range(1, len(measure.steps)):
            t = case.times.get(i)
            if t is None or t > self.watcher.horizon:
                continue
            previous = case.times.get(i - 1)
            out_of_order = (
                previous is not None and previous <= self.watcher.horizon and t < previous
            )
            message: dict[str, Any] = {
                "t": "step",
                "k": key,
                "d_step": i,
                "d_order": int(out_of_order),
                "d_now": now,
            }
            origin = case.times.get(measure.origin(i))
            if origin is not None and origin <= self.watcher.horizon:
                message["d_since"] = self.watcher.clocks.between(measure.calendar, origin, t)
            self.ruleset.post(message)

    def _schedule(self, key: str, case: Case) -> None:
        measure = self.measure
        for i, step in enumerate(measure.steps[1:], start=1):
            origin = case.times.get(measure.origin(i))
            if step.within is None or i in case.times or origin is None:
                continue
            due = self.watcher.due(measure.calendar, origin, step.within.seconds)
            heapq.heappush(self.deadlines, (due, key, i))

    def _deadline(self, key: str, step: int, watermark: float) -> None:
        case = self.cases.get(key)
        if case is None:
            return
        measure = self.measure
        t = case.times.get(step)
        if t is not None and t <= watermark:
            return
        origin = case.times.get(measure.origin(step))
        if origin is None:
            return
        elapsed = self.watcher.clocks.between(measure.calendar, origin, watermark)
        self.ruleset.post(
            {"t": "deadline", "k": key, "d_step": step, "d_open": elapsed, "d_now": watermark}
        )

    def advance(self, watermark: float) -> None:
        while self.deadlines and self.deadlines[0][0] < watermark:
            _, key, step = heapq.heappop(self.deadlines)
            self._deadline(key, step, watermark)

    def finish(self, watermark: float) -> None:
        """Judge every case afresh at the final watermark."""
        self.deadlines.clear()
        measure = self.measure
        for key, case in self.cases.items():
            self._judge_steps(key, case, watermark)
            for i in range(1, len(measure.steps)):
                t = case.times.get(i)
                if (t is None or t > watermark) and measure.steps[i].within is not None:
                    self._deadline(key, i, watermark)

    def verdicts(self) -> dict[str, str]:
        measure = self.measure
        out = {}
        for key, case in self.cases.items():
            if 0 not in case.times:
                out[key] = "excluded"
                continue
            results = self.judged.get(key, set())
            if any(r in ("late", "missing", "out of order") for _, r in results):
                out[key] = "breach"
            elif any(
                case.times.get(i) is None or case.times[i] > self.watcher.horizon
                for i in range(1, len(measure.steps))
            ):
                out[key] = "pending"
            else:
                out[key] = "conform"
        return out


# ------------------------------------------------------------ the watcher


@dataclass
class WatchCounts:
    events: int = 0
    judged: int = 0
    duplicates: int = 0
    rejected: int = 0
    alerts: int = 0
    collisions: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class Watcher:
    """Feeds records to the pack's watched rules and writes alerts as they become certain."""

    def __init__(
        self,
        pack: Pack,
        sink: Sink,
        clock: str = "event",
        until: float | None = None,
        remember: bool = True,
        key_memory: int = 1_000_000,
    ) -> None:
        if clock not in ("event", "wall"):
            raise AuditorError(f"clock must be event or wall, not '{clock}'")
        self.pack = pack
        self.sink = sink
        self.clock = clock
        self.zone = ZoneInfo(pack.timezone)
        self.run = dr.run_number()
        self.clocks = Clocks(pack)
        self.watermark = float("-inf")
        self.horizon = (
            until if until is not None else float("inf")
        )  # ends later than this are not seen
        self.until = until
        self.counts = WatchCounts()
        self.plans: dict[str, RowPlan] = {}
        self.rules: list[RecordRule | SequenceRule] = []
        self.skipped: list[str] = []
        #: keep every key's verdict (for a report or a comparison); a long-running
        #: monitor keeps only what is still open, so its memory stays bounded
        self.remember = remember
        self.key_memory = key_memory
        self.seen_keys: dict[str, OrderedDict[str, None]] = {}
        for rule in pack.rules:
            kind = pack.evidence[rule.evidence]
            if isinstance(rule.measure, DurationMeasure | ConditionMeasure):
                self.rules.append(RecordRule(rule, kind, self))
            elif isinstance(rule.measure, SequenceMeasure):
                self.rules.append(SequenceRule(rule, kind, self))
            else:
                self.skipped.append(rule.id)
        self.by_kind: dict[str, list[RecordRule | SequenceRule]] = {}
        for watched in self.rules:
            self.by_kind.setdefault(watched.kind.name, []).append(watched)
        self.time_fields = {
            name: [f for f, spec in kind.fields.items() if spec.type in ("timestamp", "date")]
            for name, kind in pack.evidence.items()
        }

    def due(self, calendar: str | None, start: float, limit: float) -> float:
        """The moment ``limit`` seconds (wall or business) after ``start``."""
        if calendar is None:
            return start + limit
        clock = self.clocks.clock(calendar, start, start + max(limit * 4, 14 * 86400))
        target = clock.cumulative(start) + limit
        for stretch in clock.stretches:
            if stretch.before + (stretch.end - stretch.start) >= target and stretch.end > start:
                return stretch.start + (target - stretch.before)
        return clock.finish

    def alert(self, rule: Rule, key: str, what: str, by: float | None, moment: float) -> None:
        self.counts.alerts += 1
        self.sink(
            {
                "rule": rule.id,
                "clause": rule.clause,
                "key": key,
                "breach": what,
                "by_seconds": None if by is None else round(by, 3),
                "event_time": _iso(moment, self.zone),
            }
        )

    def _plan(self, kind: EvidenceKind) -> RowPlan:
        plan = self.plans.get(kind.name)
        if plan is None:
            from pathlib import Path

            plan = RowPlan(
                kind,
                auto_mapping(kind, list(kind.fields)),
                list(kind.fields),
                self.zone,
                Path("<stream>"),
                rows_are_dicts=True,
            )
            self.plans[kind.name] = plan
        return plan

    def _reject(self, reason: str) -> None:
        self.counts.rejected += 1
        self.counts.reasons[reason] = self.counts.reasons.get(reason, 0) + 1

    def feed(self, item: dict[str, Any]) -> None:
        """One input record."""
        self.counts.events += 1
        name = item.get("kind")
        kind = self.pack.evidence.get(str(name)) if name is not None else None
        if kind is None:
            self._reject(f"unknown kind {name!r}")
            return
        try:
            values = self._plan(kind).convert(item)
        except BadValue as exc:
            self._reject(f"{kind.name}.{exc.column}: {exc.reason}")
            return
        record = dict(zip(kind.fields, values, strict=True))
        key = "|".join(str(record[k]) for k in kind.key)
        keys = self.seen_keys.setdefault(kind.name, OrderedDict())
        if key in keys:
            self.counts.duplicates += 1
            return
        keys[key] = None
        if not self.remember and len(keys) > self.key_memory:
            keys.popitem(last=False)  # forget the oldest key (in constant time)
        for watched in self.by_kind.get(kind.name, ()):
            watched.record(key, record)
            self.counts.judged += 1
        moments = [record[n] for n in self.time_fields[kind.name] if record[n] is not None]
        self._advance(max(moments) if moments else None)

    def _advance(self, event_time: float | None) -> None:
        if self.clock == "wall":
            moment = time.time()
        elif event_time is None:
            return
        else:
            moment = event_time
        if self.until is not None:
            moment = min(moment, self.until)
        if moment > self.watermark:
            self.watermark = moment
            for watched in self.rules:
                watched.advance(moment)

    def finish(self) -> float:
        """End of stream: judge what is still open at the final watermark."""
        final = (
            self.until
            if self.until is not None
            else (time.time() if self.clock == "wall" else self.watermark)
        )
        if final == float("-inf"):
            final = time.time()
        self.watermark = max(self.watermark, final)
        for watched in self.rules:
            watched.finish(final)
        self.counts.collisions = sum(w.ruleset.collisions for w in self.rules)
        return final

    def verdicts(self) -> dict[str, dict[str, str]]:
        """Per rule, per key: conform, breach, pending or excluded."""
        return {w.rule.id: w.verdicts() for w in self.rules}


def read_lines(lines: Iterable[str], watcher: Watcher) -> None:
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            watcher._reject(f"line {number}: not JSON ({exc.msg})")
            watcher.counts.events += 1
            continue
        if not isinstance(item, dict):
            watcher._reject(f"line {number}: not a JSON object")
            watcher.counts.events += 1
            continue
        watcher.feed(item)


def watch(
    pack: Pack,
    lines: Iterable[str],
    sink: Sink,
    clock: str = "event",
    until: float | None = None,
    remember: bool = True,
) -> Watcher:
    """Watch a stream of JSON lines; alerts go to ``sink`` as they are decided."""
    watcher = Watcher(pack, sink, clock, until, remember)
    try:
        read_lines(lines, watcher)
    finally:
        watcher.finish()
    return watcher
