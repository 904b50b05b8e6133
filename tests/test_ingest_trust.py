"""What an auditor can trust about an ingest: dates read in one order per column,
the mapping of every file on record, and mapping typos refused where they are.

Each test starts from the situation it names, builds its own small files in a
temporary folder and reads them with the real ingest.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditor.ingest as ingest_module
from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.errors import AuditorError, EvidenceError, closest_name
from auditor.ingest import IngestReport, ingest
from auditor.mapping import PRESETS_DIR, find_preset, load_mapping
from auditor.model import Pack
from auditor.timeparse import (
    DAY_FIRST,
    MONTH_FIRST,
    DayMonthOrder,
    OrderUndecided,
    TimestampParser,
    day_month_kind,
)

from .conftest import RULES, STANDARDS, TEST_PACKS

#: what a reason says to do about a value in no known format
ADVICE = "; give format: for this column in the mapping"


@functools.cache
def roundtrip_pack() -> Pack:
    return load_pack(TEST_PACKS / "roundtrip.yaml", [STANDARDS])


@functools.cache
def service_pack() -> Pack:
    return load_pack(RULES / "service-quality.yaml")


ZONE = ZoneInfo("Asia/Shanghai")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def run(
    folder: Path, mapping: Path | None = None, store: EvidenceStore | None = None
) -> tuple[IngestReport, EvidenceStore]:
    store = store or EvidenceStore(None)
    report = ingest(roundtrip_pack(), folder, store, load_mapping(mapping) if mapping else None)
    for f in report.files:
        assert f.rows_read == f.stored + f.quarantined, f
        assert "\n" not in f.reason
    return report, store


def stored_at(store: EvidenceStore, column: str = "at") -> dict[str, float | None]:
    rows = store.db.execute(f"SELECT record_id, {column} FROM records ORDER BY _line").fetchall()
    return dict(rows)


def local(*parts: int) -> float:
    return datetime(*parts, tzinfo=ZONE).timestamp()  # type: ignore[misc]


def csv_of(values: list[str], column: str = "at") -> str:
    return f"record_id,{column}\n" + "".join(f"R{i},{v}\n" for i, v in enumerate(values))


# ------------------------------------------------------------ 1. one day/month order per column


def test_a_day_over_12_settles_the_whole_column_day_first(tmp_path) -> None:
    """The ServiceNow layout: 5/3/2016 is 5 March because 13/3/2016 is in the same column."""
    write(tmp_path, "records.csv", csv_of(["5/3/2016 10:15", "13/3/2016 09:00", "1/2/2016 00:01"]))
    report, store = run(tmp_path)
    assert report.files[0].status == "ok"
    assert list(stored_at(store).values()) == [
        local(2016, 3, 5, 10, 15),
        local(2016, 3, 13, 9, 0),
        local(2016, 2, 1, 0, 1),
    ]
    assert report.files[0].reader["date_order"] == {"at": DAY_FIRST}
    # what settled it: line 3 (the header is line 1), whose day 13 cannot be a month
    assert report.files[0].reader["date_order_seen"] == {
        "at": {"line": 3, "value": "13/3/2016 09:00"}
    }
    assert report.files[0].date_order_notes() == [
        "records.csv: numeric dates read day-first in at (line 3 holds '13/3/2016 09:00', which "
        "can only be day-first)"
    ]


def test_a_second_part_over_12_settles_the_column_month_first(tmp_path) -> None:
    write(tmp_path, "records.csv", csv_of(["5/3/2016 10:15", "3/13/2016 09:00"]))
    report, store = run(tmp_path)
    assert list(stored_at(store).values()) == [local(2016, 5, 3, 10, 15), local(2016, 3, 13, 9)]
    assert report.files[0].reader["date_order"] == {"at": MONTH_FIRST}


def test_dots_and_dashes_and_seconds_are_numeric_dates_too(tmp_path) -> None:
    write(tmp_path, "records.csv", csv_of(["05.03.2016 10:15:30", "13.03.2016", "2-1-2016 8:00"]))
    _, store = run(tmp_path)
    assert list(stored_at(store).values()) == [
        local(2016, 3, 5, 10, 15, 30),
        local(2016, 3, 13),
        local(2016, 1, 2, 8),
    ]


def test_a_column_with_both_orders_is_an_error_quoting_one_of_each_with_lines(tmp_path) -> None:
    write(tmp_path, "records.csv", csv_of(["13/3/2016 10:00", "5/3/2016 11:00", "3/25/2016 12:00"]))
    report, store = run(tmp_path)
    reason = report.files[0].reason
    assert report.files[0].status == "error"
    assert "column 'at' mixes day-first and month-first dates" in reason
    assert "'13/3/2016 10:00' (line 2)" in reason and "'3/25/2016 12:00' (line 4)" in reason
    assert 'format: "%d/%m/%Y %H:%M"' in reason
    assert store.count("records") == 0


def test_a_column_nothing_settles_is_an_error_asking_for_format(tmp_path) -> None:
    write(tmp_path, "records.csv", csv_of(["5/3/2016 10:00", "7/4/2016 11:00", "1/2/2016 9:00"]))
    report, store = run(tmp_path)
    reason = report.files[0].reason
    assert report.files[0].status == "error"
    assert "column 'at': every date could be day-first or month-first" in reason
    assert "'5/3/2016 10:00' (line 2)" in reason and "'7/4/2016 11:00' (line 3)" in reason
    assert 'format: "%d/%m/%Y %H:%M" (day-first) or "%m/%d/%Y %H:%M" (month-first)' in reason
    assert store.count("records") == 0


def test_equal_day_and_month_need_no_decision(tmp_path) -> None:
    write(tmp_path, "records.csv", csv_of(["5/5/2016 10:00", "7/7/2016"]))
    _, store = run(tmp_path)
    assert list(stored_at(store).values()) == [local(2016, 5, 5, 10), local(2016, 7, 7)]


def test_am_pm_dates_nothing_settles_are_refused_not_guessed(tmp_path) -> None:
    """The US layout MM/DD/YYYY hh:mm:ss AM/PM with no day over 12: never read by convention."""
    write(tmp_path, "records.csv", csv_of(["07/01/2026 09:30:00 PM", "07/02/2026 10:00:00 AM"]))
    report, store = run(tmp_path)
    failed = report.files[0]
    assert failed.status == "error" and failed.stored == 0
    assert "format:" in failed.reason and "07/01/2026 09:30:00 PM" in failed.reason
    assert store.count("records") == 0 if store.db["records"].exists() else True


def test_am_pm_dates_with_a_day_over_12_are_day_first(tmp_path) -> None:
    write(tmp_path, "records.csv", csv_of(["05/03/2026 09:30:00 PM", "13/03/2026 10:00:00 AM"]))
    report, store = run(tmp_path)
    assert stored_at(store)["R0"] == local(2026, 3, 5, 21, 30)
    assert not any("month-first" in w for w in report.files[0].warnings)


def test_the_deciding_value_far_down_the_file_is_found_and_the_file_read_again(
    tmp_path, monkeypatch
) -> None:
    """Batches of 10: the first ambiguous batch does not settle the order; row 95 does."""
    monkeypatch.setattr(ingest_module, "BATCH", 10)
    values = [f"{1 + i % 12}/{1 + (i + 5) % 12}/2016 10:00" for i in range(94)]
    values = [v if v.split("/")[0] != v.split("/")[1] else "7/7/2016 10:00" for v in values]
    write(tmp_path, "records.csv", csv_of([*values, "25/12/2016 10:00", "bad"]))
    report, store = run(tmp_path)
    f = report.files[0]
    assert (f.rows_read, f.stored, f.quarantined) == (96, 95, 1)
    first = stored_at(store)["R0"]  # 1/6/2016 day-first: 1 June
    assert first == local(2016, 6, 1, 10)
    assert len(store.manifest()) == 1 and store.count("_quarantine") == 1


def test_a_contradiction_in_a_later_batch_keeps_nothing_of_the_file(tmp_path, monkeypatch) -> None:
    """Batches already converted are rolled back, and their keys do not shadow a later file."""
    monkeypatch.setattr(ingest_module, "BATCH", 5)
    values = ["13/1/2016"] + ["1/2/2016"] * 20 + ["1/13/2016"]
    write(tmp_path, "records-1.csv", csv_of(values))
    write(tmp_path, "records-2.csv", "record_id,at\nR0,2016-01-13\n")
    report, store = run(tmp_path)
    first, second = report.files
    assert first.status == "error" and "line 23" in first.reason
    assert (second.status, second.stored) == ("ok", 1)
    assert store.count("records") == 1 and store.count("_quarantine") == 0


def test_a_date_field_and_a_date_plus_time_field_take_the_order_too(tmp_path) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        "kind: records\ncolumns:\n  record_id: id\n  day: d\n  at: {date: d, time: t}\n",
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "id,d,t\nA,5/3/2016,10:00\nB,20/3/2016,11:00\n")
    _, store = run(folder, mapping)
    assert stored_at(store, "day")["A"] == local(2016, 3, 5)
    assert stored_at(store)["A"] == local(2016, 3, 5, 10)


def test_chinese_and_full_width_dates_and_times_are_read_from_a_csv(tmp_path) -> None:
    """What Chinese Excel and WPS write: 上午/下午 for AM/PM, full-width digits, AM/PM after a
    year-first date; 13 下午 is no time and is quarantined in its own column."""
    mapping = write(
        tmp_path,
        "m.yaml",
        "kind: records\ncolumns:\n  record_id: id\n  day: d\n  at: {date: d, time: t}\n",
    )
    folder = tmp_path / "data"
    folder.mkdir()
    rows = [
        "A,１９９９年８月１日,上午 10:07:11",
        "B,1999/8/1,下午 6:42:04",
        "C,1999/8/1,下午12:00:00",
        "D,1999/8/1,10:07:11 AM",
        "E,1999/8/1,下午 13:00:00",
    ]
    write(folder, "records.csv", "id,d,t\n" + "\n".join(rows) + "\n")
    _, store = run(folder, mapping)
    # 1999-08-01 00:00 in Shanghai (UTC+8) is 933,465,600 - 8 * 3,600 epoch seconds
    midnight = 933_465_600 - 28_800
    assert stored_at(store) == {
        "A": midnight + 10 * 3600 + 7 * 60 + 11,
        "B": midnight + 18 * 3600 + 42 * 60 + 4,
        "C": midnight + 12 * 3600,
        "D": midnight + 10 * 3600 + 7 * 60 + 11,
    }
    assert stored_at(store, "day")["A"] == midnight
    assert store.db.execute(
        'SELECT line, "column", raw_value, reason FROM _quarantine'
    ).fetchall() == [
        (
            6,
            "t",
            "下午 13:00:00",
            "at: '下午 13:00:00' is not a valid time of day: 下午 goes with a 12-hour time, "
            "whose hour is 0 to 12, not 13; correct it in column t",
        )
    ]


@pytest.mark.parametrize(
    ("at", "header", "rows", "stored", "quarantined"),
    [
        (
            "{date: d, time: t}",
            "id,d,t",
            [
                "A,1999/8/1,凌晨12:30",
                "B,1999/8/1,早上 7:15",
                "C,1999/8/1,中午1:05",
                "D,1999/8/1,晚上 3:00",
            ],
            {"A": 30 * 60, "B": 7 * 3600 + 15 * 60, "C": 13 * 3600 + 5 * 60},
            (
                5,
                "t",
                "晚上 3:00",
                "at: '晚上 3:00' is not a valid time of day: 晚上 (evening, 17:00-23:59) does not "
                "go with hour 3; correct it in column t",
            ),
        ),
        (
            "ts",
            "id,ts",
            [
                "A,1999/8/1 晚上 8:00",
                "B,1999/8/1中午12:30",
                "C,1999/8/1 6:10 傍晚",
                "D,1999/8/1 凌晨 9:00",
            ],
            {"A": 20 * 3600, "B": 12 * 3600 + 30 * 60, "C": 18 * 3600 + 10 * 60},
            (
                5,
                "ts",
                "1999/8/1 凌晨 9:00",
                "at: '1999/8/1 凌晨 9:00' is not a valid date/time: 凌晨 (small hours, 0:00-5:59) "
                "does not go with hour 9",
            ),
        ),
    ],
    ids=["date-time", "one-column"],
)
def test_chinese_words_for_a_part_of_the_day_are_read_from_a_csv(
    tmp_path, at: str, header: str, rows: list[str], stored: dict[str, int], quarantined: tuple
) -> None:
    """凌晨, 早上, 中午, 傍晚 and 晚上 with a 12-hour time, in a time column and joined to a
    date; a word that does not go with its hour is quarantined, naming the word and the hour."""
    midnight = 933_465_600 - 28_800  # 1999-08-01 00:00 in Shanghai
    store = _ingested(tmp_path / "evidence", at, header, rows)
    assert stored_at(store) == {key: midnight + seconds for key, seconds in stored.items()}
    assert _quarantined(store) == [quarantined]


def test_a_part_of_the_day_that_does_not_go_with_its_hour_is_said_in_chinese() -> None:
    from auditor.i18n import translate_reason

    assert translate_reason(
        "at: '1999/8/1 凌晨 9:00' is not a valid date/time: 凌晨 (small hours, 0:00-5:59) "
        "does not go with hour 9",
        "zh",
    ) == ("at:“1999/8/1 凌晨 9:00”不是有效的日期时间:凌晨(0:00-5:59)与小时 9 不符")
    hour_13 = "at: '上午 13:00' is not a valid time of day: 上午 goes with a 12-hour time, whose "
    assert translate_reason(hour_13 + "hour is 0 to 12, not 13; correct it in column t", "zh") == (
        "at:“上午 13:00”不是有效的时刻:上午须配 12 小时制时刻,小时为 0 至 12,而非 13;请在列 t 中更正"
    )


def _ingested(folder: Path, at: str, header: str, rows: list[str]) -> EvidenceStore:
    """A store of ``rows`` ingested from a CSV file under ``header``, field at read from ``at``."""
    folder.mkdir()
    mapping = write(folder, "m.yaml", f"kind: records\ncolumns:\n  record_id: id\n  at: {at}\n")
    data = folder / "data"
    data.mkdir()
    write(data, "records.csv", "\n".join([header, *rows]) + "\n")
    return run(data, mapping)[1]


def _quarantined(store: EvidenceStore) -> list[tuple[int, str, str, str]]:
    return store.db.execute(
        'SELECT line, "column", raw_value, reason FROM _quarantine ORDER BY line'
    ).fetchall()


def test_chinese_am_pm_joined_to_the_date_without_a_space_is_read(tmp_path) -> None:
    """1999/8/1下午6:42:04, as some exports write a date and a 12-hour time in one cell."""
    mapping = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n  at: ts\n")
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "id,ts\nA,1999/8/1下午6:42:04\nB,1999年8月1日上午10:07\n")
    _, store = run(folder, mapping)
    midnight = 933_465_600 - 28_800  # 1999-08-01 00:00 in Shanghai
    assert stored_at(store) == {
        "A": midnight + 18 * 3600 + 42 * 60 + 4,
        "B": midnight + 10 * 3600 + 7 * 60,
    }


def test_the_column_of_a_date_plus_time_field_is_named_in_the_error(tmp_path) -> None:
    mapping = write(
        tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n  at: {date: d, time: t}\n"
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "id,d,t\nA,5/3/2016,10:00\nB,4/3/2016,11:00\n")
    report, _ = run(folder, mapping)
    assert "column 'd + t' (field at): every date could be" in report.files[0].reason


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "{date: d, time: t}",
            [
                (
                    3,
                    "d",
                    "31/02/2016",
                    "at: '31/02/2016' is not a valid date/time (impossible day, month or hour?); "
                    "correct it in column d",
                ),
                (4, "t", "10:75", "at: '10:75' is not a valid time of day; correct it in column t"),
                (
                    5,
                    "d + t",
                    "31/02/2016 10:75",
                    "at: '31/02/2016 10:75' is not a valid date/time (impossible day, month or "
                    "hour?); correct it in column d + t",
                ),
            ],
        ),
        (
            '{date: d, time: t, format: "%d/%m/%Y %H:%M"}',  # the two read together: cannot tell
            [
                (
                    3,
                    "d + t",
                    "31/02/2016 10:00",
                    "at: '31/02/2016 10:00' does not match the format %d/%m/%Y %H:%M; "
                    "correct it in column d + t",
                ),
                (
                    4,
                    "d + t",
                    "13/03/2016 10:75",
                    "at: '13/03/2016 10:75' does not match the format %d/%m/%Y %H:%M; "
                    "correct it in column d + t",
                ),
                (
                    5,
                    "d + t",
                    "31/02/2016 10:75",
                    "at: '31/02/2016 10:75' does not match the format %d/%m/%Y %H:%M; "
                    "correct it in column d + t",
                ),
            ],
        ),
    ],
    ids=["apart", "with-a-format"],
)
def test_a_date_plus_time_value_names_the_column_that_is_wrong(tmp_path, spec, expected) -> None:
    """An impossible day in a day-first date column (13/3 says so) is quarantined in the date
    column with its own value, an impossible minute in the time column; a format read over the
    two together cannot tell them apart, and names both, as it does when both are wrong."""
    mapping = write(tmp_path, "m.yaml", f"kind: records\ncolumns:\n  record_id: id\n  at: {spec}\n")
    folder = tmp_path / "data"
    folder.mkdir()
    write(
        folder,
        "records.csv",
        "id,d,t\nA,13/03/2016,10:00\nB,31/02/2016,10:00\nC,13/03/2016,10:75\nD,31/02/2016,10:75\n",
    )
    _, store = run(folder, mapping)
    quarantined = store.db.execute(
        'SELECT line, "column", raw_value, reason FROM _quarantine ORDER BY line'
    ).fetchall()
    assert quarantined == expected
    assert stored_at(store) == {"A": local(2016, 3, 13, 10)}


def test_the_mapping_may_give_the_order_and_iso_dates_are_read_as_well(tmp_path) -> None:
    """Every numeric date could be either order: order: day-first settles it, an ISO date
    beside them is read too (a format would quarantine it), and a value only month-first
    can be is refused, naming it."""
    mapping = write(
        tmp_path, "m.yaml",
        "kind: records\ncolumns:\n  record_id: record_id\n  at: {column: at, order: day-first}\n",
    )  # fmt: skip
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", csv_of(["5/3/2016", "6/3/2016 10:00", "2016-03-07"]))
    report, store = run(folder, mapping)
    assert (report.files[0].stored, report.files[0].quarantined) == (3, 0)
    assert list(stored_at(store).values()) == [
        local(2016, 3, 5),
        local(2016, 3, 6, 10),
        local(2016, 3, 7),
    ]
    write(folder, "records.csv", csv_of(["5/3/2016", "3/25/2016"]))
    report, _ = run(folder, mapping)
    assert report.files[0].reason.endswith(
        "column 'at' is read day-first as the mapping says, but '3/25/2016' (line 3) can only "
        "be month-first; one column cannot hold both orders; correct the mapping's order:, or "
        "give format: to quarantine the values in the other order"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "{column: at, order: dayfirst}",
            "order of 'at' is day-first or month-first, not 'dayfirst'",
        ),
        ('{column: at, order: day-first, format: "%d/%m/%Y"}', "'at' gives both format and order"),
    ],
)
def test_a_mapping_s_order_is_checked(spec: str, message: str) -> None:
    with pytest.raises(AuditorError, match=message):
        load_mapping_text(f"kind: records\ncolumns:\n  record_id: id\n  at: {spec}\n")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "{column: at, order: day-frist}",
            "m.yaml:4:27: order of 'at' is day-first or month-first, not 'day-frist'; "
            "did you mean 'day-first'?",
        ),
        (
            '{column: at, format: "%Q"}',
            "m.yaml:4:28: format of 'at' has '%Q', which is not a strptime directive; the "
            "directives are %a %A %b %B %c %d %f %G %H %I %j %m %M %p %S %u %U %V %w %W %x %X "
            '%y %Y %z %Z %%, e.g. "%d/%m/%Y %H:%M"',
        ),
        (
            '{column: at, format: "%d/%m/%Y %"}',
            "m.yaml:4:28: format of 'at' has '%', which is not a strptime directive",
        ),
    ],
    ids=["misspelt order", "unknown directive", "percent at the end"],
)
def test_a_mapping_s_date_layout_is_refused_at_its_place_with_what_it_may_be(
    spec: str, message: str
) -> None:
    """A format strptime cannot read is refused at the mapping's line (it would quarantine
    every row), with the directives; a misspelt order gets the closest."""
    with pytest.raises(AuditorError) as caught:
        load_mapping_text(f"kind: records\ncolumns:\n  record_id: id\n  at: {spec}\n")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_explicit_format_takes_no_decision(tmp_path) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        'kind: records\ncolumns:\n  record_id: record_id\n  at: {column: at, format: "%d/%m/%Y"}\n',
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", csv_of(["5/3/2016", "3/25/2016"]))
    report, store = run(folder, mapping)
    assert (report.files[0].stored, report.files[0].quarantined) == (1, 1)
    assert stored_at(store)["R0"] == local(2016, 3, 5)
    assert "date_order" not in report.files[0].reader


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-03-05 10:00:00", (2016, 3, 5, 10)),
        ("2016/03/05 10:00", (2016, 3, 5, 10)),
        ("2016年3月5日 10:00", (2016, 3, 5, 10)),
        ("42434.4166666667", (2016, 3, 5, 10)),
        ("2016.03.05", (2016, 3, 5)),
    ],
)
def test_unambiguous_layouts_are_unaffected(tmp_path, text: str, expected: tuple[int, ...]) -> None:
    write(tmp_path, "records.csv", f"record_id,at,day\nA,{text},{text.split(' ')[0]}\n")
    report, store = run(tmp_path)
    assert report.files[0].status == "ok", report.files[0].reason
    assert abs(stored_at(store)["A"] - local(*expected)) < 1  # type: ignore[operator]
    assert "date_order" not in report.files[0].reader


def test_jsonl_values_are_decided_the_same_way(tmp_path) -> None:
    lines = [{"record_id": "A", "at": "5/3/2016 10:00"}, {"record_id": "B", "at": "31/3/2016"}]
    write(tmp_path, "records.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    _, store = run(tmp_path)
    assert stored_at(store)["A"] == local(2016, 3, 5, 10)


def test_xlsx_text_cells_are_decided_the_same_way(tmp_path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["record_id", "at"])
    sheet.append(["A", "5/3/2016 10:00"])
    sheet.append(["B", datetime(2016, 3, 6, 8, 0)])
    sheet.append(["C", "3/13/2016 10:00"])
    book.save(tmp_path / "records.xlsx")
    report, store = run(tmp_path)
    assert stored_at(store)["A"] == local(2016, 5, 3, 10)
    assert report.files[0].reader["date_order"] == {"at": MONTH_FIRST}


def test_xlsx_date_and_time_cells_in_every_form_give_one_moment(tmp_path) -> None:
    """A workbook's day as a date cell, a serial number or text, its time as a time cell, a
    fraction of a day or text: the same moment (a serial was glued to its time as text)."""
    mapping = write(
        tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n  at: {date: d, time: t}\n"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "d", "t"])
    sheet.append(["A", 42440, "9:30:20"])  # 2016-03-11 as Excel's serial day number
    sheet.append(["B", datetime(2016, 3, 11), time(9, 30, 20)])
    sheet.append(["C", "2016-03-11", (9 * 3600 + 30 * 60 + 20) / 86400])
    sheet.append(["D", 42440.75, 0.39606481])  # a serial's own fraction is not the time
    folder = tmp_path / "data"
    folder.mkdir()
    book.save(folder / "records.xlsx")
    report, store = run(folder, mapping)
    assert (report.files[0].stored, report.files[0].quarantined) == (4, 0)
    assert set(stored_at(store).values()) == {local(2016, 3, 11, 9, 30, 20)}


def test_a_csv_serial_day_beside_a_time_is_read_as_a_workbook_serial_is(tmp_path) -> None:
    """A CSV date column of Excel serial day numbers joined with a time column: a whole-number
    serial in 1954-2119 is its day, as in a workbook and as in a date column alone (42440 is
    2016-03-11, 36373 is 1999-08-01); a number outside that range is no day, named in the
    date column."""
    mapping = write(
        tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n  at: {date: d, time: t}\n"
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "id,d,t\nA,42440,9:30:20\nB,36373,10:00:37\nC,12,10:00:37\n")
    report, store = run(folder, mapping)
    assert (report.files[0].rows_read, report.files[0].stored) == (3, 2)
    assert stored_at(store) == {
        "A": local(2016, 3, 11, 9, 30, 20),
        "B": local(1999, 8, 1, 10, 0, 37),
    }
    quarantined = store.db.execute(
        'SELECT line, "column", raw_value, reason FROM _quarantine'
    ).fetchall()
    assert quarantined == [
        (
            4,
            "d",
            "12",
            "at: '12' is not a date/time in a known format; give format: for this column in "
            "the mapping; correct it in column d",
        )
    ]


def test_a_csv_serial_day_written_with_a_fraction_beside_a_time_is_its_day(tmp_path) -> None:
    """An Excel-saved CSV writes a serial day as ``46206.0``: beside a time it is day 46206
    (2026-07-03), as ``46206`` is; a fraction of a day is left to the time column, as a
    workbook's serial is read there. An impossible number is named in the date column, with
    its own value."""
    mapping = write(
        tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n  at: {date: d, time: t}\n"
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(
        folder,
        "records.csv",
        "id,d,t\nA,46206,10:00:00\nB,46206.0,10:00:00\nC,46206.25,10:00:00\nD,12.0,10:00:00\n",
    )
    report, store = run(folder, mapping)
    assert (report.files[0].rows_read, report.files[0].stored) == (4, 3)
    ten = local(2026, 7, 3, 10, 0, 0)
    assert stored_at(store) == {"A": ten, "B": ten, "C": ten}
    assert quarantine_of(store) == [
        (
            5,
            "d",
            "12.0",
            "at: '12.0' is not a date/time in a known format; give format: for this column "
            "in the mapping; correct it in column d",
        )
    ]


def test_a_date_plus_time_with_one_part_empty_names_the_empty_column(tmp_path) -> None:
    """A date filled in and its time empty (or the other way round): the empty column is
    named, with the row's cells of both, as for a field joined from columns; both empty is
    the plain empty field."""
    mapping = write(
        tmp_path,
        "m.yaml",
        "kind: interactions\ncolumns:\n  interaction_id: id\n  channel: {value: phone}\n"
        "  site: {value: SH}\n  received_at: {date: d, time: t}\n",
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(
        folder,
        "interactions.csv",
        "id,d,t\nA,2026-07-03,10:00:00\nB,2026-07-03,\nC,,10:00:00\nD,,\n",
    )
    store = EvidenceStore(None)
    report = ingest(service_pack(), folder, store, load_mapping(mapping))
    assert (report.files[0].rows_read, report.files[0].stored) == (4, 1)
    assert quarantine_of(store) == [
        (3, "d + t", "2026-07-03 + ", "received_at: t is empty, d is not; correct it in column t"),
        (4, "d + t", " + 10:00:00", "received_at: d is empty, t is not; correct it in column d"),
        (5, "d + t", None, "received_at: required field is empty"),
    ]


def test_the_parser_refuses_an_ambiguous_value_until_the_column_is_decided() -> None:
    order = DayMonthOrder("at", "at", "records.csv")
    parser = TimestampParser(ZONE, order=order)
    with pytest.raises(OrderUndecided):
        parser("5/3/2016 10:00")
    assert parser("5/5/2016 10:00") == local(2016, 5, 5, 10)  # the same either way
    order.observe(["13/3/2016 10:00"], [2])
    assert parser("5/3/2016 10:00") == local(2016, 3, 5, 10)
    assert parser("2016-03-05 10:00:00") == local(2016, 3, 5, 10)


@pytest.mark.parametrize(
    ("parts", "kind"),
    [((13, 3), DAY_FIRST), ((3, 13), MONTH_FIRST), ((5, 3), "ambiguous"), ((5, 5), None)],
)
def test_what_one_value_says_about_its_column(parts: tuple[int, int], kind: str | None) -> None:
    assert day_month_kind(*parts) == kind


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@given(
    st.lists(days, min_size=1, max_size=25),
    st.sampled_from([DAY_FIRST, MONTH_FIRST]),
    st.sampled_from("/.-"),
    st.booleans(),
)
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_random_columns_are_decided_by_their_values_alone(
    tmp_path_factory, dates: list[date], written: str, sep: str, padded: bool
) -> None:
    """Day-first iff some first part is over 12; the dates stored are the ones written."""
    folder = tmp_path_factory.mktemp("order")
    pattern = ("%d{0}%m{0}%Y" if written == DAY_FIRST else "%m{0}%d{0}%Y").format(sep)
    texts = [d.strftime(pattern) for d in dates]
    if not padded:
        texts = [t.lstrip("0").replace(sep + "0", sep) for t in texts]
    write(folder, "records.csv", csv_of([f"{t} 12:00" for t in texts]))
    report, store = run(folder)
    firsts = [int(t.split(sep)[0]) for t in texts]
    seconds = [int(t.split(sep)[1]) for t in texts]
    ambiguous = any(a != b for a, b in zip(firsts, seconds, strict=True))
    if any(a > 12 for a in firsts) or any(b > 12 for b in seconds) or not ambiguous:
        assert report.files[0].status == "ok", report.files[0].reason
        got = list(stored_at(store).values())
        assert got == [datetime(d.year, d.month, d.day, 12, tzinfo=ZONE).timestamp() for d in dates]
        decided = report.files[0].reader.get("date_order", {}).get("at")
        assert (decided == DAY_FIRST) == any(a > 12 for a in firsts)
    else:
        assert report.files[0].status == "error"
        assert "format:" in report.files[0].reason


# ------------------------------------------------------------ 2. the audit trail of a mapping

NYC = (
    "Unique Key,Created Date,Closed Date,Due Date,Agency,Status\n"
    "1,07/01/2026 09:30:00 AM,07/13/2026 10:00:00 AM,,NYPD,Closed\n"
)


def manifest_json(store: EvidenceStore, column: str) -> list[object]:
    return [json.loads(row[column]) if row[column] else None for row in store.manifest()]


def test_a_preset_is_recorded_with_its_name_path_hash_and_columns(tmp_path) -> None:
    write(tmp_path, "requests.csv", NYC)
    store = EvidenceStore(None)
    report = ingest(service_pack(), tmp_path, store, load_mapping(find_preset("nyc-311")))
    f = report.files[0]
    assert f.status == "ok", f.reason
    digest = hashlib.sha256((PRESETS_DIR / "nyc-311.yaml").read_bytes()).hexdigest()
    assert f.mapping == {
        "name": "nyc-311",
        "source": "preset",
        "path": "presets/nyc-311.yaml",
        "sha256": digest,
        "columns": {
            "ticket_id": "Unique Key",
            "site": "Agency",
            "opened_at": "Created Date",
            "closed_at": "Closed Date",
            "status": "Status",
            "due_at": "Due Date",
        },
        "timezone": "America/New_York",
        "dst": "strict",
        # what the audit trail needs to re-read a value: the texts taken as no value (the
        # kind's "" and the preset's), the status map and the three month-first formats
        "missing": ["", "N/A", "Unspecified"],
        "values": {
            "status": {
                "Closed": "closed",
                "Open": "open",
                "Assigned": "open",
                "Started": "open",
                "Pending": "waiting_customer",
                "Email Sent": "waiting_customer",
                "Unassigned": "open",
                "In Progress": "open",
            }
        },
        "formats": {
            "closed_at": "%m/%d/%Y %I:%M:%S %p",
            "due_at": "%m/%d/%Y %I:%M:%S %p",
            "opened_at": "%m/%d/%Y %I:%M:%S %p",
        },
    }
    assert manifest_json(store, "mapping") == [f.mapping]
    assert any("'channel' has no column" in w for w in f.warnings)
    assert manifest_json(store, "warnings") == [f.warnings]


def test_a_mapping_under_the_evidence_folder_is_recorded_relative_to_it(tmp_path) -> None:
    folder = tmp_path / "evidence"
    (folder / "maps").mkdir(parents=True)
    mapping = write(folder / "maps", "m.yaml", "kind: records\ncolumns:\n  record_id: id\n")
    write(folder, "data.csv", "id\nA\n")
    report, _ = run(folder, mapping)
    record = report.files[0].mapping
    assert record is not None
    assert (record["source"], record["path"], record["name"]) == ("mapping", "maps/m.yaml", None)
    assert record["sha256"] == hashlib.sha256(mapping.read_bytes()).hexdigest()


def test_a_mapping_outside_the_evidence_folder_is_recorded_as_given(tmp_path) -> None:
    mapping = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n")
    folder = tmp_path / "evidence"
    folder.mkdir()
    write(folder, "data.csv", "id\nA\n")
    report, _ = run(folder, mapping)
    assert report.files[0].mapping["path"] == str(mapping)  # type: ignore[index]


def test_a_sidecar_is_recorded_as_such(tmp_path) -> None:
    write(tmp_path, "data.csv", "id\nA\n")
    write(tmp_path, "data.mapping.yaml", "kind: records\ncolumns:\n  record_id: id\n")
    report, store = run(tmp_path)
    assert report.files[0].mapping["source"] == "sidecar"  # type: ignore[index]
    assert report.files[0].mapping["path"] == "data.mapping.yaml"  # type: ignore[index]
    assert manifest_json(store, "mapping")[0]["source"] == "sidecar"  # type: ignore[index]


def test_an_automatic_match_is_recorded_with_the_columns_found(tmp_path) -> None:
    write(tmp_path, "records.csv", "编号,时间\nA,2026-07-01 10:00:00\n")
    report, _ = run(tmp_path)
    assert report.files[0].mapping == {
        "name": None,
        "source": "auto",
        "path": None,
        "sha256": None,
        "columns": {"record_id": "编号", "at": "时间"},
        "timezone": None,
        "dst": "strict",
        "missing": [""],
        "values": {},
        "formats": {},
    }


def test_every_way_of_reading_a_field_has_its_short_text(tmp_path) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        "kind: records\ncolumns:\n"
        "  record_id: {join: [a, b]}\n"
        "  at: {date: d, time: [t1, t2]}\n"
        "  day: {date: d, time: t1}\n"
        "  name: {column: [n1, n2]}\n"
        "  channel: {value: phone}\n",
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "a,b,d,t1,t2,n1,n2\nx,1,2026-07-01,10:00,,N,\n")
    report, _ = run(folder, mapping)
    assert report.files[0].mapping["columns"] == {  # type: ignore[index]
        "record_id": "join(a, b)",
        "at": "d + (t1 | t2)",
        "day": "d + t1",
        "name": "n1 | n2",
        "channel": "= phone",
    }


def test_a_sidecar_and_a_different_preset_is_an_error_naming_both(tmp_path) -> None:
    write(tmp_path, "requests.csv", NYC)
    write(tmp_path, "requests.mapping.yaml", "kind: tickets\ncolumns:\n  ticket_id: Unique Key\n")
    store = EvidenceStore(None)
    report = ingest(service_pack(), tmp_path, store, load_mapping(find_preset("nyc-311")))
    reason = report.files[0].reason
    assert report.files[0].status == "error"
    assert reason == (
        f"{tmp_path / 'requests.csv'}: has a sidecar mapping requests.mapping.yaml "
        "but --preset nyc-311 was given; remove one"
    )


def test_a_sidecar_and_a_different_mapping_is_an_error_naming_both(tmp_path) -> None:
    given = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n")
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "data.csv", "id\nA\n")
    write(folder, "data.mapping.yaml", "kind: records\ncolumns:\n  record_id: id  # mine\n")
    report, _ = run(folder, given)
    assert f"but --mapping {given} was given; remove one" in report.files[0].reason


def test_a_sidecar_identical_to_the_given_mapping_is_fine(tmp_path) -> None:
    text = "kind: records\ncolumns:\n  record_id: id\n"
    given = write(tmp_path, "m.yaml", text)
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "data.csv", "id\nA\n")
    write(folder, "data.mapping.yaml", text)
    report, _ = run(folder, given)
    assert report.files[0].status == "ok"
    assert report.files[0].mapping["source"] == "mapping"  # type: ignore[index]


def test_a_store_written_before_the_audit_trail_gets_its_columns(tmp_path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE _manifest (id INTEGER PRIMARY KEY, file TEXT, kind TEXT, sha256 TEXT, "
            "size INTEGER, rows_read INTEGER, stored INTEGER, quarantined INTEGER, "
            "status TEXT, reason TEXT, reader TEXT)"
        )
        db.execute("INSERT INTO _manifest (file, status) VALUES ('old.csv', 'ok')")
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "record_id\nA\n")
    store = EvidenceStore(path)
    report, _ = run(folder, store=store)
    rows = store.manifest()
    assert rows[0]["mapping"] is None and rows[0]["warnings"] is None
    assert json.loads(rows[1]["mapping"]) == report.files[0].mapping
    store.close()


def test_a_file_skipped_as_already_stored_keeps_its_record(tmp_path) -> None:
    write(tmp_path, "records.csv", "record_id\nA\n")
    store = EvidenceStore(tmp_path / "audit.db")
    first, _ = run(tmp_path, store=store)
    second, _ = run(tmp_path, store=store)
    assert second.files[0].status == "skipped"
    assert second.files[0].mapping == first.files[0].mapping
    assert second.files[0].warnings == first.files[0].warnings
    store.close()


# ------------------------------------------------------------ 3. mapping typos


def mapping_and_data(tmp_path: Path, columns: str, data: str) -> tuple[Path, Path]:
    mapping = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n" + columns)
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", data)
    return mapping, folder


def test_an_unknown_field_key_is_an_error_at_the_key_with_the_closest_field(tmp_path) -> None:
    mapping, folder = mapping_and_data(tmp_path, "  record_id: id\n  cuont: n\n", "id,n\nA,1\n")
    report, _ = run(folder, mapping)
    reason = report.files[0].reason
    assert reason == (
        f"{mapping}:4:3: 'cuont' under columns is not a field of records; did you mean 'count'?"
    )


def test_several_unknown_field_keys_are_all_named(tmp_path) -> None:
    mapping, folder = mapping_and_data(
        tmp_path, "  record_id: id\n  zzz: n\n  qqq: n\n", "id,n\nA,1\n"
    )
    report, _ = run(folder, mapping)
    reason = report.files[0].reason
    assert f"{mapping}:4:3: 'zzz' under columns" in reason and "also not fields: qqq" in reason
    assert "its fields: record_id, name" in reason


@pytest.mark.parametrize(
    ("columns", "data", "expected"),
    [
        (
            "  record_id: id\n  name: nmae\n",
            "id,name\nA,x\n",
            "column 'nmae' of field 'name' is not in {file}; did you mean 'name'?; "
            "its columns: id, name",
        ),
        # 日期 written for 时间: half the characters changed, which difflib's cutoff refuses
        (
            "  record_id: 工单编号\n  at: 创建日期\n",
            "工单编号,创建时间,关闭时间\nA,x,y\n",
            "column '创建日期' of field 'at' is not in {file}; did you mean '创建时间'?; "
            "its columns: 工单编号, 创建时间, 关闭时间",
        ),
    ],
    ids=["a letter swapped", "a chinese word changed"],
)
def test_a_mapped_column_the_file_lacks_is_an_error_naming_the_column_meant(
    tmp_path, columns: str, data: str, expected: str
) -> None:
    mapping, folder = mapping_and_data(tmp_path, columns, data)
    report, _ = run(folder, mapping)
    assert report.files[0].reason == (
        f"{mapping}:4:3: " + expected.format(file=folder / "records.csv")
    )


def test_a_column_another_field_reads_is_never_the_one_suggested(tmp_path) -> None:
    """关闭日期 for at is closest to 关闭时间, but name reads that column: suggesting it would map
    one column to two fields (a re-trial's opened_at got closed_at's column)."""
    mapping, folder = mapping_and_data(
        tmp_path,
        "  record_id: 工单编号\n  name: 关闭时间\n  at: 关闭日期\n",
        "工单编号,创建时间,关闭时间\nA,x,y\n",
    )
    report, _ = run(folder, mapping)
    assert report.files[0].reason == (
        f"{mapping}:5:3: column '关闭日期' of field 'at' is not in {folder / 'records.csv'}; "
        "its columns: 工单编号, 创建时间, 关闭时间"
    )


SN_HEADER = ("工单编号", "创建时间", "关闭时间", "渠道", "状态", "")


@pytest.mark.parametrize(
    ("name", "header", "meant"),
    [
        ("创建日期", SN_HEADER, "创建时间"),
        ("关闭日期", SN_HEADER, "关闭时间"),
        ("工单号", SN_HEADER, "工单编号"),
        ("xyz", SN_HEADER, None),  # unrelated: nothing
        ("日期", SN_HEADER, None),  # both two-character columns wholly different
        ("处理日期", SN_HEADER, None),  # no column with two of its characters in place
        ("创建日期", ("创建时间", "创建人员"), None),  # two as close: no clear one
    ],
)
def test_the_closest_chinese_header_is_the_one_clear_one(
    name: str, header: tuple[str, ...], meant: str | None
) -> None:
    assert closest_name(name, header) == meant


def test_a_misspelt_column_of_an_optional_field_is_an_error_not_an_empty_field(tmp_path) -> None:
    mapping, folder = mapping_and_data(
        tmp_path, "  record_id: id\n  count: servr\n", "id,server\nA,3\n"
    )
    report, store = run(folder, mapping)
    assert report.files[0].status == "error"
    assert "column 'servr' of field 'count'" in report.files[0].reason
    assert "did you mean 'server'" in report.files[0].reason
    assert store.count("records") == 0


def test_a_column_marked_optional_may_be_absent_and_is_warned_about(tmp_path) -> None:
    mapping, folder = mapping_and_data(
        tmp_path, "  record_id: id\n  count: {column: n, optional: true}\n", "id\nA\n"
    )
    report, _ = run(folder, mapping)
    f = report.files[0]
    assert f.status == "ok"
    assert "optional field 'count' has no column in this file (n absent)" in " ".join(f.warnings)
    assert "count" not in f.mapping["columns"]  # type: ignore[index]


def test_an_optional_field_with_no_column_is_a_warning_in_report_and_manifest(tmp_path) -> None:
    write(tmp_path, "records.csv", "record_id,name\nA,x\n")
    report, store = run(tmp_path)
    warning = (
        "optional field 'count' has no column in this file; "
        "its records are left out of the rules that judge by it"
    )
    assert warning in report.files[0].warnings
    assert warning in manifest_json(store, "warnings")[0]  # type: ignore[operator]
    assert not any("'name'" in w for w in report.files[0].warnings)


def test_a_required_field_the_mapping_leaves_out_is_an_error_at_columns(tmp_path) -> None:
    """The file's one column is read into 'name': it is not offered for record_id too."""
    mapping, folder = mapping_and_data(tmp_path, "  name: record_id\n", "record_id\nA\n")
    report, _ = run(folder, mapping)
    assert report.files[0].reason == (
        f"{mapping}:2:1: the mapping gives no column for required field 'record_id' of records; "
        "add 'record_id: COLUMN' under columns"
    )


