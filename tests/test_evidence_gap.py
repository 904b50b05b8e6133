"""An audit period whose start or end holds no record: one warning, on the console, in
findings.json and in the reports, with the months a monthly rule has no finding for.

Expected days and dates are counted by hand on a calendar.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.audit import run_audit
from auditor.backends.engines import engines, open_backend
from auditor.backends.store import EvidenceStore
from auditor.cli import main
from auditor.evidence_span import kind_coverage
from auditor.ingest import ingest
from auditor.pack import load_pack
from auditor.periods import parse_period
from auditor.report import render_reports

from .conftest import STANDARDS, needs_spark

GAP_PACK = """\
pack: gap-test
version: 1.0.0
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  tickets:
    key: ticket_id
    time: opened_at
    fields:
      ticket_id: string
      opened_at: timestamp
      solved_at: timestamp?
      status: {type: enum, values: [open, closed]}
rules:
  - id: CLOSED
    clause: "3.3.3"
    title: {zh: 已关闭, en: Closed}
    evidence: tickets
    condition: status == "closed"
    target: 50%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
  - id: CLOSED-MONTHLY
    clause: "3.3.3"
    title: {zh: 每月关闭, en: Closed by month}
    evidence: tickets
    condition: status == "closed"
    target: 50%
    severity: minor
    min_records: 1
    period: month
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""

#: the same tickets judged by when they were solved (a rule's own time field)
SOLVED_RULE = """\
  - id: SOLVED
    clause: "3.3.3"
    title: {zh: 已解决, en: Solved}
    evidence: tickets
    time: solved_at
    condition: status == "closed"
    target: 50%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""

HEADER = "ticket_id,opened_at,solved_at,status\n"

END_LINE = (
    "evidence ends 2026-05-23: the last 38 days of 2026-Q2 (2026-05-24 to 2026-06-30) hold "
    "no record the rules judge; no finding for 2026-06"
)


def evidence(folder: Path, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tickets.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    return folder


def pack_at(tmp_path: Path, text: str = GAP_PACK) -> Path:
    (tmp_path / "standards").symlink_to(STANDARDS)
    (tmp_path / "rules").mkdir()
    path = tmp_path / "rules" / "gap.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def april_to(last_day: str) -> list[str]:
    """Tickets on 1 April and on ``last_day`` (Shanghai time), one closed, one open."""
    return [
        "A,2026-04-01 09:00:00,2026-04-01 10:00:00,closed\n",
        f"B,{last_day} 23:30:00,,open\n",
    ]


def gap_warnings(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The evidence-gap warnings, without the other warnings' fields (null in them)."""
    warnings = document["summary"]["warnings"]
    return [
        {name: value for name, value in w.items() if value is not None}
        for w in warnings
        if w["code"] == "evidence-gap"
    ]


def test_a_quarter_whose_last_38_days_hold_no_record_is_warned_everywhere(
    tmp_path: Path, runner: Any
) -> None:
    """Evidence ending 23 May: 24-31 May (8 days) and June (30 days) hold nothing, 38 days;
    the monthly rule has no finding for June, and the warning says so."""
    pack = pack_at(tmp_path)
    folder = evidence(tmp_path / "ev", april_to("2026-05-23"))
    shown = runner.invoke(
        main,
        ["audit", str(pack), str(folder), "--out", str(tmp_path / "out"), "--period", "2026-Q2"],
    )
    assert f"warning: {END_LINE}\n" in shown.output
    document = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert gap_warnings(document) == [
        {
            "code": "evidence-gap",
            "edge": "end",
            "first": "2026-05-24",
            "last": "2026-06-30",
            "days": 38,
            "no_finding": ["2026-06"],
        }
    ]
    monthly = next(r for r in document["rules"] if r["rule"] == "CLOSED-MONTHLY")
    assert [f["period"] for f in monthly["findings"]] == ["2026-Q2", "2026-04", "2026-05"]
    for lang, text in (
        ("en", END_LINE),
        (
            "zh",
            "证据止于 2026-05-23:2026-Q2 的最后 38 天(2026-05-24 至 2026-06-30)没有"
            "任何规则所判定的记录;2026-06 无发现",
        ),
    ):
        render_reports(document, tmp_path / f"report-{lang}", ("html",), lang)
        html = (tmp_path / f"report-{lang}" / "report.html").read_text(encoding="utf-8")
        assert f'<li class="warning">{text}</li>' in html


