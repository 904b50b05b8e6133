"""The package keeps its boundaries: measured from the source, so a change that crosses one fails here.

- no import cycle between modules (imports at module level; type-only and
  function-level imports are the way to break one);
- click only in the CLI module; durable_rules only in the live adapter;
- a database connection only in the backends (and the store that re-exports one);
- no ``isinstance`` on a measure class outside the measures' own modules;
- no function over 60 lines in the modules rebuilt around measures, scope and backends.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "auditor"
REBUILT = ("measures", "evaluate", "backends", "live", "findings")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom, known: set[str]) -> list[str]:
    """The modules ``from X import a, b`` loads: each of a, b that is a module, else X."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    if node.level:
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    names = [f"{prefix}.{alias.name}" for alias in node.names]
    submodules = [n for n in names if n in known]
    return submodules if len(submodules) == len(names) else [prefix, *submodules]


def top_level_imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Modules imported when ``module`` is imported (not type-only, not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found |= set(_resolve(module, path, node, known))
    return found


def all_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_no_import_cycle() -> None:
    known = modules()
    names = set(known)
    graph = {
        # A module's parent packages are always imported before it: no edge to them.
        name: {
            m
            for m in top_level_imports(name, path, names)
            if m in names and m != name and not name.startswith(m + ".")
        }
        for name, path in known.items()
    }
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle.extend([*trail, node, target])
                return True
            if target not in state and visit(target, [*trail, node]):
                return True
        state[node] = 2
        return False

    for name in sorted(graph):
        if name not in state and visit(name, []):
            break
    assert not cycle, " -> ".join(cycle)


def test_click_only_in_the_cli() -> None:
    users = {name for name, path in modules().items() if "click" in all_imports(path)}
    assert users == {"auditor.cli"}


def test_durable_rules_only_in_the_live_adapter() -> None:
    users = {
        name
        for name, path in modules().items()
        if all_imports(path) & {"durable", "durable_rules", "durable_rules_engine"}
    }
    assert users <= {"auditor.live.adapter"}


def test_no_isinstance_on_a_measure_class_outside_the_measures() -> None:
    from auditor.measures import Measure, measures

    names = {cls.__name__ for cls in measures().values()} | {
        "Measure",
        "RecordMeasure",
        "AggregateMeasure",
        Measure.__name__,
    }
    offenders = []
    for name, path in modules().items():
        if name.startswith("auditor.measures"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
                classes = ast.unparse(node.args[1])
                if any(n in classes.replace("|", " ").split() for n in names):
                    offenders.append(f"{name}:{node.lineno}")
    assert not offenders


def test_no_long_functions_in_the_rebuilt_modules() -> None:
    long = []
    for name, path in modules().items():
        if not any(f"auditor.{part}" in name for part in REBUILT):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert not long


def test_database_connections_only_in_the_backends() -> None:
    offenders = []
    for name, path in modules().items():
        if name.startswith("auditor.backends"):
            continue
        text = path.read_text(encoding="utf-8")
        if all_imports(path) & {"sqlite3", "sqlite_utils", "duckdb", "pyspark"}:
            offenders.append(f"{name}: imports a database driver")
        for needle in ("store.db", ".conn", ".execute("):
            if needle in text:
                offenders.append(f"{name}: {needle}")
        # a connection's attribute (db.table, db.execute), not a store's file name
        # (evidence.db.duckdb, where a store for DuckDB keeps its records)
        if re.search(r"\.db\.(?!duckdb\b)", text):
            offenders.append(f"{name}: .db.")
    assert not offenders


def _reads_measure_name(node: ast.AST) -> bool:
    """``x.measure`` (a finding's measure name) or ``x.measure.name``."""
    if isinstance(node, ast.Attribute) and node.attr == "measure":
        return True
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "name"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "measure"
    )


def test_no_dispatch_on_a_measure_name_outside_the_measures() -> None:
    """No comparison with, or look-up by, a measure's name: the registry is the one door."""
    offenders = []
    for name, path in modules().items():
        if name.startswith("auditor.measures"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                _reads_measure_name(n) for n in (node.left, *node.comparators)
            ):
                offenders.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.Subscript) and _reads_measure_name(node.slice):
                offenders.append(f"{name}:{node.lineno}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
                and _reads_measure_name(node.args[0])
            ):
                offenders.append(f"{name}:{node.lineno}")
    assert not offenders


def test_the_mapping_takes_the_date_orders_from_timeparse() -> None:
    """The orders a mapping's column may give are timeparse's DAY_FIRST and MONTH_FIRST, not
    the same words written again (a word changed in one place only would refuse every order)."""
    tree = ast.parse((PACKAGE / "mapping.py").read_text(encoding="utf-8"))
    spelt = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"\b(day|month)-first\b", node.value)
    ]
    assert spelt == [], f"mapping.py spells a date order at lines {spelt}"
