"""The expression language: parsing, printing, type checks, SQL and Python agree."""

from __future__ import annotations

import contextlib
import sqlite3
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import AuditorError, ExpressionError
from auditor.expression import (
    KEYWORDS,
    Arith,
    BoolOp,
    Compare,
    Field,
    FieldType,
    In,
    IsNull,
    Literal,
    Not,
    check,
    compared_strings,
    holds,
    parse,
    to_sql,
    to_text,
)
from auditor.units import DURATION_UNITS, Duration

# ------------------------------------------------------------ strategies

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in KEYWORDS
)
numbers = st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False)
durations = st.builds(
    Duration,
    st.decimals(min_value=0, max_value=1000, places=1, allow_nan=False),
    st.sampled_from(sorted(DURATION_UNITS)),
)
literals = st.one_of(
    st.builds(Literal, st.text(max_size=12)),
    st.builds(Literal, numbers),
    st.builds(Literal, st.booleans()),
    st.builds(Literal, durations),
)
atoms = st.one_of(st.builds(Field, names), literals)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(Not, children),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.tuples(children, children)),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.tuples(children, children, children)),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(IsNull, children, st.booleans()),
        st.builds(
            In, children, st.lists(literals, min_size=1, max_size=3).map(tuple), st.booleans()
        ),
        st.builds(Arith, st.sampled_from(["+", "-"]), children, children),
    )


expressions = st.recursive(atoms, _extend, max_leaves=12)

# ------------------------------------------------------------ parsing and printing


@given(expressions)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_print_then_parse_gives_the_same_tree(expr) -> None:
    assert parse(to_text(expr)) == expr


@given(st.text(max_size=60))
@settings(max_examples=500)
def test_arbitrary_text_raises_only_our_error(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse(text)


@given(st.text(alphabet="ab()=!<>\"' andorti,+-0123456789.smhd\\", max_size=40))
@settings(max_examples=500)
def test_near_miss_text_raises_only_our_error(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse(text)


def test_deep_nesting_is_refused_cleanly() -> None:
    with pytest.raises(ExpressionError):
        parse("(" * 5000 + "a" + ")" * 5000)


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ('channel == "phone"', 'channel == "phone"'),
        ("a and b or c", "a and b or c"),
        ("a and (b or c)", "a and (b or c)"),
        ("not a == 1", "not a == 1"),
        ("x in ('a', 'b')", 'x in ("a", "b")'),
        ("x not in [1, 2,]", "x not in (1, 2)"),
        ("answered_at - received_at <= 30s", "answered_at - received_at <= 30s"),
        ("t <= s + 1.5h", "t <= s + 1.5h"),
        ("v > -3", "v > -3"),
        ("a - (b - c) == 0", "a - (b - c) == 0"),
        ("s == 'it\\'s'", 's == "it\'s"'),
    ],
)
def test_known_texts(text: str, printed: str) -> None:
    assert to_text(parse(text)) == printed


def test_precedence_and_binds_tighter_than_or() -> None:
    tree = parse("a or b and c")
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.operands[1], BoolOp) and tree.operands[1].op == "and"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x == 1; DROP TABLE t", "unexpected character ';'"),
        ("x == '' OR 1=1 --", "lower case"),
        ("x = 1", "=="),
        ('x == "abc', "unterminated string"),
        ("x == 30m", "did you mean 'min'"),
        ("(x == 1", "ends too early"),
        ("x ==", "ends too early"),
        ("", "empty"),
        ("and == 1", "keyword"),
        ("x == 'a\\qb'", "unknown escape"),
    ],
)
def test_bad_texts_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert fragment in str(caught.value)


def test_error_column_points_at_the_problem() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("a == 1 and b == 2 ; c")
    assert caught.value.column == 19


# ------------------------------------------------------------ type checking

SCHEMA = {
    "channel": FieldType("enum", ("phone", "chat")),
    "site": FieldType("string"),
    "score": FieldType("integer"),
    "ok": FieldType("boolean"),
    "received_at": FieldType("timestamp"),
    "answered_at": FieldType("timestamp", optional=True),
    "trained_on": FieldType("date"),
}


