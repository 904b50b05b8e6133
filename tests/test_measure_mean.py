"""mean: the value, its 95 % interval with Student's t, and the verdict the interval allows.

Figures are worked out by hand on made-up scores; the t quantiles are the printed
table's (to more digits than tables print).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .series_pack import PACK, audit, calls

T_975_5 = 2.5705818356363146  # t(0.975) with 5 degrees of freedom (tables print 2.571)


def scores(values: list[int]) -> dict[str, str]:
    """One call a day in July 2026, each with a CSAT score."""
    rows = [(f"C{k}", "BJ", f"2026-07-{k + 1:02d} 10:00:00", True, v) for k, v in enumerate(values)]
    return {"calls.csv": calls(rows)}


def csat(write_pack, store, values: list[int], target: str = ">= 2.7"):
    text = PACK.replace('target: ">= 3"', f'target: "{target}"')
    return audit(write_pack, store, text, scores(values), "2026-07")["CSAT"].findings[0]


def test_a_mean_of_six_values_is_judged_on_a_student_t_interval(write_pack, store) -> None:
    """Scores 5, 5, 5, 5, 4, 1: mean 25/6 = 4.1667; s² = (4·(5/6)² + (1/6)² + (19/6)²)/5
    = 462/180, s = 1.6021; half-width t(0.975, 5)·s/√6 = 2.5706·0.6540 = 1.6813, so the
    interval is 2.4854 to 5.8479 and its lower bound is below 2.7: an observation. The
    normal z (1.96) gave 2.8848 to 5.4486, above 2.7, and let the mean conform."""
    finding = csat(write_pack, store, [5, 5, 5, 5, 4, 1])
    s = math.sqrt(462 / 180)
    half = T_975_5 * s / math.sqrt(6)
    assert finding.value == pytest.approx(25 / 6)
    assert finding.details["standard_deviation"] == pytest.approx(s)
    assert finding.interval == pytest.approx((25 / 6 - half, 25 / 6 + half))
    assert finding.interval == pytest.approx((2.4854, 5.8479), abs=1e-4)
    assert finding.verdict == "observation"
    assert finding.reasons == ["meets the target but the 95 % confidence bound does not"]


def test_the_arithmetic_names_the_t_it_used() -> None:
    """n = 6: the interval is mean ± t(0.975, 5) = 2.5706 × s/√n, and the line says so."""
    from auditor.measures.base import Figure
    from auditor.measures.mean import MeanMeasure

    details = {"sum": 25.0, "n": 6, "standard_deviation": 1.6021}
    figure = Figure(25 / 6, (2.4854, 5.8479), details)
    assert MeanMeasure("score").arithmetic(figure) == (
        "mean = sum / n = 25 / 6 = 4.167; s = 1.602, "
        "95 % interval 2.485 to 5.848 (mean ± t(0.975, 5) = 2.5706 × s/√n)"
    )


def test_the_t_critical_values_are_the_printed_tables() -> None:
    """t(0.975, df) for df 1, 5, 30 as tables print them (12.706, 2.571, 2.042)."""
    from auditor.stats import t_critical

    assert t_critical(1) == pytest.approx(12.706, abs=5e-4)
    assert t_critical(5) == pytest.approx(2.571, abs=5e-4)
    assert t_critical(30) == pytest.approx(2.042, abs=5e-4)


@given(st.integers(min_value=1, max_value=10**9))
def test_the_t_critical_value_is_scipy_stats_own(df: int) -> None:
    """The quantile taken from scipy.special is the one scipy.stats.t.ppf gives, to the bit."""
    from scipy.stats import t

    from auditor.stats import t_critical

    assert t_critical(df) == float(t.ppf(0.975, df))


def test_a_mean_of_one_value_that_meets_its_target_is_an_observation(write_pack, store) -> None:
    """One score of 5 against >= 2.7: the mean meets the target, but one value has no spread
    and so no interval to confirm it, as a rate on one record has a Wilson bound that fails."""
    finding = csat(write_pack, store, [5])
    assert (finding.value, finding.interval) == (5.0, None)
    assert finding.verdict == "observation"
    assert finding.reasons == [
        "meets the target but one value gives no 95 % interval to confirm it"
    ]


def test_a_mean_of_one_value_below_its_target_is_a_nonconformity(write_pack, store) -> None:
    finding = csat(write_pack, store, [2])
    assert (finding.value, finding.verdict, finding.severity) == (2.0, "nonconform", "minor")
    assert finding.reasons == []


def test_the_one_value_reason_is_said_in_chinese() -> None:
    from auditor.i18n import Words

    reason = "meets the target but one value gives no 95 % interval to confirm it"
    assert Words("zh").reason(reason) == "达到目标,但仅有一个值,无 95% 置信区间可确认"
    assert Words("en").reason(reason) == reason
