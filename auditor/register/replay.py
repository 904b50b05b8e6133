"""The register's tables against its history: what the hash-chained history says they hold.

The chain (:mod:`.history`) proves the history was not changed outside the tool;
the tables are what an audit and ``capa list`` read. Replaying the history tells
what each waiver, item and action must be now, so a row added, deleted or
changed in its table outside the tool (plain sqlite) is named: which one, which
field, the table's value and the history's.

Each is recorded whole when it is made, then each change: a waiver's ``waiver``
row holds all its fields (JSON, :func:`waiver_event`), then its ``revoked`` row;
an item's ``created`` row every field it was created with (JSON,
:func:`item_event`), then one row per field changed; an action's ``action N``
row its text, owner and due date (:func:`action_event`), then its ``action N
done`` row (an action's evidence the tool never sets: it stays empty). An item's
version (a count of its changes, for concurrent updates) is in no row and not
compared; audits and links are not in the history.

A register made before those rows held every field: a waiver's ``waiver`` row
said ``RULE GROUP until DAY: REASON``, an item's ``created`` row its statement
alone (the tool has always created an item open, with the fields of
:data:`SET_AT_CREATION` set and the rest empty). What such a row does not hold,
and no change has set since, cannot be checked: :func:`replay` names it
(:attr:`Replayed.unchecked`) rather than pass it as intact.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..backends.register_store import JSON_FIELDS, TABLES
from .history import as_text

#: a waiver's fields its ``waiver`` history row records (the text of what it says)
WAIVER_FIELDS = (
    "rule",
    "group_key",
    "reason",
    "risk",
    "requested_by",
    "approved_by",
    "valid_from",
    "valid_until",
)
#: the same, in the text a waiver recorded before the JSON one has
_OLD_WAIVER = re.compile(
    r"(?P<rule>\S+) (?P<group_key>.*?) until (?P<valid_until>\d{4}-\d{2}-\d{2}): (?P<reason>.*)",
    re.DOTALL,
)
#: an item's fields its ``created`` history row records as the item was created: every column
#: of the items table but its id (the row's ``item``) and its version (a count of its changes,
#: for concurrent updates, that no history row records)
ITEM_FIELDS = tuple(name for name in TABLES["items"]["columns"] if name not in ("id", "version"))
#: the fields the tool has always created an item with a value in, besides its statement and
#: its status (open); the rest it created empty. A ``created`` row of the older kind (the
#: statement alone) does not tell these.
SET_AT_CREATION = (
    "rule",
    "clause",
    "group_key",
    "severity",
    "evidence",
    "due",
    "recurring",
    "escalation",
    "first_audit",
    "last_audit",
    "extent",
    "criterion",
)

#: the fields a later version added to an item, which an earlier version created no item
#: with: a ``created`` row without one tells it empty (the item had none), not unknown
ADDED_LATER = ("closed_before",)


@dataclass
class Replayed:
    """What replaying the history found: where the tables are not what it says, and what it
    cannot tell."""

    #: one line per waiver, item or action added, deleted or changed outside the tool
    problems: list[str]
    #: per item or waiver id (``W-1``) of its table, the fields the history cannot tell: the
    #: values a register made by an earlier version does not record, not changed since
    unchecked: dict[str, tuple[str, ...]]

    def unchecked_line(self) -> str | None:
        """The fields not checked, and of which items and waivers, in one line (None: none)."""
        parts = []
        for kind, order in (("item", ITEM_FIELDS), ("waiver", WAIVER_FIELDS)):
            ids = [key for key in self.unchecked if key.startswith("W-") == (kind == "waiver")]
            if ids:
                names = [name for name in order if any(name in self.unchecked[i] for i in ids)]
                parts.append(f"the {', '.join(names)} of {len(ids)} {kind}(s) ({_some(ids)})")
        if not parts:
            return None
        return (
            f"not checked: {'; '.join(parts)}: the values they were created with, which a "
            "register made by an earlier version does not record (a value changed since is "
            "checked)"
        )


def replay(
    items: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    waivers: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> Replayed:
    """The items, actions and waivers of the tables (as stored) against the history."""
    item_lines, items_unchecked = _item_problems(items, actions, history)
    waiver_lines, waivers_unchecked = _waiver_problems(waivers, history)
    return Replayed(item_lines + waiver_lines, items_unchecked | waivers_unchecked)


def _some(ids: list[str], shown: int = 5) -> str:
    if len(ids) <= shown:
        return ", ".join(ids)
    return f"{', '.join(ids[: shown - 2])} and {len(ids) - shown + 2} more"


# ------------------------------------------------------------ waivers


def waiver_event(row: dict[str, Any]) -> str:
    """The ``new`` of a waiver's ``waiver`` history row: its fields as JSON."""
    return json.dumps(
        {k: row.get(k) or "" for k in WAIVER_FIELDS}, ensure_ascii=False, sort_keys=True
    )


