from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auditor.timeparse import (
    DAY_FIRST,
    MONTH_FIRST,
    DayMonthOrder,
    LocalClock,
    TimestampParser,
    TimeValueError,
    localize,
    missing_date_parts,
)

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01 09:30:00", datetime(2026, 7, 1, 9, 30, tzinfo=SH)),
        ("2026-07-01T09:30:00", datetime(2026, 7, 1, 9, 30, tzinfo=SH)),
        ("2026-07-01 9:30:00", datetime(2026, 7, 1, 9, 30, tzinfo=SH)),
        ("2026-07-01T09:30:00+00:00", datetime(2026, 7, 1, 9, 30, tzinfo=UTC)),
        ("2026-07-01T09:30:00Z", datetime(2026, 7, 1, 9, 30, tzinfo=UTC)),
        ("07/01/2026 09:30:00 PM", datetime(2026, 7, 1, 21, 30, tzinfo=SH)),
        ("2026/07/01 09:30", datetime(2026, 7, 1, 9, 30, tzinfo=SH)),
        ("2026/07/01 09:30:05.000", datetime(2026, 7, 1, 9, 30, 5, tzinfo=SH)),
        ("2026年7月1日 09:30", datetime(2026, 7, 1, 9, 30, tzinfo=SH)),
        ("2026-07-01", datetime(2026, 7, 1, tzinfo=SH)),
        ("46204.5", datetime(2026, 7, 1, 12, tzinfo=SH)),
    ],
)
def test_formats(text: str, expected: datetime) -> None:
    assert TimestampParser(SH)(text) == expected.timestamp()


def test_explicit_day_first_format() -> None:
    parser = TimestampParser(SH, ("%d/%m/%Y %H:%M",))
    assert parser("29/2/2016 01:16") == datetime(2016, 2, 29, 1, 16, tzinfo=SH).timestamp()
    with pytest.raises(TimeValueError, match="does not match the format"):
        parser("2016-02-29 01:16")


@pytest.mark.parametrize(
    "text", ["2026-02-30 10:00:00", "yesterday", "2026-07-01 24:30:00", "13/13/2026"]
)
def test_bad_values(text: str) -> None:
    with pytest.raises(TimeValueError):
        TimestampParser(SH)(text)


