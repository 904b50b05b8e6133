"""The report can be trusted: shown values never contradict verdicts, every finding carries its
arithmetic with units, layout fits the page in both languages, a Chinese report is Chinese,
the recommendation is the audit's, and the registers stay within Excel's limits."""

from __future__ import annotations

import copy
import csv
import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from auditor import charts, report
from auditor.audit import run_audit
from auditor.findings.contract import FindingsDocument, Threshold
from auditor.formatting import number_text, percent_text, target_text, value_text
from auditor.i18n import business, duration, translate_reason
from auditor.pack import load_pack
from auditor.report import render_reports

from .conftest import ROOT, RULES
from .test_report import parse, schema_1_1

EVIDENCE = ROOT / "evidence" / "demo"
PACKS = ("service-quality", "special-service-monitoring")


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """Both demo audits' findings documents (schema 1.1)."""
    out = tmp_path_factory.mktemp("trust")
    return {
        name: schema_1_1(
            run_audit(RULES / f"{name}.yaml", EVIDENCE / name, out / name, "2026-Q3").document
        )
        for name in PACKS
    }


def html_of(document: dict[str, Any], lang: str, folder: Path) -> str:
    render_reports(document, folder, ("html",), lang)
    return (folder / "report.html").read_text(encoding="utf-8")


def rule_of(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in document["rules"] if r["rule"] == rule_id)


def items(cells: Any, attribute: str, value: str | None = None) -> list[dict[str, Any]]:
    return [i for i in cells.items if attribute in i and (value is None or i[attribute] == value)]


def section(html: str, name: str) -> str:
    """The visible text of one <section id=name>."""
    start = html.index(f'<section id="{name}"')
    text = html[start : html.index("</section>", start)]
    return re.sub(r"\s+", " ", "".join(parse(text).text))


# ------------------------------------------------------------ 1 values never contradict verdicts


def almost_all(document: dict[str, Any]) -> dict[str, Any]:
    """RECORD-AGENT at 3,450 of 3,451 against 100 %: a minor nonconformity."""
    doc = copy.deepcopy(document)
    rule = rule_of(doc, "RECORD-AGENT")
    rule["verdict"], rule["verdict_severity"] = "nonconform", "minor"
    pooled = rule["findings"][0]
    pooled["counts"].update(n=3451, conforming=3450, breached=1)
    pooled.update(
        value=3450 / 3451,
        interval=[0.99836, 0.99995],
        verdict="nonconform",
        severity="minor",
        threshold={"op": ">=", "value": 1.0},
        target=">= 100%",
        shortfall=1,
        reasons=[],
    )
    return doc


def test_a_rate_just_below_its_target_never_prints_as_the_target(demos, tmp_path) -> None:
    doc = almost_all(demos["service-quality"])
    for lang in ("en", "zh"):
        cells = parse(html_of(doc, lang, tmp_path / lang))
        value = next(
            i for i in cells.items if i.get("data-finding") == "RECORD-AGENT" and i["tag"] == "tr"
        )
        assert "99.97 %" in value["_text"] and "100.0 %" not in value["_text"].split("≥")[0]
        arith = items(cells, "data-arith", "RECORD-AGENT")[0]["_text"]
        assert arith.startswith("99.97 %")
        assert "99.836 %–99.995 %" in arith  # the bounds too, beside the 100 % target, alike
        capa = next(i for i in items(cells, "data-due") if i["data-finding"] == "RECORD-AGENT")
        assert "99.97 %" in capa["_text"]
    render_reports(doc, tmp_path / "registers", ("csv", "xlsx"), "en")
    with (tmp_path / "registers" / "capa.csv").open(encoding="utf-8-sig") as handle:
        row = next(r for r in csv.DictReader(handle) if r["rule"] == "RECORD-AGENT")
    assert row["value"].replace("\xa0", " ") == "99.97 %"
    book = openpyxl.load_workbook(tmp_path / "registers" / "capa.xlsx", read_only=True)
    cells = [c for r in book["CAPA"].iter_rows(values_only=True) for c in r]
    book.close()
    assert "99.97\xa0%" in cells and "100.0\xa0%" not in cells


