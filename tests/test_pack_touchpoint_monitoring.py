"""The touchpoint-monitoring pack and its demo evidence.

The pack loads and covers the standard; the demo audit (run once per session) gives the
verdict kinds the evidence was designed for; and several rules' figures equal a computation
that reads the evidence files directly (GB18030 CSV, JSONL, XLSX) and applies each rule's
logic by hand, without the project's ingest or engine.
"""

from __future__ import annotations

import csv
import json
import math
import re
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from auditor import load_pack
from auditor.cli import main

from .conftest import ROOT, RULES

PACK = RULES / "touchpoint-monitoring.yaml"
DEMO = ROOT / "evidence" / "demo" / "touchpoint-monitoring"
Q3_START, Q3_END = datetime(2026, 7, 1), datetime(2026, 10, 1)
CHANNELS = {"热线电话": "phone", "在线客服": "chat", "手机APP": "app", "营业柜台": "counter"}
CATEGORIES = {"账单", "技术故障", "账户", "投诉", "其他"}


@pytest.fixture(scope="session")
def tp_audit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The touchpoint-monitoring demo audited for 2026-Q3: findings.json as a dict."""
    from auditor.audit import run_audit

    out = tmp_path_factory.mktemp("touchpoint-audit")
    return run_audit(PACK, DEMO, out, "2026-Q3").document


def rule_of(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in document["rules"] if r["rule"] == rule_id)


def finding(document: dict[str, Any], finding_id: str) -> dict[str, Any]:
    rule = rule_of(document, finding_id.split("@")[0])
    return next(f for f in rule["findings"] if f["id"] == finding_id)


def moment(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------ reading the files by hand


def contacts() -> list[dict[str, Any]]:
    """The contact export (GB18030, Chinese headers), without the rows an ingest must refuse."""
    path = DEMO / "touchpoint-contacts-2026Q2-Q3.csv"
    rows, seen = [], set()
    with path.open(encoding="gb18030", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header[:3] == ["服务流水号", "渠道", "服务中心"]
        for cells in reader:
            if len(cells) != len(header):
                continue
            raw = dict(zip(header, cells, strict=True))
            received = moment(raw["受理时间"])
            if received is None or raw["渠道"] not in CHANNELS or raw["业务类型"] not in CATEGORIES:
                continue
            if raw["服务流水号"] in seen:
                continue
            seen.add(raw["服务流水号"])
            rows.append(
                {
                    "id": raw["服务流水号"],
                    "customer": raw["客户编号"],
                    "category": raw["业务类型"],
                    "channel": CHANNELS[raw["渠道"]],
                    "site": raw["服务中心"],
                    "complaint": raw["业务类型"] == "投诉",
                    "received": received,
                    "answered": moment(raw["接通时间"]),
                    "ended": moment(raw["结束时间"]),
                }
            )
    return rows


def in_q3(when: datetime | None) -> bool:
    return when is not None and Q3_START <= when < Q3_END


def responses() -> list[dict[str, Any]]:
    rows, seen = [], set()
    for line in (DEMO / "survey_responses.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            raw = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(raw, dict) or raw["channel"] not in CHANNELS.values():
            continue
        answered = moment(raw["answered_at"])
        if answered is None or raw["response_id"] in seen:
            continue
        seen.add(raw["response_id"])
        rows.append({"site": raw["site"], "answered": answered, "csat": raw["csat"]})
    return rows


# ------------------------------------------------------------ the pack


def test_pack_loads_and_covers_the_standard() -> None:
    pack = load_pack(PACK)
    assert pack.id == "touchpoint-monitoring" and pack.standard.id == "touchpoint-monitoring"
    assert 30 <= len(pack.rules) <= 40
    measurable = {c.id for c in pack.standard.clauses.values() if c.assessment == "measurable"}
    covered = {r.clause for r in pack.rules}
    # every measurable clause has a rule: nothing needs a not_covered reason
    assert measurable - covered == set() and not pack.not_covered
    assert not pack.warnings
    # a rule with a number of the pack's own choosing says how it reads its clause
    for rule in pack.rules:
        assert rule.interpretation is not None or rule.measure.name in {"manual", "condition"}
    # checklist items the standard does not ask for say that they are the pack's own
    for rule_id in ("DATA-ACCESS-REVIEW", "DATA-RETENTION", "DATA-SHARING-APPROVED"):
        rule = pack.rule(rule_id)
        assert rule is not None and rule.interpretation is not None, rule_id
        interpretation = rule.interpretation
        assert "本规则包选择" in interpretation.zh, rule_id
        assert "this pack's choice" in interpretation.en, rule_id
    for rule in pack.rules:
        assert rule.title.zh and rule.title.en
        assert rule.capa.action.zh and rule.capa.action.en and rule.capa.owner
    grouped = {r.id for r in pack.rules if r.group_by}
    assert {"ANSWER-RATE", "CSAT-SATISFIED", "NORMS-FOLLOWED", "WARN-LOOP"} <= grouped


def test_pack_check_passes_on_the_command_line(runner) -> None:
    result = runner.invoke(main, ["pack", "check", str(PACK)])
    assert result.exit_code == 0, result.output
    assert "coverage of touchpoint-monitoring" in result.output


def test_demo_has_every_verdict_kind(tp_audit: dict[str, Any]) -> None:
    kinds = {
        (r["verdict"], r["verdict_severity"] if r["verdict"] == "nonconform" else None)
        for r in tp_audit["rules"]
    }
    assert kinds >= {
        ("conform", None),
        ("observation", None),
        ("nonconform", "minor"),
        ("nonconform", "major"),
        ("not-evaluable", None),
        ("not-applicable", None),
    }
    assert rule_of(tp_audit, "COUNTER-WAIT-15MIN")["verdict"] == "not-evaluable"
    assert rule_of(tp_audit, "DATA-SHARING-APPROVED")["verdict"] == "not-applicable"
    assert rule_of(tp_audit, "DATA-ACCESS-REVIEW")["verdict_severity"] == "major"


# ------------------------------------------------------------ figures computed by hand


def test_answer_rate_per_site_matches_the_export(tp_audit: dict[str, Any]) -> None:
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in contacts():
        if c["channel"] == "counter" or not in_q3(c["received"]):
            continue
        if c["answered"] is None and c["ended"] - c["received"] < timedelta(seconds=5):
            continue  # abandoned within 5 s: excluded
        tally[c["site"]][0] += c["answered"] is not None
        tally[c["site"]][1] += 1
    for site, (answered, n) in tally.items():
        got = finding(tp_audit, f"ANSWER-RATE@site={site}")
        assert got["counts"]["n"] == n
        assert got["value"] == pytest.approx(answered / n, abs=1e-12)
    worst = min(tally, key=lambda s: tally[s][0] / tally[s][1])
    assert worst == "WH" and tally["WH"][0] / tally["WH"][1] < 0.9
    assert rule_of(tp_audit, "ANSWER-RATE")["verdict"] == "nonconform"


def test_phone_20s_per_site_and_month_and_the_gz_drift(tp_audit: dict[str, Any]) -> None:
    tally: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for c in contacts():
        if c["channel"] != "phone" or c["answered"] is None:
            continue
        key = (c["site"], c["received"].month)
        tally[key][0] += c["answered"] - c["received"] <= timedelta(seconds=20)
        tally[key][1] += 1
    for (site, month), (fast, n) in tally.items():
        if month < 7:
            continue
        got = finding(tp_audit, f"RESP-PHONE-20S@site={site}@2026-{month:02d}")
        assert got["value"] == pytest.approx(fast / n, abs=1e-12)
    pooled = [
        sum(tally[(s, m)][i] for s in ("BJ", "SH", "GZ", "WH") for m in (7, 8, 9)) for i in (0, 1)
    ]
    assert rule_of(tp_audit, "RESP-PHONE-20S")["findings"][0]["value"] == pytest.approx(
        pooled[0] / pooled[1], abs=1e-12
    )
    # the drift the early-warning chart is to find: GZ fine in the Q2 baseline, poor in September
    baseline = [sum(tally[("GZ", m)][i] for m in (4, 5, 6)) for i in (0, 1)]
    assert baseline[0] / baseline[1] > 0.9
    assert tally[("GZ", 9)][0] / tally[("GZ", 9)][1] < 0.6


def test_complaints_per_1000_matches_the_export(tp_audit: dict[str, Any]) -> None:
    q3 = [c for c in contacts() if in_q3(c["received"])]
    expected = 1000 * sum(c["complaint"] for c in q3) / len(q3)
    got = rule_of(tp_audit, "COMPLAINTS-PER-1000")["findings"][0]
    assert got["value"] == pytest.approx(expected, abs=1e-9)


def test_satisfaction_figures_match_the_survey_file(tp_audit: dict[str, Any]) -> None:
    scored = [r for r in responses() if in_q3(r["answered"]) and r["csat"] is not None]
    mean = rule_of(tp_audit, "CSAT-MEAN")["findings"][0]
    assert mean["value"] == pytest.approx(statistics.fmean(r["csat"] for r in scored), abs=1e-12)
    wh = [r["csat"] for r in scored if r["site"] == "WH"]
    got = finding(tp_audit, "CSAT-SATISFIED@site=WH")
    assert got["value"] == pytest.approx(sum(s >= 4 for s in wh) / len(wh), abs=1e-12)
    assert got["verdict"] == "nonconform"


def test_mystery_score_mean_matches_the_workbook(tp_audit: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(DEMO / "mystery_shops-2026.xlsx", read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = list(rows[0])
    at, score = header.index("暗访时间"), header.index("综合得分")
    values = [r[score] for r in rows[1:] if in_q3(r[at])]
    got = rule_of(tp_audit, "MYSTERY-SCORE")["findings"][0]
    assert got["value"] == pytest.approx(statistics.fmean(values), abs=1e-9)


def test_outage_restoration_matches_the_log(tp_audit: dict[str, Any]) -> None:
    with (DEMO / "outages.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    late = ok = 0
    for row in rows:
        start, end = moment(row["started_at"]), moment(row["ended_at"])
        if row["planned"] == "true" or not in_q3(start):
            continue
        assert start is not None and end is not None
        ok += end - start <= timedelta(hours=2)
        late += end - start > timedelta(hours=2)
    got = rule_of(tp_audit, "OUTAGE-RESTORED-2H")["findings"][0]
    assert (got["counts"]["conforming"], got["counts"]["breached"]) == (ok, late)
    assert rule_of(tp_audit, "OUTAGE-RESTORED-2H")["verdict_severity"] == "major"


def _loop_outcome(steps: dict[str, datetime], period_end: datetime) -> str:
    """The warning loop judged by hand: warned 30 min, handled 24 h, fed back 72 h."""
    bounds = [("warned", 30 * 60), ("handled", 24 * 3600), ("fed_back", 72 * 3600)]
    previous = steps["detected"]
    for name, seconds in bounds:
        bound = previous + timedelta(seconds=seconds)
        when = steps.get(name)
        if when is None:
            return "breach" if bound < period_end else "pending"
        if when < previous or when > bound:
            return "breach"
        previous = when
    return "conform"


def test_warning_loop_matches_the_event_log(tp_audit: dict[str, Any]) -> None:
    first: dict[str, dict[str, datetime]] = defaultdict(dict)
    with (DEMO / "warning_events.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            when = moment(row["at"])
            assert when is not None
            steps = first[row["warning_id"]]
            if row["event"] not in steps or when < steps[row["event"]]:
                steps[row["event"]] = when
    outcomes = [
        _loop_outcome(steps, Q3_END)
        for steps in first.values()
        if "detected" in steps and in_q3(steps["detected"])
    ]
    counts = rule_of(tp_audit, "WARN-LOOP")["findings"][0]["counts"]
    assert counts["conforming"] == outcomes.count("conform")
    assert counts["breached"] == outcomes.count("breach")
    assert counts["pending"] == outcomes.count("pending")


# ------------------------------------------------------------ rules on the new measures, by hand


def _answer_tally() -> dict[str, list[int]]:
    """ANSWER-RATE by hand, per site in Q3: [answered, judged]."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in contacts():
        if c["channel"] == "counter" or not in_q3(c["received"]):
            continue
        if c["answered"] is None and c["ended"] - c["received"] < timedelta(seconds=5):
            continue
        tally[c["site"]][0] += c["answered"] is not None
        tally[c["site"]][1] += 1
    return tally


