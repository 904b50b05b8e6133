"""trend: the followed rule's value per period, the least-squares slope and its 95 % interval.

Slopes, standard errors and intervals are worked out by hand on made-up series
(x = 0, 1, 2, 3; the t quantile from a printed table); the noise of the last
change from the two rates' Agresti–Caffo standard errors.
"""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.measures.trend import unit_period
from auditor.periods import parse_period

from .series_pack import PACK, answered, audit, calls, rule

T_975_2 = 4.302652729749464  # t(0.975) with 2 degrees of freedom (tables print 4.303)


def trend(target: str = "no-decline", periods: int = 4, per: str = "month") -> str:
    body = f"    evidence: calls\n    trend: {{of: ANSWERED, per: {per}, periods: {periods}}}\n"
    return PACK + rule("TREND", body + f"    target: {target}\n")


def months(goods: list[int | None], total: int = 20) -> dict[str, str]:
    """Calls of April to July 2026: ``good`` of ``total`` answered each month (None: no calls)."""
    rows = []
    for number, good in enumerate(goods, 4):
        if good is not None:
            rows += answered(f"2026-{number:02d}", "BJ", good, total)
    return {"calls.csv": calls(rows)}


def test_the_slope_and_its_interval_by_hand(write_pack, store) -> None:
    """85, 80, 80, 75 %: mean x 1.5, mean y 80; Sxy = -1.5·5 + 1.5·(-5) = -15, Sxx = 5, slope -3.

    Fitted 84.5, 81.5, 78.5, 75.5; residuals .5, -1.5, 1.5, -.5; SSE 5, s² = 5/2,
    SE = √(2.5/5); 95 % CI = -3 ± 4.303·0.7071 = -6.04 to 0.04: it holds 0.
    """
    result = audit(write_pack, store, trend(), months([17, 16, 16, 15]), "2026-07")["TREND"]
    pooled = result.findings[0]
    block = pooled.details["trend"]
    assert [p["period"] for p in block["periods"]] == ["2026-04", "2026-05", "2026-06", "2026-07"]
    assert [p["shown"] for p in block["periods"]] == pytest.approx([85, 80, 80, 75])
    se = math.sqrt(2.5 / 5)
    assert pooled.value == pytest.approx(-3.0) and block["intercept"] == pytest.approx(84.5)
    assert block["standard_error"] == pytest.approx(se)
    assert block["df"] == 2 and block["t"] == pytest.approx(T_975_2)
    assert pooled.interval == pytest.approx((-3 - T_975_2 * se, -3 + T_975_2 * se))
    # the last change: 75 - 80 = -5 points; Agresti–Caffo: 16/20 and 15/20 taken as 17/22
    # and 16/22, adjusted change -1/22 = -4.545 points, noise 1.96·√(17·5 + 16·6)/22³, in points
    noise = 1.959963984540054 * math.sqrt((17 * 5 + 16 * 6) / 22**3) * 100
    assert block["change"]["value"] == pytest.approx(-5.0)
    assert block["change"]["adjusted"] == pytest.approx(-100 / 22)
    assert block["change"]["noise"] == pytest.approx(noise)
    assert block["change"]["beyond_noise"] is False
    assert result.verdict == "conform"
    assert pooled.unit == "number" and pooled.counts.n == 4


def test_a_decline_beyond_doubt_is_a_nonconformity(write_pack, store) -> None:
    """95, 85, 80, 65 %: slope -9.5, SSE 17.5, SE = √(8.75/5); CI -15.19 to -3.81, below 0."""
    result = audit(write_pack, store, trend(), months([19, 17, 16, 13]), "2026-07")["TREND"]
    pooled = result.findings[0]
    se = math.sqrt(8.75 / 5)
    assert pooled.value == pytest.approx(-9.5)
    assert pooled.interval == pytest.approx((-9.5 - T_975_2 * se, -9.5 + T_975_2 * se))
    assert result.verdict == "nonconform" and result.verdict_severity == "minor"
    assert pooled.reasons == ["the slope's 95 % interval lies wholly below 0"]


