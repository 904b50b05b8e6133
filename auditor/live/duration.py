"""Live ``duration`` rules: judged when the end arrives, or when the deadline passes with none.

The end may come in a later record of the same key (the call, first seen ringing, then
answered): while a record is open, an update of its key is judged in its place.

A record that ended without reaching its end (the rule's ``ended``) is breached when it arrives,
as in the batch audit, with the time up to when it ended.
"""

from __future__ import annotations

import heapq
from typing import Any, cast

from ..formatting import decimals_needed
from ..measures.duration import DurationMeasure
from . import adapter as dr
from .record import RecordRule, Rules


class DurationRule(RecordRule):
    """Open records wait on a deadline heap; the watermark passing a deadline judges them."""

    def __init__(self, *args: Any) -> None:
        self.open: dict[str, float] = {}  # key -> start of a record still open
        self.deadlines: list[tuple[float, str]] = []
        super().__init__(*args)
        measure = self.measure  # read once: measured() runs for every record
        self._start, self._end, self._calendar = measure.start, measure.end, measure.calendar
        self._ended = measure.ended

    @property
    def measure(self) -> DurationMeasure:
        return cast(DurationMeasure, self.rule.measure)

    def judgement(self, in_scope: list[dr.Condition]) -> Rules:
        limit = self.measure.limit.seconds
        has = dr.all_of(*in_scope, dr.exists("d_start"), dr.exists("d_elapsed"))
        reached = dr.all_of(has, dr.missing("d_unreached"))
        deadline = dr.equals("t", "deadline")
        return {
            "no_start": (dr.all_of(*in_scope, dr.missing("d_start")), self._set("excluded")),
            "negative": (dr.all_of(has, dr.compare("<", "d_elapsed", 0)), self._set("excluded")),
            "unreached": (
                dr.all_of(has, dr.exists("d_unreached"), dr.compare(">=", "d_elapsed", 0)),
                self._unreached,
            ),
            "conform": (
                dr.all_of(
                    reached, dr.compare(">=", "d_elapsed", 0), dr.compare("<=", "d_elapsed", limit)
                ),
                self._set("conform"),
            ),
            "breach": (dr.all_of(reached, dr.compare(">", "d_elapsed", limit)), self._breach),
            "open": (
                dr.all_of(*in_scope, dr.exists("d_start"), dr.missing("d_elapsed")),
                self._opened,
            ),
            "overdue": (dr.all_of(deadline, dr.compare(">", "d_open", limit)), self._overdue),
            "not_yet": (
                dr.all_of(deadline, dr.compare("<=", "d_open", limit)),
                self._set("pending"),
            ),
        }

    def measured(self, record: dict[str, Any], message: dict[str, Any]) -> None:
        start, end = record.get(self._start), record.get(self._end)
        if start is None:
            return
        message["d_start"] = start
        if end is None or end > self.watcher.horizon:  # not reached: did it end without it?
            end = record.get(self._ended) if self._ended is not None else None
            if end is None or end > self.watcher.horizon:
                return
            message["d_unreached"] = 1
        message["d_end"] = end
        message["d_elapsed"] = (
            end - start
            if self._calendar is None
            else self.watcher.clocks.between(self._calendar, start, end)
        )

    def update(self, key: str, record: dict[str, Any]) -> bool:
        """A later record of a key still open (the call now answered) is judged instead;
        one already judged (its end known, or alerted overdue) stands."""
        if self.open.pop(key, None) is None:
            return False
        self.record(key, record)
        return True

    # ------------------------------------------------------------ actions

    def _breach(self, message: dict[str, Any]) -> None:
        key, measure = message["k"], self.measure
        self.remember(key, "breach")
        over = message["d_elapsed"] - measure.limit.seconds
        elapsed = self._seconds(message["d_elapsed"])
        what = f"{measure.end} {elapsed} s after {measure.start}, limit {measure.limit}"
        self.watcher.alert(self.rule, key, what, over, message["d_end"])

    def _unreached(self, message: dict[str, Any]) -> None:
        key, measure = message["k"], self.measure
        self.remember(key, "breach")
        elapsed = message["d_elapsed"]
        over = elapsed - measure.limit.seconds
        what = (
            f"{measure.ended} {self._seconds(elapsed)} s after {measure.start} without {measure.end}, "
            f"limit {measure.limit}"
        )
        self.watcher.alert(self.rule, key, what, over if over > 0 else None, message["d_end"])

    def _opened(self, message: dict[str, Any]) -> None:
        key, measure = message["k"], self.measure
        self.outcomes[key] = "pending"
        self.open[key] = message["d_start"]
        due = self.watcher.clocks.due(
            measure.calendar, message["d_start"], measure.limit.seconds, f"record {key}"
        )
        heapq.heappush(self.deadlines, (due, key))

    def _overdue(self, message: dict[str, Any]) -> None:
        key, measure = message["k"], self.measure
        self.remember(key, "breach")
        self.open.pop(key, None)
        over = message["d_open"] - measure.limit.seconds
        elapsed = self._seconds(message["d_open"])
        what = f"no {measure.end} yet, {elapsed} s after {measure.start}; limit {measure.limit}"
        self.watcher.alert(self.rule, key, what, over, message["d_now"])

    def _seconds(self, elapsed: float) -> str:
        """Seconds elapsed as an alert shows them: whole, or with the decimals that keep them
        on their side of the limit (30.4 s over a limit of 30 s, never "30 s")."""
        limit = self.measure.limit.seconds
        return f"{elapsed:.{decimals_needed(elapsed, (limit,), 0)}f}"

    # ------------------------------------------------------------ time

    def _judge_open(self, key: str, start: float, watermark: float) -> None:
        elapsed = self.watcher.clocks.between(self.measure.calendar, start, watermark)
        self.ruleset.post({"t": "deadline", "k": key, "d_open": elapsed, "d_now": watermark})

    def advance(self, watermark: float) -> None:
        """Judge open records whose deadline the watermark has passed."""
        while self.deadlines and self.deadlines[0][0] < watermark:
            _, key = heapq.heappop(self.deadlines)
            start = self.open.get(key)
            if start is not None:
                self._judge_open(key, start, watermark)

    def finish(self, watermark: float) -> None:
        self.advance(watermark)
        for key, start in list(self.open.items()):
            self._judge_open(key, start, watermark)
            if self.outcomes.get(key) != "pending":
                self.open.pop(key, None)
