"""Live rules for per-record measures: the scope's guards, then the measure's own judgement.

Every rule's ruleset starts with the scope: records the filter leaves out, and
records an exclusion takes, are consumed first; the measure's rules judge the
rest. The rules of one ruleset exclude each other, so each message is
consumed by exactly one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..evaluate.scope import Scope
from . import adapter as dr
from .conditions import Compiler

if TYPE_CHECKING:
    from ..model import EvidenceKind, Rule
    from .watcher import Watcher

Rules = dict[str, tuple[dr.Condition, dr.Action]]


class RecordRule:
    """A per-record rule in the engine; subclasses give the measure's judgement."""

    def __init__(self, rule: Rule, kind: EvidenceKind, watcher: Watcher) -> None:
        self.rule, self.kind, self.watcher = rule, kind, watcher
        self.scope = Scope(rule, kind)
        self.compiler = Compiler(kind.schema)
        self.outcomes: dict[str, str] = {}
        guards = self.scope.live_guards(self.compiler, dr.equals("t", "record"))
        rules: Rules = {}
        if guards.out_of_scope is not None:
            rules["out_of_scope"] = (guards.out_of_scope, self._set("out"))
        for index, (_, condition) in enumerate(guards.exclusions):
            rules[f"excluded_{index}"] = (condition, self._set("excluded"))
        rules.update(self.judgement(guards.in_scope))
        self.ruleset = dr.LiveRuleset(f"auditor-{watcher.run}-{rule.id}", rules)
        # Only the fields the rule's conditions read travel in its messages.
        self.needed = sorted(self.scope.fields() | set(self.condition_fields()))
        self.time_field = self.scope.time_field

    # ------------------------------------------------------------ for subclasses

    def judgement(self, in_scope: list[dr.Condition]) -> Rules:
        """The measure's rules, for in-scope, not excluded records."""
        raise NotImplementedError

    def condition_fields(self) -> list[str]:
        """Record fields the measure's own conditions read."""
        return []

    def measured(self, record: dict[str, Any], message: dict[str, Any]) -> None:
        """Add what the measure computes before posting (durations, say) to ``message``."""

    def advance(self, watermark: float) -> None:
        """Judge what the watermark has made certain."""

    def finish(self, watermark: float) -> None:
        """End of stream: judge what is still open at the final watermark."""

    def update(self, key: str, record: dict[str, Any]) -> bool:
        """A later record of a key already seen, with other content: whether it is judged.

        By default the key's first judgement stands; a rule whose judgement can still
        change (an open record, a condition not met yet) judges the new record instead.
        """
        return False

    def settle(self, key: str) -> str:
        """The key's outcome as its record stands now (a control chart's day closing), forgotten."""
        return self.outcomes.pop(key, "pending")

    # ------------------------------------------------------------ actions

    def _set(self, outcome: str) -> dr.Action:
        def action(message: dict[str, Any]) -> None:
            self.remember(message["k"], outcome)

        return action

    def remember(self, key: str, outcome: str) -> None:
        if self.watcher.remember or outcome == "pending":
            self.outcomes[key] = outcome
        else:
            self.outcomes.pop(key, None)

    # ------------------------------------------------------------ feeding

    def record(self, key: str, record: dict[str, Any]) -> None:
        message: dict[str, Any] = {"t": "record", "k": key}
        for name in self.needed:
            value = record[name]
            if value is not None:
                message["f_" + name] = value
        if self.compiler.derived:
            message.update(self.compiler.message_values(record))
        moment = record.get(self.time_field) if self.time_field else None
        if moment is not None:
            message["d_time"] = moment
        self.measured(record, message)
        self.ruleset.post(message)

    def verdicts(self) -> dict[str, str]:
        return {k: v for k, v in self.outcomes.items() if v != "out"}
