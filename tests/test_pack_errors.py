"""Every deliberately broken pack gives exactly its one expected line, at the right line."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor import PackErrors, load_pack
from auditor import pack as pack_module
from auditor.errors import AuditorError
from auditor.sourcemap import YamlMap, load_yaml, load_yaml_text
from auditor.standards import Standard, find_standard

from .conftest import RULES, STANDARDS, TEST_PACKS

BROKEN = sorted((TEST_PACKS / "broken").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect line (\d+): (.+)$")


def expectation(path: Path) -> tuple[int, str]:
    match = _EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name} lacks its '# expect line N: text' header"
    return int(match.group(1)), match.group(2)


def test_there_are_at_least_twelve_broken_packs() -> None:
    assert len(BROKEN) >= 12


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_pack_reports_one_located_problem(path: Path) -> None:
    line, text = expectation(path)
    try:
        # a pack that loads may still fail `pack check`: a measurable clause left uncovered
        errors = list(load_pack(path, [STANDARDS]).coverage_problems)
    except AuditorError as caught:
        errors = caught.errors if isinstance(caught, PackErrors) else [caught]
    assert len(errors) == 1, [str(e) for e in errors]
    error = errors[0]
    assert error.path == str(path)
    assert error.line == line, str(error)
    assert error.column is not None
    assert text in str(error)
    assert "\n" not in str(error)


def test_valid_minimal_pack_loads() -> None:
    pack = load_pack(TEST_PACKS / "valid-minimal.yaml", [STANDARDS])
    assert [r.id for r in pack.rules] == ["RESP-PHONE-30S"]


def test_expression_column_points_into_the_yaml_line(write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(
        text.replace('where: channel == "phone"', 'where: channel == "phone" and chanel == "x"')
    )
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    error = caught.value.errors[0]
    source_line = path.read_text(encoding="utf-8").splitlines()[error.line - 1]
    assert source_line[error.column - 1 :].startswith("chanel")


def test_quoted_expression_column_counts_the_quote(write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace('where: channel == "phone"', "where: 'chanel == \"phone\"'"))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    error = caught.value.errors[0]
    source_line = path.read_text(encoding="utf-8").splitlines()[error.line - 1]
    assert source_line[error.column - 1 :].startswith("chanel")


def test_several_problems_are_all_reported(write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("to: answered_at", "to: anwsered_at").replace(
        "severity: minor", "severity: big"
    )
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(text), [STANDARDS])
    messages = [str(e) for e in caught.value.errors]
    assert len(messages) == 2
    assert any("anwsered_at" in m for m in messages)
    assert any("severity" in m for m in messages)


def test_rule_needs_a_corrective_action(write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("    capa: {action: {zh: 增加坐席, en: Add agents}, owner: manager}\n", "")
    with pytest.raises(PackErrors, match="capa"):
        load_pack(write_pack(text), [STANDARDS])


@pytest.mark.parametrize(
    ("defaults", "due_days"), [("", 60), ("defaults: {due_days: {minor: 150}}\n", 120)]
)
def test_a_rule_s_due_days_up_to_its_severity_s_default_is_kept(
    write_pack, defaults: str, due_days: int
) -> None:
    """A minor rule's own due days within the pack's default for minor (90, or 150 when the
    pack raises it) stand as written; longer ones are refused (broken/due-days-...)."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("owner: manager}", f"owner: manager, due_days: {due_days}}}")
    text = text.replace("evidence:\n", f"{defaults}evidence:\n", 1)
    pack = load_pack(write_pack(text), [STANDARDS])
    assert pack.rules[0].capa.due_days == due_days


