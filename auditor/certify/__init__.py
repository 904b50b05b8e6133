"""Certification sampling: ISO 2859-1 single sampling plans, reproducible samples, the certifier's marks judged."""

from .iso2859 import Plan, code_letter, single_plan
from .sampling import (
    Judgement,
    allocate,
    create_sample,
    draw_sample,
    judge,
    population_from_store,
    sample_audit,
    write_sample,
)

__all__ = [
    "Judgement",
    "Plan",
    "allocate",
    "code_letter",
    "create_sample",
    "draw_sample",
    "judge",
    "population_from_store",
    "sample_audit",
    "single_plan",
    "write_sample",
]
