"""The measure registry: every measure, built-in or plug-in, comes in through :func:`register`.

A measure is one class (see :mod:`auditor.measures.base`) registered under the
pack key it is written with. The built-ins register themselves exactly as a
plug-in would; a plug-in package makes its measures known through the
``auditor.measures`` entry-point group (each entry point a module that calls
:func:`register` on import).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from .base import (
    AggregateMeasure,
    ComparedValue,
    FieldsElsewhere,
    Figure,
    Measure,
    RecordMeasure,
    RecordSql,
    SeriesMeasure,
)

BUILTIN_MODULES = (
    "duration",
    "condition",
    "fresh",
    "mean",
    "percentile",
    "nps",
    "per_1000",
    "manual",
    "sequence",
    "repeat_contact",
    "matched",
    "availability",
    "control_chart",
    "dispersion",
    "trend",
    "every",
)
_REGISTRY: dict[str, type[Measure]] = {}
_loaded = False


def register(measure: type[Measure]) -> type[Measure]:
    """Make ``measure`` known under its ``name`` (usable as a class decorator)."""
    if not measure.name:
        raise ValueError(f"{measure.__name__} has no name")
    existing = _REGISTRY.get(measure.name)
    if existing is not None and existing is not measure:
        raise ValueError(f"measure '{measure.name}' is registered twice")
    _REGISTRY[measure.name] = measure
    return measure


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(f"{__name__}.{module}")
    for entry in entry_points(group="auditor.measures"):
        entry.load()


def measures() -> dict[str, type[Measure]]:
    """Every registered measure by name, built-ins first, in registration order."""
    _load()
    return dict(_REGISTRY)


def measure_named(name: str) -> type[Measure] | None:
    return measures().get(name)


__all__ = [
    "AggregateMeasure",
    "ComparedValue",
    "FieldsElsewhere",
    "Figure",
    "Measure",
    "RecordMeasure",
    "RecordSql",
    "SeriesMeasure",
    "measure_named",
    "measures",
    "register",
]
