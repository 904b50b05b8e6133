"""every: one finding per sub-period, conforming when it holds a record in scope; the share covered.

Checked on hand-made months and weeks with a gap inside the audit period; the
Chinese report of an audit with all three series measures holds no English word.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from auditor.audit import run_audit
from auditor.report import render_reports

from .series_pack import PACK, answered, audit, calls, rule

REVIEWS = "review_id,kind,held_on\n"


def every(unit: str = "month", extra: str = "") -> str:
    body = f'    evidence: reviews\n    where: kind == "monthly"\n    every: {unit}\n{extra}'
    return PACK + rule("MONTHLY", body)


def reviews(*rows: str) -> dict[str, str]:
    return {"reviews.csv": REVIEWS + "".join(f"{row}\n" for row in rows)}


def test_a_month_without_a_review_is_named(write_pack, store) -> None:
    """July and September hold a monthly review; August only another kind: 2 of 3 months."""
    files = reviews(
        "R1,monthly,2026-07-03", "R2,monthly,2026-07-28", "R3,other,2026-08-01",
        "R4,monthly,2026-09-30", "R5,monthly,2026-10-01",
    )  # fmt: skip
    result = audit(write_pack, store, every(), files, "2026-Q3")["MONTHLY"]
    pooled, *months = result.findings
    assert pooled.value == pytest.approx(2 / 3) and pooled.unit == "share"
    assert (pooled.counts.n, pooled.counts.conforming, pooled.counts.breached) == (3, 2, 1)
    assert pooled.failing == ["2026-08"]
    assert pooled.threshold == {"op": ">=", "value": 1.0}
    assert result.verdict == "nonconform" and result.verdict_severity == "minor"
    assert [(f.period, f.verdict, f.value) for f in months] == [
        ("2026-07", "conform", 2.0),
        ("2026-08", "nonconform", 0.0),
        ("2026-09", "conform", 1.0),
    ]
    assert months[1].failing == ["2026-08"] and months[1].id == "MONTHLY@2026-08"
    assert pooled.details["every"]["missing"] == ["2026-08"]


def test_weeks_are_clipped_to_the_audit_period(write_pack, store) -> None:
    """July 2026 starts on a Wednesday: weeks 27 (1-5 July) to 31 (27-31 July); week 29 is empty."""
    files = reviews(
        "R1,monthly,2026-07-01", "R2,monthly,2026-07-06", "R3,monthly,2026-07-20",
        "R4,monthly,2026-07-31",
    )  # fmt: skip
    result = audit(write_pack, store, every("week"), files, "2026-07")["MONTHLY"]
    assert [f.period for f in result.findings[1:]] == [f"2026-W{w}" for w in range(27, 32)]
    assert result.findings[0].failing == ["2026-W29"]
    assert result.findings[0].value == pytest.approx(4 / 5)


def test_a_lower_target_and_warn(write_pack, store) -> None:
    files = reviews("R1,monthly,2026-07-03", "R4,monthly,2026-09-30")
    text = every(extra="    target: 60%\n    warn: 90%\n")
    result = audit(write_pack, store, text, files, "2026-Q3")["MONTHLY"]
    assert result.verdict == "observation"
    assert result.findings[0].reasons == [
        "meets the target but is inside the warn band (below 90.0 %)"
    ]


def test_an_excluded_record_does_not_hold_its_month(write_pack, store) -> None:
    extra = '    exclude:\n      - {when: review_id == "R2", reason: cancelled}\n'
    files = reviews("R1,monthly,2026-07-03", "R2,monthly,2026-08-03", "R3,monthly,2026-09-03")
    result = audit(write_pack, store, every(extra=extra), files, "2026-Q3")["MONTHLY"]
    assert result.findings[0].failing == ["2026-08"]


def test_one_month_audited(write_pack, store) -> None:
    files = reviews("R1,monthly,2026-07-03")
    result = audit(write_pack, store, every(), files, "2026-07")["MONTHLY"]
    assert result.verdict == "conform"
    assert [(f.period, f.value) for f in result.findings[1:]] == [("2026-07", 1.0)]


ALL_THREE = (
    PACK
    + rule("CONS", '    evidence: calls\n    dispersion: {of: ANSWERED, across: site}\n    target: "<= 5"\n')
    + rule("CONS-CSAT", '    evidence: calls\n    dispersion: {of: CSAT, across: site}\n    target: "<= 0.5"\n')
    + rule("TREND", "    evidence: calls\n    trend: {of: ANSWERED, per: month, periods: 4}\n    target: no-decline\n")
    + rule("TREND-UP", "    evidence: calls\n    trend: {of: CSAT, per: month, periods: 3}\n    target: improving\n")
    + rule("MONTHLY", '    evidence: reviews\n    where: kind == "monthly"\n    every: month\n')
)  # fmt: skip


def test_the_report_of_the_three_measures_is_chinese_and_fits_the_page(
    write_pack, tmp_path
) -> None:
    from .test_report_trust import Visible, data_words, overflowing_boxes

    rows = []
    for number, (bj, sh) in enumerate(((9, 8), (8, 9), (7, 9), (6, 9), (5, 9), (4, 9)), 4):
        month = f"2026-{number:02d}"
        for site, good in (("BJ", bj), ("SH", sh)):
            for row in answered(month, site, good, 10):
                rows.append((*row[:4], 2 + int(row[0][-1]) % 3 + (site == "SH")))
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "calls.csv").write_text(calls(rows), encoding="utf-8")
    (folder / "reviews.csv").write_text(
        REVIEWS + "R1,monthly,2026-07-03\nR2,monthly,2026-09-03\n", encoding="utf-8"
    )
    document = run_audit(write_pack(ALL_THREE), folder, tmp_path / "out", "2026-Q3").document
    verdicts = {r["rule"]: r["verdict"] for r in document["rules"]}
    assert verdicts["CONS"] == "nonconform" and verdicts["MONTHLY"] == "nonconform"
    assert verdicts["TREND"] == "nonconform"
    render_reports(document, tmp_path / "zh", ("html",), "zh")
    visible = Visible()
    visible.feed((tmp_path / "zh" / "report.html").read_text(encoding="utf-8"))
    text = " ".join(visible.text).replace("failing-records.csv", "").replace("findings.json", "")
    allowed = {"SHA", "CI", "Wilson", "ISO", "JSON", "CAPA", "csv", "json", "xlsx"}
    words = set(re.findall(r"[A-Za-z][A-Za-z_]+", text))
    english = words - data_words(document) - allowed
    assert english == set(), sorted(english)
    render_reports(document, tmp_path / "en", ("html",), "en")
    for lang in ("zh", "en"):
        html = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
        assert overflowing_boxes(html) == [], lang


def _july_and_september_reviewed(write_pack: Any, tmp_path: Path) -> Any:
    """The audit of 2026-Q3 with the three series measures, a monthly review held in July
    and in September (none in August), as a findings document."""
    from auditor.findings.contract import FindingsDocument

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "calls.csv").write_text(calls([]), encoding="utf-8")
    (folder / "reviews.csv").write_text(
        REVIEWS + "R1,monthly,2026-07-03\nR2,monthly,2026-09-03\n", encoding="utf-8"
    )
    audit = run_audit(write_pack(ALL_THREE), folder, tmp_path / "out", "2026-Q3")
    return FindingsDocument.model_validate(audit.document)


def test_a_sub_period_row_shows_its_records_against_the_one_needed(write_pack, tmp_path) -> None:
    """MONTHLY's months: July and September hold one review each, August none. Their rows
    say so, not ``n = 1`` beside the pooled 66.7 % of months."""
    from auditor.findings.sentences import figures
    from auditor.i18n import Words

    document = _july_and_september_reviewed(write_pack, tmp_path)
    rule = next(r for r in document.rules if r.rule == "MONTHLY")
    rows = {f.period: figures(f, rule, Words("en")) for f in rule.findings[1:]}
    assert rows == {
        "2026-07": "1 record, at least 1 needed",
        "2026-08": "0 records, at least 1 needed",
        "2026-09": "1 record, at least 1 needed",
    }
    zh = figures(rule.findings[2], rule, Words("zh"))
    assert zh == "0 条记录,至少需 1 条"


def test_the_plan_deals_with_the_months_that_hold_no_record(write_pack, tmp_path) -> None:
    """MONTHLY's CAPA item: August holds no review. The correction names a period to deal
    with, not a failing record."""
    from datetime import date

    from auditor.i18n import Words
    from auditor.report.registers import capa_items

    document = _july_and_september_reviewed(write_pack, tmp_path)
    for lang, text in (
        ("en", "Deal with the period listed that holds no record"),
        ("zh", "补齐清单中没有记录的期间"),
    ):
        items = capa_items(document, date(2026, 10, 8), Words(lang))
        monthly = next(item for item in items if item.rule == "MONTHLY")
        assert (monthly.correction, monthly.failing_count) == (text, 1)


def test_explain_says_a_record_covers_its_month_not_that_it_conforms(write_pack, store) -> None:
    from auditor import load_pack
    from auditor.certify.explain import explain_record
    from auditor.periods import parse_period

    from .conftest import STANDARDS

    text = every()
    audit(
        write_pack,
        store,
        text,
        reviews("R1,monthly,2026-07-03", "R2,monthly,2026-09-03"),
        "2026-Q3",
    )
    pack = load_pack(write_pack(text), [STANDARDS])
    lines = explain_record(pack, "MONTHLY", "R2", store, parse_period("2026-Q3"), "conform").lines
    assert lines[-1] == (
        "an every rule judges each month, not each record: this record is one that 2026-09 "
        "holds in scope, so 2026-09 is covered (at least one record needed)"
    )
    assert not any(line.startswith("outcome:") for line in lines)
