"""The customer-service-evaluation pack: it checks, and its figures on the demo evidence
equal figures worked out here from the evidence files alone (csv, json, openpyxl; the
rules' logic written out by hand, no project code on the expected side)."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor import load_pack

from .conftest import ROOT, RULES

PACK = RULES / "customer-service-evaluation.yaml"
DEMO = ROOT / "evidence" / "demo" / "customer-service-evaluation"
Q3 = (datetime(2026, 7, 1), datetime(2026, 10, 1))  # local time, end exclusive


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The demo audited for 2026-Q3 once for this module: the result and its folder."""
    from auditor.audit import run_audit

    out = tmp_path_factory.mktemp("cse-audit")
    return run_audit(PACK, DEMO, out, "2026-Q3"), out


@pytest.fixture(scope="module")
def findings(audit: tuple[Any, Path]) -> dict[str, Any]:
    """The audit's findings.json read as plain JSON, per rule."""
    document = json.loads((audit[1] / "findings.json").read_text(encoding="utf-8"))
    return {rule["rule"]: rule for rule in document["rules"]}


def finding(rule: dict[str, Any], period: str = "2026-Q3", **group: str) -> dict[str, Any]:
    for found in rule["findings"]:
        if found["group"] == group and found["period"] == period:
            return found
    raise AssertionError(f"no finding for {group} in {period}")


