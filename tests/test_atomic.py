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


@pytest.mark.parametrize("refused", ["findings.json", "report.html"])
@pytest.mark.parametrize("step", ["setting the earlier one aside", "moving the new one in"])
def test_a_set_the_system_will_not_put_in_place_leaves_the_earlier_set_whole(
    tmp_path, monkeypatch, refused: str, step: str
) -> None:
    """A trial's audit into a folder holding an output the system would not replace (made
    immutable) ended in an internal error with half of the new set moved in. Now it is one
    line, and the folder holds the earlier set, whole, and nothing else."""
    import auditor.atomic as atomic

    out = tmp_path / "out"
    out.mkdir()
    for name in ("findings.json", "report.html", "capa.csv"):
        (out / name).write_text(f"earlier {name}", encoding="utf-8")
    real = os.replace

    def replace(source, destination) -> None:  # type: ignore[no-untyped-def]
        source, destination = str(source), str(destination)
        if os.path.basename(destination) == refused and (
            ".auditor-previous-" in destination  # the earlier file set aside
            if step == "setting the earlier one aside"
            else ".auditor-staging-" in source  # the new file moved in
        ):
            raise PermissionError(errno.EPERM, "Operation not permitted")
        real(source, destination)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(OutputError) as raised, atomic.staged_outputs(out) as staging:
        for name in ("findings.json", "report.html"):  # the new set has no capa.csv
            (staging / name).write_text(f"new {name}", encoding="utf-8")
    assert str(raised.value) == (
        f"{out}: cannot replace the outputs here: Operation not permitted; "
        "give --out a folder whose files you can replace"
    )
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {
        name: f"earlier {name}" for name in ("findings.json", "report.html", "capa.csv")
    }


