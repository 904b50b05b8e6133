"""The touchpoint-monitoring pack and its demo evidence.

The pack loads and covers the standard; the demo audit (run once per session) gives the
verdict kinds the evidence was designed for; and several rules' figures equal a computation
that reads the evidence files directly (GB18030 CSV, JSONL, XLSX) and applies each rule's
logic by hand, without the project's ingest or engine.
"""

from __future__ import annotations

import csv
import json
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
    assert 15 <= len(pack.rules) <= 25
    measurable = {c.id for c in pack.standard.clauses.values() if c.assessment == "measurable"}
    covered = {r.clause for r in pack.rules}
    # 4.2 (early warning), 5.1 (survey response rate) and 7.1 (quarterly evaluation) wait for
    # measures still to come: see the pending drafts named in the report.
    assert measurable - covered == {"4.2", "5.1", "7.1"}
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
