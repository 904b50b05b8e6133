"""Reports: every figure in the HTML equals findings.json; the PDF carries the right language."""

from __future__ import annotations

import copy
import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from auditor.audit import run_audit
from auditor.errors import ReportError
from auditor.findings.contract import FindingsDocument
from auditor.formatting import percent_text
from auditor.pack import load_pack
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
        data = data.replace("\xa0", " ")  # a figure and its unit are kept together by NBSP
        self.text.append(data)
        for entry in self.stack:
            entry["_text"] += data


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


# ------------------------------------------------------------ schema 1.1 fields for the tests
#
# The audit writes these fields from schema 1.1 on; a document that lacks them
# (an audit of schema 1.0) gets them here, worked out the way docs/findings.md
# describes them, so that the report tests do not depend on the audit's version.


def _threshold(target: str) -> dict[str, Any] | None:
    match = re.match(r"^\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*(%?)\s*$", target)
    if not match:
        return None
    value = float(match.group(2))
    return {"op": match.group(1), "value": value / 100 if match.group(3) else value}


def _failing_unit(measure: str, calendar: str | None, unit: str) -> str | None:
    if measure in ("duration", "sequence"):
        return "business-seconds" if calendar else "seconds"
    if measure in ("mean", "percentile"):
        return unit if unit in ("seconds", "business-seconds") else "number"
    return "number" if measure in ("nps", "per_1000") else None


def _recommendation(rules: list[dict[str, Any]]) -> dict[str, Any]:
    majors = [
        r["rule"]
        for r in rules
        if r["verdict_severity"] == "major" and r["verdict"] == "nonconform"
    ]
    minors = [
        r["rule"]
        for r in rules
        if r["verdict_severity"] == "minor" and r["verdict"] == "nonconform"
    ]
    missing = [
        {"rule": r["rule"], "clause": r["clause"], "reason": "; ".join(r["findings"][0]["reasons"])}
        for r in rules
        if r["verdict"] == "not-evaluable"
    ]
    if majors:
        decision = "not-recommended"
    elif missing:
        decision = "withheld"
    else:
        decision = "subject-to-plan" if minors else "recommended"
    return {"decision": decision, "not_evaluable": missing, "majors": majors, "minors": minors}


