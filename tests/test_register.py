"""The CAPA register on the demo audited for two months: items, links, recurrence, lifecycle, history."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from auditor.backends.register_store import JSON_FIELDS, Conflict
from auditor.errors import AuditorError, StoreError
from auditor.findings.contract import FindingsDocument
from auditor.register import LifecycleError, Register, Status, nonconformities
from auditor.register.replay import Replayed

from .conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"
TODAY = date(2026, 10, 10)
#: a moment of TODAY on every calendar from UTC-10 to UTC+12, the pack's (Shanghai) included
NOW = datetime(2026, 10, 10, 11, tzinfo=UTC)


def record(register: Register, monthly_audits, month: str):
    document, sha, path = monthly_audits[month]
    return register.record_audit(document, sha, str(path), TODAY)


def expected_keys(document: FindingsDocument) -> set[tuple[str, str]]:
    """Worked out from the findings directly: the audit's nonconformities, a rule judged
    pooled once, a rule judged in each group once per nonconforming group (a group that
    fails under a rule judged pooled is not one: the rule's verdict is the audit's)."""
    keys = set()
    for rule in document.rules:
        if rule.verdict != "nonconform":
            continue
        groups = {
            ", ".join(f"{k}={v}" for k, v in f.group.items())
            for f in rule.findings[1:]
            if f.verdict == "nonconform" and f.group
        }
        if rule.judge == "each-group" and groups:
            keys.update((rule.rule, group) for group in groups)
        else:
            keys.add((rule.rule, ""))
    return keys


def test_an_audit_opens_one_item_per_nonconformity_and_only_once(tmp_path, monthly_audits) -> None:
    register = Register(str(tmp_path / "register.db"))
    first = record(register, monthly_audits, "2026-07")
    keys = expected_keys(monthly_audits["2026-07"][0])
    assert len(first.created) == len(keys) > 0
    items = register.store.items()
    assert {(i["rule"], i["group_key"]) for i in items} == keys
    assert [i["id"] for i in items] == [f"CAPA-2026-{n:04d}" for n in range(1, len(keys) + 1)]
    assert all(i["status"] == "open" and i["version"] == 1 for i in items)
    again = record(register, monthly_audits, "2026-07")
    assert again.already and not again.created
    assert len(register.store.items()) == len(keys)
    register.close()


def test_a_nonconformity_in_a_later_month_is_linked_recurring_and_a_minor_escalated(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    july = {(i["rule"], i["group_key"]): i for i in register.store.items()}
    second = record(register, monthly_audits, "2026-08")
    both = set(july) & expected_keys(monthly_audits["2026-08"][0])
    assert both, "the demo fails some rule in both months"
    escalated = []
    for key in both:
        item = register.store.item(july[key]["id"])
        assert item is not None and item["recurring"] == 1 and item["last_audit"] == second.audit
        assert item["severity"] == "major"
        if july[key]["severity"] == "minor":
            assert item["escalation"] == "recurring in another period"
            august = monthly_audits["2026-08"][0]
            rule = next(r for r in august.rules if r.rule == key[0])
            major_days = min(august.manifest.parameters.due_days["major"], rule.capa.due_days)
            assert item["due"] == (TODAY + timedelta(days=major_days)).isoformat()  # sooner
            escalated.append(key)
        assert {link["audit"] for link in register.store.links(item["id"])} == {1, 2}
    assert escalated, "the demo has a minor nonconformity in both months"
    assert sorted(second.recurring) == sorted(july[k]["id"] for k in both)
    new_keys = expected_keys(monthly_audits["2026-08"][0]) - set(july)
    assert len(second.created) == len(new_keys)
    register.close()


def test_audits_recorded_out_of_period_order_give_the_same_register(
    tmp_path, monthly_audits
) -> None:
    """August recorded before July: the same items recurring and stepped up as July first."""

    def recorded(months: tuple[str, ...], name: str) -> dict[tuple[str, str], tuple[str, int]]:
        register = Register(str(tmp_path / name))
        for month in months:
            record(register, monthly_audits, month)
        items = {(i["rule"], i["group_key"]): (i["severity"], i["recurring"]) for i in
                 register.store.items()}  # fmt: skip
        register.close()
        return items

    in_order = recorded(("2026-07", "2026-08"), "in-order.db")
    assert any(recurring for _, recurring in in_order.values())
    assert recorded(("2026-08", "2026-07"), "reversed.db") == in_order


def test_the_previous_audit_is_the_latest_recorded_of_an_earlier_period(
    tmp_path, monthly_audits
) -> None:
    """August recorded before July: an audit of September is compared with August (the
    later period, though recorded first), one of August with July, one of July with none."""
    register = Register(str(tmp_path / "register.db"))
    for month in ("2026-08", "2026-07"):
        record(register, monthly_audits, month)
    paths = {month: str(path) for month, (_, _, path) in monthly_audits.items()}
    assert register.previous_audit("service-quality", "2026-09-01") == paths["2026-08"]
    assert register.previous_audit("service-quality", "2026-08-01") == paths["2026-07"]
    assert register.previous_audit("service-quality", "2026-07-01") is None
    assert register.previous_audit("another-pack", "2026-09-01") is None
    register.close()


def test_the_previous_audit_is_found_from_any_working_folder(
    tmp_path, monthly_audits, monkeypatch
) -> None:
    """An audit recorded as `out/jul/findings.json` from the register's folder was not found
    (and no previous audit shown, in silence) when the next audit ran from another folder."""
    import shutil

    home = tmp_path / "team"
    shutil.copytree(monthly_audits["2026-07"][2].parent, home / "out" / "jul")
    document, sha, _ = monthly_audits["2026-07"]
    monkeypatch.chdir(home)
    register = Register("capa.db")
    register.record_audit(document, sha, "out/jul/findings.json", TODAY)
    register.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    register = Register(str(home / "capa.db"))
    found = register.previous_audit("service-quality", "2026-08-01")
    register.close()
    assert found == str(home / "out" / "jul" / "findings.json")


def test_the_lifecycle_refuses_weak_root_causes_and_missing_actions(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]
    with pytest.raises(LifecycleError, match="certifiers reject it"):
        register.update(item["id"], "li", {"root_cause": "Human error", "status": "planned"})
    with pytest.raises(LifecycleError, match="certifiers reject it"):
        register.update(item["id"], "li", {"root_cause": "人为失误", "status": "planned"})
    with pytest.raises(LifecycleError, match="at least one corrective action"):
        register.update(item["id"], "li", {"root_cause": "no queue alarm", "status": "planned"})
    number = register.add_action(
        item["id"], "li", "Queue alarm at 20 s", "ops lead", date(2026, 11, 1), TODAY
    )
    planned = register.update(
        item["id"], "li", {"root_cause": "no queue alarm", "status": "planned"}, today=TODAY
    )
    assert planned["status"] == Status.PLANNED
    with pytest.raises(LifecycleError, match="capa update moves it to open, not implemented"):
        register.update(item["id"], "li", {"status": "implemented"})
    with pytest.raises(
        LifecycleError, match="plan was made by li; it must be accepted by someone other than li"
    ):
        register.accept(item["id"], " LI ")  # not the one who planned
    register.accept(item["id"], "certifier")
    with pytest.raises(LifecycleError, match="not done"):
        register.update(item["id"], "li", {"status": "implemented"})
    register.action_done(item["id"], number, "li", date(2026, 10, 20))
    done = register.update(item["id"], "li", {"status": "implemented"})
    # one per change: the action added and the action done move the version on too
    assert done["status"] == "implemented" and done["version"] == 6
    with pytest.raises(LifecycleError, match="unknown status 'closd'"):
        register.update(item["id"], "li", {"status": "closd"})
    fields = [row["field"] for row in register.store.history(item["id"])]
    assert fields == [
        "created", "action 1", "root_cause", "status", "status", "acceptance", "action 1 done",
        "status",
    ]  # fmt: skip
    register.close()


def test_a_stale_version_is_a_conflict_and_nothing_changes(tmp_path, monthly_audits) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]
    register.update(item["id"], "a", {"correction": "extra staff on Monday"}, version=1)
    with pytest.raises(
        Conflict, match=rf"{item['id']} changed since you read it \(version 1 -> 2\)"
    ):
        register.update(item["id"], "b", {"correction": "something else"}, version=1)
    assert register.store.item(item["id"])["correction"] == "extra staff on Monday"
    assert [r["who"] for r in register.store.history(item["id"])] == ["auditor", "a"]
    register.close()


def test_a_history_row_edited_or_cut_outside_the_tool_is_named(tmp_path, monthly_audits) -> None:
    path = tmp_path / "register.db"
    register = Register(str(path))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]
    register.update(item["id"], "a", {"correction": "one"})
    register.update(item["id"], "a", {"containment": "two"})
    assert register.check() == []
    register.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE history SET new = 'forged' WHERE field = 'correction'")
    broken = Register(str(path)).check()
    assert len(broken) == 2 and "was changed outside the tool" in broken[0]
    # and the item no longer holds what its (changed) history says
    assert (
        broken[1]
        == f"item {item['id']}: correction 'one' in the items table, 'forged' in the history"
    )
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM history WHERE seq = (SELECT MAX(seq) FROM history)")
    assert any("last history rows were deleted" in p for p in Register(str(path)).check())


def test_a_file_that_is_not_a_register_is_refused_in_one_line(tmp_path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE x (a)")
    with pytest.raises(StoreError, match="not an auditor register"):
        Register(str(other))
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not sqlite at all" * 10, encoding="utf-8")
    with pytest.raises(StoreError, match="not an auditor register"):
        Register(str(text))
    newer = tmp_path / "newer.db"
    Register(str(newer)).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this auditor's"):
        Register(str(newer))


def test_nonconformities_take_each_group_once(monthly_audits) -> None:
    document = monthly_audits["2026-08"][0]
    keys = [(rule.rule, key) for key, rule, _ in nonconformities(document)]
    assert len(keys) == len(set(keys)) == len(expected_keys(document))


def test_the_audits_capa_plan_lists_the_items_a_register_opens(tmp_path, monthly_audits) -> None:
    """capa.csv (and the report's CAPA table) and the register take one definition of a
    nonconformity: the same rules, groups and severities, for the same findings."""
    from auditor.i18n import Words
    from auditor.report.registers import capa_items

    for month in ("2026-07", "2026-08"):
        document = monthly_audits[month][0]
        register = Register(str(tmp_path / f"{month}.db"))
        record(register, monthly_audits, month)
        opened = sorted(
            (i["rule"], i["severity"], link["finding"], i["due"])
            for i in register.store.items()
            for link in register.store.links(i["id"])
        )
        register.close()
        planned = sorted(
            (c.rule, c.severity, c.finding, c.due) for c in capa_items(document, TODAY, Words("en"))
        )
        assert planned == opened and len(planned) == len(expected_keys(document))


FIRST_LINE_PACK = """\
pack: first-line
version: 1.0.0
standard: service-quality-standard
timezone: Asia/Shanghai
defaults: {min_records: 5}
evidence:
  tickets:
    key: ticket_id
    time: opened_at
    fields: {ticket_id: string, opened_at: timestamp, site: string, level: string}
rules:
  - id: FIRST-LINE
    clause: "3.1.2"
    title: {zh: 一线解决, en: Resolved at first line}
    evidence: tickets
    condition: level == "L1"
    target: 80%
    major_below: 50%
    severity: minor
    group_by: [site]
    period: month
    judge: each-group
    capa: {action: {zh: 培训一线, en: Extend the knowledge base}, owner: manager}
"""

#: each site's tickets of a month, in key order, by the level that resolved them
FIRST_LINE_TICKETS = {
    ("SH", "07"): "L1 L1 L1 L1 L2 L2 L2 L2 L2 L2",  # 40 %: major, 6 failing
    ("SH", "08"): "L1 L1 L1 L1 L1 L1 L1 L2 L2 L2",  # 70 %: minor, 3 failing
    ("BJ", "07"): "L1 L1 L1 L1 L1 L1 L1 L1 L1 L1",  # conforms
    ("BJ", "08"): "L1 L1 L1 L1 L1 L1 L2 L2 L2 L2",  # 60 %: minor, 4 failing
}


def _first_line_audit(tmp_path) -> FindingsDocument:
    """FIRST-LINE judged per site and month on the hand-made tickets of July and August."""
    from auditor.audit import run_audit

    from .conftest import STANDARDS

    (tmp_path / "standards").symlink_to(STANDARDS)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "first-line.yaml").write_text(FIRST_LINE_PACK, encoding="utf-8")
    rows = [
        f"{site}-{month}-{n:02d},2026-{month}-{n + 10} 10:00:00,{site},{level}\n"
        for (site, month), levels in FIRST_LINE_TICKETS.items()
        for n, level in enumerate(levels.split(), 1)
    ]
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "tickets.csv").write_text(
        "ticket_id,opened_at,site,level\n" + "".join(rows), encoding="utf-8"
    )
    run_audit(
        tmp_path / "rules" / "first-line.yaml",
        tmp_path / "evidence",
        tmp_path / "out",
        "2026-07-01..2026-08-31",
    )
    return FindingsDocument.load(tmp_path / "out" / "findings.json")


def test_a_group_s_item_holds_the_failing_records_of_all_its_nonconforming_months(
    tmp_path,
) -> None:
    """SH fails FIRST-LINE in July (major, 6 failing) and August (minor, 3): its item is
    shown by July and holds the 9 failing records of both months, as the audit's CAPA plan
    counts them; BJ fails in August only (4). The register kept July's 6 alone."""
    from auditor.i18n import Words
    from auditor.report.registers import capa_items

    document = _first_line_audit(tmp_path)
    register = Register(str(tmp_path / "register.db"))
    register.record_audit(document, document.fingerprint(), "findings.json", TODAY)
    evidence = {i["group_key"]: i["evidence"] for i in register.store.items()}
    register.close()
    held = {
        key: (e["finding"], e.get("periods"), e["failing_count"], e["failing"])
        for key, e in evidence.items()
    }
    assert held == {
        "site=BJ": (
            "FIRST-LINE@site=BJ@2026-08",
            ["2026-08"],
            4,
            ["BJ-08-07", "BJ-08-08", "BJ-08-09", "BJ-08-10"],
        ),
        "site=SH": (
            "FIRST-LINE@site=SH@2026-07",
            ["2026-07", "2026-08"],
            9,
            [f"SH-07-{n:02d}" for n in range(5, 11)] + ["SH-08-08", "SH-08-09", "SH-08-10"],
        ),
    }
    plan = {
        c.finding: (c.failing_count, c.correction) for c in capa_items(document, TODAY, Words("en"))
    }
    assert plan == {
        "FIRST-LINE@site=BJ@2026-08": (4, "Deal with the 4 failing records listed"),
        "FIRST-LINE@site=SH@2026-07": (
            9,
            "Deal with the 9 failing records listed, in its 2 nonconforming periods",
        ),
    }


def test_exports_hold_every_item_action_and_history_row(tmp_path, monthly_audits) -> None:
    import csv

    import openpyxl

    from auditor.register.export import export_csv, export_xlsx

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]
    register.add_action(item["id"], "li", '=HYPERLINK("http://x")', "ops", date(2026, 11, 1), TODAY)
    register.update(item["id"], "li", {"correction": "+extra staff"})
    rows = export_csv(register, tmp_path / "capa.csv")
    first = (tmp_path / "capa.csv").read_bytes()
    export_csv(register, tmp_path / "capa.csv")
    assert (tmp_path / "capa.csv").read_bytes() == first  # the same register, the same bytes
    with (tmp_path / "capa.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert rows == len(table) == len(register.store.items())
    assert table[0]["correction"] == "'+extra staff"
    counts = export_xlsx(register, tmp_path / "capa.xlsx")
    book = openpyxl.load_workbook(tmp_path / "capa.xlsx", read_only=True)
    assert book.sheetnames == ["items", "actions", "history"]
    assert counts == {
        "items": len(table),
        "actions": 1,
        "history": len(register.store.history()),
    }
    for name, count in counts.items():
        assert book[name].max_row == count + 1
    action = next(iter(book["actions"].iter_rows(min_row=2, values_only=True)))
    assert action[2] == '\'=HYPERLINK("http://x")'
    register.close()


def _implemented(register: Register, item_id: str, on: str) -> None:
    register.add_action(
        item_id, "li", "Fix the process", "ops", date(2026, 8, 15), date(2026, 7, 15)
    )
    register.update(item_id, "li", {"root_cause": "no alarm on the queue", "status": "planned"})
    register.accept(item_id, "cert")
    register.action_done(item_id, 1, "li", date(2026, 7, 31))
    register.update(
        item_id,
        "li",
        {
            "status": "implemented",
            "implemented_on": on,
            "criterion": {"rule": register.item(item_id)["rule"], "window_days": 31},
        },
    )


def test_verify_closes_what_worked_and_reopens_what_did_not(tmp_path, monthly_audits) -> None:
    from auditor.register.verify import verify_item

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    august = monthly_audits["2026-08"][0]
    verdicts = {}
    for rule in august.rules:
        for f in rule.findings:
            if f.period == "2026-08" or f.id == rule.rule:
                key = ", ".join(f"{k}={v}" for k, v in f.group.items())
                verdicts.setdefault((rule.rule, key), (f.verdict, f.severity))
    seen = set()
    for item in register.store.items():
        expected = verdicts.get((item["rule"], item["group_key"]))
        if expected is None or expected[0] not in ("conform", "nonconform"):
            continue
        _implemented(register, item["id"], "2026-07-31")
        result = verify_item(
            register, item["id"], RULES / "service-quality.yaml", DEMO, "cert", TODAY
        )
        after = register.item(item["id"])
        assert result.period == "2026-08-01..2026-08-31"
        if expected[0] == "conform":
            assert (result.outcome, after["status"]) == ("effective", "verified-effective")
        else:
            assert (result.outcome, after["status"]) == ("ineffective", "verified-ineffective")
            assert after["severity"] == "major"
        assert after["verification"]["verdict"] == expected[0]
        seen.add(expected[0])
    assert seen == {"conform", "nonconform"}, "the demo has both kinds of item"
    register.close()


def test_a_minor_item_whose_fix_did_not_work_is_due_as_a_major_one(tmp_path, monthly_audits):
    from auditor.register.verify import verify_item

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    august = monthly_audits["2026-08"][0]
    failing = {(r.rule, "") for r in august.rules if r.verdict == "nonconform"}
    item = next(
        i for i in register.store.items()
        if i["severity"] == "minor" and (i["rule"], i["group_key"]) in failing
    )  # fmt: skip
    _implemented(register, item["id"], "2026-07-31")
    result = verify_item(register, item["id"], RULES / "service-quality.yaml", DEMO, "cert", TODAY)
    after = register.item(item["id"])
    assert (result.outcome, after["severity"]) == ("ineffective", "major")
    rule = next(r for r in august.rules if r.rule == item["rule"])
    major_days = min(august.manifest.parameters.due_days["major"], rule.capa.due_days)
    assert after["due"] == (TODAY + timedelta(days=major_days)).isoformat() < item["due"]
    register.close()


@pytest.mark.parametrize(
    ("unit", "value", "details", "limit", "label", "figures"),
    [
        # 3 of 1,200 calls escalated: 3 / 1,200 x 1,000 = 2.50 per 1,000, against at most 2
        ("per_1000", 2.5, {"count": 3, "n": 1200}, 2.0, None, "2.50 ‰ (3 of 1,200), target ≤ 2 ‰"),
        # 1,302 minutes over 310 calls: a mean of 4.20 min, against at most 5 min
        (
            "number",
            4.2,
            {"sum": 1302.0, "n": 310},
            5.0,
            {"zh": "分钟", "en": "min"},
            "mean 4.20 min (sum 1,302 min / 310), target ≤ 5 min",
        ),
    ],
)
def test_verify_s_figures_read_as_the_finding_s_sentence_has_them(
    unit, value, details, limit, label, figures
) -> None:
    """The value the verification was judged on, the figures that make it and the target, in
    the words of a finding's sentence for every measure: the count behind a rate per 1,000,
    the sum behind a mean (not ``n = 1,200`` beside any value but a share)."""
    from auditor.findings.results import Counts, Finding, RuleResult
    from auditor.register.verify import judged_figures

    finding = Finding(
        id="CALLS@2026-09-01..2026-09-30", rule="CALLS", clause="8.2", measure="m", group={},
        period="2026-09-01..2026-09-30", pooled=True, verdict="nonconform", severity="minor",
        counts=Counts(n=details["n"], conforming=details["n"]), value=value, unit=unit,
        target=f"<= {limit}", threshold={"op": "<=", "value": limit}, details=details,
    )  # fmt: skip
    result = RuleResult(
        rule="CALLS", clause="8.2", title_en="Calls", title_zh="呼叫", measure="m",
        severity="minor", verdict="nonconform", verdict_severity="minor", judge="pooled",
        findings=[finding], unit_label=label,
        capa={"action": {"zh": "改进", "en": "Improve"}, "owner": "ops", "due_days": 30},
    )  # fmt: skip
    assert judged_figures(finding, result).replace("\xa0", " ") == figures


def test_verify_waits_for_the_window_to_end_and_for_evidence_that_covers_it(
    tmp_path, monthly_audits
) -> None:
    from auditor.register.verify import verify_item

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    first, second = register.store.items()[:2]
    _implemented(register, first["id"], "2026-07-31")  # window 2026-08-01..2026-08-31
    with pytest.raises(LifecycleError, match=r"window 2026-08-01\.\.2026-08-31 has not ended"):
        verify_item(
            register, first["id"], RULES / "service-quality.yaml", DEMO, "cert", date(2026, 8, 31)
        )
    _implemented(register, second["id"], "2026-09-20")  # the demo's records end on 30 September
    result = verify_item(
        register, second["id"], RULES / "service-quality.yaml", DEMO, "cert", date(2026, 11, 1)
    )
    assert result.outcome == (
        "not-evaluable: the evidence runs from 2024-04-13 to 2026-09-30, short of the window "
        "2026-09-21..2026-10-21; give the export that covers it"
    )
    assert register.item(second["id"])["status"] == "implemented"
    register.close()


def test_verify_without_records_changes_nothing(tmp_path, monthly_audits) -> None:
    from auditor.register.verify import verify_item

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]
    _implemented(register, item["id"], "2026-07-31")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = verify_item(register, item["id"], RULES / "service-quality.yaml", empty, "cert", TODAY)
    assert result.outcome.startswith("not-evaluable: no evidence of kind")
    assert register.item(item["id"])["status"] == "implemented"
    register.close()


