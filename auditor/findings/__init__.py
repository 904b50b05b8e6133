"""Findings: the engine's results, and the typed contract of findings.json built from them."""

from __future__ import annotations

from .results import RANK, VERDICTS, Counts, Finding, RuleResult, group_text, worst

__all__ = ["RANK", "VERDICTS", "Counts", "Finding", "RuleResult", "group_text", "worst"]
