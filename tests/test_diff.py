"""Two audits compared (auditor.diff): the pairing of findings and the class of each nonconformity."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.diff import Change, diff_findings, diff_text, load_findings
from auditor.errors import ReportError
from auditor.findings.contract import FindingsDocument
from auditor.i18n import Words
from auditor.report.previous import previous_view

from .conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"
EN = Words("en")


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The service-quality demo audited for July and for August 2026: each audit's folder."""
    from auditor.audit import run_audit

    folders = {}
    for period in ("2026-07", "2026-08"):
        out = tmp_path_factory.mktemp(f"diff-{period}")
        run_audit(RULES / "service-quality.yaml", DEMO, out, period)
        folders[period] = out
    return folders


def read(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "findings.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------ the demo, July against August


def whole_period_findings(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each rule's and group's finding of a monthly demo audit, in plain dicts.

    In a monthly audit every finding holds the whole month: the pooled one, a
    site's month, or a quarter's cell (cut to the month). The first of each
    rule and group is the one compared; a second (CSAT's quarter cell beside
    its pooled finding) holds the same records.
    """
    month = document["manifest"]["parameters"]["period"]["label"]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in document["rules"]:
        for finding in rule["findings"]:
            assert finding["period"] in (month, "2026-Q3"), finding["id"]
            site = finding["group"].get("site", "all")
            found.setdefault((rule["rule"], site), finding)
    return found


#: the findings each audit's CAPA plan opens a corrective action for (its capa.csv's ``finding``)
PLANNED = {
    "2026-07": {"CSAT-Q-4.2", "TRAINED-12M", "STANDARD-TRAINED"},
    "2026-08": {"RESP-PHONE-30S@site=SH", "STANDARD-TRAINED"},
}


def hand_class(
    before: dict[str, Any] | None, after: dict[str, Any] | None, old: set[str], new: set[str]
) -> str | None:
    """A row's class, a nonconformity being a finding of its audit's CAPA plan (``old``, ``new``)."""
    if after is not None and after["id"] in new:
        if before is None or before["id"] not in old:
            return "new"
        if before["severity"] == "minor" and after["severity"] == "major":
            return "worsened"
        lower_is_worse = after["threshold"]["op"] in (">=", ">")
        if (after["value"] - before["value"]) * (1 if lower_is_worse else -1) < 0:
            return "worsened"
        return "recurring"
    if before is not None and before["id"] in old and after:
        return "resolved" if after["verdict"] in ("conform", "observation") else None
    return None


def test_july_to_august_counts_match_a_hand_computation(months) -> None:
    """The acceptance test: new, resolved and recurring of two periods, worked out by hand; the
    nonconformities classed are those of each audit's CAPA plan: not a site's figure of a rule
    judged pooled (CLOSURE-95 at GZ, TRAINED-12M at SH), not the pooled figure of a rule judged
    in each site (RESP-PHONE-30S)."""
    july, august = read(months["2026-07"]), read(months["2026-08"])
    before, after = whole_period_findings(july), whole_period_findings(august)
    old, new = PLANNED["2026-07"], PLANNED["2026-08"]
    expected: dict[str, set[tuple[str, str]]] = {
        "new": set(),
        "resolved": set(),
        "recurring": set(),
        "worsened": set(),
    }
    for key in before.keys() | after.keys():
        found = hand_class(before.get(key), after.get(key), old, new)
        if found:
            expected[found].add(key)
    # and read off the two audits' verdicts by eye:
    assert expected == {
        "new": {("RESP-PHONE-30S", "SH")},
        "resolved": {("CSAT-Q-4.2", "all"), ("TRAINED-12M", "all")},
        "recurring": {("STANDARD-TRAINED", "all")},
        "worsened": set(),
    }

    diff = diff_findings(load_findings(months["2026-07"]), load_findings(months["2026-08"]))
    assert diff.counts() == {"new": 1, "resolved": 2, "recurring": 1, "worsened": 0}
    got = {name: set() for name in expected}
    for row in diff.rows:
        if row.change in expected:
            got[str(row.change)].add((row.rule, row.group.get("site", "all")))
    assert got == expected
    counts = diff.counts()
    assert counts["new"] + counts["recurring"] + counts["worsened"] == len(new)
    assert counts["resolved"] + counts["recurring"] + counts["worsened"] == len(old)
    # the report's table of the previous audit counts the same
    view = previous_view(load_findings(months["2026-07"]), load_findings(months["2026-08"]), EN)
    assert list(view.counts.values()) == list(counts.values())


def test_july_to_august_pairs_each_rule_and_group_with_the_period_ignored(months) -> None:
    diff = diff_findings(load_findings(months["2026-07"]), load_findings(months["2026-08"]))
    assert {row.match for row in diff.rows} == {"whole-period"}
    assert not diff.rules_only_old and not diff.rules_only_new and not diff.notes()
    csat = [row for row in diff.rows if row.rule == "CSAT-Q-4.2"]
    assert len(csat) == 1  # its quarter cell is the pooled finding's records: compared once
    assert (csat[0].old and csat[0].old.id, csat[0].new and csat[0].new.id) == (
        "CSAT-Q-4.2",
        "CSAT-Q-4.2",
    )
    closure = next(r for r in diff.rows if r.rule == "CLOSURE-95" and r.group == {"site": "GZ"})
    assert closure.old is not None and closure.new is not None
    assert (closure.old.span, closure.new.span) == ("2026-07", "2026-08")
    assert (closure.old.verdict, closure.old.severity) == ("nonconform", "major")


def test_a_quarter_against_one_of_its_months_pairs_the_month_cells(demo_audit, months) -> None:
    diff = diff_findings(demo_audit.findings, load_findings(months["2026-07"]))
    row = next(r for r in diff.rows if r.rule == "RESP-PHONE-30S" and r.group == {"site": "SH"})
    assert row.match == "period" and row.change == Change.UNCHANGED
    assert row.old is not None and row.new is not None
    assert (row.old.id, row.new.id) == ("RESP-PHONE-30S@site=SH@2026-07", "RESP-PHONE-30S@site=SH")
    assert row.group_text == "site=SH@2026-07"
    august = next(r for r in diff.rows if r.old and r.old.id == "RESP-PHONE-30S@site=SH@2026-08")
    assert august.new is None and august.change == Change.ONLY_OLD  # not resolved: not judged now
    pooled = diff.rows[0]
    assert (pooled.rule, pooled.match, pooled.group_text) == (
        "RESP-PHONE-30S",
        "whole-period",
        "all",
    )


# ------------------------------------------------------------ hand-made documents


def edited(document: FindingsDocument, edit: Any) -> FindingsDocument:
    data = copy.deepcopy(document.model_dump(mode="json"))
    edit(data)
    return FindingsDocument.from_data(data)


def finding(data: dict[str, Any], finding_id: str) -> dict[str, Any]:
    rule = finding_id.split("@", 1)[0]
    entry = next(r for r in data["rules"] if r["rule"] == rule)
    return next(f for f in entry["findings"] if f["id"] == finding_id)


def setting(finding_id: str, **values: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        finding(data, finding_id).update(values)

    return edit


def judged(rule_id: str, rule_verdict: str, cell: str, /, **values: Any) -> Any:
    """``cell`` of ``rule_id`` edited with ``values``, and the rule's own verdict with it, as an
    audit would give it."""

    def edit(data: dict[str, Any]) -> None:
        setting(cell, **values)(data)
        rule = next(r for r in data["rules"] if r["rule"] == rule_id)
        rule.update(verdict=rule_verdict, verdict_severity=None)

    return edit


def only(diff: Any, change: Change) -> list[str]:
    return [(row.new or row.old).id for row in diff.rows if row.change == change]


def test_the_same_audit_twice_is_all_recurring(demo_audit) -> None:
    diff = diff_findings(demo_audit.findings, demo_audit.findings)
    assert diff.counts() == {"new": 0, "resolved": 0, "recurring": 3, "worsened": 0}
    assert only(diff, Change.RECURRING) == [
        "RESP-PHONE-30S@site=SH@2026-08",
        "STANDARD-TRAINED",
        "ROOT-CAUSE",
    ]
    assert {row.match for row in diff.rows} == {"period"}
    assert {row.change for row in diff.rows} == {Change.UNCHANGED, Change.RECURRING}
    assert not diff.has_new


def test_new_when_not_a_nonconformity_before(demo_audit) -> None:
    cell = "RESP-PHONE-30S@site=GZ@2026-08"  # a site of a rule judged in each site
    new = edited(demo_audit.findings, setting(cell, verdict="nonconform", severity="minor"))
    diff = diff_findings(demo_audit.findings, new)
    assert only(diff, Change.NEW) == [cell]
    assert diff.counts()["new"] == 1 and diff.has_new
    # a site of a rule judged pooled is part of the rule's figures, not a nonconformity
    site = setting("CLOSURE-95@site=GZ", verdict="nonconform", severity="minor")
    diff = diff_findings(demo_audit.findings, edited(demo_audit.findings, site))
    assert diff.counts()["new"] == 0 and not diff.has_new


def test_resolved_when_conform_or_observation_now(demo_audit) -> None:
    cell = "RESP-PHONE-30S@site=SH@2026-08"
    for verdict in ("conform", "observation"):
        now = judged("RESP-PHONE-30S", verdict, cell, verdict=verdict, severity=None, value=0.95)
        new = edited(demo_audit.findings, now)
        diff = diff_findings(demo_audit.findings, new)
        assert only(diff, Change.RESOLVED) == [cell]
        assert diff.counts() == {"new": 0, "resolved": 1, "recurring": 2, "worsened": 0}
    # not evaluable now is not resolved: the nonconformity was not checked again
    new = edited(demo_audit.findings, setting(cell, verdict="not-evaluable", severity=None))
    diff = diff_findings(demo_audit.findings, new)
    assert diff.counts()["resolved"] == 0
    assert next(r for r in diff.rows if r.new and r.new.id == cell).change == Change.VERDICT_CHANGED


def test_worsened_when_the_severity_rises(demo_audit) -> None:
    new = edited(demo_audit.findings, setting("STANDARD-TRAINED", severity="major"))
    diff = diff_findings(demo_audit.findings, new)
    row = next(r for r in diff.rows if r.rule == "STANDARD-TRAINED")
    assert (row.change, row.worsened_by) == (Change.WORSENED, ("severity",))
    assert diff.counts() == {"new": 0, "resolved": 0, "recurring": 2, "worsened": 1}
    assert diff.has_new
    # and falling is not worsening
    back = diff_findings(new, demo_audit.findings)
    assert next(r for r in back.rows if r.rule == "STANDARD-TRAINED").change == Change.RECURRING


def test_worsened_when_the_value_moves_away_from_a_lower_limit(demo_audit) -> None:
    # ROOT-CAUSE: 66.7 % against at least 100 %; lower is worse
    worse = edited(demo_audit.findings, setting("ROOT-CAUSE", value=0.5))
    row = next(r for r in diff_findings(demo_audit.findings, worse).rows if r.rule == "ROOT-CAUSE")
    assert (row.change, row.worsened_by) == (Change.WORSENED, ("value",))
    better = edited(demo_audit.findings, setting("ROOT-CAUSE", value=0.8))
    row = next(r for r in diff_findings(demo_audit.findings, better).rows if r.rule == "ROOT-CAUSE")
    assert row.change == Change.RECURRING


def test_worsened_when_the_value_moves_away_from_an_upper_limit(demo_audit) -> None:
    limit = {"op": "<=", "value": 0.5}
    old = edited(demo_audit.findings, setting("ROOT-CAUSE", threshold=limit, value=0.6))
    for value, change in (
        (0.7, Change.WORSENED),
        (0.55, Change.RECURRING),
        (0.6, Change.RECURRING),
    ):
        new = edited(old, setting("ROOT-CAUSE", value=value))
        row = next(r for r in diff_findings(old, new).rows if r.rule == "ROOT-CAUSE")
        assert row.change == change, value
    both = edited(old, setting("ROOT-CAUSE", value=0.7, severity="major"))
    row = next(r for r in diff_findings(old, both).rows if r.rule == "ROOT-CAUSE")
    assert row.worsened_by == ("severity", "value")


def test_rules_in_one_document_only(demo_audit) -> None:
    def drop(rule: str) -> Any:
        def edit(data: dict[str, Any]) -> None:
            data["rules"] = [r for r in data["rules"] if r["rule"] != rule]

        return edit

    old = edited(demo_audit.findings, drop("STANDARD-TRAINED"))
    new = edited(demo_audit.findings, drop("ROOT-CAUSE"))
    diff = diff_findings(old, new)
    assert (diff.rules_only_old, diff.rules_only_new) == (["ROOT-CAUSE"], ["STANDARD-TRAINED"])
    assert "rules only in the old audit: ROOT-CAUSE" in diff.notes()
    assert "rules only in the new audit: STANDARD-TRAINED" in diff.notes()
    assert only(diff, Change.NEW) == ["STANDARD-TRAINED"]  # a nonconformity absent before
    assert only(diff, Change.ONLY_OLD) == ["ROOT-CAUSE"]  # gone with its rule: not resolved
    assert diff.counts() == {"new": 1, "resolved": 0, "recurring": 1, "worsened": 0}
    assert diff.rows[-1].rule == "ROOT-CAUSE"  # rules only in the old audit come last
    assert "new (absent before)" in diff_text(diff)


def test_different_packs_are_allowed_and_stated(demo_audit) -> None:
    def other_pack(data: dict[str, Any]) -> None:
        data["manifest"]["pack"].update(id="other-pack", version="2.0.0")

    diff = diff_findings(demo_audit.findings, edited(demo_audit.findings, other_pack))
    assert not diff.same_pack
    assert diff.notes() == ["the two audits are of different packs: service-quality and other-pack"]
    assert "note: the two audits are of different packs" in diff_text(diff)
    assert diff.counts()["recurring"] == 3  # compared all the same, rule by rule

    def other_version(data: dict[str, Any]) -> None:
        data["manifest"]["pack"]["version"] = "1.1.0"

    diff = diff_findings(demo_audit.findings, edited(demo_audit.findings, other_version))
    assert diff.same_pack
    assert diff.notes() == [
        "the two audits are of different versions of service-quality: 1.0.0 and 1.1.0"
    ]


def test_the_json_diff_is_stable(demo_audit, months) -> None:
    diff = diff_findings(demo_audit.findings, load_findings(months["2026-08"]))
    text = diff.to_json()
    assert text == diff.to_json()
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert list(data["rows"][0]) == sorted(data["rows"][0])
    assert data["counts"] == diff.counts()
    assert data["rows"][0]["old"]["text"] == "92.6 %"


def test_load_findings_takes_a_folder_or_a_file(months, tmp_path) -> None:
    folder = months["2026-07"]
    assert load_findings(folder) == load_findings(folder / "findings.json")
    with pytest.raises(ReportError, match=r"no findings\.json in this folder"):
        load_findings(tmp_path)
    with pytest.raises(ReportError, match="file not found"):
        load_findings(tmp_path / "missing.json")


def test_a_waived_finding_is_not_a_nonconformity_either_way(demo_audit) -> None:
    """Waived now: `verdict changed`, not resolved (a waiver corrects nothing); waived
    before and nonconform now (the waiver ended): new, as docs/diff.md says."""
    cell = "RESP-PHONE-30S@site=SH@2026-08"
    waived = edited(demo_audit.findings, judged("RESP-PHONE-30S", "waived", cell, verdict="waived"))
    now_waived = diff_findings(demo_audit.findings, waived)
    assert next(r for r in now_waived.rows if r.new and r.new.id == cell).change == (
        Change.VERDICT_CHANGED
    )
    assert now_waived.counts() == {"new": 0, "resolved": 0, "recurring": 2, "worsened": 0}
    no_longer = diff_findings(waived, demo_audit.findings)
    assert only(no_longer, Change.NEW) == [cell] and no_longer.has_new


# ------------------------------------------------------------ weeks the audit period cuts


def weekly_audits(
    write_pack: Any, tmp_path: Path, held_on: list[str], periods: tuple[str, str]
) -> tuple[FindingsDocument, FindingsDocument]:
    """A review held every week (``every: week``) audited for two periods: the documents."""
    from auditor.audit import run_audit

    from .series_pack import PACK, calls, rule

    body = '    evidence: reviews\n    where: kind == "weekly"\n    every: week\n'
    path = write_pack(PACK + rule("WEEKLY", body))
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "calls.csv").write_text(calls([]), encoding="utf-8")
    rows = "".join(f"R{n},weekly,{day}\n" for n, day in enumerate(held_on))
    (folder / "reviews.csv").write_text("review_id,kind,held_on\n" + rows, encoding="utf-8")
    documents = []
    for period in periods:
        run_audit(path, folder, tmp_path / period, period)
        documents.append(load_findings(tmp_path / period))
    return documents[0], documents[1]


def week_rows(diff: Any, week: str) -> list[tuple[str, str | None, str]]:
    """The rows of a week of the WEEKLY rule: group text, match and change."""
    return [
        (row.group_text, row.match, str(row.change))
        for row in diff.rows
        if row.rule == "WEEKLY" and f"@{week}" in row.group_text
    ]


def days_of(document: FindingsDocument, finding_id: str) -> tuple[str, str]:
    rule = next(r for r in document.rules if r.rule == "WEEKLY")
    held = next(f for f in rule.findings if f.id == finding_id).days
    assert held is not None
    return held.first, held.last


def test_a_week_cut_otherwise_by_the_two_audits_is_not_paired(write_pack, tmp_path) -> None:
    """Week 31 of 2026 (Monday 27 July to Sunday 2 August) is 27-31 July in the July audit and
    1-2 August in the August one: two periods, neither compared with the other."""
    july, august = weekly_audits(
        write_pack, tmp_path, ["2026-07-01", "2026-07-28", "2026-08-05"], ("2026-07", "2026-08")
    )
    assert days_of(july, "WEEKLY@2026-W31") == ("2026-07-27", "2026-07-31")
    assert days_of(august, "WEEKLY@2026-W31") == ("2026-08-01", "2026-08-02")
    diff = diff_findings(july, august)
    assert week_rows(diff, "2026-W31") == [
        ("all@2026-W31 (1–2 Aug)", None, "only in new"),
        ("all@2026-W31 (27–31 Jul)", None, "only in old"),
    ]
    lines = [line.split() for line in diff_text(diff).splitlines() if "@2026-W31" in line]
    assert lines == [
        ["WEEKLY", "all@2026-W31", "(1–2", "Aug)", "-", "nonconform", "(minor)", "0.00",
         "only", "in", "new"],
        ["WEEKLY", "all@2026-W31", "(27–31", "Jul)", "conform", "1.00", "-", "only", "in", "old"],
    ]  # fmt: skip
    data = json.loads(diff.to_json())
    old = next(r["old"] for r in data["rows"] if r["old"] and r["old"]["id"] == "WEEKLY@2026-W31")
    assert old["days"] == {"first": "2026-07-27", "last": "2026-07-31", "clipped": True}


def test_the_days_a_findings_json_recorded_are_the_days_paired_on(write_pack, tmp_path) -> None:
    """diff reads each finding's ``days`` from its findings.json, not from its label again:
    August's week 31 recorded as 27-31 July (as July's is) pairs with July's."""
    july, august = weekly_audits(
        write_pack, tmp_path, ["2026-07-01", "2026-07-28", "2026-08-05"], ("2026-07", "2026-08")
    )
    assert days_of(august, "WEEKLY@2026-W31") == ("2026-08-01", "2026-08-02")
    path = tmp_path / "2026-08" / "findings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r["rule"] == "WEEKLY")
    week = next(f for f in rule["findings"] if f["id"] == "WEEKLY@2026-W31")
    week["days"].update(first="2026-07-27", last="2026-07-31")
    path.write_text(json.dumps(data), encoding="utf-8")
    diff = diff_findings(july, load_findings(path))
    assert week_rows(diff, "2026-W31") == [
        ("all@2026-W31 (27–31 Jul)", "period", "verdict changed")
    ]


def test_a_week_held_by_a_quarter_and_by_its_month_pairs_only_on_the_same_days(
    write_pack, tmp_path
) -> None:
    """July against 2026-Q3: week 27 is 1-5 July in both (paired); week 31, without a review
    in either, is 27-31 July in July and the whole week (27 July-2 August) in Q3: not
    recurring."""
    july, quarter = weekly_audits(
        write_pack, tmp_path, ["2026-07-01", "2026-07-07"], ("2026-07", "2026-Q3")
    )
    assert days_of(july, "WEEKLY@2026-W27") == days_of(quarter, "WEEKLY@2026-W27")
    assert days_of(quarter, "WEEKLY@2026-W31") == ("2026-07-27", "2026-08-02")
    diff = diff_findings(july, quarter)
    assert week_rows(diff, "2026-W27") == [("all@2026-W27 (1–5 Jul)", "period", "unchanged")]
    assert week_rows(diff, "2026-W31") == [
        ("all@2026-W31", None, "only in new"),
        ("all@2026-W31 (27–31 Jul)", None, "only in old"),
    ]
    assert week_rows(diff, "2026-W28") == [("all@2026-W28", "period", "unchanged")]


def test_two_values_that_round_alike_are_shown_apart(demo_audit) -> None:
    """95.50 % against 95.46 % is not 95.5 % twice: the table, its json and the report's table
    of the previous audit give both the second decimal; values that read apart keep theirs."""
    old = edited(demo_audit.findings, setting("STANDARD-TRAINED", value=0.9550))
    new = edited(demo_audit.findings, setting("STANDARD-TRAINED", value=0.9546))
    diff = diff_findings(old, new)
    row = next(r for r in diff.rows if r.rule == "STANDARD-TRAINED")
    assert row.old is not None and row.new is not None
    assert (row.old.text, row.new.text, row.change) == ("95.50 %", "95.46 %", Change.WORSENED)
    line = next(line for line in diff_text(diff).splitlines() if line.startswith("STANDARD-T"))
    assert "95.50 %  nonconform (minor)  95.46 %" in line
    view = previous_view(old, new, EN)
    shown = next(r for r in view.rows if r.rule == "STANDARD-TRAINED")
    assert (shown.before[-7:], shown.after[-7:]) == ("95.50\u00a0%", "95.46\u00a0%")
    apart = edited(demo_audit.findings, setting("STANDARD-TRAINED", value=0.9440))
    row = next(r for r in diff_findings(old, apart).rows if r.rule == "STANDARD-TRAINED")
    assert row.old is not None and row.new is not None
    assert (row.old.text, row.new.text) == ("95.5 %", "94.4 %")


# ------------------------------------------------------------ a group's nonconformity over months

BY_SITE_MONTH = """\
  - id: BY-SITE-MONTH
    clause: "3.1.2"
    title: {zh: 各站点每月接通, en: Calls answered at each site per month}
    evidence: calls
    condition: answered
    target: 96%
    severity: minor
    min_records: 1
    group_by: [site]
    period: month
    judge: each-group
    capa: {action: {zh: 增加坐席, en: Add agents}, owner: manager}
"""

#: per quarter, per site, calls answered of 10 in each of its three months
ANSWERED_OF_10 = {
    "2026-Q3": {"A": (10, 8, 10), "B": (9, 5, 10), "C": (9, 10, 10), "D": (10, 10, 10)},
    "2026-Q4": {"A": (10, 10, 7), "B": (6, 9, 10), "C": (10, 10, 10), "D": (10, 8, 10)},
}


def quarter_months(quarter: str) -> list[str]:
    """``2026-Q4`` -> ``2026-10``, ``2026-11``, ``2026-12``."""
    year, number = quarter.split("-Q")
    return [f"{year}-{3 * int(number) - 2 + n:02d}" for n in range(3)]


def site_months(
    write_pack: Any, tmp_path: Path, quarters: dict[str, dict[str, tuple[int, ...]]] | None = None
) -> list[FindingsDocument]:
    """BY-SITE-MONTH (each site judged, per month, at least 96 % of calls answered) audited for
    each quarter of ``quarters`` (ANSWERED_OF_10: 2026-Q3 and 2026-Q4), each audit in the
    folder named after its quarter: the documents."""
    from auditor.audit import run_audit

    from .series_pack import PACK, calls

    path = write_pack(PACK + BY_SITE_MONTH)
    documents = []
    for quarter, sites in (quarters or ANSWERED_OF_10).items():
        rows = []
        for site, answered in sites.items():
            for month, yes in zip(quarter_months(quarter), answered, strict=True):
                for n in range(10):
                    rows.append((f"{site}{month}-{n}", site, f"{month}-10T09:00:00", n < yes, None))
        folder = tmp_path / f"evidence-{quarter}"
        folder.mkdir()
        (folder / "calls.csv").write_text(calls(rows), encoding="utf-8")
        run_audit(path, folder, tmp_path / quarter, quarter)
        documents.append(load_findings(tmp_path / quarter))
    return documents


def test_a_group_failing_in_other_months_of_the_next_quarter_recurs(write_pack, tmp_path) -> None:
    """Each site's nonconformity is its worst month (the CAPA plan's item), whatever month that
    is in each quarter. By hand, from ANSWERED_OF_10 (96 % of 10 calls: 10 needed):
    A: Aug 80 %, then Dec 70 %: further from target, worsened; B: worst Aug 50 % (Jul 90 %
    too), then worst Oct 60 % (Nov 90 % too): recurring; C: Jul 90 %, then all months 100 %:
    resolved; D: all 100 %, then Nov 80 %: new."""
    q3, q4 = site_months(write_pack, tmp_path)
    diff = diff_findings(q3, q4)
    classed = {
        row.group["site"]: (str(row.change), row.old and row.old.period, row.new and row.new.period)
        for row in diff.rows
        if row.change in (Change.NEW, Change.RESOLVED, Change.RECURRING, Change.WORSENED)
    }
    assert classed == {
        "A": ("worsened", "2026-08", "2026-12"),
        "B": ("recurring", "2026-08", "2026-10"),
        "C": ("resolved", "2026-07", "2026-10"),
        "D": ("new", None, "2026-11"),  # no nonconformity before: no counterpart
    }
    assert diff.counts() == {"new": 1, "resolved": 1, "recurring": 1, "worsened": 1}
    # each audit's CAPA plan: A, B, C in Q3; A, B, D in Q4; each counted once on each side
    counts = diff.counts()
    assert counts["new"] + counts["recurring"] + counts["worsened"] == 3
    assert counts["resolved"] + counts["recurring"] + counts["worsened"] == 3
    b = next(r for r in diff.rows if r.group == {"site": "B"} and r.change == Change.RECURRING)
    assert (b.match, b.group_text) == ("group", "site=B@2026-08 → 2026-10")
    others = [(r.old or r.new).period for r in diff.rows if r.group == {"site": "B"} and r != b]
    assert sorted(others) == ["2026-07", "2026-09", "2026-11", "2026-12"]  # for reference
    line = next(line for line in diff_text(diff).splitlines() if "site=B@2026-08" in line)
    assert line.split()[-1] == "recurring"
    data = json.loads(diff.to_json())
    row = next(r for r in data["rows"] if r["change"] == "recurring")
    assert (row["match"], row["old"]["span"], row["new"]["span"]) == ("group", "2026-08", "2026-10")
    assert data["counts"] == counts
    # the report's table of the previous audit counts the same
    view = previous_view(q3, q4, EN)
    assert list(view.counts.values()) == list(counts.values())
    # and names both months of B's recurrence, as the diff's table does
    row_b = next(r for r in view.rows if r.group == "site=B" and r.key == "recurring")
    assert row_b.period == "2026-08 → 2026-10"
    # C not evaluable in November: nothing shows that it conforms, so it is not resolved
    unchecked = edited(q4, setting("BY-SITE-MONTH@site=C@2026-11", verdict="not-evaluable"))
    diff = diff_findings(q3, unchecked)
    c = next(r for r in diff.rows if r.old and r.old.id == "BY-SITE-MONTH@site=C@2026-07")
    assert c.new is not None and (c.new.period, c.change) == ("2026-11", Change.VERDICT_CHANGED)
    assert diff.counts() == {"new": 1, "resolved": 0, "recurring": 1, "worsened": 1}


def b_months(q4: FindingsDocument, figures: dict[str, str]) -> FindingsDocument:
    """Q4 with site B's month cells given the verdict and value of another of B's months, all
    at once: ``{"2026-10": "2026-11"}`` gives October November's."""

    def edit(data: dict[str, Any]) -> None:
        cells = {
            month: finding(data, f"BY-SITE-MONTH@site=B@{month}")
            for month in quarter_months("2026-Q4")
        }
        was = {month: dict(cell) for month, cell in cells.items()}
        for month, source in figures.items():
            kept = {key: was[month][key] for key in ("id", "period", "days")}
            cells[month].update(was[source] | kept)

    return edited(q4, edit)


def b_rows(diff: Any) -> dict[str, tuple[str | None, str, tuple[str, ...]]]:
    """Site B's rows by month: (how paired, the change, worsened by); each row holds one month."""
    rows = {}
    for row in diff.rows:
        if row.group == {"site": "B"}:
            assert row.old is not None and row.new is not None, row  # both audits hold each month
            assert row.old.span == row.new.span, row
            rows[row.new.span] = (row.match, str(row.change), row.worsened_by)
    return rows


def test_a_group_failing_in_the_same_audit_period_pairs_its_worst_months(
    write_pack, tmp_path
) -> None:
    """Q4 against itself with B's worst month moved from October to November (60 % and 90 %
    swapped). By hand, from ANSWERED_OF_10: B fails in October (60 %, its worst: the old CAPA
    item) and November (90 %), then in November (60 %, its worst: the new item) and October
    (90 %). Each month is paired with its own; November now is B's nonconformity, recurring
    against the old one (60 % then 60 %, minor both); October, no longer B's worst but B still
    failing, is not resolved: nonconform minor both, 60 % then 90 %, value changed. B is one
    recurring nonconformity, not October resolved and November new, and no month of B is in
    one audit only."""
    _, q4 = site_months(write_pack, tmp_path)
    moved = b_months(q4, {"2026-10": "2026-11", "2026-11": "2026-10"})
    diff = diff_findings(q4, moved)
    assert diff.counts() == {"new": 0, "resolved": 0, "recurring": 3, "worsened": 0}
    assert b_rows(diff) == {
        "2026-10": ("period", "value changed", ()),
        "2026-11": ("period", "recurring", ()),
        "2026-12": ("period", "unchanged", ()),
    }
    b = next(r for r in diff.rows if r.group == {"site": "B"} and r.change == Change.RECURRING)
    assert b.old is not None and b.new is not None
    assert (b.old.nonconformity, b.new.nonconformity) == (False, True)
    assert b.group_text == "site=B@2026-11"
    lines = [line for line in diff_text(diff).splitlines() if "site=B" in line]
    assert len(lines) == 3 and not [line for line in lines if "only in" in line]
    # the report's table of the previous audit gives the same
    view = previous_view(q4, moved, EN)
    assert list(view.counts.values()) == list(diff.counts().values())
    assert [(r.period, r.key) for r in view.rows if r.group == "site=B"] == [
        ("2026-11", "recurring")
    ]

    # October fixed (100 %, an observation) and November failing at 60 %: B still fails, so
    # October is not resolved (nonconform minor -> observation: verdict changed)
    fixed = b_months(q4, {"2026-10": "2026-12", "2026-11": "2026-10"})
    diff = diff_findings(q4, fixed)
    assert diff.counts() == {"new": 0, "resolved": 0, "recurring": 3, "worsened": 0}
    assert b_rows(diff)["2026-10"] == ("period", "verdict changed", ())
    assert b_rows(diff)["2026-11"] == ("period", "recurring", ())
    view = previous_view(q4, fixed, EN)
    assert [(r.period, r.key) for r in view.rows if r.group == "site=B"] == [
        ("2026-11", "recurring")
    ]

    # November now at 50 %: further from 96 % than the old nonconformity's 60 %, worsened;
    # at 75 % nearer to it than 60 %, recurring (though further than November's 90 % before)
    for value, change, by in ((0.5, "worsened", ("value",)), (0.75, "recurring", ())):
        now = edited(moved, setting("BY-SITE-MONTH@site=B@2026-11", value=value))
        assert b_rows(diff_findings(q4, now))["2026-11"] == ("period", change, by), value
