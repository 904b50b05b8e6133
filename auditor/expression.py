"""The small, safe expression language of rule packs.

Text is parsed (by a Lark LALR grammar, ``expression.lark``) into an AST of
frozen dataclasses, printed back to canonical text, type-checked against an
evidence schema and compiled to parameterised SQL. Nothing is ever evaluated
with ``eval`` and no user text is ever pasted into SQL: field names are checked
against the schema and quoted, every literal becomes a ``?`` parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any, Union

import lark

from .errors import AuditorError, ExpressionError, Location, closest_name
from .units import DURATION_UNITS, Duration, parse_duration

MAX_LENGTH = 10_000
KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})

# ---------------------------------------------------------------- the AST


@dataclass(frozen=True)
class Field:
    name: str
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Literal:
    """A string, number (Decimal), boolean or Duration."""

    value: str | Decimal | bool | Duration
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Not:
    operand: Expr
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Expr, ...]
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class IsNull:
    operand: Expr
    negated: bool = False
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class In:
    operand: Expr
    values: tuple[Literal, ...]
    negated: bool = False
    column: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Arith:
    op: str  # "+" | "-"
    left: Expr
    right: Expr
    column: int = field(default=0, compare=False, repr=False)


Expr = Union[Field, Literal, Not, BoolOp, Compare, IsNull, In, Arith]  # noqa: UP007

# ---------------------------------------------------------------- parsing


@lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    grammar = resources.files("auditor").joinpath("expression.lark").read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


_TOKEN_NAMES = {
    "RPAR": "')'",
    "LPAR": "'('",
    "RSQB": "']'",
    "LSQB": "'['",
    "COMMA": "','",
    "NAME": "a field name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "DURATION": "a duration",
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "AND": "'and'",
    "OR": "'or'",
    "NOT": "'not'",
    "IN": "'in'",
    "IS": "'is'",
    "NULL": "'null'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "$END": "the end",
}


def _describe_expected(expected: set[str]) -> str:
    names = sorted({_TOKEN_NAMES.get(e, e.lower()) for e in expected})
    if len(names) > 4:
        names = [*names[:4], "..."]
    return ", ".join(names)


def parse(text: str) -> Expr:
    """Parse expression text into its AST; raise :class:`ExpressionError` if it is not valid."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression as text, found {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExpressionError("empty expression")
    try:
        tree = _parser().parse(text)
    except lark.UnexpectedCharacters as exc:
        pos = exc.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        hint = None
        if char in "\"'":
            raise ExpressionError(
                "unterminated string in expression",
                location=Location(None, exc.line, exc.column),
                hint=f"close it with a matching {char}",
            ) from None
        if char == "=":
            hint = "compare with '==' (a single '=' is not an operator)"
        elif char in ";-" or text[pos : pos + 2] in ("--", "/*"):
            hint = "only comparisons, and/or/not, in, is null, literals and fields are allowed"
        raise ExpressionError(
            f"unexpected character {char!r} in expression",
            location=Location(None, exc.line, exc.column),
            hint=hint,
        ) from None
    except lark.UnexpectedEOF as exc:
        raise ExpressionError(
            f"expression ends too early; expected {_describe_expected(set(exc.expected))}",
            location=Location(None, 1, len(text) + 1),
        ) from None
    except lark.UnexpectedToken as exc:
        token = exc.token
        expected = _describe_expected(set(exc.expected))
        if token.type == "$END":
            raise ExpressionError(
                f"expression ends too early; expected {expected}",
                location=Location(None, 1, len(text) + 1),
            ) from None
        word = str(token)
        hint = None
        if word.lower() in KEYWORDS and word != word.lower():
            hint = f"keywords are written in lower case: '{word.lower()}'"
        raise ExpressionError(
            f"unexpected {word!r} in expression" + ("" if hint else f"; expected {expected}"),
            location=Location(None, token.line or 1, token.column or 1),
            hint=hint,
        ) from None
    except lark.LarkError as exc:  # pragma: no cover - other parser failures
        raise ExpressionError(f"expression cannot be read: {exc}") from None
    try:
        return _build(tree.children[0])
    except RecursionError:
        raise ExpressionError("expression is nested too deeply") from None


