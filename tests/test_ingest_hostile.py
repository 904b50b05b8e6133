"""Hostile files: every one gives clear one-line reasons, no traceback, and read = stored + quarantined."""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

import pytest

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.ingest import IngestReport, ingest
from auditor.mapping import load_mapping
from auditor.model import Pack

from .conftest import STANDARDS, TEST_PACKS


@functools.cache
def the_pack() -> Pack:
    """The pack these tests use, loaded on first use (never at import)."""
    return load_pack(TEST_PACKS / "roundtrip.yaml", [STANDARDS])


HEADER = "record_id,name,count,at\n"


def run(folder: Path, mapping: Path | None = None) -> tuple[IngestReport, EvidenceStore]:
    store = EvidenceStore(None)
    report = ingest(the_pack(), folder, store, load_mapping(mapping) if mapping else None)
    for f in report.files:
        assert f.rows_read == f.stored + f.quarantined, f
        assert "\n" not in f.reason
    for row in store.quarantine():
        assert row["reason"] and "\n" not in row["reason"]
        assert row["line"] >= 1
    return report, store


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def reasons(store: EvidenceStore) -> list[str]:
    return [r["reason"] for r in store.quarantine()]


def test_truncated_quote(tmp_path) -> None:
    write(tmp_path, "records.csv", HEADER + 'A,fine,1,\nB,"never closed,2,\nC,x,3,\n')
    report, store = run(tmp_path)
    assert report.files[0].stored == 1
    assert report.files[0].quarantined == 2  # lines 3 and 4, each with its text
    assert [(r["line"], r["record"]) for r in store.quarantine()] == [
        (3, 'B,"never closed,2,'),
        (4, "C,x,3,"),
    ]
    assert all("unterminated quote starting on line 3" in r for r in reasons(store))


def test_a_row_that_cannot_be_split_loses_none_of_its_lines(tmp_path) -> None:
    """A quote opened on one line and closed lines later, followed by something other than
    a separator: the reader cannot split what it read in between into rows. Each line of
    it is quarantined with its own text, and the rows after it are read as usual."""
    lines = ['B,"open,2,', "C,y,3,", "D,z,4,", 'E,"w"x,5,']
    write(tmp_path, "records.csv", HEADER + "A,x,1,\n" + "\n".join(lines) + "\nF,v,6,\n")
    report, store = run(tmp_path)
    f = report.files[0]
    assert (f.rows_read, f.stored, f.quarantined) == (6, 2, 4)
    quarantined = store.quarantine()
    assert [(r["line"], r["record"], r["raw_value"]) for r in quarantined] == [
        (3 + i, line, line) for i, line in enumerate(lines)
    ]
    assert {r["reason"] for r in quarantined} == {
        "malformed CSV: ',' expected after '\"'; lines 3-6 cannot be split into rows "
        "(a quote opened on line 3 is closed only on line 6?)"
    }
    assert f.reasons == {"malformed CSV: ',' expected after '\"'": 4}


def test_a_row_that_cannot_be_split_keeps_an_undecodable_byte_as_an_escape(tmp_path) -> None:
    write(tmp_path, "records.csv", (HEADER + "A,fine,1,\n").encode() + b'B,"caf\xe9"x,2,\n')
    report, store = run(tmp_path)
    assert (report.files[0].stored, report.files[0].quarantined) == (1, 1)
    (row,) = store.quarantine()
    assert row["record"] == row["raw_value"] == 'B,"caf\\xe9"x,2,'  # stored as text, \xNN


def test_mixed_encodings(tmp_path) -> None:
    good = "".join(f"R{i},名称{i},{i},\n" for i in range(30))
    data = (HEADER + good).encode("utf-8") + "BAD,错误编码,1,\n".encode("gb18030")
    write(tmp_path, "records.csv", data)
    report, store = run(tmp_path)
    assert report.files[0].stored == 30
    assert report.files[0].reader["encoding"] == "utf-8"
    assert "not valid utf-8" in reasons(store)[0]
    names = [r["name"] for r in store.db.execute_returning_dicts("SELECT name FROM records")]
    assert names[0] == "名称0"


