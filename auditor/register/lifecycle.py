"""A CAPA item's lifecycle and what each step needs.

open -> planned -> accepted -> implemented -> verified-effective (closed), or
verified-ineffective (reopened: back to open, one severity level up). The two
verified statuses are reached only by verifying the item (``capa verify``: its
rule run again on evidence after the fix), never set by hand; a closed item
takes no more changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import AuditorError, closest_name
from ..periods import end_of_day


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

#: the statuses only a verification (``capa verify``) moves an item to
BY_VERIFICATION = (Status.VERIFIED_EFFECTIVE, Status.VERIFIED_INEFFECTIVE)

#: the statuses an item never leaves: closed, it takes no more changes
CLOSED = tuple(status for status, targets in TRANSITIONS.items() if not targets)

#: the command that makes a move, for the moves capa update does not make
_COMMAND = {Status.ACCEPTED: "capa accept"} | {status: "capa verify" for status in BY_VERIFICATION}

#: how a command that moves an item is run
_USAGE = {
    "capa accept": "capa accept {id} --by NAME",
    "capa verify": "capa verify {id} --evidence DIR --pack PACK --by NAME",
}

#: root causes certifiers do not accept: they name who, not why
_WEAK = re.compile(
    r"^\s*(human|staff|operator|user|employee|agent)\s+(error|mistake|failure)s?\s*\.?\s*$"
    r"|^\s*(re-?train(ing)?|train(ing)?)\s*(the\s+)?(staff|agents?|employees?|people)?\s*\.?\s*$"
    r"|^\s*(人为失误|人为错误|员工失误|员工错误|操作失误|培训员工|重新培训|加强培训)\s*。?\s*$",
    re.IGNORECASE,
)

#: phrases that name someone's error, negligence or forgetting
_BLAME = re.compile(
    r"\b(human|staff|operator|user|employee|agent|personnel)\s+(error|mistake|failure)s?\b"
    r"|\bnegligen(ce|t)\b|\bcareless(ness)?\b|\bforg[oe]t(ting|ten)?\b|\binattenti(on|ve)\b"
    r"|(\bnot|n't|\bfailed\s+to)\s+follow\b"
    r"|失误|疏忽|粗心|忘记|未遵守",
    re.IGNORECASE,
)

#: a clause that gives a cause: a root cause with one says why, whoever it names
_CAUSE_CLAUSE = re.compile(
    r"\b(because|since|due\s+to|caused\s+by|as\s+a\s+result|owing\s+to|when)\b|因为|由于",
    re.IGNORECASE,
)

#: a root cause of at most so many words with a blame phrase and no cause clause only blames
BLAME_WORDS = 12


#: a history row that adds an action to an item's plan (not ``action N done``)
_ACTION_ROW = re.compile(r"action \d+")


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


def check_not_closed(item: dict[str, Any]) -> None:
    """Refuse any change to a closed item."""
    if item["status"] in CLOSED:
        raise LifecycleError(
            f"{item['id']} is closed ({item['status']}); a closed item takes no more changes",
            hint="a nonconformity that comes back is opened as a new item by the next audit",
        )


def check_not_accepted(item: dict[str, Any]) -> None:
    """Refuse accepting a plan accepted already, saying by whom and when."""
    if item["status"] == Status.ACCEPTED:
        raise LifecycleError(
            f"{item['id']} is already accepted{accepted_by(item.get('acceptance'))}",
            hint=f"once its actions are done, capa update {item['id']} --status implemented "
            "moves it on",
        )


def accepted_by(acceptance: dict[str, Any] | None) -> str:
    """`` by NAME on DAY`` of an acceptance, as much of it as the record holds."""
    acceptance = acceptance or {}
    by = f" by {acceptance['by']}" if acceptance.get("by") else ""
    return by + (f" on {acceptance['on']}" if acceptance.get("on") else "")


def check_move(
    item: dict[str, Any],
    target: Status,
    actions: list[dict[str, Any]],
    verifying: bool = False,
    accepting: bool = False,
) -> None:
    """Refuse a move the lifecycle does not allow, or one whose prerequisites are missing.

    The verified statuses are refused unless ``verifying`` (the move of a verification),
    accepted unless ``accepting`` (an acceptance, recorded with who and when).
    """
    current = Status(item["status"])
    if target in BY_VERIFICATION and not verifying:
        raise LifecycleError(
            f"{item['id']} becomes {target} only by verification, not by hand",
            hint=f"run {_USAGE['capa verify'].format(id=item['id'])} "
            "(it runs the rule again on evidence after the fix)",
        )
    if target == Status.ACCEPTED and not accepting:
        raise LifecycleError(
            f"{item['id']} becomes accepted only by a certifier's acceptance, not by an update",
            hint=f"run {_USAGE['capa accept'].format(id=item['id'])} (it records who accepted "
            "the plan and when)",
        )
    if target not in TRANSITIONS[current]:
        command = "capa verify" if verifying else "capa accept" if accepting else "capa update"
        raise _refused_move(item["id"], current, target, command)
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


def _refused_move(item_id: str, current: Status, target: Status, command: str) -> LifecycleError:
    """A move ``command`` does not make from ``current``: the moves it makes from there,
    and the command that makes each other move (capa accept, capa verify)."""
    ways: dict[str, list[str]] = {}
    for move in TRANSITIONS[current]:
        ways.setdefault(_COMMAND.get(move, "capa update"), []).append(move)
    own = ways.pop(command, [])
    said = (
        f"{command} moves it to {' or '.join(own)}, not {target}"
        if own
        else f"{command} does not move it to {target}"
    )
    others = [
        f"{_USAGE.get(other, other).format(id=item_id)} moves it to {' or '.join(moves)}"
        for other, moves in ways.items()
    ]
    return LifecycleError(f"{item_id} is {current}: {said}", hint="; ".join(others) or None)


def check_root_cause(text: str | None, item_id: str) -> None:
    if not text or not text.strip():
        raise LifecycleError(f"{item_id} needs a root cause before it is planned")
    if _blames(text):
        raise LifecycleError(
            f"root cause '{text.strip()}' names who erred, not why the process let it happen; "
            "certifiers reject it",
            hint="say what in the process allowed the error (a missing check, an unclear rule, "
            "a tool, staffing), e.g. with --why five times",
        )


def _blames(text: str) -> bool:
    """Whether a root cause only names who erred: a known one ("human error", "retrain
    staff"), or a short text with a blame phrase ("the agent forgot", "employee negligence")
    and no clause saying why ("because", "since", "due to" ...)."""
    if _WEAK.match(text):
        return True
    short = len(text.split()) <= BLAME_WORDS
    return bool(short and _BLAME.search(text) and not _CAUSE_CLAUSE.search(text))


def plan_authors(history: Sequence[dict[str, Any]]) -> list[str]:
    """Who wrote a part of an item's current plan, from its history rows (in order): its
    root cause (the one who set the current one), each action, each why, and every change
    of the plan (a root cause, a why, an action, the move to planned) since its last
    acceptance. None of them accepts the plan."""
    accepted = [n for n, row in enumerate(history) if _is(row, "status", Status.ACCEPTED)]
    since = accepted[-1] + 1 if accepted else 0
    roots = [row for row in history if row["field"] == "root_cause"]
    return [row["who"] for row in roots[-1:]] + [
        row["who"]
        for n, row in enumerate(history)
        if _ACTION_ROW.fullmatch(row["field"])
        or row["field"] == "whys"
        or (n >= since and (row["field"] == "root_cause" or _is(row, "status", Status.PLANNED)))
    ]


def check_replanned(
    item_id: str,
    history: Sequence[dict[str, Any]],
    actions: Sequence[dict[str, Any]],
    cause: str | None,
) -> None:
    """Refuse planning an item again after its fix was verified ineffective with the plan
    that did not work: its root cause (``cause``, the one the update leaves) is that plan's,
    and no action added since the verification differs from that plan's actions (text and
    owner, compared case and spacing aside)."""
    verified = [
        n for n, row in enumerate(history) if _is(row, "status", Status.VERIFIED_INEFFECTIVE)
    ]
    cut = verified[-1] + 1 if verified else 0
    before, since = history[:cut], history[cut:]
    failed_cause = next((r["new"] for r in reversed(before) if r["field"] == "root_cause"), None)
    failed = {_plan_action(a) for a in actions if a["no"] in _action_numbers(before)}
    added = {_plan_action(a) for a in actions if a["no"] in _action_numbers(since)}
    if _plain(cause) != _plain(failed_cause) or added - failed:
        return
    raise LifecycleError(
        f"{item_id}'s fix was verified ineffective and the plan given is the one that did not "
        "work (its root cause and actions); it is planned again with a changed plan: a new "
        "root cause or a new action",
        hint="give --root-cause TEXT (why the fix did not work) or --action TEXT --owner NAME "
        "--due YYYY-MM-DD, with --status planned or before it",
    )


def _action_numbers(history: Sequence[dict[str, Any]]) -> set[int]:
    """The numbers of the actions added in these history rows."""
    return {int(row["field"].split()[1]) for row in history if _ACTION_ROW.fullmatch(row["field"])}


def _plan_action(action: dict[str, Any]) -> tuple[str, str]:
    """What an action of a plan is: its text and owner, case and spacing aside."""
    return _plain(action.get("text")), _plain(action.get("owner"))


def _plain(text: str | None) -> str:
    return " ".join(str(text or "").split()).casefold()


def _is(row: dict[str, Any], field: str, value: str) -> bool:
    return bool(row["field"] == field and row["new"] == value)


def check_implementation_date(
    item_id: str, text: str, actions: list[dict[str, Any]], today: date
) -> None:
    """Refuse an implementation date in the future, or before the last of the actions was done."""
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        raise LifecycleError(f"'{text}' is not an implementation date (YYYY-MM-DD)") from None
    if day > today:
        raise LifecycleError(
            f"{item_id}'s implementation date {day} is after today ({today})",
            hint="an item is implemented once its actions are in place: give that day",
        )
    done = sorted((a["done"], a["no"]) for a in actions if a.get("done"))
    if done and day.isoformat() < done[-1][0]:
        last, number = done[-1]
        raise LifecycleError(
            f"{item_id}'s implementation date {day} is before its action {number} was done "
            f"({last})",
            hint=f"an item is implemented once its actions are done: give {last} or later",
        )


def new_action(
    text: str | None, owner: str | None, due: date | None
) -> tuple[str, str, date] | None:
    """The new action an update describes (text, owner, due date), or None; refuse part of one.

    An item has no owner of its own, and its due date is the audit's: an owner or
    a due date without the action's text is refused, not dropped.
    """
    if text is None:
        given = [name for name, value in (("--owner", owner), ("--due", due)) if value is not None]
        if given:
            raise LifecycleError(
                f"{' and '.join(given)} describe{'' if len(given) > 1 else 's'} a new action, "
                "and no --action was given",
                hint="give the action with --action TEXT (an item has no owner or due date "
                "to set by hand)",
            )
        return None
    if not text.strip():
        raise LifecycleError("an action needs a text, not a blank")
    if owner is None or due is None or not owner.strip():
        raise LifecycleError(
            "a new action needs an owner and a due date",
            hint="give --owner NAME and --due YYYY-MM-DD with --action",
        )
    return text.strip(), owner.strip(), due


def new_actions(
    texts: Sequence[str], owners: Sequence[str], dues: Sequence[date]
) -> list[tuple[str, str, date]]:
    """The new actions an update describes, in order: the first --owner and --due belong to
    the first --action, and so on. Counts that do not pair up are refused, not guessed."""
    if len(texts) <= 1 and len(owners) <= 1 and len(dues) <= 1:
        one = new_action(
            texts[0] if texts else None, owners[0] if owners else None, dues[0] if dues else None
        )
        return [] if one is None else [one]
    if not texts:
        new_action(None, owners[0] if owners else None, dues[0] if dues else None)
    if len(owners) != len(texts) or len(dues) != len(texts):
        raise LifecycleError(
            f"{len(texts)} --action, {len(owners)} --owner and {len(dues)} --due: each action "
            "takes its own owner and due date",
            hint="give --action TEXT --owner NAME --due YYYY-MM-DD once for each action, in order",
        )
    return [
        action
        for t, o, d in zip(texts, owners, dues, strict=True)
        if (action := new_action(t, o, d))
    ]


def deadline(item: dict[str, Any], day: str) -> datetime:
    """The end of an item's due day (or its action's): the day's last second in the pack's
    zone, which the item's criterion records, or in this machine's zone for an item an
    earlier version recorded without it. The item (or action) is overdue once it has passed."""
    zone = (item.get("criterion") or {}).get("timezone")
    try:
        due = date.fromisoformat(day)
    except (TypeError, ValueError):
        raise LifecycleError(
            f"{item['id']} is due '{day}', which is not a date (YYYY-MM-DD): the register was "
            "changed outside auditor",
            hint="run `auditor capa check` to see every change made outside the tool",
        ) from None
    return end_of_day(due, ZoneInfo(zone) if zone else None)


def check_action_due(item_id: str, due: date, today: date) -> None:
    """Refuse a new action due before today."""
    if due < today:
        raise LifecycleError(
            f"{item_id}'s new action would be due {due}, before today ({today})",
            hint="give a due date from today on",
        )


def raised_statement(statement: str, why: str) -> str:
    """The statement of an item the register has made major: the audit's (which judged it a
    minor nonconformity) and why it is major now, so that it says what its severity does."""
    return f"{statement}; raised to major nonconformity in the register: {why}"


def stepped_up(item: dict[str, Any], why: str, today: date, major_days: int) -> dict[str, Any]:
    """The changes that make a minor item major (none for another): its severity, the reason,
    and the major due date (``major_days`` from today) when that comes sooner."""
    if item["severity"] != "minor":
        return {}
    changes: dict[str, Any] = {
        "severity": "major",
        "escalation": why,
        "statement": raised_statement(item["statement"], why),
    }
    major_due = (today + timedelta(days=major_days)).isoformat()
    if major_due < item["due"]:  # a major item is due sooner than the minor it was
        changes["due"] = major_due
    return changes
