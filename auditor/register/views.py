"""The register as text for a terminal: a list of items (overdue first) and one item in full."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..errors import AuditorError, closest_group, closest_name
from ..formatting import count, padded, shown_width
from .lifecycle import CLOSED, Status, deadline
from .register import Register
from .replay import shown_change

LIST_COLUMNS = ("id", "status", "severity", "rule", "group_key", "due", "recurring", "overdue")


def overdue(
    item: dict[str, Any],
    now: datetime,
    open_actions: list[dict[str, Any]],
    waiver: str = "",
) -> list[str]:
    """What of an item not closed is past its due day at ``now``: ``item`` (its own), ``action N``
    (each of its open actions past its own); empty when nothing is, or the item is closed. A due
    day ends at its last second in the pack's zone (see :func:`deadline`). While a waiver is in
    force for the item (``waiver``, see :func:`waiver_in_force`) its own due day waits: the
    nonconformity is accepted until the waiver ends; its actions, the team's own dates, do not."""
    if item["status"] in CLOSED:
        return []
    late = ["item"] if deadline(item, item["due"]) < now and not waiver else []
    return late + [f"action {a['no']}" for a in open_actions if deadline(item, a["due"]) < now]


def waiver_in_force(
    item: dict[str, Any],
    links: list[dict[str, Any]],
    waivers: dict[str, dict[str, Any]],
    now: datetime,
) -> str:
    """``W-1 until 2027-03-31``: the waiver of the register in force at ``now`` under which an
    audit recorded in the register found the item's nonconformity waived (its ``links``), the
    one that ends last; ``''`` for none. A waiver is in force until its last day ends in the
    pack's zone (as a due day does), unless revoked."""
    if item["status"] in CLOSED:
        return ""
    held = []
    for link in links:
        row = waivers.get(str(link.get("waiver") or ""))
        if row is None or row.get("revoked_on"):
            continue
        if now <= deadline(item, str(row["valid_until"])):
            held.append((str(row["valid_until"]), str(link["waiver"])))
    if not held:
        return ""
    until, waiver = max(held)
    return f"{waiver} until {until}"


def select_items(
    register: Register, now: datetime, filters: dict[str, Any]
) -> list[dict[str, Any]]:
    """Items matching the filters (status, severity, rule, group, overdue), overdue first then by id.

    Each item carries ``overdue``: what of it is past its due day at ``now`` (see :func:`overdue`),
    and ``waiver``: the waiver in force for it (see :func:`waiver_in_force`).
    """
    open_actions: dict[str, list[dict[str, Any]]] = {}
    for action in register.store.open_actions():
        open_actions.setdefault(action["item"], []).append(action)
    waivers = {f"W-{row['id']}": row for row in register.store.waivers()}
    items = []
    for item in register.store.items():
        waiver = waiver_in_force(item, register.store.links(item["id"]), waivers, now)
        late = overdue(item, now, open_actions.get(item["id"], []), waiver)
        items.append({**item, "overdue": late, "waiver": waiver})
    _check_known(items, filters)
    for name in ("status", "severity", "rule"):
        if filters.get(name):
            items = [i for i in items if i[name] == filters[name]]
    if filters.get("group"):
        items = [i for i in items if filters["group"] in i["group_key"].split(", ")]
    if filters.get("overdue"):
        items = [i for i in items if i["overdue"]]
    if filters.get("owner"):
        items = _owned(register, items, str(filters["owner"]))
    return sorted(items, key=lambda i: (not i["overdue"], i["id"]))


def nothing_listed(register: Register, filters: dict[str, Any]) -> str:
    """The line a list with no item prints instead of a bare header: which filters matched
    nothing, and how many items the register has (those not closed, for --overdue)."""
    items = register.store.items()
    if not items:
        return "the register has no item"
    not_closed = sum(item["status"] not in CLOSED for item in items)
    held = f"the register has {_items(len(items))}, {count(not_closed)} not closed"
    given = [
        "--overdue" if name == "overdue" else f"--{name} '{value}'"
        for name, value in filters.items()
        if value
    ]
    if given == ["--overdue"]:
        return f"no item is overdue ({held})"
    return f"no item matches {' '.join(given)} ({held})" if given else f"no item ({held})"


