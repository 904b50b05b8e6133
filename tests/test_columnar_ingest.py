"""Reading a CSV file column-wise (Arrow) stores and quarantines exactly what the row reader does.

Each case ingests the same bytes twice into fresh stores, once row by row and once
column-wise, and compares everything the store holds: the records, the quarantine
(line, column, value, reason, raw record) and the manifest's counts.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import auditor.columnar as columnar
import auditor.ingest as ingest_module
from auditor.backends.store import EvidenceStore
from auditor.ingest import ingest

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the pack's zone
HEADER = "interaction_id,channel,site,agent_id,received_at,answered_at,ended_at"


def _stored(
    pack, folder: Path, db: Path, way: str, monkeypatch, kind: str = "interactions"
) -> dict:
    monkeypatch.setattr(columnar, "MIN_COLUMNAR_BYTES", 1 << 62 if way == "rows" else 0)
    # column-wise, DuckDB looks for repeated keys in every file of these tests, and its
    # answer is awaited before the first batch (else taken when it comes)
    monkeypatch.setattr(ingest_module, "DISTINCT_KEYS_BYTES", 1 << 62 if way == "rows" else 0)
    monkeypatch.setattr(ingest_module._ColumnarLoad, "answer_first", True)
    # a new store for the DuckDB engine keeps its records in DuckDB
    store = EvidenceStore(str(db), engine="duckdb" if way == "duckdb" else "sqlite")
    assert (store.duckdb_tables is not None) == (way == "duckdb")
    report = ingest(pack, folder, store)
    records = _records(store, kind)
    if way == "duckdb" and records:
        KEPT_IN_DUCKDB.append(len(records))
    store.close()
    con = sqlite3.connect(db)
    tables = {name for (name,) in con.execute("select name from sqlite_master where type='table'")}
    out = {
        "records": records,
        "quarantine": con.execute(
            "select line, kind, column, raw_value, reason, record from _quarantine order by line"
        ).fetchall()
        if "_quarantine" in tables
        else [],
        "files": [(f.rows_read, f.stored, f.quarantined, f.status, f.reason) for f in report.files],
    }
    con.close()
    return out


#: the records of the ingests whose store kept them in DuckDB
KEPT_IN_DUCKDB: list[int] = []


def _records(store: EvidenceStore, table: str) -> list[tuple]:
    """A table's rows in line order, wherever the store keeps them (SQLite or DuckDB)."""
    if table not in store.table_names():
        return []
    rows = [tuple(r.values()) for t in store.arrow_batches(table) for r in t.to_pylist()]
    names = store.arrow_schema(table).names
    return sorted(rows, key=lambda row: row[names.index("_line")])


def _both(
    pack, tmp_path: Path, content: bytes, monkeypatch, kind: str = "interactions"
) -> tuple[dict, dict]:
    """What the row reader stores, and what the column-wise pass stores (Arrow's reader and
    DuckDB's give the same, or the comparison fails here)."""
    folder = tmp_path / "evidence"
    folder.mkdir(exist_ok=True)
    (folder / f"{kind}.csv").write_bytes(content)
    results = {}
    for way in ("rows", "arrow", "duckdb"):
        db = tmp_path / f"store-{way}.db"
        db.unlink(missing_ok=True)
        for leftover in db.parent.glob(db.name + "[-.]*"):  # a WAL, DuckDB's records file
            leftover.unlink()
        results[way] = _stored(pack, folder, db, way, monkeypatch, kind)
    assert results["duckdb"] == results["arrow"]
    return results["rows"], results["arrow"]


@pytest.fixture
def pack(root):
    from auditor.pack import load_pack

    return load_pack(root / "rules" / "service-quality.yaml")


def _rows(n: int, start: int = 0) -> list[str]:
    return [
        f"I{i:06d},phone,BJ,A{i % 7:03d},2026-07-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:05,"
        f"2026-07-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:20,"
        f"2026-07-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:59"
        for i in range(start, start + n)
    ]


