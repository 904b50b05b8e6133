"""Check several packs at once, keeping each pack's problems apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import AuditorError, PackErrors
from .model import Pack
from .pack import load_pack


@dataclass
class PackReport:
    path: str
    pack: Pack | None = None
    errors: list[str] = field(default_factory=list)


def check_pack(path: str | Path, standards_dirs: list[Path] | None = None) -> PackReport:
    """Load one pack; the report holds the pack or its problems, one line each."""
    report = PackReport(str(path))
    try:
        report.pack = load_pack(path, standards_dirs)
    except PackErrors as exc:
        report.errors = [str(e) for e in exc.errors]
    except AuditorError as exc:
        report.errors = [str(exc)]
    return report


def check_packs(paths: list[str], standards_dirs: list[Path] | None = None) -> list[PackReport]:
    return [check_pack(p, standards_dirs) for p in paths]
