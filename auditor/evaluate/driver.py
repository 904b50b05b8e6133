"""The evaluation driver: facts from the backend, plans from the compiler, findings from the rows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from ..backends.base import Backend, HelperTable
from ..business_time import CalendarTable, ClockCache, moment_text
from ..errors import closest_names
from ..findings import Counts, Finding, RuleResult, group_text
from ..measures import AggregateMeasure, ComparedValue, Figure, RecordMeasure, SeriesMeasure
from ..periods import sub_periods
from .compile import (
    RulePlan,
    aggregate_member,
    compile_rule,
    record_member,
    sources_in_scope,
)
from .env import Env, Window, files_without_column
from .failing_lists import FailingNotes, FailingSources
from .tally import Cell, Tally
from .verdicts import judge_share, judge_threshold, too_few, worst

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..backends.statement import Statement
    from ..model import Pack, Rule
    from ..periods import Period


@dataclass
class Contribution:
    """One record of an aggregate rule: its cell, the reason it cannot count (or None), its
    value, whether the failing list names it, and the figures it counts in."""

    group: tuple[Any, ...]
    period: str
    excluded: str | None
    value: Any
    listed: bool
    #: the measure's ``place_columns`` for the record (its rank in its cell ...)
    place: dict[str, Any]
    #: (finding id, its figure) of the record's own cell, then the pooled one when it differs;
    #: the figure None when no value counts there
    cells: list[tuple[str, Figure | None]] = field(default_factory=list)


class Evaluation:
    """The rules of a pack (every one, or those given) over one backend's evidence for one
    audit period. Only the calendars of the rules given (and of the rules they follow) are
    built, so a calendar no such rule counts in needs no holiday data for the period."""

    def __init__(
        self, pack: Pack, backend: Backend, period: Period, rules: Sequence[Rule] | None = None
    ) -> None:
        self.pack = pack
        self.backend = backend
        self.rules = tuple(pack.rules if rules is None else rules)
        window = Window.of(period, ZoneInfo(pack.timezone))
        self.clocks = ClockCache(pack.calendars, window.zone)
        present = frozenset(backend.kinds_with_rows())
        no_column = files_without_column(pack, backend.columns_read())
        self.env = Env(pack, window, present, self._calendar_tables(window, present), no_column)
        self._files: dict[int, str] | None = None
        self._names: dict[Any, str] = {}  # source id as the engine gives it -> file name

    # ------------------------------------------------------------ facts

    def _calendar_tables(self, window: Window, present: frozenset[str]) -> dict[str, CalendarTable]:
        """A helper table per calendar the rules count in, covering every moment they need."""
        tables = {}
        for name, (moments, users) in self._clock_needs(window, present).items():
            # the clock ends at the period end: no rule counts business time beyond it
            low, what = min(moments)
            need = (
                f"business time from {moment_text(low, window.zone)} ({what}) to the end of "
                f"period {window.period.label} by rule{'s' if len(users) > 1 else ''} "
                f"{', '.join(users)}"
            )
            stretches = self.clocks.clock(name, low, window.end, need).rows()
            tables[name] = self._calendar_helpers(name, stretches)
        return tables

    def _clock_needs(
        self, window: Window, present: frozenset[str]
    ) -> dict[str, tuple[list[tuple[float, str]], list[str]]]:
        """Per calendar the rules count in: the moments its clock must cover from (each with
        what it is) and the ids of those rules."""
        needs: dict[str, tuple[list[tuple[float, str]], list[str]]] = {}
        for rule in followed(self.pack, self.rules):
            kind = self.pack.evidence[rule.evidence]
            for kind_name, fields, lookback in rule.measure.clock_spans(kind):
                low = None if lookback is None else window.start - lookback
                if kind_name not in present:
                    first = None
                else:
                    first, _ = self.backend.time_range(kind_name, fields, low, window.end)
                calendar = rule.measure.calendar
                assert calendar is not None
                moments, users = needs.setdefault(
                    calendar, ([(window.start, "the period start")], [])
                )
                moments.append(
                    (window.start, "the period start")
                    if first is None
                    else (first, f"the earliest {kind_name}.{fields[0]}")
                )
                if rule.id not in users:
                    users.append(rule.id)
        return needs

    def _calendar_helpers(self, name: str, stretches: list[Any]) -> CalendarTable:
        """The helper tables of calendar ``name``'s stretches: by start, and filed by day."""
        table = CalendarTable.named(name, stretches)
        columns = (("start", "REAL"), ("end", "REAL"), ("before", "REAL"))
        self.backend.create_helper(
            HelperTable(table.name, columns, tuple(stretches), primary_key=("start",))
        )
        self.backend.create_helper(
            HelperTable(
                table.days_name,
                (("bucket", "REAL"), *columns),
                tuple(CalendarTable.bucket_rows(stretches)),
                primary_key=("bucket", "start"),
            )
        )
        return table

    # ------------------------------------------------------------ running

    def run(self, on_result: Callable[[RuleResult], None] | None = None) -> list[RuleResult]:
        """Every rule's result, in rule order. ``on_result`` is given each result, in rule
        order, as soon as it and those before it are ready (on this thread, while a second
        one may still be evaluating later rules)."""
        rules = list(self.rules)
        companion = getattr(self.backend, "companion", None)
        second = companion() if companion is not None and len(rules) > 1 else None
        if second is None:
            results = []
            for rule in rules:
                results.append(self.evaluate(rule))
                if on_result is not None:
                    on_result(results[-1])
            return results
        return self._run_in_two(rules, second, on_result)

    def _run_in_two(
        self,
        rules: list[Rule],
        second: Any,
        on_result: Callable[[RuleResult], None] | None = None,
    ) -> list[RuleResult]:
        """The rules shared between this thread and a second one on its own connection,
        each taking the next rule when it is free; results (and the first error) in rule order.
        Between its own rules, and once none is left, this thread hands the results ready
        so far to ``on_result``."""
        import itertools
        from concurrent.futures import ThreadPoolExecutor

        from ..interrupts import submit_held

        turns = itertools.count()  # handing out the next index is atomic
        outcomes = _InRuleOrder(len(rules), on_result)
        stopping = False

        def work(evaluation: Evaluation, hand_on: bool) -> None:
            while not stopping and (index := next(turns)) < len(rules):
                try:
                    outcomes.put(index, evaluation.evaluate(rules[index]))
                except Exception as exc:  # the first error in rule order is raised below
                    outcomes.put(index, exc)
                except BaseException as exc:  # the thread stops: its rule is marked all the same,
                    outcomes.put(index, exc)  # so no one waits for it
                    raise
                if hand_on:
                    outcomes.hand_on(wait=False)

        pool = ThreadPoolExecutor(1, thread_name_prefix="auditor-rules")
        try:
            helper = submit_held(
                pool,
                lambda: work(
                    Evaluation(self.pack, second, self.env.window.period, self.rules), False
                ),
            )
            work(self, on_result is not None)
            outcomes.hand_on(wait=True)
            helper.result()
        except BaseException:
            stopping = True
            second.interrupt()
            raise
        finally:
            pool.shutdown(wait=True)
            second.close()
        return outcomes.results()

    def plan(self, rule: Rule) -> RulePlan:
        return compile_rule(rule, self.env)

    def evaluate(self, rule: Rule) -> RuleResult:
        plan = self.plan(rule)
        if plan.missing:
            return self._result(plan, [self._no_evidence(plan)], [])
        if plan.measure.series:
            return self._result(plan, self._series(plan), [])
        for helper in plan.helpers:
            self.backend.create_helper(helper)
        empty = self._empty_field(plan) or self._empty_elsewhere(plan)
        if empty is not None:
            return self._result(plan, [empty], [])
        if plan.measure.per_record:
            findings, ledger = self._per_record(plan)
        else:
            findings, ledger = self._aggregate(plan)
        unfiltered = self._empty_filter_field(plan, findings[0])
        if unfiltered is not None:
            return self._result(plan, [unfiltered], [])
        notes = (*plan.notes, *self._never_occurring(plan))
        return self._result(replace(plan, notes=notes), findings, ledger)

    def record_outcomes(self, rule: Rule, reasons: bool = False) -> dict[str, str]:
        """Each in-scope record's (or case's) outcome, for comparing with the live monitor key
        by key; with ``reasons`` an excluded one is ``excluded:<why>`` (for ``explain``)."""
        plan = self.plan(rule)
        if plan.missing or plan.outcomes is None:
            return {}
        for helper in plan.helpers:
            self.backend.create_helper(helper)
        rows = self.backend.query(plan.outcomes)
        if reasons:
            return {str(key): outcome for key, outcome in rows}
        return {str(key): _without_reason(outcome) for key, outcome in rows}

    def record_details(self, rule: Rule) -> dict[str, dict[str, Any]]:
        """Each record's (or case's) ``outcome``, group values, ``value`` in the rule's failing
        unit, and the ``source_file`` (as the manifest names it) and ``line`` the failing records give
        it: a record's own, a sequence case's first-step event's (None where there is none)."""
        plan = self.plan(rule)
        if plan.missing or plan.values is None:
            return {}
        for helper in plan.helpers:
            self.backend.create_helper(helper)
        return {
            str(key): {
                "outcome": outcome,
                **dict(zip(rule.group_by, groups, strict=True)),
                "value": value,
                "source_file": None if source is None else self._file_name(source),
                "line": None if source is None else line,
            }
            for key, outcome, *groups, value, source, line in self.backend.query(plan.values)
        }

    def record_contribution(self, rule: Rule, key: str) -> Contribution | None:
        """What record ``key`` (as the engine writes keys) adds to an aggregate rule's figures:
        None when the rule is not an aggregate or the record is not in its scope."""
        plan = self.plan(rule)
        if plan.missing or plan.measure.per_record or plan.measure.series:
            return None
        measure = cast(AggregateMeasure, plan.measure)
        for helper in plan.helpers:
            self.backend.create_helper(helper)
        rows = self.backend.query(aggregate_member(plan, key))
        if not rows:
            return None
        ngroups = len(rule.group_by)
        row = rows[0]
        group, period = tuple(row[:ngroups]), row[ngroups]
        excluded, value, listed = row[ngroups + 1 : ngroups + 4]
        place = dict(zip(measure.place_columns, row[ngroups + 4 :], strict=True))
        found = Contribution(group, period, excluded, value, bool(listed), place)
        if excluded is not None or plan.cells is None:
            return found
        tally = Tally(self.env.window.period.label, ngroups)
        summaries: dict[Cell, tuple[Any, ...]] = {}
        for pooled, *cell in self.backend.query(plan.cells):
            own = (tuple(cell[:ngroups]), cell[ngroups])
            summaries.setdefault(tally.pooled if pooled else own, tuple(cell[ngroups + 1 :]))
        for group_values, label in reversed(tally.cells_of(group, period)):  # its own first
            summary = summaries.get((group_values, label))
            figure = measure.figure(summary) if summary is not None and summary[0] else None
            found.cells.append((self._finding(rule, group_values, label).id, figure))
        return found

    def record_findings(self, rule: Rule, key: str) -> list[str]:
        """The findings record ``key`` (as the engine writes keys) of a per-record rule is
        counted in: its own cell's, then the pooled one when it differs; none when the record
        is not in the rule's scope."""
        plan = self.plan(rule)
        if plan.missing or not plan.measure.per_record or plan.measure.series:
            return []
        for helper in plan.helpers:
            self.backend.create_helper(helper)
        rows = self.backend.query(record_member(plan, key))
        if not rows:
            return []
        ngroups = len(rule.group_by)
        group, period = tuple(rows[0][:ngroups]), rows[0][ngroups]
        tally = Tally(self.env.window.period.label, ngroups)
        return [self._finding(rule, g, p).id for g, p in reversed(tally.cells_of(group, period))]

    # ------------------------------------------------------------ findings

    def _finding(self, rule: Rule, group: tuple[Any, ...], period: str) -> Finding:
        whole = self.env.window.period.label
        values = dict(zip(rule.group_by, group, strict=True)) if group else {}
        parts = [rule.id, *([group_text(values, "@")] if values else [])]
        if period != whole:
            parts.append(period)
        return Finding(
            id="@".join(parts),
            rule=rule.id,
            clause=rule.clause,
            measure=rule.measure.name,
            group=values,
            period=period,
            pooled=not group and period == whole,
            target=str(rule.target),
        )

    def _no_evidence(self, plan: RulePlan) -> Finding:
        return self._not_evaluable(
            plan,
            {"code": "no-evidence", "kinds": list(plan.missing)},
            f"no evidence of kind {', '.join(plan.missing)} was ingested",
        )

    def _not_evaluable(self, plan: RulePlan, why: dict[str, Any], reason: str) -> Finding:
        """The rule's one finding when it cannot be judged: ``why`` as findings.json states it,
        ``reason`` in words."""
        finding = self._finding(plan.rule, (), self.env.window.period.label)
        finding.verdict = "not-evaluable"
        finding.not_evaluable = why
        finding.reasons.append(reason)
        return _with_target(plan, finding)

    def _first_empty(self, statement: Statement, fields: tuple[str, ...]) -> tuple[str, int] | None:
        """The first of ``fields`` that no record counted by ``statement`` fills (a row of
        ``COUNT(*)`` then each field's count), and how many records there are; None when
        there is none, or every field is filled somewhere."""
        rows = self.backend.query(statement)
        if not rows or not rows[0][0]:
            return None
        total, *filled = rows[0]
        empty = [f for f, n in zip(fields, filled, strict=True) if not n]
        return (empty[0], int(total)) if empty else None

    def _empty_field(self, plan: RulePlan) -> Finding | None:
        """Not evaluable when a field the measure reads is empty in every record in scope."""
        if plan.filled is None:
            return None
        if getattr(self.backend, "probe_first", False) and all(
            self.backend.query(probe) for probe in plan.filled_probes
        ):
            return None  # every field has a value somewhere in scope: none is empty throughout
        empty = self._first_empty(plan.filled, plan.filled_fields)
        if empty is None:
            return None
        field_name, total = empty
        unread = self._files_without_column(plan, field_name)
        if unread:
            return self._not_evaluable(
                plan,
                {"code": "no-column", "field": field_name, "n": total, "files": unread},
                f"no file the {total:,} {plan.kind.name} records in scope come from has a column "
                f"for '{field_name}' ({', '.join(unread)})",
            )
        return self._not_evaluable(
            plan,
            {"code": "field-empty", "field": field_name, "n": total},
            f"field '{field_name}' is empty in all {total:,} {plan.kind.name} records in scope",
        )

    def _files_without_column(self, plan: RulePlan, field_name: str) -> list[str]:
        """The names (as the ingest warnings give them) of the files the records in scope come
        from when none of those files had a column for ``field_name`` (the field is not empty
        there, it was never read); else []."""
        lacking = plan.scope.files_without({field_name})
        if not lacking:
            return []
        sources = {int(row[0]) for row in self.backend.query(sources_in_scope(plan.scope))}
        if not sources <= set(lacking):
            return []
        return sorted({Path(self._file_name(source)).name for source in sources})

    def _empty_elsewhere(self, plan: RulePlan) -> Finding | None:
        """Not evaluable when a field the measure reads from another kind is empty in every
        record it reads there (pauses with no end anywhere: none could be subtracted)."""
        for read, statement in plan.elsewhere:
            empty = self._first_empty(statement, read.fields)
            if empty is not None:
                field_name, total = empty
                return self._not_evaluable(
                    plan,
                    {
                        "code": "other-field-empty",
                        "kinds": [read.kind],
                        "field": field_name,
                        "n": total,
                    },
                    f"field '{field_name}' is empty in all {total:,} {read.kind} records the rule "
                    "also reads",
                )
        return None

    def _empty_filter_field(self, plan: RulePlan, pooled: Finding) -> Finding | None:
        """Not evaluable, saying why, when no record is in scope because a field the rule's
        ``where`` reads is empty in every record of the kind in the period (a category
        column left blank: "0 records in the rate" would hide it). No record of the kind
        in the period at all is said as it is."""
        counted = pooled.counts
        if plan.where_filled is None or counted.n + counted.pending + counted.excluded:
            return None
        empty = self._first_empty(plan.where_filled, plan.where_fields)
        if empty is None:
            return None
        field_name, total = empty
        return self._not_evaluable(
            plan,
            {"code": "filter-field-empty", "field": field_name, "n": total},
            f"no record in scope: the rule's condition reads '{field_name}', which is empty in "
            f"all {total:,} {plan.kind.name} records of the period",
        )

    def _never_occurring(self, plan: RulePlan) -> list[str]:
        """A note for each text the rule compares a field with that no record of the kind
        holds (a misspelt step), naming the values closest to it. The rule is judged as written."""
        notes: list[str] = []
        for check in plan.value_checks:
            found = {row[0] for row in self.backend.query(check.occurring)}
            absent = [item for item in check.compared if item.value not in found]
            if absent:
                values = [str(row[0]) for row in self.backend.query(check.values)]
                notes.extend(
                    never_occurs(item, f"{check.kind}.{check.field}", values) for item in absent
                )
        return notes

    def _labels(self, plan: RulePlan) -> list[str]:
        return [p.label for p in sub_periods(self.env.window.period, plan.scope.unit)]

    def _per_record(self, plan: RulePlan) -> tuple[list[Finding], list[dict[str, Any]]]:
        assert plan.counts is not None and plan.listing is not None
        measure = cast(RecordMeasure, plan.measure)
        tally = Tally(
            self.env.window.period.label, len(plan.rule.group_by), by_step=measure.notes_name_steps
        )
        tally.add_counts(self.backend.query(plan.counts))
        tally.add_listing(self.backend.query(plan.listing))
        findings = []
        manual_like = measure.all_excluded_is_not_applicable
        for cell in tally.ordered(set(tally.counts), self._labels(plan)):
            finding = self._cell_finding(plan, tally, cell)
            counts = tally.counts.get(cell, Counts())
            counts.n = counts.conforming + counts.breached
            finding.counts = counts
            judge_share(plan.rule, finding, manual_like)
            findings.append(finding)
        return findings, self._ledger(plan, tally)

    def _ledger(self, plan: RulePlan, tally: Tally) -> list[dict[str, Any]]:
        entries = tally.ledger_entries(plan.rule.id)
        for entry in entries:
            entry["keys"] = plan.scope.display_keys(entry["keys"])
        return entries

    def _cell_finding(self, plan: RulePlan, tally: Tally, cell: Cell) -> Finding:
        finding = self._finding(plan.rule, cell[0], cell[1])
        finding.excluded_by_reason = dict(sorted(tally.reasons[cell].items()))
        listed = sorted(tally.failing.get(cell, []), key=itemgetter(0))
        finding.failing = plan.scope.display_keys(list(map(itemgetter(0), listed)))
        finding.failing_values = list(map(itemgetter(1), listed))
        # notes and sources are made when read (see failing_lists): most are only written
        # to the failing-records files, column by column
        finding.failing_notes = FailingNotes(
            list(map(itemgetter(2), listed)), finding.failing_values
        )
        places = list(map(itemgetter(3), listed))
        for source in {source for source, _ in places}.difference(self._names):
            if source is not None:
                self._file_name(source)
        finding.failing_sources = FailingSources(places, self._names)
        if tally.steps.get(cell):
            finding.details["breaches_by_step"] = dict(sorted(tally.steps[cell].items()))
        return finding

    def _file_name(self, source: Any) -> str:
        """The name of the file a source id (as the engine gives it) names."""
        name = self._names.get(source)
        if name is None:
            if self._files is None:
                self._files = self.backend.source_files()
            name = self._names[source] = self._files.get(int(source), str(source))
        return name

    def _aggregate(self, plan: RulePlan) -> tuple[list[Finding], list[dict[str, Any]]]:
        assert plan.counts is not None and plan.cells is not None and plan.listing is not None
        tally = Tally(self.env.window.period.label, len(plan.rule.group_by))
        tally.add_counts(self.backend.query(plan.counts))
        tally.add_listing(self.backend.query(plan.listing))
        summaries: dict[Cell, tuple[Any, ...]] = {}
        for pooled, *row in self.backend.query(plan.cells):
            own = (tuple(row[: tally.ngroups]), row[tally.ngroups])
            summaries.setdefault(tally.pooled if pooled else own, tuple(row[tally.ngroups + 1 :]))
        findings = []
        for cell in tally.ordered(set(summaries) | set(tally.counts), self._labels(plan)):
            finding = self._cell_finding(plan, tally, cell)
            finding.failing_notes = [None] * len(finding.failing)
            finding.details = {}
            counted = tally.counts.get(cell, Counts())
            finding.counts = Counts(n=counted.conforming, excluded=counted.excluded)
            self._judge_aggregate(plan, finding, summaries.get(cell))
            findings.append(finding)
        return findings, self._ledger(plan, tally)

    def _judge_aggregate(self, plan: RulePlan, f: Finding, summary: tuple[Any, ...] | None) -> None:
        measure = cast(AggregateMeasure, plan.measure)
        threshold = plan.rule.target.threshold
        assert threshold is not None
        f.threshold = {"op": threshold.op, "value": float(threshold.value)}
        f.unit = measure.value_unit(plan.kind)
        n = f.counts.n
        if n < plan.rule.min_records or summary is None or not n:
            too_few(f, n, plan.rule.min_records, ("value", "values"))
            return
        judge_threshold(plan.rule, f, measure.figure(summary))

    def _series(self, plan: RulePlan) -> list[Finding]:
        """A series rule's findings, from its base rule evaluated as the measure asks."""
        measure = cast(SeriesMeasure, plan.measure)
        base = self.pack.rule(measure.base_rule_id())
        assert base is not None  # checked when the pack loads
        shaped = measure.shape(base)
        results, elsewhere = [], False
        for period in measure.periods(self.env.window.period):
            if period == self.env.window.period:
                results.append(self.evaluate(shaped))
            else:
                other = Evaluation(self.pack, self.backend, period, (shaped,))
                results.append(other.evaluate(shaped))
                elsewhere = True
        if elsewhere:  # another period's evaluation replaced the calendar tables: put ours back
            self._calendar_tables(self.env.window, self.env.present)
        pooled = self._finding(plan.rule, (), self.env.window.period.label)
        return measure.judge(plan.rule, results, pooled)

    def _result(
        self, plan: RulePlan, findings: list[Finding], ledger: list[dict[str, Any]]
    ) -> RuleResult:
        rule = plan.rule
        for finding in findings:
            if plan.notes:
                finding.details["notes"] = list(plan.notes)
        pooled = findings[0]
        verdict, severity = pooled.verdict, pooled.severity
        if rule.judge == "each-group":
            decisive = worst(findings)
            if decisive is not None:
                verdict, severity = decisive.verdict, decisive.severity
        return RuleResult(
            rule=rule.id,
            clause=rule.clause,
            title_en=rule.title.en,
            title_zh=rule.title.zh,
            measure=rule.measure.name,
            severity=rule.severity,
            verdict=verdict,
            verdict_severity=severity,
            judge=rule.judge,
            findings=findings,
            capa={
                "action": {"zh": rule.capa.action.zh, "en": rule.capa.action.en},
                "owner": {"zh": rule.capa.owner.zh, "en": rule.capa.owner.en},
                "due_days": rule.capa.due_days,
            },
            exclusions=ledger,
            calendar=rule.measure.calendar,
            failing_unit=rule.measure.failing_unit(plan.kind),
            unit_label=_text(rule.measure.unit_label(plan.kind)),
        )


