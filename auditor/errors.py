"""The project's one error hierarchy.

Every problem a user can cause is raised as an :class:`AuditorError` (or a
subclass) that knows where it happened (file, line, column, rule id) and, when a
name was not recognised, the closest valid one. ``str(error)`` is the single
line the command line prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def closest_name(name: str, candidates: Iterable[str], fold_case: bool = False) -> str | None:
    """The candidate most like ``name``, or ``None`` when nothing is close; ``fold_case``:
    compared case aside (the candidate returned as spelled). A short name with half its
    characters changed (创建日期 for 创建时间) is close when it is the one such candidate."""
    if fold_case:
        spelled: dict[str, str] = {}
        for candidate in sorted(set(candidates)):
            spelled.setdefault(candidate.casefold(), candidate)
        near = closest_name(name.casefold(), spelled)
        return None if near is None else spelled[near]
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if found:
        return found[0]
    return next(iter(_alike(name, pool)), None) or _half_changed(name, pool)


def closest_names(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates most like ``name``, best first: those that differ from it only
    in case or surrounding spaces (``PS`` for ``ps``), then difflib's closest; when none is,
    the one :func:`closest_name` finds with half its characters changed."""
    pool = sorted(set(candidates))
    found = [*_alike(name, pool), *difflib.get_close_matches(name, pool, n=n, cutoff=0.6)]
    if not found:
        found = [near] if (near := _half_changed(name, pool)) else []
    return list(dict.fromkeys(found))[:n]


def _alike(name: str, pool: list[str]) -> list[str]:
    """The candidates other than ``name`` that differ from it only in case or surrounding
    spaces."""
    folded = name.strip().casefold()
    return [c for c in pool if c != name and c.strip().casefold() == folded]


def closest_time_zone(name: object) -> str | None:
    """The IANA time zone most like ``name``, case aside (``Europe/London`` for
    ``europe/lodnon``); ``None`` when nothing is close or ``name`` is not a text."""
    import zoneinfo

    if not isinstance(name, str):
        return None
    return closest_name(name, zoneinfo.available_timezones(), fold_case=True)


def did_you_mean(name: str | None) -> str:
    """``; did you mean 'json'?`` for a close name found (``None``: "" ), as every message that
    suggests a name ends."""
    return f"; did you mean '{name}'?" if name else ""


def closest_group(group: str, groups: Iterable[str]) -> str | None:
    """The group most like ``group``: the first that starts with it (case aside:
    ``priority=1`` for ``priority=1 - Critical``), else the closest, else the one whose
    value it is (``SH`` for ``site=SH``); None when none is."""
    wanted = group.casefold()
    return (
        next((g for g in sorted(groups) if g.casefold().startswith(wanted)), None)
        or closest_name(group, groups)
        or next((g for g in sorted(groups) if g.partition("=")[2].casefold() == wanted), None)
    )


def _half_changed(name: str, pool: list[str]) -> str | None:
    """The candidate of ``name``'s length with at most half its characters changed in place,
    when it has fewer changed than every other; difflib's cutoff refuses exactly half, which
    is what one changed word of a four-character Chinese name is (日期 for 时间)."""
    changes = sorted(
        (sum(a != b for a, b in zip(name, c, strict=True)), c) for c in pool if len(c) == len(name)
    )
    if not changes or changes[0][0] > len(name) / 2:
        return None
    if len(changes) > 1 and changes[1][0] == changes[0][0]:
        return None  # two as close: no clear one
    return changes[0][1]


def shown(value: object) -> str:
    """A value read from YAML as a message shows it: as written in YAML, not as Python."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"'{value}'" if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column count from 1."""

    path: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def shifted(self, lines: int = 0, columns: int = 0) -> Location:
        line = None if self.line is None else self.line + lines
        if lines:
            column = None if self.column is None else columns + 1
        else:
            column = None if self.column is None else self.column + columns
        return Location(self.path, line, column)


class AuditorError(Exception):
    """Base class of every error the project raises on purpose.

    ``exit_code`` is what the command line exits with when this error stops a
    command: 2 for anything the user can fix (bad input, bad usage).
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        rule_id: str | None = None,
        suggestion: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.rule_id = rule_id
        self.suggestion = suggestion
        self.hint = hint

    @property
    def path(self) -> str | None:
        return self.location.path if self.location else None

    @property
    def line(self) -> int | None:
        return self.location.line if self.location else None

    @property
    def column(self) -> int | None:
        return self.location.column if self.location else None

    def __str__(self) -> str:
        text = self.message
        if self.location is not None:
            text = f"{self.location}: {text}"
        text += did_you_mean(self.suggestion)
        if self.hint:
            text += f"; {self.hint}"
        return text.translate(CONTROL_ESCAPES)


#: control characters written as escapes in an error line: a newline in a file name must not
#: split the line, an escape sequence must not reach the terminal
CONTROL_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)} | {
    0x09: "\\t",
    0x0A: "\\n",
    0x0D: "\\r",
}


class ExpressionError(AuditorError):
    """An expression that does not parse or does not type-check."""


class PackError(AuditorError):
    """A rule pack that is not valid."""


class StandardFileError(PackError):
    """A standard file (that a pack implements) that is not valid."""


class PackErrors(AuditorError):
    """Several problems found while checking one pack, reported together."""

    def __init__(self, errors: list[AuditorError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            first.message,
            location=first.location,
            rule_id=first.rule_id,
            suggestion=first.suggestion,
            hint=first.hint,
        )

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def all_of(errors: Sequence[AuditorError]) -> AuditorError:
    """The one error, or several (at least one) reported together, one line each."""
    return errors[0] if len(errors) == 1 else PackErrors(list(errors))


class EvidenceError(AuditorError):
    """An evidence file that cannot be read at all."""


class MappingError(EvidenceError):
    """A mapping file or preset that is not valid, or does not fit the file it is applied to."""


class UnitError(AuditorError):
    """A duration, percentage or threshold that cannot be read."""


class ReportError(AuditorError):
    """A report that cannot be rendered or written (a findings.json that is not one, say)."""


class OutputError(AuditorError):
    """An output file or folder the operating system does not let the user write."""


class StoreError(AuditorError):
    """An evidence store that cannot be opened or written."""


class EngineError(AuditorError):
    """A rule the evaluation engine cannot run on the evidence it was given."""


class PeriodError(AuditorError):
    """An audit period that holds no evidence, or cannot be told."""


class QuarantineError(AuditorError):
    """An evidence file with more of its rows quarantined than the audit accepts."""