CASES = {
    "plain": "\n".join([HEADER, *_rows(1200)]) + "\n",
    "no final line feed": "\n".join([HEADER, *_rows(1200)]),
    "crlf": "\r\n".join([HEADER, *_rows(1200)]) + "\r\n",
    "blank line": "\n".join([HEADER, *_rows(600), "", *_rows(600, 600)]) + "\n",
    "blank lines at the end": "\n".join([HEADER, *_rows(700)]) + "\n\n\n",
    "short row": "\n".join([HEADER, *_rows(600), "I9,phone", *_rows(600, 600)]) + "\n",
    "long row with empty extras": "\n".join(
        [HEADER, *_rows(5), _rows(1, 9)[0] + ",,", *_rows(5, 20)]
    ),
    "long row": "\n".join([HEADER, *_rows(5), _rows(1, 9)[0] + ",x", *_rows(5, 20)]),
    "bom at the start": "\ufeff" + "\n".join([HEADER, *_rows(800)]) + "\n",
    "bom inside": "\n".join([HEADER, *_rows(600), "\ufeff" + _rows(1, 700)[0], *_rows(10, 800)]),
    "duplicate keys": "\n".join([HEADER, *_rows(700), *_rows(30, 100)]) + "\n",
    "bad values": "\n".join(
        [
            HEADER,
            *_rows(600),
            "I900001,fax,BJ,A1,2026-07-01 10:00:00,,",
            "I900002,phone,BJ,A1,2026-02-30 10:00:00,,",
            "I900003,phone,BJ,A1,,,",
            "I900004,phone, NULL ,A1,2026-07-01 10:00:00,-,?",
            "I900005,phone,BJ,A1,2026-07-01 25:00:00,,",
            "I900006,  phone ,BJ,A1,2026-07-01T10:00:00,2026-07-01 10:00,NULL",
            *_rows(600, 2000),
        ]
    ),
    "day-first dates": "\n".join(
        [HEADER, *_rows(600), "I900001,phone,BJ,A1,25/07/2026 10:00,,", *_rows(5, 3000)]
    ),
    "ambiguous dates first": "\n".join(
        [
            HEADER,
            "I900001,phone,BJ,A1,05/07/2026 10:00,,",
            *_rows(600),
            "I900002,phone,BJ,A1,25/07/2026 10:00,,",
        ]
    ),
    "chinese parts of the day": "\n".join(
        [
            HEADER,
            *_rows(600),
            "I900001,phone,BJ,A1,2026/7/1 晚上 8:00:05,2026/7/1 晚上8:00:20,",
            "I900002,phone,BJ,A1,2026/7/1中午1:05,,2026/7/1 1:09 中午",
            "I900003,phone,BJ,A1,2026/7/1 凌晨 12:30,2026/7/1 凌晨 9:00,",
            "I900004,phone,BJ,A1,2026/7/1 晚上 3:00,,",
            "I900005,phone,BJ,A1,2026/7/1 早上 7:00,2026/7/1 傍晚 6:00,",
            *_rows(600, 2000),
        ]
    ),
    "chinese units, dots and days of the week": "\n".join(
        [
            HEADER,
            *_rows(600),
            "I900001,phone,BJ,A1,2024年3月5日15时20分,2024年3月5日 15点20分30秒,",
            "I900002,phone,BJ,A1,2024.3.5 15:20,2024.03.05 15:20:00,2024年3月5日下午3点20分",
            "I900003,phone,BJ,A1,2024年3月5日 星期二 15:20,2024/3/5 周二 下午3:21,",
            "I900004,phone,BJ,A1,2024年3月5日 星期三 15:20,,",
            *_rows(600, 2000),
        ]
    ),
    "semicolons": "\n".join([HEADER.replace(",", ";"), *(r.replace(",", ";") for r in _rows(700))]),
    "lone carriage returns": "\r".join([HEADER, *_rows(700)]) + "\r",
    "header only": HEADER + "\n",
    "quoted header": '"' + HEADER.replace(",", '","') + '"\n' + "\n".join(_rows(900)) + "\n",
    "header with a line break": '"interaction_id","channel\n",site,agent_id,received_at,'
    "answered_at,ended_at\n" + "\n".join(_rows(900)),
    "a quoted value": "\n".join(
        [HEADER, *_rows(600), 'I900001,phone,"B,J",A1,2026-07-01 10:00:00,,']
    ),
    "every value quoted": "\n".join(
        ['"' + line.replace(",", '","') + '"' for line in [HEADER, *_rows(900)]]
    ),
    "quoted, escaped and empty": "\n".join(
        [
            HEADER,
            *_rows(600),
            'I900001,phone,"B""J",A1,2026-07-01 10:00:00,"",""',
            'I900002,"phone","""BJ""",A1,"2026-07-01 10:00:00",,',
            *_rows(5, 3000),
        ]
    ),
    "text after a closing quote": "\n".join(
        [HEADER, *_rows(600), 'I900001,phone,"B"J,A1,2026-07-01 10:00:00,,', *_rows(5, 3000)]
    ),
    "a quote inside a plain value": "\n".join(
        [HEADER, *_rows(600), 'I900001,phone,B"J,A1,2026-07-01 10:00:00,,', *_rows(5, 3000)]
    ),
    "a line break inside quotes": "\n".join(
        [HEADER, *_rows(600), 'I900001,phone,"B\nJ",A1,2026-07-01 10:00:00,,', *_rows(5, 3000)]
    ),
    "a carriage return inside quotes": "\n".join(
        [HEADER, *_rows(600), 'I900001,phone,"B\rJ",A1,2026-07-01 10:00:00,,', *_rows(5, 3000)]
    ),
    "a quote left open": "\n".join(
        [HEADER, *_rows(600), 'I900001,phone,"BJ,A1,2026-07-01 10:00:00,,', *_rows(5, 3000)]
    ),
    "quoted semicolons in a comma file": "\n".join(
        [HEADER, *_rows(600), 'I900001,phone,BJ;"x";y,A1,2026-07-01 10:00:00,,']
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_column_wise_equals_row_by_row(name, pack, tmp_path, monkeypatch):
    rows, columns = _both(pack, tmp_path, CASES[name].encode("utf-8"), monkeypatch)
    assert columns == rows


def test_chinese_parts_of_the_day_are_read_alike_every_way(pack, tmp_path, monkeypatch):
    """晚上 8:00:05 is 20:00:05 row by row and column-wise; 凌晨 9:00 and 晚上 3:00 are
    quarantined both ways with the same reason."""
    content = CASES["chinese parts of the day"].encode()
    rows, columns_read = _both(pack, tmp_path, content, monkeypatch)
    assert columns_read == rows
    assert rows["files"][0][:3] == (1205, 1203, 2)
    received = {record[0]: record[4] for record in rows["records"]}
    at = {
        key: datetime(2026, 7, 1, *clock, tzinfo=SHANGHAI).timestamp()
        for key, clock in [("I900001", (20, 0, 5)), ("I900002", (13, 5)), ("I900005", (7, 0))]
    }
    assert {key: received[key] for key in at} == at
    assert [q[3:5] for q in rows["quarantine"]] == [
        (
            "2026/7/1 凌晨 9:00",
            "answered_at: '2026/7/1 凌晨 9:00' is not a valid date/time: 凌晨 (small hours, "
            "0:00-5:59) does not go with hour 9",
        ),
        (
            "2026/7/1 晚上 3:00",
            "received_at: '2026/7/1 晚上 3:00' is not a valid date/time: 晚上 (evening, "
            "17:00-23:59) does not go with hour 3",
        ),
    ]


def test_chinese_units_dots_and_days_of_the_week_are_read_alike_every_way(
    pack, tmp_path, monkeypatch
):
    """15时20分, 15点20分30秒, 下午3点20分, 2024.3.5 15:20 and a day of the week after the date
    are read row by row, column-wise and by DuckDB alike; a day of the week that is not the
    date's is quarantined every way with the same reason."""
    content = CASES["chinese units, dots and days of the week"].encode()
    rows, columns_read = _both(pack, tmp_path, content, monkeypatch)
    assert columns_read == rows
    at_1520 = datetime(2024, 3, 5, 15, 20, tzinfo=SHANGHAI).timestamp()
    times = {record[0]: record[4:7] for record in rows["records"]}
    assert times["I900001"] == (at_1520, at_1520 + 30, None)
    assert times["I900002"] == (at_1520, at_1520, at_1520)
    assert times["I900003"] == (at_1520, at_1520 + 60, None)
    assert [q[3:5] for q in rows["quarantine"]] == [
        (
            "2024年3月5日 星期三 15:20",
            "received_at: '2024年3月5日 星期三 15:20' is not a valid date/time: 星期三 is not the "
            "day of the week of 2024-03-05, a Tuesday (星期二)",
        ),
    ]


def test_invalid_utf8_and_dst_gap(pack, tmp_path, monkeypatch):
    lines = [HEADER.encode(), *(r.encode() for r in _rows(700))]
    lines.insert(300, b"I900001,phone,B\xff\xfe,A1,2026-07-01 10:00:00,,")
    rows, columns = _both(pack, tmp_path, b"\n".join(lines) + b"\n", monkeypatch)
    assert columns == rows
    assert any("not valid" in q[4] for q in rows["quarantine"])


@pytest.mark.parametrize(
    "bad",
    [
        b"I900001,phone,\xd6\xd0\xce\xc4,A1,2026-07-01 10:00:00,,",
        b"I900001,phone," + b"B" * 3_000_000 + b",A1,,,",
    ],
)
def test_a_bad_line_far_into_the_file_is_quarantined_on_every_reader(
    pack, tmp_path, monkeypatch, bad
):
    """Bytes of another encoding, or a line longer than DuckDB reads, past its first buffers:
    DuckDB's reader fails there (not at once), and the file is read row by row as by the
    others, the one row quarantined."""
    lines = [HEADER.encode(), *(r.encode() for r in _rows(16_000))]
    lines[1] = lines[1].replace(b",BJ,", ",北京,".encode())  # a UTF-8 file, from its start
    lines.insert(15_001, bad)
    rows, columns = _both(pack, tmp_path, b"\n".join(lines) + b"\n", monkeypatch)
    assert columns == rows
    assert len(rows["quarantine"]) == 1 and rows["quarantine"][0][0] == 15_002


@pytest.mark.parametrize("form", ["%Y-%d-%m %H:%M:%S", "%d/%m/%Y %H:%M:%S"])
def test_a_mapping_s_time_format_holds_column_wise(pack, tmp_path, monkeypatch, form):
    """A mapping that gives a time column its format is read by that format column-wise too:
    year-day-month values stored as such, and values not in a day-first form quarantined."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    columns = "".join(f"  {n}: {n}\n" for n in HEADER.split(",") if n != "received_at")
    (folder / "interactions.mapping.yaml").write_text(
        f"kind: interactions\ncolumns:\n{columns}"
        f'  received_at: {{column: received_at, format: "{form}"}}\n'
    )
    rows, columns_read = _both(pack, tmp_path, CASES["plain"].encode(), monkeypatch)
    assert columns_read == rows
    if form.startswith("%Y"):
        # 2026-07-DD read as year-day-month: only DD 01-12 is a month (42 x 12 + 12 of 1,200)
        assert len(rows["records"]) == 516 and len(rows["quarantine"]) == 684
        assert rows["records"][0][4] == datetime(2026, 1, 7, 0, 0, 5, tzinfo=SHANGHAI).timestamp()
    else:
        assert not rows["records"] and len(rows["quarantine"]) == 1200


def test_a_plain_file_is_read_column_wise(pack, tmp_path, monkeypatch):
    # The comparison above only means something if the column-wise pass really runs.
    taken = []
    original = columnar.csv_columns

    def watched(*args, **kwargs):
        taken.append(args[-1])
        yield from original(*args, **kwargs)

    monkeypatch.setattr("auditor.ingest.csv_columns", watched)
    # and records kept in DuckDB are stored from the converter's own arrays where it kept them
    from auditor.backends import duckdb_records

    made_from_values = []
    from_values = duckdb_records._from_values

    def spied(values, kind):
        made_from_values.append(str(kind))
        return from_values(values, kind)

    monkeypatch.setattr(duckdb_records, "_from_values", spied)
    KEPT_IN_DUCKDB.clear()
    rows, columns = _both(pack, tmp_path, CASES["plain"].encode(), monkeypatch)
    assert taken == ["arrow", "duckdb"] and columns == rows and len(rows["records"]) == 1200
    taken.clear()
    rows, columns = _both(pack, tmp_path, CASES["quoted header"].encode(), monkeypatch)
    assert taken == ["arrow", "duckdb"] and columns == rows and len(rows["records"]) == 900
    assert KEPT_IN_DUCKDB == [1200, 900]
    # none of the nine columns of each of the two files is made from Python values: the id,
    # channel, site, agent and the three times are the arrays the converter read them from,
    # the source and the line arrays made for the batch
    assert made_from_values == []


cell = st.one_of(
    st.sampled_from(["", " ", "NULL", " - ", "?", "phone", "chat", "電話", "BJ", "A001"]),
    st.sampled_from(
        [
            "2026-07-01 10:00:00",
            "2026-07-01 10:00",
            "2026-13-01 10:00:00",
            "2026-07-01 23:59:59",
            "07/05/2026 10:00",
            "2026-07-01T10:00:00+02:00",
            "2026-07-01",
            "x",
        ]
    ),
    st.text(alphabet='ab ,;\t\r\n\ufeff\u3000é-:0123456789"', max_size=6),
    st.text(alphabet='ab ,"\n', max_size=5).map(lambda t: '"' + t.replace('"', '""') + '"'),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cell, min_size=6, max_size=8), min_size=1, max_size=30), st.booleans())
def test_generated_files(pack, tmp_path, monkeypatch, table, final_newline):
    lines = [HEADER]
    for n, values in enumerate(table):
        lines.append(",".join([f"K{n % 23}", *values]))
    text = "\n".join(lines) + ("\n" if final_newline else "")
    rows, columns = _both(pack, tmp_path, text.encode("utf-8"), monkeypatch)
    assert columns == rows


few = st.sampled_from(
    [
        "phone",
        " phone",
        "phone\u3000",
        "电话",
        "fax",
        "",
        "NULL",
        " - ",
        "?",
        "BJ",
        "\x1cBJ",
        "A001",
    ]
)
channel_spellings = st.sampled_from(["phone", " phone", "phone\u3000", "电话", "chat", "email "])
site_names = st.sampled_from(["BJ", "\x1cBJ", " SH", "电话", "A001", "NULLS"])


@settings(max_examples=25, deadline=None)
@given(
    st.lists(channel_spellings, min_size=1, max_size=5),
    st.lists(site_names, min_size=1, max_size=5),
    st.lists(few, min_size=1, max_size=5),
    st.integers(0, 2**16),
    st.sampled_from([None, "fax", ""]),
)
def test_few_valued_columns_in_long_files(
    pack, tmp_path, monkeypatch, channels, sites, agents, seed, odd
):
    """Columns of a few distinct values, in batches long enough to be read through their
    distinct values (Arrow's dictionary encoding): spaces of every kind, markers, aliases,
    and (``odd``) one channel the enum refuses or leaves empty, give what the row reader gives."""
    import random

    chance = random.Random(seed)
    lines = [HEADER]
    for n in range(700):
        lines.append(
            f"I{n:05d},{chance.choice(channels)},{chance.choice(sites)},{chance.choice(agents)},"
            f"2026-07-01 10:{n % 60:02d}:00,,2026-07-01 11:00:00"
        )
    if odd is not None:
        at = chance.randrange(1, len(lines))
        cells = lines[at].split(",")
        lines[at] = ",".join([cells[0], odd, *cells[2:]])
    rows, columns = _both(pack, tmp_path, ("\n".join(lines) + "\n").encode(), monkeypatch)
    assert columns == rows


def test_quotes_across_the_digest_chunks(pack, tmp_path, monkeypatch):
    # Over 1 MB of quoted values, so that quotes fall on both sides of the digest's 1 MB chunks.
    lines = [HEADER]
    for i, row in enumerate(_rows(16_000)):
        cells = row.split(",")
        cells[2] = f'"B, ""{i % 97}"""' if i % 3 else cells[2]
        lines.append(",".join(cells))
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) > 1 << 20
    rows, columns = _both(pack, tmp_path, content, monkeypatch)
    assert columns == rows and len(rows["records"]) == 16_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", ",", '"', '""', "\n", "\r\n", "\r", "b,c"]), max_size=30))
def test_quote_scan_agrees_with_the_csv_module(pieces):
    """Plain quoting by the scan means Python's csv module reads every row from one line."""
    import csv
    import io

    from auditor.columnar import QuoteScan

    text = "".join(pieces)
    scan = QuoteScan()
    data = text.encode()
    for start in range(0, len(data), 3):  # tiny chunks: every boundary case
        scan.feed(data[start : start + 3])
    if not scan.finish() or not scan.neighbours <= {ord(",")}:
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = list(reader)  # strict: raises on a quote the scan should have refused
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    assert len(rows) == len(physical)


H = HEADER.encode()
ROW = b",phone,BJ,A1,2026-07-01 10:00:00,,"


@pytest.mark.parametrize(
    "content",
    [
        # a lone CR and a blank line: line counts that cancel out must not pass
        H + b"\nI1" + ROW + b"\r\r\nI2" + ROW + b"\nI2,fax,BJ,A1,2026-07-01 10:00:00,,\n",
        H + b"\nI1" + ROW + b"\rI2" + ROW + b"\n\nI3" + ROW + b"\nI3" + ROW + b"\n",
        H + b"\nI1" + ROW + b"\nI2" + ROW + b"\r",  # a lone CR at the very end
        # a \x01 byte is text (DuckDB's reader would read it as no value)
        H + b"\nI1" + ROW + b"\nI2,phone,\x01,A1,2026-07-01 10:00:00,,\n",
        H + b"\nI1" + ROW + b"\nI2,phone,BJ,\x01,2026-07-01 10:00:00,,\n",
    ],
    ids=[
        "lone-cr-and-blank",
        "lone-cr-blank-duplicate",
        "lone-cr-at-end",
        "x01-required",
        "x01-optional",
    ],
)
def test_reviewed_cases(pack, tmp_path, monkeypatch, content):
    rows, columns = _both(pack, tmp_path, content, monkeypatch)
    assert columns == rows


def test_a_marker_written_as_a_time_is_no_value_in_every_batch(root, tmp_path, monkeypatch):
    """A mapping's missing-value marker that is also a valid time is no value wherever it
    falls (in a batch converted column-wise or row by row), as written or padded."""
    from auditor.pack import load_pack

    pack = load_pack(root / "rules" / "service-quality.yaml")
    lines = [HEADER, *_rows(6000)]
    lines[10] = "I900010,phone,BJ,A1,2026-07-01 10:00:00, 1900-01-01 00:00:00 ,"
    lines[11] = "I900011,phone,BJ,A1,2026-07-01 10:00:00,1900-01-01 00:00:00,"
    lines[5500] = "I905500,fax,BJ,A1,2026-07-01 10:00:00,,"
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "interactions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "interactions.mapping.yaml").write_text(
        'kind: interactions\nmissing: ["1900-01-01 00:00:00"]\ncolumns:\n'
        + "".join(f"  {name}: {name}\n" for name in HEADER.split(",")),
        encoding="utf-8",
    )
    results = {}
    for way in ("rows", "arrow"):
        db = tmp_path / f"{way}.db"
        results[way] = _stored(pack, folder, db, way, monkeypatch)
    assert results["arrow"] == results["rows"]
    answered = {r[0]: r[5] for r in results["rows"]["records"]}
    assert (answered["I900010"], answered["I900011"]) == (None, None), results["rows"]["files"]


def test_a_delimiter_beyond_ascii_is_read_row_by_row(pack, tmp_path, monkeypatch):
    folder = tmp_path / "evidence"
    folder.mkdir()
    text = "\n".join(line.replace(",", "，") for line in [HEADER, *_rows(50)]) + "\n"
    (folder / "interactions.csv").write_text(text, encoding="utf-8")
    (folder / "interactions.mapping.yaml").write_text(
        'kind: interactions\nreader: {delimiter: "，"}\ncolumns:\n'
        + "".join(f"  {name}: {name}\n" for name in HEADER.split(",")),
        encoding="utf-8",
    )
    results = {
        w: _stored(pack, folder, tmp_path / f"{w}.db", w, monkeypatch) for w in ("rows", "arrow")
    }
    assert results["arrow"] == results["rows"] and len(results["rows"]["records"]) == 50


def test_a_store_in_memory_is_written_column_wise_too(pack, tmp_path, monkeypatch):
    """A dry run's store in memory takes the column-wise pass and its second storing thread."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "interactions.csv").write_text("\n".join([HEADER, *_rows(30_000)]) + "\n")
    monkeypatch.setattr(columnar, "MIN_COLUMNAR_BYTES", 0)
    store = EvidenceStore(None)
    report = ingest(pack, folder, store)
    assert [(f.rows_read, f.stored, f.status) for f in report.files] == [(30_000, 30_000, "ok")]
    assert store.db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0] == 30_000
    store.close()


# ---------------------------------------------------------------- keys found distinct first

key_spellings = st.sampled_from(
    ["K1", "K2", "K3", " K1", "K1 ", "K1\u3000", "\x1cK2", "K2\xa0", '"K3"', "键", "\t键"]
)
no_keys = st.lists(st.sampled_from(["", "NULL", "-", " - "]), max_size=2, unique=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(key_spellings, min_size=1, max_size=8, unique=True), no_keys, st.integers(0, 3))
@example(["K1", " K1"], [], 0)
def test_keys_found_distinct_first_or_not(pack, tmp_path, monkeypatch, keys, markers, repeats):
    """Keys that differ only by edge whitespace, markers, empty keys, quoted keys and repeats:
    whether DuckDB's look at the keys lets the file skip the key index or not, the column-wise
    passes store and quarantine what the row reader does."""
    keys = keys + markers
    rows = [
        f"{key},{line[line.index(',') + 1 :]}"
        for key, line in zip(keys, _rows(len(keys)), strict=True)
    ]
    rows += rows[:repeats]
    rows += [r.replace(",", "X,", 1) for r in _rows(600)]  # distinct keys of their own
    rows_read, columns = _both(pack, tmp_path, "\n".join([HEADER, *rows]).encode(), monkeypatch)
    assert columns == rows_read


def _keys_checked(monkeypatch) -> list[tuple[str, bool | str]]:
    """(file, whether its keys were found new and distinct up front) of each column-wise load;
    "counted" for one that stored them without look-ups, DuckDB counting them after."""
    checked: list[tuple[str, bool | str]] = []
    load = ingest_module._ColumnarLoad
    start, answer, trusted = load._keys_check, load._keys_distinct, load._keys_trusted

    def trusting(self, *args):
        if trusted(self, *args):
            checked.append((Path(self.report.path).name, "counted"))
            return True
        return False

    def started(self, *args):
        check = start(self, *args)
        if check is None:  # not looked at: the keys are looked up
            checked.append((Path(self.report.path).name, False))
        return check

    def answered(self, *args):
        checked.append((Path(self.report.path).name, answer(self, *args)))
        return checked[-1][1]

    monkeypatch.setattr(load, "_keys_check", started)
    monkeypatch.setattr(load, "_keys_distinct", answered)
    monkeypatch.setattr(load, "_keys_trusted", trusting)
    return checked


def _every_way(pack, folder: Path, tmp_path: Path, monkeypatch) -> dict[str, dict]:
    """What the row reader and the two column-wise passes store from ``folder``."""
    return {
        way: _stored(pack, folder, tmp_path / f"{way}.db", way, monkeypatch)
        for way in ("rows", "arrow", "duckdb")
    }


def _two_files_of_a_kind(tmp_path: Path) -> Path:
    """3,000 interactions, then a second file repeating five of their keys (I002990-4)."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "a-interactions.csv").write_text("\n".join([HEADER, *_rows(3000)]) + "\n")
    (folder / "b-interactions.csv").write_text("\n".join([HEADER, *_rows(5, 2990)]) + "\n")
    return folder


def test_a_file_of_distinct_keys_skips_the_index(pack, tmp_path, monkeypatch):
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "interactions.csv").write_text("\n".join([HEADER, *_rows(3000)]) + "\n")
    (folder / "tickets.csv").write_text("ticket_id,category,opened_at\nT1,billing,2026-07-01\n")
    checked = _keys_checked(monkeypatch)
    results = _every_way(pack, folder, tmp_path, monkeypatch)
    # the tickets file is too small to be looked at; a store kept in DuckDB counts the keys
    # once they are stored
    assert checked == [("interactions.csv", True), ("interactions.csv", "counted")]
    assert results["arrow"] == results["rows"] and results["duckdb"] == results["rows"]
    assert len(results["rows"]["records"]) == 3000


