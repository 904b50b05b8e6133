"""Console tables: columns line up as a terminal shows them, Chinese file names included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditor.formatting import shown_width, text_table


def test_a_chinese_name_takes_two_columns_a_character() -> None:
    rows = [("file", "read"), ("通话记录.xlsx", "7,088"), ("calls.csv", "12"), ("total", "7,100")]
    lines = text_table(rows, right=(1,), total=True)
    assert lines == [
        "file            read",
        "-------------  -----",
        "通话记录.xlsx  7,088",
        "calls.csv         12",
        "-------------  -----",
        "total          7,100",
    ]


@given(
    st.lists(
        st.tuples(st.text(alphabet="ab中文 ", max_size=6), st.text("0123", min_size=1, max_size=4)),
        min_size=1,
        max_size=5,
    )
)
def test_every_row_is_as_wide_as_the_rule(cells: list[tuple[str, str]]) -> None:
    """The last column is right-aligned, so every line ends where the rule under the header
    ends, however many wide characters the first column holds."""
    lines = text_table([("name", "n"), *cells], right=(1,))
    assert {shown_width(line) for line in lines} == {shown_width(lines[1])}
