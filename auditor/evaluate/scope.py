"""A rule's scope, written once for every measure, batch and live.

The scope owns which records a rule judges and how each is labelled: the
audit window, the ``where`` filter, the exclusions with their reasons, the
record key, the groups and the sub-period labels. It renders them as SQL for
the batch engines and as conditions for the live monitor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from ..backends.base import HelperTable
from ..backends.statement import Sql
from ..expression import fields_of
from ..expression import quote_identifier as q
from ..periods import sub_periods

if TYPE_CHECKING:
    from ..live.conditions import Compiler
    from ..model import EvidenceKind, Rule
    from .env import Env

#: sub-periods labelled by a CASE up to this many; beyond, by a look-up in a helper table
CASE_PERIODS = 40


def key_text(values: list[Any]) -> str:
    """A record's key as text, exactly as :meth:`Scope.key_sql` renders it in SQL."""
    return "|".join(_value_text(v) for v in values)


def _value_text(value: Any) -> str:
    """SQLite's text of a value (``CAST(x AS TEXT)``): 15 significant digits, a real keeps a point."""
    if isinstance(value, float):
        return _real_text(value)
    return str(value)


def _real_text(value: float) -> str:
    """A real as SQLite writes it: its exact value rounded half up to 15 digits, %g style."""
    if value != value or value in (float("inf"), float("-inf")):
        return f"{value:.15g}"
    exact = Decimal(value + 0.0)  # the binary value exactly; -0.0 reads as 0.0, as in SQLite
    if not exact:
        return "0.0"
    exponent = exact.adjusted()
    digits = exact.scaleb(-exponent).quantize(Decimal("1." + "0" * 14), ROUND_HALF_UP)
    if abs(digits) >= 10:
        digits, exponent = digits / 10, exponent + 1
    if -4 <= exponent < 15:
        text = format(digits.scaleb(exponent), "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return text if "." in text else text + ".0"
    mantissa = format(digits, "f").rstrip("0").rstrip(".")
    mantissa = mantissa if "." in mantissa else mantissa + ".0"
    return f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


#: the field types whose key parts are moments: stored as epoch seconds, shown as ISO text
TIME_TYPES = ("date", "timestamp")


def shown_key(key: str, types: Sequence[str], zone: Any) -> str:
    """A record key as people read it (the key text of :func:`key_text` whose parts have the
    field types ``types``): a date part (a local midnight) as its ISO date (``2026-09-24``), a
    timestamp part as its ISO local date and time in ``zone`` with the UTC offset
    (``2012-05-03T13:48:40+02:00``, fractional seconds kept), other parts as they are; the key
    as it is when its parts are not as many as ``types``. The inverse of
    :func:`stored_key_fields`; every key a person reads is shown by this function."""
    if not any(type_ in TIME_TYPES for type_ in types):
        return key
    parts = key.split("|") if len(types) > 1 else [key]
    if len(parts) != len(types):
        return key
    return "|".join(
        _shown_part(part, type_, zone) for part, type_ in zip(parts, types, strict=True)
    )


def key_types(kind: EvidenceKind, fields: Sequence[str] | None = None) -> list[str]:
    """The field types of a key's parts: ``fields`` of ``kind`` (its record key without)."""
    return [kind.fields[name].type for name in (fields or kind.key)]


def _shown_part(text: str, type_: str, zone: Any) -> str:
    """A key part's text as people read it (see :func:`shown_key`)."""
    from datetime import datetime

    if type_ not in TIME_TYPES or not _is_number(text):
        return text
    try:
        moment = datetime.fromtimestamp(float(text), zone)
    except (ValueError, OverflowError, OSError):
        return text
    if type_ == "date":
        return moment.date().isoformat()
    shown = moment.isoformat(timespec="seconds")
    if moment.microsecond:  # 13:48:40.25, not 13:48:40.250000
        fraction = f"{moment.microsecond:06d}".rstrip("0")
        shown = f"{shown[:19]}.{fraction}{shown[19:]}"
    return shown


def stored_key_fields(kind: EvidenceKind, key: str, zone: Any) -> dict[str, str]:
    """The fields of a record key as people read it, each as the text of its stored value (what
    :meth:`EvidenceStore.records` compares): the inverse of :meth:`Scope.display_keys`.

    A date part written as an ISO date (``2026-09-24``) is read back as the epoch seconds of that
    day's first instant in ``zone``, as the store holds it; a timestamp part written as an ISO
    date and time (``2026-09-24 10:15:00``, in ``zone`` unless it carries an offset) as its epoch
    seconds. Any other part, and one already in its stored form (``1790179200.0``), is kept.
    """
    parts = key.split("|") if len(kind.key) > 1 else [key]
    if len(parts) != len(kind.key):  # a part left out or one too many: never another record
        from ..errors import AuditorError

        raise AuditorError(
            f"a {kind.name} record's key has {len(kind.key)} parts "
            f"({'|'.join(kind.key)}); '{key}' has {len(parts)}",
            hint="copy the key from the report or failing-records.csv, its parts joined by '|'",
        )
    return {
        name: _stored_text(part, kind.fields[name].type, zone)
        for name, part in zip(kind.key, parts, strict=True)
    }


def _stored_text(text: str, type_: str, zone: Any) -> str:
    """``text`` of a date or timestamp key part as the store's text of it, when it reads as one."""
    from datetime import date, datetime

    from ..timeparse import day_start

    written = text.strip()
    try:
        if type_ in ("date", "timestamp") and _is_number(written):  # already in stored form
            return _value_text(float(written))
        if type_ == "date":
            return _value_text(day_start(date.fromisoformat(written), zone)[0].timestamp())
        if type_ == "timestamp" and len(written) > 10:  # a date alone is no moment
            moment = datetime.fromisoformat(written)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
            return _value_text(moment.timestamp())
    except (ValueError, OverflowError, OSError):
        pass
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_reason(cases: list[str]) -> str:
    """``CASE WHEN ... THEN reason ... END`` of ``cases``, or NULL without any."""
    return f"CASE {' '.join(cases)} END" if cases else "NULL"


@dataclass(frozen=True)
class LiveGuards:
    """The scope as live conditions on one message type.

    ``out_of_scope`` holds for records the filter leaves out; each exclusion's
    condition holds for in-scope records it is the first to match; ``in_scope``
    (all of them) holds for records the rule judges.
    """

    out_of_scope: dict[str, Any] | None
    exclusions: list[tuple[str, dict[str, Any]]]
    in_scope: list[dict[str, Any]]


@dataclass(frozen=True)
class Scope:
    rule: Rule
    kind: EvidenceKind
    env: Env | None = None  # the batch environment; the live monitor has none

    # ------------------------------------------------------------ what it reads

    @property
    def time_field(self) -> str | None:
        """The field placing a record in the audit period (the rule's, the measure's or the kind's)."""
        return self.rule.time or self.kind.time

    @property
    def unit(self) -> str:
        """The sub-period unit findings are split by (``all`` for kinds without a time)."""
        return self.rule.period if self.time_field else "all"

    @property
    def group_by(self) -> tuple[str, ...]:
        return self.rule.group_by

    def fields(self) -> set[str]:
        """Fields the filter and the exclusions read."""
        used: set[str] = set()
        for expr in (self.rule.where, *(e.condition for e in self.rule.exclusions)):
            if expr is not None:
                used |= fields_of(expr)
        return used

    # ------------------------------------------------------------ live

    def live_guards(self, compiler: Compiler, message: dict[str, Any]) -> LiveGuards:
        """The filter and the exclusions as conditions on messages matching ``message``."""
        from ..live import adapter as dr

        guard = [message]
        out = None
        if self.rule.where is not None:
            holds = compiler.true(self.rule.where)
            out = dr.all_of(message, dr.complement(holds))
            guard.append(holds)
        exclusions = []
        for exclusion in self.rule.exclusions:
            holds = compiler.true(exclusion.condition)
            exclusions.append((exclusion.reason, dr.all_of(*guard, holds)))
            guard.append(dr.complement(holds))
        return LiveGuards(out, exclusions, guard)

    # ------------------------------------------------------------ SQL

    @property
    def batch(self) -> Env:
        assert self.env is not None, "a live scope has no audit window"
        return self.env

    def select(
        self,
        sql: Sql,
        columns: str,
        alias: str = "t",
        time_field: str | None = None,
        filtered: bool = True,
    ) -> str:
        """``SELECT columns FROM kind AS t WHERE ...``: the rule's records in the audit window
        (all the kind's records in it, without the rule's ``where``, if not ``filtered``)."""
        moment = time_field or self.time_field
        text = f"SELECT {columns} FROM {q(self.kind.name)} AS {alias} WHERE 1 = 1"
        own = None if time_field else self.rule.measure.window_sql(self, sql, alias)
        if own is not None:
            text += " AND " + own
        elif moment is not None:
            text += " AND " + self.window_sql(sql, f"{alias}.{q(moment)}")
        if self.rule.where is not None and filtered:
            text += " AND " + self.filter_sql(sql, alias)
        return text

    def window_sql(self, sql: Sql, column: str) -> str:
        window = self.batch.window
        return f"{column} >= {sql.value(window.start)} AND {column} < {sql.value(window.end)}"

    def filter_sql(self, sql: Sql, alias: str = "t") -> str:
        assert self.rule.where is not None
        return sql.expr(self.rule.where, self.kind, f"{alias}.")

    def key_sql(self, alias: str = "t", fields: tuple[str, ...] | None = None) -> str:
        parts = [f"CAST({alias}.{q(k)} AS TEXT)" for k in (fields or self.kind.key)]
        return parts[0] if len(parts) == 1 else " || '|' || ".join(parts)

    def display_keys(self, keys: list[str]) -> list[str]:
        """The keys the rule judges (a record's, a sequence's case) as people read them
        (see :func:`shown_key`): date and timestamp parts as ISO text in the pack's zone."""
        types = key_types(self.kind, self.rule.measure.outcome_key(self.kind))
        if self.env is None or not any(type_ in TIME_TYPES for type_ in types):
            return list(keys)
        zone = self.env.window.zone
        return [shown_key(key, types, zone) for key in keys]

    def group_columns(self, alias: str = "t") -> str:
        """``, t.site AS _g_site`` for each group field."""
        return "".join(f", {alias}.{q(g)} AS {q('_g_' + g)}" for g in self.group_by)

    def group_names(self) -> list[str]:
        return [q("_g_" + g) for g in self.group_by]

    def exclusion_sql(self, sql: Sql, alias: str = "t") -> str:
        """The reason of the first exclusion a record matches, else NULL: first a field the
        rule's measure judges by that the record's file had no column for, then the rule's
        exclusions."""
        return _first_reason(self._unread_cases(sql, alias) + self._excluded_cases(sql, alias))

    def unread_sql(self, sql: Sql, alias: str = "t") -> str | None:
        """The reason ``no column for FIELD in its file`` of the first field the rule's measure
        judges by that the record's file had no column for, else NULL; None when every file of
        the kind had a column for each such field."""
        cases = self._unread_cases(sql, alias)
        return _first_reason(cases) if cases else None

    def rule_exclusion_sql(self, sql: Sql, alias: str = "t") -> str:
        """The reason of the first of the rule's own exclusions a record matches, else NULL."""
        return _first_reason(self._excluded_cases(sql, alias))

    def _unread_cases(self, sql: Sql, alias: str) -> list[str]:
        return [
            f"WHEN {self.from_files(sql, sources, alias)} THEN "
            f"{sql.value(f'no column for {name} in its file')}"
            for name, sources in self.no_column().items()
        ]

    def _excluded_cases(self, sql: Sql, alias: str) -> list[str]:
        return [
            f"WHEN {sql.expr(e.condition, self.kind, alias + '.')} THEN {sql.value(e.reason)}"
            for e in self.rule.exclusions
        ]

    def no_column(self) -> dict[str, tuple[int, ...]]:
        """Each field the rule's measure judges a record by (:meth:`Measure.fields`; not a
        duration's ``ended``, nor a field only a filter or an exclusion reads, which reads an
        empty value as any record without it) that some file of the kind had no column for,
        with those files' manifest ids."""
        return {
            name: sources
            for name in sorted(self.rule.measure.fields())
            if (sources := self.files_without({name}))
        }

    def files_without(self, fields: set[str]) -> tuple[int, ...]:
        """Manifest ids of the files of the kind that had no column for one of ``fields``."""
        lacking = self.batch.no_column.get(self.kind.name, {})
        return tuple(sorted({source for name in fields for source in lacking.get(name, ())}))

    def from_files(self, sql: Sql, sources: tuple[int, ...], alias: str = "t") -> str:
        """Whether a record comes from one of the files ``sources``."""
        return f"{alias}._source IN ({', '.join(sql.value(s) for s in sources)})"

    def period_sql(self, sql: Sql, column: str | None = None) -> str:
        """The label of the sub-period a record's moment falls in (the whole period's without one)."""
        if column is None:
            if self.time_field is None:
                return sql.value(self.batch.window.period.label)
            column = f"t.{q(self.time_field)}"
        periods = sub_periods(self.batch.window.period, self.rule.period)
        whole = sql.value(self.batch.window.period.label)
        zone = self.batch.window.zone
        if len(periods) <= CASE_PERIODS:
            cases = " ".join(
                f"WHEN {column} < {sql.value(p.end(zone))} THEN {sql.value(p.label)}"
                for p in periods
            )
            return f"COALESCE(CASE {cases} END, {whole})"
        # The one sub-period holding the moment (start <= moment < end), as an aggregate: no
        # engine may pick a row by a correlated ORDER BY ... LIMIT 1, which Spark decorrelates
        # into a window without the order (the row it takes depends on how its sorts spill).
        # The redundant lower bound (no sub-period is longer) keeps SQLite's look-up a seek
        # on the start index.
        table = q(self.periods_table().name)
        longest = max(p.end(zone) - p.start(zone) for p in periods)
        return (
            f"COALESCE((SELECT MAX(p.label) FROM {table} AS p WHERE p.start <= {column} "
            f"AND p.start >= {column} - {sql.value(longest)} AND p.{q('end')} > {column}), "
            f"{whole})"
        )

    def periods_table(self) -> HelperTable:
        """The helper table of sub-period labels and starts (for days and weeks)."""
        zone = self.batch.window.zone
        rows = tuple(
            (p.label, p.start(zone), p.end(zone))
            for p in sub_periods(self.batch.window.period, self.rule.period)
        )
        return HelperTable(
            f"_periods_{self.rule.period}",
            (("label", "TEXT"), ("start", "REAL"), ("end", "REAL")),
            rows,
            primary_key=("start",),
        )

    def helpers(self) -> list[HelperTable]:
        """Helper tables the scope's SQL reads."""
        if self.time_field is None:
            return []
        if len(sub_periods(self.batch.window.period, self.rule.period)) <= CASE_PERIODS:
            return []
        return [self.periods_table()]
