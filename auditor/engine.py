"""The batch evaluation engine: each rule compiled to set-based SQL over the store.

For every rule the engine builds one scoped query (records of the rule's
evidence kind, in the audit period, matching its filter) that gives each record
an outcome (conform, breach, pending or excluded with a reason) or a value,
then counts by group and period in SQL and fetches the failing keys. Verdicts,
intervals and the arithmetic sentence are worked out from those counts.

The SQL is plain: CTEs, CASE, correlated look-ups, GROUP BY and joins against a
periods table and a business-calendar table; every value is a ``?`` parameter
and every name a checked, quoted identifier.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from . import expression as ex
from .business_time import BusinessClock, cumulative_sql
from .errors import AuditorError
from .findings import Counts, Finding, RuleResult, worst
from .formatting import number_text, percent_text
from .model import (
    ConditionMeasure,
    DurationMeasure,
    EvidenceKind,
    FreshnessMeasure,
    ManualMeasure,
    MeanMeasure,
    NpsMeasure,
    Pack,
    PercentileMeasure,
    PerThousandMeasure,
    Rule,
    SequenceMeasure,
)
from .periods import Period, sub_periods
from .sequence import sequence_cte
from .stats import Z_95, nearest_rank_percentile, net_promoter_score, shortfall, wilson_interval
from .store import EvidenceStore

q = ex.quote_identifier
POOLED = "all"
#: the note of a duration whose end had not happened by the period end
OPEN_AT_END = "open at period end"


def failing_note(detail: str | None, value: float | None) -> dict[str, Any] | None:
    """Why one record failed, from the SQL detail text ("resolved: late", "open at period end")."""
    if not detail:
        return None
    if detail == OPEN_AT_END:
        return {"problem": OPEN_AT_END, "step": None, "over_seconds": None}
    step, _, problem = detail.rpartition(": ")
    over = value if problem in ("late", "missing") else None
    return {"problem": problem, "step": step or None, "over_seconds": over}


def measure_fields(measure: Any) -> list[str]:
    """The fields of the rule's own evidence kind that a measure reads."""
    if isinstance(measure, DurationMeasure):
        return [measure.start, measure.end]
    if isinstance(measure, ConditionMeasure | PerThousandMeasure):
        return sorted(ex.fields_of(measure.condition))
    if isinstance(measure, FreshnessMeasure):
        return [ours for _, ours in measure.match]
    if isinstance(measure, MeanMeasure | PercentileMeasure | NpsMeasure):
        return [measure.of]
    if isinstance(measure, SequenceMeasure):
        return [measure.step, measure.at]
    return []