def test_gap_and_overlap() -> None:
    with pytest.raises(TimeValueError, match="does not exist"):
        localize(datetime(2026, 3, 8, 2, 30), NY)
    with pytest.raises(TimeValueError, match="happens twice"):
        localize(datetime(2026, 11, 1, 1, 30), NY)
    early = localize(datetime(2026, 11, 1, 1, 30), NY, "earlier")
    late = localize(datetime(2026, 11, 1, 1, 30), NY, "later")
    assert late.timestamp() - early.timestamp() == 3600


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31)))
@settings(max_examples=500)
def test_fast_clock_agrees_with_zoneinfo(moment: datetime) -> None:
    """The cached-offset clock gives zoneinfo's answer, or refuses where zoneinfo is ambiguous."""
    clock = LocalClock(NY)
    first = moment.replace(tzinfo=NY, fold=0)
    second = moment.replace(tzinfo=NY, fold=1)
    round_trip = first.astimezone(UTC).astimezone(NY).replace(tzinfo=None)
    if first.utcoffset() == second.utcoffset() and round_trip == moment:
        assert clock.epoch(moment) == first.timestamp()
    else:
        with pytest.raises(TimeValueError):
            clock.epoch(moment)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    )
)
@settings(max_examples=300)
def test_text_round_trip_in_a_zone_without_dst(moment: datetime) -> None:
    parser = TimestampParser(SH)
    assert parser(moment.strftime("%Y-%m-%d %H:%M:%S")) == moment.replace(tzinfo=SH).timestamp()
    assert parser(moment.isoformat()) == moment.replace(tzinfo=SH).timestamp()
    later = moment + timedelta(hours=1)
    assert (
        parser(later.strftime("%Y-%m-%d %H:%M:%S")) - parser(moment.strftime("%Y-%m-%d %H:%M:%S"))
        == 3600
    )


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(
        ["Europe/Berlin", "America/Sao_Paulo", "Asia/Shanghai", "Australia/Lord_Howe"]
    ),
    windows=st.lists(
        st.tuples(
            st.one_of(st.integers(480_000, 500_000), st.integers(-50_000, 600_000)),
            st.integers(0, 3_000),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_the_table_of_offsets_by_hour_gives_each_hours_offset(
    zone: str, windows: list[tuple[int, int]]
) -> None:
    """However batches ask for hours (later, earlier, far away), the table answers as the
    offset of each hour looked up alone: NaN for an hour in which the offset changes."""
    import math

    from auditor.timeparse import LocalClock

    clock = LocalClock(ZoneInfo(zone))
    for low, span in windows:
        table = clock.hour_offsets(low, low + span)
        assert len(table) == span + 1
        for hour in range(low, low + span + 1, 97):
            offset = clock.hour_offset(hour)
            got = float(table[hour - low])
            assert (math.isnan(got) and offset is None) or got == offset


def test_offsets_by_hour_reach_the_end_of_the_calendar_without_an_error() -> None:
    """Widening the table a day beyond the last hour asked for may pass 9999-12-31 UTC: those
    hours have no offset (NaN), and the hours asked for keep theirs."""
    import math

    from auditor.timeparse import LocalClock

    clock = LocalClock(ZoneInfo("America/New_York"))
    last = (datetime(9999, 12, 31, 23) - datetime(1970, 1, 1)) // timedelta(hours=1)
    clock.hour_offsets(last - 60, last - 50)
    table = clock.hour_offsets(last - 30, last)  # widened to its end and beyond
    assert table[0] == clock.hour_offset(last - 30) == -5 * 3600
    assert math.isnan(table[-1]) and clock.hour_offset(last) is None


@given(st.integers(min_value=0, max_value=86_399))
def test_an_excel_time_of_day_is_read_to_the_second(seconds: int) -> None:
    from datetime import time as clock

    from auditor.timeparse import excel_time

    as_excel_keeps_it = float(f"{seconds / 86_400:.8f}")  # a workbook's 8 decimals
    expected = clock(seconds // 3600, seconds // 60 % 60, seconds % 60).isoformat()
    assert excel_time(as_excel_keeps_it) == expected
    assert excel_time(1.0) is None and excel_time(True) is None and excel_time("0.5") is None


def test_the_examples_of_an_undecided_order_are_different_values() -> None:
    """A value repeated on many lines is quoted once, not as two of its three examples."""
    from auditor.timeparse import DayMonthOrder

    order = DayMonthOrder("date", "received_at", "calls.csv")
    order.observe(["4/7/2026 10:00", "4/7/2026 10:00", "5/6/2026 10:00"], [2, 3, 4])
    assert [(s.value, s.line) for s in order.ambiguous] == [
        ("4/7/2026 10:00", 2),
        ("5/6/2026 10:00", 4),
    ]


@pytest.mark.parametrize(
    ("fmt", "missing"),
    [
        ("%H:%M", ["year", "month", "day"]),
        ("%I:%M %p", ["year", "month", "day"]),
        ("%%Y %%m %%d %H", ["year", "month", "day"]),  # %% is a percent sign, not a directive
        ("%d/%m %H:%M", ["year"]),
        ("%Y-%m", ["day"]),
        ("%Y %d", ["month"]),
        ("%d/%m/%Y %H:%M", []),
        ("%b %d, %y", []),
        ("%Y-%j", []),  # day of the year
        ("%G-W%V-%u", []),  # ISO week and weekday
        ("%c", []),
    ],
)
def test_the_date_parts_a_format_does_not_read(fmt: str, missing: list[str]) -> None:
    """What strptime would take from 1 January 1900 (datetime.strptime("10:00", "%H:%M") is
    1900-01-01 10:00): 15 July 2026 written in the format and read back is another day exactly
    when a part is missing."""
    assert missing_date_parts(fmt) == missing
    moment = datetime(2026, 7, 15, 10)
    read_back = datetime.strptime(moment.strftime(fmt), fmt)
    assert (read_back.date() != moment.date()) == bool(missing)


# ------------------------------------------------------------ Chinese and full-width writing

UTC_ZONE = ZoneInfo("UTC")
#: 1999-08-01 00:00 UTC: (29 * 365 + 7 leap days + 212 days of January to July) * 86,400
AUGUST_1_1999 = 933_465_600


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1999/8/1 10:07:11 AM", 10 * 3600 + 7 * 60 + 11),
        ("1999/8/1 6:42:04 PM", 18 * 3600 + 42 * 60 + 4),
        ("1999/08/01 12:00 AM", 0),
        ("1999-08-01 12:00:00 PM", 12 * 3600),
        ("1999年8月1日 6:42 PM", 18 * 3600 + 42 * 60),
        ("1999.08.01 11:59:59 PM", 86_399),
    ],
)
def test_a_year_first_date_is_read_with_am_pm(text: str, seconds: int) -> None:
    """As 8/1/1999 10:07:11 AM is: AM/PM after every year-first date the reader knows."""
    assert TimestampParser(UTC_ZONE)(text) == AUGUST_1_1999 + seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1999/8/1 上午 10:07:11", 10 * 3600 + 7 * 60 + 11),
        ("1999/8/1 下午 6:42:04", 18 * 3600 + 42 * 60 + 4),
        ("1999/8/1 上午10:07:11", 10 * 3600 + 7 * 60 + 11),
        ("1999/8/1 上午 12:00:00", 0),
        ("1999/8/1 下午 12:00:00", 12 * 3600),
        ("1999年8月1日 下午 6:42", 18 * 3600 + 42 * 60),
        ("8/1/1999 下午 6:42:04", 18 * 3600 + 42 * 60 + 4),
        ("1999/8/1 6:42:04 下午", 18 * 3600 + 42 * 60 + 4),
        ("1999/8/1下午6:42", 18 * 3600 + 42 * 60),
        ("1999年8月1日上午10:07:11", 10 * 3600 + 7 * 60 + 11),
    ],
)
def test_chinese_am_pm_is_read_as_am_pm(text: str, seconds: int) -> None:
    """上午/下午, as Chinese Excel and WPS write a 12-hour time: 12 上午 is 0 h, 12 下午 12 h."""
    assert TimestampParser(UTC_ZONE)(text) == AUGUST_1_1999 + seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1999/8/1 凌晨 12:30", 30 * 60),
        ("1999/8/1 凌晨 0:30", 30 * 60),
        ("1999/8/1 上午 00:10:00", 10 * 60),
        ("1999/8/1 凌晨3:05:09", 3 * 3600 + 5 * 60 + 9),
        ("1999/8/1 早上 7:15", 7 * 3600 + 15 * 60),
        ("1999/8/1 早晨 11:59:59", 11 * 3600 + 59 * 60 + 59),
        ("1999/8/1 中午12:30", 12 * 3600 + 30 * 60),
        ("1999/8/1 中午 1:05", 13 * 3600 + 5 * 60),
        ("1999/8/1 中午 11:40", 11 * 3600 + 40 * 60),
        ("1999/8/1 傍晚 6:10", 18 * 3600 + 10 * 60),
        ("1999/8/1 晚上 8:00", 20 * 3600),
        ("1999/8/1晚上11:59", 23 * 3600 + 59 * 60),
        ("1999年8月1日凌晨1:00", 3600),
        ("8/1/1999 中午 1:05", 13 * 3600 + 5 * 60),
        ("1999/8/1 8:00:00 晚上", 20 * 3600),
    ],
)
def test_chinese_words_for_a_part_of_the_day_are_read_as_am_pm(text: str, seconds: int) -> None:
    """凌晨 (small hours), 早上/早晨 (morning), 中午 (noon), 傍晚 (dusk), 晚上 (evening):
    the hour read as the one of its two 12-hour readings that falls in the word's hours."""
    assert TimestampParser(UTC_ZONE)(text) == AUGUST_1_1999 + seconds


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1999/8/1 下午 13:00:00", "下午 goes with a 12-hour time, whose hour is 0 to 12, not 13"),
        ("1999/8/1 上午 13:00", "上午 goes with a 12-hour time, whose hour is 0 to 12, not 13"),
        ("1999/8/1 下午 0:10:00", "下午 (PM, 12:00-23:59) does not go with hour 0"),
        ("1999/8/1 晚上 0:10", "晚上 (evening, 17:00-23:59) does not go with hour 0"),
        ("1999/8/1下午13:00", "下午 goes with a 12-hour time, whose hour is 0 to 12, not 13"),
        ("1999/8/1 凌晨 9:00", "凌晨 (small hours, 0:00-5:59) does not go with hour 9"),
        ("1999/8/1 晚上 3:00", "晚上 (evening, 17:00-23:59) does not go with hour 3"),
        ("1999/8/1 晚上 12:00", "晚上 (evening, 17:00-23:59) does not go with hour 12"),
        ("1999/8/1 中午 8:00", "中午 (noon, 11:00-13:59) does not go with hour 8"),
        ("1999/8/1 早上 12:00", "早上 (morning, 5:00-11:59) does not go with hour 12"),
        ("1999/8/1 3:00 晚上", "晚上 (evening, 17:00-23:59) does not go with hour 3"),
    ],
)
def test_a_chinese_time_whose_word_does_not_go_with_its_hour_is_refused(
    text: str, why: str
) -> None:
    """Never a guess: 晚上 3:00 could be 03:00 or 15:00, 上午 13:00 is no 12-hour time."""
    with pytest.raises(TimeValueError) as refused:
        TimestampParser(UTC_ZONE)(text)
    assert str(refused.value) == f"'{text}' is not a valid date/time: {why}"