def test_improving_conforms_only_when_the_interval_is_above_zero(write_pack, store) -> None:
    """65, 80, 85, 95 %: slope +9.5, the same residuals, CI 3.81 to 15.19."""
    rising = audit(write_pack, store, trend("improving"), months([13, 16, 17, 19]), "2026-07")
    assert rising["TREND"].verdict == "conform"
    assert rising["TREND"].findings[0].value == pytest.approx(9.5)


def test_improving_without_a_clear_rise_is_a_nonconformity(write_pack, store) -> None:
    flat = audit(write_pack, store, trend("improving"), months([15, 16, 16, 17]), "2026-07")
    assert flat["TREND"].verdict == "nonconform"


def test_a_drop_beyond_noise_is_an_observation(write_pack, store) -> None:
    """90, 80, 90, 70 % of 100: slope -5, CI holds 0; the last drop of 20 points (Agresti–Caffo:
    91/102 to 71/102, -19.6 points) is beyond 1.96·√((91·11 + 71·31)/102³) = 10.8 points."""
    files = months([90, 80, 90, 70], total=100)
    result = audit(write_pack, store, trend(), files, "2026-07")["TREND"]
    block = result.findings[0].details["trend"]
    assert result.findings[0].value == pytest.approx(-5.0)
    assert block["low"] < 0 < block["high"]
    noise = 1.959963984540054 * math.sqrt((91 * 11 + 71 * 31) / 102**3) * 100
    assert block["change"]["noise"] == pytest.approx(noise)
    assert block["change"]["adjusted"] == pytest.approx(-2000 / 102)
    assert result.verdict == "observation"


def test_a_fall_to_a_month_of_one_record_is_judged_with_agresti_caffo_noise(
    write_pack, store
) -> None:
    """7/10, 7/10, 5/6, then 0/1 calls answered. The plain standard error of 0/1 is 0, so the
    noise was 1.96·√((5/6)(1/6)/6) = 29.82 points and the fall of 83.3 points 'beyond' it.
    Agresti–Caffo takes 5/6 as 6/8 and 0/1 as 1/3: adjusted change 1/3 - 3/4 = -5/12 =
    -41.67 points, noise 1.96·√((3/4)(1/4)/8 + (1/3)(2/3)/3) = 1.96·√(3/128 + 2/27) = 61.20
    points, so the interval -102.87 to +19.54 points holds 0 (statsmodels'
    confint_proportions_2indep(0, 1, 5, 6, method="agresti-caffo") gives -1.0287 to 0.1954):
    not beyond noise. The slope (-19.7 a month, SE 15.3, t 4.303) holds 0 too: conform."""
    rows = answered("2026-04", "BJ", 7, 10) + answered("2026-05", "BJ", 7, 10)
    rows += answered("2026-06", "BJ", 5, 6) + answered("2026-07", "BJ", 0, 1)
    result = audit(write_pack, store, trend(), {"calls.csv": calls(rows)}, "2026-07")["TREND"]
    change = result.findings[0].details["trend"]["change"]
    noise = 1.959963984540054 * math.sqrt(3 / 128 + 2 / 27) * 100
    assert change["value"] == pytest.approx(-500 / 6)
    assert change["adjusted"] == pytest.approx(-500 / 12)
    assert change["noise"] == pytest.approx(noise) and round(noise, 2) == 61.20
    assert change["adjusted"] - change["noise"] == pytest.approx(-102.87, abs=5e-3)
    assert change["adjusted"] + change["noise"] == pytest.approx(19.54, abs=5e-3)
    assert change["beyond_noise"] is False
    assert result.verdict == "conform"


