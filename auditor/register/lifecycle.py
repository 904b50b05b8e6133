"""A CAPA item's lifecycle and what each step needs.

open -> planned -> accepted -> implemented -> verified-effective (closed), or
verified-ineffective (reopened: back to open, one severity level up).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from ..errors import AuditorError, closest_name


class Status(StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    ACCEPTED = "accepted"
    IMPLEMENTED = "implemented"
    VERIFIED_EFFECTIVE = "verified-effective"
    VERIFIED_INEFFECTIVE = "verified-ineffective"


#: the statuses each status may move to
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.OPEN: (Status.PLANNED,),
    Status.PLANNED: (Status.ACCEPTED, Status.OPEN),
    Status.ACCEPTED: (Status.IMPLEMENTED, Status.PLANNED),
    Status.IMPLEMENTED: (Status.VERIFIED_EFFECTIVE, Status.VERIFIED_INEFFECTIVE),
    Status.VERIFIED_INEFFECTIVE: (Status.PLANNED,),
    Status.VERIFIED_EFFECTIVE: (),
}

#: root causes certifiers do not accept: they name who, not why
_WEAK = re.compile(
    r"^\s*(human|staff|operator|user|employee|agent)\s+(error|mistake|failure)s?\s*\.?\s*$"
    r"|^\s*(re-?train(ing)?|train(ing)?)\s*(the\s+)?(staff|agents?|employees?|people)?\s*\.?\s*$"
    r"|^\s*(人为失误|人为错误|员工失误|员工错误|操作失误|培训员工|重新培训|加强培训)\s*。?\s*$",
    re.IGNORECASE,
)


class LifecycleError(AuditorError):
    """A change the lifecycle does not allow."""


def status_of(text: str) -> Status:
    try:
        return Status(text)
    except ValueError:
        raise LifecycleError(
            f"unknown status '{text}' (statuses: {', '.join(Status)})",
            suggestion=closest_name(text, [s.value for s in Status]),
        ) from None


def check_move(item: dict[str, Any], target: Status, actions: list[dict[str, Any]]) -> None:
    """Refuse a move the lifecycle does not allow, or one whose prerequisites are missing."""
    current = Status(item["status"])
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current]) or "none (closed)"
        raise LifecycleError(f"{item['id']} is {current}; it can move to: {allowed}")
    if target == Status.PLANNED:
        check_root_cause(item.get("root_cause"), item["id"])
        if not any(a.get("owner") and a.get("due") for a in actions):
            raise LifecycleError(
                f"{item['id']} needs at least one corrective action with an owner and a due date "
                "before it is planned",
                hint="add one with --action TEXT --owner NAME --due YYYY-MM-DD",
            )
    if target == Status.IMPLEMENTED and not all(a.get("done") for a in actions):
        raise LifecycleError(f"{item['id']} has actions not done; mark them done first")


def check_root_cause(text: str | None, item_id: str) -> None:
    if not text or not text.strip():
        raise LifecycleError(f"{item_id} needs a root cause before it is planned")
    if _WEAK.match(text):
        raise LifecycleError(
            f"root cause '{text.strip()}' names who erred, not why the process let it happen; "
            "certifiers reject it",
            hint="say what in the process allowed the error (a missing check, an unclear rule, "
            "a tool, staffing), e.g. with --why five times",
        )