def test_a_mean_just_below_its_threshold_keeps_its_side(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    rule = rule_of(doc, "CSAT-Q-4.2")
    pooled = rule["findings"][0]
    pooled.update(value=4.1999, verdict="nonconform", severity="minor", interval=[4.1, 4.3])
    rule["verdict"], rule["verdict_severity"] = "nonconform", "minor"
    cells = parse(html_of(doc, "en", tmp_path))
    arith = items(cells, "data-arith", "CSAT-Q-4.2")[0]["_text"]
    assert arith.startswith("mean 4.1999 ") and "against ≥ 4.2" in arith


def test_an_interval_bound_never_prints_as_the_value_it_bounds(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    pooled = rule_of(doc, "CSAT-Q-4.2")["findings"][0]
    pooled.update(value=4.2786, interval=[4.2051, 4.2839])
    arith = items(parse(html_of(doc, "en", tmp_path)), "data-arith", "CSAT-Q-4.2")[0]["_text"]
    # 4.2839 at the value's two decimals would read 4.28, the value itself
    assert arith.startswith("mean 4.28 ") and "95 % CI 4.205–4.284" in arith


def test_both_bounds_of_an_interval_show_its_width(demos, tmp_path) -> None:
    """A re-trial's mean of 0.505 (sums in floating point: 0.50499999999) printed its interval
    0.50469-0.50531 as "0.5047–0.51", eight times as wide: each bound had the decimals it
    needed to keep its side, no more. Both now have the ones the width needs."""
    doc = copy.deepcopy(demos["service-quality"])
    pooled = rule_of(doc, "CSAT-Q-4.2")["findings"][0]
    pooled.update(value=0.50499999999, interval=[0.504689947418778, 0.5053100525812158])
    arith = items(parse(html_of(doc, "en", tmp_path)), "data-arith", "CSAT-Q-4.2")[0]["_text"]
    assert "95 % CI 0.5047–0.5053" in arith


def test_a_small_standard_deviation_keeps_two_figures(demos, tmp_path) -> None:
    """s = 0.0050025 printed "s = 0.01" (and 0.0005 "s = 0.00", as if no spread at all)."""
    doc = copy.deepcopy(demos["service-quality"])
    pooled = rule_of(doc, "CSAT-Q-4.2")["findings"][0]
    for spread, shown in ((0.0050025, "s = 0.0050"), (0.00049, "s = 0.00049"), (0.17, "s = 0.17")):
        pooled["details"]["standard_deviation"] = spread
        arith = items(parse(html_of(doc, "en", tmp_path)), "data-arith", "CSAT-Q-4.2")[0]["_text"]
        assert f"; {shown};" in arith, arith


# ------------------------------------------------------------ 2 the arithmetic of every finding


def expected_figures(finding: dict[str, Any]) -> list[str]:
    """The numbers a reader needs to redo a finding, from findings.json alone (English)."""
    c, d, unit = finding["counts"], finding["details"], finding["unit"]
    if unit == "share":
        low, high = finding["interval"]
        ref = finding["threshold"]["value"]
        return [
            f"{c['conforming']:,} of {c['n']:,}",
            f"95 % CI {percent_text(low, ref)}–{percent_text(high, ref)}",
        ]
    if unit == "per_1000":
        low, high = finding["interval"]
        ref = finding["threshold"]["value"]
        return [
            f"{d['count']:,} of {d['n']:,}",
            f"95 % CI {number_text(low, ref)} ‰–{number_text(high, ref)} ‰",
        ]
    if "rank" in d:
        return [f"value at rank {d['rank']:,} of {d['n']:,}, nearest rank"]
    if "promoters" in d:
        return [
            f"{d['promoters']:,} promoters",
            f"{d['detractors']:,} detractors",
            f"of {d['n']:,}",
        ]
    return [f"sum {d['sum']:,.0f} / {d['n']:,}", "95 % CI"]


def test_every_rule_conform_or_not_shows_numerator_denominator_interval_and_target(
    demos, tmp_path
) -> None:
    for name, doc in demos.items():
        cells = parse(html_of(doc, "en", tmp_path / name))
        for rule in doc["rules"]:
            pooled = rule["findings"][0]
            text = items(cells, "data-arith", rule["rule"])[0]["_text"]
            assert pooled["verdict"] != "not-evaluable"
            for figure in expected_figures(pooled):
                assert figure in text, (rule["rule"], figure, text)
            op = {">=": "≥", "<=": "≤"}[pooled["threshold"]["op"]]
            assert f"against {op} " in text, text


def test_the_sampling_statement_says_what_a_100_percent_target_s_interval_is_for(
    demos, tmp_path
) -> None:
    """The report prints an interval for a rule with a 100 % target; its statement on
    sampling said no interval applies to such rules."""
    document = demos["service-quality"]
    pooled = [rule["findings"][0] for rule in document["rules"]]
    full = [f for f in pooled if (f["threshold"] or {}).get("value") == 1 and f["interval"]]
    assert full, "a rule with a 100 % target and an interval"
    for lang, said, unsaid in (
        ("en", "their interval is shown but takes no part in the verdict", "no interval applies"),
        ("zh", "其区间照常列出,但不参与判定", "不适用区间"),
    ):
        text = re.sub(r"\s+", " ", "".join(parse(html_of(document, lang, tmp_path / lang)).text))
        assert said in text and unsaid not in text


def test_every_group_of_a_grouped_rule_has_its_row(demos, tmp_path) -> None:
    for name, doc in demos.items():
        cells = parse(html_of(doc, "en", tmp_path / name))
        rows = {r["data-group-finding"]: r for r in items(cells, "data-group-finding")}
        cells_by_id = {f["id"]: f for r in doc["rules"] for f in r["findings"][1:]}
        assert set(rows) == set(cells_by_id)
        for finding_id, finding in cells_by_id.items():
            text = rows[finding_id]["_text"]
            verdict = {"not-evaluable": "not evaluable"}.get(finding["verdict"], finding["verdict"])
            assert verdict.split("-")[0] in text.replace("nonconformity", "nonconform")
            if finding["value"] is not None and finding["unit"] == "share":
                ref = finding["threshold"]["value"]
                assert percent_text(finding["value"], ref) in text
                assert f"{finding['counts']['conforming']:,} / {finding['counts']['n']:,}" in text
            if finding["not_evaluable"]:
                assert f"n = {finding['counts']['n']:,}" in text


def test_durations_and_business_time_read_as_people_read_them() -> None:
    assert duration(3110206) == "35 d 23 h"
    assert duration(252) == "4 min 12 s"
    assert duration(234356, "zh") == "2 天 17 小时"
    assert duration(29.6, reference=30) == "29.6 s"  # never rounded onto its limit
    assert business(648000, "office") == "180 business hours (calendar office)"
    assert business(15480, "office", "zh") == "4.3 个工作小时(日历 office)"


def test_business_time_under_an_hour_is_a_length_of_time_on_its_side_of_the_limit() -> None:
    """A 157 s or 31 s breach of a 30 s business-time limit was written 0.0 business hours."""
    nbsp = "\u00a0"
    failing = {
        seconds: value_text(seconds, "business-seconds", None, "en", "bank", written=True)
        for seconds in (157, 31, 3599, 3600)
    }
    assert failing == {
        157: f"2{nbsp}min{nbsp}37{nbsp}s{nbsp}of business time (calendar bank)",
        31: f"31{nbsp}s{nbsp}of business time (calendar bank)",
        3599: f"59{nbsp}min{nbsp}59{nbsp}s{nbsp}of business time (calendar bank)",
        3600: f"1{nbsp}business hour (calendar bank)",
    }
    assert business(30.4, "bank", reference=30) == f"30.4{nbsp}s of business time (calendar bank)"
    assert business(157, "bank", "zh") == f"2{nbsp}分{nbsp}37{nbsp}秒 工作时间(日历 bank)"


def failing_rows(cells: Any, rule_id: str) -> list[dict[str, Any]]:
    """The failing-record rows of a rule, each with the text of its "measured" cell."""
    rows, row = [], None
    for item in cells.items:
        if "data-failing-finding" in item:
            row = item if item["data-failing-finding"].startswith(rule_id) else None
        elif row is not None and "measured" in (item.get("class") or "").split():
            rows.append({**row, "_text": item["_text"]})
            row = None
    return rows


def note_of(rule: dict[str, Any], key: str) -> tuple[float | None, dict[str, Any] | None]:
    for finding in rule["findings"][1:] or rule["findings"]:
        if key in finding["failing"]:
            index = finding["failing"].index(key)
            return finding["failing_values"][index], finding["failing_notes"][index]
    raise AssertionError(key)


def test_sequence_failures_name_the_step_and_the_overrun_in_units(demos, tmp_path) -> None:
    doc = demos["special-service-monitoring"]
    rule = rule_of(doc, "COMPLAINT-HANDLING")
    for lang, words in (
        ("en", ("late by", "missing", "out of order")),
        ("zh", ("超时", "缺失", "顺序错误")),
    ):
        cells = parse(html_of(doc, lang, tmp_path / lang))
        rows = failing_rows(cells, "COMPLAINT-HANDLING")
        assert rows
        for row in rows:
            _, note = note_of(rule, row["data-key"])
            text = row["_text"]
            assert note is not None and note["step"] in text
            word = dict(zip(("late", "missing", "out of order"), words, strict=True))[
                note["problem"]
            ]
            assert word in text
            assert not re.search(r"\d{4,}(\.\d+)?", text), text  # never raw seconds
            if note["over_seconds"] is not None:
                assert duration(note["over_seconds"], lang) in text.replace("\xa0", " ")


def test_calls_ended_unanswered_and_records_open_at_period_end_are_marked(demos, tmp_path) -> None:
    """The demo's unanswered calls all ended (hung up): each says so with its length; marked
    open at the period end (as a record with neither an answer nor an end would be), they say that."""
    doc = copy.deepcopy(demos["service-quality"])
    rule = rule_of(doc, "RESP-PHONE-30S")
    ended = []  # (key, finding, index) of each call that ended unanswered
    for f in rule["findings"][1:]:
        for at, note in enumerate(f["failing_notes"]):
            if note and note["problem"] == "ended without reaching":
                assert note["step"] == "answered_at"
                assert f["failing_values"][at] < 3600  # the call's length, not up to the period end
                ended.append((f["failing"][at], f, at))
    ended.sort(key=lambda e: e[0])
    for _, f, at in ended[::2]:  # every other one made open at the period end
        f["failing_notes"][at] = {**f["failing_notes"][at], "problem": "open at period end"}
        f["failing_notes"][at]["step"] = "answered_at"  # the end not reached
    open_keys = {key for key, _, _ in ended[::2]}
    ended_keys = {key for key, _, _ in ended[1::2]}
    assert ended_keys and open_keys
    for lang, hung_up, still in (
        ("en", "without reaching answered_at", "answered_at not reached by the period end"),
        ("zh", "未到达 answered_at 即已结束", "期末前未到 answered_at"),
    ):
        cells = parse(html_of(doc, lang, tmp_path / lang))
        rows = failing_rows(cells, "RESP-PHONE-30S")
        assert any(row["data-key"] in ended_keys for row in rows)
        assert any(row["data-key"] in open_keys for row in rows)
        for row in rows:
            assert (hung_up in row["_text"]) == (row["data-key"] in ended_keys), row
            assert (still in row["_text"]) == (row["data-key"] in open_keys), row


def test_condition_rules_say_what_was_measured(demos, tmp_path) -> None:
    doc = demos["special-service-monitoring"]
    cells = parse(html_of(doc, "en", tmp_path))
    for rule_id, words in (("APPEARANCE", "condition not met"), ("SPOT-CHECKS", "answered no")):
        rows = failing_rows(cells, rule_id)
        assert rows and all(words in r["_text"] for r in rows)


def test_business_durations_name_the_calendar(demos, tmp_path) -> None:
    doc = demos["service-quality"]
    assert rule_of(doc, "TECH-INITIAL-4H")["calendar"] == "office"
    cells = parse(html_of(doc, "en", tmp_path))
    rows = failing_rows(cells, "TECH-INITIAL-4H")
    assert rows and all(
        re.search(r"\d business hours \(calendar office\)", r["_text"]) for r in rows
    )


def test_a_mean_of_durations_is_shown_as_a_duration(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    rule = rule_of(doc, "CSAT-Q-4.2")
    pooled = rule["findings"][0]
    pooled.update(
        unit="seconds",
        value=252.0,
        interval=[230.0, 274.0],
        threshold={"op": "<=", "value": 300.0},
        target="<= 5min",
        details={"sum": 252.0 * 723, "n": 723, "standard_deviation": 60.0},
    )
    cells = parse(html_of(doc, "en", tmp_path))
    row = next(i for i in cells.items if i.get("data-finding") == "CSAT-Q-4.2" and i["tag"] == "tr")
    assert "4 min 12 s" in row["_text"] and "≤ 5 min" in row["_text"]
    arith = items(cells, "data-arith", "CSAT-Q-4.2")[0]["_text"]
    assert "95 % CI 3 min 50 s–4 min 34 s" in arith


def test_values_are_written_by_their_unit_in_one_place() -> None:
    assert value_text(3450 / 3451, "share", 1.0) == "99.97\xa0%"
    assert value_text(0.9, "share", written=True) == "90\xa0%"
    assert value_text(4.1999, "number", 4.2) == "4.1999"
    assert value_text(12.5, "per_1000", 20.0) == "12.50\xa0‰"
    assert value_text(23.4, "points", 20.0) == "+23.4"
    assert value_text(252, "seconds", 300.0) == "4\xa0min\xa012\xa0s"
    assert value_text(252, "seconds", lang="zh") == "4\xa0分\xa012\xa0秒"
    assert value_text(15480, "business-seconds", None, "en", "office") == (
        "4.3\xa0business hours (calendar office)"
    )
    assert value_text(None, "share") == "–"
    assert value_text(108.9, "number", 120.0, label="min") == "108.90 min"
    assert value_text(0.5, "share", label="min") == "50.0\xa0%"  # a unit names itself
    assert target_text(Threshold(op="<=", value=14400), "seconds") == "≤\xa04\xa0h"
    assert target_text(Threshold(op=">=", value=0.95), "share", "zh") == "≥\xa095\xa0%"


def test_a_count_of_one_is_singular_in_english() -> None:
    from auditor.findings import sentences
    from auditor.i18n import Words

    en, zh = Words("en"), Words("zh")
    assert sentences._fmt(en, "shortfall", k="1") == "; 1 more conforming record was needed"
    assert sentences._fmt(en, "shortfall", k="2") == "; 2 more conforming records were needed"
    assert sentences._fmt(en, "too-few", n="1", minimum="30") == (
        "only 1 record, fewer than the minimum of 30"
    )
    assert sentences._fmt(zh, "shortfall", k="1") == ";尚需再有 1 条符合方能达标"


def test_a_plain_number_is_named_by_the_packs_unit_label(demos, tmp_path) -> None:
    doc = demos["special-service-monitoring"]
    assert rule_of(doc, "VISIT-P90-120MIN")["unit_label"] == {"zh": "分钟", "en": "min"}
    for lang, unit in (("en", "min"), ("zh", "分钟")):
        cells = parse(html_of(doc, lang, tmp_path / lang))
        row = next(
            i
            for i in cells.items
            if i.get("data-finding") == "VISIT-P90-120MIN" and i["tag"] == "tr"
        )
        assert f"108.90 {unit}" in row["_text"] and f"≤ 120 {unit}" in row["_text"]
        arith = items(cells, "data-arith", "VISIT-P90-120MIN")[0]["_text"]
        assert f"108.90 {unit}" in arith and f"≤ 120 {unit}" in arith


def test_the_target_is_read_from_the_threshold_not_its_text(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    for phone in rule_of(doc, "RESP-PHONE-30S")["findings"]:
        phone["threshold"] = {"op": ">=", "value": 0.85}  # the text still says 90 %
    csat = rule_of(doc, "CSAT-Q-4.2")["findings"][0]
    csat.update(threshold=None, target=">= 4.2 on average")  # no threshold: the text as given
    cells = parse(html_of(doc, "en", tmp_path))
    row = next(
        i
        for i in cells.items
        if i.get("data-rule") == "RESP-PHONE-30S" and "data-finding" in i and i["tag"] == "tr"
    )
    assert "≥ 85 %" in row["_text"] and "90 %" not in row["_text"]
    row = next(i for i in cells.items if i.get("data-finding") == "CSAT-Q-4.2" and i["tag"] == "tr")
    assert ">= 4.2 on average" in row["_text"]


def test_the_deciding_finding_is_the_contracts(demos, tmp_path) -> None:
    for name, doc in demos.items():
        typed = FindingsDocument.from_data(doc)
        cells = parse(html_of(doc, "en", tmp_path / name))
        capa = {i["data-finding"] for i in items(cells, "data-due")}
        deciding = {r.rule: r.deciding_finding() for r in typed.rules}
        nonconform = [r for r in typed.rules if r.verdict == "nonconform"]
        # a rule judged pooled: its deciding finding; one judged in each group: a finding of
        # every group that does not conform (the deciding one among them)
        expected = {deciding[r.rule].id for r in nonconform if r.judge == "pooled"}
        shown = {f.id: f for r in nonconform for f in r.findings}
        for rule in (r for r in nonconform if r.judge == "each-group"):
            failing = {
                tuple(f.group.items()) for f in rule.findings[1:] if f.verdict == "nonconform"
            }
            listed = [shown[i] for i in capa if i.startswith(rule.rule + "@")]
            assert {tuple(f.group.items()) for f in listed} == failing
            assert all(f.verdict == "nonconform" for f in listed)
            assert deciding[rule.rule].id in {f.id for f in listed}
            expected |= {f.id for f in listed}
        assert capa == expected
        for rule in typed.rules:
            arith = items(cells, "data-arith", rule.rule)[0]["_text"]
            chosen = deciding[rule.rule]
            if chosen is rule.findings[0]:
                assert "decided by" not in arith
            else:
                named = [f"{k}={v}" for k, v in chosen.group.items()]
                where = " · ".join([*named, chosen.period])
                assert f"decided by {where}: " in arith


def row_cells(cells: Any, rule_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A rule's row of the clause table and the elements inside it."""
    row = next(
        i
        for i in cells.items
        if i["tag"] == "tr" and i.get("data-rule") == rule_id and "data-finding" in i
    )
    rest = cells.items[cells.items.index(row) + 1 :]
    return row, rest[: next(k for k, i in enumerate(rest) if i["tag"] == "tr")]


def test_a_rule_decided_by_one_cell_shows_that_cells_figures(tmp_path) -> None:
    """RESP-PHONE-30S is judged in each site and month: SH in 2026-08 (56.2 %) makes it a major
    nonconformity while the pooled 92.6 % meets the target. Beside the verdict the report shows
    the figures findings.json has for SH in 2026-08 and names the cell; the pooled figure
    follows, labelled as such."""
    run_audit(RULES / "service-quality.yaml", EVIDENCE / "service-quality", tmp_path, "2026-Q3")
    data = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    typed = next(r for r in FindingsDocument.from_data(data).rules if r.rule == "RESP-PHONE-30S")
    doc = schema_1_1(data)
    rule = rule_of(doc, "RESP-PHONE-30S")
    pooled, cell = rule["findings"][0], rule["findings"][1:]
    cell = next(f for f in cell if f["id"] == typed.deciding_finding().id)
    assert cell["id"] == "RESP-PHONE-30S@site=SH@2026-08" and cell["group"] == {"site": "SH"}
    assert (rule["verdict"], rule["verdict_severity"]) == ("nonconform", "major")
    assert (cell["verdict"], cell["severity"]) == ("nonconform", "major")
    assert pooled["verdict"] == "conform"
    shown = percent_text(cell["value"], cell["threshold"]["value"])
    assert shown == "56.2 %"
    aside = percent_text(pooled["value"], pooled["threshold"]["value"])
    assert aside == "92.6 %"
    for lang, decided, verdict, pooled_label in (
        ("en", "decided by site=SH · 2026-08", "major nonconformity", "pooled over all groups"),
        ("zh", "决定结论的是 site=SH · 2026-08", "严重不符合", "全部分组、全期合计"),
    ):
        render_reports(doc, tmp_path / lang, ("html", "pdf"), lang)
        html = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
        cells = parse(html)
        row, inside = row_cells(cells, "RESP-PHONE-30S")
        assert row["data-finding"] == cell["id"]
        value = next(i for i in inside if "data-value" in i)
        assert float(value["data-value"]) == cell["value"] and value["_text"] == shown
        n = next(i for i in inside if "data-n" in i)
        assert int(n["data-n"]) == cell["counts"]["n"]
        named = next(i for i in inside if "data-decided-by" in i)
        assert named["data-decided-by"] == cell["id"] and named["_text"] == decided
        judged = next(i for i in inside if "data-verdict" in i)
        assert judged["_text"] == verdict + decided
        assert aside not in row["_text"]
        # the arithmetic under the row: the cell's first, then the pooled one, labelled
        arith = items(cells, "data-arith", "RESP-PHONE-30S")[0]["_text"]
        assert arith.startswith(decided) and shown in arith.split(pooled_label)[0]
        other = items(cells, "data-pooled-finding", pooled["id"])[0]["_text"]
        assert other.startswith(pooled_label) and aside in other
        # the gap analysis opens with the cell's sentence; the summary's worst gap is the cell's
        gap = html[html.index('<div class="gap" data-rule="RESP-PHONE-30S"') :]
        sentences = [i for i in parse(gap).items if "sentence" in i.get("class", "").split()]
        assert sentences[0]["data-finding"] == cell["id"]
        assert sentences[0]["_text"].startswith(decided) and shown in sentences[0]["_text"]
        assert sentences[1]["data-finding"] == pooled["id"]
        assert sentences[1]["_text"].startswith(pooled_label)
        worst = next(i for i in items(cells, "data-rule", "RESP-PHONE-30S") if i["tag"] == "li")
        assert decided in worst["_text"] and shown in worst["_text"]
        assert aside not in worst["_text"]
        # the PDF's row: the verdict, the cell named, its value, target and n
        pages = PdfReader(tmp_path / lang / "report.pdf").pages
        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pages))
        expected = f"{verdict}{decided}{shown}≥90%{cell['counts']['n']:,}"
        assert re.sub(r"\s+", "", expected) in text


def test_the_arithmetic_does_not_depend_on_the_measure_name(demos, tmp_path) -> None:
    for name, doc in demos.items():
        renamed = copy.deepcopy(doc)
        for rule in renamed["rules"]:
            rule["measure"] = "some-new-measure"
        before = parse(html_of(doc, "en", tmp_path / name / "before"))
        after = parse(html_of(renamed, "en", tmp_path / name / "after"))
        for attribute in ("data-arith", "data-group-finding", "data-value"):
            assert [i["_text"] for i in items(before, attribute)] == [
                i["_text"] for i in items(after, attribute)
            ]


# ------------------------------------------------------------ 3 layout and language


def overflowing_boxes(html: str) -> list[tuple[int, str, float]]:
    """Boxes that reach past the right margin, or past the table cell that holds them."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    found = []
    for number, page in enumerate(HTML(string=html).render().pages, 1):
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for box in page_box.children[0].descendants():
            if getattr(box, "width", None) is None:
                continue
            if box.position_x + box.margin_width() > right + 0.5:
                found.append(
                    (number, type(box).__name__, box.position_x + box.margin_width() - right)
                )
            if isinstance(box, boxes.TableCellBox):
                edge = box.position_x + box.margin_width()
                for inner in box.descendants():
                    if (
                        getattr(inner, "width", None) is not None
                        and inner.position_x + inner.margin_width() > edge + 0.5
                    ):
                        found.append((number, getattr(inner, "text", type(inner).__name__), 0.0))
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_table_fits_the_page_width(demos, tmp_path, lang) -> None:
    for name, doc in demos.items():
        assert overflowing_boxes(html_of(doc, lang, tmp_path / name)) == []


def test_tables_have_fixed_column_widths(demos, tmp_path) -> None:
    html = html_of(demos["special-service-monitoring"], "zh", tmp_path)
    assert "table-layout: fixed" in html and "overflow-wrap: anywhere" in html
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        widths = [float(w) for w in re.findall(r'<col style="width: ([\d.]+)%">', table)]
        assert widths and abs(sum(widths) - 100) < 0.01, table[:80]


def test_the_capa_action_column_is_wide_enough_in_chinese(demos, tmp_path) -> None:
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    html = html_of(demos["special-service-monitoring"], "zh", tmp_path)
    widths = []
    for page in HTML(string=html).render().pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TableCellBox) and "action" in (box.element.get("class") or ""):
                widths.append(box.width * 25.4 / 96)  # mm
    assert widths and min(widths) > 25


def overlaps(labels: list[Any], renderer: Any) -> bool:
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_pareto_labels_never_overlap_and_zero_groups_are_left_out() -> None:
    counts = [(f"a rather long agent team name {i:02d}", i % 7) for i in range(40)]
    figure = charts.pareto_figure(counts, "Pareto", "Count")
    renderer = figure.canvas.get_renderer()
    axis = figure.axes[0]
    labels = axis.get_yticklabels() + axis.get_xticklabels()
    assert not overlaps(labels, renderer)
    shown = [t.get_text() for t in axis.get_yticklabels()]
    assert len(shown) <= charts.PARETO_BARS
    assert not any(name.endswith(f"{i:02d}") for name in shown for i in range(0, 40, 7))
    small = charts.pareto_figure([("BJ", 3), ("GZ", 0), ("SH", 5)], "Pareto", "Count")
    names = [t.get_text() for t in small.axes[0].get_xticklabels()]
    assert names == ["SH", "BJ"]


def test_a_pareto_bar_before_the_last_is_never_labelled_100_percent() -> None:
    """2,490 of 2,500 is 99.6 %, labelled 100 % before the last bar; the shares after it
    (2,491 to 2,499 of 2,500: 99.64 % to 99.96 %) too."""
    counts = [("A", 2490)] + [(f"g{i:02d}", 1) for i in range(10)]
    figure = charts.pareto_figure(counts, "Pareto", "Count")
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert labels == [
        "2,490 · 99.6%",
        *(f"1 · {share}" for share in ("99.6%", "99.7%", "99.7%", "99.8%", "99.8%", "99.8%")),
        *(f"1 · {share}" for share in ("99.9%", "99.9%", "99.9%")),
        "1 · 100%",
    ]


def test_trend_legend_stays_off_the_data() -> None:
    series = {
        g: [(f"2026-{m:02d}", 0.9 + m / 100) for m in range(1, 13)] for g in ("BJ", "GZ", "SH")
    }
    figure = charts.trend_figure(series, 0.95, True, "Trend", "Target")
    renderer = figure.canvas.get_renderer()
    axis = figure.axes[0]
    legend = axis.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(axis.get_window_extent(renderer))
    assert not overlaps(axis.get_xticklabels(), renderer)


def test_every_trend_line_of_a_chart_is_drawn_differently() -> None:
    """Nine groups on a six-colour palette: the trial's "priority=0 · type=IN" and
    "priority=1 · type=PS" (lines 0 and 6) were both #1f5f8b with round markers."""
    names = [f"priority={p} · type={t}" for p in (0, 1, 2) for t in ("IN", "NE", "PS")]
    series = {name: [("2010-W31", 0.5), ("2010-W32", 0.6)] for name in names}
    figure = charts.trend_figure(series, 0.85, True, "Trend", "Target")
    lines = [line for line in figure.axes[0].get_lines() if line.get_label() in names]
    drawn = {(line.get_color(), line.get_marker(), line.get_linestyle()) for line in lines}
    assert len(lines) == len(drawn) == 9
    # lines 0 and 6: the same colour, told apart by the marker (round against square)
    assert [(line.get_color(), line.get_marker()) for line in lines[::6]] == [
        ("#1f5f8b", "o"),
        ("#1f5f8b", "s"),
    ]
    styles = {tuple(charts.series_style(i).values()) for i in range(charts.SERIES_STYLES)}
    assert len(styles) == charts.SERIES_STYLES == 120


def shown_share_ticks(series: dict[str, list[tuple[str, float]]], target: float) -> list[str]:
    """The value axis's tick labels inside the plot of a share's trend chart, drawn as the
    report draws it (its font size sets how many ticks fit)."""
    plt = charts._pyplot()
    with plt.rc_context(charts.STYLE):
        figure = charts.trend_figure(series, target, True, "Trend", "Target")
        figure.canvas.draw()
        axis = figure.axes[0]
        low, high = axis.get_ylim()
        ticks = zip(axis.get_yticks(), axis.get_yticklabels(), strict=True)
        labels = [label.get_text() for tick, label in ticks if low <= tick <= high]
        plt.close(figure)
    return labels


@pytest.mark.parametrize(
    ("values", "target", "expected"),
    [
        # the trial's channel=APP: 94.3 % and 94.1 % against >= 97.6 % read
        # 94%, 94%, 95%, 96%, 96%, 97%, 97%, 98%: ticks 0.5 % apart shown whole
        (
            (0.943, 0.941),
            0.976,
            ["94.0%", "94.5%", "95.0%", "95.5%", "96.0%", "96.5%", "97.0%", "97.5%"],
        ),
        # its "all": 97.4 % and 97.2 % against 98 % read 97%, 97%, 98%, 98%, 98%
        ((0.974, 0.972), 0.98, ["97.2%", "97.4%", "97.6%", "97.8%", "98.0%"]),
    ],
)
def test_share_ticks_are_distinct_and_evenly_stepped(values, target, expected) -> None:
    series = {"all": [("2017-12", values[0]), ("2020-01", values[1])]}
    assert shown_share_ticks(series, target) == expected


def days_to_close(document: dict[str, Any], mean: float) -> FindingsDocument:
    """``document`` (special-service-monitoring) with its percentile rule made the trial's
    mean days to close: ``mean`` days (天) against at most 5, a minor nonconformity."""
    doc = copy.deepcopy(document)
    rule = rule_of(doc, "VISIT-P90-120MIN")
    rule.update(
        unit_label={"zh": "天", "en": "days"}, verdict="nonconform", verdict_severity="minor"
    )
    rule["findings"][0].update(
        value=mean, verdict="nonconform", severity="minor", target="<= 5",
        threshold={"op": "<=", "value": 5.0},
    )  # fmt: skip
    return FindingsDocument.from_data(doc)


@pytest.mark.parametrize(
    ("lang", "row"),
    [
        ("zh", ["全部", "", "一般不符合 · 5.72 天", "一般不符合 · 5.27 天", "再次发生"]),
        (
            "en",
            [
                "all",
                "",
                "minor nonconformity · 5.72 days",
                "minor nonconformity · 5.27 days",
                "recurring",
            ],
        ),
    ],
)
def test_the_previous_audits_values_are_in_the_reports_language(demos, tmp_path, lang, row) -> None:
    """The trial's Chinese report wrote the previous audit's mean days to close as
    ``5.72 days`` / ``5.27 days``, where its findings wrote ``5.27 天``."""
    from .cli.test_audit_cli import previous_rows

    before = days_to_close(demos["special-service-monitoring"], 5.72)
    now = days_to_close(demos["special-service-monitoring"], 5.27)
    render_reports(now, tmp_path, ("html",), lang, previous=before)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ["VISIT-P90-120MIN", *row] in previous_rows(html)


class Visible(HTMLParser):
    """Visible text outside data (ids, keys, hashes, file names, evidence values) and charts."""

    SKIP = frozenset({"style", "svg", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "col", "meta"):
            return
        classes = set((dict(attrs).get("class") or "").split())
        self.stack.append((tag, tag in self.SKIP or bool(classes & {"data", "hash", "key"})))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not any(skip for _, skip in self.stack):
            self.text.append(data)


def data_words(document: dict[str, Any]) -> set[str]:
    """Words that come from the evidence or the pack as plain data (not translatable here)."""
    pack = load_pack(ROOT / document["manifest"]["pack"]["path"])
    texts = [
        document["manifest"]["parameters"]["timezone"],
        *document["manifest"]["parameters"]["calendars"],
    ]
    for kind in pack.evidence.values():
        texts.extend(kind.fields)
        texts.extend(v for spec in kind.fields.values() for v in spec.values or ())
    for rule in document["rules"]:
        texts.append(str(rule["capa"]["owner"]))
        for f in rule["findings"]:
            texts.extend(str(v) for v in f["group"].values())
            texts.extend(n["step"] or "" for n in f["failing_notes"] if n)
    reasons = [e["reason"] for e in document["exclusions"]]
    texts.extend(r for r in reasons if r not in document["reason_titles"])
    texts.extend(f["sha256"] for f in document["manifest"]["evidence"])
    texts.append(document["failing_records"]["sha256"])
    return {w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z_]+", t)}


def test_a_chinese_report_is_chinese(demos, tmp_path) -> None:
    allowed = {
        "CSAT",
        "NPS",
        "SOP",
        "CRM",
        "Wilson",
        "ISO",  # the sampling standard's name, ISO 2859-1
        "SHA",
        "JSON",
        "CAPA",
        "CI",
        "csv",
        "json",
        "xlsx",
    }
    for name, doc in demos.items():
        visible = Visible()
        visible.feed(html_of(doc, "zh", tmp_path / name))
        text = (
            " ".join(visible.text).replace("failing-records.csv", "").replace("findings.json", "")
        )
        english = set(re.findall(r"[A-Za-z][A-Za-z_]+", text)) - data_words(doc) - allowed
        assert english == set(), (name, sorted(english))


def test_reasons_are_translated_or_taken_from_the_pack() -> None:
    titles = {
        "abandoned by the caller within 5 s": {
            "zh": "来电者 5 秒内挂断",
            "en": "abandoned by the caller within 5 s",
        }
    }
    assert (
        translate_reason("abandoned by the caller within 5 s", "zh", titles) == "来电者 5 秒内挂断"
    )
    for built_in in (
        "ends before it starts (data error)",
        "answered not applicable",
        "no received step",
        "no score",
        "score outside 0-10",
        "duplicate key",
        "expected 14 columns as in the header, found 2",
        "observed_at: not a valid date/time (impossible day, month or hour?)",
        "observed_at: not a valid date; correct it in column day",
        "observed_at: not a valid time of day; correct it in column clock",
        "status: not one of open, closed",
        "meets the target but the 95 % lower bound 97.8 % is below it",
        "optional field 'note' has no column in this file; its records are left out of the rules that judge by it",
        "at: no date has a day over 12 to tell the order, so its AM/PM dates are read month-first",
    ):
        zh = translate_reason(built_in, "zh")
        assert zh != built_in and re.search(r"[\u4e00-\u9fff]", zh), built_in
        assert translate_reason(built_in, "en") == built_in


def test_a_text_that_never_occurs_is_noted_in_chinese() -> None:
    """The note on a step or value no record holds reads in the Chinese report as well."""
    step = "step 'resolved' never occurs in complaint_events.event; closest: 'resolve', 'received'"
    value = "value 'Guangzhou' never occurs in tickets.site; no value there is close"
    assert translate_reason(step, "zh") == (
        "步骤“resolved”在 complaint_events.event 中从未出现;最接近的值:'resolve', 'received'"
    )
    assert translate_reason(value, "zh") == "值“Guangzhou”在 tickets.site 中从未出现,也没有相近的值"


def test_reason_titles_reach_the_exclusion_ledger(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    reason = doc["exclusions"][0]["reason"]
    doc["reason_titles"] = {reason: {"zh": "来电者 5 秒内挂断", "en": "caller hung up within 5 s"}}
    assert "来电者 5 秒内挂断" in section(html_of(doc, "zh", tmp_path / "zh"), "appendix")
    assert "caller hung up within 5 s" in section(html_of(doc, "en", tmp_path / "en"), "appendix")


def test_the_method_describes_only_the_calendars_in_use(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    calendars = doc["manifest"]["parameters"]["calendars"]
    calendars["office"]["holidays"] = "none"
    calendars["weekend"] = copy.deepcopy(calendars["office"]) | {"holidays": "CN"}
    en = section(html_of(doc, "en", tmp_path / "en"), "method")
    assert "office" in en and "weekend" not in en
    assert "no statutory holidays" in en and "statutory holidays of mainland China" not in en
    zh = section(html_of(doc, "zh", tmp_path / "zh"), "method")
    assert "不设法定节假日" in zh and "法定节假日休息" not in zh and "nearest rank" not in zh
    none_used = copy.deepcopy(demos["special-service-monitoring"])
    text = section(html_of(none_used, "en", tmp_path / "none"), "method")
    assert "Calendars" not in text and "business time" not in text


def test_no_empty_heading_or_table(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["special-service-monitoring"])
    doc["exclusions"] = []
    for file in doc["manifest"]["evidence"]:
        file["quarantine_reasons"] = {}
    html = html_of(doc, "en", tmp_path)
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        assert "<td" in table, table[:120]
    events = re.findall(r"<(h[1-4]|/section|p|table|ul|div|dl)\b", html)
    for current, following in itertools.pairwise(events):
        if current.startswith("h"):
            assert not following.startswith("h") or following > current, (current, following)
            assert following != "/section"
    assert "No record was excluded." in html and "No row was quarantined." in html


def test_the_title_comes_from_the_standard_and_the_pack(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    doc["manifest"]["standard"]["title"] = {"zh": "示例标准", "en": "Example Standard"}
    doc["manifest"]["pack"]["title"] = {"zh": "示例检查", "en": "Example checks"}
    cells = parse(html_of(doc, "zh", tmp_path / "zh"))
    assert items(cells, "class", "report-title")[0]["_text"] == "示例标准认证审核报告"
    assert items(cells, "class", "subtitle")[0]["_text"] == "示例检查"
    cells = parse(html_of(doc, "en", tmp_path / "en"))
    assert (
        items(cells, "class", "report-title")[0]["_text"]
        == "Example Standard: Certification Audit Report"
    )
    doc["manifest"]["pack"]["title"] = None
    assert not items(parse(html_of(doc, "en", tmp_path / "none")), "class", "subtitle")


# ------------------------------------------------------------ first page, appendix


def test_the_first_page_shows_the_evidence_per_kind_and_warnings(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    training = next(k for k in doc["summary"]["kinds"] if k["kind"] == "training")
    training["in_period"] = training["placed"] = 0  # no time places one in the period
    doc["summary"]["warnings"] = [
        {
            "code": "optional-field-missing",
            "file": "evidence/x.csv",
            "kind": "interactions",
            "field": "agent_id",
        },
        {"code": "kind-empty-in-period", "kind": "training"},
    ]
    for lang, expected in (
        (
            "en",
            [
                "Training records: no record in the audit period",
                "has no column for the optional field agent_id",
            ],
        ),
        ("zh", ["培训记录:审核期间内无记录", "缺少可选字段 agent_id"]),
    ):
        render_reports(doc, tmp_path / lang, ("pdf",), lang)
        first = PdfReader(tmp_path / lang / "report.pdf").pages[0].extract_text().replace("\n", " ")
        for kind in doc["summary"]["kinds"]:
            title = kind["title"][lang]
            assert title in first
            assert f"{kind['rows_read']:,}" in first and f"{kind['stored']:,}" in first
        for text in expected:
            assert first.count(text) == 1, (text, first)
    doc["summary"]["warnings"] = []  # an empty kind is named even without its warning
    cells = parse(html_of(doc, "en", tmp_path / "unwarned"))
    assert (
        "Training records: no record in the audit period"
        in items(cells, "class", "note empty-kinds")[0]["_text"]
    )


def test_the_appendix_shows_mappings_and_cites_the_failing_records_file(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    files = doc["manifest"]["evidence"]
    files[0]["mapping"] = {
        "name": "crm-export",
        "source": "mapping",
        "path": "mappings/crm.yaml",
        "sha256": "cd" * 32,
        "columns": {"agent_id": "Agent No.", "site": "Branch"},
    }
    files[1]["mapping"] = {
        "name": "nyc-311",
        "source": "preset",
        "path": None,
        "sha256": None,
        "columns": {},
    }
    files[2].pop("warnings", None)  # older documents have none
    text = section(html_of(doc, "en", tmp_path), "appendix")
    assert "mapping file crm-export · mappings/crm.yaml · " + "cd" * 32 in text
    assert "agent_id ← Agent No." in text and "site ← Branch" in text
    assert "preset nyc-311" in text
    assert doc["failing_records"]["sha256"] in text and "failing-records.csv" in text
    files[0]["warnings"] = [
        "optional field 'note' has no column in this file; its records are left out of the rules that judge by it"
    ]
    text = section(html_of(doc, "zh", tmp_path / "zh"), "appendix")
    assert "可选字段 note 在此文件中没有对应的列" in text and "字段映射 映射文件 crm-export" in text


def test_the_appendix_shows_how_a_mapping_reads_values(demos, tmp_path) -> None:
    """A certifier re-reading an excluded or mapped record needs the texts taken as no value,
    the value maps, the time formats, the zone and the DST rule, not only the columns."""
    doc = copy.deepcopy(demos["service-quality"])
    files = doc["manifest"]["evidence"]
    files[0]["mapping"] = {
        "name": None,
        "source": "mapping",
        "path": "calls.mapping.yaml",
        "sha256": "ab" * 32,
        "columns": {"customer_id": "customer_id"},
        "timezone": "America/New_York",
        "dst": "forward",
        "missing": ["", "0", "N/A"],
        "values": {"status": {"Closed": "closed", "Unknown": None, "": "open"}},
        "formats": {"opened_at": "%m/%d/%Y %I:%M:%S %p"},
    }
    files[1]["mapping"] = {
        "name": None,
        "source": "auto",
        "path": None,
        "sha256": None,
        "columns": {"ticket_id": "ticket_id"},
        "missing": [""],
    }
    text = section(html_of(doc, "en", tmp_path), "appendix")
    assert 'Texts read as no value "", "0", "N/A"' in text
    # quoted, so that an empty source text shows
    assert 'Value map status: "" → "open"; "Closed" → "closed"; "Unknown" → no value' in text
    assert "Time formats opened_at %m/%d/%Y %I:%M:%S %p" in text
    assert "Times without an offset in America/New_York · DST rule forward" in text
    # the default (only "") is not repeated per file; the demo's interactions kind adds texts
    shown = [f for f in files if (f.get("mapping") or {}).get("missing", [""]) != [""]]
    assert text.count("Texts read as no value") == len(shown) >= 1
    text = section(html_of(doc, "zh", tmp_path / "zh"), "appendix")
    assert '视为无值的文本 "", "0", "N/A"' in text and '"Unknown" → 无值' in text


DEMO_DATE_REASON = "received_at: not a valid date/time (impossible day, month or hour?)"


def test_the_appendix_shows_where_each_quarantine_reason_was_first_given(demos, tmp_path) -> None:
    """A certifier traces a quarantine reason to its row: file:line, column and value, in
    both languages and in the PDF; a findings.json that does not record them shows none."""
    doc = copy.deepcopy(demos["service-quality"])
    shown = {
        "en": "First quarantined at interactions-2026Q3.csv:3002 · column 受理时间 · value "
        "'2026-02-30 10:00:00'",
        "zh": "首次隔离于 interactions-2026Q3.csv:3002 · 列 受理时间 · 值 '2026-02-30 10:00:00'",
    }
    for lang, line in shown.items():
        text = section(html_of(doc, lang, tmp_path / lang), "appendix")
        assert line in text
        # a row that could not be read as one has no column and no value
        assert "interactions-2026Q3.csv:3005 · " not in text
        assert "interactions-2026Q3.csv:3005" in text
        render_reports(doc, tmp_path / f"pdf-{lang}", ("pdf",), lang)
        pages = PdfReader(tmp_path / f"pdf-{lang}" / "report.pdf").pages
        pdf = re.sub(r"\s+", "", "".join(page.extract_text() for page in pages))
        assert re.sub(r"\s+", "", line) in pdf
    for file in doc["manifest"]["evidence"]:
        del file["quarantine_first_seen"]  # an older findings.json
    text = section(html_of(doc, "en", tmp_path / "old"), "appendix")
    assert "First quarantined at" not in text and "Quarantine reasons" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_long_first_place_wraps_inside_its_cell(demos, tmp_path, lang) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    file = next(f for f in doc["manifest"]["evidence"] if f["quarantine_reasons"])
    file["file"] = "/".join(["a-deeply-nested-folder-of-exports"] * 4) + "/interactions.csv"
    for place in file["quarantine_first_seen"].values():
        place["column"] = "a_column_name_without_any_break_in_it_at_all"
        place["value"] = "x" * 39 + "…"
    assert overflowing_boxes(html_of(doc, lang, tmp_path)) == []


# ------------------------------------------------------------ 4 the recommendation


def withheld(document: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    rule = rule_of(doc, "CSAT-Q-4.2")
    rule["verdict"], rule["verdict_severity"] = "not-evaluable", None
    pooled = rule["findings"][0]
    pooled.update(verdict="not-evaluable", severity=None, value=None, interval=None)
    pooled["not_evaluable"] = {"code": "no-evidence", "kinds": ["surveys"]}
    pooled["reasons"] = ["no evidence of kind surveys was ingested"]
    doc["summary"]["recommendation"] = {
        "decision": "withheld",
        "not_evaluable": [
            {
                "rule": "CSAT-Q-4.2",
                "clause": "2.1.2",
                "reason": "no evidence of kind surveys was ingested",
            }
        ],
        "majors": [],
        "minors": ["ROOT-CAUSE"],
    }
    return doc


def test_withheld_names_the_clauses_without_evidence(demos, tmp_path) -> None:
    doc = withheld(demos["service-quality"])
    for lang, expected in (
        (
            "en",
            [
                "No recommendation: evidence missing for clauses 2.1.2",
                "no Satisfaction surveys evidence was ingested",
            ],
        ),
        ("zh", ["不作推荐结论:以下条款缺少证据:2.1.2", "未导入满意度回访证据"]),
    ):
        cells = parse(html_of(doc, lang, tmp_path / lang))
        box = items(cells, "data-recommendation")[0]
        assert box["data-recommendation"] == "withheld"
        assert expected[0] in box["_text"] and expected[1] in box["_text"]
        missing = items(cells, "data-missing-rule", "CSAT-Q-4.2")
        assert missing and expected[1] in missing[0]["_text"] and "2.1.2" in missing[0]["_text"]


def test_the_report_shows_the_audits_decision_not_its_own(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    words = {
        "recommended": "Recommended",
        "subject-to-plan": "Recommended, subject to an accepted corrective-action plan",
        "not-recommended": "Not recommended until",
    }
    for decision, text in words.items():
        doc["summary"]["recommendation"]["decision"] = decision
        box = items(parse(html_of(doc, "en", tmp_path / decision)), "data-recommendation")[0]
        assert box["data-recommendation"] == decision and box["_text"].startswith(text)


# ------------------------------------------------------------ 5 the xlsx within Excel's limits


def sheet_rows(path: Path, name: str = "failing records") -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[name].iter_rows(values_only=True)) if name in book.sheetnames else []
    book.close()
    return rows


def test_the_failing_records_sheet_is_capped_with_a_pointer_to_the_csv(
    demos, tmp_path, monkeypatch
) -> None:
    doc = demos["service-quality"]
    render_reports(doc, tmp_path / "whole", ("xlsx",), "en")
    whole = sheet_rows(tmp_path / "whole" / "capa.xlsx")
    listed = sum(
        len(f["failing"]) for r in doc["rules"] for f in (r["findings"][1:] or r["findings"])
    )
    assert len(whole) == 1 + listed  # header and every record, no note
    assert sheet_rows(tmp_path / "whole" / "capa.xlsx", "notes") == []
    monkeypatch.setattr(report, "XLSX_FAILING_ROWS", 5)
    render_reports(doc, tmp_path / "capped", ("xlsx",), "en")
    capped = sheet_rows(tmp_path / "capped" / "capa.xlsx")
    assert len(capped) == 1 + 5  # the note is on a sheet of its own
    note = sheet_rows(tmp_path / "capped" / "capa.xlsx", "notes")[-1][0]
    assert "failing-records.csv" in note and "5" in note
    assert report.XLSX_FAILING_ROWS < 1_048_576


def test_truncated_lists_point_to_the_csv(demos, tmp_path) -> None:
    doc = copy.deepcopy(demos["service-quality"])
    rule_of(doc, "ROOT-CAUSE")["findings"][0]["failing_truncated"] = True
    render_reports(doc, tmp_path, ("xlsx",), "zh")
    last = sheet_rows(tmp_path / "capa.xlsx", "notes")[-1][0]
    cap = doc["failing_records"]["cap_per_finding"]
    assert "failing-records.csv" in last and f"{cap:,}" in last


def test_render_writes_no_failing_records_csv(demos, tmp_path) -> None:
    written = render_reports(demos["service-quality"], tmp_path, ("csv",), "en")
    assert written == [tmp_path / "capa.csv"]
    assert not (tmp_path / "failing-records.csv").exists()


def test_the_running_head_names_the_organisation_only_when_given(demos, tmp_path) -> None:
    """Without an organisation the cover says it was not given; the running head on every
    other page shows the period alone, not "not given · 2026-Q3"."""
    doc = copy.deepcopy(demos["service-quality"])
    doc["manifest"]["parameters"]["organisation"] = None
    render_reports(doc, tmp_path / "none", ("pdf",), "en")
    pages = PdfReader(tmp_path / "none" / "report.pdf").pages
    assert "not given" in pages[0].extract_text()
    assert "not given" not in pages[1].extract_text()
    assert "2026-Q3" in pages[1].extract_text()
    doc["manifest"]["parameters"]["organisation"] = "Acme Care Ltd"
    render_reports(doc, tmp_path / "named", ("pdf",), "en")
    second = PdfReader(tmp_path / "named" / "report.pdf").pages[1].extract_text()
    assert "Acme Care Ltd · 2026-Q3" in second


def test_a_cover_without_an_organisation_clears_the_running_head(tmp_path) -> None:
    """In one document of several covers (a combined report), a cover with no organisation
    does not carry the previous cover's into its pages' running head."""
    import weasyprint

    css = (ROOT / "auditor" / "templates" / "report.css").read_text(encoding="utf-8")

    def section(organisation: str, named: bool, period: str) -> str:
        kind = "org named" if named else "org"
        return (
            f'<section style="break-before: page"><dl><dd class="{kind}">{organisation}</dd>'
            f'<dd><span class="period-label">{period}</span></dd></dl>'
            f'<p style="break-before: page">body of {period}</p></section>'
        )

    html = f"<html><head><style>{css}</style></head><body>"
    html += section("Acme Ltd", True, "P1") + section("not given", False, "P2") + "</body></html>"
    weasyprint.HTML(string=html).write_pdf(tmp_path / "two.pdf")
    pages = [page.extract_text() for page in PdfReader(tmp_path / "two.pdf").pages]
    body_one = next(text for text in pages if "body of P1" in text)
    body_two = next(text for text in pages if "body of P2" in text)
    assert "Acme Ltd · P1" in body_one
    assert "Acme Ltd" not in body_two and "P2" in body_two


def test_of_two_groups_at_one_level_the_one_further_from_the_target_decides() -> None:
    """Two sites with a minor nonconformity: the one that needed more conforming records
    decides the rule (the first by name did, whatever its figures)."""
    from auditor.findings.contract import RuleEntry

    def finding(site: str, conforming: int, n: int, shortfall: int) -> dict:
        return {
            "id": f"BADGE@site={site}", "group": {"site": site}, "period": "2026-Q3",
            "pooled": False, "verdict": "nonconform", "severity": "minor",
            "counts": {"n": n, "conforming": conforming, "breached": n - conforming,
                       "pending": 0, "excluded": 0},
            "value": conforming / n, "unit": "share", "interval": None, "target": ">= 98%",
            "threshold": None, "shortfall": shortfall, "explanation": "", "reasons": [],
            "details": {}, "excluded_by_reason": {}, "not_evaluable": None,
            "failing_count": n - conforming, "failing": [], "failing_values": [],
            "failing_notes": [], "failing_truncated": False,
        }  # fmt: skip

    pooled = {**finding("", 192, 198, 3), "id": "BADGE", "group": {}, "pooled": True,
              "verdict": "conform", "severity": None, "shortfall": None}  # fmt: skip
    rule = RuleEntry.model_validate(
        {"rule": "BADGE", "clause": "3.1.1", "clause_title": None,
         "title": {"zh": "工牌", "en": "Badge"}, "measure": "condition", "severity": "minor",
         "judge": "each-group", "verdict": "nonconform", "verdict_severity": "minor",
         "capa": {"action": {"zh": "a", "en": "a"}, "owner": "o", "due_days": 90},
         "calendar": None, "failing_unit": None,
         "findings": [pooled, finding("GZ", 101, 104, 1), finding("SH", 91, 94, 2)]}
    )  # fmt: skip
    assert rule.deciding_finding().id == "BADGE@site=SH"

    # the pooled finding as bad as the worst group: the group still decides, as the CAPA
    # item is opened for it (the console said "decided by all", the register named SH)
    failing_pool = {**pooled, "verdict": "nonconform", "severity": "minor", "shortfall": 9}
    tied = RuleEntry.model_validate({**rule.model_dump(), "findings": [failing_pool, *[
        f.model_dump() for f in rule.findings[1:]]]})  # fmt: skip
    assert tied.deciding_finding().id == "BADGE@site=SH"
    # no group nonconforming: the pooled finding decides
    calm = [{**f.model_dump(), "verdict": "conform", "severity": None} for f in rule.findings[1:]]
    quiet = RuleEntry.model_validate({**rule.model_dump(), "findings": [failing_pool, *calm]})
    assert quiet.deciding_finding().id == "BADGE"


def test_a_row_graded_an_observation_though_it_meets_the_target_is_explained(
    demos, tmp_path
) -> None:
    """CLOSURE-95's GZ closes 96.3 % against 95 %, an observation (its lower bound is below
    95 %): the table says why; TRAINED-12M's rows all conform and say nothing of it."""
    for lang, note in (
        ("en", "A row graded an observation whose value meets the target"),
        ("zh", "结论为观察项而实际值达标的行"),
    ):
        html = html_of(demos["service-quality"], lang, tmp_path / lang)
        blocks = dict(
            re.findall(r'<div class="group-block" data-rule="([^"]+)">(.*?)</div>', html, re.S)
        )
        assert note in blocks["CLOSURE-95"]
        assert note not in blocks["TRAINED-12M"]
