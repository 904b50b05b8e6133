"""Numbers as people read them, never contradicting the verdict they stand beside.

A rate of 3,450 of 3,451 is 99.97 %, not "100.0 %": a value shown next to a
target gets as many decimals as it needs to differ from that target (and from
0 % and 100 %, which a rate only reaches exactly).

:func:`value_text` is the one place a value is written in its unit (a share as
a percentage, a duration as a duration, business seconds as business hours
naming the calendar); :func:`target_text` writes a target with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings.contract import Threshold

MAX_DECIMALS = 8
NBSP = "\u00a0"
DASH = "–"
OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}

# the units of findings.json (auditor.findings.contract.Unit), as text
SHARE, NUMBER, POINTS, PER_1000 = "share", "number", "points", "per_1000"
SECONDS, BUSINESS_SECONDS = "seconds", "business-seconds"

#: days, hours, minutes, seconds
TIME_WORDS = {"zh": ("天", "小时", "分", "秒"), "en": ("d", "h", "min", "s")}


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


def percent_number(
    share: float, target: float | None = None, least: int = 1, also: Sequence[float] = ()
) -> str:
    """``share`` (0..1) as a percentage number without the sign: ``99.97``; ``also``: other
    shares it keeps its side of (an interval's bound beside its value)."""
    refs = [0.0, 100.0, *(a * 100 for a in also)]
    if target is not None:
        refs.append(target * 100)
    value = share * 100
    return f"{value:.{decimals_needed(value, tuple(refs), least)}f}"


def percent_text(
    share: float, target: float | None = None, least: int = 1, also: Sequence[float] = ()
) -> str:
    """``share`` (0..1) as ``99.97 %``, with the decimals it needs beside ``target``."""
    return f"{percent_number(share, target, least, also)} %"


def pair_texts(
    before: float | None,
    after: float | None,
    before_text: Callable[[Sequence[float]], str],
    after_text: Callable[[Sequence[float]], str],
) -> tuple[str, str]:
    """A value before and after as texts (each ``*_text(also)`` writes one, keeping its side of
    the figures in ``also``) that differ when the values do: ``95.50 % → 95.46 %``, not
    ``95.5 % → 95.5 %``; two texts that would read alike are written each beside the other."""
    texts = before_text(()), after_text(())
    if texts[0] != texts[1] or before is None or after is None:
        return texts
    if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-12):
        return texts
    return before_text((after,)), after_text((before,))


def number_text(
    value: float, threshold: float | None = None, least: int = 2, also: Sequence[float] = ()
) -> str:
    """A mean, percentile or rate per 1,000 beside its threshold: ``4.199`` against 4.2."""
    refs = (*(() if threshold is None else (threshold,)), *also)
    return f"{value:,.{decimals_needed(value, refs, least)}f}"


def plain(value: float) -> str:
    """A number as written: 4.2, 120, 0.5 (no trailing zeros)."""
    text = f"{round(value, 6):,.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def count(value: int) -> str:
    """A count with thousands separators: ``3,451``."""
    return f"{value:,}"


def first_names(names: list[str] | tuple[str, ...], most: int = 3) -> str:
    """The first ``most`` of ``names``, then ``…`` when there are more: ``a.csv, b.csv, …``."""
    return ", ".join(list(names[:most]) + (["…"] if len(names) > most else []))


# ------------------------------------------------------------ time


def duration(
    seconds: float, lang: str = "en", reference: float | None = None, also: Sequence[float] = ()
) -> str:
    """A length of time as people read it: 66 s, 12 min 5 s, 5 h 3 min, 60 d 12 h.

    Beside a ``reference`` (a limit) it never rounds onto or across it: a
    value the rounding would make equal to the limit is shown in seconds with
    the decimals it needs.
    """
    d, h, m, s = TIME_WORDS[lang]
    whole = round(seconds)
    step = 1 if abs(whole) < 7200 else (60 if abs(whole) < 48 * 3600 else 3600)
    refs = (*(() if reference is None else (reference,)), *also)
    for ref in refs:
        if seconds == ref:
            continue
        shown, limit = round(seconds / step) * step, round(ref / step) * step
        if (seconds < ref) != (shown < limit) or shown == limit:
            digits = decimals_needed(seconds, refs, 0)
            return f"{seconds:,.{digits}f} {s}"
    if abs(whole) < 120:
        return f"{whole} {s}"
    minutes, rest = divmod(whole, 60)
    if minutes < 120:
        return f"{minutes} {m} {rest} {s}" if rest else f"{minutes} {m}"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} {h} {minutes} {m}" if minutes else f"{hours} {h}"
    days, hours = divmod(hours, 24)
    return f"{days} {d} {hours} {h}" if hours else f"{days} {d}"


def business(
    seconds: float,
    calendar: str | None,
    lang: str = "en",
    reference: float | None = None,
    also: Sequence[float] = (),
) -> str:
    """Business time in business hours, naming the calendar: ``180 business hours (calendar office)``;
    under an hour as a length of time, as a limit such as 30 s is written:
    ``2 min 37 s of business time (calendar office)`` (0.04 hours would hide which side of
    30 s it is on)."""
    if abs(seconds) < 3600:
        return _short_business(seconds, calendar, lang, reference, also)
    hours = seconds / 3600
    least = 0 if float(round(hours, 6)).is_integer() else 1
    refs = tuple(r / 3600 for r in (*(() if reference is None else (reference,)), *also))
    text = f"{hours:,.{decimals_needed(hours, refs, least)}f}"
    if lang == "zh":
        named = f"(日历 {calendar})" if calendar else ""
        return f"{text} 个工作小时{named}"
    unit = "business hour" if text == "1" else "business hours"
    return f"{text} {unit} (calendar {calendar})" if calendar else f"{text} {unit}"


