"""`auditor evidence ...` as a user runs it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from auditor.cli import main

from ..conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"
PACK = str(RULES / "service-quality.yaml")


def test_validate_demo_prints_the_summary_and_balances(runner) -> None:
    result = runner.invoke(main, ["evidence", "validate", str(DEMO), "--pack", PACK])
    assert result.exit_code == 0, result.output
    assert "interactions-2026Q3.csv" in result.output
    assert "rows read" in result.output and "= stored" in result.output
    assert "quarantine reasons:" in result.output


def test_strict_exits_1_when_rows_were_quarantined(runner) -> None:
    result = runner.invoke(main, ["evidence", "validate", str(DEMO), "--pack", PACK, "--strict"])
    assert result.exit_code == 1
    assert "rows read 5,197 = stored 5,185 + quarantined 12" in result.output


def test_strict_keeps_failing_on_a_skipped_file_whose_rows_are_in_quarantine(
    runner, tmp_path
) -> None:
    """A file ingested again is skipped; the store still holds its 4 quarantined rows, so
    --strict exits 1 again and the summary says so. A skipped file with none exits 0."""

    def ingest(name: str) -> tuple[int, list[str]]:
        result = runner.invoke(
            main,
            ["evidence", "ingest", str(DEMO / name), "--pack", PACK, "--store",
             str(tmp_path / "s.db"), "--strict"],
        )  # fmt: skip
        row = next(line for line in result.output.splitlines() if line.startswith(str(DEMO)))
        return result.exit_code, row.split(None, 5)[1:]

    assert ingest("interactions-2026Q3.csv") == (
        1, ["interactions", "3,004", "3,000", "4", "quarantined"]
    )  # fmt: skip
    assert ingest("interactions-2026Q3.csv") == (
        1, ["interactions", "0", "0", "0", "skipped (already ingested; 4 of its rows are in quarantine)"]
    )  # fmt: skip
    assert ingest("agents.csv") == (0, ["agents", "60", "60", "0", "ok"])
    assert ingest("agents.csv") == (0, ["agents", "0", "0", "0", "skipped"])


def test_a_skipped_file_with_one_row_in_quarantine_says_it_in_the_singular() -> None:
    from auditor.ingest import FileReport

    report = FileReport("calls.csv", status="skipped", held_quarantined=1)
    assert report.status_text() == "skipped (already ingested; 1 of its rows is in quarantine)"


def test_ingest_writes_a_store(runner, tmp_path) -> None:
    store = tmp_path / "stores" / "q3" / "audit.db"  # folders made as needed
    result = runner.invoke(
        main, ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    from auditor.backends.store import EvidenceStore

    opened = EvidenceStore(store)
    try:
        files = opened.manifest()
        assert len(files) == 7 and sum(f["rows_read"] for f in files) == 5_197
        for f in files:
            assert f["rows_read"] == f["stored"] + f["quarantined"], f["file"]
        assert opened.count("interactions") == 3_000
        assert opened.count("_quarantine") == 12
    finally:
        opened.close()


def test_unreadable_file_exits_2_with_one_line(runner, tmp_path) -> None:
    (tmp_path / "interactions.csv").write_text("", encoding="utf-8")
    result = runner.invoke(main, ["evidence", "validate", str(tmp_path), "--pack", PACK])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "empty" in errors[0]
    assert "Traceback" not in result.output + result.stderr


def test_unknown_preset_is_one_line(runner) -> None:
    result = runner.invoke(
        main, ["evidence", "validate", str(DEMO), "--pack", PACK, "--preset", "nyc311"]
    )
    assert result.exit_code == 2
    assert "did you mean 'nyc-311'" in result.stderr


def test_a_zip_archive_named_csv_is_called_a_zip_archive(runner, tmp_path) -> None:
    """A zip of CSV exports saved as tickets.csv: it was called an Excel workbook, to be
    named tickets.xlsx."""
    with zipfile.ZipFile(tmp_path / "tickets.csv", "w") as archive:
        archive.writestr("tickets.csv", "ticket_id,category\nT1,technical\n")
    result = runner.invoke(main, ["evidence", "validate", str(tmp_path), "--pack", PACK])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'tickets.csv'}: is a zip archive with no Excel workbook in it, not "
        ".csv text; unzip it and give the evidence files it holds"
    ]


def test_a_file_a_preset_does_not_read_is_named_with_its_header(runner, tmp_path) -> None:
    """The error points at the evidence file's header (not at the preset inside the
    package), names the preset and the shipped ones to choose from."""
    (tmp_path / "calls.csv").write_text("call_id,q_start\n1,2026-07-01 10:00:00\n", "utf-8")
    result = runner.invoke(
        main, ["evidence", "validate", str(tmp_path), "--pack", PACK, "--preset", "nyc-311"]
    )
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {tmp_path / 'calls.csv'}:1: column 'Unique Key'")
    assert "the preset 'nyc-311' reads another layout" in errors[0]
    assert "its columns: call_id, q_start" in errors[0]
    assert "callcentre-queue-log" in errors[0] and "presets/nyc-311.yaml" not in errors[0]


def test_a_file_another_preset_reads_is_pointed_to_it(runner, tmp_path) -> None:
    (tmp_path / "requests.csv").write_text(
        "Unique Key,Created Date,Closed Date,Due Date,Agency,Status\n"
        "1,07/01/2026 09:30:00 AM,07/13/2026 10:00:00 AM,,NYPD,Closed\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        main, ["evidence", "validate", str(tmp_path), "--pack", PACK, "--preset", "la-311"]
    )
    assert result.exit_code == 2
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "the preset 'la-311' reads another layout; --preset nyc-311 reads this header" in error
    assert "did you mean" not in error


#: zones whose clocks jump forward once in 2026: a time in each gap is its own reason (the
#: reason names the zone; times of one zone are one reason)
GAP_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "America/Halifax", "America/St_Johns", "Europe/London",
    "Europe/Berlin", "Europe/Helsinki", "Europe/Lisbon", "Europe/Paris", "Europe/Madrid",
    "Europe/Rome", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip


def _gap_time(zone: str) -> str:
    """The first local minute of 2026 that ``zone``'s clocks skip, found by looking."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tz, local = ZoneInfo(zone), datetime(2026, 1, 1)
    while True:
        moment = local.replace(tzinfo=tz)
        if moment.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None) != local:
            return f"{local:%Y-%m-%d %H:%M:%S}"
        local += timedelta(minutes=30)


