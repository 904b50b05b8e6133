"""Hostile JSON-lines evidence: nesting, duplicate keys, wrong types, bad text, late keys."""

from __future__ import annotations

import json

import pytest

from .conftest import ROUNDTRIP, Case, case_ids, run_case

INGEST = ("evidence", "ingest", "{tmp}/ev", "--pack", ROUNDTRIP, "--store", "{tmp}/s.db")
FILE = "ev/records.jsonl"


def jsonl(name: str, data: bytes | str, **expect) -> Case:
    expect.setdefault("store", "s.db")
    return Case(id=name, args=INGEST, files={FILE: data}, **expect)


def lines(*objects: object) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)


OK = lines({"record_id": "A", "name": "x", "count": 1})
LATE = lines(*({"record_id": f"R{i}"} for i in range(10_001))) + lines(
    {"record_id": "LATE", "name": "late", "count": 7}
)

CASES = [
    jsonl("plain", OK, stored=1, values=("records", "name", ("x",))),
    jsonl(
        "utf8-bom", b"\xef\xbb\xbf" + OK.encode(), stored=1, values=("records", "record_id", ("A",))
    ),
    jsonl(
        "nested-10000-deep",
        OK + '{"record_id": "B", "name": ' + "[" * 10_000 + "]" * 10_000 + "}\n",
        stored=1,
        quarantined=1,
        reasons=("nested too deep",),
    ),
    jsonl(
        "nested-object-in-a-text-field",
        OK + lines({"record_id": "B", "name": {"a": 1}}),
        stored=1,
        quarantined=1,
    ),
    jsonl(
        "list-in-a-number-field",
        OK + lines({"record_id": "B", "count": [1, 2]}),
        stored=1,
        quarantined=1,
    ),
    jsonl("object-as-the-key", lines({"record_id": {"id": 1}}), stored=0, quarantined=1),
    jsonl(
        "duplicate-key-in-one-object",
        OK + '{"record_id": "B", "count": 1, "count": 2}\n',
        stored=1,
        quarantined=1,
        reasons=("the key 'count' appears twice",),
    ),
    jsonl("duplicate-record-keys", OK + OK, stored=1, quarantined=1),
    jsonl(
        "true-in-an-integer-field",
        lines({"record_id": "B", "count": True}),
        stored=0,
        quarantined=1,
        reasons=("yes/no value",),
    ),
    jsonl(
        "false-in-a-number-field",
        lines({"record_id": "B", "amount": False}),
        stored=0,
        quarantined=1,
    ),
    jsonl(
        "number-in-a-boolean-field",
        lines({"record_id": "B", "flag": 1}, {"record_id": "C", "flag": True}),
        stored=2,
        values=("records", "flag", (1, 1)),
    ),
    jsonl(
        "int-at-sqlite-max",
        lines({"record_id": "B", "count": 2**63 - 1}),
        stored=1,
        values=("records", "count", (2**63 - 1,)),
    ),
    jsonl(
        "int-beyond-sqlite",
        lines({"record_id": "B", "count": 2**63}, {"record_id": "C", "count": -(2**63) - 1}),
        stored=0,
        quarantined=2,
    ),
    jsonl(
        "int-of-5000-digits",
        OK + '{"record_id": "B", "count": ' + "9" * 5000 + "}\n",
        stored=1,
        quarantined=1,
        reasons=("not valid JSON",),
    ),
    jsonl(
        "no-line-is-an-object",
        "\n" + '{"record_id": ' + "9" * 5000 + "}\n[1]\n",
        exit=2,
        error=("{tmp}/ev/records.jsonl:2", "no line of the file is a JSON object"),
        store=None,
    ),
    jsonl(  # the value quoted as the file writes it, not as Python's 'inf'
        "float-overflowing",
        '{"record_id": "B", "amount": 1e400}\n',
        stored=0,
        quarantined=1,
        reasons=("amount: '1e400' is not a finite number",),
    ),
    jsonl(
        "nan-and-infinity-literals",
        '{"record_id": "B", "amount": NaN}\n{"record_id": "C", "amount": Infinity}\n',
        stored=0,
        quarantined=2,
        reasons=("amount: 'NaN' is not a finite number", "'Infinity' is not a finite number"),
    ),
    jsonl(
        "float-in-an-integer-field",
        lines({"record_id": "B", "count": 1.5}, {"record_id": "C", "count": 2.0}),
        stored=1,
        quarantined=1,
        values=("records", "count", (2,)),
    ),
    jsonl(
        "text-number-in-a-number-field",
        lines({"record_id": "B", "amount": "12.5"}),
        stored=1,
        values=("records", "amount", (12.5,)),
    ),
    jsonl(
        "invalid-utf8-bytes",
        OK.encode() + b'{"record_id": "B", "name": "\xff\xfe"}\n',
        stored=1,
        quarantined=1,
        reasons=("not valid UTF-8",),
    ),
    jsonl(
        "lone-surrogate-escape",
        OK + '{"record_id": "B", "name": "\\ud800"}\n',
        stored=1,
        quarantined=1,
        reasons=("lone surrogate",),
    ),
    jsonl(
        "lone-surrogate-in-an-unknown-key", OK + '{"record_id": "B", "\\udc00": "x"}\n', stored=2
    ),
    jsonl(
        "surrogate-pair-is-fine",
        OK + '{"record_id": "B", "name": "\\ud83d\\ude00"}\n',
        stored=2,
        values=("records", "name", ("x", "\U0001f600")),
    ),
    jsonl(
        "nul-inside-a-string",
        OK + '{"record_id": "B", "name": "a\\u0000b"}\n',
        stored=1,
        quarantined=1,
        reasons=("NUL",),
    ),
    jsonl("raw-nul-byte", OK.encode() + b'{"record_id": "B"}\x00\n', stored=1, quarantined=1),
    jsonl(
        "key-first-seen-after-line-10000",
        LATE,
        stored=10_002,
        values=("records", "name", (*([None] * 10_001), "late")),
    ),
    jsonl("blank-lines", "\n\n" + OK + "\n   \n" + lines({"record_id": "B"}) + "\n", stored=2),
    jsonl(
        "truncated-last-line",
        OK + '{"record_id": "B", "na',
        stored=1,
        quarantined=1,
        reasons=("not valid JSON",),
    ),
    jsonl("not-an-object", OK + '[1, 2]\n42\n"text"\nnull\n', stored=1, quarantined=4),
    jsonl("not-json-at-all", OK + "record_id,name\n", stored=1, quarantined=1),
    jsonl("empty-file", b"", exit=2, error=("{tmp}/ev/records.jsonl:1", "empty"), store=None),
    jsonl(
        "only-blank-lines",
        "\n\n  \n",
        exit=2,
        error=("{tmp}/ev/records.jsonl:1", "empty"),
        store=None,
    ),
    jsonl(
        "key-renamed-midway-to-an-alias",
        lines({"record_id": "A", "name": "x"}, {"record_id": "B", "名称": "y"}),
        stored=2,
        values=("records", "name", ("x", "y")),
    ),
    jsonl(
        "key-renamed-midway-both-in-one-line",
        lines({"record_id": "A", "name": "x", "名称": "y"}),
        stored=1,
        values=("records", "name", ("x",)),
    ),
    jsonl(
        "key-spelt-another-way-midway",  # both spellings match the name: the first line's too
        lines({"record_id": "A", "name": "x"}, {"record_id": "B", "Name": "y"}),
        stored=2,
        values=("records", "name", ("x", "y")),
    ),
    jsonl(
        "key-renamed-to-an-unknown-name",
        lines({"record_id": "A", "name": "x"}, {"record_id": "B", "nm": "y"}),
        stored=2,
        values=("records", "name", ("x", None)),
    ),
    jsonl(
        "huge-string-value",
        lines({"record_id": "A", "name": "x" * 2_000_000}),
        stored=0,
        quarantined=1,
        reasons=("characters long",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_jsonl(case: Case, tmp_path) -> None:
    run_case(case, tmp_path)