def _column(node: lark.Tree | lark.Token) -> int:
    if isinstance(node, lark.Token):
        return node.column or 0
    return getattr(node.meta, "column", 0) or 0


def _unquote(token: lark.Token) -> str:
    body = str(token)[1:-1]
    out: list[str] = []
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in escapes:
                raise ExpressionError(
                    f"unknown escape '\\{nxt}' in string",
                    location=Location(None, token.line, (token.column or 0) + i + 1),
                    hint="use \\\\, \\\", \\', \\n, \\t or \\r",
                )
            out.append(escapes[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _duration_literal(token: lark.Token) -> Literal:
    try:
        duration = parse_duration(str(token))
    except AuditorError as exc:
        raise ExpressionError(
            exc.message,
            location=Location(None, token.line, token.column),
            suggestion=exc.suggestion,
            hint=exc.hint,
        ) from None
    return Literal(duration, _column(token))


def _build(node: lark.Tree | lark.Token) -> Expr:
    if isinstance(node, lark.Token):  # pragma: no cover - grammar always wraps tokens
        raise ExpressionError(f"unexpected {node!s}")
    kind = node.data
    kids = node.children
    col = _column(node)
    if kind == "field":
        name = str(kids[0])
        if name in KEYWORDS:
            raise ExpressionError(
                f"'{name}' is a keyword, not a field", location=Location(None, 1, col)
            )
        return Field(name, col)
    if kind == "string":
        return Literal(_unquote(kids[0]), col)  # type: ignore[arg-type]
    if kind == "number":
        return Literal(Decimal(str(kids[0])), col)
    if kind == "negative_number":
        return Literal(-Decimal(str(kids[0])), col)
    if kind == "duration":
        return _duration_literal(kids[0])  # type: ignore[arg-type]
    if kind == "true":
        return Literal(True, col)
    if kind == "false":
        return Literal(False, col)
    if kind == "negation":
        return Not(_build(kids[0]), col)
    if kind in ("or_test", "and_test"):
        return BoolOp("or" if kind == "or_test" else "and", tuple(_build(k) for k in kids), col)
    if kind == "compare":
        return Compare(str(kids[1]), _build(kids[0]), _build(kids[2]), col)
    if kind in ("is_null", "is_not_null"):
        return IsNull(_build(kids[0]), kind == "is_not_null", col)
    if kind in ("member", "not_member"):
        values = tuple(_build(k) for k in kids[1].children)
        literals = tuple(v for v in values if isinstance(v, Literal))
        return In(_build(kids[0]), literals, kind == "not_member", col)
    if kind in ("add", "subtract"):
        return Arith("+" if kind == "add" else "-", _build(kids[0]), _build(kids[1]), col)
    raise ExpressionError(f"unsupported construct '{kind}'")  # pragma: no cover


# ---------------------------------------------------------------- printing

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "arith": 5, "atom": 6}


def _precedence(expr: Expr) -> int:
    if isinstance(expr, BoolOp):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, Not):
        return _PRECEDENCE["not"]
    if isinstance(expr, Compare | IsNull | In):
        return _PRECEDENCE["compare"]
    if isinstance(expr, Arith):
        return _PRECEDENCE["arith"]
    return _PRECEDENCE["atom"]


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _number_text(value: Decimal) -> str:
    text = format(value, "f")
    return text


def format_literal(value: str | Decimal | bool | Duration) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, Duration):
        return str(value)
    return _number_text(value)


def to_text(expr: Expr) -> str:
    """Canonical text of an expression: ``parse(to_text(e)) == e``."""
    return _print(expr, 0)


def _wrap(expr: Expr, minimum: int) -> str:
    text = _print(expr, minimum)
    return f"({text})" if _precedence(expr) < minimum else text


