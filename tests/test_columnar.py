"""Column-wise conversion gives exactly what the value-by-value converters give."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.columnar import MIN_VECTOR, iso_naive_seconds, timestamp_values
from auditor.timeparse import TimestampParser

ZONES = ["Asia/Shanghai", "America/Sao_Paulo", "Europe/Berlin", "Australia/Lord_Howe", "UTC"]


def _naive_seconds(text: str) -> int | None:
    """Independent: Python's own ISO reader, for values written exactly as the fast form."""
    if len(text) != 19 or text[10] != " " or not text.isascii():
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.isoformat(sep=" ") != text:
        return None  # a form Python also reads (a different separator), left to the row path
    return int((moment - datetime(1970, 1, 1)).total_seconds())


iso_like = st.builds(
    "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format,
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
)
texts = st.one_of(
    iso_like,
    st.text(alphabet="0123456789-: T/.", min_size=17, max_size=21),
    st.text(max_size=20),
)


@settings(max_examples=300)
@given(st.lists(texts, max_size=60))
def test_iso_naive_seconds_agree_with_python(values):
    seconds, valid = iso_naive_seconds(pa.array(values, type=pa.string()))
    for text, second, ok in zip(values, seconds.tolist(), valid.tolist(), strict=True):
        expected = _naive_seconds(text)
        if ok:
            assert expected == second, text
        else:
            assert expected is None, text


@settings(max_examples=200)
@given(st.lists(iso_like, min_size=1, max_size=40), st.integers(0, 5))
def test_iso_naive_seconds_of_values_all_nineteen_bytes_long(values, skip):
    """Read as a view of the array's bytes (no gather), also from a slice of an array."""
    whole = pa.array(["2026-01-01 00:00:00"] * skip + values, type=pa.string())
    seconds, valid = iso_naive_seconds(whole.slice(skip))
    for text, second, ok in zip(values, seconds.tolist(), valid.tolist(), strict=True):
        expected = _naive_seconds(text)
        assert (second if ok else None) == expected, text


def test_iso_naive_seconds_take_every_plain_value():
    values = ["2024-02-29 23:59:59", "0001-01-01 00:00:00", "9999-12-31 23:59:59"]
    seconds, valid = iso_naive_seconds(pa.array(values))
    assert valid.all()
    assert seconds.tolist() == [_naive_seconds(v) for v in values]


def test_iso_naive_seconds_refuse_impossible_dates():
    values = [
        "2023-02-29 00:00:00",
        "2026-04-31 10:00:00",
        "2026-07-01 24:00:00",
        "2026-07-01 10:60:00",
        "2026-07-01 10:00:60",
        "0000-01-01 00:00:00",
        "2026-07-01T10:00:00",
        "2026/07/01 10:00:00",
        None,
        "",
    ]
    _, valid = iso_naive_seconds(pa.array(values, type=pa.string()))
    assert not valid.any()


moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31))


def _one_by_one(parser, raws, missing):
    out = []
    for raw in raws:
        if raw in missing:
            out.append(None)
            continue
        try:
            out.append(parser(raw))
        except ValueError as exc:
            out.append(("refused", str(exc)))
    return out