def test_an_unknown_kind_in_a_mapping_is_an_error_at_kind(tmp_path) -> None:
    mapping = write(tmp_path, "m.yaml", "kind: record\ncolumns:\n  record_id: id\n")
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "records.csv", "id\nA\n")
    report, _ = run(folder, mapping)
    assert report.files[0].reason.startswith(f"{mapping}:1:7: mapping names unknown evidence kind")
    assert "did you mean 'records'?" in report.files[0].reason


@pytest.mark.parametrize(
    ("columns", "data"),
    [
        ("  record_id: id\n  cuont: n\n", "id,n\nA,1\n"),
        ("  record_id: id\n  name: nmae\n", "id,name\nA,x\n"),
        ("  name: record_id\n", "record_id\nA\n"),
        ("  record_id: id\n  at: at\n", "id,at\nA,5/3/2016\nB,3/13/2016\nC,13/3/2016\n"),
    ],
)
def test_every_message_prints_each_path_once(tmp_path, columns: str, data: str) -> None:
    mapping, folder = mapping_and_data(tmp_path, columns, data)
    report, _ = run(folder, mapping)
    reason = report.files[0].reason
    assert report.files[0].status == "error"
    assert reason.count(str(mapping)) <= 1
    assert reason.count(str(folder / "records.csv")) <= 1