def _print(expr: Expr, _minimum: int) -> str:
    if isinstance(expr, Field):
        return expr.name
    if isinstance(expr, Literal):
        return format_literal(expr.value)
    if isinstance(expr, Not):
        return "not " + _wrap(expr.operand, _PRECEDENCE["not"])
    if isinstance(expr, BoolOp):
        inner = _PRECEDENCE[expr.op] + 1
        return f" {expr.op} ".join(_wrap(o, inner) for o in expr.operands)
    if isinstance(expr, Compare):
        arith = _PRECEDENCE["arith"]
        return f"{_wrap(expr.left, arith)} {expr.op} {_wrap(expr.right, arith)}"
    if isinstance(expr, IsNull):
        middle = "is not null" if expr.negated else "is null"
        return f"{_wrap(expr.operand, _PRECEDENCE['arith'])} {middle}"
    if isinstance(expr, In):
        values = ", ".join(format_literal(v.value) for v in expr.values)
        middle = "not in" if expr.negated else "in"
        return f"{_wrap(expr.operand, _PRECEDENCE['arith'])} {middle} ({values})"
    if isinstance(expr, Arith):
        left = _wrap(expr.left, _PRECEDENCE["arith"])
        right = _wrap(expr.right, _PRECEDENCE["atom"])
        return f"{left} {expr.op} {right}"
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


# ---------------------------------------------------------------- types

#: value types of the language; "enum" fields are strings with a closed set of values


@dataclass(frozen=True)
class FieldType:
    """What the checker needs to know of a field."""

    type: str
    values: tuple[str, ...] = ()  # allowed values of an enum
    optional: bool = False


def _base(t: str) -> str:
    return {"integer": "number", "enum": "string", "date": "timestamp"}.get(t, t)


def _literal_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Duration):
        return "duration"
    return "number"


def check(expr: Expr, schema: Mapping[str, FieldType], *, boolean: bool = True) -> str:
    """Type-check ``expr`` against ``schema``; return its type.

    With ``boolean`` (the default) the whole expression must be a condition.
    """
    result = _type_of(expr, schema)
    if boolean and result != "boolean":
        raise ExpressionError(
            f"expression is a {result}, not a condition",
            location=Location(None, 1, expr.column or 1),
            hint='compare it with something, e.g. x == "value"',
        )
    return result


def _err(message: str, expr: Expr, **kw: Any) -> ExpressionError:
    return ExpressionError(message, location=Location(None, 1, expr.column or 1), **kw)


def _enum_check(field_expr: Expr, literal: Expr, schema: Mapping[str, FieldType]) -> None:
    if not (isinstance(field_expr, Field) and isinstance(literal, Literal)):
        return
    spec = schema.get(field_expr.name)
    if spec is None or not spec.values or not isinstance(literal.value, str):
        return
    if literal.value not in spec.values:
        raise _err(
            f"'{literal.value}' is not a value of {field_expr.name} "
            f"(values: {', '.join(spec.values)})",
            literal,
            suggestion=closest_name(literal.value, spec.values),
        )


