"""Live ``sequence`` rules: the adapter keeps each case's step times; the engine judges each step.

The scope applies to events: the filter to every event, the exclusions to a
case's first-step events (as in the batch engine, where a case's groups and
exclusion are those of its first step). An excluded case raises no alert.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..evaluate.scope import Scope
from ..measures.sequence import SequenceMeasure
from . import adapter as dr
from .conditions import Compiler

if TYPE_CHECKING:
    from ..model import EvidenceKind, Rule
    from .watcher import Watcher


@dataclass(slots=True)
class Case:
    times: dict[int, float] = field(default_factory=dict)  # step index -> earliest time
    alerted: set[tuple[int, str]] = field(default_factory=set)
    #: the exclusion a first-step event matched (the first reason in text order, as in SQL)
    excluded: str | None = None


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
    #: cases with every step seen, oldest first (forgotten beyond the watcher's key memory)
    complete: OrderedDict[str, None] = field(default_factory=OrderedDict)
    compiler: Compiler = field(init=False)

    def __post_init__(self) -> None:
        self.compiler = Compiler(self.kind.schema)
        self.scope = Scope(self.rule, self.kind)
        measure = self.measure
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
        rules.update(self._scope_rules())
        name = f"auditor-{self.watcher.run}-{self.rule.id}"
        self.ruleset = dr.LiveRuleset(name, rules)
        self._kept: bool = False
        self._excluded: str | None = None
        self._screened = self.rule.where is not None or bool(self.rule.exclusions)

    @property
    def measure(self) -> SequenceMeasure:
        return cast(SequenceMeasure, self.rule.measure)

    def _scope_rules(self) -> dict[str, tuple[dr.Condition, dr.Action]]:
        """The scope on events: the filter on every event, the exclusions on first-step events."""
        rules: dict[str, tuple[dr.Condition, dr.Action]] = {}
        first = self.scope.live_guards(self.compiler, dr.equals("t", "first"))
        if first.out_of_scope is not None:
            rules["first_out"] = (first.out_of_scope, lambda m: None)
        for index, (reason, condition) in enumerate(first.exclusions):
            rules[f"first_excluded_{index}"] = (condition, self._exclude(reason))
        rules["first_in"] = (dr.all_of(*first.in_scope), self._keep)
        later = dr.equals("t", "later")
        if self.rule.where is None:
            rules["later_in"] = (later, self._keep)
        else:
            holds = self.compiler.true(self.rule.where)
            rules["later_out"] = (dr.all_of(later, dr.complement(holds)), lambda m: None)
            rules["later_in"] = (dr.all_of(later, holds), self._keep)
        return rules

    def _keep(self, message: dict[str, Any]) -> None:
        self._kept = True

    def _exclude(self, reason: str) -> dr.Action:
        def action(message: dict[str, Any]) -> None:
            self._kept, self._excluded = True, reason

        return action

    def _judged(self, result: str) -> dr.Action:
        def action(message: dict[str, Any]) -> None:
            key, step = message["k"], message["d_step"]
            self.judged.setdefault(key, set()).add((step, result))
            if result in ("late", "missing", "out of order"):
                case = self.cases[key]
                if case.excluded is None and (step, result) not in case.alerted:
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
        index = names.index(step_name)
        if self._screened:
            self._kept, self._excluded = False, None
            message: dict[str, Any] = {"t": "first" if index == 0 else "later", "k": key}
            message.update({"f_" + n: v for n, v in record.items() if v is not None})
            message.update(self.compiler.message_values(record))
            self.ruleset.post(message)
            if not self._kept:
                return
        case_key = str(record.get(measure.key))
        case = self.cases.setdefault(case_key, Case())
        if index == 0 and self._excluded is not None:
            reasons = [r for r in (case.excluded, self._excluded) if r is not None]
            case.excluded = min(reasons)
        earlier = case.times.get(index)
        if earlier is not None and earlier <= at:
            return  # a repeated step: the first counts
        case.times[index] = at
        self._judge_steps(case_key, case, at)
        self._schedule(case_key, case)
        if len(case.times) == len(measure.steps):
            self._completed(case_key)

    def _completed(self, key: str) -> None:
        """Every step of the case seen: it is kept, so a later repeat of a step (a ticket
        reopened and closed again) is not a new case; a long-running watch forgets the cases
        completed longest ago beyond its key memory."""
        if self.watcher.remember:
            return
        self.complete[key] = None
        self.complete.move_to_end(key)
        if len(self.complete) > self.watcher.key_memory:
            oldest, _ = self.complete.popitem(last=False)
            del self.cases[oldest]
            self.judged.pop(oldest, None)

    def update(self, key: str, record: dict[str, Any]) -> bool:
        """An event is keyed by its case, step and time: other fields changed later do not count."""
        return False

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
            due = self.watcher.clocks.due(
                measure.calendar, origin, step.within.seconds, f"step {step.name} of case {key}"
            )
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
            if 0 not in case.times or case.excluded is not None:
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