def _csat_item(register: Register, monthly_audits, implemented: date) -> str:
    """July's CSAT-Q-4.2 item (surveys, no calendar), implemented on ``implemented``."""
    record(register, monthly_audits, "2026-07")
    item = next(i["id"] for i in register.store.items() if i["rule"] == "CSAT-Q-4.2")
    _implemented_on(register, item, implemented)
    return item


def test_verify_needs_the_holiday_data_of_the_item_s_own_rule_only(
    tmp_path, monthly_audits, cn_data_to_2026
) -> None:
    """A window reaching into 2027 verifies an item whose rule counts in no calendar, though
    the pack's TECH-INITIAL-4H counts in 'office', whose holidays stop at 2026."""
    from auditor.register.verify import verify_item

    register = Register(str(tmp_path / "register.db"))
    item = _csat_item(register, monthly_audits, date(2026, 12, 20))  # 2026-12-21..2027-01-19
    evidence = tmp_path / "after"
    evidence.mkdir()
    first = date(2026, 12, 21)
    (evidence / "surveys.jsonl").write_text(
        "".join(
            f'{{"survey_id": "S{n}", "site": "SH", "channel": "phone", '
            f'"answered_at": "{first + timedelta(days=n)} 12:00:00", "csat": {5 if n % 2 else 4}}}\n'
            for n in range(30)
        ),
        encoding="utf-8",
    )
    result = verify_item(
        register, item, RULES / "service-quality.yaml", evidence, "cert", date(2027, 1, 20)
    )
    figures = register.item(item)["verification"]
    assert (result.outcome, result.period, result.status) == (
        "effective", "2026-12-21..2027-01-19", "verified-effective"
    )  # fmt: skip
    # one survey a day for 30 days, 15 scoring 5 and 15 scoring 4: a mean of 4.5 >= 4.2
    assert (figures["n"], figures["value"], figures["verdict"]) == (30, 4.5, "conform")
    register.close()


