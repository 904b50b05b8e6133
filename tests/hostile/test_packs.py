"""Hostile packs, mappings, pack test files and standards: each is one located line, exit 2."""

from __future__ import annotations

import pytest

from .conftest import ROUNDTRIP, TEST_PACKS, Case, case_ids, run_case

MINIMAL = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
ROUND = (TEST_PACKS / "roundtrip.yaml").read_text(encoding="utf-8")
CHECK = ("pack", "check", "{tmp}/rules/p.yaml", "--standards", "{root}/standards", "-q")
PACK = "rules/p.yaml"
WHERE = "{tmp}/rules/p.yaml"


def pack(name: str, text: str | bytes, *error: str, lines: int = 1) -> Case:
    """`pack check` of one pack file; its (first) error line names the file, line and ``error``."""
    return Case(id=name, args=CHECK, files={PACK: text}, exit=2, error=(WHERE, *error), lines=lines)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


PACK_CASES = [
    pack("empty", "", "empty"),
    pack("only-a-comment", "# nothing here\n", "empty"),
    pack("binary", bytes(range(256)) * 4),
    pack("invalid-utf8", MINIMAL.encode().replace(b"minimal", b"mini\xffmal", 1)),
    pack("utf16", MINIMAL.encode("utf-16")),
    pack("a-list-not-a-mapping", "- pack: minimal\n", ":1:"),
    pack("a-plain-text", "just some words\n", ":1:"),
    pack("tab-indentation", MINIMAL.replace("  interactions:", "\tinteractions:", 1), ":6:"),
    pack("nested-100-deep", MINIMAL + f"extra: {deep(100)}\n", "nested more than 64"),
    pack("nested-100000-deep", MINIMAL + f"extra: {deep(100_000)}\n", "nested more than 64"),
    pack("recursive-alias", "pack: minimal\nloop: &loop [*loop]\n", ":2:"),
    pack(
        "alias-bomb",
        "pack: minimal\na0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)),
        "more than 200,000 values",
    ),
    pack("undefined-alias", "pack: *nowhere\n", ":1:"),
    pack(
        "python-object-tag",
        MINIMAL.replace("version: 1.0.0", "version: !!python/object/apply:os.system [echo]"),
        ":2:",
        "tag",
    ),
    pack(
        "python-name-tag",
        MINIMAL.replace("version: 1.0.0", "version: !!python/name:os.system"),
        ":2:",
        "tag",
    ),
    pack("custom-tag", MINIMAL.replace("version: 1.0.0", "version: !secret 1.0.0"), ":2:", "tag"),
    pack(
        "binary-tag", MINIMAL.replace("version: 1.0.0", "version: !!binary aGVsbG8="), ":2:", "tag"
    ),
    pack(
        "number-of-5000-digits",
        MINIMAL.replace("target: 90%", "target: " + "9" * 5000),
        ":20:13:",
        "5,000 digits",
    ),
    pack(
        "unknown-top-key",
        MINIMAL.replace("rules:", "rulez:", 1),
        ":13:1:",
        "did you mean 'rules'",
        lines=2,
    ),  # and: 'rules' must be a non-empty list
    pack(
        "unknown-rule-key",
        MINIMAL.replace("    severity: minor", "    severty: minor"),
        ":21:5:",
        "did you mean 'severity'",
        lines=2,
    ),  # and: the rule has no severity
    pack(
        "unknown-field-in-a-rule",
        MINIMAL.replace("to: answered_at", "to: anwsered_at"),
        ":19:39:",
        "did you mean 'answered_at'",
    ),
    pack(
        "rules-is-a-text",
        MINIMAL.split("rules:")[0]
        + "rules: all of them\n"
        + "not_covered:"
        + MINIMAL.split("not_covered:")[1],
        ":13:",
    ),
    pack(
        "target-is-a-list", MINIMAL.replace("target: 90%", "target: [90%]"), ":20:13:", "percentage"
    ),
    pack(
        "severity-unknown",
        MINIMAL.replace("severity: minor", "severity: catastrophic"),
        ":21:15:",
        "severity",
    ),
    pack(
        "timezone-unknown", MINIMAL.replace("Asia/Shanghai", "Mars/Olympus"), ":4:", "Mars/Olympus"
    ),
    pack(
        "duplicate-key", MINIMAL.replace("version: 1.0.0", "version: 1.0.0\nversion: 2.0.0"), ":3:"
    ),
    pack(
        "standard-unknown",
        MINIMAL.replace("standard: service-quality-standard", "standard: no-such-standard"),
        ":3:",
        "no-such-standard",
    ),
    pack(
        "field-type-unknown",
        MINIMAL.replace("interaction_id: string", "interaction_id: strng"),
        ":9:23:",
        "did you mean 'string'",
        lines=1,
    ),  # the one mistake alone: the key naming that field is not reported as unknown too
    pack(
        "field-name-underscore",
        MINIMAL.replace(
            "answered_at: timestamp?", "answered_at: timestamp?\n      _elapsed: number?"
        ),
        ":13:7:",
        "field name '_elapsed' starts with '_'",
    ),
    pack(
        "key-optional",
        MINIMAL.replace("interaction_id: string", "interaction_id: string?"),
        ":7:",
        "key 'interaction_id' of evidence kind 'interactions' is optional",
    ),
    pack("null-document", "~\n", ":1:"),
    pack(
        "nul-byte",
        MINIMAL.replace("{zh: 电话30秒", "{zh: 电话\x0030秒"),
        ":16:19: a NUL byte is not allowed in a YAML file; remove it",
    ),  # line 16 is the rule's title: 4 spaces, "title: ", "{zh: ", 电话, then the NUL
]