class Sql:
    """Builds SQL text with named parameters (``:p0``, ``:p1`` ...).

    Named, so that a fragment (an elapsed-time expression, say) can appear
    several times in one statement with its parameters bound once.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: dict[str, Any] = {}

    def add(self, text: str) -> Sql:
        self.parts.append(text)
        return self

    def value(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def expr(self, expr: ex.Expr, kind: EvidenceKind, prefix: str) -> str:
        text, params = ex.to_sql(expr, kind.schema, prefix)
        pieces = text.split("?")
        out = [pieces[0]]
        for param, piece in zip(params, pieces[1:], strict=True):
            out.append(self.value(param))
            out.append(piece)
        return "".join(out)

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class Context:
    pack: Pack
    store: EvidenceStore
    period: Period
    zone: ZoneInfo
    start: float
    end: float
    clocks: dict[str, BusinessClock]


class Engine:
    """Evaluates every rule of a pack over a store for one audit period."""

    def __init__(self, pack: Pack, store: EvidenceStore, period: Period) -> None:
        zone = ZoneInfo(pack.timezone)
        self.ctx = Context(pack, store, period, zone, period.start(zone), period.end(zone), {})
        self.db = store.db
        self.present = self._kinds_with_rows()
        #: notes about the rule being evaluated, added to each of its findings
        self.notes: list[str] = []

    # ------------------------------------------------------------ set-up

    def _kinds_with_rows(self) -> set[str]:
        rows = self.db.execute(
            "SELECT kind, SUM(stored) FROM _manifest WHERE status != 'error' GROUP BY kind"
        ).fetchall()
        return {kind for kind, stored in rows if kind and (stored or 0) > 0}

    def _periods_table(self, unit: str) -> str:
        name = f"_periods_{unit}"
        self.db.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.db.execute(
            f'CREATE TEMP TABLE {name} (label TEXT, start REAL PRIMARY KEY, "end" REAL)'
        )
        rows = [
            (p.label, p.start(self.ctx.zone), p.end(self.ctx.zone))
            for p in sub_periods(self.ctx.period, unit)
        ]
        self.db.conn.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", rows)
        return name

    def clock(
        self, name: str, first_moment: float, last_moment: float
    ) -> tuple[BusinessClock, str]:
        """The business clock of a calendar, covering the moments given, and its SQL table."""
        calendar = self.ctx.pack.calendars[name]
        zone = self.ctx.zone
        from datetime import datetime

        first = datetime.fromtimestamp(first_moment, zone).date() - timedelta(days=1)
        last = datetime.fromtimestamp(last_moment, zone).date() + timedelta(days=1)
        current = self.ctx.clocks.get(name)
        if current is None or current.first > first or current.last < last:
            if current is not None:
                first, last = min(first, current.first), max(last, current.last)
            current = BusinessClock(calendar, zone, first, last)
            self.ctx.clocks[name] = current
            table = f"_calendar_{name}"
            self.db.execute(f"DROP TABLE IF EXISTS temp.{q(table)}")
            self.db.execute(
                f'CREATE TEMP TABLE {q(table)} (start REAL PRIMARY KEY, "end" REAL, before REAL)'
            )
            self.db.conn.executemany(f"INSERT INTO {q(table)} VALUES (?, ?, ?)", current.rows())
        return current, q(f"_calendar_{name}")

    # ------------------------------------------------------------ running

    def run(self) -> list[RuleResult]:
        return [self.evaluate(rule) for rule in self.ctx.pack.rules]

    def evaluate(self, rule: Rule) -> RuleResult:
        self.notes = []
        kind = self.ctx.pack.evidence[rule.evidence]
        needed = {rule.evidence}
        measure = rule.measure
        if isinstance(measure, FreshnessMeasure):
            needed.add(measure.evidence)
        missing = sorted(k for k in needed if k not in self.present)
        if missing:
            return self._result(rule, [self._no_evidence(rule, missing)], [])
        empty = self._empty_field(rule, kind)
        if empty is not None:
            return self._result(rule, [empty], [])
        if measure.per_record:
            findings, ledger = self._per_record(rule, kind)
        else:
            findings, ledger = self._aggregate(rule, kind)
        return self._result(rule, findings, ledger)

    def _no_evidence(self, rule: Rule, kinds: list[str]) -> Finding:
        finding = self._finding(rule, {}, self.ctx.period.label, True)
        finding.verdict = "not-evaluable"
        finding.not_evaluable = {"code": "no-evidence", "kinds": kinds}
        finding.reasons.append(f"no evidence of kind {', '.join(kinds)} was ingested")
        finding.explanation = f"not evaluable: {finding.reasons[0]}"
        return finding

    def _empty_field(self, rule: Rule, kind: EvidenceKind) -> Finding | None:
        """A not-evaluable finding when a field the measure reads is empty in every record in scope.

        A field that no record fills (an optional column missing from the
        export, say) would otherwise turn into "0 of N" and a false breach.
        """
        fields = [f for f in measure_fields(rule.measure) if f in kind.fields]
        if not fields:
            return None
        sql = Sql()
        counts = ", ".join(f"COUNT(t.{q(f)})" for f in fields)
        self._scope(rule, kind, sql, f"COUNT(*), {counts}")
        row = self.db.execute(sql.text, sql.params).fetchone()
        if not row or not row[0]:
            return None
        empty = [f for f, filled in zip(fields, row[1:], strict=True) if not filled]
        if not empty:
            return None
        finding = self._finding(rule, {}, self.ctx.period.label, True)
        finding.verdict = "not-evaluable"
        finding.counts = Counts(excluded=0)
        finding.not_evaluable = {"code": "field-empty", "field": empty[0], "n": int(row[0])}
        finding.reasons.append(
            f"field '{empty[0]}' is empty in all {row[0]:,} {kind.name} records in scope"
        )
        finding.explanation = f"not evaluable: {finding.reasons[0]}"
        return finding

    # ------------------------------------------------------------ scope

    def _scope(self, rule: Rule, kind: EvidenceKind, sql: Sql, columns: str) -> tuple[str, bool]:
        """``SELECT columns FROM ... WHERE ...``: the rule's records in the audit period."""
        time_field = rule.time or kind.time
        unit = rule.period if time_field else "all"
        sql.add(f"SELECT {columns} FROM {q(kind.name)} AS t WHERE 1 = 1 ")
        if time_field is not None:
            column = f"t.{q(time_field)}"
            sql.add(
                f"AND {column} >= {sql.value(self.ctx.start)} AND {column} < {sql.value(self.ctx.end)} "
            )
        if rule.where is not None:
            sql.add("AND " + sql.expr(rule.where, kind, "t.") + " ")
        return unit, time_field is not None

    def _period_sql(self, rule: Rule, kind: EvidenceKind, sql: Sql) -> str:
        """The label of the sub-period a record falls in, by its time field."""
        time_field = rule.time or kind.time
        if time_field is None:
            return sql.value(self.ctx.period.label)
        return self.period_label_sql(rule.period, sql, f"t.{q(time_field)}")

    def period_label_sql(self, unit: str, sql: Sql, column: str) -> str:
        """SQL for the label of the ``unit`` sub-period that the moment ``column`` falls in.

        A CASE over the period ends when there are few (months, quarters), else a
        look-up in a periods table (days, weeks). A missing moment gets the
        audit period's own label.
        """
        periods = sub_periods(self.ctx.period, unit)
        whole = sql.value(self.ctx.period.label)
        if len(periods) <= 40:
            cases = " ".join(
                f"WHEN {column} < {sql.value(p.end(self.ctx.zone))} THEN {sql.value(p.label)}"
                for p in periods
            )
            return f"COALESCE(CASE {cases} END, {whole})"
        table = self._periods_table(unit)
        return (
            f"COALESCE((SELECT p.label FROM temp.{table} AS p WHERE p.start <= {column} "
            f"ORDER BY p.start DESC LIMIT 1), {whole})"
        )

    def _key_sql(self, kind: EvidenceKind) -> str:
        parts = [f"CAST(t.{q(k)} AS TEXT)" for k in kind.key]
        return parts[0] if len(parts) == 1 else " || '|' || ".join(parts)

    def _group_sql(self, rule: Rule) -> str:
        return "".join(f", t.{q(g)} AS {q('_g_' + g)}" for g in rule.group_by)

    def _exclusion_sql(self, rule: Rule, kind: EvidenceKind, sql: Sql) -> str:
        if not rule.exclusions:
            return "NULL"
        cases = []
        for exclusion in rule.exclusions:
            condition = sql.expr(exclusion.condition, kind, "t.")
            cases.append(f"WHEN {condition} THEN {sql.value(exclusion.reason)}")
        return "CASE " + " ".join(cases) + " END"

    # ------------------------------------------------------------ per-record measures

    def record_outcomes(self, rule: Rule) -> dict[str, str]:
        """Each in-scope record's (or case's) outcome: conform, breach, pending or excluded.

        The per-key view of a per-record rule, for comparing with the live
        monitor key by key.
        """
        kind = self.ctx.pack.evidence[rule.evidence]
        if rule.evidence not in self.present:
            return {}
        base, params, _ = self._measured_cte(rule, kind)
        rows = self.db.execute(
            base + "SELECT _key, CASE WHEN _excluded IS NOT NULL OR _outcome LIKE 'excluded:%' "
            "THEN 'excluded' ELSE _outcome END FROM m",
            params,
        ).fetchall()
        return {str(key): outcome for key, outcome in rows}

    def _measured_cte(self, rule: Rule, kind: EvidenceKind) -> tuple[str, dict[str, Any], str]:
        """``WITH m AS (...)``: key, groups, period, exclusion, outcome, value, detail per record."""
        if isinstance(rule.measure, SequenceMeasure):
            return sequence_cte(self, rule, kind, rule.measure)
        sql = Sql()
        period_col = self._period_sql(rule, kind, sql)
        head = f"{self._key_sql(kind)} AS _key{self._group_sql(rule)}, {period_col} AS _period, "
        excluded = self._exclusion_sql(rule, kind, sql)
        outcome, value, detail = self._outcome_sql(rule, kind, sql)
        body = f"{head}{excluded} AS _excluded, {outcome} AS _outcome, {value} AS _value, {detail} AS _detail"
        unit, _ = self._scope(rule, kind, sql, body)
        return "WITH m AS (" + sql.text + ") ", sql.params, unit

    def _per_record(
        self, rule: Rule, kind: EvidenceKind
    ) -> tuple[list[Finding], list[dict[str, Any]]]:
        # Outcome and value are computed once per record in a CTE, then counted and listed.
        base, params, unit = self._measured_cte(rule, kind)
        groups = [q("_g_" + g) for g in rule.group_by]
        group_cols = "".join(f"{g}, " for g in groups)
        counts_sql = (
            base
            + f"SELECT {group_cols}_period, CASE WHEN _excluded IS NOT NULL THEN 'excluded' ELSE _outcome END AS o, "
            "COALESCE(_excluded, ''), COUNT(*) FROM m "
            f"GROUP BY {group_cols}_period, o, COALESCE(_excluded, '')"
        )
        counts = self.db.execute(counts_sql, params).fetchall()
        # One more pass lists the records that are not simply conforming.
        listed = self.db.execute(
            base
            + f"SELECT {group_cols}_period, _key, _value, _detail, COALESCE(_excluded, _outcome) FROM m "
            "WHERE _excluded IS NOT NULL OR _outcome = 'breach' OR _outcome LIKE 'excluded:%' ORDER BY _key",
            params,
        ).fetchall()
        failing = [row[:-1] for row in listed if row[-1] == "breach"]
        excluded_keys = [(row[-1], row[-4]) for row in listed if row[-1] != "breach"]
        return self._per_record_findings(rule, unit, counts, failing, excluded_keys)

    def _outcome_sql(self, rule: Rule, kind: EvidenceKind, sql: Sql) -> tuple[str, str, str]:
        """SQL for a record's outcome, its measured value and a note on why it failed."""
        measure = rule.measure
        if isinstance(measure, ConditionMeasure):
            cond = sql.expr(measure.condition, kind, "t.")
            return f"CASE WHEN {cond} THEN 'conform' ELSE 'breach' END", "NULL", "NULL"
        if isinstance(measure, ManualMeasure):
            item = sql.value(measure.item)
            return (
                f"CASE WHEN t.{q('item')} <> {item} THEN 'excluded:other item' "
                f"WHEN t.{q('result')} = 'yes' THEN 'conform' "
                f"WHEN t.{q('result')} = 'na' THEN 'excluded:answered not applicable' ELSE 'breach' END",
                "NULL",
                "NULL",
            )
        if isinstance(measure, FreshnessMeasure):
            return self._freshness_sql(measure, sql), "NULL", "NULL"
        if isinstance(measure, DurationMeasure):
            return self._duration_sql(rule, measure, kind, sql)
        raise AuditorError(
            f"measure {measure.name} is not a per-record measure"
        )  # pragma: no cover

    def _freshness_sql(self, measure: FreshnessMeasure, sql: Sql) -> str:
        other = self.ctx.pack.evidence[measure.evidence]
        matches = " AND ".join(f"o.{q(theirs)} = t.{q(ours)}" for theirs, ours in measure.match)
        oldest = sql.value(self.ctx.end - measure.within.seconds)
        newest = sql.value(self.ctx.end)
        extra = ""
        if measure.where is not None:
            extra = " AND " + sql.expr(measure.where, other, "o.")
        return (
            f"CASE WHEN EXISTS (SELECT 1 FROM {q(other.name)} AS o WHERE {matches} "
            f"AND o.{q(measure.at)} >= {oldest} AND o.{q(measure.at)} < {newest}{extra}) "
            "THEN 'conform' ELSE 'breach' END"
        )

    def _duration_sql(
        self, rule: Rule, measure: DurationMeasure, kind: EvidenceKind, sql: Sql
    ) -> tuple[str, str, str]:
        start = f"t.{q(measure.start)}"
        # As of the period end: an end after it means the record was still open then.
        end = f"(CASE WHEN t.{q(measure.end)} IS NOT NULL AND t.{q(measure.end)} <= {sql.value(self.ctx.end)} THEN t.{q(measure.end)} END)"
        effective = f"COALESCE({end}, {sql.value(self.ctx.end)})"
        if measure.calendar:
            low, high = self._time_range(kind, measure)
            _, table = self.clock(measure.calendar, low, max(high, self.ctx.end))
            elapsed = f"({cumulative_sql(table, effective)} - {cumulative_sql(table, start)})"
        else:
            table = None
            elapsed = f"({effective} - {start})"
        if measure.pauses is not None:
            if measure.pauses.evidence in self.present:
                pause = self._pause_sql(measure, kind, sql, start, effective, table)
                elapsed = f"({elapsed} - {pause})"
            else:
                self.notes.append(
                    f"no {measure.pauses.evidence} evidence was ingested, so durations are not net of pauses"
                )
        limit = sql.value(measure.limit.seconds)
        outcome = (
            f"CASE WHEN {start} IS NULL THEN 'excluded:no start time' "
            f"WHEN {elapsed} < 0 THEN 'excluded:ends before it starts (data error)' "
            f"WHEN {end} IS NULL AND {elapsed} <= {limit} THEN 'pending' "
            f"WHEN {elapsed} <= {limit} THEN 'conform' ELSE 'breach' END"
        )
        return outcome, elapsed, f"CASE WHEN {end} IS NULL THEN '{OPEN_AT_END}' END"

    def _pause_sql(
        self,
        measure: DurationMeasure,
        kind: EvidenceKind,
        sql: Sql,
        start: str,
        effective: str,
        table: str | None,
    ) -> str:
        pauses = measure.pauses
        assert pauses is not None
        other = self.ctx.pack.evidence[pauses.evidence]
        matches = " AND ".join(f"s.{q(theirs)} = t.{q(ours)}" for theirs, ours in pauses.match)
        p_start = f"s.{q(pauses.start)}"
        p_end = f"COALESCE(s.{q(pauses.end)}, {effective})"
        clip_start = f"(CASE WHEN {p_start} > {start} THEN {p_start} ELSE {start} END)"
        clip_end = f"(CASE WHEN {p_end} < {effective} THEN {p_end} ELSE {effective} END)"
        if table is not None:
            length = f"({cumulative_sql(table, clip_end)} - {cumulative_sql(table, clip_start)})"
        else:
            length = f"({clip_end} - {clip_start})"
        extra = ""
        if pauses.where is not None:
            extra = " AND " + sql.expr(pauses.where, other, "s.")
        return (
            f"COALESCE((SELECT SUM({length}) FROM {q(other.name)} AS s WHERE {matches}{extra} "
            f"AND {p_start} < {effective} AND {p_end} > {start}), 0)"
        )

    def _time_range(self, kind: EvidenceKind, measure: DurationMeasure) -> tuple[float, float]:
        row = self.db.execute(
            f"SELECT MIN({q(measure.start)}), MAX({q(measure.start)}), MAX({q(measure.end)}) FROM {q(kind.name)} "
            f"WHERE {q(measure.start)} < ? AND {q(measure.start)} >= ?",
            [self.ctx.end, self.ctx.start - 366 * 86400],
        ).fetchone()
        low = row[0] if row[0] is not None else self.ctx.start
        high = max(v for v in (row[1], row[2], self.ctx.end) if v is not None)
        return min(low, self.ctx.start), min(high, self.ctx.end)

    def _per_record_findings(
        self,
        rule: Rule,
        unit: str,
        counts: list[tuple],
        failing: list[tuple],
        excluded_keys: list[tuple],
    ) -> tuple[list[Finding], list[dict[str, Any]]]:
        ngroups = len(rule.group_by)
        cells: dict[tuple, Counts] = defaultdict(Counts)
        reasons: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in counts:
            group, period = tuple(row[:ngroups]), row[ngroups]
            outcome, reason, count = row[ngroups + 1], row[ngroups + 2], row[ngroups + 3]
            for cell in self._cells(rule, unit, group, period):
                c = cells[cell]
                if outcome == "conform":
                    c.conforming += count
                elif outcome == "breach":
                    c.breached += count
                elif outcome == "pending":
                    c.pending += count
                elif outcome == "excluded" or outcome.startswith("excluded:"):
                    if outcome.startswith("excluded:") and outcome != "excluded:other item":
                        reason = outcome.split(":", 1)[1]
                    if outcome == "excluded:other item":
                        continue
                    c.excluded += count
                    reasons[cell][reason] += count
        keys: dict[tuple, list[tuple[str, float | None, str | None]]] = defaultdict(list)
        details: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in failing:
            group, period = tuple(row[:ngroups]), row[ngroups]
            key, value, detail = row[ngroups + 1], row[ngroups + 2], row[ngroups + 3]
            for cell in self._cells(rule, unit, group, period):
                keys[cell].append((str(key), value, detail))
                if detail:
                    details[cell][detail] += 1
        findings = []
        for cell in self._ordered_cells(rule, unit, cells):
            group_values, period = cell
            c = cells.get(cell, Counts())
            c.n = c.conforming + c.breached
            finding = self._finding(
                rule,
                (dict(zip(rule.group_by, group_values, strict=True)) if group_values else {}),
                period,
                not group_values and period == self.ctx.period.label,
            )
            finding.counts = c
            finding.excluded_by_reason = dict(sorted(reasons[cell].items()))
            listed = sorted(keys.get(cell, []), key=lambda item: item[0])
            finding.failing = [k for k, _, _ in listed]
            finding.failing_values = [v for _, v, _ in listed]
            finding.failing_notes = [failing_note(d, v) for _, v, d in listed]
            if details.get(cell):
                finding.details["breaches_by_step"] = dict(sorted(details[cell].items()))
            self._judge_share(rule, finding)
            findings.append(finding)
        ledger: dict[str, list[str]] = defaultdict(list)
        for reason, key in excluded_keys:
            text = reason.split(":", 1)[1] if reason.startswith("excluded:") else reason
            if text == "other item":
                continue
            ledger[text].append(str(key))
        entries = [
            {"rule": rule.id, "reason": reason, "count": len(keys_), "keys": sorted(keys_)}
            for reason, keys_ in sorted(ledger.items())
        ]
        return findings, entries

    def _cells(self, rule: Rule, unit: str, group: tuple, period: str) -> list[tuple]:
        """The findings a record's counts go to: its own cell, and the pooled one."""
        pooled = ((), self.ctx.period.label)
        own = (group, period)
        cells = [pooled]
        if own != pooled:
            cells.append(own)
        return cells

    def _ordered_cells(self, rule: Rule, unit: str, cells: dict[tuple, Any]) -> list[tuple]:
        pooled = ((), self.ctx.period.label)
        labels = [p.label for p in sub_periods(self.ctx.period, unit)]
        others = sorted(
            (c for c in cells if c != pooled),
            key=lambda c: (
                tuple("" if v is None else str(v) for v in c[0]),
                labels.index(c[1]) if c[1] in labels else 0,
            ),
        )
        return [pooled, *others]

    # ------------------------------------------------------------ aggregate measures

    def _aggregate(
        self, rule: Rule, kind: EvidenceKind
    ) -> tuple[list[Finding], list[dict[str, Any]]]:
        measure = rule.measure
        sql = Sql()
        period_col = self._period_sql(rule, kind, sql)
        excluded = self._exclusion_sql(rule, kind, sql)
        if isinstance(measure, PerThousandMeasure):
            value = "CASE WHEN " + sql.expr(measure.condition, kind, "t.") + " THEN 1 ELSE 0 END"
        else:
            assert isinstance(measure, MeanMeasure | PercentileMeasure | NpsMeasure)
            value = f"t.{q(measure.of)}"
        body = f"{self._key_sql(kind)} AS _key{self._group_sql(rule)}, {period_col} AS _period, {excluded} AS _excluded, {value} AS _value"
        unit, _ = self._scope(rule, kind, sql, body)
        rows = self.db.execute(sql.text, sql.params).fetchall()
        ngroups = len(rule.group_by)
        values: dict[tuple, list[tuple[float, str]]] = defaultdict(list)
        reasons: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        ledger: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            key = str(row[0])
            group, period = tuple(row[1 : 1 + ngroups]), row[1 + ngroups]
            reason, value = row[2 + ngroups], row[3 + ngroups]
            if reason is None and value is None:
                reason = f"no {getattr(measure, 'of', 'value')}"
            if reason is None and isinstance(measure, NpsMeasure) and not 0 <= value <= 10:
                reason = "score outside 0-10"
            for cell in self._cells(rule, unit, group, period):
                if reason is not None:
                    reasons[cell][reason] += 1
                else:
                    values[cell].append((float(value), key))
            if reason is not None:
                ledger[reason].append(key)
        findings = []
        for cell in self._ordered_cells(rule, unit, {**values, **reasons}):
            group_values, period = cell
            finding = self._finding(
                rule,
                (dict(zip(rule.group_by, group_values, strict=True)) if group_values else {}),
                period,
                not group_values and period == self.ctx.period.label,
            )
            finding.excluded_by_reason = dict(sorted(reasons[cell].items()))
            self._judge_aggregate(rule, finding, sorted(values.get(cell, [])))
            findings.append(finding)
        entries = [
            {"rule": rule.id, "reason": reason, "count": len(keys), "keys": sorted(keys)}
            for reason, keys in sorted(ledger.items())
        ]
        return findings, entries

    # ------------------------------------------------------------ verdicts

    def _finding(self, rule: Rule, group: dict[str, Any], period: str, pooled: bool) -> Finding:
        parts = [rule.id]
        parts.extend(f"{k}={v}" for k, v in group.items())
        if period != self.ctx.period.label:
            parts.append(period)
        return Finding(
            id="@".join(parts),
            rule=rule.id,
            clause=rule.clause,
            measure=rule.measure.name,
            group=group,
            period=period,
            pooled=pooled,
            target=str(rule.target),
        )

    def _judge_share(self, rule: Rule, f: Finding) -> None:
        c = f.counts
        target = rule.target.share or Decimal(1)
        excluded_text = _excluded_text(c.excluded, f.excluded_by_reason)
        pending_text = f"; {c.pending:,} pending at period end" if c.pending else ""
        if c.n == 0 and c.excluded and rule.measure.name == "manual" and not c.pending:
            f.verdict = "not-applicable"
            f.explanation = f"not applicable: every answer was 'not applicable'{excluded_text}"
            return
        f.threshold = {"op": ">=", "value": float(target)}
        if c.n < rule.min_records:
            f.verdict = "not-evaluable"
            f.not_evaluable = {"code": "too-few", "n": c.n, "minimum": rule.min_records}
            f.reasons.append(
                f"{c.n:,} records in the rate, fewer than the minimum of {rule.min_records:,}"
            )
            f.explanation = f"not evaluable: {f.reasons[0]}{excluded_text}{pending_text}"
            return
        rate = c.conforming / c.n
        low, high = wilson_interval(c.conforming, c.n)
        f.value, f.interval, f.unit = rate, (low, high), "share"
        f.shortfall = shortfall(c.conforming, c.n, Fraction(target))
        met = Fraction(c.conforming, c.n) >= Fraction(target)
        warn = rule.target.warn_share
        if not met:
            f.verdict = "nonconform"
            f.severity = rule.severity
            major_below = rule.target.major_below
            if major_below is not None and Fraction(c.conforming, c.n) < Fraction(major_below):
                f.severity = "major"
                f.reasons.append(f"below {_pct(float(major_below))}, so major")
        elif warn is not None and Fraction(c.conforming, c.n) < Fraction(warn):
            f.verdict = "observation"
            f.reasons.append(
                f"meets the target but is inside the warn band (below {_pct(float(warn))})"
            )
        elif target < 1 and low < float(target):
            # A 100 % target is a check of every record, not an estimate: no bound applies.
            f.verdict = "observation"
            f.reasons.append(
                f"meets the target but the 95 % lower bound {percent_text(low, float(target))} is below it"
            )
        else:
            f.verdict = "conform"
        head = (
            f"{percent_text(rate, float(target))} ({c.conforming:,} of {c.n:,}{excluded_text}{pending_text}; "
            f"95 % CI {percent_text(low, float(target))[:-2]}-{percent_text(high, float(target))}) "
            f"against at least {_pct(float(target))}"
        )
        f.explanation = f"{head}: {_verdict_words(f)}"
        if f.shortfall:
            f.explanation += (
                f"; {f.shortfall:,} more records meeting \u201c{rule.title.en}\u201d were needed"
            )

    def _judge_aggregate(self, rule: Rule, f: Finding, values: list[tuple[float, str]]) -> None:
        measure = rule.measure
        threshold = rule.target.threshold
        assert threshold is not None
        n = len(values)
        f.counts = Counts(n=n, excluded=sum(f.excluded_by_reason.values()))
        excluded_text = _excluded_text(f.counts.excluded, f.excluded_by_reason)
        limit = float(threshold.value)
        f.threshold = {"op": threshold.op, "value": limit}
        if n < rule.min_records:
            f.verdict = "not-evaluable"
            f.not_evaluable = {"code": "too-few", "n": n, "minimum": rule.min_records}
            f.reasons.append(f"{n:,} values, fewer than the minimum of {rule.min_records:,}")
            f.explanation = f"not evaluable: {f.reasons[0]}{excluded_text}"
            return
        numbers = [v for v, _ in values]
        low_high: tuple[float, float] | None = None
        if isinstance(measure, MeanMeasure):
            total = math.fsum(numbers)
            value = total / n
            variance = math.fsum((x - value) ** 2 for x in numbers) / (n - 1) if n > 1 else 0.0
            half = Z_95 * math.sqrt(variance / n)
            low_high = (value - half, value + half)
            f.details = {"sum": total, "n": n, "standard_deviation": math.sqrt(variance)}
            arithmetic = f"mean {number_text(value, limit, 3)} (= {_num(total)} / {n:,}{excluded_text}; 95 % CI {low_high[0]:.3f}-{low_high[1]:.3f})"
            f.unit = self._value_unit(rule)
            failing = [k for v, k in values if not threshold.holds(v)]
        elif isinstance(measure, PercentileMeasure):
            value, rank = nearest_rank_percentile(numbers, float(measure.p))
            f.details = {"p": float(measure.p), "rank": rank, "n": n, "method": "nearest rank"}
            arithmetic = f"{_num(float(measure.p))}th percentile {_near(value, limit)} (value at rank {rank:,} of {n:,}{excluded_text})"
            f.unit = self._value_unit(rule)
            failing = [k for v, k in values if not threshold.holds(v)]
        elif isinstance(measure, NpsMeasure):
            promoters = sum(1 for v in numbers if v >= 9)
            detractors = sum(1 for v in numbers if v <= 6)
            value = net_promoter_score(promoters, detractors, n)
            f.details = {
                "promoters": promoters,
                "passives": n - promoters - detractors,
                "detractors": detractors,
                "n": n,
            }
            arithmetic = (
                f"NPS {'+' if value >= 0 else ''}{number_text(value, limit, 1)} ({promoters:,} promoters {_pct(promoters / n)} - "
                f"{detractors:,} detractors {_pct(detractors / n)}, of {n:,}{excluded_text})"
            )
            f.unit = "points"
            failing = [k for v, k in values if v <= 6]
        else:
            count = int(sum(numbers))
            value = count * 1000 / n
            low, high = wilson_interval(count, n)
            low_high = (low * 1000, high * 1000)
            f.details = {"count": count, "n": n}
            arithmetic = f"{number_text(value, limit)} per 1,000 ({count:,} of {n:,}{excluded_text}; 95 % CI {low_high[0]:.2f}-{low_high[1]:.2f})"
            f.unit = "per_1000"
            failing = [k for v, k in values if v >= 1]
        f.value = value
        f.interval = low_high
        by_key = dict((k, v) for v, k in values)
        f.failing = sorted(failing)
        f.failing_values = [by_key[k] for k in f.failing]
        if not threshold.holds(value):
            f.verdict, f.severity = "nonconform", rule.severity
        elif rule.target.warn_threshold is not None and not rule.target.warn_threshold.holds(value):
            f.verdict = "observation"
            f.reasons.append(
                f"meets the target but not the warn level {rule.target.warn_threshold}"
            )
        elif low_high is not None and not (
            threshold.holds(low_high[0])
            if threshold.higher_is_better
            else threshold.holds(low_high[1])
        ):
            f.verdict = "observation"
            f.reasons.append("meets the target but the 95 % confidence bound does not")
        else:
            f.verdict = "conform"
        f.explanation = f"{arithmetic} against {threshold}: {_verdict_words(f)}"

    def _value_unit(self, rule: Rule) -> str:
        """``seconds`` for a mean or percentile of a duration field, else ``number``."""
        of = getattr(rule.measure, "of", None)
        spec = self.ctx.pack.evidence[rule.evidence].fields.get(of or "")
        return "seconds" if spec is not None and spec.type == "duration" else "number"

    def _result(
        self, rule: Rule, findings: list[Finding], ledger: list[dict[str, Any]]
    ) -> RuleResult:
        if self.notes:
            for finding in findings:
                finding.details["notes"] = list(self.notes)
        pooled = findings[0]
        if rule.judge == "each-group":
            decisive = worst(findings)
            verdict = decisive.verdict if decisive else pooled.verdict
            severity = decisive.severity if decisive else pooled.severity
        else:
            verdict, severity = pooled.verdict, pooled.severity
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
                "owner": rule.capa.owner,
                "due_days": rule.capa.due_days,
            },
            exclusions=ledger,
            calendar=getattr(rule.measure, "calendar", None),
        )


def _pct(value: float, bare: bool = False) -> str:
    text = f"{value * 100:.1f}"
    return text if bare else f"{text} %"


def _near(value: float, limit: float) -> str:
    """A measured value beside its limit: whole numbers bare, others with the decimals they need."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return number_text(value, limit, 2)


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}".rstrip("0").rstrip(".")


def _excluded_text(count: int, reasons: dict[str, int]) -> str:
    if not count:
        return ""
    if len(reasons) == 1:
        return f"; {count:,} excluded: {next(iter(reasons))}"
    detail = ", ".join(f"{n:,} {r}" for r, n in sorted(reasons.items()))
    return f"; {count:,} excluded: {detail}"


def _verdict_words(f: Finding) -> str:
    words = f"{f.severity} nonconformity" if f.verdict == "nonconform" else f.verdict
    if f.reasons:
        words += f" ({'; '.join(f.reasons)})"
    return words


def evaluate(pack: Pack, store: EvidenceStore, period: Period) -> list[RuleResult]:
    """Evaluate every rule of ``pack`` over ``store`` for ``period``."""
    return Engine(pack, store, period).run()
