"""Live ``condition`` rules: met on arrival, or not met (yet) until the watch ends.

The batch audit judges a record's condition on the record as it stands at the
period end (the export): a ticket still open then is not closed. In a stream
the records of a key are its successive states, so a record that does not meet
its condition may still be updated into one that does (the ticket is closed
later): it is held as not met, without an alert, and each update of its key
is judged again. What is still not met when the watch ends (the end of the
input, Ctrl-C, ``--until``) is a breach then, with its alert, which is what the
batch audit of the same records gives for a period ending at that moment.
"""

from __future__ import annotations

from typing import Any, cast

from .. import expression as ex
from ..measures.condition import NOT_MET, ConditionMeasure
from . import adapter as dr
from .record import RecordRule, Rules


class ConditionRule(RecordRule):
    """``condition``: conform when the condition holds; not met (held) when it does not or is unknown."""

    def __init__(self, *args: Any) -> None:
        #: keys whose latest record does not meet the condition: breaches if still so at the end
        self.unmet: dict[str, None] = {}
        super().__init__(*args)
        self.text = ex.to_text(cast(ConditionMeasure, self.rule.measure).condition)

    def judgement(self, in_scope: list[dr.Condition]) -> Rules:
        measure = cast(ConditionMeasure, self.rule.measure)
        holds = self.compiler.true(measure.condition)
        return {
            "conform": (dr.all_of(*in_scope, holds), self._set("conform")),
            "unmet": (dr.all_of(*in_scope, dr.complement(holds)), self._unmet),
        }

    def condition_fields(self) -> list[str]:
        return self.rule.measure.fields()

    def _unmet(self, message: dict[str, Any]) -> None:
        key = message["k"]
        self.remember(key, "pending")
        self.unmet[key] = None

    def remember(self, key: str, outcome: str) -> None:
        self.unmet.pop(key, None)  # judged again (an update): as the new record stands
        super().remember(key, outcome)

    def update(self, key: str, record: dict[str, Any]) -> bool:
        """A later record of the key: judged again (nothing was alerted yet)."""
        self.record(key, record)
        return True

    def settle(self, key: str) -> str:
        if key in self.unmet:
            self.unmet.pop(key)
            self.outcomes.pop(key, None)
            return "breach"
        return super().settle(key)

    def finish(self, watermark: float) -> None:
        for key in list(self.unmet):
            self.remember(key, "breach")
            self.watcher.alert(self.rule, key, f"{NOT_MET}: {self.text}", None, watermark)