def test_site_dispersion_of_the_answer_rate_matches_scipy(tp_audit: dict[str, Any]) -> None:
    from scipy.stats import chi2_contingency

    tally = _answer_tally()
    sites = sorted(tally)
    table = [[tally[s][0], tally[s][1] - tally[s][0]] for s in sites]
    statistic, p_value, df, _ = chi2_contingency(table, correction=False)
    pooled = sum(a for a, _ in tally.values()) / sum(n for _, n in tally.values())
    shortfall = {s: 100 * (pooled - tally[s][0] / tally[s][1]) for s in sites}
    got = rule_of(tp_audit, "CONS-SITE-ANSWER")["findings"][0]
    assert got["value"] == pytest.approx(max(shortfall.values()), abs=1e-9)
    test = got["details"]["dispersion"]["test"]
    assert test["df"] == df == 3
    assert test["statistic"] == pytest.approx(statistic, rel=1e-9)
    assert test["p_value"] == pytest.approx(p_value, rel=1e-6)
    # WH more than 5 points under the pooled rate; every other site above it
    assert max(shortfall, key=lambda s: shortfall[s]) == "WH" and shortfall["WH"] > 5
    assert finding(tp_audit, "CONS-SITE-ANSWER@site=WH")["verdict"] == "nonconform"
    assert all(shortfall[s] < 0 for s in sites if s != "WH")


