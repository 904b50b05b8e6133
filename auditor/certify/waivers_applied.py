"""The waivers an audit applied: re-applied as findings.json records them, and checked
against the CAPA register they came from when ``verify`` is given it.

A waiver is not among an audit's hashed inputs (it lives in the register, or in a
waivers.yaml beside the pack); findings.json records each one it applied (who asked,
who approved, until when). ``verify`` re-applies exactly those, so the waived findings
are reproduced; with the register, it also checks that each ``W-n`` waiver is there as
recorded and was in force on the day the audit ran, and that the register's history
was not changed outside the tool.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AuditorError, Location
from ..findings.contract import FindingsDocument, Waived
from ..findings.nonconformities import group_key

if TYPE_CHECKING:
    from ..register import Register
    from ..register.waivers import Waiver

#: the fields a waiver's record in findings.json shares with the register, as told
_FIELDS = (
    ("reason", "reason"),
    ("risk", "risk"),
    ("requested_by", "requested by"),
    ("approved_by", "approved by"),
    ("valid_until", "valid until"),
)


def ran_on(document: FindingsDocument) -> date:
    """The day the audit ran, in UTC as findings.json records it (the local day its waivers
    had to be in force on is within a day of it, either side)."""
    return datetime.fromisoformat(document.generated_at).date()


def recorded_waivers(document: FindingsDocument) -> list[Waiver]:
    """The waivers the audit applied, as its findings record them: each covering the rule and
    group of a finding it waived, in force on the day the audit ran."""
    from ..register.waivers import Waiver

    return [
        Waiver(
            id=given.waiver,
            rule=rule,
            group_key=group,
            reason=given.reason,
            risk=given.risk,
            requested_by=given.requested_by,
            approved_by=given.approved_by,
            valid_from=date.min,
            valid_until=date.fromisoformat(given.valid_until),
        )
        for rule, group, given in _waived(document)
    ]


def _waived(document: FindingsDocument) -> Iterator[tuple[str, str, Waived]]:
    """(rule, group key, waiver) of each finding the audit waived."""
    for rule in document.rules:
        for finding in rule.findings:
            if finding.waived is not None:
                yield rule.rule, group_key(finding), finding.waived


def _applied(document: FindingsDocument) -> dict[tuple[str, str, str], Waived]:
    """Each waiver the audit applied, once per (waiver, rule, group key)."""
    seen: dict[tuple[str, str, str], Waived] = {}
    for rule, group, given in _waived(document):
        seen.setdefault((given.waiver, rule, group), given)
    return seen


def check_waivers(
    document: FindingsDocument, register: Path | None = None
) -> tuple[list[str], list[str]]:
    """(differences, notes) about the waivers the audit applied: without ``register`` a note
    for each (re-applied, not checked); with it, each ``W-n`` waiver checked against it."""
    applied = _applied(document)
    if register is None:
        why = "give --register to check it against the CAPA register"
        return [], [_unchecked(key, given, why) for key, given in applied.items()]
    registered = _read_register(register)
    differences: list[str] = []
    notes: list[str] = []
    day = ran_on(document)
    for key, given in applied.items():
        waiver_id, rule, group = key
        if not waiver_id.startswith("W-"):  # Y-n: from a waivers.yaml beside the pack
            notes.append(_unchecked(key, given, "it came from a waivers.yaml, not the register"))
            continue
        found = registered.get(waiver_id)
        problems = _problems(found, given, rule, group, day)
        named = f"waiver {waiver_id} ({rule} {group or 'all'})"
        if problems:
            differences.extend(f"{named}: {problem}" for problem in problems)
        else:
            notes.append(
                f"{named} is in the register as findings.json records it, in force on {day}"
            )
    return differences, notes


def _unchecked(key: tuple[str, str, str], given: Waived, why: str) -> str:
    waiver_id, rule, group = key
    return (
        f"waiver {waiver_id} ({rule} {group or 'all'}, approved by {given.approved_by} "
        f"until {given.valid_until}) applied as findings.json records it: waivers are not "
        f"among the audit's hashed inputs, so it was not checked; {why}"
    )


def register_checked(path: Path | None) -> tuple[list[str], list[str]]:
    """(differences, notes) about the register ``verify`` is given, as ``capa check`` names
    them: each place it holds otherwise than its history says (a history row changed or cut,
    an item, action or waiver changed outside the tool) a difference; the values a register
    made by an earlier version cannot tell, one note; none without a register."""
    if path is None:
        return [], []
    register = _opened(path)
    try:
        checked = register.integrity()
    finally:
        register.close()
    named = f"register {path.name}"
    unchecked = checked.unchecked_line()
    return (
        [f"{named}: {line}" for line in checked.problems],
        [f"{named}: {unchecked}"] if unchecked else [],
    )


def _read_register(path: Path) -> dict[str, Waiver]:
    """The register's waivers by id."""
    register = _opened(path)
    try:
        return {w.id: w for w in register.waivers()}
    finally:
        register.close()


def _opened(path: Path) -> Register:
    """The register at ``path``; refused when there is none (never made for a check)."""
    from ..register import Register

    if not path.is_file():
        raise AuditorError(
            "no CAPA register here",
            location=Location(str(path)),
            hint="give --register the register the audit read its waivers from",
        )
    return Register(str(path))


def _problems(found: Waiver | None, given: Waived, rule: str, group: str, day: date) -> list[str]:
    """What the register says against the audit's record of one waiver (empty: they agree)."""
    if found is None:
        return ["not in the register"]
    problems = []
    if not found.covers(rule, group):
        problems.append(f"the register's waiver covers {found.rule} {found.group_key or 'all'}")
    for field, told in _FIELDS:
        theirs, ours = str(getattr(found, field)), str(getattr(given, field))
        if theirs != ours:
            problems.append(f"{told} {ours!r} in findings.json, {theirs!r} in the register")
    if not _in_force_then(found, day):
        problems.append(f"not in force on {day}, the day the audit ran ({_term(found)})")
    return problems


def _in_force_then(waiver: Waiver, day: date) -> bool:
    """Whether the waiver may have been in force when the audit ran: the audit's local day is
    within a day of the UTC ``day`` findings.json records, and a revocation on that day may
    have come after the audit (a revocation is recorded by the day)."""
    if waiver.revoked_on is not None:
        waiver = replace(waiver, revoked_on=waiver.revoked_on + timedelta(days=1))
    return any(waiver.in_force(day + timedelta(days=shift)) for shift in (-1, 0, 1))


def _term(waiver: Waiver) -> str:
    start = "" if waiver.valid_from == date.min else f"from {waiver.valid_from} "
    revoked = f", revoked on {waiver.revoked_on}" if waiver.revoked_on else ""
    return f"{start}until {waiver.valid_until}{revoked}"
