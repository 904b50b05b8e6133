"""The pack's checked expressions as durable_rules conditions, with SQL's three-valued logic."""

from __future__ import annotations

from typing import Any

from .. import expression as ex
from ..errors import AuditorError
from . import adapter as dr


class Compiler:
    """Our checked AST as durable_rules conditions, with SQL's three-valued logic.

    ``true(e)`` holds exactly when ``e`` is true, never when a value it needs is
    missing (unknown); its complement holds when ``e`` is false or unknown. Arithmetic is
    worked out beforehand into ``x_N`` fields of the message (absent when a
    value is missing), so the engine only compares.
    """

    def __init__(self, schema: dict[str, ex.FieldType] | None = None) -> None:
        self.schema = schema or {}
        #: expressions worked out before posting: arithmetic, and comparisons of two fields
        self.derived: list[ex.Expr] = []

    def field_of(self, expr: ex.Expr) -> str | None:
        if isinstance(expr, ex.Field):
            return "f_" + expr.name
        if isinstance(expr, ex.Arith):
            return self._derive(expr)
        return None

    def _derive(self, expr: ex.Expr) -> str:
        if expr not in self.derived:
            self.derived.append(expr)
        return f"x_{self.derived.index(expr)}"

    def true(self, expr: ex.Expr) -> dr.Condition:
        return self._cond(expr, True)

    def _cond(self, expr: ex.Expr, want: bool) -> dr.Condition:
        if isinstance(expr, ex.Not):
            return self._cond(expr.operand, not want)
        if isinstance(expr, ex.BoolOp):
            parts = [self._cond(o, want) for o in expr.operands]
            conjunction = (expr.op == "and") == want
            return dr.all_of(*parts) if conjunction else dr.any_of(*parts)
        if isinstance(expr, ex.Field):  # a boolean field used as a condition
            name = "f_" + expr.name
            return dr.all_of(dr.exists(name), dr.equals(name, 1 if want else 0))
        if isinstance(expr, ex.IsNull):
            operand = self.field_of(expr.operand)
            if operand is None:  # a literal is never null
                return {"$ex": {"_never_": 1}} if expr.negated != want else {"$nex": {"_never_": 1}}
            present = dr.exists(operand)
            absent = dr.missing(operand)
            holds_when_null = not expr.negated
            return (
                (absent if holds_when_null else present)
                if want
                else (present if holds_when_null else absent)
            )
        if isinstance(expr, ex.In):
            member_of = self.field_of(expr.operand)
            assert member_of is not None
            values = [ex.sql_value(v.value) for v in expr.values]
            member = dr.any_of(*(dr.equals(member_of, v) for v in values))
            outside = dr.all_of(*(dr.compare("!=", member_of, v) for v in values))
            inside = member if (want != expr.negated) else outside
            return dr.all_of(dr.exists(member_of), inside)
        if isinstance(expr, ex.Compare):
            return self._compare(expr, want)
        raise AuditorError(f"'{ex.to_text(expr)}' cannot be watched as a condition")

    def _compare(self, expr: ex.Compare, want: bool) -> dr.Condition:
        op = expr.op
        if not want:
            op = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}[op]
        left, right = self.field_of(expr.left), self.field_of(expr.right)
        if left is None and right is None:  # literal against literal: worked out now
            holds = ex.holds(ex.Compare(op, expr.left, expr.right), {})
            return {"$nex": {"_never_": 1}} if holds else {"$ex": {"_never_": 1}}
        if left is None:  # put the field on the left
            swapped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            left, right, op = right, left, swapped
            other = expr.left
        else:
            other = expr.right
        assert left is not None
        if right is None:
            assert isinstance(other, ex.Literal)
            return dr.all_of(dr.exists(left), dr.compare(op, left, ex.sql_value(other.value)))
        # Two fields: the engine cannot compare two fields of one message, so the
        # difference (numbers, times) or the comparison itself (texts) is worked out first.
        if self._numeric(expr.left) and self._numeric(expr.right):
            difference = self._derive(ex.Arith("-", expr.left, expr.right))
            return dr.all_of(dr.exists(difference), dr.compare(op, difference, 0))
        flag = self._derive(ex.Compare(op, expr.left, expr.right))
        return dr.all_of(dr.exists(flag), dr.equals(flag, 1))

    def _numeric(self, expr: ex.Expr) -> bool:
        if isinstance(expr, ex.Arith):
            return True
        if isinstance(expr, ex.Field):
            spec = self.schema.get(expr.name)
            return spec is not None and spec.type in (
                "integer",
                "number",
                "timestamp",
                "date",
                "duration",
            )
        return False

    def message_values(self, record: dict[str, Any]) -> dict[str, Any]:
        """``x_N`` values for the arithmetic in the conditions (absent when unknown)."""
        out = {}
        for index, derived in enumerate(self.derived):
            value = ex.evaluate(derived, record)
            if value is not None:
                out[f"x_{index}"] = int(value) if isinstance(value, bool) else value
        return out
