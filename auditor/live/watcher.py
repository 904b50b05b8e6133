"""Live monitoring: the pack's rules evaluated by durable_rules as events arrive.

Each input line is a JSON object: an evidence record with ``"kind"`` naming its
evidence kind (``{"kind": "interactions", "interaction_id": ...}``). Records
are typed exactly as the ingest types them. Per-record duration and condition
rules and sequence rules are watched; aggregate, freshness and manual rules, and
durations net of pauses (``Measure.not_live``), are batch-only.

Time is event time: the watermark is the latest time seen in any record, or
the wall clock with ``clock="wall"``; with the wall clock time also moves on
while no input comes (:func:`timed_lines` yields ``None`` once a ``tick``
passes without a line, and :func:`read_lines` then calls :meth:`Watcher.tick`),
so a deadline passed in a quiet stream is alerted within a tick, and the watch
ends when the wall clock reaches ``until``. A record still open when the watermark
passes its deadline, and a sequence step still missing when its bound has
passed, are breaches the moment that is certain; an alert is written then. At
the end of the stream every open record and case is judged once more at the
final watermark, as a batch audit for a period ending at that moment judges it.
The per-key verdicts are those of a batch audit of each key's last record for a
condition; for a duration they are the key's first judgement, which a later
record of the key does not change (an alert stands, a duration lengthened after
it was judged conform is not alerted): docs/watch.md says when the two agree.

Keys: the records of a key are the successive states of one record. A later
record of a key identical to its last one in every field is a duplicate and is
counted, not judged; one that differs (a ticket's status now closed, a call now
answered) is an update: a rule whose judgement of the key can still change (a
record still open, a condition not met yet) judges the new record in its
place, and one that has judged the key keeps that judgement. In a sequence the
earliest event of each step counts.
"""

from __future__ import annotations

import importlib
import os
import select
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..business_time import ClockCache
from ..convert import BadValue, RowPlan
from ..errors import AuditorError, EvidenceError, Location, closest_name, did_you_mean
from ..evaluate.scope import key_text, key_types, shown_key
from ..interrupts import signal_gate
from ..mapping import auto_mapping
from ..model import EvidenceKind, Pack, Rule
from ..periods import LAST_YEAR
from ..readers import json_line
from ..timeparse import OrderUndecided
from . import adapter as dr

Alert = dict[str, Any]

#: what to do about a record's time in no format known: a watch has no mapping to give a
#: format in; it reads the ingest's formats, ISO 8601 first (docs/watch.md)
RECORD_TIME_ADVICE = (
    "write it as an ISO 8601 date/time, e.g. 2026-07-01 10:00:00 or 2026-07-01T10:00:00+08:00"
)
Sink = Callable[[Alert], None]


def _live_rule_class(pointer: str | None) -> Any:
    """The live rule a measure points to (``module:Class``), imported on first use."""
    if pointer is None:
        return None
    module, _, name = pointer.partition(":")
    return getattr(importlib.import_module(module), name)