def test_calendar_hours_are_checked(write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "timezone: Asia/Shanghai\n",
        'timezone: Asia/Shanghai\ncalendars:\n  office:\n    hours: {mon-fry: "09:00-18:00"}\n',
    )
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(text), [STANDARDS])
    assert "did you mean 'fri'?" in str(caught.value)
    assert caught.value.errors[0].line == 7


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("sun-thu", "weekday range 'sun-thu' runs past Sunday; write it as sun,mon-thu"),
        ("fri-mon", "weekday range 'fri-mon' runs past Sunday; write it as fri-sun,mon"),
        ("sat-tue", "weekday range 'sat-tue' runs past Sunday; write it as sat-sun,mon-tue"),
        ("mon-wed-fri", "weekday range 'mon-wed-fri' must be two days, e.g. mon-fri"),
    ],
)
def test_a_weekday_range_past_sunday_is_refused_with_the_form_that_works(
    days: str, expected: str, write_pack
) -> None:
    """A Sunday-to-Thursday week (an Israeli bank's) must be written sun,mon-thu: say so."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "timezone: Asia/Shanghai\n",
        f'timezone: Asia/Shanghai\ncalendars:\n  office:\n    hours: {{{days}: "09:00-18:00"}}\n',
    )
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(text), [STANDARDS])
    assert [e.message for e in caught.value.errors] == [expected]


def test_unknown_time_zone_is_suggested(write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghia")
    with pytest.raises(PackErrors, match="did you mean 'Asia/Shanghai'"):
        load_pack(write_pack(text), [STANDARDS])


def test_empty_and_non_mapping_files(write_pack) -> None:
    with pytest.raises(AuditorError, match="empty"):
        load_pack(write_pack(""), [STANDARDS])
    with pytest.raises(AuditorError, match="mapping"):
        load_pack(write_pack("- a\n- b\n"), [STANDARDS])


def test_load_pack_raises_only_pack_errors(tmp_path) -> None:
    from auditor.errors import PackError
    from auditor.pack import load_pack

    (tmp_path / "syntax.yaml").write_text("pack: [unclosed\n", encoding="utf-8")
    for path in (tmp_path / "missing.yaml", tmp_path / "syntax.yaml", tmp_path):
        with pytest.raises(PackError) as caught:
            load_pack(path)
        assert str(caught.value).startswith(str(path))


def test_a_pack_named_as_its_standard_is_not_read_as_the_standard(tmp_path, monkeypatch) -> None:
    """No standards folder: the pack's own file (sq.yaml for standard 'sq') is not taken
    for the standard, which would be a list of odd errors about a pack read as a standard."""
    from .conftest import RULES

    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    text = (RULES / "service-quality.yaml").read_text(encoding="utf-8")
    pack = tmp_path / "rules" / "sq.yaml"
    pack.write_text(re.sub(r"(?m)^standard: .*$", "standard: sq", text), encoding="utf-8")
    with pytest.raises(PackErrors) as raised:
        load_pack(pack)
    (error,) = raised.value.errors
    assert error.message.startswith("unknown standard 'sq' (looked in ")
    looked = error.message.split("(looked in ", 1)[1].rstrip(")").split(", ")
    assert len(looked) == len(set(looked)) == 2  # rules/../standards is the working folder's


@pytest.mark.parametrize("p", ["0", "100"])
def test_a_percentile_of_0_or_100_is_refused_with_the_open_range(write_pack, p: str) -> None:
    """p: 100 was refused with "between 0 and 100", which reads as if 100 were allowed."""
    from .series_pack import PACK, rule

    body = f'    evidence: calls\n    percentile: {{of: csat, p: {p}}}\n    target: "<= 5"\n'
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(PACK + rule("P", body)), [STANDARDS])
    [error] = caught.value.errors
    assert str(error).endswith(
        ":31: percentile needs 'p' greater than 0 and less than 100, e.g. p: 90 in rule P"
    ), str(error)


def _scalar_places(node: object, path: tuple = ()) -> Iterator[tuple]:
    """The path to every scalar value of a pack as read from YAML (a key's text, a number)."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        if isinstance(value, dict | list):
            yield from _scalar_places(value, (*path, key))
        else:
            yield (*path, key)


def _first_of_each_key(pack: Path) -> list[tuple]:
    """One place per key name of a pack: the first scalar value written under that name."""
    firsts: dict[object, tuple] = {}
    for place in _scalar_places(load_yaml(pack)):
        named = next(part for part in reversed(place) if isinstance(part, str))
        firsts.setdefault(named, place)
    return list(firsts.values())


SHIPPED = RULES / "service-quality.yaml"
WRONG_TYPES = {"list": "[x]", "mapping": "{a: 1}", "negative": "-1"}


@pytest.fixture(scope="module")
def shipped_parts() -> tuple[YamlMap, Standard]:
    data = load_yaml(SHIPPED)
    return data, find_standard(data["standard"], [STANDARDS])


@pytest.mark.parametrize("wrong", WRONG_TYPES)
@pytest.mark.parametrize("place", _first_of_each_key(SHIPPED), ids=lambda p: ".".join(map(str, p)))
def test_a_value_of_the_wrong_type_is_a_located_pack_error(
    place: tuple, wrong: str, shipped_parts, monkeypatch
) -> None:
    """Every scalar of the shipped pack given a list, a mapping or a negative number reads as
    a pack error at the changed value's line, never as an internal error nor accepted, and
    names the value as YAML writes it."""
    data, standard = shipped_parts
    changed = copy.deepcopy(data)
    parent = functools.reduce(lambda node, part: node[part], place[:-1], changed)
    line = parent.where(place[-1]).line
    written = "\n" * (line - 1) + f"value: {WRONG_TYPES[wrong]}"
    parent[place[-1]] = load_yaml_text(written, str(SHIPPED))["value"]
    monkeypatch.setattr(pack_module, "load_yaml", lambda path: changed)
    monkeypatch.setattr(pack_module, "find_standard", lambda *args, **kw: standard)
    with pytest.raises(PackErrors) as caught:
        load_pack(SHIPPED)
    messages = [str(error) for error in caught.value.errors]
    assert any(error.line == line for error in caught.value.errors), (line, messages)
    assert not [m for m in messages if any(p in m for p in ("['", "{'", "None", "True"))]


def test_a_list_where_one_evidence_kind_is_named_says_so_at_its_place(write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace("evidence: interactions", "evidence: [interactions]"))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:17:15: 'evidence' takes one value, not a list in rule RESP-PHONE-30S; "
        "write one text, without [ ]"
    ]