def test_an_unknown_field_key_is_refused_when_the_plan_is_made() -> None:
    from auditor.convert import RowPlan

    with pytest.raises(EvidenceError, match="'cuont' under columns is not a field of records"):
        RowPlan(
            roundtrip_pack().evidence["records"],
            load_mapping_text("kind: records\ncolumns:\n  record_id: id\n  cuont: n\n"),
            ["id", "n"],
            ZONE,
            Path("records.csv"),
        )


def load_mapping_text(text: str):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return load_mapping(write(Path(folder), "m.yaml", text))


# ------------------------------------------------------------ 4. XLSX sheets


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def test_a_hidden_sheet_before_the_records_is_not_read_for_them(tmp_path) -> None:
    """A hidden backup sheet placed first: the visible sheet's records are stored, and the
    manifest names that sheet as read; a mapping may still name the hidden one."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    backup = book.create_sheet("旧版备份")
    backup.append(["record_id"])
    backup.append(["OLD"])
    backup.sheet_state = "hidden"
    shown = book.create_sheet("明细")
    for row in (["record_id"], ["A"], ["B"]):
        shown.append(row)
    book.save(tmp_path / "records.xlsx")
    report, _ = run(tmp_path)
    assert (report.files[0].stored, report.files[0].reader["sheet"]) == (2, "明细")
    mapping = write(tmp_path, "m.yaml", "kind: records\nreader: {sheet: 旧版备份}\n")
    again, _ = run(tmp_path, mapping)
    assert (again.files[0].stored, again.files[0].reader["sheet"]) == (1, "旧版备份")


def test_a_required_column_missing_from_the_sheet_read_names_the_sheets(tmp_path) -> None:
    workbook(
        tmp_path / "records.xlsx",
        {"Sheet1": [["notes"], ["x"]], "Incidents": [["record_id"], ["A"]]},
    )
    report, _ = run(tmp_path)
    reason = report.files[0].reason
    assert "no column for required field 'record_id'" in reason
    assert (
        "sheet 'Sheet1' read (sheets: Sheet1, Incidents); give reader: {sheet: NAME} in the mapping"
        in reason
    )


def test_a_typo_in_the_header_of_the_sheet_read_does_not_send_to_another_sheet(
    tmp_path,
) -> None:
    """The sheet read has record_ld (l typed for i): the error offers that column and says
    nothing of the workbook's other sheet, which is not the cause."""
    workbook(
        tmp_path / "records.xlsx",
        {"明细": [["record_ld", "名称"], ["A", "x"]], "汇总": [["合计"], [1]]},
    )
    mapping = write(tmp_path, "m.yaml", "kind: records\n")
    report, _ = run(tmp_path, mapping)
    assert report.files[0].reason == (
        f"{tmp_path / 'records.xlsx'}:1: no column for required field 'record_id' of records "
        "(looked for: record_id, 编号); the header read: record_ld, 名称; did you mean "
        "'record_ld'?; add an alias in the pack or 'record_id: COLUMN' under columns in "
        f"{mapping}"
    )


