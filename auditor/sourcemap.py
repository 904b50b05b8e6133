"""YAML read safely, keeping where every key and value came from.

Packs and standards are read with :func:`load_yaml`, which returns plain
Python values whose mappings and sequences remember the line and column of each
entry, so that a problem found later can point at the exact place in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .errors import AuditorError, Location, shown


class YamlMap(dict[str, Any]):
    """A mapping read from YAML; ``where(key)`` gives the value's location."""

    source: str | None
    start: Location
    key_locations: dict[str, Location]
    value_locations: dict[str, Location]
    value_styles: dict[str, str | None]

    def where(self, key: str) -> Location:
        return self.value_locations.get(key, self.start)

    def where_key(self, key: str) -> Location:
        return self.key_locations.get(key, self.start)


class YamlList(list[Any]):
    """A sequence read from YAML; ``where(i)`` gives an item's location."""

    start: Location
    item_locations: list[Location]
    item_styles: list[str | None]

    def where(self, index: int) -> Location:
        if 0 <= index < len(self.item_locations):
            return self.item_locations[index]
        return self.start


def _read_as(value: object) -> str:
    """What YAML read an unquoted value as, when not text."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "a date"


def read_text(mapping: YamlMap, key: str, report: Callable[..., object]) -> str | None:
    """``mapping[key]`` when it is one text (a name, a word, an id); otherwise None after
    reporting what it is instead, at its place: ``report(message, where, hint=...)``."""
    value = mapping.get(key)
    if isinstance(value, str) and value.strip():
        return value
    where = mapping.where(key) if key in mapping else mapping.start
    if value is None or isinstance(value, str):
        report(f"missing '{key}'", where)
    elif isinstance(value, list | dict):
        written = "without [ ]" if isinstance(value, list) else "not key: value pairs"
        report(
            f"'{key}' takes one value, not {shown(value)}", where, hint=f"write one text, {written}"
        )
    else:
        text = shown(value)
        report(f"{key} {text} is read as {_read_as(value)}", where, hint=f'quote it: "{text}"')
    return None


def read_yes_no(mapping: YamlMap, key: str, report: Callable[..., object]) -> bool:
    """``mapping[key]`` when it is a YAML boolean (true, false, yes, no), false when absent;
    otherwise false after reporting what it is instead, at its place."""
    value = mapping.get(key, False)
    if isinstance(value, bool):
        return value
    report(f"'{key}' must be true or false, not {shown(value)}", mapping.where(key))
    return False


def _location(path: str | None, node: yaml.Node) -> Location:
    mark = node.start_mark
    return Location(path, mark.line + 1, mark.column + 1)


#: the YAML tags a pack may use (implicit or written): plain data, never a language's objects
PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
)
#: values built from one document, aliases counted each time they are used (an alias bomb
#: expands to billions); far above any real pack
MAX_VALUES = 200_000
#: nesting a document may have (a recursive alias is infinitely deep)
MAX_DEPTH = 64


class _Builder:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.constructor = yaml.SafeLoader("")
        self.values = 0
        self.depth = 0

    def build(self, node: yaml.Node) -> Any:
        self._check(node)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            self.depth += 1
            try:
                return (
                    self._mapping(node)
                    if isinstance(node, yaml.MappingNode)
                    else self._sequence(node)
                )
            finally:
                self.depth -= 1
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise AuditorError(
                f"value cannot be read: {getattr(exc, 'problem', None) or exc}",
                location=_location(self.path, node),
            ) from None
        except ValueError:  # Python refuses integers of more than 4,300 digits
            raise AuditorError(
                f"a number of {len(str(node.value)):,} digits is too long",
                location=_location(self.path, node),
            ) from None

    def _check(self, node: yaml.Node) -> None:
        """Plain data only, of a size and depth a pack can have."""
        if node.tag not in PLAIN_TAGS:
            raise AuditorError(
                f"the YAML tag '{node.tag}' is not allowed",
                location=_location(self.path, node),
                hint="a pack holds plain text, numbers, lists and mappings",
            )
        self.values += 1
        if self.values > MAX_VALUES:
            raise AuditorError(
                f"more than {MAX_VALUES:,} values (anchors and aliases expanded)",
                location=_location(self.path, node),
                hint="an alias used many times over multiplies the document; write the values out",
            )
        if self.depth >= MAX_DEPTH:
            raise AuditorError(
                f"nested more than {MAX_DEPTH} levels deep (or an alias refers to itself)",
                location=_location(self.path, node),
            )

    def _mapping(self, node: yaml.MappingNode) -> YamlMap:
        result = YamlMap()
        result.start = _location(self.path, node)
        result.key_locations = {}
        result.value_locations = {}
        result.value_styles = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise AuditorError(
                    "YAML merge keys ('<<') are not supported in packs",
                    location=_location(self.path, key_node),
                    hint="write the entries out",
                )
            key = self.build(key_node)
            if not isinstance(key, str | int | float | bool) or isinstance(key, bool):
                raise AuditorError(
                    "mapping keys must be plain names",
                    location=_location(self.path, key_node),
                )
            key = str(key)
            if key in result:
                raise AuditorError(
                    f"duplicate key '{key}' (first at line {result.key_locations[key].line})",
                    location=_location(self.path, key_node),
                    hint="remove one of them",
                )
            result[key] = self.build(value_node)
            result.key_locations[key] = _location(self.path, key_node)
            result.value_locations[key] = _location(self.path, value_node)
            result.value_styles[key] = getattr(value_node, "style", None)
        return result

    def _sequence(self, node: yaml.SequenceNode) -> YamlList:
        result = YamlList(self.build(item) for item in node.value)
        result.start = _location(self.path, node)
        result.item_locations = [_location(self.path, item) for item in node.value]
        result.item_styles = [getattr(item, "style", None) for item in node.value]
        return result


def load_yaml_text(text: str, path: str | None = None) -> Any:
    """Parse one YAML document safely, keeping locations."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        problem = exc.problem or exc.context or "not valid YAML"
        raise AuditorError(
            f"YAML syntax error: {problem}",
            location=location,
            hint="check indentation, quotes and colons around this place",
        ) from None
    except yaml.reader.ReaderError as exc:
        raise _unreadable_character(exc, text, path) from None
    except yaml.YAMLError as exc:
        raise AuditorError(f"YAML syntax error: {exc}", location=Location(path)) from None
    except RecursionError:  # the YAML parser recurses per level: thousands of '[' end here
        raise AuditorError(
            f"nested more than {MAX_DEPTH} levels deep", location=Location(path)
        ) from None
    if node is None:
        raise AuditorError("the file is empty", location=Location(path, 1, 1))
    return _Builder(path).build(node)


def _unreadable_character(
    exc: yaml.reader.ReaderError, text: str, path: str | None
) -> AuditorError:
    """A character YAML does not allow in a file (a NUL, a control character), at its line and
    column."""
    position = exc.position
    line_start = text.rfind("\n", 0, position) + 1
    what = "a NUL byte" if exc.character == 0 else f"the control character U+{exc.character:04X}"
    return AuditorError(
        f"{what} is not allowed in a YAML file",
        location=Location(path, text.count("\n", 0, position) + 1, position - line_start + 1),
        hint="remove it (a file that holds it was damaged or is not a text file)",
    )


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file safely, keeping locations."""
    name = str(path)
    if Path(path).exists() and not Path(path).is_file():  # a folder, a pipe, /dev/zero
        raise AuditorError(
            "not a regular file", location=Location(name), hint="give the path of a YAML file"
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuditorError("file not found", location=Location(name)) from None
    except UnicodeDecodeError as exc:
        raise AuditorError(
            f"not UTF-8 text (byte {exc.start})",
            location=Location(name),
            hint="save the file as UTF-8",
        ) from None
    except OSError as exc:
        raise AuditorError(f"cannot read: {exc.strerror}", location=Location(name)) from None
    return load_yaml_text(text, name)
