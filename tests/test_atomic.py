"""Files written whole: one replaced only when the new one is complete, readable as any file
the user writes (a findings.json handed to a certifier), a private key for its owner alone."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from auditor.atomic import write_bytes, write_text, write_with
from auditor.certify.signing import keygen
from auditor.errors import OutputError


@pytest.fixture
def umask_022():  # type: ignore[no-untyped-def]
    earlier = os.umask(0o022)
    yield
    os.umask(earlier)


def _mode(path) -> int:  # type: ignore[no-untyped-def]
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_written_whole_has_the_mode_of_any_new_file(tmp_path, umask_022) -> None:
    write_text(tmp_path / "findings.json", "{}")
    write_bytes(tmp_path / "capa.csv", b"x")
    write_with(tmp_path / "report.pdf", lambda path: path.write_bytes(b"%PDF"))
    assert {_mode(tmp_path / n) for n in ("findings.json", "capa.csv", "report.pdf")} == {0o644}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["capa.csv", "findings.json", "report.pdf"]


def test_a_private_key_stays_its_owner_s_alone(tmp_path, umask_022) -> None:
    private, public = keygen(tmp_path / "key")
    assert (_mode(private), _mode(public)) == (0o600, 0o644)


WRITERS = {
    "text": lambda path: write_text(path, "x"),
    "bytes": lambda path: write_bytes(path, b"x"),
    "with": lambda path: write_with(path, lambda temporary: temporary.write_bytes(b"x")),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_file_the_system_will_not_put_in_place_is_one_line_and_leaves_nothing(
    tmp_path, monkeypatch, writer
) -> None:
    """The rename refused (a file made immutable, say): one line, no temporary file left."""

    def refuse(source: str, destination: str) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted", destination)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError) as raised:
        WRITERS[writer](tmp_path / "capa.csv")
    assert str(raised.value) == (
        f"{tmp_path / 'capa.csv'}: cannot write here: Operation not permitted; "
        "give a path in a folder you can write to"
    )
    assert list(tmp_path.iterdir()) == []