def test_a_mapping_s_column_typed_wrong_in_the_sheet_read_does_not_send_to_another_sheet(
    tmp_path,
) -> None:
    workbook(
        tmp_path / "records.xlsx",
        {"明细": [["record_ld", "名称"], ["A", "x"]], "汇总": [["合计"], [1]]},
    )
    mapping = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: record_di\n")
    report, _ = run(tmp_path, mapping)
    reason = report.files[0].reason
    assert reason.endswith(
        "column 'record_di' of field 'record_id' is not in "
        f"{tmp_path / 'records.xlsx'}; did you mean 'record_ld'?; its columns: record_ld, 名称"
    )


def test_a_workbook_whose_kind_cannot_be_told_names_the_sheet_read_and_the_others(
    tmp_path,
) -> None:
    """A cover sheet first, in a workbook not named after its kind: the error says which
    sheet was read and which the workbook also has."""
    workbook(
        tmp_path / "export.xlsx",
        {"Cover": [["exported by the system"]], "Data": [["record_id"], ["A"]]},
    )
    report, _ = run(tmp_path)
    reason = report.files[0].reason
    assert "export.xlsx: cannot tell which evidence kind this file holds" in reason
    assert "sheet 'Cover' was read, the workbook also has Data" in reason
    assert "move the sheet of records to the front" in reason