def _kinds(document: dict[str, Any], pack: Any) -> list[dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = {}
    for file in document["manifest"]["evidence"]:
        kind = pack.evidence[file["kind"]]
        entry = kinds.setdefault(
            kind.name,
            {
                "kind": kind.name,
                "title": {"zh": kind.title.zh, "en": kind.title.en},
                "files": 0,
                "rows_read": 0,
                "stored": 0,
                "quarantined": 0,
                "in_period": 0 if kind.time else None,
            },
        )
        entry["files"] += 1
        for name in ("rows_read", "stored", "quarantined"):
            entry[name] += file[name]
        if kind.time:
            entry["in_period"] += file["stored"]
    return sorted(kinds.values(), key=lambda k: k["kind"])


def schema_1_1(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with every field of schema 1.1 (fields already there are kept)."""
    doc = copy.deepcopy(document)
    pack = load_pack(ROOT / doc["manifest"]["pack"]["path"])
    doc["manifest"]["pack"].setdefault("title", {"zh": pack.title.zh, "en": pack.title.en})
    for file in doc["manifest"]["evidence"]:
        file.setdefault("mapping", None)
    summary = doc["summary"]
    summary.setdefault("recommendation", _recommendation(doc["rules"]))
    summary.setdefault("kinds", _kinds(doc, pack))
    summary.setdefault("warnings", [])
    doc.setdefault("reason_titles", {})
    rows = 0
    for rule in doc["rules"]:
        measure = pack.rule(rule["rule"]).measure
        rule.setdefault("calendar", getattr(measure, "calendar", None))
        for finding in rule["findings"]:
            finding.setdefault("threshold", _threshold(finding["target"]))
            finding.setdefault("failing_truncated", False)
            finding.setdefault("failing_notes", [None] * len(finding["failing"]))
            finding.setdefault("not_evaluable", None)
        rule.setdefault(
            "failing_unit",
            _failing_unit(rule["measure"], rule["calendar"], rule["findings"][0]["unit"]),
        )
        rows += sum(len(f["failing"]) for f in (rule["findings"][1:] or rule["findings"]))
    doc.setdefault(
        "failing_records",
        {
            "path": "failing-records.csv",
            "sha256": "ab" * 32,
            "rows": rows,
            "cap_per_finding": 10000,
        },
    )
    return doc


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run_audit(RULES / "service-quality.yaml", DEMO, out, "2026-Q3")
    document = schema_1_1(result.document)
    render_reports(document, out / "zh", ("html", "pdf", "csv", "xlsx"), "zh")
    render_reports(document, out / "en", ("html", "pdf"), "en")
    return document, out


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
    typed = {r.rule: r for r in FindingsDocument.from_data(document).rules}
    for row, value, n, verdict in zip(rows, values, counts, verdicts, strict=True):
        rule = by_rule[row["data-rule"]]
        # the figures beside the verdict are those of the finding that decided it
        shown = next(
            f for f in rule["findings"] if f["id"] == typed[rule["rule"]].deciding_finding().id
        )
        assert row["data-finding"] == shown["id"]
        if shown["value"] is None:
            assert value["data-value"] == ""
        else:
            assert float(value["data-value"]) == shown["value"]
        assert int(n["data-n"]) == shown["counts"]["n"]
        assert verdict["data-verdict"] == rule["verdict"]
        assert verdict["data-severity"] == (rule["verdict_severity"] or "")
        if shown["unit"] == "share" and shown["value"] is not None:
            # as many decimals as the value needs beside its target (never 100.0 % below 100 %)
            assert value["_text"] == percent_text(shown["value"], shown["threshold"]["value"])


def test_summary_counts_and_recommendation(audited) -> None:
    document, out = audited
    cells = parse((out / "en" / "report.html").read_text(encoding="utf-8"))
    verdict_rows = [
        i["data-verdict"] for i in cells.items if i["tag"] == "tr" and "data-verdict" in i
    ]
    counts = [int(i["data-count"]) for i in cells.items if "data-count" in i]
    assert dict(zip(verdict_rows, counts, strict=True)) == document["summary"]["verdicts"]
    recommendation = next(i for i in cells.items if "data-recommendation" in i)
    # the audit's own decision; the demo has a major nonconformity
    assert recommendation["data-recommendation"] == "not-recommended"
    assert document["summary"]["recommendation"]["decision"] == "not-recommended"


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
    # the title comes from the standard's title (and the pack's, below it)
    standard, pack = (
        document["manifest"]["standard"]["title"],
        document["manifest"]["pack"]["title"],
    )
    assert f"{standard['zh']}认证审核报告" in zh and pack["zh"] in zh
    assert f"{standard['en']}: Certification Audit Report" in en and pack["en"] in en


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
    # failing-records.csv is the audit's own file now; rendering writes the CAPA registers only
    assert not (out / "zh" / "failing-records.csv").exists()
    book = openpyxl.load_workbook(out / "zh" / "capa.xlsx", read_only=True)
    assert book.sheetnames == ["CAPA", "failing records"]
    failing = [
        dict(zip(("rule", "finding", "key"), r[:3], strict=True))
        for r in book["failing records"].iter_rows(min_row=2, values_only=True)
    ]
    book.close()
    phone = next(r for r in document["rules"] if r["rule"] == "RESP-PHONE-30S")
    finest = {f["id"]: f for f in phone["findings"][1:]}
    listed = [r for r in failing if r["rule"] == "RESP-PHONE-30S"]
    assert len(listed) == sum(f["failing_count"] for f in finest.values())
    assert {r["finding"] for r in listed} <= set(finest)
    # each record traceable from the workbook too: its file and line, the line a number
    book = openpyxl.load_workbook(out / "zh" / "capa.xlsx", read_only=True)
    header, *rows = list(book["failing records"].iter_rows(values_only=True))
    book.close()
    assert header[-2:] == ("file", "line")
    where = {(s["file"], s["line"]) for f in finest.values() for s in f["failing_sources"]}
    shown = {(r[-2], r[-1]) for r in rows if r[0] == "RESP-PHONE-30S"}
    assert shown and shown <= where
    assert all(isinstance(line, int) for _, line in shown)


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


def test_render_reads_the_typed_document_and_validates_a_dict(audited, tmp_path) -> None:
    document, _ = audited
    typed = FindingsDocument.from_data(document)
    render_reports(typed, tmp_path / "typed", ("html", "csv"), "en")
    render_reports(document, tmp_path / "dict", ("html", "csv"), "en")
    for name in ("report.html", "capa.csv"):
        assert (tmp_path / "typed" / name).read_bytes() == (tmp_path / "dict" / name).read_bytes()
    broken = copy.deepcopy(document)
    del broken["rules"][0]["findings"][0]["counts"]
    with pytest.raises(ReportError, match=r"not a valid findings\.json"):
        render_reports(broken, tmp_path / "broken", ("html",), "en")


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
    assert json.loads(findings.read_text(encoding="utf-8"))["schema_version"] == "1.1"


def test_a_report_rendered_into_another_folder_names_the_audit_s_failing_records(
    runner, audited
) -> None:
    """Rendered with --out into another folder, the report named failing-records.csv as if it
    were beside it: it names the audit's file by its path from the report's folder."""
    from auditor.cli import main

    document, out = audited
    listing = document["failing_records"]
    sha, rows = listing["sha256"], f"{listing['rows']:,}"
    texts = {
        "en": (
            f"The complete list is in ../../failing-records.csv (SHA-256 {sha}, {rows} rows).",
            f"All {rows} failing records are in ../../failing-records.csv, SHA-256 {sha}.",
        ),
        "zh": (
            f"完整清单见 ../../failing-records.csv(SHA-256 {sha},共 {rows} 行)。",
            f"全部 {rows} 条不符合记录见 ../../failing-records.csv,SHA-256 {sha}。",
        ),
    }
    for lang, (in_a_gap, in_the_appendix) in texts.items():
        folder = out / "rendered-again" / lang
        render = ["report", "render", str(out / "findings.json"), "--format", "html"]
        result = runner.invoke(main, [*render, "--lang", lang, "--out", str(folder)])
        assert result.exit_code == 0, result.output
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert in_a_gap in html and in_the_appendix in html
        assert html.count("failing-records.csv") == html.count("../../failing-records.csv") > 1
        assert (folder / "../../failing-records.csv").resolve() == out / "failing-records.csv"


def test_capa_xlsx_rendered_into_another_folder_names_the_audit_s_failing_records(
    runner, audited, monkeypatch
) -> None:
    """The sheet of failing records, cut at its cap, names the complete list as if beside it,
    on a sheet of notes (not as a row of the records' table)."""

    from auditor.cli import main

    document, out = audited
    monkeypatch.setattr("auditor.report.XLSX_FAILING_ROWS", 2)
    folder = out / "rendered-again" / "xlsx"
    render = ["report", "render", str(out / "findings.json"), "--format", "xlsx"]
    result = runner.invoke(main, [*render, "--lang", "en", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    sheets = xlsx_sheets(folder / "capa.xlsx")
    rules = {r["rule"] for r in document["rules"]}
    assert len(sheets["failing records"]) == 1 + 2  # the header and two records, no note
    assert {row[0] for row in sheets["failing records"][1:]} <= rules
    assert sheets["notes"] == [
        ("note",),
        (
            "The sheet 'failing records' lists only the first 2 rows; "
            "the complete list is in ../../failing-records.csv",
        ),
    ]
    assert (folder / "../../failing-records.csv").resolve() == out / "failing-records.csv"


def xlsx_sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's rows as values."""
    book = openpyxl.load_workbook(path, read_only=True)
    sheets = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    book.close()
    return sheets


def csv_records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


#: a CAPA item of the demo whose one cell fails 85 records, more than findings.json lists
CUT_FINDING = "RESP-PHONE-30S@site=SH@2026-08"
CORRECTIONS = {
    "en": "Deal with the 85 failing records listed",
    "zh": "处理清单中的 85 条不符合记录",
}
TRUNCATED_NOTES = {
    "en": "The sheet 'failing records' holds the lists of findings.json, at most 20 records per "
    "finding (no failing-records.parquet of the audit beside findings.json); the complete list "
    "is in failing-records.csv",
    "zh": "“failing records”表取自 findings.json 的清单,每个发现最多 20 条记录"
    "(findings.json 旁没有本次审核的 failing-records.parquet);完整清单见 failing-records.csv",
}


@pytest.fixture(scope="module")
def cut_audits(tmp_path_factory) -> dict[str, Path]:
    """The demo audited in each language with findings.json's lists cut at 20 a finding."""
    from auditor.cli import main

    folders = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("auditor.failing.CAP_PER_FINDING", 20)
        for lang in CORRECTIONS:
            out = tmp_path_factory.mktemp(f"cut-{lang}")
            audit = ["audit", str(RULES / "service-quality.yaml"), str(DEMO), "--period", "2026-Q3"]
            result = CliRunner().invoke(
                main, [*audit, "--out", str(out), "--format", "json,xlsx", "--lang", lang]
            )
            assert result.exit_code == 1, result.output  # nonconformities
            folders[lang] = out
    return folders


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_capa_xlsx_lists_every_failing_record_of_failing_records_csv(cut_audits, lang) -> None:
    """The sheet held findings.json's lists, cut at 1,000 records a finding: a ServiceNow
    audit's sheet had 3,696 rows where failing-records.csv had 8,409, and a CAPA row said
    "Deal with the 7,504 failing records listed" beside 2,791 listed. It holds the audit's
    complete list now, row for row as failing-records.csv, and no note."""
    out = cut_audits[lang]
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    cut = next(f for r in findings["rules"] for f in r["findings"] if f["id"] == CUT_FINDING)
    assert cut["failing_truncated"] and len(cut["failing"]) == 20
    records = csv_records(out / "failing-records.csv")
    sheets = xlsx_sheets(out / "capa.xlsx")
    assert list(sheets) == ["CAPA", "failing records"]
    header, *rows = sheets["failing records"]
    assert len(rows) == len(records) == 713
    columns = ("rule", "finding", "key", "group", "period", "file", "line")
    at = [header.index(name) for name in columns]
    shown = [tuple("" if row[i] is None else str(row[i]) for i in at) for row in rows]
    assert shown == [tuple(record[name] for name in columns) for record in records]
    in_csv = sum(record["finding"] == CUT_FINDING for record in records)
    assert in_csv == sum(row[1] == CUT_FINDING for row in rows) == 85
    capa_header, *items = sheets["CAPA"]
    item = next(dict(zip(capa_header, i, strict=True)) for i in items if i[1] == CUT_FINDING)
    assert (item["correction"], item["failing_count"]) == (CORRECTIONS[lang], 85)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_capa_xlsx_from_findings_json_alone_says_so_on_a_sheet_of_notes(
    runner, cut_audits, tmp_path, lang
) -> None:
    """Rendered from a findings.json without the audit's Parquet list beside it, the sheet
    holds findings.json's lists, and the note saying so is on a sheet of its own: appended to
    the table, pandas read it as a record whose rule was the note."""
    from auditor.cli import main

    for name in ("findings.json", "failing-records.csv"):
        (tmp_path / name).write_bytes((cut_audits[lang] / name).read_bytes())
    render = ["report", "render", str(tmp_path / "findings.json"), "--format", "xlsx"]
    result = runner.invoke(main, [*render, "--lang", lang])
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    listed = {f["id"]: len(f["failing"]) for r in findings["rules"] for f in r["findings"]}
    sheets = xlsx_sheets(tmp_path / "capa.xlsx")
    assert list(sheets) == ["CAPA", "failing records", "notes"]
    _, *rows = sheets["failing records"]
    assert all(row[1] in listed for row in rows)  # every row a record of a finding
    assert sum(row[1] == CUT_FINDING for row in rows) == listed[CUT_FINDING] == 20
    assert sheets["notes"] == [("note",), (TRUNCATED_NOTES[lang],)]


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


def test_the_capa_plan_says_one_failing_record_in_the_singular(demo_audit) -> None:
    from datetime import date

    from auditor.i18n import Words
    from auditor.report.registers import capa_items

    document = demo_audit.findings
    corrections = {
        lang: {i.rule: i.correction for i in capa_items(document, date(2026, 10, 1), Words.of(document, lang))}
        for lang in ("en", "zh")
    }  # fmt: skip
    one = next(r for r in document.rules if r.rule == "ROOT-CAUSE").deciding_finding()
    assert one.failing_count == 1
    assert corrections["en"]["ROOT-CAUSE"] == "Deal with the failing record listed"
    assert corrections["zh"]["ROOT-CAUSE"] == "处理清单中的 1 条不符合记录"
    assert corrections["en"]["RESP-PHONE-30S"].startswith("Deal with the ")
    assert corrections["en"]["RESP-PHONE-30S"].endswith(" failing records listed")


def test_the_method_states_the_z_the_intervals_use(audited) -> None:
    """The Wilson interval uses z = 1.959963984540054 (stats.Z_95), and the method and
    docs/findings.md state it whole: a certifier who took 1.95996 from them found every
    interval off by about 3e-8, thirty times the 1e-9 the engines are held to. A mean's
    interval uses Student's t with n − 1 degrees of freedom, and says so."""
    from scipy.stats import norm

    from auditor.stats import Z_95

    assert norm.ppf(0.975) == Z_95
    for lang, wilson, mean in (
        ("en", "z = 1.959963984540054.", "mean ± t(0.975, n−1) s/√n"),
        ("zh", "z = 1.959963984540054。", "均值 ± t(0.975, n−1) s/√n"),
    ):
        html = (audited[1] / lang / "report.html").read_text(encoding="utf-8")
        method = html[html.index('id="method"') :]
        assert wilson in method
        assert method.count(mean) == 2  # the interval method and the mean's formula
        assert "1.96 " not in method and "1.96." not in method and "1.96。" not in method
    docs = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert docs.count("1.959963984540054") == 1 and "1.95996 " not in docs
    assert docs.count("t(0.975, n − 1)") == 2


def test_a_group_is_shown_with_every_field() -> None:
    """A group says what it is, every field named as the finding ids and failing-records.csv
    name it: the trial's report showed "priority=0 · IN" beside "@priority=0@type=IN"."""
    from auditor.i18n import Words

    for lang in ("en", "zh"):
        words = Words(lang)
        assert words.group({"priority": 2}) == "priority=2"
        assert words.group({"priority": "0", "type": "IN"}) == "priority=0 · type=IN"
        assert words.group({"priority": "0", "site": "SH"}) == "priority=0 · site=SH"
        assert words.group({"site": "BJ", "channel": "phone"}) == "site=BJ · channel=phone"
    assert Words("en").group({}) == "all"
    # the records whose grouping field is empty: said so, not Python's None
    assert Words("en").group({"source": None, "site": "SH"}) == "source: (empty) · site=SH"
    assert Words("zh").group({"source": None}) == "source: （空）"


def test_a_pooled_rule_s_group_rows_are_marked_for_reference(audited) -> None:
    """CLOSURE-95 is judged on its pooled rate: its per-site rows (a site below target among
    them, maybe) say they do not decide the verdict; RESP-PHONE-30S's (each group) do not."""
    _, out = audited
    cells = parse((out / "en" / "report.html").read_text(encoding="utf-8"))
    blocks = {  # the group tables of rules that conform, and of those in the gap analysis
        e["data-rule"]: e["_text"]
        for e in cells.items
        if e["tag"] == "div" and ({"group-block", "gap"} & set((e.get("class") or "").split()))
    }
    note = "This rule is judged on its pooled figure (all its records)"
    assert note in blocks["CLOSURE-95"] and note in blocks["TECH-INITIAL-4H"]
    assert note not in blocks["RESP-PHONE-30S"]


def test_only_a_pooled_figure_over_records_makes_the_rows_for_reference(audited) -> None:
    """A widest gap between sites, or an activity in every month, is worked out from its
    rows (which decide it): no "for reference" note there; a pooled rate's rows get one."""
    from auditor.findings.contract import FindingsDocument
    from auditor.report.rules import rows_for_reference

    document = FindingsDocument.from_data(audited[0])
    closure = next(r for r in document.rules if r.rule == "CLOSURE-95")
    phone = next(r for r in document.rules if r.rule == "RESP-PHONE-30S")
    assert rows_for_reference(closure) and not rows_for_reference(phone)  # pooled / each group
    for measure in ("dispersion", "every"):
        assert not rows_for_reference(closure.model_copy(update={"measure": measure}))


def test_a_finding_id_breaks_after_its_at_signs_and_stays_escaped() -> None:
    from auditor.report import breakable_id

    assert str(breakable_id("RESP-PHONE-30S@site=SH@2026-08")) == (
        "RESP-PHONE-30S@<wbr>site=SH@<wbr>2026-08"
    )
    assert str(breakable_id("R@site=<b>")) == "R@<wbr>site=&lt;b&gt;"


def test_a_group_cell_breaks_after_its_equals_sign_not_inside_a_value(audited) -> None:
    """A narrow group column breaks ``contact_type=`` / ``Phone``, never ``Phon`` / ``e``."""
    _, out = audited
    page = (out / "en" / "report.html").read_text(encoding="utf-8")
    assert '<tr data-group-finding="CLOSURE-95@site=BJ"><td class="data">site=<wbr>BJ</td>' in page
    assert (
        'data-failing-finding="RESP-PHONE-30S@site=SH@2026-09"><td class="key data">I0000045</td>'
        '<td class="data">site=<wbr>SH</td>'
    ) in page


def test_a_week_the_audit_period_cuts_shows_the_days_it_holds(write_pack, tmp_path) -> None:
    """August 2026 runs from a Saturday to a Monday: 2026-W31 (Monday 27 July to Sunday
    2 August) holds 1-2 August of it, 2026-W36 (31 August to 6 September) the 31st only;
    2026-W33 (10-16 August) is whole. findings.json records each finding's days and the
    report names the cut weeks' days beside their labels."""
    from datetime import date

    from .series_pack import PACK, calls, rule, write

    body = "    evidence: calls\n    condition: answered\n    target: 80%\n"
    body += "    min_records: 1\n    group_by: [site]\n    period: week\n"
    pack = write_pack(PACK + rule("WEEKLY", body))
    rows = [
        ("c1", "BJ", "2026-08-01 10:00:00", False, None),
        ("c2", "BJ", "2026-08-02 10:00:00", True, None),
        ("c3", "BJ", "2026-08-10 10:00:00", True, None),
        ("c4", "BJ", "2026-08-31 10:00:00", False, None),
    ]
    evidence = tmp_path / "evidence"
    write(evidence, "calls.csv", calls(rows))
    result = run_audit(pack, evidence, tmp_path / "out", "2026-08", today=date(2026, 9, 15))
    document = result.document
    weekly = next(r for r in document["rules"] if r["rule"] == "WEEKLY")
    days = {f["id"]: f["days"] for f in weekly["findings"]}
    assert days["WEEKLY"] == {"first": "2026-08-01", "last": "2026-08-31", "clipped": False}
    assert days["WEEKLY@site=BJ@2026-W31"] == {
        "first": "2026-08-01",
        "last": "2026-08-02",
        "clipped": True,
    }
    assert days["WEEKLY@site=BJ@2026-W33"] == {
        "first": "2026-08-10",
        "last": "2026-08-16",
        "clipped": False,
    }
    assert days["WEEKLY@site=BJ@2026-W36"] == {
        "first": "2026-08-31",
        "last": "2026-08-31",
        "clipped": True,
    }
    shown = {
        "en": ("2026-W31 (1–2 Aug)", "2026-W33", "2026-W36 (31 Aug only)"),
        "zh": ("2026-W31（8月1日–2日）", "2026-W33", "2026-W36（仅 8月31日）"),
    }
    for lang, (first, whole, last) in shown.items():
        render_reports(document, tmp_path / lang, ("html",), lang)
        cells = parse((tmp_path / lang / "report.html").read_text(encoding="utf-8"))
        periods = {
            i["data-group-finding"]: i["_text"].split("BJ", 1)[1]
            for i in cells.items
            if "data-group-finding" in i and i["data-group-finding"].startswith("WEEKLY@")
        }
        assert periods["WEEKLY@site=BJ@2026-W31"].startswith(first)
        assert periods["WEEKLY@site=BJ@2026-W33"].startswith(f"{whole}100")
        assert periods["WEEKLY@site=BJ@2026-W36"].startswith(last)
        failing = {
            i["data-key"]: i["_text"]
            for i in cells.items
            if i.get("data-failing-finding", "").startswith("WEEKLY@")
        }
        assert failing.keys() == {"c1", "c4"}
        assert first in failing["c1"] and last in failing["c4"]


def test_a_group_s_corrective_action_deals_with_all_its_failing_periods(tmp_path) -> None:
    """RESP-PHONE-30S is judged in each site and month: SH fails in July (minor, 16 failing
    records), August (major, 47, 36 short) and September (major, 30, 17 short). Its one item
    shows August (the major that needed more conforming records) and deals with all 93
    records; GZ fails in August only (12)."""
    from datetime import date

    from auditor.i18n import Words
    from auditor.report.registers import capa_items

    pack = "customer-service-evaluation"
    audit = run_audit(
        RULES / f"{pack}.yaml", ROOT / "evidence" / "demo" / pack, tmp_path, "2026-Q3"
    )
    items = [
        i
        for i in capa_items(audit.findings, date(2026, 10, 1), Words("en"))
        if i.rule == "RESP-PHONE-30S"
    ]
    assert [(i.finding, i.failing_count, i.correction) for i in items] == [
        ("RESP-PHONE-30S@site=GZ@2026-08", 12, "Deal with the 12 failing records listed"),
        (
            "RESP-PHONE-30S@site=SH@2026-08",
            93,
            "Deal with the 93 failing records listed, in its 3 nonconforming periods",
        ),
    ]


def test_the_summary_says_how_many_gaps_its_list_leaves_out(audited) -> None:
    """The executive summary lists the 5 worst gaps; the demo has 6 nonconformities and
    observations, and the summary said nothing of the sixth. It says so, and where it is."""
    document, out = audited
    gaps = [r for r in document["rules"] if r["verdict"] in ("nonconform", "observation")]
    assert len(gaps) == 6
    for lang, text in (
        ("en", "And 1 more nonconformity or observation: see section 3, Gap analysis."),
        ("zh", "另有 1 项不符合或观察项未在此列出,见第 3 节“差距分析”。"),
    ):
        html = (out / lang / "report.html").read_text(encoding="utf-8")
        cells = parse(html[html.index('id="summary"') : html.index('id="clauses"')])
        assert len([e for e in cells.items if e["tag"] == "li" and "data-rule" in e]) == 5
        notes = [e["_text"] for e in cells.items if "more-gaps" in (e.get("class") or "")]
        assert notes == [text]
    from auditor.i18n import Words
    from auditor.report.context import more_gaps

    words = Words("en")
    assert more_gaps(20, words) == (
        "And 20 more nonconformities and observations: see section 3, Gap analysis."
    )
    assert more_gaps(0, words) == "" and more_gaps(-2, words) == ""


def test_the_failing_records_are_called_an_excerpt_only_when_cut(audited) -> None:
    """A gap listing every failing record ("All failing records are listed (3)") was headed
    "Failing records (excerpt)" all the same: "(excerpt)" only where the list is cut."""
    document, out = audited
    totals = {r["rule"]: r["findings"][0]["failing_count"] for r in document["rules"]}
    headings = {
        "en": ("Failing records", "Failing records (excerpt)"),
        "zh": ("不符合记录", "不符合记录(节选)"),
    }
    for lang, (whole, excerpt) in headings.items():
        html = (out / lang / "report.html").read_text(encoding="utf-8")
        gaps = html[html.index('id="gaps"') :].split('<div class="gap" data-rule="')[1:]
        seen = set()
        for block in gaps:
            rule = block[: block.index('"')]
            titles = [e for e in parse(block).items if "failing-title" in (e.get("class") or "")]
            if not totals[rule]:
                continue
            listed = block.count("data-failing-finding=")
            seen.add(listed < totals[rule])
            assert [e["_text"] for e in titles] == [excerpt if listed < totals[rule] else whole]
        assert seen == {True, False}  # the demo has both


def _running_head_lines(organisation: str, title: str) -> dict[str, int]:
    """The lines of each running-head box of a page after the cover, laid out by WeasyPrint
    with the report's own style sheet."""
    from importlib.resources import files

    from weasyprint import HTML

    css = files("auditor").joinpath("templates/report.css").read_text(encoding="utf-8")
    html = (
        f"<html><head><style>{css}</style></head><body><section class='cover'><h1>{title}</h1>"
        f"<span class='org named'>{organisation}</span> <span class='period-label'>2026-Q3"
        "</span></section><p>page two</p></body></html>"
    )
    page = HTML(string=html).render().pages[1]._page_box
    return {
        box.at_keyword: len(box.children)
        for box in page.children
        if getattr(box, "at_keyword", "").startswith("@top")
    }


def test_the_running_head_keeps_to_one_line_whatever_the_title() -> None:
    """The English customer-service report's running head broke onto a second line holding
    "Report" alone: a long title or organisation ends in an ellipsis instead."""
    title = "Enterprise Customer Service Quality Evaluation Standard: Certification Audit Report"
    assert _running_head_lines("Acme", title) == {"@top-left": 1, "@top-right": 1}
    long_name = "Acme Customer Service Holdings International Limited, Shanghai Branch"
    assert _running_head_lines(long_name, title + title) == {"@top-left": 1, "@top-right": 1}


def test_a_long_standard_title_fits_the_running_head_beside_a_short_organisation() -> None:
    """Every page of the English customer-service report ended its running head in
    "Certification Audit Re···" (the head had 60 % of the width): the title's text is no
    wider than its box now."""
    from importlib.resources import files

    from weasyprint import HTML

    css = files("auditor").joinpath("templates/report.css").read_text(encoding="utf-8")
    title = "Enterprise Customer Service Quality Evaluation Standard: Certification Audit Report"
    html = (
        f"<html><head><style>{css}</style></head><body><section class='cover'><h1>{title}</h1>"
        "<span class='org named'>Acme</span> <span class='period-label'>2026-Q3</span>"
        "</section><p>page two</p></body></html>"
    )
    page = HTML(string=html).render().pages[1]._page_box
    head = next(b for b in page.children if getattr(b, "at_keyword", "") == "@top-right")
    texts = [b for b in _boxes(head) if hasattr(b, "text")]
    assert "".join(b.text for b in texts) == title
    assert max(b.width for b in texts) <= head.width


def _boxes(box: Any) -> Any:
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)


def _english_page(document: dict[str, Any]) -> str:
    from datetime import date

    from auditor.report import Options, render_html

    return render_html(FindingsDocument.from_data(document), Options("en", date(2026, 10, 1)))


def _cell_lines(html: str, cell_class: str) -> list[list[str]]:
    """The text of each line of every table cell of that class, as WeasyPrint lays the PDF out."""
    from weasyprint import HTML

    cells = [
        box
        for page in HTML(string=html).render().pages
        for box in _boxes(page._page_box)
        if type(box).__name__ == "TableCellBox"
        and cell_class in (box.element.get("class") or "").split()
    ]
    return [
        [
            "".join(t.text for t in _boxes(line) if type(t).__name__ == "TextBox")
            for line in _boxes(cell)
            if type(line).__name__ == "LineBox"
        ]
        for cell in cells
    ]


def test_a_failing_record_s_file_and_line_keep_together(audited) -> None:
    """The failing records' last column broke "interactions-2026Q2Q3.csv:" from its line
    number: such a name now fits on one line, and a longer one breaks in the name only."""
    document = copy.deepcopy(audited[0])
    names = ("interactions-2026Q2Q3.csv", "interactions-exported-from-the-platform-2026Q3.csv")
    for number, rule in enumerate(document["rules"]):
        for finding in rule["findings"]:
            for source in finding.get("failing_sources") or []:
                source["file"] = names[number % 2]
    html = _english_page(document)
    cells = _cell_lines(html, "source")
    short = [lines for lines in cells if "".join(lines).startswith(names[0])]
    long = [lines for lines in cells if "".join(lines).startswith(names[1])]
    assert short and long and len(short) + len(long) == len(cells)
    assert all(len(lines) == 1 for lines in short), short
    for lines in long:
        assert re.fullmatch(r"\S*\.csv:\d+", lines[-1]), lines
        assert not any(line.endswith(":") for line in lines), lines


def test_an_owner_in_the_plan_breaks_between_words_only(audited) -> None:
    """The plan hyphenated owners: "information se-curity officer", "customer exper-ience
    manager"; an owner breaks at its spaces only, its longest word ("administrator") whole."""
    document = copy.deepcopy(audited[0])
    owners = ["information security officer", "customer experience manager", "CRM administrator"]
    planned = [rule for rule in document["rules"] if rule["verdict"] == "nonconform"]
    for number, rule in enumerate(planned):
        rule["capa"]["owner"]["en"] = owners[number % len(owners)]
    html = _english_page(document)
    shown = [" ".join(line.strip() for line in lines) for lines in _cell_lines(html, "owner")]
    assert set(shown) == set(owners), shown


def test_a_correction_in_the_plan_keeps_its_words_whole(audited, monkeypatch) -> None:
    """The plan's Correction column was too narrow for "nonconforming": it read
    "nonconformin / g periods"; each line now ends between words."""
    from auditor.report import registers

    text = "Deal with the 9,491 failing records listed, in its 6 nonconforming periods"
    monkeypatch.setattr(registers, "_correction", lambda *args, **kwargs: text)
    cells = _cell_lines(_english_page(copy.deepcopy(audited[0])), "correction")
    assert cells and all(" ".join(line.strip() for line in lines) == text for lines in cells), cells


def _pages_of(body: str) -> list[list[str]]:
    """The texts on each page of ``body`` laid out with the report's style sheet."""
    from importlib.resources import files

    from weasyprint import HTML

    css = files("auditor").joinpath("templates/report.css").read_text(encoding="utf-8")
    document = HTML(string=f"<html><head><style>{css}</style></head><body>{body}</body></html>")
    return [
        [box.text for box in _boxes(page._page_box) if type(box).__name__ == "TextBox"]
        for page in document.render().pages
    ]


def _rows_per_page(fill_mm: int, rows: int) -> list[int]:
    cells = "".join(f"<tr><td>row{i}</td><td>x</td></tr>" for i in range(rows))
    table = f"<table><thead><tr><th>h</th><th>v</th></tr></thead><tbody>{cells}</tbody></table>"
    body = f"<div style='height: {fill_mm}mm'></div><h4>Rule</h4>{table}<p>after</p>"
    counts = [sum(t.startswith("row") for t in page) for page in _pages_of(body)]
    return [n for n in counts if n]


def test_a_short_table_is_not_split_and_a_long_one_leaves_no_row_alone() -> None:
    """A group table of three rows began at a page's foot with its header and one row: a table
    of up to 12 rows stays on one page; a longer one leaves no row alone on either page."""
    fills = range(150, 262, 4)  # from the page's middle to its foot
    assert {tuple(_rows_per_page(fill, 3)) for fill in fills} == {(3,)}
    assert {tuple(_rows_per_page(fill, 12)) for fill in fills} == {(12,)}
    splits = {tuple(_rows_per_page(fill, 20)) for fill in fills}
    assert len(splits) > 1 and all(min(split) >= 2 for split in splits), splits


def test_a_heading_keeps_more_than_one_item_of_its_list() -> None:
    """A heading ("Statistical methods") stood at a page's foot with one item of its list."""
    items = "".join(f"<li>item{i}</li>" for i in range(5))
    for fill in range(200, 262, 3):
        for page in _pages_of(
            f"<div style='height: {fill}mm'></div><h3>Methods</h3><ul>{items}</ul>"
        ):
            shown = [t for t in page if t.startswith("item")]
            assert len(shown) != 1, (fill, page)


def test_capa_xlsx_does_not_read_a_parquet_file_that_is_not_the_audit_s(
    runner, cut_audits, tmp_path
) -> None:
    """A failing-records.parquet beside findings.json whose SHA-256 is not the one findings.json
    names is not the audit's list: the sheet holds findings.json's lists and says so."""
    from auditor.cli import main

    for name in ("findings.json", "failing-records.csv"):
        (tmp_path / name).write_bytes((cut_audits["en"] / name).read_bytes())
    (tmp_path / "failing-records.parquet").write_bytes(b"not the audit's records")
    render = ["report", "render", str(tmp_path / "findings.json"), "--format", "xlsx"]
    result = runner.invoke(main, [*render, "--lang", "en"])
    assert result.exit_code == 0, result.output
    sheets = xlsx_sheets(tmp_path / "capa.xlsx")
    assert sum(row[1] == CUT_FINDING for row in sheets["failing records"]) == 20
    assert sheets["notes"] == [("note",), (TRUNCATED_NOTES["en"],)]


def _monthly_calls() -> list[tuple[Any, ...]]:
    """Calls per site and month: BJ July 1 of 4 answered (nonconforming, 3 failing), August
    0 of 2 (not evaluable, 2 failing), September 49 of 50 (conforming, 1 failing); GZ July
    0 of 3 (nonconforming, 3 failing); SH August 0 of 2 (not evaluable, 2 failing)."""
    cells = [
        ("BJ", "2026-07", 1, 4),
        ("BJ", "2026-08", 0, 2),
        ("BJ", "2026-09", 49, 50),
        ("GZ", "2026-07", 0, 3),
        ("SH", "2026-08", 0, 2),
    ]
    rows = []
    for site, month, answered, n in cells:
        for i in range(n):
            day = f"{month}-{i % 28 + 1:02d} {10 + i // 28}:00:00"
            rows.append((f"{site}-{month}-{i}", site, day, i < answered, None))
    return rows


def test_the_pareto_says_what_it_counts_and_what_the_plan_leaves_out(write_pack, tmp_path) -> None:
    """A user trial found the Pareto bar of a group judged in each month (26) and the CAPA
    plan's row for it (22 records, of its nonconforming months) disagreeing without a word:
    the bar counts every failing record of the group, the plan those of its nonconforming
    periods. The chart now says what its bars count and, for each group whose bar holds
    records the plan does not deal with, how many, in which periods and why. Here the bars
    are BJ 3 + 2 + 1 = 6, GZ 3, SH 2; the plan deals with BJ's July (3) and GZ's July (3)."""
    from datetime import date

    from auditor.i18n import Words
    from auditor.report.registers import capa_items

    from .series_pack import PACK, calls, rule, write

    body = "    evidence: calls\n    condition: answered\n    target: 80%\n    min_records: 3\n"
    body += "    group_by: [site]\n    period: month\n    judge: each-group\n"
    pack = write_pack(PACK + rule("MONTHLY", body))
    evidence = tmp_path / "evidence"
    write(evidence, "calls.csv", calls(_monthly_calls()))
    result = run_audit(pack, evidence, tmp_path / "out", "2026-Q3", today=date(2026, 10, 15))
    document = result.document
    monthly = next(r for r in document["rules"] if r["rule"] == "MONTHLY")
    assert monthly["verdict"] == "nonconform"
    expected = {
        "en": (
            "Each bar counts all a group's failing records, in every one of its periods "
            "whatever that period's verdict.",
            [
                "site=BJ: the corrective-action plan deals with 3 of its 6 failing records; "
                "the other 3 are in periods it does not deal with: 2 in 2026-08 — not "
                "evaluable, n = 2 (minimum 3); "
                "1 in 2026-09 — conform, 49 / 50.",
                "site=SH: the corrective-action plan deals with none of its 2 failing "
                "records; they are in periods it does not deal with: "
                "2 in 2026-08 — not evaluable, n = 2 (minimum 3).",
            ],
            ["Deal with the 3 failing records listed"] * 2,
        ),
        "zh": (
            "每根柱计入该分组各期间的全部不符合记录,不论该期间的结论如何。",
            [
                "site=BJ:纠正措施计划处理其 6 条不符合记录中的 3 条;其余 3 条所在的期间"
                "不在计划内:2026-08 的 2 条(无法评价,n = 2(最少 3));"
                "2026-09 的 1 条(符合,49 / 50)。",
                "site=SH:纠正措施计划不处理其 2 条不符合记录,它们所在的期间不在计划内:"
                "2026-08 的 2 条(无法评价,n = 2(最少 3))。",
            ],
            ["处理清单中的 3 条不符合记录"] * 2,
        ),
    }
    for lang, (caption, outside, corrections) in expected.items():
        render_reports(document, tmp_path / lang, ("html",), lang)
        html = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
        gap = html[html.index('<div class="gap" data-rule="MONTHLY"') :]
        notes = [e for e in parse(gap).items if "pareto" in (e.get("class") or "")]
        assert [e["class"] for e in notes[:2]] == ["chart pareto", "note pareto-caption"]
        assert notes[1]["_text"] == caption
        assert [e["_text"] for e in notes[2:] if "outside" in e["class"]] == outside
        items = [
            i
            for i in capa_items(result.findings, date(2026, 10, 1), Words(lang))
            if i.rule == "MONTHLY"
        ]
        # the plan's rows: BJ's 6 less the 3 outside it, GZ's 3 (SH has no row)
        assert [(i.finding, i.failing_count, i.correction) for i in items] == [
            ("MONTHLY@site=BJ@2026-07", 3, corrections[0]),
            ("MONTHLY@site=GZ@2026-07", 3, corrections[1]),
        ]
