"""The register as an OSCAL plan of action and milestones, checked with compliance-trestle's models."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from trestle.core.validator_factory import validator_factory
from trestle.oscal import OSCAL_VERSION_REGEX
from trestle.oscal.poam import Model, PlanOfActionAndMilestones

from auditor.errors import AuditorError
from auditor.register import Register
from auditor.register import history as history_module
from auditor.register.history import chained
from auditor.register.oscal import OSCAL_VERSION, export_oscal
from auditor.register.views import item_text

from .conftest import ROOT, json_pairs

TODAY = date(2026, 8, 1)


@pytest.fixture
def worked(tmp_path, monthly_audits) -> Register:
    """The July demo audit recorded; its first item worked from open to verified-effective."""
    document, sha, path = monthly_audits["2026-07"]
    register = Register(str(tmp_path / "register.db"))
    register.record_audit(document, sha, str(path), TODAY)
    item = register.store.items()[0]["id"]
    register.add_action(item, "li", "Queue alarm at 20 s", "ops lead", date(2026, 8, 20), TODAY)
    register.update(
        item, "li", {"root_cause": "no queue alarm", "status": "planned"}, today=date(2026, 8, 2)
    )
    register.accept(item, "certifier", today=date(2026, 8, 3))
    register.action_done(item, 1, "li", date(2026, 8, 10))
    register.update(
        item,
        "li",
        {"status": "implemented", "implemented_on": "2026-08-10"},
        today=date(2026, 8, 10),
    )
    register.record_verification(
        item, "certifier", {"status": "verified-effective"}, today=date(2026, 9, 15)
    )
    yield register
    register.close()


def exported(register: Register, path: Path) -> dict:
    count = export_oscal(register, path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert count == len(document["plan-of-action-and-milestones"]["poam-items"])
    return document["plan-of-action-and-milestones"]


def test_the_register_exports_a_poam_that_trestle_parses_one_item_and_log_entry_each(
    worked, tmp_path
) -> None:
    body = exported(worked, tmp_path / "poam.json")
    parsed = PlanOfActionAndMilestones.model_validate(body)
    Model.model_validate({"plan-of-action-and-milestones": body})
    assert parsed.metadata.oscal_version.root.root == OSCAL_VERSION
    assert re.match(OSCAL_VERSION_REGEX, OSCAL_VERSION), "a version trestle's models support"
    assert all(v.model_is_valid(parsed, True) for v in validator_factory.get_all())
    defined = {value for key, value in json_pairs(body) if key == "uuid"}
    referenced = {value for key, value in json_pairs(body) if key.endswith(("-uuid", "-uuids"))}
    hrefs = {value[1:] for key, value in json_pairs(body) if key == "href" and value[0] == "#"}
    assert referenced and hrefs and referenced | hrefs <= defined, "every reference resolves"
    items = worked.store.items()
    assert len(parsed.poam_items) == len(items) == len(body["risks"])
    risks = {risk["uuid"]: risk for risk in body["risks"]}
    findings = {finding["uuid"] for finding in body["findings"]}
    for item, entry in zip(items, body["poam-items"], strict=True):
        assert entry["description"] == item["statement"]
        assert item["rule"] in entry["title"] and (item["group_key"] or "") in entry["title"]
        assert {f["finding-uuid"] for f in entry["related-findings"]} <= findings
        assert len(entry["related-findings"]) == len(worked.store.links(item["id"]))
        (risk,) = [risks[r["risk-uuid"]] for r in entry["related-risks"]]
        assert len(risk["risk-log"]["entries"]) == len(worked.store.history(item["id"]))
        assert risk["status"] == ("closed" if item["status"] == "verified-effective" else "open")
    of_items = [row for row in worked.store.history() if row["item"] in {i["id"] for i in items}]
    assert sum(len(r["risk-log"]["entries"]) for r in risks.values()) == len(of_items)


def test_the_worked_item_has_its_action_as_a_milestone_with_owner_and_due_date(
    worked, tmp_path
) -> None:
    body = exported(worked, tmp_path / "poam.json")
    item = worked.store.items()[0]
    risk = body["risks"][0]
    assert risk["status"] == "closed"
    (remediation,) = risk["remediations"]
    assert remediation["lifecycle"] == "completed"
    assert "no queue alarm" in remediation["description"]
    (task,) = remediation["tasks"]
    assert task["type"] == "milestone"
    assert task["timing"] == {"on-date": {"date": "2026-08-20T23:59:59+08:00"}}
    parties = {p["uuid"]: p["name"] for p in body["metadata"]["parties"]}
    (role,) = task["responsible-roles"]
    assert [parties[u] for u in role["party-uuids"]] == ["ops lead"]
    entries = risk["risk-log"]["entries"]
    history = worked.store.history(item["id"])
    assert [e["title"] for e in entries] == [f"{h['field']} by {h['who']}" for h in history]
    status = [e for e in entries if e["title"].startswith("status ")]
    assert [e["status-change"] for e in status] == ["open", "open", "open", "closed"]
    assert status[-1]["description"] == "certifier: status: implemented -> verified-effective"
    assert all(parties[e["logged-by"][0]["party-uuid"]] in e["description"] for e in entries)
    other = body["risks"][1]
    assert other["status"] == "open" and "remediations" not in other


def test_the_back_matter_carries_each_evidence_file_s_sha256(worked, tmp_path) -> None:
    body = exported(worked, tmp_path / "poam.json")
    resources = {r["uuid"]: r for r in body["back-matter"]["resources"]}
    files = {name for item in worked.store.items() for name in item["evidence"]["files"]}
    assert len(files) == len(resources) > 0
    for resource in resources.values():
        (rlink,) = resource["rlinks"]
        (digest,) = rlink["hashes"]
        assert digest["algorithm"] == "SHA-256"
        demo = (
            ROOT / "evidence" / "demo" / "service-quality"
        )  # hrefs are relative to the evidence folder
        assert digest["value"] == hashlib.sha256((demo / rlink["href"]).read_bytes()).hexdigest()
    for entry in body["poam-items"]:
        assert {link["href"][1:] for link in entry["links"]} <= set(resources)


def test_two_exports_are_byte_identical_with_stable_uuids_and_time(worked, tmp_path) -> None:
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    body = exported(worked, first)
    export_oscal(worked, second)
    assert first.read_bytes() == second.read_bytes()
    newest = max(datetime.fromisoformat(row["at"]) for row in worked.store.history())
    assert body["metadata"]["last-modified"] == newest.isoformat()
    text = first.read_text(encoding="utf-8")
    uuids = [
        value for key, value in json_pairs(json.loads(text)) if key.endswith(("uuid", "uuids"))
    ]
    assert uuids and all(uuid.UUID(u).version == 5 for u in uuids)
    own = [value for key, value in json_pairs(body) if key == "uuid"]
    assert len(own) == len(set(own)), "every subject has its own uuid"


def test_a_waiver_row_in_the_history_is_in_no_item_s_risk_log(worked, tmp_path) -> None:
    from auditor.register.waivers import Waiver

    waiver = Waiver(
        "", "NPS-20", "", "survey tool replaced", "low", "ops", "quality director",
        date(2026, 9, 20), date(2026, 12, 31),
    )  # fmt: skip
    worked.add_waiver(waiver, "quality director", date(2026, 9, 20))
    body = exported(worked, tmp_path / "poam.json")
    PlanOfActionAndMilestones.model_validate(body)
    entries = sum(len(r["risk-log"]["entries"]) for r in body["risks"])
    assert entries == len(worked.store.history()) - 1
    assert body["metadata"]["last-modified"].startswith("2026-09-20T")


def test_an_empty_register_is_refused_and_nothing_written(tmp_path) -> None:
    register = Register(str(tmp_path / "register.db"))
    with pytest.raises(AuditorError, match="no items"):
        export_oscal(register, tmp_path / "poam.json")
    assert not (tmp_path / "poam.json").exists()
    register.close()


def _clock(monkeypatch, hour: int, minute: int, second: int) -> None:
    """The local wall clock reads ``hour:minute:second`` when the register writes a row."""
    clock = datetime(2000, 1, 1, hour, minute, second).time()
    monkeypatch.setattr(history_module, "wall_clock", lambda: clock, raising=False)


def _rechained(path: Path, edit) -> None:
    """Every history row as ``edit`` gives it (its time and new value), the chain made again
    over the rows, as the version that wrote them made it."""
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        previous = ""
        for row in [dict(r) for r in db.execute("SELECT * FROM history ORDER BY seq")]:
            entry = chained(edit(row), previous)
            db.execute(
                "UPDATE history SET at = ?, new = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (entry["at"], entry["new"], entry["prev_hash"], entry["hash"], row["seq"]),
            )
            previous = entry["hash"]
        db.execute("UPDATE meta SET value = ? WHERE key = 'history_head'", (previous,))


def _as_an_earlier_version_wrote_its_times(path: Path, at: str) -> None:
    """Every history row's time as the version before offsets wrote it: ``at``, the local wall
    clock with no zone."""
    _rechained(path, lambda row: {**row, "at": at})


def _without_the_pack_zone(path: Path) -> None:
    """Every item's criterion as the version before it held the pack's zone wrote it."""

    def without(text: str) -> str:
        value = json.loads(text)
        value.pop("timezone", None)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def created(row: dict) -> dict:
        if row["field"] != "created":
            return row
        event = json.loads(row["new"])
        event["criterion"] = json.loads(without(json.dumps(event["criterion"])))
        return {**row, "new": json.dumps(event, ensure_ascii=False, sort_keys=True)}

    with sqlite3.connect(path) as db:
        for item, criterion in db.execute("SELECT id, criterion FROM items").fetchall():
            db.execute("UPDATE items SET criterion = ? WHERE id = ?", (without(criterion), item))
    _rechained(path, created)


def test_a_history_time_holds_its_utc_offset_and_the_poam_writes_that_instant(
    tmp_path, monthly_audits, monkeypatch, local_zone
) -> None:
    """Written at 07:22:35 in Shanghai on 2026-12-06 (23:22:35 UTC the day before), then by a
    machine on UTC at 23:30:00 on 2026-12-05: the later of the two is the UTC one, though its
    text sorts first."""
    document, sha, path = monthly_audits["2026-07"]
    register = Register(str(tmp_path / "register.db"))
    local_zone("Asia/Shanghai")
    _clock(monkeypatch, 7, 22, 35)
    register.record_audit(document, sha, str(path), date(2026, 12, 6))
    item = register.store.items()[0]["id"]
    register.update(item, "li", {"correction": "x"}, today=date(2026, 12, 6))
    local_zone("UTC")
    _clock(monkeypatch, 23, 30, 0)
    register.update(item, "li", {"containment": "y"}, today=date(2026, 12, 5))
    rows = register.store.history(item)
    assert [row["at"] for row in rows] == [
        "2026-12-06T07:22:35+08:00",
        "2026-12-06T07:22:35+08:00",
        "2026-12-05T23:30:00+00:00",
    ]
    assert "  2026-12-06T07:22:35+08:00  li: correction: (none) -> x" in item_text(register, item)
    assert register.check() == []
    local_zone("America/New_York")  # the exporting machine's zone changes nothing
    body = exported(register, tmp_path / "poam.json")
    PlanOfActionAndMilestones.model_validate(body)
    entries = body["risks"][0]["risk-log"]["entries"]
    assert [e["start"] for e in entries] == [
        "2026-12-06T07:22:35+08:00",
        "2026-12-06T07:22:35+08:00",
        "2026-12-05T23:30:00+00:00",
    ]
    assert datetime.fromisoformat(entries[1]["start"]) == datetime(
        2026, 12, 5, 23, 22, 35, tzinfo=UTC
    )
    assert body["metadata"]["last-modified"] == "2026-12-05T23:30:00+00:00"
    assert "remarks" not in body["metadata"]
    assert not [p for e in entries for p in e["props"] if p["name"] == "time-zone"]
    register.close()


def test_a_register_with_times_recorded_without_a_zone_still_checks_and_exports_them_as_such(
    tmp_path, monthly_audits, monkeypatch, local_zone
) -> None:
    """An earlier version wrote the local wall clock with no zone: the history chain of those
    rows still verifies, and the POA&M writes them with the exporting machine's offset, marked
    as read so, beside the rows written since with their own offset."""
    document, sha, path = monthly_audits["2026-07"]
    register = Register(str(tmp_path / "register.db"))
    register.record_audit(document, sha, str(path), date(2026, 12, 6))
    item = register.store.items()[0]["id"]
    register.close()
    _as_an_earlier_version_wrote_its_times(tmp_path / "register.db", "2026-12-06T07:22:35")
    local_zone("Asia/Shanghai")
    _clock(monkeypatch, 8, 0, 0)
    register = Register(str(tmp_path / "register.db"))
    register.update(item, "li", {"correction": "x"}, today=date(2026, 12, 6))
    assert [row["at"] for row in register.store.history(item)] == [
        "2026-12-06T07:22:35",
        "2026-12-06T08:00:00+08:00",
    ]
    assert register.check() == []
    assert "  2026-12-06T07:22:35  auditor: created: " in item_text(register, item)
    body = exported(register, tmp_path / "poam.json")
    PlanOfActionAndMilestones.model_validate(body)
    entries = body["risks"][0]["risk-log"]["entries"]
    assert [e["start"] for e in entries] == [
        "2026-12-06T07:22:35+08:00",
        "2026-12-06T08:00:00+08:00",
    ]
    zones = [[p["value"] for p in e["props"] if p["name"] == "time-zone"] for e in entries]
    assert zones == [["not recorded: read in the exporting machine's zone"], []]
    assert body["metadata"]["last-modified"] == "2026-12-06T08:00:00+08:00"
    assert body["metadata"]["remarks"].startswith(
        f"{len(register.store.history()) - 1} history time(s) were recorded without a time zone"
    )
    register.close()


def test_a_deadline_is_the_end_of_the_due_day_in_the_pack_s_zone(
    worked, tmp_path, local_zone
) -> None:
    """Recorded on 2026-08-01, a major item is due 30 days on (2026-08-31) and a minor one 90
    (2026-10-30), an action on the day it was given (2026-08-20): each is over at the last
    second of that day in the pack's zone (Asia/Shanghai), as capa list counts it overdue once
    that second has passed, whatever the zone of the machine exporting."""
    local_zone("America/New_York")
    body = exported(worked, tmp_path / "poam.json")
    due = {risk["title"]: (risk["props"][0]["value"], risk["deadline"]) for risk in body["risks"]}
    by_severity = {"major": "2026-08-31T23:59:59+08:00", "minor": "2026-10-30T23:59:59+08:00"}
    assert len(due) == 3
    assert [d for _, d in due.values()] == [by_severity[s] for s, _ in due.values()]
    (task,) = body["risks"][0]["remediations"][0]["tasks"]
    assert task["timing"] == {"on-date": {"date": "2026-08-20T23:59:59+08:00"}}
    PlanOfActionAndMilestones.model_validate(body)


def test_an_item_recorded_without_the_pack_s_zone_is_due_by_the_end_of_the_day_here(
    tmp_path, monthly_audits, local_zone
) -> None:
    """An item an earlier version recorded holds no pack zone: its due day ends at its last
    second in the exporting machine's zone, the days capa list counts overdue by. Recorded on
    2026-12-06: due 2027-01-05 (major, 30 days) or 2027-03-06 (minor, 90), in New York -05:00."""
    document, sha, path = monthly_audits["2026-07"]
    register = Register(str(tmp_path / "register.db"))
    register.record_audit(document, sha, str(path), date(2026, 12, 6))
    register.close()
    _without_the_pack_zone(tmp_path / "register.db")
    register = Register(str(tmp_path / "register.db"))
    assert register.check() == []
    local_zone("America/New_York")
    body = exported(register, tmp_path / "poam.json")
    by_severity = {"major": "2027-01-05T23:59:59-05:00", "minor": "2027-03-06T23:59:59-05:00"}
    deadlines = [(risk["props"][0]["value"], risk["deadline"]) for risk in body["risks"]]
    assert len(deadlines) == 3
    assert [d for _, d in deadlines] == [by_severity[s] for s, _ in deadlines]
    register.close()