def test_verify_on_evidence_that_ends_before_the_window_says_so(tmp_path, monthly_audits) -> None:
    """The demo's surveys end on 30 September: a November window is not "too few records",
    it is the wrong export, as for evidence ending inside the window."""
    from auditor.register.verify import verify_item

    register = Register(str(tmp_path / "register.db"))
    item = _csat_item(register, monthly_audits, date(2026, 11, 1))  # 2026-11-02..2026-12-01
    result = verify_item(
        register, item, RULES / "service-quality.yaml", DEMO, "cert", date(2026, 12, 10)
    )
    assert result.outcome == (
        "not-evaluable: the surveys records run from 2026-07-01 to 2026-09-30, short of the "
        "window 2026-11-02..2026-12-01; give the export that covers it"
    )
    assert register.item(item)["status"] == "implemented"
    register.close()


def test_an_item_field_edited_into_bad_json_is_one_clear_error(tmp_path, monthly_audits) -> None:
    path = tmp_path / "register.db"
    register = Register(str(path))
    record(register, monthly_audits, "2026-07")
    item_id = register.store.items()[0]["id"]
    register.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE items SET evidence = '{not json' WHERE id = ?", [item_id])
    register = Register(str(path))
    with pytest.raises(StoreError) as raised:
        register.store.items()
    register.close()
    assert raised.value.message == (
        f"item {item_id}: its evidence is not JSON ('{{not json'); the register was edited "
        "outside the tool"
    )


def test_the_verified_statuses_are_reached_only_by_verification(tmp_path, monthly_audits) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    opened, worked = (i["id"] for i in register.store.items()[:2])
    _implemented(register, worked, "2026-07-31")
    for item in (opened, worked):
        for status in ("verified-effective", "verified-ineffective"):
            with pytest.raises(LifecycleError, match=f"becomes {status} only by verification"):
                register.update(item, "li", {"status": status})
    assert register.item(worked)["status"] == "implemented"
    closed = register.record_verification(worked, "cert", {"status": "verified-effective"}, TODAY)
    assert closed["status"] == "verified-effective"
    with pytest.raises(LifecycleError, match="to a verified status, not planned"):
        register.record_verification(opened, "cert", {"status": "planned"}, TODAY)
    register.close()


def test_a_closed_item_takes_no_more_changes(tmp_path, monthly_audits) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]["id"]
    _implemented(register, item, "2026-07-31")
    register.record_verification(item, "cert", {"status": "verified-effective"}, TODAY)
    before = (register.item(item), register.store.actions(item), register.store.history(item))
    closed = rf"{item} is closed \(verified-effective\); a closed item takes no more changes"
    with pytest.raises(LifecycleError, match=closed):
        register.update(item, "li", {"correction": "one more"})
    with pytest.raises(LifecycleError, match=closed):
        register.add_action(item, "li", "More", "ops", date(2026, 11, 1), TODAY)
    with pytest.raises(LifecycleError, match=closed):
        register.change(item, "li", {}, action=("More", "ops", date(2026, 11, 1)), today=TODAY)
    with pytest.raises(LifecycleError, match=closed):
        register.action_done(item, 1, "li", TODAY)
    assert (register.item(item), register.store.actions(item), register.store.history(item)) == (
        before
    )
    register.close()


def test_an_implementation_date_is_not_ahead_nor_before_the_actions_were_done(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]["id"]
    register.add_action(item, "li", "Fix the process", "ops", date(2026, 8, 15), date(2026, 7, 15))
    register.add_action(item, "li", "Check it", "qa", date(2026, 8, 15), date(2026, 7, 15))
    register.update(item, "li", {"root_cause": "no alarm on the queue", "status": "planned"})
    register.accept(item, "cert")
    register.action_done(item, 1, "li", date(2026, 7, 20))
    register.action_done(item, 2, "li", date(2026, 7, 31))
    day = date(2026, 8, 5)
    with pytest.raises(LifecycleError, match=rf"{item}'s implementation date 2026-08-06 is after"):
        register.update(
            item, "li", {"status": "implemented", "implemented_on": "2026-08-06"}, today=day
        )
    with pytest.raises(
        LifecycleError,
        match=rf"{item}'s implementation date 2026-07-30 is before its action 2 was done "
        r"\(2026-07-31\); an item is implemented once its actions are done: give 2026-07-31",
    ):
        register.update(
            item, "li", {"status": "implemented", "implemented_on": "2026-07-30"}, today=day
        )
    assert register.item(item)["status"] == "accepted"
    done = register.update(  # the day the last action was done
        item, "li", {"status": "implemented", "implemented_on": "2026-07-31"}, today=day
    )
    assert (done["status"], done["implemented_on"]) == ("implemented", "2026-07-31")
    register.close()


def test_action_changes_move_the_version_and_an_action_is_done_once(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]["id"]
    register.add_action(item, "li", "Fix the process", "ops", date(2026, 11, 1), TODAY, version=1)
    assert register.item(item)["version"] == 2
    with pytest.raises(Conflict, match=r"changed since you read it \(version 1 -> 2\)"):
        register.add_action(item, "bo", "Other", "ops", date(2026, 11, 1), TODAY, version=1)
    with pytest.raises(Conflict, match=r"\(version 1 -> 2\)"):  # read before the action
        register.change(item, "bo", {"correction": "extra staff"}, version=1, today=TODAY)
    register.action_done(item, 1, "li", date(2026, 10, 12), version=2)
    assert register.item(item)["version"] == 3
    rows = len(register.store.history())
    with pytest.raises(
        LifecycleError,
        match=rf"{item}'s action 1 is already done: it was marked done on 2026-10-12 by li",
    ):
        register.change(item, "bo", {}, done=1, today=TODAY)
    assert len(register.store.history()) == rows and register.item(item)["version"] == 3
    # one update, an action added and a field changed: the version moves on once
    both = register.change(
        item, "li", {"correction": "extra staff"}, 3, ("Check it", "qa", TODAY), today=TODAY
    )
    assert both["version"] == 4 and len(register.store.actions(item)) == 2
    assert [a["no"] for a in register.store.actions(item)] == [1, 2]
    register.close()


def test_an_action_is_whole_and_due_from_today_on(tmp_path, monthly_audits) -> None:
    from auditor.register.lifecycle import new_action

    with pytest.raises(LifecycleError, match="--owner describes a new action, and no --action"):
        new_action(None, "ops", None)
    with pytest.raises(LifecycleError, match="--owner and --due describe a new action"):
        new_action(None, "ops", TODAY)
    with pytest.raises(LifecycleError, match="--due describes a new action"):
        new_action(None, None, TODAY)
    with pytest.raises(LifecycleError, match="needs an owner and a due date"):
        new_action("Fix it", None, TODAY)
    assert new_action(None, None, None) is None
    assert new_action(" Fix it ", "ops", TODAY) == ("Fix it", "ops", TODAY)
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]["id"]
    with pytest.raises(
        LifecycleError, match=rf"{item}'s new action would be due 2026-10-09, before today"
    ):
        register.add_action(item, "li", "Late", "ops", date(2026, 10, 9), TODAY)
    register.add_action(item, "li", "Today", "ops", TODAY, TODAY)  # due today is taken
    assert len(register.store.actions(item)) == 1
    register.close()


def test_an_open_action_past_its_due_date_makes_its_item_overdue(tmp_path, monthly_audits) -> None:
    from auditor.register.views import as_records, list_table, select_items

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    first, second = register.store.items()[:2]
    later = date(2026, 10, 20)
    now = datetime(2026, 10, 20, 11, tzinfo=UTC)
    assert first["due"] > later.isoformat() and second["due"] > later.isoformat()
    register.add_action(first["id"], "li", "Queue alarm", "ops", date(2026, 10, 12), TODAY)
    register.add_action(first["id"], "li", "Rota", "ops", date(2026, 12, 1), TODAY)
    register.store.update_item(second["id"], {"due": "2026-10-15"}, second["version"])
    register.add_action(second["id"], "li", "Check", "qa", date(2026, 10, 14), TODAY)
    overdue = select_items(register, now, {"overdue": True})
    assert [(i["id"], i["overdue"]) for i in overdue] == [
        (first["id"], ["action 1"]),
        (second["id"], ["item", "action 1"]),
    ]
    lines = dict((line.split()[0], line) for line, _ in list_table(overdue))
    assert f"{first['due']} (action 1 overdue)" in lines[first["id"]]
    assert "2026-10-15 (overdue; action 1 overdue)" in lines[second["id"]]
    assert [r["overdue"] for r in as_records(overdue)] == ["action 1", "item, action 1"]
    everything = select_items(register, now, {})
    assert [i["id"] for i in everything[:2]] == [first["id"], second["id"]]  # overdue first
    register.action_done(first["id"], 1, "li", later)
    assert [i["id"] for i in select_items(register, now, {"overdue": True})] == [second["id"]]
    register.close()


