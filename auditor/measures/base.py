"""What a measure is: the one place that knows how a family of checks reads, computes and judges.

A measure class is registered under the pack keys it reads (``duration``,
``mean`` ...). It owns its dataclass (the checked form of its YAML), its reader,
its SQL, its unit and its judgement, and points lazily to its live rule. The
pack loader, the batch driver, the live monitor and the reports look measures
up in the registry and never branch on a measure's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..backends.statement import ONCE_PER_ROW
from ..expression import quote_identifier as q

if TYPE_CHECKING:
    from ..backends.statement import Sql
    from ..evaluate.scope import Scope
    from ..expression import Expr
    from ..findings import Finding, RuleResult
    from ..model import EvidenceKind, Pack, Rule
    from ..periods import Period
    from ..sourcemap import YamlMap
    from ..standards import Text
    from ..units import Threshold
    from .reading import RuleContext


@dataclass(frozen=True)
class ComparedValue:
    """A text a rule compares a field's values with (a sequence's step, ``status == 'closed'``):
    one that never occurs among the field's values is said in a note (a misspelling matches
    nothing, and the rule would be judged against it silently)."""

    field: str
    value: str
    #: how the note names the text: ``step`` for a sequence's, ``value`` for any other
    what: str = "value"


@dataclass(frozen=True)
class FieldsElsewhere:
    """Fields of another evidence kind a measure reads from the records ``where`` selects
    (a duration's pauses): a field empty in every one of them leaves the rule unjudgeable,
    as one of its own kind's would (every pause would have no start, or no end)."""

    kind: str
    fields: tuple[str, ...]
    where: Expr | None = None


@dataclass(frozen=True)
class RecordSql:
    """SQL expressions giving one record's outcome, its measured value and a note on a failure.

    ``outcome`` is one of ``'conform'``, ``'breach'``, ``'pending'`` or
    ``'excluded:<reason>'``; ``detail`` is NULL or a text such as
    ``'resolved: late'`` or ``'open at period end'``.

    ``computed`` names expressions worked out once per record (in an inner
    ``SELECT``) that the other three read as ``t.<name>``: a costly figure
    (a business-time span net of pauses) used in several places is then
    evaluated once, on every engine.
    """

    outcome: str
    value: str = "NULL"
    detail: str = "NULL"
    computed: tuple[tuple[str, str], ...] = ()
    #: a ``LEFT JOIN`` of a relation of the measure's own to the records in scope (``t``),
    #: written where ``computed`` is worked out, so that those expressions can read it
    joined: str = ""


def matched_in(
    scope: Scope,
    pairs: tuple[tuple[str, str], ...],
    other: str,
    condition: str = "",
    also: tuple[str, ...] = (),
) -> str:
    """Whether a record (``t``) has a record of kind ``other`` (``o``) with equal values in
    the ``pairs`` (their field, our field) that meets ``condition`` (on ``o``, and on ``r``,
    the record of the rule's kind being matched, whose fields ``also`` the condition reads).

    An uncorrelated ``IN``: the values of the rule's kind that have such a match, found by
    one join (in which each pair is compared with ``=``, as the engine compares two kinds'
    values), and each record looked up among them (SQLite through a temporary index). A
    correlated ``EXISTS`` would read the other kind again for every record on SQLite.
    """
    ours = [q(field) for field in dict.fromkeys([*(own for _, own in pairs), *also])]
    matches = " AND ".join(f"o.{q(theirs)} = r.{q(own)}" for theirs, own in pairs)
    select = (
        f"SELECT {', '.join(f'r.{field}' for field in ours)} FROM {q(scope.kind.name)} AS r "
        f"JOIN {q(other)} AS o ON {matches}{f' AND {condition}' if condition else ''}"
    )
    values = [f"t.{field}" for field in ours]
    left = values[0] if len(values) == 1 else f"({', '.join(values)})"
    return f"{left} IN ({select})"


def number(value: float) -> str:
    """A figure in an arithmetic sentence: whole numbers bare, others to three decimals."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def numbers(*values: float) -> list[str]:
    """Figures side by side (an interval's bounds), each with the decimals :func:`number` gives
    the one that needs most: ``124.160 to 127.874``, never ``124.16 to 127.874``."""
    decimals = max(len(text.partition(".")[2]) for text in map(number, values))
    return [f"{value:,.{decimals}f}" for value in values]


@dataclass
class Figure:
    """An aggregate's value, its interval and the figures it came from (sum, rank, promoters ...)."""

    value: float
    interval: tuple[float, float] | None = None
    details: dict[str, Any] | None = None
    #: an estimate whose pass its interval must confirm (a mean): without an interval (a
    #: single value) a value that meets the threshold is an observation, not a conformity
    estimate: bool = False


class Measure:
    """Base of every measure. Subclasses are frozen dataclasses registered in ``auditor.measures``."""

    #: the pack key the measure is written under
    name: ClassVar[str] = ""
    #: per-record (a share of conforming records) or aggregate (a value against a threshold)
    per_record: ClassVar[bool] = True
    #: a figure over another rule's results (see :class:`SeriesMeasure`), evaluated by no SQL of its own
    series: ClassVar[bool] = False
    #: ``module:Class`` of the live rule that watches this measure, or None when batch-only
    live_rule: ClassVar[str | None] = None
    #: min_records when the rule gives none (None: the pack's default)
    default_min_records: ClassVar[int | None] = None
    #: the business calendar durations are counted in, if any
    calendar: str | None = None
    #: how the measure's figure is worked out, for a report's method section ({zh, en})
    formula: ClassVar[dict[str, str] | None] = None
    #: the label (in auditor.i18n) of a statistical note the method section adds, if any
    method_label: ClassVar[str | None] = None
    #: set when the rule takes no ``target`` and the measure judges by its own test: the
    #: text that stands for the target in findings and listings (``±3σ``)
    own_target: ClassVar[str | None] = None
    #: words a rule of this measure writes as its target instead of a share or threshold
    target_words: ClassVar[tuple[str, ...]] = ()

    # ------------------------------------------------------------ the pack

    @classmethod
    def read(cls, raw: YamlMap, key: str, ctx: RuleContext) -> Measure | None:
        """The checked measure from its YAML (``raw[key]``), or None after reporting to ``ctx``."""
        raise NotImplementedError

    def default_time(self) -> str | None:
        """The field placing a record in a period when the rule names none (else the kind's)."""
        return None

    def window_sql(self, scope: Scope, sql: Sql, alias: str) -> str | None:
        """The measure's own condition placing a record in the audit window, or None for the usual
        one (its time field in the window); e.g. an interval overlapping the window."""
        return None

    def fields(self) -> list[str]:
        """Fields of the rule's own evidence kind the measure reads."""
        return []

    def other_kinds(self) -> list[str]:
        """Other evidence kinds the measure cannot be judged without."""
        return []

    def fields_elsewhere(self) -> list[FieldsElsewhere]:
        """Fields of other evidence kinds the measure reads, when that kind holds records."""
        return []

    def clock_spans(self, kind: EvidenceKind) -> list[tuple[str, tuple[str, ...], float | None]]:
        """(kind, fields, look-back seconds) whose times the business clock must cover.

        The clock covers from the earliest value of the first field (no earlier
        than the look-back before the period start, when one is given) to the
        period end.
        """
        return []

    def not_live(self, pack: Pack) -> str | None:
        """Why the live rule, when there is one, is not run and the batch audit judges the rule
        (said when a watch starts), or None."""
        return None

    def checklist_items(self) -> list[str]:
        """Checklist items an auditor answers for this measure (manual items)."""
        return []

    def answer_text(self, record: dict[str, Any]) -> str | None:
        """How a record's own answer decides it, for ``explain`` (a checklist answer), or
        None when the record is worked out otherwise."""
        return None

    def compared_values(self) -> list[ComparedValue]:
        """The texts the measure compares fields of the rule's own kind with."""
        return []

    def notes(self, present: frozenset[str]) -> list[str]:
        """What a reader must know about how the figure was reached (e.g. missing pause evidence)."""
        return []

    # ------------------------------------------------------------ units

    def value_unit(self, kind: EvidenceKind) -> str:
        """The unit of the finding's value: ``share`` for per-record measures."""
        return "share"

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        """The unit of each failing record's value, or None when failing records carry none."""
        return None

    def outcome_key(self, kind: EvidenceKind) -> tuple[str, ...]:
        """The fields whose values, joined as :func:`key_text` joins them, name one judged
        record (a record of ``kind``: its key)."""
        return kind.key

    def unit_label(self, kind: EvidenceKind) -> Text | None:
        """The pack's words for what a plain number counts (a field's ``unit``), if any."""
        return None


class RecordMeasure(Measure):
    """A check of each record (or case): conform, breach, pending or excluded."""

    per_record = True

    #: a finding whose records were all excluded by the measure itself is not-applicable
    all_excluded_is_not_applicable: ClassVar[bool] = False
    #: a failure's note names the step that failed ("resolved: late"), counted by step
    notes_name_steps: ClassVar[bool] = False

    def record_sql(self, scope: Scope, sql: Sql) -> RecordSql:
        raise NotImplementedError

    def scope_filter(self, scope: Scope, sql: Sql) -> str | None:
        """A condition of the measure's own on which records it reads (beside the rule's ``where``)."""
        return None

    def records_sql(self, scope: Scope, sql: Sql) -> str:
        """``SELECT`` of one row per judged record: key, groups, period, exclusion, outcome, value, detail."""
        judged = self.record_sql(scope, sql)
        columns = (
            f"{scope.key_sql()} AS _key{scope.group_columns()}, {scope.period_sql(sql)} AS _period, "
            f"t._source AS _src, t._line AS _ln, "
            f"{scope.exclusion_sql(sql)} AS _excluded, {judged.outcome} AS _outcome, "
            f"{judged.value} AS _value, {judged.detail} AS _detail"
        )
        extra = self.scope_filter(scope, sql)
        also = f" AND {extra}" if extra else ""
        if not judged.computed:
            return scope.select(sql, columns) + also
        named = "".join(f", {text} AS {name}" for name, text in judged.computed)
        if judged.joined:
            records = scope.select(sql, "t.*") + also
            inner = f"SELECT t.*{named} FROM ({records}) AS t {judged.joined}"
        else:
            inner = scope.select(sql, f"t.*{named}") + also
        return f"SELECT {columns} FROM ({inner} {ONCE_PER_ROW}) AS t"


class AggregateMeasure(Measure):
    """A value over the records in scope (mean, percentile, NPS, count per 1,000) against a threshold."""

    per_record = False

    def scope_filter(self, scope: Scope, sql: Sql) -> str | None:
        return None

    def value_sql(self, scope: Scope, sql: Sql) -> str:
        """Each record's value."""
        raise NotImplementedError

    def columns_sql(self, scope: Scope, sql: Sql) -> str:
        """Further columns of each record (``, expr AS _name``) that :meth:`cell_sql` reads."""
        return ""

    def invalid_sql(self, value: str, sql: Sql) -> str:
        """The reason a record's value cannot count (``CASE ... END``), or ``NULL``."""
        return "NULL"

    def cell_sql(self, sql: Sql, partition: str) -> tuple[str, list[str]]:
        """Window columns (``, AVG(_value) OVER (partition) AS _mean``) and the aggregate columns of one cell.

        ``partition`` is the window's ``PARTITION BY`` clause for a cell of a
        group and sub-period, or empty for the whole period.
        """
        raise NotImplementedError

    def figure(self, summary: tuple[Any, ...]) -> Figure:
        """The value, its interval and its figures from the aggregate columns."""
        raise NotImplementedError

    def failing_sql(self, threshold: Threshold, sql: Sql) -> str:
        """Condition on ``_value`` for the records listed as failing."""
        raise NotImplementedError

    def failing_unit(self, kind: EvidenceKind) -> str | None:
        return "number"

    # ------------------------------------------------------------ one record (explain)

    #: window columns of :meth:`cell_sql` that place one record in its cell (a rank), read
    #: for ``auditor explain`` and handed to :meth:`contribution`
    place_columns: ClassVar[tuple[str, ...]] = ()

    def contribution(self, value: Any, kind: EvidenceKind, place: dict[str, Any]) -> str:
        """What one counted record adds to its cell's figure, in words."""
        return f"contributes its value {number(value)} to the cell's figure (1 of its n)"

    def arithmetic(self, figure: Figure) -> str:
        """How a cell's figure is worked out from the figures it came from, to redo by hand."""
        details = ", ".join(f"{name} {shown}" for name, shown in (figure.details or {}).items())
        return f"{self.name} = {number(figure.value)} (from {details})"

    def listed_because(self, value: Any, kind: EvidenceKind, threshold: Threshold) -> str:
        """Why a counted record is among the rule's failing records."""
        return f"its value {number(value)} meets the {self.name} rule's test of a failing record"


class SeriesMeasure(Measure):
    """A figure worked out from another rule's results: its spread across groups, its trend
    across periods, its daily course.

    The rule names the rule it follows (``base_rule_id``). The driver evaluates
    that rule in the shape the measure asks for (:meth:`shape`: grouped by site,
    per day ...) over each period of :meth:`periods` (the audit period, and for a
    trend the ones before it), then hands the results to :meth:`judge`, which
    returns the series rule's findings (the pooled one first).
    """

    per_record = False
    series = True
    #: the measure follows its own rule's records (``every``), not another rule
    own_records: ClassVar[bool] = False

    def base_rule_id(self) -> str:
        raise NotImplementedError

    def check_base(self, base: Rule) -> str | None:
        """Why ``base`` cannot be followed by this measure (checked when the pack loads), or None."""
        return None

    def shape(self, base: Rule) -> Rule:
        """The base rule as this measure needs it evaluated."""
        return base

    def periods(self, period: Period) -> list[Period]:
        """The periods the base rule is evaluated over, oldest first, ending with ``period``."""
        return [period]

    def judge(self, rule: Rule, results: list[RuleResult], pooled: Finding) -> list[Finding]:
        """The series rule's findings from the base rule's results (one per period of :meth:`periods`).

        ``pooled`` is the rule's empty pooled finding (id, clause, period, target
        filled in) for the measure to complete.
        """
        raise NotImplementedError