def test_a_file_whose_kind_cannot_be_told_is_told_a_name_after_the_packs_first_kind(
    tmp_path,
) -> None:
    """The example name is built from the pack's own first kind (it was
    interactions-2026-07.csv, a kind this pack does not have), with the file's suffix."""
    write(tmp_path, "export.csv", "a,b\n1,2\n")
    report, _ = run(tmp_path)
    assert report.files[0].reason == (
        f"{tmp_path / 'export.csv'}: cannot tell which evidence kind this file holds (kinds: "
        "records); name the file after its kind (e.g. records-2026-07.csv) or give "
        "--mapping/--preset"
    )


def test_a_workbook_whose_kind_cannot_be_told_names_the_row_below_a_title_holding_a_header(
    tmp_path,
) -> None:
    """A title read as the header tells no kind: the row below that is one kind's header is
    named, with the kind and header_row a mapping needs."""
    rows: list[list[object]] = [["Calls exported 2016-03"], [], ["编号", "数量"], ["A", 1]]
    workbook(tmp_path / "export.xlsx", {"Calls": rows})
    report, _ = run(tmp_path)
    assert report.files[0].reason == (
        f"{tmp_path / 'export.xlsx'}: cannot tell which evidence kind this file holds (kinds: "
        "records); name the file after its kind (e.g. records-2026-07.xlsx) or give "
        "--mapping/--preset; row 3 of sheet 'Calls' holds '编号', the header read is row 1: if "
        "the rows above row 3 are a title, give reader: {header_row: 3} in a mapping (kind: "
        "records and that reader are enough: the columns are then found by their names)"
    )


