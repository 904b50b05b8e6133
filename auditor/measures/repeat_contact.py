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
            self._maybe_repeat_sql(scope, sql, names, tuple(sources), tuple(lacking))
            for names, sources in files.items()
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
    ) -> str:
        """Contacts (``c``, of the files not in ``lacking``) a record (``o``) of the files
        ``sources``, which had no column for ``unread``, could be the repeat of."""
        reason = sql.value(f"no column for {unread[0]} in its file")
        keys = ", ".join(f"c.{q(k)} AS _key{i}" for i, k in enumerate(scope.kind.key))
        tests = [
            scope.from_files(sql, sources, "o"),
            f"NOT {scope.from_files(sql, lacking, 'c')}",
            *(f"o.{q(f)} = c.{q(f)}" for f in self.same if f not in unread),
        ]
        if self.at not in unread:
            o_at, c_at = f"o.{q(self.at)}", f"c.{q(self.at)}"
            later = f"{scope.key_sql('o')} > {scope.key_sql('c')}"
            tests.append(
                f"({o_at} > {c_at} OR ({o_at} = {c_at} AND {later})) AND {o_at} <= {c_at} + "
                f"{sql.value(self.within.seconds)} AND {o_at} < {sql.value(scope.batch.window.end)}"
            )
        if scope.rule.where is not None:
            tests.append(scope.filter_sql(sql, "o"))
        return (
            f"SELECT {keys}, {reason} AS _reason FROM {q(scope.kind.name)} AS c "
            f"JOIN {q(scope.kind.name)} AS o ON {' AND '.join(tests)}"
        )

    def _next_sql(self, scope: Scope, sql: Sql) -> str:
        """Each contact of the kind (key, customer, matter, moment) with the first contact
        after it that can be its repeat.

        A repeat can be a record of the kind meeting the rule's ``where`` with its ``at``
        before the period end (a candidate). In each customer's (and matter's) contacts
        ordered by ``at`` and key, a running count numbers the candidates one by one
        (``_number``); ``_through`` counts them up to the last contact with the same moment
        and key text, none of which is later than the others. The first candidate after a
        contact is the one numbered one more than its ``_through``. One sort and one
        equality join: no contact is compared with every other. Records sharing key,
        customer, matter and moment (a store read under another key) give one row.
        """
        same = self.same
        candidate = f"o.{q(self.at)} < {sql.value(scope.batch.window.end)}"
        if scope.rule.where is not None:
            candidate += f" AND {scope.filter_sql(sql, 'o')}"
        keys = "".join(f"o.{q(k)} AS _key{i}, " for i, k in enumerate(scope.kind.key))
        parts = "".join(f"o.{q(f)} AS _same{i}, " for i, f in enumerate(same))
        filled = " AND ".join(f"o.{q(f)} IS NOT NULL" for f in [*same, self.at])
        contacts = (
            f"SELECT {keys}{parts}{scope.key_sql('o')} AS _k, o.{q(self.at)} AS _at, "
            f"CASE WHEN {candidate} THEN 1 ELSE 0 END AS _candidate "
            f"FROM {q(scope.kind.name)} AS o WHERE {filled}"
        )
        order = f"PARTITION BY {', '.join(f'_same{i}' for i in range(len(same)))} ORDER BY _at, _k"
        numbered = (
            f"SELECT c.*, SUM(_candidate) OVER ({order} ROWS BETWEEN UNBOUNDED PRECEDING "
            f"AND CURRENT ROW) AS _number, SUM(_candidate) OVER ({order} RANGE BETWEEN "
            f"UNBOUNDED PRECEDING AND CURRENT ROW) AS _through FROM ({contacts}) AS c"
        )
        matches = "".join(f"n._same{i} = s._same{i} AND " for i in range(len(same)))
        own = "".join(f"s._key{i}, " for i in range(len(scope.kind.key)))
        own += "".join(f"s._same{i}, " for i in range(len(same)))
        return (
            f"WITH _numbered AS ({numbered}) "
            f"SELECT DISTINCT {own}s._at, n._at AS _next_at, n._k AS _next_key "
            f"FROM _numbered AS s JOIN _numbered AS n ON {matches}"
            "n._candidate = 1 AND n._number = s._through + 1"
        )