def _short_business(
    seconds: float, calendar: str | None, lang: str, reference: float | None, also: Sequence[float]
) -> str:
    """Business time under an hour: :func:`duration` of it, kept on one line, named business time."""
    text = duration(seconds, lang, reference, also).replace(" ", NBSP)
    if lang == "zh":
        return f"{text} 工作时间" + (f"(日历 {calendar})" if calendar else "")
    return f"{text} of business time" + (f" (calendar {calendar})" if calendar else "")


# ------------------------------------------------------------ a value in its unit


def value_text(
    value: float | None,
    unit: str | None,
    threshold: Threshold | float | None = None,
    lang: str = "en",
    calendar: str | None = None,
    *,
    written: bool = False,
    label: str | None = None,
    also: Sequence[float] = (),
    least: int | None = None,
) -> str:
    """``value`` in ``unit``, kept on one line; ``–`` for no value; ``least``: the fewest
    decimals of a number (both bounds of an interval with one, see :func:`interval_decimals`).

    Beside a ``threshold`` (the target's limit, in the same unit) it has the
    decimals it needs to keep its side of it, and of each figure in ``also``
    (an interval's bound beside its finding's value). ``written`` shows it as a limit
    or a record's own value is written: no added decimals (``90 %``, ``4.2``).
    A value without a unit is a plain number; ``label`` names what a plain
    number counts (the pack's words, ``min``), the other units name themselves.
    """
    if value is None:
        return DASH
    if threshold is None or isinstance(threshold, int | float):
        limit = threshold
    else:
        limit = threshold.value
    reference = None if written else limit
    text = _in_unit(float(value), unit or NUMBER, lang, calendar, reference, written, also, least)
    if unit == BUSINESS_SECONDS:  # the calendar's name may wrap, the figure and its unit not
        return text.replace(" ", NBSP, 1)
    text = text.replace(" ", NBSP)
    if label and (unit or NUMBER) == NUMBER:  # a pack's label may be long: it may wrap
        return f"{text} {label}"
    return text


def _in_unit(
    value: float,
    unit: str,
    lang: str,
    calendar: str | None,
    ref: float | None,
    written: bool,
    also: Sequence[float],
    least: int | None = None,
) -> str:
    if unit == SHARE:
        return f"{plain(value * 100)} %" if written else percent_text(value, ref, least or 1, also)
    if unit == PER_1000:
        return f"{plain(value) if written else number_text(value, ref, least or 2, also)} ‰"
    if unit == POINTS:
        sign = "+" if value > 0 else ""
        return plain(value) if written else sign + number_text(value, ref, least or 1, also)
    if unit == SECONDS:
        return duration(value, lang, ref, also)
    if unit == BUSINESS_SECONDS:
        return business(value, calendar, lang, ref, also)
    return plain(value) if written else number_text(value, ref, least or 2, also)


def interval_decimals(
    low: float, high: float, value: float, unit: str | None, threshold: float | None
) -> int | None:
    """One number of decimals for both bounds of an interval of a number, share or rate: as
    many as either bound needs to keep its side of the value and the threshold, and enough to
    show the interval's width (0.5047–0.5053, not 0.5047–0.51); None for times, which
    :func:`duration` and :func:`business` write in their own steps."""
    if unit in (SECONDS, BUSINESS_SECONDS):
        return None
    scale = 100.0 if unit == SHARE else 1.0
    refs = tuple(x * scale for x in (value, *(() if threshold is None else (threshold,))))
    least = 1 if unit in (SHARE, POINTS) else 2
    width = (high - low) * scale
    if width > 0:
        least = min(max(least, -math.floor(math.log10(width))), MAX_DECIMALS)
    return max(decimals_needed(bound * scale, refs, least) for bound in (low, high))


def target_text(
    threshold: Threshold,
    unit: str,
    lang: str = "en",
    calendar: str | None = None,
    label: str | None = None,
) -> str:
    """A target as the pack wrote it, in the unit of the value it is compared with: ``≥ 90 %``."""
    shown = value_text(threshold.value, unit, None, lang, calendar, written=True, label=label)
    return f"{OPS.get(threshold.op, threshold.op)}{NBSP}{shown}"


def text_table(
    rows: Sequence[Sequence[str]], right: tuple[int, ...] = (), total: bool = False
) -> list[str]:
    """A console table: columns padded to their widest cell as a terminal shows it (a Chinese
    character takes two columns), a rule under the header row (and above the last row, a
    ``total``), the columns in ``right`` (numbers) right-aligned; no-break spaces read as
    spaces."""
    widths = [max(shown_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    rule = "  ".join("-" * w for w in widths)
    lines = []
    for index, row in enumerate(rows):
        if total and index == len(rows) - 1 and index > 1:
            lines.append(rule)
        cells = zip(row, widths, strict=True)
        line = "  ".join(padded(c, w, i in right) for i, (c, w) in enumerate(cells))
        lines.append(line.rstrip().replace("\u00a0", " "))
        if index == 0:
            lines.append(rule)
    return lines


def shown_width(text: str) -> int:
    """Columns a terminal gives ``text``: two for a wide (East Asian) character, else one."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def padded(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (see :func:`shown_width`)."""
    pad = " " * (width - shown_width(text))
    return pad + text if right else text + pad
