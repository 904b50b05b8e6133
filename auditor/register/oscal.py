"""The register as an OSCAL plan of action and milestones (POA&M), version 1.2.1, in JSON.

One ``poam-item`` per CAPA item, each with a risk (severity, open or closed), its
corrective actions as remediations whose milestone tasks carry owner and due
date, and a risk log with one entry per history row; the audit findings an item
holds become OSCAL findings, and the evidence files (path and SHA-256) back-matter
resources. A deadline (an item's due date, an action's) is the last second of the due
day in the pack's time zone. Every ``uuid`` is a uuid5 of a fixed namespace and the subject's own
key, and ``last-modified`` is the newest history row's time, so the same
register exported twice gives the same bytes. A history time is written with the
UTC offset it was recorded with; one an earlier version recorded without a zone
(the local wall clock of the machine that wrote it) is written with the offset of
the exporting machine's zone and marked so (a ``time-zone`` prop, and the
metadata's remarks), never claimed as UTC.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..errors import AuditorError
from .history import instant, zoneless
from .lifecycle import deadline
from .register import Register
from .replay import shown_change

OSCAL_VERSION = "1.2.1"
#: the namespace of the props this export adds, and of every uuid it derives
PROP_NS = "urn:auditor:capa"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROP_NS)
OWNER_ROLE = "action-owner"
CLOSED = ("verified-effective",)
#: item statuses after the plan was accepted: its open actions are a plan, not a recommendation
ACCEPTED = ("accepted", "implemented", "verified-effective", "verified-ineffective")
#: the ``time-zone`` prop of a history time recorded without one
ZONE_ASSUMED = "not recorded: read in the exporting machine's zone"
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def uid(*key: object) -> str:
    """The stable uuid of one subject, e.g. ``uid("item", "CAPA-2026-0001")``."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(k) for k in key)))


def export_oscal(register: Register, path: Path) -> int:
    """Write the register as an OSCAL POA&M JSON document; the number of items written."""
    document = poam(register)
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    write_text(path, text)
    return len(document["plan-of-action-and-milestones"]["poam-items"])


def poam(register: Register) -> dict[str, Any]:
    """The ``{"plan-of-action-and-milestones": ...}`` document of the register."""
    store = register.store
    items = store.items()
    if not items:
        raise AuditorError(
            "the register has no items: an OSCAL plan of action needs at least one",
            hint="record an audit with --register first",
        )
    history = store.history()
    if not history:
        raise AuditorError(
            "the register has items but no history rows", hint="run capa check on it"
        )
    people: set[str] = set()
    risks, findings, poam_items = [], [], []
    resources: dict[str, dict[str, Any]] = {}
    for item in items:
        actions = store.actions(item["id"])
        rows = [row for row in history if row["item"] == item["id"]]
        people |= {a["owner"] for a in actions if a.get("owner")}
        people |= {row["who"] for row in rows if row.get("who")}
        held = [_finding(item, link) for link in store.links(item["id"])]
        evidence = _resources(item)
        resources.update(evidence)
        risks.append(_risk(item, actions, rows))
        findings.extend(held)
        poam_items.append(_poam_item(item, [f["uuid"] for f in held], sorted(evidence)))
    body: dict[str, Any] = {
        "uuid": uid("plan-of-action-and-milestones"),
        "metadata": _metadata(history, people),
        "risks": risks,
        "poam-items": poam_items,
    }
    if findings:
        body["findings"] = findings
    if resources:
        body["back-matter"] = {"resources": [resources[k] for k in sorted(resources)]}
    return {"plan-of-action-and-milestones": body}


# ------------------------------------------------------------ metadata


