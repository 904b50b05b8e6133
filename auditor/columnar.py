"""Column-wise conversion of text evidence with Apache Arrow: the same values, faster.

The row-by-row converters in :mod:`auditor.convert` define what every value
means. The functions here compute the same results for a whole column at C
speed where a value's form makes that safe, and hand every other value to the
row converter, so a column converted here is equal, value for value, to the
column converted one value at a time (a property test holds them to that).

Only the common, unambiguous forms are taken here:

- ``YYYY-MM-DD HH:MM:SS`` local times, parsed by Arrow and accepted only when
  they print back to the same text (so ``02-30`` or ``24:00:00`` go to the row
  converter, which says why they are wrong), turned into UTC with the zone's
  offset worked out once per local hour by :class:`auditor.timeparse.LocalClock`;
  an hour in which the offset changes (a DST gap or overlap) is left to the
  row converter too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from .timeparse import TimestampParser

ISO_SECONDS = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
_ISO_FORMAT = "%Y-%m-%d %H:%M:%S"
#: below this many values a column is converted value by value (Arrow's set-up costs more)
MIN_VECTOR = 512
#: hours a batch of local times may span for their UTC offsets to be read from a table of
#: every hour between (about two years; a wider batch looks up each distinct hour)
HOUR_TABLE_LIMIT = 20_000
#: every character Python's str.strip() removes from either end of a text (str.isspace();
#: a test keeps the two in step)
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def text_array(values: Sequence[Any]) -> pa.Array | None:
    """The values as an Arrow string array, or None when any is not text (or None)."""
    import pyarrow as pa

    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None


class WithArrow(Sequence[Any]):
    """A converted column's values as an Arrow array of the type the store keeps them as,
    read as a sequence of Python values, which are made the first time they are read: a
    store that keeps Arrow (DuckDB's) takes the array and never makes them (at ten million
    records, making them cost the converter seconds). Asking whether a None or a text is
    among them reads the array only."""

    __slots__ = ("_values", "arrow")

    def __init__(self, arrow: pa.Array, values: list[Any] | None = None) -> None:
        self.arrow = arrow
        self._values = values  # the Python values, when the caller made them anyway

    def _list(self) -> list[Any]:
        if self._values is None:
            self._values = self.arrow.to_pylist()
        return self._values

    def __len__(self) -> int:
        return len(self.arrow)

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._list())

    def __contains__(self, item: object) -> bool:
        if self._values is None:
            if item is None:
                return self.arrow.null_count > 0
            if isinstance(item, str):
                import pyarrow as pa
                import pyarrow.compute as pc

                kind = self.arrow.type
                if pa.types.is_integer(kind) or pa.types.is_floating(kind):
                    return False  # numbers, or times: no text among them
                if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                    return bool(pc.any(pc.equal(self.arrow, item)).as_py())
        return item in self._list()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and self._list() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"WithArrow({self._list()!r})"


def line_columns(source: int, lines: Sequence[int]) -> list[Sequence[int]]:
    """A batch's ``_source`` and ``_line`` columns (its file's manifest id, each row's line).
    Lines numbered one after another (a ``range``, as a column-wise pass numbers them) come
    as Arrow arrays made without Python values, which are made if read (a store kept in
    DuckDB takes the arrays)."""
    count = len(lines)
    if isinstance(lines, range) and lines.step == 1 and count >= MIN_VECTOR:
        import numpy as np
        import pyarrow as pa

        return [
            WithArrow(pa.array(np.full(count, source, dtype=np.int64))),
            WithArrow(pa.array(np.arange(lines.start, lines.stop, dtype=np.int64))),
        ]
    return [[source] * count, list(lines)]


def timestamp_values(
    parser: TimestampParser,
    raws: Sequence[Any] | None,
    missing: set[Any],
    strings: pa.Array | None = None,
) -> Sequence[float | None]:
    """Epoch seconds for each raw text (None for a missing marker), as ``parser`` gives them.

    The texts are ``raws``, or, when the reader has them so, ``strings`` (an
    Arrow string array), of which only the values the row converter must look
    at become Python texts. Raises what ``parser`` raises for the first value it
    refuses, like the value-by-value loop it replaces.
    """
    if raws is None:
        assert strings is not None
        if len(strings) < MIN_VECTOR or parser.explicit:  # value by value, as Python texts
            raws, strings = strings.to_pylist(), None
    else:
        strings = None if len(raws) < MIN_VECTOR or parser.explicit else text_array(raws)
    if strings is None:
        assert raws is not None
        return [None if is_missing(raw, missing) else parser(raw) for raw in raws]
    epochs, done = iso_epochs(parser, strings)
    markers = [m for m in missing if isinstance(m, str)]
    if markers:  # a marker written as a time is no value, as the row converter reads it
        import pyarrow.compute as pc

        done &= ~pc.fill_null(pc.is_in(strings, value_set=pa_strings(markers)), False).to_numpy(
            zero_copy_only=False
        )
    left = (~done).nonzero()[0]
    if not left.size:  # every value from the vector: the Python values are made if read
        import pyarrow as pa

        return WithArrow(pa.array(epochs, pa.float64()))
    out: list[float | None] = epochs.tolist()
    texts: Any = raws
    if texts is None:  # only the values left over become Python texts
        texts = dict(zip(left.tolist(), strings.take(left).to_pylist(), strict=True))
    for position in left.tolist():
        raw = texts[position]
        out[position] = None if is_missing(raw, missing) else parser(raw)
    return WithArrow(_epochs_array(epochs, left, out), out)


def _epochs_array(epochs: Any, left: Any, out: list[float | None]) -> pa.Array:
    """``out`` as an Arrow array: the vector's epochs, with the values read one by one
    (``left``) put in their places."""
    import numpy as np
    import pyarrow as pa

    if not left.size:
        return pa.array(epochs, pa.float64())
    values, nulls = epochs.copy(), np.zeros(len(epochs), dtype=bool)
    for position in left.tolist():
        value = out[position]
        if value is None:
            nulls[position] = True
        else:
            values[position] = value
    return pa.array(values, pa.float64(), mask=nulls)


#: values looked at first to guess whether a column has few distinct values
_SAMPLE = 256


def few_valued(strings: pa.Array) -> tuple[list[str], Any] | None:
    """(its distinct texts, each value's index among them as a numpy array) for a column of
    few distinct values (a channel, a site: at most a quarter as many as values), found by
    Arrow's hashing; None for other columns, short ones, or one with a null (the row
    converter's business)."""
    if len(strings) < MIN_VECTOR or strings.null_count:
        return None
    if len(set(strings.slice(0, _SAMPLE).to_pylist())) * 4 >= _SAMPLE:
        return None  # an identifier, a free text: not worth encoding
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(strings)
    if len(encoded.dictionary) * 4 >= len(strings):
        return None
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)


