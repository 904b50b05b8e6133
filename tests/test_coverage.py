"""Clause coverage, not_covered reasons, interpretations and the figure comparison.

Expected clauses and texts are read from the YAML files with PyYAML (not the
project's loader); expected numbers are worked out by hand.
"""

from __future__ import annotations

import html
import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditor.business_time import BusinessClock
from auditor.cli import main
from auditor.errors import AuditorError, PackErrors
from auditor.figures import quantities
from auditor.model import Calendar
from auditor.pack import load_pack
from auditor.packcheck import check_pack
from auditor.report import render_reports

from .conftest import RULES, SHIPPED_PACKS, STANDARDS, TEST_PACKS

STANDARD = """\
standard: mini
title: {zh: 小标准, en: Mini standard}
version: "1"
clauses:
  - id: "1.1"
    title: {zh: 初步方案时限, en: Initial solution time}
    requirement: A technical issue gets an initial solution within 4 hours.
    assessment: measurable
    figures: ["initial solution within 4 hours", "closure rate 95 %"]
  - id: "1.2"
    title: {zh: 团队, en: Team}
    requirement: A team is formed.
    assessment: judgement
  - id: "1.3"
    title: {zh: 记录, en: Records}
    requirement: Every ticket is recorded.
    assessment: measurable
"""

PACK = """\
pack: mini
version: 1.0.0
standard: mini
evidence:
  tickets:
    key: ticket_id
    fields:
      ticket_id: string
      opened_at: timestamp
      first_solution_at: timestamp?
rules:
  - id: TECH
    clause: "1.1"
    title: {zh: 初步方案, en: Initial solution}
    evidence: tickets
    duration: {from: opened_at, to: first_solution_at, max: MAX}
    target: TARGET
    severity: major
    capa: {action: {zh: 跟进, en: Follow up}, owner: lead}
"""


@pytest.fixture
def mini(tmp_path: Path):
    """Write the mini standard beside a rules/ folder; return a writer of packs."""
    (tmp_path / "standards").mkdir()
    (tmp_path / "standards" / "mini.yaml").write_text(STANDARD, encoding="utf-8")
    (tmp_path / "rules").mkdir()

    def write(max_: str = "4h", target: str = "95%", extra: str = "") -> Path:
        path = tmp_path / "rules" / "mini.yaml"
        text = PACK.replace("MAX", max_).replace("TARGET", target)
        path.write_text(text + extra, encoding="utf-8")
        return path

    return write


def measurable_clauses(standard: Path) -> list[str]:
    data = yaml.safe_load(standard.read_text(encoding="utf-8"))
    return [c["id"] for c in data["clauses"] if c["assessment"] == "measurable"]


def judgement_clauses(standard: Path) -> list[str]:
    data = yaml.safe_load(standard.read_text(encoding="utf-8"))
    return [c["id"] for c in data["clauses"] if c["assessment"] == "judgement"]


def pack_check(runner, *args: str):
    return runner.invoke(main, ["pack", "check", *args])


# ------------------------------------------------------------ coverage


def test_an_uncovered_measurable_clause_fails_with_a_located_line(runner, mini) -> None:
    path = mini()
    result = pack_check(runner, str(path))
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    # located at the pack's `standard:` (line 3, column 11), naming the clause and its line
    assert errors[0].startswith(f"error: {path}:3:11: measurable clause 1.3 (Records)")
    assert "mini.yaml:14)" in errors[0]
    assert "0 of 1 pack(s) valid" in result.output


def test_a_not_covered_entry_makes_it_pass_and_is_listed(runner, mini) -> None:
    path = mini(extra='not_covered:\n  "1.3": {zh: 现场查看, en: seen on site}\n')
    result = pack_check(runner, str(path))
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.output.splitlines()
    assert any(
        line.split()[:1] == ["1.3"] and "not covered: seen on site" in line for line in lines
    )
    assert any(line.split()[:1] == ["1.2"] and "auditor's judgement" in line for line in lines)
    assert any(line.split()[:1] == ["1.1"] and "TECH" in line for line in lines)
    pack = load_pack(path)
    assert pack.not_covered["1.3"].zh == "现场查看"


def test_a_single_text_is_a_reason_in_both_languages(mini) -> None:
    pack = load_pack(mini(extra='not_covered:\n  "1.3": seen on site\n'))
    assert (pack.not_covered["1.3"].zh, pack.not_covered["1.3"].en) == ("seen on site",) * 2
    assert pack.coverage_problems == ()


