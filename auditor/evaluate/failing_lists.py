"""A finding's failing records' notes and sources, made when they are read.

An audit of millions of records lists millions of failing ones. Each needs a
note (why it failed) and a source (file and line) in two places only:
findings.json, which carries the first thousand of a finding, and the
failing-records files, which carry all of them as columns. Making a dict for
each of them up front cost seconds at 10M records. These sequences keep what
the engine returned (the detail text, the source id and the line) and make a
note or a source when one is read; the failing-records writer takes their
columns whole, working out each distinct detail text and file once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, overload

from ..measures.duration import OPEN_AT_END  # the detail text the duration measure writes


def failing_note(detail: str | None, value: float | None) -> dict[str, Any] | None:
    """Why one record failed, from the SQL detail text ("resolved: late", "open at period end")."""
    if not detail:
        return None
    problem, step, timed = detail_parts(detail)
    return {"problem": problem, "step": step, "over_seconds": value if timed else None}


@lru_cache(maxsize=1024)
def detail_parts(detail: str) -> tuple[str, str | None, bool]:
    """(problem, step, whether the value is the time over) of a detail text; a rule's
    records share a few of them."""
    if detail == OPEN_AT_END:
        return OPEN_AT_END, None, False
    step, _, problem = detail.rpartition(": ")
    return problem, step or None, problem in ("late", "missing")


class _Lazy(Sequence[Any]):
    """A read-only sequence whose items are made on reading; equal to a list of the same items."""

    __slots__ = ()

    def _item(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._item(index)

    def __iter__(self) -> Iterator[Any]:
        return map(self._item, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:  # the first few: a finding may hold millions
        shown = ", ".join(map(repr, self[:3]))
        return (
            f"{type(self).__name__}([{shown}{', ...' if len(self) > 3 else ''}], {len(self)} items)"
        )


class FailingNotes(_Lazy):
    """Each failing record's note (see :func:`failing_note`) from its detail text and value."""

    __slots__ = ("details", "values")

    def __init__(self, details: list[str | None], values: list[float | None]) -> None:
        if len(details) != len(values):
            raise ValueError(f"{len(details)} details for {len(values)} values")
        self.details = details
        self.values = values

    def __len__(self) -> int:
        return len(self.details)

    def _item(self, index: int) -> dict[str, Any] | None:
        return failing_note(self.details[index], self.values[index])

    def columns(self) -> tuple[list[str], list[str], list[float | None]]:
        """The notes as the failing-records file's columns: problem, step ('' for none) and
        the seconds over (None unless the problem is a time)."""
        parts = {detail: detail_parts(detail) for detail in set(self.details) if detail}
        none = ("", None, False)
        rows = [parts.get(detail, none) if detail else none for detail in self.details]
        problems = [problem for problem, _, _ in rows]
        steps = [step or "" for _, step, _ in rows]
        over = [
            value if timed else None for (_, _, timed), value in zip(rows, self.values, strict=True)
        ]
        return problems, steps, over


class FailingSources(_Lazy):
    """Each failing record's source, ``{"file", "line"}`` (None where the engine gave no
    source id), from its (source id, line) and the file names by source id (``names`` holds
    every id the places give, but None)."""

    __slots__ = ("names", "places")

    def __init__(self, places: list[tuple[Any, Any]], names: Mapping[Any, str]) -> None:
        self.places = places
        self.names = names

    def __len__(self) -> int:
        return len(self.places)

    def _item(self, index: int) -> dict[str, Any] | None:
        source, line = self.places[index]
        return None if source is None else {"file": self.names[source], "line": line}

    def columns(self, file_of: Callable[[str], str]) -> tuple[list[str], list[Any]]:
        """The sources as the failing-records file's columns: ``file_of`` each file's name
        ('' where there is no source) and the line (None there)."""
        files = {
            source: file_of(self.names[source])
            for source in {source for source, _ in self.places}
            if source is not None
        }
        names = [files[source] if source is not None else "" for source, _ in self.places]
        lines = [line if source is not None else None for source, line in self.places]
        return names, lines