@given(
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
    st.sampled_from([("上午", "AM"), ("下午", "PM")]),
    st.sampled_from(["", " "]),
)
def test_chinese_am_pm_reads_as_am_pm_at_every_time(
    hour: int, minute: int, second: int, half: tuple[str, str], space: str
) -> None:
    from auditor.timeparse import time_of_day

    clock = f"{hour}:{minute:02d}:{second:02d}"
    chinese, english = f"{half[0]}{space}{clock}", f"{clock} {half[1]}"
    assert time_of_day(chinese) == time_of_day(english) is not None
    parser = TimestampParser(UTC_ZONE)
    assert parser(f"1999/8/1 {chinese}") == parser(f"1999/8/1 {english}")
    assert parser(f"8/1/1999 {chinese}") == parser(f"8/1/1999 {english}")


#: the hours of the day (first, last) each word names, as the exports mean them
PARTS_OF_THE_DAY = {
    "凌晨": (0, 5),
    "早上": (5, 11),
    "早晨": (5, 11),
    "上午": (0, 11),
    "中午": (11, 13),
    "下午": (12, 23),
    "傍晚": (16, 20),
    "晚上": (17, 23),
}


@given(
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
    st.sampled_from(sorted(PARTS_OF_THE_DAY)),
    st.sampled_from(["", " "]),
    st.booleans(),
)
def test_a_chinese_part_of_the_day_is_read_only_where_it_goes_with_the_hour(
    hour: int, minute: int, second: int, word: str, space: str, after: bool
) -> None:
    """A 12-hour hour h written with a word is h % 12 or h % 12 + 12, whichever the word's
    hours hold, and hour 0 is itself with a word whose hours begin at midnight; any other hour
    is refused, with the word and the hour named."""
    from auditor.timeparse import period_problem, time_of_day

    clock = f"{hour}:{minute:02d}:{second:02d}"
    text = f"{clock}{space}{word}" if after else f"{word}{space}{clock}"
    first, last = PARTS_OF_THE_DAY[word]
    twelve_hour = (hour % 12, hour % 12 + 12) if 1 <= hour <= 12 else ()
    readings = [h for h in twelve_hour if first <= h <= last] or ([0] if hour == first == 0 else [])
    parser = TimestampParser(UTC_ZONE)
    if readings:
        assert time_of_day(text) == datetime(1999, 8, 1, readings[0], minute, second).time()
        assert period_problem(text) is None
        assert (
            parser(f"1999/8/1 {text}") == AUGUST_1_1999 + readings[0] * 3600 + minute * 60 + second
        )
    else:
        assert time_of_day(text) is None
        problem = period_problem(text)
        assert problem is not None and problem.startswith(word) and f" {hour}" in problem
        with pytest.raises(TimeValueError, match=f"is not a valid date/time: {word}"):
            parser(f"1999/8/1 {text}")