def test_a_repeated_key_counted_after_storing_has_the_file_read_again(pack, tmp_path, monkeypatch):
    """Stored without look-ups into a store kept in DuckDB, a file whose keys DuckDB then
    finds repeated is rolled back and read again with its keys looked up: the repeat is
    quarantined naming the first line, as the row reader has it."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    rows = _rows(3000)
    (folder / "interactions.csv").write_text("\n".join([HEADER, *rows, rows[7]]) + "\n")
    checked = _keys_checked(monkeypatch)
    others = ingest_module.Ingest._others_wrote
    wrote: list[bool] = []  # the file's id, rolled back, is not taken for another process's
    monkeypatch.setattr(
        ingest_module.Ingest, "_others_wrote", lambda self: wrote.append(others(self)) or wrote[-1]
    )
    results = _every_way(pack, folder, tmp_path, monkeypatch)
    assert wrote and not any(wrote)
    assert checked == [
        ("interactions.csv", False),  # arrow: the check's answer is no
        ("interactions.csv", "counted"),  # duckdb: stored, counted, found repeated
        ("interactions.csv", False),  # and read again, looked up
    ]
    assert results["arrow"] == results["rows"] and results["duckdb"] == results["rows"]
    ((line, *_, reason, _record),) = results["rows"]["quarantine"]
    assert line == 3002 and "interactions.csv:9" in reason


def test_files_of_one_kind_are_looked_up_in_the_index(pack, tmp_path, monkeypatch):
    """A file of distinct keys followed by another file of its kind is indexed as it is read:
    the second file's repeats of its keys are quarantined naming the first file's line, as
    the row reader has it."""
    folder = _two_files_of_a_kind(tmp_path)
    checked = _keys_checked(monkeypatch)
    results = _every_way(pack, folder, tmp_path, monkeypatch)
    assert checked == [("a-interactions.csv", False), ("b-interactions.csv", False)] * 2
    assert results["arrow"] == results["rows"] and results["duckdb"] == results["rows"]
    reasons = [q[4] for q in results["rows"]["quarantine"]]
    assert len(reasons) == 5 and all("a-interactions.csv:" in r for r in reasons)
    assert "a-interactions.csv:2992" in reasons[0]  # I002990 is on the file's line 2992


def test_a_file_whose_kind_is_found_later_anyway_is_checked_against_the_store(
    pack, tmp_path, monkeypatch
):
    """Had a later file's kind been taken for another, its keys are still looked up: the
    index is made from the store when that file comes."""
    folder = _two_files_of_a_kind(tmp_path)
    monkeypatch.setattr(ingest_module.Ingest, "kind_read_later", lambda self, kind: False)
    checked = _keys_checked(monkeypatch)
    results = _every_way(pack, folder, tmp_path, monkeypatch)
    assert checked == [
        ("a-interactions.csv", True),
        ("b-interactions.csv", False),
        ("a-interactions.csv", "counted"),
        ("b-interactions.csv", False),
    ]
    assert results["arrow"] == results["rows"] and results["duckdb"] == results["rows"]
    assert len(results["rows"]["quarantine"]) == 5


def test_python_s_whitespace_is_the_set_duckdb_is_given():
    from auditor.columnar import PYTHON_WHITESPACE

    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == PYTHON_WHITESPACE


def test_the_key_check_runs_beside_the_conversion_and_is_stopped_when_not_needed(
    pack, tmp_path, monkeypatch
):
    """DuckDB's look at the keys runs on a thread of its own while the file is converted:
    a file converted before it answers keeps its index (and stores what the row reader
    does), and the check still running is interrupted, its thread ended."""
    import threading

    from auditor.backends import duckdb as duckdb_backend

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "interactions.csv").write_text("\n".join([HEADER, *_rows(3000)]) + "\n")
    gate = threading.Event()  # the check answers only once the file is converted
    stopped: list[bool] = []

    class Slow(duckdb_backend.DistinctKeysCheck):
        def _run(self, query, params):
            gate.wait(30)
            super()._run(query, params)

        def stop(self):
            stopped.append(self.thread.is_alive())
            gate.set()
            super().stop()
            assert not self.thread.is_alive()

    monkeypatch.setattr(duckdb_backend, "DistinctKeysCheck", Slow)
    checked = _keys_checked(monkeypatch)
    monkeypatch.setattr(columnar, "MIN_COLUMNAR_BYTES", 0)
    monkeypatch.setattr(ingest_module, "DISTINCT_KEYS_BYTES", 0)
    store = EvidenceStore(str(tmp_path / "e.db"))
    report = ingest(pack, folder, store)
    assert checked == [] and stopped == [True]  # converted before the answer came
    assert report.files[0].stored == 3000 and store.count("interactions") == 3000
    rows = _stored(pack, folder, tmp_path / "rows.db", "rows", monkeypatch)
    assert len(rows["records"]) == 3000
    store.close()


def test_a_key_check_that_fails_leaves_the_index_in_use(pack, tmp_path, monkeypatch):
    """A check DuckDB cannot finish (an error, an interrupt) gives no answer: the keys are
    looked up as usual."""
    import duckdb

    from auditor.backends.duckdb import DistinctKeysCheck

    class Broken:
        def execute(self, *args, **kwargs):
            raise RuntimeError("Query interrupted")

        def interrupt(self):
            pass

        def close(self):
            pass

    monkeypatch.setattr(duckdb, "connect", lambda *args, **kwargs: Broken())
    monkeypatch.setattr("auditor.backends.duckdb._quiet", lambda con: None)
    check = DistinctKeysCheck("x.csv", ",", 2, 0, set())
    assert check.rows() is None and check.done()
    check.stop()


def test_an_answer_that_comes_part_way_drops_the_index_and_the_next_file_is_still_checked(
    pack, tmp_path, monkeypatch
):
    """The check answers after the first block is converted (through the index): the index
    made so far is dropped then, the rest of the file skips it, and a later file of the kind
    still finds its repeats (through an index made from the store), as the row reader does."""
    from auditor.backends import duckdb as duckdb_backend

    folder = _two_files_of_a_kind(tmp_path)
    monkeypatch.setattr(ingest_module.Ingest, "kind_read_later", lambda self, kind: False)
    real_columns = columnar._arrow_columns
    monkeypatch.setattr(  # blocks of about 200 rows: the file comes in many
        columnar, "_arrow_columns", lambda *args: real_columns(*args, block_bytes=16 << 10)
    )
    polls: list[int] = []

    class Late(duckdb_backend.DistinctKeysCheck):
        def done(self) -> bool:  # not yet at the first block, in at the second
            polls.append(1)
            if len(polls) == 1:
                return False
            self.thread.join()
            return True

    monkeypatch.setattr(duckdb_backend, "DistinctKeysCheck", Late)
    monkeypatch.setattr(columnar, "MIN_COLUMNAR_BYTES", 0)
    monkeypatch.setattr(ingest_module, "DISTINCT_KEYS_BYTES", 0)
    indexed: list[tuple[str, bool]] = []  # (file, the kind's index held) per block
    real_convert = ingest_module._ColumnarLoad._convert

    def convert(self, columns, lines):
        indexed.append((Path(self.report.path).name, "interactions" in self.ingest.seen))
        real_convert(self, columns, lines)

    monkeypatch.setattr(ingest_module._ColumnarLoad, "_convert", convert)
    checked = _keys_checked(monkeypatch)
    store = EvidenceStore(str(tmp_path / "late.db"))
    report = ingest(pack, folder, store)
    store.close()
    a_blocks = [held for name, held in indexed if name == "a-interactions.csv"]
    # b's kind holds keys by then: its keys are looked up
    assert checked == [("a-interactions.csv", True), ("b-interactions.csv", False)]
    assert a_blocks[0] and not any(a_blocks[1:]) and len(a_blocks) > 3
    assert [(f.stored, f.quarantined) for f in report.files] == [(3000, 0), (0, 5)]
    monkeypatch.setattr(ingest_module._ColumnarLoad, "_convert", real_convert)
    rows = _stored(pack, folder, tmp_path / "rows.db", "rows", monkeypatch)
    con = sqlite3.connect(tmp_path / "late.db")
    quarantine = con.execute(
        "select line, kind, column, raw_value, reason, record from _quarantine order by line"
    ).fetchall()
    records = con.execute("select * from interactions order by _line").fetchall()
    con.close()
    assert quarantine == rows["quarantine"] and records == rows["records"]


def _long_check(started: list) -> type:
    """A key check whose query runs for minutes unless it is interrupted."""
    from auditor.backends import duckdb as duckdb_backend

    class Long(duckdb_backend.DistinctKeysCheck):
        def __init__(self, *args):
            super().__init__(*args)
            started.append(self)

        def _run(self, query, params):
            super()._run("SELECT count(*), count(DISTINCT hash(range)), 0 FROM range(1e11)", {})

    return Long


def test_stopping_a_running_check_interrupts_its_query_and_removes_its_folder():
    started: list = []
    check = _long_check(started)("x.csv", ",", 2, 0, set())
    time.sleep(0.3)  # the query under way
    stopper = threading.Thread(target=check.stop, daemon=True)
    stopper.start()
    stopper.join(60)
    assert not stopper.is_alive() and not check.thread.is_alive()
    assert check.rows() is None and not Path(check.folder.name).exists()


def test_a_check_stopped_before_its_query_starts_does_not_run_it():
    """DuckDB forgets an interrupt that comes before the query: the check looks first."""
    gate = threading.Event()
    started: list = []
    base = _long_check(started)

    class Held(base):
        def _run(self, query, params):
            gate.wait(30)  # the stop comes before the query starts
            super()._run(query, params)

    check = Held("x.csv", ",", 2, 0, set())
    stopper = threading.Thread(target=check.stop, daemon=True)
    stopper.start()
    time.sleep(0.2)
    gate.set()
    stopper.join(60)
    assert not stopper.is_alive() and not check.thread.is_alive()


def test_ctrl_c_while_converting_stops_the_check_and_removes_its_folder(
    pack, tmp_path, monkeypatch
):
    from auditor.backends import duckdb as duckdb_backend

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "interactions.csv").write_text("\n".join([HEADER, *_rows(3000)]) + "\n")
    started: list = []
    monkeypatch.setattr(duckdb_backend, "DistinctKeysCheck", _long_check(started))
    monkeypatch.setattr(columnar, "MIN_COLUMNAR_BYTES", 0)
    monkeypatch.setattr(ingest_module, "DISTINCT_KEYS_BYTES", 0)

    def interrupted(self, columns, lines):
        time.sleep(0.3)  # the check's query under way
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module._ColumnarLoad, "_convert", interrupted)
    store = EvidenceStore(str(tmp_path / "e.db"))
    with pytest.raises(KeyboardInterrupt):
        ingest(pack, folder, store)
    store.close()
    (check,) = started
    assert not check.thread.is_alive() and not Path(check.folder.name).exists()


def test_a_check_that_cannot_start_leaves_the_index_in_use(pack, tmp_path, monkeypatch):
    import duckdb

    from auditor.backends.duckdb import DistinctKeysCheck

    def refused(*args, **kwargs):
        raise duckdb.IOException("no room for a database")

    monkeypatch.setattr(duckdb, "connect", refused)
    assert DistinctKeysCheck.start("x.csv", ",", 2, 0, set()) is None


def test_a_pipe_later_in_the_folder_is_not_opened_to_guess_its_kind(pack, tmp_path, monkeypatch):
    """Guessing the kinds of the files still to come never opens one that is not a regular
    file (a pipe would block the ingest inside its transaction): it is refused in its turn."""
    import os
    import threading

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "a-interactions.csv").write_text("\n".join([HEADER, *_rows(3000)]) + "\n")
    os.mkfifo(folder / "z-pipe.csv")
    monkeypatch.setattr(columnar, "MIN_COLUMNAR_BYTES", 0)
    monkeypatch.setattr(ingest_module, "DISTINCT_KEYS_BYTES", 0)
    checked = _keys_checked(monkeypatch)
    reports = []
    worker = threading.Thread(
        target=lambda: reports.append(ingest(pack, folder, EvidenceStore(None))), daemon=True
    )
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the ingest blocked on the pipe"
    assert checked == [("a-interactions.csv", False)]  # the pipe might hold interactions
    assert [(Path(f.path).name, f.status) for f in reports[0].files] == [
        ("a-interactions.csv", "ok"),
        ("z-pipe.csv", "error"),
    ]


def test_ctrl_c_as_the_key_check_starts_stops_it(tmp_path, monkeypatch, ctrl_c):
    """Taken while its thread starts (held until the thread is known), Ctrl-C stops the
    check: its query is interrupted, its thread ended and its folder removed, and the
    interrupt reaches the caller (it was once lost, and the check ran on)."""
    import signal
    import threading

    from auditor.backends.duckdb import DistinctKeysCheck

    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("id,v\n")
        handle.writelines(f"K{n},{n}\n" for n in range(2_000_000))
    start = threading.Thread.start

    def start_then_ctrl_c(thread):
        start(thread)
        if thread.name == "auditor-keys":
            time.sleep(0.05)  # the query under way
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
    scratch = tmp_path / "tmp"  # the check's own, where no other test's folders come and go
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(KeyboardInterrupt):
        DistinctKeysCheck.start(str(big), ",", 2, 0, set())
    assert not any(t.name == "auditor-keys" and t.is_alive() for t in threading.enumerate())
    assert not any(scratch.glob("auditor-keys-*"))


def _date_plus_time_mapped(tmp_path: Path) -> list[str]:
    """An evidence folder whose mapping reads received_at from a date column d and a time
    column t; 40 good rows of id, d, t (day 46206, 10:00:00 to 10:00:39) to start a file."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "interactions.mapping.yaml").write_text(
        "kind: interactions\ncolumns:\n  interaction_id: id\n  channel: {value: phone}\n"
        "  site: {value: SH}\n  received_at: {date: d, time: t}\n"
    )
    return [f"I{i},46206,10:00:{i:02d}" for i in range(40)]


