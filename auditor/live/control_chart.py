"""Live ``control_chart`` rules: the batch chart's warning, raised as each day's point closes.

The base rule is judged record by record as the records arrive: a rate rule by
its own live rule (run quietly: its breaches are the base rule's alerts, not
this rule's), a mean rule by a ruleset that applies the base rule's filter
and exclusions and takes each in-scope record's value. Records of the
baseline period are tallied per day; when the watermark passes the baseline's
end the centre and sigma are worked out exactly as the batch audit does
(:mod:`auditor.control_limits`). Every later day (or week) is a point: it is
tallied as its records arrive and closes when the watermark passes its end;
the run rules are then read over the points so far, so a signal is raised on
the day whose point completes it, the day the batch finding names. A record
still pending (no end yet, deadline not passed) when its day closes is left
out of the point, as a record pending at period end is left out of a rate; a
record whose condition is not met yet counts as not met then. Until its day
closes, a later record of such a key is judged in its place.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from .. import control_limits as cl
from ..measures.control_chart import RULE_TEXT, ControlChartMeasure, baseline_of
from . import adapter as dr
from .record import RecordRule, Rules

if TYPE_CHECKING:
    from ..model import EvidenceKind, Rule
    from .watcher import Watcher


@dataclass
class Tally:
    """One day's (or week's) judged records: counts for a rate, sums for a mean."""

    n: int = 0
    conforming: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        self.squares += value * value

    def mean(self) -> float:
        return self.total / self.n

    def deviation(self) -> float:
        if self.n < 2:
            return 0.0
        return math.sqrt(max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1)))


class _Quiet:
    """The watcher as the inner base rule sees it: its own run name and no alerts."""

    def __init__(self, watcher: Watcher, run: str) -> None:
        self._watcher, self.run, self.remember = watcher, run, True

    def alert(self, *args: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._watcher, name)


class _Values(RecordRule):
    """A mean rule's scope in the engine: each in-scope record's value, or excluded without one."""

    def __init__(self, rule: Rule, kind: EvidenceKind, watcher: Any) -> None:
        self.field = rule.measure.fields()[0]
        self.values: dict[str, float] = {}
        super().__init__(rule, kind, watcher)

    def judgement(self, in_scope: list[dr.Condition]) -> Rules:
        return {"counted": (dr.all_of(*in_scope), self._counted)}

    def measured(self, record: dict[str, Any], message: dict[str, Any]) -> None:
        value = record.get(self.field)
        if value is not None:
            message["d_value"] = float(value)

    def _counted(self, message: dict[str, Any]) -> None:
        key = message["k"]
        if "d_value" in message:
            self.values[key] = message["d_value"]
            self.remember(key, "conform")
        else:
            self.remember(key, "excluded")


class ControlChartRule:
    """Daily points of the base rule against limits from the baseline, with the run rules."""

    def __init__(self, rule: Rule, kind: EvidenceKind, watcher: Watcher) -> None:
        self.rule, self.kind, self.watcher = rule, kind, watcher
        self.measure = cast(ControlChartMeasure, rule.measure)
        base = watcher.pack.rule(self.measure.of)
        assert base is not None  # checked when the pack loads
        quiet = _Quiet(watcher, f"{watcher.run}-chart-{rule.id}")
        self.per_record = base.measure.per_record
        self.adverse = _adverse(base)
        inner_class = _inner_class(base)
        #: None when the base rule is judged only over a period (then this rule is batch-only)
        self.inner: RecordRule | None = None
        self.ruleset: Any = _NoRuleset()
        if inner_class is None:
            watcher.skipped.append(rule.id)
        else:
            self.inner = inner_class(base, kind, cast("Watcher", quiet))
            self.ruleset = self.inner.ruleset
        self.zone = watcher.zone
        self.baseline_end = self.measure.baseline.end(self.zone)
        self.baseline: cl.Baseline | None = None
        self.learning: dict[str, Tally] = {}  # the baseline's days
        #: True once the limits are set (from the store, or from the stream's baseline days)
        self.learning_closed = False
        self.open: dict[str, Tally] = {}  # points not yet closed, by label
        self.ends: dict[str, float] = {}
        self.pending: dict[str, set[str]] = {}
        self.points: list[cl.Point] = []
        self.late = 0
        if watcher.store is not None and self.inner is not None:
            self.baseline = self._stored(base)
            self.learning_closed = True

    def _stored(self, base: Rule) -> cl.Baseline | None:
        """The limits from the baseline's records in the evidence store, as the batch audit works them out."""
        from ..evaluate.driver import Evaluation, backend_for

        shaped = self.measure.shape(base)
        evaluation = Evaluation(
            self.watcher.pack, backend_for(self.watcher.store), self.measure.baseline, (shaped,)
        )
        found = baseline_of(evaluation.evaluate(shaped))
        return found if found is not None and found.n >= self.rule.min_records else None

    # ------------------------------------------------------------ periods

    def _label(self, moment: float) -> tuple[str, float]:
        """The day (or week) a moment falls in, and the moment it ends."""
        day = datetime.fromtimestamp(moment, self.zone).date()
        if self.measure.per == "week":
            first = day - timedelta(days=day.weekday())
            iso = first.isocalendar()
            return f"{iso.year}-W{iso.week:02d}", _midnight(first + timedelta(days=7), self.zone)
        return day.isoformat(), _midnight(day + timedelta(days=1), self.zone)

    # ------------------------------------------------------------ records

    def record(self, key: str, record: dict[str, Any]) -> None:
        if self.inner is None:
            return
        self.inner.record(key, record)
        field = self.inner.time_field
        moment = record.get(field) if field else None
        outcome = self.inner.outcomes.pop(key, None)
        if moment is None or outcome in (None, "out", "excluded"):
            return
        if moment < self.measure.baseline.start(self.zone):
            return
        label, end = self._label(moment)
        if moment < self.baseline_end:
            if self.learning_closed:
                return
            tally = self.learning.setdefault(label, Tally())
        elif label in self.ends and label not in self.open:
            self.late += 1  # its day has closed already
            return
        else:
            tally = self.open.setdefault(label, Tally())
            self.ends[label] = end
        if outcome == "pending":
            self.pending.setdefault(label, set()).add(key)
            self.inner.outcomes[key] = outcome
            return
        self._count(tally, key, outcome)

    def update(self, key: str, record: dict[str, Any]) -> bool:
        """A later record of a key still pending in an open day is judged in its place."""
        if self.inner is None or not any(key in keys for keys in self.pending.values()):
            return False
        return self.inner.update(key, record)

    def _count(self, tally: Tally, key: str, outcome: str) -> None:
        assert self.inner is not None
        if self.per_record:
            tally.n += 1
            tally.conforming += outcome == "conform"
        else:
            tally.add(cast(_Values, self.inner).values.pop(key))

    def _settle(self, label: str, tally: Tally) -> None:
        """Count the day's records that were pending when they arrived, as they stand now."""
        assert self.inner is not None
        for key in self.pending.pop(label, set()):
            outcome = self.inner.settle(key)
            if outcome in ("conform", "breach"):
                self._count(tally, key, outcome)

    # ------------------------------------------------------------ time

    def advance(self, watermark: float) -> None:
        if self.inner is None:
            return
        self.inner.advance(watermark)
        if not self.learning_closed and watermark >= self.baseline_end and self.learning:
            self._learn()
        for label in sorted(self.open, key=lambda item: self.ends[item]):
            if self.ends[label] > watermark:
                break
            self._close(label, watermark)

    def finish(self, watermark: float) -> None:
        if self.inner is None:
            return
        self.inner.finish(watermark)
        if not self.learning_closed and self.learning:
            self._learn()
        for label in sorted(self.open, key=lambda item: self.ends[item]):
            self._close(label, watermark)

    def _learn(self) -> None:
        for label, tally in self.learning.items():
            self._settle(label, tally)
        days = [t for _, t in sorted(self.learning.items()) if t.n]
        judged = sum(t.n for t in days)
        if judged >= self.rule.min_records:
            if self.per_record:
                self.baseline = cl.p_baseline(sum(t.conforming for t in days), judged)
            else:
                self.baseline = cl.xbar_baseline([(t.n, t.mean(), t.deviation()) for t in days])
        self.learning, self.learning_closed = {}, True

    def _close(self, label: str, watermark: float) -> None:
        tally = self.open.pop(label)
        self._settle(label, tally)
        if self.baseline is None or not tally.n:
            return
        value = tally.conforming / tally.n if self.per_record else tally.mean()
        self.points.append(cl.point(self.baseline, label, tally.n, value))
        for signal in cl.signals(self.points, self.adverse):
            if signal.at == len(self.points) - 1:
                self._warn(signal, min(watermark, self.ends[label]))

    def _warn(self, signal: cl.Signal, moment: float) -> None:
        days = [self.points[i].label for i in signal.points]
        point = self.points[signal.at]
        self.watcher.counts.alerts += 1
        self.watcher.sink(
            {
                "rule": self.rule.id,
                "clause": self.rule.clause,
                "warning": f"drifting since {days[0]}: rule {signal.rule}, {RULE_TEXT[signal.rule]}",
                "since": days[0],
                "day": point.label,
                "signal_rule": signal.rule,
                "days": days,
                "value": point.value,
                "centre": point.centre,
                "limits": list(point.limits(3)),
                "event_time": datetime.fromtimestamp(moment, self.zone).isoformat(),
            }
        )

    def verdicts(self) -> dict[str, str]:
        return {}


class _NoRuleset:
    collisions = 0


def _inner_class(base: Rule) -> type[RecordRule] | None:
    """What judges the base rule record by record: its own live rule for a rate, else the values."""
    if not base.measure.per_record:
        return _Values
    pointer = base.measure.live_rule
    if pointer is None:
        return None
    module, _, name = pointer.partition(":")
    found = getattr(importlib.import_module(module), name)
    return found if isinstance(found, type) and issubclass(found, RecordRule) else None


def _midnight(day: date, zone: Any) -> float:
    return datetime.combine(day, time(0), zone).timestamp()


def _adverse(base: Rule) -> int:
    threshold = base.target.threshold
    return 1 if threshold is not None and threshold.op in ("<=", "<") else -1