def test_a_chinese_time_of_day_alone_is_read_and_13_pm_is_none() -> None:
    from datetime import time as clock

    from auditor.timeparse import time_of_day

    assert time_of_day("上午 12:10:10") == clock(0, 10, 10)
    assert time_of_day("下午 6:42:04") == clock(18, 42, 4)
    assert time_of_day("下午 13:00:00") is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("１９９９年８月１日", 0),
        ("１９９９／８／１ １０：０７", 10 * 3600 + 7 * 60),
        ("１９９９－０８－０１ １８：４２：０４", 18 * 3600 + 42 * 60 + 4),
        ("８／１／１９９９ 下午 ６：４２：０４", 18 * 3600 + 42 * 60 + 4),
    ],
)
def test_full_width_digits_and_separators_are_read_as_ascii(text: str, seconds: int) -> None:
    """As the number reader reads ３０ as 30."""
    from auditor.timeparse import parse_date, time_of_day

    assert TimestampParser(UTC_ZONE)(text) == AUGUST_1_1999 + seconds
    assert parse_date(text).isoformat() == "1999-08-01"
    assert time_of_day("１８：４２：０４") == datetime(1999, 8, 1, 18, 42, 4).time()


def test_full_width_numeric_dates_decide_their_column_s_order_as_ascii_ones_do() -> None:
    """An ambiguous full-width date stays ambiguous; one with a day over 12 settles the order."""
    from auditor.timeparse import DAY_FIRST, DayMonthOrder, OrderUndecided

    either = DayMonthOrder("date", "date", "calls.csv")
    either.observe(["５／３／２０１６ 上午 10:00"], [2])
    assert either.needs_order and either.ambiguous[0].value == "５／３／２０１６ 上午 10:00"
    with pytest.raises(OrderUndecided) as undecided:
        TimestampParser(UTC_ZONE, order=either)("５／３／２０１６ 上午 10:00")
    assert undecided.value.value == "５／３／２０１６ 上午 10:00"  # quoted as written
    settled = DayMonthOrder("date", "date", "calls.csv")
    settled.observe(["５／３／２０１６", "１３／３／２０１６"], [2, 3])
    assert settled.order == DAY_FIRST
    parser = TimestampParser(UTC_ZONE, order=settled)
    assert parser("５／３／２０１６") == datetime(2016, 3, 5, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1999年8月1日15时20分", 15 * 3600 + 20 * 60),
        ("1999年8月1日 15点20分", 15 * 3600 + 20 * 60),
        ("1999年8月1日15时20分30秒", 15 * 3600 + 20 * 60 + 30),
        ("1999年8月1日 下午3点20分", 15 * 3600 + 20 * 60),
        ("1999年8月1日上午9时5分", 9 * 3600 + 5 * 60),
        ("1999/8/1 8点", 8 * 3600),
        ("1999.8.1 15:20", 15 * 3600 + 20 * 60),
        ("1999.08.01 15:20:00", 15 * 3600 + 20 * 60),
        ("1999.8.1", 0),
        ("1999年8月1日 星期日 15:20", 15 * 3600 + 20 * 60),
        ("1999年8月1日星期天15时20分", 15 * 3600 + 20 * 60),
        ("1999/8/1 周日 下午3:20", 15 * 3600 + 20 * 60),
        ("1999-08-01 礼拜天 15:20:00", 15 * 3600 + 20 * 60),
        ("1999年8月1日（星期日）", 0),
    ],
)
def test_chinese_units_dots_and_a_day_of_the_week_are_read(text: str, seconds: int) -> None:
    """15时20分 (or 点), 30秒, a year-first date with dots, and the day of the week (1 August 1999
    was a Sunday: 星期日, 周日, 礼拜天) between the date and the time."""
    assert TimestampParser(UTC_ZONE)(text) == AUGUST_1_1999 + seconds


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("1999年8月1日 星期二 15:20", "星期二"),
        ("1999/8/1 周一 下午3点20分", "周一"),
        ("1999.8.1 礼拜六", "礼拜六"),
    ],
)
def test_a_day_of_the_week_that_is_not_the_dates_is_refused(text: str, written: str) -> None:
    """Never a guess which of the two is wrong: the reason names both."""
    with pytest.raises(TimeValueError) as refused:
        TimestampParser(UTC_ZONE)(text)
    sunday = written[:-1] + "日"
    assert str(refused.value) == (
        f"'{text}' is not a valid date/time: {written} is not the day of the week of "
        f"1999-08-01, a Sunday ({sunday})"
    )


