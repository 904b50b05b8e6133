"""A file's digest, read chunk by chunk, says what one look at all its bytes says, wherever the
chunks happen to cut it (a byte-order mark or a CR LF split between two chunks included)."""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auditor.ingest import file_digest

ingest_module = importlib.import_module("auditor.ingest")

pieces = st.sampled_from(
    [b"a", b",", b"\n", b"\r", b"\r\n", b'"', b"\xef\xbb\xbf", b"\xef", b"\xbb\xbf", b"\x01",
     b"\x00", b"\xc3\xa9", b"id,at\n"]
)  # fmt: skip


@given(st.lists(pieces, max_size=40).map(b"".join), st.integers(1, 9))
@settings(max_examples=300, deadline=None)
@example(b'\xef\xbb\xbf""', 1)  # the mark and the first quote in different chunks
@example(b'\xef\xbb\xbf"a",b', 2)
def test_the_digest_is_the_same_whatever_the_chunks(data: bytes, chunk: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(data)
        whole = file_digest(path)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ingest_module, "DIGEST_CHUNK", chunk)
            cut = file_digest(path)
    # the bytes next to quotes matter only while quoting is plain (the scan stops at the first
    # use that is not, which a smaller chunk may reach later)
    if whole.plain_quotes:
        assert cut == whole
    else:
        assert cut._replace(quote_neighbours=whole.quote_neighbours) == whole
    assert whole.sha256 == hashlib.sha256(data).hexdigest() and whole.size == len(data)
    assert whole.has_nul == (b"\x00" in data)
    wide = [i for i, byte in enumerate(data) if byte > 127]
    assert whole.first_wide == (wide[0] if wide else -1)
    assert whole.newlines == data.count(b"\n")
    assert whole.inner_bom == (data.find(b"\xef\xbb\xbf", 1) >= 0)
    lone_cr = re.search(rb"\r(?!\n)", data) is not None
    assert whole.odd_bytes == (b"\x01" in data or lone_cr)