def never_occurs(item: ComparedValue, column: str, values: list[str]) -> str:
    """The note on a compared text no record holds in ``column`` (``kind.field``): the field's
    ``values`` closest to it, if any is close (one that differs only in case first)."""
    said = f"{item.what} '{item.value}' never occurs in {column}"
    closest = closest_names(item.value, values)
    if not closest:
        return f"{said}; no value there is close"
    return f"{said}; closest: " + ", ".join(f"'{value}'" for value in closest)


def _with_target(plan: RulePlan, finding: Finding) -> Finding:
    """An unjudged finding still states its target as judged ones do (a comparison in its unit)."""
    target, measure = plan.rule.target, plan.measure
    if measure.per_record and target.share is not None:
        finding.threshold = {"op": ">=", "value": float(target.share)}
        finding.unit = "share"
    elif not measure.per_record and target.threshold is not None:
        finding.threshold = {"op": target.threshold.op, "value": float(target.threshold.value)}
        finding.unit = measure.value_unit(plan.kind)
    return finding


def _text(text: Any) -> dict[str, str] | None:
    return None if text is None else {"zh": text.zh, "en": text.en}


def followed(pack: Pack, rules: Sequence[Rule]) -> list[Rule]:
    """``rules`` and, after them, the rules their series measures follow (and those rules'
    own), each once: the rules an evaluation of ``rules`` runs."""
    found = {rule.id: rule for rule in rules}
    todo = list(rules)
    while todo:
        measure = todo.pop().measure
        if isinstance(measure, SeriesMeasure):
            base = pack.rule(measure.base_rule_id())
            if base is not None and base.id not in found:
                found[base.id] = base
                todo.append(base)
    return list(found.values())


