"""Hostile CSV evidence: encodings, separators, broken rows, extreme values."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from .conftest import HEADER, ROUNDTRIP, Case, case_ids, run_case

INGEST = ("evidence", "ingest", "{tmp}/ev", "--pack", ROUNDTRIP, "--store", "{tmp}/s.db")
FILE = "ev/records.csv"
TS_2026_07_01_10H = 1782871200.0  # 2026-07-01 10:00 Asia/Shanghai, worked out by hand


def local(*parts: int) -> float:
    """Seconds since the epoch of a wall-clock time in the pack's zone (the standard library's)."""
    return datetime(*parts, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()  # type: ignore[misc]


def csv(name: str, data: bytes | str, **expect) -> Case:
    """A case ingesting one records.csv; the store is checked for read == stored + quarantined."""
    expect.setdefault("store", "s.db")
    return Case(id=name, args=INGEST, files={FILE: data}, **expect)


def rows(n: int, start: int = 0) -> str:
    return "".join(f"R{i},n{i},{i},\n" for i in range(start, start + n))


def fifo(tmp: Path) -> None:
    (tmp / "ev").mkdir()
    os.mkfifo(tmp / FILE)  # reading it would wait for a writer forever


def endless(tmp: Path) -> None:
    (tmp / "ev").mkdir()
    (tmp / FILE).symlink_to("/dev/zero")  # reading it never ends


ASCII_64K = rows(4000)  # about 70 KB of plain ASCII before the first wide byte
assert len(ASCII_64K) > 65536

CASES = [
    # files that are not regular files
    Case(
        "a-named-pipe",
        INGEST,
        setup=fifo,
        exit=2,
        error=("{tmp}/ev/records.csv", "not a regular file"),
        store="s.db",
        stored=0,
    ),
    Case(
        "a-link-to-dev-zero",
        INGEST,
        setup=endless,
        exit=2,
        error=("{tmp}/ev/records.csv", "not a regular file"),
        store="s.db",
        stored=0,
    ),
    # encodings
    csv(
        "utf8-bom",
        b"\xef\xbb\xbf" + (HEADER + "A,x,1,\n").encode(),
        stored=1,
        values=("records", "record_id", ("A",)),
    ),
    csv(
        "bom-at-start-of-a-middle-line",
        HEADER + "A,x,1,\n\ufeffB,y,2,\n",
        stored=2,
        values=("records", "record_id", ("A", "B")),
    ),
    csv("bom-only", b"\xef\xbb\xbf", exit=2, error=("{tmp}/ev/records.csv",), store=None),
    csv(
        "gb18030-after-64k-of-ascii",
        (HEADER + ASCII_64K + "Z,名称,1,\n").encode("gb18030"),
        stored=4001,
        quarantined=0,
    ),
    csv(
        "gb18030-chinese-header",
        "编号,名称,数量\nA,甲,1\nB,乙,2\n".encode("gb18030"),
        stored=2,
        values=("records", "name", ("甲", "乙")),
    ),
    csv(
        "utf16-le-bom",
        (HEADER + "A,名,1,\n").encode("utf-16"),
        stored=1,
        values=("records", "name", ("名",)),
    ),
    csv(
        "utf16-be-bom",
        b"\xfe\xff" + (HEADER + "A,名,1,\n").encode("utf-16-be"),
        stored=1,
        values=("records", "name", ("名",)),
    ),
    csv(
        "invalid-utf8-bytes-in-one-row",
        (HEADER + rows(40)).encode() + b"X,\xff\xfe\xfa,1,\n",
        stored=40,
        quarantined=1,
        reasons=("is not valid",),
    ),
    csv(
        "latin1-file",
        (HEADER + "A,caf\xe9,1,\n").encode("latin-1"),
        stored=0,
        quarantined=1,
        reasons=("not valid gb18030",),
    ),
    csv(
        "utf8-then-gb18030-rows",
        (HEADER + "A,名,1,\n" * 1).encode() + "B,名称,2,\n".encode("gb18030"),
        stored=1,
        quarantined=1,
    ),
    # separators
    csv("semicolon", "record_id;name;count\nA;x;1\n", stored=1, values=("records", "count", (1,))),
    csv("tab", "record_id\tname\tcount\nA\tx\t1\n", stored=1, values=("records", "name", ("x",))),
    csv("pipe", "record_id|name|count\nA|x|1\n", stored=1, values=("records", "name", ("x",))),
    csv(
        "commas-inside-semicolon-file",
        "record_id;name\nA;x,y\n",
        stored=1,
        values=("records", "name", ("x,y",)),
    ),
    # rows
    csv("ragged-row-too-many-cells", HEADER + "A,x,1,,extra\nB,y,2,\n", stored=1, quarantined=1),
    csv("ragged-row-too-few-cells", HEADER + "A,x\nB,y,2,\n", stored=1, quarantined=1),
    csv("trailing-empty-cells-as-excel-writes", HEADER + "A,x,1,,,,\n", stored=1),
    csv(
        "empty-header-cells-at-the-end-and-rows-without-them",
        "record_id,name,count,at,,\nA,x,1,\nB,y,2,,,\nC,z\n",
        stored=2,
        quarantined=1,
        reasons=("expected 6 columns as in the header, found 2",),
        values=("records", "count", (1, 2)),
    ),
    csv(
        "quote-left-open-on-the-last-line",
        HEADER + 'A,x,1,\nB,"open,2,\n',
        stored=1,
        quarantined=1,
        reasons=("unterminated quote starting on line 3",),
    ),
    csv(
        "quote-left-open-mid-file",  # every line after it quarantined, none lost
        HEADER + 'A,x,1,\nB,"open,2,\nC,y,3,\nD,z,4,\n',
        stored=1,
        quarantined=3,
        reasons=("unterminated quote starting on line 3: the rest of the file (lines 3-5)",),
    ),
    csv(
        "quote-opened-and-closed-lines-later",  # the lines between are quarantined one by one
        HEADER + 'A,x,1,\nB,"open,2,\nC,y,3,\nD,"z",4,\nE,w,5,\n',
        stored=2,
        quarantined=3,
        reasons=("malformed CSV: ',' expected after '\"'; lines 3-5 cannot be split",),
    ),
    csv(
        "stray-quote-inside-a-field",
        HEADER + 'A,x"y,1,\n',
        stored=1,
        values=("records", "name", ('x"y',)),
    ),
    csv(
        "embedded-newline",
        HEADER + 'A,"two\nlines",1,\nB,y,2,\n',
        stored=2,
        values=("records", "name", ("two\nlines", "y")),
    ),
    csv(
        "embedded-crlf-and-lone-cr-endings",
        HEADER.replace("\n", "\r") + "A,x,1,\rB,y,2,\r",
        stored=2,
    ),
    csv(
        "crlf-endings",
        HEADER.replace("\n", "\r\n") + "A,x,1,\r\nB,y,2,\r\n",
        stored=2,
        values=("records", "name", ("x", "y")),
    ),
    csv("nul-byte-in-a-field", HEADER + "A,x\x00y,1,\nB,y,2,\n", stored=1, quarantined=1),
    csv(
        "binary-garbage",
        bytes(range(256)) * 40,
        exit=2,
        error=("{tmp}/ev/records.csv",),
        store=None,
    ),
    csv(
        "two-megabyte-field",
        HEADER + "A," + "x" * 2_000_000 + ",1,\nB,y,2,\n",
        stored=1,
        quarantined=1,
        reasons=("characters long",),
    ),
    csv("blank-lines-between-rows", HEADER + "\nA,x,1,\n\n\n   \nB,y,2,\n\n", stored=2),
    csv("header-only", HEADER, stored=0, quarantined=0),
    csv("empty-file", b"", exit=2, error=("{tmp}/ev/records.csv",), store=None),
    csv(
        "duplicate-header-column",
        "record_id,name,name\nA,x,y\n",
        exit=2,
        error=("{tmp}/ev/records.csv", "name"),
        store=None,
    ),
    csv(
        "header-without-the-key",
        "name,count\nx,1\n",
        exit=2,
        error=("{tmp}/ev/records.csv:1", "record_id"),
        store=None,
    ),
    csv(
        "ten-thousand-columns",
        "record_id,"
        + ",".join(f"c{i}" for i in range(10_000))
        + "\nA,"
        + ",".join("1" for _ in range(10_000))
        + "\n",
        stored=1,
    ),
    # values
    Case(
        "missing-markers-with-spaces",
        INGEST,
        {
            FILE: HEADER + "A, NULL ,  N/A ,\nB,y,,\n",
            "ev/records.mapping.yaml": 'kind: records\nmissing: ["NULL", "N/A"]\ncolumns:\n'
            "  record_id: record_id\n  name: name\n  count: count\n",
        },
        store="s.db",
        stored=2,
        values=("records", "count", (None, None)),
    ),
    csv(
        "missing-marker-not-declared-is-text",
        HEADER + "A, NULL ,,\n",
        stored=1,
        values=("records", "name", ("NULL",)),
    ),
    csv("number-with-spaces", HEADER + "A,x, 12 ,\n", stored=1, values=("records", "count", (12,))),
    csv(
        "excel-serial-date",
        "record_id,day\nA,45474\n",
        stored=1,
        values=("records", "day", (local(2024, 7, 1),)),
    ),
    csv("excel-serial-out-of-range", "record_id,day\nA,99999999\n", stored=0, quarantined=1),
    csv(
        "date-year-1",
        "record_id,day\nA,0001-01-01\n",
        stored=1,
        values=("records", "day", (local(1, 1, 1),)),
    ),
    csv(
        "date-year-9999",
        "record_id,day\nA,9999-12-31\n",
        stored=1,
        values=("records", "day", (local(9999, 12, 31),)),
    ),
    csv(
        "timestamp-year-1-before-the-epoch-can-hold",
        HEADER + "A,x,1,0001-01-01 00:00\n",
        stored=0,
        quarantined=1,
        reasons=("out of range",),
    ),
    csv(
        "timestamp-year-1-second-day",
        HEADER + "A,x,1,0001-01-02 00:00\n",
        stored=1,
        values=("records", "at", (local(1, 1, 2),)),
    ),
    csv(
        "timestamp-year-9999",
        HEADER + "A,x,1,9999-12-31 23:59\n",
        stored=1,
        values=("records", "at", (local(9999, 12, 31, 23, 59),)),
    ),
    csv(
        "timestamp-plain",
        HEADER + "A,x,1,2026-07-01 10:00\n",
        stored=1,
        values=("records", "at", (TS_2026_07_01_10H,)),
    ),
    csv(
        "integer-at-sqlite-max",
        HEADER + "A,x,9223372036854775807,\n",
        stored=1,
        values=("records", "count", (9223372036854775807,)),
    ),
    csv(
        "integer-beyond-sqlite",
        HEADER + "A,x,9223372036854775808,\nB,y,-9223372036854775809,\n",
        stored=0,
        quarantined=2,
    ),
    csv("integer-of-5000-digits", HEADER + "A,x," + "9" * 5000 + ",\n", stored=0, quarantined=1),
    csv(
        "number-of-5000-digits",
        "record_id,amount\nA," + "9" * 5000 + ".5\n",
        stored=0,
        quarantined=1,
    ),
    csv(
        "number-overflowing-to-infinity",
        "record_id,amount\nA,1e400\nB,-1e400\n",
        stored=0,
        quarantined=2,
    ),
    csv(
        "number-nan-and-inf-words",
        "record_id,amount\nA,nan\nB,inf\nC,Infinity\n",
        stored=0,
        quarantined=3,
    ),
    csv(
        "number-plain",
        "record_id,amount\nA,12.5\nB,-0.25\n",
        stored=2,
        values=("records", "amount", (12.5, -0.25)),
    ),
    csv(
        "duplicate-keys",
        HEADER + "A,x,1,\nA,y,2,\nB,z,3,\n",
        stored=2,
        quarantined=1,
        values=("records", "name", ("x", "z")),
    ),
    csv("empty-key", HEADER + ",x,1,\nB,z,3,\n", stored=1, quarantined=1),
    csv("boolean-words", "record_id,flag\nA,yes\nB,maybe\n", stored=1, quarantined=1),
    csv(
        "enum-case-and-unknown",
        "record_id,channel\nA,PHONE\nB,fax\n",
        stored=1,
        quarantined=1,
        values=("records", "channel", ("phone",)),
    ),
    csv(
        "formula-and-script-kept-inert",
        HEADER + 'A,"=HYPERLINK(""x"")",1,\nB,<script>,2,\n',
        stored=2,
        values=("records", "name", ('=HYPERLINK("x")', "<script>")),
    ),
    csv(
        "zip-named-csv",
        b"PK\x03\x04" + bytes(200),
        exit=2,
        error=("{tmp}/ev/records.csv",),
        store=None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_csv(case: Case, tmp_path) -> None:
    run_case(case, tmp_path)