def test_the_valid_minimal_pack_lists_every_judgement_clause(runner) -> None:
    result = pack_check(
        runner, "--standards", str(STANDARDS), str(TEST_PACKS / "valid-minimal.yaml")
    )
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("    ")}
    for clause in judgement_clauses(STANDARDS / "service-quality-standard.yaml"):
        assert "auditor's judgement" in rows[clause], clause


def test_quiet_prints_only_the_final_line(runner, mini) -> None:
    path = mini(extra='not_covered:\n  "1.3": seen on site\n')
    result = pack_check(runner, "-q", str(path))
    assert result.exit_code == 0
    assert result.output.strip() == "1 of 1 pack(s) valid"
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("entry", "message", "closest"),
    [
        ('"1.4"', "not_covered names unknown clause '1.4' of standard mini", "1.3"),
        ('"1.1"', "not_covered names clause '1.1', which rule TECH covers", "1.3"),
    ],
)
def test_a_wrong_not_covered_entry_is_an_error_with_the_closest_clause(
    mini, entry: str, message: str, closest: str
) -> None:
    with pytest.raises(PackErrors) as caught:
        load_pack(mini(extra=f'not_covered:\n  "1.3": a\n  {entry}: b\n'))
    (error,) = caught.value.errors
    assert message in str(error)
    assert error.suggestion == closest
    assert error.line == 22


def test_shipped_packs_pass_the_check_without_warnings(runner) -> None:
    packs = [str(p) for p in SHIPPED_PACKS]
    result = pack_check(runner, *packs)
    assert result.exit_code == 0, result.stderr
    assert "warning:" not in result.stderr
    assert f"{len(packs)} of {len(packs)} pack(s) valid" in result.output


def test_shipped_packs_give_a_rule_or_a_reason_for_every_measurable_clause() -> None:
    for path in SHIPPED_PACKS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        standard = STANDARDS / f"{data['standard']}.yaml"
        covered = {r["clause"] for r in data["rules"]} | set(data.get("not_covered", {}))
        assert set(measurable_clauses(standard)) <= covered, path.name


# ------------------------------------------------------------ the number warning


def test_a_rule_of_8h_against_4_hours_is_warned_about(runner, mini) -> None:
    path = mini(max_="8h", extra='not_covered:\n  "1.3": seen on site\n')
    report = check_pack(path)
    assert report.errors == []
    (warning,) = report.warnings
    assert warning.startswith(f"{path}:16:15: rule TECH: 8h differs from the clause's 4 hours")
    result = pack_check(runner, str(path))
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "1 warning(s)" in result.output


def test_an_interpretation_silences_the_warning(mini) -> None:
    extra = 'not_covered:\n  "1.3": seen on site\n'
    path = mini(max_="8h", extra=extra)
    text = path.read_text(encoding="utf-8").replace(
        "    evidence: tickets\n",
        "    interpretation: {zh: 按八个营业小时计, en: read as 8 business hours}\n"
        "    evidence: tickets\n",
    )
    path.write_text(text, encoding="utf-8")
    assert check_pack(path).warnings == []
    assert load_pack(path).rules[0].interpretation.en == "read as 8 business hours"


@pytest.mark.parametrize("max_", ["4h", "240min", "14400s", "4 h"])
def test_the_same_duration_in_other_units_is_not_warned_about(mini, max_: str) -> None:
    assert check_pack(mini(max_=max_, extra='not_covered:\n  "1.3": x\n')).warnings == []


def test_a_target_unlike_the_clause_percentage_is_warned_about(mini) -> None:
    report = check_pack(mini(target="90%", extra='not_covered:\n  "1.3": x\n'))
    (warning,) = report.warnings
    assert ":17:13: rule TECH: >= 90% differs from the clause's 95 %" in warning
    assert check_pack(mini(target="0.95", extra='not_covered:\n  "1.3": x\n')).warnings == []


def test_a_clause_without_numbers_of_the_unit_is_never_warned_about(mini, tmp_path) -> None:
    path = mini(max_="8h", extra='not_covered:\n  "1.3": x\n')
    standard = tmp_path / "standards" / "mini.yaml"
    standard.write_text(
        STANDARD.replace('"initial solution within 4 hours", ', ""), encoding="utf-8"
    )
    assert check_pack(path).warnings == []


