"""Local times a DST change skips: dates alone start at the first instant of their day, gap times
are quarantined or (``dst: forward``) moved on by the gap, the same on the row and batch paths.

The expected instants come from an oracle that only converts UTC to local time (which is never
ambiguous): it tries every offset the zone uses near the value and keeps those that read back.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.convert import BadValue, Converter, RowPlan, converter
from auditor.errors import PackErrors
from auditor.ingest import ingest
from auditor.mapping import auto_mapping, load_mapping
from auditor.model import FieldSpec, Pack
from auditor.timeparse import LocalClock, SkippedTime, TimestampParser, TimeValueError, day_start

from .conftest import STANDARDS, TEST_PACKS

ZONES = ("America/Sao_Paulo", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe")

#: local wall-clock moments next to a DST change in each zone (gaps and overlaps, hand-checked
#: against the tz database: Sao Paulo moved at midnight, Lord Howe moves by 30 minutes)
ANCHORS: dict[str, tuple[datetime, ...]] = {
    "America/Sao_Paulo": (
        datetime(2016, 10, 16),
        datetime(2017, 10, 15),
        datetime(2018, 11, 4),
        datetime(2018, 2, 17, 23),
        datetime(2019, 2, 16, 23),
    ),
    "Europe/Berlin": (
        datetime(2024, 3, 31, 2),
        datetime(2024, 10, 27, 2),
        datetime(2026, 3, 29, 2),
    ),
    "America/New_York": (
        datetime(2026, 3, 8, 2),
        datetime(2026, 11, 1, 1),
        datetime(2024, 3, 10, 2),
    ),
    "Australia/Lord_Howe": (
        datetime(2024, 10, 6, 2),
        datetime(2025, 4, 6, 1, 30),
        datetime(2025, 10, 5, 2),
    ),
}


def local_of(instant: int, zone: ZoneInfo) -> datetime:
    """The wall clock at a UTC instant (epoch seconds): the one conversion that is never ambiguous."""
    return datetime.fromtimestamp(instant, UTC).astimezone(zone).replace(tzinfo=None)


def offset_at(instant: int, zone: ZoneInfo) -> int:
    return int(local_of(instant, zone).timestamp() - datetime.fromtimestamp(instant).timestamp())


def naive_seconds(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def readings(moment: datetime, zone: ZoneInfo) -> list[int]:
    """Every UTC instant whose wall clock reads ``moment`` (none in a gap, two in an overlap)."""
    seconds = naive_seconds(moment)
    offsets = {offset_at(seconds + hours * 3600, zone) for hours in range(-30, 31)}
    return sorted(u for u in (seconds - o for o in offsets) if local_of(u, zone) == moment)


def expected(moment: datetime, zone: ZoneInfo, gap: str, repeated: str) -> int | None:
    """The instant ``moment`` stands for, or None when it is refused."""
    found = readings(moment, zone)
    if len(found) == 1:
        return found[0]
    if len(found) == 2:
        return {"earlier": found[0], "later": found[1]}.get(repeated)
    if gap != "forward":
        return None
    before = offset_at(naive_seconds(moment) - 86400, zone)  # the offset before the change
    return naive_seconds(moment) - before  # read with it: later by the length of the gap


def first_instant(day: date, zone: ZoneInfo) -> int:
    """The first UTC instant (to the minute) whose wall clock is on ``day``."""
    midnight = datetime.combine(day, datetime.min.time())
    found = readings(midnight, zone)
    if found:
        return found[0]
    instant = naive_seconds(midnight) - 14 * 3600
    while local_of(instant, zone) < midnight:  # changes fall on whole minutes
        instant += 60
    return instant


moments = st.sampled_from([(z, a) for z in ZONES for a in ANCHORS[z]]).flatmap(
    lambda pair: st.tuples(
        st.just(pair[0]),
        st.integers(-150, 150).map(lambda m, a=pair[1]: a + timedelta(minutes=m)),
        st.integers(0, 59),
    )
)
POLICIES = ("strict", "earlier", "later", "forward", "forward+earlier", "forward+later")


@given(moments, st.sampled_from(POLICIES))
@settings(max_examples=600, deadline=None)
def test_times_near_a_change_read_as_the_oracle_says(
    drawn: tuple[str, datetime, int], policy: str
) -> None:
    name, moment, second = drawn
    zone = ZoneInfo(name)
    moment = moment.replace(second=second)
    gap = "forward" if "forward" in policy else "strict"
    repeated = policy.split("+")[-1] if policy.split("+")[-1] != "forward" else "strict"
    want = expected(moment, zone, gap, repeated)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    for read in (
        lambda: TimestampParser(zone, dst=policy)(text),  # the text fast paths
        lambda: TimestampParser(zone, ("%Y-%m-%d %H:%M:%S",), policy)(text),  # strptime
        lambda: LocalClock(zone, policy).epoch(moment),  # a datetime from a workbook
    ):
        if want is None:
            with pytest.raises(TimeValueError):
                read()
        else:
            assert read() == want, (name, text, policy)


def test_the_oracle_agrees_with_hand_figures() -> None:
    sao = ZoneInfo("America/Sao_Paulo")
    # 2018-11-04: clocks went from 00:00 (-03:00) to 01:00 (-02:00)
    assert first_instant(date(2018, 11, 4), sao) == naive_seconds(datetime(2018, 11, 4, 3))
    berlin = ZoneInfo("Europe/Berlin")
    # 02:30 in the 02:00 -> 03:00 gap of 2024-03-31 is 03:30 CEST = 01:30 UTC
    assert expected(datetime(2024, 3, 31, 2, 30), berlin, "forward", "strict") == naive_seconds(
        datetime(2024, 3, 31, 1, 30)
    )
    howe = ZoneInfo("Australia/Lord_Howe")
    # 02:15 in the 02:00 -> 02:30 gap of 2024-10-06 is 02:45 +11:00 = 15:45 UTC the day before
    assert expected(datetime(2024, 10, 6, 2, 15), howe, "forward", "strict") == naive_seconds(
        datetime(2024, 10, 5, 15, 45)
    )


days = st.one_of(
    st.sampled_from([(z, a.date()) for z in ZONES for a in ANCHORS[z]]),
    st.tuples(st.sampled_from(ZONES), st.dates(date(1990, 1, 1), date(2035, 12, 31))),
)


@given(days)
@settings(max_examples=300, deadline=None)
def test_a_date_alone_is_the_first_instant_of_its_day(drawn: tuple[str, date]) -> None:
    name, day = drawn
    zone = ZoneInfo(name)
    want = first_instant(day, zone)
    start, moved = day_start(day, zone)
    assert start.timestamp() == want
    midnight = datetime.combine(day, datetime.min.time())
    assert moved == (not readings(midnight, zone))
    parser = TimestampParser(zone)
    for text in (day.isoformat(), day.strftime("%Y/%m/%d"), day.strftime("%Y年%m月%d日")):
        assert parser(text) == want, text
    # a date field reads the day and stores its first instant too
    assert date_converter(zone)(day.isoformat()) == want


def date_converter(zone: ZoneInfo) -> Converter:
    return converter(FieldSpec("day", "date"), zone, "strict", None, {})


def test_sao_paulo_skipped_midnight() -> None:
    sao = ZoneInfo("America/Sao_Paulo")
    one_am = datetime(2018, 11, 4, 1, tzinfo=sao).timestamp()
    parser = TimestampParser(sao)
    assert parser("2018-11-04") == one_am
    assert parser("11/04/2018") == one_am
    assert parser("43408") == one_am  # an Excel day number is a date alone
    assert parser.clock.moved == 3
    # a time of day in the gap is still refused, with today's reason, even at 00:00
    for text in ("2018-11-04 00:00:00", "2018-11-04 00:30", "2018-11-04T00:00"):
        with pytest.raises(SkippedTime, match="does not exist in America/Sao_Paulo"):
            parser(text)
    assert parser.clock.moved == 3
    forward = TimestampParser(sao, dst="forward")
    assert forward("2018-11-04 00:30:00") == one_am + 1800
    assert forward.clock.moved == 1


# ------------------------------------------------------------ the row and batch paths


@functools.cache
def the_pack() -> Pack:
    return load_pack(TEST_PACKS / "roundtrip.yaml", [STANDARDS])


def plan_for(zone: str, dst: str) -> RowPlan:
    kind = the_pack().evidence["records"]
    header = ["record_id", "name", "count", "amount", "flag", "at", "day", "channel"]
    mapping = replace(auto_mapping(kind, header), timezone=zone, dst=dst)
    return RowPlan(kind, mapping, header, ZoneInfo(zone), Path("x.csv"), rows_are_text=True)


@given(
    st.sampled_from(ZONES),
    st.sampled_from(("strict", "forward", "forward+earlier")),
    st.lists(moments, min_size=1, max_size=12),
    st.lists(days, min_size=1, max_size=12),
)
@settings(max_examples=120, deadline=None)
def test_batch_and_row_paths_agree(
    name: str, policy: str, times: list[tuple[str, datetime, int]], dates: list[tuple[str, date]]
) -> None:
    """One batch converted column-wise gives what the rows give one by one, and the same counts."""
    rows = []
    for i, ((_, moment, second), (_, day)) in enumerate(zip(times, dates * 12, strict=False)):
        at = moment.replace(second=second).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([f"R{i}", "n", "1", "1.5", "yes", at, str(day), "phone"])
    batch_plan, row_plan = plan_for(name, policy), plan_for(name, policy)
    batch = batch_plan.convert_batch(rows)
    one_by_one: list[tuple[object, ...] | None] = []
    for row in rows:
        try:
            one_by_one.append(row_plan.convert(row))
        except BadValue:
            one_by_one.append(None)
    if batch is None:  # some row failed: the batch counts nothing
        assert None in one_by_one
        assert batch_plan.moved_counts() == {}
    else:
        assert batch == one_by_one
        assert batch_plan.moved_counts() == row_plan.moved_counts()
    # the counts are what the oracle says moved, in the rows that converted
    zone = ZoneInfo(name)
    moved_at = moved_day = 0
    for row, result in zip(rows, one_by_one, strict=True):
        if result is None:
            continue
        moved_at += not readings(datetime.fromisoformat(row[5]), zone)
        moved_day += not readings(datetime.fromisoformat(row[6]), zone)
    want = {k: v for k, v in (("at", moved_at), ("day", moved_day)) if v}
    assert row_plan.moved_counts() == want


# ------------------------------------------------------------ the mapping


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("forward", "forward"),
        ("[forward, earlier]", "forward+earlier"),
        ("[later, forward]", "forward+later"),
        ("earlier", "earlier"),
    ],
)
def test_mapping_dst_policies(tmp_path: Path, text: str, policy: str) -> None:
    path = tmp_path / "m.mapping.yaml"
    path.write_text(f"kind: records\ndst: {text}\ncolumns:\n  record_id: id\n", encoding="utf-8")
    assert load_mapping(path).dst == policy


@pytest.mark.parametrize("text", ["sideways", "[earlier, later]", "[forward, sideways]", "3"])
def test_mapping_dst_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.mapping.yaml"
    path.write_text(f"kind: records\ndst: {text}\ncolumns:\n  record_id: id\n", encoding="utf-8")
    with pytest.raises(PackErrors, match="dst must be"):
        load_mapping(path)


# ------------------------------------------------------------ ingest, manifest, report

CSV = (
    "record_id,at,day\n"
    "A,2018-11-04,2018-11-04\n"  # both at the skipped midnight: stored, moved
    "B,2018-11-05,2018-11-04 00:00:00\n"  # a date field reads the day of a timestamp text
    "C,2018-11-04 00:30:00,2018-11-03\n"  # a time of day in the gap: quarantined (strict)
    "D,2018-11-03 10:00:00,2018-11-03\n"
)
MAPPING = "kind: records\ntimezone: America/Sao_Paulo\n{dst}columns:\n  record_id: record_id\n  at: at\n  day: day\n"


def ingest_csv(tmp_path: Path, dst: str = "") -> tuple[object, EvidenceStore]:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "records.csv").write_text(CSV, encoding="utf-8")
    mapping = tmp_path / "sao.mapping.yaml"
    mapping.write_text(MAPPING.format(dst=dst), encoding="utf-8")
    store = EvidenceStore(tmp_path / "store.db")
    report = ingest(the_pack(), folder, store, load_mapping(mapping))
    return report, store


def test_ingest_stores_and_counts_dates_at_a_skipped_midnight(tmp_path: Path) -> None:
    report, store = ingest_csv(tmp_path)
    file = report.files[0]  # type: ignore[attr-defined]
    assert (file.rows_read, file.stored, file.quarantined) == (4, 3, 1)
    assert file.moved_dst == {"at": 1, "day": 2}
    [reason] = [r["reason"] for r in store.quarantine()]
    assert "does not exist in America/Sao_Paulo (clocks jump forward)" in reason
    one_am = datetime(2018, 11, 4, 1, tzinfo=ZoneInfo("America/Sao_Paulo")).timestamp()
    rows = store.db.execute_returning_dicts("SELECT record_id, at, day FROM records ORDER BY 1")
    assert rows[0] == {"record_id": "A", "at": one_am, "day": one_am}
    assert rows[1]["day"] == one_am
    [manifest] = store.manifest()
    assert manifest["moved_dst"] == '{"at": 1, "day": 2}'
    # the same file again is skipped, and keeps its counts
    store.close()
    again = ingest(
        the_pack(),
        tmp_path / "data",
        EvidenceStore(tmp_path / "store.db"),
        load_mapping(tmp_path / "sao.mapping.yaml"),
    )
    assert again.files[0].status == "skipped"
    assert again.files[0].moved_dst == {"at": 1, "day": 2}


def test_a_workbook_date_cell_at_a_skipped_midnight_is_its_day_a_datetime_cell_a_time(
    tmp_path: Path,
) -> None:
    """A date cell (formatted as a date alone) is a date alone, as its CSV text is: stored at
    the day's first instant, 01:00; a datetime cell at that midnight (formatted with hours) is
    a time of day in the gap, quarantined (strict), as ``2018-11-04 00:00:00`` is."""
    import openpyxl

    folder = tmp_path / "data"
    folder.mkdir()
    book = openpyxl.Workbook()
    book.active.append(["record_id", "at", "day"])
    for key, written in (("A", "yyyy-mm-dd"), ("B", "yyyy-mm-dd hh:mm")):
        book.active.append([key, datetime(2018, 11, 4), datetime(2018, 11, 3)])
        book.active.cell(book.active.max_row, 2).number_format = written
    book.save(folder / "records.xlsx")
    mapping = tmp_path / "sao.mapping.yaml"
    mapping.write_text(MAPPING.format(dst=""), encoding="utf-8")
    store = EvidenceStore(tmp_path / "store.db")
    ingest(the_pack(), folder, store, load_mapping(mapping))
    one_am = datetime(2018, 11, 4, 1, tzinfo=ZoneInfo("America/Sao_Paulo")).timestamp()
    rows = store.db.execute_returning_dicts("SELECT record_id, at FROM records")
    assert rows == [{"record_id": "A", "at": one_am}]
    assert [(r["line"], r["raw_value"]) for r in store.quarantine()] == [(3, "2018-11-04 00:00:00")]


def test_forward_moves_the_gap_time_and_counts_it(tmp_path: Path) -> None:
    report, store = ingest_csv(tmp_path, "dst: forward\n")
    file = report.files[0]  # type: ignore[attr-defined]
    assert (file.stored, file.quarantined) == (4, 0)
    assert file.moved_dst == {"at": 2, "day": 2}
    at = store.db.execute_returning_dicts("SELECT at FROM records WHERE record_id = 'C'")[0]["at"]
    # 00:30 read with -03:00 (the offset before the change) is 03:30 UTC = 01:30 -02:00
    assert at == datetime(2018, 11, 4, 3, 30, tzinfo=UTC).timestamp()


def test_audit_shows_moved_values_in_findings_and_report(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    from auditor.cli import main

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "records.csv").write_text(
        "record_id,name,at,day\nA,x,2018-11-04,2018-11-04\nB,y,2018-11-03 10:00:00,2018-11-03\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "sao.mapping.yaml"
    mapping.write_text(
        "kind: records\ntimezone: America/Sao_Paulo\n"
        "columns:\n  record_id: record_id\n  name: name\n  at: at\n  day: day\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = [
        "audit",
        str(TEST_PACKS / "roundtrip.yaml"),
        str(folder),
        "--period",
        "2018-Q4",
        "--mapping",
        str(mapping),
        "--out",
        str(out),
        "--format",
        "html",
        "--lang",
        "en",
    ]
    result = runner.invoke(main, args)
    assert "Traceback" not in result.output + result.stderr
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    [entry] = findings["manifest"]["evidence"]
    assert entry["moved_dst"] == {"at": 1, "day": 1}
    html = (out / "report.html").read_text(encoding="utf-8")
    shown = re.search(r'<div class="moved-dst">(.*?)</div>', html, re.S)
    assert shown is not None
    text = re.sub(r"<[^>]+>", "", shown[1])
    assert text.split() == ["Values", "moved", "by", "a", "DST", "change", "at", "1;", "day", "1"]


@pytest.mark.parametrize("policy", ["strict", "forward"])
def test_column_wise_batch_counts_every_row(policy: str) -> None:
    """A batch long enough for the column-wise timestamp path, with values repeated: each row's
    value is converted as the row path does, and a moved value counts once per row."""
    zone = "America/Sao_Paulo"
    times = ["2018-11-03 10:00:00", "2018-11-04 00:30:00", "2018-11-04 01:30:00"]
    days = ["2018-11-04", "2018-11-03", "2018-11-04"]
    rows = [
        [f"R{i}", "n", "1", "1.5", "yes", times[i % 3], days[i % 3], "phone"] for i in range(900)
    ]
    batch_plan, row_plan = plan_for(zone, policy), plan_for(zone, policy)
    batch = batch_plan.convert_batch(rows)
    if policy == "strict":  # 00:30 never happened that day: the batch goes row by row
        assert batch is None and batch_plan.moved_counts() == {}
        return
    assert batch == [row_plan.convert(row) for row in rows]
    # 300 rows at 00:30 (moved to 01:30), 600 dates at the skipped midnight (moved to 01:00)
    assert batch_plan.moved_counts() == row_plan.moved_counts() == {"at": 300, "day": 600}
    one_thirty = datetime(2018, 11, 4, 3, 30, tzinfo=UTC).timestamp()
    assert batch is not None and batch[1][5] == batch[2][5] == one_thirty
