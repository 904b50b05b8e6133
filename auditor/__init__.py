"""auditor: service-quality compliance and certification auditor.

The public API: load and check rule packs and standards, parse expressions,
ingest evidence, evaluate, run an audit, render reports. Live monitoring is in
``auditor.watch`` (it needs durable_rules, which imports on Python 3.11-3.12).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .audit import AuditResult, load_findings, run_audit
from .engine import evaluate
from .errors import (
    AuditorError,
    EvidenceError,
    ExpressionError,
    Location,
    PackError,
    PackErrors,
    StandardFileError,
)
from .expression import parse as parse_expression
from .expression import to_sql as expression_to_sql
from .expression import to_text as expression_to_text
from .ingest import IngestReport, ingest
from .mapping import Mapping, find_preset, load_mapping
from .model import Pack, Rule
from .pack import load_pack
from .packcheck import PackReport, check_pack, check_packs
from .periods import Period, parse_period
from .report import render_reports
from .standards import Clause, Standard, load_standard
from .store import EvidenceStore
from .synth import SynthOptions, synthesise

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
    "render_reports",
    "run_audit",
    "synthesise",
]
