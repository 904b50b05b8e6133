"""SQL statements composed without a database: text in one neutral dialect plus named parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..expression import Expr
    from ..model import EvidenceKind


@dataclass(frozen=True)
class Statement:
    """One SQL statement: SQLite-dialect text with ``:pN`` parameters, and their values.

    :meth:`render` gives the text for another engine's dialect (through sqlglot),
    so a query is written once and run anywhere.
    """

    text: str
    params: dict[str, Any] = field(default_factory=dict)
    #: for a count of rows by keys (the text is its GROUP BY form): the rows' query and the
    #: keys, so that an engine may count another way (SQLite: :meth:`CountBy.upsert`)
    counted: CountBy | None = None

    def render(self, dialect: str) -> str:
        if dialect == "sqlite":
            return self.text
        import sqlglot

        tree = sqlglot.parse_one(self.text, read="sqlite").transform(_for_other_engines)
        return tree.sql(dialect=dialect)


@dataclass(frozen=True)
class CountBy:
    """``COUNT(*)`` of the rows of ``FROM m`` (``m`` defined in ``base``) by ``keys``.

    The statement's text is the plain ``GROUP BY``. SQLite has no hash aggregation: it
    sorts every row by the keys (about a second at 650,000 records of four keys), although
    the keys take a few dozen values. :meth:`upsert` counts the same rows into a small
    keyed table instead, one look-up per row. A table's key takes every NULL for a new
    value, so a row with a NULL key is a row of its own there; :meth:`read_back` adds
    those up with a ``GROUP BY`` over the few rows of the table, which groups exactly as
    the plain statement does. (The table's columns compare bytes, as every column of the
    store does; a key with another collation, NOCASE say, would need it on the table.)
    """

    base: str
    keys: tuple[str, ...]

    def group_by(self) -> str:
        keys = ", ".join(self.keys)
        return f"{self.base}SELECT {keys}, COUNT(*) FROM m GROUP BY {keys}"

    def _columns(self) -> str:
        return ", ".join(f"k{i}" for i in range(len(self.keys)))

    def table_sql(self, table: str) -> str:
        columns = self._columns()
        return f"CREATE TEMP TABLE {table} ({columns}, n, PRIMARY KEY ({columns}))"

    def upsert(self, table: str) -> str:
        return (
            f"{self.base}INSERT INTO {table} SELECT {', '.join(self.keys)}, 1 FROM m WHERE true "
            f"ON CONFLICT ({self._columns()}) DO UPDATE SET n = n + 1"
        )

    def read_back(self, table: str) -> str:
        columns = self._columns()
        return f"SELECT {columns}, SUM(n) FROM {table} GROUP BY {columns}"


#: SQLite's "no limit", written after a subquery whose columns must be worked out once per
#: row: SQLite does not flatten a subquery with a LIMIT into the query around it (which
#: would copy a costly column's expression into every place that reads it). Other
#: engines are given the statement without it.
ONCE_PER_ROW = "LIMIT -1"


#: written right after a two-argument ``MIN`` or ``MAX`` whose arguments are NULL together
#: (or whose NULL argument does not change what the statement gives): other engines get a
#: plain ``LEAST``/``GREATEST``, which skips a NULL where SQLite's gives NULL, instead of
#: one guarded by a ``CASE`` that repeats both arguments (subqueries and all)
NULLS_TOGETHER = "/* nulls together */"
_NULLS_TOGETHER_TEXT = NULLS_TOGETHER.removeprefix("/*").removesuffix("*/").strip()


def _for_other_engines(node: Any) -> Any:
    """A node of a statement as other engines get it: without SQLite's "no limit" (see
    :data:`ONCE_PER_ROW`), and ``MIN``/``MAX`` marked :data:`NULLS_TOGETHER` unguarded."""
    from sqlglot import exp

    if isinstance(node, exp.Limit) and node.expression.sql() == "-1":
        return None
    if isinstance(node, exp.Least | exp.Greatest) and any(
        comment.strip() == _NULLS_TOGETHER_TEXT for comment in node.comments or ()
    ):
        node.set("ignore_nulls", True)
        node.comments = None
    return node


class Sql:
    """Builds SQL text with named parameters (``:p0``, ``:p1`` ...).

    Named, so that a fragment (an elapsed-time expression, say) can appear
    several times in one statement with its parameters bound once. Every value
    is a parameter; every name is a checked, quoted identifier.
    """

    def __init__(self, prefix: str = "p") -> None:
        self.parts: list[str] = []
        self.params: dict[str, Any] = {}
        self.prefix = prefix

    def add(self, text: str) -> Sql:
        self.parts.append(text)
        return self

    def value(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def expr(self, expr: Expr, kind: EvidenceKind, prefix: str) -> str:
        """A checked expression over ``kind`` as SQL, its literals as parameters."""
        from ..expression import to_sql

        text, params = to_sql(expr, kind.schema, prefix)
        pieces = text.split("?")
        out = [pieces[0]]
        for param, piece in zip(params, pieces[1:], strict=True):
            out.append(self.value(param))
            out.append(piece)
        return "".join(out)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def statement(self, text: str | None = None) -> Statement:
        """A statement of ``text`` (default: everything added) with just the parameters it uses."""
        body = self.text if text is None else text
        used = set(re.findall(r":(" + re.escape(self.prefix) + r"\d+)\b", body))
        return Statement(body, {k: v for k, v in self.params.items() if k in used})

    def count_statement(self, base: str, keys: tuple[str, ...]) -> Statement:
        """The rows of ``m`` (defined in ``base``) counted by ``keys``: one row per distinct
        keys, the keys then the count."""
        counted = CountBy(base, keys)
        return replace(self.statement(counted.group_by()), counted=counted)
