"""dispersion: each group's gap from the pooled figure, the largest shortfall, the test of homogeneity.

Figures are checked against hand arithmetic and scipy's own chi-square and ANOVA
on the same hand-made tables (the measure works the ANOVA out from each group's
summary, scipy from the raw values).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, f_oneway

from auditor import PackErrors, load_pack
from auditor.findings.results import RuleResult
from auditor.report import render_reports

from .conftest import STANDARDS
from .series_pack import PACK, answered, audit, calls, rule

CONS = rule(
    "CONS-SITE",
    '    evidence: calls\n    dispersion: {of: ANSWERED, across: site}\n    target: "<= 5"\n',
)


def sites(counts: dict[str, tuple[int, int]], month: str = "2026-07") -> str:
    rows = []
    for site, (good, total) in counts.items():
        rows += answered(month, site, good, total)
    return calls(rows)


def test_a_two_by_two_table_by_hand(write_pack, store) -> None:
    """BJ 6 of 10, SH 9 of 10: pooled 15/20 = 75 %; expected 7.5 and 2.5 in each row.

    chi² = (6 − 7.5)²/7.5 + (4 − 2.5)²/2.5 + (9 − 7.5)²/7.5 + (1 − 2.5)²/2.5 = 0.3 + 0.9 + 0.3 + 0.9
    = 2.4 with 1 degree of freedom, p = erfc(√(2.4 / 2)).
    """
    files = {"calls.csv": sites({"BJ": (6, 10), "SH": (9, 10)})}
    result = audit(write_pack, store, PACK + CONS, files, "2026-07")["CONS-SITE"]
    pooled = result.findings[0]
    block = pooled.details["dispersion"]
    assert block["test"]["statistic"] == pytest.approx(2.4)
    assert block["test"]["df"] == 1
    assert block["test"]["p_value"] == pytest.approx(math.erfc(math.sqrt(1.2)))
    assert block["pooled"] == {"n": 20, "conforming": 15, "value": 0.75}
    gaps = {g["group"]: g["gap"] for g in block["groups"]}
    assert gaps == {"BJ": pytest.approx(-15.0), "SH": pytest.approx(15.0)}
    assert pooled.value == pytest.approx(15.0) and pooled.unit == "number"
    assert pooled.threshold == {"op": "<=", "value": 5.0}
    assert result.verdict == "nonconform" and result.verdict_severity == "minor"
    by_group = {f.id: f for f in result.findings[1:]}
    assert by_group["CONS-SITE@site=BJ"].verdict == "nonconform"
    assert by_group["CONS-SITE@site=BJ"].value == pytest.approx(15.0)
    assert by_group["CONS-SITE@site=BJ"].severity == "minor"
    assert by_group["CONS-SITE@site=SH"].verdict == "conform"
    assert by_group["CONS-SITE@site=SH"].severity is None  # not the pooled finding's
    assert by_group["CONS-SITE@site=SH"].value == pytest.approx(-15.0)
    assert result.unit_label == {"zh": "个百分点", "en": "pp"}


@pytest.mark.parametrize(
    "counts",
    [
        {"BJ": (18, 20), "GZ": (14, 20), "SH": (30, 40)},
        {"BJ": (5, 9), "GZ": (40, 41), "SH": (12, 30), "WH": (7, 7)},
    ],
)
def test_the_chi_square_is_scipys_on_the_same_table(write_pack, store, counts) -> None:
    files = {"calls.csv": sites(counts)}
    block = audit(write_pack, store, PACK + CONS, files, "2026-07")["CONS-SITE"].findings[0]
    block = block.details["dispersion"]
    table = [[good, total - good] for good, total in counts.values()]
    expected = chi2_contingency(table, correction=False)
    assert block["test"]["statistic"] == pytest.approx(expected.statistic)
    assert block["test"]["df"] == expected.dof == len(counts) - 1
    assert block["test"]["p_value"] == pytest.approx(expected.pvalue)
    good = sum(g for g, _ in counts.values())
    total = sum(t for _, t in counts.values())
    shortfalls = [(good / total - g / t) * 100 for g, t in counts.values()]
    assert block["largest"]["shortfall"] == pytest.approx(max(shortfalls))


def test_a_mean_is_tested_by_anova_as_scipy_does_on_the_raw_values(write_pack, store) -> None:
    scores = {"BJ": [3, 4, 2, 5, 3], "SH": [5, 4, 5, 4], "GZ": [2, 3, 3, 2, 4, 3]}
    rows = [
        (f"{site}{k}", site, f"2026-07-{k + 1:02d} 10:00:00", True, score)
        for site, values in scores.items()
        for k, score in enumerate(values)
    ]
    body = '    evidence: calls\n    dispersion: {of: CSAT, across: site}\n    target: "<= 0.5"\n'
    text = PACK + rule("CONS-CSAT", body)
    result = audit(write_pack, store, text, {"calls.csv": calls(rows)}, "2026-07")["CONS-CSAT"]
    block = result.findings[0].details["dispersion"]
    expected = f_oneway(*scores.values())
    assert block["test"]["name"] == "anova-f"
    assert block["test"]["statistic"] == pytest.approx(expected.statistic)
    assert block["test"]["p_value"] == pytest.approx(expected.pvalue)
    assert block["test"]["df"] == [2, 12]
    everything = [s for values in scores.values() for s in values]
    pooled = sum(everything) / len(everything)
    gz = sum(scores["GZ"]) / len(scores["GZ"])
    assert block["largest"] == {"group": "GZ", "shortfall": pytest.approx(pooled - gz)}
    assert result.findings[0].value == pytest.approx(pooled - gz)
    assert result.verdict == "nonconform"  # 52/15 - 17/6 = 0.633, over the bound of 0.5


def _low_figure_dispersion(write_pack, store) -> RuleResult:
    """CONS-LOW's result: the dispersion across sites of a mean that must stay low (<= 5),
    BJ's four calls scored 2, SH's four 4 (pooled mean 3)."""
    scores = {"BJ": [2, 2, 2, 2], "SH": [4, 4, 4, 4]}
    rows = [
        (f"{site}{k}", site, f"2026-07-{k + 1:02d} 10:00:00", True, score)
        for site, values in scores.items()
        for k, score in enumerate(values)
    ]
    low = PACK.replace('target: ">= 3"', 'target: "<= 5"')
    body = '    evidence: calls\n    dispersion: {of: CSAT, across: site}\n    target: "<= 0.5"\n'
    return audit(
        write_pack, store, low + rule("CONS-LOW", body), {"calls.csv": calls(rows)}, "2026-07"
    )["CONS-LOW"]


def test_a_figure_that_must_stay_low_falls_short_above_the_pooled_value(write_pack, store) -> None:
    """Waits, complaints: a group is on the wrong side when its mean is higher than the pooled one."""
    result = _low_figure_dispersion(write_pack, store)
    block = result.findings[0].details["dispersion"]
    assert block["lower_is_better"] is True
    assert block["largest"] == {"group": "SH", "shortfall": pytest.approx(1.0)}  # 4 - 3
    by_site = {f.group.get("site"): f for f in result.findings[1:]}
    assert by_site["SH"].verdict == "nonconform" and by_site["BJ"].verdict == "conform"


def test_the_docs_say_a_low_figure_s_shortfall_as_the_tool_writes_it(write_pack, store) -> None:
    """A mean that must stay low (<= 5): SH's 4 against the pooled 3 falls short by 4 - 3 = +1
    (value - pooled), and details say lower_is_better. The docs said pooled - value and did
    not list lower_is_better: every key the tool writes is documented, and the rule."""
    from pathlib import Path

    result = _low_figure_dispersion(write_pack, store)
    block = result.findings[0].details["dispersion"]
    own = result.findings[2].details["dispersion_group"]
    assert (own["group"], own["value"], own["shortfall"]) == ("SH", 4.0, 1.0)
    docs = Path(__file__).resolve().parent.parent / "docs"
    findings = (docs / "findings.md").read_text(encoding="utf-8")
    dispersion = findings[findings.index("`dispersion` (") : findings.index("`trend` (")]
    for key in [*block, *block["groups"][0], *own]:
        assert f"{key}" in dispersion, key
    assert "value − pooled when `lower_is_better`" in dispersion
    language = " ".join((docs / "rule-language.md").read_text(encoding="utf-8").split())
    assert (
        "its value minus the pooled value for one that must stay low (a mean whose target is "
        "`<=` or `<`: waits, complaints; `details` says `lower_is_better: true`)"
    ) in language


def test_every_record_conforming_leaves_nothing_to_test(write_pack, store) -> None:
    files = {"calls.csv": sites({"BJ": (10, 10), "SH": (4, 4)})}
    result = audit(write_pack, store, PACK + CONS, files, "2026-07")["CONS-SITE"]
    block = result.findings[0].details["dispersion"]
    assert block["test"] is None and block["largest"]["shortfall"] == 0.0
    assert result.verdict == "conform"


def test_warn_gives_an_observation(write_pack, store) -> None:
    text = PACK + CONS.replace('target: "<= 5"\n', 'target: "<= 20"\n    warn: "<= 5"\n')
    files = {"calls.csv": sites({"BJ": (6, 10), "SH": (9, 10)})}
    result = audit(write_pack, store, text, files, "2026-07")["CONS-SITE"]
    assert result.verdict == "observation"


def test_groups_the_base_rule_cannot_judge_are_left_out(write_pack, store) -> None:
    text = PACK.replace("    min_records: 1\n", "    min_records: 5\n", 1) + CONS
    files = {"calls.csv": sites({"BJ": (6, 10), "SH": (9, 10), "GZ": (1, 3)})}
    block = audit(write_pack, store, text, files, "2026-07")["CONS-SITE"].findings[0]
    block = block.details["dispersion"]
    assert [g["group"] for g in block["groups"]] == ["BJ", "SH"]
    assert block["not_judged"] == [{"group": "GZ", "n": 3}]
    assert block["pooled"]["n"] == 23  # the pooled figure is the base rule's, every site in it


def test_one_group_or_no_base_figure_is_not_evaluable(write_pack, store) -> None:
    files = {"calls.csv": sites({"BJ": (6, 10)})}
    result = audit(write_pack, store, PACK + CONS, files, "2026-07")["CONS-SITE"]
    assert result.verdict == "not-evaluable"
    assert result.findings[0].not_evaluable == {"code": "too-few-groups", "n": 1, "minimum": 2}


def test_a_base_rule_not_evaluable_makes_the_rule_not_evaluable(write_pack, store) -> None:
    text = PACK.replace("    min_records: 1\n", "    min_records: 50\n", 1) + CONS
    files = {"calls.csv": sites({"BJ": (6, 10), "SH": (9, 10)})}
    result = audit(write_pack, store, text, files, "2026-07")["CONS-SITE"]
    assert result.verdict == "not-evaluable"
    assert result.findings[0].not_evaluable == {"code": "base-not-evaluable", "rule": "ANSWERED"}


def test_a_series_rule_may_come_before_the_rule_it_follows(write_pack) -> None:
    head, rules = PACK.split("rules:\n")
    pack = load_pack(write_pack(head + "rules:\n" + CONS + rules), [STANDARDS])
    assert pack.rules[0].id == "CONS-SITE"


def test_a_target_on_a_mean_in_the_wrong_unit_is_refused(write_pack) -> None:
    body = '    evidence: calls\n    dispersion: {of: CSAT, across: site}\n    target: "<= 5s"\n'
    with pytest.raises(PackErrors, match="needs a plain number"):
        load_pack(write_pack(PACK + rule("CONS-CSAT", body)), [STANDARDS])


def audited_bj_sh(write_pack, tmp_path, rule_text: str = CONS):  # type: ignore[no-untyped-def]
    """The audit of BJ 6 of 10 and SH 9 of 10 answered under ``rule_text``: its findings."""
    from auditor.audit import run_audit

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "calls.csv").write_text(sites({"BJ": (6, 10), "SH": (9, 10)}), encoding="utf-8")
    (folder / "reviews.csv").write_text("review_id,kind,held_on\n", encoding="utf-8")
    return run_audit(write_pack(PACK + rule_text), folder, tmp_path / "out", "2026-07").document


def test_the_report_shows_the_arithmetic_in_both_languages(write_pack, store, tmp_path) -> None:
    document = audited_bj_sh(write_pack, tmp_path)
    render_reports(document, tmp_path / "en", ("html",), "en")
    render_reports(document, tmp_path / "zh", ("html",), "zh")
    en = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    zh = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert "largest shortfall +15.00 pp" in en and "chi-square 2.40, df = 1, p = 0.121" in en
    # BJ's row: the pooled rate less its own, with the two decimals of the shortfall beside it
    assert "75.00\u00a0% − 60.00\u00a0%" in en
    assert "最大短缺 +15.00 个百分点" in zh and "卡方 2.40,自由度 1,p = 0.121" in zh
    # the corrective action of a spread names the figure, not "the 0 failing records"
    assert "Correct the shortfall the gap analysis shows" in en and "0 failing records" not in en
    assert "纠正差距分析所示的指标偏差" in zh


def test_a_target_in_percentage_points_fits_its_cell_in_chinese(write_pack, store, tmp_path):
    """'≤ 10 个百分点' is wider than the clause table's target column: it wraps after the
    number (kept whole with its sign by a no-break space), never past the cell's edge."""
    from .test_report_trust import overflowing_boxes

    document = audited_bj_sh(write_pack, tmp_path, CONS.replace('"<= 5"', '"<= 10"'))
    render_reports(document, tmp_path / "zh", ("html",), "zh")
    html = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert '<td class="num">≤\u00a010 个百分点</td>' in html
    assert overflowing_boxes(html) == []


@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=20), min_size=2, max_size=8),
        min_size=2,
        max_size=5,
    )
)
@example([[0, 0, 0, 0, 1], [0, 0, 1, 0, 0]])  # equal means: F = 0, scipy gives no p-value
def test_anova_from_summaries_is_scipys_from_raw_values(groups) -> None:
    """The F test from each group's n, mean and s equals scipy's on the raw values."""
    from auditor.measures.dispersion import anova

    summaries = []
    for values in groups:
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        summaries.append((len(values), mean, sd))
    found = anova(summaries)
    if found is None:  # no variation within the groups: F is undefined
        assert all(len(set(values)) == 1 for values in groups)
        return
    expected = f_oneway(*groups)
    assert found["statistic"] == pytest.approx(expected.statistic, rel=1e-9, abs=1e-12)
    p_value = expected.pvalue
    if math.isnan(p_value):  # scipy gives no p when the means are equal (F = 0); P(F >= 0) = 1
        from scipy.stats import f as f_distribution

        total = sum(len(values) for values in groups)
        p_value = f_distribution.sf(expected.statistic, len(groups) - 1, total - len(groups))
    assert found["p_value"] == pytest.approx(p_value, rel=1e-7, abs=1e-12)
