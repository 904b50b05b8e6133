"""Numbers as people read them, never contradicting the verdict they stand beside.

A rate of 3,450 of 3,451 is 99.97 %, not "100.0 %": a value shown next to a
target gets as many decimals as it needs to differ from that target (and from
0 % and 100 %, which a rate only reaches exactly).
"""

from __future__ import annotations

MAX_DECIMALS = 8


def _rounded(number: float, decimals: int) -> float:
    return float(f"{number:.{decimals}f}")


def decimals_needed(value: float, references: tuple[float, ...], least: int) -> int:
    """The fewest decimals (at least ``least``) at which ``value`` keeps its side of every reference.

    A value below a reference must still print below it, a value above must
    print above it; a value equal to a reference needs no more than ``least``.
    """
    for decimals in range(least, MAX_DECIMALS + 1):
        shown = _rounded(value, decimals)
        if all(
            value == ref
            or (value < ref and shown < _rounded(ref, decimals))
            or (value > ref and shown > _rounded(ref, decimals))
            for ref in references
        ):
            return decimals
    return MAX_DECIMALS


def percent_number(share: float, target: float | None = None, least: int = 1) -> str:
    """``share`` (0..1) as a percentage number without the sign: ``99.97``."""
    refs = [0.0, 100.0]
    if target is not None:
        refs.append(target * 100)
    value = share * 100
    return f"{value:.{decimals_needed(value, tuple(refs), least)}f}"


def percent_text(share: float, target: float | None = None, least: int = 1) -> str:
    """``share`` (0..1) as ``99.97 %``, with the decimals it needs beside ``target``."""
    return f"{percent_number(share, target, least)} %"


def number_text(value: float, threshold: float | None = None, least: int = 2) -> str:
    """A mean, percentile or rate per 1,000 beside its threshold: ``4.199`` against 4.2."""
    refs = (threshold,) if threshold is not None else ()
    return f"{value:,.{decimals_needed(value, refs, least)}f}"