def test_a_wrong_day_of_the_week_is_told_in_chinese() -> None:
    from auditor.i18n import translate_reason

    reason = (
        "at: '1999年8月1日 星期二' is not a valid date/time: 星期二 is not the day of the week "
        "of 1999-08-01, a Sunday (星期日)"
    )
    assert translate_reason(reason, "zh") == (
        "at:“1999年8月1日 星期二”不是有效的日期时间:1999-08-01 是星期日,而非星期二"
    )


#: a datetime written the ways Chinese exports write it (weekday: 星期 and the day's name)
CHINESE_FORMS = (
    "{y}年{m}月{d}日{H}时{M}分",
    "{y}年{m}月{d}日 {H}点{M}分{S}秒",
    "{y}.{m}.{d} {H}:{M:02d}:{S:02d}",
    "{y}.{m:02d}.{d:02d} {H:02d}:{M:02d}",
    "{y}年{m}月{d}日 {weekday} {H}:{M:02d}",
    "{y}/{m}/{d} 周{name} {H}时{M}分{S}秒",
    "{y}年{m}月{d}日 礼拜{name} {half}{h12}点{M}分",
)


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1954, 1, 1), max_value=datetime(2100, 12, 31)),
    st.sampled_from(CHINESE_FORMS),
)
def test_every_chinese_form_reads_back_the_datetime_it_writes(moment: datetime, form: str) -> None:
    moment = moment.replace(microsecond=0)
    if "{S" not in form:
        moment = moment.replace(second=0)
    name = "一二三四五六日"[moment.weekday()]
    text = form.format(
        y=moment.year,
        m=moment.month,
        d=moment.day,
        H=moment.hour,
        M=moment.minute,
        S=moment.second,
        weekday="星期" + name,
        name=name,
        half="上午" if moment.hour < 12 else "下午",
        h12=moment.hour % 12 or 12,
    )
    assert TimestampParser(UTC_ZONE)(text) == moment.replace(tzinfo=UTC).timestamp(), text