def _type_of(expr: Expr, schema: Mapping[str, FieldType]) -> str:
    if isinstance(expr, Field):
        spec = schema.get(expr.name)
        if spec is None:
            raise _err(
                f"unknown field '{expr.name}'", expr, suggestion=closest_name(expr.name, schema)
            )
        return _base(spec.type)
    if isinstance(expr, Literal):
        return _literal_type(expr.value)
    if isinstance(expr, Not):
        inner = _type_of(expr.operand, schema)
        if inner != "boolean":
            raise _err(f"'not' needs a condition, found a {inner}", expr)
        return "boolean"
    if isinstance(expr, BoolOp):
        for operand in expr.operands:
            inner = _type_of(operand, schema)
            if inner != "boolean":
                raise _err(f"'{expr.op}' needs conditions on both sides, found a {inner}", operand)
        return "boolean"
    if isinstance(expr, Compare):
        left, right = _type_of(expr.left, schema), _type_of(expr.right, schema)
        if left != right:
            raise _err(f"cannot compare a {left} with a {right} ({to_text(expr)})", expr)
        if left == "boolean" and expr.op not in ("==", "!="):
            raise _err(f"booleans compare only with == or !=, not {expr.op}", expr)
        _enum_check(expr.left, expr.right, schema)
        _enum_check(expr.right, expr.left, schema)
        return "boolean"
    if isinstance(expr, IsNull):
        _type_of(expr.operand, schema)
        return "boolean"
    if isinstance(expr, In):
        operand_type = _type_of(expr.operand, schema)
        if operand_type not in ("string", "number"):
            raise _err(f"'in' works on strings and numbers, not a {operand_type}", expr)
        for item in expr.values:
            kind = _literal_type(item.value)
            if kind != operand_type:
                raise _err(
                    f"list value {format_literal(item.value)} is a {kind}, not a {operand_type}",
                    item,
                )
            _enum_check(expr.operand, item, schema)
        return "boolean"
    if isinstance(expr, Arith):
        left, right = _type_of(expr.left, schema), _type_of(expr.right, schema)
        allowed = {
            ("number", "number", "+"): "number",
            ("number", "number", "-"): "number",
            ("duration", "duration", "+"): "duration",
            ("duration", "duration", "-"): "duration",
            ("timestamp", "duration", "+"): "timestamp",
            ("timestamp", "duration", "-"): "timestamp",
            ("duration", "timestamp", "+"): "timestamp",
            ("timestamp", "timestamp", "-"): "duration",
        }
        result = allowed.get((left, right, expr.op))
        if result is None:
            raise _err(f"cannot compute {left} {expr.op} {right}", expr)
        return result
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


def fields_of(expr: Expr) -> set[str]:
    """Names of every field the expression reads."""
    if isinstance(expr, Field):
        return {expr.name}
    if isinstance(expr, Literal):
        return set()
    if isinstance(expr, Not | IsNull | In):
        return fields_of(expr.operand)
    if isinstance(expr, BoolOp):
        return set().union(*(fields_of(o) for o in expr.operands))
    return fields_of(expr.left) | fields_of(expr.right)


def compared_strings(expr: Expr) -> list[tuple[str, str]]:
    """(field, text) for each text a field is tested for (in)equality with (``==``, ``!=``,
    ``in``, ``not in``), in the order written: a misspelt one matches no record."""
    if isinstance(expr, Compare) and expr.op in ("==", "!="):
        pairs = [(expr.left, expr.right), (expr.right, expr.left)]
        return [
            (f.name, v.value)
            for f, v in pairs
            if isinstance(f, Field) and isinstance(v, Literal) and isinstance(v.value, str)
        ]
    if isinstance(expr, In) and isinstance(expr.operand, Field):
        name = expr.operand.name
        return [(name, item.value) for item in expr.values if isinstance(item.value, str)]
    if isinstance(expr, Not):
        return compared_strings(expr.operand)
    if isinstance(expr, BoolOp):
        return [pair for operand in expr.operands for pair in compared_strings(operand)]
    return []


# ---------------------------------------------------------------- SQL


def quote_identifier(name: str) -> str:
    """Quote a checked identifier for SQL (standard double quotes)."""
    if not name.replace("_", "a").isalnum() or not name.isascii():
        raise ExpressionError(f"'{name}' is not a valid name")
    return '"' + name.replace('"', '""') + '"'


