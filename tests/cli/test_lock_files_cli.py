"""Office lock files beside the evidence (Excel's ~$NAME.xlsx, LibreOffice's .~lock.NAME#),
and a CSV file named .xlsx: what the ingest, the validation and the audit say of them."""

from __future__ import annotations

from pathlib import Path

from auditor.cli import main

from ..conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"
PACK = str(RULES / "service-quality.yaml")
#: what Excel writes to ~$NAME.xlsx while NAME.xlsx is open: the user's name, then padding
EXCEL_LOCK = b"\x04zhangwei" + b"\x00" * 156
HEADER = ["工单号", "问题类别", "站点", "创建时间", "初步方案时间", "关闭时间", "状态", "渠道", "截止时间", "优先级"]  # fmt: skip


def tickets_workbook(path: Path, rows: int) -> None:
    """A workbook of ``rows`` closed tickets in the demo's columns."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for number in range(1, rows + 1):
        book.active.append(
            [f"T{number:06d}", "technical", "SH", "2026-07-09 10:37:37", "2026-07-09 23:07:41",
             "2026-07-10 18:59:32", "closed", "phone", "2026-07-12 10:37:37", "P1"]
        )  # fmt: skip
    book.save(path)


def open_workbook_folder(tmp_path: Path) -> Path:
    """An evidence folder holding tickets.xlsx as it is while open in Excel (and LibreOffice)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    tickets_workbook(folder / "tickets.xlsx", 3)
    (folder / "~$tickets.xlsx").write_bytes(EXCEL_LOCK)
    return folder


def test_an_excel_lock_file_is_skipped_and_the_workbook_beside_it_read(runner, tmp_path) -> None:
    folder = open_workbook_folder(tmp_path)
    store = tmp_path / "s.db"
    result = runner.invoke(
        main, ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "rows read 3 = stored 3 + quarantined 0" in lines
    assert (
        "note: skipped ~$tickets.xlsx: the lock file Excel keeps while tickets.xlsx is open"
        in lines
    )
    from auditor.backends.store import EvidenceStore

    opened = EvidenceStore(store)
    try:
        assert [f["file"] for f in opened.manifest()] == [str(folder / "tickets.xlsx")]
        assert opened.count("tickets") == 3
    finally:
        opened.close()


def test_validate_and_audit_say_a_lock_file_was_skipped(runner, tmp_path) -> None:
    folder = open_workbook_folder(tmp_path)
    (folder / ".~lock.tickets.xlsx#").write_text(",zhangwei,PC,06.12.2026 08:51,zhangwei;")
    note = (
        "skipped .~lock.tickets.xlsx#, ~$tickets.xlsx: lock files office programs keep while "
        "a file is open"
    )
    validated = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    assert validated.exit_code == 0, validated.output
    assert f"note: {note}" in validated.output.splitlines()
    audited = runner.invoke(
        main, ["audit", PACK, str(folder), "--period", "2026-Q3", "--out", str(tmp_path / "out"),
               "--format", "json", "--fail-on", "never"],
    )  # fmt: skip
    assert audited.exit_code == 0, audited.output
    assert f"warning: {note}" in audited.output.splitlines()


def test_a_lock_file_given_as_the_source_is_named_for_what_it_is(runner, tmp_path) -> None:
    folder = open_workbook_folder(tmp_path)
    lock = folder / "~$tickets.xlsx"
    result = runner.invoke(
        main, ["evidence", "ingest", str(lock), "--pack", PACK, "--store", str(tmp_path / "s.db")]
    )
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == (
        f"error: {lock}: is Excel's lock file of tickets.xlsx, kept while it is open, not "
        "evidence; give tickets.xlsx itself"
    )


def test_a_csv_file_named_xlsx_is_told_to_be_renamed(runner, tmp_path) -> None:
    """The bytes of a CSV file saved in GB18030, as Chinese Excel saves it, named .xlsx."""
    given = tmp_path / "tickets.xlsx"
    given.write_bytes("工单号,站点,状态\nT1,SH,closed\n".encode("gb18030"))
    result = runner.invoke(main, ["evidence", "validate", str(given), "--pack", PACK])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == (
        f"error: {given}: holds CSV text, not an .xlsx workbook; rename it to tickets.csv"
    )


def test_a_damaged_workbook_is_told_in_words(runner, tmp_path) -> None:
    """Bytes that are neither a workbook nor text: no Python exception's name in the line."""
    given = tmp_path / "tickets.xlsx"
    given.write_bytes(b"\x00\x01\x02 not a workbook")
    result = runner.invoke(main, ["evidence", "validate", str(given), "--pack", PACK])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == (
        f"error: {given}: not a readable .xlsx workbook: it is not a zip package, as every "
        ".xlsx workbook is; open it in Excel and save it again as .xlsx"
    )