def test_periods_the_base_rule_cannot_judge_are_listed_and_skipped(write_pack, store) -> None:
    """No calls in May: three periods remain, at x = 0, 2, 3 with 85, 80, 75 %.

    Mean x 5/3, mean y 80; Sxy = (-5/3)·5 + (4/3)·(-5) = -15, Sxx = 42/9: slope -45/14.
    """
    result = audit(write_pack, store, trend(), months([17, None, 16, 15]), "2026-07")["TREND"]
    block = result.findings[0].details["trend"]
    may = block["periods"][1]
    assert may["period"] == "2026-05" and may["shown"] is None and may["skipped"] == "too-few"
    assert result.findings[0].value == pytest.approx(-45 / 14)
    assert block["df"] == 1


def test_fewer_than_three_judged_periods_are_not_evaluable(write_pack, store) -> None:
    result = audit(write_pack, store, trend(), months([17, None, None, 15]), "2026-07")["TREND"]
    assert result.verdict == "not-evaluable"
    assert result.findings[0].not_evaluable == {
        "code": "too-few-periods",
        "rule": "ANSWERED",
        "n": 2,
        "minimum": 3,
    }


def test_the_periods_end_with_the_one_holding_the_audit_periods_last_day(write_pack) -> None:
    from auditor import load_pack

    from .conftest import STANDARDS

    pack = load_pack(write_pack(trend(periods=4, per="quarter")), [STANDARDS])
    measure = pack.rule("TREND").measure
    quarter = parse_period("2026-Q3")
    found = measure.periods(quarter)
    assert [p.label for p in found] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert found[-1] is quarter  # the audit period itself: evaluated once, not twice
    july = [p.label for p in measure.periods(parse_period("2026-07"))]
    assert july == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]


def test_unit_periods() -> None:
    assert unit_period(date(2026, 1, 1), "week").label == "2026-W01"
    assert unit_period(date(2026, 1, 1), "week").first == date(2025, 12, 29)
    assert unit_period(date(2026, 2, 28), "month").last == date(2026, 2, 28)
    assert unit_period(date(2026, 5, 2), "year").label == "2026"
    assert unit_period(date(2026, 5, 2), "day").label == "2026-05-02"


def test_the_report_names_the_target_in_its_language(write_pack, store, tmp_path) -> None:
    from auditor.audit import run_audit
    from auditor.report import render_reports

    path = write_pack(trend())
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "calls.csv").write_text(months([19, 17, 16, 13])["calls.csv"], encoding="utf-8")
    (folder / "reviews.csv").write_text("review_id,kind,held_on\n", encoding="utf-8")
    document = run_audit(path, folder, tmp_path / "out", "2026-07").document
    for lang, words in (
        # the interval's critical value named as one (not the slope's t statistic): 4.303, df 2
        (
            "en",
            [
                "slope -9.50 pp per month over 4 periods",
                "against no decline",
                "2026-06",
                "with the critical value t(0.975, 2) = 4.303",
                # 16/20 → 13/20: -15 points; Agresti–Caffo 17/22 → 14/22, -3/22 = -13.64
                # points, noise 1.96·√((17·5 + 14·8)/22³) = 26.66 points
                "2026-06 → 2026-07: -15.00 pp, adjusted -13.64 pp, noise ±26.66 pp",
            ],
        ),
        (
            "zh",
            [
                "斜率 每月 -9.50 个百分点,共 4 期",
                "目标 不下降",
                "较上期变化",
                "临界值 t(0.975, 2) = 4.303",
                "2026-06 → 2026-07:-15.00 个百分点,校正后 -13.64 个百分点,噪声 ±26.66 个百分点",
            ],
        ),
    ):
        render_reports(document, tmp_path / lang, ("html",), lang)
        html = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
        for text in words:
            assert text in html, (lang, text)


@given(st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), min_size=3, max_size=12))
def test_the_slope_and_its_standard_error_are_numpys_least_squares(values) -> None:
    """numpy's polyfit (an independent least squares) gives the same slope and standard error."""
    import numpy

    from auditor.measures.trend import slope

    xs = [float(x) for x in range(len(values))]
    found = slope(xs, values)
    fitted, cov = numpy.polyfit(xs, values, 1, cov="unscaled")
    residuals = numpy.asarray(values) - numpy.polyval(fitted, xs)
    s2 = float(residuals @ residuals) / (len(values) - 2)
    assert found["slope"] == pytest.approx(fitted[0], abs=1e-7)
    assert found["standard_error"] == pytest.approx(math.sqrt(s2 * cov[0][0]), abs=1e-6)
    assert found["low"] <= found["slope"] <= found["high"]


