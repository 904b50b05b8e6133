"""Interval values against published references, and properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.stats import (
    Z_95,
    agresti_caffo,
    clopper_pearson_interval,
    nearest_rank_percentile,
    net_promoter_score,
    shortfall,
    wilson_interval,
)


def test_seven_in_fifty_matches_the_references() -> None:
    # Published values for 7 successes in 50 trials (95 %).
    low, high = wilson_interval(7, 50)
    assert (round(low, 4), round(high, 4)) == (0.0695, 0.2619)
    low, high = clopper_pearson_interval(7, 50)
    assert (round(low, 4), round(high, 4)) == (0.0582, 0.2674)


def test_edges() -> None:
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert clopper_pearson_interval(0, 10)[0] == 0.0
    # Clopper-Pearson upper bound for 0 of n is 1 - (alpha/2)^(1/n).
    assert clopper_pearson_interval(0, 10)[1] == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-9)
    assert clopper_pearson_interval(10, 10)[0] == pytest.approx(0.025 ** (1 / 10), abs=1e-9)


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_intervals_cover_the_point_estimate(case: tuple[int, int]) -> None:
    k, n = case
    for low, high in (wilson_interval(k, n), clopper_pearson_interval(k, n)):
        assert 0 <= low <= k / n <= high <= 1


@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_is_symmetric_in_successes_and_failures(case: tuple[int, int]) -> None:
    k, n = case
    low, high = wilson_interval(k, n)
    other_low, other_high = wilson_interval(n - k, n)
    assert low == pytest.approx(1 - other_high, abs=1e-12)
    assert high == pytest.approx(1 - other_low, abs=1e-12)


@given(
    st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 100),
)
def test_shortfall_is_the_smallest_number_that_meets_the_target(
    case: tuple[int, int], percent: int
) -> None:
    k, n = case
    target = Fraction(percent, 100)
    need = shortfall(k, n, target)
    assert Fraction(min(n, k + need), n) >= target or k + need > n
    if need:
        assert Fraction(k + need - 1, n) < target


def test_percentile_and_nps() -> None:
    values = sorted([15, 20, 35, 40, 50])
    assert nearest_rank_percentile(values, 30) == (20, 2)
    assert nearest_rank_percentile(values, 100 - 1e-9) == (50, 5)
    assert net_promoter_score(50, 20, 100) == 30.0


@pytest.mark.parametrize(
    ("before", "after", "reference"),
    [
        # statsmodels' confint_proportions_2indep(after, before, method="agresti-caffo")
        ((5, 6), (0, 1), (-1.0287015483087352, 0.19536821497540174)),
        ((16, 20), (13, 20), (-0.40295567938094945, 0.13022840665367674)),
    ],
)
def test_agresti_caffo_matches_statsmodels(before, after, reference) -> None:
    """The difference ± 1.96 standard errors is statsmodels' Agresti–Caffo interval; a period
    at 0 % (0 of 1) still has a spread: 1/3 of 3, not 0."""
    difference, se = agresti_caffo(before, after)
    assert (difference - Z_95 * se, difference + Z_95 * se) == pytest.approx(reference, abs=1e-12)
