"""Sequence rules in SQL: ordered events per key, each step within a bound of an earlier one.

A case is the events sharing a key. The first event of each step counts (a
repeated event is ignored). For each later step, in order:

- it happened before the step it follows: **out of order** (a breach);
- it happened later than its bound after its origin step: **late**, by the overrun;
- it has not happened by the period end and its bound has passed: **missing**, by the overrun;
- it has not happened and its bound has not passed: the case is **pending**.

A case with any breach is breached, and the first breach in step order is the
one reported; otherwise a case with a step still to come is pending; a case
with every step in time is met.
A case without its first step is excluded from the rate. Bounds are in wall
time, or in business time when the rule names a calendar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .business_time import cumulative_sql
from .expression import quote_identifier as q
from .model import EvidenceKind, Rule, SequenceMeasure

if TYPE_CHECKING:
    from .engine import Engine


def sequence_cte(
    engine: Engine, rule: Rule, kind: EvidenceKind, measure: SequenceMeasure
) -> tuple[str, dict[str, Any], str]:
    """``WITH m AS (...)`` giving each case its outcome, overrun and which step decided it."""
    from .engine import Sql

    ctx = engine.ctx
    sql = Sql()
    end = sql.value(ctx.end)
    names = [sql.value(step.name) for step in measure.steps]
    step_col, at_col = f"ev.{q(measure.step)}", f"ev.{q(measure.at)}"
    firsts = ", ".join(
        f"MIN(CASE WHEN {step_col} = {name} THEN {at_col} END) AS _t{i}"
        for i, name in enumerate(names)
    )
    groups = "".join(
        f", MIN(CASE WHEN {step_col} = {names[0]} THEN ev.{q(g)} END) AS {q('_g_' + g)}"
        for g in rule.group_by
    )
    where = " WHERE " + sql.expr(rule.where, kind, "ev.") if rule.where is not None else ""
    cases = (
        f"SELECT CAST(ev.{q(measure.key)} AS TEXT) AS _key, {firsts}{groups} "
        f"FROM {q(kind.name)} AS ev{where} GROUP BY ev.{q(measure.key)}"
    )
    table = None
    if measure.calendar:
        low, high = engine.db.execute(
            f"SELECT MIN({q(measure.at)}), MAX({q(measure.at)}) FROM {q(kind.name)}"
        ).fetchone()
        low = min(v for v in (low, ctx.start) if v is not None)
        high = max(v for v in (high, ctx.end) if v is not None)
        _, table = engine.clock(measure.calendar, low, high)

    def span(a: str, b: str) -> str:
        if table is None:
            return f"({b} - {a})"
        return f"({cumulative_sql(table, b)} - {cumulative_sql(table, a)})"

    def seen(i: int) -> str:  # the step happened by the period end
        return f"(c._t{i} IS NOT NULL AND c._t{i} <= {end})"

    outcome = [f"WHEN c._t0 IS NULL THEN 'excluded:no {measure.steps[0].name} step'"]
    decided: list[tuple[str, str, str]] = []  # condition, detail, overrun
    waiting: list[str] = []
    for i, step in enumerate(measure.steps[1:], start=1):
        before = f"{seen(i)} AND c._t{i - 1} IS NOT NULL AND c._t{i} < c._t{i - 1}"
        decided.append((before, f"{step.name}: out of order", "NULL"))
        waiting.append(f"WHEN NOT {seen(i)} THEN 'pending'")
        if step.within is None:
            continue
        limit = sql.value(step.within.seconds)
        origin = f"c._t{measure.origin(i)}"
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
    # A breach anywhere is certain, so breaches (first in step order) come before pending steps.
    outcome.extend(f"WHEN {cond} THEN 'breach'" for cond, _, _ in decided)
    outcome.extend(waiting)
    # The first failing step decides; pending cases take no detail.
    detail = (
        "CASE "
        + " ".join(f"WHEN {cond} THEN {sql.value(text)}" for cond, text, _ in decided)
        + " END"
    )
    overrun = "CASE " + " ".join(f"WHEN {cond} THEN {value}" for cond, _, value in decided) + " END"
    period = engine.period_label_sql(rule.period, sql, "c._t0")
    group_cols = "".join(f", c.{q('_g_' + g)}" for g in rule.group_by)
    body = (
        f"SELECT c._key AS _key{group_cols}, {period} AS _period, NULL AS _excluded, "
        f"CASE {' '.join(outcome)} ELSE 'conform' END AS _outcome, "
        f"{overrun} AS _value, {detail} AS _detail FROM ({cases}) AS c "
        f"WHERE c._t0 IS NULL OR (c._t0 >= {sql.value(ctx.start)} AND c._t0 < {end})"
    )
    return "WITH m AS (" + body + ") ", sql.params, rule.period