def test_site_dispersion_of_satisfaction_matches_scipy_anova(tp_audit: dict[str, Any]) -> None:
    from scipy.stats import f_oneway

    scores: dict[str, list[int]] = defaultdict(list)
    for r in responses():
        if in_q3(r["answered"]) and r["csat"] is not None:
            scores[r["site"]].append(r["csat"])
    pooled = statistics.fmean(s for values in scores.values() for s in values)
    got = rule_of(tp_audit, "CONS-SITE-CSAT")["findings"][0]
    assert got["value"] == pytest.approx(
        max(pooled - statistics.fmean(v) for v in scores.values()), abs=1e-12
    )
    anova = f_oneway(*(scores[s] for s in sorted(scores)))
    test = got["details"]["dispersion"]["test"]
    assert test["statistic"] == pytest.approx(anova.statistic, rel=1e-9)
    assert test["p_value"] == pytest.approx(anova.pvalue, rel=1e-6)
    assert rule_of(tp_audit, "CONS-SITE-CSAT")["verdict"] == "nonconform"


def test_repeat_contacts_match_the_export(tp_audit: dict[str, Any]) -> None:
    """REPEAT-7D by hand: same customer and matter again within 7 days (7 days exactly counts);
    a contact whose 7 days run past the period end without a repeat is pending."""
    rows = [c for c in contacts() if c["received"] < Q3_END]
    later: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for c in rows:
        later[(c["customer"], c["category"])].append(c)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # conform, breach, pending
    for c in rows:
        if not in_q3(c["received"]):
            continue
        repeated = any(
            (o["received"], o["id"]) > (c["received"], c["id"])
            and o["received"] - c["received"] <= timedelta(days=7)
            for o in later[(c["customer"], c["category"])]
        )
        if repeated:
            tally[c["site"]][1] += 1
        elif c["received"] + timedelta(days=7) >= Q3_END:
            tally[c["site"]][2] += 1
        else:
            tally[c["site"]][0] += 1
    for site, (ok, repeat, pending) in tally.items():
        counts = finding(tp_audit, f"REPEAT-7D@site={site}")["counts"]
        got = (counts["conforming"], counts["breached"], counts["pending"])
        assert got == (ok, repeat, pending)
    ok, repeat = (sum(t[i] for t in tally.values()) for i in (0, 1))
    assert rule_of(tp_audit, "REPEAT-7D")["findings"][0]["value"] == pytest.approx(
        ok / (ok + repeat), abs=1e-12
    )
    wh = tally["WH"][0] / (tally["WH"][0] + tally["WH"][1])
    assert wh < 0.75 < ok / (ok + repeat)