def test_a_late_start_is_warned_and_a_month_with_findings_is_not_named(tmp_path: Path) -> None:
    """Evidence from 9 April: 1-8 April, 8 days, hold nothing; April still has a finding."""
    pack = pack_at(tmp_path)
    rows = ["A,2026-04-09 00:10:00,,closed\n", "B,2026-06-30 23:59:00,,open\n"]
    result = run_audit(pack, evidence(tmp_path / "ev", rows), tmp_path / "out", "2026-Q2")
    assert gap_warnings(result.document) == [
        {
            "code": "evidence-gap",
            "edge": "start",
            "first": "2026-04-01",
            "last": "2026-04-08",
            "days": 8,
            "no_finding": [],
        }
    ]


@pytest.mark.parametrize(("today", "warned"), [("2026-06-30", False), ("2026-07-01", True)])
def test_the_end_of_a_period_not_yet_ended_is_no_gap(
    tmp_path: Path, today: str, warned: bool
) -> None:
    """Audited on its last day, 2026-Q2's June records may still come: the console notes the
    period has not ended, and no gap is told; the day after, it is."""
    from datetime import date

    pack = pack_at(tmp_path)
    folder = evidence(tmp_path / "ev", april_to("2026-05-23"))
    result = run_audit(pack, folder, tmp_path / "out", "2026-Q2", today=date.fromisoformat(today))
    assert [w["days"] for w in gap_warnings(result.document)] == ([38] if warned else [])


@pytest.mark.parametrize(
    ("period", "last_day", "days"),
    [
        ("2026-Q2", "2026-06-24", None),  # 25-30 June: 6 days, under a week
        ("2026-Q2", "2026-06-23", 7),  # 24-30 June: a week
        ("2026-05", "2026-05-28", None),  # 29-31 May: 3 days, under a tenth of 31 (4)
        ("2026-05", "2026-05-27", 4),  # 28-31 May
        ("2026-06-01..2026-06-07", "2026-06-05", None),  # a weekend, 2 days: under 3
        ("2026-06-01..2026-06-07", "2026-06-04", 3),  # Friday to Sunday
    ],
)
def test_a_gap_is_warned_from_a_week_or_a_tenth_of_a_short_period(
    tmp_path: Path, period: str, last_day: str, days: int | None
) -> None:
    """At least 7 days, or a tenth of the period (rounded up) when that is less, never under
    3: a quarter warns from 7 days, a 31-day month from 4, a week from 3."""
    pack = pack_at(tmp_path)
    first = parse_period(period).first.isoformat()
    rows = [f"A,{first} 00:00:00,,closed\n", f"B,{last_day} 12:00:00,,open\n"]
    result = run_audit(pack, evidence(tmp_path / "ev", rows), tmp_path / "out", period)
    assert [w["days"] for w in gap_warnings(result.document)] == ([days] if days else [])


def test_the_threshold_by_the_length_of_the_period() -> None:
    from auditor.evidence_span import gap_threshold

    # 91 days: 7; 31: ceil(3.1) = 4; 30: 3; 7: at least 3; 366: 7
    for text, least in (("2026-Q2", 7), ("2026-05", 4), ("2026-06", 3), ("2024", 7)):
        assert gap_threshold(parse_period(text)) == least
    assert gap_threshold(parse_period("2026-06-01..2026-06-07")) == 3


def test_the_last_day_is_counted_in_the_pack_s_zone(tmp_path: Path) -> None:
    """A ticket at 20:00 on 22 May in New York is 08:00 on 23 May in Shanghai: the evidence
    ends on the 23rd, not the 22nd (38 days, not 39)."""
    pack = pack_at(tmp_path)
    rows = [
        "A,2026-04-01 09:00:00,,closed\n",
        "B,2026-05-22T20:00:00-04:00,,open\n",
    ]
    result = run_audit(pack, evidence(tmp_path / "ev", rows), tmp_path / "out", "2026-Q2")
    (warning,) = gap_warnings(result.document)
    assert (warning["first"], warning["days"]) == ("2026-05-24", 38)