def test_a_one_megabyte_field(tmp_path) -> None:
    write(tmp_path, "records.csv", HEADER + "A," + "x" * 1_000_000 + ",1,\nB,ok,2,\n")
    report, store = run(tmp_path)
    assert report.files[0].stored == 1
    assert "1,000,000 characters long" in reasons(store)[0]


def test_nul_bytes(tmp_path) -> None:
    write(tmp_path, "records.csv", (HEADER + "A,a\x00b,1,\nB,ok,2,\n").encode())
    report, store = run(tmp_path)
    assert report.files[0].stored == 1
    assert "NUL" in reasons(store)[0]


def test_header_only(tmp_path) -> None:
    write(tmp_path, "records.csv", HEADER)
    report, _ = run(tmp_path)
    assert report.files[0].status == "empty"
    assert report.files[0].rows_read == 0


def test_empty_file_is_an_error_with_one_line(tmp_path) -> None:
    write(tmp_path, "records.csv", "")
    report, _ = run(tmp_path)
    assert report.files[0].status == "error"
    assert "empty" in report.files[0].reason


def test_duplicate_header(tmp_path) -> None:
    write(tmp_path, "records.csv", "record_id,name,name\nA,x,y\n")
    report, _ = run(tmp_path)
    assert report.files[0].status == "error"
    assert "appears more than once" in report.files[0].reason


def test_wrong_column_count(tmp_path) -> None:
    write(tmp_path, "records.csv", HEADER + "A,x,1,\nB,y\nC,z,3,,,\nD,w,4,,,9\n")
    report, store = run(tmp_path)
    assert report.files[0].stored == 2  # A, and C whose extra cells are empty
    assert sorted(reasons(store)) == [
        "expected 4 columns as in the header, found 2",
        "expected 4 columns as in the header, found 6",
    ]


def test_formula_and_script_values_are_kept_as_inert_text(tmp_path) -> None:
    write(
        tmp_path,
        "records.csv",
        HEADER + 'A,"=HYPERLINK(""http://x"",""y"")",1,\nB,<script>alert(1)</script>,2,\n',
    )
    report, store = run(tmp_path)
    assert report.files[0].stored == 2
    names = [
        r["name"]
        for r in store.db.execute_returning_dicts("SELECT name FROM records ORDER BY _line")
    ]
    assert names == ['=HYPERLINK("http://x","y")', "<script>alert(1)</script>"]


@pytest.mark.parametrize(
    "value",
    ["2026-02-30 10:00:00", "2026-13-01 00:00:00", "02/30/2026 10:00:00 AM", "2026-07-01 25:00:00"],
)
def test_impossible_dates(tmp_path, value: str) -> None:
    write(tmp_path, "records.csv", HEADER + f"A,x,1,{value}\n")
    report, store = run(tmp_path)
    assert report.files[0].quarantined == 1
    assert "not a valid date/time" in reasons(store)[0]


