"""Business time: properties, and known cases around the 2026 Spring Festival."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.business_time import BusinessClock, ClockCache
from auditor.errors import AuditorError
from auditor.model import Calendar

SH = ZoneInfo("Asia/Shanghai")
OFFICE = Calendar("office", {d: ((9 * 3600, 18 * 3600),) for d in range(5)}, "CN")
SPLIT = Calendar(
    "split", {d: ((9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600)) for d in range(6)}, "CN"
)
CLOCK = BusinessClock(OFFICE, SH, date(2026, 1, 1), date(2026, 12, 31))
SPLIT_CLOCK = BusinessClock(SPLIT, SH, date(2026, 1, 1), date(2026, 12, 31))
START = datetime(2026, 1, 2, tzinfo=SH).timestamp()
END = datetime(2026, 12, 30, tzinfo=SH).timestamp()

moments = st.floats(min_value=START, max_value=END, allow_nan=False)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=SH).timestamp()


@given(moments, moments, moments)
@settings(max_examples=300)
def test_additive_over_a_split_point(a: float, b: float, c: float) -> None:
    a, b, c = sorted((a, b, c))
    for clock in (CLOCK, SPLIT_CLOCK):
        whole = clock.seconds_between(a, c)
        parts = clock.seconds_between(a, b) + clock.seconds_between(b, c)
        assert whole == pytest.approx(parts, abs=1e-6)


@given(moments, moments)
@settings(max_examples=300)
def test_never_more_than_wall_time_and_never_negative(a: float, b: float) -> None:
    a, b = sorted((a, b))
    for clock in (CLOCK, SPLIT_CLOCK):
        business = clock.seconds_between(a, b)
        assert -1e-6 <= business <= b - a + 1e-6


@given(st.dates(min_value=date(2026, 1, 2), max_value=date(2026, 12, 29)), st.floats(0, 1))
@settings(max_examples=300)
def test_zero_across_a_closed_stretch(day: date, share: float) -> None:
    # From 18:00 to 09:00 the next morning the office is closed (whatever the day).
    evening = datetime(day.year, day.month, day.day, 18, tzinfo=SH).timestamp()
    later = evening + share * 15 * 3600
    assert CLOCK.seconds_between(evening, later) == 0
    # Lunch is closed in the split calendar.
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=SH).timestamp()
    assert SPLIT_CLOCK.seconds_between(noon, noon + share * 3600) == 0


def test_spring_festival_2026_is_closed() -> None:
    # Friday 13 Feb 17:00 to Tuesday 24 Feb 10:00: 1 h on Friday, Saturday 14 Feb is a
    # make-up working day (9 h), 15-23 Feb are holidays, 1 h on Tuesday 24 Feb.
    assert (
        CLOCK.seconds_between(at("2026-02-13 17:00"), at("2026-02-24 10:00")) == (1 + 9 + 1) * 3600
    )


def test_makeup_saturday_28_february_is_open_and_sunday_1_march_closed() -> None:
    assert CLOCK.seconds_between(at("2026-02-28 09:00"), at("2026-02-28 18:00")) == 9 * 3600
    assert CLOCK.seconds_between(at("2026-03-01 00:00"), at("2026-03-02 00:00")) == 0
    assert CLOCK.day_kind(date(2026, 2, 14)) == "makeup"
    assert CLOCK.day_kind(date(2026, 2, 16)) == "holiday"
    assert CLOCK.day_kind(date(2026, 2, 24)) == "open"


def test_four_business_hours_across_a_holiday() -> None:
    # Opened Friday 13 Feb at 16:00: 2 h that day, then Saturday 14 Feb (a working day)
    # from 09:00, so the 4-hour limit falls at 11:00 on Saturday.
    opened = at("2026-02-13 16:00")
    assert CLOCK.seconds_between(opened, at("2026-02-14 11:00")) == 4 * 3600


def test_a_year_without_holiday_data_is_an_error() -> None:
    with pytest.raises(AuditorError, match="no holiday data for 2027"):
        BusinessClock(OFFICE, SH, date(2026, 12, 20), date(2027, 1, 10))


def test_a_pack_can_supply_a_later_year() -> None:
    calendar = Calendar(
        "office",
        OFFICE.hours,
        "CN",
        extra_holidays=(date(2027, 1, 1),),
        extra_workdays=(date(2027, 1, 2),),
    )
    clock = BusinessClock(calendar, SH, date(2026, 12, 30), date(2027, 1, 5))
    assert clock.day_kind(date(2027, 1, 1)) == "holiday"
    assert clock.day_kind(date(2027, 1, 2)) == "makeup"
    assert clock.seconds_between(at("2027-01-01 00:00"), at("2027-01-03 00:00")) == 9 * 3600


def test_a_clock_up_to_midnight_of_1_january_needs_no_data_of_that_year(cn_data_to_2026) -> None:
    """Business time counted up to the end of 31 December (a period's end), or a due time
    reached before the year ends, asks nothing of the next year."""
    clocks = ClockCache({"office": OFFICE}, SH)
    assert clocks.between("office", at("2026-12-31 10:00"), at("2027-01-01 00:00")) == 8 * 3600
    assert clocks.clock("office", at("2026-07-01 00:00"), at("2027-01-01 00:00")).last == date(
        2026, 12, 31
    )
    # opened Wednesday 30 December 10:00 with 4 business hours: due at 14:00 the same day
    assert clocks.due("office", at("2026-12-30 10:00"), 4 * 3600) == at("2026-12-30 14:00")
    assert clocks.due("office", at("2026-12-31 09:00"), 9 * 3600) == at("2026-12-31 18:00")


def test_business_time_really_in_the_next_year_names_what_needs_it(cn_data_to_2026) -> None:
    clocks = ClockCache({"office": OFFICE}, SH)
    # opened Thursday 31 December 17:00 with 4 business hours: due on a day of 2027
    with pytest.raises(
        AuditorError,
        match=r"no holiday data for 2027, needed for the due time of record T-9, 4 h of business "
        r"time after 2026-12-31 17:00: the holiday library covers up to 2026",
    ):
        clocks.due("office", at("2026-12-31 17:00"), 4 * 3600, "record T-9")
    with pytest.raises(
        AuditorError,
        match=r"no holiday data for 2027, needed for business time from 2026-12-31 17:00 to "
        r"2027-01-04 10:00: the holiday library",
    ):
        clocks.between("office", at("2026-12-31 17:00"), at("2027-01-04 10:00"))


def test_calendar_without_holidays_uses_weekly_hours_only() -> None:
    plain = Calendar("plain", OFFICE.hours, None)
    clock = BusinessClock(plain, SH, date(2026, 2, 1), date(2026, 2, 28))
    assert clock.seconds_between(at("2026-02-16 09:00"), at("2026-02-16 18:00")) == 9 * 3600


NY = ZoneInfo("America/New_York")


def _ny(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=NY).timestamp()


def test_a_country_or_subdivision_from_the_holidays_library() -> None:
    # Tuesday 4 July 2023 is Independence Day in every US state; Monday 17 April 2023
    # is Patriots' Day, a holiday in Massachusetts only.
    new_york = BusinessClock(
        Calendar("ny", OFFICE.hours, "US-NY"), NY, date(2023, 4, 1), date(2023, 7, 31)
    )
    boston = BusinessClock(
        Calendar("ma", OFFICE.hours, "US-MA"), NY, date(2023, 4, 1), date(2023, 7, 31)
    )
    assert new_york.day_kind(date(2023, 7, 4)) == boston.day_kind(date(2023, 7, 4)) == "holiday"
    assert new_york.day_kind(date(2023, 7, 3)) == "open"
    # Monday 09:00 to Wednesday 18:00 around the 4th: Monday 9 h + Wednesday 9 h
    assert new_york.seconds_between(_ny("2023-07-03 09:00"), _ny("2023-07-05 18:00")) == 18 * 3600
    assert (boston.day_kind(date(2023, 4, 17)), new_york.day_kind(date(2023, 4, 17))) == (
        "holiday",
        "open",
    )
    italy = BusinessClock(
        Calendar("it", OFFICE.hours, "IT"), NY, date(2023, 4, 1), date(2023, 4, 30)
    )
    assert italy.day_kind(date(2023, 4, 25)) == "holiday"  # Liberation Day, a Tuesday


def test_an_unknown_holiday_set_names_the_closest() -> None:
    from auditor.holiday_sets import holiday_set_problem

    assert holiday_set_problem("US-NY") is None and holiday_set_problem("none") is None
    message, closest = holiday_set_problem("US-YN") or ("", None)
    assert "not a known holiday set" in message and closest == "US-NY"


def test_the_holidays_librarys_china_set_is_refused_for_cn() -> None:
    """``CHN`` would silently give a calendar without China's make-up working days (a Sunday
    worked to bridge a holiday counted as closed) and without its bridge days off."""
    from auditor.holiday_sets import holiday_set_problem

    message, closest = holiday_set_problem("CHN") or ("", None)
    assert "make-up working days" in message and closest == "CN"
    assert holiday_set_problem("CN") is None


def _sql_cumulative(clock: BusinessClock, moments: list[float]) -> list[float]:
    import sqlite3

    from auditor.business_time import CalendarTable

    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE cal_days (bucket REAL, start REAL, "end" REAL, before REAL)')
    db.executemany(
        "INSERT INTO cal_days VALUES (?, ?, ?, ?)", CalendarTable.bucket_rows(clock.rows())
    )
    db.execute("CREATE TABLE m (t REAL)")
    db.executemany("INSERT INTO m VALUES (?)", [(m,) for m in moments])
    table = CalendarTable.of("cal", "cal_days", clock.rows())
    return [row[0] for row in db.execute(f"SELECT {table.cumulative_sql('m.t')} FROM m")]


def _expected(clock: BusinessClock, moment: float) -> float:
    return 0.0 if moment < clock.begin else clock.cumulative(moment)


@pytest.mark.parametrize("clock", [CLOCK, SPLIT_CLOCK], ids=["office", "split"])
def test_the_sql_look_up_agrees_at_every_stretch_edge(clock: BusinessClock) -> None:
    """Just before, at and after every stretch's start and end, the longest closures included."""
    edges = [s.start for s in clock.stretches] + [s.end for s in clock.stretches]
    moments = [m + d for m in edges for d in (-1.0, 0.0, 1.0)] + [clock.begin, clock.finish]
    for moment, value in zip(moments, _sql_cumulative(clock, moments), strict=True):
        assert value == pytest.approx(_expected(clock, moment), abs=1e-6), moment


