"""Hostile streams for `watch`: bad bytes, bad JSON, unknown kinds, bad values. A bad line is
rejected with its reason and the monitor goes on: the good call after it still alerts."""

from __future__ import annotations

import json

import pytest

from .conftest import TEST_PACKS, Case, case_ids, run_case

LIVE = str(TEST_PACKS / "live.yaml")
WATCH = ("watch", LIVE, "--input", "{tmp}/in.jsonl")
LATE_CALL = {  # answered after 50 s: ANSWER-30S alerts on it
    "kind": "calls", "call_id": "GOOD", "channel": "phone", "agent": "a1",
    "received_at": "2026-07-01 11:00:00", "answered_at": "2026-07-01 11:00:50",
}  # fmt: skip
GOOD = (json.dumps(LATE_CALL) + "\n").encode()
ALERT = '"key": "GOOD"'


def call(**values: object) -> bytes:
    record = {
        "kind": "calls",
        "call_id": "C1",
        "channel": "phone",
        "agent": "a1",
        "received_at": "2026-07-01 10:00:00",
        "answered_at": "2026-07-01 10:00:10",
    }
    record.update(values)  # fmt: skip
    return (json.dumps(record) + "\n").encode()


def rejected(name: str, line: bytes, *reason: str, count: int = 1) -> Case:
    """A stream of one bad line and then the late call: the line is rejected, the call alerts."""
    return Case(id=name, args=WATCH, files={"in.jsonl": line + GOOD}, exit=0,
                stdout=(ALERT,), stderr=(f"{count} rejected", *reason))  # fmt: skip


CASES = [
    Case(
        "plain",
        WATCH,
        files={"in.jsonl": call() + GOOD},
        stdout=(ALERT,),
        stderr=("2 records read", "0 rejected"),
    ),
    rejected("invalid-utf8", b'{"kind": "calls", "call_id": "\xff\xfe"}\n', "UTF-8"),
    rejected("lone-surrogate", b'{"kind": "calls", "call_id": "\\ud800"}\n', "surrogate"),
    rejected(
        "nested-100000-deep",
        b'{"kind": "calls", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
        "nested too deep",
    ),
    rejected("not-json", b"this is not json\n", "not valid JSON"),
    rejected("truncated-line", b'{"kind": "calls", "call_id": "C\n', "not valid JSON"),
    rejected(  # as the ingest quarantines it, not an internal error that ends the watch
        "a-5000-digit-integer",
        b'{"kind": "calls", "score": ' + b"9" * 5000 + b"}\n",
        "in.jsonl:1: rejected: not valid JSON: Exceeds the limit (4300 digits) for integer "
        "string conversion",
    ),
    rejected("a-list", b"[1, 2, 3]\n", "in.jsonl:1: rejected: line is JSON but not an object"),
    rejected("unknown-kind", b'{"kind": "tickets", "id": 1}\n', "unknown kind 'tickets'"),
    rejected(
        "no-kind",
        b'{"call_id": "C1"}\n',
        """in.jsonl:1: rejected: the "kind" key is missing; it names the record's evidence """
        "kind, one of calls, steps",
    ),
    rejected(
        "kind-is-null",
        b'{"kind": null, "call_id": "C1"}\n',
        """in.jsonl:1: rejected: "kind" is null; it names the record's evidence kind, one of """
        "calls, steps",
    ),
    rejected("kind-is-a-list", b'{"kind": ["calls"], "call_id": "C1"}\n', "kind"),
    rejected("kind-is-a-number", b'{"kind": 5, "call_id": "C1"}\n', "kind"),
    rejected("bad-timestamp", call(received_at="2026-13-45 99:99:99"), "received_at"),
    rejected("timestamp-is-a-boolean", call(received_at=True), "received_at"),
    rejected("timestamp-year-1", call(received_at="0001-01-01 00:00:00"), "received_at"),
    rejected("key-missing", call(call_id=None), "call_id"),
    rejected("key-is-an-object", call(call_id={"a": 1}), "call_id"),
    rejected("score-is-a-huge-int", call(score=10**30), "score"),
    rejected("score-is-true", call(score=True), "score"),
    rejected("enum-unknown", call(channel="fax"), "channel"),
    rejected(
        "duplicate-key-in-a-line", b'{"kind": "calls", "call_id": "C1", "call_id": "C2"}\n', "twice"
    ),
    rejected("nul-in-a-value", call(agent="a\x00b"), "NUL"),
    rejected(
        "nan-score",
        b'{"kind": "calls", "call_id": "C1", "channel": "phone", '
        b'"received_at": "2026-07-01 10:00:00", "score": NaN}\n',
        "calls.score: 'NaN' is not a whole number",
    ),
    rejected(  # quoted as the line writes it, as the ingest quotes it
        "score-no-float-holds",
        b'{"kind": "calls", "call_id": "C1", "channel": "phone", '
        b'"received_at": "2026-07-01 10:00:00", "score": 1e400}\n',
        "calls.score: '1e400' is not a whole number",
    ),
    Case(  # Notepad's UTF-8 begins with one; the ingest reads such a file too
        "byte-order-mark-before-the-first-line",
        WATCH,
        files={"in.jsonl": b"\xef\xbb\xbf" + GOOD},
        stdout=(ALERT,),
        stderr=("1 records read", "0 rejected"),
    ),
    Case(
        "blank-lines-are-not-records",
        WATCH,
        files={"in.jsonl": b"\n\n   \n" + GOOD + b"\n"},
        stdout=(ALERT,),
        stderr=("1 records read", "0 rejected"),
    ),
    Case(
        "timestamp-year-9999-does-not-stop-the-monitor",
        WATCH,
        files={"in.jsonl": call(received_at="9999-12-31 23:59:00", answered_at=None) + GOOD},
        stdout=(ALERT,),
    ),
    Case(
        "invalid-utf8-on-stdin",
        ("watch", LIVE, "--input", "-"),
        subprocess=True,
        stdin=b'{"kind": "calls", "call_id": "\xff"}\n' + GOOD,
        stdout=(ALERT,),
        stderr=("1 rejected", "UTF-8"),
    ),
    Case(
        "until-garbage",
        ("watch", LIVE, "--input", "{tmp}/in.jsonl", "--until", "later"),
        files={"in.jsonl": GOOD},
        exit=2,
        error=("later",),
    ),
    Case("input-is-a-folder", ("watch", LIVE, "--input", "{tmp}"), exit=2, error=("{tmp}",)),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_watch(case: Case, tmp_path) -> None:
    run_case(case, tmp_path)
