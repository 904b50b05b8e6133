"""A rule compiled into the statements that evaluate it: pure, no database is touched.

For a per-record measure the records CTE gives every judged record its key,
groups, sub-period, exclusion, outcome, value and failure note; one statement
counts outcomes by cell, one lists the records that are not simply
conforming. For an aggregate, the CTE gives every record's value (or why it
cannot count); one statement counts, one computes the measure's summary per
cell and for the whole period, one lists failing and excluded records.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

from ..backends.base import HelperTable
from ..backends.statement import Sql, Statement
from ..expression import compared_strings, fields_of
from ..expression import quote_identifier as q
from ..measures import (
    AggregateMeasure,
    ComparedValue,
    FieldsElsewhere,
    Measure,
    RecordMeasure,
)
from .scope import Scope

if TYPE_CHECKING:
    from ..model import EvidenceKind, Rule
    from .env import Env


#: how many of a field's distinct values are read to find the closest to a text that never occurs
VALUES_READ = 10_000


@dataclass(frozen=True)
class ValueCheck:
    """The texts a rule compares one field with, and the statements that find those that occur
    in no record of the kind (in any period) and the values closest to them."""

    kind: str
    field: str
    compared: tuple[ComparedValue, ...]
    #: those of the texts that some record holds: one row each
    occurring: Statement
    #: the field's distinct values, the first ``VALUES_READ`` in order (read only when a text
    #: never occurs)
    values: Statement


@dataclass(frozen=True)
class RulePlan:
    rule: Rule
    kind: EvidenceKind
    measure: Measure
    scope: Scope
    #: kinds the rule needs that hold no record: the rule is not evaluable, nothing runs
    missing: tuple[str, ...] = ()
    helpers: tuple[HelperTable, ...] = ()
    #: fields the measure reads, and the statement counting the records that fill each
    filled: Statement | None = None
    filled_fields: tuple[str, ...] = ()
    #: per field of ``filled_fields``: one row if some record in scope has a value there
    #: (stops at the first), none if the field is empty throughout
    filled_probes: tuple[Statement, ...] = ()
    #: fields of other kinds the measure reads (see :class:`FieldsElsewhere`), each with the
    #: statement counting the records it reads them from, then those that fill each field
    elsewhere: tuple[tuple[FieldsElsewhere, Statement], ...] = ()
    #: fields the rule's ``where`` reads, and the statement counting the kind's records in the
    #: window that fill each (read only when no record is in scope, to say why)
    where_filled: Statement | None = None
    where_fields: tuple[str, ...] = ()
    counts: Statement | None = None
    listing: Statement | None = None
    cells: Statement | None = None
    outcomes: Statement | None = None
    #: each record's (or case's) key, outcome, group values, value in the measure's failing unit,
    #: and the source id and line the failing records give it
    values: Statement | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    value_checks: tuple[ValueCheck, ...] = ()


def compile_rule(rule: Rule, env: Env) -> RulePlan:
    """The statements evaluating ``rule`` in ``env``; composing them reads no data."""
    kind = env.pack.evidence[rule.evidence]
    measure = rule.measure
    scope = Scope(rule, kind, env)
    needed = [rule.evidence, *measure.other_kinds()]
    missing = tuple(sorted(k for k in dict.fromkeys(needed) if k not in env.present))
    if missing:
        return RulePlan(rule, kind, measure, scope, missing=missing)
    if measure.series:  # evaluated from its base rule's results, no statement of its own
        return RulePlan(rule, kind, measure, scope, notes=tuple(measure.notes(env.present)))
    filled_fields = tuple(f for f in measure.fields() if f in kind.fields)
    where_fields = (
        tuple(sorted(f for f in fields_of(rule.where) if f in kind.fields)) if rule.where else ()
    )
    # fields read from other kinds (a duration's pauses), of the kinds that hold records
    reads = [
        (read, env.pack.evidence[read.kind])
        for read in measure.fields_elsewhere()
        if read.kind in env.present
    ]
    base = RulePlan(
        rule,
        kind,
        measure,
        scope,
        helpers=tuple(scope.helpers()),
        filled=_filled(scope, filled_fields) if filled_fields else None,
        filled_fields=filled_fields,
        filled_probes=tuple(_filled_probe(scope, f) for f in filled_fields),
        elsewhere=tuple((read, _filled_elsewhere(other, read)) for read, other in reads),
        where_filled=_filled(scope, where_fields, filtered=False) if where_fields else None,
        where_fields=where_fields,
        notes=tuple(measure.notes(env.present)),
        value_checks=(
            *_value_checks(kind, _compared(rule)),
            *(check for read, other in reads for check in _value_checks(other, _compared_in(read))),
        ),
    )
    if measure.per_record:
        return _record_plan(base, cast(RecordMeasure, measure))
    return _aggregate_plan(base, cast(AggregateMeasure, measure))


def _compared_in(read: FieldsElsewhere) -> list[ComparedValue]:
    """The texts the filter of the records read from another kind compares its fields with."""
    where = compared_strings(read.where) if read.where is not None else []
    return [ComparedValue(f, v) for f, v in where]


def _compared(rule: Rule) -> list[ComparedValue]:
    """The texts the rule's measure, its ``where`` and its exclusions' ``when`` compare its
    own kind's fields with."""
    filters = [rule.where] if rule.where is not None else []
    filters += [exclusion.condition for exclusion in rule.exclusions]
    where = [pair for condition in filters for pair in compared_strings(condition)]
    return [*rule.measure.compared_values(), *(ComparedValue(f, v) for f, v in where)]