@pytest.mark.parametrize("clock", [CLOCK, SPLIT_CLOCK], ids=["office", "split"])
def test_the_sql_look_up_agrees_at_every_bucket_edge(clock: BusinessClock) -> None:
    """A moment a hair before, at or after midnight UTC (a look-up bucket's edge) is counted
    as the clock counts it, on either side of the edge; so is one after the last stretch."""
    import math

    from auditor.business_time import BUCKET_SECONDS

    first, last = (math.ceil(t / BUCKET_SECONDS) for t in (clock.begin, clock.finish))
    edges = [day * BUCKET_SECONDS for day in range(first, last)]
    moments = [
        m
        for edge in edges
        for m in (math.nextafter(edge, -math.inf), edge, math.nextafter(edge, math.inf))
    ]
    for moment, value in zip(moments, _sql_cumulative(clock, moments), strict=True):
        assert value == pytest.approx(_expected(clock, moment), abs=1e-6), moment
    total = clock.cumulative(clock.finish)
    assert _sql_cumulative(clock, [clock.finish + 10 * 86400]) == [pytest.approx(total)]


@pytest.mark.parametrize("clock", [CLOCK, SPLIT_CLOCK], ids=["office", "split"])
@given(
    st.lists(
        st.floats(min_value=CLOCK.begin - 5 * 86400, max_value=CLOCK.finish, allow_nan=False),
        min_size=1,
        max_size=40,
    )
)
@settings(max_examples=60, deadline=None)
def test_the_sql_look_up_agrees_with_the_clock(clock: BusinessClock, moments: list[float]) -> None:
    """Anywhere in the year and before it, the bounded SQL look-up gives the clock's seconds."""
    for moment, value in zip(moments, _sql_cumulative(clock, moments), strict=True):
        assert value == pytest.approx(_expected(clock, moment), abs=1e-6), moment