def test_a_date_plus_time_field_is_read_alike_every_way(pack, tmp_path, monkeypatch):
    """A date + time field row by row, column-wise and kept in DuckDB: an Excel-saved CSV's
    ``46206.0`` (and a serial's fraction, left to the time column) is day 46206, 2026-07-03;
    a date whose time is empty names the time column, with the date kept in the raw value."""
    good = _date_plus_time_mapped(tmp_path)
    lines = ["id,d,t", *good, "S90,46206.0,10:00:00", "S91,46206.25,10:00:00", "S92,46206.0,"]
    rows, columns_read = _both(pack, tmp_path, "\n".join(lines).encode() + b"\n", monkeypatch)
    assert columns_read == rows
    stored = {record[0]: record[4] for record in rows["records"]}
    ten = datetime(2026, 7, 3, 10, 0, 0, tzinfo=SHANGHAI).timestamp()
    assert (len(stored), stored["I7"], stored["S90"], stored["S91"]) == (42, ten + 7, ten, ten)
    assert [q[:5] for q in rows["quarantine"]] == [
        (
            44,
            "interactions",
            "d + t",
            "46206.0 + ",
            "received_at: t is empty, d is not; correct it in column t",
        )
    ]


def test_a_csv_time_column_of_day_fractions_is_read_as_a_workbook_s_every_way(
    pack, tmp_path, monkeypatch
):
    """An Excel-saved CSV writes a time cell formatted as a number as its fraction of a day:
    ``0.5`` is 12:00, ``0.75`` 18:00, ``0`` midnight, as the workbook's number is read; ``1.5``
    is no time of day and keeps its reason."""
    good = _date_plus_time_mapped(tmp_path)
    fractions = ["F1,46206,0.5", "F2,46206.0,0.75", "F3,2026-07-03,0", "F4,46206,0.0104166667"]
    lines = ["id,d,t", *good, *fractions, "F5,46206,1.5"]
    rows, columns_read = _both(pack, tmp_path, "\n".join(lines).encode() + b"\n", monkeypatch)
    assert columns_read == rows
    stored = {record[0]: record[4] for record in rows["records"]}
    day = datetime(2026, 7, 3, tzinfo=SHANGHAI).timestamp()
    assert [stored[key] - day for key in ("F1", "F2", "F3", "F4")] == [
        12 * 3600,
        18 * 3600,
        0,
        15 * 60,  # 0.0104166667 of 86,400 seconds is 900.0000003: 00:15:00
    ]
    assert [q[:5] for q in rows["quarantine"]] == [
        (
            46,
            "interactions",
            "t",
            "1.5",
            "received_at: '1.5' is not a valid time of day; correct it in column t",
        )
    ]