def _metadata(history: list[dict[str, Any]], people: set[str]) -> dict[str, Any]:
    newest = max(instant(row["at"]) for row in history)
    metadata: dict[str, Any] = {
        "title": "CAPA register: plan of action and milestones",
        "last-modified": newest.isoformat(),
        "version": str(len(history)),
        "oscal-version": OSCAL_VERSION,
        "roles": [
            {
                "id": OWNER_ROLE,
                "title": "Corrective action owner",
                "description": "Carries out a corrective action by its due date.",
            }
        ],
        "props": [_prop("history-head", history[-1]["hash"])],
    }
    assumed = sum(zoneless(row["at"]) for row in history)
    if assumed:
        metadata["remarks"] = (
            f"{assumed} history time(s) were recorded without a time zone by an earlier "
            "version of the tool, on the local clock of the machine that wrote them; they are "
            "written with the UTC offset of the exporting machine's zone and marked with the "
            "prop time-zone: right only if that is the zone they were written in."
        )
    if people:
        metadata["parties"] = [
            {"uuid": uid("party", name), "type": "person", "name": name} for name in sorted(people)
        ]
    return metadata


# ------------------------------------------------------------ items, risks, findings


def _title(item: dict[str, Any]) -> str:
    group = item.get("group_key") or ""
    return _line(f"{item['rule']} ({group})" if group else item["rule"])


def _poam_item(item: dict[str, Any], findings: list[str], evidence: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "uuid": uid("item", item["id"]),
        "title": _title(item),
        "description": item["statement"],
        "props": _props(
            ("capa-id", item["id"]),
            ("rule", item["rule"]),
            ("clause", item.get("clause")),
            ("group", item.get("group_key")),
            ("severity", item["severity"]),
            ("capa-status", item["status"]),
            ("due", item.get("due")),
            ("recurring", "yes" if item.get("recurring") else None),
        ),
        "related-risks": [{"risk-uuid": uid("risk", item["id"])}],
    }
    if findings:
        entry["related-findings"] = [{"finding-uuid": f} for f in findings]
    if evidence:
        entry["links"] = [{"href": f"#{u}", "rel": "reference"} for u in evidence]
    remarks = _remarks(item)
    if remarks:
        entry["remarks"] = remarks
    return entry


def _remarks(item: dict[str, Any]) -> str:
    named = (
        ("Root cause", item.get("root_cause")),
        ("Correction", item.get("correction")),
        ("Containment", item.get("containment")),
        ("Escalation", item.get("escalation")),
        ("Implemented on", item.get("implemented_on")),
        ("Extent", ", ".join(item.get("extent") or [])),
    )
    return "\n\n".join(f"{name}: {value}" for name, value in named if value)


def _risk(
    item: dict[str, Any], actions: list[dict[str, Any]], history: list[dict[str, Any]]
) -> dict[str, Any]:
    clause = f" (clause {item['clause']})" if item.get("clause") else ""
    group = f" for {item['group_key']}" if item.get("group_key") else ""
    risk: dict[str, Any] = {
        "uuid": uid("risk", item["id"]),
        "title": _title(item),
        "description": item["statement"],
        "statement": f"{item['severity'].capitalize()} nonconformity of rule "
        f"{item['rule']}{clause}{group}, {item['id']}.",
        "status": "closed" if item["status"] in CLOSED else "open",
        "props": _props(("severity", item["severity"]), ("capa-status", item["status"])),
    }
    if item.get("due"):
        risk["deadline"] = deadline(item, item["due"]).isoformat()
    if actions:
        risk["remediations"] = [_remediation(item, action) for action in actions]
    if history:
        risk["risk-log"] = {"entries": [_log_entry(item, row) for row in history]}
    return risk


def _finding(item: dict[str, Any], link: dict[str, Any]) -> dict[str, Any]:
    """The audit finding ``link`` ties to ``item``, as an OSCAL finding about the rule."""
    satisfied = link.get("verdict") not in ("nonconform", "waived")  # waived: still not met
    described = [f"{link['verdict']} in audit {link['audit']}"]
    if link.get("waiver"):
        described.append(f"under waiver {link['waiver']} until {link.get('waived_until')}")
    if link.get("period"):
        described.append(f"period {link['period']}")
    if link.get("severity"):
        described.append(f"severity {link['severity']}")
    if link.get("value") is not None:
        described.append(f"value {link['value']:g}")
    return {
        "uuid": uid("finding", item["id"], link["audit"], link["finding"]),
        "title": _line(link["finding"]),
        "description": f"{link['finding']}: " + ", ".join(described) + ".",
        "props": _props(("capa-id", item["id"]), ("audit", str(link["audit"]))),
        "target": {
            "type": "objective-id",
            "target-id": _token(item["rule"]),
            "status": {"state": "satisfied" if satisfied else "not-satisfied"},
        },
        "related-risks": [{"risk-uuid": uid("risk", item["id"])}],
    }