def test_a_set_put_in_place_replaces_the_earlier_one_and_leaves_nothing_else(tmp_path) -> None:
    from auditor.atomic import Replaced, staged_outputs

    out = tmp_path / "out"
    out.mkdir()
    for name in ("findings.json", "capa.csv", "notes.txt"):
        (out / name).write_text(f"earlier {name}", encoding="utf-8")
    (out / "zh").mkdir()  # a report rendered from the earlier findings (report render --out)
    (out / "zh" / "report.pdf").write_text("earlier zh", encoding="utf-8")
    (out / "data").mkdir()  # the user's, no report in it
    (out / "data" / "x.csv").write_text("x", encoding="utf-8")
    replaced = Replaced()
    with staged_outputs(out, replaced) as staging:
        (staging / "findings.json").write_text("new", encoding="utf-8")
        (staging / "en").mkdir()
        (staging / "en" / "report.html").write_text("new en", encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == [
        "data", "en", "findings.json", "notes.txt", "zh"
    ]  # fmt: skip
    # said to the user: an earlier output the new set lacks, gone; a folder of a report of
    # the earlier findings, left (en/ is the new set's own)
    assert (replaced.removed, replaced.reports_left) == (["capa.csv"], ["zh"])
    assert (out / "zh" / "report.pdf").read_text(encoding="utf-8") == "earlier zh"
    assert (out / "findings.json").read_text(encoding="utf-8") == "new"
    assert (out / "en" / "report.html").read_text(encoding="utf-8") == "new en"


def test_a_folder_named_as_an_output_stops_the_set_before_anything_is_written(tmp_path) -> None:
    """A folder of the user's where findings.json goes would have been removed with all it
    holds: the set stops, one line naming it, before the block runs."""
    from auditor.atomic import staged_outputs

    out = tmp_path / "out"
    (out / "findings.json").mkdir(parents=True)
    (out / "findings.json" / "precious.txt").write_text("keep", encoding="utf-8")
    ran = []
    with pytest.raises(OutputError) as raised, staged_outputs(out):
        ran.append(True)
    assert str(raised.value) == (
        f"{out / 'findings.json'}: a folder has the name of a file the audit writes here; "
        "move or rename that folder, or give another --out"
    )
    assert ran == []
    assert (out / "findings.json" / "precious.txt").read_text(encoding="utf-8") == "keep"
    assert [p.name for p in out.iterdir()] == ["findings.json"]


def test_files_the_system_will_not_put_in_place_leave_the_earlier_ones_whole(
    tmp_path, monkeypatch
) -> None:
    """report render (and evidence export, evidence synth) over files the system would not
    replace ended in an internal error with half of the new files moved in; now one line, and
    the earlier files as they were."""
    import auditor.atomic as atomic

    out = tmp_path / "out"
    (out / "en").mkdir(parents=True)
    for name in ("report.html", "report.pdf", "en/report.html"):
        (out / name).write_text(f"earlier {name}", encoding="utf-8")
    real = os.replace

    def replace(source, destination) -> None:  # type: ignore[no-untyped-def]
        if str(destination).endswith("report.pdf") and ".auditor-staging-" in str(source):
            raise PermissionError(errno.EPERM, "Operation not permitted")
        real(source, destination)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(OutputError) as raised, atomic.staged_files(out) as staging:
        (staging / "en").mkdir()
        for name in ("report.html", "report.pdf", "en/report.html"):
            (staging / name).write_text(f"new {name}", encoding="utf-8")
    assert str(raised.value) == (
        f"{out}: cannot replace the files here: Operation not permitted; "
        "give a folder whose files you can replace"
    )
    kept = {p.relative_to(out).as_posix(): p.read_text("utf-8") for p in out.rglob("*.*")}
    assert kept == {n: f"earlier {n}" for n in ("report.html", "report.pdf", "en/report.html")}
    assert sorted(p.name for p in out.iterdir()) == ["en", "report.html", "report.pdf"]


def test_a_folder_where_a_file_goes_is_one_line_and_nothing_moves(tmp_path) -> None:
    from auditor.atomic import staged_files
    from auditor.errors import AuditorError

    out = tmp_path / "out"
    (out / "report.pdf").mkdir(parents=True)
    (out / "report.html").write_text("earlier", encoding="utf-8")
    with pytest.raises(AuditorError) as raised, staged_files(out) as staging:
        (staging / "report.html").write_text("new", encoding="utf-8")
        (staging / "report.pdf").write_text("new", encoding="utf-8")
    assert str(raised.value) == (
        f"{out / 'report.pdf'}: cannot write a file here: a folder of that name is in the way; "
        "remove or rename that folder, or give another folder"
    )
    assert (out / "report.html").read_text(encoding="utf-8") == "earlier"
    assert (out / "report.pdf").is_dir()
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.pdf"]


def test_a_folder_of_the_set_replaces_the_earlier_one_file_by_file(tmp_path) -> None:
    """A pack's folder in a combined audit's set: its earlier outputs replaced or removed and
    named, the user's files and report folders in it left (it was replaced whole)."""
    from auditor.atomic import Replaced, staged_outputs

    out = tmp_path / "out"
    (out / "sq" / "en").mkdir(parents=True)
    for name in ("findings.json", "capa.csv", "notes.txt", "en/report.html"):
        (out / "sq" / name).write_text(f"earlier {name}", encoding="utf-8")
    replaced = Replaced()
    with staged_outputs(out, replaced) as staging:
        (staging / "findings.json").write_text("new top", encoding="utf-8")
        (staging / "sq").mkdir()
        (staging / "sq" / "findings.json").write_text("new", encoding="utf-8")
        (staging / "ssm").mkdir()
        (staging / "ssm" / "findings.json").write_text("new ssm", encoding="utf-8")
    assert sorted(p.name for p in (out / "sq").iterdir()) == ["en", "findings.json", "notes.txt"]
    assert (replaced.removed, replaced.reports_left) == (["sq/capa.csv"], ["sq/en"])
    assert (out / "sq" / "findings.json").read_text(encoding="utf-8") == "new"
    assert (out / "sq" / "notes.txt").read_text(encoding="utf-8") == "earlier notes.txt"
    assert (out / "sq" / "en" / "report.html").read_text(
        encoding="utf-8"
    ) == "earlier en/report.html"
    assert (out / "ssm" / "findings.json").read_text(encoding="utf-8") == "new ssm"
    assert sorted(p.name for p in out.iterdir()) == ["findings.json", "sq", "ssm"]


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_file_or_folder_of_the_user_s_where_a_folder_of_the_set_goes_stops_it(
    tmp_path, kind
) -> None:
    from auditor.atomic import staged_outputs

    out = tmp_path / "out"
    out.mkdir()
    if kind == "file":
        (out / "sq").write_text("keep", encoding="utf-8")
    else:
        (out / "sq").mkdir()
        (out / "sq" / "x.csv").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputError) as raised, staged_outputs(out) as staging:
        (staging / "findings.json").write_text("new top", encoding="utf-8")
        (staging / "sq").mkdir()
        (staging / "sq" / "findings.json").write_text("new", encoding="utf-8")
    assert str(raised.value) == (
        f"{out / 'sq'}: a file or folder of yours has the name of a folder the audit writes "
        "here; move or rename it, or give another --out"
    )
    assert [p.name for p in out.iterdir()] == ["sq"]
    kept = out / "sq" if kind == "file" else out / "sq" / "x.csv"
    assert kept.read_text(encoding="utf-8") == "keep"
