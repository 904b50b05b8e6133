"""Reports: every figure in the HTML equals findings.json; the PDF carries the right language."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from auditor.audit import run_audit
from auditor.report import duration_text, neutralise, render_reports

from .conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"


class Cells(HTMLParser):
    """Collects elements carrying data-* attributes, with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict] = []
        self.stack: list[dict] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        data = dict(attrs)
        entry = {"tag": tag, **data, "_text": ""}
        if any(k.startswith("data-") for k in data) or data.get("class"):
            self.items.append(entry)
        self.stack.append(entry)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        self.text.append(data)
        for entry in self.stack:
            entry["_text"] += data


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run_audit(RULES / "service-quality.yaml", DEMO, out, "2026-Q3")
    render_reports(result.document, out / "zh", ("html", "pdf", "csv", "xlsx"), "zh")
    render_reports(result.document, out / "en", ("html", "pdf"), "en")
    return result.document, out


def test_clause_table_figures_equal_the_findings(audited) -> None:
    document, out = audited
    cells = parse((out / "en" / "report.html").read_text(encoding="utf-8"))
    rows = [i for i in cells.items if i["tag"] == "tr" and "data-rule" in i and "data-finding" in i]
    by_rule = {r["rule"]: r for r in document["rules"]}
    assert {r["data-rule"] for r in rows} == set(by_rule)
    values = [i for i in cells.items if "data-value" in i]
    counts = [i for i in cells.items if "data-n" in i]
    verdicts = [i for i in cells.items if i["tag"] == "td" and "data-verdict" in i]
    assert len(values) == len(counts) == len(verdicts) == len(by_rule)
    for row, value, n, verdict in zip(rows, values, counts, verdicts, strict=True):
        rule = by_rule[row["data-rule"]]
        pooled = rule["findings"][0]
        assert row["data-finding"] == pooled["id"]
        if pooled["value"] is None:
            assert value["data-value"] == ""
        else:
            assert float(value["data-value"]) == pooled["value"]
        assert int(n["data-n"]) == pooled["counts"]["n"]
        assert verdict["data-verdict"] == rule["verdict"]
        assert verdict["data-severity"] == (rule["verdict_severity"] or "")
        if pooled["unit"] == "share" and pooled["value"] is not None:
            assert f"{pooled['value'] * 100:.1f} %" in value["_text"]


def test_summary_counts_and_recommendation(audited) -> None:
    document, out = audited
    cells = parse((out / "en" / "report.html").read_text(encoding="utf-8"))
    verdict_rows = [
        i["data-verdict"] for i in cells.items if i["tag"] == "tr" and "data-verdict" in i
    ]
    counts = [int(i["data-count"]) for i in cells.items if "data-count" in i]
    assert dict(zip(verdict_rows, counts, strict=True)) == document["summary"]["verdicts"]
    recommendation = next(i for i in cells.items if "data-recommendation" in i)
    assert recommendation["data-recommendation"] == "rec_not"  # the demo has a major nonconformity


def test_capa_plan_has_one_item_per_nonconformity_with_due_dates(audited) -> None:
    document, out = audited
    cells = parse((out / "en" / "report.html").read_text(encoding="utf-8"))
    items = [i for i in cells.items if i["tag"] == "tr" and "data-due" in i]
    nonconform = [r for r in document["rules"] if r["verdict"] == "nonconform"]
    assert len(items) == len(nonconform)
    issued = document["generated_at"][:10]
    for item, rule in zip(items, nonconform, strict=True):
        days = 30 if rule["verdict_severity"] == "major" else 90
        from datetime import date, timedelta

        assert item["data-due"] == (date.fromisoformat(issued) + timedelta(days=days)).isoformat()


def test_evidence_appendix_lists_every_file_hash(audited) -> None:
    document, out = audited
    html = (out / "en" / "report.html").read_text(encoding="utf-8")
    for file in document["manifest"]["evidence"]:
        assert file["sha256"] in html


