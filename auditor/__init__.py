"""auditor: service-quality compliance and certification auditor.

The public API: load and check rule packs and standards, parse expressions.
"""

from __future__ import annotations

__version__ = "0.1.0"

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
from .model import Pack, Rule
from .pack import load_pack
from .packcheck import PackReport, check_pack, check_packs
from .standards import Clause, Standard, load_standard

__all__ = [
    "AuditorError",
    "Clause",
    "EvidenceError",
    "ExpressionError",
    "Location",
    "Pack",
    "PackError",
    "PackErrors",
    "PackReport",
    "Rule",
    "Standard",
    "StandardFileError",
    "__version__",
    "check_pack",
    "check_packs",
    "expression_to_sql",
    "expression_to_text",
    "load_pack",
    "load_standard",
    "parse_expression",
]