#: bytes that Python's ``str.strip()`` may take off a text's ends: ASCII white space (with the
#: four separators it counts as such), and any byte of a wider character (a few are spaces)
_MAYBE_SPACE = frozenset(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ") | frozenset(range(0x80, 0x100))


@lru_cache(maxsize=1)
def _maybe_space_table() -> Any:
    """:data:`_MAYBE_SPACE` as a numpy table indexed by byte (made once)."""
    import numpy as np

    table = np.zeros(256, dtype=bool)
    table[sorted(_MAYBE_SPACE)] = True
    return table


def plain_texts(strings: pa.Array, missing: set[Any], limit: int) -> Sequence[str] | None:
    """The values as Python texts, when reading them one by one (trimmed, a missing-value
    marker as None, no longer than ``limit``) would leave every one as it is: none is empty,
    starts or ends with a byte that may be white space, is a marker, or has more than
    ``limit`` bytes. None otherwise, and the caller reads them one by one."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    count = len(strings)
    if not isinstance(strings, pa.Array) or strings.type != pa.string():
        return None  # a chunked array, a large_string array: read one by one
    if count < MIN_VECTOR or strings.null_count:
        return None
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[strings.offset : strings.offset + count + 1]
    lengths = np.diff(offsets)
    if buffers[2] is None or not lengths.all() or int(lengths.max()) > limit:
        return None
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    edge = _maybe_space_table()
    if edge[data[offsets[:-1]]].any() or edge[data[offsets[1:] - 1]].any():
        return None
    markers = [m for m in missing if isinstance(m, str)]
    if markers and pc.any(pc.is_in(strings, value_set=pa_strings(markers))).as_py():
        return None
    return WithArrow(strings)


def trimmed_texts(strings: pa.Array, missing: set[Any], limit: int) -> Sequence[Any] | None:
    """The values as the row converter reads a text column's, worked out by Arrow: trimmed of
    the white space Python's ``str.strip()`` takes off, a missing-value marker (as written or
    trimmed) as None. None when one is longer than ``limit`` characters (the caller reads
    them one by one, and says which), or for an array that is not one of plain strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(strings, pa.Array) or strings.type != pa.string():
        return None  # a chunked array, a large_string array: read one by one
    if len(strings) < MIN_VECTOR or strings.null_count:
        return None
    trimmed = pc.utf8_trim(strings, characters=PYTHON_WHITESPACE)
    markers = [m for m in missing if isinstance(m, str)]
    if markers:
        value_set = pa_strings(markers)
        gone = pc.or_(
            pc.is_in(strings, value_set=value_set), pc.is_in(trimmed, value_set=value_set)
        )
        trimmed = pc.if_else(gone, pa.scalar(None, pa.string()), trimmed)
    longest = pc.max(pc.utf8_length(trimmed)).as_py()
    if longest is not None and longest > limit:
        return None
    return WithArrow(trimmed)