def test_survey_response_rate_matches_the_files(tp_audit: dict[str, Any]) -> None:
    answered = {
        json.loads(line).get("invitation_id")
        for line in (DEMO / "survey_responses.jsonl").read_text(encoding="utf-8").splitlines()
        if line.startswith("{") and line.endswith("}")
    }
    with (DEMO / "survey_invitations.csv").open(encoding="utf-8-sig", newline="") as handle:
        sent = [r for r in csv.DictReader(handle) if in_q3(moment(r["发送时间"]))]
    got = rule_of(tp_audit, "SURVEY-RESPONSE")["findings"][0]
    assert got["counts"]["n"] == len(sent)
    hits = sum(r["邀请编号"] in answered for r in sent)
    assert got["value"] == pytest.approx(hits / len(sent), abs=1e-12)


def _open_seconds_down(intervals: list[tuple[datetime, datetime]]) -> float:
    """Seconds of Q3 service hours (08:00-22:00 every day) under the union of the intervals."""
    down = 0.0
    day = Q3_START
    while day < Q3_END:
        opens, closes = day + timedelta(hours=8), day + timedelta(hours=22)
        clipped = sorted(
            (max(s, opens), min(e, closes)) for s, e in intervals if s < closes and e > opens
        )
        reach = opens
        for start, end in clipped:
            start = max(start, reach)
            if end > start:
                down += (end - start).total_seconds()
                reach = end
        day += timedelta(days=1)
    return down


