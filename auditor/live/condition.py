"""Live ``condition`` rules: judged the moment a record arrives."""

from __future__ import annotations

from typing import Any, cast

from ..measures.condition import ConditionMeasure
from . import adapter as dr
from .record import RecordRule, Rules


class ConditionRule(RecordRule):
    """``condition``: conform when the condition holds, breach when it does not (or is unknown)."""

    def judgement(self, in_scope: list[dr.Condition]) -> Rules:
        measure = cast(ConditionMeasure, self.rule.measure)
        holds = self.compiler.true(measure.condition)
        return {
            "conform": (dr.all_of(*in_scope, holds), self._set("conform")),
            "breach": (dr.all_of(*in_scope, dr.complement(holds)), self._breach),
        }

    def condition_fields(self) -> list[str]:
        return self.rule.measure.fields()

    def _breach(self, message: dict[str, Any]) -> None:
        key = message["k"]
        self.remember(key, "breach")
        self.watcher.alert(self.rule, key, "condition not met", None, message["d_time"])