def _columnwise(parser, raws, missing, offset=None):
    """timestamp_values of a Python list, or (``offset`` given) of an Arrow array sliced out of
    a longer one at that offset, as the column-wise reader hands its batches over."""
    try:
        if offset is None:
            return timestamp_values(parser, raws, missing)
        padded = pa.array(["x"] * offset + list(raws) + ["y"], type=pa.string())
        return timestamp_values(parser, None, missing, padded.slice(offset, len(raws)))
    except ValueError as exc:
        return ("refused", str(exc))


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.lists(
        st.one_of(
            moments.map(lambda m: m.strftime("%Y-%m-%d %H:%M:%S")),
            moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M")),
            st.sampled_from(["", "NULL", "2026-02-30 10:00:00", "not a time"]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 3),
    st.booleans(),
)
def test_timestamp_values_equal_the_parser_value_by_value(zone, sample, offset, short):
    raws = (sample * (MIN_VECTOR // len(sample) + 1))[: MIN_VECTOR + len(sample)]
    if short:
        raws = sample  # below MIN_VECTOR: converted value by value, from the array too
    missing = {"", "NULL"}
    expected = _one_by_one(TimestampParser(ZoneInfo(zone)), raws, missing)
    refusals = [v for v in expected if isinstance(v, tuple)]
    for start in (None, offset):  # from Python texts, and straight from an Arrow array
        got = _columnwise(TimestampParser(ZoneInfo(zone)), raws, missing, start)
        if refusals:
            assert got == refusals[0]  # the first refused value is what both report
        else:
            assert got == expected


@pytest.mark.parametrize("count", [5, MIN_VECTOR + 3])
def test_a_format_given_is_kept_when_read_from_an_arrow_array(count):
    """A parser with an explicit format reads every value by that format, from a list or from
    the reader's Arrow array alike: 2026-05-07 read as year-day-month is the 5th of July."""
    parser = TimestampParser(ZoneInfo("UTC"), ("%Y-%d-%m %H:%M:%S",))
    raws = ["2026-05-07 10:00:00"] * count
    expected = [datetime(2026, 7, 5, 10, tzinfo=ZoneInfo("UTC")).timestamp()] * count
    assert _columnwise(parser, raws, set()) == expected
    assert _columnwise(parser, raws, set(), offset=1) == expected
    day_first = TimestampParser(ZoneInfo("UTC"), ("%d/%m/%Y %H:%M",))
    refused = _columnwise(day_first, raws, set(), offset=1)
    assert refused == _columnwise(day_first, raws, set()) and refused[0] == "refused"


@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "Europe/Berlin", "America/New_York"])
def test_hours_around_dst_changes_go_the_careful_way(zone):
    # Every minute of two days around each of the zone's 2026 changes: gaps are refused,
    # repeated hours refused (strict), the rest equal to the value-by-value reading.
    from datetime import timedelta

    start = {
        "America/Sao_Paulo": datetime(2018, 11, 3),
        "Europe/Berlin": datetime(2026, 3, 28),
        "America/New_York": datetime(2026, 11, 1),
    }[zone]
    raws = [(start + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S") for m in range(2 * 1440)]
    expected = _one_by_one(TimestampParser(ZoneInfo(zone)), raws, set())
    good = [raw for raw, value in zip(raws, expected, strict=True) if not isinstance(value, tuple)]
    assert len(good) < len(raws)  # the change is in the window
    for offset in (None, 2):
        assert _columnwise(TimestampParser(ZoneInfo(zone)), good, set(), offset) == [
            v for v in expected if not isinstance(v, tuple)
        ]


@given(st.lists(st.integers(-(10**9), 10**9), max_size=60), st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_unique_inverse_is_numpys_unique(values: list[int], spread: int) -> None:
    import numpy as np

    from auditor.columnar import unique_inverse

    hours = np.array([v // (10**spread * 1000) for v in values], dtype=np.int64)
    unique, inverse = unique_inverse(hours)
    expected, expected_inverse = np.unique(hours, return_inverse=True)
    assert unique.dtype == expected.dtype and unique.tolist() == expected.tolist()
    assert inverse.tolist() == expected_inverse.tolist()


_TEXT_PIECES = st.sampled_from(
    ["I7", "a b", " ", "\t", "\x1f", "\x85", "\u3000", "\xa0", "中", "NA", "-", "", "x\u2028"]
)


@given(
    st.lists(st.lists(_TEXT_PIECES, max_size=3).map("".join), min_size=1, max_size=8),
    st.integers(MIN_VECTOR, MIN_VECTOR + 40),
    st.integers(1, 8),
)
@settings(max_examples=300, deadline=None)
def test_plain_texts_are_the_texts_read_one_by_one(
    sample: list[str], count: int, limit: int
) -> None:
    """Whatever the texts, the Arrow check either declines or gives what trimming, reading
    markers as missing and the length check give value by value."""
    from auditor import convert
    from auditor.columnar import plain_texts

    texts = [sample[i % len(sample)] for i in range(count)]
    missing = {None, "", "NA", "-"}
    # a slice of a longer array (its offsets start further on), led by a value to be trimmed
    array = pa.array([" pad ", *texts], type=pa.string()).slice(1)
    plain = plain_texts(array, missing, limit)
    if plain is not None:
        assert plain == texts
        one_by_one = convert._texts(texts, missing)
        assert one_by_one == texts and max(map(len, texts)) <= limit


def test_identifiers_are_taken_whole() -> None:
    from auditor.columnar import plain_texts

    ids = [f"I{n}" for n in range(2 * MIN_VECTOR)]
    assert plain_texts(pa.array(ids), {None, "", "NA"}, 100) == ids
    assert plain_texts(pa.array([*ids, " I0"]), {None, ""}, 100) is None
    assert plain_texts(pa.array([*ids, "NA"]), {None, "", "NA"}, 100) is None
    assert plain_texts(pa.array([*ids, "中"]), {None, ""}, 100) is None  # may be a space: declined
    assert plain_texts(pa.chunked_array([ids]), {None, ""}, 100) is None
    assert plain_texts(pa.array(ids, type=pa.large_string()), {None, ""}, 100) is None
    assert plain_texts(pa.array([" x", *ids]).slice(1), {None, ""}, 100) == ids


def test_a_column_kept_as_arrow_makes_its_python_values_only_when_read() -> None:
    import pyarrow as pa

    from auditor.columnar import WithArrow

    texts = WithArrow(pa.array(["a", None, "b"]))
    assert len(texts) == 3 and None in texts and "b" in texts and "" not in texts
    assert texts._values is None  # asked about None and texts: the array answered
    assert 3 not in texts and texts._values == ["a", None, "b"]  # anything else reads them
    assert (
        texts == ["a", None, "b"] and list(texts) == ["a", None, "b"] and texts[1:] == [None, "b"]
    )
    numbers = WithArrow(pa.array([1.5, 2.0]))
    assert None not in numbers and "" not in numbers and numbers._values is None
    assert numbers == [1.5, 2.0] and numbers != [1.5] and numbers != "ab"
    given = [0.5, None]  # Python values the caller made anyway are the ones read
    assert WithArrow(pa.array(given, pa.float64()), given)._values is given


_SPACES = "\t\n\x0b\x0c\r\x1c\x1f \x85\xa0\u2000\u3000"


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(
        st.text(
            alphabet=st.sampled_from([*_SPACES, "a", "é", "中", "-", "N", "/", "A"]), max_size=6
        ),
        min_size=1,
        max_size=40,
    ),
    markers=st.sets(st.sampled_from(["", "-", "N/A", " ", "NA"]), max_size=3),
    limit=st.integers(1, 6),
)
def test_texts_trimmed_by_arrow_are_those_the_row_converter_makes(
    texts: list[str], markers: set[str], limit: int
) -> None:
    from auditor.columnar import trimmed_texts
    from auditor.convert import _cleaned

    column = (texts * (MIN_VECTOR // len(texts) + 1))[:MIN_VECTOR]
    expected = _cleaned(column, {*markers, None})
    got = trimmed_texts(pa.array(column, pa.string()), {*markers, None}, limit)
    if max((len(t) for t in expected if t), default=0) > limit:
        assert got is None
    else:
        assert got is not None and list(got) == expected


@settings(max_examples=300)
@given(
    values=st.lists(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from([*_SPACES, "合计", "Total", "tOTAL", "id", "x"])).map("".join),
        ),
        max_size=12,
    ),
    start=st.integers(0, 4),
    texts=st.sets(st.sampled_from(["合计", "Total", "tOTAL", "id", "x", "idx"]), min_size=1),
)
def test_a_batch_holds_a_text_trimmed_as_the_row_reader_finds_it(
    values: list[str | None], start: int, texts: set[str]
) -> None:
    """What marks a batch as maybe holding the header repeated or a totals row: Arrow's
    answer is Python's, on any slice of an array (values padded or not, empty, null)."""
    from auditor.columnar import holds_any

    array = pa.array(values, pa.string()).slice(start)
    expected = any(value.strip() in texts for value in values[start:] if value is not None)
    assert holds_any(array, frozenset(texts)) == expected