@pytest.mark.parametrize(
    ("written", "wrong", "expected"),
    [
        ("evidence: interactions", "evidence:", "17:14: missing 'evidence' in rule RESP-PHONE-30S"),
        ("timezone: Asia/Shanghai", "timezone:", "4:10: missing 'timezone'"),
        (
            "target: 90%",
            "target:",
            "20:12: expected a percentage such as 95%, found nothing in rule RESP-PHONE-30S",
        ),
        (
            "target: 90%",
            "target: true",
            "20:13: expected a percentage such as 95%, found true in rule RESP-PHONE-30S",
        ),
        ("severity: minor", "severity:", "21:14: missing 'severity' in rule RESP-PHONE-30S"),
        (
            "version: 1.0.0",
            "version: [1]",
            "2:10: 'version' must be a number or text such as 1.0.0, not a list",
        ),
        ("id: RESP-PHONE-30S", "id: 123", '14:9: id 123 is read as a number; quote it: "123"'),
    ],
)
def test_a_wrong_value_is_shown_as_written_in_yaml(written, wrong, expected, write_pack) -> None:
    """A value empty or of the wrong kind is named as YAML writes it, never as Python does
    (None, True, "missing" at the pack's first line for a list)."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace(written, wrong))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    assert [str(e) for e in caught.value.errors] == [f"{path}:{expected}"]


def errors_with_channel_as(write_pack, fields: str) -> tuple[Path, list[str]]:  # type: ignore[no-untyped-def]
    """The minimal pack with its channel field written as ``fields``: its path and errors."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace("      channel: {type: enum, values: [phone, chat]}", fields))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    return path, [str(e) for e in caught.value.errors]


def test_an_alias_another_field_has_is_refused_naming_both_fields(write_pack) -> None:
    """An alias that is another field's name (as columns are matched: case, spaces, _ aside)
    or another field's alias passed the check, and a column so named was read into both."""
    path, errors = errors_with_channel_as(
        write_pack,
        "      channel: {type: enum, values: [phone, chat], aliases: [渠道, Received At]}\n"
        "      agent: {type: string, optional: true, aliases: [渠道]}",
    )
    assert errors == [
        f"{path}:10:66: alias 'Received At' of field 'channel' names field 'received_at' "
        "(case, spaces and _ - . / ( ) aside): a column so named would be read into both; "
        "keep it for one of 'received_at' and 'channel'",
        f"{path}:11:55: alias '渠道' of field 'agent' is an alias of field 'channel' too: a "
        "column so named would be read into both; keep it for one of 'channel' and 'agent'",
    ]


def test_two_field_names_a_column_would_match_alike_are_refused(write_pack) -> None:
    """receivedAt and received_at are one name as columns are matched: both read it."""
    path, errors = errors_with_channel_as(
        write_pack,
        "      channel: {type: enum, values: [phone, chat]}\n      receivedAt: timestamp?",
    )
    assert errors == [
        f"{path}:12:7: field 'received_at' and field 'receivedAt' are the same name as columns "
        "are matched (case, spaces and _ - . / ( ) aside): a column so named would be read into "
        "both; rename one of 'receivedAt' and 'received_at'",
    ]