def test_an_item_is_overdue_once_its_due_day_has_ended_in_the_pack_s_zone(
    tmp_path, monthly_audits, local_zone
) -> None:
    """Due 2026-10-14 in the pack's zone (Asia/Shanghai, +08:00), a day that ends at 16:00
    UTC: at 23:30 UTC on the 14th (07:30 on the 15th in Shanghai) the item and an action due
    that day are overdue, though a machine in UTC still has the 14th. An item an earlier
    version recorded without the pack's zone ends its due day in the machine's zone (UTC)."""
    from auditor.register.views import select_items

    local_zone("UTC")
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    shanghai, next_day, zoneless = register.store.items()[:3]
    register.store.update_item(shanghai["id"], {"due": "2026-10-14"}, shanghai["version"])
    register.store.update_item(next_day["id"], {"due": "2026-10-15"}, next_day["version"])
    register.add_action(next_day["id"], "li", "Check", "qa", date(2026, 10, 14), TODAY)
    criterion = {k: v for k, v in zoneless["criterion"].items() if k != "timezone"}
    register.store.update_item(
        zoneless["id"], {"due": "2026-10-14", "criterion": criterion}, zoneless["version"]
    )

    def overdue_at(moment: str) -> list[tuple[str, list[str]]]:
        items = select_items(register, datetime.fromisoformat(moment), {"overdue": True})
        return [(i["id"], i["overdue"]) for i in items]

    assert overdue_at("2026-10-14T15:59:59+00:00") == []  # 23:59:59 in Shanghai
    late_here = [(shanghai["id"], ["item"]), (next_day["id"], ["action 1"])]
    assert overdue_at("2026-10-14T16:00:00+00:00") == late_here
    assert overdue_at("2026-10-14T23:30:00+00:00") == late_here
    assert overdue_at("2026-10-15T00:00:00+00:00") == [*late_here, (zoneless["id"], ["item"])]
    assert overdue_at("2026-10-15T16:30:00+00:00") == [
        (shanghai["id"], ["item"]),
        (next_day["id"], ["item", "action 1"]),
        (zoneless["id"], ["item"]),
    ]
    register.close()


def test_a_correction_is_dated_from_the_earliest_period_that_found_the_nonconformity(
    tmp_path, monthly_audits
) -> None:
    """August recorded first, then July: the nonconformity both found (STANDARD-TRAINED) is
    linked to August's item, whose correction may be dated from 2026-07-01, when July's period
    began; an item only August found (RESP-PHONE-30S at site=SH), from 2026-08-01."""
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-08")
    linked = record(register, monthly_audits, "2026-07").linked
    both = linked[0]
    only_august = next(i["id"] for i in register.store.items() if i["id"] not in linked)

    def correct(item_id: str, day: str) -> None:
        register.update(item_id, "li", {"correction": "fixed", "correction_date": day}, None, TODAY)

    with pytest.raises(LifecycleError) as raised:
        correct(both, "2026-06-30")
    assert str(raised.value) == (
        f"{both}'s correction is dated 2026-06-30, before its nonconformity could be seen: the "
        "audit period 2026-07 that found it began on 2026-07-01; give the day it was made, "
        "2026-07-01 or later"
    )
    correct(both, "2026-07-01")
    with pytest.raises(LifecycleError, match="period 2026-08 that found it began on 2026-08-01"):
        correct(only_august, "2026-07-31")
    correct(only_august, "2026-08-01")
    assert [register.item(i)["correction_date"] for i in (both, only_august)] == [
        "2026-07-01",
        "2026-08-01",
    ]
    register.close()


def test_the_window_is_checked_against_the_records_of_the_rule_s_own_kind() -> None:
    """Surveys ending in September do not cover an October window, however far another
    kind's records run; a kind without times (a roster) is judged by the evidence as a whole."""
    from datetime import datetime as at
    from zoneinfo import ZoneInfo

    from auditor.evidence_span import KindCoverage
    from auditor.periods import Period
    from auditor.register.verify import _short_of

    class Pack:
        timezone = "Asia/Shanghai"

    def moment(*day: int) -> float:
        return at(*day, 12, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()

    coverage = {
        "surveys": KindCoverage("surveys", 10, 10, moment(2026, 7, 1), moment(2026, 9, 30)),
        "tickets": KindCoverage("tickets", 10, 10, moment(2026, 7, 1), moment(2026, 11, 30)),
        "agents": KindCoverage("agents", 5, None),
    }
    window = Period("2026-10-01..2026-10-30", date(2026, 10, 1), date(2026, 10, 30))
    assert _short_of(coverage, "surveys", Pack(), window) == (
        "the surveys records run from 2026-07-01 to 2026-09-30, short of the window "
        "2026-10-01..2026-10-30; give the export that covers it"
    )
    assert _short_of(coverage, "tickets", Pack(), window) is None
    assert _short_of(coverage, "agents", Pack(), window) is None  # the tickets reach November


def _two_waivers(path) -> None:
    """A register with waivers W-1 and W-2 recorded by the tool, W-2 revoked."""
    from auditor.register.waivers import Waiver

    register = Register(str(path))
    for rule, group in (("STANDARD-TRAINED", ""), ("RESP-PHONE-30S", "site=SH")):
        register.add_waiver(
            Waiver("", rule, group, "a new switch is being installed", "low", "li", "wang",
                   TODAY, TODAY + timedelta(days=90)),
            "wang", TODAY,
        )  # fmt: skip
    register.revoke_waiver("W-2", "zhao", TODAY)
    register.close()


def _check(path) -> list[str]:
    register = Register(str(path))
    try:
        return register.check()
    finally:
        register.close()


def test_waivers_recorded_by_the_tool_pass_the_check(tmp_path) -> None:
    path = tmp_path / "register.db"
    _two_waivers(path)
    assert _check(path) == []
    register = Register(str(path))
    assert register.integrity().unchecked == {}
    register.close()


def test_a_waiver_row_added_outside_the_tool_is_named(tmp_path) -> None:
    path = tmp_path / "register.db"
    _two_waivers(path)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO waivers (id, rule, group_key, reason, risk, requested_by, approved_by, "
            "valid_from, valid_until, created_on) VALUES (3, 'ROOT-CAUSE', NULL, 'forged row', "
            "'low', 'li', 'wang', '2026-01-01', '2027-01-31', '2026-01-01')"
        )
    assert _check(path) == [
        "waiver W-3 (ROOT-CAUSE all) is in the waivers table but not in the history: added "
        "outside the tool"
    ]


def test_a_waiver_field_changed_outside_the_tool_is_named_field_by_field(tmp_path) -> None:
    path = tmp_path / "register.db"
    _two_waivers(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE waivers SET reason = 'forged', valid_until = '2027-06-30' WHERE id = 1")
        db.execute("UPDATE waivers SET revoked_on = NULL, revoked_by = NULL WHERE id = 2")
    assert _check(path) == [
        "waiver W-1: reason 'forged' in the waivers table, 'a new switch is being installed' "
        "in the history",
        f"waiver W-1: valid_until '2027-06-30' in the waivers table, "
        f"'{TODAY + timedelta(days=90)}' in the history",
        f"waiver W-2: revoked_on '' in the waivers table, '{TODAY}' in the history",
        "waiver W-2: revoked_by '' in the waivers table, 'zhao' in the history",
    ]


def test_a_waiver_row_deleted_outside_the_tool_is_named(tmp_path) -> None:
    path = tmp_path / "register.db"
    _two_waivers(path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM waivers WHERE id = 2")
    assert _check(path) == [
        "waiver W-2 (RESP-PHONE-30S site=SH) is in the history but not in the waivers table: "
        "deleted outside the tool"
    ]


def test_a_waiver_recorded_in_the_older_text_is_checked_on_what_that_text_holds(
    tmp_path,
) -> None:
    """Before the history recorded a waiver's every field, its row said ``RULE GROUP until
    DAY: REASON``: those (and the day it was recorded) are compared, the rest cannot be."""
    from auditor.register.history import chained

    path = tmp_path / "register.db"
    register = Register(str(path))
    register.store.insert_waiver(
        {"rule": "RESP-PHONE-30S", "group_key": "site=SH", "reason": "switch: new", "risk": "low",
         "requested_by": "li", "approved_by": "wang", "valid_from": "2026-10-10",
         "valid_until": "2026-12-31", "created_on": "2026-10-10"}
    )  # fmt: skip
    row = {"item": "W-1", "at": "2026-10-10T09:00:00", "who": "wang", "field": "waiver",
           "old": None, "new": "RESP-PHONE-30S site=SH until 2026-12-31: switch: new"}  # fmt: skip
    entry = chained(row, "")
    register.store.append_history(entry)
    register.store.set_meta("history_head", entry["hash"])
    assert register.check() == []
    checked = register.integrity()  # what that text does not hold is named, not passed
    assert checked.unchecked == {"W-1": ("risk", "requested_by", "approved_by", "valid_from")}
    assert (checked.unchecked_line() or "").startswith(
        "not checked: the risk, requested_by, approved_by, valid_from of 1 waiver(s) (W-1): "
    )
    register.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE waivers SET risk = 'high', reason = 'switch'")
    assert _check(path) == [
        "waiver W-1: reason 'switch' in the waivers table, 'switch: new' in the history"
    ]


def _worked_item(path, monthly_audits) -> str:
    """A register with the July audit recorded and its first item planned, an action done."""
    register = Register(str(path))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]["id"]
    register.add_action(item, "li", "add the check to the checklist", "ops", TODAY, TODAY)
    register.action_done(item, 1, "li", TODAY)
    register.update(item, "li", {"root_cause": "the checklist lacks this step",
                                 "whys": ["no check", "no owner"], "status": "planned"})  # fmt: skip
    assert register.check() == []
    register.close()
    return item


def test_an_item_changed_outside_the_tool_is_named_field_by_field(tmp_path, monthly_audits) -> None:
    path = tmp_path / "register.db"
    item = _worked_item(path, monthly_audits)
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE items SET status = 'verified-effective', whys = '[\"none\"]' WHERE id = ?",
            (item,),
        )
        db.execute("UPDATE actions SET owner = 'nobody', done = NULL")
    assert _check(path) == [
        f"item {item}: status 'verified-effective' in the items table, 'planned' in the history",
        f"item {item}: whys '[\"none\"]' in the items table, \"['no check', 'no owner']\" in "
        "the history",
        f"{item} action 1: action 'add the check to the checklist (owner nobody, due {TODAY})' "
        f"in the actions table, 'add the check to the checklist (owner ops, due {TODAY})' in the "
        "history",
        f"{item} action 1: done '' in the actions table, '{TODAY}' in the history",
    ]
    # an item created open and never moved: open is what its history says
    with sqlite3.connect(path) as db:
        other = db.execute("SELECT id FROM items WHERE id != ? LIMIT 1", (item,)).fetchone()[0]
        db.execute("UPDATE items SET status = 'accepted' WHERE id = ?", (other,))
    assert f"item {other}: status 'accepted' in the items table, 'open' in the history" in (
        _check(path)
    )


def test_an_item_or_action_added_or_deleted_outside_the_tool_is_named(
    tmp_path, monthly_audits
) -> None:
    path = tmp_path / "register.db"
    item = _worked_item(path, monthly_audits)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO items (id, rule, group_key, severity, status, statement, version) "
            "VALUES ('CAPA-2026-0999', 'ROOT-CAUSE', '', 'minor', 'open', 'forged', 1)"
        )
        db.execute(
            "INSERT INTO actions (item, no, text, owner, due) VALUES (?, 2, 'forged', 'x', ?)",
            (item, TODAY.isoformat()),
        )
        last = db.execute("SELECT MAX(id) FROM items WHERE id != 'CAPA-2026-0999'").fetchone()[0]
        db.execute("DELETE FROM items WHERE id = ?", (last,))
    assert _check(path) == [
        "item CAPA-2026-0999 is in the items table but not in the history: added outside the tool",
        f"item {last} is in the history but not in the items table: deleted outside the tool",
        f"{item} action 2 is in the actions table but not in the history: added outside the tool",
    ]


