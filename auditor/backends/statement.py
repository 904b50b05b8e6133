"""SQL statements composed without a database: text in one neutral dialect plus named parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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

    def render(self, dialect: str) -> str:
        if dialect == "sqlite":
            return self.text
        import sqlglot

        tree = sqlglot.parse_one(self.text, read="sqlite").transform(_without_no_limit)
        return tree.sql(dialect=dialect)


#: SQLite's "no limit", written after a subquery whose columns must be worked out once per
#: row: SQLite does not flatten a subquery with a LIMIT into the query around it (which
#: would copy a costly column's expression into every place that reads it). Other
#: engines are given the statement without it.
ONCE_PER_ROW = "LIMIT -1"


def _without_no_limit(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.Limit) and node.expression.sql() == "-1":
        return None
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