# ------------------------------------------------------------ remediations, risk log


def _remediation(item: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    number = action["no"]
    if action.get("done"):
        lifecycle = "completed"
    else:
        lifecycle = "planned" if item["status"] in ACCEPTED else "recommendation"
    description = action["text"]
    if item.get("root_cause"):
        description += f"\n\nRoot cause: {item['root_cause']}"
    task: dict[str, Any] = {
        "uuid": uid("task", item["id"], number),
        "type": "milestone",
        "title": _line(f"Action {number} due: {action['text']}"),
        "props": _props(("owner", action.get("owner")), ("done", action.get("done"))),
    }
    if action.get("due"):
        task["timing"] = {"on-date": {"date": deadline(item, action["due"]).isoformat()}}
    if action.get("owner"):
        task["responsible-roles"] = [
            {"role-id": OWNER_ROLE, "party-uuids": [uid("party", action["owner"])]}
        ]
    if action.get("evidence"):
        task["remarks"] = f"Evidence: {action['evidence']}"
    return {
        "uuid": uid("action", item["id"], number),
        "lifecycle": lifecycle,
        "title": _line(f"Action {number}: {action['text']}"),
        "description": description,
        "tasks": [_pruned(task)],
    }


def _log_entry(item: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "uuid": uid("history", row["seq"]),
        "title": _line(f"{row['field']} by {row['who']}"),
        "description": f"{row['who']}: {row['field']}: {shown_change(row)}",
        "start": instant(row["at"]).isoformat(),
        "props": _props(
            ("field", row["field"]),
            ("seq", str(row["seq"])),
            ("time-zone", ZONE_ASSUMED if zoneless(row["at"]) else None),
        ),
    }
    if row.get("who"):
        entry["logged-by"] = [{"party-uuid": uid("party", row["who"])}]
    if row["field"] == "created":
        entry["status-change"] = "open"
    elif row["field"] == "status" and row.get("new"):
        entry["status-change"] = "closed" if row["new"] in CLOSED else "open"
    action = re.fullmatch(r"action (\d+)( done)?", row["field"])
    if action:
        entry["related-responses"] = [
            {"response-uuid": uid("action", item["id"], int(action.group(1)))}
        ]
    return _pruned(entry)


# ------------------------------------------------------------ evidence


def _resources(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The item's evidence files as back-matter resources, by uuid (one per path and content)."""
    files = (item.get("evidence") or {}).get("files") or {}
    found = {}
    for name, sha256 in sorted(files.items()):
        key = uid("evidence", name, sha256)
        found[key] = {
            "uuid": key,
            "title": _line(Path(name).name or name),
            "description": f"Evidence file {name} as audited.",
            "rlinks": [{"href": name, "hashes": [{"algorithm": "SHA-256", "value": sha256}]}],
        }
    return found


# ------------------------------------------------------------ small helpers


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": PROP_NS, "value": value}


def _props(*pairs: tuple[str, Any]) -> list[dict[str, str]]:
    """Props of the non-empty values (OSCAL wants no blank value), each on one line."""
    return [_prop(name, _line(str(value))) for name, value in pairs if str(value or "").strip()]


def _line(text: str) -> str:
    """One line with no surrounding blanks (OSCAL titles and prop values)."""
    return " ".join(text.split()) or "-"


def _token(text: str) -> str:
    """``text`` as an OSCAL token (an identifier reference)."""
    if _TOKEN.match(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "-", text)
    return cleaned if _TOKEN.match(cleaned) else f"_{cleaned}"


def _pruned(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` without empty lists (OSCAL lists hold at least one member)."""
    return {k: v for k, v in entry.items() if v != []}