def test_a_mapped_column_missing_from_the_sheet_read_names_the_sheets(tmp_path) -> None:
    workbook(
        tmp_path / "records.xlsx",
        {"Summary": [["id"], ["A"]], "Incidents": [["id", "n"], ["A", 1]]},
    )
    mapping = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n  count: n\n")
    report, _ = run(tmp_path, mapping)
    reason = report.files[0].reason
    assert "column 'n' of field 'count'" in reason and "its columns: id" in reason
    assert "sheet 'Summary' read (sheets: Summary, Incidents)" in reason


def test_the_sheet_named_in_the_mapping_is_read(tmp_path) -> None:
    workbook(
        tmp_path / "records.xlsx",
        {"Summary": [["id"], ["A"]], "Incidents": [["id", "n"], ["A", 1]]},
    )
    mapping = write(
        tmp_path,
        "m.yaml",
        "kind: records\nreader: {sheet: Incidents}\ncolumns:\n  record_id: id\n  count: n\n",
    )
    report, _ = run(tmp_path, mapping)
    assert report.files[0].status == "ok" and report.files[0].reader["sheet"] == "Incidents"


def test_a_title_above_a_workbook_header_is_named_and_header_row_reads_below_it(tmp_path) -> None:
    """An export with a title row and a blank row above its header: the title is read as
    the header (nothing is guessed), the error names the row that holds the mapped column,
    and reader: {header_row: 3} reads the records under their own row numbers."""
    rows: list[list[object]] = [["Calls exported 2016-03"], [], ["id", "n"], ["A", 1], ["B", 2]]
    workbook(tmp_path / "records.xlsx", {"Calls": rows})
    columns = "columns:\n  record_id: id\n  count: n\n"
    mapping = write(tmp_path, "m.yaml", "kind: records\n" + columns)
    report, _ = run(tmp_path, mapping)
    assert report.files[0].status == "error"
    assert report.files[0].reason.endswith(
        "its columns: Calls exported 2016-03; row 3 of sheet 'Calls' holds 'id', the header "
        "read is row 1: if the rows above row 3 are a title, give reader: {header_row: 3} in "
        "a mapping (its kind and reader are enough: the columns are then found by their "
        "names, as now)"
    )
    mapping = write(tmp_path, "m.yaml", "kind: records\nreader: {header_row: 3}\n" + columns)
    report, store = run(tmp_path, mapping)
    assert (report.files[0].rows_read, report.files[0].stored) == (2, 2)
    assert report.files[0].reader["header_row"] == 3
    lines = store.db.execute("SELECT record_id, count, _line FROM records ORDER BY _line")
    assert lines.fetchall() == [("A", 1, 4), ("B", 2, 5)]
    mapping = write(tmp_path, "m.yaml", "kind: records\nreader: {header_row: 2}\n" + columns)
    report, _ = run(tmp_path, mapping)
    assert report.files[0].reason.endswith(
        "records.xlsx:2: row 2 of sheet 'Calls' is empty: no header there; give reader: "
        "{header_row: N} the row that holds the column names"
    )
    # a header row below the header: the error is placed on the row read as the header
    mapping = write(tmp_path, "m.yaml", "kind: records\nreader: {header_row: 4}\n")
    report, _ = run(tmp_path, mapping)
    assert "records.xlsx:4: no column for required field 'record_id'" in report.files[0].reason


def test_a_mapping_of_the_kind_alone_names_the_row_below_a_title_that_holds_the_header(
    tmp_path,
) -> None:
    """A mapping with no columns finds each field by its name or aliases, as no mapping does:
    a title above the header is told as for no mapping (the row that holds the column looked
    for, and the header_row to give), not as a mapping that left the field out of columns."""
    rows: list[list[object]] = [["Calls exported 2016-03"], [], ["编号", "数量"], ["A", 1]]
    (tmp_path / "data").mkdir()
    workbook(tmp_path / "data" / "calls.xlsx", {"Calls": rows})
    mapping = write(tmp_path, "m.yaml", "kind: records\n")
    report, _ = run(tmp_path / "data", mapping)
    assert report.files[0].reason == (
        f"{tmp_path / 'data' / 'calls.xlsx'}:1: no column for required field 'record_id' of "
        "records (looked for: record_id, 编号); the header read: Calls exported 2016-03; add an "
        f"alias in the pack or 'record_id: COLUMN' under columns in {mapping}; row 3 of sheet "
        "'Calls' holds '编号', the header read is row 1: if the rows above row 3 are a title, "
        "give reader: {header_row: 3} in a mapping (its kind and reader are enough: the "
        "columns are then found by their names, as now)"
    )


def test_a_title_read_as_the_header_is_not_offered_as_the_column_meant(tmp_path) -> None:
    """The title 编号表 is close to the alias 编号, but the header is below it: the row that
    holds 编号 is named, and no "did you mean" points at the title."""
    rows: list[list[object]] = [["编号表"], [], ["编号", "数量"], ["A", 1]]
    (tmp_path / "data").mkdir()
    workbook(tmp_path / "data" / "calls.xlsx", {"Calls": rows})
    report, _ = run(tmp_path / "data", write(tmp_path, "m.yaml", "kind: records\n"))
    reason = report.files[0].reason
    assert "the header read: 编号表;" in reason and "give reader: {header_row: 3}" in reason
    assert "did you mean" not in reason
    # the same when a mapping names the column: the row that holds it, not the title, is told
    named = write(tmp_path, "n.yaml", "kind: records\ncolumns: {record_id: 编号}\n")
    again, _ = run(tmp_path / "data", named)
    reason = again.files[0].reason
    assert "column '编号' of field 'record_id' is not in" in reason
    assert "give reader: {header_row: 3}" in reason and "did you mean" not in reason


def test_a_formula_never_computed_quarantines_its_row_naming_column_and_formula(tmp_path) -> None:
    """openpyxl writes a formula without its value, as an export program does: the row is
    quarantined with the column's name in the reason (the console's count keeps it, where
    it showed '…'), the column and formula in the row's column and raw_value (they were
    NULL), the row's cells as its record, and the reason in Chinese in a Chinese report."""
    rows: list[list[object]] = [["编号", "数量"], ["A", 1], ["B", "=SUM(B2:B2)"]]
    workbook(tmp_path / "records.xlsx", {"Calls": rows})
    report, store = run(tmp_path)
    reason = (
        "column 数量 holds a formula whose value the workbook does not hold (never computed); "
        "open it in Excel and save it again"
    )
    assert dict(report.files[0].reasons) == {reason: 1}
    quarantined = store.db.execute(
        'SELECT line, "column", raw_value, reason, record FROM _quarantine'
    ).fetchall()
    assert quarantined == [(3, "数量", "=SUM(B2:B2)", reason, '["B", "=SUM(B2:B2)"]')]
    from auditor.i18n import translate_reason

    assert translate_reason(reason, "zh") == (
        "列 数量 为公式,工作簿中没有其计算结果(从未计算);请在 Excel 中打开并重新保存"
    )


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_totals_row_with_a_formula_never_computed_is_told_as_a_totals_row(
    tmp_path, engine
) -> None:
    """A totals row is caught before any value is read: 合计 with =SUM(...) never computed gets
    the totals row's reason, as 合计 with its sum does, not the formula's (first seen on the
    first of them, though the formula's row is refused as it is read)."""
    rows: list[list[object]] = [
        ["编号", "数量"],
        ["A", 1],
        ["合计", 1],
        ["合计", "=SUM(B2:B2)"],
    ]
    workbook(tmp_path / "records.xlsx", {"Calls": rows})
    report, store = run(tmp_path, store=EvidenceStore(str(tmp_path / "s.db"), engine=engine))
    reason = "record_id: a totals row (合计 in its first cell), not a record; remove the line"
    counted = report.files[0]
    assert (counted.stored, dict(counted.reasons)) == (1, {reason: 2})
    assert counted.first_seen[reason] == (3, "编号", "合计")
    quarantined = store.db.execute(
        'SELECT line, "column", raw_value, reason FROM _quarantine ORDER BY line'
    ).fetchall()
    assert quarantined == [(3, "编号", "合计", reason), (4, "编号", "合计", reason)]


@pytest.mark.parametrize(
    ("value", "reason", "counted", "counted_zh"),
    [
        (
            "共3000条",
            "at: '共3000条' is not a date/time in a known format" + ADVICE,
            "at: not a date/time in a known format" + ADVICE,
            "at:不是可识别格式的日期时间;请在映射中给出该列的 format:",
        ),
        (
            "2026-02-30 10:00",
            "at: '2026-02-30 10:00' is not a valid date/time (impossible day, month or hour?)",
            "at: not a valid date/time (impossible day, month or hour?)",
            "at:不是有效的日期时间(日、月或小时不存在?)",
        ),
    ],
    ids=["a total row", "an impossible day"],
)
def test_a_reason_counted_has_no_value_and_the_row_keeps_its_own(
    tmp_path, value: str, reason: str, counted: str, counted_zh: str
) -> None:
    """The reason counted (console, findings.json, report) read "at: '…' is not a date/time
    ...", taken for a value '…'; it now has none, in both languages, and the quarantined
    row's reason keeps the value."""
    write(tmp_path, "records.csv", f"编号,时间\nA,2026-03-01 10:00\nB,{value}\n")
    report, store = run(tmp_path)
    assert dict(report.files[0].reasons) == {counted: 1}
    assert store.db.execute("SELECT raw_value, reason FROM _quarantine").fetchall() == [
        (value, reason)
    ]
    from auditor.i18n import translate_reason

    assert translate_reason(counted, "zh") == counted_zh