def test_timestamp_in_a_dst_gap_and_overlap(tmp_path) -> None:
    mapping = write(
        tmp_path,
        "ny.mapping.yaml",
        "kind: records\ntimezone: America/New_York\ncolumns:\n  record_id: record_id\n  at: at\n",
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(
        folder,
        "records.csv",
        "record_id,at\nA,2026-03-08 02:30:00\nB,2026-11-01 01:30:00\nC,2026-07-01 12:00:00\n",
    )
    report, store = run(folder, mapping)
    assert report.files[0].stored == 1
    found = reasons(store)
    assert any("does not exist in America/New_York" in r for r in found)
    assert any("happens twice in America/New_York" in r for r in found)


def test_dst_overlap_resolved_when_the_mapping_says_so(tmp_path) -> None:
    mapping = write(
        tmp_path,
        "ny.mapping.yaml",
        "kind: records\ntimezone: America/New_York\ndst: earlier\ncolumns:\n  record_id: record_id\n  at: at\n",
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "record_id,at\nB,2026-11-01 01:30:00\n")
    report, store = run(folder, mapping)
    assert report.files[0].stored == 1
    at = store.db.execute_returning_dicts("SELECT at FROM records")[0]["at"]
    assert at == 1793511000.0  # 01:30 EDT (UTC-4) = 05:30 UTC


def test_not_really_an_xlsx(tmp_path) -> None:
    write(tmp_path, "records.xlsx", b"this is not a zip file")
    report, _ = run(tmp_path)
    assert report.files[0].status == "error"
    assert "not a readable .xlsx" in report.files[0].reason


def zip_holding(*names: str) -> bytes:
    """A zip file holding the files ``names`` (an .xlsx workbook holds xl/workbook.xml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, bytes(range(256)) * 40)
    return buffer.getvalue()


OLE_FILE = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(range(256)) * 40


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        (
            "records.csv",
            zip_holding("[Content_Types].xml", "xl/workbook.xml"),
            "is an Excel workbook (.xlsx), not .csv text; name it records.xlsx, or save it from "
            "Excel as CSV UTF-8",
        ),
        (
            "records.jsonl",
            zip_holding("[Content_Types].xml", "xl/workbook.xml"),
            "is an Excel workbook (.xlsx), not .jsonl text; name it records.xlsx, or save it "
            "from Excel as CSV UTF-8",
        ),
        (
            "records.jsonl",
            OLE_FILE,
            "is an old Excel workbook (.xls) or a password-protected one, not .jsonl text; open "
            "it in Excel and save it as .xlsx (without a password) or as CSV UTF-8",
        ),
        (  # one wording for the same file, whatever its name
            "records.xlsx",
            OLE_FILE,
            "is an old Excel workbook (.xls) or a password-protected one, not an .xlsx "
            "workbook; open it in Excel and save it as .xlsx (without a password) or as CSV UTF-8",
        ),
        (  # it was called an Excel workbook, to be named records.xlsx
            "records.csv",
            zip_holding("records.csv", "notes.txt"),
            "is a zip archive with no Excel workbook in it, not .csv text; unzip it and give the "
            "evidence files it holds",
        ),
        (
            "records.jsonl",
            b"PK\x03\x04" + bytes(range(256)) * 40,  # a zip's first bytes, and no zip after
            "is a zip archive with no Excel workbook in it, not .jsonl text; unzip it and give "
            "the evidence files it holds",
        ),
    ],
    ids=[
        "xlsx-named-csv",
        "xlsx-named-jsonl",
        "xls-named-jsonl",
        "xls-named-xlsx",
        "zip-named-csv",
        "damaged-zip-named-jsonl",
    ],
)
def test_a_workbook_named_as_a_text_file_is_said_to_be_one(tmp_path, name, data, said) -> None:
    """It was read as text: "header is not valid gb18030 text; save the file as UTF-8"."""
    write(tmp_path, name, data)
    report, _ = run(tmp_path)
    assert (report.files[0].status, report.files[0].reason) == (
        "error",
        f"{tmp_path / name}: {said}",
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [("records.csv", "id,at\nA,1\n"), ("records.jsonl", '{"id": "A"}\n')],
    ids=["csv", "jsonl"],
)
def test_a_text_file_is_told_from_a_workbook_by_the_sample_already_read(
    tmp_path, monkeypatch, name, text
) -> None:
    """Opened twice (its sample, then its rows), not a third time for its first bytes."""
    from auditor.readers import open_table

    path = write(tmp_path, name, text)
    opened: list[Path] = []
    real_open = Path.open
    monkeypatch.setattr(
        Path, "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k)
    )
    table = open_table(path)
    assert [row.values for row in table.rows] == [
        ["A", "1"] if name.endswith("csv") else {"id": "A"}
    ]
    assert opened == [path, path]


def _damaged_workbook(tmp_path: Path, damage) -> bytes:
    import io
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["record_id", "name", "count"])
    book.active.append(["A", "x", 1])
    book.save(tmp_path / "base.xlsx")
    with zipfile.ZipFile(tmp_path / "base.xlsx") as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    damage(parts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    (tmp_path / "base.xlsx").unlink()
    return buffer.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        lambda parts: parts.__setitem__("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row>"),
        lambda parts: parts.pop("xl/worksheets/sheet1.xml"),
    ],
    ids=["garbage-sheet-xml", "missing-sheet-part"],
)
def test_a_damaged_workbook_is_a_file_error_not_a_crash(tmp_path, damage) -> None:
    write(tmp_path, "records.xlsx", _damaged_workbook(tmp_path, damage))
    report, _ = run(tmp_path)
    assert report.files[0].status == "error"
    assert "not a readable .xlsx workbook" in report.files[0].reason


def test_jsonl_with_broken_lines(tmp_path) -> None:
    write(
        tmp_path,
        "records.jsonl",
        '{"record_id": "A"}\nnot json\n[1, 2]\n{"record_id": "B", "count": "x"}\n',
    )
    report, store = run(tmp_path)
    assert report.files[0].stored == 1
    found = reasons(store)
    assert any("not valid JSON" in r for r in found)
    assert any("not an object" in r for r in found)
    assert any("count" in r and "whole number" in r for r in found)


def test_json_nested_thousands_deep_is_quarantined_not_a_crash(tmp_path) -> None:
    deep = '{"record_id": "D", "count": ' + "[" * 5000 + "]" * 5000 + "}"
    write(tmp_path, "records.jsonl", '{"record_id": "A"}\n' + deep + "\n")
    report, store = run(tmp_path)
    assert (report.files[0].rows_read, report.files[0].stored, report.files[0].quarantined) == (
        2,
        1,
        1,
    )
    assert reasons(store) == ["JSON nested too deep"]


def test_json_values_that_are_not_what_the_field_holds_are_quarantined(tmp_path) -> None:
    lines = [
        '{"record_id": "A", "count": 3}',
        '{"record_id": "B", "count": true}',  # a yes/no value is not the number 1
        '{"record_id": "C", "count": 1, "count": 2}',  # which one was meant?
        '{"record_id": "D", "name": {"first": "x"}}',  # a nested object where text belongs
        '{"record_id": "E", "count": 99999999999999999999999}',  # beyond SQLite's integers
        '{"record_id": "F", "amount": false}',
    ]
    write(tmp_path, "records.jsonl", "\n".join(lines) + "\n")
    report, store = run(tmp_path)
    assert (report.files[0].stored, report.files[0].quarantined) == (1, 5)
    assert sorted(reasons(store)) == sorted(
        [
            "count: true is a yes/no value, not a whole number",
            "the key 'count' appears twice",
            "name: a nested value (an object or a list), not one value",
            "count: '99999999999999999999999' is too large a whole number to store",
            "amount: false is a yes/no value, not a number",
        ]
    )


def test_json_values_quarantined_are_shown_as_the_line_writes_them(tmp_path) -> None:
    """JSON true, false, null, lists and objects in the quarantine's raw value and reason as
    JSON writes them (they read 'True', '[1, True, None]', "{'ok': False}")."""
    lines = [
        '{"record_id": "A", "at": true}',
        '{"record_id": "B", "count": [1, true, null]}',
        '{"record_id": "C", "at": {"day": "2026-07-01", "ok": false}}',
        '{"record_id": "D", "channel": false}',
    ]
    write(tmp_path, "records.jsonl", "\n".join(lines) + "\n")
    _, store = run(tmp_path)
    shown = [(r["line"], r["raw_value"], r["reason"]) for r in store.quarantine()]
    assert shown == [
        (
            1,
            "true",
            "at: 'true' is not a date/time in a known format; give format: for this "
            "column in the mapping",
        ),
        (2, "[1, true, null]", "count: '[1, true, null]' is not a whole number"),
        (
            3,
            '{"day": "2026-07-01", "ok": false}',
            'at: \'{"day": "2026-07-01", "ok": false}\' is not a date/time in a known format; '
            "give format: for this column in the mapping",
        ),
        (4, "false", "channel: 'false' is not one of phone, chat"),
    ]
    assert store.quarantine()[1]["record"] == '{"record_id": "B", "count": [1, true, null]}'


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")  # openpyxl
def test_a_date_cell_openpyxl_cannot_read_as_a_date_shows_its_number(tmp_path) -> None:
    """A date-formatted cell holding 1e308: the quarantine shows 1e+308 (it showed #VALUE!,
    openpyxl's error for a date it cannot make)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["record_id", "day"])
    book.active.append(["A", -1e308])
    book.active["B2"].number_format = "yyyy-mm-dd"
    book.save(tmp_path / "records.xlsx")
    _, store = run(tmp_path)
    assert [(r["raw_value"], r["reason"]) for r in store.quarantine()] == [
        ("-1e+308", "day: '-1e+308' is not a plausible Excel date serial (1954-2119)")
    ]


def test_missing_value_markers_count_with_spaces_around_them(tmp_path) -> None:
    write(tmp_path, "records.csv", HEADER + "A, NULL ,1,\nB, - ,2,\nC,named,3,\n")
    mapping = write(
        tmp_path,
        "records.mapping.yaml",
        "kind: records\nmissing: ['NULL', '-']\ncolumns:\n  record_id: record_id\n  name: name\n"
        "  count: count\n  at: at\n",
    )
    report, store = run(tmp_path, mapping)
    assert report.files[0].stored == 3
    names = {r["record_id"]: r["name"] for r in store.db["records"].rows}
    assert names == {"A": None, "B": None, "C": "named"}


def test_a_gb18030_file_whose_first_64_kb_are_ascii_is_read_as_gb18030(tmp_path) -> None:
    english = [f"R{i:05d},plain name {i},{i},2026-07-01 10:00:00" for i in range(2000)]
    chinese = [f"C{i:05d},中文名称{i},{i},2026-07-01 10:00:00" for i in range(100)]
    data = ("\r\n".join([HEADER.strip(), *english, *chinese]) + "\r\n").encode("gb18030")
    assert data[: 1 << 16].isascii()  # the sniffed beginning tells nothing
    write(tmp_path, "records.csv", data)
    report, store = run(tmp_path)
    assert (report.files[0].stored, report.files[0].quarantined) == (2100, 0)
    assert report.files[0].reader["encoding"] == "gb18030"
    names = {r["record_id"]: r["name"] for r in store.db["records"].rows}
    assert names["C00099"] == "中文名称99" and names["R01999"] == "plain name 1999"


def test_a_jsonl_field_that_first_appears_late_is_still_read(tmp_path) -> None:
    lines = [f'{{"record_id": "A{i}"}}' for i in range(12_000)]
    lines.append('{"record_id": "Z", "name": "late", "count": 7}')
    write(tmp_path, "records.jsonl", "\n".join(lines) + "\n")
    report, store = run(tmp_path)
    assert report.files[0].stored == 12_001
    late = next(r for r in store.db["records"].rows_where("record_id = 'Z'"))
    assert (late["name"], late["count"]) == ("late", 7)


def test_a_byte_order_mark_inside_a_file_is_not_kept_in_a_key(tmp_path) -> None:
    first = HEADER + "A,one,1,2026-07-01 10:00:00\n"
    second = "\ufeffB,two,2,2026-07-01 11:00:00\n"  # two exports joined end to end
    write(tmp_path, "records.csv", ("\ufeff" + first + second).encode("utf-8"))
    report, store = run(tmp_path)
    assert report.files[0].stored == 2
    assert sorted(r["record_id"] for r in store.db["records"].rows) == ["A", "B"]


def test_jsonl_bytes_that_are_not_utf8_and_lone_surrogates_are_quarantined(tmp_path) -> None:
    data = (
        b'{"record_id": "A", "name": "ok"}\n'
        b'{"record_id": "B", "name": "bad \xff\xfe bytes"}\n'
        b'{"record_id": "C", "name": "lone \\ud800 surrogate"}\n'
    )
    write(tmp_path, "records.jsonl", data)
    report, store = run(tmp_path)
    assert (report.files[0].stored, report.files[0].quarantined) == (1, 2)
    assert sorted(reasons(store)) == [
        "a lone surrogate escape (\\ud800 ...) is not text",
        "text is not valid UTF-8",
    ]


def test_a_folder_that_cannot_be_listed_is_an_error_not_a_skip(tmp_path, monkeypatch) -> None:
    import os

    from auditor.errors import EvidenceError
    from auditor.ingest import evidence_files

    write(tmp_path, "records.csv", HEADER + "A,one,1,\n")
    (tmp_path / "locked").mkdir()
    write(tmp_path / "locked", "more.csv", HEADER + "B,two,2,\n")
    real = os.scandir

    def scandir(path: object = "."):  # as for a folder without read permission (tests run as root)
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(EvidenceError, match=r"locked: cannot read this folder: Permission denied"):
        evidence_files(tmp_path)


def test_duplicate_keys_across_files_point_to_the_first(tmp_path) -> None:
    write(tmp_path, "records-1.csv", HEADER + "A,x,1,\n")
    write(tmp_path, "records-2.csv", HEADER + "A,y,2,\n")
    report, store = run(tmp_path)
    assert report.stored == 1
    assert "records-1.csv:2" in reasons(store)[0]


def test_a_second_ingest_of_the_same_file_is_skipped(tmp_path) -> None:
    write(tmp_path, "records.csv", HEADER + "A,x,1,\n")
    store = EvidenceStore(tmp_path / "audit.db")
    first = ingest(the_pack(), tmp_path, store)
    second = ingest(the_pack(), tmp_path, store)
    assert first.stored == 1
    assert second.files[0].status == "skipped"
    assert store.count("records") == 1


def test_unknown_kind_of_file(tmp_path) -> None:
    write(tmp_path, "whatever.csv", "a,b\n1,2\n")
    report, _ = run(tmp_path)
    assert report.files[0].status == "error"
    assert "cannot tell which evidence kind" in report.files[0].reason


def test_missing_required_column_names_the_closest(tmp_path) -> None:
    write(tmp_path, "records.csv", "recordid_x,name\nA,x\n")
    report, _ = run(tmp_path)
    assert "no column for required field 'record_id'" in report.files[0].reason


def test_a_quarantined_workbook_row_keeps_its_cells_as_the_sheet_shows_them(tmp_path) -> None:
    """The quarantine keeps a date cell as its day, a datetime to the second and a time of
    day as HH:MM:SS, as explain shows them; the value quarantined as the sheet shows it."""
    from datetime import date, datetime, time

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["record_id", "day", "at", "name", "count"])
    book.active.append(["A", date(2026, 2, 10), datetime(2026, 2, 10, 9, 30, 5), "x", 1])
    book.active.append(["B", date(2026, 2, 11), time(9, 30), "y", 2])
    book.save(tmp_path / "records.xlsx")
    report, store = run(tmp_path)
    assert (report.files[0].stored, report.files[0].quarantined) == (1, 1)
    (row,) = store.quarantine()
    assert (row["line"], row["raw_value"]) == (3, "09:30:00")
    assert row["record"] == '["B", "2026-02-11", "09:30:00", "y", 2]'


def test_a_workbook_cell_at_midnight_shows_as_its_number_format_writes_it(tmp_path) -> None:
    """A datetime cell at midnight (formatted with hours) is kept to the second in the
    quarantine, not as a day alone; a date cell (formatted as a date alone, in any of Excel's
    forms) as its day."""
    from datetime import date, datetime

    import openpyxl

    midnight = datetime(2026, 7, 3)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["record_id", "at", "day", "count", "opened", "日期", "shown"])
    sheet.append(["A", midnight, date(2026, 7, 3), midnight, midnight, midnight, midnight])
    for cell, written in (("D2", "yyyy-mm-dd hh:mm"), ("E2", "m/d/yy h:mm"),
                          ("F2", 'yyyy"年"m"月"d"日"'), ("G2", "m/d/yy")):  # fmt: skip
        sheet[cell].number_format = written
    book.save(tmp_path / "records.xlsx")
    report, store = run(tmp_path)
    assert (report.files[0].stored, report.files[0].quarantined) == (0, 1)
    (row,) = store.quarantine()
    assert (row["column"], row["raw_value"]) == ("count", "2026-07-03 00:00:00")
    assert row["record"] == (
        '["A", "2026-07-03 00:00:00", "2026-07-03", "2026-07-03 00:00:00", '
        '"2026-07-03 00:00:00", "2026-07-03", "2026-07-03"]'
    )
