"""Public holidays of a country or subdivision, from the ``holidays`` library.

A calendar's ``holidays:`` names its set: ``CN`` (mainland China, from
chinesecalendar, which also knows the make-up working days), ``none``, or any
code the ``holidays`` library supports: a country (``US``, ``BR``, ``IL``,
``IT``) or a country and subdivision (``US-NY``, ``US-MA``). The library
computes each year's days from its rules, but only for the years its set is
defined for (``start_year`` to ``end_year``, e.g. 1777 to 2100 for ``US``);
chinesecalendar knows a fixed range (2004 to its last published year). A year
outside its set's range has no holiday data, which the business clock refuses
(it never guesses), and the report names the years an audit needed.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from functools import cache
from typing import Any

from .errors import closest_name, shown

#: the sets that do not come from the ``holidays`` library
OWN_SETS = ("CN", "none")
#: codes of the ``holidays`` library refused for one of ours: its set for China has neither
#: the bridge days nor the make-up working days of the official calendar, which ``CN`` has
REFUSED = {"CHN": "CN"}
CODE = re.compile(r"([A-Z]{2,3})(?:-([A-Z0-9]{1,5}))?")


@cache
def supported_codes() -> tuple[str, ...]:
    """Every country and country-subdivision code the ``holidays`` library knows."""
    import holidays

    codes: list[str] = []
    for country, subdivisions in holidays.list_supported_countries().items():
        codes.append(country)
        codes.extend(f"{country}-{sub}" for sub in subdivisions)
    return tuple(sorted(codes))


def holiday_set_problem(code: object) -> tuple[str, str | None] | None:
    """Why ``code`` (as read from YAML) is not a holiday set (and the closest one), or ``None``
    when it is."""
    if isinstance(code, str) and code in REFUSED:
        return (
            f"holidays {code} is the holidays library's set for China, which lacks the bridge "
            "days and the make-up working days of the official calendar",
            REFUSED[code],
        )
    if isinstance(code, str) and (code in OWN_SETS or code in supported_codes()):
        return None
    message = (
        f"holidays {shown(code)} is not a known holiday set: give CN, none, or a country or "
        "subdivision code of the holidays library (US, US-NY, BR, IL, IT, ...)"
    )
    return message, _closest_code(code) if isinstance(code, str) else None


def _closest_code(code: str) -> str | None:
    """A code with the same letters transposed first (US-YN: US-NY), else the most similar."""
    known = [*OWN_SETS, *supported_codes()]
    swapped = [c for c in known if len(c) == len(code) and sorted(c) == sorted(code)]
    return swapped[0] if len(swapped) == 1 else closest_name(code, known)


@cache
def public_holidays(code: str) -> Any:
    """The ``holidays`` library's set for ``code`` (``US-NY``: New York State); filled per year."""
    import holidays

    match = CODE.fullmatch(code)
    if match is None:  # checked when the pack is loaded
        raise ValueError(code)
    country, subdivision = match.groups()
    return holidays.country_holidays(country, subdiv=subdivision)


#: The holidays library fills a year of a set the first time a date in it is asked about,
#: and marks the year done before it has filled it: two threads building calendars at
#: once (rules run on two threads) could see a holiday as a working day. Asked one at a time.
_FILLING = threading.Lock()


def is_public_holiday(code: str, day: date) -> bool:
    """Whether ``day`` is a public holiday of the set ``code`` (safe from any thread)."""
    found = public_holidays(code)
    with _FILLING:
        return day in found


def covered_years(code: str) -> tuple[int, int] | None:
    """The first and last year the set ``code`` has holiday data for (``None`` for ``none``)."""
    if code == "none":
        return None
    if code == "CN":
        import chinese_calendar

        years = [d.year for d in chinese_calendar.holidays]
        return min(years), max(years)
    found = public_holidays(code)
    return int(found.start_year), int(found.end_year)