def test_header_row_is_for_workbooks_and_a_row_number(tmp_path) -> None:
    write(tmp_path, "records.csv", "id\nA\n")
    mapping = write(
        tmp_path, "m.yaml", "kind: records\nreader: {header_row: 2}\ncolumns:\n  record_id: id\n"
    )
    report, _ = run(tmp_path, mapping)
    assert "header_row is for workbooks; the header of a CSV file is its first line" in (
        report.files[0].reason
    )
    with pytest.raises(AuditorError, match="header_row must be a row number"):
        load_mapping_text("kind: records\nreader: {header_row: 0}\ncolumns:\n  record_id: id\n")


def test_a_field_a_preset_leaves_out_but_the_file_has_is_named_in_the_warning(tmp_path) -> None:
    """The call-centre preset maps no q_time; a pack with a q_time field is told where it is."""
    text = (RULES / "service-quality.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      agent_id: {type: string, optional: true",
        "      q_time: {type: integer, optional: true}\n      agent_id: {type: string, optional: true",
    )
    assert "q_time" in text
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pack.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "standards").symlink_to(STANDARDS)
    pack = load_pack(rules / "pack.yaml")
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "calls.csv").write_text(
        "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,"
        "q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server\n"
        "AA0101,1,0,0,PS,990801,7:00:01,7:00:10,9,7:00:10,7:00:40,30,AGENT,7:00:40,7:02:00,80,A\n",
        encoding="utf-8",
    )
    store = EvidenceStore(None)
    report = ingest(pack, folder, store, load_mapping(find_preset("callcentre-queue-log")))
    store.close()
    warning = next(w for w in report.files[0].warnings if "'q_time'" in w)
    assert "preset callcentre-queue-log does not map it" in warning
    assert "add 'q_time: q_time' under columns" in warning
    from auditor.i18n import translate_reason

    assert "可选字段 q_time 未被映射" in translate_reason(warning, "zh")


# ------------------------------------------------------------ the bytes read are the bytes hashed


def _changed_at_the_end_of_reading(monkeypatch, path: Path) -> None:
    """The file gains a line once its rows are read (another program still writing it)."""
    real = ingest_module._FileLoad._settle_status

    def settle_then_change(self) -> None:
        real(self)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("R99,2026-01-01\n")

    monkeypatch.setattr(ingest_module._FileLoad, "_settle_status", settle_then_change)


def test_a_file_that_changes_while_it_is_read_keeps_nothing(tmp_path, monkeypatch) -> None:
    path = write(tmp_path, "records.csv", csv_of([f"2026-01-0{d}" for d in range(1, 8)]))
    _changed_at_the_end_of_reading(monkeypatch, path)
    report, store = run(tmp_path)
    (only,) = report.files
    assert only.status == "error" and "changed while it was read" in only.reason
    assert store.count("records") == 0 and store.count("_quarantine") == 0


def test_when_the_accounting_fails_too_it_is_the_error_reported(tmp_path, monkeypatch) -> None:
    """The row count and the second hash are checked side by side; an accounting that does
    not balance is the reason given (the hash is given up at its next chunk)."""
    path = write(tmp_path, "records.csv", csv_of([f"2026-01-0{d}" for d in range(1, 8)]))
    _changed_at_the_end_of_reading(monkeypatch, path)
    monkeypatch.setattr(EvidenceStore, "rows_from", lambda self, kind, source: (6, 0))
    report, store = run(tmp_path)
    (only,) = report.files
    assert only.status == "error" and "does not balance: read 7, stored 6" in only.reason
    assert store.count("records") == 0


def test_ctrl_c_as_the_hash_thread_starts_gives_the_hash_up(monkeypatch, ctrl_c) -> None:
    """Held while the second hash's thread starts, Ctrl-C is raised once it is known, and
    the hash gives up at its next chunk instead of reading the whole file first."""
    import signal
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from auditor.ingest import Ingest

    submit = ThreadPoolExecutor.submit

    def submit_then_ctrl_c(pool, *args, **kwargs):
        future = submit(pool, *args, **kwargs)
        signal.raise_signal(signal.SIGINT)
        return future

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit_then_ctrl_c)
    gave_up = threading.Event()

    class Hashing:
        def _check_unchanged(self, path, report, stop) -> None:
            if stop.wait(60):  # a long file: read until told to stop
                gave_up.set()

        def _check_balance(self, *args) -> None:
            pass

    class Report:
        path = "x.csv"

    with pytest.raises(KeyboardInterrupt):
        Ingest._check_stored_and_unchanged(Hashing(), None, Report(), 1)  # type: ignore[arg-type]
    assert gave_up.is_set()


def test_a_mapping_without_columns_finds_the_fields_by_their_names(tmp_path) -> None:
    """kind and reader alone: the header below a title, its columns matched by field names
    as without a mapping (a mapping needed every column spelled out before)."""
    rows: list[list[object]] = [["Calls exported 2016-03"], ["record_id", "count"], ["A", 1]]
    workbook(tmp_path / "records.xlsx", {"Calls": rows})
    mapping = write(tmp_path, "m.yaml", "kind: records\nreader: {header_row: 2}\n")
    report, store = run(tmp_path, mapping)
    assert (report.files[0].status, report.files[0].stored) == ("ok", 1)
    assert report.files[0].mapping["columns"] == {"record_id": "record_id", "count": "count"}
    assert store.db.execute("SELECT record_id, count, _line FROM records").fetchall() == [
        ("A", 1, 3)
    ]
    with pytest.raises(AuditorError, match="'columns' must map fields to columns"):
        load_mapping_text("kind: records\ncolumns: [id]\n")


def test_a_csv_title_line_is_named_for_what_it_may_be(tmp_path) -> None:
    """A CSV export with a title line above its header: the header read is listed, and a
    one-column header is said to be maybe a title (a CSV file's header is its first line)."""
    write(tmp_path, "records.csv", "Calls exported 2016-03\nid,n\nA,1\n")
    report, _ = run(tmp_path)
    reason = report.files[0].reason
    assert "no column for required field 'record_id' of records" in reason
    assert (
        "the header read: Calls exported 2016-03 (one column: if that line is a title above "
        "the header, remove it; the header of a CSV file is its first line)"
    ) in reason


TITLED_CSV = "工单导出(2016年3月),,\n,,\n编号,名称,时间\nA,x,2016-03-01 10:00\n"


def test_a_csv_header_below_a_title_is_named_with_its_line(tmp_path) -> None:
    """A GB18030 export saved from Excel with a title line and an empty line above its
    header: the mapped column is named on the line that holds it, and the lines above are to
    be removed (reader: header_row is for workbooks)."""
    mapping = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: 编号\n")
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "records.csv").write_bytes(TITLED_CSV.encode("gb18030"))
    report, _ = run(folder, mapping)
    assert report.files[0].reason == (
        f"{mapping}:3:3: column '编号' of field 'record_id' is not in {folder / 'records.csv'}; "
        "its columns: 工单导出(2016年3月), , ; line 3 holds '编号', the header read is line 1: "
        "if the lines above line 3 are a title, remove them (the header of a CSV file is its "
        "first line)"
    )


def test_a_csv_whose_kind_is_told_by_the_header_below_a_title_names_that_line(tmp_path) -> None:
    (tmp_path / "export.csv").write_bytes(TITLED_CSV.encode("gb18030"))
    report, _ = run(tmp_path)
    assert report.files[0].reason == (
        f"{tmp_path / 'export.csv'}: cannot tell which evidence kind this file holds (kinds: "
        "records); name the file after its kind (e.g. records-2026-07.csv) or give "
        "--mapping/--preset; line 3 holds '编号', the header read is line 1: if the lines "
        "above line 3 are a title, remove them (the header of a CSV file is its first line)"
    )


def test_a_repeated_column_name_is_placed_at_the_header_row(tmp_path) -> None:
    rows: list[list[object]] = [
        ["Calls exported 2016-03"],
        [],
        ["record_id", "count", "count"],
        ["A", 1, 2],
    ]
    workbook(tmp_path / "records.xlsx", {"Calls": rows})
    mapping = write(tmp_path, "m.yaml", "kind: records\nreader: {header_row: 3}\n")
    report, _ = run(tmp_path, mapping)
    reason = report.files[0].reason
    assert reason.startswith(
        f"{tmp_path / 'records.xlsx'}:3: column 'count' appears more than once"
    )
    assert "in the header of sheet 'Calls' (columns 2, 3)" in reason
    assert "a mapping names columns by their names" in reason


def _message(call, *args) -> str:  # type: ignore[no-untyped-def]
    try:
        call(*args)
    except ValueError as exc:
        return str(exc)
    raise AssertionError("no error")