def test_an_item_field_that_is_not_json_any_more_is_named_not_a_crash(
    tmp_path, monthly_audits
) -> None:
    path = tmp_path / "register.db"
    item = _worked_item(path, monthly_audits)
    for forged in (5, "not json"):
        with sqlite3.connect(path) as db:
            db.execute("UPDATE items SET whys = ? WHERE id = ?", (forged, item))
        assert _check(path) == [
            f"item {item}: whys {str(forged)!r} in the items table, \"['no check', 'no owner']\" "
            "in the history"
        ]


def test_every_field_an_item_is_created_with_is_in_its_history_and_checked(
    tmp_path, monthly_audits
) -> None:
    """An item's ``created`` row holds every field it was created with, so a severity, due
    date, rule or group (or any other field) changed with plain SQLite is named: a major
    nonconformity is not quietly made a minor one."""
    from auditor.register.views import item_text

    path = tmp_path / "register.db"
    register = Register(str(path))
    record(register, monthly_audits, "2026-07")
    items = register.store.item_rows()
    major = next(i for i in items if i["severity"] == "major")
    other = next(i for i in items if i["id"] > major["id"])
    created = register.store.history(major["id"])[0]
    assert created["field"] == "created"
    assert json.loads(created["new"]) == {
        name: json.loads(value) if name in JSON_FIELDS and value is not None else value
        for name, value in major.items()
        if name not in ("id", "version")
    }
    assert f"created: (none) -> {major['statement']}" in item_text(register, major["id"])
    assert register.integrity().unchecked == {}
    register.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE items SET severity = 'minor', due = '2099-12-31', rule = 'SCRIPTS', "
            "group_key = 'site=XX', clause = '9.9' WHERE id = ?",
            (major["id"],),
        )
        db.execute(
            "UPDATE items SET evidence = '{}', recurring = 1, root_cause = 'forged', version = 9 "
            "WHERE id = ?",
            (other["id"],),
        )
    broken = _check(path)
    assert broken[:5] == [
        f"item {major['id']}: rule 'SCRIPTS' in the items table, '{major['rule']}' in the history",
        f"item {major['id']}: clause '9.9' in the items table, '{major['clause']}' in the history",
        f"item {major['id']}: group_key 'site=XX' in the items table, '{major['group_key']}' in "
        "the history",
        f"item {major['id']}: severity 'minor' in the items table, 'major' in the history",
        f"item {major['id']}: due '2099-12-31' in the items table, '{major['due']}' in the history",
    ]
    assert broken[5].startswith(f"item {other['id']}: evidence '{{}}' in the items table, \"{{")
    assert broken[6:] == [
        f"item {other['id']}: recurring '1' in the items table, '0' in the history",
        f"item {other['id']}: root_cause 'forged' in the items table, '' in the history",
    ]  # its version (a count of changes, in no history row) is not compared


def test_an_action_s_history_text_is_made_once_and_each_of_its_fields_checked(
    tmp_path, monthly_audits
) -> None:
    from auditor.register.replay import action_event

    path = tmp_path / "register.db"
    item = _worked_item(path, monthly_audits)
    register = Register(str(path))
    (row,) = [r for r in register.store.history(item) if r["field"] == "action 1"]
    assert row["new"] == action_event("add the check to the checklist", "ops", TODAY)
    assert row["new"] == f"add the check to the checklist (owner ops, due {TODAY})"
    register.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE actions SET due = '2099-12-31', evidence = 'photo.jpg'")
    assert _check(path) == [
        f"{item} action 1: action 'add the check to the checklist (owner ops, due 2099-12-31)' "
        f"in the actions table, 'add the check to the checklist (owner ops, due {TODAY})' in the "
        "history",
        f"{item} action 1: evidence 'photo.jpg' in the actions table, '' in the history",
    ]


def _july_recorded_by_an_earlier_version(path, monthly_audits, made_earlier) -> Register:
    """A register with July's audit recorded, then rewritten by ``made_earlier`` as an earlier
    version of the tool would have left it, and opened again."""
    register = Register(str(path))
    record(register, monthly_audits, "2026-07")
    register.close()
    made_earlier(path)
    return Register(str(path))


def _as_an_earlier_version_made_it(path) -> None:
    """The register as the version before ``created`` rows held every field wrote it: an
    item's ``created`` row holds its statement alone (the chain made again over the rows),
    and items have no ``closed_before`` (a later version added it)."""

    def statement_alone(row: dict) -> str | None:
        return json.loads(row["new"])["statement"] if row["field"] == "created" else None

    _without_closed_before(path, statement_alone)


def _without_closed_before(path, rewrite) -> None:
    """Drop the items' ``closed_before`` column, give each history row the ``new`` text
    ``rewrite(row)`` returns (None: as it is), and make the hash chain again over the rows."""
    from auditor.register.history import chained

    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        db.execute("ALTER TABLE items DROP COLUMN closed_before")
        previous = ""
        for row in [dict(r) for r in db.execute("SELECT * FROM history ORDER BY seq")]:
            new = rewrite(row)
            row["new"] = row["new"] if new is None else new
            entry = chained(row, previous)
            db.execute(
                "UPDATE history SET new = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (entry["new"], entry["prev_hash"], entry["hash"], row["seq"]),
            )
            previous = entry["hash"]
        db.execute("UPDATE meta SET value = ? WHERE key = 'history_head'", (previous,))


def test_a_register_an_earlier_version_made_opens_and_says_what_cannot_be_checked(
    tmp_path, monthly_audits
) -> None:
    """Its ``created`` rows hold the statement alone: the values the tool created an item with
    and no change set since cannot be checked, and one line says which, rather than
    passing them as intact; all the rest is checked as before."""
    from click.testing import CliRunner

    from auditor.cli import main
    from auditor.register.replay import SET_AT_CREATION

    path = tmp_path / "register.db"
    register = _july_recorded_by_an_earlier_version(
        path, monthly_audits, _as_an_earlier_version_made_it
    )
    july = register.store.item_ids()
    august = record(register, monthly_audits, "2026-08")  # links one July item, opens one
    (linked,) = august.linked
    (opened,) = august.created
    checked = register.integrity()
    assert checked.problems == []
    changed_since = ("severity", "due", "recurring", "escalation", "last_audit")
    assert checked.unchecked == {
        item: tuple(n for n in SET_AT_CREATION if item != linked or n not in changed_since)
        for item in july
    }
    assert checked.unchecked_line() == (
        f"not checked: the {', '.join(SET_AT_CREATION)} of 3 item(s) ({', '.join(july)}): the "
        "values they were created with, which a register made by an earlier version does not "
        "record (a value changed since is checked)"
    )
    register.close()
    shown = CliRunner().invoke(main, ["capa", "check", "--register", str(path)])
    assert shown.exit_code == 0
    assert shown.output.splitlines() == [
        checked.unchecked_line(),
        "no problem found in what the history records; the values above are not checked",
    ]
    unlinked = next(item for item in july if item != linked)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE items SET severity = 'minor'")  # checked where a row holds it
        db.execute("UPDATE items SET status = 'accepted', root_cause = 'x' WHERE id = ?",
                   (unlinked,))  # fmt: skip
    assert _check(path) == [
        f"item {unlinked}: status 'accepted' in the items table, 'open' in the history",
        f"item {unlinked}: root_cause 'x' in the items table, '' in the history",
        f"item {linked}: severity 'minor' in the items table, 'major' in the history",
        f"item {opened}: severity 'minor' in the items table, 'major' in the history",
    ]


def test_verify_checks_a_register_an_earlier_version_made_as_capa_check_does(
    tmp_path, monthly_audits
) -> None:
    """verify's check of the register it is given: no difference, and the line capa check
    prints for the values the register cannot tell, as a note naming the register."""
    from auditor.certify.waivers_applied import register_checked

    path = tmp_path / "register.db"
    register = Register(str(path))
    record(register, monthly_audits, "2026-07")
    register.close()
    assert register_checked(path) == ([], [])
    _as_an_earlier_version_made_it(path)
    register = Register(str(path))
    line = register.integrity().unchecked_line()
    register.close()
    assert line is not None and line.startswith("not checked: the rule, clause, ")
    assert register_checked(path) == ([], [f"register register.db: {line}"])
    assert register_checked(None) == ([], [])


def _implemented_on(register: Register, item_id: str, on: date) -> None:
    """The item worked off with its one action done on ``on``, implemented that day."""
    register.add_action(item_id, "li", "Add cover at peak", "ops", on, on)
    register.update(item_id, "li", {"root_cause": "no cover at the peak", "status": "planned"})
    register.accept(item_id, "cert")
    register.action_done(item_id, 1, "li", on)
    register.update(
        item_id, "li", {"status": "implemented", "implemented_on": on.isoformat()}, today=on
    )


def _window_cells(tmp_path, window: str, rule: str, group: dict[str, str]):
    """The group's cells as an audit of the window reports them (the reference)."""
    from auditor.audit import run_audit

    out = tmp_path / f"audit-{window.replace('.', '_')}"
    run_audit(RULES / "service-quality.yaml", DEMO, out, window)
    document = FindingsDocument.load(out / "findings.json")
    entry = next(r for r in document.rules if r.rule == rule)
    return [f for f in entry.findings if f.group == group]


@pytest.mark.parametrize(
    ("implemented", "window"),
    [
        # July's cell (11 days) conforms, August's fails: the window's first month is not all
        (date(2026, 7, 20), "2026-07-21..2026-08-19"),
        # August's cell is one day with too few calls; September's 29 days decide
        (date(2026, 8, 30), "2026-08-31..2026-09-29"),
    ],
)
def test_verify_judges_every_month_of_the_window_for_the_item_s_group(
    tmp_path, monthly_audits, implemented: date, window: str
) -> None:
    """RESP-PHONE-30S is judged per site per month: the verification of a window across two
    months judges the group's cells in both and the group over the whole window, as an
    audit of the window would, not only the first month's cell."""
    from auditor.register.verify import verify_item

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-08")
    item = next(
        i for i in register.store.items()
        if (i["rule"], i["group_key"]) == ("RESP-PHONE-30S", "site=SH")
    )  # fmt: skip
    _implemented_on(register, item["id"], implemented)
    cells = _window_cells(tmp_path, window, "RESP-PHONE-30S", {"site": "SH"})
    assert len(cells) == 2, "the window holds two months of SH calls"
    judged = [c for c in cells if c.verdict in ("conform", "observation", "nonconform")]
    n = sum(c.counts.n for c in cells)
    conforming = sum(c.counts.conforming for c in cells)
    whole_conforms = n >= 30 and conforming / n >= 0.90  # the pack's target and minimum
    effective = whole_conforms and all(c.verdict != "nonconform" for c in judged)
    result = verify_item(
        register, item["id"], RULES / "service-quality.yaml", DEMO, "cert", date(2026, 11, 1)
    )
    assert result.period == window
    assert result.outcome == ("effective" if effective else "ineffective")
    figures = register.item(item["id"])["verification"]
    assert [c["finding"] for c in figures["cells"]] == [c.id for c in cells]
    window_figures = figures["window"]
    assert (window_figures["n"], window_figures["conforming"]) == (n, conforming)
    if effective:  # the group over the whole window: every SH call of it counted
        assert (figures["n"], figures["conforming"]) == (n, conforming)
        assert result.finding.id == "RESP-PHONE-30S@site=SH"
    else:  # named by the month that failed, as the audit names it
        failing = [c.id for c in cells if c.verdict == "nonconform"]
        assert result.finding.id in failing
    register.close()


