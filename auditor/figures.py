"""The numbers of a clause and of a rule, compared to catch a rule that reads its clause differently.

A clause's ``figures:`` are short texts ("phone answered within 30 s",
"closure rate >= 95 %"). The comparison is deliberately conservative:

- a number followed by a time unit (``s``, ``sec``, ``min``, ``h``, ``d``,
  ``w``, their English words, 秒 分钟 小时 天 日 周) is a duration, kept in
  seconds, so ``4 h``, ``240 min`` and ``14400 s`` are the same figure;
- a number followed by ``%`` is a share (``95 %`` is 0.95);
- months and years (``12 months``, 个月, 年) are their own units, never
  compared with days;
- a plain number is a number; both ends of a range (``1-5``, ``0-10``) are a
  scale, not a target, and are left out.

A rule's numbers are the durations of its measure (a limit, a window, each step's
bound), its target share (a rate without ``target`` needs 100 %) and its threshold.
Each is compared only with the clause's figures of the same unit: a warning is
due when the clause has at least one number of that unit and none is equal to
the rule's (to one part in a billion). A clause with no number of that unit, or a
rule with an ``interpretation:``, is never warned about.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import expression as ex
from .units import Duration

_TIME_UNITS = (
    ("seconds", 1), ("second", 1), ("secs", 1), ("sec", 1), ("s", 1), ("秒", 1),
    ("minutes", 60), ("minute", 60), ("mins", 60), ("min", 60), ("分钟", 60),
    ("hours", 3600), ("hour", 3600), ("hrs", 3600), ("hr", 3600), ("h", 3600), ("小时", 3600),
    ("days", 86400), ("day", 86400), ("d", 86400), ("天", 86400), ("日", 86400),
    ("weeks", 604800), ("week", 604800), ("w", 604800), ("周", 604800),
)  # fmt: skip
_OTHER_UNITS = (
    ("months", "month"), ("month", "month"), ("个月", "month"),
    ("years", "year"), ("year", "year"), ("年", "year"),
)  # fmt: skip
_NUMBER = r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)"
_RANGE = re.compile(_NUMBER + r"\s*(?:-|–|~|to)\s*(\d+(?:\.\d+)?)")
_UNIT_WORDS = sorted(
    [u for u, _ in _TIME_UNITS] + [u for u, _ in _OTHER_UNITS], key=len, reverse=True
)
_QUANTITY = re.compile(
    _NUMBER + r"\s*(%|" + "|".join(re.escape(u) for u in _UNIT_WORDS) + r")?(?![A-Za-z])"
)
UNIT_NAMES = {"time": "a duration", "percent": "a percentage", "number": "a number"}


@dataclass(frozen=True)
class Quantity:
    unit: str  # time (seconds), percent (a fraction), month, year, number
    value: Decimal
    text: str  # as written

    def same(self, other: Quantity) -> bool:
        if self.unit != other.unit:
            return False
        scale = max(Decimal(1), abs(self.value), abs(other.value))
        return abs(self.value - other.value) <= scale * Decimal("1e-9")


def quantities(text: str) -> list[Quantity]:
    """The numbers of one figure text with their units; the ends of ranges left out."""
    text = _RANGE.sub(" ", text)
    found = []
    for match in _QUANTITY.finditer(text):
        amount, unit = Decimal(match.group(1)), match.group(2)
        written = match.group(0).strip()
        if unit is None:
            found.append(Quantity("number", amount, written))
        elif unit == "%":
            found.append(Quantity("percent", amount / 100, written))
        elif unit in dict(_TIME_UNITS):
            found.append(Quantity("time", amount * dict(_TIME_UNITS)[unit], written))
        else:
            found.append(Quantity(dict(_OTHER_UNITS)[unit], amount, written))
    return found


def clause_quantities(figures: tuple[str, ...]) -> list[Quantity]:
    return [q for text in figures for q in quantities(text)]


def measure_durations(measure: Any) -> list[Duration]:
    """Every duration a measure's checked form holds (its limit, window, step bounds)."""
    found: list[Duration] = []

    def walk(value: Any) -> None:
        if isinstance(value, Duration):
            found.append(value)
        elif isinstance(
            value,
            ex.Field | ex.Literal | ex.Not | ex.BoolOp | ex.Compare | ex.IsNull | ex.In | ex.Arith,
        ):  # filters: their durations are not the rule's figure
            return
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name))
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)

    walk(measure)
    return found


def rule_quantities(measure: Any, target: Any) -> list[tuple[str, Quantity]]:
    """The numbers a rule uses, each with the pack key it was written under."""
    found = [
        (measure.name, Quantity("time", Decimal(str(d.seconds)), str(d)))
        for d in measure_durations(measure)
    ]
    if target.share is not None:
        found.append(("target", Quantity("percent", target.share, str(target))))
    elif target.threshold is not None:
        threshold = target.threshold
        unit = {"duration": "time", "percent": "percent"}.get(threshold.kind, "number")
        found.append(("target", Quantity(unit, threshold.value, threshold.text)))
    return found


def differing(measure: Any, target: Any, figures: tuple[str, ...]) -> list[tuple[str, str]]:
    """(pack key, message) for each number of the rule unlike every clause number of its unit."""
    theirs = clause_quantities(figures)
    out = []
    for key, ours in rule_quantities(measure, target):
        same_unit = [q for q in theirs if q.unit == ours.unit]
        if same_unit and not any(ours.same(q) for q in same_unit):
            out.append(
                (
                    key,
                    f"{ours.text} differs from the clause's "
                    f"{' / '.join(q.text for q in same_unit)}",
                )
            )
    return out