def _iso(moment: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(moment, zone).isoformat()


def _refuse_a_past_until(clock: str, until: float | None, now: float, zone: ZoneInfo) -> None:
    """On the wall clock a watch ends when the clock reaches ``until``: one already reached
    (a mistyped year) would read nothing and end as a quiet, healthy feed does."""
    if clock == "wall" and until is not None and until <= now:
        raise AuditorError(
            f"--until {_iso(until, zone)} is already past on the wall clock "
            f"(now {_iso(float(int(now)), zone)}): the watch would end before reading a line",
            hint="give a moment still to come, or --clock event to judge past records by their own times",
        )


# ------------------------------------------------------------ the watcher


@dataclass
class WatchCounts:
    events: int = 0
    judged: int = 0
    duplicates: int = 0
    updates: int = 0
    rejected: int = 0
    alerts: int = 0
    collisions: int = 0
    #: the number of the last input line read (a stopped watch goes on from the next)
    last_line: int = 0
    #: records whose time is at or after ``until``: read, not judged
    after_until: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    #: per reason, the numbers of its first rejected lines (up to ``FIRST_LINES``)
    lines: dict[str, list[int]] = field(default_factory=dict)

    def rejected_lines(self, reason: str) -> str:
        """``line 3`` or ``lines 3, 7, ...``: where a reason's rejected lines are."""
        numbers = self.lines.get(reason, [])
        if not numbers:
            return ""
        more = ", ..." if self.reasons[reason] > len(numbers) else ""
        listed = ", ".join(map(str, numbers))
        return f"line {listed}" if len(numbers) == 1 and not more else f"lines {listed}{more}"


#: how many line numbers of one reason for rejecting lines are kept
FIRST_LINES = 3


class Watcher:
    """Feeds records to the pack's watched rules and writes alerts as they become certain."""

    def __init__(
        self,
        pack: Pack,
        sink: Sink,
        clock: str = "event",
        until: float | None = None,
        remember: bool = True,
        key_memory: int = 1_000_000,
        store: Any = None,
        now: Callable[[], float] = time.time,
        on_reject: Callable[[int | None, str], None] | None = None,
    ) -> None:
        if clock not in ("event", "wall"):
            raise AuditorError(f"clock must be event or wall, not '{clock}'")
        self.pack = pack
        self.sink = sink
        self.clock = clock
        #: the wall clock (epoch seconds) with ``clock="wall"``; a test may give its own
        self.now = now
        #: told each rejected line as it is rejected: its line number and the reason
        self.on_reject = on_reject
        self.zone = ZoneInfo(pack.timezone)
        self.run = dr.run_number()
        self.clocks = ClockCache(pack.calendars, self.zone)
        self.watermark = float("-inf")
        self.horizon = (
            until if until is not None else float("inf")
        )  # ends later than this are not seen
        self.until = until
        _refuse_a_past_until(clock, until, now(), self.zone)
        self.counts = WatchCounts()
        self.plans: dict[str, RowPlan] = {}
        self.rules: list[Any] = []
        self.skipped: list[str] = []
        #: keep every key's verdict (for a report or a comparison); a long-running
        #: monitor keeps only what is still open, so its memory stays bounded
        self.remember = remember
        self.key_memory = key_memory
        #: per kind, each key seen and a fingerprint of its last record (a duplicate or an update?)
        self.seen_keys: dict[str, OrderedDict[str, int]] = {}
        #: an evidence store (or backend) live rules may read context from (control-chart baselines)
        self.store = store
        #: per rule the measure could watch but that is left to the batch audit, why (said at the start)
        self.not_live: dict[str, str] = {}
        for rule in pack.rules:
            live_rule = _live_rule_class(rule.measure.live_rule)
            why = rule.measure.not_live(pack)
            if why is not None:
                self.not_live[rule.id] = why
            if live_rule is None or why is not None:
                self.skipped.append(rule.id)
            else:
                self.rules.append(live_rule(rule, pack.evidence[rule.evidence], self))
        self.by_kind: dict[str, list[Any]] = {}
        for watched in self.rules:
            self.by_kind.setdefault(watched.kind.name, []).append(watched)
        self.time_fields = {
            name: [f for f, spec in kind.fields.items() if spec.type in ("timestamp", "date")]
            for name, kind in pack.evidence.items()
        }

    def alert(self, rule: Rule, key: str, what: str, by: float | None, moment: float) -> None:
        kind = self.pack.evidence[rule.evidence]
        types = key_types(kind, rule.measure.outcome_key(kind))
        self.sink(
            {
                "rule": rule.id,
                "clause": rule.clause,
                "key": shown_key(key, types, self.zone),  # as the batch audit's failing lists
                "breach": what,
                "by_seconds": None if by is None else round(by, 3),
                "event_time": _iso(moment, self.zone),
            }
        )
        self.counts.alerts += 1  # once written

    def _plan(self, kind: EvidenceKind) -> RowPlan:
        plan = self.plans.get(kind.name)
        if plan is None:
            plan = RowPlan(
                kind,
                auto_mapping(kind, list(kind.fields)),
                list(kind.fields),
                self.zone,
                Path("<stream>"),
                rows_are_dicts=True,
                time_advice=RECORD_TIME_ADVICE,
            )
            self.plans[kind.name] = plan
        return plan

    def _reject(self, reason: str, line: int | None = None) -> None:
        if self.on_reject is not None:
            self.on_reject(line, reason)
        counts = self.counts
        counts.rejected += 1
        counts.reasons[reason] = counts.reasons.get(reason, 0) + 1
        if line is not None:
            first = counts.lines.setdefault(reason, [])
            if len(first) < FIRST_LINES:
                first.append(line)

    def feed(self, item: dict[str, Any], line: int | None = None) -> None:
        """One input record (``line``: its line number in the input, for a rejection)."""
        self.counts.events += 1
        name = item.get("kind")
        if name is None:
            what = '"kind" is null' if "kind" in item else 'the "kind" key is missing'
            kinds = ", ".join(self.pack.evidence)
            self._reject(f"{what}; it names the record's evidence kind, one of {kinds}", line)
            return
        kind = self.pack.evidence.get(str(name))
        if kind is None:
            hint = did_you_mean(closest_name(str(name), self.pack.evidence))
            self._reject(f"unknown kind {name!r}{hint}", line)
            return
        values = self._converted(kind, item, line)
        if values is None:
            return
        record = dict(zip(kind.fields, values, strict=True))
        for name in self.time_fields[kind.name]:  # no calendar or clock reaches the year 10000
            if record[name] is not None and record[name] >= LATEST_MOMENT:
                self._reject(f"{kind.name}.{name}: a time beyond the year {LAST_YEAR}", line)
                return
        if self._after_until(kind, record):
            self.counts.after_until += 1  # nothing later than --until counts
        else:
            self._judge(kind, record, values)
        moments = [record[n] for n in self.time_fields[kind.name] if record[n] is not None]
        self._advance(max(moments) if moments else None)

    def _after_until(self, kind: EvidenceKind, record: dict[str, Any]) -> bool:
        """Whether the record's time (its kind's) is at or after ``until``: outside the watch,
        as a record at or after a period's end is outside the batch audit of the period."""
        moment = record[kind.time] if kind.time is not None else None
        return self.until is not None and moment is not None and moment >= self.until

    def _judge(self, kind: EvidenceKind, record: dict[str, Any], values: tuple[Any, ...]) -> None:
        """A record to judge: a key's first, an update of it, or a duplicate of its last."""
        key = key_text([record[k] for k in kind.key])
        keys = self.seen_keys.setdefault(kind.name, OrderedDict())
        fingerprint = _fingerprint(values)
        last = keys.get(key)
        if last == fingerprint:
            self.counts.duplicates += 1
            return
        keys[key] = fingerprint
        if last is None:
            if not self.remember and len(keys) > self.key_memory:
                keys.popitem(last=False)  # forget the oldest key (in constant time)
            for watched in self.by_kind.get(kind.name, ()):
                watched.record(key, record)
                self.counts.judged += 1
        else:
            keys.move_to_end(key)  # kept as long as a key first seen now
            self.counts.updates += 1
            for watched in self.by_kind.get(kind.name, ()):
                self.counts.judged += int(watched.update(key, record))

    def _converted(
        self, kind: EvidenceKind, item: dict[str, Any], line: int | None
    ) -> tuple[Any, ...] | None:
        """The record's values, typed as the ingest types a row: a numeric date's day/month
        order is the one the stream's dates of its field have shown so far, as the ingest
        learns it from a file's. None, the line rejected with its reason, when one cannot be."""
        plan = self._plan(kind)
        where = [self.counts.events if line is None else line]
        try:
            return plan.with_orders_settled([item], where, lambda: plan.convert(item))
        except BadValue as exc:
            reason = f"{kind.name}.{exc.column}: {exc.reason}"
        except OrderUndecided as exc:
            reason = (
                f"{kind.name}.{exc.order.field}: '{exc.value}' could be day-first or month-first, "
                "and no date of the field so far has a part over 12 to tell; write it as an ISO "
                "date (YYYY-MM-DD)"
            )
        except EvidenceError as exc:  # a date only in the other order than the stream's
            reason = f"{kind.name}: {exc.message}"
        self._reject(reason, line)
        return None

    def tick(self) -> None:
        """No input for a while: with the wall clock, time moves on all the same."""
        if self.clock == "wall":
            self._advance(None)

    def over(self) -> bool:
        """With the wall clock, whether it has reached ``until`` (then nothing later counts)."""
        return self.clock == "wall" and self.until is not None and self.now() >= self.until

    def _advance(self, event_time: float | None) -> None:
        if self.clock == "wall":
            moment = self.now()
        elif event_time is None:
            return
        else:
            moment = event_time
        if self.until is not None:
            moment = min(moment, self.until)
        if moment > self.watermark:
            self.watermark = moment
            for watched in self.rules:
                watched.advance(moment)

    def finish(self) -> float:
        """End of stream: judge what is still open at the final watermark."""
        final = (
            self.until
            if self.until is not None
            else (self.now() if self.clock == "wall" else self.watermark)
        )
        if final == float("-inf"):
            final = self.now()
        self.watermark = max(self.watermark, final)
        for watched in self.rules:
            watched.finish(final)
        self.counts.collisions = sum(w.ruleset.collisions for w in self.rules)
        return final

    def verdicts(self) -> dict[str, dict[str, str]]:
        """Per rule, per key: conform, breach, pending or excluded."""
        return {w.rule.id: w.verdicts() for w in self.rules}


def _fingerprint(values: Sequence[Any]) -> int:
    """A record's values as one number: equal records, equal numbers (64 bits, so two
    different records of one key share one about once in 10**19 updates)."""
    try:
        return hash(tuple(values))
    except TypeError:  # a value that cannot be hashed: its text
        return hash(repr(values))


#: the first moment of the year after LAST_YEAR, in epoch seconds
LATEST_MOMENT = datetime(LAST_YEAR + 1, 1, 1, tzinfo=ZoneInfo("UTC")).timestamp()


#: what a file's name says it is when it is not JSON lines (a workbook is told by its bytes)
NOT_JSON_LINES = {".csv": "a CSV file", ".tsv": "a tab-separated file"}


def refuse_not_json_lines(path: Path) -> None:
    """Refuse once, before it is read, an input file whose every line would be rejected: a
    workbook (by its first bytes, whatever its name) or a CSV file (by its name). A pipe, a
    FIFO or standard input is not looked at: its bytes are the watch's."""
    from ..readers import packed_file

    if not path.is_file():
        return
    with path.open("rb") as stream:
        start = stream.read(8)
    packed = packed_file(path, start)
    what = packed[1] if packed else NOT_JSON_LINES.get(path.suffix.lower())
    if what:
        raise EvidenceError(
            f'is {what}, not JSON lines: watch reads one JSON record a line, with its "kind"',
            location=Location(str(path)),
            hint="audit the file with 'auditor audit', or write its records as JSON lines",
        )


def timed_lines(
    stream: Any, tick: float = 1.0, clock: Callable[[], float] = time.monotonic
) -> Iterator[str | None]:
    """The lines of ``stream`` as they come, and ``None`` each time ``tick`` seconds pass.

    For a live feed on the wall clock: a pipe, a FIFO or a terminal is waited on
    with ``select`` for at most ``tick`` seconds at a time, and read as bytes as
    they arrive (decoded as UTF-8, bytes that are not kept as surrogate escapes
    for the line to be rejected). A ``None`` goes out whenever ``tick`` seconds
    have passed since the last one, quiet or not, so the caller can move time on.
    A stream without a file descriptor (or on a system whose ``select`` takes
    only sockets) is read line by line, with no ticks between lines.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is None or os.name == "nt":
        yield from stream
        return
    pending = b""
    last = clock()
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, last + tick - clock()))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:  # end of input
                if pending:
                    yield pending.decode("utf-8", "surrogateescape")
                return
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                yield line.decode("utf-8", "surrogateescape") + "\n"
        if clock() - last >= tick:
            last = clock()
            yield None


def read_lines(lines: Iterable[str | None], watcher: Watcher) -> None:
    """Feed the lines to the watcher; a ``None`` (no input for a while) is a tick of the clock.

    With the wall clock and ``until``, reading stops once the wall clock reaches ``until``.
    A stop signal is taken between lines (see :class:`~auditor.interrupts.SignalGate`).
    """
    # Ctrl-C or SIGTERM waits until the line is judged and its alerts written: a watch stops
    # between lines (or while it waits for one), never with a line counted but half judged or
    # an alert counted but not written. The handlers are swapped once, not for every line.
    with signal_gate() as gate:
        for line in lines:
            if watcher.over():
                return
            with gate:
                if line is None:
                    watcher.tick()
                    continue
                _read_line(watcher, line, watcher.counts.last_line + 1)
                watcher.counts.last_line += 1


def _read_line(watcher: Watcher, line: str, number: int) -> None:
    """One input line: a record fed to the watcher, a line rejected with its reason, or blank
    (a byte order mark before the first line is not part of it, as the ingest reads it)."""
    text = (line.removeprefix("\ufeff") if number == 1 else line).strip()
    if not text:
        return
    item, problem = json_line(text)
    if item is None:
        watcher._reject(str(problem), number)
        watcher.counts.events += 1
        return
    watcher.feed(item, number)


def watch(
    pack: Pack,
    lines: Iterable[str | None],
    sink: Sink,
    clock: str = "event",
    until: float | None = None,
    remember: bool = True,
    store: Any = None,
    now: Callable[[], float] = time.time,
) -> Watcher:
    """Watch a stream of JSON lines; alerts go to ``sink`` as they are decided.

    ``None`` among the lines is a moment without input (see :func:`timed_lines`).
    """
    watcher = Watcher(pack, sink, clock, until, remember, store=store, now=now)
    try:
        read_lines(lines, watcher)
    finally:
        watcher.finish()
    return watcher
