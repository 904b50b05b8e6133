"""`auditor evidence ingest/validate` on dates in two orders and on mapping mistakes:
exit 2, one line per file, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from auditor.cli import main

from ..conftest import RULES

PACK = str(RULES / "service-quality.yaml")
HEADER = "number,incident_state,opened_at,assignment_group\n"


def tickets(folder: Path, dates: list[str]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "tickets.csv"
    rows = "".join(f"INC{i},Active,{d},Group {i}\n" for i, d in enumerate(dates))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def mapping(tmp_path: Path, columns: str = "") -> Path:
    path = tmp_path / "servicenow.yaml"
    path.write_text(
        "kind: tickets\ntimezone: UTC\nmissing: ['?']\ncolumns:\n"
        "  ticket_id: number\n  opened_at: opened_at\n  site: assignment_group\n"
        "  status: {column: incident_state, values: {Active: open}}\n" + columns,
        encoding="utf-8",
    )
    return path


def errors(result) -> list[str]:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.output + result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_day_first_dates_without_a_format_are_stored_day_first(runner, tmp_path) -> None:
    folder = tmp_path / "export"
    tickets(folder, ["29/2/2016 01:16", "5/3/2016 10:15", "?"])
    store = tmp_path / "audit.db"
    given = mapping(tmp_path)
    command = ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
    result = runner.invoke(main, [*command, "--mapping", str(given)])
    assert result.exit_code == 0, result.output + result.stderr
    with sqlite3.connect(store) as db:
        opened = db.execute("SELECT opened_at FROM tickets ORDER BY _line").fetchall()
        reader, record = db.execute("SELECT reader, mapping FROM _manifest").fetchone()
    assert opened == [(1456708560.0,), (1457172900.0,)]  # 2016-02-29 01:16 and 2016-03-05 10:15 UTC
    assert json.loads(reader)["date_order"] == {"opened_at": "day-first"}
    assert json.loads(record)["columns"]["opened_at"] == "opened_at"
    assert (
        "note: tickets.csv: numeric dates read day-first in opened_at (line 2 holds "
        "'29/2/2016 01:16', which can only be day-first)"
    ) in result.output.splitlines()


def test_each_field_read_day_first_is_told_with_the_value_that_settled_it(runner, tmp_path) -> None:
    """Two fields settled by values on different lines: the note gives each its own."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "tickets.csv").write_text(
        "number,incident_state,opened_at,closed_at,assignment_group\n"
        "INC1,Active,5/3/2016 10:15,30/3/2016 09:00,G\n"
        "INC2,Active,13/3/2016 08:00,5/4/2016 10:00,G\n",
        encoding="utf-8",
    )
    given = mapping(tmp_path, "  closed_at: closed_at\n")
    command = ["evidence", "ingest", str(folder), "--pack", PACK]
    result = runner.invoke(
        main, [*command, "--store", str(tmp_path / "a.db"), "--mapping", str(given)]
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert (
        "note: tickets.csv: numeric dates read day-first in closed_at (line 2 holds "
        "'30/3/2016 09:00') and opened_at (line 3 holds '13/3/2016 08:00'), each of which "
        "can only be day-first"
    ) in result.output.splitlines()


def test_the_audit_records_what_settled_the_day_month_order(runner, tmp_path) -> None:
    """findings.json and the report say which line's value settled the order, so that a
    certifier can look at it; an order the mapping gives says so."""
    folder = tmp_path / "export"
    tickets(folder, ["5/3/2016 10:15", "29/2/2016 01:16"])
    given = mapping(tmp_path)
    out = tmp_path / "out"
    command = ["audit", PACK, str(folder), "--mapping", str(given), "--period", "2016-03"]
    result = runner.invoke(main, [*command, "--out", str(out), "--format", "json,html"])
    assert result.exit_code in (0, 1), result.output + result.stderr
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert document["manifest"]["evidence"][0]["date_order"] == {
        "opened_at": {"order": "day-first", "line": 3, "value": "29/2/2016 01:16"}
    }
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "opened_at</span> 日在前 (依据第 3 行:29/2/2016 01:16)" in page


def test_dates_no_value_can_order_exit_2_with_one_line(runner, tmp_path) -> None:
    folder = tmp_path / "export"
    tickets(folder, ["5/3/2016 10:15", "7/4/2016 09:00"])
    result = runner.invoke(
        main,
        ["evidence", "validate", str(folder), "--pack", PACK, "--mapping", str(mapping(tmp_path))],
    )
    assert result.exit_code == 2
    [line] = errors(result)
    assert "column 'opened_at': every date could be day-first or month-first" in line
    assert 'format: "%d/%m/%Y %H:%M"' in line


def test_dates_in_both_orders_exit_2_with_one_line(runner, tmp_path) -> None:
    folder = tmp_path / "export"
    tickets(folder, ["13/3/2016 10:15", "3/14/2016 09:00"])
    result = runner.invoke(
        main,
        ["evidence", "validate", str(folder), "--pack", PACK, "--mapping", str(mapping(tmp_path))],
    )
    assert result.exit_code == 2
    [line] = errors(result)
    assert "'13/3/2016 10:15' (line 2) can only be day-first" in line
    assert "'3/14/2016 09:00' (line 3) only month-first" in line


def test_a_typo_under_columns_exits_2_at_the_key(runner, tmp_path) -> None:
    folder = tmp_path / "export"
    tickets(folder, ["2016-03-05 10:15:00"])
    given = mapping(tmp_path, "  closd_at: closed_at\n")
    result = runner.invoke(
        main, ["evidence", "validate", str(folder), "--pack", PACK, "--mapping", str(given)]
    )
    assert result.exit_code == 2
    [line] = errors(result)
    assert line == (
        f"error: {given}:9:3: 'closd_at' under columns is not a field of tickets; "
        "did you mean 'closed_at'?"
    )


def test_a_sidecar_and_a_preset_exit_2_naming_both(runner, tmp_path) -> None:
    folder = tmp_path / "export"
    data = tickets(folder, ["2016-03-05 10:15:00"])
    (folder / "tickets.mapping.yaml").write_text(
        mapping(tmp_path).read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = runner.invoke(
        main, ["evidence", "validate", str(folder), "--pack", PACK, "--preset", "nyc-311"]
    )
    assert result.exit_code == 2
    [line] = errors(result)
    assert line == (
        f"error: {data}: has a sidecar mapping tickets.mapping.yaml but --preset nyc-311 "
        "was given; remove one"
    )


def test_a_required_field_holding_a_no_value_text_names_the_text(runner, tmp_path) -> None:
    """'?' is the mapping's text for no value: the cell is not empty, so the reason says what
    it holds and why that is no value; an empty cell is just empty."""
    from auditor.i18n import translate_reason

    folder = tmp_path / "export"
    tickets(folder, ["2016-03-05 10:15", "?", ""])
    store = tmp_path / "audit.db"
    command = ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
    result = runner.invoke(main, [*command, "--mapping", str(mapping(tmp_path))])
    assert result.exit_code == 0, result.output + result.stderr
    with sqlite3.connect(store) as db:
        rows = db.execute(
            "SELECT line, raw_value, reason FROM _quarantine ORDER BY line"
        ).fetchall()
    marked = "opened_at: required field is empty ('?' is read as no value)"
    assert rows == [(3, "?", marked), (4, "", "opened_at: required field is empty")]
    assert translate_reason(marked, "zh") == "opened_at:必填字段为空(“?”按无值处理)"