TESTS_FILE = "rules/p.tests.yaml"
PACK_TEST = ("pack", "test", "{tmp}/rules/p.yaml", "--tests", "{tmp}/rules/p.tests.yaml")


def cases_file(name: str, text: str | bytes, *error: str, lines: int = 1) -> Case:
    return Case(
        id=f"tests-{name}",
        args=PACK_TEST,
        files={PACK: MINIMAL, TESTS_FILE: text},
        exit=2,
        error=("{tmp}/rules/p.tests.yaml", *error),
        lines=lines,
    )


GOOD_CASE = (
    "period: 2026-07\ncases:\n  - name: one call\n    rule: RESP-PHONE-30S\n    records:\n"
    "      interactions:\n        - {interaction_id: P1, channel: phone, "
    'received_at: "2026-07-01 10:00:00", answered_at: "2026-07-01 10:00:05"}\n'
    "    expect:\n      outcomes: {P1: conform}\n"
)

TEST_FILE_CASES = [
    cases_file("empty", ""),
    cases_file("binary", b"\x00\x01\x02\xff" * 100),
    cases_file(
        "python-tag",
        GOOD_CASE.replace("period: 2026-07", "period: !!python/object:os.system"),
        ":1:",
        "tag",
    ),
    cases_file(
        "unknown-key",
        GOOD_CASE.replace("    expect:", "    expcet:"),
        ":8:5:",
        "did you mean 'expect'",
        lines=2,
    ),  # and: the case has no expect
    cases_file(
        "unknown-rule",
        GOOD_CASE.replace("rule: RESP-PHONE-30S", "rule: RESP-PHONE-31S"),
        ":4:",
        "RESP-PHONE-30S",
    ),
    cases_file("cases-is-a-text", "period: 2026-07\ncases: many\n", ":1:", "'cases' list"),
    cases_file(
        "bad-period",
        GOOD_CASE.replace("period: 2026-07", "period: 2026-13"),
        ":1:9:",
        "2026-13",
        lines=2,
    ),  # and: the case has no period
    cases_file("nested-deep", GOOD_CASE + f"x: {deep(1000)}\n", "nested more than 64"),
]

MAPPING = "ev/m.yaml"
INGEST = (
    "evidence",
    "ingest",
    "{tmp}/ev/records.csv",
    "--pack",
    ROUNDTRIP,
    "--store",
    "{tmp}/s.db",
    "--mapping",
    "{tmp}/ev/m.yaml",
)
GOOD_MAPPING = "kind: records\ncolumns:\n  record_id: id\n"


def mapping(name: str, text: str | bytes, *error: str) -> Case:
    return Case(
        id=f"mapping-{name}",
        args=INGEST,
        files={MAPPING: text, "ev/records.csv": "id,name\nA,x\n"},
        exit=2,
        error=("{tmp}/ev/m.yaml", *error),
    )


