"""The register's tables against its history: what the hash-chained history says they hold.

The chain (:mod:`.history`) proves the history was not changed outside the tool;
the tables are what an audit and ``capa list`` read. Replaying the history's
waiver events (a waiver added, revoked) tells what each waiver must be now, so a
row added, deleted or changed in the waivers table outside the tool (plain
sqlite) is named: which waiver, which field, the table's value and the history's.

A waiver's ``waiver`` row records all its fields (JSON); one recorded before it
did holds its rule, group, last day and reason as text (``RULE GROUP until DAY:
REASON``), and only those (and the day it was recorded) are compared.

Items and their actions the same way: an item from its ``created`` row (its
statement; an item is created open) and the last row of each field changed
since, an action from its ``action N`` and ``action N done`` rows. The values an
item was created with and never changed (severity, due date, evidence) are not
in the history, nor are audits and links: those are not compared.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

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


def waiver_event(row: dict[str, Any]) -> str:
    """The ``new`` of a waiver's ``waiver`` history row: its fields as JSON."""
    return json.dumps(
        {k: row.get(k) or "" for k in WAIVER_FIELDS}, ensure_ascii=False, sort_keys=True
    )


def _recorded_waiver(text: str | None) -> dict[str, str] | None:
    """The fields a ``waiver`` history row records (JSON, or the older text); None if neither."""
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


def waiver_problems(table: list[dict[str, Any]], history: list[dict[str, Any]]) -> list[str]:
    """Each waiver of the ``waivers`` table that its history does not account for, one line
    per field: added, deleted or changed outside the tool, revoked or un-revoked there."""
    told: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for row in history:
        if not str(row["item"]).startswith("W-"):
            continue
        waiver_id, field = str(row["item"]), row["field"]
        if field == "waiver":
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
        elif field == "revoked" and waiver_id in told:
            told[waiver_id] |= {"revoked_on": _text(row["new"]), "revoked_by": _text(row["who"])}
        else:
            problems.append(
                f"history row {row['seq']} ({waiver_id}, {field}): not a waiver event the tool "
                "records (the waiver added, revoked)"
            )
    rows = {f"W-{row['id']}": row for row in table}
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
    for waiver_id, recorded_fields in told.items():
        if waiver_id not in rows:
            problems.append(
                f"waiver {waiver_id} ({recorded_fields['rule']} "
                f"{recorded_fields['group_key'] or 'all'}) is in the history but not in the "
                "waivers table: deleted outside the tool"
            )
    return problems


# ------------------------------------------------------------ items and their actions

_ACTION = re.compile(r"action (\d+)")
_ACTION_DONE = re.compile(r"action (\d+) done")


def item_problems(
    items: list[dict[str, Any]], actions: list[dict[str, Any]], history: list[dict[str, Any]]
) -> list[str]:
    """Each item or action of the tables that its history does not account for: one created
    or deleted outside the tool, a field whose value is not the last the history gave it."""
    told: dict[str, dict[str, str | None]] = {}
    planned: dict[tuple[str, int], dict[str, str | None]] = {}
    for row in history:
        item_id, field = str(row["item"]), str(row["field"])
        if item_id.startswith("W-"):
            continue
        if field == "created":
            told[item_id] = {"statement": row["new"], "status": "open"}
        elif (done := _ACTION_DONE.fullmatch(field)) is not None:
            planned.setdefault((item_id, int(done[1])), {})["done"] = row["new"]
        elif (action := _ACTION.fullmatch(field)) is not None:
            planned.setdefault((item_id, int(action[1])), {})["action"] = row["new"]
        else:
            told.setdefault(item_id, {})[field] = row["new"]
    problems = _table_against(
        {str(item["id"]): item for item in items}, told, "item", "items", _item_field_agrees
    )
    stored = {(str(a["item"]), int(a["no"])): _action_fields(a) for a in actions}
    problems += _table_against(
        {f"{item} action {no}": a for (item, no), a in stored.items()},
        {f"{item} action {no}": {"action": None, "done": None, **fields}
         for (item, no), fields in planned.items()},
        "",
        "actions",
        lambda _name, stored_value, told_value: _text(stored_value) == _text(told_value),
    )  # fmt: skip
    return problems


def _action_fields(action: dict[str, Any]) -> dict[str, Any]:
    """An action's row as its history rows tell it: ``TEXT (owner O, due D)``, and its done day."""
    text = f"{action.get('text')} (owner {action.get('owner')}, due {action.get('due')})"
    return {"action": text, "done": action.get("done")}


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
    from ..backends.register_store import JSON_FIELDS

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