def test_a_value_in_no_known_format_is_told_to_give_the_columns_format() -> None:
    """3月5日 15:20 has no year: no format the reader knows reads it, and the reason says what
    to do."""
    with pytest.raises(TimeValueError) as refused:
        TimestampParser(UTC_ZONE)("3月5日 15:20")
    assert str(refused.value) == (
        "'3月5日 15:20' is not a date/time in a known format; give format: for this column in "
        "the mapping"
    )


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("%Y年%m月%d日 %H时%M分", "1999年8月1日 15时20分"),
        ("%Y年%m月%d日%H点%M分", "1999年8月1日15点20分"),
        ("%Y/%m/%d %H:%M", "1999/8/1 15时20分"),
    ],
)
def test_a_mapping_format_reads_chinese_units_as_written_or_as_a_clock(fmt: str, text: str) -> None:
    """A format: that writes 时 and 分 itself reads them as it did before they were read
    without one; a format with a clock reads them as the clock they are."""
    parser = TimestampParser(UTC_ZONE, (fmt,))
    assert parser(text) == AUGUST_1_1999 + 15 * 3600 + 20 * 60


# ------------------------------------------------------------ impossible values in known layouts

IMPOSSIBLE = "is not a valid date/time (impossible day, month or hour?)"

#: each layout docs/evidence.md lists as known, written out by hand from a date's parts (y, m,
#: d, H, M, S, ms, h12 and ampm for a 12-hour time, half for 上午/下午), with the parts of the
#: datetime it writes (what is not written is 0)
KNOWN_LAYOUTS: dict[str, tuple[str, ...]] = {
    "{y}-{m:02d}-{d:02d} {H:02d}:{M:02d}:{S:02d}": ("m", "d", "H", "M", "S"),
    "{y}-{m}-{d} {H}:{M:02d}": ("m", "d", "H", "M"),
    "{y}/{m:02d}/{d:02d} {H:02d}:{M:02d}:{S:02d}": ("m", "d", "H", "M", "S"),
    "{y}/{m}/{d} {H}:{M:02d}": ("m", "d", "H", "M"),
    "{y}/{m}/{d} {H}:{M:02d}:{S:02d}.{ms:03d}": ("m", "d", "H", "M", "S", "ms"),
    "{y}/{m}/{d}": ("m", "d"),
    "{y}/{m}/{d} {h12}:{M:02d}:{S:02d} {ampm}": ("m", "d", "h12", "M", "S"),
    "{y}年{m:02d}月{d:02d}日 {H:02d}:{M:02d}:{S:02d}": ("m", "d", "H", "M", "S"),
    "{y}年{m}月{d}日 {H}:{M:02d}": ("m", "d", "H", "M"),
    "{y}年{m}月{d}日": ("m", "d"),
    "{y}年{m}月{d}日 {H}时{M}分{S}秒": ("m", "d", "H", "M", "S"),
    "{y}年{m}月{d}日{H}点{M}分": ("m", "d", "H", "M"),
    "{y}年{m}月{d}日 {H}点": ("m", "d", "H"),
    "{y}年{m}月{d}日 {half}{h12}:{M:02d}": ("m", "d", "M"),
    "{y}.{m}.{d} {H}:{M:02d}:{S:02d}": ("m", "d", "H", "M", "S"),
    "{y}.{m:02d}.{d:02d} {H:02d}:{M:02d}": ("m", "d", "H", "M"),
    "{y}.{m}.{d}": ("m", "d"),
    "{y}／{m}／{d} {H}：{M:02d}": ("m", "d", "H", "M"),
    "{m}/{d}/{y} {H}:{M:02d}": ("m", "d", "H", "M"),
    "{m:02d}/{d:02d}/{y} {h12}:{M:02d}:{S:02d} {ampm}": ("m", "d", "h12", "M", "S"),
    "{m}.{d}.{y}": ("m", "d"),
    "{d}-{m}-{y} {H}:{M:02d}:{S:02d}": ("m", "d", "H", "M", "S"),
    "{d:02d}/{m:02d}/{y}": ("m", "d"),
}