def test_channel_availability_matches_the_outage_log(tp_audit: dict[str, Any]) -> None:
    with (DEMO / "outages.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["site"] == "ALL"]
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for row in rows:
        start, end = moment(row["started_at"]), moment(row["ended_at"])
        assert start is not None and end is not None
        spans[row["channel"]].append((start, end))
    open_seconds = 92 * 14 * 3600
    for channel, intervals in spans.items():
        got = finding(tp_audit, f"AVAIL-CHANNEL@channel={channel}")
        expected = 1 - _open_seconds_down(intervals) / open_seconds
        assert got["value"] == pytest.approx(expected, abs=1e-12)
        assert got["verdict"] == ("nonconform" if channel == "app" else "conform")
    everything = [span for intervals in spans.values() for span in intervals]
    pooled = rule_of(tp_audit, "AVAIL-CHANNEL")["findings"][0]
    assert pooled["value"] == pytest.approx(
        1 - _open_seconds_down(everything) / open_seconds, abs=1e-12
    )
    # judged channel by channel: the app alone fails
    assert rule_of(tp_audit, "AVAIL-CHANNEL")["verdict_severity"] == "major"


def test_the_missing_monthly_analysis_meeting(tp_audit: dict[str, Any]) -> None:
    with (DEMO / "reviews.csv").open(encoding="utf-8-sig", newline="") as handle:
        held = [
            datetime.strptime(r["召开日期"], "%Y-%m-%d")
            for r in csv.DictReader(handle)
            if r["会议类型"] == "月度质量分析会"
        ]
    months = {d.month for d in held if in_q3(d)}
    missing = sorted({7, 8, 9} - months)
    assert missing == [8]
    rule = rule_of(tp_audit, "ANALYSIS-MONTHLY")
    assert rule["findings"][0]["value"] == pytest.approx(len(months) / 3, abs=1e-12)
    failing = [f["id"] for f in rule["findings"][1:] if f["verdict"] == "nonconform"]
    assert failing == [f"ANALYSIS-MONTHLY@2026-{m:02d}" for m in missing]


def test_satisfaction_trend_matches_a_least_squares_fit(tp_audit: dict[str, Any]) -> None:
    from scipy.stats import linregress
    from scipy.stats import t as student

    monthly: dict[int, list[int]] = defaultdict(list)
    for r in responses():
        if r["csat"] is not None and r["answered"] < Q3_END:
            monthly[r["answered"].month].append(r["csat"])
    months = list(range(4, 10))
    fit = linregress(months, [statistics.fmean(monthly[m]) for m in months])
    got = rule_of(tp_audit, "CSAT-TREND")["findings"][0]
    assert got["value"] == pytest.approx(fit.slope, abs=1e-12)
    trend = got["details"]["trend"]
    half = student.ppf(0.975, len(months) - 2) * fit.stderr
    assert (trend["low"], trend["high"]) == pytest.approx((fit.slope - half, fit.slope + half))
    assert got["verdict"] == ("nonconform" if fit.slope + half < 0 else "conform")


def test_control_chart_points_and_beyond_3_sigma_days(tp_audit: dict[str, Any]) -> None:
    """EW-PHONE-20S by hand: the Q2 share of calls answered within 20 s is the centre; a Q3
    day of n calls is beyond 3 sigma below it when its share < p - 3 sqrt(p(1 - p)/n)."""
    days: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for c in contacts():
        if c["channel"] != "phone" or c["answered"] is None or c["received"] >= Q3_END:
            continue
        day = c["received"].replace(hour=0, minute=0, second=0)
        days[day][0] += c["answered"] - c["received"] <= timedelta(seconds=20)
        days[day][1] += 1
    base = [v for d, v in days.items() if d < Q3_START]
    centre = sum(f for f, _ in base) / sum(n for _, n in base)
    got = rule_of(tp_audit, "EW-PHONE-20S")["findings"][0]
    chart = got["details"]["control_chart"]
    assert chart["centre"] == pytest.approx(centre, abs=1e-12)
    assert chart["baseline_n"] == sum(n for _, n in base)
    q3 = {d.date().isoformat(): v for d, v in days.items() if in_q3(d)}
    assert [p["day"] for p in chart["points"]] == sorted(q3)
    beyond = sorted(
        day
        for day, (fast, n) in q3.items()
        if fast / n < centre - 3 * math.sqrt(centre * (1 - centre) / n)
    )
    assert sorted(s["day"] for s in chart["signals"] if s["rule"] == 1) == beyond
    # the GZ hotline drifts from 15 August: the chart warns within a fortnight, not before
    assert "2026-08-15" < beyond[0] < "2026-08-29"
    assert got["verdict"] == "observation" and f"since {beyond[0]}" in got["explanation"]


# ------------------------------------------------------------ the evidence itself


def test_demo_evidence_spans_the_baseline_and_is_reproducible(tmp_path: Path) -> None:
    from auditor.synth import SynthOptions, synthesise

    received = [c["received"] for c in contacts()]
    assert min(received).date().isoformat() == "2026-04-01"
    assert max(received).date().isoformat() == "2026-09-30"
    synthesise(load_pack(PACK), tmp_path, SynthOptions(seed=1))
    for path in sorted(DEMO.iterdir()):
        again = tmp_path / path.name
        if path.suffix == ".xlsx":
            books = [openpyxl.load_workbook(p, read_only=True) for p in (path, again)]
            rows = [list(b.worksheets[0].iter_rows(values_only=True)) for b in books]
            for book in books:
                book.close()
            assert rows[0] == rows[1], path.name
        else:
            assert path.read_bytes() == again.read_bytes(), path.name


def test_the_chinese_report_is_chinese(tp_audit: dict[str, Any], tmp_path: Path) -> None:
    """Rule ids, data values and file names aside, the zh report has no English words."""
    import re

    from .test_report import schema_1_1
    from .test_report_trust import Visible, data_words, html_of

    document = schema_1_1(tp_audit)
    visible = Visible()
    visible.feed(html_of(document, "zh", tmp_path))
    text = " ".join(visible.text).replace("failing-records.csv", "").replace("findings.json", "")
    allowed = {"CSAT", "APP", "Wilson", "ISO", "SHA", "JSON", "CAPA", "CI", "csv", "json", "xlsx"}
    english = set(re.findall(r"[A-Za-z][A-Za-z_]+", text)) - data_words(document) - allowed
    assert english == set(), sorted(english)


def test_availability_figures_give_the_value_beside_them(tp_audit: dict[str, Any]) -> None:
    """The group table's figures for an availability are what its value is worked out from:
    one less the outage over the open time (``down / open`` alone read as 0.17 %, not 99.8 %)."""
    from auditor.findings import sentences
    from auditor.findings.contract import FindingsDocument
    from auditor.i18n import Words

    document = FindingsDocument.from_data(tp_audit)
    rule = next(r for r in document.rules if r.rule == "AVAIL-COUNTER")
    shown = [f for f in rule.findings if f.value is not None]
    assert shown
    for entry in shown:
        text = sentences.figures(entry, rule, Words("en"))
        match = re.fullmatch(
            r"1 − ([\d.,]+)\s+business\s+hours / ([\d.,]+)\s+business\s+hours\s.*", text
        )
        assert match is not None, text
        down, open_ = (float(g.replace(",", "")) for g in match.groups())
        # the figures as printed (2.2 of 1,288 hours) give the value to their own precision
        assert 1 - down / open_ == pytest.approx(entry.value, abs=1e-4)