def evaluate(
    pack: Pack,
    store: Any,
    period: Period,
    on_result: Callable[[RuleResult], None] | None = None,
) -> list[RuleResult]:
    """Evaluate every rule of ``pack`` over ``store`` (an evidence store or a backend) for
    ``period``. ``on_result`` is given each rule's result in rule order as soon as it is ready
    (an audit writes its failing records while the engine evaluates the next rules)."""
    return Evaluation(pack, backend_for(store), period).run(on_result)


class _InRuleOrder:
    """Rules' results (or errors) put by two threads in any order, handed to a receiver in
    rule order as soon as each one and those before it are in; nothing after an error."""

    def __init__(self, count: int, receiver: Callable[[RuleResult], None] | None) -> None:
        import threading

        self.outcomes: list[Any] = [None] * count
        self.ready = [threading.Event() for _ in range(count)]
        self.receiver = receiver
        self.handed = 0  # the outcomes before this index have been handed on (or an error met)

    def put(self, index: int, outcome: RuleResult | BaseException) -> None:
        self.outcomes[index] = outcome
        self.ready[index].set()

    def hand_on(self, wait: bool) -> None:
        """Hand on the results that are in, in order; with ``wait``, wait for all of them."""
        if self.receiver is None:
            return
        count = len(self.outcomes)
        while self.handed < count and (
            self.ready[self.handed].is_set() or (wait and _waited(self.ready[self.handed]))
        ):
            outcome = self.outcomes[self.handed]
            if isinstance(outcome, BaseException):
                self.handed = count
                return
            self.receiver(outcome)
            self.handed += 1

    def results(self) -> list[RuleResult]:
        """Every result in rule order, or the first error in rule order raised."""
        for outcome in self.outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return cast("list[RuleResult]", self.outcomes)


def _waited(event: Any) -> bool:
    """Wait for ``event`` in short steps (Ctrl-C is taken between them on every platform)."""
    while not event.wait(0.25):
        pass
    return True


def backend_for(store: Any) -> Backend:
    """The backend of an evidence store, on the engine the store names (a backend is returned as it is)."""
    if hasattr(store, "query") and hasattr(store, "dialect"):
        return store
    from ..backends.engines import open_backend

    return open_backend(store, getattr(store, "engine", "sqlite"))


def _without_reason(outcome: str) -> str:
    """``excluded`` for ``excluded:<why>``; any other outcome as it is."""
    if outcome and outcome.startswith("excluded:"):
        return "excluded"
    return outcome