def _value_checks(kind: EvidenceKind, compared: list[ComparedValue]) -> tuple[ValueCheck, ...]:
    """A check per text field of ``kind`` compared with a text (not an enum's: its values are
    checked when the pack loads; not a blank text): the rule's own kind, or one its measure
    reads beside it (a duration's pauses)."""
    by_field: dict[str, dict[str, ComparedValue]] = {}
    for item in compared:
        spec = kind.fields.get(item.field)
        if spec is not None and spec.type == "string" and item.value.strip():
            by_field.setdefault(item.field, {}).setdefault(item.value, item)
    return tuple(_value_check(kind, name, tuple(c.values())) for name, c in by_field.items())


def _value_check(
    kind: EvidenceKind, field_name: str, compared: tuple[ComparedValue, ...]
) -> ValueCheck:
    column, table = f"t.{q(field_name)}", q(kind.name)
    sql = Sql()
    # each text's first record, not every record's value: a text that occurs stops the scan
    occurring = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {column} FROM {table} AS t WHERE {column} = "
        f"{sql.value(item.value)} LIMIT 1) AS o{n}"
        for n, item in enumerate(compared)
    )
    values = (
        f"SELECT DISTINCT {column} AS v FROM {table} AS t WHERE {column} IS NOT NULL "
        f"ORDER BY v LIMIT {VALUES_READ}"
    )
    return ValueCheck(
        kind.name, field_name, compared, sql.statement(occurring), Sql().statement(values)
    )


def _filled(scope: Scope, fields: tuple[str, ...], filtered: bool = True) -> Statement:
    sql = Sql()
    counts = ", ".join(f"COUNT(t.{q(f)})" for f in fields)
    return sql.statement(scope.select(sql, f"COUNT(*), {counts}", filtered=filtered))


def _filled_elsewhere(kind: EvidenceKind, read: FieldsElsewhere) -> Statement:
    sql = Sql()
    counts = ", ".join(f"COUNT(s.{q(f)})" for f in read.fields)
    where = "" if read.where is None else " WHERE " + sql.expr(read.where, kind, "s.")
    return sql.statement(f"SELECT COUNT(*), {counts} FROM {q(kind.name)} AS s{where}")


def sources_in_scope(scope: Scope) -> Statement:
    """The manifest ids of the files the rule's records in scope come from."""
    sql = Sql()
    records = scope.select(sql, "t._source AS s")
    return sql.statement(f"SELECT DISTINCT r.s FROM ({records}) AS r")


def _filled_probe(scope: Scope, field_name: str) -> Statement:
    sql = Sql()
    records = scope.select(sql, f"t.{q(field_name)} AS v")
    return sql.statement(f"SELECT 1 FROM ({records}) AS s WHERE s.v IS NOT NULL LIMIT 1")


#: A record the listing names: excluded, or an outcome other than conform and pending
#: (a breach, or 'excluded:<reason>'). The outcome is read once for most records: a
#: costly outcome (business time) is not worked out again for each test.
LISTED = (
    "(CASE WHEN _excluded IS NOT NULL THEN 1 ELSE (CASE _outcome WHEN 'conform' THEN 0 "
    "WHEN 'pending' THEN 0 ELSE (CASE WHEN _outcome IS NULL THEN 0 ELSE 1 END) END) END) = 1"
)


def _count_keys(groups: list[str], outcome: str) -> tuple[str, ...]:
    """What a rule's records are counted by: its groups, the sub-period, the outcome and the
    reason for an exclusion (or '')."""
    return (*groups, "_period", outcome, "COALESCE(_excluded, '')")


def _record_plan(plan: RulePlan, measure: RecordMeasure) -> RulePlan:
    sql = Sql()
    base = f"WITH m AS ({measure.records_sql(plan.scope, sql)}) "
    names = plan.scope.group_names()
    groups = "".join(f"{g}, " for g in names)
    outcome_or_excluded = "CASE WHEN _excluded IS NOT NULL THEN 'excluded' ELSE _outcome END"
    counts = sql.count_statement(base, _count_keys(names, outcome_or_excluded))
    listing = (
        base + f"SELECT {groups}_period, _key, _value, _detail, COALESCE(_excluded, _outcome), "
        "_src, _ln "
        f"FROM m WHERE {LISTED} ORDER BY _key"
    )
    outcome = (
        "CASE WHEN _excluded IS NOT NULL OR _outcome LIKE 'excluded:%' "
        "THEN 'excluded' ELSE _outcome END"
    )
    with_reason = "CASE WHEN _excluded IS NOT NULL THEN 'excluded:' || _excluded ELSE _outcome END"
    outcomes = base + f"SELECT _key, {with_reason} FROM m"
    values = (
        base + f"SELECT _key, {outcome}, {groups}_value, _src, _ln FROM m WHERE _excluded IS NULL"
    )
    return replace(
        plan,
        counts=counts,
        listing=sql.statement(listing),
        outcomes=sql.statement(outcomes),
        values=sql.statement(values),
    )