def test_a_totals_row_that_would_convert_is_no_record_every_way(pack, tmp_path, monkeypatch):
    """合计 (or Total) in the key column is a totals row, and the header repeated is the header,
    before any value is read: quarantined alike row by row and column-wise, in the first batch
    or a later one, whether the row's values would convert or not."""
    monkeypatch.setattr(ingest_module, "BATCH", 700)
    lines = [
        HEADER,
        *_rows(600),
        "合计,phone,BJ,A1,2026-07-01 10:00:00,,",
        *_rows(600, 1000),
        HEADER,
        " Total ,phone,BJ,A1,2026-07-01 10:00:00,,",
        "合计,,,,共1201条,,",
    ]
    rows, columns_read = _both(pack, tmp_path, "\n".join(lines).encode() + b"\n", monkeypatch)
    assert columns_read == rows
    assert rows["files"][0][:3] == (1204, 1200, 4)
    totals = "interaction_id: a totals row ({} in its first cell), not a record; remove the line"
    repeated = "the header repeated (a paged export?): not a record; remove the line"
    assert [(q[0], q[2], q[3], q[4]) for q in rows["quarantine"]] == [
        (602, "interaction_id", "合计", totals.format("合计")),
        (1203, "", None, repeated),
        (1204, "interaction_id", " Total ", totals.format("Total")),
        (1205, "interaction_id", "合计", totals.format("合计")),
    ]


