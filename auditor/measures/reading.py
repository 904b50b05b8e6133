"""Reading one rule's YAML: the context a measure's reader reports problems to.

A measure reads its own keys through :class:`RuleContext`, which parses and
type-checks expressions against the rule's evidence kind, checks field names
and types, durations and cross-kind matches, and records every problem with
its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import expression as ex
from ..errors import AuditorError, ExpressionError, Location, closest_name, shown
from ..model import Calendar, EvidenceKind
from ..sourcemap import YamlMap, read_text
from ..units import Duration, parse_duration

if TYPE_CHECKING:
    from .base import Measure


@dataclass(frozen=True)
class BaseRule:
    """The rule another rule follows (a series measure's ``of``), as far as its YAML tells.

    ``measure`` is the base rule's measure read again (quietly: the base rule
    reports its own problems when it is read), or None when it does not read.
    """

    id: str
    kind: EvidenceKind | None
    measure: Measure | None


class _Quiet:
    """A checker that keeps nothing: for reading a rule a second time."""

    broken_fields: frozenset[str] = frozenset()

    def error(self, *args: Any, **kw: Any) -> None:
        pass

    def adopt(self, *args: Any, **kw: Any) -> None:
        pass


class RuleContext:
    def __init__(
        self,
        raw: YamlMap,
        rule_id: str,
        checker: Any,
        kind: EvidenceKind | None,
        evidence: dict[str, EvidenceKind],
        calendars: dict[str, Calendar],
        rules: dict[str, YamlMap] | None = None,
    ) -> None:
        self.raw = raw
        self.rule_id = rule_id
        self.checker = checker
        self.kind = kind
        self.evidence = evidence
        self.calendars = calendars
        #: every rule of the pack by id, as written (for a rule that follows another)
        self.rules = rules or {}
        #: the rule's keys a misspelt key was taken for: what their absence implies is not
        #: reported again (no "needs a target", no warn against the default, beside "traget")
        self.misspelt: set[str] = set()

    def error(self, message: str, where: Location | None, **kw: Any) -> None:
        self.checker.error(message, where, rule=self.rule_id, **kw)

    def unknown_keys(self, mapping: YamlMap, allowed: tuple[str, ...], what: str) -> None:
        """Report each key of ``mapping`` not in ``allowed``, with the closest allowed one."""
        for name in mapping:
            if name not in allowed:
                self.error(
                    f"unknown key '{name}' in {what}",
                    mapping.where_key(name),
                    suggestion=closest_name(name, allowed),
                )

    def expression(
        self, mapping: YamlMap, key: str, kind: EvidenceKind | None = None
    ) -> ex.Expr | None:
        """Parse and type-check ``mapping[key]``, pointing errors at the right column."""
        kind = kind or self.kind
        text = mapping.get(key)
        where = mapping.where(key)
        if not isinstance(text, str):
            self.error(f"'{key}' must be an expression written as text", where)
            return None
        try:
            tree = ex.parse(text)
            if kind is not None:
                ex.check(tree, kind.schema)
        except ExpressionError as exc:
            if not any(f"unknown field '{b}'" in exc.message for b in self.checker.broken_fields):
                self.checker.adopt(exc, expression_location(mapping, key, exc), self.rule_id)
            return None
        return tree

    def field(
        self,
        mapping: YamlMap,
        key: str,
        types: tuple[str, ...],
        kind: EvidenceKind | None = None,
    ) -> str | None:
        kind = kind or self.kind
        name = mapping.get(key)
        where = mapping.where(key)
        if not isinstance(name, str):
            self.error(f"'{key}' must name a field", where if key in mapping else mapping.start)
            return None
        if kind is None or name in self.checker.broken_fields:
            return None if name in self.checker.broken_fields else name
        if name not in kind.fields:
            self.error(f"unknown field '{name}'", where, suggestion=closest_name(name, kind.fields))
            return None
        if types and kind.fields[name].type not in types:
            self.error(
                f"field '{name}' is a {kind.fields[name].type}; '{key}' needs {' or '.join(types)}",
                where,
            )
            return None
        return name

    def calendar(self, mapping: YamlMap) -> str | None:
        """The calendar named by ``mapping['calendar']``, if any and known."""
        if "calendar" not in mapping:
            return None
        name = read_text(mapping, "calendar", self.error)
        if name is not None and name not in self.calendars:
            self.error(
                f"unknown calendar '{name}'",
                mapping.where("calendar"),
                suggestion=closest_name(str(name), self.calendars),
            )
        return name

    def duration(self, mapping: YamlMap, key: str) -> Duration | None:
        try:
            return parse_duration(mapping.get(key))
        except AuditorError as exc:
            self.checker.adopt(exc, mapping.where(key), self.rule_id)
            return None

    def other_kind(self, mapping: YamlMap, key: str) -> EvidenceKind | None:
        name = read_text(mapping, key, self.error)
        if name is None:
            return None
        if name not in self.evidence:
            self.error(
                f"unknown evidence kind '{name}'",
                mapping.where(key),
                suggestion=closest_name(str(name), self.evidence),
            )
            return None
        return self.evidence[name]

    def base_rule(self, mapping: YamlMap, key: str) -> BaseRule | None:
        """The rule named by ``mapping[key]``: a rule of the pack, not this one, not itself a series.

        The rule's own ``evidence`` must be the base rule's kind.
        """
        from . import measures

        name = mapping.get(key)
        where = mapping.where(key) if key in mapping else mapping.start
        others = [r for r in self.rules if r != self.rule_id]
        if not isinstance(name, str) or name not in others:
            self.error(
                f"'{key}' must name another rule of the pack, not {shown(name)}",
                where,
                suggestion=closest_name(name, others) if isinstance(name, str) else None,
            )
            return None
        raw = self.rules[name]
        known = measures()
        keys = [k for k in raw if k in known]
        if len(keys) == 1 and known[keys[0]].series:
            self.error(f"rule {name} is itself a {keys[0]} rule; '{key}' needs a plain rule", where)
            return None
        kind = self.evidence.get(str(raw.get("evidence")))
        if kind is not None and self.kind is not None and kind.name != self.kind.name:
            self.error(
                f"rule {name} reads evidence '{kind.name}'; write evidence: {kind.name}",
                self.raw.where("evidence"),
            )
        measure = None
        if len(keys) == 1:
            quiet = RuleContext(raw, name, _Quiet(), kind, self.evidence, self.calendars)
            measure = known[keys[0]].read(raw, keys[0], quiet)
        return BaseRule(name, kind, measure)

    def match(self, mapping: YamlMap, other: EvidenceKind | None) -> tuple[tuple[str, str], ...]:
        raw = mapping.get("match")
        if not isinstance(raw, YamlMap) or not raw:
            self.error(
                "'match' must map fields of the other kind to fields of this one",
                mapping.where("match") if "match" in mapping else mapping.start,
            )
            return ()
        pairs = []
        for theirs in raw:
            if other is not None and theirs not in other.fields:
                self.error(
                    f"unknown field '{theirs}' in evidence kind '{other.name}'",
                    raw.where_key(theirs),
                    suggestion=closest_name(theirs, other.fields),
                )
            ours = self.field(raw, theirs, ())
            if ours:
                pairs.append((theirs, ours))
        return tuple(pairs)


def expression_location(mapping: YamlMap, key: str, exc: AuditorError) -> Location:
    base = mapping.where(key)
    style = mapping.value_styles.get(key)
    line, column = exc.line or 1, exc.column or 1
    if style in ("|", ">"):
        return Location(base.path, (base.line or 0) + line, column)
    offset = 1 if style in ('"', "'") else 0
    if line > 1:
        return base.shifted(lines=line - 1, columns=column)
    return base.shifted(columns=column - 1 + offset)


def measure_map(raw: YamlMap, key: str, ctx: RuleContext, keys: tuple[str, ...]) -> YamlMap | None:
    spec = raw.get(key)
    if not isinstance(spec, YamlMap):
        ctx.error(f"'{key}' must be a mapping with {', '.join(keys)}", raw.where(key))
        return None
    ctx.unknown_keys(spec, keys, f"{key} measure")
    return spec
