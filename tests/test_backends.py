"""Statements are composed without a database and render for every engine's dialect."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlglot

from auditor.backends.statement import Sql, Statement
from auditor.evaluate.compile import compile_rule
from auditor.evaluate.env import Env, Window
from auditor.measures import measures
from auditor.pack import load_pack
from auditor.periods import parse_period

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted(p for p in (ROOT / "rules").glob("*.yaml") if not p.name.endswith(".tests.yaml"))


def plans(pack_path: Path):
    pack = load_pack(pack_path)
    window = Window.of(parse_period("2026-Q3"), ZoneInfo(pack.timezone))
    tables = {name: f"_calendar_{name}" for name in pack.calendars}
    env = Env(pack, window, frozenset(pack.evidence), tables)
    return [compile_rule(rule, env) for rule in pack.rules]


def statements(pack_path: Path) -> list[Statement]:
    found = []
    for plan in plans(pack_path):
        for statement in (plan.filled, plan.counts, plan.listing, plan.cells, plan.outcomes):
            if statement is not None:
                found.append(statement)
    return found


@pytest.mark.parametrize("pack_path", PACKS, ids=lambda p: p.stem)
@pytest.mark.parametrize("dialect", ["duckdb", "spark", "postgres"])
def test_every_shipped_statement_renders_for_other_engines(pack_path: Path, dialect: str) -> None:
    for statement in statements(pack_path):
        text = statement.render(dialect)
        assert sqlglot.parse_one(text, read=dialect) is not None
        for name in statement.params:
            assert name in text


def test_sqlite_text_is_rendered_as_written() -> None:
    sql = Sql()
    statement = sql.statement(f"SELECT {sql.value(1)} AS one")
    assert statement.render("sqlite") == "SELECT :p0 AS one"
    assert statement.params == {"p0": 1}


def test_every_shipped_measure_compiles_with_no_database() -> None:
    used = set()
    for pack_path in PACKS:
        for plan in plans(pack_path):  # a pack, a window and names: no store anywhere
            used.add(plan.measure.name)
            assert not plan.missing
    assert used <= set(measures())