def test_a_key_part_named_total_is_a_record_and_a_totals_row_is_not_every_way(
    pack, tmp_path, monkeypatch
):
    """A checklist's key is item, site and day: a site (or item) named Total, the other key
    parts filled, is a record; a totals word with the other key parts empty is a totals row,
    alike row by row, column-wise and in DuckDB."""
    lines = [
        "item,site,result,checked_on",
        "C1,Total,yes,2026-07-01",
        "Total,BJ,no,2026-07-02",
        "C2,BJ,yes,2026-07-01",
        "合计,,,",
        ",Total,,",
    ]
    content = ("\n".join(lines) + "\n").encode()
    rows, columns_read = _both(pack, tmp_path, content, monkeypatch, "checklist")
    assert columns_read == rows
    assert rows["files"][0][:3] == (5, 3, 2)
    assert [record[:2] for record in rows["records"]] == [
        ("C1", "Total"),
        ("Total", "BJ"),
        ("C2", "BJ"),
    ]
    first = "item: a totals row (合计 in its first cell), not a record; remove the line"
    in_site = "site: a totals row (Total in column site), not a record; remove the line"
    assert [(q[0], q[2], q[3], q[4]) for q in rows["quarantine"]] == [
        (5, "item", "合计", first),
        (6, "site", "Total", in_site),
    ]