def test_values_of_one_fault_are_counted_as_one_reason() -> None:
    """Reasons whose value was not quoted (a trial: 'count: 3.5 is not a whole number', a
    DST time) were counted one reason per value, the report's table a row each; each is now
    one reason, its rows keeping their values, in both languages."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from auditor.convert import _number, _whole
    from auditor.i18n import translate_reason
    from auditor.ingest import reason_class
    from auditor.timeparse import excel_serial, localize

    zone = ZoneInfo("America/Los_Angeles")
    cases = {
        "count: not a whole number": [_message(_whole, v) for v in (3.5, 7.25)],
        "score: not a finite number": [_message(_number, v) for v in ("inf", "-inf")],
        "at: not a plausible Excel date serial (1954-2119)": [
            _message(excel_serial, v) for v in (12.0, 99999.0)
        ],
        "at: does not exist in America/Los_Angeles (clocks jump forward); give the time "
        "with its UTC offset, or set dst: forward in the mapping": [
            _message(localize, datetime(2018, 3, 11, 2, m), zone) for m in (15, 30)
        ],
        "at: happens twice in America/Los_Angeles (clocks go back); give the time with its "
        "UTC offset, or set dst: earlier or later in the mapping": [
            _message(localize, datetime(2017, 11, 5, 1, m), zone) for m in (15, 30)
        ],
    }
    fields = {"count": "count", "score": "score"}
    for counted, messages in cases.items():
        field = fields.get(counted.split(":")[0], "at")
        reasons = [f"{field}: {m}" for m in messages]
        assert {reason_class(r) for r in reasons} == {counted}, reasons
        assert all("'" in r for r in reasons)  # the row's own reason keeps its value, quoted
    assert translate_reason("count: '3.5' is not a whole number", "zh") == "count:“3.5”不是整数"
    assert translate_reason("count: not a whole number", "zh") == "count:不是整数"
    assert (
        translate_reason("count: '99999999999999999999' is too large a whole number to store", "zh")
        == "count:“99999999999999999999”整数过大,无法存储"
    )
    assert reason_class("count: '99999999999999999999' is too large a whole number to store") == (
        "count: too large a whole number to store"
    )
    assert (
        translate_reason(
            "at: '2018-03-11 02:30:00' does not exist in America/Los_Angeles (clocks jump forward); "
            "give the time with its UTC offset, or set dst: forward in the mapping",
            "zh",
        )
        == "at:“2018-03-11 02:30:00”在 America/Los_Angeles 时区不存在(夏令时拨快)"
    )
    assert (
        translate_reason(
            "at: happens twice in America/Los_Angeles (clocks go back); give the time with its "
            "UTC offset, or set dst: earlier or later in the mapping",
            "zh",
        )
        == "at:在 America/Los_Angeles 时区出现两次(夏令时拨慢)"
    )
    assert translate_reason("x: not a plausible Excel date serial (1954-2119)", "zh") == (
        "x:不是合理的 Excel 日期序号(1954-2119)"
    )


# ------------------------------------------------------------ rows that are no records


def quarantine_of(store: EvidenceStore) -> list[tuple[int, str, str | None, str]]:
    return store.db.execute(
        'SELECT line, "column", raw_value, reason FROM _quarantine ORDER BY line'
    ).fetchall()


def test_a_header_repeated_mid_file_is_named_as_such(tmp_path) -> None:
    """A paged export repeats its header: a row with the header's cells (trimmed as the header
    is, empty cells at its end aside) is no record, and says so, not that 'at' is no date; a
    row that differs from the header in one cell is a record with a wrong value."""
    write(
        tmp_path,
        "records.csv",
        "record_id , at\nA,2026-01-01 10:00\n record_id,at ,\nB,2026-01-02 10:00\n"
        "record_id,at\nrecord_id,later\n",
    )
    report, store = run(tmp_path)
    assert (report.files[0].rows_read, report.files[0].stored) == (5, 2)
    repeated = "the header repeated (a paged export?): not a record; remove the line"
    assert quarantine_of(store) == [
        (3, "", None, repeated),
        (5, "", None, repeated),
        (6, "at", "later", "at: 'later' is not a date/time in a known format" + ADVICE),
    ]
    assert report.files[0].reasons[repeated] == 2
    from auditor.i18n import translate_reason

    assert translate_reason(repeated, "zh") == "表头重复出现(分页导出?):不是记录;请删除该行"


def test_a_header_repeated_or_a_totals_row_that_would_convert_is_no_record(tmp_path) -> None:
    """Told before the row is read, not only when a value fails: the header repeated (every
    cell a text the fields take) and a totals row whose key cell is 合计 or TOTAL are no
    records; 合计 in a first column the key is not read from is a value like any other."""
    write(
        tmp_path,
        "records.csv",
        "record_id,name\nA,x\nrecord_id,name\n合计,2\n TOTAL ,2\nB,y\nTotal,\n合计 x,1\n",
    )
    report, store = run(tmp_path)
    assert (report.files[0].rows_read, report.files[0].stored) == (7, 3)
    assert list(stored_at(store, "name")) == ["A", "B", "合计 x"]
    repeated = "the header repeated (a paged export?): not a record; remove the line"
    totals = "record_id: a totals row ({} in its first cell), not a record; remove the line"
    assert quarantine_of(store) == [
        (3, "", None, repeated),
        (4, "record_id", "合计", totals.format("合计")),
        (5, "record_id", " TOTAL ", totals.format("TOTAL")),
        (7, "record_id", "Total", totals.format("Total")),
    ]
    mapping = write(tmp_path, "m.yaml", "kind: records\ncolumns:\n  record_id: id\n  name: n\n")
    folder = tmp_path / "named-first"
    folder.mkdir()
    write(folder, "records.csv", "n,id\n合计,C\n")
    _, store = run(folder, mapping)
    assert stored_at(store, "name") == {"C": "合计"}


def test_every_spelling_of_a_totals_word_is_looked_for_in_a_batch() -> None:
    """A batch's first column is looked up in TOTALS_SPELLINGS as written, not lower-cased: it
    holds every text that str.lower() makes a totals word, as no character but a letter of
    the words in either case lower-cases to anything with one of their letters."""
    import sys

    from auditor.convert import TOTALS_SPELLINGS, TOTALS_WORDS

    letters = set("".join(TOTALS_WORDS))
    either_case = {form for letter in letters for form in (letter, letter.upper())}
    others = [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if set(chr(code).lower()) & letters and chr(code) not in either_case
    ]
    assert others == []
    assert {spelling.lower() for spelling in TOTALS_SPELLINGS} == TOTALS_WORDS
    assert {"TOTAL", "Grand Total", "SubTotal", "合计"} <= TOTALS_SPELLINGS


def test_a_joined_key_names_its_empty_part_and_a_totals_row_is_no_record(tmp_path) -> None:
    """A key joined from two columns, one of them empty: the empty one is named, with the row's
    cells of both; a row whose first cell is 合计 or Total is an export's totals row, to
    remove, and so is one with 合计 in the key's other column, the first empty; 合计 or Total
    with the other part filled is a record's key part; both parts empty is the plain empty
    field."""
    mapping = write(
        tmp_path,
        "m.yaml",
        'kind: records\ncolumns:\n  record_id: {join: [line, call], sep: "-"}\n  at: at\n',
    )
    folder = tmp_path / "data"
    folder.mkdir()
    write(
        folder,
        "records.csv",
        "line,call,at\nL1,7,2026-01-01 10:00\nL2,,2026-01-01 10:00\n,8,2026-01-01 10:00\n"
        ",,2026-01-01 10:00\n合计,,\nTotal,,\n,合计,\nL3,Total,2026-01-01 10:00\n",
    )
    report, store = run(folder, mapping)
    assert (report.files[0].rows_read, report.files[0].stored) == (8, 2)
    assert list(stored_at(store)) == ["L1-7", "L3-Total"]
    both = "line + call"
    totals = "record_id: a totals row ({} in its first cell), not a record; remove the line"
    in_call = "record_id: a totals row (合计 in column call), not a record; remove the line"
    assert quarantine_of(store) == [
        (3, both, "L2 + ", "record_id: call is empty, line is not; correct it in column call"),
        (4, both, " + 8", "record_id: line is empty, call is not; correct it in column line"),
        (5, both, None, "record_id: required field is empty"),
        (6, "line", "合计", totals.format("合计")),
        (7, "line", "Total", totals.format("Total")),
        (8, "call", "合计", in_call),
    ]
    from auditor.i18n import translate_reason

    assert translate_reason(in_call, "zh") == (
        "record_id:合计行(列 call 为“合计”),不是记录;请删除该行"
    )

    assert translate_reason(totals.format("合计"), "zh") == (
        "record_id:合计行(首列为“合计”),不是记录;请删除该行"
    )
    assert (
        translate_reason(
            "at: 'x' is not a date/time in a known format: a totals row (合计 in its first cell), "
            "not a record; remove the line",
            "zh",
        )
        == "at:“x”不是可识别格式的日期时间:合计行(首列为“合计”),不是记录;请删除该行"
    )
    assert translate_reason(
        "record_id: call is empty, line is not; correct it in column call", "zh"
    ) == ("record_id:call 为空,line 不为空;请在列 call 中更正")


#: what the compliance officer's trial file held: impossible dates in layouts the reader knows
TRIAL_IMPOSSIBLE = [
    "2026/13/01 10:00:00",
    "2026-13-01 10:00:00",
    "2026/02/30 10:00:00",
    "2026年13月01日 10:00:00",
    "2010/8/1 25:00:00",
    "13/13/2010 10:00",
    "2026.02.29 10:00",
    "2026年2月3日 10时75分",
]


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@pytest.mark.parametrize("rows", [20, 2000], ids=["value by value", "column-wise"])
def test_an_impossible_date_in_a_known_layout_is_quarantined_as_impossible(
    tmp_path, engine: str, rows: int
) -> None:
    """2026/13/01 was told "not a date/time in a known format; give format:", advice that
    makes no month 13 valid and would quarantine the rest of the column; ISO 2026-13-01 was
    told it is impossible. Every known layout is now told the same, on every ingest path
    (few rows are read value by value, many column-wise), into either engine's store."""
    good = [f"2010-08-01 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}" for n in range(rows)]
    values = good[:5] + TRIAL_IMPOSSIBLE + good[5:]
    write(tmp_path, "records.csv", csv_of(values))
    report, store = run(tmp_path, store=EvidenceStore(str(tmp_path / "s.db"), engine=engine))
    counted = "at: not a valid date/time (impossible day, month or hour?)"
    assert (report.files[0].stored, dict(report.files[0].reasons)) == (
        rows,
        {counted: len(TRIAL_IMPOSSIBLE)},
    )
    quarantined = store.db.execute(
        "SELECT line, raw_value, reason FROM _quarantine ORDER BY line"
    ).fetchall()
    assert quarantined == [
        (7 + n, value, f"at: '{value}' is not a valid date/time (impossible day, month or hour?)")
        for n, value in enumerate(TRIAL_IMPOSSIBLE)
    ]


def test_an_impossible_date_in_a_workbooks_text_cell_is_quarantined_as_impossible(
    tmp_path,
) -> None:
    workbook(
        tmp_path / "records.xlsx",
        {
            "Calls": [
                ["record_id", "at"],
                ["A", "2026/01/02 10:00:00"],
                ["B", "2026/13/01 10:00:00"],
            ]
        },
    )
    report, store = run(tmp_path)
    assert report.files[0].stored == 1
    assert store.db.execute("SELECT line, raw_value, reason FROM _quarantine").fetchall() == [
        (
            3,
            "2026/13/01 10:00:00",
            "at: '2026/13/01 10:00:00' is not a valid date/time (impossible day, month or hour?)",
        )
    ]