def test_a_mean_of_one_value_a_period_has_no_noise_to_be_beyond(write_pack, store) -> None:
    """Scores 4, 4.5, 5, 4 (one answer a month): slope +0.05, its interval holds 0; the last drop
    of 1 cannot be judged against noise that one answer does not show, so no observation."""
    scores = [4, 4.5, 5, 4]
    rows = [
        (f"C{month}", "BJ", f"2026-{month:02d}-10 10:00:00", True, score)
        for month, score in zip(range(4, 8), scores, strict=True)
    ]
    body = "    evidence: calls\n    trend: {of: CSAT, per: month, periods: 4}\n"
    text = PACK + rule("TREND", body + "    target: no-decline\n")
    result = audit(write_pack, store, text, {"calls.csv": calls(rows)}, "2026-07")["TREND"]
    block = result.findings[0].details["trend"]
    assert result.findings[0].value == pytest.approx(0.05)  # cov 0.25 / var 5
    assert block["change"]["noise"] is None and block["change"]["beyond_noise"] is False
    assert block["change"]["adjusted"] is None  # a mean's change is tested as it is
    assert result.verdict == "conform"


def test_a_last_change_of_one_value_a_period_says_it_was_not_tested(
    write_pack, store, tmp_path
) -> None:
    """The same series: the drop from 5 to 4 was shown with nothing said of noise, the rule
    conform as if the drop had been tested and found within it. The sentence said so later,
    but the finding's reasons, which a certifier reads in findings.json, did not."""
    import html as markup

    from auditor.audit import run_audit
    from auditor.report import render_reports

    scores = [4, 4.5, 5, 4]
    rows = [
        (f"C{month}", "BJ", f"2026-{month:02d}-10 10:00:00", True, score)
        for month, score in zip(range(4, 8), scores, strict=True)
    ]
    body = "    evidence: calls\n    trend: {of: CSAT, per: month, periods: 4}\n"
    path = write_pack(PACK + rule("TREND", body + "    target: no-decline\n"))
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "calls.csv").write_text(calls(rows), encoding="utf-8")
    (folder / "reviews.csv").write_text("review_id,kind,held_on\n", encoding="utf-8")
    document = run_audit(path, folder, tmp_path / "out", "2026-07").document
    [trend_rule] = [r for r in document["rules"] if r["rule"] == "TREND"]
    finding = trend_rule["findings"][0]
    assert finding["verdict"] == "conform"
    assert finding["details"]["trend"]["change"]["one_value"] == ["2026-06", "2026-07"]
    untested = "the last period's change from the one before was not tested against noise"
    assert finding["reasons"] == [untested]
    for lang, sentence in (
        (
            "en",
            "slope +0.05 per month over 4 periods (95 % CI -1.07 to +1.17, with the critical "
            "value t(0.975, 2) = 4.303; 2026-06 → 2026-07: -1.00 (2026-06, 2026-07: one value, "
            f"which has no spread)) against no decline: conform ({untested})",
        ),
        (
            "zh",
            "斜率 每月 +0.05,共 4 期(95% 置信区间 -1.07 至 +1.17,临界值 t(0.975, 2) = 4.303;"
            "2026-06 → 2026-07:-1.00(2026-06、2026-07 仅一个值,无离散)),目标 不下降:符合"
            "(末期较前一期的变化未与噪声比较)",
        ),
    ):
        render_reports(document, tmp_path / lang, ("html",), lang)
        html = markup.unescape((tmp_path / lang / "report.html").read_text(encoding="utf-8"))
        assert sentence in html.replace("\xa0", " "), lang