#: the raw values other than texts a missing-value marker may stand for: no value, and a typed
#: cell showing a marker (see :func:`convert.typed_markers`); never a yes/no (``True == 1``)
_MARKABLE = frozenset({type(None), time, date, datetime, int, float})


def is_missing(raw: Any, missing: set[Any]) -> bool:
    """A missing-value marker, as written or with spaces around it (as the row converter reads),
    or a typed cell (a time, a date, a number) equal to a marker's typed value."""
    if raw.__class__ is str:
        return raw in missing or raw.strip() in missing
    return raw.__class__ in _MARKABLE and raw in missing


def holds_any(strings: pa.Array, texts: frozenset[str]) -> bool | None:
    """Whether a value of ``strings``, trimmed as str.strip() trims it, is one of ``texts``
    (trimmed by Arrow only when a value may start or end with white space, and looked up only
    when one may be or has the length of one of them); None for an array that is not one of
    plain strings (the caller looks at the Python texts)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(strings, pa.Array) or strings.type != pa.string():
        return None
    buffers = strings.buffers()
    if buffers[2] is None:  # every value empty or null
        return False
    start = strings.offset
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[start : start + len(strings) + 1]
    lengths = np.diff(offsets)
    filled = lengths > 0
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    edge = _maybe_space_table()
    value_set, byte_lengths = _looked_up(texts)
    if edge[data[offsets[:-1][filled]]].any() or edge[data[offsets[1:][filled] - 1]].any():
        strings = pc.utf8_trim(strings, characters=PYTHON_WHITESPACE)
    elif not np.isin(lengths, byte_lengths).any():
        return False
    return bool(pc.any(pc.is_in(strings, value_set=value_set)).as_py())


@lru_cache(maxsize=16)
def _looked_up(texts: frozenset[str]) -> tuple[pa.Array, Any]:
    """``texts`` as an Arrow array, and their lengths in bytes (made once for a set looked up
    batch after batch)."""
    import numpy as np

    lengths = np.array(sorted({len(text.encode()) for text in texts}), dtype=np.int32)
    return pa_strings(sorted(texts)), lengths


def pa_strings(values: list[str]) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, type=pa.string())


def iso_epochs(parser: TimestampParser, strings: pa.Array) -> tuple[Any, Any]:
    """(epoch seconds, done) numpy arrays: the values in ``YYYY-MM-DD HH:MM:SS`` form in hours
    with one UTC offset, converted; ``done`` is False where the row converter must look."""
    import numpy as np

    seconds, done = iso_naive_seconds(strings)
    offsets = np.zeros(len(seconds), dtype=np.float64)
    if done.any():
        hours = seconds[done] // 3600
        low, high = int(hours.min()), int(hours.max())
        if high - low < HOUR_TABLE_LIMIT:  # the clock's table of offsets by hour
            per_row = parser.clock.hour_offsets(low, high)[hours - low]
        else:  # years apart: each distinct hour looked up
            unique, inverse = unique_inverse(hours)
            per_hour = [parser.clock.hour_offset(hour) for hour in unique.tolist()]
            per_row = np.array([np.nan if o is None else o for o in per_hour])[inverse]
        known = ~np.isnan(per_row)
        offsets[done] = np.where(known, per_row, 0.0)
        done[done] = known
    return seconds.astype(np.float64) - offsets, done


def unique_inverse(values: Any) -> tuple[Any, Any]:
    """``np.unique(values, return_inverse=True)`` of whole numbers (a batch's local hours): where
    they span a range not much wider than their count, marked in it and counted, not sorted."""
    import numpy as np

    if not len(values):
        return np.unique(values, return_inverse=True)
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > 4 * len(values) + 65_536:  # sparse: sorting costs less than the range
        return np.unique(values, return_inverse=True)
    present = np.zeros(span, dtype=bool)
    present[values - low] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(values.dtype) + low, rank[values - low]


_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_MARKS = {4: ord("-"), 7: ord("-"), 10: ord(" "), 13: ord(":"), 16: ord(":")}
_MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def iso_naive_seconds(strings: pa.Array) -> tuple[Any, Any]:
    """(seconds since 1970-01-01 00:00 as naive local time, valid) for each value that is a
    real date and time written exactly ``YYYY-MM-DD HH:MM:SS`` (years 1-9999)."""
    import numpy as np

    count = len(strings)
    seconds = np.zeros(count, dtype=np.int64)
    valid = np.zeros(count, dtype=bool)
    if count == 0:
        return seconds, valid
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[strings.offset : strings.offset + count + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
    shaped = np.diff(offsets) == 19
    if strings.null_count:
        shaped &= ~np.asarray(strings.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if data is None or not shaped.any():
        return seconds, valid
    if shaped.all():  # every value 19 bytes, one after another: a view of the bytes, no copy
        chars = data[offsets[0] : offsets[-1]].reshape(count, 19)
    else:
        chars = data[offsets[:-1][shaped][:, None] + np.arange(19, dtype=np.int32)]
    ok = np.ones(len(chars), dtype=bool)
    for position, mark in _MARKS.items():
        ok &= chars[:, position] == mark
    digits = chars[:, _DIGITS].astype(np.int32) - ord("0")
    ok &= (digits.astype(np.uint32) <= 9).all(axis=1)  # a byte below "0" wraps round, too
    d = digits.T
    year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]
    month = d[4] * 10 + d[5]
    day = d[6] * 10 + d[7]
    hour = d[8] * 10 + d[9]
    minute = d[10] * 10 + d[11]
    second = d[12] * 10 + d[13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    some_month = np.where(month_ok, month, 1)
    longest = np.array(_MONTH_DAYS, dtype=np.int32)[some_month] + ((month == 2) & leap)
    ok &= (year >= 1) & month_ok & (day >= 1) & (day <= longest)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    days = _days_from_civil(year.astype(np.int64), some_month.astype(np.int64), day)
    seconds[shaped] = days * 86400 + hour * 3600 + minute * 60 + second
    valid[shaped] = ok
    return seconds, valid


def _days_from_civil(year: Any, month: Any, day: Any) -> Any:
    """Days since 1970-01-01 of proleptic Gregorian dates (numpy arrays, years >= 1)."""
    import numpy as np

    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


class TextColumns(Sequence[list[str]]):
    """A batch's columns as Arrow string arrays (``arrays``), each made a list of Python
    texts only when something reads it so (a timestamp column converted from its Arrow
    bytes never is)."""

    def __init__(self, arrays: list[pa.Array]) -> None:
        self.arrays = arrays
        self._lists: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, int):
            return [self[i] for i in range(len(self.arrays))[index]]
        made = self._lists.get(index)
        if made is None:
            made = self._lists[index] = self.arrays[index].to_pylist()
        return made

    def rows(self) -> int:
        return len(self.arrays[0]) if self.arrays else 0

    def slice(self, start: int, length: int) -> TextColumns:
        return TextColumns([array.slice(start, length) for array in self.arrays])


class Declined(Exception):
    """The file has something the column-wise reader does not read exactly as the row reader
    does (a row of another width, bytes that are not UTF-8, a blank line, a byte-order mark
    inside the file ...): the file is read again row by row, which says what is wrong."""


#: the smallest CSV file read column-wise; smaller ones are read row by row
MIN_COLUMNAR_BYTES = 1 << 20
BLOCK_BYTES = 4 << 20


#: the CSV reader of the column-wise pass for each engine (Arrow's where none is named)
READERS = {"duckdb": "duckdb"}


def csv_columns(
    path: str, delimiter: str, width: int, reader: str = "arrow"
) -> Iterator[TextColumns]:
    """The rows after the header of a plainly quoted CSV file (see :class:`QuoteScan`), as
    columns of text (nothing trimmed), a block at a time, read by Arrow's CSV reader or
    by DuckDB's (``reader``). Raises :class:`Declined` where the row reader might read the file
    differently; the caller checks that the rows account for every line, and reads a file
    with a byte-order mark anywhere but at its start row by row."""
    if reader == "duckdb":
        from .backends.duckdb import csv_text_columns

        return csv_text_columns(path, delimiter, width)
    return _arrow_columns(path, delimiter, width)


BATCH_ROWS = 65_536


def _arrow_columns(
    path: str, delimiter: str, width: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[TextColumns]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(width)]
    read = pcsv.ReadOptions(skip_rows=1, column_names=names, block_size=block_bytes)
    parse = pcsv.ParseOptions(
        delimiter=delimiter,
        quote_char='"',
        double_quote=True,
        escape_char=False,
        newlines_in_values=False,
        ignore_empty_lines=True,
    )
    convert = pcsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
        check_utf8=True,
    )
    try:
        reader = pcsv.open_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            yield TextColumns(batch.columns)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise Declined(str(exc)) from None


class QuoteScan:
    """Whether a file's double quotes are all plain CSV quoting, fed the bytes chunk by chunk.

    Plain means: each quoted value opens at the start of a line or after a separator, closes
    before a separator, a line break or the end of the file, doubles the quotes inside it,
    and holds no line break (so every row is one line). Such a file is split the same way by
    every CSV reader; any other use of quotes leaves the file to the row reader, which says
    exactly what is wrong with it. ``neighbours`` are the bytes seen just outside quoted
    values (the separator the file must use).
    """

    _BREAKS = (ord("\n"), ord("\r"))

    def __init__(self) -> None:
        self.plain = True
        self.quotes = 0
        self.neighbours: set[int] = set()
        self._held: bytes | None = None
        self._before = -1  # the byte before the held chunk (-1: the start of the file)
        self._offset = 0
        self._head = b""  # the file's first three bytes (a byte-order mark may lead it)

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < 3:
            self._head = (self._head + chunk)[:3]
        if self._held is not None:
            self._scan(self._held, chunk[:1])
        self._held = chunk

    def finish(self) -> bool:
        if self._held is not None:
            self._scan(self._held, b"")
            self._held = None
        return self.plain and self.quotes % 2 == 0

    def _scan(self, chunk: bytes, after: bytes) -> None:
        import numpy as np

        before = self._before
        self._before = chunk[-1]
        if not self.plain or (b'"' not in chunk and self.quotes % 2 == 0):
            self._offset += len(chunk)
            return
        data = np.frombuffer(chunk, dtype=np.uint8)
        quotes = np.flatnonzero(data == ord('"'))
        breaks = np.flatnonzero((data == ord("\n")) | (data == ord("\r")))
        carried = self.quotes
        # a line break inside a quoted value: an odd number of quotes before it
        if ((np.searchsorted(quotes, breaks) + carried) % 2 == 1).any():
            self.plain = False
            return
        padded = np.concatenate(
            (
                np.array([before if before >= 0 else ord("\n")], dtype=np.int16),
                data.astype(np.int16),
                np.array([after[0] if after else ord("\n")], dtype=np.int16),
            )
        )
        previous = padded[quotes]  # padded is shifted by one: index q is the byte before q
        following = padded[quotes + 2]
        opening = (np.arange(len(quotes)) + carried) % 2 == 0
        open_before = previous[opening]
        close_after = following[~opening]
        # the file's first quote opens its first value: nothing before it but a byte-order mark
        # (which may have come in earlier chunks than the quote)
        first = self._offset + int(quotes[0]) if carried == 0 and len(quotes) else -1
        if first == 0 or (first == 3 and self._head == b"\xef\xbb\xbf"):
            open_before = open_before[1:]
        outside = np.concatenate((open_before, close_after))
        outside = outside[(outside != ord('"')) & ~np.isin(outside, self._BREAKS)]
        self.neighbours.update(np.unique(outside).tolist())
        if len(self.neighbours) > 1:
            self.plain = False
        self.quotes += len(quotes)
        self._offset += len(chunk)