def moment(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None
    except ValueError:
        return None  # the deliberately impossible date of a bad row


def in_q3(when: datetime | None) -> bool:
    return when is not None and Q3[0] <= when < Q3[1]


def read_csv(name: str, encoding: str) -> list[dict[str, str]]:
    """Rows of a demo CSV, the short bad row and repeated keys (first kept) left out."""
    with (DEMO / name).open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    header, seen, kept = rows[0], set(), []
    for row in rows[1:]:
        if len(row) != len(header) or row[0] in seen:
            continue
        seen.add(row[0])
        kept.append(dict(zip(header, row, strict=True)))
    return kept


# ------------------------------------------------------------------ the pack itself


def test_pack_loads_with_bilingual_rules_on_existing_clauses() -> None:
    pack = load_pack(PACK)
    assert pack.id == "customer-service-evaluation"
    assert 30 <= len(pack.rules) <= 40
    for rule in pack.rules:
        assert pack.standard.clause(rule.clause) is not None, rule.id
        assert rule.title.zh and rule.title.en, rule.id
        assert rule.capa.action.zh and rule.capa.action.en and rule.capa.owner, rule.id
    measures = {rule.measure.name for rule in pack.rules}
    assert {"duration", "condition", "fresh", "mean", "nps", "sequence", "manual"} <= measures
    series = {"every", "dispersion", "trend", "control_chart"}
    assert {"repeat_contact", "matched"} | series <= measures


def test_pack_check_passes(runner) -> None:
    from auditor.cli import main

    result = runner.invoke(main, ["pack", "check", str(PACK)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("1 of 1 pack(s) valid"), result.output  # no warning
    assert "0 measurable without a rule" in result.output


def test_pack_cases_pass_and_test_every_rule(runner) -> None:
    from auditor.cli import main

    result = runner.invoke(main, ["pack", "test", str(PACK)])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output


def test_demo_files_come_in_the_formats_officers_send() -> None:
    raw = (DEMO / "interactions-2026Q2Q3.csv").read_bytes()
    header = raw.decode("gb18030").splitlines()[0]
    assert "受理时间" in header and "客户编号" in header
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert list(DEMO.glob("*.xlsx")) and list(DEMO.glob("*.jsonl"))


# ------------------------------------------------------------------ figures worked out by hand


def test_phone_answer_share_per_site_and_month(findings) -> None:
    rows = read_csv("interactions-2026Q2Q3.csv", "gb18030")
    met: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for row in rows:
        received, answered = moment(row["受理时间"]), moment(row["响应时间"])
        ended = moment(row["结束时间"])
        if row["渠道"] != "电话" or not in_q3(received):
            continue
        assert received is not None
        if answered is None and ended is not None and ended - received < timedelta(seconds=5):
            continue  # abandoned within 5 s: out of the denominator
        key = (row["职场"], received.strftime("%Y-%m"))
        total[key] += 1
        met[key] += answered is not None and answered - received <= timedelta(seconds=30)
    rule = findings["RESP-PHONE-30S"]
    for (site, month), n in total.items():
        found = finding(rule, month, site=site)
        assert found["counts"]["n"] == n
        assert found["value"] == pytest.approx(met[(site, month)] / n, abs=1e-12)
    assert met[("SH", "2026-08")] / total[("SH", "2026-08")] < 0.8  # the planted slump
    assert rule["verdict"] == "nonconform" and rule["verdict_severity"] == "major"


def test_mean_attitude_score_per_site(findings) -> None:
    scores: dict[str, list[int]] = defaultdict(list)
    for row in read_csv("observations.csv", "gb18030"):
        if in_q3(moment(row["观察时间"])):
            scores[row["职场"]].append(int(row["态度评分"]))
    assert sorted(scores) == ["BJ", "GZ", "SH"]
    rule = findings["ATTITUDE-SCORE"]
    for site, values in scores.items():
        assert finding(rule, site=site)["value"] == pytest.approx(sum(values) / len(values))
    pooled = [v for values in scores.values() for v in values]
    assert rule["findings"][0]["value"] == pytest.approx(sum(pooled) / len(pooled))


def test_mean_csat_per_site_from_the_jsonl(findings) -> None:
    scores: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for line in (DEMO / "survey_responses.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # the short bad row
        if row["response_id"] in seen:
            continue
        seen.add(row["response_id"])
        if in_q3(moment(row["answered_at"])) and row["csat"] is not None:
            scores[row["site"]].append(row["csat"])
    assert sorted(scores) == ["BJ", "GZ", "SH"]
    rule = findings["CSAT-4.2"]
    for site, values in scores.items():
        assert finding(rule, site=site)["value"] == pytest.approx(sum(values) / len(values))


def sequence_outcome(steps: dict[str, datetime], end: datetime) -> str:
    """received -> acknowledged <= 24 h -> resolved <= 5 d after received -> told <= 1 d after resolved."""
    bounds = [
        ("受理确认", "收到", timedelta(hours=24)),
        ("处理完成", "收到", timedelta(days=5)),
        ("告知客户", "处理完成", timedelta(days=1)),
    ]
    previous = "收到"
    for name, after, limit in bounds:
        if after not in steps:
            return "pending"
        due = steps[after] + limit
        if name in steps:
            if steps[name] < steps[previous] or steps[name] > due:
                return "breach"
        elif end > due:
            return "breach"
        else:
            return "pending"
        previous = name
    return "conform"


def test_feedback_handling_cases_from_the_workbook(findings) -> None:
    import openpyxl

    sheet = openpyxl.load_workbook(DEMO / "feedback_events.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    cases: dict[str, dict[str, datetime]] = defaultdict(dict)
    site_of: dict[str, str] = {}
    for values in rows[1:]:
        row = dict(zip(header, values, strict=True))
        when = row["发生时间"]
        when = when if isinstance(when, datetime) else moment(str(when))
        steps = cases[row["反馈编号"]]
        if row["环节"] not in steps or when < steps[row["环节"]]:
            steps[row["环节"]] = when  # the first event of each step counts
        if row["环节"] == "收到":
            site_of[row["反馈编号"]] = row["职场"]
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for case, steps in cases.items():
        if "收到" in steps and in_q3(steps["收到"]):
            outcomes[site_of[case]][sequence_outcome(steps, Q3[1])] += 1
    assert sorted(outcomes) == ["BJ", "GZ", "SH"]
    rule = findings["FEEDBACK-HANDLING"]
    for site, counted in outcomes.items():
        counts = finding(rule, site=site)["counts"]
        assert (counts["conforming"], counts["breached"], counts["pending"]) == (
            counted["conform"],
            counted["breach"],
            counted["pending"],
        )
    assert finding(rule, site="SH")["verdict"] == "nonconform"


def test_on_the_job_training_within_a_year_of_the_period_end(findings) -> None:
    active = {
        row["工号"]: row["职场"]
        for row in read_csv("agents.csv", "utf-8-sig")
        if row["在岗"] == "是"
    }
    latest: dict[str, date] = {}
    for row in read_csv_all("training.csv", "utf-8"):
        if row["course"] == "在岗培训" and row["agent_id"] in active:
            day = date.fromisoformat(row["completed_on"])
            latest[row["agent_id"]] = max(day, latest.get(row["agent_id"], day))
    cutoff = date(2026, 10, 1) - timedelta(days=365)
    stale = sorted(a for a in active if a not in latest or latest[a] < cutoff)
    rule = findings["TRAINED-12M"]
    pooled = rule["findings"][0]
    assert pooled["counts"]["n"] == len(active)
    assert pooled["counts"]["breached"] == len(stale)
    failing = {f for found in rule["findings"] for f in found["failing"]}
    assert failing == set(stale)


def read_csv_all(name: str, encoding: str) -> list[dict[str, str]]:
    """A CSV without bad rows whose key spans several columns: every row kept."""
    with (DEMO / name).open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def test_cost_per_contact_months_within_budget(findings) -> None:
    within: Counter[str] = Counter()
    months: Counter[str] = Counter()
    for row in read_csv_all("costs.csv", "utf-8-sig"):
        if not row["月份"].startswith(("2026-07", "2026-08", "2026-09")):
            continue
        months[row["职场"]] += 1
        within[row["职场"]] += float(row["单次接触成本"]) <= float(row["单次接触预算"])
    rule = findings["COST-PER-CONTACT"]
    for site, n in months.items():
        assert finding(rule, site=site)["value"] == pytest.approx(within[site] / n)
    assert sum(months.values()) == 9
    assert within["SH"] == months["SH"] - 1  # the planted August overrun


def test_improvement_plans_due_in_the_period_done_by_their_deadline(findings) -> None:
    due = on_time = 0
    for line in (DEMO / "improvement_plans.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        deadline = row["deadline"] and date.fromisoformat(row["deadline"])
        if not deadline or not date(2026, 7, 1) <= deadline <= date(2026, 9, 30):
            continue
        due += 1
        on_time += bool(row["done_on"]) and date.fromisoformat(row["done_on"]) <= deadline
    pooled = findings["IMPROVEMENT-ON-TIME"]["findings"][0]
    assert (pooled["counts"]["n"], pooled["counts"]["conforming"]) == (due, on_time)


# ------------------------------------------------------------------ the designed verdicts


def test_demo_audit_has_every_verdict_kind_designed(findings) -> None:
    kinds = {
        (rule["verdict"], rule["verdict_severity"] if rule["verdict"] == "nonconform" else None)
        for rule in findings.values()
    }
    assert kinds == {
        ("conform", None),
        ("observation", None),
        ("nonconform", "minor"),
        ("nonconform", "major"),
        ("not-evaluable", None),
        ("not-applicable", None),
    }
    assert findings["RESP-EMAIL-1D"]["verdict"] == "not-evaluable"
    assert findings["RISK-EVENT-REVIEW"]["verdict"] == "not-applicable"
    assert findings["PRIVACY-KEPT"]["verdict_severity"] == "major"


def test_the_chinese_report_of_the_demo_is_chinese(audit, tmp_path) -> None:
    """Only data words (field and enum names, ids), and the usual short allowlist, are Latin."""
    import re

    from .test_report import schema_1_1
    from .test_report_trust import Visible, data_words, html_of

    document = schema_1_1(audit[0].document)
    visible = Visible()
    visible.feed(html_of(document, "zh", tmp_path))
    text = " ".join(visible.text).replace("failing-records.csv", "").replace("findings.json", "")
    allowed = {"CSAT", "NPS", "Wilson", "ISO", "SHA", "JSON", "CAPA", "CI", "csv", "json", "xlsx"}
    latin = set(re.findall(r"[A-Za-z][A-Za-z_]+", text)) - data_words(document) - allowed
    assert latin == set()


# ------------------------------------------------------------------ the series and record measures
# Each figure is worked out again from the files with csv, json and scipy.

CHANNELS = {"电话", "在线客服", "邮件"}
Q2 = (datetime(2026, 4, 1), datetime(2026, 7, 1))


def contacts() -> list[dict[str, Any]]:
    """The contacts the ingest stores: bad rows (short, repeated key, impossible date, unknown
    channel) left out, times parsed."""
    kept = []
    for row in read_csv("interactions-2026Q2Q3.csv", "gb18030"):
        received = moment(row["受理时间"])
        if received is None or row["渠道"] not in CHANNELS:
            continue
        kept.append(
            {
                "id": row["接触编号"],
                "channel": row["渠道"],
                "site": row["职场"],
                "agent": row["坐席工号"],
                "customer": row["客户编号"],
                "matter": row["事项类别"],
                "received": received,
                "answered": moment(row["响应时间"]),
                "ended": moment(row["结束时间"]),
            }
        )
    return kept


def phone_outcomes(start: datetime, end: datetime) -> list[tuple[dict[str, Any], bool]]:
    """RESP-PHONE-30S by hand: phone calls in [start, end), hang-ups within 5 s left out,
    each with whether it was answered within 30 s."""
    judged = []
    for c in contacts():
        if c["channel"] != "电话" or not start <= c["received"] < end:
            continue
        wait = None if c["answered"] is None else c["answered"] - c["received"]
        hung_up = c["ended"] is not None and c["ended"] - c["received"] < timedelta(seconds=5)
        if wait is None and hung_up:
            continue
        judged.append((c, wait is not None and wait <= timedelta(seconds=30)))
    return judged


def test_site_gap_in_phone_answer_rate_and_its_chi_square(findings) -> None:
    from scipy.stats import chi2_contingency

    met: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for contact, in_time in phone_outcomes(*Q3):
        total[contact["site"]] += 1
        met[contact["site"]] += in_time
    pooled = sum(met.values()) / sum(total.values())
    shortfall = {site: (pooled - met[site] / n) * 100 for site, n in total.items()}
    rule = findings["CONS-SITE-PHONE"]
    assert rule["findings"][0]["value"] == pytest.approx(max(shortfall.values()), abs=1e-9)
    for site, points in shortfall.items():
        assert finding(rule, site=site)["value"] == pytest.approx(points, abs=1e-9)
    sites = sorted(total)
    table = [[met[s] for s in sites], [total[s] - met[s] for s in sites]]
    statistic, p_value, df, _ = chi2_contingency(table, correction=False)
    test = rule["findings"][0]["details"]["dispersion"]["test"]
    assert (test["statistic"], test["df"]) == (pytest.approx(statistic, rel=1e-9), df)
    assert test["p_value"] == pytest.approx(p_value, rel=1e-6)
    assert max(shortfall, key=shortfall.__getitem__) == "SH" and rule["verdict"] == "nonconform"


def test_repeat_contacts_within_7_days_per_site(findings) -> None:
    """A Q3 contact is breached by a later contact of the same customer and matter within
    7 days (dated before the period end), pending when its 7 days reach past the end."""
    everyone = contacts()
    by_pair: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for c in everyone:
        by_pair[(c["customer"], c["matter"])].append((c["received"], c["id"]))
    window, end = timedelta(days=7), Q3[1]
    counted: dict[str, Counter[str]] = defaultdict(Counter)
    for c in everyone:
        if not in_q3(c["received"]):
            continue
        later = [
            other
            for other in by_pair[(c["customer"], c["matter"])]
            if other > (c["received"], c["id"]) and other[0] < end
        ]
        if later and min(later)[0] - c["received"] <= window:
            counted[c["site"]]["breach"] += 1
        elif c["received"] + window >= end:
            counted[c["site"]]["pending"] += 1
        else:
            counted[c["site"]]["conform"] += 1
    rule = findings["FCR-REPEAT-7D"]
    for site, outcome in counted.items():
        counts = finding(rule, site=site)["counts"]
        assert (counts["conforming"], counts["breached"], counts["pending"]) == (
            outcome["conform"],
            outcome["breach"],
            outcome["pending"],
        )
    conform = sum(o["conform"] for o in counted.values())
    judged = conform + sum(o["breach"] for o in counted.values())
    assert rule["findings"][0]["value"] == pytest.approx(conform / judged, abs=1e-12)
    shares = {site: o["conform"] / (o["conform"] + o["breach"]) for site, o in counted.items()}
    assert min(shares, key=shares.__getitem__) == "SH"  # the planted repeat callers


def responses() -> list[dict[str, Any]]:
    """The stored survey responses: bad JSON, repeated ids and impossible dates left out."""
    kept, seen = [], set()
    for line in (DEMO / "survey_responses.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row["response_id"] in seen or moment(row["answered_at"]) is None:
            continue
        seen.add(row["response_id"])
        kept.append(row)
    return kept


def test_survey_response_rate_per_site(findings) -> None:
    answered = {row["invitation_id"] for row in responses()}
    sent: Counter[str] = Counter()
    back: Counter[str] = Counter()
    for row in read_csv("survey_invitations.csv", "utf-8"):
        if in_q3(moment(row["sent_at"])):
            sent[row["site"]] += 1
            back[row["site"]] += row["invitation_id"] in answered
    rule = findings["SURVEY-RESPONSE-RATE"]
    for site, n in sent.items():
        found = finding(rule, site=site)
        assert (found["counts"]["n"], found["counts"]["conforming"]) == (n, back[site])
    assert back["SH"] / sent["SH"] < 0.3 < sum(back.values()) / sum(sent.values())


def test_training_valid_on_the_day_of_each_contact(findings) -> None:
    trained: dict[str, list[datetime]] = defaultdict(list)
    for row in read_csv_all("training.csv", "utf-8"):
        if row["course"] == "在岗培训":
            trained[row["agent_id"]].append(datetime.fromisoformat(row["completed_on"]))
    judged: Counter[str] = Counter()
    valid: Counter[str] = Counter()
    for c in contacts():
        if not in_q3(c["received"]) or c["answered"] is None or not c["agent"]:
            continue
        judged[c["site"]] += 1
        valid[c["site"]] += any(
            day <= c["received"] <= day + timedelta(days=365) for day in trained[c["agent"]]
        )
    rule = findings["TRAINED-AT-CONTACT"]
    for site, n in judged.items():
        found = finding(rule, site=site)
        assert (found["counts"]["n"], found["counts"]["conforming"]) == (n, valid[site])
    assert valid["BJ"] == judged["BJ"] and valid["SH"] < judged["SH"]


def test_monthly_review_missing_in_august(findings) -> None:
    held: Counter[str] = Counter(
        row["held_on"][:7]
        for row in read_csv("quality_reviews.csv", "utf-8")
        if row["kind"] == "月度质量检查"
    )
    months = ["2026-07", "2026-08", "2026-09"]
    missing = [m for m in months if not held[m]]
    assert missing == ["2026-08"]
    rule = findings["MONTHLY-REVIEW"]
    pooled = rule["findings"][0]
    assert pooled["value"] == pytest.approx(2 / 3) and pooled["failing"] == missing
    for month in months:
        assert finding(rule, month)["value"] == held[month]
        assert finding(rule, month)["verdict"] == ("nonconform" if month in missing else "conform")


def test_satisfaction_trend_is_the_least_squares_slope_of_monthly_means(findings) -> None:
    from scipy.stats import linregress
    from scipy.stats import t as student_t

    scores: dict[str, list[int]] = defaultdict(list)
    for row in responses():
        if row["csat"] is not None:
            scores[row["answered_at"][:7]].append(row["csat"])
    months = [f"2026-{m:02d}" for m in range(4, 10)]
    means = [sum(scores[m]) / len(scores[m]) for m in months]
    fit = linregress(range(len(months)), means)
    trend = findings["CSAT-TREND"]["findings"][0]
    details = trend["details"]["trend"]
    half = student_t.ppf(0.975, len(months) - 2) * fit.stderr
    assert trend["value"] == pytest.approx(fit.slope, abs=1e-12)
    assert (details["low"], details["high"]) == (
        pytest.approx(fit.slope - half, abs=1e-9),
        pytest.approx(fit.slope + half, abs=1e-9),
    )
    assert [p["value"] for p in details["periods"]] == pytest.approx(means)
    assert details["change"]["value"] == pytest.approx(means[-1] - means[-2])


def test_phone_control_chart_centre_and_points_beyond_3_sigma(findings) -> None:
    baseline = phone_outcomes(*Q2)
    centre = sum(in_time for _, in_time in baseline) / len(baseline)
    days: dict[str, list[bool]] = defaultdict(list)
    for contact, in_time in phone_outcomes(*Q3):
        days[contact["received"].strftime("%Y-%m-%d")].append(in_time)
    chart = findings["PHONE-CONTROL"]["findings"][0]["details"]["control_chart"]
    assert (chart["baseline_n"], chart["centre"]) == (len(baseline), pytest.approx(centre))
    below = set()
    for point in chart["points"]:
        outcomes = days[point["day"]]
        sigma = (centre * (1 - centre) / len(outcomes)) ** 0.5
        assert point["n"] == len(outcomes)
        assert point["value"] == pytest.approx(sum(outcomes) / len(outcomes))
        assert point["lcl3"] == pytest.approx(centre - 3 * sigma)
        if sum(outcomes) / len(outcomes) < centre - 3 * sigma:
            below.add(point["day"])
    assert sorted(point["day"] for point in chart["points"]) == sorted(days)
    assert below == {s["day"] for s in chart["signals"] if s["rule"] == 1}
    assert below and findings["PHONE-CONTROL"]["verdict"] == "observation"