def test_every_change_of_a_plan_is_checked_and_an_accepted_plan_changed_is_planned_again(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]["id"]
    register.add_action(item, "li", "Queue alarm", "ops", date(2026, 11, 1), TODAY)
    register.update(item, "li", {"root_cause": "no alarm on the queue", "status": "planned"})
    blame = "names who erred, not why the process let it happen"
    for status in ("planned", "accepted"):
        for text in ("human error", "人为失误"):  # the blame check, without a status move
            with pytest.raises(LifecycleError, match=blame):
                register.update(item, "li", {"root_cause": text})
        with pytest.raises(LifecycleError, match=rf"{item}'s root cause needs a text, not a blank"):
            register.update(item, "li", {"root_cause": ""})
        assert register.item(item)["root_cause"] == "no alarm on the queue"
        assert register.item(item)["status"] == status
        if status == "planned":
            register.accept(item, "cert", today=TODAY)
    # an accepted plan changed: a new action, or a new root cause, or new whys
    rows = len(register.store.history(item))
    register.add_action(item, "li", "Second alarm", "ops", date(2026, 11, 1), TODAY)
    after = register.item(item)
    assert (after["status"], after["acceptance"]) == ("planned", None)
    changed = [r["field"] for r in register.store.history(item)[rows:]]
    assert changed == ["action 2", "status", "acceptance"]
    with pytest.raises(LifecycleError, match="plan was made by li"):  # who changed it planned it
        register.accept(item, "li")
    for change in ({"root_cause": "no alarm on the queue at night"}, {"whys": ["no alarm"]}):
        register.accept(item, "cert", today=TODAY)
        updated = register.update(item, "li", change)
        assert updated["status"] == "planned"
        assert f"its acceptance by cert on {TODAY} is void" in updated["note"]
    register.accept(item, "cert")
    unchanged = register.update(item, "li", {"correction": "extra staff"})  # not the plan
    assert unchanged["status"] == "accepted" and "note" not in unchanged
    with pytest.raises(LifecycleError, match="sends it back from accepted to planned"):
        register.update(item, "li", {"root_cause": "a third cause", "status": "implemented"})
    register.action_done(item, 1, "li", TODAY)
    register.action_done(item, 2, "li", TODAY)
    register.update(item, "li", {"status": "implemented"}, today=TODAY)
    with pytest.raises(LifecycleError, match=f"{item} is implemented; its plan"):
        register.update(item, "li", {"root_cause": "a fourth cause"})
    with pytest.raises(LifecycleError, match=f"{item} is implemented; its plan"):
        register.add_action(item, "li", "Late idea", "ops", date(2026, 11, 1), TODAY)
    assert register.item(item)["status"] == "implemented"
    register.close()


def test_a_rule_id_two_packs_share_keeps_an_item_per_pack(tmp_path) -> None:
    """RESP-PHONE-30S is a rule of two standards' packs: an audit of the second does not
    link its finding to the first pack's item (another requirement), it opens its own."""
    from auditor.audit import run_audit

    register = Register(str(tmp_path / "r.db"))
    opened: dict[str, list[str]] = {}
    for pack in ("service-quality", "customer-service-evaluation"):
        result = run_audit(
            RULES / f"{pack}.yaml", ROOT / "evidence" / "demo" / pack, tmp_path / pack, "2026-Q3"
        )
        document = result.findings
        recorded = register.record_audit(document, document.fingerprint(), pack, date(2026, 10, 8))
        assert recorded.linked == [], pack
        opened[pack] = [i for i in recorded.created if register.item(i)["rule"] == "RESP-PHONE-30S"]
    assert opened["service-quality"] and opened["customer-service-evaluation"]
    assert not set(opened["service-quality"]) & set(opened["customer-service-evaluation"])


def _planned(register: Register, monthly_audits, by: str = "li") -> str:
    """July recorded and its first item planned by ``by`` (a root cause and one action)."""
    record(register, monthly_audits, "2026-07")
    item = register.store.items()[0]["id"]
    register.add_action(item, by, "Queue alarm", "ops", date(2026, 11, 1), TODAY)
    register.update(item, by, {"root_cause": "no alarm on the queue", "status": "planned"})
    return item


