"""Shared fixtures: paths of the repository's packs and standards, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
STANDARDS = ROOT / "standards"
TEST_PACKS = Path(__file__).resolve().parent / "packs"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def standards_dir() -> Path:
    return STANDARDS


@pytest.fixture
def shipped_packs() -> list[Path]:
    return sorted(RULES.glob("*.yaml"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def write_pack(tmp_path: Path):
    """Write pack text into a temporary rules/ folder and return its path."""

    def write(text: str, name: str = "pack.yaml") -> Path:
        folder = tmp_path / "rules"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