def _items(number: int) -> str:
    return f"{count(number)} item{'' if number == 1 else 's'}"


def _owned(register: Register, items: list[dict[str, Any]], owner: str) -> list[dict[str, Any]]:
    """The items with an action of ``owner`` (case aside); an owner no action has is refused,
    with the closest, case aside too (a typo would list nothing)."""
    owners: dict[str, set[str]] = {}
    named: dict[str, str] = {}  # each owner once, case aside: as its first action spells it
    for action in register.store.all_actions():
        if action.get("owner"):
            folded = str(action["owner"]).casefold()
            named.setdefault(folded, str(action["owner"]))
            owners.setdefault(folded, set()).add(action["item"])
    wanted = owner.strip().casefold()
    if wanted not in owners:
        known = set(named.values())
        suggestion = closest_name(owner.strip(), known, fold_case=True)
        raise AuditorError(
            f"no action of the register is owned by '{owner}'",
            suggestion=suggestion,
            hint=f"{_known('owners', known)}; {_recorded_actions(owner)}"
            if not suggestion
            else None,
        )
    return [i for i in items if i["id"] in owners[wanted]]


def _recorded_actions(owner: str) -> str:
    """Where the register's actions come from: not from an audit's CAPA plan, whose owners
    are the pack's suggestions, but from capa update, the command that records one."""
    return (
        "the register holds only the actions recorded with capa update ITEM --action TEXT "
        f"--owner '{owner.strip()}' --due YYYY-MM-DD --by NAME (an audit's CAPA plan only "
        "suggests an owner)"
    )


def _check_known(items: list[dict[str, Any]], filters: dict[str, Any]) -> None:
    """Refuse a rule or group no item of the register has (a typo would list nothing)."""
    rule, group = filters.get("rule"), filters.get("group")
    rules = {i["rule"] for i in items}
    if rule and rule not in rules:
        suggestion = closest_name(rule, rules)
        raise AuditorError(
            f"no CAPA item for rule '{rule}'",
            suggestion=suggestion,
            hint=_known("rules", rules) if not suggestion else None,
        )
    groups = {part for i in items for part in (i["group_key"] or "").split(", ") if part}
    if group and group not in groups:
        suggestion = closest_group(group, groups)
        raise AuditorError(
            f"no CAPA item for group '{group}'",
            suggestion=suggestion,
            hint=_known("groups", groups) if not suggestion else None,
        )


def _known(what: str, names: set[str]) -> str:
    if not names:
        empty = {"rules": "the register has no item", "owners": "no item has an action yet"}
        return empty.get(what, "no item is of a group")
    shown = sorted(names)
    more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
    return f"the register's {what}: {', '.join(shown[:8])}{more}"


def _due(item: dict[str, Any]) -> str:
    """The item's due date, with what of it is overdue: ``2026-08-15 (overdue)``, or
    ``2026-09-30 (action 2 overdue)`` when only an action is."""
    late = item.get("overdue") or []
    parts = ["overdue"] if "item" in late else []
    numbers = [what.removeprefix("action ") for what in late if what != "item"]
    if numbers:
        parts.append(f"action{'s' if len(numbers) > 1 else ''} {', '.join(numbers)} overdue")
    return item["due"] + (f" ({'; '.join(parts)})" if parts else "")