def _gap_file(folder: Path, rows: int) -> None:
    """``rows`` files of tickets, each in its own time zone, each opened in its zone's spring
    gap: one quarantine reason each."""
    columns = ("ticket_id", "category", "site", "opened_at", "status", "channel")
    for i, zone in enumerate(GAP_ZONES[:rows]):
        (folder / f"t{i:02d}.csv").write_text(
            ",".join(columns) + f"\nT{i},technical,BJ,{_gap_time(zone)},open,phone\n",
            encoding="utf-8",
        )
        (folder / f"t{i:02d}.mapping.yaml").write_text(
            f"kind: tickets\ntimezone: {zone}\ncolumns:\n"
            + "".join(f"  {c}: {c}\n" for c in columns),
            encoding="utf-8",
        )


def _validated_gaps(runner, folder: Path, rows: int) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """``evidence validate`` of a gap file of ``rows`` rows: its output, and the lines
    under "quarantine reasons:"."""
    folder.mkdir()
    _gap_file(folder, rows)
    result = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    return result.output, result.output.split("quarantine reasons:\n", 1)[1].splitlines()


def test_the_summary_of_a_repeated_key_names_the_first_repeat_as_quarantined(
    runner, tmp_path
) -> None:
    """T1 is stored from line 2 and repeated on line 4: the console's place is the row
    quarantined, worded so (it read "first at tickets.csv:4", taken for where T1 first was)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    rows = ["T1,technical,BJ,2026-07-01 10:00:00,open,phone"]
    rows += ["T2,technical,BJ,2026-07-02 10:00:00,open,phone", rows[0]]
    (folder / "tickets.csv").write_text(
        "ticket_id,category,site,opened_at,status,channel\n" + "\n".join(rows) + "\n", "utf-8"
    )
    result = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    listed = result.output.split("quarantine reasons:\n", 1)[1].splitlines()
    assert listed == ["         1  duplicate key (first quarantined at tickets.csv:4, value 'T1')"]


def test_the_summary_says_when_a_reason_was_given_in_other_files_too(runner, tmp_path) -> None:
    """A status 'void' in each of three files, an impossible date in two, a repeated key in
    one: each line named only the first file's line, as if every row were in it; it now says
    how many other files the reason was given in (none said for one file)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    for name in ("a", "b", "c"):
        rows = [f"T{name}{i},technical,BJ,2026-07-01 10:00:00,closed,phone" for i in range(6)]
        rows[1] = f"T{name}1,technical,BJ,2026-07-01 10:00:00,void,phone"  # line 3
        if name != "b":
            rows[2] = f"T{name}2,technical,BJ,2026-13-45 10:00:00,closed,phone"  # line 4
        else:
            rows[3] = rows[0]  # line 5 repeats T b0
        (folder / f"tickets-{name}.csv").write_text(
            "ticket_id,category,site,opened_at,status,channel\n" + "\n".join(rows) + "\n",
            "utf-8",
        )
    result = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    listed = result.output.split("quarantine reasons:\n", 1)[1].splitlines()
    assert listed == [
        "         3  status: not one of open, waiting_customer, resolved, closed (first "
        "quarantined at tickets-a.csv:3, value 'void'; also in 2 other files)",
        "         2  opened_at: not a valid date/time (impossible day, month or hour?) (first "
        "quarantined at tickets-a.csv:4, value '2026-13-45 10:00:00'; also in 1 other file)",
        "         1  duplicate key (first quarantined at tickets-b.csv:5, value 'Tb0')",
    ]