MAPPING_CASES = [
    mapping("empty", ""),
    mapping("binary", bytes(range(256))),
    mapping("unknown-time-zone", GOOD_MAPPING + "timezone: Mars/Olympus\n", ":4:", "Mars/Olympus"),
    mapping("unknown-encoding", GOOD_MAPPING + "reader: {encoding: klingon}\n", ":4:", "klingon"),
    mapping(
        "two-character-delimiter",
        GOOD_MAPPING + "reader: {delimiter: ';;'}\n",
        ":4:",
        "one character",
    ),
    mapping("delimiter-is-a-number", GOOD_MAPPING + "reader: {delimiter: 5}\n", ":4:"),
    mapping("unknown-key", GOOD_MAPPING + "colums: {}\n", ":4:", "columns"),
    mapping(
        "unknown-kind", GOOD_MAPPING.replace("kind: records", "kind: recrods"), ":1:", "records"
    ),
    mapping("unknown-field", GOOD_MAPPING + "  nmae: name\n", ":4:", "name"),
    mapping(
        "column-not-in-the-file", "kind: records\ncolumns:\n  record_id: identifier\n", "identifier"
    ),
    mapping("no-columns", "kind: records\n", "columns"),
    mapping(
        "python-tag", "kind: !!python/object/apply:os.system [echo]\ncolumns: {}\n", ":1:", "tag"
    ),
    mapping(
        "alias-bomb",
        GOOD_MAPPING
        + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)),
        "200,000",
    ),
    mapping("unknown-dst", GOOD_MAPPING + "dst: sometimes\n", ":4:", "dst"),
    mapping("missing-is-a-text", GOOD_MAPPING + "missing: N/A\n", ":4:", "missing"),
    mapping(
        "join-of-no-column",
        "kind: records\ncolumns:\n  record_id: {join: []}\n",
        ":3:",
        "join of 'record_id' names no column",
    ),
    mapping(
        "date-without-time",
        GOOD_MAPPING + "  at: {date: name}\n",
        ":4:",
        "time of 'at' names no column",
    ),
    mapping(
        "enum-value-map-outside-the-enum",
        GOOD_MAPPING + "  channel: {column: name, values: {x: fax}}\n",
        ":4:",
        "'fax', which is not one of phone, chat",
    ),
    mapping(
        "order-of-a-text-field",
        GOOD_MAPPING + "  name: {column: name, order: day-first}\n",
        ":4:31: order of field 'name' of records means nothing for its type, string: format "
        "and order say how timestamps and dates are written; remove order",
    ),
    mapping(
        "format-of-an-enum-field",
        GOOD_MAPPING + '  channel: {column: name, format: "%d/%m/%Y"}\n',
        ":4:35: format of field 'channel' of records means nothing for its type, enum",
    ),
    mapping(
        "format-of-a-time-alone",
        GOOD_MAPPING + '  at: {column: name, format: "%H:%M"}\n',
        ":4:30: format '%H:%M' of timestamp field 'at' of records has no year, month or day: "
        "what it lacks would be taken from 1 January 1900 for every value; give the layout of "
        'the whole value, e.g. "%d/%m/%Y %H:%M"',
    ),
    mapping(
        "format-of-a-date-without-year",
        GOOD_MAPPING + '  day: {column: name, format: "%d/%m"}\n',
        ":4:31: format '%d/%m' of date field 'day' of records has no year: what it lacks",
    ),
    mapping(
        "format-of-a-time-alone-beside-a-date-column",
        GOOD_MAPPING + '  at: {date: name, time: id, format: "%H:%M"}\n',
        ":4:38: format '%H:%M' of timestamp field 'at' of records has no year, month or day, "
        "and it reads the date and time columns joined (name + id): no value would match it",
    ),  # the format reads '<date> <time>' as one text: a time alone matches no value there
]

STANDARD_CHECK = ("pack", "check", "{tmp}/rules/p.yaml", "--standards", "{tmp}/std", "-q")


def standard(name: str, text: str | bytes, *error: str) -> Case:
    return Case(
        id=f"standard-{name}",
        args=STANDARD_CHECK,
        files={PACK: MINIMAL, "std/service-quality-standard.yaml": text},
        exit=2,
        error=("{tmp}/std/service-quality-standard.yaml", *error),
    )


STANDARD_CASES = [
    standard("empty", ""),
    standard("binary", bytes(range(256)) * 2),
    standard("python-tag", "standard: !!python/object/apply:os.system [echo]\n", ":1:", "tag"),
    standard(
        "clauses-is-a-text",
        "standard: service-quality-standard\ntitle: {zh: a, en: b}\nversion: '1'\nclauses: none\n",
        ":4:",
    ),
    standard("nested-deep", f"standard: service-quality-standard\nx: {deep(500)}\n", "nested"),
]

SPECIAL_CASES = [
    Case("pack-is-dev-zero", ("pack", "check", "/dev/zero"), exit=2,
         error=("/dev/zero", "not a regular file")),
    Case("mapping-is-a-folder", ("evidence", "validate", "{tmp}/ev", "--pack", ROUNDTRIP,
         "--mapping", "{tmp}/ev"), files={"ev/records.csv": "record_id\nA\n"}, exit=2,
         error=("{tmp}/ev",)),
    Case("tests-file-is-dev-zero", ("pack", "test", "{tmp}/rules/p.yaml", "--tests", "/dev/zero"),
         files={PACK: MINIMAL}, exit=2, error=("/dev/zero", "not a regular file")),
]  # fmt: skip

CASES = SPECIAL_CASES + PACK_CASES + TEST_FILE_CASES + MAPPING_CASES + STANDARD_CASES


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_pack_files(case: Case, tmp_path) -> None:
    run_case(case, tmp_path)