def _aggregate_records(scope: Scope, measure: AggregateMeasure, sql: Sql) -> str:
    """``WITH m AS (...)``: each record in scope with its key, groups, sub-period, the reason
    it cannot count (or NULL) and its value."""
    value = measure.value_sql(scope, sql)
    columns = (
        f"{scope.key_sql()} AS _key{scope.group_columns()}, {scope.period_sql(sql)} AS _period, "
        f"t._source AS _src, t._line AS _ln, "
        f"COALESCE({scope.exclusion_sql(sql)}, {measure.invalid_sql(value, sql)}) AS _excluded, "
        f"{value} AS _value{measure.columns_sql(scope, sql)}"
    )
    return f"WITH m AS ({scope.select(sql, columns)}) "


def record_member(plan: RulePlan, key: str) -> Statement:
    """One record (or case) of a per-record rule, by its key as the engine writes it: its
    groups and sub-period; no row when the record is not in the rule's scope."""
    measure = cast(RecordMeasure, plan.measure)
    sql = Sql()
    base = f"WITH m AS ({measure.records_sql(plan.scope, sql)}) "
    place = ", ".join([*plan.scope.group_names(), "_period"])
    return sql.statement(base + f"SELECT {place} FROM m WHERE _key = {sql.value(key)}")


def aggregate_member(plan: RulePlan, key: str) -> Statement:
    """One record of an aggregate rule (by its key as the engine writes it): its groups,
    sub-period, the reason it cannot count (or NULL), its value, 1 when the failing list names
    it, and the measure's ``place_columns`` (its rank in its cell ...); no row when the record
    is not in the rule's scope."""
    measure = cast(AggregateMeasure, plan.measure)
    threshold = plan.rule.target.threshold
    assert threshold is not None
    sql = Sql()
    base = _aggregate_records(plan.scope, measure, sql)
    groups = "".join(f"{g}, " for g in plan.scope.group_names())
    windows, _ = measure.cell_sql(sql, f"PARTITION BY {groups}_period")
    place = "".join(f", {column}" for column in measure.place_columns)
    nulls = "".join(f", NULL AS {column}" for column in measure.place_columns)
    listed = f"CASE WHEN {measure.failing_sql(threshold, sql)} THEN 1 ELSE 0 END"
    wanted = sql.value(key)
    text = (
        base + f"SELECT {groups}_period, _excluded, _value, {listed}{place} FROM "
        f"(SELECT m.*{windows} FROM m WHERE _excluded IS NULL) AS v WHERE _key = {wanted} "
        f"UNION ALL SELECT {groups}_period, _excluded, _value, 0{nulls} FROM m "
        f"WHERE _excluded IS NOT NULL AND _key = {wanted}"
    )
    return sql.statement(text)


def _aggregate_plan(plan: RulePlan, measure: AggregateMeasure) -> RulePlan:
    scope = plan.scope
    sql = Sql()
    base = _aggregate_records(scope, measure, sql)
    names = scope.group_names()
    groups = "".join(f"{g}, " for g in names)
    counts = sql.count_statement(
        base, _count_keys(names, "CASE WHEN _excluded IS NULL THEN 'valid' ELSE 'excluded' END")
    )
    own_windows, own = measure.cell_sql(sql, f"PARTITION BY {groups}_period")
    all_windows, pooled = measure.cell_sql(sql, "")
    nulls = "".join(f"NULL AS {g}, " for g in names)
    whole = sql.value(scope.batch.window.period.label)
    # The first column says which cell a row is: 0 a group x sub-period, 1 the pooled one.
    cells = (
        base + f"SELECT 0 AS _pooled, {groups}_period, {', '.join(own)} FROM "
        f"(SELECT m.*{own_windows} FROM m WHERE _excluded IS NULL) AS v "
        f"GROUP BY {groups}_period UNION ALL SELECT 1 AS _pooled, {nulls}{whole} AS _period, "
        f"{', '.join(pooled)} FROM (SELECT m.*{all_windows} FROM m WHERE _excluded IS NULL) AS v"
    )
    threshold = plan.rule.target.threshold
    assert threshold is not None
    listing = (
        base + f"SELECT {groups}_period, _key, _value, NULL, COALESCE(_excluded, 'breach'), "
        "_src, _ln FROM m "
        f"WHERE _excluded IS NOT NULL OR ({measure.failing_sql(threshold, sql)}) ORDER BY _key"
    )
    return replace(
        plan,
        counts=counts,
        cells=sql.statement(cells),
        listing=sql.statement(listing),
    )