@given(st.integers(min_value=1, max_value=10_000))
def test_hours_minutes_and_seconds_are_one_figure(hours: int) -> None:
    seconds = hours * 3600  # by hand
    for text in (f"{hours} h", f"{hours} hours", f"{hours * 60} min", f"{seconds} s"):
        (found,) = quantities(f"within {text}")
        assert (found.unit, found.value) == ("time", seconds), text
    assert quantities(f"{hours}小时")[0].value == seconds


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=99))
def test_percentages_are_fractions(whole: int, cents: int) -> None:
    (found,) = quantities(f"rate >= {whole}.{cents:02d} %")
    assert found.unit == "percent"
    assert found.value * 10_000 == whole * 100 + cents


def test_scales_and_months_are_not_targets() -> None:
    assert quantities("CSAT scale 1-5") == []
    assert quantities("NPS = % promoters (9-10) - % detractors (0-6)") == []
    assert [q.unit for q in quantities("once every 12 months")] == ["month"]
    assert [q.unit for q in quantities("quarterly CSAT target 4.2")] == ["number"]


# ------------------------------------------------------------ interpretation in the outputs


def shipped_interpretation(rule_id: str) -> dict[str, str]:
    data = yaml.safe_load((RULES / "service-quality.yaml").read_text(encoding="utf-8"))
    return next(r for r in data["rules"] if r["id"] == rule_id)["interpretation"]


def test_interpretation_and_reasons_are_in_findings_json(demo_audit) -> None:
    document = json.loads((demo_audit.out / "findings.json").read_text(encoding="utf-8"))
    rules = {r["rule"]: r for r in document["rules"]}
    assert rules["TECH-INITIAL-4H"]["interpretation"] == shipped_interpretation("TECH-INITIAL-4H")
    assert rules["STANDARD-REVIEW"]["interpretation"] == {
        "zh": "由审核员在检查表中确认服务标准在过去12个月内做过一次全面评审,且员工使用的是受版本控制的"
        "现行版本;每年至少评审一次是标准自己的频次,本审核包未另设数字",
        "en": "The auditor confirms on the checklist that the service standard had a full review in "
        "the last 12 months and that staff work from its current, version-controlled issue; at least "
        "once a year is the standard's own frequency, the pack sets no number of its own",
    }
    pack = yaml.safe_load((RULES / "service-quality.yaml").read_text(encoding="utf-8"))
    coverage = {c["clause"]: c for c in document["coverage"]}
    for clause, reason in pack["not_covered"].items():
        assert coverage[clause]["not_covered"] == reason
    assert coverage["3.1.2"]["not_covered"] is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_interpretation_is_printed_beside_the_finding(demo_audit, tmp_path, lang: str) -> None:
    render_reports(demo_audit.document, tmp_path, ("html",), lang)
    page = html.unescape((tmp_path / "report.html").read_text(encoding="utf-8"))
    expected = shipped_interpretation("TECH-INITIAL-4H")[lang]
    start = page.index('data-interpretation="TECH-INITIAL-4H"')
    assert expected in page[start : start + 1000]
    clauses = page[page.index('<section id="clauses"') :]
    assert clauses.index('data-rule="TECH-INITIAL-4H"') < clauses.index(expected)
    reason = yaml.safe_load((RULES / "service-quality.yaml").read_text(encoding="utf-8"))
    assert reason["not_covered"]["3.1.3"][lang] in page


# ------------------------------------------------------------ holiday years


def test_the_method_section_names_the_years_of_the_holiday_set(demo_audit, tmp_path) -> None:
    import chinese_calendar

    last = max(d.year for d in chinese_calendar.holidays)
    render_reports(demo_audit.document, tmp_path / "en", ("html",), "en")
    page = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert f"holiday data for 2004 to {last}; the audit period needs 2026: covered" in page
    render_reports(demo_audit.document, tmp_path / "zh", ("html",), "zh")
    page = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert f"节假日数据覆盖 2004–{last} 年" in page


def test_a_library_set_used_beyond_its_years_is_an_error() -> None:
    import holidays

    end = holidays.country_holidays("US").end_year
    calendar = Calendar("us", {0: ((32400, 61200),)}, "US")
    zone = ZoneInfo("America/New_York")
    BusinessClock(calendar, zone, date(end, 12, 30), date(end, 12, 31))
    with pytest.raises(AuditorError, match=rf"no holiday data for {end + 1}: the set US covers"):
        BusinessClock(calendar, zone, date(end, 12, 31), date(end + 1, 1, 2))
    listed = Calendar("us", {0: ((32400, 61200),)}, "US", extra_holidays=(date(end + 1, 1, 1),))
    clock = BusinessClock(listed, zone, date(end, 12, 31), date(end + 1, 1, 2))
    assert clock.day_kind(date(end + 1, 1, 1)) == "holiday"