def _parser(layout: str, ordered: bool) -> TimestampParser:
    """A column's parser, as an ingest makes it (with the column's day/month order, here the
    layout's) or without an order (d/m/yyyy read month-first, with / only)."""
    if not ordered:
        assume(not re.search(r"[.\-]\{y\}", layout))  # a year last after . or - needs an order
        assume(not layout.startswith("{d"))
        return TimestampParser(UTC_ZONE)
    order = DAY_FIRST if layout.startswith("{d") else MONTH_FIRST
    return TimestampParser(UTC_ZONE, order=DayMonthOrder("at", "at", "records.csv", order))


def _out_of_range(part: str, year: int, month: int) -> st.SearchStrategy[int]:
    """Numbers of one or two digits that ``part`` cannot be: month 0 or 13+, a day past the
    end of the month (30 February, 29 February of a common year), hour 24+ (a 12-hour
    hour 13+), minute or second 60+."""
    if part == "d":
        last = calendar.monthrange(year, month)[1]
        return st.one_of(st.just(0), st.integers(last + 1, 99))
    lowest = {"m": 13, "H": 24, "h12": 13, "M": 60, "S": 60}[part]
    return st.integers(lowest, 99) if part != "m" else st.sampled_from([0, *range(13, 100)])


def _written(layout: str, moment: datetime, **changed: int) -> str:
    h12 = changed.pop("h12", moment.hour % 12 or 12)
    parts = dict(
        y=moment.year,
        m=moment.month,
        d=moment.day,
        H=moment.hour,
        M=moment.minute,
        S=moment.second,
        ms=moment.microsecond // 1000,
    )
    parts.update(changed)
    return layout.format(
        **parts,
        h12=h12,
        ampm="AM" if moment.hour < 12 else "PM",
        half="上午" if moment.hour < 12 else "下午",
    )


