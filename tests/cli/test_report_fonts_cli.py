"""`audit` and `report render` say in one line when the PDF cannot print Chinese."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from auditor.cli import main

from ..conftest import TEST_PACKS
from .test_audit_trust_cli import folder_with, good_calls

PACK = str(TEST_PACKS / "trust.yaml")


@pytest.fixture
def no_chinese_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fontconfig answers that it knows no font for Chinese; the PDF itself is not drawn."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    script = bin_folder / "fc-list"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_folder))
    monkeypatch.setattr("auditor.report.write_pdf", lambda html, path: path.write_bytes(b"%PDF"))


def _font_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "font for Chinese" in line]


@pytest.mark.usefixtures("no_chinese_font")
def test_an_audit_writing_a_pdf_warns_once(runner, tmp_path: Path) -> None:
    evidence = folder_with(tmp_path, good_calls())
    args = ["audit", PACK, str(evidence), "--out", str(tmp_path / "out"), "--period", "2026-Q3"]
    result = runner.invoke(main, [*args, "--format", "json,pdf"])
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "out" / "report.pdf").read_bytes() == b"%PDF"
    lines = _font_lines(result.stderr)
    assert lines == [
        "warning: no font for Chinese is installed, so Chinese text in report.pdf prints as "
        "empty boxes; install one (Debian and Ubuntu: apt-get install fonts-noto-cjk), "
        "then write the report again"
    ]
    html_only = runner.invoke(main, [*args, "--format", "json,html"])
    assert _font_lines(html_only.stderr) == []
    rendered = runner.invoke(
        main, ["report", "render", str(tmp_path / "out" / "findings.json"), "--format", "pdf"]
    )
    assert rendered.exit_code == 0, rendered.output
    assert len(_font_lines(rendered.stderr)) == 1