@pytest.mark.parametrize(
    ("wrong", "shown_as"),
    [("-1", "-1"), ('"-2.0"', "'-2.0'"), (".nan", "nan"), (".inf", "inf")],
    ids=["negative", "negative-text", "nan", "inf"],
)
def test_a_version_that_is_no_version_is_refused(wrong: str, shown_as: str, write_pack) -> None:
    """version: -1 was taken and printed as the pack's version; a version is 0 or more, or a
    text that starts with a letter or a digit."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace("version: 1.0.0", f"version: {wrong}"))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:2:10: 'version' must be a number of 0 or more, or a text that starts with a "
        f"letter or a digit (e.g. 1.0.0), not {shown_as}"
    ]


@pytest.mark.parametrize("version", ["0", "2", "1.5", "v2", '"1.0.0"', "2026-12"])
def test_a_version_of_0_or_more_or_a_text_loads(version: str, write_pack) -> None:
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace("version: 1.0.0", f"version: {version}"))
    assert load_pack(path, [STANDARDS]).version == version.strip('"')


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (
            "severity: 1",
            "21:15: severity must be major or minor, not 1 in rule RESP-PHONE-30S",
        ),
        (
            "severity: [minor]",
            "21:15: severity must be major or minor, not a list in rule RESP-PHONE-30S",
        ),
        (
            "severity: minor\n    judge: yes",
            "22:12: judge must be pooled or each-group, not true in rule RESP-PHONE-30S",
        ),
        (
            "severity: minor\n    period: grand",
            "22:13: period must be one of day, week, month, quarter, year, all, not 'grand' "
            "in rule RESP-PHONE-30S",
        ),
    ],
    ids=["number", "list", "yes", "unknown word"],
)
def test_a_choice_that_is_not_text_lists_the_allowed_values(wrong, expected, write_pack) -> None:
    """severity: 1 or judge: yes said "quote it", which gives a text that is still refused;
    the values a choice allows are named, whatever kind of value was written."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace("severity: minor", wrong))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    assert [str(e) for e in caught.value.errors] == [f"{path}:{expected}"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"    target: 90%\n": "    traget: 90%\n    warn: 95%\n"},
            "20:5: unknown key 'traget' in rule RESP-PHONE-30S; did you mean 'target'?",
        ),
        (
            {
                "    key: interaction_id\n": "    key: interaction_id\n    time: received_at\n",
                "received_at: timestamp": "received_at: timestmp",
            },
            "12:20: unknown type 'timestmp' for field 'received_at' (types: string, integer, "
            "number, boolean, timestamp, date, duration, enum); did you mean 'timestamp'?",
        ),
        (
            {"values: [phone, chat]": "values: phone"},
            "10:37: values of field 'channel' must be a list of texts",
        ),
    ],
    ids=["misspelt target", "field type", "enum values"],
)
def test_a_mistake_is_reported_once_not_again_through_what_follows_from_it(
    changes, expected, write_pack
) -> None:
    """A misspelt target is not also a warn below the default target; a field of an unknown
    type is not also an unknown time field; enum values written wrong are not also missing."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    for written, wrong in changes.items():
        text = text.replace(written, wrong)
    path = write_pack(text)
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    assert [str(e) for e in caught.value.errors] == [f"{path}:{expected}"]


CALENDAR = 'calendars:\n  office:\n    hours: {mon-fri: "09:00-18:00"}\n'


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"timezone: Asia/Shanghai\n": "timezone: Asia/Shanghai\n" + CALENDAR},
            None,
        ),
        (
            {
                "timezone: Asia/Shanghai\n": "timezone: Asia/Shanghai\n"
                + CALENDAR.replace('"09:00-18:00"', "[x]")
            },
            '7:22: opening hours must be text such as "09:00-18:00", not a list',
        ),
        (
            {
                "timezone: Asia/Shanghai\n": "timezone: Asia/Shanghai\n"
                + CALENDAR
                + "    holidays: {a: 1}\n"
            },
            "8:15: calendar 'office': holidays a mapping is not a known holiday set: give CN, "
            "none, or a country or subdivision code of the holidays library (US, US-NY, BR, "
            "IL, IT, ...)",
        ),
        (
            {
                "timezone: Asia/Shanghai\n": "timezone: Asia/Shanghai\n"
                + CALENDAR
                + "    extra_holidays: [[x]]\n"
            },
            "8:22: a list is not a date (YYYY-MM-DD)",
        ),
        (
            {"received_at: timestamp": "received_at: {type: {a: 1}}"},
            "11:27: unknown type a mapping for field 'received_at' (types: string, integer, "
            "number, boolean, timestamp, date, duration, enum)",
        ),
        (
            {"received_at: timestamp": 'received_at: {type: timestamp, optional: "false"}'},
            "11:48: 'optional' must be true or false, not 'false'",
        ),
    ],
    ids=["valid calendar", "hours", "holidays", "extra_holidays", "type", "optional"],
)
def test_a_value_in_a_message_is_shown_as_yaml_writes_it(changes, expected, write_pack) -> None:
    """A list, a mapping or true in a message was shown as Python shows it ('['x']', {'a': 1},
    True); each is named as YAML writes it."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    for written, wrong in changes.items():
        assert written in text
        text = text.replace(written, wrong)
    path = write_pack(text)
    if expected is None:
        load_pack(path, [STANDARDS])
        return
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    assert [str(e) for e in caught.value.errors] == [f"{path}:{expected}"]


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        (
            "dispersion: {of: [ANSWERED], across: site}",
            "'of' must name another rule of the pack, not a list in rule S",
        ),
        (
            "control_chart: {of: CSAT, per: [day]}",
            "'per' must be day or week, not a list in rule S",
        ),
    ],
)
def test_a_series_value_in_a_message_is_shown_as_yaml_writes_it(
    measure, expected, write_pack
) -> None:
    from .series_pack import PACK, rule

    body = f'    evidence: calls\n    {measure}\n    target: "<= 5"\n'
    path = write_pack(PACK + rule("S", body))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    messages = [e.message for e in caught.value.errors]
    assert expected in messages, messages