def test_two_threads_building_one_calendar_see_the_same_holidays() -> None:
    """The holidays library fills a year on first use and marks it filled first: two threads
    (rules run on two) must not see a holiday as a working day meanwhile."""
    import sys
    import threading

    from auditor import holiday_sets

    us = Calendar("us", {d: ((9 * 3600, 17 * 3600),) for d in range(5)}, "US")
    zone = ZoneInfo("America/New_York")
    alone = BusinessClock(us, zone, date(2025, 1, 1), date(2025, 12, 31)).rows()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(25):
            holiday_sets.public_holidays.cache_clear()
            holiday_sets.public_holidays("US")  # made once; its years filled on first use
            built: list[object] = [None, None]

            def build(i: int, into: list[object] = built) -> None:
                into[i] = BusinessClock(us, zone, date(2025, 1, 1), date(2025, 12, 31)).rows()

            threads = [threading.Thread(target=build, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert built == [alone, alone]
    finally:
        sys.setswitchinterval(interval)


def test_a_sqlite_without_maths_functions_gets_floor_from_python(monkeypatch) -> None:
    """The calendar look-up's bucket needs FLOOR, which a SQLite built without its maths
    functions lacks: the store gives it one, which floors as SQL's does."""
    import sqlite3

    from auditor.backends import store

    calls: list[object] = []
    real = store._floor
    monkeypatch.setattr(store, "_floor", lambda value: calls.append(value) or real(value))

    class WithoutMaths(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if sql == "SELECT FLOOR(1.5)" and not getattr(self, "asked", False):
                self.asked = True
                raise sqlite3.OperationalError("no such function: FLOOR")
            return super().execute(sql, *args)

    connection = sqlite3.connect(":memory:", factory=WithoutMaths)
    store.with_floor(connection)
    assert connection.asked  # type: ignore[attr-defined]
    got = connection.execute("SELECT FLOOR(-2.5), FLOOR(2.5), FLOOR(20726.99), FLOOR(NULL)")
    assert got.fetchone() == (-3.0, 2.0, 20726.0, None)
    assert len(calls) == 4  # Python's, not a built-in one


def test_calendars_whose_names_extend_each_other_get_tables_of_their_own() -> None:
    """Calendars 'support' and 'support_days' (any names) never share a helper table."""
    from auditor.business_time import CalendarTable

    names = ["support", "support_days", "days", "by_day_support", "stretches_by_day_x", "x"]
    tables = [CalendarTable.named(name, []) for name in names]
    every = [t.name for t in tables] + [t.days_name for t in tables]
    assert len(set(every)) == len(every)


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_a_moment_s_open_seconds_take_two_look_ups_on_every_engine(dialect: str) -> None:
    """SQLite's two-argument MIN becomes LEAST elsewhere, unguarded: a guard against NULLs
    would repeat both look-ups (DuckDB ran eight subqueries for a duration's two moments)."""
    from auditor.backends.statement import Statement
    from auditor.business_time import CalendarTable

    table = CalendarTable("_c", "_d", 1.0e9)
    sql = Statement(f"SELECT {table.cumulative_sql('t.x')} FROM t").render(dialect)
    assert sql.count("SELECT MIN(c.before") == 1 and sql.count("SELECT MAX(c.before") == 1
    assert "nulls together" not in sql and "LEAST" in sql


def test_open_seconds_are_the_same_on_sqlite_and_duckdb_for_any_moment() -> None:
    """Before the first stretch, inside one, between two, after the last, and NULL."""
    import sqlite3

    import duckdb

    from auditor.backends.statement import Statement
    from auditor.business_time import CalendarTable

    stretches = [(100.0, 200.0, 0.0), (300.0, 450.0, 100.0), (90_000.0, 90_100.0, 250.0)]
    table = CalendarTable.of("_c", "_d", stretches)
    rows = CalendarTable.bucket_rows(stretches)
    moments = [None, 50.0, 100.0, 150.5, 200.0, 250.0, 300.0, 449.0, 5_000.0, 90_050.0, 1e6]
    sql = f"SELECT x, {table.cumulative_sql('t.x')} FROM t ORDER BY x NULLS FIRST"
    lite = sqlite3.connect(":memory:")
    duck = duckdb.connect()
    for con in (lite, duck):
        con.execute('CREATE TABLE _d (bucket DOUBLE, start DOUBLE, "end" DOUBLE, before DOUBLE)')
        con.executemany("INSERT INTO _d VALUES (?, ?, ?, ?)", rows)
        con.execute("CREATE TABLE t (x DOUBLE)")
        con.executemany("INSERT INTO t VALUES (?)", [(m,) for m in moments])
    by_sqlite = lite.execute(Statement(sql).render("sqlite")).fetchall()
    by_duckdb = duck.execute(Statement(sql).render("duckdb")).fetchall()
    assert by_sqlite == by_duckdb
    assert [v for _, v in by_sqlite] == [0, 0, 0, 50.5, 100, 100, 100, 249, 250, 300, 350]
