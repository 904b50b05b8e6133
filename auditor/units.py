"""Durations, percentages and thresholds as written in packs.

``30s``, ``1min``, ``4h``, ``5d``, ``2w``; ``95%``; ``>= 4.2``, ``<= 5%``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import UnitError, closest_name, shown

#: seconds per unit; the names a pack may use
DURATION_UNITS: dict[str, int] = {
    "s": 1,
    "sec": 1,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")
_THRESHOLD = re.compile(r"^\s*(>=|<=|>|<|==)\s*(.+?)\s*$")
_NUMBER_HINT = "write a number such as '>= 4.2'"
#: the spellings of a number that is not finite (YAML's ``.nan``, ``.inf``; Python's ``nan``, ``inf``)
_NOT_FINITE = re.compile(r"^[+-]?\.?(nan|inf|infinity)$", re.IGNORECASE)


@dataclass(frozen=True)
class Duration:
    """A length of time, kept with the unit it was written in."""

    amount: Decimal
    unit: str

    @property
    def seconds(self) -> float:
        return float(self.amount * DURATION_UNITS[self.unit])

    def __str__(self) -> str:
        return f"{_plain(self.amount)}{self.unit}"


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def parse_duration(text: object) -> Duration:
    """Read ``30s`` / ``1min`` / ``4h`` / ``5d``; raise with the closest unit if unknown."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise UnitError(f"expected a duration such as 30s or 4h, found {shown(text)}")
    if isinstance(text, int | float):
        raise UnitError(
            f"duration {text!r} has no unit", hint="write the unit, for example 30s, 1min, 4h, 5d"
        )
    match = _DURATION.match(text)
    if not match:
        raise UnitError(
            f"'{text}' is not a duration", hint="write a number and a unit, e.g. 30s, 1min, 4h, 5d"
        )
    amount, unit = match.groups()
    if unit not in DURATION_UNITS:
        suggestion = closest_name(unit, DURATION_UNITS)
        if unit == "m":
            suggestion = "min"
        raise UnitError(
            f"unknown duration unit '{unit}' in '{text}' (units: s, sec, min, h, d, w)",
            suggestion=suggestion,
        )
    return Duration(Decimal(amount), unit)


def parse_percent(text: object) -> Decimal:
    """Read ``95%`` (or a fraction such as 0.95) as a fraction between 0 and 1."""
    if isinstance(text, bool):
        raise UnitError(f"expected a percentage such as 95%, found {shown(text)}")
    if isinstance(text, int | float):
        value = _finite(Decimal(str(text)), str(text), hint="write a percentage such as 95%")
        if not 0 <= value <= 1:
            hint = (
                f"write it as {text}%" if 1 < value <= 100 else "write it as a percentage, e.g. 95%"
            )
            raise UnitError(f"{text} is not a fraction between 0 and 1", hint=hint)
        return value
    if not isinstance(text, str):
        raise UnitError(f"expected a percentage such as 95%, found {shown(text)}")
    match = _PERCENT.match(text)
    if not match:
        raise UnitError(f"'{text}' is not a percentage", hint=_percent_hint(text))
    value = Decimal(match.group(1)) / 100
    if not 0 <= value <= 1:
        raise UnitError(f"percentage '{text}' is outside 0-100%")
    return value


def _percent_hint(text: str) -> str:
    """What to write instead of ``text``: a bare number (``0.5``) could mean 0.5 % or, as a
    fraction, 50 %, so both are offered, not guessed."""
    try:
        number = Decimal(text.strip())
    except ArithmeticError:
        return "write it like 95% or 99.5%"
    if not number.is_finite() or number < 0:
        return "write it like 95% or 99.5%"
    typed = text.strip()
    if number <= 1:
        return f"write it with its % sign: {typed}% or {_plain(number * 100)}%"
    return f"write it with its % sign: {typed}%"


@dataclass(frozen=True)
class Threshold:
    """A comparison against a fixed value: ``>= 4.2``, ``<= 5%``, ``>= 30s``.

    ``value`` is a plain number: fractions for percentages, seconds for durations.
    """

    op: str
    value: Decimal
    kind: str  # "number", "percent" or "duration"
    text: str

    def holds(self, measured: float) -> bool:
        value = float(self.value)
        return {
            ">=": measured >= value,
            "<=": measured <= value,
            ">": measured > value,
            "<": measured < value,
            "==": measured == value,
        }[self.op]

    @property
    def higher_is_better(self) -> bool:
        return self.op in (">=", ">")

    def __str__(self) -> str:
        return self.text


def parse_threshold(text: object) -> Threshold:
    """Read ``>= 4.2``, ``<= 5%``, ``<= 20s``. A bare number or percentage means ``>=``."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise UnitError(f"expected a threshold such as '>= 4.2', found {shown(text)}")
    raw = str(text).strip()
    match = _THRESHOLD.match(raw)
    op, rest = (match.group(1), match.group(2)) if match else (">=", raw)
    if _NOT_FINITE.match(rest):
        raise _not_finite(raw)
    if rest.endswith("%"):
        return Threshold(op, parse_percent(rest), "percent", f"{op} {rest}")
    if rest and rest[-1].isalpha():
        duration = parse_duration(rest)
        seconds = _finite(Decimal(str(duration.seconds)), raw)
        return Threshold(op, seconds, "duration", f"{op} {duration}")
    try:
        value = Decimal(rest)
    except InvalidOperation:
        raise UnitError(
            f"'{raw}' is not a threshold", hint="write an operator and a value, e.g. '>= 4.2'"
        ) from None
    return Threshold(op, _finite(value, raw), "number", f"{op} {_plain(value)}")


def _finite(value: Decimal, raw: str, hint: str = _NUMBER_HINT) -> Decimal:
    """``value`` if a float holds it as a finite number; nan, inf and 1e400 are refused."""
    if not value.is_finite() or not math.isfinite(float(value)):
        raise _not_finite(raw, hint)
    return value


def _not_finite(raw: str, hint: str = _NUMBER_HINT) -> UnitError:
    return UnitError(f"'{raw}' is not a finite number", hint=hint)
