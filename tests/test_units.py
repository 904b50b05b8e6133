from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.errors import AuditorError
from auditor.units import DURATION_UNITS, parse_duration, parse_percent, parse_threshold


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("1min", 60), ("4h", 14400), ("5d", 432000), ("2w", 1209600), ("1.5h", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).seconds == seconds


@pytest.mark.parametrize("text", ["30", "30 minutes", "h", "-5s", "", "30m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(AuditorError):
        parse_duration(text)


def test_minutes_written_as_m_suggests_min() -> None:
    with pytest.raises(AuditorError) as caught:
        parse_duration("30m")
    assert caught.value.suggestion == "min"


@given(st.decimals(min_value=0, max_value=10**5, places=2), st.sampled_from(sorted(DURATION_UNITS)))
def test_duration_text_round_trips(amount: Decimal, unit: str) -> None:
    duration = parse_duration(f"{amount}{unit}")
    assert parse_duration(str(duration)) == duration


def test_percentages() -> None:
    assert parse_percent("95%") == Decimal("0.95")
    assert parse_percent("99.5%") == Decimal("0.995")
    assert parse_percent(0.9) == Decimal("0.9")
    for bad in ("195%", "abc", 2, True):
        with pytest.raises(AuditorError):
            parse_percent(bad)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("0.5", "write it with its % sign: 0.5% or 50%"),  # which was meant cannot be told
        ("0.025", "write it with its % sign: 0.025% or 2.5%"),
        ("3", "write it with its % sign: 3%"),
        ("abc", "write it like 95% or 99.5%"),
        ("-1", "write it like 95% or 99.5%"),
    ],
)
def test_a_bare_number_for_a_percentage_is_refused_with_both_readings(text, hint) -> None:
    """A command-line option (--max-quarantine 0.5) gives text: a bare number is not guessed
    to be a fraction or a percentage; the line offers what each would be written as."""
    with pytest.raises(AuditorError) as raised:
        parse_percent(text)
    assert str(raised.value) == f"'{text}' is not a percentage; {hint}"


def test_thresholds() -> None:
    t = parse_threshold(">= 4.2")
    assert (t.op, t.value, t.kind) == (">=", Decimal("4.2"), "number")
    assert t.holds(4.2) and not t.holds(4.19)
    assert parse_threshold("<= 5%").value == Decimal("0.05")
    assert parse_threshold("< 20s").value == Decimal("20")
    assert parse_threshold(4.2).op == ">="
    with pytest.raises(AuditorError):
        parse_threshold(">= lots")


@pytest.mark.parametrize(
    "text", [">= 1e400", "<= -1e400", ">= .nan", ">= .inf", "<= -.inf", "nan", float("nan")]
)
def test_a_threshold_that_is_not_a_finite_number_is_refused(text) -> None:
    """1e400 was read as a number too large for a float (shown '≥ inf', written to findings.json
    as Infinity); '.nan' was refused as not being a duration."""
    with pytest.raises(AuditorError) as raised:
        parse_threshold(text)
    assert str(raised.value) == f"'{text}' is not a finite number; write a number such as '>= 4.2'"


def test_a_percentage_that_is_not_a_finite_number_is_refused() -> None:
    """YAML's .nan as a fraction raised decimal.InvalidOperation from the comparison with 0."""
    with pytest.raises(AuditorError) as raised:
        parse_percent(float("nan"))
    assert str(raised.value) == "'nan' is not a finite number; write a percentage such as 95%"