def _kept(layout: str, moment: datetime) -> datetime:
    """``moment`` with only the parts ``layout`` writes (an independent reference)."""
    written = KNOWN_LAYOUTS[layout]
    hour = moment.hour if {"H", "h12"} & set(written) or "{half}" in layout else 0
    return datetime(
        moment.year,
        moment.month,
        moment.day,
        hour,
        moment.minute if "M" in written else 0,
        moment.second if "S" in written else 0,
        moment.microsecond // 1000 * 1000 if "ms" in written else 0,
    )


@settings(max_examples=400)
@given(
    st.sampled_from(sorted(KNOWN_LAYOUTS)),
    st.datetimes(min_value=datetime(1954, 1, 1), max_value=datetime(2100, 12, 31)),
    st.booleans(),
)
def test_a_valid_value_in_a_known_layout_is_the_datetime_it_writes(
    layout: str, moment: datetime, ordered: bool
) -> None:
    parser = _parser(layout, ordered)
    text = _written(layout, moment)
    expected = _kept(layout, moment).replace(tzinfo=UTC).timestamp()
    assert parser(text) == expected, text


@settings(max_examples=400)
@given(
    st.sampled_from(sorted(KNOWN_LAYOUTS)),
    st.datetimes(min_value=datetime(1954, 1, 1), max_value=datetime(2100, 12, 31)),
    st.booleans(),
    st.data(),
)
def test_a_value_in_a_known_layout_with_a_part_out_of_range_is_told_impossible(
    layout: str, moment: datetime, ordered: bool, data: st.DataObject
) -> None:
    """2026/13/01, 2026年2月30日, 2010/8/1 25:00: the layout is known, a number in it is not
    possible; the reason says so, not to give format: (which would make no month 13 valid)."""
    part = data.draw(st.sampled_from([p for p in KNOWN_LAYOUTS[layout] if p != "ms"]))
    wrong = data.draw(_out_of_range(part, moment.year, moment.month))
    text = _written(layout, moment, **{part: wrong})
    parser = _parser(layout, ordered)
    with pytest.raises(TimeValueError) as refused:
        parser(text)
    assert str(refused.value) == f"'{text}' {IMPOSSIBLE}"


@pytest.mark.parametrize(
    "text",
    [
        "2026/13/01 10:00:00",
        "2026/02/30 10:00:00",
        "2026年13月01日 10:00:00",
        "2010/8/1 25:00:00",
        "2026.04.31",
        "2026年2月29日 10时61分",
    ],
)
def test_the_trials_impossible_values_are_told_impossible(text: str) -> None:
    with pytest.raises(TimeValueError) as refused:
        TimestampParser(UTC_ZONE)(text)
    assert str(refused.value) == f"'{text}' {IMPOSSIBLE}"


@pytest.mark.parametrize(
    "text",
    [
        "3月5日 15:20",
        "2026/13/01 noon",
        "2026年13月",
        "13 2026",
        "2026/01/01 10:00:00:00",
        "2026/1",
    ],
)
def test_a_value_in_no_known_layout_keeps_the_advice_to_give_format(text: str) -> None:
    with pytest.raises(TimeValueError) as refused:
        TimestampParser(UTC_ZONE)(text)
    assert str(refused.value) == (
        f"'{text}' is not a date/time in a known format; give format: for this column in the "
        "mapping"
    )


def test_every_layout_read_without_a_format_has_a_shape() -> None:
    """A layout whose directive has no shape would not be told impossible when its numbers are
    out of range (it would get the advice to give format:): each must have one."""
    from auditor.timeparse import DAY_FIRST, FORMATS, MONTH_FIRST, NumericDates, shaped_layouts

    layouts = [*FORMATS, *NumericDates(DAY_FIRST).formats, *NumericDates(MONTH_FIRST).formats]
    assert shaped_layouts() == layouts