def test_the_summary_of_a_value_not_a_date_names_no_value_but_the_first(runner, tmp_path) -> None:
    """A total row under the records (共2条 in the date column): the reason counted has no
    value in it (it read "opened_at: '…' is not a date/time ...", taken for a value '…'), and
    says the row is a totals row, not a record (合计 in its first column, the site's)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    rows = ["BJ,T1,technical,2026-07-01 10:00:00,open,phone"]
    rows += ["BJ,T2,technical,2026-07-02 10:00:00,open,phone", "合计,T3,technical,共2条,open,phone"]
    (folder / "tickets.csv").write_text(
        "site,ticket_id,category,opened_at,status,channel\n" + "\n".join(rows) + "\n", "utf-8"
    )
    result = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    listed = result.output.split("quarantine reasons:\n", 1)[1].splitlines()
    assert listed == [
        "         1  opened_at: not a date/time in a known format: a totals row (合计 in its "
        "first cell), not a record; remove the line (first quarantined at tickets.csv:4, "
        "value '共2条')"
    ]


def test_the_summary_shows_a_json_value_as_the_line_writes_it(runner, tmp_path) -> None:
    """JSON true given for a date/time: the value shown is true (it read 'True')."""
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "surveys.jsonl").write_text(
        '{"survey_id": "S1", "site": "GZ", "channel": "phone", "answered_at": true}\n', "utf-8"
    )
    result = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    listed = result.output.split("quarantine reasons:\n", 1)[1].splitlines()
    assert listed == [
        "         1  answered_at: not a date/time in a known format; give format: for this "
        "column in the mapping (first quarantined at "
        "surveys.jsonl:1, value 'true')"
    ]


def test_the_summary_counts_the_reasons_it_does_not_list(runner, tmp_path) -> None:
    folder = tmp_path / "ev"
    _, listed = _validated_gaps(runner, folder, 14)
    assert len(listed) == 11 and all("does not exist" in line for line in listed[:10])
    assert all("dst: forward" in line for line in listed[:10])
    assert any(
        line.endswith("(first quarantined at t00.csv:2, value '2026-03-08 02:00:00')")
        for line in listed[:10]
    )
    assert listed[10].split()[:5] == ["4", "with", "4", "other", "reasons"]
    assert "ingest with --store" in listed[10]

    store = tmp_path / "my store.db"
    result = runner.invoke(
        main, ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
    )
    last = result.output.rstrip().splitlines()[-1]
    assert f"auditor evidence export --store '{store}' --out DIR" in last
    assert "store-quarantine.parquet" in last


def test_ten_reasons_or_fewer_are_all_listed(runner, tmp_path) -> None:
    output, listed = _validated_gaps(runner, tmp_path / "ev", 10)
    assert len(listed) == 10 and "other reasons" not in output


def test_synth_writes_files(runner, tmp_path) -> None:
    result = runner.invoke(
        main, ["evidence", "synth", "--pack", PACK, "--records", "200", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    import csv

    printed = {}
    for line in result.output.splitlines():  # each line: the rows written, then the file
        count, path = line.split(maxsplit=1)
        printed[Path(path).name] = int(count.replace(",", ""))
    for name, count in printed.items():
        if name.endswith(".csv"):
            encoding = "gb18030" if name.startswith("interactions") else "utf-8-sig"
            with (tmp_path / name).open(encoding=encoding, newline="") as handle:
                assert sum(1 for _ in csv.reader(handle)) - 1 == count, name
    assert printed["interactions-2026Q3.csv"] >= 200  # the records asked for, plus broken rows


def test_synth_refuses_a_number_of_records_below_one(runner, tmp_path) -> None:
    result = runner.invoke(
        main, ["evidence", "synth", "--pack", PACK, "--records", "-5", "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 2
    assert "'--records': -5 is not in the range x>=1" in result.output
    assert not (tmp_path / "s").exists()


def test_ingest_with_the_duckdb_reader_stores_the_same(runner, tmp_path, monkeypatch) -> None:
    import sqlite3

    import auditor.columnar
    from auditor.backends.store import EvidenceStore

    monkeypatch.setattr(auditor.columnar, "MIN_COLUMNAR_BYTES", 0)  # the demo files are small
    tables = {}
    for engine in ("sqlite", "duckdb"):
        store = tmp_path / f"{engine}.db"
        result = runner.invoke(
            main,
            [
                "evidence",
                "ingest",
                str(DEMO),
                "--pack",
                PACK,
                "--store",
                str(store),
                "--engine",
                engine,
            ],
        )
        assert result.exit_code == 0, result.output
        # a new store for DuckDB keeps its records in a DuckDB file beside it
        assert store.with_name(store.name + ".duckdb").is_file() == (engine == "duckdb")
        opened = EvidenceStore(store)
        batches = opened.arrow_batches("interactions")
        records = [tuple(r.values()) for t in batches for r in t.to_pylist()]
        opened.close()
        con = sqlite3.connect(store)
        tables[engine] = [
            sorted(records, key=lambda r: r[-1]),  # by line
            con.execute(
                "SELECT line, column, raw_value, reason FROM _quarantine ORDER BY line"
            ).fetchall(),
        ]
        con.close()
    assert tables["duckdb"] == tables["sqlite"]
    assert len(tables["sqlite"][0]) > 1000


def test_ingest_with_an_unknown_engine_is_one_line(runner, tmp_path) -> None:
    result = runner.invoke(
        main,
        [
            "evidence",
            "ingest",
            str(DEMO),
            "--pack",
            PACK,
            "--store",
            str(tmp_path / "s.db"),
            "--engine",
            "duckbd",
        ],
    )
    assert result.exit_code == 2
    assert "unknown engine 'duckbd'" in result.output and "duckdb" in result.output
    assert not (tmp_path / "s.db").exists()


def test_export_of_a_store_changed_by_hand_is_one_line_and_exit_2(runner, tmp_path) -> None:
    import sqlite3

    store = tmp_path / "audit.db"
    ingested = runner.invoke(
        main, ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(store)]
    )
    assert ingested.exit_code == 0, ingested.output
    with sqlite3.connect(store) as db:
        db.execute("UPDATE interactions SET received_at = 'soon' WHERE rowid = 5")
    result = runner.invoke(
        main, ["evidence", "export", "--store", str(store), "--format", "parquet",
               "--out", str(tmp_path / "pq")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "column 'received_at' holds 'soon'" in lines[0]
    assert "ingest the evidence files again into a new store" in lines[0]
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_a_file_in_no_evidence_format_is_named_not_passed_over(runner, tmp_path) -> None:
    """A .parquet export dropped among the CSV files is not read: the ingest and the audit
    say so (a mapping beside the files is not named: it is read with them)."""
    import shutil

    folder = tmp_path / "ev"
    shutil.copytree(DEMO, folder)
    (folder / "tickets-2026Q4.parquet").write_bytes(b"PAR1")
    (folder / "agents.mapping.yaml").write_text(
        "kind: agents\ncolumns:\n  agent_id: 工号\n  site: 站点\n  active: 在职\n", encoding="utf-8"
    )
    note = "not read, not an evidence format (.csv, .tsv, .txt, .jsonl, .ndjson, .xlsx): tickets-2026Q4.parquet"
    ingested = runner.invoke(
        main, ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(tmp_path / "s.db")]
    )
    assert ingested.exit_code == 0 and f"note: {note}" in ingested.output.splitlines()
    audited = runner.invoke(
        main, ["audit", PACK, str(folder), "--period", "2026-Q3", "--out", str(tmp_path / "out"),
               "--format", "json", "--fail-on", "never"],
    )  # fmt: skip
    assert f"warning: {note}" in audited.output.splitlines()


def test_a_file_given_in_no_evidence_format_is_told_every_suffix_read(runner, tmp_path) -> None:
    """The error names .txt and .ndjson too, as the note about a folder's files does."""
    given = tmp_path / "s.db"
    given.write_bytes(b"SQLite format 3\x00")
    result = runner.invoke(
        main, ["evidence", "ingest", str(given), "--pack", PACK, "--store", str(tmp_path / "t.db")]
    )
    assert result.exit_code == 2, result.output
    assert (
        f"error: {given}: unsupported file type '.db'; use one of .csv, .tsv, .txt, .jsonl, "
        ".ndjson, .xlsx"
    ) in result.output.splitlines()


