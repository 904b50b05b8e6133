"""The service-quality-management pack: it checks, and its demo audit's figures equal
figures worked out independently from the evidence files (csv, json, openpyxl; scipy's
chi-square and numpy's line fit for the dispersion and trend rules)."""

from __future__ import annotations

import csv
import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor import load_pack

from .conftest import ROOT, RULES

PACK = RULES / "service-quality-management.yaml"
DEMO = ROOT / "evidence" / "demo" / "service-quality-management"
Q3 = (datetime(2026, 7, 1), datetime(2026, 10, 1))
CHANNELS = {"电话": "phone", "热线": "phone", "在线": "chat", "在线客服": "chat", "APP": "app"}
CHANNELS.update({c: c for c in ("phone", "chat", "app")})


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo audited for 2026-Q3, once for this module: rule id -> its findings.json entry."""
    from auditor.audit import run_audit

    out = tmp_path_factory.mktemp("sqm-demo")
    run_audit(PACK, DEMO, out, "2026-Q3")
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {rule["rule"]: rule for rule in document["rules"]}


def _pooled(rule: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in rule["findings"] if f["pooled"])


def _groups(rule: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (next(iter(f["group"].values())), f["period"]): f
        for f in rule["findings"]
        if not f["pooled"]
    }


def _when(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


MATTERS = {
    "账单": "billing",
    "技术": "technical",
    "账户": "account",
    "配送": "delivery",
    "其他": "other",
}


def _phone_outcome(row: dict[str, str]) -> bool | None:
    """RESP-PHONE-30S by hand: in time within 30 s, None when out of scope or excluded."""
    received = _when(row["进线时间"])
    if CHANNELS[row["渠道"]] != "phone" or received is None:
        return None
    answered, ended = _when(row["应答时间"]), _when(row["结束时间"])
    if answered is None and ended is not None and (ended - received).total_seconds() < 5:
        return None  # abandoned within 5 s: excluded
    return answered is not None and (answered - received).total_seconds() <= 30


def _contacts() -> list[dict[str, str]]:
    """The GB18030 contact log read by hand: broken rows dropped, a repeated key kept once."""
    with (DEMO / "contacts-2026Q2Q3.csv").open(encoding="gb18030", newline="") as handle:
        rows = list(csv.reader(handle))
    header, seen, kept = rows[0], set(), []
    for cells in rows[1:]:
        if len(cells) != len(header):
            continue
        row = dict(zip(header, cells, strict=True))
        if row["渠道"] not in CHANNELS or _when(row["进线时间"]) is None:
            continue
        if row["接触编号"] in seen:
            continue
        seen.add(row["接触编号"])
        kept.append(row)
    return kept


# ------------------------------------------------------------ the pack


def test_pack_loads_and_every_rule_names_a_clause_and_an_action() -> None:
    pack = load_pack(PACK)
    assert pack.standard.id == "service-quality-management-system"
    assert 30 <= len(pack.rules) <= 36
    for rule in pack.rules:
        assert pack.standard.clause(rule.clause) is not None, rule.id
        assert rule.title.zh and rule.title.en
        assert rule.capa.action.zh and rule.capa.action.en and rule.capa.owner


def test_every_rule_says_which_indicator_it_measures_and_that_its_numbers_are_the_packs() -> None:
    # the standard states no numbers: each rule's interpretation says so, in both languages
    for rule in load_pack(PACK).rules:
        assert rule.interpretation is not None, rule.id
        zh, en = rule.interpretation.zh, rule.interpretation.en
        assert "标准" in zh and "standard" in en, rule.id
        assert "本规则包选择" in zh or "由审核员判断" in zh, rule.id
        assert "this pack's choice" in en or "the auditor's judgement" in en, rule.id


def test_pack_check_passes(runner: Any) -> None:
    from auditor.cli import main

    result = runner.invoke(main, ["pack", "check", str(PACK)])
    assert result.exit_code == 0, result.output
    assert "1 of 1 pack(s) valid" in result.output


def test_the_issue_indicators_each_have_a_rule() -> None:
    ids = {rule.id for rule in load_pack(PACK).rules}
    wanted = {
        "SLA-ATTAINMENT", "RESP-PHONE-30S", "HANDLE-TIME-MEAN", "RESOLUTION-RATE",
        "CLOSURE-RATE", "REPLY-ACCURACY", "COMPLAINTS-PER-1000", "COMPLAINT-ROOT-CAUSE",
        "CHURN-RATE", "PLAN-OWNER-DEADLINE", "PLAN-DONE-BY-DEADLINE", "CERT-SURVEILLANCE",
    }  # fmt: skip
    assert wanted <= ids


def test_demo_evidence_is_reproducible(tmp_path: Path) -> None:
    from auditor.synth import synthesise

    synthesise(load_pack(PACK), tmp_path)
    for path in sorted(DEMO.iterdir()):
        if path.suffix in (".csv", ".jsonl"):
            assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_survey_evidence_spans_four_quarters_for_the_trend() -> None:
    lines = (DEMO / "survey-responses.jsonl").read_text(encoding="utf-8").splitlines()
    answered = [json.loads(line)["answered_at"] for line in lines]
    assert min(answered) < "2025-10-08" and max(answered) >= "2026-09-23"


# ------------------------------------------------------------ figures against a hand computation


def test_reply_accuracy_per_site_equals_the_qa_samples(findings: dict[str, Any]) -> None:
    totals: dict[str, list[int]] = {}
    for line in (DEMO / "qa-samples-2026Q3.jsonl").read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        tally = totals.setdefault(sample["site"], [0, 0])
        tally[0] += bool(sample["accurate"])
        tally[1] += 1
    groups = _groups(findings["REPLY-ACCURACY"])
    for site, (good, n) in totals.items():
        assert groups[(site, "2026-Q3")]["counts"]["n"] == n
        assert groups[(site, "2026-Q3")]["value"] == pytest.approx(good / n, abs=1e-12)
    pooled = _pooled(findings["REPLY-ACCURACY"])
    good = sum(t[0] for t in totals.values())
    assert pooled["value"] == pytest.approx(good / sum(t[1] for t in totals.values()))
    assert totals["SH"][0] / totals["SH"][1] < 0.97  # the site placed below target


def test_quarterly_csat_equals_the_mean_of_q3_responses(findings: dict[str, Any]) -> None:
    scores = []
    for line in (DEMO / "survey-responses.jsonl").read_text(encoding="utf-8").splitlines():
        response = json.loads(line)
        when = _when(response["answered_at"])
        if when and Q3[0] <= when < Q3[1] and response["csat"] is not None:
            scores.append(response["csat"])
    pooled = _pooled(findings["CSAT-QUARTER"])
    assert pooled["counts"]["n"] == len(scores)
    assert pooled["value"] == pytest.approx(sum(scores) / len(scores), abs=1e-9)
    assert 4.2 <= pooled["value"] < 4.4 and pooled["verdict"] == "observation"


def test_complaints_per_1000_contacts_from_the_gb18030_log(findings: dict[str, Any]) -> None:
    contacts = [r for r in _contacts() if Q3[0] <= (_when(r["进线时间"]) or Q3[1]) < Q3[1]]
    complaints = sum(r["转投诉"] == "是" for r in contacts)
    pooled = _pooled(findings["COMPLAINTS-PER-1000"])
    assert pooled["counts"]["n"] == len(contacts)
    assert pooled["value"] == pytest.approx(complaints * 1000 / len(contacts), abs=1e-9)


def test_phone_answer_within_30s_per_site_and_month(findings: dict[str, Any]) -> None:
    tally: dict[tuple[str, str], list[int]] = {}
    for row in _contacts():
        received, ok = _when(row["进线时间"]), _phone_outcome(row)
        if received is None or ok is None or not Q3[0] <= received < Q3[1]:
            continue
        counts = tally.setdefault((row["站点"], received.strftime("%Y-%m")), [0, 0])
        counts[0] += ok
        counts[1] += 1
    groups = _groups(findings["RESP-PHONE-30S"])
    assert set(groups) == set(tally)
    for key, (good, n) in tally.items():
        assert groups[key]["counts"]["n"] == n, key
        assert groups[key]["value"] == pytest.approx(good / n, abs=1e-12), key
    assert groups[("SH", "2026-08")]["verdict"] == "nonconform"


def test_churn_rate_from_the_customer_roster(findings: dict[str, Any]) -> None:
    with (DEMO / "customers-2026-07-01.csv").open(encoding="utf-8", newline="") as handle:
        customers = list(csv.DictReader(handle))
    stayed = sum(not row["churned_on"] for row in customers)
    pooled = _pooled(findings["CHURN-RATE"])
    assert pooled["counts"]["n"] == len(customers)
    assert pooled["value"] == pytest.approx(stayed / len(customers), abs=1e-12)


def test_plans_due_in_q3_done_by_their_deadline_from_the_xlsx(findings: dict[str, Any]) -> None:
    import openpyxl

    sheet = openpyxl.load_workbook(DEMO / "improvement-plans.xlsx", read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    plans = [dict(zip(header, row, strict=True)) for row in rows[1:]]

    def day(value: object) -> date | None:
        return date.fromisoformat(str(value)[:10]) if value else None

    due = [
        p
        for p in plans
        if (d := day(p["计划完成日期"])) and date(2026, 7, 1) <= d <= date(2026, 9, 30)
    ]
    on_time = [
        p for p in due if (done := day(p["实际完成日期"])) and done <= day(p["计划完成日期"])
    ]  # type: ignore[operator]
    pooled = _pooled(findings["PLAN-DONE-BY-DEADLINE"])
    assert pooled["counts"]["n"] == len(due) and len(due) >= 3
    assert pooled["value"] == pytest.approx(len(on_time) / len(due), abs=1e-12)


# ------------------------------------------------------------ the verdicts designed into the demo


def test_demo_audit_has_every_verdict_kind(findings: dict[str, Any]) -> None:
    verdicts = {rule["verdict"] for rule in findings.values()}
    assert verdicts == {"conform", "observation", "nonconform", "not-evaluable", "not-applicable"}
    severities = {r["verdict_severity"] for r in findings.values() if r["verdict"] == "nonconform"}
    assert severities == {"major", "minor"}
    expected = {
        "CERT-SURVEILLANCE": "nonconform",  # GZ's last audit is over a year old
        "PLAN-OWNER-DEADLINE": "nonconform",  # one plan has no owner
        "PAIN-POINT-EFFORT": "not-evaluable",  # the effort question is new: too few answers
        "CERT-FINDINGS-CLOSED": "not-applicable",  # the certification body raised none
        "RESOLUTION-RATE": "conform",
        "CSAT-QUARTER": "observation",
    }
    for rule_id, verdict in expected.items():
        assert findings[rule_id]["verdict"] == verdict, rule_id


# ------------------------------------------------------------ the rules that follow another rule,
# every, repeat contacts, survey response and availability, against a hand computation


def _phone_counts(first: datetime, end: datetime, key: Any) -> dict[Any, list[int]]:
    """(in time, judged) phone calls received in [first, end), per key(row, received)."""
    tally: dict[Any, list[int]] = {}
    for row in _contacts():
        received, ok = _when(row["进线时间"]), _phone_outcome(row)
        if received is None or ok is None or not first <= received < end:
            continue
        counts = tally.setdefault(key(row, received), [0, 0])
        counts[0] += ok
        counts[1] += 1
    return tally


def test_site_dispersion_of_phone_answering_with_scipy(findings: dict[str, Any]) -> None:
    from scipy.stats import chi2_contingency

    sites = _phone_counts(*Q3, lambda row, _: row["站点"])
    good, n = sum(c[0] for c in sites.values()), sum(c[1] for c in sites.values())
    shortfall = {site: (good / n - ok / m) * 100 for site, (ok, m) in sites.items()}
    chi = chi2_contingency([[ok, m - ok] for ok, m in sites.values()], correction=False)
    rule = findings["CONS-SITE-ANSWER"]
    pooled, details = _pooled(rule), _pooled(rule)["details"]["dispersion"]
    assert pooled["value"] == pytest.approx(max(shortfall.values()), abs=1e-9)
    assert details["largest"]["group"] == max(shortfall, key=shortfall.__getitem__) == "SH"
    assert details["test"]["statistic"] == pytest.approx(chi.statistic, rel=1e-9)
    assert details["test"]["p_value"] == pytest.approx(chi.pvalue, rel=1e-6)
    groups = {f["group"]["site"]: f for f in rule["findings"] if not f["pooled"]}
    for site, (_, m) in sites.items():
        assert groups[site]["counts"]["n"] == m
        assert groups[site]["value"] == pytest.approx(shortfall[site], abs=1e-9)
    assert shortfall["SH"] > 2 and pooled["verdict"] == "nonconform"


def test_weekly_control_chart_of_phone_answering_from_the_q2_baseline(
    findings: dict[str, Any],
) -> None:
    baseline = _phone_counts(datetime(2026, 4, 1), Q3[0], lambda row, when: "all")["all"]
    centre = baseline[0] / baseline[1]
    weeks = _phone_counts(
        *Q3, lambda row, when: f"{when.isocalendar()[0]}-W{when.isocalendar()[1]:02d}"
    )
    finding = _pooled(findings["RESP-PHONE-CHART"])
    chart = finding["details"]["control_chart"]
    assert chart["baseline_n"] == baseline[1] and chart["centre"] == pytest.approx(centre)
    points = {p["day"]: p for p in chart["points"]}
    assert set(points) == set(weeks)
    below = []
    for week, (ok, m) in sorted(weeks.items()):
        limit = centre - 3 * math.sqrt(centre * (1 - centre) / m)
        assert points[week]["n"] == m and points[week]["value"] == pytest.approx(ok / m)
        assert points[week]["lcl3"] == pytest.approx(limit, abs=1e-12)
        if ok / m < limit:
            below.append(week)
    assert below and below[0] >= "2026-W31"  # the first point beyond 3 sigma is in SH's August
    assert finding["verdict"] == "observation"
    assert finding["reasons"][0].startswith(f"drifting since {below[0]}: rule 1")


def test_csat_trend_over_four_quarters_with_numpy(findings: dict[str, Any]) -> None:
    import numpy

    quarters: dict[str, list[int]] = {}
    for line in (DEMO / "survey-responses.jsonl").read_text(encoding="utf-8").splitlines():
        response = json.loads(line)
        when = _when(response["answered_at"])
        if when and response["csat"] is not None and when >= datetime(2025, 10, 1):
            quarters.setdefault(f"{when.year}-Q{(when.month - 1) // 3 + 1}", []).append(
                response["csat"]
            )
    means = [sum(s) / len(s) for _, s in sorted(quarters.items())]
    assert sorted(quarters) == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    slope = numpy.polyfit(range(4), means, 1)[0]
    finding = _pooled(findings["CSAT-TREND"])
    assert finding["value"] == pytest.approx(slope, abs=1e-12)
    rows = finding["details"]["trend"]["periods"]
    assert [r["value"] for r in rows] == pytest.approx(means, abs=1e-12)
    # Q3 falls below Q2 by more than the noise of the two means, the line itself holds 0
    q2, q3 = quarters["2026-Q2"], quarters["2026-Q3"]
    noise = 1.96 * math.sqrt(numpy.var(q2, ddof=1) / len(q2) + numpy.var(q3, ddof=1) / len(q3))
    assert means[3] - means[2] < -noise
    assert finding["verdict"] == "observation"


def test_a_month_without_a_quality_meeting_from_the_reviews_csv(findings: dict[str, Any]) -> None:
    with (DEMO / "reviews.csv").open(encoding="utf-8-sig", newline="") as handle:
        meetings = [r for r in csv.DictReader(handle) if r["会议类型"] == "质量例会"]
    held = {r["召开日期"][:7] for r in meetings}
    missing = [m for m in ("2026-07", "2026-08", "2026-09") if m not in held]
    pooled = _pooled(findings["QUALITY-MEETING-MONTHLY"])
    assert pooled["failing"] == missing == ["2026-08"]
    assert pooled["value"] == pytest.approx(2 / 3) and pooled["verdict"] == "nonconform"
    assert findings["MGMT-REVIEW-QUARTERLY"]["verdict"] == "conform"


def test_first_contact_resolution_from_the_gb18030_log(findings: dict[str, Any]) -> None:
    contacts = []
    for row in _contacts():
        matter = MATTERS.get(row["诉求类别"], row["诉求类别"])
        contacts.append((_when(row["进线时间"]), row["客户编号"], matter, row["接触编号"]))
    later: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    for when, customer, matter, key in contacts:
        if customer and matter and when is not None and when < Q3[1]:
            later.setdefault((customer, matter), []).append((when, key))
    tally = {"conform": 0, "breach": 0, "pending": 0, "excluded": 0}
    for when, customer, matter, key in contacts:
        if when is None or not Q3[0] <= when < Q3[1]:
            continue
        if not customer or not matter:
            tally["excluded"] += 1
            continue
        repeat = any(
            (other, k) > (when, key) and other - when <= timedelta(days=7)
            for other, k in later[(customer, matter)]
        )
        if repeat:
            tally["breach"] += 1
        else:
            tally["pending" if when + timedelta(days=7) > Q3[1] else "conform"] += 1
    pooled = _pooled(findings["FIRST-CONTACT-RESOLUTION"])
    counts = pooled["counts"]
    assert (counts["conforming"], counts["breached"]) == (tally["conform"], tally["breach"])
    assert (counts["pending"], counts["excluded"]) == (tally["pending"], tally["excluded"])
    share = tally["conform"] / (tally["conform"] + tally["breach"])
    assert pooled["value"] == pytest.approx(share, abs=1e-12) and share > 0.75


def test_survey_response_rate_from_invitations_and_responses(findings: dict[str, Any]) -> None:
    answered = {
        json.loads(line)["invitation_id"]
        for line in (DEMO / "survey-responses.jsonl").read_text(encoding="utf-8").splitlines()
    }
    with (DEMO / "survey-invitations.csv").open(encoding="utf-8", newline="") as handle:
        sent = [
            r["invitation_id"]
            for r in csv.DictReader(handle)
            if Q3[0] <= (_when(r["sent_at"]) or Q3[1]) < Q3[1]
        ]
    pooled = _pooled(findings["SURVEY-RESPONSE-RATE"])
    assert pooled["counts"]["n"] == len(sent)
    assert pooled["value"] == pytest.approx(sum(i in answered for i in sent) / len(sent))


def test_availability_in_service_hours_per_channel(findings: dict[str, Any]) -> None:
    down: dict[str, set[datetime]] = {}
    for line in (DEMO / "outages.jsonl").read_text(encoding="utf-8").splitlines():
        outage = json.loads(line)
        start, end = _when(outage["started_at"]), _when(outage["ended_at"])
        assert start is not None and end is not None
        minute = start
        while minute < end:  # the outages start and end on whole minutes
            if 8 <= minute.hour < 22 and Q3[0] <= minute < Q3[1]:
                down.setdefault(outage["channel"], set()).add(minute)
            minute += timedelta(minutes=1)
    open_minutes = 92 * 14 * 60
    rule = findings["SERVICE-AVAILABILITY"]
    groups = {f["group"]["channel"]: f for f in rule["findings"] if not f["pooled"]}
    for channel, minutes in down.items():
        assert groups[channel]["value"] == pytest.approx(1 - len(minutes) / open_minutes)
    every = set().union(*down.values())
    assert _pooled(rule)["value"] == pytest.approx(1 - len(every) / open_minutes)
    assert groups["chat"]["verdict"] == "nonconform" and groups["phone"]["verdict"] == "conform"