def test_pdf_text_is_in_the_chosen_language(audited) -> None:
    document, out = audited
    zh = "".join(page.extract_text() for page in PdfReader(out / "zh" / "report.pdf").pages)
    en = "".join(page.extract_text() for page in PdfReader(out / "en" / "report.pdf").pages)
    for rule in document["rules"]:
        assert rule["clause_title"]["zh"] in zh.replace("\n", ""), rule["clause_title"]["zh"]
        assert rule["clause_title"]["en"] in en.replace("\n", " "), rule["clause_title"]["en"]
    assert "服务质量认证审核报告" in zh
    assert "Certification Audit Report" in en


def test_html_is_self_contained(audited) -> None:
    _, out = audited
    html = (out / "zh" / "report.html").read_text(encoding="utf-8")
    assert "<style>" in html and "<svg" in html
    assert 'src="http' not in html and "<link" not in html


def test_capa_registers_and_failing_records(audited) -> None:
    document, out = audited
    with (out / "zh" / "capa.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(1 for r in document["rules"] if r["verdict"] == "nonconform")
    with (out / "zh" / "failing-records.csv").open(encoding="utf-8-sig") as handle:
        failing = list(csv.DictReader(handle))
    phone = next(r for r in document["rules"] if r["rule"] == "RESP-PHONE-30S")
    finest = {f["id"]: f for f in phone["findings"][1:]}
    listed = [r for r in failing if r["rule"] == "RESP-PHONE-30S"]
    assert len(listed) == sum(f["failing_count"] for f in finest.values())
    book = openpyxl.load_workbook(out / "zh" / "capa.xlsx", read_only=True)
    assert book.sheetnames == ["CAPA", "failing records"]
    book.close()


def test_hostile_values_are_escaped_and_neutralised(tmp_path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    rows = ["interaction_id,channel,site,agent_id,received_at,answered_at,ended_at"]
    for i in range(40):
        rows.append(
            f"I{i:03d},phone,<script>alert(1)</script>,A1,2026-07-01 10:00:00,2026-07-01 10:00:10,2026-07-01 10:03:00"
        )
    rows.append(
        "=cmd|' /C calc'!A0,phone,<script>alert(1)</script>,A1,2026-07-01 10:00:00,2026-07-01 10:05:00,2026-07-01 10:08:00"
    )
    (folder / "interactions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_audit(RULES / "service-quality.yaml", folder, tmp_path / "out", "2026-07")
    render_reports(result.document, tmp_path / "out", ("html", "csv", "xlsx"), "en")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = (tmp_path / "out" / "failing-records.csv").read_text(encoding="utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text
    book = openpyxl.load_workbook(tmp_path / "out" / "capa.xlsx")
    cells = [c.value for row in book["failing records"].iter_rows() for c in row]
    assert "'=cmd|' /C calc'!A0" in cells
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)


def test_neutralise_and_durations() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+1") == "'+1" and neutralise("@x") == "'@x" and neutralise("-2") == "'-2"
    assert neutralise("ok") == "ok" and neutralise(5) == 5
    assert duration_text(66) == "66 s"
    assert duration_text(725) == "12 min 5 s"
    assert duration_text(5 * 3600 + 180) == "5 h 3 min"
    assert duration_text(60 * 86400 + 12 * 3600) == "60 d 12 h"


def test_render_command_rerenders_without_evaluating(runner, audited, tmp_path) -> None:
    from auditor.cli import main

    _, out = audited
    findings = out / "findings.json"
    result = runner.invoke(
        main,
        [
            "report",
            "render",
            str(findings),
            "--format",
            "html",
            "--lang",
            "en",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").exists()
    assert json.loads(findings.read_text(encoding="utf-8"))["schema_version"] == "1.0"


def test_render_of_a_file_that_is_not_findings_is_one_line(runner, tmp_path) -> None:
    from auditor.cli import main

    bad = tmp_path / "x.json"
    bad.write_text("{}", encoding="utf-8")
    result = runner.invoke(main, ["report", "render", str(bad)])
    assert result.exit_code == 2 and "not a findings.json" in result.stderr


def test_unknown_format_is_a_usage_error(runner, tmp_path) -> None:
    from auditor.cli import main

    result = runner.invoke(main, ["report", "render", str(Path("x.json")), "--format", "docx"])
    assert result.exit_code == 2
