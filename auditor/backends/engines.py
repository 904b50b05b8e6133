"""The engine registry: every SQL engine, built-in or plug-in, comes in through :func:`register`.

An engine is a backend class (see :class:`auditor.backends.base.Backend`) built
from an evidence store. The built-ins are registered here by name and loaded
lazily, so that choosing SQLite never imports DuckDB; a plug-in package makes
its engine known through the ``auditor.engines`` entry-point group (each entry
point a ``module:Class``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, closest_name

if TYPE_CHECKING:
    from .base import Backend

BUILTIN_ENGINES = {
    "sqlite": "auditor.backends.sqlite:SqliteBackend",
    "duckdb": "auditor.backends.duckdb:DuckdbBackend",
    "spark": "auditor.backends.spark:SparkBackend",
}
_REGISTRY: dict[str, str] = {}
#: options every backend of an engine is opened with (e.g. Spark's master), set by :func:`configure`
_OPTIONS: dict[str, dict[str, Any]] = {}


def register(name: str, target: str) -> None:
    """Make the backend class at ``target`` (``module:Class``) known as engine ``name``."""
    existing = _REGISTRY.get(name)
    if existing is not None and existing != target:
        raise ValueError(f"engine '{name}' is registered twice")
    _REGISTRY[name] = target


def engines() -> list[str]:
    """Every engine's name, built-ins first."""
    if not _REGISTRY:
        for name, target in BUILTIN_ENGINES.items():
            register(name, target)
        for entry in entry_points(group="auditor.engines"):
            register(entry.name, entry.value)
    return list(_REGISTRY)


#: the package a built-in engine cannot start without (looked for before anything is written;
#: Spark's, with its Java runtime, is checked when its session starts)
NEEDS = {"duckdb": ("duckdb", "pip install duckdb pyarrow")}


def check_engine(engine: str) -> None:
    """Stop with the closest name when ``engine`` is not a registered engine, or with what to
    install when a built-in one's package is missing."""
    known = engines()
    if engine not in known:
        raise EngineError(
            f"unknown engine '{engine}' (engines: {', '.join(known)})",
            suggestion=closest_name(engine, known),
        )
    if engine in NEEDS and _REGISTRY[engine] == BUILTIN_ENGINES[engine]:
        package, install = NEEDS[engine]
        try:
            importlib.import_module(package)
        except ImportError:
            raise EngineError(
                f"the {engine} engine needs the {package} package, which is not installed",
                hint=install,
            ) from None


def configure(engine: str, **options: Any) -> None:
    """Options given to every backend of ``engine`` opened from now on (e.g. ``master`` for spark)."""
    check_engine(engine)
    _OPTIONS.setdefault(engine, {}).update(options)


def open_backend(store: Any, engine: str = "sqlite") -> Backend:
    """A backend of ``engine`` evaluating the evidence in ``store``."""
    backend: Backend = _backend_class(engine)(store, **_OPTIONS.get(engine, {}))
    return backend


def _backend_class(engine: str) -> Any:
    check_engine(engine)
    module, _, name = _REGISTRY[engine].partition(":")
    return getattr(importlib.import_module(module), name)
