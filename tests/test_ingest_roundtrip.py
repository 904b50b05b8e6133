"""Property: typed rows written as CSV (each encoding), JSONL or XLSX come back with the same values."""

from __future__ import annotations

import csv
import functools
import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.ingest import ingest
from auditor.model import Pack

from .conftest import STANDARDS, TEST_PACKS


@functools.cache
def the_pack() -> Pack:
    """The pack these tests use, loaded on first use (never at import)."""
    return load_pack(TEST_PACKS / "roundtrip.yaml", [STANDARDS])


ZONE = ZoneInfo("Asia/Shanghai")
FIELDS = ["record_id", "name", "count", "amount", "flag", "at", "day", "channel"]
CHINESE = ["编号", "名称", "数量", "金额", "标记", "时间", "日期", "渠道"]

text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda s: s not in ("", "?", "-", "NULL"))
)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.one_of(st.none(), text),
            "count": st.one_of(st.none(), st.integers(-(10**12), 10**12)),
            # Excel keeps 15 significant digits, so values are drawn with at most that many
            "amount": st.one_of(
                st.none(),
                st.floats(allow_nan=False, allow_infinity=False)
                .map(lambda x: float(f"{x:.15g}"))
                .filter(math.isfinite),
            ),
            "flag": st.one_of(st.none(), st.booleans()),
            "at": st.one_of(st.none(), moments),
            "day": st.one_of(
                st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
            ),
            "channel": st.one_of(st.none(), st.sampled_from(["phone", "chat"])),
        }
    ),
    min_size=1,
    max_size=15,
).map(lambda items: [{"record_id": f"R{i}", **item} for i, item in enumerate(items)])


def expected(row: dict) -> dict:
    out = dict(row)
    if row["at"] is not None:
        out["at"] = row["at"].replace(tzinfo=ZONE).timestamp()
    if row["day"] is not None:
        out["day"] = datetime.combine(row["day"], datetime.min.time(), ZONE).timestamp()
    if row["flag"] is not None:
        out["flag"] = int(row["flag"])
    return out


def csv_cell(name: str, value: object, us_format: bool) -> str:
    if value is None:
        return ""
    if name == "flag":
        return "true" if value else "false"
    if name == "amount":
        return repr(value)
    if name == "at":
        assert isinstance(value, datetime)
        return (
            value.strftime("%m/%d/%Y %I:%M:%S %p")
            if us_format
            else value.strftime("%Y-%m-%d %H:%M:%S")
        )
    if name == "day":
        assert isinstance(value, date)
        return value.isoformat()
    return str(value)


def read_back(folder: Path) -> list[dict]:
    store = EvidenceStore(None)
    report = ingest(the_pack(), folder, store)
    assert not report.errors, [f.reason for f in report.errors]
    assert report.quarantined == 0, store.quarantine()
    assert report.rows_read == report.stored
    rows = [
        dict(r) for r in store.db.execute_returning_dicts("SELECT * FROM records ORDER BY _line")
    ]
    store.close()
    return rows


def same(got: list[dict], rows: list[dict]) -> None:
    assert len(got) == len(rows)
    for stored, original in zip(got, rows, strict=True):
        want = expected(original)
        for name in FIELDS:
            a, b = stored[name], want[name]
            if isinstance(b, float) and a is not None:
                assert math.isclose(a, b, rel_tol=0, abs_tol=1e-3) or a == b, (name, a, b)
            else:
                assert a == b, (name, a, b)


settings_ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@given(
    rows,
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    st.sampled_from([",", ";", "\t", "|"]),
    st.booleans(),
)
@settings_
def test_csv_round_trip(tmp_path_factory, rows, encoding, delimiter, us_format) -> None:
    folder = tmp_path_factory.mktemp("csv")
    header = CHINESE if encoding == "gb18030" else FIELDS
    with (folder / "records.csv").open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(n, row[n], us_format) for n in FIELDS])
    if us_format:  # a US layout is stated, never guessed: its dates may all have days <= 12
        columns = "\n".join(f"  {f}: {h}" for f, h in zip(FIELDS, header, strict=True) if f != "at")
        at = header[FIELDS.index("at")]
        (folder / "records.mapping.yaml").write_text(
            f"kind: records\nreader: {{encoding: {encoding}}}\ncolumns:\n{columns}\n"
            f'  at: {{column: {at}, format: "%m/%d/%Y %I:%M:%S %p"}}\n',
            encoding="utf-8",
        )
    same(read_back(folder), rows)


@given(rows)
@settings_
def test_jsonl_round_trip(tmp_path_factory, rows) -> None:
    folder = tmp_path_factory.mktemp("jsonl")
    with (folder / "records.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            item = dict(row)
            item["at"] = None if row["at"] is None else row["at"].isoformat()
            item["day"] = None if row["day"] is None else row["day"].isoformat()
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    same(read_back(folder), rows)


@given(rows)
@settings_
def test_xlsx_round_trip(tmp_path_factory, rows) -> None:
    # a workbook is XML, which cannot hold U+FFFE or U+FFFF (a CSV can: the other tests)
    assume(
        not any(
            isinstance(v, str) and ("\ufffe" in v or "\uffff" in v)
            for r in rows
            for v in r.values()
        )
    )
    folder = tmp_path_factory.mktemp("xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(CHINESE)
    for row in rows:
        sheet.append([row[n] for n in FIELDS])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as Excel stores typed text
    book.save(folder / "records.xlsx")
    same(read_back(folder), rows)


def test_aware_timestamps_keep_their_offset(tmp_path) -> None:
    (tmp_path / "records.csv").write_text(
        "record_id,at\nA,2026-07-01T10:00:00+02:00\nB,2026-07-01T08:00:00Z\n", encoding="utf-8"
    )
    got = read_back(tmp_path)
    moment = datetime(2026, 7, 1, 8, 0, tzinfo=UTC).timestamp()
    assert [r["at"] for r in got] == [moment, moment]


def test_excel_serial_to_the_millisecond_whatever_holds_it(tmp_path) -> None:
    # 09:39:00 kept as a serial reads 09:38:59.999999 by plain float arithmetic; a workbook's
    # date cell is read to the millisecond, so a number cell and CSV text are too
    serial = 46204 + (9 * 3600 + 39 * 60) / 86400
    expected = datetime(2026, 7, 1, 9, 39, tzinfo=ZONE).timestamp()
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "records.csv").write_text(f"record_id,at\nA,{serial!r}\n", encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["record_id", "at"])
    sheet.append(["A", serial])
    sheet.append(["B", datetime(2026, 7, 1, 9, 39)])
    (tmp_path / "xlsx").mkdir()
    book.save(tmp_path / "xlsx" / "records.xlsx")
    assert [r["at"] for r in read_back(tmp_path / "csv")] == [expected]
    assert [r["at"] for r in read_back(tmp_path / "xlsx")] == [expected, expected]


def test_excel_serial_and_chinese_dates(tmp_path) -> None:
    (tmp_path / "records.csv").write_text(
        "record_id,at,day\nA,46204.5,2026年7月1日\n", encoding="utf-8"
    )
    got = read_back(tmp_path)
    noon = datetime(2026, 7, 1, 12, 0, tzinfo=ZONE).timestamp()
    assert got[0]["at"] == noon
    assert got[0]["day"] == noon - 12 * 3600 + timedelta(0).total_seconds()