def test_a_standard_clause_id_is_shown_as_yaml_writes_it(tmp_path) -> None:
    from auditor import load_standard

    text = (STANDARDS / "service-quality-standard.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(text.replace('- id: "2.1.1"', "- id: [x]", 1), encoding="utf-8")
    with pytest.raises(PackErrors) as caught:
        load_standard(path)
    assert [e.message for e in caught.value.errors] == [
        'clause id must be dotted numbers written as a string, e.g. "3.1.2", not a list'
    ]


@pytest.mark.parametrize(
    ("written", "wrong", "expected"),
    [
        (
            "{name: acknowledged, within: 24h}",
            "{name: [acknowledged], within: 24h}",
            "'name' takes one value, not a list",
        ),
        ("after: received}", "after: }", "missing 'after'"),
    ],
)
def test_a_sequence_step_is_shown_as_yaml_writes_it(written, wrong, expected, write_pack) -> None:
    """A step's name or after that is a list or empty was shown as Python shows it."""
    text = (TEST_PACKS / "sequence.yaml").read_text(encoding="utf-8")
    assert written in text
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(text.replace(written, wrong, 1)), [STANDARDS])
    messages = [e.message for e in caught.value.errors]
    assert any(m.startswith(expected) for m in messages), messages
    assert not any(python in m for m in messages for python in ("['", "{'", "None", "True"))


@pytest.mark.parametrize("target", ['">= 1e400"', '">= .nan"'])
def test_a_target_that_is_not_a_finite_number_is_one_located_error(write_pack, target) -> None:
    from .series_pack import PACK, rule

    body = f"    evidence: calls\n    mean: {{of: csat}}\n    target: {target}\n"
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(PACK + rule("M", body)), [STANDARDS])
    [error] = caught.value.errors
    assert str(error).endswith(
        f":49:13: '{target.strip(chr(34))}' is not a finite number in rule M;"
        " write a number such as '>= 4.2'"
    ), str(error)


@pytest.mark.parametrize(
    ("reason", "column"),
    [("", 35), ("[a]", 36), ('"  "', 36), ("42", 36)],
    ids=["empty", "list", "blank", "number"],
)
def test_an_exclusion_reason_that_is_empty_or_not_text_is_one_located_error(
    write_pack, reason: str, column: int
) -> None:
    """An empty reason was accepted and counted under "None" in findings.json and the report;
    reason: [a] under "['a']"."""
    from .series_pack import PACK, rule

    body = (
        '    evidence: calls\n    mean: {of: csat}\n    target: ">= 4"\n'
        f'    exclude:\n      - {{when: "csat > 4", reason: {reason}}}\n'
    )
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(PACK + rule("M", body)), [STANDARDS])
    [error] = caught.value.errors
    assert str(error).split("rules/pack.yaml:", 1)[1] == (
        f"51:{column}: reason must be a text or {{zh: ..., en: ...}} in rule M"
    )


def test_pack_check_refuses_a_time_on_an_availability_rule(runner) -> None:
    """An availability rule places outages by their from/to interval: a ``time:`` on it
    would be ignored, so `pack check` refuses it with one line, at the rule's time."""
    from auditor.cli import main

    path = TEST_PACKS / "broken" / "availability-with-time.yaml"
    result = runner.invoke(main, ["pack", "check", str(path), "--standards", str(STANDARDS)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}:37:11: an availability rule places an outage in the period by its "
        "from/to interval (any outage overlapping the period), not by 'time': remove 'time' "
        "in rule R1\n"
    )
