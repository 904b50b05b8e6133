"""Hostile workbooks: damaged parts, lying dimensions, XML attacks, zip bombs, encryption."""

from __future__ import annotations

import functools
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from .conftest import ROUNDTRIP, Case, case_ids, run_case, store_rows

INGEST = ("evidence", "ingest", "{tmp}/ev", "--pack", ROUNDTRIP, "--store", "{tmp}/s.db")
FILE = "ev/records.xlsx"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"
SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


@functools.cache
def base() -> dict[str, bytes]:
    """The parts of a plain one-sheet workbook, as openpyxl writes it."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["record_id", "name", "count"])
    book.active.append(["A", "x", 1])
    data = io.BytesIO()
    book.save(data)
    with zipfile.ZipFile(data) as z:
        return {name: z.read(name) for name in z.namelist()}


def workbook(changes: dict[str, bytes | None] | None = None, shared: bytes | None = None) -> bytes:
    """The base workbook with parts replaced (None: removed) and, optionally, a shared-string part."""
    parts = dict(base())
    for name, data in (changes or {}).items():
        if data is None:
            parts.pop(name, None)
        else:
            parts[name] = data
    if shared is not None:
        parts[SHARED] = shared
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            f'<Override PartName="/{SHARED}" ContentType="{SHARED_TYPE}"/></Types>'.encode(),
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def cell(ref: str, value: str, kind: str = "inlineStr") -> str:
    if kind == "inlineStr":
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}" t="{kind}"><v>{value}</v></c>'


HEAD = '<row r="1">' + cell("A1", "record_id") + cell("B1", "name") + cell("C1", "count") + "</row>"


def sheet(rows: str, dimension: str = "A1:C2", head: str = HEAD, prolog: str = "") -> bytes:
    return (
        f'{prolog}<worksheet xmlns="{NS}"><dimension ref="{dimension}"/>'
        f"<sheetData>{head}{rows}</sheetData></worksheet>"
    ).encode()


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


GOOD_ROW = row(2, cell("A2", "A"), cell("B2", "x"), cell("C2", "1", "n"))
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
              for i in range(1, 10))
    + "]>"
)  # fmt: skip
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'


def encrypted_entry() -> bytes:
    """A zip whose sheet part says it is encrypted (zip's own password protection)."""
    data = bytearray(workbook())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        local = z.getinfo(SHEET).header_offset
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(SHEET)] != SHEET.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[local + 6] |= 0x1  # the general-purpose flags of the local header
    data[central + 8] |= 0x1  # and of the central directory entry
    return bytes(data)


#: an encrypted workbook as Excel writes it: an OLE compound file, not a zip
OLE = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504) + b"EncryptedPackage" + bytes(2000)