def test_an_update_does_not_accept_a_plan_an_acceptance_does_and_is_recorded(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    item = _planned(register, monthly_audits)
    with pytest.raises(LifecycleError, match=f"run capa accept {item} --by NAME"):
        register.update(item, "other", {"status": "accepted"})
    assert register.item(item)["status"] == "planned"
    accepted = register.accept(item, "cert", today=TODAY, comment="adequate")
    assert (accepted["status"], accepted["acceptance"]) == (
        "accepted",
        {"by": "cert", "on": TODAY.isoformat(), "comment": "adequate"},
    )
    assert register.check() == []
    register.close()


def test_whoever_wrote_a_part_of_the_current_plan_does_not_accept_it(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    item = _planned(register, monthly_audits, by="wang")  # the root cause and the action
    register.update(item, "chen", {"whys": ["no HR feed"]})
    register.add_action(item, "zhao", "HR feed to the LMS", "IT ops", date(2026, 11, 1), TODAY)
    for name in (" WANG ", "chen", "Zhao"):
        with pytest.raises(
            LifecycleError, match=f"{item}'s plan was made by {name.strip().lower()}"
        ):
            register.accept(item, name, today=TODAY)
    register.accept(item, "cert", today=TODAY)
    register.update(item, "li", {"root_cause": "the LMS has no roster feed"})  # void
    for name in ("li", "wang"):  # the new root cause; the action, still in the plan
        with pytest.raises(LifecycleError, match=f"plan was made by {name}"):
            register.accept(item, name, today=TODAY)
    assert register.accept(item, "cert", today=TODAY)["status"] == "accepted"
    assert register.check() == []
    register.close()


def _two_verified_ineffective(register: Register, monthly_audits) -> tuple[str, str]:
    """The first two items of July's audit, each implemented and verified ineffective."""
    record(register, monthly_audits, "2026-07")
    first, second = (i["id"] for i in register.store.items()[:2])
    for item in (first, second):
        _implemented(register, item, "2026-07-31")
        register.record_verification(item, "cert", {"status": "verified-ineffective"}, TODAY)
    return first, second


def test_an_ineffective_fix_is_planned_again_only_with_a_changed_plan(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    first, second = _two_verified_ineffective(register, monthly_audits)
    same = {"root_cause": "no alarm on the queue", "status": "planned"}
    for changes in ({"status": "planned"}, same):
        with pytest.raises(
            LifecycleError,
            match=f"{first}'s fix was verified ineffective and the plan given is the one that "
            r"did not work \(its root cause and actions\); it is planned again with a changed "
            "plan: a new root cause or a new action",
        ):
            register.update(first, "li", changes, today=TODAY)
    assert register.item(first)["status"] == "verified-ineffective"
    new_cause = {"root_cause": "the alarm goes to an unwatched screen", "status": "planned"}
    assert register.update(first, "li", new_cause, today=TODAY)["status"] == "planned"
    register.add_action(second, "li", "Alarm on the wallboard", "ops", TODAY, TODAY)  # earlier
    assert register.update(second, "li", {"status": "planned"}, today=TODAY)["status"] == "planned"
    assert register.check() == []
    register.close()


def test_an_update_repeating_the_status_applies_the_rest_and_one_changing_nothing_says_so(
    tmp_path, monthly_audits
) -> None:
    register = Register(str(tmp_path / "register.db"))
    item = _planned(register, monthly_audits)
    version = register.item(item)["version"]
    acknowledged = {"by": "zhao", "on": TODAY.isoformat()}
    updated = register.change(
        item, "zhao", {"status": "planned", "acknowledged": acknowledged}, today=TODAY
    )
    assert (updated["status"], updated["acknowledged"], updated["changed"]) == (
        "planned",
        acknowledged,
        True,
    )
    assert updated["version"] == version + 1
    rows = len(register.store.history())
    for changes in ({}, {"status": "planned"}, {"acknowledged": acknowledged}):
        same = register.change(item, "zhao", changes, today=TODAY)
        assert (same["changed"], same["version"]) == (False, version + 1)
    assert len(register.store.history()) == rows
    register.close()


def test_a_version_the_item_never_had_is_refused_as_such_not_as_a_conflict(
    tmp_path, monthly_audits
) -> None:
    from auditor.errors import AuditorError

    register = Register(str(tmp_path / "register.db"))
    item = _planned(register, monthly_audits)  # version 3
    for version in (99, 4, 0):
        with pytest.raises(AuditorError) as raised:
            register.change(item, "z", {}, version=version, whys=["ok"], today=TODAY)
        assert not isinstance(raised.value, Conflict)
        assert raised.value.message == f"there is no version {version} of {item} (current: 3)"
    with pytest.raises(Conflict, match=r"changed since you read it \(version 2 -> 3\)"):
        register.change(item, "z", {}, version=2, whys=["ok"], today=TODAY)
    register.close()


def test_an_owner_no_action_has_is_matched_case_aside_and_owners_named_once(
    tmp_path, monthly_audits
) -> None:
    from auditor.errors import AuditorError
    from auditor.register.views import select_items

    register = Register(str(tmp_path / "register.db"))
    item = _planned(register, monthly_audits)  # its action owned by ops
    for owner in ("IT ops", "trainer", "Trainer"):
        register.add_action(item, "li", "more", owner, date(2026, 11, 1), TODAY)
    with pytest.raises(AuditorError) as raised:
        select_items(register, NOW, {"owner": "it op"})
    assert raised.value.suggestion == "IT ops"
    with pytest.raises(AuditorError) as raised:
        select_items(register, NOW, {"owner": "zzz"})
    assert raised.value.hint == (
        "the register's owners: IT ops, ops, trainer; the register holds only the actions "
        "recorded with capa update ITEM --action TEXT --owner 'zzz' --due YYYY-MM-DD --by NAME "
        "(an audit's CAPA plan only suggests an owner)"
    )
    register.close()


def test_an_owner_asked_for_before_any_action_is_recorded_is_told_where_actions_come_from(
    tmp_path, monthly_audits
) -> None:
    """Right after an audit the items have no action: the owner the audit's plan suggests is
    not one of the register's, and the refusal says which command records an action."""
    from auditor.register.views import select_items

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    with pytest.raises(AuditorError) as raised:
        select_items(register, NOW, {"owner": "service desk lead"})
    assert str(raised.value) == (
        "no action of the register is owned by 'service desk lead'; no item has an action "
        "yet; the register holds only the actions recorded with capa update ITEM --action "
        "TEXT --owner 'service desk lead' --due YYYY-MM-DD --by NAME (an audit's CAPA plan "
        "only suggests an owner)"
    )
    register.close()


def test_an_acceptance_is_void_once_the_item_is_planned_again(tmp_path, monthly_audits) -> None:
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    ineffective, accepted = (i["id"] for i in register.store.items()[:2])
    _implemented(register, ineffective, "2026-07-31")
    register.record_verification(ineffective, "cert", {"status": "verified-ineffective"}, TODAY)
    assert register.item(ineffective)["acceptance"]["by"] == "cert"
    new_cause = {"root_cause": "the alarm goes to an unwatched screen", "status": "planned"}
    assert register.update(ineffective, "li", new_cause, today=TODAY)["acceptance"] is None
    register.add_action(accepted, "li", "Queue alarm", "ops", date(2026, 11, 1), TODAY)
    register.update(accepted, "li", {"root_cause": "no alarm on the queue", "status": "planned"})
    register.accept(accepted, "cert", today=TODAY)
    assert register.update(accepted, "cert", {"status": "planned"})["acceptance"] is None
    assert register.check() == []
    register.close()


def test_an_item_opened_after_a_closed_one_names_it_and_a_linked_one_its_other_period(
    tmp_path, monthly_audits
) -> None:
    """A rule and group failing in July and August: with July's item closed before August
    is recorded, August opens a new item that names it; left open, July's is linked."""
    from auditor.register.views import item_text

    for closing in (True, False):
        register = Register(str(tmp_path / f"register-{closing}.db"))
        record(register, monthly_audits, "2026-07")
        july = {(i["rule"], i["group_key"]): i["id"] for i in register.store.items()}
        key = sorted(set(july) & expected_keys(monthly_audits["2026-08"][0]))[0]
        if closing:
            _implemented(register, july[key], "2026-07-31")
            register.record_verification(july[key], "cert", {"status": "verified-effective"}, TODAY)
        record(register, monthly_audits, "2026-08")
        latest = register.store.latest_item(*key, register.store.audits()[0]["pack_id"])
        assert latest is not None and latest["recurring"] == 1
        assert (latest["id"] != july[key]) == closing
        repeats = register.repeats(latest)
        recurring = f"after {july[key]} was closed" if closing else "in another audit period"
        assert repeats == (july[key] if closing else None)
        assert f"  recurring: yes ({recurring})\n" in item_text(register, latest["id"])
        register.close()


@pytest.mark.parametrize(
    ("found", "then", "why"),
    [
        ("2026-08", "2026-07", "2026-07 is an earlier period than {closed} found (2026-08)"),
        (
            "2026-07",
            "2026-08",
            "2026-08 starts before {closed}'s fix was in place (implemented 2026-09-01)",
        ),
    ],
)
def test_a_closed_item_s_rule_failing_before_its_fix_opens_an_item_not_raised(
    tmp_path, monthly_audits, found, then, why
) -> None:
    """STANDARD-TRAINED is a minor nonconformity in July and in August. Its item, closed
    with the fix implemented on 2026-09-01, is not shown to fail again by an audit of a
    period that starts before that day: July, earlier than the item's own August, or
    August, before the fix. The new item keeps the audit's minor, its minor due date and
    its statement, and says why it is not a recurrence."""
    from auditor.register.views import item_text

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, found)
    closed = next(i for i in register.store.items() if i["rule"] == "STANDARD-TRAINED")
    assert closed["severity"] == "minor"
    _implemented(register, closed["id"], "2026-09-01")
    register.record_verification(closed["id"], "cert", {"status": "verified-effective"}, TODAY)
    done = record(register, monthly_audits, then)
    new = next(
        i
        for i in register.store.items()
        if i["rule"] == "STANDARD-TRAINED" and i["id"] != closed["id"]
    )
    assert new["id"] in done.created and done.recurring == []
    assert (new["severity"], new["recurring"], new["escalation"]) == ("minor", 0, None)
    assert new["due"] == closed["due"]  # minor, recorded the same day: due the same day
    assert "raised to major" not in new["statement"]
    assert f"  recurring: no ({why.format(closed=closed['id'])})\n" in item_text(
        register, new["id"]
    )
    assert register.check() == []
    register.close()


def _as_period(month: tuple, label: str, first_day: str, last_day: str) -> tuple:
    """An audit's findings as another period's (its label and days), under another fingerprint."""
    document, sha, path = month
    parameters = document.manifest.parameters
    period = parameters.period.model_copy(
        update={"label": label, "first_day": first_day, "last_day": last_day}
    )
    manifest = document.manifest.model_copy(
        update={"parameters": parameters.model_copy(update={"period": period})}
    )
    return document.model_copy(update={"manifest": manifest}), f"{sha}-{label}", path


def _closed_in_august_then_july_and_june(register: Register, monthly_audits) -> tuple[str, str]:
    """STANDARD-TRAINED found in August, its item A closed with the fix implemented on
    2026-09-01; then July audited (before A's fix: item B opens, not a recurrence), then June
    (B fails in another period: linked, recurring). A's id and B's."""
    record(register, monthly_audits, "2026-08")
    closed = next(i["id"] for i in register.store.items() if i["rule"] == "STANDARD-TRAINED")
    _implemented(register, closed, "2026-09-01")
    register.record_verification(closed, "cert", {"status": "verified-effective"}, TODAY)
    record(register, monthly_audits, "2026-07")
    opened = next(
        i["id"]
        for i in register.store.items()
        if i["rule"] == "STANDARD-TRAINED" and i["id"] != closed
    )
    june = _as_period(monthly_audits["2026-07"], "2026-06", "2026-06-01", "2026-06-30")
    done = register.record_audit(*june[:2], str(june[2]), TODAY)
    assert opened in done.linked and opened in done.recurring
    return closed, opened


def test_an_item_opened_before_a_closed_one_s_fix_recurs_in_another_period_not_after_it(
    tmp_path, monthly_audits
) -> None:
    """Item B, opened by July beside A (found in August, closed, fixed on 2026-09-01), is no
    recurrence after A's closing; June failing too makes B recur in another period, which is
    what capa show says, not that B came back after A was closed."""
    from auditor.register.views import item_text

    register = Register(str(tmp_path / "register.db"))
    closed, opened = _closed_in_august_then_july_and_june(register, monthly_audits)
    item = register.item(opened)
    assert (item["recurring"], item["escalation"]) == (1, "recurring in another period")
    assert "  recurring: yes (in another audit period)\n" in item_text(register, opened)
    assert item["closed_before"] == {
        "item": closed,
        "recurs": False,
        "why": f"2026-07 is an earlier period than {closed} found (2026-08)",
    }
    assert register.repeats(item) is None
    assert register.integrity() == Replayed([], {})
    register.close()


def _as_before_closed_before_was_recorded(path) -> None:
    """The register as the version before items recorded the closed item they were opened
    beside wrote it: no such column, and no such field in the ``created`` rows (the chain
    made again over the rows)."""

    def without_the_field(row: dict) -> str | None:
        if row["field"] != "created" or str(row["item"]).startswith("W-"):
            return None
        fields = json.loads(row["new"])
        del fields["closed_before"]
        return json.dumps(fields, ensure_ascii=False, sort_keys=True)

    _without_closed_before(path, without_the_field)


def test_a_register_made_before_items_recorded_the_closed_item_they_follow_reads_the_same(
    tmp_path, monthly_audits
) -> None:
    """Its items say the same (worked out from the periods, by the rule an audit applies), its
    history is intact with nothing left unchecked, and an audit recorded in it adds the field."""
    from auditor.register.views import item_text

    path = tmp_path / "register.db"
    register = Register(str(path))
    closed, opened = _closed_in_august_then_july_and_june(register, monthly_audits)
    register.close()
    _as_before_closed_before_was_recorded(path)
    register = Register(str(path))
    assert "closed_before" not in register.item(opened)
    assert register.closed_before(register.item(opened)) == {
        "item": closed,
        "recurs": False,
        "why": f"2026-07 is an earlier period than {closed} found (2026-08)",
    }
    assert "  recurring: yes (in another audit period)\n" in item_text(register, opened)
    assert register.integrity() == Replayed([], {})
    register.close()

    register = _july_recorded_by_an_earlier_version(
        tmp_path / "july-first.db", monthly_audits, _as_before_closed_before_was_recorded
    )
    (new,) = record(register, monthly_audits, "2026-08").created
    assert register.item(new)["closed_before"] == {"item": None}
    assert register.integrity() == Replayed([], {})
    register.close()


def test_a_re_audit_of_a_period_recorded_already_opens_no_item_and_links_its_findings(
    tmp_path, monthly_audits
) -> None:
    """July audited again after a waiver (another findings.json, the same period): its
    nonconformities are those July's items dealt with, closed or not; none recurs, and
    each is linked to its item, so the re-audit's report names the items."""
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    july = [i["id"] for i in register.store.items()]
    _implemented(register, july[0], "2026-07-31")
    register.record_verification(july[0], "cert", {"status": "verified-effective"}, TODAY)
    document, _, path = monthly_audits["2026-07"]
    again = register.record_audit(document, "another-findings-sha256", str(path), TODAY)
    assert (again.already, again.created, again.recurring) == (False, [], [])
    assert sorted(again.linked) == sorted(july)
    assert [i["id"] for i in register.store.items()] == july
    assert all(
        [link["audit"] for link in register.store.links(item_id)] == [1, 2] for item_id in july
    )
    assert sorted(register.store.findings_in_audit(2).values()) == sorted(july)
    assert register.store.findings_in_audit(2) == register.store.findings_in_audit(1)
    assert register.item(july[0])["status"] == "verified-effective"
    assert register.item(july[0])["last_audit"] == 1
    assert register.check() == []
    register.close()


def test_an_ineffective_fix_planned_again_with_the_action_that_did_not_work_is_refused(
    tmp_path, monthly_audits
) -> None:
    """The done action that failed, given again (case and spacing aside), is not a new plan;
    another owner for it, or another text, is."""
    register = Register(str(tmp_path / "register.db"))
    first, second = _two_verified_ineffective(register, monthly_audits)
    due = TODAY + timedelta(days=5)
    same = ("fix the  process", "OPS", due)
    with pytest.raises(LifecycleError, match="the plan given is the one that did not work"):
        register.change(first, "li", {"status": "planned"}, action=same, today=TODAY)
    assert register.item(first)["status"] == "verified-ineffective"
    assert len(register.store.actions(first)) == 1
    other_owner = ("Fix the process", "service desk lead", due)
    moved = register.change(second, "li", {"status": "planned"}, action=other_owner, today=TODAY)
    assert moved["status"] == "planned"
    assert register.check() == []
    register.close()


def test_a_group_typed_as_the_start_of_one_is_suggested_before_a_closer_spelled_one(
    tmp_path, monthly_audits
) -> None:
    from auditor.errors import AuditorError, closest_group
    from auditor.register.views import select_items

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    ids = [i["id"] for i in register.store.items()[:3]]
    groups = ("priority=1 - Critical", "priority=3 - Moderate", "priority=4 - Low")
    named = zip(ids, groups, strict=True)
    for item_id, group in named:  # the groups of a helpdesk's register, set in place
        register.store.db.execute("UPDATE items SET group_key = ? WHERE id = ?", [group, item_id])
    with pytest.raises(AuditorError) as raised:
        select_items(register, NOW, {"group": "priority=1"})
    assert raised.value.suggestion == "priority=1 - Critical"
    register.close()

    groups = {"priority=1 - Critical", "priority=3 - Moderate", "priority=4 - Low"}
    assert closest_group("priority=1", groups) == "priority=1 - Critical"
    assert closest_group("PRIORITY=3", groups) == "priority=3 - Moderate"
    assert closest_group("priority=5", groups) == "priority=4 - Low"  # none starts so
    assert closest_group("SH", {"site=SH", "site=BJ"}) == "site=SH"


@pytest.mark.parametrize(
    "cause",
    [
        "human error by night shift",
        "employee negligence",
        "Carelessness.",
        "the agent forgot",
        "staff did not follow the procedure",
        "the operator didn't follow the checklist",
        "值班员工疏忽",
    ],
)
def test_a_root_cause_that_only_names_someone_s_error_is_refused(cause: str) -> None:
    from auditor.register.lifecycle import check_root_cause

    with pytest.raises(LifecycleError, match="names who erred, not why the process let it"):
        check_root_cause(cause, "CAPA-2026-0001")


@pytest.mark.parametrize(
    "cause",
    [
        "staff did not follow the procedure because the procedure was not in the ticket tool",
        "agents forgot the callback since the queue view has no reminder",
        "P1 incidents are not routed to the on-call group",
        "a config error in the routing rule",
        "the agent forgot the callback and the ticket tool has no reminder for callbacks due",
    ],
)
def test_a_root_cause_naming_staff_with_a_reason_in_the_process_is_accepted(cause: str) -> None:
    from auditor.register.lifecycle import check_root_cause

    check_root_cause(cause, "CAPA-2026-0001")


def test_an_item_id_is_matched_case_and_spaces_aside(tmp_path, monthly_audits) -> None:
    from auditor.errors import AuditorError
    from auditor.register.views import item_text

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    assert register.item(" capa-2026-0001 ")["id"] == "CAPA-2026-0001"
    assert item_text(register, "capa-2026-0001").startswith("CAPA-2026-0001  open")
    changes = {"root_cause": "no alarm on the queue", "status": "planned"}
    due = TODAY + timedelta(days=5)
    action = ("Alarm on the wallboard", "ops", due)
    planned = register.change("capa-2026-0001", "li", changes, action=action, today=TODAY)
    assert (planned["id"], planned["status"]) == ("CAPA-2026-0001", "planned")
    assert register.accept("Capa-2026-0001", "cert", TODAY)["status"] == "accepted"
    assert len(register.store.actions("CAPA-2026-0001")) == 1
    assert {row["item"] for row in register.store.history() if row["item"].startswith("C")} == {
        f"CAPA-2026-{n:04d}" for n in range(1, len(register.store.items()) + 1)
    }
    with pytest.raises(AuditorError, match="no CAPA item 'capa-2026-0999'") as raised:
        register.item("capa-2026-0999")
    assert raised.value.suggestion is not None
    assert register.check() == []
    register.close()


def test_a_register_made_for_work_that_fails_is_removed_and_an_earlier_one_kept(
    tmp_path, monthly_audits
) -> None:
    """A mistyped --register whose command is refused leaves no empty register behind (later
    commands would read it as a real one); a register that was there, or that holds what
    the failed work did not write, stays."""
    from auditor.register.register import record_audit_file

    made = tmp_path / "typo.db"
    with pytest.raises(AuditorError, match=r"no-findings\.json: file not found"):
        record_audit_file(str(made), str(tmp_path / "no-findings.json"), TODAY)
    assert list(tmp_path.iterdir()) == []
    from auditor.register.register import opened_or_made

    with pytest.raises(KeyError), opened_or_made(str(made)):
        raise KeyError("refused")
    assert list(tmp_path.iterdir()) == []
    _, _, findings = monthly_audits["2026-07"]
    assert record_audit_file(str(made), str(findings), TODAY).created
    with pytest.raises(KeyError), opened_or_made(str(made)):
        raise KeyError("refused")
    kept = Register(str(made))
    assert len(kept.store.audits()) == 1 and kept.check() == []
    kept.close()


def _waived_audit(tmp_path, month: str, waivers: list) -> tuple[FindingsDocument, str, str]:
    """The demo audited for ``month`` on TODAY with ``waivers`` applied, as its findings.json."""
    import hashlib

    from auditor.audit import run_audit

    out = tmp_path / f"waived-{month}-{len(list(tmp_path.iterdir()))}"
    run_audit(RULES / "service-quality.yaml", DEMO, out, month, waivers=waivers, today=TODAY)
    path = out / "findings.json"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return FindingsDocument.load(path), sha, str(path)


def _waiver(rule: str, group: str = "", until: date = TODAY + timedelta(days=100)):
    from auditor.register.waivers import Waiver

    return Waiver("W-?", rule, group, "new switch", "medium", "ops", "director", TODAY, until)


def test_a_waived_nonconformity_is_linked_to_its_open_item_naming_the_waiver(tmp_path) -> None:
    """2026-Q3 audited, then again under W-1 (RESP-PHONE-30S, site=SH): the item of that rule
    and group is linked to the re-audit's finding as waived under W-1 until its last day, and
    is otherwise left as it was; the history stays intact."""
    register = Register(str(tmp_path / "register.db"))
    first = register.record_audit(*_waived_audit(tmp_path, "2026-Q3", []), TODAY)
    items = {(i["rule"], i["group_key"]): i for i in register.store.items()}
    phone = items[("RESP-PHONE-30S", "site=SH")]
    assert register.add_waiver(_waiver("RESP-PHONE-30S", "site=SH"), "quality", TODAY) == "W-1"
    again = register.record_audit(*_waived_audit(tmp_path, "2026-Q3", register.waivers()), TODAY)
    assert (again.created, again.recurring) == ([], [])
    assert sorted(again.linked) == sorted(set(first.created) - {phone["id"]})
    assert again.waived == [(phone["id"], "W-1")]
    waived = [link for link in register.store.links(phone["id"]) if link["audit"] == again.audit]
    assert [(w["finding"], w["verdict"], w["waiver"], w["waived_until"]) for w in waived] == [
        ("RESP-PHONE-30S@site=SH@2026-08", "waived", "W-1", "2027-01-18")  # TODAY + 100 days
    ]
    assert register.item(phone["id"]) == phone  # status, due, severity, version as they were
    assert register.check() == []
    from auditor.register.oscal import poam

    (finding,) = [
        f for f in poam(register)["plan-of-action-and-milestones"]["findings"]
        if f["props"][-1]["value"] == str(again.audit) and f["title"].startswith("RESP-PHONE")
    ]  # fmt: skip
    assert finding["target"]["status"]["state"] == "not-satisfied"  # waived: still short
    assert "under waiver W-1 until 2027-01-18" in finding["description"]
    register.close()


def test_a_waived_finding_links_no_closed_item_and_no_waiver_the_register_does_not_hold(
    tmp_path, monthly_audits
) -> None:
    """A waiver of a waivers.yaml (Y-1), which the register does not hold, links nothing; nor
    does a waived nonconformity whose item is closed, or that has no item."""
    from dataclasses import replace

    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-08")
    beside = replace(_waiver("RESP-PHONE-30S", "site=SH"), id="Y-1")
    document, sha, path = _waived_audit(tmp_path, "2026-08", [beside])
    assert register.record_audit(document, sha, path, TODAY).waived == []
    trained = next(i for i in register.store.items() if i["rule"] == "STANDARD-TRAINED")
    _implemented(register, trained["id"], "2026-08-31")
    register.record_verification(trained["id"], "cert", {"status": "verified-effective"}, TODAY)
    register.add_waiver(_waiver("STANDARD-TRAINED"), "quality", TODAY)
    register.add_waiver(_waiver("CSAT-Q-4.2"), "quality", TODAY)  # July's, no item here
    document, sha, path = _waived_audit(tmp_path, "2026-07", register.waivers())
    done = register.record_audit(document, sha, path, TODAY)
    assert done.waived == []
    assert not [i for i in register.store.items() if i["rule"] == "CSAT-Q-4.2"]
    assert register.check() == []
    register.close()


def test_a_period_found_waived_is_not_a_period_found_so_its_nonconformity_later_recurs(
    tmp_path, monthly_audits
) -> None:
    """July's STANDARD-TRAINED item (minor) is linked waived for August under W-1; August
    audited without the waiver (revoked) is the rule failing in another period: recurring,
    minor -> major, not a re-audit of a period the item dealt with."""
    register = Register(str(tmp_path / "register.db"))
    record(register, monthly_audits, "2026-07")
    trained = next(i for i in register.store.items() if i["rule"] == "STANDARD-TRAINED")
    assert trained["severity"] == "minor"
    register.add_waiver(_waiver("STANDARD-TRAINED"), "quality", TODAY)
    document, sha, path = _waived_audit(tmp_path, "2026-08", register.waivers())
    assert register.record_audit(document, sha, path, TODAY).waived == [(trained["id"], "W-1")]
    assert register.item(trained["id"])["severity"] == "minor"
    register.revoke_waiver("W-1", "quality", TODAY)
    august = record(register, monthly_audits, "2026-08")
    assert trained["id"] in august.linked and trained["id"] in august.recurring
    assert register.item(trained["id"])["severity"] == "major"
    assert register.check() == []
    register.close()


def _window_rate(conforming: int, breached: int, pending: int, verdict: str):  # type: ignore[no-untyped-def]
    """The item's group over a window, a rate against 80 % with records open at its end."""
    from auditor.findings.results import Counts, Finding

    n = conforming + breached
    return Finding(
        id="HD-RESOLVE-40BH@seriousness_2=Value 1", rule="HD-RESOLVE-40BH", clause="1.2",
        measure="sequence", group={"seriousness_2": "Value 1"},
        period="2012-06-02..2012-07-01", pooled=False, verdict=verdict,
        counts=Counts(n=n, conforming=conforming, pending=pending), value=conforming / n,
        unit="share", target=">= 80%", threshold={"op": ">=", "value": 0.8},
    )  # fmt: skip


def _rule_of_80_percent(finding):  # type: ignore[no-untyped-def]
    from decimal import Decimal
    from types import SimpleNamespace

    from auditor.findings.results import RuleResult

    rule = SimpleNamespace(target=SimpleNamespace(share=Decimal("0.80")))
    result = RuleResult(
        rule="HD-RESOLVE-40BH", clause="1.2", title_en="Resolved", title_zh="解决",
        measure="sequence", severity="minor", verdict=finding.verdict, verdict_severity=None,
        judge="each-group",
        findings=[finding], capa={"action": {"zh": "复核", "en": "Review"}, "owner": "lead",
                                  "due_days": 90},
    )  # fmt: skip
    return rule, result


def test_verify_tells_the_verdict_and_the_range_its_open_records_leave() -> None:
    """81 of 96 conforming is 84.4 %, an observation against 80 %, with 10 records still open
    at the window's end: once they end the rate lies between 81 / 106 = 76.4 % and
    91 / 106 = 85.8 %. The verification's line says so, as the audit's sentence does."""
    import dataclasses
    from fractions import Fraction

    from auditor.evaluate.verdicts import pending_range
    from auditor.register.verify import _said

    finding = _window_rate(81, 15, 10, "observation")
    finding = dataclasses.replace(
        finding, reasons=pending_range(finding.counts, Fraction(4, 5), may_change=True)
    )
    _, result = _rule_of_80_percent(finding)
    figures, verdict = _said(finding, result)
    assert figures.replace("\xa0", " ") == "84.4 % (81 of 96), target ≥ 80 %"
    assert verdict.replace("\xa0", " ") == (
        "observation (10 records still open at the period end are not in the rate: once they "
        "end, the rate will lie between 76.4 % and 85.8 %, and the verdict may change)"
    )