def test_a_totals_word_in_a_key_column_not_first_is_no_record_every_way(
    pack, tmp_path, monkeypatch
):
    """A sheet whose first column is a row number, the key in its second: 合计 (or Total) in
    the key's column is a totals row, before any value is read, alike row by row and
    column-wise, in the first batch or a later one; the reason names the key's column."""
    monkeypatch.setattr(ingest_module, "BATCH", 700)
    numbered = [f"{n},{row}" for n, row in enumerate(_rows(1200), start=1)]
    lines = [
        f"no,{HEADER}",
        *numbered[:600],
        "601,合计,phone,BJ,A1,2026-07-01 10:00:00,,",
        *numbered[600:],
        ", Total ,phone,BJ,A1,2026-07-01 10:00:00,,",
    ]
    rows, columns_read = _both(pack, tmp_path, "\n".join(lines).encode() + b"\n", monkeypatch)
    assert columns_read == rows
    assert rows["files"][0][:3] == (1202, 1200, 2)
    totals = (
        "interaction_id: a totals row ({} in column interaction_id), not a record; remove the line"
    )
    assert [(q[0], q[2], q[3], q[4]) for q in rows["quarantine"]] == [
        (602, "interaction_id", "合计", totals.format("合计")),
        (1203, "interaction_id", " Total ", totals.format("Total")),
    ]