def _recorded_waiver(text: str | None) -> dict[str, str] | None:
    """The fields a ``waiver`` history row records (JSON: all; the older text: its rule,
    group, last day and reason); None if neither."""
    try:
        fields = json.loads(text or "")
    except ValueError:
        fields = None
    if isinstance(fields, dict) and "rule" in fields:
        return {k: str(fields.get(k) or "") for k in WAIVER_FIELDS}
    old = _OLD_WAIVER.fullmatch(text or "")
    if old is None:
        return None
    recorded = old.groupdict()
    if recorded["group_key"] == "all":
        recorded["group_key"] = ""
    return recorded


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _waiver_problems(
    table: list[dict[str, Any]], history: list[dict[str, Any]]
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Each waiver of the ``waivers`` table that its history does not account for, one line
    per field: added, deleted or changed outside the tool, revoked or un-revoked there; and
    per waiver the fields its ``waiver`` row (of the older text) does not hold."""
    told: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for row in history:
        if not str(row["item"]).startswith("W-"):
            continue
        waiver_id, name = str(row["item"]), row["field"]
        if name == "waiver":
            recorded = _recorded_waiver(row["new"])
            if recorded is None:
                problems.append(
                    f"history row {row['seq']} ({waiver_id}): not a waiver the tool records"
                )
                continue
            told[waiver_id] = {
                **recorded,
                "created_on": str(row["at"])[:10],
                "revoked_on": "",
                "revoked_by": "",
            }
        elif name == "revoked" and waiver_id in told:
            told[waiver_id] |= {"revoked_on": _text(row["new"]), "revoked_by": _text(row["who"])}
        else:
            problems.append(
                f"history row {row['seq']} ({waiver_id}, {name}): not a waiver event the tool "
                "records (the waiver added, revoked)"
            )
    rows = {f"W-{row['id']}": row for row in table}
    unchecked: dict[str, tuple[str, ...]] = {}
    for waiver_id, row in rows.items():
        recorded_fields = told.get(waiver_id)
        if recorded_fields is None:
            problems.append(
                f"waiver {waiver_id} ({row.get('rule')} {row.get('group_key') or 'all'}) is in the "
                "waivers table but not in the history: added outside the tool"
            )
            continue
        for name, expected in recorded_fields.items():
            actual = _text(row.get(name))
            if actual != expected:
                problems.append(
                    f"waiver {waiver_id}: {name} {actual!r} in the waivers table, {expected!r} in "
                    "the history"
                )
        if missing := tuple(name for name in WAIVER_FIELDS if name not in recorded_fields):
            unchecked[waiver_id] = missing
    for waiver_id, recorded_fields in told.items():
        if waiver_id not in rows:
            problems.append(
                f"waiver {waiver_id} ({recorded_fields['rule']} "
                f"{recorded_fields['group_key'] or 'all'}) is in the history but not in the "
                "waivers table: deleted outside the tool"
            )
    return problems, unchecked


# ------------------------------------------------------------ items and their actions

_ACTION = re.compile(r"action (\d+)")
_ACTION_DONE = re.compile(r"action (\d+) done")


def item_event(item: dict[str, Any]) -> str:
    """The ``new`` of an item's ``created`` history row: every field it is created with, as
    JSON (a JSON field's value as it is, not its text)."""
    return json.dumps({k: item.get(k) for k in ITEM_FIELDS}, ensure_ascii=False, sort_keys=True)


def action_event(text: str | None, owner: str | None, due: date | str | None) -> str:
    """The ``new`` of an action's ``action N`` history row: ``TEXT (owner O, due D)``; also
    what an action's row of the actions table must give (a field blanked there: ``None``)."""
    return f"{text} (owner {owner}, due {due})"


def shown_change(row: dict[str, Any]) -> str:
    """A history row's change as ``capa show`` and an export's log show it, ``old -> new``:
    a value there was none of written ``(none)``."""
    old, new = row.get("old"), shown_new(row)
    return f"{'(none)' if old is None else old} -> {'(none)' if new is None else new}"


def shown_new(row: dict[str, Any]) -> str | None:
    """The ``new`` of a history row as ``capa show`` and an export's log show it: of an item's
    ``created`` row (JSON of every field, or the older statement alone), the statement."""
    if row.get("field") != "created" or str(row.get("item")).startswith("W-"):
        return row.get("new")
    return _recorded_item(row.get("new"))[0]["statement"]


def _recorded_item(text: str | None) -> tuple[dict[str, str | None], tuple[str, ...]]:
    """The fields an item's ``created`` row records (each as the history writes a value), and
    those it does not: JSON holds every one; the older text, the statement alone, tells the
    status (open) and the fields the tool created empty."""
    try:
        fields = json.loads(text or "")
    except ValueError:
        fields = None
    if isinstance(fields, dict) and "statement" in fields:
        fields = {name: None for name in ADDED_LATER} | fields
        recorded = {name: as_text(fields[name]) for name in ITEM_FIELDS if name in fields}
        return recorded, tuple(name for name in ITEM_FIELDS if name not in fields)
    told: dict[str, str | None] = {"statement": text, "status": "open"}  # the rest: empty
    return {n: told.get(n) for n in ITEM_FIELDS if n not in SET_AT_CREATION}, SET_AT_CREATION


def _item_problems(
    items: list[dict[str, Any]], actions: list[dict[str, Any]], history: list[dict[str, Any]]
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Each item or action of the tables that its history does not account for: one created
    or deleted outside the tool, a field whose value is not the last the history gave it; and
    per item the fields its history cannot tell (a ``created`` row of the older kind)."""
    told: dict[str, dict[str, str | None]] = {}
    untold: dict[str, set[str]] = {}
    planned: dict[tuple[str, int], dict[str, str | None]] = {}
    for row in history:
        item_id, name = str(row["item"]), str(row["field"])
        if item_id.startswith("W-"):
            continue
        if name == "created":
            told[item_id], not_held = _recorded_item(row["new"])
            untold[item_id] = set(not_held)
        elif (done := _ACTION_DONE.fullmatch(name)) is not None:
            planned.setdefault((item_id, int(done[1])), {})["done"] = row["new"]
        elif (action := _ACTION.fullmatch(name)) is not None:
            planned.setdefault((item_id, int(action[1])), {})["action"] = row["new"]
        else:
            told.setdefault(item_id, {})[name] = row["new"]
            untold.get(item_id, set()).discard(name)
    stored_items = {str(item["id"]): item for item in items}
    problems = _table_against(stored_items, told, "item", "items", _item_field_agrees)
    stored = {(str(a["item"]), int(a["no"])): _action_fields(a) for a in actions}
    problems += _table_against(
        {f"{item} action {no}": a for (item, no), a in stored.items()},
        {f"{item} action {no}": {"action": None, "done": None, "evidence": None, **fields}
         for (item, no), fields in planned.items()},
        "",
        "actions",
        lambda _name, stored_value, told_value: _text(stored_value) == _text(told_value),
    )  # fmt: skip
    unchecked = {
        item_id: tuple(name for name in ITEM_FIELDS if name in untold[item_id])
        for item_id in stored_items
        if untold.get(item_id)
    }
    return problems, unchecked


def _action_fields(action: dict[str, Any]) -> dict[str, Any]:
    """An action's row as its history rows tell it: its ``action N`` text, its done day, and
    its evidence (which the tool never sets)."""
    return {
        "action": action_event(action.get("text"), action.get("owner"), action.get("due")),
        "done": action.get("done"),
        "evidence": action.get("evidence"),
    }


def _table_against(
    stored: dict[str, dict[str, Any]],
    told: dict[str, dict[str, str | None]],
    kind: str,
    table: str,
    agrees: Any,
) -> list[str]:
    problems = []
    what = f"{kind} " if kind else ""
    for key, row in stored.items():
        fields = told.get(key)
        if fields is None or (kind == "item" and "statement" not in fields):
            problems.append(
                f"{what}{key} is in the {table} table but not in the history: added outside the tool"
            )
            continue
        for name, expected in fields.items():
            if name in row and not agrees(name, row[name], expected):
                problems.append(
                    f"{what}{key}: {name} {_clipped(row[name])} in the {table} table, "
                    f"{_clipped(expected)} in the history"
                )
    for key in told:
        if key not in stored:
            problems.append(
                f"{what}{key} is in the history but not in the {table} table: deleted outside "
                "the tool"
            )
    return problems


def _item_field_agrees(name: str, stored: Any, told: str | None) -> bool:
    """Whether an item's stored value is the one the history gave it: the history holds the
    text of the value (a JSON field's as Python writes it, so compared as values)."""
    if name not in JSON_FIELDS or stored is None or told is None:
        return _text(stored) == _text(told)
    try:
        value = json.loads(stored)
    except (ValueError, TypeError):  # not JSON text: written outside the tool
        return False
    try:
        return bool(value == ast.literal_eval(told))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return str(value) == told  # a value literal_eval does not read back (nan)


def _clipped(value: Any, limit: int = 100) -> str:
    text = _text(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
