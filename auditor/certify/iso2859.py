"""Single sampling plans for normal inspection by attributes, after ISO 2859-1.

Two look-ups give a plan. The lot size and the general inspection level (I,
II or III) give a sample-size code letter; the code letter and the AQL (in
percent nonconforming) give a sample size with its acceptance number Ac and
rejection number Re. Where the master table has an arrow instead of a plan,
the plan is the first one the arrow points to, with that plan's code letter
and sample size. A sample as large as the lot, or larger, means inspecting
every item of the lot.

The tables below are the published values written out as data: rows of the
code-letter table by lot size, sample sizes by letter, and one text row per
letter of the master table for the AQLs 0.010 to 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..errors import AuditorError, closest_name

#: general inspection levels, in order of increasing sample size
LEVELS = ("I", "II", "III")

#: the largest lot of each lot-size band, in order; the last band has no upper end
LOT_BAND_ENDS: tuple[int | None, ...] = (
    8,
    15,
    25,
    50,
    90,
    150,
    280,
    500,
    1_200,
    3_200,
    10_000,
    35_000,
    150_000,
    500_000,
    None,
)

#: the code letter of each lot-size band (one character per band), by inspection level
LETTER_BY_BAND = {
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}

#: sample size of each code letter (no I and no O among the letters)
SAMPLE_SIZES = {
    "A": 2,
    "B": 3,
    "C": 5,
    "D": 8,
    "E": 13,
    "F": 20,
    "G": 32,
    "H": 50,
    "J": 80,
    "K": 125,
    "L": 200,
    "M": 315,
    "N": 500,
    "P": 800,
    "Q": 1250,
    "R": 2000,
}
LETTERS = tuple(SAMPLE_SIZES)

#: the AQL columns of the master table this module holds (percent nonconforming)
AQLS = tuple(
    Decimal(text)
    for text in (
        [
            "0.010",
            "0.015",
            "0.025",
            "0.040",
            "0.065",
            "0.10",
            "0.15",
            "0.25",
            "0.40",
            "0.65",
            "1.0",
            "1.5",
            "2.5",
            "4.0",
            "6.5",
            "10",
        ]
    )
)

#: The master table for normal inspection, one row per code letter, one cell per
#: AQL column above: a number is the acceptance number Ac of a plan (its
#: rejection number is Ac + 1 throughout these columns); ``v`` is an arrow
#: down (use the first plan below it in the column), ``^`` an arrow up (the
#: first plan above it).
MASTER_ROWS = {
    "A": " v  v  v  v  v  v  v  v  v  v  v  v  v  v  0  ^",
    "B": " v  v  v  v  v  v  v  v  v  v  v  v  v  0  ^  v",
    "C": " v  v  v  v  v  v  v  v  v  v  v  v  0  ^  v  1",
    "D": " v  v  v  v  v  v  v  v  v  v  v  0  ^  v  1  2",
    "E": " v  v  v  v  v  v  v  v  v  v  0  ^  v  1  2  3",
    "F": " v  v  v  v  v  v  v  v  v  0  ^  v  1  2  3  5",
    "G": " v  v  v  v  v  v  v  v  0  ^  v  1  2  3  5  7",
    "H": " v  v  v  v  v  v  v  0  ^  v  1  2  3  5  7 10",
    "J": " v  v  v  v  v  v  0  ^  v  1  2  3  5  7 10 14",
    "K": " v  v  v  v  v  0  ^  v  1  2  3  5  7 10 14 21",
    "L": " v  v  v  v  0  ^  v  1  2  3  5  7 10 14 21  ^",
    "M": " v  v  v  0  ^  v  1  2  3  5  7 10 14 21  ^  ^",
    "N": " v  v  0  ^  v  1  2  3  5  7 10 14 21  ^  ^  ^",
    "P": " v  0  ^  v  1  2  3  5  7 10 14 21  ^  ^  ^  ^",
    "Q": " 0  ^  v  1  2  3  5  7 10 14 21  ^  ^  ^  ^  ^",
    "R": " ^  v  1  2  3  5  7 10 14 21  ^  ^  ^  ^  ^  ^",
}
DOWN, UP = "v", "^"


@dataclass(frozen=True)
class Plan:
    """A single sampling plan for normal inspection, as applied to one lot.

    ``code_letter`` and ``sample_size`` are those of the plan used (after any
    arrow); ``sample_size`` is cut to the lot size when the plan's sample is as
    large as the lot (every item is inspected). ``table_letter`` is the letter
    the lot size and level gave, before any arrow. ``note`` says, in a
    sentence, which arrow was followed and whether the whole lot is inspected
    (empty when neither).
    """

    code_letter: str
    sample_size: int
    accept: int
    reject: int
    note: str = ""
    table_letter: str = ""
    lot_size: int = 0
    level: str = ""
    aql: str = ""

    @property
    def whole_lot(self) -> bool:
        """Whether every item of the lot is inspected."""
        return 0 < self.lot_size <= self.sample_size

    def as_dict(self) -> dict[str, object]:
        return {
            "standard": "ISO 2859-1",
            "inspection": "normal",
            "sampling": "single",
            "level": self.level,
            "aql": self.aql,
            "lot_size": self.lot_size,
            "table_letter": self.table_letter,
            "code_letter": self.code_letter,
            "sample_size": self.sample_size,
            "accept": self.accept,
            "reject": self.reject,
            "note": self.note,
        }


def parse_level(level: str) -> str:
    """``I``, ``II`` or ``III`` (any case), else an error naming the levels."""
    text = str(level).strip().upper()
    if text not in LEVELS:
        raise AuditorError(
            f"unknown inspection level '{level}': the general levels are I, II and III",
            suggestion=closest_name(text, LEVELS),
        )
    return text


def parse_aql(aql: float | str | Decimal) -> Decimal:
    """The AQL column ``aql`` names (``2.5``, ``"0.65"``, ``1``), else an error listing them."""
    try:
        value = Decimal(str(aql).strip().rstrip("%").strip())
    except InvalidOperation:
        value = None
    if value is not None and value.is_finite() and value in AQLS:
        return AQLS[AQLS.index(value)]
    known = ", ".join(aql_text(a) for a in AQLS)
    raise AuditorError(
        f"AQL '{aql}' is not one of the table's values in percent nonconforming ({known})"
    )


def aql_text(aql: Decimal) -> str:
    """An AQL as the table heads its column: ``0.010``, ``0.65``, ``1.0``, ``10``."""
    return str(aql)


def code_letter(lot_size: int, level: str) -> str:
    """The sample-size code letter for a lot of ``lot_size`` items at general inspection ``level``.

    A lot of one item falls in the first band (2 to 8).
    """
    if lot_size < 1:
        raise AuditorError(f"a lot needs at least one item, not {lot_size}")
    letters = LETTER_BY_BAND[parse_level(level)]
    for band, end in enumerate(LOT_BAND_ENDS):
        if end is None or lot_size <= end:
            return letters[band]
    raise AssertionError("the last band has no end")  # pragma: no cover


def master_cell(letter: str, aql: Decimal) -> str:
    """The master table's cell for a code letter and an AQL column: an Ac, ``v`` or ``^``."""
    return MASTER_ROWS[letter].split()[AQLS.index(aql)]


