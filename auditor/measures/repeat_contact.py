"""``repeat_contact``: first-contact resolution from the interaction log alone.

A contact conforms when the same customer (and the same matter, when
``matter`` is given) makes no later contact within ``within``; it is breached
when there is one (the failing record names the first repeat's key, its value
is the gap in seconds). "Later" means a strictly later ``at``, or the same
``at`` and a greater record key. A repeat counts when it is a record of the
same kind meeting the rule's ``where`` (exclusions do not apply to it) with
its ``at`` before the period end.

Judged as of the period end, like a duration: evidence after the period is not
read, so a contact whose window runs past the period end with no repeat so far
is pending, never judged resolved from missing future data. A contact with no
customer id (or, with ``matter``, no matter) is excluded with that reason.

A record of a file that had no column for the customer, the matter or ``at``
is excluded (``no column for FIELD in its file``, as in every rule), and it
is no known repeat: a contact with no known repeat that such a record could
repeat (it meets the rule's ``where``, matches the contact in every field its
file has, and falls in the contact's window when its file has ``at``) is
excluded with that record's reason, as its resolution is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..expression import quote_identifier as q
from ..units import Duration
from . import register
from .base import RecordMeasure, RecordSql
from .reading import RuleContext, measure_map

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..model import EvidenceKind
    from ..sourcemap import YamlMap

#: the failing note's problem of a contact followed by a repeat (the note's step is the repeat's key)
REPEAT = "repeat contact"
NO_CUSTOMER = "no customer id"
NO_MATTER = "no matter"


@register
@dataclass(frozen=True)
class RepeatContactMeasure(RecordMeasure):
    customer: str
    at: str
    within: Duration
    matter: str | None = None
    name: ClassVar[str] = "repeat_contact"
    formula: ClassVar[dict[str, str] | None] = {
        "zh": "一次解决率 = 其后在时限内无同一客户(及同一事项)再次联系的联系记录数 / n;"
        "时限延伸至审核期间末之后且期间内尚无再次联系的记录为待定,不计入 n。",
        "en": "first-contact resolution = contacts with no later contact of the same customer (and "
        "matter) within the window / n; a contact whose window runs past the period end with no "
        "repeat by then is pending and not in n.",
    }

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> RepeatContactMeasure | None:
        spec = measure_map(raw, key, ctx, ("customer", "matter", "at", "within"))
        if spec is None:
            return None
        customer = ctx.field(spec, "customer", ())
        matter = ctx.field(spec, "matter", ()) if "matter" in spec else None
        at = ctx.field(spec, "at", ("timestamp", "date"))
        within = ctx.duration(spec, "within") if "within" in spec else None
        if "within" not in spec:
            ctx.error("repeat_contact measure needs 'within', e.g. within: 7d", spec.start)
        if customer is None or at is None or within is None:
            return None
        if "matter" in spec and matter is None:
            return None
        return cls(customer, at, within, matter)

    def default_time(self) -> str | None:
        return self.at

    @property
    def same(self) -> list[str]:
        """The fields a repeat shares with its contact: the customer, and the matter if given."""
        return [self.customer] + ([self.matter] if self.matter else [])

    def fields(self) -> list[str]:
        return [self.customer, self.at] + ([self.matter] if self.matter else [])

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "seconds"

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        at, within = f"t.{q(self.at)}", sql.value(self.within.seconds)
        repeated = f"r._next_at <= {at} + {within}"
        ends = f"{at} + {within} >= {sql.value(scope.batch.window.end)}"
        missing = f"WHEN t.{q(self.customer)} IS NULL THEN 'excluded:{NO_CUSTOMER}' "
        if self.matter:
            missing += f"WHEN t.{q(self.matter)} IS NULL THEN 'excluded:{NO_MATTER}' "
        unknown = self._unknown_repeats_sql(scope, sql)
        maybe = "WHEN t._unknown IS NOT NULL THEN 'excluded:' || t._unknown " if unknown else ""
        outcome = (
            f"CASE {missing}WHEN t._gap IS NOT NULL THEN 'breach' {maybe}"
            f"WHEN {ends} THEN 'pending' ELSE 'conform' END"
        )
        on = " AND ".join(
            [f"r._key{i} = t.{q(k)}" for i, k in enumerate(scope.kind.key)]
            + [f"r._same{i} = t.{q(f)}" for i, f in enumerate(self.same)]
            + [f"r._at = {at}"]
        )
        joined = f"LEFT JOIN ({self._next_sql(scope, sql)}) AS r ON {on}"
        computed: tuple[tuple[str, str], ...] = (
            ("_gap", f"CASE WHEN {repeated} THEN r._next_at - {at} END"),
            ("_repeat", f"CASE WHEN {repeated} THEN r._next_key END"),
        )
        if unknown:
            own = " AND ".join(f"u._key{i} = t.{q(k)}" for i, k in enumerate(scope.kind.key))
            joined += f" LEFT JOIN ({unknown}) AS u ON {own}"
            computed += (("_unknown", "u._reason"),)
        return RecordSql(
            outcome, "t._gap", f"t._repeat || ': {REPEAT}'", computed=computed, joined=joined
        )

    def _unknown_repeats_sql(self, scope: Scope, sql: Sql) -> str | None:
        """Each contact of a file with every column the measure reads (its key) with the reason
        of the first record of a file without one of them that could be its repeat; None when
        every file of the kind had those columns."""
        lacking: dict[int, list[str]] = {}
        for name, sources in scope.no_column().items():  # in the order of the reasons
            for source in sources:
                lacking.setdefault(source, []).append(name)
        if not lacking:
            return None
        files: dict[tuple[str, ...], list[int]] = {}
        for source, names in sorted(lacking.items()):
            files.setdefault(tuple(names), []).append(source)
        repeats = " UNION ALL ".join(
            self._maybe_repeat_sql(scope, sql, names, tuple(sources), tuple(lacking), f"_maybe{i}")
            for i, (names, sources) in enumerate(files.items())
        )
        keys = ", ".join(f"_key{i}" for i in range(len(scope.kind.key)))
        return f"SELECT {keys}, MIN(_reason) AS _reason FROM ({repeats}) AS m GROUP BY {keys}"

    def _maybe_repeat_sql(
        self,
        scope: Scope,
        sql: Sql,
        unread: tuple[str, ...],
        sources: tuple[int, ...],
        lacking: tuple[int, ...],
        name: str,
    ) -> str:
        """Contacts (of the files not in ``lacking``) a record of the files ``sources``, which
        had no column for ``unread``, could be the repeat of: a record meeting the rule's
        ``where`` with the contact's values of the fields its file has (``shared``) and, when
        its file has ``at``, the first such record after the contact, before the period end,
        within the contact's window. No contact is compared with every such record.
        ``name`` names the records it numbers, apart from any other part of the statement."""
        reason = sql.value(f"no column for {unread[0]} in its file")
        keys = ", ".join(f"_key{i}" for i in range(len(scope.kind.key)))
        shared = [f for f in self.same if f not in unread]
        candidate = scope.from_files(sql, sources, "o")
        if self.at in unread:
            if scope.rule.where is not None:
                candidate += f" AND {scope.filter_sql(sql, 'o')}"
            matching = self._matching_sql(scope, sql, shared, lacking, candidate)
            return f"SELECT {keys}, {reason} AS _reason FROM ({matching}) AS m"
        candidate += f" AND {self._candidate_sql(scope, sql)}"
        contact = f"NOT {scope.from_files(sql, lacking, 'o')}"
        first = self._first_after_sql(scope, sql, shared, candidate, name, contact)
        return (
            f"SELECT {keys}, {reason} AS _reason FROM ({first}) AS f "
            f"WHERE f._next_at <= f._at + {sql.value(self.within.seconds)}"
        )

    def _matching_sql(
        self, scope: Scope, sql: Sql, shared: list[str], lacking: tuple[int, ...], candidate: str
    ) -> str:
        """The keys (``_key0``...) of the contacts of the files not in ``lacking`` whose
        ``shared`` fields equal those of a record meeting ``candidate`` (any such record
        when ``shared`` is empty): one equality join with those records' distinct values."""
        keys = ", ".join(f"c.{q(k)} AS _key{i}" for i, k in enumerate(scope.kind.key))
        values = ", ".join(f"o.{q(f)}" for f in shared) or "1 AS _any"
        equal = " AND ".join(f"o.{q(f)} = c.{q(f)}" for f in shared) or "1 = 1"
        table = q(scope.kind.name)
        return (
            f"SELECT {keys} FROM {table} AS c JOIN (SELECT DISTINCT {values} FROM {table} AS o "
            f"WHERE {candidate}) AS o ON {equal} WHERE NOT {scope.from_files(sql, lacking, 'c')}"
        )

    def _candidate_sql(self, scope: Scope, sql: Sql) -> str:
        """Whether a record ``o`` can be a repeat: it meets the rule's ``where`` and its ``at``
        is before the period end."""
        candidate = f"o.{q(self.at)} < {sql.value(scope.batch.window.end)}"
        if scope.rule.where is not None:
            candidate += f" AND {scope.filter_sql(sql, 'o')}"
        return candidate

    def _next_sql(self, scope: Scope, sql: Sql) -> str:
        """Each contact of the kind (key, customer, matter, moment) with the first contact
        after it that can be its repeat (:meth:`_candidate_sql`)."""
        candidate = self._candidate_sql(scope, sql)
        return self._first_after_sql(scope, sql, self.same, candidate, "_numbered")

    def _first_after_sql(
        self,
        scope: Scope,
        sql: Sql,
        same: list[str],
        candidate: str,
        name: str,
        contact: str | None = None,
    ) -> str:
        """Each record ``o`` of the kind meeting ``contact`` (any record when None), with
        ``same`` and ``at`` filled (key, ``same`` fields, moment), with the first record after
        it meeting ``candidate`` with the same values of ``same``.

        In the records' ``same`` values ordered by ``at`` and key, a running count numbers
        the candidates one by one (``_number``); counting them up to the last record with
        the same moment and key text (none of which is later than the others) gives, one
        more, the number of the first candidate after a record (``_after``). One sort and
        one equality join of column to column (so SQLite's automatic index is on the
        number too): no record is compared with every other. Records sharing key, ``same`` fields and moment (a store read under another
        key) give one row. ``name`` names the numbered records: unique in the statement, as
        Spark lifts every ``WITH`` to the statement's top.
        """
        keys = "".join(f"o.{q(k)} AS _key{i}, " for i, k in enumerate(scope.kind.key))
        parts = "".join(f"o.{q(f)} AS _same{i}, " for i, f in enumerate(same))
        filled = " AND ".join(f"o.{q(f)} IS NOT NULL" for f in [*same, self.at])
        marks = f"CASE WHEN {candidate} THEN 1 ELSE 0 END AS _candidate"
        if contact is not None:
            filled += f" AND ({contact} OR ({candidate}))"
            marks += f", CASE WHEN {contact} THEN 1 ELSE 0 END AS _contact"
        records = (
            f"SELECT {keys}{parts}{scope.key_sql('o')} AS _k, o.{q(self.at)} AS _at, {marks} "
            f"FROM {q(scope.kind.name)} AS o WHERE {filled}"
        )
        partition = f"PARTITION BY {', '.join(f'_same{i}' for i in range(len(same)))} "
        order = f"{partition if same else ''}ORDER BY _at, _k"
        numbered = (
            f"SELECT c.*, SUM(_candidate) OVER ({order} ROWS BETWEEN UNBOUNDED PRECEDING "
            f"AND CURRENT ROW) AS _number, SUM(_candidate) OVER ({order} RANGE BETWEEN "
            f"UNBOUNDED PRECEDING AND CURRENT ROW) + 1 AS _after FROM ({records}) AS c"
        )
        matches = "".join(f"n._same{i} = s._same{i} AND " for i in range(len(same)))
        if contact is not None:
            matches += "s._contact = 1 AND "
        own = "".join(f"s._key{i}, " for i in range(len(scope.kind.key)))
        own += "".join(f"s._same{i}, " for i in range(len(same)))
        return (
            f"WITH {name} AS ({numbered}) "
            f"SELECT DISTINCT {own}s._at, n._at AS _next_at, n._k AS _next_key "
            f"FROM {name} AS s JOIN {name} AS n ON {matches}"
            "n._candidate = 1 AND n._number = s._after"
        )
