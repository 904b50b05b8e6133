"""auditor: service-quality compliance and certification auditor.

The public API: load and check rule packs and standards, parse expressions,
ingest evidence, evaluate, run an audit, render reports. Live monitoring is in
``auditor.live`` (it needs durable_rules, which imports on Python 3.11-3.12).

Importing the package loads nothing heavy and changes nothing in the host
program: each name below is imported from its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    "AuditResult": ("audit", "AuditResult"),
    "load_findings": ("audit", "load_findings"),
    "run_audit": ("audit", "run_audit"),
    "evaluate": ("evaluate", "evaluate"),
    "AuditorError": ("errors", "AuditorError"),
    "EvidenceError": ("errors", "EvidenceError"),
    "ExpressionError": ("errors", "ExpressionError"),
    "Location": ("errors", "Location"),
    "PackError": ("errors", "PackError"),
    "PackErrors": ("errors", "PackErrors"),
    "PeriodError": ("errors", "PeriodError"),
    "QuarantineError": ("errors", "QuarantineError"),
    "StandardFileError": ("errors", "StandardFileError"),
    "parse_expression": ("expression", "parse"),
    "expression_to_sql": ("expression", "to_sql"),
    "expression_to_text": ("expression", "to_text"),
    "IngestReport": ("ingest", "IngestReport"),
    "ingest": ("ingest", "ingest"),
    "Mapping": ("mapping", "Mapping"),
    "find_preset": ("mapping", "find_preset"),
    "load_mapping": ("mapping", "load_mapping"),
    "Pack": ("model", "Pack"),
    "Rule": ("model", "Rule"),
    "load_pack": ("pack", "load_pack"),
    "PackReport": ("packcheck", "PackReport"),
    "check_pack": ("packcheck", "check_pack"),
    "check_packs": ("packcheck", "check_packs"),
    "Period": ("periods", "Period"),
    "parse_period": ("periods", "parse_period"),
    "recommendation": ("recommendation", "recommendation"),
    "render_reports": ("report", "render_reports"),
    "Clause": ("standards", "Clause"),
    "Standard": ("standards", "Standard"),
    "load_standard": ("standards", "load_standard"),
    "EvidenceStore": ("backends.store", "EvidenceStore"),
    "SynthOptions": ("synth", "SynthOptions"),
    "synthesise": ("synth", "synthesise"),
}

__all__ = [
    "AuditResult",
    "AuditorError",
    "Clause",
    "EvidenceError",
    "EvidenceStore",
    "ExpressionError",
    "IngestReport",
    "Location",
    "Mapping",
    "Pack",
    "PackError",
    "PackErrors",
    "PackReport",
    "Period",
    "PeriodError",
    "QuarantineError",
    "Rule",
    "Standard",
    "StandardFileError",
    "SynthOptions",
    "__version__",
    "check_pack",
    "check_packs",
    "evaluate",
    "expression_to_sql",
    "expression_to_text",
    "find_preset",
    "ingest",
    "load_findings",
    "load_mapping",
    "load_pack",
    "load_standard",
    "parse_expression",
    "parse_period",
    "recommendation",
    "render_reports",
    "run_audit",
    "synthesise",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'auditor' has no attribute '{name}'") from None
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # the names as type checkers and editors see them
    from .audit import AuditResult, load_findings, run_audit
    from .backends.store import EvidenceStore
    from .errors import (
        AuditorError,
        EvidenceError,
        ExpressionError,
        Location,
        PackError,
        PackErrors,
        PeriodError,
        QuarantineError,
        StandardFileError,
    )
    from .evaluate import evaluate
    from .expression import parse as parse_expression
    from .expression import to_sql as expression_to_sql
    from .expression import to_text as expression_to_text
    from .ingest import IngestReport, ingest
    from .mapping import Mapping, find_preset, load_mapping
    from .model import Pack, Rule
    from .pack import load_pack
    from .packcheck import PackReport, check_pack, check_packs
    from .periods import Period, parse_period
    from .recommendation import recommendation
    from .report import render_reports
    from .standards import Clause, Standard, load_standard
    from .synth import SynthOptions, synthesise