def test_an_export_given_to_ingest_is_named_for_what_it_is(runner, tmp_path) -> None:
    """A folder `evidence export` wrote holds a store's tables: ingest says so in one line,
    exit 2, and makes no store for it (audit reads it: see test_audit_export_cli)."""
    store = tmp_path / "s.db"
    ingested = runner.invoke(
        main, ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(store)]
    )
    assert ingested.exit_code == 0, ingested.output
    exported = runner.invoke(
        main, ["evidence", "export", "--store", str(store), "--out", str(tmp_path / "pq")]
    )
    assert exported.exit_code == 0, exported.output
    result = runner.invoke(
        main, ["evidence", "ingest", str(tmp_path / "pq"), "--pack", PACK, "--store", str(tmp_path / "again.db")]
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "holds an evidence export (store-manifest.parquet), not evidence files" in lines[0]
    assert "auditor audit PACK FOLDER reads an export" in lines[0]
    assert not (tmp_path / "again.db").exists()


def test_a_folder_of_no_evidence_file_names_what_it_holds(runner, tmp_path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "calls.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--period", "2026-Q3", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert "0 file(s) read, 0 rows stored; not read, not an evidence format" in result.output
    assert "calls.xls" in result.output


def test_validate_and_ingest_print_each_file_s_warnings(runner, tmp_path) -> None:
    """An optional field with no column is a warning the manifest keeps: the ingest's own
    summary says it too, with what to do (the audit was the first to mention it)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "interactions.csv").write_text(
        "interaction_id,channel,site,received_at\nI1,phone,BJ,2026-07-01 09:00:00\n",
        encoding="utf-8",
    )
    for command in (
        ["evidence", "validate", str(folder), "--pack", PACK],
        ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(tmp_path / "s.db")],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 0, result.output
        warned = [line for line in result.output.splitlines() if line.startswith("warning: ")]
        assert "warning: interactions.csv: optional field 'answered_at' has no column" in "\n".join(
            warned
        ), result.output


def test_a_corrected_file_ingested_again_into_the_same_store_is_refused(runner, tmp_path) -> None:
    """The second version of a file would sit beside the first, its records refused as
    repeats of the first's: one line says so, and the store keeps the first version only."""
    import shutil
    import sqlite3

    folder = tmp_path / "ev"
    shutil.copytree(DEMO, folder)
    store = tmp_path / "s.db"
    first = runner.invoke(
        main, ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
    )
    assert first.exit_code == 0, first.output
    with sqlite3.connect(store) as db:
        stored = db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0]
    calls = folder / "interactions-2026Q3.csv"
    calls.write_bytes(calls.read_bytes().replace(b"2026-07-12 14:22:58", b"2026-07-12 14:22:59", 1))
    again = runner.invoke(
        main, ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
    )
    assert again.exit_code == 2, again.output
    errors = [line for line in again.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "interactions-2026Q3.csv" in errors[0]
    assert "ingested into this store before with other contents" in errors[0]
    assert "ingest the files into a new store" in errors[0]
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0] == stored


def test_a_repeated_key_of_several_fields_is_shown_as_the_report_prints_it(
    runner, tmp_path
) -> None:
    """item|site|checked_on, its date as a date: not a Python tuple of stored values."""
    import sqlite3

    folder = tmp_path / "ev"
    folder.mkdir()
    rows = (DEMO / "checklist.csv").read_text(encoding="utf-8-sig").splitlines()
    (folder / "checklist.csv").write_text("\n".join([*rows, rows[1]]) + "\n", encoding="utf-8")
    store = tmp_path / "s.db"
    result = runner.invoke(
        main, ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(store) as db:
        (shown,) = db.execute("SELECT raw_value FROM _quarantine").fetchone()
    item, site = rows[1].split(",")[:2]
    assert shown.split("|")[:2] == [item, site] and shown.count("|") == 2, shown
    assert "(" not in shown and shown.split("|")[2][:4] == "2026", shown


HOTLINE = """\
pack: hotline
version: 1.0.0
title: {zh: 热线, en: Hotline}
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  tickets:
    title: {zh: 工单, en: Tickets}
    key: ticket_id
    time: opened_at
    fields:
      ticket_id: {type: string, aliases: [工单编号]}
      opened_at: {type: timestamp, aliases: [受理时间, 创建时间]}
      closed_at: {type: timestamp, optional: true, aliases: [结案时间]}
rules:
  - id: CLOSED
    clause: "3.1.2"
    title: {zh: 结案, en: Closed}
    evidence: tickets
    condition: closed_at is not null
    target: 95%
    severity: minor
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""


def test_a_missing_column_is_not_offered_one_another_field_reads(
    runner, tmp_path, write_pack
) -> None:
    """受理日期 is offered for opened_at (like its alias 受理时间), not 结案时间: that column is
    read into closed_at, and following the hint would read closing times as opening times."""
    pack = write_pack(HOTLINE)
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "tickets.csv").write_text(
        "工单编号,受理日期,结案时间\nG1,2024-03-04 09:00,2024-03-04 12:00\n", encoding="utf-8"
    )
    result = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", str(pack)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {folder / 'tickets.csv'}:1: no column for required field 'opened_at' of "
        "tickets (looked for: opened_at, 受理时间, 创建时间); the header read: 工单编号, "
        "受理日期, 结案时间; did you mean '受理日期'?; add an alias in the pack or map it with "
        "--mapping"
    ]
