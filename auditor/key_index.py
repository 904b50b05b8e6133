"""The keys an ingest has stored, each with where it was first read, in little memory.

The duplicate-key check asks, for every row, whether its key was stored
before and where. Held as a Python dict, ten million text keys take about
1.3 GB. Here a text key is held as two independent 64-bit hashes (Python's
keyed SipHash of the key, and of the key with a separator appended) beside its
marker: 24 bytes a key, in sorted numpy runs (a log-structured layout): every
FAN_IN runs of one level are sorted into one run of the next level, so a key is
moved once per level (three or four times for ten million keys), and a batch is
looked up with ``searchsorted`` in each run. A
bitmap indexed by the first hashes' low bits (at least sixteen bits for each key
held) answers "surely not held" for most keys of a batch without touching the
runs.
Two different keys are taken for one only if both hashes agree, a chance of
about one in 10^21 for ten million keys. Keys of other types (numbers, dates,
several fields) are held in a dict as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from operator import concat, is_not
from typing import Any

import numpy as np

#: appended to a text key for its second hash (a character no key is expected to end with)
_SEP = "\x1f"
#: single keys added one at a time are held in a dict until there are this many
RECENT_LIMIT = 65_536
#: bits of the bitmap for each key held, at least (about one new key in seventeen then needs a
#: look-up)
BITS_PER_KEY = 16
#: runs of one level sorted into one run of the next: fewer moves of each key as it grows,
#: more runs to look a batch up in (at most FAN_IN - 1 per level)
FAN_IN = 8


def _hashes(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    count = len(keys)
    first = np.fromiter(map(hash, keys), dtype=np.int64, count=count)
    second = np.fromiter(map(hash, map(concat, keys, repeat(_SEP))), dtype=np.int64, count=count)
    return first, second


class _Run:
    """Keys sorted by their first hash: (first, second, marker) columns, and the run's level
    (0: one batch; n + 1: FAN_IN runs of level n sorted into one)."""

    __slots__ = ("first", "level", "marker", "second")

    def __init__(
        self, first: np.ndarray, second: np.ndarray, marker: np.ndarray, level: int = 0
    ) -> None:
        order = np.argsort(first, kind="stable")
        self.first, self.second, self.marker = first[order], second[order], marker[order]
        self.level = level

    @classmethod
    def of_runs(cls, runs: Sequence[_Run]) -> _Run:
        """Several runs, oldest first, as one: a stable sort of their concatenation (timsort,
        which finds the sorted runs in it and merges them), so equal first hashes keep the
        older key first."""
        run = cls.__new__(cls)
        run.level = runs[-1].level + 1
        first = np.concatenate([r.first for r in runs])
        order = np.argsort(first, kind="stable")
        run.first = first[order]
        del first  # one column at a time: beside the runs, the order and two columns at most
        run.second = np.concatenate([r.second for r in runs])[order]
        run.marker = np.concatenate([r.marker for r in runs])[order]
        return run

    def __len__(self) -> int:
        return len(self.first)

    def find(self, first: int, second: int) -> int | None:
        position = int(np.searchsorted(self.first, first))
        while position < len(self.first) and self.first[position] == first:
            if self.second[position] == second:
                return int(self.marker[position])
            position += 1
        return None

    def held(self, first: np.ndarray, second: np.ndarray) -> Iterator[tuple[int, int]]:
        """(position among the keys, marker) of each of the keys held here, in order."""
        if not len(self.first):
            return
        positions = np.searchsorted(self.first, first)
        inside = positions < len(self.first)
        hit = np.zeros(len(first), dtype=bool)
        hit[inside] = self.first[positions[inside]] == first[inside]
        for i in np.flatnonzero(hit).tolist():
            at = int(positions[i])
            if self.second[at] == second[i]:
                yield i, int(self.marker[at])
            elif (marker := self.find(int(first[i]), int(second[i]))) is not None:
                yield i, marker  # another key with the same first hash came first

    def holds_any(self, first: np.ndarray, second: np.ndarray) -> bool:
        """Whether any of the keys is held; ``first`` sorted (looked up in order, near in memory)."""
        return next(self.held(first, second), None) is not None

    def without_file(self, index: int) -> _Run:
        keep = (self.marker >> 32) != index
        return _Run(self.first[keep], self.second[keep], self.marker[keep], self.level)


class _Bitmap:
    """One bit for each value of a first hash's low bits: clear means no key with those bits is held."""

    __slots__ = ("bits", "mask")

    def __init__(self, runs: Iterable[_Run], keys: int) -> None:
        size = 1 << max(16, (BITS_PER_KEY * 2 * max(keys, 1) - 1).bit_length())
        self.mask = np.uint64(size - 1)
        self.bits = np.zeros(size // 8, dtype=np.uint8)
        for run in runs:
            self.add(run.first)

    @property
    def room(self) -> int:
        """How many keys it serves before it should grow."""
        return (int(self.mask) + 1) // BITS_PER_KEY

    def _slots(self, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low = first.view(np.uint64) & self.mask
        return low >> np.uint64(3), (np.uint64(1) << (low & np.uint64(7))).astype(np.uint8)

    def add(self, first: np.ndarray) -> None:
        byte, bit = self._slots(first)
        # Set in one assignment: where two keys share a byte only the last one's bit lands,
        # so the few bits missing after it are set again one by one (``ufunc.at`` for all of
        # them costs ten times more).
        self.bits[byte] |= bit
        lost = (self.bits[byte] & bit) == 0
        if lost.any():
            np.bitwise_or.at(self.bits, byte[lost], bit[lost])

    def maybe_held(self, first: np.ndarray) -> np.ndarray:
        byte, bit = self._slots(first)
        return (self.bits[byte] & bit) != 0


class KeyIndex:
    """A mapping of stored key -> marker (file index << 32 | line) with the dict operations an ingest uses."""

    def __init__(self) -> None:
        self.runs: list[_Run] = []
        self.recent: dict[str, int] = {}
        self.other: dict[Any, int] = {}
        self._bitmap: _Bitmap | None = None

    def __len__(self) -> int:
        return sum(map(len, self.runs)) + len(self.recent) + len(self.other)

    def get(self, key: Any) -> int | None:
        if key.__class__ is not str:
            return self.other.get(key)
        marker = self.recent.get(key)
        if marker is not None or not self.runs:
            return marker
        first, second = hash(key), hash(key + _SEP)
        for run in self.runs:
            marker = run.find(first, second)
            if marker is not None:
                return marker
        return None

    def markers_of(self, keys: Sequence[Any]) -> list[int | None]:
        """:meth:`get` of each key, looked up in each run once for all the text keys."""
        found: list[int | None] = [
            self.recent.get(key) if key.__class__ is str else self.other.get(key) for key in keys
        ]
        if not self.runs:
            return found
        texts = [i for i, key in enumerate(keys) if key.__class__ is str and found[i] is None]
        if not texts:
            return found
        first, second = _hashes([keys[i] for i in texts])
        for run in self.runs:
            for j, marker in run.held(first, second):
                found[texts[j]] = marker
        return found

    def __setitem__(self, key: Any, marker: int) -> None:
        if key.__class__ is not str:
            self.other[key] = marker
            return
        self.recent[key] = marker
        if len(self.recent) >= RECENT_LIMIT:
            keys, markers = list(self.recent), list(self.recent.values())
            self.recent = {}
            self._add_run(keys, markers)

    def add_new(self, keys: Sequence[Any], markers: Sequence[int]) -> bool:
        """Add ``keys`` (distinct among themselves) with their markers if none is held yet.

        Returns False, adding nothing, when one is held (the caller then goes key by key).
        """
        if any(map(is_not, map(type, keys), repeat(str))):  # not all text
            if any(self.get(key) is not None for key in keys):
                return False
            self.update(keys, markers)
            return True
        if self.recent and not self.recent.keys().isdisjoint(keys):
            return False
        first, second = _hashes(keys)
        run = _Run(first, second, np.asarray(markers, dtype=np.int64))
        if self.runs:
            maybe = self._bitmap_for(len(run)).maybe_held(run.first)
            if maybe.any():
                first, second = run.first[maybe], run.second[maybe]  # still sorted
                if any(old.holds_any(first, second) for old in self.runs):
                    return False
        self._add(run)
        return True

    def _bitmap_for(self, more: int) -> _Bitmap:
        """The bitmap of the keys in runs, grown (made anew) if it is to serve ``more`` keys too."""
        held = sum(map(len, self.runs))
        if self._bitmap is None or held + more > self._bitmap.room:
            self._bitmap = _Bitmap(self.runs, held + more)
        return self._bitmap

    def add_stored(self, keys: Sequence[Any], markers: Sequence[int]) -> None:
        """Add keys read from a store (distinct: a store holds a kind's key once) with their
        markers, text keys hashed all at once."""
        if any(map(is_not, map(type, keys), repeat(str))):  # not all text
            self.update(keys, markers)
        elif keys:
            self._add_run(keys, markers)

    def update(self, keys: Iterable[Any], markers: Iterable[int]) -> None:
        """Add keys known not to be held (distinct among themselves) with their markers."""
        for key, marker in zip(keys, markers, strict=True):
            self[key] = marker

    def _add_run(self, keys: Sequence[str], markers: Sequence[int]) -> None:
        first, second = _hashes(keys)
        self._add(_Run(first, second, np.asarray(markers, dtype=np.int64)))

    def _add(self, run: _Run) -> None:
        if self._bitmap is not None:
            self._bitmap_for(len(run)).add(run.first)
        runs = self.runs
        runs.append(run)
        while len(runs) >= FAN_IN and all(r.level == run.level for r in runs[-FAN_IN:]):
            run = _Run.of_runs(runs[-FAN_IN:])
            del runs[-FAN_IN:]
            runs.append(run)

    def without_file(self, index: int) -> KeyIndex:
        """The keys not read from file ``index`` (a file whose load was rolled back)."""
        kept = KeyIndex()
        kept.runs = [run.without_file(index) for run in self.runs]
        kept.recent = {k: v for k, v in self.recent.items() if v >> 32 != index}
        kept.other = {k: v for k, v in self.other.items() if v >> 32 != index}
        return kept