def table_plan(letter: str, aql: float | str | Decimal) -> tuple[str, int, int, str]:
    """The plan the master table gives at ``letter`` and ``aql``: (letter, n, Ac, note).

    An arrow leads along the column to the first plan it points to. An arrow
    that points off the table (up from A, down from R) has no plan on its
    side; the nearest plan the other way in the same column is used, so the
    AQL of the plan is always the one asked for.
    """
    column = parse_aql(aql)
    if letter not in SAMPLE_SIZES:
        raise AuditorError(
            f"unknown code letter '{letter}'", suggestion=closest_name(letter, LETTERS)
        )
    cell = master_cell(letter, column)
    if cell not in (DOWN, UP):
        return letter, SAMPLE_SIZES[letter], int(cell), ""
    start = LETTERS.index(letter)
    step = 1 if cell == DOWN else -1
    found = _first_plan(start, step, column)
    where = f"code letter {letter} has no plan at AQL {aql_text(column)}"
    if found is not None:
        way = "down" if step == 1 else "up"
        target = LETTERS[found]
        note = (
            f"{where}: the arrow points {way} to code letter {target} (n = {SAMPLE_SIZES[target]})"
        )
    else:
        found = _first_plan(start, -step, column)
        assert found is not None, "every column holds a plan"
        target = LETTERS[found]
        note = (
            f"{where} and its arrow points off the table: the nearest plan in the column is "
            f"code letter {target} (n = {SAMPLE_SIZES[target]})"
        )
    return target, SAMPLE_SIZES[target], int(master_cell(target, column)), note


def _first_plan(start: int, step: int, column: Decimal) -> int | None:
    index = start + step
    while 0 <= index < len(LETTERS):
        if master_cell(LETTERS[index], column) not in (DOWN, UP):
            return index
        index += step
    return None


def single_plan(lot_size: int, level: str, aql: float | str | Decimal) -> Plan:
    """The single sampling plan for normal inspection of a lot of ``lot_size`` items."""
    level_name = parse_level(level)
    column = parse_aql(aql)
    first = code_letter(lot_size, level_name)
    letter, size, accept, note = table_plan(first, column)
    notes = [note] if note else []
    if size >= lot_size:
        notes.append(
            f"the sample size {size:,} is not smaller than the lot ({lot_size:,}): "
            f"every item is inspected (100 %)"
        )
        size = lot_size
    return Plan(
        code_letter=letter,
        sample_size=size,
        accept=accept,
        reject=accept + 1,
        note="; ".join(notes),
        table_letter=first,
        lot_size=lot_size,
        level=level_name,
        aql=aql_text(column),
    )