def write_bomb(tmp: Path) -> None:
    """A sheet part of 120 MB of spaces, about 120 kB compressed (written only when run)."""
    (tmp / "ev").mkdir(exist_ok=True)
    with zipfile.ZipFile(tmp / FILE, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in base().items():
            if name == SHEET:
                with z.open(SHEET, "w", force_zip64=True) as part:
                    part.write(f'<worksheet xmlns="{NS}"><sheetData>'.encode())
                    block = b" " * (1 << 20)
                    for _ in range(120):
                        part.write(block)
                    part.write(b"</sheetData></worksheet>")
            else:
                z.writestr(name, data)


def xlsx(name: str, data: bytes, **expect) -> Case:
    expect.setdefault("store", "s.db")
    return Case(id=name, args=INGEST, files={FILE: data}, **expect)


def damaged(name: str, data: bytes, *error: str) -> Case:
    return xlsx(name, data, exit=2, error=("{tmp}/ev/records.xlsx", *error), store=None)


def local(*parts: int) -> float:
    return datetime(*parts, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()  # type: ignore[misc]


CASES = [
    xlsx("plain", workbook(), stored=1, values=("records", "name", ("x",))),
    damaged("not-a-zip", b"record_id,name\nA,x\n", "holds CSV text, not an .xlsx workbook"),
    damaged("empty-file", b""),
    damaged("truncated-zip", workbook()[:300]),
    damaged("encrypted-as-excel-writes-it", OLE, "password"),
    damaged("zip-entry-encrypted", encrypted_entry(), "encrypted"),
    damaged("garbage-sheet-xml", workbook({SHEET: b"<<<not xml"}), "not a readable .xlsx"),
    damaged("sheet-xml-breaks-off", workbook({SHEET: sheet(GOOD_ROW)[:-40]})),
    damaged("missing-sheet-part", workbook({SHEET: None})),
    damaged("missing-workbook-part", workbook({"xl/workbook.xml": None})),
    damaged("missing-content-types", workbook({"[Content_Types].xml": None})),
    damaged("garbage-styles", workbook({"xl/styles.xml": b"\x00\x01garbage"})),
    damaged("garbage-workbook-xml", workbook({"xl/workbook.xml": b"<workbook"})),
    damaged(
        "shared-string-index-out-of-range",
        workbook(
            {SHEET: sheet(row(2, cell("A2", "0", "s"), cell("B2", "999", "s")))},
            shared=f'<sst xmlns="{NS}"><si><t>A</t></si></sst>'.encode(),
        ),
        ".xlsx:2:",
        "it is damaged (list index out of range)",
    ),
    damaged(
        "shared-string-index-not-a-number",
        workbook(
            {SHEET: sheet(row(2, cell("A2", "zero", "s")))},
            shared=f'<sst xmlns="{NS}"><si><t>A</t></si></sst>'.encode(),
        ),
    ),
    xlsx(
        "shared-strings",
        workbook(
            {SHEET: sheet(row(2, cell("A2", "0", "s"), cell("B2", "1", "s")))},
            shared=f'<sst xmlns="{NS}"><si><t>A</t></si><si><t>名</t></si></sst>'.encode(),
        ),
        stored=1,
        values=("records", "name", ("名",)),
    ),
    damaged("billion-laughs-in-the-sheet", workbook({SHEET: sheet(GOOD_ROW, prolog=LAUGHS)})),
    damaged(
        "billion-laughs-in-shared-strings",
        workbook(
            {SHEET: sheet(row(2, cell("A2", "0", "s")))},
            shared=(LAUGHS + f'<sst xmlns="{NS}"><si><t>&lol9;</t></si></sst>').encode(),
        ),
    ),
    damaged(
        "external-entity", workbook({SHEET: sheet(row(2, cell("A2", "&ext;")), prolog=EXTERNAL)})
    ),
    xlsx(
        "dimension-claims-every-cell-of-excel",
        workbook({SHEET: sheet(GOOD_ROW, dimension="A1:XFD1048576")}),
        stored=1,
        values=("records", "name", ("x",)),
    ),
    xlsx(
        "a-lone-cell-a-million-rows-down",
        workbook(
            {
                SHEET: sheet(
                    GOOD_ROW + row(1048576, cell("A1048576", "Z")), dimension="A1:XFD1048576"
                )
            }
        ),
        stored=2,
        values=("records", "record_id", ("A", "Z")),
    ),
    xlsx(
        "a-cell-far-to-the-right",
        workbook({SHEET: sheet(row(2, cell("A2", "A"), cell("XFD2", "far")))}),
        stored=0,
        quarantined=1,
    ),
    damaged(
        "a-cell-beyond-excel-columns",
        workbook({SHEET: sheet(row(2, cell("A2", "A"), cell("ZZZZZ2", "far")))}),
    ),
    xlsx(
        "rows-out-of-order",
        workbook({SHEET: sheet(row(3, cell("A3", "C")) + row(2, cell("A2", "B")))}),
        stored=2,
        values=("records", "record_id", ("B", "C")),
    ),
    xlsx(
        "row-number-given-twice",
        workbook({SHEET: sheet(row(2, cell("A2", "B")) + row(2, cell("A2", "C")))}),
        stored=2,
    ),
    xlsx(
        "dimension-claims-one-cell",
        workbook({SHEET: sheet(GOOD_ROW, dimension="A1")}),
        stored=1,
        values=("records", "count", (1,)),
    ),
    xlsx(
        "rows-without-numbers",
        workbook(
            {
                SHEET: sheet(
                    '<row><c t="inlineStr"><is><t>A</t></is></c></row>',
                    head=HEAD.replace(' r="1"', "")
                    .replace(' r="A1"', "")
                    .replace(' r="B1"', "")
                    .replace(' r="C1"', ""),
                )
            }
        ),
        stored=1,
        values=("records", "record_id", ("A",)),
    ),
    damaged(
        "number-cell-that-is-not-a-number",
        workbook({SHEET: sheet(row(2, cell("A2", "A"), cell("C2", "abc", "n")))}),
    ),
    xlsx(
        "error-cell",
        workbook({SHEET: sheet(row(2, cell("A2", "A"), cell("C2", "#DIV/0!", "e")))}),
        stored=0,
        quarantined=1,
    ),
    xlsx(
        "boolean-cell-in-an-integer-field",
        workbook({SHEET: sheet(row(2, cell("A2", "A"), cell("C2", "1", "b")))}),
        stored=0,
        quarantined=1,
    ),
    xlsx(
        "huge-number-cell",
        workbook({SHEET: sheet(row(2, cell("A2", "A"), cell("C2", "1e300", "n")))}),
        stored=0,
        quarantined=1,
    ),
    xlsx("header-only", workbook({SHEET: sheet("")}), stored=0, quarantined=0),
    damaged("empty-sheet", workbook({SHEET: sheet("", head="")}), "empty"),
    Case(
        "unknown-sheet-in-the-mapping",
        INGEST,
        {
            FILE: workbook(),
            "ev/records.mapping.yaml": "kind: records\nreader: {sheet: Data}\ncolumns:\n"
            "  record_id: record_id\n",
        },
        exit=2,
        error=("{tmp}/ev/records.xlsx", "no sheet named 'Data'", "Sheet"),
    ),
    Case(
        "zip-bomb-sheet-part",
        INGEST,
        setup=write_bomb,
        exit=2,
        error=("{tmp}/ev/records.xlsx", "expands to"),
    ),
    Case(
        "file-name-with-a-newline-and-a-terminal-escape",
        INGEST,
        files={"ev/records\n\x1b[31mevil.xlsx": b"garbage"},
        exit=2,
        error=("{tmp}/ev/records\\n\\x1b[31mevil.xlsx: not a readable .xlsx",),
    ),
    xlsx(
        "formula-never-computed",
        workbook({SHEET: sheet(GOOD_ROW + row(3, cell("A3", "B"), '<c r="C3"><f>1+1</f></c>'))}),
        stored=1,
        quarantined=1,
        reasons=("formula whose value the workbook does not hold",),
    ),
    xlsx(
        "formula-with-its-saved-value",
        workbook({SHEET: sheet(row(2, cell("A2", "A"), '<c r="C2"><f>1+1</f><v>2</v></c>'))}),
        stored=1,
        values=("records", "count", (2,)),
    ),
    Case(
        "date-serial-beyond-the-calendar-says-nothing-on-stderr",
        INGEST,
        files={
            FILE: workbook(
                {SHEET: sheet(row(2, cell("A2", "A"), '<c r="C2" s="1"><v>1e300</v></c>'))}
            )
        },
        store="s.db",
        stored=0,
        quarantined=1,
        stderr=(),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_xlsx(case: Case, tmp_path) -> None:
    run_case(case, tmp_path)


def test_openpyxl_reads_workbook_xml_through_defusedxml() -> None:
    """Entity expansion is refused by defusedxml, which openpyxl uses only when installed."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


# ------------------------------------------------------------ typed cells as an export writes them


def typed_book(header: list[str], *rows: list[object]) -> bytes:
    """A workbook written with openpyxl: each date, time and number a typed cell, as Excel
    holds them (openpyxl gives each date or time cell its Excel number format)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(header)
    for values in rows:
        book.active.append(values)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


SENTINEL_HEADER = ["编号", "日期", "时间", "数量", "结束日"]
SENTINEL_ROWS = [
    ["A", date(2010, 8, 2), time(0, 0), 5, date(2010, 8, 3)],  # a time cell showing 0:00:00
    ["B", date(2010, 8, 2), "0:00:00", -1, date(2010, 8, 3)],  # the text; a number cell -1
    ["C", date(2010, 8, 2), time(0, 0, 1), 0, datetime(1900, 1, 1)],  # a date cell 1900-01-01
]
SENTINEL_COLUMNS = (
    "columns:\n  record_id: 编号\n  at: {date: 日期, time: 时间}\n  count: 数量\n  day: 结束日\n"
)


def ingest_typed(tmp: Path, mapping: str, rows: list[list[object]]) -> Path:
    """``rows`` of the sentinel workbook ingested with ``mapping`` beside it: the store."""
    files = {FILE: typed_book(SENTINEL_HEADER, *rows), "ev/records.mapping.yaml": mapping}
    run_case(Case("typed", INGEST, files, store="s.db"), tmp)
    return tmp / "s.db"


@pytest.mark.parametrize("one_by_one", [False, True], ids=["column-wise", "row-by-row"])
def test_a_typed_cell_showing_a_missing_value_marker_is_no_value(tmp_path, one_by_one) -> None:
    """The mapping declares 0:00:00 (and 00:00:00), -1 and 1900-01-01 no value: a time cell
    0:00:00 beside a date is no value as the text 0:00:00 is (it was midnight of the day), a
    number cell -1 and a date cell 1900-01-01 in a column of their own too; 0:00:01 and 0 are
    values. The same whether the batch converts column-wise or row by row (a bad row after)."""
    mapping = (
        'kind: records\nmissing: ["0:00:00", "00:00:00", "-1", "1900-01-01"]\n' + SENTINEL_COLUMNS
    )
    bad = [["D", date(2010, 8, 2), time(9, 0), "many", None]] if one_by_one else []
    store = ingest_typed(tmp_path, mapping, SENTINEL_ROWS + bad)
    rows = store_rows(store, "SELECT record_id, at, count, day FROM records ORDER BY _line")
    assert rows == [
        ("A", None, 5, local(2010, 8, 3)),
        ("B", None, None, local(2010, 8, 3)),
        ("C", local(2010, 8, 2, 0, 0, 1), 0, None),
    ]
    quarantined = store_rows(store, "SELECT line, reason FROM _quarantine")
    assert quarantined == ([(5, "count: 'many' is not a whole number")] if one_by_one else [])


def test_a_typed_cell_is_no_value_only_where_a_marker_says_so(tmp_path) -> None:
    """Without the markers, the time cell 0:00:00 is midnight, as the text is; -1 and the date
    cell 1900-01-01 are values: nothing is guessed beyond what the mapping declares."""
    store = ingest_typed(tmp_path, "kind: records\n" + SENTINEL_COLUMNS, SENTINEL_ROWS)
    rows = store_rows(store, "SELECT record_id, at, count, day FROM records ORDER BY _line")
    assert rows == [
        ("A", local(2010, 8, 2), 5, local(2010, 8, 3)),
        ("B", local(2010, 8, 2), -1, local(2010, 8, 3)),
        ("C", local(2010, 8, 2, 0, 0, 1), 0, local(1900, 1, 1)),
    ]


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")  # openpyxl
def test_a_date_cell_holding_a_number_no_date_can_be_is_read_as_its_number(tmp_path) -> None:
    """A date-formatted cell holding 1e308 or 3000000 (past 9999-12-31) is #VALUE! to
    openpyxl, which the quarantine showed as the raw value and a number field refused
    ("'#VALUE!' is not a number"): the cell's number is read."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["record_id", "at", "amount"])
    book.active.append(["A", 1e308, 1e308])
    book.active.append(["B", None, 3000000])
    for ref in ("B2", "C2", "C3"):
        book.active[ref].number_format = "yyyy-mm-dd"
    data = io.BytesIO()
    book.save(data)
    files = {FILE: data.getvalue()}
    run_case(Case("no-date", INGEST, files, store="s.db", stored=1, quarantined=1), tmp_path)
    store = tmp_path / "s.db"
    assert store_rows(store, "SELECT line, column, raw_value, reason FROM _quarantine") == [
        (2, "at", "1e+308", "at: '1e+308' is not a plausible Excel date serial (1954-2119)")
    ]
    assert store_rows(store, "SELECT record_id, amount FROM records") == [("B", 3000000.0)]


def test_a_wrong_date_or_time_beside_the_other_is_quarantined_in_its_own_column(tmp_path) -> None:
    """A date + time field whose value cannot be read names the cell that is wrong, with that
    cell's value: the date column for an impossible date (a text, or a number too small to be
    a day) beside a valid time, the time column for an impossible time beside a valid date, both
    when both are wrong. A duplicate of a joined key names the columns the key is made of."""
    header = ["线路", "编号", "日期", "时间"]
    rows: list[list[object]] = [
        ["L1", 1, date(2010, 8, 2), time(10, 0)],
        ["L1", 2, "2010-02-30", time(10, 0)],
        ["L1", 3, date(2010, 8, 2), "25:00:00"],
        ["L1", 4, "2010-02-30", "25:00:00"],
        ["L1", 5, 5, time(10, 0)],
        ["L1", 1, date(2010, 8, 3), time(11, 0)],
    ]
    mapping = (
        "kind: records\ncolumns:\n  record_id: {join: [线路, 编号]}\n"
        "  at: {date: 日期, time: 时间}\n"
    )
    files = {FILE: typed_book(header, *rows), "ev/records.mapping.yaml": mapping}
    run_case(Case("bad-date", INGEST, files, store="s.db", stored=1, quarantined=5), tmp_path)
    quarantined = store_rows(
        tmp_path / "s.db", 'SELECT line, "column", raw_value, reason FROM _quarantine ORDER BY line'
    )
    assert quarantined == [
        (
            3,
            "日期",
            "2010-02-30",
            "at: '2010-02-30' is not a valid date; correct it in column 日期",
        ),
        (
            4,
            "时间",
            "25:00:00",
            "at: '25:00:00' is not a valid time of day; correct it in column 时间",
        ),
        (
            5,
            "日期 + 时间",
            "2010-02-30 25:00:00",
            "at: '2010-02-30 25:00:00' is not a valid date/time (impossible day, month or hour?); "
            "correct it in column 日期 + 时间",
        ),
        (
            6,
            "日期",
            "5",
            "at: '5' is not a date/time in a known format; give format: for this column in "
            "the mapping; correct it in column 日期",
        ),
        (
            7,
            "线路 + 编号",
            "L1-1",
            f"duplicate key (first stored at {tmp_path / FILE}:2); kept once",
        ),
    ]