def sql_value(value: str | Decimal | bool | Duration) -> str | int | float:
    """A literal as the SQL parameter that stands for it."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, Duration):
        return value.seconds
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def to_sql(
    expr: Expr, schema: Mapping[str, FieldType], prefix: str = ""
) -> tuple[str, list[str | int | float]]:
    """Compile a checked expression to a SQL fragment with ``?`` parameters.

    ``prefix`` is a table alias put before every column (``"t."``). Timestamps
    are stored as epoch seconds and booleans as 0/1, so the fragment is plain
    SQL that SQLite, DuckDB and PostgreSQL all read the same way.
    """
    params: list[str | int | float] = []
    sql = _sql(expr, schema, prefix, params, boolean_context=True)
    return sql, params


def _sql(
    expr: Expr,
    schema: Mapping[str, FieldType],
    prefix: str,
    params: list[str | int | float],
    boolean_context: bool = False,
) -> str:
    if isinstance(expr, Field):
        column = prefix + quote_identifier(expr.name)
        spec = schema.get(expr.name)
        if boolean_context and spec is not None and spec.type == "boolean":
            return f"({column} = 1)"
        return column
    if isinstance(expr, Literal):
        params.append(sql_value(expr.value))
        return "?"
    if isinstance(expr, Not):
        return f"(NOT {_sql(expr.operand, schema, prefix, params, True)})"
    if isinstance(expr, BoolOp):
        joiner = " AND " if expr.op == "and" else " OR "
        return "(" + joiner.join(_sql(o, schema, prefix, params, True) for o in expr.operands) + ")"
    if isinstance(expr, Compare):
        op = "<>" if expr.op == "!=" else ("=" if expr.op == "==" else expr.op)
        left = _sql(expr.left, schema, prefix, params)
        right = _sql(expr.right, schema, prefix, params)
        return f"({left} {op} {right})"
    if isinstance(expr, IsNull):
        operand = _sql(expr.operand, schema, prefix, params)
        return f"({operand} IS {'NOT ' if expr.negated else ''}NULL)"
    if isinstance(expr, In):
        operand = _sql(expr.operand, schema, prefix, params)
        marks = ", ".join(_sql(v, schema, prefix, params) for v in expr.values)
        return f"({operand} {'NOT ' if expr.negated else ''}IN ({marks}))"
    if isinstance(expr, Arith):
        left = _sql(expr.left, schema, prefix, params)
        right = _sql(expr.right, schema, prefix, params)
        return f"({left} {expr.op} {right})"
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


# ---------------------------------------------------------------- Python


def evaluate(expr: Expr, record: Mapping[str, Any]) -> Any:
    """Evaluate on one stored record, with SQL's three-valued logic.

    Values are as stored: timestamps in epoch seconds, booleans as 0/1 or bool,
    missing values as ``None``. A condition returns True, False or None
    (unknown); callers count only True as met, as SQL's WHERE does.
    """
    if isinstance(expr, Field):
        return record.get(expr.name)
    if isinstance(expr, Literal):
        return sql_value(expr.value)
    if isinstance(expr, Not):
        value = _truth(evaluate(expr.operand, record))
        return None if value is None else not value
    if isinstance(expr, BoolOp):
        values = [_truth(evaluate(o, record)) for o in expr.operands]
        if expr.op == "and":
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False
    if isinstance(expr, Compare):
        left, right = evaluate(expr.left, record), evaluate(expr.right, record)
        if left is None or right is None:
            return None
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[expr.op]
    if isinstance(expr, IsNull):
        is_null = evaluate(expr.operand, record) is None
        return not is_null if expr.negated else is_null
    if isinstance(expr, In):
        value = evaluate(expr.operand, record)
        if value is None:
            return None
        found = value in [sql_value(v.value) for v in expr.values]
        return not found if expr.negated else found
    if isinstance(expr, Arith):
        left, right = evaluate(expr.left, record), evaluate(expr.right, record)
        if left is None or right is None:
            return None
        return left + right if expr.op == "+" else left - right
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


def holds(expr: Expr, record: Mapping[str, Any]) -> bool:
    """True when a condition is met on ``record``; unknown (a missing value) is not met."""
    return _truth(evaluate(expr, record)) is True


def _truth(value: Any) -> bool | None:
    if value is None:
        return None
    return bool(value)


__all__ = [
    "DURATION_UNITS",
    "KEYWORDS",
    "Arith",
    "BoolOp",
    "Compare",
    "Expr",
    "Field",
    "FieldType",
    "In",
    "IsNull",
    "Literal",
    "Not",
    "check",
    "evaluate",
    "fields_of",
    "holds",
    "parse",
    "to_sql",
    "to_text",
]
