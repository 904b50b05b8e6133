"""The build digest: the SHA-256 of the package's own source, which findings.json records."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from auditor.build import PACKAGE, source_digest


def _tree(root: Path) -> None:
    """A small package: two modules, a grammar in a folder, a template; a compiled file and
    a text file, which make no build."""
    (root / "sub" / "__pycache__").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "a.py").write_bytes(b"X = 1\n")
    (root / "sub" / "b.py").write_bytes(b"")
    (root / "sub" / "rules.lark").write_bytes(b"start: NAME\n")
    (root / "templates" / "report.html.j2").write_bytes(b"<p>{{ x }}</p>\n")
    (root / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\x00compiled")
    (root / "notes.txt").write_bytes(b"not code\n")


def _by_hand(files: dict[str, bytes]) -> str:
    """``sha256sum`` of each file in path order, then the SHA-256 of those lines."""
    lines = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def test_the_digest_is_of_the_source_files_in_path_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    expected = _by_hand(
        {
            "a.py": b"X = 1\n",
            "sub/b.py": b"",
            "sub/rules.lark": b"start: NAME\n",
            "templates/report.html.j2": b"<p>{{ x }}</p>\n",
        }
    )
    assert source_digest(tmp_path) == expected


def test_the_digest_changes_when_a_source_file_does(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = source_digest(tmp_path)
    (tmp_path / "sub" / "rules.lark").write_bytes(b"start: NAME+\n")
    after = source_digest(tmp_path)
    assert after != before
    assert after == _by_hand(
        {
            "a.py": b"X = 1\n",
            "sub/b.py": b"",
            "sub/rules.lark": b"start: NAME+\n",
            "templates/report.html.j2": b"<p>{{ x }}</p>\n",
        }
    )


def test_a_compiled_or_other_file_changes_nothing(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = source_digest(tmp_path)
    (tmp_path / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\x00again")
    (tmp_path / "notes.txt").write_bytes(b"edited\n")
    assert source_digest(tmp_path) == before


def test_an_audit_records_the_build_of_the_package_it_ran(demo_audit) -> None:
    tool = demo_audit.document["manifest"]["tool"]
    assert tool["build"] == source_digest(PACKAGE)
    assert Path(__file__).resolve().parent.parent / "auditor" == PACKAGE


def test_importing_the_tool_reads_no_source() -> None:
    """The running build's digest is computed when first asked, not on import."""
    done = subprocess.run(
        [sys.executable, "-c", "import auditor.build as b, auditor.audit, auditor.certify.verify, "
         "auditor.multi; print(b.this_build.cache_info().currsize)"],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "0"