def list_table(items: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """Lines of the list, each with whether it is overdue (for colour on a terminal); the
    column ``waived`` (the waiver in force for the item) when an item listed has one."""
    header = ("item", "status", "severity", "rule", "group", "due", "recurring", "waived")
    shown = len(header) if any(item.get("waiver") for item in items) else len(header) - 1
    rows = [header[:shown]]
    flags = [False]
    for item in items:
        row = (
            item["id"], item["status"], item["severity"], item["rule"],
            item["group_key"] or "all", _due(item), "yes" if item["recurring"] else "",
            item.get("waiver") or "",
        )  # fmt: skip
        rows.append(row[:shown])
        flags.append(bool(item.get("overdue")))
    widths = [max(shown_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(padded(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return list(zip(lines, flags, strict=True))


def as_records(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items for JSON and CSV; ``overdue`` says what of each is past its due date
    (``item, action 2``; empty when nothing is), ``waiver`` the waiver in force for it
    (``W-1 until 2027-03-31``; empty when none is)."""
    return [
        {
            **{k: item.get(k) for k in (*LIST_COLUMNS, "statement")},
            "overdue": ", ".join(item.get("overdue") or []),
            "waiver": item.get("waiver") or "",
        }
        for item in items
    ]


def _recurring(register: Register, item: dict[str, Any]) -> str | None:
    """``yes``, with the closed item it repeats, or that it failed again in another period;
    for an item opened beside a closed one in a period before its fix, ``no`` and why (what
    the register recorded when it opened the item: see :meth:`Register.closed_before`)."""
    beside = register.closed_before(item)
    if item["recurring"]:
        return (
            f"yes (after {beside['item']} was closed)"
            if beside.get("recurs")
            else "yes (in another audit period)"
        )
    return None if beside["item"] is None else f"no ({beside['why']})"


def _label(item: dict[str, Any], name: str) -> str:
    """A field's name as shown: an acceptance an open or planned item still holds (moved
    back by an earlier version, which left it) is void, and said so."""
    if name == "acceptance" and item["status"] in (Status.OPEN, Status.PLANNED):
        return "acceptance (void: the plan was made again)"
    return name


def _verdict(link: dict[str, Any], waivers: dict[str, dict[str, Any]]) -> str:
    """A linked finding's verdict; a waived one's with its waiver and last day, and when the
    waiver was revoked since (``waived under W-1 until 2027-03-31, revoked 2027-01-10``)."""
    if not link.get("waiver"):
        return str(link["verdict"])
    revoked = (waivers.get(link["waiver"]) or {}).get("revoked_on")
    shown = f"{link['verdict']} under {link['waiver']} until {link.get('waived_until')}"
    return shown + (f", revoked {revoked}" if revoked else "")


def item_text(register: Register, item_id: str) -> str:
    """One item: its fields, actions, linked findings across audits and every change."""
    item_id = register.item_id(item_id)
    item = register.item(item_id)
    lines = [f"{item['id']}  {item['status']}  {item['severity']}  (version {item['version']})"]
    for name in (
        "rule", "clause", "group_key", "statement", "due", "recurring", "escalation", "root_cause",
        "whys", "correction", "correction_date", "containment", "implemented_on", "extent",
        "criterion", "verification", "acceptance", "acknowledged", "evidence",
    ):  # fmt: skip
        value = item.get(name)
        if name == "recurring":  # stored as 0 or 1
            value = _recurring(register, item)
        if value not in (None, "", [], {}):
            shown = (
                json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
            )
            lines.append(f"  {_label(item, name)}: {shown}")
    lines.append("actions:")
    for action in register.store.actions(item_id):
        done = f", done {action['done']}" if action.get("done") else ""
        lines.append(
            f"  {action['no']}. {action['text']} (owner {action['owner']}, due {action['due']}{done})"
        )
    lines.append("findings:")
    audits = {a["id"]: a for a in register.store.audits()}
    waivers = {f"W-{row['id']}": row for row in register.store.waivers()}
    for link in register.store.links(item_id):
        audit = audits[link["audit"]]
        lines.append(
            f"  audit {link['audit']} ({audit['period']}): {link['finding']} "
            f"{_verdict(link, waivers)}"
        )
    lines.append("history:")
    for row in register.store.history(item_id):
        lines.append(f"  {row['at']}  {row['who']}: {row['field']}: {shown_change(row)}")
    return "\n".join(lines)
