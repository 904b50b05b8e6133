"""The one adapter to durable_rules, the rules engine behind live monitoring.

Everything that knows durable_rules is here. It has sharp edges, and each is
met on purpose:

- Rulesets live in process-wide state and cannot be redefined: every watch run
  names its rulesets with a run number, so several runs (and several packs) can
  share one process.
- Each ``Host`` starts dispatcher threads that never stop, and its Python
  layer costs more than the engine itself: rulesets here are created in the
  engine directly and driven synchronously (assert the event, take the rule it
  fired, run its action, complete it), with no host and no threads. This is
  about three times faster than ``Host.post``.
- Facts cost about 9 KB each and are never given back: nothing is asserted as
  a fact. Only events are posted, and every ruleset's rules are mutually
  exclusive and exhaustive for the messages it gets, so each event is consumed
  by exactly one rule at once (``post`` gives an event to the first matching
  rule, which is then the only one). Memory stays flat however long the stream.
- Identity is a 32-bit hash of the message: every message carries a unique
  number ``n``, and when the engine still reports an identical message
  (``MessageObservedException``, a hash collision) the message is posted again
  with a fresh number; collisions are counted, never swallowed.
- Record fields may not be called ``id`` or ``sid``: record values travel under
  prefixed names (``f_...``), never under their own.
- Timestamps must be numbers: they are epoch seconds (and business seconds).
- Exceptions raised inside actions are caught by the action wrapper and raised
  again from ``post``, never left in the engine's state. An interrupt (Ctrl-C,
  SIGTERM) that lands in an action is raised as itself once the engine has
  completed the action (an abandoned action leaves the engine unable to take
  the next message), so the watch stops as asked, not as an engine failure,
  and can still judge what is open. A closed pipe (the reader of the alerts gone,
  ``| head -1``) is raised as itself the same way, for the command to stop quietly.
- A ruleset of 513 or more rules hangs and a message may match at most 64
  rules: rulesets are one per pack rule, a few rules each; the generator
  refuses to build anything bigger.
- A rule whose whole condition is an existence test (``$ex`` / ``$nex`` alone)
  never returns from ``post`` (seen with 2.0.28): every generated rule also
  tests the message type ``t`` for equality, and such rules are refused here.
- It imports on Python 3.11 and 3.12, not 3.13; it is imported when the first
  ruleset is made, so building conditions needs no engine.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

from ..errors import AuditorError

MAX_RULES_PER_RULESET = 500
Condition = dict[str, Any]
Action = Callable[[dict[str, Any]], None]

_RUN_NUMBERS = itertools.count(1)
_LOCK = threading.Lock()


class RulesEngineError(AuditorError):
    """The rules engine failed or an action raised."""


def _engine() -> Any:
    try:  # durable_rules does not import on Python 3.13
        import durable_rules_engine
    except ImportError as exc:  # pragma: no cover - depends on the interpreter
        raise RulesEngineError(
            f"the rules engine durable_rules cannot be imported ({exc}); "
            "live monitoring needs Python 3.11 or 3.12"
        ) from None
    return durable_rules_engine


class LiveRuleset:
    """One ruleset of named rules, each a condition on one message and an action.

    The conditions of one ruleset must exclude each other; the action gets the
    message that matched.
    """

    NOT_HANDLED, OBSERVED = 1, 2

    def __init__(self, name: str, rules: dict[str, tuple[Condition, Action]]) -> None:
        if len(rules) > MAX_RULES_PER_RULESET:
            raise RulesEngineError(
                f"ruleset {name} would have {len(rules)} rules; the engine hangs above 512"
            )
        for rule, (condition, _) in rules.items():
            if set(condition) <= {"$ex", "$nex"}:
                raise RulesEngineError(
                    f"rule {rule} of {name} tests only existence, which hangs the engine"
                )
        self.name = name
        self.collisions = 0
        self.actions = {rule: action for rule, (_, action) in rules.items()}
        definition = {rule: {"all": [{"m": condition}]} for rule, (condition, _) in rules.items()}
        self.engine = engine = _engine()
        with _LOCK:
            self.handle = engine.create_ruleset(name, json.dumps(definition))
        self._numbers = itertools.count(1)

    def post(self, message: dict[str, Any]) -> None:
        """Post one event; exactly one rule handles it, and its action runs now."""
        engine = self.engine
        body = message  # the caller's message; only its number is set here
        while True:
            body["n"] = next(self._numbers)
            try:
                result = engine.assert_event(self.handle, json.dumps(body))
            except Exception as exc:
                raise RulesEngineError(f"the rules engine failed in {self.name}: {exc}") from exc
            if result[0] == self.OBSERVED:
                self.collisions += 1  # a 32-bit identity collision: post again with a new number
                continue
            if result[0] == self.NOT_HANDLED:
                raise RulesEngineError(
                    f"no rule of {self.name} handled a message ({sorted(message)}); the rule set is incomplete"
                )
            break
        state = result[1]
        stop: KeyboardInterrupt | BrokenPipeError | None = None
        fired = engine.start_action_for_state(self.handle, state)
        while fired:
            for rule, matched in json.loads(fired[1]).items():
                try:
                    self.actions[rule](matched["m"])
                except (KeyboardInterrupt, BrokenPipeError) as exc:  # Ctrl-C or SIGTERM in an
                    # action (an alert being written), or the reader of the alerts gone: the
                    # action is completed, then the stop raised as itself
                    stop = exc
                except BaseException as exc:  # surfaced here, never left in the engine
                    engine.abandon_action(self.handle, state)
                    raise RulesEngineError(f"an action of {self.name} failed: {exc}") from exc
            fired = engine.complete_and_start_action(self.handle, state)
        if stop is not None:
            raise stop


def run_number() -> int:
    return next(_RUN_NUMBERS)


# ------------------------------------------------------------ conditions in the engine's JSON form


def equals(field: str, value: Any) -> Condition:
    return {field: value}


def compare(op: str, field: str, value: Any) -> Condition:
    """``field op value`` where value is a number, text, or {'$r': other field}."""
    names = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
    key = names[op]
    if key is None:
        return {field: value}
    return {key: {field: value}}


def exists(field: str) -> Condition:
    return {"$ex": {field: 1}}


def missing(field: str) -> Condition:
    return {"$nex": {field: 1}}


def all_of(*conditions: Condition) -> Condition:
    items = [c for c in conditions if c]
    if len(items) == 1:
        return items[0]
    return {"$and": items}


def any_of(*conditions: Condition) -> Condition:
    items = [c for c in conditions if c]
    if len(items) == 1:
        return items[0]
    return {"$or": items}


_FLIP = {"$lt": "$gte", "$gte": "$lt", "$gt": "$lte", "$lte": "$gt", "$ex": "$nex", "$nex": "$ex"}


def complement(condition: Condition) -> Condition:
    """The condition that holds exactly when ``condition`` does not.

    Exact when every comparison in ``condition`` only touches fields it has
    first checked to exist, as the compiler in the watcher guarantees.
    """
    if "$and" in condition:
        return {"$or": [complement(c) for c in condition["$and"]]}
    if "$or" in condition:
        return {"$and": [complement(c) for c in condition["$or"]]}
    ((key, value),) = condition.items()
    if key in _FLIP:
        return {_FLIP[key]: value}
    if key == "$neq":
        ((field, target),) = value.items()
        return {field: target}
    return {"$neq": {key: value}}
