"""The records an audit judged none of: those of a rule, or of a group, it found not evaluable.

A rule whose measure reads a field empty in every record in scope (or a column no
file has, evidence never ingested, a base rule not evaluable) gets one finding,
``not-evaluable`` with the reason; the engine judged none of its records, though
each can still be worked out. ``explain`` and ``sample`` must not show such a
record with an outcome or a finding it counts in. A finding not evaluable for
too few records (``too-few``) is not one of these: its records were judged and
counted, only too few of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import AuditorError, closest_name
from ..findings.contract import FindingsDocument, Verdict
from ..findings.results import group_text, group_value_text

#: why a finding is not evaluable when the engine judged none of its records
NONE_JUDGED = (
    "no-evidence",
    "field-empty",
    "no-column",
    "filter-field-empty",
    "other-field-empty",
    "base-not-evaluable",
)


@dataclass(frozen=True)
class Unjudged:
    """A finding of the audit that judged none of its records: its group (empty: the whole
    rule) and the audit's reason."""

    group: dict[str, Any]
    reason: str

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether a record with these field ``values`` is of the finding's group."""
        return all(
            group_value_text(values.get(name)) == group_value_text(value)
            for name, value in self.group.items()
        )

    @property
    def what(self) -> str:
        """``this rule`` or ``group site=BJ of this rule``."""
        return f"group {group_text(self.group)} of this rule" if self.group else "this rule"


def unjudged_findings(document: FindingsDocument | None, rule_id: str) -> list[Unjudged]:
    """The findings of ``rule_id`` in ``document`` whose records the audit judged none of."""
    entry = next((r for r in document.rules if r.rule == rule_id), None) if document else None
    if entry is None:
        return []
    return [
        Unjudged(dict(f.group), "; ".join(f.reasons) or f.explanation)
        for f in entry.findings
        if f.verdict == Verdict.NOT_EVALUABLE
        and f.not_evaluable is not None
        and f.not_evaluable.code in NONE_JUDGED
    ]


def unjudged_for(unjudged: Iterable[Unjudged], values: Mapping[str, Any]) -> Unjudged | None:
    """The finding that judged none of its records holding a record with these ``values``."""
    return next((u for u in unjudged if u.holds(values)), None)


def no_rule(rule_id: str, rule_ids: Iterable[str], where: str = "") -> AuditorError:
    """``no rule 'X'`` with the closest rule id, or, when none is close, the pack's rule ids."""
    ids = sorted(set(rule_ids))
    near = closest_name(rule_id, ids)
    listed = f"the pack's rules are {', '.join(ids)}" if ids else "the pack has no rule"
    return AuditorError(
        f"no rule '{rule_id}'{where}", suggestion=near, hint=None if near else listed
    )