@pytest.mark.parametrize(
    "text",
    [
        'channel == "phone"',
        "ok",
        "not ok and score >= 4",
        "answered_at - received_at <= 30s",
        "answered_at <= received_at + 1min",
        "trained_on >= received_at - 365d",
        'site in ("A", "B") or answered_at is null',
    ],
)
def test_well_typed_conditions(text: str) -> None:
    assert check(parse(text), SCHEMA) == "boolean"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("channel == 5", "cannot compare a string with a number"),
        ('channel == "fone"', "did you mean 'phone'"),
        ("chanel == 1", "did you mean 'channel'"),
        ("received_at + 5 > answered_at", "cannot compute timestamp + number"),
        ("ok < ok", "booleans compare only"),
        ("score", "not a condition"),
        ("score and ok", "needs conditions"),
        ("received_at in (1, 2)", "'in' works on strings and numbers"),
        ('score in (1, "2")', "is a string, not a number"),
        ("answered_at - received_at <= 30", "cannot compare a duration with a number"),
    ],
)
def test_ill_typed_conditions(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check(parse(text), SCHEMA)
    assert fragment in str(caught.value)


def test_error_class_is_the_project_base() -> None:
    assert issubclass(ExpressionError, AuditorError)


# ------------------------------------------------------------ SQL

ROW_SCHEMA = {
    "a": FieldType("integer", optional=True),
    "b": FieldType("integer", optional=True),
    "s": FieldType("string", optional=True),
    "ok": FieldType("boolean", optional=True),
    "t": FieldType("timestamp", optional=True),
}

int_values = st.one_of(st.none(), st.integers(-5, 5))
rows = st.fixed_dictionaries(
    {
        "a": int_values,
        "b": int_values,
        "s": st.one_of(st.none(), st.sampled_from(["x", "y", "it's", "Z"])),
        "ok": st.one_of(st.none(), st.sampled_from([0, 1])),
        "t": st.one_of(st.none(), st.integers(0, 200)),
    }
)

number_terms = st.one_of(
    st.sampled_from([Field("a"), Field("b")]),
    st.integers(-5, 5).map(lambda v: Literal(Decimal(v))),
)
number_exprs = st.recursive(
    number_terms, lambda c: st.builds(Arith, st.sampled_from(["+", "-"]), c, c), max_leaves=3
)
time_exprs = st.one_of(
    st.just(Field("t")),
    st.builds(
        Arith,
        st.sampled_from(["+", "-"]),
        st.just(Field("t")),
        st.integers(0, 100).map(lambda v: Literal(Duration(Decimal(v), "s"))),
    ),
)
ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
conditions_base = st.one_of(
    st.builds(Compare, ops, number_exprs, number_exprs),
    st.builds(Compare, ops, time_exprs, time_exprs),
    st.builds(Compare, ops, st.just(Field("s")), st.sampled_from(["x", "y", "it's"]).map(Literal)),
    st.builds(IsNull, st.sampled_from([Field("a"), Field("s"), Field("t")]), st.booleans()),
    st.builds(
        In,
        st.just(Field("s")),
        st.lists(st.sampled_from(["x", "Z", "q"]).map(Literal), min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
    st.just(Field("ok")),
)
conditions = st.recursive(
    conditions_base,
    lambda c: st.one_of(
        st.builds(Not, c),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.tuples(c, c)),
    ),
    max_leaves=6,
)


@given(conditions, st.lists(rows, min_size=1, max_size=8))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_sql_and_python_evaluation_agree(condition, records) -> None:
    check(condition, ROW_SCHEMA)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE r (id INTEGER, a INTEGER, b INTEGER, s TEXT, ok INTEGER, t REAL)")
    for i, row in enumerate(records):
        db.execute(
            "INSERT INTO r VALUES (?, ?, ?, ?, ?, ?)",
            (i, row["a"], row["b"], row["s"], row["ok"], row["t"]),
        )
    sql, params = to_sql(condition, ROW_SCHEMA)
    selected = {r[0] for r in db.execute(f"SELECT id FROM r WHERE {sql}", params)}
    expected = {i for i, row in enumerate(records) if holds(condition, row)}
    assert selected == expected


def test_sql_has_no_user_text_and_parameters_carry_values() -> None:
    tree = parse('s == "x\'); DROP TABLE r; --" and a >= 3')
    sql, params = to_sql(tree, ROW_SCHEMA)
    assert "DROP" not in sql
    assert params == ["x'); DROP TABLE r; --", 3]
    assert sql == '(("s" = ?) AND ("a" >= ?))'


def test_durations_become_seconds_in_sql() -> None:
    sql, params = to_sql(parse("t <= t + 4h"), ROW_SCHEMA)
    assert params == [14400.0]
    assert sql == '("t" <= ("t" + ?))'


def test_compared_strings_are_the_texts_fields_are_tested_for_equality_with() -> None:
    expr = parse(
        'not (status == "clsoed") and ("BJ" != site or team in ["A", "B", 3]) '
        'and note > "x" and n == 2'
    )
    assert compared_strings(expr) == [
        ("status", "clsoed"),
        ("site", "BJ"),
        ("team", "A"),
        ("team", "B"),
    ]