def test_a_record_a_rule_dates_by_its_own_field_closes_the_gap(tmp_path: Path) -> None:
    """A ticket opened on 23 May and solved on 30 June: the rule judging by solved_at places
    it on 30 June, so June is not empty of records the rules judge."""
    pack = pack_at(tmp_path, GAP_PACK + SOLVED_RULE)
    rows = [
        "A,2026-04-01 09:00:00,2026-04-01 10:00:00,closed\n",
        "B,2026-05-23 09:00:00,2026-06-30 10:00:00,closed\n",
    ]
    result = run_audit(pack, evidence(tmp_path / "ev", rows), tmp_path / "out", "2026-Q2")
    assert gap_warnings(result.document) == []


OTHER_ENGINES = [
    pytest.param(e, marks=needs_spark) if e == "spark" else e for e in engines() if e != "sqlite"
]


@pytest.mark.parametrize("engine", ["sqlite", *OTHER_ENGINES])
def test_every_engine_finds_the_same_first_and_last_record_in_the_period(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    """The earliest and latest moments placed in May, by opened_at or the rule's solved_at:
    records before and after May do not count; the solved_at of one opened in April does."""
    if engine == "spark":
        request.getfixturevalue("spark")  # the session's one Spark session
    from datetime import datetime
    from zoneinfo import ZoneInfo

    pack = load_pack(pack_at(tmp_path, GAP_PACK + SOLVED_RULE), [STANDARDS])
    rows = [
        "A,2026-04-30 23:00:00,2026-05-02 08:00:00,closed\n",  # solved in May
        "B,2026-05-10 09:00:00,,open\n",
        "C,2026-05-31 22:00:00,2026-06-01 09:00:00,closed\n",  # opened in May
        "D,2026-06-01 00:00:00,,open\n",  # June: out
    ]
    store = EvidenceStore(None)
    try:
        ingest(pack, evidence(tmp_path / "ev", rows), store)
        backend = store if engine == "sqlite" else open_backend(store, engine)
        tickets = kind_coverage(pack, backend, parse_period("2026-05"))["tickets"]
    finally:
        store.close()
    zone = ZoneInfo("Asia/Shanghai")
    assert (tickets.placed_first, tickets.placed_last) == (
        datetime(2026, 5, 2, 8, tzinfo=zone).timestamp(),
        datetime(2026, 5, 31, 22, tzinfo=zone).timestamp(),
    )


def test_one_line_for_the_warning_in_both_languages() -> None:
    """The console and the report say a warning with one function, given the warning: the
    day beside the empty ones is the evidence's last (an end gap) or first (a start gap)."""
    from auditor.findings.contract import Warning_
    from auditor.findings.document import evidence_gap_line
    from auditor.i18n import Words

    end = Warning_(code="evidence-gap", edge="end", first="2026-05-24", last="2026-06-30", days=38)
    start = Warning_(
        code="evidence-gap",
        edge="start",
        first="2026-04-01",
        last="2026-04-07",
        days=7,
        no_finding=["2026-W14"],
    )
    assert evidence_gap_line(Words("en"), "2026-Q2", end) == (
        "evidence ends 2026-05-23: the last 38 days of 2026-Q2 (2026-05-24 to 2026-06-30) "
        "hold no record the rules judge"
    )
    assert evidence_gap_line(Words("zh"), "2026-Q2", start).startswith(
        "证据始于 2026-04-08:2026-Q2 的最初 7 天(2026-04-01 至 2026-04-07)"
    )


def test_a_period_counts_its_days() -> None:
    # 2026-Q2: 30 + 31 + 30; 2024: a leap year; a range holds both its ends
    assert [parse_period(p).days for p in ("2026-Q2", "2024", "2026-06-01..2026-06-07")] == [
        91,
        366,
        7,
    ]
